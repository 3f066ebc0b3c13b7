"""A watched folder: files that scanner stations drop into an inbox are scanned as they come.

A file is read once it is complete: its `.done` marker is there (`batch.pdf.done` beside
`batch.pdf`), or its size and time have not changed for `stable_seconds` and no process
has it open for writing. Ready files go through the same `pipeline.scan`, one batch at a
time, with one executor kept for the whole watch. The store says which files were read,
by their pages' content, not their names: a restarted watch reads the files that came
while it was stopped and none twice, and a new file under the name of one read is read.
Events come from watchdog (inotify on Linux); `poll` makes it look every so many seconds
instead, for network shares whose changes raise no events.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import MissingDependencyError, UsageError
from scanner.executors import make_executor
from scanner.load import NOT_INPUTS, PageTask, enumerate_pages, expand_inputs
from scanner.ocr import make_engine
from scanner.pipeline import FileSummary, ScanSummary, check_programme, scan
from scanner.store import STORE_NAME, Store, resolved
from scanner.template import Template

log = logging.getLogger(__name__)

DONE_SUFFIX = ".done"
"""A station that can say when a file is complete writes FILE.done after FILE."""

STABLE_SECONDS = 5.0
"""A file with no marker is complete when unchanged this long and open for writing by
no process: long enough for a scanner writing page by page over a network."""

TICK_SECONDS = 0.5
"""How often the watch looks again at the files waiting to be complete."""


@dataclass
class WatchProgress:
    """After each batch: what was read, and what waits."""

    files: int
    """Files read since the watch began (a file read again counts once)."""
    waiting: int
    """Files seen but not yet complete."""
    batch: ScanSummary


@dataclass
class WatchSummary:
    """What a watch did, from start to stop. Its figures are the survey's when it stops, of
    the files it read, as pages.csv has them: a file read again (read half-written, then
    whole) counts as read last, a file renamed in the inbox and read again has its pages
    at one place (`moved` at the other), and a questionnaire counts once."""

    read: dict[str, FileSummary] = field(default_factory=dict)
    """Each file read, by name, as last read: its failures."""
    replaced: dict[str, FileSummary] = field(default_factory=dict)
    """Files read whose name a new file took since (a station writing `scan.pdf` again),
    by the key their pages are kept under (`Store.set_aside`): their pages stay in the
    survey beside the new file's."""
    survey_failed: list[str] = field(default_factory=list)
    """The last batch's `ScanSummary.survey_failed`: the survey's colour calibration is done
    again with each batch."""
    pages: dict[str, int] = field(default_factory=dict)
    """The pages of the files read, by status (`count`)."""
    sheets: int = 0
    """The questionnaires those pages hold (`count`)."""

    @property
    def files(self) -> int:
        return len(self.read) + len(self.replaced)

    @property
    def failed(self) -> list[str]:
        files = [*self.replaced.values(), *self.read.values()]
        return [line for file in files for line in file.failed] + self.survey_failed

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, batch: ScanSummary, names: list[str], new: dict[str, str]) -> None:
        """The batch that read the files `names`; those of `new` are new files under the
        name of a file read before, whose pages are kept under the key given."""
        for name, key in new.items():
            if name in self.read:
                self.replaced[key] = self.read.pop(name)
        self.read.update({name: batch.files.get(name, FileSummary()) for name in names})
        self.survey_failed = batch.survey_failed

    def count(self, store: Store) -> None:
        """Take the figures of the files read from the survey, as it is now."""
        pages, self.sheets = store.file_figures([*map(resolved, self.read), *self.replaced])
        self.pages = dict(pages)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float
    """When the size and time were last seen to change."""


def watch(inbox: str | Path, template: Template, out_dir: str | Path = "scan-results", *,
          jobs: int | None = None, ocr: bool = True, programme: str | None = None, cluster: str | None = None,
          poll: float | None = None, stable_seconds: float = STABLE_SECONDS,
          progress: Callable[[WatchProgress], None] | None = None,
          stop: threading.Event | None = None) -> WatchSummary:
    """Scan the files dropped into `inbox` (or its subfolders) into `out_dir` until `stop` is
    set or Ctrl+C; the files already there and not yet read come first.

    Raises:
        UsageError: the inbox is no folder, or the out folder is inside it; as `scan`.
        MissingDependencyError: watchdog (or, for a cluster, Dask) is not installed.
        OutputError, ClusterError: as `scan`; what was stored is kept, a re-run goes on.
    """
    inbox, out_dir = Path(inbox), Path(out_dir)
    if not inbox.is_dir():
        raise UsageError(f"--watch {inbox}: no such folder")
    if Path(resolved(str(out_dir))).is_relative_to(resolved(str(inbox))):
        raise UsageError(f"--out {out_dir} is inside the watched folder {inbox}: choose an --out outside it")
    observer, events = _observe(inbox, poll)
    programme = check_programme(template, programme)
    engine = make_engine(ocr)
    executor = make_executor(template, engine, ocr, max(1, jobs or os.cpu_count() or 1), cluster)
    summary = WatchSummary()
    waiting: dict[Path, _Seen] = {}
    read: dict[Path, tuple[int, ...]] = {}
    """The files found read whole, with their `_status` then: unchanged, they are not looked at again."""
    for _, path in expand_inputs([inbox]):
        if path != inbox:  # an inbox holding no file comes back itself, for a scan to report: nothing to wait for
            _wait_for(path, waiting)
    log.info("watching %s: %d files to look at", inbox, len(waiting))
    stop = stop if stop is not None else threading.Event()
    try:
        with _ctrl_c_sets(stop):
            while not stop.is_set():
                _drain(events, waiting)
                ready, new = _unread(_ready(waiting, read, stable_seconds), out_dir, read)
                if ready:
                    names = [str(p) for p in ready]
                    batch = scan(names, template, out_dir, ocr=ocr, programme=programme, executor=executor)
                    read |= ready
                    summary.add(batch, names, {str(path): key for path, key in new.items()})
                    if progress:
                        progress(WatchProgress(summary.files, len(waiting), batch))
                else:
                    stop.wait(TICK_SECONDS)
    except KeyboardInterrupt:
        pass  # a second Ctrl+C: the batch in hand is cut; what it stored is kept
    finally:
        observer.stop()
        executor.close()
        observer.join()
    if (out_dir / STORE_NAME).exists():
        with Store(out_dir) as store:
            summary.count(store)
    log.info("stopped: %d files read; a new watch goes on from here", summary.files)
    return summary


@contextlib.contextmanager
def _ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C ends the watch once the batch in hand is read, so that the closing count
    is the files stored; a second Ctrl+C cuts the batch (the store keeps what it has)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_ctrl_c(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _observe(inbox: Path, poll: float | None):
    """Start watching `inbox`; the events' paths arrive on the queue."""
    try:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver
    except ImportError:
        raise MissingDependencyError("--watch needs watchdog: pip install 'scanner[cluster]'") from None
    events: queue.SimpleQueue[Path] = queue.SimpleQueue()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if not event.is_directory:
                events.put(Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path)))

    observer = PollingObserver(timeout=poll) if poll else Observer()
    observer.schedule(Handler(), str(inbox), recursive=True)
    observer.start()
    return observer, events


def _unread(files: list[Path], out_dir: Path,
            read: dict[Path, tuple[int, ...]]) -> tuple[dict[Path, tuple[int, ...]], dict[Path, str]]:
    """Of the complete `files`, those the survey has not read whole as they are now, in
    order, with their `_status`, and which of them are new files under the name of one
    read (with the key the pages read under the name are kept under now); those it has
    read go into `read`.

    A file is known by its pages' content as the store keeps it, not by its name: a
    station may move a file away and later write another under its name, whose pages are
    new pages. The pages stored under the name are set aside first (`Store.set_aside`),
    kept with their questionnaires. A file with only some of its pages stored (a watch
    stopped in its batch) is read again, its stored pages coming from the store.
    """
    unread, new = {}, {}
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(Store(out_dir)) if files and (out_dir / STORE_NAME).exists() else None
        for path in files:
            try:
                status = _status(path.stat())
            except OSError:  # gone meanwhile
                continue
            stored = store.file_pages(resolved(str(path))) if store else {}
            if stored:  # the name was read: is it the same file?
                now = _page_hashes(path)
                if stored == now:
                    read[path] = status
                    continue
                # Pages that could not be read hold no questionnaire: the new file's pages replace them.
                if any(content and now.get(page) != content for page, content in stored.items()):
                    new[path] = store.set_aside(resolved(str(path)))
            unread[path] = status
    return unread, new


def _status(stat: os.stat_result) -> tuple[int, ...]:
    """What changes whenever a file is written or replaced (`stat` its status): the change
    of status time (ctime) is the system's to set, never a copying tool's, as the
    modification time is."""
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def _page_hashes(path: Path) -> dict[int, str]:
    """Each page of the file at `path` by number, as the store keeps its row: its content
    hash, or none for a page, or a whole file (page 0), that cannot be read."""
    return {page.page or 0: page.content_hash if isinstance(page, PageTask) else ""
            for page in enumerate_pages([path])}


def _drain(events: queue.SimpleQueue, waiting: dict[Path, _Seen]) -> None:
    while True:
        try:
            path = events.get_nowait()
        except queue.Empty:
            return
        _wait_for(path, waiting)


def _wait_for(path: Path, waiting: dict[Path, _Seen]) -> None:
    """Look at `path` (or at the file a marker stands for) until it is complete."""
    if path.name.endswith(DONE_SUFFIX):
        path = path.with_name(path.name.removesuffix(DONE_SUFFIX))
    if not path.name.startswith(".") and path.name.lower() not in NOT_INPUTS:
        waiting.setdefault(path, _Seen(-1, -1, time.monotonic()))


def _ready(waiting: dict[Path, _Seen], read: dict[Path, tuple[int, ...]], stable_seconds: float) -> list[Path]:
    """The waiting files now complete, in name order; they leave `waiting`, as do files gone
    and files `read` unchanged since (a file the watch reads is seen again: reading it is an event)."""
    now = time.monotonic()
    ready = []
    for path, seen in list(waiting.items()):
        try:
            stat = path.stat()
        except OSError:  # gone (moved away, or a temporary name renamed)
            del waiting[path]
            continue
        if read.get(path) == _status(stat):
            del waiting[path]
        elif path.with_name(path.name + DONE_SUFFIX).exists():
            ready.append(path)
        elif (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime_ns):
            waiting[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
        elif now - seen.since >= stable_seconds and not _open_for_writing(path):
            ready.append(path)
    for path in ready:
        del waiting[path]
    return sorted(ready)


def _open_for_writing(path: Path) -> bool:
    """Whether a process of this machine has `path` open for writing (Linux's /proc; False
    elsewhere, where an unchanged size is the only sign, or a `.done` marker)."""
    target = os.path.realpath(path)
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            descriptors = list(fd_dir.iterdir())
        except OSError:  # a process ended, or is not ours to look at
            continue
        if any(_writes(fd, target) for fd in descriptors):
            return True
    return False


def _writes(fd: Path, target: str) -> bool:
    """Whether descriptor `fd` (of /proc/PID/fd) is `target` open for writing. One closed since
    its process's descriptors were listed is not, and says nothing of the others."""
    try:
        if os.readlink(fd) != target:
            return False
        flags = next(line for line in (fd.parent.parent / "fdinfo" / fd.name).read_text().splitlines()
                     if line.startswith("flags:"))
    except OSError:
        return False
    return bool(int(flags.split()[1], 8) & (os.O_WRONLY | os.O_RDWR))
