"""The hard cases: what real returns and phone photos do to a page, off unless asked for.

`scanner synth --hard` (or `--effects erased,dust,...`) turns these on. They draw from
random streams of their own, so a batch without them is exactly what it was before
they existed, and which pages and items an effect falls on does not depend on which
others are on.

Mark effects change what is in the boxes (`harden_sheet`): the ghost of an erased
tick, beside the real answer or alone, and a mark that runs into the neighbouring box.
Print effects change where the form lands on the sheet (`Print`): "fit to page" and a
printer offset, the skewed print of a photocopy; the truth's homography includes them.
Paper effects are painted on the page (`paint_paper`, `paint_marks`): paper off the
reference colour, show-through of the back page, a photocopy's grey and thickened
print, dust and a hair, a fold crease, staple holes. Photo effects come with a phone
photo (`PageHard.photo`): motion blur, a shadow across the page, a corner marker cut
off by the image's edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

import cv2
import numpy as np

from scanner.render import marker_boxes
from scanner.synth.ink import MM_PER_INCH, Shape
from scanner.synth.paper import PageScan, mm_to_raster, page_size_px
from scanner.synth.rates import HardRates
from scanner.synth.respondents import BoxMark, Effect, ItemAnswer, Sheet, Status, other_code
from scanner.template import Template


class Hard(StrEnum):
    """A hard case the generator can add (`SynthOptions.hard`)."""

    ERASED = "erased"
    NEIGHBOUR = "neighbour"
    DUST = "dust"
    SHOW_THROUGH = "show_through"
    PAPER = "paper"
    FIT_TO_PAGE = "fit_to_page"
    PHOTOCOPY = "photocopy"
    CREASE = "crease"
    STAPLE = "staple"
    MOTION_BLUR = "motion_blur"
    SHADOW = "shadow"
    MARKER_CUT = "marker_cut"


E = TypeVar("E", bound=StrEnum)

ALL_HARD = tuple(Hard)
PHOTO_HARD = (Hard.MOTION_BLUR, Hard.SHADOW, Hard.MARKER_CUT)
"""Effects of a phone photo: a page that draws one of them is photographed."""


def parse_choices(kind: type[E], names: str | tuple[str, ...] | list[str], noun: str) -> tuple[E, ...]:
    """Members of the string enum `kind` from names (a comma-separated string or a
    sequence), in `kind`'s order; `all` for all of them.

    Raises:
        ValueError: an unknown name, with the known ones (`noun` says what they are).
    """
    if isinstance(names, str):
        names = names.split(",")
    every = tuple(kind)
    chosen: set[E] = set()
    for name in (n.strip() for n in names):
        if name == "all":
            chosen.update(every)
        elif name:
            try:
                chosen.add(kind(name))
            except ValueError:
                raise ValueError(f"unknown {noun} {name!r}; choose from all, {', '.join(every)}") from None
    return tuple(k for k in every if k in chosen)


def parse_hard(names: str | tuple[str, ...] | list[str]) -> tuple[Hard, ...]:
    """Hard effects from names (see `parse_choices`)."""
    return parse_choices(Hard, names, "effect")


# --- marks --------------------------------------------------------------------------


def _neighbour(template: Template, item_id: str, code: int, max_gap_mm: float) -> int | None:
    """The option box nearest to `code`'s box in the same item, when the gap between
    them is small enough for a hasty stroke to cross (None otherwise)."""
    item = next(i for i in template.items if i.id == item_id)
    x, y, w, h = next(o.box_mm for o in item.options if o.code == code)
    gaps = []
    for o in item.options:
        ox, oy, ow, oh = o.box_mm
        if o.code != code:
            gaps.append((max(ox - (x + w), x - (ox + ow), oy - (y + h), y - (oy + oh)), o.code))
    gap, near = min(gaps) if gaps else (math.inf, None)
    return near if gap <= max_gap_mm else None


def harden_sheet(sheet: Sheet, template: Template, hard: tuple[Hard, ...], rates: HardRates,
                 rng: np.random.Generator) -> Sheet:
    """Erased ticks and marks running into the neighbouring box, on a drawn sheet.

    Only plain answers (one mark, read `ok`) change, and the truth stays exact: a ghost
    beside the answer leaves the answer; a ghost alone is a blank item; a mark that runs
    into the next box keeps its own code.
    """
    if Hard.ERASED not in hard and Hard.NEIGHBOUR not in hard:
        return sheet
    erased, alone = rates.erased, rates.erased + rates.erased_alone
    answers = []
    for a in sheet.answers:
        # Two draws per item whatever happens: each item's fate is the same with any
        # other effects on or off.
        r, pick = rng.random(), np.random.default_rng(int(rng.integers(1 << 62)))
        codes = [o.code for o in next(i for i in template.items if i.id == a.item).options]
        plain = a.status is Status.OK and len(a.marks) == 1 and not a.stray and len(codes) > 1
        if plain and Hard.ERASED in hard and r < erased:
            ghost = BoxMark(other_code(codes, a.value, pick), Shape.ERASED)
            a = replace(a, effect=Effect.ERASED, marks=tuple(sorted((*a.marks, ghost), key=lambda m: m.code)))
        elif plain and Hard.ERASED in hard and erased <= r < alone:
            a = replace(a, value=None, status=Status.BLANK, effect=Effect.ERASED_ALONE,
                        marks=(BoxMark(a.value, Shape.ERASED),))
        elif plain and Hard.NEIGHBOUR in hard and alone <= r < alone + rates.neighbour:
            into = _neighbour(template, a.item, a.value, rates.neighbour_max_gap_mm)
            if into is not None:
                mark = a.marks[0]
                shape = mark.shape if mark.shape in (Shape.TICK, Shape.CROSS) else Shape.TICK
                a = replace(a, effect=Effect.NEIGHBOUR, marks=(BoxMark(mark.code, shape, False, into),))
        answers.append(a)
    return replace(sheet, answers=tuple(answers))


def item_hard(answer: ItemAnswer) -> tuple[Hard, ...]:
    """The mark effects of one item."""
    if answer.effect in (Effect.ERASED, Effect.ERASED_ALONE):
        return (Hard.ERASED,)
    return (Hard.NEIGHBOUR,) if answer.effect is Effect.NEIGHBOUR else ()


# --- how the form was printed ---------------------------------------------------------


@dataclass(frozen=True)
class Print:
    """Where the printer put the form on the sheet: scaled about the page's centre, turned
    (clockwise as seen) and moved. The identity unless "fit to page" or a photocopy."""

    scale: float = 1.0
    offset_mm: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0

    def matrix_mm(self, size_mm: tuple[float, float]) -> np.ndarray:
        """Form mm to sheet mm."""
        cx, cy = size_mm[0] / 2, size_mm[1] / 2
        t = math.radians(self.rotation_deg)
        c, s = math.cos(t) * self.scale, math.sin(t) * self.scale
        return np.array([[c, -s, cx + self.offset_mm[0] - c * cx + s * cy],
                         [s, c, cy + self.offset_mm[1] - s * cx - c * cy], [0, 0, 1]])

    def matrix_px(self, size_mm: tuple[float, float], dpi: int) -> np.ndarray:
        """The same on the clean raster's pixels (form raster to sheet raster)."""
        k = mm_to_raster(dpi)
        return k @ self.matrix_mm(size_mm) @ np.linalg.inv(k)


# --- one page's hard cases ------------------------------------------------------------


@dataclass(frozen=True)
class PageHard:
    """The hard cases drawn for one form page, and the numbers that change its geometry."""

    effects: tuple[Hard, ...] = ()
    print: Print = field(default_factory=Print)
    marker_corner: int = 0
    """Which corner marker the photo's edge cuts (clockwise from top-left)."""
    marker_cut: float = 0.0
    """How much of that marker's width lies outside the image."""

    @property
    def photo(self) -> bool:
        return any(h in PHOTO_HARD for h in self.effects)

    def has(self, effect: Hard) -> bool:
        return effect in self.effects


def draw_page_hard(hard: tuple[Hard, ...], rates: HardRates, rng: np.random.Generator) -> PageHard:
    """Which of the asked-for effects befall one form page, and its print geometry.

    Every effect's draw is made whether it is asked for or not, so that turning one on
    or off does not move the others to other pages.
    """
    shares = {Hard.DUST: rates.dust, Hard.SHOW_THROUGH: rates.show_through, Hard.FIT_TO_PAGE: rates.fit_to_page,
              Hard.PHOTOCOPY: rates.photocopy, Hard.CREASE: rates.crease, Hard.STAPLE: rates.staple,
              Hard.MOTION_BLUR: rates.motion_blur, Hard.SHADOW: rates.shadow, Hard.MARKER_CUT: rates.marker_cut}
    drawn = {h: rng.random() < share for h, share in shares.items()}
    effects = tuple(h for h in ALL_HARD if h in hard and drawn.get(h, False))
    fit, offset = float(rng.uniform(*rates.fit_scale)), rng.uniform(-rates.print_offset_mm, rates.print_offset_mm, 2)
    skew = float(rng.uniform(-rates.photocopy_skew_deg, rates.photocopy_skew_deg))
    corner, cut = int(rng.integers(4)), float(rng.uniform(*rates.marker_cut_share))
    scale, rotation = 1.0, 0.0
    if Hard.FIT_TO_PAGE not in effects:
        offset = np.zeros(2)
    else:
        scale = fit
    if Hard.PHOTOCOPY in effects:
        rotation = skew
    printed = Print(round(scale, 4), (round(float(offset[0]), 3), round(float(offset[1]), 3)), round(rotation, 3))
    return PageHard(effects, printed, corner, cut if Hard.MARKER_CUT in effects else 0.0)


def cut_marker(scan: PageScan, hard: PageHard, template: Template, dpi: int) -> PageScan:
    """Move one corner of a photographed page out of the image until the photo's edge
    cuts `hard.marker_cut` of that corner's marker (across the side's nearer edge)."""
    if hard.marker_cut <= 0 or not scan.photo:
        return scan
    x, y, s = marker_boxes(template)[hard.marker_corner]
    size = page_size_px(template.page_size_mm, dpi)
    k = hard.marker_corner
    axis = k % 2  # 0: the cut is across the left or right edge, 1: the top or bottom
    outward = -1.0 if (axis == 0 and k in (0, 3)) or (axis == 1 and k in (0, 1)) else 1.0
    # The marker's outer edge: where the cut line must fall, `marker_cut` of it inside.
    pts = np.array([[[x, y], [x + s, y], [x + s, y + s], [x, y + s]]], np.float64)
    limit = size[axis] - 1

    def outside(move_mm: float) -> float:
        corners = list(scan.corners_mm)
        corners[2 * k + axis] += outward * move_mm
        h = replace(scan, corners_mm=tuple(corners)).homography(template.page_size_mm, dpi)
        h = h @ hard.print.matrix_mm(template.page_size_mm)
        img = cv2.perspectiveTransform(pts, h)[0][:, axis]
        span = float(img.max() - img.min())
        beyond = -img.min() if outward < 0 else img.max() - limit
        return beyond / max(span, 1e-9)

    # Close up: the page fills the frame, so that a small move pushes the corner out.
    scan = replace(scan, shrink=max(scan.shrink, 0.97))
    lo, hi = 0.0, 80.0
    for _ in range(30):  # bisection: the share outside grows with the move
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if outside(mid) < hard.marker_cut else (lo, mid)
    corners = list(scan.corners_mm)
    corners[2 * k + axis] = round(corners[2 * k + axis] + outward * hi, 3)
    return replace(scan, corners_mm=tuple(corners))


# --- painting ---------------------------------------------------------------------------


def _darken(image: np.ndarray, cover: np.ndarray, keep: float, x0: int = 0, y0: int = 0) -> None:
    """Multiply a region of `image` towards `keep` (0 to 255) where `cover` (uint8) is set."""
    h, w = cover.shape
    roi = image[y0:y0 + h, x0:x0 + w]
    factor = cv2.convertScaleAbs(cover, alpha=-(1 - keep / 255), beta=255)
    if roi.ndim == 3:
        factor = cv2.merge([factor] * roi.shape[2])
    cv2.multiply(roi, factor, dst=roi, scale=1 / 255)


def show_back(grey: np.ndarray, back: np.ndarray, sheet_px: np.ndarray, strength: float) -> None:
    """The back page's print showing through the paper: mirrored, blurred, faint.

    `back` is the back page's clean raster, `sheet_px` the sheet's raster-to-image
    transform; `grey` is the page on the glass (white paper), changed in place.
    """
    h, w = back.shape
    small = cv2.resize(255 - back, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(cv2.flip(small, 1), (0, 0), 1.2)
    half = np.array([[2, 0, 0.5], [0, 2, 0.5], [0, 0, 1]])  # small raster to full raster pixels
    dark = cv2.warpPerspective(small, sheet_px @ half, grey.shape[1::-1], flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    cv2.subtract(grey, cv2.convertScaleAbs(dark, alpha=strength), dst=grey)


def photocopy(grey: np.ndarray, dpi: int, rates: HardRates, rng: np.random.Generator) -> None:
    """A copy of a copy: print thickened, background grey and mottled, toner specks."""
    k = dpi / MM_PER_INCH
    grow = max(2, int(round(rates.photocopy_thicken_mm * k)) + 1)
    cv2.erode(grey, np.ones((grow, grow), np.uint8), dst=grey)
    h, w = grey.shape
    level = float(rng.uniform(*rates.photocopy_grey))
    mottle = cv2.resize(rng.uniform(-1, 1, (h // 64 + 2, w // 64 + 2)), (w, h), interpolation=cv2.INTER_CUBIC)
    gain = np.clip(255 * (level + 0.03 * mottle), 0, 255).astype(np.uint8)
    cv2.multiply(grey, gain, dst=grey, scale=1 / 255)
    specks = np.zeros_like(grey)
    n = int(rng.integers(150, 400) * w * h / (k * k * 62000))  # per A4 page
    for x, y, r in zip(rng.integers(0, w, n), rng.integers(0, h, n), rng.uniform(0.05, 0.18, n) * k):
        cv2.circle(specks, (int(x), int(y)), max(1, int(round(r))), int(rng.integers(120, 255)), -1, cv2.LINE_AA)
    cv2.subtract(grey, cv2.convertScaleAbs(specks, alpha=0.6), dst=grey)


def _to_image(points_mm: np.ndarray, h_mm: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(np.asarray(points_mm, np.float64).reshape(-1, 1, 2), h_mm).reshape(-1, 2)


def dust(image: np.ndarray, h_mm: np.ndarray, size_mm: tuple[float, float], dpi: int, rng: np.random.Generator,
         hair: bool) -> None:
    """Specks and dust on the glass or the page, and sometimes a hair, over everything."""
    k = dpi / MM_PER_INCH
    cover = np.zeros(image.shape[:2], np.uint8)
    w, h = size_mm
    n = int(rng.integers(30, 120))
    spots = _to_image(np.column_stack([rng.uniform(0, w, n), rng.uniform(0, h, n)]), h_mm)
    sizes = rng.choice([0.06, 0.1, 0.15, 0.25, 0.4], n, p=[0.35, 0.3, 0.2, 0.1, 0.05]) * k
    for (x, y), r in zip(spots, sizes):
        # Specks smaller than a pixel show as a lighter pixel, not a bigger dot.
        shade = int(255 * min(1.0, r / 0.5))
        cv2.circle(cover, (int(round(x)), int(round(y))), max(1, int(round(r))), shade, -1, cv2.LINE_AA)
    if hair:
        length = float(rng.uniform(15, 45))
        start = np.array([rng.uniform(10, w - 10), rng.uniform(10, h - 10)])
        heading = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0, 0.12, 40))
        steps = np.column_stack([np.cos(heading), np.sin(heading)]) * length / 40
        path = _to_image(start + np.vstack([[0, 0], np.cumsum(steps, axis=0)]), h_mm)
        width = float(rng.uniform(0.05, 0.1)) * k
        cv2.polylines(cover, [np.round(path * 16).astype(np.int32)], False, int(255 * min(1.0, width)),
                      max(1, int(round(width))), cv2.LINE_AA, 4)
    _darken(image, cover, float(rng.uniform(20, 70)))


def crease(image: np.ndarray, h_mm: np.ndarray, size_mm: tuple[float, float], dpi: int,
           rates: HardRates, rng: np.random.Generator) -> None:
    """A fold, flattened again: a dark line where the ridge throws its shadow and a light
    band beside it, straight across the sheet (a letter fold in thirds or halves)."""
    w, h = size_mm
    if rng.random() < 0.75:
        y = h * float(rng.choice([1 / 3, 1 / 2, 2 / 3])) + rng.uniform(-6, 6)
        ends = np.array([[-5, y - rng.uniform(-3, 3)], [w + 5, y + rng.uniform(-3, 3)]])
    else:
        x = w / 2 + rng.uniform(-6, 6)
        ends = np.array([[x - rng.uniform(-3, 3), -5], [x + rng.uniform(-3, 3), h + 5]])
    a, b = _to_image(ends, h_mm)
    k = float(np.hypot(*(_to_image([[0, 0], [10, 0]], h_mm)[1] - _to_image([[0, 0]], h_mm)[0]))) / 10
    dark, light = float(rng.uniform(*rates.crease_dark)), float(rng.uniform(0.03, 0.06))
    band = int(math.ceil(3 * k))
    ih, iw = image.shape[:2]
    x0, x1 = max(0, int(min(a[0], b[0])) - band), min(iw, int(max(a[0], b[0])) + band + 1)
    y0, y1 = max(0, int(min(a[1], b[1])) - band), min(ih, int(max(a[1], b[1])) + band + 1)
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    normal = np.array([-(b - a)[1], (b - a)[0]]) / max(float(np.hypot(*(b - a))), 1e-9)
    d = ((xx - a[0]) * normal[0] + (yy - a[1]) * normal[1]) / k  # mm from the fold, signed
    gain = 1 - dark * np.exp(-(((d - 0.15) / 0.3) ** 2)) + light * np.exp(-(((d + 0.9) / 0.8) ** 2))
    roi = image[y0:y1, x0:x1]
    g = gain if roi.ndim == 2 else gain[:, :, None]
    roi[...] = np.clip(roi * g + 0.5, 0, 255).astype(np.uint8)


def staple(image: np.ndarray, h_mm: np.ndarray, dpi: int, rng: np.random.Generator) -> None:
    """Two staple holes near the top-left corner, the paper between them pressed."""
    k = float(np.hypot(*(_to_image([[10, 0]], h_mm)[0] - _to_image([[0, 0]], h_mm)[0]))) / 10
    centre = np.array([rng.uniform(9, 20), rng.uniform(9, 20)])
    t = math.radians(rng.uniform(-60, -30))
    half = rng.uniform(5.5, 6.5) * np.array([math.cos(t), math.sin(t)])
    holes = _to_image(np.array([centre - half, centre + half]), h_mm)
    cover = np.zeros(image.shape[:2], np.uint8)
    cv2.line(cover, tuple(int(v) for v in np.round(holes[0] * 16)), tuple(int(v) for v in np.round(holes[1] * 16)),
             22, max(1, int(round(0.4 * k))), cv2.LINE_AA, 4)
    for x, y in holes:
        cv2.circle(cover, (int(round(x * 16)), int(round(y * 16))), int(round(0.45 * k * 16)), 255, -1,
                   cv2.LINE_AA, 4)
    _darken(image, cover, float(rng.uniform(25, 60)))


def camera(hard: PageHard, dpi: int, rng: np.random.Generator):
    """What the phone adds after the light: a shadow across the page, motion blur.

    Returns a function that changes the finished (uncompressed) image in place, or None.
    """
    shadow = hard.has(Hard.SHADOW)
    motion = hard.has(Hard.MOTION_BLUR)
    if not (shadow or motion):
        return None
    depth = float(rng.uniform(0.3, 0.55))
    side, reach = int(rng.integers(4)), float(rng.uniform(0.2, 0.45))
    bumps = rng.uniform(-0.08, 0.08, 5)
    softness = float(rng.uniform(0.008, 0.025))
    length = float(rng.uniform(4, 10)) * dpi / 200
    angle = float(rng.uniform(0, 180))

    def apply(image: np.ndarray) -> None:
        h, w = image.shape[:2]
        if shadow:
            # A hand's or the phone's shadow from one side: a wavy edge, blurred.
            gh, gw = max(8, h // 8), max(8, w // 8)
            u = np.linspace(0, 1, gw)[None, :] if side % 2 == 0 else np.linspace(0, 1, gh)[:, None]
            v = np.linspace(0, 1, gh)[:, None] if side % 2 == 0 else np.linspace(0, 1, gw)[None, :]
            wave = np.interp(v, np.linspace(0, 1, len(bumps)), bumps)
            inside = (u if side < 2 else 1 - u) < reach + wave
            mask = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), softness * max(gh, gw))
            gain = cv2.resize(np.clip(255 * (1 - depth * mask), 0, 255).astype(np.uint8), (w, h),
                              interpolation=cv2.INTER_LINEAR)
            if image.ndim == 3:
                gain = cv2.merge([gain] * image.shape[2])
            cv2.multiply(image, gain, dst=image, scale=1 / 255)
        if motion:
            n = max(3, int(math.ceil(length)) | 1)
            kernel = np.zeros((n, n), np.float32)
            c = (n - 1) / 2
            t = math.radians(angle)
            d = length / 2
            cv2.line(kernel, (int(round((c - d * math.cos(t)) * 16)), int(round((c - d * math.sin(t)) * 16))),
                     (int(round((c + d * math.cos(t)) * 16)), int(round((c + d * math.sin(t)) * 16))), 1.0, 1,
                     cv2.LINE_AA, 4)
            cv2.filter2D(image, -1, kernel / kernel.sum(), dst=image, borderType=cv2.BORDER_REPLICATE)

    return apply


def paper_off(rgb: np.ndarray, rates: HardRates, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A ream off the reference colour: `rgb` moved by a CIE76 DeltaE drawn from
    `rates.paper_delta_e` in a random direction (never lighter than paper can be).
    Returns the new RGB and its actual DeltaE from `rgb`."""
    want = float(rng.uniform(*rates.paper_delta_e))
    direction = rng.normal(0, 1, 3) * np.array([0.5, 1.0, 1.0])
    direction[0] = -abs(direction[0])
    direction /= np.linalg.norm(direction)
    lab = lab_of(rgb)
    moved = np.clip(_rgb_of(lab + want * direction), 0, 255)
    return moved, float(np.linalg.norm(lab_of(moved) - lab))


def lab_of(rgb) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour given 0 to 255."""
    return cv2.cvtColor(np.array([[rgb]], np.float32)[:, :, ::-1] / 255, cv2.COLOR_BGR2Lab)[0, 0].astype(np.float64)


def _rgb_of(lab) -> np.ndarray:
    bgr = cv2.cvtColor(np.array([[lab]], np.float32), cv2.COLOR_Lab2BGR)[0, 0]
    return np.round(bgr[::-1].astype(np.float64) * 255)


__all__ = ["ALL_HARD", "Hard", "HardRates", "PageHard", "Print", "camera", "crease", "cut_marker",
           "draw_page_hard", "dust", "harden_sheet", "item_hard", "lab_of", "paper_off", "parse_hard",
           "photocopy", "show_back", "staple"]
