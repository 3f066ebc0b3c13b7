"""The review queue, decisions, the quality check and crops, without a server.

The survey is scanned once per session (tests/review_survey.py): its queue holds q01
(two boxes ticked), q02 (a faint tick), q01_comment (written, OCR off) on sheet 1, and
the programme of sheet 2 (paper of no known colour).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from review_survey import FAINT_ITEM, MULTIPLE_ITEM, WRITTEN_COMMENT, cached_survey, copy_survey

from scanner.errors import InputFileError, UsageError
from scanner.load import enumerate_pages, page_task
from scanner.outputs import write_outputs
from scanner.review import crops
from scanner.review import queue as q
from scanner.store import Store


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


@pytest.fixture
def store(out, template):
    with q.open_survey(out, template) as s:
        yield s


@pytest.fixture
def fields(template):
    return q.Fields(template)


def _sheets(store):
    return [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]


def test_queue_holds_the_scans_doubts_in_survey_order(store, fields):
    first, second = _sheets(store)
    entries = q.waiting(store, fields)
    assert [(e.sheet_id, e.item, e.kind, e.reason) for e in entries] == [
        (first, MULTIPLE_ITEM, "item", "MULTIPLE"),
        (first, FAINT_ITEM, "item", "ERASED"),
        (first, WRITTEN_COMMENT, "comment", "NOT_READ"),
        (second, "programme", "programme", "COLOUR"),
    ]
    assert [e.programme for e in entries] == ["Programme A"] * 3 + [q.UNKNOWN_PROGRAMME]


def test_queue_filters_by_reason_question_and_programme(store, fields):
    assert [e.item for e in q.waiting(store, fields, q.Filters(reason="ERASED"))] == [FAINT_ITEM]
    assert [e.item for e in q.waiting(store, fields, q.Filters(question="1"))] == [MULTIPLE_ITEM, WRITTEN_COMMENT]
    assert [e.item for e in q.waiting(store, fields, q.Filters(programme=q.UNKNOWN_PROGRAMME))] == ["programme"]
    assert q.waiting(store, fields, q.Filters(reason="ERASED", question="1")) == []


def test_decisions_leave_the_queue_and_reach_the_csvs(store, fields, template, out):
    first, second = _sheets(store)
    q.record_decision(store, fields, first, FAINT_ITEM, "1", "Ann", None)
    q.record_decision(store, fields, first, MULTIPLE_ITEM, "", "Ann", None, q.Outcome.INVALID)
    q.record_decision(store, fields, first, WRITTEN_COMMENT, "\nMore joint training please \n", "Ann", None)
    q.record_decision(store, fields, second, "programme", "Programme B", "Ann", None)
    assert q.waiting(store, fields) == []
    write_outputs(store, template, out)
    items = pd.read_csv(out / "items.csv", dtype=str).set_index(["sheet_id", "item"])
    for key in [(first, FAINT_ITEM), (first, MULTIPLE_ITEM), (first, WRITTEN_COMMENT), (second, "programme")]:
        assert items.loc[key, "status"] == "reviewed"
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False).set_index("sheet_id")
    assert responses.loc[first, FAINT_ITEM] == "1"
    assert responses.loc[first, MULTIPLE_ITEM] == ""
    assert responses.loc[first, WRITTEN_COMMENT] == "More joint training please"
    assert responses.loc[second, "programme"] == "Programme B"
    kept = store.db.execute("SELECT outcome, value_before, status_before, page_hash FROM decisions "
                            "WHERE item = ?", (MULTIPLE_ITEM,)).fetchone()
    assert tuple(kept)[:3] == ("invalid", "", "multiple") and kept["page_hash"]


def test_the_first_decision_stands_and_the_second_is_told(store, fields):
    first = _sheets(store)[0]
    ann = q.record_decision(store, fields, first, FAINT_ITEM, "1", "Ann", None)
    with pytest.raises(q.DecisionConflict) as caught:
        q.record_decision(store, fields, first, FAINT_ITEM, "2", "Bob", None)
    assert caught.value.current["reviewer"] == "Ann" and "Ann" in str(caught.value)
    assert q.current_decision(store, first, FAINT_ITEM)["value"] == "1"
    # Told, Bob may still change it, knowingly: against the decision he was shown.
    bob = q.record_decision(store, fields, first, FAINT_ITEM, "2", "Bob", ann["id"])
    assert q.current_decision(store, first, FAINT_ITEM)["id"] == bob["id"]
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 2  # nothing overwritten


def test_undo_restores_what_was_before(store, fields):
    first = _sheets(store)[0]
    one = q.record_decision(store, fields, first, FAINT_ITEM, "1", "Ann", None)
    two = q.record_decision(store, fields, first, FAINT_ITEM, "3", "Ann", one["id"])
    with pytest.raises(q.DecisionConflict):
        q.undo_decision(store, one["id"], "Ann")  # superseded: undo the later one first
    with pytest.raises(q.DecisionConflict):
        q.undo_decision(store, two["id"], "Bob")  # not Bob's
    assert q.undo_decision(store, two["id"], "Ann")["decision"]["id"] == one["id"]
    assert q.undo_decision(store, one["id"], "Ann")["decision"] is None
    assert FAINT_ITEM in [e.item for e in q.waiting(store, fields)]
    with pytest.raises(q.DecisionConflict):
        q.undo_decision(store, one["id"], "Ann")  # already undone
    with pytest.raises(q.UnknownItem):
        q.undo_decision(store, 999, "Ann")


@pytest.mark.parametrize(("item", "value", "outcome"), [
    (FAINT_ITEM, "7", None), (FAINT_ITEM, "one", None), (FAINT_ITEM, "1;2", None),
    (FAINT_ITEM, "1", q.Outcome.INVALID), ("programme", "Programme Z", None),
])
def test_values_the_item_cannot_take_are_refused(store, fields, item, value, outcome):
    sheet = _sheets(store)[0]
    with pytest.raises(q.InvalidDecision):
        q.record_decision(store, fields, sheet, item, value, "Ann", None, outcome)
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_decision_needs_a_reviewer_and_a_real_item(store, fields):
    sheet = _sheets(store)[0]
    with pytest.raises(q.InvalidDecision):
        q.record_decision(store, fields, sheet, FAINT_ITEM, "1", "  ", None)
    with pytest.raises(q.UnknownItem):
        q.record_decision(store, fields, sheet, "q99", "1", "Ann", None)
    with pytest.raises(q.UnknownItem):
        q.record_decision(store, fields, "nosuchsheet", FAINT_ITEM, "1", "Ann", None)


def test_a_stale_decision_comes_back_for_a_second_look(store, fields):
    first = _sheets(store)[0]
    decision = q.record_decision(store, fields, first, FAINT_ITEM, "1", "Ann", None)
    # What a re-scan with a changed page does (Store.save_sheet marks it; tested with the store).
    store.db.execute("UPDATE decisions SET stale = 1 WHERE id = ?", (decision["id"],))
    entry = next(e for e in q.waiting(store, fields) if e.item == FAINT_ITEM)
    assert entry.reason == q.STALE and entry.decision_id == decision["id"]
    assert q.item_detail(store, fields, first, FAINT_ITEM)["reason"] == q.STALE
    q.record_decision(store, fields, first, FAINT_ITEM, "1", "Ann", decision["id"])
    assert FAINT_ITEM not in [e.item for e in q.waiting(store, fields)]


def test_item_detail_shows_the_evidence_unless_blind(store, fields):
    first = _sheets(store)[0]
    detail = q.item_detail(store, fields, first, MULTIPLE_ITEM)
    assert detail["kind"] == "item" and detail["question"]["number"] == "1"
    assert detail["reason"] == "MULTIPLE" and detail["status"] == "multiple"
    scores = {o["code"]: o["score"] for o in detail["options"]}
    assert sum(s > 0.1 for s in scores.values()) == 2
    blind = q.item_detail(store, fields, first, MULTIPLE_ITEM, blind=True)
    assert "guess" not in blind and "evidence" not in blind
    assert all(o["score"] is None for o in blind["options"])
    programme = q.item_detail(store, fields, _sheets(store)[1], "programme")
    assert programme["paper_rgb"] and [o["label"] for o in programme["options"]][0] == "Programme A"


def test_check_sample_draws_unreviewed_ok_items(store, fields):
    sample = q.check_sample(store, fields, 10, seed=3)
    assert len(sample) == 10 and len({(e.sheet_id, e.item) for e in sample}) == 10
    assert all(e.kind != "comment" for e in sample)
    statuses = {r["item"]: r["status"] for r in store.db.execute("SELECT item, status FROM results")}
    assert all(statuses[e.item] == "ok" for e in sample)
    assert q.check_sample(store, fields, 10, seed=3) == sample
    assert len(q.check_sample(store, fields, 10_000)) < 10_000


def test_check_report_estimates_the_error_rate(store, fields):
    sample = q.check_sample(store, fields, 4, seed=1)
    for k, entry in enumerate(sample):
        detail = q.item_detail(store, fields, entry.sheet_id, entry.item)
        value = detail["guess"] if k else ""  # the first one disagrees
        q.record_decision(store, fields, entry.sheet_id, entry.item, value, "Ann", None, q.Outcome.CHECK)
    report = q.check_report(store)
    assert (report.checked, report.disagreed) == (4, 1)
    assert report.rate == 0.25 and (report.low, report.high) == pytest.approx(q.wilson(1, 4))
    assert all(e.item != sample[0].item or e.sheet_id != sample[0].sheet_id
               for e in q.check_sample(store, fields, 10_000))


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775), (1, 20, 0.0089, 0.2361), (5, 100, 0.0215, 0.1118), (3, 3, 0.4385, 1.0),
])
def test_wilson_interval_matches_known_values(k, n, low, high):
    assert q.wilson(k, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_of_nothing_is_everything():
    assert q.wilson(0, 0) == (0.0, 1.0)


def test_status_counts_by_reason_question_and_programme(store, fields):
    s = q.status(store, fields)
    assert s["waiting"] == 4 and s["decided"] == 0
    assert {r["reason"]: r["count"] for r in s["by_reason"]} == {"MULTIPLE": 1, "ERASED": 1, "NOT_READ": 1, "COLOUR": 1}
    assert s["by_question"] == {"1": 2, "2": 1, q.NO_QUESTION: 1}
    assert s["by_programme"] == {"Programme A": 3, q.UNKNOWN_PROGRAMME: 1}


def test_queue_status_refuses_a_folder_without_survey(template, tmp_path):
    with pytest.raises(UsageError, match="run `scan"):
        q.queue_status(tmp_path, template)


def test_item_crop_is_the_row_with_each_box_and_its_score(store, template):
    first = _sheets(store)[0]
    page, box = crops.region(template, MULTIPLE_ITEM)
    ref = crops.page_ref(store, first, page)
    renderer = crops.CropRenderer(template)
    scores = {"1": 0.3, "2": 0.0, "3": 0.3}
    png = renderer.item_png(ref, MULTIPLE_ITEM, scores, 0.045)
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (round(box[3] * crops.PX_PER_MM), round(box[2] * crops.PX_PER_MM))
    for b in crops.boxes_in_crop(template, MULTIPLE_ITEM):
        edge = image[b["y"] + b["h"] // 2, b["x"] - 3]  # on the outline, left of the box
        expected = crops.MARKED if scores[str(b["code"])] > 0.045 else crops.EMPTY
        assert tuple(int(v) for v in edge) == expected
    blind = cv2.imdecode(np.frombuffer(renderer.item_png(ref, MULTIPLE_ITEM), np.uint8), cv2.IMREAD_COLOR)
    b = crops.boxes_in_crop(template, MULTIPLE_ITEM)[0]
    assert tuple(int(v) for v in blind[b["y"] + b["h"] // 2, b["x"] - 3]) == crops.NEUTRAL
    thumb = cv2.imdecode(np.frombuffer(renderer.page_png(crops.page_ref(store, _sheets(store)[1], 1)), np.uint8),
                         cv2.IMREAD_COLOR)
    b, g, r = np.median(thumb.reshape(-1, 3), axis=0)
    assert r > b + 30  # the peach paper, in colour


def test_no_crop_when_the_page_file_moved_or_changed(store, template):
    first = _sheets(store)[0]
    ref = crops.page_ref(store, first, 1)
    renderer = crops.CropRenderer(template)
    with pytest.raises(crops.CropUnavailable, match="changed"):
        renderer.item_png(crops.PageRef(ref.source, ref.path, ref.page, "0" * 16, ref.transform), FAINT_ITEM)
    with pytest.raises(crops.CropUnavailable, match="no such file"):
        renderer.item_png(crops.PageRef(ref.source, ref.path + ".moved", ref.page, ref.content_hash, ref.transform),
                          FAINT_ITEM)
    with pytest.raises(crops.CropUnavailable, match="no form page 9"):
        crops.page_ref(store, first, 9)


def test_page_task_rebuilds_what_enumerate_pages_made(tmp_path, out):
    image = np.full((120, 90, 3), 230, np.uint8)
    cv2.imwrite(str(tmp_path / "one.png"), image)
    cv2.imwritemulti(str(tmp_path / "three.tif"), [image, image[:, :, 0], 255 - image])
    with Store(out) as store:
        pdf = Path(store.db.execute("SELECT path FROM pages LIMIT 1").fetchone()[0])
    files = [tmp_path / "one.png", tmp_path / "three.tif", pdf]
    for task in enumerate_pages(files):
        again = page_task(task.source, task.path, task.page)
        assert (again.kind, again.content_hash, again.data) == (task.kind, task.content_hash, task.data)
    with pytest.raises(InputFileError, match="no page 4"):
        page_task("three.tif", tmp_path / "three.tif", 4)
    with pytest.raises(InputFileError, match="no such file"):
        page_task("gone.png", tmp_path / "gone.png", 1)
