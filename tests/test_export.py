"""Export: the labelled dataset, and SPSS/Stata/Excel/CSV/Parquet files read back against
the truth of a scanned batch (analysis_survey)."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml
from typer.testing import CliRunner

from scanner.assemble import Sheet
from scanner.cli import app
from scanner.colour import ColourDecision
from scanner.dataset import MISSING_LABELS, STATA_MISSING, Missing, open_dataset
from scanner.errors import ExitCode, TemplateError, UnresolvedItemsError, UsageError
from scanner.export import WRITERS, export
from scanner.results import FieldResult, Reason, Status
from scanner.store import Store
from scanner.tabulate import group_labels
from scanner.template import parse_template


@pytest.fixture(scope="module")
def exported(dataset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    result = export(dataset, folder, list(WRITERS))
    return folder, result


def _programme_code(dataset, name):
    return {label: code for code, label in dataset.variable("programme").values}.get(name, int(Missing.UNRESOLVED))


def test_dataset_holds_the_batch_truth(survey, dataset):
    assert list(dataset.data["sheet_id"]) == survey.sheet_ids
    for k, truth in enumerate(survey.truth):
        row = dataset.data.iloc[k]
        assert row["programme"] == _programme_code(dataset, truth["programme"])
        for item, code in truth["codes"].items():
            assert row[item] == int(code), (k, item)
        for zone, text in truth["comments"].items():
            assert row[zone] == text
        for zone in truth["pending"]:
            assert row[zone] == ""  # waiting for review: no text in the data yet
    kinds = {int(c) for c in dataset.data[[v.name for v in dataset.coded]].stack()}
    assert {int(Missing.BLANK), int(Missing.MULTIPLE), int(Missing.UNRESOLVED)} <= kinds


def test_labels_carry_item_text_and_question_stem(dataset):
    q07a = dataset.variable("q07a")
    assert q07a.label.startswith("Q7. In practice, budgets and financial arrangements")
    assert q07a.label.endswith("Concern about conflicts within or between agencies that provide Sure Start staff")
    assert dataset.variable("q06").label.startswith("Q6. There is a need for development of a common language")
    assert dataset.variable("role").value_labels[3] == "Partnership board member (parent or community)"
    assert dataset.variable("programme").value_labels[1] == "Programme A"


def test_spss_round_trip(survey, dataset, exported):
    folder, _ = exported
    df, meta = pyreadstat.read_sav(folder / "data.sav", user_missing=True)
    assert list(df["sheet_id"]) == survey.sheet_ids
    for k, truth in enumerate(survey.truth):
        assert df.loc[k, "programme"] == _programme_code(dataset, truth["programme"])
        for item, code in truth["codes"].items():
            assert df.loc[k, item] == int(code), (k, item)
        for zone, text in truth["comments"].items():
            assert df.loc[k, zone] == text
    labels = meta.column_names_to_labels
    assert labels["q07b"] == dataset.variable("q07b").label
    assert labels["programme"] == "Programme (told from the paper colour)"
    missing = {float(m): MISSING_LABELS[m] for m in Missing}
    assert meta.variable_value_labels["q01"] == {1.0: "Hinders", 2.0: "No particular influence",
                                                 3.0: "Facilitates"} | missing
    assert meta.variable_value_labels["programme"][5.0] == "Agency-wide (Lead Agency / Accountable Body)"
    for name in ("q01", "role", "programme", "q20c"):
        assert meta.missing_ranges[name] == [{"lo": float(min(Missing)), "hi": float(max(Missing))}]
    # Read as SPSS does by default: the user-missing codes are missing, not numbers.
    plain, _ = pyreadstat.read_sav(folder / "data.sav")
    for k, truth in enumerate(survey.truth):
        for item, code in truth["codes"].items():
            assert pd.isna(plain.loc[k, item]) if code < 0 else plain.loc[k, item] == code


def test_stata_round_trip(survey, dataset, exported):
    folder, _ = exported
    df, meta = pyreadstat.read_dta(folder / "data.dta", user_missing=True)
    letters = {int(m): STATA_MISSING[m] for m in Missing}
    for k, truth in enumerate(survey.truth):
        programme = _programme_code(dataset, truth["programme"])
        assert df.loc[k, "programme"] == (letters[programme] if programme < 0 else programme)
        for item, code in truth["codes"].items():
            expected = letters[int(code)] if code < 0 else int(code)
            assert df.loc[k, item] == expected, (k, item)
        for zone, text in truth["comments"].items():
            assert df.loc[k, zone] == text
    assert meta.column_names_to_labels["q07a"].startswith("Q7: Concern about conflicts")
    assert all(len(label) <= 80 for label in meta.column_names_to_labels.values() if label)
    assert meta.variable_value_labels["q07a"] == {
        1: "Strongly disagree", 2: "Disagree", 3: "Not sure", 4: "Agree", 5: "Strongly agree",
        "a": MISSING_LABELS[Missing.BLANK], "b": MISSING_LABELS[Missing.MULTIPLE],
        "c": MISSING_LABELS[Missing.UNRESOLVED], "d": MISSING_LABELS[Missing.UNKNOWN]}
    plain, _ = pyreadstat.read_dta(folder / "data.dta")
    blank = next((k, i) for k, t in enumerate(survey.truth) for i, c in t["codes"].items() if c == Missing.BLANK)
    assert pd.isna(plain.loc[blank[0], blank[1]])


def test_csv_xlsx_parquet_and_codebook(survey, dataset, exported):
    folder, result = exported
    names = {p.name for p in result.files}
    assert names == {"data.csv", "data.xlsx", "data.sav", "data.dta", "data.parquet", "codebook.csv",
                     "codebook.json", "comments.csv", "comments.xlsx", "comments.qdpx"}
    csv = pd.read_csv(folder / "data.csv", dtype={"sheet_id": str})
    first = survey.truth[0]
    for item, code in first["codes"].items():
        assert pd.isna(csv.loc[0, item]) if code < 0 else csv.loc[0, item] == code
    sheets = pd.read_excel(folder / "data.xlsx", sheet_name=None)
    assert list(sheets) == ["data", "labelled", "codebook", "comments"]
    assert sheets["labelled"].loc[0, "programme"] == "Programme A"
    parquet = pd.read_parquet(folder / "data.parquet")
    assert isinstance(parquet["q07a"].dtype, pd.CategoricalDtype)
    assert list(parquet["q07a"].cat.categories) == ["Strongly disagree", "Disagree", "Not sure", "Agree",
                                                    "Strongly agree"]
    book = json.loads((folder / "codebook.json").read_text(encoding="utf-8"))
    assert book["form"] == "surestart-multiagency" and book["sheets"] == len(survey.truth)
    assert [m["code"] for m in book["missing"]] == [-1, -2, -3, -4]
    q01 = next(v for v in book["variables"] if v["name"] == "q01")
    truth_blank = sum(t["codes"]["q01"] == Missing.BLANK for t in survey.truth)
    assert q01["counts"]["blank"] == truth_blank
    assert q01["counts"]["valid"] == sum(t["codes"]["q01"] > 0 for t in survey.truth)
    table = pd.read_csv(folder / "codebook.csv")
    values = table.set_index("variable").loc["q01", "values"]
    assert values == "1 = Hinders; 2 = No particular influence; 3 = Facilitates"


def test_comments_one_row_per_written_comment(survey, dataset, exported):
    folder, _ = exported
    comments = pd.read_csv(folder / "comments.csv", dtype=str, keep_default_na=False)
    written = sum(len(t["comments"]) + len(t["pending"]) for t in survey.truth)
    assert len(comments) == written
    assert list(comments.columns[:8]) == ["sheet_id", "programme", "role", "question", "stem", "comment", "prompt",
                                          "text"]
    typed = comments[comments["status"] == "reviewed"]
    assert len(typed) == sum(len(t["comments"]) for t in survey.truth)
    row = typed[typed["comment"] == "q07_comment"].iloc[0]
    assert row["question"] == "7" and row["stem"].startswith("In practice, budgets")
    pending = comments[comments["status"] == "review"]
    assert set(pending["comment"]) == {z for t in survey.truth for z in t["pending"]}
    assert all((survey.out / crop).is_file() for crop in pending["crop"])
    assert pd.read_excel(folder / "comments.xlsx").shape[0] == written


def test_unresolved_answers_warn_or_fail(dataset, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="scanner.export"):
        result = export(dataset, tmp_path / "a", ["csv"])
    assert result.unresolved_total > 0
    assert f"{result.unresolved_total} answers still wait for review" in caplog.text
    with pytest.raises(UnresolvedItemsError, match="still wait for review"):
        export(dataset, tmp_path / "b", ["sav"], require_reviewed=True)
    assert not (tmp_path / "b").exists()


def test_cli_export(survey, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["export", str(survey.out), "-f", "sav", "-f", "dta", "-o", str(tmp_path / "x"), "--json"])
    assert res.exit_code == 0, res.output
    files = json.loads(res.stdout)["files"]
    assert {Path(f).name for f in files} >= {"data.sav", "data.dta", "codebook.json", "comments.csv"}
    res = runner.invoke(app, ["export", str(survey.out), "--require-reviewed", "-o", str(tmp_path / "y")])
    assert res.exit_code == ExitCode.UNRESOLVED == 5
    assert "still wait for review" in res.output
    res = runner.invoke(app, ["export", str(tmp_path / "nothing-here")])
    assert res.exit_code == ExitCode.USAGE and "no scan results" in res.output


def test_template_found_from_the_survey(survey, template_data, tmp_path):
    assert open_dataset(survey.out).form == "surestart-multiagency"  # the template kept in the store
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(dict(template_data, form="another-form")), encoding="utf-8")
    with pytest.raises(TemplateError, match="another-form"):
        open_dataset(survey.out, other)
    with pytest.raises(UsageError, match="no scan results"):
        open_dataset(tmp_path / "empty")


def _save(store: Store, sheet_id: str, results: dict[str, tuple[str, Status]], programme: str = "Programme B",
          crops: dict[str, str] | None = None) -> None:
    """A sheet's results straight into the store, as the scan would save them."""
    sheet = Sheet(sheet_id, "direct.pdf", 1, None)
    sheet.colour = ColourDecision("pink", programme, 1.0, None, (250, 205, 222))
    sheet.results = [FieldResult("programme", programme, Status.OK, 1.0)] + [
        FieldResult(item, value, status, 0.9, Reason.MULTIPLE if status is Status.MULTIPLE else None)
        for item, (value, status) in results.items()]
    store.save_sheet(sheet, crops or {})


def test_comments_are_those_known_to_be_written(template, tmp_path):
    """Text in force, or an image waiting for review; not a zone whose page is missing
    (a crop of None once broke the report: NaN taken for a path). Text that starts with
    "=" stays text in Excel, not a formula."""
    out = tmp_path / "out"
    with Store(out) as store:
        store.set_meta("form", f"{template.form} {template.version}")
        _save(store, "s1", {"q01_comment": ("=> Helpful", Status.OK), "q02_comment": ("", Status.REVIEW),
                            "q03_comment": ("", Status.REVIEW), "q04_comment": ("", Status.BLANK)},
              crops={"q02_comment": "crops/s1/q02_comment.jpg"})
    ds = open_dataset(out, template)
    assert ds.comments[["comment", "status", "crop"]].values.tolist() == [
        ["q01_comment", "ok", ""], ["q02_comment", "review", "crops/s1/q02_comment.jpg"]]
    assert ds.data.loc[0, "q01_comment"] == "=> Helpful"
    export(ds, tmp_path / "x", ["xlsx"])
    assert pd.read_excel(tmp_path / "x" / "comments.xlsx").loc[0, "text"] == "=> Helpful"
    assert pd.read_excel(tmp_path / "x" / "data.xlsx", sheet_name="data").loc[0, "q01_comment"] == "=> Helpful"


def test_several_answers_item_and_invalid_decision(template_data, tmp_path):
    """A several-answers item becomes one 0/1 variable per option; a reviewer's `invalid`
    decision on a one-answer item is exported as several-marked (-2), not blank."""
    template_data["items"][1]["multiple"] = True  # q01
    t = parse_template(template_data)
    out = tmp_path / "out"
    with Store(out) as store:
        store.set_meta("form", f"{t.form} {t.version}")
        _save(store, "s1", {"q01": ("1;3", Status.OK), "q02": ("", Status.MULTIPLE)})
        _save(store, "s2", {"q01": ("", Status.BLANK), "q02": ("2", Status.OK)})
        _save(store, "s3", {"q01": ("", Status.REVIEW), "q02": ("3", Status.OK)})
        store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at, outcome) "
                         "VALUES ('s1', 'q02', '', 'ann', ?, 'invalid')", (datetime.now(timezone.utc).isoformat(),))
    ds = open_dataset(out, t)
    assert [v.name for v in ds.variables if v.item == "q01"] == ["q01_1", "q01_2", "q01_3"]
    assert ds.data[["q01_1", "q01_2", "q01_3"]].values.tolist() == [[1, 0, 1], [-1, -1, -1], [-3, -3, -3]]
    assert ds.data["q02"].tolist() == [-2, 2, 3]
    assert ds.variable("q01_3").label.endswith("LA structures and boundaries: Facilitates")
    export(ds, tmp_path / "x", ["sav", "dta", "parquet"])
    df, meta = pyreadstat.read_sav(tmp_path / "x" / "data.sav", user_missing=True)
    assert df["q01_1"].tolist() == [1, -1, -3]
    assert meta.variable_value_labels["q01_1"][1.0] == "Marked"
    assert pd.read_parquet(tmp_path / "x" / "data.parquet")["q01_3"].tolist() == [True, pd.NA, pd.NA]


def test_a_programme_settled_as_unknown_is_not_waiting(template, tmp_path):
    """A reviewer's "unknown" (key 0) on a programme is a settled answer: it has a missing
    code of its own, labelled so, and tabulate names it; only the undecided one waits."""
    out = tmp_path / "out"
    with Store(out) as store:
        store.set_meta("form", f"{template.form} {template.version}")
        _save(store, "s1", {"q01": ("1", Status.OK)}, programme="Programme A")
        for sheet in ("s2", "s3"):
            _save(store, sheet, {"q01": ("2", Status.OK)}, programme="")
            store.db.execute("UPDATE results SET status = 'review' WHERE sheet_id = ? AND item = 'programme'",
                             (sheet,))
        store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at, outcome) "
                         "VALUES ('s2', 'programme', '', 'ann', ?, 'blank')",
                         (datetime.now(timezone.utc).isoformat(),))
    ds = open_dataset(out, template)
    assert ds.data["programme"].tolist() == [1, int(Missing.UNKNOWN), int(Missing.UNRESOLVED)]
    assert ds.unresolved()["programme"] == 1
    export(ds, tmp_path / "x", ["sav", "dta"])
    df, meta = pyreadstat.read_sav(tmp_path / "x" / "data.sav", user_missing=True)
    assert meta.variable_value_labels["programme"][float(Missing.UNKNOWN)] == MISSING_LABELS[Missing.UNKNOWN]
    assert "unknown" in MISSING_LABELS[Missing.UNKNOWN].lower() and "waiting" not in MISSING_LABELS[Missing.UNKNOWN]
    plain, _ = pyreadstat.read_sav(tmp_path / "x" / "data.sav")
    assert plain["programme"].isna().tolist() == [False, True, True]  # declared missing, all of them
    df, meta = pyreadstat.read_dta(tmp_path / "x" / "data.dta", user_missing=True)
    assert df["programme"].tolist()[1] == STATA_MISSING[Missing.UNKNOWN] != STATA_MISSING[Missing.UNRESOLVED]
    assert list(group_labels(ds, ds.variable("programme"))) == [
        "Programme A", "(programme unknown)", "(programme unresolved)"]


def test_missing_codes_are_no_scale_code(template):
    codes = {o.code for scale in template.scales.values() for o in scale.options}
    assert not codes & {int(m) for m in Missing}


def test_store_untouched_by_export(survey, dataset, tmp_path):
    before = sqlite3.connect(survey.out / "survey.sqlite").execute("SELECT COUNT(*) FROM decisions").fetchone()
    export(dataset, tmp_path, ["csv"])
    after = sqlite3.connect(survey.out / "survey.sqlite").execute("SELECT COUNT(*) FROM decisions").fetchone()
    assert before == after

