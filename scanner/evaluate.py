"""Evaluate a scan against ground truth (a generated batch's `truth/` folder).

Used by `bench/accuracy.py`, `bench/compare.py` (the demo) and the accuracy tests.

Every field of the truth (item, comment, programme) ends in one of four outcomes:

- *right*: reported `ok`, `blank` or `reviewed` (a claim) and what it claims is true;
- *silent error*: a claim that is false. Two ticked boxes claimed blank, a written
  comment claimed blank, a programme claimed on a greyscale scan and wrong, a comment
  claimed whose text is more than 5% wrong, an answer filed under a questionnaire it
  does not come from: all silent;
- *flagged*: sent to review, however wrong its guess;
- *lost*: the scan has no row for it (its page or its whole questionnaire was not
  found). Never counted as right; reported apart.

Truth and scan are matched page by page, not by a questionnaire's first page: each
truth field lives on one input page (`source`, `page`), and the scan's `pages.csv`
says which scanned sheet used that page. So a lost first page costs that page's
fields, not every claim of the questionnaire.

`word_on_flagged` plays the person `scanner colours` asks for a word on the clusters it
flags: each is given the colour most of its sheets truly are, so that the programme can
be scored after that word as well as before it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from pathlib import Path

import pandas as pd

from scanner.calibrate import calibrate_survey, colour_template, decide_clusters
from scanner.outputs import write_outputs
from scanner.review.queue import open_survey
from scanner.survey import survey_forms

CLAIMS = {"ok", "blank", "reviewed"}
"""Statuses that state a value: the dataset takes them as they are."""
HARD_EFFECTS = {"faint_pencil", "correction", "double", "stray", "overflow", "dot", "scribble"}
"""Item effects left out of 'accuracy on clean marks'."""
COMMENT_TOLERANCE = 0.05
"""A comment claimed `ok` whose text is wrong in more than this share of characters is a
silent error. Compared case-insensitively: some handwriting fonts have capitals only, so
the paper cannot always show the truth's letter case."""
SCENARIOS = ("flatbed", "feeder", "greyscale", "phone")
CONFIDENCE = 0.95
RELIABILITY_BINS = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
"""Lower edges of the item confidence bins of the reliability table; the last bin ends at 1."""


class _Pooled:
    """Counts that add up over scans: `a + b` pools two seeds' figures."""

    def __add__(self, other):
        return _pool(self, other)


class Outcome(Enum):
    """What became of one field of the truth in the scan."""

    RIGHT = "right"
    SILENT = "silent"
    FLAGGED = "flagged"
    LOST = "lost"


@dataclass
class Tally(_Pooled):
    """Outcomes of a family of fields. `scored` excludes the lost."""

    right: int = 0
    silent: int = 0
    flagged: int = 0
    lost: int = 0

    @property
    def scored(self) -> int:
        return self.right + self.silent + self.flagged

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


@dataclass
class PageCount(_Pooled):
    truth: int = 0
    accounted: int = 0
    """Input pages the scan's pages.csv lists."""
    status_right: int = 0
    """Input pages whose status is the truth's (a page used, as the form page it is)."""


@dataclass
class SheetCount(_Pooled):
    truth: int = 0
    whole: int = 0
    """Found as one scanned sheet holding all its pages and nothing else."""
    partial: int = 0
    """Found, but with pages missing, split over scanned sheets or mixed with another's."""
    lost: int = 0
    """No page of it is in any scanned sheet."""
    phantom: int = 0
    """Scanned sheets holding no page of any questionnaire (a letter read as a form): rows
    of the dataset that no respondent filled in."""


def _pool(a, b):
    """Counts of two scans added up: numbers summed, lists joined, dicts and records field by field."""
    if is_dataclass(a):
        return type(a)(**{f.name: _pool(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)})
    if isinstance(a, dict):
        return {k: _pool(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in a | b}
    if isinstance(a, tuple):
        return tuple(x + y for x, y in zip(a, b))
    return a + b


@dataclass
class Evaluation(_Pooled):
    """Figures of one scan against its truth; `+` pools several scans."""

    items: Tally = field(default_factory=Tally)
    programme: dict[str, Tally] = field(default_factory=dict)
    """'colour' or 'greyscale' (the sheet's scan) -> outcomes of the programme."""
    comments: Tally = field(default_factory=Tally)
    written_right: int = 0
    """Scored comments whose written-or-blank is right (flagged counts as written)."""
    written: int = 0
    """Scored comments that are written in the truth."""
    written_flagged: int = 0
    cer: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """('printed', 'handwriting' or '  ' + a handwriting font, 'case-sensitive' or
    'case-insensitive') -> (edits, truth characters) over the scored written comments."""
    clean_items: int = 0
    clean_right: int = 0
    sheets: SheetCount = field(default_factory=SheetCount)
    pages: PageCount = field(default_factory=PageCount)
    by_effect: dict[str, Tally] = field(default_factory=dict)
    """Item effect, or 'comment ' + comment effect -> outcomes."""
    by_hard: dict[str, Tally] = field(default_factory=dict)
    """Hard case on the field (marks.csv's `hard`: its mark's and its page's, `scanner synth
    --hard`), with 'comment ' or 'programme ' in front for those -> outcomes. A field
    counts under each of its cases; a programme on colour scans only (on greyscale it goes
    to review whatever the case)."""
    by_scenario: dict[str, Tally] = field(default_factory=dict)
    """Scenario of the field's page (see `scenario`) -> outcomes of items and comments."""
    programme_by_scenario: dict[str, Tally] = field(default_factory=dict)
    """Scenario of the page the programme is told on (form page 1) -> its outcomes on colour
    scans (a greyscale scan's goes to review whatever the scenario)."""
    items_by_scenario: dict[str, Tally] = field(default_factory=dict)
    """The same for items alone: the review targets are the items' (with OCR off every
    written comment waits for review)."""
    pages_by_scenario: dict[str, PageCount] = field(default_factory=dict)
    programme_reviewed: Tally = field(default_factory=Tally)
    """Outcomes of the colour scans' programmes reported `reviewed` (a person's word on the
    sheet or its cluster): a wrong one may be a sheet of another colour in a cluster given a
    colour, the price of deciding for the cluster."""
    reliability: dict[float, Tally] = field(default_factory=dict)
    """Lower edge of an item confidence bin (`RELIABILITY_BINS`) -> outcomes of the items
    reported with a confidence in it."""
    examples: list[str] = field(default_factory=list)
    """A few silent errors, for whoever has to fix them."""

    @property
    def all_fields(self) -> Tally:
        """Items, comments and programmes together."""
        total = self.items + self.comments
        for t in self.programme.values():
            total += t
        return total

    @property
    def silent_errors(self) -> int:
        """False claims of any field."""
        return self.all_fields.silent

    def lines(self) -> list[str]:
        """The figures as text, one per line."""
        return self._summary() + self._comment_lines() + self._breakdown()

    def _summary(self) -> list[str]:
        total = self.all_fields
        s, p = self.sheets, self.pages
        out = [
            f"sheets found                 {s.whole + s.partial} of {s.truth} ({s.whole} whole, {s.partial} "
            f"with pages missing, split or mixed; {s.lost} lost)",
            f"sheets of no questionnaire   {s.phantom} (scanned sheets made of no questionnaire's pages)",
            f"pages accounted for          {p.accounted} of {p.truth} (status as expected: {p.status_right})",
            f"fields scored                {total.scored} ({total.lost} lost with their page or sheet)",
            f"silent errors                {_silent(total)}",
            f"  items                      {_silent(self.items)}",
            f"  programme                  {_silent(sum(self.programme.values(), Tally()))}",
            f"  comments                   {_silent(self.comments)}",
            f"review rate                  {percent(total.flagged, total.scored)} ({total.flagged} fields; items "
            f"{percent(self.items.flagged, self.items.scored)})",
            f"accuracy on clean marks      {percent(self.clean_right, self.clean_items)} of {self.clean_items}",
        ]
        for scan, note in (("colour", ""), ("greyscale", " (flagged is right: grey cannot show the paper)")):
            t = self.programme.get(scan, Tally())
            out.append(f"programme, {scan + ' scans':<17} {t.scored}: {percent(t.right, t.scored)} claimed right, "
                       f"{t.flagged} flagged, {t.silent} wrong claimed, {t.lost} lost{note}")
        return out

    def _comment_lines(self) -> list[str]:
        c = self.comments
        out = [
            f"comments written vs blank    {percent(self.written_right, c.scored)} of {c.scored} ({c.lost} lost)",
            f"written comments to review   {percent(self.written_flagged, self.written)} of {self.written}",
            "comment CER (edits per truth character)  case-sensitive, case-insensitive:",
        ]
        for kind in sorted({kind for kind, _ in self.cer}, key=lambda k: (k == "printed", k != "handwriting", k)):
            cells = [f"{percent(*self.cer[(kind, case)]):>7}" for case in ("case-sensitive", "case-insensitive")]
            out.append(f"  {kind:<26} {' '.join(cells)} of {self.cer[(kind, 'case-sensitive')][1]} characters")
        return out

    def _breakdown(self) -> list[str]:
        out = ["by scenario (fields: scored, silent, flagged, lost; items: scored, to review; "
               "pages accounted/truth):"]
        for name in sorted(set(self.by_scenario) | set(self.pages_by_scenario), key=_scenario_order):
            t, pc = self.by_scenario.get(name, Tally()), self.pages_by_scenario.get(name, PageCount())
            items = self.items_by_scenario.get(name, Tally())
            out.append(f"  {name:<22} {t.scored:>7} {t.silent:>5} {t.flagged:>6} {t.lost:>5}   "
                       f"{items.scored:>7} {percent(items.flagged, items.scored):>7}   {pc.accounted}/{pc.truth}")
        out.append("programme of colour scans by scenario (scored, claimed right, flagged, wrong claimed, lost):")
        out += [f"  programme {name:<12} {t.scored:>7} {t.right:>5} {t.flagged:>6} {t.silent:>5} {t.lost:>5}"
                for name, t in sorted(self.programme_by_scenario.items(), key=lambda kv: _scenario_order(kv[0]))]
        for title, tallies in (("by effect", self.by_effect), ("by hard case", self.by_hard)):
            if tallies:
                out.append(f"{title} (fields: scored, silent, flagged, lost, to review):")
            out += [f"  {e:<22} {t.scored:>7} {t.silent:>5} {t.flagged:>6} {t.lost:>5} "
                    f"{percent(t.flagged, t.scored):>7}" for e, t in sorted(tallies.items())]
        out += [f"  silent: {e}" for e in self.examples[:15]]
        return out

    def reliability_lines(self) -> list[str]:
        """How often items claimed at a confidence are wrong: per bin, and for every item at
        or above the bin's lower edge (what a user keeping items with confidence >= c gets)."""
        out = ["item confidence reliability (items, claims, wrong claims, wrong rate and its 95% bound; "
               "then the same for confidence >= the bin's lower edge):"]
        edges = RELIABILITY_BINS
        for k, low in enumerate(edges):
            high = edges[k + 1] if k + 1 < len(edges) else 1.0
            above = sum((self.reliability.get(e, Tally()) for e in edges[k:]), Tally())
            out.append(f"  {low:.2f}-{high:.2f} {_reliability_cells(self.reliability.get(low, Tally()))}   "
                       f">= {low:.2f} {_reliability_cells(above)}")
        return out


def _scenario_order(name: str) -> tuple[int, str]:
    return (SCENARIOS.index(name) if name in SCENARIOS else len(SCENARIOS), name)


def _reliability_cells(t: Tally) -> str:
    claims = t.right + t.silent
    return (f"{t.scored:>6} {claims:>6} {t.silent:>4} {percent(t.silent, claims):>7} "
            f"{percent(upper_bound(t.silent, claims), 1) if claims else 'n/a':>7}")


def confidence_bin(confidence: float) -> float:
    """The lower edge of the reliability bin holding `confidence`."""
    return max((edge for edge in RELIABILITY_BINS if edge <= confidence), default=RELIABILITY_BINS[0])


def percent(a: int, b: int) -> str:
    """`a` as a percentage of `b`, or n/a when `b` is 0."""
    return f"{100 * a / b:.2f}%" if b else "n/a"


def _silent(t: Tally) -> str:
    return (f"{t.silent} of {t.scored} ({percent(t.silent, t.scored)}; at most "
            f"{_pct_bound(t.silent, t.scored)} at {CONFIDENCE:.0%} confidence)")


def _pct_bound(k: int, n: int) -> str:
    return f"{100 * upper_bound(k, n):.3f}%" if n else "n/a"


def upper_bound(k: int, n: int, confidence: float = CONFIDENCE) -> float:
    """One-sided exact (Clopper-Pearson) upper confidence bound of a rate seen `k` times in `n`.

    The rate p at which seeing `k` or fewer in `n` has probability 1 - `confidence`;
    for k = 0 and 95% it is about 3 / n (the rule of three).
    """
    if n <= 0 or k >= n:
        return 1.0
    alpha = 1 - confidence
    low, high = k / n, 1.0
    for _ in range(100):  # the binomial CDF falls as p rises: bisect on it
        mid = (low + high) / 2
        low, high = (mid, high) if binomial_cdf(k, n, mid) > alpha else (low, mid)
    return high


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in logs (n may be large)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return float(k >= n)
    log_p, log_q = math.log(p), math.log1p(-p)
    lg = math.lgamma
    return min(1.0, sum(math.exp(lg(n + 1) - lg(i + 1) - lg(n - i + 1) + i * log_p + (n - i) * log_q)
                        for i in range(k + 1)))


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


def _is_comment(item: str) -> bool:
    return item.endswith("_comment") or item == "role_detail"


def scenario(page: dict) -> str:
    """How a truth page was scanned: flatbed, feeder, greyscale or phone.

    A `scenario` column in the truth's pages.csv decides when the generator writes one;
    otherwise a phone photo is `phone`, a greyscale file `greyscale`, a file of several
    questionnaires `feeder` and a file of one `flatbed` (``page["sheets_in_file"]``).
    """
    if page.get("scenario"):
        return page["scenario"]
    if page.get("photo") == "1":
        return "phone"
    if page.get("greyscale") == "1":
        return "greyscale"
    return "feeder" if int(page.get("sheets_in_file", 1)) > 1 else "flatbed"


@dataclass(frozen=True)
class _Where:
    """Where the scan put one truth sheet's pages."""

    page_sheet: dict[str, str]
    """Form page -> the scanned sheet that used that page."""
    main: str | None
    """The scanned sheet holding most of its pages."""
    pages: int
    """Its pages in the truth."""


class _Matcher:
    """Truth sheets and input pages to scanned sheets, through the pages each sheet used."""

    def __init__(self, truth_pages: pd.DataFrame, pages: pd.DataFrame):
        scanned = {(Path(r.source).name, r.page): r for r in pages.itertuples(index=False)}
        self.scanned_status = {key: r.status for key, r in scanned.items()}
        # The form page the scan took each page for (None: a pages.csv without the column).
        self.scanned_form_page = {key: getattr(r, "form_page", None) for key, r in scanned.items()}
        used = {key: r.sheet_id for key, r in scanned.items() if r.status == "used" and r.sheet_id}
        truth_used = truth_pages[truth_pages["status"] == "used"]
        self.truth_page: dict[tuple[str, str], tuple[str, str]] = {}
        self.where: dict[str, _Where] = {}
        holders: dict[str, list[tuple[str, str]]] = {}
        for r in truth_used.itertuples(index=False):
            self.truth_page[(r.sheet_id, r.form_page)] = (r.source, r.page)
            holder = used.get((r.source, r.page))
            holders.setdefault(r.sheet_id, []).append((r.form_page, holder))
        owners: dict[str, Counter] = {}
        for sheet_id, held in holders.items():
            for _, holder in held:
                if holder:
                    owners.setdefault(holder, Counter())[sheet_id] += 1
        # A scanned sheet belongs to the truth sheet with most pages in it (the first on a tie).
        self.owner = {holder: count.most_common(1)[0][0] for holder, count in owners.items()}
        self.mixed = {holder for holder, count in owners.items() if len(count) > 1}
        truth_keys = set(zip(truth_used["source"], truth_used["page"]))
        self.mixed |= {sid for key, sid in used.items() if key not in truth_keys}  # a letter or back used
        self.phantoms = set(used.values()) - set(self.owner)
        for sheet_id, held in holders.items():
            count = Counter(h for _, h in held if h)
            self.where[sheet_id] = _Where({fp: h for fp, h in held if h},
                                          count.most_common(1)[0][0] if count else None, len(held))

    def sheet_status(self, sheet_id: str) -> str:
        where = self.where[sheet_id]
        if where.main is None:
            return "lost"
        whole = (set(where.page_sheet.values()) == {where.main} and len(where.page_sheet) == where.pages
                 and where.main not in self.mixed)
        return "whole" if whole else "partial"

    def scanned_sheet(self, sheet_id: str, form_page: str) -> str | None:
        """The scanned sheet that should hold a field of `form_page` of truth sheet `sheet_id`."""
        where = self.where.get(sheet_id)
        if where is None:
            return None
        return where.page_sheet.get(form_page, where.main)


def evaluate(out_dir: str | Path, truth_dir: str | Path,
             as_truth: dict[str, tuple[str, dict[str, str]]] | None = None) -> Evaluation:
    """Compare a scan's CSVs in `out_dir` with the truth in `truth_dir`.

    `as_truth` names the scan's fields as the truth does, when it was read with another
    template of the same form (a drafted one: `scanner.draft.draft_correspondence`):
    scan item id to the truth's, with its codes; fields not in it are not scored.
    """
    out_dir, truth_dir = Path(out_dir), Path(truth_dir)
    ev = Evaluation()
    marks = _read(truth_dir / "marks.csv")
    truth_pages = _read(truth_dir / "pages.csv")
    items = _read(out_dir / "items.csv")
    if as_truth is not None:
        items = _renamed(items, as_truth)
    match = _Matcher(truth_pages, _read(out_dir / "pages.csv"))

    sheets_in_file = truth_pages[truth_pages["sheet_id"] != ""].groupby("source")["sheet_id"].nunique()
    page_scenario: dict[tuple[str, str], str] = {}
    for row in truth_pages.to_dict("records"):
        name = scenario(row | {"sheets_in_file": sheets_in_file.get(row["source"], 0)})
        key = (row["source"], row["page"])
        page_scenario[key] = name
        status = match.scanned_status.get(key)
        # A page used is as expected only as the form page it is: else its boxes were
        # looked for where another page prints them.
        form_page = match.scanned_form_page.get(key)
        as_expected = status == row["status"] and (status != "used" or form_page in (None, row["form_page"]))
        for count in (ev.pages, ev.pages_by_scenario.setdefault(name, PageCount())):
            count.truth += 1
            count.accounted += status is not None
            count.status_right += as_expected

    for sheet_id in dict.fromkeys(truth_pages.loc[truth_pages["status"] == "used", "sheet_id"]):
        ev.sheets.truth += 1
        status = match.sheet_status(sheet_id)
        setattr(ev.sheets, status, getattr(ev.sheets, status) + 1)
    ev.sheets.phantom = len(match.phantoms)

    found = {(r.sheet_id, r.item): r for r in items.itertuples(index=False)}
    greyscale_sheets = set(marks.loc[(marks["item"] == "programme") & (marks["effect"] == "greyscale"), "sheet_id"])
    for t in marks.itertuples(index=False):
        scanned_id = match.scanned_sheet(t.sheet_id, t.page)
        got = found.get((scanned_id, t.item)) if scanned_id else None
        elsewhere = scanned_id is not None and match.owner.get(scanned_id) != t.sheet_id
        where = page_scenario.get(match.truth_page.get((t.sheet_id, t.page)), "unknown")
        if t.item == "programme":
            scan = "greyscale" if t.sheet_id in greyscale_sheets else "colour"
            outcome = _judge_value(t, got, elsewhere)
            ev.programme.setdefault(scan, Tally()).add(outcome)
            if scan == "colour":
                ev.programme_by_scenario.setdefault(where, Tally()).add(outcome)
                if got is not None and got.status == "reviewed":
                    ev.programme_reviewed.add(outcome)
            kind = "programme " if scan == "colour" else None
        elif _is_comment(t.item):
            outcome = _comment(ev, t, got, elsewhere)
            ev.by_effect.setdefault(f"comment {t.effect}", Tally()).add(outcome)
            kind = "comment "
        else:
            outcome = _item(ev, t, got, elsewhere)
            ev.by_effect.setdefault(t.effect, Tally()).add(outcome)
            kind = ""
        for case in getattr(t, "hard", "").split() if kind is not None else ():  # no column without hard cases
            ev.by_hard.setdefault(kind + case, Tally()).add(outcome)
        if t.item != "programme":
            ev.by_scenario.setdefault(where, Tally()).add(outcome)
            if not _is_comment(t.item):
                ev.items_by_scenario.setdefault(where, Tally()).add(outcome)
        if outcome is Outcome.SILENT:
            ev.examples.append(f"{t.sheet_id} {t.item} ({t.effect}): truth {t.value or t.expected_status}, "
                               f"read {got.value or 'blank'} as {got.status}"
                               + (f" on scanned sheet {scanned_id} of another questionnaire" if elsewhere else ""))
    return ev


def _renamed(items: pd.DataFrame, as_truth: dict[str, tuple[str, dict[str, str]]]) -> pd.DataFrame:
    """items.csv with the truth's item ids and codes (the programme row kept as it is)."""
    keep = items["item"].isin(set(as_truth) | {"programme"})
    items = items[keep].copy()
    for k, row in items.iterrows():
        if row["item"] in as_truth:
            name, codes = as_truth[row["item"]]
            items.at[k, "item"] = name
            items.at[k, "value"] = codes.get(row["value"], row["value"]) if codes else row["value"]
    return items


def _judge_value(t, got, elsewhere: bool) -> Outcome:
    """A field with one true value: right only when claimed, filed under its own
    questionnaire, and equal to a truth that has a value (two ticked boxes have none)."""
    if got is None:
        return Outcome.LOST
    if got.status not in CLAIMS:
        return Outcome.FLAGGED
    right = not elsewhere and t.expected_status != "multiple" and got.value == t.value
    return Outcome.RIGHT if right else Outcome.SILENT


def _item(ev: Evaluation, t, got, elsewhere: bool) -> Outcome:
    outcome = _judge_value(t, got, elsewhere)
    ev.items.add(outcome)
    if got is not None:
        ev.reliability.setdefault(confidence_bin(float(got.confidence)), Tally()).add(outcome)
    if t.effect not in HARD_EFFECTS and t.expected_status == "ok":
        ev.clean_items += 1
        ev.clean_right += outcome is Outcome.RIGHT and got.status == "ok"
    return outcome


def _comment(ev: Evaluation, t, got, elsewhere: bool) -> Outcome:
    written = bool(t.value.strip())
    if got is None:
        ev.comments.add(Outcome.LOST)
        return Outcome.LOST
    truth_text, read_text = _normalise_text(t.value), _normalise_text(got.value)
    # Flagged counts as written: it sends the zone to a person.
    ev.written_right += written == (got.status not in CLAIMS or bool(read_text))
    errors = levenshtein(truth_text.casefold(), read_text.casefold())
    if written:
        ev.written += 1
        ev.written_flagged += got.status not in CLAIMS
        kinds = ["printed"] if t.effect == "printed" else ["handwriting", f"  {getattr(t, 'font', '') or '?'}"]
        for case, edits in (("case-sensitive", levenshtein(truth_text, read_text)), ("case-insensitive", errors)):
            for kind in kinds:
                e, n = ev.cer.get((kind, case), (0, 0))
                ev.cer[(kind, case)] = (e + edits, n + len(truth_text))
    if got.status not in CLAIMS:
        outcome = Outcome.FLAGGED
    elif elsewhere or written != bool(read_text) or errors > COMMENT_TOLERANCE * len(truth_text):
        outcome = Outcome.SILENT
    else:
        outcome = Outcome.RIGHT
    ev.comments.add(outcome)
    return outcome


WORD_REVIEWER = "benchmark: truth majority"
"""The reviewer `word_on_flagged`'s decisions are stored under, in the survey's audit."""


@dataclass(frozen=True)
class ClusterWord:
    """The simulated person's word on one cluster `scanner colours` flagged."""

    cluster: int
    """Its number, as `scanner colours` showed it."""
    light: str
    flag: str
    sheets: tuple[tuple[str, str | None], ...]
    """Its scanned sheets, each with the colour it truly is (None: no questionnaire's)."""

    @property
    def colour(self) -> str | None:
        """The colour most of its sheets truly are (of a tie, the first by name); None when
        none is a questionnaire's: the person has nothing to go by and says nothing."""
        count = Counter(c for _, c in self.sheets if c)
        return min(count, key=lambda c: (-count[c], c)) if count else None

    @property
    def against(self) -> list[tuple[str, str]]:
        """Its sheets truly of another colour than it is given: the word makes them wrong,
        reported `reviewed`, unless calibration still sends them to review on their own."""
        return [(s, c) for s, c in self.sheets if c and self.colour and c != self.colour]

    def line(self) -> str:
        off = ", ".join(f"{s} truly {c}" for s, c in self.against)
        return (f"cluster {self.cluster} ({self.light}, {len(self.sheets)} sheets, {self.flag}): "
                + (f"given {self.colour}" if self.colour else "no questionnaire's sheet: left flagged")
                + (f"; {len(self.against)} of another colour: {off}" if self.against else ""))


def truth_colours(out_dir: str | Path, truth_dir: str | Path) -> dict[str, str]:
    """Scanned sheet id -> the paper colour of the questionnaire it holds (the one with most
    of its pages) in the truth; sheets holding no questionnaire's page are left out."""
    truth_pages = _read(Path(truth_dir) / "pages.csv")
    match = _Matcher(truth_pages, _read(Path(out_dir) / "pages.csv"))
    used = truth_pages[truth_pages["status"] == "used"]
    colour = dict(zip(used["sheet_id"], used["colour"]))
    return {scanned: colour[owner] for scanned, owner in match.owner.items() if colour.get(owner)}


def word_on_flagged(out_dir: str | Path, truth_dir: str | Path, reviewer: str = WORD_REVIEWER) -> list[ClusterWord]:
    """Give every cluster `scanner colours` flags the colour most of its sheets truly are,
    as `scanner colours --assign` does (`decide_clusters`), and write the outputs again.

    Changes the survey in `out_dir` (its store and CSVs): run it on a copy. Returns the
    words given, one a flagged cluster (none for a survey whose forms do not share their
    paper colours: it has no clusters).
    """
    out_dir = Path(out_dir)
    truth = truth_colours(out_dir, truth_dir)
    forms = survey_forms(out_dir)
    template = colour_template(forms)
    if template is None:
        return []
    with open_survey(out_dir, forms) as store:
        words = [ClusterWord(c.number, c.light, c.flag.value,
                             tuple((s, truth.get(s)) for s in sorted({p.sheet_id for p in c.pages})))
                 for c in calibrate_survey(store, template).clusters if c.flag]
        assign = {w.cluster: w.colour for w in words if w.colour}
        if assign:
            decide_clusters(store, template, assign, False, reviewer)
        write_outputs(store, forms, out_dir)
    return words


def word_lines(words: list[ClusterWord], after: Evaluation) -> list[str]:
    """The simulated person's words and the programme scored after them, as text."""
    given = [w for w in words if w.colour]
    colour, reviewed = after.programme.get("colour", Tally()), after.programme_reviewed
    out = ["after a person's word on the flagged clusters (simulated: each given the colour most of its sheets "
           f"truly are, through `scanner colours --assign`, reviewer {WORD_REVIEWER!r}):",
           f"  decisions                  {len(given)} of {len(words)} flagged clusters, "
           f"{sum(len(w.sheets) for w in given)} sheets ({sum(len(w.against) for w in given)} of them truly another "
           "colour)"]
    out += [f"  {w.line()}" for w in words]
    out.append(f"  programme, colour scans    {colour.scored}: {percent(colour.right, colour.scored)} claimed right, "
               f"{colour.flagged} flagged, {colour.silent} wrong claimed ({reviewed.silent} of the "
               f"{reviewed.scored} reported reviewed), {colour.lost} lost")
    out += [f"  wrong as reviewed: {e}" for e in after.examples
            if e.split()[1] == "programme" and " as reviewed" in e]
    return out
