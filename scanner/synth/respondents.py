"""Respondents: who filled in each questionnaire, what they answered, how they marked it.

This is the ground truth, decided before anything is drawn: the paper colour and so
the programme, the role, a code per item drawn from skewed Likert distributions, how
each box was marked (the mark's shape, the pen, the hard cases: faint pencil, a
correction, two boxes, a stray mark) and the comments, already broken into the lines
they are written on. The drawing code only renders these decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import numpy as np

from scanner.synth.ink import PRINT_FONT_FILE, Fonts, Hand, Ink, Shape
from scanner.synth.rates import Rates
from scanner.template import Colour, Comment, Item, Template

COMMENT_MARGIN_MM = 3.0
"""Room kept free inside a comment zone's frame on each side (unless writing touches it)."""
PRINT_CAP_MM = 2.6
"""Capital height of printed comments: 10 pt DejaVu Sans."""
LINE_PITCH = 2.2
"""Distance between baselines of handwriting, in capital heights."""
RIGHT_OVERRUN_MM = 8.0
"""Writing that runs over the right-hand frame is wrapped this much wider than the zone."""


class Status(StrEnum):
    """What the reader should report for an item (the contract's `status`)."""

    OK = "ok"
    BLANK = "blank"
    MULTIPLE = "multiple"
    REVIEW = "review"


class Effect(StrEnum):
    """How a mark or comment was made: the family a benchmark groups results by.

    An item gets one effect; when several apply, the one that makes it hardest to read
    wins: the hard cases' erased, erased alone and neighbour, then blank, double,
    correction, stray, faint pencil, overflow, fill/dot/scribble, pencil, blue pen, then
    the plain tick or cross. The `shape` and `ink` columns of
    marks.csv keep the rest.
    """

    TICK = "tick"
    CROSS = "cross"
    FILL = "fill"
    DOT = "dot"
    SCRIBBLE = "scribble"
    OVERFLOW = "overflow"
    FAINT_PENCIL = "faint_pencil"
    PENCIL = "pencil"
    BLUE_PEN = "blue_pen"
    CORRECTION = "correction"
    DOUBLE = "double"
    BLANK = "blank"
    STRAY = "stray"
    PRINTED = "printed"
    HANDWRITING = "handwriting"
    TOUCHES_FRAME = "touches_frame"
    COLOUR = "colour"
    GREYSCALE = "greyscale"
    ERASED = "erased"
    """A rubbed-out tick's ghost in one box, the answer ticked in another (`--hard`)."""
    ERASED_ALONE = "erased_alone"
    """A rubbed-out tick's ghost and nothing else: blank (`--hard`)."""
    NEIGHBOUR = "neighbour"
    """A mark whose stroke runs into the neighbouring box (`--hard`)."""


ITEM_EFFECTS = (Effect.TICK, Effect.CROSS, Effect.FILL, Effect.DOT, Effect.SCRIBBLE, Effect.OVERFLOW,
                Effect.FAINT_PENCIL, Effect.PENCIL, Effect.BLUE_PEN, Effect.CORRECTION, Effect.DOUBLE,
                Effect.BLANK, Effect.STRAY)
COMMENT_EFFECTS = (Effect.PRINTED, Effect.HANDWRITING, Effect.BLANK, Effect.TOUCHES_FRAME)


@dataclass(frozen=True)
class BoxMark:
    """Ink in one box."""

    code: int
    shape: Shape
    overflow: bool = False
    into: int | None = None
    """The neighbouring box's code when a stroke runs into it (the mark still counts here)."""


@dataclass(frozen=True)
class ItemAnswer:
    """The truth for one item on one sheet: what was marked and what should be read."""

    item: str
    page: int
    value: int | None
    status: Status
    effect: Effect
    ink: Ink | None
    marks: tuple[BoxMark, ...] = ()
    stray: bool = False

    @property
    def shape(self) -> str:
        answer = [m for m in self.marks if m.shape not in (Shape.INKED_OUT, Shape.ERASED)]
        return answer[0].shape.value if answer else ""


@dataclass(frozen=True)
class CommentAnswer:
    """The truth for one comment zone: the text and the lines it is written on."""

    comment: str
    page: int
    lines: tuple[str, ...]
    effect: Effect
    ink: Ink | None
    hand: Hand | None
    touch: str = ""
    """Which side of the frame the writing runs into: top, bottom, right, or none."""

    @property
    def text(self) -> str:
        """The comment as the dataset holds it: its lines joined by single spaces."""
        return " ".join(self.lines)


@dataclass(frozen=True)
class Respondent:
    """Habits that hold for a whole questionnaire."""

    pen: Ink
    pen_width_mm: float
    habit: Shape
    skip: float
    talk: float
    lean: float
    faint: float
    hand: Hand


@dataclass(frozen=True)
class Sheet:
    """One respondent's questionnaire: paper, answers and comments."""

    sheet_id: str
    index: int
    colour: str
    programme: str
    respondent: Respondent
    answers: tuple[ItemAnswer, ...]
    comments: tuple[CommentAnswer, ...]

    def answers_on(self, page: int) -> list[ItemAnswer]:
        return [a for a in self.answers if a.page == page]

    def comments_on(self, page: int) -> list[CommentAnswer]:
        return [c for c in self.comments if c.page == page]


@dataclass(frozen=True)
class ItemSkew:
    """An item's answer distribution for a batch: mean position on the scale (0 to 1)
    and concentration of a beta-binomial."""

    mean: float
    concentration: float


def load_phrases() -> tuple[str, ...]:
    """The comment phrases shipped in `phrases.txt`."""
    text = resources.files("scanner.synth").joinpath("phrases.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def draw_skews(template: Template, rates: Rates, rng: np.random.Generator) -> dict[str, ItemSkew]:
    """Per-item answer distributions for one batch: most lean to agreement, some the
    other way, some are spread and some near consensus, as real Likert data is."""
    skews = {}
    for item in template.items:
        positive = rng.random() < rates.positive_items
        mean = rng.beta(4.0, 2.2) if positive else rng.beta(2.2, 4.0)
        skews[item.id] = ItemSkew(float(mean), float(rng.uniform(*rates.concentration)))
    return skews


def _beta_binomial(n: int, mean: float, concentration: float) -> np.ndarray:
    """Probabilities of 0..n under a beta-binomial: a skewed, realistic Likert profile."""
    a, b = mean * concentration, (1 - mean) * concentration
    lg = math.lgamma
    logs = [lg(n + 1) - lg(k + 1) - lg(n - k + 1) + lg(k + a) + lg(n - k + b) - lg(n + a + b)
            + lg(a + b) - lg(a) - lg(b) for k in range(n + 1)]
    p = np.exp(np.array(logs) - max(logs))
    return p / p.sum()


def _choice(rng: np.random.Generator, weighted: tuple[tuple[object, float], ...]):
    values = [v for v, _ in weighted]
    p = np.array([w for _, w in weighted], dtype=float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]


def draw_respondent(fonts: Fonts, rates: Rates, rng: np.random.Generator, effects: bool = True) -> Respondent:
    """A respondent's pen, habitual mark, handwriting and how much they skip and write."""
    if not effects:
        return Respondent(Ink.BLACK, 0.45, Shape.TICK, 0.0, rates.comment, 0.0, 0.0, printed_hand())
    pen = Ink(_choice(rng, rates.pens))
    width = float(rng.uniform(0.3, 0.45) if pen is Ink.PENCIL else rng.uniform(0.35, 0.6))
    habit = Shape(_choice(rng, rates.shapes))
    # Beta draws around the table's means: most skip nothing, a few skip a lot.
    skip = float(rng.beta(0.6, 0.6 * (1 - rates.blank_item) / rates.blank_item))
    talk = float(rng.beta(1.0, 1.0 * (1 - rates.comment) / rates.comment))
    faint = float(rng.uniform(*rates.faint_pencil)) if pen is Ink.PENCIL else 0.0
    hands = fonts.handwriting()
    hand = Hand(font=hands[int(rng.integers(len(hands)))], cap_mm=float(rng.uniform(2.5, 3.4)),
                slant=float(rng.uniform(-0.05, 0.22)), jitter=float(rng.uniform(0.03, 0.07)),
                spacing=float(rng.uniform(0.95, 1.1)))
    return Respondent(pen, width, habit, skip, talk, float(rng.normal(0, rates.respondent_lean_sd)), faint, hand)


def printed_hand() -> Hand:
    return Hand(PRINT_FONT_FILE, PRINT_CAP_MM)


def _value(item: Item, colour: str, skew: ItemSkew, lean: float, rates: Rates, rng: np.random.Generator) -> int:
    codes = [o.code for o in item.options]
    if item.id == rates.role_item:
        weights = rates.agency_roles if colour == rates.agency_colour else rates.programme_roles
        allowed = tuple((c, w) for c, w in weights if c in codes)
        if allowed:
            return int(_choice(rng, allowed))
    # Options are printed in scale order; the distribution runs along that order.
    mean = float(np.clip(skew.mean + lean, 0.02, 0.98))
    p = _beta_binomial(len(codes) - 1, mean, skew.concentration)
    return codes[int(rng.choice(len(codes), p=p))]


def other_code(codes: list[int], code: int, rng: np.random.Generator) -> int:
    """Another option, usually a neighbour: people waver between adjacent answers."""
    k = codes.index(code)
    neighbours = [codes[j] for j in (k - 1, k + 1) if 0 <= j < len(codes)]
    if neighbours and rng.random() < 0.7:
        return neighbours[int(rng.integers(len(neighbours)))]
    others = [c for c in codes if c != code]
    return others[int(rng.integers(len(others)))]


def _effect(shape: Shape, ink: Ink, overflow: bool, stray: bool) -> Effect:
    if stray:
        return Effect.STRAY
    if ink is Ink.FAINT_PENCIL:
        return Effect.FAINT_PENCIL
    if overflow:
        return Effect.OVERFLOW
    if shape in (Shape.FILL, Shape.DOT, Shape.SCRIBBLE):
        return Effect(shape.value)
    if ink is Ink.PENCIL:
        return Effect.PENCIL
    if ink is Ink.BLUE:
        return Effect.BLUE_PEN
    return Effect(shape.value)


def _line_shape(habit: Shape) -> Shape:
    """The shape used where a mark must read as a plain tick (corrections, doubles)."""
    return habit if habit in (Shape.TICK, Shape.CROSS) else Shape.TICK


def draw_answer(item: Item, value: int, who: Respondent, rates: Rates, rng: np.random.Generator,
                effects: bool = True) -> ItemAnswer:
    """How `who` marks `item`, whose true answer is `value`."""
    if not effects:
        return ItemAnswer(item.id, item.page, value, Status.OK, Effect.TICK, Ink.BLACK, (BoxMark(value, Shape.TICK),))
    codes = [o.code for o in item.options]
    ink = Ink.FAINT_PENCIL if who.pen is Ink.PENCIL and rng.random() < who.faint else who.pen
    r = rng.random()
    if r < who.skip:
        return ItemAnswer(item.id, item.page, None, Status.BLANK, Effect.BLANK, None)
    r -= who.skip
    if len(codes) > 1 and not item.multiple and r < rates.double:
        other = other_code(codes, value, rng)
        shape = _line_shape(who.habit)
        marks = tuple(sorted((BoxMark(value, shape), BoxMark(other, shape)), key=lambda m: m.code))
        return ItemAnswer(item.id, item.page, None, Status.MULTIPLE, Effect.DOUBLE, ink, marks)
    r -= rates.double
    if len(codes) > 1 and r < rates.correction:
        cancelled = other_code(codes, value, rng)
        marks = (BoxMark(cancelled, Shape.INKED_OUT), BoxMark(value, _line_shape(who.habit)))
        return ItemAnswer(item.id, item.page, value, Status.OK, Effect.CORRECTION, ink, marks)
    shape = who.habit if rng.random() < rates.habit else Shape(_choice(rng, rates.shapes))
    overflow = bool(rng.random() < rates.overflow)
    if overflow or (ink is Ink.FAINT_PENCIL and shape is Shape.DOT):
        # A faint dot would be no mark at all: light hands tick.
        shape = _line_shape(shape)
    stray = bool(rng.random() < rates.stray)
    effect = _effect(shape, ink, overflow, stray)
    return ItemAnswer(item.id, item.page, value, Status.OK, effect, ink, (BoxMark(value, shape, overflow),), stray)


def wrap_words(words: list[str], hand: Hand, width_mm: float, fonts: Fonts) -> list[str]:
    """Greedy word wrap of `words` into lines no wider than `width_mm` in `hand`."""
    lines: list[str] = []
    for word in words:
        if lines and fonts.width_mm(lines[-1] + " " + word, hand) <= width_mm:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _sentence(phrases: list[str], rng: np.random.Generator) -> str:
    text = ". ".join(phrases)
    return text + "." if rng.random() < 0.6 else text


def max_lines(zone: Comment, hand: Hand) -> int:
    """How many lines of `hand` fit in a zone, keeping room for descenders."""
    usable = zone.box_mm[3] - 2.0 - hand.cap_mm * 0.8
    return max(1, int(usable // (hand.cap_mm * LINE_PITCH)))


def compose_comment(zone: Comment, hand: Hand, phrases: tuple[str, ...], fonts: Fonts, rates: Rates,
                    rng: np.random.Generator, extra_mm: float = 0.0) -> tuple[str, ...]:
    """One to three phrases as sentences, wrapped into lines that fit the zone (or
    `extra_mm` wider, for writing that runs over the frame)."""
    width = zone.box_mm[2] - 2 * COMMENT_MARGIN_MM + extra_mm
    room = max_lines(zone, hand)
    wanted = 1 if rng.random() >= rates.two_lines else 2
    if room > 3:
        wanted += int(rng.integers(0, 3))
    wanted = min(wanted, room)
    picked = [phrases[int(k)] for k in rng.permutation(len(phrases))[:6]]
    for n in range(min(len(picked), 3 * wanted), 0, -1):
        lines = wrap_words(_sentence(picked[:n], rng).split(), hand, width, fonts)
        if len(lines) <= wanted:
            return tuple(lines)
    # Even one phrase is too wide for one line: cut it to the words that fit.
    return tuple(wrap_words(picked[0].split(), hand, width, fonts)[:room])


def draw_comment(zone: Comment, who: Respondent, phrases: tuple[str, ...], fonts: Fonts, rates: Rates,
                 rng: np.random.Generator, effects: bool = True) -> CommentAnswer:
    """Whether `who` writes in `zone`, what, in which hand, and whether it hits the frame."""
    if rng.random() >= who.talk:
        return CommentAnswer(zone.id, zone.page, (), Effect.BLANK, None, None)
    if not effects or rng.random() < rates.printed:
        hand = printed_hand()
        return CommentAnswer(zone.id, zone.page, compose_comment(zone, hand, phrases, fonts, rates, rng),
                             Effect.PRINTED, Ink.PRINT, hand)
    hand = who.hand
    ink = who.pen
    if rng.random() < rates.touches_frame:
        touch = ("top", "bottom", "right")[int(rng.integers(3))]
        # Running out of room on the right: the line is wrapped a little wider than the
        # zone, and the writer starts near the left edge all the same.
        extra = RIGHT_OVERRUN_MM if touch == "right" else 0.0
        lines = compose_comment(zone, hand, phrases, fonts, rates, rng, extra_mm=extra)
        if touch == "right" and max(fonts.width_mm(line, hand) for line in lines) < 0.8 * zone.box_mm[2]:
            touch = "bottom"
        return CommentAnswer(zone.id, zone.page, lines, Effect.TOUCHES_FRAME, ink, hand, touch)
    lines = compose_comment(zone, hand, phrases, fonts, rates, rng)
    return CommentAnswer(zone.id, zone.page, lines, Effect.HANDWRITING, ink, hand)


def draw_sheet(template: Template, index: int, colour: Colour | None, skews: dict[str, ItemSkew],
               phrases: tuple[str, ...], fonts: Fonts, rates: Rates, rng: np.random.Generator,
               effects: bool = True, id_width: int = 4) -> Sheet:
    """Everything about one questionnaire: the respondent, each item and each comment."""
    name = colour.name if colour else ""
    who = draw_respondent(fonts, rates, rng, effects)
    answers = []
    for item in template.items:
        value = _value(item, name, skews[item.id], who.lean, rates, rng)
        answers.append(draw_answer(item, value, who, rates, rng, effects))
    comments = tuple(draw_comment(z, who, phrases, fonts, rates, rng, effects) for z in template.comments)
    return Sheet(f"s{index + 1:0{id_width}d}", index, name, colour.programme if colour else "", who,
                 tuple(answers), comments)
