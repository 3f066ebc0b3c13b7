"""Registration recovers a known distortion: rotation, shift, scale, upside-down, perspective.

Like scikit-image's registration tests: distort a rendered page by a known transform,
register it, and check that template points land where the known transform puts them.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.geometry import PageTransform
from scanner.identify import QrReader
from scanner.register import Method, Registrar, Registration, to_grey
from scanner.render import marker_boxes, page_raster

DPI = 150
PX_PER_MM = DPI / 25.4
DATA = Path(__file__).parent / "data"
PHONE_PAGE_4_TICKED = {"q11a": "5", "q11b": "2", "q11c": "2", "q12a": "5", "q12b": "2", "q12c": "4", "q13a": "3",
                       "q13b": "5", "q13c": "1"}
"""What was ticked on `data/phone-page4.pdf` (the generator's truth: marks.csv, sheet s0058)."""
PHOTOCOPY_PAGE_5_TICKED = {"q14a": "4", "q14b": "4", "q14c": "1", "q15a": "1", "q15b": "1", "q15c": "4", "q16a": "3",
                           "q16b": "5", "q16c": "1"}
"""What was ticked on `data/photocopy-page5-skewed.pdf` (the generator's truth: marks.csv, sheet s0193)."""
PHONE_PHOTOCOPY_PAGE_4_TICKED = {"q11a": "5", "q11b": "2", "q11c": "1", "q12a": "4", "q12b": "1", "q12c": "4",
                                 "q13a": "4", "q13b": "3", "q13c": "3"}
"""What was ticked on `data/phone-page4-photocopy-markers-cut.pdf` (the generator's truth: marks.csv, sheet s0014)."""
PHONE_PAGE_7_MARKED = {"q20a": "1", "q20b": "4", "q20c": "5"}
"""What was marked on `data/phone-page7-blurred-markers-below.pdf` (the generator's truth: marks.csv, sheet s0159)."""
PHONE_PAGE_5_TICKED = {"q14a": "1", "q14b": "1", "q14c": "2", "q15a": "1", "q15b": "2", "q15c": "1", "q16a": "4",
                       "q16b": "", "q16c": "5"}
"""What was ticked on `data/phone-page5-photocopy-blurred-200dpi.pdf` (the generator's truth: marks.csv, sheet
s0116; q16b's tick was rubbed out)."""
PHONE_PAGE_3_MARKED = {"q08a": "4", "q08b": "1", "q08c": "1", "q09a": "5", "q09b": "5", "q09c": "1", "q10a": "5",
                       "q10b": "4", "q10c": "2"}
"""What was marked on `data/phone-page3-slipped-a-row.pdf` (the generator's truth: marks.csv, sheet s0007)."""
CHECK_POINTS = np.array([[20.0, 30.0], [190.0, 30.0], [105.0, 150.0], [20.0, 270.0], [190.0, 270.0]])


@pytest.fixture(scope="module")
def pages(template):
    """Pages as a 150 dpi scanner sees them: drawn finely, then averaged onto the coarse
    grid (a renderer drawing at 150 dpi snaps edges to whole pixels; paper does not)."""
    import cv2

    return {p: cv2.resize(page_raster(template, p, 2 * DPI), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            for p in (1, 3)}


@pytest.fixture(scope="module")
def registrar(template):
    return Registrar(template)


def distort(image: np.ndarray, matrix_px: np.ndarray, fill: int = 235) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    return cv2.warpPerspective(image, matrix_px, (w, h), flags=cv2.INTER_LINEAR, borderValue=(fill, fill, fill))


def similarity(scale: float, angle_deg: float, tx: float, ty: float) -> np.ndarray:
    """A 3x3 matrix: scale, then rotate by `angle_deg`, then shift."""
    a = math.radians(angle_deg)
    c, s = math.cos(a) * scale, math.sin(a) * scale
    return np.array([[c, -s, tx], [s, c, ty], [0, 0, 1]], dtype=np.float64)


def mm_to_px() -> np.ndarray:
    """Template mm to the undistorted rendering's pixels (centres at integers)."""
    return np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]])


def expected_points(distortion: np.ndarray) -> np.ndarray:
    return PageTransform.from_array(distortion @ mm_to_px()).to_px(CHECK_POINTS)


def error_mm(reg_transform: PageTransform, distortion: np.ndarray) -> float:
    got = reg_transform.to_px(CHECK_POINTS)
    return float(np.max(np.linalg.norm(got - expected_points(distortion), axis=1)) / PX_PER_MM)


def around_centre(image: np.ndarray, scale: float, angle: float, dx_mm: float, dy_mm: float) -> np.ndarray:
    h, w = image.shape[:2]
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]])
    back = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    return c @ similarity(scale, angle, dx_mm * PX_PER_MM, dy_mm * PX_PER_MM) @ back


def test_undistorted_page_registers_exactly(pages, registrar):
    reg = registrar.markers(to_grey(pages[1]))
    assert reg is not None and reg.page == 1 and reg.method is Method.MARKERS and reg.markers_found == 4
    assert error_mm(reg.transform, np.eye(3)) < 0.1


@pytest.mark.parametrize("angle", [-3.0, 0.7, 3.0, 180.0, 178.2])
def test_rotation_and_upside_down_are_recovered(pages, registrar, angle):
    d = around_centre(pages[3], 1.01, angle, 4.0, -6.0)
    reg = registrar.markers(to_grey(distort(pages[3], d)))
    assert reg is not None and reg.page == 3
    assert error_mm(reg.transform, d) < 0.25
    assert abs(((reg.transform.rotation_deg() - angle) + 180) % 360 - 180) < 0.2


@settings(max_examples=12, deadline=None)
@given(angle=st.floats(-3, 3), scale=st.floats(0.98, 1.02), dx=st.floats(-8, 8), dy=st.floats(-8, 8),
       flip=st.booleans())
def test_any_scanner_distortion_is_recovered(pages, registrar, angle, scale, dx, dy, flip):
    """A large shift pushes corner markers off the image: the remaining ones, or the
    page's content, still register it, and its printed frames refine it."""
    d = around_centre(pages[1], scale, angle + (180 if flip else 0), dx, dy)
    grey = to_grey(distort(pages[1], d))
    reg = registrar.markers(grey) or registrar.content(grey)
    assert reg is not None and reg.page == 1
    # Content matching is coarse (up to 2 mm at the page's corners, on a page shifted
    # and turned upside down): the frames refine it, and that is what is read with.
    assert error_mm(reg.transform, d) < (2.0 if reg.method is Method.CONTENT else 0.3)
    verified = registrar.verify(grey, reg)
    assert verified.aligned and error_mm(verified.transform, d) < 0.3


@settings(max_examples=12, deadline=None)
@given(angle=st.floats(-1.5, 1.5), scale=st.floats(0.98, 1.02), dx=st.floats(-2, 2), dy=st.floats(-2, 2),
       flip=st.booleans(), page=st.sampled_from([1, 3]))
def test_a_scanned_page_s_markers_are_all_found_in_the_corner_windows(pages, registrar, angle, scale, dx, dy, flip,
                                                                       page):
    """The fast search (small corner windows, one threshold scale) finds every marker of
    a page as a scanner feeds it (its markers all on the image): the whole-page search is
    for photos and pages shifted further."""
    from scanner import thresholds as T

    d = around_centre(pages[page], scale, angle + (180 if flip else 0), dx, dy)
    found = registrar._search_corners(to_grey(distort(pages[page], d)), T.MARKER_SEARCH_PX_PER_MM)
    assert list(found) == [page] and sorted(found[page]) == [0, 1, 2, 3]


def test_phone_photo_perspective_is_recovered(pages, registrar):
    import cv2

    h, w = pages[1].shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[60, 40], [w - 20, 90], [w - 70, h - 30], [30, h - 80]])
    d = cv2.getPerspectiveTransform(src, dst)
    reg = registrar.markers(to_grey(distort(pages[1], d)))
    assert reg is not None and reg.markers_found == 4
    assert error_mm(reg.transform, d) < 0.3


def _cover_markers(image: np.ndarray, template, corners: list[int]) -> np.ndarray:
    out = image.copy()
    for k in corners:
        x, y, s = marker_boxes(template)[k]
        x0, y0 = int((x - 1) * PX_PER_MM), int((y - 1) * PX_PER_MM)
        x1, y1 = int((x + s + 1) * PX_PER_MM), int((y + s + 1) * PX_PER_MM)
        out[y0:y1, x0:x1] = 255
    return out


@pytest.mark.parametrize("hidden", [[0], [1, 2]])
def test_hidden_markers_fall_back_to_the_rest(pages, registrar, template, hidden):
    d = around_centre(pages[1], 0.99, 1.5, -3.0, 2.0)
    covered = _cover_markers(pages[1], template, hidden)
    reg = registrar.markers(to_grey(distort(covered, d)))
    assert reg is not None and reg.method is Method.PARTIAL_MARKERS and reg.markers_found == 4 - len(hidden)
    assert error_mm(reg.transform, d) < 0.3


def _phone_tilt(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A random phone photo's perspective: each corner of the picture moved up to 40 px."""
    import cv2

    h, w = image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return cv2.getPerspectiveTransform(src, src + np.float32([[rng.uniform(-40, 40) for _ in range(2)]
                                                              for _ in range(4)]))


def _markers_inside(template, matrix_px: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether every corner marker lies whole within the picture (a pixel of paper around it)."""
    import cv2

    h, w = shape[:2]
    for x, y, s in marker_boxes(template):
        box = np.float32([[x, y], [x + s, y], [x + s, y + s], [x, y + s]]) * PX_PER_MM
        moved = cv2.perspectiveTransform(box[None], matrix_px)[0]
        if moved.min() < 1 or (moved[:, 0] > w - 2).any() or (moved[:, 1] > h - 2).any():
            return False
    return True


def _scan_or_photo(image: np.ndarray, template, rng: random.Random) -> np.ndarray:
    """A random scan, turned either way, or phone photo of `image` that keeps its markers
    in the picture (a turn of 3 degrees with a shift can push a corner out of it)."""
    while True:
        d = (_phone_tilt(image, rng) if rng.random() < 0.5 else
             around_centre(image, rng.uniform(0.97, 1.02), rng.uniform(-3, 3) + rng.choice([0, 180]),
                           rng.uniform(-4, 4), rng.uniform(-4, 4)))
        if _markers_inside(template, d, image.shape):
            return d


# 57595 turned page 3 so that marker 2 ran 2.5 px off the picture.
@pytest.mark.parametrize("seed", [1, 2, 57595, int.from_bytes(os.urandom(2), "big")])
@pytest.mark.parametrize("hidden", [[0], [1], [2], [3]])
def test_markers_searched_where_three_found_put_them_are_the_whole_page_s(pages, registrar, template, seed, hidden):
    """With three markers found, the fourth is searched again only around where they put
    it (and they around themselves): the same markers as a search of the whole page, their
    corners the same to a thousandth of a pixel; on scans turned either way and phone photos."""
    from scanner import thresholds as T
    from scanner.register import downscale

    rng = random.Random(seed)
    page = rng.choice([1, 3])
    covered = _cover_markers(pages[page], template, hidden)
    d = _scan_or_photo(covered, template, rng)
    grey = to_grey(distort(covered, d))
    found = registrar._search_corners(grey, T.MARKER_SEARCH_PX_PER_MM)
    assert sorted(found[page]) == sorted(set(range(4)) - set(hidden)), (seed, found)
    for px_per_mm in (T.MARKER_SEARCH_PX_PER_MM, T.MARKER_RETRY_PX_PER_MM):
        small, factor = downscale(grey, max(template.page_size_mm), px_per_mm)
        corners, ids, _ = registrar.detector.detectMarkers(small)
        whole = {int(i): c.reshape(4, 2) for c, i in zip(corners, ids.ravel())}
        corners, ids = registrar._search_again(small, factor, found)
        around = {int(i): c.reshape(4, 2) for c, i in zip(corners, ids)}
        assert sorted(around) == sorted(whole), (seed, px_per_mm)
        assert all(np.abs(around[k] - whole[k]).max() < 1e-3 for k in whole), (seed, px_per_mm)


def test_a_blank_back_is_not_searched_closer_for_markers(pages, template):
    """A page on which the search finds no marker is asked whether it is blank, and, blank,
    is not searched again closer; a page with markers is never asked."""
    class Counting(Registrar):
        searches = 0

        def _search_again(self, small, factor, found):
            Counting.searches += 1
            return super()._search_again(small, factor, found)

    registrar = Counting(template)
    blank = np.full_like(to_grey(pages[1]), 240)
    asked = []
    assert registrar.markers(blank, lambda: asked.append(1) or True) is None
    assert asked == [1] and Counting.searches == 1
    assert registrar.markers(blank, lambda: False) is None and Counting.searches == 3
    covered = to_grey(_cover_markers(pages[1], template, [2]))
    assert registrar.markers(covered, lambda: pytest.fail("asked")).markers_found == 3


def test_no_markers_at_all_registers_by_content(pages, registrar, template):
    d = around_centre(pages[3], 1.0, -1.2, 2.0, 3.0)
    covered = _cover_markers(pages[3], template, [0, 1, 2, 3])
    grey = to_grey(distort(covered, d))
    assert registrar.markers(grey) is None
    reg = registrar.content(grey)
    assert reg is not None and reg.page == 3 and reg.method is Method.CONTENT
    # Told among the pages and fitted on few features (fast), the transform is within
    # reach of the frames (VERIFY_REACH_MM), which refine it.
    assert error_mm(reg.transform, d) < 1.0
    verified = registrar.verify(grey, reg)
    assert verified.aligned and error_mm(verified.transform, d) < 0.3


def test_qr_is_read_through_the_transform(pages, registrar, template):
    d = around_centre(pages[3], 1.0, 180.0, 0.0, 0.0)
    grey = to_grey(distort(pages[3], d))
    ident = QrReader(template).read(grey, registrar.markers(grey).transform)
    assert ident is not None and (ident.form, ident.version, ident.page) == (template.form, template.version, 3)


@pytest.mark.parametrize("page, serial", [(3, None), (6, 42), (1, 123456)])
def test_the_qr_code_is_decoded_where_the_template_prints_it(registrar, template, page, serial):
    """A page's code (a numbered copy's too) is decoded at the corners the form page's
    code is printed with, without looking for it: what the detectors read, where they find
    it (the corners of its three finder patterns, within a pixel); registered as another
    page, it is still read, by the detectors."""
    import cv2

    from scanner.identify import QR_MARGIN_MM, QR_PX_PER_MM, code_corners
    from scanner.render import qr_modules, qr_payload, qr_width_modules

    image = cv2.resize(page_raster(template, page, 2 * DPI, serial), None, fx=0.5, fy=0.5,
                       interpolation=cv2.INTER_AREA)
    grey = to_grey(distort(image, around_centre(image, 1.0, 1.2, 1.0, -2.0)))
    transform = registrar.markers(grey).transform
    reader = QrReader(template)
    x, y = template.registration.qr_at_mm
    size = template.registration.qr_size_mm
    crop = transform.crop(grey, (x, y, size, size), QR_PX_PER_MM, margin_mm=QR_MARGIN_MM)
    payload = qr_payload(template, page, serial)
    assert qr_width_modules(payload) == len(qr_modules(payload))
    assert reader._decode_in_place(crop, page) == reader._detect(crop) == payload
    found = cv2.QRCodeDetector().detect(crop)[1].reshape(4, 2)
    finders = [0, 1, 3]  # the fourth corner, without a finder pattern, the detector estimates
    assert min(np.abs(corners.reshape(4, 2)[finders] - found[finders]).max()
               for corners in code_corners(template, page)) < 1.0
    other = 7 if page != 7 else 1
    ident = reader.read(grey, transform, other)
    assert ident is not None and (ident.page, ident.serial) == (page, serial)


def test_print_agrees_with_its_own_page_only(pages, registrar, template):
    """Without a QR code, the printed content tells this page from any other (or from
    another form that happens to use the same markers)."""
    from scanner import thresholds as T

    grey = to_grey(distort(pages[3], around_centre(pages[3], 1.0, 1.0, 2.0, -2.0)))
    reg = registrar.markers(grey)
    agreement = {p: registrar.content_agreement(grey, reg.transform, p) for p in template.page_numbers}
    assert agreement[3] > 0.9
    assert all(a < T.AGREEMENT_MIN for p, a in agreement.items() if p != 3), agreement


def _missing_lines_line_by_line(registrar: Registrar, grey: np.ndarray, transform: PageTransform,
                                page: int) -> list[tuple[float, float]]:
    """`Registrar.missing_lines` as it was first written: each line's pixels picked out of
    the whole page in turn."""
    import cv2

    from scanner import thresholds as T

    printed, inked, inside = registrar._print_seen(grey, transform, page, against_around=False)
    overall, s = float(inked[printed].mean()), T.CONTENT_PX_PER_MM
    gap = 2 * round(T.PRINT_LINE_GAP_MM * s / 2) + 1
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        cv2.dilate(printed.astype(np.uint8), np.ones((1, gap), np.uint8)))
    missing = []
    for k in range(1, count):
        x, y, _, height, _ = stats[k]
        line = (labels == k) & printed
        if height < T.PRINT_LINE_MIN_MM * s or line.sum() < T.PRINT_LINE_MIN_MM ** 2 * s * s * 4:
            continue
        if inside[line].all() and inked[line].mean() < T.PRINT_LINE_SHARE * overall:
            missing.append((round(x / s, 1), round(y / s, 1)))
    return missing


@pytest.mark.parametrize("seed", [6, int.from_bytes(os.urandom(2), "big")])
def test_missing_lines_are_the_ones_found_line_by_line(pages, template, seed):
    """Counting every line's pixels at once finds the same missing lines as picking each
    line out of the page in turn: page 3, shifted, in uneven light and cut by the picture's
    edge, read as each page of the form (most of whose lines it lacks)."""
    rng = random.Random(seed)
    image = _uneven_light(pages[3], rng)
    grey = to_grey(distort(image, around_centre(image, rng.uniform(0.97, 1.0), rng.uniform(-2, 2),
                                                 rng.uniform(-15, 15), rng.uniform(-15, 15))))
    registrar = Registrar(template)
    reg = registrar.markers(grey) or registrar.content(grey, page_hint=3)
    found = {p: registrar.missing_lines(grey, reg.transform, p) for p in template.page_numbers}
    assert found == {p: _missing_lines_line_by_line(Registrar(template), grey, reg.transform, p)
                     for p in template.page_numbers}, seed
    assert not found[3] and any(found.values()), (seed, found)


def test_a_page_drawn_for_its_print_is_drawn_again_for_another_page(pages, template):
    """The page drawn at CONTENT_PX_PER_MM is kept for the next comparison only while it is
    the same picture through the same transform: another picture, or another transform,
    agrees as a fresh registrar finds."""
    kept = Registrar(template)
    first = to_grey(distort(pages[3], around_centre(pages[3], 1.0, 1.0, 2.0, -2.0)))
    reg = kept.markers(first)
    kept.content_agreement(first, reg.transform, 3)
    for grey in (first.copy(), to_grey(distort(pages[1], around_centre(pages[1], 1.0, -1.0, -3.0, 2.0)))):
        moved = PageTransform.from_array(reg.transform.array @ np.array([[1, 0, 0.7], [0, 1, -0.4], [0, 0, 1]]))
        for transform in (reg.transform, moved):
            for page in (1, 3):
                assert (kept.content_agreement(grey, transform, page)
                        == Registrar(template).content_agreement(grey, transform, page))


def _uneven_light(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """The light falling off across the page from a random side, down to 70-80% of the
    lit side's: the dim part is darker than the lit part's paper, as on a phone photo."""
    h, w = image.shape[:2]
    angle = rng.uniform(0.0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = math.cos(angle) * xx + math.sin(angle) * yy
    along = (along - along.min()) / (along.max() - along.min())
    dim = rng.uniform(0.7, 0.8)
    light = 1.0 - (1.0 - dim) * np.clip((along - rng.uniform(0.1, 0.3)) / 0.5, 0.0, 1.0)
    return (image.astype(np.float32) * light[..., None]).astype(np.uint8)


@pytest.mark.parametrize("seed", [4, 5, int.from_bytes(os.urandom(2), "big")])
def test_print_agrees_with_its_own_page_only_in_uneven_light(pages, registrar, template, seed):
    """The dim part of a photo is no ink: measured against the page's lit paper it was,
    and other form pages' print agreed 70-90% with it, as much as the page's own."""
    from scanner import thresholds as T

    image = _uneven_light(pages[3], random.Random(seed))
    grey = to_grey(distort(image, around_centre(image, 1.0, 1.0, 2.0, -2.0)))
    reg = registrar.markers(grey)
    agreement = {p: registrar.content_agreement(grey, reg.transform, p) for p in template.page_numbers}
    assert agreement[3] > 0.9, (seed, agreement)
    assert all(a < T.AGREEMENT_MIN for p, a in agreement.items() if p != 3), (seed, agreement)


def test_a_blurred_phone_photo_of_page_7_printed_fit_to_page_is_read(template, tmp_path):
    """`tests/data/phone-page7-blurred.pdf`: a generated 150-dpi phone photo of form page 7,
    printed "fit to page" (96.6%), motion-blurred, its QR code unread. Its bottom line of
    text, blurred grey, measured against the paper right around it showed too little ink,
    and the page was `unrecognised` as "a page of another form printed alike?"."""
    import pandas as pd

    from scanner.pipeline import scan

    scan([DATA / "phone-page7-blurred.pdf"], template, tmp_path / "out", jobs=1, ocr=False)
    pages = pd.read_csv(tmp_path / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == ["7"], pages.reason.tolist()


def _shifted_up_left(page: np.ndarray, up_mm: float, left_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """`page` moved up and left in the picture (its top edge `up_mm` beyond the picture's
    top, its left `left_mm` beyond the picture's left), grey, and the move in pixels."""
    d = np.array([[1, 0, -left_mm * PX_PER_MM], [0, 1, -up_mm * PX_PER_MM], [0, 0, 1]])
    return to_grey(distort(page, d)), d


@pytest.mark.parametrize("seed", [1, 2, int.from_bytes(os.urandom(2), "big")])
def test_a_whole_marker_at_the_picture_edge_is_read_a_cut_one_is_not(pages, registrar, seed):
    """The left markers cut in half, the top-right one a fraction of a millimetre (1.5 to
    2.7 px) from the picture's top: ArUco passed it over (3 px from the border at least)
    and the page had one marker. Cut by 0.1 to 0.5 mm, its cells are read but its corners
    lie on the edge, not where they are: it is not taken."""
    rng = random.Random(seed)
    gap = rng.uniform(0.25, 0.45)
    whole, d = _shifted_up_left(pages[3], 8.0 - gap, 13.0)
    reg = registrar.markers(whole)
    assert reg is not None and reg.page == 3 and reg.markers_found == 2, (seed, gap)
    assert error_mm(reg.transform, d) < 0.3, (seed, gap)
    cut, _ = _shifted_up_left(pages[3], 8.0 + rng.uniform(0.1, 0.5), 13.0)
    assert registrar.markers(cut) is None, seed


def test_a_photocopied_page_5_with_a_marker_at_the_picture_edge_is_read(template, tmp_path):
    """`tests/data/photocopy-page5-skewed.pdf`: a generated 200-dpi photocopy of form page 5,
    its print skewed 1.5 degrees on the sheet and the sheet 2.1 degrees in the scanner, the
    top-left marker cut off by the picture's edge and the bottom-left half so. The top-right
    marker, whole, lay a pixel from the edge at the search's 4 px/mm and ArUco passed it over
    (3 px from the border at least); with one marker, too few features for the content match
    and no transform to read the QR code through, the page was `unrecognised`. Read, it is
    form page 5 and what is read `ok` is what was ticked."""
    import pandas as pd

    from scanner.pipeline import scan

    scan([DATA / "photocopy-page5-skewed.pdf"], template, tmp_path / "out", jobs=1, ocr=False)
    pages = pd.read_csv(tmp_path / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == ["5"], pages.reason.tolist()
    items = pd.read_csv(tmp_path / "out" / "items.csv", dtype=str, keep_default_na=False).set_index("item")
    on_page = items.loc[list(PHOTOCOPY_PAGE_5_TICKED)]
    # q15a's tick runs on into its neighbour box: `multiple` is for a person to decide.
    assert set(on_page.status) <= {"ok", "review", "multiple"}, on_page
    ok = on_page[on_page.status == "ok"]
    assert len(ok) >= 7 and all(ok.value[item] == PHOTOCOPY_PAGE_5_TICKED[item] for item in ok.index), ok


def test_a_dark_phone_photo_of_page_4_is_told_from_page_5_and_read(template, tmp_path):
    """`tests/data/phone-page4.pdf`: a generated phone photo of form page 4, upside down,
    two markers cut off, the QR code out of the picture, its lower half in shadow. Its
    features matched pages 4 and 5 nearly alike (34 and 24), and measured against its lit
    paper its dim half took every page's print as inked: it was `unrecognised`. Its print
    tells page 4, and what is read `ok` is what was ticked."""
    import pandas as pd

    from scanner.pipeline import scan

    scan([DATA / "phone-page4.pdf"], template, tmp_path / "out", jobs=1, ocr=False)
    pages = pd.read_csv(tmp_path / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == ["4"], pages.reason.tolist()
    items = pd.read_csv(tmp_path / "out" / "items.csv", dtype=str, keep_default_na=False).set_index("item")
    on_page = items.loc[[item.id for item in template.items_on(4)]]
    assert set(on_page.status) <= {"ok", "review"}, on_page
    ok = on_page[on_page.status == "ok"]
    assert len(ok) >= 5 and all(ok.value[item] == PHONE_PAGE_4_TICKED[item] for item in ok.index), ok


def _scanned_page(template, folder, path: Path, page: int, marked: dict[str, str]):
    """Scan `path` alone: it is one page, used as form page `page`; its items as read
    (value and status), each `ok` one what `marked` says was marked."""
    import pandas as pd

    from scanner.pipeline import scan

    scan([path], template, folder / "out", jobs=1, ocr=False)
    pages = pd.read_csv(folder / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == [str(page)], pages.reason.tolist()
    items = pd.read_csv(folder / "out" / "items.csv", dtype=str, keep_default_na=False).set_index("item")
    on_page = items.loc[list(marked)]
    ok = on_page[on_page.status == "ok"]
    assert all(ok.value[item] == marked[item] for item in ok.index), ok
    return on_page


def test_a_phone_photo_of_a_photocopy_whose_two_markers_fit_no_similarity_is_read(template, tmp_path):
    """`tests/data/phone-page4-photocopy-markers-cut.pdf`: a generated 300-dpi phone photo of
    a grey photocopy of form page 4, upside down, its top (the QR code, a marker) cut off
    by the photo's edge and the third marker half so, a staple. The two markers seen, at
    the photo's near edge, differ in size: no similarity holds both (1.3 mm at best), and
    the page went to content matching, whose features told page 4 from the others too
    weakly on the grey photocopy (17 matches, 20 needed): `unrecognised`, "no corner
    markers, QR code or matching content". The markers' ids name page 4, which its print
    matches (99 features) and its frames verify."""
    on_page = _scanned_page(template, tmp_path, DATA / "phone-page4-photocopy-markers-cut.pdf", 4,
                            PHONE_PHOTOCOPY_PAGE_4_TICKED)
    # q11a's cross runs into its neighbour box, q12a's 3 was rubbed out: a person may decide those.
    assert set(on_page.status) <= {"ok", "review", "multiple"}, on_page
    assert (on_page.status == "ok").sum() >= 7, on_page


def test_a_blurred_phone_photo_held_at_its_bottom_markers_shows_its_footer(template, tmp_path):
    """`tests/data/phone-page7-blurred-markers-below.pdf`: a generated 300-dpi phone photo of
    form page 7, printed "fit to page" (94.7%), motion blurred, the QR code and the top
    markers unread. Re-registered on the frames alone, which lie in the page's upper
    half, its perspective missed the footer by 1.5 mm: "Page 7 of 7" seemed missing and
    the page was `unrecognised` as another form printed alike. Fitted on the frames and
    the two markers seen below them, the footer is where page 7 prints it."""
    on_page = _scanned_page(template, tmp_path, DATA / "phone-page7-blurred-markers-below.pdf", 7,
                            PHONE_PAGE_7_MARKED)
    assert set(on_page.status) <= {"ok", "review"}, on_page


def test_a_blurred_200_dpi_phone_photo_keeps_the_markers_the_coarse_search_found(template, tmp_path):
    """`tests/data/phone-page5-photocopy-blurred-200dpi.pdf`: a generated 200-dpi phone photo
    of a photocopy of form page 5, printed "fit to page" (96.3%), motion blurred, on a ream
    9.5 DeltaE off its colour. The search at 4 px/mm found three markers; the closer one, at
    the photo's own pixels, found one, and the page was left with it. Its features told
    page 7 before page 5 (38 and 26), no content match held: `unrecognised`, "no corner
    markers, QR code or matching content"."""
    on_page = _scanned_page(template, tmp_path, DATA / "phone-page5-photocopy-blurred-200dpi.pdf", 5,
                            PHONE_PAGE_5_TICKED)
    # q16b's tick was rubbed out: its ghost is a person's to judge.
    assert set(on_page.status) <= {"ok", "review", "blank"}, on_page
    assert (on_page.status == "ok").sum() >= 7, on_page


def _lone_marker_photo(template, corner: int) -> np.ndarray:
    """`data/phone-page5-photocopy-blurred-200dpi.pdf`'s photo with every marker but
    `corner`'s painted over in the paper's colour around it."""
    import cv2

    from scanner.load import enumerate_pages

    task = next(iter(enumerate_pages([DATA / "phone-page5-photocopy-blurred-200dpi.pdf"])))
    photo = cv2.imdecode(np.frombuffer(task.data, np.uint8), cv2.IMREAD_COLOR)
    transform = Registrar(template).markers(to_grey(photo)).transform
    for k, (x, y, side) in enumerate(marker_boxes(template)):
        if k == corner:
            continue
        square = transform.to_px(np.array([[x, y], [x + side, y], [x + side, y + side], [x, y + side]], float))
        around = transform.to_px(np.array([[x - 3, y - 3], [x + side + 3, y + side + 3]], float))
        (x0, y0), (x1, y1) = np.clip(around.round().astype(int), 0, None)
        paper = np.percentile(photo[y0:y1, x0:x1].reshape(-1, 3), 90, axis=0)
        centre = square.mean(axis=0)
        grown = centre + (square - centre) * (side + 2) / side
        cv2.fillConvexPoly(photo, grown.round().astype(np.int32), paper.tolist())
    return photo


@pytest.mark.parametrize("corner", [0, 1, 2])
def test_a_lone_marker_names_the_page_for_the_content_match(template, tmp_path, corner):
    """The photo of page 5 above with one marker left: the marker's id names page 5, whose
    print its features match (165 of them), where told among the form's pages they put
    page 7 first and no match held (`unrecognised` before a lone marker named its page)."""
    import cv2

    photo = _lone_marker_photo(template, corner)
    cv2.imwrite(str(tmp_path / "lone.png"), photo)
    on_page = _scanned_page(template, tmp_path, tmp_path / "lone.png", 5, PHONE_PAGE_5_TICKED)
    assert (on_page.status == "ok").sum() >= 7, on_page
    reg = Registrar(template).markers_seen(to_grey(photo))
    assert reg.markers_found == 1 and reg.page == 5  # one marker was seen, and named it


def test_phone_photo_with_a_marker_hidden_keeps_its_perspective(pages, registrar, template):
    """Three markers on a tilted photo: an affine map would miss by millimetres."""
    import cv2

    h, w = pages[1].shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[90, 60], [w - 20, 110], [w - 40, h - 20], [20, h - 110]])
    d = cv2.getPerspectiveTransform(src, dst)
    grey = to_grey(distort(_cover_markers(pages[1], template, [0]), d))
    reg = registrar.markers(grey)
    assert reg is not None and reg.markers_found == 3
    assert error_mm(reg.transform, d) < 0.4


@settings(max_examples=30, deadline=None)
@given(height=st.integers(300, 2400), width=st.integers(250, 1700), px_per_mm=st.sampled_from([4.0, 8.0]))
def test_corner_windows_are_the_corners_of_the_downscaled_page(height, width, px_per_mm):
    """The first marker search resamples only the corners; it must see the same pixels
    as resampling the whole page, whatever the image's size (odd, or halving to .5)."""
    from scanner.register import corner_windows, downscale

    grey = np.random.default_rng(height * width).integers(0, 256, (height, width), dtype=np.uint8)
    small, factor = downscale(grey, 297.0 / 2, px_per_mm)  # a half-size page: k from 1 to 4
    windows, window_factor = corner_windows(grey, 297.0 / 2, px_per_mm, 0.32)
    wh, ww = int(small.shape[0] * 0.32), int(small.shape[1] * 0.32)
    assert window_factor == factor
    for window, x0, y0 in windows:
        np.testing.assert_array_equal(window, small[y0:y0 + wh, x0:x0 + ww])


# --- Verification: the transform checked against the page's own print ------------------


def _photo(page: np.ndarray, keep_width: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """`page` photographed at a slant (perspective), the photo's right edge at `keep_width`
    of the image: short of 1, it cuts off the right-hand corner markers."""
    import cv2

    h, w = page.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    d = cv2.getPerspectiveTransform(src, np.float32([[90, 60], [w - 20, 110], [w - 40, h - 20], [20, h - 110]]))
    return distort(page, d)[:, : int(w * keep_width)], d


def _nudged(distortion: np.ndarray, dx_mm: float, dy_mm: float, angle_deg: float, scale: float) -> PageTransform:
    """The true mm-to-pixel transform, first moved in the template by a known amount."""
    off = np.array([[1, 0, 105.0], [0, 1, 148.5], [0, 0, 1]]) @ similarity(scale, angle_deg, dx_mm, dy_mm) \
        @ np.array([[1, 0, -105.0], [0, 1, -148.5], [0, 0, 1]])
    return PageTransform.from_array(distortion @ mm_to_px() @ off)


@pytest.mark.parametrize("nudge", [(0.9, -0.6, 0.25, 1.004), (-1.2, 0.8, -0.2, 0.997)])
def test_verification_measures_the_error_and_refines_it_away(pages, registrar, nudge):
    """A transform off by a known amount (a print fit to the page, a skewed photocopy) is
    seen to be off by its frames, and re-registered on them to within 0.3 mm."""
    photo, d = _photo(pages[3])
    grey = to_grey(photo)
    wrong = _nudged(d, *nudge)
    assert error_mm(wrong, d) > 0.8
    check = registrar.check(grey, wrong, 3)
    assert not check.verified and check.median_mm > 0.5
    reg = registrar.verify(grey, Registration(3, wrong, Method.MARKERS, 4, 0.0))
    assert reg.aligned and reg.check.p90_mm < 0.2
    assert error_mm(reg.transform, d) < 0.3


def test_a_right_transform_is_verified(pages, registrar):
    grey, d = _photo(pages[3])
    reg = registrar.verify(to_grey(grey), registrar.markers(to_grey(grey)))
    assert reg.aligned and reg.check.points >= 0.9 * reg.check.expected and reg.check.p90_mm < 0.2


@pytest.mark.parametrize("nudge", [None, (0.4, -0.3, 0.1, 1.002)])
def test_the_frames_and_marks_of_boxes_are_read_on_one_crop_each(pages, registrar, template, nudge):
    """A box's frame window is cut out of the box's crop for the marks (`Check.box_crops`):
    the very pixels its own warp gives, and the marks read on those crops are the marks
    read on fresh ones (a phone photo's perspective, a transform off by a fraction of a
    millimetre)."""
    from scanner import thresholds as T
    from scanner.marks import BoxPrint, measure_page
    from scanner.register import _window_crop, frame_windows

    assert T.BOX_PX_PER_MM == T.VERIFY_PX_PER_MM  # the windows are cut out at the crops' scale
    assert ((T.PAPER_MARGIN_MM - T.VERIFY_REACH_MM) * T.BOX_PX_PER_MM).is_integer()
    photo, d = _photo(pages[3])
    grey = to_grey(photo)
    transform = registrar.verify(grey, registrar.markers(grey)).transform if nudge is None else _nudged(d, *nudge)
    check = registrar.check(grey, transform, 3)
    boxes = [w for w in frame_windows(template, 3) if all(w.sides)]
    assert boxes and set(check.box_crops) == {w.rect for w in boxes}
    for window in boxes:
        cut = _window_crop(grey, transform, window, check.box_crops)
        own = transform.crop(grey, window.rect, T.VERIFY_PX_PER_MM, margin_mm=T.VERIFY_REACH_MM)
        assert np.array_equal(cut, own), window.rect
    printed = BoxPrint(template).page(3)
    assert (measure_page(grey, transform, template.items_on(3), printed, check.box_crops)
            == measure_page(grey, transform, template.items_on(3), printed))


def _ticked_page(template, image: np.ndarray, page: int) -> dict[str, int]:
    """Ticks the first three items of the page (their second option); the answers."""
    from scans import tick

    answers = {}
    for item in template.items_on(page)[:3]:
        option = item.options[1]
        tick(image, option.box_mm, DPI)
        answers[item.id] = option.code
    return answers


def _scan_image(image: np.ndarray, template, folder) -> dict[str, tuple[str, str, str]]:
    """Scan one photographed page; its items' (value, status, reason) from items.csv."""
    import cv2
    import pandas as pd

    from scanner.pipeline import scan

    path = folder / "photo.png"
    cv2.imwrite(str(path), image)
    scan([path], template, folder / "out", jobs=1, ocr=False)
    items = pd.read_csv(folder / "out" / "items.csv", dtype=str, keep_default_na=False)
    pages = pd.read_csv(folder / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"], pages.reason.tolist()
    return {row.item: (row.value, row.status, row.reason) for row in items.itertuples()}


def test_phone_photo_with_two_markers_cut_off_is_read_right(pages, registrar, template, tmp_path):
    """The photo's edge cuts off the right-hand markers: two markers fix only a similarity,
    millimetres off on a slanted photo; the print re-registers the page and every box is
    read where it is."""
    image = pages[3].copy()
    answers = _ticked_page(template, image, 3)
    photo, d = _photo(image, keep_width=0.93)
    reg = registrar.markers(to_grey(photo))
    assert reg.markers_found == 2 and error_mm(reg.transform, d) > 3  # what the markers alone say
    got = _scan_image(photo, template, tmp_path)
    for item in template.items_on(3):
        expected = (str(answers[item.id]), "ok") if item.id in answers else ("", "blank")
        assert got[item.id][:2] == expected, (item.id, got[item.id])


def test_a_page_that_cannot_be_aligned_goes_to_review(pages, registrar, template, tmp_path):
    """A faded photocopy filled in with a pen and photographed with two markers cut off:
    the markers put the boxes millimetres away, and neither the frames nor the content
    are clear enough to re-register it. Its items go to review, never `ok` or `blank`."""
    image = 255 - ((255 - pages[3].astype(np.float32)) * 0.08).astype(np.uint8)
    _ticked_page(template, image, 3)
    photo, d = _photo(image, keep_width=0.93)
    reg = registrar.markers(to_grey(photo))
    assert reg is not None and error_mm(reg.transform, d) > 3
    got = _scan_image(photo, template, tmp_path)
    on_page = [*(i.id for i in template.items_on(3)), *(c.id for c in template.comments_on(3))]
    assert {got[item][1:] for item in on_page} == {("review", "the page could not be aligned")}, \
        {item: got[item] for item in on_page}


def test_a_faded_page_whose_qr_code_cannot_be_read_is_not_lost(pages, registrar, template, tmp_path):
    """A pale photocopy photographed, its QR code torn off: its print is too light to agree
    with the blank page's by share of ink, but its markers say page 3 and its frames are
    where page 3 prints them, and its print agrees with no other page better."""
    image = 255 - ((255 - pages[3].astype(np.float32)) * 0.18).astype(np.uint8)
    x, y = template.registration.qr_at_mm
    side = template.registration.qr_size_mm
    image[int(y * PX_PER_MM): int((y + side) * PX_PER_MM), int(x * PX_PER_MM): int((x + side) * PX_PER_MM)] = 255
    answers = _ticked_page(template, image, 3)
    photo, _ = _photo(image)
    grey = to_grey(photo)
    reg = registrar.markers(grey)
    assert registrar.content_agreement(grey, reg.transform, 3) < 0.7  # what once lost it
    got = _scan_image(photo, template, tmp_path)
    for item in template.items_on(3):
        expected = (str(answers[item.id]), "ok") if item.id in answers else ("", "blank")
        assert got[item.id][:2] == expected, (item.id, got[item.id])


def _scribble_over(image: np.ndarray, item, rng: random.Random) -> None:
    """A row scribbled over, boxes and all, as a respondent takes an answer back: a pen
    zigzag some 0.8 mm apart, past the boxes by 1.5 to 2.5 mm."""
    import cv2

    boxes = [o.box_mm for o in item.options]
    pad = rng.uniform(1.5, 2.5)
    x0, x1 = min(b[0] for b in boxes) - pad, max(b[0] + b[2] for b in boxes) + pad
    y0, y1 = min(b[1] for b in boxes) - pad, max(b[1] + b[3] for b in boxes) + pad
    step = rng.uniform(0.7, 0.9)
    points = [(x0 + k * step, y0 if k % 2 == 0 else y1) for k in range(int((x1 - x0) / step) + 1)]
    cv2.polylines(image, [np.array([(round(x * PX_PER_MM), round(y * PX_PER_MM)) for x, y in points])], False,
                  (25, 25, 25), thickness=round(0.7 * PX_PER_MM))


def _writing_along_the_top(image: np.ndarray, zone, rng: random.Random) -> None:
    """Writing begun on the zone's top line: a stroke along it, 0.8 to 1.2 mm above, past
    both corners, and words whose letters cross it."""
    import cv2

    x, y, w, _ = zone.box_mm
    above = y - rng.uniform(0.8, 1.2)
    cv2.line(image, (round((x - 3) * PX_PER_MM), round(above * PX_PER_MM)),
             (round((x + w + 3) * PX_PER_MM), round(above * PX_PER_MM)), (20, 20, 20), round(0.6 * PX_PER_MM))
    cv2.putText(image, "I would like more sessions", (round((x + 1) * PX_PER_MM), round((y + 0.8) * PX_PER_MM)),
                cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.9, (30, 30, 30), 2, cv2.LINE_AA)


@pytest.mark.parametrize("seed", [3, int.from_bytes(os.urandom(2), "big")])
def test_ink_over_a_frame_sends_its_field_to_review_as_inked_not_unaligned(pages, template, tmp_path, seed):
    """A row scribbled over and writing along a comment zone's top line hide their frames
    (the ink is taken for them, off where they print): the page is aligned, those two go
    to review saying ink covers their frame (the row, read as several marked, as
    `multiple`), never "the page could not be aligned", and
    every other item is read as usual or reviewed; or, when they hide so many frames that
    the page as a whole is not verified, none of the page is read."""
    from scanner.results import Reason

    rng = random.Random(seed)
    image = pages[3].copy()
    answers = _ticked_page(template, image, 3)
    scribbled = rng.choice(template.items_on(3)[3:])
    zone = rng.choice([z for z in template.comments_on(3) if z.framed])
    _scribble_over(image, scribbled, rng)
    _writing_along_the_top(image, zone, rng)
    got = _scan_image(image, template, tmp_path)
    on_page = [f.id for f in (*template.items_on(3), *template.comments_on(3))]
    if all(got[f][1:] == ("review", Reason.NOT_ALIGNED.value) for f in on_page):
        # The scribble and the writing hid enough of the page's frames that the page as a
        # whole was not verified (some draws): none of it is read, which is safe.
        return
    assert got[zone.id][1:] == ("review", Reason.FRAME_INKED.value), (seed, zone.id, got[zone.id])
    # The scribble inks every box of its row: read as several marked, it stays `multiple`
    # (the review page then offers "several boxes marked", not "blank"), with the frame's doubt.
    assert got[scribbled.id][1:] in {(status, Reason.FRAME_INKED.value) for status in ("review", "multiple")}, \
        (seed, scribbled.id, got[scribbled.id])
    for item in template.items_on(3):
        if item.id != scribbled.id:
            # The scribble may run beside a neighbouring row's boxes: review, never misread.
            expected = (str(answers[item.id]), "ok") if item.id in answers else ("", "blank")
            assert got[item.id][:2] == expected or got[item.id][1] == "review", (seed, item.id, got[item.id])
    assert Reason.NOT_ALIGNED.value not in {reason for _, _, reason in got.values()}, seed


def test_an_item_moved_by_a_fold_goes_to_review_alone(pages, template, tmp_path):
    """A fold across one question moves its strip of the page 3 mm sideways: the page as a
    whole is verified, but that item's own frames are not where it puts them; that item
    goes to review, the rest is read."""
    image = pages[3].copy()
    answers = _ticked_page(template, image, 3)
    moved = template.items_on(3)[1]
    top, bottom = (int((moved.options[0].box_mm[1] + dy) * PX_PER_MM) for dy in (-2.0, 7.0))
    image[top:bottom] = np.roll(image[top:bottom], int(3.0 * PX_PER_MM), axis=1)
    got = _scan_image(image, template, tmp_path)
    assert got[moved.id][1:] == ("review", "the page could not be aligned"), got[moved.id]
    for item in template.items_on(3):
        if item.id != moved.id:
            expected = (str(answers[item.id]), "ok") if item.id in answers else ("", "blank")
            assert got[item.id][:2] == expected, (item.id, got[item.id])


def test_a_300_dpi_scan_of_the_word_forms_page_1_keeps_its_small_text(tmp_path_factory, tmp_path):
    """`tests/data/wordform-page1-300dpi.pdf`: a generated 300-dpi greyscale scan of the word
    form's page 1 on pink paper. Resampled straight from 12 px/mm to the 3 px/mm of the
    content check, the thin strokes of its small "Please comment" fell between the pixels
    read, and the page was `unrecognised` as "a page of another form printed alike?"."""
    import pandas as pd
    from editor_form import drafted

    from scanner.pipeline import scan
    from scanner.template import load_template

    wordform = load_template(drafted(tmp_path_factory.getbasetemp()))
    scan([DATA / "wordform-page1-300dpi.pdf"], wordform, tmp_path / "out", jobs=1, ocr=False)
    pages = pd.read_csv(tmp_path / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == ["1"], pages.reason.tolist()


def test_a_motion_blurred_phone_photo_of_the_word_forms_page_2_is_told_from_page_1(tmp_path_factory, tmp_path):
    """`tests/data/wordform-phone-page2-blurred-300dpi.pdf`: a generated 300-dpi phone photo
    of the word form's page 2, motion-blurred (1.7 px). Its print told it from page 1 on
    too few features (19 and 13); fitted on each, page 2 fit with its frames where it
    prints them (0.07 mm) and page 1 not at all, but the blur kept page 2's print at 57%
    agreement, under AGREEMENT_MIN, and the page was `unrecognised` as "almost alike".
    Read as page 2, every answer claimed is its truth."""
    import json

    import pandas as pd
    from editor_form import drafted

    from scanner.draft import draft_correspondence, truth_template
    from scanner.pipeline import scan
    from scanner.template import layout, load_template

    wordform = load_template(drafted(tmp_path_factory.getbasetemp()))
    truth = truth_template(json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8")))
    scan([DATA / "wordform-phone-page2-blurred-300dpi.pdf"], wordform, tmp_path / "out", jobs=1, ocr=False)
    pages = pd.read_csv(tmp_path / "out" / "pages.csv", dtype=str, keep_default_na=False)
    assert list(pages.status) == ["used"] and list(pages.form_page) == ["2"], pages.reason.tolist()
    # The sheet's truth (seed 1958176577, s0071): q07 is 2 with a tick rubbed out in 1.
    answers = {"q05a": "3", "q05b": "2", "q05c": "1", "q07": "2", "q08": "2"}
    fields = draft_correspondence(wordform, layout(truth))
    items = pd.read_csv(tmp_path / "out" / "items.csv", dtype=str, keep_default_na=False)
    claimed = {fields[r.item][0]: fields[r.item][1].get(r.value, r.value)
               for r in items.itertuples() if r.status == "ok" and r.item in fields and r.item.split("_")[-1] != "comment"}
    assert claimed and all(answers[item] == value for item, value in claimed.items()), claimed


def test_a_phone_photo_refined_on_its_frames_does_not_slip_a_row_from_its_markers(template, tmp_path):
    """`tests/data/phone-page3-slipped-a-row.pdf`: a generated 150-dpi phone photo of form
    page 3, motion blurred, only its two left-hand markers seen. Their similarity missed the
    right-hand boxes by up to 8.6 mm (the perspective), and the fit on the frames seen took
    each row's boxes for the next row's: tick boxes repeat down the page, so the page
    verified 8 mm low (p90 0.15 mm), the markers it was fitted through 7.5 mm off. Four of
    its items were read from the row below, `ok` (seed 301427206, sheet s0007)."""
    _scanned_page(template, tmp_path, DATA / "phone-page3-slipped-a-row.pdf", 3, PHONE_PAGE_3_MARKED)
