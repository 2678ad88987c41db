"""What a portal reads from the files themselves: the dump describes its dataset (types as in the catalog,
version, dates, how it was made), the ontology has a version IRI and says where each term is defined,
statements have English labels, the CSV English columns, the GraphML a numeric value."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

import kg
from kg.catalog import load_config
from kg.namespaces import DCAT, DEFAULT_BASE, ONTOLOGY_IRI, SY, VOID

DATASET = URIRef(DEFAULT_BASE + "dataset")


def test_the_dump_describes_its_dataset_as_the_catalog_does(seed_graph, built_exports):
    g = seed_graph
    cfg = load_config()
    catalog = Graph().parse(built_exports / "catalog.ttl", format="turtle")
    types = set(g.objects(DATASET, RDF.type))
    assert types == set(catalog.objects(DATASET, RDF.type)) == {OWL.Ontology, DCAT.Dataset, VOID.Dataset}
    assert g.value(DATASET, OWL.imports) == ONTOLOGY_IRI
    assert g.value(DATASET, OWL.versionInfo) == Literal(str(cfg["version"])) == g.value(DATASET, DCAT.version)
    for prop in ("issued", "modified"):
        assert g.value(DATASET, DCTERMS[prop]) == Literal(str(cfg[prop]), datatype=XSD.date)
        assert catalog.value(DATASET, DCTERMS[prop]) == g.value(DATASET, DCTERMS[prop])
    build = g.value(DATASET, PROV.wasGeneratedBy)
    assert (build, RDF.type, PROV.Activity) in g and catalog.value(DATASET, PROV.wasGeneratedBy) == build
    software = g.value(build, PROV.wasAssociatedWith)
    assert (software, RDF.type, PROV.SoftwareAgent) in g
    assert g.value(software, OWL.versionInfo) == Literal(kg.__version__)
    used = set(g.objects(build, PROV.used))
    assert used == set(g.objects(DATASET, DCTERMS.source)) and len(used) >= 2
    for doc in used:
        assert re.fullmatch(r"[0-9a-f]{64}", str(g.value(doc, SY.sha256))), doc


def test_the_ontology_has_a_version_iri_and_defines_its_terms():
    onto = Graph().parse(kg.paths.ONTOLOGY, format="turtle")
    version = onto.value(ONTOLOGY_IRI, OWL.versionInfo)
    assert onto.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    ns = str(SY._NS)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype, SY.Comparator)
    terms = {s for k in kinds for s in onto.subjects(RDF.type, k) if str(s).startswith(ns)}
    missing = sorted(str(t) for t in terms if (t, RDFS.isDefinedBy, ONTOLOGY_IRI) not in onto)
    assert len(terms) > 30 and not missing, (
        f"add `sy:X rdfs:isDefinedBy <{ONTOLOGY_IRI}> .` to the last section of ontology/shenyang.ttl for {missing}")
    # QUDT declares qudt:numericValue an annotation property: a datatype property under it is not OWL 2 DL
    assert not set(onto.objects(SY.value, RDFS.subPropertyOf))


def test_every_statement_has_an_english_label(seed_graph):
    g = seed_graph
    statements = set(g.subjects(RDF.type, SY.QuantifiedStatement))
    assert statements
    for st in statements:
        labels = {o.language: str(o) for o in g.objects(st, RDFS.label)}
        assert set(labels) == {"zh", "en"}, st
        value = format(Decimal(str(g.value(st, SY.value))).normalize(), "f")
        assert value in labels["en"] and not re.search(r"[\u4e00-\u9fff]", labels["en"].split("(")[0]), labels


def test_csv_has_english_columns(built_exports, seed_graph):
    rows = list(csv.DictReader(io.StringIO((built_exports / "shenyang.csv").read_text(encoding="utf-8-sig"))))
    assert rows
    for row in rows:
        st = URIRef(row["statement"])
        assert row["label_en"] == next(str(o) for o in seed_graph.objects(st, RDFS.label) if o.language == "en")
        measure = seed_graph.value(st, SY.measure)
        en = [str(o) for o in seed_graph.objects(measure, RDFS.label) if o.language == "en"]
        assert row["measure_en"] == min(en, default="")
        assert row["unit_en"] and row["category_en"]


def test_graphml_value_is_a_number(built_exports, seed_graph):
    text = (built_exports / "shenyang.graphml").read_text(encoding="utf-8")
    assert '<key id="value" for="node" attr.name="value" attr.type="double" />' in text
    nodes = nx.read_graphml(built_exports / "shenyang.graphml").nodes(data=True)
    values = {n: a["value"] for n, a in nodes if "value" in a}
    assert values and all(isinstance(v, float) for v in values.values())
    for n, v in values.items():
        assert v == float(str(seed_graph.value(URIRef(n), SY.value))), n


def test_the_counts_in_docs_lod_md_are_those_of_the_committed_exports():
    from kg.catalog import COUNTS_BEGIN, COUNTS_END, DOCS, counts_markdown

    text = DOCS.read_text(encoding="utf-8")
    block = text.split(COUNTS_BEGIN, 1)[1].split(COUNTS_END, 1)[0].strip()
    expected = counts_markdown(Graph().parse(kg.paths.EXPORTS / "catalog.ttl", format="turtle"))
    assert block == expected, ("run `kg build` (it rewrites the counts block of docs/lod.md) and commit "
                               "docs/lod.md with exports/")
    assert f"| {len(Graph().parse(kg.paths.EXPORTS / 'shenyang.nt', format='nt'))} |" in block
