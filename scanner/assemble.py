"""Assemble: group pages into sheets (one respondent's questionnaire) and decide them.

Pages group by sequence within their file: a sheet starts at the form's first page; a
page whose number the open sheet already has starts a new sheet when the open one is
complete, else it is a repeat (a double feed). On numbered copies the serial in the QR
code decides instead (a page whose QR code cannot be read follows the sequence), and a
numbered copy left incomplete by its file is completed by its pages in other files. A
missing page flags its sheet rather than shifting every sheet after it. Blank pages (duplex backs) and pages of other
documents are accounted for but belong to no sheet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner import comments as comment_stage
from scanner import marks
from scanner.colour import ColourDecision, classify
from scanner.reader import PageResult
from scanner.results import FieldResult, PageStatus, Reason, Status
from scanner.template import Template


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


def _sheet_id(template: Template, serial: int | None, first_page_hash: str) -> str:
    """Stable across re-runs: the copy's serial, else the hash of its first page's image."""
    if serial is not None:
        return f"{template.form}-{serial:06d}"
    return "s" + hashlib.sha1(f"{template.form}:{first_page_hash}".encode()).hexdigest()[:11]


class Assembler:
    """Takes page results in input order; yields sheets as they are complete or closed."""

    def __init__(self, template: Template, programme: str | None = None):
        self.template = template
        self.programme = programme
        self.rows: list[PageRow] = []
        self._open: Sheet | None = None
        self._parked: dict[int, Sheet] = {}
        """Numbered sheets left incomplete by their file: their pages may be in another."""

    def add(self, result: PageResult) -> Iterator[Sheet]:
        """Account for one page; yield any sheet that this page closes."""
        row = PageRow(result.source, result.page, result.status, reason=result.reason,
                      form_page=result.form_page, content_hash=result.content_hash)
        self.rows.append(row)
        if self._open is not None and self._open.source != result.source:
            yield from self._close_open()
        if result.status is not PageStatus.USED:
            return
        if self._open is None or not self._belongs(self._open, result):
            yield from self._close_open()
            parked = self._parked.pop(result.serial, None) if result.serial is not None else None
            self._open = parked or Sheet("", result.source, result.page, result.serial)
        self._attach(self._open, result, row)

    def finish(self) -> Iterator[Sheet]:
        """Close whatever is still open at the end of the batch."""
        yield from self._close_open()
        for serial in sorted(self._parked):
            yield self._decide(self._parked.pop(serial))

    def _belongs(self, sheet: Sheet, result: PageResult) -> bool:
        """Whether the page continues the open sheet rather than starting another."""
        if result.serial is not None and sheet.serial is not None:
            return result.serial == sheet.serial
        if result.form_page == self.template.page_numbers[0]:
            return False
        return result.form_page not in sheet.pages or not self._complete(sheet)

    def _attach(self, sheet: Sheet, result: PageResult, row: PageRow) -> None:
        sheet.rows.append(row)
        if sheet.serial is None:
            sheet.serial = result.serial  # page 1's QR may have been unreadable
        if result.form_page in sheet.pages:
            row.status = PageStatus.UNRECOGNISED
            row.reason = f"a second copy of form page {result.form_page} of this questionnaire (the first is used)"
            sheet.flags.append(f"form page {result.form_page} appears twice")
            return
        sheet.pages[result.form_page] = result

    def _complete(self, sheet: Sheet) -> bool:
        return set(sheet.pages) >= set(self.template.page_numbers)

    def _close_open(self) -> Iterator[Sheet]:
        if self._open is None:
            return
        sheet, self._open = self._open, None
        if sheet.serial is not None and not self._complete(sheet):
            self._parked[sheet.serial] = sheet
        else:
            yield self._decide(sheet)

    def _decide(self, sheet: Sheet) -> Sheet:
        t = self.template
        first = sheet.pages[min(sheet.pages)]
        sheet.sheet_id = _sheet_id(t, sheet.serial, first.content_hash)
        for row in sheet.rows:
            row.sheet_id = sheet.sheet_id
        missing = [p for p in t.page_numbers if p not in sheet.pages]
        if missing:
            sheet.flags.append("missing form page" + ("s " if len(missing) > 1 else " ") + ", ".join(map(str, missing)))
        sheet.colour = classify([p.paper for p in sheet.pages.values()], t)
        measures = {m.item: m for p in sheet.pages.values() for m in p.items}
        readings = {c.item: c for p in sheet.pages.values() for c in p.comments}
        decided = marks.decide_sheet(t, measures)
        results = [self._programme(sheet.colour)]
        for item in t.items:
            results.append(decided.get(item.id) or _missing(item.id))
        for zone in t.comments:
            reading = readings.get(zone.id)
            results.append(comment_stage.decide_comment(reading) if reading else _missing(zone.id))
        sheet.results = results
        return sheet

    def _programme(self, colour: ColourDecision) -> FieldResult:
        evidence = {"colour": colour.colour, "rgb": colour.rgb, "colour_confidence": round(colour.confidence, 3),
                    "colour_reason": colour.reason.value if colour.reason else None}
        if self.programme is not None:
            if colour.programme not in (None, self.programme):
                evidence["given"] = self.programme
                return FieldResult("programme", self.programme, Status.REVIEW, 0.3, Reason.COLOUR, evidence)
            return FieldResult("programme", self.programme, Status.OK, 1.0, None, evidence | {"given": self.programme})
        if colour.programme is None:
            return FieldResult("programme", "", Status.REVIEW, round(colour.confidence, 3), Reason.COLOUR, evidence)
        return FieldResult("programme", colour.programme, Status.OK, round(colour.confidence, 3), None, evidence)


def _missing(item: str) -> FieldResult:
    return FieldResult(item, "", Status.REVIEW, 0.0, Reason.PAGE_MISSING)
