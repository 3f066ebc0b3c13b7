"""Read one page: load, register, identify, measure colour, marks and comments.

This is what a worker runs for each page. It decides nothing that needs the rest of
the sheet (that is `assemble`'s job); it returns everything measured, as a picklable
`PageResult`, and never raises for a bad page: any failure becomes the page's result,
an error with the reason in one line, and the batch goes on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from scanner import comments, identify, marks
from scanner import thresholds as T
from scanner.colour import PaperSample, measure_paper, prepare_references
from scanner.errors import InputFileError, one_line
from scanner.forms import Forms
from scanner.load import LoadedPage, PageTask, load_page
from scanner.ocr import OcrEngine
from scanner.register import Method, Registrar, Registration, downscale, held_by_markers
from scanner.results import CommentReading, ItemMeasure, PageMarks, PageStatus, SheetDecision
from scanner.template import Template

log = logging.getLogger(__name__)

BLANK_INK_SHARE = 0.002
"""A page with less than 0.2% dark pixels carries no print or writing: a blank back."""
BLANK_MARGIN = 0.15
"""The share of the picture's height and width, each side, left out when telling a blank page."""


@dataclass(frozen=True)
class PageResult:
    source: str
    page: int
    status: PageStatus
    reason: str = ""
    content_hash: str = ""
    form: str = ""
    """The form the page is a page of (`Template.form`), when used."""
    forms: tuple[str, ...] = ()
    """Of several forms, those whose same page it is, printed alike (read alike by each):
    the questionnaire it follows tells which (`assemble`); `reason` says why its print cannot."""
    form_page: int | None = None
    serial: int | None = None
    qr_read: bool = False
    method: str = ""
    markers: int = 0
    residual_mm: float = float("nan")
    rotation_deg: float = float("nan")
    px_per_mm: float = float("nan")
    transform: tuple | None = None
    aligned: bool = True
    """False when the page's printed frames were not found where the transform puts them,
    even after re-registering on them: what was measured on it is not read (`assemble`)."""
    unlocated: tuple[str, ...] = ()
    """Items and comments of an aligned page whose own frames were not seen where the
    transform puts them: not read either (`assemble`)."""
    inked_over: tuple[str, ...] = ()
    """Items and comments of an aligned page whose frames not seen lie under ink (a box
    inked out, writing across a zone's line): to review as such (`assemble`)."""
    frames_off_mm: float = float("nan")
    """How far the printed frames lie from where the transform puts them: 90th percentile, mm."""
    paper: PaperSample = PaperSample(None)
    items: list[ItemMeasure] = field(default_factory=list)
    comments: list[CommentReading] = field(default_factory=list)
    marks: PageMarks | None = field(default=None, repr=False, compare=False)
    """What deciding its sheet needs of its boxes beyond each row's own (`marks.page_marks`),
    told by the worker that read it; not kept in the store (a stored reading's is worked
    out again from its items)."""
    encoded: str | None = field(default=None, repr=False, compare=False)
    """The reading as the store keeps it (`store.encode_reading`), made by the worker that
    read it so that the parent, the survey's one writer, stores it as it comes; None when
    not made, or when the reading was changed since (whoever changes it drops this)."""
    decided: SheetDecision | None = field(default=None, repr=False, compare=False)
    """Of the last page of a questionnaire whose pages one cluster task read together:
    their questionnaire's items as its worker decided them; not kept in the store."""
    elided: bool = field(default=False, repr=False, compare=False)
    """Its items came without their boxes (and `marks` None): the worker that read it
    decided its questionnaire (`assemble.decide_whole_sheets`), and unpickled by Dask the
    boxes cost the parent, the survey's one writer, nine tenths of the page's unpickling.
    They travel whole in `encoded`, out of which the parent takes them should it decide
    the questionnaire itself (`assemble.measured`)."""


def is_blank(grey: np.ndarray) -> bool:
    """Whether a page carries no print or writing (a blank back): told cheaply, before any
    matching."""
    small, _ = downscale(grey, 297.0, 2.0)
    # The middle of the picture only: around a photographed or shifted sheet lie the
    # table and the scanner's lid, darker than paper; a page with print prints there too.
    h, w = small.shape
    dark = marks.darkness(small[int(h * BLANK_MARGIN): int(h * (1 - BLANK_MARGIN)),
                                int(w * BLANK_MARGIN): int(w * (1 - BLANK_MARGIN))])
    return float((dark > 0.35).mean()) < BLANK_INK_SHARE


def read_safely(task: PageTask, read_loaded: Callable[[dict, LoadedPage], PageResult]) -> PageResult:
    """Load the page and read it with `read_loaded`; any failure is the page's error."""
    base = {"source": task.source, "page": task.page, "content_hash": task.content_hash}
    try:
        return read_loaded(base, load_page(task))
    except InputFileError as exc:
        reason = exc.reason
    except MemoryError:
        reason = "the page is too large to read in the memory available"
    except Exception as exc:  # a bug or a broken dependency: this page's error, not the batch's end
        log.debug("page %s %d failed", task.source, task.page, exc_info=True)
        reason = f"the reader failed on this page ({type(exc).__name__}: {one_line(exc)}); please report it"
    return PageResult(**base, status=PageStatus.ERROR, reason=reason)


@dataclass(frozen=True)
class Located:
    """Where a page of the form lies in the picture, verified, and what its QR code says."""

    reg: Registration
    ident: identify.Identity | None


class PageReader:
    """Reads pages against one template; one per worker process (it holds caches)."""

    def __init__(self, template: Template, engine: OcrEngine):
        self.template = template
        self.registrar = Registrar(template)
        self.qr = identify.QrReader(template)
        self.comments = comments.CommentReader(template, engine)
        self.box_print = marks.BoxPrint(template)

    def prepare(self) -> None:
        """Fill now the caches the pages of the form fill on their first read (each zone's
        blank appearance, the colours', the boxes' print, where the QR codes lie) and load
        the OCR model: a pool's parent does, before its workers fork, so that they share
        them rather than each pay for its own. The same numbers either way."""
        self.comments.prepare()
        self.qr.prepare()
        prepare_references(self.template)
        for page in self.template.page_numbers:
            self.box_print.page(page)

    def read(self, task: PageTask) -> PageResult:
        """Read one page; problems come back as the result's status and reason."""
        return read_safely(task, self._read_loaded)

    def _read_loaded(self, base: dict, loaded: LoadedPage) -> PageResult:
        located = self.locate(base, loaded.grey)
        if isinstance(located, PageResult):
            return located
        return self.finish(base, loaded, located)

    def locate(self, base: dict, grey: np.ndarray) -> Located | PageResult:
        """Where the form's page lies in the picture (verified) and what its QR code says;
        or the page's result when it is blank or no page of this form is found."""
        t = self.template
        blank = functools.cache(lambda: is_blank(grey))
        reg = self.registrar.markers_seen(grey, blank) if t.registration.markers else None
        if not held_by_markers(reg):
            # Blank backs are common and cheap to tell; content matching is neither.
            if blank():
                return PageResult(**base, status=PageStatus.BLANK, reason="blank page")
            reg = self._by_content(grey, reg)
        if reg is None:
            return PageResult(**base, status=PageStatus.UNRECOGNISED, reason=self._no_match())
        ambiguous = _ambiguous(reg)
        if ambiguous:
            reg = self._tell_apart(grey, reg)
            if reg is None:
                return PageResult(**base, status=PageStatus.UNRECOGNISED, reason=ambiguous)
        # Checked against the page's own print (and re-registered on it if off) before the
        # QR code is read through the transform and anything else is measured.
        reg = self.registrar.verify(grey, reg)
        ident = self.qr.read(grey, reg.transform, reg.page) if t.registration.markers else None
        return Located(reg, ident)

    def finish(self, base: dict, loaded: LoadedPage, located: Located) -> PageResult:
        """The page's result, measured where `locate` found it; unrecognised when its QR
        code names another form or its print disagrees with the form page's."""
        t, grey = self.template, loaded.grey
        reg, ident = located.reg, located.ident
        if ident is not None and (ident.form != t.form or ident.version != t.version):
            return PageResult(**base, status=PageStatus.UNRECOGNISED,
                              reason=f"a page of form {ident.form!r} version {ident.version}, "
                                     f"not {t.form!r} version {t.version}")
        page = reg.page
        if ident is None:
            unrecognised = self._print_disagrees(grey, reg)
            if unrecognised:
                return PageResult(**base, status=PageStatus.UNRECOGNISED, reason=unrecognised)
        if ident is not None and ident.page != reg.page:
            log.warning("%s page %d: QR says form page %d, markers say %d; trusting the QR",
                        base["source"], base["page"], ident.page, reg.page)
            page = ident.page
        # The check measured the frames of its page's boxes on the very crops the marks read.
        crops = reg.check.box_crops if page == reg.page else None
        items = marks.measure_page(grey, reg.transform, t.items_on(page), self.box_print.page(page), crops)
        return PageResult(
            **base, status=PageStatus.USED, form=t.form, form_page=page,
            serial=ident.serial if ident else None, qr_read=ident is not None,
            method=reg.method.value, markers=reg.markers_found, residual_mm=round(reg.residual_mm, 3),
            rotation_deg=round(reg.transform.rotation_deg(), 2), px_per_mm=round(reg.transform.px_per_mm(), 3),
            transform=reg.transform.matrix, aligned=reg.aligned, unlocated=reg.check.unlocated(),
            inked_over=reg.check.inked_over(),
            frames_off_mm=round(reg.check.p90_mm, 3),
            paper=measure_paper(loaded.colour, loaded.colour_scale, t, reg.transform),
            items=items, comments=self.comments.read_page(grey, reg.transform, t.comments_on(page)),
            marks=marks.page_marks(items),
        )

    def _by_content(self, grey: np.ndarray, by_markers: Registration | None) -> Registration | None:
        """The page registered by its content when its markers do not hold it (`by_markers`,
        None when none was seen; `held_by_markers`): matched first to the form page their
        ids name, a lone marker's too, on CONTENT_FEATURES rather than the fewer that tell
        the page among all of them. Two markers at the near edge of a tilted phone photo
        differ in size, and no similarity holds both (seed 1769220999, batch-002 page 25:
        1.3 mm at best); on a grey photocopy, the features that tell a page fell short (17
        of 20 needed) while those that fit it found 99. Their page is checked as any page is after this: its
        frames (`Registrar.verify`), then its QR code or its print (`finish`)."""
        if by_markers is not None:
            hinted = self.registrar.content(grey, page_hint=by_markers.page)
            if hinted is not None:
                return replace(hinted, markers_found=by_markers.markers_found,
                               marker_points=by_markers.marker_points)
        return self.registrar.content(grey)

    def _tell_apart(self, grey: np.ndarray, reg: Registration) -> Registration | None:
        """Of two form pages whose print the page matches nearly alike (a form's pages
        share their headings and grids; or the page first ranked, which did not fit, and
        the one told on the fit's features, `Registrar._told_on_fit`), the one that,
        fitted on its own, has its frames where it prints them and its own print inked
        (AGREEMENT_MIN), better than any other page's print under that fit; None when
        both or neither do. Blur or uneven light can keep the print under AGREEMENT_MIN
        (a motion-blurred photo of the word form's page 2, 57%): then, as the final check
        lets the frames tell a pale page (`_print_disagrees`), the page is the one that
        fits when the other finds no fit at all; pages printed alike both fit."""
        fits, pale, unfit = [], [], 0
        for page in (reg.page, reg.runner_up[0]):
            candidate = self.registrar.content(grey, page_hint=page)
            if candidate is None:
                unfit += 1
                continue
            candidate = self.registrar.verify(grey, candidate)
            agreement = {p: self.registrar.content_agreement(grey, candidate.transform, p)
                         for p in self.template.page_numbers}
            own = agreement.pop(page)
            if candidate.aligned and own > max(agreement.values(), default=0.0):
                (fits if own >= T.AGREEMENT_MIN else pale).append(candidate)
        if len(fits) == 1:
            return fits[0]
        return pale[0] if not fits and len(pale) == 1 and unfit == 1 else None

    def _print_disagrees(self, grey: np.ndarray, reg: Registration) -> str:
        """Why a page whose QR code cannot be read is not taken for the form page its
        markers (or content) say; empty when its print says the same.

        Its print must agree with that page's, or, when uneven light or blur keeps the
        agreement low, its frames must be where that page prints them (verified) and its
        print agree with no other page of the form better.
        """
        page = reg.page
        agreement = self.registrar.content_agreement(grey, reg.transform, page)
        if agreement >= T.AGREEMENT_MIN:
            return self._print_differs(grey, reg)
        if reg.aligned:
            # Print too pale to compare line by line (small text fades first): the frames tell.
            others = [self.registrar.content_agreement(grey, reg.transform, p)
                      for p in self.template.page_numbers if p != page]
            if agreement > max(others, default=0.0):
                return ""
        if not self.template.registration.markers:
            return f"its print matches form page {page} only {agreement:.0%}: a page of another form?"
        return (f"its QR code cannot be read and its print matches form page {page} only {agreement:.0%}: "
                "another form with the same markers?")

    def _print_differs(self, grey: np.ndarray, reg: Registration) -> str:
        """Why a page whose QR code cannot be read (or a page of a form printed without
        markers, which has none), its print agreeing with the form page's (AGREEMENT_MIN
        or more), is still not taken for it: a line of that page's text missing (another
        form printed alike, another title); empty when none is."""
        missing = self.registrar.missing_lines(grey, reg.transform, reg.page)
        if not missing:
            return ""
        x, y = missing[0]
        why = "its QR code cannot be read and its print" if self.template.registration.markers else "its print"
        return (f"{why} differs from form page {reg.page}'s (the text at {x:.0f}, {y:.0f} mm is not there): "
                "a page of another form printed alike?")

    def _no_match(self) -> str:
        if self.template.registration.markers:
            return "not a page of this form: no corner markers, QR code or matching content"
        return "not a page of this form: its print matches no page of it"


def _ambiguous(reg: Registration) -> str:
    """Why a page registered by its content cannot be told from another page of the form
    (they print nearly alike); empty when its best match stands out."""
    if reg.runner_up is None or reg.method is not Method.CONTENT:
        return ""
    other, count = reg.runner_up
    if count < T.CONTENT_PAGE_MARGIN * reg.inliers:
        return ""
    return (f"its print matches form pages {reg.page} and {other} almost alike ({reg.inliers} and {count} "
            "features): cannot tell which page it is")


class FormsReader:
    """Reads pages against several templates: each page is read as a page of the form it
    is a page of (a staff and a parent version of one survey, in one batch).

    A form's QR code names its form: the page goes to that form. A page without one (a
    form printed without markers, or a code that cannot be read) is located on every
    form, and goes to the one whose print it matches clearly best (`_best`). Two forms
    matched nearly alike make it `unrecognised`, naming both; unless it is the same page
    of both (`_alike`): then it is read, naming both forms, and the questionnaire it
    follows tells which (`assemble`).
    """

    def __init__(self, forms: Forms, engine: OcrEngine):
        self.readers = {t.form: PageReader(t, engine) for t in forms}

    def prepare(self) -> None:
        """Each form's reader's `PageReader.prepare`."""
        for reader in self.readers.values():
            reader.prepare()

    def read(self, task: PageTask) -> PageResult:
        """Read one page as a page of its form; problems come back as the result's status and reason."""
        return read_safely(task, self._read_loaded)

    def _read_loaded(self, base: dict, loaded: LoadedPage) -> PageResult:
        located: dict[str, Located] = {}
        refused: dict[str, str] = {}
        for form, reader in self.readers.items():
            found = reader.locate(base, loaded.grey)
            if isinstance(found, PageResult):
                if found.status is PageStatus.BLANK:
                    return found
                refused[form] = found.reason
                continue
            if found.ident is not None and found.ident.form in self.readers:
                return self._by_qr(base, loaded, found, form)
            located[form] = found
        if not located:
            return PageResult(**base, status=PageStatus.UNRECOGNISED,
                              reason="; ".join(f"form {form}: {reason}" for form, reason in refused.items()))
        form, why, rivals = self._best(loaded.grey, located)
        if form is not None:
            return self.readers[form].finish(base, loaded, located[form])
        if not self._alike(located, rivals):
            return PageResult(**base, status=PageStatus.UNRECOGNISED, reason=why)
        # The same page of both forms, read alike by either: the questionnaire it follows tells (`assemble`).
        result = self.readers[rivals[0]].finish(base, loaded, located[rivals[0]])
        return replace(result, forms=rivals, reason=why) if result.status is PageStatus.USED else result

    def _alike(self, located: dict[str, Located], rivals: tuple[str, str]) -> bool:
        """Whether the two forms' pages the page was located as are one page: the same
        number, items and comment zones where they are, so that either form reads it alike."""
        if rivals[1] not in located:
            return False
        (a, found_a), (b, found_b) = [(self.readers[form].template, located[form]) for form in rivals]
        page = found_a.reg.page
        return (found_b.reg.page == page and a.page_size_mm == b.page_size_mm
                and a.items_on(page) == b.items_on(page) and a.comments_on(page) == b.comments_on(page))

    def _by_qr(self, base: dict, loaded: LoadedPage, found: Located, reader_form: str) -> PageResult:
        """The page whose QR code names a form of the run, read as that form's page (located
        again on it when another form's reader found the code: their markers may differ)."""
        reader = self.readers[found.ident.form]
        if found.ident.form != reader_form:
            found = reader.locate(base, loaded.grey)
            if isinstance(found, PageResult):
                return found
        return reader.finish(base, loaded, found)

    def _best(self, grey: np.ndarray, located: dict[str, Located]) -> tuple[str | None, str, tuple[str, str]]:
        """The form whose print the page matches clearly best, or None and why not; and
        the two best forms.

        A page located by markers is judged first by the share of each form page's print
        it shows (cheap, and clear when the forms' pages differ), then, as a page located
        by content is, by the features it shares with each form page: two versions of one
        questionnaire whose pages differ only in their headings are told by these."""
        measured = []
        if not all(found.reg.method is Method.CONTENT for found in located.values()):
            agreement = {form: self.readers[form].registrar.content_agreement(grey, found.reg.transform,
                                                                                found.reg.page)
                         for form, found in located.items()}
            (first, a), (second, b) = _two_best(agreement)
            if a - b >= T.FORM_AGREEMENT_MARGIN:
                return first, "", (first, second)
            measured.append(f"{a:.0%} and {b:.0%} of their print")
        features = {form: self._features(grey, form, found) for form, found in located.items()}
        (first, a), (second, b) = _two_best(features)
        if b < T.CONTENT_PAGE_MARGIN * a:
            return first, "", (first, second)
        measured.append(f"{a:.0f} and {b:.0f} features")
        return None, (f"its print matches form {first} page {located[first].reg.page} and form {second} page "
                      f"{located[second].reg.page} almost alike ({', '.join(measured)}): cannot tell which form "
                      "it is"), (first, second)

    def _features(self, grey: np.ndarray, form: str, found: Located) -> float:
        """How many features the page shares with the form page it was located as."""
        if found.reg.method is Method.CONTENT:
            return float(found.reg.inliers)
        registrar = self.readers[form].registrar
        small, _ = downscale(grey, max(registrar.template.page_size_mm), T.CONTENT_PX_PER_MM)
        return float(dict(registrar.identify(small)).get(found.reg.page, 0))


def _two_best(scores: dict[str, float]) -> tuple[tuple[str, float], tuple[str, float]]:
    """The best two (form, score), best first; a lone form's runner-up scores 0."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    return ranked[0], (ranked[1] if len(ranked) > 1 else ("", 0.0))


def make_reader(forms: Forms, engine: OcrEngine) -> PageReader | FormsReader:
    """The reader of a run: one form's `PageReader`, or a `FormsReader` of several."""
    return FormsReader(forms, engine) if forms.several else PageReader(forms.templates[0], engine)
