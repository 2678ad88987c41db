"""YAML that remembers where things were, so every schema error can name its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import RecordError


class LineDict(dict):
    """A mapping from a YAML file that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Keep dates as the strings they were written as: record dates may be 2022, 2022-01 or 2022-01-06.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (a BOM is tolerated) or raise one clear error."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RecordError([f"{path}: cannot read: {e.strerror}"]) from None
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
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RecordError([f"{path}{line}: malformed YAML: {e.problem or e.context}"]) from None
    except yaml.YAMLError as e:
        raise RecordError([f"{path}: malformed YAML: {e}"]) from None
