"""Comments: tell written zones from blank ones, OCR the written ones, decide per zone.

A zone counts as written by its ink area once specks (dust, noise) are removed, inside
an inset that leaves the printed frame out. All written zones of a page go to the OCR
engine in one image, stacked, so that Tesseract's start-up is paid once per page.
"""

from __future__ import annotations

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform
from scanner.marks import darkness
from scanner.ocr import OcrEngine, Word
from scanner.results import CommentReading, FieldResult, Reason, Status
from scanner.template import Comment

STACK_GAP_PX = 60
"""White space between stacked zones: Tesseract must not join lines across zones."""
CROP_PX_PER_MM = 8.0
CROP_JPEG_QUALITY = 80


def _inset(box: tuple, by: float) -> tuple:
    x, y, w, h = box
    return (x + by, y + by, w - 2 * by, h - 2 * by)


def _ink_area_mm2(dark: np.ndarray, px_per_mm: float) -> float:
    mask = (dark > T.INK_DARKNESS).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    speck_px = T.SPECK_MAX_MM2 * px_per_mm**2
    areas = stats[1:, cv2.CC_STAT_AREA]
    return float(areas[areas > speck_px].sum() / px_per_mm**2) if count > 1 else 0.0


def _clean(dark: np.ndarray) -> np.ndarray:
    """Black text on white whatever the paper colour: what OCR and people read best."""
    return (255 - np.clip(dark * 1.4, 0, 1) * 255).astype(np.uint8)


def read_page(grey: np.ndarray, transform: PageTransform, zones: list[Comment], engine: OcrEngine) -> list[CommentReading]:
    """Measure every comment zone of a page and transcribe the written ones."""
    s = T.COMMENT_PX_PER_MM
    measured = []
    for zone in zones:
        dark = darkness(transform.crop(grey, _inset(zone.box_mm, T.COMMENT_INSET_MM), s))
        measured.append((zone, dark, _ink_area_mm2(dark, s)))
    written = [(zone, _clean(dark)) for zone, dark, ink in measured if ink >= T.WRITTEN_MIN_MM2]
    texts = dict(zip([zone.id for zone, _ in written], _ocr_stacked([img for _, img in written], engine)))
    readings = []
    for zone, dark, ink in measured:
        crop = text = None
        confidence, ocr = 0.0, False
        if zone.id in texts:
            text, confidence = texts[zone.id]
            ocr = engine.name != "none"
        if ink >= T.WRITTEN_MIN_MM2:
            crop = _crop_jpeg(_clean(dark), s)
        readings.append(CommentReading(zone.id, round(ink, 2), text or "", round(confidence, 3), ocr, crop))
    return readings


def _crop_jpeg(image: np.ndarray, px_per_mm: float) -> bytes:
    factor = CROP_PX_PER_MM / px_per_mm
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY])[1].tobytes()


def _ocr_stacked(images: list[np.ndarray], engine: OcrEngine) -> list[tuple[str, float]]:
    """OCR several zone images in one call: each one's text and confidence, in order."""
    if not images or engine.name == "none":
        return []
    width = max(img.shape[1] for img in images)
    tops, parts, y = [], [], STACK_GAP_PX
    parts.append(np.full((STACK_GAP_PX, width), 255, np.uint8))
    for img in images:
        tops.append(y)
        padded = np.full((img.shape[0], width), 255, np.uint8)
        padded[:, : img.shape[1]] = img
        parts += [padded, np.full((STACK_GAP_PX, width), 255, np.uint8)]
        y += img.shape[0] + STACK_GAP_PX
    words = engine.read(np.vstack(parts))
    spans = [(top, top + img.shape[0]) for top, img in zip(tops, images)]
    return [_join([w for w in words if top <= w.y + w.height / 2 < bottom]) for top, bottom in spans]


def _join(words: list[Word]) -> tuple[str, float]:
    """The words in Tesseract's reading order, and the confidence of the least sure word:
    one misread word makes a comment wrong, however well the others were read."""
    if not words:
        return "", 0.0
    return " ".join(w.text for w in words), min(w.confidence for w in words)


def decide_comment(reading: CommentReading) -> FieldResult:
    """A comment zone's value and status from its reading."""
    evidence = {"ink_mm2": reading.ink_mm2, "ocr_confidence": reading.confidence}
    if reading.ink_mm2 < T.WRITTEN_MIN_MM2:
        confidence = 1.0 - 0.5 * reading.ink_mm2 / T.WRITTEN_MIN_MM2
        return FieldResult(reading.item, "", Status.BLANK, round(confidence, 3), None, evidence)
    if reading.ink_mm2 < T.WRITTEN_SURE_MM2:
        return FieldResult(reading.item, reading.text, Status.REVIEW, 0.4, Reason.MAYBE_WRITTEN, evidence)
    if not reading.ocr:
        return FieldResult(reading.item, "", Status.REVIEW, 0.0, Reason.NOT_READ, evidence)
    if reading.confidence < T.OCR_OK_CONFIDENCE or not reading.text:
        return FieldResult(reading.item, reading.text, Status.REVIEW, reading.confidence, Reason.OCR_UNSURE, evidence)
    return FieldResult(reading.item, reading.text, Status.OK, reading.confidence, None, evidence)
