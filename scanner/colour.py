"""Colour: the paper's colour, measured on paper pixels, and the programme it codes.

Pages measure (`measure_paper`); sheets decide (`classify`), from the median over their
pages, since a questionnaire is printed on one paper. Classification compares CIELAB
chroma (a*, b*) only, so exposure and uneven light do not matter, and it gives no silent
guess: a greyscale scan, or a paper far from every reference or between two of them,
comes back undecided with the reason.
"""

from __future__ import annotations

import functools
import math
import statistics
from dataclasses import dataclass, field
from enum import Enum

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform, resized
from scanner.template import Template

PAPER_PX_PER_MM = 1.0
"""Paper colour needs no detail: a coarse picture of the page is plenty and cheap."""
TAPS_INSIDE_PX = 1.5
"""A box this far inside the picture has every pixel of its crop resampled from inside
it (bilinear taps, a pixel apart): no need to draw which are."""


class ColourReason(str, Enum):
    GREYSCALE = "greyscale scan: the paper colour cannot be told"
    UNKNOWN = "the paper colour matches none of the template's colours"
    BETWEEN = "the paper colour lies between two of the template's colours"
    PAGES_DIFFER = "the pages of this questionnaire are on different paper colours"
    NO_COLOURS = "the template defines no paper colours"


@dataclass(frozen=True)
class PaperSample:
    """One page's paper colour (RGB, 0-255), or None for a greyscale scan."""

    rgb: tuple[float, float, float] | None
    nearest: str | None = field(default=None, compare=False)
    """The template colour nearest it, told by the worker that measured it: a sheet's
    decision then counts its pages' votes without working out each page's colour in the
    parent, the survey's one writer (`classify`). None when not told: a reading from
    the store (not kept there), a sample made by hand."""


@dataclass(frozen=True)
class ColourDecision:
    colour: str | None
    programme: str | None
    confidence: float
    reason: ColourReason | None
    rgb: tuple[float, float, float] | None


def measure_paper(colour: np.ndarray | None, scale: float, template: Template,
                  transform: PageTransform) -> PaperSample:
    """The median colour of the page's paper pixels (ink, markers and margins left out).

    `colour` is the page in colour at `scale` times the size `transform` maps to (None for
    a greyscale scan).
    """
    if colour is None:
        return PaperSample(None)
    w, h = template.page_size_mm
    inset = template.registration.marker_inset_mm + template.registration.marker_size_mm
    small = PageTransform.from_array(resized(scale) @ transform.array)
    box = (inset, inset, w - 2 * inset, h - 2 * inset)
    crop = small.crop(colour, box, PAPER_PX_PER_MM, border_value=(0, 0, 0))
    whole = small.in_picture(box, colour.shape, inset_px=TAPS_INSIDE_PX)
    rgb = paper_rgb(crop.reshape(-1, 3) if whole else crop[_inside(small, box, colour.shape)])
    return PaperSample(rgb, _nearest(rgb, _references(template))[0] if template.colours else None)


_GREYS = np.arange(3 * 255 + 1, dtype=np.float32) / np.float32(3)
"""The grey (the channels' mean, in float32) of each sum of a pixel's three channels."""


def paper_rgb(pixels: np.ndarray) -> tuple[float, float, float]:
    """The median colour (RGB) of the paper among `pixels` ((n, 3) BGR, uint8): of the
    pixels whose grey reaches its 40th percentile, each channel's median.

    Paper is most of a form's area and its brightest part: ink and shadow are darker.
    Worked out from counts of the pixels' 766 channel sums and of each channel's 256
    levels, not from sorting the pixels: the very numbers numpy's percentile and median
    give on the pixels as floats (a percentile depends on the values, not their order,
    and a median of whole levels is one or the mean of two), in a third of the time."""
    sums = pixels[:, 0].astype(np.intp) + pixels[:, 1] + pixels[:, 2]
    greys = np.repeat(_GREYS, np.bincount(sums, minlength=len(_GREYS)))
    # A weight of 1 for each paper pixel: counting with weights spares gathering them.
    paper = (_GREYS >= np.percentile(greys, 40)).astype(np.float64)[sums]
    b, g, r = (_median_level(np.bincount(pixels[:, c], weights=paper, minlength=256)) for c in range(3))
    return r, g, b


def _median_level(counts: np.ndarray) -> float:
    """The median of values given as counts of each whole level (numpy's: the middle
    value, or the mean of the middle two)."""
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])
    low, high = np.searchsorted(cumulative, [(n - 1) // 2, n // 2], side="right")
    return (int(low) + int(high)) / 2


def _inside(transform: PageTransform, box: tuple, shape: tuple) -> np.ndarray:
    """Which pixels of the box's crop come from inside the picture: a phone photo may leave
    part of the page out of it, and what is not in the image is no paper (a border of any
    colour would be measured as one)."""
    return transform.crop(np.full(shape[:2], 255, np.uint8), box, PAPER_PX_PER_MM, border_value=0) == 255


def lab_of(rgb: tuple[float, float, float]) -> np.ndarray:
    """CIELAB (L*, a*, b*) of an RGB colour given 0-255."""
    bgr = np.array([[[rgb[2], rgb[1], rgb[0]]]], dtype=np.float32) / 255.0
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)[0, 0].astype(np.float64)


def _ab(rgb: tuple[float, float, float]) -> np.ndarray:
    return lab_of(rgb)[1:]


def classify(samples: list[PaperSample], template: Template) -> ColourDecision:
    """The template colour of a sheet's paper, or an undecided answer with the reason."""
    seen = [s for s in samples if s.rgb is not None]
    rgbs = [s.rgb for s in seen]
    if not template.colours:
        return ColourDecision(None, None, 0.0, ColourReason.NO_COLOURS, None)
    if not rgbs:
        return ColourDecision(None, None, 0.0, ColourReason.GREYSCALE, None)
    # Each channel's median, as numpy's: the middle value, or the mean of the two (bit for bit).
    median = tuple(float(statistics.median(channel)) for channel in zip(*rgbs))
    references = _references(template)
    name, d1, d2 = _nearest(median, references)
    confidence = float((d2 - d1) / (d2 + d1)) if d2 + d1 > 0 else 0.0
    # One page off (a phone photo's light, a page from another ream) is outvoted; a
    # questionnaire whose pages really are on two papers is not.
    agreeing = sum((s.nearest or _nearest(s.rgb, references)[0]) == name for s in seen)
    reason = None
    if agreeing < T.COLOUR_PAGES_AGREE * len(rgbs):
        reason = ColourReason.PAGES_DIFFER
    elif d1 > T.COLOUR_MAX_DISTANCE:
        reason = ColourReason.UNKNOWN
    elif confidence < T.COLOUR_MIN_MARGIN:
        reason = ColourReason.BETWEEN
    if reason is not None:
        return ColourDecision(None, None, confidence, reason, median)
    colour = template.colour(name)
    return ColourDecision(name, colour.programme, confidence, None, median)


def page_colour(sample: PaperSample, template: Template) -> str | None:
    """The template colour that one page's paper clearly is on its own (near it, far from
    the runner-up: as `classify` asks of a sheet), else None (greyscale, unknown, between)."""
    if sample.rgb is None or not template.colours:
        return None
    name, d1, d2 = _nearest(sample.rgb, _references(template))
    clear = d1 <= T.COLOUR_MAX_DISTANCE and d2 + d1 > 0 and (d2 - d1) / (d2 + d1) >= T.COLOUR_MIN_MARGIN
    return name if clear else None


def clearly_not(sample: PaperSample, name: str, template: Template) -> bool:
    """Whether one page's paper is too far from the template colour `name` to be that
    paper at all (`COLOUR_MAX_DISTANCE`): not washed out or deepened by the scan (a pale
    blue page dim in its scan reads as white, yet lies near blue), but another paper."""
    if sample.rgb is None:
        return False
    reference = dict(_references(template))[name]
    return chroma_distance(_ab(sample.rgb), reference) > T.COLOUR_MAX_DISTANCE


def prepare_references(template: Template) -> None:
    """Work out the template colours' a*b* now: OpenCV's first conversion to CIELAB
    builds its tables (0.15 CPU s), which a pool's workers then share with their parent."""
    _references(template)


def _references(template: Template) -> tuple[tuple[str, np.ndarray], ...]:
    """Each template colour's name and a*b*."""
    return _references_of(tuple((c.name, c.rgb) for c in template.colours))


@functools.lru_cache(maxsize=64)
def _references_of(colours: tuple[tuple[str, tuple[int, int, int]], ...]) -> tuple[tuple[str, np.ndarray], ...]:
    return tuple((name, _ab(rgb)) for name, rgb in colours)


def chroma_distance(ab: np.ndarray, reference: np.ndarray) -> float:
    """Chroma distance in which being paler or deeper than the reference counts half as
    much as a different hue: scans wash out or deepen a paper's colour (exposure, JPEG,
    ream), but do not turn blue into green."""
    # Two numbers each, in Python's floats: numpy's calls cost four times the arithmetic,
    # and the calibration asks thousands of times a scan. The same sums and products in the
    # same order as numpy's norm and dot of two: the same distances to rounding (tested;
    # numpy's dot may fuse a multiply and an add on one CPU and not on another).
    a, b = float(ab[0]), float(ab[1])
    ra, rb = float(reference[0]), float(reference[1])
    da, db = a - ra, b - rb
    norm = math.sqrt(ra * ra + rb * rb)
    if norm < 1e-6:
        return math.sqrt(da * da + db * db)
    radial = (da * ra + db * rb) / norm
    ta, tb = da - radial * ra / norm, db - radial * rb / norm
    return float(np.hypot(T.COLOUR_RADIAL_WEIGHT * radial, math.sqrt(ta * ta + tb * tb)))


def _nearest(rgb: tuple[float, float, float],
             references: tuple[tuple[str, np.ndarray], ...]) -> tuple[str, float, float]:
    """The nearest template colour of `references` (each name and a*b*), its distance and
    the runner-up's (a*b* units)."""
    ab = _ab(rgb)
    distances = sorted((chroma_distance(ab, reference), name) for name, reference in references)
    # With one colour only, the margin is measured against the unknown-colour limit.
    second = distances[1][0] if len(distances) > 1 else 2 * T.COLOUR_MAX_DISTANCE
    return distances[0][1], distances[0][0], second
