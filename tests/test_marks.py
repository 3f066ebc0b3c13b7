"""Mark measurement on real pixels, and the per-sheet decision rules on known measures."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scanner import thresholds as T
from scanner.geometry import PageTransform
from scanner.marks import decide_item, decide_sheet, measure_box, sheet_fills, sheet_mark_level
from scanner.results import BoxMeasure, ItemMeasure, Reason, Status

PX_PER_MM = 200 / 25.4


@pytest.fixture(scope="module")
def agree_item(template):
    return next(i for i in template.items if i.scale == "agree5")


def _page_with(template, item, draw) -> tuple[np.ndarray, PageTransform]:
    from scanner.render import page_raster

    image = cv2.cvtColor(page_raster(template, item.page, 200), cv2.COLOR_BGR2GRAY)
    draw(image, lambda x, y: (int(round(x * PX_PER_MM)), int(round(y * PX_PER_MM))))
    transform = PageTransform.from_array(np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]]))
    return image, transform


def _tick(box, colour=30, width=3):
    x, y, w, h = box

    def draw(image, px):
        cv2.line(image, px(x + 1.0, y + 2.6), px(x + 2.1, y + 4.2), colour, width, cv2.LINE_AA)
        cv2.line(image, px(x + 2.1, y + 4.2), px(x + 4.4, y + 0.6), colour, width, cv2.LINE_AA)

    return draw


def test_empty_printed_box_measures_nothing(template, agree_item):
    image, transform = _page_with(template, agree_item, lambda image, px: None)
    for option in agree_item.options:
        assert measure_box(image, transform, option.box_mm, option.code).score < T.EMPTY_MAX / 2


def test_tick_pencil_and_fill_measure_in_order(template, agree_item):
    boxes = [o.box_mm for o in agree_item.options]

    def draw(image, px):
        _tick(boxes[0])(image, px)
        _tick(boxes[1], colour=170, width=2)(image, px)  # light pencil
        x, y, w, h = boxes[2]
        cv2.rectangle(image, px(x + 0.4, y + 0.4), px(x + w - 0.4, y + h - 0.4), 25, -1)

    image, transform = _page_with(template, agree_item, draw)
    scores = [measure_box(image, transform, o.box_mm, o.code).score for o in agree_item.options]
    assert scores[2] > T.FILLED_MIN > scores[0] > T.MARK_MIN
    assert T.EMPTY_MAX < scores[1] < scores[0]
    assert scores[3] < T.EMPTY_MAX and scores[4] < T.EMPTY_MAX


def measures(*scores: float, item: str = "q06") -> ItemMeasure:
    """Boxes with these ink scores; a score above 0.5 is a box filled in, others strokes."""
    return ItemMeasure(item, tuple(BoxMeasure(k + 1, s, 0.95 if s > 0.5 else min(s, 0.3)) for k, s in enumerate(scores)))


def decide(agree_item, *scores, level=0.2, fills=False, corrections=True):
    return decide_item(agree_item, measures(*scores), level, fills, corrections)


def test_one_clear_tick_is_ok(agree_item):
    r = decide(agree_item, 0.0, 0.22, 0.0003, 0.0, 0.0)
    assert (r.status, r.value) == (Status.OK, "2") and r.confidence >= 0.9


def test_nothing_marked_is_blank(agree_item):
    r = decide(agree_item, 0.0, 0.0004, 0.0, 0.0, 0.0002)
    assert (r.status, r.value) == (Status.BLANK, "")


def test_two_ticks_are_multiple_with_no_value(agree_item):
    r = decide(agree_item, 0.2, 0.0, 0.0, 0.25, 0.0)
    assert (r.status, r.value, r.reason) == (Status.MULTIPLE, "", Reason.MULTIPLE)


def test_inked_out_box_beside_a_tick_is_a_correction(agree_item):
    r = decide(agree_item, 0.0, 0.8, 0.0, 0.21, 0.0)
    assert (r.status, r.value, r.reason) == (Status.OK, "4", Reason.CORRECTION)


def test_correction_reading_can_be_switched_off(agree_item):
    r = decide(agree_item, 0.0, 0.8, 0.0, 0.21, 0.0, corrections=False)
    assert r.status is Status.MULTIPLE


def test_inked_out_box_alone_goes_to_review_on_a_ticking_sheet(agree_item):
    r = decide(agree_item, 0.0, 0.0, 0.85, 0.0, 0.0)
    assert (r.status, r.reason) == (Status.REVIEW, Reason.CANCELLED_ONLY)


def test_filled_box_is_the_answer_on_a_sheet_that_fills(agree_item):
    r = decide(agree_item, 0.0, 0.0, 0.85, 0.0, 0.0, fills=True)
    assert (r.status, r.value) == (Status.OK, "3")


def test_very_faint_mark_alone_goes_to_review(agree_item):
    r = decide(agree_item, 0.0, 0.0, 0.008, 0.0, 0.0)
    assert (r.status, r.reason) == (Status.REVIEW, Reason.FAINT) and r.value == "3"


def test_light_mark_alone_in_its_row_is_read_with_low_confidence_on_a_light_sheet(agree_item):
    r = decide(agree_item, 0.0, 0.0, 0.03, 0.0, 0.0, level=0.09)
    assert (r.status, r.value) == (Status.OK, "3") and r.confidence < 0.8


def test_light_mark_alone_on_a_dark_pen_sheet_goes_to_review(agree_item):
    # Among firm ticks, a mark a tenth as dark may be an erased answer: a person decides.
    r = decide(agree_item, 0.0, 0.0, 0.02, 0.0, 0.0, level=0.21)
    assert (r.status, r.reason) == (Status.REVIEW, Reason.FAINT)


def test_two_faint_marks_go_to_review(agree_item):
    r = decide(agree_item, 0.0, 0.02, 0.03, 0.0, 0.0)
    assert (r.status, r.reason) == (Status.REVIEW, Reason.FAINT)


def test_light_pencil_fill_beside_a_faint_tick_is_not_read_as_the_fill(agree_item):
    boxes = (BoxMeasure(4, 0.16, 0.9), BoxMeasure(5, 0.04, 0.2))
    r = decide_item(agree_item, ItemMeasure("q06", boxes), 0.2, False, True)
    assert (r.status, r.reason, r.value) == (Status.REVIEW, Reason.CANCELLED_ONLY, "5")


def test_mark_overshooting_its_box_goes_to_review(agree_item):
    boxes = tuple(BoxMeasure(k, 0.002 if k == 4 else 0.0, 0.0, 0.2 if k == 4 else 0.0) for k in range(1, 6))
    r = decide_item(agree_item, ItemMeasure("q06", boxes), 0.2, False, True)
    assert (r.status, r.reason, r.value) == (Status.REVIEW, Reason.OUTSIDE, "4")


def test_light_pencil_sheet_is_read_on_its_own_terms(agree_item):
    # On a sheet whose marks are all ~0.07, a 0.035 mark is still clearly a mark.
    r = decide(agree_item, 0.0, 0.0, 0.035, 0.0, 0.0, level=0.07)
    assert (r.status, r.value) == (Status.OK, "3")


def test_mark_next_to_a_faint_one_of_similar_ink_goes_to_review(agree_item):
    r = decide(agree_item, 0.0, 0.05, 0.035, 0.0, 0.0)
    assert (r.status, r.reason) == (Status.REVIEW, Reason.AMBIGUOUS)


def test_sheet_level_and_fill_habit(template):
    ticks = [measures(0.0, 0.2, 0.0, item=f"i{k}") for k in range(10)]
    fills = [measures(0.0, 0.8, 0.0, item=f"i{k}") for k in range(10)]
    assert sheet_mark_level(ticks) == pytest.approx(0.2)
    assert not sheet_fills(ticks) and sheet_fills(fills)


def test_decide_sheet_covers_every_measured_item(template):
    ms = {i.id: ItemMeasure(i.id, tuple(BoxMeasure(o.code, 0.2 if o.code == 1 else 0.0, 0.2) for o in i.options))
          for i in template.items}
    decided = decide_sheet(template, ms)
    assert set(decided) == {i.id for i in template.items}
    assert all(r.status is Status.OK and r.value == "1" for r in decided.values())


def test_a_very_faint_tick_on_a_clean_scan_is_flagged_not_blank(template):
    """The empty level follows the sheet's own noise: on a clean scan a tick far fainter
    than any fixed threshold would allow still stands out and goes to a person."""
    ms = {i.id: ItemMeasure(i.id, tuple(BoxMeasure(o.code, 0.2 if o.code == 1 else 0.0001, 0.2) for o in i.options))
          for i in template.items}
    ms["q16b"] = measures(0.003, 0.0001, 0.0, 0.0001, 0.0, item="q16b")
    decided = decide_sheet(template, ms)
    assert (decided["q16b"].status, decided["q16b"].reason) == (Status.REVIEW, Reason.FAINT)


def test_on_a_noisy_scan_the_same_trace_is_noise(template):
    ms = {i.id: ItemMeasure(i.id, tuple(BoxMeasure(o.code, 0.2 if o.code == 1 else 0.0008, 0.2) for o in i.options))
          for i in template.items}
    ms["q16b"] = measures(0.003, 0.0008, 0.0007, 0.0008, 0.0006, item="q16b")
    assert decide_sheet(template, ms)["q16b"].status is Status.BLANK
