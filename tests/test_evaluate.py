"""The scorer on hand-made truths and scans: two questionnaires of two pages in one file,
each with a programme, two items and two comments; every test spoils one thing and
checks the figure that must show it."""

from __future__ import annotations

import csv
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from scanner import evaluate as scorer
from scanner.pipeline import scan

PROGRAMMES = {"s0001": "Programme A", "s0002": "Programme B"}
ANSWERS = {"s0001": {"q01": "1", "q02": "3"}, "s0002": {"q01": "2", "q02": "4"}}
SCANNED = {"s0001": "scan-1", "s0002": "scan-2"}
PAGE_OF = {"programme": "1", "q01": "1", "q01_comment": "1", "q02": "2", "q02_comment": "2"}


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class World:
    """A truth and a scan of it, read perfectly until a test changes a row."""

    truth_pages: list[dict] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)

    @classmethod
    def perfect(cls) -> World:
        w = cls()
        for n, (sheet_id, form_page) in enumerate([(s, fp) for s in SCANNED for fp in ("1", "2")], start=1):
            w.truth_pages.append({"source": "batch-001.pdf", "page": str(n), "status": "used", "sheet_id": sheet_id,
                                  "reason": "", "form_page": form_page, "greyscale": "0", "photo": "0"})
            w.pages.append({"source": "in/batch-001.pdf", "page": str(n), "status": "used",
                            "sheet_id": SCANNED[sheet_id], "reason": "", "form_page": form_page})
        for sheet_id, scanned in SCANNED.items():
            truth = {"programme": (PROGRAMMES[sheet_id], "ok", "colour"), "q01_comment": ("", "blank", "blank"),
                     "q02_comment": ("", "blank", "blank")}
            truth |= {item: (value, "ok", "tick") for item, value in ANSWERS[sheet_id].items()}
            for item, (value, expected, effect) in truth.items():
                w.marks.append({"sheet_id": sheet_id, "item": item, "value": value, "expected_status": expected,
                                "effect": effect, "page": PAGE_OF[item]})
                w.items.append({"sheet_id": scanned, "item": item, "value": value, "status": expected,
                                "confidence": "1.0"})
        return w

    def mark(self, sheet_id: str, item: str) -> dict:
        return next(r for r in self.marks if r["sheet_id"] == sheet_id and r["item"] == item)

    def item(self, scanned: str, item: str) -> dict:
        return next(r for r in self.items if r["sheet_id"] == scanned and r["item"] == item)

    def page(self, number: int) -> dict:
        return self.pages[number - 1]

    def lose_page(self, number: int) -> None:
        self.page(number).update(status="unrecognised", sheet_id="", reason="no form page found", form_page="")

    def evaluate(self, tmp_path: Path) -> scorer.Evaluation:
        truth, out = tmp_path / "truth", tmp_path / "out"
        _write(truth / "pages.csv", self.truth_pages)
        _write(truth / "marks.csv", self.marks)
        _write(out / "pages.csv", self.pages)
        _write(out / "items.csv", self.items)
        # responses.csv: the contract's first columns (the scorer matches on pages, not on these).
        _write(truth / "responses.csv", [{"sheet_id": s, "source": "batch-001.pdf", "first_page": str(2 * i + 1)}
                                         for i, s in enumerate(SCANNED)])
        first: dict[str, dict] = {}
        for row in self.pages:
            if row["status"] == "used":
                first.setdefault(row["sheet_id"], {"sheet_id": row["sheet_id"], "source": row["source"],
                                                   "first_page": row["page"]})
        _write(out / "responses.csv", list(first.values()))
        return scorer.evaluate(out, truth)


def test_a_perfect_scan_is_all_right(tmp_path):
    ev = World.perfect().evaluate(tmp_path)
    assert ev.silent_errors == 0
    assert (ev.items.right, ev.comments.right, ev.programme["colour"].right) == (4, 4, 2)
    assert ev.all_fields.flagged == ev.all_fields.lost == 0
    assert (ev.sheets.whole, ev.sheets.truth) == (2, 2)
    assert (ev.pages.accounted, ev.pages.status_right, ev.pages.truth) == (4, 4, 4)
    assert ev.written_right == 4 and ev.clean_right == ev.clean_items == 4


def test_double_tick_claimed_blank_is_a_silent_error(tmp_path):
    w = World.perfect()
    w.mark("s0001", "q01").update(value="", expected_status="multiple", effect="double")
    w.item("scan-1", "q01").update(value="", status="blank")
    assert w.evaluate(tmp_path).silent_errors == 1


def test_double_tick_reported_multiple_is_flagged_not_silent(tmp_path):
    w = World.perfect()
    w.mark("s0001", "q01").update(value="", expected_status="multiple", effect="double")
    w.item("scan-1", "q01").update(value="", status="multiple")
    ev = w.evaluate(tmp_path)
    assert (ev.silent_errors, ev.items.flagged, ev.by_effect["double"].flagged) == (0, 1, 1)


def test_a_wrong_reviewed_value_is_a_claim(tmp_path):
    w = World.perfect()
    w.item("scan-1", "q02").update(value="5", status="reviewed")
    assert w.evaluate(tmp_path).silent_errors == 1


def test_wrong_programme_claimed_on_a_greyscale_scan_is_a_silent_error(tmp_path):
    w = World.perfect()
    for row in w.truth_pages[2:]:
        row["greyscale"] = "1"
    w.mark("s0002", "programme").update(expected_status="review", effect="greyscale")
    w.item("scan-2", "programme").update(value="Programme A", status="ok")
    ev = w.evaluate(tmp_path)
    assert ev.silent_errors == 1
    assert (ev.programme["greyscale"].silent, ev.programme["colour"].right) == (1, 1)


def test_lost_first_page_scores_the_other_pages_claims(tmp_path):
    w = World.perfect()
    w.lose_page(1)
    for item in ("programme", "q01", "q01_comment"):  # what the reader says of a missing page
        w.item("scan-1", item).update(value="", status="review")
    w.item("scan-1", "q02").update(value="5")  # truth 3, claimed ok: must still be caught
    ev = w.evaluate(tmp_path)
    assert ev.silent_errors == 1
    assert (ev.items.right, ev.items.flagged, ev.comments.right) == (2, 1, 3)
    assert (ev.sheets.whole, ev.sheets.partial, ev.sheets.lost) == (1, 1, 0)
    assert ev.pages.accounted == 4 and ev.pages.status_right == 3


def test_comments_of_a_lost_sheet_are_lost_not_rightly_blank(tmp_path):
    w = World.perfect()
    w.lose_page(3)
    w.lose_page(4)
    w.items = [r for r in w.items if r["sheet_id"] != "scan-2"]
    ev = w.evaluate(tmp_path)
    assert ev.written_right == 2
    assert (ev.comments.lost, ev.items.lost, ev.programme["colour"].lost) == (2, 2, 1)
    assert (ev.sheets.whole, ev.sheets.lost) == (1, 1)
    assert ev.all_fields.right == 5 and ev.silent_errors == 0


def test_written_comment_claimed_blank_is_a_silent_error(tmp_path):
    w = World.perfect()
    w.mark("s0001", "q01_comment").update(value="Good team work", expected_status="ok", effect="handwriting")
    ev = w.evaluate(tmp_path)  # the scan still says blank
    assert ev.silent_errors == 1
    assert ev.written_right == 3


def test_text_claimed_in_an_empty_zone_is_a_silent_error(tmp_path):
    w = World.perfect()
    w.item("scan-2", "q02_comment").update(value="lll", status="ok")
    assert w.evaluate(tmp_path).silent_errors == 1


def test_comment_cer_is_reported_with_and_without_letter_case(tmp_path):
    w = World.perfect()
    w.mark("s0001", "q01_comment").update(value="Good team work", expected_status="ok", effect="handwriting")
    w.item("scan-1", "q01_comment").update(value="GOOD  TEAM WORK", status="ok")
    w.mark("s0002", "q02_comment").update(value="Meetings help", expected_status="ok", effect="printed")
    w.item("scan-2", "q02_comment").update(value="Meetings help", status="ok")
    ev = w.evaluate(tmp_path)
    assert ev.cer[("handwriting", "case-insensitive")] == (0, 14)
    assert ev.cer[("handwriting", "case-sensitive")] == (11, 14)
    assert ev.cer[("printed", "case-sensitive")] == (0, 13)
    # Capitals-only handwriting read in capitals is right, not a silent error.
    assert ev.silent_errors == 0 and ev.comments.right == 4
    assert any(line.split()[:3] == ["handwriting", "78.57%", "0.00%"] for line in ev.lines())


def test_comment_claimed_ok_more_than_5_percent_wrong_is_a_silent_error(tmp_path):
    w = World.perfect()
    w.mark("s0001", "q01_comment").update(value="Good team work", expected_status="ok", effect="handwriting")
    w.item("scan-1", "q01_comment").update(value="GOOD TEAM WORD", status="ok")  # 1 in 14: 7%
    assert w.evaluate(tmp_path).silent_errors == 1


def test_an_answer_filed_under_another_questionnaire_is_a_silent_error(tmp_path):
    w = World.perfect()
    # The scan lost s0001's page 2 and took s0002's page 2 in its place.
    w.lose_page(2)
    w.page(4)["sheet_id"] = "scan-1"
    w.item("scan-1", "q02").update(value=ANSWERS["s0002"]["q02"])
    ev = w.evaluate(tmp_path)
    # s0001's q02 is read from s0002's paper (wrong for s0001), and s0002's q02 and
    # q02_comment sit in s0001's row: claims filed under the wrong questionnaire.
    assert ev.items.silent == 2 and ev.comments.silent == 1
    assert (ev.sheets.whole, ev.sheets.partial) == (0, 2)


def test_a_letter_read_as_a_questionnaire_is_counted(tmp_path):
    w = World.perfect()
    w.truth_pages.append({"source": "batch-001.pdf", "page": "5", "status": "unrecognised", "sheet_id": "",
                          "reason": "cover letter", "form_page": "", "greyscale": "0", "photo": "0"})
    w.pages.append({"source": "in/batch-001.pdf", "page": "5", "status": "used", "sheet_id": "scan-3", "reason": ""})
    ev = w.evaluate(tmp_path)
    assert (ev.sheets.whole, ev.sheets.phantom) == (2, 1)
    assert (ev.pages.accounted, ev.pages.status_right) == (5, 4)


def test_figures_by_scenario(tmp_path):
    w = World.perfect()
    for row in w.truth_pages[2:]:
        row["photo"] = "1"
    w.item("scan-2", "q01").update(value="", status="review")
    w.item("scan-2", "q02_comment").update(status="review")
    ev = w.evaluate(tmp_path)
    assert ev.by_scenario["phone"] == scorer.Tally(right=2, flagged=2)
    assert ev.by_scenario["feeder"] == scorer.Tally(right=4)
    assert ev.pages_by_scenario["phone"] == scorer.PageCount(truth=2, accounted=2, status_right=2)
    # The review targets are the items': their share to review is printed per scenario and
    # per effect, apart from the comments (with OCR off, every written one waits).
    assert ev.items_by_scenario == {"phone": scorer.Tally(right=1, flagged=1), "feeder": scorer.Tally(right=2)}
    lines = ev.lines()
    assert next(line for line in lines if line.split()[:1] == ["phone"]).split()[1:7] == \
        ["4", "0", "2", "0", "2", "50.00%"]
    assert next(line for line in lines if line.split()[:1] == ["feeder"]).split()[5:7] == ["2", "0.00%"]
    assert next(line for line in lines if line.split()[:1] == ["tick"]).split()[1:6] == \
        ["4", "0", "1", "0", "25.00%"]


def test_programme_by_scenario(tmp_path):
    """The issue saw 5 of 6 phone-photographed sheets' programme unresolved: a colour scan's
    programme is also tallied by the scenario of the page it is told on (page 1); a
    greyscale scan's goes to review by design and is left out."""
    w = World.perfect()
    for row in w.truth_pages[2:]:
        row["photo"] = "1"
    w.item("scan-2", "programme").update(value="", status="review")
    ev = w.evaluate(tmp_path)
    assert ev.programme_by_scenario == {"feeder": scorer.Tally(right=1), "phone": scorer.Tally(flagged=1)}
    assert "programme of colour scans by scenario (scored, claimed right, flagged, wrong claimed, lost):" \
        in ev.lines()
    w.mark("s0001", "programme").update(expected_status="review", effect="greyscale")
    w.item("scan-1", "programme").update(value="", status="review")
    assert w.evaluate(tmp_path).programme_by_scenario == {"phone": scorer.Tally(flagged=1)}
    assert next(line for line in ev.lines() if line.split()[:2] == ["programme", "phone"]).split()[2:6] == \
        ["1", "0", "1", "0"]


def test_scenario_of_a_page():
    assert scorer.scenario({"photo": "1", "greyscale": "1", "sheets_in_file": 9}) == "phone"
    assert scorer.scenario({"photo": "0", "greyscale": "1", "sheets_in_file": 9}) == "greyscale"
    assert scorer.scenario({"photo": "0", "greyscale": "0", "sheets_in_file": 9}) == "feeder"
    assert scorer.scenario({"photo": "0", "greyscale": "0", "sheets_in_file": 1}) == "flatbed"
    assert scorer.scenario({"scenario": "flatbed", "photo": "1"}) == "flatbed"


def test_evaluations_pool_over_seeds(tmp_path):
    w = World.perfect()
    w.item("scan-1", "q02").update(value="5")
    ev = w.evaluate(tmp_path)
    pooled = ev + ev
    assert pooled.silent_errors == 2 and pooled.items.right == 6
    assert pooled.sheets.truth == 4 and pooled.pages.truth == 8
    assert pooled.by_effect["tick"] == scorer.Tally(right=6, silent=2)
    assert len(pooled.examples) == 2


def _binomial_cdf_exact(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


@pytest.mark.parametrize("k, n", [(0, 100), (1, 100), (3, 1000), (0, 3000), (12, 40)])
def test_upper_bound_is_the_exact_one_sided_95_percent_bound(k, n):
    bound = scorer.upper_bound(k, n)
    assert k / n < bound < 1
    assert _binomial_cdf_exact(k, n, bound) == pytest.approx(0.05, abs=1e-9)


def test_upper_bound_known_values():
    assert scorer.upper_bound(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100), rel=1e-9)
    assert scorer.upper_bound(0, 3000) == pytest.approx(3 / 3000, rel=0.01)  # the rule of three
    assert scorer.upper_bound(1, 100) == pytest.approx(0.0466, abs=1e-4)
    assert scorer.upper_bound(5, 5) == 1.0


def test_silent_errors_line_gives_the_bound(tmp_path):
    lines = World.perfect().evaluate(tmp_path).lines()
    bound = f"{100 * scorer.upper_bound(0, 10):.3f}%"
    assert any(line.startswith("silent errors") and "0 of 10" in line and bound in line for line in lines)


def test_reliability_table_counts_wrong_claims_by_confidence(tmp_path):
    w = World.perfect()
    w.item("scan-1", "q01").update(value="2", confidence="0.65")  # a wrong claim, not sure
    w.item("scan-1", "q02").update(status="review", confidence="0.3")  # flagged: no claim
    w.item("scan-2", "q01").update(confidence="0.97")
    ev = w.evaluate(tmp_path)
    assert ev.reliability == {0.6: scorer.Tally(silent=1), 0.0: scorer.Tally(flagged=1),
                              0.95: scorer.Tally(right=1), 0.99: scorer.Tally(right=1)}
    lines = (ev + ev).reliability_lines()
    assert lines[1].split()[:6] == ["0.00-0.60", "2", "0", "0", "n/a", "n/a"]
    assert lines[2].split()[:6] == ["0.60-0.70", "2", "2", "2", "100.00%", "100.00%"]
    assert lines[3].split()[:3] == ["0.70-0.80", "0", "0"]
    # Claims at confidence >= 0.6: 6 of them, 2 wrong.
    assert lines[2].split()[6:11] == [">=", "0.60", "6", "6", "2"] and lines[2].split()[11] == "33.33%"
    assert scorer.confidence_bin(1.0) == 0.99 and scorer.confidence_bin(0.7) == 0.7


def test_figures_by_hard_case(tmp_path):
    """A hard case touches whole pages (a shadow, a marker cut off) where an item's effect
    names its mark alone: each field is also tallied under every hard case on it, items,
    comments and the programme apart, so that a case's silent errors and review share show."""
    w = World.perfect()
    w.mark("s0002", "q01").update(hard="shadow marker_cut")
    w.item("scan-2", "q01").update(value="", status="review")
    w.mark("s0002", "q01_comment").update(hard="shadow marker_cut")
    w.mark("s0002", "programme").update(hard="paper")
    w.item("scan-2", "programme").update(value="Programme A")
    # A greyscale scan's programme goes to review whatever the case: it would only dilute it.
    w.mark("s0001", "programme").update(hard="paper dust", expected_status="review", effect="greyscale")
    w.item("scan-1", "programme").update(value="", status="review")
    ev = w.evaluate(tmp_path)
    assert ev.by_hard == {"marker_cut": scorer.Tally(flagged=1), "shadow": scorer.Tally(flagged=1),
                          "comment marker_cut": scorer.Tally(right=1), "comment shadow": scorer.Tally(right=1),
                          "programme paper": scorer.Tally(silent=1)}
    assert "tick" not in ev.by_hard and ev.by_effect["tick"].flagged == 1
    lines = ev.lines()
    assert [line.split(" (")[0] for line in lines if line.startswith("by ")] == ["by scenario", "by effect",
                                                                               "by hard case"]
    assert next(line for line in lines if line.split()[:1] == ["shadow"]).split()[1:6] == \
        ["1", "0", "1", "0", "100.00%"]
    assert next(line for line in lines if line.split()[:2] == ["programme", "paper"]).split()[2:4] == ["1", "1"]
    assert (ev + ev).by_hard["shadow"] == scorer.Tally(flagged=2)


def test_a_page_used_as_another_form_page_is_not_as_expected(tmp_path):
    """A page read as the wrong page of the form is `used`, as the truth says, but not as
    expected: its boxes were looked for where another page prints them."""
    w = World.perfect()
    w.page(4)["form_page"] = "1"
    ev = w.evaluate(tmp_path)
    assert (ev.pages.accounted, ev.pages.status_right, ev.pages.truth) == (4, 3, 4)
    assert ev.pages_by_scenario["feeder"].status_right == 3


# --- a person's word on flagged clusters ------------------------------------------------


def test_truth_colours_name_each_scanned_sheet_by_its_questionnaire_and_leave_out_a_letter(tmp_path):
    w = World.perfect()
    for row in w.truth_pages:
        row["colour"] = {"s0001": "yellow", "s0002": "pink"}[row["sheet_id"]]
    w.truth_pages.append({"source": "batch-001.pdf", "page": "5", "status": "unrecognised", "sheet_id": "",
                          "reason": "cover letter", "form_page": "", "colour": "white"})
    w.pages.append({"source": "in/batch-001.pdf", "page": "5", "status": "used", "sheet_id": "scan-3", "reason": ""})
    w.evaluate(tmp_path)
    assert scorer.truth_colours(tmp_path / "out", tmp_path / "truth") == {"scan-1": "yellow", "scan-2": "pink"}


@pytest.mark.parametrize(("truly", "colour", "against"), [
    (("pink", "pink", "white"), "pink", [("c", "white")]),
    (("white", "pink", None), "pink", [("a", "white")]),  # a tie: the first by name
    ((None, None, None), None, []),  # no questionnaire's sheet: nothing to go by
])
def test_a_cluster_is_given_the_colour_most_of_its_sheets_truly_are(truly, colour, against):
    word = scorer.ClusterWord(3, "scan", "competes", tuple(zip("abc", truly)))
    assert (word.colour, word.against) == (colour, against)
    assert ("left flagged" in word.line()) == (colour is None)


def test_a_wrong_programme_reported_reviewed_is_counted_and_shown_apart(tmp_path):
    w = World.perfect()
    w.item("scan-1", "programme").update(status="reviewed")
    w.item("scan-2", "programme").update(value="Programme A", status="reviewed")
    after = w.evaluate(tmp_path)
    assert after.programme_reviewed == scorer.Tally(right=1, silent=1)
    lines = scorer.word_lines([scorer.ClusterWord(1, "scan", "competes", (("scan-1", "yellow"), ("scan-2", "pink")))],
                              after)
    assert "1 of 1 flagged clusters, 2 sheets (1 of them truly another colour)" in lines[1]
    assert "1 wrong claimed (1 of the 2 reported reviewed)" in lines[3]
    assert [line for line in lines if "wrong as reviewed" in line] == [
        "  wrong as reviewed: s0002 programme (colour): truth Programme B, read Programme A as reviewed"]


def test_word_on_flagged_gives_a_flagged_ream_its_truth_majority_through_the_command(template, tmp_path):
    # The batch of tests/test_calibrate.py on a template of white and pink: three sheets on
    # pink, three on a ream off pink flagged as competing with them, three on white flagged
    # as unanchored. Of the ream off pink two are truly pink and one truly white: the word
    # makes the two right and the white one wrong as reviewed.
    from tests.test_calibrate import PAGES, _tinted_pdf, only_colours, rgb_of

    white_pink = only_colours(template, "white", "pink")
    rgb = {name: tuple(round(v) for v in rgb_of(np.array(lab))) for name, lab in (
        ("pink", (81.5, 19.5, -4.4)), ("off", (82.2, 9.4, 3.9)), ("white", (93.3, -1.0, 0.6)))}
    papers = ["pink"] * 3 + ["off"] * 3 + ["white"] * 3
    truly = ["pink"] * 5 + ["white"] * 4
    _tinted_pdf(white_pink, tmp_path / "batch.pdf", [rgb[p] for p in papers])
    out, truth = tmp_path / "out", tmp_path / "truth"
    scan([tmp_path / "batch.pdf"], white_pink, out, jobs=1, ocr=False)
    _write(truth / "pages.csv", [{"source": "batch.pdf", "page": str(PAGES * k + p), "status": "used",
                                  "sheet_id": f"t{k}", "form_page": str(p), "colour": colour}
                                 for k, colour in enumerate(truly) for p in range(1, PAGES + 1)])
    _write(truth / "marks.csv", [{"sheet_id": f"t{k}", "item": "programme",
                                  "value": white_pink.colour(colour).programme, "expected_status": "ok",
                                  "effect": "colour", "page": "1"} for k, colour in enumerate(truly)])
    before = scorer.evaluate(out, truth).programme["colour"]
    assert (before.right, before.flagged, before.silent) == (3, 6, 0)
    words = scorer.word_on_flagged(out, truth)
    with (out / "pages.csv").open(newline="") as fh:
        t5 = next(r["sheet_id"] for r in csv.DictReader(fh) if r["page"] == str(PAGES * 5 + 1))
    assert sorted((w.colour, len(w.sheets), w.against) for w in words) == [("pink", 3, [(t5, "white")]),
                                                                           ("white", 3, [])]
    after = scorer.evaluate(out, truth)
    assert (after.programme["colour"].right, after.programme["colour"].silent) == (8, 1)
    assert after.programme_reviewed == scorer.Tally(right=5, silent=1)
    with sqlite3.connect(out / "survey.sqlite") as db:
        assert sorted(db.execute("SELECT colour, reviewer FROM colour_decisions")) == [
            ("pink", scorer.WORD_REVIEWER), ("white", scorer.WORD_REVIEWER)]
    assert (out / "items.csv").read_text().count(",programme,Programme B,reviewed,") == 3
