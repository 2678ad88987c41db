"""The graph holds the quantified facts of both reports, checked by a person against the texts.

Each row: document, the number as written (a short fact, not a sentence), the normalised value, the year.
A fact is found when a statement of that document and year has that value and its span quotes the
number as written.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

D22, D23 = "000_2843d9040c2a1b1a", "003_6c8fb738ee7d04de"

FACTS_2022 = """
800公里 800 | 20条 20 | 221公里 221 | 40公里 40 | 143公里 143 | 475个 475 | 137条 137 | 1000个 1000 |
3万户 30000 | 4500张 4500 | 150个 150 | 万名 10000 | 15%以上 15 | 10.58% 10.58 | 9.63% 9.63 | 650套 650 |
580所 580 | 316所 316 | 264所 264 | 2000个以上 2000 | 1450个以上 1450 | 100个 100 | 50个 50 | 70家 70 |
8700家 8700 | 4500家 4500 | 1300家 1300 | 180家 180 | 100户 100 | 300个 300 | 10%以上 10 | 95% 95 |
38个工作日 38 | 10家以内 10 | 200家 200 | 20家 20 | 100项 100 | 15% 15 | 400个 400 | 35个 35 | 4处 4 |
475个 475 | 200条 200 | 270公里 270 | 40公里 40 | 143公里 143 | 34项 34 | 17条 17 | 52个 52 | 10座 10 |
1000座 1000 | 22平方公里 22 | 300公里 300 | 300个 300 | 70%以上 70 | 20个 20 | 30家 30 | 300天 300 |
15万人 150000 | 11.5万人 115000 | 85所 85 | 58所 58 | 200个 200 | 4500张 4500 | 2万套 20000 | 10件 10
"""

FACTS_2023 = """
7万名 70000 | 65岁 65 | 300个 300 | 120个 120 | 8000人 8000 | 20元 20 | 100万次 1000000 | 300万 3000000 |
3.5% 3.5 | 793元 793 | 14.5% 14.5 | 1226元 1226 | 7% 7 | 2322元 2322 | 21座 21 | 104间 104 | 110个 110 |
69个 69 | 4290个 4290 | 9859个 9859 | 300户 300 | 10000平方米 10000 | 100% 100 | 7.5万套 75000 |
800个 800 | 309条 309 | 1万个 10000 | 1000座 1000 | 6%以上 6 | 6% 6 | 10%以上 10 | 8% 8 | 7% 7 |
10% 10 | 3.2% 3.2 | 12件 12
"""


def _facts():
    for doc, year, table in ((D22, 2022, FACTS_2022), (D23, 2023, FACTS_2023)):
        for cell in table.replace("\n", " ").split("|"):
            if cell.strip():
                written, value = cell.split()
                yield doc, year, written, Decimal(value)


FACTS = list(_facts())

STATEMENTS = """
SELECT ?doc ?year ?value ?exact WHERE {
  ?s a sy:QuantifiedStatement ; sy:value ?value ; sy:year/rdfs:label ?year ;
     prov:wasDerivedFrom ?span .
  ?span oa:hasSource/dcterms:identifier ?doc ;
        oa:hasSelector/oa:exact ?exact .
  FILTER(lang(?year) = "en")
}"""


@pytest.fixture(scope="module")
def statements(seed_graph):
    from kg.namespaces import PREFIXES

    rows = seed_graph.query(STATEMENTS, initNs=PREFIXES)
    return [(str(r.doc), int(str(r.year)), Decimal(str(r.value)), str(r.exact)) for r in rows]


def test_the_fact_list_is_substantial():
    assert len(FACTS) > 100


@pytest.mark.parametrize("doc, year, written, value", FACTS, ids=[f"{d[:3]}-{w}" for d, _, w, _ in FACTS])
def test_fact_is_in_the_graph(statements, doc, year, written, value):
    found = [s for s in statements if s[0] == doc and s[1] == year and s[2] == value and written in s[3]]
    assert found, f"{written} (= {value}) of {doc} not found among {len(statements)} statements"


def test_repeated_facts_are_distinct_statements(statements):
    # 475 old compounds, 4500 beds, 143 km of water pipes appear twice in the 2022 report: two statements.
    for written, value in (("475个", 475), ("4500张", 4500), ("143公里", 143)):
        hits = [s for s in statements if s[0] == D22 and s[2] == value and written in s[3]]
        assert len(hits) >= 2, written


def test_every_statement_quote_is_short_and_carries_its_number(seed_graph):
    from kg.namespaces import PREFIXES

    rows = seed_graph.query("""
        SELECT ?w ?exact WHERE { ?s sy:asWritten ?w ; prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }""",
                            initNs=PREFIXES)
    rows = list(rows)
    assert len(rows) >= 110
    for r in rows:
        assert str(r.w) in str(r.exact)
        assert len(str(r.exact)) <= 40, str(r.exact)
