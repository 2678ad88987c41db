"""The big-corpus path (kg.bulk: record files read, checked and mapped to sorted N-Triples per file, in worker
processes) gives what the reference path gives: load_records + load_sources, then the whole corpus mapped in
one process (kg.store.sorted_ntriples_of) and rdflib's own N-Triples writer, on the seeds and on a synthetic
corpus; the same errors; and an on-disk store loaded in the background holds the graph the exports hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg import bulk, paths, records
from kg.build import build_graph
from kg.bulk import read_corpus
from kg.errors import RecordError, SourceError
from kg.export import to_ntriples
from kg.pipeline import build, write_all
from kg.records import load_records
from kg.sources import load_sources
from kg.store import OxigraphStore, sorted_ntriples_of
from kg.synth import plan_for_triples, synthesize


@pytest.fixture(scope="module")
def synth100k(tmp_path_factory) -> Path:
    """`kg synth --triples 100000` (22 documents, about 100k triples)."""
    out = tmp_path_factory.mktemp("bulk") / "corpus"
    synthesize(plan_for_triples(100_000, seed=1), out)
    return out


def _reference(records_dir: Path, sources_dir):
    corpus = load_records(records_dir, jobs=1)
    sources = load_sources(sources_dir, corpus)
    return corpus, sources, sorted_ntriples_of(corpus, sources=sources)


def test_seeds_give_the_reference_bytes_and_graph(source_dirs):
    corpus, sources, nt = read_corpus(paths.RECORDS, sources_dir=source_dirs)
    ref_corpus, ref_sources, ref_nt = _reference(paths.RECORDS, source_dirs)
    assert corpus == ref_corpus and sources == ref_sources
    assert nt == ref_nt
    graph = build_graph(corpus, sources=sources)
    assert nt == to_ntriples(graph)  # rdflib's writer on the rdflib graph: the same lines, the same order
    assert isomorphic(Graph().parse(data=nt, format="nt"), graph)


def test_a_synthetic_corpus_gives_the_same_bytes_with_or_without_workers(synth100k, monkeypatch):
    ref_corpus, ref_sources, ref_nt = _reference(synth100k / "records", synth100k / "sources")
    assert ref_nt.count(b"\n") > 90_000
    monkeypatch.setattr(records, "PARALLEL_BYTES", 0)  # so jobs=None (one per CPU) uses workers here too
    for jobs, merge_bytes in ((1, bulk.MERGE_BYTES), (2, 100_000), (3, 7_777), (None, 1_000)):
        monkeypatch.setattr(bulk, "MERGE_BYTES", merge_bytes)  # the merge cut into 1 to 10,000 key ranges
        corpus, sources, nt = read_corpus(synth100k / "records", sources_dir=synth100k / "sources", jobs=jobs)
        assert nt == ref_nt, (jobs, merge_bytes)
        assert corpus == ref_corpus and sources == ref_sources
    graph = build_graph(ref_corpus, sources=ref_sources)
    assert set(Graph().parse(data=ref_nt, format="nt")) == set(graph)  # no blank nodes: equal sets = same graph


def _copy(corpus: Path, tmp_path: Path) -> Path:
    out = tmp_path / "c"
    shutil.copytree(corpus, out)
    return out


def _errors(call) -> str:
    with pytest.raises((RecordError, SourceError)) as e:
        call()
    return f"{type(e.value).__name__}: {e.value}"


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_same_errors_as_the_reference_path(synth100k, tmp_path, jobs):
    c = _copy(synth100k, tmp_path)
    files = sorted((c / "records").glob("*.yaml"))
    texts = sorted((c / "sources").glob("*.txt"))
    # a text that is not the one the record was made from, and one record with a bad unit: the record wins
    texts[3].write_text(texts[3].read_text(encoding="utf-8") + "改", encoding="utf-8")
    bad = files[5].read_text(encoding="utf-8").replace('unit: "', 'unit: "no-such-unit-', 1)
    files[5].write_text(bad, encoding="utf-8")

    def ref():
        return _reference(c / "records", c / "sources")

    def fast():
        return read_corpus(c / "records", sources_dir=c / "sources", jobs=jobs)

    first = _errors(fast)
    assert first == _errors(ref) and "no-such-unit" in first
    shutil.copy(synth100k / "records" / files[5].name, files[5])  # now only the altered text
    second = _errors(fast)
    assert second == _errors(ref) and "sha256" in second
    shutil.rmtree(c / "sources")  # no such directory: reported after the records, as before
    assert _errors(fast) == _errors(ref)


def test_an_on_disk_store_holds_what_the_exports_hold(synth100k, tmp_path):
    """oxigraph:PATH loads in the background while the exports are written; the exports are those of the
    in-memory stores, and the store holds the same triples (compared as oxigraph reads them)."""
    outs = {}
    for store in ("rdflib", "oxigraph", f"oxigraph:{tmp_path / 'store'}"):
        result = build(synth100k / "records", sources_dir=synth100k / "sources", store=store, shacl="sample")
        out = tmp_path / f"out{len(outs)}"
        write_all(result, out)
        outs[store] = {name: (out / name).read_bytes() for name in ("shenyang.nt", "shenyang.ttl")}
    assert len({tuple(v.values()) for v in outs.values()}) == 1
    nt = outs["rdflib"]["shenyang.nt"]
    opened = OxigraphStore.open(tmp_path / "store")
    expected = ox.Store()
    expected.bulk_load(nt + opened.ontology_added, format=ox.RdfFormat.N_TRIPLES)  # + the ontology (add_ontology)
    assert set(opened.native.quads_for_pattern(None, None, None, ox.DefaultGraph())) == set(expected)
    assert opened.ontology_added and len(opened) == nt.count(b"\n")


def test_a_background_load_that_fails_is_reported_before_anything_is_written(tmp_path):
    store = OxigraphStore.loading(b"<http://example.org/s> <http://example.org/p> \"unterminated .\n",
                                  tmp_path / "store")
    with pytest.raises(SyntaxError):
        store.ready()
    store.ready()  # reported once
