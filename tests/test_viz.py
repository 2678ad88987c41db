"""kg.viz without a browser: the networkx projection, the filtered views, the page's bytes, `kg viz`."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg import paths
from kg.cli import cli
from kg.errors import InputError
from kg.namespaces import SY
from kg.viz import (HTML_NAME, filter_graph, html_bytes, html_output, page_data, render_html, split_values,
                    term_definition, to_networkx)

PREFIX = "PREFIX sy: <https://w3id.org/shenyang-policy/ontology#>\n"
HUNNAN = "浑南区"


@pytest.fixture(scope="module")
def G(seed_graph):
    return to_networkx(seed_graph)


@pytest.fixture(scope="module")
def page(G) -> str:
    return render_html(G)


def sparql_set(graph: Graph, query: str) -> set[str]:
    return {str(row[0]) for row in graph.query(PREFIX + query)}


def nodes_of(G, cls: str) -> set[str]:
    return {n for n, a in G.nodes(data=True) if a["class"] == cls}


# ---------------------------------------------------------------------------------------------------------
# the projection


@pytest.mark.sources
def test_projection_has_every_node_of_each_class(seed_graph, G):
    places = ("District", "City", "Province", "Country")
    for cls in ("Goal", "Measure", "Facility", *places, "Year"):
        # a municipality (北京市) is a province and a city: the projection shows it as a city
        only = " FILTER NOT EXISTS { ?n a sy:City }" if cls == "Province" else ""
        assert nodes_of(G, cls) == sparql_set(seed_graph, f"SELECT ?n WHERE {{ ?n a sy:{cls}{only} }}"), cls
    statements = sparql_set(seed_graph, "SELECT ?n WHERE { ?n a sy:QuantifiedStatement }")
    by_kind = {k: sparql_set(seed_graph, f"SELECT ?n WHERE {{ ?n a sy:{k} }}") for k in ("Target", "Outcome", "Indicator")}
    for kind, expected in by_kind.items():
        assert nodes_of(G, kind) == expected, kind
    assert set().union(*by_kind.values()) == statements
    # nothing else: documents, units, categories and comparators are attributes, not nodes
    assert G.number_of_nodes() == sum(len(nodes_of(G, c)) for c in
                                      ("Goal", "Measure", "Facility", *places, "Year", *by_kind))


@pytest.mark.sources
def test_projection_edges_are_the_rdf_relations(seed_graph, G):
    for rel in ("subGoalOf", "underGoal", "measure", "facility", "district", "inCity"):
        pairs = {(str(s), str(o)) for s, o in seed_graph.subject_objects(SY[rel])}
        edges = {(u, v) for u, v, k in G.edges(keys=True) if k == rel}
        assert edges == pairs, rel
        assert all(G.edges[u, v, rel]["relation_iri"] == str(SY[rel]) for u, v in edges)
    # sy:year: every top-level goal links to its year; a child only when its year differs from its parent's
    roots = sparql_set(seed_graph, "SELECT ?g WHERE { ?g a sy:Goal FILTER NOT EXISTS { ?g sy:subGoalOf ?p } }")
    year_edges = {u: v for u, v, k in G.edges(keys=True) if k == "year"}
    assert roots <= set(year_edges)
    implied = sparql_set(seed_graph, """SELECT ?m WHERE { ?m sy:underGoal ?g . ?m sy:year ?y . ?g sy:year ?y }""")
    assert not implied & set(year_edges)
    for u, v in year_edges.items():
        assert (URIRef(u), SY.year, URIRef(v)) in seed_graph


@pytest.mark.sources
def test_node_attributes_come_from_the_graph_and_the_source_text(seed_graph, G, source_dirs):
    texts = {p.stem: p.read_text(encoding="utf-8") for d in source_dirs for p in d.glob("*.txt")}
    checked = 0
    for n, a in G.nodes(data=True):
        assert a["iri"] == n and a["label"] == a["label_zh"]
        assert Literal(a["label_zh"], lang="zh") in set(seed_graph.objects(URIRef(n), RDFS.label)) or \
            a["class"] in {"Year"}
        if "quote" in a:  # the quote is the source text at the recorded offsets
            assert texts[a["source_doc"]][a["start"]:a["end"]] == a["quote"]
            checked += 1
        if "as_written" in a:
            assert a["as_written"] in a["quote"]
            assert str(seed_graph.value(URIRef(n), SY.value)) == a["value"]
        if a["class"] in {"Goal", "Measure", "Target", "Indicator"}:
            assert isinstance(a["year"], int) and str(a["year"]) in split_values(a["years"])
    assert checked > 400


@pytest.mark.sources
def test_projection_is_graphml_ready(G):
    for _, a in G.nodes(data=True):
        assert all(isinstance(v, (str, int, bool)) for v in a.values()), a
    for *_, a in G.edges(keys=True, data=True):
        assert all(isinstance(v, str) for v in a.values())
    buf = io.BytesIO()
    nx.write_graphml(G, buf)
    back = nx.read_graphml(io.BytesIO(buf.getvalue()), force_multigraph=True)
    assert back.number_of_nodes() == G.number_of_nodes() and back.number_of_edges() == G.number_of_edges()


@pytest.mark.sources
def test_district_scope_follows_measures_facilities_and_goals(seed_graph, G):
    # the 2022 report names 浑南科技城 (a measure and a facility in 浑南区), the 2023 one lists 浑南区 with others
    direct = sparql_set(seed_graph, f"""SELECT ?m WHERE {{ ?m a sy:Measure .
        {{ ?m sy:district ?d }} UNION {{ ?m sy:facility/sy:district ?d }} ?d rdfs:label "{HUNNAN}"@zh }}""")
    assert len(direct) >= 2
    scoped = {n for n, a in G.nodes(data=True) if a["class"] == "Measure" and HUNNAN in split_values(a.get("districts"))}
    assert scoped == direct
    goals = sparql_set(seed_graph, f"""SELECT DISTINCT ?g WHERE {{ ?m sy:underGoal/sy:subGoalOf* ?g .
        VALUES ?m {{ {' '.join(f'<{m}>' for m in direct)} }} }}""")
    assert goals == {n for n in nodes_of(G, "Goal") if HUNNAN in split_values(G.nodes[n].get("districts"))}


# ---------------------------------------------------------------------------------------------------------
# views


@pytest.mark.sources
def test_year_view(G):
    view = filter_graph(G, year=2023)
    assert 0 < view.number_of_nodes() < G.number_of_nodes()
    dated = {n for n, a in G.nodes(data=True) if "year" in a}
    assert {n for n in view if n in dated} == {n for n in dated if G.nodes[n]["year"] == 2023}
    # places and facilities stay when something of 2023 links to them
    for n, a in view.nodes(data=True):
        if "year" not in a:
            assert "2023" in split_values(a.get("years")) or a["class"] == "City"
    assert view.graph["filters"] == "2023年"
    assert set(view.edges(keys=True)) == {e for e in G.edges(keys=True) if e[0] in view and e[1] in view}


@pytest.mark.sources
def test_district_view_accepts_short_and_english_names(G):
    full = filter_graph(G, district=HUNNAN)
    for name in ("浑南", "Hunnan District", "https://w3id.org/shenyang-policy/id/district/hunnan"):
        assert set(filter_graph(G, district=name)) == set(full)
    measures = nodes_of(full, "Measure")
    assert measures == {n for n in nodes_of(G, "Measure") if HUNNAN in split_values(G.nodes[n].get("districts"))}
    both = filter_graph(G, year=2023, district="浑南")
    assert set(both) < set(full)
    assert {full.nodes[m]["year"] for m in nodes_of(both, "Measure")} == {2023}


@pytest.mark.sources
def test_goal_view_is_the_goal_subtree(seed_graph, G):
    root = "https://w3id.org/shenyang-policy/id/goal/shenyang-2022/ls"
    view = filter_graph(G, goal="shenyang-2022/ls")
    assert nodes_of(view, "Goal") == sparql_set(seed_graph, f"SELECT ?g WHERE {{ ?g sy:subGoalOf* <{root}> }}")
    assert nodes_of(view, "Measure") == sparql_set(
        seed_graph, f"SELECT ?m WHERE {{ ?m sy:underGoal/sy:subGoalOf* <{root}> }}")
    assert set(filter_graph(G, goal=root)) == set(view)


@pytest.mark.sources
def test_focus_view_by_depth(G):
    measure = sorted(n for n in nodes_of(G, "Measure") if G.in_degree(n) >= 2)[0]
    assert set(filter_graph(G, focus=measure, depth=0)) == {measure}
    one = filter_graph(G, focus=measure, depth=1)
    assert set(one) == {measure} | set(nx.all_neighbors(G, measure))
    two = filter_graph(G, focus=measure, depth=2)
    assert set(one) < set(two)
    # hubs are endpoints, not bridges: a year node does not pull in its whole year
    year = next(n for n in nodes_of(G, "Year"))
    around = filter_graph(G, focus=year, depth=3)
    assert around.number_of_nodes() < G.number_of_nodes()


@pytest.mark.sources
def test_view_errors_name_the_fix(G):
    with pytest.raises(InputError, match="unknown district '北京'; districts in the graph: .*浑南区"):
        filter_graph(G, district="北京")
    with pytest.raises(InputError, match="no node of the graph is in year 1999; years present: .*2022, 2023"):
        filter_graph(G, year=1999)
    with pytest.raises(InputError, match="goal 'ls-03' is ambiguous: it matches 2 nodes"):
        filter_graph(G, goal="ls-03")
    with pytest.raises(InputError, match="no node 'nowhere'"):
        filter_graph(G, focus="nowhere")


# ---------------------------------------------------------------------------------------------------------
# the page


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


@pytest.mark.sources
def test_page_is_self_contained(page):
    parsed = _Tags()
    parsed.feed(page)
    assert page.startswith("<!DOCTYPE html>")
    assert ("meta", {"charset": "utf-8"}) in parsed.tags
    for tag, attrs in parsed.tags:  # nothing is loaded from anywhere: no src, no href, no CDN
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    for word in ("cdnjs", "jsdelivr", "unpkg", "bootstrap", "tom-select", "googleapis", "fetch(", "xmlhttprequest"):
        assert word not in page.lower()
    # the CSP allows exactly the one inline script (kg's renderer), and nothing from the network
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    code = [text for attrs, text in parsed.scripts if "type" not in attrs]
    assert len(code) == 1
    for text in code:
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert all(attrs.get("type") == "application/json" for attrs, _ in parsed.scripts if "type" in attrs)


@pytest.mark.sources
def test_page_holds_the_projection_in_chinese(G, page):
    parsed = _Tags()
    parsed.feed(page)
    import json

    data = next(json.loads(text) for attrs, text in parsed.scripts if attrs.get("id") == "kg-data")
    assert len(data["nodes"]) == G.number_of_nodes() and len(data["edges"]) == G.number_of_edges()
    assert [n["iri"] for n in data["nodes"]] == sorted(G.nodes)
    first = data["nodes"][0]
    assert first["label_zh"] == G.nodes[first["iri"]]["label_zh"] and first["class"] == G.nodes[first["iri"]]["class"]
    iris = [n["iri"] for n in data["nodes"]]
    assert {(iris[s], iris[o], rel) for s, o, rel in data["edges"]} == set(G.edges(keys=True))
    ui = data["ui"]
    assert {r["zh"] for r in ui["relations"].values()} >= {"所属目标", "上级目标"}  # relation labels from the ontology
    assert {"2022", "2023"} <= set(ui["years"]) and HUNNAN in ui["districts"]
    assert "目标" in {c["zh"] for c in ui["classes"] if c["count"]}
    assert page.encode("utf-8").count("沈阳".encode("utf-8")) > 0


def _xss_graph() -> Graph:
    g = Graph()
    base = "https://example.org/t/"
    y, goal, m = URIRef(base + "year/2024"), URIRef(base + "goal/g"), URIRef(base + "measure/m")
    g.add((y, RDF.type, SY.Year))
    g.add((y, RDFS.label, Literal("2024", lang="en")))
    g.add((goal, RDF.type, SY.Goal))
    g.add((goal, RDFS.label, Literal("<script>window.__xss=1</script>", lang="zh")))
    g.add((goal, SY.year, y))
    g.add((m, RDF.type, SY.Measure))
    g.add((m, RDFS.label, Literal('<img src=x onerror="window.__xss=2">', lang="zh")))
    g.add((m, SY.underGoal, goal))
    g.add((m, SY.year, y))
    return g


def test_labels_never_reach_the_page_as_markup():
    page = render_html(_xss_graph())
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert "\\u003cimg src=x onerror=" in page  # present, but as JSON data


@pytest.mark.sources
def test_page_is_deterministic_and_utf8_whatever_the_locale(G, page, tmp_path):
    assert render_html(G) == page
    env = {**os.environ, "PYTHONHASHSEED": "12345", "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
           "PYTHONIOENCODING": "ascii"}
    out = tmp_path / "page.html"
    subprocess.run([sys.executable, "-m", "kg", "viz", "--out", str(out)], check=True, env=env,
                   capture_output=True, cwd=tmp_path)
    assert out.read_bytes() == page.encode("utf-8")


@pytest.mark.sources
def test_reading_guide_is_the_ontologys_own_definitions(G, page):
    """The "how to read" panel is built from skos:definition in the ontology, never from text in the JS."""
    onto = Graph().parse(paths.ONTOLOGY)
    ui = page_data(G)["ui"]
    for c in ui["classes"]:
        if c["count"]:
            defs = {str(o) for o in onto.objects(URIRef(str(SY.Goal).replace("Goal", c["key"])), SKOS.definition)}
            assert c["def_zh"] in defs and c["def_en"] in defs, c["key"]
    assert {c["key"] for c in ui["comparators"]} >= {"AtLeast", "AtMost", "Approximately"}
    assert all(c["def_zh"] and c["def_en"] for c in ui["comparators"])
    assert term_definition(SY.Target)[0] in page  # shipped in the page's data


@pytest.mark.sources
def test_statements_carry_their_measures_category_and_jurisdiction(seed_graph, G):
    issuers = {("https://w3id.org/shenyang-policy/id/district/shenyang", "City"),
               ("https://w3id.org/shenyang-policy/id/district/china", "Country")}  # Shenyang's and the nation's
    stmts = [a for _, a in G.nodes(data=True) if a["class"] in ("Target", "Outcome", "Indicator")]
    assert stmts and all((a.get("jurisdictions"), a.get("levels")) in issuers for a in stmts)
    for n, a in G.nodes(data=True):
        if a["class"] == "Target":
            measure = seed_graph.value(URIRef(n), SY.measure)
            cat = seed_graph.value(measure, SY.category)
            if cat is not None:
                assert a["category"] in {str(o) for o in seed_graph.objects(cat, SKOS.prefLabel)}
    assert sum("category" in a for a in stmts) > len(stmts) / 2


@pytest.mark.sources
def test_kg_build_publishes_the_page(built, page):
    from kg.pipeline import publishers

    assert html_output in publishers()
    assert html_output(built, {}) == {HTML_NAME: page.encode("utf-8")}


# ---------------------------------------------------------------------------------------------------------
# kg viz


@pytest.mark.sources
def test_cli_writes_a_filtered_page(runner, G, tmp_path):
    out = tmp_path / "hunnan.html"
    res = runner.invoke(cli, ["viz", "--year", "2023", "--district", "浑南", "--out", str(out)])
    assert res.exit_code == 0, res.output
    view = filter_graph(G, year=2023, district=HUNNAN)
    assert f"{view.number_of_nodes()} nodes, {view.number_of_edges()} edges (2023年 · 浑南区)" in res.output
    assert out.read_bytes() == html_bytes(view)
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.sources
def test_cli_reads_an_rdf_file(runner, seed_graph, G, tmp_path):
    ttl = tmp_path / "g.ttl"
    seed_graph.serialize(ttl, format="turtle")
    out = tmp_path / "g.html"
    res = runner.invoke(cli, ["viz", "--graph", str(ttl), "--focus", "district/hunnan", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == html_bytes(filter_graph(G, focus="district/hunnan"))


@pytest.mark.sources
def test_jurisdiction_and_level_views(G):
    """Shenyang's statements come from Shenyang's reports: the city's view keeps all of them and none of the
    nation's; the national level's view keeps the nation's."""
    city = "https://w3id.org/shenyang-policy/id/district/shenyang"
    stmts = {n: a for n, a in G.nodes(data=True) if a["class"] in {"Target", "Outcome"}}
    content = {n for n, a in stmts.items() if a.get("jurisdictions") == city}
    nation = {n for n, a in stmts.items() if a.get("levels") == "Country"}
    by_city = filter_graph(G, jurisdiction=G.nodes[city]["label_zh"])
    assert content and content <= set(by_city) and not nation & set(by_city)
    assert set(by_city) == set(filter_graph(G, jurisdiction=city))
    assert by_city.graph["filters"] == G.nodes[city]["label_zh"]
    assert nation and nation <= set(filter_graph(G, level="Country"))


@pytest.mark.sources
@pytest.mark.parametrize("args, message", [
    (["--district", "北京"], "unknown district '北京'"),
    (["--year", "1999"], "no node of the graph is in year 1999"),
    (["--goal", "ls-03"], "is ambiguous"),
    (["--depth", "2"], "--depth needs --focus"),
    (["--level", "Town"], "'Town' is not one of"),
    (["--jurisdiction", "火星"], "no jurisdiction '火星'"),
])
def test_cli_bad_filters_exit_2_without_writing(runner, tmp_path, args, message):
    out = tmp_path / "x.html"
    res = runner.invoke(cli, ["viz", *args, "--out", str(out)])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_cli_help_lists_the_filters(runner):
    res = runner.invoke(cli, ["viz", "--help"])
    assert res.exit_code == 0
    for opt in ("--year", "--district", "--goal", "--focus", "--depth", "--jurisdiction", "--level", "--out", "--graph"):
        assert opt in res.output
    assert Path(paths.EXPORTS / "shenyang.html").name in res.output
