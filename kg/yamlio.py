"""YAML that remembers where things were, so every schema error can name its file and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import RecordError
from .inputs import MAX_RECORD_BYTES, read_regular, utf16_hint


class LineDict(dict):
    """A mapping from a YAML file that knows the line of itself and of each key (1-based).

    Key lines are looked up when asked for (`line_of`, mostly when a problem is reported) in the YAML node the
    mapping was built from, so loading a valid file pays only for the mapping's own line.
    """

    __slots__ = ("line", "_key_lines", "_node")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = 0
        self._key_lines: dict = {}  # {key: line}, or the node below
        self._node: yaml.MappingNode | None = None

    def line_of(self, key: str) -> int:
        node = self._node
        if node is not None:  # from the fast constructor: the i-th key node made the i-th key (no merges or dups)
            for k, (key_node, _) in zip(self, node.value, strict=False):
                if k is key or k == key:
                    return key_node.start_mark.line + 1
            return self.line
        return self._key_lines.get(key, self.line)

    @property
    def key_lines(self) -> dict:
        """{key: line} of every key."""
        if self._node is not None:
            return {k: key_node.start_mark.line + 1 for k, (key_node, _) in zip(self, self._node.value, strict=False)}
        return dict(self._key_lines)

    def __reduce__(self):  # pickle as the mapping and its lines, never the YAML node tree
        return _line_dict, (dict(self), self.line, self.key_lines)


def _line_dict(items: dict, line: int, key_lines: dict) -> LineDict:
    d = LineDict(items)
    d.line, d._key_lines = line, key_lines
    return d


class _Refused(yaml.constructor.ConstructorError):
    """Valid YAML that kg refuses, with the fix: numbers YAML 1.1 reads behind the curator's back (010 is 8,
    0x1DB and 7:55 are 475), and aliases (a few lines of them expand into gigabytes)."""

    def __init__(self, node: yaml.Node, problem: str):
        super().__init__(None, None, problem, node.start_mark)


_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_INT_KINDS = ((re.compile(r"[-+]?0b"), "binary"), (re.compile(r"[-+]?0x"), "hexadecimal"),
              (re.compile(r".*:"), "base 60"), (re.compile(r"[-+]?0"), "octal"))


def _construct_int(loader, node: yaml.ScalarNode) -> int:
    value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    if not _DECIMAL_INT.fullmatch(node.value):
        kind = next(k for rx, k in _INT_KINDS if rx.match(node.value))
        raise _Refused(node, f"{node.value} is read by YAML as the {kind} number {value}; write the number in "
                             f"decimal digits, or quote it (\"{node.value}\") if it is text")
    return value


def _construct_float(loader, node: yaml.ScalarNode) -> float:
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    text = node.value
    if ":" in text:
        raise _Refused(node, f"{text} is read by YAML as the base-60 number {value}; write the number in decimal "
                             f"digits, or quote it (\"{text}\") if it is text")
    if (value == 0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0])) or \
            (value in (float("inf"), float("-inf")) and "inf" not in text.lower()):
        raise _Refused(node, f"{text} is beyond what a number here can hold (YAML reads it as {value}); write a "
                             "number with at most 18 digits before and 12 after the point")
    return value


def _alias_refused(node: yaml.Node) -> _Refused:
    return _Refused(node, f"a YAML alias repeats the list or mapping anchored at line {node.start_mark.line + 1}; "
                          "kg does not expand aliases (a few lines of them can grow to gigabytes): write the values "
                          "out")


class _Loader(yaml.SafeLoader):
    def construct_object(self, node, deep=False):
        if node in self.constructed_objects and not isinstance(node, yaml.ScalarNode):
            raise _alias_refused(node)
        return super().construct_object(node, deep)


# libyaml's parser when PyYAML has it (5x faster on big corpora); its error texts differ, so a file it rejects
# is re-read by the pure-Python loader, whose message is the one users see.
_LIBYAML = hasattr(yaml, "CSafeLoader")


class _FastLoader(yaml.CSafeLoader if _LIBYAML else yaml.SafeLoader):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    key_lines = result._key_lines
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, dict | list):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain value, not a list or "
                                                    "mapping", key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        key_lines[key] = key_node.start_mark.line + 1
    return result


for _cls in (_Loader, _FastLoader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    # Keep dates as the strings they were written as: record dates may be 2022, 2022-01 or 2022-01-06.
    _cls.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    _cls.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _cls.add_constructor("tag:yaml.org,2002:float", _construct_float)


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
#: Scalar tags the fast constructor resolves itself (with the loader's own functions); anything else
#: (binary, sets, ordered maps, merge keys `<<`, custom tags) goes to PyYAML's constructor.
_SCALARS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")


class _Unusual(Exception):
    """A document the fast constructor leaves to PyYAML's (an alias cycle, a merge key, a duplicate key …)."""


def _construct_fast(loader: _FastLoader, root: yaml.Node) -> Any:
    """The same values as `_construct_mapping` & co. for plain documents (mappings, lists, str/int/float/bool/
    null/date scalars, aliases), without PyYAML's per-node generator machinery (3x faster on big corpora).
    Raises _Unusual for anything else, which the caller then builds the usual way."""
    scalars = {tag: loader.yaml_constructors[tag] for tag in _SCALARS}
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    done: dict[int, Any] = {}  # collections by node id: an alias gives the same object, as in PyYAML
    busy: set[int] = set()

    def build(node: yaml.Node) -> Any:
        cls, tag = node.__class__, node.tag
        if cls is scalar_node:
            if tag == _STR:
                return node.value
            make = scalars.get(tag)
            if make is None:
                raise _Unusual
            return make(loader, node)
        key = id(node)
        if key in done or key in busy:
            raise _alias_refused(node)
        busy.add(key)
        if cls is mapping_node and tag == _MAP:
            out = LineDict()
            out.line = node.start_mark.line + 1
            out._node = node
            for key_node, value_node in node.value:
                if key_node.__class__ is not scalar_node:
                    raise _Unusual
                k = build(key_node)
                if k in out:
                    raise _Unusual
                out[k] = build(value_node)
        elif cls is sequence_node and tag == _SEQ:
            out = [build(n) for n in node.value]
        else:
            raise _Unusual
        busy.discard(key)
        done[key] = out
        return out

    try:
        return build(root)
    finally:
        del build  # `build` refers to itself: drop that cycle, or the whole parse waits for the cyclic GC


def _load_fast(text: str) -> Any:
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _construct_fast(loader, node)
        except (_Unusual, RecursionError):
            return loader.construct_document(node)
    finally:
        loader.dispose()


def from_node(root: yaml.Node | None) -> Any:
    """The values of an already composed YAML node tree (LineDicts, lists, scalars), as `load_yaml` builds them."""
    if root is None:
        return None
    loader = _FastLoader("")
    try:
        if _LIBYAML:
            try:
                return _construct_fast(loader, root)
            except (_Unusual, RecursionError):
                pass
        return _Loader("").construct_document(root)
    finally:
        loader.dispose()


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (a BOM is tolerated) or raise one clear error."""
    data = read_regular(path, "YAML", MAX_RECORD_BYTES, lambda message: RecordError([message]))
    if utf16_hint(data):
        raise RecordError([f"{path}: saved as UTF-16; re-save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"])
    if b"\x00" in data[:4096]:
        raise RecordError([f"{path}: binary file, expected UTF-8 YAML text"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise RecordError(
            [f"{path}:{line}: not UTF-8 (byte 0x{data[e.start]:02x}); re-save the file as UTF-8"]
        ) from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file into LineDicts/lists; syntax errors become RecordError with file:line."""
    return parse_yaml(read_text(path), path)


def parse_yaml(text: str, path: Path) -> Any:
    """Parse YAML text as if read from `path` (which only names it in errors)."""
    if _LIBYAML:
        try:
            return _load_fast(text)
        except _Refused as e:
            raise RecordError([f"{path}:{e.problem_mark.line + 1}: {e.problem}"]) from None
        except (yaml.YAMLError, RecursionError):
            pass  # report it in the pure-Python parser's words below
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except _Refused as e:
        raise RecordError([f"{path}:{e.problem_mark.line + 1}: {e.problem}"]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RecordError([f"{path}{line}: malformed YAML: {e.problem or e.context}"]) from None
    except yaml.YAMLError as e:
        raise RecordError([f"{path}: malformed YAML: {e}"]) from None
    except RecursionError:
        raise RecordError([f"{path}: malformed YAML: lists or mappings nested too deeply"]) from None
