"""The HTML graph in a real browser: Debian's chromium driven by Python Playwright (no browser download).

Every request that is not a file:// URL is blocked and logged; the tests assert there were none. The page
runs with its Content-Security-Policy, except the XSS test, which bypasses it to show that labels are
handled as text even without that second line of defence.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.namespaces import SY
from kg.viz import CLASS_STYLES, filter_graph, html_bytes, split_values, to_networkx

from conftest import require, require_binary

pytestmark = [pytest.mark.browser]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HUNNAN = "浑南区"


@pytest.fixture(scope="module")
def browser():
    chromium = require_binary("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "the Python package playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Opened:
    """A page with every non-file request blocked and logged, and its errors collected."""

    def __init__(self, browser, path, bypass_csp: bool = False):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
        self.blocked: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.wait("() => !!(window.kgViz && window.kgViz.state.stable)", timeout=90)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def wait(self, predicate: str, timeout: float = 10.0):
        """Poll a JS predicate (page.wait_for_function would need eval, which the page's CSP forbids)."""
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(predicate):
            if self.errors:
                raise AssertionError(self.errors)
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {predicate}")
            time.sleep(0.05)

    def visible(self) -> set[str]:
        return set(self.js("() => kgViz.nodes.get({filter: n => !n.hidden}).map(n => n.id)"))

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def G(seed_graph):
    return to_networkx(seed_graph)


@pytest.fixture(scope="module")
def seed_page(browser, G, tmp_path_factory):
    path = tmp_path_factory.mktemp("viz") / "shenyang.html"
    path.write_bytes(html_bytes(G))
    opened = Opened(browser, path)
    yield opened
    opened.close()


@pytest.mark.sources
def test_offline_page_draws_the_whole_projection(seed_page, G):
    p = seed_page
    assert p.blocked == [] and p.errors == [] and p.dialogs == []
    assert all(u.startswith("file:") for u in p.requests)
    counts = p.js("""() => ({nodes: kgViz.nodes.length, edges: kgViz.edges.length,
        drawnNodes: kgViz.network.body.nodeIndices.length, drawnEdges: kgViz.network.body.edgeIndices.length,
        positioned: Object.keys(kgViz.network.getPositions()).length,
        physics: kgViz.network.physics.physicsEnabled, charset: document.characterSet,
        title: document.getElementById('kg-title').textContent})""")
    assert counts["nodes"] == counts["drawnNodes"] == counts["positioned"] == G.number_of_nodes()
    assert counts["edges"] == counts["drawnEdges"] == G.number_of_edges()
    assert counts["physics"] is False  # stabilised, then frozen
    assert counts["charset"] == "UTF-8" and counts["title"] == G.graph["name"]
    assert p.js("() => document.getElementById('kg-status').textContent") == \
        f"显示 {G.number_of_nodes()} / {G.number_of_nodes()} 个节点，{G.number_of_edges()} / {G.number_of_edges()} 条边"


@pytest.mark.sources
def test_year_and_district_filters_match_the_python_views(seed_page, G):
    p = seed_page
    total = G.number_of_nodes()
    p.page.select_option("#kg-year", "2023")
    view = filter_graph(G, year=2023)
    assert p.visible() == set(view) and len(view) < total
    assert p.js("() => kgViz.state.visibleEdges") == view.number_of_edges()
    p.page.select_option("#kg-district", HUNNAN)
    both = filter_graph(G, year=2023, district=HUNNAN)
    assert p.visible() == set(both) and len(both) < len(view)
    p.page.select_option("#kg-year", "")
    assert p.visible() == set(filter_graph(G, district=HUNNAN))
    p.page.click("#kg-reset")
    assert len(p.visible()) == total
    assert p.blocked == [] and p.errors == []


@pytest.mark.sources
def test_legend_hides_a_class(seed_page, G):
    p = seed_page
    targets = {n for n, a in G.nodes(data=True) if a["class"] == "Target"}
    p.page.click("#kg-legend input[data-cls=Target]")
    assert p.visible() == set(G.nodes) - targets
    p.page.click("#kg-legend input[data-cls=Target]")
    assert p.visible() == set(G.nodes)


@pytest.mark.sources
def test_search_focuses_the_node_and_shows_its_details(seed_page, G):
    p = seed_page
    # a measure with quantified statements whose Chinese label is unique in the graph
    labels = [a["label_zh"] for _, a in G.nodes(data=True)]
    measure = next(n for n, a in sorted(G.nodes(data=True)) if a["class"] == "Measure"
                   and labels.count(a["label_zh"]) == 1
                   and any(k == "measure" for _, _, k in G.in_edges(n, keys=True)))
    attrs = G.nodes[measure]
    p.page.fill("#kg-search", attrs["label_zh"])
    p.page.press("#kg-search", "Enter")
    assert p.js("() => kgViz.network.getSelectedNodes()") == [measure]
    # the view moves to the node (animated) and zooms in
    p.wait(f"""() => {{ const c = kgViz.network.getViewPosition(), n = kgViz.network.getPositions(['{measure}'])['{measure}'];
                 return Math.hypot(c.x - n.x, c.y - n.y) < 2 && kgViz.network.getScale() > 1.3; }}""")
    panel = p.js("() => document.getElementById('kg-details').innerText")
    assert attrs["label_zh"] in panel and attrs["label_en"] in panel and attrs["quote"] in panel
    assert f"[{attrs['start']}, {attrs['end']})" in panel and attrs["source_doc"] in panel
    statements = [s for s, _, k in G.in_edges(measure, keys=True) if k == "measure"]
    rows = p.js("() => [...document.querySelectorAll('#kg-details table tr')].slice(1).map(r => r.innerText)")
    assert len(rows) == len(statements)
    for s in statements:
        a = G.nodes[s]
        value = re.sub(r"\.0+$", "", a["value"])  # "475.0" (xsd:decimal) is shown as 475
        assert any(value in r and a["unit"] in r and a["as_written"] in r and str(a["year"]) in r for r in rows)
    # English labels and IRIs are searchable too
    p.page.fill("#kg-search", attrs["label_en"].upper())
    p.page.click("#kg-search-go")
    assert p.js("() => kgViz.network.getSelectedNodes()") == [measure]


@pytest.mark.sources
def test_screenshot_is_a_drawn_graph(seed_page, G, tmp_path):
    p = seed_page
    p.js("() => { kgViz.reset(); kgViz.network.unselectAll(); kgViz.network.fit({animation: false}); }")
    p.wait("() => true")
    shot = p.page.locator("#kg-network").screenshot()
    keep = os.environ.get("KG_VIZ_SCREENSHOT")
    (tmp_path / "graph.png").write_bytes(shot)
    if keep:
        shutil.copy(tmp_path / "graph.png", keep)
    # decode the PNG with the browser itself (no imaging library needed) and count colours
    stats = p.js("""async (b64) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
        const c = new OffscreenCanvas(bmp.width, bmp.height), ctx = c.getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data, colours = new Map();
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
            const key = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
            colours.set(key, (colours.get(key) || 0) + 1);
            if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
        }
        const hex = [...colours.entries()].filter(([, n]) => n >= 20)
            .map(([k]) => '#' + k.toString(16).padStart(6, '0'));
        return {width: bmp.width, height: bmp.height, distinct: colours.size, ink: ink / (d.length / 4), hex};
    }""", base64.b64encode(shot).decode())
    assert stats["width"] > 600 and stats["height"] > 400
    assert stats["distinct"] > 50 and 0.01 < stats["ink"] < 0.9, stats
    # the fill colour of every class on the page appears (in the interior of its nodes)
    present = {a["class"] for _, a in G.nodes(data=True)}
    for cls in ("Goal", "Measure", "Target", "Facility", "District"):
        assert cls in present and CLASS_STYLES[cls][1] in stats["hex"], cls


def _xss_graph() -> Graph:
    g = Graph()
    base = "https://example.org/t/"
    year, goal, measure, stmt, district = (URIRef(base + x) for x in ("year/2024", "goal/g", "measure/m",
                                                                     "statement/s", "district/d"))
    for node, cls, label in ((year, SY.Year, "2024"), (goal, SY.Goal, "<script>window.__xss=1</script>"),
                             (measure, SY.Measure, '<img src=x onerror="window.__xss=2">'),
                             (stmt, SY.Target, "<b onmouseover=window.__xss=3>5</b>"),
                             (district, SY.District, "<svg onload=window.__xss=4>区")):
        g.add((node, RDF.type, cls))
        g.add((node, RDFS.label, Literal(label, lang="zh")))
    g.add((measure, RDFS.label, Literal("<iframe src=javascript:window.__xss=5>", lang="en")))
    g.add((stmt, RDF.type, SY.QuantifiedStatement))
    for s, o in ((goal, year), (measure, year), (stmt, year)):
        g.add((s, SY.year, o))
    g.add((measure, SY.underGoal, goal))
    g.add((measure, SY.district, district))
    g.add((stmt, SY.measure, measure))
    g.add((stmt, SY.asWritten, Literal("<i>5</i>")))
    return g


def test_labels_are_shown_as_text_and_never_run(browser, tmp_path):
    path = tmp_path / "xss.html"
    G = to_networkx(_xss_graph())
    path.write_bytes(html_bytes(G))
    p = Opened(browser, path, bypass_csp=True)  # without the CSP: the page itself must not run labels
    try:
        assert p.js("() => kgViz.nodes.length") == 5
        measure = "https://example.org/t/measure/m"
        p.page.fill("#kg-search", "<img src=x")
        p.page.press("#kg-search", "Enter")
        assert p.js("() => kgViz.network.getSelectedNodes()") == [measure]
        panel = p.js("() => document.getElementById('kg-details').innerText")
        assert '<img src=x onerror="window.__xss=2">' in panel and "<iframe src=javascript:" in panel
        assert "<script>window.__xss=1</script>" in panel  # its goal, listed as a link
        assert "<i>5</i>" in panel  # the statement's as-written value
        # hover the node once the view has moved to it: the tooltip is text as well
        p.wait(f"""() => {{ const c = kgViz.network.getViewPosition(), n = kgViz.network.getPositions(['{measure}'])['{measure}'];
                     return Math.hypot(c.x - n.x, c.y - n.y) < 2; }}""")
        xy = p.js(f"() => kgViz.network.canvasToDOM(kgViz.network.getPositions(['{measure}'])['{measure}'])")
        box = p.page.locator("#kg-network").bounding_box()
        p.page.mouse.move(box["x"] + xy["x"] - 3, box["y"] + xy["y"] - 3)
        p.page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"], steps=3)
        p.wait("() => { const t = document.querySelector('div.vis-tooltip'); return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; }")
        assert "<iframe src=javascript:" in p.js("() => document.querySelector('div.vis-tooltip').textContent")
        # nothing ran, no element came from a label, nothing was fetched for it
        time.sleep(0.3)
        assert p.js("() => window.__xss") is None
        assert p.js("() => document.querySelectorAll('img, iframe, svg, b, i, #kg-details script').length") == 0
        assert p.dialogs == [] and p.blocked == [] and p.errors == []
        assert all(u == path.as_uri() for u in p.requests), p.requests
    finally:
        p.close()


@pytest.mark.sources
def test_filtered_page_from_kg_viz_works_offline(browser, G, tmp_path):
    view = filter_graph(G, district=HUNNAN)
    path = tmp_path / "hunnan.html"
    path.write_bytes(html_bytes(view))
    p = Opened(browser, path)
    try:
        assert p.js("() => kgViz.nodes.length") == view.number_of_nodes()
        assert p.js("() => kgViz.edges.length") == view.number_of_edges()
        options = p.js("() => [...document.querySelectorAll('#kg-district option')].map(o => o.value)")
        assert HUNNAN in options
        assert all(HUNNAN in split_values(a.get("districts")) or a["class"] in {"Year", "City", "District", "Facility"}
                   for _, a in view.nodes(data=True))
        assert p.blocked == [] and p.errors == []
    finally:
        p.close()
