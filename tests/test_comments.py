"""Comment zones: written or blank (specks and the frame are not writing), and real OCR."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner import thresholds as T
from scanner import comments
from scanner.comments import CommentReader, _by_disc_of, _disc, _clear_of_codes, decide_comment
from scanner.geometry import PageTransform
from scanner.load import load_page, page_task
from scanner.ocr import InProcessEngine, NullEngine, TesseractEngine, make_engine
from scanner.reader import PageReader
from scanner.render import page_raster
from scanner.synth.ink import Hand, Ink
from scanner.synth.page import fill_page
from scanner.synth.respondents import CommentAnswer, Effect
from scanner.template import Template
from scanner.results import CommentReading, Reason, Status

DATA = Path(__file__).parent / "data"
DPI = 200
PX_PER_MM = DPI / 25.4


@pytest.fixture(scope="module")
def page(template):
    return cv2.cvtColor(page_raster(template, 2, DPI), cv2.COLOR_BGR2GRAY)


@pytest.fixture(scope="module")
def zones(template):
    return template.comments_on(2)


def identity() -> PageTransform:
    return PageTransform.from_array(np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]]))


def px(x: float, y: float) -> tuple[int, int]:
    return int(round(x * PX_PER_MM)), int(round(y * PX_PER_MM))


def write(image, zone, text, scale=1.3, thickness=3):
    x, y, w, h = zone.box_mm
    cv2.putText(image, text, px(x + 3, y + h * 0.65), cv2.FONT_HERSHEY_SIMPLEX, scale, 20, thickness, cv2.LINE_AA)


@pytest.mark.parametrize("diameter", [6, 12, 17, 18, 24, 25, 30.5, 36, 48, 72])
@pytest.mark.parametrize("op", [cv2.MORPH_CLOSE, cv2.MORPH_OPEN, cv2.MORPH_DILATE, cv2.MORPH_ERODE])
def test_a_zone_is_passed_by_a_disc_as_opencv_passes_it(diameter, op):
    # Writing and print on a shaded, grainy paper, ink to the image's edges, and the same
    # as a mask (the writing's strokes, the dust around them): passed by the disc's parts,
    # OpenCV's every pixel, border included.
    rng = np.random.default_rng(round(diameter * 10) + op)
    paper = np.linspace(150, 240, 700)[None, :] + rng.normal(0, 8, (300, 700))
    image = np.clip(paper, 0, 255).astype(np.uint8)
    for _ in range(40):
        x, y = rng.integers(-20, 700), rng.integers(-20, 300)
        cv2.line(image, (int(x), int(y)), (int(x + rng.integers(-60, 60)), int(y + rng.integers(-30, 30))),
                 int(rng.integers(0, 120)), int(rng.integers(1, 6)))
    for pixels in (image, (image < 120).astype(np.uint8)):
        assert np.array_equal(_by_disc_of(pixels, diameter, op), cv2.morphologyEx(pixels, op, _disc(diameter)))


@pytest.mark.parametrize("seed", [4, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_zone_cleaned_through_the_table_is_the_arithmetic_s_to_the_byte(seed):
    """A fine zone is cleaned by looking each pixel up by its grey and its paper's: the
    bytes of the darkness worked out pixel by pixel and cleaned, at every grey and paper."""
    rng = np.random.default_rng(seed)
    for s in comments.SCALES:
        shape = (round(30 * s), round(180 * s))
        paper = np.broadcast_to(np.linspace(0, 255, shape[1]), shape)  # every grey of paper, and ink on it
        crop = np.where(rng.random(shape) < 0.3, rng.random(shape) * paper, paper).astype(np.uint8)
        paper = comments._paper(crop, s)
        assert np.array_equal(comments._cleaned(crop, paper), comments._clean(comments._darkness_against(paper, crop)))



@pytest.mark.parametrize("seed", [6, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_written_zone_cleaned_against_its_coarse_paper_is_cleaned_as_against_its_own(page, zones, seed):
    """A written zone is cleaned against the paper its coarse look found, resampled: on
    grainy paper under a shadow, its ink where closing the fine crop itself puts it (all
    but two pixels in a thousand at most), its bytes lighter by 1 to 3 grey levels on
    average (the fine closing's maximum, over four times the pixels, reaches further into
    the grain). The grain is drawn up to 4 grey levels: at 5 to 6 under a deep shadow,
    0.2 to 1.2% of the pixels lie so near the ink grey that the two papers' 1-3 levels
    move them across it (8 of 60 draws), a limit of the check, not of the cleaning."""
    rng = np.random.default_rng(seed)
    coarse, fine = comments.SCALES
    image = page.copy()
    for zone in zones:
        write(image, zone, "Joint training helps"[: rng.integers(4, 20)], scale=rng.uniform(0.5, 1.3),
              thickness=int(rng.integers(1, 4)))
    h, w = image.shape
    shadow = np.clip(np.linspace(rng.uniform(0.5, 0.8), 1.0, w)[None, :] + rng.uniform(-0.1, 0.1), 0, 1)
    noisy = np.clip(image * shadow + rng.normal(0, rng.uniform(1, 4), image.shape), 0, 255).astype(np.uint8)
    transform = identity()
    for zone in zones:
        box = comments._grow(zone.box_mm, T.COMMENT_MARGIN_MM)
        crop = transform.crop(noisy, box, fine)
        own = comments._cleaned(crop, comments._paper(crop, fine))
        resampled = comments._cleaned(crop, comments._finer(comments._paper(transform.crop(noisy, box, coarse), coarse),
                                                             crop.shape))
        ink = comments._grey_of(T.FAINT_INK_DARKNESS)  # as OCR's stack and its unread writing count it
        assert np.mean((own < ink) != (resampled < ink)) < 0.002, (seed, zone.id)
        assert np.mean(np.abs(own.astype(int) - resampled)) < 3.5, (seed, zone.id)


def _blank_appearances(template) -> dict:
    reader = CommentReader(template, NullEngine())
    for zone in template.comments:
        for s in comments.SCALES:
            reader._printed_mask(zone, s)
    return {key: (reader._printed[key], reader._print_around[key]) for key in reader._printed}


def test_a_zone_s_blank_appearance_is_the_same_drawn_without_the_codes_far_from_it(template, template_data,
                                                                                  monkeypatch):
    # A zone moved up beside the QR code has it in its surroundings: its page is drawn with
    # its codes; the shipped form's zones all lie clear of them, and their pages are drawn
    # without. Either way each zone's blank appearance is what the whole page's drawing gives.
    template_data["comments"][0]["box_mm"] = [120, 16, 65, 12]
    beside_qr = Template.model_validate(template_data)
    assert all(_clear_of_codes(template, page) for page in template.page_numbers)
    assert not _clear_of_codes(beside_qr, 1)
    for form in (template, beside_qr):
        seen = _blank_appearances(form)
        with monkeypatch.context() as m:
            m.setattr(comments, "_clear_of_codes", lambda *_: False)
            drawn = _blank_appearances(form)
        for key, (printed, around) in drawn.items():
            assert np.array_equal(seen[key][0], printed) and np.array_equal(seen[key][1], around), key


def test_blank_zones_with_specks_and_a_shifted_frame_are_blank(template, page, zones):
    image = page.copy()
    rng = np.random.default_rng(3)
    x, y, w, h = zones[0].box_mm
    for _ in range(25):  # dust: dots of about 0.2 mm
        cx, cy = px(x + rng.uniform(2, w - 2), y + rng.uniform(2, h - 2))
        cv2.circle(image, (cx, cy), 1, 40, -1)
    # The frame seen 0.4 mm off where the template says (a registration error).
    shifted = PageTransform.from_array(identity().array @ np.array([[1, 0, 0.4], [0, 1, 0.4], [0, 0, 1]]))
    for reading in CommentReader(template, NullEngine()).read_page(image, shifted, zones):
        assert decide_comment(reading).status is Status.BLANK, reading


def test_written_zone_is_found_and_cropped_without_ocr(template, page, zones):
    image = page.copy()
    write(image, zones[1], "Joint training helps")
    readings = CommentReader(template, NullEngine()).read_page(image, identity(), zones)
    written = [r for r in readings if decide_comment(r).status is not Status.BLANK]
    assert [r.item for r in written] == [zones[1].id]
    assert written[0].crop is not None and cv2.imdecode(np.frombuffer(written[0].crop, np.uint8), 0) is not None
    assert decide_comment(written[0]).reason is Reason.NOT_READ


def test_a_tiny_stray_mark_is_flagged_not_read_as_writing(template, page, zones):
    image = page.copy()
    x, y, w, h = zones[2].box_mm
    cv2.line(image, px(x + 10, y + 6), px(x + 13, y + 7), 30, 3, cv2.LINE_AA)
    reading = next(r for r in CommentReader(template, NullEngine()).read_page(image, identity(), zones) if r.item == zones[2].id)
    assert decide_comment(reading).status in (Status.BLANK, Status.REVIEW)
    assert decide_comment(reading).status is not Status.OK


def test_writing_over_the_frame_line_counts_as_written(template, page, zones):
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    # Text whose baseline sits on the frame's top line, as people write on lines.
    cv2.putText(image, "Clear referral routes would save time", px(x + 3, y + 0.3), cv2.FONT_HERSHEY_SIMPLEX,
                0.9, 40, 2, cv2.LINE_AA)
    reading = next(r for r in CommentReader(template, NullEngine()).read_page(image, identity(), zones)
                   if r.item == zones[1].id)
    assert decide_comment(reading).status is not Status.BLANK, reading


@pytest.mark.parametrize("engine_type", [InProcessEngine, TesseractEngine], ids=["in-process", "command"])
def test_printed_comments_are_transcribed_by_tesseract_in_one_call(template, page, zones, engine_type):
    image = page.copy()
    texts = {zones[0].id: "More joint training would help", zones[3].id: "Different IT systems make sharing hard"}
    for zone in zones:
        if zone.id in texts:
            write(image, zone, texts[zone.id], scale=1.1, thickness=2)
    engine = engine_type()
    calls = []
    original = engine.read
    engine.read = lambda img: calls.append(img.shape) or original(img)
    readings = {r.item: r for r in CommentReader(template, engine).read_page(image, identity(), zones)}
    assert len(calls) == 1
    for item, text in texts.items():
        result = decide_comment(readings[item])
        assert result.value == text and result.status is Status.OK, result
    assert all(decide_comment(r).status is Status.BLANK for i, r in readings.items() if i not in texts)


def test_ocr_runs_in_process_when_tesserocr_is_installed():
    assert make_engine(True).name == "tesserocr"


def test_ocr_falls_back_to_the_tesseract_command_without_tesserocr(monkeypatch):
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # what `import tesserocr` sees when it is not installed
    engine = make_engine(True)
    assert engine.name == "tesseract"
    image = np.full((120, 900), 255, np.uint8)
    cv2.putText(image, "Joint training helps", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3, cv2.LINE_AA)
    assert " ".join(w.text for w in engine.read(image)) == "Joint training helps"


def test_confident_transcription_with_misspelt_words_goes_to_review():
    """Tesseract can be sure of a misread letter ("lanauaae"); a dictionary is not."""
    from scanner.ocr import Lexicon
    from scanner.results import CommentReading

    lexicon = Lexicon.system()
    assert lexicon is not None, "install a word list: apt-get install wbritish"
    text = "The speech and lanauaae team is stretched"
    assert lexicon.unknown(text) == ("lanauaae",)
    assert lexicon.unknown("Parents' views, the board's minutes and well-being: 2 visits.") == ()
    reading = CommentReading("q01_comment", 40.0, text, 0.91, True, lexicon.unknown(text))
    result = decide_comment(reading)
    assert (result.status, result.reason, result.value) == (Status.REVIEW, Reason.UNKNOWN_WORDS, text)


def test_stray_symbols_read_at_a_comment_s_end_send_it_to_review():
    """Tesseract reads a speck or the frame's edge as "\\ \\" with full confidence; no word
    list can vouch for a token with no letter or digit in it (a fresh accuracy seed read
    one `ok`, more than 5% wrong). Ordinary signs in handwriting still pass."""
    from scanner.ocr import Lexicon

    lexicon = Lexicon.system()
    assert lexicon is not None, "install a word list: apt-get install wbritish"
    assert lexicon.unknown("More joint visits with health visitors \\ \\") == ("\\", "\\")
    assert lexicon.unknown("Staff ~ parents | meet") == ("~", "|")
    assert lexicon.unknown("Staff & parents - 50% / half, + more... (2 visits) £5!") == ()


def test_signs_read_after_a_comment_s_last_word_send_it_to_review():
    """A staple or dust at the end of a printed comment was read "/ /" and the comment
    reported `ok`, 6% wrong (seed 764588028, s0001 q14_comment). A sign a respondent writes
    stands between words; one at either end of the text, or beside another sign, is a mark."""
    from scanner.ocr import Lexicon

    lexicon = Lexicon.system()
    assert lexicon is not None, "install a word list: apt-get install wbritish"
    text = "Staff from different agencies have different pay and conditions. / /"
    assert lexicon.unknown(text) == ("/", "/")
    assert lexicon.unknown("/ Staff meet") == ("/",)
    assert lexicon.unknown("Staff meet weekly &") == ("&",)
    assert lexicon.unknown("Staff / parents meet & talk") == ()


def shadow(image, zone, share, strength, blur_px, margin_mm=10.0):
    """A hand's or a phone's shadow with a soft edge over the left `share` of `zone`
    (and `margin_mm` around it), darkening the page by up to `strength`."""
    x, y, w, h = zone.box_mm
    cover = np.zeros_like(image, np.float32)
    cv2.rectangle(cover, px(x - margin_mm, y - margin_mm), px(x + w * share, y + h + margin_mm), 1.0, -1)
    image[:] = (image * (1 - strength * cv2.GaussianBlur(cover, (0, 0), blur_px))).astype(np.uint8)


def test_a_crease_a_shadow_and_dust_over_blank_zones_are_not_writing(template, page, zones):
    image = page.copy()
    h, w = image.shape
    # A letter fold flattened again: a thin dark ridge straight down the whole page.
    cv2.line(image, (w // 2, 0), (w // 2 + 8, h), 120, 2, cv2.LINE_AA)
    # A hand's shadow over the second zone: a broad dark area with a soft edge.
    shadow(image, zones[1], 0.5, 0.45, 8, margin_mm=5.0)
    # Dust on the glass over the third zone: grains of up to 0.5 mm² each, apart.
    x, y, zw, zh = zones[2].box_mm
    for k in range(12):
        cv2.circle(image, px(x + 4 + 11 * k, y + 3 + (k % 3) * 4), 3, 60, -1)
    for reading in CommentReader(template, NullEngine()).read_page(image, identity(), zones):
        assert decide_comment(reading).status is Status.BLANK, reading


def test_light_pencil_writing_next_to_a_crease_is_still_written(template, page, zones):
    image = page.copy()
    h, w = image.shape
    cv2.line(image, (w // 2, 0), (w // 2 + 8, h), 120, 2, cv2.LINE_AA)
    write(image, zones[1], "no thanks", scale=0.5, thickness=1)
    x, y, zw, zh = zones[1].box_mm
    image[px(0, y)[1]:px(0, y + zh)[1]] = np.maximum(image[px(0, y)[1]:px(0, y + zh)[1]], 150)  # light pencil
    reading = next(r for r in CommentReader(template, NullEngine()).read_page(image, identity(), zones)
                   if r.item == zones[1].id)
    assert decide_comment(reading).status is not Status.BLANK, reading


def _read_zone(template, image, zone):
    return next(r for r in CommentReader(template, NullEngine()).read_page(image, identity(), [zone]))


def test_dust_grains_lying_together_and_smeared_by_motion_blur_are_not_writing(template, page, zones):
    """Grains of up to 0.8 mm within a few mm of each other add up to more than any one
    grain; blurred on a phone photo each is a solid streak. None has a letter's turns."""
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    for k, (dx, dy) in enumerate([(20, 5), (22, 7), (23.5, 4.5), (60, 9), (61.5, 10), (63, 8.5)]):
        cv2.circle(image, px(x + dx, y + dy), 3, 40, -1, cv2.LINE_AA)
    blurred = cv2.filter2D(image, -1, np.full((1, 9), 1 / 9))  # a 1.1 mm horizontal motion blur
    for image in (image, blurred):
        reading = _read_zone(template, image, zones[1])
        assert decide_comment(reading).status is Status.BLANK, reading


def test_a_hair_and_a_broken_crease_across_a_blank_zone_are_not_writing(template, page, zones):
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    # A hair: 0.08 mm thick, grey, a long gentle curve over the zone.
    t = np.linspace(0, 1, 60)
    hair = np.column_stack([x + 30 + 40 * t, y + 4 + 8 * t ** 2]) * PX_PER_MM
    cv2.polylines(image, [np.round(hair * 16).astype(np.int32)], False, 170, 1, cv2.LINE_AA, 4)
    # A fold's ridge, faint and broken into dashes (its shadow is not even along it).
    cx = x + 100
    for top in np.arange(y - 2, y + h + 2, 2.5):
        cv2.line(image, px(cx, top), px(cx, top + 1.6), 150, 1, cv2.LINE_AA)
    reading = _read_zone(template, image, zones[1])
    assert decide_comment(reading).status is Status.BLANK, reading



@pytest.mark.parametrize("shade, blur_px", [(20, 0.5), (20, 0.8), (60, 0.8), (60, 1.2)])
def test_a_dark_hair_with_dust_beside_it_across_a_blank_zone_is_not_writing(template, page, zones, shade, blur_px):
    """Seeds 611216245, 764588028, 611698323, 15547345: 45 of 69 blank zones sent to review
    as "writing or a stray mark?" held a hair: a thin line in the usual ink, but wide and
    turning in fainter ink, where it and the dust grains beside it passed for writing."""
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    t = np.linspace(0, 1, 80)
    hair = np.column_stack([x + 60 + 6 * np.sin(3 * t), y - 3 + (h + 6) * t]) * PX_PER_MM
    cv2.polylines(image, [np.round(hair * 16).astype(np.int32)], False, shade, 1, cv2.LINE_AA, 4)
    for dx, dy in [(57, 4), (66, 9), (62, 12)]:
        cv2.circle(image, px(x + dx, y + dy), 1, 60, -1, cv2.LINE_AA)
    reading = _read_zone(template, cv2.GaussianBlur(image, (0, 0), blur_px), zones[1])
    assert decide_comment(reading).status is Status.BLANK, reading


def test_light_writing_beside_a_dark_hair_is_not_blank(template, page, zones):
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    # The hair runs through the writing: the letters it crosses are left out with it, not the rest.
    cv2.line(image, px(x + 60, y - 3), px(x + 64, y + h + 3), 20, 1, cv2.LINE_AA)
    cv2.putText(image, "no thanks", px(x + 55, y + h * 0.6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 150, 1, cv2.LINE_AA)
    reading = _read_zone(template, cv2.GaussianBlur(image, (0, 0), 0.8), zones[1])
    assert decide_comment(reading).status is not Status.BLANK, reading

def test_small_light_writing_beside_dust_is_not_blank(template, page, zones):
    image = page.copy()
    x, y, w, h = zones[2].box_mm
    for dx in (5, 7, 9):
        cv2.circle(image, px(x + dx, y + 4), 3, 40, -1, cv2.LINE_AA)
    cv2.putText(image, "no thanks", px(x + 20, y + h * 0.6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 150, 1, cv2.LINE_AA)
    reading = _read_zone(template, image, zones[2])
    assert decide_comment(reading).status is not Status.BLANK, reading


@pytest.mark.parametrize("off_mm", [0.0, 0.8])
def test_a_word_written_across_the_frames_top_line_and_the_prompt_is_not_blank(template, page, zones, off_mm):
    """The form's print is masked wider than itself (registration error): a light word
    written across the top line, under the prompt, was hidden whole and read blank."""
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    cv2.putText(image, "Joint visits", px(x + 3, y + 0.8), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 150, 1, cv2.LINE_AA)
    # Registered `off_mm` off, as a phone photo may be.
    shifted = PageTransform.from_array(identity().array @ np.array([[1, 0, off_mm], [0, 1, off_mm], [0, 0, 1]]))
    reading = CommentReader(template, NullEngine()).read_page(image, shifted, [zones[1]])[0]
    result = decide_comment(reading)
    assert (result.status, result.reason) == (Status.REVIEW, Reason.MAYBE_WRITTEN), reading
    assert reading.crop is not None


def test_a_comment_written_in_a_phones_shadow_is_not_blank(template, page, zones):
    """Darkness was measured against the crop's paper: a shadow over most of the zone read
    as ink, broad, and taken away with the writing in it."""
    image = page.copy()
    write(image, zones[1], "Health visitors talk more often", scale=0.9, thickness=2)
    shadow(image, zones[1], 0.7, 0.5, 20)
    result = decide_comment(_read_zone(template, image, zones[1]))
    assert result.status is not Status.BLANK, result


def test_words_in_a_phones_shadow_are_transcribed_with_the_rest(template, page, zones):
    """OCR was given the zone cleaned against the crop's paper: the words under a shadow
    stayed dark on grey and Tesseract left them out, sure of the rest (seed 481558974,
    s0013 q08_comment: "Community members bring a different view." reported `ok` for a
    line that starts "Agencies still protect their own budgets.")."""
    image = page.copy()
    write(image, zones[1], "Joint visits helped families a lot", scale=0.9, thickness=2)
    shadow(image, zones[1], 0.45, 0.6, 6)
    reading = CommentReader(template, make_engine(True)).read_page(image, identity(), [zones[1]])[0]
    assert reading.text.split()[:2] == ["Joint", "visits"], reading


def test_a_zone_partly_outside_the_picture_goes_to_review(template, page, zones):
    """A phone photo that cuts the page's edge leaves part of a zone out of the picture:
    what is there was read confidently and reported `ok`, its start missing (seed
    714153647, s0003 q04_comment: "made too far away from the front line."). Blank, the
    zone could hide writing in the part not seen."""
    image = page.copy()
    x, y, w, h = zones[1].box_mm
    write(image, zones[1], "Joint visits helped families a lot", scale=0.9, thickness=2)
    cut = image[:, px(x + w * 0.2, y)[0]:].copy()  # the photo's edge runs through the zone
    shift = PageTransform.from_array(np.array([[1, 0, -px(x + w * 0.2, y)[0]], [0, 1, 0], [0, 0, 1]]) @ identity().array)
    for picture in (cut, np.full_like(cut, 235)):
        reading = CommentReader(template, make_engine(True)).read_page(picture, shift, [zones[1]])[0]
        result = decide_comment(reading)
        assert (result.status, result.reason) == (Status.REVIEW, Reason.CUT_OFF), (reading, result)


def test_a_line_in_a_light_pencil_hand_is_read_as_writing(template, page, zones):
    """Strokes mostly lighter than the ink threshold: seen on a second look, and a whole line
    of them is writing, for OCR and its confidence to decide (not "writing or a stray mark?")."""
    image = page.copy()
    write(image, zones[1], "Sustainability of services worries all of us", scale=0.8, thickness=1)
    x, y, w, h = zones[1].box_mm
    top, bottom = px(0, y + 1)[1], px(0, y + h - 1)[1]
    image[top:bottom] = np.maximum(image[top:bottom], 218)  # grey 218 of 255: darkness 0.14
    reading = _read_zone(template, image, zones[1])
    result = decide_comment(reading)
    assert (result.status, result.reason) == (Status.REVIEW, Reason.NOT_READ), reading
    assert reading.ink_mm2 >= T.FAINT_WRITTEN_MM2 and reading.crop is not None


def _light_pencil_phone_photo(page, zone, text):
    """`text` in a light pencil hand (a thin stroke at 0.3 of a pencil's grey) in `zone`,
    the page then photographed in grey by a phone: dim, a 1.5 mm motion blur, noise, JPEG."""
    layer = np.full_like(page, 255)
    write(layer, zone, text, scale=1.0, thickness=1)
    cover = (255 - layer.astype(np.float32)) / 235
    image = page.astype(np.float32) * 0.75
    image -= 0.3 * cover * (image - 118 * 0.75)
    n = round(1.5 * PX_PER_MM) | 1
    blur = np.zeros((n, n), np.float32)
    cv2.line(blur, (0, n // 4), (n - 1, n - 1 - n // 4), 1.0, 1, cv2.LINE_AA)
    image = cv2.filter2D(image, -1, blur / blur.sum())
    image += np.random.default_rng(5).normal(0, 2.5, image.shape)
    photo = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 76])[1]
    return cv2.imdecode(photo, cv2.IMREAD_GRAYSCALE)


def test_a_light_pencil_line_blurred_on_a_phone_photo_is_read_as_writing(template, page, zones):
    """Light, thin strokes smeared by motion blur are darker than FAINT_INK_DARKNESS only in
    specks: the zone read blank, confidence 1.0 (seed 611216245, s0125 q19_comment). Its
    whole strokes are plain writing, read as such; the blank zones beside it stay blank."""
    image = _light_pencil_phone_photo(page, zones[1], "Not enough rooms to run groups in. Different professional languages")
    readings = CommentReader(template, NullEngine()).read_page(image, identity(), zones)
    written = decide_comment(readings[1])
    assert (written.status, written.reason) == (Status.REVIEW, Reason.NOT_READ), readings[1]
    assert readings[1].ink_mm2 >= T.FAINT_WRITTEN_MM2 and readings[1].crop is not None
    for reading in readings[:1] + readings[2:]:
        assert decide_comment(reading).status is Status.BLANK, reading



PRINTED = "Staff from different agencies have different pay and conditions."


def fold(image, x_mm, darkness, dpi):
    """A letter fold flattened again, upright at `x_mm`: the ridge's dark line, a light band beside it."""
    d = np.arange(image.shape[1]) / (dpi / 25.4) - x_mm
    gain = 1 - darkness * np.exp(-(((d - 0.15) / 0.3) ** 2)) + 0.05 * np.exp(-(((d + 0.9) / 0.8) ** 2))
    return np.clip(image * gain[None, :] + 0.5, 0, 255).astype(np.uint8)


def _printed_zone(template, fold_at_mm=None, darkness=0.0, dpi=300):
    """q03's zone with PRINTED in it (DejaVu Sans, as the generator prints comments), read
    by Tesseract; a fold `fold_at_mm` from the zone's left edge when given."""
    zone = next(z for z in template.comments_on(1) if z.id == "q03_comment")
    image = fill_page(template, 1, {}, {zone.id: PRINTED}, dpi=dpi, greyscale=True)
    if fold_at_mm is not None:
        image = fold(image, zone.box_mm[0] + fold_at_mm, darkness, dpi)
    scale = dpi / 25.4
    transform = PageTransform.from_array(np.array([[scale, 0, -0.5], [0, scale, -0.5], [0, 0, 1]]))
    return CommentReader(template, make_engine(True)).read_page(image, transform, [zone])[0]


# "pay" spans 81.5 to 87.5 mm from the zone's left edge on this render; Tesseract 5, given
# the zones at OCR_PX_PER_MM (7), leaves it out whole with the fold at these places, and is
# sure of every other word (at 12 px/mm it did at 82.5 mm, darkness 0.35 to 0.7).
@pytest.mark.parametrize("at_mm, darkness", [(81.5, 0.35), (82.0, 0.85), (84.0, 0.7)])
def test_a_printed_word_left_out_by_ocr_where_a_fold_crosses_it_is_not_read_ok(template, at_mm, darkness):
    """Seed 611698323: a printed comment read without "pay", cut by a fold, was `ok`."""
    reading = _printed_zone(template, at_mm, darkness)
    result = decide_comment(reading)
    assert result.status is not Status.OK or "pay" in result.value.split(), result
    if "pay" not in reading.text.split():
        assert reading.unread_mm2 >= T.UNREAD_INK_MM2, reading


def _phone_photo(template, zone, text, dpi, blur_mm, fold_mm=None):
    """The page of `zone` with `text` printed in it (as the generator prints comments), a
    fold upright `fold_mm` from the zone's left edge when given, photographed by a phone in
    grey at `dpi`: dim, soft, a level motion blur `blur_mm` long, JPEG. With its transform."""
    image = fill_page(template, zone.page, {}, {zone.id: text} if text else {}, dpi=dpi, greyscale=True)
    if fold_mm is not None:
        image = fold(image, zone.box_mm[0] + fold_mm, 0.35, dpi)
    image = cv2.GaussianBlur((image * 0.82).astype(np.uint8), (0, 0), 0.74)
    n = round(blur_mm * dpi / 25.4)
    image = cv2.filter2D(image, -1, np.full((1, n), 1 / n), borderType=cv2.BORDER_REPLICATE)
    image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1], cv2.IMREAD_GRAYSCALE)
    scale = dpi / 25.4
    return image, PageTransform.from_array(np.array([[scale, 0, -0.5], [0, scale, -0.5], [0, 0, 1]]))


def _random_blur(seed: int) -> tuple[int, float]:
    rng = np.random.default_rng(seed)
    return int(rng.integers(130, 151)), float(rng.uniform(1.0, 2.0))


@pytest.mark.parametrize("dpi, blur_mm", [(150, 1.8), (150, 2.0), (130, 1.4), (138, 1.6),
                                          _random_blur(int(np.random.SeedSequence().entropy % 2**31))])
def test_printed_words_smeared_along_their_line_by_motion_blur_are_not_blank(template, dpi, blur_mm):
    """Fresh seed 367658525, s0048 role_detail: a printed comment on a 150-dpi phone photo
    blurred along its line. Its letters run into one another in bands as long as a fold's
    ridge, and the line rule took every long word away: what was left was solid, as dust
    is, and the zone read blank at 1.0 with 133 mm² of ink in it. Bands as thick as a line
    of words are not a fold's: the zone goes to review. At 138 dpi, 1.6 mm, even those
    bands filled 0.80 of their hulls or more, as dust does; a fold's ridge fills all of its."""
    zone = next(z for z in template.comments if z.id == "role_detail")
    image, transform = _phone_photo(template, zone, "Childminders should be involved much more", dpi, blur_mm)
    reading = CommentReader(template, NullEngine()).read_page(image, transform, [zone])[0]
    assert decide_comment(reading).status is Status.REVIEW, reading


@pytest.mark.parametrize("seed", [8, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_fold_blurred_across_a_blank_zone_on_a_phone_photo_is_not_writing(template, seed):
    """A fold's ridge smeared across itself by motion blur widens, but stays thinner than a
    line of words: the blank zone it crosses stays blank."""
    rng = np.random.default_rng(seed)
    zone = next(z for z in template.comments if z.id == "role_detail")
    for dpi, blur_mm in ((150, 1.6), (int(rng.integers(130, 201)), float(rng.uniform(0.5, 1.8)))):
        image, transform = _phone_photo(template, zone, "", dpi, blur_mm, fold_mm=float(rng.uniform(5, 165)))
        reading = CommentReader(template, NullEngine()).read_page(image, transform, [zone])[0]
        assert decide_comment(reading).status is Status.BLANK, (seed, dpi, blur_mm, reading)


def _handwritten_zone(template, text, font, fade_from_mm, fade, dpi=300):
    """q03's zone with `text` in `font` (one of the generator's hands), its ink `fade` as
    dark from `fade_from_mm` past the zone's left edge on (a pencil pressed lighter as the
    line goes on, the light falling off across a photo), read by Tesseract."""
    zone = next(z for z in template.comments_on(1) if z.id == "q03_comment")
    answer = CommentAnswer(zone.id, zone.page, (text,), Effect.HANDWRITING, Ink.BLACK, Hand(font, 3.0))
    image = fill_page(template, zone.page, {}, {zone.id: answer}, dpi=dpi, greyscale=True)
    scale = dpi / 25.4
    x = round((zone.box_mm[0] + fade_from_mm) * scale)
    image[:, x:] = (255 - (255 - image[:, x:].astype(np.float32)) * fade).astype(np.uint8)
    transform = PageTransform.from_array(np.array([[scale, 0, -0.5], [0, scale, -0.5], [0, 0, 1]]))
    return CommentReader(template, make_engine(True)).read_page(image, transform, [zone])[0]


def _random_fade(seed: int) -> tuple[str, float, float]:
    rng = np.random.default_rng(seed)
    return str(rng.choice(["ComicNeue-Regular.otf", "ComicNeue-Light.otf", "ComicNeue-Italic.otf"])), \
        float(rng.uniform(40, 80)), float(rng.uniform(0.2, 0.35))


@pytest.mark.parametrize("font, fade_from_mm, fade", [("ComicNeue-Regular.otf", 60, 0.3),
                                                      ("ComicNeue-Light.otf", 50, 0.28),
                                                      ("ComicNeue-Italic.otf", 70, 0.25),
                                                      ("ComicNeue-Light.otf", 46, 0.25),
                                                      _random_fade(int(np.random.SeedSequence().entropy % 2**31))])
def test_handwriting_lighter_as_its_line_goes_on_is_not_read_ok_without_its_end(template, font, fade_from_mm, fade):
    """Fresh17 seed 187926935 s0185 q15_comment: a light hand read "More joint training would
    help" `ok`, its second sentence missing; seed 1978158215 s0021 q18_comment "We share a
    vision but not al". The stack given to Tesseract ended at the last stroke darker than
    mid-grey, and the lighter writing past it, counted as writing, was neither read nor
    counted unread."""
    text = "More joint training would help. Board meetings are too long and too formal."
    reading = _handwritten_zone(template, text, font, fade_from_mm, fade)
    result = decide_comment(reading)
    assert reading.ink_mm2 >= T.WRITTEN_SURE_MM2, reading
    assert result.status is not Status.OK or len(reading.text.split()) == len(text.split()), result


def test_a_stray_dash_or_stop_or_digits_among_letters_send_a_comment_to_review():
    """Fresh17 seed 1040599162 s0011 q18_comment read "We need a.common way of recording
    contacts. -" `ok`: a speck after the last word read as a dash, another as a stop joining
    two words. A token of stops and dashes alone at an end, a stop between two words, or
    letters and digits mixed in a word, are no writing a dictionary vouches for. A dash
    between words, numbers, ordinals, times and abbreviations still pass."""
    from scanner.ocr import Lexicon

    lexicon = Lexicon.system()
    assert lexicon is not None, "install a word list: apt-get install wbritish"
    assert lexicon.unknown("We need a.common way of recording contacts. -") == ("a.common", "-")
    assert lexicon.unknown("Board meetings are too long . .") == (".", ".")
    assert lexicon.unknown("Takes up t00 much time") == ("t00",)
    assert lexicon.unknown("Staff - parents meet in the 1970s, the 2nd at 10am (e.g. U.K. covid-19 2.5 etc.)") == ()
    text = "We need a.common way of recording contacts. -"
    reading = CommentReading("q18_comment", 70.0, text, 0.91, True, lexicon.unknown(text))
    assert (decide_comment(reading).status, decide_comment(reading).reason) == (Status.REVIEW, Reason.UNKNOWN_WORDS)


def test_a_cleanly_printed_comment_has_no_unread_writing(template):
    reading = _printed_zone(template)
    result = decide_comment(reading)
    assert (result.value, reading.unread_mm2, result.status) == (PRINTED, 0.0, Status.OK), result


def _writing_mm2_measured_whole(reader, dark, zone, s):
    """`CommentReader._writing_mm2` as it was before it skipped the measures whose mask holds
    too few pixels, or pieces too small, to matter: every mask measured whole (with
    `_most_px` bounding nothing)."""
    ink = reader._ink(dark, zone, s)
    area = comments._ink_area_mm2(ink, s)
    if area >= T.WRITTEN_MIN_MM2:
        return area, False
    lines = comments._long_lines(ink, s)
    faint = comments._ink_area_mm2(comments._apart_from(
        comments._faint_ink(reader._ink(dark, zone, s, T.FAINT_STROKE_DARKNESS), dark), lines), s)
    if faint >= T.FAINT_WRITTEN_MM2:
        return faint, False
    return area, (faint >= T.FAINT_LETTERED_MM2 or comments._ink_area_mm2(ink, s, bands=True) >= T.WRITTEN_MIN_MM2
                  or any(comments._ink_area_mm2(ink, s) >= T.WRITTEN_MIN_MM2 for ink in (
                      comments._apart_from(reader._ink(dark, zone, s, T.FAINT_INK_DARKNESS), lines),
                      reader._ink_over_print(dark, zone, s))))


def _random_ink(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """An ink mask of specks, dust grains alone and in clusters, strokes that turn, hairs,
    lines across and broad blots, some of each or none, some at the mask's edges."""
    mask = np.zeros(shape, np.uint8)
    h, w = shape
    for _ in range(int(rng.integers(0, 60))):  # specks and grains, a few pixels to a few dozen
        x, y = int(rng.integers(-2, w + 2)), int(rng.integers(-2, h + 2))
        cv2.circle(mask, (x, y), int(rng.integers(0, 4)), 1, -1)
    for _ in range(int(rng.integers(0, 4))):  # a cluster of grains
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        for _ in range(int(rng.integers(2, 12))):
            cv2.circle(mask, (int(cx + rng.integers(-15, 15)), int(cy + rng.integers(-8, 8))), int(rng.integers(1, 3)),
                       1, -1)
    for _ in range(int(rng.integers(0, 4))):  # strokes that turn, a hair, a line across
        pts = np.cumsum(rng.integers(-12, 13, (int(rng.integers(2, 12)), 2)), axis=0) + [rng.integers(0, w),
                                                                                           rng.integers(0, h)]
        cv2.polylines(mask, [pts.astype(np.int32)], False, 1, int(rng.integers(1, 5)))
    if rng.random() < 0.3:
        y = int(rng.integers(0, h))
        cv2.line(mask, (0, y), (w, y + int(rng.integers(-3, 4))), 1, int(rng.integers(1, 3)))
    if rng.random() < 0.3:
        cv2.ellipse(mask, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                    (int(rng.integers(5, 60)), int(rng.integers(5, 30))), 0, 0, 360, 1, -1)
    return mask > 0


@pytest.mark.parametrize("seed", [3, 17, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_mask_s_writing_is_measured_as_when_measured_whole(seed, monkeypatch):
    """The shortcuts of a mask's measure are savings only: its pieces larger than specks
    bound what it measures, a measure they cannot reach to a cluster of writing is 0, and a
    mask with no run as wide as a disc is opened by it to nothing, to the bit."""
    rng = np.random.default_rng(seed)
    for s in comments.SCALES:
        shape = (round(20 * s), round(175 * s))
        for _ in range(40):
            ink = _random_ink(rng, shape)
            area = comments._ink_area_mm2(ink, s)
            assert comments._most_px(ink, s) / s**2 >= area, seed
            with monkeypatch.context() as whole:
                whole.setattr(comments, "_most_px", lambda mask, _: mask.size)
                assert area == comments._ink_area_mm2(ink, s), seed
            mask = ink.astype(np.uint8)
            for diameter in (T.STROKE_MAX_MM * s, 7, 25.5):
                assert np.array_equal(comments._opened(mask, diameter),
                                      _by_disc_of(mask, diameter, cv2.MORPH_OPEN)), (seed, diameter)


def _strokes_by_whole_masks(ink: np.ndarray, s: float) -> np.ndarray:
    """`comments._strokes` as OpenCV's morphology gives it on the whole mask, every row and
    column passed through the line's opening."""
    mask = ink.astype(np.uint8)
    broad = _by_disc_of(mask, T.STROKE_MAX_MM * s, cv2.MORPH_OPEN)
    long_px, gap_px = round(T.LINE_MIN_MM * s), max(1, round(T.LINE_GAP_MM * s))
    lines = np.zeros_like(mask)
    for line, bridge in ((np.ones((1, long_px), np.uint8), np.ones((1, gap_px), np.uint8)),
                         (np.ones((long_px, 1), np.uint8), np.ones((gap_px, 1), np.uint8))):
        bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, bridge)
        lines |= cv2.dilate(cv2.morphologyEx(bridged, cv2.MORPH_OPEN, line), line)
    rim = _by_disc_of(lines, 0.5 * s, cv2.MORPH_DILATE) | _by_disc_of(broad, T.STROKE_MAX_MM / 2 * s, cv2.MORPH_DILATE)
    return mask & (1 - rim)


def _ink_area_by_whole_masks(ink: np.ndarray, s: float) -> float:
    """`comments._ink_area_mm2` as OpenCV measures it on whole masks: every piece's size
    and box from its labelling, the clusters dilated over the whole mask."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(_strokes_by_whole_masks(ink, s), connectivity=8)
    area = stats[:, cv2.CC_STAT_AREA]
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    kept = (area > T.SPECK_MAX_MM2 * s**2) & ~comments._line_like(area, extent, s)
    kept[0] = False
    on = kept[labels]
    _, clusters = cv2.connectedComponents(_by_disc_of(on.astype(np.uint8), 2 * T.DUST_ISOLATION_MM * s,
                                                      cv2.MORPH_DILATE), connectivity=8)
    cluster_px = np.bincount(clusters[on], minlength=clusters.max() + 1)
    big = cluster_px >= T.DUST_MAX_MM2 * s**2
    lettered = np.zeros(len(cluster_px), bool)
    for i in np.flatnonzero(kept):
        x, y, w, h = stats[i, :4]
        piece = labels[y:y + h, x:x + w] == i
        if area[i] < T.DUST_SOLIDITY * comments._hull_px(piece):
            lettered[clusters[y:y + h, x:x + w][piece][0]] = True
    return float(cluster_px[big & lettered].sum() / s**2)


@pytest.mark.parametrize("seed", [2, 23, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_mask_s_writing_is_measured_from_its_ink_pixels_as_from_the_whole_mask(seed):
    """A mask's measure takes its pieces' sizes and boxes from its ink pixels, passes only
    the rows and columns that can hold a line through the line's opening, and dilates the
    writing's clusters within their box: OpenCV's numbers on the whole mask, to the bit,
    masks narrower than a line and ink at their edges included."""
    rng = np.random.default_rng(seed)
    for s in comments.SCALES:
        shapes = [(round(20 * s), round(175 * s))] * 30 + [tuple(rng.integers(5, 15 * s, 2)) for _ in range(20)]
        for shape in shapes:
            ink = _random_ink(rng, shape)
            assert np.array_equal(comments._strokes(ink, s), _strokes_by_whole_masks(ink, s)), (seed, shape)
            assert comments._ink_area_mm2(ink, s) == _ink_area_by_whole_masks(ink, s), (seed, shape)
            count, labels, stats, _ = cv2.connectedComponentsWithStats(_strokes_by_whole_masks(ink, s), connectivity=8)
            extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
            line = comments._line_like(stats[:, cv2.CC_STAT_AREA], extent, s) & (extent >= T.LINE_LIKE_MIN_MM * s)
            line[0] = False
            if np.count_nonzero(ink) > T.SPECK_MAX_MM2 * s**2:
                assert np.array_equal(comments._long_lines(ink, s), line[labels]), (seed, shape)


@pytest.mark.parametrize("seed", [11, 29, int(np.random.SeedSequence().entropy % 2**31)])
def test_a_zone_s_writing_is_measured_as_when_every_mask_was_measured_whole(template, page, zones, seed,
                                                                             monkeypatch):
    """Skipping the looks whose masks hold fewer pixels, or pieces too small, to reach their area
    is a saving only: the same area and second look, to the bit, on zones blank, dusty,
    noisy, written in ink and in a light hand, at every grey from ink to the noise's."""
    rng = np.random.default_rng(seed)
    reader = CommentReader(template, NullEngine())
    coarse = comments.SCALES[0]
    for grey_level in (40, 212, 222, 232, 255):
        image = page.copy()
        for zone in zones:
            x, y, w, h = zone.box_mm
            if rng.random() < 0.6:
                write(image, zone, "Joint training helps"[: rng.integers(1, 20)], scale=rng.uniform(0.4, 1.3),
                      thickness=int(rng.integers(1, 4)))
            for _ in range(int(rng.integers(0, 40))):
                cx, cy = px(x + rng.uniform(0, w), y + rng.uniform(0, h))
                cv2.circle(image, (cx, cy), int(rng.integers(1, 3)), int(rng.integers(120, 250)), -1)
        light = np.maximum(image, grey_level)  # writing, dust and print lightened alike
        noisy = np.clip(light + rng.normal(0, rng.uniform(0, 6), light.shape), 0, 255).astype(np.uint8)
        shift = PageTransform.from_array(identity().array @ np.array([[1, 0, rng.uniform(-0.5, 0.5)],
                                                                     [0, 1, rng.uniform(-0.5, 0.5)], [0, 0, 1]]))
        for zone in zones:
            crop = reader._crop(noisy, shift, zone, coarse)
            dark = comments._darkness_against(comments._paper(crop, coarse), crop)
            measured = reader._writing_mm2(dark, zone, coarse)
            with monkeypatch.context() as whole:  # no bound skips a measure: every mask measured
                whole.setattr(comments, "_most_px", lambda mask, _: mask.size)
                assert measured == _writing_mm2_measured_whole(reader, dark, zone, coarse), (
                    seed, grey_level, zone.id)


@pytest.mark.parametrize("seed", [5, int(np.random.SeedSequence().entropy % 2**31)])
def test_words_read_from_the_stack_made_smaller_have_their_boxes_where_the_words_are(seed):
    """Tesseract is given the stacked zones at OCR_PX_PER_MM: the words it reads there are
    the words at full size, and their boxes, taken back to the stack's pixels, lie on the
    words (within two pixels of the smaller picture) and leave none of their ink unread."""
    rng = np.random.default_rng(seed)
    image = np.full((int(rng.integers(280, 330)), int(rng.integers(1100, 1300))), 255, np.uint8)
    origin = (int(rng.integers(10, 200)), int(rng.integers(90, 200)))
    cv2.putText(image, "Joint training helps", origin, cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 4, cv2.LINE_AA)
    engine = make_engine(True)
    factor = comments.OCR_PX_PER_MM / T.COMMENT_PX_PER_MM
    assert factor < 1
    small, whole = comments._read_scaled(engine, image, factor), engine.read(image)
    assert [w.text for w in small] == [w.text for w in whole] == ["Joint", "training", "helps"], seed
    for a, b in zip(small, whole):
        edges = np.array([a.x - b.x, a.y - b.y, a.x + a.width - b.x - b.width, a.y + a.height - b.y - b.height])
        assert np.abs(edges).max() <= 2 / factor, (seed, a, b)
    assert comments._unread_mm2(image, small, 0) == 0.0, seed


def _page_comments(template, name: str):
    """The comment zones of the one-page `data/NAME`, read as the scan reads them, and
    decided: (readings in the page's zone order, results by item)."""
    reader = PageReader(template, NullEngine())
    loaded = load_page(page_task("page", DATA / name, 1))
    located = reader.locate({}, loaded.grey)
    readings = reader.comments.read_page(loaded.grey, located.reg.transform, template.comments_on(located.reg.page))
    return readings, {reading.item: decide_comment(reading) for reading in readings}


def test_small_faint_writing_along_a_phone_photos_frame_line_is_not_blank(template):
    """`data/phone-page4-pencil-on-frame.pdf` (fresh seed 258435760, batch-012.pdf page 18,
    sheet s0113): a greyscale 150-dpi phone photo with motion blur, q13_comment written in a
    small light pencil hand along the frame's top line. Looked for at 6 px/mm, its letters
    below the masked line are blurred specks with no turn, and its whole strokes measured
    21 mm², short of FAINT_WRITTEN_MM2: the zone read blank at confidence 1.0. Its other
    zones are read as the generator's truth has them: q11 written, q12 blank."""
    readings, results = _page_comments(template, "phone-page4-pencil-on-frame.pdf")
    assert results["q13_comment"].status is not Status.BLANK, readings[2]
    assert results["q11_comment"].status is not Status.BLANK, readings[0]
    assert results["q12_comment"].status is Status.BLANK, readings[1]


def test_a_faint_pencil_line_on_a_quiet_blurred_phone_photo_is_not_blank(template):
    """`data/phone-page6-faint-pencil-blurred.pdf` (fresh seed 484488196, batch-003.pdf page
    13, sheet s0022): a colour 150-dpi phone photo with motion blur and dust, q19_comment a
    line in a light pencil hand (ComicNeue-Light) across the zone. The blur left its strokes
    between 0.06 and 0.1 dark, under the faint looks' levels, set for a photo's noise, while
    this photo's paper, smoothed by the same blur, stays under 0.03 at its 99th percentile:
    read blank at confidence 1.0. q17 and q18, blank with dust, stay blank."""
    readings, results = _page_comments(template, "phone-page6-faint-pencil-blurred.pdf")
    assert results["q19_comment"].status is not Status.BLANK, readings[2]
    assert results["q17_comment"].status is Status.BLANK, readings[0]
    assert results["q18_comment"].status is Status.BLANK, readings[1]


def test_the_back_page_showing_through_a_quiet_scan_is_not_a_faint_hand(template):
    """`data/feeder-page2-show-through.pdf` (fresh seed 484488196, batch-006.pdf page 23,
    sheet s0054): a 300-dpi feeder scan of page 2, the back page's print showing through
    on a quiet paper. Counted down to the grain's ceiling, as a faint hand is on a blurred
    photo, the mirrored words over q06 are lettered strokes reaching a pencil's darkness;
    over q05 and q07 they show too, so they are the page's, not a hand: all three blank."""
    readings, results = _page_comments(template, "feeder-page2-show-through.pdf")
    for item in ("q05_comment", "q06_comment", "q07_comment"):
        assert results[item].status is Status.BLANK, results[item]
    assert results["q04_comment"].status is not Status.BLANK, results["q04_comment"]
