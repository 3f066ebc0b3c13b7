"""A Dask cluster as a page executor (`scan --cluster`): workers on other machines.

Workers need no shared filesystem: each page travels with its bytes (`load.portable`),
and the template goes once to each worker, in a worker plugin that builds its readers.
Results come back as the same `PageResult` the process pool returns, and the parent
alone writes, as with any executor.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from distributed import Client, Future, KilledWorker, LocalCluster, WorkerPlugin, get_worker, wait

from scanner.errors import ClusterError, UsageError
from scanner.executors import WINDOW_PER_JOB, Pending, read_encoded
from scanner.load import PageTask, portable
from scanner.ocr import make_engine
from scanner.forms import Forms
from scanner.reader import FormsReader, PageReader, PageResult, make_reader
from scanner.results import PageStatus
from scanner.template import Template

log = logging.getLogger(__name__)

CLUSTER_WORKER_DIED = ("the cluster's workers reading this page died, three times (a crash in a library, or "
                       "killed when memory ran out)")
"""The reason of a page Dask gave up on: each worker it was sent to died while reading it
(Dask's `distributed.scheduler.allowed-failures`, 3 by default)."""

CLUSTER_CONNECT_SECONDS = 30
"""How long to wait for a cluster's scheduler to answer before saying it cannot be reached,
and to reconnect to it before the scan stops: a scheduler back within this is no loss."""


class _ReaderPlugin(WorkerPlugin):
    """Gives each Dask worker its page readers, built once from the template it brings.

    One reader a thread: a reader holds caches and an OCR engine that are not shared.
    """

    name = "scanner-page-reader"

    def __init__(self, template: Template | Forms, ocr: bool):
        self.template = template
        self.ocr = ocr
        self._local = threading.local()

    def __getstate__(self) -> dict:
        return {"template": self.template, "ocr": self.ocr}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["template"], state["ocr"])

    def reader(self) -> PageReader | FormsReader:
        """This thread's reader, made on its first page."""
        if not hasattr(self._local, "reader"):
            self._local.reader = make_reader(Forms.of(self.template), make_engine(self.ocr))
        return self._local.reader


def _read_on_cluster(task: PageTask) -> PageResult:
    return read_encoded(get_worker().plugins[_ReaderPlugin.name].reader(), task)


class _Page:
    """A page submitted: its Dask future once the batch it is in is sent (`DaskCluster.submit`);
    `DaskCluster.settle` puts its result in its place."""

    def __init__(self) -> None:
        self.future: Future | None = None

    def done(self) -> bool:
        return self.future is not None and self.future.done()


class DaskCluster:
    """Pages read by the workers of a Dask cluster, which need no shared filesystem.

    Each page travels with its bytes (`load.portable`), the template once per worker (a
    worker plugin). Dask sends the pages of a worker that is lost to another; a page whose
    workers die three times is that page's error. When the scheduler is lost the scan
    stops with a `ClusterError`: what is stored stays, and a re-run completes it.
    """

    def __init__(self, address: str, template: Template | Forms, ocr: bool):
        self._cluster = None
        if address.startswith("local:"):
            workers = _local_workers(address)
            # Processes with one thread each: the reader is CPU-bound Python and native code.
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0")
            address = self._cluster.scheduler_address
        try:
            self.client = Client(address, timeout=CLUSTER_CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}; start it "
                               "(`dask scheduler`) or correct --cluster") from None
        self.client.register_plugin(_ReaderPlugin(template, ocr), name=_ReaderPlugin.name)
        self.window = WINDOW_PER_JOB * max(1, sum(self.client.nthreads().values()))
        self.wants_bytes = True  # its workers share no filesystem with the parent
        self._unsent: list[tuple[PageTask, _Page]] = []

    def submit(self, task: PageTask) -> _Page:
        """The page, sent with the others of its batch of half the window (or when the
        oldest page is waited for): a call to Dask for each page cost the parent, the
        survey's one writer, a third more of the CPU Dask's round trip costs it."""
        page = _Page()
        self._unsent.append((portable(task), page))
        if len(self._unsent) >= max(1, self.window // 2):
            self._send()
        return page

    def _send(self) -> None:
        if not self._unsent:
            return
        futures = self.client.map(_read_on_cluster, [task for task, _ in self._unsent], pure=False)
        for (_, page), future in zip(self._unsent, futures):
            page.future = future
        self._unsent = []

    def settle(self, pending: Pending) -> None:
        """Wait for the oldest page, then take it and every other page read by then in one
        call, for the same reason."""
        self._send()
        with contextlib.suppress(Exception):  # a page lost or the scheduler gone: told by its own result, below
            wait(pending[0][1].future)
        read = [k for k, (_, page) in enumerate(pending)
                if isinstance(page, _Page) and page.future is not None and page.future.status == "finished"]
        if read and read[0] == 0:
            try:
                results = self.client.gather([pending[k][1].future for k in read])
            except Exception:  # a worker holding some was lost meanwhile: each page is taken alone, below
                pass
            else:
                for k, result in zip(read, results):
                    pending[k] = (pending[k][0], result)
                return
        self._settle_oldest(pending)

    def _settle_oldest(self, pending: Pending) -> None:
        task, future = pending[0][0], pending[0][1].future
        try:
            pending[0] = (task, future.result())
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
