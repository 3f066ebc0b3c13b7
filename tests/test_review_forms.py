"""Review and colours of a survey of several forms: one queue, each item as its own form prints it.

The survey is the shipped questionnaire (staff) and a parent version (`test_forms.parent_form`)
whose q01 asks something else on a scale of its own, one questionnaire of each on yellow
paper, both with the review survey's doubts (two boxes ticked on q01, a light tick on q02).
A reviewer settles each form's q01 in real headless Chromium (Debian's /usr/bin/chromium
through Playwright); the store and the CSVs must then say what was decided, in the right
form's columns.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from chromium import PAGE_TIMEOUT_MS, launched, needs_chromium
from review_survey import (DPI, MULTIPLE_ITEM, WRITTEN_COMMENT, YELLOW, copy_survey, draw_sheet, running,
                           write_pdf)
from test_forms import PARENT_Q01, parent_form
from test_review_browser import press_and_wait, shown, signed_in
from typer.testing import CliRunner

from scanner.cli import app
from scanner.forms import Forms
from scanner.pipeline import scan
from scanner.render import page_raster
from scanner.store import Store
from scanner.template import Template

PARENT_LABELS = ("Never", "Sometimes", "Every week")


def _parent(template_data: dict) -> Template:
    """The parent form, its q01 on a scale of its own (same codes, other labels)."""
    template_data["scales"]["often3"] = {"options": [{"code": k + 1, "label": label}
                                                     for k, label in enumerate(PARENT_LABELS)]}
    next(i for i in template_data["items"] if i["id"] == MULTIPLE_ITEM)["scale"] = "often3"
    return parent_form(template_data)


def _survey(forms: list[Template], folder: Path) -> Path:
    """One questionnaire of each form, with doubts, scanned into `folder / "out"`."""
    jpegs = []
    for t in forms:
        jpegs += draw_sheet(t, {p: page_raster(t, p, DPI) for p in t.page_numbers}, YELLOW, doubts=True)
    pdf = write_pdf(folder / "batch.pdf", jpegs, forms[0].page_size_mm)
    scan([pdf], Forms.of(forms), folder / "out", jobs=1, ocr=False)
    return folder / "out"


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _crop_shown(page) -> None:
    page.wait_for_function("document.querySelector('#crop img') && document.querySelector('#crop img').complete"
                           " && document.querySelector('#crop img').naturalWidth > 0")


@pytest.fixture(scope="module")
def two_forms_scanned(template, template_path, tmp_path_factory) -> tuple[Path, Template, Template]:
    """The survey of two forms, scanned once for the module."""
    parent = _parent(yaml.safe_load(template_path.read_text(encoding="utf-8")))
    return _survey([template, parent], tmp_path_factory.mktemp("two-forms")), template, parent


@pytest.fixture
def two_forms(two_forms_scanned, tmp_path) -> tuple[Path, Template, Template]:
    """A copy of the scanned survey for each test to change (decisions, codings)."""
    out, staff, parent = two_forms_scanned
    return copy_survey(out, tmp_path / "out"), staff, parent


@needs_chromium
def test_a_reviewer_settles_an_item_of_each_form_as_its_own_form_prints_it(two_forms):
    out, staff, parent = two_forms
    with Store(out) as store:
        sheet_of = {form: sheet for sheet, form in store.db.execute("SELECT sheet_id, form FROM sheets ORDER BY seq")}
    staff_sheet, parent_sheet = sheet_of[staff.form], sheet_of[parent.form]
    staff_q01 = next(i for i in staff.items if i.id == MULTIPLE_ITEM)

    with launched() as browser, running(out, Forms.of([staff, parent])) as server:
        page = browser.new_page(bypass_csp=True)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.login_url())
        # The heading names the forms once the page's script has asked the server: under
        # load that is after `goto` returns (CI saw "Review" alone).
        label = f"Review: {Forms.of([staff, parent]).label}"
        page.wait_for_function("label => document.querySelector('#form').innerText === label", arg=label)
        page.fill("#name-input", "Ann")
        page.press("#name-input", "Enter")
        page.wait_for_function("document.querySelector('#item').dataset.key")

        # The staff form's q01: its text and labels, the form named.
        assert shown(page) == f"{staff_sheet}/{MULTIPLE_ITEM}"
        text = page.inner_text("#item")
        assert staff_q01.text in text and f"form {staff.form}" in text and "more than one box marked" in text
        assert "Facilitates" in text and PARENT_Q01 not in text and PARENT_LABELS[2] not in text
        _crop_shown(page)
        press_and_wait(page, "2")

        # Past the staff sheet's other doubts, without deciding them, to the parent's q01.
        while shown(page) != f"{parent_sheet}/{MULTIPLE_ITEM}":
            assert shown(page).startswith(f"{staff_sheet}/") or shown(page).startswith(f"{parent_sheet}/")
            page.keyboard.press("Escape")  # out of a comment's text box, if one has the focus
            press_and_wait(page, "ArrowRight")
        text = page.inner_text("#item")
        assert PARENT_Q01 in text and f"form {parent.form}" in text and "more than one box marked" in text
        assert all(label in text for label in PARENT_LABELS) and "Facilitates" not in text
        _crop_shown(page)
        press_and_wait(page, "3")
        assert errors == []

    with Store(out) as store:
        decisions = [dict(r) for r in store.db.execute("SELECT sheet_id, item, value, reviewer, status_before "
                                                       "FROM decisions ORDER BY id")]
    assert decisions == [
        {"sheet_id": staff_sheet, "item": MULTIPLE_ITEM, "value": "2", "reviewer": "Ann", "status_before": "multiple"},
        {"sheet_id": parent_sheet, "item": MULTIPLE_ITEM, "value": "3", "reviewer": "Ann",
         "status_before": "multiple"}]
    rows = {r["sheet_id"]: r for r in _read(out / "responses.csv")}
    assert rows[staff_sheet][f"{staff.form}.{MULTIPLE_ITEM}"] == "2"
    assert rows[parent_sheet][f"{parent.form}.{MULTIPLE_ITEM}"] == "3"
    assert rows[staff_sheet][f"{parent.form}.{MULTIPLE_ITEM}"] == rows[parent_sheet][f"{staff.form}.{MULTIPLE_ITEM}"] == ""
    items = {(r["sheet_id"], r["item"]): r for r in _read(out / "items.csv")}
    for sheet, form, value in ((staff_sheet, staff.form, "2"), (parent_sheet, parent.form, "3")):
        row = items[(sheet, MULTIPLE_ITEM)]
        assert (row["value"], row["status"], row["form"]) == (value, "reviewed", form)
    # Each form's own file, with its ids as they are, says the same.
    assert _read(out / f"responses-{parent.form}.csv")[0][MULTIPLE_ITEM] == "3"


def test_review_status_and_colours_read_a_survey_of_two_forms(two_forms):
    """`review --status` counts the queue of both forms; `colours` calibrates the sheets of
    every form as one batch (the two forms share their paper colours); `--template` is
    refused (the survey is read with its own templates)."""
    out, staff, parent = two_forms
    runner = CliRunner()
    status = runner.invoke(app, ["review", str(out), "--status", "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    with Store(out) as store:
        waiting = store.db.execute("SELECT COUNT(*) FROM results WHERE status IN ('review', 'multiple')").fetchone()[0]
    assert report["waiting"] == waiting and sum(report["by_form"].values()) == waiting
    assert set(report["by_form"]) == {staff.form, parent.form}
    # Both forms number their questions alike: each question is named by its form.
    assert {key.split(" · ")[0] for key in report["by_question"]} == {staff.form, parent.form}
    assert sum(report["by_question"].values()) == waiting
    text = runner.invoke(app, ["review", str(out), "--status"]).output
    assert "By form:" in text and f"{parent.form} · 1: " in text

    colours = runner.invoke(app, ["colours", str(out), "--json"])
    assert colours.exit_code == 0, colours.output
    shown = json.loads(colours.output)
    # Two sheets make no cluster: each is loose, of either form.
    assert shown["clusters"] == [] and shown["loose_sheets"] == 2

    refused = runner.invoke(app, ["review", str(out), "--template", "surestart", "--status"])
    assert refused.exit_code == 2 and "leave out --template" in " ".join(refused.output.split())


def test_colours_refuse_a_survey_whose_forms_are_on_different_papers(template, template_data, tmp_path):
    """Forms printed on different paper colours are not calibrated as one batch: `colours`
    says so rather than match one form's sheets to another's colours."""
    data = dict(template_data, colours=[c for c in template_data["colours"] if c["name"] in ("yellow", "pink")])
    parent = _parent(data)
    assert parent.colours != template.colours
    out = _survey([template, parent], tmp_path)
    result = CliRunner().invoke(app, ["colours", str(out)])
    assert result.exit_code == 2 and "different paper colours" in " ".join(result.output.split())


@needs_chromium
def test_the_filters_name_the_form_of_each_question_in_a_survey_of_two_forms(two_forms):
    """Both forms number their questions alike (the parent's q01 is its question 1 too):
    the question filter lists each form's question apart, named by its form, and the
    queue then holds that form's items only; the form filter holds one form's."""
    out, staff, parent = two_forms
    with Store(out) as store:
        sheet_of = {form: sheet for sheet, form in store.db.execute("SELECT sheet_id, form FROM sheets ORDER BY seq")}
    question = next(i.question for i in parent.items if i.id == MULTIPLE_ITEM)

    def listed(page) -> list[str]:
        return page.evaluate("() => state.list.map((e) => `${e.sheet_id}/${e.item}`)")

    with launched() as browser, running(out, Forms.of([staff, parent])) as server:
        page, errors = signed_in(browser, server)
        everything = listed(page)
        assert {key.split("/")[0] for key in everything} == set(sheet_of.values())

        options = page.eval_on_selector_all("#f-question option", "os => os.map((o) => [o.value, o.textContent])")
        ones = {form: [(value, text) for value, text in options
                       if text.startswith(f"{form} ") and f" {question} (" in text]
                for form in (staff.form, parent.form)}
        assert all(len(found) == 1 for found in ones.values()), options
        assert ones[staff.form][0][0] != ones[parent.form][0][0]

        for form in (parent.form, staff.form):
            value, text = ones[form][0]
            page.select_option("#f-question", value)
            page.wait_for_function("s => state.list.length && state.list.every((e) => e.sheet_id === s)",
                                   arg=sheet_of[form])
            keys = listed(page)
            assert keys and all(key.startswith(f"{sheet_of[form]}/") for key in keys), (form, keys)
            assert f"({len(keys)})" in text
            assert MULTIPLE_ITEM in {key.split("/")[1] for key in keys}
        page.select_option("#f-question", "")
        page.wait_for_function("n => state.list.length === n", arg=len(everything))

        assert page.is_visible("#f-form")
        page.select_option("#f-form", parent.form)
        page.wait_for_function("n => state.list.length !== n", arg=len(everything))
        keys = listed(page)
        assert keys == [key for key in everything if key.startswith(f"{sheet_of[parent.form]}/")]
        assert errors == []


@needs_chromium
def test_the_coding_view_names_each_question_by_its_form_and_filters_by_form(two_forms):
    """Both forms ask their question 1 for a comment: the coding view's question filter
    lists each form's apart, named by its form as the queue's is, and holds that form's
    comment only; its form filter holds one form's comments."""
    out, staff, parent = two_forms
    with Store(out) as store, store.transaction():
        sheet_of = {form: sheet for sheet, form in store.db.execute("SELECT sheet_id, form FROM sheets ORDER BY seq")}
        for form, text in ((staff.form, "More joint training please"), (parent.form, "The play group helps")):
            store.db.execute("UPDATE results SET value = ?, status = 'ok', reason = NULL, confidence = 0.95 "
                             "WHERE sheet_id = ? AND item = ?", (text, sheet_of[form], WRITTEN_COMMENT))
    question = next(c.question for c in parent.comments if c.id == WRITTEN_COMMENT)

    def listed(page) -> list[str]:
        return page.evaluate("() => state.coding.list.map((e) => e.sheet_id)")

    with launched() as browser, running(out, Forms.of([staff, parent])) as server:
        page, errors = signed_in(browser, server)
        page.keyboard.press("Shift+C")
        page.wait_for_function("document.querySelector('#card').dataset.key")
        assert sorted(listed(page)) == sorted(sheet_of.values())

        options = page.eval_on_selector_all("#c-question option", "os => os.map((o) => [o.value, o.textContent])")
        ones = {form: [value for value, text in options if text == f"{form} · {question}"]
                for form in (staff.form, parent.form)}
        assert all(len(found) == 1 for found in ones.values()), options
        for form in (parent.form, staff.form):
            page.select_option("#c-question", ones[form][0])
            page.wait_for_function("s => state.coding.list.length === 1 && state.coding.list[0].sheet_id === s",
                                   arg=sheet_of[form])
            page.wait_for_function("k => document.querySelector('#card').dataset.key === k",
                                   arg=f"{sheet_of[form]}/{WRITTEN_COMMENT}")
        page.select_option("#c-question", "")
        page.wait_for_function("() => state.coding.list.length === 2")

        assert page.is_visible("#c-form")
        page.select_option("#c-form", parent.form)
        page.wait_for_function("s => state.coding.list.length === 1 && state.coding.list[0].sheet_id === s",
                               arg=sheet_of[parent.form])
        assert errors == []
