"""The library API (`import scanner`): a scanned survey with known answers (analysis_survey)
read back through `scanner.open_survey`, and `scanner.scan`'s arguments."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import scanner
from scanner.dataset import Missing
from scanner.errors import TemplateError, UsageError
from scanner.review.queue import Fields, queue_status, record_decision, waiting
from scanner.store import Store
from scanner.template import parse_template


@pytest.fixture(scope="module")
def opened(survey):
    return scanner.open_survey(survey.out)


def test_open_survey_reads_with_the_survey_s_own_template(opened, template):
    assert opened.template == template


def test_responses_hold_the_batch_truth_as_codes(survey, opened):
    data = opened.responses()
    assert list(data["sheet_id"]) == survey.sheet_ids
    for k, truth in enumerate(survey.truth):
        for item, code in truth["codes"].items():
            value = data.at[k, item]
            if code < 0:
                assert value is pd.NA, (k, item)  # missing, whatever the reason: NA, never a code
            else:
                assert value == code, (k, item)
        for zone, text in truth["comments"].items():
            assert data.at[k, zone] == text


def test_labelled_responses_are_ordered_categoricals_in_the_form_s_order(survey, opened, template):
    data = opened.responses(labels=True)
    agree = [o.label for o in template.scales["agree5"].options]
    q07a = data["q07a"]
    assert q07a.dtype == pd.CategoricalDtype(agree, ordered=True)
    programme = data["programme"]
    assert programme.cat.ordered
    assert list(programme.cat.categories[:len(template.colours)]) == [c.programme for c in template.colours]
    for k, truth in enumerate(survey.truth):
        assert (programme[k] if pd.notna(programme[k]) else None) == truth["programme"]
        code = truth["codes"]["q07a"]
        assert (q07a[k] if pd.notna(q07a[k]) else None) == (agree[code - 1] if code > 0 else None)
    # Ordered: a label compares by its place on the scale.
    assert ((q07a >= "Agree") == q07a.isin(["Agree", "Strongly agree"])).all()


def test_items_pages_sheets_comments_and_codebook_are_the_dataset_s(survey, opened, dataset):
    pd.testing.assert_frame_equal(opened.items(), dataset.cells)
    pd.testing.assert_frame_equal(opened.pages(), dataset.pages)
    pd.testing.assert_frame_equal(opened.sheets(), dataset.sheets)
    pd.testing.assert_frame_equal(opened.comments(), dataset.comments)
    codebook = opened.codebook()
    assert list(codebook["variable"]) == [v.name for v in dataset.variables]
    pending = {(survey.sheet_ids[k], z) for k, t in enumerate(survey.truth) for z in t["pending"]}
    written = opened.comments()
    assert pending <= set(zip(written["sheet_id"], written["comment"]))


def test_queue_is_the_review_queue_as_it_stands(survey, opened, template):
    queue = opened.queue()
    status = queue_status(survey.out, template)
    assert queue.status == status
    assert queue.decided == status["decided"] > 0
    assert sum(queue.by_reason.values()) == status["waiting"] == len(queue.waiting) > 0
    with Store(survey.out) as store:
        entries = waiting(store, Fields(template))
    assert list(zip(queue.waiting["sheet_id"], queue.waiting["item"])) == [(e.sheet_id, e.item) for e in entries]
    assert list(queue.waiting.columns) == ["sheet_id", "item", "kind", "reason", "question", "programme"]


def test_each_call_reads_the_folder_as_it_is_now(survey, template, tmp_path):
    out = shutil.copytree(survey.out, tmp_path / "out")
    opened = scanner.open_survey(out)
    before = opened.queue()
    first = before.waiting.iloc[0]
    with Store(out) as store:
        record_decision(store, Fields(template), first["sheet_id"], first["item"], "", "tester", None)
    after = opened.queue()
    assert (first["sheet_id"], first["item"]) not in set(zip(after.waiting["sheet_id"], after.waiting["item"]))
    assert (after.decided, len(after.waiting)) == (before.decided + 1, len(before.waiting) - 1)
    items = opened.items()
    row = items[(items["sheet_id"] == first["sheet_id"]) & (items["item"] == first["item"])].iloc[0]
    assert row["status"] == "reviewed"


def test_open_survey_refuses_a_folder_without_a_survey_and_a_template_of_another_form(survey, template, tmp_path):
    with pytest.raises(UsageError, match="no scan results"):
        scanner.open_survey(tmp_path)
    other = parse_template({**template.model_dump(mode="json"), "form": "another-form"})
    with pytest.raises(TemplateError, match="another-form"):
        scanner.open_survey(survey.out, other)


def test_scan_takes_one_path_and_a_template_s_name(tmp_path):
    summary = scanner.scan(tmp_path / "missing.pdf", template="surestart", out=tmp_path / "out", ocr=False, jobs=1)
    assert not summary.ok and summary.sheets == 0
    assert "missing.pdf" in summary.failed[0]
    assert (tmp_path / "out" / "pages.csv").is_file()
    with pytest.raises(UsageError, match="no input files"):
        scanner.scan([], template="surestart", out=tmp_path / "out")
    with pytest.raises(TemplateError):
        scanner.scan(tmp_path / "missing.pdf", template="no-such-form", out=tmp_path / "other")
