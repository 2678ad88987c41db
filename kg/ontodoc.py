"""Human-readable documentation of the ontology (exports/ontology.html), in Chinese and English.

A small generator instead of pyLODE: the latest pyLODE (3.4.1) fails at import when installed from PyPI,
and 3.2.1 shows the sy:Comparators concept scheme's title as the ontology's and leaves out the comparator
individuals. Everything shown is escaped with html.escape; terms are sorted by local name, so the page is
byte-identical for the same ontology. No JavaScript, no external resources.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from . import paths
from .namespaces import ONTOLOGY_IRI, PREFIXES

VANN = "http://purl.org/vocab/vann/"

_KNOWN = {**PREFIXES, "org": "http://www.w3.org/ns/org#", "vann": VANN}

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
 max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.55;color:#222}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #4e79a7;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin:0 0 .3rem 0}.term{border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.term:target{border-color:#f28e2b;box-shadow:0 0 0 2px #f28e2b55}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}.en{color:#555}
table{border-collapse:collapse;margin:.3rem 0}td,th{text-align:left;vertical-align:top;padding:.15rem .8rem .15rem 0}
th{white-space:nowrap;color:#555;font-weight:600}nav ul{columns:3}.badge{font-size:.75rem;color:#fff;
background:#4e79a7;border-radius:3px;padding:0 .3rem;margin-left:.4rem;vertical-align:middle}
"""


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _local(iri) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1] if "#" in s else s.rstrip("/").rsplit("/", 1)[-1]


def _qname(iri) -> str:
    s = str(iri)
    best = max((ns for ns in _KNOWN.values() if s.startswith(ns)), key=len, default=None)
    if best is None:
        return s
    prefix = next(p for p, ns in sorted(_KNOWN.items()) if ns == best)
    return f"{prefix}:{s[len(best):]}"


def _texts(g: Graph, node, prop) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for o in g.objects(node, prop):
        if isinstance(o, Literal):
            out[o.language or ""].append(str(o))
    return {k: sorted(v) for k, v in sorted(out.items())}


def _zh_en(g: Graph, node, prop=RDFS.label) -> tuple[str, str]:
    t = _texts(g, node, prop)
    zh = (t.get("zh") or t.get("") or [""])[0]
    en = (t.get("en") or [""])[0]
    return zh, en


class _Doc:
    def __init__(self, g: Graph, ns: str):
        self.g = g
        self.ns = ns

    def ours(self, iri) -> bool:
        return isinstance(iri, URIRef) and str(iri).startswith(self.ns)

    def link(self, iri) -> str:
        """A term of ours links to its section (with both labels); others link out to their IRI."""
        if self.ours(iri):
            zh, en = _zh_en(self.g, iri)
            name = " / ".join(x for x in (zh, en) if x) or _local(iri)
            return f'<a href="#{_esc(_local(iri))}"><code>sy:{_esc(_local(iri))}</code></a> {_esc(name)}'
        if isinstance(iri, URIRef):
            return f'<a href="{_esc(iri)}"><code>{_esc(_qname(iri))}</code></a>'
        return _esc(iri)

    def links(self, nodes) -> str:
        return ", ".join(self.link(n) for n in sorted(nodes, key=str))

    def term(self, iri, kind: str, rows: list[tuple[str, str]]) -> str:
        zh, en = _zh_en(self.g, iri)
        defs = _texts(self.g, iri, SKOS.definition)
        comments = _texts(self.g, iri, RDFS.comment)
        parts = [f'<section class="term" id="{_esc(_local(iri))}">',
                 f'<h3>{_esc(zh)} <span class="en">{_esc(en)}</span><span class="badge">{_esc(kind)}</span></h3>',
                 "<table>",
                 f"<tr><th>IRI</th><td><code>{_esc(iri)}</code></td></tr>",
                 f"<tr><th>标签 label</th><td>{_esc(zh)}@zh · {_esc(en)}@en</td></tr>"]
        for lang, title in (("zh", "定义"), ("en", "Definition")):
            for text in defs.get(lang, []) + comments.get(lang, []):
                parts.append(f'<tr><th>{title}</th><td lang="{lang}">{_esc(text)}</td></tr>')
        for head, value in rows:
            if value:
                parts.append(f"<tr><th>{_esc(head)}</th><td>{value}</td></tr>")
        parts.append("</table></section>")
        return "\n".join(parts)


def ontology_html(ontology: Path = paths.ONTOLOGY) -> bytes:
    """The documentation page of an ontology file (UTF-8 HTML5)."""
    from .graphview import turtle_view

    g = turtle_view(ontology)  # parsed by pyoxigraph, indexed once (kg.graphview)
    ont = next(iter(sorted(g.subjects(RDF.type, OWL.Ontology), key=str)), ONTOLOGY_IRI)
    ns = str(g.value(ont, URIRef(VANN + "preferredNamespaceUri")) or str(ont) + "#")
    prefix = str(g.value(ont, URIRef(VANN + "preferredNamespacePrefix")) or "sy")
    d = _Doc(g, ns)

    def ours(kind) -> list[URIRef]:
        return sorted((s for s in g.subjects(RDF.type, kind) if d.ours(s)), key=lambda x: _local(x).lower())

    classes = ours(OWL.Class)
    obj_props = ours(OWL.ObjectProperty)
    dt_props = ours(OWL.DatatypeProperty)
    datatypes = ours(RDFS.Datatype)
    schemes = ours(SKOS.ConceptScheme)
    props = obj_props + dt_props
    domain_of = defaultdict(list)
    range_of = defaultdict(list)
    for p in props:
        for c in g.objects(p, RDFS.domain):
            domain_of[c].append(p)
        for c in g.objects(p, RDFS.range):
            range_of[c].append(p)

    title_zh, title_en = _zh_en(g, ont, DCTERMS.title)
    desc = _texts(g, ont, DCTERMS.description)
    out = ["<!DOCTYPE html>", '<html lang="zh">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_esc(title_zh)} · {_esc(title_en)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           f'<h1>{_esc(title_zh)}</h1><p class="en" lang="en"><strong>{_esc(title_en)}</strong></p>', "<table>",
           f"<tr><th>IRI</th><td><code>{_esc(ont)}</code></td></tr>",
           f"<tr><th>命名空间 Namespace</th><td><code>{_esc(prefix)}: &lt;{_esc(ns)}&gt;</code></td></tr>"]
    for label, prop in (("版本 Version", OWL.versionInfo), ("版本 IRI Version IRI", OWL.versionIRI),
                        ("作者 Creator", DCTERMS.creator)):
        for v in sorted(str(x) for x in g.objects(ont, prop)):
            out.append(f"<tr><th>{label}</th><td>{_esc(v)}</td></tr>")
    for lic in sorted(g.objects(ont, DCTERMS.license), key=str):
        out.append(f'<tr><th>许可 Licence</th><td><a href="{_esc(lic)}">{_esc(lic)}</a></td></tr>')
    for see in sorted(g.objects(ont, RDFS.seeAlso), key=str):
        out.append(f'<tr><th>参见 See also</th><td><a href="{_esc(see)}">{_esc(see)}</a></td></tr>')
    out.append("</table>")
    for lang in ("zh", "en"):
        for text in desc.get(lang, []):
            out.append(f'<p lang="{lang}">{_esc(text)}</p>')

    sections = [("classes", "类 Classes", classes), ("object-properties", "对象属性 Object properties", obj_props),
                ("datatype-properties", "数据属性 Datatype properties", dt_props),
                ("datatypes", "数据类型 Datatypes", datatypes),
                ("schemes", "概念体系 Concept schemes", schemes)]
    out.append("<nav><h2>目录 Contents</h2>")
    for anchor, heading, terms in sections:
        out.append(f'<h3><a href="#{anchor}">{_esc(heading)}</a></h3><ul>')
        for t in terms:
            zh, en = _zh_en(g, t)
            out.append(f'<li><a href="#{_esc(_local(t))}"><code>{_esc(prefix)}:{_esc(_local(t))}</code></a> '
                       f"{_esc(zh)} <span class=\"en\">{_esc(en)}</span></li>")
        out.append("</ul>")
    out.append('<h3><a href="#namespaces">命名空间 Namespaces</a></h3></nav>')

    out.append('<h2 id="classes">类 Classes</h2>')
    for c in classes:
        subs = [s for s in g.subjects(RDFS.subClassOf, c) if d.ours(s)]
        members = [m for m in g.subjects(RDF.type, c) if d.ours(m)]
        out.append(d.term(c, "owl:Class", [
            ("父类 Subclass of", d.links(g.objects(c, RDFS.subClassOf))),
            ("子类 Superclass of", d.links(subs)),
            ("定义域 In domain of", d.links(domain_of[c])),
            ("值域 In range of", d.links(range_of[c])),
            ("成员 Members", d.links(members)),
        ]))

    for anchor, heading, terms, kind in (("object-properties", "对象属性 Object properties", obj_props,
                                          "owl:ObjectProperty"),
                                         ("datatype-properties", "数据属性 Datatype properties", dt_props,
                                          "owl:DatatypeProperty")):
        out.append(f'<h2 id="{anchor}">{_esc(heading)}</h2>')
        for p in terms:
            chars = [_qname(t) for t in sorted(g.objects(p, RDF.type), key=str)
                     if t not in (OWL.ObjectProperty, OWL.DatatypeProperty)]
            out.append(d.term(p, kind, [
                ("父属性 Subproperty of", d.links(g.objects(p, RDFS.subPropertyOf))),
                ("定义域 Domain", d.links(g.objects(p, RDFS.domain))),
                ("值域 Range", d.links(g.objects(p, RDFS.range))),
                ("特性 Characteristics", _esc(", ".join(chars))),
            ]))

    out.append('<h2 id="datatypes">数据类型 Datatypes</h2>')
    for t in datatypes:
        out.append(d.term(t, "rdfs:Datatype", [("值域 In range of", d.links(range_of[t]))]))

    out.append('<h2 id="schemes">概念体系 Concept schemes</h2>')
    for s in schemes:
        concepts = sorted((c for c in g.subjects(SKOS.inScheme, s) if d.ours(c)),
                          key=lambda c: str(g.value(c, SKOS.notation) or c))
        out.append(d.term(s, "skos:ConceptScheme", [("概念 Concepts", d.links(concepts))]))
        for c in concepts:
            notation = g.value(c, SKOS.notation)
            out.append(d.term(c, "skos:Concept", [
                ("类型 Type", d.links(g.objects(c, RDF.type))),
                ("记法 Notation", f"<code>{_esc(notation)}</code>" if notation is not None else ""),
                ("所属体系 In scheme", d.links(g.objects(c, SKOS.inScheme))),
            ]))

    out.append('<h2 id="namespaces">命名空间 Namespaces</h2><table>')
    for p, uri in sorted(g.namespaces()):
        if p and any(str(o).startswith(str(uri)) for o in set(g.predicates()) | set(g.objects()) if
                     isinstance(o, URIRef)):
            out.append(f"<tr><th><code>{_esc(p)}</code></th><td><code>{_esc(uri)}</code></td></tr>")
    out.append("</table>")
    out.append('<footer><p class="en">Generated by <code>kg build</code> from ontology/shenyang.ttl.</p></footer>')
    out.append("</body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")
