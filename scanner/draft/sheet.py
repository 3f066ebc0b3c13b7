"""The sheet in a phone photo of a blank: found against the table it lies on, then
warped flat onto an A4 page, so that the draft reads it as it reads a scan.

A photo shows the sheet in perspective with the table around it. On the photo shrunk
and with its print closed away, the table is what is reached from the photo's edges
(those not paper) without crossing a sharp step or leaving the table's colour; the
sheet is the largest region left, and its outline gives four rough corners. Each side
is then fitted to the paper's edge, in the photo's colour image measured along the line
from the table's colour to the paper's (a grey table is as dark as yellow paper in dim
light, not as yellow): the steepest fall from paper to table across the side, steep for
the fall there (a side in dim light is much nearer the table's colour than the page's
middle), at samples along its middle; a robust line through them, twice, and the corners
where the lines meet. The quadrilateral is warped onto 210 x 297 mm (A4, portrait or
landscape as the sheet lies), and the light evened out (a phone's lamp or window leaves
one side of the page far darker than the other).

A picture with no table around the sheet (a scan, or a photo the paper fills) is left
to `scanner.draft.image` as it is. A photo in which the table shows but no sheet with
four clear, straight edges can be found, or whose sheet is not A4-shaped, is refused
with its file and page named: a template drafted from a skewed sheet would put every
box in the wrong place.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from scanner.errors import InputFileError

A4_MM = (210.0, 297.0)
COARSE_PX = 600
"""The sheet is first looked for on the photo shrunk to this long side (0.5 mm a pixel)."""
EDGE_RING = 0.02
"""Share of the photo's size along its edges where the table is sampled."""
TABLE_DISTANCE = 0.25
"""A pixel is not the table when its colour is further from the table's than this share
of the distance from the table's colour to the paper's (and at least MIN_DISTANCE)."""
MIN_DISTANCE = 10.0
MIN_SHEET_SHARE = 0.25
"""The sheet covers at least this share of the photo."""
SIDE_SPAN = (0.15, 0.85)
"""Each side's edge is measured along this part of it: the corners are where the light is
dimmest (a dim corner can look like a white table) and where the sheet may curl."""
SIDE_SAMPLES = 60
PRINT_MM = 1.5
"""Print thinner than this (text, rules, box outlines) is closed away before the edge is measured."""
SEARCH_MM = (15.0, 3.0)
"""The paper's edge is looked for this far either side of where the coarse outline puts it
(a dim corner taken for the table can move a coarse corner by a centimetre), then this far
from the first fit. With the print closed away, nothing else steps so near the paper's edge."""
MIN_STEP = 3.0
STEP_SHARE = 0.1
"""The paper's edge falls at least this share of the way from the paper's colour to the
table's in a pixel (and at least MIN_STEP levels): the smoothed table and paper are
flatter. The way is measured across the edge where it is sampled, not from the middle of
the page: uneven light leaves a dim side of the sheet far nearer the table's colour."""
SIDE_FOUND_SHARE = 0.4
"""A side is found when this share of its samples show a step on one straight line."""
MIN_SIDE_SEEN = 0.25
"""Each side's edge is measured when at least this share of the part sampled is in the photo."""
CUT_MM = 5.0
"""A corner may lie this far out of the photo: forms print nothing so near the paper's edge."""
LINE_FIT_PX = 1.5
"""Samples further than this from the side's line are not on the paper's edge."""
A4_ASPECT_TOLERANCE = 0.07
"""The sheet's long side over its short (the mean of each pair of opposite sides) is within
this share of A4's (1.414): a US Letter sheet is 8.5 % squarer, A5 is A4's shape."""
EDGE_BLANK_MM = 1.5
"""Paper left white along the warped page's edges: a sliver of table there would draft as
a frame round the page."""
LIGHT_KERNEL_MM = 6.0
"""The paper's brightness is measured over this much: more than any stroke or tick box
is wide, so that print does not darken it."""


def sheet_corners(grey: np.ndarray, colour: np.ndarray | None = None, colour_scale: float = 1.0) -> np.ndarray | None:
    """The sheet's four corners in a photo, in pixels of `grey` (top-left, top-right,
    bottom-right, bottom-left), or None when the photo shows no table around the page.

    Args:
        grey: the photo in grey, at full resolution.
        colour: the photo in colour (BGR), when it was taken in colour: a grey table can
            be as bright as yellow paper in dim light, not as yellow.
        colour_scale: the colour image's pixels per pixel of `grey` (exactly: the size it
            was reduced by, not the ratio of the rounded sizes).

    Raises:
        ValueError: the table shows, but no sheet with four straight edges is found.
    """
    seen = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR) if colour is None else colour
    factor = COARSE_PX / max(seen.shape[:2])
    small = cv2.resize(seen, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA).astype(np.float32)
    small = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))  # the print closed away
    colours = _table_and_paper(small)
    if colours is None:
        return None
    table, paper = colours
    coarse = _coarse_quad(_not_table(small, table, paper))
    if coarse is None:
        raise ValueError("the table shows around the page but no sheet was found on it")
    work = grey if colour is None else colour
    signal = _paperness(work, table, paper)
    px_per_mm = max(work.shape[:2]) / A4_MM[1]  # near enough for a search window
    # The print and the thin shadow at the paper's edge closed away: only the paper's edge steps.
    close = cv2.getStructuringElement(cv2.MORPH_RECT, (round(PRINT_MM * px_per_mm) | 1,) * 2)
    clean = cv2.GaussianBlur(cv2.morphologyEx(signal, cv2.MORPH_CLOSE, close), (0, 0), 1.0)
    corners = _refined(clean, _rescaled(coarse, 1 / factor), px_per_mm, float(np.linalg.norm(paper - table)))
    return corners if colour is None else _rescaled(corners, 1 / colour_scale)


def _rescaled(points: np.ndarray, ratio: float) -> np.ndarray:
    """Pixel positions in an image resized by `ratio` (pixel centres at integers)."""
    return (points + 0.5) * ratio - 0.5


def _table_and_paper(small: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The table's colour (along the photo's edges that are not paper) and the paper's
    (its brightest middle), or None when every edge is paper (a scan, or a photo the
    paper fills)."""
    h, w = small.shape[:2]
    paper = np.percentile(small[h // 4:3 * h // 4, w // 4:3 * w // 4].reshape(-1, 3), 90, axis=0)
    r = max(2, round(EDGE_RING * min(h, w)))
    edges = [small[:r].reshape(-1, 3), small[-r:].reshape(-1, 3), small[:, :r].reshape(-1, 3),
             small[:, -r:].reshape(-1, 3)]
    tables = [e for e in edges if np.linalg.norm(np.median(e, axis=0) - paper) >= 2 * MIN_DISTANCE]
    if not tables:
        return None
    return np.median(np.concatenate(tables), axis=0), paper


def _not_table(small: np.ndarray, table: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """1 where a pixel is not the table: the table is what is reached from the photo's
    edges without crossing a sharp step and without leaving the table's colour. The steps
    keep a dim corner of the page, as dark as a pale table, off the table."""
    distance = np.linalg.norm(small - table, axis=2)
    contrast = float(np.linalg.norm(paper - table))
    signal = cv2.GaussianBlur(_paperness(small, table, paper), (0, 0), 1.0)
    step = cv2.magnitude(cv2.Sobel(signal, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(signal, cv2.CV_32F, 0, 1, ksize=3)) / 8
    passable = (distance <= max(MIN_DISTANCE, TABLE_DISTANCE * contrast)) & (step < STEP_SHARE * contrast)
    count, labels = cv2.connectedComponents(passable.astype(np.uint8), connectivity=4)
    touching = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    table = np.isin(labels, touching[touching > 0])
    return (~table).astype(np.uint8)


def _paperness(image: np.ndarray, table: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """How far each pixel is from the table's colour towards the paper's, capped at the
    paper's: the one measure in which the paper's edge is plainest whatever the two
    colours are, and in which print (darker, or off that line) is no brighter than paper."""
    span = paper - table
    length = float(np.linalg.norm(span))
    if image.ndim == 2:  # a greyscale photo: the grey level is all there is
        signal = (image.astype(np.float32) - float(table.mean())) * np.sign(span.mean())
    else:
        signal = (image.astype(np.float32) - table.astype(np.float32)) @ (span / length).astype(np.float32)
    return np.minimum(signal, length).astype(np.float32)


def _coarse_quad(not_table: np.ndarray) -> np.ndarray | None:
    """The corners of the largest region that is not the table, or None when it is too
    small: its outline as four corners, else (a corner in dim light taken for the table
    has bitten its outline) the smallest rectangle round it."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(not_table, connectivity=4)
    if count < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[k, cv2.CC_STAT_AREA] < MIN_SHEET_SHARE * not_table.size:
        return None
    hull = cv2.convexHull(cv2.findNonZero((labels == k).astype(np.uint8)))
    outline = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float64)
    corners = outline if len(outline) == 4 else cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float64)
    s, d = corners.sum(axis=1), corners[:, 0] - corners[:, 1]
    return np.array([corners[np.argmin(s)], corners[np.argmax(d)], corners[np.argmax(s)], corners[np.argmin(d)]])


def _refined(signal: np.ndarray, coarse: np.ndarray, px_per_mm: float, contrast: float) -> np.ndarray:
    """The corners where the four sides' lines, fitted to the paper's edge, meet."""
    corners = coarse
    for reach_mm in SEARCH_MM:
        lines = []
        for k in range(4):
            line = _side_line(signal, corners[k], corners[(k + 1) % 4], corners.mean(axis=0), reach_mm * px_per_mm,
                              contrast)
            if line is None:
                raise ValueError(f"the sheet's {('top', 'right', 'bottom', 'left')[k]} edge is not one straight "
                                 "line (out of the photo, folded or in shadow?)")
            lines.append(line)
        corners = np.array([_meet(lines[k - 1], lines[k]) for k in range(4)])
        if not np.all(np.isfinite(corners)) or not cv2.isContourConvex(corners.astype(np.float32)):
            raise ValueError("the sheet's edges do not make a quadrilateral")
    h, w = signal.shape[:2]
    out = np.maximum(np.maximum(-0.5 - corners, corners - [w - 0.5, h - 0.5]), 0).max(axis=1)
    if out.max() > CUT_MM * px_per_mm:
        corner = ("top-left", "top-right", "bottom-right", "bottom-left")[int(np.argmax(out))]
        raise ValueError(f"the sheet's {corner} corner is {out.max() / px_per_mm:.0f} mm out of the photo")
    return corners


def _side_line(signal: np.ndarray, a: np.ndarray, b: np.ndarray, centre: np.ndarray,
               reach: float, contrast: float) -> tuple[np.ndarray, np.ndarray] | None:
    """A point on the paper's edge between corners a and b and its direction: the edge
    across the side (`_edge_in`) at samples along its middle, with a line through them."""
    direction = (b - a) / np.linalg.norm(b - a)
    normal = np.array([-direction[1], direction[0]])
    if np.dot(centre - a, normal) > 0:
        normal = -normal  # pointing out of the sheet
    offsets = np.arange(-reach, reach + 0.5, 0.5)
    found, sampled = [], 0
    h, w = signal.shape[:2]
    for t in np.linspace(*SIDE_SPAN, SIDE_SAMPLES):
        along = a + t * (b - a)
        path = along + offsets[:, None] * normal
        profile = cv2.remap(signal, path[:, 0:1].astype(np.float32), path[:, 1:2].astype(np.float32),
                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[:, 0]
        k = _edge_in(profile, contrast)
        if k is not None:
            found.append(along + (offsets[k] + 0.25) * normal)
        elif not (0 <= path[-1, 0] <= w - 1 and 0 <= path[-1, 1] <= h - 1):
            continue  # the paper runs out of the photo here: this part of its edge is not seen
        sampled += 1
    if sampled < MIN_SIDE_SEEN * SIDE_SAMPLES or len(found) < SIDE_FOUND_SHARE * sampled:
        return None
    points = np.array(found, np.float32)
    for _ in range(2):  # refit on the samples near the line: a speck or a shadow is not the edge
        vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        distance = np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx)
        near = points[distance <= LINE_FIT_PX]
        if len(near) < SIDE_FOUND_SHARE * sampled:
            return None
        points = near
    vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)


def _edge_in(profile: np.ndarray, contrast: float) -> int | None:
    """Where the paper's edge lies in a profile sampled every half pixel out of the sheet
    (between samples k and k + 1), or None: the steepest fall from the paper's colour
    towards the table's, steep for the fall across it there."""
    fall = -np.diff(profile) / 0.5
    k = int(np.argmax(fall))
    across = min(contrast, float(profile[:k + 1].max() - profile[k + 1:].min()))
    return k if fall[k] >= max(MIN_STEP, STEP_SHARE * across) else None


def _meet(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    (p, u), (q, v) = first, second
    cross = u[0] * v[1] - u[1] * v[0]
    if abs(cross) < 1e-6:
        return np.array([np.nan, np.nan])
    t = ((q[0] - p[0]) * v[1] - (q[1] - p[1]) * v[0]) / cross
    return p + t * u


def sheet_size_mm(corners: np.ndarray) -> tuple[float, float]:
    """A4, portrait or landscape as the sheet lies in the photo.

    Raises:
        ValueError: the sheet's shape is not A4's.
    """
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    across, down = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    aspect = max(across, down) / min(across, down)
    if abs(aspect / math.sqrt(2) - 1) > A4_ASPECT_TOLERANCE:
        raise ValueError(f"the sheet found is 1 : {aspect:.2f} in shape, and only A4 sheets (1 : 1.41) are drafted "
                         "from a photo")
    return A4_MM if down >= across else A4_MM[::-1]


def flat_sheet(photo_grey: np.ndarray, corners: np.ndarray, size_mm: tuple[float, float],
               px_per_mm: float) -> np.ndarray:
    """The sheet warped onto its page at `px_per_mm`, its light evened out and its edges
    left white."""
    w, h = (round(v * px_per_mm) for v in size_mm)
    page = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), page)
    flat = cv2.warpPerspective(photo_grey, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    flat = _even_light(flat, px_per_mm)
    edge = max(1, round(EDGE_BLANK_MM * px_per_mm))
    flat[:edge], flat[-edge:], flat[:, :edge], flat[:, -edge:] = 255, 255, 255, 255
    return flat


def _even_light(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The page divided by its paper's brightness (the brightest nearby, smoothed): white
    paper everywhere, the print as dark against it as it was."""
    size = max(3, round(LIGHT_KERNEL_MM * px_per_mm) | 1)
    shrink = 4
    small = cv2.resize(grey, None, fx=1 / shrink, fy=1 / shrink, interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, size // shrink | 1),) * 2)
    paper = cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), size / shrink)
    paper = cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(grey.astype(np.float32) * 255 / np.maximum(paper, 1), 0, 255).astype(np.uint8)


def photographed_page(grey: np.ndarray, colour: np.ndarray | None, colour_scale: float, source: str, page: int,
                      px_per_mm: float) -> np.ndarray | None:
    """The sheet in a photo flattened onto its A4 page at `px_per_mm`; None when the
    picture shows no table around the page (a scan, or a photo the paper fills).

    Args:
        grey: the picture in grey, at full resolution.
        colour: the picture in colour (BGR), or None for a greyscale one.
        colour_scale: the colour image's pixels per pixel of `grey`.
        source, page: the file and page number, for the error.

    Raises:
        InputFileError: the table shows but no A4 sheet with four straight edges is found.
    """
    try:
        corners = sheet_corners(grey, colour, colour_scale)
        if corners is None:
            return None
        size_mm = sheet_size_mm(corners)
    except ValueError as problem:
        raise InputFileError(source, f"is a photo in which {problem}: photograph the whole sheet flat on a plain, "
                                     "darker table, or scan it", page) from None
    return flat_sheet(grey, corners, size_mm, px_per_mm)
