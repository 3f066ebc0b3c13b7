"""Export: the labelled dataset as files that statisticians' tools open with every label.

One plug point, `WRITERS`: a format name and the function that writes it. Every export
also writes the codebook (CSV and JSON) and the written comments (CSV and Excel), so the
labels and the qualitative material travel with the numbers.

How missing answers come out (the codes are `dataset.Missing`):

| format  | blank            | several marked   | unresolved       | unknown (reviewed) |
|---------|------------------|------------------|------------------|--------------------|
| sav     | -1 user-missing  | -2 user-missing  | -3 user-missing  | -4 user-missing    |
| dta     | .a               | .b               | .c               | .d                 |
| csv     | empty            | empty            | empty            | empty              |
| xlsx    | empty            | empty            | empty            | empty              |
| parquet | null             | null             | null             | null               |

The codebook counts each reason per variable, and items.csv has every cell's status.

Coded comments add their themes (`dataset.with_theme_variables`): one 0/1 variable per
comment zone and theme used there, missing as blank where no comment was written and as
unresolved where it is not yet coded; for SPSS, `data_mrsets.sps` defines them as
multiple-response sets. The `qdpx` format is the comments as a REFI-QDA project.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from scanner import __version__
from scanner.dataset import (MISSING_LABELS, PROGRAMME, ROLE, STATA_MISSING, Dataset, Kind, Missing, Variable,
                             truncate, with_theme_variables)
from scanner.errors import UnresolvedItemsError, UsageError
from scanner.spreadsheet import write_csv_for_people

log = logging.getLogger(__name__)

DATA_STEM = "data"
SPSS_LABEL_BYTES = 255
SPSS_NAME_BYTES = 64
STATA_LABEL_CHARS = 80
STATA_NAME_CHARS = 32
EXCEL_TEXT_CHARS = 32767


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote, and how many answers still wait for review."""

    files: list[Path]
    unresolved: dict[str, int]

    @property
    def unresolved_total(self) -> int:
        return sum(self.unresolved.values())


# --- helpers -----------------------------------------------------------------------------
def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename: no half files."""
    # A plain new file (not mkstemp's private 0600 one), so the export gets the usual permissions.
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def plain_data(ds: Dataset) -> pd.DataFrame:
    """The data with every missing code as an empty cell (NA): for CSV and Excel."""
    df = ds.data.copy()
    for v in ds.coded:
        df[v.name] = df[v.name].mask(df[v.name] < 0)
    return df


def labelled_data(ds: Dataset, *, categorical: bool = True, ordered: bool = False) -> pd.DataFrame:
    """The data with codes replaced by their labels (categorical, in scale order; `ordered`
    makes the order one pandas compares and sorts by)."""
    df = ds.data.copy()
    for v in ds.coded:
        labels = ds.labels(v.name)
        if v.kind is Kind.DUMMY:
            df[v.name] = df[v.name].mask(df[v.name] < 0).astype("boolean")
        elif categorical:
            order = [label for _, label in v.values]
            df[v.name] = pd.Categorical(labels, categories=list(dict.fromkeys(order)), ordered=ordered)
        else:
            df[v.name] = labels.astype(object)
    return df


def _counts(ds: Dataset, v: Variable) -> dict[str, int]:
    col = ds.data[v.name]
    if v.coded:
        return {"valid": int((col >= 0).sum()), "blank": int((col == Missing.BLANK).sum()),
                "multiple": int((col == Missing.MULTIPLE).sum()),
                "unresolved": int((col == Missing.UNRESOLVED).sum()),
                "unknown": int((col == Missing.UNKNOWN).sum())}
    if v.kind is Kind.COMMENT:
        return {"written": int((col.astype(str) != "").sum())}
    return {}


def codebook(ds: Dataset) -> dict:
    """The codebook as data: every variable, its label, values, missing codes and counts."""
    t = ds.template
    return {
        "form": t.form,
        "version": t.version,
        "title": t.title,
        "sheets": len(ds.data),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scanner_version": __version__,
        "missing": [{"code": int(m), "stata": f".{STATA_MISSING[m]}", "reason": m.name.lower(),
                     "label": MISSING_LABELS[m]} for m in Missing],
        "variables": [
            {"name": v.name, "label": v.label, "kind": v.kind.value, "question": v.question, "stem": v.stem,
             "text": v.text, "item": v.item, "scale": v.scale,
             "values": [{"code": c, "label": label} for c, label in v.values],
             "counts": _counts(ds, v)}
            for v in ds.variables
        ],
    }


def codebook_frame(ds: Dataset) -> pd.DataFrame:
    """The codebook as a table: one row per variable."""
    missing = "; ".join(f"{int(m)} (Stata .{STATA_MISSING[m]}) = {MISSING_LABELS[m]}" for m in Missing)
    rows = []
    for entry, v in zip(codebook(ds)["variables"], ds.variables):
        counts = entry["counts"]
        rows.append({
            "variable": v.name, "label": v.label, "kind": v.kind.value, "question": v.question or "",
            "stem": v.stem, "text": v.text, "scale": v.scale or "",
            "values": "; ".join(f"{c} = {label}" for c, label in v.values),
            "missing_codes": missing if v.coded else "",
            "n_valid": counts.get("valid", ""), "n_blank": counts.get("blank", ""),
            "n_multiple": counts.get("multiple", ""), "n_unresolved": counts.get("unresolved", ""),
            "n_unknown": counts.get("unknown", ""), "n_written": counts.get("written", ""),
        })
    return pd.DataFrame(rows)


# --- writers -----------------------------------------------------------------------------
def write_csv(ds: Dataset, folder: Path) -> list[Path]:
    """data.csv: codes (labels in the codebook); missing answers empty."""
    path = folder / f"{DATA_STEM}.csv"
    return [_atomic(path, lambda tmp: write_csv_for_people(plain_data(ds), tmp))]


def _excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text no longer than an Excel cell holds."""
    out = df.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(lambda s: s[:EXCEL_TEXT_CHARS] if isinstance(s, str) else s).astype(object)
    return out


def _write_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    from openpyxl.styles import Alignment, Font

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in sheets.items():
            _excel_safe(df).to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    # openpyxl takes any text starting with "=" for a formula: a comment
                    # such as "=> more staff" must stay text, as written.
                    if cell.data_type == "f":
                        cell.data_type = "s"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for k, column in enumerate(df.columns, start=1):
                longest = max([len(str(column))] + [len(str(x)) for x in df[column].head(200)])
                letter = ws.cell(row=1, column=k).column_letter
                ws.column_dimensions[letter].width = min(60, max(6, longest + 2))
                if longest > 60:
                    for cell in ws[letter][1:]:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_xlsx(ds: Dataset, folder: Path) -> list[Path]:
    """data.xlsx: sheets data (codes), labelled (labels), codebook and comments."""
    path = folder / f"{DATA_STEM}.xlsx"
    sheets = {"data": plain_data(ds), "labelled": labelled_data(ds, categorical=False),
              "codebook": codebook_frame(ds), "comments": ds.comments}
    return [_atomic(path, lambda tmp: _write_sheets(tmp, sheets))]


def _check_names(ds: Dataset, limit: int, what: str, size: Callable[[str], int]) -> None:
    long = [v.name for v in ds.variables if size(v.name) > limit]
    if long:
        raise UsageError(f"{what} variable names are at most {limit} long; shorten these item ids "
                         f"in the template: {', '.join(long)}")


def _numeric_format(v: Variable) -> str:
    codes = [c for c, _ in v.values] + [int(m) for m in Missing]
    return f"F{max(len(str(c)) for c in codes)}.0"


def write_sav(ds: Dataset, folder: Path) -> list[Path]:
    """data.sav (SPSS): variable and value labels, missing codes declared user-missing."""
    import pyreadstat

    _check_names(ds, SPSS_NAME_BYTES, "SPSS", lambda s: len(s.encode("utf-8")))
    df = ds.data.copy()
    labels, value_labels, missing, measure, formats = {}, {}, {}, {}, {}
    for v in ds.variables:
        labels[v.name] = truncate(v.label, SPSS_LABEL_BYTES, encoding="utf-8")
        if v.coded:
            df[v.name] = df[v.name].astype("float64")
            value_labels[v.name] = {float(c): truncate(label, 120, encoding="utf-8") for c, label in v.values} | {
                float(m): MISSING_LABELS[m] for m in Missing}
            # SPSS declares at most three discrete missing values: the codes as one range.
            missing[v.name] = [{"lo": float(min(Missing)), "hi": float(max(Missing))}]
            formats[v.name] = _numeric_format(v)
            ordinal = v.kind is Kind.CODE and v.name not in (PROGRAMME, ROLE)
            measure[v.name] = "ordinal" if ordinal else "nominal"
        elif v.kind is Kind.NUMBER:
            df[v.name] = df[v.name].astype("float64")
            measure[v.name] = "scale"
        else:
            df[v.name] = df[v.name].fillna("").astype(str)
            measure[v.name] = "nominal"
    # SPSS keeps notes ("documents") as lines of at most 80 bytes.
    note = ["Missing codes (declared user-missing):"] + [f"{int(m)} = {MISSING_LABELS[m]}" for m in Missing]

    def write(tmp: Path) -> None:
        pyreadstat.write_sav(df, tmp, file_label=truncate(ds.title, 64), column_labels=labels,
                             variable_value_labels=value_labels, missing_ranges=missing,
                             variable_measure=measure, variable_format=formats, note=note)

    return [_atomic(folder / f"{DATA_STEM}.sav", write)] + write_mrsets(ds, folder)


def _spss_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_mrsets(ds: Dataset, folder: Path) -> list[Path]:
    """data_mrsets.sps: SPSS syntax defining each comment zone's themes as a
    multiple-response set ($q07_themes), for data.sav.

    The SAV format can hold these sets, but pyreadstat cannot write them; running this
    syntax on the opened data.sav adds them (then save it from SPSS).
    """
    groups: dict[str, list[Variable]] = {}
    for v in ds.variables:
        if v.theme is not None:
            groups.setdefault(v.item, []).append(v)
    if not groups:
        return []
    lines = [f"* Multiple-response sets of the comments' themes in {DATA_STEM}.sav: open it, run this, save it.",
             "MRSETS"]
    for item, members in groups.items():
        zone = next(z for z in ds.template.comments if z.id == item)
        name = "$" + (item.removesuffix("_comment") or item) + "_themes"
        label = truncate(f"Q{zone.question} comment: themes" if zone.question else f"{item}: themes", 120)
        lines.append(f"  /MDGROUP NAME={name} LABEL={_spss_text(label)} CATEGORYLABELS=VARLABELS VALUE=1")
        lines.append("    VARIABLES=" + " ".join(v.name for v in members))
    lines += ["  /DISPLAY NAME=[ALL].", ""]
    text = "\n".join(lines)
    return [_atomic(folder / f"{DATA_STEM}_mrsets.sps", lambda tmp: tmp.write_text(text, encoding="utf-8"))]


def write_dta(ds: Dataset, folder: Path) -> list[Path]:
    """data.dta (Stata 15+): labels, and missing answers as extended missing .a .b .c."""
    import pyreadstat

    _check_names(ds, STATA_NAME_CHARS, "Stata", len)
    df = ds.data.copy()
    labels, value_labels, missing = {}, {}, {}
    letter = {int(m): STATA_MISSING[m] for m in Missing}
    for v in ds.variables:
        labels[v.name] = v.short_label(STATA_LABEL_CHARS)
        if v.coded:
            df[v.name] = pd.Series([letter[c] if c < 0 else int(c) for c in df[v.name]], dtype=object,
                                   index=df.index)
            value_labels[v.name] = {c: truncate(label, 32000) for c, label in v.values} | {
                STATA_MISSING[m]: MISSING_LABELS[m] for m in Missing}
            missing[v.name] = [STATA_MISSING[m] for m in Missing]
        elif v.kind is Kind.NUMBER:
            df[v.name] = df[v.name].astype("int64")
        else:
            df[v.name] = df[v.name].fillna("").astype(str)

    def write(tmp: Path) -> None:
        pyreadstat.write_dta(df, tmp, file_label=truncate(ds.title, 80), column_labels=labels,
                             variable_value_labels=value_labels, missing_user_values=missing)

    return [_atomic(folder / f"{DATA_STEM}.dta", write)]


def write_parquet(ds: Dataset, folder: Path) -> list[Path]:
    """data.parquet: coded variables as categoricals of their labels; missing as null.

    The codebook (JSON) is in the file's metadata under the key `scanner.codebook`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(labelled_data(ds), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"scanner.codebook"] = json.dumps(codebook(ds)).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    return [_atomic(folder / f"{DATA_STEM}.parquet", lambda tmp: pq.write_table(table, tmp))]


def write_qdpx(ds: Dataset, folder: Path) -> list[Path]:
    """comments.qdpx: the comments, codebook and codings as a REFI-QDA project."""
    from scanner.refiqda import write_qdpx as write_project

    return [write_project(ds, folder / "comments.qdpx")]


WRITERS: MappingProxyType[str, Callable[[Dataset, Path], list[Path]]] = MappingProxyType({
    "csv": write_csv,
    "xlsx": write_xlsx,
    "sav": write_sav,
    "dta": write_dta,
    "parquet": write_parquet,
    "qdpx": write_qdpx,
})
"""Format name -> writer: the plug point for export formats."""


def write_codebook(ds: Dataset, folder: Path) -> list[Path]:
    """codebook.csv and codebook.json."""
    book = codebook(ds)
    return [
        _atomic(folder / "codebook.csv", lambda tmp: write_csv_for_people(codebook_frame(ds), tmp)),
        _atomic(folder / "codebook.json",
                lambda tmp: tmp.write_text(json.dumps(book, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")),
    ]


def write_comments(ds: Dataset, folder: Path) -> list[Path]:
    """comments.csv and comments.xlsx: one row per written comment."""
    return [
        _atomic(folder / "comments.csv", lambda tmp: write_csv_for_people(ds.comments, tmp)),
        _atomic(folder / "comments.xlsx", lambda tmp: _write_sheets(tmp, {"comments": ds.comments})),
    ]


def unresolved_message(unresolved: dict[str, int]) -> str:
    parts = [f"{n} {'programme' if kind == PROGRAMME else kind}" for kind, n in unresolved.items() if n]
    return f"{sum(unresolved.values())} answers still wait for review ({', '.join(parts)})"


def export(ds: Dataset, folder: str | Path, formats: list[str] | tuple[str, ...] = ("csv",), *,
           require_reviewed: bool = False) -> ExportResult:
    """Write the dataset in `formats` into `folder`, with the codebook and the comments.

    Answers still waiting for review are exported as unresolved missing values, with a
    warning; with `require_reviewed` nothing is written and the export fails instead.

    Raises:
        UsageError: an unknown format, or item ids too long for SPSS or Stata.
        UnresolvedItemsError: `require_reviewed` and some answers still wait for review.
    """
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise UsageError(f"unknown export format {', '.join(unknown)}; choose from {', '.join(WRITERS)}")
    unresolved = ds.unresolved()
    if sum(unresolved.values()):
        message = unresolved_message(unresolved)
        if require_reviewed:
            raise UnresolvedItemsError(f"{message}: settle them with `scanner review`, "
                                       f"or export without --require-reviewed")
        log.warning("%s: they are exported as missing (code %d, Stata .%s)", message,
                    Missing.UNRESOLVED, STATA_MISSING[Missing.UNRESOLVED])
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ds = with_theme_variables(ds)
    files: list[Path] = []
    for name in dict.fromkeys(formats):
        files += WRITERS[name](ds, folder)
    files += write_codebook(ds, folder)
    files += write_comments(ds, folder)
    return ExportResult(files, unresolved)
