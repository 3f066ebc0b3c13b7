"""A Dask cluster as a page executor (`scan --cluster`): workers on other machines.

Workers need no shared filesystem: each page travels with its bytes (`load.portable`),
and the template goes once to each worker, in a worker plugin that builds its readers.
Results come back as the same `PageResult` the process pool returns, and the parent
alone writes, as with any executor.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
import warnings
from dataclasses import replace

import numpy as np
from distributed import Client, Future, KilledWorker, LocalCluster, WorkerPlugin, get_worker, wait

from scanner.assemble import decide_whole_sheets
from scanner.errors import ClusterError, InputFileError, UsageError
from scanner.executors import WINDOW_PER_JOB, Pending, file_error, read_encoded
from scanner.load import PageFiles, PageTask, portable, without_bytes
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

PAGES_PER_TASK = 32
"""Pages read by one Dask task, at least: Dask's bookkeeping (a future, a task and their
messages) costs the parent, the survey's one writer, a few CPU ms for each task, and a
group shares it; its worker decides the questionnaires whole in it
(`assemble.decide_whole_sheets`). A group goes on, up to `_questionnaire_stride` pages
more (`STRIDE_MAX` at most), to the next page where a questionnaire begins in a
file of whole questionnaires (`_starts_questionnaire`), so that few are split between two groups: the parent decides
those itself. A group lost with its workers is read again a page a task, each page's JPEG
taken from its file again: the parent holds the JPEGs (0.3 to 1 MB a page) of the group
it fills until it is sent, not those in flight; other pages (a TIFF's frame, a PDF page to
render) keep their bytes in the parent until read (`load.without_bytes`)."""

STRIDE_MAX = 32
"""Pages a group may run on past `PAGES_PER_TASK` to where a questionnaire begins: forms of
4, 6 and 7 pages begin one every 168 pages (twice their least common multiple), which a
file mixing them never lands on, and every group ran on as far, its JPEGs held by the
parent and a lost one read again a page a task."""

CLUSTER_NO_WORKERS_SECONDS = 300
"""How long a scan waits on a cluster left without a worker before it stops: Dask waits for
workers without end, so a cluster whose workers all died (or never started) would hang the
scan without a word. Long enough for a cluster's workers to be restarted, or added."""

GROUPS_PER_THREAD = 2
"""Groups in flight for each worker thread: one being read, the next already there."""


class _ReaderPlugin(WorkerPlugin):
    """Gives each Dask worker its page readers, built once from the template it brings.

    One reader a thread: a reader holds caches and an OCR engine that are not shared.
    """

    name = "scanner-page-reader"

    def __init__(self, template: Template | Forms, ocr: bool):
        self.template = template
        self.forms = Forms.of(template)
        self.ocr = ocr
        self._local = threading.local()

    def __getstate__(self) -> dict:
        return {"template": self.template, "ocr": self.ocr}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["template"], state["ocr"])

    def reader(self) -> PageReader | FormsReader:
        """This thread's reader, made on its first page."""
        if not hasattr(self._local, "reader"):
            self._local.reader = make_reader(self.forms, make_engine(self.ocr))
        return self._local.reader


def _read_on_cluster(tasks: list[PageTask]) -> list[PageResult]:
    plugin = get_worker().plugins[_ReaderPlugin.name]
    reader = plugin.reader()
    # The group's whole questionnaires decided here: deciding them cost the parent, the
    # survey's one writer, more than any other of its work on a page.
    return decide_whole_sheets(plugin.forms, [read_encoded(reader, _landed(task)) for task in tasks])


def _travelling(task: PageTask) -> PageTask:
    """`task` with its bytes in an array, which Dask sends beside its message as they are
    (pickle's protocol 5, out of band): pickled as bytes, each group's JPEGs were copied
    into its message, at some 0.2 CPU ms a page of the parent's, the survey's one writer."""
    return task if task.data is None else replace(task, data=np.frombuffer(task.data, np.uint8))


def _landed(task: PageTask) -> PageTask:
    """`task` as found, its bytes `bytes` again (`_travelling`)."""
    return task if not isinstance(task.data, np.ndarray) else replace(task, data=task.data.tobytes())


class _Page:
    """A page submitted: its group's Dask future once the batch it is in is sent
    (`DaskCluster.submit`), and its place in that group; `DaskCluster.settle` puts its
    result in its place."""

    def __init__(self, task: PageTask) -> None:
        self.task = task  # for a group lost to be sent again: once sent, without a JPEG's bytes
        self.future: Future | None = None
        self.place = 0

    def done(self) -> bool:
        return self.future is not None and self.future.done()


class DaskCluster:
    """Pages read by the workers of a Dask cluster, which need no shared filesystem.

    Each page travels with its bytes (`load.portable`), the template once per worker (a
    worker plugin), a group of pages to a Dask task (`PAGES_PER_TASK`). Dask sends the
    pages of a worker that is lost to another; a group whose workers die three times is sent again a page
    a task, and a page whose workers die three times alone is that page's error. When the
    scheduler is lost the scan stops with a `ClusterError`: what is stored stays, and a
    re-run completes it.
    """

    def __init__(self, address: str, template: Template | Forms, ocr: bool):
        self._cluster = None
        if address.startswith("local:"):
            workers = _local_workers(address)
            # Processes with one thread each: the reader is CPU-bound Python and native code.
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", preload=[__name__])
            address = self._cluster.scheduler_address
        try:
            self.client = Client(address, timeout=CLUSTER_CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}; start it "
                               "(`dask scheduler`) or correct --cluster") from None
        self.client.register_plugin(_ReaderPlugin(template, ocr), name=_ReaderPlugin.name)
        self._stride = _questionnaire_stride(Forms.of(template))
        # Pages, not tasks: a group being read and the next waiting for each thread.
        threads = max(1, sum(self.client.nthreads().values()))
        self.window = max(WINDOW_PER_JOB, GROUPS_PER_THREAD * (PAGES_PER_TASK + self._stride)) * threads
        self.wants_bytes = True  # its workers share no filesystem with the parent
        self._unsent: list[_Page] = []
        self._files = PageFiles()

    def submit(self, task: PageTask) -> _Page:
        """The page, sent with the others of its group once the group is whole (or when it
        is the oldest waited for): a call to Dask for each page cost the parent, the
        survey's one writer, a third more of the CPU Dask's round trip costs it. A group a
        call, whatever the cluster's size: each call's pages go through the scheduler.
        A group is whole at `PAGES_PER_TASK` pages and the next page beginning a
        questionnaire (`_group_whole`)."""
        if self._unsent and _group_whole(len(self._unsent), task, self._unsent[-1].task, self._stride):
            self._send()
        page = _Page(portable(task))
        self._unsent.append(page)
        return page

    def _send(self, size: int | None = None) -> None:
        """Send the pages not yet sent: one group, or groups of `size` pages."""
        if not self._unsent:
            return
        size = size or len(self._unsent)
        groups = [self._unsent[k:k + size] for k in range(0, len(self._unsent), size)]
        with warnings.catch_warnings():
            # Dask warns of a call sending more than 10 MB: a group's JPEGs, which travel
            # with their pages by design (the workers share no filesystem).
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            futures = self.client.map(_read_on_cluster, [[_travelling(page.task) for page in group]
                                                         for group in groups], pure=False)
        for group, future in zip(groups, futures):
            for place, page in enumerate(group):
                # Sent, a JPEG's bytes are Dask's to keep: held here too, the parent's memory
                # grew with the cluster, 0.3 to 1 MB a page in flight, two groups a worker thread (`window`).
                page.future, page.place, page.task = future, place, without_bytes(page.task)
        self._unsent = []

    def settle(self, pending: Pending) -> None:
        """Wait for the oldest page, then take it and every other page read by then in one
        call, for the same reason. Pages not yet sent go now only when the oldest is one
        of them (a short batch, the end of one): else groups already sent keep the workers
        busy, and the next group goes whole."""
        if isinstance(pending[0][1], _Page) and pending[0][1].future is None:
            self._send()
        self._wait(pending[0][0], pending[0][1].future)
        read = list(dict.fromkeys(page.future for _, page in pending if isinstance(page, _Page)
                                  and page.future is not None and page.future.status == "finished"))
        if read and read[0] is pending[0][1].future:
            try:
                groups = self.client.gather(read)
            except Exception:  # a worker holding some was lost meanwhile: each group is taken alone, below
                pass
            else:
                self._take(pending, dict(zip(read, groups)))
                return
        self._settle_oldest(pending)

    def _wait(self, task: PageTask, future: Future) -> None:
        """Wait for a page's group, as long as the cluster has workers to read it."""
        idle_since = lost_since = None
        while True:
            try:
                with self.client.as_current():  # Dask's `wait` looks for its client there
                    wait(future, timeout=min(CLUSTER_NO_WORKERS_SECONDS, 5))
                return
            except TimeoutError:
                pass
            except Exception:  # a page lost or the scheduler gone: told by its own result
                return
            # A group sent once the scheduler was gone is never cancelled: Dask waits for it,
            # and asking a scheduler gone for its workers waits too.
            lost_since = None if self.client.status == "running" else lost_since or time.monotonic()
            if lost_since is not None:
                if time.monotonic() - lost_since >= CLUSTER_CONNECT_SECONDS:
                    raise _scheduler_lost(task, f"the client {self.client.status}")
                continue
            idle_since = None if self._has_workers() else idle_since or time.monotonic()
            if idle_since is not None and time.monotonic() - idle_since >= CLUSTER_NO_WORKERS_SECONDS:
                raise ClusterError(f"the Dask cluster at {self.client.scheduler.address} has had no workers "
                                   f"for {CLUSTER_NO_WORKERS_SECONDS} s while {task.source} page {task.page} "
                                   "waits; pages read so far are stored: start workers and scan again to "
                                   "complete the batch")

    def _has_workers(self) -> bool:
        try:
            return bool(self.client.nthreads())
        except Exception:  # the scheduler gone: each page's result says so
            return True

    @staticmethod
    def _take(pending: Pending, groups: dict[Future, list[PageResult]]) -> None:
        """Each page of `pending` whose group was read, replaced by its result."""
        for k, (task, page) in enumerate(pending):
            if isinstance(page, _Page) and page.future in groups:
                pending[k] = (task, groups[page.future][page.place])

    def _settle_oldest(self, pending: Pending) -> None:
        task, future = pending[0][0], pending[0][1].future
        try:
            self._take(pending, {future: future.result()})
        except KilledWorker:
            mates = [page for _, page in pending if isinstance(page, _Page) and page.future is future]
            if len(mates) > 1:
                # One page may have killed them all: each is sent again alone, so that
                # only a page that kills its workers by itself is lost.
                log.warning("%s page %d and the %d pages read with it: the cluster's workers reading them "
                            "died; reading each again alone", task.source, task.page, len(mates) - 1)
                self._send_alone(pending, future)
                if isinstance(pending[0][1], _Page):
                    self.settle(pending)
                return
            log.warning("%s page %d: the cluster's workers reading it died", task.source, task.page)
            pending[0] = (task, PageResult(task.source, task.page, PageStatus.ERROR, CLUSTER_WORKER_DIED,
                                           task.content_hash))
        except Exception as exc:
            if future.status == "error":
                raise  # the reader never raises for a page: this is a bug, shown as one
            # Cancelled, or the connection closed: the scheduler is gone and the run ends here.
            raise _scheduler_lost(task, type(exc).__name__) from None

    def _send_alone(self, pending: Pending, lost: Future) -> None:
        """Send each page of the group `lost` again in a task of its own, its JPEG taken
        from its file again; a page the file no longer holds as found is its error here
        (sent without its JPEG, its worker failed on it, the file's reason unsaid)."""
        waiting, self._unsent = self._unsent, []  # pages of the next group wait on for it
        for k, (task, page) in enumerate(pending):
            if isinstance(page, _Page) and page.future is lost:
                try:
                    page.task = self._files.complete(page.task)
                except InputFileError as exc:
                    pending[k] = (task, file_error(page.task, exc))
                    continue
                self._unsent.append(page)
        self._send(size=1)
        self._unsent = waiting

    def close(self) -> None:
        self.client.close()
        self._files.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()


def dask_setup(worker) -> None:
    """Run by each local worker as it starts, a restarted one too (the local cluster's
    `preload`): Ctrl+C, which a terminal sends to the whole process group, is the scan's to
    handle. A worker it ended lost its pages, and the scan waited for workers that never
    came back (`CLUSTER_NO_WORKERS_SECONDS`); the scan stops them when it ends."""
    if threading.current_thread() is threading.main_thread():  # else no signal can be set here
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _scheduler_lost(task: PageTask, why: str) -> ClusterError:
    return ClusterError(f"lost the Dask scheduler while reading {task.source} page {task.page} ({why}); pages "
                        "read so far are stored: scan again to complete the batch")


def _questionnaire_stride(forms: Forms) -> int:
    """Pages from a questionnaire's first to a later one's in a file of whole questionnaires
    in order, every form's, whether scanned with a blank back after each page or not; at
    most `STRIDE_MAX`."""
    return min(2 * math.lcm(*(len(template.page_numbers) for template in forms)), STRIDE_MAX)


def _group_whole(pages: int, task: PageTask, last: PageTask, stride: int) -> bool:
    """Whether a group of `pages` pages, `last` the last, is whole before `task` comes."""
    return pages >= PAGES_PER_TASK + stride or (pages >= PAGES_PER_TASK and _starts_questionnaire(task, last, stride))


def _starts_questionnaire(task: PageTask, last: PageTask, stride: int) -> bool:
    """Whether `task`, found after `last`, would begin a questionnaire in a file of whole
    questionnaires, `stride` pages apart: the first page of a file, or one `stride` pages
    on. A questionnaire never goes on in another file (but a numbered copy's, which the
    parent completes and decides itself)."""
    return task.source != last.source or (task.page - 1) % stride == 0


def _local_workers(address: str) -> int:
    try:
        workers = int(address.removeprefix("local:"))
    except ValueError:
        workers = 0
    if workers < 1:
        raise UsageError(f"--cluster {address}: say how many local workers, as local:4")
    return workers
