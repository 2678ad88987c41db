"""The outline of a report: headings (goals) and the sentences and clauses under each.

Headings are recognised line by line from a table of styles — markdown (`###`), numbered items (一、 · （一）
· 1. · (1) · 第一章), short lines without final punctuation, the short lead sentence of a paragraph
(促进消费升级。…) and inline items (一是…，二是…). Nesting follows the styles: markdown levels by their
number of `#`, other styles in the order they first appear, lead sentences and inline items innermost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import tables as T

MAX_LABEL = 20  # labels are short titles (docs/records.md: about 20 characters; the loader allows 30)
MAX_SPAN = 60   # spans are short phrases; a quote is at most 80 characters

_CN_NUM = "一二三四五六七八九十"
#: Numbered-item markers at the start of a line: (style, regex with group `n`).
MARKERS: tuple[tuple[str, re.Pattern], ...] = (
    ("chapter", re.compile(rf"第(?P<n>[{_CN_NUM}百]{{1,4}})[章节部分篇]\s*")),
    ("cn", re.compile(rf"(?P<n>[{_CN_NUM}]{{1,3}})[、．.]\s*")),
    ("paren-cn", re.compile(rf"[（(](?P<n>[{_CN_NUM}]{{1,3}})[)）]\s*")),
    ("arabic", re.compile(r"(?P<n>[0-9]{1,2})[.．、](?![0-9])\s*")),
    ("paren-arabic", re.compile(r"[（(](?P<n>[0-9]{1,2})[)）]\s*")),
    ("circled", re.compile(r"(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*")),
)
_MD_RE = re.compile(r"(#{1,6})[ \t]+")
_INLINE_ITEM_RE = re.compile(rf"(?P<n>[{_CN_NUM}]{{1,3}})是")
_INLINE_ITEM_AFTER = frozenset("。；;，,：: \t\u3000")
_TITLE_END_RE = re.compile(r"[。；;！？!?]")
_CLAUSE_CUT_RE = re.compile(r"[，,：:；;、]")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_DIGIT_RE = re.compile(r"[0-9０-９]")
_SENTENCE_SPLIT = re.compile(rf"[{re.escape(T.SENTENCE_END)}]")
_CLAUSE_SPLIT = re.compile(r"[，：:]|,(?![0-9]{3}(?![0-9]))")  # not the separator of 1,200
_ITEM_END_RE = re.compile(r"[，,；;。：:]")
_SPACE = " \t\r\u3000\xa0"
_SPACES_RE = re.compile(r"\s+")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass
class Heading:
    start: int            # title span in the text (code points, end exclusive)
    end: int
    style: str            # md1…md6, cn, arabic, …, short, lead, item
    ordinal: int | None
    label: str
    parent: int | None = None   # index of the enclosing heading
    md_level: int = 0
    hard_break: bool = False    # the line ended in a markdown hard break (two spaces)


@dataclass
class Sentence:
    start: int
    end: int
    clauses: list[tuple[int, int]]
    heading: int | None   # index of the innermost heading above it


@dataclass
class Outline:
    headings: list[Heading] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


def ordinal_value(n: str) -> int | None:
    """'3' → 3, '十二' → 12, '③' → 3."""
    if n.isdigit() and n.isascii():
        return int(n)
    if n in _CIRCLED:
        return _CIRCLED.index(n) + 1
    from .numbers import chinese_to_decimal

    v = chinese_to_decimal(n)
    return int(v) if v is not None and v == int(v) and 0 <= v <= 10000 else None


def clean_label(text: str) -> str:
    """A short one-line title: whitespace collapsed, cut at a clause break or at MAX_LABEL characters."""
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    label = _SPACES_RE.sub(" ", text).strip()
    label = label.strip(":：,，;；、 ").rstrip("(（“‘《[【").lstrip(")）”’》]】")
    if len(label) > MAX_LABEL:
        m = _CLAUSE_CUT_RE.search(label, 4)
        label = label[:m.start()] if m and m.start() <= MAX_LABEL else label[:MAX_LABEL]
    return label.rstrip("(（“‘《[【:：,，;；、 ").strip()


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return start, end


def _lines(text: str):
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        yield pos, end
        pos = end + 1


def _is_short_line(text: str, s: int, e: int) -> bool:
    line = text[s:e]
    if not 2 <= len(line) <= 30 or line[-1] in "。！？!?；;，,、：:…" or T.BYLINE_RE.search(line):
        return False
    return len(_CJK_RE.findall(line)) >= 2


def _heading_from_line(text: str, s: int, e: int) -> tuple[Heading | None, tuple[int, int] | None]:
    """Classify one line: (heading or None, body remainder span or None)."""
    md = _MD_RE.match(text, s, e)
    md_level = 0
    if md:
        md_level = len(md.group(1))
        s = md.end()
    style, ordinal = (f"md{md_level}" if md_level else None), None
    for name, rx in MARKERS:
        m = rx.match(text, s, e)
        if m and m.end() < e:
            ordinal = ordinal_value(m.group("n"))
            if ordinal is not None:
                style = style or name
                s = m.end()
                break
    s, e = _strip(text, s, e)
    if s >= e:
        return None, None
    if md_level:
        title_end, body = e, None
    elif ordinal is not None:
        cut = _TITLE_END_RE.search(text, s, e)
        title_end = cut.start() if cut else e
        body = (cut.end(), e) if cut and cut.end() < e else None
    elif _is_short_line(text, s, e):
        style, title_end, body = "short", e, None
    else:
        return None, (s, e)
    ts, te = _strip(text, s, title_end)
    label = clean_label(text[ts:te])
    if not label:
        return None, body or (s, e)
    return Heading(ts, min(te, ts + MAX_SPAN), style, ordinal, label, md_level=md_level), body


def parse_outline(text: str) -> Outline:
    """Headings and body sentences of a text, with each sentence under its innermost heading."""
    out = Outline()
    items: list[tuple[str, object]] = []  # ("h", Heading) | ("b", (start, end)) | ("blank", None)
    for s, e in _lines(text):
        ls, le = _strip(text, s, e)
        if ls >= le:
            items.append(("blank", None))
            continue
        heading, body = _heading_from_line(text, ls, le)
        if heading is not None:
            hard_break = text[s:e].rstrip("\r").endswith("  ")
            if _continues(items, heading, hard_break):
                continue
            heading.hard_break = hard_break
            items.append(("h", heading))
        if body is not None:
            items.append(("para", None))
            items.extend(_body_items(text, *body))
    _assign(text, items, out)
    return out


def _continues(items, heading: Heading, hard_break: bool) -> bool:
    """Merge a heading broken over two lines into the previous one (returns True when merged)."""
    prev_i = len(items) - 1
    blanks = 0
    while prev_i >= 0 and items[prev_i][0] == "blank":
        prev_i -= 1
        blanks += 1
    if prev_i < 0 or items[prev_i][0] != "h":
        return False
    prev: Heading = items[prev_i][1]  # type: ignore[assignment]
    if heading.ordinal is not None:
        return False
    md_split = heading.md_level and heading.md_level == prev.md_level and prev.ordinal is not None
    numbered_broken = (not heading.md_level and not prev.md_level and prev.ordinal is not None
                       and heading.style == "short" and blanks == 0 and prev.hard_break)
    if not (md_split or numbered_broken):
        return False
    if heading.end - prev.start <= MAX_SPAN:
        prev.end = heading.end
    prev.label = clean_label(f"{prev.label} {heading.label}")
    prev.hard_break = False
    return True


def _body_items(text: str, s: int, e: int):
    """A body line: an optional lead sentence (a short first sentence that names the paragraph's topic),
    inline items (一是…), and the body spans between them."""
    out = []
    first = _TITLE_END_RE.search(text, s, e)
    if first and text[first.start()] == "。" and first.end() < e - 8:
        ls, le = _strip(text, s, first.start())
        lead = text[ls:le]
        if 2 <= len(lead) <= 16 and not _DIGIT_RE.search(lead) and not _CLAUSE_SPLIT.search(lead) \
                and not T.BYLINE_RE.search(lead) and _CJK_RE.search(lead):
            out.append(("h", Heading(ls, le, "lead", None, clean_label(lead))))
            s = first.end()
    pos = s
    for m in _INLINE_ITEM_RE.finditer(text, s, e):
        if m.start() > s and text[m.start() - 1] not in _INLINE_ITEM_AFTER:
            continue
        ordinal = ordinal_value(m.group("n"))
        if ordinal is None:
            continue
        if m.start() > pos:
            out.append(("b", (pos, m.start())))
        cut = _ITEM_END_RE.search(text, m.end(), e)
        te = cut.start() if cut else e
        label = clean_label(text[m.end():te])
        if label:
            # an inline item is a goal; its words stay in the body, where its numbers become statements
            out.append(("h", Heading(m.end(), te, "item", ordinal, label)))
        pos = m.end()
    if pos < e:
        out.append(("b", (pos, e)))
    return out


def _rank(style: str, order: dict[str, int]) -> int:
    if style.startswith("md"):
        return int(style[2:])
    if style == "lead":
        return 1000
    if style == "item":
        return 1001
    if style not in order:
        order[style] = 10 + len(order)
    return order[style]


def _assign(text: str, items, out: Outline) -> None:
    order: dict[str, int] = {}
    stack: list[tuple[int, int]] = []  # (rank, heading index)
    current: int | None = None
    for kind, value in items:
        if kind == "h":
            h: Heading = value  # type: ignore[assignment]
            r = _rank(h.style, order)
            if h.style == "lead":
                # a lead sentence belongs to the heading above it, never to an earlier lead or item
                while stack and stack[-1][0] >= 1000:
                    stack.pop()
            while stack and stack[-1][0] >= r:
                stack.pop()
            h.parent = stack[-1][1] if stack else None
            out.headings.append(h)
            current = len(out.headings) - 1
            stack.append((r, current))
        elif kind == "para":
            # inline items (一是…) end with their paragraph
            while stack and stack[-1][0] >= 1001:
                stack.pop()
            current = stack[-1][1] if stack else None
        elif kind == "b":
            s, e = value  # type: ignore[misc]
            out.sentences.extend(_sentences(text, s, e, current))


def _sentences(text: str, s: int, e: int, heading: int | None) -> list[Sentence]:
    out = []
    pos = s
    for m in _SENTENCE_SPLIT.finditer(text, s, e):
        _add_sentence(text, pos, m.start(), heading, out)
        pos = m.end()
    _add_sentence(text, pos, e, heading, out)
    return out


def _add_sentence(text: str, s: int, e: int, heading: int | None, out: list[Sentence]) -> None:
    s, e = _strip(text, s, e)
    if s >= e:
        return
    clauses = []
    pos = s
    for m in _CLAUSE_SPLIT.finditer(text, s, e):
        cs, ce = _strip(text, pos, m.start())
        if cs < ce:
            clauses.append((cs, ce))
        pos = m.end()
    cs, ce = _strip(text, pos, e)
    if cs < ce:
        clauses.append((cs, ce))
    out.append(Sentence(s, e, clauses, heading))


def sentence_bounds(text: str) -> list[int]:
    """Offsets where sentences end (delimiter positions), for mapping a span to its sentence."""
    return [m.start() for m in _SENTENCE_SPLIT.finditer(text)]
