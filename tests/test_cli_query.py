"""`kg query`: the command line over the seed graph — formats, exit codes and messages."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rdflib import Graph
from rich.cells import cell_len

from kg import paths
from kg.cli import cli

PARAMS = ["--engine", "oxigraph"]


@pytest.fixture(scope="module")
def graph_file(seed_ttl):
    """The seed graph as `kg build` writes it (exports/shenyang.ttl)."""
    return seed_ttl


@pytest.fixture()
def kg(runner, graph_file):
    def invoke(*args, graph=True):
        extra = ["--graph", str(graph_file)] if graph else []
        return runner.invoke(cli, ["query", *extra, *args])

    return invoke


def test_list_and_prefixes(kg):
    res = kg("--list", graph=False)
    assert res.exit_code == 0
    names = [line.split()[0] for line in res.output.splitlines() if line and not line.startswith(" ")]
    assert len(names) >= 12 and "compare-years" in names and "district-subgraph" in names
    assert "--param district=…  (district, default 浑南区)" in res.output
    assert "Aggregation:" in res.output  # descriptions are shown
    res = kg("--prefixes", graph=False)
    for prefix in ("sy", "rdfs", "skos", "prov", "oa", "dcterms", "time", "qudt", "xsd"):
        assert f"PREFIX {prefix}: <" in res.output


def test_inline_query_formats(kg):
    q = ("SELECT ?v ?w WHERE { ?s a sy:Target ; sy:value ?v ; sy:asWritten ?w ; sy:measure/sy:category/skos:broader "
         "?c ; prov:hadPrimarySource/dcterms:identifier '003_6c8fb738ee7d04de' . ?c skos:notation "
         "'macro-indicators' } ORDER BY DESC(?v) ?w")
    res = kg(q, "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(res.output, newline="")))
    assert rows[0] == ["v", "w"] and rows[1] == ["10.0", "10%"] and len(rows) == 8
    res = kg(q, "--format", "json")
    doc = json.loads(res.output)
    assert doc["head"]["vars"] == ["v", "w"] and len(doc["results"]["bindings"]) == 7
    res = kg(q)  # not a terminal: TSV
    assert res.output.splitlines()[0] == "?v\t?w" and res.output.splitlines()[1] == '10.0\t"10%"'
    res = kg(q, "--format", "table")
    assert res.output.splitlines()[2].split() == ["10", "10%"]


def test_canned_with_param_json(kg):
    res = kg("--name", "targets-by-district", "--param", "district=浑南区", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["results"]["bindings"]
    assert [(r["district_zh"]["value"], r["as_written"]["value"]) for r in rows] == [("浑南区", "20元")]
    assert rows[0]["value"]["datatype"].endswith("#decimal")


def test_compare_years_table(kg):
    res = kg("--name", "compare-years", "--format", "table")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    row = next(line for line in lines if "old-residential-compounds" in line).split()
    assert row[row.index("2022"):row.index("2022") + 5] == ["2022", "2023", "475", "800", "325"]
    # columns line up whatever the characters' width: `unit` starts at one display column in every row
    start = cell_len(lines[0][:lines[0].index("unit")])
    for line in lines[2:]:
        third = list(re.finditer(r"\S+", line))[2]  # category, category_zh, unit: no spaces inside
        assert cell_len(line[:third.start()]) == start, line


def test_query_from_file_and_output_file(kg, tmp_path):
    f = tmp_path / "my.rq"
    f.write_text("# districts of the free school bus\nSELECT ?d WHERE {\n  ?m sy:category/skos:notation "
                 "'school-bus' ; sy:district/rdfs:label ?d . FILTER(LANG(?d) = 'zh') } ORDER BY ?d\n",
                 encoding="utf-8")
    out = tmp_path / "out.csv"
    res = kg("-f", str(f), "-o", str(out))
    assert res.exit_code == 0 and res.output == ""
    assert out.read_bytes().startswith(b"d\r\n") and len(out.read_text(encoding="utf-8").splitlines()) == 10
    assert not list(tmp_path.glob(".*.tmp"))


def test_ask_exit_codes(kg):
    res = kg("ASK { ?s a sy:Target }")
    assert (res.exit_code, res.output) == (0, "true\n")
    res = kg("--name", "has-outcomes", "--param", "year=2019")  # its review is in the missing 2020 report
    assert (res.exit_code, res.output) == (1, "false\n")
    res = kg("--name", "has-outcomes", "--param", "year=2019", "--format", "json")
    assert res.exit_code == 1 and json.loads(res.output) == {"head": {}, "boolean": False}


def test_construct_gives_turtle(kg):
    res = kg("--name", "district-subgraph", "--param", "district=康平")
    assert res.exit_code == 0, res.output
    g = Graph().parse(data=res.output, format="turtle")
    labels = {str(o) for o in g.objects()}
    assert "康平县" in labels and "卧龙湖湿地" in labels
    res = kg("--name", "district-subgraph", "--format", "csv")
    assert res.exit_code == 2 and "turtle or nt" in res.output


def test_syntax_error_line_and_column(kg):
    res = kg("SELECT ?x WHERE {\n  ?x ?y ?z\n  ?a ?b ?c }")
    assert res.exit_code == 2
    assert "SPARQL syntax error at line 3, column 3" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("text, words", [
    ("INSERT DATA { <http://a> <http://b> <http://c> }", "read-only"),
    ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    ("LOAD <http://example.org/x.ttl>", "read-only"),
    ("SELECT * WHERE { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }", "SERVICE"),
])
def test_refusals_exit_2(kg, text, words):
    res = kg(text)
    assert res.exit_code == 2 and words in res.output


def test_unknown_name_suggests(kg):
    res = kg("--name", "compare-year")
    assert res.exit_code == 2 and "did you mean compare-years" in res.output


def test_missing_graph_says_how_to_build(kg, runner, monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "EXPORTS", tmp_path / "exports")
    res = runner.invoke(cli, ["query", "--name", "indicators"])
    assert res.exit_code == 2 and "run `kg build`" in res.output
    res = kg("--name", "indicators", "--graph", str(tmp_path / "nope.ttl"), graph=False)
    assert res.exit_code == 2 and "nope.ttl" in res.output


def test_bad_parameters(kg):
    res = kg("--name", "measures-by-district", "--param", "district=浦东")
    assert res.exit_code == 2 and "no district '浦东'" in res.output
    res = kg("--name", "measures-by-district", "--param", "district")
    assert res.exit_code == 2 and "NAME=VALUE" in res.output
    res = kg("--name", "indicators", "--param", "district=浑南")
    assert res.exit_code == 2 and "this query takes: year" in res.output
    res = kg("SELECT 1", "--name", "indicators")
    assert res.exit_code == 2 and "exactly one query" in res.output


def test_show_prints_the_bound_query(kg):
    res = kg("--name", "indicators", "--param", "year=2023", "--show")
    assert res.exit_code == 0 and "VALUES ?year { 2023 }" in res.output and res.output.startswith("# title:")


def test_timeout(kg):
    res = kg("--timeout", "0.5", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert res.exit_code == 124 and "stopped after 0.5 s (timeout)" in res.output


def test_engines_agree_on_the_command_line(kg):
    a = kg("--name", "district-coverage", "--format", "json", "--engine", "rdflib")
    b = kg("--name", "district-coverage", "--format", "json")
    assert a.exit_code == b.exit_code == 0 and a.output == b.output
