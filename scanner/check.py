"""Check a template against a few real filled scans before a whole batch is run.

`scanner template check T SCANS...` registers the first few pages of the scans with the
template exactly as `scan` does (`align_page`), then measures, on each page, the printed
frame at every place the template puts a tick box or a comment zone's corner (the frames
registration verifies itself on, `scanner.register.measure_frames`). It reports:

- boxes and zones that do not land on a printed frame on most of the samples of their
  page (a box drawn in the wrong place, a drafted box a row off);
- items that are empty on every sample, once their page was seen on MIN_EMPTY_SAMPLES
  samples (a mislabelled row, a box over a printed word);
- each page's alignment residual: how far the printed frames lie from where the
  template puts them, in mm (median and 90th percentile);

and draws each page, aligned to the template, with every box and zone over it (green
where it lands, red where not) in `page-NNN.png`, with an `index.html` listing them.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.errors import InputFileError, OutputError
from scanner.load import InputProblem, enumerate_pages, load_page
from scanner.marks import BoxPrint, decide_sheet, measure_page
from scanner.geometry import PageTransform
from scanner.register import (FrameWindow, Registrar, Registration, frame_windows, held_by_markers, measure_frames,
                              sides_whole)
from scanner.reader import is_blank
from scanner.results import Status
from scanner.template import Box, Template

log = logging.getLogger(__name__)

MIN_EMPTY_SAMPLES = 3
"""An item empty on fewer samples of its page than this is listed, not counted as a
problem: one respondent skipping a question is common, three in a row less so."""
OVERLAY_PX_PER_MM = 4.0
"""Resolution of the overlays: a 5 mm box is 20 pixels, enough to see it sit on its frame."""
GREEN, RED, BLUE = (40, 160, 40), (30, 30, 220), (200, 90, 20)
"""BGR: a frame where the template puts it, one that is not there, a comment zone."""


@dataclass(frozen=True)
class Frame:
    """One printed frame the template expects: a tick box, or a comment zone's corner."""

    page: int
    owner: str
    """The item or comment id."""
    part: str
    """The option's code (``"3"``), or the zone's corner (``"top-left"``)."""
    box_mm: Box

    @property
    def name(self) -> str:
        return f"{self.owner}:{self.part}"


@dataclass(frozen=True)
class PageCheck:
    """One sample page: where it aligned and which of its page's frames were off."""

    source: str
    page: int
    """The page's number in its file, from 1."""
    form_page: int | None = None
    aligned: bool = False
    median_mm: float = float("nan")
    p90_mm: float = float("nan")
    """The alignment residual: the 90th percentile of the printed frames' distance from
    where the template puts them (as `frames_off_mm` in the page's stored reading, in
    survey.sqlite; pages.csv has no such column)."""
    off: tuple[str, ...] = ()
    """Frames not seen within reach of where the template puts them, or seen more than
    VERIFY_ITEM_MM away."""
    empty: tuple[str, ...] = ()
    """Items of the page read as empty."""
    reason: str = ""
    """Why the page could not be aligned (empty when it was)."""
    overlay: str = ""
    """The overlay's file name in the output folder."""


@dataclass(frozen=True)
class Misplaced:
    """A frame the template puts where most samples of its page print none."""

    frame: Frame
    off_on: int
    samples: int
    offset_mm: float | None
    """The median distance at which it was seen, on the samples where it was seen at all
    (within VERIFY_REACH_MM); None when never."""


@dataclass(frozen=True)
class CheckReport:
    """What `check_template` found on the samples."""

    form: str
    pages: tuple[PageCheck, ...]
    misplaced: tuple[Misplaced, ...]
    never_marked: tuple[tuple[str, int], ...]
    """Items empty on every aligned sample of their page, with how many samples."""
    files: tuple[Path, ...] = field(default=())

    @property
    def unaligned(self) -> tuple[PageCheck, ...]:
        """Pages taken for a page of the form whose print the template does not fit, and
        all pages when none aligned. A page that matches no page of the form (a cover
        letter, a blank back) is listed, but is no fault of the template."""
        if not any(p.aligned for p in self.pages):
            return self.pages
        return tuple(p for p in self.pages if not p.aligned and p.form_page is not None)

    @property
    def suspect_items(self) -> tuple[str, ...]:
        """Empty on every sample, and seen on enough of them to count as a problem."""
        return tuple(item for item, n in self.never_marked if n >= MIN_EMPTY_SAMPLES)

    @property
    def ok(self) -> bool:
        return bool(self.pages) and not (self.unaligned or self.misplaced or self.suspect_items)

    def to_dict(self) -> dict:
        """The report as plain data (for `--json`)."""
        return {
            "form": self.form, "ok": self.ok,
            "pages": [{"source": p.source, "page": p.page, "form_page": p.form_page, "aligned": p.aligned,
                       "median_mm": _finite(p.median_mm), "p90_mm": _finite(p.p90_mm), "off": list(p.off),
                       "empty": list(p.empty), "reason": p.reason, "overlay": p.overlay} for p in self.pages],
            "misplaced": [{"frame": m.frame.name, "page": m.frame.page, "box_mm": list(m.frame.box_mm),
                           "off_on": m.off_on, "samples": m.samples, "offset_mm": m.offset_mm}
                          for m in self.misplaced],
            "never_marked": [{"item": item, "samples": n, "problem": n >= MIN_EMPTY_SAMPLES}
                             for item, n in self.never_marked],
        }


def _finite(x: float) -> float | None:
    return round(x, 3) if np.isfinite(x) else None


def align_page(registrar: Registrar, grey: np.ndarray) -> Registration | None:
    """The page registered with the template as `scan` registers it: by its corner
    markers, else by its printed content, then verified on its printed frames.

    The one registration call of the check: pages of a template printed without markers
    go through it too (they skip the marker search). None when nothing matches.
    """
    reg = registrar.markers(grey) if registrar.template.registration.markers else None
    if not held_by_markers(reg):
        reg = registrar.content(grey)
    return None if reg is None else registrar.verify(grey, reg)


def expected_frames(template: Template, page: int) -> list[Frame]:
    """The frames of one form page, in the order of `scanner.register.frame_windows`."""
    frames = [Frame(page, item.id, str(option.code), option.box_mm)
              for item in template.items_on(page) for option in item.options]
    corners = ("top-left", "top-right", "bottom-right", "bottom-left")
    frames += [Frame(page, zone.id, corner, zone.box_mm) for zone in template.comments_on(page) if zone.framed
               for corner in corners]
    return frames


def check_template(template: Template, scans: list[str | Path], out_dir: str | Path | None = None,
                   pages: int | None = None) -> CheckReport:
    """Align the first `pages` pages of `scans` (default: three questionnaires' worth)
    with `template` and report what does not fit; with `out_dir`, draw an overlay of each
    page and an index.html there.

    Raises:
        InputFileError: the scans hold no page at all.
        OutputError: `out_dir` cannot be written.
    """
    limit = pages if pages is not None else 3 * len(template.pages)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out} cannot be made: {exc.strerror}") from None
    registrar = Registrar(template)
    checks: list[PageCheck] = []
    measured: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    files: list[Path] = []
    for task in enumerate_pages(scans):
        if len(checks) >= limit:
            break
        if isinstance(task, InputProblem):
            checks.append(PageCheck(task.source, task.page, reason=task.reason))
            continue
        grey = load_page(task).grey
        if is_blank(grey):
            continue  # a blank back: nothing to check, and no sample
        check, frames, overlay = _check_page(template, registrar, grey, task.source, task.page)
        if check.form_page is not None and check.aligned:
            measured.setdefault(check.form_page, []).append(frames)
        if out is not None:
            check = _with_overlay(check, overlay, out, len(checks) + 1)
            files.append(out / check.overlay)
        checks.append(check)
    if not checks:
        raise InputFileError(", ".join(str(s) for s in scans), "holds no pages")
    report = CheckReport(template.form, tuple(checks), _misplaced(template, measured),
                         _never_marked(template, checks))
    if out is not None:
        files.append(write_index(report, out / "index.html"))
    return replace(report, files=tuple(files))


def _check_page(template: Template, registrar: Registrar, grey: np.ndarray, source: str,
                number: int) -> tuple[PageCheck, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The page's check, each frame's offset (mm) and whether a fill hides it, and its overlay."""
    reg = align_page(registrar, grey)
    if reg is None:
        why = ("not a page of this form: no corner markers, and its print matches no page of the form "
               "(a cover letter, a blank back, another form?)")
        if not template.registration.markers:
            why = "not a page of this form: its print matches no page of the form (the template has no markers)"
        return PageCheck(source, number, reason=why), (np.empty((0, 2)), np.empty(0, bool)), _plain(grey)
    frames = expected_frames(template, reg.page)
    windows = frame_windows(template, reg.page)
    found = _frames_seen(grey, reg.transform, windows)
    distance = np.hypot(*found.T)
    # As `scan` measures them: a form's own print in its boxes is no mark.
    measures = measure_page(grey, reg.transform, template.items_on(reg.page), BoxPrint(template).page(reg.page))
    # A box filled in solid hides its frame: this page says nothing about where it is.
    filled = {f"{m.item}:{b.code}" for m in measures for b in m.boxes if b.score >= T.FILLED_MIN}
    hidden = np.array([f.name in filled for f in frames], bool)
    # So does ink over a frame (a tick's stroke along a side, writing over a zone's
    # corner), as `scan` tells it: the frame is hidden, not missing.
    unseen = ~(distance <= T.VERIFY_ITEM_MM) & ~hidden
    if unseen.any():
        hidden |= registrar.under_ink(grey, reg.transform, reg.page, unseen)
    off = tuple(f.name for f, d, h in zip(frames, distance, hidden) if not d <= T.VERIFY_ITEM_MM and not h)
    empty = ()
    if reg.aligned:
        fields = decide_sheet(template, {m.item: m for m in measures})
        empty = tuple(item for item, f in fields.items() if f.status is Status.BLANK)
    reason = "" if reg.aligned else (f"aligned with form page {reg.page} only roughly: its printed frames lie "
                                     f"{reg.check.p90_mm:.2f} mm from where the template puts them (90th percentile)")
    check = PageCheck(source, number, reg.page, reg.aligned, reg.check.median_mm, reg.check.p90_mm, off, empty, reason)
    return check, (found, hidden), _overlay(template, grey, reg, frames, set(off))


def _frames_seen(grey: np.ndarray, transform: PageTransform, windows: list[FrameWindow]) -> np.ndarray:
    """Where each frame lies, through the page's verified `transform`, minus where the
    template puts it: (n, 2) mm, NaN where its sides do not all run their whole length
    there (`sides_whole`).

    `measure_frames` takes each side for the darkest line near it, and a tick's stroke
    ending a millimetre inside a side, as dark as the side and joined to it, pulls that
    side in: the two sides then disagree by more than VERIFY_PAIR_MM and the frame goes
    unseen (seed 730164: a side measured 0.7 mm in, on a page aligned to 0.013 mm). A
    frame unseen so is looked for where the template puts it, and seen there (0 mm off,
    to within a pixel of VERIFY_PX_PER_MM) when its four sides run whole at that place.
    """
    found = measure_frames(grey, transform, windows)
    found[~sides_whole(grey, transform, windows, found)] = np.nan
    unseen = np.isnan(found).any(axis=1)
    at_place = np.where(unseen[:, None], 0.0, np.full_like(found, np.nan))
    found[sides_whole(grey, transform, windows, at_place)] = 0.0
    return found


def _misplaced(template: Template, measured: dict[int, list[tuple[np.ndarray, np.ndarray]]]) -> tuple[Misplaced, ...]:
    """Frames off on more than half of the aligned samples of their page that do not fill
    them in: a pen stroke along a side may hide a frame on one sample, not on most."""
    out = []
    for page, samples in sorted(measured.items()):
        distance = np.stack([np.hypot(*offsets.T) for offsets, _ in samples])  # (samples, frames)
        counted = ~np.stack([hidden for _, hidden in samples])
        off = ~(distance <= T.VERIFY_ITEM_MM) & counted
        for k, frame in enumerate(expected_frames(template, page)):
            n = int(counted[:, k].sum())
            if 2 * off[:, k].sum() > n:
                seen = distance[:, k][counted[:, k] & ~np.isnan(distance[:, k])]
                out.append(Misplaced(frame, int(off[:, k].sum()), n,
                                     round(float(np.median(seen)), 2) if seen.size else None))
    return tuple(out)


def _never_marked(template: Template, checks: list[PageCheck]) -> tuple[tuple[str, int], ...]:
    seen = [c for c in checks if c.aligned]
    out = []
    for item in template.items:
        samples = [c for c in seen if c.form_page == item.page]
        if samples and all(item.id in c.empty for c in samples):
            out.append((item.id, len(samples)))
    return tuple(out)


# ---------------------------------------------------------------- overlays


def _plain(grey: np.ndarray) -> np.ndarray:
    """The page as scanned, about as big as an overlay (a page that could not be aligned)."""
    scale = min(1.0, 1200 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)


def _overlay(template: Template, grey: np.ndarray, reg: Registration, frames: list[Frame],
             off: set[str]) -> np.ndarray:
    """The page resampled into the template's mm (so it lies as the template does), with
    every box and zone drawn where the template puts it."""
    s = OVERLAY_PX_PER_MM
    w, h = template.page_size_mm
    image = cv2.cvtColor(reg.transform.crop(grey, (0.0, 0.0, w, h), s), cv2.COLOR_GRAY2BGR)

    def px(v: float) -> int:
        return int(round(v * s))

    for frame in frames:
        x, y, fw, fh = frame.box_mm
        bad = frame.name in off
        if frame.part.isdigit():
            cv2.rectangle(image, (px(x), px(y)), (px(x + fw), px(y + fh)), RED if bad else GREEN, 1)
            if frame.part == "1" or bad:
                cv2.putText(image, frame.name if bad else frame.owner, (px(x), px(y) - 2),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.3, RED if bad else GREEN, 1, cv2.LINE_AA)
        elif frame.part == "top-left":
            corners_off = any(f"{frame.owner}:{c}" in off for c in ("top-left", "top-right", "bottom-right",
                                                                      "bottom-left"))
            cv2.rectangle(image, (px(x), px(y)), (px(x + fw), px(y + fh)), RED if corners_off else BLUE, 1)
            cv2.putText(image, frame.owner, (px(x) + 3, px(y) + 10), cv2.FONT_HERSHEY_SIMPLEX, 0.3,
                        RED if corners_off else BLUE, 1, cv2.LINE_AA)
    return image


def _with_overlay(check: PageCheck, image: np.ndarray, out: Path, k: int) -> PageCheck:
    name = f"page-{k:03d}.png"
    if not cv2.imwrite(str(out / name), image):
        raise OutputError(f"{out / name} cannot be written")
    return replace(check, overlay=name)


def write_index(report: CheckReport, path: Path) -> Path:
    """An HTML page listing each sample page with its overlay and what was off on it."""
    rows = []
    for p in report.pages:
        status = (f"form page {p.form_page}, residual {p.median_mm:.2f} mm (p90 {p.p90_mm:.2f} mm)"
                  if p.aligned else html.escape(p.reason))
        off = ", ".join(p.off) or "none"
        image = f'<a href="{p.overlay}"><img src="{p.overlay}" width="420"></a>' if p.overlay else ""
        rows.append(f"<tr><td>{html.escape(p.source)} page {p.page}</td><td>{status}</td>"
                    f"<td>{html.escape(off)}</td><td>{image}</td></tr>")
    problems = summary_lines(report)
    text = (f"<!doctype html><meta charset='utf-8'><title>Template check: {html.escape(report.form)}</title>"
            f"<h1>Template check: {html.escape(report.form)}</h1>"
            f"<pre>{html.escape(chr(10).join(problems))}</pre>"
            "<p>Green: a box where the template puts it lands on a printed box. Red: it does not. "
            "Blue: a comment zone.</p>"
            "<table border='1' cellpadding='4'><tr><th>page</th><th>alignment</th><th>frames off</th>"
            f"<th>overlay</th></tr>{''.join(rows)}</table>")
    path.write_text(text, encoding="utf-8")
    return path


def summary_lines(report: CheckReport) -> list[str]:
    """The report for people: each page's alignment, then what does not fit."""
    lines = []
    for p in report.pages:
        where = f"{p.source} page {p.page}"
        if p.aligned:
            lines.append(f"{where}: form page {p.form_page}, residual {p.median_mm:.2f} mm "
                         f"(90th percentile {p.p90_mm:.2f} mm)")
        elif p.form_page is None:
            lines.append(f"{where}: {p.reason}")
        else:
            lines.append(f"{where}: NOT ALIGNED: {p.reason}")
    for m in report.misplaced:
        seen = f"seen {m.offset_mm:.1f} mm away" if m.offset_mm is not None else "no printed frame near it"
        what = "box" if m.frame.part.isdigit() else "comment zone corner"
        lines.append(f"{what} {m.frame.name} (page {m.frame.page}, at {m.frame.box_mm[0]:.1f}, "
                     f"{m.frame.box_mm[1]:.1f} mm) does not land on a printed frame on {m.off_on} of {m.samples} "
                     f"samples: {seen}")
    for item, n in report.never_marked:
        note = "" if n >= MIN_EMPTY_SAMPLES else f" (fewer than {MIN_EMPTY_SAMPLES} samples: not counted as a problem)"
        lines.append(f"item {item} is empty on all {n} samples of its page: a mislabelled row?{note}")
    if not any(p.aligned for p in report.pages):
        lines.append("no page could be aligned with the template")
    lines.append("the template fits these scans" if report.ok else "the template does NOT fit these scans")
    return lines
