"""Evaluate a scan against ground truth (a generated batch's `truth/` folder).

Used by `bench/accuracy.py`, `bench/compare.py` (the demo) and the accuracy tests. A
*silent error* is a claim that is wrong: an item reported `ok` or `blank` whose value is
not the truth. Anything flagged for review is not silent, however wrong its guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CLAIMS = {"ok", "blank"}
FLAGGED = {"review", "multiple"}
HARD_EFFECTS = {"faint_pencil", "correction", "double", "stray", "overflow", "dot", "scribble"}


@dataclass
class Evaluation:
    items: int = 0
    silent_errors: int = 0
    flagged: int = 0
    clean_items: int = 0
    clean_right: int = 0
    colour_sheets: int = 0
    programme_right: int = 0
    programme_wrong_ok: int = 0
    programme_flagged: int = 0
    comments: int = 0
    written_right: int = 0
    written: int = 0
    comments_flagged: int = 0
    comments_wrong_ok: int = 0
    """Written comments reported ok whose text is more than 5% wrong: silent errors too."""
    cer: dict[str, float] = field(default_factory=dict)
    sheets_truth: int = 0
    sheets_found: int = 0
    pages_truth: int = 0
    pages_accounted: int = 0
    pages_status_right: int = 0
    by_effect: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """effect -> (items, silent errors, flagged)."""
    examples: list[str] = field(default_factory=list)
    """A few silent errors, for whoever has to fix them."""

    def lines(self) -> list[str]:
        pct = lambda a, b: f"{100 * a / b:.2f}%" if b else "n/a"  # noqa: E731
        out = [
            f"sheets found                 {self.sheets_found} of {self.sheets_truth}",
            f"pages accounted for          {self.pages_accounted} of {self.pages_truth} "
            f"(status as expected: {self.pages_status_right})",
            f"items scored                 {self.items}",
            f"silent errors                {self.silent_errors} ({self.silent_errors / max(self.items, 1) * 1e4:.2f} "
            f"per 10,000 items)",
            f"review rate                  {pct(self.flagged, self.items)} ({self.flagged} items)",
            f"accuracy on clean marks      {pct(self.clean_right, self.clean_items)} of {self.clean_items}",
            f"programme on colour scans    {pct(self.programme_right, self.colour_sheets)} right, "
            f"{self.programme_flagged} flagged, {self.programme_wrong_ok} wrong reported ok",
            f"comments written vs blank    {pct(self.written_right, self.comments)} of {self.comments}",
            f"written comments to review   {pct(self.comments_flagged, self.written)} of {self.written}; "
            f"reported ok but >5% wrong: {self.comments_wrong_ok}",
        ]
        out += [f"comment CER, {kind:<16} {100 * v:.2f}%" for kind, v in sorted(self.cer.items())]
        out.append("by effect (items, silent errors, flagged):")
        out += [f"  {e:<14} {n:>7} {s:>5} {f:>6}" for e, (n, s, f) in sorted(self.by_effect.items())]
        out += [f"  silent: {e}" for e in self.examples[:15]]
        return out


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _normalise_text(text: str) -> str:
    return " ".join(str(text).split())


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def evaluate(out_dir: str | Path, truth_dir: str | Path) -> Evaluation:
    """Compare a scan's CSVs in `out_dir` with the truth in `truth_dir`."""
    out_dir, truth_dir = Path(out_dir), Path(truth_dir)
    ev = Evaluation()
    truth_sheets = _read(truth_dir / "responses.csv")
    marks = _read(truth_dir / "marks.csv")
    truth_pages = _read(truth_dir / "pages.csv")
    scanned_sheets = _read(out_dir / "responses.csv")
    items = _read(out_dir / "items.csv")
    pages = _read(out_dir / "pages.csv")

    scanned_sheets["key"] = scanned_sheets["source"].map(lambda s: Path(s).name) + "#" + scanned_sheets["first_page"]
    truth_sheets["key"] = truth_sheets["source"] + "#" + truth_sheets["first_page"]
    sheet_map = dict(zip(truth_sheets["sheet_id"], truth_sheets["key"].map(
        dict(zip(scanned_sheets["key"], scanned_sheets["sheet_id"])))))
    ev.sheets_truth = len(truth_sheets)
    ev.sheets_found = sum(isinstance(v, str) for v in sheet_map.values())

    pages["key"] = pages["source"].map(lambda s: Path(s).name) + "#" + pages["page"]
    scanned_status = dict(zip(pages["key"], pages["status"]))
    ev.pages_truth = len(truth_pages)
    for _, row in truth_pages.iterrows():
        status = scanned_status.get(f"{row['source']}#{row['page']}")
        ev.pages_accounted += status is not None
        ev.pages_status_right += status == row["status"]

    found = {(r.sheet_id, r.item): r for r in items.itertuples(index=False)}
    greyscale_sheets = set(marks.loc[(marks["item"] == "programme") & (marks["effect"] == "greyscale"), "sheet_id"])
    cer_sums: dict[str, list[int]] = {}
    for t in marks.itertuples(index=False):
        scanned_id = sheet_map.get(t.sheet_id)
        got = found.get((scanned_id, t.item)) if isinstance(scanned_id, str) else None
        status = got.status if got is not None else "missing"
        value = got.value if got is not None else ""
        if t.item == "programme":
            _programme(ev, t, status, value, t.sheet_id in greyscale_sheets)
        elif t.item.endswith("_comment") or t.item == "role_detail":
            _comment(ev, t, status, value, cer_sums)
        else:
            _item(ev, t, status, value)
    ev.cer = {kind: errors / max(length, 1) for kind, (errors, length) in cer_sums.items()}
    return ev


def _item(ev: Evaluation, t, status: str, value: str) -> None:
    ev.items += 1
    truth_value = t.value if t.expected_status == "ok" else ""
    silent = status in CLAIMS and value != truth_value
    flagged = status in FLAGGED or status == "missing"
    ev.silent_errors += silent
    ev.flagged += flagged
    n, s, f = ev.by_effect.get(t.effect, (0, 0, 0))
    ev.by_effect[t.effect] = (n + 1, s + silent, f + flagged)
    if silent:
        ev.examples.append(f"{t.sheet_id} {t.item} ({t.effect}): truth {truth_value or 'blank'}, "
                           f"read {value or 'blank'} as {status}")
    if t.effect not in HARD_EFFECTS and t.expected_status == "ok":
        ev.clean_items += 1
        ev.clean_right += status == "ok" and value == t.value


def _programme(ev: Evaluation, t, status: str, value: str, greyscale: bool) -> None:
    if greyscale:
        return
    ev.colour_sheets += 1
    ev.programme_right += status == "ok" and value == t.value
    ev.programme_wrong_ok += status == "ok" and value != t.value
    ev.programme_flagged += status in FLAGGED


def _comment(ev: Evaluation, t, status: str, value: str, cer_sums: dict[str, list[int]]) -> None:
    ev.comments += 1
    written = bool(t.value.strip())
    ev.written_right += written == (status not in ("blank", "missing"))
    if written:
        kind = "printed" if t.effect == "printed" else "handwriting"
        sums = cer_sums.setdefault(kind, [0, 0])
        truth_text = _normalise_text(t.value)
        errors = levenshtein(truth_text, _normalise_text(value))
        sums[0] += errors
        sums[1] += len(truth_text)
        ev.written += 1
        ev.comments_flagged += status in FLAGGED
        ev.comments_wrong_ok += status == "ok" and errors > 0.05 * len(truth_text)
