"""The labelled dataset: one row per sheet, codes plus everything needed to label them.

Built from the store (review decisions applied, through `outputs.final_items`) and the
template, and shared by `export`, `tabulate` and `report`. An answer that is missing keeps
the reason in its code, a negative number no scale uses (`Missing`): the writers turn it
into SPSS user-missing values, Stata extended missing values (.a to .d) or an empty cell.
Nothing missing is ever given a made-up valid code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from enum import Enum, IntEnum
from pathlib import Path

import pandas as pd

from scanner.errors import UsageError
from scanner.outputs import RESOLVED, final_items, pages_table, sheets_table
from scanner.results import Status
from scanner.store import STORE_NAME, Store
from scanner.survey import survey_template
from scanner.template import Comment, Item, Template
from scanner.themes import CommentCoding, Theme, codebook, codings_frame, comment_codings

log = logging.getLogger(__name__)

PROGRAMME = "programme"
"""The variable holding the programme told from the paper colour (a row of items.csv)."""
ROLE = "role"
"""An item with this id is the respondent's role: comments and reports show it."""


class Missing(IntEnum):
    """Why an answer is missing, as the code the data carries instead of an answer."""

    BLANK = -1
    """No box marked (or a reviewer decided nothing was answered)."""
    MULTIPLE = -2
    """Several boxes marked on a one-answer item: not settled yet, or judged unusable
    (an `invalid` decision) by a reviewer."""
    UNRESOLVED = -3
    """Still waiting for review: faint, ambiguous, page missing, colour unknown."""
    UNKNOWN = -4
    """Settled by a reviewer as unknown: a programme no paper colour or mark tells. A
    person's answer, so nothing waits, unlike `UNRESOLVED`."""


MISSING_LABELS = {
    Missing.BLANK: "Blank (no box marked)",
    Missing.MULTIPLE: "Several boxes marked (no usable answer)",
    Missing.UNRESOLVED: "Unresolved (waiting for review)",
    Missing.UNKNOWN: "Unknown (settled so by review)",
}
STATA_MISSING = {Missing.BLANK: "a", Missing.MULTIPLE: "b", Missing.UNRESOLVED: "c", Missing.UNKNOWN: "d"}
"""Stata's extended missing values (.a .b .c .d) for each reason."""


class Kind(str, Enum):
    """What a variable holds."""

    TEXT = "text"
    """Text about the sheet (its id, the file it came from, the paper colour)."""
    NUMBER = "number"
    """A plain number (the sheet's first page in its file)."""
    CODE = "code"
    """A labelled code: an item's answer, or the programme."""
    DUMMY = "dummy"
    """One option of a several-answers item: 1 marked, 0 not marked."""
    COMMENT = "comment"
    """A comment zone's text."""


@dataclass(frozen=True)
class Variable:
    """One column of the dataset and how to label it."""

    name: str
    label: str
    kind: Kind
    question: str | None = None
    stem: str = ""
    text: str = ""
    """The item's text or the comment zone's prompt, without the question stem."""
    scale: str | None = None
    values: tuple[tuple[int, str], ...] = ()
    """The valid codes in the order printed, each with its label."""
    item: str | None = None
    """The template item or comment zone this variable comes from."""
    theme: str | None = None
    """The theme a comment zone's theme variable (1: the comment has it) stands for."""

    @property
    def coded(self) -> bool:
        return self.kind in (Kind.CODE, Kind.DUMMY)

    @property
    def value_labels(self) -> dict[int, str]:
        return dict(self.values)

    def short_label(self, limit: int = 80) -> str:
        """A label within `limit` characters (Stata's is 80): the question number and text."""
        text = self.text or self.label
        if self.question and self.kind in (Kind.CODE, Kind.DUMMY):
            text = f"Q{self.question}: {text}"
        return truncate(text, limit)


@dataclass(frozen=True)
class Dataset:
    """A survey ready for analysis.

    Attributes:
        data: one row per sheet in scan order; coded variables as integers (Int64) with
            `Missing` codes for missing answers, comments as text ("" when none).
        variables: the columns of `data`, in order, with their labels.
        comments: one row per written comment (see `comments_frame`).
        cells: every (sheet, item) after review: value, status, machine status, reason.
        pages: every input page with its status and reason (pages.csv).
        sheets: every sheet with its serial, pages and problems (sheets.csv).
        themes: the codebook of themes (`scanner.themes`).
        coded_comments: each comment coded, or with a memo, by (sheet id, comment id).
    """

    template: Template
    data: pd.DataFrame
    variables: tuple[Variable, ...]
    comments: pd.DataFrame
    cells: pd.DataFrame
    pages: pd.DataFrame
    sheets: pd.DataFrame = field(default_factory=pd.DataFrame)
    themes: tuple[Theme, ...] = ()
    coded_comments: Mapping[tuple[str, str], CommentCoding] = field(default_factory=dict)

    @cached_property
    def codings(self) -> pd.DataFrame:
        """Every theme given to a comment, by each coder (`themes.codings_frame`)."""
        return codings_frame(self.coded_comments)

    @property
    def form(self) -> str:
        return self.template.form

    @property
    def title(self) -> str:
        return self.template.title or self.template.form

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    @property
    def coded(self) -> list[Variable]:
        return [v for v in self.variables if v.coded]

    def labels(self, name: str) -> pd.Series:
        """A coded variable as its value labels; missing answers as NA."""
        v = self.variable(name)
        codes = self.data[name]
        return codes.map(lambda c: v.value_labels.get(int(c)) if pd.notna(c) and c >= 0 else None)

    def unresolved(self) -> dict[str, int]:
        """How many answers still wait for review, by kind: items, comments, programme."""
        queued = self.cells[~self.cells["status"].isin(RESOLVED | {Status.BLANK.value})]
        comment_ids = {c.id for c in self.template.comments}
        kinds = queued["item"].map(lambda i: PROGRAMME if i == PROGRAMME
                                   else "comments" if i in comment_ids else "items")
        counts = kinds.value_counts()
        return {k: int(counts.get(k, 0)) for k in ("items", "comments", PROGRAMME)}


def truncate(text: str, limit: int, *, encoding: str | None = None) -> str:
    """`text` cut to `limit` characters (or bytes in `encoding`), ending in an ellipsis when cut."""
    def size(s: str) -> int:
        return len(s.encode(encoding)) if encoding else len(s)

    if size(text) <= limit:
        return text
    cut = text
    while cut and size(cut + "…") > limit:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _join_stem(stem: str, text: str) -> str:
    stem = stem.strip()
    if not stem:
        return text
    return f"{stem} {text}" if stem.endswith((":", "?", ".", "…")) else f"{stem}: {text}"


def item_variables(template: Template, item: Item) -> list[Variable]:
    """The variables of one item: itself, or one dummy per option for a several-answers item."""
    q = template.question(item.question)
    stem = q.stem if q else ""
    label = _join_stem(stem, item.text)
    if item.question:
        label = f"Q{item.question}. {label}"
    scale = template.scales[item.scale]
    values = tuple((o.code, o.label) for o in scale.options)
    if not item.multiple:
        return [Variable(item.id, label, Kind.CODE, item.question, stem, item.text, item.scale, values, item.id)]
    return [Variable(dummy_name(item.id, code), f"{label}: {option}", Kind.DUMMY, item.question, stem,
                     f"{item.text}: {option}", item.scale, ((0, "Not marked"), (1, "Marked")), item.id)
            for code, option in values]


def dummy_name(item: str, code: int) -> str:
    return f"{item}_{code}" if code >= 0 else f"{item}_m{-code}"


def comment_variable(template: Template, zone: Comment) -> Variable:
    q = template.question(zone.question)
    stem = q.stem if q else ""
    generic = not zone.prompt or zone.prompt.lower().startswith("please comment")
    if zone.question:
        about = stem if generic and stem else zone.prompt or stem
        label = f"Q{zone.question} comment: {about}" if about else f"Q{zone.question} comment"
    else:
        label = zone.prompt or f"Comment {zone.id}"
    return Variable(zone.id, label, Kind.COMMENT, zone.question, stem, zone.prompt, item=zone.id)


def programme_values(template: Template, seen: list[str]) -> tuple[tuple[int, str], ...]:
    """Programme codes 1, 2, ... in the template's colour order, then any other name seen."""
    names: list[str] = []
    for name in [c.programme for c in template.colours] + sorted(set(seen)):
        if name and name not in names:
            names.append(name)
    return tuple((k, name) for k, name in enumerate(names, start=1))


def build_variables(template: Template, programmes_seen: list[str] = ()) -> list[Variable]:
    """The dataset's columns: sheet, source, page, programme, colour, items, comments."""
    variables = [
        Variable("sheet_id", "Questionnaire (sheet) id", Kind.TEXT),
        Variable("source", "Scanned file", Kind.TEXT),
        Variable("first_page", "Page of the questionnaire's first page in its file", Kind.NUMBER),
        Variable(PROGRAMME, "Programme (told from the paper colour)", Kind.CODE,
                 values=programme_values(template, list(programmes_seen)), item=PROGRAMME),
        Variable("colour", "Paper colour", Kind.TEXT),
    ]
    for item in template.items:
        variables += item_variables(template, item)
    variables += [comment_variable(template, zone) for zone in template.comments]
    return variables


INVALID_OUTCOME = "invalid"
"""A review decision's outcome for marks that give no usable answer (several boxes)."""


def _code(value: str, status: str, valid: set[int], outcome: str = "") -> int:
    """One answer's code, or the `Missing` code saying why there is none."""
    if status == Status.BLANK.value:
        return Missing.BLANK
    if status == Status.MULTIPLE.value:
        return Missing.MULTIPLE
    if status not in RESOLVED:
        return Missing.UNRESOLVED
    if value == "":
        # Reviewed as "nothing usable": marked but unusable, or nothing answered.
        return Missing.MULTIPLE if outcome == INVALID_OUTCOME else Missing.BLANK
    try:
        code = int(value)
    except ValueError:
        return Missing.UNRESOLVED
    return code if code in valid else Missing.UNRESOLVED


def _programme_code(value: str, status: str, codes: dict[str, int]) -> int:
    """A sheet's programme code, or `UNKNOWN` when a reviewer settled it so (key 0)."""
    if status not in RESOLVED:
        return Missing.UNRESOLVED
    if value:
        return codes[value]
    return Missing.UNKNOWN if status == Status.REVIEWED.value else Missing.UNRESOLVED


def decision_outcomes(store: Store) -> dict[tuple[str, str], str]:
    """The outcome (value, blank, invalid, check) of each item's decision in force."""
    rows = store.db.execute(
        "SELECT d.sheet_id, d.item, d.outcome FROM decisions d JOIN (SELECT MAX(id) AS id FROM decisions "
        "WHERE undone = 0 GROUP BY sheet_id, item) last ON last.id = d.id").fetchall()
    return {(r[0], r[1]): r[2] or "" for r in rows}


def _dummies(value: str, status: str, codes: list[int], outcome: str = "") -> list[int]:
    if status in RESOLVED and value != "":
        try:
            chosen = {int(v) for v in value.split(";") if v.strip()}
        except ValueError:
            return [Missing.UNRESOLVED] * len(codes)
        if chosen <= set(codes):
            return [int(c in chosen) for c in codes]
        return [Missing.UNRESOLVED] * len(codes)
    return [_code("", status, set(), outcome)] * len(codes)


def build_dataset(store: Store, template: Template) -> Dataset:
    """The survey in `store`, read with `template`, as a labelled dataset: the
    questionnaires of its form (a survey may hold several forms)."""
    # A sheet stored before sheets named their form ('') is of the survey's only form.
    sheets = pd.read_sql_query("SELECT sheet_id, source, first_page, colour FROM sheets WHERE form IN ('', ?) "
                               "ORDER BY seq", store.db, params=(template.form,))
    cells = final_items(store)
    cells = cells[cells["sheet_id"].isin(sheets["sheet_id"])]
    found = {(r.sheet_id, r.item): (r.value, r.status) for r in cells.itertuples(index=False)}
    outcomes = decision_outcomes(store)
    absent = ("", Status.REVIEW.value)  # an item the store does not have for this sheet
    seen = [v for (s, item), (v, st) in found.items() if item == PROGRAMME and st in RESOLVED and v]
    variables = build_variables(template, seen)
    columns: dict[str, list] = {v.name: [] for v in variables}
    programme = next(v for v in variables if v.name == PROGRAMME)
    programme_code = {label: code for code, label in programme.values}
    bad = 0
    for sheet in sheets.itertuples(index=False):
        sid = sheet.sheet_id
        columns["sheet_id"].append(sid)
        columns["source"].append(sheet.source)
        columns["first_page"].append(int(sheet.first_page))
        columns["colour"].append(sheet.colour or "")
        value, status = found.get((sid, PROGRAMME), absent)
        columns[PROGRAMME].append(int(_programme_code(value, status, programme_code)))
        for item in template.items:
            value, status = found.get((sid, item.id), absent)
            codes = [o.code for o in template.scales[item.scale].options]
            outcome = outcomes.get((sid, item.id), "")
            if item.multiple:
                for code, flag in zip(codes, _dummies(value, status, codes, outcome)):
                    columns[dummy_name(item.id, code)].append(int(flag))
            else:
                code = _code(value, status, set(codes), outcome)
                bad += code == Missing.UNRESOLVED and status in RESOLVED
                columns[item.id].append(int(code))
        for zone in template.comments:
            value, status = found.get((sid, zone.id), absent)
            columns[zone.id].append(value if status in RESOLVED else "")
    if bad:
        log.warning("%d reviewed answers are not codes of their scale: counted as unresolved", bad)
    data = pd.DataFrame(columns)
    for v in variables:
        if v.coded or v.kind is Kind.NUMBER:
            data[v.name] = data[v.name].astype("Int64")
        else:
            data[v.name] = data[v.name].astype(object)
    dataset_cells = cells[["sheet_id", "item", "value", "status", "machine_status", "reason", "crop",
                           "form_page", "source", "first_page", "confidence"]].copy()
    dataset = Dataset(template, data, tuple(variables), pd.DataFrame(), dataset_cells, pages_table(store),
                      sheets_table(store, cells, list(sheets["sheet_id"])), tuple(codebook(store)),
                      comment_codings(store))
    return replace(dataset, comments=with_themes(comments_frame(dataset), dataset.coded_comments))


def with_themes(comments: pd.DataFrame, coded: Mapping[tuple[str, str], CommentCoding]) -> pd.DataFrame:
    """The comments with the themes in force (`; ` between them), their coder and the memos.

    A comment is coded once a coder has given it themes, or taken them all off again: an
    empty `themes` with a `coder` is a comment coded as fitting no theme. Memos of several
    coders are each preceded by the coder's name.
    """
    keys = list(zip(comments["sheet_id"], comments["comment"]))
    found = [coded.get(k) for k in keys]
    out = comments.copy()
    out["themes"] = ["; ".join(c.themes) if c else "" for c in found]
    out["coder"] = [c.coder if c else "" for c in found]
    out["memo"] = [(next(iter(c.memos.values())) if len(c.memos) == 1
                    else "\n".join(f"{who}: {m}" for who, m in c.memos.items())) if c else "" for c in found]
    return out


def _text(value: object) -> str:
    """A cell as text: "" for None and NaN (what SQL NULL becomes in a frame)."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def comments_frame(ds: Dataset) -> pd.DataFrame:
    """One row per written comment, for reading comments question by question.

    Columns: sheet_id, programme, role, question, stem, comment, prompt, text, status,
    reason, crop (the image of the zone, relative to the out folder), source, first_page
    (and, from `with_themes`, themes, coder and memo).
    Comments still waiting for review are there too, with their status: their text may
    be empty (OCR off) or unsure, and the crop shows what was written. Zones on pages
    that are missing are not: nothing is known to be written there.
    """
    zones = {z.id: z for z in ds.template.comments}
    cells = ds.cells[ds.cells["item"].isin(zones)]
    # Written: text in force, or, while waiting for review, text or an image of the zone.
    # A zone whose page is missing is not known to hold anything: it is left to data quality.
    resolved = cells["status"].isin(RESOLVED)
    has_text = cells["value"] != ""
    has_crop = cells["crop"].map(lambda c: bool(_text(c)))
    pending = ~resolved & (cells["status"] != Status.BLANK.value)
    written = cells[(resolved & has_text) | (pending & (has_text | has_crop))]
    def label_of(name: str) -> dict[str, str]:
        if name not in ds.data.columns:
            return {}
        return {sid: label if isinstance(label, str) else ""
                for sid, label in zip(ds.data["sheet_id"], ds.labels(name))}

    programme, role = label_of(PROGRAMME), label_of(ROLE)
    order = {z: k for k, z in enumerate(zones)}
    rows = []
    for r in written.itertuples(index=False):
        zone = zones[r.item]
        q = ds.template.question(zone.question)
        rows.append({
            "sheet_id": r.sheet_id,
            "programme": programme.get(r.sheet_id, ""),
            "role": role.get(r.sheet_id, ""),
            "question": zone.question or "",
            "stem": q.stem if q else "",
            "comment": zone.id,
            "prompt": zone.prompt,
            "text": r.value,
            "status": r.status,
            "reason": _text(r.reason),
            "crop": _text(r.crop),
            "source": r.source,
            "first_page": int(r.first_page),
            "_order": order[zone.id],
        })
    columns = ["sheet_id", "programme", "role", "question", "stem", "comment", "prompt", "text", "status",
               "reason", "crop", "source", "first_page"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    sheet_order = {s: k for k, s in enumerate(ds.data["sheet_id"])}
    frame["_sheet"] = frame["sheet_id"].map(sheet_order)
    return frame.sort_values(["_order", "_sheet"], kind="stable")[columns].reset_index(drop=True)


def open_dataset(out_dir: str | Path, template: Template | str | Path | None = None) -> Dataset:
    """The labelled dataset of the survey scanned into `out_dir`.

    Args:
        out_dir: the scan's out folder (holding survey.sqlite).
        template: the template, a path to it or a shipped template's name, or None for
            the one the survey was scanned with (see `scanner.survey.survey_template`).

    Raises:
        UsageError: `out_dir` holds no scan results.
        TemplateError: no matching template.
    """
    out_dir = Path(out_dir)
    if not isinstance(template, Template):
        template = survey_template(out_dir, template)
    elif not (out_dir / STORE_NAME).is_file():
        raise UsageError(f"{out_dir} holds no scan results ({STORE_NAME} is missing): run `scan` first")
    with Store(out_dir) as store:
        return build_dataset(store, template)


THEME_VALUES = ((0, "Not given this theme"), (1, "Given this theme"))
THEME_NAME_CHARS = 30
"""Theme variables' names fit Stata (32 characters; pyreadstat fails on a 31-character name
with value labels among other labelled variables, so two to spare) and SPSS (64 bytes)."""


def theme_variable_name(zone: Comment, theme: str, taken: set[str]) -> str:
    """`q07_theme_funding` for theme "Funding" of comment zone `q07_comment`: short enough
    for Stata, and made unique with a number when two themes shorten to the same name."""
    prefix = zone.id.removesuffix("_comment") or zone.id
    slug = re.sub(r"[^a-z0-9]+", "_", theme.lower()).strip("_") or "theme"
    base = f"{prefix}_theme_{slug}"[:THEME_NAME_CHARS].rstrip("_")
    name, k = base, 2
    while name in taken:
        name = f"{base[:THEME_NAME_CHARS - len(str(k)) - 1]}_{k}"
        k += 1
    taken.add(name)
    return name


def with_theme_variables(ds: Dataset) -> Dataset:
    """`ds` with the comments' themes as multiple-response variables, one per theme used
    in a comment zone: 1 the respondent's comment has the theme (in force), 0 it was
    coded without it; `Missing.BLANK` no comment written there, `Missing.UNRESOLVED`
    a comment not yet coded."""
    comments = ds.comments
    if comments.empty or not len(ds.codings):
        return ds
    taken = {v.name for v in ds.variables}
    variables, columns = list(ds.variables), {}
    order = {t.name: k for k, t in enumerate(ds.themes)}
    in_force = ds.codings[ds.codings["in_force"]]
    for zone in ds.template.comments:
        used = sorted(set(in_force.loc[in_force["item"] == zone.id, "theme"]), key=lambda t: order.get(t, len(order)))
        rows = comments[comments["comment"] == zone.id].set_index("sheet_id")
        stem = comment_variable(ds.template, zone).stem
        for theme in used:
            name = theme_variable_name(zone, theme, taken)
            values = []
            for sid in ds.data["sheet_id"]:
                if sid not in rows.index:
                    values.append(int(Missing.BLANK))
                elif not rows.at[sid, "coder"]:
                    values.append(int(Missing.UNRESOLVED))
                else:
                    values.append(int(theme in rows.at[sid, "themes"].split("; ")))
            columns[name] = pd.array(values, dtype="Int64")
            label = f"Q{zone.question} comment theme: {theme}" if zone.question else f"{zone.id} theme: {theme}"
            variables.append(Variable(name, label, Kind.DUMMY, zone.question, stem, f"comment theme: {theme}",
                                      None, THEME_VALUES, zone.id, theme))
    if not columns:
        return ds
    data = pd.concat([ds.data, pd.DataFrame(columns, index=ds.data.index)], axis=1)
    return replace(ds, data=data, variables=tuple(variables))
