"""Take docs/template-editor.png and docs/draft-preview.png: the template editor on the
word-processor form of tests/data, and the first page of the draft's preview.

    python tools/editor_screenshot.py [docs/]

The form is drafted into a scratch folder, one of its items given a wrong id and a box
pushed off its print (what the editor is for), and the editor opened on that item, in
headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import yaml
from playwright.sync_api import sync_playwright

from scanner.draft import draft_template, write_draft
from scanner.editor.document import TemplateDocument
from scanner.editor.server import EditorServer

WORDFORM = Path(__file__).resolve().parent.parent / "tests" / "data" / "wordform.pdf"


def main() -> None:
    docs = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    work = Path(tempfile.mkdtemp(prefix="editor-shot-"))
    try:
        form = work / "form.yaml"
        write_draft(draft_template(WORDFORM, form="wordform"), form)
        _preview_png(form.with_name("form.preview.pdf"), docs / "draft-preview.png")
        doc = TemplateDocument(form)
        doc.apply({"op": "set_item", "item": "q01c", "id": "q01b"})
        box = next(i for i in doc.data["items"] if i["id"] == "q02")["options"][1]["box_mm"]
        doc.apply({"op": "move", "item": "q02", "option": 1, "box_mm": [box[0] + 3, box[1] + 1.5, box[2], box[3]]})
        form.write_text(yaml.safe_dump(doc.data, sort_keys=False, allow_unicode=True), encoding="utf-8")  # invalid
        _editor_png(form, docs / "template-editor.png")
    finally:
        shutil.rmtree(work)


def _preview_png(pdf_path: Path, target: Path) -> None:
    """The preview's first page, top half (the grid and the first comment zone), small."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    image = pdf[0].render(scale=110 / 72).to_numpy()[:, :, :3]  # pdfium's order is OpenCV's: BGR
    pdf.close()
    top = np.ascontiguousarray(image[: int(image.shape[0] * 0.5)])
    cv2.imwrite(str(target), top, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(target)


def _editor_png(form: Path, target: Path) -> None:
    server = EditorServer(form)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1250, "height": 640})
            page.goto(server.login_url())
            page.wait_for_selector("body[data-ready='1']", state="attached")
            page.wait_for_function("document.querySelector('#page-img').complete")
            page.click("#zoom-in")
            page.click("rect.bad")
            page.locator("#view").evaluate("v => v.scrollTo(0, 150)")
            page.wait_for_timeout(200)
            page.screenshot(path=str(target))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    image = cv2.imread(str(target))
    cv2.imwrite(str(target), image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(target)


if __name__ == "__main__":
    main()
