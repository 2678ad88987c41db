"""Shared fixtures. Tests that need the source texts or a real component skip with a reason when it is
absent, except under CI=true, where an absence is a failure (.ci/run installs and starts everything)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


@contextlib.contextmanager
def one_record_project(data: dict):
    """A records folder holding `data` as kg doctor's one record file, and a sources folder with its short text."""
    import tempfile

    from kg.doctor import DOC_ID, RECORD_NAME, SOURCE_TEXT, dump_record

    with tempfile.TemporaryDirectory() as tmp:
        records, sources = Path(tmp) / "records", Path(tmp) / "sources"
        records.mkdir()
        sources.mkdir()
        (records / RECORD_NAME).write_bytes(dump_record(data))
        (sources / f"{DOC_ID}.txt").write_text(SOURCE_TEXT, encoding="utf-8")
        yield records, sources


# Headless Chromium as the machine allows it (no sandbox as root, no background connections to a closed network).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def launched_chromium():
    """The system's Chromium driven by Playwright; skips (fails under CI=true) when either is missing."""
    chromium = require_binary("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "the Python package playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session", autouse=True)
def kg_cache(tmp_path_factory) -> Path:
    """kg's caches (query stores, parsed queries) in a directory of this test session, not the user's."""
    path = tmp_path_factory.mktemp("kg-cache")
    before = os.environ.get("KG_CACHE_DIR")
    os.environ["KG_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("KG_CACHE_DIR", None)
    else:
        os.environ["KG_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The directory of the Shenyang seed texts (the first of KG_SOURCES, or ../shared/seeds)."""
    found = paths.default_seeds()
    require(found is not None and found.is_dir(),
            "source texts not found: set KG_SOURCES or put them in ../shared/seeds")
    return found


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def source_dirs(sources_dir) -> list[Path]:
    """Every directory of source texts: the seeds and the national reports (../shared/corpus/national)."""
    return paths.default_sources()


@pytest.fixture(scope="session")
def built(source_dirs):
    """The seed graph built in memory from the committed records, with quotes (session-wide, read-only)."""
    from kg.pipeline import build

    return build(paths.RECORDS, sources_dir=source_dirs)


@pytest.fixture(scope="session")
def seed_graph(built):
    return built.graph


@pytest.fixture(scope="session")
def built_exports(built, tmp_path_factory) -> Path:
    """Every file `kg build` writes for the seed graph, in a temp dir (session-wide: copy it before changing)."""
    from kg.pipeline import write_all

    out = tmp_path_factory.mktemp("exports")
    write_all(built, out)
    return out


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    """kg.doctor's scratch project (one record of its own short text, a complete build in exports/), shared by
    the reliability tests (tests/reliability/)."""
    from kg.doctor import Workspace

    ws = Workspace.create(tmp_path_factory.mktemp("reliability") / "ws")
    yield ws
    ws.close()


def wait_until_answering(proc: subprocess.Popen, url: str, seconds: float, name: str, log) -> None:
    """Poll URL until it answers 200; fail the test (with `log()`) if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}: {log()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{name} did not answer on {url} within {seconds:g} s: {log()}")
        time.sleep(0.1)


@contextlib.contextmanager
def kg_serve(args: list[str], log: Path, port: int | None = None):
    """`kg serve ARGS` in a subprocess on loopback (a free port unless given); yields its base URL once `/`
    answers 200, and stops it afterwards."""
    port = port or free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 *args], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(proc, base + "/", 60, "kg serve", lambda: log.read_text())
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    """A free TCP port on loopback, for tests that start their own server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_file(seed_graph, tmp_path_factory, fmt: str, name: str) -> Path:
    from kg.export import serialize

    path = tmp_path_factory.mktemp("seed") / name
    path.write_bytes(serialize(seed_graph, fmt))
    return path


@pytest.fixture(scope="session")
def seed_ttl(seed_graph, tmp_path_factory) -> Path:
    """The seed graph as `kg build` writes exports/shenyang.ttl, in a temp dir."""
    return _seed_file(seed_graph, tmp_path_factory, "turtle", "shenyang.ttl")


@pytest.fixture(scope="session")
def seed_nt(seed_graph, tmp_path_factory) -> Path:
    """The seed graph as N-Triples, in a temp dir."""
    return _seed_file(seed_graph, tmp_path_factory, "nt", "shenyang.nt")


def sparql_json_rows(data: dict, names: list[str] | None = None) -> list[tuple]:
    """SPARQL 1.1 JSON results as sorted rows of kg.query's canonical terms (as strings), for comparisons."""
    from rdflib import BNode, Literal, URIRef

    from kg.query import canonical

    def term(b):
        if b is None:
            return None
        if b["type"] == "uri":
            return URIRef(b["value"])
        if b["type"] == "bnode":
            return BNode(b["value"])
        if "xml:lang" in b:
            return Literal(b["value"], lang=b["xml:lang"])
        return canonical(Literal(b["value"], datatype=URIRef(b["datatype"]) if "datatype" in b else None))

    names = names or data["head"]["vars"]
    return sorted(tuple(str(term(row.get(n))) for n in names) for row in data["results"]["bindings"])
