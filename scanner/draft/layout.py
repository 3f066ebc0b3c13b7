"""The layout step: what is printed on a blank's pages made into a template.

- boxes on one line form a row; a box with a word just to its right is a labelled option
  ("☐ Yes"), a row of boxes without is a grid row whose labels are the column headers
  printed above it (or above an earlier row with the same columns);
- a row's item text is what is printed to its left; stacked rows of labelled boxes with
  nothing to their left are one item (tick one of a list);
- an empty frame with nothing printed beside it is a comment zone;
- items are named after the numbers printed on the form (``1.`` and ``a)`` make q01,
  q07a), and repeated header sets become one scale.

Everything the layout step is unsure of is a `Doubt`, for a person to check against the
preview.
"""

from __future__ import annotations

import difflib
import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scanner.draft.content import COLUMN_MM, HEADER_CELL_MARGIN_MM, HEADER_GAP_MM, HEADER_LINE_GAP_MM, \
    LABEL_GAP_MM, ROW_TOLERANCE, RULE_PITCH_MM, STACK_GAP, SURE_OCR, WORD_GAP_MM, Doubt, DraftResult, PageContent, \
    PrintedBox, Word, bottom, cx, cy, inside, norm, right, union
from scanner.template import Box, Colour, Comment, Item, Option, Page, PrintedText, Registration, Scale, \
    ScaleOption, Template, parse_template

log = logging.getLogger(__name__)

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
    for word in sorted(words, key=lambda w: cy(w.box)):
        if lines and abs(cy(word.box) - statistics.fmean(cy(w.box) for w in lines[-1])) < 0.45 * word.box[3]:
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
            gap = word.box[0] - right(prev.box)
            between = any(right(prev.box) - 0.5 <= cx(b.box) <= word.box[0] + 0.5
                          and abs(cy(b.box) - cy(word.box)) < b.box[3] for b in page.boxes)
            if gap > max(WORD_GAP_MM, 0.7 * word.box[3]) or between:
                phrases.append(_phrase(run))
                run = [word]
            else:
                run.append(word)
        phrases.append(_phrase(run))
    return phrases


def _phrase(words: list[Word]) -> Phrase:
    return Phrase(" ".join(w.text for w in words), union(w.box for w in words), min(w.confidence for w in words))


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
        return max(bottom(b.box) for b in self.boxes)

    @property
    def height(self) -> float:
        return statistics.median(b.box[3] for b in self.boxes)

    @property
    def centres(self) -> list[float]:
        return [cx(b.box) for b in self.boxes]

    @property
    def labelled(self) -> bool:
        return all(self.labels)


def _rows(page: PageContent) -> list[_Row]:
    rows: list[_Row] = []
    for b in sorted(page.boxes, key=lambda b: cy(b.box)):
        if rows and abs(cy(b.box) - statistics.fmean(cy(o.box) for o in rows[-1].boxes)) < ROW_TOLERANCE * b.box[3]:
            rows[-1].boxes.append(b)
        else:
            rows.append(_Row(page.number, [b]))
    for row in rows:
        row.boxes.sort(key=lambda b: b.box[0])
    return rows


def _label(box: Box, phrases: list[Phrase]) -> Phrase | None:
    """The phrase printed just right of a box, on its line: the box's own label."""
    for p in phrases:
        if right(box) - 0.5 <= p.box[0] <= right(box) + LABEL_GAP_MM and abs(cy(p.box) - cy(box)) < 0.6 * box[3]:
            return p
    return None


def _left_text(row: _Row, phrases: list[Phrase], used: set[int], rows: list[_Row], frames: tuple[Box, ...]) -> list[Phrase]:
    """The item text printed left of a row: the phrases on its line, then the lines that
    continue them below (a wrapped statement), up to the next row or frame."""
    left = row.boxes[0].box[0] - 0.5
    candidates = sorted((p for p in phrases if id(p) not in used and right(p.box) <= left), key=lambda p: p.box[1])
    first = [p for p in candidates if row.top - 2.5 <= cy(p.box) <= row.bottom + 0.5 or
             (p.box[1] <= cy(row.boxes[0].box) <= bottom(p.box))]
    if not first:
        return []
    below = [r.top for r in rows if r.top > row.bottom] + [f[1] for f in frames if f[1] > row.bottom]
    limit = min(below, default=float("inf")) - 0.5
    text = sorted(first, key=lambda p: (p.box[1], p.box[0]))
    x0 = min(p.box[0] for p in text)
    for p in candidates:
        if p in text or p.box[1] < bottom(text[-1].box) - 0.5 or bottom(p.box) > limit:
            continue
        if p.box[1] - bottom(text[-1].box) <= 0.8 * p.box[3] and abs(p.box[0] - x0) < 3:
            text.append(p)
    return text


@dataclass(frozen=True)
class _Header:
    labels: tuple[str, ...]
    centres: tuple[float, ...]
    complete: bool
    confidence: float = 1.0


def _header(row: _Row, page: PageContent, rows: list[_Row]) -> tuple[_Header | None, list[Word], list[Word]]:
    """The column headers printed above a grid row, the words left over between columns,
    and the words that could head either of two columns."""
    centres = row.centres
    pitch = statistics.median(np.diff(centres)) if len(centres) > 1 else 10.0
    band = (row.boxes[0].box[0] - pitch / 2, right(row.boxes[-1].box) + pitch / 2)
    ceiling = max([r.bottom for r in rows if r.bottom < row.top and r.boxes[-1].box[0] < band[1]
                   and right(r.boxes[0].box) > band[0]]
                  + [bottom(f) for f in page.frames if bottom(f) <= row.top + 0.5
                     and f[0] < right(row.boxes[-1].box) and right(f) > row.boxes[0].box[0]], default=0.0)
    above = [w for w in page.words if bottom(w.box) <= row.top + 0.5 and w.box[1] >= ceiling - 0.5]
    taken: list[Word] = []
    edge = row.top
    for line in reversed(_lines(above)):
        inside = [w for w in line if band[0] <= cx(w.box) <= band[1]]
        if not inside:
            continue
        gap = edge - max(bottom(w.box) for w in inside)
        if gap > (HEADER_GAP_MM if not taken else HEADER_LINE_GAP_MM):
            break
        if any(w not in inside and right(w.box) > band[0] - 15 for w in line):
            break  # a line of running text that reaches into the columns: a stem, not a header
        taken += inside
        edge = min(w.box[1] for w in inside)
    if not taken:
        return None, [], []
    columns: list[list[Word]] = [[] for _ in centres]
    stray, unsure = [], []
    for line in _lines(taken):
        before: tuple[Word, int] | None = None  # the word to the left and its column
        for w in line:
            k: int | None = int(np.argmin([abs(cx(w.box) - c) for c in centres]))
            if abs(cx(w.box) - centres[k]) > pitch / 2:
                k = None
            if before is not None and before[1] != k:
                k, between = _cell_of(w, before, k, row)
                if between:
                    unsure.append(w)
            (stray if k is None else columns[k]).append(w)
            before = None if k is None else (w, k)
    labels = tuple(" ".join(w.text for line in _lines(col) for w in line) for col in columns)
    confidence = min((w.confidence for col in columns for w in col), default=1.0)
    return _Header(labels, tuple(centres), all(labels), confidence), stray, unsure


def _cell_of(word: Word, before: tuple[Word, int], nearest: int | None, row: _Row) -> tuple[int | None, bool]:
    """The column of a header word that follows a word of another column on its line: the
    word's before it when it flows on from it (a word's space away, nearer that word than
    the box of the column its centre is nearest), as a left-aligned cell's second word
    does; and whether the two are too close to tell."""
    gap = word.box[0] - right(before[0].box)
    if gap > max(WORD_GAP_MM, 0.7 * word.box[3]):
        return nearest, False
    if nearest is None:
        return before[1], False
    box = row.boxes[nearest].box
    reach = max(0.0, box[0] - right(word.box), word.box[0] - right(box))
    return (before[1] if gap < reach else nearest), abs(gap - reach) < HEADER_CELL_MARGIN_MM


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
    above = [p for p in phrases if id(p) not in used and bottom(p.box) <= top + 0.5 and top - bottom(p.box) < 12
             and p.box[0] < left + 5 and right(p.box) > left - 5]
    if not above:
        return []
    nearest = max(bottom(p.box) for p in above)
    return sorted((p for p in above if bottom(p.box) > nearest - 1.0), key=lambda p: p.box[0])


def _page_items(page: PageContent, phrases: list[Phrase], previous: list[_DraftItem],
                doubts: list[Doubt]) -> tuple[list[_DraftItem], list[PrintedBox], set[int]]:
    """The items of one page, the boxes that fit no item, and the phrases they used."""
    rows = _rows(page)
    used: set[int] = set()
    for row in rows:
        row.labels = [_label(b.box, phrases) for b in row.boxes]
        used |= {id(p) for p in row.labels if p is not None}
    _check_short_rows([r for r in rows if not r.labelled], doubts)
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
                          or abs(row.boxes[0].box[0] - stack[-1].boxes[0].box[0]) > COLUMN_MM):
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
                                             "read as a grid row", union(b.box for b in row.boxes)))
        item = _grid_item(row, page, rows, previous + items, doubts)
        if item is None:
            loose += row.boxes
        else:
            items.append(item)
    close_stack()
    return items, loose, used


def _check_short_rows(rows: list[_Row], doubts: list[Doubt]) -> None:
    """A grid row whose boxes all stand in the columns of the grid row just above or below
    it, but fewer: where the other row has a box and this one none, a box may not have been
    found (a bubble that a photo's blur joined to a rule, a faint print). Rows of labelled
    boxes are left alone: a list's last row is often short."""
    for k, row in enumerate(rows):
        block = [r for r in rows[max(0, k - 1):k + 2] if r is not row
                 and min(r.top, row.top) + STACK_GAP * row.height >= max(r.top, row.top)]
        fuller = [r for r in block if len(r.boxes) > len(row.boxes)
                  and all(any(abs(c - d) < COLUMN_MM for d in r.centres) for c in row.centres)]
        if not fuller:
            continue
        other = max(fuller, key=lambda r: len(r.boxes))
        missing = [b.box for b in other.boxes if all(abs(cx(b.box) - c) >= COLUMN_MM for c in row.centres)]
        where = "above" if other.top < row.top else "below"
        doubts.append(Doubt(row.page, f"this row has {len(row.boxes)} of the {len(other.boxes)} boxes of the row "
                                      f"{where} it, none found at x = "
                                      + ", ".join(f"{cx(b):.0f}" for b in missing)
                                      + " mm: if one is printed there, add it by hand",
                            union((b[0], row.top, b[2], row.bottom - row.top) for b in missing)))


def _check_labels(labels: list[Phrase], page: int, doubts: list[Doubt]) -> None:
    unsure = [p for p in labels if p.confidence < SURE_OCR]
    if unsure:
        doubts.append(Doubt(page, "option labels read with low confidence: " + " | ".join(p.text for p in unsure),
                            union(p.box for p in unsure)))


def _same_columns(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < COLUMN_MM for x, y in zip(a, b))


def _grid_item(row: _Row, page: PageContent, rows: list[_Row], earlier: list[_DraftItem],
               doubts: list[Doubt]) -> _DraftItem | None:
    where = union(b.box for b in row.boxes)
    header, stray, unsure = _header(row, page, rows)
    if stray:
        doubts.append(Doubt(page.number, "header words over no column of boxes: "
                            + " ".join(w.text for w in stray), union(w.box for w in stray)))
    if unsure:
        doubts.append(Doubt(page.number, "header words that could head either of two columns (check which): "
                            + " ".join(w.text for w in unsure), union(w.box for w in unsure)))
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
        # A column no print names keeps the item's own (numbered) label.
        labels = tuple(label or own for label, own in zip(agreed[id(h)], item.labels))
        if tuple(item.labels) != labels and id(h) not in told:
            told.add(id(h))
            doubts.append(Doubt(item.page, f"header read as {' | '.join(l or '?' for l in h.labels)}: taken as "
                                           f"{' | '.join(labels)}, as read on the form's other prints of it",
                                union(b.box for b in item.boxes)))
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
    return sum(bool(a) and difflib.SequenceMatcher(None, norm(a), norm(b)).ratio() >= 0.8
               for a, b in zip(read, labels))


def _comment_zones(page: PageContent, phrases: list[Phrase]) -> list[tuple[Box, str, bool]]:
    """Empty frames with nothing printed beside them, and blocks of writing lines, each
    with the prompt just above it and whether it is a frame."""
    printed = [w.box for w in page.words] + [b.box for b in page.boxes]
    frames: list[tuple[Box, str, bool]] = []
    for f in sorted(page.frames, key=lambda f: (round(f[1], 0), f[0])):
        if any(inside(p, f, 0.3) for p in printed):
            continue  # written in already: a table cell with text, or a box
        if any(f[1] < cy(p) < bottom(f) for p in printed):
            continue  # a cell in a row of a table that holds other things (a grid's corner cell)
        if any(inside(g, f, 0.5) and g[2] * g[3] < 0.9 * f[2] * f[3] for g in page.frames):
            continue  # a table's outline around its cells
        if any(all(abs(a - b) < 1.0 for a, b in zip(f, g)) for g, _, _ in frames):
            continue
        frames.append((f, _prompt(f, phrases), True))
    frames += [(z, _prompt(z, phrases), False) for z in _ruled_zones(page.rules, printed)]
    return sorted(frames, key=lambda f: (round(f[0][1], 0), f[0][0]))


def _prompt(zone: Box, phrases: list[Phrase]) -> str:
    """The line printed just above a zone, at its left ("Please comment")."""
    prompt = [p for p in phrases if 0 <= zone[1] - bottom(p.box) < 8 and abs(p.box[0] - zone[0]) < 6]
    nearest = max((bottom(p.box) for p in prompt), default=0.0)
    return " ".join(p.text for p in prompt if bottom(p.box) > nearest - 1.0)


def _ruled_zones(rules: tuple[Box, ...], printed: list[Box]) -> list[Box]:
    """Blocks of writing lines: two or more rules of about one length, evenly spaced,
    with nothing printed between them. A block's zone runs from one spacing above its
    first line (or from just below what is printed there, such as its prompt, so that
    the prompt is not read as a comment) down to its last line."""
    blocks: list[list[Box]] = []
    for rule in sorted(rules, key=cy):
        if blocks and _continues(blocks[-1], rule, printed):
            blocks[-1].append(rule)
        else:
            blocks.append([rule])
    zones = []
    for block in (b for b in blocks if len(b) >= 2):
        x0, x1 = min(r[0] for r in block), max(right(r) for r in block)
        first, last = cy(block[0]), cy(block[-1])
        above = [bottom(p) for p in printed if bottom(p) < first - 0.5 and p[0] < x1 and right(p) > x0]
        top = max([first - (last - first) / (len(block) - 1)] + [b + 0.5 for b in above])
        zones.append((x0, top, x1 - x0, last - top))
    return zones


def _continues(block: list[Box], rule: Box, printed: list[Box]) -> bool:
    """Whether `rule` is the next writing line of `block`."""
    last = block[-1]
    gap = cy(rule) - cy(last)
    if not RULE_PITCH_MM[0] <= gap <= RULE_PITCH_MM[1] or abs(rule[0] - last[0]) > 3 \
            or abs(right(rule) - right(last)) > 3:
        return False
    if len(block) > 1 and abs(gap - (cy(last) - cy(block[-2]))) > 0.25 * gap:
        return False
    return not any(cy(last) < cy(p) < cy(rule) and p[0] < right(rule) and right(p) > rule[0] for p in printed)


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

def draft_layout(pages: list[PageContent], form: str, colours: list[Colour]) -> DraftResult:
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
        for box, prompt, framed in _comment_zones(page, page_phrases):
            number = _last_number(numbers, page.number, box[1])
            base = f"q{number:02d}_comment" if number is not None else _comment_base(items, page.number, box[1])
            comments.append(Comment(id=_unique(base, taken_ids), question=None if number is None else str(number),
                                    prompt=prompt, page=page.number, box_mm=_round(box), framed=framed))
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
        text_mm = (round(first[0], 2), round(first[1], 2), round(max(right(p.box) for p in d.text) - first[0] + 2, 2))
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


def form_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.") or "form"
    return name if name[0].isalpha() else f"form-{name}"


