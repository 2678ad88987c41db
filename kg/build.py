"""Records → RDF. Pure: no file I/O, no clocks, no randomness, so the same records give the same triples.

`iter_triples` yields every triple once; `build_graph` collects them into an rdflib Graph. IRIs are minted
from stable keys (document slug + local id), never from blank nodes, so links from portals keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from .divisions import AdminDivision, Divisions, divisions
from .namespaces import COMPARATORS, DEFAULT_BASE, GEO, KINDS, OA, PREFIXES, SY, UNIT
from .provenance import dataset_triples
from .records import Corpus, Record, Span
from .sources import SourceText
from .vocab import Vocab

Triple = tuple[URIRef, URIRef, URIRef | Literal]


class Minter:
    """Mints the IRI of every kind of node under one base IRI (rdflib URIRefs; `make=str` for plain strings)."""

    def __init__(self, base: str = DEFAULT_BASE, make: Callable[[str], Any] = URIRef):
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base
        self.make = make
        self._quoted: dict[Any, str] = {}  # path segment → its percent-encoded form (ids, slugs, years recur)

    def __call__(self, *parts: str) -> URIRef:
        quoted = self._quoted
        segments = []
        for p in parts:
            if p.__class__ is not str:
                p = str(p)
            q = quoted.get(p)
            if q is None:
                q = quoted[p] = quote(p, safe="-_.~")
            segments.append(q)
        return self.make(self.base + "/".join(segments))

    def dataset(self) -> URIRef:
        return self("dataset")

    def document(self, doc_id: str) -> URIRef:
        return self("doc", doc_id)

    def year(self, year: int) -> URIRef:
        return self("year", str(year))

    def period(self, first: int, last: int) -> URIRef:
        return self("period", f"{first}-{last}")

    def district(self, key: str) -> URIRef:
        return self("district", key)

    def unit(self, key: str, vocab: Vocab) -> URIRef:
        qudt = vocab.units[key].qudt
        return self.make(str(UNIT) + qudt) if qudt else self("unit", key)

    def category(self, key: str) -> URIRef:
        return self("category", key)

    def facility_type(self, key: str) -> URIRef:
        return self("facility-type", key)

    def facility(self, key: str) -> URIRef:
        return self("facility", key)

    def local(self, kind: str, slug: str, local_id: str) -> URIRef:
        return self(kind, slug, local_id)


#: Every vocabulary term the emitter writes, by a short name (`k.type`, `k.Goal` …); `Terms` converts them once.
CONSTANTS: dict[str, URIRef] = {
    "type": RDF.type, "label": RDFS.label, "imports": OWL.imports, "Ontology": OWL.Ontology,
    "ConceptScheme": SKOS.ConceptScheme, "Concept": SKOS.Concept, "inScheme": SKOS.inScheme,
    "notation": SKOS.notation, "prefLabel": SKOS.prefLabel, "altLabel": SKOS.altLabel,
    "definition": SKOS.definition, "broader": SKOS.broader, "topConceptOf": SKOS.topConceptOf,
    "identifier": DCTERMS.identifier, "title": DCTERMS.title, "date": DCTERMS.date, "language": DCTERMS.language,
    "publisher": DCTERMS.publisher, "Agent": DCTERMS.Agent, "spatial": DCTERMS.spatial,
    "license": DCTERMS.license, "source": DCTERMS.source, "wasDerivedFrom": PROV.wasDerivedFrom,
    "hadPrimarySource": PROV.hadPrimarySource, "Interval": TIME.Interval, "Instant": TIME.Instant,
    "hasBeginning": TIME.hasBeginning, "hasEnd": TIME.hasEnd, "inXSDDate": TIME.inXSDDate,
    "inXSDgYear": TIME.inXSDgYear, "intervalStartedBy": TIME.intervalStartedBy,
    "intervalFinishedBy": TIME.intervalFinishedBy,
    "SpecificResource": OA.SpecificResource, "hasSource": OA.hasSource, "hasSelector": OA.hasSelector,
    "TextPositionSelector": OA.TextPositionSelector, "TextQuoteSelector": OA.TextQuoteSelector,
    "start": OA.start, "end": OA.end, "exact": OA.exact, "sfWithin": GEO.sfWithin,
    "isReplacedBy": DCTERMS.isReplacedBy,
    **{name: SY[name] for name in ("Unit", "City", "District", "Document", "Goal", "Measure", "Facility", "Year",
                                   "Period", "period", "QuantifiedStatement", "inCity", "divisionKind", "sha256", "characterCount",
                                   "city", "year", "reviewed", "subGoalOf", "ordinal", "underGoal", "category",
                                   "district", "facility", "measure", "value", "unit", "comparator", "asWritten",
                                   "note", "facilityType", "Country", "Province", "divisionCode",
                                   "GBT2260Code", "issuedBy")},
    **{f"kind:{k}": v for k, v in KINDS.items()},
    **{f"comparator:{k}": v for k, v in COMPARATORS.items()},
}
#: Datatypes of the literals the emitter writes.
DATATYPES = {"integer": XSD.integer, "nonNegativeInteger": XSD.nonNegativeInteger, "decimal": XSD.decimal,
             "boolean": XSD.boolean, "date": XSD.date, "gYear": XSD.gYear, "gYearMonth": XSD.gYearMonth}


class Terms:
    """Makes the terms of the graph. The emitter below only goes through a `Terms`, so one mapping from records
    to RDF feeds both backends: rdflib terms here, N-Triples text in `NTriplesTerms` (the fast path)."""

    def __init__(self) -> None:
        k = {name: self.const(term) for name, term in CONSTANTS.items()}
        self.k = SimpleNamespace(**{n: v for n, v in k.items() if ":" not in n})
        self.kinds = {n.split(":", 1)[1]: v for n, v in k.items() if n.startswith("kind:")}
        self.comparators = {n.split(":", 1)[1]: v for n, v in k.items() if n.startswith("comparator:")}
        self.dt = SimpleNamespace(**{n: self.const(t) for n, t in DATATYPES.items()})
        self._iris: dict[str, Any] = {}

    def const(self, term: URIRef) -> Any:
        return term

    def iri(self, value: str) -> Any:
        return URIRef(value)

    def shared_iri(self, value: str) -> Any:
        """An IRI used over and over (years, categories, districts): made once per build."""
        term = self._iris.get(value)
        if term is None:
            term = self._iris[value] = self.iri(value)
        return term

    def text(self, lexical: str, lang: str | None = None) -> Any:
        """A string literal, language-tagged or plain (xsd:string)."""
        return Literal(lexical, lang=lang)

    def typed(self, lexical: str, datatype: Any) -> Any:
        """A typed literal from its canonical lexical form and a datatype from `self.dt`."""
        return Literal(lexical, datatype=datatype)


def _nt_escape(s: str) -> str:
    # The same escapes as rdflib's N-Triples writer, so both backends write byte-identical N-Triples.
    if "\\" in s or "\n" in s or '"' in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
    return s


class NTriplesTerms(Terms):
    """Terms as N-Triples text: a triple becomes one line, ready for pyoxigraph's bulk loader or a sorted file."""

    def const(self, term: URIRef) -> str:
        return f"<{term}>"

    def iri(self, value: str) -> str:
        return f"<{value}>"

    def text(self, lexical: str, lang: str | None = None) -> str:
        return f'"{_nt_escape(lexical)}"@{lang}' if lang else f'"{_nt_escape(lexical)}"'

    def typed(self, lexical: str, datatype: str) -> str:
        return f'"{_nt_escape(lexical)}"^^{datatype}'


def _decimal(value: Decimal) -> Literal:
    """xsd:decimal with a canonical lexical form (always a '.'; no exponent, no trailing zeros)."""
    return Literal(_decimal_lexical(value), datatype=XSD.decimal)


def _decimal_lexical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return text


def _labels(t: Terms, node, zh: str, en: str | None) -> Iterator[tuple]:
    label = t.k.label
    yield node, label, t.text(zh, "zh")
    if en:
        yield node, label, t.text(en, "en")


def _date(t: Terms, value: str):
    dtype = {4: t.dt.gYear, 7: t.dt.gYearMonth, 10: t.dt.date}[len(value)]
    return t.typed(value, dtype)


def iter_vocab_triples(vocab: Vocab, mint: Minter, terms: Terms | None = None) -> Iterator[Triple]:
    """Concept schemes (categories, facility types), units, years are minted where used; districts here."""
    t = terms or Terms()
    k, iri, text = t.k, t.shared_iri, t.text
    cats = iri(mint("scheme", "measure-categories"))
    yield cats, k.type, k.ConceptScheme
    yield from _labels(t, cats, "举措类别", "Measure categories")
    for c in vocab.categories.values():
        node = iri(mint.category(c.key))
        yield node, k.type, k.Concept
        yield node, k.inScheme, cats
        yield node, k.notation, text(c.key)
        yield node, k.prefLabel, text(c.zh, "zh")
        yield node, k.prefLabel, text(c.en, "en")
        yield from _labels(t, node, c.zh, c.en)
        yield node, k.definition, text(c.definition, "en")
        if c.broader:
            yield node, k.broader, iri(mint.category(c.broader))
        else:
            yield node, k.topConceptOf, cats
    ftypes = iri(mint("scheme", "facility-types"))
    yield ftypes, k.type, k.ConceptScheme
    yield from _labels(t, ftypes, "设施类型", "Facility types")
    for f in vocab.facility_types.values():
        node = iri(mint.facility_type(f.key))
        yield node, k.type, k.Concept
        yield node, k.inScheme, ftypes
        yield node, k.topConceptOf, ftypes
        yield node, k.notation, text(f.key)
        yield node, k.prefLabel, text(f.zh, "zh")
        yield node, k.prefLabel, text(f.en, "en")
        yield from _labels(t, node, f.zh, f.en)
    for u in vocab.units.values():
        node = iri(mint.unit(u.key, vocab))
        if not u.qudt:
            yield node, k.type, k.Unit
            yield node, k.notation, text(u.key)
        yield from _labels(t, node, u.zh, u.en)
    table = divisions()
    for gaz in vocab.gazetteers.values():
        if table.of_gazetteer(gaz.city.key, gaz.city.zh):
            continue  # a real city: minted from the divisions table (`iter_jurisdiction_triples`)
        city = iri(mint.district(gaz.city.key))
        yield city, k.type, k.City
        yield from _labels(t, city, gaz.city.zh, gaz.city.en)
        for d in gaz.divisions:
            node = iri(mint.district(d.key))
            yield node, k.type, k.District
            yield from _labels(t, node, d.zh, d.en)
            for short in d.short:
                yield node, k.altLabel, text(short, "zh")
            yield node, k.inCity, city
            yield node, k.sfWithin, city
            yield node, k.divisionKind, text(d.kind)


def _year(t: Terms, mint: Minter, year: int) -> Iterator[tuple]:
    k = t.k
    raw = mint.year(year)
    node = t.shared_iri(raw)
    yield node, k.type, k.Year
    yield node, k.type, k.Interval
    yield node, k.label, t.text(f"{year}年", "zh")
    yield node, k.label, t.text(str(year), "en")
    yield node, k.inXSDgYear, t.typed(f"{year:04d}", t.dt.gYear)
    for prop, suffix, date in ((k.hasBeginning, "start", f"{year}-01-01"), (k.hasEnd, "end", f"{year}-12-31")):
        instant = t.iri(f"{raw}#{suffix}")
        yield node, prop, instant
        yield instant, k.type, k.Instant
        yield instant, k.inXSDDate, t.typed(date, t.dt.date)


def _period(t: Terms, mint: Minter, first: int, last: int) -> Iterator[tuple]:
    """A multi-year period (time:Interval) started by its first sy:Year and finished by its last."""
    k = t.k
    node = t.shared_iri(mint.period(first, last))
    yield node, k.type, k.Period
    yield node, k.type, k.Interval
    yield node, k.label, t.text(f"{first}—{last}年", "zh")
    yield node, k.label, t.text(f"{first}–{last}", "en")
    yield node, k.intervalStartedBy, t.shared_iri(mint.year(first))
    yield node, k.intervalFinishedBy, t.shared_iri(mint.year(last))
    yield node, k.hasBeginning, t.iri(f"{mint.year(first)}#start")
    yield node, k.hasEnd, t.iri(f"{mint.year(last)}#end")
    for y in (first, last):
        yield from _year(t, mint, y)


def _span(t: Terms, node, raw: str, doc, span: Span, text: str | None, fragment: str = "span") -> Iterator[tuple]:
    """The Web Annotation anchor of one item: a SpecificResource with position (and quote) selectors."""
    k, iri = t.k, t.iri
    sr = iri(f"{raw}#{fragment}")
    pos = iri(f"{raw}#{fragment}-position")
    yield node, k.wasDerivedFrom, sr
    yield sr, k.type, k.SpecificResource
    yield sr, k.hasSource, doc
    yield sr, k.hasSelector, pos
    yield pos, k.type, k.TextPositionSelector
    yield pos, k.start, t.typed(str(span.start), t.dt.nonNegativeInteger)
    yield pos, k.end, t.typed(str(span.end), t.dt.nonNegativeInteger)
    if text is not None:
        quote_sel = iri(f"{raw}#{fragment}-quote")
        yield sr, k.hasSelector, quote_sel
        yield quote_sel, k.type, k.TextQuoteSelector
        yield quote_sel, k.exact, t.text(text[span.start:span.end])


def iter_record_triples(record: Record, vocab: Vocab, mint: Minter, source: SourceText | None,
                        terms: Terms | None = None) -> Iterator[Triple]:
    """Every triple of one record: document, goals, measures, statements, facilities, mentions."""
    t = terms or Terms()
    k, iri, shared, text, typed = t.k, t.iri, t.shared_iri, t.text, t.typed
    d = record.document
    doc = iri(mint.document(d.id))
    src_text = source.text if source else None
    slug = d.slug
    gaz = vocab.gazetteers.get(d.city) if d.city else None
    reviewed = typed("true" if d.reviewed else "false", t.dt.boolean)
    doc_year = shared(mint.year(d.year))
    yield doc, k.type, k.Document
    yield doc, k.identifier, text(d.id)
    yield doc, k.sha256, text(d.sha256)
    if d.chars is not None:
        yield doc, k.characterCount, typed(str(d.chars), t.dt.integer)
    yield doc, k.title, text(d.title_zh, "zh")
    yield from _labels(t, doc, d.title_zh, d.title_en)
    if d.title_en:
        yield doc, k.title, text(d.title_en, "en")
    yield doc, k.date, _date(t, d.date)
    if d.source:
        yield doc, k.source, iri(d.source)
    yield doc, k.language, text("zh")
    publisher = shared(mint("agent", d.publisher))
    yield doc, k.publisher, publisher
    yield publisher, k.type, k.Agent
    yield publisher, k.label, text(d.publisher, "zh")
    issuer_key = _issuer_key(d, vocab)
    if issuer_key is not None:
        issuer = shared(mint.district(issuer_key))
        yield doc, k.issuedBy, issuer
        yield doc, k.spatial, issuer
        if gaz is not None or divisions().by_key[issuer_key].level == "city":
            yield doc, k.city, issuer
    yield doc, k.year, doc_year
    yield doc, k.reviewed, reviewed
    yield from _year(t, mint, d.year)

    for g in record.goals:
        raw = mint.local("goal", slug, g.id)
        node = iri(raw)
        yield node, k.type, k.Goal
        yield from _labels(t, node, g.label, g.label_en)
        if g.parent:
            yield node, k.subGoalOf, iri(mint.local("goal", slug, g.parent))
        if g.ordinal is not None:
            yield node, k.ordinal, typed(str(g.ordinal), t.dt.integer)
        yield node, k.year, shared(mint.year(g.year))
        yield node, k.hadPrimarySource, doc
        yield from _span(t, node, raw, doc, g.span, src_text)
        if g.year != d.year:
            yield from _year(t, mint, g.year)

    for m in record.measures:
        raw = mint.local("measure", slug, m.id)
        node = iri(raw)
        yield node, k.type, k.Measure
        yield from _labels(t, node, m.label, m.label_en)
        yield node, k.underGoal, iri(mint.local("goal", slug, m.goal))
        yield node, k.year, shared(mint.year(m.year))
        yield node, k.category, shared(mint.category(m.category))
        yield node, k.reviewed, reviewed
        for key in m.districts:
            yield node, k.district, shared(mint.district(key))
        for fid in m.facilities:
            yield node, k.facility, shared(mint.facility(fid))
        yield node, k.hadPrimarySource, doc
        yield from _span(t, node, raw, doc, m.span, src_text)
        if m.year != d.year:
            yield from _year(t, mint, m.year)
        for s in m.statements:
            st_raw = mint.local("statement", slug, s.id)
            st = iri(st_raw)
            yield st, k.type, t.kinds[s.kind]
            yield st, k.type, k.QuantifiedStatement
            yield st, k.label, text(f"{m.label} {s.as_written}", "zh")
            yield st, k.label, text(statement_label_en(m, s, vocab), "en")
            yield st, k.measure, node
            yield st, k.value, typed(_decimal_lexical(s.value), t.dt.decimal)
            yield st, k.unit, shared(mint.unit(s.unit, vocab))
            for comp in s.comparators:
                yield st, k.comparator, t.comparators[comp]
            yield st, k.asWritten, text(s.as_written)
            yield st, k.reviewed, typed("true" if s.reviewed else "false", t.dt.boolean)
            if s.period:
                yield st, k.period, shared(mint.period(*s.period))
                yield from _period(t, mint, *s.period)
            else:
                yield st, k.year, shared(mint.year(s.year))
            if s.note:
                yield st, k.note, text(s.note, "zh")
            yield st, k.hadPrimarySource, doc
            yield from _span(t, st, st_raw, doc, s.span, src_text)
            if s.year != d.year and not s.period:
                yield from _year(t, mint, s.year)

    for f in record.facilities:
        raw = mint.facility(f.id)
        node = shared(raw)
        yield node, k.type, k.Facility
        yield from _labels(t, node, f.label, f.label_en)
        yield node, k.facilityType, shared(mint.facility_type(f.type))
        if f.district:
            yield node, k.district, shared(mint.district(f.district))
        yield from _span(t, node, raw, doc, f.span, src_text, fragment=f"span-{slug}")

    for i, mention in enumerate(record.district_mentions):
        raw = mint.district(mention.district)
        yield from _span(t, shared(raw), raw, doc, mention.span, src_text, fragment=f"mention-{slug}-{i + 1}")


def _issuer_key(d, vocab: Vocab) -> str | None:
    """The IRI key of the government that issued a document: from the divisions table, else its gazetteer's
    (made-up) city."""
    if d.jurisdiction is not None:
        return divisions().get(d.jurisdiction, d.year).key
    gaz = vocab.gazetteers.get(d.city) if d.city else None
    return gaz.city.key if gaz else None


def jurisdictions_used(corpus: Corpus, table: Divisions) -> list[AdminDivision]:
    """The divisions the graph mints: each issuer with the divisions directly within it (valid in the report's
    year), every division a record names, and everything these lie within, up to the nation; plus the
    successors of former divisions. Sorted by code."""
    found: dict[str, AdminDivision] = {}

    def add(d: AdminDivision) -> None:
        for x in table.chain(d):
            found.setdefault(x.key, x)
        if d.successor:
            s = table.successor(d, None)
            if s is not d:
                add(s)

    for r in corpus.records:
        doc = r.document
        if doc.jurisdiction is None:
            continue
        issuer = table.get(doc.jurisdiction, doc.year)
        add(issuer)
        for child in table.children(issuer, doc.year):
            add(child)
        keys = {m for meas in r.measures for m in meas.districts}
        keys |= {f.district for f in r.facilities if f.district} | {m.district for m in r.district_mentions}
        for key in sorted(keys):
            if key in table.by_key:
                add(table.by_key[key])
    return sorted(found.values(), key=lambda d: (d.code, d.start or 0))


def iter_jurisdiction_triples(corpus: Corpus, mint: Minter, terms: Terms | None = None,
                              table: Divisions | None = None) -> Iterator[Triple]:
    """Each jurisdiction the corpus uses: typed by level, zh/en labels, short and former names as
    skos:altLabel, its GB/T 2260 code, geo:sfWithin the one it lies directly within (sy:inCity too when that
    is a city), and dcterms:isReplacedBy for a former division."""
    t = terms or Terms()
    k, iri, text = t.k, t.shared_iri, t.text
    table = table or divisions()
    level_class = {"country": k.Country, "province": k.Province, "city": k.City, "county": k.District}
    former = {}
    for row in table.rows:
        if row.successor and row.zh:
            former.setdefault(row.successor, []).append(row.zh)
    for d in jurisdictions_used(corpus, table):
        node = iri(mint.district(d.key))
        yield node, k.type, level_class[d.level]
        if d.kind == "municipality":
            yield node, k.type, k.City  # 北京市 is a province-level city: its districts are sy:inCity it
        yield from _labels(t, node, d.zh, d.en)
        alt = [*d.short, *(n for n in former.get(d.code, []) if d.current and n != d.zh)]
        for name in dict.fromkeys(alt):
            yield node, k.altLabel, text(name, "zh")
        yield node, k.divisionCode, t.typed(d.code, t.const(SY.GBT2260Code))
        if d.level != "country":
            yield node, k.divisionKind, text(d.kind)
        parent = table.parent(d)
        if parent is not None:
            up = iri(mint.district(parent.key))
            yield node, k.sfWithin, up
            if d.level == "county" and (parent.level == "city" or parent.kind == "municipality"):
                yield node, k.inCity, up
        if d.successor:
            s = table.successor(d, None)
            if s is not d:
                yield node, k.isReplacedBy, iri(mint.district(s.key))


def iter_corpus_triples(corpus: Corpus, mint: Minter, t: Terms) -> Iterator[Triple]:
    """The triples that describe the corpus as a whole: the dataset, the vocabularies, the jurisdictions."""
    yield from dataset_triples(mint.dataset(), [mint.document(r.document.id) for r in corpus.records], t)
    yield from iter_vocab_triples(corpus.vocab, mint, t)
    yield from iter_jurisdiction_triples(corpus, mint, t)


def iter_document_triples(record: Record, vocab: Vocab, mint: Minter, source: SourceText | None,
                          t: Terms) -> Iterator[Triple]:
    """The triples of one record file: its document is a source of the dataset, then `iter_record_triples`.
    A function of the record, its text and the vocabulary alone, so record files can be mapped apart
    (kg.bulk) and their triples merged."""
    yield t.iri(mint.dataset()), t.k.source, t.iri(mint.document(record.document.id))
    yield from iter_record_triples(record, vocab, mint, source, t)


def iter_triples(corpus: Corpus, *, base: str = DEFAULT_BASE, sources: dict[str, SourceText] | None = None,
                 terms: Terms | None = None, progress: Callable[[int], None] | None = None) -> Iterator[Triple]:
    """Every triple of the knowledge graph (duplicates possible; a graph or store collapses them).

    `terms` decides what a term is (rdflib terms by default; `NTriplesTerms()` for N-Triples text); `progress`
    is told of each record done.
    """
    t = terms or Terms()
    mint = Minter(base, make=str)  # raw IRIs; `t.iri` makes the term
    yield from iter_corpus_triples(corpus, mint, t)
    sources = sources or {}
    for record in corpus.records:
        yield from iter_document_triples(record, corpus.vocab, mint, sources.get(record.document.id), t)
        if progress:
            progress(1)


def iter_ntriples(corpus: Corpus, *, base: str = DEFAULT_BASE, sources: dict[str, SourceText] | None = None,
                  progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The graph as N-Triples lines (no newline; duplicates possible), from the same mapping as `iter_triples`."""
    for s, p, o in iter_triples(corpus, base=base, sources=sources, terms=NTriplesTerms(), progress=progress):
        yield f"{s} {p} {o} ."


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


#: English words for the comparators in a statement's English label (a change before a bound).
COMPARATOR_WORDS = {"increase-by": "increase by", "decrease-by": "decrease by", "at-least": "at least",
                    "at-most": "at most", "approximately": "about", "exactly": ""}


def statement_label_en(m, s, vocab: Vocab) -> str:
    """A statement's English label, made from its parts (the zh label quotes the text): what is measured (the
    measure's English label, else its category's), the kind and year, comparators, value and unit, e.g.
    "pocket parks — target 2023: at least 50 parks"."""
    what = m.label_en or vocab.categories[m.category].en
    when = f"{s.period[0]}–{s.period[1]}" if s.period else str(s.year)
    words = [COMPARATOR_WORDS[c] for c in sorted(s.comparators, key=list(COMPARATOR_WORDS).index)]
    amount = " ".join(w for w in (*words, format(s.value.normalize(), "f"), vocab.units[s.unit].en) if w)
    return f"{what} — {s.kind} {when}: {amount}"
