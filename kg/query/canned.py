"""Canned queries: queries/*.rq with a header comment block (title, description, parameters)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import InputError
from .lexer import first_keyword


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"  # string | integer | decimal | iri | district | year | category | facility-type
    default: str | None = None  # None: the variable stays unbound (no restriction)
    description: str = ""


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    text: str

    @property
    def kind(self) -> str:
        return (first_keyword(self.text) or "").lower()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


PARAM_TYPES = ("string", "integer", "decimal", "iri", "district", "year", "category", "facility-type")
# partition: how the query may run in batches, partition-on: only on a store on disk (kg.query.partition)
_HEADER_KEY = re.compile(r"#\s*(title|description|param|example|partition|partition-on):\s?(.*)$")
_PARAM_SPEC = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\((?P<type>[a-z-]+)\))?\s*"
                         r"(?:=\s*(?P<default>\S+))?\s*(?:[-—:]\s*(?P<desc>.*))?$")


def header_fields(text: str) -> dict[str, list[str]]:
    """The `# key: value` lines of a query's leading comment block, by key, each with the comment lines that
    continue it (kg.query.partition reads its `partition` lines from here too)."""
    fields: dict[str, list[str]] = {"title": [], "description": [], "param": [], "example": [], "partition": [],
                                    "partition-on": []}
    last = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        m = _HEADER_KEY.match(stripped)
        if m:
            last = m.group(1)
            fields[last].append(m.group(2).strip())
        elif last and stripped.lstrip("#").strip():
            fields[last][-1] += " " + stripped.lstrip("#").strip()
    return fields


def parse_header(text: str, path: Path) -> tuple[str, str, tuple[Param, ...]]:
    """title, description and parameters from the leading comment block of a canned query."""
    fields = header_fields(text)
    if not fields["title"]:
        raise InputError(f"{path}:1: canned query has no '# title:' line")
    params = []
    for spec in fields["param"]:
        m = _PARAM_SPEC.match(spec)
        if not m:
            raise InputError(f"{path}: bad '# param:' line {spec!r}; write '# param: name (type) = default — what'")
        ptype = m.group("type") or "string"
        if ptype not in PARAM_TYPES:
            raise InputError(f"{path}: parameter {m.group('name')} has unknown type {ptype!r}; "
                             f"known: {', '.join(PARAM_TYPES)}")
        params.append(Param(m.group("name"), ptype, m.group("default"), (m.group("desc") or "").strip()))
    return fields["title"][0], " ".join(fields["description"]), tuple(params)


def canned_queries(directory: Path = paths.QUERIES) -> dict[str, CannedQuery]:
    """Every canned query by name (the file stem), sorted by name."""
    out = {}
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title, description, params = parse_header(text, path)
        out[path.stem] = CannedQuery(path.stem, path, title, description, params, text)
    return out


def canned(name: str, directory: Path = paths.QUERIES) -> CannedQuery:
    """One canned query by name; an unknown name suggests the closest ones."""
    queries = canned_queries(directory)
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
    close += [q for q in queries if name in q and q not in close]
    hint = f"did you mean {', '.join(close[:3])}? " if close else ""
    raise InputError(f"no canned query named {name!r}; {hint}`kg query --list` shows all {len(queries)}")


def describe_canned(queries: Mapping[str, CannedQuery], verbose: bool = True) -> str:
    """The catalogue `kg query --list` prints: name, title, parameters with defaults, description."""
    import textwrap

    lines = []
    width = max((len(n) for n in queries), default=0)
    for name, q in queries.items():
        params = " ".join(f"{p.name}={p.default}" if p.default is not None else f"[{p.name}]" for p in q.params)
        lines.append(f"{name:<{width}}  {q.title}" + (f"  ({params})" if params and not verbose else ""))
        if verbose:
            for p in q.params:
                default = f"default {p.default}" if p.default is not None else "optional"
                lines.append(f"{'':<{width}}    --param {p.name}=…  ({p.type}, {default}) {p.description}".rstrip())
            for chunk in textwrap.wrap(q.description, 100):
                lines.append(f"{'':<{width}}    {chunk}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
