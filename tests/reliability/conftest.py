"""Fixtures of the reliability tests: one scratch project (kg.doctor.Workspace) per session."""

from __future__ import annotations

import pytest

from kg.doctor import Workspace


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    """A tiny project (one record of our own short text, a complete build in exports/) shared by the matrix."""
    ws = Workspace.create(tmp_path_factory.mktemp("reliability") / "ws")
    yield ws
    ws.close()
