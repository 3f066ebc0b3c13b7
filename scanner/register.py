"""Register: find the page transform from the corner markers, else from the page's content.

Each corner marker's id says which page of the form it is on and which corner it is
(`render.marker_ids`), so the detected corners pair with template points by id, and
rotation, upside-down, skew, scale and a phone photo's perspective all fall out of one
homography. When markers are hidden (stapled, torn, inked over) the page is matched to
the blank form's rendering by its printed content instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform, mm_to_pixels, resized
from scanner.marks import box_crop, darkness
from scanner.render import marker_boxes, page_raster
from scanner.template import Template

log = logging.getLogger(__name__)


class Method(str, Enum):
    MARKERS = "markers"
    PARTIAL_MARKERS = "partial-markers"
    CONTENT = "content"


@dataclass(frozen=True)
class Registration:
    """Where the template page lies in the image, and how sure that is."""

    page: int
    transform: PageTransform
    method: Method
    markers_found: int
    residual_mm: float
    """Root-mean-square distance between the detected points and the fitted model."""
    check: Check | None = None
    """How well the transform lands the page's own printed frames (`Registrar.verify`)."""
    inliers: int = 0
    """By content: the features matched to the page that the homography holds."""
    runner_up: tuple[int, int] | None = None
    """By content: the next best page of the form and its count of such features."""
    marker_points: tuple[np.ndarray, np.ndarray] | None = None
    """The corners of the markers seen, four a marker in ArUco's order: (4k, 2) in template
    mm, and where seen, full-resolution px; None when none was. `Registrar.refine` fits
    their centres with the frames."""

    @property
    def aligned(self) -> bool:
        """Whether the page's print is where the transform says: what is read can be trusted."""
        return self.check is not None and self.check.verified


@dataclass(frozen=True)
class Check:
    """The printed frames (tick boxes, comment zones' corners) seen through a transform:
    how far each lies from where the transform puts it, in template mm."""

    at_mm: np.ndarray
    """(n, 2) the template point each frame pins."""
    offsets: np.ndarray
    """(n, 2) where each frame was seen minus where it was expected, mm; NaN where unseen."""
    owners: tuple[str, ...]
    """The item or comment each frame belongs to."""
    inked: np.ndarray | None = None
    """(n,) True where a frame that fails (`failing`) lies under ink (`frames_inked`):
    hidden, not missing; None before it is looked at (`Registrar.refine`)."""
    box_crops: dict[tuple, np.ndarray] | None = None
    """Each tick box's crop through the transform as the marks read it (`marks.box_crop`),
    by box: the frames were measured on them, and the marks measure them without a warp
    of their own. None when not made (a check built by hand)."""

    @functools.cached_property
    def seen(self) -> np.ndarray:
        """(n,) Each frame seen. Worked out once, as `failing` is: verifying, refining and
        reporting a page ask for them some fifty times."""
        return _read_only(~np.isnan(self.offsets).any(axis=1))

    @property
    def expected(self) -> int:
        return len(self.owners)

    @property
    def points(self) -> int:
        return int(self.seen.sum())

    @property
    def median_mm(self) -> float:
        return float(np.median(self._distances())) if self.points else float("inf")

    @functools.cached_property
    def p90_mm(self) -> float:
        """Worked out once: refining, verifying and reporting a page ask for it a dozen
        times, at 0.2 ms each (numpy's percentile)."""
        return float(np.percentile(self._distances(), 90)) if self.points else float("inf")

    @property
    def verified(self) -> bool:
        enough = max(min(T.VERIFY_MIN_POINTS, self.expected), T.VERIFY_MIN_SHARE * self.expected)
        return self.points > 0 and self.points >= enough and self.p90_mm <= T.VERIFY_P90_MM

    @property
    def seen_off(self) -> bool:
        """Whether a frame was seen more than VERIFY_ITEM_MM off: with p90 tight, a
        page bent at a few far frames, or a frame truly moved."""
        return bool((self._distances() > T.VERIFY_ITEM_MM).any())

    @functools.cached_property
    def failing(self) -> np.ndarray:
        """(n,) Each frame that leaves its item or comment unlocated: seen off by more than
        VERIFY_ITEM_MM, or not seen where none of its owner's frames is."""
        owners, distance = np.array(self.owners), np.hypot(*self.offsets.T)
        failing = distance > T.VERIFY_ITEM_MM
        for owner in dict.fromkeys(self.owners):
            mine = owners == owner
            if not self.seen[mine].any():
                failing |= mine
        return _read_only(failing)

    def unlocated(self) -> tuple[str, ...]:
        """Items and comments none of whose frames was seen, or one seen off by more than
        VERIFY_ITEM_MM: on a page verified as a whole, a local curl or fold may still move
        them. Not those whose failing frames all lie under ink (`inked_over`)."""
        return self._owners(self.failing & ~self._inked())

    def inked_over(self) -> tuple[str, ...]:
        """Items and comments located but for frames hidden under ink (a box inked out,
        writing along or across a zone's line): the page is aligned, their place unchecked."""
        unlocated = self.unlocated()
        return tuple(owner for owner in self._owners(self.failing) if owner not in unlocated)

    def _inked(self) -> np.ndarray:
        return np.zeros(self.expected, bool) if self.inked is None else self.inked

    def _owners(self, frames: np.ndarray) -> tuple[str, ...]:
        return tuple(dict.fromkeys(owner for owner, f in zip(self.owners, frames) if f))

    def _distances(self) -> np.ndarray:
        return np.hypot(*self.offsets[self.seen].T)


def held_by_markers(reg: Registration | None) -> bool:
    """Whether the markers seen fix the page: two or more, fitted within MAX_RESIDUAL_MM.
    Else the page is registered by its content, matched first to the form page the
    markers seen name (`PageReader._by_content`)."""
    return reg is not None and reg.markers_found >= 2 and reg.residual_mm <= T.MAX_RESIDUAL_MM


def _read_only(array: np.ndarray) -> np.ndarray:
    """`array`, kept by a frozen object: no caller may change what every caller reads."""
    array.flags.writeable = False
    return array


def _frames_fit(at: np.ndarray, seen_at: np.ndarray) -> np.ndarray | None:
    """The homography from where frames should be to where they were seen (mm), ignoring
    those seen off the rest's fit (a tick along a side).

    RANSAC fits four frames at a time and stops once a fit holds most of the others: on a
    page whose frames cluster in one part (a word form's tick boxes in the middle, a
    comment box reaching out to the margin), four of the cluster extrapolate their own
    noise to the far frames, which are then dropped as off, and the page is left bent
    there. When one least-squares fit through every frame seen holds each of them within
    VERIFY_TIGHT_MM, none is off, and that fit is taken; so it is when it holds so each
    frame RANSAC leaves out, its misfit lying at frames RANSAC keeps (a box measured
    0.21 mm off through its tick, seeds 268132716 and 924773771: RANSAC dropped the comment
    box's two far corners, which it held within 0.11 mm, and bent the page 0.7 mm there).
    A frame seen off its print (a zone printed 0.6 mm or more elsewhere) keeps the fit from
    holding it (0.24-0.73 mm at the zone's corners), and RANSAC leaves it out, searching
    until a fit holding more frames is unlikely to be missed (VERIFY_RANSAC_CONFIDENCE):
    stopped at its default, it took a fit bent toward such a zone that held fewer."""
    every = cv2.findHomography(at, seen_at, 0)[0]
    misfit = None if every is None else _misfit(every, at, seen_at)
    if misfit is not None and misfit.max() <= T.VERIFY_TIGHT_MM:
        return every
    robust = cv2.findHomography(at, seen_at, cv2.RANSAC, T.VERIFY_RANSAC_MM, maxIters=T.VERIFY_RANSAC_MAX_SAMPLES,
                                confidence=T.VERIFY_RANSAC_CONFIDENCE)[0]
    if misfit is None or robust is None:
        return robust
    left_out = _misfit(robust, at, seen_at) > T.VERIFY_RANSAC_MM
    return every if left_out.any() and (misfit[left_out] <= T.VERIFY_TIGHT_MM).all() else robust


def _marker_centres(reg: Registration) -> tuple[np.ndarray, np.ndarray]:
    """The centres of the markers seen, (n, 2) in template mm, and where `reg`'s transform
    puts what was seen of them, mm; (0, 2) each when none was. The frames alone pin the
    page only where items are: a phone photo's perspective fitted on frames in its upper
    part missed its footer by 1.5 mm (seed 1769220999, batch-016 page 63), where the two
    markers seen below held it. A marker's centre, not its corners: a motion blur spreads
    a marker's outline, not its middle."""
    if reg.marker_points is None:
        return np.empty((0, 2)), np.empty((0, 2))
    src, dst = reg.marker_points
    seen_at = cv2.perspectiveTransform(dst.reshape(-1, 1, 2).astype(np.float64),
                                       np.linalg.inv(reg.transform.array)).reshape(-1, 4, 2).mean(axis=1)
    return src.reshape(-1, 4, 2).mean(axis=1), seen_at


def _slips_markers(reg: Registration, transform: PageTransform) -> bool:
    """Whether `transform` puts a marker seen more than VERIFY_MARKER_SLIP_MM from where
    it was seen: a fit on repeated print (rows of boxes) slipped to the next repeat."""
    at, seen_at = _marker_centres(replace(reg, transform=transform))
    return bool(len(at)) and float(np.hypot(*(at - seen_at).T).max()) > T.VERIFY_MARKER_SLIP_MM


def _misfit(matrix: np.ndarray, at: np.ndarray, seen_at: np.ndarray) -> np.ndarray:
    """How far (mm) `matrix` takes each point from where it was seen."""
    moved = cv2.perspectiveTransform(at.reshape(-1, 1, 2).astype(np.float64), matrix).reshape(-1, 2)
    return np.hypot(*(moved - seen_at).T)


def to_grey(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _reduction(grey: np.ndarray, page_long_mm: float, px_per_mm: float) -> int:
    """The whole k by which `downscale` divides the image's size (1: not at all)."""
    return max(1, round(max(grey.shape) / (px_per_mm * page_long_mm)))


def downscale(grey: np.ndarray, page_long_mm: float, px_per_mm: float) -> tuple[np.ndarray, float]:
    """The page at about `px_per_mm`, and the factor applied.

    The factor is 1/k for a whole k, which OpenCV's area resampling does several times
    faster than an arbitrary one; never enlarges.
    """
    k = _reduction(grey, page_long_mm, px_per_mm)
    if k == 1:
        return grey, 1.0
    return cv2.resize(grey, None, fx=1 / k, fy=1 / k, interpolation=cv2.INTER_AREA), 1 / k


def averaged_down(grey: np.ndarray, transform: PageTransform, page_long_mm: float) -> tuple[np.ndarray, PageTransform]:
    """The scan area-averaged down to about twice CONTENT_PX_PER_MM (`downscale`), and its
    transform, for the print to be compared at CONTENT_PX_PER_MM. Resampled straight from
    a 300-dpi scan (12 px/mm), thin strokes fall between the pixels the warp reads, and
    small text seems missing: the word form's "Please comment" on 4 of its 96 page 1s at
    300 dpi (seeds 184240500 and 54200542), `unrecognised`. Scans under about 230 dpi
    are kept as they are."""
    small, factor = downscale(grey, page_long_mm, 2 * T.CONTENT_PX_PER_MM)
    if factor == 1.0:
        return grey, transform
    return small, PageTransform.from_array(resized(factor) @ transform.array)


def corner_windows(grey: np.ndarray, page_long_mm: float, px_per_mm: float,
                   share: float) -> tuple[list[tuple[np.ndarray, int, int]], float]:
    """The four corner windows (`share` of the width and height) of `downscale`'s image,
    each with its offset there, and the factor: the same pixels, without downscaling
    the 60% of the page between them."""
    k = _reduction(grey, page_long_mm, px_per_mm)
    height, width = grey.shape
    h, w = (round(height * (1 / k)), round(width * (1 / k))) if k > 1 else (height, width)
    wh, ww = int(h * share), int(w * share)
    windows = []
    for y0, x0 in ((0, 0), (0, w - ww), (h - wh, w - ww), (h - wh, 0)):
        # A window at the far edge takes the image's last, partial block of pixels as the
        # whole page's resampling does; starting it on an even block keeps OpenCV's
        # rounding of the size (half to even) the same too.
        ya, xa = (y0 - y0 % 2, x0 - x0 % 2) if k > 1 else (y0, x0)
        part = grey[ya * k: (y0 + wh) * k if y0 == 0 else height, xa * k: (x0 + ww) * k if x0 == 0 else width]
        if k > 1:
            part = cv2.resize(part, None, fx=1 / k, fy=1 / k, interpolation=cv2.INTER_AREA)
        windows.append((part[y0 - ya: y0 - ya + wh, x0 - xa: x0 - xa + ww], x0, y0))
    return windows, 1 / k


def _joined(before: dict[int, dict[int, np.ndarray]],
            again: dict[int, dict[int, np.ndarray]]) -> dict[int, dict[int, np.ndarray]]:
    """The markers found by a search and by a closer one, by form page and corner: the
    closer one's corners where both found a marker, and none lost that only the first
    found. On a motion-blurred 200-dpi phone photo the search at 8 px/mm (the photo's
    own pixels) found one of the three markers found at 4 (seed 1286241894, batch-012
    page 40), and the page, left with one, was lost to `unrecognised`."""
    joined = {page: dict(seen) for page, seen in before.items()}
    for page, seen in again.items():
        joined.setdefault(page, {}).update(seen)
    return joined


def _detector(template: Template) -> cv2.aruco.ArucoDetector:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, template.registration.marker_dictionary))
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    # A sheet shifted or skewed in the feeder brings a whole marker to the picture's edge:
    # ArUco's default passes over one within 3 px of it (a pixel at 4 px/mm), and with
    # the marker beside it cut off a page was left with one (seed 604575333, batch-020
    # page 19). A marker whose outline runs along the picture's outermost pixels may be
    # cut by the edge (its cells still read, its corners on the edge, not where they
    # are), so a pixel of paper must lie between.
    params.minDistanceToBorder = 1
    return cv2.aruco.ArucoDetector(dictionary, params)


def _corner_detector(template: Template) -> cv2.aruco.ArucoDetector:
    """The detector for the corner windows: the image thresholded at one scale instead of
    ArUco's three (3, 13 and 23 px), a third of the time. At MARKER_SEARCH_PX_PER_MM a
    marker's cells are several pixels wide and its border stands out at 23 px; a marker it
    misses is looked for again over the whole page with every scale (`Registrar.markers`)."""
    detector = _detector(template)
    params = detector.getDetectorParameters()
    params.adaptiveThreshWinSizeMin = params.adaptiveThreshWinSizeMax = T.MARKER_THRESHOLD_PX
    detector.setDetectorParameters(params)
    return detector


def _marker_points_mm(template: Template) -> list[np.ndarray]:
    """The four template corners of each corner marker, in ArUco's corner order."""
    return [np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]]) for x, y, s in marker_boxes(template)]


class Registrar:
    """Registers pages to one template; holds the detector and the blank-page references."""

    def __init__(self, template: Template):
        self.template = template
        self.detector = _detector(template)
        self.corner_detector = _corner_detector(template)
        self.marker_mm = _marker_points_mm(template)
        self._content: dict[tuple[int, int], tuple] = {}
        self._blanks: dict[int, np.ndarray] = {}
        self._frames: dict[int, list[FrameWindow]] = {}
        self._printed: dict[int, np.ndarray] = {}
        self._last_view: tuple[np.ndarray, PageTransform, dict] | None = None

    def markers(self, grey: np.ndarray, blank: Callable[[], bool] | None = None) -> Registration | None:
        """Registration from the corner markers, or None when fewer than two are seen.

        `blank`: whether the page is a blank back, asked only when no marker is seen at
        the search scale: then none is looked for closer (a blank page cost 100 ms more at
        300 dpi, and showed none)."""
        reg = self.markers_seen(grey, blank)
        return reg if reg is not None and reg.markers_found >= 2 else None

    def markers_seen(self, grey: np.ndarray, blank: Callable[[], bool] | None = None) -> Registration | None:
        """`markers`, and a lone marker fitted by its own four corners: too short a base to
        hold the page (`held_by_markers`), it still names the page for the content match."""
        long_mm = max(self.template.page_size_mm)
        found = self._search_corners(grey, T.MARKER_SEARCH_PX_PER_MM)
        for px_per_mm in (T.MARKER_SEARCH_PX_PER_MM, T.MARKER_RETRY_PX_PER_MM):
            if found and max(len(seen) for seen in found.values()) == 4:
                break
            if not found and px_per_mm == T.MARKER_RETRY_PX_PER_MM and blank is not None and blank():
                return None
            # A marker far from its corner (a phone photo), small, blurred or skewed: the
            # whole page, or around where those found put the rest; then closer.
            small, factor = downscale(grey, long_mm, px_per_mm)
            corners, ids = self._search_again(small, factor, found)
            found = _joined(found, self._found(corners, ids, factor))
        if not found:
            return None
        page, seen = max(found.items(), key=lambda kv: len(kv[1]))
        return self._fit_seen(page, seen)

    def _fit_seen(self, page: int, seen: dict[int, np.ndarray]) -> Registration | None:
        """`_fit` through the markers seen (by corner)."""
        src = np.concatenate([self.marker_mm[k] for k in seen])
        dst = np.concatenate([seen[k] for k in seen])
        return self._fit(page, src, dst, len(seen))

    def _search_corners(self, grey: np.ndarray, px_per_mm: float) -> dict[int, dict[int, np.ndarray]]:
        """Markers looked for only near the image's corners, where a scanner puts them: a
        quarter of the pixels, at one threshold scale."""
        windows, factor = corner_windows(grey, max(self.template.page_size_mm), px_per_mm, T.MARKER_WINDOW)
        all_corners, all_ids = [], []
        for window, x0, y0 in windows:
            corners, ids, _ = self.corner_detector.detectMarkers(window)
            if ids is not None:
                all_corners += [c + np.array([x0, y0], dtype=np.float32) for c in corners]
                all_ids += list(ids.ravel())
        return self._found(all_corners, all_ids, factor)

    def _search_again(self, small: np.ndarray, factor: float,
                      found: dict[int, dict[int, np.ndarray]]) -> tuple[list, list]:
        """Every marker's corners and id in `small` (the page downscaled by `factor`): over
        the whole of it, or, when three markers of a page were found (fitted within
        MAX_RESIDUAL_MM), only within MARKER_PREDICTED_MM of where they put each of its four.
        ArUco finds a marker from its own surroundings: the same markers, their corners
        the same to a ten-thousandth of a pixel (the float rounding of where they lie), in
        a quarter of the pixels, without the hundreds of tick boxes each taken for a marker
        candidate and read."""
        page, seen = max(found.items(), key=lambda kv: len(kv[1]), default=(None, {}))
        # Three: a fit of two (a similarity, by RANSAC) depends on the order of its points,
        # and a search by parts lists them in another order than ArUco over the whole page.
        reg = self._fit_seen(page, seen) if len(seen) == 3 else None
        if reg is None or not reg.residual_mm <= T.MAX_RESIDUAL_MM:
            corners, ids, _ = self.detector.detectMarkers(small)
            return list(corners), [] if ids is None else list(ids.ravel())
        all_corners, all_ids = [], []
        height, width = small.shape
        m = T.MARKER_PREDICTED_MM
        for x, y, side in marker_boxes(self.template):
            around = np.array([[x - m, y - m], [x + side + m, y - m], [x + side + m, y + side + m],
                               [x - m, y + side + m]])
            px = (reg.transform.to_px(around) + 0.5) * factor - 0.5
            x0, y0 = np.maximum(np.floor(px.min(axis=0)).astype(int), 0)
            x1, y1 = np.minimum(np.ceil(px.max(axis=0)).astype(int) + 1, (width, height))
            if x1 - x0 < T.MARKER_THRESHOLD_PX or y1 - y0 < T.MARKER_THRESHOLD_PX:
                continue  # off the picture
            window = small[y0:y1, x0:x1]
            corners, ids, _ = self._detector_for(window.shape, small.shape).detectMarkers(window)
            if ids is not None:
                all_corners += [c + np.array([x0, y0], dtype=np.float32) for c in corners]
                all_ids += list(ids.ravel())
        return all_corners, all_ids

    def _detector_for(self, window: tuple[int, int], image: tuple[int, int]) -> cv2.aruco.ArucoDetector:
        """The detector for a window of an image: ArUco bounds a marker's perimeter by a
        share of the picture's longer side, truncated to whole pixels; set for the window,
        these shares bound it to the very pixels they do for the whole image."""
        detector = _detector(self.template)
        params = detector.getDetectorParameters()
        longer, whole = max(window), max(image)
        params.minMarkerPerimeterRate = (int(params.minMarkerPerimeterRate * whole) + 0.5) / longer
        params.maxMarkerPerimeterRate = (int(params.maxMarkerPerimeterRate * whole) + 0.5) / longer
        detector.setDetectorParameters(params)
        return detector

    def _found(self, corners: list, ids: list, factor: float) -> dict[int, dict[int, np.ndarray]]:
        """Detected marker corners in full-resolution pixels, by form page and corner."""
        found: dict[int, dict[int, np.ndarray]] = {}
        for c, marker_id in zip(corners, ids):
            page, corner = divmod(int(marker_id), 4)
            if page in self.template.page_numbers:
                # Back to full-resolution pixel coordinates (centres at integers).
                found.setdefault(page, {})[corner] = (c.reshape(4, 2) + 0.5) / factor - 0.5
        return found

    def _fit(self, page: int, src: np.ndarray, dst: np.ndarray, n_markers: int) -> Registration | None:
        """The transform that the detected marker corners support.

        Four markers fix a homography; two only a similarity, as do one's four corners.
        Three fix an affine map,
        which is the stable choice on a flat scan; on a phone photo the affine map misses
        the perspective by millimetres, which the markers' own corners show as a residual
        that a homography through the same points does not have, so that one is taken.
        """
        method = Method.MARKERS if n_markers == 4 else Method.PARTIAL_MARKERS
        if n_markers == 4:
            return self._registration(page, cv2.findHomography(src, dst, 0)[0], src, dst, n_markers, method)
        estimate = cv2.estimateAffine2D if n_markers == 3 else cv2.estimateAffinePartial2D
        # RANSAC, not LMEDS: with the points in three tight clusters, LMEDS fits two
        # markers exactly and drops the third.
        affine, _ = estimate(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0, refineIters=20)
        flat = None if affine is None else self._registration(page, np.vstack([affine, [0, 0, 1]]), src, dst,
                                                              n_markers, method)
        if n_markers == 3 and flat is not None and flat.residual_mm > T.PERSPECTIVE_RESIDUAL_MM:
            tilted = self._registration(page, cv2.findHomography(src, dst, 0)[0], src, dst, n_markers, method)
            if tilted is not None and tilted.residual_mm < flat.residual_mm / 2:
                return tilted
        return flat

    @staticmethod
    def _registration(page: int, matrix: np.ndarray | None, src: np.ndarray, dst: np.ndarray, n_markers: int,
                      method: Method) -> Registration | None:
        if matrix is None:
            return None
        transform = PageTransform.from_array(matrix)
        residual_px = np.sqrt(np.mean(np.sum((transform.to_px(src) - dst) ** 2, axis=1)))
        residual_mm = float(residual_px / transform.px_per_mm())
        return Registration(page, transform, method, n_markers, residual_mm, marker_points=(src, dst))

    def check(self, grey: np.ndarray, transform: PageTransform, page: int) -> Check:
        """How far the form page's printed frames lie from where `transform` puts them."""
        if page not in self._frames:
            self._frames[page] = frame_windows(self.template, page)
        windows = self._frames[page]
        points = np.array([w.point for w in windows], dtype=float).reshape(-1, 2)
        crops = {w.rect: box_crop(grey, transform, w.rect) for w in windows if all(w.sides)}
        return Check(points, measure_frames(grey, transform, windows, crops), tuple(w.owner for w in windows),
                     box_crops=crops)

    def verify(self, grey: np.ndarray, reg: Registration) -> Registration:
        """`reg` checked against the page's own print, and re-registered when that shows it
        off: first on the frames themselves, then, when the markers were too far off for
        that (two of them on a phone photo, a marker half cut off), by the page's content,
        refined on the frames in turn. The result's `check` says whether it holds; when
        nothing verifies, it is `reg` as refined as it got."""
        refined = self.refine(grey, reg)
        if refined.aligned or reg.method is Method.CONTENT:
            return refined
        by_content = self.content(grey, page_hint=reg.page)
        if by_content is None:
            return refined
        again = self.refine(grey, replace(by_content, markers_found=reg.markers_found,
                                          marker_points=reg.marker_points))
        return again if again.aligned else refined

    def refine(self, grey: np.ndarray, reg: Registration) -> Registration:
        """`reg` with its `check`, re-registered on the frames seen while that is not
        verified or not tight: a homography through where they were seen, and the centres
        of the markers seen (`_marker_centres`), which also takes up a print scaled to fit
        the page or skewed by a photocopier, and a corner that a missing marker left unpinned.
        A page registered by its content is re-registered so at least once, however tight:
        its features hold it only within CONTENT_RANSAC_PX, and only where they lie."""
        check = self.check(grey, reg.transform, reg.page)
        rounds = 0
        # Tight at p90 is not enough: a RANSAC round can leave the comment box's two far
        # corners 0.8 mm off (2 of 24 frames, seed 18224) that one fit through every
        # frame holds within 0.12 mm; a frame truly moved keeps that fit from holding.
        # Nor, fitted on features, for the page beyond its frames: page 7's print below its
        # last comment box is its footer alone, which gave no feature on a pale 150-dpi
        # scan; the fit, held at p90 0.17 mm by frames in the page's upper half, was bent
        # 1.4 mm at the footer (2.1 at the page's corner), its line taken for missing and
        # the page for another form's (seed 172430159). Fitted on the frames, 0.03 mm.
        while ((not check.verified or check.p90_mm > T.VERIFY_TIGHT_MM or check.seen_off
                or (reg.method is Method.CONTENT and rounds == 0))
               and rounds < T.VERIFY_ROUNDS and check.points >= T.VERIFY_MIN_POINTS):
            rounds += 1
            # A point seen d mm off lies, in the image, where the transform puts p + d.
            at, seen_at = check.at_mm[check.seen], check.at_mm[check.seen] + check.offsets[check.seen]
            markers_at, markers_seen_at = _marker_centres(reg)
            matrix = _frames_fit(np.vstack([at, markers_at]), np.vstack([seen_at, markers_seen_at]))
            if matrix is None:
                break
            transform = PageTransform.from_array(reg.transform.array @ matrix)
            if _slips_markers(reg, transform):
                break
            again = self.check(grey, transform, reg.page)
            if again.p90_mm >= check.p90_mm and (again.points <= check.points or check.verified):
                break
            reg, check = replace(reg, transform=transform), again
        failing = check.failing
        if check.verified and failing.any():
            check = replace(check, inked=self.under_ink(grey, reg.transform, reg.page, failing))
        return replace(reg, check=check)

    def under_ink(self, grey: np.ndarray, transform: PageTransform, page: int, frames: np.ndarray) -> np.ndarray:
        """(n,) For each of the page's frames (`frame_windows` order) picked by `frames`,
        whether ink lies over it (`frames_inked`); False for the others."""
        inked = np.zeros(len(frames), bool)
        windows = [w for w, f in zip(self._frames[page], frames) if f]
        inked[frames] = frames_inked(grey, transform, self._blank(page), windows)
        return inked

    def content(self, grey: np.ndarray, page_hint: int | None = None) -> Registration | None:
        """Registration by matching printed content against the blank pages (slow path).

        Without `page_hint`, the page is first told among the form's pages on fewer
        features (`identify`); the result names it, with the runner-up's count, which says
        whether the print tells the page at all. The transform comes from more features
        of it and of that page alone; when they do not fit it, or when the fewer features
        tell no page, the page is told on those (`_told_on_fit`)."""
        small, factor = downscale(grey, max(self.template.page_size_mm), T.CONTENT_PX_PER_MM)
        if page_hint in self.template.page_numbers:
            found = self._match(page_hint, *self._features(small, T.CONTENT_FEATURES), T.CONTENT_FEATURES)
            return self._fitted(page_hint, found, factor, grey.shape)
        ranked = self._ranked(small)
        features = self._features(small, T.CONTENT_FIT_FEATURES)
        if not ranked or ranked[0][1] < T.CONTENT_IDENTIFY_MIN:
            return self._told_on_fit(ranked, small, features, factor, grey.shape, tried={})
        (page, inliers), runner_up = ranked[0], (ranked[1] if len(ranked) > 1 else None)
        found = self._match(page, *features, T.CONTENT_FIT_FEATURES)
        reg = self._fitted(page, found, factor, grey.shape)
        if reg is None:
            return self._told_on_fit(ranked, small, features, factor, grey.shape, tried={page: found})
        return replace(reg, inliers=inliers, runner_up=runner_up)

    def _told_on_fit(self, ranked: list[tuple[int, int]], small: np.ndarray, features: tuple, factor: float,
                     shape: tuple[int, ...], tried: dict) -> Registration | None:
        """The page when the one `identify` ranked first (`tried`, with its match on the
        fit's features) does not fit it, or when its few features tell no page at all
        (`tried` empty): the other pages matched on the fit's features, the best that fits
        them; failing that, the pages those came near to holding (CONTENT_NEAR_FIT) matched
        on as many features as a page named beforehand is (`_near_fit`); None when none
        fits. A phone photo's few strongest features can tell nothing: seed 1256051490's
        page 4 ranked last, 20 against page 7's 40, and fitted 72 of the fit's features
        against at most 29 for any other page; a blurred phone photo of the word form's
        page 2, its comments written in, matched page 2 on 18 of them and page 1 on 14,
        under CONTENT_IDENTIFY_MIN, and fitted page 2 on 58 to 70 of the fit's, page 1 on
        20 at most (seeds 692293347 and 1172351743), and was lost to `unrecognised`. Its
        counts stay those `identify` gave, the page ranked best besides it its runner-up:
        its print told it from no page, so it is told apart from that one as any two pages
        matched alike are, each fitted on its own and verified (`PageReader._tell_apart`).
        Only for such a page: the others' matches cost as much as that fit each."""
        fits = {page: tried[page] if page in tried else self._match(page, *features, T.CONTENT_FIT_FEATURES)
                for page, _ in ranked}
        reg = self._best_fitting(fits, factor, shape) or self._near_fit(fits, small, factor, shape)
        if reg is None:
            return None
        others = [(p, count) for p, count in ranked if p != reg.page]
        return replace(reg, inliers=dict(ranked)[reg.page], runner_up=others[0] if others else None)

    def _near_fit(self, fits: dict, small: np.ndarray, factor: float,
                  shape: tuple[int, ...]) -> Registration | None:
        """Of the pages that the fit's features came near to holding (CONTENT_NEAR_FIT
        of CONTENT_MIN_INLIERS), the best that CONTENT_FEATURES fit; None when none came
        near (a cover letter held 14 on any page), or none fits. A phone photo of the
        word form's page 2, its comments typed and written in, ranked page 1 first on 21
        against its own 18 and fitted neither on the fit's features (17, and 36 for its
        own); on CONTENT_FEATURES it fitted its own on 119, page 1 on 23 (seed 1154072371)."""
        near = [page for page, found in fits.items() if found is not None and found[1] >= T.CONTENT_NEAR_FIT]
        if not near:
            return None
        more = self._features(small, T.CONTENT_FEATURES)
        return self._best_fitting({page: self._match(page, *more, T.CONTENT_FEATURES) for page in near},
                                  factor, shape)

    def _best_fitting(self, fits: dict, factor: float, shape: tuple[int, ...]) -> Registration | None:
        """Of the pages matched (`fits`, page to its match or None), the one that fits
        with the most inliers; None when none does."""
        for page in sorted(fits, key=lambda p: 0 if fits[p] is None else fits[p][1], reverse=True):
            reg = self._fitted(page, fits[page], factor, shape)
            if reg is not None:
                return reg
        return None

    def _fitted(self, page: int, found: tuple[np.ndarray, int] | None, factor: float,
                shape: tuple[int, ...]) -> Registration | None:
        """The registration `found` (a homography from `page`'s blank to the page downscaled
        by `factor`, and its inliers) makes, or None when too few matches hold it or it
        lands the page where no sheet of paper can lie."""
        if found is None or found[1] < T.CONTENT_MIN_INLIERS:
            return None
        matrix_small, fitted = found
        # The reference is drawn at CONTENT_PX_PER_MM; compose to full-resolution pixels.
        transform = PageTransform.from_array(resized(1 / factor) @ matrix_small @ mm_to_pixels(T.CONTENT_PX_PER_MM))
        if not self._plausible(transform, shape):
            return None
        log.debug("content registration: page %d with %d inliers", page, fitted)
        return Registration(page, transform, Method.CONTENT, 0, float("nan"), inliers=fitted)

    def identify(self, small: np.ndarray) -> list[tuple[int, int]]:
        """The form's pages whose print the page (drawn at CONTENT_PX_PER_MM) matches, each
        with its count of matching features that one homography holds, best first; empty
        when none reaches CONTENT_IDENTIFY_MIN."""
        ranked = self._ranked(small)
        return ranked if ranked and ranked[0][1] >= T.CONTENT_IDENTIFY_MIN else []

    def _ranked(self, small: np.ndarray) -> list[tuple[int, int]]:
        """Every page of the form with its count of features (of CONTENT_IDENTIFY_FEATURES)
        that the page matches and one homography holds, best first."""
        keypoints, descriptors = self._features(small, T.CONTENT_IDENTIFY_FEATURES)
        counts = {}
        for page in self.template.page_numbers:
            found = self._match(page, keypoints, descriptors, T.CONTENT_IDENTIFY_FEATURES)
            counts[page] = 0 if found is None else found[1]
        return sorted(counts.items(), key=lambda kv: kv[1], reverse=True)

    @staticmethod
    def _features(small: np.ndarray, n: int) -> tuple:
        keypoints, descriptors = cv2.ORB_create(nfeatures=n).detectAndCompute(small, None)
        return (keypoints, descriptors) if descriptors is not None else ((), None)

    def _blank(self, page: int) -> np.ndarray:
        """The blank page at CONTENT_PX_PER_MM, grey: the template's image of it
        (`reference_pages`: a form made elsewhere prints more than its boxes and zones)
        when it has one, else drawn from the template."""
        if page not in self._blanks:
            path = self.template.reference_page(page)
            image = None if path is None else cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                if self.template.reference_pages:
                    log.warning("%s: the reference image of page %d cannot be read; matching the page against "
                                "its boxes and zones alone", self.template.form_version, page)
                self._blanks[page] = to_grey(page_raster(self.template, page, T.CONTENT_PX_PER_MM * 25.4))
            else:
                w, h = self.template.page_size_mm
                size = (round(w * T.CONTENT_PX_PER_MM), round(h * T.CONTENT_PX_PER_MM))
                self._blanks[page] = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return self._blanks[page]

    def _plausible(self, transform: PageTransform, shape: tuple[int, ...]) -> bool:
        """Whether the page lands in the image as a sheet of paper can: a convex
        quadrilateral covering a fair part of the image (RANSAC on stray matches can
        return a twisted or collapsed one)."""
        w, h = self.template.page_size_mm
        corners = transform.to_px(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)).astype(np.float32)
        if not cv2.isContourConvex(corners.reshape(-1, 1, 2)):
            return False
        area = cv2.contourArea(corners)
        return 0.3 * shape[0] * shape[1] <= area <= 2.0 * shape[0] * shape[1]

    def _page_specific(self, shape: tuple[int, int]) -> np.ndarray:
        """False over the markers and the QR code, which every page prints alike."""
        mask = np.ones(shape, bool)
        if not self.template.registration.markers:
            return mask
        reg, s = self.template.registration, T.CONTENT_PX_PER_MM
        squares = [*marker_boxes(self.template), (*reg.qr_at_mm, reg.qr_size_mm)]
        for x, y, side in squares:
            x0, y0 = max(0, int((x - 2) * s)), max(0, int((y - 2) * s))
            mask[y0: int((y + side + 2) * s), x0: int((x + side + 2) * s)] = False
        return mask

    def _reference(self, page: int, n: int) -> tuple:
        """The blank page's ORB features, at most `n` (computed once per worker)."""
        if (page, n) not in self._content:
            self._content[(page, n)] = cv2.ORB_create(nfeatures=n).detectAndCompute(self._blank(page), None)
        return self._content[(page, n)]

    def content_agreement(self, grey: np.ndarray, transform: PageTransform, page: int) -> float:
        """Share of what the blank form page prints that the scan shows inked where the
        transform puts it: near 1 for this page of this form, low for any other."""
        printed, inked, _ = self._print_seen(grey, transform, page)
        return float(inked[printed].mean()) if printed.any() else 0.0

    def missing_lines(self, grey: np.ndarray, transform: PageTransform, page: int) -> list[tuple[float, float]]:
        """Where (x, y mm) a line of the blank page's text is missing from the scan (inked
        under PRINT_LINE_SHARE of the page's agreement as a whole): ink only adds to a
        page, so another title or item text is printed there (another form printed alike).
        Lines outside the picture are not looked at."""
        # Each line against the page's paper as a whole, as the page's agreement is told: a
        # line blurred grey in a motion-blurred photo's dim corner still shows, against the
        # lit paper, more ink than against the dim paper right beside it (seed 611216245,
        # batch-007 page 56, lost to unrecognised when told against the paper around it).
        printed, inked, inside = self._print_seen(grey, transform, page, against_around=False)
        if not printed.any():
            return []
        overall = float(inked[printed].mean())
        s = T.CONTENT_PX_PER_MM
        gap = 2 * round(T.PRINT_LINE_GAP_MM * s / 2) + 1
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            cv2.dilate(printed.astype(np.uint8), np.ones((1, gap), np.uint8)))
        # Each line's printed, outside and inked pixels counted at once, by its label:
        # a pass over the page for each line cost 80 ms a page whose QR code is unread.
        on_print = labels[printed]
        size = np.bincount(on_print, minlength=count)
        outside = np.bincount(on_print, weights=~inside[printed], minlength=count)
        seen = np.bincount(on_print, weights=inked[printed], minlength=count)
        missing = []
        for k in range(1, count):
            x, y, _, height, _ = stats[k]
            if height < T.PRINT_LINE_MIN_MM * s or size[k] < T.PRINT_LINE_MIN_MM ** 2 * s * s * 4:
                continue  # a rule or a box: the frame check's matter; a dot of print
            if outside[k] == 0 and seen[k] / size[k] < T.PRINT_LINE_SHARE * overall:
                missing.append((round(x / s, 1), round(y / s, 1)))
        return missing

    def _print_seen(self, grey: np.ndarray, transform: PageTransform, page: int,
                    against_around: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """At CONTENT_PX_PER_MM, in the blank page's pixels: what it prints (markers and QR
        code aside), what the scan shows inked there (against the paper around each pixel,
        `_darker_than_around`, or the page's paper as a whole), and what of the page lies in
        the picture."""
        blank = self._blank(page)
        view = self._view(grey, transform)
        key = (blank.shape, against_around)
        if key not in view:
            seen = view["seen"][: blank.shape[0], : blank.shape[1]]
            # A pixel of slack either way: registration and resampling are not exact.
            ink = ((_darker_than_around(seen) if against_around else darkness(seen)) > T.AGREEMENT_INKED)
            view[key] = (cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0,
                         view["inside"][: seen.shape[0], : seen.shape[1]] > 0)
        inked, inside = view[key]
        if page not in self._printed:
            self._printed[page] = (darkness(blank) > T.AGREEMENT_PRINTED) & self._page_specific(blank.shape)
        return self._printed[page][: inked.shape[0], : inked.shape[1]], inked, inside

    def _view(self, grey: np.ndarray, transform: PageTransform) -> dict:
        """The page drawn at CONTENT_PX_PER_MM through `transform` (`averaged_down` first),
        which of it lies in the picture, and what `_print_seen` found inked on it. The last
        page's is kept: a page whose QR code is unread is compared with each page of the
        form through one transform, and its print's lines looked for again through it
        (`missing_lines`). The kept page is held, so that no other array can take its place
        as the same object."""
        if self._last_view is not None and self._last_view[0] is grey and self._last_view[1] == transform:
            return self._last_view[2]
        w, h = self.template.page_size_mm
        s = T.CONTENT_PX_PER_MM
        small, on_small = averaged_down(grey, transform, max(w, h))
        view = {"seen": on_small.crop(small, (0.0, 0.0, w, h), s),
                "inside": on_small.crop(np.ones_like(small), (0.0, 0.0, w, h), s, border_value=0)}
        self._last_view = (grey, transform, view)
        return view

    def _match(self, page: int, keypoints, descriptors, n: int) -> tuple[np.ndarray, int] | None:
        ref_kp, ref_desc = self._reference(page, n)
        if ref_desc is None or descriptors is None or len(keypoints) < 2:
            return None
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(ref_desc, descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < T.CONTENT_RATIO * p[1].distance]
        if len(good) < T.CONTENT_MIN_INLIERS:
            return None
        src = np.float32([ref_kp[m.queryIdx].pt for m in good])
        dst = np.float32([keypoints[m.trainIdx].pt for m in good])
        # OpenCV's USAC stops as soon as it is sure: on another page's stray matches, where
        # classic RANSAC runs all its 2,000 rounds, it is some 30 times faster.
        matrix, mask = cv2.findHomography(src, dst, cv2.USAC_DEFAULT, T.CONTENT_RANSAC_PX)
        if matrix is None:
            return None
        return matrix, int(mask.sum())


def _darker_than_around(seen: np.ndarray) -> np.ndarray:
    """Per-pixel darkness (0 paper, 1 black) of the page drawn at CONTENT_PX_PER_MM against
    the lightest paper in a square AGREEMENT_PAPER_MM wide around it, not the page's: on a
    phone photo in uneven light the dim half of the page is darker than the lit half's
    paper, and measured against that would show every form page's print as inked there."""
    side = 2 * round(T.AGREEMENT_PAPER_MM * T.CONTENT_PX_PER_MM / 2) + 1
    paper = np.maximum(cv2.dilate(seen, np.ones((side, side), np.uint8)).astype(np.float32), 1.0)
    return np.clip((paper - seen.astype(np.float32)) / paper, 0.0, 1.0)


# --- Verification: the page's own print where the transform puts it ---------------------


@dataclass(frozen=True)
class FrameWindow:
    """A stretch of printed frame that pins one point: a whole tick box (its four sides
    pin its centre), or a comment zone's corner (the two sides meeting there)."""

    rect: tuple[float, float, float, float]
    """The frame (or the corner's part of it) in mm: x, y, w, h."""
    sides: tuple[bool, bool, bool, bool]
    """Which of the rect's sides are printed lines: left, right, top, bottom."""
    point: tuple[float, float]
    owner: str
    """The item or comment it belongs to."""


def frame_windows(template: Template, page: int) -> list[FrameWindow]:
    """Every tick box and every framed comment zone's four corners printed on the form page."""
    windows = []
    for item in template.items_on(page):
        for option in item.options:
            x, y, w, h = option.box_mm
            windows.append(FrameWindow((x, y, w, h), (True, True, True, True), (x + w / 2, y + h / 2), item.id))
    side = T.VERIFY_CORNER_MM
    for zone in (z for z in template.comments_on(page) if z.framed):
        x, y, w, h = zone.box_mm
        for right, bottom in ((False, False), (True, False), (True, True), (False, True)):
            rect = (x + w - side if right else x, y + h - side if bottom else y, side, side)
            windows.append(FrameWindow(rect, (not right, right, not bottom, bottom), (x + w * right, y + h * bottom),
                                       zone.id))
    return windows


def frames_inked(grey: np.ndarray, transform: PageTransform, blank: np.ndarray,
                 windows: list[FrameWindow]) -> np.ndarray:
    """Whether ink lies over each window's frame: the page, where `transform` puts the
    frame and within reach of it, darker than the `blank` page (at CONTENT_PX_PER_MM)
    prints there by FRAME_INK or more; or, for a tick box, the box itself darker so: the
    mark in it hides its sides (a cross, a tick on a phone photo), and spread over the
    reach around the box it is too little to tell."""
    return np.array([any(_ink_over(grey, transform, blank, window.rect, reach) >= T.FRAME_INK
                         for reach in ((T.VERIFY_REACH_MM, 0.0) if all(window.sides) else (T.VERIFY_REACH_MM,)))
                     for window in windows], bool)


def _ink_over(grey: np.ndarray, transform: PageTransform, blank: np.ndarray, rect: tuple, reach_mm: float) -> float:
    """How much darker, on the mean, the page is than the `blank` page over `rect` and
    `reach_mm` around it, each against its paper within FRAME_INK_PAPER_MM."""
    s = T.CONTENT_PX_PER_MM
    on_blank = PageTransform.from_array(mm_to_pixels(s))
    margin, paper = T.FRAME_INK_PAPER_MM + reach_mm, round(T.FRAME_INK_PAPER_MM * s)
    scan, printed = (_darkness(t.crop(image, rect, s, margin_mm=margin))[paper:-paper, paper:-paper]
                     for t, image in ((transform, grey), (on_blank, blank)))
    return float(scan.mean()) - float(printed.mean())


def _darkness(crop: np.ndarray) -> np.ndarray:
    """0 for paper (the crop's PAPER_PERCENTILE level) to 1 for black."""
    paper = max(float(np.percentile(crop, T.PAPER_PERCENTILE)), 1.0)
    return np.clip((paper - crop.astype(np.float32)) / paper, 0.0, 1.0)


def _line_offsets(profiles: np.ndarray, at_px: float) -> np.ndarray:
    """Where a printed line lies in each darkness profile across it (one a row), relative
    to `at_px`, in pixels; NaN where no line stands out within reach of it."""
    reach = round(T.VERIFY_REACH_MM * T.VERIFY_PX_PER_MM)
    lo, hi = max(0, round(at_px) - reach), min(profiles.shape[1], round(at_px) + reach + 1)
    window = profiles[:, lo:hi]
    rows = np.arange(len(window))
    k = window.argmax(axis=1)
    peak, floor = window[rows, k], window.min(axis=1)
    seen = (peak >= T.VERIFY_LINE_DARKNESS) & (peak - floor >= T.VERIFY_LINE_DARKNESS)
    # The line's centre: the centroid of its run above half height, which a blur that
    # spreads the line into a plateau (motion, a phone's focus) leaves in place.
    half = ((peak + floor) / 2)[:, None]
    above = window >= half
    run = np.cumsum(~above, axis=1)
    in_peak = above & (run == run[rows, k][:, None])
    weights = np.where(in_peak, window - half + 1e-6, 0.0)
    centre = weights @ np.arange(window.shape[1]) / weights.sum(axis=1)
    return np.where(seen, lo + centre - at_px, np.nan)


def _side_offsets(profiles: np.ndarray, near_px: float, far_px: float, has: np.ndarray) -> np.ndarray:
    """The offset in mm of each frame's printed sides across these profiles (`has`: which
    of the near and far side each frame prints); NaN unless all are found and a pair agrees."""
    near, far = _line_offsets(profiles, near_px), _line_offsets(profiles, far_px)
    pair = np.where(np.abs(near - far) <= T.VERIFY_PAIR_MM * T.VERIFY_PX_PER_MM, (near + far) / 2, np.nan)
    both, only_near = has[:, 0] & has[:, 1], has[:, 0] & ~has[:, 1]
    return np.where(both, pair, np.where(only_near, near, far)) / T.VERIFY_PX_PER_MM


def _profiles(strips: np.ndarray, axis: int) -> np.ndarray:
    """Mean darkness across each strip (averaging along `axis`), against the strip's
    lightest line: paper, and a line of mean grey levels holds no noise to mistake for it."""
    grey = strips.mean(axis=axis, dtype=np.float32)
    paper = np.maximum(grey.max(axis=1, keepdims=True), 1.0)
    return (paper - grey) / paper


def measure_frames(grey: np.ndarray, transform: PageTransform, windows: list[FrameWindow],
                   box_crops: dict[tuple, np.ndarray] | None = None) -> np.ndarray:
    """Where each window's frame lies through `transform`, minus where it should: (n, 2)
    dx, dy in mm, NaN where its sides are not all seen. `box_crops`: the tick boxes' crops
    for the marks through `transform` (`marks.box_crop`), by box, when made already: a
    box's window is cut out of its crop, which holds it."""
    s, r = T.VERIFY_PX_PER_MM, T.VERIFY_REACH_MM
    offsets = np.full((len(windows), 2), np.nan)
    by_size: dict[tuple[float, float], list[int]] = {}
    for k, window in enumerate(windows):
        by_size.setdefault(window.rect[2:], []).append(k)
    for (w, h), ks in by_size.items():
        crops = np.stack([_window_crop(grey, transform, windows[k], box_crops) for k in ks])
        sides = np.array([windows[k].sides for k in ks])
        # Each side is profiled along its middle three fifths, clear of the sides across it.
        rows = slice(round((r + 0.2 * h) * s), round((r + 0.8 * h) * s))
        cols = slice(round((r + 0.2 * w) * s), round((r + 0.8 * w) * s))
        # Just past the frame's ends (a quarter to three quarters of a millimetre): clear
        # of its own corners, and of the sides of boxes stacked or set beside it further off.
        above, below = slice(round((r - 0.75) * s), round((r - 0.25) * s)), slice(round((r + h + 0.25) * s),
                                                                                 round((r + h + 0.75) * s))
        before, after = slice(round((r - 0.75) * s), round((r - 0.25) * s)), slice(round((r + w + 0.25) * s),
                                                                                  round((r + w + 0.75) * s))
        boxes = sides.all(axis=1)
        across_x = _without_rules(_profiles(crops[:, rows, :], 1), _profiles(crops[:, above, :], 1),
                                  _profiles(crops[:, below, :], 1), boxes)
        across_y = _without_rules(_profiles(crops[:, :, cols], 2), _profiles(crops[:, :, before], 2),
                                  _profiles(crops[:, :, after], 2), boxes)
        offsets[ks, 0] = _side_offsets(across_x, r * s - 0.5, (r + w) * s - 0.5, sides[:, :2])
        offsets[ks, 1] = _side_offsets(across_y, r * s - 0.5, (r + h) * s - 0.5, sides[:, 2:])
    return offsets


_BOX_TRIM = round((T.PAPER_MARGIN_MM - T.VERIFY_REACH_MM) * T.VERIFY_PX_PER_MM)
"""How much wider, in pixels each side, a box's crop for the marks is than its frame's window."""


def _window_crop(grey: np.ndarray, transform: PageTransform, window: FrameWindow,
                 box_crops: dict[tuple, np.ndarray] | None) -> np.ndarray:
    """The window and VERIFY_REACH_MM around it at VERIFY_PX_PER_MM. Out of a box's crop for
    the marks (`box_crops`), when there is one: at the same scale, a whole number of pixels
    wider, it holds the very pixels the window's own warp gives (the same grid of points,
    tested), for a warp fewer."""
    if box_crops is not None and window.rect in box_crops:
        return box_crops[window.rect][_BOX_TRIM:-_BOX_TRIM, _BOX_TRIM:-_BOX_TRIM]
    return transform.crop(grey, window.rect, T.VERIFY_PX_PER_MM, margin_mm=T.VERIFY_REACH_MM)


def sides_whole(grey: np.ndarray, transform: PageTransform, windows: list[FrameWindow],
                offsets: np.ndarray) -> np.ndarray:
    """(n,) Whether each window's frame, seen `offsets` (`measure_frames`) from where
    `transform` puts it, prints every one of its sides there as a line along the side's
    whole length; False where it was not seen.

    Two lines a box apart are all `measure_frames` asks for, and a box placed a few
    millimetres off can find them in what lies around it: another box's side running a
    millimetre into the window, a tick's stroke and a line of text. Neither runs the
    length of the box: each side is profiled across in SIDE_PARTS parts along it, and
    every part must show the line at its place, about as dark as the side's typical part.
    """
    s, r = T.VERIFY_PX_PER_MM, T.VERIFY_REACH_MM
    whole = np.zeros(len(windows), bool)
    for k, (window, offset) in enumerate(zip(windows, offsets)):
        if np.isnan(offset).any():
            continue
        x, y, w, h = window.rect
        crop = transform.crop(grey, (x + offset[0], y + offset[1], w, h), s, margin_mm=r).astype(np.float32)
        left, right, top, bottom = window.sides
        near, far_x, far_y = r * s - 0.5, (r + w) * s - 0.5, (r + h) * s - 0.5
        # The crop's rows run along its upright sides, the transposed crop's along the level ones.
        along = [(crop, at, h) for at, printed in ((near, left), (far_x, right)) if printed]
        along += [(crop.T, at, w) for at, printed in ((near, top), (far_y, bottom)) if printed]
        whole[k] = all(_runs_along(image, at_px, length_mm) for image, at_px, length_mm in along)
    return whole


def _runs_along(crop: np.ndarray, at_px: float, length_mm: float) -> bool:
    """Whether a line runs down `crop` (cropped VERIFY_REACH_MM around a side `length_mm`
    long, its rows along the side) at column `at_px`, in each of SIDE_PARTS parts of the
    side's middle (clear of the sides across it at its ends)."""
    s, r = T.VERIFY_PX_PER_MM, T.VERIFY_REACH_MM
    ends = np.linspace((r + T.SIDE_END_SHARE * length_mm) * s, (r + (1 - T.SIDE_END_SHARE) * length_mm) * s,
                       T.SIDE_PARTS + 1).round().astype(int)
    # Each part's mean row, as a strip of one row: the parts may differ in length by a row.
    profiles = _profiles(np.stack([crop[a:b].mean(axis=0) for a, b in zip(ends[:-1], ends[1:])])[:, None, :], 1)
    at, reach = round(at_px), round(r * s)
    peak = profiles[:, max(0, at - 1): at + 2].max(axis=1)
    floor = profiles[:, max(0, at - reach): at + reach + 1].min(axis=1)
    line = peak - floor
    return bool((line >= T.VERIFY_LINE_DARKNESS).all() and line.min() >= T.SIDE_EVEN * np.median(line))


def _without_rules(profiles: np.ndarray, before: np.ndarray, after: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The profiles across a box's sides with every line that runs on past both ends of
    the box (profiled there as `before` and `after`) taken out: a table's rule printed a
    millimetre from a bubble is darker than the bubble's side and would be taken for it,
    while a box's own side ends at its corners. Only whole boxes (`boxes`): a comment
    zone's side runs on past its corner's window."""
    ruled = (_thin_lines(before) >= T.VERIFY_LINE_DARKNESS) & (_thin_lines(after) >= T.VERIFY_LINE_DARKNESS)
    return np.where(ruled & boxes[:, None], profiles.min(axis=1, keepdims=True), profiles)


def _thin_lines(profiles: np.ndarray) -> np.ndarray:
    """The profiles' lines narrower than a millimetre, their broader darkness taken away:
    printed words beside a box darken the whole height of their letters, a rule only
    its own width."""
    width = 2 * round(0.5 * T.VERIFY_PX_PER_MM) + 1
    return cv2.morphologyEx(profiles.astype(np.float32), cv2.MORPH_TOPHAT, np.ones((1, width), np.uint8))
