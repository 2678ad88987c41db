"""compare-years as shaped for oxigraph on disk (each property of statements read whole and joined, the basis
from three lists of comparators, the labels of categories and units joined once) gives the rows of the query it
replaces, on a made-up graph holding the cases a careless shape would get wrong: two bounds on one statement, a
decrease beside an increase, an increase beside a bound, an outcome, a statement without a comparator, a
measure without a Chinese label, two values on one statement, a category with two Chinese labels, a unit with
none and one with two, a measure in two categories, a third year. The seeds and synthetic corpora are compared
in tests/test_speed.py (test_rewritten_queries_give_the_rows_of_the_queries_they_replace)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg import query as Q

BEFORE = Path(__file__).parent / "queries_before"

DATA = """
@prefix sy: <https://w3id.org/shenyang-policy/ontology#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix y: <https://w3id.org/shenyang-policy/id/year/> .
@prefix ex: <https://example.org/> .

y:2022 a sy:Year ; rdfs:label "2022年"@zh ; time:hasBeginning ex:b2022 ; time:inXSDgYear "2022"^^xsd:gYear .
y:2023 a sy:Year ; rdfs:label "2023年"@zh ; time:hasBeginning ex:b2023 ; time:inXSDgYear "2023"^^xsd:gYear .
y:2024 a sy:Year ; rdfs:label "2024年"@zh ; time:hasBeginning ex:b2024 ; time:inXSDgYear "2024"^^xsd:gYear .
ex:b2022 time:inXSDDate "2022-01-01"^^xsd:date .
ex:b2023 time:inXSDDate "2023-01-01"^^xsd:date .
ex:b2024 time:inXSDDate "2024-01-01"^^xsd:date .

ex:c1 skos:prefLabel "甲类"@zh, "甲类别"@zh, "kind one"@en ; skos:notation "cat-one" ;
      skos:inScheme <https://example.org/measure-categories> .
ex:c2 skos:prefLabel "乙类"@zh ; skos:notation "cat-two" ; skos:inScheme <https://example.org/measure-categories> .
ex:u1 rdfs:label "个"@zh, "item"@en .
ex:u3 rdfs:label "公里"@zh, "千米"@zh .

ex:m1 sy:category ex:c1 ; rdfs:label "乙措施"@zh, "b measure"@en .
ex:m2 sy:category ex:c1 ; rdfs:label "甲措施"@zh .
ex:m3 sy:category ex:c1 ; rdfs:label "丙措施"@zh .
ex:m4 sy:category ex:c1 ; rdfs:label "no Chinese label"@en .
ex:m5 sy:category ex:c2 ; rdfs:label "丁措施"@zh .
ex:m6 sy:category ex:c2 ; rdfs:label "戊措施"@zh .
ex:m7 sy:category ex:c1, ex:c2 ; rdfs:label "己措施"@zh .

ex:s1 a sy:QuantifiedStatement ; sy:year y:2022 ; sy:measure ex:m1 ; sy:unit ex:u1 ; sy:value 5 ;
      sy:comparator sy:AtLeast, sy:Approximately .
ex:s2 a sy:QuantifiedStatement ; sy:year y:2022 ; sy:measure ex:m2 ; sy:unit ex:u1 ; sy:value 6.0 ;
      sy:comparator sy:Exactly .
ex:s3 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m3 ; sy:unit ex:u1 ; sy:value 8 ;
      sy:comparator sy:AtMost .
ex:s4 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m4 ; sy:unit ex:u1 ; sy:value 80 ;
      sy:comparator sy:AtMost .
ex:s5 a sy:QuantifiedStatement, sy:Outcome ; sy:year y:2023 ; sy:measure ex:m1 ; sy:unit ex:u1 ; sy:value 100 ;
      sy:comparator sy:Exactly .
ex:s6 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m3 ; sy:unit ex:u1 ; sy:value 70 .
ex:s7 a sy:QuantifiedStatement ; sy:year y:2022 ; sy:measure ex:m5 ; sy:unit ex:u2 ; sy:value 2 ;
      sy:comparator sy:DecreaseBy, sy:IncreaseBy .
ex:s8 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m5 ; sy:unit ex:u2 ; sy:value 3, 3.5 ;
      sy:comparator sy:DecreaseBy .
ex:s9 a sy:QuantifiedStatement ; sy:year y:2022 ; sy:measure ex:m6 ; sy:unit ex:u2 ; sy:value 4 ;
      sy:comparator sy:IncreaseBy, sy:AtLeast .
ex:s10 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m6 ; sy:unit ex:u2 ; sy:value 4.5 ;
       sy:comparator sy:IncreaseBy .
ex:s11 a sy:QuantifiedStatement ; sy:year y:2022 ; sy:measure ex:m7 ; sy:unit ex:u3 ; sy:value 11 ;
       sy:comparator sy:AtLeast .
ex:s12 a sy:QuantifiedStatement ; sy:year y:2023 ; sy:measure ex:m7 ; sy:unit ex:u3 ; sy:value 12 ;
       sy:comparator sy:AtLeast .
ex:s13 a sy:QuantifiedStatement ; sy:year y:2024 ; sy:measure ex:m2 ; sy:unit ex:u1 ; sy:value 9 ;
       sy:comparator sy:AtLeast .
ex:s14 a sy:QuantifiedStatement ; sy:year y:2024 ; sy:measure ex:m7 ; sy:unit ex:u3 ; sy:value 13 ;
       sy:comparator sy:DecreaseBy .
"""


@pytest.fixture(scope="module")
def engines():
    import pyoxigraph as ox

    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    return store, Graph().parse(data=DATA, format="turtle")


def _same(got: list[dict], want: list[dict]) -> bool:
    """The same rows in the same order of the sort keys; rows that tie on every key (a category with two
    Chinese labels) may come in either order, as the query leaves it to the engine."""
    keys = ("category", "unit", "basis", "from", "to")
    by_key = lambda rows: [tuple(r[k] for k in keys) for r in rows]  # noqa: E731
    every = lambda rows: sorted(repr(sorted(r.items())) for r in rows)  # noqa: E731
    return by_key(got) == by_key(want) and every(got) == every(want)


@pytest.mark.parametrize("params", [
    {}, {"from": "2022", "to": "2024"}, {"from": "2023", "to": "2024"}, {"from": "2023", "to": "2022"},
    {"category": "cat-one"}, {"category": "cat-two"}, {"category": "c1"},
])
def test_compare_years_gives_the_rows_of_the_query_it_replaces(engines, params):
    store, graph = engines
    want = Q.run(store, Q.canned("compare-years", BEFORE), params)
    assert _same(Q.run(graph, Q.canned("compare-years", BEFORE), params).rows, want.rows)
    for engine in (store, graph):
        got = Q.run(engine, Q.canned("compare-years"), params)
        assert got.vars == want.vars
        assert _same(list(got), want.rows), (type(engine).__name__, params)


def test_the_made_up_graph_has_every_case(engines):
    """Not vacuous: the default years give a level, a decrease and an increase row, the first measure label in
    code-point order, both labels of a category with two and of a unit with two, and a group of two values."""
    store, _ = engines
    rows = [{k: (str(v) if v is not None else None) for k, v in r.items()}
            for r in Q.run(store, Q.canned("compare-years")).rows]
    bases = {(r["category"].rsplit("/", 1)[1], r["basis"]) for r in rows}
    assert {("c1", "level"), ("c2", "decrease"), ("c2", "increase")} <= bases
    level = [r for r in rows if r["category"].endswith("c1") and r["unit"] == "个"]
    assert {r["category_zh"] for r in level} == {"甲类", "甲类别"}
    assert {(r["measure_from"], r["n_from"], r["measure_to"]) for r in level} == {("乙措施", "2", "丙措施")}
    assert {r["unit"] for r in rows if r["category"].endswith("c1")} >= {"公里", "千米"}
    assert any(r["unit"] is None for r in rows)  # ex:u2 has no label
