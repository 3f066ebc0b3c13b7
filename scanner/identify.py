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
from scanner.render import QR_QUIET_MODULES, qr_payload, qr_width_modules
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
        self._corners: dict[int, list[np.ndarray]] = {}

    def prepare(self) -> None:
        """Work out now where each form page's code is printed (`code_corners`), for a
        pool's workers to share (`PageReader.prepare`)."""
        for page in self.template.page_numbers:
            self._corners_of(page)

    def read(self, grey: np.ndarray, transform: PageTransform, page: int | None = None) -> Identity | None:
        """The page's identity from its QR code; None when it cannot be read. `page`: the
        form page the page was registered as, whose code is first decoded where the
        template prints it, without looking for it."""
        reg = self.template.registration
        x, y = reg.qr_at_mm
        crop = transform.crop(grey, (x, y, reg.qr_size_mm, reg.qr_size_mm), QR_PX_PER_MM, margin_mm=QR_MARGIN_MM)
        text = self._decode_in_place(crop, page) or self._detect(crop)
        return parse_payload(text) if text else None

    def _detect(self, crop: np.ndarray) -> str:
        """The code in `crop`, wherever it lies in it; empty when none is read."""
        for detector in self.detectors:
            try:
                text = detector.detectAndDecode(crop)[0]
            except cv2.error:
                text = ""
            if text:
                return text
        return ""

    def _decode_in_place(self, crop: np.ndarray, page: int | None) -> str:
        """The code in `crop` decoded at the corners the form page's code is printed with
        (`code_corners`), without the detectors' search for its finder patterns (two
        thirds of the time); empty when it does not decode there (a page registered a
        little off, another page's code): the detectors look for it then."""
        if page is None:
            return ""
        for corners in self._corners_of(page):
            try:
                text = self.detectors[1].decode(crop, corners)[0]
            except cv2.error:
                text = ""
            if text:
                return text
        return ""

    def _corners_of(self, page: int) -> list[np.ndarray]:
        if page not in self._corners:
            self._corners[page] = code_corners(self.template, page)
        return self._corners[page]


def code_corners(template: Template, page: int) -> list[np.ndarray]:
    """Where the corners of the form page's QR code lie in `QrReader.read`'s crop, (1, 4, 2)
    clockwise from top-left, for each size of code the page is printed with (the code of a
    numbered copy, with its serial, may have more modules than the plain one's)."""
    reg = template.registration
    counts = dict.fromkeys(qr_width_modules(qr_payload(template, page, serial)) for serial in (None, 1))
    corners = []
    for n in counts:
        quiet = QR_QUIET_MODULES * reg.qr_size_mm / (n + 2 * QR_QUIET_MODULES)
        # Crop pixels have their centres at integers; the crop starts QR_MARGIN_MM before the code's square.
        near = (QR_MARGIN_MM + quiet) * QR_PX_PER_MM - 0.5
        far = (QR_MARGIN_MM + reg.qr_size_mm - quiet) * QR_PX_PER_MM - 0.5
        corners.append(np.array([[[near, near], [far, near], [far, far], [near, far]]], dtype=np.float32))
    return corners
