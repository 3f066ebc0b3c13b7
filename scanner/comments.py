"""Comments: tell written zones from blank ones, OCR the written ones, decide per zone.

A zone is looked at with a margin around its frame, because people write over the
frame's lines and beyond; what the form itself prints there (the frame, the prompt) is
taken away by comparing with the zone's blank appearance, drawn from the template. The
zone counts as written by the area of what ink is left once specks (dust, noise) are
removed. All written zones of a page go to the OCR engine in one image, stacked, so that
Tesseract's start-up is paid once per page.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.geometry import PageTransform, mm_to_pixels
from scanner.marks import NOISE_DARKNESS, darkness
from scanner.ocr import Lexicon, OcrEngine, Word
from scanner.results import CommentReading, FieldResult, Reason, Status
from scanner.render import marker_boxes, page_rasters
from scanner.template import Comment, Template

STACK_GAP_PX = 60
"""White space between stacked zones: Tesseract must not join lines across zones."""
OCR_PX_PER_MM = 7.0
"""The stacked zones, cleaned at T.COMMENT_PX_PER_MM, go to Tesseract at this scale. Its
LSTM reads every text line it finds at 36 px high whatever it is given (a printed line is
about 45 px high at 12 px/mm, a handwritten one 60 to 100), so finer pixels cost its
binarisation and layout analysis, not what it reads: a third of the pixels, a stack costs
about 30% less, CER no higher (4 seeds). At 6 px/mm its word boxes can fall short of a
printed word's last letter, and the unread-ink check then sends a clean comment to review."""
SCALES = (T.COMMENT_DETECT_PX_PER_MM, T.COMMENT_PX_PER_MM)
"""Zones are looked at coarsely to tell writing, finely to read it."""
CROP_PX_PER_MM = 8.0
CROP_JPEG_QUALITY = 80
CODES_CLEAR_MM = 2.0
"""Print this far from a zone's surroundings leaves their pixels as they are, smoothed
edges and all, whether drawn or not."""
DISC_BY_PARTS_MIN_PX = 19
"""Discs at least this wide are passed as their parts (`_by_disc`): a zone's paper (19 and
37 px discs), broad shading and the dust around writing (25 to 73 px) in a third to two
thirds of OpenCV's time; smaller ones cost as much or more that way."""


def _grow(box: tuple, by: float) -> tuple:
    x, y, w, h = box
    return (x - by, y - by, w + 2 * by, h + 2 * by)


def _ink_area_mm2(ink: np.ndarray, px_per_mm: float, bands: bool = False) -> float:
    """Area of what looks like writing in a zone's ink mask: pen strokes in clusters, not
    specks, dust grains, a hair, broad shading or a straight line across the zone (but a
    band as thick as a line of words, with `bands`: `_strokes`)."""
    if _most_px(ink, px_per_mm) < T.DUST_MAX_MM2 * px_per_mm**2:
        return 0.0  # too little beside specks for a cluster of writing, as on most zones
    pieces = _Pieces.of(_strokes(ink, px_per_mm, bands))
    # The background's "piece" counts no pixel: never kept.
    kept = (pieces.area > T.SPECK_MAX_MM2 * px_per_mm**2) & ~_line_like(pieces.area, pieces.extent, px_per_mm)
    on = kept[pieces.of_px]
    if not on.any():
        return 0.0
    # Writing comes in clusters (the letters of words) with some letter that turns back on
    # itself; dust grains, however many lie together or smeared by motion blur, are solid.
    clusters = _clusters(pieces.ys[on], pieces.xs[on], ink.shape, px_per_mm)
    cluster_px = np.bincount(clusters)
    cluster_of = np.zeros(len(kept), np.intp)
    cluster_of[pieces.of_px[on]] = clusters  # a piece lies in one cluster
    lettered = np.zeros(len(cluster_px), bool)
    # With `bands`, a piece as long and thick as a line of words may be one: motion blur
    # along the line filled its letters' turns, but not the capitals and tall letters
    # rising above the rest, which a fold's ridge, straight along both edges, lacks.
    band = bands & (pieces.extent >= T.LINE_MIN_MM * px_per_mm) & (pieces.area > T.LINE_BAND_MM * px_per_mm * pieces.extent)
    big = cluster_px >= T.DUST_MAX_MM2 * px_per_mm**2
    for i in np.flatnonzero(kept & big[cluster_of]):
        # One turning letter settles its cluster, and dust settles nothing: no hull to draw.
        solidity = T.BAND_SOLIDITY if band[i] else T.DUST_SOLIDITY
        if not lettered[cluster_of[i]] and pieces.area[i] < solidity * _hull_px(pieces.mask(i)):
            lettered[cluster_of[i]] = True
    # The writing is the kept pieces of the big, lettered clusters: their pixels, counted already.
    return float(cluster_px[big & lettered].sum() / px_per_mm**2)


@dataclasses.dataclass(frozen=True)
class _Pieces:
    """The 8-connected pieces of a 0/1 mask, measured from its ink pixels alone (a zone's
    mask holds some one in a hundred): OpenCV's labelling measures every pixel, for three
    times the labelling's own time."""

    labels: np.ndarray
    ys: np.ndarray
    xs: np.ndarray
    """The mask's ink pixels, row by row."""
    of_px: np.ndarray
    """The piece of each ink pixel."""
    area: np.ndarray
    """Pixels of each piece (0 for the background's)."""
    top_left: np.ndarray
    bottom_right: np.ndarray
    """Each piece's bounding box, its first and last rows and columns (y, x)."""

    @classmethod
    def of(cls, mask: np.ndarray) -> _Pieces:
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        ys, xs = _ink_px(mask)
        of_px = labels[ys, xs]
        top_left = np.full((count, 2), np.iinfo(np.intp).max)
        bottom_right = np.full((count, 2), -1)
        np.minimum.at(top_left, of_px, np.stack([ys, xs], axis=1))
        np.maximum.at(bottom_right, of_px, np.stack([ys, xs], axis=1))
        return cls(labels, ys, xs, of_px, np.bincount(of_px, minlength=count), top_left, bottom_right)

    @property
    def extent(self) -> np.ndarray:
        """The longer side of each piece's bounding box, in pixels (0 for the background's)."""
        return np.maximum(self.bottom_right - self.top_left + 1, 0).max(axis=1)

    def mask(self, i: int) -> np.ndarray:
        """Piece `i` alone within its bounding box."""
        (y0, x0), (y1, x1) = self.top_left[i], self.bottom_right[i]
        return self.labels[y0:y1 + 1, x0:x1 + 1] == i


def _ink_px(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of a uint8 mask's nonzero pixels, row by row (OpenCV finds them
    some twenty times faster than numpy)."""
    found = cv2.findNonZero(mask)
    if found is None:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    xy = found.reshape(-1, 2).astype(np.intp)
    return xy[:, 1], xy[:, 0]


def _clusters(ys: np.ndarray, xs: np.ndarray, shape: tuple[int, ...], px_per_mm: float) -> np.ndarray:
    """The cluster of each of the pixels (ys, xs) of a mask of `shape`: pixels that lie
    within 2 x DUST_ISOLATION_MM of one another, in a chain, share one. Measured within the
    pixels' bounding box grown by the disc's reach, past which its dilation reaches nothing
    (where the box meets the mask's edge, both leave out what lies beyond)."""
    disc = 2 * T.DUST_ISOLATION_MM * px_per_mm
    reach = _disc(disc).shape[0] // 2
    top, left = max(int(ys.min()) - reach, 0), max(int(xs.min()) - reach, 0)
    bottom, right = min(int(ys.max()) + reach + 1, shape[0]), min(int(xs.max()) + reach + 1, shape[1])
    on = np.zeros((bottom - top, right - left), np.uint8)
    on[ys - top, xs - left] = 1
    _, clusters = cv2.connectedComponents(_by_disc_of(on, disc, cv2.MORPH_DILATE), connectivity=8)
    return clusters[ys - top, xs - left]


def _most_px(ink: np.ndarray, px_per_mm: float) -> int:
    """The most pixels `_ink_area_mm2` can count in an ink mask: those of its pieces larger
    than specks. It counts only pieces of the mask's strokes larger than specks, and each
    lies within one of these (the strokes are the mask less some pixels). One labelling,
    against the measure's morphology: most masks of a blank zone hold specks and the
    print's edges alone."""
    if np.count_nonzero(ink) <= T.SPECK_MAX_MM2 * px_per_mm**2:
        return 0
    mask = ink.astype(np.uint8)
    count, pieces = cv2.connectedComponents(mask, connectivity=8)
    area = np.bincount(pieces[_ink_px(mask)], minlength=count)  # a third of the labelling's time with its stats
    return int(area[area > T.SPECK_MAX_MM2 * px_per_mm**2].sum())


def _covers(ink: np.ndarray, mm2: float, px_per_mm: float, bands: bool = False) -> bool:
    """`_ink_area_mm2(ink, px_per_mm, bands) >= mm2`, measured only when its pieces may cover it."""
    return _most_px(ink, px_per_mm) / px_per_mm**2 >= mm2 and _ink_area_mm2(ink, px_per_mm, bands) >= mm2


def _faint_ink(strokes: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Ink of a light pencil hand: whole strokes (`strokes`, down to FAINT_STROKE_DARKNESS or
    fainter, the form's print left out) that are somewhere as dark as FAINT_INK_DARKNESS. A
    light, blurred stroke is only here and there darker than FAINT_INK_DARKNESS: those bits
    alone are specks, the strokes they lie on are writing."""
    count, pieces = cv2.connectedComponents(strokes.astype(np.uint8), connectivity=8)
    darkest = np.zeros(count, np.float32)
    np.maximum.at(darkest, pieces[strokes], dark[strokes])
    return strokes & (darkest[pieces] > T.FAINT_INK_DARKNESS)


def _hull_px(piece: np.ndarray) -> int:
    """Pixels of a piece's convex hull, drawn as the piece is (so a solid grain scores 1)."""
    hull = cv2.convexHull(cv2.findNonZero(piece.astype(np.uint8)))
    filled = np.zeros(piece.shape, np.uint8)
    cv2.fillConvexPoly(filled, hull, 1)
    return int(np.count_nonzero(filled | piece))


def _line_like(area: np.ndarray, extent: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Pieces that run on thin with hardly a turn: a hair, a crease's broken ridge, a line
    of show-through. Their ink per mm of extent is their width; letters, whose strokes turn
    back on themselves, have several times their width."""
    per_mm = area / np.maximum(extent, 1) / px_per_mm
    return (per_mm <= T.HAIR_WIDTH_MM) | ((extent >= T.LINE_LIKE_MIN_MM * px_per_mm) & (per_mm <= T.LINE_LIKE_WIDTH_MM))


def _long_lines(ink: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The pieces of an ink mask that `_line_like` takes for lines and that run at least
    LINE_LIKE_MIN_MM (a hair, a crease's ridge), as a mask; none among specks alone."""
    if np.count_nonzero(ink) <= T.SPECK_MAX_MM2 * px_per_mm**2:
        return np.zeros(ink.shape, bool)
    pieces = _Pieces.of(_strokes(ink, px_per_mm))
    line = _line_like(pieces.area, pieces.extent, px_per_mm) & (pieces.extent >= T.LINE_LIKE_MIN_MM * px_per_mm)
    lines = np.zeros(ink.shape, bool)
    lines[pieces.ys, pieces.xs] = line[pieces.of_px]  # the background's extent, 0, is no line's
    return lines


def _apart_from(ink: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """`ink` without its pieces that hold any of `lines`."""
    if not lines.any():
        return ink
    count, pieces = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    touched = np.zeros(count, bool)
    touched[pieces[lines & ink]] = True
    touched[0] = False
    return ink & ~touched[pieces]


def _best_shift(wider: np.ndarray, profile: np.ndarray) -> int:
    """Where `profile` fits best along the longer `wider` (both darkness sums)."""
    fits = np.correlate(wider - wider.mean(), profile - profile.mean(), mode="valid")
    return int(np.argmax(fits))


def _disc(diameter_px: float) -> np.ndarray:
    size = 2 * round(diameter_px / 2) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


_PASSES = {cv2.MORPH_DILATE: ((cv2.dilate, cv2.max),), cv2.MORPH_ERODE: ((cv2.erode, cv2.min),),
           cv2.MORPH_OPEN: ((cv2.erode, cv2.min), (cv2.dilate, cv2.max)),
           cv2.MORPH_CLOSE: ((cv2.dilate, cv2.max), (cv2.erode, cv2.min))}


def _by_disc_of(image: np.ndarray, diameter_px: float, op: int) -> np.ndarray:
    """`cv2.morphologyEx(image, op, _disc(diameter_px))` of a uint8 image, to the pixel,
    border included; a disc DISC_BY_PARTS_MIN_PX wide or more is passed as its parts
    (`_by_disc`)."""
    disc = _disc(diameter_px)
    if disc.shape[0] < DISC_BY_PARTS_MIN_PX:
        return cv2.morphologyEx(image, op, disc)
    for morph, combine in _PASSES[op]:
        image = _by_disc(image, disc.shape[0], morph, combine)
    return image


def _by_disc(image: np.ndarray, size: int, morph, combine) -> np.ndarray:
    """`morph` (dilate, erode) of a uint8 image by the disc `size` px wide, as the `combine`
    (max, min) of its centred rectangles (`_disc_parts`). OpenCV leaves out what lies past
    the image's edge, and so does each pass."""
    steps, last = _disc_parts(size)
    rows, out = image, None
    for along, down in steps:
        rows = rows if along is None else morph(rows, along)
        out = rows if out is None else combine(rows, out if down is None else morph(out, down))
    return out if last is None else morph(out, last)


@functools.cache
def _disc_parts(size: int) -> tuple[tuple[tuple[np.ndarray | None, np.ndarray | None], ...], np.ndarray | None]:
    """The passes of `_by_disc` by `_disc` of `size` px: for each of its centred rectangles
    (its rows at least w wide span a centred band), narrowest first, the pass along the
    rows that widens the last one's to it, and the pass down the columns that takes what
    was combined so far by the difference of the two bands' heights (Horner's way; the
    last, after them all, by the widest's). Every pass is short: a pixel is visited some
    twice the disc's width times in all, not its area's (a thousand for a zone's paper
    read finely). None: no pass."""
    widths = np.count_nonzero(_disc(size - 1), axis=1)  # odd, centred: the ellipse's rows are symmetric
    r = size // 2
    reaches = {int(w): int(r - np.argmax(widths >= w)) for w in np.unique(widths)}  # the band's half height
    parts, done_w, done_reach = [], 1, None
    for w, reach in reaches.items():
        along = np.ones((1, w - done_w + 1), np.uint8) if w > done_w else None
        down = None if done_reach in (None, reach) else np.ones((2 * (done_reach - reach) + 1, 1), np.uint8)
        parts.append((along, down))
        done_w, done_reach = w, reach
    return tuple(parts), (np.ones((2 * done_reach + 1, 1), np.uint8) if done_reach else None)


def _strokes(ink: np.ndarray, px_per_mm: float, bands: bool = False) -> np.ndarray:
    """The ink mask without what no pen wrote: broad areas (a shadow, the back page
    showing through, a smudge) with a rim along them, and long straight lines across
    the zone (a crease, near level or upright on a letter fold), with gaps bridged.
    `bands`: lines as thick as a line of words (`_thin_lines`) are left in."""
    mask = ink.astype(np.uint8)
    if not mask.any():
        return mask
    broad = _opened(mask, T.STROKE_MAX_MM * px_per_mm)
    long_px, gap_px = round(T.LINE_MIN_MM * px_per_mm), max(1, round(T.LINE_GAP_MM * px_per_mm))
    lines = [_lines_along(mask, long_px, gap_px, along) for along in (1, 0)]
    if bands:
        lines = [_thin_lines(found, along, px_per_mm) for found, along in zip(lines, (1, 0))]
    lines = lines[0] | lines[1]
    if not lines.any() and not broad.any():  # most masks: writing has neither
        return mask
    rim = _by_disc_of(lines, 0.5 * px_per_mm, cv2.MORPH_DILATE)
    if broad.any():  # rarely: writing has none
        rim |= _by_disc_of(broad, T.STROKE_MAX_MM / 2 * px_per_mm, cv2.MORPH_DILATE)
    return mask & (1 - rim)


def _lines_along(mask: np.ndarray, long_px: int, gap_px: int, along: int) -> np.ndarray:
    """The runs along a 0/1 mask's rows (`along` 1) or columns (0) `long_px` long or more
    once gaps up to `gap_px` are bridged, extended along themselves by half that (the bits
    of a line cut off by the frame's masked lines). Each row (column) is its own, and only
    one holding as many pixels as such a run, or as the shorter run at its ends that
    OpenCV's erosion keeps (it takes what lies past the edge as ink), can hold one: the
    others are not passed at all."""
    line = np.ones((1, long_px) if along else (long_px, 1), np.uint8)
    bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, gap_px) if along else (gap_px, 1), np.uint8))
    counts = cv2.reduce(bridged, along, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    at = np.flatnonzero(counts >= _least_run(long_px, mask.shape[along]))
    lines = np.zeros_like(mask)
    if at.size:
        where = (at,) if along else (slice(None), at)
        lines[where] = cv2.dilate(cv2.morphologyEx(np.ascontiguousarray(bridged[where]), cv2.MORPH_OPEN, line), line)
    return lines


def _thin_lines(lines: np.ndarray, along: int, px_per_mm: float) -> np.ndarray:
    """The pieces of `_lines_along`'s mask (along rows, 1, or columns, 0) no thicker on
    average than LINE_BAND_MM: a fold's ridge or a frame's line, not a line of words whose
    letters motion blur smeared into one another along it, as thick as they are tall."""
    if not lines.any():
        return lines
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    length = stats[:, cv2.CC_STAT_WIDTH if along else cv2.CC_STAT_HEIGHT]
    thin = stats[:, cv2.CC_STAT_AREA] <= T.LINE_BAND_MM * px_per_mm * length
    thin[0] = False
    return thin[pieces].astype(np.uint8)


def _least_run(width: int, row: int) -> int:
    """The shortest run along a row `row` px long that OpenCV's erosion by a level line
    `width` px long keeps a pixel of: one ending at the row's edge, whose outside counts as
    ink, and reaching the line's far end from its anchor (its middle); the whole row at most."""
    anchor = width // 2
    return min(width - anchor, anchor + 1, row)


def _opened(mask: np.ndarray, diameter_px: float) -> np.ndarray:
    """`_by_disc_of(mask, diameter_px, cv2.MORPH_OPEN)` of a 0/1 mask, told empty in one
    pass when no run along its rows is as wide as the disc (a pen's strokes): the disc's
    middle row spans its width, so its erosion keeps no pixel then."""
    width = _disc(diameter_px).shape[1]
    counts = cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    rows = np.flatnonzero(counts >= _least_run(width, mask.shape[1]))  # the others keep nothing
    if not rows.size or not cv2.erode(mask[rows], np.ones((1, width), np.uint8)).any():
        return np.zeros_like(mask)
    return _by_disc_of(mask, diameter_px, cv2.MORPH_OPEN)


def _paper(crop: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The paper around each pixel of a grey crop, not the crop's: what is left once
    everything narrower than PAPER_CLOSE_MM is closed over (strokes, print), so a shadow or
    the light falling off across a phone photo is paper, and writing in it ink."""
    return _by_disc_of(crop, T.PAPER_CLOSE_MM * px_per_mm, cv2.MORPH_CLOSE)


def _finer(paper: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A zone's paper found coarsely, resampled to its crop of `shape` at a finer scale: the
    paper is smooth at PAPER_CLOSE_MM, and closing the fine crop by a disc twice as wide
    cost a written zone two thirds of its cleaning (the two differ by a third of a grey
    level on average, 2 at the 99th percentile)."""
    return cv2.resize(paper, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _darkness_against(paper: np.ndarray, crop: np.ndarray) -> np.ndarray:
    """Each pixel's darkness against its paper (`_paper`), both grey (uint8)."""
    paper = paper.astype(np.float32)
    dark = paper - crop
    np.divide(dark, np.maximum(paper, 1.0, out=paper), out=dark)  # in place: a coarse zone's 200,000 pixels
    return np.clip(dark, 0.0, 1.0, out=dark)


def _clean(dark: np.ndarray) -> np.ndarray:
    """Black text on white whatever the paper colour: what OCR and people read best."""
    return (255 - np.clip(dark * 1.4, 0, 1) * 255).astype(np.uint8)


def _cleaned(crop: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """`_clean(_darkness_against(paper, crop))`, each pixel looked up by its grey and its
    paper's in a table of what every two make: the same bytes, for a fifth of the arithmetic
    on a fine zone's million pixels."""
    return np.take(_clean_table(), (paper.astype(np.uint16) << 8) | crop)


@functools.cache
def _clean_table() -> np.ndarray:
    """`_clean` of the darkness of every grey against every paper, at paper x 256 + grey."""
    paper, grey = np.indices((256, 256), np.uint8)
    table = _clean(_darkness_against(paper, grey)).ravel()
    table.flags.writeable = False
    return table


def _blank_pages(template: Template, page: int) -> list[np.ndarray]:
    """The blank page at each of SCALES, grey: the template's image of it when it has one
    (`reference_pages`: a form made elsewhere prints more around its zones than the
    template draws, such as its prompts where they are, table cells, typed lines), else
    drawn from the template (once for both scales: drawing costs more than rasterising)."""
    path = template.reference_page(page)
    image = None if path is None else cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        plain = _clear_of_codes(template, page)
        blanks = page_rasters(template, page, tuple(scale * 25.4 for scale in SCALES), plain=plain)
        return [cv2.cvtColor(blank, cv2.COLOR_BGR2GRAY) for blank in blanks]
    w, h = template.page_size_mm
    # A scan's grain is not print: the median takes it away, and leaves lines and letters.
    image = cv2.medianBlur(image, 3)
    return [cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) for s in SCALES]


def _clear_of_codes(template: Template, page: int) -> bool:
    """Whether every comment zone of the page, as far around it as its blank appearance
    is looked at (`CommentReader._mask_page`), lies CODES_CLEAR_MM or more from the corner
    markers and the QR code: the page can then be drawn without them (two thirds of its
    drawing's time), the same pixels around the zones."""
    reg = template.registration
    codes = [*marker_boxes(template), (*reg.qr_at_mm, reg.qr_size_mm)]
    for zone in template.comments_on(page):
        x, y, w, h = _grow(zone.box_mm, T.COMMENT_MARGIN_MM + T.COMMENT_ALIGN_MM + CODES_CLEAR_MM)
        if any(x < cx + side and cx < x + w and y < cy + side and cy < y + h for cx, cy, side in codes):
            return False
    return True


class CommentReader:
    """Reads a template's comment zones; holds each zone's blank appearance."""

    def __init__(self, template: Template, engine: OcrEngine):
        self.template = template
        self.engine = engine
        self.lexicon = Lexicon.system() if engine.name != "none" else None
        self._printed: dict[tuple[str, float], np.ndarray] = {}
        self._print_around: dict[tuple[str, float], np.ndarray] = {}
        self._print_sums: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}

    def prepare(self) -> None:
        """Draw every zone's blank appearance now (what a worker's start costs most), and
        load the OCR engine's model: a pool's parent does, before its workers fork."""
        for zone in self.template.comments:
            self._printed_mask(zone, SCALES[0])
        self.engine.load()

    def _printed_mask(self, zone: Comment, s: float) -> np.ndarray:
        """Where the blank form has ink around `zone` at `s` px/mm (one of SCALES), widened
        to allow for registration."""
        if (zone.id, s) not in self._printed:
            for scale, blank in zip(SCALES, _blank_pages(self.template, zone.page)):
                self._mask_page(zone.page, blank, scale)
        return self._printed[zone.id, s]

    def _mask_page(self, page: int, blank: np.ndarray, s: float) -> None:
        drawn = PageTransform.from_array(mm_to_pixels(s))
        slack = 2 * round(T.COMMENT_PRINT_SLACK_MM * s) + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (slack, slack))
        for zone in self.template.comments_on(page):
            around = darkness(drawn.crop(blank, _grow(zone.box_mm, T.COMMENT_MARGIN_MM + T.COMMENT_ALIGN_MM), s))
            self._print_around[zone.id, s] = around
            self._print_sums[zone.id, s] = around.sum(axis=1), around.sum(axis=0)  # by rows, by columns
            inner = round(T.COMMENT_ALIGN_MM * s)
            dark = around[inner:around.shape[0] - inner, inner:around.shape[1] - inner]
            self._printed[zone.id, s] = cv2.dilate((dark > NOISE_DARKNESS).astype(np.uint8), kernel) > 0

    def _crop(self, grey: np.ndarray, transform: PageTransform, zone: Comment, s: float) -> np.ndarray:
        """The zone with its margin at `s` px/mm."""
        return transform.crop(grey, _grow(zone.box_mm, T.COMMENT_MARGIN_MM), s)

    def _ink(self, dark: np.ndarray, zone: Comment, s: float, level: float = T.INK_DARKNESS) -> np.ndarray:
        """Where a zone's darkness at `s` px/mm shows ink (darker than `level`), what the
        form prints there left out."""
        return (dark > level) & ~self._printed_mask(zone, s)

    def _ink_over_print(self, dark: np.ndarray, zone: Comment, s: float) -> np.ndarray:
        """Where a zone's darkness shows ink, leaving out only the form's print itself once it
        is aligned on the scan's: writing over the frame or the prompt, which the wider mask
        of `_ink` can hide whole (a word written across the frame's top line and the prompt)."""
        around = self._print_around[zone.id, s]
        # The frame's long lines fix the offset: rows and columns are matched apart, 1-D.
        dy, dx = (_best_shift(sums, dark.sum(axis=axis)) for sums, axis in zip(self._print_sums[zone.id, s], (1, 0)))
        aligned = around[dy:dy + dark.shape[0], dx:dx + dark.shape[1]] > NOISE_DARKNESS
        printed = _by_disc_of(aligned.astype(np.uint8), 2 * T.COMMENT_PRINT_TIGHT_MM * s, cv2.MORPH_DILATE) > 0
        return (dark > T.INK_DARKNESS) & ~printed

    def _writing_mm2(self, dark: np.ndarray, zone: Comment, s: float) -> tuple[float, bool]:
        """The zone's writing area in its darkness at `s` px/mm, and, when that says blank,
        whether a second look finds writing: ink fainter than INK_DARKNESS (a light pencil
        hand), or over the print (left out no wider than itself). Whole faint strokes covering
        FAINT_WRITTEN_MM2 are no second look's doubt: their area is the zone's, read as written."""
        ink = self._ink(dark, zone, s)
        area = _ink_area_mm2(ink, s)
        if area >= T.WRITTEN_MIN_MM2:
            return area, False
        # A hair is a thin line in the usual ink; its grey edges widen it past one in fainter
        # ink, where its turns and the dust beside it would pass for writing: it is left out
        # (found once, when a faint look is measured).
        lines = functools.cache(lambda: _long_lines(ink, s))
        strokes = self._ink(dark, zone, s, T.FAINT_STROKE_DARKNESS)
        # Pieces too small or too few to cover an area leave no measure of them to reach it
        # (most blank zones): neither the faint strokes, nor the fainter ink, which lies
        # within them, nor either less the pieces that hold a hair.
        most = _most_px(strokes, s) / s**2
        if most >= T.WRITTEN_MIN_MM2:
            # The strokes' pixels bound their measure: under the least it acts on, it is not taken.
            faint = (_ink_area_mm2(_apart_from(_faint_ink(strokes, dark), lines()), s)
                     if most >= T.FAINT_LETTERED_MM2 else 0.0)
            if faint >= T.FAINT_WRITTEN_MM2:
                return faint, False
            # Less of them is still lettered writing, not blank: a small light hand blurred
            # along the frame's line, whose letters the fainter look below sees as specks
            # (fresh seed 258435760, s0113 q13_comment: 21 mm² so, read blank at 1.0).
            if faint >= T.FAINT_LETTERED_MM2:
                return area, True
            fainter = self._ink(dark, zone, s, T.FAINT_INK_DARKNESS)
            if (_most_px(fainter, s) / s**2 >= T.WRITTEN_MIN_MM2  # before the hairs are found
                    and _covers(_apart_from(fainter, lines()), T.WRITTEN_MIN_MM2, s)):
                return area, True
        # Words whose letters motion blur smeared into one another along a line run on as
        # far as a fold's ridge, and the line rule takes them away: lettered bands left in,
        # they are writing to look at, not blank (fresh seed 367658525, s0048 role_detail:
        # a printed comment on a 150-dpi phone photo, 133 mm² of ink, read blank at 1.0).
        return area, (_covers(ink, T.WRITTEN_MIN_MM2, s, bands=True)
                      or _covers(self._ink_over_print(dark, zone, s), T.WRITTEN_MIN_MM2, s))

    def _faintest_hand(self, darks: dict[str, np.ndarray], zones: list[Comment], s: float) -> list[Comment]:
        """The zones among `zones` (those of a page that look blank) that hold a light hand
        faded under the faint looks' levels: whole strokes down to NOISE_DARKNESS that reach
        FAINT_INK_DARKNESS somewhere cover FAINT_LETTERED_MM2, lettered, while the page's other
        blank-looking zones hold less than WRITTEN_MIN_MM2 of lettered ink down to
        NOISE_DARKNESS. The faint looks' levels sit above a grainy photo's noise; motion blur
        that smooths a photo's grain away fades a light hand under them too (fresh seed
        484488196, s0022 q19_comment: a line of pencil on a 150-dpi phone photo between 0.06
        and 0.1 dark, read blank at 1.0). At NOISE_DARKNESS, a page's grain, a photocopy's
        toner and the back page's print showing through are lettered ink too, but in every
        zone they cover, and the others show it (`_page_faint`): no look without them."""
        if len(zones) < 2:
            return []  # nothing to tell the page's own faint ink by
        lines = {zone.id: functools.cache(lambda zone=zone: _long_lines(self._ink(darks[zone.id], zone, s), s))
                 for zone in zones}
        faint = [zone for zone in zones if self._lettered_faint(darks[zone.id], zone, s, lines[zone.id])]
        if not faint:
            return []  # most pages
        page_faint = {zone.id: self._page_faint(darks[zone.id], zone, s, lines[zone.id]) for zone in zones}
        return [zone for zone in faint if not any(page_faint[other.id] for other in zones if other is not zone)]

    def _lettered_faint(self, dark: np.ndarray, zone: Comment, s: float, lines: Callable[[], np.ndarray]) -> bool:
        """Whether whole strokes down to NOISE_DARKNESS that reach FAINT_INK_DARKNESS cover
        FAINT_LETTERED_MM2 of the zone, lettered (hairs left out)."""
        strokes = self._ink(dark, zone, s, NOISE_DARKNESS)
        if _most_px(strokes, s) / s**2 < T.FAINT_LETTERED_MM2:
            return False  # most blank zones: specks at most
        return _covers(_apart_from(_faint_ink(strokes, dark), lines()), T.FAINT_LETTERED_MM2, s)

    def _page_faint(self, dark: np.ndarray, zone: Comment, s: float, lines: Callable[[], np.ndarray]) -> bool:
        """Whether a zone holds WRITTEN_MIN_MM2 of lettered ink down to NOISE_DARKNESS (hairs
        left out): on a blank-looking zone, the page's grain or what shows through it."""
        ink = self._ink(dark, zone, s, NOISE_DARKNESS)
        return (_most_px(ink, s) / s**2 >= T.WRITTEN_MIN_MM2
                and _covers(_apart_from(ink, lines()), T.WRITTEN_MIN_MM2, s))

    def _clean_zone(self, grey: np.ndarray, transform: PageTransform, zone: Comment, s: float,
                    paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The zone at `s` px/mm cleaned for people, and the same with what the form prints
        taken away (for OCR); `paper`: its paper found at a coarser scale."""
        # Against the paper around each pixel, as writing is measured: words under a
        # phone's shadow come out black on white with the rest, not dark on grey for
        # Tesseract to leave out.
        crop = self._crop(grey, transform, zone, s)
        cleaned = _cleaned(crop, _finer(paper, crop.shape))
        return cleaned, np.where(self._printed_mask(zone, s), np.uint8(255), cleaned)  # 255: what _clean makes of no ink

    def read_page(self, grey: np.ndarray, transform: PageTransform, zones: list[Comment]) -> list[CommentReading]:
        """Measure every comment zone of a page and transcribe the written ones.

        Whether a zone is written is told at a coarse resolution (most zones are blank);
        only written ones are resampled finely for OCR and their crop.
        """
        coarse, fine = SCALES
        papers, darks, measured = {}, {}, {}
        for zone in zones:
            crop = self._crop(grey, transform, zone, coarse)
            papers[zone.id] = _paper(crop, coarse)
            darks[zone.id] = _darkness_against(papers[zone.id], crop)
            measured[zone.id] = self._writing_mm2(darks[zone.id], zone, coarse)
        blank = [zone for zone in zones if measured[zone.id][0] < T.WRITTEN_MIN_MM2 and not measured[zone.id][1]]
        for zone in self._faintest_hand(darks, blank, coarse):
            measured[zone.id] = (measured[zone.id][0], True)
        written = {zone.id: self._clean_zone(grey, transform, zone, fine, papers[zone.id]) for zone in zones
                   if measured[zone.id][0] >= T.WRITTEN_MIN_MM2 or measured[zone.id][1]}
        in_picture = transform.boxes_in_picture([zone.box_mm for zone in zones], grey.shape) if zones else []
        ocr = _ocr_stacked([writing for _, writing in written.values()], self.engine)
        texts = dict(zip(written, ocr))
        readings = []
        for zone, inside in zip(zones, in_picture):
            text, confidence, word_confidences, unread = texts.get(zone.id, ("", 0.0, (), 0.0))
            crop = _crop_jpeg(written[zone.id][0], fine) if zone.id in written else None
            unknown = self.lexicon.unknown(text) if self.lexicon and text else ()
            ink, second_look = measured[zone.id]
            readings.append(CommentReading(zone.id, round(ink, 2), text, round(confidence, 3),
                                           zone.id in texts, unknown, crop, word_confidences, second_look,
                                           not inside, round(unread, 2)))
        return readings


def _crop_jpeg(image: np.ndarray, px_per_mm: float) -> bytes:
    factor = CROP_PX_PER_MM / px_per_mm
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY])[1].tobytes()


def _ocr_stacked(images: list[np.ndarray], engine: OcrEngine) -> list[tuple[str, float, tuple[float, ...], float]]:
    """OCR several zone images in one call: each one's text, confidence, word confidences
    and unread writing (`_unread_mm2`), in order."""
    if not images or engine.name == "none":
        return []
    # Only as wide as the writing reaches, and a gap: Tesseract's time grows with the white
    # it looks through, and most comments fill a short part of their zone's width.
    width = min(max(img.shape[1] for img in images), max(_ink_right(img) for img in images) + STACK_GAP_PX)
    tops, parts, y = [], [], STACK_GAP_PX
    parts.append(np.full((STACK_GAP_PX, width), 255, np.uint8))
    for img in images:
        tops.append(y)
        padded = np.full((img.shape[0], width), 255, np.uint8)
        padded[:, : min(width, img.shape[1])] = img[:, :width]
        parts += [padded, np.full((STACK_GAP_PX, width), 255, np.uint8)]
        y += img.shape[0] + STACK_GAP_PX
    words = _read_scaled(engine, np.vstack(parts), OCR_PX_PER_MM / T.COMMENT_PX_PER_MM)
    spans = [(top, top + img.shape[0]) for top, img in zip(tops, images)]
    zone_words = [[w for w in words if top <= w.y + w.height / 2 < bottom] for top, bottom in spans]
    return [(*_join(found), _unread_mm2(img, found, top)) for img, found, top in zip(images, zone_words, tops)]


def _read_scaled(engine: OcrEngine, image: np.ndarray, factor: float) -> list[Word]:
    """The words of `image` read at `factor` of its size, each box in `image`'s pixels: all
    those its pixels at that size cover (so no writing under a word's box reads as left out
    for rounding)."""
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    fx, fy = image.shape[1] / small.shape[1], image.shape[0] / small.shape[0]
    out = []
    for w in engine.read(small):
        x, y = math.floor(w.x * fx), math.floor(w.y * fy)
        right, bottom = math.ceil((w.x + w.width) * fx), math.ceil((w.y + w.height) * fy)
        out.append(dataclasses.replace(w, x=x, y=y, width=right - x, height=bottom - y))
    return out


def _grey_of(darkness: float) -> int:
    """The grey a cleaned zone (`_clean`) gives ink of `darkness`."""
    return int(_clean(np.float32(darkness)))


def _unread_mm2(image: np.ndarray, words: list[Word], top: int) -> float:
    """Writing in a cleaned zone (its top at `top` in the stacked image) that lies under
    none of `words`' boxes: a word Tesseract saw as part of the picture and left out, as
    it may one crossed by a crease, while sure of the rest. Ink is counted down to
    FAINT_INK_DARKNESS, as a light hand's strokes are: Tesseract's binarisation drops a light
    hand's end beside darker strokes, and at mid-grey its thin strokes were specks or hairs
    (fresh17 seed 1978158215 s0021 q18_comment, "We share a vision but not al", `ok`)."""
    ink = (image < _grey_of(T.FAINT_INK_DARKNESS)).astype(np.uint8)
    slack = round(T.WORD_BOX_SLACK_MM * T.COMMENT_PX_PER_MM)
    for w in words:
        y = w.y - top
        ink[max(0, y - slack):y + w.height + slack, max(0, w.x - slack):w.x + w.width + slack] = 0
    return _ink_area_mm2(ink, T.COMMENT_PX_PER_MM)


def _ink_right(image: np.ndarray) -> int:
    """One past the rightmost column of a cleaned zone that holds ink as faint as writing
    is ever counted (FAINT_INK_DARKNESS; 0 for none). Writing lighter than mid-grey past
    the last darker stroke was cut off the stack unread, and the comment read `ok` without
    it (fresh17 seed 187926935 s0185 q15_comment lost its second sentence)."""
    columns = np.flatnonzero((image < _grey_of(T.FAINT_INK_DARKNESS)).any(axis=0))
    return int(columns[-1]) + 1 if columns.size else 0


def _join(words: list[Word]) -> tuple[str, float, tuple[float, ...]]:
    """The words in Tesseract's reading order, the confidence of the least sure word (one
    misread word makes a comment wrong, however well the others were read), and each word's."""
    if not words:
        return "", 0.0, ()
    return " ".join(w.text for w in words), min(w.confidence for w in words), tuple(w.confidence for w in words)


def decide_comment(reading: CommentReading) -> FieldResult:
    """A comment zone's value and status from its reading."""
    evidence = {"ink_mm2": reading.ink_mm2, "second_look": reading.second_look, "ocr_confidence": reading.confidence,
                "unknown_words": list(reading.unknown_words),
                "word_confidences": [round(c, 3) for c in reading.word_confidences],
                "unread_mm2": reading.unread_mm2}
    if reading.cut_off:
        return FieldResult(reading.item, reading.text, Status.REVIEW, 0.0, Reason.CUT_OFF, evidence)
    if reading.second_look:
        return FieldResult(reading.item, reading.text, Status.REVIEW, 0.4, Reason.MAYBE_WRITTEN, evidence)
    if reading.ink_mm2 < T.WRITTEN_MIN_MM2:
        confidence = 1.0 - 0.5 * reading.ink_mm2 / T.WRITTEN_MIN_MM2
        return FieldResult(reading.item, "", Status.BLANK, round(confidence, 3), None, evidence)
    if reading.ink_mm2 < T.WRITTEN_SURE_MM2:
        return FieldResult(reading.item, reading.text, Status.REVIEW, 0.4, Reason.MAYBE_WRITTEN, evidence)
    if not reading.ocr:
        return FieldResult(reading.item, "", Status.REVIEW, 0.0, Reason.NOT_READ, evidence)
    if reading.confidence < T.OCR_OK_CONFIDENCE or not reading.text:
        return FieldResult(reading.item, reading.text, Status.REVIEW, reading.confidence, Reason.OCR_UNSURE, evidence)
    if reading.unread_mm2 >= T.UNREAD_INK_MM2:
        return FieldResult(reading.item, reading.text, Status.REVIEW, reading.confidence / 2, Reason.UNREAD_INK,
                           evidence)
    if reading.unknown_words:
        return FieldResult(reading.item, reading.text, Status.REVIEW, reading.confidence / 2, Reason.UNKNOWN_WORDS,
                           evidence)
    return FieldResult(reading.item, reading.text, Status.OK, reading.confidence, None, evidence)
