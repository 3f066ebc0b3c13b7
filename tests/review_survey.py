"""A small scanned survey with known doubts, for the review tests and the benchmark.

Two questionnaires (14 pages) are drawn from the template, ticked, JPEG-encoded at
150 dpi into one PDF as a sheet feeder would (one JPEG per page) and scanned with OCR
off. Sheet 1 is on yellow paper (Programme A) and has two boxes ticked on q01, a light
tick on q02 and writing in q01_comment; sheet 2 is on paper of no known colour, so its
programme waits for review.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from scanner.pipeline import scan
from scanner.render import page_raster
from scanner.review.server import ReviewServer
from scanner.template import Template

DPI = 150
YELLOW = (255, 242, 160)
PEACH = (255, 212, 185)
"""Between the template's yellow and pink: no programme can be told from it."""
MULTIPLE_ITEM = "q01"
FAINT_ITEM = "q02"
WRITTEN_COMMENT = "q01_comment"
CSV_WAIT_S = 60
"""How long a test waits for the server to write its CSVs again after a decision (a child
process of some 2 CPU s): the wait ends as soon as they are written, and its bound is for
a loaded 2-core machine (10 and 15 s were); soon, against never."""


def _tint(page: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    factor = np.array(rgb[::-1], np.float32) / 255.0
    return (page.astype(np.float32) * factor).astype(np.uint8)


def _tick(img: np.ndarray, box: tuple, colour=(35, 35, 35), width: int = 3) -> None:
    s = DPI / 25.4
    x, y, w, h = box
    cv2.line(img, (int((x + 1) * s), int((y + h - 1) * s)), (int((x + w - 1) * s), int((y + 1) * s)), colour, width)
    cv2.line(img, (int((x + 1) * s), int((y + h / 2) * s)), (int((x + w / 2) * s), int((y + h - 1) * s)), colour, width)


def expected_codes(template: Template) -> dict[str, int]:
    """The code ticked on each item (both sheets), apart from the doubtful ones."""
    out = {}
    for page in template.page_numbers:
        for k, item in enumerate(template.items_on(page)):
            out[item.id] = item.options[(k + page) % len(item.options)].code
    return out


def draw_sheet(template: Template, rasters: dict[int, np.ndarray], paper: tuple[int, int, int],
               doubts: bool) -> list[bytes]:
    """The JPEG of each page of one filled-in questionnaire."""
    codes = expected_codes(template)
    pages = []
    s = DPI / 25.4
    for page in template.page_numbers:
        img = rasters[page].copy()
        for item in template.items_on(page):
            boxes = {o.code: o.box_mm for o in item.options}
            if doubts and item.id == FAINT_ITEM:
                _tick(img, boxes[codes[item.id]], colour=(150, 150, 150), width=1)
                continue
            _tick(img, boxes[codes[item.id]])
            if doubts and item.id == MULTIPLE_ITEM:
                other = next(c for c in boxes if c != codes[item.id])
                _tick(img, boxes[other])
        for zone in template.comments_on(page):
            if doubts and zone.id == WRITTEN_COMMENT:
                x, y, w, h = zone.box_mm
                cv2.putText(img, "More joint training please", (int((x + 4) * s), int((y + h * 0.65) * s)),
                            cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.1, (40, 40, 40), 2, cv2.LINE_AA)
        pages.append(cv2.imencode(".jpg", _tint(img, paper), [cv2.IMWRITE_JPEG_QUALITY, 88])[1].tobytes())
    return pages


def write_pdf(path: Path, jpegs: list[bytes], size_mm: tuple[float, float]) -> Path:
    """One page per JPEG, the JPEG embedded as it is (as scanners write PDFs)."""
    saved = rl_config.useA85
    rl_config.useA85 = 0  # else reportlab wraps the JPEG in ASCII85 and the page is not "one JPEG"
    try:
        canvas = Canvas(str(path), pagesize=(size_mm[0] * mm, size_mm[1] * mm))
        for data in jpegs:
            canvas.drawImage(ImageReader(io.BytesIO(data)), 0, 0, size_mm[0] * mm, size_mm[1] * mm)
            canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = saved
    return path


def make_survey(template: Template, folder: Path) -> Path:
    """Scan the two-sheet batch into `folder / "out"` and return that folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rasters = {p: page_raster(template, p, DPI) for p in template.page_numbers}
    jpegs = draw_sheet(template, rasters, YELLOW, doubts=True) + draw_sheet(template, rasters, PEACH, doubts=False)
    pdf = write_pdf(folder / "batch.pdf", jpegs, template.page_size_mm)
    out = folder / "out"
    scan([pdf], template, out, jobs=1, ocr=False)
    return out


def copy_survey(out: Path, to: Path) -> Path:
    """A copy of a scanned survey's folder, for a test to change freely."""
    shutil.copytree(out, to)
    return to


def cached_survey(template: Template, base: Path) -> Path:
    """The scanned survey, made once per test session under `base` (its temporary root)."""
    out = base / "review-survey" / "out"
    if not (out / "survey.sqlite").exists():
        shutil.rmtree(base / "review-survey", ignore_errors=True)
        make_survey(template, base / "review-survey")
    return out


@contextlib.contextmanager
def running(out: Path, template: Template) -> Iterator[ReviewServer]:
    """A review server on a free port, serving from a thread until the block ends."""
    server = ReviewServer(out, template)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
