"""Batch colour calibration: clusters of paper colours matched to the template's colours.

The unit tests build pages' paper colours directly in CIELAB (a ream shifted by a known
DeltaE, a phone's warm light, a paper the template does not have) and check that
per-sheet classification gets them wrong or leaves them unresolved where calibration
gets them right, and that what does not fit is flagged, never assigned silently. The
command's test scans real pages and settles a cluster with `scanner colours --assign`.
"""

from __future__ import annotations

import csv
import json
import math
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scanner.calibrate import (PHOTO, SCAN, Calibration, ClusterFlag, PagePaper, _possible_colours, calibrate,
                              sheet_programme)
from scanner.cli import app
from scanner.colour import PaperSample, classify, lab_of
from scanner.pipeline import scan
from scanner.render import page_raster
from scanner.results import FieldResult, Reason, Status
from scanner.template import Colour, load_template

PAGES = 7


def rgb_of(lab) -> tuple[float, float, float]:
    bgr = cv2.cvtColor(np.array([[lab]], np.float32), cv2.COLOR_Lab2BGR)[0, 0]
    return tuple(float(v) for v in np.clip(bgr[::-1] * 255, 0, 255))


def ream(name: str, lab: np.ndarray, sheets: int, rng: np.random.Generator, light: str = SCAN
         ) -> tuple[list[PagePaper], dict[str, str]]:
    """`sheets` questionnaires on paper of Lab colour `lab` (truly `name`), pages a little apart."""
    papers, truth = [], {}
    for k in range(sheets):
        sheet_id = f"{light}-{name}-{lab[1]:.0f}-{k}"
        truth[sheet_id] = name
        for p in range(PAGES):
            seen = lab_of(rgb_of(lab + rng.normal(0, 0.7, 3)))
            papers.append(PagePaper(sheet_id, f"{sheet_id}-{p}", tuple(seen), light))
    return papers, truth


def batch(template, shift, sheets=5, light=SCAN, seed=1):
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for c in template.colours:
        p, t = ream(c.name, shift(lab_of(c.rgb)), sheets, rng, light)
        papers += p
        truth |= t
    return papers, truth


def by_sheet(papers: list[PagePaper]) -> dict[str, list[PagePaper]]:
    sheets: dict[str, list[PagePaper]] = {}
    for p in papers:
        sheets.setdefault(p.sheet_id, []).append(p)
    return sheets


def per_sheet_right(papers, truth, template) -> int:
    return sum(classify([PaperSample(rgb_of(p.lab)) for p in pages], template).colour == truth[sheet_id]
               for sheet_id, pages in by_sheet(papers).items())


def calibrated(papers, template, calibration: Calibration) -> dict[str, FieldResult]:
    blank = FieldResult("programme", "", Status.REVIEW, 0.0)
    return {sheet_id: sheet_programme(pages, calibration, template, blank)
            for sheet_id, pages in by_sheet(papers).items()}


def toward(template, source: str, target: str, delta_e: float):
    """A shift of every paper by `delta_e` in the direction from one template colour to another."""
    v = lab_of(template.colour(target).rgb) - lab_of(template.colour(source).rgb)
    return lambda lab: lab + delta_e * v / np.linalg.norm(v)


@pytest.mark.parametrize(("target", "delta_e"), [("green", 10.0), ("blue", 10.0), ("yellow", 10.0)])
def test_reams_shifted_toward_a_neighbouring_colour_are_classified_right_after_calibration(template, target, delta_e):
    # Every ream is 10 DeltaE off its typed colour, all one way: white paper is then nearer
    # the neighbouring colour than its own.
    papers, truth = batch(template, toward(template, "white", target, delta_e))
    assert per_sheet_right(papers, truth, template) <= 20  # of 25: per sheet, wrong or unresolved
    results = calibrated(papers, template, calibrate(papers, template))
    for sheet_id, result in results.items():
        assert result.status is Status.OK, (sheet_id, result.evidence)
        assert result.evidence["colour"] == truth[sheet_id]
        assert result.value == template.colour(truth[sheet_id]).programme
        assert "batch calibration: cluster" in result.evidence["calibration"]


def test_phone_photos_under_one_light_classify_together(template):
    papers, truth = batch(template, warm, sheets=3, light=PHOTO)
    assert per_sheet_right(papers, truth, template) <= 9  # of 15
    calibration = calibrate(papers, template)
    assert {c.light for c in calibration.clusters} == {PHOTO}
    results = calibrated(papers, template, calibration)
    assert all(r.status is Status.OK and r.evidence["colour"] == truth[s] for s, r in results.items())


def warm(lab):
    """A warm indoor light: blue falls most, so white looks yellowish and blue greyish."""
    r, g, b = rgb_of(lab)
    return lab_of((r * 0.98, g * 0.95, b * 0.85))


@pytest.mark.parametrize("seed", [5, 6])
def test_phone_photos_with_one_cluster_are_told_by_the_light_every_sheet_shows(template, seed):
    # A dozen photographed questionnaires, only one colour with enough sheets for a
    # cluster: one cluster cannot show the light, the few sheets of the other colours can.
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for name, sheets in (("green", 4), ("pink", 2), ("blue", 1), ("yellow", 2), ("white", 1)):
        p, t = ream(name, warm(lab_of(template.colour(name).rgb)), sheets, rng, PHOTO)
        papers, truth = papers + p, truth | t
    calibration = calibrate(papers, template)
    assert len(calibration.clusters) == 1 and calibration.loose == 6
    results = calibrated(papers, template, calibration)
    assert {s: r.evidence["colour"] for s, r in results.items()} == truth
    assert all(r.status is Status.OK for r in results.values())


def test_one_paper_alone_under_an_unknown_light_is_not_explained_away(template):
    # Pale yellow photographed: white under a warm lamp would look the same. With no
    # other paper to show the light, neither is claimed.
    pale = lab_of(template.colour("white").rgb) + np.array([-3.0, -2.0, 20.0])
    papers, truth = ream("yellow", pale, 5, np.random.default_rng(7), PHOTO)
    results = calibrated(papers, template, calibrate(papers, template))
    assert all(r.status is Status.REVIEW and r.value == "" for r in results.values())


def test_an_extra_paper_is_one_flagged_cluster_never_assigned(template):
    papers, truth = batch(template, lambda lab: lab)
    orange, extra = ream("orange", lab_of((255, 205, 150)), 4, np.random.default_rng(2))
    calibration = calibrate(papers + orange, template)
    flagged = [c for c in calibration.clusters if c.flag]
    assert len(flagged) == 1 and flagged[0].flag is ClusterFlag.UNKNOWN and flagged[0].colour is None
    assert {p.sheet_id for p in flagged[0].pages} == set(extra)
    results = calibrated(papers + orange, template, calibration)
    for sheet_id in extra:
        assert results[sheet_id].status is Status.REVIEW and results[sheet_id].value == ""
        assert "matches none of the template's colours" in results[sheet_id].evidence["colour_reason"]
    assert all(results[s].evidence["colour"] == truth[s] for s in truth)


def test_two_clusters_competing_for_one_colour_are_both_flagged(template):
    # Neither is plainly yellow: one ream is 11 off toward pink, the other past halfway to green.
    rng = np.random.default_rng(3)
    yellow, green, pink = (lab_of(template.colour(name).rgb) for name in ("yellow", "green", "pink"))
    papers, _ = ream("yellow", yellow + 11 * (pink - yellow) / np.linalg.norm(pink - yellow), 4, rng)
    between, _ = ream("yellow", yellow + 0.55 * (green - yellow), 4, rng)  # past halfway: which?
    greens, _ = ream("green", green, 4, rng)
    calibration = calibrate(papers + between + greens, template)
    flagged = [c for c in calibration.clusters if c.flag]
    assert len(flagged) == 2 and {c.flag for c in flagged} == {ClusterFlag.COMPETING}
    assert {flagged[0].rival.number, flagged[1].rival.number} == {flagged[0].number, flagged[1].number}
    results = calibrated(papers + between + greens, template, calibration)
    assert all(results[p.sheet_id].status is Status.REVIEW for c in flagged for p in c.pages)
    assert all(results[p.sheet_id].evidence["colour"] == "green" for p in greens)


def test_a_cluster_competing_with_a_ream_on_its_colour_is_flagged_alone(template):
    rng = np.random.default_rng(3)
    yellow, green = (lab_of(template.colour(name).rgb) for name in ("yellow", "green"))
    papers, truth = ream("yellow", yellow, 4, rng)
    between, doubtful = ream("yellow", yellow + 0.55 * (green - yellow), 4, rng)
    calibration = calibrate(papers + between, template)
    flagged = [c for c in calibration.clusters if c.flag]
    assert len(flagged) == 1 and flagged[0].flag is ClusterFlag.COMPETING
    assert {p.sheet_id for p in flagged[0].pages} == set(doubtful)
    results = calibrated(papers + between, template, calibration)
    assert all(results[s].status is Status.OK and results[s].evidence["colour"] == "yellow" for s in truth)
    assert all(results[s].status is Status.REVIEW for s in doubtful)


@pytest.mark.parametrize("seed", [8, 9])
def test_a_ream_plainly_its_colour_is_not_doubted_for_a_stray_cluster_beside_it(template, seed):
    # Seen in a 200-questionnaire batch (seed 611216245): 47 sheets of green paper 0.3 off
    # green all went to review because 3 sheets 7 off green, toward yellow, competed for it.
    # The few are in doubt; the many are green whichever colour the few turn out to be.
    # (Since issue 9's odd reams, 3 sheets 7.5 off are plainly another ream of green:
    # tests/test_calibrate_reams.py. Here the few lie 12 off, as near yellow.)
    rng = np.random.default_rng(seed)
    papers, truth = batch(template, lambda lab: lab, sheets=4, seed=seed)
    green, yellow = (lab_of(template.colour(name).rgb) for name in ("green", "yellow"))
    many, green_truth = ream("green", green, 12, rng)
    away = (yellow - green) / np.linalg.norm(yellow - green)
    stray, stray_truth = ream("green", green + 12 * away, 3, rng)
    calibration = calibrate(papers + many + stray, template)
    results = calibrated(papers + many + stray, template, calibration)
    for sheet_id in truth | green_truth:
        assert results[sheet_id].status is Status.OK, (sheet_id, results[sheet_id].evidence)
        assert results[sheet_id].evidence["colour"] == (truth | green_truth)[sheet_id]
    assert all(results[s].status is Status.REVIEW for s in stray_truth)


def test_reams_of_blue_apart_in_lightness_are_never_told_white_by_it(template):
    # Seed 776488977 (24 questionnaires, 20 on blue): three scanned clusters of blue, the
    # darkest greyed towards white in hue and matched to it; the big one, 6 L* lighter than
    # that, was told "another ream of white" by lightness, and its 13 sheets reported
    # Agency-wide, `ok`. 6 L* is no "as light as": white and blue paper are 14 apart.
    _assert_none_wrong(template, [("blue", (81.1, 0.7, -17.8), 13), ("blue", (80.2, -6.9, -21.1), 3),
                                  ("blue", (75.1, -2.7, -11.0), 3)], seed=11)


def test_a_faded_ream_is_never_told_a_colour_far_off_in_hue_by_its_lightness(template):
    # Seed 15547345 (200 questionnaires): a faded ream of blue, left to white by the
    # one-colour-a-cluster matching, was as near pink as blue in the margin and as light as
    # the pink cluster, so lightness made it "another ream of pink": 12 sheets' programme
    # wrong, `ok`. Lightness may tell apart colours hue cannot, not override hue.
    _assert_none_wrong(template, [("yellow", (89.6, -8.6, 38.3), 12), ("pink", (81.2, 19.1, -3.9), 12),
                                  ("blue", (81.7, -5.2, -17.5), 5), ("blue", (81.1, -0.7, -13.1), 7),
                                  ("green", (84.2, -15.0, 13.3), 10)], seed=12)


def _assert_none_wrong(template, reams: list[tuple[str, tuple[float, float, float], int]], seed: int) -> None:
    """Reams (truly `name`, at a Lab colour, of so many sheets) calibrated: no sheet's
    colour reported `ok` and wrong."""
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for name, lab, sheets in reams:
        p, t = ream(name, np.array(lab), sheets, rng)
        papers, truth = papers + p, truth | t
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]


def test_a_second_ream_plainly_of_a_colour_is_matched_to_it_too(template):
    # Two print runs on two reams of yellow, a little apart: no competition.
    rng = np.random.default_rng(4)
    yellow = lab_of(template.colour("yellow").rgb)
    papers, truth = ream("yellow", yellow, 5, rng)
    other, more = ream("yellow", yellow + np.array([0.0, 3.0, -5.5]), 3, rng)
    calibration = calibrate(papers + other, template)
    assert len(calibration.clusters) == 2 and not any(c.flag for c in calibration.clusters)
    results = calibrated(papers + other, template, calibration)
    assert all(r.status is Status.OK and r.evidence["colour"] == "yellow" for r in results.values())


# --- the command, on real scans ----------------------------------------------------------


def _tinted_pdf(template, path: Path, rgbs: list[tuple[int, int, int]]) -> None:
    """One questionnaire per colour in `rgbs`, every page a JPEG tinted to that paper."""
    from scans import jpeg_pdf

    blank = {p: page_raster(template, p, 100) for p in template.page_numbers}
    images = []
    for rgb in rgbs:
        tint = np.array(rgb[::-1], np.float32) / 255.0
        images += [(blank[p].astype(np.float32) * tint).astype(np.uint8) for p in template.page_numbers]
    path.write_bytes(jpeg_pdf(images))


def _programmes(out: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(out / "survey.sqlite") as db:
        return {s: (v, st) for s, v, st in db.execute(
            "SELECT sheet_id, value, status FROM results WHERE item = 'programme'")}


def test_colours_assign_sets_every_sheet_of_the_cluster_survives_a_rescan_and_is_audited(template, tmp_path):
    # Three questionnaires on a ream off yellow, towards orange, and three on green paper.
    pdf = tmp_path / "batch.pdf"
    _tinted_pdf(template, pdf, [(255, 226, 150)] * 3 + [(200, 236, 196)] * 3)
    out = tmp_path / "out"
    scan([pdf], template, out, jobs=1, ocr=False)
    clusters = _clusters(out)
    off = next(c for c in clusters if c["colour"] == "yellow")
    assert off["sheets"] == 3 and off["decided_by"] is None
    for wrong, message in ((f"{len(clusters) + 1}=pink", "there is no cluster"), ("1=orange", "not a colour of form")):
        result = CliRunner().invoke(app, ["colours", str(out), "--assign", wrong, "--reviewer", "Ann Example"])
        assert result.exit_code == 2 and message in result.output
    _colours(out, "--assign", f"{off['cluster']}=pink", "--reviewer", "Ann Example")
    for _ in range(2):  # right after the decision, and after scanning the batch again
        programmes = sorted(_programmes(out).values())
        assert programmes == [("Programme B", "reviewed")] * 3 + [("Programme D", "ok")] * 3
        assert (out / "items.csv").read_text().count("programme,Programme B,reviewed") == 3
        decided = next(c for c in _clusters(out) if c["colour"] == "pink")
        assert decided["decided_by"] == "Ann Example" and decided["sheets"] == 3
        scan([pdf], template, out, jobs=1, ocr=False)
    with sqlite3.connect(out / "survey.sqlite") as db:
        (colour, reviewer, when), = db.execute("SELECT colour, reviewer, decided_at FROM colour_decisions")
        evidence = [e for (e,) in db.execute("SELECT evidence FROM results WHERE value = 'Programme B'")]
    assert (colour, reviewer) == ("pink", "Ann Example") and when.startswith("20")
    assert len(evidence) == 3 and all("batch calibration confirmed by Ann Example" in e for e in evidence)
    _colours(out, "--confirm", "--reviewer", "Bo")  # the green cluster, as matched
    assert sorted(_programmes(out).values()) == [("Programme B", "reviewed")] * 3 + [("Programme D", "reviewed")] * 3
    again = CliRunner().invoke(app, ["colours", str(out), "--confirm", "--reviewer", "Bo"])
    assert again.exit_code == 2 and "nothing to decide" in again.output


def test_a_scan_on_a_template_of_white_and_one_colour_writes_its_outputs(template, tmp_path):
    # Review 14, scanned: three sheets on pink, three on the ream off pink of the tests
    # above, three on white, with a template of white and pink: calibration raised
    # ValueError after every page was stored, and the scan ended with no CSVs.
    white_pink = only_colours(template, "white", "pink")
    rgb = [tuple(round(v) for v in rgb_of(np.array(lab))) for lab in ((81.5, 19.5, -4.4), (82.2, 9.4, 3.9),
                                                                       (93.3, -1.0, 0.6))]
    pdf = tmp_path / "batch.pdf"
    _tinted_pdf(white_pink, pdf, [rgb[0]] * 3 + [rgb[1]] * 3 + [rgb[2]] * 3)
    out = tmp_path / "out"
    summary = scan([pdf], white_pink, out, jobs=1, ocr=False)
    assert summary.ok and summary.sheets == 9
    assert all((out / name).exists() for name in ("responses.csv", "items.csv", "pages.csv"))
    off = next(c for c in _clusters(out) if c["flag"] == ClusterFlag.COMPETING.value)
    assert off["sheets"] == 3 and off["colour"] is None
    assert sorted(_programmes(out).values()).count(("Programme B", "ok")) == 3
    # What `scanner colours` shows a person: a row a cluster, the flagged one saying why,
    # the matched ones their colour and programme, then the template's colours.
    shown = CliRunner().invoke(app, ["colours", str(out)], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    rows = {line.split()[1]: line for line in shown.output.splitlines() if line.split()[1:2] in
            [[str(c["cluster"])] for c in _clusters(out)]}
    assert "flagged: " + ClusterFlag.COMPETING.value in rows[str(off["cluster"])]
    assert sum("pink = Programme B" in row and "matched" in row for row in rows.values()) == 1
    assert "Template colours:" in shown.output and "white = " in shown.output


def test_a_calibration_that_fails_leaves_each_programme_to_review_and_still_writes_the_csvs(
        template_path, tmp_path, monkeypatch):
    # Whatever a calibration bug raises, the pages are stored and the CSVs written; each
    # colour sheet keeps the programme it read, to review, and the scan says it failed.
    import scanner.pipeline

    def broken(store, template):
        raise ValueError("min() arg is an empty sequence")

    monkeypatch.setattr(scanner.pipeline, "calibrate_survey", broken)
    pdf = tmp_path / "batch.pdf"
    _tinted_pdf(load_template(template_path), pdf, [(200, 236, 196)] * 3)  # green, as typed
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(pdf), "--template", str(template_path), "--out", str(out),
                                      "--no-ocr", "-j", "1", "-q"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert f"batch colour calibration of the survey in {out} failed (ValueError: min() arg" in result.output
    assert all((out / name).exists() for name in ("responses.csv", "items.csv", "pages.csv"))
    assert sorted(_programmes(out).values()) == [("Programme D", "review")] * 3
    with sqlite3.connect(out / "survey.sqlite") as db:
        reasons = [json.loads(e)["colour_reason"] for (e,) in db.execute(
            "SELECT evidence FROM results WHERE item = 'programme'")]
    assert reasons == ["batch calibration failed: ValueError: min() arg is an empty sequence"] * 3
    with open(out / "responses.csv", newline="") as f:
        assert [row["programme"] for row in csv.DictReader(f)] == [""] * 3  # to review: not reported
    assert f"ERROR: batch colour calibration of the survey in {out} failed: ValueError" in result.output


def _colours(out: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["colours", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _clusters(out: Path) -> list[dict]:
    return json.loads(_colours(out, "--json"))["clusters"]


@pytest.mark.parametrize(("lighter", "truly"), [(1.5, "blue"), (13.0, "white"), (7.0, None)])
def test_a_pale_cluster_between_white_and_blue_is_told_by_its_lightness(template, lighter, truly):
    # Four reams matched and a fifth paper, half as blue as the blue ream: a pale ream of
    # blue in a batch with no white paper, or white off towards blue. Hue cannot tell;
    # lightness can when it is plainly blue's or white's, and else it stays flagged.
    rng = np.random.default_rng(9)
    papers = []
    for name in ("yellow", "pink", "blue", "green"):
        papers += ream(name, lab_of(template.colour(name).rgb), 5, rng)[0]
    blue = lab_of(template.colour("blue").rgb)
    pale, _ = ream("pale", np.array([blue[0] + lighter, blue[1] / 2, blue[2] / 2]), 4, rng)
    results = calibrated(papers + pale, template, calibrate(papers + pale, template))
    told = {(results[p.sheet_id].status, results[p.sheet_id].evidence["colour"]) for p in pale}
    assert told == {(Status.REVIEW, None) if truly is None else (Status.OK, truly)}
    assert all(results[p.sheet_id].status is Status.OK for p in papers)


def test_a_sheet_between_two_clusters_takes_the_colour_both_views_agree_on(template):
    # Phone photos of seed 391004346 (every effect on): a blue sheet on a ream 6 DeltaE
    # off lies between the blue clusters and the white one as photographed; with the
    # lamp's warmth taken away it is plainly blue, and blue is also its nearest cluster.
    rng = np.random.default_rng(10)
    papers = []
    for lab, sheets in (((72.2, 21.2, 4.3), 9), ((73.4, -8.7, -12.1), 3), ((74.8, -6.1, -6.6), 3),
                        ((85.6, 2.9, 6.1), 7)):
        papers += ream("batch", np.array(lab), sheets, rng, PHOTO)[0]
    odd, _ = ream("odd", np.array([74.0, 0.9, -6.5]), 1, rng, PHOTO)
    results = calibrated(papers + odd, template, calibrate(papers + odd, template))
    assert (results[odd[0].sheet_id].status, results[odd[0].sheet_id].evidence["colour"]) == (Status.OK, "blue")


# --- a sheet's pages under two lights ------------------------------------------------------

SCANNED = 4
"""Of a sheet's `PAGES` pages, those scanned; the rest are phone photos."""


def two_lights(name: str, scanned: tuple, photographed: tuple, sheets: int, rng: np.random.Generator
               ) -> tuple[list[PagePaper], dict[str, str]]:
    """`sheets` questionnaires (truly `name`) whose first `SCANNED` pages are scans of paper
    seen at Lab `scanned` and whose others are phone photos of it, seen at `photographed`."""
    papers, truth = [], {}
    for k in range(sheets):
        sheet_id = f"{name}-{scanned[1]:.0f}-{photographed[1]:.0f}-{k}"
        truth[sheet_id] = name
        for p in range(PAGES):
            light, lab = (SCAN, scanned) if p < SCANNED else (PHOTO, photographed)
            seen = lab_of(rgb_of(np.array(lab) + rng.normal(0, 0.5, 3)))
            papers.append(PagePaper(sheet_id, f"{sheet_id}-{p}", tuple(seen), light))
    return papers, truth


def _two_light_batch(template, seed: int, doubtful: int = 4):
    """Five sheets of each colour, scanned as typed and photographed under a warm light, and
    `doubtful` more of yellow whose photos are greyed a long way towards green."""
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for c in template.colours:
        lab = lab_of(c.rgb)
        p, t = two_lights(c.name, tuple(lab), tuple(warm(lab)), 5, rng)
        papers, truth = papers + p, truth | t
    yellow, green = (lab_of(template.colour(name).rgb) for name in ("yellow", "green"))
    p, t = two_lights("yellow", tuple(yellow), tuple(warm(yellow + 0.5 * (green - yellow))), doubtful, rng)
    return papers + p, truth | t, set(t)


@pytest.mark.parametrize("seed", [13, 14])
def test_pages_photographed_in_a_doubtful_cluster_are_settled_by_the_same_sheets_scans(template, seed):
    # Seeds 556142372 and 837820416 (200 questionnaires, every effect on): 3 or 4 pages of
    # a sheet photographed in a cluster competing for blue (or yellow), its other pages
    # scanned in the batch's blue (yellow) cluster; too few agreed, the sheet went to review.
    papers, truth, greyed = _two_light_batch(template, seed)
    calibration = calibrate(papers, template)
    # The batch's view is unchanged: the greyed photos' cluster is for a person to confirm
    # (the yellow ream photographed on its colour keeps it: the greyed one is nearest yellow).
    doubtful = [c for c in calibration.clusters if c.flag]
    assert {(c.light, c.flag) for c in doubtful} == {(PHOTO, ClusterFlag.COMPETING)}
    assert {p.sheet_id for c in doubtful for p in c.pages} == greyed
    results = calibrated(papers, template, calibration)
    for sheet_id, result in results.items():
        assert (result.status, result.evidence["colour"]) == (Status.OK, truth[sheet_id]), result.evidence


def test_a_doubtful_cluster_is_settled_only_by_pages_in_a_matched_cluster(template):
    papers, truth, _ = _two_light_batch(template, 15)
    # A sheet on a paper of its own, 12 off yellow towards orange when scanned: in no
    # cluster, nearest yellow; its photos lie in the doubtful cluster. Nearness alone is
    # no settled colour: the sheet stays to review. (Darker too: yellow with 12 more a*
    # is out of sRGB, and clipped back it lies 5 off yellow, plainly yellow.)
    yellow, green = (lab_of(template.colour(name).rgb) for name in ("yellow", "green"))
    own, _ = two_lights("own", tuple(yellow + np.array([-8.0, 12.0, -4.0])),
                        tuple(warm(yellow + 0.5 * (green - yellow))), 1, np.random.default_rng(16))
    calibration = calibrate(papers + own, template)
    assert calibration.page_outcome(own[0])[0] == "yellow" and calibration.loose == 1
    result = calibrated(papers + own, template, calibration)[own[0].sheet_id]
    assert (result.status, result.value) == (Status.REVIEW, "")


# --- a sheet in no cluster, between a colour and white -------------------------------------

SEED_611216245 = [("yellow", (90.1, -8.0, 39.2), 6), ("pink", (81.4, 18.8, -8.0), 6), ("blue", (80.7, -3.9, -14.1), 6),
                  ("green", (85.6, -19.4, 14.9), 6), ("white", (95.1, 0.6, -2.2), 6)]
"""The scanned clusters of seed 611216245 (200 questionnaires, every effect on)."""


def _with_sheets(template, reams, sheets: list[tuple[str, tuple]], seed: int) -> tuple[dict, dict]:
    """Reams (truly `name`, at a Lab colour, of so many sheets) and lone `sheets` (name,
    Lab), scanned and calibrated: every sheet's programme, and the lone sheets' ids."""
    rng = np.random.default_rng(seed)
    papers, lone = [], {}
    for name, lab, count in reams:
        papers += ream(name, np.array(lab), count, rng)[0]
    for name, lab in sheets:
        p, t = ream(name, np.array(lab), 1, rng)
        papers, lone = papers + p, lone | {p[0].sheet_id: (name, lab)}
    return calibrated(papers, template, calibrate(papers, template)), lone


@pytest.mark.parametrize(("truly", "lab"), [("blue", (81.0, 1.9, -8.9)), ("blue", (79.0, 3.2, -11.9)),
                                           (None, (88.0, 1.9, -8.9))])
def test_a_sheet_greyed_between_blue_and_white_is_told_by_its_lightness(template, truly, lab):
    # Seed 611216245: two blue sheets on reams 7.9 and 6.6 DeltaE off blue, towards white,
    # each in no cluster, as near white as blue in hue, went to review; they are as dark as
    # the blue cluster, 14 L* below white paper. One as light as neither stays in doubt.
    results, lone = _with_sheets(template, SEED_611216245, [(str(truly), lab)], 18)
    (sheet_id,) = lone
    told = (results[sheet_id].status, results[sheet_id].evidence["colour"])
    assert told == ((Status.REVIEW, None) if truly is None else (Status.OK, truly)), results[sheet_id].evidence
    assert all(r.status is Status.OK for s, r in results.items() if s not in lone)


SEED_15547345 = [("yellow", (89.6, -8.6, 38.3), 8), ("pink", (81.2, 19.1, -3.9), 8), ("blue", (81.1, -0.7, -13.1), 6),
                 ("blue", (81.7, -5.2, -17.5), 5), ("green", (84.2, -15.0, 13.3), 8)]
"""The scanned clusters of seed 15547345: no white one."""


@pytest.mark.parametrize("seed", [20, 21])
def test_a_sheet_as_dark_as_blue_is_never_told_white_by_hue_alone(template, seed):
    # Seed 15547345, s0195: a blue sheet on a ream 7.7 DeltaE off, greyed towards white,
    # in no cluster, no white cluster in the batch: nearest white by hue among the typed
    # colours, its scanned pages were told white though 4 L* darker than the blue cluster
    # (only its photographed pages, to review, kept the sheet from Agency-wide, `ok`).
    results, lone = _with_sheets(template, SEED_15547345, [("blue", (77.0, -0.5, -5.8))], seed)
    (sheet_id,) = lone
    assert (results[sheet_id].status, results[sheet_id].value) == (Status.REVIEW, ""), results[sheet_id].evidence


# --- a ream off its colour, told by the batch's order of hue --------------------------------

def kept_papers(name: str) -> tuple[list[PagePaper], dict[str, str]]:
    """A kept batch's pages as measured (tests/data/papers-SEED.csv, with the file each page was
    scanned from where the csv has it), and each sheet's true colour."""
    papers, truth = [], {}
    with open(Path(__file__).parent / "data" / f"papers-{name}.csv", newline="") as f:
        for row in csv.DictReader(f):
            lab = tuple(float(row[k]) for k in "Lab")
            papers.append(PagePaper(row["sheet"], f"{row['sheet']}-{row['page']}", lab, row["light"],
                                    row.get("file", "")))
            truth[row["sheet"]] = row["colour"]
    return papers, truth


def assert_kept_batch_told(template, name: str, resolved: tuple[str, ...], in_review: tuple[str, ...]) -> None:
    """A kept batch calibrated: no sheet wrong, the sheets `resolved` told `ok`, those `in_review` left to a person."""
    papers, truth = kept_papers(name)
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    off = [s for s in resolved if results[s].status is not Status.OK]
    assert not off, [(s, results[s].evidence) for s in off]
    assert all(results[s].status is Status.REVIEW for s in in_review), [results[s].evidence for s in in_review]


def test_reams_off_their_colour_with_nothing_else_that_way_are_other_reams_of_it(template):
    # Seed 556142372: three blue sheets on a ream off towards violet (11 units from blue,
    # s0075, s0150 and a third), three pink ones on a ream pale and off towards orange (9
    # from pink, 12 from white, s0051), and two pink sheets in no cluster between that one
    # and the pink ream (s0013, s0016) went to review: each cluster competed for the colour
    # a big ream plainly keeps. Every other colour has its cluster, nothing in the batch
    # lies their way but blue (pink), and the pale ones are as dark as pink, not white.
    papers, truth = kept_papers("556142372")
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    for sheet_id in ("s0013", "s0016", "s0051", "s0075", "s0150"):
        assert (results[sheet_id].status, results[sheet_id].evidence["colour"]) == (Status.OK, truth[sheet_id])
    # A blue sheet on a teal ream, 10 units off blue and in no cluster, its photos by a
    # cluster in doubt: its five scans are within reach of blue alone (the white cluster
    # 14.8 off, just beyond) and as dark as blue paper, so they are blue, and the sheet.
    assert (results["s0183"].status, results["s0183"].evidence["colour"]) == (Status.OK, "blue")


def test_a_ream_off_its_colour_with_no_ream_of_a_colour_far_from_it_is_another_ream_of_it(template):
    # Held-out seed 543151205 (100 questionnaires, no yellow sheet): nine pink sheets on a
    # ream off towards orange, scanned at (82.2, 9.4, 3.9), 8 from pink and 30 from yellow,
    # competed with the pink ream, and their photos with the pink photos: 12 of 90 colour
    # sheets to review. No yellow ream placed yellow in hue; typed yellow does, 80 degrees
    # off where pink's clusters are 30. The white sheet in the cluster (s0074, 7 L* above
    # it) stays to review.
    assert_kept_batch_told(template, "543151205",
                           ("s0081", "s0083", "s0084", "s0085", "s0086", "s0087", "s0088", "s0089", "s0090"),
                           ("s0074",))


def test_a_ream_off_blue_as_dark_as_blue_and_far_from_every_other_colour_is_another_ream_of_blue(template):
    # Fresh seed 445966895 (tenth held-out five): seven blue sheets scanned at (82.7, -10.2,
    # -10.2), two files' blue reams tinted towards green by ream and scanner and two reams
    # 8.5 and 9.8 DeltaE off, 8.9 from blue, 14.2 from white and 21 from green, competed
    # with the blue ream: 8 of 175 colour sheets to review. White, the only other colour
    # near, is ruled out by lightness: the cluster is as dark as the blue ream, 14 L* below
    # the white one. The white sheet in no cluster (s0199, pinkish) stays to review.
    assert_kept_batch_told(template, "445966895",
                           ("s0085", "s0121", "s0124", "s0129", "s0130", "s0133", "s0138", "s0139"), ("s0199",))


SEED_543151205 = [("pink", (81.5, 19.5, -4.4), 12), ("blue", (81.2, -0.9, -15.5), 10),
                  ("green", (83.1, -11.8, 12.0), 4), ("white", (93.3, -1.0, 0.6), 5)]
"""The scanned reams of held-out seed 543151205: no yellow one."""


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_a_ream_off_pink_away_from_a_missing_yellow_is_pink(template, seed):
    results, _ = _with_sheets(template, SEED_543151205 + [("pink", (82.2, 9.4, 3.9), 5)], [], seed)
    assert all(r.status is Status.OK and r.evidence["colour"] == s.split("-")[1] for s, r in results.items()), \
        [(s, r.evidence) for s, r in results.items() if r.status is not Status.OK]


def only_colours(template, *names: str):
    """The template with only the paper colours named."""
    return template.model_copy(update={"colours": [c for c in template.colours if c.name in names]})


@pytest.mark.parametrize("seed", [31, 32, 33, random.randrange(2**32)])
def test_a_second_ream_of_the_only_coloured_paper_is_flagged_not_a_crash(template, seed):
    # Review 14: a template of white and pink paper, and the ream of the test above off
    # pink. `_ream_by_hue` weighed its hue against the other coloured papers' and there
    # was none: ValueError, and the scan died after storing every page, no CSVs. With no
    # other colour on the hue circle, hue places nothing: a person decides. (White goes to
    # review too: one coloured paper never anchors a light, `_anchored`.)
    white_pink = only_colours(template, "white", "pink")
    reams = [r for r in SEED_543151205 if r[0] in ("white", "pink")] + [("off", (82.2, 9.4, 3.9), 5)]
    results, _ = _with_sheets(white_pink, reams, [], seed)
    told = {s: (r.status, r.evidence["colour"]) for s, r in results.items()}
    truly = {s: s.split("-")[1] for s in told}
    assert all(told[s] == (Status.REVIEW, None) for s in told if truly[s] == "off"), told
    assert all(told[s] == (Status.OK, "pink") for s in told if truly[s] == "pink"), told
    assert all(told[s] in ((Status.OK, "white"), (Status.REVIEW, None)) for s in told if truly[s] == "white"), told


@pytest.mark.parametrize("name", ["pink", "white", "blue"])
@pytest.mark.parametrize("seed", [34, random.randrange(2**32)])
def test_a_template_of_one_colour_reads_its_reams_as_that_colour(template, name, seed):
    # With no runner-up colour the margin was inf / inf, NaN, never clear: every sheet of a
    # one-colour survey went to review as "between two of the template's colours", where
    # each sheet alone (`classify`) reads it `ok`. The margin is measured against the
    # unknown-colour limit then, as `classify` measures it; a paper beyond it is unknown.
    one = only_colours(template, name)
    typed = lab_of(one.colour(name).rgb)
    rng = np.random.default_rng(seed)
    papers, truth = ream(name, typed - np.array([3.0, 0.0, 0.0]), 5, rng)
    far, _ = ream("far", lab_of(template.colour("green").rgb), 4, rng)  # 20 or more from each of them
    assert per_sheet_right(papers, truth, one) == 5
    results = calibrated(papers + far, one, calibrate(papers + far, one))
    assert all((results[s].status, results[s].evidence["colour"]) == (Status.OK, name) for s in truth), results
    assert all((results[p.sheet_id].status, results[p.sheet_id].value) == (Status.REVIEW, "") for p in far)


def test_two_colours_typed_alike_do_not_crash_calibration_on_paper_at_their_colour(template):
    # Two programmes on paper typed alike (white, and "snow" copied from it), and pages
    # scanned so bright they clip to pure white, exactly where both are typed: every
    # margin between the two was 0 / 0, ZeroDivisionError. Equally near both, a sheet is
    # clearly neither.
    twins = template.model_copy(update={"colours": [*template.colours, template.colour("white").model_copy(
        update={"name": "snow", "programme": "Programme E"})]})
    rng = np.random.default_rng(35)
    papers, _ = ream("white", np.array([104.0, 0.0, 0.0]), 5, rng)
    assert all(p.lab == (100.0, 0.0, 0.0) for p in papers)
    results = calibrated(papers, twins, calibrate(papers, twins))
    assert all((r.status, r.value) == (Status.REVIEW, "") for r in results.values())


@st.composite
def small_surveys(draw, template):
    """Some of the shipped template's colours (and papers of its own), and a few reams on
    them or anywhere, scanned or photographed, a sheet or a dozen, a page or three."""
    names = draw(st.lists(st.sampled_from([c.name for c in template.colours]), min_size=1, max_size=5, unique=True))
    extra = draw(st.lists(st.tuples(*[st.integers(120, 255)] * 3), max_size=2))
    colours = [c for c in template.colours if c.name in names] + [
        Colour(name=f"extra{k}", rgb=rgb, programme=f"Programme X{k}") for k, rgb in enumerate(extra)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    papers = []
    for k in range(draw(st.integers(0, 6))):
        # On a colour of its own, on its colour, a ream off it, or as far as a paper of another colour.
        on = draw(st.sampled_from([*colours, None]))
        off, turn = draw(st.sampled_from([0.0, 4.0, 8.0, 11.0, 20.0])), draw(st.floats(-math.pi, math.pi))
        centre = lab_of(on.rgb) if on else np.array([draw(st.floats(60, 100)), *draw(st.tuples(*[st.floats(-40, 40)] * 2))])
        lab = centre + np.array([draw(st.floats(-6, 6)), off * math.cos(turn), off * math.sin(turn)])
        light, pages = draw(st.sampled_from([SCAN, SCAN, PHOTO])), draw(st.integers(1, 3))
        sheets = draw(st.sampled_from([1, 2, 3, 5, 12]))
        for n in range(sheets):
            sheet_id = f"{light}-{k}-{n}"
            papers += [PagePaper(sheet_id, f"{sheet_id}-{p}", tuple(lab_of(rgb_of(lab + rng.normal(0, 0.7, 3)))), light)
                       for p in range(pages)]
    return colours, papers


@settings(max_examples=60)
@given(data=st.data())
def test_any_small_survey_calibrates_and_every_ok_programme_is_its_colour_s(template, data):
    # Review 14 found a template of white and one colour crashing calibration: templates of
    # one to five of the shipped colours and papers of their own, reams of any size under
    # either light (one sheet, no white, nothing near any colour), never crash it; a
    # programme reported `ok` is the one its reported colour codes, any other is empty.
    colours, papers = data.draw(small_surveys(template))
    survey = template.model_copy(update={"colours": colours})
    for sheet_id, result in calibrated(papers, survey, calibrate(papers, survey)).items():
        if result.status is Status.OK:
            assert result.value == survey.colour(result.evidence["colour"]).programme, (sheet_id, result)
        else:
            assert (result.status, result.value) == (Status.REVIEW, ""), (sheet_id, result)


def test_a_pale_ream_as_light_as_white_paper_is_not_told_by_hue(template):
    # The pale ream of seed 556142372 (s0044, s0049, s0051), its scans 11 L* lighter: as
    # far from pink's lightness as from white's. Hue cannot tell white from pale: flagged.
    papers, _ = kept_papers("556142372")
    pale = {"s0044", "s0049", "s0051"}
    lighter = [replace(p, lab=(p.lab[0] + 11, *p.lab[1:])) if p.sheet_id in pale and p.light == SCAN else p
               for p in papers]
    (cluster,) = [c for c in calibrate(lighter, template).clusters if {p.sheet_id for p in c.pages} == pale]
    assert cluster.light == SCAN and cluster.flag is ClusterFlag.COMPETING and cluster.colour is None


SEED_556142372 = [("yellow", (90.6, -7.6, 40.0), 6), ("pink", (83.5, 12.2, 0.4), 8), ("pink", (81.7, 18.6, -4.0), 4),
                  ("blue", (82.3, -4.0, -18.2), 8), ("blue", (81.9, -2.6, -12.8), 5), ("blue", (79.7, 1.8, -18.5), 5),
                  ("green", (86.5, -18.3, 12.8), 6), ("white", (95.4, 0.0, 1.1), 3)]
"""The scanned clusters of seed 556142372, a few sheets each."""


@pytest.mark.parametrize(("paper", "lab", "reams"), [
    ("lilac", (83.0, 12.0, -15.0), SEED_556142372),  # between the pink and blue clusters in hue
    ("aqua", (88.0, -12.0, -6.0), SEED_556142372),  # between blue and green
    ("cream", (95.0, 0.0, 12.0), SEED_556142372),  # near white alone, which has no hue
    ("violet blue", (76.5, 9.0, -20.5), [r for r in SEED_556142372 if r[0] != "green"]),  # no green ream to go by
    # Within reach of pink only, but halfway in hue to where yellow would be: no yellow ream to go by.
    ("orange", (82.0, 11.0, 9.0), [r for r in SEED_556142372 if r[0] != "yellow"]),
])
def test_a_paper_the_batch_does_not_place_stays_flagged(template, paper, lab, reams):
    results, lone = _with_sheets(template, reams + [(paper, lab, 3)], [], 24)
    extra = {s: r for s, r in results.items() if s.split("-")[1] == paper}
    assert len(extra) == 3 and all(r.status is Status.REVIEW and r.value == "" for r in extra.values())
    assert all(r.status is Status.OK and r.evidence["colour"] == s.split("-")[1]
               for s, r in results.items() if s not in extra)


# --- a sheet in no cluster under one light, settling its pages under the other -------------

SEED_15547345_LIGHTS = [("yellow", (89.6, -8.6, 38.3), (82.3, -6.1, 40.1), 8), ("pink", (81.2, 19.1, -3.9), (74.9, 18.2, 5.3), 8),
                        ("blue", (81.7, -5.2, -17.5), (73.5, -6.6, -8.1), 5), ("blue", (81.1, -0.7, -13.1), (74.4, -3.0, -2.5), 6),
                        ("green", (84.2, -15.0, 13.3), (76.9, -13.5, 19.0), 8)]
"""Seed 15547345's reams, scanned and photographed (name, Lab scanned, Lab photographed,
sheets): a ream of blue greyed towards white makes a photographed cluster in doubt
between white and blue; no white ream."""


@pytest.mark.parametrize(("truly", "scanned", "photographed", "told"), [
    # s0154: white paper, its scans 3 units from white and as much lighter than blue as
    # white paper is; its photos near the cluster in doubt between white and blue.
    ("white", (93.5, 1.2, -2.3), (86.8, 0.3, 6.7), "white"),
    # Like s0195: blue paper greyed towards white, its scans told white by hue, 3 units
    # from it, but as dark as blue paper; its photos in the doubtful cluster. Its scans
    # settle nothing: to review, never white.
    ("blue", (77.5, 1.0, -4.5), (69.8, -1.2, 1.3), None),
])
def test_a_sheet_plainly_its_colour_when_scanned_settles_its_photos(template, truly, scanned, photographed, told):
    rng = np.random.default_rng(25)
    papers = []
    for name, scan_lab, photo_lab, sheets in SEED_15547345_LIGHTS:
        papers += two_lights(name, scan_lab, photo_lab, sheets, rng)[0]
    sheet, _ = two_lights("sheet", scanned, photographed, 1, rng)
    calibration = calibrate(papers + sheet, template)
    doubtful = calibration.page_outcome(sheet[-1])[1]
    assert doubtful is not None and doubtful.in_doubt == {"white", "blue"}
    result = calibrated(papers + sheet, template, calibration)[sheet[0].sheet_id]
    assert (result.status, result.evidence["colour"]) == ((Status.OK, told) if told else (Status.REVIEW, None))


def test_a_sheet_whose_photos_lie_nearest_its_colour_is_settled_by_its_scans(template):
    # Seed 764588028, s0040: a blue sheet 7 DeltaE off, scanned plainly blue (in no cluster),
    # photographed greyed between the blue and white clusters, nearer blue: four pages of
    # seven blue, too few; the photos were unresolved. The scans say which paper it is.
    rng = np.random.default_rng(26)
    papers = []
    for name, scan_lab, photo_lab, sheets in [
            ("yellow", (90.0, -8.2, 40.4), (83.1, -5.7, 43.8), 8), ("pink", (82.5, 16.7, -1.4), (75.7, 15.4, 6.7), 8),
            ("blue", (81.5, -3.6, -15.5), (74.8, -5.0, -6.5), 8), ("green", (87.2, -24.2, 14.8), (79.5, -22.7, 21.1), 6),
            ("white", (95.0, 0.5, -1.5), (87.1, -2.2, 9.6), 3)]:
        papers += two_lights(name, scan_lab, photo_lab, sheets, rng)[0]
    sheet, _ = two_lights("sheet", (79.4, 1.0, -10.3), (72.7, 0.3, -1.2), 1, rng)
    calibration = calibrate(papers + sheet, template)
    assert [calibration.page_outcome(p)[0] for p in sheet] == ["blue"] * SCANNED + [None] * (PAGES - SCANNED)
    result = calibrated(papers + sheet, template, calibration)[sheet[0].sheet_id]
    assert (result.status, result.evidence["colour"]) == (Status.OK, "blue"), result.evidence


def test_photos_that_can_be_no_other_colour_count_for_the_colour_the_scans_tell(template):
    # Fresh seed 1545587754, s0149: a pink sheet on a ream off towards orange, its four
    # scans in no cluster and told pink (12 units off it, towards orange), its three photos
    # in a cluster of three such sheets that competes with the pink ream and is within
    # reach of no colour but pink. Four pages of seven pink, too few: to review, though no
    # page said anything but pink.
    papers, truth = kept_papers("1545587754")
    calibration = calibrate(papers, template)
    photos = [p for p in papers if p.sheet_id == "s0149" and p.light == PHOTO]
    assert all(calibration.page_outcome(p) == (None, calibration.page_outcome(photos[0])[1]) for p in photos)
    assert calibration.page_outcome(photos[0])[1].in_doubt == {"pink"}
    results = calibrated(papers, template, calibration)
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    assert (results["s0149"].status, results["s0149"].evidence["colour"]) == (Status.OK, "pink")


def test_a_pale_ream_flagged_beside_white_leaves_the_white_ream_white(template):
    # Fresh seed 680203754: a scanned cluster of three sheets at (84.0, -2.6, 5.2), two
    # white sheets on reams 4-9 units off white (s0092, s0192) and a pale green one (s0035,
    # 9 off green), was told white as another ream of the white cluster of ten at (93.2,
    # 1.6, -2.2) and flagged darker than white paper. It kept white from the ten, which
    # then matched no colour: ten white sheets to review, 157 of 170 resolved. Of the
    # flagged three, the two whites are as light as the ten (lightest pages 93.9 and 92.5)
    # and the green one is not (81.7): the green one alone goes to review.
    papers, truth = kept_papers("680203754")
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    assert results["s0035"].status is Status.REVIEW
    white = [s for s, colour in truth.items() if colour == "white"]
    assert len(white) == 12 and all(results[s].status is Status.OK for s in white), \
        [(s, results[s].evidence) for s in white if results[s].status is not Status.OK]


def test_a_ream_keeps_its_colour_from_a_few_sheets_the_batch_tells_another_ream_of_it(template):
    # Fresh seed 2087599385 (the ninth held-out five): three blue sheets scanned at (79.8,
    # -0.9, -9.6), on reams 8-10 DeltaE off blue and photocopied, 5.6 from blue and within
    # reach of white, competed with the blue ream of 21 at (80.3, -0.1, -18.4), 3.6 from
    # blue: too little nearer for the ream to keep blue plainly, so both were flagged and 7
    # blue sheets went to review (159 of 170 resolved). Their hue is blue's and no other
    # coloured paper's, and they are as dark as the ream, 16 L* below white paper: another
    # ream of blue, and the ream keeps it.
    papers, truth = kept_papers("2087599385")
    calibration = calibrate(papers, template)
    results = calibrated(papers, template, calibration)
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    for sheet_id in ("s0008", "s0028", "s0035", "s0039", "s0073", "s0074", "s0172"):
        assert (results[sheet_id].status, results[sheet_id].evidence["colour"]) == (Status.OK, "blue"), \
            results[sheet_id].evidence
    assert not [c for c in calibration.clusters if c.light == SCAN and c.flag]


@pytest.mark.parametrize("name", ["680203754", "543151205", "1545587754", "556142372", "2087599385"])
def test_a_sheet_names_the_clusters_scanner_colours_shows_for_its_colour(template, name):
    # Fresh seed 680203754: s0092 and s0192, as light as the white cluster, took white from
    # the cluster flagged darker that they are in; their evidence said "cluster 13 matched to
    # white" while `scanner colours` showed cluster 13 flagged, matched to nothing. A cluster
    # a sheet's evidence says matched to its colour is one shown matched to it, unflagged;
    # a flagged cluster holding its pages told that colour is named too.
    papers, _ = kept_papers(name)
    calibration = calibrate(papers, template)
    clusters = {c.number: c for c in calibration.clusters}
    told = 0
    for sheet_id, pages in by_sheet(papers).items():
        result = sheet_programme(pages, calibration, template, FieldResult("programme", "", Status.REVIEW, 0.0))
        colour, text = result.evidence.get("colour"), result.evidence.get("calibration", "")
        if result.status is not Status.OK or "matched to" not in text:
            continue
        named = [int(n) for n in text.split(": cluster ")[1].split(" matched")[0].split(", ")]
        assert all(clusters[n].colour == colour and not clusters[n].flag for n in named), (sheet_id, text)
        hashes = {p.content_hash for p, (told_as, _) in zip(pages, map(calibration.page_outcome, pages))
                  if told_as == colour}
        homes = [c for c in calibration.clusters if c.flag and c.members & hashes]
        assert all(f"cluster {c.number}, flagged" in text for c in homes), (sheet_id, text)
        told += bool(homes)
    assert told or name != "680203754"


SEED_621937120_REAMS = [
    ("yellow", (92.0, -8.4, 37.0), 10, SCAN), ("yellow", (88.5, -1.5, 36.5), 10, SCAN),
    ("pink", (84.1, 13.1, 1.0), 16, SCAN), ("blue", (79.6, -1.1, -18.4), 34, SCAN),
    ("blue", (80.8, -2.6, -13.4), 24, SCAN), ("blue", (80.1, 3.7, -23.5), 15, SCAN),
    ("blue", (81.7, -6.7, -9.3), 9, SCAN), ("green", (86.5, -20.1, 17.5), 15, SCAN),
    ("green", (84.1, -13.9, 11.6), 14, SCAN),
    ("yellow", (83.4, -7.3, 41.0), 9, PHOTO), ("yellow", (81.9, 0.1, 39.3), 9, PHOTO),
    ("pink", (77.3, 12.0, 9.0), 11, PHOTO), ("blue", (72.5, -2.3, -9.7), 30, PHOTO),
    ("blue", (73.0, 1.3, -14.6), 10, PHOTO), ("green", (75.9, -14.3, 17.6), 15, PHOTO),
    ("green", (79.9, -19.2, 23.3), 10, PHOTO), ("blue", (74.0, -4.6, -4.0), 26, PHOTO),
    ("blue", (74.1, 2.8, -4.0), 5, PHOTO)]
"""Seed 621937120's reams (name, Lab, sheets, light; 200 questionnaires, every effect on):
the last two, blue photographed greyed, 7.6 from both blue and white and 7.0 from white
and 9.0 from blue (the light taken away), compete for white; no white ream."""


@pytest.mark.parametrize("seed", [29, 30])
def test_photos_in_a_cluster_doubted_for_a_paper_matching_no_colour_are_settled_by_their_scans(template, seed):
    # Seed 621937120, s0030 and eight more: blue sheets scanned plainly blue, photographed in
    # a cluster matched to white and doubted for competing with one matching no colour;
    # blue was in no doubt for it, so four pages of seven were blue: to review.
    rng = np.random.default_rng(seed)
    papers = [p for name, lab, sheets, light in SEED_621937120_REAMS
              for p in ream(name, np.array(lab), sheets, rng, light)[0]]
    sheet, _ = two_lights("sheet", (81.7, -7.6, -8.7), (76.3, -8.0, -1.0), 1, rng)
    calibration = calibrate(papers + sheet, template)
    doubtful = calibration.page_outcome(sheet[-1])[1]
    assert doubtful.flag is ClusterFlag.COMPETING and doubtful.colour == "white" and doubtful.rival.colour is None
    results = calibrated(papers + sheet, template, calibration)
    assert (results[sheet[0].sheet_id].status, results[sheet[0].sheet_id].evidence["colour"]) == (Status.OK, "blue")
    # The photographed sheets with no scan to settle them stay to review.
    assert all(results[p.sheet_id].status is Status.REVIEW for p in doubtful.pages if p.sheet_id != sheet[0].sheet_id)


# --- paper stocks off the generator's usual path (synth --stock) ------------------------

PALE_PINK_BATCH = [("pink", (83.2, 12.5, 1.0), 5), ("blue", (79.9, 2.8, -18.0), 6), ("green", (86.8, -25.6, 20.8), 5),
                   ("yellow", (91.5, -9.1, 39.6), 3)]
"""The scanned reams of a generated batch (`synth --stock pale_pink`, seed 11, page 1 of
30 questionnaires): the batch's scanners show its coloured papers about 3 L* darker than typed."""


@pytest.mark.parametrize("seed", [27, 28])
def test_a_pale_ream_darker_than_white_paper_is_never_taken_for_white(template, seed):
    # Twelve sheets on a pale orange-pink ream (typed 255, 238, 228), scanned at L* 89 and
    # a*b* (3, 6): nearer white than pink in hue, and matched to white, ok, under a light
    # fitted to it. White paper in this batch would be ~97, 8 lighter: a person decides.
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for name, lab, sheets in PALE_PINK_BATCH + [("pale", (88.9, 3.3, 6.2), 12)]:
        p, t = ream(name, np.array(lab), sheets, rng)
        papers += p
        truth |= t
    calibration = calibrate(papers, template)
    results = calibrated(papers, template, calibration)
    for sheet_id, result in results.items():
        if truth[sheet_id] == "pale":
            assert result.status is Status.REVIEW and "darker than white paper" in result.evidence["colour_reason"]
        else:
            assert (result.status, result.evidence["colour"]) == (Status.OK, truth[sheet_id])
    (pale,) = [c for c in calibration.clusters if {truth[p.sheet_id] for p in c.pages} == {"pale"}]
    assert pale.flag is ClusterFlag.DARKER


def test_white_paper_as_light_as_the_batch_shows_white_stays_white(template):
    # The same batch with a white ream, 3 L* darker than typed like the coloured ones.
    rng = np.random.default_rng(29)
    papers, truth = [], {}
    for name, lab, sheets in PALE_PINK_BATCH + [("white", (96.8, 0.4, 1.5), 4)]:
        p, t = ream(name, np.array(lab), sheets, rng)
        papers += p
        truth |= t
    results = calibrated(papers, template, calibrate(papers, template))
    assert all((r.status, r.evidence["colour"]) == (Status.OK, truth[s]) for s, r in results.items())


def test_a_ream_scanned_with_a_warm_cast_is_another_ream_of_its_colour_not_white(template):
    # Seed 575220375: batch-003.pdf, four blue sheets scanned with the file's own warm
    # cast, b* 7 towards yellow (-1.7, -14.2, L* 80): 2 units from blue, 12 from white,
    # and as dark as the blue ream of batch-001 (81), not 14 L* lighter as white paper
    # is. The assignment gave the three of them white (12 < the unknown-colour limit);
    # the big blue ream, checked first, was flagged for competing with it, and the
    # white one, its rival flagged, was never checked: s0021 and s0024 Agency-wide, ok.
    papers, truth = kept_papers("575220375")
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    for sheet_id in ("s0021", "s0023", "s0024"):
        assert (results[sheet_id].status, results[sheet_id].evidence["colour"]) == (Status.OK, "blue")


SEED_575220375 = [("yellow", (90.5, -10.3, 36.1), 3), ("green", (84.3, -16.3, 9.3), 3),
                  ("blue", (81.0, -1.8, -21.0), 10), ("blue", (80.1, -1.4, -14.2), 3)]
"""The scanned clusters of seed 575220375: two files of blue under casts 7 b* apart (the
second a* 0.3 off, so that the two reams' sheets have their own names)."""


def assert_each_sheet_read_its_colour(template, reams, seed: int) -> None:
    """Every sheet of the reams (colour, Lab, sheets), calibrated, is read `ok` as its own colour."""
    results, _ = _with_sheets(template, reams, [], seed)
    assert {s: (r.status, r.evidence["colour"]) for s, r in results.items()} == \
        {s: (Status.OK, s.split("-")[1]) for s in results}


@pytest.mark.parametrize("seed", [26, 27, 28])
def test_a_cluster_far_from_white_and_as_dark_as_blue_is_blue_whichever_is_checked_first(template, seed):
    assert_each_sheet_read_its_colour(template, SEED_575220375, seed)


@pytest.mark.parametrize("seed", [29, 30, 31])
def test_two_photographed_clusters_in_doubt_are_both_flagged_whichever_is_checked_first(template, seed):
    # Fresh seed 454308240: blue sheets photographed in two clusters, 6.6 units from white
    # and 6.8 from blue; lightness tells nothing in photos. The one checked first was
    # flagged for competing with the other, which kept its colour unflagged: had it been
    # `white`, its sheets photographed only would have been read Agency-wide.
    told = _told(template, [("yellow", (88.7, -6.1, 36.4), 3, SCAN), ("blue", (82.1, -5.3, -12.2), 12, SCAN),
                            ("blue", (82.8, 0.6, -17.0), 8, SCAN), ("blue", (75.2, -1.3, -7.6), 7, PHOTO),
                            ("blue", (74.2, -6.4, -2.9), 9, PHOTO)], seed)
    assert all(c == s.split("-")[1] for s, (status, c) in told.items() if status is Status.OK), told
    assert all(status is Status.REVIEW for s, (status, _) in told.items() if s.startswith(PHOTO)), told


SEED_806647959 = [("yellow", (89.7, -5.5, 35.0), 16), ("yellow", (90.0, -6.6, 40.0), 15),
                  ("pink", (80.5, 21.9, -4.3), 17), ("pink", (82.7, 16.4, -0.9), 16), ("pink", (79.7, 15.6, -7.8), 3),
                  ("blue", (81.2, -5.3, -15.9), 19), ("green", (83.7, -19.6, 13.5), 4),
                  ("white", (96.9, -2.4, 2.8), 10), ("green", (82.4, -13.8, 8.3), 22)]
"""The scanned clusters of fresh seed 806647959 (200 questionnaires, every effect on)."""


@pytest.mark.parametrize("seed", [32, 33])
def test_a_green_ream_is_not_doubted_for_a_white_cluster_tinted_its_way(template, seed):
    # Fresh seed 806647959: the standard green ream, 6.2 from green, was weighed against
    # the white cluster (3.7 of chroma towards yellow-green, the scanner's) as if white
    # could be paler or deeper along that tint: 9.6 apart, too near, and its 22 sheets went
    # to review for competing with white. In plain a*b* they are 12.7 apart.
    assert_each_sheet_read_its_colour(template, SEED_806647959, seed)


@pytest.mark.parametrize("seed", [34, 35, 36])
def test_a_light_fitted_to_a_cluster_too_dark_for_white_is_fitted_again_without_it(template, seed):
    # Seed 131215 of the every-stock test: one ream of blue, no white, scanned with a cast
    # and photographed under warm lamps with casts of their own. The two photographed
    # clusters were taken for pink and white, a cool light fitted to the pair made the
    # first plainly pink, and only the second, far darker than white paper, was flagged:
    # five blue sheets read pink, ok.
    told = _one_paper(template, "blue", [((83.2, -1.7, -7.1), 7, SCAN), ((65.9, 8.9, -10.9), 5, PHOTO),
                                         ((70.9, -1.6, 0.0), 6, PHOTO)], seed)
    assert all(status is Status.REVIEW or colour == "blue" for status, colour in told.values()), told


def _told(template, reams: list[tuple[str, tuple, int, str]], seed: int) -> dict:
    """A batch of reams (truly `name`, seen at Lab, its sheets, the light), calibrated: each
    sheet's status and colour."""
    rng = np.random.default_rng(seed)
    papers = []
    for name, lab, sheets, light in reams:
        papers += ream(name, np.array(lab), sheets, rng, light)[0]
    results = calibrated(papers, template, calibrate(papers, template))
    return {s: (r.status, r.evidence["colour"]) for s, r in results.items()}


def _one_paper(template, name: str, clusters: list[tuple[tuple, int, str]], seed: int) -> dict:
    """A batch of one paper (truly `name`) seen in clusters (Lab, sheets, light), calibrated."""
    return _told(template, [(name, lab, sheets, light) for lab, sheets, light in clusters], seed)


@pytest.mark.parametrize("seed", [37, 38, 39])
def test_a_ream_photographed_alone_too_dark_for_white_is_never_taken_for_white(template, seed):
    # Seed 419344327 of the every-stock test: a green ream photographed under a warm lamp
    # and white-balanced, one cluster under the photos' light, (-3.4, 6.5) at L* 71: with
    # no coloured photo cluster to measure the exposure by, it was not checked and its
    # five sheets were read white, ok. White paper photographed shows L* 85-90.
    told = _one_paper(template, "green", [((84.7, -15.8, 14.7), 11, SCAN), ((86.7, -20.9, 17.5), 4, SCAN),
                                          ((70.8, -3.4, 6.5), 5, PHOTO)], seed)
    assert all(status is Status.REVIEW or colour == "green" for status, colour in told.values()), told


# --- a batch with nothing to anchor its light ------------------------------------------------

@pytest.mark.parametrize("seed", [31, random.randrange(2**32)])
def test_a_ream_halfway_to_a_colour_no_cluster_takes_is_never_read_that_colour(template, seed):
    # Seed 398835813 of the every-stock test, its scanned clusters: a batch of one
    # programme on green paper, no white; a file's ream halfway from green to yellow, and
    # pages white-balanced towards grey. No cluster competed for yellow, so the ream was
    # matched to it under a light fitted to it and read yellow, ok. The batch shows one
    # paper only: the ream may be yellow or green, a person decides.
    rng = np.random.default_rng(seed)
    greens, _ = ream("green", np.array([84.5, -17.6, 13.4]), 5, rng)
    odd, _ = ream("odd", np.array([84.8, -10.6, 27.0]), 4, rng)
    greyed, _ = ream("greyed", np.array([80.7, -5.4, 11.0]), 3, rng)
    calibration = calibrate(greens + odd + greyed, template)
    results = calibrated(greens + odd + greyed, template, calibration)
    assert all((results[p.sheet_id].status, results[p.sheet_id].evidence["colour"]) == (Status.OK, "green")
               for p in greens)
    assert all((results[p.sheet_id].status, results[p.sheet_id].value) == (Status.REVIEW, "") for p in odd + greyed)


@pytest.mark.parametrize("seed", [32, random.randrange(2**32)])
def test_pages_white_balanced_grey_with_no_white_sheet_are_never_read_white(template, seed):
    # Seed 845802779 of the every-stock test, its scanned clusters: a ream of yellow, and a
    # file's pages with most of their colour taken away by the scanner's white balance, as
    # light as white paper: matched to white, they were read white, ok. Nothing in the
    # batch shows what white looks like.
    rng = np.random.default_rng(seed)
    yellows, _ = ream("yellow", np.array([87.4, -11.2, 37.4]), 5, rng)
    greyed, _ = ream("greyed", np.array([90.6, -1.7, 5.8]), 6, rng)
    results = calibrated(yellows + greyed, template, calibrate(yellows + greyed, template))
    assert all(results[p.sheet_id].evidence["colour"] in ("yellow", None) for p in yellows)
    assert all(results[p.sheet_id].status is Status.REVIEW for p in greyed)
    assert "could be blue, green, pink, white or yellow" in results[greyed[0].sheet_id].evidence["colour_reason"]


def test_white_and_two_colours_plainly_shown_anchor_the_light(template):
    # Pink, blue and white reams on their colours: white is white, and a sheet off blue
    # between the blue and white clusters is still told as it was.
    rng = np.random.default_rng(33)
    papers, truth = [], {}
    for name in ("pink", "blue", "white"):
        p, t = ream(name, lab_of(template.colour(name).rgb) - np.array([4.0, 0.0, 0.0]), 4, rng)
        papers, truth = papers + p, truth | t
    results = calibrated(papers, template, calibrate(papers, template))
    assert all((r.status, r.evidence["colour"]) == (Status.OK, truth[s]) for s, r in results.items())


@pytest.mark.parametrize(("lab", "colours"), [
    ((89.8, -19.0, 15.5), {"green"}),  # on green
    ((89.8, -12.5, 28.0), {"green", "yellow"}),  # halfway to yellow
    ((95.0, 0.5, 1.0), {"yellow", "pink", "blue", "green", "white"}),  # grey: white balance greys any paper
    ((85.8, -3.3, -16.7), {"blue"}),
])
def test_the_colours_a_paper_may_be_under_any_light_an_unanchored_batch_allows(template, lab, colours):
    assert _possible_colours(np.array(lab), SCAN, template) == colours


def test_a_file_of_white_sheets_with_a_cast_keeps_white_when_lightness_rules_out_the_rest(template):
    # Fresh seed 561667087 (eleventh five): no scanned ream of white on its colour. One
    # file's nine white sheets scanned with a green cast at (95.5, -5.4, -0.2), 5.3 from
    # white, within reach of blue only and 13 L* above the blue ream, and three flatbed
    # white sheets at (91.8, 3.6, -6.5), 7.3 from white, doubted each other. Lightness
    # leaves the first no colour but white; the three, within reach of pink too, stay.
    assert_kept_batch_told(template, "561667087",
                           ("s0061", "s0063", "s0064", "s0066", "s0067", "s0068", "s0069", "s0070"),
                           ("s0173", "s0175", "s0189"))


def test_programme_given_to_a_mixed_batch_offers_the_colour_s_where_the_colour_was_told(template, filled, tmp_path):
    # --programme is for scans whose colour cannot be told: a yellow questionnaire in the
    # batch (Programme A) was offered Programme B "because the paper colour could not be
    # told", though sheets.csv said yellow, and Enter accepted the wrong programme.
    pdf = tmp_path / "colour.pdf"
    _tinted_pdf(template, pdf, [template.colour("yellow").rgb, template.colour("pink").rgb])
    out = tmp_path / "out"
    scan([pdf, filled.tiff], template, out, jobs=1, ocr=False, programme="Programme B")
    with sqlite3.connect(out / "survey.sqlite") as db:
        got = sorted(db.execute("SELECT s.colour, r.value, r.status, r.reason FROM results r "
                                "JOIN sheets s USING (sheet_id) WHERE r.item = 'programme'"))
    assert got == [("", "Programme B", "ok", None),  # greyscale: the option's word
                   ("pink", "Programme B", "ok", None),  # the colour and the option agree
                   ("yellow", "Programme A", "review", "PROGRAMME_DIFFERS")]
    with open(out / "items.csv", newline="", encoding="utf-8") as f:
        reasons = {r["reason"] for r in csv.DictReader(f) if r["item"] == "programme" and r["status"] == "review"}
    assert reasons == {Reason.PROGRAMME_DIFFERS.value} and "could not be told" not in Reason.PROGRAMME_DIFFERS.value


def test_another_reams_cluster_under_a_phone_lamp_settles_no_scans_in_doubt(template):
    # Fresh seed 611847512: two pink sheets on a ream off towards white (s0022, s0098);
    # their scans fell in a cluster flagged for competing with white (in doubt between
    # white and pink), their photos in a cluster matched to white only as another ream of
    # white's own photo cluster. Those photos settled the scans as white: read white, `ok`.
    # Unsettled, s0098's scans are told pink once their file's cast is taken off; s0022
    # waits for a person's word on the flagged cluster.
    assert_kept_batch_told(template, "611847512", resolved=("s0098",), in_review=("s0022",))
