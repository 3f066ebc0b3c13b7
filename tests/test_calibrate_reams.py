"""Batch colour calibration: several reams of one colour, some well off it.

Paper from several suppliers lies up to 10 DeltaE off its typed colour. The reams below
are the clusters of fresh 200-questionnaire batches (Lab medians from `bench`), rebuilt
page by page around those medians: a ream plainly of a colour is matched to it however
many reams it shares it with, and a big ream on its colour is never sent to review for a
small one beside it that is plainly the same colour. Only a cluster that could truly be
another colour stays flagged.
"""

from __future__ import annotations

import numpy as np
import pytest

from scanner.calibrate import PHOTO, SCAN, Cluster, ClusterFlag, PagePaper, _by_lightness, _plainly_keeps, calibrate
from scanner.results import Status
from tests.test_calibrate import calibrated, ream

Reams = list[tuple[str, tuple[float, float, float], int]]


def _calibrated(template, reams: Reams, light: str, seed: int) -> tuple[dict, list[dict[str, str]]]:
    """Every sheet's programme, and each ream's truth by sheet id (in the order given)."""
    rng = np.random.default_rng(seed)
    papers, truths = [], []
    for name, lab, sheets in reams:
        p, t = ream(name, np.array(lab), sheets, rng, light)
        papers, truths = papers + p, truths + [t]
    return calibrated(papers, template, calibrate(papers, template)), truths


def _resolved(results: dict, truth: dict[str, str]) -> list[str]:
    """The sheets of `truth` resolved to their colour, `ok`."""
    return [s for s, name in truth.items()
            if results[s].status is Status.OK and results[s].evidence["colour"] == name]


def _assert_none_wrong(results: dict, truths: list[dict[str, str]]) -> None:
    wrong = [s for t in truths for s, name in t.items()
             if results[s].status is Status.OK and results[s].evidence["colour"] != name]
    assert not wrong, [(s, results[s].evidence) for s in wrong]


# Fresh seed 258435760, scanned: two green reams of 3 sheets, 7.1 from green (17.3 from
# yellow) and 8.3 (15.9 from white), competed with the ream 0.7 from green and went to review.
SCANNED_GREENS: Reams = [("yellow", (89.1, -6.6, 34.9), 29), ("pink", (81.2, 18.3, -4.1), 10),
                         ("blue", (82.1, -6.3, -12.8), 18), ("green", (85.7, -18.3, 15.4), 32),
                         ("green", (83.6, -16.9, 22.4), 3), ("green", (82.7, -8.6, 13.3), 3)]
# Fresh seed 150846454, scanned: yellow reams 4.4, 9.4 and 7.6 from yellow (over 22 from any
# other colour) were all flagged while the ream 2.4 from yellow kept it.
SCANNED_YELLOWS: Reams = [("yellow", (89.4, -5.6, 38.0), 20), ("yellow", (91.5, -11.3, 40.7), 24),
                          ("yellow", (89.7, -16.6, 41.0), 4), ("yellow", (87.6, -3.1, 31.0), 3),
                          ("pink", (80.7, 18.3, -3.8), 19), ("blue", (82.9, -6.9, -14.2), 11),
                          ("green", (86.3, -20.7, 17.8), 32), ("white", (94.3, -0.1, -0.2), 16)]
# Fresh seed 258435760, photographed under a warm light: the green ream 1.3 from green (22
# sheets) was flagged for competing with 3 sheets 7.3 from green and 15.5 from white.
PHOTOGRAPHED_GREENS: Reams = [("yellow", (81.1, -3.2, 38.6), 24), ("yellow", (83.6, -8.4, 42.4), 21),
                              ("blue", (74.4, -5.7, -4.2), 16), ("blue", (74.2, -0.5, -9.4), 7),
                              ("green", (78.5, -17.4, 21.6), 22), ("green", (77.7, -9.2, 19.6), 3),
                              ("pink", (73.6, 17.0, 5.1), 8)]


@pytest.mark.parametrize("seed", [1, 2, int(np.random.default_rng().integers(1 << 31))])
@pytest.mark.parametrize(("reams", "light"), [(SCANNED_GREENS, SCAN), (SCANNED_YELLOWS, SCAN),
                                              (PHOTOGRAPHED_GREENS, PHOTO)],
                         ids=["scanned greens", "scanned yellows", "photographed greens"])
def test_every_ream_plainly_nearest_its_colour_is_matched_to_it(template, reams, light, seed):
    results, truths = _calibrated(template, reams, light, seed)
    for truth in truths:
        assert _resolved(results, truth) == list(truth), [results[s].evidence for s in truth]


@pytest.mark.parametrize("seed", [3, int(np.random.default_rng().integers(1 << 31))])
def test_a_big_ream_on_its_colour_is_not_doubted_by_a_cluster_about_as_near_white(template, seed):
    # Fresh seed 258435760, photographed: 12 green sheets 9.0 from green and 13.1 from white
    # (seen unlit, nearer green than the big ream is) flagged the 22 sheets 1.3 from green.
    # The 12 could be another colour and wait for a person; the 22 are green either way.
    reams = PHOTOGRAPHED_GREENS + [("green", (76.6, -12.4, 13.3), 12)]
    results, truths = _calibrated(template, reams, PHOTO, seed)
    _assert_none_wrong(results, truths)
    big = truths[4]
    assert _resolved(results, big) == list(big), [results[s].evidence for s in big]


@pytest.mark.parametrize("seed", [4, int(np.random.default_rng().integers(1 << 31))])
def test_a_photographed_ream_between_blue_and_white_stays_in_doubt_alone(template, seed):
    # Fresh seed 560205131, photographed: 6 blue sheets 8.3 from blue and 12.1 from white,
    # unlit nearer white, may be either and wait for a person; the 14 blue sheets 2.9 from
    # blue beside them are blue whichever they are.
    reams = [("yellow", (81.7, -4.1, 41.0), 32), ("pink", (74.4, 19.9, 3.2), 24), ("green", (78.4, -17.2, 20.5), 31),
             ("blue", (73.3, -1.8, -8.0), 14), ("blue", (71.5, -9.6, -1.7), 6)]
    results, truths = _calibrated(template, reams, PHOTO, seed)
    _assert_none_wrong(results, truths)
    assert _resolved(results, truths[3]) == list(truths[3]), [results[s].evidence for s in truths[3]]
    assert all(results[s].status is Status.REVIEW for s in truths[4])


@pytest.mark.parametrize(("colour", "lightness", "told"), [("white", 77.5, "blue"), ("white", 85.0, None),
                                                          ("white", 94.0, "white"), ("blue", 98.0, "white")])
def test_a_cluster_beyond_the_other_colours_lightness_is_told_by_it(template, colour, lightness, told):
    # Fresh seed 1769220999, scanned: 5 blue sheets (77.5, -4.2, -8.0), 6.8 from blue in hue,
    # matched to white and competing with the blue ream of 42 (81.3, -4.0, -14.9), went to
    # review: 3.8 L* darker than blue, just past the "near" limit (3.55 of white's 14.2 above
    # blue), though no white paper lies darker than blue. Between the two, lightness still
    # tells only near one of them; beyond white, a cluster taken for blue is white.
    blue, white = Cluster(1, SCAN, (81.3, -4.0, -14.9), [], "blue"), Cluster(2, SCAN, (93.6, 0.3, -3.7), [], "white")
    other = blue if colour == "white" else white
    cluster = Cluster(3, SCAN, (lightness, -4.2, -8.0), [], colour)
    result = _by_lightness(cluster, other, template)
    assert (None if result is None else result.colour) == told


# Fresh seed 2087599385, scanned: three blue sheets 5.6 from blue and within reach of white,
# as dark as the blue ream of 21 at 3.6 from blue, had that ream doubted: 7 blue sheets to review.
SCANNED_BLUES: Reams = [("yellow", (90.1, -9.7, 40.0), 39), ("yellow", (88.3, -1.0, 32.4), 3),
                        ("pink", (82.8, 13.6, -1.9), 32), ("pink", (81.0, 20.1, -3.8), 23),
                        ("blue", (80.3, -0.1, -18.4), 21), ("blue", (81.6, -6.5, -15.8), 9),
                        ("green", (85.0, -17.2, 13.7), 15), ("white", (96.0, -0.5, 3.7), 11)]


@pytest.mark.parametrize("seed", [0, 2, int(np.random.default_rng().integers(1 << 31))])
def test_a_ream_is_not_doubted_for_a_few_sheets_as_dark_as_it_and_of_its_hue(template, seed):
    results, truths = _calibrated(template, SCANNED_BLUES + [("blue", (79.8, -0.9, -9.6), 3)], SCAN, seed)
    for truth in truths:
        assert _resolved(results, truth) == list(truth), [results[s].evidence for s in truth]


@pytest.mark.parametrize("seed", [6, int(np.random.default_rng().integers(1 << 31))])
def test_a_few_sheets_of_blue_hue_as_light_as_white_are_not_told_blue(template, seed):
    # The same three as light as white paper: white on a ream off towards blue, or a pale
    # blue: lightness leans to white, hue to blue. Not told either; the ream may be doubted.
    results, truths = _calibrated(template, SCANNED_BLUES + [("white", (95.0, -0.9, -9.6), 3)], SCAN, seed)
    _assert_none_wrong(results, truths)
    assert not _resolved(results, truths[-1])


# Fresh seed 445966895, scanned: seven blue sheets towards green (two files' blue reams tinted
# by ream and scanner, two reams 8.5 and 9.8 DeltaE off), 8.9 from blue, 14.2 from white and
# 21 from green, as dark as the blue ream of 33, competed with it: 8 blue sheets to review.
SCANNED_445966895: Reams = [("yellow", (89.5, -7.2, 36.1), 12), ("yellow", (89.7, -10.6, 42.8), 4),
                            ("pink", (80.6, 19.3, -4.2), 35), ("pink", (81.0, 14.8, 1.6), 12),
                            ("blue", (81.3, -2.0, -15.2), 33), ("blue", (81.8, 1.4, -8.9), 3),
                            ("green", (86.0, -15.4, 12.3), 34), ("green", (86.5, -21.0, 16.2), 11),
                            ("white", (97.1, -2.0, -0.7), 12)]


@pytest.mark.parametrize("seed", [7, 8, int(np.random.default_rng().integers(1 << 31))])
def test_a_ream_off_blue_as_dark_as_it_and_far_from_every_coloured_paper_is_blue(template, seed):
    results, truths = _calibrated(template, SCANNED_445966895 + [("blue", (82.7, -10.2, -10.2), 7)], SCAN, seed)
    for truth in truths:
        assert _resolved(results, truth) == list(truth), [results[s].evidence for s in truth]


@pytest.mark.parametrize(("name", "lab"), [("white", (96.0, -10.2, -10.2)), ("pink", (86.5, 5.4, -11.0))],
                         ids=["as light as white", "lilac"])
@pytest.mark.parametrize("seed", [9, int(np.random.default_rng().integers(1 << 31))])
def test_a_ream_off_blue_that_lightness_or_hue_leaves_in_doubt_is_not_told_blue(template, name, lab, seed):
    # The same hue as light as white paper: lightness no longer rules white out. A pink ream
    # 60% of the way to blue in a*b* (synth `--stock between`), pink's lightness: 9 from blue
    # and 13 from pink, clearly nearest neither coloured paper once white is ruled out.
    results, truths = _calibrated(template, SCANNED_445966895 + [(name, lab, 7)], SCAN, seed)
    _assert_none_wrong(results, truths)
    assert all(results[s].status is Status.REVIEW for s in truths[-1]), [results[s].evidence for s in truths[-1]]


# Fresh seed 561667087 (eleventh five), scanned: no ream of white on its colour. One file's
# nine white sheets carry a green cast, (95.5, -5.4, -0.2), 5.3 from white and within reach
# of blue, 13 L* above the blue ream; three flatbed white sheets lie at (91.8, 3.6, -6.5),
# 7.3 from white, within reach of blue and pink. Each doubted the other: 12 to review.
SCANNED_561667087: Reams = [("yellow", (88.1, -4.7, 38.1), 39), ("yellow", (93.2, -11.3, 45.3), 3),
                            ("yellow", (87.8, -2.3, 27.6), 3), ("pink", (82.0, 14.3, 1.1), 22),
                            ("pink", (81.6, 15.1, -6.7), 5), ("pink", (80.8, 23.6, -1.6), 3),
                            ("blue", (82.5, -5.4, -16.2), 28), ("blue", (79.4, 0.8, -21.1), 10),
                            ("green", (85.6, -19.0, 17.1), 17), ("green", (83.8, -14.1, 13.7), 10),
                            ("green", (82.8, -23.0, 23.5), 3)]


@pytest.mark.parametrize("seed", [11, 12, int(np.random.default_rng().integers(1 << 31))])
def test_a_ream_near_white_that_lightness_tells_from_every_other_colour_keeps_white(template, seed):
    reams = SCANNED_561667087 + [("white", (95.5, -5.4, -0.2), 9), ("white", (91.8, 3.6, -6.5), 3)]
    results, truths = _calibrated(template, reams, SCAN, seed)
    _assert_none_wrong(results, truths)
    assert _resolved(results, truths[-2]) == list(truths[-2]), [results[s].evidence for s in truths[-2]]
    # The flatbed sheets, as near blue and pink as white and lighter than both by less than
    # white paper is, stay to review.
    assert all(results[s].status is Status.REVIEW for s in truths[-1]), [results[s].evidence for s in truths[-1]]


@pytest.mark.parametrize("seed", [13, int(np.random.default_rng().integers(1 << 31))])
def test_a_ream_near_white_as_dark_as_blue_is_not_told_white_for_its_competitor(template, seed):
    # The same hue as dark as the blue ream: lightness no longer rules blue out (a greenish
    # blue paper could lie there), so neither cluster is told.
    reams = SCANNED_561667087 + [("aqua", (82.5, -5.4, -0.2), 9), ("white", (91.8, 3.6, -6.5), 3)]
    results, truths = _calibrated(template, reams, SCAN, seed)
    assert all(results[s].status is Status.REVIEW for s in truths[-2]), [results[s].evidence for s in truths[-2]]


def test_a_rival_of_no_colour_never_plainly_keeps_one(template):
    # Fresh seed 763612039 (fresh16), scanned: three white sheets (95.1, -2.9, 2.8) flagged
    # for competing with three of no colour at (81.0, -3.7, -5.3), within reach of blue and
    # white. Asked whether that rival plainly keeps its colour, calibration weighed the
    # lightness of a colour it does not have and raised KeyError (three hash seeds in four:
    # the order of the colours in reach decided whether it got that far).
    def cluster(lab, colour, flag=None):
        pages = [PagePaper(f"{colour}-{lab[0]}-{k}", f"{colour}-{lab[0]}-{k}", lab, SCAN) for k in range(3)]
        return Cluster(0, SCAN, lab, pages, colour, flag=flag)

    # Either colour in reach with an unflagged cluster of its own is enough to raise it.
    blue, white = cluster((82.8, -5.5, -13.8), "blue"), cluster((95.1, -2.9, 2.8), "white")
    unknown = cluster((81.0, -3.7, -5.3), None, ClusterFlag.COMPETING)
    unknown.rival = white
    assert not _plainly_keeps(unknown, white, [blue, white, unknown], template, np.ones(3))
