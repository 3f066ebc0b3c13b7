"""Which questionnaire is which across re-runs: page hashes, input paths, sheet ids,
repeated serials, and review decisions that must survive all of them."""

from __future__ import annotations

import functools
import json
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from review_survey import PEACH, YELLOW, draw_sheet
from review_survey import write_pdf as write_survey_pdf
from scans import DPI, jpeg_pdf, tick

from scanner import load
from scanner.assemble import SPLIT_HINT, Assembler, Place, holds
from scanner.dataset import open_dataset
from scanner.load import enumerate_pages, page_task
from scanner.outputs import FLAG_SEPARATOR, STALE_REASON
from scanner.pipeline import scan
from scanner.reader import PageResult
from scanner.render import page_raster, render_pdf
from scanner.report import quality_section
from scanner.results import PageStatus, Reason
from scanner.review import queue as q
from scanner.store import REPLACED_FLAG, Store, pages_gone_flag

REVIEWER = "Ada"


def questionnaire(template, variant: int, serial: int | None = None) -> list[np.ndarray]:
    """Every page of one filled questionnaire; `variant` chooses which boxes are ticked."""
    pages = []
    for number in template.page_numbers:
        image = page_raster(template, number, DPI, serial)
        for k, item in enumerate(template.items_on(number)[:3]):
            tick(image, item.options[(k + number + variant) % len(item.options)].box_mm)
        pages.append(image)
    return pages


@pytest.fixture(scope="module")
def drawn(template):
    """Q1 and Q4 unnumbered, Q2 and Q3 two different questionnaires both numbered 6."""
    return {"q1": questionnaire(template, 0), "q4": questionnaire(template, 1),
            "q2": questionnaire(template, 0, serial=6), "q3": questionnaire(template, 2, serial=6)}


def write_tiff(path: Path, pages: list[np.ndarray]) -> Path:
    assert cv2.imwritemulti(str(path), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in pages])
    return path


def write_pdf(path: Path, pages: list[np.ndarray]) -> Path:
    path.write_bytes(jpeg_pdf(pages))
    return path


def csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def decide(out: Path, template, sheet_id: str, item: str, value: str) -> None:
    """A decision recorded as the review server records it."""
    fields = q.Fields(template)
    with q.open_survey(out, template) as store:
        current = q.current_decision(store, sheet_id, item)
        q.record_decision(store, fields, sheet_id, item, value, REVIEWER, current["id"] if current else None)


def final(out: Path, sheet_id: str, item: str) -> tuple[str, str]:
    items = csv(out, "items.csv")
    row = items[(items.sheet_id == sheet_id) & (items.item == item)]
    assert len(row) == 1, f"{sheet_id} {item}: {len(row)} rows"
    return row.value.iloc[0], row.status.iloc[0]


# --- page hashes ------------------------------------------------------------------------
def test_a_tiff_frame_keeps_its_hash_when_frames_are_appended_or_reordered(tmp_path):
    frames = [np.full((120, 80), 40 * k, np.uint8) for k in range(3)]
    cv2.imwritemulti(str(tmp_path / "two.tiff"), frames[:2])
    cv2.imwritemulti(str(tmp_path / "three.tiff"), frames)
    cv2.imwritemulti(str(tmp_path / "swapped.tiff"), [frames[1], frames[0]])
    two, three, swapped = ([t.content_hash for t in enumerate_pages([tmp_path / name])]
                           for name in ("two.tiff", "three.tiff", "swapped.tiff"))
    assert three[:2] == two and swapped == two[::-1] and len(set(three)) == 3
    assert page_task("x", tmp_path / "three.tiff", 2).content_hash == two[1]


def test_a_rendered_pdf_page_is_known_by_its_own_content(template, tmp_path):
    """Drawn pages (not one scanned JPEG) are rendered by workers; their hash comes from the
    page's objects, so page 2 of a longer file is the same page, and another serial is not."""
    one = render_pdf(template, tmp_path / "one.pdf", copies=1, first_serial=6)
    two = render_pdf(template, tmp_path / "two.pdf", copies=2, first_serial=6)
    one_hashes = [t.content_hash for t in enumerate_pages([one])]
    two_tasks = list(enumerate_pages([two]))
    assert {t.kind for t in two_tasks} == {"pdf-page"}
    n = len(template.page_numbers)
    assert [t.content_hash for t in two_tasks[:n]] == one_hashes
    assert not set(one_hashes) & {t.content_hash for t in two_tasks[n:]}  # serial 7: other pages
    assert page_task("x", two, 2).content_hash == one_hashes[1]


# --- input paths ------------------------------------------------------------------------
def test_two_spellings_of_one_path_are_one_input(template, filled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "batch.pdf").write_bytes(filled.pdf.read_bytes())
    scan(["samples/"], template, tmp_path / "out", jobs=1, ocr=False)
    summary = scan([str(tmp_path / "samples" / "batch.pdf")], template, tmp_path / "out", jobs=1, ocr=False)
    pages = csv(tmp_path / "out", "pages.csv")
    assert len(pages) == len(template.page_numbers) and summary.reused == len(pages)
    assert set(pages.source) == {str(tmp_path / "samples" / "batch.pdf")}  # the name as last given
    assert len(csv(tmp_path / "out", "responses.csv")) == 1


def test_a_file_reached_twice_is_read_once_and_the_other_name_reported(template, drawn, tmp_path):
    """A folder holding batch.pdf and a link to it, latest.pdf (and the file named again on
    the command line): one questionnaire, its pages under batch.pdf, the link's name
    reported once as the same file, the name given again as named twice; a re-run keeps the sheet and a decision on it."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_pdf(folder / "batch.pdf", drawn["q1"])
    (folder / "latest.pdf").symlink_to("batch.pdf")
    out = tmp_path / "out"
    summary = scan([folder, folder / "batch.pdf"], template, out, jobs=1, ocr=False)
    pages = csv(out, "pages.csv")
    assert summary.sheets == 1 and len(csv(out, "responses.csv")) == 1
    assert list(pages.source) == [str(folder / "batch.pdf")] * len(template.page_numbers)
    assert set(pages.status) == {"used"}
    assert summary.same_files == [f"{folder / 'latest.pdf'} is the same file as {folder / 'batch.pdf'}: read once",
                                  f"{folder / 'batch.pdf'} is named twice: read once"]
    (sheet_id,) = csv(out, "responses.csv").sheet_id
    item = template.items_on(1)[0].id
    decide(out, template, sheet_id, item, "2")
    again = scan([folder], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == [sheet_id] and not again.sheet_problems
    assert final(out, sheet_id, item) == ("2", "reviewed")


# --- assembling -------------------------------------------------------------------------
def _pages(template, source: str, serial: int | None, start: int = 1, tag: str = "") -> list[PageResult]:
    return [PageResult(source, start + k, PageStatus.USED, content_hash=f"{tag or source}:{start + k}",
                       form_page=fp, serial=serial) for k, fp in enumerate(template.page_numbers)]


def split_over_two_files(template) -> tuple[list[PageResult], list[PageResult], list[PageResult]]:
    """Two questionnaires in a.pdf (`q1`, `q2`), and `q2`'s pages 4 onwards again as
    b.pdf: the same images, so that questionnaire 2 can be read first split over two
    files (a.pdf pages 1-3, then b.pdf) and later whole from a.pdf."""
    n = len(template.page_numbers)
    q1 = _pages(template, "a.pdf", None, tag="q1")
    q2 = _pages(template, "a.pdf", None, start=n + 1, tag="q2")
    b = [PageResult("b.pdf", k + 1, PageStatus.USED, content_hash=p.content_hash, form_page=p.form_page)
         for k, p in enumerate(q2[3:])]
    return q1, q2, b


def _run_pages(template, out: Path, pages: list[PageResult]) -> list[str]:
    """What the scan does with its pages' results, minus reading them; the survey's sheet ids."""
    with Store(out) as store:
        register = store.sheet_register()
        assembler = Assembler(template, register=register)
        for p in pages:
            closed = list(assembler.add(p, f"/in/{p.source}"))
            store.save_page(assembler.rows[-1], p, "key")
            for sheet in closed:
                store.save_sheet(sheet, {})
        for sheet in assembler.finish():
            store.save_sheet(sheet, {})
        store.retire_superseded(register)
        return [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]


def test_two_questionnaires_with_one_serial_in_one_file_are_two_sheets(template):
    assembler = Assembler(template)
    pages = _pages(template, "a.pdf", 6) + _pages(template, "a.pdf", 6, start=8)
    sheets = [s for p in pages for s in assembler.add(p)] + list(assembler.finish())
    assert len(sheets) == 2 and all(len(s.pages) == 7 and not s.flags for s in sheets)
    assert [s.sheet_id for s in sheets] == [f"{template.form}-000006", f"{template.form}-000006-2"]
    assert all(r.status is PageStatus.USED for r in assembler.rows)


def test_a_sheet_whose_pages_are_read_into_another_hands_over_its_decisions(template, tmp_path):
    """Run 1: questionnaire 2 is split over a.pdf (pages 1-3) and b.pdf (pages 4-7): two
    sheets. Run 2: a.pdf now holds all of it. The b.pdf sheet must not linger as a third
    respondent, and the decision made on it moves to the sheet that holds its page now."""
    q1, q2, b = split_over_two_files(template)
    decided_item = template.items_on(5)[0].id
    run = functools.partial(_run_pages, template, tmp_path)
    first = run(q1 + q2[:3] + b)
    assert len(first) == 3
    b_sheet = first[2]
    with Store(tmp_path) as store:
        q.record_decision(store, q.Fields(template), b_sheet, decided_item, "1", REVIEWER, None)
    second = run(q1 + q2)
    assert second == first[:2]
    with Store(tmp_path) as store:
        moved = q.current_decision(store, first[1], decided_item)
        b_pages = store.db.execute("SELECT status, sheet_id, reason FROM pages WHERE path = '/in/b.pdf'").fetchall()
    assert moved is not None and moved["value"] == "1" and not moved["stale"]
    assert {(r["status"], r["sheet_id"]) for r in b_pages} == {("unrecognised", first[1])}


def test_a_decision_stays_on_its_sheet_when_a_sheet_scanned_twice_holds_its_page_too(template, tmp_path):
    """One questionnaire's pages, then its pages 1-3 again, in a file: two sheets sharing
    three images. A decision on the first is on a page it holds, whatever other sheet
    holds that image too."""
    q1 = _pages(template, "a.pdf", None, tag="q1")
    twice = q1 + [replace(p, page=p.page + 7) for p in q1[:3]]
    first = _run_pages(template, tmp_path, twice)
    assert len(first) == 2
    with Store(tmp_path) as store, store.transaction():
        store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at, page_hash) "
                         "VALUES (?, 'role', '1', ?, '2026-12-03', 'q1:1')", (first[0], REVIEWER))
    assert _run_pages(template, tmp_path, twice) == first
    with Store(tmp_path) as store:
        assert [r[0] for r in store.db.execute("SELECT sheet_id FROM decisions")] == [first[0]]


def test_a_sheet_whose_file_now_holds_none_goes_but_a_decision_keeps_it_in_sight(template, tmp_path):
    """a.pdf and b.pdf held a questionnaire each; both are replaced by blank pages. The one
    nobody reviewed goes; the one with a decision stays, flagged, with its decision."""
    a, b = _pages(template, "a.pdf", None), _pages(template, "b.pdf", None)
    first = _run_pages(template, tmp_path, a + b)
    item = template.items_on(2)[0].id
    with Store(tmp_path) as store:
        q.record_decision(store, q.Fields(template), first[1], item, "1", REVIEWER, None)
    blank = [PageResult(p.source, p.page, PageStatus.BLANK, content_hash=f"blank:{p.source}{p.page}")
             for p in a + b]
    assert _run_pages(template, tmp_path, blank) == [first[1]]
    with Store(tmp_path) as store:
        assert q.current_decision(store, first[1], item)["value"] == "1"
        assert store.db.execute("SELECT flags FROM sheets").fetchone()[0] == json.dumps([pages_gone_flag("b.pdf", 1)])


def test_a_sheet_read_into_another_save_its_decided_page_is_kept_for_the_decision_claiming_nothing(template, tmp_path):
    """Questionnaire 2 read split over a.pdf and b.pdf, an item of its b.pdf part decided;
    then a.pdf holds it whole, save the decided page, scanned anew, and b.pdf holds blank
    pages. The b.pdf sheet stays for its decision, flagged as scanned again, its results
    no claim, naming no page, and out of the colour calibration."""
    q1, q2, b = split_over_two_files(template)
    item = template.items_on(4)[0].id
    first = _run_pages(template, tmp_path, q1 + q2[:3] + b)
    with Store(tmp_path) as store:
        q.record_decision(store, q.Fields(template), first[2], item, "1", REVIEWER, None)
    rescanned = [replace(p, content_hash="q2:again") if p.form_page == 4 else p for p in q2]
    blank = [PageResult(p.source, p.page, PageStatus.BLANK, content_hash=f"blank:{p.page}") for p in b]
    assert _run_pages(template, tmp_path, q1 + rescanned + blank) == first
    with Store(tmp_path) as store:
        sheet = store.db.execute("SELECT first_page, flags FROM sheets WHERE sheet_id = ?", (first[2],)).fetchone()
        results = store.db.execute("SELECT DISTINCT status, reason FROM results WHERE sheet_id = ?",
                                   (first[2],)).fetchall()
        assert (sheet["first_page"], json.loads(sheet["flags"])[-1]) == (0, REPLACED_FLAG)
        assert [tuple(r) for r in results] == [("review", "PAGE_GONE")]
        assert q.current_decision(store, first[2], item)["value"] == "1"
        assert first[2] not in {sheet_id for sheet_id, *_ in store.sheet_papers()}


# --- re-scans through the whole scan ----------------------------------------------------
def test_a_rescanned_page_keeps_its_sheet_and_sends_its_decision_back_for_a_look(template, drawn, tmp_path):
    q1 = drawn["q1"]
    batch = write_pdf(tmp_path / "batch.pdf", q1)
    out = tmp_path / "out"
    scan([batch], template, out, jobs=1, ocr=False)
    (sheet_id,) = csv(out, "responses.csv").sheet_id
    on_page1, on_page2 = template.items_on(1)[0].id, template.items_on(2)[0].id
    decide(out, template, sheet_id, on_page1, "1")
    decide(out, template, sheet_id, on_page2, "2")
    again = q1[0].copy()
    tick(again, template.items_on(1)[-1].options[0].box_mm)  # the page scanned again, now ticked
    write_pdf(batch, [again] + q1[1:])
    scan([batch], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == [sheet_id]
    assert final(out, sheet_id, on_page2) == ("2", "reviewed")
    assert final(out, sheet_id, on_page1) == ("1", "review")
    items = csv(out, "items.csv")
    assert items[(items.item == on_page1)].reason.iloc[0] == STALE_REASON
    with q.open_survey(out, template) as store:
        assert [(e.item, e.reason) for e in q.waiting(store, q.Fields(template))
                if e.item == on_page1] == [(on_page1, q.STALE)]


def test_a_decision_follows_its_page_when_a_wrongly_ordered_file_is_put_right(template, drawn, tmp_path):
    """Run 1: a.pdf holds questionnaire 4's page 1 then 1's pages 2-7, and 1's page 1 then
    4's pages 2-7 (two respondents' first pages swapped): two mixed sheets, reviewed. Run 2:
    the file put right. Each sheet keeps its id by most of its pages; the decision made on
    the page now in the other sheet stayed behind, sent back as "scanned again", on another
    respondent's page 1, and the sheet holding its page showed none."""
    q1, q4 = drawn["q1"], drawn["q4"]
    batch = write_pdf(tmp_path / "a.pdf", [q4[0], *q1[1:], q1[0], *q4[1:]])
    out = tmp_path / "out"
    scan([batch], template, out, jobs=1, ocr=False)
    mixed = list(csv(out, "responses.csv").sheet_id)
    on_page1, on_page5 = template.items_on(1)[0].id, template.items_on(5)[0].id
    decide(out, template, mixed[0], on_page1, "1")
    decide(out, template, mixed[0], on_page5, "2")
    write_pdf(batch, q1 + q4)
    scan([batch], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == mixed
    assert final(out, mixed[1], on_page1) == ("1", "reviewed")
    assert final(out, mixed[0], on_page1)[1] != "reviewed"
    assert final(out, mixed[0], on_page5) == ("2", "reviewed")


def test_rescans_with_appended_reordered_files_and_repeated_serials_keep_respondents_and_decisions(
        template, drawn, tmp_path, monkeypatch):
    """Scan, review, scan again with a questionnaire appended to the TIFF, files in another
    order and spelling, and a second print run's questionnaire numbered 6 too."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    tiff = write_tiff(tmp_path / "grey.tiff", drawn["q1"])
    yellow = write_pdf(tmp_path / "yellow.pdf", drawn["q2"])
    first = scan(["grey.tiff", "yellow.pdf"], template, out, jobs=1, ocr=False)
    assert first.sheets == 2 and not first.sheet_problems
    responses = csv(out, "responses.csv")
    grey_id, yellow_id = responses.sheet_id
    on_page2, on_page3 = template.items_on(2)[1].id, template.items_on(3)[0].id
    decisions = {(grey_id, "programme"): "Programme B", (grey_id, on_page2): "1", (yellow_id, on_page3): "2"}
    for (sheet_id, item), value in decisions.items():
        decide(out, template, sheet_id, item, value)

    q4 = drawn["q4"]
    write_tiff(tiff, drawn["q1"] + q4[:3] + q4[2:])  # Q4 appended, its page 3 fed twice
    green = write_pdf(tmp_path / "green.pdf", drawn["q3"])
    second = scan([str(green), str(yellow), "./grey.tiff"], template, out, jobs=1, ocr=False)

    responses = csv(out, "responses.csv")
    assert len(responses) == 4 and {grey_id, yellow_id} <= set(responses.sheet_id)
    for (sheet_id, item), value in decisions.items():
        assert final(out, sheet_id, item) == (value, "reviewed"), (sheet_id, item)
    pages = csv(out, "pages.csv")
    assert len(pages) == 4 * len(template.page_numbers) + 1 and pages.duplicated(["source", "page"]).sum() == 0
    assert (pages.status == "used").sum() == 4 * len(template.page_numbers)

    sheets = csv(out, "sheets.csv").set_index("sheet_id")
    numbered = sheets[sheets.serial == "6"]
    assert len(numbered) == 2 and yellow_id in numbered.index
    assert all("serial 6 is used by 2 different questionnaires" in f for f in numbered["flags"])
    q4_id = sheets[(sheets.source == "./grey.tiff") & (sheets.first_page == "8")].index[0]
    assert sheets.loc[q4_id, "flags"] == "form page 3 appears twice"
    assert dict(zip(responses.sheet_id, responses["flags"])) == sheets["flags"].to_dict()
    assert responses.columns[-1] == "flags"

    assert len(second.sheet_problems) == 3 and sum("serial 6" in p for p in second.sheet_problems) == 2
    status = q.queue_status(out, template)
    assert {s["sheet_id"] for s in status["sheets"]} == set(numbered.index) | {q4_id}
    html = quality_section(open_dataset(out, template))
    assert "Questionnaires with a problem" in html and "serial 6 is used by 2" in html

    third = scan(["grey.tiff", str(green), "yellow.pdf"], template, out, jobs=1, ocr=False)
    assert third.reused == len(pages) and set(csv(out, "responses.csv").sheet_id) == set(responses.sheet_id)
    for (sheet_id, item), value in decisions.items():
        assert final(out, sheet_id, item) == (value, "reviewed")


@pytest.mark.parametrize("missed", [3, random.randrange(2, 8)])
def test_a_page_scanned_alone_then_put_back_keeps_its_questionnaires_answers_and_decisions(
        template, drawn, tmp_path, missed):
    """The feeder missed a page of Q4; it was scanned alone into extra.pdf, a one-page
    questionnaire whose other items wait as "page not found". Its reviewer marked those
    blank (there is no page) and read one item of the lone page; Q4's reviewer set one
    item from the paper, and one of Q4's items on the missing page blank. The page is then
    put back and extra.pdf deleted. Q4 must be whole with its own readings and decisions;
    only the decision about an item on the returned page moves to it; a decision made
    without a page comes back for a look where the page now read disagrees with it."""
    q1, q4 = drawn["q1"], drawn["q4"]
    out, batch, extra = tmp_path / "out", tmp_path / "batch.pdf", tmp_path / "extra.pdf"
    write_pdf(batch, q1 + q4[:missed - 1] + q4[missed:])
    write_pdf(extra, [q4[missed - 1]])
    scan([batch, extra], template, out, jobs=1, ocr=False)
    q1_id, q4_id, lone_id = csv(out, "sheets.csv").sheet_id
    other = 1 if missed != 1 else 2  # a page both sheets have an item of (Q4's, the lone sheet's none)
    ticked, unticked = template.items_on(other)[0].id, template.items_on(other)[-1].id
    read = final(out, q4_id, ticked)
    assert read[1] == "ok" and final(out, lone_id, ticked) == ("", "review")
    on_missed, on_missed_too = template.items_on(missed)[0].id, template.items_on(missed)[1].id
    from_paper = next(str(c) for c in q.Fields(template).codes(ticked) if str(c) != read[0])
    decide(out, template, q4_id, ticked, from_paper)
    decide(out, template, q4_id, on_missed_too, "")  # Q4 has no such page (yet)
    lone_ticked = template.items_on(next(p for p in template.page_numbers if p not in (missed, other)))[0].id
    found = {lone_ticked: final(out, q4_id, lone_ticked)[0], on_missed_too: final(out, lone_id, on_missed_too)[0]}
    for item in (ticked, unticked, lone_ticked):
        decide(out, template, lone_id, item, "")  # the lone sheet has no such page
    lone_unticked = template.items_on(next(p for p in template.page_numbers if p not in (missed, other)))[-1].id
    with q.open_survey(out, template) as store:  # "marked but unusable", said of no page
        q.record_decision(store, q.Fields(template), lone_id, lone_unticked, "", REVIEWER, None, q.Outcome.INVALID)
    lone_read = final(out, lone_id, on_missed)
    decide(out, template, lone_id, on_missed, "")  # read from the lone page: blank, not its guess
    assert lone_read[0] != ""

    write_pdf(batch, q1 + q4)
    extra.unlink()
    scan([batch], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == [q1_id, q4_id]
    assert final(out, q4_id, ticked) == (from_paper, "reviewed")  # Q4's reviewer, not the lone sheet's
    assert final(out, q4_id, on_missed) == ("", "reviewed")  # decided on the very page
    assert final(out, q4_id, unticked)[0] == ""  # the page reads blank too: nothing to look at
    with q.open_survey(out, template) as store:
        again = {e.item for e in q.waiting(store, q.Fields(template)) if e.sheet_id == q4_id and e.reason == q.STALE}
        audit = store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    # Decided without a page, the page now read disagrees: back to the queue, not settled.
    assert {lone_ticked, on_missed_too, lone_unticked} <= again and ticked not in again and unticked not in again
    for item, value in found.items():  # what the page reads shows, not the decision
        assert value != "" and final(out, q4_id, item) == (value, "review")
    assert audit == 7  # every decision kept
    with Store(out) as store:  # the audit tells the hand-over's undo from a reviewer's
        undone = store.db.execute("SELECT item, undone_reason FROM decisions WHERE undone = 1").fetchall()
        by = q.current_decision(store, q4_id, ticked)["id"]
    assert [tuple(r) for r in undone] == [(ticked, f"superseded on hand-over by decision {by}")]
    before = (out / "items.csv").read_bytes()
    scan([batch], template, out, jobs=1, ocr=False)  # and again: nothing moves
    assert (out / "items.csv").read_bytes() == before


@pytest.mark.parametrize("kept", [10, random.randrange(1, 21)])
def test_a_file_scanned_again_with_fewer_pages_holds_only_those(template, drawn, tmp_path, kept):
    """batch.pdf held three questionnaires (21 pages); it is scanned again as its first
    `kept` pages only, under the same name. The pages it no longer has leave pages.csv
    (kept in the store apart), and no questionnaire is built from them: a questionnaire
    whose pages are all gone goes, one cut short is what the file holds of it."""
    out, batch = tmp_path / "out", tmp_path / "batch.pdf"
    pages = drawn["q1"] + drawn["q4"] + drawn["q2"]
    write_pdf(batch, pages)
    scan([batch], template, out, jobs=1, ocr=False)
    first = list(csv(out, "sheets.csv").sheet_id)
    write_pdf(batch, pages[:kept])
    scan([batch], template, out, jobs=1, ocr=False)
    scan([batch], template, out, jobs=1, ocr=False)  # and again: nothing moves
    listed = csv(out, "pages.csv")
    assert list(listed.page) == [str(k) for k in range(1, kept + 1)]
    sheets = csv(out, "sheets.csv")
    n = len(template.page_numbers)
    assert list(sheets.sheet_id) == first[:(kept - 1) // n + 1]
    used = listed[listed.status == "used"].groupby("sheet_id").size().to_dict()
    assert {s: len(p.split()) for s, p in zip(sheets.sheet_id, sheets.pages)} == used
    with Store(out) as store:
        assert store.db.execute("SELECT COUNT(*) FROM pages_gone").fetchone()[0] == len(pages) - kept


@pytest.mark.parametrize("same_paper", [False, True], ids=["another batch", "the same paper scanned again"])
def test_a_file_that_holds_none_of_its_questionnaires_now_is_named_in_the_summary(template, drawn, tmp_path,
                                                                                 same_paper):
    """A station writes every batch as scan.pdf: day 2's batch (other questionnaires, or
    day 1's paper through the scanner again) overwrites day 1's and is scanned into the
    same survey. Day 1's questionnaires are replaced by what the file holds now, their
    pages kept in pages_gone: the summary says so, naming the file and what was read
    from it before. Neither the first scan nor a plain re-run says anything."""
    seed = int(np.random.default_rng().integers(2**31))
    out, batch = tmp_path / "out", tmp_path / "scan.pdf"
    day1 = drawn["q1"] + drawn["q2"]
    write_pdf(batch, day1)
    assert scan([batch], template, out, jobs=1, ocr=False).replaced_files == []
    before = list(csv(out, "sheets.csv").sheet_id)
    write_pdf(batch, _rescanned(day1, seed) if same_paper else drawn["q4"] + drawn["q3"])
    summary = scan([batch], template, out, jobs=1, ocr=False)
    (line,) = summary.replaced_files
    assert line.startswith(f"{batch} holds none of the pages of the 2 questionnaires read from it before"), line
    assert "14 pages" in line and "pages_gone" in line and "scan --watch" in line and summary.ok
    with Store(out) as store:
        assert store.db.execute("SELECT COUNT(*) FROM pages_gone").fetchone()[0] == 14
    if same_paper:  # the same respondents, not two more (seed as above)
        assert list(csv(out, "sheets.csv").sheet_id) == before, seed
    assert scan([batch], template, out, jobs=1, ocr=False).replaced_files == []


def test_a_file_moved_away_and_replaced_by_a_new_one_of_its_name_is_not_named(template, drawn, tmp_path):
    """scan.pdf moved into archive/ and a new scan.pdf written: the old questionnaires are
    read at their new place, so nothing of scan.pdf's is lost and the summary says nothing."""
    out, folder = tmp_path / "out", tmp_path / "station"
    (folder / "archive").mkdir(parents=True)
    write_pdf(folder / "scan.pdf", drawn["q1"] + drawn["q2"])
    scan([folder], template, out, jobs=1, ocr=False)
    (folder / "scan.pdf").rename(folder / "archive" / "scan-1.pdf")
    write_pdf(folder / "scan.pdf", drawn["q4"] + drawn["q3"])
    summary = scan([folder], template, out, jobs=1, ocr=False)
    assert summary.replaced_files == [] and len(csv(out, "responses.csv")) == 4


def test_pages_taken_out_of_a_file_are_the_ones_kept_gone(template, drawn, tmp_path):
    """batch.pdf (two questionnaires) is scanned again with two pages of the first taken
    out: pages_gone holds those two images as they were, not the file's last two places,
    whose images are still in the file (two places earlier)."""
    out, batch = tmp_path / "out", tmp_path / "batch.pdf"
    pages = drawn["q1"] + drawn["q4"]
    write_pdf(batch, pages)
    scan([batch], template, out, jobs=1, ocr=False)
    before = csv(out, "pages.csv")
    write_pdf(batch, pages[:2] + pages[4:])
    scan([batch], template, out, jobs=1, ocr=False)
    with Store(out) as store:
        gone = store.db.execute("SELECT page, content_hash, status, sheet_id FROM pages_gone ORDER BY page").fetchall()
    removed = before[before.page.isin(["3", "4"])]
    assert [tuple(r) for r in gone] == [(int(r.page), r.content_hash, r.status, r.sheet_id)
                                        for r in removed.itertuples()]
    after = csv(out, "pages.csv")
    assert list(after.content_hash) == list(before.content_hash[:2]) + list(before.content_hash[4:])


def test_pages_gone_are_kept_whatever_columns_the_pages_table_has(template, drawn, tmp_path):
    """The store's pages table may gain columns (the contract's "add columns freely"):
    the pages a file scanned again no longer holds still go to pages_gone as they were."""
    out, batch = tmp_path / "out", tmp_path / "batch.pdf"
    pages = drawn["q1"] + drawn["q4"]
    write_pdf(batch, pages)
    scan([batch], template, out, jobs=1, ocr=False)
    with Store(out) as store:
        store.db.execute("ALTER TABLE pages ADD COLUMN added TEXT NOT NULL DEFAULT ''")
    before = csv(out, "pages.csv")
    write_pdf(batch, pages[:4])
    scan([batch], template, out, jobs=1, ocr=False)
    with Store(out) as store:
        gone = store.db.execute("SELECT page, content_hash, sheet_id FROM pages_gone ORDER BY page").fetchall()
    assert [tuple(r) for r in gone] == [(int(r.page), r.content_hash, r.sheet_id) for r in before[4:].itertuples()]
    assert list(csv(out, "pages.csv").content_hash) == list(before.content_hash[:4])


def test_a_decision_whose_page_left_the_file_stands_and_its_questionnaire_says_so(template, drawn, tmp_path):
    """An item of form page 3 is reviewed; page 3 is then taken out of the file. The person
    saw the page: the decision stands, but the questionnaire's flags say that it rests on
    a page the batch no longer holds. The page put back, the flag goes."""
    out, batch = tmp_path / "out", tmp_path / "batch.pdf"
    pages = drawn["q1"]
    write_pdf(batch, pages)
    scan([batch], template, out, jobs=1, ocr=False)
    (sheet_id,) = csv(out, "responses.csv").sheet_id
    decided, other = template.items_on(3)[0].id, template.items_on(3)[1].id
    decide(out, template, sheet_id, decided, "2")
    decide(out, template, sheet_id, template.items_on(2)[0].id, "1")
    write_pdf(batch, pages[:2] + pages[3:])
    summary = scan([batch], template, out, jobs=1, ocr=False)
    assert final(out, sheet_id, decided) == ("2", "reviewed") and final(out, sheet_id, other)[1] == "review"
    flags = csv(out, "sheets.csv")["flags"].iloc[0].split(FLAG_SEPARATOR)
    gone = f"decided on a page no longer in the batch: {decided} (the decisions stand, with no page to show)"
    assert flags == ["missing form page 3", gone] and any(gone in p for p in summary.sheet_problems)
    assert csv(out, "responses.csv")["flags"].iloc[0] == csv(out, "sheets.csv")["flags"].iloc[0]
    write_pdf(batch, pages)
    scan([batch], template, out, jobs=1, ocr=False)
    assert csv(out, "sheets.csv")["flags"].iloc[0] == "" and final(out, sheet_id, decided) == ("2", "reviewed")


@pytest.mark.parametrize("read", [7, random.randrange(1, 21)])
def test_a_file_that_fails_part_way_keeps_the_pages_it_did_not_give(template, drawn, tmp_path, monkeypatch, read):
    """batch.pdf (three questionnaires, 21 pages) is scanned again, and moved away while
    it is read: reopened after its first `read` pages (as every `PDF_REOPEN_PAGES`), it
    is not there. Its listing ended in a problem, not at its end: the pages not read this
    time are not gone, and no questionnaire built of them leaves responses.csv."""
    out, batch = tmp_path / "out", tmp_path / "batch.pdf"
    write_pdf(batch, drawn["q1"] + drawn["q4"] + drawn["q2"])
    scan([batch], template, out, jobs=1, ocr=False)
    before = list(csv(out, "responses.csv").sheet_id)
    opened = load._open_pdf

    def moved_after_opening(source, path):
        pdf = opened(source, path)
        if isinstance(path, Path) and path == batch:
            path.rename(tmp_path / "moved.pdf")  # the open document still reads
        return pdf

    monkeypatch.setattr(load, "PDF_REOPEN_PAGES", read)
    monkeypatch.setattr(load, "_open_pdf", moved_after_opening)
    scan([batch], template, out, jobs=1, ocr=False)
    listed = csv(out, "pages.csv")
    assert list(csv(out, "responses.csv").sheet_id) == before
    assert [p for p in listed.page if p] == [str(k) for k in range(1, 22)]
    assert (listed.status == "error").sum() == 1
    with Store(out) as store:
        assert store.db.execute("SELECT COUNT(*) FROM pages_gone").fetchone()[0] == 0


def test_a_second_print_run_numbered_alike_scanned_later_is_kept_apart(template, drawn, tmp_path):
    out = tmp_path / "out"
    scan([write_pdf(tmp_path / "yellow.pdf", drawn["q2"])], template, out, jobs=1, ocr=False)
    summary = scan([write_pdf(tmp_path / "green.pdf", drawn["q3"])], template, out, jobs=1, ocr=False)
    sheets = csv(out, "sheets.csv")
    assert list(sheets.serial) == ["6", "6"] and sheets.sheet_id.nunique() == 2
    assert list(sheets.source) == [str(tmp_path / "yellow.pdf"), str(tmp_path / "green.pdf")]
    assert len(summary.sheet_problems) == 1 and "serial 6" in summary.sheet_problems[0]
    assert summary.to_dict()["sheet_problems"] == summary.sheet_problems


def test_a_store_of_the_first_schema_is_keyed_by_path_when_opened(tmp_path):
    old = sqlite3.connect(tmp_path / "survey.sqlite")
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE pages (
            source TEXT NOT NULL, page INTEGER NOT NULL, status TEXT NOT NULL,
            sheet_id TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', form_page INTEGER,
            content_hash TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL,
            scanned_at TEXT NOT NULL, PRIMARY KEY (source, page));
        INSERT INTO pages VALUES ('in/a.pdf', 1, 'used', 's1', '', 1, 'h1', '/abs/in/a.pdf', 1, 't');
        INSERT INTO pages VALUES ('/abs/in/a.pdf', 1, 'used', 's1', '', 1, 'h1', '/abs/in/a.pdf', 2, 't');
        INSERT INTO pages VALUES ('gone.pdf', 0, 'error', '', 'no such file', NULL, '', '', 3, 't');""")
    old.commit()
    old.close()
    with Store(tmp_path) as store:
        assert store.get_meta("schema_version") == "2"
        rows = store.db.execute("SELECT source, path FROM pages ORDER BY seq").fetchall()
    gone = str(Path("gone.pdf").resolve())
    assert [tuple(r) for r in rows] == [("/abs/in/a.pdf", "/abs/in/a.pdf"), ("gone.pdf", gone)]


def test_a_store_made_before_undos_said_why_gains_the_column(tmp_path):
    with Store(tmp_path) as store:
        store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at, undone) "
                         "VALUES ('s1', 'q1', '2', 'Ada', 't', 1)")
        store.db.execute("ALTER TABLE decisions DROP COLUMN undone_reason")
    with Store(tmp_path) as store:  # a reviewer's undo, as every undo was then
        rows = store.db.execute("SELECT sheet_id, undone, undone_reason FROM decisions").fetchall()
    assert [tuple(r) for r in rows] == [("s1", 1, "")]


def test_the_same_questionnaire_in_two_files_of_one_run_is_read_once(template):
    assembler = Assembler(template)
    pages = _pages(template, "a.pdf", None, tag="q") + _pages(template, "copy.pdf", None, tag="q")
    sheets = [s for p in pages for s in assembler.add(p)] + list(assembler.finish())
    assert len(sheets) == 1 and not sheets[0].flags
    copies = assembler.rows[len(template.page_numbers):]
    assert all(r.status is PageStatus.UNRECOGNISED and not r.sheet_id for r in copies)
    assert [r.reason.split(":")[0] for r in copies] == [f"the same page image as a.pdf page {r.page}" for r in copies]


def test_a_copy_of_a_scanned_file_added_later_is_a_repeat_and_the_original_keeps_its_sheets(template, drawn, tmp_path):
    """A.pdf scanned and reviewed; then `A (copy).pdf`, byte for byte, beside it (listed
    first): the copy's pages are repeats of A.pdf's, no respondent more, every sheet id and
    decision where it was. The file then renamed and scanned alone: its pages are used
    once, under the new name only."""
    folder = tmp_path / "in"
    folder.mkdir()
    original = write_pdf(folder / "A.pdf", drawn["q1"] + drawn["q4"])
    out = tmp_path / "out"
    scan([folder], template, out, jobs=1, ocr=False)
    ids = list(csv(out, "responses.csv").sheet_id)
    item = template.items_on(2)[0].id
    decide(out, template, ids[1], item, "2")
    copy = folder / "A (copy).pdf"
    copy.write_bytes(original.read_bytes())
    summary = scan([folder], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == ids and summary.sheets == 2 and not summary.sheet_problems
    assert final(out, ids[1], item) == ("2", "reviewed")
    pages = csv(out, "pages.csv")
    copied = pages[pages.source == str(copy)]
    assert len(copied) == 14 and set(copied.status) == {"unrecognised"} and set(copied.sheet_id) == {""}
    assert [r.split(":")[0] for r in copied.reason] == [f"the same page image as {original} page {n}"
                                                       for n in copied.page]
    assert list(pages[pages.source == str(original)].status) == ["used"] * 14

    copy.unlink()
    renamed = folder / "B.pdf"
    original.rename(renamed)
    scan([folder], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == ids and final(out, ids[1], item) == ("2", "reviewed")
    pages = csv(out, "pages.csv")
    assert list(pages[pages.status == "used"].source) == [str(renamed)] * 14


def test_a_questionnaire_taken_out_of_its_file_keeps_its_decision_and_claims_nothing_else(template, drawn, tmp_path):
    """batch.pdf held two questionnaires; the first, one item decided, is taken out (the
    file rebuilt of the second's same images) and the file scanned again. The decision
    keeps its questionnaire, but no page backs the rest of it: none of its answers stays
    a claim, its flag says its pages left the file, and it names no page of the file
    (page 1 is the other respondent's now). Put back, it is whole again."""
    out, batch = tmp_path / "out", write_pdf(tmp_path / "batch.pdf", drawn["q1"] + drawn["q4"])
    scan([batch], template, out, jobs=1, ocr=False)
    gone, kept = csv(out, "responses.csv").sheet_id
    item = template.items_on(2)[0].id
    decide(out, template, gone, item, "2")
    before = csv(out, "items.csv")
    write_pdf(batch, drawn["q4"])
    scan([batch], template, out, jobs=1, ocr=False)
    items = csv(out, "items.csv")
    assert final(out, gone, item) == ("2", "reviewed")
    rest = items[(items.sheet_id == gone) & (items.item != item)]
    assert len(rest) == len(before[before.sheet_id == gone]) - 1
    assert set(rest.status) == {"review"} and set(rest.reason) == {Reason.PAGE_GONE.value}
    kept_before, kept_now = (df[df.sheet_id == kept].drop(columns="first_page").reset_index(drop=True)
                             for df in (before, items))
    assert kept_now.equals(kept_before)
    sheets = csv(out, "sheets.csv").set_index("sheet_id")
    assert sheets["flags"][gone] == pages_gone_flag(str(batch), 1)
    pages = csv(out, "pages.csv")
    assert set(pages.sheet_id) == {kept}
    responses = csv(out, "responses.csv").set_index("sheet_id")
    assert responses.first_page[gone] == "0" and set(rest.first_page) == {"0"}

    write_pdf(batch, drawn["q1"] + drawn["q4"])
    scan([batch], template, out, jobs=1, ocr=False)
    assert csv(out, "items.csv").equals(before.assign(
        value=before.value.mask((before.sheet_id == gone) & (before.item == item), "2"),
        status=before.status.mask((before.sheet_id == gone) & (before.item == item), "reviewed"),
        reason=before.reason.mask((before.sheet_id == gone) & (before.item == item), "")))


def test_the_run_that_keeps_a_questionnaire_for_its_decisions_names_it_and_counts_what_waits(template, tmp_path):
    """A yellow and a peach questionnaire in batch.pdf, an item of the yellow one decided,
    batch.pdf rewritten as the peach one alone. The run that keeps the yellow one for its
    decision names it among the questionnaires with a problem and counts its items to
    review, so that its summary agrees with the review queue; its colour and programme,
    read from pages no longer in the batch, are no claim any more."""
    rasters = {p: page_raster(template, p, DPI) for p in template.page_numbers}
    yellow, peach = (draw_sheet(template, rasters, colour, doubts=False) for colour in (YELLOW, PEACH))
    out, batch = tmp_path / "out", write_survey_pdf(tmp_path / "batch.pdf", yellow + peach, template.page_size_mm)
    scan([batch], template, out, jobs=1, ocr=False)
    gone = csv(out, "responses.csv").sheet_id[0]
    decide(out, template, gone, template.items_on(2)[0].id, "2")
    write_survey_pdf(batch, peach, template.page_size_mm)
    summary = scan([batch], template, out, jobs=1, ocr=False)
    assert [line for line in summary.sheet_problems if line.startswith(gone)] == [
        f"{gone} ({batch}): {pages_gone_flag(str(batch), 1)}"]
    status = q.queue_status(out, template)
    assert dict(summary.flagged) == {r["reason"]: r["count"] for r in status["by_reason"]}
    items = csv(out, "items.csv")
    assert summary.flagged[Reason.PAGE_GONE.name] == (items.sheet_id == gone).sum() - 1  # save the one decided
    responses = csv(out, "responses.csv").set_index("sheet_id")
    assert (responses.colour[gone], responses.programme[gone]) == ("", "")


def test_a_questionnaire_kept_for_a_decision_since_undone_goes(template, drawn, tmp_path):
    """As above, then the decision that kept the questionnaire is undone: the next run
    lets it go, and none of its items waits for review."""
    out, batch = tmp_path / "out", write_pdf(tmp_path / "batch.pdf", drawn["q1"] + drawn["q4"])
    scan([batch], template, out, jobs=1, ocr=False)
    gone, kept = csv(out, "responses.csv").sheet_id
    item = template.items_on(2)[0].id
    decide(out, template, gone, item, "2")
    write_pdf(batch, drawn["q4"])
    scan([batch], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == [gone, kept]
    with q.open_survey(out, template) as store:
        q.undo_decision(store, q.current_decision(store, gone, item)["id"], REVIEWER)
    summary = scan([batch], template, out, jobs=1, ocr=False)
    assert list(csv(out, "responses.csv").sheet_id) == [kept]
    waiting = {r["reason"]: r["count"] for r in q.queue_status(out, template)["by_reason"]}
    assert Reason.PAGE_GONE.name not in waiting and waiting == dict(summary.flagged)


def test_a_page_whose_file_cannot_be_read_now_is_still_there(template, drawn, tmp_path):
    """A file that is there but cannot be read at the moment (an off-line share, a file
    being written) still holds its pages: only a file gone, or one whose page is another
    image or none, has let a page go."""
    batch = write_pdf(tmp_path / "batch.pdf", drawn["q1"][:2])
    place, image = Place(str(batch), str(batch), 2), page_task(str(batch), batch, 2).content_hash
    assert holds(place, image)
    whole = batch.read_bytes()
    batch.write_bytes(whole[:len(whole) // 3])
    assert holds(place, image)
    write_pdf(batch, drawn["q1"][:1])
    assert not holds(place, image)
    write_pdf(batch, drawn["q1"][1:] + drawn["q1"][:1])
    assert not holds(place, image)
    batch.unlink()
    assert not holds(place, image)


def test_a_renamed_file_s_blank_backs_move_with_its_used_pages(template, drawn, tmp_path):
    """A.pdf (a questionnaire, each page with a blank back) and C.pdf (one blank page, the
    same image as A's backs) scanned; A.pdf renamed B.pdf and scanned alone. Every page
    of A.pdf is listed as moved to its place in B.pdf, blank backs as used pages: no page
    is counted at two places. C.pdf, not scanned again, still holds its blank page: it
    stays as it was."""
    folder = tmp_path / "in"
    folder.mkdir()
    back = np.full_like(drawn["q1"][0], 255)
    original = write_pdf(folder / "A.pdf", [page for front in drawn["q1"] for page in (front, back)])
    other = write_pdf(folder / "C.pdf", [back])
    out = tmp_path / "out"
    scan([folder], template, out, jobs=1, ocr=False)
    assert (csv(out, "pages.csv").status == "blank").sum() == len(drawn["q1"]) + 1
    renamed = folder / "B.pdf"
    original.rename(renamed)
    scan([renamed], template, out, jobs=1, ocr=False)
    pages = csv(out, "pages.csv")
    old = pages[pages.source == str(original)]
    assert set(old.status) == {"unrecognised"} and set(old.sheet_id) == {""}
    assert list(old.reason) == [f"moved: this page image is read at {renamed} page {n} now" for n in old.page]
    counted = pages[pages.status.isin(["used", "blank"])]
    assert counted.source.value_counts().to_dict() == {str(renamed): 2 * len(drawn["q1"]), str(other): 1}


# --- a QR code that says "no serial" ------------------------------------------------------
def _sheets_of(out: Path) -> list[tuple[str, str, str]]:
    """(serial, pages, flags) of each questionnaire in sheets.csv, in its order."""
    sheets = csv(out, "sheets.csv")
    return list(zip(sheets.serial, sheets.pages, sheets["flags"]))


def test_unnumbered_pages_after_a_numbered_copy_lacking_them_are_another_questionnaire(template, drawn, tmp_path):
    """Copy 6's pages 1-3 then an unnumbered questionnaire's pages 4-7: their QR codes
    were read, one says serial 6 and the other no serial, so they are two questionnaires
    each missing pages, never one clean copy 6. The other way round likewise."""
    out = tmp_path / "out"
    scan([write_pdf(tmp_path / "mix.pdf", drawn["q2"][:3] + drawn["q1"][3:])], template, out, jobs=1, ocr=False)
    assert _sheets_of(out) == [("", "4 5 6 7", "missing form pages 1, 2, 3"),
                               ("6", "1 2 3", "missing form pages 4, 5, 6, 7")]
    out = tmp_path / "out-reversed"
    scan([write_pdf(tmp_path / "reversed.pdf", drawn["q1"][:3] + drawn["q2"][3:])], template, out, jobs=1, ocr=False)
    assert _sheets_of(out) == [("", "1 2 3", "missing form pages 4, 5, 6, 7"),
                               ("6", "4 5 6 7", "missing form pages 1, 2, 3")]


def test_a_numbered_copy_shuffled_with_an_unnumbered_one_keeps_its_own_pages(template, drawn, tmp_path):
    """6:1-3, U:4-7, 6:4-7, U:1-3: copy 6 is whole of its own pages, and the unnumbered
    questionnaire's halves are flagged as such, never taken into copy 6."""
    q6, u = drawn["q2"], drawn["q1"]
    out = tmp_path / "out"
    scan([write_pdf(tmp_path / "shuffled.pdf", q6[:3] + u[3:] + q6[3:] + u[:3])], template, out, jobs=1, ocr=False)
    # The half at the file's end may have its missing pages in the next file: the hint.
    assert sorted(_sheets_of(out)) == [("", "1 2 3", f"missing form pages 4, 5, 6, 7 ({SPLIT_HINT})"),
                                       ("", "4 5 6 7", "missing form pages 1, 2, 3"),
                                       ("6", "1 2 3 4 5 6 7", "")]
    pages = csv(out, "pages.csv")
    (copy6,) = csv(out, "sheets.csv").query("serial == '6'").sheet_id
    assert list(pages[pages.sheet_id == copy6].page) == ["1", "2", "3", "8", "9", "10", "11"]


# --- a paper fed twice ----------------------------------------------------------------------
def _rescanned(pages: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """The same paper through the scanner again: a new image, a little turned and shifted, with noise."""
    rng = np.random.default_rng(seed)
    out = []
    for page in pages:
        h, w = page.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-0.5, 0.5)), 1.0)
        turn[:, 2] += rng.uniform(-6, 6, 2)
        moved = cv2.warpAffine(page, turn, (w, h), borderValue=(255, 255, 255))
        out.append(np.clip(moved + rng.normal(0, 3, moved.shape), 0, 255).astype(np.uint8))
    return out


def _ticked_by_hand(template, variant: int, hand: int) -> list[np.ndarray]:
    """A questionnaire with ten or more answers, every third box of `variant`'s, drawn by a hand of its own."""
    rng = np.random.default_rng(hand)
    pages = []
    for number in template.page_numbers:
        image = page_raster(template, number, DPI)
        for k, item in enumerate(template.items_on(number)[:4]):
            x, y, w, h = item.options[(k + number + variant) % len(item.options)].box_mm
            tick(image, (x + rng.uniform(-0.4, 0.4), y + rng.uniform(-0.4, 0.4), w * rng.uniform(0.8, 1.1), h))
        pages.append(image)
    return pages


def test_a_paper_fed_twice_is_flagged_and_two_respondents_answering_alike_are_not(template, tmp_path):
    seed = int(np.random.default_rng().integers(2**31))
    paper = _ticked_by_hand(template, 0, hand=1)
    alike = _ticked_by_hand(template, 0, hand=2)  # the same answers, another hand
    out = tmp_path / "out"
    scan([write_pdf(tmp_path / "a.pdf", paper + alike)], template, out, jobs=1, ocr=False)
    first, other = csv(out, "sheets.csv").sheet_id
    assert set(csv(out, "sheets.csv")["flags"]) == {""}
    summary = scan([write_pdf(tmp_path / "again.pdf", _rescanned(paper, seed))], template, out, jobs=1, ocr=False)
    sheets = csv(out, "sheets.csv").set_index("sheet_id")
    (again,) = set(sheets.index) - {first, other}
    assert sheets.loc[again, "flags"].startswith(f"looks like a re-scan of {first}"), (seed, sheets["flags"])
    assert sheets.loc[first, "flags"] == sheets.loc[other, "flags"] == ""
    assert len(summary.sheet_problems) == 1
    scan([tmp_path / "again.pdf", tmp_path / "a.pdf"], template, out, jobs=1, ocr=False)  # in another order
    assert csv(out, "sheets.csv").set_index("sheet_id")["flags"].to_dict() == sheets["flags"].to_dict()
