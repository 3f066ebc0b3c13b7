"""The printed shape under a point of a reference page: what the editor snaps to.

A printed tick box, bubble or comment frame is a closed outline, so its inside is one
region of paper that ink surrounds on every side. The page's paper regions are labelled
once (connected components of the non-ink); the shape at a point is the region under it
or, when the point is on ink or on open paper, the nearest region of the right size
within reach. The box given back runs along the middle of the outline's stroke, as the
draft measures printed boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from scanner.draft.content import is_tick_box, is_zone_frame
from scanner.template import Box

ShapeKind = Literal["box", "zone"]

REACH_MM = 3.0
"""A point snaps to a shape whose inside is at most this far away: a box dropped a
little off its printed square still finds it, and never one two columns away (the
questionnaire's columns are 10 mm apart or more)."""
MAX_STROKE_MM = 1.5
"""A printed outline is thinner than this; a longer run of ink is something else."""


@dataclass(frozen=True)
class Shape:
    """A closed printed outline: a tick box or bubble (`box`), or a frame to write in (`zone`)."""

    kind: ShapeKind
    box_mm: Box


class PageShapes:
    """The closed outlines printed on one page image, found on demand."""

    def __init__(self, grey: np.ndarray, page_width_mm: float):
        self.px_per_mm = grey.shape[1] / page_width_mm
        _, self._ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        # 4-connected paper: a diagonal gap in a drawn corner does not let a box's inside out.
        _, self._labels, self._stats, _ = cv2.connectedComponentsWithStats(255 - self._ink, connectivity=4)
        self._shapes: dict[int, Shape | None] = {}

    def shape_at(self, x_mm: float, y_mm: float, kind: ShapeKind | None = None,
                 reach_mm: float = REACH_MM) -> Shape | None:
        """The shape under the point (x, y in mm), else the nearest within `reach_mm`.

        Args:
            kind: only shapes of this kind (a tick box, or a comment frame).
        """
        x, y = int(round(x_mm * self.px_per_mm)), int(round(y_mm * self.px_per_mm))
        height, width = self._labels.shape
        if not (0 <= x < width and 0 <= y < height):
            return None
        under = self._shape(int(self._labels[y, x]))
        if under is not None and kind in (None, under.kind):
            return under
        r = int(np.ceil(reach_mm * self.px_per_mm))
        window = self._labels[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]
        best, best_distance = None, np.inf
        for label in np.unique(window):
            shape = self._shape(int(label))
            if shape is None or kind not in (None, shape.kind):
                continue
            distance = _distance((x_mm, y_mm), shape.box_mm)
            if distance <= reach_mm and distance < best_distance:
                best, best_distance = shape, distance
        return best

    def _shape(self, label: int) -> Shape | None:
        if label not in self._shapes:
            self._shapes[label] = self._measure(label)
        return self._shapes[label]

    def _measure(self, label: int) -> Shape | None:
        if label == 0:  # the ink itself
            return None
        x, y, w, h, _ = (int(v) for v in self._stats[label])
        height, width = self._labels.shape
        if x == 0 or y == 0 or x + w >= width or y + h >= height:  # open paper reaches the page's edge
            return None
        stroke = self._stroke(x, y, w, h)
        if stroke is None:
            return None
        half = stroke / 2
        box_mm = tuple(round(v / self.px_per_mm, 2) for v in (x - half, y - half, w + stroke, h + stroke))
        w_mm, h_mm = box_mm[2], box_mm[3]
        if is_tick_box(w_mm, h_mm):
            return Shape("box", box_mm)
        if is_zone_frame(w_mm, h_mm):
            return Shape("zone", box_mm)
        return None

    def _stroke(self, x: int, y: int, w: int, h: int) -> float | None:
        """The outline's width in pixels: the median run of ink outward from the
        middle of each side of the inside (None when a side has no ink: not closed)."""
        limit = int(MAX_STROKE_MM * self.px_per_mm) + 1
        cx, cy = x + w // 2, y + h // 2
        runs = [_run(self._ink[y - 1::-1, cx], limit) if y else 0,
                _run(self._ink[y + h:, cx], limit),
                _run(self._ink[cy, x - 1::-1], limit) if x else 0,
                _run(self._ink[cy, x + w:], limit)]
        if min(runs) == 0 or max(runs) >= limit:
            return None
        return float(np.median(runs))


def _run(line: np.ndarray, limit: int) -> int:
    """How many pixels of ink the line starts with (up to `limit`)."""
    head = line[:limit] > 0
    return int(limit if head.all() else np.argmin(head))


def _distance(point: tuple[float, float], box: Box) -> float:
    """From a point to the nearest point of a box, in mm (0 inside it)."""
    dx = max(box[0] - point[0], 0.0, point[0] - box[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[1] - box[3])
    return float(np.hypot(dx, dy))
