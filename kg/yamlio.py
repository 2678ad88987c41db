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


# libyaml's parser when PyYAML has it (5x faster on big corpora); its error texts differ, so a file it rejects
# is re-read by the pure-Python loader, whose message is the one users see.
_LIBYAML = hasattr(yaml, "CSafeLoader")


class _FastLoader(yaml.CSafeLoader if _LIBYAML else yaml.SafeLoader):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
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
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


for _cls in (_Loader, _FastLoader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    # Keep dates as the strings they were written as: record dates may be 2022, 2022-01 or 2022-01-06.
    _cls.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


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
    if _LIBYAML:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - CSafeLoader subclass
        except (yaml.YAMLError, RecursionError):
            pass  # report it in the pure-Python parser's words below
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RecordError([f"{path}{line}: malformed YAML: {e.problem or e.context}"]) from None
    except yaml.YAMLError as e:
        raise RecordError([f"{path}: malformed YAML: {e}"]) from None
    except RecursionError:
        raise RecordError([f"{path}: malformed YAML: lists or mappings nested too deeply"]) from None
