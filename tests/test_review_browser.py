"""`kg review` in a real browser (Debian's chromium driven by Python Playwright; every request that does not go
to the review server is blocked and counted): a real national report is drafted with `kg extract`, reviewed end
to end with the keyboard and the mouse, and the saved file must build and differ from the draft by exactly the
reviewer's changes.
(docs/review_screenshots.py takes the screenshots of docs/review.md, of a made-up report, with these helpers.)
"""

from __future__ import annotations

import json
import re
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from kg import paths
from kg.cli import cli

from conftest import free_port, launched_chromium, require

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORT = "prc-2024"
HOSTILE = "<img src=x onerror=__xss=1>"


def national_report() -> Path | None:
    """The national report's text, found as the seeds are (KG_SOURCES, or ../shared/seeds and
    ../shared/corpus/national)."""
    from kg.sources import SourceFinder

    dirs = paths.default_sources()
    return SourceFinder(dirs).find(REPORT) if dirs else None


def block_of(lines: list[str], item_id: str) -> tuple[int, int]:
    """[first, end) line indexes of the statement `- id: "ID"` (its lines up to the next item or key)."""
    start = next(i for i, line in enumerate(lines) if line.strip() == f'- id: "{item_id}"')
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and len(lines[end]) - len(lines[end].lstrip()) > indent and lines[end].strip():
        end += 1
    return start, end


def replace_in(lines: list[str], item_id: str, key: str, new: str) -> None:
    start, end = block_of(lines, item_id)
    for i in range(start, end):
        if re.match(rf"\s*(- )?{key}: ", lines[i]):
            lines[i] = re.sub(rf"({key}: ).*$", lambda m: m.group(1) + new, lines[i])
            return
    raise AssertionError(f"{item_id} has no {key}")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """A draft of one national report, less one statement (the figure the reviewer will add as missed)."""
    from click.testing import CliRunner

    report = national_report()
    require(report is not None, f"{REPORT}.txt (a national report) is not among the source texts "
            "(KG_SOURCES or ../shared/corpus/national)")
    work = tmp_path_factory.mktemp("review")
    text = work / f"{REPORT}.txt"
    text.write_bytes(report.read_bytes())
    result = CliRunner().invoke(cli, ["extract", str(text), "-o", str(work) + "/"])
    assert result.exit_code == 0, result.output
    draft = work / f"{REPORT}.yaml"
    data = yaml.safe_load(draft.read_text("utf-8"))
    # the figure to leave out: the last statement of a measure that has another one, without a note
    hidden = next(m["statements"][-1] for m in reversed(data["measures"])
                  if len(m["statements"]) >= 2 and "note" not in m["statements"][-1])
    lines = draft.read_text("utf-8").split("\n")
    start, end = block_of(lines, hidden["id"])
    hidden_block = lines[start:end]
    del lines[start:end]
    # a label that is markup: the page must show it as text (the context below even ignores the CSP)
    first_goal = next(i for i, line in enumerate(lines) if line.startswith("    label: "))
    lines[first_goal] = f"    label: {json.dumps(HOSTILE)}"
    draft.write_text("\n".join(lines), "utf-8")
    return work, draft, text, hidden, hidden_block


@pytest.fixture(scope="module")
def server(drafted):
    import uvicorn

    from kg.review.server import create_app
    from kg.review.session import load_review

    _, draft, text, _, _ = drafted
    port = free_port()
    app = create_app(load_review(draft, text), hosts=(f"127.0.0.1:{port}",))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the review server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server):
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 1300, "height": 820}, bypass_csp=True)
        blocked, errors = [], []

        def route(r):
            if r.request.url.startswith(server + "/"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server + "/")
        pg.wait_for_function("() => window.kgReview && window.kgReview.ready", timeout=30_000)
        pg.blocked, pg.errors = blocked, errors
        yield pg


def wait_saved(page, before: int) -> None:
    page.wait_for_function(f"() => !window.kgReview.busy && (window.kgReview.saved > {before} "
                           "|| window.kgReview.lastError)", timeout=60_000)
    assert page.evaluate("() => window.kgReview.lastError") is None, page.locator("#problems").inner_text()


def wait_idle_with_error(page) -> str:
    page.wait_for_function("() => !window.kgReview.busy && window.kgReview.lastError", timeout=30_000)
    return page.locator("#problems").inner_text()


def go_to(page, key: str) -> None:
    """Walk to an item with the keyboard (j/k), as a reviewer would."""
    def position():
        return page.evaluate("k => window.kgReview.view.items.findIndex(i => i.key === k)", key), \
            page.evaluate("() => window.kgReview.view.items.findIndex(i => i.key === window.kgReview.current)")

    target, here = position()
    assert target >= 0, key
    if abs(target - here) > 40:  # a long way: click its highlight, then step
        page.evaluate("k => window.kgReview.select(k)", key)
    if page.evaluate("() => !!document.activeElement.closest('#form')"):
        page.keyboard.press("Escape")  # out of the form: there j and k are letters
    target, here = position()
    for _ in range(60):
        if here == target:
            break
        page.keyboard.press("j" if target > here else "k")
        target, here = position()
    assert page.evaluate("() => window.kgReview.current") == key


def select_chars(page, start: int, end: int) -> None:
    """Drag the mouse over the characters [start, end) of the text."""
    page.evaluate(f"() => {{ const r = window.kgReview.rectOf({start}); "
                  f"document.elementFromPoint(r.x + 1, r.y + 1).scrollIntoView({{block: 'center'}}); }}")
    first = page.evaluate(f"() => window.kgReview.rectOf({start})")
    last = page.evaluate(f"() => window.kgReview.rectOf({end - 1})")
    page.mouse.move(first["x"] + 1, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=5)
    page.mouse.move(last["x"] + last["width"] - 1, last["y"] + last["height"] / 2, steps=2)
    page.mouse.up()
    page.wait_for_function(f"() => window.kgReview.selection && window.kgReview.selection[0] === {start} "
                           f"&& window.kgReview.selection[1] === {end}", timeout=5_000)


def test_review_a_national_draft_end_to_end(drafted, page, tmp_path):
    from click.testing import CliRunner

    work, draft, text_file, hidden, hidden_block = drafted
    original = draft.read_text("utf-8")
    text = text_file.read_text("utf-8")
    data = yaml.safe_load(original)
    statements = [(m, s) for m in data["measures"] for s in m["statements"]]
    by_measure = {m["id"]: m for m in data["measures"]}
    hidden_measure = hidden["id"].rsplit("-", 1)[0]
    others = [s for m, s in statements if m["id"] != hidden_measure and "note" not in s]
    # a statement whose span holds more than its number (so selecting just the number moves it)
    movable = next(s for s in others if text.find(s["as_written"], *s["span"]) > s["span"][0])
    rest = [s for s in others if s is not movable]
    # the value to edit: one written with 万/亿 (a single Arabic number must equal the value: the loader checks)
    edit = next(s for s in rest if re.search("[万亿]", s["as_written"]))
    accept, reject = [s for s in rest if s is not edit][:2]
    assert not page.blocked and not page.errors
    assert page.locator("#text").inner_text().startswith(text.lstrip()[:10])
    hostile = next(g for g in data["goals"] if g["label"] == HOSTILE)
    go_to(page, f"goal:{hostile['id']}")
    assert page.locator("#form input[name=label]").input_value() == HOSTILE
    assert page.evaluate("() => typeof window.__xss") == "undefined" and page.locator("img").count() == 0

    # accept (a): saved, and the page moves on to the next open item
    go_to(page, f"statement:{accept['id']}")
    saved = page.evaluate("() => window.kgReview.saved")
    page.keyboard.press("a")
    wait_saved(page, saved)
    assert page.evaluate("() => window.kgReview.current") != f"statement:{accept['id']}"

    # edit a value: e focuses the form; type, Enter saves
    go_to(page, f"statement:{edit['id']}")
    new_value = Decimal(str(edit["value"])) * 10
    page.locator("#form input[name=value]").fill(str(new_value))
    saved = page.evaluate("() => window.kgReview.saved")
    page.locator("#form input[name=value]").press("Enter")
    wait_saved(page, saved)

    # move a span: select the number alone with the mouse, press m
    go_to(page, f"statement:{movable['id']}")
    at = text.find(movable["as_written"], *movable["span"])
    new_span = [at, at + len(movable["as_written"])]
    select_chars(page, *new_span)
    saved = page.evaluate("() => window.kgReview.saved")
    page.keyboard.press("m")
    wait_saved(page, saved)

    # reject (x)
    go_to(page, f"statement:{reject['id']}")
    saved = page.evaluate("() => window.kgReview.saved")
    page.keyboard.press("x")
    wait_saved(page, saved)

    # add the missed figure: select it, press n
    select_chars(page, *hidden["span"])
    saved = page.evaluate("() => window.kgReview.saved")
    page.keyboard.press("n")
    wait_saved(page, saved)
    assert page.evaluate("() => window.kgReview.current") == f"statement:{hidden['id']}"

    # the file: the draft plus exactly these changes
    expected = original.split("\n")
    replace_in(expected, accept["id"], "reviewed", "true")
    replace_in(expected, edit["id"], "value", str(new_value))
    replace_in(expected, edit["id"], "reviewed", "true  # edited")
    replace_in(expected, movable["id"], "span", f"[{new_span[0]}, {new_span[1]}]")
    replace_in(expected, movable["id"], "reviewed", "true  # edited")
    start, end = block_of(expected, reject["id"])
    if len(by_measure[reject["id"].rsplit("-", 1)[0]]["statements"]) == 1:
        assert expected[start - 1].strip() == "statements:"
        expected[start - 1] += " []"
    del expected[start:end]
    last = block_of(expected, by_measure[hidden_measure]["statements"][-1]["id"])[1]
    expected[last:last] = [line.replace("reviewed: false", "reviewed: true  # added") for line in hidden_block]
    n = {k: len(data[k]) for k in ("goals", "measures", "facilities", "district_mentions")}
    review = ["  review:",
              f"    goals: {{drafted: {n['goals']}, accepted: 0, edited: 0, rejected: 0, added: 0}}",
              f"    measures: {{drafted: {n['measures']}, accepted: 0, edited: 0, rejected: 0, added: 0}}",
              f"    statements: {{drafted: {len(statements)}, accepted: 1, edited: 2, rejected: 1, added: 1}}",
              f"    facilities: {{drafted: {n['facilities']}, accepted: 0, edited: 0, rejected: 0, added: 0}}",
              f"    district_mentions: {{drafted: {n['district_mentions']}, accepted: 0, edited: 0, rejected: 0, "
              "added: 0}"]
    doc_reviewed = expected.index("  reviewed: false")
    expected[doc_reviewed + 1:doc_reviewed + 1] = review
    saved_text = draft.read_text("utf-8")
    assert saved_text.split("\n") == expected

    # the page's counts say the same
    counts = page.evaluate("() => window.kgReview.view.counts.statement")
    assert counts == {"drafted": len(statements), "accepted": 1, "edited": 2, "rejected": 1, "added": 1,
                      "left": len(statements) - 1 - 2 - 1}

    # kg build takes it (scratch project)
    records = tmp_path / "records"
    records.mkdir()
    (records / draft.name).write_text(saved_text, "utf-8")
    result = CliRunner().invoke(cli, ["build", "--records", str(records), "--sources", str(work),
                                      "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output

    # bad edits: a unit not in the vocabulary, a span past the end of the text → the error on the item, no write
    before = draft.read_bytes()
    go_to(page, f"statement:{accept['id']}")
    page.locator("#form input[name=unit]").fill("furlong")
    page.locator("#form input[name=unit]").press("Enter")
    shown = wait_idle_with_error(page)
    assert "unknown unit 'furlong'" in shown and page.evaluate("() => window.kgReview.current").endswith(accept["id"])
    page.evaluate(f"() => window.kgReview.act('span', {{span: [{len(text) - 2}, {len(text) + 5}]}})")
    page.wait_for_function("() => !window.kgReview.busy && /past the end/.test("
                           "document.getElementById('problems').innerText)", timeout=30_000)
    assert draft.read_bytes() == before

    # a concurrent edit on disk is detected, not overwritten; reloading picks it up
    changed = before + b"# edited by someone else\n"
    draft.write_bytes(changed)
    go_to(page, f"statement:{edit['id']}")
    page.keyboard.press("a")
    page.wait_for_function("() => !document.getElementById('banner').hidden", timeout=30_000)
    assert "磁盘" in page.locator("#banner").inner_text()
    assert draft.read_bytes() == changed
    page.locator("#reload").click()
    page.wait_for_function("() => document.getElementById('banner').hidden", timeout=30_000)
    assert not page.blocked and not page.errors, (page.blocked, page.errors)
