"""The real `kg` process (not CliRunner): a bug is one line and exit 70 (the traceback only with --debug);
output cut off by a closed pipe (`kg query … | head -1`) ends quietly."""

from __future__ import annotations

import subprocess
import sys

from kg.cli import INTERNAL_ERROR

# `kg` with a bug planted in the write path (the export is rendered, then writing it fails).
BUGGY = ("import sys, kg.export\n"
         "def broken(files):\n"
         "    raise ZeroDivisionError('planted bug')\n"
         "kg.export.commit_files = broken\n"
         "from kg.cli import cli\n"
         "sys.argv[0] = 'kg'\n"
         "cli()\n")


def run(args, code=None, **kw):
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "kg", *args]
    return subprocess.run(cmd, capture_output=True, timeout=120, **kw)


def test_a_bug_is_one_line_and_exit_70(workspace, tmp_path):
    args = ["export", "--format", "nt", "--graph", str(workspace.graph), "--out", str(tmp_path / "x.nt")]
    res = run(args, BUGGY)
    err = res.stderr.decode()
    assert res.returncode == INTERNAL_ERROR == 70
    assert err.count("\n") == 1 and err.startswith("Error: internal error") and "ZeroDivisionError: planted bug" in err
    assert "Traceback" not in err and not (tmp_path / "x.nt").exists()
    debug = run(["--debug", *args], BUGGY)
    assert debug.returncode == 1 and "Traceback" in debug.stderr.decode()


def test_a_closed_pipe_ends_quietly(workspace):
    """The reader is gone before kg writes (`| true`): no BrokenPipeError traceback, exit 141 (128 + SIGPIPE) as
    other Unix tools whose reader goes away; with `| head -1` the first row still arrives."""
    query = f"{sys.executable} -m kg query -g {workspace.graph} --format csv 'SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }}'"
    res = subprocess.run(["bash", "-c", f"{query} | true; echo ${{PIPESTATUS[0]}} >&2"], capture_output=True,
                         timeout=120)
    assert res.stderr.decode() == "141\n"
    res = subprocess.run(["bash", "-c", f"{query} | head -1"], capture_output=True, timeout=120)
    assert res.stdout.decode() == "s,p,o\r\n" and res.stderr.decode() == ""
