"""HTML: the page frame and the rendering of terms, query forms and results. Every string that comes from
the data or the request is escaped."""

from __future__ import annotations

import json
import re
from html import escape

from ..namespaces import PREFIXES
from .engine import QueryReply

STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;
color:#222}
a{color:#0645ad}textarea{width:100%;font-family:monospace;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #ccc;padding:.25rem .4rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}.lang,.dt{color:#777;font-size:.8em}
.warn{background:#fff4ce;padding:.4rem}.err{background:#fde7e9;padding:.4rem;white-space:pre-wrap}
code{background:#f6f6f6}nav a{margin-right:1rem}
"""


def page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f'<nav><a href="/">SPARQL query</a><a href="/id/dataset">dataset</a>'
            f'<a href="/sparql">service description</a></nav>{body}</body></html>\n').encode()


class Html:
    """Renders terms and pages; every string that comes from the data or the request is escaped."""

    def __init__(self, base: str, labels=None):
        self.base = base
        self.labels = labels or (lambda iri: None)

    def href(self, iri: str) -> str:
        if iri.startswith(self.base):
            return "/id/" + iri[len(self.base):]
        return iri if re.match(r"^https?://", iri) else "#"

    def iri(self, iri: str) -> str:
        label = self.labels(iri)
        short = self.curie(iri)
        text = f"{escape(label)} <span class=dt>{escape(short)}</span>" if label else escape(short)
        return f'<a href="{escape(self.href(iri), quote=True)}">{text}</a>'

    def curie(self, iri: str) -> str:
        for prefix, ns in {"id": self.base, **PREFIXES}.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def term(self, t: dict | None) -> str:
        if not t:
            return ""
        kind = t.get("type")
        if kind == "uri":
            return self.iri(t["value"])
        if kind == "bnode":
            return f"_:{escape(t['value'])}"
        if kind == "triple":
            v = t["value"]
            return f"&lt;&lt; {self.term(v['subject'])} {self.term(v['predicate'])} {self.term(v['object'])} &gt;&gt;"
        out = escape(t.get("value", ""))
        if "xml:lang" in t:
            out += f' <span class=lang>@{escape(t["xml:lang"])}</span>'
        elif "datatype" in t:
            out += f' <span class=dt>^^{escape(self.curie(t["datatype"]))}</span>'
        return out

    def query_form(self, text: str, canned: list, selected: str = "") -> str:
        options = "".join(
            f'<option value="{escape(c.name, quote=True)}"{" selected" if c.name == selected else ""}>'
            f"{escape(c.name)}: {escape(c.title)}</option>" for c in canned)
        picker = (f'<form method="get" action="/"><label>Canned query: <select name="q">{options}</select>'
                  f"</label> <button>Load</button></form>" if canned else
                  "<p>No canned queries (queries/*.rq) were found.</p>")
        formats = "".join(f'<option value="{f}">{label}</option>' for f, label in
                          [("html", "HTML table"), ("json", "JSON"), ("csv", "CSV"), ("tsv", "TSV"),
                           ("xml", "XML"), ("turtle", "Turtle (CONSTRUCT)"), ("jsonld", "JSON-LD (CONSTRUCT)")])
        prefixes = ", ".join(f"{p}:" for p in {**PREFIXES, "id": self.base})
        return (f"{picker}<form method=\"get\" action=\"/sparql\"><p><textarea name=\"query\" rows=\"16\" "
                f"spellcheck=\"false\">{escape(text)}</textarea></p><p><label>Results as "
                f"<select name=\"format\">{formats}</select></label> <button>Run query</button></p>"
                f"<p class=dt>Predeclared prefixes: {escape(prefixes)}</p></form>")

    def results(self, reply: QueryReply, max_rows: int) -> str:
        data = json.loads(reply.body)
        warn = (f'<p class="warn">Only the first {max_rows} rows are shown (the server\'s --max-rows); '
                f"add a LIMIT or ORDER BY to choose them.</p>" if reply.truncated else "")
        if reply.kind == "boolean":
            return f"<h2>Answer</h2><p><strong>{'true' if data['boolean'] else 'false'}</strong></p>"
        if reply.kind == "graph":
            rows = "".join(f"<tr><td>{self.term(s)}</td><td>{self.term(p)}</td><td>{self.term(o)}</td></tr>"
                           for s, p, o in data)
            return (f"<h2>{len(data)} triple(s)</h2>{warn}<table><tr><th>subject</th><th>predicate</th>"
                    f"<th>object</th></tr>{rows}</table>")
        variables = data["head"]["vars"]
        head = "".join(f"<th>?{escape(v)}</th>" for v in variables)
        rows = "".join("<tr>" + "".join(f"<td>{self.term(b.get(v))}</td>" for v in variables) + "</tr>"
                       for b in data["results"]["bindings"])
        n = len(data["results"]["bindings"])
        return f"<h2>{n} row(s)</h2>{warn}<table><tr>{head}</tr>{rows}</table>"
