"""Parameterised canned queries on the fast path (oxigraph in memory and the on-disk store kg query keeps) give
the rows of rdflib for every value of their parameters, on the seeds and on a made-up corpus; oxigraph's rows
read from its TSV results are the terms read one by one; bad values fail alike on both engines."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal

from kg import paths
from kg import query as Q
from kg.query.solutions import memoised, select
from kg.query.terms import from_oxigraph
from kg.records import load_records
from kg.sources import load_sources
from kg.store import add_ontology, build_store
from kg.synth import plan_for_triples, synthesize


#: The comparators of a statement ?x, and its measure's label, as the queries had them.
_COMPARATOR_BEFORE = """\
  # the comparator(s) as text: a change and/or a bound, "increase-by+at-least" when both
  OPTIONAL { ?x sy:comparator ?change . VALUES (?change ?change_key) { (sy:IncreaseBy "increase-by") (sy:DecreaseBy "decrease-by") } }
  OPTIONAL { ?x sy:comparator ?bound .
             VALUES (?bound ?bound_key) { (sy:Exactly "exactly") (sy:AtLeast "at-least") (sy:AtMost "at-most")
                                          (sy:Approximately "approximately") } }
  BIND(CONCAT(COALESCE(?change_key, ""), IF(BOUND(?change_key) && BOUND(?bound_key), "+", ""),
              COALESCE(?bound_key, "")) AS ?comparator)
  OPTIONAL { ?m rdfs:label ?measure FILTER(LANG(?measure) = "zh") }
"""
#: The queries as they were written before they were shaped for oxigraph's planner (comparators joined with a
#: table of names, the year's first day looked up for every row): the reference the shaped ones must answer alike.
BEFORE = {
    "targets-by-year": """\
SELECT ?year ?goal ?measure ?value ?unit ?comparator ?as_written ?category
WHERE {
  ?s a sy:Target ;
     sy:year ?year_node ;
     sy:measure ?m ;
     sy:value ?value ;
     sy:unit ?u ;
     sy:asWritten ?as_written ;
     prov:wasDerivedFrom/oa:hasSelector/oa:start ?start .
  ?year_node time:hasBeginning/time:inXSDDate ?begins .
  BIND(YEAR(?begins) AS ?year)
""" + _COMPARATOR_BEFORE.replace("?x", "?s") + """  OPTIONAL { ?m sy:underGoal ?g OPTIONAL { ?g rdfs:label ?goal FILTER(LANG(?goal) = "zh") } }
  OPTIONAL { ?m sy:category ?c OPTIONAL { ?c skos:prefLabel ?category FILTER(LANG(?category) = "zh") } }
  OPTIONAL { ?u rdfs:label ?unit FILTER(LANG(?unit) = "zh") }
}
ORDER BY ?year ?start ?s
""",
    "category-values": """\
SELECT ?category ?year ?kind ?measure_category ?measure ?value ?unit ?comparator ?as_written ?statement
WHERE {
  ?m sy:category ?measure_category .
  ?measure_category skos:broader* ?category .
  ?statement sy:measure ?m ;
     a ?class ;
     sy:value ?value ;
     sy:unit ?u ;
     sy:asWritten ?as_written ;
     sy:year/time:hasBeginning/time:inXSDDate ?begins .
  VALUES (?class ?kind) { (sy:Target "target") (sy:Outcome "outcome") }
  BIND(YEAR(?begins) AS ?year)
""" + _COMPARATOR_BEFORE.replace("?x", "?statement") + """  OPTIONAL { ?u rdfs:label ?unit FILTER(LANG(?unit) = "zh") }
}
ORDER BY ?category ?year ?unit ?value ?statement
""",
}


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict[str, Q.CannedQuery]:
    """The canned queries with their headers (parameters) and the bodies of BEFORE."""
    d = tmp_path_factory.mktemp("before")
    for name, body in BEFORE.items():
        text = Q.canned(name).text
        (d / f"{name}.rq").write_text(text[:text.index("SELECT")] + body, encoding="utf-8")
    return {name: Q.canned(name, d) for name in BEFORE}


@pytest.fixture(scope="module")
def synth_graph(tmp_path_factory) -> Graph:
    """`kg synth --triples 20000 --seed 1` built on the rdflib backend, with the ontology (as kg query sees it)."""
    out = tmp_path_factory.mktemp("params") / "corpus"
    synthesize(plan_for_triples(20_000, seed=1), out)
    corpus = load_records(out / "records")
    return build_store(corpus, sources=load_sources(out / "sources", corpus), store="rdflib").native


@pytest.fixture(scope="module", params=["seed", "synth"])
def engines(request, seed_graph, synth_graph, tmp_path_factory):
    """(rdflib Graph with the ontology, oxigraph in memory, the on-disk store `kg query` opens) of one graph."""
    import pyoxigraph as ox

    data = seed_graph if request.param == "seed" else synth_graph
    reference = Graph()
    reference += data
    reference += Graph().parse(paths.ONTOLOGY)
    nt = data.serialize(format="nt", encoding="utf-8")
    memory = ox.Store()
    memory.load(nt, format=ox.RdfFormat.N_TRIPLES)
    add_ontology(memory)
    f = tmp_path_factory.mktemp("g") / "g.nt"
    f.write_bytes(nt)
    disk = Q.load_graph([f], engine="oxigraph")  # the cached, compacted on-disk store
    return request.param, reference, memory, disk


def _values(graph: Graph, query: str) -> list[str]:
    return sorted({str(r[0]) for r in graph.query(query)})


def _param_values(reference: Graph) -> dict[str, list[dict[str, str]]]:
    """Every year of the graph; categories broad and narrow, by key and by label; a few districts."""
    years = _values(reference, "PREFIX sy: <https://w3id.org/shenyang-policy/ontology#> "
                               "PREFIX time: <http://www.w3.org/2006/time#> SELECT (YEAR(?d) AS ?y) "
                               "WHERE { ?s a sy:Target ; sy:year/time:hasBeginning/time:inXSDDate ?d }")
    used = _values(reference, "PREFIX sy: <https://w3id.org/shenyang-policy/ontology#> "
                              "SELECT ?c WHERE { ?m sy:category ?c }")
    categories = [c.rsplit("/", 1)[-1] for c in used[:6]] + ["urban-renewal", "口袋公园"]
    districts = _values(reference, "PREFIX sy: <https://w3id.org/shenyang-policy/ontology#> "
                                   "SELECT ?d WHERE { ?m sy:district ?d }")[:4]
    return {"targets-by-year": [{"year": y} for y in years],
            "category-values": [{"category": c} for c in categories],
            "targets-by-district": [{"district": d.rsplit("/", 1)[-1]} for d in districts] + [{"district": "浑南区"}]}


def test_parameterised_queries_give_the_rows_of_rdflib(engines, before):
    """Each value on the fast engines and rdflib, and the queries as written before on rdflib: the same rows in
    the same order."""
    which, reference, memory, disk = engines
    checked = nonempty = 0
    comparators = set()
    for name, runs in _param_values(reference).items():
        canned = Q.canned(name)
        for params in runs:
            try:
                expected = Q.run(reference, canned, params)
            except Q.ParamError as e:  # a category or district this graph does not have: the same error
                for fast in (memory, disk):
                    with pytest.raises(Q.ParamError) as got:
                        Q.run(fast, canned, params)
                    assert str(got.value) == str(e)
                continue
            if name in before:
                assert Q.run(reference, before[name], params).rows == expected.rows, (which, name, params)
            for fast in (memory, disk):
                got = Q.run(fast, canned, params)
                assert got.vars == expected.vars, (name, params)
                assert got.rows == expected.rows, (which, name, params)
                for row in got.rows:
                    _assert_made_as_rdflib_makes_them(row.values())
            checked += 1
            nonempty += len(expected.rows) > 0
            comparators |= {str(r["comparator"]) for r in expected.rows if "comparator" in r}
    assert checked >= 8 and nonempty >= 6  # not vacuous: years, categories and districts with rows
    assert {"exactly", "at-least"} <= comparators, comparators


def _assert_made_as_rdflib_makes_them(terms) -> None:
    """Literals kg.query makes without rdflib's constructor (kg.query.terms._made) equal the constructor's in
    every slot: lexical form, language, datatype, Python value, ill-typed flag."""
    slots = {s for cls in Literal.__mro__ for s in getattr(cls, "__slots__", ())}
    for t in terms:
        if isinstance(t, Literal):
            ref = Literal(str(t), lang=t.language, datatype=t.datatype)
            assert type(t) is type(ref) and str(t) == str(ref), repr(t)
            assert {s: repr(getattr(t, s)) for s in slots} == {s: repr(getattr(ref, s)) for s in slots}, repr(t)


def test_bad_parameter_values_fail_alike(engines):
    _, reference, memory, disk = engines
    for name, params, message in [("targets-by-year", {"year": "1999"}, "no year '1999'"),
                                  ("targets-by-year", {"year": "twenty"}, "no year 'twenty'"),
                                  ("category-values", {"category": "pocket-park"}, "did you mean pocket-parks"),
                                  ("targets-by-year", {"district": "浑南"}, "unknown parameter district")]:
        errors = []
        for g in (reference, memory, disk):
            with pytest.raises(Q.ParamError, match=message) as e:
                Q.run(g, Q.canned(name), params)
            errors.append(str(e.value))
        assert errors[0] == errors[1] == errors[2]


# --------------------------------------------------------------------------------------------------------------
# oxigraph's rows read from its TSV results


NASTY = ['tab\there', 'line\nbreak\r\n', 'quote " and \\ backslash', '\\u0041 stays as written', '\x01\x7f\x08\x0c',
         '"@zh" at the end', 'ends with a quote"', '', ' ', '浑南区', '\u2028\u0085', 'emoji 🏞', '\\', '"', '^^<x>']


def _torture_store():
    import pyoxigraph as ox

    s = ox.Store()
    p = ox.NamedNode("https://ex.org/p")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects = [ox.Literal(v) for v in NASTY] + [ox.Literal(v, language=lang) for v in NASTY[:6]
                                                for lang in ("zh", "en-GB")]
    for dt, lexicals in [("integer", ["2023", "-5", "+7", "007", "x"]), ("decimal", ["475", "3.20", "-0.5", ".5", "x"]),
                         ("double", ["1.5E3", "1e0", "NaN", "INF", "-INF", "x"]), ("boolean", ["true", "0", "1", "x"]),
                         ("nonNegativeInteger", ["12"]), ("date", ["2023-01-01"]), ("string", ["typed"])]:
        objects += [ox.Literal(v, datatype=ox.NamedNode(xsd + dt)) for v in lexicals]
    objects += [ox.Literal("x", datatype=ox.NamedNode("https://ex.org/dt#odd")), ox.NamedNode("https://ex.org/é?q=1#f"),
                ox.BlankNode("b1")]
    for i, o in enumerate(objects):
        s.add(ox.Quad(ox.NamedNode(f"https://ex.org/s{i}"), p, o))
    s.add(ox.Quad(ox.BlankNode("b2"), p, ox.Literal("from a blank node")))
    return s


@pytest.mark.parametrize("query", [
    "SELECT ?s ?o ?none WHERE { ?s <https://ex.org/p> ?o OPTIONAL { ?s <https://ex.org/q> ?none } } ORDER BY ?o",
    "SELECT ?o WHERE { ?s <https://ex.org/p> ?o }",
    "SELECT ?none WHERE { ?s <https://ex.org/p> ?o OPTIONAL { ?s <https://ex.org/q> ?none } }",  # blank lines
    "SELECT * WHERE { }",  # no variables: one empty row
    "SELECT ?o WHERE { ?s <https://ex.org/nothing> ?o }",
    "SELECT ?o (STRLEN(STR(?o)) AS ?n) (COUNT(*) AS ?c) WHERE { ?s <https://ex.org/p> ?o } GROUP BY ?o",
])
def test_rows_read_from_tsv_are_the_terms_read_one_by_one(query):
    from kg.query.prefixes import QUERY_PREFIXES

    store = _torture_store()

    def solutions():
        return store.query(query, prefixes=QUERY_PREFIXES, use_default_graph_as_union=True)

    names = [v.value for v in solutions().variables]
    convert = memoised(from_oxigraph)
    one_by_one = [dict(zip(names, map(convert, sol))) for sol in solutions()]
    got_names, first, rest = select(solutions)
    read = ([] if first is None else [first]) + list(rest)
    assert got_names == names
    assert [repr(r) for r in read] == [repr(r) for r in one_by_one]  # term type, lexical form, datatype, language
    for row in read:
        _assert_made_as_rdflib_makes_them(row.values())
    if "?o" in query and "nothing" not in query:
        assert len(read) > 40


def test_a_term_tsv_cannot_say_is_refused():
    from kg.query.terms import from_tsv

    for token in ("<< <a> <b> <c> >>", "nonsense", '"unterminated', "1.2.3"):
        with pytest.raises(Q.QueryError, match="unsupported term"):
            from_tsv(token)
