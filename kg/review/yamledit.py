"""Edit a record file's text in place: change one value, add or remove one item, and leave every other
character as it was, so that a diff of the file shows only what the reviewer changed.

Edits are computed on the text at the positions the YAML composer (libyaml when PyYAML has it) reports for
the nodes, queued, and applied together by `commit()` (last position first), which composes the text once. Values are written the way `kg extract` writes them (double-quoted
strings, flow spans `[start, end]`, plain `kind:`/`comparator:` words), so an edited draft still looks like a
draft. Why not a round-trip library: ruamel.yaml also keeps comments and order (a byte-identical round trip of
every draft and record, once told to write `null`), but reading and writing a 3,400-line national draft takes
it ~3.7 s per change on this machine, and a review makes hundreds of small, local changes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

from ..errors import RecordError
from ..extract.draft import _num, _q

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Keys written as plain words (as `kg extract` writes them); other strings are double-quoted.
PLAIN_KEYS = {"kind", "comparator"}
#: Where a key goes when an item lacks it: after the last key it has that comes earlier in this order.
KEY_ORDER = ["id", "goal", "district", "label", "label_en", "parent", "ordinal", "kind", "value", "unit",
             "comparator", "as_written", "category", "type", "districts", "facilities", "span", "year", "note",
             "reviewed", "review", "statements"]
_PLAIN_WORD = re.compile(r"^[a-z][a-z0-9-]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
#: The review's mark on a `reviewed: true` line: how the item came to be reviewed (accepted items have none).
MARK_RE = re.compile(r"[ \t]+# (edited|added)[ \t]*$")


def render(value: Any, plain: bool = False) -> str:
    """One value as flow YAML in the style of `kg extract`'s drafts."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, float):
        return _num(Decimal(repr(value)))
    if isinstance(value, str):
        return value if plain and _PLAIN_WORD.match(value) and value not in _RESERVED else _q(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render(v, plain) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render(v, plain)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a record")


def render_item(item: dict, indent: int, mark: str | None = None) -> list[str]:
    """A mapping as a block sequence item whose dash is at column `indent` (nested `statements` as a block),
    its `reviewed:` line marked `# mark`."""
    lines = []
    for i, (key, value) in enumerate(item.items()):
        prefix = " " * indent + "- " if i == 0 else " " * (indent + 2)
        if key == "statements" and value:
            lines.append(f"{prefix}statements:")
            for st in value:
                lines += render_item(st, indent + 4, mark)
        else:
            comment = f"  # {mark}" if key == "reviewed" and mark else ""
            lines.append(f"{prefix}{key}: {render(value, key in PLAIN_KEYS)}{comment}")
    return lines


class YamlText:
    """A YAML document's text and its node tree. Edits are queued against the current tree and applied by
    `commit()`; they must not overlap (each touches one value, one line end, or whole lines)."""

    def __init__(self, text: str):
        self.text = text
        self.pending: list[tuple[int, int, str]] = []
        self.root = self._compose(text)

    @staticmethod
    def _compose(text: str) -> yaml.Node:
        try:
            return yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError as e:  # only an edit of ours could get here: refuse it, keep the file
            raise RecordError([f"the edit would make the file malformed YAML: {e}"]) from None

    def _replace(self, start: int, end: int, new: str) -> None:
        self.pending.append((start, end, new))

    def commit(self) -> None:
        """Apply the queued edits (from the last position to the first) and compose the new text once."""
        order = sorted(range(len(self.pending)), key=lambda i: (self.pending[i][0], i), reverse=True)
        text, limit = self.text, len(self.text) + 1
        for i in order:
            start, end, new = self.pending[i]
            if end > limit:
                raise RecordError([f"overlapping edits at {start}–{end} (a bug in kg review)"])
            text = text[:start] + new + text[end:]
            limit = start
        self.root = self._compose(text)
        self.text, self.pending = text, []

    # ---- finding nodes

    def node(self, path: tuple) -> yaml.Node:
        n = self.root
        for step in path:
            if isinstance(step, int):
                n = n.value[step]
            else:
                pair = self.pair(n, step)
                if pair is None:
                    raise KeyError(f"{'/'.join(map(str, path))}: no {step!r}")
                n = pair[1]
        return n

    @staticmethod
    def pair(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        if not isinstance(mapping, yaml.MappingNode):
            raise KeyError(f"not a mapping where {key!r} was looked up")
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
        return None

    def end(self, node: yaml.Node) -> int:
        """Where a node's own text ends (a block collection ends with its last value, not at the next token)."""
        if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
            return self.end(node.value[-1][1])
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            return self.end(node.value[-1])
        return node.end_mark.index

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def line_end(self, pos: int) -> int:
        nl = self.text.find("\n", pos)
        return len(self.text) if nl < 0 else nl

    def lines(self, node: yaml.Node) -> tuple[int, int]:
        """The first and last line (1-based) of a node."""
        return node.start_mark.line + 1, self.text.count("\n", node.start_mark.index, self.end(node)) + \
            node.start_mark.line + 1

    # ---- edits (queued)

    def set(self, path: tuple, key: str, value: Any, comment: str | None = None) -> None:
        """Set `key` of the mapping at `path` to `value`; a missing key is added after the keys that precede
        it in KEY_ORDER (with `# comment` when given)."""
        mapping = self.node(path)
        pair = self.pair(mapping, key)
        indent = mapping.value[0][0].start_mark.column if mapping.value else 0
        if isinstance(value, dict) and not mapping.flow_style:  # a block mapping of flow values
            new = ":" + "".join(f"\n{' ' * (indent + 2)}{k}: {render(v, True)}" for k, v in value.items())
            if pair is not None:
                self._replace(pair[0].end_mark.index, self.end(pair[1]), new)
                return
        elif pair is not None:
            k, v = pair
            plain = key in PLAIN_KEYS or (isinstance(v, yaml.ScalarNode) and v.style is None
                                          and isinstance(value, str) and v.value != "")
            text = render(value, plain)
            if (isinstance(v, yaml.ScalarNode) and v.value == "" and v.style is None) or \
                    (isinstance(v, yaml.MappingNode | yaml.SequenceNode) and not v.flow_style):
                self._replace(k.end_mark.index, self.end(v), ": " + text)  # `key:` + nothing, or a block
            else:
                self._replace(v.start_mark.index, self.end(v), text)
            return
        else:
            new = ": " + render(value, key in PLAIN_KEYS) + (f"  # {comment}" if comment else "")
        if mapping.flow_style:
            at = mapping.end_mark.index - 1  # before the closing brace
            self._replace(at, at, f", {key}{new}")
            return
        rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
        anchor = None
        for k, v in mapping.value:
            if (KEY_ORDER.index(k.value) if k.value in KEY_ORDER else len(KEY_ORDER)) < rank:
                anchor = v
        if anchor is None:
            raise KeyError(f"no place for {key!r}")
        at = self.line_end(self.end(anchor))
        self._replace(at, at, "\n" + " " * indent + f"{key}{new}")

    def remove_key(self, path: tuple, key: str) -> None:
        """Drop an optional key of a block mapping (its whole lines)."""
        mapping = self.node(path)
        pair = self.pair(mapping, key)
        if pair is None:
            return
        k, v = pair
        if mapping.flow_style or mapping.value[0][0] is k:
            raise KeyError(f"cannot remove {key!r} here")
        start = self.line_start(k.start_mark.index)
        self._replace(start, self.line_end(self.end(v)) + 1, "")

    def mark(self, path: tuple, mark: str | None) -> None:
        """Put `# edited` / `# added` (or no mark) at the end of the line of the mapping's `reviewed:`."""
        pair = self.pair(self.node(path), "reviewed")
        if pair is None:
            return
        end = self.end(pair[1])
        ls, le = self.line_start(end), self.line_end(end)
        m = MARK_RE.search(self.text, ls, le)
        if (m.group(1) if m else None) != mark:
            self._replace(m.start() if m else le, le, f"  # {mark}" if mark else "")

    def marked(self, mapping: yaml.Node) -> str | None:
        pair = self.pair(mapping, "reviewed")
        if pair is None:
            return None
        end = self.end(pair[1])
        m = MARK_RE.search(self.text, self.line_start(end), self.line_end(end))
        return m.group(1) if m else None

    def remove_item(self, path: tuple, index: int) -> None:
        """Remove one item of the block sequence at `path` (its lines; an emptied sequence becomes `[]`)."""
        seq = self.node(path)
        item = seq.value[index]
        if len(seq.value) == 1:
            self.set(path[:-1], path[-1], [])
            return
        start = self.line_start(item.start_mark.index)
        end = self.line_end(self.end(item))
        self._replace(start, min(end + 1, len(self.text)), "")

    def insert_item(self, path: tuple, index: int, item: dict, mark: str | None = None) -> None:
        """Insert a mapping into the sequence at `path` before position `index` (len: at the end), its
        `reviewed:` line marked with `mark`."""
        seq = self.node(path)
        if not seq.value:  # `key: []` (or nothing): becomes a block sequence under the key
            parent = self.node(path[:-1])
            k, v = self.pair(parent, path[-1])
            lines = render_item(item, parent.value[0][0].start_mark.column + 2, mark)
            self._replace(k.end_mark.index, self.end(v), ":\n" + "\n".join(lines))
            return
        first = seq.value[0]
        ls = self.line_start(first.start_mark.index)
        indent = max(self.text[ls:first.start_mark.index].find("-"), 0)  # the dash's column
        block = "\n".join(render_item(item, indent, mark)) + "\n"
        if index < len(seq.value):
            at = self.line_start(seq.value[index].start_mark.index)
            self._replace(at, at, block)
        else:
            at = self.line_end(self.end(seq.value[-1]))
            if at == len(self.text):
                self._replace(at, at, "\n" + block.rstrip("\n"))
            else:
                self._replace(at + 1, at + 1, block)
