"""How long the HTML graph takes to become interactive, on generated graphs of 500, 2,000 and 5,000 nodes.

For each size: generate an RDF graph shaped like the real one (years → goal trees → measures → statements,
districts, facilities), render it with `kg.viz.render_html`, open the file in headless Chromium with every
non-file request blocked, and time until the page reports its first drawing after the capped stabilisation
(physics then frozen). Prints a table with ratios against the 500-node baseline.

    python benchmarks/viz_bench.py                 # 500 2000 5000, best of 2 runs each
    python benchmarks/viz_bench.py --sizes 500 5000 --repeat 3 --chromium /usr/bin/chromium

Needs Debian's chromium (or any Chromium binary) and the Python `playwright` package (no browser download).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.namespaces import SY  # noqa: E402
from kg.viz import render_html, to_networkx  # noqa: E402

BASE = "https://example.org/bench/"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DISTRICTS = ["和平区", "沈河区", "大东区", "皇姑区", "铁西区", "苏家屯区", "浑南区", "沈北新区", "于洪区",
             "辽中区", "新民市", "法库县", "康平县"]
WORDS = "建设 改造 提升 新增 推进 完善 培育 打造 实施 开展 道路 学校 医院 公园 管网 社区 产业 园区 服务 项目".split()


def synthetic_graph(n_nodes: int, seed: int = 1) -> Graph:
    """An RDF graph of about n_nodes projected nodes with the real graph's proportions (deterministic)."""
    rnd = random.Random(seed)
    g = Graph()
    ds = URIRef(BASE + "dataset")
    g.add((ds, RDF.type, OWL.Ontology))
    g.add((ds, RDFS.label, Literal(f"生成图 {n_nodes}", lang="zh")))

    def node(kind: str, key, cls, zh: str, en: str | None = None) -> URIRef:
        iri = URIRef(f"{BASE}{kind}/{key}")
        g.add((iri, RDF.type, cls))
        g.add((iri, RDFS.label, Literal(zh, lang="zh")))
        if en:
            g.add((iri, RDFS.label, Literal(en, lang="en")))
        return iri

    def phrase() -> str:
        return "".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 4)))

    city = node("district", "city", SY.City, "沈阳市", "Shenyang")
    districts = []
    for i, name in enumerate(DISTRICTS):
        d = node("district", i, SY.District, name, f"District {i}")
        g.add((d, SY.inCity, city))
        districts.append(d)
    years = {y: node("year", y, SY.Year, f"{y}年", str(y)) for y in (2022, 2023)}
    fixed = 1 + len(districts) + len(years)
    budget = max(n_nodes - fixed, 10)
    n_goals, n_facilities = budget * 21 // 100, budget * 9 // 100
    n_measures = budget * 44 // 100
    n_statements = budget - n_goals - n_facilities - n_measures
    goals = []
    levels: dict[tuple[int, int], list[URIRef]] = {}  # (year, level) → goals; reports nest 3 levels deep
    for i in range(n_goals):
        year = 2022 if i % 2 == 0 else 2023
        level = 0 if i < 12 else 1 if i < 12 + n_goals // 4 else 2
        gnode = node("goal", i, SY.Goal, f"{phrase()}{i}", f"Goal {i}")
        g.add((gnode, SY.year, years[year]))
        if level:
            g.add((gnode, SY.subGoalOf, rnd.choice(levels[(year, level - 1)])))
        levels.setdefault((year, level), []).append(gnode)
        goals.append((gnode, year))
    facilities = []
    for i in range(n_facilities):
        f = node("facility", i, SY.Facility, f"{phrase()}馆{i}", f"Facility {i}")
        g.add((f, SY.district, rnd.choice(districts)))
        facilities.append(f)
    measures = []
    for i in range(n_measures):
        goal, year = rnd.choice(goals)
        m = node("measure", i, SY.Measure, f"{phrase()}{i}", f"Measure {i}")
        g.add((m, SY.underGoal, goal))
        g.add((m, SY.year, years[year]))
        if rnd.random() < 0.15:
            g.add((m, SY.district, rnd.choice(districts)))
        if facilities and rnd.random() < 0.2:
            g.add((m, SY.facility, rnd.choice(facilities)))
        measures.append((m, year))
    for i in range(n_statements):
        m, year = rnd.choice(measures)
        value = rnd.randint(1, 5000)
        s = node("statement", i, SY.Target, f"{phrase()} {value}个")
        g.add((s, RDF.type, SY.QuantifiedStatement))
        g.add((s, SY.measure, m))
        g.add((s, SY.year, years[year]))
        g.add((s, SY.value, Literal(f"{value}.0", datatype=XSD.decimal)))
        g.add((s, SY.asWritten, Literal(f"{value}个")))
    return g


def time_page(browser, path: Path, timeout_s: float = 180.0) -> dict:
    """Open the page, wait until it has drawn after stabilising; in-page times are from navigation start."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    external = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (external.append(route.request.url), route.abort()))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    deadline = t0 + timeout_s
    while not page.evaluate("() => !!(window.kgViz && window.kgViz.state.stable)"):
        if errors or time.perf_counter() > deadline:
            context.close()
            raise RuntimeError(f"{path.name}: page never stabilised ({errors or 'timeout'})")
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    state = page.evaluate("() => { const s = kgViz.state; return {start: s.startMs, stabilized: s.stabilizedMs,"
                          " ready: s.readyMs, nodes: kgViz.nodes.length, edges: kgViz.edges.length} }")
    # interactive: a filter change and a search are answered promptly once the picture is frozen
    t1 = time.perf_counter()
    page.evaluate("() => { kgViz.state.year = '2023'; kgViz.applyFilters(false); kgViz.reset(); }")
    filter_s = time.perf_counter() - t1
    context.close()
    if external:
        raise RuntimeError(f"{path.name}: the page tried to load {external[:3]}")
    return {"wall": wall, "ready": state["ready"] / 1000, "script": state["start"] / 1000,
            "layout": (state["stabilized"] - state["start"]) / 1000, "filter": filter_s,
            "nodes": state["nodes"], "edges": state["edges"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--repeat", type=int, default=2, help="runs per size; the best is reported")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--keep", type=Path, help="directory to keep the generated pages in")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="kg-viz-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
        for size in args.sizes:
            t = time.perf_counter()
            G = to_networkx(synthetic_graph(size))
            html = render_html(G).encode("utf-8")
            build_s = time.perf_counter() - t
            path = out_dir / f"bench-{size}.html"
            path.write_bytes(html)
            runs = [time_page(browser, path) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["ready"])
            rows.append({"size": size, "build": build_s, "mb": len(html) / 1e6, **best})
            print(f"  {size} nodes: ready in {best['ready']:.2f} s", file=sys.stderr)
        browser.close()

    base = rows[0]
    print(f"{'nodes':>6} {'edges':>6} {'html MB':>8} {'python s':>9} {'script s':>9} {'layout s':>9} "
          f"{'ready s':>8} {'x base':>7} {'filter s':>9}")
    for r in rows:
        print(f"{r['nodes']:>6} {r['edges']:>6} {r['mb']:>8.2f} {r['build']:>9.2f} {r['script']:>9.2f} "
              f"{r['layout']:>9.2f} {r['ready']:>8.2f} {r['ready'] / base['ready']:>7.2f} {r['filter']:>9.3f}")
    print("ready = navigation start → first drawing after the capped stabilisation (physics then frozen); "
          f"ratios vs {base['nodes']} nodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
