"""Finding pages in a process of its own, while the parent stores those found before.

Finding a page (`load.enumerate_pages`: PDFium loading it, the SHA-1 of its image) costs
the parent, the survey's one writer, about as much as storing it. A thread cannot take
it off: PDFium is not thread-safe, and pypdfium2's finalizers may run on any thread (a
drawn page was once hashed differently that way). A forked process can: every PDFium
object of the search is made and dropped there, on its one thread, and each page found
comes over a pipe, in order, while the parent works: with its JPEG's bytes for workers
that share no filesystem (a cluster's), without them for a process pool's, which take
them from the file (`load.PageFiles`) rather than through two pipes and the parent.
The bytes go through memory the two processes share (`Shared`), not the pipe: pickled
through it they cost the parent three copies of each JPEG and the pipe's calls.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import mmap
import multiprocessing
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

from scanner.load import InputProblem, PageTask, enumerate_pages, without_bytes

log = logging.getLogger(__name__)

AHEAD = 16
"""Pages the finder keeps found and waiting for the parent: enough to cover the time the
parent spends on a sheet, few enough that memory stays flat (a JPEG page is 0.3 to 1 MB)."""

SHARED_BYTES = 32 << 20
"""Memory the finder and the parent share for the JPEGs of the pages of one answer (at most
`AHEAD`, of 0.3 to 1 MB each): only what is written is ever resident. A page that does not
fit goes through the pipe, as before."""

FOUND_ALL = None
"""What the finder sends when every page is found."""

PROCESS_NAME = b"scanner-finder"
"""The finder's name as `ps` and `top` show it (/proc/PID/comm), told from the workers'
(they share the scan's command line)."""

PR_SET_NAME, PR_GET_NAME = 15, 16
"""Linux's prctl options that name the calling thread, and tell its name."""


class FinderFailed(RuntimeError):
    """The search raised what `enumerate_pages` does not turn into a page's problem: a bug,
    shown with the finder's own traceback."""


class PageFinder:
    """`enumerate_pages(paths, exclude)`, the same items in the same order (`without_bytes`
    unless `with_bytes`), found by a process forked when this is made (make it before
    starting threads: the fork copies their locks, held or not); found here on a platform
    without fork, or in a daemonic process, which may have no children.

    Should the process die (killed, out of memory), the pages it had not sent are found
    here: none is lost or found twice. `close` (or leaving its `with`) stops the process.
    """

    def __init__(self, paths: Iterable[str | Path], exclude: Path | None = None, with_bytes: bool = True):
        self.paths, self.exclude, self.with_bytes = list(paths), exclude, with_bytes
        self._finder, self._shared = None, None
        if sys.platform == "linux" and not multiprocessing.current_process().daemon:
            context = multiprocessing.get_context("fork")
            self._pipe, theirs = context.Pipe()
            if with_bytes:
                self._shared = Shared()
            self._finder = context.Process(target=_find, args=(theirs, self._pipe, self._pages, self._shared),
                                           name="scanner-finder", daemon=True)
            with _thread_named(PROCESS_NAME):  # the finder is born with its name, never taken for a worker
                self._finder.start()
            theirs.close()  # their end lives in the finder alone: its death is our end of file

    @property
    def pid(self) -> int | None:
        """The finding process's id; None when pages are found here."""
        return None if self._finder is None else self._finder.pid

    def __iter__(self) -> Iterator[PageTask | InputProblem]:
        if self._finder is None:
            yield from self._pages()
            return
        taken = 0
        while True:
            try:
                self._pipe.send_bytes(b"")
                found = self._pipe.recv()
            except (EOFError, OSError):
                self._finder.join()
                log.warning("the process finding pages ended (exit code %s) after %d pages; the rest are found "
                            "here", self._finder.exitcode, taken)
                yield from itertools.islice(self._pages(), taken, None)
                return
            if found is FOUND_ALL:
                return
            if isinstance(found, str):
                raise FinderFailed(f"finding the pages failed:\n{found}")
            if self._shared is not None:
                # Taken out before the next request: the finder writes the next answer over them.
                found = self._shared.take(found)
            taken += len(found)
            yield from found

    def _pages(self) -> Iterator[PageTask | InputProblem]:
        pages = enumerate_pages(self.paths, self.exclude)
        return pages if self.with_bytes else map(without_bytes, pages)

    def close(self) -> None:
        """Stop the process, found all or not."""
        if self._finder is None:
            return
        self._pipe.close()
        if self._shared is not None:
            self._shared.close()
        # Ended by our end of file, unless workers forked since hold our end too (a pool
        # kept for the next batch), or it is still finding pages nobody will take: it
        # holds nothing to save, so it is killed then.
        self._finder.join(timeout=0.2)
        if self._finder.is_alive():
            self._finder.kill()
            self._finder.join()

    def __enter__(self) -> PageFinder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Shared:
    """Memory shared with the finder (made before it is forked), into which it puts the
    JPEGs of the pages it answers with (`put`), and out of which the parent takes them (`take`)
    before it asks for more pages, which the finder then writes over."""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, SHARED_BYTES)  # anonymous, shared with a process forked

    def put(self, found: Iterable[PageTask | InputProblem]) -> list:
        """`found` as sent: a page whose bytes are put here as (the page without them,
        where they start, their length); any other page as it is."""
        sent, at = [], 0
        for page in found:
            data = page.data if isinstance(page, PageTask) else None
            if data is None or at + len(data) > SHARED_BYTES:
                sent.append(page)
                continue
            self._memory[at:at + len(data)] = data
            sent.append((replace(page, data=None), at, len(data)))
            at += len(data)
        return sent

    def take(self, sent: list) -> list[PageTask | InputProblem]:
        """The pages `put` sent, their bytes copied out of the memory shared."""
        return [replace(page[0], data=self._memory[page[1]:page[1] + page[2]]) if isinstance(page, tuple) else page
                for page in sent]

    def close(self) -> None:
        self._memory.close()


def _find(parent: Connection, parents_end: Connection, find: Callable[[], Iterator[PageTask | InputProblem]],
          shared: Shared | None) -> None:
    """The finder's loop: find pages ahead, and on each request send those found (at least
    one, unless none is left), their bytes through `shared` when given, then FOUND_ALL;
    end when the parent closes its end, or dies."""
    parents_end.close()  # forked with it: kept open here, the parent's death would be no end of file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle: it stops us
    pages = find()
    found: deque[PageTask | InputProblem] = deque()
    more = True
    try:
        while True:
            if more and len(found) < AHEAD and not parent.poll():
                more = _find_one(pages, found)
                continue
            parent.recv_bytes()
            while more and not found:
                more = _find_one(pages, found)
            if not found:
                parent.send(FOUND_ALL)
            else:
                parent.send(shared.put(found) if shared is not None else list(found))
            found.clear()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent closed its end, or died
    except Exception:
        parent.send(traceback.format_exc())


@contextlib.contextmanager
def _thread_named(name: bytes) -> Iterator[None]:
    """This thread named `name` (/proc/PID/comm) meanwhile: a process forked then has it from birth."""
    libc = ctypes.CDLL(None)
    before = ctypes.create_string_buffer(16)
    libc.prctl(PR_GET_NAME, before, 0, 0, 0)
    libc.prctl(PR_SET_NAME, name, 0, 0, 0)
    try:
        yield
    finally:
        libc.prctl(PR_SET_NAME, before, 0, 0, 0)


def _find_one(pages: Iterator[PageTask | InputProblem], found: deque) -> bool:
    """Find the next page into `found`; False when there is none left."""
    page = next(pages, None)
    if page is None:
        return False
    found.append(page)
    return True
