"""The case table of `kg doctor`: every bad (or awkward) input we know of, one entry per case, grouped by
command. The words it is written in (B/V/Q…, build(), edit(), file(), GRAPH, OUT …) are in kg.doctor.case;
what accepted runs must have written is checked by kg.doctor.checks. To add a case, add a row: the runner
(kg.doctor.runner) and tests/reliability/ pick it up."""

from __future__ import annotations

import json

from .case import (BUSY_EXPORTS, CLOSED_PORT, EXPORTS, GRAPH, HELD_PORT, INPUTS, OUT, OUTDIR, RECORDS, ROOT, SOURCES, B, Case, E,
                   P, Q, S, V, X, Z, build, edit, extract, file, put, record, special, stub, text_edit, url)
from .checks import (file_check, graph_as_gbk, graph_bytes, graph_half, hostile_outputs_ok, outputs_ok, pushed,
                     same_as_baseline, ttl_with_label, without_values)
from .workspace import DOC_ID, HOSTILE_LABEL, SOURCE_TEXT, dump_record, good_record

SHORT_TEXT = "一、建设公园\n在浑南区新建口袋公园12个。\n"
GBK_TEXT = SHORT_TEXT.encode("gbk")
BINARY = bytes(range(256)) * 16
BOM = b"\xef\xbb\xbf"
BILLION_LAUGHS_XML = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:b>&i;</ex:b></rdf:Description></rdf:RDF>\n')
XXE_XML = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:b>&x;</ex:b></rdf:Description></rdf:RDF>\n')
BILLION_LAUGHS_YAML = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(7))
DEEP_TURTLE = "<http://example.org/a> <http://example.org/b> " + "(" * 3000 + ")" * 3000 + " .\n"
HUGE_INTEGER_TTL = ('<http://example.org/a> <http://example.org/b> "' + "9" * 6000
                    + '"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
LONG_LINE_TTL = '<http://example.org/a> <http://example.org/b> "' + "长" * 2_000_000 + '" .\n'
MALFORMED_TTL = "@prefix ex: <http://example.org/> .\nex:a ex:b .\n"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SELECT_ONE = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
NUMERIC_PREDICATE_NT = "<http://example.org/a> <http://example.org/1> <http://example.org/c> .\n"
CONTROL_LITERAL_NT = '<http://example.org/a> <http://example.org/b> "a\\u0001b" .\n'
UNION_1000 = "SELECT * WHERE { " + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(1000)) + " }"


def values(n: int) -> str:
    """A query with a VALUES block of n strings (n + 15 tokens)."""
    return "SELECT * WHERE { VALUES ?x { " + " ".join(f'"v{i}"' for i in range(n)) + " } ?s ?p ?x }"


GOOD_RECORD_GBK = dump_record(good_record()).decode("utf-8").encode("gbk")
GOOD_RECORD_BOM = BOM + dump_record(good_record())
VALUE = "measures.0.statements.0.value"


ALIAS_BOMB_FLOW = "[&a0 [x, x, x, x, x, x, x, x, x], " + ", ".join(
    f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 8)) + "]"


def _line_separators(d: dict) -> None:
    put("goals.1.label", "公园\u2028与\u2029绿地\u0085")(d)
    put("measures.0.label_en", "pocket\u2028parks")(d)


def _misquoted(d: dict) -> None:
    put("measures.0.statements.0.as_written", "13个")(d)
    put(VALUE, 13)(d)


def _rename_label(d: dict) -> None:
    d["goals"][0]["lable"] = d["goals"][0].pop("label")


def _hostile_labels(d: dict) -> None:
    put("goals.1.label", HOSTILE_LABEL)(d)
    put("measures.0.label_en", HOSTILE_LABEL)(d)


def _no_chars_long_span(d: dict) -> None:
    del d["document"]["chars"]
    d["goals"][1]["span"] = [10, 5000]


CASES: list[Case] = [
    # build: the record files
    B("missing-records-dir", "--records names no directory", build(ROOT / "no-such-dir"), 1,
      r"no-such-dir: no such directory"),
    B("no-record-files", "a records directory without *.yaml", build(INPUTS), 1, r"no \*\.yaml record files"),
    B("empty-record", "an empty record file", build(record(b"")), 1, r"doctor-2030\.yaml:1: expected a mapping"),
    B("binary-record", "a binary file named .yaml", build(record(BINARY)), 1, r"binary file"),
    B("gbk-record", "a record saved as GBK", build(record(GOOD_RECORD_GBK)), 1,
      r"not UTF-8 .*re-save the file as UTF-8"),
    B("bom-record", "a record saved with a UTF-8 BOM (accepted, same exports)",
      build(record(GOOD_RECORD_BOM), out=OUT), 0, check=same_as_baseline),
    B("unclosed-bracket", "malformed YAML: an unclosed [", build(record(text_edit("span: [", "span: [["))), 1,
      r"doctor-2030\.yaml:\d+: malformed YAML"),
    B("tab-indent", "malformed YAML: a tab for indentation", build(record(text_edit("\n  slug", "\n\tslug"))), 1,
      r"doctor-2030\.yaml:\d+: malformed YAML"),
    B("duplicate-key", "a key given twice in one mapping",
      build(record(text_edit("  year: 2030\n", "  year: 2030\n  year: 2031\n"))), 1, r"duplicate key 'year'"),
    B("list-as-key", "a list where a key belongs", build(record("? [a, b]\n: 1\n")), 1, r"a key must be a plain value"),
    B("nested-too-deep", "lists nested 1,500 deep", build(record("document: " + "[" * 1500 + "]" * 1500 + "\n")), 1,
      r"nested too deeply"),
    B("alias-bomb", "YAML aliases that expand a billion-fold", build(record(BILLION_LAUGHS_YAML)), 1,
      r"doctor-2030\.yaml:\d+: a YAML alias repeats"),
    B("alias-bomb-real-key", "an alias bomb under a real key (category)",
      build(record(text_edit("  category: pocket-parks\n", "  category: " + ALIAS_BOMB_FLOW + "\n"))), 1,
      r"doctor-2030\.yaml:\d+: a YAML alias repeats"),
    B("utf16-record", "a record saved as UTF-16", build(record(b"\xff\xfe" + dump_record(good_record()).decode().encode("utf-16-le"))),
      1, r"doctor-2030\.yaml: saved as UTF-16; re-save the file as UTF-8"),
    B("fifo-record", "a record file that is a FIFO (would hang)", build(special("records/doctor-2030.yaml", "fifo").parent), 1,
      r"doctor-2030\.yaml: is a FIFO \(named pipe\), not a regular file"),
    B("dev-zero-record", "a record file that is a symlink to /dev/zero (endless)",
      build(special("records/doctor-2030.yaml", "zero").parent), 1, r"doctor-2030\.yaml: is a device, not a regular file"),
    B("octal-value", "value: 010 (YAML 1.1 reads 8)", build(record(text_edit("value: 12\n", "value: 010\n"))), 1,
      r"doctor-2030\.yaml:\d+: 010 is read by YAML as the octal number 8; write the number in decimal digits"),
    B("hex-value", "value: 0x1DB (YAML 1.1 reads 475)", build(record(text_edit("value: 12\n", "value: 0x1DB\n"))), 1,
      r"doctor-2030\.yaml:\d+: 0x1DB is read by YAML as the hexadecimal number 475"),
    B("base60-value", "value: 7:55 (YAML 1.1 reads 475, base 60)", build(record(text_edit("value: 12\n", "value: 7:55\n"))),
      1, r"doctor-2030\.yaml:\d+: 7:55 is read by YAML as the base 60 number 475"),
    B("octal-span", "span: [010, 20] (YAML 1.1 reads 8)", build(record(text_edit("span: [", "span: [010, 20, "))), 1,
      r"doctor-2030\.yaml:\d+: 010 is read by YAML as the octal number 8"),
    B("value-not-as-written", "value -12 where as_written says 12个", build(edit(VALUE, -12)), 1,
      r"value -12 is not the number written in as_written '12个'"),
    B("value-too-precise", "value: \"1e-999999\" (a million-digit decimal)", build(edit(VALUE, "1e-999999")), 1,
      r"more than 12 digits after the point"),
    B("value-underflow", "value: 1.0e-99999999 (YAML reads 0.0)",
      build(record(text_edit("value: 12\n", "value: 1.0e-99999999\n"))), 1, r"beyond what a number here can hold"),
    B("impossible-date", "date: 2022-13-45", build(edit("document.date", "2022-13-45")), 1,
      r"document\.date: '2022-13-45' is no day of the calendar"),
    B("title-as-list", "title: {en: [1, 2]}", build(edit("document.title", {"zh": "示例", "en": [1, 2]})), 1,
      r"document\.title\.en: expected text, got list"),
    B("long-district-list", "20,000 unknown districts (the message stays short)",
      build(edit("measures.0.districts", ["某区"] * 20_000)), 1, r"unknown district '某区'"),
    B("line-separator-label", "labels with U+2028, U+2029, U+0085 (accepted; every export parses, TriG too)",
      build(edit(_line_separators), out=OUT), 0, check=outputs_ok),
    B("span-as-text", "wrong type: span written as text", build(edit("goals.0.span", "12-20")), 1,
      r"goal plan\.span: expected \[start, end\]"),
    B("year-as-text", "wrong type: year written as words", build(edit("document.year", "twenty-thirty")), 1,
      r"document\.year: expected a whole number"),
    B("value-as-list", "wrong type: a list as a value", build(edit(VALUE, [1, 2])), 1, r"value: expected a number"),
    B("category-as-list", "wrong type: a list where a category key belongs",
      build(edit("measures.0.category", ["pocket-parks", "parks-greening"])), 1, r"unknown category"),
    B("unit-as-mapping", "wrong type: a mapping where a unit key belongs",
      build(edit("measures.0.statements.0.unit", {"key": "ge"})), 1, r"unknown unit"),
    B("parent-as-list", "wrong type: a list as a goal's parent", build(edit("goals.1.parent", ["plan"])), 1,
      r"goal parks\.parent: no goal with id"),
    B("unknown-district", "a district the gazetteer does not know", build(edit("measures.0.districts", ["浦东新区"])),
      1, r"unknown district '浦东新区'"),
    B("unknown-category", "a category not in the vocabulary", build(edit("measures.0.category", "pocket-park")), 1,
      r"unknown category 'pocket-park' \(did you mean 'pocket-parks'\?\)"),
    B("misspelt-field", "a misspelt field name", build(edit(_rename_label)), 1, r"lable: unknown field"),
    B("duplicate-goal-id", "two goals with one id",
      build(edit(lambda d: d["goals"].append({**d["goals"][1], "parent": "plan"}))), 1, r"goal parks: duplicate id"),
    B("goal-cycle", "goals that are each other's parent", build(edit("goals.0.parent", "parks")), 1,
      r"goals form a cycle"),
    B("dangling-facility", "a measure naming a facility nobody defined",
      build(edit("measures.1.facilities", ["no-such-museum"])), 1, r"no facility with id 'no-such-museum'"),
    B("span-past-end", "a span past the end of the text", build(edit("goals.1.span", [10, 99999])), 1,
      r"\[10, 99999\] runs past the end of the text"),
    B("span-empty", "an empty span", build(edit("goals.1.span", [12, 12])), 1, r"is empty or negative"),
    B("span-negative", "a negative offset", build(edit("goals.1.span", [-5, 3])), 1, r"is empty or negative"),
    B("span-outside-text", "a span past the text when chars is not given", build(edit(_no_chars_long_span)), 1,
      r"is outside the text"),
    B("span-misses-number", "a statement whose span does not hold as_written",
      build(edit(_misquoted)), 1, r"does not contain as_written '13个'"),
    B("huge-value", "a value of 10^30", build(edit(VALUE, 10**30)), 1, r"not a finite number below 10\^18"),
    B("huge-value-digits", "a value written with 5,000 digits", build(edit(VALUE, "9" * 5000)), 1,
      r"not a finite number below 10\^18"),
    B("infinite-value", "a value of .inf", build(record(text_edit("value: 12\n", "value: .inf\n"))), 1,
      r"not a finite number"),
    B("nan-value", "a value of .nan", build(record(text_edit("value: 12\n", "value: .nan\n"))), 1,
      r"not a finite number"),
    B("long-label", "a 100,000-character label on one line", build(edit("goals.1.label", "长" * 100_000)), 1,
      r"100000 characters; keep it under 30"),
    B("control-character", "a label with control characters", build(edit("goals.1.label", "公园\x01与\x00绿地")), 1,
      r"control character .*U\+0001"),
    B("html-label", "labels with HTML and script (accepted; escaped in every output)",
      build(edit(_hostile_labels), out=OUT), 0, check=hostile_outputs_ok),
    B("id-not-file-name", "document.id differs from the file name", build(edit("document.id", "other-id")), 1,
      r"differs from the file name"),
    B("unknown-city", "a city without a gazetteer", build(edit("document.city", "atlantis")), 1,
      r"no gazetteer data/gazetteer/atlantis\.yaml"),
    B("date-garbage", "a date that is not a date", build(edit("document.date", "next spring")), 1,
      r"'next spring' is not YYYY"),
    # build: the source texts
    B("missing-sources-dir", "--sources names no directory", build(sources=ROOT / "no-such-sources"), 1,
      r"no-such-sources: no such directory"),
    B("gbk-source", "the source text saved as GBK",
      build(sources=file(f"sources/{DOC_ID}.txt", SOURCE_TEXT.encode("gbk")).parent), 1,
      r"doctor-2030\.txt: not UTF-8 at byte \d+; convert it"),
    B("edited-source", "a source text that changed after curation",
      build(sources=file(f"sources/{DOC_ID}.txt", SOURCE_TEXT.replace("12", "13")).parent), 1,
      r"document\.sha256 is .* the text changed"),
    B("fifo-source", "a source text that is a FIFO (would hang)", build(sources=special(f"sources/{DOC_ID}.txt", "fifo").parent),
      1, r"doctor-2030\.txt: is a FIFO \(named pipe\), not a regular file"),
    B("dev-zero-source", "a source text that is a symlink to /dev/zero",
      build(sources=special(f"sources/{DOC_ID}.txt", "zero").parent), 1, r"doctor-2030\.txt: is a device"),
    # build: the output directory
    B("out-under-a-file", "--out below a regular file", build(out=GRAPH / "sub"), 1,
      r"cannot write .*is a file, not a directory\); nothing was changed"),
    B("out-is-a-file", "--out names a regular file", build(out=GRAPH), 2, r"is a file"),
    B("bad-base-iri", "--base-iri that is not an IRI", build(RECORDS, "--base-iri", 'http://example.org/<x>"{}/'), 2,
      r"not an absolute http\(s\) IRI"),
    B("disk-full", "the disk fills up while the first export is written", build(), 1,
      r"cannot write .*No space left on device; nothing was changed", fault="enospc"),
    B("disk-full-late", "the disk fills up at the third export (two already staged)", build(), 1,
      r"No space left on device; nothing was changed", fault="enospc-late"),
    B("read-only", "the output directory is on a read-only file system", build(), 1,
      r"Read-only file system; nothing was changed", fault="erofs"),
    B("concurrent-build", "another build is writing the same --out", build(out=BUSY_EXPORTS), 1,
      r"exports: another build is writing here; .*nothing was changed"),

    # validate
    V("missing-file", "a graph file that does not exist", ["validate", ROOT / "nope.ttl"], 2,
      r"nope\.ttl: no such RDF file"),
    V("directory", "a directory instead of a file", ["validate", EXPORTS], 2, r"is a directory"),
    V("empty-file", "an empty .ttl", ["validate", file("empty.ttl", b"")], 2, r"holds no triples"),
    V("binary-file", "binary bytes in a .ttl", ["validate", file("bin.ttl", BINARY)], 2,
      r"bin\.ttl: cannot parse as turtle"),
    V("gbk-file", "a Turtle file saved as GBK", ["validate", file("gbk.ttl", graph_as_gbk)], 2,
      r"gbk\.ttl: cannot parse as turtle"),
    V("bom-file", "a Turtle file with a UTF-8 BOM (accepted)",
      ["validate", file("bom.ttl", lambda ws: BOM + graph_bytes(ws))], 0),
    V("malformed-turtle", "Turtle with a statement cut short", ["validate", file("bad.ttl", MALFORMED_TTL)], 2,
      r"bad\.ttl: cannot parse as turtle"),
    V("truncated-turtle", "the first half of a good Turtle file", ["validate", file("half.ttl", graph_half)], 2,
      r"half\.ttl: cannot parse"),
    V("shape-violations", "a graph whose statements lost their values",
      ["validate", file("novalue.nt", without_values)], 1, r"SHACL violation", stdout_on_error=True),
    V("xml-entity-bomb", "RDF/XML with nested entities (billion laughs)",
      ["validate", file("lol.rdf", BILLION_LAUGHS_XML)], 2, r"declares XML entities"),
    V("xml-external-entity", "RDF/XML with an external entity (XXE) to /etc/passwd",
      ["validate", file("xxe.rdf", XXE_XML)], 2, r"declares XML entities"),
    V("remote-jsonld-context", "JSON-LD whose @context is on a dead loopback port",
      ["validate", file("remote.jsonld", lambda ws: json.dumps(
          {"@context": url("http://127.0.0.1:{port}/ctx.jsonld").resolve(ws, ""), "@id": "http://example.org/a",
           "name": "x"}))], 2, r"remote\.jsonld: cannot parse as json-ld"),
    V("deep-collection", "a Turtle collection nested 3,000 deep", ["validate", file("deep.ttl", DEEP_TURTLE)], 2,
      r"deep\.ttl: cannot parse"),
    V("huge-integer", "an xsd:integer with 6,000 digits (valid; no traceback)",
      ["validate", file("big.ttl", HUGE_INTEGER_TTL)], 0),
    V("long-line", "one literal of 2 million characters on one line", ["validate", file("long.ttl", LONG_LINE_TTL)],
      0),

    # query
    Q("syntax-error", "a triple pattern missing its object", ["query", "-g", GRAPH, "SELECT * WHERE { ?s ?p }"], 2,
      r"syntax error at line 1, column"),
    Q("unknown-prefix", "an undeclared prefix", ["query", "-g", GRAPH, "SELECT * WHERE { ?s nope:x ?o }"], 2,
      r"unknown prefix nope:"),
    Q("update-insert", "SPARQL UPDATE: INSERT DATA",
      ["query", "-g", GRAPH, "INSERT DATA { <http://a.example/> <http://b.example/> 1 }"], 2,
      r"SPARQL UPDATE \(INSERT\); kg query is read-only"),
    Q("update-load", "SPARQL UPDATE: LOAD from the web", ["query", "-g", GRAPH, "LOAD <http://example.org/data.ttl>"],
      2, r"UPDATE \(LOAD\)"),
    Q("update-drop", "SPARQL UPDATE: DROP ALL", ["query", "-g", GRAPH, "DROP ALL"], 2, r"UPDATE \(DROP\)"),
    Q("service", "a federated SERVICE call",
      ["query", "-g", GRAPH, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"], 2,
      r"SERVICE .* is not allowed"),
    Q("from-web", "FROM a web graph", ["query", "-g", GRAPH, "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"],
      2, r"FROM / FROM NAMED are not allowed"),
    Q("empty-query", "an empty query", ["query", "-g", GRAPH, "  # nothing\n"], 2, r"the query is empty"),
    Q("nested-too-deep", "groups nested 3,000 deep",
      ["query", "-g", GRAPH, "SELECT * WHERE { " + "{" * 3000 + "?s ?p ?o" + "}" * 3000 + " }"], 2,
      r"too deeply to parse"),
    Q("parentheses-too-deep", "parentheses nested 3,000 deep",
      ["query", "-g", GRAPH, "SELECT * WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }"], 2,
      r"too deeply to parse"),
    Q("missing-query-file", "-f names no file", ["query", "-g", GRAPH, "-f", ROOT / "no.rq"], 2, r"no\.rq"),
    Q("binary-query-file", "-f names a binary file", ["query", "-g", GRAPH, "-f", file("bin.rq", BINARY)], 2,
      r"bin\.rq: not UTF-8"),
    Q("gbk-query-file", "-f names a query saved as GBK",
      ["query", "-g", GRAPH, "-f", file("gbk.rq", 'SELECT * WHERE { ?s ?p "公园" }'.encode("gbk"))], 2,
      r"gbk\.rq: not UTF-8"),
    Q("fifo-query-file", "-f names a FIFO (would hang)", ["query", "-g", GRAPH, "-f", special("q.rq", "fifo")], 2,
      r"q\.rq: is a FIFO \(named pipe\), not a regular file"),
    Q("dev-zero-query-file", "-f /dev/zero (endless)", ["query", "-g", GRAPH, "-f", "/dev/zero"], 2,
      r"/dev/zero: is a device"),
    Q("bom-query-file", "-f names a query with a UTF-8 BOM (accepted)",
      ["query", "-g", GRAPH, "--format", "csv", "-f", file("bom.rq", BOM + SELECT_ONE.encode())], 0),
    Q("long-literal", "a 1 MB literal in the query (accepted)",
      ["query", "-g", GRAPH, "--format", "csv", 'SELECT * WHERE { ?s ?p "' + "x" * 1_000_000 + '" }'], 0),
    Q("huge-numbers", "numbers beyond any machine type (accepted)",
      ["query", "-g", GRAPH, "--format", "csv",
       "SELECT * WHERE { ?s ?p ?o FILTER(?o > 1e999999 || ?o = " + "9" * 400 + ") }"], 0),
    Q("missing-graph", "--graph names no file", ["query", "-g", ROOT / "nope.ttl", SELECT_ONE], 2,
      r"nope\.ttl: no such graph file"),
    Q("malformed-graph", "--graph names malformed Turtle", ["query", "-g", file("bad.ttl", MALFORMED_TTL), SELECT_ONE],
      2, r"bad\.ttl: cannot parse"),
    Q("binary-graph", "--graph names a binary file", ["query", "-g", file("bin.nt", BINARY), SELECT_ONE], 2,
      r"bin\.nt: cannot parse"),
    Q("entity-bomb-graph", "--graph names RDF/XML with nested entities",
      ["query", "-g", file("lol.rdf", BILLION_LAUGHS_XML), SELECT_ONE], 2, r"declares XML entities"),
    Q("iri-param-newline", "-p with an IRI ending in a newline", ["query", "-g", GRAPH, "-p", "x=<http://a\n>",
      "SELECT * WHERE { ?s ?p $x }"], 2, r"is not an IRI"),
    Q("huge-values", "a VALUES block of 60,000 values (1 MB)", ["query", "-g", GRAPH, "-f", file("v.rq", values(60_000))],
      2, r"v\.rq: the query is too big to parse: more than 50,000 tokens"),
    Q("union-1000", "a flat UNION of 1,000 branches", ["query", "-g", GRAPH, "-f", file("u.rq", UNION_1000)], 2,
      r"u\.rq: the query is too big to parse: more than 256 UNION branches"),
    Q("slow-parse", "a query that takes longer to parse than --timeout",
      ["query", "-g", GRAPH, "--timeout", "1", "-f", file("v.rq", values(45_000))], 124,
      r"parsing the query was stopped after 1 s \(timeout\)"),
    Q("graph-on-rdflib", "GRAPH on the rdflib engine (one graph)",
      ["query", "-g", GRAPH, "--engine", "rdflib", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"], 1,
      r"GRAPH needs named graphs, and the rdflib engine holds one graph; use --engine oxigraph"),
    Q("bad-param", "--param without a value", ["query", "-g", GRAPH, "-p", "year", SELECT_ONE], 2,
      r"write NAME=VALUE"),
    Q("unknown-canned", "--name of no canned query", ["query", "-g", GRAPH, "--name", "no-such-query"], 2,
      r"no canned query named"),
    Q("ask-false", "an ASK query whose answer is no (exit 1 by design)",
      ["query", "-g", GRAPH, "ASK { ?s ?p 'no such literal anywhere' }"], 1, r"false", stdout_on_error=True),
    Q("timeout", "a cartesian product stopped by --timeout", ["query", "-g", GRAPH, "--timeout", "1", CARTESIAN],
      124, r"stopped after 1 s \(timeout\)"),
    Q("output-under-a-file", "-o below a regular file", ["query", "-g", GRAPH, "-o", GRAPH / "rows.csv", SELECT_ONE],
      1, r"cannot write .*rows\.csv.*not a directory"),
    Q("output-disk-full", "the disk fills up while -o is written (the old file stays)",
      ["query", "-g", GRAPH, "-o", file("rows.csv", "old rows\n"), SELECT_ONE], 1,
      r"No space left on device; nothing was changed", fault="enospc"),

    # viz
    Z("missing-graph", "--graph names no file", ["viz", "--graph", ROOT / "nope.ttl", "--out", OUT / "g.html"], 2,
      r"nope\.ttl"),
    Z("malformed-graph", "--graph names malformed Turtle",
      ["viz", "--graph", file("bad.ttl", MALFORMED_TTL), "--out", OUT / "g.html"], 2, r"bad\.ttl: cannot parse"),
    Z("empty-graph", "--graph names an empty file", ["viz", "--graph", file("empty.ttl", b""), "--out", OUT / "g.html"],
      2, r"no goals, measures"),
    Z("gbk-graph", "--graph names Turtle saved as GBK",
      ["viz", "--graph", file("gbk.ttl", graph_as_gbk), "--out", OUT / "g.html"], 2, r"gbk\.ttl: cannot parse"),
    Z("unknown-district", "--district the graph does not have",
      ["viz", "--graph", GRAPH, "--district", "浦东新区", "--out", OUT / "g.html"], 2, r"unknown district '浦东新区'"),
    Z("year-without-nodes", "--year with nothing in it",
      ["viz", "--graph", GRAPH, "--year", "1999", "--out", OUT / "g.html"], 2, r"no node of the graph is in year 1999"),
    Z("unknown-focus", "--focus on nothing",
      ["viz", "--graph", GRAPH, "--focus", "nothing-like-this", "--out", OUT / "g.html"], 2,
      r"no node 'nothing-like-this'"),
    Z("depth-without-focus", "--depth without --focus",
      ["viz", "--graph", GRAPH, "--depth", "3", "--out", OUT / "g.html"], 2, r"--depth needs --focus"),
    Z("html-labels", "labels with HTML and script (accepted; passed as data, never as HTML)",
      ["viz", "--graph", file("hostile.ttl", ttl_with_label(HOSTILE_LABEL)), "--out", OUT / "g.html"], 0,
      check=file_check("g.html", parse="html")),
    Z("out-under-a-file", "--out below a regular file", ["viz", "--graph", GRAPH, "--out", GRAPH / "g.html"], 1,
      r"cannot write .*g\.html"),
    Z("disk-full", "the disk fills up while the page is written (the old page stays)",
      ["viz", "--graph", GRAPH, "--out", file("g.html", "<p>old page</p>")], 1,
      r"No space left on device; nothing was changed", fault="enospc"),
    Z("read-only", "the output is on a read-only file system",
      ["viz", "--graph", GRAPH, "--out", file("g.html", "<p>old page</p>")], 1, r"Read-only file system",
      fault="erofs"),

    # extract
    X("missing-text", "a text file that does not exist", ["extract", ROOT / "nope.txt"], 2,
      r"nope\.txt' does not exist"),
    X("binary-text", "a binary file", ["extract", file("bin.txt", BINARY)], 2, r"bin\.txt:\d+: not UTF-8"),
    X("gbk-text", "a text saved as GBK, no --encoding", extract(file("gbk.txt", GBK_TEXT)), 2,
      r"looks like GBK/GB18030: pass --encoding gbk"),
    X("gbk-text-declared", "a text saved as GBK with --encoding gbk (accepted)",
      extract(file("gbk-ok.txt", GBK_TEXT), "--encoding", "gbk", "-o", OUTDIR), 0,
      check=file_check("gbk-ok.yaml", needle="ge", parse="record")),
    X("bom-text", "a text with a UTF-8 BOM (accepted)",
      extract(file("bom.txt", BOM + SHORT_TEXT.encode()), "-o", OUTDIR), 0,
      check=file_check("bom.yaml", parse="record")),
    X("empty-text", "an empty text (accepted: an empty draft)", extract(file("empty.txt", b""), "-o", OUTDIR), 0,
      check=file_check("empty.yaml", parse="record")),
    X("no-city", "a text that names no place, without --city (drafted, jurisdiction unknown)",
      ["extract", file("plain.txt", "一、事项\n完成3个。\n"), "--year", "2024"], 0, r"jurisdiction unknown"),
    X("unknown-city", "--city that names no division of China",
      ["extract", file("t.txt", SHORT_TEXT), "--city", "atlantis", "--year", "2030"], 2,
      r"--city atlantis: no administrative division is named 'atlantis'; nearest: "),
    X("unknown-encoding", "--encoding that does not exist",
      ["extract", file("t.txt", SHORT_TEXT), "--encoding", "klingon"], 2, r"unknown encoding"),
    X("malformed-gazetteer", "--gazetteer with malformed YAML",
      ["extract", file("t.txt", SHORT_TEXT), "--gazetteer", file("g.yaml", "city: [\n")], 1,
      r"g\.yaml:\d+: malformed YAML"),
    X("wrong-gazetteer", "--gazetteer of the wrong shape",
      ["extract", file("t.txt", SHORT_TEXT), "--gazetteer", file("g.yaml", "city: 1\n")], 1,
      r"a gazetteer needs `city:` and `divisions:`"),
    X("long-line", "one line of 200,000 characters (accepted)",
      extract(file("long.txt", "新建口袋公园12个，" * 20_000), "-o", OUTDIR), 0,
      check=file_check("long.yaml", parse="record")),
    X("huge-number", "a number with 5,000 digits (accepted, not kept)",
      extract(file("big.txt", "一、建设公园\n新建公园" + "9" * 5000 + "个。\n"), "-o", OUTDIR), 0,
      check=file_check("big.yaml", parse="record")),
    X("html-text", "a text with HTML and script in it (accepted)",
      extract(file("html.txt", f"一、{HOSTILE_LABEL}公园\n新建<b>口袋公园</b>12个。\n"), "-o", OUTDIR), 0,
      check=file_check("html.yaml", parse="record")),
    X("misnamed-output", "-o FILE not named after the document",
      extract(file("t.txt", SHORT_TEXT), "-o", OUT / "other.yaml"), 2, r"must be named after its document: t\.yaml"),
    X("output-under-a-file", "-o below a regular file", extract(file("t.txt", SHORT_TEXT), "-o", GRAPH / "t.yaml"), 1,
      r"cannot write .*t\.yaml"),
    X("disk-full", "the disk fills up while the draft is written (the old draft stays)",
      extract(file("t.txt", SHORT_TEXT), "-o", file("t.yaml", "old: draft\n")), 1, r"No space left on device",
      fault="enospc"),
    X("fifo-text", "a text that is a FIFO (would hang)", extract(special("t.txt", "fifo")), 2,
      r"t\.txt: is a FIFO \(named pipe\), not a regular file"),
    X("dev-zero", "kg extract /dev/zero (endless)", extract("/dev/zero"), 2, r"/dev/zero: is a device"),
    X("new-output-folder", "-o a folder that does not exist yet (accepted: created)",
      extract(file("t.txt", SHORT_TEXT), "-o", OUT / "drafts/"), 0, check=file_check("drafts/t.yaml", parse="record")),
    X("folder-without-texts", "a folder with no *.txt", ["extract", INPUTS, "-o", OUT], 2, r"no \*\.txt files"),

    # export
    E("unknown-format", "--format nobody knows", ["export", "--format", "xlsx", "--graph", GRAPH, "--out", OUT / "x"],
      2, r"Invalid value for --format: 'xlsx'"),
    E("missing-graph", "--graph names no file", ["export", "--format", "nt", "--graph", ROOT / "nope.ttl"], 2,
      r"nope\.ttl: no such"),
    E("malformed-graph", "--graph names malformed Turtle",
      ["export", "--format", "nt", "--graph", file("bad.ttl", MALFORMED_TTL)], 2, r"bad\.ttl: cannot parse"),
    E("binary-graph", "--graph names a binary file", ["export", "--format", "jsonld", "--graph", file("bin.ttl", BINARY)],
      2, r"bin\.ttl: cannot parse"),
    E("entity-bomb-graph", "--graph names RDF/XML with nested entities",
      ["export", "--format", "nt", "--graph", file("lol.rdf", BILLION_LAUGHS_XML)], 2, r"declares XML entities"),
    E("rdfxml-impossible", "RDF/XML of a predicate no XML name can hold",
      ["export", "--format", "rdfxml", "--graph", file("p.nt", NUMERIC_PREDICATE_NT), "--out", OUT / "x.rdf"], 2,
      r"cannot write this graph as rdfxml"),
    E("xml-control-characters", "RDF/XML of a literal with control characters",
      ["export", "--format", "rdfxml", "--graph", file("c.nt", CONTROL_LITERAL_NT), "--out", OUT / "x.rdf"], 2,
      r"U\+0001, which XML cannot"),
    E("graphml-control-characters", "GraphML of a label with control characters",
      ["export", "--format", "graphml", "--graph", file("c.ttl", ttl_with_label("公园\x07绿地", escape_controls=True)),
       "--out", OUT / "x.graphml"], 2, r"U\+0007, which XML cannot"),
    E("html-labels", "GraphML of labels with HTML and script (accepted, well-formed)",
      ["export", "--format", "graphml", "--graph", file("hostile.ttl", ttl_with_label(HOSTILE_LABEL)), "--out",
       OUT / "x.graphml"], 0, check=file_check("x.graphml", parse="xml")),
    E("out-under-a-file", "--out below a regular file",
      ["export", "--format", "nt", "--graph", GRAPH, "--out", GRAPH / "x.nt"], 1, r"cannot write .*x\.nt"),
    E("disk-full", "the disk fills up while --out is written (the old file stays)",
      ["export", "--format", "nt", "--graph", GRAPH, "--out", file("x.nt", "old\n")], 1,
      r"No space left on device; nothing was changed", fault="enospc"),
    E("read-only", "the output is on a read-only file system",
      ["export", "--format", "nt", "--graph", GRAPH, "--out", file("x.nt", "old\n")], 1, r"Read-only file system",
      fault="erofs"),

    # serve (each fails before a socket is opened)
    S("missing-graph", "--graph names no file", ["serve", "--graph", ROOT / "nope.ttl"], 2,
      r"nope\.ttl: no such graph file"),
    S("malformed-graph", "--graph names malformed Turtle", ["serve", "--graph", file("bad.ttl", MALFORMED_TTL)], 2,
      r"bad\.ttl: cannot parse"),
    S("binary-graph", "--graph names a binary file", ["serve", "--graph", file("bin.nt", BINARY)], 2,
      r"bin\.nt: cannot parse"),
    S("gbk-graph", "--graph names Turtle saved as GBK", ["serve", "--graph", file("gbk.ttl", graph_as_gbk)], 2,
      r"gbk\.ttl: cannot parse"),
    S("entity-bomb-graph", "--graph names RDF/XML with nested entities",
      ["serve", "--graph", file("lol.rdf", BILLION_LAUGHS_XML)], 2, r"declares XML entities"),
    S("xml-external-entity", "--graph names RDF/XML with an external entity (XXE)",
      ["serve", "--graph", file("xxe.rdf", XXE_XML)], 2, r"declares XML entities"),
    S("busy-port", "--port another program listens on", ["serve", "--graph", GRAPH, "--port", HELD_PORT], 2,
      r"in use"),
    S("foreign-host", "--host an address this machine does not have",
      ["serve", "--graph", GRAPH, "--host", "192.0.2.1", "--port", CLOSED_PORT], 2, r"192\.0\.2\.1"),
    S("port-out-of-range", "--port 70000", ["serve", "--graph", GRAPH, "--port", "70000"], 2,
      r"70000 is not in the range"),
    S("zero-timeout", "--timeout 0", ["serve", "--graph", GRAPH, "--timeout", "0"], 2, r"--timeout"),
    S("zero-workers", "--workers 0", ["serve", "--graph", GRAPH, "--workers", "0"], 2, r"--workers"),
    S("zero-rows", "--max-rows 0", ["serve", "--graph", GRAPH, "--max-rows", "0"], 2, r"--max-rows"),

    # push (against a stand-in store on loopback)
    P("missing-graph", "a graph file that does not exist", ["push", ROOT / "nope.ttl", "--endpoint", stub("/ok")], 2,
      r"nope\.ttl: no such graph"),
    P("malformed-graph", "malformed Turtle (nothing leaves the machine)",
      ["push", file("bad.ttl", MALFORMED_TTL), "--endpoint", stub("/ok")], 2, r"bad\.ttl: cannot parse"),
    P("binary-graph", "a binary file", ["push", file("bin.nt", BINARY), "--endpoint", stub("/ok")], 2,
      r"cannot parse"),
    P("empty-graph", "an empty file (would empty the store's graph)",
      ["push", file("empty.ttl", b""), "--endpoint", stub("/ok")], 2,
      r"holds no triples; pushing it would empty the graph"),
    P("entity-bomb-graph", "RDF/XML with nested entities",
      ["push", file("lol.rdf", BILLION_LAUGHS_XML), "--endpoint", stub("/ok")], 2, r"declares XML entities"),
    P("ftp-endpoint", "an ftp:// endpoint", ["push", GRAPH, "--endpoint", "ftp://127.0.0.1/x"], 2,
      r"not an http\(s\) URL"),
    P("garbage-endpoint", "an endpoint that is not a URL", ["push", GRAPH, "--endpoint", "not a url"], 2,
      r"not an http\(s\) URL"),
    P("bad-graph-iri", "--graph that is not an IRI",
      ["push", GRAPH, "--endpoint", stub("/ok"), "--graph", "not an iri"], 2,
      r"--graph 'not an iri': not an absolute IRI"),
    P("connection-refused", "nothing listens on the endpoint's port",
      ["push", GRAPH, "--endpoint", url("http://127.0.0.1:{port}/data")], 1, r"cannot connect .*Nothing was sent"),
    P("store-error", "the store answers 500 with an HTML page", ["push", GRAPH, "--endpoint", stub("/fail")], 1,
      r"HTTP 500 .*Store error disk quota exceeded"),
    P("needs-credentials", "the store wants credentials, none given", ["push", GRAPH, "--endpoint", stub("/auth")],
      1, r"pass --user and --password"),
    P("wrong-credentials", "the store refuses the credentials",
      ["push", GRAPH, "--endpoint", stub("/auth"), "--user", "u", "--password", "p"], 1, r"refused user 'u'"),
    P("store-too-slow", "the store does not answer within --timeout",
      ["push", GRAPH, "--endpoint", stub("/slow"), "--timeout", "1"], 1, r"within 1 s"),
    P("connection-reset", "the store drops the connection without an answer",
      ["push", GRAPH, "--endpoint", stub("/reset")], 1, r"PUT .*reset"),
    P("pushed", "a good graph to a store that takes it (accepted)", ["push", GRAPH, "--endpoint", stub("/ok")], 0,
      check=pushed),
]

COMMANDS = ["build", "validate", "query", "viz", "extract", "export", "serve", "push"]
