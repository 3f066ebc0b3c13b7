"""Incremental CSV writes: after any change, the files are byte for byte what writing the
whole survey from the store gives, and a decision renders only its own sheet."""

from __future__ import annotations

import functools
import io
import random

import pytest
from review_survey import WRITTEN_COMMENT, cached_survey, copy_survey
from test_identity import _pages, _run_pages, split_over_two_files

from scanner.forms import Forms
from scanner.outputs import (final_items, items_table, pages_table, refresh_rows, responses_table, sheets_table,
                             write_outputs)
from scanner.results import FieldResult, Status
from scanner.review import queue as q
from scanner.spreadsheet import write_csv_for_people
from scanner.store import Store

REVIEWER = "Ann"
FILES = ("responses.csv", "items.csv", "sheets.csv", "pages.csv")


def whole(store: Store, template) -> dict[str, bytes]:
    """The four CSVs as a full rewrite makes them: every table from the whole store (of
    several forms, each row naming its form)."""
    final = final_items(store)
    forms = Forms.of(template)
    tables = {"responses.csv": responses_table(store, template, final), "items.csv": items_table(store, final, forms),
              "sheets.csv": sheets_table(store, final, forms=forms), "pages.csv": pages_table(store, forms)}
    texts = {}
    for name, df in tables.items():
        text = io.StringIO()
        write_csv_for_people(df, text)
        texts[name] = text.getvalue().encode("utf-8")
    return texts


def assert_written_whole(store: Store, template, out) -> None:
    write_outputs(store, template, out)
    expected = whole(store, template)
    for name in FILES:
        assert (out / name).read_bytes() == expected[name], name


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


def _sheets(store):
    return [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]


def test_decisions_undo_serials_and_colours_write_what_the_whole_survey_gives(out, template):
    fields = q.Fields(template)
    with q.open_survey(out, template) as store:
        first, second = _sheets(store)
        assert_written_whole(store, template, out)
        # A comment that a spreadsheet would run, over two lines (a record of two lines).
        decision = q.record_decision(store, fields, first, WRITTEN_COMMENT, '=HYPERLINK("http://x")\r\nmore', REVIEWER,
                                     None)
        assert refresh_rows(store, template) == 1  # that sheet alone is rendered again
        assert_written_whole(store, template, out)
        assert b"'=HYPERLINK" in (out / "responses.csv").read_bytes()
        q.record_decision(store, fields, second, "programme", "Programme B", REVIEWER, None)
        assert_written_whole(store, template, out)
        q.undo_decision(store, decision["id"], REVIEWER)
        assert refresh_rows(store, template) == 1
        assert_written_whole(store, template, out)
        # Another questionnaire takes the first's serial: both rows name each other. Written
        # by hand here: the store, not the caller, notices what changed.
        store.db.execute("UPDATE sheets SET serial = 41 WHERE sheet_id IN (?, ?)", (first, second))
        assert refresh_rows(store, template) == 2
        assert_written_whole(store, template, out)
        assert (out / "sheets.csv").read_text(encoding="utf-8").count("serial 41 is used by 2") == 2
        store.db.execute("UPDATE sheets SET serial = NULL WHERE sheet_id = ?", (second,))
        assert_written_whole(store, template, out)
        # A colour assigned to the second sheet's cluster, as `scanner colours --assign` stores it.
        store.update_programmes({second: FieldResult("programme", "Programme A", Status.REVIEWED, 1.0, None, {})},
                                {second: "yellow"})
        assert refresh_rows(store, template) == 1
        assert_written_whole(store, template, out)
        # A calibration that changes nothing renders nothing.
        programmes = store.programme_results()
        colours = {r["sheet_id"]: r["colour"] for r in store.db.execute("SELECT sheet_id, colour FROM sheets")}
        store.update_programmes(programmes, colours)
        assert refresh_rows(store, template) == 0


def test_a_decision_leaves_pages_csv_alone_but_a_missing_one_is_written(out, template):
    with q.open_survey(out, template) as store:
        write_outputs(store, template, out)
        pages = (out / "pages.csv").stat()
        items = (out / "items.csv").stat()
        q.record_decision(store, q.Fields(template), _sheets(store)[0], "programme", "Programme B", REVIEWER, None)
        write_outputs(store, template, out, pages=False)
        assert (out / "pages.csv").stat().st_ino == pages.st_ino
        assert (out / "items.csv").stat().st_ino != items.st_ino
        (out / "pages.csv").unlink()
        write_outputs(store, template, out, pages=False)
        assert (out / "pages.csv").read_bytes() == whole(store, template)["pages.csv"]


def test_a_store_of_an_earlier_version_or_another_renderer_renders_every_sheet(out, template):
    with Store(out) as store:
        write_outputs(store, template, out)
        store.db.execute("UPDATE csv_rows SET items = 'stale\n'")
        store.db.execute("DELETE FROM meta WHERE key = 'csv_rows_key'")  # as no version kept rows
        assert refresh_rows(store, template) == 2
        assert_written_whole(store, template, out)
        store.db.execute("DELETE FROM csv_rows")
        store.db.execute("UPDATE meta SET value = 'another renderer' WHERE key = 'csv_rows_key'")
        assert_written_whole(store, template, out)


def test_an_empty_survey_writes_the_headers(template, tmp_out):
    with Store(tmp_out) as store:
        assert_written_whole(store, template, tmp_out)
    assert (tmp_out / "responses.csv").read_text(encoding="utf-8").startswith("sheet_id,source,first_page,programme")


@pytest.mark.parametrize("seed", [11, random.randrange(2**32)])
def test_rescans_that_supersede_sheets_and_random_decisions_write_what_the_whole_survey_gives(
        template, tmp_path, seed):
    """Questionnaire 2 read split over a.pdf and b.pdf (three sheets), decisions on all,
    then a.pdf read whole: the b.pdf sheet goes and its decision moves. Then decisions and
    undos drawn at random, each followed by a write."""
    print("seed", seed)
    rng = random.Random(seed)
    fields = q.Fields(template)
    q1, q2, b = split_over_two_files(template)
    run = functools.partial(_run_pages, template, tmp_path)
    sheets = run(q1 + q2[:3] + b)
    with Store(tmp_path) as store:
        assert_written_whole(store, template, tmp_path)
        for sheet_id in sheets:
            q.record_decision(store, fields, sheet_id, template.items_on(5)[0].id, "1", REVIEWER, None)
        assert_written_whole(store, template, tmp_path)
    assert run(q1 + q2) == sheets[:2]
    with Store(tmp_path) as store:
        assert_written_whole(store, template, tmp_path)
    # A third questionnaire with the serial of a fourth, scanned later.
    sheets = run(q1 + q2 + _pages(template, "c.pdf", 9) + _pages(template, "d.pdf", 9))
    items = [item.id for page in template.page_numbers for item in template.items_on(page)]
    with Store(tmp_path) as store:
        assert_written_whole(store, template, tmp_path)
        for _ in range(8):
            sheet_id, item = rng.choice(sheets), rng.choice(items)
            current = q.current_decision(store, sheet_id, item)
            if current and rng.random() < 0.4:
                q.undo_decision(store, current["id"], REVIEWER)
            else:
                value = str(rng.choice(fields.codes(item))) if rng.random() < 0.8 else ""
                q.record_decision(store, fields, sheet_id, item, value, REVIEWER, current["id"] if current else None)
            assert refresh_rows(store, template) == 1
            assert_written_whole(store, template, tmp_path)
        assert store.sheets_to_render(1) == []
