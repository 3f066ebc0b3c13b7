"""One questionnaire on its own odd ream: its own paper must support the colour it is given,
not only its cluster's centre or the nearest cluster (issue 9, fresh seeds 150846454 and
560205131, every effect on: each read one such sheet's programme wrong, `ok`)."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from scanner.calibrate import PHOTO, SCAN, calibrate
from scanner.colour import lab_of
from scanner.results import Status
from test_calibrate import assert_kept_batch_told, calibrated, ream

ODD = "odd"


def _odd_sheet(template, reams, odd_name, odd_lab, seed, light=SCAN):
    """The batch's reams (truly `name`, Lab, sheets) and one sheet truly `odd_name` at
    `odd_lab`, all under `light`, calibrated: each sheet's programme result, and the odd sheet's id."""
    rng = np.random.default_rng(seed)
    papers, truth = [], {}
    for k, (name, lab, sheets) in enumerate(reams + [(odd_name, odd_lab, 1)]):
        p, t = ream(name, np.array(lab), sheets, rng, light)
        # Sheet ids made unique per ream (`ream` names them by colour and a* only).
        papers += [replace(page, sheet_id=f"{k}-{page.sheet_id}") for page in p]
        truth |= {f"{k}-{sheet}": colour for sheet, colour in t.items()}
    odd_id = next(s for s in truth if s.startswith(f"{len(reams)}-"))
    results = calibrated(papers, template, calibrate(papers, template))
    wrong = [s for s, r in results.items() if r.status is Status.OK and r.evidence["colour"] != truth[s]]
    return results, odd_id, wrong


FRESH = random.randrange(2**31)
SEEDS = [1, 4, FRESH]
"""Fixed seeds: 1 puts the odd sheet in a cluster, 4 leaves it in none; and a fresh one."""


@pytest.mark.parametrize("seed", SEEDS + [974525858])
def test_a_pink_sheet_darker_than_its_white_cluster_is_not_white(template, seed):
    # Seed 150846454, s0140: a pink sheet on a ream greyed 13 units towards white in a*b*
    # (81.5, 5.2, -2.6) joined the white cluster (94.3, -0.1, -0.2) of 15 sheets and was
    # read white, `ok`: 12.8 L* darker than the white paper of its batch, it is no white.
    # Its cluster's 15 white sheets as measured, one 5.9 darker than their centre.
    whites = [(95.1, 1.2, 2.0), (93.0, 0.1, 2.8), (94.4, 3.2, 0.6), (94.3, 3.2, 0.6), (95.8, -1.4, 2.8),
              (93.8, 0.6, -2.5), (94.2, -2.0, -0.7), (88.4, 4.6, 2.2), (95.1, -2.0, -0.7), (93.8, -0.8, 0.2),
              (92.3, -0.3, 1.0), (94.4, -2.0, -0.7), (94.6, -2.0, -0.7), (94.2, -2.0, -0.7), (94.3, 0.6, -2.5)]
    reams = [("yellow", (89.4, -5.6, 38.0), 20), ("pink", (80.7, 18.3, -3.8), 19),
             ("blue", (82.9, -6.9, -14.2), 11), ("green", (86.3, -20.7, 17.8), 32)]
    reams += [("white", lab, 1) for lab in whites]
    results, odd, wrong = _odd_sheet(template, reams, "pink", (81.5, 5.2, -2.6), seed)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    if seed != FRESH:  # a fresh draw may leave it plainly pink
        assert results[odd].status is Status.REVIEW
    if seed == 1:  # in the white cluster; in none (seed 4), its lightness near pink's stops it first
        assert "darker than the white paper" in results[odd].evidence["colour_reason"]
    # The white sheets themselves stay white, but for those in a cluster of their own with it
    # flagged for being darker than white paper: seed 974525858 puts it with three of the
    # darker, pinker white sheets at (91.0, 4.2, 0.3) beside a white cluster of 12 at (94.3,
    # -1.2, -0.5), which matched no colour: all 15 white sheets went to review. A fresh draw
    # may push the darkest of them (88.4 L*, 5.9 below its cluster) out of reach of white
    # (fresh seed 705980491): review. Of the flagged three, the two as light as the white
    # cluster are white (`_as_light_as_rival`): 14 told white.
    whites = [r for s, r in results.items() if s != odd and "-white-" in s]
    told_white = sum(r.status is Status.OK and r.evidence["colour"] == "white" for r in whites)
    beside = sum(r.evidence["clusters"] == results[odd].evidence["clusters"]
                 and "darker than white paper" in (r.evidence["colour_reason"] or "") for r in whites)
    assert told_white + beside == len(whites) if seed != FRESH else told_white + beside >= len(whites) - 1
    if seed == 974525858:
        assert told_white == 14


@pytest.mark.parametrize("seed", SEEDS)
def test_a_loose_sheet_is_not_told_a_colour_further_off_in_hue_by_lightness_alone(template, seed):
    # Seed 560205131, s0150: a white sheet on a ream 7 L* darker and yellowed (87.5, 1.6,
    # 4.6), in a batch with no scanned white cluster, loose with others at (85.3, 4.0, 4.3).
    # Nearest white in hue (5.9 against 8.0 from the pale pink cluster) but not clearly, it
    # was told pink for being as light as the pink cluster: read pink, `ok`. White's
    # lightness is unmeasured in that batch.
    reams = [("yellow", (89.2, -6.7, 38.1), 38), ("pink", (81.3, 21.0, -5.2), 33),
             ("pink", (84.0, 12.1, -2.0), 9), ("blue", (80.9, -2.1, -16.9), 14),
             ("green", (85.3, -18.3, 15.0), 33)]
    results, odd, wrong = _odd_sheet(template, reams, "white", (85.3, 4.0, 4.3), seed)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    if seed != FRESH:
        assert results[odd].status is Status.REVIEW


# Fresh seed 5102, scanned: its clusters (Lab medians). Its scanners show white paper 11.5 L*
# above blue, not the typed 14.
SEED_5102 = [("yellow", (92.6, -14.0, 41.1), 3), ("pink", (82.4, 19.4, 2.3), 9), ("pink", (81.7, 18.0, -5.0), 4),
             ("blue", (82.9, -7.7, -13.2), 14), ("blue", (79.9, 0.7, -19.5), 12),
             ("green", (85.8, -21.2, 16.4), 18), ("green", (84.8, -16.1, 12.3), 14), ("white", (94.4, -0.8, 0.2), 7)]


# Seed 1569459044 puts the sheet nearer blue in hue in the blue cluster (7 L* above its
# centre), where it was read blue, `ok`.
@pytest.mark.parametrize("seed", SEEDS + [1569459044])
@pytest.mark.parametrize(("odd_lab", "told"), [((90.3, -4.8, -7.4), Status.REVIEW), ((91.9, -5.3, -5.8), Status.OK)],
                         ids=["nearer-blue-in-hue", "between-in-hue"])
def test_a_white_sheet_between_blue_and_white_in_hue_is_told_by_the_lightness_its_batch_shows(template, odd_lab, told,
                                                                                              seed):
    # Nearer blue in hue: s0001, a white sheet on a ream 9.8 DeltaE off towards blue, 4.5 a*b*
    # units from the blue cluster and 8.6 from the white one, but 7 L* above blue and 4 below
    # white. It shared a cluster of two with another white sheet and went to review; alone, it
    # was read blue, `ok`. Never blue; to review.
    # Between in hue: s0001 and s0006, white sheets on reams 9.8 and 6.9 DeltaE off towards
    # blue, made a cluster of two at (91.9, -5.3, -5.8): about as near the blue cluster as the
    # white one in hue, 2.5 L* below white and 9 above blue. Against blue and the typed gap (14)
    # it lay 5.3 from white's lightness, not three times nearer it than blue's: to review. The
    # batch's own white cluster shows it white.
    results, odd, wrong = _odd_sheet(template, SEED_5102, "white", odd_lab, seed)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    # A fresh draw of the sheets' scatter may leave a sheet in doubt (fresh seed 1425140327):
    # review, never wrong.
    if seed != FRESH:
        assert results[odd].status is told



# Seeds 9 and 13 leave the sheet in no cluster, where it was read blue; 1 puts it in the blue
# cluster, flagged for being nearer white paper's lightness. No fresh draw: one in two
# hundred puts the sheet 5.5 L* above blue and 8.7 below white, as blue as paper can show.
@pytest.mark.parametrize("seed", [9, 13, 1])
def test_a_white_sheet_only_a_little_nearer_blue_in_lightness_is_not_blue(template, seed):
    # A white sheet on a ream 12 DeltaE off towards blue, alone: nearer the blue cluster in
    # hue, 6.5 L* above it and 7.7 below the white one, leaning 0.085 to blue's lightness.
    # Any lean at all let hue decide: read blue, `ok`, in two draws of ten (a reviewer's
    # batch, typed reams 2 L* darker, issue 9). Hue and lightness must both be clear.
    typed = {c.name: lab_of(c.rgb) - [2, 0, 0] for c in template.colours}
    reams = [(name, tuple(lab), 12 if name == "white" else 15) for name, lab in typed.items()]
    results, odd, wrong = _odd_sheet(template, reams, "white", (90.3, -1.8, -9.0), seed)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    assert results[odd].status is Status.REVIEW



# Held-out seed 456655018, scanned: its clusters (Lab medians), no white cluster among them.
SEED_456655018 = [("yellow", (90.4, -8.1, 39.9), 30), ("yellow", (91.1, -14.4, 40.9), 9),
                  ("yellow", (89.8, -9.1, 47.2), 9), ("pink", (83.4, 15.5, -1.5), 16),
                  ("pink", (81.6, 20.8, -7.7), 3),
                  ("blue", (81.6, -6.8, -12.1), 18), ("blue", (79.5, 0.4, -18.2), 11),
                  ("green", (84.9, -18.1, 13.0), 24), ("green", (84.0, -12.4, 10.8), 19),
                  ("green", (86.6, -17.7, 19.4), 12), ("green", (86.5, -22.5, 21.3), 5)]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_white_sheet_far_lighter_than_its_pink_cluster_is_not_pink(template, seed):
    # s0033: a white sheet on a ream 5.2 DeltaE off towards pink, (93.9, 4.2, 0.4), made a
    # cluster of three with two pale pink sheets, (82.5, 7.6, -0.6) and (80.0, 9.2, 2.8),
    # matched to pink as another ream of it; 11 L* lighter than that cluster and as light as
    # the batch's white paper (the typed white less the scanners' 4 L*), it was read pink, `ok`.
    reams = SEED_456655018 + [("pink", (82.5, 7.6, -0.6), 1), ("pink", (80.0, 9.2, 2.8), 1)]
    results, odd, wrong = _odd_sheet(template, reams, "white", (93.9, 4.2, 0.4), seed)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    if seed != FRESH:
        assert results[odd].status is Status.REVIEW
    # The pink sheets beside it, as light as their cluster, stay pink.
    pinks = [r for s, r in results.items() if "-pink-" in s and r.status is Status.OK]
    assert len(pinks) >= 16 + 3


@pytest.mark.parametrize("seed", SEEDS)
def test_a_pink_photo_in_no_cluster_as_dark_as_pink_paper_is_not_white(template, seed):
    # Phone-only seed 853253519, s0022: a pink sheet on a ream 6.6 DeltaE off, photographed
    # at (74.8, 4.6, 8.4), in no cluster, 5 units from white in hue the light taken away,
    # was read white, `ok`; the batch has no white paper, and white photographed as its
    # yellow and pink (11 L* below typed) would show 89, not 75. The batch's other sheets
    # as measured (each sheet's median).
    yellows = [(81.8, -6.4, 38.7), (82.5, -8.5, 40.2), (82.9, -8.0, 40.6), (84.0, -8.0, 41.1), (84.9, -6.5, 39.8),
               (84.9, -8.7, 41.7), (85.2, -8.7, 41.7), (80.0, -1.4, 39.4), (83.9, -8.9, 45.2), (79.1, -4.1, 47.0)]
    pinks = [(75.6, 12.8, 8.3), (75.6, 13.1, 8.4), (75.8, 10.3, 10.0), (77.3, 12.2, 9.7), (78.0, 12.4, 8.6),
             (71.7, 14.3, 10.1), (75.9, 11.8, 12.4), (72.7, 9.8, 5.9), (73.8, 11.8, 2.1)]
    reams = [("yellow", lab, 1) for lab in yellows] + [("pink", lab, 1) for lab in pinks]
    results, odd, wrong = _odd_sheet(template, reams, "pink", (74.8, 4.6, 8.4), seed, PHOTO)
    assert not wrong, [(s, results[s].evidence) for s in wrong]
    assert results[odd].status is Status.REVIEW
    if seed != FRESH:  # a fresh draw may put it in a cluster in doubt, for review all the same
        assert "darker than the white paper" in results[odd].evidence["colour_reason"]
    # A fresh draw may scatter a batch with no white paper so that no light can be told
    # (fresh seed 2116156883: every cluster could be two colours): all to review, none wrong.
    if seed != FRESH:
        assert sum(r.status is Status.OK for r in results.values()) >= 15


def test_sheets_in_no_cluster_are_each_told_by_their_own_paper(template):
    # Fresh seed 435094153 (fifteenth held-out five), s0191: a white sheet on a ream 9.8
    # DeltaE off towards pink, scanned at (88.5, 8.2, 3.0), alone in its flatbed file, fell
    # in a cluster too small to calibrate on with s0030, a pink sheet on a greyed ream at
    # (81.4, 10.0, 5.1). Told as one by their median (84.9, 9.1, 4.1), as light as the pink
    # cluster, both were pink: s0191 `ok`, wrong. Alone, it is as near the white cluster as
    # the pink one in hue and in lightness: a person's call. (s0030's scans, as dark as
    # pink, are pink; its photos, in no cluster, leave the sheet to review either way.)
    assert_kept_batch_told(template, "435094153", (), ("s0191",))


def test_a_scanned_sheet_lighter_than_white_paper_is_white_not_the_darker_colour(template):
    # Fresh seed 753144041, s0196: a white sheet on a white ream, scanned on a flatbed with
    # a cast towards pink at (94.5, 5.9, -2.8), in a batch with no scanned white cluster: as
    # near white as the pink and blue clusters in hue, it is 18 L* above the blue cluster
    # nearest it, where white paper would be 14 above; it went to review as "not clearly
    # at one of the two". Lighter still than white is further from blue: shadows,
    # show-through and a copier's grey only darken paper.
    assert_kept_batch_told(template, "753144041", ("s0196",), ())

