"""LOD export formats: each parses back to the same graph, opens in the tools it is meant for, and is
byte-identical across builds, insertion orders and interpreter hash seeds."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from kg import paths
from kg.export import FORMATS, serialize
from kg.formats import CONTEXT_FILE, CSV_COLUMNS, LOD_OUTPUTS, jsonld_context
from kg.namespaces import ONTOLOGY_IRI, SY
from kg.ontodoc import ontology_html

from conftest import require_binary

MY_FORMATS = sorted(LOD_OUTPUTS)  # jsonld, rdfxml, trig, graphml, csv


@pytest.fixture(scope="module")
def exports(built, tmp_path_factory) -> Path:
    """A full `kg build` output directory of the seed graph."""
    from kg.pipeline import write_all

    out = tmp_path_factory.mktemp("exports")
    write_all(built, out)
    return out


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(paths.ONTOLOGY, format="turtle")


def test_build_writes_every_format(exports):
    names = {p.name for p in exports.iterdir()}
    assert set(LOD_OUTPUTS.values()) | {CONTEXT_FILE, "ontology.html", "catalog.ttl"} <= names
    assert not [n for n in names if n.startswith(".")], "no temp files left behind"
    assert {"jsonld", "rdfxml", "trig", "graphml", "csv"} <= set(FORMATS)


# ---------------------------------------------------------------------------------------------------- round trips


def test_jsonld_round_trips_and_is_compact(exports, seed_graph):
    data = (exports / "shenyang.jsonld").read_bytes()
    back = Graph().parse(data=data, format="json-ld")
    assert len(back) == len(seed_graph)
    assert isomorphic(back, seed_graph)
    doc = json.loads(data)
    # compact: terms and prefixed names, not full IRIs, as keys and types
    keys = {k for node in doc["@graph"] for k in node}
    assert not [k for k in keys if k.startswith("http")], keys
    statement = next(n for n in doc["@graph"] if n["@id"].startswith("id:statement/"))
    assert "QuantifiedStatement" in statement["@type"]
    assert statement["measure"].startswith("id:measure/")
    assert re.fullmatch(r"-?\d+(\.\d+)?", statement["value"])
    ids = [n["@id"] for n in doc["@graph"]]
    assert len(ids) == len(set(ids)) == len(set(seed_graph.subjects()))


def test_jsonld_chinese_is_not_escaped(exports, seed_graph):
    data = (exports / "shenyang.jsonld").read_bytes()
    assert b"\\u" not in data
    city = URIRef(paths_base(seed_graph) + "district/shenyang")
    zh = str(next(o for o in seed_graph.objects(city, RDFS.label) if o.language == "zh"))
    assert zh.encode("utf-8") in data
    doc = json.loads(data)
    node = next(n for n in doc["@graph"] if n["@id"] == "id:district/shenyang")
    assert node["label"]["zh"] == zh


def paths_base(g: Graph) -> str:
    return dict(g.namespaces())["id"]


def test_jsonld_context_is_published_and_embedded(exports, ontology):
    published = json.loads((exports / CONTEXT_FILE).read_bytes())
    embedded = json.loads((exports / "shenyang.jsonld").read_bytes())["@context"]
    assert published == {"@context": embedded}
    ctx = embedded
    sy_terms = {str(s)[len(str(SY._NS)):] for s in ontology.subjects(RDF.type, None)
                if str(s).startswith(str(SY._NS))
                and set(ontology.objects(s, RDF.type)) & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}}
    assert sy_terms <= set(ctx), sy_terms - set(ctx)
    assert ctx["measure"] == {"@id": "sy:measure", "@type": "@id"}
    assert ctx["value"] == {"@id": "sy:value", "@type": "xsd:decimal"}
    assert ctx["label"]["@container"] == "@language"
    assert ctx["unit"]["@id"] == "sy:unit" and ctx["qudt-unit"] == "http://qudt.org/vocab/unit/"


def test_jsonld_falls_back_for_values_that_do_not_fit_a_term():
    g = Graph()
    s = URIRef("https://w3id.org/shenyang-policy/id/goal/x/y")
    from rdflib import Literal
    g.add((s, RDFS.label, Literal("no language tag")))  # the term `label` is a language map
    g.add((s, SY.value, Literal("3", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))))
    g.add((s, SY.year, Literal("2022")))  # the term `year` expects an IRI
    back = Graph().parse(data=serialize(g, "jsonld"), format="json-ld")
    assert isomorphic(back, g)


def test_rdfxml_round_trips(exports, seed_graph):
    back = Graph().parse(exports / "shenyang.rdf", format="xml")
    assert isomorphic(back, seed_graph)
    head = (exports / "shenyang.rdf").read_bytes()[:200]
    assert head.lower().startswith(b'<?xml version="1.0" encoding="utf-8"?>')  # pyoxigraph writes UTF-8


def test_trig_has_data_and_ontology_as_named_graphs(exports, seed_graph, ontology):
    ds = Dataset()
    ds.parse(exports / "shenyang.trig", format="trig")
    graphs = {g.identifier: g for g in ds.graphs() if len(g)}
    data_name = URIRef(paths_base(seed_graph) + "dataset")
    assert set(graphs) == {data_name, ONTOLOGY_IRI}
    assert isomorphic(graphs[data_name], seed_graph)
    assert isomorphic(graphs[ONTOLOGY_IRI], ontology)


def test_graphml_opens_with_labels_and_classes(exports, seed_graph):
    import networkx as nx

    from kg.viz import to_networkx

    G = nx.read_graphml(exports / "shenyang.graphml")
    P = to_networkx(seed_graph)
    assert G.number_of_nodes() == P.number_of_nodes() > 0
    assert G.number_of_edges() == P.number_of_edges() > 0
    for n, attrs in G.nodes(data=True):
        assert attrs.get("label"), n
        assert attrs.get("class"), n
    # every measure of the graph is a node with its zh label and class Measure
    for m in seed_graph.subjects(RDF.type, SY.Measure):
        zh = next(str(o) for o in seed_graph.objects(m, RDFS.label) if o.language == "zh")
        assert G.nodes[str(m)]["label"] == zh
        assert G.nodes[str(m)]["class"] == "Measure"
    text = (exports / "shenyang.graphml").read_text(encoding="utf-8")
    assert 'attr.name="label"' in text and 'attr.name="class"' in text


def test_csv_has_one_row_per_statement_checked_against_records_and_texts(exports, built, source_dirs):
    raw = (exports / "shenyang.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == CSV_COLUMNS
    by_iri = {r["statement"]: r for r in rows}
    n_statements = len(set(built.graph.subjects(RDF.type, SY.QuantifiedStatement)))
    assert len(rows) == len(by_iri) == n_statements
    vocab = built.corpus.vocab
    checked = 0
    for record in built.corpus.records:
        text = next(d / f"{record.document.id}.txt" for d in source_dirs
                    if (d / f"{record.document.id}.txt").exists()).read_text(encoding="utf-8")
        gaz = vocab.gazetteers.get(record.document.city)  # none for the national reports (no districts named)
        zh_of = ({d.key: d.zh for d in gaz.divisions} | {gaz.city.key: gaz.city.zh}) if gaz else {}
        goals = {g.id: g for g in record.goals}
        for m in record.measures:
            for s in m.statements:
                row = by_iri[f"https://w3id.org/shenyang-policy/id/statement/{record.document.slug}/{s.id}"]
                assert Decimal(row["value"]) == s.value
                assert row["as_written"] == s.as_written
                assert row["year"] == ("" if s.period else str(s.year))  # a period has no single year
                assert row["kind"] == s.kind
                assert row["document"] == record.document.id
                assert row["measure"] == m.label and row["goal"] == goals[m.goal].label
                assert row["comparator"] == ";".join(sorted(s.comparators))
                assert row["unit"] == vocab.units[s.unit].zh
                assert row["category"] == vocab.categories[m.category].zh
                assert row["districts"] == ";".join(sorted(zh_of[k] for k in m.districts))
                start, end = int(row["start"]), int(row["end"])
                assert s.as_written in text[start:end]
                checked += 1
    assert checked == len(rows)


def test_csv_rows_are_sorted(exports):
    rows = list(csv.DictReader(io.StringIO((exports / "shenyang.csv").read_text(encoding="utf-8-sig"), newline="")))
    keys = [(r["year"], r["document"], int(r["start"])) for r in rows]
    assert keys == sorted(keys)


# ---------------------------------------------------------------------------------------------------- determinism


def test_every_format_is_independent_of_insertion_order(seed_graph):
    triples = list(seed_graph)
    random.Random(20240601).shuffle(triples)
    shuffled = Graph(bind_namespaces="none")
    for prefix, ns in reversed(list(seed_graph.namespaces())):
        shuffled.bind(prefix, ns)
    for t in triples:
        shuffled.add(t)
    for fmt in sorted(FORMATS):
        assert serialize(shuffled, fmt) == serialize(seed_graph, fmt), fmt


def test_two_builds_give_identical_files(exports, source_dirs, tmp_path):
    from kg.pipeline import build, write_all

    again = build(paths.RECORDS, sources_dir=source_dirs)
    write_all(again, tmp_path)
    for p in sorted(exports.iterdir()):
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name


_SCRIPT = """
import sys
from pathlib import Path
from rdflib import Graph
from kg.export import serialize
from kg.formats import LOD_OUTPUTS
g = Graph().parse(sys.argv[1], format="nt")
g.bind("id", "https://w3id.org/shenyang-policy/id/")
out = Path(sys.argv[2])
for fmt in sorted(LOD_OUTPUTS):
    (out / fmt).write_bytes(serialize(g, fmt))
"""


def test_formats_are_independent_of_the_hash_seed(exports, tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; the bytes must not."""
    results = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _SCRIPT, str(exports / "shenyang.nt"), str(out)], env=env,
                       check=True, timeout=300)
        results.append({fmt: (out / fmt).read_bytes() for fmt in MY_FORMATS})
    assert results[0] == results[1]
    for fmt, name in LOD_OUTPUTS.items():
        assert results[0][fmt] == (exports / name).read_bytes(), fmt


# ---------------------------------------------------------------------------------------------------- rapper


def _rapper_count(parser: str, path: Path) -> int:
    rapper = require_binary("rapper")
    proc = subprocess.run([rapper, "-i", parser, "-c", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"Parsing returned (\d+) triples", proc.stderr)
    assert m, proc.stderr
    return int(m.group(1))


def test_rapper_parses_the_ontology(ontology):
    assert _rapper_count("turtle", paths.ONTOLOGY) == len(ontology)


@pytest.mark.parametrize("parser,name", [("turtle", "shenyang.ttl"), ("ntriples", "shenyang.nt"),
                                         ("rdfxml", "shenyang.rdf"), ("turtle", "catalog.ttl")])
def test_rapper_counts_the_same_triples_as_rdflib(exports, parser, name):
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[parser]
    assert _rapper_count(parser, exports / name) == len(Graph().parse(exports / name, format=rdflib_format))


def test_rapper_reads_the_trig_quads(exports, seed_graph, ontology):
    assert _rapper_count("trig", exports / "shenyang.trig") == len(seed_graph) + len(ontology)


def test_nquads_has_the_graphs_of_the_trig(exports, seed_graph, ontology):
    assert _rapper_count("nquads", exports / "shenyang.nq") == len(seed_graph) + len(ontology)
    trig, nq = Dataset(), Dataset()
    trig.parse(exports / "shenyang.trig", format="trig")
    nq.parse(exports / "shenyang.nq", format="nquads")
    assert {str(g.identifier) for g in nq.graphs() if len(g)} == {str(g.identifier) for g in trig.graphs() if len(g)}
    for g in trig.graphs():
        assert set(nq.graph(g.identifier)) == set(g), g.identifier


# ---------------------------------------------------------------------------------------------------- ontology doc


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])

    def handle_data(self, data):
        self.text.append(data)


def test_ontology_html_documents_every_class_and_property(exports, ontology):
    page = _Text()
    page.feed((exports / "ontology.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)}, key=str)
    assert len(terms) >= 30
    for term in terms:
        local = str(term).rsplit("#", 1)[-1]
        assert str(term) in text, term
        assert local in page.ids, term
        for label in ontology.objects(term, RDFS.label):
            assert str(label) in text, (term, label.language)
    for href in page.hrefs:
        if href.startswith("#"):
            assert href[1:] in page.ids, href
    for c in ontology.subjects(RDF.type, SY.Comparator):  # the comparator individuals too
        assert str(c) in text


def test_ontology_html_escapes_and_is_deterministic(tmp_path):
    assert ontology_html() == ontology_html()
    evil = tmp_path / "o.ttl"
    evil.write_text(
        '@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
        '<https://example.org/o> a owl:Ontology .\n'
        '<https://example.org/o#A> a owl:Class ; rdfs:label "<script>alert(1)</script>"@en .\n', encoding="utf-8")
    page = ontology_html(evil).decode("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_context_terms_match_the_ontology_only(ontology):
    """Every sy: term of the context names a real ontology term (none invented)."""
    ctx = jsonld_context()
    sy_terms = {str(s) for s in ontology.subjects(RDF.type, None)}
    for term, d in ctx.items():
        iri = d if isinstance(d, str) else d["@id"]
        if iri.startswith("sy:"):
            assert str(SY._NS) + iri[3:] in sy_terms, term


# ---------------------------------------------------------------------------------------------------- CLI


def test_export_cli_converts_a_graph_file(runner, exports, tmp_path):
    from kg.cli import cli

    for fmt, name in sorted(LOD_OUTPUTS.items()):
        out = tmp_path / name
        r = runner.invoke(cli, ["export", "--format", fmt, "--graph", str(exports / "shenyang.ttl"),
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert out.read_bytes() == (exports / name).read_bytes(), fmt
    r = runner.invoke(cli, ["export", "--format", "csv", "--graph", str(exports / "shenyang.nt")])
    assert r.exit_code == 0
    assert r.stdout_bytes == (exports / "shenyang.csv").read_bytes()


def test_export_cli_errors(runner, tmp_path):
    from kg.cli import cli

    r = runner.invoke(cli, ["export", "--format", "docx", "--graph", str(tmp_path / "x.ttl")])
    assert r.exit_code == 2 and "choose one of" in r.output
    r = runner.invoke(cli, ["export", "--format", "jsonld", "--graph", str(tmp_path / "missing.ttl")])
    assert r.exit_code == 2 and "missing.ttl" in r.output and "Traceback" not in r.output
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    out = tmp_path / "out.jsonld"
    r = runner.invoke(cli, ["export", "--format", "jsonld", "--graph", str(bad), "--out", str(out)])
    assert r.exit_code == 2 and "bad.ttl" in r.output
    assert not out.exists()


def test_export_cli_reports_graphs_a_format_cannot_hold(runner, tmp_path):
    from kg.cli import cli

    src = tmp_path / "odd.ttl"
    src.write_text("<http://example.org/a> <http://example.org/1> 'x' .\n", encoding="utf-8")
    r = runner.invoke(cli, ["export", "--format", "rdfxml", "--graph", str(src), "--out", str(tmp_path / "o.rdf")])
    assert r.exit_code == 2 and "cannot write this graph as rdfxml" in r.output
    assert not (tmp_path / "o.rdf").exists()
