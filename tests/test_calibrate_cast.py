"""Batch colour calibration: a scanned file's scanner cast, measured and taken off.

Every page of one scanned file comes through one scanner session, which tints them all
alike. Where a file's sheets settled clearly agree on an offset from their colours'
centres in the batch, that cast is taken off the file's unsettled scanned pages and they
are settled again by the same margins; settled pages never move, and photos (each under
its own light) keep theirs. The batches below are rebuilt page by page around the
scanned clusters of fresh seed 468085946 (`tests/data/papers-468085946.csv`).
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from scanner.calibrate import PHOTO, SCAN, PagePaper, calibrate
from scanner.pipeline import scan
from scanner.results import Status
from tests.test_calibrate import PAGES, _colours, _tinted_pdf, assert_kept_batch_told, calibrated, kept_papers

CENTRES = {"green": (85.4, -16.5, 13.7), "yellow": (90.4, -8.9, 39.2), "pink": (81.7, 18.6, -6.7),
           "white": (95.2, -2.3, 3.0), "blue": (80.6, -1.1, -17.9)}
"""The scanned clusters' centres of seed 468085946."""
ODD_BLUE = (76.8, -4.9, -6.8)
"""Its s0021: a blue sheet on a ream 8.7 DeltaE off, scanned in batch-003.pdf."""


def _sheet(sheet_id: str, lab, file: str, rng: np.random.Generator, light: str = SCAN) -> list[PagePaper]:
    return [PagePaper(sheet_id, f"{sheet_id}-{p}", tuple(float(v) for v in np.array(lab) + rng.normal(0, 0.3, 3)),
                      light, file) for p in range(PAGES)]


def _batch(rng: np.random.Generator, casts: dict[str, tuple], spread: float = 0.0, sheets: int = 10,
           light: str = SCAN) -> tuple[list[PagePaper], dict[str, str]]:
    """Files of `sheets` each, their colours in turn, tinted by the file's cast (and each
    sheet by up to `spread` more, in a random direction) and by its own ream's 1 unit."""
    papers, truth = [], {}
    names = list(CENTRES)
    for f, (file, cast) in enumerate(casts.items()):
        for k in range(sheets):
            name = names[(f + k) % len(names)]
            tint = rng.normal(0, 1, 3)
            off = np.array(cast) + rng.normal(0, 0.6, 3) + spread * tint / np.linalg.norm(tint)
            sheet_id = f"{light}-{file}-{k}"
            papers += _sheet(sheet_id, np.array(CENTRES[name]) + off, file, rng, light)
            truth[sheet_id] = name
    return papers, truth


FILES = {"batch-001.pdf": (0.0, 0.0, 0.0), "batch-002.pdf": (-0.3, 0.4, -0.5), "batch-003.pdf": (0.2, 0.3, 3.7),
         "batch-004.pdf": (0.5, -0.6, 0.2), "batch-005.pdf": (0.0, 0.2, 0.6)}


def _results(papers, template):
    calibration = calibrate(papers, template)
    return calibrated(papers, template, calibration), calibration


def test_a_file_s_cast_taken_off_settles_a_sheet_of_its_kept_batch(template):
    # Fresh seed 468085946 (the eleventh five, dev): s0021, a blue sheet on a ream 8.7
    # DeltaE off, scanned at (76.8, -4.9, -6.8) in batch-003.pdf, clearly of no colour. The
    # file's nine blue sheets settled in the blue cluster lie (0.2, 0.3, 3.7) from the
    # batch's blue, within 1.1 of that: taken off, the sheet is clearly blue. The two blue
    # sheets of batch-016.pdf on reams 9-10 off, whose file's sheets agree on no cast, stay.
    assert_kept_batch_told(template, "468085946", ("s0021",), ("s0157", "s0159"))
    papers, _ = kept_papers("468085946")
    results, calibration = _results(papers, template)
    assert [c.file for c in calibration.casts if c.file == "batch-003.pdf"]
    assert "once the scanner's cast of batch-003.pdf (+0.2 +0.4 +3.8) is taken off" in \
        results["s0021"].evidence["calibration"]


@pytest.mark.parametrize("others", [{"batch-003.pdf": 3}, {"batch-003.pdf": 3, "batch-016.pdf": 3}])
def test_a_sheet_is_settled_by_its_file_s_cast_only_when_enough_of_the_file_s_sheets_agree_on_it(template, others):
    # The kept batch's s0021 filed with three of batch-003.pdf's settled blue sheets (too
    # few to tell a cast), or with three more of batch-016.pdf, whose reams lie 1-9 units
    # off every which way (no cast they agree on): no cast, to review as before.
    papers, _ = kept_papers("468085946")
    chosen = {"s0021"} | {sheet for file, n in others.items()
                          for sheet in sorted({p.sheet_id for p in papers if p.file == file} - {"s0021"})[:n]}
    papers = [replace(p, file="mixed.pdf") if p.sheet_id in chosen else p for p in papers]
    results, calibration = _results(papers, template)
    assert "mixed.pdf" not in [c.file for c in calibration.casts]
    assert results["s0021"].status is Status.REVIEW, results["s0021"].evidence


@pytest.mark.parametrize("seed", [4, int(np.random.default_rng().integers(1 << 31))])
def test_a_sheet_still_between_two_colours_once_the_cast_is_off_stays_to_review(template, seed):
    # Halfway between the blue and white clusters (the middle of the stretch where a sheet
    # of no file is told neither), scanned in a file with a cast 3.5 a* towards pink.
    cast = (0.3, 3.5, 0.0)
    rng = np.random.default_rng(seed)
    papers, truth = _batch(rng, FILES | {"batch-003.pdf": cast})
    between = np.array(CENTRES["blue"]) + 0.525 * (np.array(CENTRES["white"]) - CENTRES["blue"])
    papers += _sheet("between", between + cast, "batch-003.pdf", rng)
    results, calibration = _results(papers, template)
    assert "batch-003.pdf" in [c.file for c in calibration.casts]
    assert results["between"].status is Status.REVIEW, results["between"].evidence


@pytest.mark.parametrize("seed", [5, int(np.random.default_rng().integers(1 << 31))])
def test_a_file_s_cast_is_not_taken_off_its_photos(template, seed):
    # Each photo has its own light: the scanner's cast of the file says nothing of it.
    rng = np.random.default_rng(seed)
    papers, truth = _batch(rng, FILES)
    papers += _batch(rng, {file: (-12.0, 1.0, 6.0) for file in FILES}, sheets=4, light=PHOTO)[0]
    papers += _sheet("odd", ODD_BLUE, "batch-003.pdf", rng, PHOTO)
    calibration = calibrate(papers, template)
    assert calibration.casts
    assert not any(p.light == PHOTO and p.content_hash in calibration.cast_off for p in papers)


@pytest.mark.parametrize("seed", [6, 7, int(np.random.default_rng().integers(1 << 31))])
def test_a_file_s_cast_never_moves_a_settled_sheet_nor_tells_one_wrong(template, seed):
    # Files with casts up to 6 units, a fifth of their sheets on reams 5-10 DeltaE off in any
    # direction (never lighter), as the generator's `paper` case draws them.
    rng = np.random.default_rng(seed)
    files = {f"batch-{k:03d}.pdf": tuple(rng.normal(0, 2.5, 3)) for k in range(6)}
    papers, truth = _batch(rng, files)
    odd = {}
    for sheet_id in truth:
        if rng.random() < 0.2:
            direction = rng.normal(0, 1, 3) * np.array([0.5, 1.0, 1.0])
            direction[0] = -abs(direction[0])
            odd[sheet_id] = rng.uniform(5, 10) * direction / np.linalg.norm(direction)
    papers = [replace(p, lab=tuple(np.array(p.lab) + odd.get(p.sheet_id, 0))) for p in papers]
    results, calibration = _results(papers, template)
    unfiled = [replace(p, file="") for p in papers]
    before = calibrated(unfiled, template, calibrate(unfiled, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    assert not wrong, [(s, results[s].evidence, calibration.casts) for s in wrong]
    moved = [s for s, r in before.items() if r.status is Status.OK
             and (results[s].status, results[s].evidence["colour"]) != (Status.OK, r.evidence["colour"])]
    assert not moved, moved


def test_scanner_colours_shows_the_cast_it_measured_on_each_file(template, tmp_path):
    # One questionnaire of each colour scanned by a scanner 3.5% short of blue, three of
    # each (a little apart) by one without a cast: the first file's coloured sheets settle
    # in the colours' clusters, all about 3 b* units towards yellow.
    colours = [c.rgb for c in template.colours]
    _tinted_pdf(template, tmp_path / "cast.pdf", [(r, round(0.99 * g), round(0.965 * b)) for r, g, b in colours])
    _tinted_pdf(template, tmp_path / "plain.pdf", [(r, g - k, b) for k in range(3) for r, g, b in colours])
    out = tmp_path / "out"
    scan([tmp_path / "cast.pdf", tmp_path / "plain.pdf"], template, out, jobs=1, ocr=False)
    (cast,) = json.loads(_colours(out, "--json"))["casts"]
    assert cast["file"] == "cast.pdf" and cast["sheets"] >= 4 and cast["lab"][2] > 1.5, cast
    shown = [line for line in _colours(out).splitlines() if line.startswith("Scanner cast of")]
    assert len(shown) == 1 and shown[0].startswith("Scanner cast of cast.pdf: L* a* b* "), shown
