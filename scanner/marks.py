"""Marks: measure the ink in each tick box (per page) and decide each item (per sheet).

Measuring happens in the workers on the registered page; deciding happens once all of a
sheet's pages are in, because the thresholds adapt to the sheet: a respondent with a
light pencil is read against their own marks, and a respondent who fills boxes in solid
is not taken for one cancelling answers.

How an item is read (numbers in `thresholds`):
- no box above EMPTY_MAX: blank;
- one box marked, the others empty: that code;
- one box filled solid (inked out) and exactly one other box ticked: a correction, the
  ticked box is the answer (when the template's `reading.corrections` is on);
- several boxes marked: multiple, left for review;
- anything faint, or marks too alike to tell apart: review, with the reason.
"""

from __future__ import annotations

import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform
from scanner.results import BoxMeasure, FieldResult, ItemMeasure, Reason, Status
from scanner.template import Item, Template

NOISE_DARKNESS = 0.06
"""Darkness below this is paper grain, JPEG ringing and sensor noise: not counted."""


def darkness(crop: np.ndarray) -> np.ndarray:
    """Per-pixel darkness relative to the local paper: 0 paper, 1 black."""
    # A quarter of the pixels tell the paper level as well as all of them, four times faster.
    paper = max(float(np.percentile(crop[::2, ::2], T.PAPER_PERCENTILE)), 1.0)
    return np.clip((paper - crop.astype(np.float32)) / paper, 0.0, 1.0)


def measure_box(grey: np.ndarray, transform: PageTransform, box_mm: tuple, code: int) -> BoxMeasure:
    s, margin = T.BOX_PX_PER_MM, T.PAPER_MARGIN_MM
    dark = darkness(transform.crop(grey, box_mm, s, margin_mm=margin))
    inset = round((margin + T.BOX_INSET_MM) * s)
    interior = dark[inset:-inset, inset:-inset]
    score = float(np.where(interior > NOISE_DARKNESS, interior, 0.0).mean())
    cover = float((interior > T.INK_DARKNESS).mean())
    return BoxMeasure(code, round(score, 4), round(cover, 4))


def measure_page(grey: np.ndarray, transform: PageTransform, items: list[Item]) -> list[ItemMeasure]:
    """Measure every tick box of the page's items."""
    return [ItemMeasure(item.id, tuple(measure_box(grey, transform, o.box_mm, o.code) for o in item.options))
            for item in items]


def sheet_mark_level(measures: list[ItemMeasure]) -> float:
    """The sheet's typical mark: the median of each item's strongest box, over items
    whose strongest box is clearly a mark and not solid fill."""
    tops = [max(b.score for b in m.boxes) for m in measures if m.boxes]
    marks = [s for s in tops if T.MARK_MIN <= s < T.FILLED_MIN]
    return float(np.median(marks)) if marks else T.MARK_MIN / T.MARK_RELATIVE


def sheet_fills(measures: list[ItemMeasure]) -> bool:
    """Whether this respondent answers by filling boxes in (most answered items solid)."""
    tops = [max(b.score for b in m.boxes) for m in measures if m.boxes]
    answered = [s for s in tops if s >= T.MARK_MIN]
    return bool(answered) and sum(s >= T.FILLED_MIN for s in answered) > len(answered) / 2


def _confidence(score: float, low: float, high: float) -> float:
    """How far `score` sits from the band [low, high] it must stay out of, 0.5 to 1."""
    gap = min(abs(score - low), abs(score - high)) / max(high - low, 1e-6)
    return float(min(1.0, 0.5 + gap))


def decide_item(item: Item, m: ItemMeasure, mark_level: float, fills: bool, corrections: bool) -> FieldResult:
    """Decide one item from its measured boxes and the sheet's own marking habits."""
    mark_t = max(T.EMPTY_MAX * 1.5, min(T.MARK_MIN, T.MARK_RELATIVE * mark_level))
    evidence = {"scores": {str(b.code): b.score for b in m.boxes}, "mark_threshold": round(mark_t, 4)}
    ranked = sorted(m.boxes, key=lambda b: b.score, reverse=True)
    marked = [b for b in ranked if b.score >= mark_t]
    faint = [b for b in ranked if T.EMPTY_MAX <= b.score < mark_t]

    def result(status: Status, value: str = "", confidence: float = 1.0, reason: Reason | None = None) -> FieldResult:
        if status is Status.OK and confidence < T.OK_CONFIDENCE:
            status, reason = Status.REVIEW, Reason.LOW_CONFIDENCE
        return FieldResult(item.id, value, status, round(confidence, 3), reason, evidence)

    if not marked and not faint:
        return result(Status.BLANK, confidence=_confidence(ranked[0].score, T.EMPTY_MAX, T.EMPTY_MAX))
    if not marked:
        return result(Status.REVIEW, str(faint[0].code), 0.3, Reason.FAINT)
    if item.multiple:
        codes = ";".join(str(b.code) for b in sorted(marked, key=lambda b: b.code))
        return result(Status.REVIEW if faint else Status.OK, codes, 0.9 if not faint else 0.4,
                      Reason.FAINT if faint else None)
    solid = [b for b in marked if b.score >= T.FILLED_MIN]
    ticked = [b for b in marked if b.score < T.FILLED_MIN]
    if len(marked) == 1:
        top = marked[0]
        if solid and not fills and corrections:
            return result(Status.REVIEW, str(top.code), 0.4, Reason.CANCELLED_ONLY)
        if faint and top.score < T.DOMINANCE * faint[0].score:
            return result(Status.REVIEW, str(top.code), 0.4, Reason.AMBIGUOUS)
        second = faint[0].score if faint else (ranked[1].score if len(ranked) > 1 else 0.0)
        confidence = min(_confidence(top.score, T.EMPTY_MAX, mark_t), _confidence(second, T.EMPTY_MAX, mark_t))
        return result(Status.OK, str(top.code), confidence)
    if corrections and not fills and solid and len(ticked) == 1 and not faint:
        return result(Status.OK, str(ticked[0].code), 0.85, Reason.CORRECTION)
    return result(Status.MULTIPLE, "", 0.9, Reason.MULTIPLE)


def decide_sheet(template: Template, measures: dict[str, ItemMeasure]) -> dict[str, FieldResult]:
    """Decide every measured item of one sheet."""
    values = list(measures.values())
    level, fills = sheet_mark_level(values), sheet_fills(values)
    by_id = {i.id: i for i in template.items}
    return {iid: decide_item(by_id[iid], m, level, fills, template.reading.corrections) for iid, m in measures.items()}
