"""Take docs/coding-view.png: the review page's coding view, in headless Chromium.

    python tools/coding_screenshot.py OUT [docs/coding-view.png]

OUT is a scanned survey with OCR'd comments (say, the one bench/transcribe.py makes); it
is copied, given a small codebook and a few codings, and served; the page is opened on a
comment that has suggestions. Debian's /usr/bin/chromium, never a downloaded browser.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from scanner import themes
from scanner.dataset import open_dataset
from scanner.review.server import ReviewServer
from scanner.survey import survey_template

CODEBOOK = [
    ("Joint working", "Agencies planning and working together", ["joint", "together", "agencies"]),
    ("Training", "Courses and learning side by side", ["training", "course"]),
    ("Funding", "Money, budgets and the rules that come with them", ["budget", "money", "funding"]),
    ("Staffing", "Posts, workloads, turnover", ["staff", "workload"]),
    ("Families", "What parents and children get", ["families", "parents", "children"]),
]


def main() -> None:
    source = Path(sys.argv[1])
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/coding-view.png")
    work = Path(tempfile.mkdtemp(prefix="coding-shot-"))
    out = Path(shutil.copytree(source, work / "out"))
    template = survey_template(out, None)
    with themes.open_store(out) as store:
        for name, description, keywords in CODEBOOK:
            themes.add_theme(store, name, description, None, keywords)
    comments = open_dataset(out, template).comments
    comments = comments[comments["status"] == "ok"]
    with themes.open_store(out) as store:
        for row, theme in zip(comments.head(6).itertuples(), ["Joint working", "Families", "Training", "Staffing",
                                                                 "Funding", "Joint working"]):
            themes.code(store, row.sheet_id, row.comment, theme, "Ann")
    server = ReviewServer(out, template)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1100, "height": 720}, bypass_csp=True)
            page.goto(server.login_url())
            page.fill("#name-input", "Ann")
            page.press("#name-input", "Enter")
            page.wait_for_function("document.querySelector('#item').dataset.key || !document.querySelector('#done').hidden")
            page.keyboard.press("Shift+C")
            page.wait_for_function("document.querySelector('#card').dataset.key")
            for _ in range(40):  # the first uncoded comment with a suggestion
                card = page.inner_text("#card")
                if page.query_selector("#suggestions li") and "Not coded" in card and "\nQ" in card:
                    break
                key = page.eval_on_selector("#card", "e => e.dataset.key")
                page.keyboard.press("Enter")
                page.wait_for_function("k => document.querySelector('#card').dataset.key !== k", arg=key)
            page.keyboard.press("m")
            page.keyboard.type("Time spent on evaluation")
            page.keyboard.press("Escape")
            page.wait_for_timeout(300)
            page.screenshot(path=str(target))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work)
    print(target)


if __name__ == "__main__":
    main()
