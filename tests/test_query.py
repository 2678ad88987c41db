"""kg.query: read-only checks, safe parameters, timeouts, identical rows from rdflib and oxigraph, and every
canned query checked against facts read in the source texts (/work/shared/seeds)."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
import shutil
from decimal import Decimal

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rich.cells import cell_len

from kg import paths
from kg import query as Q
from kg import results as R
from kg.namespaces import SY

SCHOOL_BUS = ["铁西区", "苏家屯区", "浑南区", "沈北新区", "于洪区", "辽中区", "新民市", "法库县", "康平县"]
DOC_2022, DOC_2023 = "000_2843d9040c2a1b1a", "003_6c8fb738ee7d04de"


@pytest.fixture(scope="session")
def store(seed_graph):
    """The seed graph in an in-memory pyoxigraph Store (the CLI's default engine)."""
    import pyoxigraph as ox

    s = ox.Store()
    s.load(seed_graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return s


@pytest.fixture(scope="session")
def texts(source_dirs):
    return {p.stem: p.read_text(encoding="utf-8") for d in source_dirs for p in d.glob("*.txt")}


def run(graph, name, **params):
    return Q.run(graph, Q.canned(name), params)


def col(result, name):
    return result.column(name)


# ------------------------------------------------------------------------------------------------------------
# the catalogue


def test_at_least_twelve_canned_queries_with_headers():
    queries = Q.canned_queries()
    assert len(queries) >= 12
    for name, q in queries.items():
        assert q.title and len(q.description) > 40, name
        assert q.kind in Q.KINDS, name
        Q.check_read_only(q.text, name)  # every canned query parses and is read-only
        for p in q.params:
            assert p.type in Q.PARAM_TYPES and p.description, (name, p)
            assert p.name in Q.query_variables(q.text), (name, p.name)
        assert "# example: kg query --name " + name in q.text, name
    kinds = {q.kind for q in queries.values()}
    assert {"select", "ask", "construct"} <= kinds


def test_unknown_canned_name_suggests_the_closest():
    with pytest.raises(Q.InputError, match="did you mean compare-years"):
        Q.canned("compare-year")
    with pytest.raises(Q.InputError, match="district-coverage"):
        Q.canned("coverage")


def test_header_parse_errors_name_the_file(tmp_path):
    (tmp_path / "bad.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(Q.InputError, match="bad.rq:1: canned query has no '# title:'"):
        Q.canned_queries(tmp_path)
    (tmp_path / "bad.rq").write_text("# title: x\n# param: d (town) = 1 — what\nSELECT * WHERE { ?d ?p ?o }\n")
    with pytest.raises(Q.InputError, match="unknown type 'town'"):
        Q.canned_queries(tmp_path)


# ------------------------------------------------------------------------------------------------------------
# read-only and syntax


@pytest.mark.parametrize("text, kind", [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("ask { ?s a sy:Target }", "ask"),
    ("CONSTRUCT { ?s a sy:Target } WHERE { ?s a sy:Target }", "construct"),
    ("CONSTRUCT WHERE { ?s a sy:Target }", "construct"),
    ("DESCRIBE ?s WHERE { ?s a sy:Indicator }", "describe"),
    ("PREFIX ex: <http://example.org/>\n# a comment with INSERT in it\nSELECT ?x WHERE { ?x ex:p 'DELETE' }", "select"),
])
def test_read_only_queries_pass(text, kind):
    assert Q.check_read_only(text) == kind


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/>\nDELETE { ?s ex:p ?o } INSERT { ?s ex:q ?o } WHERE { ?s ex:p ?o }",
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL", "DROP GRAPH <http://g>", "CREATE GRAPH <http://g>",
    "ADD DEFAULT TO <http://g>", "MOVE <http://a> TO <http://b>", "COPY <http://a> TO <http://b>",
    "INSERT DATA { <http://a> <http://b> ",  # even a broken update is called an update
])
def test_updates_are_refused(text):
    with pytest.raises(Q.ReadOnlyError, match="UPDATE") as e:
        Q.check_read_only(text)
    assert e.value.exit_code == 2


def test_service_and_from_are_refused():
    with pytest.raises(Q.ReadOnlyError, match="SERVICE"):
        Q.check_read_only("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://dbpedia.org/sparql> { ?s ?q ?r } } }")
    with pytest.raises(Q.ReadOnlyError, match="FROM"):
        Q.check_read_only("SELECT * FROM <http://example.org/g.ttl> WHERE { ?s ?p ?o }")
    with pytest.raises(Q.ReadOnlyError, match="FROM"):
        Q.check_read_only("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_syntax_errors_name_line_and_column():
    with pytest.raises(Q.QuerySyntaxError) as e:
        Q.check_read_only("SELECT ?x WHERE {\n  ?x ?y ?z\n  ?a ?b ?c }", "my.rq")
    assert (e.value.line, e.value.column) == (3, 3)
    assert str(e.value).startswith("my.rq: SPARQL syntax error at line 3, column 3")
    assert "\n      ?a ?b ?c }\n      ^" in str(e.value)
    with pytest.raises(Q.QuerySyntaxError) as e:
        Q.check_read_only("SELECT *\nWHERE { ?s nope:p ?o }")
    assert (e.value.line, e.value.column) == (2, 12) and "unknown prefix nope:" in str(e.value)
    with pytest.raises(Q.QuerySyntaxError, match="empty"):
        Q.check_read_only("  # nothing\n")


def test_predeclared_prefixes_can_be_redeclared(store):
    res = Q.run(store, "PREFIX sy: <http://example.org/other#>\nASK { ?s a sy:Target }")
    assert res.boolean is False
    assert Q.run(store, "ASK { ?s a sy:Target }").boolean is True


# ------------------------------------------------------------------------------------------------------------
# parameters


def test_district_parameter_accepts_name_short_form_and_key(store):
    rows = [run(store, "measures-by-district", district=d).rows for d in ("浑南区", "浑南", "hunnan", "HUNNAN",
                                                                          "Hunnan District")]
    assert rows[0] and all(r == rows[0] for r in rows)


def test_unknown_values_say_what_exists(store):
    with pytest.raises(Q.ParamError, match=r"no district '浦东'[\s\S]*known: .*浑南区"):
        run(store, "measures-by-district", district="浦东")
    with pytest.raises(Q.ParamError, match="no year '2014'[\\s\\S]*2022年, 2023年"):
        run(store, "targets-by-year", year=2014)  # no report plans or reviews 2014 alone
    with pytest.raises(Q.ParamError, match="did you mean pocket-parks"):
        run(store, "category-values", category="pocket-park")
    with pytest.raises(Q.ParamError, match="unknown parameter district; this query takes: year"):
        run(store, "indicators", district="浑南")
    with pytest.raises(Q.ParamError, match="no variable \\?nothing"):
        Q.run(store, "SELECT ?s WHERE { ?s a sy:Target }", {"nothing": 1})


def test_parameters_are_terms_not_text(store):
    """A value that looks like SPARQL stays one string literal; a bad IRI is refused."""
    nasty = '浑南区" } ?s ?p ?o . { "x'
    text, bound = Q.bind_params(store, "SELECT ?s WHERE { ?s rdfs:label ?name }", {"name": nasty})
    assert bound["name"] == Literal(nasty)
    assert Q.check_read_only(text) == "select"
    assert len(Q.run(store, "SELECT ?s WHERE { ?s rdfs:label ?name }", {"name": nasty})) == 0
    assert len(Q.run(store, "SELECT ?s WHERE { ?s rdfs:label ?name }", {"name": Literal("浑南区", lang="zh")})) == 1
    with pytest.raises(Q.ParamError, match="not an IRI"):
        Q.bind_params(store, "SELECT ?s WHERE { ?s ?p ?o }", {"s": "<http://a> } INSERT DATA { <x:y>"})
    # untyped values: IRIs, prefixed names and numbers are recognised
    _, b = Q.bind_params(store, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
                         {"a": "<http://example.org/x>", "b": "sy:Target", "c": "12", "d": "3.5", "e": "plain"})
    assert b == {"a": URIRef("http://example.org/x"), "b": SY.Target, "c": Literal(12),
                 "d": Literal("3.5", datatype=XSD.decimal), "e": Literal("plain")}


def test_binding_restricts_before_grouping_and_after_bind(store):
    """VALUES closes the WHERE group: it filters the solutions GROUP BY sees, and may follow a BIND of the
    same variable (the year columns are computed that way)."""
    q = "SELECT ?year (COUNT(?s) AS ?n) WHERE { ?s a sy:Target ; sy:year/time:hasBeginning/time:inXSDDate ?d " \
        "BIND(YEAR(?d) AS ?year) } GROUP BY ?year ORDER BY ?year"
    all_years = Q.run(store, q)
    assert col(all_years, "year") == [2018, 2019, 2021, 2022, 2023, 2024, 2025]
    only = Q.run(store, q, {"year": 2023})
    assert only.values() == [all_years.values()[4]]


# ------------------------------------------------------------------------------------------------------------
# engines, results, timeout


def test_canonical_terms():
    c = Q.canonical
    assert c(Literal("475", datatype=XSD.decimal)) == Literal("475.0", datatype=XSD.decimal)
    assert c(Literal("3.20", datatype=XSD.decimal)) == Literal("3.2", datatype=XSD.decimal)
    assert c(Literal("007", datatype=XSD.nonNegativeInteger)) == Literal("7", datatype=XSD.integer)
    assert c(Literal("1.0E2", datatype=XSD.double)) == Literal("100.0", datatype=XSD.double)
    assert c(Literal("1", datatype=XSD.boolean)) == Literal("true", datatype=XSD.boolean)
    assert c(Literal("x", datatype=XSD.string)) == Literal("x")
    assert c(Literal("x", lang="zh")) == Literal("x", lang="zh")
    assert c(Literal("abc", datatype=XSD.integer)) == Literal("abc", datatype=XSD.integer)  # ill-typed: kept


@pytest.mark.parametrize("name", sorted(Q.canned_queries()))
def test_rdflib_and_oxigraph_give_identical_results(name, seed_graph, store):
    a, b = run(seed_graph, name), run(store, name)
    assert (a.kind, a.vars, a.rows, a.boolean) == (b.kind, b.vars, b.rows, b.boolean)
    assert set(a.triples) == set(b.triples)
    assert R.render(a, "json" if a.kind != "construct" else "turtle") == \
        R.render(b, "json" if b.kind != "construct" else "turtle")


def test_unknown_graph_types_are_refused():
    with pytest.raises(Q.InputError, match="cannot query a dict"):
        Q.run({}, "ASK {}")


def test_values_give_python_types(store):
    res = run(store, "indicators")
    first = res.values()[0]
    assert first["value"] == Decimal("6") and first["year"] == 2023 and first["indicator"] == "地区生产总值增长"
    assert res.values()[5]["value"] is None  # income grows "in step", no number
    with pytest.raises(KeyError, match="columns: year, indicator"):
        res.column("nope")


def test_a_name_looked_up_directly_resolves_as_the_listing_does(store, seed_graph):
    """A parameter named exactly (浑南区, 口袋公园, 2023) is looked up from the name; every label, short form
    and key of every district, category and year resolves to the node the full listing gives, on both engines;
    names with case and unknown names are left to the listing (its folding and messages)."""
    from kg.query import params as P

    for graph in (store, seed_graph):
        engine = Q.engine_for(graph)
        for ptype in ("district", "category", "year", "facility-type"):
            rows = engine.execute(Q.parse_query(
                f"SELECT ?node ?name WHERE {{ {P._RESOLVE_PATTERNS[ptype]} "
                f"?node rdfs:label|skos:altLabel|skos:notation ?name }}")).rows
            assert rows, ptype
            for row in rows:
                name = str(row["name"])
                direct = P._resolve_exactly(engine, ptype, name)
                if direct is not None:
                    assert direct == P._resolve_by_listing(engine, ptype, "x", name) == row["node"], name
        assert str(P._resolve_exactly(engine, "district", "浑南区")).endswith("/district/hunnan")
        assert P._resolve_exactly(engine, "district", "Hunnan") is None  # case: the listing folds it
        assert P._resolve_exactly(engine, "district", "浦东") is None


def test_rows_are_read_as_they_are_iterated(store, seed_graph):
    """On oxigraph a SELECT hands its rows over as they are read (the first row of a big answer without
    converting the others); iterating, `rows`, `len`, a second iteration and a pickled copy all give the rows
    the materialised result gives — and the rows of rdflib."""
    import pickle

    whole = run(store, "provenance-audit").rows
    res = run(store, "provenance-audit")
    it = iter(res)
    first, second = next(it), next(it)
    assert [first, second] == whole[:2]
    assert list(it) == whole[2:]
    assert list(res) == res.rows == whole and len(res) == len(whole) > 100
    lazy = run(store, "provenance-audit")
    assert next(iter(lazy)) == whole[0]
    assert pickle.loads(pickle.dumps(lazy)).rows == whole  # a timed-out child sends its result this way
    assert lazy == run(seed_graph, "provenance-audit") and bool(lazy)
    assert not Q.run(store, "SELECT ?s WHERE { ?s a sy:Nothing }")


def test_timeout_stops_the_query_and_its_process(seed_graph, store):
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    for graph in (store, seed_graph):
        with pytest.raises(Q.QueryTimeout, match="stopped after 0.5 s") as e:
            Q.run(graph, heavy, timeout=0.5)
        assert e.value.exit_code == 124
    assert multiprocessing.active_children() == []
    # within the time limit the child's answer comes back whole
    res = Q.run(store, 'SELECT ?s WHERE { ?s a sy:Target ; prov:hadPrimarySource/dcterms:identifier '
                       '"003_6c8fb738ee7d04de" ; sy:measure/sy:category/skos:broader/skos:notation '
                       '"macro-indicators" }', timeout=60)
    assert len(res) == 7


def test_engine_errors_are_one_line(seed_graph):
    with pytest.raises(Q.QueryError, match="failed") as e:
        Q.call_with_timeout(lambda: 1 / 0, 10)
    assert "ZeroDivisionError" in str(e.value)


def test_load_graph_both_engines(tmp_path, seed_graph):
    f = tmp_path / "g.ttl"
    f.write_bytes(seed_graph.serialize(format="turtle", encoding="utf-8"))
    g = Q.load_graph([f])
    s = Q.load_graph([f], engine="oxigraph")
    ontology = len(Graph().parse(paths.ONTOLOGY))
    assert len(g) == len(seed_graph) + ontology == len(s)
    assert len(Q.load_graph([f], ontology=False, engine="oxigraph")) == len(seed_graph)
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n")
    with pytest.raises(Q.InputError, match="bad.ttl: cannot parse"):
        Q.load_graph([bad], engine="oxigraph")
    with pytest.raises(Q.InputError, match="no such graph file"):
        Q.load_graph([tmp_path / "none.ttl"])


# ------------------------------------------------------------------------------------------------------------
# output formats


def test_sparql_json_round_trips_through_rdflib(store):
    from rdflib.query import Result

    res = run(store, "indicators")
    text = R.to_json(res)
    doc = json.loads(text)
    assert doc["head"]["vars"] == res.vars
    assert doc["results"]["bindings"][0]["value"] == {"type": "literal", "value": "6.0", "datatype": str(XSD.decimal)}
    assert "value" not in doc["results"]["bindings"][5]  # unbound: omitted
    parsed = Result.parse(io.StringIO(text), format="json")
    assert [str(v) for v in parsed.vars] == res.vars and len(parsed) == len(res)
    assert json.loads(R.to_json(Q.run(store, 'ASK { ?s a sy:Outcome ; sy:year/time:inXSDgYear "2019"^^xsd:gYear }'))) \
        == {"head": {}, "boolean": False}


def test_csv_and_tsv(store):
    res = run(store, "indicators")
    rows = list(csv.reader(io.StringIO(R.to_csv(res), newline="")))
    assert rows[0] == res.vars and rows[1][:4] == ["2023", "地区生产总值增长", "GDP growth", "6.0"]
    assert R.to_csv(res).count("\r\n") == len(res) + 1
    lines = R.to_tsv(res).splitlines()
    assert lines[0].split("\t")[:3] == ["?year", "?indicator", "?indicator_en"]
    assert lines[1].split("\t")[:4] == ["2023", '"地区生产总值增长"@zh', '"GDP growth"@en', "6.0"]
    with pytest.raises(Q.InputError, match="turtle or nt"):
        R.to_csv(run(store, "district-subgraph"))


def test_table_aligns_wide_characters(store):
    res = run(store, "targets-by-district")
    lines = R.to_table(res).splitlines()
    header = lines[0]
    # every row's `measure` cell starts at the same display column as the header, Chinese counting double
    start = cell_len(header[:header.index("measure")])
    for line, row in zip(lines[2:], res.rows):
        assert cell_len(line[:line.index(str(row["measure"]))]) == start, line
    assert len(lines) == len(res) + 2


def test_graph_results_are_sorted_turtle(store):
    res = run(store, "district-subgraph")
    ttl = R.to_rdf(res, "turtle")
    assert ttl == R.to_rdf(run(store, "district-subgraph"), "turtle")  # byte-stable
    g = Graph().parse(data=ttl, format="turtle")
    assert len(g) == len(res)
    nt = R.to_rdf(res, "nt").decode().splitlines()
    assert nt == sorted(nt)


# ------------------------------------------------------------------------------------------------------------
# canned queries against the texts


def test_targets_by_year(store, texts):
    for year, doc in ((2023, DOC_2023), (2022, DOC_2022)):
        res = run(store, "targets-by-year", year=year)
        assert set(col(res, "year")) == {year}
        for w in col(res, "as_written"):  # every number as written is in that year's text (Shenyang's or the nation's)
            assert w in texts[doc] or w in texts[f"prc-{year}"], w
    got = {(r["measure"], r["value"], r["unit"], r["as_written"]) for r in run(store, "targets-by-year").values()}
    assert {("改造老旧小区", 800, "个", "800个"), ("建设户外劳动者服务站点", 300, "个", "300个"),
            ("提高城乡低保标准", Decimal("793"), "元每人每月", "793元/人月"),
            ("增加公共停车泊位", 10000, "个", "1万个以上")} <= got
    assert "475个" not in col(run(store, "targets-by-year"), "as_written")
    assert {"475个", "150个", "1000个"} <= set(col(run(store, "targets-by-year", year=2022), "as_written"))


def test_indicators_2023_in_the_order_of_the_text(store, texts):
    rows = [r for r in run(store, "indicators").values() if r["report"] == DOC_2023]
    assert [r["value"] for r in rows] == [6, 6, 10, 8, 7, None, 10, Decimal("3.2"), None]
    assert [r["comparator"] for r in rows] == ["increase-by+at-least", "increase-by", "increase-by+at-least",
                                               "increase-by", "increase-by", None, "increase-by", "decrease-by",
                                               None]
    text = texts[DOC_2023]
    for phrase in ("生产总值增长6%以上", "预算收入增长6%", "投资增长10%以上", "零售总额增长8%", "增加值增长7%",
                   "经费投入增长10%", "能耗下降3.2%"):
        assert phrase in text, phrase
    positions = [text.index(p) for p in ("生产总值", "预算收入", "固定资产", "零售总额", "工业增加值",
                                         "可支配收入", "研发经费", "能耗", "污染物")]
    assert positions == sorted(positions)
    # the 2022 key points list no indicator section (the nation's 2022 targets are there)
    assert {r["report"] for r in run(store, "indicators", year=2022).values()} == {"prc-2022"}


def test_measures_and_targets_by_district(store, texts):
    res = run(store, "measures-by-district")
    bus = [r["district_zh"] for r in res.values() if r["measure_zh"] == "农村学生免费乘坐校车"]
    assert sorted(bus) == sorted(SCHOOL_BUS)
    assert texts[DOC_2023].index("、".join(SCHOOL_BUS))  # the nine, in this order, in the text
    hunnan = run(store, "measures-by-district", district="浑南").values()
    assert [(r["year"], r["measure_zh"], r["named"]) for r in hunnan] == [
        (2022, "启动浑南科技城建设", "yes"), (2023, "农村学生免费乘坐校车", "yes")]
    assert "浑南科技城" in texts[DOC_2022]
    targets = run(store, "targets-by-district", district="浑南区").values()
    assert [(r["value"], r["unit"], r["as_written"]) for r in targets] == [(20, "元每人每月", "20元")]
    assert "每月上交的20元" in texts[DOC_2023]
    every = run(store, "targets-by-district").values()
    assert sorted(r["district_zh"] for r in every if r["as_written"] == "20元") == sorted(SCHOOL_BUS)


def test_district_coverage_counts_what_the_texts_name(store, texts):
    res = run(store, "district-coverage").values()
    assert len(res) == 13
    both = texts[DOC_2022] + texts[DOC_2023]
    for row in res:
        short = row["district_zh"][:-1] if row["district_zh"] != "沈北新区" else "沈北"
        # every mention of a district in the texts sits in a different measure naming it
        assert row["named"] == both.count(short), row
    assert {r["district_zh"] for r in res if r["measures"] == 0} == {"和平区", "沈河区", "大东区", "皇姑区"}
    measures = [r["measures"] for r in res]
    assert measures == sorted(measures, reverse=True)
    assert {r["district_zh"]: r["named"] for r in res}["浑南区"] == 2  # school bus + 浑南科技城


def test_facilities_by_type(store, texts):
    museums = run(store, "facilities-by-type", type="博物馆").values()
    assert sorted(r["facility_zh"] for r in museums) == sorted(["中国工业博物馆", "沈阳历史建筑博物馆",
                                                                "东北警察博物馆", "沈阳工人美术馆"])
    assert all(r["facility_zh"] in texts[DOC_2022] for r in museums)
    metro = run(store, "facilities-by-type", type="metro-line").values()
    assert len(metro) == 5 and all(r["first_year"] == 2022 for r in metro)
    for line in ("1号线东延线", "2号线南延线", "3号线", "4号线", "6号线"):
        assert line in texts[DOC_2022]
    every = run(store, "facilities-by-type")
    types = col(every, "type")
    facilities = Q.run(store, "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a sy:Facility }").values()[0]["n"]
    assert types == sorted(types) and len(every) == facilities  # each facility once


def test_goal_tree_is_a_tree_in_text_order(store, texts):
    for year, count in ((2023, 12), (2022, 10)):
        rows = run(store, "goal-tree", year=year).values()
        assert f"{count}件民生实事" in texts[DOC_2023 if year == 2023 else DOC_2022]
        # pre-order: each item's parent is the nearest earlier row one level up
        for i, row in enumerate(rows):
            if row["depth"] > 0:
                assert any(r["depth"] == row["depth"] - 1 and r["kind"] == "goal" for r in rows[:i]), row
                parent = next(r for r in reversed(rows[:i]) if r["depth"] < row["depth"])
                assert parent["depth"] == row["depth"] - 1 and parent["kind"] == "goal", (row, parent)
        assert all(r["kind"] == "goal" for r in rows if r["depth"] == 0)
        ls = next(i for i, r in enumerate(rows) if "民生实事" in r["item"] and r["kind"] == "goal" and
                  r["item"].strip().startswith(("12件", "2022年10件")))
        depth = rows[ls]["depth"]
        children = []
        for r in rows[ls + 1:]:
            if r["depth"] <= depth:
                break
            if r["depth"] == depth + 1 and r["kind"] == "goal":
                children.append(r)
        assert len(children) == count, [c["item"] for c in children]


def test_compare_years_examples(store, texts):
    rows = {(r["category"].rsplit("/", 1)[1], r["unit"]): r for r in run(store, "compare-years").values()}
    assert all((r["from"], r["to"]) == (2022, 2023) for r in rows.values())
    expect = {("old-residential-compounds", "个"): (475, 800, 325),
              ("outdoor-worker-stations", "个"): (150, 300, 150),
              ("pocket-parks", "座"): (1000, 1000, 0),
              ("back-alleys", "条"): (200, 309, 109)}
    for key, (a, b, change) in expect.items():
        r = rows[key]
        assert (r["value_from"], r["value_to"], r["change"], r["n_from"], r["n_to"]) == (a, b, change, 1, 1), key
    t22, t23 = texts[DOC_2022], texts[DOC_2023]
    assert "老旧小区475个" in t22 and "800个老旧小区" in t23
    assert "150个户外劳动者服务站点" in t22 and "户外劳动者服务站点300个" in t23
    assert "口袋公园”1000座" in t22 and "口袋公园1000座" in t23
    assert "背街小巷200条" in t22 and "309条背街小巷" in t23
    # 2022 says 475 twice (list and work plan): one distinct value; a category without 2023 numbers is absent
    assert t22.count("老旧小区475个") == 2
    assert not any(k[0] == "rural-roads" for k in rows)
    one = run(store, "compare-years", category="口袋公园").values()
    assert [(r["value_from"], r["value_to"]) for r in one] == [(1000, 1000)]
    assert len(run(store, "compare-years", **{"from": 2023, "to": 2022})) == 0


def test_category_values_pocket_parks(store, texts):
    rows = run(store, "category-values").values()
    assert [(r["year"], r["as_written"]) for r in rows] == [(2022, "1000个"), (2022, "1000座"), (2023, "1000座"),
                                                            (2023, "1000座")]
    assert "1000个口袋公园" in texts[DOC_2022] and texts[DOC_2023].count("口袋公园1000座") == 2
    broad = run(store, "category-values", category="urban-renewal").values()
    assert {"old-residential-compounds", "back-alleys"} <= {r["measure_category"].rsplit("/", 1)[1] for r in broad}


def test_at_least(store, texts):
    rows = [r for r in run(store, "at-least").values() if "/statement/shenyang-" in r["statement"]]  # Shenyang's
    got = {(r["year"], r["as_written"]) for r in rows}
    assert got == {
        (2022, "15%以上"), (2022, "2000个"), (2022, "1450个"), (2022, "8700家"), (2022, "4500家"), (2022, "1300家"),
        (2022, "180家"), (2022, "10%以上"), (2022, "400个"), (2022, "70%"), (2022, "300天"),
        (2023, "65岁以上"), (2023, "不少于8000人"), (2023, "100万次以上"), (2023, "300万以上"), (2023, "1万个以上"),
        (2023, "6%以上"), (2023, "10%以上")}
    bound = re.compile(r"以上|不少于|突破|不低于|超过")
    for r in rows:  # each sits next to a lower-bound word in its text
        text = texts[DOC_2022 if r["year"] == 2022 else DOC_2023]
        i = text.index(r["as_written"])
        assert bound.search(text[max(0, i - 4): i + len(r["as_written"]) + 2]), r
    assert {r["comparator"] for r in rows if r["as_written"] == "6%以上"} == {"increase-by+at-least"}


def test_unquantified_measures(store, seed_graph):
    rows = run(store, "unquantified-measures").values()
    labels = {r["measure"] for r in rows}
    assert {"儿童免费窝沟封闭", "主要污染物排放下降", "居民收入与经济同步增长"} <= labels
    assert "改造老旧小区" not in labels
    measures = set(seed_graph.subjects(RDF.type, SY.Measure))
    quantified = set(seed_graph.objects(None, SY.measure))
    assert {URIRef(r["node"]) for r in rows} == measures - quantified
    assert len(run(store, "unquantified-measures", year=2023).rows) < len(rows)


def test_provenance_audit_matches_the_texts(store, texts, seed_graph):
    rows = run(store, "provenance-audit").values()
    assert len(rows) == len(set(seed_graph.subjects(RDF.type, SY.QuantifiedStatement)))
    for r in rows:
        assert texts[r["document"]][r["start"]:r["end"]] == r["quote"], r
        assert r["as_written"] in r["quote"] and r["quoted"] == "yes", r
    assert len(run(store, "provenance-audit", year=2023)) == sum(r["year"] == 2023 for r in rows)


def test_district_subgraph(store):
    for name, measures in (("浑南", {"free-school-bus", "hunnan-science-city"}),
                           ("康平县", {"free-school-bus", "wolong-lake"})):
        res = run(store, "district-subgraph", district=name)
        g = Graph().parse(data=R.to_rdf(res, "turtle"), format="turtle")
        got = {str(m).rsplit("/", 1)[1] for m in g.subjects(RDF.type, SY.Measure)}
        assert got == measures
        assert len(set(g.objects(None, SY.district))) == 1  # only this district, not the other eight
        assert Literal(name if name.endswith("县") else name + "区", lang="zh") in set(g.objects(None, None))
    hunnan = Graph().parse(data=R.to_rdf(run(store, "district-subgraph"), "turtle"), format="turtle")
    assert Literal("20.0", datatype=XSD.decimal) in set(hunnan.objects(None, SY.value))


# ------------------------------------------------------------------------------------------------------------
# plan against outcome: none in the seeds, so add outcomes to a copy of the records


@pytest.fixture(scope="module")
def outcome_graph(tmp_path_factory):
    from kg.pipeline import build

    records = tmp_path_factory.mktemp("outcomes") / "records"
    shutil.copytree(paths.RECORDS, records)
    path = records / f"{DOC_2023}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def outcome(mid, category, value, unit, comparator, written):
        return {"id": mid, "goal": "review-2022-8", "label": f"回顾{mid}", "category": category, "year": 2022,
                "districts": [], "facilities": [], "span": [3261, 3283],
                "statements": [{"id": f"{mid}-1", "kind": "outcome", "value": value, "unit": unit,
                                "comparator": comparator, "as_written": written, "span": [3261, 3283]}]}

    doc["measures"] += [
        outcome("t-compounds", "old-residential-compounds", 480, "ge", "exactly", "480个"),  # 475 planned: met
        outcome("t-stations", "outdoor-worker-stations", 140, "ge", "exactly", "140个"),  # 150 planned: not met
        outcome("t-dibao", "minimum-living-allowance", 16, "percent", "increase-by", "16%"),  # +15% or more: met
        outcome("t-approval", "business-environment", 35, "working-day", "exactly", "35个工作日"),  # at most 38: met
        outcome("t-parks", "pocket-parks", 1000, "hu", "exactly", "1000户"),  # no target in 户: unmatched
    ]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return build(records, validate=False).graph


def test_plan_vs_outcome(store, outcome_graph):
    import pyoxigraph as ox

    def shenyang(result):
        return [r for r in result.values() if r["jurisdiction"] == "沈阳市"]

    # Shenyang's reports review 2022 under headings only: no outcomes of Shenyang's (the nation's are there)
    assert shenyang(run(store, "plan-vs-outcome")) == []
    assert run(store, "has-outcomes", year=2019).boolean is False  # 2019's review is in the missing 2020 report

    graph = ox.Store()
    graph.load(outcome_graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert run(outcome_graph, "plan-vs-outcome").rows == run(graph, "plan-vs-outcome").rows  # rdflib agrees
    rows = shenyang(run(graph, "plan-vs-outcome"))
    got = {(r["category_zh"], r["target"], r["target_comparator"], r["outcome"], r["met"]) for r in rows}
    assert got == {("老旧小区改造", 475, "exactly", 480, "yes"),
                   ("户外劳动者服务站点", 150, "exactly", 140, "no"),
                   ("低保标准", 15, "increase-by+at-least", 16, "yes"),
                   ("营商环境", 38, "at-most", 35, "yes")}
    assert {r["outcome_source"] for r in rows} == {DOC_2023} and {r["year"] for r in rows} == {2022}
    assert shenyang(run(graph, "plan-vs-outcome", year=2023)) == []
    assert run(graph, "has-outcomes").boolean is True
    assert run(graph, "has-outcomes", year=2022).boolean is True
    assert run(graph, "has-outcomes", year=2019).boolean is False
    values = {(r["kind"], r["as_written"]) for r in run(graph, "category-values", category="口袋公园").values()}
    assert ("outcome", "1000户") in values
    # outcomes are not promises: compare-years leaves them out
    assert 480 not in col(run(graph, "compare-years"), "value_from")


def test_jupyter_html(store):
    html = run(store, "targets-by-district", district="浑南")._repr_html_()
    assert html.startswith("<table><thead><tr><th>district</th>") and "<td>浑南区</td>" in html
    assert "1 rows" in html
    assert Q.run(store, 'ASK { ?s a sy:Outcome ; sy:year/time:inXSDgYear "2019"^^xsd:gYear }')._repr_html_() == \
        "<code>false</code>"
    assert "sy:District" in run(store, "district-subgraph")._repr_html_()


# --------------------------------------------------------------------------------------------------------------
# Binding early and evaluating OPTIONALs laterally: the same rows, found from the bound node


def test_a_parameter_a_pattern_binds_opens_the_where_clause(store):
    text, bound = Q.bind_params(store, Q.canned("targets-by-district").text, {"district": "浑南"},
                                Q.canned("targets-by-district").params)
    where = text.index("WHERE {") + len("WHERE {")
    assert text[where:].lstrip().startswith(f"VALUES ?district {{ <{bound['district']}> }}")
    # ?year is computed by BIND, so its block must close the clause; ?year_node (a pattern binds it) opens it
    c = Q.canned("targets-by-year")
    text, bound = Q.bind_params(store, c.text, {"year": "2022"}, c.params)
    assert str(bound["year_node"]).endswith("/year/2022") and bound["year"] == Literal(2022)
    assert text[text.index("WHERE {") + 7:].lstrip().startswith("VALUES ?year_node")
    assert text.rstrip().rsplit("ORDER BY", 1)[0].rstrip().endswith("VALUES ?year { 2022 } }")
    # a variable bound only inside an OPTIONAL keeps the closing position (moving it would change the answer)
    adhoc = "SELECT ?m ?d WHERE { ?m a sy:Measure OPTIONAL { ?m sy:district ?d } } ORDER BY ?m"
    hunnan = {"d": "<https://w3id.org/shenyang-policy/id/district/hunnan>"}
    text, _ = Q.bind_params(store, adhoc, hunnan)
    assert text.index("VALUES ?d") > text.index("OPTIONAL")
    rdflib_rows = Q.run(Q.load_graph(), adhoc, hunnan).rows
    assert rdflib_rows == Q.run(store, adhoc, hunnan).rows
    measures = len(Q.run(store, "SELECT ?m WHERE { ?m a sy:Measure }"))
    assert 0 < len(rdflib_rows) < measures  # measures naming no district, and those naming 浑南区


def test_lateral_optionals_wraps_only_top_level_optionals():
    text = ("SELECT * WHERE { ?s a sy:Target OPTIONAL { ?s sy:unit ?u OPTIONAL { ?u rdfs:label ?l } } "
            "OPTIONAL { { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s } } "
            "FILTER NOT EXISTS { OPTIONAL { ?s sy:x ?y } } } ORDER BY ?s")
    out = Q.lateral_optionals(text)
    assert out.count("LATERAL") == 1
    assert "LATERAL { OPTIONAL { ?s sy:unit ?u OPTIONAL { ?u rdfs:label ?l } } }" in out
    assert Q.lateral_optionals("SELECT * WHERE { ?s ?p ?o }") == "SELECT * WHERE { ?s ?p ?o }"
    # a comment or a string that merely says OPTIONAL is left alone
    quiet = 'SELECT * WHERE { ?s rdfs:label "OPTIONAL {" # OPTIONAL { }\n }'
    assert Q.lateral_optionals(quiet) == quiet


def test_bound_parameters_are_copied_into_each_branch_of_a_top_level_union(store, seed_graph):
    text = ('SELECT * WHERE { VALUES ?d { <https://w3id.org/shenyang-policy/id/district/hunnan> } '
            'VALUES ?y { "a \\" }" } ?d a sy:District . { ?m sy:district ?d } UNION { ?f sy:district ?d } '
            'OPTIONAL { { ?m rdfs:label ?l } UNION { ?m sy:year ?l } } } ORDER BY ?m ?f ?l')
    out = Q.values_into_unions(text)
    heads = 'VALUES ?d { <https://w3id.org/shenyang-policy/id/district/hunnan> } VALUES ?y { "a \\" }" }'
    assert f"{{ {heads} {{ ?m sy:district ?d }} }} UNION {{ {heads} {{ ?f sy:district ?d }} }}" in out
    assert out.count("VALUES ?d") == 3  # not into the OPTIONAL's union, nor anywhere without VALUES at the head
    labelled = ('SELECT ?m ?f ?l WHERE { VALUES ?d { <https://w3id.org/shenyang-policy/id/district/hunnan> } '
                '?d a sy:District . { ?m sy:district ?d ; rdfs:label ?l } UNION { ?f sy:district ?d ; rdfs:label ?l } '
                'FILTER(LANG(?l) = "zh") } ORDER BY ?m ?f ?l')
    assert Q.values_into_unions(labelled).count("VALUES ?d") == 3
    assert Q.run(store, labelled).rows == Q.run(seed_graph, labelled).rows and len(Q.run(store, labelled)) > 5
    for unchanged in ("SELECT * WHERE { ?d a sy:District . { ?m sy:district ?d } UNION { ?f sy:district ?d } }",
                      "SELECT * WHERE { VALUES ?d { 1 2 } { ?m sy:district ?d } UNION { ?f sy:district ?d } }",
                      "SELECT * WHERE { VALUES ?d { 1 } ?m sy:district ?d }"):
        assert Q.values_into_unions(unchanged) == unchanged  # no head binding, two rows, no union


def test_optionals_give_the_same_rows_on_both_engines_with_outer_bindings(store, seed_graph):
    """A filter inside an OPTIONAL that reads a variable bound outside it: left join and LATERAL agree."""
    text = """SELECT ?m ?lang ?label WHERE {
        ?m a sy:Measure ; sy:year/rdfs:label ?y . VALUES ?lang { "zh" "en" }
        OPTIONAL { ?m rdfs:label ?label FILTER(LANG(?label) = ?lang && STRLEN(?label) > 6) }
        OPTIONAL { ?m sy:category ?c OPTIONAL { ?c skos:prefLabel ?cl FILTER(LANG(?cl) = ?lang) } }
    } ORDER BY ?m ?lang ?label"""
    a, b = Q.run(seed_graph, text), Q.run(store, text)
    assert a.rows == b.rows
    assert any(r["label"] is None for r in a.rows) and any(r["label"] is not None for r in a.rows)
