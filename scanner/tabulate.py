"""Frequency tables: per item, how many chose each answer, overall and by a group.

Like the study's Tables 1 to 49: n and percentage of the valid answers for each option,
with blank, several-marked and unresolved answers counted apart (never in the
percentages), overall or by programme, role or any other coded item.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from scanner.dataset import Dataset, Kind, Missing, Variable
from scanner.errors import UsageError

ALL = "All"
MISSING_SHORT = {Missing.BLANK: "blank", Missing.MULTIPLE: "several marked", Missing.UNRESOLVED: "unresolved",
                 Missing.UNKNOWN: "unknown"}
"""How a missing answer is named in a table's rows."""
FORMATS = ("text", "csv", "markdown")
ANSWER_WIDTH = 30
GROUP_WIDTH = 11
"""Terminal tables: widest answer column, narrowest group column (characters)."""


@dataclass(frozen=True)
class Frequencies:
    """One item's frequency table.

    Attributes:
        variable: the item tabulated.
        by: the grouping variable, or None for the overall table only.
        groups: the column names: each group with answers, then `ALL`.
        counts: n per (code, group): rows are the valid codes in scale order, then the
            `Missing` codes; columns are `groups`.
    """

    variable: Variable
    by: Variable | None
    groups: tuple[str, ...]
    counts: pd.DataFrame

    @cached_property
    def _n(self) -> dict[str, dict[int, int]]:
        return {g: {int(c): int(n) for c, n in self.counts[g].items()} for g in self.groups}

    def n(self, code: int, group: str = ALL) -> int:
        """How many in `group` have `code` (an answer's code or a `Missing` code)."""
        return self._n[group][int(code)]

    def valid(self, group: str = ALL) -> int:
        """How many gave a valid answer in `group`."""
        return sum(self._n[group][c] for c, _ in self.variable.values)

    def total(self, group: str = ALL) -> int:
        return sum(self._n[group].values())

    def percent(self, code: int, group: str = ALL) -> float | None:
        """The share of the valid answers in `group` that chose `code` (None without any)."""
        valid = self.valid(group)
        return 100.0 * self._n[group][int(code)] / valid if valid else None

    def missing_rows(self, all_rows: bool = False) -> list[Missing]:
        """The missing reasons to show: those that occur (or all with `all_rows`)."""
        return [m for m in Missing if all_rows or any(self._n[g][int(m)] for g in self.groups)]

    def frame(self) -> pd.DataFrame:
        """The table in long form: one row per (group, answer), for CSV and scripts."""
        rows = []
        for group in self.groups:
            base = {"variable": self.variable.name, "label": self.variable.label,
                    "by": self.by.name if self.by else "", "group": group}
            for code, label in self.variable.values:
                pct = self.percent(code, group)
                rows.append(base | {"kind": "valid", "code": code, "answer": label,
                                    "n": self.n(code, group),
                                    "percent": round(pct, 1) if pct is not None else None})
            rows.append(base | {"kind": "valid total", "code": None, "answer": "Valid answers",
                                "n": self.valid(group), "percent": 100.0 if self.valid(group) else None})
            for m in Missing:
                rows.append(base | {"kind": "missing", "code": int(m), "answer": MISSING_SHORT[m].capitalize(),
                                    "n": self.n(int(m), group), "percent": None})
            rows.append(base | {"kind": "total", "code": None, "answer": "All questionnaires",
                                "n": self.total(group), "percent": None})
        frame = pd.DataFrame(rows)
        frame["code"] = frame["code"].astype("Int64")
        return frame


def group_labels(ds: Dataset, by: Variable) -> pd.Series:
    """Each sheet's group: the label of its `by` code, or "(unresolved)" and the like."""
    labels = by.value_labels
    return ds.data[by.name].map(
        lambda c: labels.get(int(c), str(c)) if c >= 0 else f"({by.name} {MISSING_SHORT[Missing(int(c))]})")


def frequencies(ds: Dataset, name: str, by: str | None = None) -> Frequencies:
    """The frequency table of coded variable `name`, overall and by variable `by`.

    Raises:
        UsageError: `name` or `by` is not a coded variable of the dataset.
    """
    variable = _coded(ds, name)
    codes = [c for c, _ in variable.values] + [int(m) for m in Missing]
    column = ds.data[variable.name].astype("int64")
    counts = pd.DataFrame({ALL: column.value_counts().reindex(codes, fill_value=0)})
    group_var = None
    if by is not None:
        group_var = _coded(ds, by, what="--by")
        if group_var.kind is Kind.DUMMY:
            raise UsageError(f"--by {by}: choose a one-answer item or programme")
        groups = group_labels(ds, group_var)
        order = [label for _, label in group_var.values] + sorted(set(groups) - set(group_var.value_labels.values()))
        per_group = {g: column[groups == g].value_counts().reindex(codes, fill_value=0)
                     for g in order if (groups == g).any()}
        counts = pd.DataFrame(per_group | {ALL: counts[ALL]})
    return Frequencies(variable, group_var, tuple(counts.columns), counts.astype("int64"))


def _coded(ds: Dataset, name: str, what: str = "item") -> Variable:
    try:
        v = ds.variable(name)
    except KeyError:
        v = None
    if v is None or not v.coded:
        choices = ", ".join(x.name for x in ds.coded)
        raise UsageError(f"{what} {name!r} is not a coded item of form {ds.form}; choose from: {choices}")
    return v


def select(ds: Dataset, items: list[str] | str | None = None) -> list[Variable]:
    """The coded items to tabulate: all (programme aside), or those named.

    Each name is an item id (`q07a`), a question number (`7`, `Q7` or `q07` give q07a
    to q07d) or the start of item ids.

    Raises:
        UsageError: a name matches no coded item.
    """
    coded = [v for v in ds.coded if v.item != "programme"]
    if not items:
        return coded
    names = items.split(",") if isinstance(items, str) else [n for x in items for n in x.split(",")]
    chosen: list[Variable] = []
    for raw in (n.strip() for n in names):
        if not raw:
            continue
        q = raw[1:] if raw[:1] in "qQ" and raw[1:].isdigit() else raw
        found = ([v for v in ds.coded if v.name == raw or v.item == raw]
                 or [v for v in coded if q.isdigit() and v.question and v.question.lstrip("0") == q.lstrip("0")]
                 or [v for v in coded if v.item and v.item.startswith(raw)])
        if not found:
            raise UsageError(f"--items {raw!r} matches no coded item of form {ds.form}; items are "
                             f"{', '.join(v.name for v in coded)}")
        chosen += [v for v in found if v not in chosen]
    return chosen


def tabulate(ds: Dataset, items: list[str] | str | None = None, by: str | None = None) -> list[Frequencies]:
    """Frequency tables of the chosen items (all by default), overall and by `by`."""
    return [frequencies(ds, v.name, by) for v in select(ds, items)]


# --- rendering --------------------------------------------------------------------------
def cell(table: Frequencies, code: int | None, group: str) -> str:
    """A table cell: "n (p%)" for an answer, "n" for a missing reason or total."""
    if code is None:
        return str(table.valid(group))
    n = table.n(code, group)
    if code < 0:
        return str(n)
    pct = table.percent(code, group)
    return f"{n} ({pct:.1f}%)" if pct is not None else str(n)


def display_rows(table: Frequencies) -> list[tuple[str, list[str], str]]:
    """Rows as shown: (answer, a cell per group, row kind: valid, total, missing, all)."""
    rows = [(label, [cell(table, code, g) for g in table.groups], "valid") for code, label in table.variable.values]
    rows.append(("Valid answers", [cell(table, None, g) for g in table.groups], "total"))
    for m in table.missing_rows():
        rows.append((MISSING_SHORT[m].capitalize(), [cell(table, int(m), g) for g in table.groups], "missing"))
    rows.append(("All questionnaires", [str(table.total(g)) for g in table.groups], "all"))
    return rows


def title(table: Frequencies) -> str:
    v = table.variable
    text = f"Q{v.question}: {v.text}" if v.question else v.text
    return f"{v.name} — {text}"


def to_csv(tables: list[Frequencies]) -> str:
    """All tables in long form as one CSV."""
    buffer = io.StringIO()
    frame = pd.concat([t.frame() for t in tables], ignore_index=True) if tables else pd.DataFrame()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(tables: list[Frequencies]) -> str:
    """Each table as a Markdown section: heading, question stem, and the table."""
    parts = []
    for t in tables:
        lines = [f"### {_md(title(t))}", ""]
        if t.variable.stem:
            lines += [f"*Q{t.variable.question}. {_md(t.variable.stem)}*", ""]
        lines.append("| Answer | " + " | ".join(_md(g) for g in t.groups) + " |")
        lines.append("|---|" + "---:|" * len(t.groups))
        for answer, cells, kind in display_rows(t):
            name = f"**{answer}**" if kind in ("total", "all") else f"*{answer}*" if kind == "missing" else answer
            lines.append(f"| {_md(name)} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    note = ("Cells: n (% of valid answers). Blank, several-marked and unresolved answers are "
            "counted apart and left out of the percentages.")
    return "\n\n".join(parts + [note]) + "\n"


def rich_tables(tables: list[Frequencies]) -> list:
    """Each table as a rich Table for the terminal."""
    from rich.table import Table

    out = []
    for t in tables:
        caption = f"Q{t.variable.question}. {t.variable.stem}" if t.variable.stem else None
        table = Table(title=title(t), caption=caption, title_justify="left", caption_justify="left")
        rows = display_rows(t)
        answers = min(ANSWER_WIDTH, max(len(a) for a, _, _ in rows))
        table.add_column("Answer", min_width=answers, max_width=ANSWER_WIDTH, overflow="fold")
        cells = max(len(c) for _, row, _ in rows for c in row)
        for g in t.groups:
            # Numbers never wrap: the group names are wrapped to fit above them instead.
            width = max(cells, GROUP_WIDTH)
            header = "\n".join(textwrap.wrap(g, width, break_long_words=True))
            table.add_column(header, justify="right", no_wrap=True, min_width=width, max_width=width)
        for answer, row, kind in rows:
            style = "bold" if kind in ("total", "all") else "dim" if kind == "missing" else None
            table.add_row(answer, *row, style=style, end_section=kind == "total")
        out.append(table)
    return out


def text_width(tables: list[Frequencies]) -> int:
    """The terminal width the text tables need so that no number is cut."""
    widest = 0
    for t in tables:
        rows = display_rows(t)
        cells = max(GROUP_WIDTH, max(len(c) for _, row, _ in rows for c in row))
        answers = min(ANSWER_WIDTH, max(len(a) for a, _, _ in rows))
        widest = max(widest, answers + 4 + len(t.groups) * (cells + 3))
    return widest


def render(tables: list[Frequencies], fmt: str) -> str | list:
    """`tables` as text for csv or markdown; as rich renderables for text.

    Raises:
        UsageError: an unknown format.
    """
    if fmt == "csv":
        return to_csv(tables)
    if fmt == "markdown":
        return to_markdown(tables)
    if fmt == "text":
        return rich_tables(tables)
    raise UsageError(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")


# --- themes of the comments ---------------------------------------------------------------
THEME_GROUPS = ("programme", "role", "question")


@dataclass(frozen=True)
class ThemeCounts:
    """Comments and respondents per theme (the themes in force), overall and by a group.

    Attributes:
        by: `programme`, `role`, `question` or another one-answer item; None for overall.
        groups: the column names: each group with comments, then `ALL`.
        themes: the codebook's themes, in its order.
        comments, respondents: n per (theme, group): comments with the theme, and
            respondents who wrote at least one of them.
        written, writers, uncoded: per group: comments written, respondents who wrote
            one, and comments nobody has coded yet.
    """

    by: str | None
    groups: tuple[str, ...]
    themes: tuple[str, ...]
    comments: dict[tuple[str, str], int]
    respondents: dict[tuple[str, str], int]
    written: dict[str, int]
    writers: dict[str, int]
    uncoded: dict[str, int]

    def percent(self, theme: str, group: str = ALL, of: str = "respondents") -> float | None:
        """The share of respondents who wrote a comment (or of the comments written) in
        `group` that have `theme`; None when nobody in the group wrote one."""
        if of == "respondents":
            n, base = self.respondents[(theme, group)], self.writers[group]
        else:
            n, base = self.comments[(theme, group)], self.written[group]
        return 100.0 * n / base if base else None

    def frame(self) -> pd.DataFrame:
        """Long form: one row per (theme, group), for CSV and scripts."""
        rows = []
        for group in self.groups:
            for theme in self.themes:
                pc, pr = self.percent(theme, group, "comments"), self.percent(theme, group)
                rows.append({"theme": theme, "by": self.by or "", "group": group,
                             "comments": self.comments[(theme, group)],
                             "comments_percent": round(pc, 1) if pc is not None else None,
                             "respondents": self.respondents[(theme, group)],
                             "respondents_percent": round(pr, 1) if pr is not None else None,
                             "comments_written": self.written[group], "respondents_writing": self.writers[group],
                             "comments_uncoded": self.uncoded[group]})
        return pd.DataFrame(rows)


def _comment_groups(ds: Dataset, by: str | None) -> pd.Series:
    """Each written comment's group: its question, or its respondent's group."""
    comments = ds.comments
    if by is None:
        return pd.Series(ALL, index=comments.index)
    if by == "question":
        return comments.apply(lambda r: f"Q{r['question']}" if r["question"] else r["comment"], axis=1)
    variable = _coded(ds, by, what="--by")
    if variable.kind is Kind.DUMMY:
        raise UsageError(f"--by {by}: choose programme, role, question or a one-answer item")
    labels = dict(zip(ds.data["sheet_id"], group_labels(ds, variable)))
    return comments["sheet_id"].map(labels)


def theme_counts(ds: Dataset, by: str | None = None) -> ThemeCounts:
    """How many comments, and respondents, have each theme, overall and by `by`.

    Raises:
        UsageError: no codebook yet, or `by` is not programme, role, question or a one-answer item.
    """
    if not ds.themes:
        raise UsageError("this survey has no themes yet: import a codebook (`scanner themes import`) and code "
                         "the comments first")
    comments = ds.comments.assign(_group=_comment_groups(ds, by))
    themes = tuple(t.name for t in ds.themes)
    if by is None:
        order = []
    elif by == "question":
        order = list(dict.fromkeys(comments["_group"]))
    else:
        variable = ds.variable(by)
        named = [label for _, label in variable.values]
        order = [g for g in named if g in set(comments["_group"])] + sorted(set(comments["_group"]) - set(named))
    groups = tuple(order) + (ALL,)
    has = {t: comments["themes"].map(lambda s, t=t: t in s.split("; ")) for t in themes}
    counts, people, written, writers, uncoded = {}, {}, {}, {}, {}
    for group in groups:
        in_group = comments if group == ALL else comments[comments["_group"] == group]
        written[group] = len(in_group)
        writers[group] = in_group["sheet_id"].nunique()
        uncoded[group] = int((in_group["coder"] == "").sum())
        for t in themes:
            with_theme = in_group[has[t].loc[in_group.index]]
            counts[(t, group)] = len(with_theme)
            people[(t, group)] = with_theme["sheet_id"].nunique()
    return ThemeCounts(by, groups, themes, counts, people, written, writers, uncoded)


def _theme_cell(counts: ThemeCounts, theme: str, group: str, of: str) -> str:
    n = counts.respondents[(theme, group)] if of == "respondents" else counts.comments[(theme, group)]
    pct = counts.percent(theme, group, of)
    return f"{n} ({pct:.1f}%)" if pct is not None else str(n)


def theme_rows(counts: ThemeCounts, of: str) -> list[tuple[str, list[str], str]]:
    """Rows as shown, for respondents or comments: (label, a cell per group, row kind)."""
    rows = [(t, [_theme_cell(counts, t, g, of) for g in counts.groups], "valid") for t in counts.themes]
    if of == "respondents":
        rows.append(("Respondents who wrote a comment", [str(counts.writers[g]) for g in counts.groups], "total"))
    else:
        rows.append(("Comments written", [str(counts.written[g]) for g in counts.groups], "total"))
    rows.append(("not yet coded", [str(counts.uncoded[g]) for g in counts.groups], "missing"))
    return rows


def themes_text_width(counts: ThemeCounts) -> int:
    """The terminal width the theme tables need so that no number is cut."""
    rows = theme_rows(counts, "respondents") + theme_rows(counts, "comments")
    cells = max(GROUP_WIDTH, max(len(c) for _, row, _ in rows for c in row))
    labels = min(ANSWER_WIDTH, max(len(label) for label, _, _ in rows))
    return labels + 4 + len(counts.groups) * (cells + 3)


THEME_TITLES = {"respondents": "Respondents per theme (n, % of those who wrote a comment)",
                "comments": "Comments per theme (n, % of the comments written)"}


def render_themes(counts: ThemeCounts, fmt: str) -> str | list:
    """The theme counts as csv or markdown text, or rich tables for the terminal.

    Raises:
        UsageError: an unknown format.
    """
    if fmt == "csv":
        buffer = io.StringIO()
        counts.frame().to_csv(buffer, index=False)
        return buffer.getvalue()
    if fmt == "markdown":
        parts = []
        for of in ("respondents", "comments"):
            lines = [f"### {THEME_TITLES[of]}", "", "| Theme | " + " | ".join(_md(g) for g in counts.groups) + " |",
                     "|---|" + "---:|" * len(counts.groups)]
            for label, cells, kind in theme_rows(counts, of):
                name = f"**{label}**" if kind == "total" else f"*{label}*" if kind == "missing" else label
                lines.append(f"| {_md(name)} | " + " | ".join(cells) + " |")
            parts.append("\n".join(lines))
        return "\n\n".join(parts) + "\n"
    if fmt == "text":
        from rich.table import Table

        out = []
        for of in ("respondents", "comments"):
            table = Table(title=THEME_TITLES[of], title_justify="left")
            rows = theme_rows(counts, of)
            table.add_column("Theme", max_width=ANSWER_WIDTH, overflow="fold")
            width = max(GROUP_WIDTH, max(len(c) for _, row, _ in rows for c in row))
            for g in counts.groups:
                header = "\n".join(textwrap.wrap(g, width, break_long_words=True))
                table.add_column(header, justify="right", no_wrap=True, min_width=width, max_width=width)
            for label, cells, kind in rows:
                style = "bold" if kind == "total" else "dim" if kind == "missing" else None
                table.add_row(label, *cells, style=style, end_section=kind == "valid" and label == counts.themes[-1])
            out.append(table)
        return out
    raise UsageError(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
