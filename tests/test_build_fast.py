"""The everyday build's fast paths give the bytes the rdflib paths give, on the seeds and on a synthetic corpus.

`kg build` writes JSON-LD, CSV, GraphML, the HTML page and the catalog from the sorted N-Triples indexed
(kg.graphview) instead of an rdflib Graph, draws the viz projection without networkx (kg.projection), writes
GraphML and fills the page template without networkx's writer and Jinja, reads the ontology through pyoxigraph,
and renders half the files and SHACL in a forked child (kg.forked). Each is compared here with what the
reference path (rdflib Graph, networkx, Jinja, one process) gives. Speed is measured in benchmarks/, not here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import formats, ontodoc, paths, viz
from kg.catalog import catalog_turtle
from kg.errors import InputError, ShapesError
from kg.forked import Forked
from kg.graphview import GraphView, turtle_view
from kg.namespaces import SY
from kg.pipeline import BuildResult, build, write_all
from kg.records import load_records
from kg.sources import load_sources
from kg.store import build_store
from kg.synth import Plan, synthesize


@pytest.fixture(scope="module")
def synth_result(tmp_path_factory):
    """A made-up city report (about 5k triples) as `kg build` holds it."""
    out = tmp_path_factory.mktemp("fast") / "corpus"
    synthesize(Plan(cities=1, years=2, seed=5), out)
    corpus = load_records(out / "records")
    return BuildResult(build_store(corpus, sources=load_sources(out / "sources", corpus)), corpus)


@pytest.fixture(params=["seed", "synth"])
def result(request, built, synth_result) -> BuildResult:
    return built if request.param == "seed" else synth_result


# --------------------------------------------------------------------------------------------------------------
# the indexed N-Triples answer as the rdflib Graph does


def test_the_view_holds_the_graph(result):
    view, graph = result.view, result.graph
    assert len(view) == len(graph) and set(view) == set(graph)
    subjects = sorted(set(graph.subjects()), key=str)
    for s in subjects[:: max(1, len(subjects) // 300)]:
        for p in set(graph.predicates(s)):
            assert sorted(view.objects(s, p)) == sorted(graph.objects(s, p))
            assert view.value(s, p) in set(graph.objects(s, p))
            for o in graph.objects(s, p):
                assert (s, p, o) in view and sorted(view.subjects(p, o)) == sorted(graph.subjects(p, o))
        assert sorted(view.predicates(s)) == sorted(graph.predicates(s))
    for p in (RDF.type, RDFS.label, SY.measure):
        assert sorted(view.subject_objects(p)) == sorted(graph.subject_objects(p))
        assert sorted(view.subjects(p)) == sorted(graph.subjects(p))
        assert sorted(view.objects(None, p)) == sorted(graph.objects(None, p))
    assert (URIRef("http://example.org/none"), RDF.type, None) not in view
    assert view.value(URIRef("http://example.org/none"), RDFS.label, default="-") == "-"


def test_the_view_reads_every_escape_as_rdflib_does():
    g = Graph()
    s = URIRef("http://example.org/s")
    for i, text in enumerate(['quote " and \\ backslash', "line\nbreak\rreturn\ttab", "中文 ünïcode \u2028",
                              "", " .", "ends with a dot ."]):
        g.add((s, URIRef(f"http://example.org/p{i}"), Literal(text)))
        g.add((s, URIRef(f"http://example.org/q{i}"), Literal(text, lang="zh")))
    g.add((s, RDF.value, Literal("1.50", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))))
    g.add((s, RDF.value, Literal("x", datatype=URIRef("http://www.w3.org/2001/XMLSchema#string"))))
    nt = g.serialize(format="nt", encoding="utf-8")
    assert set(GraphView(nt)) == set(g)
    escaped = b'<http://example.org/s> <http://example.org/p> "\\u00E9\\U0001F600\\t" .\n'
    assert set(GraphView(escaped)) == set(Graph().parse(data=escaped, format="nt"))
    assert len(GraphView(nt + nt)) == len(g)  # a repeated line is one triple


def test_the_ontology_through_pyoxigraph_is_rdflibs():
    view, graph = turtle_view(paths.ONTOLOGY), Graph().parse(paths.ONTOLOGY, format="turtle")
    assert set(view) == set(graph) and sorted(view.namespaces()) == sorted(graph.namespaces())


def test_a_broken_ontology_is_a_clear_error(tmp_path):
    bad = tmp_path / "onto.ttl"
    bad.write_text("@prefix sy: <https://w3id.org/shenyang-policy/ontology#> .\nsy:A a", encoding="utf-8")
    with pytest.raises(InputError, match="onto.ttl: cannot parse the ontology file as Turtle"):
        turtle_view(bad)
    with pytest.raises(InputError, match="cannot read the ontology file"):
        turtle_view(tmp_path / "missing.ttl")


# --------------------------------------------------------------------------------------------------------------
# every export from the view is the export of the rdflib Graph


def test_jsonld_csv_and_catalog_equal_the_rdflib_graphs(result, built_exports):
    view, graph = result.view, result.graph
    assert formats.to_jsonld(view) == formats.to_jsonld(graph)
    assert formats.to_csv(view) == formats.to_csv(graph)
    files = {p.name: p.read_bytes() for p in sorted(built_exports.iterdir()) if p.name != "catalog.ttl"}
    assert catalog_turtle(view, files) == catalog_turtle(graph, files)


def _nx_graphml(src) -> bytes:
    """GraphML as kg wrote it with networkx before kg.formats.graphml_of_projection (the reference)."""
    import networkx as nx

    from kg.formats import _graphml_scalar

    out = nx.MultiDiGraph()
    out.graph.update({k: _graphml_scalar(v) for k, v in sorted(src.graph.items()) if v is not None})
    for n in sorted(src.nodes, key=str):
        attrs = {k: _graphml_scalar(v) for k, v in sorted(src.nodes[n].items()) if v is not None}
        attrs.setdefault("label", str(n))
        if "value" in attrs:
            attrs["value"] = float(Decimal(str(attrs["value"])))
        out.add_node(str(n), **attrs)
    for u, v, k, data in sorted(src.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        out.add_edge(str(u), str(v), key=str(k), **{a: _graphml_scalar(x) for a, x in sorted(data.items())
                                                     if x is not None})
    text = "\n".join(nx.generate_graphml(out, encoding="utf-8", prettyprint=True, named_key_ids=True))
    return (text + "\n").encode("utf-8")


def test_the_projection_is_networkxs(result):
    fast, reference = viz.project(result.view), viz.to_networkx(result.graph)
    assert dict(fast.graph) == dict(reference.graph)
    assert list(fast.nodes(data=True)) == list(reference.nodes(data=True))
    assert list(fast.edges(keys=True, data=True)) == list(reference.edges(keys=True, data=True))
    for n in list(reference.nodes)[::50]:
        assert list(fast.out_edges(n, keys=True)) == list(reference.out_edges(n, keys=True))


def test_graphml_and_html_equal_networkxs(result):
    fast, reference = result.projection, viz.to_networkx(result.graph)
    assert formats.graphml_of_projection(fast) == _nx_graphml(reference) == formats.to_graphml(result.graph)
    assert viz.html_bytes(fast) == viz.html_bytes(reference)


def test_graphml_writes_what_networkx_writes_for_awkward_values():
    from kg.projection import Projection

    g = Projection()
    g.graph.update({"name": "图 <&> \"'", "id": "g1"})
    g.add_node("b", label="", flag=True, n=3, value="1.50", text="two\nlines\r\x0bend", many=["z", "a"])
    g.add_node("a&<>\"", label="x")
    g.add_node("c")
    g.add_edge("b", "a&<>\"", key="k1", relation="r", weight=0.5)
    g.add_edge("b", "c", key="k0")
    assert formats.graphml_of_projection(g) == _nx_graphml(g)


def test_the_page_template_is_filled_as_jinja_fills_it(result):
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(str(paths.ROOT / "kg" / "templates")), autoescape=True,
                      keep_trailing_newline=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}
    data = viz.page_data(result.projection)
    data["nodes"][0]["label_zh"] = "</script><script>alert('x & y')</script>"
    values = {"heading": "标题 <b>&\"'", "kg_js": "if (a < b && c > d) {}", "kg_css": "a > b {}",
              "csp": "default-src 'none'", "data": data}
    template = (paths.ROOT / "kg" / "templates" / "viz.html").read_text(encoding="utf-8")
    assert viz.fill_template(template, **values) == env.get_template("viz.html").render(**values)
    with pytest.raises(ValueError):
        viz.fill_template("{% if x %}{{ x }}{% endif %}", x=1)


def test_the_ontology_pages_equal_rdflibs(monkeypatch):
    """The ontology page, the JSON-LD context and the viz legend read the ontology through pyoxigraph
    (kg.graphview.turtle_view); with an rdflib Graph parsed from the file they are the same."""
    fast = (ontodoc.ontology_html(), formats.context_document(), viz._ontology_terms())
    monkeypatch.setattr("kg.graphview.turtle_view", lambda path, what="": Graph().parse(path, format="turtle"))
    formats.jsonld_context.cache_clear()
    viz._ontology_terms.cache_clear()
    try:
        assert (ontodoc.ontology_html(), formats.context_document(), viz._ontology_terms()) == fast
    finally:
        formats.jsonld_context.cache_clear()
        viz._ontology_terms.cache_clear()


def test_a_base_iri_without_a_slash(tmp_path):
    """Minted IRIs and the `id:` prefix add the '/' (kg.build.Minter): the exports from the store and the view do
    as the rdflib Graph's do."""
    from kg.export import FORMATS

    result = build(paths.RECORDS, base="https://example.org/kg", validate=False)
    view, graph = result.view, result.graph
    assert formats.to_jsonld(view) == formats.to_jsonld(graph)
    for fmt in ("trig", "nquads"):
        assert result.store.serialize(fmt) == FORMATS[fmt][1](graph)
    files = formats.rdf_outputs(result, {})
    assert files["context.jsonld"] == formats.context_document(formats.graph_base(graph))


# --------------------------------------------------------------------------------------------------------------
# write_all: no rdflib Graph, two processes, the same files


def test_write_all_builds_no_rdflib_graph_and_forks_to_the_same_files(tmp_path, monkeypatch, source_dirs):
    monkeypatch.setenv("KG_PARALLEL", "1")  # whatever the load of the machine
    result = build(paths.RECORDS, sources_dir=source_dirs, defer_shacl=True)
    write_all(result, tmp_path / "forked")
    assert result.store._native is None  # the rdflib Graph was never made
    monkeypatch.setenv("KG_PARALLEL", "0")
    write_all(build(paths.RECORDS, sources_dir=source_dirs, defer_shacl=True), tmp_path / "serial")
    forked = {p.name: p.read_bytes() for p in (tmp_path / "forked").iterdir()}
    assert forked == {p.name: p.read_bytes() for p in (tmp_path / "serial").iterdir()}
    assert forked == {name: (paths.EXPORTS / name).read_bytes() for name in forked}


@pytest.mark.parametrize("fork", ["1", "0"])
def test_deferred_shacl_still_stops_the_build(tmp_path, monkeypatch, fork):
    monkeypatch.setenv("KG_PARALLEL", fork)
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(paths.SHAPES.read_text(encoding="utf-8") + """
shapes:MustHaveDistrict a sh:NodeShape ; sh:targetClass sy:Measure ;
    sh:property [ sh:path sy:district ; sh:minCount 1 ; sh:message "test: a district is required" ] .
""", encoding="utf-8")
    import kg.validate

    monkeypatch.setattr(kg.validate.validate_graph, "__defaults__", (shapes, paths.ONTOLOGY))
    result = build(paths.RECORDS, defer_shacl=True)  # SHACL not run yet: write_all runs it
    with pytest.raises(ShapesError, match="test: a district is required"):
        write_all(result, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ShapesError, match="Nothing was written"):
        build(paths.RECORDS, defer_shacl=True).check()  # a caller that writes nothing runs it with check()


def test_forked_returns_values_and_raises_errors(monkeypatch):
    for parallel in ("1", "0"):
        monkeypatch.setenv("KG_PARALLEL", parallel)
        assert Forked(sorted, [3, 1, 2]).result() == [1, 2, 3]
        with pytest.raises(InputError, match="bad input"):
            Forked(_fail, "bad input").result()
    monkeypatch.setenv("KG_PARALLEL", "1")
    with pytest.raises(RuntimeError, match="cannot pass between processes"):
        Forked(lambda: (x for x in ())).result()  # a generator: no pickle
    waiting = Forked(_sleep)
    waiting.cancel()  # stops the child; nothing left behind


def _fail(message: str):
    raise InputError(message)


def _sleep():
    import time

    time.sleep(30)



def test_a_child_only_when_a_cpu_is_idle(monkeypatch):
    import os

    from kg import forked

    monkeypatch.delenv("KG_PARALLEL", raising=False)
    monkeypatch.setattr("kg.perf.cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    assert not forked.worth_forking()  # a busy machine: one process
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.2))
    assert forked.worth_forking() == hasattr(os, "fork")
    monkeypatch.setenv("KG_PARALLEL", "0")
    assert not forked.worth_forking()
    monkeypatch.setattr("kg.perf.cpu_count", lambda: 1)
    monkeypatch.setenv("KG_PARALLEL", "auto")
    assert not forked.worth_forking()


def test_json_is_written_as_json_dumps_writes_it(result):
    import json

    doc = formats.to_jsonld_document(result.view)
    odd = {"b": [], "a": {}, "c": [1, 2.5, True, False, None, "\"quoted\"\n\t\\ 中文 \u2028 \x01"],
           "d": {"z": {"y": [{"x": []}]}}, "": -0.0}
    for value in (doc, odd, [], {}, "text", 3):
        assert formats._dump_json(value) == (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
                                             + "\n").encode("utf-8")
