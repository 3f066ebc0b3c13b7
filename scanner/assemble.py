"""Assemble: group pages into sheets (one respondent's questionnaire) and decide them.

Pages group by sequence within their file: a sheet starts at the form's first page; a
page whose number the open sheet already has starts a new sheet when the open one is
complete, else it is a repeat (a double feed), unless its ticks are not the first copy's:
then it is another respondent's, whose questionnaire begins there (flagged; of two copies
of one paper, the one aligned is read, a jammed copy fed again; a sheet begun
and ended so, or ended so right after the page's first copy, holds two respondents' pages
taken in turn, and its items go to review). A sheet
begun at the form's last page and followed by the page before it is a stack fed last page
first: its pages come on down to its first. On numbered copies the serial in the QR
code decides instead (a page whose QR code cannot be read follows the sequence; one whose
code says it has no serial is never a numbered copy's), and a numbered copy left
incomplete by its file is completed by its pages in other files. A page image already
used in another file is a repeat there (`ImagePlaces`). A second questionnaire with the
same serial (a second print run numbered from 1 too) is a sheet of its own, never merged
into the first, nor is an unnumbered one whose ink is an earlier one's (a paper fed
twice: flagged, `RescanCheck`). A missing page flags its sheet rather than shifting every
sheet after it. Blank pages (duplex backs) and pages of other documents are accounted for
but belong to no sheet. Pages of one sheet on clearly different paper colours put the
items of the fewer to review (two questionnaires merged?).

A sheet's identity in the survey (`sheet_id`) is told by `SheetRegister` from what the
survey already holds: see its docstring.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from scanner import comments as comment_stage
from scanner import marks
from scanner.colour import ColourDecision, classify, clearly_not, page_colour
from scanner.errors import InputFileError, shown
from scanner.forms import Forms
from scanner.load import page_task
from scanner.reader import PageResult
from scanner.results import FieldResult, ItemMeasure, PageStatus, Reason, SheetDecision, Status, measures_from_json
from scanner.template import Template
from scanner.thresholds import RESCAN_MARK, RESCAN_MIN_MARKS, RESCAN_SCORE_GAP


@dataclass
class PageRow:
    """A row of `pages.csv`: what became of one input page."""

    source: str
    page: int
    status: PageStatus
    sheet_id: str = ""
    reason: str = ""
    form_page: int | None = None
    content_hash: str = ""
    path: str = ""
    """The input file's resolved path: the page's place, however its name was spelt."""


@dataclass
class Sheet:
    sheet_id: str
    source: str
    first_page: int
    serial: int | None
    pages: dict[int, PageResult] = field(default_factory=dict)
    rows: list[PageRow] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    colour: ColourDecision | None = None
    results: list[FieldResult] = field(default_factory=list)
    form: str = ""
    """The form its pages are pages of (`Template.form`)."""
    file_edges: tuple[bool, bool] = (False, False)
    """Whether it begins its file's questionnaires and whether its file ended it: pages
    without a serial group only within one file, so its missing pages may be in another."""
    unread: list[PageRow] = field(default_factory=list)
    """The pages among or beside its own that could not be read or recognised (not those
    read elsewhere): a page it misses may be one of them."""
    begun_by_another: bool = False
    """Whether another respondent's copy of a page the sheet before had began it
    (`Assembler._another_papers`)."""
    mixed: bool = False
    """Whether it holds pages of two respondents taken in turn (interleaved): begun and
    ended by another respondent's copy of a page, or ended by one of the page just taken
    (a paper fed twice comes again alike). None of its answers can be told to be its
    respondent's."""

    @property
    def unnumbered(self) -> bool:
        """Whether a page of it says, in its QR code, that its copy has no serial."""
        return any(says_unnumbered(p) for p in self.pages.values())


def says_unnumbered(page: PageResult) -> bool:
    """Whether the page's QR code was read and carries no serial: an unnumbered copy's
    page, never one of a numbered copy (whose code may merely be unreadable)."""
    return page.qr_read and page.serial is None


def proposed_id(template: Template, serial: int | None, first_page_hash: str) -> str:
    """The id a new sheet takes: the copy's serial, else the hash of its first page's image."""
    if serial is not None:
        return f"{template.form}-{serial:06d}"
    return "s" + hashlib.sha1(f"{template.form}:{first_page_hash}".encode()).hexdigest()[:11]


@dataclass(frozen=True)
class KnownSheet:
    """A sheet the survey already holds, as far as telling it again needs."""

    sheet_id: str
    serial: int | None
    images: frozenset[str]
    """The content hashes of its pages."""
    places: frozenset[tuple[str, int]]
    """(resolved path, page) of the input pages it was assembled from."""
    form: str = ""
    """Its form; empty in a survey stored before sheets named their form."""


@dataclass(frozen=True)
class Place:
    """Where an input page was read: its file (the name given, and its resolved path) and page."""

    source: str
    path: str
    page: int


class ImagePlaces:
    """Where the survey's page images are used: a page image found again in another file
    (a file copied, or scanned twice under two names) is a repeat of the first place, not
    a second respondent's page.

    A place stored by an earlier run counts while its file still holds the image there
    (looked at only for an image found elsewhere: a file renamed or a page moved to
    another file is read at its new place); a place of this run always does. In one file,
    the same image twice is left to the questionnaire it falls in (a page there twice).
    """

    def __init__(self, stored: Iterable[tuple[str, Place]] = ()):
        self._stored: dict[str, list[Place]] = {}
        for image, place in stored:
            self._stored.setdefault(image, []).append(place)
        self._read: dict[str, Place] = {}

    def first(self, image: str, here: Place) -> Place | None:
        """The place in another file where `image` is used, if any; else `here` is taken as its place."""
        first = self._read.get(image)
        if first is None:
            first = next((p for p in self._stored.get(image, ()) if p.path != here.path and holds(p, image)), None)
        if first is None:
            self._read[image] = here
        return first if first is not None and first.path != here.path else None


def holds(place: Place, image: str) -> bool:
    """Whether the input page at `place` is still the page image `image`. Only a file
    gone, or one read whose page there is another image or none, has let it go: a file
    that cannot be read now (a share off-line, a file being written) still holds it,
    else its pages would be accounted as moved until the file is read again."""
    try:
        return page_task(place.source, place.path, place.page).content_hash == image
    except OSError:
        return True
    except InputFileError as exc:
        return exc.page is None  # the whole file does not open now, rather than lacking that page


Ink = dict[tuple[str, str], float]
"""A questionnaire's tick boxes' scores, by (item, option code): its ink, as far as telling
a paper fed twice needs."""


def ink_of(results: Iterable[FieldResult]) -> Ink:
    """The scores of a questionnaire's tick boxes, from its items' evidence."""
    return {(r.item, code): score for r in results for code, score in (r.evidence.get("scores") or {}).items()}


def looks_rescanned(a: Ink, b: Ink) -> bool:
    """Whether two questionnaires' ink is one paper's: enough boxes marked
    (`RESCAN_MIN_MARKS`), and `same_ink`. Answers alone never tell: two respondents may
    answer alike, but not tick alike to the hundredth."""
    return sum(score >= RESCAN_MARK for score in a.values()) >= RESCAN_MIN_MARKS and same_ink(a, b)


def same_ink(a: Ink, b: Ink) -> bool:
    """Whether two readings' ink may be one paper's: the same boxes marked, each scoring
    alike (`RESCAN_SCORE_GAP`). Ink that differs is surely two papers'."""
    marked = {box for box, score in a.items() if score >= RESCAN_MARK}
    if marked != {box for box, score in b.items() if score >= RESCAN_MARK}:
        return False
    return all(abs(a[box] - b[box]) <= RESCAN_SCORE_GAP for box in marked)


class RescanCheck:
    """Tells an unnumbered questionnaire whose ink is that of one already in the survey
    (`looks_rescanned`): a paper fed twice, as new images, which nothing else tells.

    Only questionnaires answered alike (`answers_of`) are compared, their ink taken out
    of the store (`ink_of_stored`) only then. Each pair is flagged once, on its later
    sheet (by the order the survey first stored them), whatever order a re-run reads
    them in. Numbered copies are left out: their serial tells a paper fed twice.
    """

    def __init__(self, stored: Iterable[tuple[str, tuple]] = (), ink_of_stored: Callable[[str], Ink] = dict):
        self._order: dict[str, int] = {}
        self._by_answers: dict[tuple, list[str]] = {}
        self._ink: dict[str, Ink] = {}
        self._ink_of_stored = ink_of_stored
        for sheet_id, answers in stored:
            self._add(sheet_id, answers)

    def twin(self, sheet_id: str, results: list[FieldResult]) -> str | None:
        """The earlier sheet whose ink that of `results` is, if any; notes this one as read."""
        answers, ink = answers_of(results), ink_of(results)
        order = self._order.get(sheet_id, len(self._order))
        twin = next((other for other in self._by_answers.get(answers, ())
                     if other != sheet_id and self._order[other] < order and looks_rescanned(ink, self._ink_of(other))),
                    None)
        if sheet_id not in self._order:
            self._add(sheet_id, answers)
        self._ink[sheet_id] = ink
        return twin

    def _add(self, sheet_id: str, answers: tuple) -> None:
        self._order[sheet_id] = len(self._order)
        self._by_answers.setdefault(answers, []).append(sheet_id)

    def _ink_of(self, sheet_id: str) -> Ink:
        if sheet_id not in self._ink:
            self._ink[sheet_id] = self._ink_of_stored(sheet_id)
        return self._ink[sheet_id]


def answers_of(results: Iterable[FieldResult]) -> tuple:
    """A questionnaire's tick-box items' values, (item, value) in item order: what
    questionnaires must share to be compared for a paper fed twice."""
    return tuple(sorted((r.item, r.value) for r in results if "scores" in r.evidence))


class SheetRegister:
    """Tells which sheet of the survey an assembled sheet is, so that its id survives re-runs.

    An assembled sheet is the known sheet it shares most with: each page image in common
    counts two, each input page (resolved path and page number) in common one. So a
    re-run of the same scans, in any order, under any spelling of their paths, in other
    files or with pages appended, finds every sheet by its images; a file scanned again
    (a page re-scanned, so a new image at the same place) finds it by place. A numbered
    copy is only ever the known sheet of the same serial, and a sheet only ever one of
    its form. Each known sheet is claimed
    once a run. A sheet matching none is new: it takes `proposed_id`, with `-2`, `-3`, ...
    when that id is taken (a second questionnaire with the same serial, or the same first
    page scanned twice), so that two questionnaires are never merged into one. A sheet
    with page images that a sheet of this run has already (in the same file: in another,
    they are repeats, `ImagePlaces`) is flagged: scanned twice.
    """

    def __init__(self, known: Iterable[KnownSheet] = (), images: ImagePlaces | None = None,
                 rescans: RescanCheck | None = None):
        self.known = {k.sheet_id: k for k in known}
        self.images = images or ImagePlaces()
        """Where the survey's page images are used (`Assembler` tells repeats by them)."""
        self.rescans = rescans or RescanCheck()
        """The survey's unnumbered questionnaires' ink (`Assembler` tells a paper fed twice by it)."""
        self._by_image: dict[str, set[str]] = {}
        self._by_place: dict[tuple[str, int], str] = {}
        for k in self.known.values():
            for image in k.images:
                self._by_image.setdefault(image, set()).add(k.sheet_id)
            for place in k.places:
                self._by_place[place] = k.sheet_id
        self.claimed: dict[str, Sheet] = {}
        """The sheets assembled in this run, by the id each was given."""
        self._read: dict[str, str] = {}
        """The page images of this run's sheets, and the sheet each is in."""

    def identify(self, sheet: Sheet, proposed: str) -> str:
        """The id of `sheet` in the survey; claims it for this run."""
        score: Counter[str] = Counter()
        for page in sheet.pages.values():
            for sheet_id in self._by_image.get(page.content_hash, ()):
                score[sheet_id] += 2
        for row in sheet.rows:
            if (row.path, row.page) in self._by_place:
                score[self._by_place[row.path, row.page]] += 1
        matches = sorted((-n, sheet_id) for sheet_id, n in score.items()
                         if sheet_id not in self.claimed and self._same_serial(sheet, self.known[sheet_id])
                         and self.known[sheet_id].form in ("", sheet.form))
        sheet_id = matches[0][1] if matches else self._free(proposed)
        twins = sorted({self._read[p.content_hash] for p in sheet.pages.values() if p.content_hash in self._read})
        if twins:
            sheet.flags.append(f"the same page images as {', '.join(twins)}: scanned twice?")
        self.claimed[sheet_id] = sheet
        self._read.update({p.content_hash: sheet_id for p in sheet.pages.values()})
        return sheet_id

    @staticmethod
    def _same_serial(sheet: Sheet, known: KnownSheet) -> bool:
        if sheet.serial is None:
            return known.serial is None or not sheet.unnumbered
        return known.serial in (None, sheet.serial)

    def _free(self, proposed: str) -> str:
        sheet_id, n = proposed, 1
        while sheet_id in self.known or sheet_id in self.claimed:
            n += 1
            sheet_id = f"{proposed}-{n}"
        return sheet_id


class Assembler:
    """Takes page results in input order; yields sheets as they are complete or closed."""

    def __init__(self, template: Template | Forms, programme: str | None = None,
                 register: SheetRegister | None = None):
        self.forms = Forms.of(template)
        self.programme = programme
        self.register = register or SheetRegister()
        self.rows: list[PageRow] = []
        self._open: Sheet | None = None
        self._parked: list[Sheet] = []
        """Numbered sheets left incomplete by their file: their pages may be in another."""
        self._opened_in: str | None = None
        """The file of the last questionnaire begun."""
        self._unread: list[PageRow] = []
        """The pages since the last page used that could not be read or recognised (of
        any file: one image a page, a numbered copy over several files): the
        questionnaires before and after them may miss them."""

    def add(self, result: PageResult, path: str = "") -> Iterator[Sheet]:
        """Account for one page (from the input file at resolved `path`); yield any sheet
        that this page closes."""
        if result.status is PageStatus.USED and not result.form:
            # Read before readings named their form (kept in the store): the run's only form.
            result = replace(result, form=self.forms.get("").form)
        if result.status is PageStatus.USED and len(result.forms) > 1:
            result = self._by_sequence(result)
        elsewhere = False
        if result.status is PageStatus.USED:
            read = result
            result = self._unless_repeated(result, path)
            elsewhere = result is not read
        row = PageRow(result.source, result.page, result.status, reason=result.reason,
                      form_page=result.form_page, content_hash=result.content_hash, path=path)
        self.rows.append(row)
        if self._open is not None and (self._open.source != result.source or
                                       (result.status is PageStatus.USED and self._open.form != result.form)):
            # A questionnaire's pages are all of one form: a page of another ends it.
            yield from self._close_open(file_end=self._open.source != result.source)
        if result.status is not PageStatus.USED:
            if result.status in (PageStatus.ERROR, PageStatus.UNRECOGNISED) and not elsewhere:
                self._unread.append(row)
            return
        other_paper = self._open is not None and self._another_papers(self._open, result)
        if other_paper:
            self._open.flags.append(f"form page {result.form_page} came again with other ticks: another "
                                    "respondent's, whose questionnaire begins there (two papers fed together?)")
            self._open.mixed = self._open.begun_by_another or list(self._open.pages)[-1] == result.form_page
        if other_paper or self._open is None or not self._belongs(self._open, result):
            yield from self._close_open()
            self._open = self._unpark(result) or Sheet("", result.source, result.page, result.serial,
                                                           form=result.form,
                                                           file_edges=(self._opened_in != result.source, False))
            self._opened_in = result.source
            if other_paper:
                self._open.flags.append(f"begins with a form page {result.form_page} whose ticks are not those of "
                                        "the one before it: another respondent's")
                self._open.begun_by_another = True
        self._attach(self._open, result, row)
        self._open.unread += self._unread
        self._unread = []

    def _by_sequence(self, result: PageResult) -> PageResult:
        """A page that several forms print alike (`PageResult.forms`) is a page of the open
        questionnaire's form when that is one of them and the questionnaire lacks the page;
        else nothing tells its form, and it is not read."""
        sheet = self._open
        if (sheet is not None and sheet.source == result.source and sheet.form in result.forms
                and result.form_page not in sheet.pages and result.form_page != self._template(sheet).page_numbers[0]):
            # Its boxes are decided as the questionnaire's form's: worked out again for that form.
            return replace(result, form=sheet.form, forms=(), reason="", marks=None)
        return PageResult(result.source, result.page, PageStatus.UNRECOGNISED,
                          f"{result.reason}, and it follows no questionnaire of either that lacks its page",
                          result.content_hash)

    def _unless_repeated(self, result: PageResult, path: str) -> PageResult:
        """The page, or, when its image is used in another file, a repeat of that place (`ImagePlaces`)."""
        here = Place(result.source, path or result.source, result.page)
        first = self.register.images.first(result.content_hash, here)
        if first is None:
            return result
        return PageResult(result.source, result.page, PageStatus.UNRECOGNISED,
                          f"the same page image as {shown(first.source)} page {first.page}: the same scan in two files "
                          "(a file copied, or scanned twice under two names); read there only", result.content_hash)

    def finish(self) -> Iterator[Sheet]:
        """Close whatever is still open at the end of the batch."""
        yield from self._close_open(file_end=True)
        for sheet in sorted(self._parked, key=lambda s: s.serial):
            yield self._decide(sheet)
        self._parked = []

    def _belongs(self, sheet: Sheet, result: PageResult) -> bool:
        """Whether the page continues the open sheet rather than starting another."""
        numbered = result.serial is not None and sheet.serial is not None
        if numbered and result.serial != sheet.serial:
            return False
        if (sheet.serial is not None and says_unnumbered(result)) or (result.serial is not None and sheet.unnumbered):
            return False  # a page that says it has no serial is no page of a numbered copy
        last = list(sheet.pages)[-1]
        if sheet.serial is None and result.form_page != last and self._fed_last_page_first(sheet):
            # Its pages come on down to its first; a page above the last one is the next's.
            return result.form_page < last
        if result.form_page in sheet.pages:
            # A page the sheet has already: a double feed while the sheet is incomplete
            # (`_another_papers` tells one of another paper); else the next questionnaire
            # (on numbered copies, another with this serial).
            return not self._complete(sheet) and result.form_page != self._template(sheet).page_numbers[0]
        return numbered or result.form_page != self._template(sheet).page_numbers[0]

    @staticmethod
    def _fed_last_page_first(sheet: Sheet) -> bool:
        """Whether the sheet's pages came down, two at least: a stack fed upside down (or
        scanned back to front), whatever page it began with. A forward stack never gives a
        page below the one before it; a reversed questionnaire whose last page was lost (a
        jam, an unreadable page) begins below it, and taken for a forward one it left its
        first page to begin the next, which took the next respondent's pages down to 2,
        and so to the file's end, each sheet whole and clean (review22b)."""
        order = list(sheet.pages)
        return len(order) > 1 and all(a > b for a, b in zip(order, order[1:]))

    def _another_papers(self, sheet: Sheet, result: PageResult) -> bool:
        """Whether the page is one the open sheet has already, where a double feed would
        be taken (`_belongs`), but with other ink than the first copy's (`same_ink`): no
        paper fed twice, but the page of another respondent, whose questionnaire begins
        there (a feeder that takes two papers together loses a page of each)."""
        if result.form_page not in sheet.pages or not self._belongs(sheet, result):
            return False
        first = sheet.pages[result.form_page]
        if not (first.aligned and result.aligned):
            # A copy cut short by a jam, or not aligned, scores the boxes it does not show
            # empty: its "other ticks" say nothing of another paper (review22b).
            return False
        template = self._template(sheet)
        return not same_ink(page_ink(template, first), page_ink(template, result))

    def _unpark(self, result: PageResult) -> Sheet | None:
        """The parked sheet of this serial that lacks this page, if any."""
        if result.serial is None:
            return None
        for k, sheet in enumerate(self._parked):
            if sheet.serial == result.serial and sheet.form == result.form and result.form_page not in sheet.pages:
                return self._parked.pop(k)
        return None

    def _attach(self, sheet: Sheet, result: PageResult, row: PageRow) -> None:
        sheet.rows.append(row)
        if sheet.serial is None:
            sheet.serial = result.serial  # page 1's QR may have been unreadable
        if result.form_page in sheet.pages:
            sheet.flags.append(f"form page {result.form_page} appears twice")
            kept = sheet.pages[result.form_page]
            if kept.aligned or not result.aligned:
                _as_copy(row, "the first is used")
                return
            # The first copy was cut short (a jam) and the page fed again: read the copy that aligned.
            _as_copy(next(r for r in sheet.rows if r.status is PageStatus.USED and (r.source, r.page) ==
                          (kept.source, kept.page)), "it could not be aligned: a later one is used")
        sheet.pages[result.form_page] = result

    def _template(self, sheet: Sheet) -> Template:
        return self.forms.get(sheet.form)

    def _complete(self, sheet: Sheet) -> bool:
        return set(sheet.pages) >= set(self._template(sheet).page_numbers)

    def _close_open(self, file_end: bool = False) -> Iterator[Sheet]:
        if self._open is None:
            return
        sheet, self._open = self._open, None
        sheet.file_edges = (sheet.file_edges[0], file_end)
        sheet.unread += self._unread  # the pages after its last: the next one's too, if any
        if sheet.serial is not None and not self._complete(sheet):
            self._parked.append(sheet)
        else:
            yield self._decide(sheet)

    def _decide(self, sheet: Sheet) -> Sheet:
        t = self._template(sheet)
        first = sheet.pages[min(sheet.pages)]
        sheet.sheet_id = self.register.identify(sheet, proposed_id(t, sheet.serial, first.content_hash))
        for row in sheet.rows:
            row.sheet_id = sheet.sheet_id
        missing = [p for p in t.page_numbers if p not in sheet.pages]
        if missing:
            sheet.flags.append("missing form page" + ("s " if len(missing) > 1 else " ") + ", ".join(map(str, missing))
                               + (f" ({SPLIT_HINT})" if _cut_by_its_file(sheet, missing) else ""))
            if sheet.unread:
                sheet.flags.append(f"{_names(_nearest(sheet.unread, sheet))} could not be read or recognised: "
                                   "a missing page may be there")
        sheet.colour = classify([p.paper for p in sheet.pages.values()], t)
        readings = {c.item: c for p in sheet.pages.values() for c in p.comments}
        decided = _workers_decision(sheet) or decide_items(t, sheet.pages)
        results = [self._programme(sheet.colour)]
        missing_result = _missing_page(sheet, missing)
        for item in t.items:
            results.append(decided.get(item.id) or missing_result(item.page, item.id))
        for zone in t.comments:
            reading = readings.get(zone.id)
            results.append(comment_stage.decide_comment(reading) if reading else missing_result(zone.page, zone.id))
        sheet.flags += [f"form page {p.form_page} could not be aligned: its items are to review"
                        for p in sheet.pages.values() if not p.aligned]
        unaligned = _on_unaligned_pages(t, sheet)
        inked = {field for p in sheet.pages.values() if p.aligned for field in p.inked_over}
        off_paper = _off_paper(t, sheet)
        mixed = _on_pages(t, sheet.pages) if sheet.mixed else set()
        sheet.results = [_to_review(r, Reason.NOT_ALIGNED) if r.item in unaligned
                         else _to_review(r, Reason.FRAME_INKED) if r.item in inked
                         else _to_review(r, Reason.RESPONDENTS_MIXED) if r.item in mixed
                         else _to_review(r, Reason.PAPER_DIFFERS) if r.item in off_paper else r for r in results]
        twin = self.register.rescans.twin(sheet.sheet_id, results) if sheet.serial is None else None
        if twin is not None:
            sheet.flags.append(f"looks like a re-scan of {twin} (the same boxes ticked, ink for ink): "
                               "one paper fed twice? keep one")
        return sheet

    def _programme(self, colour: ColourDecision) -> FieldResult:
        evidence = {"colour": colour.colour, "rgb": colour.rgb, "colour_confidence": round(colour.confidence, 3),
                    "colour_reason": colour.reason.value if colour.reason else None}
        if self.programme is not None:
            if colour.programme not in (None, self.programme):
                # --programme is for paper whose colour cannot be told; where it was told,
                # the colour is the evidence on the sheet, and a person settles the conflict.
                evidence["given"] = self.programme
                return FieldResult("programme", colour.programme, Status.REVIEW, 0.3, Reason.PROGRAMME_DIFFERS,
                                   evidence)
            return FieldResult("programme", self.programme, Status.OK, 1.0, None, evidence | {"given": self.programme})
        if colour.programme is None:
            return FieldResult("programme", "", Status.REVIEW, round(colour.confidence, 3), Reason.COLOUR, evidence)
        return FieldResult("programme", colour.programme, Status.OK, round(colour.confidence, 3), None, evidence)


NAMED_PAGES = 3
"""A missing page's hint names this many pages where it may be: a long run of pages of
another document is no list to read."""

SPLIT_HINT = "unnumbered pages group only within one file: keep a questionnaire's pages in one file"
"""Said of a questionnaire without a serial that misses pages beyond its file's edge (one
image a page, or a stack split over two feeder files)."""


def _as_copy(row: PageRow, which: str) -> None:
    """Account the page of `row` as a second copy of a form page of its questionnaire, not used."""
    row.status = PageStatus.UNRECOGNISED
    row.reason = f"a second copy of form page {row.form_page} of this questionnaire ({which})"


def _cut_by_its_file(sheet: Sheet, missing: list[int]) -> bool:
    starts, ends = sheet.file_edges
    return sheet.serial is None and ((starts and min(missing) < min(sheet.pages)) or
                                     (ends and max(missing) > max(sheet.pages)))


def page_ink(template: Template, page: PageResult) -> Ink:
    """The scores of one page's tick boxes (`ink_of`)."""
    return ink_of(decide_items(template, {page.form_page: page}).values())


def decide_items(template: Template, pages: dict[int, PageResult]) -> dict[str, FieldResult]:
    """The items of the questionnaire of `pages` (by form page), decided."""
    pages = {page: measured(p) for page, p in pages.items()}
    measures = {m.item: m for p in pages.values() for m in p.items}
    return marks.decide_sheet(template, measures, {page: p.marks for page, p in pages.items() if p.marks},
                              {page: p.px_per_mm for page, p in pages.items()})


def measured(page: PageResult) -> PageResult:
    """`page` with its items' boxes, taken out of its encoding when its worker left them
    out (`PageResult.elided`); its `marks` are then worked out again, as a stored reading's."""
    if not page.elided:
        return page
    return replace(page, items=measures_from_json(json.loads(page.encoded)["items"]), elided=False)


def decide_whole_sheets(forms: Forms, results: list[PageResult]) -> list[PageResult]:
    """`results` (the pages one cluster task read, in input order), the last page of each
    whole questionnaire among them carrying its items decided (`PageResult.decided`): a
    cluster's parent, the survey's one writer, then need not decide them.

    A whole questionnaire here is each page of a form in the form's order, of one file and
    one serial (pages not used between them aside), as the parent assembles them but for
    what came before in the batch: the parent takes a decision only for a sheet of the
    same pages (`_workers_decision`), so that a guess wrong here costs only a worker's time.
    """
    results = list(results)
    places: dict[int, int] = {}  # by form page, its place in `results`
    for k, result in enumerate(results):
        run = {form_page: results[at] for form_page, at in places.items()}
        first = run[min(run)] if run else None
        if result.status is not PageStatus.USED or len(result.forms) > 1:
            # Not used: the assembler skips it within its file. Of several forms: its form
            # is told by the questionnaire it follows, not here.
            if first is not None and (result.source != first.source or len(result.forms) > 1):
                places = {}
            continue
        template = forms.get(result.form)
        if (first is not None and result.source == first.source and result.form == first.form
                and result.serial == first.serial and result.form_page is not None
                and result.form_page > max(run)):
            places[result.form_page] = k
            run[result.form_page] = result
        elif result.form_page == template.page_numbers[0]:
            places, run = {result.form_page: k}, {result.form_page: result}
        else:
            places = {}
        if list(places) == template.page_numbers:
            items = {item: r.with_stored_evidence() for item, r in decide_items(template, run).items()}
            decided = SheetDecision(template.form, _page_key(run), items)
            results[k] = replace(result, decided=decided)
            for at in places.values():
                results[at] = _elided(results[at])
            places = {}
    return results


def _elided(page: PageResult) -> PageResult:
    """`page` without its items' boxes and `marks` (`PageResult.elided`), when its encoding
    holds them; else as it is."""
    if page.encoded is None:
        return page
    return replace(page, items=[ItemMeasure(m.item, ()) for m in page.items], marks=None, elided=True)


def _workers_decision(sheet: Sheet) -> dict[str, FieldResult] | None:
    """The items of `sheet` as a worker decided them on the same pages (`decide_whole_sheets`), if one did."""
    key = _page_key(sheet.pages)
    for page in sheet.pages.values():
        if page.decided is not None and page.decided.form == sheet.form and page.decided.pages == key:
            return page.decided.items
    return None


def _page_key(pages: dict[int, PageResult]) -> tuple[tuple[int, str], ...]:
    return tuple(sorted((form_page, page.content_hash) for form_page, page in pages.items()))


def _off_paper(template: Template, sheet: Sheet) -> set[str]:
    """The items and comments on the sheet's pages whose paper is clearly of another
    template colour (`page_colour`) than most of its pages', and clearly not theirs
    (`clearly_not`; with as many pages of each colour, clearly not the others'): two
    respondents' questionnaires merged? The sheet is flagged. Pages whose colour cannot be
    told on their own (greyscale, pale, between two) say nothing either way."""
    told = {form_page: colour for form_page, p in sheet.pages.items()
            if (colour := page_colour(p.paper, template)) is not None}
    counts = Counter(told.values()).most_common()
    if len(counts) < 2:
        return set()
    most = counts[0][0] if counts[0][1] > counts[1][1] else None

    def off_paper(form_page: int, colour: str) -> bool:
        others = {most} if most else set(told.values()) - {colour}
        return colour != most and all(clearly_not(sheet.pages[form_page].paper, o, template) for o in others)

    off = sorted(form_page for form_page, colour in told.items() if off_paper(form_page, colour))
    if not off:
        return set()
    sheet.flags.append(f"form page{'s' if len(off) > 1 else ''} {', '.join(map(str, off))} on "
                       f"{' and '.join(sorted({told[p] for p in off}))} paper, "
                       + (f"the rest on {most}" if most else "as many on each colour")
                       + ": two questionnaires merged? their items are to review")
    return _on_pages(template, off)


def _on_pages(template: Template, pages: Iterable[int]) -> set[str]:
    """The items and comments printed on the form pages `pages`."""
    return {field.id for page in pages for field in [*template.items_on(page), *template.comments_on(page)]}


def _on_unaligned_pages(template: Template, sheet: Sheet) -> set[str]:
    """The items and comments printed on the sheet's pages that could not be aligned, and
    those whose own frames were not found on pages that could."""
    pages = [p.form_page for p in sheet.pages.values() if not p.aligned]
    unlocated = {field for p in sheet.pages.values() for field in p.unlocated}
    return unlocated | _on_pages(template, pages)


def _to_review(result: FieldResult, reason: Reason) -> FieldResult:
    """What was read where the page's print was not found (or not checked, under ink) is
    not an answer: a person looks. Under ink on an aligned page, boxes read as several
    marked stay `multiple` (in the queue as well, never a claim), so that the reviewer is
    offered what the marks said beside the frame's doubt; on a page whose frames are off,
    the boxes may lie elsewhere, and two marks there are no more than a guess."""
    several = reason is Reason.FRAME_INKED and result.status is Status.MULTIPLE
    return FieldResult(result.item, result.value, Status.MULTIPLE if several else Status.REVIEW, 0.0, reason,
                       result.evidence | {"read_as": result.status.value})


def _names(rows: list[PageRow]) -> str:
    """Where the pages of `rows` are, the first few by name."""
    names = [f"{shown(row.source)} page {row.page}" if row.page else shown(row.source) for row in rows]
    more = len(names) - NAMED_PAGES
    return ", ".join(names[:NAMED_PAGES]) + (f" and {more} more" if more > 0 else "")


def _nearest(rows: list[PageRow], sheet: Sheet) -> list[PageRow]:
    """Of `rows`, those of the files of `sheet`'s pages when any is: a page missing from a
    file's questionnaire is looked for in that file first, not in an unreadable file
    beside it."""
    own = {row.source for row in sheet.rows}
    return [row for row in rows if row.source in own] or rows


def _missing_page(sheet: Sheet, missing: list[int]) -> Callable[[int, str], FieldResult]:
    """The result of an item on a form page `sheet` misses (of `missing`), by page and item:
    to review, saying where the page may be when its file holds one there not read as it
    (a second copy of another of its pages standing in its place, or a page that could not
    be read or recognised), with the pages' names."""
    copies = _copies_in_place(sheet, missing)
    unread = _nearest(sheet.unread, sheet)

    def result(page: int, item: str) -> FieldResult:
        reason, pages = ((Reason.PAGE_TAKEN_AS_COPY, copies[page]) if copies.get(page) else
                         (Reason.PAGE_UNREAD, unread) if unread else (Reason.PAGE_MISSING, []))
        return FieldResult(item, "", Status.REVIEW, 0.0, reason, {"look_at": _names(pages)} if pages else {})

    return result


def _copies_in_place(sheet: Sheet, missing: list[int]) -> dict[int, list[PageRow]]:
    """The sheet's second copies (`_as_copy`) by the missing form page whose place each
    stands in: between the pages used before and after it, in the order the sheet's pages
    came. A copy between two pages that follow each other is a paper fed again, no
    missing page misread."""
    step = -1 if Assembler._fed_last_page_first(sheet) else 1
    used = [k for k, row in enumerate(sheet.rows) if row.status is PageStatus.USED]
    places: dict[int, list[PageRow]] = {}
    for k, row in enumerate(sheet.rows):
        if row.status is not PageStatus.UNRECOGNISED:
            continue
        before = [sheet.rows[j].form_page * step for j in used if j < k]
        after = [sheet.rows[j].form_page * step for j in used if j > k]
        for page in missing:
            if (not before or page * step > before[-1]) and (not after or page * step < after[0]):
                places.setdefault(page, []).append(row)
    return places
