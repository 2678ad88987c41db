"""How fast the HTML graph draws and answers, on generated graphs of 500, 2,000 and 5,000 nodes.

For each size: generate an RDF graph shaped like the real one (years → goal trees → measures → statements,
districts, facilities), render it with `kg.viz.render_html`, open the file in headless Chromium with every
non-file request blocked, and time (with the page's own clock): navigation start → first frame drawn; a click
on a filter (year, a legend class, the layout view) → the next frame drawn; a zoom-to-node and a
zoom-to-fit animation → its last frame. Prints a table with ratios against the smallest size, and the load.

    python benchmarks/viz_bench.py                         # 500 2000 5000, best of 2 runs each
    python benchmarks/viz_bench.py --sizes 500 5000 --repeat 3 --screenshots /tmp/shots

`--screenshots DIR` writes, per size, the overview, a year filter, a search result and a phone (390×844) view.
Needs Debian's chromium (or any Chromium binary) and the Python `playwright` package (no browser download).
"""

from __future__ import annotations

import argparse
import os
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


def _wait(page, predicate: str, timeout_s: float, errors: list) -> None:
    deadline = time.perf_counter() + timeout_s
    while not page.evaluate(predicate):
        if errors or time.perf_counter() > deadline:
            raise RuntimeError(f"page never got to {predicate} ({errors or 'timeout'})")
        time.sleep(0.02)


#: One user action on the page, then the time until the next frame has been drawn (in-page clock: our
#: requestAnimationFrame callback runs after the page's own, which draws the new view).
CLICK = """async ([selector, value]) => {
    const el = document.querySelector(selector), t = performance.now();
    if (el.type === 'checkbox') el.click(); else { el.value = value; el.dispatchEvent(new Event('change')); }
    return await new Promise(r => requestAnimationFrame(() => r(performance.now() - t)));
}"""
#: A zoom animation: from the call until its last frame is on the screen.
ZOOM = """async (call) => {
    if (call === 'node') kgViz.centreOn(Math.floor(kgViz.nodes.length / 3), 1.5); else kgViz.fit(true);
    const a = kgViz.state.lastAnimation;
    while (a.end === null) await new Promise(r => requestAnimationFrame(r));
    return {ms: a.end - a.start, frames: a.frames, planned: a.duration};
}"""


def time_page(browser, path: Path, shots: Path | None = None, timeout_s: float = 180.0) -> dict:
    """Open the page; time to the first drawing, filter clicks and zoom animations (in-page clock)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    external = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (external.append(route.request.url), route.abort()))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    _wait(page, "() => !!(window.kgViz && window.kgViz.state.stable)", timeout_s, errors)
    wall = time.perf_counter() - t0
    state = page.evaluate("() => { const s = kgViz.state; return {start: s.startMs, ready: s.readyMs, "
                          "nodes: kgViz.nodes.length, edges: kgViz.state.visibleEdges} }")
    _wait(page, "() => kgViz.state.countsReady", timeout_s, errors)
    name = path.stem
    if shots:
        page.screenshot(path=str(shots / f"{name}-1-overview.png"))
    year = page.evaluate("() => [...document.querySelectorAll('#kg-year option')].map(o => o.value).filter(Boolean).pop()")
    filters = []
    for selector, value in (("#kg-year", year), ("#kg-legend input[data-cls=Target]", None), ("#kg-year", ""),
                            ("#kg-legend input[data-cls=Target]", None), ("#kg-view", "goal"), ("#kg-view", "year")):
        filters.append(page.evaluate(CLICK, [selector, value]))
        _wait(page, "() => kgViz.state.countsReady && !kgViz.state.animating", timeout_s, errors)
        if shots and selector == "#kg-year" and value:
            page.screenshot(path=str(shots / f"{name}-2-year-{year}.png"))
    zooms = [page.evaluate(ZOOM, call) for call in ("node", "fit", "node", "fit")]
    # a search, its result centred at reading scale, the details open
    page.fill("#kg-search", page.evaluate("() => kgViz.nodes.find(a => a['class'] === 'Measure').label_zh.slice(0, 4)"))
    page.press("#kg-search", "Enter")
    _wait(page, "() => kgViz.state.selected >= 0 && !kgViz.state.animating", timeout_s, errors)
    if shots:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(shots / f"{name}-3-search.png"))
    context.close()
    if external:
        raise RuntimeError(f"{path.name}: the page tried to load {external[:3]}")
    filters.sort()
    return {"wall": wall, "ready": state["ready"] / 1000, "script": state["start"] / 1000,
            "filter": filters[len(filters) // 2] / 1000, "filter_max": filters[-1] / 1000,
            "zoom": max(z["ms"] for z in zooms) / 1000, "frames": max(z["frames"] for z in zooms),
            "nodes": state["nodes"], "edges": state["edges"]}


def phone_shot(browser, path: Path, shots: Path) -> None:
    """The page at 390×844 with a node's details open in the bottom sheet."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto(path.as_uri())
    _wait(page, "() => !!(window.kgViz && window.kgViz.state.stable && window.kgViz.state.countsReady)", 180, [])
    page.evaluate("() => kgViz.select(kgViz.nodes.findIndex(a => a['class'] === 'Measure'), true)")
    _wait(page, "() => !kgViz.state.animating", 30, [])
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(shots / f"{path.stem}-4-phone.png"))
    context.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--repeat", type=int, default=2, help="runs per size; the best is reported")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--keep", type=Path, help="directory to keep the generated pages in")
    ap.add_argument("--screenshots", type=Path, metavar="DIR",
                    help="write screenshots (overview, a year filter, a search result, a phone) per size into DIR")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="kg-viz-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
        for size in args.sizes:
            t = time.perf_counter()
            G = to_networkx(synthetic_graph(size))
            html = render_html(G).encode("utf-8")
            build_s = time.perf_counter() - t
            path = out_dir / f"viz-{size}.html"
            path.write_bytes(html)
            runs = [time_page(browser, path, args.screenshots if k == 0 else None) for k in range(args.repeat)]
            best = {key: min(r[key] for r in runs) for key in runs[0]}
            if args.screenshots:
                phone_shot(browser, path, args.screenshots)
            rows.append({"size": size, "build": build_s, "mb": len(html) / 1e6, **best})
            print(f"  {size} nodes: first draw {best['ready']:.2f} s, filter {best['filter'] * 1000:.0f} ms",
                  file=sys.stderr)
        browser.close()

    base = rows[0]
    print(f"{'nodes':>6} {'edges':>6} {'html MB':>8} {'python s':>9} {'first draw s':>13} {'x base':>7} "
          f"{'filter ms':>10} {'max ms':>7} {'x base':>7} {'zoom ms':>8} {'frames':>7}")
    for r in rows:
        print(f"{r['nodes']:>6} {r['edges']:>6} {r['mb']:>8.2f} {r['build']:>9.2f} {r['ready']:>13.2f} "
              f"{r['ready'] / base['ready']:>7.2f} {r['filter'] * 1000:>10.0f} {r['filter_max'] * 1000:>7.0f} "
              f"{r['filter'] / base['filter']:>7.2f} {r['zoom'] * 1000:>8.0f} {r['frames']:>7}")
    print(f"first draw = navigation start → first frame drawn; filter = a click on a filter (year, legend, view) → "
          f"the next frame drawn (median and max of 6); zoom = zoom-to-node / zoom-to-fit animation, call → last "
          f"frame (max of 4); best of {args.repeat} runs; ratios vs {base['nodes']} nodes; load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
