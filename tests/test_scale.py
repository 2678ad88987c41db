"""Scale: the synthetic corpus, the two store backends, their identical exports and query answers.

Correctness only, on small graphs (the seed graph, a ~10k-triple synthetic corpus); speed lives in
benchmarks/bench.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg import paths
from kg.cli import cli
from kg.export import to_ntriples
from kg.records import load_records
from kg.sources import load_sources
from kg.store import OxigraphStore, RdflibStore, StoreSpec, build_store, load_store, shacl_sample
from kg.synth import Plan, plan_for_triples, synthesize


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """1 city × 2 years (2023, 2024): about 10k triples (Shenyang's real gazetteer, made-up reports)."""
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synthesize(Plan(cities=1, years=2, seed=7), out)
    return out


@pytest.fixture(scope="module")
def small_corpus(small):
    corpus = load_records(small / "records")
    return corpus, load_sources(small / "sources", corpus)


# --------------------------------------------------------------------------------------------------------------
# kg synth


def test_synth_is_deterministic_and_seed_dependent(tmp_path, small):
    again = tmp_path / "again"
    synthesize(Plan(cities=1, years=2, seed=7), again)
    assert tree_digest(again) == tree_digest(small)
    other = tmp_path / "other"
    synthesize(Plan(cities=1, years=2, seed=8), other)
    assert tree_digest(other) != tree_digest(small)


def test_a_document_does_not_depend_on_the_corpus_size(tmp_path, small):
    bigger = tmp_path / "bigger"
    synthesize(Plan(cities=3, years=2, seed=7), bigger)
    ours = tree_digest(small)
    theirs = tree_digest(bigger)
    for name, digest in ours.items():
        if name.startswith(("records/", "sources/")):
            assert theirs[name] == digest, name


def test_synth_records_follow_the_schema_and_point_into_their_texts(small, small_corpus):
    corpus, sources = small_corpus
    assert len(corpus.records) == 2 and len(sources) == 2  # every text present and checked (sha256, spans)
    assert {r.document.city for r in corpus.records} == {"shenyang"}
    kinds, units, districts = set(), set(), 0
    for r in corpus.records:
        text = sources[r.document.id].text
        assert r.document.chars == len(text)
        for m in r.measures:
            assert m.label in text[m.span.start:m.span.end]
            districts += bool(m.districts)
            for s in m.statements:
                assert s.as_written in text[s.span.start:s.span.end]
                kinds.add(s.kind)
                units.add(s.unit)
        for f in r.facilities:
            assert text[f.span.start:f.span.end] == f.label
        for d in r.district_mentions:
            gaz = corpus.vocab.gazetteers[r.document.city]
            assert gaz.lookup(text[d.span.start:d.span.end]).key == d.district
    assert kinds == {"target", "outcome"}
    assert len(units) >= 8 and districts >= 10


def test_synth_graph_conforms_to_the_shapes(small):
    from kg.pipeline import build

    result = build(small / "records", sources_dir=small / "sources", store="rdflib", shacl="all")
    assert result.shacl == "all"
    assert result.class_counts()["sy:Document"] == 2


def test_no_made_up_city_is_minted_as_a_real_one():
    """A made-up city with a real city's key and name (白城市, baicheng) is minted from the divisions table, so
    its made-up districts went untyped: 1,086 SHACL violations in `kg synth --triples 10000000 --seed 1`."""
    from kg.divisions import divisions
    from kg.synth import synth_gazetteers

    table = divisions()
    cities = synth_gazetteers(217, 1)[1:]  # the 10M corpus's made-up cities
    assert len(cities) == 216
    assert not [g.city.key for g in cities if table.of_gazetteer(g.city.key, g.city.zh)]


def test_plan_for_triples():
    assert plan_for_triples(10_000) == Plan(1, 2, 0)
    p = plan_for_triples(1_000_000, seed=3)
    assert p.years == 10 and p.seed == 3 and 180 <= p.documents <= 250
    assert plan_for_triples(5_000_000).documents >= 1000


def test_synth_cli(runner, tmp_path):
    out = tmp_path / "c"
    result = runner.invoke(cli, ["synth", "--cities", "1", "--years", "2", "--seed", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 2 documents (1 city × 2 years, 2023–2024, seed 1)" in result.output
    assert "\x1b[" not in result.output  # no progress bar drawn when not on a terminal
    assert json.loads((out / "synth.json").read_text())["documents"] == 2
    # a smaller corpus over a bigger one drops the documents it no longer has
    assert runner.invoke(cli, ["synth", "--cities", "1", "--years", "1", "-o", str(out), "-q"]).exit_code == 0
    assert [p.name for p in (out / "records").iterdir()] == ["synth-shenyang-2024.yaml"]
    bad = runner.invoke(cli, ["synth", "--triples", "100", "--cities", "2", "-o", str(out)])
    assert bad.exit_code == 2 and "not both" in bad.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    refused = runner.invoke(cli, ["synth", "--cities", "1", "-o", str(tmp_path / "mine")])
    assert refused.exit_code == 2 and "not a kg synth directory" in refused.output


# --------------------------------------------------------------------------------------------------------------
# Store backends


def test_store_spec():
    assert StoreSpec.parse("oxigraph:/tmp/x") == StoreSpec("oxigraph", Path("/tmp/x"))
    assert StoreSpec.parse(None).resolve(10) == "rdflib"
    assert StoreSpec.parse("auto").resolve(10**6) == "oxigraph"
    assert StoreSpec.parse("rdflib").resolve(10**7) == "rdflib"


def test_bad_store_option(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--store", "virtuoso", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "use auto, rdflib, oxigraph or oxigraph:PATH" in result.output


@pytest.mark.parametrize("which", ["seed", "synth"])
def test_both_backends_write_the_same_ntriples(which, built, small_corpus):
    corpus, sources = (built.corpus, load_sources(paths.default_sources(), built.corpus)) if which == "seed" \
        else small_corpus
    slow = build_store(corpus, sources=sources, store="rdflib")
    fast = build_store(corpus, sources=sources, store="oxigraph")
    assert isinstance(slow, RdflibStore) and isinstance(fast, OxigraphStore)
    nt = to_ntriples(slow.native)  # what rdflib writes for the rdflib graph
    assert fast.ntriples() == slow.ntriples() == nt  # byte-identical: same lines, same order
    assert len(fast) == len(slow) == nt.count(b"\n")
    assert fast.class_counts() == slow.class_counts()
    # Turtle: pyoxigraph's writer on both backends, deterministic, the same graph
    ttl = fast.serialize("turtle")
    assert slow.serialize("turtle") == ttl
    assert isomorphic(Graph().parse(data=ttl, format="turtle"), slow.native)
    assert build_store(corpus, sources=sources, store="oxigraph").serialize("turtle") == ttl
    prefixes = [line for line in ttl.split(b"\n") if line.startswith(b"@prefix")]
    assert prefixes == sorted(prefixes)


def test_a_loaded_store_exports_the_literals_as_written(tmp_path, built):
    """oxigraph keeps literals by value (xsd:nonNegativeInteger → xsd:integer, 475.0 → 475); exports must not."""
    nt = RdflibStore(built.graph).ntriples()
    f = tmp_path / "g.nt"
    f.write_bytes(nt)
    loaded = load_store(f, "oxigraph")
    assert loaded.ntriples() == nt
    assert b"XMLSchema#nonNegativeInteger>" in nt and re.search(rb'"\d+\.0"\^\^<[^>]*#decimal>', nt)
    (tmp_path / "g.ttl").write_bytes(RdflibStore(built.graph).serialize("turtle"))
    assert load_store(tmp_path / "g.ttl", "oxigraph").ntriples() == nt


def _canned_params(name: str, corpus) -> dict[str, str]:
    """Parameters that exist in this corpus (canned defaults name Shenyang's 2022/2023)."""
    years = sorted({r.document.year for r in corpus.records})
    return {"compare-years": {"from": str(years[0]), "to": str(years[-1])},
            "plan-vs-outcome": {"year": str(years[0])},  # outcomes about it come in the next year's report
            "indicators": {"year": str(years[-1])},
            "targets-by-year": {"year": str(years[-1])}}.get(name, {})


@pytest.mark.parametrize("which", ["seed", "synth"])
def test_every_canned_query_answers_the_same_on_both_backends(which, built, small_corpus):
    from kg import query as q
    from kg.store import add_ontology

    corpus, sources = (built.corpus, load_sources(paths.default_sources(), built.corpus)) if which == "seed" \
        else small_corpus
    queries = q.canned_queries()
    assert len(queries) >= 10
    slow = build_store(corpus, sources=sources, store="rdflib").native
    slow += Graph().parse(paths.ONTOLOGY)  # as `kg query` sees it: data + ontology
    fast = build_store(corpus, sources=sources, store="oxigraph").native
    add_ontology(fast)
    nonempty = 0
    for name, canned in sorted(queries.items()):
        params = _canned_params(name, corpus) if which == "synth" else {}
        a = q.run(slow, canned, params)
        b = q.run(fast, canned, params)
        assert a.kind == b.kind, name
        if a.kind in ("construct", "describe"):
            ga, gb = Graph(), Graph()
            for t in a.triples:
                ga.add(t)
            for t in b.triples:
                gb.add(t)
            assert isomorphic(ga, gb), name
            nonempty += len(ga) > 0
        elif a.kind == "ask":
            assert a.boolean == b.boolean, name
        else:
            assert a.vars == b.vars, name
            # the same rows; their order may differ only among ties of an ORDER BY (engines break ties freely)
            assert sorted(map(_row, a.rows)) == sorted(map(_row, b.rows)), name
            nonempty += len(a.rows) > 0
    assert nonempty >= len(queries) - 2  # the comparison is not vacuous (ASK queries do not count)


def _row(row: dict) -> tuple:
    return tuple((k, repr(v)) for k, v in sorted(row.items()))  # term type, lexical form, datatype, language


def test_shacl_sample_spreads_over_cities_and_brings_facility_definitions(tmp_path):
    out = tmp_path / "c"
    synthesize(Plan(cities=3, years=3, seed=2), out)
    corpus = load_records(out / "records")
    sample = shacl_sample(corpus, 3)
    cities = {r.document.city for r in corpus.records}
    assert "shenyang" in cities and len(cities) == 3  # the real gazetteer and two made-up ones
    picked = [r.document.id for r in sample.records if r.goals]
    assert len(picked) == 3 and len({r.split("-")[1] for r in picked}) == 3  # one per city here
    defined = {f.id for r in sample.records for f in r.facilities}
    used = {fid for r in sample.records for m in r.measures for fid in m.facilities}
    assert used <= defined
    assert shacl_sample(corpus, 100) is corpus


def test_build_on_oxigraph_cli_and_query_the_on_disk_store(runner, tmp_path, small):
    store_dir = tmp_path / "store"
    args = ["build", "--records", str(small / "records"), "--sources", str(small / "sources"),
            "--out", str(tmp_path / "out"), "--store", f"oxigraph:{store_dir}", "--shacl", "sample"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"store: oxigraph ({store_dir}); SHACL checked all" in result.output  # 2 documents: the sample is all
    assert (store_dir / "CURRENT").exists() and not list(tmp_path.glob(".store.partial-*"))
    rdflib_out = tmp_path / "rdflib"
    assert runner.invoke(cli, args[:5] + ["--out", str(rdflib_out), "--store", "rdflib", "-q"]).exit_code == 0
    assert (tmp_path / "out" / "shenyang.nt").read_bytes() == (rdflib_out / "shenyang.nt").read_bytes()
    # a second build replaces the store
    assert runner.invoke(cli, args + ["-q"]).exit_code == 0
    year = max(r.document.year for r in load_records(small / "records").records)
    answers = []
    for graph in (str(store_dir), str(rdflib_out / "shenyang.nt")):
        res = runner.invoke(cli, ["query", "--name", "targets-by-year", "--param", f"year={year}", "-g", graph,
                                  "--format", "csv"])
        assert res.exit_code == 0, res.output
        answers.append(res.output)
    assert answers[0] == answers[1] and answers[0].count("\n") > 10


def test_export_from_either_backend_is_the_same(runner, tmp_path, built):
    nt = tmp_path / "g.nt"
    nt.write_bytes(RdflibStore(built.graph).ntriples())
    outs = {}
    for store in ("rdflib", "oxigraph"):
        res = runner.invoke(cli, ["export", "--format", "nt", "--graph", str(nt), "--store", store,
                                  "--out", str(tmp_path / f"{store}.nt")])
        assert res.exit_code == 0, res.output
        outs[store] = (tmp_path / f"{store}.nt").read_bytes()
    assert outs["rdflib"] == outs["oxigraph"] == nt.read_bytes()


def test_plan_vs_outcome_pairs_a_city_with_its_own_outcomes(tmp_path):
    """Two cities report the same categories: a target is checked against its own city's outcomes only."""
    from kg import query as q
    from kg.store import add_ontology

    synthesize(Plan(cities=2, years=2, seed=8), tmp_path / "c")  # a seed where both cities report outcomes
    corpus = load_records(tmp_path / "c" / "records")
    store = build_store(corpus, sources=load_sources(tmp_path / "c" / "sources", corpus), store="oxigraph").native
    add_ontology(store)
    first_year = min(r.document.year for r in corpus.records)
    rows = q.run(store, q.canned("plan-vs-outcome"), {"year": str(first_year)}).values()
    city_of = {r["doc"]: r["city"] for r in q.run(store, """SELECT ?doc ?city WHERE {
        ?d a sy:Document ; dcterms:identifier ?doc ; sy:city/rdfs:label ?city FILTER(LANG(?city) = "zh") }""").values()}
    assert len(set(city_of.values())) == 2 and rows
    assert {r["jurisdiction"] for r in rows} == set(city_of.values())
    assert all(city_of[r["outcome_source"]] == r["jurisdiction"] for r in rows)
    # every pairing of the same city, category, unit, basis and year is there, and no other
    pairs = q.run(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{
        ?t a sy:Target ; sy:measure/sy:category ?c ; sy:unit ?u ; sy:year ?y ; prov:hadPrimarySource/sy:city ?city .
        ?o a sy:Outcome ; sy:measure/sy:category ?c ; sy:unit ?u ; sy:year ?y ; prov:hadPrimarySource/sy:city ?city .
        ?y rdfs:label "{first_year}"@en .
        FILTER NOT EXISTS {{ ?t sy:comparator ?x FILTER(?x IN (sy:IncreaseBy, sy:DecreaseBy))
                             FILTER NOT EXISTS {{ ?o sy:comparator ?x }} }}
        FILTER NOT EXISTS {{ ?o sy:comparator ?x FILTER(?x IN (sy:IncreaseBy, sy:DecreaseBy))
                             FILTER NOT EXISTS {{ ?t sy:comparator ?x }} }} }}""").values()[0]["n"]
    assert len(rows) == pairs
