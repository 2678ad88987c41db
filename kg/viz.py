"""The interactive HTML graph: a networkx projection of the RDF graph, filtered views of it, and one
self-contained page (no network access needed to open it).

* `to_networkx(graph)` projects goals, measures, quantified statements, jurisdictions (country, province,
  city, district), facilities and years with the `sy:`/`geo:` relations between them. Every attribute is a
  plain string, int or bool, so the projection can be written as GraphML as it is.
* `filter_graph(G, year=…, district=…, jurisdiction=…, level=…, goal=…, focus=…, depth=…)` cuts a smaller
  view out of it (the page's filters and views follow the same rules).
* `render_html(graph, …filters)` returns the page: kg's template, CSS and canvas renderer (kg/static/viz.js)
  inlined, a Content-Security-Policy that allows only the page's own script, and every label passed as JSON
  data, never as HTML. The browser lays out each view, draws, filters and searches (docs/viz.md).

The page is byte-identical for the same graph: nodes and edges are sorted and there is no timestamp; the
layout in the browser is deterministic too.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME

from . import paths
from .errors import InputError
from .namespaces import GEO, OA, SY, made_once
from .projection import Projection

if TYPE_CHECKING:  # networkx is imported where a function needs it: `kg build` draws without it (kg.projection)
    import networkx as nx

#: Terms of the jurisdiction model (docs: notes/CONTRACT) that may not be in the closed `SY` namespace yet.
_SY = Namespace(str(SY._NS))
DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, GEO, OA, SY, _SY = made_once(DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, GEO,
                                                                       OA, SY, _SY)

HTML_NAME = "shenyang.html"

#: The classes shown, in legend order: key → (class IRI, colour, shape, size, label font size).
#: Colours: Tableau 10. Bigger fonts for the nodes that organise the picture, readable when zoomed out.
CLASS_STYLES: dict[str, tuple[URIRef, str, str, int, int]] = {
    "Goal": (SY.Goal, "#e15759", "diamond", 16, 20),
    "Measure": (SY.Measure, "#4e79a7", "dot", 11, 14),
    "Target": (SY.Target, "#f28e2b", "triangleDown", 9, 12),
    "Outcome": (SY.Outcome, "#59a14f", "triangleDown", 9, 12),
    "Indicator": (SY.Indicator, "#b07aa1", "triangleDown", 9, 12),
    "QuantifiedStatement": (SY.QuantifiedStatement, "#ff9da7", "triangleDown", 9, 12),
    "Facility": (SY.Facility, "#edc948", "square", 10, 14),
    "District": (SY.District, "#76b7b2", "triangle", 16, 22),
    "City": (SY.City, "#9c755f", "hexagon", 22, 30),
    "Province": (_SY.Province, "#86bcb6", "hexagon", 24, 32),
    "Country": (_SY.Country, "#d37295", "hexagon", 26, 34),
    "Year": (SY.Year, "#79706e", "star", 26, 40),
}
#: When a node has several of these types, the first in this order names its class.
CLASS_PRIORITY = ["Target", "Outcome", "Indicator", "QuantifiedStatement", "Measure", "Goal", "Facility",
                  "District", "City", "Province", "Country", "Year"]
STATEMENT_CLASSES = {"Target", "Outcome", "Indicator", "QuantifiedStatement"}
#: Relations drawn as edges (all point from the more specific node to the more general one).
RELATIONS = [SY.subGoalOf, SY.underGoal, SY.measure, SY.facility, SY.district, SY.inCity, GEO.sfWithin, SY.year]
#: Jurisdiction levels, from the top: the class of a jurisdiction node is its level.
LEVELS = ["Country", "Province", "City", "District"]
#: Places and years: shown by a year/district filter when they have no value for it but link to a match.
CONTEXT_CLASSES = {"Year", "City", "District", "Facility", "Province", "Country"}
#: Nodes a focus view does not expand through: everything of a year, or of a jurisdiction, is one hop from them.
HUB_CLASSES = {"Year", "City", "Province", "Country"}

CJK_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


# ---------------------------------------------------------------------------------------------------------
# RDF → networkx


def _local(iri: URIRef | str) -> str:
    return re.split(r"[#/]", str(iri).rstrip("/#"))[-1]


def _labels(g: Graph, node, prop=RDFS.label) -> dict[str, str]:
    """{'zh': …, 'en': …, '': …} — the smallest label per language, so the choice is stable."""
    out: dict[str, str] = {}
    for lit in sorted((o for o in g.objects(node, prop) if isinstance(o, Literal)), key=str):
        lang = (lit.language or "").split("-")[0].lower()
        out.setdefault(lang, str(lit))
    return out


def _zh_en(g: Graph, node, fallback: str = "") -> tuple[str, str]:
    labels = _labels(g, node)
    if not labels:
        labels = _labels(g, node, SKOS.prefLabel)
    zh = labels.get("zh") or labels.get("") or labels.get("en") or fallback or _local(node)
    return zh, labels.get("en", "")


#: Labels of the jurisdiction terms until the ontology defines them (its own labels win once it does).
_FALLBACK_LABELS = {str(_SY.Country): ("国家", "Country"), str(_SY.Province): ("省级行政区", "Province"),
                    str(GEO.sfWithin): ("位于", "within")}


@functools.lru_cache(maxsize=1)
def _ontology_terms() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """zh/en labels and zh/en skos:definitions of the ontology's terms (classes, relations, comparators)."""
    from .graphview import turtle_view

    try:
        onto = turtle_view(paths.ONTOLOGY)
    except InputError:  # the page then shows local names; nothing else depends on it
        return dict(_FALLBACK_LABELS), {}
    labels = {**_FALLBACK_LABELS, **{str(s): _zh_en(onto, s) for s in set(onto.subjects(RDFS.label, None))}}
    definitions = {}
    for s in set(onto.subjects(SKOS.definition, None)):
        d = _labels(onto, s, SKOS.definition)
        definitions[str(s)] = (d.get("zh") or d.get("", ""), d.get("en", ""))
    return labels, definitions


def term_label(iri: URIRef | str) -> tuple[str, str]:
    """(zh, en) label of an ontology term, falling back to its local name."""
    return _ontology_terms()[0].get(str(iri), (_local(iri), _local(iri)))


def term_definition(iri: URIRef | str) -> tuple[str, str]:
    """(zh, en) skos:definition of an ontology term ('' when it has none)."""
    return _ontology_terms()[1].get(str(iri), ("", ""))


def _year_value(g: Graph, node) -> int | None:
    number = g.value(node, TIME.inXSDgYear)
    if number is not None and str(number)[:4].isdigit():
        return int(str(number)[:4])
    for text in [_labels(g, node).get("en", ""), _local(node)]:
        if text.isdigit():
            return int(text)
    return None


def _period_years(g: Graph, period) -> tuple[int, int] | None:
    """(first, last) year of a sy:Period (time:intervalStartedBy / time:intervalFinishedBy its sy:Years)."""
    if period is None:
        return None
    first, last = (g.value(period, p) for p in (TIME.intervalStartedBy, TIME.intervalFinishedBy))
    years = [_year_value(g, y) if y is not None else None for y in (first, last)]
    return (years[0], years[1]) if None not in years else None


def _spans(g: Graph, node) -> list[dict]:
    """Every Web Annotation anchor of a node: document, offsets and (with sources) the quoted text."""
    out = []
    for sr in g.objects(node, PROV.wasDerivedFrom):
        doc = g.value(sr, OA.hasSource)
        if doc is None:
            continue
        span: dict = {"doc": doc}
        for sel in g.objects(sr, OA.hasSelector):
            if (sel, RDF.type, OA.TextPositionSelector) in g:
                start, end = g.value(sel, OA.start), g.value(sel, OA.end)
                if start is not None and end is not None:
                    span["start"], span["end"] = int(start), int(end)
            exact = g.value(sel, OA.exact)
            if exact is not None:
                span["quote"] = str(exact)
        out.append(span)
    return sorted(out, key=lambda s: (str(s["doc"]), s.get("start", -1), s.get("end", -1)))


def _join(values: Iterable) -> str:
    """A set as one GraphML-friendly string: sorted, space-separated."""
    return " ".join(sorted({str(v) for v in values}))


def split_values(text: str | None) -> list[str]:
    """The inverse of the space-separated list attributes (`years`, `districts`, `aliases`)."""
    return text.split() if text else []


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """The projection (see `project`) as a networkx MultiDiGraph: what the filters (`filter_graph`) cut views out
    of, and what researchers analyse."""
    import networkx as nx

    return _project(graph, nx.MultiDiGraph())


def project(graph: Graph) -> Projection:
    """The projection as a kg.projection.Projection: the same nodes, attributes and edges in the same order as
    `to_networkx`, without importing networkx (what `kg build` writes as GraphML and HTML). `graph` is an rdflib
    Graph or a kg.graphview.GraphView."""
    return _project(graph, Projection())


def _project(graph: Graph, G):
    """Project the knowledge graph onto the nodes and relations the HTML graph shows, into the empty graph G.

    Nodes are IRIs (str) with attributes `iri`, `class` (local name: Goal, Measure, Target, Outcome,
    Indicator, Facility, District, City, Year), `label` (= `label_zh`), `label_zh`, `label_en`, `year` (int,
    the node's own sy:year), `years` and `districts` (space-separated: the years and district names the node
    is relevant to, used by the filters), and per class: `ordinal` (goal), `category` (measure), `value`,
    `unit`, `comparator`, `as_written`, `note` (statements), `facility_type`, `division_kind`, `aliases`,
    and the source anchor `source_doc`, `source_title`, `start`, `end`, `quote`, `mentions`.
    Edges carry `relation` (local name, e.g. underGoal) and `relation_iri`; the edge key is the relation.
    """
    title: dict[str, str] = {}
    for ds in sorted(graph.subjects(RDF.type, OWL.Ontology), key=str):
        title = _labels(graph, ds)
        break
    G.graph["name"] = title.get("zh") or title.get("") or "知识图谱"

    classes: dict[URIRef, str] = {}
    for key in CLASS_PRIORITY:
        for node in graph.subjects(RDF.type, CLASS_STYLES[key][0]):
            if isinstance(node, URIRef):
                classes.setdefault(node, key)

    def by_class(*keys: str) -> list[URIRef]:
        return sorted((n for n, c in classes.items() if c in keys), key=str)

    doc_years: dict = {d: {_year_value(graph, y) for y in graph.objects(d, SY.year)} - {None}
                       for d in set(graph.subjects(SY.year, None))}
    own_year = {}
    for n in classes:
        ys = sorted(y for y in (_year_value(graph, o) for o in graph.objects(n, SY.year)) if y is not None)
        if classes[n] == "Year":
            ys = [y for y in [_year_value(graph, n)] if y is not None]
        if ys:
            own_year[n] = ys
    periods = {n: p for n in classes if classes[n] in STATEMENT_CLASSES
               for p in [_period_years(graph, graph.value(n, _SY.period))] if p}

    # -- the nodes and their own attributes
    for n in sorted(classes, key=str):
        cls = classes[n]
        zh, en = _zh_en(graph, n)
        attrs: dict = {"iri": str(n), "class": cls, "label": zh, "label_zh": zh}
        if en:
            attrs["label_en"] = en
        if n in own_year:
            attrs["year"] = own_year[n][0]
        aliases = [str(a) for a in graph.objects(n, SKOS.altLabel)]
        if aliases:
            attrs["aliases"] = _join(aliases)
        if cls == "Goal":
            ordinal = graph.value(n, SY.ordinal)
            if ordinal is not None:
                attrs["ordinal"] = int(ordinal)
        elif cls == "Measure":
            cat = graph.value(n, SY.category)
            if cat is not None:
                attrs["category"], cat_en = _zh_en(graph, cat)
                if cat_en:
                    attrs["category_en"] = cat_en
        elif cls in STATEMENT_CLASSES:
            value = graph.value(n, SY.value)
            if value is not None:
                attrs["value"] = str(value)
            unit = graph.value(n, SY.unit)
            if unit is not None:
                attrs["unit"], unit_en = _zh_en(graph, unit)
                if unit_en:
                    attrs["unit_en"] = unit_en
            comps = sorted(graph.objects(n, SY.comparator), key=str)
            if comps:
                attrs["comparator"] = "、".join(term_label(c)[0] for c in comps)
                attrs["comparator_en"] = ", ".join(term_label(c)[1] for c in comps)
                attrs["comparators"] = _join(_local(c) for c in comps)
            reviewed = graph.value(n, SY.reviewed)
            if reviewed is not None:
                attrs["reviewed"] = bool(reviewed.toPython())
            if n in periods:
                attrs["period"] = f"{periods[n][0]}–{periods[n][1]}"
            for m in sorted(graph.objects(n, SY.measure), key=str):
                cat = graph.value(m, SY.category)
                if cat is not None:
                    attrs["category"], cat_en = _zh_en(graph, cat)
                    if cat_en:
                        attrs["category_en"] = cat_en
                    break
            for prop, key in ((SY.asWritten, "as_written"), (SY.note, "note")):
                v = graph.value(n, prop)
                if v is not None:
                    attrs[key] = str(v)
        elif cls == "Facility":
            ftype = graph.value(n, SY.facilityType)
            if ftype is not None:
                attrs["facility_type"], ft_en = _zh_en(graph, ftype)
                if ft_en:
                    attrs["facility_type_en"] = ft_en
        if cls in LEVELS:
            kind = graph.value(n, SY.divisionKind)
            if kind is not None:
                attrs["division_kind"] = str(kind)
            code = graph.value(n, _SY.divisionCode)
            if code is not None:
                attrs["division_code"] = str(code)
        spans = _spans(graph, n)
        if spans:
            first = spans[0]
            doc = first["doc"]
            attrs["source_doc"] = str(graph.value(doc, DCTERMS.identifier) or _local(doc))
            doc_title = _zh_en(graph, doc)[0]
            if doc_title:
                attrs["source_title"] = doc_title
            if "start" in first:
                attrs["start"], attrs["end"] = first["start"], first["end"]
            if "quote" in first:
                attrs["quote"] = first["quote"]
            attrs["mentions"] = len(spans)
        G.add_node(str(n), **attrs)

    # -- the edges. sy:year only where the year is not implied by the node's parent (a top-level goal, or
    # a statement of another year than its measure): every node has its year as an attribute anyway, and
    # an edge from each of hundreds of nodes would collapse the picture onto the year nodes.
    parent_prop = {"Goal": SY.subGoalOf, "Measure": SY.underGoal, **{c: SY.measure for c in STATEMENT_CLASSES}}

    def implied_year(node, year_node) -> bool:
        prop = parent_prop.get(classes[node])
        parents = list(graph.objects(node, prop)) if prop is not None else []
        return bool(parents) and all((p, SY.year, year_node) in graph for p in parents)

    for prop in RELATIONS:
        rel = _local(prop)
        for s, o in sorted(graph.subject_objects(prop), key=lambda so: (str(so[0]), str(so[1]))):
            if s in classes and o in classes and not (prop == SY.year and implied_year(s, o)):
                G.add_edge(str(s), str(o), key=rel, relation=rel, relation_iri=str(prop))

    # -- the scope of every node: which years and districts it belongs to (what the filters test)
    district_name = {n: G.nodes[str(n)]["label_zh"] for n in by_class("District")}
    span_years: dict = defaultdict(set)
    for n in by_class("District", "City", "Facility"):
        for span in _spans(graph, n):
            span_years[n] |= doc_years.get(span["doc"], set())
    years: dict = defaultdict(set)
    districts: dict = defaultdict(set)
    for n, ys in own_year.items():
        years[n].update(ys)
    for n, (first, last) in periods.items():  # a multi-year figure belongs to each year of its period
        years[n].update(range(first, last + 1))
    for f in by_class("Facility"):
        districts[f].update(district_name[d] for d in graph.objects(f, SY.district) if d in district_name)
        years[f] |= span_years[f]
    for d in by_class("District", "City"):
        if d in district_name:
            districts[d].add(district_name[d])
        years[d] |= span_years[d]
    measures = by_class("Measure")
    for m in measures:
        for d in graph.objects(m, SY.district):
            if d in district_name:
                districts[m].add(district_name[d])
            if d in classes:
                years[d].update(own_year.get(m, []))
        for f in graph.objects(m, SY.facility):
            if f in classes:
                years[f].update(own_year.get(m, []))
                districts[m] |= districts[f]
                for d in graph.objects(f, SY.district):
                    if d in classes:
                        years[d].update(own_year.get(m, []))
    for s in by_class(*STATEMENT_CLASSES):
        for m in graph.objects(s, SY.measure):
            districts[s] |= districts[m]
    # a goal covers the districts of every measure under it or under any of its sub-goals
    parent = {g: p for g in by_class("Goal") for p in graph.objects(g, SY.subGoalOf) if p in classes}
    for m in measures:
        for goal in graph.objects(m, SY.underGoal):
            seen = set()
            while goal in classes and goal not in seen:
                seen.add(goal)
                districts[goal] |= districts[m]
                goal = parent.get(goal)
    for n in classes:
        if years[n]:
            G.nodes[str(n)]["years"] = _join(years[n])
        if districts[n]:
            G.nodes[str(n)]["districts"] = _join(districts[n])
    _add_jurisdictions(graph, G, classes)
    return G


def _issuer(graph: Graph, doc) -> URIRef | None:
    """The government whose report a document is: sy:issuedBy, else (older records) sy:city."""
    return graph.value(doc, _SY.issuedBy) or graph.value(doc, SY.city)


def _add_jurisdictions(graph: Graph, G: nx.MultiDiGraph, classes: dict[URIRef, str]) -> None:
    """`jurisdictions` (IRIs) and `levels` (Country/Province/City/District) of every goal, measure and
    statement: the issuer of the document it is derived from, else that of its measure / goal (a node
    without an anchor of its own). Places get their own IRI and level, so a jurisdiction filter keeps them."""
    issued: dict[URIRef, set[URIRef]] = defaultdict(set)
    for n, cls in classes.items():
        if cls in LEVELS:
            continue
        docs = {graph.value(sr, OA.hasSource) for sr in graph.objects(n, PROV.wasDerivedFrom)}
        docs |= set(graph.objects(n, PROV.hadPrimarySource))
        for doc in docs - {None}:
            issuer = _issuer(graph, doc)
            if issuer is not None and issuer in classes:
                issued[n].add(issuer)
    parent_props = {"Measure": [SY.underGoal], "Goal": [SY.subGoalOf],
                    **{c: [SY.measure] for c in STATEMENT_CLASSES}}
    order = [c for c in ("Goal", "Measure", *sorted(STATEMENT_CLASSES))]
    for _ in range(2):  # goal → sub-goal → measure → statement: parents first, then again for deep goals
        for cls in order:
            for n in (x for x, c in classes.items() if c == cls and not issued[x]):
                for prop in parent_props[cls]:
                    for p in graph.objects(n, prop):
                        issued[n] |= issued.get(p, set())
    for n in classes:
        juris = issued.get(n, set())
        if juris:
            G.nodes[str(n)]["jurisdictions"] = _join(juris)
            G.nodes[str(n)]["levels"] = _join(classes[j] for j in juris if j in classes)


# ---------------------------------------------------------------------------------------------------------
# Views


def _find(G: nx.MultiDiGraph, text: str, classes: set[str] | None, what: str) -> str:
    """The node a user named: by IRI, by the end of its IRI (goal/shenyang-2022/ls-03 or ls-03), or by label."""
    text = text.strip()
    pool = [n for n, a in G.nodes(data=True) if classes is None or a.get("class") in classes]
    if text in pool:
        return text
    for test in (
        lambda n, a: n.endswith("/" + text.strip("/")),
        lambda n, a: text in (a.get("label_zh"), a.get("label_en")) or text in split_values(a.get("aliases")),
        lambda n, a: text.lower() == (a.get("label_en") or "").lower(),
    ):
        hits = sorted(n for n in pool if test(n, G.nodes[n]))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            shown = ", ".join(hits[:5]) + (" …" if len(hits) > 5 else "")
            raise InputError(f"{what} {text!r} is ambiguous: it matches {len(hits)} nodes ({shown}); "
                             "give the full IRI or a longer part of it")
    examples = ", ".join("/".join(n.split("/")[-3:]) for n in sorted(pool)[:: max(1, len(pool) // 3)][:3])
    raise InputError(f"no {what} {text!r} in the graph; give an IRI, the end of one (e.g. {examples}) "
                     "or an exact label")


def resolve_district(G: nx.MultiDiGraph, name: str) -> str:
    """The zh name of the district a user named (浑南区, 浑南, Hunnan, or its IRI)."""
    try:
        return G.nodes[_find(G, name, {"District"}, "district")]["label_zh"]
    except InputError:
        known = " ".join(sorted(a["label_zh"] for _, a in G.nodes(data=True) if a.get("class") == "District"))
        raise InputError(f"unknown district {name!r}; districts in the graph: {known or '(none)'}") from None


def _scope_keep(G: nx.MultiDiGraph, tests: list[tuple[str, str]]) -> set[str]:
    """Nodes whose scope matches every test, plus the places and years (CONTEXT_CLASSES) that have no value
    for a tested attribute (a year has no district) and are linked to a matching node. A goal, measure or
    statement without a value does not match.

    The page's own year/district filters (kg/static/viz.js `scopeKeep`) implement the same rule."""
    primary, compatible = set(), set()
    for n, a in G.nodes(data=True):
        ok, full = True, True
        for attr, value in tests:
            values = split_values(a.get(attr))
            if not values:
                full = False
                ok = ok and a.get("class") in CONTEXT_CLASSES
            elif value not in values:
                ok = False
        if ok:
            compatible.add(n)
            if full:
                primary.add(n)
    keep = set(primary)
    for n in compatible - primary:
        if any(m in primary for m in _neighbours(G, n)):
            keep.add(n)
    return keep


def _neighbours(G: nx.MultiDiGraph, n: str):
    import networkx as nx

    return nx.all_neighbors(G, n)


def _with_context(G: nx.MultiDiGraph, core: set[str]) -> set[str]:
    """A set of nodes plus the districts, facilities, city and years they link to."""
    out = set(core)
    for n in core:
        for m in G.successors(n):
            if G.nodes[m].get("class") in CONTEXT_CLASSES:
                out.add(m)
    return out


def filter_graph(G: nx.MultiDiGraph, *, year: int | None = None, district: str | None = None,
                 goal: str | None = None, focus: str | None = None, depth: int = 1,
                 jurisdiction: str | None = None, level: str | None = None) -> nx.MultiDiGraph:
    """A smaller view of a projection (a new graph; G is not changed). Filters combine:

    * goal: the goal, its sub-goals, their measures and statements, and the districts/facilities/years these
      link to;
    * focus + depth: every node within `depth` links of the focus node (either direction), not expanding
      through year and city nodes (everything of a year is one link from it);
    * year / district: nodes of that year / naming that district (a goal covers its measures' districts, a
      measure its facilities' districts), plus the places and years without one that link to such a node;
    * jurisdiction / level (Country, Province, City, District): goals, measures and statements from the reports
      of that government / of governments of that level, plus the places and years they link to.
    """
    import networkx as nx

    keep = set(G.nodes)
    notes = []
    if goal is not None:
        root = _find(G, goal, {"Goal"}, "goal")
        goals = {root} | {n for n in nx.ancestors(G, root) if G.nodes[n].get("class") == "Goal"}
        core = set(goals)
        for g in goals:
            for m in G.predecessors(g):
                if G.nodes[m].get("class") == "Measure":
                    core.add(m)
                    core.update(s for s in G.predecessors(m) if G.nodes[s].get("class") in STATEMENT_CLASSES)
        keep &= _with_context(G, core)
        notes.append(f"目标 {G.nodes[root]['label_zh']}")
    if focus is not None:
        if depth < 0:
            raise InputError(f"--depth must be 0 or more, not {depth}")
        centre = _find(G, focus, None, "node")
        seen, frontier = {centre}, [centre]
        for _ in range(depth):
            nxt = []
            for n in frontier:
                if n != centre and G.nodes[n].get("class") in HUB_CLASSES:
                    continue
                for m in sorted(set(nx.all_neighbors(G, n))):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            frontier = nxt
        keep &= seen
        notes.append(f"{G.nodes[centre]['label_zh']} 周边 {depth} 层")
    tests = []
    if year is not None:
        present = {y for _, a in G.nodes(data=True) for y in split_values(a.get("years"))}
        if str(year) not in present:
            raise InputError(f"no node of the graph is in year {year}; years present: "
                             f"{', '.join(sorted(present)) or '(none)'}")
        tests.append(("years", str(year)))
        notes.append(f"{year}年")
    if district is not None:
        name = resolve_district(G, district)
        tests.append(("districts", name))
        notes.append(name)
    if jurisdiction is not None:
        coded = sorted(n for n, a in G.nodes(data=True) if a.get("division_code") == jurisdiction.strip())
        node = coded[0] if len(coded) == 1 else _find(G, jurisdiction, set(LEVELS), "jurisdiction")
        tests.append(("jurisdictions", node))
        notes.append(G.nodes[node]["label_zh"])
    if level is not None:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
        tests.append(("levels", level))
        notes.append(term_label(CLASS_STYLES[level][0])[0])
    if tests:
        keep &= _scope_keep(G, tests)
    if not keep:
        raise InputError(f"the filters ({' · '.join(notes)}) leave no node to show; loosen one of them")
    view = G.subgraph(keep).copy()
    if notes:
        view.graph["filters"] = " · ".join(notes)
    return view


# ---------------------------------------------------------------------------------------------------------
# HTML: kg's own canvas renderer (kg/static/viz.js lays out, draws, filters and searches in the browser)


def _asset(name: str) -> str:
    return (Path(__file__).parent / "static" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _level_order(G: nx.MultiDiGraph, n: str) -> list[str]:
    """The jurisdiction chain of a place, from the top (国家 › 辽宁省 › 沈阳市 › 浑南区), by its links."""
    chain, seen = [n], {n}
    while True:
        up = sorted(o for _, o, rel in G.out_edges(chain[0], keys=True)
                    if rel in ("inCity", "sfWithin") and o not in seen)
        if not up:
            return chain
        chain.insert(0, up[0])
        seen.add(up[0])


def page_data(G: nx.MultiDiGraph) -> dict:
    """Everything the page needs, as JSON-ready data: the nodes (sorted by IRI, with their attributes), the
    edges as [source index, target index, relation], and the legend, filters and reading guide."""
    order = sorted(G.nodes)
    index = {n: i for i, n in enumerate(order)}
    nodes = [{k: v for k, v in G.nodes[n].items() if k != "label"} for n in order]
    edges = sorted([index[s], index[o], rel] for s, o, rel in G.edges(keys=True))
    counts: dict[str, int] = defaultdict(int)
    for _, a in G.nodes(data=True):
        counts[a["class"]] += 1
    classes = []
    for key, (iri, colour, shape, size, font) in CLASS_STYLES.items():
        zh, en = term_label(iri)
        def_zh, def_en = term_definition(iri)
        classes.append({"key": key, "zh": zh, "en": en, "color": colour, "shape": shape, "size": size,
                        "font": font, "count": counts[key], "def_zh": def_zh, "def_en": def_en})
    relations = {}
    for prop in RELATIONS:
        zh, en = term_label(prop)
        def_zh, def_en = term_definition(prop)
        relations[_local(prop)] = {"zh": zh, "en": en, "def_zh": def_zh, "def_en": def_en}
    comparators = []
    for c in (SY.Exactly, SY.AtLeast, SY.AtMost, SY.Approximately, SY.IncreaseBy, SY.DecreaseBy):
        zh, en = term_label(c)
        def_zh, def_en = term_definition(c)
        comparators.append({"key": _local(c), "zh": zh, "en": en, "def_zh": def_zh, "def_en": def_en})
    juris = sorted({j for _, a in G.nodes(data=True) for j in split_values(a.get("jurisdictions"))})
    jurisdictions = []
    for j in juris:
        a = G.nodes[j] if j in G else {"label_zh": _local(j), "class": ""}
        chain = _level_order(G, j) if j in G else [j]
        jurisdictions.append({"iri": j, "zh": a["label_zh"], "en": a.get("label_en", ""), "level": a["class"],
                              "path": " › ".join(G.nodes[c]["label_zh"] for c in chain if c in G)})
    return {
        "name": G.graph.get("name", ""),
        "nodes": nodes,
        "edges": edges,
        "ui": {"classes": classes, "relations": relations, "comparators": comparators,
               "years": sorted({y for _, a in G.nodes(data=True) for y in split_values(a.get("years"))}),
               "districts": sorted({d for _, a in G.nodes(data=True) for d in split_values(a.get("districts"))}),
               "jurisdictions": jurisdictions, "levels": [lv for lv in LEVELS if lv in
                                                          {x["level"] for x in jurisdictions}],
               "contextClasses": sorted(CONTEXT_CLASSES), "hubClasses": sorted(HUB_CLASSES),
               "statementClasses": sorted(STATEMENT_CLASSES)},
    }


def render_html(graph: Graph | nx.MultiDiGraph | Projection, *, year: int | None = None, district: str | None = None,
                goal: str | None = None, focus: str | None = None, depth: int = 1,
                title: str | None = None) -> str:
    """The whole page as one string (write it as UTF-8). `graph` is the RDF graph (rdflib's or a GraphView) or
    a projection of it (networkx's or kg's)."""
    G = graph if hasattr(graph, "add_edge") else to_networkx(graph)
    if any(x is not None for x in (year, district, goal, focus)):
        G = filter_graph(G, year=year, district=district, goal=goal, focus=focus, depth=depth)
    if G.number_of_nodes() == 0:
        raise InputError("the graph has no goals, measures, districts, facilities or years to draw")
    heading = title or G.graph.get("name") or "知识图谱"
    if G.graph.get("filters") and not title:
        heading += f"（{G.graph['filters']}）"
    kg_js, kg_css = _asset("viz.js"), _asset("viz.css")
    csp = ("default-src 'none'; "
           f"script-src {_csp_hash(kg_js)}; "
           "style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    template = (Path(__file__).parent / "templates" / "viz.html").read_text(encoding="utf-8")
    return fill_template(template, heading=heading, kg_js=kg_js, kg_css=kg_css, csp=csp, data=page_data(G))


_SLOT = re.compile(r"\{\{\s*(\w+)\s*(?:\|\s*(\w+)\s*)?\}\}")


def fill_template(template: str, **values) -> str:
    """The page template (kg/templates/viz.html, Jinja syntax) filled in as Jinja renders it with autoescaping:
    `{{ name }}` HTML-escaped, `{{ name|safe }}` as is, `{{ name|tojson }}` as JSON that is safe inside a
    <script> (<, >, & and ' as \\u escapes). The template uses nothing else, and importing and compiling Jinja for
    it took longer than drawing the page; tests/test_build_fast.py renders it with Jinja too and compares."""
    if "{%" in template or "{#" in template or template.count("{{") != len(_SLOT.findall(template)):
        raise ValueError("kg/templates/viz.html: only {{ name }}, {{ name|safe }} and {{ name|tojson }} are filled")

    def fill(m: re.Match) -> str:
        name, how = m.groups()
        value = values[name]
        if how is None:
            return _html_escape(str(value))
        if how == "safe":
            return str(value)
        if how == "tojson":
            text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                    .replace("'", "\\u0027"))
        raise ValueError(f"kg/templates/viz.html: unknown filter |{how}")

    return _SLOT.sub(fill, template)


def _html_escape(text: str) -> str:
    """As markupsafe.escape (what Jinja's autoescaping calls): & < > ' " as entities."""
    return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;")
            .replace('"', "&#34;"))


def html_bytes(graph: Graph | nx.MultiDiGraph | Projection, **filters) -> bytes:
    """The page as UTF-8 bytes, whatever the platform's default encoding."""
    return render_html(graph, **filters).encode("utf-8")


def html_output(result, staged: dict[str, bytes]) -> dict[str, bytes]:
    """`kg build` publisher: the whole graph as exports/shenyang.html (the build's projection, made once)."""
    return {HTML_NAME: html_bytes(result.projection)}
