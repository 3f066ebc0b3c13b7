"""Paper colour: measured on paper pixels, classified with no silent guesses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanner.colour import ColourReason, PaperSample, classify, measure_paper
from scanner.geometry import PageTransform
from scanner.render import page_raster

PX_PER_MM = 100 / 25.4


@pytest.fixture(scope="module")
def blank_page(template):
    return page_raster(template, 2, 100)


def tinted(page: np.ndarray, rgb, cast=(0, 0, 0)) -> np.ndarray:
    bgr = np.array(rgb[::-1], dtype=np.float32) / 255.0
    out = page.astype(np.float32) * bgr + np.array(cast[::-1], dtype=np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def identity() -> PageTransform:
    return PageTransform.from_array(np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]]))


@pytest.mark.parametrize("cast", [(0, 0, 0), (5, -5, 3), (-5, 4, -5), (4, 4, -5)])
def test_every_template_colour_is_told_under_scanner_cast(template, blank_page, cast):
    for colour in template.colours:
        sample = measure_paper(tinted(blank_page, colour.rgb, cast), 1.0, template, identity())
        decision = classify([sample], template)
        assert (decision.colour, decision.programme) == (colour.name, colour.programme), (colour.name, sample)
        assert decision.reason is None
        # The page's nearest colour, told where it is measured, is the one the sheet's decision finds.
        assert sample.nearest == colour.name
        alone = PaperSample(sample.rgb)
        assert alone.nearest is None and classify([alone], template) == decision


def test_paper_is_measured_on_paper_not_ink(template, blank_page):
    yellow = template.colour("yellow").rgb
    sample = measure_paper(tinted(blank_page, yellow), 1.0, template, identity())
    assert np.allclose(sample.rgb, yellow, atol=3)


def test_greyscale_scan_gets_no_guess(template):
    decision = classify([PaperSample(None), PaperSample(None)], template)
    assert decision.programme is None and decision.reason is ColourReason.GREYSCALE


def test_colour_between_two_papers_is_flagged(template):
    """Halfway between two neighbouring papers (in chroma: halfway between pink and green
    in RGB is a dull grey, which is white paper in a dim scan, not "between")."""
    neighbours = [("yellow", "green"), ("yellow", "pink"), ("yellow", "white"), ("blue", "white"),
                  ("green", "white"), ("pink", "white"), ("blue", "green")]
    for a, b in (tuple(template.colour(n) for n in pair) for pair in neighbours):
        middle = tuple((x + y) / 2 for x, y in zip(a.rgb, b.rgb))
        decision = classify([PaperSample(middle)], template)
        assert decision.programme is None, (a.name, b.name, decision)
        assert decision.reason in (ColourReason.BETWEEN, ColourReason.UNKNOWN)


def test_colour_far_from_every_paper_is_unknown(template):
    decision = classify([PaperSample((250.0, 120.0, 60.0))], template)
    assert decision.programme is None and decision.reason is ColourReason.UNKNOWN


def test_pages_on_different_paper_are_flagged(template):
    pink, blue = template.colour("pink").rgb, template.colour("blue").rgb
    decision = classify([PaperSample(pink)] * 4 + [PaperSample(blue)] * 3, template)
    assert decision.programme is None and decision.reason is ColourReason.PAGES_DIFFER


def test_one_page_off_colour_is_outvoted(template):
    """A phone photo's warm light can push one page towards another paper."""
    pink = template.colour("pink")
    decision = classify([PaperSample(pink.rgb)] * 6 + [PaperSample((240.0, 215.0, 205.0))], template)
    assert decision.programme == pink.programme


def test_a_washed_out_paper_keeps_its_hue(template):
    """Scans pale a paper's colour (exposure, JPEG): a paler blue is still blue."""
    blue = template.colour("blue")
    washed = tuple(255 - 0.7 * (255 - v) for v in blue.rgb)
    decision = classify([PaperSample(washed)], template)
    assert decision.colour == "blue" and decision.reason is None


@pytest.mark.parametrize("cut", [0.3, 0.55])
def test_the_part_of_a_page_out_of_the_picture_is_not_measured(template, blank_page, cut):
    """A phone photo may leave a strip of the page out of the image: the crop's border
    (pure blue in BGR when filled with 255) was taken for paper once it was most of it."""
    for colour in template.colours:
        page = tinted(blank_page, colour.rgb)
        left = int(cut * page.shape[1])
        shifted = np.array([[PX_PER_MM, 0, -0.5 - left], [0, PX_PER_MM, -0.5], [0, 0, 1]])
        sample = measure_paper(page[:, left:], 1.0, template, PageTransform.from_array(shifted))
        assert np.allclose(sample.rgb, colour.rgb, atol=3), (colour.name, sample)


@pytest.mark.parametrize("seed", [8, int.from_bytes(__import__("os").urandom(2), "big")])
def test_the_paper_is_measured_as_with_numpy_s_percentile_and_median(template, blank_page, seed):
    """The paper's colour is worked out from counts of the pixels' channel sums and
    levels: the very colour that numpy's mean along each pixel's channels, percentile and
    median picked (a noisy, tinted page, fixed and fresh seeds)."""
    from scanner.colour import PAPER_PX_PER_MM
    from scanner.geometry import resized

    rng = np.random.default_rng(seed)
    page = tinted(blank_page, tuple(int(v) for v in rng.integers(150, 256, 3)), tuple(rng.integers(-8, 9, 3)))
    page = np.clip(page.astype(np.int16) + rng.integers(-25, 26, page.shape), 0, 255).astype(np.uint8)
    sample = measure_paper(page, 1.0, template, identity())
    w, h = template.page_size_mm
    inset = template.registration.marker_inset_mm + template.registration.marker_size_mm
    crop = PageTransform.from_array(resized(1.0) @ identity().array).crop(
        page, (inset, inset, w - 2 * inset, h - 2 * inset), PAPER_PX_PER_MM, border_value=(0, 0, 0))
    pixels = crop.reshape(-1, 3).astype(np.float32)
    grey = pixels.mean(axis=1)
    b, g, r = np.median(pixels[grey >= np.percentile(grey, 40)], axis=0)
    assert sample.rgb == (float(r), float(g), float(b)), seed


@pytest.mark.parametrize("seed", [3, int.from_bytes(__import__("os").urandom(2), "big")])
def test_paper_rgb_is_numpy_s_on_every_count_of_pixels(seed):
    """`paper_rgb` against numpy's percentile and median of the pixels as floats, on
    pixel sets of every size from 1 to 60 and larger (whatever the percentile's
    interpolation between two values), few or many distinct levels (ties)."""
    from scanner.colour import paper_rgb

    rng = np.random.default_rng(seed)
    for n in [*range(1, 61), 1001, 4096, 45_001, 45_414]:
        spread = int(rng.choice([2, 8, 256]))
        pixels = (rng.integers(0, spread, (n, 3)) + rng.integers(0, 256 - spread + 1)).astype(np.uint8)
        floats = pixels.astype(np.float32)
        grey = (floats[:, 0] + floats[:, 1] + floats[:, 2]) / np.float32(3)
        b, g, r = np.median(floats[grey >= np.percentile(grey, 40)], axis=0)
        assert paper_rgb(pixels) == (float(r), float(g), float(b)), (seed, n, spread)


@pytest.mark.parametrize("seed", [5, int.from_bytes(__import__("os").urandom(2), "big")])
def test_chroma_distance_is_numpy_s_to_rounding(seed):
    """`chroma_distance` in Python's floats against the same formula in numpy's norm and
    dot, on a*b* pairs near and far, and against a grey reference (no hue). Equal to
    rounding, not to the bit: numpy's dot may fuse a multiply and an add where the CPU has
    FMA, so its last bit differs between machines (seed 60387 on a 2-core CI machine)."""
    from scanner import thresholds as T
    from scanner.colour import chroma_distance

    def numpy_s(ab, reference):
        diff = ab - reference
        norm = float(np.linalg.norm(reference))
        if norm < 1e-6:
            return float(np.linalg.norm(diff))
        radial = float(diff @ reference) / norm
        tangential = float(np.linalg.norm(diff - radial * reference / norm))
        return float(np.hypot(T.COLOUR_RADIAL_WEIGHT * radial, tangential))

    rng = np.random.default_rng(seed)
    for scale in (0.5, 5.0, 40.0):
        for _ in range(5000):
            ab, reference = rng.normal(0, scale, 2), rng.normal(0, scale, 2)
            for ref in (reference, np.zeros(2), ab + rng.normal(0, 0.01, 2)):
                ours, theirs = chroma_distance(ab, ref), numpy_s(ab, ref)
                assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12 * scale), (seed, ab, ref)
