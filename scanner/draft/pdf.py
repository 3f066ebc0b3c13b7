"""What is printed on a PDF's pages, from its own drawing and text (pdfplumber), with
each page drawn at REFERENCE_DPI (pypdfium2) as its reference image."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from scanner.draft.content import BOX_MIN_MM, GLYPH_BOXES, PT_MM, REFERENCE_DPI, RULE_MAX_MM, ZONE_MIN_W_MM, \
    PageContent, PrintedBox, Word, bottom, free_rules, is_tick_box, is_zone_frame, right
from scanner.template import Box

UNDERSCORES = re.compile(r"_{5,}")
"""A word that is a run of underscores: a line to write on, typed."""


def has_vector_content(path: Path) -> bool:
    """A PDF that holds the form's own text or drawing (not just a scanned image)."""
    with path.open("rb") as file:
        if file.read(5) != b"%PDF-":
            return False
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return any(p.chars or p.rects or p.lines or p.curves for p in pdf.pages)




def pdf_pages(path: Path) -> list[PageContent]:
    import pdfplumber
    import pypdfium2 as pdfium

    pages = []
    raster = pdfium.PdfDocument(str(path))
    try:
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                image = raster[index].render(scale=REFERENCE_DPI / 72, grayscale=True).to_numpy()
                if image.ndim == 3:
                    image = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2GRAY)
                pages.append(_pdf_page(page, index + 1, np.ascontiguousarray(image)))
    finally:
        raster.close()
    return pages


def _mm(x0: float, top: float, x1: float, bottom: float) -> Box:
    return (x0 * PT_MM, top * PT_MM, (x1 - x0) * PT_MM, (bottom - top) * PT_MM)


def _pdf_page(page, number: int, image: np.ndarray) -> PageContent:
    boxes: list[PrintedBox] = []
    frames: list[Box] = []
    for r in page.rects:
        if not r["stroke"]:
            continue
        box = _mm(r["x0"], r["top"], r["x1"], r["bottom"])
        if is_tick_box(box[2], box[3]):
            boxes.append(PrintedBox(box, "square"))
        elif is_zone_frame(box[2], box[3]):
            frames.append(box)
    for c in page.curves:
        box = _mm(c["x0"], c["top"], c["x1"], c["bottom"])
        if c["stroke"] and is_tick_box(box[2], box[3]):
            boxes.append(PrintedBox(box, "circle"))
    small: list[Box] = []
    for ch in page.chars:
        if ch["text"] in GLYPH_BOXES:
            box = _ink_box(image, _mm(ch["x0"], ch["top"], ch["x1"], ch["bottom"]))
            if box is not None and is_tick_box(box[2], box[3]):
                boxes.append(PrintedBox(box, "glyph"))
            elif box is not None and min(box[2], box[3]) < BOX_MIN_MM:
                small.append(box)
    frames += _table_cells(page)
    text = page.filter(lambda o: not (o.get("object_type") == "char" and o.get("text") in GLYPH_BOXES))
    words, underscores = [], []
    for w in text.extract_words(keep_blank_chars=False):
        box = _mm(w["x0"], w["top"], w["x1"], w["bottom"])
        if UNDERSCORES.fullmatch(w["text"]):
            underscores.append(box)
        elif w["text"].strip():
            words.append(Word(w["text"], box))
    rules = _rules(page, [_underscore_rule(image, box) for box in underscores])
    size = (round(float(page.width) * PT_MM, 1), round(float(page.height) * PT_MM, 1))
    return PageContent(number, size, image, tuple(boxes), tuple(words), tuple(frames), tuple(rules), tuple(small))


def _rules(page, underscores: list[Box | None]) -> list[Box]:
    """Writing lines: drawn horizontal lines and runs of underscores long enough to write
    on, that are no frame's or table's border."""
    rules = [u for u in underscores if u is not None and u[2] >= ZONE_MIN_W_MM]
    borders = []
    for o in page.lines + page.rects:
        box = _mm(o["x0"], o["top"], o["x1"], o["bottom"])
        if box[3] <= RULE_MAX_MM and box[2] >= ZONE_MIN_W_MM:
            rules.append(box)
        elif box[2] <= RULE_MAX_MM:
            borders.append(box)
        elif o["object_type"] == "rect" and o["stroke"]:
            borders += [(box[0], box[1], 0.0, box[3]), (right(box), box[1], 0.0, box[3])]
    return free_rules(rules, borders)


def _underscore_rule(image: np.ndarray, box: Box) -> Box | None:
    """The line a run of underscores draws: its ink, about the word's box (a font may draw
    the underscore below its descent)."""
    scale = REFERENCE_DPI / 25.4
    x0, y0 = int(box[0] * scale), int(box[1] * scale)
    ink = image[y0: int(np.ceil((bottom(box) + box[3] / 2) * scale)), x0: int(np.ceil(right(box) * scale))] < 160
    rows = np.flatnonzero(ink.mean(axis=1) > 0.5)
    if rows.size == 0:
        return None
    return (box[0], float(y0 + rows[0]) / scale, box[2], float(rows[-1] - rows[0] + 1) / scale)


def _table_cells(page) -> list[Box]:
    """Cells of ruled tables big enough to write in. A word processor's framed box is a
    one-cell table, which pdfplumber's tables leave out: its cells do not."""
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 2,
                "intersection_tolerance": 2}
    cells = [_mm(*cell) for cell in page.debug_tablefinder(settings).cells]
    return [box for box in cells if is_zone_frame(box[2], box[3])]


def _ink_box(image: np.ndarray, box: Box) -> Box | None:
    """The drawn extent of a glyph about its character box: the ink, not the font's em
    (a glyph may reach beyond its advance, and table borders may run through its box)."""
    scale = REFERENCE_DPI / 25.4
    pad = 0.4 * max(box[2], box[3])
    x0, y0 = max(0, int((box[0] - pad) * scale)), max(0, int((box[1] - pad) * scale))
    x1, y1 = int(np.ceil((right(box) + pad) * scale)), int(np.ceil((bottom(box) + pad) * scale))
    ink = (image[y0:y1, x0:x1] < 128).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    cx0, cy0 = box[0] * scale - x0, box[1] * scale - y0
    cx1, cy1 = cx0 + box[2] * scale, cy0 + box[3] * scale
    glyph = [k for k in range(1, count) if stats[k, 0] > 0 and stats[k, 1] > 0
             and stats[k, 0] + stats[k, 2] < ink.shape[1] and stats[k, 1] + stats[k, 3] < ink.shape[0]
             and cx0 <= centroids[k, 0] <= cx1 and cy0 <= centroids[k, 1] <= cy1]
    if not glyph:
        return None
    ys, xs = np.nonzero(np.isin(labels, glyph))
    return ((x0 + xs.min()) / scale, (y0 + ys.min()) / scale, (xs.max() - xs.min() + 1) / scale,
            (ys.max() - ys.min() + 1) / scale)


