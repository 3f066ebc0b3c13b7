"""The store's writes are transactions: another connection sees a sheet whole, before or
after a save, never half-written; a save that fails leaves the sheet as it was; a scan
commits its pages a chunk at a time, and what it read before failing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from scanner.assemble import PageRow, Sheet
from scanner.pipeline import scan
from scanner.results import FieldResult, PageStatus, Status
from scanner.store import STORE_NAME, ScanWrites, Store

ITEMS = ("programme", "q01", "q02", "q03")


def _sheet(value: str, items: tuple[str, ...] = ITEMS) -> Sheet:
    return Sheet("s-test", "batch.pdf", 1, None,
                 results=[FieldResult(item, value, Status.OK, 0.9) for item in items])


def _results(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.execute("SELECT item, value FROM results WHERE sheet_id = 's-test' ORDER BY ord")]


def test_another_connection_never_sees_a_sheet_half_saved(tmp_out):
    other = sqlite3.connect(tmp_out / STORE_NAME, isolation_level=None)
    seen = []

    def look(statement: str) -> None:
        # Called as each statement of the save starts: by the first INSERT of the new
        # results, the old ones are deleted. A reader must still see them until the commit.
        if statement.startswith("INSERT INTO results") and not seen:
            seen.append(_results(other))

    with Store(tmp_out) as store:
        store.save_sheet(_sheet("1"), {})
        store.db.set_trace_callback(look)
        store.save_sheet(_sheet("2"), {})
        store.db.set_trace_callback(None)
    assert seen == [[(item, "1") for item in ITEMS]]
    assert _results(other) == [(item, "2") for item in ITEMS]
    other.close()


def test_a_save_that_fails_half_way_leaves_the_sheet_as_it_was(tmp_out):
    with Store(tmp_out) as store:
        store.save_sheet(_sheet("1"), {})
        with pytest.raises(sqlite3.IntegrityError):  # one item twice: the INSERT fails after the DELETE
            store.save_sheet(_sheet("2", ITEMS + ("q01",)), {})
        assert not store.db.in_transaction
        assert _results(store.db) == [(item, "1") for item in ITEMS]


def test_a_transaction_commits_or_rolls_back_as_one(tmp_out):
    with Store(tmp_out) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.set_meta("a", "1")
            store.set_meta("b", "2")
            raise RuntimeError("stop")
        assert store.get_meta("a") is None and store.get_meta("b") is None
        with store.transaction():
            store.set_meta("a", "1")
            store.set_meta("b", "2")
        assert (store.get_meta("a"), store.get_meta("b")) == ("1", "2")


def _page(n: int) -> PageRow:
    return PageRow("batch.pdf", n, PageStatus.BLANK, content_hash=f"h{n}", path="/scans/batch.pdf")


def _pages_seen(path) -> int:
    with sqlite3.connect(path) as other:
        return other.execute("SELECT COUNT(*) FROM pages").fetchone()[0]


def test_a_scans_writes_are_committed_a_chunk_at_a_time(tmp_out, monkeypatch):
    monkeypatch.setattr("scanner.store.COMMIT_PAGES", 3)
    monkeypatch.setattr("scanner.store.COMMIT_SECONDS", 3600)
    with Store(tmp_out) as store:
        writes = ScanWrites(store, "key")
        for n in (1, 2):
            writes.page(_page(n), None)
        assert _pages_seen(tmp_out / STORE_NAME) == 0 and not store.db.in_transaction
        writes.page(_page(3), None)
        writes.sheet(_sheet("1"), {})
        assert _pages_seen(tmp_out / STORE_NAME) == 3
        writes.flush()
        assert _results(store.db) == [(item, "1") for item in ITEMS]
        assert [tuple(r) for r in store.db.execute("SELECT page, seq FROM pages ORDER BY page")] == [
            (1, 1), (2, 2), (3, 3)]


def test_a_scans_writes_wait_no_longer_than_commit_seconds(tmp_out, monkeypatch):
    monkeypatch.setattr("scanner.store.COMMIT_SECONDS", 0)  # a slow batch: every page is a second's work
    with Store(tmp_out) as store:
        writes = ScanWrites(store, "key")
        writes.page(_page(1), None)
        assert _pages_seen(tmp_out / STORE_NAME) == 1


def test_a_scan_that_fails_keeps_the_pages_it_read(filled, template, tmp_path):
    # The pages read before the failure are committed on the way out: a re-run reads
    # none of them again.
    def fail_at_second_page(progress) -> None:
        if progress.done == 2:
            raise RuntimeError("stop")

    inputs = [str(filled.pdf), str(filled.png)]
    with pytest.raises(RuntimeError):
        scan(inputs, template, tmp_path / "out", ocr=False, jobs=1, progress=fail_at_second_page)
    assert _pages_seen(tmp_path / "out" / STORE_NAME) == 2
    assert scan(inputs, template, tmp_path / "out", ocr=False, jobs=1).reused == 2


def test_the_papers_of_readings_that_sqlite_cannot_parse_are_read_all_the_same(tmp_out):
    # Python writes a NaN into a reading's JSON, which SQLite's json_extract refuses
    # ("malformed JSON"): the calibration then failed a fixed-seed batch.
    from scanner.reader import PageResult

    sheet = _sheet("1")
    sheet.pages = {1: PageResult("batch.pdf", 1, PageStatus.USED, content_hash="nan"),
                   2: PageResult("batch.pdf", 2, PageStatus.USED, content_hash="fine")}
    with Store(tmp_out) as store:
        store.save_sheet(sheet, {})
        for content_hash, odd in (("nan", float("nan")), ("fine", 0.5)):
            reading = {"paper": {"rgb": [250.0, 240.5, 200.0]}, "transform": [[1e-07, 0.0], [0.0, 1.0]], "odd": odd}
            store.db.execute("INSERT INTO readings VALUES (?, 'key', ?)", (content_hash, json.dumps(reading)))
        papers = list(store.sheet_papers())
    assert [(h, paper.rgb, transform) for _, h, paper, transform in papers] == [
        (h, (250.0, 240.5, 200.0), [[1e-07, 0.0], [0.0, 1.0]]) for h in ("fine", "nan")]


def test_a_scan_stores_what_it_has_read_whenever_it_waits_for_a_worker():
    # A chunk is committed when the parent would wait anyway: with workers slower than
    # it, nothing read sits uncommitted while they work.
    from concurrent.futures import Future

    from scanner.load import PageTask
    from scanner.pipeline import _ordered
    from scanner.reader import PageResult

    events = []

    class ReadWhenAwaited:
        window = 2

        def submit(self, task: PageTask) -> Future:
            future = Future()
            future.task = task
            if task.page == 1:  # read before it is awaited: no wait for it
                future.set_result(PageResult(task.source, task.page, PageStatus.BLANK))
            return future

        def settle(self, pending) -> None:
            events.append(f"wait {pending[0][0].page}")
            if not pending[0][1].done():
                pending[0][1].set_result(PageResult(pending[0][0].source, pending[0][0].page, PageStatus.BLANK))

    executor = ReadWhenAwaited()
    tasks = [PageTask("batch.pdf", "", n, "jpeg", f"h{n}") for n in (1, 2, 3)]
    for result in _ordered(tasks, executor.submit, executor, lambda: events.append("flush")):
        events.append(f"page {result.page}")
    assert events == ["wait 1", "page 1", "flush", "wait 2", "page 2", "flush", "wait 3", "page 3"]
