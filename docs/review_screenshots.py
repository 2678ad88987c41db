"""The screenshots of docs/review.md, taken of a short made-up report (the repository holds no sentences of
the real reports, not even in pictures): python docs/review_screenshots.py [OUT_DIR] (default docs/img).
Needs Chromium and Playwright, like tests/test_review_browser.py, whose helpers it uses."""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM_ARGS  # noqa: E402
from test_review_browser import go_to, select_chars  # noqa: E402

from kg.extract.draft import extract_text, to_yaml  # noqa: E402

TEXT = """某市2025年政府工作报告（示例）

一、2024年工作回顾
全市地区生产总值增长5.1%，城镇新增就业3.2万人，完成老旧小区改造120个。

二、2025年主要目标
地区生产总值增长5%左右；城镇新增就业3万人以上；居民消费价格涨幅控制在3%以内。

三、重点工作
（一）推进城市更新。改造老旧小区150个，新建口袋公园30座，建设城市书房20个。
（二）保障改善民生。新增家庭养老床位1200张，发放租赁补贴5000户，城乡低保标准提高4%。
（三）扩大有效投资。实施重点项目300个，完成投资800亿元。
"""


def main(out: Path) -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from kg.review.server import create_app
    from kg.review.session import load_review

    work = Path(tempfile.mkdtemp())
    (work / "example-2025.txt").write_text(TEXT, "utf-8")
    draft = work / "example-2025.yaml"
    draft.write_bytes(to_yaml(extract_text(TEXT, doc_id="example-2025", city="shenyang", data=TEXT.encode())))
    port = 8766
    app = create_app(load_review(draft), hosts=(f"127.0.0.1:{port}",))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1180, "height": 620})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("() => window.kgReview && window.kgReview.ready")
        items = page.evaluate("() => window.kgReview.view.items.filter(i => i.kind === 'statement')")
        at = {i["fields"]["as_written"]: i for i in items}
        go_to(page, at["5.1%"]["key"])
        page.keyboard.press("a")
        page.wait_for_function("() => window.kgReview.saved > 0 && !window.kgReview.busy")
        go_to(page, at["150个"]["key"])
        page.screenshot(path=str(out / "review-item.png"))
        start = TEXT.index("150个")
        select_chars(page, start, start + 4)
        page.screenshot(path=str(out / "review-select.png"))
        page.keyboard.press("Escape")
        go_to(page, at["30座"]["key"])
        page.locator("#form input[name=unit]").fill("furlong")
        page.locator("#form input[name=unit]").press("Enter")
        page.wait_for_function("() => !window.kgReview.busy && window.kgReview.lastError")
        page.screenshot(path=str(out / "review-error.png"))
        page.keyboard.press("Escape")
        draft.write_bytes(draft.read_bytes() + b"# changed in an editor\n")
        go_to(page, at["20个"]["key"])
        page.keyboard.press("a")
        page.wait_for_function("() => !document.getElementById('banner').hidden")
        page.screenshot(path=str(out / "review-conflict.png"))
        browser.close()
    srv.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
