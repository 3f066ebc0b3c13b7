"""Reading forms printed without markers or QR code, with a template drafted from the blank.

The shipped questionnaire printed `--plain` is the form; its own template, marked
`markers: false`, is the truth (what was ticked where), and the template that reads the
scans is drafted from the plain PDF, as a team with a word-processor form would do. The
drafted fields are named as the truth's by their boxes (`draft_correspondence`).
"""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

import editor_form
from scans import fill_in, filled_wordform, pdf_pages
from scanner import api
from scanner.draft import draft_correspondence, draft_template, truth_template, write_draft
from scanner.errors import TemplateError
from scanner.evaluate import evaluate
from scanner.geometry import PageTransform, mm_to_pixels
from scanner.load import load_page, page_task
from scanner.pipeline import scan
from scanner.register import Registrar, frame_windows, measure_frames
from scanner.render import render_pdf
from scanner.results import Reason
from scanner.synth import SynthOptions, generate
from scanner.template import Registration, Template, layout, load_template, template_yaml

DATA = Path(__file__).resolve().parent / "data"
DPI = 150


@pytest.fixture(scope="session")
def plain(template: Template) -> Template:
    """The shipped questionnaire as a form printed without markers: the truth's template."""
    return template.model_copy(update={"registration": Registration(markers=False)})


@pytest.fixture(scope="session")
def drafted(plain: Template, tmp_path_factory) -> Template:
    """The template drafted from the plain PDF, read back from its file (with its pages)."""
    folder = tmp_path_factory.mktemp("drafted")
    blank = render_pdf(plain, folder / "blank.pdf")
    write_draft(draft_template(blank), folder / "form.yaml")
    return load_template(folder / "form.yaml")


def _warp(image: np.ndarray, angle: float, scale: float, tilt: float = 0.0) -> np.ndarray:
    """`image` turned by `angle` degrees and scaled about its centre, then, with `tilt`,
    seen at a slant as a phone would (its top edge narrowed by that share)."""
    h, w = image.shape[:2]
    matrix = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale), [0, 0, 1]])
    square = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    slant = square + np.float32([[tilt * w, 0], [-tilt * w, 0], [0, 0], [0, 0]])
    matrix = cv2.getPerspectiveTransform(square, slant) @ matrix
    return cv2.warpPerspective(image, matrix, (w, h), borderValue=(255, 255, 255))


def _read(out: Path, name: str) -> list[dict]:
    with open(out / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_plain_pages_turned_scaled_and_slanted_are_read_and_a_foreign_page_is_not(plain, drafted, tmp_path):
    """Two questionnaires: the first's page 3 is missing, its pages come upside down, a
    quarter turn, shrunk to 95% ("fit to page") and slanted; a page of another form sits
    between them. Every tick is read right, the missing page is flagged and not filled from
    the next questionnaire, and the other form's page is unrecognised."""
    pages, answers = fill_in(plain, DPI)
    first = [np.ascontiguousarray(pages[0][::-1, ::-1]), np.ascontiguousarray(np.rot90(pages[1])),
             _warp(pages[3], 1.5, 0.95), _warp(pages[4], -2.0, 0.97, tilt=0.03), *pages[5:]]
    other = pdfium.PdfDocument(str(DATA / "wordform.pdf"))[0].render(scale=DPI / 72).to_numpy()[:, :, :3]
    images = [*first, np.ascontiguousarray(other), *pages]
    batch = tmp_path / "batch.tif"
    assert cv2.imwritemulti(str(batch), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in images])

    summary = scan([batch], drafted, tmp_path / "out", jobs=1, ocr=False)

    rows = _read(tmp_path / "out", "pages.csv")
    assert [r["status"] for r in rows] == ["used"] * 6 + ["unrecognised"] + ["used"] * 7
    assert "matches no page" in rows[6]["reason"]
    assert len({r["sheet_id"] for r in rows[:6]}) == 1 and len({r["sheet_id"] for r in rows[7:]}) == 1
    assert any("missing form page 3" in p for p in summary.sheet_problems)
    fields = draft_correspondence(drafted, layout(plain))
    items = {(r["sheet_id"], r["item"]): r for r in _read(tmp_path / "out", "items.csv")}
    for sheet_id, lost in ((rows[0]["sheet_id"], 3), (rows[7]["sheet_id"], None)):
        read = {fields[item][0]: (fields[item][1].get(r["value"], ""), r["status"])
                for (sid, item), r in items.items() if sid == sheet_id and item in fields and fields[item][1]}
        for item in plain.items:
            if item.page == lost:
                assert read[item.id][1] == "review"
            elif item.id in answers:
                assert read[item.id] == (str(answers[item.id]), "ok"), item.id
            else:
                assert read[item.id] == ("", "blank"), item.id


def test_a_word_processor_form_drafted_from_a_scan_of_its_blank_is_read(tmp_path):
    """The form made with a word processor (tests/data), drafted from a 200-dpi scan of a
    blank copy turned by 0.8 degrees; two filled copies, one shrunk to 96% and turned, one
    upside down, are read right."""
    truth = json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8"))
    blank = [_warp(page, 0.8, 1.0) for page in pdf_pages(DATA / "wordform.pdf", 200)]
    assert cv2.imwritemulti(str(tmp_path / "blank.tif"), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in blank])
    write_draft(draft_template(tmp_path / "blank.tif"), tmp_path / "form.yaml")
    drafted = load_template(tmp_path / "form.yaml")
    filled, ticked = [], []
    for copy in range(2):
        pages, answers = filled_wordform(DATA / "wordform.pdf", truth, copy, DPI)
        filled += [_warp(pages[0], -1.0, 0.96), pages[1]] if copy == 0 else [p[::-1, ::-1] for p in pages]
        ticked.append(answers)
    batch = tmp_path / "filled.tif"
    assert cv2.imwritemulti(str(batch), [cv2.cvtColor(np.ascontiguousarray(p), cv2.COLOR_BGR2GRAY) for p in filled])

    scan([batch], drafted, tmp_path / "out", jobs=1, ocr=False)

    assert [r["status"] for r in _read(tmp_path / "out", "pages.csv")] == ["used"] * 4
    fields = draft_correspondence(drafted, truth)
    sheets = [r["sheet_id"] for r in _read(tmp_path / "out", "responses.csv")]
    items = {(r["sheet_id"], r["item"]): r for r in _read(tmp_path / "out", "items.csv")}
    assert len(sheets) == 2
    for sheet_id, answers in zip(sheets, ticked):
        read = {fields[item][0]: (fields[item][1].get(r["value"], ""), r["status"], r["reason"])
                for (sid, item), r in items.items() if sid == sheet_id and item in fields and fields[item][1]}
        assert set(read) == set(answers)
        for item, (value, status, reason) in read.items():
            assert (value, status) == (answers[item], "ok"), (item, reason)


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("nudge_mm", [(0.0, 0.0), (0.3, -0.4), (-0.2, 0.4)])
def test_bubbles_a_millimetre_from_a_tables_rules_are_located_on_their_own_outline(dpi, nudge_mm):
    """The word form's ○ bubbles sit in table cells a millimetre from the rules above and
    below them, which print darker than a bubble's curved side: the frame check takes each
    bubble where it is, not on the rules (their items went to review, not located),
    through a transform off by a known amount as well."""
    truth = truth_template(json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8")))
    image = pdf_pages(DATA / "wordform.pdf", dpi)[1]
    dx, dy = nudge_mm
    transform = PageTransform.from_array(mm_to_pixels(dpi / 25.4) @ np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]]))
    windows = frame_windows(truth, 2)
    offsets = measure_frames(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), transform, windows)
    bubbles = [k for k, w in enumerate(windows) if w.owner.startswith("q05")]
    assert len(bubbles) == 9
    assert not np.isnan(offsets[bubbles]).any(), offsets[bubbles]
    assert np.abs(offsets[bubbles] + [dx, dy]).max() < 0.2, offsets[bubbles]


def test_a_page_that_two_form_pages_print_alike_is_unrecognised(drafted, tmp_path):
    """A form whose pages 1 and 2 print the same (here: given the same reference image)
    cannot tell them apart: the page is unrecognised, naming both, never read as either."""
    (tmp_path / "form.pages").mkdir()
    pages = []
    for number in [1, 1, *drafted.page_numbers[2:]]:
        pages.append(f"form.pages/page-{number}.png")
        (tmp_path / pages[-1]).write_bytes(drafted.reference_page(number).read_bytes())
    (tmp_path / "form.yaml").write_text(template_yaml(drafted.model_copy(update={"reference_pages": pages})),
                                        encoding="utf-8")
    alike = load_template(tmp_path / "form.yaml")
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), cv2.imread(str(drafted.reference_page(1))))
    scan([page], alike, tmp_path / "out", jobs=1, ocr=False)
    (row,) = _read(tmp_path / "out", "pages.csv")
    assert row["status"] == "unrecognised"
    assert "almost alike" in row["reason"] and "cannot tell which page" in row["reason"], row["reason"]


def test_a_survey_of_a_plain_form_is_scanned_again_only_with_its_reference_pages(drafted, tmp_path):
    """The survey keeps the template, not its page images: scanning into it again without
    --template stops before reading anything, rather than match pages against less."""
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), cv2.imread(str(drafted.reference_page(1))))
    scan([blank], drafted, tmp_path / "out", jobs=1, ocr=False)
    assert _read(tmp_path / "out", "pages.csv")[0]["status"] == "used"
    with pytest.raises(TemplateError, match=r"images of its blank pages are not at hand \(form.pages/page-1.png"):
        api.scan([blank], None, tmp_path / "out", jobs=1, ocr=False)
    api.scan([blank], drafted, tmp_path / "out", jobs=1, ocr=False)


@pytest.mark.parametrize("seed", [3, 11741, 59902, 1256051490, 172430159, int.from_bytes(os.urandom(2), "big")])
def test_generated_plain_batches_are_read_with_the_drafted_template_without_silent_errors(
        plain, drafted, tmp_path, seed):
    """Filled by the generator (flatbed, feeder and phone photos, pages upside down, a cover
    letter): no tick is read wrong, no comment missed, no page lost or taken for what it is not.
    Seed 1256051490: a phone photo of page 4, ranked last of the seven on the few features
    that tell a page, was lost to `unrecognised` when the first-ranked page did not fit.
    Seed 172430159: a flatbed page 7, its content fit tight on its frames but bent 1.4 mm at
    its footer below them, was `unrecognised` as another form's, its footer taken for missing."""
    options = SynthOptions(per_file=2, photo_share=0.3, upside_down_share=0.2, cover_letter_share=0.5,
                           greyscale_share=0.0, dpis=(150, 200))
    batch = generate(plain, tmp_path / "synth", count=3, seed=seed, options=options)
    # OCR off: a zone is told written from its ink, and what Tesseract reads is not asked
    # here (a written zone then goes to review, which counts as written). A drafted
    # template's zones are read with OCR on in test_editor_browser.
    scan(batch.files, drafted, tmp_path / "out", jobs=2, ocr=False)
    ev = evaluate(tmp_path / "out", batch.truth_dir, as_truth=draft_correspondence(drafted, layout(plain)))
    assert ev.items.silent == 0, (seed, ev.examples)
    # Every comment zone is found where it is written and only there; how well Tesseract
    # reads a hand is the comments stage's matter (bench/accuracy.py), not this one's.
    comments = ev.comments.right + ev.comments.silent + ev.comments.flagged
    assert ev.comments.lost == 0 and ev.written_right == comments, (seed, ev.examples)
    assert ev.pages.accounted == ev.pages.truth and ev.pages.status_right == ev.pages.truth, seed
    # What goes to review goes for the marks' sake (a faint pencil, two ticks), never
    # because a page or an item could not be aligned.
    reasons = {r["reason"] for r in _read(tmp_path / "out", "items.csv")}
    assert ev.items.lost == 0 and Reason.NOT_ALIGNED.value not in reasons, (seed, reasons)


# Seed 1915064519: two crosses, one covering a small box, read as a correction (marks
# `_blackened`); 1287238377: a pencil tick's tip in a box, its stroke run out, read as a speck;
# 692293347 and 1172351743: a blurred phone photo of page 2, its comments written in, told no
# page on the few features that tell one, was lost to `unrecognised` (`Registrar._told_on_fit`);
# 1154072371: one, its comments typed and written in, fitted no page on the fit's features
# either (its own on 36), lost alike (`Registrar._near_fit`);
# 322806038: a pencil tick run out of box 1 of a row of two (s0003 q02) read blank as a speck,
# its row's median outside (the two boxes' mean) half its own ink.
@pytest.mark.parametrize("seed", [7, 45493, 18224, 1915064519, 1287238377, 692293347, 1172351743,
                                  1154072371, 322806038, int.from_bytes(os.urandom(2), "big")])
def test_generated_batches_of_the_word_processor_form_are_read_with_its_draft_without_silent_errors(
        tmp_path_factory, tmp_path, seed):
    """The generator fills and scans the word form as printed from its own PDF (flatbed,
    feeder, phone photos, pages upside down, a cover letter), its true geometry as the
    template; the template drafted from the PDF reads it with no tick wrong, every comment
    zone found and every page right, and none of it sent to review as not located."""
    truth = truth_template(json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8")))
    options = SynthOptions(per_file=2, photo_share=0.3, upside_down_share=0.2, cover_letter_share=0.5,
                           greyscale_share=0.0, dpis=(150, 200), printed=str(DATA / "wordform.pdf"))
    batch = generate(truth, tmp_path / "synth", count=3, seed=seed, options=options)
    drafted = load_template(editor_form.drafted(tmp_path_factory.getbasetemp()))
    scan(batch.files, drafted, tmp_path / "out", jobs=2, ocr=False)  # OCR off: as above
    ev = evaluate(tmp_path / "out", batch.truth_dir, as_truth=draft_correspondence(drafted, layout(truth)))
    assert ev.items.scored == 3 * len(truth.items) and ev.items.silent == 0, (seed, ev.examples)
    comments = ev.comments.right + ev.comments.silent + ev.comments.flagged
    assert ev.comments.scored == 3 * len(truth.comments), seed
    assert ev.comments.lost == 0 and ev.written_right == comments, (seed, ev.examples)
    assert ev.pages.accounted == ev.pages.truth and ev.pages.status_right == ev.pages.truth, seed
    rows = _read(tmp_path / "out", "items.csv")
    unaligned = [r["item"] for r in rows if r["reason"] == Reason.NOT_ALIGNED.value]
    # Ink can hide a frame: a box inked out for a correction at 150 dpi (seed 12397). The
    # field then goes to review unlocated; only fields whose ink covers a frame may. (Page
    # 1's comment box on phone photos, seeds 42542, 14215 and 45493, was the fit's bend, not
    # ink: `test_a_comment_box_far_from_the_tick_boxes_is_located_on_a_phone_photo`; at seed
    # 18224 the bend stayed at its two far corners, 0.8 mm off, p90 being tight.)
    over_frame = sum(r["effect"] in ("touches_frame", "correction", "fill")
                     for r in _read(batch.truth_dir, "marks.csv"))
    assert ev.items.lost == 0 and len(unaligned) <= over_frame, (seed, unaligned)


def test_the_generator_prints_a_form_from_its_own_pdf_only_when_its_pages_are_the_templates(tmp_path):
    truth = truth_template(json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8")))
    one_page = truth.model_copy(update={"pages": truth.pages[:1], "items": truth.items_on(1),
                                        "comments": truth.comments_on(1)})
    with pytest.raises(ValueError, match="wordform.pdf has 2 pages, the template 1"):
        generate(one_page, tmp_path, count=1, seed=1, options=SynthOptions(printed=str(DATA / "wordform.pdf")))


def test_the_blank_zones_of_a_word_processor_form_read_blank_whatever_it_prints_around_them(
        tmp_path_factory, tmp_path):
    """A blank copy of the word form read with its draft: every comment zone is blank,
    though the form prints what the template does not draw around them (its prompts in
    their own place and size, table cells, typed lines of underscores): the blank's print
    is taken from the reference pages (they went to review as "a small mark")."""
    drafted = load_template(editor_form.drafted(tmp_path_factory.getbasetemp()))
    pages = [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in pdf_pages(DATA / "wordform.pdf", 200)]
    assert cv2.imwritemulti(str(tmp_path / "blank.tif"), pages)
    scan([tmp_path / "blank.tif"], drafted, tmp_path / "out", jobs=1, ocr=False)
    zones = {r["item"]: (r["status"], r["reason"]) for r in _read(tmp_path / "out", "items.csv")
             if r["item"].endswith("_comment")}
    assert len(zones) == len(drafted.comments)
    assert all(status == "blank" for status, _ in zones.values()), zones


def _phone_photo_of_the_word_form(folder: Path, seed: int) -> tuple[Path, PageTransform]:
    """One word form filled in and photographed by a phone at 150 dpi: the file, and
    where its page 1 truly lies (the generator's template-mm-to-pixel homography)."""
    truth = truth_template(json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8")))
    options = SynthOptions(per_file=1, photo_share=1.0, upside_down_share=0.0, cover_letter_share=0.0,
                           duplex_blank_share=0.0, greyscale_share=0.0, dpis=(150,),
                           printed=str(DATA / "wordform.pdf"))
    batch = generate(truth, folder, count=1, seed=seed, options=options)
    row = next(r for r in _read(batch.truth_dir, "pages.csv") if r["page"] == "1")
    assert row["photo"] == "1" and row["form_page"] == "1"
    matrix = np.array([float(v) for v in row["h_mm_to_px"].split()]).reshape(3, 3)
    return batch.files[0], PageTransform.from_array(matrix)


@pytest.mark.parametrize("seed", [10, 25, 5001, 1034152734, 227173696, 908380375, 268132716, 924773771,
                                  int.from_bytes(os.urandom(2), "big")])
def test_a_comment_box_far_from_the_tick_boxes_is_located_on_a_phone_photo(tmp_path_factory, tmp_path, seed):
    """The word form's page 1 prints its tick boxes in the middle and its comment box
    across the page: refined on the frames, the page's transform must not bend at the
    box's far corners (fitted on the tick boxes, it put them 0.6-0.7 mm off on 5 of 40
    phone photos, seeds 10 and 25 among them, and the zone went to review not aligned).
    The transform is recovered where the generator put the page, and nothing goes to
    review as not aligned; the same zone printed 1 mm lower than the template says still does.
    Seeds 1034152734 and 227173696 mark both boxes of the yes/no item q04 (a cross, a tick):
    the marks hide the frames, which is no misalignment. At seed 908380375 the refit on the
    moved zone bent the page toward two of its corners, leaving the items below unlocated.
    At seeds 268132716 and 924773771 RANSAC left out the box's two far corners, bent 0.7 mm."""
    drafted = load_template(editor_form.drafted(tmp_path_factory.getbasetemp()))
    photo, true = _phone_photo_of_the_word_form(tmp_path / "synth", seed)
    grey = load_page(page_task(photo.name, photo, 1)).grey
    registrar = Registrar(drafted)
    reg = registrar.verify(grey, registrar.content(grey))
    assert reg.page == 1 and reg.aligned and reg.check.unlocated() == (), (seed, reg.check.unlocated())
    points = reg.check.at_mm
    error_mm = np.hypot(*(reg.transform.to_px(points) - true.to_px(points)).T) / true.px_per_mm()
    # 40 seeds reach 0.27 mm at most, fresh seed 5001 0.31 at the box's far corner; the
    # fault this guards against put the corners 0.6-0.7 mm off.
    assert error_mm.max() < 0.4, (seed, points[error_mm.argmax()], error_mm.max())

    scan([photo], drafted, tmp_path / "out", jobs=1, ocr=False)
    reasons = {r["item"]: r["reason"] for r in _read(tmp_path / "out", "items.csv")}
    assert Reason.NOT_ALIGNED.value not in reasons.values(), (seed, reasons)

    zone = next(z for z in drafted.comments if z.page == 1)
    x, y, w, h = zone.box_mm
    moved = drafted.model_copy(update={"comments": [z.model_copy(update={"box_mm": (x, y + 1.0, w, h)})
                                                    if z.id == zone.id else z for z in drafted.comments]})
    off = Registrar(moved)
    assert zone.id in off.verify(grey, off.content(grey)).check.unlocated(), seed


@pytest.mark.parametrize("seed", [5, int.from_bytes(os.urandom(2), "big")])
def test_a_page_of_another_form_is_unrecognised_with_its_reason_never_read(
        plain, drafted, template_data, tmp_path_factory, tmp_path, seed):
    """Pages of forms printed without markers, fed to a run of another form's template:
    the word form's to the questionnaire's and the questionnaire's to the word form's match
    no page of it; the parent version's page 1 (the questionnaire's layout, its own title,
    subtitle and q01 text) matches the questionnaire's page 1 nearly whole, but lacks a
    line of its text: all `unrecognised` with the reason (another form), none read. The questionnaire's
    own page 1, filled in and shifted alike, is read."""
    from test_forms import parent_form

    rng = random.Random(seed)

    def shifted(page: np.ndarray) -> np.ndarray:
        return np.roll(page, (rng.randint(-8, 8), rng.randint(-8, 8)), axis=(0, 1))

    parent = parent_form(template_data, markers=False)
    word = [shifted(p) for p in pdf_pages(DATA / "wordform.pdf", DPI)]
    own = fill_in(plain, DPI)[0]
    assert cv2.imwritemulti(str(tmp_path / "others.tif"), [*word, shifted(fill_in(parent, DPI)[0][0])])
    assert cv2.imwritemulti(str(tmp_path / "own.tif"), [shifted(own[0])])
    scan([tmp_path / "others.tif", tmp_path / "own.tif"], drafted, tmp_path / "out", jobs=1, ocr=False)
    *others, mine = _read(tmp_path / "out", "pages.csv")
    assert [r["status"] for r in others] == ["unrecognised"] * 3, (seed, others)
    assert all("matches no page of it" in r["reason"] for r in others[:2]), others
    # Its print is told from page 1's by the missing line or, at some shifts (seeds 3, 9 and
    # 28143 of the draws), already by how little of it agrees: content registration on a page
    # that differs in its title lands off by enough to lose most of the agreement.
    assert ("its print differs from form page 1's" in others[2]["reason"]
            or "a page of another form?" in others[2]["reason"]), (seed, others[2]["reason"])
    assert "QR code" not in others[2]["reason"]
    assert (mine["status"], mine["form_page"]) == ("used", "1"), (seed, mine)

    word_form = load_template(editor_form.drafted(tmp_path_factory.getbasetemp()))
    assert cv2.imwritemulti(str(tmp_path / "questionnaire.tif"), [shifted(p) for p in own[:2]])
    scan([tmp_path / "questionnaire.tif"], word_form, tmp_path / "out-word", jobs=1, ocr=False)
    rows = _read(tmp_path / "out-word", "pages.csv")
    assert [r["status"] for r in rows] == ["unrecognised"] * 2, rows
    assert all("matches no page of it" in r["reason"] for r in rows), rows
