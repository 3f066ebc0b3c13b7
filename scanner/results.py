"""The typed results that pass between stages, the store and the outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum


class Status(str, Enum):
    """An item's status in `items.csv` (the contract's words)."""

    OK = "ok"
    BLANK = "blank"
    MULTIPLE = "multiple"
    REVIEW = "review"
    REVIEWED = "reviewed"


class PageStatus(str, Enum):
    USED = "used"
    BLANK = "blank"
    UNRECOGNISED = "unrecognised"
    ERROR = "error"


class Reason(str, Enum):
    """Why a value went to review (or, for `CORRECTION`, `RUBBED_OUT`, `SPECK` and `SHADOW`, how an
    ok or blank value was read)."""

    FAINT = "faint mark: too light to be sure it is a tick"
    ERASED = "a light trace alone, far lighter than the sheet's other marks: an erased tick?"
    OUTSIDE = "a mark runs outside the box: which box was meant?"
    MULTIPLE = "more than one box marked"
    AMBIGUOUS = "a second box holds a faint mark"
    CANCELLED_ONLY = "a box inked out with no other box ticked"
    LOW_CONFIDENCE = "the mark is close to the threshold"
    CORRECTION = "read as a correction: the inked-out box is cancelled"
    GREYED = "boxes greyed, none as dark as the respondent's pen: a shadow, or a correction?"
    RUBBED_OUT = "read as a rubbed-out tick: a ghost far lighter than the respondent's pen, not an answer"
    SPECK = "read as blank: a dust speck, a dark dot too small to be a tick"
    SHADOW = "read as blank: a shadow's grey in or beside the box, far lighter than the respondent's pen"
    HAIR = "a line far thinner than a pen's stroke across the box: a hair, or a tick?"
    DUST = "a small dot, lighter or far darker than the pen, or a speck's size: a dot, or a grain of dust?"
    PAGE_MISSING = "the page holding this item was not found in the batch"
    PAGE_GONE = "no page of the batch is read as this questionnaire now (see its flags): this is what its page read"
    PAGE_UNREAD = ("the page holding this item was not read: a page beside this questionnaire's could not be "
                   "read or recognised (its flags name it): it may be that page")
    PAGE_TAKEN_AS_COPY = ("the page holding this item was not read: a page of this questionnaire was taken for a "
                          "second copy of another of its pages (pages.csv: \"a second copy of form page\"): "
                          "it may be that page")
    MAYBE_WRITTEN = "a small mark in the comment zone: writing or a stray mark?"
    OCR_UNSURE = "the handwriting could not be read with confidence"
    UNKNOWN_WORDS = "the transcription has words that are in no dictionary"
    UNREAD_INK = "writing in the zone that no transcribed word covers: a word may be missing"
    NOT_READ = "written, not transcribed (OCR was off)"
    COLOUR = "the paper colour could not be told"
    PROGRAMME_DIFFERS = "the paper colour tells another programme than --programme gave: the colour's is offered"
    NOT_ALIGNED = "the page could not be aligned"
    FRAME_INKED = "ink covers the frame of its box or zone: the page is aligned, but where this lies is unchecked"
    CUT_OFF = "part of the box or zone lies outside the picture: check the paper"
    PAPER_DIFFERS = ("this page's paper is clearly of another colour than the rest of the questionnaire's: "
                     "two questionnaires merged?")
    RESPONDENTS_MIXED = ("the questionnaire was begun and cut short by pages of another respondent, "
                         "their pages taken in turn: whose is this page?")
    COLOUR_BATCH = "the batch's paper colours need a person's word: see `scanner colours`"


@dataclass(frozen=True)
class BoxMeasure:
    """One tick box as measured: the evidence behind a decision."""

    code: int
    score: float
    """Mean darkness of the interior, noise removed: 0 empty, ~0.2 a tick, ~0.9 solid."""
    fill: float
    """Share of the interior inked evenly (near 1 for a box filled in, any pen)."""
    outside: float = 0.0
    """Ink just outside the box (left, right, below): a mark that overshoots its box."""
    peak: float | None = None
    """Darkness of the box's darkest ink (99th percentile of the interior): a pen's own
    darkness whatever the mark's size, a third of it or less for a rubbed-out tick's ghost.
    None in readings stored before it was measured."""
    cut_off: bool = False
    """Part of the box, or of the paper around it that its ink is measured against, lies
    outside the picture (a phone photo that cuts the page's edge): measured on white fill."""
    trace: float | None = None
    """Darkness of the box's faintest ink, noise kept (90th percentile of the interior): a
    faint pencil tick on a blurred photo lies under the noise floor that `score` removes,
    yet stands above the empty boxes beside it. None in readings stored before it was measured."""
    extent: float | None = None
    """How far the box's ink spreads, in mm (the longer side of what its pixels at least half
    as dark as its `peak` span): a dot or a dust grain 1.5 mm or less, a stroke more. None in
    readings stored before it was measured."""
    sharpness: float | None = None
    """How sharp the edges of a light box's ink are against the form's print around it
    (`marks.stroke_sharpness`): near 1 for a pencil line however lightly drawn, lower for a
    rubbed-out tick's smeared ghost. Measured only on boxes lighter than a dark pen
    (SHARPNESS_PEAK_MAX); None on others, and in readings stored before it was measured."""
    beside: float | None = None
    """How far the largest piece of ink beside the box spreads, in mm (in the ring where
    `outside` is looked for, widened to BESIDE_FAR_MM): a stroke run out of the box crosses
    it, a dust grain is a speck. None in readings stored before it was measured."""
    edge: float | None = None
    """Share of the paper between the box's printed frame and its interior inked evenly
    (`marks.edge_fills`): 1 for a box inked out to its frame; a pen's fill of a small box,
    which blackens the interior as evenly, leaves paper there. Measured only where the
    form's print is known (`marks.BoxPrint`); None elsewhere, and in readings stored before."""
    width: float | None = None
    """How wide the box's ink is at its darkest, in mm (its pixels at least half as dark as
    its `peak`, over half their outline): a pen's or a pencil's stroke 0.25 mm and more, a
    hair lying across the box under 0.2. Measured on boxes whose ink spreads further than a
    dot (`extent` over DOT_EXTENT_MM); None on others, and in readings stored before it was
    measured."""
    piece: float | None = None
    """How far the largest piece of the box's ink spreads, in mm (`marks.largest_piece`): as
    far as `extent` for a tick, a cross or a dot, each one piece; less for grains of dust,
    each a speck however far apart. None in readings stored before it was measured."""


@dataclass(frozen=True)
class ItemMeasure:
    item: str
    boxes: tuple[BoxMeasure, ...]


def measures_from_json(items: list[dict]) -> list[ItemMeasure]:
    """A page's items as its stored reading spells them (`store.encode_reading`)."""
    return [ItemMeasure(m["item"], tuple(BoxMeasure(**b) for b in m["boxes"])) for m in items]


@dataclass(frozen=True)
class PageMarks:
    """What deciding a sheet needs of one page's rows beyond each row's own boxes: the
    respondent's habits and the page's noise (`marks.page_marks`, combined over the sheet
    by `marks.decide_sheet`). Told by the worker that measured the page, so that the
    parent, the survey's one writer, only combines a few numbers a page."""

    marks: tuple[float, ...]
    """The strongest box's score of each row whose strongest box is a mark, not solid fill."""
    answered: int
    """Rows with a box marked."""
    lone_solid: int
    """Rows whose only marked box is solid."""
    rest: tuple[float, ...]
    """The scores of every box but its row's strongest: the page's noise."""
    own_empty: float | None
    """The page's own empty level, when it has enough unmarked boxes to tell one."""
    peaks: tuple[float, ...]
    """The darkest ink of each marked row's strongest box out of a shadow: the pen's darkness."""
    own_peak: float | None
    """Their median, when the page has enough marked rows to tell the pen's darkness on its own."""
    light: tuple[BoxMeasure, ...]
    """The strongest box of each row that it dominates: a light tick, on a page whose pen
    is known (`marks.light_tick`)."""
    sharpness: tuple[float, ...] = ()
    """The `sharpness` of each marked row's strongest box out of a shadow, where measured:
    how sharp the respondent's own pencil strokes are on the page."""
    rows: int = 0
    """Rows measured."""
    dots: int = 0
    """Rows whose strongest box, holding FAINT_ACCEPT of ink or more and dominating its
    row, is a dot (DOT_EXTENT_MM or less): a respondent who answers in dots."""


@dataclass(frozen=True)
class CommentReading:
    item: str
    ink_mm2: float
    """Ink area inside the zone after specks are removed."""
    text: str = ""
    confidence: float = 0.0
    """OCR confidence 0-1 (0 when not OCR'd)."""
    ocr: bool = False
    unknown_words: tuple[str, ...] = ()
    """Transcribed words that are in no dictionary: misreadings, or names to check."""
    crop: bytes | None = None
    """JPEG of the zone when anything is written in it."""
    word_confidences: tuple[float, ...] = ()
    """OCR confidence of each word of `text`, in order: the transcription view marks the unsure ones."""
    second_look: bool = False
    """Writing seen only on a second look at a zone that looked blank: ink fainter than the
    usual ink, or over the form's print. Never read as blank; `ink_mm2` is the first look's."""
    cut_off: bool = False
    """Part of the zone lies outside the picture (a photo that cuts the page's edge): what
    is seen of it cannot be the whole comment, nor its blankness the zone's."""
    unread_mm2: float = 0.0
    """Writing in the zone under no transcribed word's box (mm²): a word OCR left out."""


@dataclass(frozen=True)
class FieldResult:
    """One (sheet, item or comment or programme) result: a row of `items.csv`."""

    item: str
    value: str
    status: Status
    confidence: float
    reason: Reason | None = None
    evidence: dict = field(default_factory=dict)
    stored_evidence: str | None = field(default=None, init=False, repr=False, compare=False)
    """`evidence` as the store keeps it (`json.dumps`), when the cluster's worker that decided
    the item made it (`with_stored_evidence`): its floats spelt out cost the parent, the
    survey's one writer, more than the rest of storing the sheet; None for the parent to
    make. Not an argument, so that a result made from another (`dataclasses.replace`),
    whose evidence may differ, has none."""

    def with_stored_evidence(self) -> FieldResult:
        """This result with its evidence spelt out as the store keeps it (`stored_evidence`)."""
        result = replace(self)
        object.__setattr__(result, "stored_evidence", json.dumps(self.evidence))  # frozen, and no argument
        return result

    @property
    def needs_review(self) -> bool:
        return self.status in (Status.REVIEW, Status.MULTIPLE)


@dataclass(frozen=True)
class SheetDecision:
    """A questionnaire's items as decided by the worker that read all its pages in one
    cluster task (`assemble.decide_whole_sheets`): the parent, the survey's one writer,
    takes it for a sheet it assembles of these very pages, and decides any other itself."""

    form: str
    pages: tuple[tuple[int, str], ...]
    """(form page, content hash) of each page it was decided on, in form-page order."""
    items: dict[str, FieldResult]
