"""Read one page: load, register, identify, measure colour, marks and comments.

This is what a worker runs for each page. It decides nothing that needs the rest of
the sheet (that is `assemble`'s job); it returns everything measured, as a picklable
`PageResult`, and never raises for a bad page: any failure becomes the page's result,
an error with the reason in one line, and the batch goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from scanner import comments, identify, marks
from scanner import thresholds as T
from scanner.colour import PaperSample, measure_paper
from scanner.errors import InputFileError, one_line
from scanner.load import LoadedPage, PageTask, load_page
from scanner.ocr import OcrEngine
from scanner.register import Registrar, downscale
from scanner.results import CommentReading, ItemMeasure, PageStatus
from scanner.template import Template

log = logging.getLogger(__name__)

BLANK_INK_SHARE = 0.002
"""A page with less than 0.2% dark pixels carries no print or writing: a blank back."""


@dataclass(frozen=True)
class PageResult:
    source: str
    page: int
    status: PageStatus
    reason: str = ""
    content_hash: str = ""
    form_page: int | None = None
    serial: int | None = None
    qr_read: bool = False
    method: str = ""
    markers: int = 0
    residual_mm: float = float("nan")
    rotation_deg: float = float("nan")
    px_per_mm: float = float("nan")
    transform: tuple | None = None
    paper: PaperSample = PaperSample(None)
    items: list[ItemMeasure] = field(default_factory=list)
    comments: list[CommentReading] = field(default_factory=list)


def _is_blank(grey: np.ndarray) -> bool:
    small, _ = downscale(grey, 297.0, 2.0)
    dark = marks.darkness(small)
    return float((dark > 0.35).mean()) < BLANK_INK_SHARE


class PageReader:
    """Reads pages against one template; one per worker process (it holds caches)."""

    def __init__(self, template: Template, engine: OcrEngine):
        self.template = template
        self.registrar = Registrar(template)
        self.qr = identify.QrReader(template)
        self.comments = comments.CommentReader(template, engine)

    def read(self, task: PageTask) -> PageResult:
        """Read one page; problems come back as the result's status and reason."""
        base = {"source": task.source, "page": task.page, "content_hash": task.content_hash}
        try:
            return self._read_loaded(base, load_page(task))
        except InputFileError as exc:
            reason = exc.reason
        except MemoryError:
            reason = "the page is too large to read in the memory available"
        except Exception as exc:  # a bug or a broken dependency: this page's error, not the batch's end
            log.debug("page %s %d failed", task.source, task.page, exc_info=True)
            reason = f"the reader failed on this page ({type(exc).__name__}: {one_line(exc)}); please report it"
        return PageResult(**base, status=PageStatus.ERROR, reason=reason)

    def _read_loaded(self, base: dict, loaded: LoadedPage) -> PageResult:
        grey = loaded.grey
        reg = self.registrar.markers(grey)
        if reg is None or reg.residual_mm > T.MAX_RESIDUAL_MM:
            # Blank backs are common and cheap to tell; content matching is neither.
            if _is_blank(grey):
                return PageResult(**base, status=PageStatus.BLANK, reason="blank page")
            reg = self.registrar.content(grey)
        if reg is None:
            return PageResult(**base, status=PageStatus.UNRECOGNISED,
                              reason="not a page of this form: no corner markers, QR code or matching content")
        t = self.template
        ident = self.qr.read(grey, reg.transform)
        if ident is not None and (ident.form != t.form or ident.version != t.version):
            return PageResult(**base, status=PageStatus.UNRECOGNISED,
                              reason=f"a page of form {ident.form!r} version {ident.version}, "
                                     f"not {t.form!r} version {t.version}")
        page = reg.page
        if ident is None:
            agreement = self.registrar.content_agreement(grey, reg.transform, page)
            if agreement < T.AGREEMENT_MIN:
                return PageResult(**base, status=PageStatus.UNRECOGNISED,
                                  reason=f"its QR code cannot be read and its print matches form page {page} "
                                         f"only {agreement:.0%}: another form with the same markers?")
        if ident is not None and ident.page != reg.page:
            log.warning("%s page %d: QR says form page %d, markers say %d; trusting the QR",
                        base["source"], base["page"], ident.page, reg.page)
            page = ident.page
        return PageResult(
            **base, status=PageStatus.USED, form_page=page,
            serial=ident.serial if ident else None, qr_read=ident is not None,
            method=reg.method.value, markers=reg.markers_found, residual_mm=round(reg.residual_mm, 3),
            rotation_deg=round(reg.transform.rotation_deg(), 2), px_per_mm=round(reg.transform.px_per_mm(), 3),
            transform=reg.transform.matrix,
            paper=measure_paper(loaded.colour, loaded.colour_scale, t, reg.transform),
            items=marks.measure_page(grey, reg.transform, t.items_on(page)),
            comments=self.comments.read_page(grey, reg.transform, t.comments_on(page)),
        )
