"""Outputs: the contract's CSVs, generated from the store with review decisions applied.

A decision overrides the machine's value and makes the status `reviewed`; a decision
whose page image changed since is shown as `review` again (its value kept) so that a
person takes a second look. Files are written to a temporary name and renamed, so a
reader never sees half a CSV.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd

from scanner.results import Reason, Status
from scanner.spreadsheet import write_csv_for_people
from scanner.store import Store
from scanner.template import Template

FINAL_SQL = """
SELECT s.seq AS sheet_seq, s.source, s.first_page, r.sheet_id, r.item, r.ord, r.form_page,
       r.value AS machine_value, r.status AS machine_status, r.confidence, r.reason, r.crop, r.evidence,
       d.value AS decided_value, d.stale AS decision_stale, d.reviewer, d.decided_at
FROM results r
JOIN sheets s ON s.sheet_id = r.sheet_id
LEFT JOIN (
    SELECT sheet_id, item, value, stale, reviewer, decided_at, MAX(id) AS last
    FROM decisions WHERE undone = 0 GROUP BY sheet_id, item
) d ON d.sheet_id = r.sheet_id AND d.item = r.item
ORDER BY s.seq, r.ord
"""

RESOLVED = {Status.OK.value, Status.REVIEWED.value}
STALE_REASON = "the page was scanned again since this was reviewed: please look again"


def final_items(store: Store) -> pd.DataFrame:
    """Every (sheet, item) with the value and status after review, plus the evidence."""
    df = pd.read_sql_query(FINAL_SQL, store.db, dtype={"machine_value": str, "decided_value": str})
    decided = df["decided_value"].notna()
    stale = decided & (df["decision_stale"] == 1)
    df["value"] = df["decided_value"].where(decided, df["machine_value"]).fillna("")
    df["status"] = df["machine_status"].mask(decided, Status.REVIEWED.value).mask(stale, Status.REVIEW.value)
    reasons = df["reason"].map(lambda name: Reason[name].value if isinstance(name, str) else "")
    df["reason"] = reasons.mask(decided, "").mask(stale, STALE_REASON)
    return df


def items_table(store: Store, final: pd.DataFrame | None = None) -> pd.DataFrame:
    """`items.csv`: the contract's columns first, then where to look and why."""
    df = final_items(store) if final is None else final
    return df[["sheet_id", "item", "value", "status", "confidence", "reason", "form_page", "crop",
               "source", "first_page"]].rename(columns={"form_page": "page"})


def responses_table(store: Store, template: Template, final: pd.DataFrame | None = None) -> pd.DataFrame:
    """`responses.csv`: one row per sheet, each item's resolved code and each comment."""
    df = (final_items(store) if final is None else final).copy()
    df["answer"] = df["value"].where(df["status"].isin(RESOLVED), "")
    wide = df.pivot(index="sheet_id", columns="item", values="answer")
    sheets = pd.read_sql_query("SELECT sheet_id, source, first_page, colour FROM sheets ORDER BY seq", store.db)
    sheets = sheets.set_index("sheet_id")
    fields = ["programme"] + template.field_ids()
    wide = wide.reindex(index=sheets.index, columns=fields).fillna("")
    out = sheets[["source", "first_page"]].join(wide[["programme"]])
    out["colour"] = sheets["colour"]
    out = out.join(wide[template.field_ids()])
    problems = sheet_problems(store)
    out["flags"] = [FLAG_SEPARATOR.join(problems.get(sheet_id, [])) for sheet_id in out.index]
    return out.reset_index()


FLAG_SEPARATOR = "; "


def sheet_problems(store: Store) -> dict[str, list[str]]:
    """Each questionnaire's problems, for people to see: those found assembling it (a
    missing or repeated page) and a serial that another questionnaire of the survey has too."""
    rows = store.db.execute("SELECT sheet_id, serial, flags FROM sheets ORDER BY seq").fetchall()
    by_serial: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        if row["serial"] is not None:
            by_serial[row["serial"]].append(row["sheet_id"])
    problems = {}
    for row in rows:
        flags = json.loads(row["flags"])
        others = [s for s in by_serial.get(row["serial"], []) if s != row["sheet_id"]]
        if others:
            flags.append(f"serial {row['serial']} is used by {len(others) + 1} different questionnaires "
                         f"(also {', '.join(others)}): both are kept; check which is which")
        if flags:
            problems[row["sheet_id"]] = flags
    return problems


def sheets_table(store: Store, final: pd.DataFrame | None = None) -> pd.DataFrame:
    """`sheets.csv`: one row per questionnaire: where it starts, its serial, programme
    (as in responses.csv), the form pages found, and its problems."""
    df = (final_items(store) if final is None else final)
    programme = df[df["item"] == "programme"].set_index("sheet_id")
    programme = programme["value"].where(programme["status"].isin(RESOLVED), "")
    df = pd.read_sql_query("SELECT sheet_id, source, first_page, serial, colour, page_hashes "
                           "FROM sheets ORDER BY seq", store.db, dtype={"serial": "Int64"})
    df.insert(4, "programme", df["sheet_id"].map(programme).fillna(""))
    df["pages"] = [" ".join(sorted(json.loads(h), key=int)) for h in df.pop("page_hashes")]
    problems = sheet_problems(store)
    df["flags"] = [FLAG_SEPARATOR.join(problems.get(sheet_id, [])) for sheet_id in df["sheet_id"]]
    return df


def pages_table(store: Store) -> pd.DataFrame:
    """`pages.csv`: every input page exactly once, with what became of it.

    A file that cannot be read at all is one row with no page number (stored as page 0).
    """
    return pd.read_sql_query("SELECT source, NULLIF(page, 0) AS page, status, sheet_id, reason, form_page, "
                             "content_hash FROM pages ORDER BY seq", store.db,
                             dtype={"page": "Int64", "form_page": "Int64"})


def write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write `df` to `path` as a CSV safe to open in a spreadsheet, all at once."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            write_csv_for_people(df, f)
        # mkstemp makes the file private; outputs are as readable as any file the user makes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(store: Store, template: Template, out_dir: str | Path) -> list[Path]:
    """Write responses.csv, items.csv, pages.csv and sheets.csv into `out_dir`."""
    out_dir = Path(out_dir)
    written = []
    final = final_items(store)
    for name, df in (("responses.csv", responses_table(store, template, final)),
                     ("items.csv", items_table(store, final)),
                     ("pages.csv", pages_table(store)),
                     ("sheets.csv", sheets_table(store, final))):
        write_csv_atomic(df, out_dir / name)
        written.append(out_dir / name)
    return written
