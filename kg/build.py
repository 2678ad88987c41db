"""Records → RDF. Pure: no file I/O, no clocks, no randomness, so the same records give the same triples.

`iter_triples` yields every triple once; `build_graph` collects them into an rdflib Graph. IRIs are minted
from stable keys (document slug + local id), never from blank nodes, so links from portals keep working.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from .namespaces import COMPARATORS, DEFAULT_BASE, KINDS, OA, ONTOLOGY_IRI, PREFIXES, SY, UNIT
from .records import Corpus, Record, Span
from .sources import SourceText
from .vocab import Vocab

Triple = tuple[URIRef, URIRef, URIRef | Literal]


class Minter:
    """Mints the IRI of every kind of node under one base IRI."""

    def __init__(self, base: str = DEFAULT_BASE):
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def __call__(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(quote(str(p), safe="-_.~") for p in parts))

    def dataset(self) -> URIRef:
        return self("dataset")

    def document(self, doc_id: str) -> URIRef:
        return self("doc", doc_id)

    def year(self, year: int) -> URIRef:
        return self("year", str(year))

    def district(self, key: str) -> URIRef:
        return self("district", key)

    def unit(self, key: str, vocab: Vocab) -> URIRef:
        qudt = vocab.units[key].qudt
        return UNIT[qudt] if qudt else self("unit", key)

    def category(self, key: str) -> URIRef:
        return self("category", key)

    def facility_type(self, key: str) -> URIRef:
        return self("facility-type", key)

    def facility(self, key: str) -> URIRef:
        return self("facility", key)

    def local(self, kind: str, slug: str, local_id: str) -> URIRef:
        return self(kind, slug, local_id)


def _decimal(value: Decimal) -> Literal:
    """xsd:decimal with a canonical lexical form (always a '.'; no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


def _labels(node: URIRef, zh: str, en: str | None) -> Iterator[Triple]:
    yield node, RDFS.label, Literal(zh, lang="zh")
    if en:
        yield node, RDFS.label, Literal(en, lang="en")


def _date(value: str) -> Literal:
    dtype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return Literal(value, datatype=dtype)


def iter_vocab_triples(vocab: Vocab, mint: Minter) -> Iterator[Triple]:
    """Concept schemes (categories, facility types), units, years are minted where used; districts here."""
    cats = mint("scheme", "measure-categories")
    yield cats, RDF.type, SKOS.ConceptScheme
    yield from _labels(cats, "举措类别", "Measure categories")
    for c in vocab.categories.values():
        node = mint.category(c.key)
        yield node, RDF.type, SKOS.Concept
        yield node, SKOS.inScheme, cats
        yield node, SKOS.notation, Literal(c.key)
        yield node, SKOS.prefLabel, Literal(c.zh, lang="zh")
        yield node, SKOS.prefLabel, Literal(c.en, lang="en")
        yield from _labels(node, c.zh, c.en)
        yield node, SKOS.definition, Literal(c.definition, lang="en")
        if c.broader:
            yield node, SKOS.broader, mint.category(c.broader)
        else:
            yield node, SKOS.topConceptOf, cats
    ftypes = mint("scheme", "facility-types")
    yield ftypes, RDF.type, SKOS.ConceptScheme
    yield from _labels(ftypes, "设施类型", "Facility types")
    for f in vocab.facility_types.values():
        node = mint.facility_type(f.key)
        yield node, RDF.type, SKOS.Concept
        yield node, SKOS.inScheme, ftypes
        yield node, SKOS.topConceptOf, ftypes
        yield node, SKOS.notation, Literal(f.key)
        yield node, SKOS.prefLabel, Literal(f.zh, lang="zh")
        yield node, SKOS.prefLabel, Literal(f.en, lang="en")
        yield from _labels(node, f.zh, f.en)
    for u in vocab.units.values():
        node = mint.unit(u.key, vocab)
        if not u.qudt:
            yield node, RDF.type, SY.Unit
            yield node, SKOS.notation, Literal(u.key)
        yield from _labels(node, u.zh, u.en)
    for gaz in vocab.gazetteers.values():
        city = mint.district(gaz.city.key)
        yield city, RDF.type, SY.City
        yield from _labels(city, gaz.city.zh, gaz.city.en)
        for d in gaz.divisions:
            node = mint.district(d.key)
            yield node, RDF.type, SY.District
            yield from _labels(node, d.zh, d.en)
            for short in d.short:
                yield node, SKOS.altLabel, Literal(short, lang="zh")
            yield node, SY.inCity, city
            yield node, SY.divisionKind, Literal(d.kind)


def _year(mint: Minter, year: int) -> Iterator[Triple]:
    node = mint.year(year)
    yield node, RDF.type, SY.Year
    yield node, RDF.type, TIME.Interval
    yield node, RDFS.label, Literal(f"{year}年", lang="zh")
    yield node, RDFS.label, Literal(str(year), lang="en")
    for prop, suffix, date in ((TIME.hasBeginning, "start", f"{year}-01-01"), (TIME.hasEnd, "end", f"{year}-12-31")):
        instant = URIRef(f"{node}#{suffix}")
        yield node, prop, instant
        yield instant, RDF.type, TIME.Instant
        yield instant, TIME.inXSDDate, Literal(date, datatype=XSD.date)


def _span(node: URIRef, doc: URIRef, span: Span, text: str | None, fragment: str = "span") -> Iterator[Triple]:
    """The Web Annotation anchor of one item: a SpecificResource with position (and quote) selectors."""
    sr = URIRef(f"{node}#{fragment}")
    pos = URIRef(f"{node}#{fragment}-position")
    yield node, PROV.wasDerivedFrom, sr
    yield sr, RDF.type, OA.SpecificResource
    yield sr, OA.hasSource, doc
    yield sr, OA.hasSelector, pos
    yield pos, RDF.type, OA.TextPositionSelector
    yield pos, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)
    yield pos, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)
    if text is not None:
        quote_sel = URIRef(f"{node}#{fragment}-quote")
        yield sr, OA.hasSelector, quote_sel
        yield quote_sel, RDF.type, OA.TextQuoteSelector
        yield quote_sel, OA.exact, Literal(text[span.start:span.end])


def iter_record_triples(record: Record, vocab: Vocab, mint: Minter, source: SourceText | None) -> Iterator[Triple]:
    """Every triple of one record: document, goals, measures, statements, facilities, mentions."""
    d = record.document
    doc = mint.document(d.id)
    text = source.text if source else None
    slug = d.slug
    gaz = vocab.gazetteers[d.city]
    yield doc, RDF.type, SY.Document
    yield doc, DCTERMS.identifier, Literal(d.id)
    yield doc, SY.sha256, Literal(d.sha256)
    if d.chars is not None:
        yield doc, SY.characterCount, Literal(d.chars, datatype=XSD.integer)
    yield doc, DCTERMS.title, Literal(d.title_zh, lang="zh")
    yield from _labels(doc, d.title_zh, d.title_en)
    if d.title_en:
        yield doc, DCTERMS.title, Literal(d.title_en, lang="en")
    yield doc, DCTERMS.date, _date(d.date)
    yield doc, DCTERMS.language, Literal("zh")
    publisher = mint("agent", d.publisher)
    yield doc, DCTERMS.publisher, publisher
    yield publisher, RDF.type, DCTERMS.Agent
    yield publisher, RDFS.label, Literal(d.publisher, lang="zh")
    yield doc, SY.city, mint.district(gaz.city.key)
    yield doc, DCTERMS.spatial, mint.district(gaz.city.key)
    yield doc, SY.year, mint.year(d.year)
    yield doc, SY.reviewed, Literal(d.reviewed)
    yield from _year(mint, d.year)

    for g in record.goals:
        node = mint.local("goal", slug, g.id)
        yield node, RDF.type, SY.Goal
        yield from _labels(node, g.label, g.label_en)
        if g.parent:
            yield node, SY.subGoalOf, mint.local("goal", slug, g.parent)
        if g.ordinal is not None:
            yield node, SY.ordinal, Literal(g.ordinal, datatype=XSD.integer)
        yield node, SY.year, mint.year(g.year)
        yield node, PROV.hadPrimarySource, doc
        yield from _span(node, doc, g.span, text)
        if g.year != d.year:
            yield from _year(mint, g.year)

    for m in record.measures:
        node = mint.local("measure", slug, m.id)
        yield node, RDF.type, SY.Measure
        yield from _labels(node, m.label, m.label_en)
        yield node, SY.underGoal, mint.local("goal", slug, m.goal)
        yield node, SY.year, mint.year(m.year)
        yield node, SY.category, mint.category(m.category)
        yield node, SY.reviewed, Literal(d.reviewed)
        for key in m.districts:
            yield node, SY.district, mint.district(key)
        for fid in m.facilities:
            yield node, SY.facility, mint.facility(fid)
        yield node, PROV.hadPrimarySource, doc
        yield from _span(node, doc, m.span, text)
        if m.year != d.year:
            yield from _year(mint, m.year)
        for s in m.statements:
            st = mint.local("statement", slug, s.id)
            yield st, RDF.type, KINDS[s.kind]
            yield st, RDF.type, SY.QuantifiedStatement
            yield st, RDFS.label, Literal(f"{m.label} {s.as_written}", lang="zh")
            yield st, SY.measure, node
            yield st, SY.value, _decimal(s.value)
            yield st, SY.unit, mint.unit(s.unit, vocab)
            for comp in s.comparators:
                yield st, SY.comparator, COMPARATORS[comp]
            yield st, SY.asWritten, Literal(s.as_written)
            yield st, SY.year, mint.year(s.year)
            if s.note:
                yield st, SY.note, Literal(s.note, lang="zh")
            yield st, PROV.hadPrimarySource, doc
            yield from _span(st, doc, s.span, text)
            if s.year != d.year:
                yield from _year(mint, s.year)

    for f in record.facilities:
        node = mint.facility(f.id)
        yield node, RDF.type, SY.Facility
        yield from _labels(node, f.label, f.label_en)
        yield node, SY.facilityType, mint.facility_type(f.type)
        if f.district:
            yield node, SY.district, mint.district(f.district)
        yield from _span(node, doc, f.span, text, fragment=f"span-{slug}")

    for i, mention in enumerate(record.district_mentions):
        node = mint.district(mention.district)
        yield from _span(node, doc, mention.span, text, fragment=f"mention-{slug}-{i + 1}")


def iter_triples(corpus: Corpus, *, base: str = DEFAULT_BASE,
                 sources: dict[str, SourceText] | None = None) -> Iterator[Triple]:
    """Every triple of the knowledge graph (duplicates possible; a graph or store collapses them)."""
    mint = Minter(base)
    dataset = mint.dataset()
    yield dataset, RDF.type, OWL.Ontology
    yield dataset, OWL.imports, ONTOLOGY_IRI
    yield dataset, RDFS.label, Literal("沈阳市政策承诺知识图谱", lang="zh")
    yield dataset, RDFS.label, Literal("Shenyang policy commitments knowledge graph", lang="en")
    yield dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")
    yield from iter_vocab_triples(corpus.vocab, mint)
    sources = sources or {}
    for record in corpus.records:
        yield dataset, DCTERMS.source, mint.document(record.document.id)
        yield from iter_record_triples(record, corpus.vocab, mint, sources.get(record.document.id))


def new_graph() -> Graph:
    """An empty graph with kg's prefixes bound (and nothing else, so exports stay stable)."""
    g = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def build_graph(corpus: Corpus, *, base: str = DEFAULT_BASE,
                sources: dict[str, SourceText] | None = None) -> Graph:
    """The knowledge graph of a corpus as an rdflib Graph."""
    g = new_graph()
    g.bind("id", base if base.endswith(("/", "#")) else base + "/")
    for triple in iter_triples(corpus, base=base, sources=sources):
        g.add(triple)
    return g
