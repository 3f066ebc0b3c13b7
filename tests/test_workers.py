"""Worker processes: a page that fails, a worker that dies, a parent that dies.

Any failure while reading one page is that page's `error` row with the reason, and the
batch goes on; workers never outlive the scan that started them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from scanner import executors
from scanner.executors import WORKER_DIED, InProcess, make_executor, read_encoded
from scanner.finder import PROCESS_NAME, PageFinder
from scanner.load import PageTask, enumerate_pages
from scanner.ocr import make_engine
from scanner.pipeline import scan
from scanner.results import PageStatus
from scans import jpeg_pdf

SCAN = Path(sys.executable).parent / "scan"
installed = pytest.mark.skipif(not SCAN.exists(), reason="the package is not installed in this Python")
linux = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def workers_of(pid: int) -> set[int]:
    """The live worker processes of `pid`: its children forked from it (the same command
    line), from /proc, but the one finding its pages (`finder_of`).

    Other children (a browser other tests started, Tesseract) are not workers.
    """
    return {c for c in _forked(pid) if _name(c) != PROCESS_NAME}


def finder_of(pid: int) -> set[int]:
    """The live process finding the pages of the scan `pid` (none once they are all taken)."""
    return {c for c in _forked(pid) if _name(c) == PROCESS_NAME}


def _forked(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with_children = task / "children"
        if with_children.exists():
            found |= {int(c) for c in with_children.read_text().split()}
    return {c for c in found if alive(c) and _command(c) == _command(pid)}


def _name(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/comm").read_bytes().strip()
    except OSError:
        return None


def _command(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for a reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_page_whose_ocr_crashes_is_an_error_row_and_the_batch_goes_on(commented, filled, template, tmp_path,
                                                                          monkeypatch):
    # Tesseract crashing on a page (here it dies by SIGSEGV on every page; `--version`
    # is the real one) raised TesseractError in the worker: exit 70, and the same again on
    # every re-run. The command engine is the one that runs a program: tesserocr hidden
    # (the forked workers inherit that).
    real = shutil.which("tesseract")
    if real is None:
        pytest.skip("tesseract is not installed")
    fake = tmp_path / "bin" / "tesseract"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\n[ "$1" = --version ] && exec {real} "$@"\nkill -SEGV $$\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setitem(sys.modules, "tesserocr", None)
    out = tmp_path / "out"
    summary = scan([commented, filled.png], template, out, jobs=2, ocr=True)
    pages = read_csv(out / "pages.csv")
    assert list(pages["status"]) == ["error", "used"]  # filled.png has nothing written: no OCR
    reason = pages["reason"][0]
    assert reason.startswith("the reader failed on this page (TesseractError: ") and "\n" not in reason
    assert summary.failed == [f"{commented} page 1: {reason}"]


def _worker_start() -> tuple[int, bool]:
    """In a pool's worker: how many comment zones' blank appearance its reader holds, and
    whether its OCR model is loaded."""
    reader = executors._worker
    return len(reader.comments._printed), reader.comments.engine._api is not None


@linux
def test_a_pools_workers_share_one_prepared_reader_and_read_as_a_fresh_one(commented, filled, template):
    # Each worker drew the form's blank pages for the comment zones, worked out the colours
    # and loaded Tesseract's model on its first pages: some 1.4 CPU s a worker, paid again
    # by the second job. The parent prepares one reader before the pool forks.
    tasks = [t for t in enumerate_pages([commented, filled.pdf]) if isinstance(t, PageTask)]
    fresh = InProcess(template, make_engine(True))
    pool = make_executor(template, make_engine(True), True, jobs=2, pages=2 * len(tasks))
    try:
        assert pool.executor.submit(_worker_start).result() == (2 * len(template.comments), True)
        read = [pool.submit(task) for task in tasks]
        assert [r.result().encoded for r in read] == [read_encoded(fresh._reader, t).encoded for t in tasks]
        assert any(c.text for c in read[0].result().comments)  # OCR read the written zone
    finally:
        pool.close()
    # A batch too short for each worker to read every page of the form: each draws what it reads.
    pool = make_executor(template, make_engine(True), True, jobs=2, pages=len(tasks))
    try:
        assert pool.executor.submit(_worker_start).result() == (0, False)
    finally:
        pool.close()


def test_a_page_changed_in_its_file_after_it_was_found_is_its_error_never_another_pages_reading(
        filled, template, tmp_path):
    # A pool's workers take each page's JPEG from its file by the page's number: a file
    # rewritten while the scan runs must not have another image read under the page found.
    pdf = tmp_path / "batch.pdf"
    shutil.copy(filled.pdf, pdf)
    with PageFinder([pdf], with_bytes=False) as finder:
        tasks = list(finder)
    assert tasks and all(isinstance(t, PageTask) and t.data is None for t in tasks)
    pdf.write_bytes(jpeg_pdf(filled.pages[::-1]))  # the same pages the other way round
    pool = make_executor(template, make_engine(False), False, jobs=2)
    try:
        results = [pool.submit(task).result() for task in tasks]
    finally:
        pool.close()
    middle = len(tasks) // 2  # the one page in its place still
    assert [r.status for r in results] == [PageStatus.USED if k == middle else PageStatus.ERROR
                                           for k in range(len(tasks))]
    assert all(r.reason.startswith("the page changed in the file while the scan ran") for k, r in enumerate(results)
               if k != middle)
    assert [(r.source, r.page, r.content_hash) for r in results] == [(t.source, t.page, t.content_hash) for t in tasks]
    found_again = list(enumerate_pages([pdf]))[middle]  # with its bytes, read here
    assert results[middle].encoded == read_encoded(InProcess(template, make_engine(False))._reader,
                                                   found_again).encoded


def _kill_workers(pid: int, every: float, stop: threading.Event, once: bool) -> list[int]:
    killed: list[int] = []
    while not stop.is_set() and not (once and killed):
        for child in workers_of(pid):
            os.kill(child, signal.SIGKILL)
            killed.append(child)
            if once:
                break
        time.sleep(every)
    return killed


def _scan_while_killing(inputs, template, out, once: bool):
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=lambda: killed.extend(_kill_workers(os.getpid(), 0.02, stop, once)))
    killer.start()
    try:
        return scan(inputs, template, out, jobs=2, ocr=False), killed
    finally:
        stop.set()
        killer.join()


@linux
def test_pages_lost_with_a_killed_worker_are_read_again(filled, template, tmp_path, caplog):
    # A worker killed (the out-of-memory killer, a crash) broke the pool: BrokenProcessPool
    # ended the batch with exit 70.
    summary, killed = _scan_while_killing([filled.pdf], template, tmp_path / "out", once=True)
    assert len(killed) == 1
    assert "its worker process died; reading it again" in caplog.text
    assert list(read_csv(tmp_path / "out" / "pages.csv")["status"]) == ["used"] * 7
    assert summary.ok and summary.sheets == 1


@linux
def test_a_page_whose_worker_dies_again_alone_is_an_error_row(filled, template, tmp_path):
    # Every worker is killed as soon as it starts: the page is tried once more, alone, in
    # a fresh pool, then given up as an error; the scan ends rather than retrying forever.
    summary, killed = _scan_while_killing([filled.page1_pdf, filled.png], template, tmp_path / "out", once=False)
    assert len(killed) >= 2
    pages = read_csv(tmp_path / "out" / "pages.csv")
    assert list(pages["status"]) == ["error", "error"]
    assert set(pages["reason"]) == {WORKER_DIED}
    assert len(summary.failed) == 2


@installed
@linux
def test_workers_end_when_the_scan_is_killed(filled, tmp_path):
    # After `kill -9` of the scan, its --jobs 2 workers lived on as orphans. The process
    # finding its pages ends with it too.
    scan_process = subprocess.Popen([str(SCAN), str(filled.pdf), str(filled.tiff), "--out", str(tmp_path / "out"),
                                     "--no-ocr", "-j", "2", "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    finder: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and scan_process.poll() is None:
            workers = workers_of(scan_process.pid)
            finder |= finder_of(scan_process.pid)
            time.sleep(0.05)
        assert len(workers) == 2 and scan_process.poll() is None, "the scan ended before its workers were seen"
        assert len(finder) == 1
        workers |= finder
        scan_process.kill()
        scan_process.wait()
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)]
    finally:
        for worker in workers:
            if alive(worker):
                os.kill(worker, signal.SIGKILL)
        if scan_process.poll() is None:
            scan_process.kill()
