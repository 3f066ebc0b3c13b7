"""Drafting a template from a phone photo of a blank: the generator photographs a known
form (perspective, the table around the sheet, uneven warm light, noise, blur, JPEG) and
the draft must find its boxes where the form has them.

A fixed seed and a fresh one each run (printed in the failure), on the word-processor
form (tests/data/wordform.pdf, both pages) and the first page of the shipped
questionnaire rendered `--plain`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from scanner.draft import draft_template, score_draft
from scanner.errors import InputFileError
from scanner.render import page_rasters
from scanner.synth.batch import photograph
from scanner.template import Template, layout

DATA = Path(__file__).resolve().parent / "data"
WORDFORM = DATA / "wordform.pdf"
DPI = 200
YELLOW = (255, 242, 160)


def _wordform_pages() -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(str(WORDFORM))
    try:
        return [page.render(scale=DPI / 72, grayscale=True).to_numpy().copy() for page in pdf]
    finally:
        pdf.close()


def _photos(rasters: list[np.ndarray], seed: int, out: Path) -> tuple[Path, bool]:
    """The pages photographed (on yellow paper for odd seeds), and whether every sheet lies
    wholly in its photo."""
    rng = np.random.default_rng(seed)
    images, whole = [], True
    for raster in rasters:
        image, homography = photograph(raster, DPI, rng, YELLOW if seed % 2 else (255, 255, 255))
        corners = cv2.perspectiveTransform(np.array([[[0, 0], [210, 0], [210, 297], [0, 297]]], np.float64),
                                           homography)[0]
        h, w = image.shape[:2]
        whole = whole and bool(np.all((corners >= 0) & (corners <= [w - 1, h - 1])))
        images.append(image)
    if len(images) == 1:
        cv2.imwrite(str(out.with_suffix(".jpg")), images[0], [cv2.IMWRITE_JPEG_QUALITY, 95])
        return out.with_suffix(".jpg"), whole
    cv2.imwritemulti(str(out.with_suffix(".tif")), images)
    return out.with_suffix(".tif"), whole


def _assert_drafted_as_printed(photo: Path, whole: bool, truth: dict, seed: int) -> None:
    try:
        drafted = draft_template(photo).template
    except InputFileError as problem:
        # A sheet that runs out of its photo may be refused, with the file and page named.
        assert not whole and str(photo) in str(problem) and " page " in str(problem), (seed, problem)
        return
    score = score_draft(drafted, truth)
    assert (score.found, score.extra, score.items_right) == (score.boxes, 0, score.items), (seed, score)
    assert score.worst_mm <= 1.0, (seed, score)
    assert (score.zones_found, score.extra_zones) == (score.zones, 0), (seed, score)


# 2104872910 1531136086 735014995 2112838230: a bubble of q05b that the photo's blur joined
# to the table's rule under it was missed.
@pytest.mark.parametrize("seed", [7, 2104872910, 1531136086, 735014995, 2112838230, random.randrange(2**32)])
def test_draft_from_a_phone_photo_of_the_word_processor_form(tmp_path, seed):
    photo, whole = _photos(_wordform_pages(), seed, tmp_path / "photo")
    truth = json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8"))
    _assert_drafted_as_printed(photo, whole, truth, seed)


@pytest.mark.parametrize("seed", [4, random.randrange(2**32)])
def test_draft_from_a_phone_photo_of_the_plain_questionnaire(tmp_path, template: Template, seed):
    raster = cv2.cvtColor(page_rasters(template, 1, (DPI,), plain=True)[0], cv2.COLOR_BGR2GRAY)
    photo, whole = _photos([raster], seed, tmp_path / "photo")
    truth = layout(template)
    first = {"items": [i for i in truth["items"] if i["page"] == 1],
             "comments": [c for c in truth["comments"] if c["page"] == 1]}
    _assert_drafted_as_printed(photo, whole, first, seed)


def test_a_photo_whose_sheet_runs_out_of_the_picture_is_refused(tmp_path):
    """A third of the sheet cut off by the photo's edge: refused, not drafted skewed."""
    photo, _ = _photos(_wordform_pages()[:1], 7, tmp_path / "photo")
    image = cv2.imread(str(photo))
    cv2.imwrite(str(tmp_path / "cut.png"), image[:, image.shape[1] // 3:])
    with pytest.raises(InputFileError, match=r"cut\.png page 1: is a photo in which the sheet's left edge"):
        draft_template(tmp_path / "cut.png")


def test_a_photo_of_a_sheet_not_a4_in_shape_is_refused(tmp_path):
    """A square sheet would be stretched onto A4, every box moved: refused instead."""
    raster = _wordform_pages()[0]
    square = raster[:raster.shape[1]]
    rng = np.random.default_rng(11)
    image, _ = photograph(square, DPI, rng)
    cv2.imwrite(str(tmp_path / "square.png"), image)
    with pytest.raises(InputFileError, match=r"square\.png page 1: .*1 : 1\.0\d in shape, and only A4"):
        draft_template(tmp_path / "square.png")
