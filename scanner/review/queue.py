"""The review queue: what waits for a person, their decisions, and the quality check.

Everything here is a function of a `Store` (and the template, for what an item is), so
that the web server, the terminal (`scanner review --status`) and the tests share it.

The rule between reviewers: a decision names the decision it was made against (`seen`:
the item's current decision id, or None when it had none). If the item's current
decision is another by then, someone decided first: their decision stands and this one
raises `DecisionConflict`, which the server answers with 409. A person who still wants to
change it decides again against the decision they were shown, knowingly.
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from scanner.errors import ScannerError, UsageError
from scanner.forms import Forms
from scanner.outputs import STALE_REASON, sheet_problems
from scanner.results import Reason
from scanner.store import STORE_NAME, Store
from scanner.template import Template

PROGRAMME = "programme"
"""The results row holding the programme told from the paper colour."""
STALE = "STALE"
"""The queue's reason for a decision whose page was scanned again since."""
UNKNOWN_PROGRAMME = "(unknown)"
NO_QUESTION = "(none)"
MAX_TEXT = 20_000
"""Longest transcription accepted: a comment box holds a few hundred characters."""
MAX_REVIEWER = 100
BLANK_LINES_BEFORE = re.compile(r"\A(?:[^\S\n]*\n)+")


class Outcome(str, Enum):
    """What a decision says, beyond its value (blank and invalid both leave it empty)."""

    VALUE = "value"
    BLANK = "blank"
    INVALID = "invalid"
    """Marked but unusable: several boxes on a one-answer item, a mark between boxes."""
    CHECK = "check"
    """A quality-check answer, given without seeing the scan's value."""


class Kind(str, Enum):
    ITEM = "item"
    COMMENT = "comment"
    PROGRAMME = "programme"


class DecisionConflict(ScannerError):
    """Someone else decided the item (or undid the decision) first."""

    exit_code = UsageError.exit_code

    def __init__(self, message: str, current: dict | None):
        super().__init__(message)
        self.current = current


class UnknownItem(UsageError):
    """No such sheet, item or decision in the survey."""


class InvalidDecision(UsageError):
    """A value that the item cannot take, or no reviewer name."""


@dataclass(frozen=True)
class Filters:
    """Which part of the queue to show; None is any."""

    reason: str | None = None
    """A `Reason` name, or STALE."""
    question: str | None = None
    """A question number, or NO_QUESTION; in a survey of several forms, named by its
    form (`question_key`)."""
    programme: str | None = None
    """A programme as the sheet has it now (after review), or UNKNOWN_PROGRAMME."""
    form: str | None = None
    """A form's name (`Template.form`), in a survey of several forms."""


@dataclass(frozen=True)
class QueueEntry:
    sheet_id: str
    item: str
    kind: str
    reason: str
    question: str
    """As `Filters.question` takes it."""
    programme: str
    decision_id: int | None
    form: str = ""
    """The sheet's form (as stored: empty for a sheet stored before sheets named their form)."""


@dataclass(frozen=True)
class CheckReport:
    """The quality check: `ok` values a person re-read blind, and how many they disagreed with."""

    checked: int
    disagreed: int
    rate: float
    low: float
    high: float
    """The rate's 95% Wilson interval."""


def question_key(form: str, number: str) -> str:
    """A question as the queue of a survey of several forms names it: its form, then its
    number (two forms may number their questions alike: a staff and a parent version)."""
    return f"{form} · {number}"


class Fields:
    """What each result row of the template is: its kind, question, scale and codes."""

    def __init__(self, template: Template, named: bool = False):
        self.template = template
        self.named = named
        """Whether its questions are named by the form (`question_key`): one of several."""
        self.items = {i.id: i for i in template.items}
        self.comments = {c.id: c for c in template.comments}
        self.programmes = sorted({c.programme for c in template.colours})

    def of(self, form: str) -> Fields:
        """These fields, for a sheet of this form (see `SurveyFields.of`).

        Raises:
            UnknownItem: a sheet of another form.
        """
        if form not in ("", self.template.form):
            raise UnknownItem(f"a sheet of form {form!r} is not of this survey's form {self.template.form}")
        return self

    def kind(self, item: str) -> Kind | None:
        if item == PROGRAMME:
            return Kind.PROGRAMME
        if item in self.items:
            return Kind.ITEM
        return Kind.COMMENT if item in self.comments else None

    def question(self, item: str) -> str:
        """The item's question as the queue names it: its number, or NO_QUESTION."""
        field = self.items.get(item) or self.comments.get(item)
        number = (field.question if field is not None else None) or NO_QUESTION
        return question_key(self.template.form, number) if self.named else number

    def codes(self, item: str) -> list[int]:
        return [o.code for o in self.items[item].options]


class SurveyFields:
    """The fields of each form of a survey, to tell what a sheet's result row is by the
    sheet's form (two forms may use one item id for different questions)."""

    def __init__(self, template: Template | Forms):
        self.forms = Forms.of(template)
        self._fields = {t.form: Fields(t, named=self.forms.several) for t in self.forms}

    def of(self, form: str) -> Fields:
        """The fields of `form`; an empty name is the only form's (a sheet stored before
        sheets named their form).

        Raises:
            UnknownItem: no such form in the survey.
        """
        try:
            return self._fields[self.forms.get(form).form]
        except KeyError:
            raise UnknownItem(f"no form {form!r} in this survey: its forms are {', '.join(self.forms.names)}") \
                from None


AnyFields = Fields | SurveyFields
"""The fields of a survey of one form, or of each form of a survey of several."""


def sheet_form(store: Store, sheet_id: str) -> str:
    """The form of a stored sheet (empty: stored before sheets named their form).

    Raises:
        UnknownItem: no such sheet.
    """
    row = store.db.execute("SELECT form FROM sheets WHERE sheet_id = ?", (sheet_id,)).fetchone()
    if row is None:
        raise UnknownItem(f"no sheet {sheet_id!r} in this survey")
    return row["form"]


def open_survey(out_dir: Path, template: Template | Forms) -> Store:
    """The survey's store, after checking it exists and was scanned with `template`.

    Raises:
        UsageError: no survey in `out_dir`, or one of another form.
    """
    if not (out_dir / STORE_NAME).is_file():
        raise UsageError(f"{out_dir} holds no survey ({STORE_NAME} is missing): run `scan ... --out {out_dir}` first")
    store = Store(out_dir)
    form, label = store.get_meta("form"), Forms.of(template).label
    if form is not None and form != label:
        store.close()
        raise UsageError(f"{out_dir} holds a survey of form {form}, not {label}: choose its template with --template")
    return store


LAST_DECISIONS = """
WITH last AS (SELECT sheet_id, item, MAX(id) AS id FROM decisions WHERE undone = 0 GROUP BY sheet_id, item)
"""

QUEUE_SQL = LAST_DECISIONS + """,
candidates AS ({candidates})
SELECT r.sheet_id, r.item, r.status, r.reason, d.id AS decision_id, d.stale, s.form,
       COALESCE(dp.value, rp.value, '') AS programme
FROM candidates c
JOIN results r ON r.sheet_id = c.sheet_id AND r.item = c.item
JOIN sheets s ON s.sheet_id = r.sheet_id
LEFT JOIN last l ON l.sheet_id = r.sheet_id AND l.item = r.item
LEFT JOIN decisions d ON d.id = l.id
LEFT JOIN results rp ON rp.sheet_id = r.sheet_id AND rp.item = 'programme'
LEFT JOIN last lp ON lp.sheet_id = r.sheet_id AND lp.item = 'programme'
LEFT JOIN decisions dp ON dp.id = lp.id
WHERE {where}
ORDER BY s.seq, r.ord
"""
"""Candidates first (a plain scan of results), then the joins for those few rows only:
joining every result of a 1,000-sheet survey to its decision costs several times more."""

WAITING = {
    "candidates": "SELECT sheet_id, item FROM results WHERE status IN ('review', 'multiple') UNION "
                  "SELECT d.sheet_id, d.item FROM last JOIN decisions d ON d.id = last.id WHERE d.stale = 1",
    "where": "(d.id IS NULL AND r.status IN ('review', 'multiple')) OR d.stale = 1",
}
WAITING_AMONG = {
    "candidates": "SELECT r.sheet_id, r.item FROM json_each(?) j JOIN results r ON r.sheet_id = j.value "
                  "WHERE r.status IN ('review', 'multiple') UNION "
                  "SELECT d.sheet_id, d.item FROM last JOIN decisions d ON d.id = last.id "
                  "WHERE d.stale = 1 AND d.sheet_id IN (SELECT value FROM json_each(?))",
    "where": WAITING["where"],
}
"""`WAITING` of some questionnaires only, found by their ids (each id list given twice)."""
UNCHECKED_OK = {
    "candidates": "SELECT sheet_id, item FROM results WHERE status = 'ok'",
    "where": "d.id IS NULL",
}


def _entries(store: Store, fields: AnyFields, query: dict[str, str], filters: Filters,
             args: tuple = ()) -> list[QueueEntry]:
    out = []
    for row in store.db.execute(QUEUE_SQL.format(**query), args):
        of_form = fields.of(row["form"])
        kind = of_form.kind(row["item"])
        if kind is None:
            continue  # a field the template no longer has
        entry = QueueEntry(row["sheet_id"], row["item"], kind.value,
                           STALE if row["stale"] else (row["reason"] or ""),
                           of_form.question(row["item"]), row["programme"] or UNKNOWN_PROGRAMME,
                           row["decision_id"], row["form"])
        if ((filters.form is None or of_form.template.form == filters.form)
                and (filters.reason is None or entry.reason == filters.reason)
                and (filters.question is None or entry.question == filters.question)
                and (filters.programme is None or entry.programme == filters.programme)):
            out.append(entry)
    return out


def waiting(store: Store, fields: AnyFields, filters: Filters = Filters()) -> list[QueueEntry]:
    """The queue in survey order: items the scan was unsure of and nobody has decided,
    and decisions whose page was scanned again since (a second look)."""
    return _entries(store, fields, WAITING, filters)


def waiting_among(store: Store, fields: AnyFields, sheet_ids: Iterable[str]) -> list[QueueEntry]:
    """The entries of `waiting` that are items of the questionnaires `sheet_ids` (a scan's)."""
    ids = json.dumps(list(sheet_ids))
    return _entries(store, fields, WAITING_AMONG, Filters(), (ids, ids))


def settled_among(store: Store, sheet_ids: Iterable[str]) -> int:
    """How many items of the questionnaires `sheet_ids` a person's decision settles: decided,
    and not sent back for a second look since."""
    return store.db.execute(LAST_DECISIONS + "SELECT COUNT(*) FROM last JOIN decisions d ON d.id = last.id "
                            "JOIN results r ON r.sheet_id = d.sheet_id AND r.item = d.item "
                            "WHERE d.stale = 0 AND d.sheet_id IN (SELECT value FROM json_each(?))",
                            (json.dumps(list(sheet_ids)),)).fetchone()[0]


def reason_text(name: str) -> str:
    if name == STALE:
        return STALE_REASON
    return Reason[name].value if name in Reason.__members__ else name


def _look_at(evidence: dict) -> str:
    """The pages a result's reason sends the reviewer to, when it names any (`assemble._missing_page`)."""
    return f" ({evidence['look_at']})" if evidence.get("look_at") else ""


def queue_status(out_dir: str | Path, template: Template | Forms) -> dict:
    """The survey's queue in numbers, from its folder (what `scanner review --status` prints).

    Raises:
        UsageError: no survey in `out_dir`, or one of another form.
    """
    with open_survey(Path(out_dir), template) as store:
        return status(store, SurveyFields(template))


def status(store: Store, fields: AnyFields) -> dict:
    """The queue in numbers: how many wait, by reason, question and programme; decisions
    so far; and the questionnaires with a problem of their own (a page missing or
    repeated, a serial shared with another questionnaire), for a person to look at."""
    entries = waiting(store, fields)
    decided = store.db.execute(LAST_DECISIONS + "SELECT COUNT(*) FROM last").fetchone()[0]
    by_reason = Counter(e.reason for e in entries)
    return {
        "waiting": len(entries),
        "decided": decided,
        "by_reason": [{"reason": name, "text": reason_text(name), "count": n} for name, n in by_reason.most_common()],
        "by_form": _counts(fields.of(e.form).template.form for e in entries),
        "by_question": _counts(e.question for e in entries),
        "by_programme": _counts(e.programme for e in entries),
        "check": asdict(check_report(store)),
        "sheets": problem_sheets(store),
    }


def problem_sheets(store: Store) -> list[dict]:
    """Each questionnaire with a problem of its own, in survey order: where it starts and what is wrong."""
    problems = sheet_problems(store)
    if not problems:
        return []
    rows = store.db.execute("SELECT sheet_id, source, first_page, serial FROM sheets ORDER BY seq").fetchall()
    return [{"sheet_id": r["sheet_id"], "source": r["source"], "first_page": r["first_page"], "serial": r["serial"],
             "problems": problems[r["sheet_id"]]} for r in rows if r["sheet_id"] in problems]


def _counts(values) -> dict[str, int]:
    counts = Counter(values)
    return {k: counts[k] for k in sorted(counts, key=_natural)}


def _natural(text: str) -> tuple:
    """Question numbers in the order people count them: 2 before 10 (form by form)."""
    form, _, number = text.rpartition(" · ")
    return (form, 0, int(number), "") if number.isdigit() else (form, 1, 0, number)


def _decision_dict(row: sqlite3.Row | None) -> dict | None:
    if row is None:
        return None
    return {"id": row["id"], "value": row["value"], "outcome": row["outcome"], "reviewer": row["reviewer"],
            "decided_at": row["decided_at"], "stale": bool(row["stale"]), "undone": bool(row["undone"]),
            "value_before": row["value_before"], "status_before": row["status_before"]}


def current_decision(store: Store, sheet_id: str, item: str) -> dict | None:
    """The item's decision in force (the last one not undone), or None."""
    row = store.db.execute("SELECT * FROM decisions WHERE sheet_id = ? AND item = ? AND undone = 0 "
                           "ORDER BY id DESC LIMIT 1", (sheet_id, item)).fetchone()
    return _decision_dict(row)


def _result_row(store: Store, sheet_id: str, item: str) -> sqlite3.Row:
    row = store.db.execute(
        "SELECT r.*, s.source, s.first_page, s.paper_rgb, s.colour, s.page_hashes, s.form FROM results r "
        "JOIN sheets s ON s.sheet_id = r.sheet_id WHERE r.sheet_id = ? AND r.item = ?", (sheet_id, item)).fetchone()
    if row is None:
        raise UnknownItem(f"no item {item!r} on sheet {sheet_id!r} in this survey")
    return row


def item_detail(store: Store, fields: AnyFields, sheet_id: str, item: str, *, blind: bool = False) -> dict:
    """All a reviewer is shown about one item, as its sheet's form prints it; `blind`
    leaves out what the scan made of it."""
    fields = fields.of(sheet_form(store, sheet_id))
    kind = fields.kind(item)
    if kind is None:
        raise UnknownItem(f"{item!r} is not an item of form {fields.template.form}")
    row = _result_row(store, sheet_id, item)
    t = fields.template
    evidence = json.loads(row["evidence"] or "{}")
    detail = {
        "sheet_id": sheet_id, "item": item, "kind": kind.value, "form": t.form, "source": row["source"],
        "first_page": row["first_page"], "form_page": row["form_page"], "question": None, "text": "",
        "options": [], "multiple": False, "crop": row["crop"],
        "paper_rgb": json.loads(row["paper_rgb"]) if row["paper_rgb"] else None,
        "decision": current_decision(store, sheet_id, item),
    }
    if not blind:
        reason = STALE if detail["decision"] and detail["decision"]["stale"] else (row["reason"] or "")
        detail.update(guess=row["value"], status=row["status"], confidence=row["confidence"], reason=reason,
                      reason_text=reason_text(reason) + _look_at(evidence) if reason else "", evidence=evidence)
    if kind is Kind.ITEM:
        spec = fields.items[item]
        scale = t.scales[spec.scale]
        scores = evidence.get("scores", {}) if not blind else {}
        detail["text"] = spec.text
        detail["multiple"] = spec.multiple
        detail["options"] = [{"code": o.code, "label": scale.label(o.code), "score": scores.get(str(o.code))}
                             for o in spec.options]
        question = t.question(spec.question)
        if question is not None:
            detail["question"] = {"number": question.number, "stem": question.stem}
    elif kind is Kind.COMMENT:
        spec = fields.comments[item]
        detail["text"] = spec.prompt or spec.id
        question = t.question(spec.question)
        if question is not None:
            detail["question"] = {"number": question.number, "stem": question.stem}
    else:
        detail["text"] = "Programme, told from the paper colour"
        detail["options"] = [{"code": k + 1, "label": c.programme, "colour": c.name, "rgb": list(c.rgb)}
                             for k, c in enumerate(t.colours)]
    return detail


def typed_text(value: str) -> str:
    """A transcription as the reviewer typed it, less what is not content.

    Blank lines before the text and whitespace after it are dropped; all else is kept,
    leading spaces and tabs included: trimming them would turn a tab then "=2*3" into a
    formula; the CSVs defuse formulas instead (`scanner.spreadsheet`).
    """
    return BLANK_LINES_BEFORE.sub("", value.rstrip())


def _check_value(fields: Fields, kind: Kind, item: str, value: str, outcome: Outcome) -> str:
    if outcome is Outcome.INVALID:
        if value:
            raise InvalidDecision("an invalid (unusable) answer has no value")
        return ""
    if kind is Kind.COMMENT:
        if len(value) > MAX_TEXT:
            raise InvalidDecision(f"the text is longer than {MAX_TEXT} characters")
        return typed_text(value)
    if not value:
        return ""
    if kind is Kind.PROGRAMME:
        if value not in fields.programmes:
            raise InvalidDecision(f"{value!r} is not a programme of this form: {', '.join(fields.programmes)}")
        return value
    spec = fields.items[item]
    try:
        codes = sorted({int(v) for v in value.split(";")}) if spec.multiple else [int(value)]
    except ValueError:
        raise InvalidDecision(f"{value!r} is not a code of item {item}") from None
    bad = [c for c in codes if c not in fields.codes(item)]
    if bad:
        raise InvalidDecision(f"code {bad[0]} is not an option of item {item} ({fields.codes(item)})")
    return ";".join(map(str, codes))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def record_decision(store: Store, fields: AnyFields, sheet_id: str, item: str, value: str, reviewer: str,
                    seen: int | None, outcome: Outcome | None = None) -> dict:
    """Save a person's decision on one item, unless someone else decided it first.

    Args:
        seen: the item's decision id the person was shown (None: it had none).
        outcome: INVALID or CHECK when so; otherwise told from the value (BLANK or VALUE).

    Raises:
        DecisionConflict: the item's current decision is no longer `seen`.
        InvalidDecision: a value the item cannot take, or no reviewer name.
        UnknownItem: no such sheet or item.
    """
    reviewer = reviewer.strip()
    if not reviewer or len(reviewer) > MAX_REVIEWER:
        raise InvalidDecision("a decision needs the reviewer's name (up to 100 characters)")
    fields = fields.of(sheet_form(store, sheet_id))
    kind = fields.kind(item)
    if kind is None:
        raise UnknownItem(f"{item!r} is not an item of form {fields.template.form}")
    value = _check_value(fields, kind, item, value, outcome or Outcome.VALUE)
    if outcome is None:
        outcome = Outcome.VALUE if value else Outcome.BLANK
    with store.transaction() as db:  # the check and the insert are one step for every process
        row = _result_row(store, sheet_id, item)
        current = current_decision(store, sheet_id, item)
        if (current["id"] if current else None) != seen:
            raise DecisionConflict(_conflict_message(current, "decided"), current)
        page_hash = json.loads(row["page_hashes"]).get(str(row["form_page"]), "") if row["form_page"] else ""
        cursor = db.execute(
            "INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at, value_before, status_before, "
            "page_hash, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sheet_id, item, value, reviewer, _now(), row["value"], row["status"], page_hash, outcome.value))
        return _decision_dict(db.execute("SELECT * FROM decisions WHERE id = ?", (cursor.lastrowid,)).fetchone())


def _conflict_message(current: dict | None, what: str) -> str:
    if current is None:
        return "the decision on this item was undone meanwhile; look again"
    shown = current["value"] or current["outcome"]
    return f"{current['reviewer']} {what} this item first ({shown!r} at {current['decided_at']}); theirs stands"


def undo_decision(store: Store, decision_id: int, reviewer: str) -> dict:
    """Take back one's own decision, while it is still the item's current one.

    The item returns to what it was before: the decision before it, or the queue.

    Raises:
        UnknownItem: no such decision.
        DecisionConflict: the decision is someone else's, already undone, or superseded.
    """
    with store.transaction() as db:
        row = db.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        if row is None:
            raise UnknownItem(f"no decision {decision_id} in this survey")
        current = current_decision(store, row["sheet_id"], row["item"])
        if row["undone"] or current is None or current["id"] != decision_id:
            raise DecisionConflict("this decision is no longer the item's current one: "
                                   + _conflict_message(current, "decided"), current)
        if row["reviewer"] != reviewer.strip():
            raise DecisionConflict(f"this decision is {row['reviewer']}'s; only they can undo it", current)
        db.execute("UPDATE decisions SET undone = 1 WHERE id = ?", (decision_id,))
    return {"undone": decision_id, "sheet_id": row["sheet_id"], "item": row["item"],
            "decision": current_decision(store, row["sheet_id"], row["item"])}


def check_sample(store: Store, fields: AnyFields, n: int, seed: int | None = None,
                 filters: Filters = Filters()) -> list[QueueEntry]:
    """N random items the scan reported `ok` and nobody has looked at, for a blind check.

    Comments are left out: a transcription typed blind rarely matches another letter
    for letter, so disagreement would not mean an error.
    """
    pool = [e for e in _entries(store, fields, UNCHECKED_OK, filters) if e.kind != Kind.COMMENT.value]
    rng = random.Random(seed)
    sample = rng.sample(pool, min(max(n, 0), len(pool)))
    order = {(e.sheet_id, e.item): k for k, e in enumerate(pool)}
    return sorted(sample, key=lambda e: order[(e.sheet_id, e.item)])


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (95% by default); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def check_report(store: Store) -> CheckReport:
    """The error rate of `ok` values estimated from every quality-check answer in force."""
    rows = store.db.execute(LAST_DECISIONS + "SELECT d.value, d.value_before FROM last "
                            "JOIN decisions d ON d.id = last.id WHERE d.outcome = ?", (Outcome.CHECK.value,)).fetchall()
    n = len(rows)
    k = sum((r["value"] or "") != (r["value_before"] or "") for r in rows)
    low, high = wilson(k, n)
    return CheckReport(n, k, k / n if n else 0.0, low, high)


__all__ = ["AnyFields", "CheckReport", "DecisionConflict", "Fields", "Filters", "InvalidDecision", "Kind", "Outcome",
           "QueueEntry", "SurveyFields", "UnknownItem", "check_report", "check_sample", "current_decision",
           "item_detail", "open_survey", "problem_sheets", "question_key", "queue_status", "record_decision",
           "settled_among", "sheet_form", "status", "undo_decision", "waiting", "waiting_among", "wilson"]
