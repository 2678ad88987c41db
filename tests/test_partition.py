"""Growing answers streamed in partitions (kg.query.partition): the batches' rows, concatenated, are the rows of
the single sorted query — same columns, values and order — on the seeds and on a synthetic corpus, with and
without parameters, with an unbound and a descending first key. Speed is measured in benchmarks/."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import RDF, XSD

from kg import paths
from kg.namespaces import SY
from kg import query as Q
from kg.query import partition as P
from kg.records import load_records
from kg.sources import load_sources
from kg.store import build_store
from kg.synth import Plan, synthesize

OPTED_IN = ["at-least", "goal-tree", "measures-by-district", "provenance-audit", "targets-by-district",
            "unquantified-measures", "plan-vs-outcome"]
BEFORE = Path(__file__).parent / "queries_before"


@pytest.fixture(scope="module")
def ntriples(seed_graph, tmp_path_factory):
    """The N-Triples of the seeds and of two made-up cities over three years (two documents a year)."""
    out = tmp_path_factory.mktemp("partition") / "corpus"
    synthesize(Plan(cities=2, years=3, seed=5), out)
    corpus = load_records(out / "records")
    synth = build_store(corpus, sources=load_sources(out / "sources", corpus), store="rdflib")
    return {"seed": seed_graph.serialize(format="nt", encoding="utf-8"), "synth": synth.ntriples()}


def _stores(ntriples, where=None):
    """pyoxigraph Stores (with the ontology) of each graph: in memory, or on disk under `where`."""
    import pyoxigraph as ox

    from kg.store import add_ontology

    made = {}
    for name, nt in ntriples.items():
        store = ox.Store() if where is None else ox.Store(str(where / name))
        store.load(nt, format=ox.RdfFormat.N_TRIPLES)
        add_ontology(store)
        made[name] = store
    return made


@pytest.fixture(scope="module")
def stores(ntriples):
    return _stores(ntriples)


@pytest.fixture(scope="module")
def disk_stores(ntriples, tmp_path_factory):
    return _stores(ntriples, tmp_path_factory.mktemp("on-disk"))


def _run(monkeypatch, store, query, params=None, mode="2", rest="8"):
    monkeypatch.setenv("KG_PARTITION", mode)
    monkeypatch.setenv("KG_PARTITION_REST", rest)
    result = Q.run(store, query, params)
    return result.vars, list(result)


def _batches(monkeypatch, store, query, params=None) -> int:
    """How many queries the partitioned run makes (0: not partitioned)."""
    from kg.query import engines

    calls = []
    execute = engines.OxigraphEngine.execute
    monkeypatch.setattr(engines.OxigraphEngine, "execute", lambda self, parsed: calls.append(parsed) or
                        execute(self, parsed))
    monkeypatch.setenv("KG_PARTITION", "2")
    monkeypatch.setenv("KG_PARTITION_REST", "0")
    text = query.text if isinstance(query, Q.CannedQuery) else query
    bound_text, bound = Q.bind_params(store, text, params, getattr(query, "params", ()))
    result = P.run_partitioned(engines.OxigraphEngine(store), text, bound_text, bound)
    if result is not None:
        result.rows  # noqa: B018 - reads every batch
    monkeypatch.undo()
    return 0 if result is None else len(calls) - 1  # the listing


@pytest.mark.parametrize("corpus", ["seed", "synth"])
@pytest.mark.parametrize("name", OPTED_IN)
def test_partitioned_rows_are_the_single_querys_rows(monkeypatch, stores, corpus, name):
    store = stores[corpus]
    query = Q.canned(name)
    assert P.declared(query.text)
    whole = _run(monkeypatch, store, query, mode="0")
    assert len(whole[1]) > 0, name
    for mode in ("1", "2", "3"):  # one group a batch, and batches growing by 2 and 3
        for rest in ("0", "2", "8"):  # batches to the end; the rest in one query after half, an eighth
            assert _run(monkeypatch, store, query, mode=mode, rest=rest) == whole, (name, mode, rest)
    assert _batches(monkeypatch, store, query) > 1, name  # it did run in batches


@pytest.mark.parametrize("corpus", ["seed", "synth"])
@pytest.mark.parametrize("name, params, partitioned", [
    ("at-least", {"year": "2023"}, True),             # the year's node is the parameter: documents in batches
    ("unquantified-measures", {"year": "2023"}, True),
    ("plan-vs-outcome", {"year": "2023"}, True),      # categories (of outcomes) in batches, one year in each
    ("plan-vs-outcome", {"category": "gdp-growth"}, False),
    ("provenance-audit", {"year": "2023"}, True),     # documents in batches, one year in each
    ("goal-tree", {"year": "2023"}, True),            # the year (first key) is one value: documents in batches
    ("targets-by-district", {"district": "浑南区"}, False),
    ("measures-by-district", {"district": "浑南区"}, False),
])
def test_a_parameter_combines_with_the_partition_or_skips_it(monkeypatch, stores, corpus, name, params, partitioned):
    store = stores[corpus]
    if corpus == "synth":  # the made-up cities have their own districts and years
        if "district" in params:
            params = {"district": str(Q.run(store, "SELECT ?n WHERE { ?d a sy:District ; rdfs:label ?n "
                                                   "FILTER(LANG(?n) = 'zh') } ORDER BY ?n LIMIT 1").rows[0]["n"])}
        if "year" in params:
            params = {"year": str(Q.run(store, "SELECT (MIN(?y) AS ?m) WHERE { ?d a sy:Document ; sy:year/"
                                               "time:inXSDgYear ?y }").rows[0]["m"])[:4]}
    query = Q.canned(name)
    whole = _run(monkeypatch, store, query, params, mode="0")
    assert _run(monkeypatch, store, query, params, mode="1", rest="0") == whole
    assert _run(monkeypatch, store, query, params) == whole
    assert (_batches(monkeypatch, store, query, params) > 0) == partitioned


def _years(store) -> list[str]:
    return [str(r["y"]) for r in Q.run(store, "SELECT DISTINCT ?y WHERE { ?s a sy:Target ; sy:year/time:hasBeginning/"
                                              "time:inXSDDate ?d BIND(YEAR(?d) AS ?y) } ORDER BY ?y").rows]


@pytest.mark.parametrize("corpus", ["seed", "synth"])
def test_one_year_streams_document_by_document_on_disk_only(monkeypatch, stores, disk_stores, corpus):
    """targets-by-year (`# partition-on: disk`): on a store on disk its year's documents in batches, the year's
    parameter closing the WHERE group (kg.query.partition.params_closing); in memory the single query. Every
    year of the graph: the same rows in the same order as the single query, in memory and on disk."""
    query = Q.canned("targets-by-year")
    assert P.only_on_disk(query.text) and not P.only_on_disk(Q.canned("provenance-audit").text)
    for year in _years(stores[corpus]):
        params = {"year": year}
        whole = _run(monkeypatch, stores[corpus], query, params, mode="0")
        assert _run(monkeypatch, disk_stores[corpus], query, params, mode="0") == whole
        for mode in ("1", "2"):
            for rest in ("0", "8"):
                assert _run(monkeypatch, disk_stores[corpus], query, params, mode=mode, rest=rest) == whole
        assert _batches(monkeypatch, disk_stores[corpus], query, params) > 1, year
        assert _batches(monkeypatch, stores[corpus], query, params) == 0, year


def test_one_year_is_ordered_by_document_then_offset(monkeypatch, stores, seed_graph):
    """The rows of one year come document by document (by identifier), each in the order of its text: the rows
    of the query before (ordered by offset across documents), in that order; rdflib's on the seeds."""
    graph = seed_graph + Q.load_graph([paths.ONTOLOGY], engine="rdflib", ontology=False)
    before = Q.canned("targets-by-year", BEFORE)
    moved = 0
    for corpus, store in stores.items():
        for year in _years(store):
            got = _run(monkeypatch, store, Q.canned("targets-by-year"), {"year": year}, mode="0")
            old = _run(monkeypatch, store, before, {"year": year}, mode="0")
            text = Q.canned("targets-by-year").text.replace("SELECT ?year", "SELECT ?document ?start ?s ?year")
            keyed = Q.run(store, text[:text.index("ORDER BY")], {"year": year}).rows  # unsorted, with the keys
            keyed.sort(key=lambda r: (int(r["year"]), str(r["document"]), int(r["start"]), str(r["s"])))
            assert [{k: r[k] for k in got[0]} for r in keyed] == got[1]
            key = lambda row: tuple(sorted((k, str(v)) for k, v in row.items()))  # noqa: E731
            assert sorted(map(key, got[1])) == sorted(map(key, old[1]))
            moved += got[1] != old[1]
            if corpus == "seed":
                want = Q.run(graph, Q.canned("targets-by-year"), {"year": year})
                assert got == (want.vars, want.rows), year
    assert moved  # two documents of a year whose targets' offsets interleave: a new order


def test_the_rewritten_goal_tree_gives_the_old_rows(monkeypatch, stores):
    """goal-tree counts statements and ancestors per document (so a batch of documents is counted alone): the
    rows of the query it replaced, on both corpora, and rdflib's rows on the seeds."""
    for store in stores.values():
        assert _run(monkeypatch, store, Q.canned("goal-tree"), mode="0") == \
            _run(monkeypatch, store, Q.canned("goal-tree", BEFORE), mode="0")


def test_rdflib_gives_the_rows_of_the_partitioned_queries(monkeypatch, stores, seed_graph):
    graph = seed_graph + Q.load_graph([paths.ONTOLOGY], engine="rdflib", ontology=False)
    for name in OPTED_IN:
        want = Q.run(graph, Q.canned(name))
        assert _run(monkeypatch, stores["seed"], Q.canned(name)) == (want.vars, want.rows), name


# an ad-hoc query declaring its own partition: a first key that is unbound for some documents, and DESC
UNBOUND = """# title: documents by a key some lack
# partition: ?d { ?d a sy:Document OPTIONAL { ?d dcterms:identifier ?k FILTER(CONTAINS(?k, "2023")) } }
SELECT ?k ?d ?x WHERE {
  ?x prov:hadPrimarySource ?d . ?d a sy:Document .
  OPTIONAL { ?d dcterms:identifier ?k FILTER(CONTAINS(?k, "2023")) }
}
ORDER BY %s ?d ?x
"""


@pytest.mark.parametrize("order", ["?k", "DESC(?k)", "ASC(?k)"])
@pytest.mark.parametrize("corpus", ["seed", "synth"])
def test_an_unbound_or_descending_first_key(monkeypatch, stores, corpus, order):
    store = stores[corpus]
    query = UNBOUND % order
    whole = _run(monkeypatch, store, query, mode="0")
    keys = [row["k"] for row in whole[1]]
    assert None in keys and any(k is not None for k in keys)  # both kinds of rows
    assert (keys[0] is None) == (order != "DESC(?k)")  # unbound sorts first
    for mode in ("1", "2"):
        for rest in ("0", "2"):
            assert _run(monkeypatch, store, query, mode=mode, rest=rest) == whole
    assert _batches(monkeypatch, store, query) > 1


@pytest.mark.parametrize("change, partitioned", [
    (lambda q: q + "LIMIT 5", False),
    (lambda q: q + "OFFSET 2", False),
    (lambda q: q.replace("SELECT ?k ?d ?x", "SELECT DISTINCT ?k ?d"), True),   # the node is projected
    (lambda q: q.replace("SELECT ?k ?d ?x", "SELECT DISTINCT ?k"), False),     # it is not
    (lambda q: q.replace("SELECT ?k ?d ?x", "SELECT ?k ?d (COUNT(?x) AS ?n)").replace("ORDER BY", "GROUP BY ?k ?d "
                                                                                      "ORDER BY"), True),
    (lambda q: q.replace("SELECT ?k ?d ?x", "SELECT (COUNT(?x) AS ?n)").replace("ORDER BY ?k ?d ?x", ""), False),
    (lambda q: q.replace("ORDER BY ?k", "ORDER BY STR(?x) ?k"), False),  # the first key is not the partition's
])
def test_what_could_change_the_answer_runs_whole(monkeypatch, stores, change, partitioned):
    store = stores["seed"]
    query = change(UNBOUND % "?k")
    assert (_batches(monkeypatch, store, query) > 0) == partitioned
    assert _run(monkeypatch, store, query, mode="2") == _run(monkeypatch, store, query, mode="0")


def test_keys_that_may_sort_equal_share_a_batch():
    one, one_dec, two = Literal("1", datatype=XSD.integer), Literal("1.0", datatype=XSD.decimal), Literal(2)
    rows = [{"n": "a", "k": None}, {"n": "b", "k": None}, {"n": "c", "k": one}, {"n": "d", "k": one_dec},
            {"n": "e", "k": two}]
    assert P.groups(rows, ["n"], ["k"]) == [[("a",), ("b",)], [("c",), ("d",)], [("e",)]]
    assert P.groups(rows + [{"n": "a", "k": two}], ["n"], ["k"]) is None  # a node with two keys: no partition


def test_under_a_timeout_the_query_runs_in_partitions_too(monkeypatch, stores, tmp_path):
    """A timeout runs the query in a child that hands its rows over in batches as they come (kg.query.piped):
    the partitions run there as they do in-process, the same queries and rows (counted in a file: the child's
    calls are not the parent's)."""
    from kg.query import engines

    log = tmp_path / "calls"
    execute = engines.OxigraphEngine.execute

    def counted(self, parsed):
        with log.open("a") as fh:
            fh.write("x")
        return execute(self, parsed)

    monkeypatch.setattr(engines.OxigraphEngine, "execute", counted)
    monkeypatch.setenv("KG_PARTITION", "2")
    monkeypatch.setenv("KG_PARTITION_REST", "0")
    query = Q.canned("provenance-audit")
    streamed = Q.run(stores["synth"], query).rows
    batches = len(log.read_text())
    log.write_text("")
    assert Q.run(stores["synth"], query, timeout=60).rows == streamed
    assert batches > 1 and len(log.read_text()) == batches


def test_a_small_graph_runs_whole_unless_kg_partition_asks(monkeypatch, ntriples, stores):
    """Fewer than SMALL_DOCUMENTS documents (the seeds) run whole by default, as many (the same graph with
    more documents) run in batches, the same rows; KG_PARTITION set partitions the small graph too."""
    import pyoxigraph as ox

    from kg.query import engines
    from kg.store import add_ontology

    query = Q.canned("provenance-audit")

    def partitioned(store) -> bool:
        bound_text, bound = Q.bind_params(store, query.text, None, query.params)
        return P.run_partitioned(engines.OxigraphEngine(store), query.text, bound_text, bound) is not None

    monkeypatch.delenv("KG_PARTITION", raising=False)
    small = stores["seed"]
    documents = len(Q.run(small, "SELECT ?d WHERE { ?d a sy:Document }").rows)
    assert 0 < documents < P.SMALL_DOCUMENTS
    assert not partitioned(small)
    big = ox.Store()
    big.load(ntriples["seed"], format=ox.RdfFormat.N_TRIPLES)
    add_ontology(big)
    for i in range(P.SMALL_DOCUMENTS - documents):  # documents without statements: the same rows
        big.add(ox.Quad(ox.NamedNode(f"https://example.org/document/{i}"), ox.NamedNode(str(RDF.type)),
                        ox.NamedNode(str(SY.Document))))
    assert partitioned(big)
    assert Q.run(big, query).rows == Q.run(small, query).rows
    monkeypatch.setenv("KG_PARTITION", "2")
    assert partitioned(small)
