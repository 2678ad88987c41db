"""Terms: one canonical form whichever engine produced them."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ..graphview import unescape  # the escapes of N-Triples, which oxigraph's TSV terms use
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
        return _literal(term.value, term.language, None if term.language else term.datatype.value)
    raise QueryError(f"unsupported term in result: {term!r} (RDF-star triples are not supported)")


def _literal(value: str, language: str | None, datatype: str | None) -> Literal:
    """The canonical rdflib Literal of an engine's literal; `datatype` None: a plain string (xsd:string)."""
    if language:
        if _FAST and _SIMPLE_LANGUAGE.fullmatch(language):
            return _made(value, language, None, value, None)
        return Literal(value, lang=language)
    # the common datatypes straight to their canonical form: one rdflib Literal, not two (big results)
    if datatype is None or datatype == _XSD_STRING:
        return _made(value, None, None, value, None) if _FAST else Literal(value)
    try:
        if datatype == _XSD_DECIMAL:
            lexical = decimal_lexical(Decimal(value.strip()))
            return _made(lexical, None, _DECIMAL, Decimal(lexical), False) if _FAST else \
                Literal(lexical, datatype=_DECIMAL)
        if datatype == _XSD_INTEGER:
            number = int(value.strip())
            return _made(str(number), None, _INTEGER, number, False) if _FAST else \
                Literal(str(number), datatype=_INTEGER)
    except (InvalidOperation, ValueError):
        pass  # ill-typed: kept as written, below
    return canonical(Literal(value, datatype=URIRef(datatype)))


_DECIMAL, _INTEGER = URIRef(_XSD_DECIMAL), URIRef(_XSD_INTEGER)
_SIMPLE_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")  # zh, en, en-gb: tags rdflib keeps as given


def _made(lexical: str, language: str | None, datatype: URIRef | None, value: Any, ill_typed: bool | None) -> Literal:
    """The Literal rdflib's constructor makes of a string, a language-tagged string, or a canonical xsd:decimal
    or xsd:integer, without its checks and conversions (a fifth of the time or less: these are most of the
    terms of a large answer). Used only while _FAST holds: made this way, samples of each equal rdflib's own
    in every slot."""
    literal = str.__new__(Literal, lexical)
    literal._language, literal._datatype, literal._value, literal._ill_typed = language, datatype, value, ill_typed
    return literal


def _made_like_rdflib() -> bool:
    slots = {s for cls in Literal.__mro__ for s in getattr(cls, "__slots__", ())}
    samples = [(Literal(v, lang=lang), _made(v, lang, None, v, None))
               for v, lang in (("x", None), ("浑南区", "zh"), ("a\tb", "en-gb"), ("", None))]
    samples += [(Literal(v, datatype=_DECIMAL), _made(v, None, _DECIMAL, Decimal(v), False))
                for v in ("651.0", "0.5", "-3.25", "1000000.0", "0.000001")]
    samples += [(Literal(str(n), datatype=_INTEGER), _made(str(n), None, _INTEGER, n, False)) for n in (2023, -5, 0)]
    try:
        return all(str(a) == str(b) and type(a) is type(b) and all(getattr(a, s) == getattr(b, s) for s in slots)
                   and repr(a) == repr(b) and hash(a) == hash(b) for a, b in samples)
    except Exception:  # noqa: BLE001 - rdflib changed how it keeps literals: use its constructor
        return False


_FAST = _made_like_rdflib()


# A term as oxigraph writes it in SPARQL TSV results: N-Triples syntax, where only \t \n \r \" and \\ are
# escaped; xsd:integer, xsd:decimal (with a ".") and xsd:boolean values bare, as Turtle allows (2023, 1.5, true)
_TSV_LITERAL = re.compile(r'"(.*)"(?:@([^"@<>^\s]+)|\^\^<([^<>"\s]*)>)?\Z', re.S)
_TSV_BARE = ((re.compile(r"[+-]?[0-9]+\Z"), _XSD_INTEGER), (re.compile(r"[+-]?[0-9]*\.[0-9]+\Z"), _XSD_DECIMAL),
             (re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+\Z"), str(XSD.double)),
             (re.compile(r"(?:true|false)\Z"), str(XSD.boolean)))


def from_tsv(token: str) -> Node | None:
    """The term `from_oxigraph` gives, read from its form in oxigraph's TSV results (one row a line, the terms
    of a row separated by tabs; an empty field is unbound). Reading a whole result as text costs less than a
    Python object per term (kg.query.engines). Anything else (an RDF-star triple, a form this reader does not
    know) is refused, never guessed."""
    if not token:
        return None
    first = token[0]
    if first == "<" and token[-1] == ">" and not token.startswith("<<"):
        return URIRef(token[1:-1])
    if first == '"':
        m = _TSV_LITERAL.match(token)
        if m:
            value, language, datatype = m.groups()
            try:
                value = unescape(value)
            except ValueError as e:  # an escape N-Triples does not have
                raise QueryError(f"unsupported term in result: {token[:200]} ({e})") from None
            return _literal(value, language, datatype)
    elif first == "_" and token.startswith("_:"):
        return BNode(token[2:])
    else:
        for bare, datatype in _TSV_BARE:
            if bare.match(token):
                return _literal(token, None, datatype)
    raise QueryError(f"unsupported term in result: {token[:200]} (RDF-star triples are not supported)")


def to_python(term: Node | None) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    return str(term)
