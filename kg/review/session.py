"""A review of one draft record file: its items, what the reviewer does to them, and saving the result.

Every action (accept, reject, edit, move a span, add a missed figure, split a range) is made on the file's
text (kg.review.yamledit), checked as `kg build` would check it (kg.review.check) and written atomically, or
refused with the problems it would bring and nothing written. The file on disk is the only state: an item is
reviewed when it says `reviewed: true`; `# edited` / `# added` at the end of that line say how it came to be
(accepted items carry no mark); rejected items are removed; `document.review` keeps the counts (drafted,
accepted, edited, rejected, added per kind of item) that `kg extract --evaluate` turns into the extractor's
precision on reviewed drafts.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import InputError, KgError, RecordError
from ..export import commit_files
from ..namespaces import BOUND_COMPARATORS, CHANGE_COMPARATORS, KINDS
from ..records import DOC_KEYS
from ..sources import SourceFinder, SourceText, read_source
from ..vocab import Vocab, load_vocab
from ..yamlio import from_node, parse_yaml, read_text
from . import check
from .yamledit import YamlText

#: kinds of item, their list in the record file, and the review counts kept per kind
SECTIONS = {"goal": "goals", "measure": "measures", "statement": "statements", "facility": "facilities",
            "district": "district_mentions"}
COUNTS = ("drafted", "accepted", "edited", "rejected", "added")
#: fields the page may change, per kind, in the form's order (ids never change: other items and IRIs refer to
#: them; a span changes only by selecting text)
EDITABLE = {
    "goal": ("label", "label_en", "parent", "ordinal", "year", "span"),
    "measure": ("label", "label_en", "goal", "category", "districts", "facilities", "year", "note", "span"),
    "statement": ("kind", "value", "unit", "comparator", "as_written", "year", "note", "span"),
    "facility": ("label", "label_en", "type", "district", "span"),
    "district": ("district", "span"),
    # the document's own fields; `jurisdiction` once the record loader knows it (kg.records.DOC_KEYS)
    "document": tuple(k for k in ("year", "date", "publisher", "city", "jurisdiction") if k in DOC_KEYS),
}
OPTIONAL = {"label_en", "note", "year", "ordinal", "district", "parent"}
INTEGERS = {"year", "ordinal"}
LISTS = {"districts", "facilities"}


class Conflict(KgError):
    """The file changed on disk (or the page is behind): nothing was written."""


class Refused(KgError):
    """An action the review will not make (a problem `kg build` would report, or a bad request)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Item:
    key: str  # "statement:g3-1-m6-1"; district mentions by position: "district:0"
    kind: str
    id: str
    path: tuple
    span: list[int]
    fields: dict
    reviewed: bool
    status: str  # open | accepted | edited | added
    line: int
    last_line: int
    parent: str | None = None  # a statement's measure

    def json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "id": self.id, "span": self.span, "fields": self.fields,
                "reviewed": self.reviewed, "status": self.status, "line": self.line, "parent": self.parent}


def _plain(value: Any) -> Any:
    """A parsed YAML value as JSON (decimals and dates as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class State:
    """One version of the file: its text, parsed items, problems and counts."""

    text: str
    doc: YamlText
    data: dict
    items: list[Item]
    problems: list[str]
    record: Any = field(repr=False, default=None)

    @property
    def version(self) -> str:
        return sha256(self.text.encode("utf-8"))


class Review:
    """The review of `path` against its source text; thread-safe (one action at a time)."""

    def __init__(self, path: Path, text_file: Path | None = None, vocab: Vocab | None = None):
        self.path = path
        self.vocab = vocab or load_vocab()
        self.lock = threading.Lock()
        text = read_text(path)
        data = parse_yaml(text, path)
        doc = data.get("document") if isinstance(data, dict) else None
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise InputError(f"{path}: not a record file (no document.id); draft one with `kg extract`")
        self.source = self._source(doc, text_file)
        self.disk_sha = sha256(path.read_bytes())
        self.state = self._state(text)
        self.notes: list[str] = []

    def _source(self, doc: dict, text_file: Path | None) -> SourceText:
        name = f"{doc['id']}.txt"
        candidates = [text_file] if text_file else [self.path.parent / name]
        if not text_file and paths.default_sources():
            candidates.append(SourceFinder(paths.default_sources()).find(doc["id"]))
        for c in candidates:
            if c is not None and c.is_file():
                src = read_source(c)
                if doc.get("sha256") and src.sha256 != doc.get("sha256"):
                    raise InputError(f"{c}: its sha256 differs from {self.path}'s document.sha256; this is not "
                                     "the text the draft was made from (--text FILE)")
                return src
        raise InputError(f"{self.path}: source text {name} not found beside it or in the source texts; "
                         "give it with --text FILE")

    # ---- reading a version

    def _state(self, text: str | YamlText) -> State:
        doc = text if isinstance(text, YamlText) else YamlText(text)
        data = from_node(doc.root)
        if not isinstance(data, dict):
            raise InputError(f"{self.path}: not a record file (expected a mapping with document:, goals: …)")
        record, problems = check.load_problems(self.path, data, self.vocab, self.source)
        return State(doc.text, doc, data, list(self._items(doc, data)), problems, record)

    def _items(self, doc: YamlText, data: dict):
        head = doc.pair(doc.root, "document")
        if head is not None and isinstance(data.get("document"), dict):
            yield self._item("document", data["document"], ("document",), head[1], doc, doc.lines(head[1]),
                             "document")
        for kind, section in SECTIONS.items():
            if kind == "statement":
                continue
            nodes = doc.pair(doc.root, section)
            entries = data.get(section) or []
            if nodes is None or not isinstance(entries, list):
                continue
            for i, (entry, node) in enumerate(zip(entries, nodes[1].value if entries else [], strict=False)):
                if not isinstance(entry, dict):
                    continue
                yield self._item(kind, entry, (section, i), node, doc, doc.lines(node),
                                 f"district:{i}" if kind == "district" else None)
                if kind == "measure":
                    stmts = entry.get("statements") or []
                    pair = doc.pair(node, "statements")
                    for j, (st, st_node) in enumerate(zip(stmts, pair[1].value if stmts else [], strict=False)):
                        if isinstance(st, dict):
                            yield self._item("statement", st, (section, i, "statements", j), st_node, doc,
                                             doc.lines(st_node), parent=f"measure:{entry.get('id')}",
                                             default_id=f"{entry.get('id')}-{j + 1}")

    def _item(self, kind, entry, path, node, doc, lines, key=None, parent=None, default_id=None) -> Item:
        item_id = str(entry.get("id", default_id or entry.get("district", "")))
        span = entry.get("span")
        span = list(span) if isinstance(span, list) and len(span) == 2 else [0, 0]  # the document: no span
        reviewed = entry.get("reviewed") is True
        mark = doc.marked(node)
        status = mark if reviewed and mark else "accepted" if reviewed else "open"
        if kind == "document":  # not an item to accept: its `reviewed` follows the items
            reviewed, status = True, "document"
        fields = {k: _plain(v) for k, v in entry.items() if k not in ("statements", "reviewed", "review")}
        return Item(key or f"{kind}:{item_id}", kind, item_id, path, span, fields, reviewed, status,
                    lines[0], lines[1], parent)

    # ---- what the page shows

    def counts(self, state: State | None = None) -> dict[str, dict[str, int]]:
        """Per kind: drafted, accepted, edited, rejected, added (as in the file) and left to review."""
        state = state or self.state
        stored = (state.data.get("document") or {}).get("review") or {}
        out = {}
        for kind, section in SECTIONS.items():
            items = [i for i in state.items if i.kind == kind]
            prev = stored.get(section) if isinstance(stored.get(section), dict) else {}
            c = {"accepted": sum(i.status == "accepted" for i in items),
                 "edited": sum(i.status == "edited" for i in items),
                 "added": sum(i.status == "added" for i in items),
                 "rejected": int(prev.get("rejected", 0) or 0)}
            c["drafted"] = int(prev.get("drafted", len(items) - c["added"] + c["rejected"]))
            c["left"] = sum(not i.reviewed for i in items)
            out[kind] = c
        return out

    def view(self) -> dict:
        """Everything the page needs: the text, the items in text order, the vocabularies, counts, problems."""
        with self.lock:
            return self._view(self.state)

    def _view(self, state: State) -> dict:
        kinds_rank = {"document": -1} | {k: n for n, k in enumerate(SECTIONS)}
        items = sorted(state.items, key=lambda i: (i.span[0], kinds_rank[i.kind], -i.span[1]))
        doc = state.data.get("document") or {}
        city = doc.get("city")
        gaz = self.vocab.gazetteers.get(city) if isinstance(city, str) else None
        problems: dict[str, list[str]] = {}
        for message in state.problems:
            problems.setdefault(self._owner(state, message), []).append(check.without_where(message))
        v = self.vocab
        return {
            "version": state.version, "file": str(self.path), "source": str(self.source.path),
            "text": self.source.text,
            "document": {k: _plain(doc.get(k)) for k in ("id", "title", "year", "city", "jurisdiction",
                                                         "reviewed") if k in doc},
            "items": [i.json() for i in items], "counts": self.counts(state), "problems": problems,
            "vocab": {
                "categories": [[c.key, c.zh, c.en] for c in v.categories.values()],
                "units": [[u.key, u.zh, u.en] for u in v.units.values()],
                "facility_types": [[f.key, f.zh, f.en] for f in v.facility_types.values()],
                "districts": [[d.key, d.zh, d.en] for d in ((gaz.city, *gaz.divisions) if gaz else ())],
                "kinds": list(KINDS), "changes": list(CHANGE_COMPARATORS), "bounds": list(BOUND_COMPARATORS),
                "editable": {k: list(v) for k, v in EDITABLE.items()},
                "cities": [[key, g.city.zh, g.city.en] for key, g in self.vocab.gazetteers.items()],
                "facilities": [[i.id, i.fields.get("label", "")] for i in state.items if i.kind == "facility"],
                "goals": [[i.id, i.fields.get("label", "")] for i in state.items if i.kind == "goal"],
            },
        }

    def _owner(self, state: State, message: str) -> str:
        """The key of the item a problem is about (the innermost item whose lines hold its line)."""
        line = check.where_line(message)
        best = None
        if line is not None:
            for i in state.items:
                if i.line <= line <= i.last_line and (best is None or i.line >= best.line):
                    best = i
        return best.key if best else "document"

    # ---- actions

    def act(self, action: dict) -> dict:
        """Apply one action from the page ({op, item, version, …}); return the new view. Raises Conflict
        when the file or the page is out of date, Refused when the result would not build."""
        with self.lock:
            if action.get("version") != self.state.version:
                raise Conflict("页面不是最新的版本：请重新载入（the page is behind the file; reload it）")
            self._check_disk()
            op = action.get("op")
            handler = getattr(self, f"_op_{op}", None) if isinstance(op, str) and op.isidentifier() else None
            if handler is None:
                raise Refused(f"unknown action {op!r}")
            state = self.state
            doc = YamlText(state.text)
            delta: dict[str, str | None] = {}  # item key → its status after the action (None: removed)
            focus = handler(state, doc, action, delta)
            self._write_summary(state, doc, delta)
            doc.commit()
            new = self._state(doc)
            introduced = self._introduced(state, new, focus)
            if introduced:
                raise Refused("这个修改会让 kg build 报错，文件没有改动（kg build would refuse this; nothing "
                              "was written)", introduced)
            self._save(new)
            return {**self._view(new), "current": action.get("item")}

    def reload(self) -> dict:
        with self.lock:
            text = read_text(self.path)
            self.disk_sha = sha256(self.path.read_bytes())
            self.state = self._state(text)
            return self._view(self.state)

    def _check_disk(self) -> None:
        try:
            on_disk = sha256(self.path.read_bytes())
        except OSError as e:
            raise Conflict(f"{self.path}: cannot read it any more ({e.strerror}); nothing was written") from None
        if on_disk != self.disk_sha:
            raise Conflict(f"{self.path} 已在磁盘上被别的程序修改：为了不覆盖那些修改，这次没有保存。请重新载入"
                           "（the file changed on disk; reload before editing）")

    def _save(self, new: State) -> None:
        data = new.text.encode("utf-8")
        self._check_disk()
        commit_files([(self.path, data)])
        self.disk_sha = sha256(data)
        self.state = new

    def _introduced(self, old: State, new: State, focus: set[tuple[str, str]]) -> list[str]:
        """Problems the new version has that the old one did not (lines aside), SHACL's on the focus items."""
        before = {check.without_where(p) for p in old.problems}
        out = [p for p in new.problems if check.without_where(p) not in before]
        if not out and new.record is not None:
            keys = {(i.kind, i.id) for i in new.items}
            focus = {f for f in focus if f in keys and f[0] != "district"}
            out = [f"{kind} {item_id}: {msg}"
                   for (kind, item_id), msg in check.shacl_problems(new.record, self.vocab, self.source, focus)]
        return out

    def _find(self, state: State, action: dict) -> Item:
        key = action.get("item")
        for i in state.items:
            if i.key == key:
                return i
        raise Refused(f"no item {key!r} in the file (reload the page)")

    def _review(self, doc: YamlText, item: Item, delta: dict, mark: str | None) -> None:
        """`reviewed: true` on an item, marked `# edited` unless it was added (accepting keeps its mark)."""
        if item.status == "added" or (mark is None and item.status == "edited"):
            mark = item.status
        if doc.pair(doc.node(item.path), "reviewed") is None:
            doc.set(item.path, "reviewed", True, comment=mark)
        else:
            doc.set(item.path, "reviewed", True)
            doc.mark(item.path, mark)
        delta[item.key] = mark or "accepted"

    def _op_accept(self, state, doc, action, delta):
        item = self._find(state, action)
        if item.kind == "document":
            raise Refused("文档在所有条目审完后自动标为已审 (document.reviewed becomes true when no item is left)")
        self._review(doc, item, delta, None)
        return {(item.kind, item.id)}

    def _op_reject(self, state, doc, action, delta):
        item = self._find(state, action)
        focus = set()
        if item.kind == "document":
            raise Refused("文档本身不能拒绝 (the document itself cannot be rejected)")
        if item.kind == "goal":
            users = [i.key for i in state.items if (i.kind == "goal" and i.fields.get("parent") == item.id)
                     or (i.kind == "measure" and i.fields.get("goal") == item.id)]
            if users:
                raise Refused(f"目标 {item.id} 下面还有 {len(users)} 项（{', '.join(users[:3])}…）：先拒绝或移走它们"
                              f" (goal {item.id} still has sub-goals or measures)")
        if item.kind == "facility":
            for m in state.items:
                if m.kind == "measure" and item.id in (m.fields.get("facilities") or []):
                    doc.set(m.path, "facilities", [f for f in m.fields["facilities"] if f != item.id])
                    focus.add(("measure", m.id))
        doc.remove_item(item.path[:-1], item.path[-1])
        delta[item.key] = None
        for i in state.items:
            if item.kind == "measure" and i.parent == item.key:
                delta[i.key] = None
        return focus

    def _op_edit(self, state, doc, action, delta):
        item = self._find(state, action)
        fields = action.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise Refused("nothing to change")
        changed = False
        for key, raw in fields.items():
            if key not in EDITABLE[item.kind]:
                raise Refused(f"{item.kind} 的 {key!r} 不能在这里修改 (not editable)")
            value = self._coerce(key, raw)
            old = item.fields.get(key)
            if value == old or (value is None and key not in item.fields) or \
                    (key == "value" and isinstance(value, Decimal) and _same_number(old, value)):
                continue
            changed = True
            if value is None and key in OPTIONAL:
                doc.remove_key(item.path, key)
            else:
                doc.set(item.path, key, value)
        if not changed:
            raise Refused("没有改动 (no change)")
        if item.kind != "document":  # document.reviewed says the whole draft is reviewed (_write_summary)
            self._review(doc, item, delta, "edited")
        return {(item.kind, item.id)}

    def _op_span(self, state, doc, action, delta):
        span = action.get("span")
        if not (isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)):
            raise Refused("span: expected [start, end]")
        return self._op_edit(state, doc, {**action, "fields": {"span": action["span"]}}, delta)

    def _op_add(self, state, doc, action, delta):
        """A missed figure: the quantity in the selected characters becomes a statement of the measure that
        holds them (else the nearest measure before them); a range becomes its two bounds."""
        start, end = self._span_arg(action)
        quantities = self._quantities(start, end)
        if not quantities:
            raise Refused("选中的文字里没有能读出的数字和单位 (no number with a known unit in the selection)")
        measures = [i for i in state.items if i.kind == "measure"]
        holding = [m for m in measures if m.span[0] <= start and end <= m.span[1]]
        before = [m for m in measures if m.span[0] <= start]
        measure = min(holding, key=lambda m: m.span[1] - m.span[0]) if holding else \
            max(before, key=lambda m: m.span[0]) if before else None
        if measure is None:
            raise Refused("选中的文字前面没有措施，无法挂靠 (no measure before the selection)")
        siblings = [i for i in state.items if i.parent == measure.key]
        used = {i.id for i in state.items if i.kind == "statement"}
        position = sum(1 for s in siblings if s.span[0] <= start)
        focus = {("measure", measure.id)}
        for q in quantities[:2] if _is_range(quantities) else quantities[:1]:
            sid = _free_id(measure.id, used)
            st = {"id": sid, "kind": siblings[0].fields.get("kind", "target") if siblings else "target",
                  "value": q.value, "unit": q.unit,
                  "comparator": q.comparators[0] if len(q.comparators) == 1 else list(q.comparators),
                  "as_written": q.as_written, "span": [start, end]}
            if siblings and "year" in siblings[0].fields:
                st["year"] = siblings[0].fields["year"]
            st["reviewed"] = True
            doc.insert_item(measure.path + ("statements",), position, st, mark="added")
            delta[f"statement:{sid}"] = "added"
            focus.add(("statement", sid))
            if not action.get("item"):
                action["item"] = f"statement:{sid}"
        return focus

    def _op_split(self, state, doc, action, delta):
        """A range written as one statement → two: the lower bound (at-least) and the upper (at-most)."""
        item = self._find(state, action)
        if item.kind != "statement":
            raise Refused("只有数字（陈述）可以拆分成上下限 (only a statement can be split)")
        quantities = self._quantities(*item.span)
        values = sorted({q.value for q in quantities})
        current = _decimal(item.fields.get("value"))
        low, high = (values[0], values[-1]) if len(values) >= 2 else (current, current)
        comps = item.fields.get("comparator")
        change = [c for c in (comps if isinstance(comps, list) else [comps]) if c in CHANGE_COMPARATORS]

        def comparator(bound: str):
            return [*change, bound] if change else bound

        used = {i.id for i in state.items if i.kind == "statement"}
        new_id = _free_id((item.parent or ":" + item.id).split(":", 1)[1], used)
        if not _same_number(item.fields.get("value"), low):
            doc.set(item.path, "value", low)
        doc.set(item.path, "comparator", comparator("at-least"))
        self._review(doc, item, delta, "edited")
        upper = {k: (_decimal(v) if k == "value" else v) for k, v in item.fields.items() if k != "note"}
        upper.update(id=new_id, value=high, comparator=comparator("at-most"), reviewed=True)
        written = [q.as_written for q in quantities if q.value == high]
        if written and len(values) >= 2:
            upper["as_written"] = written[0]
        doc.insert_item(item.path[:-1], item.path[-1] + 1, upper, mark="added")
        delta[f"statement:{new_id}"] = "added"
        return {("statement", item.id), ("statement", new_id)}

    def _quantities(self, start: int, end: int):
        from ..extract.numbers import find_quantities
        from ..extract.tables import unit_table

        found, _ = find_quantities(self.source.text[start:end], unit_table(self.vocab))
        return found

    def _span_arg(self, action) -> tuple[int, int]:
        span = action.get("span")
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span)):
            raise Refused("span: expected [start, end]")
        start, end = span
        if not 0 <= start < end <= len(self.source.text):
            raise Refused(f"范围 [{start}, {end}] 不在正文里 (outside the text: 0–{len(self.source.text)})")
        return start, end

    def _coerce(self, key: str, raw: Any) -> Any:
        """A form value as the record wants it; what cannot be converted is written as given, so that the
        loader's message says what is wrong with it."""
        if isinstance(raw, str):
            raw = raw.strip()
            if raw == "" and key in OPTIONAL | {"label_en", "note"}:
                return None
        if key == "value":
            try:
                return Decimal(str(raw).replace(",", ""))
            except InvalidOperation:
                return str(raw)
        if key in INTEGERS:
            try:
                return int(str(raw))
            except ValueError:
                return str(raw)
        if key == "span":
            if isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int) for x in raw):
                return raw
            raise Refused("span: expected [start, end] (select the characters in the text)")
        if key in LISTS:
            return [str(x) for x in raw] if isinstance(raw, list) else [x.strip() for x in str(raw).split(",") if x.strip()]
        if key == "comparator":
            comps = raw if isinstance(raw, list) else [raw]
            comps = sorted((str(c) for c in comps if c), key=lambda c: c not in CHANGE_COMPARATORS)
            return comps[0] if len(comps) == 1 else comps
        return raw if isinstance(raw, str) else str(raw)

    def _write_summary(self, old: State, doc: YamlText, delta: dict) -> None:
        """document.review: the counts after this action (a rejection is remembered only here); and
        document.reviewed: true once no item is left."""
        before = self.counts(old)
        statuses = {i.key: (i.kind, i.status) for i in old.items}
        for key, status in delta.items():
            kind = key.split(":", 1)[0]
            was = statuses.get(key, (kind, None))[1]
            if status is None and was not in (None, "added"):
                before[kind]["rejected"] += 1
            if status is None:
                statuses.pop(key, None)
            else:
                statuses[key] = (kind, status)
        summary = {}
        left = 0
        for kind, section in SECTIONS.items():
            now = [st for k, st in statuses.values() if k == kind]
            summary[section] = {"drafted": before[kind]["drafted"], "accepted": now.count("accepted"),
                                "edited": now.count("edited"), "rejected": before[kind]["rejected"],
                                "added": now.count("added")}
            left += now.count("open")
        doc.set(("document",), "review", summary)
        if left == 0 and (old.data.get("document") or {}).get("reviewed") is False:
            doc.set(("document",), "reviewed", True)


def _decimal(value: Any) -> Any:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


def _same_number(a: Any, b: Decimal) -> bool:
    a = _decimal(a)
    return isinstance(a, Decimal) and a == b


def _is_range(quantities) -> bool:
    """The extractor reads `10-15个` as two quantities at one place (the lower and the upper bound)."""
    return len(quantities) >= 2 and quantities[0].start == quantities[1].start \
        and {"at-least", "at-most"} <= set(quantities[0].comparators + quantities[1].comparators)


def _free_id(stem: str, used: set[str]) -> str:
    """The first `<stem>-<n>` no statement uses yet (and reserve it)."""
    n = 1
    while f"{stem}-{n}" in used:
        n += 1
    used.add(f"{stem}-{n}")
    return f"{stem}-{n}"


def load_review(path: Path, text_file: Path | None = None) -> Review:
    """Open a draft for review (InputError when it or its source text cannot be read)."""
    if not path.is_file():
        raise InputError(f"{path}: no such record file")
    try:
        return Review(path, text_file)
    except RecordError as e:
        raise InputError(str(e)) from None
    except yaml.YAMLError as e:
        raise InputError(f"{path}: malformed YAML: {e}") from None
