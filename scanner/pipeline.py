"""The scan pipeline: pages through a process pool, sheets assembled and stored in order.

Workers compute (`PageReader.read`); the parent alone writes the store, the crops, the
CSVs and reports progress. Pages already read by an earlier run (same image, same
template and OCR setting) come from the store instead of the pool, which makes a re-run
cheap and lets a killed run be completed by running it again.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import logging
import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner import __version__
from scanner.assemble import Assembler, PageRow, Sheet
from scanner.calibrate import calibrate_survey
from scanner.errors import OutputError, TemplateError, UsageError, one_line
from scanner.load import InputProblem, PageTask, count_pages, enumerate_pages
from scanner.ocr import make_engine
from scanner.outputs import sheet_problems, write_outputs
from scanner.reader import PageReader, PageResult
from scanner.results import PageStatus
from scanner.store import Store, resolved
from scanner.survey import keep_template
from scanner.template import Template

log = logging.getLogger(__name__)

WINDOW_PER_JOB = 4
"""Pages in flight per worker: enough to keep workers busy, few enough that a
1,000-page PDF is streamed rather than held in memory."""

PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal the kernel sends this process when its parent dies."""

PARENT_POLL_SECONDS = 0.5
"""Where the kernel cannot end a worker with its parent, how often a worker checks."""

WORKER_DIED = ("the process reading this page died, twice (a crash in a library, or killed when memory "
               "ran out)")
"""The reason of a page whose worker died again when the page was read alone."""

WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
"""Failures to write the survey's folder that are the user's situation, not a bug."""

WRITE_SQLITE_ERRORS = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM")
"""The same, as SQLite names them (prefixes: SQLITE_IOERR_WRITE is one)."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    source: str
    page: int


@dataclass
class ScanSummary:
    """What a scan did, for the closing report and the exit code."""

    out_dir: Path
    sheets: int = 0
    pages: Counter = field(default_factory=Counter)
    programmes: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    """One line per file or page that could not be read, and per file none of whose
    pages is a page of the form when the batch holds none (the wrong template?)."""
    sheet_problems: list[str] = field(default_factory=list)
    """One line per problem of a questionnaire of this run (a page missing or repeated,
    a serial used by two questionnaires), naming it and where it starts."""
    reused: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "sheets": self.sheets, "pages": dict(self.pages),
                "programmes": dict(self.programmes), "flagged": dict(self.flagged), "failed": self.failed,
                "sheet_problems": self.sheet_problems,
                "reused_pages": self.reused, "seconds": round(self.seconds, 2)}


def reader_key(template: Template, ocr_name: str) -> str:
    """What a stored page reading depends on: reuse it only while all of this is the same."""
    text = template.model_dump_json() + ocr_name + __version__
    return hashlib.sha1(text.encode()).hexdigest()[:16]


_worker: PageReader | None = None  # one per worker process, set by its initializer


def _init_worker(template: Template, ocr: bool, parent: int) -> None:
    global _worker
    _die_with(parent)
    _worker = PageReader(template, make_engine(ocr))


def _die_with(parent: int) -> None:
    """End this worker when its parent dies, even by `kill -9`, rather than live on as an orphan."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(PARENT_POLL_SECONDS)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the watch began
        os._exit(1)


def _read_in_worker(task: PageTask) -> PageResult:
    assert _worker is not None
    return _worker.read(task)


class _Workers:
    """The process pool, replaced when it breaks.

    A worker that dies (a crash in native code, the out-of-memory killer) breaks the
    pool and loses every page in flight. Each of those pages is read again alone in a
    fresh pool; a page whose worker dies again alone is that page's error.
    """

    def __init__(self, jobs: int, template: Template, ocr: bool):
        self._args = (jobs, template, ocr)
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        jobs, template, ocr = self._args
        # Forked, so that each worker is this process's child (`_die_with` relies on it):
        # Python 3.14 makes a fork server, not this process, their parent by default.
        context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(template, ocr, os.getpid()))

    def submit(self, task: PageTask) -> Future:
        return self.executor.submit(_read_in_worker, task)

    def rescue(self, pending: deque) -> None:
        """Replace each lost page in `pending` (the pool broke) by its reading, read alone."""
        # Not cancel_futures: a page the broken pool has not yet marked lost would read as cancelled.
        self.executor.shutdown(wait=False)
        self.executor = self._new_executor()
        for k, (task, future) in enumerate(pending):
            if isinstance(future, Future) and isinstance(future.exception(), BrokenProcessPool):
                log.warning("%s page %d: its worker process died; reading it again", task.source, task.page)
                pending[k] = (task, self._read_alone(task))

    def _read_alone(self, task: PageTask) -> PageResult:
        try:
            return self.submit(task).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False)
            self.executor = self._new_executor()
            return PageResult(task.source, task.page, PageStatus.ERROR, WORKER_DIED, task.content_hash)

    def shutdown(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def _ordered(items: Iterable[PageTask | InputProblem], submit: Callable[[PageTask], Future | PageResult],
             window: int, rescue: Callable[[deque], None]) -> Iterator[PageResult | InputProblem]:
    """Results in input order, with at most `window` pages waiting on workers; `rescue`
    reads again the pages a broken pool lost."""
    pending: deque[tuple[PageTask | None, Future | PageResult | InputProblem]] = deque()

    def oldest() -> PageResult | InputProblem:
        first = pending[0][1]
        if isinstance(first, Future):
            try:
                first.result()
            except BrokenProcessPool:
                rescue(pending)
        result = pending.popleft()[1]
        return result.result() if isinstance(result, Future) else result

    def start(task: PageTask) -> Future | PageResult:
        try:
            return submit(task)
        except BrokenProcessPool:  # the pool broke between two looks at it
            rescue(pending)
            return submit(task)

    for item in items:
        pending.append((item, start(item)) if isinstance(item, PageTask) else (None, item))
        while len(pending) > window or (pending and not isinstance(pending[0][1], Future)):
            yield oldest()
    while pending:
        yield oldest()


def check_programme(template: Template, programme: str | None) -> str | None:
    """The template's spelling of `programme`, or a usage error listing the choices."""
    if programme is None:
        return None
    names = {c.programme.lower(): c.programme for c in template.colours}
    if programme.lower() not in names:
        raise UsageError(f"--programme {programme!r} is not a programme of form {template.form}; "
                         f"choose one of: {', '.join(sorted(set(names.values())))}")
    return names[programme.lower()]


def scan(inputs: list[str | Path], template: Template, out_dir: str | Path = "scan-results", *,
         jobs: int | None = None, ocr: bool = True, programme: str | None = None,
         progress: Callable[[Progress], None] | None = None) -> ScanSummary:
    """Read every page of `inputs` into the survey in `out_dir` and write its CSVs.

    Raises:
        UsageError: no inputs, an unknown programme, or an out folder scanned with another
            template.
        MissingDependencyError: OCR is on and Tesseract is not installed.
        OutputError: the out folder cannot be written (disk full, read-only); what was
            stored before is kept, and a re-run completes the batch.
        TemplateError: the form has no markers (a drafted template): not readable yet.
    """
    if not inputs:
        raise UsageError("no input files given: name PDFs, images or folders to scan")
    if not template.registration.markers:
        raise TemplateError(f"{template.form_version}: the form has no corner markers nor QR code "
                            "(registration.markers: false); reading forms without markers is not supported yet")
    programme = check_programme(template, programme)
    engine = make_engine(ocr)  # fails here, before any work, when tesseract is missing
    started = time.monotonic()
    out_dir = Path(out_dir)
    summary = ScanSummary(out_dir)
    jobs = max(1, jobs or os.cpu_count() or 1)
    key = reader_key(template, engine.name)
    total = count_pages(inputs, exclude=out_dir)
    try:
        store = Store(out_dir)
    except (OSError, sqlite3.Error) as exc:
        if _write_failure(exc):
            raise OutputError(_cannot_write(out_dir, exc)) from None
        raise UsageError(f"cannot keep the survey in {out_dir}: {exc}; choose another --out folder") from None
    with _writing(out_dir), store:
        keep_template(store, template)  # checked before anything is read
        register = store.sheet_register()
        assembler = Assembler(template, programme, register)
        workers = _Workers(jobs, template, ocr) if jobs > 1 else None
        local = PageReader(template, engine) if workers is None else None
        paths: dict[str, str] = {}

        def submit(task: PageTask) -> Future | PageResult:
            cached = store.cached_reading(task.content_hash, key)
            if cached is not None:
                summary.reused += 1
                return _relabel(cached, task)
            return workers.submit(task) if workers else local.read(task)

        try:
            done = 0
            for result in _ordered(enumerate_pages(inputs, exclude=out_dir), submit, WINDOW_PER_JOB * jobs,
                                   workers.rescue if workers else _no_rescue):
                if isinstance(result, InputProblem):
                    result = PageResult(result.source, result.page or 0, PageStatus.ERROR, result.reason)
                done += 1
                if result.source not in paths:
                    paths[result.source] = resolved(result.source)
                closed = list(assembler.add(result, paths[result.source]))
                row = assembler.rows[-1]
                # Crops first: a reading in the store promises its crops are on disk.
                _write_crops(result, out_dir)
                store.save_page(row, result, key)
                for sheet in closed:
                    _save_sheet(store, sheet, out_dir, summary)
                _count_page(summary, row)
                if progress:
                    progress(Progress(done, max(total, done), row.source, row.page))
            for sheet in assembler.finish():
                _save_sheet(store, sheet, out_dir, summary)
            store.retire_superseded(register)
            summary.failed += _wrong_template(assembler.rows, template)
            calibrate_survey(store, template)  # needs every sheet: after the last one is saved
            _count_programmes(store, register.claimed, summary)
        finally:
            if workers is not None:
                workers.shutdown()
        write_outputs(store, template, out_dir)
        summary.sheet_problems = _problems_of(store, register.claimed)
    summary.seconds = time.monotonic() - started
    return summary


def _problems_of(store: Store, sheets: dict[str, Sheet]) -> list[str]:
    """The problems of this run's sheets, one line each, in the order they were scanned."""
    problems = sheet_problems(store)
    return [f"{sheet_id} ({sheet.source} page {sheet.first_page}): {flag}"
            for sheet_id, sheet in sheets.items() for flag in problems.get(sheet_id, [])]


def _no_rescue(pending: deque) -> None:
    """Pages read in this process are never lost to a broken pool."""


@contextlib.contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """Turn a failure to write the survey's folder (disk full, read-only) into an OutputError."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if not _write_failure(exc):
            raise
        raise OutputError(_cannot_write(out_dir, exc)) from exc


def _write_failure(exc: OSError | sqlite3.Error) -> bool:
    """Whether `exc` is the disk's or the folder's fault (full, read-only), not a bug."""
    if isinstance(exc, OSError):
        return exc.errno in WRITE_ERRNOS
    return getattr(exc, "sqlite_errorname", "").startswith(WRITE_SQLITE_ERRORS)


def _cannot_write(out_dir: Path, exc: OSError | sqlite3.Error) -> str:
    return (f"cannot write the survey in {out_dir}: {one_line(exc)}; make space or choose another --out folder, "
            "then scan again (pages already stored are kept)")


def _wrong_template(rows: list[PageRow], template: Template) -> list[str]:
    """When no page at all is a page of the form: a line for each file of unrecognised pages."""
    if any(row.status is PageStatus.USED for row in rows):
        return []
    files = dict.fromkeys(row.source for row in rows if row.status is PageStatus.UNRECOGNISED)
    return [f"no page of {source} is a page of form {template.form} {template.version}: wrong template?"
            for source in files]


def _relabel(cached: PageResult, task: PageTask) -> PageResult:
    """A stored reading of the same image, under the name and page it has now."""
    return replace(cached, source=task.source, page=task.page)


def _count_page(summary: ScanSummary, row: PageRow) -> None:
    summary.pages[row.status.value] += 1
    if row.status is PageStatus.ERROR:
        where = row.source if not row.page else f"{row.source} page {row.page}"
        summary.failed.append(f"{where}: {row.reason}")


def _crop_path(result: PageResult, item: str) -> Path:
    """Where a comment zone's crop is kept: by page image, so a re-run finds it again."""
    return Path("crops") / result.content_hash.replace(":", "-") / f"{item}.jpg"


def _write_crops(result: PageResult, out_dir: Path) -> None:
    for reading in result.comments:
        if reading.crop is not None:
            path = out_dir / _crop_path(result, reading.item)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(reading.crop)


def _save_sheet(store: Store, sheet: Sheet, out_dir: Path, summary: ScanSummary) -> None:
    crops = {reading.item: _crop_path(result, reading.item).as_posix()
             for result in sheet.pages.values() for reading in result.comments
             if (out_dir / _crop_path(result, reading.item)).exists()}
    store.save_sheet(sheet, crops)
    summary.sheets += 1
    for r in sheet.results:
        if r.needs_review and r.reason is not None and r.item != "programme":
            summary.flagged[r.reason.name] += 1


def _count_programmes(store: Store, sheets: dict[str, Sheet], summary: ScanSummary) -> None:
    """This run's programmes as calibrated on the whole survey."""
    programmes = store.programme_results()
    for sheet_id in sheets:
        r = programmes[sheet_id]
        summary.programmes[r.value or "(unknown)"] += 1
        if r.needs_review and r.reason is not None:
            summary.flagged[r.reason.name] += 1
