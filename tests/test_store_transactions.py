"""The store's writes are transactions: another connection sees a sheet whole, before or
after a save, never half-written; a save that fails leaves the sheet as it was."""

from __future__ import annotations

import sqlite3

import pytest

from scanner.assemble import Sheet
from scanner.results import FieldResult, Status
from scanner.store import STORE_NAME, Store

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
