"""Executors: where pages are read, behind one small interface the pipeline drives.

Three implementations: in this process (`--jobs 1`, and tests), a process pool on this
machine, and a Dask cluster (`--cluster`). Each reads a page with the same
`PageReader.read` and returns the same `PageResult`; the parent alone writes, whichever
runs. The pipeline submits pages, keeps at most `window` of them waiting, and calls
`settle` before it takes the oldest result: that is where an executor recovers pages
lost with a worker.
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
from typing import Any, Protocol

from scanner.errors import ClusterError, MissingDependencyError, UsageError
from scanner.load import PageTask, portable
from scanner.ocr import OcrEngine, make_engine
from scanner.reader import PageReader, PageResult
from scanner.results import PageStatus
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

CLUSTER_WORKER_DIED = ("the cluster's workers reading this page died, three times (a crash in a library, or "
                       "killed when memory ran out)")
"""The reason of a page Dask gave up on: each worker it was sent to died while reading it."""

CLUSTER_CONNECT_SECONDS = 30
"""How long to wait for a cluster's scheduler to answer before saying it cannot be reached."""

Pending = deque[tuple[Any, Any]]
"""The pages in flight, oldest first: (task, a handle with `.result()`, or the result itself)."""


class PageExecutor(Protocol):
    """Reads pages somewhere; the pipeline knows no more of it than this."""

    window: int
    """At most this many pages wait on the executor: a long batch streams."""

    def submit(self, task: PageTask) -> Any:
        """Start reading `task`: a handle whose `.result()` is its `PageResult`, or that result."""

    def settle(self, pending: Pending) -> None:
        """Wait until the oldest page of `pending` is read; replace pages lost with a worker
        by their reading (or their error)."""

    def close(self) -> None:
        """Stop the workers; pages still in flight are dropped."""


class InProcess:
    """Reads each page here and now: `--jobs 1` and tests."""

    def __init__(self, template: Template, engine: OcrEngine):
        self._reader = PageReader(template, engine)
        self.window = 1

    def submit(self, task: PageTask) -> PageResult:
        return self._reader.read(task)

    def settle(self, pending: Pending) -> None:
        """Pages read in this process are never lost to a worker."""

    def close(self) -> None:
        """Nothing to stop."""


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


class ProcessPool:
    """The process pool, replaced when it breaks.

    A worker that dies (a crash in native code, the out-of-memory killer) breaks the
    pool and loses every page in flight. Each of those pages is read again alone in a
    fresh pool; a page whose worker dies again alone is that page's error.
    """

    def __init__(self, jobs: int, template: Template, ocr: bool):
        self._args = (jobs, template, ocr)
        self.window = WINDOW_PER_JOB * jobs
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        jobs, template, ocr = self._args
        # Forked, so that each worker is this process's child (`_die_with` relies on it):
        # Python 3.14 makes a fork server, not this process, their parent by default.
        context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(template, ocr, os.getpid()))

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


class _ReaderPlugin:
    """Gives each Dask worker its page readers, built once from the template it brings.

    One reader a thread: a reader holds caches and an OCR engine that are not shared.
    """

    name = "scanner-page-reader"

    def __init__(self, template: Template, ocr: bool):
        self.template = template
        self.ocr = ocr
        self._local = threading.local()

    def __getstate__(self) -> dict:
        return {"template": self.template, "ocr": self.ocr}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["template"], state["ocr"])

    def setup(self, worker: Any) -> None:
        """Check the OCR engine on arrival, so that a worker without Tesseract says so at once."""
        make_engine(self.ocr)

    def teardown(self, worker: Any) -> None:
        """Readers go with the worker."""

    def reader(self) -> PageReader:
        if not hasattr(self._local, "reader"):
            self._local.reader = PageReader(self.template, make_engine(self.ocr))
        return self._local.reader


def _read_on_cluster(task: PageTask) -> PageResult:
    from distributed import get_worker

    return get_worker().plugins[_ReaderPlugin.name].reader().read(task)


class DaskCluster:
    """Pages read by the workers of a Dask cluster, which need no shared filesystem.

    Each page travels with its bytes (`load.portable`), the template once per worker (a
    worker plugin). Dask sends the pages of a worker that is lost to another; a page whose
    workers die three times is that page's error. When the scheduler is lost the scan
    stops with a `ClusterError`: what is stored stays, and a re-run completes it.
    """

    def __init__(self, address: str, template: Template, ocr: bool):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise MissingDependencyError("--cluster needs Dask: pip install 'scanner[cluster]'") from None
        self._cluster = None
        if address.startswith("local:"):
            workers = _local_workers(address)
            # Processes with one thread each: the reader is CPU-bound Python and native code.
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            address = self._cluster.scheduler_address
        try:
            self.client = Client(address, timeout=CLUSTER_CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}; start it "
                               "(`dask scheduler`) or correct --cluster") from None
        self.client.register_plugin(_ReaderPlugin(template, ocr), name=_ReaderPlugin.name)
        self.window = WINDOW_PER_JOB * max(1, sum(self.client.nthreads().values()))

    def submit(self, task: PageTask) -> Any:
        return self.client.submit(_read_on_cluster, portable(task), pure=False)

    def settle(self, pending: Pending) -> None:
        from distributed import KilledWorker

        task, future = pending[0]
        try:
            future.result()
        except KilledWorker:
            log.warning("%s page %d: the cluster's workers reading it died", task.source, task.page)
            pending[0] = (task, PageResult(task.source, task.page, PageStatus.ERROR, CLUSTER_WORKER_DIED,
                                           task.content_hash))
        except Exception as exc:
            if future.status == "error":
                raise  # the reader never raises for a page: this is a bug, shown as one
            # Cancelled, or the connection closed: the scheduler is gone and the run ends here.
            raise ClusterError(f"lost the Dask scheduler while reading {task.source} page {task.page} "
                               f"({type(exc).__name__}); pages read so far are stored: scan again to "
                               "complete the batch") from None

    def close(self) -> None:
        self.client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()


def _local_workers(address: str) -> int:
    try:
        workers = int(address.removeprefix("local:"))
    except ValueError:
        workers = 0
    if workers < 1:
        raise UsageError(f"--cluster {address}: say how many local workers, as local:4")
    return workers


def make_executor(template: Template, engine: OcrEngine, ocr: bool, jobs: int,
                  cluster: str | None = None) -> PageExecutor:
    """The executor for a scan: the cluster when one is named, else a pool for more than one job."""
    if cluster:
        return DaskCluster(cluster, template, ocr)
    if jobs > 1:
        return ProcessPool(jobs, template, ocr)
    return InProcess(template, engine)
