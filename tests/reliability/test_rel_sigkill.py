"""`kg build` killed with SIGKILL in the middle of writing its exports: the output folder holds either the whole
previous set or the whole new one, never a mix (kg.outdir stages the set in a sibling folder and swaps the
two folders in one step), and the next successful build sweeps the staging folder the killed one left.

The kill points are found, not guessed: the child runs `kg build` with os.fsync slowed down (a slow disk), and
the test watches the staging folder and kills it when the k-th staged file appears, or right after the swap
(the folder's inode changed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.doctor import TEMP_FILE, Workspace
from kg.pipeline import build, write_all

NEW_BASE = "https://example.org/killed/"
# `kg build`, on a slow disk: every fsync takes 0.15 s longer.
SLOW_DISK = ("import os, sys, time\n"
             "fsync = os.fsync\n"
             "os.fsync = lambda fd: (time.sleep(0.15), fsync(fd))[1]\n"
             "from kg.cli import cli\n"
             "sys.argv[0] = 'kg'\n"
             "cli()\n")


def snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir()}


def staged(ws: Workspace) -> list[str]:
    """The files in the staging folders of ws.exports (`.exports.XXXXXXXX.tmp/`)."""
    return [f for d in ws.root.iterdir() if d.is_dir() and TEMP_FILE.search(d.name) for f in os.listdir(d)]


def staging_folders(ws: Workspace) -> list[str]:
    return [d.name for d in ws.root.iterdir() if TEMP_FILE.search(d.name)]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    ws = Workspace.create(tmp_path_factory.mktemp("sigkill") / "ws")
    fresh = ws.root / "fresh"
    write_all(build(ws.records, sources_dir=ws.sources, base=NEW_BASE), fresh)
    return ws, snapshot(fresh)


def kill_build(ws: Workspace, when) -> None:
    """Start the slow build into ws.exports, SIGKILL it once when(staged files, swapped) is true."""
    old_inode = ws.exports.stat().st_ino
    cmd = [sys.executable, "-c", SLOW_DISK, "build", "--records", str(ws.records), "--sources", str(ws.sources),
           "--out", str(ws.exports), "--base-iri", NEW_BASE, "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if when(len(staged(ws)), ws.exports.stat().st_ino != old_inode):
                proc.send_signal(signal.SIGKILL)
                break
            if proc.poll() is not None:
                pytest.fail(f"the build ended before the kill point: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.005)
        else:
            pytest.fail("the kill point was never reached")
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def restore(ws: Workspace, old: dict[str, bytes]) -> None:
    """ws.exports as the previous build left it."""
    for p in ws.exports.iterdir():
        p.unlink()
    for n, data in old.items():
        (ws.exports / n).write_bytes(data)


@pytest.mark.parametrize("name,when", [
    ("first staged file", lambda n, swapped: n >= 1),
    ("half of the staged files", lambda n, swapped: n >= 6),
    ("right after the swap", lambda n, swapped: swapped),
])
def test_sigkill_mid_export_leaves_one_whole_set(project, name, when):
    ws, fresh = project
    old = snapshot(ws.baseline)
    assert set(old) == set(fresh) and all(old[n] != fresh[n] for n in ("shenyang.ttl", "shenyang.nt"))
    restore(ws, old)

    kill_build(ws, when)

    after = snapshot(ws.exports)
    assert after in (old, fresh), "the output folder holds a mix of two builds"
    assert all(TEMP_FILE.search(n) for n in staging_folders(ws))

    # the next build completes the job and sweeps the staging folder away
    write_all(build(ws.records, sources_dir=ws.sources, base=NEW_BASE), ws.exports)
    assert snapshot(ws.exports) == fresh and not staging_folders(ws)


def test_ctrl_c_mid_export_cleans_up(project):
    """Ctrl-C (SIGINT) while the exports are staged: 'Aborted!', exit 1, no traceback, the previous exports
    as they were and no temp file left."""
    ws, fresh = project
    old = snapshot(ws.baseline)
    restore(ws, old)
    cmd = [sys.executable, "-c", SLOW_DISK, "build", "--records", str(ws.records), "--sources", str(ws.sources),
           "--out", str(ws.exports), "--base-iri", NEW_BASE, "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(staged(ws)) >= 3:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()
    assert "Aborted!" in err.decode() and "Traceback" not in err.decode()
    assert snapshot(ws.exports) == old and not staging_folders(ws)
