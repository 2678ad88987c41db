"""What `kg doctor` checks in the outputs of the inputs kg accepts, and the inputs derived from the workspace's
own build (its graph with one label changed, without its values …)."""

from __future__ import annotations

import json
import os
import xml.dom.minidom
from pathlib import Path

from .faults import StubStore
from .workspace import HOSTILE_LABEL, Workspace


def ttl_with_label(label: str, escape_controls: bool = False):
    """The built graph with the zh label of goal `parks` replaced (Turtle-escaped)."""
    def content(ws: Workspace) -> str:
        escaped = label.replace("\\", "\\\\").replace('"', '\\"')
        if escape_controls:
            escaped = "".join(f"\\u{ord(c):04X}" if ord(c) < 32 else c for c in escaped)
        text = ws.graph.read_text(encoding="utf-8")
        assert '"公园与绿地"@zh' in text
        return text.replace('"公园与绿地"@zh', f'"{escaped}"@zh')
    return content


def graph_bytes(ws: Workspace) -> bytes:
    return ws.graph.read_bytes()


def graph_half(ws: Workspace) -> bytes:
    return ws.graph.read_bytes()[: ws.graph.stat().st_size // 2]


def graph_as_gbk(ws: Workspace) -> bytes:
    return ws.graph.read_text(encoding="utf-8").encode("gbk")


def without_values(ws: Workspace) -> bytes:
    """The built graph less every sy:value (a SHACL violation per statement)."""
    from rdflib import Graph

    from ..export import serialize
    from ..namespaces import SY

    g = Graph().parse(ws.graph)
    g.remove((None, SY.value, None))
    return serialize(g, "nt")


# -- checks for the runs that must succeed


def _parse_outputs(directory: Path) -> str | None:
    """Every export in a directory parses with a strict parser of its format; None when all do."""
    from rdflib import Dataset, Graph

    for p in sorted(directory.iterdir()):
        try:
            data = p.read_bytes()
            if p.suffix in (".ttl", ".nt", ".rdf", ".jsonld"):
                fmt = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".jsonld": "json-ld"}[p.suffix]
                if p.name == "context.jsonld":
                    json.loads(data)
                else:
                    Graph().parse(data=data, format=fmt)
            elif p.suffix == ".trig":
                Dataset().parse(data=data, format="trig")
            if p.suffix in (".rdf", ".graphml"):
                xml.dom.minidom.parseString(data)
            if p.suffix == ".html" and HOSTILE_LABEL.encode() in data:
                return f"{p.name} contains the label {HOSTILE_LABEL!r} unescaped"
        except Exception as e:  # noqa: BLE001 - any parser error is the finding
            return f"{p.name} does not parse: {type(e).__name__}: {str(e)[:200]}"
    return None


def same_as_baseline(ws: Workspace, n: str, output: str) -> str | None:
    out = ws.out(n)
    names = sorted(os.listdir(out))
    if names != sorted(os.listdir(ws.baseline)):
        return f"wrote {names}, expected {sorted(os.listdir(ws.baseline))}"
    for name in names:
        if (out / name).read_bytes() != (ws.baseline / name).read_bytes():
            return f"{name} differs from the same build of the plain UTF-8 record"
    return None


def outputs_ok(ws: Workspace, n: str, output: str) -> str | None:
    return _parse_outputs(ws.out(n))


def hostile_outputs_ok(ws: Workspace, n: str, output: str) -> str | None:
    problem = _parse_outputs(ws.out(n))
    if problem:
        return problem
    from rdflib import Graph, Literal

    g = Graph().parse(ws.out(n) / "shenyang.ttl")
    if not any(o == Literal(HOSTILE_LABEL, lang="zh") for o in g.objects()):
        return "the label did not survive the round trip through Turtle"
    return None


def file_check(name: str, needle: str | None = None, parse: str | None = None):
    def check(ws: Workspace, n: str, output: str) -> str | None:
        p = ws.out(n) / name
        if not p.is_file():
            return f"{name} was not written"
        data = p.read_bytes()
        if parse == "xml":
            try:
                xml.dom.minidom.parseString(data)
            except Exception as e:  # noqa: BLE001
                return f"{name} is not well-formed XML: {e}"
        if parse == "record":
            from ..errors import RecordError
            from ..records import load_record

            try:
                load_record(p)
            except RecordError as e:
                return f"{name} does not load: {str(e)[:200]}"
        if parse == "html" and HOSTILE_LABEL.encode() in data:
            return f"{name} contains the label {HOSTILE_LABEL!r} unescaped"
        if needle is not None and needle.encode() not in data:
            return f"{name} lacks {needle!r}"
        return None
    return check


def pushed(ws: Workspace, n: str, output: str) -> str | None:
    return None if StubStore.received() and "replaced graph" in output else "the store received nothing"

