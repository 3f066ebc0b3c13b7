"""Blank pages (duplex backs) are told before any costly matching, however they were taken."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scanner.reader import is_blank


def _page_on_a_table(share: float, table: int, seed: int) -> np.ndarray:
    """A blank sheet photographed on a grey table that fills `share` of the picture's
    width beside it, slightly turned, with the sensor's noise."""
    rng = np.random.default_rng(seed)
    h, w = 1754, 1241
    image = np.full((h, w), table, np.uint8)
    margin_x, margin_y = int(w * share / 2), int(h * share / 2)
    corners = np.array([[margin_x, margin_y + 8], [w - margin_x, margin_y], [w - margin_x - 6, h - margin_y],
                        [margin_x, h - margin_y - 5]], np.int32)
    cv2.fillConvexPoly(image, corners, 232)
    return np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("share", [0.04, 0.1, 0.2])
def test_a_blank_back_on_a_grey_table_is_blank(share):
    """A generated batch (seed 59902) had five blank backs taken as pages matching no form
    page: the table around the sheet counted as ink."""
    assert is_blank(_page_on_a_table(share, 140, seed=int(share * 100)))


def test_a_page_with_a_few_lines_of_writing_is_not_blank():
    image = _page_on_a_table(0.04, 140, seed=1)
    for k in range(6):
        cv2.putText(image, "Joint visits helped families a lot", (200, 700 + 60 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                    30, 3)
    assert not is_blank(image)
