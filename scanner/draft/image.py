"""What is printed on a scanned or photographed blank page: tick boxes, frames and words.

The image counterpart of `scanner.draft.pdf`: the page is straightened
(the median tilt of the frames and boxes found), then boxes and bubbles are the small
hollow shapes, frames the holes big enough to write in (a framed box, a table's cells),
and the words come from Tesseract with the boxes and rules painted out (so that a box is
not read as a letter O). A page's scale comes from its width: the blank is taken to be
`page_width_mm` wide (A4 by default).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from pathlib import Path

from scanner.draft.content import BORDER_MIN_MM, BOX_MAX_MM, REFERENCE_DPI, RULE_MAX_MM, ZONE_MIN_W_MM, PageContent, \
    PrintedBox, Word, free_rules, is_tick_box, is_zone_frame
from scanner.draft.sheet import photographed_page
from scanner.errors import InputFileError
from scanner.ocr import OcrEngine
from scanner.template import Box

HOLLOW = 0.5
"""A tick box's or bubble's inside is at least this share of the area its outline
encloses (a bold letter O's is less)."""
RULE_MIN_MM = 8.0
"""A straight run of ink this long is a rule or a border, not part of a letter."""
BOX_RULE_MM = BOX_MAX_MM + 2.0
"""A straight run of ink this long is a rule, not a side of a tick box (the largest, with
the blur of its stroke): rules are cut away before boxes are looked for, so that a
bubble printed close to a table's rule, which a photo's blur joins to it, is still a
shape of its own."""
MIN_WORD_CONFIDENCE = 0.3
OCR_DPI = 180
"""Pages scanned coarser are scaled up to this before OCR: the small print of column
headers (7 or 8 pt) is lost at 150 dpi otherwise."""
"""Tesseract words below this are specks and lines, not text."""


def image_content(grey: np.ndarray, number: int, engine: OcrEngine,
                  page_width_mm: float = 210.0) -> PageContent:
    """The boxes, frames and words of one blank page given as greyscale pixels.

    Returns:
        The page's content in mm, with the straightened page at REFERENCE_DPI as its image.
    """
    portrait = grey.shape[0] >= grey.shape[1]
    width_mm = page_width_mm if portrait else page_width_mm * math.sqrt(2)
    px_per_mm = grey.shape[1] / width_mm
    grey = _straighten(grey, px_per_mm)
    boxes, frames = _shapes(grey, px_per_mm)
    rules = _rules(grey, px_per_mm)
    words = _words(grey, boxes, px_per_mm, engine)
    height_mm = round(grey.shape[0] / px_per_mm, 1)
    scale = REFERENCE_DPI / 25.4 / px_per_mm
    image = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return PageContent(number, (round(width_mm, 1), height_mm), image, tuple(boxes), tuple(words), tuple(frames),
                       tuple(rules))


def _binary(grey: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def _straighten(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The page turned so that its frames and boxes are upright (about its centre)."""
    contours, _ = cv2.findContours(_binary(grey), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles, weights = [], []
    for c in contours:
        (_, _), (w, h), angle = cv2.minAreaRect(c)
        w_mm, h_mm = w / px_per_mm, h / px_per_mm
        if is_tick_box(w_mm, h_mm) or is_zone_frame(max(w_mm, h_mm), min(w_mm, h_mm)):
            angles.append((angle + 45) % 90 - 45)  # OpenCV's angle range differs by version
            weights.append(w * h)
    if not angles:
        return grey
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    tilt = float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    if abs(tilt) < 0.05:
        return grey
    centre = (grey.shape[1] / 2, grey.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, tilt, 1.0)
    return cv2.warpAffine(grey, matrix, (grey.shape[1], grey.shape[0]), flags=cv2.INTER_LINEAR,
                          borderValue=255)


def _mm_box(x: float, y: float, w: float, h: float, px_per_mm: float) -> Box:
    return (x / px_per_mm, y / px_per_mm, w / px_per_mm, h / px_per_mm)


def _long_runs(ink: np.ndarray, length: float) -> np.ndarray:
    """The ink of the horizontal and vertical straight runs at least `length` pixels long."""
    length = round(length)
    return (cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
            | cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length))))


def _shapes(grey: np.ndarray, px_per_mm: float) -> tuple[list[PrintedBox], list[Box]]:
    """Hollow tick boxes and bubbles, and frames (the holes of the whole print)."""
    ink = _binary(grey)
    return _boxes(ink & ~_long_runs(ink, BOX_RULE_MM * px_per_mm), px_per_mm), _frames(ink, px_per_mm)


def _frames(ink: np.ndarray, px_per_mm: float) -> list[Box]:
    """The holes big enough to write in (a frame's inside, a table's cell), each with half
    a printed rule around it."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    frames = []
    line = 0.15 * px_per_mm
    for k, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        if hierarchy[0][k][3] >= 0 and is_zone_frame(w / px_per_mm, h / px_per_mm):
            frames.append(_mm_box(x - line, y - line, w + 2 * line, h + 2 * line, px_per_mm))
    return frames


def _boxes(ink: np.ndarray, px_per_mm: float) -> list[PrintedBox]:
    """The hollow shapes of a tick box's size, each the middle of its outline's two edges."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[PrintedBox] = []
    if hierarchy is None:
        return boxes
    for k, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        if hierarchy[0][k][3] >= 0 or not is_tick_box(w / px_per_mm, h / px_per_mm):
            continue
        hole = _largest_hole(k, contours, hierarchy)
        if hole is None or cv2.contourArea(hole) < HOLLOW * cv2.contourArea(contour):
            continue
        hx, hy, hw, hh = cv2.boundingRect(hole)
        fill = cv2.contourArea(contour) / (w * h)
        box = _mm_box((x + hx) / 2, (y + hy) / 2, (w + hw) / 2, (h + hh) / 2, px_per_mm)
        boxes.append(PrintedBox(box, "square" if fill > 0.88 else "circle"))
    return boxes


def _rules(grey: np.ndarray, px_per_mm: float) -> list[Box]:
    """Horizontal rules long enough to write on that are no frame's or table's border:
    the long horizontal runs of ink (a run of underscores joined up), less those with a
    vertical stroke at an end."""
    ink = _binary(grey)
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                               (max(3, round(0.6 * px_per_mm)), 1)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (round(ZONE_MIN_W_MM * px_per_mm), 1))
    horizontal = cv2.morphologyEx(joined, cv2.MORPH_OPEN, kernel)
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, round(BORDER_MIN_MM * px_per_mm))))
    count, _, stats, _ = cv2.connectedComponentsWithStats(horizontal, connectivity=8)
    rules = [_mm_box(*stats[k, :4], px_per_mm) for k in range(1, count)
             if stats[k, 3] <= RULE_MAX_MM * px_per_mm]
    count, _, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    borders = [_mm_box(*stats[k, :4], px_per_mm) for k in range(1, count)]
    return free_rules(rules, borders)


def _largest_hole(k: int, contours, hierarchy) -> np.ndarray | None:
    child = hierarchy[0][k][2]
    best = None
    while child >= 0:
        if best is None or cv2.contourArea(contours[child]) > cv2.contourArea(best):
            best = contours[child]
        child = hierarchy[0][child][0]
    return best


def _words(grey: np.ndarray, boxes: list[PrintedBox], px_per_mm: float, engine: OcrEngine) -> list[Word]:
    """The page's words, read with the boxes and every long rule (frames, table borders)
    painted out: Tesseract reads a box as an O and a table's borders as letters, and
    misses small text boxed in by them."""
    clean = grey.copy()
    for b in boxes:
        x, y, w, h = (int(round(v * px_per_mm)) for v in b.box)
        cv2.rectangle(clean, (x - 3, y - 3), (x + w + 3, y + h + 3), 255, -1)
    rules = _long_runs(_binary(clean), int(RULE_MIN_MM * px_per_mm))
    clean[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = 255
    zoom = max(1.0, OCR_DPI / 25.4 / px_per_mm)
    if zoom > 1.0:
        clean = cv2.resize(clean, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    words = []
    for word in engine.read(clean):
        if word.confidence < MIN_WORD_CONFIDENCE or not any(ch.isalnum() for ch in word.text):
            continue
        words.append(Word(word.text, _mm_box(word.x, word.y, word.width, word.height, px_per_mm * zoom),
                          word.confidence))
    return words


def scanned_pages(path: Path, language: str) -> list[PageContent]:
    """The content of every page of a scanned or photographed blank (a PDF of images, or
    image files); a photo's sheet is found and flattened first (`scanner.draft.sheet`).

    Raises:
        InputFileError: a page cannot be read, or is a photo whose sheet cannot be found.
    """
    from scanner.load import COLOUR_REDUCTION, InputProblem, enumerate_pages, load_page
    from scanner.ocr import TesseractEngine

    engine = TesseractEngine(language)
    pages = []
    for task in enumerate_pages([path]):
        if isinstance(task, InputProblem):
            raise InputFileError(task.source, task.reason, task.page)
        loaded = load_page(task)
        number = len(pages) + 1
        flat = photographed_page(loaded.grey, loaded.colour, 1 / COLOUR_REDUCTION, task.source, number,
                                 REFERENCE_DPI / 25.4)
        pages.append(image_content(loaded.grey if flat is None else flat, number, engine))
    return pages
