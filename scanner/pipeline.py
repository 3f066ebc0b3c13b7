"""The scan pipeline: pages through an executor, sheets assembled and stored in order.

Workers compute (`PageReader.read`, in a process pool, on a Dask cluster, or in this
process: `executors`); the parent alone writes the store, the crops, the CSVs and
reports progress. Pages already read by an earlier run (same image, same
template and OCR setting) come from the store instead of the pool, which makes a re-run
cheap and lets a killed run be completed by running it again.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import hashlib
import logging
import os
import re
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import scanner
from scanner import __version__
from scanner.assemble import Assembler, PageRow, Sheet
from scanner.calibrate import calibrate_survey, colour_template, leave_uncalibrated
from scanner.errors import OutputError, TemplateError, UsageError, one_line
from scanner.executors import PageExecutor, Pending, make_executor, wants_bytes
from scanner.forms import Forms
from scanner.finder import PageFinder
from scanner.load import InputProblem, PageTask, count_pages, same_files
from scanner.ocr import make_engine
from scanner.outputs import answers, sheet_problems, write_outputs
from scanner.reader import PageResult
from scanner.results import PageStatus
from scanner.review.queue import PROGRAMME, UNKNOWN_PROGRAMME, SurveyFields, settled_among, waiting_among
from scanner.store import STORE_NAME, ReplacedFile, ScanWrites, Store, resolved
from scanner.survey import keep_template
from scanner.template import Template

log = logging.getLogger(__name__)

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
class FileSummary:
    """What a scan made of one input file."""

    pages: Counter = field(default_factory=Counter)
    sheets: int = 0
    """Questionnaires beginning in it."""
    failed: list[str] = field(default_factory=list)
    """Its lines of `ScanSummary.failed`."""


@dataclass
class ScanSummary:
    """What a scan did, for the closing report and the exit code."""

    out_dir: Path
    sheets: int = 0
    pages: Counter = field(default_factory=Counter)
    programmes: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    """What of this run's questionnaires, and of those it kept only for their decisions
    (`Store.retire_superseded`), waits for review now, by reason (a `Reason`'s name, or
    STALE: a decision whose page was scanned again since), as `scanner review` has it:
    an item a person decided waits no more."""
    reviewed: int = 0
    """Items of this run's questionnaires (and of those it kept) that a person's decision settles."""
    sheet_problems: list[str] = field(default_factory=list)
    """One line per problem of a questionnaire of this run (a page missing or repeated,
    a serial used by two questionnaires), naming it and where it starts; and of each it
    kept only for its decisions, its pages gone."""
    same_files: list[str] = field(default_factory=list)
    """One line per input name that reached a file listed already (a link to it, the
    name given twice): the file is read once, under its first name."""
    replaced_files: list[str] = field(default_factory=list)
    """One line per file read before that holds none of the pages of its questionnaires
    now (`ReplacedFile`): what they are replaced by, where their pages are kept, what to do."""
    files: dict[str, FileSummary] = field(default_factory=dict)
    """Each input file's part of the above, by its name as given."""
    survey_failed: list[str] = field(default_factory=list)
    """The lines of `failed` that are no one file's: the survey's colour calibration."""
    reused: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        """One line per file or page that could not be read, and per file none of whose
        pages is a page of the form when the batch holds none (the wrong template?); by
        file, in the order read, then the survey's (`survey_failed`)."""
        return [line for file in self.files.values() for line in file.failed] + self.survey_failed

    @property
    def ok(self) -> bool:
        return not self.failed

    def file(self, source: str) -> FileSummary:
        return self.files.setdefault(source, FileSummary())

    def fail(self, line: str, source: str | None = None) -> None:
        """A line of `failed`; of the file `source` when it is one file's (not the
        survey's colour calibration)."""
        (self.file(source).failed if source is not None else self.survey_failed).append(line)

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "sheets": self.sheets, "pages": dict(self.pages),
                "programmes": dict(self.programmes), "flagged": dict(self.flagged), "reviewed": self.reviewed,
                "failed": self.failed,
                "sheet_problems": self.sheet_problems, "same_files": self.same_files,
                "replaced_files": self.replaced_files,
                "reused_pages": self.reused, "seconds": round(self.seconds, 2)}


def reader_key(template: Template | Forms, ocr_name: str) -> str:
    """What a stored page reading depends on: reuse it only while all of this is the same."""
    text = "".join(t.model_dump_json() for t in Forms.of(template)) + ocr_name + __version__ + reading_code()
    return hashlib.sha1(text.encode()).hexdigest()[:16]


READING_MODULE = "scanner.reader"
"""Where a page is read (`PageReader`): the modules it imports, directly or not, read it too."""


@functools.cache
def reading_code() -> str:
    """A digest of the source of the code that reads a page, as this run found it: a
    checkout changed within one version (a developer's, a user's update) reads again."""
    return code_digest(Path(scanner.__file__).parent, READING_MODULE)


def code_digest(package: Path, module: str) -> str:
    """A hash of the source files of `module` and of every module of `package` it imports,
    directly or not (inside functions too): a change of any of them changes it. The
    package's own `__init__` is left out: it names every module, and holds `__version__`."""
    name = package.name
    todo, sources = [module], {}
    while todo:
        current = todo.pop()
        path = _module_file(package, current) if current not in sources else None
        if path is None:
            continue
        sources[current] = path.read_bytes()
        for imported, names, modules in IMPORTS.findall(sources[current].decode()):
            if imported.split(".")[0] == name:
                todo += [imported, *(f"{imported}.{n.split()[0]}" for n in names.strip("()").split(",") if n.strip())]
            todo += [m.split()[0] for m in modules.split(",") if m.strip().split(".")[0] == name]
    digest = hashlib.sha1()
    for current in sorted(sources):
        digest.update(f"{current}\0{len(sources[current])}\0".encode() + sources[current])
    return digest.hexdigest()[:16]


IMPORTS = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)|import[ \t]+([^\n#]*))",
                     re.MULTILINE)
"""An import statement: (module, names) of `from M import A, B`, or the modules of `import M, N`.
A regular expression, not `ast`: parsing every module cost a tenth of a second a run."""


def _module_file(package: Path, module: str) -> Path | None:
    """The source file of `module` (dotted, from the package's name) in `package`; None
    for the package itself and for a name that is no module of it (a function or class
    imported from one)."""
    parts = module.split(".")[1:]
    if not parts:
        return None
    candidates = [package.joinpath(*parts, "__init__.py"), package.joinpath(*parts[:-1], parts[-1] + ".py")]
    return next((path for path in candidates if path.is_file()), None)


def _ordered(items: Iterable[PageTask | InputProblem], submit: Callable[[PageTask], object],
             executor: PageExecutor, idle: Callable[[], None]) -> Iterator[PageResult | InputProblem]:
    """Results in input order, with at most `executor.window` pages waiting on workers;
    `idle()` before waiting on one."""
    pending: Pending = deque()

    def oldest() -> PageResult | InputProblem:
        if not _ready(pending[0][1]):
            if not pending[0][1].done():
                idle()
            executor.settle(pending)
        result = pending.popleft()[1]
        return result if _ready(result) else result.result()

    for item in items:
        pending.append((item, submit(item)) if isinstance(item, PageTask) else (None, item))
        while len(pending) > executor.window or (pending and _ready(pending[0][1])):
            yield oldest()
    while pending:
        yield oldest()


def _ready(entry: object) -> bool:
    return isinstance(entry, (PageResult, InputProblem))


def check_programme(template: Template | Forms, programme: str | None) -> str | None:
    """The template's spelling of `programme`, or a usage error listing the choices (of
    several forms: a programme of each)."""
    if programme is None:
        return None
    for other in Forms.of(template).templates[1:]:
        check_programme(other, programme)
    template = Forms.of(template).templates[0]
    names = {c.programme.lower(): c.programme for c in template.colours}
    if programme.lower() not in names:
        raise UsageError(f"--programme {programme!r} is not a programme of form {template.form}; "
                         f"choose one of: {', '.join(sorted(set(names.values())))}")
    return names[programme.lower()]


def scan(inputs: list[str | Path], template: Template | Forms, out_dir: str | Path = "scan-results", *,
         jobs: int | None = None, ocr: bool = True, programme: str | None = None,
         progress: Callable[[Progress], None] | None = None, cluster: str | None = None,
         executor: PageExecutor | None = None) -> ScanSummary:
    """Read every page of `inputs` into the survey in `out_dir` and write its CSVs.

    Pages are read by `jobs` processes of this machine, or by the workers of the Dask
    cluster at `cluster` (a scheduler's address, or `local:N` for N local workers); or by
    `executor` when given (it is left open, for the next batch: `watch` keeps one).
    With several templates (`Forms`), each page is read as a page of the form it is a
    page of, and each questionnaire is of one form.

    Raises:
        UsageError: no inputs, an unknown programme, or an out folder scanned with another
            template.
        MissingDependencyError: OCR is on and Tesseract is not installed.
        OutputError: the out folder cannot be written (disk full, read-only); what was
            stored before is kept, and a re-run completes the batch.
        ClusterError: the cluster cannot be reached, or its scheduler was lost; what was
            stored is kept, and a re-run completes the batch.
        TemplateError: the form is printed without markers and the images of its blank
            pages (`reference_pages`) are not beside the template's file.
    """
    if not inputs:
        raise UsageError("no input files given: name PDFs, images or folders to scan")
    programme = check_programme(template, programme)
    forms = Forms.of(template)
    for each in forms:
        _check_reference_pages(each)
    engine = make_engine(ocr)  # fails here, before any work, when tesseract is missing
    started = time.monotonic()
    out_dir = Path(out_dir)
    summary = ScanSummary(out_dir)
    jobs = max(1, jobs or os.cpu_count() or 1)
    key = reader_key(template, engine.name)
    total = count_pages(inputs, exclude=out_dir)
    summary.same_files = [_same_file(name, first) for name, first in same_files(inputs, exclude=out_dir)]
    try:
        store = Store(out_dir)
    except (OSError, sqlite3.Error) as exc:
        if _write_failure(exc):
            raise OutputError(_cannot_write(out_dir, exc)) from None
        raise UsageError(f"cannot keep the survey in {out_dir}: {exc}; choose another --out folder") from None
    with _writing(out_dir), store, contextlib.ExitStack() as stack, _set_aside_from_collections() as set_aside:
        keep_template(store, template)  # checked before anything is read
        register = store.sheet_register()
        assembler = Assembler(template, programme, register)
        # Pages are found in a process of their own, forked before the executor starts threads.
        with_bytes = executor.wants_bytes if executor is not None else wants_bytes(jobs, cluster)
        pages = stack.enter_context(PageFinder(inputs, exclude=out_dir, with_bytes=with_bytes))
        own = executor is None
        if executor is None:
            executor = make_executor(template, engine, ocr, jobs, cluster, pages=total)
            set_aside()  # its objects too (and its library's, imported for it)
        paths: dict[str, str] = {}

        def submit(task: PageTask) -> object:
            cached = store.cached_reading(task.content_hash, key)
            if cached is not None:
                summary.reused += 1
                return _relabel(cached, task)
            return executor.submit(task)

        writes = ScanWrites(store, key)
        crops: dict[tuple[str, int], dict[str, str]] = {}  # of the pages of sheets not yet saved
        try:
            done = 0
            # What is read is stored while the workers are awaited, else a chunk at a time.
            for result in _ordered(pages, submit, executor, writes.flush):
                if isinstance(result, InputProblem):
                    result = PageResult(result.source, result.page or 0, PageStatus.ERROR, result.reason)
                done += 1
                if result.source not in paths:
                    paths[result.source] = resolved(result.source)
                # Crops first: a reading in the store promises its crops are on disk. Then
                # the page goes on without them, so that memory stays flat in a long batch.
                page_crops = _write_crops(result, out_dir)
                if page_crops:
                    crops[result.source, result.page] = page_crops
                result = _without_crops(result)
                closed = list(assembler.add(result, paths[result.source]))
                row = assembler.rows[-1]
                writes.page(row, result)
                for sheet in closed:
                    _save_sheet(writes, sheet, crops, summary)
                _count_page(summary, row)
                if progress:
                    progress(Progress(done, max(total, done), row.source, row.page))
            for sheet in assembler.finish():
                _save_sheet(writes, sheet, crops, summary)
            summary.replaced_files = [_replaced_file(replaced) for replaced in writes.finish()]
            kept = store.retire_superseded(register)
            store.account_moved_pages(assembler.rows)
            for source, line in _wrong_template(assembler.rows, template):
                summary.fail(line, source)
            for line in _calibrate(store, forms):  # needs every sheet: after the last one is saved
                summary.fail(line)
            _count_review(store, forms, register.claimed, kept, summary)
        except BaseException:
            writes.flush_after_failure()
            raise
        finally:
            if own:
                executor.close()
        write_outputs(store, template, out_dir)
        summary.sheet_problems = _problems_of(store, register.claimed, kept)
    summary.seconds = time.monotonic() - started
    return summary


def _calibrate(store: Store, forms: Forms) -> list[str]:
    """Calibrate the survey's paper colours: on the forms' colours when they share them (one
    survey's versions on the same paper); else each sheet keeps its own reading of its colour.

    A calibration that fails for a reason of its own (a bug: a template of white and one
    colour once raised ValueError after every page was stored, and every re-run again)
    leaves each colour sheet's programme to review (`leave_uncalibrated`) and the CSVs
    are still written; the failure is logged and returned, a line for `ScanSummary.failed`.
    A failure to write the survey's folder is no calibration bug: it goes on up."""
    shared = colour_template(forms)
    if shared is None:
        log.info("the forms %s use different paper colours: no batch colour calibration", forms.label)
        return []
    try:
        calibrate_survey(store, shared)
    except (OSError, sqlite3.Error):
        raise
    except Exception as exc:  # noqa: BLE001 - whatever it is, the batch's outputs are still written
        why = f"{type(exc).__name__}: {one_line(exc)}"
        log.error("batch colour calibration of the survey in %s failed: %s", store.path.parent, why)
        log.debug("the calibration's traceback", exc_info=True)
        leave_uncalibrated(store, shared, why)
        return [f"batch colour calibration of the survey in {store.path.parent} failed ({why}): "
                "every colour questionnaire's programme is left to review"]
    return []


def _check_reference_pages(template: Template) -> None:
    """A form printed without markers is found on a page by its print, matched against
    the images of its blank pages: without them, stop before reading anything."""
    if template.registration.markers or not template.reference_pages:
        return
    missing = [name for number, name in zip(template.page_numbers, template.reference_pages)
               if template.reference_page(number) is None]
    if missing:
        raise TemplateError(f"{template.form_version}: the form is printed without markers and is found on a page "
                            f"by its print, but the images of its blank pages are not at hand ({', '.join(missing)}, "
                            "beside the template's file): pass --template with the template's file, its "
                            "reference pages beside it")


def _problems_of(store: Store, sheets: dict[str, Sheet], kept: dict[str, str]) -> list[str]:
    """The problems of this run's sheets, one line each, in the order they were scanned;
    then those of the sheets it kept for their decisions (their flag says where they began)."""
    problems = sheet_problems(store)
    return ([f"{sheet_id} ({sheet.source} page {sheet.first_page}): {flag}"
             for sheet_id, sheet in sheets.items() for flag in problems.get(sheet_id, [])]
            + [f"{sheet_id} ({source}): {flag}"
               for sheet_id, source in kept.items() for flag in problems.get(sheet_id, [])])


@contextlib.contextmanager
def _set_aside_from_collections() -> Iterator[Callable[[], None]]:
    """Leave the objects alive when the scan starts (its libraries, the template), and
    those of the executor once made (`gc.freeze` again), out of Python's full garbage
    collections until the scan ends: each went through them all, two on 1,050 pages cost
    the parent, the survey's one writer, a thirteenth of its CPU. What the scan makes is
    collected as ever; the rest is again after it. Yields what sets aside those alive then.
    Objects the caller set aside (a server before it forks) stay so, theirs to undo."""
    if gc.get_freeze_count():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


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


def _wrong_template(rows: list[PageRow], template: Template | Forms) -> list[tuple[str, str]]:
    """When no page at all is a page of the form: a line for each file of unrecognised
    pages, with the file."""
    if any(row.status is PageStatus.USED for row in rows):
        return []
    files = dict.fromkeys(row.source for row in rows if row.status is PageStatus.UNRECOGNISED)
    forms = Forms.of(template)
    what = f"form {forms.label}" if not forms.several else f"any of the forms {forms.label}"
    return [(source, f"no page of {source} is a page of {what}: wrong template?") for source in files]


def _same_file(name: str, first: str) -> str:
    """The line for an input that reached a file listed already: by another name (a link),
    or by the same one given again (on its own and in a folder, or twice)."""
    if name == first:
        return f"{name} is named twice: read once"
    return f"{name} is the same file as {first}: read once"


def _replaced_file(replaced: ReplacedFile) -> str:
    """The line for a file whose questionnaires its new pages replace. Not a failure: the
    same paper scanned again under its name is a workflow of its own, told from another
    batch saved under the name by a person only."""
    sheets = f"{replaced.sheets} questionnaire{'s' if replaced.sheets != 1 else ''}"
    pages = f"{replaced.pages} page{'s' if replaced.pages != 1 else ''}"
    return (f"{replaced.source} holds none of the pages of the {sheets} read from it before: they are "
            f"replaced by what it holds now, the {pages} it held kept apart in {STORE_NAME} "
            "(table pages_gone). Another batch saved under its name? Scan the earlier batch's file again under "
            "a name of its own, and give every batch its own name (or use scan --watch, which keeps both). "
            "The same paper scanned again? Nothing to do.")


def _relabel(cached: PageResult, task: PageTask) -> PageResult:
    """A stored reading of the same image, under the name and page it has now."""
    return replace(cached, source=task.source, page=task.page)


def _count_page(summary: ScanSummary, row: PageRow) -> None:
    summary.pages[row.status.value] += 1
    summary.file(row.source).pages[row.status.value] += 1
    if row.status is PageStatus.ERROR:
        where = row.source if not row.page else f"{row.source} page {row.page}"
        summary.fail(f"{where}: {row.reason}", row.source)


def _crop_path(result: PageResult, item: str) -> str:
    """Where a comment zone's crop is kept, in the out folder: by page image, so a re-run
    finds it again."""
    return f"crops/{result.content_hash.replace(':', '-')}/{item}.jpg"


def _write_crops(result: PageResult, out_dir: Path) -> dict[str, str]:
    """Write the page's crops; where each is (by comment zone), to store with its sheet.

    A reading from the store has none (`_without_crops`): it has those on disk that the
    run which read it wrote. Plain `os` calls: pathlib's cost thousands of crops more
    than the writes.
    """
    written = {reading.item: reading.crop for reading in result.comments if reading.crop is not None}
    if not written:
        paths = {reading.item: _crop_path(result, reading.item) for reading in result.comments}
        return {item: path for item, path in paths.items() if os.path.exists(os.path.join(out_dir, path))}
    folder = os.path.join(out_dir, os.path.dirname(_crop_path(result, "")))
    try:
        # One call where makedirs makes several: the folder of a page new to the survey,
        # under crops/, which is there after the survey's first page with writing.
        os.mkdir(folder)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        pass
    for item, crop in written.items():
        fd = os.open(os.path.join(folder, f"{item}.jpg"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(crop)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    return {item: _crop_path(result, item) for item in written}


def _without_crops(result: PageResult) -> PageResult:
    if not any(reading.crop is not None for reading in result.comments):
        return result
    return replace(result, comments=[reading if reading.crop is None else replace(reading, crop=None)
                                     for reading in result.comments])


def _save_sheet(writes: ScanWrites, sheet: Sheet, crops: dict[tuple[str, int], dict[str, str]],
                summary: ScanSummary) -> None:
    """Store a sheet with the crops of its pages (taken out of `crops`)."""
    writes.sheet(sheet, {item: path for result in sheet.pages.values()
                         for item, path in crops.pop((result.source, result.page), {}).items()})
    summary.sheets += 1
    summary.file(sheet.source).sheets += 1
    # The run keeps every sheet to tell it again (`SheetRegister.claimed`), but of a saved
    # sheet it needs only its pages' images: kept whole, a long batch's memory would grow.
    sheet.pages = {page: PageResult(r.source, r.page, r.status, content_hash=r.content_hash)
                   for page, r in sheet.pages.items()}
    sheet.results = []


def _count_review(store: Store, forms: Forms, sheets: dict[str, Sheet], kept: dict[str, str],
                  summary: ScanSummary) -> None:
    """This run's programmes as responses.csv has them, and what of its questionnaires
    waits for review now: review decisions taken into account, those on a page scanned
    again since waiting again. The sheets it `kept` for their decisions count among what
    waits: this run sent them to review."""
    for programme in answers(store, list(sheets), PROGRAMME).values():
        summary.programmes[programme or UNKNOWN_PROGRAMME] += 1
    sheet_ids = [*sheets, *kept]
    summary.flagged.update(entry.reason for entry in waiting_among(store, SurveyFields(forms), sheet_ids))
    summary.reviewed = settled_among(store, sheet_ids)
