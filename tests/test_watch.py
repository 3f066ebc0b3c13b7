"""The watched folder: files dropped while the watch runs and while it is stopped are
each read once, once complete; Ctrl+C ends `scan --watch` cleanly."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from scans import jpeg_pdf

from scanner.watch import WatchProgress, _open_for_writing, watch

pytest.importorskip("watchdog")

SCAN = Path(sys.executable).parent / "scan"
TIMEOUT = 60


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class Running:
    """A watch in a thread, and the batches it has read."""

    def __init__(self, inbox: Path, template, out: Path, **options):
        self.stop = threading.Event()
        self.batches: list[WatchProgress] = []
        self.summary = None
        self.thread = threading.Thread(target=self._run, args=(inbox, template, out), kwargs=options)
        self.thread.start()

    def _run(self, inbox, template, out, **options) -> None:
        self.summary = watch(inbox, template, out, jobs=1, ocr=False, stable_seconds=0.5,
                             progress=self.batches.append, stop=self.stop, **options)

    def wait_for(self, files: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while (not self.batches or self.batches[-1].files < files) and time.monotonic() < deadline:
            assert self.thread.is_alive(), "the watch ended"
            time.sleep(0.1)
        if not self.batches or self.batches[-1].files < files:
            self.stop.set()  # else the watch's thread keeps the failed test from ending
            raise AssertionError(f"{files} files not read in {TIMEOUT} s")

    def wait_for_batches(self, batches: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while len(self.batches) < batches and time.monotonic() < deadline:
            assert self.thread.is_alive(), "the watch ended"
            time.sleep(0.1)
        if len(self.batches) < batches:
            self.stop.set()
            raise AssertionError(f"{batches} batches not read in {TIMEOUT} s")

    def end(self):
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()
        return self.summary


def write_slowly(path: Path, data: bytes, running: Running) -> None:
    """Write `data` to `path` as a slow station does: half, then open and unchanged for four
    times the watch's stable_seconds, while no batch may read it; then the rest."""
    with open(path, "wb") as writer:
        writer.write(data[: len(data) // 2])
        writer.flush()
        time.sleep(2.0)
        assert not running.batches, "a half-written file was read"
        writer.write(data[len(data) // 2:])


@pytest.mark.parametrize("poll", [None, 0.2], ids=["events", "polling"])
def test_files_dropped_while_running_and_while_stopped_are_each_read_once(filled, template, tmp_path, poll):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "station-2").mkdir(parents=True)
    shutil.copy(filled.png, inbox / "before.png")  # there before the watch began
    running = Running(inbox, template, out, poll=poll)
    running.wait_for(1)
    shutil.copy(filled.page1_pdf, inbox / "station-2" / "during.pdf")
    running.wait_for(2)
    first = running.end()
    assert first.files == 2 and first.pages == {"used": 2}
    shutil.copy(filled.png, inbox / "station-2" / "while-stopped.png")
    running = Running(inbox, template, out, poll=poll)
    running.wait_for(1)
    second = running.end()
    assert second.files == 1  # the two read before are not read again
    pages = read_csv(out / "pages.csv")
    assert sorted(Path(s).name for s in pages["source"]) == ["before.png", "during.pdf", "while-stopped.png"]


def test_a_file_a_stopped_watch_left_part_read_is_read_whole_after_a_restart(filled, template, tmp_path):
    # A watch killed (or its batch cut by a second Ctrl+C) half-way through a file had
    # stored some of its pages: restarted, it took the file for read and never read the rest.
    from scanner.pipeline import scan

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(filled.pdf, inbox / "batch.pdf")

    def cut_at_third_page(progress) -> None:
        if progress.done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scan([str(inbox / "batch.pdf")], template, out, jobs=1, ocr=False, progress=cut_at_third_page)
    running = Running(inbox, template, out)
    running.wait_for(1)
    summary = running.end()
    assert summary.files == 1 and summary.pages == {"used": 7}
    assert list(read_csv(out / "pages.csv")["page"]) == [str(n) for n in range(1, 8)]


def test_a_new_file_under_the_name_of_a_file_read_is_read_and_both_are_kept(filled, template, tmp_path):
    # A station that moves scan.pdf away and later writes a new scan.pdf: the watch took
    # the name for read, and the new file was never read, with no row and no message.
    from scans import jpeg_pdf

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    scan_pdf = inbox / "scan.pdf"
    shutil.copy(filled.page1_pdf, scan_pdf)
    running = Running(inbox, template, out)
    running.wait_for(1)
    scan_pdf.unlink()
    shutil.copy(filled.pdf, scan_pdf)  # while the watch runs
    running.wait_for(2)
    first = running.end()
    assert first.files == 2 and first.pages == {"used": 8}
    scan_pdf.unlink()
    scan_pdf.write_bytes(jpeg_pdf(filled.pages[:1], quality=70))  # while it is stopped, as many pages as the last
    running = Running(inbox, template, out)
    running.wait_for(1)
    second = running.end()
    assert second.files == 1 and second.pages == {"used": 1}
    pages = read_csv(out / "pages.csv")
    # Each file's pages, none overwritten by the next file's.
    assert list(pages["page"]) == ["1", *(str(n) for n in range(1, 8)), "1"]
    assert pages["content_hash"].is_unique and set(pages["status"]) == {"used"}
    assert len(set(pages["sheet_id"])) == 3


def test_the_closing_figures_of_a_watch_are_the_files_read_as_pages_csv_has_them(filled, template, tmp_path):
    # a.pdf read, then renamed b.pdf in the inbox and read again under its new name: its
    # pages under a.pdf are accounted as moved, but the watch still counted a.pdf's first
    # reading, 14 pages used and 2 questionnaires for 7 pages of one.
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(filled.pdf, inbox / "a.pdf")
    running = Running(inbox, template, out)
    running.wait_for(1)
    (inbox / "a.pdf").rename(inbox / "b.pdf")
    running.wait_for(2)
    summary = running.end()
    pages = read_csv(out / "pages.csv")
    assert summary.files == 2 and summary.pages == pages["status"].value_counts().to_dict()
    assert summary.sheets == len(read_csv(out / "responses.csv")) == 1


@pytest.mark.parametrize("seed", [3, random.randrange(2**31)])
def test_a_name_reused_in_any_order_while_running_and_across_restarts_keeps_each_file_read(
        filled, template, tmp_path, seed):
    rng = random.Random(seed)
    versions = [filled.page1_pdf.read_bytes(), *(jpeg_pdf(filled.pages[:1], quality=q) for q in (60, 70))]
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    scan_pdf, marker = inbox / "scan.pdf", inbox / "scan.pdf.done"
    running, read = None, []  # the versions read, in order
    try:
        for _ in range(5):
            restart = running is None or rng.random() < 0.4
            if restart and running is not None:
                running.end()
            version = rng.randrange(len(versions))
            marker.unlink(missing_ok=True)
            scan_pdf.unlink(missing_ok=True)
            scan_pdf.write_bytes(versions[version])
            marker.touch()
            if restart:
                running = Running(inbox, template, out)
            files = running.batches[-1].files if running.batches else 0
            if read and version == read[-1]:  # the file read last, put back: not read again
                time.sleep(1.5)
                assert (running.batches[-1].files if running.batches else 0) == files, f"seed {seed}"
            else:
                running.wait_for(files + 1)
                read.append(version)
    finally:
        if running is not None:
            running.end()
    pages = read_csv(out / "pages.csv")
    assert len(pages) == len(read) and set(pages["status"]) == {"used"}, f"seed {seed}"
    hashes = list(pages["content_hash"])
    assert all((hashes[i] == hashes[j]) == (read[i] == read[j]) for i in range(len(read)) for j in range(len(read)))


def test_a_file_read_while_unreadable_is_read_again_once_written(filled, template, tmp_path):
    # Its error row holds no questionnaire: the pages replace it, as in any scan again. The
    # watch's closing figures are the file's as read last, as pages.csv has it: they said
    # 2 files, a page `error` and a failure, for one file read whole.
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "scan.png").touch()
    (inbox / "scan.png.done").touch()
    running = Running(inbox, template, out)
    running.wait_for(1)
    assert running.batches[0].batch.pages == {"error": 1}
    (inbox / "scan.png.done").unlink()
    (inbox / "scan.png").write_bytes(filled.png.read_bytes())
    (inbox / "scan.png.done").touch()
    running.wait_for_batches(2)
    summary = running.end()
    assert running.batches[-1].files == 1
    assert summary.files == 1 and summary.pages == {"used": 1} and summary.sheets == 1
    assert summary.ok and summary.failed == []
    assert list(read_csv(out / "pages.csv")["status"]) == ["used"]


@pytest.mark.skipif(not SCAN.exists(), reason="the package is not installed in this Python")
def test_a_file_read_half_written_then_whole_ends_the_watch_without_a_stale_failure(filled, tmp_path):
    # A station writing a file in two sessions: the watch read the first half (an error),
    # then the whole file, and on Ctrl+C still printed "failed: ... not a readable PDF" and
    # exited 1, while pages.csv held every page `used`.
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data, pdf, marker = filled.pdf.read_bytes(), inbox / "b.pdf", inbox / "b.pdf.done"
    pdf.write_bytes(data[: len(data) // 3])
    marker.touch()
    with scan_watch(inbox, out, "-j", "1") as proc:
        deadline = time.monotonic() + TIMEOUT
        while "b.pdf" not in _text(out / "pages.csv") and time.monotonic() < deadline:
            time.sleep(0.2)
        half = read_csv(out / "pages.csv")
        assert "error" in set(half["status"]) and proc.poll() is None
        marker.unlink()
        pdf.write_bytes(data)
        marker.touch()
        while len(read_csv(out / "pages.csv")) < 7 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # the batch's last lines
        stderr = ctrl_c(proc)
    assert list(read_csv(out / "pages.csv")["status"]) == ["used"] * 7
    assert proc.returncode == 0, stderr
    assert "failed:" not in stderr
    assert "stopped: 1 files, 1 questionnaires read" in stderr


def test_the_progress_says_how_many_files_wait(filled, template, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    datas = [jpeg_pdf(filled.pages[:1], quality=q) for q in (60, 70, 80)]  # three scans: a copy would be a repeat
    running = Running(inbox, template, out)
    writers = [open(inbox / f"slow-{k}.pdf", "wb") for k in range(3)]
    try:
        for writer, data in zip(writers, datas):  # stations still writing: seen, not complete
            writer.write(data[: len(data) // 2])
            writer.flush()
        (inbox / "marked.png").write_bytes(filled.png.read_bytes())
        (inbox / "marked.png.done").touch()
        running.wait_for(1)
        assert running.batches[0].waiting == 3
        for writer, data in zip(writers, datas):
            writer.write(data[len(data) // 2:])
            writer.close()
        running.wait_for(4)
    finally:
        for writer in writers:
            writer.close()
        summary = running.end()
    assert summary.pages == {"used": 4} and running.batches[-1].waiting == 0


def test_a_file_still_being_written_waits_until_it_is_closed_or_marked_done(filled, template, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data = filled.page1_pdf.read_bytes()
    running = Running(inbox, template, out)
    try:
        write_slowly(inbox / "slow.pdf", data, running)
        running.wait_for(1)
        (inbox / "marked.png").write_bytes(filled.png.read_bytes())
        (inbox / "marked.png.done").touch()
        running.wait_for(2)
    finally:
        summary = running.end()
    assert summary.ok and summary.pages == {"used": 2}
    assert list(read_csv(out / "pages.csv")["status"]) == ["used", "used"]  # the marker is no input


def test_a_watch_begun_on_an_empty_inbox_waits_for_a_file_still_being_written(filled, template, tmp_path, caplog):
    # A full suite under load read a half-written file: the watch had begun before the
    # file was there, and an empty folder is its own input, so the inbox itself waited,
    # no process writing it, and was read whole once unchanged.
    caplog.set_level(logging.INFO, logger="scanner.watch")
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data = filled.page1_pdf.read_bytes()
    running = Running(inbox, template, out)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "watching" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "watching" in caplog.text  # begun, the inbox empty
        write_slowly(inbox / "slow.pdf", data, running)
        running.wait_for(1)
    finally:
        summary = running.end()
    assert summary.ok and summary.files == 1 and summary.pages == {"used": 1}


@pytest.mark.skipif(not SCAN.exists(), reason="the package is not installed in this Python")
@pytest.mark.parametrize("executor", [["-j", "1"], ["--cluster", "local:1"]], ids=["in-process", "local-cluster"])
def test_ctrl_c_stops_scan_watch_cleanly(filled, template, tmp_path, executor):
    # The terminal sends Ctrl+C to the whole process group: a local cluster's workers died
    # of it mid-batch, and the watch waited 300 s for workers, then exited 7.
    if executor[0] == "--cluster":
        pytest.importorskip("distributed")
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(filled.png, inbox / "first.png")
    (inbox / "first.png.done").touch()
    with scan_watch(inbox, out, *executor) as proc:
        deadline = time.monotonic() + 4 * TIMEOUT  # a cluster's start is slow on a busy machine
        # The CSVs are written before the first file is read too: wait for its row.
        while "first.png" not in _text(out / "pages.csv") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "first.png" in _text(out / "pages.csv") and proc.poll() is None
        for k in range(3):
            (inbox / f"batch-{k}.pdf").write_bytes(jpeg_pdf(filled.pages, quality=60 + 10 * k))  # three scans
            (inbox / f"batch-{k}.pdf.done").touch()
        time.sleep(1.5)  # the batch taken up (ready at the next look, every 0.5 s)
        stderr = ctrl_c(proc)
    assert proc.returncode == 0, stderr
    assert "stopped: " in stderr
    # What the batch did not finish, a restart reads: every page once.
    running = Running(inbox, template, out)
    deadline = time.monotonic() + TIMEOUT
    while len(read_csv(out / "pages.csv")) < 22 and time.monotonic() < deadline:
        time.sleep(0.2)
    running.end()
    pages = read_csv(out / "pages.csv")
    assert sorted(zip(pages["source"].map(lambda s: Path(s).name), pages["page"])) == sorted(
        [("first.png", "1")] + [(f"batch-{k}.pdf", str(n)) for k in range(3) for n in range(1, 8)])
    assert set(pages["status"]) == {"used"}


@contextlib.contextmanager
def scan_watch(inbox: Path, out: Path, *options: str) -> Iterator[subprocess.Popen]:
    """`scan --watch INBOX` in a process group of its own, its stderr piped; killed if
    still running when the block ends (a test failed before Ctrl+C)."""
    proc = subprocess.Popen([str(SCAN), "--watch", str(inbox), "--out", str(out), "--no-ocr", *options],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


def ctrl_c(proc: subprocess.Popen) -> str:
    """Ctrl+C at the terminal (to the whole process group); the watch's stderr once it ended."""
    os.killpg(proc.pid, signal.SIGINT)
    return proc.communicate(timeout=TIMEOUT)[1]


def _text(path) -> str:
    """A file's text, or nothing while it does not exist."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_a_writer_is_seen_though_its_process_closes_another_file_meanwhile(tmp_path, monkeypatch):
    # A full suite once read a half-written file: a descriptor of the writing process that
    # closed between the listing of its descriptors and the look at it passed the whole
    # process over, the writer's own descriptor with it. The closing is injected at the
    # one call where it happens, the descriptor's link.
    slow = tmp_path / "slow.pdf"
    real_readlink = os.readlink

    def readlink_closing_the_others(fd):
        target = real_readlink(fd)
        if target != str(slow):
            raise FileNotFoundError(fd)
        return target

    with open(slow, "wb") as writer:
        writer.write(b"%PDF-")
        monkeypatch.setattr(os, "readlink", readlink_closing_the_others)
        assert _open_for_writing(slow)
