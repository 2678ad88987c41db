"""The output folder of `kg build` (kg.outdir) and its on-disk store: one writer at a time, the set swapped whole,
other files kept, what killed builds left behind swept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kg.errors import KgError
from kg.outdir import Busy, commit_folder
from kg.pipeline import build, write_all

HOLD_LOCK = ("import fcntl, os, sys, time\n"
             "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
             "fcntl.flock(fd, fcntl.LOCK_EX)\n"
             "print('locked', flush=True)\n"
             "time.sleep(60)\n")


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path):
    out = tmp_path / "out"
    commit_folder(out, {"a.ttl": b"1"})
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(Busy, match="another build is writing here"):
            commit_folder(out, {"a.ttl": b"2"})
        assert (out / "a.ttl").read_bytes() == b"1"
    finally:
        holder.kill()
        holder.wait()
    commit_folder(out, {"a.ttl": b"2"})
    assert (out / "a.ttl").read_bytes() == b"2"


def test_the_set_is_swapped_whole_other_files_stay_and_stale_staging_goes(tmp_path):
    out = tmp_path / "out"
    commit_folder(out, {"a.ttl": b"old", "b.nt": b"old"})
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "x").write_text("x")
    stale = tmp_path / ".out.abcdefgh.tmp"  # what a build killed mid-way leaves
    stale.mkdir()
    (stale / "a.ttl").write_bytes(b"half")
    inode = out.stat().st_ino
    commit_folder(out, {"a.ttl": b"new", "b.nt": b"new"})
    assert out.stat().st_ino != inode  # a new folder took the old one's place
    assert sorted(os.listdir(out)) == ["a.ttl", "b.nt", "notes.txt", "sub"]
    assert (out / "a.ttl").read_bytes() == b"new" and (out / "notes.txt").read_text() == "mine"
    assert (out / "sub" / "x").read_text() == "x"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_file_in_the_way_changes_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(KgError, match="nothing was changed"):
        commit_folder(tmp_path / "file" / "out", {"a.ttl": b"1"})
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_partial_stores_of_dead_builds_are_swept(workspace, tmp_path):
    store = tmp_path / "store"
    dead = tmp_path / ".store.partial-999999999"  # no such process
    dead.mkdir()
    (dead / "junk").write_bytes(b"x" * 1000)
    result = build(workspace.records, sources_dir=workspace.sources, store=f"oxigraph:{store}")
    write_all(result, tmp_path / "exports")
    assert not dead.exists() and (store / "CURRENT").exists()
    assert not [p for p in os.listdir(tmp_path) if ".partial-" in p]


def test_a_store_another_live_build_is_writing_is_refused(workspace, tmp_path):
    store = tmp_path / "store"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / f".store.partial-{sleeper.pid}").mkdir()
        with pytest.raises(Busy, match="another build is writing this store"):
            build(workspace.records, sources_dir=workspace.sources, store=f"oxigraph:{store}")
    finally:
        sleeper.kill()
        sleeper.wait()
