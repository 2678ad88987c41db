"""Linked-open-data export formats: JSON-LD, RDF/XML, TriG, N-Quads, GraphML and CSV (registered in kg.export.FORMATS).

Every serialiser is a pure function `graph -> bytes` and is byte-stable: the same triples give the same bytes
whatever order they were added in and whatever the interpreter's hash seed. RDF/XML and TriG are written by
pyoxigraph from sorted N-Triples (kg.rdfwrite); JSON-LD, GraphML and CSV are written here from sorted data.
`canonical` (a graph copy in sorted insertion order) serves rdflib writers elsewhere (the catalog).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from . import paths
from .export import register, register_ntriples
from .namespaces import COMPARATORS, DEFAULT_BASE, KINDS, OA, ONTOLOGY_IRI, PREFIXES, SY, made_once

DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, OA, SY = made_once(DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD,
                                                                   OA, SY)

#: Media types and names of the files `kg build` writes through this module (format name → file name).
LOD_OUTPUTS = {
    "jsonld": "shenyang.jsonld",
    "rdfxml": "shenyang.rdf",
    "trig": "shenyang.trig",
    "nquads": "shenyang.nq",
    "graphml": "shenyang.graphml",
    "csv": "shenyang.csv",
}
CONTEXT_FILE = "context.jsonld"


# --------------------------------------------------------------------------------------------------------------
# canonical graphs


def minted_base(base: str) -> str:
    """The base IRI as minted IRIs and the `id:` prefix use it: ending in '/' or '#' (kg.build.Minter)."""
    return base if base.endswith(("/", "#")) else base + "/"


def graph_base(g: Graph) -> str:
    """The base IRI of minted instances: the graph's `id:` prefix (bound by the build), else the default."""
    for prefix, ns in g.namespaces():
        if prefix == "id":
            return str(ns)
    return DEFAULT_BASE


def _term_key(t) -> tuple[int, str]:
    return (0 if isinstance(t, URIRef) else 1 if isinstance(t, BNode) else 2, t.n3())


def _triple_key(t) -> tuple:
    return tuple(_term_key(x) for x in t)


def canonical(g: Graph, identifier: URIRef | None = None) -> Graph:
    """A copy of g with only kg's prefixes (plus `id:`) and its triples inserted in sorted order, so that
    serialisers that walk the store's insertion order write the same bytes for the same triples."""
    # SimpleMemory keeps triples in nested dicts, so it iterates in insertion order; the default Memory
    # store iterates a set, whose order changes with the interpreter's hash seed.
    out = Graph(store="SimpleMemory", bind_namespaces="none", identifier=identifier)
    for prefix, ns in sorted(PREFIXES.items()):
        out.bind(prefix, ns)
    out.bind("id", graph_base(g))
    for t in sorted(g, key=_triple_key):
        out.add(t)
    return out


# --------------------------------------------------------------------------------------------------------------
# JSON-LD (compact, with a published @context)

_DT_PROPS = {  # datatype properties outside sy: that get a coerced term, term name → (IRI, datatype)
    "start": (OA.start, XSD.nonNegativeInteger),
    "end": (OA.end, XSD.nonNegativeInteger),
    "inXSDDate": (TIME.inXSDDate, XSD.date),
}
_ID_PROPS = {  # object properties outside sy:
    "wasDerivedFrom": PROV.wasDerivedFrom,
    "hadPrimarySource": PROV.hadPrimarySource,
    "hasSource": OA.hasSource,
    "hasSelector": OA.hasSelector,
    "inScheme": SKOS.inScheme,
    "broader": SKOS.broader,
    "topConceptOf": SKOS.topConceptOf,
    "hasBeginning": TIME.hasBeginning,
    "hasEnd": TIME.hasEnd,
    "publisher": DCTERMS.publisher,
    "spatial": DCTERMS.spatial,
    "source": DCTERMS.source,
    "license": DCTERMS.license,
    "imports": OWL.imports,
}
_LANG_PROPS = {  # language-tagged text: a language map {"zh": …, "en": …}
    "label": RDFS.label,
    "prefLabel": SKOS.prefLabel,
    "altLabel": SKOS.altLabel,
    "definition": SKOS.definition,
    "title": DCTERMS.title,
}
_STR_PROPS = {  # plain strings
    "exact": OA.exact,
    "notation": SKOS.notation,
    "identifier": DCTERMS.identifier,
    "language": DCTERMS.language,
}
#: JSON-LD prefix names that differ from kg's Turtle prefixes (the term `unit` is sy:unit).
_JSONLD_PREFIX_RENAMES = {"unit": "qudt-unit"}


def _compactor(prefixes: dict[str, str]):
    """`_compact` with these prefixes, remembering every IRI it has compacted (a graph repeats its IRIs)."""
    done: dict[str, str] = {}
    longest_first = sorted(((ns, name) for name, ns in prefixes.items()), key=lambda x: (-len(x[0]), x[1]))

    def compact(iri: str) -> str:
        out = done.get(iri)
        if out is None:
            out = iri
            for ns, name in longest_first:  # the first that fits is the longest (then the first name): _compact's
                if iri.startswith(ns) and len(iri) > len(ns) and not iri.startswith("//", len(ns)):
                    out = f"{name}:{iri[len(ns):]}"
                    break
            done[iri] = out
        return out

    return compact


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for ns in prefixes.values():
        if iri.startswith(ns) and len(ns) > len(best) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            best = ns
    if not best:
        return iri
    name = next(p for p, ns in sorted(prefixes.items()) if ns == best)
    return f"{name}:{iri[len(best):]}"


@lru_cache(maxsize=8)
def jsonld_context(base: str = DEFAULT_BASE) -> dict:
    """The @context of kg's JSON-LD: prefixes, a term for every sy: class and property (derived from
    ontology/shenyang.ttl, so it follows the ontology), and terms for the other vocabularies' properties."""
    from .graphview import turtle_view

    ont = turtle_view(paths.ONTOLOGY)
    prefixes = {_JSONLD_PREFIX_RENAMES.get(p, p): ns for p, ns in PREFIXES.items()}
    prefixes["id"] = base
    ctx: dict = dict(sorted(prefixes.items()))
    sy_ns = str(SY._NS)

    def local(iri) -> str:
        return str(iri)[len(sy_ns):]

    for cls in sorted(set(ont.subjects(RDF.type, OWL.Class)) | set(ont.subjects(RDF.type, SKOS.ConceptScheme))):
        if str(cls).startswith(sy_ns):
            ctx[local(cls)] = f"sy:{local(cls)}"
    for prop in sorted(ont.subjects(RDF.type, OWL.ObjectProperty)):
        ctx[local(prop)] = {"@id": f"sy:{local(prop)}", "@type": "@id"}
    for prop in sorted(ont.subjects(RDF.type, OWL.DatatypeProperty)):
        rng = ont.value(prop, RDFS.range)
        if rng in (XSD.decimal, XSD.integer, XSD.boolean):
            ctx[local(prop)] = {"@id": f"sy:{local(prop)}", "@type": _compact(str(rng), prefixes)}
        elif rng == XSD.string:
            ctx[local(prop)] = f"sy:{local(prop)}"
        else:  # sy:note: short zh remarks
            ctx[local(prop)] = {"@id": f"sy:{local(prop)}", "@container": "@language"}
    for name, (iri, dt) in _DT_PROPS.items():
        ctx[name] = {"@id": _compact(str(iri), prefixes), "@type": _compact(str(dt), prefixes)}
    for name, iri in _ID_PROPS.items():
        ctx[name] = {"@id": _compact(str(iri), prefixes), "@type": "@id"}
    for name, iri in _LANG_PROPS.items():
        ctx[name] = {"@id": _compact(str(iri), prefixes), "@container": "@language"}
    for name, iri in _STR_PROPS.items():
        ctx[name] = _compact(str(iri), prefixes)
    clash = set(prefixes) & (set(ctx) - set(prefixes))
    assert not clash, f"JSON-LD terms clash with prefixes: {clash}"
    return ctx


def _term_index(ctx: dict) -> tuple[dict[str, str], dict[str, tuple[str, dict]], dict[str, str]]:
    """(prefixes, property IRI → (term, definition), class IRI → term) of a context."""
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def expand(value: str) -> str:
        if ":" in value:
            p, rest = value.split(":", 1)
            if p in prefixes:
                return prefixes[p] + rest
        return value

    props: dict[str, tuple[str, dict]] = {}
    classes: dict[str, str] = {}
    for term, d in ctx.items():
        if term in prefixes:
            continue
        if isinstance(d, str):
            iri = expand(d)
            if iri.startswith(str(SY._NS)) and term[:1].isupper():
                classes[iri] = term
            else:
                props[iri] = (term, {})
        else:
            defn = {k: (expand(v) if k == "@type" and v != "@id" else v) for k, v in d.items() if k != "@id"}
            props[expand(d["@id"])] = (term, defn)
    return prefixes, props, classes


def _value_key(v) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _plain_value(o, compact):
    """A value under a compact-IRI key (no term coercion): expanded value objects, IRIs compacted."""
    if isinstance(o, URIRef):
        return {"@id": compact(str(o))}
    if o.language:
        return {"@value": str(o), "@language": o.language}
    if o.datatype and o.datatype != XSD.string:
        return {"@value": str(o), "@type": compact(str(o.datatype))}
    return str(o)


def to_jsonld_document(g: Graph, ctx: dict | None = None) -> dict:
    """The graph as a compact JSON-LD document {"@context": …, "@graph": [node, …]} with sorted nodes,
    keys and values. A value that does not fit its property's term (another datatype, no language tag)
    is written under the prefixed name instead, so the document always expands to exactly g."""
    ctx = ctx or jsonld_context(graph_base(g))
    prefixes, props, classes = _term_index(ctx)
    compact = _compactor(prefixes)
    nodes = g.spo if hasattr(g, "spo") else _by_subject(g)  # a GraphView holds them so already
    rdf_type = RDF.type
    handling: dict = {}  # predicate → how its values are written (the same for every subject)
    out = []
    for s in sorted(nodes, key=str):
        if isinstance(s, BNode):
            raise ValueError("kg graphs mint no blank nodes; JSON-LD export does not support them")
        node: dict = {"@id": compact(str(s))}
        entries: dict[str, list] = defaultdict(list)
        lang_maps: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for p, objects in nodes[s].items():
            how = handling.get(p)
            if how is None:
                term, defn = props.get(str(p), (None, {}))
                how = handling[p] = (p == rdf_type, term, compact(str(p)), defn.get("@container") == "@language",
                                     defn.get("@type"))
            is_type, term, fallback, language_map, coerce = how
            if is_type:
                if any(isinstance(o, BNode) for o in objects):
                    raise ValueError("kg graphs mint no blank nodes; JSON-LD export does not support them")
                types = sorted(classes.get(str(o)) or compact(str(o)) for o in objects)
                node["@type"] = types[0] if len(types) == 1 else types
                continue
            for o in objects:
                if isinstance(o, BNode):
                    raise ValueError("kg graphs mint no blank nodes; JSON-LD export does not support them")
                if term is None:
                    entries[fallback].append(_plain_value(o, compact))
                elif language_map:
                    if isinstance(o, Literal) and o.language:
                        lang_maps[term][o.language].append(str(o))
                    else:
                        entries[fallback].append(_plain_value(o, compact))
                elif coerce == "@id":
                    if isinstance(o, URIRef):
                        entries[term].append(compact(str(o)))
                    else:
                        entries[fallback].append(_plain_value(o, compact))
                elif coerce:
                    if isinstance(o, Literal) and str(o.datatype) == coerce and not o.language:
                        entries[term].append(str(o))
                    else:
                        entries[fallback].append(_plain_value(o, compact))
                else:
                    entries[term].append(_plain_value(o, compact))
        for key, values in entries.items():
            if len(values) > 1:
                values = sorted(values, key=_value_key)
            node[key] = values[0] if len(values) == 1 else values
        for term, by_lang in lang_maps.items():
            node[term] = {lang: (sorted(v)[0] if len(v) == 1 else sorted(v)) for lang, v in sorted(by_lang.items())}
        out.append(node)
    return {"@context": ctx, "@graph": out}


def _by_subject(g: Graph) -> dict:
    """subject → predicate → [objects] of a graph (what GraphView.spo holds)."""
    nodes: dict = defaultdict(lambda: defaultdict(list))
    for s, p, o in g:
        nodes[s][p].append(o)
    return nodes


def _dump_json(obj) -> bytes:
    """UTF-8 JSON, Chinese as is (not \\u-escaped), keys sorted, two-space indent, final newline: the text of
    `json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True)`, written here because json writes indented
    JSON with its pure-Python encoder, twice as slow as this for a megabyte of JSON-LD (tests compare)."""
    from json.encoder import encode_basestring as quoted  # C, as json.dumps uses with ensure_ascii=False

    out: list[str] = []
    put = out.append

    def write(value, indent: str) -> None:
        if isinstance(value, str):
            put(quoted(value))
        elif isinstance(value, dict | list) and value:
            inner = indent + "  "
            is_dict = isinstance(value, dict)
            put("{\n" + inner if is_dict else "[\n" + inner)
            for i, item in enumerate(sorted(value.items()) if is_dict else value):
                if i:
                    put(",\n" + inner)
                if is_dict:
                    put(quoted(item[0]) + ": ")
                    item = item[1]
                write(item, inner)
            put("\n" + indent + ("}" if is_dict else "]"))
        else:  # numbers, true/false/null, {} and []: as json writes them
            put(json.dumps(value))

    write(obj, "")
    return ("".join(out) + "\n").encode("utf-8")


@register("jsonld", ".jsonld")
def to_jsonld(g: Graph) -> bytes:
    """Compact JSON-LD with the @context embedded (the same context is published as context.jsonld)."""
    return _dump_json(to_jsonld_document(g))


def context_document(base: str = DEFAULT_BASE) -> bytes:
    """The published context file: {"@context": …}, for people writing their own kg JSON-LD."""
    return _dump_json({"@context": jsonld_context(base)})


# --------------------------------------------------------------------------------------------------------------
# RDF/XML and TriG (pyoxigraph's writers, fed sorted N-Triples: kg.rdfwrite)


@register_ntriples("rdfxml", ".rdf")
def rdfxml_of_ntriples(nt: bytes, base: str) -> bytes:
    """RDF/XML (pyoxigraph's writer: one rdf:Description per subject, subjects sorted)."""
    from .rdfwrite import rdfxml

    return rdfxml(nt)


@register_ntriples("trig", ".trig")
def trig_of_ntriples(nt: bytes, base: str) -> bytes:
    """TriG with two named graphs: the data as <…/id/dataset> and the ontology as its own IRI, in IRI order
    (pyoxigraph's writer; each graph's subjects sorted)."""
    from .rdfwrite import trig

    return trig(_graphs(nt, base), {**PREFIXES, "vann": "http://purl.org/vocab/vann/"})  # vann: the ontology's header


def _graphs(nt: bytes, base: str) -> list[tuple[str, bytes]]:
    """The named graphs of the TriG and N-Quads exports: the data in <…/id/dataset>, the ontology in its IRI."""
    from .rdfwrite import ntriples_of_turtle

    return [(minted_base(base) + "dataset", nt), (str(ONTOLOGY_IRI), ntriples_of_turtle(paths.ONTOLOGY))]


@register_ntriples("nquads", ".nq")
def nquads_of_ntriples(nt: bytes, base: str) -> bytes:
    """N-Quads with the graphs of the TriG file: the data in <…/id/dataset>, the ontology in its own IRI
    (N-Triples lines with the graph name added, sorted: byte-stable, and neither graph has blank nodes)."""
    from .rdfwrite import nquads_of

    lines = nquads_of(_graphs(nt, base)).split(b"\n")
    return b"\n".join(sorted(line for line in lines if line)) + b"\n"


# --------------------------------------------------------------------------------------------------------------
# GraphML (the networkx projection of kg.viz, for Gephi, yEd, Cytoscape)


def _graphml_scalar(v):
    if isinstance(v, (list, tuple, set, frozenset)):
        return "; ".join(sorted(str(x) for x in v))
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, Decimal):
        return float(v)
    return str(v)


@register("graphml", ".graphml")
def to_graphml(g: Graph) -> bytes:
    """GraphML of the viz projection of g (`kg.viz.project`; see `graphml_of_projection`)."""
    from .viz import project

    return graphml_of_projection(project(g))


#: GraphML attribute types of the Python values written (as networkx's writer names them).
_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_GRAPHML_ROOT = ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                 'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                 'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">')


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return (_xml_text(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


def graphml_of_projection(src) -> bytes:
    """GraphML of a viz projection (kg.viz.project or kg.viz.to_networkx): nodes and edges sorted, every node with
    `label` (the zh label) and `class` (its kg class) attributes, which Gephi shows as Label and as a partition
    column; `value` a double, so Gephi can size and rank nodes by it.

    Written directly, in the bytes networkx's writer gives (`nx.generate_graphml(…, prettyprint=True,
    named_key_ids=True)` of the sorted copy; tests/test_build_fast.py compares): a <key> per attribute name, type
    and scope, newest first; two-space indents; non-ASCII characters as &#N; references. A tenth of the time,
    and neither networkx nor numpy imported."""
    keys: dict[tuple[str, str, str], None] = {}  # (name, GraphML type, scope), in order of first use

    def data(attrs: dict, scope: str, indent: str) -> list[str]:
        out = []
        for k, v in attrs.items():
            keys[(k, _GRAPHML_TYPES[type(v)], scope)] = None
            text = str(v)
            out.append(f'{indent}<data key="{_xml_attr(k)}">{_xml_text(text)}</data>' if text else
                       f'{indent}<data key="{_xml_attr(k)}" />')
        return out

    def element(open_tag: str, children: list[str], indent: str) -> list[str]:
        if not children:
            return [f"{indent}{open_tag} />"]
        return [f"{indent}{open_tag}>", *children, f"{indent}</{open_tag[1:].split(' ', 1)[0]}>"]

    graph_attrs = {k: _graphml_scalar(v) for k, v in sorted(src.graph.items()) if v is not None}
    graph_id = graph_attrs.pop("id", None)  # networkx writes a graph attribute `id` as the element's id
    graph_data = data(graph_attrs, "graph", "    ")  # keys of the graph's attributes come first
    body: list[str] = []
    for n in sorted(src.nodes, key=str):
        attrs = {k: _graphml_scalar(v) for k, v in sorted(src.nodes[n].items()) if v is not None}
        attrs.setdefault("label", str(n))
        if "value" in attrs:  # a number (GraphML double), so Gephi can size and rank nodes by it
            attrs["value"] = float(Decimal(str(attrs["value"])))
        body += element(f'<node id="{_xml_attr(str(n))}"', data(attrs, "node", "      "), "    ")
    if src.is_multigraph():
        edges = sorted(((str(u), str(v), str(k), d) for u, v, k, d in src.edges(keys=True, data=True)),
                       key=lambda e: e[:3])
    else:
        edges = sorted(((str(u), str(v), None, d) for u, v, d in src.edges(data=True)), key=lambda e: e[:2])
    merged: dict[tuple, dict] = {}  # the sorted copy networkx wrote held each (u, v, key) once
    for u, v, k, d in edges:
        merged.setdefault((u, v, k), {}).update({a: _graphml_scalar(x) for a, x in sorted(d.items())
                                                 if x is not None})
    for (u, v, k), attrs in merged.items():
        tag = f'<edge source="{_xml_attr(u)}" target="{_xml_attr(v)}"' + (f' id="{_xml_attr(k)}"' if k is not None
                                                                         else "")
        body += element(tag, data(attrs, "edge", "      "), "    ")
    directed = "directed" if src.is_directed() else "undirected"
    graph_tag = f'<graph edgedefault="{directed}"' + (f' id="{_xml_attr(str(graph_id))}"' if graph_id is not None
                                                      else "")
    lines = [_GRAPHML_ROOT]
    lines += [f'  <key id="{_xml_attr(name)}" for="{scope}" attr.name="{_xml_attr(name)}" attr.type="{kind}" />'
              for name, kind, scope in reversed(keys)]
    lines += element(graph_tag, body + graph_data, "  ")
    lines.append("</graphml>")
    text = "\n".join(lines).encode("ascii", "xmlcharrefreplace").decode("ascii")
    # networkx's lines are str.splitlines() of the document: a line break inside a value (\r, \x0b …) splits too
    return ("\n".join(text.splitlines()) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# CSV: one row per quantified statement

CSV_COLUMNS = ["year", "goal", "measure", "category", "districts", "value", "unit", "comparator", "document",
               "start", "end", "kind", "as_written", "statement",
               "goal_en", "measure_en", "category_en", "districts_en", "unit_en", "label_en"]
_KIND_NAMES = {iri: key for key, iri in KINDS.items()}
_COMPARATOR_KEYS = {iri: key for key, iri in COMPARATORS.items()}


def _label(g: Graph, node, lang: str = "zh", prop=RDFS.label) -> str:
    """The node's label in a language (else any label, else the IRI); the smallest if there are several."""
    if node is None:
        return ""
    values = sorted(str(o) for o in g.objects(node, prop) if isinstance(o, Literal) and o.language == lang)
    if not values:
        values = sorted(str(o) for o in g.objects(node, prop))
    return values[0] if values else str(node)


def _label_en(g: Graph, node, prop=RDFS.label) -> str:
    """The node's English label, or "" (no fallback to Chinese: the *_en columns are English or empty)."""
    if node is None:
        return ""
    return min((str(o) for o in g.objects(node, prop) if isinstance(o, Literal) and o.language == "en"), default="")


def _decimal_text(lit) -> str:
    if lit is None:
        return ""
    try:
        d = Decimal(str(lit))
    except ArithmeticError:
        return str(lit)
    text = format(d.normalize(), "f")
    return text


def statement_rows(g: Graph) -> list[dict[str, str]]:
    """One dict per sy:QuantifiedStatement with the columns of CSV_COLUMNS (labels in Chinese, codes for
    comparators and kinds), sorted by year, document, start offset and IRI."""
    rows = []
    for st in set(g.subjects(RDF.type, SY.QuantifiedStatement)):
        measure = g.value(st, SY.measure)
        goal = g.value(measure, SY.underGoal) if measure is not None else None
        year = g.value(st, SY.year)
        doc = g.value(st, PROV.hadPrimarySource)
        pos = URIRef(f"{st}#span-position")
        kinds = sorted(_KIND_NAMES[k] for k in g.objects(st, RDF.type) if k in _KIND_NAMES)
        comparators = sorted(_COMPARATOR_KEYS.get(c) or str(c).rsplit("#", 1)[-1] for c in g.objects(st, SY.comparator))
        districts = sorted(_label(g, d) for d in g.objects(measure, SY.district)) if measure is not None else []
        rows.append({
            "year": _label(g, year, "en") if year is not None else "",
            "goal": _label(g, goal),
            "measure": _label(g, measure),
            "category": _label(g, g.value(measure, SY.category), "zh", SKOS.prefLabel) if measure is not None else "",
            "districts": ";".join(districts),
            "value": _decimal_text(g.value(st, SY.value)),
            "unit": _label(g, g.value(st, SY.unit)),
            "comparator": ";".join(comparators),
            "document": str(g.value(doc, DCTERMS.identifier) or doc or ""),
            "start": str(g.value(pos, OA.start) or ""),
            "end": str(g.value(pos, OA.end) or ""),
            "kind": ";".join(kinds),
            "as_written": str(g.value(st, SY.asWritten) or ""),
            "statement": str(st),
            # the same labels in English, for readers without Chinese (empty where the data has none)
            "goal_en": _label_en(g, goal),
            "measure_en": _label_en(g, measure),
            "category_en": _label_en(g, g.value(measure, SY.category) if measure is not None else None,
                                     SKOS.prefLabel),
            "districts_en": ";".join(sorted(_label_en(g, d) for d in g.objects(measure, SY.district)))
            if measure is not None else "",
            "unit_en": _label_en(g, g.value(st, SY.unit)),
            "label_en": _label_en(g, st),
        })

    def key(r):
        return (r["year"], r["document"], int(r["start"]) if r["start"].isdigit() else -1, r["statement"])

    return sorted(rows, key=key)


@register("csv", ".csv")
def to_csv(g: Graph) -> bytes:
    """CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel detects UTF-8 and shows the Chinese),
    RFC 4180 quoting and CRLF line ends, a header row, one row per quantified statement."""
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(statement_rows(g))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# publisher for `kg build`


def rdf_outputs(result, staged: dict[str, bytes]) -> dict[str, bytes]:
    """RDF/XML, TriG and N-Quads of a build (pyoxigraph's writers, from the store's sorted N-Triples), the JSON-LD
    context and the ontology documentation (from the ontology file), keyed by file name."""
    from .ontodoc import ontology_html

    files = {LOD_OUTPUTS[fmt]: result.store.serialize(fmt) for fmt in ("rdfxml", "trig", "nquads")}
    files[CONTEXT_FILE] = context_document(minted_base(result.store.base))
    files["ontology.html"] = ontology_html()
    return files


rdf_outputs.aside = True  # type: ignore[attr-defined]  # reads no staged file (kg.pipeline.write_all)


def lod_outputs(result, staged: dict[str, bytes]) -> dict[str, bytes]:
    """JSON-LD, GraphML and CSV of a build, written here from `result.view` (the store's sorted N-Triples indexed:
    kg.graphview, no rdflib Graph) and its viz projection (made once, shared with the HTML page)."""
    return {LOD_OUTPUTS["jsonld"]: to_jsonld(result.view),
            LOD_OUTPUTS["graphml"]: graphml_of_projection(result.projection),
            LOD_OUTPUTS["csv"]: to_csv(result.view)}


# --------------------------------------------------------------------------------------------------------------
# `kg export`


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def export_graph(fmt: str, graph: Graph) -> bytes:
    """The bytes of one export format (any name in kg.export.FORMATS) of a graph."""
    from .errors import InputError
    from .export import FORMATS, serialize

    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of: {', '.join(sorted(FORMATS))}")
    if fmt in ("rdfxml", "graphml"):  # XML 1.0 cannot hold control characters, even escaped
        for term in (t for triple in graph for t in triple):
            bad = _NOT_XML.search(term)
            if bad:
                raise InputError(f"cannot write this graph as {fmt}: {str(term)[:60]!r} holds the character "
                                 f"U+{ord(bad.group()):04X}, which XML cannot; fix it in the graph first")
    try:
        return serialize(graph, fmt)
    except (ValueError, TypeError, KeyError) as e:  # e.g. a predicate RDF/XML cannot write as a QName
        raise InputError(f"cannot write this graph as {fmt}: {str(e).strip()[:300]}") from None
