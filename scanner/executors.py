"""Executors: where pages are read, behind one small interface the pipeline drives.

Three implementations: in this process (`--jobs 1`, and tests), a process pool on this
machine, and a Dask cluster (`--cluster`). Each reads a page with the same
`PageReader.read` and returns the same `PageResult`; the parent alone writes, whichever
runs. The pipeline submits pages, keeps at most `window` of them waiting, and calls
`settle` before it takes the oldest result: that is where an executor recovers pages
lost with a worker. A pool's workers take each page's JPEG from its file themselves
(`wants_bytes` False): the parent, the survey's one writer, sends them only its name.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any, Protocol

from scanner.errors import InputFileError, MissingDependencyError
from scanner.load import PageFiles, PageTask
from scanner.ocr import OcrEngine, make_engine
from scanner.forms import Forms
from scanner.reader import FormsReader, PageReader, PageResult, make_reader
from scanner.results import PageStatus
from scanner.store import encode_reading
from scanner.template import Template

log = logging.getLogger(__name__)

WINDOW_PER_JOB = 4
"""Pages in flight per worker: enough to keep workers busy, few enough that a
1,000-page PDF is streamed rather than held in memory."""

PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal the kernel sends this process when its parent dies."""

FORKED = sys.platform == "linux"
"""Whether a pool's workers are forked (see `ProcessPool._new_executor`), and so inherit
the parent's prepared reader rather than have it pickled to them."""

PARENT_POLL_SECONDS = 0.5
"""Where the kernel cannot end a worker with its parent, how often a worker checks."""

WORKER_DIED = ("the process reading this page died, twice (a crash in a library, or killed when memory "
               "ran out)")
"""The reason of a page whose worker died again when the page was read alone."""

Pending = deque[tuple[Any, Any]]
"""The pages in flight, oldest first: (task, a handle with `.result()`, or the result itself)."""


class PageExecutor(Protocol):
    """Reads pages somewhere; the pipeline knows no more of it than this."""

    window: int
    """At most this many pages wait on the executor: a long batch streams."""

    wants_bytes: bool
    """Whether pages come to it with their JPEG's bytes (`PageTask.data`), as found;
    else it takes them from the files (`load.PageFiles`)."""

    def submit(self, task: PageTask) -> Any:
        """Start reading `task`: a handle whose `.result()` is its `PageResult` (and `.done()`
        whether it is read), or that result."""

    def settle(self, pending: Pending) -> None:
        """Wait until the oldest page of `pending` is read; replace pages lost with a worker
        by their reading (or their error). It may replace any page read by then by its result."""

    def close(self) -> None:
        """Stop the workers; pages still in flight are dropped."""


class InProcess:
    """Reads each page here and now: `--jobs 1` and tests."""

    def __init__(self, template: Template | Forms, engine: OcrEngine):
        self._reader = make_reader(Forms.of(template), engine)
        self.window = 1
        self.wants_bytes = True  # taken by the finder, on a core of its own: here they would cost the reading

    def submit(self, task: PageTask) -> PageResult:
        return self._reader.read(task)

    def settle(self, pending: Pending) -> None:
        """Pages read in this process are never lost to a worker."""

    def close(self) -> None:
        """Nothing to stop."""


_worker: PageReader | FormsReader | None = None  # one per worker process, set by its initializer
_files: PageFiles | None = None  # the same


def _init_worker(template: Template | Forms, ocr: bool, parent: int,
                 prepared: PageReader | FormsReader | None) -> None:
    global _worker, _files
    _die_with(parent)
    _worker = prepared if prepared is not None else make_reader(Forms.of(template), make_engine(ocr))
    _files = PageFiles()


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
    assert _worker is not None and _files is not None
    try:
        task = _files.complete(task)  # the page's JPEG from its file
    except InputFileError as exc:
        return file_error(task, exc)
    return read_encoded(_worker, task)


def file_error(task: PageTask, exc: InputFileError) -> PageResult:
    """The reading of a page whose JPEG its file no longer holds as it was found (`exc`):
    that page's error, never another page read in its place."""
    error = PageResult(task.source, task.page, PageStatus.ERROR, exc.reason, task.content_hash)
    return replace(error, encoded=encode_reading(error))


def read_encoded(reader: PageReader | FormsReader, task: PageTask) -> PageResult:
    """The page's reading, encoded for the store here, in the worker: the parent, the
    survey's one writer, has every page of the run to store."""
    result = reader.read(task)
    return replace(result, encoded=encode_reading(result))


class ProcessPool:
    """The process pool, replaced when it breaks.

    A worker that dies (a crash in native code, the out-of-memory killer) breaks the
    pool and loses every page in flight. Each of those pages is read again alone in a
    fresh pool; a page whose worker dies again alone is that page's error.
    """

    def __init__(self, jobs: int, template: Template | Forms, ocr: bool,
                 prepared: PageReader | FormsReader | None = None):
        """`prepared`: a reader whose caches are filled (`PageReader.prepare`), which each
        worker forked inherits, sharing its memory; without it each worker makes its own."""
        self._args = (jobs, template, ocr, prepared)
        self.window = WINDOW_PER_JOB * jobs
        self.wants_bytes = False
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        jobs, template, ocr, prepared = self._args
        # Forked, so that each worker is this process's child (`_die_with` relies on it):
        # Python 3.14 makes a fork server, not this process, their parent by default.
        context = multiprocessing.get_context("fork") if FORKED else None
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(template, ocr, os.getpid(), prepared if FORKED else None))

    def submit(self, task: PageTask) -> Future:
        try:
            return self.executor.submit(_read_in_worker, task)
        except BrokenProcessPool as exc:  # the pool broke between two looks at it: lost, like those in flight
            lost: Future = Future()
            lost.set_exception(exc)
            return lost

    def settle(self, pending: Pending) -> None:
        try:
            pending[0][1].result()
        except BrokenProcessPool:
            self._rescue(pending)

    def _rescue(self, pending: Pending) -> None:
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
            return self.executor.submit(_read_in_worker, task).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False)
            self.executor = self._new_executor()
            return PageResult(task.source, task.page, PageStatus.ERROR, WORKER_DIED, task.content_hash)

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def make_executor(template: Template | Forms, engine: OcrEngine, ocr: bool, jobs: int,
                  cluster: str | None = None, pages: int | None = None) -> PageExecutor:
    """The executor for a scan: the cluster when one is named, else a pool for more than one job.

    A pool's workers inherit one reader prepared here (`_prepared`) when the batch has
    `pages` enough for each worker to read every page of the forms (or is not counted:
    `watch` keeps its pool for every batch to come)."""
    if cluster:
        try:
            from scanner.cluster import DaskCluster
        except ImportError:
            raise MissingDependencyError("--cluster needs Dask: pip install 'scanner[cluster]'") from None
        return DaskCluster(cluster, template, ocr)
    if jobs > 1:
        forms = Forms.of(template)
        worth = pages is None or pages >= jobs * sum(len(t.page_numbers) for t in forms)
        return ProcessPool(jobs, template, ocr, _prepared(forms, engine) if FORKED and worth else None)
    return InProcess(template, engine)


def wants_bytes(jobs: int, cluster: str | None) -> bool:
    """Whether the executor `make_executor` makes for `jobs` and `cluster` takes pages with
    their bytes (`PageExecutor.wants_bytes`), told before it is made: the pages' finder is
    forked first (`finder.PageFinder`). A pool does not."""
    return bool(cluster) or jobs <= 1


def _prepared(forms: Forms, engine: OcrEngine) -> PageReader | FormsReader:
    """A reader with its caches filled and its OCR model loaded, for a pool's workers to
    inherit when they fork: each worker paid some 1.2 CPU s to fill its own on its first
    pages (0.2 more with OCR on), so that a second job cost more than it saved on a
    short batch. The parent never reads with it: every worker forked, a replacement too,
    starts from the same reader."""
    reader = make_reader(forms, engine)
    reader.prepare()
    return reader
