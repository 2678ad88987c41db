"""One graph instead of the union of graphs (issue 17, goal 3).

kg's oxigraph engine reads an on-disk store's default graph alone when the store has no named graph
(kg.query.engines.union_needed), and `kg build --store oxigraph:DIR` keeps the ontology in the default graph
beside the data, recording which triples it added (kg.store.add_ontology, ONTOLOGY_RECORD). These tests hold
that to the reference: every canned query gives the rows of the union of graphs and of a store in the layout
older kg wrote (data in the default graph, the ontology in a named graph: still read as the union), on the
seeds and a synthetic corpus (rdflib's rows: tests/test_scale.py); the data alone is still what a store's length and class counts
report; no triple is repeated in any union.
"""

from __future__ import annotations

import pytest
from rdflib import Graph

from kg import paths
from kg import query as Q
from kg.namespaces import ONTOLOGY_IRI
from kg.query import engines
from kg.records import load_records
from kg.sources import load_sources
from kg.store import ONTOLOGY_RECORD, OxigraphStore, RdflibStore, add_ontology, build_store, sort_ntriples
from kg.synth import Plan, synthesize

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _ox():
    import pyoxigraph as ox

    return ox


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """Two made-up cities over three years (reviews report outcomes of the years before)."""
    out = tmp_path_factory.mktemp("layout") / "corpus"
    synthesize(Plan(cities=2, years=3, seed=5), out)
    return out


@pytest.fixture(scope="module", params=["seed", "synth"])
def data(request, built, synth):
    """(which, corpus, the graph's sorted N-Triples, an rdflib Graph of data + ontology)."""
    if request.param == "seed":
        corpus, nt = built.corpus, built.store.ntriples()
    else:
        corpus = load_records(synth / "records")
        nt = build_store(corpus, sources=load_sources(synth / "sources", corpus), store="rdflib").ntriples()
    reference = Graph().parse(data=nt, format="nt") + Graph().parse(paths.ONTOLOGY)
    return request.param, corpus, nt, reference


def _params(name: str, which: str, corpus) -> dict[str, str]:
    """Parameters that exist in the corpus (the canned defaults name Shenyang's years)."""
    if which == "seed":
        return {}
    years = sorted({r.document.year for r in corpus.records})
    return {"compare-years": {"from": str(years[0]), "to": str(years[-1])},
            "plan-vs-outcome": {"year": str(years[0])}, "indicators": {"year": str(years[-1])},
            "targets-by-year": {"year": str(years[-1])}}.get(name, {})


def _one_graph(nt: bytes, path=None):
    """Data and ontology in the default graph (what `kg build --store` and `kg query`'s cache make)."""
    ox = _ox()
    store = ox.Store(str(path)) if path else ox.Store()
    store.load(nt, format=ox.RdfFormat.N_TRIPLES)
    add_ontology(store)
    return store


def _older_layout(nt: bytes, path=None):
    """The data in the default graph and the ontology in its named graph, as kg wrote stores before."""
    ox = _ox()
    store = ox.Store(str(path)) if path else ox.Store()
    store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    store.bulk_load(path=str(paths.ONTOLOGY), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_IRI)))
    return store


def _answer(result) -> tuple:
    """A result comparable across engines: rows as sorted (term type, lexical form, datatype, language) tuples
    (an ORDER BY leaves the order of ties to the engine), triples as a set, or the boolean."""
    if result.kind == "select":
        return result.kind, tuple(result.vars), sorted(tuple((k, repr(v)) for k, v in sorted(r.items()))
                                                       for r in result.rows)
    if result.kind == "ask":
        return result.kind, result.boolean
    return result.kind, sorted(set(map(repr, result.triples)))


def test_a_store_is_read_as_its_default_graph_only_on_disk_without_named_graphs(tmp_path):
    ox = _ox()
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.NamedNode("urn:b")))
    assert engines.union_needed(store)  # in memory oxigraph reads the union faster: kept
    disk = ox.Store(str(tmp_path / "disk"))
    disk.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.NamedNode("urn:b")))
    assert not engines.union_needed(disk)
    disk.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.NamedNode("urn:c"), ox.NamedNode("urn:g")))
    assert engines.union_needed(disk)  # a named graph: the union is not the default graph
    older = _older_layout(b"<urn:a> <urn:p> <urn:b> .\n", tmp_path / "old")
    older.flush()
    del older
    assert engines.union_needed(OxigraphStore.open(tmp_path / "old").native)
    nt = tmp_path / "g.nt"
    nt.write_bytes(b"<urn:a> <urn:p> <urn:b> .\n")
    cached = Q.load_graph([nt], engine="oxigraph")  # kg query's on-disk cache of the files (+ the ontology)
    assert list(cached.named_graphs()) == [] and not engines.union_needed(cached)
    assert engines.union_needed(Q.load_graph([nt], engine="oxigraph", cache=False))  # in memory


def test_every_canned_query_gives_the_union_rows_from_the_default_graph(data, monkeypatch, tmp_path):
    """The same rows three ways: the default graph alone (as kg now reads a store without named graphs), the
    union of the same store's graphs, and a store of the older layout (read as the union). That the one-graph
    store gives rdflib's rows for every canned query is test_scale.py's
    test_every_canned_query_answers_the_same_on_both_backends (seeds and a synthetic corpus, add_ontology)."""
    which, corpus, nt, _ = data
    one, older = _one_graph(nt, tmp_path / "one"), _older_layout(nt)  # one: on disk, read as its default graph
    assert not engines.union_needed(one) and engines.union_needed(older)
    queries = Q.canned_queries()
    assert len(queries) >= 15
    nonempty = 0
    for name, canned in sorted(queries.items()):
        params = _params(name, which, corpus)
        default = Q.run(one, canned, params)
        rows = list(default) if default.kind == "select" else None  # streamed: read them all once
        assert rows is None or len(rows) == len(default.rows)
        want = _answer(default)
        assert _answer(Q.run(older, canned, params)) == want, name
        with monkeypatch.context() as m:
            m.setattr(engines, "union_needed", lambda store: True)
            assert _answer(Q.run(one, canned, params)) == want, name
        nonempty += bool(default.rows or default.triples or default.boolean)
    assert nonempty >= len(queries) - 3  # not vacuous (has-outcomes and city-vs-nation may be empty)


def test_the_ontology_is_added_once_and_only_what_the_store_lacks():
    """A triple the data already holds is not added again (nor recorded): every union counts each triple once,
    as rdflib's graph of data + ontology does."""
    ox = _ox()
    ontology = Graph().parse(paths.ONTOLOGY)
    shared = next(iter(sorted(ontology)))
    data = Graph()
    data.add(shared)
    data.add((shared[0], shared[1], type(shared[0])("https://example.org/not-in-the-ontology")))
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    added = add_ontology(store)
    assert added.count(b"\n") == len(ontology) - 1 and added == sort_ntriples(added)
    assert set(Graph().parse(data=added, format="nt")) == set(ontology) - {shared}
    for union in (True, False):
        (n,) = store.query(COUNT_ALL, use_default_graph_as_union=union)
        assert int(n["n"].value) == len(ontology + data) == len(ontology) + 1
    assert add_ontology(store) == b""  # a second time adds nothing


def test_a_built_store_holds_data_and_ontology_in_one_graph_and_reports_the_data(runner, tmp_path, synth):
    """`kg build --store oxigraph:DIR`: one graph (no named graph), the ontology's triples recorded; the
    store's length and class counts are the data's (as the N-Triples export and the rdflib build say), the
    build prints the same counts as an rdflib build, and every canned query gives the N-Triples file's rows."""
    from kg.cli import cli

    ox = _ox()
    store_dir, out, ref = tmp_path / "store", tmp_path / "out", tmp_path / "ref"
    args = ["build", "--records", str(synth / "records"), "--sources", str(synth / "sources"), "--shacl", "sample"]
    built = runner.invoke(cli, args + ["--out", str(out), "--store", f"oxigraph:{store_dir}"])
    assert built.exit_code == 0, built.output
    plain = runner.invoke(cli, args + ["--out", str(ref), "--store", "rdflib"])
    assert plain.exit_code == 0, plain.output
    counts = [line for line in built.output.splitlines() if line.startswith("  ")]
    assert counts and counts == [line for line in plain.output.splitlines() if line.startswith("  ")]
    assert built.output.splitlines()[0] == plain.output.splitlines()[0]  # "N triples from …"
    nt = (out / "shenyang.nt").read_bytes()
    assert nt == (ref / "shenyang.nt").read_bytes()

    opened = OxigraphStore.open(store_dir)
    native = opened.native
    assert list(native.named_graphs()) == [] and not engines.union_needed(native)
    record = (store_dir / ONTOLOGY_RECORD).read_bytes()
    ontology = sort_ntriples(ox.serialize(ox.parse(path=str(paths.ONTOLOGY), format=ox.RdfFormat.TURTLE),
                                          format=ox.RdfFormat.N_TRIPLES))
    assert record == opened.ontology_added == ontology  # the data holds no triple of the ontology
    expected = ox.Store()
    expected.bulk_load(nt + record, format=ox.RdfFormat.N_TRIPLES)
    assert set(native) == set(expected)
    assert len(opened) == nt.count(b"\n")
    assert opened.class_counts() == RdflibStore(None, ntriples=nt, make=lambda: None).class_counts()
    for union in (True, False):
        (n,) = native.query(COUNT_ALL, use_default_graph_as_union=union)
        assert int(n["n"].value) == nt.count(b"\n") + record.count(b"\n")

    on_disk = Q.load_graph([store_dir], engine="oxigraph")
    from_file = Q.load_graph([out / "shenyang.nt"], engine="oxigraph", cache=False)
    corpus = load_records(synth / "records")
    for name, canned in sorted(Q.canned_queries().items()):
        params = _params(name, "synth", corpus)
        assert _answer(Q.run(on_disk, canned, params)) == _answer(Q.run(from_file, canned, params)), name


def test_a_store_of_the_older_layout_is_still_read_right(tmp_path, synth, data):
    """A store an older kg built (the ontology in a named graph, no record): read as the union, its length
    and class counts the data's."""
    which, corpus, nt, _ = data
    older = _older_layout(nt, tmp_path / "old")
    older.flush()
    del older
    opened = OxigraphStore.open(tmp_path / "old")
    assert opened.ontology_added == b"" and engines.union_needed(opened.native)
    assert len(opened) == nt.count(b"\n")
    assert opened.class_counts() == RdflibStore(None, ntriples=nt, make=lambda: None).class_counts()
    one = _one_graph(nt)
    for name in ("targets-by-year", "facilities-by-type", "category-values"):
        canned, params = Q.canned(name), _params(name, which, corpus)
        assert _answer(Q.run(opened.native, canned, params)) == _answer(Q.run(one, canned, params)), name


def test_kg_serve_answers_a_one_graph_store_as_the_older_layout(tmp_path, data):
    """kg serve on an on-disk store: a query without a dataset clause sees data + ontology either way, and
    `default-graph-uri=…/id/dataset` still narrows a query of the data's classes to the data."""
    import json

    from kg.namespaces import PREFIXES
    from kg.serve.engine import QueryRequest, execute

    which, corpus, nt, reference = data
    ox = _ox()
    new = ox.Store(str(tmp_path / "new"))
    new.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    add_ontology(new)
    old = _older_layout(nt, tmp_path / "old")

    def count(store, query, default_graphs=()):
        reply = execute(store, QueryRequest(query, "json", None, 10, list(default_graphs)), PREFIXES)
        assert reply.status == 200, reply.body
        return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])

    for query in (COUNT_ALL, "SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l }",
                  "SELECT (COUNT(*) AS ?n) WHERE { ?s a sy:QuantifiedStatement ; sy:value ?v }",
                  "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c . ?c rdfs:subClassOf* sy:Measure }"):
        assert count(new, query) == count(old, query), query
    assert count(new, COUNT_ALL) == len(reference)  # each triple once
    statements = "SELECT (COUNT(*) AS ?n) WHERE { ?s a sy:QuantifiedStatement ; sy:value ?v }"
    assert count(new, statements, [""]) == count(old, statements, [""]) == count(old, statements) > 0
