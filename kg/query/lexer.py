"""Lexing: just enough SPARQL to find keywords, prefixes, variables and the WHERE clause outside strings, IRIs
and comments."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                  |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\U000effff]+)
      | (?P<word>[A-Za-z_\u00c0-\U000effff][\w\-.\u00b7\u00c0-\U000effff]*(?::[\w\-.:%\\\u00b7\u00c0-\U000effff]*)?
                |:[\w\-.:%\\\u00b7\u00c0-\U000effff]*)
      | (?P<open>\{) | (?P<close>\})
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.S | re.X,
)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) for every token except white space and comments. A query of the usual size is lexed
    once and remembered: running one canned query reads its text three times (parameters, WHERE clause,
    LATERAL rewriting: 1.5 ms of a 50 ms query); a big one is lexed as it is read (check_size stops early)."""
    if len(text) <= _REMEMBERED:
        return iter(_token_list(text))
    return _scan(text)


_REMEMBERED = 16_384  # characters: canned queries have 1–3 kB


@functools.lru_cache(maxsize=128)
def _token_list(text: str) -> tuple[tuple[str, str, int], ...]:
    return tuple(_scan(text))


def _scan(text: str) -> Iterator[tuple[str, str, int]]:
    for m in _TOKEN.finditer(text):
        if m.lastgroup not in ("space", "comment"):
            yield m.lastgroup, m.group(), m.start()


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def first_keyword(text: str) -> str | None:
    """The first keyword after the prologue (PREFIX/BASE declarations), upper-cased."""
    skip = 0
    for kind, tok, _ in tokens(text):
        if skip:
            skip -= 1
            continue
        if kind == "word":
            up = tok.upper()
            if up == "PREFIX":
                skip = 2
                continue
            if up == "BASE":
                skip = 1
                continue
            return up
        return None
    return None

def where_span(text: str) -> tuple[int, int] | None:
    """Offsets of the opening and closing braces of the outermost WHERE clause."""
    toks = list(tokens(text))
    i = 0
    while i < len(toks) and not (toks[i][0] == "word" and toks[i][1].upper() in ("SELECT", "CONSTRUCT", "ASK",
                                                                                   "DESCRIBE")):
        i += 1
    if i == len(toks):
        return None
    form = toks[i][1].upper()
    i += 1
    if form == "CONSTRUCT" and i < len(toks) and toks[i][0] == "open":  # skip the template
        i = skip_group(toks, i)
    while i < len(toks) and toks[i][0] != "open":
        i += 1
    if i == len(toks):
        return None
    end = skip_group(toks, i) - 1
    return (toks[i][2], toks[end][2]) if end < len(toks) and toks[end][0] == "close" else None


def skip_group(toks: list[tuple[str, str, int]], i: int) -> int:
    """Index just past the group whose opening brace is toks[i]."""
    depth = 0
    while i < len(toks):
        depth += {"open": 1, "close": -1}.get(toks[i][0], 0)
        i += 1
        if depth == 0:
            break
    return i


def query_variables(text: str) -> set[str]:
    return {tok[1:] for kind, tok, _ in tokens(text) if kind == "var"}
