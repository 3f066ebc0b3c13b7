"""The one transform between template millimetres and a scanned page's pixels.

Everything downstream of registration asks for regions in mm and gets pixels resampled
onto a fixed grid, so that no stage handles scan resolution, skew or perspective itself.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from scanner.template import Box


@dataclass(frozen=True)
class PageTransform:
    """A homography from template mm (origin top-left) to image pixels."""

    matrix: tuple[tuple[float, float, float], ...]

    @classmethod
    def from_array(cls, m: np.ndarray) -> PageTransform:
        m = m / m[2, 2]
        return cls(tuple(tuple(float(v) for v in row) for row in m))

    @functools.cached_property
    def array(self) -> np.ndarray:
        """The matrix as an array, made once and read-only: a page's crops and points ask
        for it a hundred times."""
        array = np.array(self.matrix, dtype=np.float64)
        array.flags.writeable = False
        return array

    def to_px(self, points_mm: np.ndarray) -> np.ndarray:
        pts = np.asarray(points_mm, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.array).reshape(-1, 2)

    def px_per_mm(self, at_mm: tuple[float, float] = (105.0, 148.5)) -> float:
        """Local scale: how many pixels one millimetre spans near `at_mm`."""
        x, y = at_mm
        p = self.to_px(np.array([[x, y], [x + 10, y], [x, y + 10]]))
        return float((np.linalg.norm(p[1] - p[0]) + np.linalg.norm(p[2] - p[0])) / 20)

    def perspective(self) -> float:
        """How far the picture is a central projection, not a flat scan: the larger of the
        homography's two perspective terms, per mm. A flatbed's or a feeder's optics image
        the page affinely (their fitted transforms stay under 7e-6); a phone held at any tilt
        over the page does not."""
        m = self.matrix
        return max(abs(m[2][0]), abs(m[2][1]))

    def rotation_deg(self) -> float:
        """How far the page is turned in the image (180 for upside down), -180 to 180."""
        p = self.to_px(np.array([[105.0, 148.5], [115.0, 148.5]]))
        d = p[1] - p[0]
        return math.degrees(math.atan2(d[1], d[0]))

    def in_picture(self, box_mm: Box, shape: tuple[int, ...], margin_mm: float = 0.0, inset_px: float = 0.0
                   ) -> bool:
        """Whether the region `box_mm` (grown by `margin_mm` on each side) lies wholly inside
        a picture of `shape`, `inset_px` in from its edges: `crop` fills what lies outside it
        with white, which reads as paper (a phone photo that cuts the page's edge)."""
        return bool(self.boxes_in_picture([box_mm], shape, margin_mm, inset_px)[0])

    def boxes_in_picture(self, boxes_mm: list[Box], shape: tuple[int, ...], margin_mm: float = 0.0,
                         inset_px: float = 0.0) -> np.ndarray:
        """`in_picture` for each of `boxes_mm`, in one transform of all their corners (the
        picture spans -0.5 to size - 0.5, pixel centres at integers)."""
        x, y, w, h = np.asarray(boxes_mm, dtype=np.float64).reshape(-1, 4).T
        x0, y0, x1, y1 = x - margin_mm, y - margin_mm, x + w + margin_mm, y + h + margin_mm
        corners = self.to_px(np.stack([x0, y0, x1, y0, x1, y1, x0, y1], axis=1).reshape(-1, 2)).reshape(-1, 4, 2)
        height, width = shape[:2]
        low, high = -0.5 + inset_px, np.array([width, height]) - 0.5 - inset_px
        return np.all((corners >= low) & (corners <= high), axis=(1, 2))

    def crop(self, image: np.ndarray, box_mm: Box, px_per_mm: float, margin_mm: float = 0.0,
             border_value: int | tuple[int, ...] = 255) -> np.ndarray:
        """The region `box_mm` (grown by `margin_mm` on each side) resampled at `px_per_mm`."""
        x, y, w, h = box_mm
        x0, y0 = x - margin_mm, y - margin_mm
        size = (max(1, round((w + 2 * margin_mm) * px_per_mm)), max(1, round((h + 2 * margin_mm) * px_per_mm)))
        # Output pixel (u, v) samples template point (x0 + u/s, y0 + v/s); pixel centres at +0.5.
        s = px_per_mm
        out_to_mm = np.array([[1 / s, 0, x0 + 0.5 / s], [0, 1 / s, y0 + 0.5 / s], [0, 0, 1]])
        # The matrix maps mm to OpenCV's pixel convention (centres at integers) already.
        return cv2.warpPerspective(image, self.array @ out_to_mm, size, flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)


def mm_to_pixels(px_per_mm: float) -> np.ndarray:
    """Template mm to the pixels of a page drawn at `px_per_mm` (pixel centres at integers,
    OpenCV's convention, so the page's top-left corner is at -0.5, -0.5)."""
    s = px_per_mm
    return np.array([[s, 0, -0.5], [0, s, -0.5], [0, 0, 1]], dtype=np.float64)


def resized(factor: float) -> np.ndarray:
    """An image's pixel coordinates to those of the same image resized by `factor`."""
    f = factor
    return np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]], dtype=np.float64)
