"""oxigraph's SELECT rows read in bounded memory (kg.query.solutions): the same terms as read one by one across
many 8 kB chunks cut anywhere in a row, the writer held back while nobody reads, stopped when the reader stops,
and the query's errors raised where it is run."""

from __future__ import annotations

import threading
import time

import pytest

from kg import query as Q
from kg.query import solutions as S
from kg.query.prefixes import QUERY_PREFIXES
from kg.query.terms import from_oxigraph

ROWS = 30_000  # ~2.5 MB of TSV: several times the queue's CHUNKS × 8 kB


@pytest.fixture(scope="module")
def store():
    import pyoxigraph as ox

    s = ox.Store()
    p = ox.NamedNode("https://ex.org/p")
    for i in range(ROWS):  # multi-byte characters, escapes and language tags at every offset of a chunk
        s.add(ox.Quad(ox.NamedNode(f"https://ex.org/s{i}"), p,
                      ox.Literal(f"口袋公园{i}\t\"改造\"\n{'é' * (i % 7)}", language="zh" if i % 3 else "en")))
        s.add(ox.Quad(ox.NamedNode(f"https://ex.org/s{i}"), ox.NamedNode("https://ex.org/n"), ox.Literal(i)))
    return s


QUERY = "SELECT ?s ?o ?n WHERE { ?s <https://ex.org/p> ?o OPTIONAL { ?s <https://ex.org/n> ?n } } ORDER BY ?s"


def _producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kg-oxigraph-select"]


def _settle(predicate, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_many_chunks_give_the_terms_read_one_by_one(store):
    run = lambda: store.query(QUERY, prefixes=QUERY_PREFIXES)  # noqa: E731
    convert = S.memoised(from_oxigraph)
    names = [v.value for v in run().variables]
    one_by_one = [dict(zip(names, map(convert, sol))) for sol in run()]
    got_names, first, rest = S.select(run)
    read = [first, *rest]
    assert got_names == names and len(read) == ROWS
    assert [repr(r) for r in read] == [repr(r) for r in one_by_one]
    assert _settle(lambda: not _producers())


def test_the_writer_waits_for_the_reader_and_stops_with_it(store):
    _, first, rest = S.select(lambda: store.query(QUERY, prefixes=QUERY_PREFIXES))
    assert first is not None
    # nobody reads: the writer fills the bounded queue and waits, holding a few chunks, not the whole answer
    assert _settle(lambda: any(t.is_alive() for t in _producers()))
    time.sleep(0.3)
    assert any(t.is_alive() for t in _producers()), "the writer finished without a reader: nothing bounds it"
    assert [next(rest) for _ in range(10)]
    rest.close()  # the reader stops early: the writer stops too
    assert _settle(lambda: not _producers()), "the writer thread outlived its reader"


def test_a_rest_dropped_unread_stops_the_writer(store):
    _, first, rest = S.select(lambda: store.query(QUERY, prefixes=QUERY_PREFIXES))
    assert first is not None and _settle(lambda: any(t.is_alive() for t in _producers()))
    del rest  # the caller wanted the first row only
    assert _settle(lambda: not _producers()), "the writer thread outlived a result nobody read"


def test_errors_are_raised_where_the_query_runs(store):
    with pytest.raises(Q.QuerySyntaxError, match="SPARQL syntax error"):
        S.select(lambda: store.query("SELECT ?s WHERE { ?s ", prefixes=QUERY_PREFIXES))
    names, first, rest = S.select(lambda: store.query("SELECT ?s WHERE { ?s <https://ex.org/none> ?o }"))
    assert names == ["s"] and first is None and list(rest) == []


def test_kg_query_run_streams_a_large_answer_in_order(store):
    res = Q.run(store, QUERY)
    rows = list(res)
    assert len(rows) == ROWS and rows[0]["s"] < rows[-1]["s"]
    assert [str(r["s"]) for r in rows] == sorted(str(r["s"]) for r in rows)


def test_writers_still_running_at_exit_are_stopped_before_the_interpreter_goes(store):
    """`kg query … | head -1`: the reader is gone with the writer mid-answer. The exit hook stops and waits for
    it: a Rust thread calling back into a shut-down interpreter panics with a message on stderr."""
    _, first, rest = S.select(lambda: store.query(QUERY, prefixes=QUERY_PREFIXES))
    assert first is not None and next(rest)
    assert _settle(lambda: any(t.is_alive() for t in _producers()))
    S._stop_at_exit()  # what atexit runs
    assert not any(t.is_alive() for t in _producers()), "a writer outlived the exit hook"

