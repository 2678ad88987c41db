"""`kg query` writes rows as the query produces them (kg.query.piped, kg.query.output): the same bytes as the
whole answer rendered at once for every canned query and format, on the seeds and a synthetic corpus; rows
written before a timeout or error stay, with a message and the usual exit code; a reader that goes away ends
the command quietly; -o FILE is whole or absent."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time

import pytest

from kg import paths
from kg import query as Q
from kg.cli import cli
from kg.query import engines
from kg.records import load_records
from kg.results import render
from kg.sources import load_sources
from kg.store import build_store
from kg.synth import plan_for_triples, synthesize

FORMATS = ["csv", "tsv", "json", "table"]
MEASURES = "SELECT ?m WHERE { ?m a sy:Measure } ORDER BY ?m"


@pytest.fixture(scope="module")
def graph_files(seed_ttl, tmp_path_factory):
    """The seed graph (as kg build writes it) and `kg synth --triples 20000 --seed 1`'s graph, as N-Triples."""
    out = tmp_path_factory.mktemp("stream") / "corpus"
    synthesize(plan_for_triples(20_000, seed=1), out)
    corpus = load_records(out / "records")
    nt = out / "synth.nt"
    nt.write_bytes(build_store(corpus, sources=load_sources(out / "sources", corpus), store="rdflib").ntriples())
    return {"seed": seed_ttl, "synth": nt}


@pytest.mark.parametrize("corpus", ["seed", "synth"])
def test_every_canned_query_streams_the_same_bytes(runner, monkeypatch, graph_files, corpus):
    """The reference: the single query (no partitions), no timeout (no child), rendered whole."""
    graph_file = graph_files[corpus]
    graph = Q.load_graph([graph_file], engine="oxigraph")
    streamed_rows = 0
    for name in sorted(Q.canned_queries()):
        monkeypatch.setenv("KG_PARTITION", "0")
        reference = Q.run(graph, Q.canned(name))
        reference.rows  # noqa: B018 - read whole
        monkeypatch.setenv("KG_PARTITION", "2")  # batches, as a graph of more documents would run them
        for fmt in {"construct": ["turtle", "nt", "table"], "describe": ["turtle", "nt", "table"]}.get(
                reference.kind, FORMATS):
            res = runner.invoke(cli, ["query", "--name", name, "--graph", str(graph_file), "--format", fmt])
            assert res.exit_code == 0, (name, fmt, res.output[-500:])
            assert res.stdout_bytes == render(reference, fmt), (corpus, name, fmt)
        streamed_rows += len(reference)
    assert streamed_rows > 1_000  # answers of many rows, not toy ones


def test_rows_come_from_the_child_in_batches(monkeypatch, graph_files):
    """Under a timeout a large answer arrives in several batches, the first holding few rows, and the
    rows are those of the in-process run."""
    graph = Q.load_graph([graph_files["synth"]], engine="oxigraph")
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    expected = Q.run(graph, query).rows
    res = Q.run(graph, query, timeout=120)
    sizes = [len(b) for b in res.batches()]
    assert sum(sizes) == len(expected) > 15_000
    assert len(sizes) > 1 and sizes[0] < len(expected) // 2
    res = Q.run(graph, query, timeout=120)
    assert list(res) == expected


def _stalling(monkeypatch, rows: int, then: str) -> None:
    """The oxigraph engine (in the forked child as well) gives `rows` rows of a SELECT, then hangs
    (`then="hang"`), fails (`then="fail"`) or ends its process (`then="die"`, in the child only)."""
    execute = engines.OxigraphEngine.execute

    def stalling(self, parsed):
        real = execute(self, parsed)
        if real.kind != "select":
            return real
        head = list(real)[:rows]

        def stream():
            yield from head[1:]
            if then == "hang":
                time.sleep(3600)
            if then == "die":
                time.sleep(0.5)  # the rows so far have left (the sender sends within 50 ms)
                os._exit(3)
            raise Q.QueryError("the engine broke down part-way")

        return Q.QueryResult("select", vars=real.vars, rows=head[:1], stream=stream())

    monkeypatch.setattr(engines.OxigraphEngine, "execute", stalling)


def test_run_returns_with_the_first_rows_while_the_query_goes_on(monkeypatch, graph_files):
    """The child's first batch leaves with the first row: run() returns though the query never ends; reading
    on is what times out, and the child is stopped."""
    graph = Q.load_graph([graph_files["seed"]], engine="oxigraph")
    _stalling(monkeypatch, 3, "hang")
    res = Q.run(graph, MEASURES, timeout=3)
    first = next(iter(res))
    assert "/measure/" in str(first["m"])
    with pytest.raises(Q.QueryTimeout):
        res.rows  # noqa: B018
    assert res._rows[:3] and len(res._rows) == 3


def test_a_reader_that_stops_stops_the_child(graph_files):
    graph = Q.load_graph([graph_files["synth"]], engine="oxigraph")
    res = Q.run(graph, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", timeout=120)
    next(iter(res))
    proc = res._stream._proc
    res.close()
    assert proc.exitcode is not None  # reaped: killed (or already done sending), not left running
    assert res._stream is None


def test_a_writer_whose_reader_went_away_stops_the_child(graph_files):
    """kg.query.output: a broken pipe part-way ends the query's child process too, not only the writing."""
    from kg.query.output import write_result

    class GoneAfterTheHeader(io.BytesIO):
        def write(self, data):
            if self.tell():
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(data)

    graph = Q.load_graph([graph_files["synth"]], engine="oxigraph")
    res = Q.run(graph, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", timeout=120)
    proc = res._stream._proc
    out = GoneAfterTheHeader()
    with pytest.raises(BrokenPipeError):
        write_result(res, "tsv", out)
    assert out.getvalue() == b"?s\t?p\t?o\n" and proc.exitcode is not None


def test_time_waiting_for_the_reader_does_not_count(monkeypatch, graph_files):
    """The deadline moves by the time spent in `paused()` (a slow pipe), so only the query's time counts."""
    graph = Q.load_graph([graph_files["seed"]], engine="oxigraph")
    _stalling(monkeypatch, 3, "hang")
    res = Q.run(graph, MEASURES, timeout=30)
    deadline = res._stream._deadline
    with res.paused():
        time.sleep(0.2)
    assert res._stream._deadline - deadline >= 0.2
    res.close()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
def test_timeout_mid_stream_keeps_the_rows_written(runner, monkeypatch, graph_files, fmt):
    graph = Q.load_graph([graph_files["seed"]], engine="oxigraph")
    whole = render(Q.run(graph, MEASURES), fmt)
    _stalling(monkeypatch, 3, "hang")
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "--format", fmt,
                              "--timeout", "2"])
    assert res.exit_code == 124
    assert "stopped after 2 s (timeout)" in res.stderr and "incomplete" in res.stderr
    out = res.stdout_bytes
    assert out and whole.startswith(out) and len(out) < len(whole)  # the first rows, exactly as they would be
    lines = [line for line in out.decode().splitlines() if "measure/" in line]
    assert len(lines) == 3


def test_an_error_mid_stream_keeps_the_rows_and_its_exit_code(runner, monkeypatch, graph_files):
    _stalling(monkeypatch, 2, "fail")
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "--format", "tsv"])
    assert res.exit_code == 1
    assert "the engine broke down part-way" in res.stderr and "incomplete" in res.stderr
    assert res.stdout.count("\n") == 3  # header and two rows


def test_a_query_process_that_dies_part_way_is_an_error(runner, monkeypatch, graph_files):
    _stalling(monkeypatch, 2, "die")
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "--format", "csv"])
    assert res.exit_code == 1
    assert "the query process died (exit code 3)" in res.stderr and "incomplete" in res.stderr
    assert res.stdout_bytes.count(b"\r\n") == 3  # header and two rows


def test_output_file_is_whole_or_absent_on_timeout(runner, monkeypatch, graph_files, tmp_path):
    _stalling(monkeypatch, 3, "hang")
    target = tmp_path / "out" / "m.csv"
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "-o", str(target),
                              "--timeout", "1.5"])
    assert res.exit_code == 124 and "timeout" in res.stderr
    assert not target.exists() and os.listdir(target.parent) == []  # no temp file either
    target.write_text("old\n")
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "-o", str(target),
                              "--timeout", "1.5"])
    assert res.exit_code == 124 and target.read_text() == "old\n" and os.listdir(target.parent) == ["m.csv"]
    monkeypatch.undo()
    res = runner.invoke(cli, ["query", MEASURES, "--graph", str(graph_files["seed"]), "-o", str(target)])
    assert res.exit_code == 0
    assert target.read_bytes() == render(Q.run(Q.load_graph([graph_files["seed"]], engine="oxigraph"), MEASURES),
                                         "csv")
    assert os.listdir(target.parent) == ["m.csv"]


ORPHAN = """
import sys, time
sys.path.insert(0, {root!r})
import kg.query as Q
from kg.query import engines
execute = engines.OxigraphEngine.execute
def hang(self, parsed):
    real = execute(self, parsed)
    def rows():
        yield from list(real)[1:3]
        time.sleep(3600)
    return Q.QueryResult("select", vars=real.vars, rows=list(real)[:1], stream=rows())
engines.OxigraphEngine.execute = hang
graph = Q.load_graph([{graph!r}], engine="oxigraph")
res = Q.run(graph, {query!r}, timeout=3600)
print(res._stream._proc.pid, flush=True)
time.sleep(3600)
"""


def test_a_parent_killed_takes_its_query_process_with_it(graph_files):
    """`kill -9` of kg (or of whatever called kg.query.run with a timeout) ends the query's child too, instead
    of leaving it to run, or to wait forever on a full pipe that it holds open itself."""
    code = ORPHAN.format(root=str(paths.ROOT), graph=str(graph_files["seed"]), query=MEASURES)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=paths.ROOT)
    child = int(parent.stdout.readline())
    try:
        assert os.path.exists(f"/proc/{child}")
        parent.kill()
        parent.wait()
        for _ in range(200):  # reaped by init once killed; allow a loaded machine some time
            if not os.path.exists(f"/proc/{child}"):
                break
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{child}")
    finally:
        with contextlib.suppress(OSError):  # a failing run leaves nothing behind either
            os.kill(child, signal.SIGKILL)


@pytest.mark.parametrize("timeout", ["30", "0"])
def test_a_reader_that_goes_away_ends_it_quietly(graph_files, timeout):
    """`kg query … | head -1`: the reader closes the pipe after one line; kg stops without a traceback (and
    with its child: the command ends)."""
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    cmd = [sys.executable, "-m", "kg", "query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
           "--graph", str(graph_files["synth"]), "--format", "tsv", "--timeout", timeout]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=paths.ROOT)
    assert proc.stdout.readline().startswith(b"?s\t?p\t?o")
    proc.stdout.close()  # 20k triples: megabytes still to write into a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""
