"""One filled-in form page: the blank raster on the paper, then each mark and comment.

`Desk` holds what every page needs (the blank form's rasters, the fonts, where each
box may be marked) and draws a page's ink; `fill_page` is the one-call version for
tests of the reader: it returns the scanned page for answers you choose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from scanner.synth import ink as ink_
from scanner.synth.hard import Hard, PageHard, Print, photocopy, show_back
from scanner.synth.ink import Fonts, Hand, Ink, Patch, Shape, Stroke
from scanner.synth.paper import (BlankPages, PageScan, Scanner, draw_scanner, lay_paper, luminance,
                                 paper_quad)
from scanner.synth.rates import HardRates, Rates
from scanner.synth.respondents import (COMMENT_MARGIN_MM, LINE_PITCH, BoxMark, CommentAnswer, Effect,
                                       ItemAnswer, Status, printed_hand, wrap_words)
from scanner.template import Template

MARK_CLEARANCE_MM = 1.0
"""A mark, however sloppy, stays this far from every other box and comment zone."""
MAX_OVERFLOW_MM = 4.0
"""How far past its box a mark may reach where the form leaves room."""
STRAY_CLEARANCE_MM = 2.5
"""Stray marks keep this far from every box, zone, marker and the QR code."""

Rect = tuple[float, float, float, float]
"""x0, y0, x1, y1 in mm."""


def _rect(box: tuple[float, float, float, float]) -> Rect:
    x, y, w, h = box
    return x, y, x + w, y + h


def _gap(a: Rect, b: Rect) -> tuple[float, float]:
    """Horizontal and vertical gaps between rectangles (negative where they overlap)."""
    return max(b[0] - a[2], a[0] - b[2]), max(b[1] - a[3], a[1] - b[3])


def _grow(r: Rect, by: float) -> Rect:
    return r[0] - by, r[1] - by, r[2] + by, r[3] + by


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def mark_frames(template: Template) -> dict[tuple[str, int], ink_.Frame]:
    """Where a mark in each box may reach: the box plus the free space around it.

    The space stops `MARK_CLEARANCE_MM` short of every other box and comment zone on
    the page, so that an overflowing tick never touches a neighbouring option.
    """
    frames = {}
    for page in template.page_numbers:
        zones = [(i.id, o.code, _rect(o.box_mm)) for i in template.items_on(page) for o in i.options]
        zones += [(c.id, None, _rect(c.box_mm)) for c in template.comments_on(page)]
        for item_id, code, box in zones:
            if code is None:
                continue
            ex = ey = MAX_OVERFLOW_MM
            for other_id, other_code, other in zones:
                if (other_id, other_code) == (item_id, code):
                    continue
                gx, gy = _gap(box, other)
                if gy < 0:  # same row
                    ex = min(ex, gx - MARK_CLEARANCE_MM)
                elif gx < 0:  # same column
                    ey = min(ey, gy - MARK_CLEARANCE_MM)
                elif gx - MARK_CLEARANCE_MM < ex and gy - MARK_CLEARANCE_MM < ey:  # diagonal
                    if gx >= gy:
                        ex = min(ex, gx - MARK_CLEARANCE_MM)
                    else:
                        ey = min(ey, gy - MARK_CLEARANCE_MM)
            ex, ey = max(ex, 0.0), max(ey, 0.0)
            frames[(item_id, code)] = (box[0] - ex, box[1] - ey, box[2] + ex, box[3] + ey)
    return frames


def _keep_out(template: Template, page: int) -> list[Rect]:
    """Everything a stray mark must avoid: boxes, zones, corner markers, the QR code."""
    reg = template.registration
    rects = [_rect(o.box_mm) for i in template.items_on(page) for o in i.options]
    rects += [_rect(c.box_mm) for c in template.comments_on(page)]
    w, h = template.page_size_mm
    s, d = reg.marker_size_mm, reg.marker_inset_mm
    rects += [(d, d, d + s, d + s), (w - d - s, d, w - d, d + s), (w - d - s, h - d - s, w - d, h - d),
              (d, h - d - s, d + s, h - d)]
    qx, qy = reg.qr_at_mm
    rects.append((qx, qy, qx + reg.qr_size_mm, qy + reg.qr_size_mm))
    return [_grow(r, STRAY_CLEARANCE_MM) for r in rects]


@dataclass(frozen=True)
class StraySpot:
    """A place for a stray mark beside an item: a margin mark or an underline."""

    kind: str
    x: float
    y: float
    length: float = 0.0


def stray_spots(template: Template) -> dict[str, list[StraySpot]]:
    """For each item, the places where a stray mark touches nothing it should not."""
    w, _ = template.page_size_mm
    spots: dict[str, list[StraySpot]] = {}
    for page in template.page_numbers:
        keep_out = _keep_out(template, page)
        for item in template.items_on(page):
            _, y0, _, y1 = _rect(item.options[0].box_mm)
            row = (y0 + y1) / 2
            candidates = [StraySpot("margin", 4.0, row), StraySpot("margin", w - 15.0, row)]
            if item.text_mm is not None:
                x, y, width = item.text_mm
                candidates.append(StraySpot("underline", x, y + 4.2, min(width, 45.0)))
            ok = []
            for spot in candidates:
                extent = (spot.x, spot.y - 3, spot.x + max(spot.length, 10.0), spot.y + 3)
                inside = 0 <= extent[0] and extent[2] <= w
                if inside and not any(_overlaps(extent, r) for r in keep_out):
                    ok.append(spot)
            spots[item.id] = ok or [StraySpot("margin", 2.0, row)]
    return spots


class Desk:
    """What drawing pages needs, made once: blank rasters, fonts, mark frames, stray spots.

    Not thread-safe and not shared between processes: each worker makes its own.
    """

    def __init__(self, template: Template, blanks: BlankPages | None = None, fonts: Fonts | None = None):
        self.template = template
        self.blanks = blanks or BlankPages(template)
        self.fonts = fonts or Fonts()
        self.frames = mark_frames(template)
        self.strays = stray_spots(template)
        self._items = {i.id: i for i in template.items}
        self._comments = {c.id: c for c in template.comments}

    def close(self) -> None:
        self.blanks.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def form_page(self, page: int, dpi: int, serial: int | None, scan: PageScan, scanner: Scanner,
                  rng: np.random.Generator, effects: bool = True, hard: PageHard = PageHard(),
                  hard_rng: np.random.Generator | None = None, hard_rates: HardRates = HardRates()):
        """The blank page on the glass as the sensor reads it (still white: `Scanner.finish`
        adds the paper's colour); returns the image and the form-raster-to-image transform
        (the print's place on the sheet included: the ink goes through it too).

        `hard` adds how the form was printed (fit to page, a photocopy) and the back page
        showing through, drawing from `hard_rng`.
        """
        printed = None
        if hard.print != Print():
            printed = hard.print.matrix_px(self.template.page_size_mm, dpi)
        if scan.photo:  # perspective: warp the upright raster
            grey, m = lay_paper(self.blanks.page(page, dpi, serial), scan, dpi, printed)
        else:  # affine: pdfium draws the page in place, which is cheaper
            m = scan.raster_to_image(self.blanks.size_px(dpi), dpi)
            if printed is not None:
                m = m @ printed
            grey = self.blanks.place(page, dpi, m, serial)
        if hard.has(Hard.PHOTOCOPY):
            photocopy(grey, dpi, hard_rates, hard_rng)
        if hard.has(Hard.SHOW_THROUGH):
            numbers = self.template.page_numbers
            k = numbers.index(page)
            back = numbers[k + 1] if k % 2 == 0 and k + 1 < len(numbers) else numbers[k - 1 if k else 0]
            sheet = scan.raster_to_image(self.blanks.size_px(dpi), dpi)
            strength = float(hard_rng.uniform(*hard_rates.show_through_strength))
            show_back(grey, self.blanks.page(back, dpi), sheet, strength)
        return scanner.develop(grey, scan, rng, effects), m

    def ink(self, image: np.ndarray, raster_to_image: np.ndarray, dpi: int, answers: list[ItemAnswer],
            comments: list[CommentAnswer], pen_width_mm: float, rng: np.random.Generator,
            hard_rng: np.random.Generator | None = None, hard_rates: HardRates = HardRates()) -> None:
        """Draw the marks and comments of one page onto its scanned image.

        Rubbed-out ticks and strokes into a neighbouring box draw from `hard_rng` (`rng`
        when None), so that they leave every other mark's strokes as they were.
        """
        hard_rng = rng if hard_rng is None else hard_rng
        looks: dict[Ink, ink_.InkLook] = {}

        def look(ink: Ink) -> ink_.InkLook:
            if ink not in looks:
                looks[ink] = ink_.ink_look(ink, pen_width_mm, rng)
            return looks[ink]

        for answer in answers:
            if answer.ink is None:
                continue
            pen = look(answer.ink)
            for mark in answer.marks:
                if mark.shape is Shape.ERASED:
                    self._erased(image, raster_to_image, dpi, answer.item, mark, pen, hard_rng, hard_rates)
                else:
                    self._mark(image, raster_to_image, dpi, answer.item, mark, pen, rng, hard_rng, hard_rates)
            if answer.stray:
                self._stray(image, raster_to_image, dpi, answer.item, pen, rng)
        for comment in comments:
            if comment.lines and comment.ink is not None:
                self._write(image, raster_to_image, dpi, comment, look(comment.ink), rng)

    def _stamp(self, image, m, dpi, strokes: list[Stroke], pen: ink_.InkLook, rng) -> None:
        patch = ink_.add_grain(ink_.rasterise(strokes, dpi), pen.grain, rng) if strokes else None
        ink_.stamp(image, patch, m, pen)

    def _box(self, item_id: str, code: int) -> tuple[float, float, float, float]:
        return next(o.box_mm for o in self._items[item_id].options if o.code == code)

    def _mark(self, image, m, dpi, item_id: str, mark: BoxMark, pen: ink_.InkLook, rng, hard_rng,
              hard_rates: HardRates) -> None:
        box = self._box(item_id, mark.code)
        strokes = ink_.mark_strokes(mark.shape, box, self.frames[(item_id, mark.code)], pen.width_mm, rng,
                                    mark.overflow)
        if mark.into is not None:
            depth = float(hard_rng.uniform(*hard_rates.neighbour_depth))
            strokes += ink_.run_into(box, self._box(item_id, mark.into), pen.width_mm, depth, hard_rng)
        self._stamp(image, m, dpi, strokes, pen, rng)

    def _erased(self, image, m, dpi, item_id: str, mark: BoxMark, pen: ink_.InkLook, rng,
                hard_rates: HardRates) -> None:
        """A tick rubbed out: a faint, smeared, speckled ghost of it."""
        strokes = ink_.mark_strokes(Shape.TICK, self._box(item_id, mark.code), self.frames[(item_id, mark.code)],
                                    pen.width_mm, rng)
        look = ink_.ghost(pen, float(rng.uniform(*hard_rates.erased_opacity)))
        patch = ink_.rasterise(strokes, dpi)
        smeared = cv2.GaussianBlur(patch.alpha, (0, 0), 0.12 * dpi / ink_.MM_PER_INCH)
        ink_.stamp(image, ink_.add_grain(Patch(smeared, patch.to_raster), look.grain, rng), m, look)

    def _stray(self, image, m, dpi, item_id: str, pen: ink_.InkLook, rng) -> None:
        spots = self.strays[item_id]
        spot = spots[int(rng.integers(len(spots)))]
        if spot.kind == "underline":
            strokes = ink_.underline(spot.x, spot.y, spot.length * rng.uniform(0.4, 1.0), pen.width_mm, rng)
        elif rng.random() < 0.5:
            box = (spot.x + rng.uniform(0, 3), spot.y - 2.0, 4.0, 4.0)
            strokes = ink_.tick(box, (box[0] - 1, box[1] - 1, box[0] + 6, box[1] + 5), pen.width_mm, rng)
        else:
            strokes = ink_.dash(spot.x + rng.uniform(0, 2), spot.y + rng.uniform(-1.5, 1.5), pen.width_mm, rng)
        self._stamp(image, m, dpi, strokes, pen, rng)

    def _write(self, image, m, dpi, comment: CommentAnswer, pen: ink_.InkLook, rng) -> None:
        zone = self._comments[comment.comment]
        hand = comment.hand or printed_hand()
        for patch in self.layout_lines(zone.box_mm, comment.lines, hand, comment.touch, dpi, rng):
            patch = ink_.add_grain(patch, pen.grain, rng)
            ink_.stamp(image, patch, m, pen)

    def layout_lines(self, box: tuple[float, float, float, float], lines: tuple[str, ...], hand: Hand, touch: str,
                     dpi: int, rng: np.random.Generator) -> list[Patch]:
        """Place the lines of a comment in its zone: where a person would start writing,
        or, when it touches the frame, running into the top, bottom or right edge."""
        x, y, w, h = box
        cap = hand.cap_mm
        n = len(lines)
        if hand.printed:
            pitch, first, start = cap * 1.9, y + COMMENT_MARGIN_MM + cap, x + COMMENT_MARGIN_MM
        else:
            pitch = cap * rng.uniform(LINE_PITCH, LINE_PITCH + 0.4)
            first = y + cap * rng.uniform(1.5, 2.0)
            start = x + rng.uniform(2.0, 5.0)
        bottom = y + h - 0.6 - cap * 0.7  # lowest baseline that keeps descenders inside
        if touch == "top":
            first = y + cap * rng.uniform(0.55, 0.8)
        if n > 1:
            pitch = min(pitch, (bottom - first) / (n - 1))
        if touch == "bottom":
            last = y + h - cap * rng.uniform(-0.05, 0.25)
            first = last - (n - 1) * pitch
        else:
            first = min(first, bottom - (n - 1) * pitch)
        patches = []
        longest = max(range(n), key=lambda j: len(lines[j]))
        for j, line in enumerate(lines):
            baseline = first + j * pitch
            width = self.fonts.width_mm(line, hand)
            limit = math.degrees(math.atan(0.25 * cap / max(width, 1.0)))
            tilt = 0.0 if hand.printed else float(np.clip(rng.normal(0, 0.5), -limit, limit))
            lx = start if hand.printed else start + rng.uniform(-0.8, 0.8)
            patch, advance = ink_.write_line(line, hand, lx, baseline, dpi, self.fonts, rng, tilt)
            if touch == "right" and j == longest:
                # Run the end of the longest line over the right-hand edge of the frame.
                dx = max((x + w + rng.uniform(0.4, 1.8)) - (lx + advance), x + 0.5 - lx)
                patch = Patch(patch.alpha, ink_.translation(dx * dpi / ink_.MM_PER_INCH, 0) @ patch.to_raster)
            patches.append(patch)
        return patches


def _answer_for(desk: Desk, item_id: str, given, pen: Ink) -> ItemAnswer:
    item = desk._items[item_id]
    if isinstance(given, ItemAnswer):
        return given
    if given is None:
        return ItemAnswer(item_id, item.page, None, Status.BLANK, Effect.BLANK, None)
    return ItemAnswer(item_id, item.page, int(given), Status.OK, Effect.TICK, pen, (BoxMark(int(given), Shape.TICK),))


def _comment_for(desk: Desk, comment_id: str, given) -> CommentAnswer:
    zone = desk._comments[comment_id]
    if isinstance(given, CommentAnswer):
        return given
    hand = printed_hand()
    lines = wrap_words(str(given).split(), hand, zone.box_mm[2] - 2 * COMMENT_MARGIN_MM, desk.fonts)
    return CommentAnswer(comment_id, zone.page, tuple(lines), Effect.PRINTED, Ink.PRINT, hand)


def fill_page(template: Template, page: int, answers: Mapping[str, int | ItemAnswer | None] | None = None,
              comments: Mapping[str, str | CommentAnswer] | None = None, *, dpi: int = 200,
              colour: str | None = None, scan: PageScan | None = None, serial: int | None = None,
              pen: Ink = Ink.BLACK, pen_width_mm: float = 0.45, greyscale: bool = False,
              rng: np.random.Generator | None = None, desk: Desk | None = None,
              rates: Rates = Rates()) -> np.ndarray:
    """Fill in one page of the form and return it as the scanner would (decoded pixels).

    Args:
        template: the form.
        page: the form's page number.
        answers: item id to a code (ticked cleanly with `pen`), to an `ItemAnswer` for
            any other kind of mark (a correction, two boxes, faint pencil...), or to None;
            items on the page that are not given are left blank.
        comments: comment id to printed text (DejaVu Sans, wrapped to the zone), or to a
            `CommentAnswer` (handwriting, touching the frame...).
        dpi: scan resolution.
        colour: the template's paper colour name; None for white paper.
        scan: how the sheet lay on the scanner. None: perfectly straight, with no light,
            noise, blur or JPEG (exact pixels). Given: also the scanner's light, cast,
            noise and a JPEG round trip. `scan.homography(template.page_size_mm, dpi)`
            maps page mm to the returned image's pixels.
        serial: the copy's serial in the QR code (a numbered copy).
        greyscale: return a single-channel image.
        rng: randomness of the strokes and the scanner; the same generator state gives
            the same image.
        desk: reuse rasters and fonts across calls (much faster); made when not given.

    Returns:
        The page as a BGR (or, with `greyscale`, single-channel) uint8 array.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    own = desk is None
    desk = desk or Desk(template)
    try:
        paper = (255, 255, 255)
        if colour is not None:
            found = template.colour(colour)
            if found is None:
                raise ValueError(f"unknown paper colour {colour!r}; the template has "
                                 f"{[c.name for c in template.colours]}")
            paper = tuple(reversed(found.rgb))
        effects = scan is not None
        scanner = Scanner(draw_scanner(rng, rates, dpi, greyscale, effects), rng)
        image, m = desk.form_page(page, dpi, serial, scan or PageScan(), scanner, rng, effects)
        given = dict(answers or {})
        item_answers = [_answer_for(desk, i.id, given.get(i.id), pen) for i in template.items_on(page)]
        texts = dict(comments or {})
        comment_answers = [_comment_for(desk, c.id, texts[c.id])
                           for c in template.comments_on(page) if c.id in texts]
        desk.ink(image, m, dpi, item_answers, comment_answers, pen_width_mm, rng)
        quad = paper_quad(m, image.shape[1::-1])
        if not effects:
            if paper != (255, 255, 255):
                tint = np.array(paper if not greyscale else [luminance(paper)], np.float64) / 255
                image = np.clip(image * tint + 0.5, 0, 255).astype(np.uint8).reshape(image.shape)
            return image
        data = scanner.finish(image, scan, rng, paper, quad)
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    finally:
        if own:
            desk.close()


__all__ = ["Desk", "fill_page", "mark_frames", "stray_spots"]
