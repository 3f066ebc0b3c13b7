"""Draft a template from a form that was not made by scanner: its PDF, or a scan of a blank.

`scanner template draft BLANK -o form.yaml` for the many teams whose questionnaire was
made in a word processor and printed long before anyone thought of scanning it. What is
printed is found first, page by page (`PageContent`: tick boxes, words, framed zones, in
mm from the page's top-left): from a PDF's own vector content and text (pdfplumber), or
from the pixels of a scan (`scanner.draft_image`, with Tesseract for the text). Then one
layout step turns those into a template:

- boxes on one line form a row; a box with a word just to its right is a labelled option
  ("☐ Yes"), a row of boxes without is a grid row whose labels are the column headers
  printed above it (or above an earlier row with the same columns);
- a row's item text is what is printed to its left; stacked rows of labelled boxes with
  nothing to their left are one item (tick one of a list);
- an empty frame with nothing printed beside it is a comment zone;
- items are named after the numbers printed on the form (``1.`` and ``a)`` make q01,
  q07a), and repeated header sets become one scale.

Everything the layout step is unsure of is a `Doubt`, for a person to check against the
preview that `write_draft` draws. The drafted template says ``registration: {markers:
false}``: its pages are found on a scan by their print, matched against the reference
pages kept beside it (`scanner.register`).
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from scanner.errors import InputFileError, UsageError
from scanner.template import Box, Colour, Comment, Item, Option, Page, PrintedText, Registration, Scale, \
    ScaleOption, Template, layout, parse_template, template_yaml

log = logging.getLogger(__name__)

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
SURE_OCR = 0.8
"""Labels and headers read by OCR with less confidence than this are listed as doubts."""
STACK_GAP = 3.0
"""Rows of labelled boxes at most this many box heights apart make one list item."""


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

def _cx(b: Box) -> float:
    return b[0] + b[2] / 2


def _cy(b: Box) -> float:
    return b[1] + b[3] / 2


def _bottom(b: Box) -> float:
    return b[1] + b[3]


def _right(b: Box) -> float:
    return b[0] + b[2]


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(_right(b) for b in boxes), max(_bottom(b) for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _inside(inner: Box, outer: Box, margin: float = 0.0) -> bool:
    return (inner[0] >= outer[0] - margin and inner[1] >= outer[1] - margin
            and _right(inner) <= _right(outer) + margin and _bottom(inner) <= _bottom(outer) + margin)


def is_tick_box(w: float, h: float) -> bool:
    """Whether a shape of `w` x `h` mm has a tick box's size and squareness."""
    return BOX_MIN_MM <= min(w, h) and max(w, h) <= BOX_MAX_MM and max(w, h) / min(w, h) <= BOX_ASPECT


def is_zone_frame(w: float, h: float) -> bool:
    """Whether a closed rectangle of `w` x `h` mm is big enough to write a comment in."""
    return w >= ZONE_MIN_W_MM and h >= ZONE_MIN_H_MM


# ---------------------------------------------------------------- text: lines and phrases

@dataclass(frozen=True)
class Phrase:
    """Words next to each other on one line."""

    text: str
    box: Box
    confidence: float = 1.0


def _lines(words: Iterable[Word]) -> list[list[Word]]:
    """Words grouped into printed lines, top to bottom, each left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: _cy(w.box)):
        if lines and abs(_cy(word.box) - statistics.fmean(_cy(w.box) for w in lines[-1])) < 0.45 * word.box[3]:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.box[0]) for line in lines]


def _phrases(page: PageContent) -> list[Phrase]:
    """The page's words grouped into phrases: a wide gap or a box between words splits them."""
    phrases = []
    for line in _lines(page.words):
        run = [line[0]]
        for word in line[1:]:
            prev = run[-1]
            gap = word.box[0] - _right(prev.box)
            between = any(_right(prev.box) - 0.5 <= _cx(b.box) <= word.box[0] + 0.5
                          and abs(_cy(b.box) - _cy(word.box)) < b.box[3] for b in page.boxes)
            if gap > max(WORD_GAP_MM, 0.7 * word.box[3]) or between:
                phrases.append(_phrase(run))
                run = [word]
            else:
                run.append(word)
        phrases.append(_phrase(run))
    return phrases


def _phrase(words: list[Word]) -> Phrase:
    return Phrase(" ".join(w.text for w in words), _union(w.box for w in words), min(w.confidence for w in words))


# ---------------------------------------------------------------- rows, labels, headers

@dataclass
class _Row:
    page: int
    boxes: list[PrintedBox]
    labels: list[Phrase | None] = field(default_factory=list)
    text: list[Phrase] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(b.box[1] for b in self.boxes)

    @property
    def bottom(self) -> float:
        return max(_bottom(b.box) for b in self.boxes)

    @property
    def height(self) -> float:
        return statistics.median(b.box[3] for b in self.boxes)

    @property
    def centres(self) -> list[float]:
        return [_cx(b.box) for b in self.boxes]

    @property
    def labelled(self) -> bool:
        return all(self.labels)


def _rows(page: PageContent) -> list[_Row]:
    rows: list[_Row] = []
    for b in sorted(page.boxes, key=lambda b: _cy(b.box)):
        if rows and abs(_cy(b.box) - statistics.fmean(_cy(o.box) for o in rows[-1].boxes)) < ROW_TOLERANCE * b.box[3]:
            rows[-1].boxes.append(b)
        else:
            rows.append(_Row(page.number, [b]))
    for row in rows:
        row.boxes.sort(key=lambda b: b.box[0])
    return rows


def _label(box: Box, phrases: list[Phrase]) -> Phrase | None:
    """The phrase printed just right of a box, on its line: the box's own label."""
    for p in phrases:
        if _right(box) - 0.5 <= p.box[0] <= _right(box) + LABEL_GAP_MM and abs(_cy(p.box) - _cy(box)) < 0.6 * box[3]:
            return p
    return None


def _left_text(row: _Row, phrases: list[Phrase], used: set[int], rows: list[_Row], frames: tuple[Box, ...]) -> list[Phrase]:
    """The item text printed left of a row: the phrases on its line, then the lines that
    continue them below (a wrapped statement), up to the next row or frame."""
    left = row.boxes[0].box[0] - 0.5
    candidates = sorted((p for p in phrases if id(p) not in used and _right(p.box) <= left), key=lambda p: p.box[1])
    first = [p for p in candidates if row.top - 2.5 <= _cy(p.box) <= row.bottom + 0.5 or
             (p.box[1] <= _cy(row.boxes[0].box) <= _bottom(p.box))]
    if not first:
        return []
    below = [r.top for r in rows if r.top > row.bottom] + [f[1] for f in frames if f[1] > row.bottom]
    limit = min(below, default=float("inf")) - 0.5
    text = sorted(first, key=lambda p: (p.box[1], p.box[0]))
    x0 = min(p.box[0] for p in text)
    for p in candidates:
        if p in text or p.box[1] < _bottom(text[-1].box) - 0.5 or _bottom(p.box) > limit:
            continue
        if p.box[1] - _bottom(text[-1].box) <= 0.8 * p.box[3] and abs(p.box[0] - x0) < 3:
            text.append(p)
    return text


@dataclass(frozen=True)
class _Header:
    labels: tuple[str, ...]
    centres: tuple[float, ...]
    complete: bool
    confidence: float = 1.0


def _header(row: _Row, page: PageContent, rows: list[_Row]) -> tuple[_Header | None, list[Word]]:
    """The column headers printed above a grid row (and the words left over between columns)."""
    centres = row.centres
    pitch = statistics.median(np.diff(centres)) if len(centres) > 1 else 10.0
    band = (row.boxes[0].box[0] - pitch / 2, _right(row.boxes[-1].box) + pitch / 2)
    ceiling = max([r.bottom for r in rows if r.bottom < row.top and r.boxes[-1].box[0] < band[1]
                   and _right(r.boxes[0].box) > band[0]]
                  + [_bottom(f) for f in page.frames if _bottom(f) <= row.top + 0.5
                     and f[0] < _right(row.boxes[-1].box) and _right(f) > row.boxes[0].box[0]], default=0.0)
    above = [w for w in page.words if _bottom(w.box) <= row.top + 0.5 and w.box[1] >= ceiling - 0.5]
    taken: list[Word] = []
    edge = row.top
    for line in reversed(_lines(above)):
        inside = [w for w in line if band[0] <= _cx(w.box) <= band[1]]
        if not inside:
            continue
        gap = edge - max(_bottom(w.box) for w in inside)
        if gap > (HEADER_GAP_MM if not taken else HEADER_LINE_GAP_MM):
            break
        if any(w not in inside and _right(w.box) > band[0] - 15 for w in line):
            break  # a line of running text that reaches into the columns: a stem, not a header
        taken += inside
        edge = min(w.box[1] for w in inside)
    if not taken:
        return None, []
    columns: list[list[Word]] = [[] for _ in centres]
    stray = []
    for w in sorted(taken, key=lambda w: (round(w.box[1], 0), w.box[0])):
        k = int(np.argmin([abs(_cx(w.box) - c) for c in centres]))
        if abs(_cx(w.box) - centres[k]) <= pitch / 2:
            columns[k].append(w)
        else:
            stray.append(w)
    labels = tuple(" ".join(w.text for line in _lines(col) for w in line) for col in columns)
    confidence = min((w.confidence for col in columns for w in col), default=1.0)
    return _Header(labels, tuple(centres), all(labels), confidence), stray


# ---------------------------------------------------------------- the layout step

@dataclass
class _DraftItem:
    page: int
    boxes: list[PrintedBox]
    labels: list[str]
    text: list[Phrase]
    labelled: bool
    header: _Header | None = None

    @property
    def top(self) -> float:
        return min(b.box[1] for b in self.boxes)

    @property
    def left(self) -> float:
        return min(b.box[0] for b in self.boxes)


def _column_major(boxes: list[PrintedBox], labels: list[str]) -> tuple[list[PrintedBox], list[str]]:
    """A list item's options in reading order: down the first column, then the next."""
    pairs = sorted(zip(boxes, labels), key=lambda p: p[0].box[0])
    columns: list[list[tuple[PrintedBox, str]]] = []
    for pair in pairs:
        if columns and pair[0].box[0] - columns[-1][-1][0].box[0] < 3.0:
            columns[-1].append(pair)
        else:
            columns.append([pair])
    ordered = [p for col in columns for p in sorted(col, key=lambda p: p[0].box[1])]
    return [p[0] for p in ordered], [p[1] for p in ordered]


def _text_above(top: float, left: float, phrases: list[Phrase], used: set[int]) -> list[Phrase]:
    """The line printed just above a list of options (its question)."""
    above = [p for p in phrases if id(p) not in used and _bottom(p.box) <= top + 0.5 and top - _bottom(p.box) < 12
             and p.box[0] < left + 5 and _right(p.box) > left - 5]
    if not above:
        return []
    nearest = max(_bottom(p.box) for p in above)
    return sorted((p for p in above if _bottom(p.box) > nearest - 1.0), key=lambda p: p.box[0])


def _page_items(page: PageContent, phrases: list[Phrase], previous: list[_DraftItem],
                doubts: list[Doubt]) -> tuple[list[_DraftItem], list[PrintedBox], set[int]]:
    """The items of one page, the boxes that fit no item, and the phrases they used."""
    rows = _rows(page)
    used: set[int] = set()
    for row in rows:
        row.labels = [_label(b.box, phrases) for b in row.boxes]
        used |= {id(p) for p in row.labels if p is not None}
    for row in rows:
        row.text = _left_text(row, phrases, used, rows, page.frames)
        used |= {id(p) for p in row.text}
    items: list[_DraftItem] = []
    loose: list[PrintedBox] = []
    stack: list[_Row] = []

    def close_stack() -> None:
        if not stack:
            return
        boxes = [b for r in stack for b in r.boxes]
        _check_labels([p for r in stack for p in r.labels], page.number, doubts)
        labels = [p.text for r in stack for p in r.labels]
        boxes, labels = _column_major(boxes, labels)
        text = _text_above(min(r.top for r in stack), min(b.box[0] for b in boxes), phrases, used)
        used.update(id(p) for p in text)
        items.append(_DraftItem(page.number, boxes, labels, text, labelled=True))
        stack.clear()

    for row in rows:
        if row.labelled and not row.text:
            if stack and (row.top - stack[-1].bottom > STACK_GAP * row.height
                          or abs(row.boxes[0].box[0] - stack[-1].boxes[0].box[0]) > 1.5):
                close_stack()
            stack.append(row)
            continue
        close_stack()
        if row.labelled:
            _check_labels(row.labels, page.number, doubts)
            items.append(_DraftItem(page.number, row.boxes, [p.text for p in row.labels], row.text, labelled=True))
            continue
        if any(row.labels):
            doubts.append(Doubt(page.number, "some boxes of this row have a label beside them and some not; "
                                             "read as a grid row", _union(b.box for b in row.boxes)))
        item = _grid_item(row, page, rows, previous + items, doubts)
        if item is None:
            loose += row.boxes
        else:
            items.append(item)
    close_stack()
    return items, loose, used


def _check_labels(labels: list[Phrase], page: int, doubts: list[Doubt]) -> None:
    unsure = [p for p in labels if p.confidence < SURE_OCR]
    if unsure:
        doubts.append(Doubt(page, "option labels read with low confidence: " + " | ".join(p.text for p in unsure),
                            _union(p.box for p in unsure)))


def _same_columns(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 1.5 for x, y in zip(a, b))


def _grid_item(row: _Row, page: PageContent, rows: list[_Row], earlier: list[_DraftItem],
               doubts: list[Doubt]) -> _DraftItem | None:
    where = _union(b.box for b in row.boxes)
    header, stray = _header(row, page, rows)
    if stray:
        doubts.append(Doubt(page.number, "header words over no column of boxes: "
                            + " ".join(w.text for w in stray), _union(w.box for w in stray)))
    if header is not None and not header.complete:
        doubts.append(Doubt(page.number, "could not read the header of every column: "
                            + " | ".join(label or "?" for label in header.labels), where))
    elif header is not None and header.confidence < SURE_OCR:
        doubts.append(Doubt(page.number, "header read with low confidence: " + " | ".join(header.labels), where))
    if header is None:
        header = next((i.header for i in reversed(earlier) if i.header is not None
                       and _same_columns(i.header.centres, row.centres)), None)
    if header is None and not row.text:
        doubts.append(Doubt(page.number, f"{len(row.boxes)} box(es) with no label, no row text and no header: "
                                         "left out", where))
        return None
    if header is None:
        earlier_grid = next((i.header for i in reversed(earlier) if i.header is not None), None)
        if earlier_grid is not None and len(earlier_grid.labels) != len(row.boxes):
            doubts.append(Doubt(page.number, f"this row has {len(row.boxes)} boxes but the header above has "
                                             f"{len(earlier_grid.labels)} columns", where))
        else:
            doubts.append(Doubt(page.number, "no column header found for this row; options are numbered", where))
        header = _Header(tuple(str(k) for k in range(1, len(row.boxes) + 1)), tuple(row.centres), True)
    if not row.text:
        doubts.append(Doubt(page.number, "no item text found left of this row", where))
    labels = [label or f"Option {k}" for k, label in enumerate(header.labels, start=1)]
    return _DraftItem(page.number, row.boxes, labels, row.text, labelled=False, header=header)


def _snap_headers(items: list[_DraftItem], doubts: list[Doubt]) -> None:
    """Headers OCR was unsure of take the labels the form's other prints of the same
    header agree on. A questionnaire repeats its scales: headers of as many columns that
    match in at least half of them are one header set, and each column's label is the one
    read most often (a clear print outvotes a smudged one). Only headers read by OCR
    change, and each change is a doubt."""
    headers = list({id(i.header): i.header for i in items if i.header is not None}.values())
    sets: list[list[_Header]] = []
    for h in headers:
        home = next((group for group in sets if 2 * _agreement(h.labels, _consensus(group)) >= len(h.labels)), None)
        if home is None:
            sets.append([h])
        else:
            home.append(h)
    agreed = {id(h): _consensus(group) for group in sets if len(group) > 1 for h in group}
    told: set[int] = set()
    for item in items:
        h = item.header
        if h is None or id(h) not in agreed or h.confidence >= 1.0:
            continue  # a PDF's own text is taken as printed
        labels = agreed[id(h)]
        if tuple(item.labels) != labels and id(h) not in told:
            told.add(id(h))
            doubts.append(Doubt(item.page, f"header read as {' | '.join(l or '?' for l in h.labels)}: taken as "
                                           f"{' | '.join(labels)}, as read on the form's other prints of it",
                                _union(b.box for b in item.boxes)))
        item.labels = list(labels)


def _consensus(group: list[_Header]) -> tuple[str, ...]:
    """Each column's label as read most often (ties: the more confident read)."""
    out = []
    for k in range(len(group[0].labels)):
        votes = Counter(h.labels[k] for h in group if h.labels[k])
        best = max(votes, key=lambda label: (votes[label], max(h.confidence for h in group if h.labels[k] == label)),
                   default="")
        out.append(best)
    return tuple(out)


def _agreement(read: tuple[str, ...], labels: tuple[str, ...]) -> int:
    """Columns in which a header as read matches a known set of labels (case and spacing
    aside, a letter or two misread)."""
    if len(read) != len(labels):
        return 0
    return sum(bool(a) and difflib.SequenceMatcher(None, _norm(a), _norm(b)).ratio() >= 0.8
               for a, b in zip(read, labels))


def _comment_zones(page: PageContent, phrases: list[Phrase]) -> list[tuple[Box, str]]:
    """Empty frames with nothing printed beside them, each with the prompt just above it."""
    printed = [w.box for w in page.words] + [b.box for b in page.boxes]
    frames: list[tuple[Box, str]] = []
    for f in sorted(page.frames, key=lambda f: (round(f[1], 0), f[0])):
        if any(_inside(p, f, 0.3) for p in printed):
            continue  # written in already: a table cell with text, or a box
        if any(f[1] < _cy(p) < _bottom(f) for p in printed):
            continue  # a cell in a row of a table that holds other things (a grid's corner cell)
        if any(_inside(g, f, 0.5) and g[2] * g[3] < 0.9 * f[2] * f[3] for g in page.frames):
            continue  # a table's outline around its cells
        if any(all(abs(a - b) < 1.0 for a, b in zip(f, g)) for g, _ in frames):
            continue
        prompt = [p for p in phrases if 0 <= f[1] - _bottom(p.box) < 8 and abs(p.box[0] - f[0]) < 6]
        nearest = max((_bottom(p.box) for p in prompt), default=0.0)
        frames.append((f, " ".join(p.text for p in prompt if _bottom(p.box) > nearest - 1.0)))
    return frames


# ---------------------------------------------------------------- names and scales

_NUMBER = re.compile(r"^\(?(\d{1,3})[.):]?\s+(.*)$")
_LETTER = re.compile(r"^\(?[A-Za-z]?([a-zA-Z])[.)]\s+(.*)$")
"""A sub-item's letter, "a)" or "(a)"; OCR may read "c)" as "Cc)"."""


def _slug(text: str, words: int = 3) -> str:
    parts = re.findall(r"[a-z0-9]+", text.lower())
    slug = "_".join(parts[:words])[:24].strip("_") or "item"
    return slug if slug[0].isalpha() else f"x{slug}"


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def _scale_name(labels: tuple[str, ...], taken: set[str]) -> str:
    return _unique(f"{_slug(labels[0], 1)}{len(labels)}", taken)


def _text_of(item: _DraftItem) -> str:
    return " ".join(p.text for p in item.text).strip()


def _question_numbers(pages: list[list[Phrase]]) -> list[tuple[int, float, int]]:
    """(page, y, number) of every line that starts with a question number ("7." or "7)")."""
    found = []
    for number, phrases in enumerate(pages, start=1):
        for p in phrases:
            m = re.match(r"^(\d{1,3})[.)]\s", p.text + " ")
            if m:
                found.append((number, p.box[1], int(m.group(1))))
    return sorted(found)


def _last_number(numbers: list[tuple[int, float, int]], page: int, y: float) -> int | None:
    before = [n for n in numbers if (n[0], n[1]) <= (page, y + 0.5)]
    return before[-1][2] if before else None


# ---------------------------------------------------------------- the whole draft

def _layout(pages: list[PageContent], form: str, colours: list[Colour]) -> DraftResult:
    doubts: list[Doubt] = []
    phrases = [_phrases(p) for p in pages]
    draft_items: list[_DraftItem] = []
    loose: list[tuple[int, PrintedBox]] = []
    used: set[int] = set()
    for page, page_phrases in zip(pages, phrases):
        items, page_loose, page_used = _page_items(page, page_phrases, draft_items, doubts)
        draft_items += sorted(items, key=lambda i: (round(i.top, 0), i.left))
        loose += [(page.number, b) for b in page_loose]
        used |= page_used
    _snap_headers(draft_items, doubts)
    numbers = _question_numbers(phrases)
    scales: dict[tuple[str, ...], str] = {}
    taken_ids: set[str] = set()
    items = []
    for d in draft_items:
        labels = tuple(d.labels)
        if labels not in scales:
            scales[labels] = _scale_name(labels, set(scales.values()))
        items.append(_item(d, scales[labels], numbers, taken_ids))
    comments = []
    for page, page_phrases in zip(pages, phrases):
        for box, prompt in _comment_zones(page, page_phrases):
            number = _last_number(numbers, page.number, box[1])
            base = f"q{number:02d}_comment" if number is not None else _comment_base(items, page.number, box[1])
            comments.append(Comment(id=_unique(base, taken_ids), question=None if number is None else str(number),
                                    prompt=prompt, page=page.number, box_mm=_round(box)))
    texts = {p.number: _page_texts(ph, used) for p, ph in zip(pages, phrases)}
    data = Template(
        form=form, version="1", title=_title(phrases), page_size_mm=pages[0].size_mm,
        registration=Registration(markers=False), scales={name: Scale(options=[
            ScaleOption(code=k, label=label) for k, label in enumerate(labels, start=1)])
            for labels, name in scales.items()} or {"none": Scale(options=[ScaleOption(code=1, label="none")])},
        colours=colours, pages=[Page(number=p.number, texts=texts[p.number]) for p in pages],
        items=items, comments=comments,
    ).model_dump(mode="json")
    template = parse_template(data, f"the draft of {form}")
    for page_number, b in loose:
        log.debug("page %d: loose box at %s", page_number, b.box)
    return DraftResult(template, tuple(pages), tuple(doubts), tuple(loose))


def _round(box: Box) -> Box:
    return (round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))


def _item(d: _DraftItem, scale: str, numbers: list[tuple[int, float, int]], taken: set[str]) -> Item:
    text = _text_of(d)
    number = _last_number(numbers, d.page, d.text[0].box[1] if d.text else d.top)
    m_number, m_letter = _NUMBER.match(text), _LETTER.match(text)
    if m_number:
        name, text = f"q{int(m_number.group(1)):02d}", m_number.group(2)
    elif m_letter and number is not None:
        name, text = f"q{number:02d}{m_letter.group(1).lower()}", m_letter.group(2)
    else:
        name = _slug(re.sub(r"\(.*?\)", "", text) or "item")
    text = re.sub(r"\s*\((tick|please tick|choose|select)[^)]*\)\s*$", "", text, flags=re.I).strip() or name
    text_mm = None
    if d.text and not d.labelled:
        first = d.text[0].box
        text_mm = (round(first[0], 2), round(first[1], 2), round(max(_right(p.box) for p in d.text) - first[0] + 2, 2))
    return Item(id=_unique(name, taken), question=str(number) if m_letter and number is not None else
                (m_number.group(1) if m_number else None), text=text, scale=scale, page=d.page,
                text_mm=text_mm, label_options=d.labelled,
                options=[Option(code=k, box_mm=_round(b.box)) for k, b in enumerate(d.boxes, start=1)])


def _comment_base(items: list[Item], page: int, y: float) -> str:
    before = [i for i in items if (i.page, i.options[0].box_mm[1]) < (page, y)]
    return f"{before[-1].id}_comment" if before else "comment"


def _page_texts(phrases: list[Phrase], used: set[int]) -> list[PrintedText]:
    """The page's other text, so that rendering the draft looks like the form."""
    return [PrintedText(text=p.text, at_mm=(round(p.box[0], 2), round(p.box[1], 2)),
                        width_mm=round(p.box[2] * 1.3 + 2, 2), style="body")
            for p in phrases if id(p) not in used]


def _title(phrases: list[list[Phrase]]) -> str:
    first = phrases[0] if phrases else []
    return max(first, key=lambda p: p.box[3], default=Phrase("", (0, 0, 1, 1))).text


def _form_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.") or "form"
    return name if name[0].isalpha() else f"form-{name}"


def paper_colour(path: str | Path) -> tuple[int, int, int]:
    """The paper colour of a copy (blank or filled): the median of its light pixels,
    on the first page.

    Raises:
        InputFileError: the file cannot be read, or is a greyscale scan.
    """
    from scanner.load import InputProblem, enumerate_pages, load_page

    for task in enumerate_pages([path]):
        if isinstance(task, InputProblem):
            raise InputFileError(task.source, task.reason, task.page)
        page = load_page(task)
        if page.colour is None:
            raise InputFileError(str(path), "is scanned in greyscale: its paper colour cannot be told", 1)
        pixels = page.colour.reshape(-1, 3).astype(float)
        light = pixels[pixels.sum(axis=1) >= np.percentile(pixels.sum(axis=1), 50)]
        b, g, r = np.median(light, axis=0)
        return (int(round(r)), int(round(g)), int(round(b)))
    raise InputFileError(str(path), "has no pages")


def colour_samples_option(entries: list[str]) -> dict[str, str]:
    """``NAME=FILE`` entries (``--colour-samples yellow=scan1.pdf``) as a mapping.

    Raises:
        UsageError: an entry is not NAME=FILE, or NAME is not a valid colour name.
    """
    samples = {}
    for entry in entries:
        name, _, path = entry.partition("=")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or not path:
            raise UsageError(f"--colour-samples {entry!r}: give NAME=FILE, such as yellow=scan1.pdf "
                             "(the name: letters, digits and _)")
        samples[name] = path
    return samples


def draft_template(blank: str | Path, form: str | None = None, colour_samples: dict[str, str | Path] | None = None,
                   ocr_language: str = "eng") -> DraftResult:
    """Draft a template from a blank form: its PDF, or a scan or photo of a blank copy.

    Args:
        blank: a PDF with the form's own text and drawing, or a scan (PDF or images).
        form: the template's form name (default: from the file name).
        colour_samples: paper colour name to a copy printed on that paper.
        ocr_language: Tesseract's language for the text of a scan.

    Raises:
        InputFileError: the blank cannot be read or has no pages.
        MissingDependencyError: a scan needs Tesseract, and it is not installed.
        TemplateError: what was found does not make a valid template (a bug: please report).
    """
    path = Path(blank)
    if not path.exists():
        raise InputFileError(str(blank), "no such file")
    pages = _pdf_pages(path) if _has_vector_content(path) else []
    if not any(p.boxes or p.frames for p in pages):
        pages = _scanned_pages(path, ocr_language)  # a scan, maybe with an OCR text layer
    if not pages:
        raise InputFileError(str(blank), "has no pages")
    colours = [Colour(name=name, rgb=paper_colour(sample), programme=name)
               for name, sample in (colour_samples or {}).items()]
    result = _layout(pages, form or _form_name(path), colours)
    if not result.template.items and not result.template.comments:
        raise UsageError(f"{blank}: no tick boxes nor comment zones found on {len(pages)} page(s)")
    return DraftResult(result.template, result.pages, result.doubts, result.loose_boxes, str(blank))


def _has_vector_content(path: Path) -> bool:
    """A PDF that holds the form's own text or drawing (not just a scanned image)."""
    with path.open("rb") as file:
        if file.read(5) != b"%PDF-":
            return False
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return any(p.chars or p.rects or p.lines or p.curves for p in pdf.pages)


def _scanned_pages(path: Path, language: str) -> list[PageContent]:
    from scanner.draft_image import image_content
    from scanner.load import InputProblem, enumerate_pages, load_page
    from scanner.ocr import TesseractEngine

    engine = TesseractEngine(language)
    pages = []
    for task in enumerate_pages([path]):
        if isinstance(task, InputProblem):
            raise InputFileError(task.source, task.reason, task.page)
        pages.append(image_content(load_page(task).grey, len(pages) + 1, engine))
    return pages


# ---------------------------------------------------------------- PDF input

def _pdf_pages(path: Path) -> list[PageContent]:
    import pdfplumber
    import pypdfium2 as pdfium

    pages = []
    raster = pdfium.PdfDocument(str(path))
    try:
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                image = raster[index].render(scale=REFERENCE_DPI / 72, grayscale=True).to_numpy()
                if image.ndim == 3:
                    image = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2GRAY)
                pages.append(_pdf_page(page, index + 1, np.ascontiguousarray(image)))
    finally:
        raster.close()
    return pages


def _mm(x0: float, top: float, x1: float, bottom: float) -> Box:
    return (x0 * PT_MM, top * PT_MM, (x1 - x0) * PT_MM, (bottom - top) * PT_MM)


def _pdf_page(page, number: int, image: np.ndarray) -> PageContent:
    boxes: list[PrintedBox] = []
    frames: list[Box] = []
    for r in page.rects:
        if not r["stroke"]:
            continue
        box = _mm(r["x0"], r["top"], r["x1"], r["bottom"])
        if is_tick_box(box[2], box[3]):
            boxes.append(PrintedBox(box, "square"))
        elif is_zone_frame(box[2], box[3]):
            frames.append(box)
    for c in page.curves:
        box = _mm(c["x0"], c["top"], c["x1"], c["bottom"])
        if c["stroke"] and is_tick_box(box[2], box[3]):
            boxes.append(PrintedBox(box, "circle"))
    for ch in page.chars:
        if ch["text"] in GLYPH_BOXES:
            box = _ink_box(image, _mm(ch["x0"], ch["top"], ch["x1"], ch["bottom"]))
            if box is not None and is_tick_box(box[2], box[3]):
                boxes.append(PrintedBox(box, "glyph"))
    frames += _table_cells(page)
    text = page.filter(lambda o: not (o.get("object_type") == "char" and o.get("text") in GLYPH_BOXES))
    words = tuple(Word(w["text"], _mm(w["x0"], w["top"], w["x1"], w["bottom"]))
                  for w in text.extract_words(keep_blank_chars=False) if w["text"].strip())
    size = (round(float(page.width) * PT_MM, 1), round(float(page.height) * PT_MM, 1))
    return PageContent(number, size, image, tuple(boxes), words, tuple(frames))


def _table_cells(page) -> list[Box]:
    """Cells of ruled tables big enough to write in. A word processor's framed box is a
    one-cell table, which pdfplumber's tables leave out: its cells do not."""
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 2,
                "intersection_tolerance": 2}
    cells = [_mm(*cell) for cell in page.debug_tablefinder(settings).cells]
    return [box for box in cells if is_zone_frame(box[2], box[3])]


def _ink_box(image: np.ndarray, box: Box) -> Box | None:
    """The drawn extent of a glyph about its character box: the ink, not the font's em
    (a glyph may reach beyond its advance, and table borders may run through its box)."""
    scale = REFERENCE_DPI / 25.4
    pad = 0.4 * max(box[2], box[3])
    x0, y0 = max(0, int((box[0] - pad) * scale)), max(0, int((box[1] - pad) * scale))
    x1, y1 = int(np.ceil((_right(box) + pad) * scale)), int(np.ceil((_bottom(box) + pad) * scale))
    ink = (image[y0:y1, x0:x1] < 128).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    cx0, cy0 = box[0] * scale - x0, box[1] * scale - y0
    cx1, cy1 = cx0 + box[2] * scale, cy0 + box[3] * scale
    glyph = [k for k in range(1, count) if stats[k, 0] > 0 and stats[k, 1] > 0
             and stats[k, 0] + stats[k, 2] < ink.shape[1] and stats[k, 1] + stats[k, 3] < ink.shape[0]
             and cx0 <= centroids[k, 0] <= cx1 and cy0 <= centroids[k, 1] <= cy1]
    if not glyph:
        return None
    ys, xs = np.nonzero(np.isin(labels, glyph))
    return ((x0 + xs.min()) / scale, (y0 + ys.min()) / scale, (xs.max() - xs.min() + 1) / scale,
            (ys.max() - ys.min() + 1) / scale)


# ---------------------------------------------------------------- output

def write_draft(result: DraftResult, out: str | Path, replace: bool = False) -> list[Path]:
    """Write the template, its reference pages (``<name>.pages/page-N.png``) and the
    preview (``<name>.preview.pdf``) that shows every box with its item id and code.

    Args:
        replace: write over an existing template (someone may have corrected it by hand).

    Returns:
        The files written.

    Raises:
        UsageError: `out` exists and `replace` is not given.
    """
    out = Path(out)
    if out.exists() and not replace:
        raise UsageError(f"{out} exists (perhaps corrected by hand): choose another -o, or --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.with_name(out.stem + ".pages")
    folder.mkdir(exist_ok=True)
    images = []
    for page in result.pages:
        image_path = folder / f"page-{page.number}.png"
        cv2.imwrite(str(image_path), page.image)
        images.append(image_path)
    template = result.template.model_copy(update={"reference_pages": [f"{folder.name}/{p.name}" for p in images]})
    header = (f"# Drafted by `scanner template draft` from {Path(result.source).name}: check it against "
              f"{out.stem}.preview.pdf.\n# Scans are matched against its blank pages in {folder.name}/: keep them "
              "beside it.\n")
    out.write_text(header + template_yaml(template), encoding="utf-8")
    preview = out.with_name(out.stem + ".preview.pdf")
    write_preview(result, preview)
    return [out, preview, *images]


def write_preview(result: DraftResult, out: Path) -> Path:
    """Each page of the blank with every box drawn over it, labelled item:code, comment
    zones outlined with their id, and what the draft is unsure of in orange."""
    from reportlab.lib.colors import Color
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    t = result.template
    w, h = t.page_size_mm
    canvas = Canvas(str(out), pagesize=(w * mm, h * mm))
    red, blue, orange = Color(0.85, 0.1, 0.1), Color(0.1, 0.3, 0.85), Color(0.95, 0.5, 0.0)

    def rect(box: Box, colour, label: str) -> None:
        canvas.setStrokeColor(colour)
        canvas.setFillColor(colour)
        canvas.setLineWidth(0.6)
        canvas.rect(box[0] * mm, (h - _bottom(box)) * mm, box[2] * mm, box[3] * mm, stroke=1, fill=0)
        canvas.setFont("Helvetica", 5)
        canvas.drawString(box[0] * mm, (h - box[1] + 0.6) * mm, label)

    for page in result.pages:
        _, png = cv2.imencode(".png", page.image)
        canvas.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, w * mm, h * mm)
        for item in t.items_on(page.number):
            for option in item.options:
                rect(option.box_mm, red, f"{item.id}:{option.code}")
        for comment in t.comments_on(page.number):
            rect(comment.box_mm, blue, comment.id)
        for number, b in result.loose_boxes:
            if number == page.number:
                rect(b.box, orange, "?")
        for doubt in result.doubts:
            if doubt.page == page.number and doubt.box_mm is not None:
                rect(doubt.box_mm, orange, "? " + doubt.what[:60])
        canvas.showPage()
    canvas.save()
    return out


def summary_lines(result: DraftResult) -> list[str]:
    """What was found and what to check, for people."""
    t = result.template
    lines = [f"{len(t.pages)} pages, {len(t.items)} items, {len(t.comments)} comment zones"]
    for name, scale in t.scales.items():
        count = sum(1 for i in t.items if i.scale == name)
        if count:
            lines.append(f"  scale {name} ({' | '.join(o.label for o in scale.options)}): {count} items")
    for page in t.pages:
        lines.append(f"  page {page.number}: {len(t.items_on(page.number))} items "
                     f"({', '.join(i.id for i in t.items_on(page.number))}), "
                     f"{len(t.comments_on(page.number))} comment zones")
    if not result.doubts:
        lines.append("nothing the draft is unsure of; still check the preview")
    else:
        lines.append(f"{len(result.doubts)} things to check:")
        lines += [f"  page {d.page}" + (f" at ({d.box_mm[0]:.0f}, {d.box_mm[1]:.0f}) mm" if d.box_mm else "")
                  + f": {d.what}" for d in result.doubts]
    return lines


# ---------------------------------------------------------------- checking a draft

@dataclass(frozen=True)
class DraftScore:
    """A drafted template against the form's true geometry (`template layout --json` shape)."""

    boxes: int
    found: int
    extra: int
    worst_mm: float
    """The largest distance of a found box's edge from the true one."""
    items: int
    items_right: int
    """True items drafted as one item, with the same boxes in the same code order."""
    labels_right: int
    """Of those, items whose option labels read as printed (case and spacing aside)."""
    zones: int
    zones_found: int
    extra_zones: int

    @property
    def missed(self) -> int:
        return self.boxes - self.found


def _matches(truth: list[tuple[int, Box]], drafted: list[tuple[int, Box]], near: float) -> dict[int, int]:
    """True index to drafted index, one to one, nearest centres first (at most `near` mm apart)."""
    pairs = sorted((math.dist((_cx(t), _cy(t)), (_cx(d), _cy(d))), i, j)
                   for i, (tp, t) in enumerate(truth) for j, (dp, d) in enumerate(drafted)
                   if tp == dp and abs(_cx(t) - _cx(d)) < near and abs(_cy(t) - _cy(d)) < near)
    matched: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in matched and j not in matched.values():
            matched[i] = j
    return matched


def score_draft(template: Template, truth: dict) -> DraftScore:
    """Compare a drafted template with the true geometry: boxes found, missed and extra,
    items grouped right, comment zones found (their edges within 2 mm)."""
    drafted = layout(template)
    true_boxes = [(i["page"], tuple(o["box_mm"])) for i in truth["items"] for o in i["options"]]
    our_boxes = [(i["page"], tuple(o["box_mm"])) for i in drafted["items"] for o in i["options"]]
    matched = _matches(true_boxes, our_boxes, 1.5)
    worst = max((abs(a - b) for i, j in matched.items() for a, b in
                 zip(_edges(true_boxes[i][1]), _edges(our_boxes[j][1]))), default=0.0)
    owner = [(k, n) for k, i in enumerate(drafted["items"]) for n, _ in enumerate(i["options"])]
    right = labels = start = 0
    for item in truth["items"]:
        ours = [owner[matched[k]] if k in matched else None for k in range(start, start + len(item["options"]))]
        start += len(item["options"])
        if None in ours or len({k for k, _ in ours}) != 1:
            continue
        mine = drafted["items"][ours[0][0]]
        if [n for _, n in ours] == list(range(len(mine["options"]))):
            right += 1
            labels += [_norm(o["label"]) for o in item["options"]] == [_norm(o["label"]) for o in mine["options"]]
    true_zones = [(c["page"], tuple(c["box_mm"])) for c in truth["comments"]]
    our_zones = [(c["page"], tuple(c["box_mm"])) for c in drafted["comments"]]
    zones = {i: j for i, j in _matches(true_zones, our_zones, 2.0).items()
             if all(abs(a - b) < 2.0 for a, b in zip(_edges(true_zones[i][1]), _edges(our_zones[j][1])))}
    return DraftScore(len(true_boxes), len(matched), len(our_boxes) - len(matched), round(worst, 2),
                      len(truth["items"]), right, labels, len(true_zones), len(zones), len(our_zones) - len(zones))


def draft_correspondence(template: Template, truth: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """What each field of a drafted template is on the true form: drafted item id to the
    true item's id and each drafted code to the true code (their boxes within 1.5 mm), and
    drafted comment id to the true one (no codes); a field with no true counterpart is left
    out. With it, a scan read with the draft is scored against the form's truth
    (`scanner.evaluate.evaluate`'s `as_truth`)."""
    drafted = layout(template)
    true_boxes = [(i["page"], tuple(o["box_mm"])) for i in truth["items"] for o in i["options"]]
    true_of = [(i["id"], o["code"]) for i in truth["items"] for o in i["options"]]
    ours = [(i["page"], tuple(o["box_mm"])) for i in drafted["items"] for o in i["options"]]
    our_of = [(i["id"], o["code"]) for i in drafted["items"] for o in i["options"]]
    fields: dict[str, tuple[str, dict[str, str]]] = {}
    for i, j in _matches(true_boxes, ours, 1.5).items():
        (true_id, true_code), (our_id, our_code) = true_of[i], our_of[j]
        if fields.setdefault(our_id, (true_id, {}))[0] == true_id:
            fields[our_id][1][str(our_code)] = str(true_code)
    true_zones = [(c["page"], tuple(c["box_mm"])) for c in truth["comments"]]
    our_zones = [(c["page"], tuple(c["box_mm"])) for c in drafted["comments"]]
    for i, j in _matches(true_zones, our_zones, 2.0).items():
        if "id" in truth["comments"][i]:  # a geometry alone (tests/data's) names no zone
            fields[drafted["comments"][j]["id"]] = (truth["comments"][i]["id"], {})
    return fields


def _edges(b: Box) -> tuple[float, float, float, float]:
    return (b[0], b[1], _right(b), _bottom(b))


def _norm(label: str) -> str:
    return re.sub(r"\s+", "", label).lower()
