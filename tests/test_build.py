"""kg build: the graph's shape, determinism, source checks, SHACL gate, and all-or-nothing output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg import paths
from kg.cli import cli
from kg.namespaces import PREFIXES, SY

ONTOLOGY = Graph().parse(paths.ONTOLOGY)


def ask(g: Graph, q: str) -> bool:
    return bool(g.query("ASK {" + q + "}", initNs=PREFIXES).askAnswer)


def test_every_ontology_term_has_zh_en_labels_and_a_definition():
    terms = set(ONTOLOGY.subjects(RDF.type, OWL.Class)) | set(ONTOLOGY.subjects(RDF.type, OWL.ObjectProperty)) \
        | set(ONTOLOGY.subjects(RDF.type, OWL.DatatypeProperty)) | set(ONTOLOGY.subjects(RDF.type, SY.Comparator))
    assert len(terms) > 30
    for term in terms:
        langs = {lit.language for lit in ONTOLOGY.objects(term, RDFS.label)}
        assert {"zh", "en"} <= langs, term
        assert {lit.language for lit in ONTOLOGY.objects(term, SKOS.definition)} >= {"zh", "en"}, term


def test_every_sy_term_used_in_code_is_declared():
    declared = {s for s in ONTOLOGY.subjects() if str(s).startswith(str(SY._NS))}
    used = {SY[name] for name in SY.__annotations__}
    assert used <= declared, used - declared


def test_graph_shape(seed_graph):
    g = seed_graph
    assert len(list(g.subjects(RDF.type, SY.District))) == 13
    # Shenyang, and the four municipalities among the provinces directly within the nation
    assert len(list(g.subjects(RDF.type, SY.City))) == 5
    assert len(list(g.subjects(RDF.type, SY.Document))) == 9  # Shenyang 2022, 2023 + the nation 2018–2025 (not 2020)
    # goals nest, measures hang under goals with year and category, statements quantify measures
    assert ask(g, "?g sy:subGoalOf ?p . ?p a sy:Goal .")
    assert not ask(g, "?m a sy:Measure . FILTER NOT EXISTS { ?m sy:underGoal ?g ; sy:year ?y ; sy:category ?c }")
    assert not ask(g, "?s a sy:QuantifiedStatement . FILTER NOT EXISTS { ?s sy:measure ?m ; sy:value ?v ; sy:unit ?u ; sy:comparator ?c }")
    # 2023 economic targets exist and GDP growth is an increase of at least 6 percent; no statement is an
    # indicator any more (a GDP target is a target of the gdp-growth category)
    assert not ask(g, "?s a sy:Indicator .")
    assert ask(g, """?s a sy:Target ; sy:reviewed true ; sy:value 6.0 ; sy:comparator sy:IncreaseBy , sy:AtLeast ;
                       sy:unit unit:PERCENT ; sy:measure/sy:category ?c . ?c skos:notation "gdp-growth" """)
    # the free school bus names nine districts
    rows = g.query("""SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?m sy:category/skos:notation "school-bus" ;
                      sy:district ?d }""", initNs=PREFIXES)
    assert int(next(iter(rows))[0]) == 9
    # a year is an OWL-Time interval
    assert ask(g, "?y a sy:Year , time:Interval ; time:hasBeginning/time:inXSDDate ?b .")
    assert ask(g, '<https://w3id.org/shenyang-policy/id/year/2023> time:inXSDgYear "2023"^^xsd:gYear .')


def test_provenance_of_every_anchored_node(seed_graph):
    from kg.namespaces import OA

    g = seed_graph
    anchored = {s for c in (SY.Goal, SY.Measure, SY.QuantifiedStatement) for s in g.subjects(RDF.type, c)}
    assert len(anchored) > 300
    for node in anchored:
        spans = list(g.objects(node, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
        assert len(spans) == 1, node
        span = spans[0]
        assert (span, RDF.type, OA.SpecificResource) in g
        doc = g.value(span, OA.hasSource)
        assert g.value(doc, URIRef("http://purl.org/dc/terms/identifier")) is not None
        positions = [s for s in g.objects(span, OA.hasSelector) if (s, RDF.type, OA.TextPositionSelector) in g]
        assert len(positions) == 1, node
        assert int(g.value(positions[0], OA.start)) < int(g.value(positions[0], OA.end))


def test_quotes_equal_the_text_at_the_offsets(seed_graph, source_dirs):
    rows = seed_graph.query("""
        SELECT ?id ?start ?end ?exact WHERE { ?span oa:hasSource/dcterms:identifier ?id ;
          oa:hasSelector ?p , ?q . ?p oa:start ?start ; oa:end ?end . ?q oa:exact ?exact }""", initNs=PREFIXES)
    texts = {p.stem: p.read_text(encoding="utf-8") for d in source_dirs for p in d.glob("*.txt")}
    n = 0
    for r in rows:
        assert texts[str(r.id)][int(r.start):int(r.end)] == str(r.exact)
        n += 1
    assert n > 400


def test_two_builds_are_byte_identical(runner, tmp_path):
    for name in ("a", "b"):
        result = runner.invoke(cli, ["build", "--out", str(tmp_path / name), "-q"])
        assert result.exit_code == 0, result.output
    for f in ("shenyang.ttl", "shenyang.nt"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_committed_exports_match_a_fresh_build(runner, tmp_path, source_dirs):
    sources = [arg for d in source_dirs for arg in ("--sources", str(d))]  # the seeds and the national reports
    result = runner.invoke(cli, ["build", "--out", str(tmp_path), *sources, "-q"])
    assert result.exit_code == 0, result.output
    for f in sorted(p.name for p in tmp_path.iterdir()):
        committed = paths.EXPORTS / f
        assert committed.exists(), f"exports/{f} is not committed: run `kg build` and commit"
        assert committed.read_bytes() == (tmp_path / f).read_bytes(), f"exports/{f} is stale: run `kg build`"


def test_turtle_imports_the_ontology_and_round_trips(seed_graph, tmp_path):
    from kg.export import to_ntriples, to_turtle

    ttl = to_turtle(seed_graph)
    g = Graph().parse(data=ttl, format="turtle")
    assert (None, OWL.imports, URIRef("https://w3id.org/shenyang-policy/ontology")) in g
    assert not ask(g, "?c a owl:Class")  # imported, not merged
    from rdflib.compare import isomorphic

    assert isomorphic(g, seed_graph)
    assert isomorphic(Graph().parse(data=to_ntriples(seed_graph), format="nt"), seed_graph)


def test_build_prints_counts_per_class(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "sy:Measure" in result.output and "sy:Target" in result.output
    assert "wrote" in result.output


def test_base_iri_is_configurable(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--out", str(tmp_path), "--base-iri", "https://example.org/kg/", "-q"])
    assert result.exit_code == 0, result.output
    g = Graph().parse(tmp_path / "shenyang.ttl")
    assert (URIRef("https://example.org/kg/district/hunnan"), RDF.type, SY.District) in g


def test_without_sources_there_are_no_quotes(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--out", str(tmp_path), "--no-sources", "-q"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "shenyang.nt").read_text(encoding="utf-8")
    assert "http://www.w3.org/ns/oa#exact" not in text
    assert "http://www.w3.org/ns/oa#start" in text


# --- bad input: one message, non-zero exit, nothing written -------------------------------------------

def copy_records(tmp_path: Path) -> Path:
    d = tmp_path / "records"
    shutil.copytree(paths.RECORDS, d)
    return d


def build_fails(runner, args, out: Path) -> str:
    out.mkdir(exist_ok=True)
    (out / "shenyang.ttl").write_text("previous export", encoding="utf-8")
    result = runner.invoke(cli, ["build", "--out", str(out), *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["shenyang.ttl"]
    assert (out / "shenyang.ttl").read_text(encoding="utf-8") == "previous export"
    return result.output


def test_span_not_covering_its_number_names_the_record(runner, tmp_path, sources_dir):
    d = copy_records(tmp_path)
    f = d / "000_2843d9040c2a1b1a.yaml"
    text = f.read_text(encoding="utf-8")
    i = text.index("as_written: 475个")
    j = text.index("span: [", i)
    k = text.index("]", j)
    f.write_text(text[:j] + "span: [10, 20" + text[k:], encoding="utf-8")
    out = build_fails(runner, ["--records", str(d), "--sources", str(sources_dir)], tmp_path / "out")
    assert "000_2843d9040c2a1b1a.yaml:" in out and "does not contain as_written '475个'" in out


def test_altered_source_text_is_detected(runner, tmp_path, sources_dir):
    src = tmp_path / "sources"
    shutil.copytree(sources_dir, src)
    p = src / "003_6c8fb738ee7d04de.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("800个", "900个"), encoding="utf-8")
    out = build_fails(runner, ["--sources", str(src)], tmp_path / "out")
    assert "003_6c8fb738ee7d04de.yaml: document.sha256" in out and "the text changed" in out


def test_unknown_district_lists_the_known_ones(runner, tmp_path):
    d = copy_records(tmp_path)
    f = d / "003_6c8fb738ee7d04de.yaml"
    text = f.read_text(encoding="utf-8")
    assert "浑南区" in text
    f.write_text(text.replace("浑南区", "浑北区", 1), encoding="utf-8")
    out = build_fails(runner, ["--records", str(d)], tmp_path / "out")
    assert "unknown district '浑北区'; known: 沈阳市, 和平区, 沈河区" in out


def test_shacl_violation_names_the_record(runner, tmp_path, monkeypatch):
    shapes = tmp_path / "shapes.ttl"
    # A stricter shape than ours: every measure must name a district. Most do not, so the build must fail.
    shapes.write_text(paths.SHAPES.read_text(encoding="utf-8") + """
shapes:MustHaveDistrict a sh:NodeShape ; sh:targetClass sy:Measure ;
    sh:property [ sh:path sy:district ; sh:minCount 1 ; sh:message "test: a district is required" ] .
""", encoding="utf-8")
    monkeypatch.setattr(paths, "SHAPES", shapes)
    import kg.validate

    monkeypatch.setattr(kg.validate.validate_graph, "__defaults__", (shapes, paths.ONTOLOGY))
    out = build_fails(runner, [], tmp_path / "out")
    assert "test: a district is required" in out and "comes from" in out and ".yaml:" in out


def test_broken_shapes_file_is_a_clear_error(runner, tmp_path, monkeypatch):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nthis is not turtle", encoding="utf-8")
    import kg.validate

    monkeypatch.setattr(kg.validate.validate_graph, "__defaults__", (shapes, paths.ONTOLOGY))
    out = build_fails(runner, [], tmp_path / "out")
    assert f"{shapes}: cannot parse as turtle" in out


def test_unwritable_output_is_a_clear_error(runner, tmp_path):
    out = tmp_path / "not-a-dir"
    out.write_text("a file where the output directory should be", encoding="utf-8")
    result = runner.invoke(cli, ["build", "--out", str(out)])
    assert result.exit_code == 2
    assert "is a file" in result.output and "Traceback" not in result.output
    assert out.read_text(encoding="utf-8").startswith("a file")


def test_commit_files_cleans_up_on_failure(tmp_path, monkeypatch):
    from kg import export
    from kg.errors import KgError

    target = tmp_path / "a.ttl"
    target.write_bytes(b"old")
    real_replace = os.replace

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", disk_full)
    with pytest.raises(KgError, match="No space left on device"):
        export.commit_files([(target, b"new"), (tmp_path / "b.nt", b"new")])
    monkeypatch.setattr(export.os, "replace", real_replace)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl"]
    assert target.read_bytes() == b"old"


def test_validate_command_exit_codes(runner, tmp_path):
    good = tmp_path / "g.ttl"
    result = runner.invoke(cli, ["build", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0
    good = tmp_path / "shenyang.ttl"
    ok = runner.invoke(cli, ["validate", str(good)])
    assert ok.exit_code == 0 and "conforms" in ok.output
    g = Graph().parse(good)
    m = next(g.subjects(RDF.type, SY.Measure))
    g.remove((m, SY.underGoal, None))
    g.add((m, SY.district, Literal("not a district")))
    bad = tmp_path / "bad.ttl"
    g.serialize(bad, format="turtle")
    result = runner.invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "every measure has exactly one goal" in result.output
    assert "comes from" in result.output and ".yaml:" in result.output  # names the source record
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 2 and "cannot parse as turtle" in result.output


def test_build_graph_script_runs(tmp_path):
    result = subprocess.run([sys.executable, str(paths.ROOT / "build_graph.py"), "--out", str(tmp_path), "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shenyang.ttl").exists()


def test_shacl_refuses_two_bounds_on_one_statement(built):
    """The loader refuses `comparator: [at-least, at-most]`; a graph made some other way meets the same rule
    in SHACL (queries rely on it: one change and one bound at most, so one comparator text per statement)."""
    from kg.namespaces import SY
    from kg.validate import validate_graph

    graph = Graph()
    for t in built.graph:
        graph.add(t)
    statement = next(graph.subjects(SY.comparator, SY.AtLeast))
    graph.add((statement, SY.comparator, SY.AtMost))
    messages = {v.message for v in validate_graph(graph)}
    assert any("at most one bound comparator" in m for m in messages), messages
    graph.remove((statement, SY.comparator, SY.AtMost))
    assert validate_graph(graph) == []
