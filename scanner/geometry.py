"""The one transform between template millimetres and a scanned page's pixels.

Everything downstream of registration asks for regions in mm and gets pixels resampled
onto a fixed grid, so that no stage handles scan resolution, skew or perspective itself.
"""

from __future__ import annotations

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

    @property
    def array(self) -> np.ndarray:
        return np.array(self.matrix, dtype=np.float64)

    def to_px(self, points_mm: np.ndarray) -> np.ndarray:
        pts = np.asarray(points_mm, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.array).reshape(-1, 2)

    def px_per_mm(self, at_mm: tuple[float, float] = (105.0, 148.5)) -> float:
        """Local scale: how many pixels one millimetre spans near `at_mm`."""
        x, y = at_mm
        p = self.to_px(np.array([[x, y], [x + 10, y], [x, y + 10]]))
        return float((np.linalg.norm(p[1] - p[0]) + np.linalg.norm(p[2] - p[0])) / 20)

    def rotation_deg(self) -> float:
        """How far the page is turned in the image (180 for upside down), -180 to 180."""
        p = self.to_px(np.array([[105.0, 148.5], [115.0, 148.5]]))
        d = p[1] - p[0]
        return math.degrees(math.atan2(d[1], d[0]))

    def box_inside(self, box_mm: Box, shape: tuple[int, ...], margin_px: float = 0.0) -> bool:
        """Whether the box's four corners land in an image of `shape` (which spans -0.5 to
        size - 0.5, pixel centres at integers), `margin_px` in from its edges."""
        x, y, w, h = box_mm
        corners = self.to_px(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=float))
        low, high = -0.5 + margin_px, np.array([shape[1], shape[0]]) - 0.5 - margin_px
        return bool(np.all((corners >= low) & (corners <= high)))

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
