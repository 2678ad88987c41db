"""The HTML graph in a real browser: Debian's chromium driven by Python Playwright (no browser download).

One browser for the module; each page is opened once and shared by the tests that drive it: the committed
exports/shenyang.html (desktop and a 390×844 phone), `kg synth` graphs of about 2,000 and 5,000 nodes, a small
graph of several jurisdictions built here (nation, province, city, district; targets with bounds, outcomes),
and a graph of hostile labels. Every request that is not a file:// URL is blocked and logged; the tests
assert there were none. Speed is measured in benchmarks/viz_bench.py, not asserted here.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, TIME, XSD

from kg import paths
from kg.namespaces import GEO, OA, SY
from kg.viz import HTML_NAME, CLASS_STYLES, filter_graph, html_bytes, split_values, term_definition, to_networkx

from conftest import launched_chromium, require

pytestmark = [pytest.mark.browser]

HUNNAN = "浑南区"
COMMITTED = paths.EXPORTS / HTML_NAME


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as b:
        yield b


class Opened:
    """A page with every non-file request blocked and logged, and its errors collected."""

    def __init__(self, browser, path, bypass_csp: bool = False, **context):
        context.setdefault("viewport", {"width": 1400, "height": 900})
        self.context = browser.new_context(bypass_csp=bypass_csp, **context)
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
        self.wait("() => !!(window.kgViz && window.kgViz.state.stable && window.kgViz.state.countsReady)", timeout=90)

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

    def settled(self):
        """Wait until the option counts are computed and no view animation runs, then for a drawn frame."""
        self.wait("() => kgViz.state.countsReady && !kgViz.state.animating")
        self.js("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def visible(self) -> set[str]:
        return set(self.js("() => kgViz.visibleIds()"))

    def legibility(self) -> dict:
        self.settled()
        return self.js("() => kgViz.overlaps()")

    def options(self, select: str) -> dict[str, str]:
        return dict(self.js(f"() => [...document.querySelectorAll('{select} option')].map(o => [o.value, o.textContent])"))

    def reset(self):
        self.js("() => { kgViz.reset(); kgViz.search(''); document.getElementById('kg-search').value = ''; }")
        self.settled()

    def clean(self):
        assert self.blocked == [] and self.errors == [] and self.dialogs == []
        assert all(u.startswith("file:") for u in self.requests)

    def close(self):
        self.context.close()


def count_in(text: str) -> int:
    """The count an option shows: "2023年 (260)" → 260."""
    return int(re.search(r"\((\d+)\)$", text).group(1))


def number(value: str) -> str:
    """The page's number(): xsd:decimal's 475.0 → 475, 6.50 → 6.5."""
    return re.sub(r"(\.\d*?)0+$", r"\1", re.sub(r"\.0+$", "", value))


def search_matches(G, query: str) -> set[str]:
    """What the page's search must find: every node with the text in a label, alias, IRI, category or value."""
    q = query.lower()
    out = set()
    for n, a in G.nodes(data=True):
        fields = [a.get(k) for k in ("label_zh", "label_en", "iri", "aliases", "category", "category_en", "as_written")]
        fields.append(number(a["value"]) if "value" in a else None)
        if any(f and q in str(f).lower() for f in fields):
            out.add(n)
    return out


# ---------------------------------------------------------------------------------------------------------
# pages


@pytest.fixture(scope="module")
def G(seed_graph):
    return to_networkx(seed_graph)


@pytest.fixture(scope="module")
def committed(G):
    """The committed page; it must be the page of the seed graph (tests/test_build.py checks it is current)."""
    require(COMMITTED.is_file(), f"{COMMITTED} is missing: run kg build")
    return COMMITTED


@pytest.fixture(scope="module")
def seed_page(browser, committed):
    opened = Opened(browser, committed)
    yield opened
    opened.close()


def _synth_graph(tmp: Path, cities: int, years: int):
    from kg.pipeline import build
    from kg.synth import Plan, synthesize

    synthesize(Plan(cities, years, 1), tmp)
    return to_networkx(build(tmp / "records", sources_dir=tmp / "sources", validate=False).graph)


@pytest.fixture(scope="module", params=[(2, 4), (4, 5)], ids=["synth-2k", "synth-5k"])
def synth(request, browser, tmp_path_factory):
    """`kg synth` graphs: 2 cities × 4 years (about 2,100 nodes) and 4 cities × 5 years (about 5,000)."""
    cities, years = request.param
    tmp = tmp_path_factory.mktemp(f"synth{cities}x{years}")
    SG = _synth_graph(tmp, cities, years)
    path = tmp / "page.html"
    path.write_bytes(html_bytes(SG))
    opened = Opened(browser, path)
    yield SG, opened
    opened.close()


EX = "https://example.org/j/"
GDP = URIRef(EX + "category/gdp-growth")


def _jurisdiction_graph() -> Graph:
    """Nation, province, city, district (sfWithin), a national and a city report (issuedBy), GDP growth targets
    with bounds (a range is two statements: at least 6, at most 6.5), approximate targets and outcomes."""
    g = Graph()
    sy = lambda name: URIRef(str(SY._NS) + name)  # noqa: E731 (terms of the contract not yet in SY)

    def node(path, cls, zh, en=None):
        iri = URIRef(EX + path)
        g.add((iri, RDF.type, cls))
        g.add((iri, RDFS.label, Literal(zh, lang="zh")))
        if en:
            g.add((iri, RDFS.label, Literal(en, lang="en")))
        return iri

    nation = node("area/china", sy("Country"), "中华人民共和国", "China")
    province = node("area/liaoning", sy("Province"), "辽宁省", "Liaoning")
    city = node("area/shenyang", SY.City, "沈阳市", "Shenyang")
    district = node("area/hunnan", SY.District, "浑南区", "Hunnan")
    for a, b in ((province, nation), (city, province), (district, city)):
        g.add((a, GEO.sfWithin, b))
    g.add((district, SY.inCity, city))
    for area, code in ((nation, "100000"), (province, "210000"), (city, "210100"), (district, "210112")):
        g.add((area, sy("divisionCode"), Literal(code)))
    years = {}
    for y in (2022, 2023, 2024):
        years[y] = node(f"year/{y}", SY.Year, f"{y}年", str(y))
        g.add((years[y], TIME.inXSDgYear, Literal(str(y), datatype=XSD.gYear)))
    g.add((GDP, RDF.type, SKOS.Concept))
    g.add((GDP, SKOS.prefLabel, Literal("地区生产总值增速", lang="zh")))
    g.add((GDP, SKOS.prefLabel, Literal("GDP growth", lang="en")))
    pct = node("unit/percent", SY.Unit, "%")
    comparators = {"lo": SY.AtLeast, "hi": SY.AtMost, "approx": SY.Approximately, "exact": SY.Exactly}
    docs = {}
    for who, area in (("nation", nation), ("city", city)):
        for y in (2023, 2024):
            doc = node(f"doc/{who}-{y}", SY.Document, f"{y}年{area.split('/')[-1]}报告")
            g.add((doc, sy("issuedBy"), area))
            g.add((doc, SY.year, years[y]))
            docs[who, y] = doc
    statements = [  # who, report year, plan/outcome year, class, [(comparator, value)]
        ("nation", 2023, 2023, SY.Target, [("approx", "5")]),
        ("nation", 2023, 2022, SY.Outcome, [("exact", "3")]),
        ("nation", 2024, 2024, SY.Target, [("approx", "5")]),
        ("nation", 2024, 2023, SY.Outcome, [("exact", "5.2")]),
        ("city", 2023, 2023, SY.Target, [("lo", "6")]),
        ("city", 2024, 2024, SY.Target, [("lo", "6"), ("hi", "6.5")]),
        ("city", 2024, 2023, SY.Outcome, [("exact", "5.6")]),
    ]
    for k, (who, report, year, cls, values) in enumerate(statements):
        doc = docs[who, report]
        goal = node(f"goal/{who}-{report}", SY.Goal, "主要预期目标" if who == "nation" else "经济发展目标")
        g.add((goal, SY.year, years[report]))
        measure = node(f"measure/{who}-{report}-{k}", SY.Measure, "国内生产总值增长" if who == "nation" else "地区生产总值增长")
        g.add((measure, SY.underGoal, goal))
        g.add((measure, SY.year, years[year]))
        g.add((measure, SY.category, GDP))
        if who == "city":
            g.add((measure, SY.district, district))
        for j, (comp, value) in enumerate(values):
            s = node(f"statement/{who}-{report}-{k}-{j}", cls, f"GDP {value}%")
            g.add((s, SY.measure, measure))
            g.add((s, SY.year, years[year]))
            g.add((s, SY.value, Literal(value, datatype=XSD.decimal)))
            g.add((s, SY.unit, pct))
            g.add((s, SY.comparator, comparators[comp]))
            g.add((s, SY.reviewed, Literal(True)))
            for x in (s, measure, goal):
                sr = BNode()
                g.add((x, PROV.wasDerivedFrom, sr))
                g.add((sr, OA.hasSource, doc))
    # a review figure over five years: a period, not a year (drawn in no year of the chart, listed in its table)
    period = URIRef(EX + "period/2018-2022")
    g.add((period, RDF.type, sy("Period")))
    first = node("year/2018", SY.Year, "2018年", "2018")
    g.add((first, TIME.inXSDgYear, Literal("2018", datatype=XSD.gYear)))
    g.add((period, TIME.intervalStartedBy, first))
    g.add((period, TIME.intervalFinishedBy, years[2022]))
    s = node("statement/nation-2023-five-years", SY.Outcome, "GDP 5.2%")
    g.add((s, SY.measure, URIRef(EX + "measure/nation-2023-1")))
    g.add((s, sy("period"), period))
    g.add((s, SY.value, Literal("5.2", datatype=XSD.decimal)))
    g.add((s, SY.unit, pct))
    g.add((s, SY.comparator, SY.IncreaseBy))
    g.add((s, PROV.hadPrimarySource, docs["nation", 2023]))
    return g


@pytest.fixture(scope="module")
def juris(browser, tmp_path_factory):
    JG = to_networkx(_jurisdiction_graph())
    path = tmp_path_factory.mktemp("juris") / "juris.html"
    path.write_bytes(html_bytes(JG))
    opened = Opened(browser, path, reduced_motion="reduce")
    yield JG, opened
    opened.close()


# ---------------------------------------------------------------------------------------------------------
# the committed page


@pytest.mark.sources
def test_committed_page_draws_offline_with_labels_apart(seed_page, G):
    p = seed_page
    p.clean()
    info = p.js("""() => ({nodes: kgViz.nodes.length, visible: kgViz.state.visibleNodes, edges: kgViz.state.visibleEdges,
        charset: document.characterSet, title: document.getElementById('kg-title').textContent})""")
    assert info["nodes"] == info["visible"] == G.number_of_nodes() and info["edges"] == G.number_of_edges()
    assert info["charset"] == "UTF-8" and info["title"] == G.graph["name"]
    assert p.js("() => document.getElementById('kg-status').textContent") == \
        f"显示 {G.number_of_nodes()} / {G.number_of_nodes()} 个节点，{G.number_of_edges()} / {G.number_of_edges()} 条边"
    assert COMMITTED.stat().st_size < 1.5e6  # the page weight for the seeds
    # every view: distinct positions, labels that never overlap, at the fit and zoomed in to reading size
    for view in ("year", "goal", "jurisdiction"):
        p.page.select_option("#kg-view", view)
        p.settled()
        positions = p.js("() => kgViz.visibleIds().map(id => { const q = kgViz.positions(kgViz.index[id]); return q.x + ',' + q.y; })")
        assert len(set(positions)) == len(positions), view
        fitted = p.legibility()
        assert fitted["labels"] >= 8 and fitted["overlapping"] == 0, (view, fitted)
        p.js("() => kgViz.zoomTo(1)")  # scale 1.0 around the centre
        close = p.legibility()
        assert close["labels"] >= 8 and close["overlapping"] == 0 and close["nodesUnderLabels"] == 0, (view, close)
    # the city and its districts do not sit on the year trees: in the year view they are a region of their own
    p.page.select_option("#kg-view", "year")
    p.settled()
    city = next(n for n, a in G.nodes(data=True) if a["class"] == "City")
    root = p.js(f"""() => {{ let i = kgViz.index['{city}'];
        while (kgViz.treeParent[i] >= 0) i = kgViz.treeParent[i];
        return [kgViz.nodes[i]['class'], kgViz.headers().includes(i)]; }}""")
    assert root[0] in ("City", "Province", "Country") and root[1]
    p.clean()


@pytest.mark.sources
def test_filters_match_the_python_views_and_refit(seed_page, G):
    p = seed_page
    total = G.number_of_nodes()
    p.page.select_option("#kg-year", "2023")
    view = filter_graph(G, year=2023)
    assert p.visible() == set(view) and len(view) < total
    assert p.js("() => kgViz.state.visibleEdges") == view.number_of_edges()
    p.page.select_option("#kg-district", HUNNAN)
    both = filter_graph(G, year=2023, district=HUNNAN)
    assert p.visible() == set(both) and len(both) < len(view)
    # re-laid out and re-fitted: every shown node on screen, labels apart, no node under another's label
    p.settled()
    on_screen = p.js("""() => { const c = document.getElementById('kg-canvas').getBoundingClientRect();
        return kgViz.visibleIds().every(id => { const s = kgViz.toScreen(kgViz.index[id]);
            return s.x >= 0 && s.y >= 0 && s.x <= c.width && s.y <= c.height; }); }""")
    assert on_screen
    seen = p.legibility()
    assert seen["overlapping"] == 0 and seen["nodesUnderLabels"] == 0 and seen["labels"] >= len(both) // 2
    p.page.select_option("#kg-year", "")
    assert p.visible() == set(filter_graph(G, district=HUNNAN))
    targets = {n for n, a in G.nodes(data=True) if a["class"] == "Target"}
    p.page.click("#kg-legend input[data-cls=Target]")
    assert p.visible() == set(filter_graph(G, district=HUNNAN)) - targets
    p.page.click("#kg-reset")
    assert len(p.visible()) == total and p.js("() => document.getElementById('kg-legend').querySelectorAll('input:checked').length") \
        == len({a["class"] for _, a in G.nodes(data=True)})
    p.clean()


@pytest.mark.sources
def test_every_filter_option_counts_and_an_empty_view_says_why(seed_page, G):
    p = seed_page
    p.reset()
    years = p.options("#kg-year")
    assert count_in(years[""]) == G.number_of_nodes()
    for y, text in years.items():
        if y:
            assert count_in(text) == filter_graph(G, year=int(y)).number_of_nodes(), text
    districts = p.options("#kg-district")
    for d, text in districts.items():
        if d:
            assert count_in(text) == filter_graph(G, district=d).number_of_nodes(), text
    # counts follow the other filters: with 2023 chosen, each district counts its 2023 nodes
    p.page.select_option("#kg-year", "2023")
    p.settled()
    empty_district = None
    for d, text in p.options("#kg-district").items():
        if d:
            try:
                expected = filter_graph(G, year=2023, district=d).number_of_nodes()
            except Exception:  # the Python view refuses an empty result
                expected, empty_district = 0, d
            assert count_in(text) == expected, text
    legend = dict(p.js("() => [...document.querySelectorAll('#kg-legend input')].map(b => [b.dataset.cls, b.parentNode.querySelector('.kg-count').textContent])"))
    in_2023 = filter_graph(G, year=2023)
    assert legend["Goal"] == f"({sum(a['class'] == 'Goal' for _, a in in_2023.nodes(data=True))})"
    # an empty view explains itself and offers the way out
    if empty_district is None:  # every district has 2023 nodes: hide every class instead
        for box in p.js("() => [...document.querySelectorAll('#kg-legend input')].map(b => b.dataset.cls)"):
            p.page.click(f"#kg-legend input[data-cls={box}]")
        assert p.js("() => kgViz.state.visibleNodes") == 0
        assert "图例" in p.page.inner_text("#kg-empty")
    else:
        p.page.select_option("#kg-district", empty_district)
        assert p.js("() => kgViz.state.visibleNodes") == 0
        text = p.page.inner_text("#kg-empty")
        assert p.js("() => !document.getElementById('kg-empty').hidden")
        assert "2023" in text and empty_district in text and "单独使用时显示" in text
        p.page.locator("#kg-empty li button").first.click()  # clear the year
        assert p.js("() => kgViz.state.visibleNodes") == filter_graph(G, district=empty_district).number_of_nodes()
        assert p.js("() => document.getElementById('kg-empty').hidden")
    p.reset()
    p.clean()


@pytest.mark.sources
def test_search_lists_every_match_keeps_filters_and_steps_by_keyboard(seed_page, G):
    p = seed_page
    p.reset()
    query = "老旧小区"
    expected = search_matches(G, query)
    assert len(expected) >= 5  # goals, measures and targets: the case the issue reports
    p.page.select_option("#kg-year", "2023")
    kept = p.visible()
    p.page.fill("#kg-search", query)
    p.wait("() => kgViz.state.query === '老旧小区'")
    listed = p.js("() => [...document.querySelectorAll('#kg-results button.kg-result')].map(b => b.dataset.node)")
    assert set(listed) == expected and len(listed) == len(expected)
    assert set(p.js("() => kgViz.state.matches.map(i => kgViz.nodes[i].iri)")) == expected  # all ringed
    rows = p.js("() => [...document.querySelectorAll('#kg-results li')].map(li => [li.querySelector('button').dataset.node, li.innerText, li.classList.contains('kg-filtered')])")
    for iri, text, filtered in rows:
        a = G.nodes[iri]
        assert a["label_zh"] in text and str(a.get("year", "")) in text and "沈阳市" in text
        if "value" in a:
            assert number(a["value"]) in text
        assert filtered == (iri not in kept)  # a match the filters hide is listed as hidden, not un-filtered
    assert any(f for _, _, f in rows) and not all(f for _, _, f in rows)
    # keyboard: Enter / ↓ next, Shift+Enter / ↑ previous; filters stay as they were
    order = p.js("() => kgViz.state.matches.map(i => kgViz.nodes[i].iri)")
    p.page.press("#kg-search", "Enter")
    assert p.js("() => kgViz.nodes[kgViz.state.selected].iri") == order[0]
    p.page.press("#kg-search", "Enter")
    p.page.press("#kg-search", "ArrowDown")
    assert p.js("() => kgViz.nodes[kgViz.state.selected].iri") == order[2]
    p.page.press("#kg-search", "Shift+Enter")
    assert p.js("() => kgViz.nodes[kgViz.state.selected].iri") == order[1]
    p.page.press("#kg-search", "ArrowUp")
    p.page.press("#kg-search", "ArrowUp")
    assert p.js("() => kgViz.nodes[kgViz.state.selected].iri") == order[-1]  # wraps around
    assert p.js("() => kgViz.state.year") == "2023" and p.visible() == kept
    current = p.js("() => document.querySelector('#kg-results .kg-current').dataset.node")
    assert current == order[-1]
    # a hidden match: its details show, the status says which filter hides it, the filters are kept
    hidden = next(i for i, (iri, _, f) in enumerate(rows) if f)
    p.page.locator("#kg-results button.kg-result").nth(hidden).click()
    assert "2023" in p.page.inner_text("#kg-status") and p.visible() == kept
    assert G.nodes[rows[hidden][0]]["label_zh"] in p.page.inner_text("#kg-details")
    # a shown match: centred at reading scale with its details (value, source, quote)
    shown = next(i for i, (iri, _, f) in enumerate(rows) if not f and "value" in G.nodes[iri])
    p.page.locator("#kg-results button.kg-result").nth(shown).click()
    p.settled()
    a = G.nodes[rows[shown][0]]
    centre = p.js("() => { const s = kgViz.toScreen(kgViz.state.selected), c = document.getElementById('kg-canvas').getBoundingClientRect(); return [s.x / c.width, s.y / c.height, kgViz.view.k]; }")
    assert 0.2 < centre[0] < 0.8 and 0.3 < centre[1] < 0.7 and centre[2] >= 1.2
    panel = p.page.inner_text("#kg-details")
    assert a["label_zh"] in panel and number(a["value"]) in panel and a["source_doc"] in panel
    if "quote" in a:
        assert a["quote"] in panel and f"[{a['start']}, {a['end']})" in panel
    assert p.legibility()["overlapping"] == 0
    # English and IRIs are searchable too
    measure = next(n for n in sorted(expected) if G.nodes[n]["class"] == "Measure" and G.nodes[n].get("label_en"))
    p.page.fill("#kg-search", G.nodes[measure]["label_en"].upper())
    p.page.press("#kg-search", "Enter")
    assert measure in p.js("() => kgViz.state.matches.map(i => kgViz.nodes[i].iri)")
    p.reset()
    p.clean()


@pytest.mark.sources
def test_goal_and_neighbourhood_views_in_the_page(seed_page, G):
    p = seed_page
    p.reset()
    goal = next(n for n, a in sorted(G.nodes(data=True)) if a["class"] == "Goal"
                and sum(1 for _, _, k in G.in_edges(n, keys=True) if k == "underGoal") >= 3)
    p.js(f"() => kgViz.select(kgViz.index['{goal}'], true)")
    p.page.click("#kg-details .kg-action >> text=目标视图")
    assert p.visible() == set(filter_graph(G, goal=goal))
    assert p.js("() => kgViz.state.scope.kind") == "goal" and G.nodes[goal]["label_zh"] in p.page.inner_text("#kg-scope")
    assert p.legibility()["overlapping"] == 0
    # the focus of a view is ringed (purple) and labelled first
    assert p.js(f"() => kgViz.labelBoxes().some(b => kgViz.nodes[b[0]].iri === '{goal}')")
    measure = next(m for m, _, k in G.in_edges(goal, keys=True) if k == "underGoal")
    p.js(f"() => kgViz.select(kgViz.index['{measure}'], true)")
    p.page.click("#kg-details .kg-action >> text=周边 2 层")
    assert p.visible() == set(filter_graph(G, focus=measure, depth=2))
    # views combine with the filters
    year = G.nodes[measure]["year"]
    p.page.select_option("#kg-year", str(year))
    assert p.visible() == set(filter_graph(G, focus=measure, depth=2, year=year))
    p.page.click("#kg-scope button")  # leave the view
    assert p.js("() => kgViz.state.scope") is None and p.visible() == set(filter_graph(G, year=year))
    p.reset()
    p.clean()


@pytest.mark.sources
def test_reading_guide_iri_link_and_copy_and_a_category_across_years(seed_page, G):
    p = seed_page
    p.reset()
    p.page.click("#kg-help")
    guide = p.page.inner_text("#kg-howto")
    for key in ("Goal", "Measure", "Target", "Outcome"):
        zh, en = term_definition(CLASS_STYLES[key][0])
        assert zh in guide and en in guide, key
    assert term_definition(SY.AtLeast)[0] in guide
    # the IRI is a link that opens the resource, and a copy button
    measure = next(n for n, a in sorted(G.nodes(data=True)) if a["class"] == "Measure" and a.get("category"))
    p.js(f"() => kgViz.select(kgViz.index['{measure}'], true)")
    link = p.js("() => { const a = document.querySelector('#kg-details .kg-iri a'); return [a.href, a.target, a.rel, a.textContent]; }")
    assert link == [measure, "_blank", "noopener noreferrer", measure]
    p.context.grant_permissions(["clipboard-read", "clipboard-write"])
    p.page.click("#kg-details .kg-copy")
    p.wait("() => !!kgViz.state.copied")
    assert p.js("() => kgViz.state.copied") == measure
    # a category's values across years: every statement of the category, in a table and a chart
    old = next(a["category"] for n, a in G.nodes(data=True) if a["class"] == "Target" and "老旧小区" in a["label_zh"]
               and a.get("category"))
    same = [n for n, a in G.nodes(data=True) if a.get("category") == old and a["class"] in ("Target", "Outcome", "Indicator")
            and "value" in a]
    assert len({G.nodes[n]["year"] for n in same}) >= 2
    m = next(n for n, a in sorted(G.nodes(data=True)) if a["class"] == "Measure" and a.get("category") == old)
    p.js(f"() => kgViz.select(kgViz.index['{m}'], false)")
    rows = p.js("() => [...document.querySelectorAll('#kg-details .kg-category table tr')].slice(1).map(r => r.innerText)")
    assert len(rows) == len(same)
    for n in same:
        assert any(number(G.nodes[n]["value"]) in r and str(G.nodes[n]["year"]) in r for r in rows)
    marks = p.js("() => document.querySelectorAll('#kg-details .kg-category svg g').length")
    assert marks >= len({G.nodes[n]["year"] for n in same})
    p.clean()


@pytest.mark.sources
def test_phone_layout_keeps_the_graph_large(browser, committed, G):
    p = Opened(browser, committed, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
               device_scale_factor=2)
    try:
        def graph_share():
            box = p.page.locator("#kg-canvas").bounding_box()
            return box["width"] / 390, box["height"] / 844
        w, h = graph_share()
        assert w == 1.0 and h >= 0.6
        assert not p.page.is_visible("#kg-year")  # the filters wait behind a button
        p.page.click("#kg-menu")
        assert p.page.is_visible("#kg-year") and p.page.is_visible("#kg-view")
        p.page.click("#kg-menu")
        # tap a node: its details open in a bottom sheet and the graph keeps ≥ 60 % of the screen
        p.settled()
        p.js("() => kgViz.zoomTo(1)")
        p.settled()
        target = p.js("""() => { const c = document.getElementById('kg-canvas').getBoundingClientRect();
            const i = kgViz.labelBoxes().map(b => b[0]).find(i => { const s = kgViz.toScreen(i); return s.x > 20 && s.y > 20 && s.x < c.width - 60 && s.y < c.height - 60; });
            const s = kgViz.toScreen(i); return {i, x: s.x + c.left, y: s.y + c.top}; }""")
        p.page.touchscreen.tap(target["x"], target["y"])
        p.wait(f"() => kgViz.state.selected === {target['i']}")
        assert p.page.is_visible("#kg-details h2")
        w, h = graph_share()
        assert w == 1.0 and h >= 0.6, h
        sheet = p.page.locator("#kg-panels").bounding_box()
        assert sheet["width"] == 390 and sheet["height"] > 150
        p.page.click("#kg-sheet")  # collapse it again
        assert not p.page.is_visible("#kg-details h2")
        # search is at hand and lists its matches in the sheet
        p.page.fill("#kg-search", "老旧小区")
        p.wait("() => kgViz.state.query === '老旧小区'")
        assert p.page.is_visible("#kg-results button.kg-result")
        p.clean()
    finally:
        p.close()


@pytest.mark.sources
def test_screenshot_is_a_drawn_graph(seed_page, G, tmp_path):
    p = seed_page
    p.reset()
    p.js("() => { kgViz.state.selected = -1; kgViz.zoomTo(0.6); }")
    p.settled()
    shot = p.page.locator("#kg-canvas").screenshot()
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
        const hex = [...colours.entries()].filter(([, n]) => n >= 20).map(([k]) => '#' + k.toString(16).padStart(6, '0'));
        return {width: bmp.width, height: bmp.height, distinct: colours.size, ink: ink / (d.length / 4), hex};
    }""", base64.b64encode(shot).decode())
    assert stats["width"] > 600 and stats["height"] > 400
    assert stats["distinct"] > 50 and 0.01 < stats["ink"] < 0.9, stats
    present = {c for c in p.js("() => kgViz.visibleIds().filter(id => { const s = kgViz.toScreen(kgViz.index[id]); return s.x > 0 && s.y > 0 && s.x < 1000 && s.y < 780; }).map(id => kgViz.nodes[kgViz.index[id]]['class'])")}
    for cls in ("Goal", "Measure", "Target"):
        assert cls in present and CLASS_STYLES[cls][1] in stats["hex"], cls


# ---------------------------------------------------------------------------------------------------------
# generated graphs of 2,000 and 5,000 nodes, several cities


@pytest.mark.slow
def test_synth_graphs_search_filter_views_and_clusters(synth):
    SG, p = synth
    p.clean()
    assert p.js("() => kgViz.state.visibleNodes") == SG.number_of_nodes() >= 2000
    # the overview: clusters with their names and sizes, apart
    fitted = p.legibility()
    assert p.js("() => kgViz.state.clustered") and fitted["labels"] >= 20 and fitted["overlapping"] == 0
    # a cluster opens when clicked: its nodes are drawn and labelled, apart
    block = p.js("() => { const b = kgViz.blocks().filter(b => b.nodes.length > 8)[0]; kgViz.openBlock(b); return b.nodes.length; }")
    opened = p.legibility()
    assert not p.js("() => kgViz.state.clustered") and opened["labels"] >= min(block, 10)
    assert opened["overlapping"] == 0 and opened["nodesUnderLabels"] == 0
    # jurisdictions (the cities of the corpus), with counts equal to the Python view
    options = p.options("#kg-juris")
    cities = [j for j in options if j]
    assert len(cities) >= 2
    for j in cities:
        assert count_in(options[j]) == filter_graph(SG, jurisdiction=j).number_of_nodes()
    p.page.select_option("#kg-juris", cities[1])
    assert p.visible() == set(filter_graph(SG, jurisdiction=cities[1]))
    p.page.select_option("#kg-view", "jurisdiction")
    assert p.legibility()["overlapping"] == 0
    # search lists every match, filters kept
    word = "民生实事"
    p.page.fill("#kg-search", word)
    p.wait(f"() => kgViz.state.query === '{word}'")
    assert set(p.js("() => kgViz.state.matches.map(i => kgViz.nodes[i].iri)")) == search_matches(SG, word)
    assert p.js("() => kgViz.state.juris") == cities[1]
    for _ in range(len(search_matches(SG, word))):  # step to the first match the filter shows
        p.page.press("#kg-search", "Enter")
        if p.js("() => !!kgViz.visible[kgViz.state.selected]"):
            break
    p.settled()
    zoomed = p.js("() => kgViz.overlaps()")
    assert zoomed["overlapping"] == 0 and p.js("() => kgViz.view.k") >= 1.2
    # a goal view in the page
    goal = next(n for n in sorted(SG) if SG.nodes[n]["class"] == "Goal" and SG.nodes[n].get("jurisdictions") == cities[1])
    p.js(f"() => kgViz.setScope({{kind: 'goal', node: kgViz.index['{goal}'], depth: 0}})")
    assert p.visible() == set(filter_graph(SG, goal=goal, jurisdiction=cities[1]))
    # animations are short, and off when a frame is slow
    p.reset()
    p.js("() => kgViz.centreOn(5, 1.5)")
    assert p.js("() => kgViz.state.lastAnimation.duration") <= 250
    p.settled()
    p.js("() => { kgViz.state.lastDrawMs = 80; kgViz.centreOn(7, 1.5); }")
    assert p.js("() => kgViz.state.lastAnimation.duration") == 0
    p.reset()
    p.clean()


# ---------------------------------------------------------------------------------------------------------
# several jurisdictions and levels; the chart of targets (with bounds) and outcomes


def test_jurisdiction_and_level_filters_and_the_jurisdiction_view(juris):
    JG, p = juris
    p.clean()
    levels = p.options("#kg-level")
    assert set(levels) == {"", "Country", "City"}
    for level in ("Country", "City"):
        assert count_in(levels[level]) == filter_graph(JG, level=level).number_of_nodes()
    nation = EX + "area/china"
    p.page.select_option("#kg-juris", nation)
    shown = p.visible()
    assert shown == set(filter_graph(JG, jurisdiction=nation))
    content = {n for n in shown if JG.nodes[n]["class"] in ("Goal", "Measure", "Target", "Outcome")}
    assert content and all(JG.nodes[n]["jurisdictions"] == nation for n in content)
    path = p.options("#kg-juris")[EX + "area/shenyang"]
    assert path.startswith("中华人民共和国 › 辽宁省 › 沈阳市")  # the jurisdiction with the ones it lies within
    p.page.select_option("#kg-juris", "")
    p.page.select_option("#kg-view", "jurisdiction")
    p.settled()
    # by jurisdiction: each report's goals hang from the government that issued it
    parents = p.js("""() => kgViz.nodes.map((a, i) => [a.iri, a['class'], kgViz.treeParent[i] >= 0 ? kgViz.nodes[kgViz.treeParent[i]].iri : null])""")
    for iri, cls, parent in parents:
        if cls == "Goal":
            assert parent == JG.nodes[iri]["jurisdictions"], iri
    assert dict((i, par) for i, _, par in parents)[EX + "area/hunnan"] == EX + "area/shenyang"
    assert p.legibility()["overlapping"] == 0
    # with reduced motion, no animation at all
    p.js("() => kgViz.centreOn(3, 1.5)")
    assert p.js("() => kgViz.state.lastAnimation.duration") == 0
    p.reset()
    p.clean()


def test_chart_of_targets_with_bounds_and_outcomes_per_jurisdiction(juris):
    JG, p = juris
    p.reset()
    options = p.options("#kg-chart")
    assert count_in(options["地区生产总值增速"]) == 9  # 8 statements, the range counting twice
    p.page.select_option("#kg-chart", "地区生产总值增速")
    chart = p.js("""() => { const s = document.querySelector('#kg-chart-panel svg');
        return {targets: s.querySelectorAll('g.kg-mark-target').length, outcomes: s.querySelectorAll('g.kg-mark-outcome').length,
                titles: [...s.querySelectorAll('g title')].map(t => t.textContent),
                lines: s.querySelectorAll('polyline').length,
                key: document.querySelector('#kg-chart-panel figcaption').innerText,
                visible: s.getBoundingClientRect().width > 200}; }""")
    assert chart["visible"]
    assert chart["targets"] == 4 and chart["outcomes"] == 3  # the range 6–6.5 is one mark
    titles = chart["titles"]
    assert "2024 · 沈阳市 · 目标 target · 6–6.5 %" in titles
    assert "2023 · 沈阳市 · 目标 target · ≥ 6 %" in titles
    assert "2023 · 中华人民共和国 · 目标 target · ≈ 5 %" in titles
    assert "2023 · 中华人民共和国 · 结果 outcome · = 5.2 %" in titles
    assert chart["lines"] == 1  # the nation's outcomes 2022 → 2023 joined; the city has one outcome
    assert "中华人民共和国" in chart["key"] and "沈阳市" in chart["key"]
    assert "1 个多年时期的数值未绘出" in chart["key"]
    rows = p.js("() => [...document.querySelectorAll('#kg-chart-panel table tr')].slice(1).map(r => r.innerText)")
    assert len(rows) == 9 and any(r.startswith("2018–2022") and "中华人民共和国" in r and "5.2" in r for r in rows)
    five = EX + "statement/nation-2023-five-years"  # in every year of its period, for the year filter
    assert split_values(JG.nodes[five]["years"]) == ["2018", "2019", "2020", "2021", "2022"]
    assert JG.nodes[five]["period"] == "2018–2022" and JG.nodes[five]["jurisdictions"] == EX + "area/china"
    p.clean()


# ---------------------------------------------------------------------------------------------------------
# labels are data


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
    path.write_bytes(html_bytes(to_networkx(_xss_graph())))
    p = Opened(browser, path, bypass_csp=True)  # without the CSP: the page itself must not run labels
    try:
        assert p.js("() => kgViz.nodes.length") == 5
        measure = "https://example.org/t/measure/m"
        p.page.fill("#kg-search", "<img src=x")
        p.page.press("#kg-search", "Enter")
        assert p.js("() => kgViz.nodes[kgViz.state.selected].iri") == measure
        assert '<img src=x onerror="window.__xss=2">' in p.page.inner_text("#kg-results")
        panel = p.page.inner_text("#kg-details")
        assert '<img src=x onerror="window.__xss=2">' in panel and "<iframe src=javascript:" in panel
        assert "<script>window.__xss=1</script>" in panel  # its goal, listed as a link
        assert "<i>5</i>" in panel  # the statement's as-written value
        # hover the node: the tooltip is text as well
        p.settled()
        xy = p.js("() => kgViz.toScreen(kgViz.state.selected)")
        box = p.page.locator("#kg-canvas").bounding_box()
        p.page.mouse.move(box["x"] + xy["x"] - 3, box["y"] + xy["y"] - 3)
        p.page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"], steps=3)
        p.wait("() => !document.getElementById('kg-tip').hidden")
        assert "<iframe src=javascript:" in p.page.inner_text("#kg-tip")
        p.page.click("#kg-help")  # the guide and the views render labels as text too
        p.js("() => kgViz.setScope({kind: 'focus', node: kgViz.state.selected, depth: 1})")
        time.sleep(0.2)
        assert p.js("() => window.__xss") is None
        assert p.js("() => document.querySelectorAll('img, iframe, b, i, #kg-panels script, #kg-scope svg').length") == 0
        p.clean()
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
        assert p.js("() => kgViz.state.visibleEdges") == view.number_of_edges()
        assert HUNNAN in p.options("#kg-district")
        assert all(HUNNAN in split_values(a.get("districts")) or a["class"] in {"Year", "City", "District", "Facility"}
                   for _, a in view.nodes(data=True))
        assert p.legibility()["overlapping"] == 0
        p.clean()
    finally:
        p.close()
