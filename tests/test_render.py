"""The printed form: every box, marker and QR code is where the template says.

Pages are rasterised at 300 dpi with pdfium and measured: a printed line's centre is
found from the dark-pixel profile across it, so each check is a known answer in mm.
"""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from scanner.render import BOX_LINE_MM, marker_boxes, marker_ids, qr_payload, render_pdf
from scanner.template import Template

DPI = 300
PX_PER_MM = DPI / 25.4
TOLERANCE_MM = 0.3
INK = 128
"""Grey level below which a pixel counts as printed ink (the grey table rules are lighter)."""


def rasterise(path, dpi: int = DPI) -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_numpy() for page in pdf]
    finally:
        pdf.close()


def px(mm: float) -> float:
    """A position in mm as a continuous pixel coordinate (pixel i spans [i, i + 1))."""
    return mm * PX_PER_MM


def to_mm(index: float) -> float:
    """A pixel index (whose centre is at index + 0.5) as a position in mm."""
    return (index + 0.5) / PX_PER_MM


def line_centre(image: np.ndarray, at_mm: float, span_mm: tuple[float, float], vertical: bool) -> float | None:
    """Centre in mm of the printed line near `at_mm`, or None when there is no line there.

    A vertical line is looked for across columns near x = `at_mm`, over rows `span_mm`;
    a horizontal one across rows near y = `at_mm`, over columns `span_mm`. The window is
    ±1 mm: wide enough to measure any error the tolerance allows, narrow enough to keep
    out neighbouring text and the grey rules between table rows.
    """
    dark = image < INK
    if not vertical:
        dark = dark.T
    lo, hi = int(px(at_mm - 1.0)), int(np.ceil(px(at_mm + 1.0)))
    rows = slice(int(np.ceil(px(span_mm[0]))), int(px(span_mm[1])))
    profile = dark[rows, lo:hi].mean(axis=0)
    if profile.max() < 0.9:  # a box border is unbroken along its whole side
        return None
    weights = profile * (profile > 0.5)
    return to_mm(lo + float(np.average(np.arange(profile.size), weights=weights)))


def box_errors(image: np.ndarray, box: tuple[float, float, float, float], what: str) -> list[str]:
    """How far each printed side of `box` is from the template's, where it is out of tolerance."""
    x, y, w, h = box
    inset = min(1.0, w / 4, h / 4)  # keep away from the corners, where the sides meet
    sides = {
        "left": (x, (y + inset, y + h - inset), True),
        "right": (x + w, (y + inset, y + h - inset), True),
        "top": (y, (x + inset, x + w - inset), False),
        "bottom": (y + h, (x + inset, x + w - inset), False),
    }
    errors = []
    for side, (expected, span, vertical) in sides.items():
        found = line_centre(image, expected, span, vertical)
        if found is None:
            errors.append(f"{what}: no {side} side near {expected:.2f} mm")
        elif abs(found - expected) > TOLERANCE_MM:
            errors.append(f"{what}: {side} side at {found:.2f} mm, template says {expected:.2f} mm")
    return errors


@pytest.fixture(scope="module")
def pages(template: Template, tmp_path_factory) -> list[np.ndarray]:
    path = render_pdf(template, tmp_path_factory.mktemp("render") / "blank.pdf")
    return rasterise(path)


def test_pdf_has_every_page_at_the_template_size(template, tmp_out):
    path = render_pdf(template, tmp_out / "nested" / "blank.pdf")
    pdf = pdfium.PdfDocument(str(path))
    assert len(pdf) == len(template.pages) == 7
    for page in pdf:
        w_pt, h_pt = page.get_size()
        assert (w_pt / 72 * 25.4, h_pt / 72 * 25.4) == pytest.approx(template.page_size_mm, abs=0.01)
    pdf.close()


@pytest.mark.parametrize("page", range(1, 8))
def test_boxes_are_printed_where_the_template_says(template, pages, page):
    image = pages[page - 1]
    errors = []
    for item in template.items_on(page):
        for option in item.options:
            errors += box_errors(image, option.box_mm, f"{item.id} option {option.code}")
    for comment in template.comments_on(page):
        errors += box_errors(image, comment.box_mm, comment.id)
    assert template.items_on(page) or template.comments_on(page)
    assert not errors, "\n".join(errors)


def test_box_border_is_as_thick_as_declared(template, pages):
    """`marks` discounts BOX_LINE_MM of border when it measures ink inside a box."""
    x, y, w, h = template.items[1].options[0].box_mm
    row = pages[template.items[1].page - 1][int(px(y + h / 2))]
    left = row[int(px(x - 1)):int(px(x + 1))] < INK
    assert left.sum() / PX_PER_MM == pytest.approx(BOX_LINE_MM, abs=1.5 / PX_PER_MM)


def test_tick_boxes_are_empty_inside(template, pages):
    for item in template.items:
        image = pages[item.page - 1]
        for option in item.options:
            x, y, w, h = option.box_mm
            inside = image[int(px(y + 0.5)):int(px(y + h - 0.5)), int(px(x + 0.5)):int(px(x + w - 0.5))]
            assert (inside >= INK).all(), f"{item.id} option {option.code}"


def test_a_moved_box_is_caught(template, pages):
    """The measurement itself: a box the template puts 0.5 mm off is reported."""
    x, y, w, h = template.items[1].options[0].box_mm
    image = pages[template.items[1].page - 1]
    assert box_errors(image, (x, y, w, h), "q01") == []
    errors = box_errors(image, (x + 0.5, y, w, h), "q01")
    assert [e.split(": ")[1].split(" side")[0] for e in errors] == ["left", "right"]
    assert box_errors(image, (x, y + 20, w, h), "q01")  # no box there at all


def _detect_markers(image: np.ndarray, template: Template) -> dict[int, np.ndarray]:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, template.registration.marker_dictionary))
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(image)
    assert ids is not None, "no markers found"
    return {int(i): to_mm(c.reshape(4, 2)) for i, c in zip(ids.ravel(), corners)}


@pytest.mark.parametrize("page", range(1, 8))
def test_markers_identify_the_page_and_sit_in_the_corners(template, pages, page):
    found = _detect_markers(pages[page - 1], template)
    assert sorted(found) == sorted(marker_ids(page))
    for marker_id, (x, y, side) in zip(marker_ids(page), marker_boxes(template)):
        # The marker's own corners, clockwise from its top-left: the page is upright.
        expected = np.array([[x, y], [x + side, y], [x + side, y + side], [x, y + side]])
        error = np.abs(found[marker_id] - expected).max()
        assert error <= TOLERANCE_MM, f"marker {marker_id} is {error:.2f} mm off"


def test_marker_ids_differ_between_pages(template):
    ids = [marker_id for page in template.page_numbers for marker_id in marker_ids(page)]
    assert len(set(ids)) == len(ids)
    assert max(ids) < 250  # DICT_4X4_250


def decode_qr(image: np.ndarray, template: Template, dpi: int = DPI) -> tuple[str, np.ndarray | None]:
    """The QR code's text and its corner points in page mm, looking only near where it is printed.

    Searching the whole page finds the same code but takes ten times as long.
    """
    reg = template.registration
    scale = dpi / 25.4
    x0, y0 = (max(0, int((v - 6) * scale)) for v in reg.qr_at_mm)
    x1, y1 = (int((v + reg.qr_size_mm + 6) * scale) for v in reg.qr_at_mm)
    # The detectors the reader uses, in its order (identify.QrReader).
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, points, _ = detector.detectAndDecode(image[y0:y1, x0:x1])
        if text:
            break
    if points is None:
        return text, None
    return text, (points.reshape(-1, 2) + [x0, y0] + 0.5) / scale


def test_qr_code_is_found_on_the_whole_page(template, pages):
    assert cv2.QRCodeDetector().detectAndDecode(pages[0])[0] == qr_payload(template, 1)


@pytest.mark.parametrize("page", range(1, 8))
def test_qr_code_names_form_version_and_page(template, pages, page):
    text, points = decode_qr(pages[page - 1], template)
    assert text == qr_payload(template, page) == f"scanner:surestart-multiagency:1:{page}"
    reg = template.registration
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    # The QR's corner points are those of its modules, inside the quiet zone of the printed square.
    assert reg.qr_at_mm[0] <= x0 < x1 <= reg.qr_at_mm[0] + reg.qr_size_mm
    assert reg.qr_at_mm[1] <= y0 < y1 <= reg.qr_at_mm[1] + reg.qr_size_mm


def test_numbered_copies_carry_their_serial(template, tmp_out):
    path = render_pdf(template, tmp_out / "copies.pdf", copies=3)
    images = rasterise(path, dpi=200)
    assert len(images) == 3 * 7
    payloads = [decode_qr(image, template, dpi=200)[0] for image in images]
    expected = [qr_payload(template, page, serial) for serial in (1, 2, 3) for page in range(1, 8)]
    assert payloads == expected
    assert expected[7] == "scanner:surestart-multiagency:1:1:000002"


def test_first_serial_starts_the_numbering(template, tmp_out):
    path = render_pdf(template, tmp_out / "copies.pdf", copies=1, first_serial=41)
    images = rasterise(path, dpi=200)
    assert decode_qr(images[6], template, dpi=200)[0] == qr_payload(template, 7, 41)


def _horizontal_lines(image: np.ndarray, box: tuple[float, float, float, float]) -> list[float]:
    """Centres in mm of the horizontal lines that run across `box`'s width (its middle
    nine tenths) between its top and a millimetre below its bottom."""
    x, y, w, h = box
    rows = image[int(px(y - 1.0)): int(np.ceil(px(y + h + 1.0))), int(px(x + 0.05 * w)): int(px(x + 0.95 * w))]
    dark = (rows < INK).mean(axis=1) > 0.9
    runs, lines = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(int), [0]]))), []
    for start, stop in zip(runs[::2], runs[1::2]):
        lines.append(to_mm(int(px(y - 1.0)) + (start + stop - 1) / 2))
    return lines


def test_a_zone_of_writing_lines_is_printed_as_its_lines_not_a_frame(tmp_path_factory, tmp_path):
    """A drafted zone with no frame (`framed: false`: writing lines drawn as a table's
    row borders, or typed as underscores) is rendered as writing lines where the form
    prints them, with no sides: what the form shows (it was rendered as a frame)."""
    from editor_form import WORDFORM, drafted

    from scanner.template import load_template

    template = load_template(drafted(tmp_path_factory.getbasetemp()))
    unframed = [c for c in template.comments if not c.framed]
    assert unframed
    rendered = rasterise(render_pdf(template, tmp_path / "form.pdf"))
    printed = rasterise(WORDFORM)
    for zone in unframed:
        image = rendered[zone.page - 1]
        ours, theirs = _horizontal_lines(image, zone.box_mm), _horizontal_lines(printed[zone.page - 1], zone.box_mm)
        assert len(ours) == len(theirs) >= 2, (zone.id, ours, theirs)
        assert all(abs(a - b) < 0.5 for a, b in zip(ours, theirs)), (zone.id, ours, theirs)
        x, y, w, h = zone.box_mm
        for side in (x, x + w):
            assert line_centre(image, side, (y + 1.0, y + h - 1.0), vertical=True) is None, (zone.id, side)
