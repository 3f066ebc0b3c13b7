"""Several templates in one run: each page goes to its form, the outputs name each sheet's form.

The two forms are the shipped questionnaire (staff) and a parent version made here from
its first two pages: another form name and title, and its q01 asking something else
(so that the two forms' q01 must not share a column). One batch mixes questionnaires of
both, back to back, as a sheet feeder gives them.
"""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from scans import fill_in, filled_wordform, jpeg_pdf
from test_outputs import whole
from scanner.cli import app
from scanner.draft import draft_correspondence, draft_template, write_draft
from scanner.errors import UsageError
from scanner.forms import Forms
from scanner.pipeline import scan
from scanner.results import Reason
from scanner.store import Store
from scanner.template import Registration, Template, load_template, parse_template, template_yaml

DATA = Path(__file__).resolve().parent / "data"
DPI = 150
PARENT_Q01 = "How often do you bring your child to the centre?"


def parent_form(template_data: dict, markers: bool = True) -> Template:
    """The parent version: pages 1 and 2 of the shipped form, its own name and title, and
    a q01 that asks something else."""
    data = dict(template_data, form="surestart-parent", title="Sure Start: what parents think")
    data["pages"] = [p for p in template_data["pages"] if p["number"] in (1, 2)]
    for text in data["pages"][0]["texts"]:
        if text["style"] in ("title", "subtitle"):
            text["text"] = {"title": "What parents think of Sure Start",
                            "subtitle": "A questionnaire for parents who use the children's centre"}[text["style"]]
    data["items"] = [dict(i) for i in template_data["items"] if i["page"] in (1, 2)]
    next(i for i in data["items"] if i["id"] == "q01")["text"] = PARENT_Q01
    data["comments"] = [c for c in template_data["comments"] if c["page"] in (1, 2)]
    used = {i.get("question") for i in data["items"]} | {c.get("question") for c in data["comments"]}
    data["questions"] = [q for q in template_data["questions"] if q["number"] in used]
    parent = parse_template(data, "parent form")
    if not markers:
        parent = parent.model_copy(update={"registration": Registration(markers=False)})
    return parent


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _batch(forms: list[Template], order: list[int], path: Path, seed: int) -> tuple[Path, list[tuple[str, dict]]]:
    """One PDF of questionnaires of `forms` in `order` (indexes), each filled with known
    ticks (shifted by a seeded amount), with a blank page after the first; and each
    questionnaire's form and answers."""
    rng = random.Random(seed)
    images, truth = [], []
    for k, index in enumerate(order):
        t = forms[index]
        pages, answers = fill_in(t, DPI)
        images += [np.roll(p, (rng.randint(-8, 8), rng.randint(-8, 8)), axis=(0, 1)) for p in pages]
        if k == 0:
            images.append(np.full_like(pages[0], 255))
        truth.append((t.form, answers))
    path.write_bytes(jpeg_pdf(images))
    return path, truth


@pytest.fixture
def two_forms(template, template_data, tmp_path) -> tuple[Path, Path, Template, Template]:
    """The staff and parent templates as files in a folder of their own."""
    folder = tmp_path / "forms"
    folder.mkdir()
    parent = parent_form(template_data)
    (folder / "staff.yaml").write_text(template_yaml(template), encoding="utf-8")
    (folder / "parent.yaml").write_text(template_yaml(parent), encoding="utf-8")
    return folder / "staff.yaml", folder / "parent.yaml", template, parent


def _check_outputs(out: Path, truth: list[tuple[str, dict]], staff: Template, parent: Template) -> None:
    pages = _read(out / "pages.csv")
    assert [r["status"] for r in pages].count("blank") == 1
    assert all(r["status"] in ("used", "blank") for r in pages), [r["reason"] for r in pages]
    responses = _read(out / "responses.csv")
    assert [r["form"] for r in responses] == [form for form, _ in truth]
    columns = list(responses[0])
    assert columns[:5] == ["sheet_id", "source", "first_page", "programme", "colour"]
    # q01 asks two things: a column each; q02 asks the same on both forms: one column.
    assert f"{staff.form}.q01" in columns and f"{parent.form}.q01" in columns and "q01" not in columns
    assert "q02" in columns
    for row, (form, answers) in zip(responses, truth):
        for item, code in answers.items():
            column = f"{form}.{item}" if item == "q01" else item
            assert row[column] == str(code), (form, item)
        other = parent.form if form == staff.form else staff.form
        assert row[f"{other}.q01"] == ""
    items = _read(out / "items.csv")
    forms_of = {r["sheet_id"]: r["form"] for r in responses}
    assert {r["form"] for r in items} == {staff.form, parent.form}
    assert all(forms_of[r["sheet_id"]] == r["form"] for r in items)
    assert [r["form"] for r in _read(out / "sheets.csv")] == [form for form, _ in truth]
    # pages.csv names the form of each page's questionnaire; a page of none (the blank) none.
    assert all(r["form"] == (forms_of[r["sheet_id"]] if r["status"] == "used" else "") for r in pages)
    per_form = _read(out / f"responses-{parent.form}.csv")
    assert len(per_form) == sum(form == parent.form for form, _ in truth)
    assert "q01" in per_form[0] and "form" not in per_form[0]
    assert len({r["sheet_id"] for r in responses}) == len(truth)


@pytest.mark.parametrize("seed", [7, int.from_bytes(os.urandom(2), "big")])
def test_a_batch_of_two_marked_forms_is_read_each_page_as_its_own_form(two_forms, tmp_path, seed):
    """parent, staff, parent questionnaires back to back in one PDF (and a blank
    back), scanned with --template twice: every page is used or blank, each questionnaire
    is of its form with its ticks in its own columns."""
    staff_path, parent_path, staff, parent = two_forms
    batch, truth = _batch([staff, parent], [1, 0, 1], tmp_path / "batch.pdf", seed)

    result = CliRunner().invoke(app, ["scan", str(batch), "--template", str(staff_path), "--template",
                                      str(parent_path), "--out", str(tmp_path / "out"), "--jobs", "1",
                                      "--no-ocr", "--quiet"])

    assert result.exit_code == 0, result.output
    _check_outputs(tmp_path / "out", truth, staff, parent)
    with Store(tmp_path / "out") as store:  # the rows kept rendered are those of the whole survey's tables
        expected = whole(store, Forms.of([staff, parent]))
    for name, text in expected.items():
        assert (tmp_path / "out" / name).read_bytes() == text, name


def test_a_folder_of_templates_reads_both_forms_and_the_survey_keeps_its_set(two_forms, tmp_path):
    """--template FOLDER is every template in it; scanning again with the same set reuses
    every page and keeps each sheet's id; another set is refused, naming what differs."""
    staff_path, parent_path, staff, parent = two_forms
    batch, truth = _batch([staff, parent], [0, 1], tmp_path / "batch.pdf", 3)
    out = tmp_path / "out"
    first = scan([batch], Forms.of([staff, parent]), out, jobs=1, ocr=False)
    _check_outputs(out, truth, staff, parent)
    ids = [r["sheet_id"] for r in _read(out / "responses.csv")]

    runner = CliRunner()
    again = runner.invoke(app, ["scan", str(batch), "--template", str(staff_path.parent), "--out", str(out),
                                "--jobs", "1", "--no-ocr", "--json"])
    assert again.exit_code == 0, again.output
    assert [r["sheet_id"] for r in _read(out / "responses.csv")] == ids
    assert first.sheets == 2
    # Without --template: the survey's own two.
    assert runner.invoke(app, ["scan", str(batch), "--out", str(out), "--jobs", "1", "--no-ocr", "-q"]).exit_code == 0
    assert [r["sheet_id"] for r in _read(out / "responses.csv")] == ids

    with pytest.raises(UsageError, match=r"missing: surestart-parent 1"):
        scan([batch], Forms.of([staff, parent_form_of_other_name(parent)]), out, jobs=1, ocr=False)
    alone = runner.invoke(app, ["scan", str(batch), "--template", str(staff_path), "--out", str(out), "-q"])
    assert alone.exit_code == 2 and "surestart-multiagency 1 + surestart-parent 1" in alone.output


def parent_form_of_other_name(parent: Template) -> Template:
    return parent.model_copy(update={"form": "surestart-carers"})


def test_one_template_leaves_the_other_forms_pages_unrecognised_naming_their_form(two_forms, tmp_path):
    """Scanned with the staff form alone (as before), the parent pages are accounted for as
    another form's, and the outputs have no form column."""
    _, _, staff, parent = two_forms
    batch, truth = _batch([staff, parent], [0, 1], tmp_path / "batch.pdf", 5)
    scan([batch], staff, tmp_path / "out", jobs=1, ocr=False)
    pages = _read(tmp_path / "out" / "pages.csv")
    assert [r["status"] for r in pages] == ["used"] * 7 + ["blank"] + ["unrecognised"] * 2
    assert all("surestart-parent" in r["reason"] for r in pages[-2:])
    assert "form" not in _read(tmp_path / "out" / "responses.csv")[0]
    assert list(pages[0]) == ["source", "page", "status", "sheet_id", "reason", "form_page", "content_hash"]


def test_two_templates_of_one_form_are_refused(template):
    with pytest.raises(UsageError, match="two templates of form surestart-multiagency"):
        Forms.of([template, template])


def test_markerless_forms_each_page_goes_to_the_form_whose_print_it_matches(template, tmp_path):
    """The shipped form printed plain and the word-processor form (tests/data) drafted from
    its PDF, neither with markers: a batch of word form, plain form, word form is read
    each questionnaire as its own form, by its print."""
    plain = template.model_copy(update={"registration": Registration(markers=False)})
    write_draft(draft_template(DATA / "wordform.pdf"), tmp_path / "word.yaml")
    word = load_template(tmp_path / "word.yaml")
    truth = json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8"))
    fields = draft_correspondence(word, truth)
    images, expected = [], []
    for copy in range(2):
        pages, answers = filled_wordform(DATA / "wordform.pdf", truth, copy, DPI)
        images += pages
        expected.append((word.form, answers))
        if copy == 0:
            pages, answers = fill_in(plain, DPI)
            images += pages
            expected.append((plain.form, {item: str(code) for item, code in answers.items()}))
    batch = tmp_path / "batch.tif"
    assert cv2.imwritemulti(str(batch), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in images])

    scan([batch], Forms.of([plain, word]), tmp_path / "out", jobs=1, ocr=False)

    pages = _read(tmp_path / "out" / "pages.csv")
    assert [r["status"] for r in pages] == ["used"] * len(images), [r["reason"] for r in pages]
    responses = _read(tmp_path / "out" / "responses.csv")
    assert [r["form"] for r in responses] == [form for form, _ in expected]
    items = {(r["sheet_id"], r["item"]): r for r in _read(tmp_path / "out" / "items.csv")}
    for row, (form, answers) in zip(responses, expected):
        for item, code in answers.items():
            if form == word.form:
                drafted_id = next(d for d, (true_id, _) in fields.items() if true_id == item)
                read = items[row["sheet_id"], drafted_id]
                value = fields[drafted_id][1].get(read["value"], "")
                # As in test_markerless: bubbles a millimetre from a table's rule may not be located.
                assert (value, read["status"]) == (code, "ok") or read["reason"] == Reason.NOT_ALIGNED.value, item
            else:
                assert items[row["sheet_id"], item]["value"] == code, item


def test_a_markerless_page_two_forms_print_alike_is_unrecognised_naming_both(template, template_data, tmp_path):
    """The staff and parent versions printed plain: their page 1 differ in title and is
    told apart; their page 2 print the same, so a page 2 is unrecognised, naming both
    forms, never read as either."""
    plain = template.model_copy(update={"registration": Registration(markers=False)})
    parent = parent_form(template_data, markers=False)
    pages, _ = fill_in(parent, DPI)
    for k, page in enumerate(pages):
        cv2.imwrite(str(tmp_path / f"p{k + 1}.png"), page)

    scan([tmp_path / "p1.png", tmp_path / "p2.png"], Forms.of([plain, parent]), tmp_path / "out", jobs=1,
         ocr=False)

    first, second = _read(tmp_path / "out" / "pages.csv")
    assert first["status"] == "used"
    assert _read(tmp_path / "out" / "sheets.csv")[0]["form"] == parent.form
    assert second["status"] == "unrecognised"
    assert "cannot tell which form" in second["reason"]
    assert plain.form in second["reason"] and parent.form in second["reason"]


def test_exports_of_a_survey_of_two_forms_are_per_form(two_forms, tmp_path):
    """export, tabulate and report read one form at a time (--form), its questionnaires
    only; without --form they stop, naming the survey's forms."""
    from scanner.export import DATA_STEM

    _, _, staff, parent = two_forms
    batch, truth = _batch([staff, parent], [0, 1, 1], tmp_path / "batch.pdf", 11)
    out = tmp_path / "out"
    scan([batch], Forms.of([staff, parent]), out, jobs=1, ocr=False)
    runner = CliRunner()

    refused = runner.invoke(app, ["export", str(out)])
    assert refused.exit_code == 2
    assert "--form NAME (one of: surestart-multiagency, surestart-parent)" in " ".join(refused.output.split())
    assert runner.invoke(app, ["tabulate", str(out), "--form", "surestart-carers"]).exit_code == 2

    exported = runner.invoke(app, ["export", str(out), "--form", parent.form])
    assert exported.exit_code == 0, exported.output
    rows = _read(out / "export" / parent.form / f"{DATA_STEM}.csv")
    parents = [answers for form, answers in truth if form == parent.form]
    assert len(rows) == len(parents)
    assert [row["q01"] for row in rows] == [str(answers["q01"]) for answers in parents]
    assert "q08a" not in rows[0]  # an item of the staff form's page 3, not the parent form's
    report = runner.invoke(app, ["report", str(out), "--form", staff.form])
    assert report.exit_code == 0, report.output
    assert (out / f"report-{staff.form}.html").is_file()


def test_a_marked_page_whose_qr_code_is_gone_goes_to_the_form_its_print_tells(two_forms, tmp_path):
    """The parent form's pages with their QR codes torn off, in one file: page 1, whose
    title differs from the staff form's, is told by its print (the features it shares
    with each form's page 1); page 2, printed as the staff form's page 2, follows it and
    completes its questionnaire. The same page 2 alone in a file of its own is
    unrecognised, naming both forms, never read as either."""
    from scans import px

    _, _, staff, parent = two_forms
    pages, answers = fill_in(parent, DPI)
    x, y = parent.registration.qr_at_mm
    side = parent.registration.qr_size_mm
    for page in pages:
        page[px(y - 1): px(y + side + 1), px(x - 1): px(x + side + 1)] = 255
    (tmp_path / "parent.pdf").write_bytes(jpeg_pdf(pages))
    cv2.imwrite(str(tmp_path / "page2.png"), pages[1])

    scan([tmp_path / "parent.pdf", tmp_path / "page2.png"], Forms.of([staff, parent]), tmp_path / "out", jobs=1,
         ocr=False)

    first, second, alone = _read(tmp_path / "out" / "pages.csv")
    assert (first["status"], second["status"]) == ("used", "used"), (first["reason"], second["reason"])
    (row,) = _read(tmp_path / "out" / "responses.csv")
    assert row["form"] == parent.form and row["flags"] == ""
    assert row[f"{parent.form}.q01"] == str(answers["q01"])
    assert all(row[item] == str(code) for item, code in answers.items() if item != "q01")
    assert alone["status"] == "unrecognised"
    assert "cannot tell which form" in alone["reason"] and staff.form in alone["reason"]
    assert "follows no questionnaire" in alone["reason"]


@pytest.mark.parametrize("seed", [5, int.from_bytes(os.urandom(2), "big")])
def test_with_one_template_a_page_of_another_form_printed_alike_is_unrecognised_by_its_text(two_forms, tmp_path,
                                                                                           seed):
    """The parent form's page 1 (the staff form's layout, its own title, subtitle and q01
    text) with its QR code torn off, scanned with the staff template alone: its print
    agrees with the staff page 1's nearly whole, but lacks a line of its text, so it is
    `unrecognised`, never read as the staff form's. The staff form's own page 1, its QR
    code torn off too, is still read."""
    from scans import px

    _, _, staff, parent = two_forms
    rng = random.Random(seed)
    files = []
    for t in (parent, staff):
        page = np.roll(fill_in(t, DPI)[0][0], (rng.randint(-8, 8), rng.randint(-8, 8)), axis=(0, 1))
        x, y = t.registration.qr_at_mm
        side = t.registration.qr_size_mm
        page[px(y - 1): px(y + side + 1), px(x - 1): px(x + side + 1)] = 255
        files.append(tmp_path / f"{t.form}.png")
        cv2.imwrite(str(files[-1]), page)

    scan(files, staff, tmp_path / "out", jobs=1, ocr=False)

    foreign, own = _read(tmp_path / "out" / "pages.csv")
    assert foreign["status"] == "unrecognised", (seed, foreign)
    assert "its print differs from form page 1's" in foreign["reason"], (seed, foreign["reason"])
    assert (own["status"], own["form_page"]) == ("used", "1"), (seed, own)
