"""Themes: the codebook of a survey's comments, and which coder gave which comment which theme.

A theme has a name, a description, an optional parent theme and optional key words; the
codebook lives in the survey's store and travels as YAML or as a REFI-QDA codebook
(`scanner.refiqda`). A comment is one written comment zone of one sheet: (sheet id,
comment id).

Codings are kept as review decisions are: every step is a row of the store's `codings`
table, with its coder and time, that is never changed except to be marked undone. `code`
and `uncode` put a theme on a comment or take it off, for one coder; `memo` is a coder's
note on a comment; `quote` and `unquote` choose a comment as a quote of a theme for the
report. A coder's view of a comment is, for each theme, their last step not undone.

Two people may code the same comment independently (`agreement` compares them theme by
theme). The themes *in force*, those the analysis counts, are the view of the coder who
coded the comment last: to settle a disagreement, code the comment again.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

import pandas as pd
import yaml

from scanner.errors import UsageError
from scanner.store import STORE_NAME, Store

MAX_NAME = 100
MAX_CODER = 100
MAX_MEMO = 20_000
CODEBOOK_KEYS = ("name", "description", "parent", "keywords", "guid")


class Action(str, Enum):
    """What one step of coding does."""

    CODE = "code"
    UNCODE = "uncode"
    MEMO = "memo"
    QUOTE = "quote"
    UNQUOTE = "unquote"


class ThemeError(UsageError):
    """A theme or a coding that cannot be: an unknown theme or comment, a name taken, a loop of parents."""


class CodebookError(UsageError):
    """A codebook file that cannot be read; the message names the file and the bad entry."""


@dataclass(frozen=True)
class Theme:
    """One theme of the codebook.

    Attributes:
        name: unique within the survey.
        parent: the parent theme's name, or None for a top-level theme.
        keywords: words that suggest the theme for a comment (see `scanner.coding`).
        guid: the theme's id in REFI-QDA files, kept through import and export.
        id: the theme's row in the store (0 for a theme read from a file).
    """

    name: str
    description: str = ""
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    guid: str = ""
    id: int = 0


@dataclass(frozen=True)
class Coding:
    """One step of coding, as stored."""

    id: int
    sheet_id: str
    item: str
    theme: str | None
    action: Action
    memo: str
    coder: str
    coded_at: str
    undone: bool


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def open_store(out_dir: str | Path) -> Store:
    """The store of the survey scanned into `out_dir`.

    Raises:
        UsageError: `out_dir` holds no scan results.
    """
    out_dir = Path(out_dir)
    if not (out_dir / STORE_NAME).is_file():
        raise UsageError(f"{out_dir} holds no scan results ({STORE_NAME} is missing): "
                         f"run `scan FILES --out {out_dir}` first, or name the out folder")
    return Store(out_dir)


# --- the codebook -----------------------------------------------------------------------
def codebook(store: Store) -> list[Theme]:
    """Every theme of the survey, in the order they were made."""
    rows = store.db.execute("SELECT * FROM themes ORDER BY id").fetchall()
    names = {r["id"]: r["name"] for r in rows}
    return [Theme(r["name"], r["description"], names.get(r["parent"]), tuple(json.loads(r["keywords"])), r["guid"],
                  r["id"]) for r in rows]


def find_theme(store: Store, name: str) -> Theme:
    """The theme called `name`.

    Raises:
        ThemeError: no theme has that name.
    """
    for t in codebook(store):
        if t.name == name:
            return t
    known = ", ".join(t.name for t in codebook(store)) or "none yet"
    raise ThemeError(f"no theme {name!r} in this survey's codebook; themes: {known}")


def _clean_name(name: str, what: str = "a theme's name") -> str:
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_NAME:
        raise ThemeError(f"{what} must be 1 to {MAX_NAME} characters, not {name!r}")
    if ";" in name:
        # Exports list a comment's themes with "; " between them.
        raise ThemeError(f"{what} cannot hold a semicolon: {name!r}")
    return name


def _clean_keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in (" ".join(str(k).split()).lower() for k in keywords) if w))


def _parent_id(store: Store, parent: str | None, child: str) -> int | None:
    if parent is None or parent == "":
        return None
    theme = find_theme(store, parent)
    ancestor: Theme | None = theme
    by_name = {t.name: t for t in codebook(store)}
    while ancestor is not None:
        if ancestor.name == child:
            raise ThemeError(f"theme {child!r} cannot be under {parent!r}: {parent!r} is {child!r} or below it")
        ancestor = by_name.get(ancestor.parent) if ancestor.parent else None
    return theme.id


def add_theme(store: Store, name: str, description: str = "", parent: str | None = None,
              keywords: Iterable[str] = (), guid: str | None = None) -> Theme:
    """Add a theme to the codebook.

    Raises:
        ThemeError: the name is empty, too long or taken, or the parent is unknown.
    """
    name = _clean_name(name)
    with store.transaction():
        if store.db.execute("SELECT 1 FROM themes WHERE name = ?", (name,)).fetchone():
            raise ThemeError(f"there is a theme {name!r} already")
        store.db.execute(
            "INSERT INTO themes (guid, name, description, parent, keywords, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (guid or str(uuid.uuid4()), name, description.strip(), _parent_id(store, parent, name),
             json.dumps(list(_clean_keywords(keywords))), _now()))
    return find_theme(store, name)


_KEEP = object()


def edit_theme(store: Store, name: str, *, new_name: str | None = None, description: str | None = None,
               parent: str | None | object = _KEEP, keywords: Iterable[str] | None = None) -> Theme:
    """Change a theme: its name, description, parent (None: top level) or key words.

    Its codings follow it: they name the theme by its row, not its name.

    Raises:
        ThemeError: no such theme, the new name is taken, or the parent would make a loop.
    """
    theme = find_theme(store, name)
    target = _clean_name(new_name) if new_name is not None else theme.name
    with store.transaction():
        if target != theme.name and store.db.execute("SELECT 1 FROM themes WHERE name = ?", (target,)).fetchone():
            raise ThemeError(f"there is a theme {target!r} already")
        parent_id = (store.db.execute("SELECT parent FROM themes WHERE id = ?", (theme.id,)).fetchone()[0]
                     if parent is _KEEP else _parent_id(store, parent, theme.name))
        store.db.execute(
            "UPDATE themes SET name = ?, description = ?, parent = ?, keywords = ? WHERE id = ?",
            (target, theme.description if description is None else description.strip(), parent_id,
             json.dumps(list(theme.keywords if keywords is None else _clean_keywords(keywords))), theme.id))
    return find_theme(store, target)


def import_codebook(store: Store, themes: Iterable[Theme]) -> tuple[int, int]:
    """Merge `themes` into the survey's codebook; returns (added, updated).

    A theme is the same as one in the store when their REFI-QDA guids match, else when
    their names do; it then takes the description, parent and key words of the file
    (and its name, when matched by guid). Themes of the store not in the file are kept.

    Raises:
        ThemeError: a parent that is in neither, or a loop of parents.
    """
    themes = list(themes)
    added = updated = 0
    for t in themes:
        known = {x.guid: x for x in codebook(store)} | {x.name: x for x in codebook(store)}
        match = known.get(t.guid) if t.guid else None
        match = match or known.get(t.name)
        if match is None:
            add_theme(store, t.name, t.description, None, t.keywords, t.guid or None)
            added += 1
        else:
            edit_theme(store, match.name, new_name=t.name, description=t.description, keywords=t.keywords)
            updated += 1
    # Parents once every theme is in, so that a file may list a child before its parent.
    for t in themes:
        edit_theme(store, t.name, parent=t.parent)
    return added, updated


# --- codebook files ----------------------------------------------------------------------
def codebook_yaml(themes: Iterable[Theme]) -> str:
    """The codebook as YAML: `themes:`, a list of name, description, parent, keywords, guid."""
    entries = []
    for t in themes:
        entry: dict = {"name": t.name}
        if t.description:
            entry["description"] = t.description
        if t.parent:
            entry["parent"] = t.parent
        if t.keywords:
            entry["keywords"] = list(t.keywords)
        if t.guid:
            entry["guid"] = t.guid
        entries.append(entry)
    return yaml.safe_dump({"themes": entries}, allow_unicode=True, sort_keys=False, width=100)


def parse_codebook_yaml(text: str, source: str = "codebook") -> list[Theme]:
    """Themes from codebook YAML (see `codebook_yaml`).

    Raises:
        CodebookError: not YAML, or an entry of the wrong shape (named by its YAML path).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise CodebookError(f"{source}: expected a mapping with a list `themes:`")
    themes = []
    for k, entry in enumerate(data["themes"]):
        where = f"{source}: themes[{k}]"
        if not isinstance(entry, dict):
            raise CodebookError(f"{where}: expected a mapping with at least `name:`")
        unknown = sorted(set(entry) - set(CODEBOOK_KEYS))
        if unknown:
            raise CodebookError(f"{where}.{unknown[0]}: unknown key; keys are {', '.join(CODEBOOK_KEYS)}")
        if not isinstance(entry.get("name"), (str, int)) or not str(entry["name"]).strip():
            raise CodebookError(f"{where}.name: required, a text")
        keywords = entry.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [w for w in keywords.split(",")]
        if not isinstance(keywords, list):
            raise CodebookError(f"{where}.keywords: expected a list of words")
        themes.append(Theme(str(entry["name"]).strip(), str(entry.get("description") or "").strip(),
                            str(entry["parent"]).strip() if entry.get("parent") else None,
                            _clean_keywords(keywords), str(entry.get("guid") or "")))
    return themes


def read_codebook(path: str | Path) -> list[Theme]:
    """Themes from a codebook file: YAML (.yaml, .yml) or REFI-QDA (.qdc).

    Raises:
        CodebookError: the file is missing, of another kind, or malformed.
    """
    from scanner import refiqda

    path = Path(path)
    if not path.is_file():
        raise CodebookError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return parse_codebook_yaml(path.read_text(encoding="utf-8"), str(path))
    if suffix == ".qdc":
        return refiqda.read_qdc(path)
    raise CodebookError(f"{path}: a codebook is a .yaml, .yml or .qdc file")


def write_codebook(store: Store, path: str | Path) -> Path:
    """Write the survey's codebook to `path`, as YAML or REFI-QDA (.qdc) by its suffix.

    Raises:
        CodebookError: another suffix.
    """
    from scanner import refiqda

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        path.write_text(codebook_yaml(codebook(store)), encoding="utf-8")
    elif suffix == ".qdc":
        refiqda.write_qdc(codebook(store), path)
    else:
        raise CodebookError(f"{path}: write a codebook as .yaml, .yml or .qdc")
    return path


@dataclass(frozen=True)
class ImportSummary:
    """What an import brought into the survey."""

    added: int
    updated: int
    codings: int = 0
    memos: int = 0
    skipped: int = 0
    """Codings and memos of comments this survey does not have."""


def import_file(store: Store, path: str | Path) -> ImportSummary:
    """Import a codebook (.yaml, .yml, .qdc), or a REFI-QDA project (.qdpx) with its codings.

    A project's codings and memos are added for each coder as steps of their own, with
    the time the project gives; what a coder's view already holds is not added again, so
    importing the same project twice changes nothing.

    Raises:
        CodebookError: the file cannot be read.
        ThemeError: its themes do not fit the codebook (a loop of parents).
    """
    from scanner import refiqda

    path = Path(path)
    if path.suffix.lower() != ".qdpx":
        return ImportSummary(*import_codebook(store, read_codebook(path)))
    project = refiqda.read_qdpx(path)
    added, updated = import_codebook(store, project.themes)
    current = comment_codings(store)
    comments = {(r[0], r[1]) for r in store.db.execute("SELECT sheet_id, item FROM results")}
    codings = memos = skipped = 0
    for c in project.codings:
        if (c.sheet_id, c.item) not in comments:
            skipped += 1
        elif c.theme not in current.get((c.sheet_id, c.item), CommentCoding("", "")).by_coder.get(c.coder, ()):
            code(store, c.sheet_id, c.item, c.theme, c.coder, at=c.coded_at or None)
            codings += 1
    for (sheet_id, item, coder), memo in project.memos.items():
        if (sheet_id, item) not in comments:
            skipped += 1
        elif current.get((sheet_id, item), CommentCoding("", "")).memos.get(coder) != memo:
            set_memo(store, sheet_id, item, coder, memo)
            memos += 1
    return ImportSummary(added, updated, codings, memos, skipped)


# --- coding ------------------------------------------------------------------------------
def _clean_coder(coder: str) -> str:
    coder = coder.strip()
    if not coder or len(coder) > MAX_CODER:
        raise ThemeError(f"a coding needs the coder's name (1 to {MAX_CODER} characters)")
    return coder


def _page_hash(store: Store, sheet_id: str, item: str) -> str:
    """The image of the page the comment is on, which its codings follow when a re-scan
    reads that page into another sheet (as review decisions do).

    Raises:
        ThemeError: no such comment.
    """
    row = store.db.execute("SELECT r.form_page, s.page_hashes FROM results r JOIN sheets s USING (sheet_id) "
                           "WHERE r.sheet_id = ? AND r.item = ?", (sheet_id, item)).fetchone()
    if row is None:
        raise ThemeError(f"no comment {item!r} on sheet {sheet_id!r} in this survey")
    return json.loads(row["page_hashes"]).get(str(row["form_page"]), "") if row["form_page"] else ""


def _coding(row) -> Coding:
    return Coding(row["id"], row["sheet_id"], row["item"], row["theme_name"], Action(row["action"]), row["memo"],
                  row["coder"], row["coded_at"], bool(row["undone"]))


CODING_SQL = "SELECT c.*, t.name AS theme_name FROM codings c LEFT JOIN themes t ON t.id = c.theme"


def _record(store: Store, sheet_id: str, item: str, theme: str | None, action: Action, coder: str,
            memo: str = "", at: str | None = None) -> Coding:
    coder = _clean_coder(coder)
    theme_id = find_theme(store, theme).id if theme is not None else None
    with store.transaction():
        page_hash = _page_hash(store, sheet_id, item)
        cursor = store.db.execute(
            "INSERT INTO codings (sheet_id, item, theme, action, memo, coder, coded_at, page_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (sheet_id, item, theme_id, action.value, memo, coder, at or _now(),
                                                page_hash))
        row = store.db.execute(f"{CODING_SQL} WHERE c.id = ?", (cursor.lastrowid,)).fetchone()
    return _coding(row)


def code(store: Store, sheet_id: str, item: str, theme: str, coder: str, *, at: str | None = None) -> Coding:
    """`coder` gives comment (`sheet_id`, `item`) the theme `theme`.

    Raises:
        ThemeError: no such theme or comment, or no coder's name.
    """
    return _record(store, sheet_id, item, theme, Action.CODE, coder, at=at)


def uncode(store: Store, sheet_id: str, item: str, theme: str, coder: str) -> Coding:
    """`coder` takes the theme off the comment (a comment looked at and given none counts as coded)."""
    return _record(store, sheet_id, item, theme, Action.UNCODE, coder)


def set_memo(store: Store, sheet_id: str, item: str, coder: str, memo: str, *, at: str | None = None) -> Coding:
    """`coder`'s memo on the comment (an empty memo clears it)."""
    memo = memo.strip()
    if len(memo) > MAX_MEMO:
        raise ThemeError(f"a memo is at most {MAX_MEMO} characters")
    return _record(store, sheet_id, item, None, Action.MEMO, coder, memo, at=at)


def choose_quote(store: Store, sheet_id: str, item: str, theme: str, coder: str, chosen: bool = True) -> Coding:
    """Choose the comment as a quote of `theme` in the report (or take the choice back)."""
    return _record(store, sheet_id, item, theme, Action.QUOTE if chosen else Action.UNQUOTE, coder)


def undo(store: Store, coder: str, coding_id: int | None = None) -> Coding:
    """Take back one of `coder`'s own steps: the one given, or their last one not undone.

    The step stays in the store, marked undone; the comment is as it was before it.

    Raises:
        ThemeError: no such step, someone else's, or already undone; or nothing to undo.
    """
    coder = _clean_coder(coder)
    with store.transaction():
        if coding_id is None:
            row = store.db.execute(f"{CODING_SQL} WHERE c.coder = ? AND c.undone = 0 ORDER BY c.id DESC LIMIT 1",
                                   (coder,)).fetchone()
            if row is None:
                raise ThemeError(f"{coder} has no coding to undo")
        else:
            row = store.db.execute(f"{CODING_SQL} WHERE c.id = ?", (coding_id,)).fetchone()
            if row is None:
                raise ThemeError(f"no coding {coding_id} in this survey")
            if row["coder"] != coder:
                raise ThemeError(f"coding {coding_id} is {row['coder']}'s; only they can undo it")
            if row["undone"]:
                raise ThemeError(f"coding {coding_id} is undone already")
        store.db.execute("UPDATE codings SET undone = 1 WHERE id = ?", (row["id"],))
    return _coding(row)


def history(store: Store, sheet_id: str | None = None, item: str | None = None) -> list[Coding]:
    """Every step of coding, undone ones too, oldest first (of one comment, when given)."""
    if sheet_id is None:
        rows = store.db.execute(f"{CODING_SQL} ORDER BY c.id").fetchall()
    else:
        rows = store.db.execute(f"{CODING_SQL} WHERE c.sheet_id = ? AND c.item = ? ORDER BY c.id",
                                (sheet_id, item)).fetchall()
    return [_coding(r) for r in rows]


# --- what is in force ---------------------------------------------------------------------
LAST_STEPS = """
SELECT c.sheet_id, c.item, t.name AS theme, c.action, c.memo, c.coder, c.coded_at, c.id
FROM codings c LEFT JOIN themes t ON t.id = c.theme
JOIN (SELECT MAX(id) AS id FROM codings WHERE undone = 0 AND action IN ({actions}) GROUP BY {by}) last
  ON last.id = c.id
ORDER BY c.id
"""


def _last(store: Store, actions: tuple[Action, ...], by: str) -> list:
    sql = LAST_STEPS.format(actions=", ".join(f"'{a.value}'" for a in actions), by=by)
    return store.db.execute(sql).fetchall()


@dataclass(frozen=True)
class CommentCoding:
    """One comment as coded: by each coder, and what is in force.

    Attributes:
        by_coder: each coder who coded the comment, with the themes they gave it
            (empty when they took every theme off again), oldest coder first.
        coder: the coder in force, who coded the comment last.
        memos: each coder's memo, when not empty.
        quotes: themes the comment was chosen as a quote of.
        coded_at: when each (coder, theme) was given, by the step in force.
    """

    sheet_id: str
    item: str
    by_coder: dict[str, tuple[str, ...]] = field(default_factory=dict)
    coder: str = ""
    memos: dict[str, str] = field(default_factory=dict)
    quotes: tuple[str, ...] = ()
    coded_at: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def themes(self) -> tuple[str, ...]:
        """The themes in force."""
        return self.by_coder.get(self.coder, ())


def comment_codings(store: Store) -> dict[tuple[str, str], CommentCoding]:
    """Every comment that was coded or has a memo, by (sheet id, comment id)."""
    steps = _last(store, (Action.CODE, Action.UNCODE), "sheet_id, item, theme, coder")
    by_coder: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for r in steps:
        key = (r["sheet_id"], r["item"])
        themes = by_coder.setdefault(key, {}).setdefault(r["coder"], {})
        if r["action"] == Action.CODE.value:
            themes[r["theme"]] = r["coded_at"]
        if r["id"] > latest.get(key, (0, ""))[0]:
            latest[key] = (r["id"], r["coder"])
    memos: dict[tuple[str, str], dict[str, str]] = {}
    for r in _last(store, (Action.MEMO,), "sheet_id, item, coder"):
        if r["memo"]:
            memos.setdefault((r["sheet_id"], r["item"]), {})[r["coder"]] = r["memo"]
    quotes: dict[tuple[str, str], list[str]] = {}
    for r in _last(store, (Action.QUOTE, Action.UNQUOTE), "sheet_id, item, theme"):
        if r["action"] == Action.QUOTE.value:
            quotes.setdefault((r["sheet_id"], r["item"]), []).append(r["theme"])
    out = {}
    for key in sorted(set(by_coder) | set(memos), key=lambda k: latest.get(k, (math.inf, ""))[0]):
        coders = by_coder.get(key, {})
        coder = latest.get(key, (0, ""))[1]
        times = {(c, t): at for c, themes in coders.items() for t, at in themes.items()}
        out[key] = CommentCoding(key[0], key[1], {c: tuple(t) for c, t in coders.items()}, coder,
                                 memos.get(key, {}), tuple(quotes.get(key, ())), times)
    return out


def codings_frame(coded: Mapping[tuple[str, str], CommentCoding]) -> pd.DataFrame:
    """One row per (comment, theme, coder) given, in the order of `coded`: sheet_id, item,
    theme, coder, coded_at, in_force (the coder in force), quote (chosen as a quote of the theme)."""
    rows = []
    for c in coded.values():
        for coder, themes in c.by_coder.items():
            for theme in themes:
                rows.append({"sheet_id": c.sheet_id, "item": c.item, "theme": theme, "coder": coder,
                             "coded_at": c.coded_at[(coder, theme)], "in_force": coder == c.coder,
                             "quote": theme in c.quotes})
    return pd.DataFrame(rows, columns=["sheet_id", "item", "theme", "coder", "coded_at", "in_force", "quote"])


# --- agreement between two coders -----------------------------------------------------------
def cohen_kappa(both: int, only_a: int, only_b: int, neither: int) -> float | None:
    """Cohen's kappa of two coders' yes/no on the same units; None when chance agreement is 1
    (both coders said the same to every unit, so kappa is undefined).

    kappa = (po - pe) / (1 - pe), with po the share of units they agree on and pe the share
    expected by chance from each coder's own rate of yes; computed in whole numbers
    (both multiplied by n squared) so that a kappa of 0 or 1 comes out exactly so.
    """
    n = both + only_a + only_b + neither
    yes_a, yes_b = both + only_a, both + only_b
    chance = yes_a * yes_b + (n - yes_a) * (n - yes_b)
    if n == 0 or chance == n * n:
        return None
    return (n * (both + neither) - chance) / (n * n - chance)


@dataclass(frozen=True)
class ThemeAgreement:
    """How two coders agree on one theme, over the comments both coded."""

    theme: str
    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def observed(self) -> float:
        """The share of comments on which the two agree."""
        return (self.both + self.neither) / self.n if self.n else 0.0

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.both, self.only_a, self.only_b, self.neither)


@dataclass(frozen=True)
class Disagreement:
    """A comment one coder gave a theme and the other did not."""

    sheet_id: str
    item: str
    theme: str
    coded_by: str
    not_by: str


@dataclass(frozen=True)
class Agreement:
    """Cohen's kappa per theme between two coders, and the disagreements to settle."""

    coder_a: str
    coder_b: str
    comments: int
    themes: tuple[ThemeAgreement, ...]
    disagreements: tuple[Disagreement, ...]


def coders(store: Store) -> list[str]:
    """Everyone who coded a comment, the most comments first."""
    counts: dict[str, set] = {}
    for c in comment_codings(store).values():
        for coder in c.by_coder:
            counts.setdefault(coder, set()).add((c.sheet_id, c.item))
    return sorted(counts, key=lambda c: (-len(counts[c]), c))


def agreement(store: Store, pair: tuple[str, str] | None = None) -> Agreement:
    """Compare two coders over the comments both coded, theme by theme.

    Args:
        pair: the two coders; by default the two who coded most comments.

    Raises:
        UsageError: fewer than two coders, a coder who coded nothing, or no comment coded by both.
    """
    everyone = coders(store)
    if pair is None:
        if len(everyone) < 2:
            raise UsageError(f"agreement needs two coders; comments were coded by "
                             f"{', '.join(everyone) or 'nobody'}")
        pair = (everyone[0], everyone[1])
    a, b = pair
    for c in pair:
        if c not in everyone:
            raise UsageError(f"{c!r} coded no comment; coders: {', '.join(everyone) or 'none'}")
    shared = [c for c in comment_codings(store).values() if a in c.by_coder and b in c.by_coder]
    if not shared:
        raise UsageError(f"{a} and {b} coded no comment in common: agreement is measured on comments both coded")
    used = {t for c in shared for t in (*c.by_coder[a], *c.by_coder[b])}
    names = [t.name for t in codebook(store) if t.name in used]
    per_theme, disagreements = [], []
    for theme in names:
        counts = {"both": 0, "only_a": 0, "only_b": 0, "neither": 0}
        for c in shared:
            in_a, in_b = theme in c.by_coder[a], theme in c.by_coder[b]
            key = "both" if in_a and in_b else "only_a" if in_a else "only_b" if in_b else "neither"
            counts[key] += 1
            if in_a != in_b:
                disagreements.append(Disagreement(c.sheet_id, c.item, theme, a if in_a else b, b if in_a else a))
        per_theme.append(ThemeAgreement(theme, **counts))
    return Agreement(a, b, len(shared), tuple(per_theme), tuple(disagreements))
