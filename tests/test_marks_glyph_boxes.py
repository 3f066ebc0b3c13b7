"""Marks in the small glyph boxes of a form made in a word processor (tests/data's word
form: ☐ of 3.3-3.5 mm, ○ of 3.8 mm), read with the template drafted from it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from editor_form import drafted
from scans import tick

from scanner import thresholds as T
from scanner.geometry import PageTransform, mm_to_pixels
from scanner.marks import BoxPrint, decide_sheet, measure_page
from scanner.results import Status
from scanner.template import Template, load_template


@pytest.fixture(scope="module")
def wordform(tmp_path_factory) -> Template:
    return load_template(drafted(tmp_path_factory.getbasetemp()))


def page_off(template: Template, number: int, off_mm: float) -> tuple[np.ndarray, PageTransform, float]:
    """The blank page (its reference image) and a transform `off_mm` off it across and
    down, as registration may leave a page; the image's dots per inch."""
    grey = cv2.imread(str(template.reference_page(number)), cv2.IMREAD_GRAYSCALE)
    s = grey.shape[1] / template.page_size_mm[0]
    matrix = mm_to_pixels(s)
    matrix[:2, 2] += off_mm * s
    return grey, PageTransform.from_array(matrix), s * 25.4


@pytest.mark.parametrize("off_mm", [0.0, 0.25, -0.25])
def test_a_bubbles_printed_ring_is_no_mark_and_a_tick_in_it_is_read(wordform, off_mm):
    grey, transform, dpi = page_off(wordform, 2, off_mm)
    bubbles = [i for i in wordform.items_on(2) if i.options[0].box_mm[2] > 3.7]
    assert len(bubbles) == 3  # the grid of ○ in a table
    ticked = {item.id: item.options[k].code for k, item in enumerate(bubbles[:2])}  # the third row left blank
    for k, item in enumerate(bubbles[:2]):
        tick(grey, item.options[k].box_mm, dpi)
    measures = {m.item: m for m in measure_page(grey, transform, wordform.items_on(2), BoxPrint(wordform).page(2))}
    for item in bubbles:
        empty = [b for b in measures[item.id].boxes if b.code != ticked.get(item.id)]
        # Clean as a drawn box's interior: the ring, even a quarter millimetre off, is left out.
        assert all(b.score < T.EMPTY_MIN and b.peak < 0.05 for b in empty), (off_mm, measures[item.id])
    fields = decide_sheet(wordform, measures)
    assert {i: (f.status, f.value) for i, f in fields.items() if i in ticked} == \
        {i: (Status.OK, str(code)) for i, code in ticked.items()}
    assert all(f.status is Status.BLANK for i, f in fields.items() if i not in ticked)


def _blacken(grey: np.ndarray, box_mm: tuple, dpi: float, by_mm: float) -> None:
    """A box blackened with a pen out to `by_mm` beyond its sides (inside them when negative)."""
    x, y, w, h = box_mm
    s = dpi / 25.4
    cv2.rectangle(grey, (round((x - by_mm) * s), round((y - by_mm) * s)),
                  (round((x + w + by_mm) * s), round((y + h + by_mm) * s)), 40, -1)


@pytest.mark.parametrize("off_mm", [0.0, 0.25])
def test_a_small_box_filled_in_alone_is_the_answer_and_one_inked_out_to_its_frame_goes_to_review(wordform, off_mm):
    # A 3.3 mm box measures 1.8 mm inside: a pen's fill blackens that as evenly as a box
    # inked out. The fill stops short of the frame; the box inked out covers it.
    grey, transform, dpi = page_off(wordform, 1, off_mm)
    items = wordform.items_on(1)
    small = [i for i in items if i.options[0].box_mm[2] < 3.4]
    assert len(small) >= 2
    filled, inked_out = small[0], small[1]
    ticked = [i for i in items if i not in (filled, inked_out)]
    for item in ticked:
        tick(grey, item.options[0].box_mm, dpi)
    _blacken(grey, filled.options[1].box_mm, dpi, -0.7)
    _blacken(grey, inked_out.options[1].box_mm, dpi, 0.3)
    measures = {m.item: m for m in measure_page(grey, transform, items, BoxPrint(wordform).page(1))}
    solid = [measures[i.id].boxes[1] for i in (filled, inked_out)]
    assert all(b.fill >= T.INKED_OUT_EVENNESS for b in solid), solid  # alike inside
    fields = decide_sheet(wordform, measures)
    assert (fields[filled.id].status, fields[filled.id].value) == (Status.OK, str(filled.options[1].code))
    assert fields[inked_out.id].status is Status.REVIEW
    assert all(fields[i.id].status is Status.OK for i in ticked)


def test_a_bubble_inked_out_to_its_ring_goes_to_review_whatever_its_squares_corners_hold(wordform):
    # Fresh seed 792421416, s0019 q05a: a ○ inked out to cancel it left paper in the
    # corners of its square, outside the ring: no part of what a pen fills or inks out.
    grey, transform, dpi = page_off(wordform, 2, 0.0)
    items = wordform.items_on(2)
    bubble = next(i for i in items if i.options[0].box_mm[2] > 3.7)
    x, y, w, h = bubble.options[0].box_mm
    s = dpi / 25.4
    cv2.circle(grey, (round((x + w / 2) * s), round((y + h / 2) * s)), round((w / 2 + 0.1) * s), 40, -1)
    for item in items:
        if item is not bubble:
            tick(grey, item.options[0].box_mm, dpi)
    measures = {m.item: m for m in measure_page(grey, transform, items, BoxPrint(wordform).page(2))}
    inked = measures[bubble.id].boxes[0]
    assert inked.fill >= T.INKED_OUT_EVENNESS and inked.edge is None, inked
    assert decide_sheet(wordform, measures)[bubble.id].status is Status.REVIEW
