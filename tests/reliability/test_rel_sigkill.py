"""`kg build` killed with SIGKILL in the middle of writing its exports: every file in the output directory is
either the previous export or the complete new one (never truncated, never a mix inside one file), and the
next successful build removes the temp files the killed one left behind.

The kill points are found, not guessed: the child runs `kg build` with os.fsync and os.replace slowed down (a
slow disk), and the test watches the directory and kills it when the k-th temp file appears, or right after
the first export was renamed into place (inode changed)."""

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
# `kg build`, on a slow disk: every fsync and every rename takes 0.15 s longer.
SLOW_DISK = ("import os, sys, time\n"
             "fsync, replace = os.fsync, os.replace\n"
             "os.fsync = lambda fd: (time.sleep(0.15), fsync(fd))[1]\n"
             "os.replace = lambda a, b: (time.sleep(0.15), replace(a, b))[1]\n"
             "from kg.cli import cli\n"
             "sys.argv[0] = 'kg'\n"
             "cli()\n")


def snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir()}


def inodes(d: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in d.iterdir() if not TEMP_FILE.search(p.name)}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    ws = Workspace.create(tmp_path_factory.mktemp("sigkill") / "ws")
    fresh = ws.root / "fresh"
    write_all(build(ws.records, sources_dir=ws.sources, base=NEW_BASE), fresh)
    return ws, snapshot(fresh)


def kill_build(ws: Workspace, when) -> tuple[list[str], float]:
    """Start the slow build into ws.exports, SIGKILL it once when(names, inodes_changed) is true."""
    old_inodes = inodes(ws.exports)
    cmd = [sys.executable, "-c", SLOW_DISK, "build", "--records", str(ws.records), "--sources", str(ws.sources),
           "--out", str(ws.exports), "--base-iri", NEW_BASE, "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            names = os.listdir(ws.exports)
            temps = [n for n in names if TEMP_FILE.search(n)]
            replaced = sum(inodes(ws.exports).get(n) != i for n, i in old_inodes.items())
            if when(temps, replaced):
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
    return temps, replaced


@pytest.mark.parametrize("name,when", [
    ("first temp file", lambda temps, replaced: len(temps) >= 1),
    ("half of the temp files", lambda temps, replaced: len(temps) >= 6),
    ("after the first rename", lambda temps, replaced: replaced >= 1),
])
def test_sigkill_mid_export_loses_nothing(project, name, when):
    ws, fresh = project
    old = snapshot(ws.baseline)
    assert set(old) == set(fresh) and all(old[n] != fresh[n] for n in ("shenyang.ttl", "shenyang.nt"))
    for p in ws.exports.iterdir():  # start from the previous build
        p.unlink()
    for n, data in old.items():
        (ws.exports / n).write_bytes(data)

    kill_build(ws, when)

    after = snapshot(ws.exports)
    visible = {n for n in after if not n.startswith(".")}
    assert visible == set(old), "an export appeared or vanished"
    for n in visible:
        assert after[n] in (old[n], fresh[n]), f"{n} is neither the previous export nor the new one"
    leftovers = sorted(n for n in after if n.startswith("."))
    assert all(TEMP_FILE.search(n) for n in leftovers), leftovers

    # the next build completes the job and sweeps the temp files away
    write_all(build(ws.records, sources_dir=ws.sources, base=NEW_BASE), ws.exports)
    assert snapshot(ws.exports) == fresh


def test_a_mix_of_old_and_new_files_is_possible_and_each_file_is_whole(project):
    """Killed between renames: some exports are new, the rest old, each one complete (the catalog's
    checksums tell which); no file is ever cut short."""
    ws, fresh = project
    old = snapshot(ws.baseline)
    for p in ws.exports.iterdir():
        p.unlink()
    for n, data in old.items():
        (ws.exports / n).write_bytes(data)
    kill_build(ws, lambda temps, replaced: replaced >= 3)
    after = {n: b for n, b in snapshot(ws.exports).items() if not n.startswith(".")}
    assert set(after) == set(old) and all(after[n] in (old[n], fresh[n]) for n in after)
    changed = [n for n in old if old[n] != fresh[n]]  # (ontology.html does not depend on the base IRI)
    new = [n for n in changed if after[n] == fresh[n]]
    kept = [n for n in changed if after[n] == old[n]]
    assert new and kept, (new, kept)


def test_ctrl_c_mid_export_cleans_up(project):
    """Ctrl-C (SIGINT) while the exports are staged: 'Aborted!', exit 1, no traceback, the previous exports
    as they were and no temp file left."""
    ws, fresh = project
    old = snapshot(ws.baseline)
    for p in ws.exports.iterdir():
        p.unlink()
    for n, data in old.items():
        (ws.exports / n).write_bytes(data)
    cmd = [sys.executable, "-c", SLOW_DISK, "build", "--records", str(ws.records), "--sources", str(ws.sources),
           "--out", str(ws.exports), "--base-iri", NEW_BASE, "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(bool(TEMP_FILE.search(n)) for n in os.listdir(ws.exports)) >= 3:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()
    assert "Aborted!" in err.decode() and "Traceback" not in err.decode()
    assert snapshot(ws.exports) == old
