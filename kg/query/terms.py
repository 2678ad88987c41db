"""Terms: one canonical form whichever engine produced them."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .errors import QueryError

_INTEGER_TYPES = {XSD[t] for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
                                    "unsignedInt", "unsignedShort", "unsignedByte")}


def decimal_lexical(value: Decimal) -> str:
    """xsd:decimal as kg writes it: always a '.', no exponent, no trailing zeros (475.0, 3.2)."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def canonical(term: Node | None) -> Node | None:
    """The same literal whichever engine computed it: plain strings without xsd:string, numbers and booleans
    in one lexical form (oxigraph writes 475 where rdflib keeps 475.0), integer subtypes such as
    xsd:nonNegativeInteger as xsd:integer (oxigraph does not keep them)."""
    if not isinstance(term, Literal) or term.language:
        return term
    dt, lex = term.datatype, str(term)
    try:
        if dt is None or dt == XSD.string:
            return term if dt is None else Literal(lex)
        if dt == XSD.decimal:
            return Literal(decimal_lexical(Decimal(lex.strip())), datatype=dt)
        if dt in _INTEGER_TYPES:  # oxigraph reports every integer subtype as xsd:integer; so do we
            return Literal(str(int(lex.strip())), datatype=XSD.integer)
        if dt in (XSD.double, XSD.float):
            f = float(lex.strip().replace("INF", "inf"))
            text = "NaN" if math.isnan(f) else ("INF" if f > 0 else "-INF") if math.isinf(f) else repr(f)
            return Literal(text, datatype=dt)
        if dt == XSD.boolean:
            return Literal("true" if lex.strip() in ("true", "1") else "false", datatype=dt)
    except (InvalidOperation, ValueError):
        return term  # an ill-typed literal stays as written
    return term


_XSD_STRING, _XSD_DECIMAL, _XSD_INTEGER = str(XSD.string), str(XSD.decimal), str(XSD.integer)


def from_oxigraph(term: Any) -> Node | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        # the common datatypes straight to their canonical form: one rdflib Literal, not two (big results)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        try:
            if dt == _XSD_DECIMAL:
                return Literal(decimal_lexical(Decimal(term.value.strip())), datatype=XSD.decimal)
            if dt == _XSD_INTEGER:
                return Literal(str(int(term.value.strip())), datatype=XSD.integer)
        except (InvalidOperation, ValueError):
            pass  # ill-typed: kept as written, below
        return canonical(Literal(term.value, datatype=URIRef(dt)))
    raise QueryError(f"unsupported term in result: {term!r} (RDF-star triples are not supported)")


def to_python(term: Node | None) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    return str(term)
