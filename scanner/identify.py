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


def read_qr(grey: np.ndarray, template: Template, transform: PageTransform) -> Identity | None:
    """Decode the QR code where the template puts it; None when it cannot be read."""
    reg = template.registration
    x, y = reg.qr_at_mm
    box = (x, y, reg.qr_size_mm, reg.qr_size_mm)
    crop = transform.crop(grey, box, QR_PX_PER_MM, margin_mm=QR_MARGIN_MM)
    detector = cv2.QRCodeDetector()
    for candidate in (crop, cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]):
        try:
            text, _, _ = detector.detectAndDecode(candidate)
        except cv2.error:
            text = ""
        if text:
            return parse_payload(text)
    return None
