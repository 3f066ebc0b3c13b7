"""Marks: measure the ink in each tick box (per page) and decide each item (per sheet).

Measuring happens in the workers on the registered page; deciding happens once all of a
sheet's pages are in, because the thresholds adapt to the sheet: a respondent with a
light pencil is read against their own marks, and a respondent who fills boxes in solid
is not taken for one cancelling answers.

How an item is read (numbers in `thresholds`):
- no box above the page's empty level (its own noise, within EMPTY_MIN..EMPTY_MAX): blank,
  unless one box's faintest ink, noise kept, stands TRACE_MARGIN above its row's other
  boxes (a faint tick blurred under the noise floor), and TRACE_RUNNER_UP_RELATIVE
  above the next box's (show-through lifts several alike), or one box alone holds ink above
  the noise floor spread as a stroke, its trace standing so: review; on a page written in a
  dark pen, a trace whose darkest ink is a ghost's (GHOST_PEAK_RELATIVE) is no faint tick:
  blank (`Reason.RUBBED_OUT`);
- one box marked, the others empty: that code, if it holds at least ERASED_RELATIVE of
  the sheet's typical mark and its darkest ink is at least ERASED_PEAK_RELATIVE of the
  pen's on that page; a lighter lone trace may be a rubbed-out tick: review; a lone mark
  as dark as the pen (STROKE_PEAK_RELATIVE) is read from STROKE_MIN of ink (a dot, a tick
  run mostly out of its box); on a pencil page, a light tick (LIGHT_TICK_PEAK of the
  pencil) alone in its row is read when the sheet holds LIGHT_HAND_ROWS of them not
  smeared (LIGHT_HAND_SHARPNESS), and so
  is a light stroke (INTACT_PEAK_RELATIVE of the pencil) whose edges are INTACT_SHARPNESS
  as sharp as the respondent's own pencil strokes on the page (more so on a coarse scan,
  whose blur hides a smear; less so for one darker than a ghost keeps, WHOLE_STROKE_PEAK):
  an eraser smears a ghost;
- nothing marked, and one box with much ink beside it for the pen's darkness
  (OVERFLOW_SURE_RELATIVE) and a stroke of the pen inside: a tick run out of that box, its
  answer; so is one with no more than a stretch of a stroke inside, a stroke's length of
  ink beside it alone (BESIDE_STROKE_MM, OVERFLOW_ALONE_RELATIVE of the pen), no other box
  of the item within reach of its strips and no faint tick's trace in another box: a tick
  run out into the empty margin (`run_out_alone`); other ink beside a box: review;
- beside a stroke of the pen, a box greyed evenly but far lighter is in a shadow: empty;
  one at a shadow's edge as dark as a lone mark beside it (SHADE_MARK_PEAK_RELATIVE)
  may hide a second tick: review;
- on a page written in a dark pen, a box whose darkest ink is a small share of the pen's
  (GHOST_PEAK_RELATIVE) is a rubbed-out tick's ghost: a row of such traces only, with
  less ink beside any box than the pen run out of one leaves (GHOST_BESIDE_MAX, or none
  of it darker than BESIDE_INK), is blank
  (`Reason.RUBBED_OUT`); beside a stroke of the pen, a ghost is no second mark;
- one box blackened completely (inked out: INKED_OUT_EVENNESS, INKED_OUT_EDGE) and
  exactly one other box ticked: a correction, the ticked box is the answer (when the
  template's `reading.corrections` is on); a solid box with gaps left (a fill, a thick
  cross in a small box) beside a tick: multiple; a light fill beside a trace as dark as
  itself: review, unless the trace is a dust speck whose box's trace does not stand out of
  the row (`dust_speck`: a speck on a faint tick's trace is the tick's darkest spot);
- one box blackened completely (INKED_OUT_EVENNESS) and nothing else ticked, on a sheet
  that ticks: a cancelled answer, review; one shaded in with the pen, gaps left (in a small
  box, paper left next to its frame: INKED_OUT_EDGE), is the answer;
- a dot (DOT_EXTENT_MM) far darker than the pen (a dust grain?) beside a trace in another
  box: review; so is a lone dot lighter than the pen (DOT_PEAK_RELATIVE);
- on a sheet answered in dots (DOT_HAND_SHARE of its rows), a lone dot as dark as the pen
  is the answer however small: a grain in a blank row is rare there, a dot the habit;
- several boxes marked: multiple, left for review; but two, neither solid, one with
  SPILL_DOMINANCE times the other's ink, are a tick and the end of its stroke: the tick;
- anything faint, or marks too alike to tell apart: review, with the reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform, mm_to_pixels
from scanner.results import BoxMeasure, FieldResult, ItemMeasure, PageMarks, Reason, Status
from scanner.template import Item, Template

NOISE_DARKNESS = 0.06
"""Darkness below this is paper grain, JPEG ringing and sensor noise: not counted."""

# The parent decides every item of every sheet: `attrgetter` keys and `median` cost it a
# fraction of lambdas and `statistics.median` on a row's few boxes.
_SCORE, _OUTSIDE, _TRACE = attrgetter("score"), attrgetter("outside"), attrgetter("trace")


def median(values: Iterable[float]) -> float:
    """`statistics.median`, bit for bit (the middle value, or the mean of the middle two),
    without its generality's cost."""
    data = sorted(values)
    n = len(data)
    if not n:
        raise ValueError("no median for empty data")
    if n % 2:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile (0-1) of `values` by partial sort: np.percentile costs ten times more
    on the small arrays of a box, and boxes are read by the hundred on every page."""
    return float(_quantiles(values.ravel(), q))


def _quantiles(values: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile (0-1) along the last axis."""
    n = values.shape[-1]
    k = min(n - 1, int(q * n))
    if values.dtype == np.uint8 and values.ndim == 1:
        # The same order statistic from a histogram of the 256 levels: a fifth of the time.
        return np.uint8(np.searchsorted(np.cumsum(np.bincount(values, minlength=256)), k, side="right"))
    # Asked for one order statistic alone, numpy 2 selects it by its SIMD quickselect, which
    # crawls over ties: a box's darkness is 0 over most of it, 0.5 ms against 0.02 for its
    # introselect, which it takes when asked for two (the last one costs nothing more).
    return np.partition(values, [k, n - 1], axis=-1)[..., k]


def darkness_levels(crop: np.ndarray) -> np.ndarray:
    """The darkness of each of the 256 grey levels against the paper of a grey (uint8)
    crop (see `darkness`): shape (256,), or (n, 256) for a stack of crops."""
    # A quarter of the pixels tell the paper level as well as all of them, four times faster.
    sample = crop[..., ::2, ::2]
    paper = np.maximum(_quantiles(sample.reshape(*sample.shape[:-2], -1), T.PAPER_PERCENTILE / 100), 1.0)
    paper = np.asarray(paper, dtype=np.float32)[..., None]
    return np.clip((paper - np.arange(256, dtype=np.float32)) / paper, 0.0, 1.0)


def darkness(crop: np.ndarray) -> np.ndarray:
    """Per-pixel darkness of a grey (uint8) crop relative to the local paper: 0 paper,
    1 black. A stack of crops (n, height, width) is taken crop by crop, each against its
    own paper."""
    # Each grey level's darkness looked up: the same numbers as computing them pixel by
    # pixel, for a tenth of the arithmetic.
    levels = darkness_levels(crop)
    if crop.ndim == 2:
        return cv2.LUT(crop, levels)
    return np.stack([cv2.LUT(c, table) for c, table in zip(crop, levels)])


def box_crop(grey: np.ndarray, transform: PageTransform, box_mm: tuple) -> np.ndarray:
    """The box and PAPER_MARGIN_MM around it at BOX_PX_PER_MM, as `measure_boxes` reads it."""
    # One warp per box: OpenCV warps a box in ~35 us, less than computing one map for all.
    return transform.crop(grey, box_mm, T.BOX_PX_PER_MM, margin_mm=T.PAPER_MARGIN_MM)


def measure_boxes(grey: np.ndarray, transform: PageTransform, boxes_mm: list[tuple],
                  codes: list[int], printed: np.ndarray | None = None,
                  crops: list[np.ndarray] | None = None) -> list[BoxMeasure]:
    """Ink inside each box (border excluded), how evenly it fills it, and ink just outside,
    for boxes of one size, measured together (one array operation for all, not one per box).
    `printed` (see `BoxPrint`) marks, per box, the crop's pixels where the blank form prints:
    they are left out of every measure. `crops`: the boxes' `box_crop`s when made already."""
    s = T.BOX_PX_PER_MM
    if crops is None:
        crops = [box_crop(grey, transform, box) for box in boxes_mm]
    seen = darkness(np.stack(crops))
    raw = seen if printed is None else np.where(printed, 0.0, seen)
    dark = np.where(raw > NOISE_DARKNESS, raw, 0.0)
    inset = round((T.PAPER_MARGIN_MM + T.BOX_INSET_MM) * s)
    interior = dark[:, inset:-inset, inset:-inset]
    traces = _quantiles(raw[:, inset:-inset, inset:-inset].reshape(len(codes), -1), T.TRACE_QUANTILE)
    unprinted = None if printed is None else ~printed[:, inset:-inset, inset:-inset]
    scores = _interior_share(interior, unprinted)
    strong = _quantiles(interior.reshape(len(codes), -1), 0.95)
    # Share of the interior inked at least half as dark as the box's own ink: near 1 for a
    # box filled in, whatever the pen, so a light pencil fill is still seen as a fill.
    evenly = _interior_share(interior > 0.5 * strong[:, None, None], unprinted)
    fills = np.where(strong.astype(np.float64) > T.INK_DARKNESS / 2, evenly, 0.0)
    edges = [None] * len(codes) if printed is None else edge_fills(dark, strong, printed, inset)
    peaks = _quantiles(interior.reshape(len(codes), -1), T.PEAK_QUANTILE)
    extents = _extents(interior, peaks, s)
    outside = _outside(dark, s)
    besides = _beside_extents(raw, s)
    # Every measure reads the box and the strips beside it out to BESIDE_FAR_MM: a box is cut
    # off when they reach past the picture's edge. The crop's margin beyond them only tells
    # the paper level, a high percentile that the crop's white fill there leaves alone.
    cut = ~transform.boxes_in_picture(boxes_mm, grey.shape, T.BESIDE_FAR_MM)
    light = ((scores >= T.EMPTY_MIN) & (peaks > NOISE_DARKNESS) & (peaks < T.SHARPNESS_PEAK_MAX)
             & (transform.px_per_mm() >= T.SHARPNESS_MIN_PX_PER_MM)
             & (transform.perspective() <= T.SHARPNESS_MAX_PERSPECTIVE))
    sharpness = [stroke_sharpness(seen[k], float(peaks[k]), inset, None if unprinted is None else unprinted[k])
                 if light[k] else None for k in range(len(codes))]
    widths = [stroke_width(interior[k], float(peaks[k]), s) if extents[k] > T.DOT_EXTENT_MM else None
              for k in range(len(codes))]
    pieces = [largest_piece(interior[k], float(peaks[k]), s) for k in range(len(codes))]
    return [BoxMeasure(code, round(float(score), 4), round(float(fill), 4), round(float(out), 4), round(float(peak), 4),
                       bool(cut_off), round(float(trace), 4), round(float(extent), 2), sharp,
                       round(float(beside), 2), None if edge is None else round(float(edge), 4), width, piece)
            for code, score, fill, out, peak, cut_off, trace, extent, sharp, beside, edge, width, piece
            in zip(codes, scores, fills, outside, peaks, cut, traces, extents, sharpness, besides, edges, widths, pieces)]


def edge_fills(dark: np.ndarray, strong: np.ndarray, printed: np.ndarray, inset: int) -> list[float | None]:
    """Per box, the share of its paper between the printed frame and the interior measured
    (`dark`'s crops, print left out: `printed`; the interior `inset` pixels in from the
    crop's edge) inked at least half as dark as the interior's own ink (`strong`): 1 for a
    box inked out to its frame. Only paper that the print closes in counts (`_enclosed`):
    a ○'s ring leaves none of it there, and the square's corners outside the ring are no
    part of what a pen fills or inks out. None for a box with fewer than EDGE_MIN_PIXELS
    of such paper, or with no ink (`fill` is 0 then too).

    A word processor's 3.3 mm box measures 1.8 mm inside: a pen's fill blackens that as
    evenly as a box inked out, and only this edge tells them apart."""
    s, n = T.BOX_PX_PER_MM, len(strong)
    margin = round(T.PAPER_MARGIN_MM * s)
    edge = np.zeros(dark.shape[1:], dtype=bool)
    edge[margin:-margin, margin:-margin] = True
    edge[inset:-inset, inset:-inset] = False
    paper = edge & np.stack([_enclosed(p) for p in printed])
    inked = (dark > 0.5 * strong[:, None, None]) & paper
    counts = paper.sum(axis=(1, 2))
    return [float(inked[k].sum() / counts[k]) if counts[k] >= T.EDGE_MIN_PIXELS and strong[k] > T.INK_DARKNESS / 2
            else None for k in range(n)]


def stroke_width(interior: np.ndarray, peak: float, px_per_mm: float) -> float | None:
    """How wide a box's ink is at its darkest, in mm: its pixels at least half as dark as
    `peak` (as `_extents` takes them), over half their outline, the width of a line however
    it runs. `interior`: the box's interior darkness, noise removed, at `px_per_mm`.

    A pen or a pencil draws a stroke as wide as its tip, 0.25 mm and more; a hair is 0.05
    to 0.1 mm, widened to a pixel or two by the scan and the resampling. A pencil's grain
    leaves pinholes in its stroke that would lengthen the outline: closed first, which
    does not widen a line. None when the box holds no ink."""
    inked = (interior >= 0.5 * peak) & (peak > 0)
    if not inked.any():
        return None
    inked = cv2.morphologyEx(inked.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    outlines, _ = cv2.findContours(inked, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    half_outline = sum(cv2.arcLength(c, True) for c in outlines) / 2
    return round(float(np.count_nonzero(inked)) / max(half_outline, 1.0) / px_per_mm, 3)


def largest_piece(interior: np.ndarray, peak: float, px_per_mm: float) -> float:
    """How far the largest piece of a box's ink spreads, in mm: the longer side of the
    rectangle holding its largest connected piece of pixels at least half as dark as `peak`
    (as `_extents` takes them, but piece by piece). `interior`: the box's interior
    darkness, noise removed, at `px_per_mm`. 0 for a box with no ink.

    A tick, a cross, a dot of the pen is one piece however it runs; dust falls in grains,
    and two of them in a box spread as far apart as a tick (`extent`) while each is a
    speck. A pencil's grain leaves pinholes in its stroke that would break it: closed
    first, as `stroke_width` does."""
    if not peak > 0:
        return 0.0
    inked = cv2.morphologyEx((interior >= 0.5 * peak).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(inked, connectivity=8)
    if count < 2:
        return 0.0
    sides = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    return round(float(sides.max()) / px_per_mm, 2)


def stroke_sharpness(seen: np.ndarray, peak: float, inset: int, unprinted: np.ndarray | None = None) -> float | None:
    """How sharp the edges of the ink in a box are, against the form's print beside it: the
    steepest darkness gradients of its interior (SHARPNESS_QUANTILE) over its peak, divided
    by the same of the print around the interior (the box's frame, printed as sharp as the
    page was scanned). `seen`: one box's darkness crop, print kept; `inset`: the interior's
    distance from the crop's edge in pixels; `unprinted`: the interior's pixels the form
    does not print (all when None).

    A pencil line drawn lightly is as sharp as its tip, as a firm one (on generated scans
    0.6 to 0.9, the scan's resolution and focus setting it as much as the pencil); an
    eraser smears what it leaves, softening its edges (a ghost 0.4 to 0.7). None when no
    print darker than SHARPNESS_PRINT_MIN lies around the box. `measure_boxes` measures it
    only on flat scans (not phone photos, SHARPNESS_MAX_PERSPECTIVE) of
    SHARPNESS_MIN_PX_PER_MM or more."""
    # The interior and the rim around it only: the crop's outer margin is paper.
    rim = round(T.SHARPNESS_RIM_MM * T.BOX_PX_PER_MM)
    near = seen[inset - rim:seen.shape[0] - inset + rim, inset - rim:seen.shape[1] - inset + rim]
    slope = cv2.magnitude(cv2.Sobel(near, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(near, cv2.CV_32F, 0, 1, ksize=3))

    def rim_of(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values[:rim].ravel(), values[-rim:].ravel(),
                               values[rim:-rim, :rim].ravel(), values[rim:-rim, -rim:].ravel()])

    print_peak = quantile(rim_of(near), T.SHARPNESS_PRINT_QUANTILE)
    if print_peak < T.SHARPNESS_PRINT_MIN or peak <= 0:
        return None
    inside = slope[rim:-rim, rim:-rim]
    if unprinted is not None:
        inside = inside[unprinted]
    stroke = quantile(inside, T.SHARPNESS_QUANTILE) / peak
    frame = quantile(rim_of(slope), T.SHARPNESS_QUANTILE) / print_peak
    return round(stroke / frame, 3) if frame > 0 else None


def _interior_share(values: np.ndarray, unprinted: np.ndarray | None) -> np.ndarray:
    """The mean of each box's interior `values`, over the pixels the form does not print
    (`unprinted`; all of them when None)."""
    if unprinted is None:
        return values.mean(axis=(1, 2))
    return (values * unprinted).sum(axis=(1, 2)) / np.maximum(unprinted.sum(axis=(1, 2)), 1)


class BoxPrint:
    """Where the blank form prints in and around each tick box, from the template's
    reference pages (a form made elsewhere: `scanner template draft`), held per worker.

    A word processor's ○ is a ring inside its square box, whose corners the interior
    measured reaches: the ring read as ink made every empty bubble a faint trace (its
    darkest ring pixels up to a quarter of a pen's), and a shift of 0.25 mm, within what
    registration lets through, made it one of 0.04. A table's rule beside a box reads as a
    mark overshooting it. So the print, widened by BOX_PRINT_SLACK_MM for registration,
    is left out of every measure. Templates without reference pages (forms `render` prints)
    draw nothing inside their boxes: nothing is left out.
    """

    def __init__(self, template: Template):
        self.template = template
        self._pages: dict[int, dict[tuple, np.ndarray] | None] = {}

    def page(self, number: int) -> dict[tuple, np.ndarray] | None:
        """Each box's print on page `number` (keyed by `box_mm`), as crops like
        `measure_boxes` takes; None when the template has no image of the page."""
        if number not in self._pages:
            path = self.template.reference_page(number)
            blank = None if path is None else cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            self._pages[number] = None if blank is None else self._masks(blank, number)
        return self._pages[number]

    def _masks(self, blank: np.ndarray, number: int) -> dict[tuple, np.ndarray]:
        drawn = PageTransform.from_array(mm_to_pixels(blank.shape[1] / self.template.page_size_mm[0]))
        s = T.BOX_PX_PER_MM
        slack = 2 * round(T.BOX_PRINT_SLACK_MM * s) + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (slack, slack))
        masks = {}
        for item in self.template.items_on(number):
            for option in item.options:
                ink = darkness(drawn.crop(blank, option.box_mm, s, margin_mm=T.PAPER_MARGIN_MM)) > NOISE_DARKNESS
                masks[tuple(option.box_mm)] = cv2.dilate(ink.astype(np.uint8), kernel) > 0
        return masks


def _enclosed(printed: np.ndarray) -> np.ndarray:
    """The paper of a box's crop that its print closes in: not joined to the crop's edge
    without crossing the print (`printed`)."""
    _, labels = cv2.connectedComponents((~printed).astype(np.uint8), connectivity=4)
    outside = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return ~printed & ~np.isin(labels, outside)


def measure_box(grey: np.ndarray, transform: PageTransform, box_mm: tuple, code: int) -> BoxMeasure:
    """`measure_boxes` for one box."""
    return measure_boxes(grey, transform, [box_mm], [code])[0]


def _extents(interior: np.ndarray, peaks: np.ndarray, s: float) -> np.ndarray:
    """How far each box's ink spreads, in mm: the longer side of the rectangle holding its
    pixels at least half as dark as its peak (0 for a box with no ink)."""
    inked = (interior >= 0.5 * peaks[:, None, None]) & (peaks[:, None, None] > 0)

    def span(lines: np.ndarray) -> np.ndarray:
        first, last = lines.argmax(axis=1), lines.shape[1] - 1 - lines[:, ::-1].argmax(axis=1)
        return np.where(lines.any(axis=1), last - first + 1, 0)

    return np.maximum(span(inked.any(axis=1)), span(inked.any(axis=2))) / s


def _outside(dark: np.ndarray, s: float) -> np.ndarray:
    """Ink in thin strips left of, right of and below each box (not above: the row's rule
    is there): a mark that overshoots its box leaves most of its ink here."""
    near, far = round((T.PAPER_MARGIN_MM - T.OUTSIDE_FAR_MM) * s), round((T.PAPER_MARGIN_MM - T.OUTSIDE_NEAR_MM) * s)
    _, h, w = dark.shape
    top, bottom = round(T.PAPER_MARGIN_MM * s), h - round(T.PAPER_MARGIN_MM * s)
    strips = (dark[:, top:bottom, near:far], dark[:, top:bottom, w - far:w - near],
              dark[:, h - far:h - near, near:w - near])
    return np.max([strip.mean(axis=(1, 2)) for strip in strips], axis=0)


def _beside_extents(raw: np.ndarray, s: float) -> np.ndarray:
    """How far the ink beside each box spreads, in mm: the longer side of its largest piece
    (pixels darker than BESIDE_INK; 0 for none) in the strips where `_outside` looks, left
    of, right of and below the box, widened to BESIDE_FAR_MM, the side strips from
    OUTSIDE_NEAR_MM above the box's top (the row's rule lies further up). A piece that
    reaches the strips' far side or their top end runs on beyond them (a stroke from
    elsewhere, a mark above the box) and counts as BESIDE_FAR_MM at least. A stroke run out
    of the box crosses the strips; a dust grain lies in them, a speck."""
    n, h, w = raw.shape
    margin = T.PAPER_MARGIN_MM * s
    near, far = round(margin - T.BESIDE_FAR_MM * s), round(margin - T.OUTSIDE_NEAR_MM * s)
    top = far
    ring = np.zeros((h, w), dtype=bool)
    ring[top:h - near, near:far] = ring[top:h - near, w - far:w - near] = True
    ring[h - far:h - near, near:w - near] = True
    edge = np.zeros((h, w), dtype=bool)
    edge[top:h - near, [near, w - near - 1]] = edge[h - near - 1, near:w - near] = True
    edge[top, near:far] = edge[top, w - far:w - near] = True
    ink = ((raw > T.BESIDE_INK) & ring).astype(np.uint8)
    extents = np.zeros(n)
    for k in np.flatnonzero(ink.any(axis=(1, 2))):
        _, labels, stats, _ = cv2.connectedComponentsWithStats(ink[k], connectivity=8)
        sides = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) / s
        running = np.unique(labels[edge & (ink[k] > 0)])
        sides[running] = np.maximum(sides[running], T.BESIDE_FAR_MM)
        extents[k] = sides[1:].max()
    return extents


def measure_page(grey: np.ndarray, transform: PageTransform, items: list[Item],
                 printed: dict[tuple, np.ndarray] | None = None,
                 crops: Mapping[tuple, np.ndarray] | None = None) -> list[ItemMeasure]:
    """Measure every tick box of the page's items, boxes of a size together; `printed`:
    where the blank form prints around each box (`BoxPrint.page`), left out; `crops`:
    each box's `box_crop` through `transform` when made already (`register.Check`)."""
    options = [option for item in items for option in item.options]
    by_size: dict[tuple[float, float], list[int]] = {}
    for k, option in enumerate(options):
        by_size.setdefault(tuple(option.box_mm[2:]), []).append(k)
    boxes: dict[int, BoxMeasure] = {}
    for ks in by_size.values():
        masks = None if printed is None else np.stack([printed[tuple(options[k].box_mm)] for k in ks])
        measured = measure_boxes(grey, transform, [options[k].box_mm for k in ks], [options[k].code for k in ks],
                                 masks, None if crops is None else [crops[tuple(options[k].box_mm)] for k in ks])
        boxes.update(zip(ks, measured))
    measures, k = [], 0
    for item in items:
        measures.append(ItemMeasure(item.id, tuple(boxes[k + j] for j in range(len(item.options)))))
        k += len(item.options)
    return measures


def page_marks(measures: list[ItemMeasure]) -> PageMarks:
    """What deciding a sheet needs of these rows (a page's) beyond each row's own boxes;
    see `PageMarks` and `decide_sheet`."""
    marks, rest, peaks, light, sharp = [], [], [], [], []
    answered = lone_solid = rows = dots = 0
    for m in measures:
        if not m.boxes:
            continue
        ranked = sorted(m.boxes, key=_SCORE, reverse=True)
        top = ranked[0]
        rows += 1
        alone = len(ranked) < 2 or ranked[1].score * T.DOMINANCE <= top.score
        dots += top.score >= T.FAINT_ACCEPT and _whole_dot(top) and alone
        if T.MARK_MIN <= top.score < T.FILLED_MIN:
            marks.append(top.score)
        marked = [b for b in m.boxes if b.score >= T.MARK_MIN]
        answered += bool(marked)
        lone_solid += len(marked) == 1 and _solid(marked[0], T.MARK_MIN)
        rest += [b.score for b in ranked[1:]]
        stroke = _strongest_unshaded(m.boxes)
        if stroke is not None and stroke.peak is not None and stroke.score >= T.MARK_MIN:
            peaks.append(stroke.peak)
        if stroke is not None and stroke.sharpness is not None and stroke.score >= T.MARK_MIN:
            sharp.append(stroke.sharpness)
        if len(ranked) > 1 and alone:
            light.append(top)
    return PageMarks(tuple(marks), answered, lone_solid, tuple(rest),
                     _empty_level(rest) if len(rest) >= T.EMPTY_PAGE_BOXES else None, tuple(peaks),
                     float(np.median(peaks)) if len(peaks) >= T.PEAK_MIN_ROWS else None, tuple(light),
                     tuple(sharp), rows, dots)


def _mark_level(pages: Iterable[PageMarks]) -> float:
    """The sheet's typical mark: the median of each item's strongest box, over items
    whose strongest box is clearly a mark and not solid fill."""
    marks = [s for p in pages for s in p.marks]
    return float(np.median(marks)) if marks else T.MARK_MIN / T.MARK_RELATIVE


def page_peak_levels(pages: Mapping[int, PageMarks]) -> dict[int, float]:
    """The darkness of the respondent's pen on each page: the median peak of the marked
    rows' strongest boxes (those at a shadow's edge left out), on the page itself (a
    blurred or shaded photo page is lighter than the sheet's other pages), or over the
    sheet when the page has fewer than PEAK_MIN_ROWS marked rows. Pages with none, or readings without peaks, are left out."""
    return _page_levels(pages, lambda p: p.peaks, lambda p: p.own_peak)


def page_sharpness_levels(pages: Mapping[int, PageMarks]) -> dict[int, float]:
    """How sharp the respondent's own strokes are on each page, as `page_peak_levels` tells
    their darkness: the median `sharpness` of the marked rows' strongest boxes. Known only
    where the pen is light enough for it to be measured (pencil, SHARPNESS_PEAK_MAX); the
    scan's resolution and focus set it as much as the pencil does."""
    return _page_levels(pages, lambda p: p.sharpness,
                        lambda p: float(np.median(p.sharpness)) if len(p.sharpness) >= T.PEAK_MIN_ROWS else None)


def _page_levels(pages: Mapping[int, PageMarks], values: Callable[[PageMarks], tuple[float, ...]],
                 own: Callable[[PageMarks], float | None]) -> dict[int, float]:
    """Each page's `own` level, or the median of every page's `values` for a page without
    one; empty when no page has any."""
    every = [v for p in pages.values() for v in values(p)]
    if not every:
        return {}
    sheet = float(np.median(every))
    return {page: level if (level := own(p)) is not None else sheet for page, p in pages.items()}


def _strongest_unshaded(boxes: tuple[BoxMeasure, ...], row_outside: float | None = None) -> BoxMeasure | None:
    """The row's box with the most ink that is not at a shadow's edge (`_in_shade`): a
    shadow's grey box may hold more than a tick, and is no stroke of the pen.
    `row_outside`: the row's median `outside`, when known already."""
    if row_outside is None:
        row_outside = median(b.outside for b in boxes)
    return max((b for b in boxes if not _in_shade(b, row_outside)), key=_SCORE, default=None)


def _fills(pages: Iterable[PageMarks]) -> bool:
    """Whether this respondent answers by filling boxes in.

    Told by rows whose only mark is a solid box: someone who cancels an answer ticks
    another, so several such rows (or a good share of the answered ones) are a habit.
    """
    answered = lone_solid = 0
    for p in pages:
        answered += p.answered
        lone_solid += p.lone_solid
    return lone_solid >= T.FILL_HABIT_ROWS or (answered > 0 and lone_solid / answered >= T.FILL_HABIT_SHARE)


def interp(x: float, xp: tuple[float, ...], fp: tuple[float, ...]) -> float:
    """`np.interp` of one value, bit for bit as numpy computes it, at a fraction of its
    cost on a scalar: the parent decides every item of every sheet with it."""
    if x < xp[0]:
        return fp[0]
    if x > xp[-1]:
        return fp[-1]
    j = 0
    while j + 1 < len(xp) and x >= xp[j + 1]:
        j += 1
    if j == len(xp) - 1 or xp[j] == x:
        return fp[j]
    return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) * (x - xp[j]) + fp[j]


def _confidence(top: float, second: float, empty_t: float, accept_t: float) -> float:
    """How sure a reading of the strongest box is, 0 to 1: the lesser of how far its ink
    stands above what a lone mark needs, and how far it dominates the runner-up.

    Monotone in the evidence: more ink in the box never lowers it, more in the runner-up
    never raises it. It is OK_CONFIDENCE exactly where a lone mark becomes acceptable
    (`accept_t`), CONFIDENCE_FLOOR at the empty level, 1 from twice `accept_t`.
    """
    floor, ok = T.CONFIDENCE_FLOOR, T.OK_CONFIDENCE
    c_top = interp(top, (empty_t, accept_t, 2 * accept_t), (floor, ok, 1.0))
    return min(c_top, _dominance_confidence(top, second))


def _dominance_confidence(top: float, second: float) -> float:
    """How sure it is that the strongest box's ink (`top`) outweighs the runner-up's: at a
    DOMINANCE-th of the mark it is too close to tell (0.5), at half that, or empty, it
    leaves no doubt (1)."""
    dominance = top / second if second > 0 else float("inf")
    return min(max(0.5 * dominance / T.DOMINANCE, 0.0), 1.0)


def _pen_confidence(box: BoxMeasure, peak_level: float | None) -> float:
    """How sure it is that `box` was marked with the respondent's pen, told by its darkest
    ink against the pen's darkness on the page: OK_CONFIDENCE at ERASED_PEAK_RELATIVE of it,
    1 from twice that; 1 when either is unknown. Monotone: darker ink never lowers it."""
    if box.peak is None or not peak_level:
        return 1.0
    rel = T.ERASED_PEAK_RELATIVE
    return interp(box.peak / peak_level, (0.0, rel, 2 * rel), (T.CONFIDENCE_FLOOR, T.OK_CONFIDENCE, 1.0))


def _ghost(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box`'s darkest ink is under ERASED_PEAK_RELATIVE of the pen's (`pen_peak`):
    no stroke of that pen, a rubbed-out one's ghost at most. False when either is unknown."""
    return box.peak is not None and pen_peak is not None and box.peak < T.ERASED_PEAK_RELATIVE * pen_peak


def _rubbed_out(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box` holds a rubbed-out tick's ghost and no stroke of the respondent's pen:
    on a page written in a dark pen (GHOST_PEN_MIN), its darkest ink is under
    GHOST_PEAK_RELATIVE of the pen's and it is not greyed evenly (a fill, a shadow). On a
    pencil page a faint tick is as light as a ghost, and this never holds."""
    return (box.peak is not None and pen_peak is not None and pen_peak >= T.GHOST_PEN_MIN
            and box.peak < T.GHOST_PEAK_RELATIVE * pen_peak and box.fill < T.SHADE_EVENNESS)


def shadow_grey(box: BoxMeasure, pen_peak: float | None, row_outside: float) -> bool:
    """Whether `box` holds a shadow's grey and no stroke of the respondent's pen: it lies at
    a shadow's edge (`_in_shade`: greyed evenly, as grey beside it as inside) on a page
    written in a dark pen (GHOST_PEN_MIN), and its darkest ink is under GHOST_PEAK_RELATIVE
    of the pen's. A shadow dims the paper and the pen alike: a stroke of the pen in it is
    darker than the pen, never a third as dark. False when either peak is unknown."""
    return (_in_shade(box, row_outside) and box.peak is not None and pen_peak is not None
            and pen_peak >= T.GHOST_PEN_MIN and box.peak < T.GHOST_PEAK_RELATIVE * pen_peak)


def stroke_end(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box` may hold the end of a stroke of the respondent's dark pen run into it,
    blurred: on a page written in a dark pen (GHOST_PEN_MIN), a short piece (DOT_EXTENT_MM
    or less) at least ERASED_PEAK_RELATIVE of the pen at its darkest. Blur (a phone photo's
    motion, its focus) lightens a short piece more than a long stroke: a tick's end run
    into the next box measured 0.36 to 0.9 of the pen there, a ghost keeps 0.3 at most.
    False when either peak or the extent is unknown."""
    return (box.extent is not None and box.extent <= T.DOT_EXTENT_MM and box.peak is not None
            and pen_peak is not None and pen_peak >= T.GHOST_PEN_MIN and box.peak >= T.ERASED_PEAK_RELATIVE * pen_peak)


def pale_trace(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box` holds no stroke of the respondent's dark pen, in it or run out of it: on
    a page written in one (GHOST_PEN_MIN), its darkest ink is under GHOST_PEAK_RELATIVE of
    the pen's and no ink beside it runs on past the strips (`BoxMeasure.beside` under
    BESIDE_FAR_MM). The tip of a stroke run out of a box is as pale inside, but the stroke
    beside it runs on. False when either peak or `beside` is unknown."""
    return (box.peak is not None and pen_peak is not None and pen_peak >= T.GHOST_PEN_MIN
            and box.peak < T.GHOST_PEAK_RELATIVE * pen_peak and box.beside is not None
            and box.beside < T.BESIDE_FAR_MM)


def pale_beside(boxes: list[BoxMeasure], pen_peak: float | None) -> bool:
    """Whether the ink beside `boxes` is too pale to be a stroke of the respondent's pen:
    on a page written in a dark pen (GHOST_PEN_MIN), none of it darker than BESIDE_INK
    (`BoxMeasure.beside` 0), a fifth of the lightest such pen, which stays darker than
    that blurred on a photo. A shadow's edge or a photocopy's grey, not a mark run out of
    a box. False when the pen or a box's `beside` is unknown."""
    return (bool(boxes) and pen_peak is not None and pen_peak >= T.GHOST_PEN_MIN
            and all(b.beside is not None and b.beside == 0 for b in boxes))


def _blackened(box: BoxMeasure) -> bool:
    """Whether a solid box is blackened completely, as a box is to cancel it: no gaps left,
    INKED_OUT_EVENNESS of its interior inked evenly, and INKED_OUT_EDGE of the paper next
    to its frame where that is measured (`edge_fills`). A pen's fill, a scribble, or a thick
    cross in a small box leaves gaps."""
    return box.fill >= T.INKED_OUT_EVENNESS and (box.edge is None or box.edge >= T.INKED_OUT_EDGE)


def _shaded_in(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether a solid box was shaded in as an answer, not blackened to cancel it: gaps
    left (not `_blackened`) and its darkest ink the respondent's pen
    (CORRECTION_PEAK_RELATIVE of it), not a shadow's grey. False when either peak is unknown."""
    return (not _blackened(box) and box.peak is not None and pen_peak is not None
            and box.peak >= T.CORRECTION_PEAK_RELATIVE * pen_peak)


def _pen_stroke(tick: BoxMeasure, solid: list[BoxMeasure]) -> bool:
    """Whether a correction's tick is as dark at its darkest as the pen that inked the
    other boxes out (CORRECTION_PEAK_RELATIVE of the darkest): not a shadow's or a blur's
    grey beside them. True when the peaks are unknown."""
    peaks = [b.peak for b in solid if b.peak is not None]
    return tick.peak is None or not peaks or tick.peak >= T.CORRECTION_PEAK_RELATIVE * max(peaks)


def _in_shade(b: BoxMeasure, row_outside: float) -> bool:
    """Whether `b` is greyed evenly, lighter than a fill, and nearly as dark beside it as
    inside, beyond what lies beside every box of its row (`row_outside`, their median: a
    photocopy's grey, blurred print): the edge of a shadow lying over it, not ink put in it."""
    return (b.fill >= T.SHADE_EVENNESS and b.score < T.FILLED_MIN
            and b.outside - row_outside >= T.SHADE_OUTSIDE_RELATIVE * b.score)


def faint_stroke(boxes: tuple[BoxMeasure, ...]) -> BoxMeasure | None:
    """The box of a row whose faintest ink (`trace`, noise kept) stands TRACE_MARGIN above
    the median of the row's other boxes, and TRACE_RELATIVE times it: a stroke too light
    for the noise floor of `score` (a faint pencil tick blurred on a phone photo), not the
    paper's noise, which greys the row's boxes alike. None when no box stands out, or
    traces were not measured."""
    if len(boxes) < 2 or any(b.trace is None for b in boxes):
        return None
    top = max(boxes, key=_TRACE)
    return top if _trace_stands_out(top, boxes) else None


def _trace_stands_out(box: BoxMeasure, boxes: tuple[BoxMeasure, ...]) -> bool:
    """Whether `box`'s trace stands TRACE_MARGIN above the median of its row's other
    `boxes`, and TRACE_RELATIVE times it."""
    return _stands_over(box.trace, median(b.trace for b in boxes if b is not box))


def _stands_over(trace: float, floor: float) -> bool:
    """Whether a box's `trace` stands TRACE_MARGIN above a row's `floor`, and
    TRACE_RELATIVE times it."""
    return trace - floor >= T.TRACE_MARGIN and trace >= T.TRACE_RELATIVE * floor


def stroke_trace(box: BoxMeasure, boxes: tuple[BoxMeasure, ...]) -> bool:
    """Whether `box`'s faintest ink (`trace`, noise kept) stands out of its row as
    `faint_stroke` asks, its own box's alone (not `lifted_alike`): a stroke lifts the trace
    of the box it covers, a dust speck covers too little of it (TRACE_QUANTILE). False when
    traces were not measured."""
    return faint_stroke(boxes) is box and not lifted_alike(box, boxes)


def lone_stroke(boxes: tuple[BoxMeasure, ...]) -> BoxMeasure | None:
    """The one box of a row whose ink above the noise floor spreads as a stroke (`extent`
    over DOT_EXTENT_MM) while no other box's does, its trace standing out of the row as
    `faint_stroke` asks: a faint tick, whatever lifts another box's trace as high (a
    shadow's grey, lying under the noise floor, spreads no ink; show-through's blurred
    print and a dust speck beside it spread a dot's). None when there is no such box, or
    traces were not measured."""
    if len(boxes) < 2 or any(b.trace is None or b.extent is None for b in boxes):
        return None
    strokes = [b for b in boxes if b.extent > T.DOT_EXTENT_MM]
    return strokes[0] if len(strokes) == 1 and _trace_stands_out(strokes[0], boxes) else None


def traces_inked_alike(boxes: tuple[BoxMeasure, ...]) -> list[BoxMeasure]:
    """The few boxes of a row whose traces stand out of the rest of it together: each
    within TRACE_RUNNER_UP_RELATIVE of the highest, TRACE_MARGIN and TRACE_RELATIVE times
    over the median of the rest, fewer than the rest, and each holding ink above the noise
    floor (`peak` over 0). A faint tick beside a shadow's grey with a dust speck in it lifts
    its box's trace as high as the shadow lifts its own, and above the floor the tick breaks
    into grains as the speck and the shadow's noise do: the measures cannot tell which box
    holds the tick. Show-through and a photocopy's grain lift most of a row's boxes, or
    leave no ink above the floor. When the boxes within TRACE_RUNNER_UP_RELATIVE of the
    highest do not stand out so, the highest of them may, the boxes left out standing out
    of none below them: a faint double tick on a motion-blurred photo lifts its two boxes'
    traces alike while the paper's grain lifts a third box's within reach of them, yet not
    out of the rest (fresh21 seed 312182607, s0065 q17b: 0.047 and 0.047 beside 0.032,
    0.021 and 0.021, read blank). Empty when there are no such boxes, or traces or peaks
    were not measured."""
    if len(boxes) < 3 or any(b.trace is None or b.peak is None for b in boxes):
        return []
    ranked = sorted(boxes, key=_TRACE, reverse=True)
    near = sum(T.TRACE_RUNNER_UP_RELATIVE * b.trace > ranked[0].trace for b in ranked)
    for size in range(min(near, (len(boxes) - 1) // 2), 1, -1):
        group, rest = ranked[:size], [b.trace for b in ranked[size:]]
        left_out = size < near and _stands_over(rest[0], median(rest[1:]))
        if all(b.peak > 0 for b in group) and _stands_over(group[-1].trace, median(rest)) and not left_out:
            return group
    return []


def pencil_trace(boxes: tuple[BoxMeasure, ...], pen_peak: float | None) -> BoxMeasure | None:
    """On a page written in pencil (`pen_peak` under GHOST_PEN_MIN), the box of a row whose
    trace stands PENCIL_TRACE_MARGIN and PENCIL_TRACE_RELATIVE times over the median of the
    row's others, holding the row's most ink, some above the noise floor (`peak` over 0): a
    faint pencil tick blurred on a photo, lighter than `faint_stroke` asks, where a blank
    row's grain lifts traces with no ink above the floor. None otherwise, or when the pen,
    traces or peaks are unknown."""
    if pen_peak is None or pen_peak >= T.GHOST_PEN_MIN or len(boxes) < 2 or any(b.trace is None for b in boxes):
        return None
    top = max(boxes, key=_TRACE)
    rest = median(b.trace for b in boxes if b is not top)
    if top.peak is None or top.peak <= 0 or top is not max(boxes, key=_SCORE):
        return None
    stands = top.trace - rest >= T.PENCIL_TRACE_MARGIN and top.trace >= T.PENCIL_TRACE_RELATIVE * rest
    return top if stands else None


def faint_beside_pale_run(top: BoxMeasure, boxes: tuple[BoxMeasure, ...], pen_peak: float | None) -> bool:
    """Whether a lone mark with ink beside it (`top`) is paler at its darkest than a stroke
    of the pen run out of its box (under OVERFLOW_PEAK_RELATIVE of `pen_peak`) while another
    box of the row holds a faint stroke's trace standing alone (`faint_stroke`, not
    `lifted_alike`), PALE_RUN_RIVAL_RELATIVE of `top`'s trace or more. False when the
    peaks are unknown."""
    rest = tuple(b for b in boxes if b is not top)
    other = faint_stroke(rest)
    return (other is not None and not lifted_alike(other, rest) and top.peak is not None and bool(pen_peak)
            and top.peak < T.OVERFLOW_PEAK_RELATIVE * pen_peak and top.trace is not None
            and other.trace >= T.PALE_RUN_RIVAL_RELATIVE * top.trace)


def lifted_alike(top: BoxMeasure, boxes: tuple[BoxMeasure, ...]) -> bool:
    """Whether another box of the row holds a trace (noise kept) within
    TRACE_RUNNER_UP_RELATIVE of `top`'s (the row's highest trace, `faint_stroke`, or its
    light tick, `light_tick`): the back page's ink showing through, or a photocopy's grain,
    lifts the traces of several boxes of a row alike, where a faint or light tick lifts its
    own box's alone. False when traces were not measured."""
    others = [b.trace for b in boxes if b is not top and b.trace is not None]
    return top.trace is not None and bool(others) and T.TRACE_RUNNER_UP_RELATIVE * max(others) > top.trace


def dust_grain(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box`'s ink may be a dust grain: a dot (`_is_dot`) far darker than the
    respondent's pen (GRAIN_PEAK_RELATIVE of it), as black specks are beside pencil. A dot
    of the pen is as dark as the pen. False when either is unknown."""
    return (_is_dot(box) and box.peak is not None and pen_peak is not None
            and box.peak >= T.GRAIN_PEAK_RELATIVE * pen_peak)


def speck(box: BoxMeasure) -> bool:
    """Whether `box`'s ink is a dust speck: less of it than FAINT_ACCEPT, spread over
    BESIDE_SPECK_MM or less (a compact dot, no stroke's length), and SPECK_PEAK_MIN dark or
    more at its darkest (a black grain; a faint tick that small is lighter). False when
    not measured."""
    return (box.extent is not None and box.peak is not None and 0 < box.extent <= T.BESIDE_SPECK_MM
            and box.score < T.FAINT_ACCEPT and box.peak >= T.SPECK_PEAK_MIN)


def dust_speck(box: BoxMeasure, boxes: tuple[BoxMeasure, ...]) -> bool:
    """Whether `box`'s ink is a dust speck (`speck`) and no faint stroke's darkest spot: its
    trace not standing out of its row `boxes` alone (`stroke_trace`). A stroke lifts the
    trace of the box it crosses; a speck covers too little of it."""
    return speck(box) and not stroke_trace(box, boxes)


def run_out(box: BoxMeasure, row_outside: float) -> bool:
    """Whether a stroke runs out of `box`: ink beside it in a piece running on past the
    strips (`BoxMeasure.beside` BESIDE_FAR_MM), holding there OUTSIDE_STROKE_MIN more than
    the row's boxes on the median (`row_outside`), as a faint pencil line crossing a strip
    leaves. Ink in the box is then that stroke's tip, however small. False when not measured."""
    return box.beside is not None and box.beside >= T.BESIDE_FAR_MM and box.outside - row_outside >= T.OUTSIDE_STROKE_MIN


def speck_confidence(box: BoxMeasure) -> float:
    """How sure it is that a row holding only the speck `box` is blank: 1 with no ink,
    falling to OK_CONFIDENCE at FAINT_ACCEPT. Monotone: more ink never raises it."""
    return interp(box.score, (0.0, T.FAINT_ACCEPT), (1.0, T.OK_CONFIDENCE))


def dust_dot(box: BoxMeasure, pen_peak: float | None, overshoots: bool, dot_hand: bool = False) -> bool:
    """Whether a lone dot in `box` (DOT_EXTENT_MM or less), or dots apart (its largest piece,
    `BoxMeasure.piece`, that small), may be grains of dust rather than a dot of the pen,
    which is about as dark as the pen: it is lighter than DOT_PEAK_RELATIVE of the
    respondent's pen, or, holding less ink than DUST_DOT_INK and no ink run out of the box,
    lighter than STROKE_PEAK_RELATIVE of it, as a grain blurred on a photo is and a dot of
    the pen is not on a scan, or no bigger than a grain (DUST_PIECE_MM), however dark: a
    black grain is as dark as a pen, and a grain that size holds a small dot's ink; or far
    darker than the pen (`dust_grain`), as no dot of that pen is, holding no more ink than
    the largest grains (GRAIN_INK_MAX: fresh seed 1321270585, s0069 q07d, a grain of 0.045,
    1 mm, 1.55 times as dark as the pencil, read 5, ok; fresh21 seed 1963322500, s0103
    q07c, one of 0.0454, 1.60 times as dark, read 2, ok). A
    stroke is one piece as long as it spreads; grains a photo's motion blur smears into
    streaks lie side by side, each a dot's size, spread as far as a tick. False when
    either peak is unknown, but for a grain's size and ink.

    On a sheet answered in dots (`dot_hand`, `sheet_dot_hand`) a grain's size tells nothing:
    the respondent's own dots are that small. A dot as dark as the pen is theirs there; one
    lighter is dust as before."""
    if not _is_dot(box):
        return False
    if not overshoots and box.score < T.GRAIN_INK_MAX and dust_grain(box, pen_peak):
        return True
    grain_ink = not overshoots and box.score < T.DUST_DOT_INK
    if grain_ink and not dot_hand and _dot_size(box) <= T.DUST_PIECE_MM:
        return True
    if box.peak is None or not pen_peak:
        return False
    return box.peak < T.DOT_PEAK_RELATIVE * pen_peak or (grain_ink and box.peak < T.STROKE_PEAK_RELATIVE * pen_peak)


def _dot_size(box: BoxMeasure) -> float | None:
    """How big `box`'s ink is as a dot: its spread (`extent`), or its largest piece
    (`BoxMeasure.piece`) when that is less (dots apart). None when not measured."""
    return box.extent if box.piece is None or box.extent is None else min(box.extent, box.piece)


def _is_dot(box: BoxMeasure) -> bool:
    """Whether `box`'s ink is a dot, or dots apart: some ink, DOT_EXTENT_MM or less by
    `_dot_size`. The one idea of a dot of the dust rules (`dust_grain`, `dust_dot`,
    `stray_dot`): grains in pieces spread as far as a tick are each a dot, and a rule sizing
    them by their spread alone lets a grain in pieces pass as a stroke. A sheet's habit of
    dots counts `_whole_dot`s."""
    size = _dot_size(box)
    return size is not None and 0 < size <= T.DOT_EXTENT_MM


def _whole_dot(box: BoxMeasure) -> bool:
    """Whether `box`'s ink is one dot, as a respondent draws it: a dot (`_is_dot`) whose
    pieces lie within a dot's size too (`extent`). A sheet's habit of dots (`page_marks`)
    counts these alone: a tick the scan breaks in pieces, or run out of its box, leaves
    pieces of a dot's size spread across the box (on the 10 kept seeds of issue 9, counted
    by `_is_dot`, 204 such rows made 41 more pages look answered in dots, which waives the
    dust rules' size there), and grains apart are no one's habit. The correction rule asks
    the same: a correction's tick broken into pieces on a phone photo spreads as a tick
    does, and is no dot (held-out seed 1407324461, s0174 q09a: a tick of 3.5 mm in pieces
    of 1.62)."""
    return _is_dot(box) and box.extent is not None and box.extent <= T.DOT_EXTENT_MM


def _dot_in_dark_pen(box: BoxMeasure, pen_peak: float | None, overshoots: bool) -> bool:
    """Whether `box`'s ink is a dot (`_is_dot`) with no ink run out of the box, on a page
    written in a dark pen (GHOST_PEN_MIN), whose ticks are strokes and whose ghosts are
    told by their darkness. False when the pen is unknown."""
    return _is_dot(box) and not overshoots and pen_peak is not None and pen_peak >= T.GHOST_PEN_MIN


def stray_dot(box: BoxMeasure, pen_peak: float | None, mark_level: float, overshoots: bool) -> bool:
    """Whether a lone dot in `box` (DOT_EXTENT_MM or less, `_dot_size`), however dark, may be
    a grain of dust on a sheet whose respondent marks otherwise: on a page written in a dark
    pen (`_dot_in_dark_pen`) it holds less ink than the largest grain (GRAIN_INK_MAX) and
    under DOT_HABIT_RELATIVE of the sheet's typical mark (`mark_level`). A black grain as
    big as a small dot is as dark and as round as one; a respondent who answers in dots
    makes the sheet's marks dots. False when the pen is unknown."""
    return (_dot_in_dark_pen(box, pen_peak, overshoots)
            and box.score < min(T.GRAIN_INK_MAX, T.DOT_HABIT_RELATIVE * mark_level))


def grains_only(box: BoxMeasure) -> bool:
    """Whether `box`'s ink is grains of dust scattered apart: it spreads further than a dot
    (`extent` over DOT_EXTENT_MM), as a stroke does, yet its largest piece
    (`BoxMeasure.piece`) spreads DUST_PIECE_MM or less. A pen draws one piece, a tick as
    long as it spreads; grains fall apart, each a speck, however dark. False when not
    measured."""
    return (box.piece is not None and box.extent is not None and 0 < box.piece <= T.DUST_PIECE_MM
            and box.extent > T.DOT_EXTENT_MM)


def stroke_beside(boxes: tuple[BoxMeasure, ...], row_outside: float,
                  pen_peak: float | None = None) -> BoxMeasure | None:
    """The one box of a row with a stroke beside it too light for OUTSIDE_MIN (or, on a
    pencil page, in pieces too small to count, below): a piece of
    ink running on past the strips (`BoxMeasure.beside` BESIDE_FAR_MM) beside it alone, or
    ink beside it alone all lighter than BESIDE_INK, but for a pixel or two
    (`beside` BESIDE_PIXELS_MM at most: a stroke too faint for its pieces to be measured, where
    a dust speck is darker and larger), its strips holding
    OUTSIDE_STROKE_MIN more ink than the row's (`row_outside`) and BESIDE_NOISE_RELATIVE
    times the row's paper noise (the median `trace` of its boxes). A faint pencil tick drawn
    mostly outside its box leaves that; a photocopy's grain, a crease or a rule brought in
    by registration lie beside several boxes, or no darker than the paper's noise. On a
    page written in pencil (`pen_peak` under GHOST_PEN_MIN) a faint stroke's darkest
    pixels may measure as specks: there ink beside one box alone reaching OUTSIDE_MIN
    counts whatever its pieces, and whatever the row's noise when none runs on. None when there is no such box, or traces were not measured."""
    running = [b for b in boxes if b.beside is not None and b.beside >= T.BESIDE_FAR_MM]
    if len(running) > 1 or any(b.trace is None for b in boxes):
        return None
    box = running[0] if running else max(boxes, key=_OUTSIDE)
    others = [b for b in boxes if b is not box]
    pencil_page = pen_peak is not None and pen_peak < T.GHOST_PEN_MIN
    pencil_stroke = pencil_page and box.outside - row_outside >= T.OUTSIDE_MIN
    # A piece beside it larger than a pixel or two (or none measured) may be a dust speck.
    speck_sized = box.beside is None or box.beside > T.BESIDE_PIXELS_MM
    if not running and (speck_sized and not pencil_stroke
                        or any(b.outside - row_outside >= T.OUTSIDE_STROKE_MIN for b in others)):
        # Pale ink beside several boxes is a line across the row or a photocopy's grey.
        return None
    # On a pencil page, ink beside one box alone is a faint stroke however grainy the paper:
    # the noise is a pixel quantile in the box, the ink a strip's mean (fresh17 seed
    # 1040599162, s0022 q14c: a tick mostly below box 3 at 0.26 of the noise, read blank).
    noise = 0.0 if pencil_page and not running else median(b.trace for b in boxes)
    excess = box.outside - row_outside
    return box if excess >= T.OUTSIDE_STROKE_MIN and excess >= T.BESIDE_NOISE_RELATIVE * noise else None


def mark_in_shade(answer: BoxMeasure, shaded: list[BoxMeasure]) -> bool:
    """Whether a box at a shadow's edge (`shaded`, not `answer`) may hide a second mark
    beside `answer`: its darkest ink reaches SHADE_MARK_PEAK_RELATIVE of the answer's. A
    shadow alone greys the paper lighter than a stroke of the pen. False when peaks are
    unknown."""
    return answer.peak is not None and any(
        b is not answer and b.peak is not None and b.peak >= T.SHADE_MARK_PEAK_RELATIVE * answer.peak for b in shaded)


def dot_beside_ghost(box: BoxMeasure, boxes: tuple[BoxMeasure, ...], pen_peak: float | None,
                     empty_t: float) -> bool:
    """Whether `box` is a dot (DOT_EXTENT_MM or less) with no more ink than a dust grain
    (under DUST_DOT_INK) in a row where another box holds a rubbed-out tick's ghost
    (`_rubbed_out`, above the page's empty level `empty_t`): the respondent took an answer
    back there, and a dust grain as dark as their pen measures as such a dot. False when
    the peaks are unknown."""
    if box.extent is None or not 0 < box.extent <= T.DOT_EXTENT_MM or box.score >= T.DUST_DOT_INK:
        return False
    return any(b is not box and b.score >= empty_t and _rubbed_out(b, pen_peak) for b in boxes)


def hair(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box`'s ink may be a hair lying across it rather than a stroke of the pen: a
    line (longer than a dot) under PEN_WIDTH_MIN_MM wide at its darkest (`stroke_width`),
    no lighter than a stroke of the respondent's pen (ERASED_PEAK_RELATIVE of it): a pen or
    a pencil draws as wide as its tip, a hair is a tenth of a millimetre and as dark as the
    pen. A faint pencil line measures as thin where its grain breaks it, and is lighter.
    False when either is unknown."""
    return (box.width is not None and box.width < T.PEN_WIDTH_MIN_MM and box.peak is not None
            and bool(pen_peak) and not _ghost(box, pen_peak))


def grain_on_trace(box: BoxMeasure, box_mm: tuple, dot_mm: float, spread: float = T.DOT_SPREAD) -> bool:
    """Whether `box`'s darkest ink is a dot (`dot_mm` or less: see `dot_extent`) lying on a
    fainter trace: the box holds `spread` times the ink a square of that dot's size, at
    its darkest all over, puts in the box's interior. A dot of the pen holds its ink; a
    grain of dust fallen on a rubbed-out tick's ghost lends the ghost its darkness (as dark
    as a pencil) while the ghost's smear holds most of the ink. False when not measured."""
    if box.extent is None or not 0 < box.extent <= dot_mm or not box.peak:
        return False
    interior = (box_mm[2] - 2 * T.BOX_INSET_MM) * (box_mm[3] - 2 * T.BOX_INSET_MM)
    return box.score * interior >= spread * box.peak * box.extent ** 2


def line_across(boxes: tuple[BoxMeasure, ...], stroke: BoxMeasure) -> list[BoxMeasure]:
    """The boxes of a row that a line across it greys alike (a crease, a fold, a streak of a
    photocopy), beside `stroke`, a stroke of the pen: LINE_ROW_BOXES or more of the others
    hold ink (EMPTY_MAX or more) within LINE_ROW_SPREAD of their median, none more, each
    spread across the box (LINE_EXTENT_MM) and far lighter at its darkest than the stroke
    (LINE_PEAK_RELATIVE). Empty when there is no such line: a second mark in a box
    stands out of it, by its ink or its darkness."""
    inked = [b for b in boxes if b is not stroke and b.score >= T.EMPTY_MAX]
    if len(inked) < T.LINE_ROW_BOXES or stroke.peak is None:
        return []
    middle = median(b.score for b in inked)
    alike = all(middle / T.LINE_ROW_SPREAD <= b.score <= middle * T.LINE_ROW_SPREAD and b.peak is not None
                and b.peak < T.LINE_PEAK_RELATIVE * stroke.peak and (b.extent or 0.0) >= T.LINE_EXTENT_MM
                for b in inked)
    return inked if alike else []


def light_beside(box: BoxMeasure, row_outside: float) -> bool:
    """Whether the ink beside `box` is too little for a stroke of a dark pen run out of it:
    its strips hold under GHOST_BESIDE_MAX more than the row's boxes have there on the
    median (`row_outside`). Beside a row of rubbed-out ghosts on a page written in a dark
    pen, such grey is dust, show-through or a crease, and the row is blank; the pen's stroke
    run out of a box leaves far more."""
    return box.outside - row_outside < T.GHOST_BESIDE_MAX


def specks_beside(box: BoxMeasure) -> bool:
    """Whether the ink beside `box` holds no stroke run out of it: its largest piece spreads
    BESIDE_SPECK_MM or less (`BoxMeasure.beside`), dust specks, or a pixel or two of a faint
    stroke's grain (BESIDE_PIXELS_MM or less, which `stroke_beside` looks at next for a
    faint tick drawn beside the box). A stroke run out of the box crosses the strips beside
    it; ink lighter than BESIDE_INK only (a photocopy's grey, show-through, a faint stroke)
    measures no piece and is no speck. False when not measured."""
    return box.beside is not None and 0 < box.beside <= T.BESIDE_SPECK_MM


def row_empty_level(empty_t: float, runner_up: float) -> float:
    """The empty level of one row: its page's (`empty_t`), or lower when the row's other
    boxes are clean (EMPTY_NOISE_FACTOR times its runner-up, not under EMPTY_MIN). The
    noise that sets a page's level (dust, show-through, ink spread from marks by motion
    blur) lies where it lies, and a faint lone tick in a clean row is not under it."""
    return min(empty_t, max(T.EMPTY_MIN, T.EMPTY_NOISE_FACTOR * runner_up))


def accept_level(mark_level: float) -> float:
    """The least ink a lone mark needs to be read as an answer on a sheet whose typical
    mark is `mark_level`: a light hand's mark passes, a rubbed-out tick's ghost among
    the sheet's firmer marks does not."""
    return max(T.FAINT_ACCEPT, T.ERASED_RELATIVE * mark_level)


def stroke_accept_level(top: BoxMeasure, accept_t: float, pen_peak: float | None) -> float:
    """The least ink a lone mark needs when its darkest ink is the respondent's pen itself
    (STROKE_PEAK_RELATIVE of it): STROKE_MIN, or `accept_t` when that is lower or the pen
    is unknown. A stroke that dark is no rubbed-out tick's ghost (a third of the pen at
    most), only less of it lies in the box: a tick running out of it, a dot, a short dash."""
    return min(accept_t, T.STROKE_MIN) if _pen_dark(top, pen_peak) else accept_t


def _pen_dark(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box`'s darkest ink is the respondent's pen itself (STROKE_PEAK_RELATIVE of
    the pen's peak): a stroke of it, not a ghost's, a faint tick's or a shadow's grey.
    False when either is unknown."""
    return box.peak is not None and bool(pen_peak) and box.peak >= T.STROKE_PEAK_RELATIVE * pen_peak


def overflow_confidence(box: BoxMeasure, row_outside: float, pen_peak: float | None) -> float:
    """How sure it is that `box`, holding too little ink to be marked, is the answer of a
    mark that runs out of it: its strips beside it hold more ink than the row's by
    OVERFLOW_SURE_RELATIVE of the respondent's pen at its darkest, a pencil's stroke leaving
    less than a pen's (OK_CONFIDENCE there, 1 from twice that), and its own interior holds
    a stroke of that pen (OVERFLOW_PEAK_RELATIVE of it), not a ghost's or a shadow's grey.
    0 when the pen or the box's peak is unknown, or its interior holds no such stroke.
    Monotone: more ink beside the box, or darker ink in it, never lowers it."""
    if box.peak is None or not pen_peak or box.peak < T.OVERFLOW_PEAK_RELATIVE * pen_peak:
        return 0.0
    sure = max(T.OVERFLOW_SURE_RELATIVE * pen_peak, T.OVERFLOW_SURE_MIN)
    return interp(box.outside - row_outside, (T.OUTSIDE_MIN, sure, 2 * sure), (T.CONFIDENCE_FLOOR, T.OK_CONFIDENCE, 1.0))


def lies_along(box: BoxMeasure, box_mm: tuple) -> bool:
    """Whether the piece of ink beside `box` is as long as the box's shorter side or longer
    (`BoxMeasure.beside`): a line lying along the box, a hair, a rule, a crease or the
    strips' whole length, no stroke of a tick, which crosses the strips beside the box."""
    return box.beside is not None and box.beside >= min(box_mm[2], box_mm[3])


def stroke_tip(box: BoxMeasure, boxes: tuple[BoxMeasure, ...]) -> bool:
    """Whether `box`'s ink may be no more than a stretch of a stroke run out of it: its
    faintest ink (`trace`) not standing out of its row's (`_trace_stands_out`). A stroke
    crossing a corner of the box darkens few of its pixels; a shadow's grey or a faint
    tick spread across the box lifts most. False when traces were not measured."""
    return (box.trace is not None and all(b.trace is not None for b in boxes)
            and not _trace_stands_out(box, boxes))


def run_out_alone(box: BoxMeasure, boxes: tuple[BoxMeasure, ...], row_outside: float,
                  pen_peak: float | None, box_mm: tuple, others_mm: Iterable[tuple]) -> float:
    """How sure it is that `box`, nothing marked in its row and the other boxes empty, is the
    answer of a tick run out of it into the empty margin: no more than a stretch of the
    stroke in it (`stroke_tip`), no other box's trace standing out of the row (a faint tick:
    `faint_stroke`, `lone_stroke`, `pencil_trace`), ink beside it in one piece a stroke's
    length (BESIDE_STROKE_MM, no line `lies_along` it), nothing beside any other box, no
    other box of the item (`others_mm`) within reach of its strips (`in_reach`), and more ink
    there over the row's than OVERFLOW_ALONE_RELATIVE of the pen (OK_CONFIDENCE; 1 from
    twice that). 0 when the pen or the piece is unknown, or any of these fails. Monotone:
    more ink beside the box never lowers it."""
    if (not pen_peak or not stroke_tip(box, boxes) or box.beside is None or box.beside < T.BESIDE_STROKE_MM
            or lies_along(box, box_mm) or any(in_reach(box_mm, other) for other in others_mm)
            or any(b.outside - row_outside >= T.OUTSIDE_STROKE_MIN for b in boxes if b is not box)
            or any(b not in (None, box) for b in (faint_stroke(boxes), lone_stroke(boxes),
                                                  pencil_trace(boxes, pen_peak)))):
        return 0.0
    bar = max(T.OVERFLOW_ALONE_RELATIVE * pen_peak, 2 * T.OVERFLOW_SURE_MIN)
    excess = box.outside - row_outside
    return 0.0 if excess < bar else interp(excess, (bar, 2 * bar), (T.OK_CONFIDENCE, 1.0))


def in_reach(box_mm: tuple, other_mm: tuple) -> bool:
    """Whether the box `other_mm` lies within reach of the strips beside the box `box_mm`:
    less than BESIDE_FAR_MM and the other box's shorter side apart, edge to edge. Ink in
    those strips may then be a tick of that box run out towards this one, or a mark drawn
    between the two (`role` stacks its boxes 2 mm apart)."""
    (x, y, w, h), (ox, oy, ow, oh) = box_mm, other_mm
    gap = max(ox - (x + w), x - (ox + ow), oy - (y + h), y - (oy + oh))
    return gap < T.BESIDE_FAR_MM + min(ow, oh)


def light_tick(box: BoxMeasure, pen_peak: float | None) -> bool:
    """Whether `box` holds a light tick of a pencil, not a rubbed-out one's ghost: on a page
    written in pencil (its pen under GHOST_PEN_MIN), at least FAINT_ACCEPT of ink whose
    darkest is LIGHT_TICK_PEAK of the pencil's (a ghost keeps 0.3 of it at most, a dust
    grain in it is darker). False when either peak is unknown."""
    if box.peak is None or not pen_peak or pen_peak >= T.GHOST_PEN_MIN:
        return False
    low, high = T.LIGHT_TICK_PEAK
    return box.score >= T.FAINT_ACCEPT and low * pen_peak <= box.peak < high * pen_peak


def sheet_dot_hand(pages: Mapping[int, PageMarks]) -> bool:
    """Whether the respondent answers in dots: DOT_HAND_SHARE of the sheet's rows or more
    hold a dot alone (`PageMarks.dots`). A dust grain in a blank row is rare, a dot is a
    habit: on such a sheet a lone dot as dark as the pen is read as the answer."""
    rows = sum(p.rows for p in pages.values())
    return rows > 0 and sum(p.dots for p in pages.values()) >= T.DOT_HAND_SHARE * rows


def sheet_light_hand(pages: Mapping[int, PageMarks], peaks: dict[int, float], sharpness: dict[int, float]) -> bool:
    """Whether the respondent ticks lightly at times: LIGHT_HAND_ROWS rows or more of the
    sheet hold one `light_tick` and no other box a third as inked, its edges not measured
    softer than LIGHT_HAND_SHARPNESS of the firm strokes of its page (`sharpness`,
    `page_sharpness_levels`). A rubbed-out tick is rare, a light hand is a habit: a lone
    light trace on such a sheet is read as an answer. But an eraser leaves ghosts as dark
    as a light tick at times, smeared: a sheet of answers rubbed out is no light hand."""
    rows = sum(light_tick(top, peaks.get(page)) and not smeared(top, sharpness.get(page))
               for page, p in pages.items() for top in p.light)
    return rows >= T.LIGHT_HAND_ROWS


def smeared(box: BoxMeasure, stroke_sharpness: float | None) -> bool:
    """Whether the edges of the ink in `box` are softer than LIGHT_HAND_SHARPNESS of the
    respondent's firm strokes on its page (`stroke_sharpness`), as an eraser leaves them.
    False when either is unmeasured (a phone photo's page)."""
    return (box.sharpness is not None and bool(stroke_sharpness)
            and box.sharpness < T.LIGHT_HAND_SHARPNESS * stroke_sharpness)


def light_strokes(pages: Mapping[int, PageMarks], peaks: dict[int, float], sharpness: dict[int, float],
                  px_per_mm: Mapping[int, float]) -> tuple[BoxMeasure, ...]:
    """The sheet's light strokes: each row's lone strongest box (`PageMarks.light`) on a page
    written in pencil (its pen under GHOST_PEN_MIN) holding ink (EMPTY_MIN), its darkest
    under HAND_STROKE_PEAK of the pencil, a stroke (longer than DOT_EXTENT_MM) whose width and
    sharpness were measured (a scan's, not a phone photo's). Mostly a light hand's ticks,
    if the respondent ticks lightly at times. None when their median edges are less sharp
    against the firm strokes of their pages (`sharpness`, `page_sharpness_levels`) than
    HAND_YARDSTICK_SHARPNESS at the coarsest of their pages' resolutions, or those strokes
    are unknown: the rows' lone traces are then answers rubbed out, ghosts one eraser left
    alike, no hand to match a trace against."""
    strokes = [(b, page) for page, p in pages.items() if (pen := peaks.get(page)) and pen < T.GHOST_PEN_MIN
               for b in p.light
               if b.score >= T.EMPTY_MIN and b.peak is not None and b.peak < T.HAND_STROKE_PEAK * pen
               and b.extent is not None and b.extent > T.DOT_EXTENT_MM
               and b.width is not None and b.width <= T.HAND_LINE_MM and b.sharpness is not None]
    if not strokes or not all(sharpness.get(page) for _, page in strokes):
        return ()
    bar = max(yardstick_sharpness_bar(px_per_mm.get(page)) for _, page in strokes)
    if median(b.sharpness / sharpness[page] for b, page in strokes) < bar:
        return ()
    return tuple(b for b, _ in strokes)


def yardstick_sharpness_bar(px_per_mm: float | None) -> float:
    """How sharp against the respondent's firm strokes a page's light strokes must be, at
    their median, to be a hand's (HAND_YARDSTICK_SHARPNESS at the resolutions of
    INTACT_PX_PER_MM, in between interpolated; the strictest when the resolution is unknown)."""
    if px_per_mm is None or not px_per_mm > 0:
        return max(T.HAND_YARDSTICK_SHARPNESS)
    return interp(px_per_mm, T.INTACT_PX_PER_MM, T.HAND_YARDSTICK_SHARPNESS)


def hand_stroke(box: BoxMeasure, strokes: tuple[BoxMeasure, ...]) -> bool:
    """Whether `box`, a light trace alone in its row, is one of the respondent's light
    strokes (`light_strokes`, itself left out; HAND_STROKES of them or more): its darkest ink
    HAND_PEAK_RELATIVE of theirs (the median), no wider than HAND_WIDTH_RELATIVE of theirs,
    its edges HAND_SHARPNESS_RELATIVE as sharp or more. A light hand presses alike with one
    pencil; an eraser leaves a ghost as light as chance has it, smeared wider and softer.
    False when any of it is unmeasured."""
    others = list(strokes)
    if box in others:
        others.remove(box)
    if len(others) < T.HAND_STROKES or box.peak is None or box.width is None or box.sharpness is None:
        return False
    low, high = T.HAND_PEAK_RELATIVE
    peak = median(b.peak for b in others)
    return (low * peak <= box.peak <= high * peak
            and box.width <= T.HAND_WIDTH_RELATIVE * median(b.width for b in others)
            and box.sharpness >= T.HAND_SHARPNESS_RELATIVE * median(b.sharpness for b in others))


def intact_stroke_confidence(box: BoxMeasure, pen_peak: float | None, stroke_sharpness: float | None,
                             px_per_mm: float | None = None, dot_mm: float = T.DOT_EXTENT_MM) -> float:
    """How sure it is that a light trace alone in its row is a pencil tick drawn lightly,
    not a rubbed-out one's ghost, told by its shape: on a page written in pencil (its pen
    under GHOST_PEN_MIN), a stroke (longer than a dot, `dot_mm`: see `dot_extent`, and not
    grains apart, `grains_only`: specks' edges are as sharp as a pencil's) whose darkest ink is
    INTACT_PEAK_RELATIVE of the pencil's and whose edges are as sharp as the respondent's
    own pencil strokes on the page (`stroke_sharpness`): OK_CONFIDENCE at the bar of
    `intact_sharpness_bars` for the page's resolution, or the lower bar of
    `whole_stroke_bar` for a trace darker than a ghost keeps, LIGHT_TICK_CONFIDENCE from
    INTACT_SHARPNESS_SURE above it. An eraser smears what it leaves: a ghost's edges are
    softer, unless the page's own strokes are as soft (the page's bar). 0 when any of it
    is unknown or out of range. Monotone: sharper edges, or darker ink in the window, never
    lower it."""
    page_min, bar = intact_sharpness_bars(px_per_mm)
    if (box.sharpness is None or box.peak is None or box.extent is None or not stroke_sharpness or not pen_peak
            or pen_peak >= T.GHOST_PEN_MIN or box.extent <= dot_mm or stroke_sharpness < page_min
            or grains_only(box)):
        return 0.0
    low, high = T.INTACT_PEAK_RELATIVE
    relative = box.sharpness / stroke_sharpness
    bar = min(bar, whole_stroke_bar(box.peak / pen_peak))
    if not low * pen_peak <= box.peak < high * pen_peak or relative < bar:
        return 0.0
    return interp(relative, (bar, bar + T.INTACT_SHARPNESS_SURE), (T.OK_CONFIDENCE, T.LIGHT_TICK_CONFIDENCE))


def whole_stroke_bar(darkness: float) -> float:
    """How sharp against the respondent's own pencil strokes a light trace whose darkest
    ink is `darkness` of the pencil's must be to be read as a whole stroke: infinite under
    the first of WHOLE_STROKE_PEAK (as light as a rubbed-out tick's ghost keeps, only the
    resolution's bar holds), from there WHOLE_STROKE_SHARPNESS at the darkness of
    WHOLE_STROKE_PEAK (interpolated between, the last beyond). A ghost is lighter than
    that and smeared, and both at once: the darker the trace, the less sharp it need be."""
    if darkness < T.WHOLE_STROKE_PEAK[0]:
        return float("inf")
    return interp(darkness, T.WHOLE_STROKE_PEAK, T.WHOLE_STROKE_SHARPNESS)


@functools.cache
def dot_extent(box_mm: tuple) -> float:
    """The most a dot spreads in a box of `box_mm`: DOT_EXTENT_MM, or DOT_INTERIOR_SHARE of
    its interior's side where that is less. A word processor's 3.3 mm box measures 1.8 mm
    inside, and a tick in it spreads 1.75 mm at most: no more than DOT_EXTENT_MM, yet across
    the whole interior, as no dot does."""
    return min(T.DOT_EXTENT_MM, T.DOT_INTERIOR_SHARE * (min(box_mm[2], box_mm[3]) - 2 * T.BOX_INSET_MM))


def intact_sharpness_bars(px_per_mm: float | None) -> tuple[float, float]:
    """How sharp the respondent's own strokes on a page scanned at `px_per_mm` must be for a
    light trace's shape to be trusted (softer, and they are soft for the scan: a blunt
    lead, show-through), and how sharp against them the trace must be to be read as an
    intact stroke (on a coarse scan a pixel is wider than an eraser's smear, and a ghost
    measures nearly as sharp as the strokes): INTACT_PAGE_SHARPNESS_MIN and
    INTACT_SHARPNESS at the resolutions of INTACT_PX_PER_MM, in between interpolated. The
    strictest of each when the resolution is unknown."""
    if px_per_mm is None or not px_per_mm > 0:
        return max(T.INTACT_PAGE_SHARPNESS_MIN), max(T.INTACT_SHARPNESS)
    return (interp(px_per_mm, T.INTACT_PX_PER_MM, T.INTACT_PAGE_SHARPNESS_MIN),
            interp(px_per_mm, T.INTACT_PX_PER_MM, T.INTACT_SHARPNESS))


def light_tick_confidence(score: float, accept_t: float) -> float:
    """The confidence of a light tick read on a light hand's sheet: OK_CONFIDENCE at
    FAINT_ACCEPT, rising with its ink to LIGHT_TICK_CONFIDENCE where a lone mark is read
    without it (`accept_t`): items to sample first, below any firm mark's."""
    return interp(score, (T.FAINT_ACCEPT, max(accept_t, T.FAINT_ACCEPT)), (T.OK_CONFIDENCE, T.LIGHT_TICK_CONFIDENCE))


def spill_confidence(top: BoxMeasure, runner_up: BoxMeasure, pen_peak: float | None) -> float:
    """How sure it is that `top`, marked beside a weaker mark `runner_up`, is the answer and
    the other only ink spilt from it or a stray stroke: OK_CONFIDENCE where it holds
    SPILL_DOMINANCE times the runner-up's ink, 1 from twice that; no more than its pen
    confidence (a ghost is no answer, whatever lies beside it). Monotone: more ink in the
    top box never lowers it, more in the runner-up never raises it."""
    ratio = top.score / runner_up.score if runner_up.score > 0 else float("inf")
    c_ratio = interp(ratio, (1.0, T.SPILL_DOMINANCE, 2 * T.SPILL_DOMINANCE), (0.0, T.OK_CONFIDENCE, 1.0))
    return min(c_ratio, _pen_confidence(top, pen_peak))


def _solid(b: BoxMeasure, mark_t: float) -> bool:
    return b.score >= T.FILLED_MIN or (b.fill >= T.FILLED_SHARE and b.score >= mark_t)


def _empty_level(rest: list[float]) -> float:
    """Below this a box is empty among boxes whose rows' strongest aside hold `rest`: a
    few times what they hold (scan noise, dust), between EMPTY_MIN and EMPTY_MAX."""
    noise = quantile(np.array(rest), 0.98) if rest else T.EMPTY_MAX
    return float(np.clip(T.EMPTY_NOISE_FACTOR * noise, T.EMPTY_MIN, T.EMPTY_MAX))


def page_empty_levels(pages: Mapping[int, PageMarks]) -> dict[int, float]:
    """The empty level of each page: its own boxes' (`PageMarks.own_empty`), when lower than
    the sheet's. A phone photo's motion blur smooths away a page's noise, and with it most
    of a faint tick; never higher, since a page's few boxes make a poor quantile (one ghost
    beside a tick would set it). A page with fewer than EMPTY_PAGE_BOXES unmarked boxes
    takes the sheet's level."""
    sheet = _empty_level([score for p in pages.values() for score in p.rest])
    return {page: min(p.own_empty, sheet) if p.own_empty is not None else sheet for page, p in pages.items()}


def _lone_mark_doubt(item: Item, m: ItemMeasure, top: BoxMeasure, peak_level: float | None, empty_t: float,
                     overshoots: bool, mark_level: float, dot_hand: bool = False) -> Reason | None:
    """Why a mark with ink and darkness enough to be read alone may be no answer, or None:
    a dust grain softened by blur, or one no bigger or fuller than a grain (`dust_dot`, fresh
    seed 456655018, s0143 q16c), or grains only, none of a dot's size
    (`grains_only`, fresh seed 1154567667, s0123 q03); a dot no fuller than a grain beside the
    row's rubbed-out answer (`dot_beside_ghost`, fresh seed 85083970, s0017 q12a); a black
    grain as big as a small dot on a sheet that marks otherwise (`stray_dot`, held-out seed
    1290369332, s0178 q10b); a line
    thinner than any pen draws (`hair`, fresh seed 12430022, s0041 role); a grain lending
    a rubbed-out tick's ghost its darkness (`grain_on_trace`, fresh seed 634380373, s0001 q15a;
    on a sheet that marks otherwise, in a dark pen, from STRAY_DOT_SPREAD: seed 656739877
    of the plain form, s0047 q05). On a sheet answered in dots (`dot_hand`) a dot as dark
    as the pen is the respondent's."""
    box_mm = next(o.box_mm for o in item.options if o.code == top.code)
    if dust_dot(top, peak_level, overshoots, dot_hand) or grains_only(top):
        return Reason.DUST
    if dot_beside_ghost(top, m.boxes, peak_level, empty_t):
        return Reason.AMBIGUOUS
    if not dot_hand and stray_dot(top, peak_level, mark_level, overshoots):
        return Reason.DUST
    if hair(top, peak_level):
        return Reason.HAIR
    stray = not dot_hand and _dot_in_dark_pen(top, peak_level, overshoots)
    if grain_on_trace(top, box_mm, dot_extent(box_mm), T.STRAY_DOT_SPREAD if stray else T.DOT_SPREAD):
        return Reason.ERASED
    return None


def decide_item(item: Item, m: ItemMeasure, mark_level: float, fills: bool, corrections: bool,
                empty_t: float = T.EMPTY_MAX, peak_level: float | None = None,
                light_hand: bool = False, stroke_sharpness: float | None = None,
                px_per_mm: float | None = None, dot_hand: bool = False,
                hand: tuple[BoxMeasure, ...] = ()) -> FieldResult:
    """Decide one item from its measured boxes and the sheet's own marking habits
    (`peak_level`: the darkness of the respondent's pen on the item's page, if known;
    `light_hand`: whether the respondent ticks lightly at times, see `sheet_light_hand`;
    `stroke_sharpness`: how sharp their strokes are on the page, `page_sharpness_levels`;
    `px_per_mm`: the page's scan resolution, None when unknown; `dot_hand`: whether the
    respondent answers in dots, see `sheet_dot_hand`; `hand`: the sheet's light strokes,
    see `light_strokes`)."""
    mark_t = max(empty_t * 1.5, min(T.MARK_MIN, T.MARK_RELATIVE * mark_level))
    evidence = {"scores": {str(b.code): b.score for b in m.boxes}, "mark_threshold": round(mark_t, 4),
                "empty_threshold": round(empty_t, 4), "sheet_mark": round(mark_level, 4)}
    if peak_level:
        evidence |= {"peaks": {str(b.code): b.peak for b in m.boxes}, "pen_peak": round(peak_level, 4)}
    ranked = sorted(m.boxes, key=_SCORE, reverse=True)
    row_outside = median(b.outside for b in m.boxes)
    shaded = [b for b in ranked if _in_shade(b, row_outside)]
    stroke = _strongest_unshaded(m.boxes, row_outside) or ranked[0]
    if not _ghost(stroke, peak_level):
        # Beside a stroke of the pen, a box greyed evenly and far lighter than the pen at
        # its darkest, or as grey beside it as inside, is in a shadow (a phone's or a
        # hand's), not marked. Nor is a rubbed-out tick's ghost beside it a second mark
        # (GHOST_PEAK_RELATIVE), nor a line greyed across the row's boxes alike (a crease).
        across = line_across(m.boxes, stroke) if _pen_dark(stroke, peak_level) else []
        ranked = [b for b in ranked
                  if b is stroke or not (b.fill >= T.SHADE_EVENNESS and _ghost(b, peak_level) or b in shaded
                                         or _rubbed_out(b, peak_level) or b in across)]
    # A box in a shadow's edge is never a mark, only a trace to look at: read as one, it
    # was the answer beside the real faint tick (seed 233276593, s0006 q12a) or beside a
    # tick running out of its box (seed 714153647, s0024 q20a).
    marked = [b for b in ranked if b.score >= mark_t and b not in shaded]
    row_empty = row_empty_level(empty_t, ranked[1].score if len(ranked) > 1 else 0.0)
    faint = [b for b in ranked if b.score >= row_empty and b not in marked]
    # Ink beside every box of the row alike is no mark overshooting one box: a crease along
    # the row, print smeared by motion blur, a photocopy's grey. Nor is a dust speck beside
    # a box (seed 611216245, s0091 q15b: a blank row to review for a grain beside box 4).
    beside = [b for b in m.boxes if b.outside - row_outside >= T.OUTSIDE_MIN and not specks_beside(b)]
    overshoots = bool(beside)
    overshoot = max(beside or m.boxes, key=_OUTSIDE)
    accept_t = max(accept_level(mark_level), empty_t)
    second = ranked[1].score if len(ranked) > 1 else 0.0

    def result(status: Status, value: str = "", confidence: float = 1.0, reason: Reason | None = None) -> FieldResult:
        if status in (Status.OK, Status.BLANK) and confidence < T.OK_CONFIDENCE:
            # A blank is a claim as much as an answer (fresh seed 621937120, s0108 q18b: a
            # faint tick on a phone photo, just under the empty level, read blank at 0.59).
            status, reason = Status.REVIEW, Reason.LOW_CONFIDENCE
        return FieldResult(item.id, value, status, round(confidence, 3), reason, evidence)

    def _intact(top: BoxMeasure) -> FieldResult | None:
        """`top` read as a light stroke whose edges are as sharp as the respondent's pencil
        strokes, pressed lightly, not smeared by an eraser, with far more ink than the
        runner-up (`intact_stroke_confidence`, `_dominance_confidence`); None when it is not one."""
        box_mm = next(o.box_mm for o in item.options if o.code == top.code)
        confidence = min(intact_stroke_confidence(top, peak_level, stroke_sharpness, px_per_mm, dot_extent(box_mm)),
                         _dominance_confidence(top.score, second))
        if overshoots or confidence < T.OK_CONFIDENCE:
            return None
        evidence.update(sharpness=top.sharpness, stroke_sharpness=round(stroke_sharpness or 0.0, 3))
        return result(Status.OK, str(top.code), confidence)

    def _of_hand(top: BoxMeasure) -> bool:
        """`top`, a light trace alone in its row on a pencil page, far more inked than the
        runner-up and nothing beside, is a stroke (longer than a dot, not grains apart) of
        the respondent's light hand (`hand_stroke`), not a trace others of its row share."""
        box_mm = next(o.box_mm for o in item.options if o.code == top.code)
        return (bool(peak_level) and peak_level < T.GHOST_PEN_MIN and not overshoots
                and _dominance_confidence(top.score, second) >= T.OK_CONFIDENCE
                and top.extent is not None and top.extent > dot_extent(box_mm) and not grains_only(top)
                and not lifted_alike(top, m.boxes) and hand_stroke(top, hand))

    def _lone(top: BoxMeasure) -> FieldResult:
        """The only mark in its row (any runner-up below the empty level or far weaker), or
        review when a box at a shadow's edge beside it may hide another (`mark_in_shade`)."""
        read = _lone_mark(top)
        if read.status is Status.OK and mark_in_shade(top, shaded):
            # Fresh seed 1154567667, s0035 q12a: a double tick, one at a shadow's edge.
            return result(Status.REVIEW, read.value, min(read.confidence, 0.4), Reason.AMBIGUOUS)
        return read

    def _lone_mark(top: BoxMeasure) -> FieldResult:
        """The only mark in its row (any runner-up below the empty level or far weaker)."""
        accept = accept_t
        if overshoot is top or not overshoots:
            accept = stroke_accept_level(top, accept_t, peak_level)
        confidence = _confidence(top.score, second, empty_t, accept)
        pen = _pen_confidence(top, peak_level)
        if top.score >= accept and pen >= T.OK_CONFIDENCE:
            doubt = _lone_mark_doubt(item, m, top, peak_level, empty_t, overshoots, mark_level, dot_hand)
            if doubt is not None:
                return result(Status.REVIEW, str(top.code), min(confidence, T.CONFIDENCE_FLOOR), doubt)
            return result(Status.OK, str(top.code), confidence)
        run_out = overflow_confidence(top, row_outside, peak_level) if overshoot is top and overshoots else 0.0
        if run_out >= T.OK_CONFIDENCE and all(b is top for b in marked + faint):
            # Too little ink in the box for a lone mark, but a stroke of the pen in it and
            # much ink beside it: a tick run out of its box, read as the overflow rule reads
            # one that leaves less in it (seed 611216245: 36 such ticks sent to review as erased?).
            return result(Status.OK, str(top.code), run_out)
        if light_hand and not overshoots and light_tick(top, peak_level) and not lifted_alike(top, m.boxes):
            # As light as the respondent's other light ticks, and darker than a ghost of their
            # pencil; a trace that others of its row share is show-through (fresh seed 5411111,
            # s0100 q15a: a text line of the back page blurred into a band across a blank row).
            return result(Status.OK, str(top.code), light_tick_confidence(top.score, accept))
        intact = _intact(top)
        if intact is not None:
            return intact
        if _of_hand(top):
            return result(Status.OK, str(top.code), T.OK_CONFIDENCE)
        if top.score >= accept:
            # Ink enough, but nowhere as dark as the respondent's pen: a ghost left by rubbing out.
            return result(Status.REVIEW, str(top.code), min(confidence, pen), Reason.ERASED)
        # A visible trace far lighter than the respondent's marks: rubbed out, or not?
        erased = top.score >= T.FAINT_ACCEPT
        return result(Status.REVIEW, str(top.code), confidence, Reason.ERASED if erased else Reason.FAINT)

    if any(b.cut_off for b in m.boxes):
        # Measured in part on the white the crop fills in beyond the picture's edge: an
        # empty-looking box there may hold the answer, and paper next to white looks inked.
        return result(Status.REVIEW, str(ranked[0].code) if marked or faint else "", 0.0, Reason.CUT_OFF)
    traces = marked + faint
    if (traces and (not overshoots or light_beside(overshoot, row_outside) or pale_beside(beside, peak_level))
            and all(_rubbed_out(b, peak_level) for b in traces)):
        # Traces in the row, none a stroke of the respondent's dark pen: rubbed out (and
        # the dust or crease beside a ghost no stroke either, nor grey beside it nowhere
        # as dark as a stroke of that pen: seed 58810294, s0077 q08b, a photocopy's grey).
        rel = max(b.peak or 0.0 for b in traces) / (peak_level or 1.0)
        confidence = interp(rel, (0.0, T.GHOST_PEAK_RELATIVE), (1.0, T.OK_CONFIDENCE))
        return result(Status.BLANK, confidence=confidence, reason=Reason.RUBBED_OUT)
    shadow = [b for b in m.boxes if shadow_grey(b, peak_level, row_outside)]
    if shadow and all(b in shadow or pale_trace(b, peak_level) for b in traces + beside):
        # A shadow's edge greys a box and the paper beside it alike, and its neighbour in
        # part; far lighter than the dark pen, it holds no stroke of it (seed 837820416,
        # s0052 q19b and q19c: blank rows on a shaded phone photo sent to review as marks
        # run out of their boxes).
        rel = max(b.peak or 0.0 for b in traces + shadow) / (peak_level or 1.0)
        confidence = interp(rel, (0.0, T.GHOST_PEAK_RELATIVE), (1.0, T.OK_CONFIDENCE))
        return result(Status.BLANK, confidence=confidence, reason=Reason.SHADOW)
    if (overshoots and not marked and all(b is overshoot for b in faint) and overshoot not in shaded
            and not item.multiple):
        # Nothing marked, and one box with ink beside it and a stroke of the pen inside: a
        # tick run out of that box (the stroke inside says which box it started in); or
        # with a stroke's length of the pen beside it alone and no more than a stretch of
        # the stroke inside, run out into the empty margin (fresh18 seed 1109277370, s0045
        # q11b: 0.15 beside box 4 in a piece of 3 mm, 0.005 in it, sent to review).
        box_mm = next(o.box_mm for o in item.options if o.code == overshoot.code)
        others_mm = [o.box_mm for o in item.options if o.code != overshoot.code]
        confidence = max(overflow_confidence(overshoot, row_outside, peak_level),
                         run_out_alone(overshoot, m.boxes, row_outside, peak_level, box_mm, others_mm))
        if confidence >= T.OK_CONFIDENCE:
            return result(Status.OK, str(overshoot.code), confidence)
    if not marked and not faint:
        if overshoots and pale_beside(beside, peak_level) and faint_stroke(m.boxes) is None:
            # Grey beside empty boxes, nowhere as dark as a stroke of the dark pen: a
            # shadow's edge or a photocopy's grey, no mark run out of a box (seed 837820416,
            # s0161 q13a: a blank row of a phone photo sent to review as a mark run out).
            # A faint trace standing out in a box may be a tick blurred under the noise: review.
            return result(Status.BLANK, confidence=1.0 - 0.5 * ranked[0].score / empty_t, reason=Reason.SHADOW)
        if overshoots:
            return result(Status.REVIEW, str(overshoot.code), 0.3, Reason.OUTSIDE)
        run = stroke_beside(m.boxes, row_outside, peak_level)
        if run is not None:
            # A faint pencil tick drawn mostly beside its box (fresh seed 806647959, s0076
            # q18a: 0.0116 beside box 1, 1.3 times the row's noise, read blank): review.
            return result(Status.REVIEW, str(run.code), 0.3, Reason.OUTSIDE)
        trace = faint_stroke(m.boxes)
        if trace is None or lifted_alike(trace, m.boxes):
            # Traces lifted alike are the paper's, unless one box alone holds a stroke: a
            # faint tick beside a shadow's grey (fresh seed 243920451, s0129 q14c) or
            # show-through (seed 287386493, s0116 q17a), both phone photos read blank.
            trace = lone_stroke(m.boxes)
        alike = traces_inked_alike(m.boxes) if trace is None else []
        if alike and not all(_rubbed_out(b, peak_level) for b in alike):
            # Two boxes of a clean row lifted alike, ink above the floor in both, no one of
            # them alone a stroke: a faint tick beside a shadow's grey and a dust speck as
            # likely as the paper's (test_marks' draw of it, 13 in 300 read blank or close
            # to it): a person decides, pointed at no box.
            evidence["traces"] = {str(b.code): b.trace for b in m.boxes}
            return result(Status.REVIEW, "", T.CONFIDENCE_FLOOR, Reason.FAINT)
        if trace is None:
            # A faint pencil tick on a motion-blurred photo of a pencil page lifts its box's
            # trace less (fresh17 seed 187926935, s0111 q04 and q17b: read blank).
            trace = pencil_trace(m.boxes, peak_level)
        if trace is not None:
            evidence["traces"] = {str(b.code): b.trace for b in m.boxes}
            if _rubbed_out(trace, peak_level):
                # Nothing beside it, and on a page written in a dark pen its darkest ink a
                # ghost's: no stroke of that pen is so light (a faint tick is a pencil's); a
                # rubbed-out tick, show-through or a photocopy's grain lifts one box's trace
                # so (dev seeds 40417733, 58810294: 5 blank rows of feeder and phone pages
                # sent to review as faint, no tick among them).
                return result(Status.BLANK, confidence=1.0 - 0.5 * ranked[0].score / empty_t,
                              reason=Reason.RUBBED_OUT)
            # Under the noise floor, yet clearly darker than its row's empty boxes: a faint
            # tick blurred on a photo (seed 611216245, s0144 q09a and q09b), never blank.
            return result(Status.REVIEW, str(trace.code), T.CONFIDENCE_FLOOR, Reason.FAINT)
        return result(Status.BLANK, confidence=1.0 - 0.5 * ranked[0].score / empty_t)
    if not marked:
        top = faint[0]
        # Beside a fainter trace (dust, show-through, a ghost), an intact light stroke with
        # far more ink is the answer: a double tick's two hold ink alike.
        intact = None if item.multiple or top in shaded or len(faint) == 1 else _intact(top)
        if intact is not None:
            return intact
        if len(faint) > 1 or overshoots or item.multiple or top in shaded:
            return result(Status.REVIEW, str(top.code), _confidence(top.score, second, empty_t, accept_t),
                          Reason.OUTSIDE if overshoots else Reason.FAINT)
        # The row's level beside its boxes is the other boxes' (in a row of two the median is
        # their mean, half of it the stroke run out of `top`: seed 322806038 of the word
        # form's test, s0003 q02, a pencil tick run out of box 1, 0.0097 beside it, read a speck);
        # an item of one box has no other, and keeps the row's own.
        others = [b.outside for b in m.boxes if b is not top]
        if (dust_speck(top, m.boxes) and not run_out(top, median(others) if others else row_outside)
                and faint_stroke(tuple(b for b in m.boxes if b is not top)) is None):
            # A compact dark dot with a grain's ink, alone in the row: dust, no tick (seed
            # 15547345, s0172 q14a: a speck of 0.0063, 0.5 mm, sent to review as faint);
            # with a stroke running on beside its box, that stroke's tip (seed 1287238377
            # of the word form's test, s0002 q01d: a pencil tick run out below-left, 0.0116
            # beside the box, read blank as a speck); in a faint stroke lifting its box's
            # trace alone, that stroke's darkest spot, or a grain on a tick (fresh19 seed
            # 583038266, s0053 q20a: a dot of 0.0096, 0.88 mm, its trace 0.062 over a row's
            # 0.006, read blank as a speck).
            return result(Status.BLANK, confidence=speck_confidence(top), reason=Reason.SPECK)
        return _lone(top)
    if item.multiple:
        codes = ";".join(str(b.code) for b in sorted(marked, key=lambda b: b.code))
        return result(Status.REVIEW, codes, 0.4, Reason.FAINT) if faint else result(Status.OK, codes, 0.9)
    solid = [b for b in marked if _solid(b, mark_t)]
    ticked = [b for b in marked if not _solid(b, mark_t)]
    if len(marked) == 1:
        top = marked[0]
        if solid and not fills and corrections and not _shaded_in(top, peak_level):
            # Blackened completely, as a box is to cancel it (or greyed by a shadow); one
            # shaded in with the pen, gaps left, is the answer, read below.
            guess = faint[0].code if faint else top.code
            return result(Status.REVIEW, str(guess), 0.4, Reason.CANCELLED_ONLY)
        rest = tuple(b for b in m.boxes if b is not top)
        if solid and top.score < T.FILLED_MIN and any(not _ghost(b, top.peak) and not dust_speck(b, rest) for b in faint):
            # On a sheet that fills, a box filled in lightly beside a light tick of the same
            # pencil is the answer, or a cancelled one (seed 623425): a person decides. Beside
            # a dark fill, or far lighter than the fill at its darkest, the trace is a ghost;
            # a dust speck is no tick (fresh18 seed 1489825453, s0106 q16a: a pencil fill of
            # 0.49 beside a grain of 0.011, 0.75 mm, sent to review), unless its box's trace
            # stands out of the row's without the fill: a faint tick's darkest spot.
            return result(Status.REVIEW, str(top.code), 0.4, Reason.AMBIGUOUS)
        if faint and top.score < T.DOMINANCE * faint[0].score:
            return result(Status.REVIEW, str(top.code), 0.4, Reason.AMBIGUOUS)
        if dust_grain(top, peak_level) and (faint or overshoots and overshoot is not top
                                            or faint_stroke(rest)):
            # A black dot beside a trace, or beside a mark running out of its box, on a
            # pencil page: the trace may be the answer (seed 764588028, s0087 q20c).
            return result(Status.REVIEW, str(top.code), 0.4, Reason.AMBIGUOUS)
        if overshoots and overshoot is top and faint_beside_pale_run(top, m.boxes, peak_level):
            # Grey beside a box and in it, paler than a stroke of the pen run out of it (a
            # shadow's edge), and a faint tick's trace in another box (fresh seed 243920451,
            # s0140 q19c: a phone photo's shadow edge at box 4 read 4, ok, the tick in 5).
            return result(Status.REVIEW, str(top.code), 0.4, Reason.AMBIGUOUS)
        return _lone(top)
    if corrections and solid and all(_ghost(b, peak_level) for b in marked):
        # Boxes greyed evenly, none near the respondent's pen at its darkest: a shadow's
        # grey across the row as likely as a box inked out (fresh seed 837820416, s0045
        # q14b: an empty row in a phone's shadow read as a correction, ok).
        return result(Status.REVIEW, str(ticked[0].code) if len(ticked) == 1 else "", 0.4, Reason.GREYED)
    # A correction's tick holds the ink a lone mark needs: a dust grain in a box beside a
    # pencil fill is no answer (seed 611216245, s0132 q13a: a grain of 0.05 beside a fill of
    # 0.33, on a sheet marked at 0.35, read as a correction, ok).
    if (corrections and solid and len(ticked) == 1 and (not faint or ticked[0].score >= T.DOMINANCE * faint[0].score)
            and _pen_stroke(ticked[0], solid) and ticked[0].score >= accept_t):
        if not dot_hand and _whole_dot(ticked[0]):
            # A dot beside an inked-out box, on a sheet that marks otherwise: a dust grain
            # beside a filled box (the answer, or a cancelled one) as likely as a correction's tick (fresh seed 794897226,
            # s0109 q20a: a grain of 0.056, 1 mm, beside a fill read as a correction, ok).
            return result(Status.REVIEW, str(solid[0].code), 0.4, Reason.DUST)
        if all(_blackened(b) for b in solid):
            # Only a box blackened completely is cancelled: a thick cross covers most of a
            # word processor's small box (seed 1915064519 of its test, s0002 q01d: 0.71 of
            # it, solid, and a cross in box 4 read as the correction's tick, ok; the truth
            # two crosses), and a fill with gaps may be the answer. Else: multiple.
            return result(Status.OK, str(ticked[0].code), 0.85, Reason.CORRECTION)
    if (not solid and not faint and len(marked) == 2
            and (_pen_dark(marked[1], peak_level) or stroke_end(marked[1], peak_level))):
        # A tick and the end of a stroke of the pen in another box (a mark run into its
        # neighbour), the one SPILL_DOMINANCE times the other's ink: the tick is the answer.
        # Two ticks of a pen hold ink alike, and stay two marks; a lighter trace beside a
        # tick may be a faint second tick, and a person decides.
        confidence = spill_confidence(marked[0], marked[1], peak_level)
        if confidence >= T.OK_CONFIDENCE:
            return result(Status.OK, str(marked[0].code), confidence)
    return result(Status.MULTIPLE, "", 0.9, Reason.MULTIPLE)


def decide_sheet(template: Template, measures: dict[str, ItemMeasure],
                 told: Mapping[int, PageMarks] | None = None,
                 px_per_mm: Mapping[int, float] | None = None) -> dict[str, FieldResult]:
    """Decide every measured item of one sheet; `told`: the `page_marks` of those of its
    pages whose workers told them (the others' are worked out from `measures`);
    `px_per_mm`: each page's scan resolution (unknown for a page not in it)."""
    told = told or {}
    pages = {page: told.get(page) or page_marks([measures[i.id] for i in template.items_on(page) if i.id in measures])
             for page in template.page_numbers}
    level, fills = _mark_level(pages.values()), _fills(pages.values())
    empty, peaks = page_empty_levels(pages), page_peak_levels(pages)
    sharpness = page_sharpness_levels(pages)
    light_hand, dot_hand = sheet_light_hand(pages, peaks, sharpness), sheet_dot_hand(pages)
    resolution = px_per_mm or {}
    # What a page's items are decided against, told once a page rather than once an item.
    hand = light_strokes(pages, peaks, sharpness, resolution)
    habits = {page: (level, fills, template.reading.corrections, empty[page], peaks.get(page), light_hand,
                     sharpness.get(page), resolution.get(page), dot_hand, hand) for page in pages}
    by_id = {i.id: i for i in template.items}
    return {iid: decide_item(item, m, *habits[item.page]) for iid, m in measures.items() for item in (by_id[iid],)}
