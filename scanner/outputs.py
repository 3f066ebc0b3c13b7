"""Outputs: the contract's CSVs, generated from the store with review decisions applied.

A decision overrides the machine's value and makes the status `reviewed`; a decision
whose page image changed since is shown as `review` again (its value kept) so that a
person takes a second look. Files are written to a temporary name and renamed, so a
reader never sees half a CSV.

The writes are incremental: each sheet's rows of responses.csv, items.csv and sheets.csv
are kept in the store as rendered, and the store itself marks a sheet for rendering again
whenever its results, decisions or sheet row change (`Store`'s triggers). A write renders
only the marked sheets and then streams every kept row into the files, so that a decision
on a 100,000-sheet survey costs one sheet's rendering and a copy of the rows, not a pandas
query of the whole survey. The rows are those the whole-survey tables below give, byte for
byte; pages.csv, which no decision changes, is written from the store as a whole.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

import scanner.results
import scanner.spreadsheet
from scanner.forms import Forms
from scanner.results import Reason, Status
from scanner.spreadsheet import CONTROL_START, FORMULA_START, spreadsheet_safe, write_csv_for_people
from scanner.store import ROW_KINDS, Store
from scanner.template import Template

FINAL_SQL = """
SELECT s.seq AS sheet_seq, s.source, s.first_page, s.form, r.sheet_id, r.item, r.ord, r.form_page,
       r.value AS machine_value, r.status AS machine_status, r.confidence, r.reason, r.crop{evidence},
       d.value AS decided_value, d.stale AS decision_stale, d.page_hash AS decided_page_hash, d.reviewer,
       d.decided_at
FROM results r
JOIN sheets s ON s.sheet_id = r.sheet_id
LEFT JOIN (
    SELECT sheet_id, item, value, stale, page_hash, reviewer, decided_at, MAX(id) AS last
    FROM decisions WHERE undone = 0 {only} GROUP BY sheet_id, item
) d ON d.sheet_id = r.sheet_id AND d.item = r.item
WHERE 1 {only_r}
ORDER BY s.seq, r.ord
"""

RESOLVED = {Status.OK.value, Status.REVIEWED.value}
STALE_REASON = "the page was scanned again since this was reviewed: please look again"
RENDER_CHUNK = 500
"""Sheets rendered in one transaction: the store's write lock is never held for long."""


def _only(sheet_ids: Sequence[str] | None, column: str = "sheet_id") -> tuple[str, tuple]:
    """An SQL condition keeping the rows of `sheet_ids` (every row for None), and its argument."""
    if sheet_ids is None:
        return "", ()
    return f"AND {column} IN (SELECT value FROM json_each(?))", (json.dumps(list(sheet_ids)),)


def final_items(store: Store, sheet_ids: Sequence[str] | None = None, evidence: bool = True) -> pd.DataFrame:
    """Every (sheet, item) with the value and status after review, plus the evidence
    (unless not wanted: the CSVs show none, and it is most of each row's bytes); only
    those of `sheet_ids` when given."""
    only, args = _only(sheet_ids)
    only_r, args_r = _only(sheet_ids, "r.sheet_id")
    # The page is a float whatever the sheets (the programme has none): a sheet's rows
    # read alone must print as they do among all the others.
    sql = FINAL_SQL.format(only=only, only_r=only_r, evidence=", r.evidence" if evidence else "")
    df = pd.read_sql_query(sql, store.db, params=args + args_r,
                           dtype={"machine_value": str, "decided_value": str, "form_page": "float64"})
    decided = df["decided_value"].notna()
    stale = decided & (df["decision_stale"] == 1)
    df["value"] = df["decided_value"].where(decided & ~(stale & (df["decided_page_hash"] == "")),
                                            df["machine_value"]).fillna("")
    df["status"] = df["machine_status"].mask(decided, Status.REVIEWED.value).mask(stale, Status.REVIEW.value)
    reasons = df["reason"].map(lambda name: Reason[name].value if isinstance(name, str) else "")
    df["reason"] = reasons.mask(decided, "").mask(stale, STALE_REASON)
    return df


def items_table(store: Store, final: pd.DataFrame | None = None, forms: Forms | None = None) -> pd.DataFrame:
    """`items.csv`: the contract's columns first, then where to look and why (and, in a
    survey of several `forms`, each sheet's form)."""
    df = final_items(store) if final is None else final
    columns = ["sheet_id", "item", "value", "status", "confidence", "reason", "form_page", "crop",
               "source", "first_page"] + (["form"] if forms is not None and forms.several else [])
    return df[columns].rename(columns={"form_page": "page"})


def responses_table(store: Store, template: Template | Forms, final: pd.DataFrame | None = None,
                    sheet_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """`responses.csv`: one row per sheet (of `sheet_ids` when given), each item's resolved
    code and each comment. Of several forms: a column per item of any form (`Forms.columns`),
    empty where the sheet's form has no such item, and each sheet's form last."""
    forms = Forms.of(template)
    columns = forms.columns()
    df = (final_items(store, sheet_ids) if final is None else final).copy()
    df["answer"] = df["value"].where(df["status"].isin(RESOLVED), "")
    if forms.several:
        df["item"] = [columns.get((form, item), item) for form, item in zip(df["form"], df["item"])]
    wide = df.pivot(index="sheet_id", columns="item", values="answer")
    only, args = _only(sheet_ids)
    sheets = pd.read_sql_query(f"SELECT sheet_id, source, first_page, colour, form FROM sheets WHERE 1 {only} "
                               "ORDER BY seq", store.db, params=args)
    sheets = sheets.set_index("sheet_id")
    fields = list(dict.fromkeys(columns.values()))
    # As objects: a column of another form's item, empty on every sheet here, would be floats.
    wide = wide.reindex(index=sheets.index, columns=["programme"] + fields).astype(object).fillna("")
    out = sheets[["source", "first_page"]].join(wide[["programme"]])
    out["colour"] = sheets["colour"]
    out = out.join(wide[fields])
    problems = sheet_problems(store, sheet_ids)
    out["flags"] = [FLAG_SEPARATOR.join(problems.get(sheet_id, [])) for sheet_id in out.index]
    if forms.several:
        out["form"] = sheets["form"]
    return out.reset_index()


FLAG_SEPARATOR = "; "


def sheet_problems(store: Store, sheet_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Each questionnaire's problems (of `sheet_ids` when given), for people to see: those
    found assembling it (a missing or repeated page) and a serial that another
    questionnaire of the survey has too."""
    only, args = _only(sheet_ids)
    rows = store.db.execute(f"SELECT sheet_id, serial, flags FROM sheets WHERE 1 {only} ORDER BY seq",
                            args).fetchall()
    if sheet_ids is not None:  # the other sheets of their serials
        serials = json.dumps(sorted({row["serial"] for row in rows if row["serial"] is not None}))
        namesakes = store.db.execute("SELECT sheet_id, serial FROM sheets WHERE serial IN "
                                     "(SELECT value FROM json_each(?)) ORDER BY seq", (serials,)).fetchall()
    else:
        namesakes = rows
    by_serial: dict[int, list[str]] = defaultdict(list)
    for row in namesakes:
        if row["serial"] is not None:
            by_serial[row["serial"]].append(row["sheet_id"])
    pageless = _decided_without_page(store, sheet_ids)
    problems = {}
    for row in rows:
        flags = json.loads(row["flags"])
        others = [s for s in by_serial.get(row["serial"], []) if s != row["sheet_id"]]
        if others:
            flags.append(f"serial {row['serial']} is used by {len(others) + 1} different questionnaires "
                         f"(also {', '.join(others)}): both are kept; check which is which")
        if row["sheet_id"] in pageless:
            flags.append(f"decided on a page no longer in the batch: {', '.join(pageless[row['sheet_id']])} "
                         "(the decisions stand, with no page to show)")
        if flags:
            problems[row["sheet_id"]] = flags
    return problems


def _decided_without_page(store: Store, sheet_ids: Sequence[str] | None) -> dict[str, list[str]]:
    """The items of each questionnaire (of `sheet_ids` when given) settled by a decision made
    on a page image that the questionnaire no longer has (the page taken out of its file):
    the person saw the page, so the decision stands, but nothing shows it any more. A
    decision sent back for a second look is no longer settled; one made without a page
    (an item whose page was missing then) rests on no page."""
    only, args = _only(sheet_ids)
    pageless: dict[str, list[str]] = defaultdict(list)
    for sheet_id, item in store.db.execute(
            "SELECT d.sheet_id, d.item FROM decisions d JOIN results r ON r.sheet_id = d.sheet_id AND r.item = d.item "
            f"WHERE d.id IN (SELECT MAX(id) FROM decisions WHERE undone = 0 {only} GROUP BY sheet_id, item) "
            "AND d.stale = 0 AND d.page_hash != '' AND r.form_page IS NULL ORDER BY d.sheet_id, r.ord", args):
        pageless[sheet_id].append(item)
    return pageless


def sheets_table(store: Store, final: pd.DataFrame | None = None,
                 sheet_ids: Sequence[str] | None = None, forms: Forms | None = None) -> pd.DataFrame:
    """`sheets.csv`: one row per questionnaire (of `sheet_ids` when given): where it starts,
    its serial, programme (as in responses.csv), the form pages found, and its problems
    (and, in a survey of several `forms`, its form)."""
    df = (final_items(store, sheet_ids) if final is None else final)
    programme = df[df["item"] == "programme"].set_index("sheet_id")
    programme = programme["value"].where(programme["status"].isin(RESOLVED), "")
    only, args = _only(sheet_ids)
    df = pd.read_sql_query(f"SELECT sheet_id, source, first_page, serial, colour, page_hashes "
                           f"FROM sheets WHERE 1 {only} ORDER BY seq", store.db, params=args,
                           dtype={"serial": "Int64"})
    df.insert(4, "programme", df["sheet_id"].map(programme).fillna(""))
    df["pages"] = [" ".join(sorted(json.loads(h), key=int)) for h in df.pop("page_hashes")]
    problems = sheet_problems(store, sheet_ids)
    df["flags"] = [FLAG_SEPARATOR.join(problems.get(sheet_id, [])) for sheet_id in df["sheet_id"]]
    if forms is not None and forms.several:
        df["form"] = df["sheet_id"].map(dict(store.db.execute(
            f"SELECT sheet_id, form FROM sheets WHERE 1 {only}", args).fetchall()))
    return df


def pages_table(store: Store, forms: Forms | None = None) -> pd.DataFrame:
    """`pages.csv`: every input page exactly once, with what became of it (and, in a
    survey of several `forms`, the form of the questionnaire it is a page of; empty for
    a page of none).

    A file that cannot be read at all is one row with no page number (stored as page 0).
    """
    several = forms is not None and forms.several
    form = ", COALESCE(s.form, '') AS form" if several else ""
    return pd.read_sql_query(f"SELECT p.source, NULLIF(p.page, 0) AS page, p.status, p.sheet_id, p.reason, "
                             f"p.form_page, p.content_hash{form} FROM pages p "
                             f"LEFT JOIN sheets s ON s.sheet_id = p.sheet_id AND p.sheet_id != '' ORDER BY p.seq",
                             store.db, dtype={"page": "Int64", "form_page": "Int64"})


RESPONSES_START = ("sheet_id", "source", "first_page", "programme", "colour")
ITEMS_COLUMNS = ("sheet_id", "item", "value", "status", "confidence", "reason", "page", "crop", "source", "first_page")
SHEETS_COLUMNS = ("sheet_id", "source", "first_page", "serial", "programme", "colour", "pages", "flags")


def _headers(forms: Forms) -> dict[str, list[str]]:
    """The columns of each file whose rows the store keeps (`ROW_KINDS`), as the tables above name them."""
    form = ["form"] if forms.several else []
    return {"responses": [*RESPONSES_START, *dict.fromkeys(forms.columns().values()), "flags", *form],
            "items": [*ITEMS_COLUMNS, *form], "sheets": [*SHEETS_COLUMNS, *form]}


class _Lines(list):
    """What a `csv.writer` writes, a string a record (a record may hold line breaks)."""

    write = list.append


def _reviewed(machine_value: str, machine_status: str, reason: str | None, decided_value: str | None,
              stale: int | None, decided_page_hash: str | None) -> tuple[str, str, str]:
    """A result's value, status and reason after review: `final_items`' columns, for one row.

    A decision to look at again shows its value, unless it was made without the item's
    page (`Store._mark_stale_decisions`): then what the page found since reads."""
    if decided_value is None:
        return machine_value, machine_status, Reason[reason].value if reason is not None else ""
    if stale == 1:
        return decided_value if decided_page_hash else machine_value, Status.REVIEW.value, STALE_REASON
    return decided_value, Status.REVIEWED.value, ""


def answers(store: Store, sheet_ids: Sequence[str], item: str) -> dict[str, str]:
    """The answer of each stored sheet of `sheet_ids` to `item` (or its programme) as
    responses.csv has it: after review, empty while unresolved."""
    only, args = _only(sheet_ids)
    only_r, args_r = _only(sheet_ids, "r.sheet_id")
    out = {}
    for row in store.db.execute(FINAL_SQL.format(only=only, only_r=f"{only_r} AND r.item = ?", evidence=""),
                                args + args_r + (item,)):
        value, status, _ = _reviewed(row["machine_value"], row["machine_status"], row["reason"],
                                     row["decided_value"], row["decision_stale"], row["decided_page_hash"])
        out[row["sheet_id"]] = value if status in RESOLVED else ""
    return out


RISKY_START = FORMULA_START | CONTROL_START
"""A text cell's first characters that `spreadsheet_safe` may change (whitespace too)."""


def _text(cell: str | None) -> str | None:
    """A text cell as `write_csv_for_people` writes it (`spreadsheet_safe`); most cells
    are told safe by their first character alone."""
    if cell and (cell[0] in RISKY_START or cell[0].isspace()):
        return spreadsheet_safe(cell)
    return cell


def render_rows(store: Store, template: Template | Forms,
                sheet_ids: Sequence[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Each file's header, and the text of each stored sheet of `sheet_ids` in each file
    (by sheet, then by kind: `store.ROW_KINDS`); sheets not in the store are left out.

    The rows are those the whole-survey tables above give as `write_csv_for_people`
    writes them, byte for byte (pandas writes a number as `repr` does, a missing one
    as nothing, and text through `spreadsheet_safe`), made here cell by cell with
    `csv.writer` as pandas calls it: through pandas, rendering cost a scan more than
    deciding its sheets.
    """
    forms = Forms.of(template)
    columns = forms.columns() if forms.several else None
    fields = list(dict.fromkeys(forms.columns().values()))
    lines = _Lines()
    writer = csv.writer(lines, lineterminator=os.linesep)
    headers = _headers(forms)
    writer.writerows(headers[kind] for kind in ROW_KINDS)
    header_text = dict(zip(ROW_KINDS, lines))
    cursor = store.db.cursor()
    cursor.row_factory = None  # tuples: the store's named rows cost more than the rest
    only, args = _only(sheet_ids)
    sheets = {row[0]: row for row in cursor.execute(
        f"SELECT sheet_id, source, first_page, serial, colour, page_hashes, form FROM sheets WHERE 1 {only} "
        "ORDER BY seq", args)}
    items: dict[str, list[list]] = {sheet_id: [] for sheet_id in sheets}
    answers: dict[str, dict[str, str]] = {sheet_id: {} for sheet_id in sheets}
    only_r, args_r = _only(sheet_ids, "r.sheet_id")
    for (_, source, first_page, form, sheet_id, item, _, form_page, machine_value, machine_status, confidence,
         reason, crop, decided_value, stale, decided_page_hash, *_) in cursor.execute(
            FINAL_SQL.format(only=only, only_r=only_r, evidence=""), args + args_r):
        value, status, reason = _reviewed(machine_value, machine_status, reason, decided_value, stale,
                                          decided_page_hash)
        cells = [_text(sheet_id), _text(item), _text(value), _text(status), repr(confidence), _text(reason),
                 "" if form_page is None else repr(float(form_page)), _text(crop), _text(source), str(first_page)]
        items[sheet_id].append(cells if columns is None else [*cells, _text(form)])
        answers[sheet_id][item if columns is None else columns.get((form, item), item)] = (
            value if status in RESOLVED else "")
    problems = sheet_problems(store, sheet_ids)
    rows: dict[str, dict[str, str]] = {}
    for sheet_id, (_, source, first_page, serial, colour, page_hashes, form) in sheets.items():
        answer = answers[sheet_id]
        start = [_text(sheet_id), _text(source), str(first_page)]
        programme, colour = _text(answer.get("programme", "")), _text(colour)
        last = [_text(FLAG_SEPARATOR.join(problems.get(sheet_id, [])))] + ([] if columns is None else [_text(form)])
        texts = {}
        for kind, records in (
                ("responses", [[*start, programme, colour, *(_text(answer.get(f, "")) for f in fields), *last]]),
                ("items", items[sheet_id]),
                ("sheets", [[*start, "" if serial is None else str(serial), programme, colour,
                             _text(" ".join(sorted(json.loads(page_hashes), key=int))), *last]])):
            first = len(lines)
            writer.writerows(records)
            texts[kind] = "".join(lines[first:])
        rows[sheet_id] = texts
    return header_text, rows


def _renderer() -> str:
    """A digest of the code that renders the rows, as this process loaded it."""
    modules = (__file__, scanner.spreadsheet.__file__, scanner.results.__file__)
    sources = [Path(module).read_bytes() for module in modules]
    return hashlib.sha256(b"\0".join(sources)).hexdigest()


RENDERER = _renderer()


def _rows_key(template: Template | Forms) -> str:
    """What the kept rows are rendered by: when any of it changes, every sheet is rendered again."""
    forms = Forms.of(template)
    if not forms.several:
        return hashlib.sha256("\0".join([RENDERER, *forms.templates[0].field_ids()]).encode()).hexdigest()
    columns = [f"{form}\0{item}\0{column}" for (form, item), column in forms.columns().items()]
    return hashlib.sha256("\0".join([RENDERER, *columns]).encode()).hexdigest()


def refresh_rows(store: Store, template: Template | Forms) -> int:
    """Render again the rows of the sheets changed since the last write; how many.

    A few hundred sheets a transaction, so that a scan or a reviewer writing meanwhile
    waits a moment at most.
    """
    key = _rows_key(template)
    if store.get_meta("csv_rows_key") != key:
        store.render_again(key, render_rows(store, template, [])[0])
    rendered = 0
    while True:
        with store.transaction():
            sheet_ids = store.sheets_to_render(RENDER_CHUNK)
            if not sheet_ids:
                return rendered
            store.keep_rendered(sheet_ids, render_rows(store, template, sheet_ids)[1])
        rendered += len(sheet_ids)


@contextmanager
def _atomic(path: Path) -> Iterator[IO[str]]:
    """A text file that appears at `path`, complete, when the block ends (and never if it fails)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            yield f
        # mkstemp makes the file private; outputs are as readable as any file the user makes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write `df` to `path` as a CSV safe to open in a spreadsheet, all at once."""
    with _atomic(path) as f:
        write_csv_for_people(df, f)


def write_outputs(store: Store, template: Template | Forms, out_dir: str | Path, pages: bool = True) -> list[Path]:
    """Write responses.csv, items.csv, pages.csv and sheets.csv into `out_dir`.

    Only the sheets changed since the last write are rendered; the files are complete
    all the same. `pages=False` keeps pages.csv as it is, when there is one: a review
    decision does not change it. Of several forms of which two use one id for different
    questions, each form's own `responses-FORM.csv` is written too, with its ids as they are.
    """
    out_dir = Path(out_dir)
    paths = {kind: out_dir / f"{kind}.csv" for kind in ("responses", "items", "pages", "sheets")}
    while True:
        refresh_rows(store, template)
        with store.snapshot():
            # Another process may have changed a sheet since: then render that one too.
            if not store.sheets_to_render(1):
                headers = store.csv_headers()
                for kind in ROW_KINDS:
                    with _atomic(paths[kind]) as f:
                        f.write(headers[kind])
                        f.writelines(store.rendered(kind))
                break
    if pages or not paths["pages"].exists():
        write_csv_atomic(pages_table(store, Forms.of(template)), paths["pages"])
    return list(paths.values()) + _write_form_responses(store, Forms.of(template), out_dir)


def _write_form_responses(store: Store, forms: Forms, out_dir: Path) -> list[Path]:
    """`responses-FORM.csv` for each form, when two forms use one id for different questions."""
    if not forms.colliding():
        return []
    written = []
    for t in forms:
        sheet_ids = [row[0] for row in store.db.execute("SELECT sheet_id FROM sheets WHERE form = ? ORDER BY seq",
                                                        (t.form,))]
        path = out_dir / f"responses-{t.form}.csv"
        write_csv_atomic(responses_table(store, t, sheet_ids=sheet_ids), path)
        written.append(path)
    return written
