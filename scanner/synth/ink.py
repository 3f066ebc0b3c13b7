"""Ink on paper: pen strokes for marks, handwriting and print for comments.

Everything here is drawn in page millimetres (the template's frame) into a small alpha
patch at the scan's resolution, and `stamp` then carries the patch through the page's
scan transform onto the scanned image. So a mark sits exactly where the template's box
is on the paper, and it skews, shifts and blurs with the paper like the printed form.

Strokes are polylines with a slight wobble and a varying width (pressure), drawn
anti-aliased at a few times the scan resolution and averaged down, so that a 0.4 mm
ballpoint line looks like one at 150 dpi as well as at 300 dpi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

MM_PER_INCH = 25.4
SUPERSAMPLE_DPI = 400
"""Strokes are drawn at (at least) this resolution and at least twice the scan's, then
averaged down: smooth edges and widths finer than a pixel."""
SUBPIXEL_BITS = 4
"""cv2 drawing coordinates carry this many fractional bits."""


class Shape(StrEnum):
    """What a mark in a box looks like."""

    TICK = "tick"
    CROSS = "cross"
    FILL = "fill"
    DOT = "dot"
    SCRIBBLE = "scribble"
    INKED_OUT = "inked_out"
    """A box blackened to cancel it (a correction); never an answer on its own."""
    ERASED = "erased"
    """A tick rubbed out: its faint ghost is left; never an answer."""


class Ink(StrEnum):
    """What a mark or a comment is written with."""

    BLACK = "black"
    BLUE = "blue"
    PENCIL = "pencil"
    FAINT_PENCIL = "faint_pencil"
    PRINT = "print"
    """Laser print (printed comments, the cover letter)."""


@dataclass(frozen=True)
class InkLook:
    """How one ink shows on the scan: colour, opacity and grain (pencil texture)."""

    bgr: tuple[int, int, int]
    opacity: float
    grain: float
    width_mm: float


@dataclass(frozen=True)
class Stroke:
    """One pen movement: points in page mm and the line width at each point."""

    points: np.ndarray
    widths: np.ndarray


Box = tuple[float, float, float, float]
Frame = tuple[float, float, float, float]
"""x0, y0, x1, y1 in mm: where a mark may be drawn (its box plus the free space around)."""


def px_per_mm(dpi: int) -> float:
    return dpi / MM_PER_INCH


def ink_look(ink: Ink, width_mm: float, rng: np.random.Generator) -> InkLook:
    """The look of `ink`, with small random differences between pens of a kind."""
    j = rng.integers(-8, 9, 3)
    if ink is Ink.BLACK:
        return InkLook(_clip_bgr((38, 28, 28) + j), float(rng.uniform(0.93, 1.0)), 0.0, width_mm)
    if ink is Ink.BLUE:
        return InkLook(_clip_bgr((150, 60, 35) + j), float(rng.uniform(0.9, 1.0)), 0.0, width_mm)
    if ink is Ink.PENCIL:
        return InkLook(_clip_bgr((88, 86, 84) + j), float(rng.uniform(0.7, 0.9)), 0.35, width_mm)
    if ink is Ink.FAINT_PENCIL:
        return InkLook(_clip_bgr((120, 118, 116) + j), float(rng.uniform(0.22, 0.4)), 0.5, width_mm * 0.8)
    return InkLook((22, 22, 22), 1.0, 0.0, width_mm)


def _clip_bgr(values) -> tuple[int, int, int]:
    b, g, r = (int(np.clip(v, 0, 255)) for v in values)
    return b, g, r


# --- stroke geometry --------------------------------------------------------------


def _curve(ctrl: np.ndarray, step_mm: float = 0.3) -> np.ndarray:
    """A smooth curve through control points (Catmull-Rom), about every `step_mm`."""
    ctrl = np.asarray(ctrl, dtype=np.float64)
    if len(ctrl) < 2:
        return ctrl.copy()
    padded = np.vstack([2 * ctrl[0] - ctrl[1], ctrl, 2 * ctrl[-1] - ctrl[-2]])
    p0, p1, p2, p3 = (padded[k: k + len(ctrl) - 1][:, None, :] for k in range(4))
    longest = float(np.max(np.hypot(*(ctrl[1:] - ctrl[:-1]).T)))
    t = np.linspace(0, 1, max(2, int(math.ceil(longest / step_mm))), endpoint=False)[None, :, None]
    pts = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
    return np.vstack([pts.reshape(-1, 2), ctrl[-1:]])


def _wobble(points: np.ndarray, amp_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Shake a path sideways a little, as a hand does: two slow sine waves along it."""
    if len(points) < 3 or amp_mm <= 0:
        return points
    seg = np.diff(points, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    tangent = np.concatenate([seg[:1], seg[:-1] + seg[1:], seg[-1:]])
    norm = np.hypot(tangent[:, 0], tangent[:, 1])[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.maximum(norm, 1e-9)
    offset = np.zeros(len(points))
    for wavelength in rng.uniform(1.5, 6.0, 2):
        offset += np.sin(2 * math.pi * s / wavelength + rng.uniform(0, 2 * math.pi))
    return points + normal * (offset * amp_mm / 2)[:, None]


def _widths(points: np.ndarray, width_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Pressure along a stroke: thinner where the pen lands and lifts, uneven between."""
    n = len(points)
    t = np.linspace(0, 1, n)
    taper = np.minimum(1.0, 0.55 + 0.45 * np.minimum(t / 0.15, (1 - t) / 0.2))
    pressure = 1 + 0.12 * np.sin(2 * math.pi * (t * rng.uniform(0.5, 2.0) + rng.uniform(0, 1)))
    return width_mm * rng.uniform(0.85, 1.15) * taper * pressure


def _stroke(ctrl, width_mm: float, rng: np.random.Generator, wobble_mm: float = 0.08) -> Stroke:
    points = _wobble(_curve(np.asarray(ctrl, dtype=np.float64)), wobble_mm, rng)
    return Stroke(points, _widths(points, width_mm, rng))


def _in_box(box: Box, u: float, v: float) -> tuple[float, float]:
    """The point at fractions u, v of a box's width and height."""
    x, y, w, h = box
    return x + u * w, y + v * h


def _fit(strokes: list[Stroke], centre: tuple[float, float], frame: Frame) -> list[Stroke]:
    """Shrink strokes towards `centre` until they lie inside `frame` (never into another box)."""
    pts = np.vstack([s.points for s in strokes])
    margin = max(float(np.max(s.widths)) for s in strokes) / 2
    cx, cy = centre
    factor = 1.0
    for coord, c, lo, hi in ((pts[:, 0], cx, frame[0] + margin, frame[2] - margin),
                             (pts[:, 1], cy, frame[1] + margin, frame[3] - margin)):
        over = np.max(coord - c)
        if over > 0 and c + over > hi:
            factor = min(factor, (hi - c) / over)
        under = np.min(coord - c)
        if under < 0 and c + under < lo:
            factor = min(factor, (lo - c) / under)
    if factor >= 1.0:
        return strokes
    factor = max(factor, 0.05)
    c = np.array(centre)
    return [Stroke(c + (s.points - c) * factor, s.widths) for s in strokes]


def tick(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator, size: float = 1.0) -> list[Stroke]:
    """A tick: a short stroke down, a long one up and to the right (often past the box)."""
    a = _in_box(box, rng.uniform(0.08, 0.3), rng.uniform(0.4, 0.65))
    b = _in_box(box, rng.uniform(0.35, 0.52), rng.uniform(0.78, 0.98))
    c = _in_box(box, rng.uniform(0.85, 1.2), rng.uniform(-0.2, 0.15))
    mid = ((b[0] + c[0]) / 2 + rng.uniform(-0.3, 0.3), (b[1] + c[1]) / 2 + rng.uniform(-0.4, 0.2))
    pts = np.array([a, b, mid, c])
    centre = _in_box(box, 0.5, 0.5)
    pts = centre + (pts - centre) * size
    return _fit([_stroke(pts, width_mm, rng)], centre, frame)


def cross(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator, size: float = 1.0) -> list[Stroke]:
    """Two crossing strokes, corner to corner, drawn fast so slightly bowed."""
    centre = np.array(_in_box(box, 0.5, 0.5))
    strokes = []
    for (u0, v0), (u1, v1) in (((0.15, 0.15), (0.85, 0.85)), ((0.85, 0.15), (0.15, 0.85))):
        p0 = np.array(_in_box(box, u0 + rng.uniform(-0.12, 0.1), v0 + rng.uniform(-0.12, 0.1)))
        p1 = np.array(_in_box(box, u1 + rng.uniform(-0.1, 0.12), v1 + rng.uniform(-0.1, 0.12)))
        bow = (p1 - p0)[::-1] * np.array([1, -1]) * rng.uniform(-0.08, 0.08)
        pts = np.array([p0, (p0 + p1) / 2 + bow, p1])
        strokes.append(_stroke(centre + (pts - centre) * size, width_mm, rng))
    return _fit(strokes, tuple(centre), frame)


def _zigzag(box: Box, spacing_mm: float, angle_deg: float, inset_mm: float) -> np.ndarray:
    """Back-and-forth hatching across a box: the turning points of one continuous stroke."""
    x, y, w, h = box
    x0, x1, y0, y1 = x + inset_mm, x + w - inset_mm, y + inset_mm, y + h - inset_mm
    n = max(2, int(math.ceil((y1 - y0) / spacing_mm)) + 1)
    ys = np.linspace(y0, y1, n)
    slant = math.tan(math.radians(angle_deg)) * spacing_mm / 2
    pts = [(x0 if k % 2 == 0 else x1, yy + (slant if k % 2 else -slant)) for k, yy in enumerate(ys)]
    return np.clip(np.array(pts), [x0, y0], [x1, y1])


def _roughen(points: np.ndarray, rng: np.random.Generator, dx_mm: float, dy_mm: float) -> np.ndarray:
    """Move turning points a little: nobody hatches in perfectly even rows."""
    n = len(points)
    return points + np.column_stack([rng.uniform(-dx_mm, dx_mm, n), rng.uniform(-dy_mm, dy_mm, n)])


def _hatch(box: Box, width_mm: float, spacing: float, rng: np.random.Generator, turn_deg: float) -> Stroke:
    """Back-and-forth shading of a box in one stroke, its rows turned by `turn_deg`."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    inset = rng.uniform(-0.2, 0.4)
    # Hatch a square that covers the box at any angle, turn it, then keep it to the box.
    side = math.hypot(w, h)
    pts = _zigzag((cx - side / 2, cy - side / 2, side, side), spacing, rng.uniform(-25, 25), 0.0)
    pts = _roughen(pts, rng, 0.35, spacing * 0.25)
    t = math.radians(turn_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    pts = (pts - (cx, cy)) @ rot.T + (cx, cy)
    pts = np.clip(pts, (x + inset, y + inset), (x + w - inset, y + h - inset))
    # Straight segments between turns; a hand keeps the pen down, so one stroke.
    dense = np.vstack([np.linspace(a, b, max(2, int(np.linalg.norm(b - a) / 0.3)), endpoint=False)
                       for a, b in zip(pts[:-1], pts[1:])] + [pts[-1:]])
    dense = _wobble(dense, 0.05, rng)
    return Stroke(dense, np.full(len(dense), width_mm * rng.uniform(0.9, 1.2)))


def _scrawl(box: Box, width_mm: float, rng: np.random.Generator, loops: int) -> Stroke:
    """Shading by going round and round: overlapping loops drifting across the box."""
    x, y, w, h = box
    t = np.linspace(0, 2 * math.pi * loops, loops * 14)
    drift = np.linspace(0.25, 0.75, len(t))
    # The loops drift along one axis or both, and widen and narrow, so they cover the middle.
    du, dv = ((drift, drift), (drift, np.full_like(t, 0.5)), (np.full_like(t, 0.5), drift))[int(rng.integers(3))]
    r = rng.uniform(0.18, 0.3) * (1 + 0.5 * np.sin(t / rng.uniform(2.5, 5.0)))
    u = du + r * np.cos(t)
    v = dv + r * np.sin(t)
    pts = np.column_stack([x + np.clip(u, 0.02, 0.98) * w, y + np.clip(v, 0.02, 0.98) * h])
    return _stroke(pts, width_mm * rng.uniform(1.1, 1.4), rng, wobble_mm=0.12)


def fill(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A box shaded in as the answer: rows of hatching at some angle, or loops; a few
    gaps left, unlike a box inked out to cancel it."""
    centre = _in_box(box, 0.5, 0.5)
    if rng.random() < 0.25:
        return _fit([_scrawl(box, width_mm, rng, int(rng.integers(5, 9)))], centre, frame)
    turn = float(rng.choice([0.0, 90.0, 45.0, -45.0], p=[0.45, 0.2, 0.2, 0.15])) + rng.uniform(-10, 10)
    spacing = width_mm * rng.uniform(1.0, 1.7)
    return _fit([_hatch(box, width_mm, spacing, rng, turn)], centre, frame)


def inked_out(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A box blackened completely to cancel it: two dense passes, crosswise."""
    w = max(width_mm, 0.45) * 1.3
    turn = rng.uniform(-15, 15)
    strokes = [_hatch(box, w, w * rng.uniform(0.5, 0.7), rng, turn),
               _hatch(box, w, w * rng.uniform(0.5, 0.7), rng, turn + 90)]
    return _fit(strokes, _in_box(box, 0.5, 0.5), frame)


def dot(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A dot or tiny blob: the pen pressed and turned once, somewhere near the middle."""
    cx, cy = _in_box(box, rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7))
    r = rng.uniform(0.15, 0.45)
    t = np.linspace(0, rng.uniform(1.5, 3.0) * math.pi, 16)
    shrink = np.linspace(1, 0.3, 16)
    pts = np.column_stack([cx + r * np.cos(t) * shrink, cy + r * np.sin(t) * shrink])
    w = max(width_mm, 0.4) * rng.uniform(1.3, 1.9)
    return _fit([Stroke(pts, np.full(len(pts), w))], (cx, cy), frame)


def scribble(box: Box, frame: Frame, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A heavy tangle of loops over the box, as when someone goes over a mark again and again."""
    n = int(rng.integers(8, 15))
    ctrl = np.column_stack([rng.uniform(-0.05, 1.05, n), rng.uniform(-0.05, 1.05, n)])
    pts = np.array([_in_box(box, u, v) for u, v in ctrl])
    w = max(width_mm, 0.4) * rng.uniform(1.1, 1.5)
    return _fit([_stroke(pts, w, rng, wobble_mm=0.1)], _in_box(box, 0.5, 0.5), frame)


def mark_strokes(shape: Shape, box: Box, frame: Frame, width_mm: float, rng: np.random.Generator,
                 overflow: bool = False) -> list[Stroke]:
    """The strokes of one mark of `shape` in `box`, kept inside `frame`.

    Overflowing marks are drawn 1.5 to 2.3 times the box's size; `frame` (the box plus the
    free space around it) still keeps them off every other box.
    """
    size = float(rng.uniform(1.5, 2.3)) if overflow else float(rng.uniform(0.85, 1.05))
    if shape in (Shape.TICK, Shape.ERASED):
        return tick(box, frame, width_mm, rng, size)
    if shape is Shape.CROSS:
        return cross(box, frame, width_mm, rng, size)
    if shape is Shape.FILL:
        return fill(box, frame, width_mm, rng)
    if shape is Shape.DOT:
        return dot(box, frame, width_mm, rng)
    if shape is Shape.SCRIBBLE:
        return scribble(box, frame, width_mm, rng)
    return inked_out(box, frame, width_mm, rng)


def run_into(box: Box, other: Box, width_mm: float, depth: float, rng: np.random.Generator) -> list[Stroke]:
    """The end of a stroke that leaves `box` and runs `depth` of the way into the
    neighbouring box `other` (a hasty tick or cross overshooting)."""
    (cx, cy), (ox, oy) = _in_box(box, 0.5, 0.5), _in_box(other, 0.5, 0.5)
    horizontal = abs(ox - cx) >= abs(oy - cy)
    toward = 1.0 if (ox > cx if horizontal else oy > cy) else -1.0
    across, inside = rng.uniform(0.25, 0.65), 0.5 + toward * rng.uniform(0.05, 0.25)
    if horizontal:  # the tick's long arm, from its vertex up into the next box
        start = _in_box(box, rng.uniform(0.35, 0.55), rng.uniform(0.75, 0.95))
        near = other[0] if toward > 0 else other[0] + other[2]
        end = (near + toward * depth * other[2], other[1] + other[3] * rng.uniform(0.0, 0.45))
    else:
        start = _in_box(box, across, inside)
        near = other[1] if toward > 0 else other[1] + other[3]
        end = (other[0] + other[2] * (across + rng.uniform(-0.2, 0.2)), near + toward * depth * other[3])
    mid = ((start[0] + end[0]) / 2 + rng.uniform(-0.3, 0.3), (start[1] + end[1]) / 2 + rng.uniform(-0.3, 0.3))
    return [_stroke([start, mid, end], width_mm, rng)]


def ghost(look: InkLook, keep: float) -> InkLook:
    """What is left of `look` after rubbing out: `keep` of its darkness, speckled."""
    return InkLook(look.bgr, look.opacity * keep, max(look.grain, 0.5), look.width_mm)


def underline(x: float, y: float, length: float, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A wavy line under some printed text (a stray mark)."""
    n = max(3, int(length / 4))
    xs = np.linspace(x, x + length, n)
    ys = y + rng.uniform(-0.4, 0.4, n)
    return [_stroke(np.column_stack([xs, ys]), width_mm, rng)]


def dash(x: float, y: float, width_mm: float, rng: np.random.Generator) -> list[Stroke]:
    """A short line, as when testing a pen in the margin (a stray mark)."""
    length = rng.uniform(2.0, 6.0)
    angle = rng.uniform(-0.6, 0.6)
    p1 = (x + length * math.cos(angle), y + length * math.sin(angle))
    return [_stroke([(x, y), ((x + p1[0]) / 2, (y + p1[1]) / 2 + rng.uniform(-0.5, 0.5)), p1], width_mm, rng)]


# --- rasterising and stamping -----------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """An ink patch: alpha (0 to 1) on the page's raster grid, and where it sits there.

    `to_raster` maps patch pixels to the clean page raster's pixels (a 3x3 matrix); for
    marks it is a pure translation, for handwriting it also slants and tilts the line.
    """

    alpha: np.ndarray
    to_raster: np.ndarray


def rasterise(strokes: list[Stroke], dpi: int) -> Patch | None:
    """Draw strokes anti-aliased at supersampled resolution and average them down."""
    if not strokes:
        return None
    k = px_per_mm(dpi)
    ss = max(2, int(math.ceil(SUPERSAMPLE_DPI / dpi)))
    pts = np.vstack([s.points for s in strokes]) * k - 0.5
    pad = max(float(np.max(s.widths)) for s in strokes) * k / 2 + 2
    x0, y0 = int(math.floor(pts[:, 0].min() - pad)), int(math.floor(pts[:, 1].min() - pad))
    x1, y1 = int(math.ceil(pts[:, 0].max() + pad)), int(math.ceil(pts[:, 1].max() + pad))
    canvas = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
    scale = 1 << SUBPIXEL_BITS
    for s in strokes:
        # Patch-pixel centres: raster pixel i spans supersampled pixels i*ss .. i*ss+ss-1.
        sp = ((s.points * k - 0.5 - (x0, y0)) * ss + (ss - 1) / 2) * scale
        ip = np.round(sp).astype(np.int32)
        # Widths in steps of two supersampled pixels: a third of a scan pixel or less.
        thick = np.maximum(1, 2 * np.round(s.widths * k * ss / 2)).astype(int)
        if len(ip) == 1:
            cv2.circle(canvas, tuple(ip[0]), int(thick[0] * scale // 2), 255, -1, cv2.LINE_AA, SUBPIXEL_BITS)
        # One polyline per run of equal width: pressure changes slowly along a stroke.
        breaks = (np.flatnonzero(np.diff(thick[:-1])) + 1).tolist()
        for lo, hi in zip([0, *breaks], [*breaks, len(ip) - 1]):
            cv2.polylines(canvas, [ip[lo:hi + 1]], False, 255, int(thick[lo]), cv2.LINE_AA, SUBPIXEL_BITS)
    alpha = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    return Patch(alpha, translation(x0, y0))


def translation(x: float, y: float) -> np.ndarray:
    return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]], dtype=np.float64)


def add_grain(patch: Patch, grain: float, rng: np.random.Generator) -> Patch:
    """Pencil: graphite catches on the paper's tooth, so the line is speckled."""
    if grain <= 0:
        return patch
    tooth = rng.random(patch.alpha.shape, dtype=np.float32)
    return Patch(patch.alpha * (1 - grain * tooth), patch.to_raster)


def stamp(image: np.ndarray, patch: Patch | None, raster_to_image: np.ndarray, look: InkLook) -> None:
    """Lay an ink patch onto the scanned image, through the page's scan transform.

    Ink absorbs light: the paper's colour is multiplied by the ink's, in proportion to
    the ink's coverage, so ink on coloured paper stays dark and pencil stays grey.
    Done in 8-bit OpenCV arithmetic: a tenth of the time of float NumPy on a comment.
    """
    if patch is None:
        return
    m = raster_to_image @ patch.to_raster
    h, w = patch.alpha.shape
    corners = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float64) - 0.5, m)[0]
    ih, iw = image.shape[:2]
    x0, y0 = (max(0, int(math.floor(v)) - 1) for v in corners.min(axis=0))
    x1 = min(iw, int(math.ceil(corners[:, 0].max())) + 2)
    y1 = min(ih, int(math.ceil(corners[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    coverage = cv2.convertScaleAbs(patch.alpha, alpha=255 * look.opacity)
    coverage = cv2.warpPerspective(coverage, translation(-x0, -y0) @ m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    roi = image[y0:y1, x0:x1]
    b, g, r = look.bgr
    # What share of the light each channel keeps where the ink covers the paper.
    keeps = (b, g, r) if roi.ndim == 3 else (0.114 * b + 0.587 * g + 0.299 * r,)
    factors = [cv2.convertScaleAbs(coverage, alpha=-(1 - keep / 255), beta=255) for keep in keeps]
    factor = cv2.merge(factors) if roi.ndim == 3 else factors[0]
    cv2.multiply(roi, factor, dst=roi, scale=1 / 255)


# --- writing ----------------------------------------------------------------------

HANDWRITING_FONT_FILES = ("dkg.ttf", "dkgIt.ttf", "Breip.ttf", "ComicNeue-Regular.otf",
                          "ComicNeue-Light.otf", "ComicNeue-Italic.otf")
"""Fonts that pass for handwriting (Debian fonts-dkg-handwriting, fonts-breip,
fonts-comic-neue). femkeklaver is left out: its letters are hollow outlines, which no
pen makes."""
PRINT_FONT_FILE = "DejaVuSans.ttf"
SERIF_FONT_FILE = "DejaVuSerif.ttf"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


@dataclass(frozen=True)
class Hand:
    """A respondent's handwriting (or the printer's font for printed comments)."""

    font: str
    """File name of the font, looked up in the system's font folders."""
    cap_mm: float
    """Height of a capital letter."""
    slant: float = 0.0
    """Shear of the letters: x moves by this much per unit of height above the baseline."""
    jitter: float = 0.0
    """Per-letter wobble of the baseline and size, as a share of the capital height."""
    spacing: float = 1.0
    """Letter spacing relative to the font's."""

    @property
    def printed(self) -> bool:
        return self.jitter == 0.0 and self.slant == 0.0


class Fonts:
    """Finds font files and keeps loaded fonts; one per process, never shared state."""

    def __init__(self) -> None:
        self._paths: dict[str, Path | None] = {}
        self._fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
        self._caps: dict[str, float] = {}
        self._advances: dict[tuple[str, int, str], float] = {}
        self._glyphs: dict[tuple[str, int, str], tuple[np.ndarray, int, int]] = {}

    def path(self, name: str) -> Path | None:
        if name not in self._paths:
            found = None
            for folder in FONT_DIRS:
                if folder.is_dir():
                    found = next(iter(sorted(folder.rglob(name))), None)
                    if found:
                        break
            self._paths[name] = found
        return self._paths[name]

    def handwriting(self) -> list[str]:
        """The handwriting fonts installed here (the print font when none is)."""
        names = [n for n in HANDWRITING_FONT_FILES if self.path(n)]
        return names or [PRINT_FONT_FILE]

    def font(self, name: str, size_px: int) -> ImageFont.FreeTypeFont:
        key = (name, size_px)
        if key not in self._fonts:
            path = self.path(name)
            self._fonts[key] = (ImageFont.truetype(str(path), size_px) if path
                                else ImageFont.load_default(size_px))
        return self._fonts[key]

    def advance(self, name: str, size_px: int, char: str) -> float:
        """How far the pen moves after `char` in pixels (kerning ignored, as in writing)."""
        key = (name, size_px, char)
        if key not in self._advances:
            self._advances[key] = self.font(name, size_px).getlength(char)
        return self._advances[key]

    def glyph(self, name: str, size_px: int, char: str) -> tuple[np.ndarray, int, int]:
        """A letter's coverage mask and where its top-left sits from the baseline origin.

        Letters are drawn once per font and size and then copied: setting handwriting
        letter by letter through PIL costs ten times more.
        """
        key = (name, size_px, char)
        if key not in self._glyphs:
            font = self.font(name, size_px)
            left, top, right, bottom = font.getbbox(char, anchor="ls")
            w, h = max(1, right - left), max(1, bottom - top)
            image = Image.new("L", (w, h), 0)
            ImageDraw.Draw(image).text((-left, -top), char, font=font, fill=255, anchor="ls")
            self._glyphs[key] = (np.asarray(image), int(left), int(top))
        return self._glyphs[key]

    def cap_ratio(self, name: str) -> float:
        """Capital height per pixel of font size."""
        if name not in self._caps:
            f = self.font(name, 200)
            top, bottom = f.getbbox("H", anchor="ls")[1], f.getbbox("H", anchor="ls")[3]
            self._caps[name] = max(0.2, (bottom - top) / 200)
        return self._caps[name]

    def size_px(self, hand: Hand, px_per_mm_: float) -> int:
        return max(4, int(round(hand.cap_mm * px_per_mm_ / self.cap_ratio(hand.font))))

    def width_mm(self, text: str, hand: Hand) -> float:
        """Width of a line of `text` in `hand`, with room for the widest word spacing."""
        k = 20.0
        size = self.size_px(hand, k)
        font = self.font(hand.font, size)
        if hand.printed:
            return font.getlength(text) / k
        letters = font.getlength(text.replace(" ", ""))
        spaces = self.advance(hand.font, size, " ") * text.count(" ") * 1.4
        return (letters * hand.spacing + spaces) / k


def _put(canvas: np.ndarray, glyph: tuple[np.ndarray, int, int], x: float, y: float) -> None:
    """Ink a glyph with its origin (left end of the baseline) at x, y; overlaps add up as ink does not: max."""
    mask, ox, oy = glyph
    gx, gy = int(round(x)) + ox, int(round(y)) + oy
    h, w = mask.shape
    x0, y0 = max(gx, 0), max(gy, 0)
    x1, y1 = min(gx + w, canvas.shape[1]), min(gy + h, canvas.shape[0])
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, mask[y0 - gy: y1 - gy, x0 - gx: x1 - gx], out=region)


def write_line(text: str, hand: Hand, x_mm: float, baseline_mm: float, dpi: int, fonts: Fonts,
               rng: np.random.Generator, tilt_deg: float = 0.0) -> tuple[Patch, float]:
    """One line of writing, its baseline starting at (x_mm, baseline_mm) on the page.

    Handwriting is set letter by letter with a wobbling baseline and size and uneven
    word spaces, then slanted and tilted as a whole; print is set as the font says.
    Returns the ink and the line's length in mm.
    """
    k = px_per_mm(dpi)
    size = fonts.size_px(hand, k)
    cap_px = hand.cap_mm * k
    pad = int(cap_px * 1.2) + 4
    width = int(fonts.width_mm(text, hand) * k * 1.05) + 2 * pad
    height = int(cap_px * 3.2) + 2 * pad
    base_y = pad + cap_px * 1.7
    if hand.printed:
        image = Image.new("L", (width, height), 0)
        ImageDraw.Draw(image).text((pad, base_y), text, font=fonts.font(hand.font, size), fill=255, anchor="ls")
        canvas = np.asarray(image)
        x = pad + fonts.font(hand.font, size).getlength(text)
    else:
        canvas = np.zeros((height, width), np.uint8)
        x = float(pad)
        for ch in text:
            if ch == " ":
                x += fonts.advance(hand.font, size, " ") * rng.uniform(0.9, 1.4)
                continue
            s = max(4, int(round(size * (1 + rng.normal(0, hand.jitter * 0.6)))))
            dy = rng.normal(0, hand.jitter) * cap_px
            _put(canvas, fonts.glyph(hand.font, s, ch), x, base_y + dy)
            x += fonts.advance(hand.font, s, ch) * hand.spacing
    alpha = canvas.astype(np.float32) / 255
    # patch px -> page raster px: move the baseline origin to the page point, tilt, slant.
    t = math.radians(tilt_deg)
    slant = np.array([[1, -hand.slant, hand.slant * base_y], [0, 1, 0], [0, 0, 1]])
    rotate = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    to_origin = translation(-pad, -base_y)
    to_page = translation(x_mm * k - 0.5, baseline_mm * k - 0.5)
    return Patch(alpha, to_page @ rotate @ to_origin @ slant), (x - pad) / k
