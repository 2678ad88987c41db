"""Every namespace kg uses, defined once. `SY` is closed: a misspelt term raises instead of minting an IRI."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, DefinedNamespace

ONTOLOGY_IRI = URIRef("https://w3id.org/shenyang-policy/ontology")
DEFAULT_BASE = "https://w3id.org/shenyang-policy/id/"


class SY(DefinedNamespace):
    """The Shenyang policy ontology (ontology/shenyang.ttl)."""

    _NS = Namespace("https://w3id.org/shenyang-policy/ontology#")
    _fail = True

    Goal: URIRef
    Measure: URIRef
    QuantifiedStatement: URIRef
    Target: URIRef
    Outcome: URIRef
    Indicator: URIRef
    AdministrativeArea: URIRef
    City: URIRef
    District: URIRef
    Facility: URIRef
    Year: URIRef
    Period: URIRef
    period: URIRef
    Document: URIRef
    Unit: URIRef
    Comparator: URIRef
    Comparators: URIRef
    Exactly: URIRef
    AtLeast: URIRef
    AtMost: URIRef
    IncreaseBy: URIRef
    DecreaseBy: URIRef
    Approximately: URIRef
    subGoalOf: URIRef
    underGoal: URIRef
    year: URIRef
    district: URIRef
    facility: URIRef
    facilityType: URIRef
    category: URIRef
    unit: URIRef
    comparator: URIRef
    measure: URIRef
    inCity: URIRef
    city: URIRef
    value: URIRef
    asWritten: URIRef
    ordinal: URIRef
    sha256: URIRef
    characterCount: URIRef
    reviewed: URIRef
    note: URIRef
    divisionKind: URIRef
    Country: URIRef
    Province: URIRef
    divisionCode: URIRef
    GBT2260Code: URIRef
    issuedBy: URIRef


OA = Namespace("http://www.w3.org/ns/oa#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

#: Prefixes bound in every export and predeclared for `kg query`.
PREFIXES: dict[str, str] = {
    "sy": str(SY._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "oa": str(OA),
    "dcterms": str(DCTERMS),
    "time": str(TIME),
    "qudt": str(QUDT),
    "unit": str(UNIT),
    "geo": str(GEO),
    "foaf": str(FOAF),
    "dcat": str(DCAT),  # the dataset's own description (kg.provenance)
    "void": str(VOID),
}

COMPARATORS: dict[str, URIRef] = {
    "exactly": SY.Exactly,
    "at-least": SY.AtLeast,
    "at-most": SY.AtMost,
    "increase-by": SY.IncreaseBy,
    "decrease-by": SY.DecreaseBy,
    "approximately": SY.Approximately,
}
# A statement has at most one of each: a change ("增长6%") and a bound on the value ("以上", "约").
CHANGE_COMPARATORS = ("increase-by", "decrease-by")
BOUND_COMPARATORS = ("exactly", "at-least", "at-most", "approximately")

#: What the text does with a figure: plans it (a target, for the plan year) or reports it (an outcome, for the
#: year or period it reports on). What is measured is the measure's category, never the kind.
KINDS: dict[str, URIRef] = {"target": SY.Target, "outcome": SY.Outcome}


class _MadeOnce:
    """A namespace whose terms are made on first use only (see `made_once`)."""

    def __init__(self, ns) -> None:
        self._ns = ns

    def __getattr__(self, name: str):
        term = getattr(self._ns, name)
        if not name.startswith("_"):
            setattr(self, name, term)  # found as a plain attribute from now on
        return term

    def __getitem__(self, name: str):
        return self._ns[name]

    def __str__(self) -> str:
        return str(self._ns)


def made_once(*namespaces):
    """The namespaces, each making a term once: rdflib makes a new URIRef on every `NS.term` (a few µs), and the
    exporters that walk a graph (kg.viz, kg.formats) look terms up hundreds of thousands of times."""
    return tuple(_MadeOnce(ns) for ns in namespaces)

