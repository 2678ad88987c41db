"""Full SHACL of a big graph the fast way (kg.pipeline.shacl_all): parts of documents, made and checked side by
side in worker processes, each without the triples no shape looks at (kg.validate.Visible). It must report
exactly what the whole graph gives, and what pySHACL gives: the same focus nodes, paths and messages, with a
violation of many shapes planted in different documents (so in different parts), on the seeds and on a
synthetic corpus. Speed is measured in benchmarks/speed_bench.py (shacl-build), not here."""

from __future__ import annotations

import pytest

from kg import paths, pipeline
from kg.namespaces import DEFAULT_BASE
from kg.records import load_records
from kg.sources import load_sources
from kg.store import shacl_batches
from kg.synth import Plan, synthesize
from kg.validate import Visible, validate_graph, validate_parts, visible

SY = "https://w3id.org/shenyang-policy/ontology#"
A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"


@pytest.fixture(scope="module")
def synth_corpus(tmp_path_factory):
    """Three made-up city reports (about 15k triples), with their source texts."""
    out = tmp_path_factory.mktemp("shacl-fast") / "corpus"
    synthesize(Plan(cities=1, years=3, seed=5), out)
    corpus = load_records(out / "records")
    return corpus, load_sources(out / "sources", corpus)


@pytest.fixture(params=["seed", "synth"])
def corpus(request, built, source_dirs, synth_corpus):
    if request.param == "seed":
        return built.corpus, load_sources(source_dirs, built.corpus)
    return synth_corpus


def _lines(nt: bytes | str) -> list[str]:
    return (nt if isinstance(nt, str) else nt.decode("utf-8")).splitlines()


def _subject_of(kind: str, lines: list[str], nth: int | None) -> str:
    """The nth node (sorted; None: the middle one) with rdf:type sy:<kind>, as an N-Triples term."""
    found = sorted({ln.split(" ", 1)[0] for ln in lines if ln.endswith(f"{A} <{SY}{kind}> .")})
    return found[len(found) // 2 if nth is None else nth % len(found)]


def _planting(lines: list[str]) -> tuple[dict, dict[str, str]]:
    """Edits planting a violation of many shapes, on nodes of different documents (first, middle and last of
    the sorted nodes), and what each must be reported as. Edits are by subject: (a predicate whose lines to drop, or a
    line to drop, or None; a line to add or None); a part gets the edits of the subjects it holds."""
    measures = [_subject_of("Measure", lines, i) for i in (0, -1)]
    statements = [_subject_of("QuantifiedStatement", lines, i) for i in (0, None, -1, -5)]
    goal, doc = _subject_of("Goal", lines, -1), _subject_of("Document", lines, -1)
    district = _subject_of("District", lines, 0)
    span = sorted(ln.split(" ")[2] for ln in lines
                  if ln.startswith(measures[1] + " <http://www.w3.org/ns/prov#wasDerivedFrom> "))[0]
    selector = sorted(ln.split(" ")[2] for ln in lines if ln.startswith(span + " <http://www.w3.org/ns/oa#hasSelector> "))[0]
    edits = {
        measures[0]: [(f"<{SY}underGoal>", None)],
        measures[1]: [(None, f'{measures[1]} <{SY}district> "not a district" .')],
        statements[0]: [(None, f'{statements[0]} <{SY}value> "1.5" .')],
        statements[1]: [(f"{statements[1]} {A} <{SY}Target> .", None), (f"{statements[1]} {A} <{SY}Outcome> .", None),
                        (None, f"{statements[1]} {A} <http://www.w3.org/ns/oa#TextQuoteSelector> .")],
        statements[2]: [(None, f"{statements[2]} <{SY}comparator> <{SY}Roughly> .")],
        statements[3]: [(f"<{SY}unit>", f'{statements[3]} <{SY}unit> "km" .')],
        goal: [(None, f'{goal} {LABEL} "but"@fr .')],
        doc: [(f"<{SY}sha256>", f'{doc} <{SY}sha256> "not-a-checksum" .')],
        district: [(None, f'{district} {LABEL} "again"@en .')],
        selector: [(None, f'{selector} <http://www.w3.org/ns/oa#exact> "{"字" * 90}" .')],
    }
    expected = {
        "measure without goal": "every measure has exactly one goal",
        "literal district": "districts come from the gazetteer",
        "string value": "xsd:decimal sy:value",
        "neither target nor outcome (its types replaced by one no shape names)": "is either a sy:Target or a sy:Outcome",
        "unknown comparator": "comparators come from the closed sy:Comparators scheme",
        "literal unit": "exactly one unit",
        "French label": "a goal needs a zh label",
        "bad checksum": "SHA-256",
        "two en labels on a district every part holds": "a district has one zh and one en label",
        "long quote behind a span (sh:node)": "quotes (oa:exact) stay short",
    }
    return edits, expected


def _plant(nt: bytes | str, edits: dict) -> str:
    lines = _lines(nt)
    held = {ln.split(" ", 1)[0] for ln in lines}
    out = []
    for ln in lines:
        subject, predicate = ln.split(" ", 2)[:2]
        if any(drop in (predicate, ln) for drop, _ in edits.get(subject, ())):
            continue
        out.append(ln)
    out += [add for subject, changes in edits.items() if subject in held for _, add in changes if add]
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_parts_report_what_the_whole_graph_and_pyshacl_report(corpus):
    """Parts of one document each, the unseen triples left out, checked by two worker processes: the report
    of the whole graph with every triple, and pySHACL's, with violations planted in different parts."""
    corpus, sources = corpus
    whole = pipeline._ntriples(corpus, DEFAULT_BASE, sources)
    edits, expected = _planting(_lines(whole))
    seen = visible()
    parts = [_plant(pipeline._shacl_ntriples(part, DEFAULT_BASE, sources, seen), edits)
             for part in shacl_batches(corpus, 1)]
    assert len(parts) == len(corpus.records) > 1
    first = next(shacl_batches(corpus, 1))  # triples left out (prov:hadPrimarySource, selector types…)
    assert len(_lines(pipeline._shacl_ntriples(first, DEFAULT_BASE, sources, seen))) < len(
        _lines(pipeline._ntriples(first, DEFAULT_BASE, sources)))
    planted = _plant(whole, edits)
    reference = validate_graph(planted)
    assert reference == validate_graph(planted, engine="pyshacl")
    assert validate_parts(parts, jobs=2) == reference
    assert validate_parts(iter(parts), jobs=1) == reference
    said = [f"{v.path} {v.message}" for v in reference]
    missing = {what: text for what, text in expected.items() if not any(text in s for s in said)}
    assert not missing, "\n".join(said)
    homes = {min(i for i, p in enumerate(parts) if subject + " " in p) for subject in edits}
    assert len(homes) >= 3  # the planted violations are spread over parts


def test_the_shapes_see_less_than_the_graph(corpus):
    """What the parts leave out is never read by a shape: no predicate the shapes name, no type of a class
    they name (or of its subclasses: sy:District is a sy:AdministrativeArea)."""
    corpus, sources = corpus
    seen = visible()
    assert seen is not None and seen.types is not None
    assert f"{SY}District" in seen.types and f"{SY}AdministrativeArea" in seen.types
    assert "http://www.w3.org/ns/oa#TextQuoteSelector" not in seen.types
    assert "http://www.w3.org/ns/prov#hadPrimarySource" not in seen.predicates
    full = set(_lines(pipeline._ntriples(corpus, DEFAULT_BASE, sources)))
    kept = set(_lines(pipeline._shacl_ntriples(corpus, DEFAULT_BASE, sources, seen)))
    assert kept < full
    for ln in full - kept:
        _, p, o = ln[:-2].split(" ", 2)
        assert p[1:-1] not in seen.predicates or (p == A and o[1:-1] not in seen.types), ln
    assert pipeline._shacl_ntriples(corpus, DEFAULT_BASE, sources, None).encode() == pipeline._ntriples(
        corpus, DEFAULT_BASE, sources)


SHAPES_HEAD = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sy: <https://w3id.org/shenyang-policy/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""


@pytest.mark.parametrize("shape, sees", [
    ("sy:S a sh:NodeShape ; sh:targetClass sy:Goal ; sh:closed true .", None),  # every predicate of a node
    ("sy:S a sh:NodeShape ; sh:targetClass sy:Goal ; sh:sparql [ sh:select \"SELECT $this WHERE {}\" ] .", None),
    ("sy:S a sh:NodeShape ; sh:targetClass sy:Goal ; sh:property [ sh:path rdf:type ; sh:maxCount 1 ] .",
     "every type"),  # every rdf:type value counts
    ("sy:S a sh:NodeShape ; sh:targetSubjectsOf rdf:type .", "every type"),
    ("sy:S a sh:NodeShape ; sh:targetClass sy:Goal ; sh:property [ sh:path rdf:type ; sh:hasValue sy:Goal ] .",
     "some types"),
])
def test_shapes_that_look_at_more_keep_more(tmp_path, shape, sees):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES_HEAD + shape + "\n", encoding="utf-8")
    seen = visible(shapes)
    if sees is None:
        assert seen is None
    else:
        assert isinstance(seen, Visible) and (seen.types is None) == (sees == "every type")


def test_a_build_above_the_part_size_checks_every_part(monkeypatch, source_dirs):
    """`kg build` on a graph above twice SHACL_PART_TRIPLES hands every document to the parts (each with the
    facility definitions it uses), in worker processes."""
    monkeypatch.setattr(pipeline, "SHACL_PART_TRIPLES", 1000)
    calls = []
    real = pipeline.validate_parts

    def spy(parts, **kwargs):
        parts = list(parts)
        calls.append((len(parts), kwargs))
        return real(parts, **kwargs)

    monkeypatch.setattr(pipeline, "validate_parts", spy)
    result = pipeline.build(paths.RECORDS, sources_dir=source_dirs, store="oxigraph", jobs=2)
    assert result.shacl == "all" and calls == [(len(result.corpus.records), {"jobs": 2})]
