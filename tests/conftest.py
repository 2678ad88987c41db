"""Shared fixtures. Tests that need the source texts or a real component skip with a reason when it is
absent, except under CI=true, where an absence is a failure (.ci/run installs and starts everything)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import paths

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when something a test needs is missing, but fail under CI where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true; .ci/run should provide it)")
    pytest.skip(reason)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed")
    return path


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The directory of the source texts (KG_SOURCES or ../shared/seeds)."""
    found = paths.default_sources()
    require(found is not None and found.is_dir(),
            "source texts not found: set KG_SOURCES or put them in ../shared/seeds")
    return found


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def built(sources_dir):
    """The seed graph built in memory from the committed records, with quotes (session-wide, read-only)."""
    from kg.pipeline import build

    return build(paths.RECORDS, sources_dir=sources_dir)


@pytest.fixture(scope="session")
def seed_graph(built):
    return built.graph


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    """kg.doctor's scratch project (one record of its own short text, a complete build in exports/), shared by
    the reliability tests (tests/reliability/)."""
    from kg.doctor import Workspace

    ws = Workspace.create(tmp_path_factory.mktemp("reliability") / "ws")
    yield ws
    ws.close()
