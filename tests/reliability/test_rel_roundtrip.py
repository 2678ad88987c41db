"""Every string a record accepts comes back unchanged from every export (hypothesis over the whole Unicode
range, with the characters some writers take for line ends: U+2028, U+2029, U+0085, \\r, \\v, \\f …)."""

from __future__ import annotations

import copy
import csv
import io
import json
import xml.dom.minidom

from conftest import one_record_project
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph, Literal

from kg.build import build_graph
from kg.doctor import good_record
from kg.errors import RecordError
from kg.export import serialize
from kg.records import load_records
from kg.sources import load_sources
from kg.vocab import load_vocab

VOCAB = load_vocab()
LINE_ENDS = "\u2028\u2029\u0085\r\x0b\x0c\x1c\x1d\x1e\n\t"
# Any code point but surrogates (which UTF-8 cannot hold), with the line ends above drawn often.
TEXT = st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(LINE_ENDS)),
               min_size=1, max_size=30)
RDF = {"turtle": "turtle", "nt": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


def _build(data: dict):
    with one_record_project(data) as (records, sources):
        try:
            corpus = load_records(records, VOCAB)
        except RecordError as e:
            assert "control character" in str(e) or "must not be empty" in str(e), str(e)
            return None
        return build_graph(corpus, sources=load_sources(sources, corpus))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT)
@example("改造\u2028老旧小区", "a\u2029b\u0085c")
def test_every_accepted_string_round_trips_through_every_export(label, note):
    data = copy.deepcopy(good_record())
    data["goals"][1]["label"] = label
    data["measures"][0]["label_en"] = note
    data["measures"][0]["statements"][0]["note"] = note
    graph = _build(data)
    if graph is None:
        return
    expected = {o for o in graph.objects() if isinstance(o, Literal)}
    assert any(label.strip()[:1] in str(o) for o in expected), "the label is not in the graph"
    for fmt, parser in RDF.items():
        back = Graph().parse(data=serialize(graph, fmt), format=parser)
        missing = expected - set(back.objects())
        assert not missing, f"{fmt} lost {sorted(missing)[:3]}"
    trig = Dataset().parse(data=serialize(graph, "trig"), format="trig")
    missing = expected - {o for _, _, o, _ in trig.quads()}
    assert not missing, f"trig lost {sorted(missing)[:3]}"
    graphml = xml.dom.minidom.parseString(serialize(graph, "graphml"))
    assert graphml.documentElement.tagName == "graphml"
    rows = list(csv.reader(io.StringIO(serialize(graph, "csv").decode("utf-8"), newline="")))
    assert rows and len({len(r) for r in rows}) == 1, "a CSV row was split"
    json.loads(serialize(graph, "jsonld"))
