"""What the draft finds printed on a page, and the geometry it measures that with.

A page's content (`PageContent`: tick boxes, words, frames, in mm from the page's
top-left) comes from a PDF's own drawing (`scanner.draft.pdf`) or from a scan's pixels
(`scanner.draft.image`); `scanner.draft.layout` turns it into a template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from scanner.template import Box, Template

PT_MM = 25.4 / 72
REFERENCE_DPI = 200
"""Resolution of the page images the draft keeps (and of the raster a PDF's glyph boxes
are measured on: 0.13 mm a pixel, well inside the 0.5 mm the boxes must be right to)."""

# What a tick box looks like, in mm; a letter O of body text is under 3 mm.
BOX_MIN_MM, BOX_MAX_MM = 2.8, 9.0
BOX_ASPECT = 1.35
"""Largest ratio of a tick box's longer side to its shorter."""
GLYPH_BOXES = frozenset("☐□◻❑❒○◯◦⚪")
"""Characters that print as an empty box or circle to tick (U+2610, U+25A1, U+25CB, ...)."""

# A comment zone: an empty frame at least this big.
ZONE_MIN_W_MM, ZONE_MIN_H_MM = 25.0, 6.0
# Writing lines: rules at least ZONE_MIN_W_MM long, no thicker than RULE_MAX_MM, two or
# more of about one length RULE_PITCH_MM apart (5 to 10 mm on forms: handwriting's height).
RULE_MAX_MM = 1.0
RULE_PITCH_MM = (4.0, 15.0)
BORDER_MIN_MM = 4.5
"""A vertical stroke this tall at a rule's end makes it a frame's or table's border, not a
writing line (a tall letter is under 3.5 mm)."""

ROW_TOLERANCE = 0.5
"""Boxes are on one row when their centres differ by less than this share of their height."""
WORD_GAP_MM = 2.2
"""Words closer than this on one line are one phrase (a label, an item's text)."""
LABEL_GAP_MM = 4.0
"""A phrase starting within this of a box's right edge is the box's label."""
HEADER_GAP_MM = 8.0
"""Column headers end at most this far above the first row they head."""
HEADER_LINE_GAP_MM = 3.0
"""Lines of one header are at most this far apart."""
HEADER_CELL_MARGIN_MM = 0.5
"""A header word a word's space after another word is in that word's cell when it lies
nearer that word than the box of the column its centre is nearest (Writer's left-aligned
"Not sure": "sure" 1.4 mm after "Not", 2.3 mm before the next column's box). Within this
of each other the two are too close to tell apart: a doubt (a third of a space at 11 pt)."""
SURE_OCR = 0.8
"""Labels and headers read by OCR with less confidence than this are listed as doubts."""
STACK_GAP = 3.0
"""Rows of labelled boxes at most this many box heights apart make one list item."""
COLUMN_MM = 1.5
"""Boxes of two rows whose centres are less than this apart across the page are in one
column (of a grid, of a list)."""


@dataclass(frozen=True)
class Word:
    """A printed word and where: mm from the page's top-left."""

    text: str
    box: Box
    confidence: float = 1.0
    """How sure OCR is of the word, 0 to 1 (a PDF's own text: 1)."""


@dataclass(frozen=True)
class PrintedBox:
    """A tick box or bubble found on the page."""

    box: Box
    shape: str
    """``square``, ``circle`` or ``glyph`` (a ☐ or ○ character)."""


@dataclass(frozen=True)
class PageContent:
    """What is printed on one page of the blank, in mm from its top-left."""

    number: int
    size_mm: tuple[float, float]
    image: np.ndarray
    """The page, greyscale, at REFERENCE_DPI (deskewed, for a scan): the reference page."""
    boxes: tuple[PrintedBox, ...]
    words: tuple[Word, ...]
    frames: tuple[Box, ...]
    """Closed rectangles big enough to write in (framed boxes, table cells)."""
    rules: tuple[Box, ...] = ()
    """Horizontal rules long enough to write on that are no frame's or table's border
    (drawn lines, runs of underscores): x, y, length and thickness."""
    small_glyphs: tuple[Box, ...] = ()
    """Box characters (☐) of the PDF that ink less than BOX_MIN_MM across: left out, and
    named, since a form set in small type prints them so."""


@dataclass(frozen=True)
class Doubt:
    """Something the draft is unsure of, for a person to check."""

    page: int
    what: str
    box_mm: Box | None = None


@dataclass(frozen=True)
class DraftResult:
    """The drafted template, the pages it was drafted from and what to check."""

    template: Template
    pages: tuple[PageContent, ...]
    doubts: tuple[Doubt, ...]
    loose_boxes: tuple[tuple[int, PrintedBox], ...] = ()
    """Boxes found that belong to no item (each has a doubt)."""
    source: str = ""


# ---------------------------------------------------------------- geometry helpers

def cx(b: Box) -> float:
    return b[0] + b[2] / 2


def cy(b: Box) -> float:
    return b[1] + b[3] / 2


def bottom(b: Box) -> float:
    return b[1] + b[3]


def right(b: Box) -> float:
    return b[0] + b[2]


def union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(right(b) for b in boxes), max(bottom(b) for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def inside(inner: Box, outer: Box, margin: float = 0.0) -> bool:
    return (inner[0] >= outer[0] - margin and inner[1] >= outer[1] - margin
            and right(inner) <= right(outer) + margin and bottom(inner) <= bottom(outer) + margin)


def is_tick_box(w: float, h: float) -> bool:
    """Whether a shape of `w` x `h` mm has a tick box's size and squareness."""
    return BOX_MIN_MM <= min(w, h) and max(w, h) <= BOX_MAX_MM and max(w, h) / min(w, h) <= BOX_ASPECT


def is_zone_frame(w: float, h: float) -> bool:
    """Whether a closed rectangle of `w` x `h` mm is big enough to write a comment in."""
    return w >= ZONE_MIN_W_MM and h >= ZONE_MIN_H_MM


def free_rules(rules: Iterable[Box], borders: Iterable[Box]) -> list[Box]:
    """The horizontal `rules` with no vertical border (x, y, thickness, height) at either
    end: writing lines, not the top or bottom of a frame or a table's row."""
    borders = list(borders)

    def bordered(rule: Box, x: float) -> bool:
        return any(abs(cx(b) - x) < 1.0 and b[1] - 1.0 <= cy(rule) <= bottom(b) + 1.0 for b in borders)

    return [r for r in rules if not bordered(r, r[0]) and not bordered(r, right(r))]

def norm(label: str) -> str:
    """A label without case and spacing, to compare."""
    return re.sub(r"\s+", "", label).lower()
