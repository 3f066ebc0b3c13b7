"""Generate whole batches: plan the files and sheets, draw every page, write the truth.

Randomness comes in separate streams keyed by what it decides (the batch's item
skews, the file plan, each sheet, each file's scanner, each page's strokes), each a
numpy Generator seeded from (seed, stream, index). So the same seed gives the same
truth and the same JPEG bytes, a sheet's answers do not depend on how many came
before it, and files can be drawn in any order or in parallel.

The truth, in `out_dir/truth/`:

- responses.csv: what a perfect reader reports, in the contract's columns (an item is
  empty when blank or when two boxes are ticked; comment lines are joined by single
  spaces), then `serial` (the copy's number in its QR code, empty when unnumbered).
- pages.csv: every page of every file: the contract's `source, page, status,
  sheet_id, reason`, then `form_page`, `serial`, `colour` and the scan: `dpi,
  greyscale, rotation_deg` (clockwise in the image), `shift_x_mm, shift_y_mm, scale,
  upside_down, photo, blur_px, jpeg_quality, width_px, height_px`; for form pages
  `markers_cut` (corner markers pushed partly off the image) and `h_mm_to_px`: the
  page-mm-to-pixel homography, 9 numbers row by row (pixel centres at integers), which
  is what registration must recover.
- marks.csv: one row per sheet and item, comment and `programme`: `sheet_id, item,
  value, expected_status` (ok, blank, multiple; `review` for the programme of a
  greyscale scan), `effect` (see `respondents.Effect`), then `page`, `shape`, `ink`,
  `inked` (codes whose boxes carry ink), `cancelled` (the code inked out), and for
  comments `font` and `touch` (the frame side the writing runs into).
- manifest.json: seed, options, template form and version, counts, and each file's
  resolution, colour mode, duplex, cover letter, numbering and paper colour.

With hard cases (`SynthOptions.hard`), pages.csv and marks.csv gain the columns of
`HARD_PAGE_COLUMNS` and `HARD_MARK_COLUMNS`, and `h_mm_to_px` includes where the form
was printed on the sheet. With stock cases (`SynthOptions.stock`), pages.csv gains
`stock`. With flatbed files (`SynthOptions.flatbed_share`), pages.csv gains `scenario`
(flatbed, feeder, greyscale or phone) and the manifest's files `flatbed`. Without
them, not a byte changes.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from scanner.render import marker_boxes
from scanner.synth.hard import (PHOTO_HARD, Hard, PageHard, Print, camera, crease, cut_marker, draw_page_hard,
                                dust, harden_sheet, item_hard, paper_off, parse_hard, staple)
from scanner.synth.ink import Fonts, Shape
from scanner.synth.letter import cover_letter
from scanner.synth.paper import (BlankPages, PageScan, Scanner, blank_back, draw_page_scan, draw_scanner,
                                 lay_paper, mm_to_raster, paper_quad)
from scanner.synth.page import Desk
from scanner.synth.pdf import JpegPdfWriter
from scanner.synth.rates import FlatbedRates, HardRates, Rates
from scanner.synth.respondents import Effect, Sheet, Status, draw_sheet, draw_skews, load_phrases
from scanner.synth.stock import (BatchStock, FileStock, StockRates, draw_batch_stock, draw_file_stock, page_names,
                                 parse_stock, white_balanced)
from scanner.template import Colour, Template

log = logging.getLogger(__name__)

# Random streams: the second key of every seed. The hard cases draw from streams of
# their own, so that a batch without them is the same as before they existed.
SKEWS, FILES, SHEETS, SCANNERS, PAGES, TINTS, HARD_SHEETS, HARD_PAPER, HARD_PAGES, STOCK, FLATBED = range(1, 12)
STOCK_BATCH, STOCK_FILE_COLOURS, STOCK_SHEETS, STOCK_FILES, STOCK_PAGES = range(5)
"""The stock cases' streams: the third key of a `STOCK` seed."""

PAGE_COLUMNS = ["source", "page", "status", "sheet_id", "reason", "form_page", "serial", "colour", "dpi",
                "greyscale", "rotation_deg", "shift_x_mm", "shift_y_mm", "scale", "upside_down", "photo",
                "blur_px", "jpeg_quality", "width_px", "height_px", "markers_cut", "h_mm_to_px"]
MARK_COLUMNS = ["sheet_id", "item", "value", "expected_status", "effect", "page", "shape", "ink", "inked",
                "cancelled", "font", "touch"]
"""marks.csv: the brief's columns, then the form page, the mark's shape and ink, the codes
whose boxes carry ink and the one inked out to cancel it; for comments the font and the
side of the frame the writing runs into."""
HARD_PAGE_COLUMNS = ["hard", "paper_delta_e", "print_scale", "print_offset_x_mm", "print_offset_y_mm",
                     "print_rotation_deg"]
"""pages.csv with hard cases: the effects on the page, how far its paper is off the
reference colour, and where the form was printed on the sheet (in `h_mm_to_px` too)."""
HARD_MARK_COLUMNS = ["erased", "hard"]
"""marks.csv with hard cases: the code rubbed out, and every hard effect on the item
(its mark's and its page's)."""
STOCK_PAGE_COLUMNS = ["stock"]
"""pages.csv with stock cases: the cases touching the page (`stock.page_names`)."""
FLATBED_PAGE_COLUMNS = ["scenario"]
"""pages.csv with flatbed files: how the page was scanned (`scanner.evaluate.SCENARIOS`)."""


@dataclass(frozen=True)
class SynthOptions:
    """What the generated batch looks like. Shares are of files or pages as named."""

    per_file: int = 10
    """Questionnaires per batch PDF (what a sheet feeder takes in one go)."""
    greyscale_share: float = 0.15
    """Share of batch files scanned in greyscale."""
    dpis: tuple[int, ...] = (150, 200, 300)
    """Scan resolutions; each file takes one at random."""
    photo_share: float = 0.03
    """Pages that look like a phone photo (mild perspective, uneven light)."""
    upside_down_share: float = 0.05
    """Pages fed upside down."""
    duplex_blank_share: float = 0.1
    """Share of files scanned duplex: a blank back after each page."""
    cover_letter_share: float = 0.2
    """Share of files with a cover letter (not a form page) among the questionnaires."""
    numbered_share: float = 0.5
    """Share of files whose copies carry serials in the QR code."""
    effects: bool = True
    """False: clean black ticks on white paper, no distortion, no blur or noise (simple tests)."""
    rates: Rates = field(default_factory=Rates)
    """Probabilities of everything else (`scanner.synth.rates`)."""
    jobs: int = 1
    """Processes drawing files in parallel."""
    hard: tuple[str, ...] = ()
    """Hard cases to add (`hard.Hard` names, or `hard.ALL_HARD`); none by default."""
    hard_rates: HardRates = field(default_factory=HardRates)
    """How often and how strongly the hard cases happen."""
    stock: tuple[str, ...] = ()
    """Paper stock and light cases to add (`stock.Stock` names, or `stock.ALL_STOCK`); none by default."""
    stock_rates: StockRates = field(default_factory=StockRates)
    """How often and how strongly the stock cases happen."""
    flatbed_share: float = 0.0
    """Share of questionnaires scanned on a flatbed, a file each, every page laid on the
    glass by hand (`flatbed_rates`); none by default. The rest fill the feeder's files."""
    flatbed_rates: FlatbedRates = field(default_factory=FlatbedRates)
    """How the flatbed's pages lie on the glass."""
    printed: str | None = None
    """The form's own PDF to print, for a form `render` did not make (a word processor's);
    the template gives its true geometry (`scanner.draft.truth_template`). None: the
    template as `render` prints it."""


@dataclass(frozen=True)
class SynthResult:
    questionnaires: int
    pages: int
    files: list[Path]
    truth_dir: Path


@dataclass(frozen=True)
class FilePlan:
    """One batch PDF: which sheets, in what order, and how the scanner was set."""

    index: int
    name: str
    sheets: tuple[int, ...]
    dpi: int
    greyscale: bool
    duplex: bool
    letter_at: int | None
    """The letter comes before the questionnaire at this position (len(sheets): at the end)."""
    numbered: bool
    colour: str | None
    """The one paper colour of a file sorted by programme; None for a mixed file."""
    flatbed: bool = False
    """One questionnaire laid on a flatbed's glass page by page, not fed."""


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed % (1 << 63), *keys])


def _rounded(n: int, share: float, rng: np.random.Generator) -> int:
    """round(share * n), rounding at random: shares hold in small batches."""
    return min(max(int(math.floor(share * n + rng.random())), 0), n)


def _quota(n: int, share: float, rng: np.random.Generator) -> set[int]:
    """Exactly round(share * n) of n files, rounding at random."""
    k = _rounded(n, share, rng)
    return set(int(i) for i in rng.permutation(n)[:k])


def _agency(template: Template, rates: Rates) -> Colour | None:
    return template.colour(rates.agency_colour)


def _draw_colour(template: Template, rates: Rates, rng: np.random.Generator) -> Colour | None:
    if not template.colours:
        return None
    agency = _agency(template, rates)
    programmes = [c for c in template.colours if c is not agency]
    if agency is not None and (not programmes or rng.random() < rates.agency_paper):
        return agency
    return programmes[int(rng.integers(len(programmes)))]


def batch_stock(template: Template, seed: int, options: SynthOptions) -> BatchStock:
    """The batch's stock choices (its one programme, its ream between two colours)."""
    return draw_batch_stock(template, parse_stock(options.stock), _agency(template, options.rates),
                            _rng(seed, STOCK, STOCK_BATCH))


def plan_files(template: Template, count: int, seed: int, options: SynthOptions) -> list[FilePlan]:
    """Split `count` questionnaires into batch files and set each file's scanner: the
    feeder's files first, then the flatbed's, one questionnaire each."""
    rng = _rng(seed, FILES)
    stock = batch_stock(template, seed, options)
    per_file = max(1, options.per_file)
    flatbed = _rounded(count, options.flatbed_share, _rng(seed, FLATBED)) if options.flatbed_share else 0
    fed = count - flatbed
    n = math.ceil(fed / per_file) + flatbed if flatbed else max(1, math.ceil(count / per_file))
    grey = _quota(n, options.greyscale_share, rng)
    duplex = _quota(n, options.duplex_blank_share, rng)
    letters = _quota(n, options.cover_letter_share, rng)
    numbered = _quota(n, options.numbered_share, rng)
    plans = []
    feeder_files = n - flatbed
    for f in range(n):
        on_glass = f >= feeder_files
        sheets = (fed + f - feeder_files,) if on_glass else tuple(range(f * per_file, min(fed, (f + 1) * per_file)))
        dpi = int(options.dpis[int(rng.integers(len(options.dpis)))])
        colour = None
        if rng.random() < options.rates.sorted_file:
            chosen = _draw_colour(template, options.rates, rng)
            chosen = stock.colour(template, chosen, _agency(template, options.rates),
                                  _rng(seed, STOCK, STOCK_FILE_COLOURS, f))
            colour = chosen.name if chosen else None
        letter_at = None
        if f in letters:
            letter_at = 0 if rng.random() < 0.5 else int(rng.integers(0, len(sheets) + 1))
        # A form printed without markers has no QR code to number its copies in.
        # A flatbed scans one side: nobody lays the blank backs on the glass.
        plans.append(FilePlan(f, f"{'flatbed' if on_glass else 'batch'}-{f + 1:03d}.pdf", sheets, dpi, f in grey,
                              f in duplex and not on_glass, letter_at, f in numbered and template.registration.markers,
                              colour, on_glass))
    return plans


def plan_sheets(template: Template, files: list[FilePlan], seed: int, options: SynthOptions,
                fonts: Fonts) -> list[Sheet]:
    """Every respondent's questionnaire: paper colour (the file's, when sorted), answers, comments."""
    rates = options.rates
    skews = draw_skews(template, rates, _rng(seed, SKEWS))
    phrases = load_phrases()
    total = sum(len(f.sheets) for f in files)
    width = max(4, len(str(total)))
    plain = _agency(template, rates) or (template.colours[0] if template.colours else None)
    hard = parse_hard(options.hard)
    stock = batch_stock(template, seed, options)
    sheets = []
    for plan in files:
        for index in plan.sheets:
            rng = _rng(seed, SHEETS, index)
            if not options.effects:
                colour = plain
            elif plan.colour is not None:
                colour = template.colour(plan.colour)
            else:
                colour = stock.colour(template, _draw_colour(template, rates, rng), _agency(template, rates),
                                      _rng(seed, STOCK, STOCK_SHEETS, index))
            sheet = draw_sheet(template, index, colour, skews, phrases, fonts, rates, rng, options.effects, width)
            sheets.append(harden_sheet(sheet, template, hard, options.hard_rates, _rng(seed, HARD_SHEETS, index)))
    return sheets


def _bgr(rgb) -> tuple[int, int, int]:
    r, g, b = (int(np.clip(v, 0, 255)) for v in rgb)
    return b, g, r


def _paper(template: Template, sheet: Sheet, ream: dict[str, np.ndarray], seed: int, options: SynthOptions,
           stock: FileStock = FileStock()) -> tuple[tuple[int, int, int], float]:
    """The sheet's paper colour (the template's or this file's odd ream's, this file's
    ream, this sheet) and, with the `paper` hard case, the DeltaE of the other ream's
    stock from the reference."""
    colour = template.colour(sheet.colour)
    odd = stock.papers.get(sheet.colour)
    rgb = np.array(odd[0] if odd else colour.rgb if colour else (255, 255, 255), dtype=int)
    delta_e = 0.0
    if Hard.PAPER in parse_hard(options.hard):
        rng = _rng(seed, HARD_PAPER, sheet.index)
        if rng.random() < options.hard_rates.paper:
            moved, delta_e = paper_off(rgb, options.hard_rates, rng)
            rgb = moved.astype(int)
    if not options.effects:
        return _bgr(rgb), delta_e
    rates = options.rates
    jitter = _rng(seed, TINTS, sheet.index).integers(-rates.sheet_jitter, rates.sheet_jitter + 1, 3)
    return _bgr(rgb + ream.get(sheet.colour, 0) + jitter), delta_e


TABLES = ((150, 105, 65), (112, 110, 108), (205, 202, 195), (62, 55, 50), (175, 140, 100))
"""Colours (RGB) of what a phone photo shows around the sheet: wood, grey, white, dark desks."""


def _table(rng: np.random.Generator) -> tuple[int, int, int]:
    base = np.array(TABLES[int(rng.integers(len(TABLES)))])
    return _bgr(base + rng.integers(-12, 13, 3))


def photograph(raster: np.ndarray, dpi: int, rng: np.random.Generator, paper_rgb=(255, 255, 255),
               rates: Rates = Rates()) -> tuple[np.ndarray, np.ndarray]:
    """A phone photo of one page (its greyscale raster at `dpi`), taken as the generator
    takes a filled page's: perspective, the table around the sheet, uneven warm light,
    noise, blur and JPEG. Returns the BGR image (the raster's size) and the
    page-mm-to-pixel homography."""
    scan = draw_page_scan(rng, rates, dpi, photo=True)
    scanner = Scanner(draw_scanner(rng, rates, dpi, greyscale=False), rng)
    grey, m = lay_paper(raster, scan, dpi)
    image = scanner.develop(grey, scan, rng)
    quad = paper_quad(m, (raster.shape[1], raster.shape[0]))
    jpeg = scanner.finish(image, scan, rng, _bgr(paper_rgb), quad, _table(rng))
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), m @ mm_to_raster(dpi)


def _lid(rates: FlatbedRates, rng: np.random.Generator) -> tuple[int, int, int]:
    """What a flatbed shows beyond the page (BGR): its closed lid's white, or with the lid
    up the dark room."""
    low, high = rates.open_lid if rng.random() < rates.lid_open else rates.lid
    return _bgr(np.full(3, rng.integers(low, high + 1)) + rng.integers(-3, 4, 3))


def _markers_cut(template: Template, h_mm: np.ndarray, size_px: tuple[int, int]) -> int:
    """How many corner markers the distortion pushed (partly) off the image."""
    w, h = size_px
    cut = 0
    for x, y, s in marker_boxes(template):
        pts = np.array([[[x, y], [x + s, y], [x + s, y + s], [x, y + s]]], np.float64)
        img = cv2.perspectiveTransform(pts, h_mm)[0]
        if img[:, 0].min() < 0 or img[:, 1].min() < 0 or img[:, 0].max() > w - 1 or img[:, 1].max() > h - 1:
            cut += 1
    return cut


def _sequence(plan: FilePlan, template: Template) -> list[tuple[str, int | None, int | None]]:
    """The file's pages in order: (kind, sheet index, form page); kind form/back/letter."""
    pages: list[tuple[str, int | None, int | None]] = []
    for position in range(len(plan.sheets) + 1):
        if plan.letter_at == position:
            pages.append(("letter", None, None))
            if plan.duplex:
                pages.append(("back", None, None))
        if position == len(plan.sheets):
            break
        for number in template.page_numbers:
            pages.append(("form", plan.sheets[position], number))
            if plan.duplex:
                pages.append(("back", plan.sheets[position], None))
    return pages


def _scan_row(scan: PageScan) -> dict:
    return {"rotation_deg": scan.rotation_deg, "shift_x_mm": scan.shift_mm[0], "shift_y_mm": scan.shift_mm[1],
            "scale": scan.scale, "upside_down": int(scan.upside_down), "photo": int(scan.photo),
            "blur_px": scan.blur_px}


@dataclass
class _Drawn:
    """A page drawn on white paper, waiting for the scanner: what `Scanner.finish` needs."""

    image: np.ndarray
    quad: np.ndarray
    scan: PageScan
    paper: tuple[int, int, int]
    surround: tuple[int, int, int] | None
    row: dict
    camera: Callable[[np.ndarray], None] | None = None


class _FileDrawer:
    """Draws the pages of one batch file in order (a duplex back needs its front)."""

    def __init__(self, template: Template, plan: FilePlan, sheets: dict[int, Sheet], seed: int,
                 options: SynthOptions, desk: Desk):
        self.template, self.plan, self.sheets, self.seed, self.options, self.desk = (
            template, plan, sheets, seed, options, desk)
        rates = options.rates
        rng = _rng(seed, SCANNERS, plan.index)
        self.batch_stock = batch_stock(template, seed, options)
        self.stock = (draw_file_stock(template, self.batch_stock, options.stock_rates,
                                      _rng(seed, STOCK, STOCK_FILES, plan.index)) if options.stock else FileStock())
        # One flatbed on the desk scans every questionnaire laid on its glass, from one pile
        # of paper: its quirks and the pile's reams are the batch's, not each file's (else a
        # file of one questionnaire would be a scanner and a ream of its own).
        owner = _rng(seed, FLATBED) if plan.flatbed else rng
        self.look = self.stock.look(draw_scanner(owner, rates, plan.dpi, plan.greyscale, options.effects))
        self.scanner = Scanner(self.look, rng)
        # Each programme's paper comes from one ream per file (per flatbed): its own tint.
        self.ream = {c.name: owner.integers(-rates.paper_jitter, rates.paper_jitter + 1, 3) for c in template.colours}
        self.size = desk.blanks.size_px(plan.dpi)
        self.front: _Drawn | None = None
        self.lid = _lid(options.flatbed_rates, _rng(seed, FLATBED, plan.index)) if plan.flatbed else None

    def page(self, kind: str, index: int | None, form_page: int | None, rng: np.random.Generator,
             hard_rng: np.random.Generator) -> _Drawn:
        if kind == "back":
            return self._back(index, rng)
        effects, options, flatbed = self.options.effects, self.options, self.plan.flatbed
        hard = PageHard()
        if kind == "form" and options.hard:
            # A page on the glass is no phone photo: none of a photo's hard cases.
            hard = draw_page_hard(tuple(h for h in parse_hard(options.hard) if not (flatbed and h in PHOTO_HARD)),
                                  options.hard_rates, hard_rng)
        photo = effects and rng.random() < options.photo_share and not flatbed
        photo = photo or (effects and hard.photo) or (effects and kind == "form" and self.stock.warm is not None)
        upside_down = options.flatbed_rates.upside_down if flatbed else options.upside_down_share
        upside = effects and rng.random() < upside_down
        rates = options.flatbed_rates.placed(options.rates) if flatbed else options.rates
        scan = draw_page_scan(rng, rates, self.plan.dpi, photo=photo, upside_down=upside, effects=effects)
        scan = cut_marker(scan, hard, self.template, self.plan.dpi)
        surround = _table(rng) if photo else self.lid
        if kind == "letter":
            drawn = self._letter(scan, surround, rng)
        else:
            drawn = self._form(self.sheets[index], form_page, scan, surround, rng, hard, hard_rng)
        self.front = drawn
        return drawn

    def _form(self, sheet: Sheet, form_page: int, scan: PageScan, surround, rng: np.random.Generator,
              hard: PageHard, hard_rng: np.random.Generator) -> _Drawn:
        plan, template, options = self.plan, self.template, self.options
        serial = sheet.index + 1 if plan.numbered else None
        image, m = self.desk.form_page(form_page, plan.dpi, serial, scan, self.scanner, rng, options.effects, hard,
                                       hard_rng, options.hard_rates)
        self.desk.ink(image, m, plan.dpi, sheet.answers_on(form_page), sheet.comments_on(form_page),
                      sheet.respondent.pen_width_mm, rng, hard_rng, options.hard_rates)
        sheet_mm = scan.homography(template.page_size_mm, plan.dpi)
        h_mm = sheet_mm if hard.print == Print() else sheet_mm @ hard.print.matrix_mm(template.page_size_mm)
        row = {"status": "used", "sheet_id": sheet.sheet_id, "form_page": form_page,
               "serial": "" if serial is None else serial, "colour": sheet.colour,
               "markers_cut": _markers_cut(template, h_mm, self.size),
               "h_mm_to_px": " ".join(f"{v:.6g}" for v in (h_mm / h_mm[2, 2]).ravel()), **_scan_row(scan)}
        paper, delta_e = _paper(template, sheet, self.ream, self.seed, options, self.stock)
        self._paint(image, sheet_mm, hard, hard_rng)
        if options.hard:
            effects = [*hard.effects, *([Hard.PAPER] if delta_e else [])]
            row |= {"hard": " ".join(sorted(effects, key=list(Hard).index)),
                    "paper_delta_e": round(delta_e, 2), "print_scale": hard.print.scale,
                    "print_offset_x_mm": hard.print.offset_mm[0], "print_offset_y_mm": hard.print.offset_mm[1],
                    "print_rotation_deg": hard.print.rotation_deg}
        return _Drawn(image, paper_quad(scan.raster_to_image(self.size, plan.dpi), self.size), scan, paper, surround,
                      row, camera(hard, plan.dpi, hard_rng))

    def _paint(self, image: np.ndarray, sheet_mm: np.ndarray, hard: PageHard, rng: np.random.Generator) -> None:
        """What lies on the sheet or the glass: dust and a hair, a crease, staple holes."""
        size_mm, dpi = self.template.page_size_mm, self.plan.dpi
        if hard.has(Hard.DUST):
            dust(image, sheet_mm, size_mm, dpi, rng, hair=bool(rng.random() < 0.5))
        if hard.has(Hard.CREASE):
            crease(image, sheet_mm, size_mm, dpi, self.options.hard_rates, rng)
        if hard.has(Hard.STAPLE):
            staple(image, sheet_mm, dpi, rng)

    def _letter(self, scan: PageScan, surround, rng: np.random.Generator) -> _Drawn:
        colour = self.template.colour(self.plan.colour) if self.plan.colour else None
        raster = cover_letter(self.template.page_size_mm, self.plan.dpi, colour.programme if colour else "",
                              self.desk.fonts, rng)
        grey, m = lay_paper(raster, scan, self.plan.dpi)
        image = self.scanner.develop(grey, scan, rng, self.options.effects)
        paper = _bgr(np.array([250, 250, 248]) + (rng.integers(-3, 4, 3) if self.options.effects else 0))
        row = {"status": "unrecognised", "reason": "cover letter", **_scan_row(scan)}
        return _Drawn(image, paper_quad(m, self.size), scan, paper, surround, row)

    def _back(self, index: int | None, rng: np.random.Generator) -> _Drawn:
        """The front's sheet turned over: its skew mirrored, the front showing through."""
        front = self.front
        strength = float(rng.uniform(*self.options.rates.show_through)) if self.options.effects else 0.0
        scan = PageScan(-front.scan.rotation_deg, (-front.scan.shift_mm[0], front.scan.shift_mm[1]),
                        front.scan.scale, illumination=front.scan.illumination)
        grey, quad = blank_back(front.image, front.quad, strength)
        image = self.scanner.develop(grey, scan, rng, self.options.effects)
        row = {"status": "blank", "reason": "blank duplex back", **_scan_row(scan),
               "colour": self.sheets[index].colour if index is not None else ""}
        return _Drawn(image, quad, scan, front.paper, None, row)

    def stock_page(self, drawn: _Drawn, kind: str, rng: np.random.Generator) -> None:
        """A form page's automatic white balance and its stock cases in pages.csv."""
        if kind != "form" or not self.options.stock:
            return
        share = float(rng.uniform(*self.options.stock_rates.auto_white_share))
        if self.stock.auto_white and self.options.effects:
            drawn.paper = white_balanced(drawn.paper, self.look, drawn.scan.photo, share)
        drawn.row["stock"] = page_names(self.batch_stock, self.stock, drawn.row["colour"], drawn.scan.photo,
                                        self.stock.auto_white)


def render_file(template: Template, plan: FilePlan, sheets: dict[int, Sheet], seed: int, options: SynthOptions,
                out_dir: Path, desk: Desk) -> list[dict]:
    """Draw one batch file's pages and write its PDF; returns its rows of pages.csv."""
    drawer = _FileDrawer(template, plan, sheets, seed, options, desk)
    w, h = drawer.size
    rows = []
    with JpegPdfWriter(out_dir / plan.name) as pdf:
        for number, (kind, index, form_page) in enumerate(_sequence(plan, template), start=1):
            rng = _rng(seed, PAGES, plan.index, number)
            drawn = drawer.page(kind, index, form_page, rng, _rng(seed, HARD_PAGES, plan.index, number))
            drawer.stock_page(drawn, kind, _rng(seed, STOCK, STOCK_PAGES, plan.index, number))
            jpeg = drawer.scanner.finish(drawn.image, drawn.scan, rng, drawn.paper, drawn.quad, drawn.surround,
                                         options.effects, drawn.camera)
            pdf.add_page(jpeg, w, h, plan.dpi, plan.greyscale)
            rows.append({"source": plan.name, "page": number, "dpi": plan.dpi, "greyscale": int(plan.greyscale),
                         "jpeg_quality": drawer.look.jpeg_quality, "width_px": w, "height_px": h,
                         "scenario": _scenario(plan, drawn.scan), **drawn.row})
    return rows


def _scenario(plan: FilePlan, scan: PageScan) -> str:
    """How the page was scanned, as `scanner.evaluate.scenario` ranks it: a photo first,
    then a greyscale file, then the flatbed or the feeder."""
    if scan.photo:
        return "phone"
    if plan.greyscale:
        return "greyscale"
    return "flatbed" if plan.flatbed else "feeder"


def _render_job(args) -> list[dict]:
    template, plan, sheets, seed, options, out_dir = args
    with Desk(template, BlankPages(template, options.printed)) as desk:
        return render_file(template, plan, sheets, seed, options, out_dir, desk)


def _first_pages(rows: list[dict]) -> dict[str, tuple[str, int]]:
    first: dict[str, tuple[str, int]] = {}
    for row in rows:
        if row["status"] == "used" and row["sheet_id"] not in first:
            first[row["sheet_id"]] = (row["source"], row["page"])
    return first


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def response_rows(template: Template, sheets: list[Sheet], first: dict[str, tuple[str, int]],
                  serials: dict[str, int | None]) -> tuple[list[str], list[dict]]:
    """responses.csv: the contract's columns, then the copy's serial."""
    columns = ["sheet_id", "source", "first_page", "programme", "colour", *template.field_ids(), "serial"]
    rows = []
    for sheet in sheets:
        source, page = first[sheet.sheet_id]
        row = {"sheet_id": sheet.sheet_id, "source": source, "first_page": page, "programme": sheet.programme,
               "colour": sheet.colour, "serial": serials.get(sheet.sheet_id) or ""}
        row |= {a.item: "" if a.value is None else a.value for a in sheet.answers}
        row |= {c.comment: c.text for c in sheet.comments}
        rows.append(row)
    return columns, rows


def mark_rows(sheets: list[Sheet], greyscale: dict[str, bool],
              page_hard: dict[tuple[str, int], str] | None = None) -> list[dict]:
    """marks.csv: how each item and comment was made, and what the reader should say.

    With `page_hard` (each form page's hard effects, by sheet id and form page), also
    the code rubbed out and every hard effect on the item.
    """
    rows = []

    def hard(sheet: Sheet, page: int, own: tuple[Hard, ...] = ()) -> dict:
        if page_hard is None:
            return {}
        names = [*(h.value for h in own), *page_hard.get((sheet.sheet_id, page), "").split()]
        return {"hard": " ".join(sorted(set(names), key=[h.value for h in Hard].index))}

    for sheet in sheets:
        grey = greyscale[sheet.sheet_id]
        rows.append({"sheet_id": sheet.sheet_id, "item": "programme", "value": sheet.programme,
                     # A greyscale scan cannot show the paper: the reader must not guess.
                     "expected_status": Status.REVIEW if grey else Status.OK,
                     "effect": Effect.GREYSCALE if grey else Effect.COLOUR, "page": 1, **hard(sheet, 1)})
        for a in sheet.answers:
            rows.append({"sheet_id": sheet.sheet_id, "item": a.item, "value": "" if a.value is None else a.value,
                         "expected_status": a.status, "effect": a.effect, "page": a.page, "shape": a.shape,
                         "ink": a.ink or "", "inked": " ".join(str(m.code) for m in a.marks),
                         "cancelled": " ".join(str(m.code) for m in a.marks if m.shape is Shape.INKED_OUT),
                         "erased": " ".join(str(m.code) for m in a.marks if m.shape is Shape.ERASED),
                         **hard(sheet, a.page, item_hard(a))})
        for c in sheet.comments:
            rows.append({"sheet_id": sheet.sheet_id, "item": c.comment, "value": c.text,
                         "expected_status": Status.OK if c.lines else Status.BLANK, "effect": c.effect,
                         "page": c.page, "ink": c.ink or "", "touch": c.touch,
                         "font": c.hand.font if c.hand and c.lines else "", **hard(sheet, c.page)})
    return rows


def generate(template: Template, out_dir: Path, count: int, seed: int,
             options: SynthOptions = SynthOptions()) -> SynthResult:
    """Write scanned batches of `count` filled-in questionnaires and their ground truth.

    Writes `out_dir/batch-001.pdf`, ... (one JPEG per page, as a sheet feeder makes
    them) and `out_dir/truth/`: responses.csv and pages.csv as the reader should write
    them, marks.csv with how every mark and comment was made, manifest.json.

    `options.hard` adds hard cases (`scanner.synth.hard`), `options.stock` paper stock
    and light cases (`scanner.synth.stock`), `options.flatbed_share` questionnaires
    scanned on a flatbed, one a file (`flatbed-NNN.pdf`); without them the batch is
    exactly what the seed gave before they existed.

    Raises:
        ValueError: `count` is below 1, `options.dpis` is empty or `options.hard` or
            `options.stock` names an unknown effect.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not options.dpis:
        raise ValueError("options.dpis is empty: give at least one scan resolution")
    options = replace(options, hard=tuple(h.value for h in parse_hard(options.hard)),
                      stock=tuple(s.value for s in parse_stock(options.stock)))
    started = time.perf_counter()
    out_dir = Path(out_dir)
    truth = out_dir / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    with Desk(template, BlankPages(template, options.printed)) as desk:
        files = plan_files(template, count, seed, options)
        sheets = plan_sheets(template, files, seed, options, desk.fonts)
        by_index = {s.index: s for s in sheets}
        jobs = [(template, plan, {i: by_index[i] for i in plan.sheets}, seed, options, out_dir) for plan in files]
        rows: list[dict] = []
        if options.jobs > 1 and len(files) > 1:
            with ProcessPoolExecutor(max_workers=options.jobs) as pool:
                for plan, file_rows in zip(files, pool.map(_render_job, jobs)):
                    rows += file_rows
                    log.info("wrote %s (%d pages)", plan.name, len(file_rows))
        else:
            for plan, job in zip(files, jobs):
                file_rows = render_file(*job, desk)
                rows += file_rows
                log.info("wrote %s (%d pages)", plan.name, len(file_rows))
    serials = {s.sheet_id: (s.index + 1 if plan.numbered else None) for plan in files
               for s in (by_index[i] for i in plan.sheets)}
    greyscale = {by_index[i].sheet_id: plan.greyscale for plan in files for i in plan.sheets}
    columns, responses = response_rows(template, sheets, _first_pages(rows), serials)
    _write_csv(truth / "responses.csv", columns, responses)
    # The hard cases' columns only when asked for: default batches stay byte for byte as they were.
    hard = bool(options.hard)
    page_hard = {(r["sheet_id"], r["form_page"]): r["hard"] for r in rows if r["status"] == "used"} if hard else None
    _write_csv(truth / "pages.csv", PAGE_COLUMNS + (HARD_PAGE_COLUMNS if hard else [])
               + (STOCK_PAGE_COLUMNS if options.stock else [])
               + (FLATBED_PAGE_COLUMNS if options.flatbed_share else []), rows)
    _write_csv(truth / "marks.csv", MARK_COLUMNS + (HARD_MARK_COLUMNS if hard else []),
               mark_rows(sheets, greyscale, page_hard))
    elapsed = time.perf_counter() - started
    _write_manifest(truth / "manifest.json", template, seed, options, files, rows, len(sheets))
    log.info("%d questionnaires, %d pages in %.1f s (%.1f pages/s)", len(sheets), len(rows), elapsed,
             len(rows) / max(elapsed, 1e-9))
    return SynthResult(len(sheets), len(rows), [out_dir / f.name for f in files], truth)


def _write_manifest(path: Path, template: Template, seed: int, options: SynthOptions, files: list[FilePlan],
                    rows: list[dict], questionnaires: int) -> None:
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    manifest = {
        "generator": "scanner.synth",
        "seed": seed,
        # jobs change nothing drawn; the hard cases are named only when asked for.
        "options": {k: v for k, v in asdict(options).items()
                    if k != "jobs" and (options.hard or k not in ("hard", "hard_rates"))
                    and (options.stock or k not in ("stock", "stock_rates"))
                    and (options.flatbed_share or k not in ("flatbed_share", "flatbed_rates"))
                    and (options.printed or k != "printed")},
        "template": {"form": template.form, "version": template.version},
        "counts": {"questionnaires": questionnaires, "files": len(files), "pages": len(rows), **by_status},
        "files": [{"name": f.name, "questionnaires": len(f.sheets), "pages": sum(r["source"] == f.name for r in rows),
                   "dpi": f.dpi, "greyscale": f.greyscale, "duplex": f.duplex,
                   "cover_letter": f.letter_at is not None, "numbered": f.numbered, "colour": f.colour or "mixed",
                   **({"flatbed": f.flatbed} if options.flatbed_share else {})}
                  for f in files],
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


__all__ = ["SynthOptions", "SynthResult", "generate", "plan_files", "plan_sheets", "render_file"]
