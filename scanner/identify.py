"""Identify: which form, version, page and numbered copy a page is, from its QR code.

The markers already told the page number; the QR code confirms the form and version
(so a page of some other questionnaire is not read against this template) and carries
the copy's serial when copies were printed numbered.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scanner.geometry import PageTransform
from scanner.template import Template

QR_PX_PER_MM = 8.0
"""A QR module of 0.5 mm becomes 4 px: decodes reliably, costs little."""
QR_MARGIN_MM = 3.0


@dataclass(frozen=True)
class Identity:
    form: str
    version: str
    page: int
    serial: int | None = None


def parse_payload(text: str) -> Identity | None:
    """Read `scanner:{form}:{version}:{page}[:{serial}]`; None for anything else."""
    parts = text.split(":")
    if len(parts) not in (4, 5) or parts[0] != "scanner":
        return None
    try:
        page = int(parts[3])
        serial = int(parts[4]) if len(parts) == 5 else None
    except ValueError:
        return None
    return Identity(parts[1], parts[2], page, serial)


class QrReader:
    """Reads the page's QR code where the template puts it; holds its detectors."""

    def __init__(self, template: Template):
        self.template = template
        # The ArUco-based detector finds the finder patterns about three times faster;
        # the classic one is the fallback for a code it misses.
        self.detectors = (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector())

    def read(self, grey: np.ndarray, transform: PageTransform) -> Identity | None:
        """The page's identity from its QR code; None when it cannot be read."""
        reg = self.template.registration
        x, y = reg.qr_at_mm
        crop = transform.crop(grey, (x, y, reg.qr_size_mm, reg.qr_size_mm), QR_PX_PER_MM, margin_mm=QR_MARGIN_MM)
        for detector in self.detectors:
            try:
                text = detector.detectAndDecode(crop)[0]
            except cv2.error:
                text = ""
            if text:
                return parse_payload(text)
        return None
