"""Drafting a template from a form scanner did not make: known forms, known geometry.

The shipped questionnaire rendered `--plain` (its template is the truth) and the
word-processor form in tests/data (tools/make_wordform.py; truth in wordform.truth.json),
each from its PDF and from page images, straight and turned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from typer.testing import CliRunner

from scanner.cli import app
from scanner.draft import draft_template, score_draft, write_draft
from scanner.errors import TemplateError, UsageError
from scanner.render import page_raster, render_pdf
from scanner.template import Template, layout, load_template, parse_template

DATA = Path(__file__).resolve().parent / "data"
WORDFORM = DATA / "wordform.pdf"
ROOT = Path(__file__).resolve().parent.parent
PT_MM = 25.4 / 72


@pytest.fixture(scope="session")
def plain_pdf(tmp_path_factory, template: Template) -> Path:
    return render_pdf(template, tmp_path_factory.mktemp("plain") / "surestart-plain.pdf", plain=True)


@pytest.fixture(scope="session")
def wordform_truth() -> dict:
    return json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8"))


def _pages_of(truth: dict, pages: set[int]) -> dict:
    return {"items": [i for i in truth["items"] if i["page"] in pages],
            "comments": [c for c in truth["comments"] if c["page"] in pages]}


def _assert_all_found(drafted: Template, truth: dict, within_mm: float = 0.5) -> None:
    score = score_draft(drafted, truth)
    assert (score.found, score.extra, score.items_right, score.labels_right) == \
        (score.boxes, 0, score.items, score.items), score
    assert score.worst_mm <= within_mm, score
    assert (score.zones_found, score.extra_zones) == (score.zones, 0), score


def _tiff(pdf_path: Path, out: Path, pages: list[int], dpi: int = 200, tilt: float = 0.0) -> Path:
    pdf = pdfium.PdfDocument(str(pdf_path))
    images = []
    for number in pages:
        grey = pdf[number - 1].render(scale=dpi / 72, grayscale=True).to_numpy()
        if tilt:
            matrix = cv2.getRotationMatrix2D((grey.shape[1] / 2, grey.shape[0] / 2), tilt, 1.0)
            grey = cv2.warpAffine(grey, matrix, (grey.shape[1], grey.shape[0]), borderValue=255)
        images.append(grey)
    pdf.close()
    if len(images) == 1:
        cv2.imwrite(str(out.with_suffix(".png")), images[0])
        return out.with_suffix(".png")
    cv2.imwritemulti(str(out), images)
    return out


def test_plain_render_has_no_markers_nor_qr(template, plain_pdf):
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, template.registration.marker_dictionary))
    detector = cv2.aruco.ArucoDetector(dictionary)
    usual = cv2.cvtColor(page_raster(template, 1, 100), cv2.COLOR_BGR2GRAY)
    assert len(detector.detectMarkers(usual)[0]) == 4
    plain = pdfium.PdfDocument(str(plain_pdf))[0].render(scale=100 / 72, grayscale=True).to_numpy()
    assert len(detector.detectMarkers(plain)[0]) == 0
    assert not cv2.QRCodeDetector().detect(plain)[0]


def test_draft_of_the_plain_questionnaire_pdf_finds_every_box_item_and_zone(plain_pdf, template):
    result = draft_template(plain_pdf)
    _assert_all_found(result.template, layout(template))
    assert result.doubts == ()
    # Items are named from the numbers printed on the form, in reading order.
    assert [i.id for i in result.template.items][1:] == [i.id for i in template.items][1:]
    assert [c.id for c in result.template.comments][1:] == [c.id for c in template.comments][1:]
    assert {tuple(o.label for o in s.options) for s in result.template.scales.values()} == \
        {tuple(o.label for o in s.options) for s in template.scales.values()}
    assert not result.template.registration.markers


def test_draft_of_the_word_processor_form_finds_every_box_item_and_zone(wordform_truth):
    result = draft_template(WORDFORM)
    _assert_all_found(result.template, wordform_truth)
    assert [i.id for i in result.template.items] == [i["id"] for i in wordform_truth["items"]]
    assert [i.text for i in result.template.items] == [i["text"] for i in wordform_truth["items"]]
    assert [c.prompt for c in result.template.comments][:2] == ["Please comment"] * 2


def test_drafted_template_validates_renders_and_keeps_its_pages(tmp_path, wordform_truth):
    result = draft_template(WORDFORM, colour_samples={"yellow": str(_yellow_copy(tmp_path))})
    written = write_draft(result, tmp_path / "form.yaml")
    t = load_template(tmp_path / "form.yaml")
    assert t == result.template.model_copy(update={"reference_pages": ["form.pages/page-1.png",
                                                                       "form.pages/page-2.png"]})
    assert all((tmp_path / p).is_file() for p in t.reference_pages)
    assert len(pdfium.PdfDocument(str(tmp_path / "form.preview.pdf"))) == 2
    assert written[:2] == [tmp_path / "form.yaml", tmp_path / "form.preview.pdf"]
    rendered = render_pdf(t, tmp_path / "again.pdf")
    # The draft drawn again is the same form: drafting it again finds the same boxes.
    _assert_all_found(draft_template(rendered).template, wordform_truth, within_mm=0.6)
    (yellow,) = t.colours
    assert yellow.rgb[2] < 200 < yellow.rgb[1]


def _yellow_copy(tmp_path: Path) -> Path:
    page = pdfium.PdfDocument(str(WORDFORM))[0].render(scale=60 / 72).to_numpy()[:, :, :3].astype(float)
    path = tmp_path / "yellow.png"
    cv2.imwrite(str(path), (page * np.array([160 / 255, 242 / 255, 1.0])).astype(np.uint8))
    return path


def test_a_reference_page_per_page_or_none():
    data = load_template(ROOT / "templates" / "surestart.yaml").model_dump(mode="json")
    data["reference_pages"] = ["p1.png"]
    with pytest.raises(TemplateError, match=r"reference_pages: 1 images for 7 pages"):
        parse_template(data)


def test_draft_from_page_images_of_the_word_processor_form(tmp_path, wordform_truth):
    images = _tiff(WORDFORM, tmp_path / "wordform.tif", [1, 2])
    drafted = draft_template(images).template
    _assert_all_found(drafted, wordform_truth)
    assert [i.id for i in drafted.items] == [i["id"] for i in wordform_truth["items"]]


@pytest.mark.parametrize("tilt", [0.0, 1.2])
def test_draft_from_a_scan_of_the_plain_questionnaire(tmp_path, plain_pdf, template, tilt):
    image = _tiff(plain_pdf, tmp_path / "page", [1], tilt=tilt)
    result = draft_template(image)
    _assert_all_found(result.template, _pages_of(layout(template), {1}))
    assert [i.id for i in result.template.items][1:] == ["q01", "q02", "q03"]


def _doubtful_form(path: Path) -> Path:
    """A grid with a header of three columns, a row of four boxes under it, and a lone box."""
    c = Canvas(str(path), pagesize=(210 * mm, 297 * mm))
    c.setFont("Helvetica", 9)

    def box(x: float, y: float) -> None:
        c.rect(x * mm, (297 - y - 5) * mm, 5 * mm, 5 * mm)

    for k, label in enumerate(["Low", "Middle", "High"]):
        c.drawCentredString((122.5 + 20 * k) * mm, (297 - 48) * mm, label)
    c.drawString(20 * mm, (297 - 54) * mm, "1. First statement")
    c.drawString(20 * mm, (297 - 74) * mm, "2. Second statement")
    for k in range(3):
        box(120 + 20 * k, 50)
    for k in range(4):
        box(110 + 20 * k, 70)
    box(100, 150)
    c.showPage()
    c.save()
    return path


def test_doubts_name_what_to_check(tmp_path):
    result = draft_template(_doubtful_form(tmp_path / "doubtful.pdf"))
    whats = [d.what for d in result.doubts]
    assert any("4 boxes but the header above has 3 columns" in w for w in whats), whats
    assert any("no label, no row text and no header" in w for w in whats), whats
    assert [i.id for i in result.template.items] == ["q01", "q02"]
    assert [len(i.options) for i in result.template.items] == [3, 4]
    assert len(result.loose_boxes) == 1


def test_a_left_aligned_two_word_header_stays_in_its_cell():
    """Writer leaves header cells left-aligned: the "sure" of "Not sure" ends nearer the next
    column's box than its own box's centre, a word's space after "Not"; it stays in its cell,
    in either order of the scale, and "good" of "Very good" too."""
    result = draft_template(DATA / "writer-left-headers.pdf")
    labels = [[o.label for o in s.options] for s in result.template.scales.values()]
    assert labels == [["Disagree", "Not sure", "Agree"], ["Agree", "Not sure", "Disagree"],
                      ["Poor", "Very good", "Excellent"]]
    assert result.doubts == ()


def _header_between(path: Path, gap_mm: float) -> Path:
    """A grid headed "Rarely | Not often | Always", left-aligned over its boxes, its "often"
    `gap_mm` after "Not" and as far from the next column's box."""
    c = Canvas(str(path), pagesize=(210 * mm, 297 * mm))
    c.setFont("Helvetica", 11)
    top = 297 - 48
    not_end = 120 + c.stringWidth("Not", "Helvetica", 11) / mm
    often = not_end + gap_mm
    often_end = often + c.stringWidth("often", "Helvetica", 11) / mm
    for x, word in [(100, "Rarely"), (120, "Not"), (often, "often"), (often_end + gap_mm, "Always")]:
        c.drawString(x * mm, top * mm, word)
    c.drawString(20 * mm, (297 - 56) * mm, "1. First statement")
    for x in (100, 120, often_end + gap_mm):
        c.rect(x * mm, (297 - 57) * mm, 3 * mm, 3 * mm)
    c.showPage()
    c.save()
    return path


def test_a_header_word_as_near_the_next_column_as_its_own_is_a_doubt(tmp_path):
    result = draft_template(_header_between(tmp_path / "between.pdf", 1.6))
    assert any("often" in d.what and "column" in d.what for d in result.doubts), result.doubts


def test_box_characters_too_small_to_be_tick_boxes_are_named(tmp_path):
    """☐ at 11 pt in DejaVu Sans inks under 2.8 mm, too small for a tick box (a letter O
    is under 3 mm): the draft says box characters were seen, and why they were left out."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.exists():
        pytest.skip("needs DejaVu Sans (fonts-dejavu-core)")
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    c = Canvas(str(tmp_path / "small.pdf"), pagesize=(210 * mm, 297 * mm))
    c.setFont("DejaVuSans", 11)
    c.drawString(20 * mm, (297 - 40) * mm, "1. Do you work part time?  ☐ Yes  ☐ No")
    c.showPage()
    c.save()
    with pytest.raises(UsageError, match=r"2 box characters.*smaller than 2\.8 mm"):
        draft_template(tmp_path / "small.pdf")
    # Beside boxes big enough, the small ones are a doubt.
    c = Canvas(str(tmp_path / "mixed.pdf"), pagesize=(210 * mm, 297 * mm))
    c.setFont("DejaVuSans", 11)
    c.drawString(20 * mm, (297 - 40) * mm, "1. Do you work part time?  ☐ Yes  ☐ No")
    c.drawString(20 * mm, (297 - 60) * mm, "2. Do you work nights?")
    for k, label in enumerate(["Yes", "No"]):
        c.rect((80 + 20 * k) * mm, (297 - 61) * mm, 4 * mm, 4 * mm)
        c.drawString((85 + 20 * k) * mm, (297 - 60) * mm, label)
    c.showPage()
    c.save()
    result = draft_template(tmp_path / "mixed.pdf")
    assert [i.id for i in result.template.items] == ["q02"]
    assert any("2 box character(s) smaller than 2.8 mm" in d.what for d in result.doubts), result.doubts


def _bubble_table(path: Path, gap_mm: float, left_out: tuple[int, int] | None = None) -> Path:
    """A table of three statements by three columns, a bubble in each cell `gap_mm` above
    the cell's bottom rule (the (row, column) `left_out` not printed)."""
    c = Canvas(str(path), pagesize=(210 * mm, 297 * mm))
    c.setLineWidth(0.6)
    c.setFont("Helvetica", 9)
    for k, label in enumerate(["Never", "Sometimes", "Often"]):
        c.drawCentredString((100 + 30 * k) * mm, (297 - 44.5) * mm, label)
    for row in range(5):
        c.line(85 * mm, (297 - 40 - 6 * row) * mm, 175 * mm, (297 - 40 - 6 * row) * mm)
    for column in range(4):
        c.line((85 + 30 * column) * mm, (297 - 40) * mm, (85 + 30 * column) * mm, (297 - 64) * mm)
    for row in range(3):
        c.drawString(20 * mm, (297 - 50.5 - 6 * row) * mm, f"{row + 1}. Statement number {row + 1}")
        for column in range(3):
            if (row, column) != left_out:
                c.circle((100 + 30 * column) * mm, (297 - 52 - 6 * row + gap_mm + 1.8) * mm, 1.8 * mm)
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize(("gap_mm", "blur_px"), [(0.3, 0.0), (0.5, 1.0), (0.6, 1.3)])
def test_bubbles_printed_close_to_a_table_s_rule_are_found_on_a_scan(tmp_path, gap_mm, blur_px):
    """A bubble printed just above the rule under it, which the scan's blur joins to the
    rule, is a tick box of its own, not part of the table."""
    pdf = pdfium.PdfDocument(str(_bubble_table(tmp_path / "form.pdf", gap_mm)))
    scan = pdf[0].render(scale=200 / 72, grayscale=True).to_numpy()
    cv2.imwrite(str(tmp_path / "scan.png"), cv2.GaussianBlur(scan, (0, 0), blur_px) if blur_px else scan)
    result = draft_template(tmp_path / "scan.png")
    assert [i.id for i in result.template.items] == ["q01", "q02", "q03"], result.doubts
    for row, item in enumerate(result.template.items):
        centres = [(o.box_mm[0] + o.box_mm[2] / 2, o.box_mm[1] + o.box_mm[3] / 2) for o in item.options]
        truth = [(100 + 30 * column, 52 + 6 * row - gap_mm - 1.8) for column in range(3)]
        assert np.abs(np.subtract(centres, truth)).max() < 0.3, (row, centres)


@pytest.mark.parametrize("short_row", [0, 1, 2])
def test_a_grid_row_with_fewer_boxes_than_the_rows_around_it_is_a_doubt(tmp_path, short_row):
    """A bubble the draft did not find (here: not printed) is never silent: its row has
    fewer boxes than its neighbours in their columns, and the doubt says where."""
    result = draft_template(_bubble_table(tmp_path / "form.pdf", 0.6, left_out=(short_row, 1)))
    short = [d for d in result.doubts if "2 of the 3 boxes" in d.what]
    assert len(short) == 1, result.doubts
    assert "none found at x = 130 mm" in short[0].what
    x, y, w, h = short[0].box_mm
    assert abs(x + w / 2 - 130) < 0.5 and y < 52 + 6 * short_row - 2.4 < y + h, short[0]


def test_template_draft_command(tmp_path):
    out = tmp_path / "form.yaml"
    result = CliRunner().invoke(app, ["template", "draft", str(WORDFORM), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 pages, 12 items, 6 comment zones" in result.stdout
    assert "scale strongly5 (Strongly disagree | Disagree | Neutral | Agree | Strongly agree): 4 items" in result.stdout
    assert load_template(out).form == "wordform"
    bad = CliRunner().invoke(app, ["template", "draft", str(WORDFORM), "-o", str(out), "--colour-samples", "yellow"])
    assert bad.exit_code == 2 and "NAME=FILE" in bad.output
    out.write_text(out.read_text(encoding="utf-8").replace("Strongly agree", "Agree strongly"), encoding="utf-8")
    again = CliRunner().invoke(app, ["template", "draft", str(WORDFORM), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert "Agree strongly" in out.read_text(encoding="utf-8")  # a corrected draft is kept
    forced = CliRunner().invoke(app, ["template", "draft", str(WORDFORM), "-o", str(out), "--force"])
    assert forced.exit_code == 0 and "Agree strongly" not in out.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice Writer is not installed")
def test_the_word_processor_form_generator_makes_the_committed_form(tmp_path, wordform_truth):
    out = tmp_path / "wordform.pdf"
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_wordform.py"), str(out)], check=True, timeout=300)
    made = json.loads((tmp_path / "wordform.truth.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in made["items"]] == [i["id"] for i in wordform_truth["items"]]
    boxes = [o["box_mm"] for i in made["items"] for o in i["options"]] + [c["box_mm"] for c in made["comments"]]
    committed = [o["box_mm"] for i in wordform_truth["items"] for o in i["options"]] + \
        [c["box_mm"] for c in wordform_truth["comments"]]
    assert np.allclose(boxes, committed, atol=0.3)
    _assert_all_found(draft_template(out).template, made)


@pytest.mark.parametrize("source", ["pdf", "image"])
def test_writing_lines_and_an_empty_cell_under_please_comment_are_comment_zones(tmp_path, wordform_truth, source):
    """The word-processor form's page 2 ends with three kinds of comment zone that have no
    frame of their own: writing lines drawn as a table's row borders, typed lines of
    underscores, and the empty cell under a "Please comment" cell; each is one zone."""
    blank = WORDFORM if source == "pdf" else _tiff(WORDFORM, tmp_path / "wordform.tif", [1, 2], tilt=0.8)
    drafted = draft_template(blank).template
    score = score_draft(drafted, wordform_truth)
    assert (score.zones_found, score.extra_zones) == (score.zones, 0) == (6, 0), score
    assert [c.id for c in drafted.comments_on(2)] == ["q05_comment", "q06_comment", "q07_comment", "q08_comment",
                                                     "q09_comment"]
    # Writing lines have no corners to verify a page's alignment on; a table cell has.
    assert [c.framed for c in drafted.comments_on(2)] == [True, True, False, False, True]
    unframed = drafted.comments_on(2)[2:]
    assert all(c.prompt.startswith("Please") for c in unframed)
    # Nothing printed is inside a zone: the comment reader would read the prompt as a comment.
    with pdfplumber.open(WORDFORM) as pdf:
        words = [(w["x0"] * PT_MM, w["top"] * PT_MM, w["x1"] * PT_MM, w["bottom"] * PT_MM)
                 for w in pdf.pages[1].extract_words() if not set(w["text"]) <= {"_"}]
    for zone in unframed:
        x, y, w, h = zone.box_mm
        assert not [word for word in words
                    if x < (word[0] + word[2]) / 2 < x + w and y < (word[1] + word[3]) / 2 < y + h], zone


def test_a_lone_rule_and_a_table_s_rows_are_not_writing_lines(tmp_path):
    c = Canvas(str(tmp_path / "form.pdf"), pagesize=(210 * mm, 297 * mm))
    c.setFont("Helvetica", 11)
    c.drawString(20 * mm, 277 * mm, "1. Name:")
    c.line(45 * mm, 276 * mm, 150 * mm, 276 * mm)  # one line to write a name on
    for k in range(4):  # a table of rows with text in them: ruled, but not for writing
        c.line(20 * mm, (250 - 8 * k) * mm, 190 * mm, (250 - 8 * k) * mm)
        if k < 3:
            c.drawString(22 * mm, (244 - 8 * k) * mm, f"Row {k + 1} of a printed table")
    c.drawString(20 * mm, 200 * mm, "2. Please comment")
    for k in range(3):
        c.line(20 * mm, (190 - 9 * k) * mm, 190 * mm, (190 - 9 * k) * mm)
    c.showPage()
    c.save()
    drafted = draft_template(tmp_path / "form.pdf").template
    assert [(z.id, z.prompt) for z in drafted.comments] == [("q02_comment", "2. Please comment")]
    x, y, w, h = drafted.comments[0].box_mm
    assert (round(x), round(w)) == (20, 170)
    assert abs(y - (297 - 190 - 9)) < 0.3 and abs(y + h - (297 - 172)) < 0.3


def _three_headed_grids(path: Path, labels: list[str]) -> np.ndarray:
    """Three blocks, each a header of `labels` over a row of three boxes, as a 200-dpi scan."""
    c = Canvas(str(path), pagesize=(210 * mm, 297 * mm))
    for block in range(3):
        top = 40 + 60 * block
        c.setFont("Helvetica", 10)
        for k, label in enumerate(labels):
            c.drawCentredString((132.5 + 25 * k) * mm, (297 - top) * mm, label)
        c.drawString(20 * mm, (297 - top - 8) * mm, f"{block + 1}. Statement number {block + 1}")
        for k in range(3):
            c.rect((130 + 25 * k) * mm, (297 - top - 10) * mm, 5 * mm, 5 * mm)
    c.showPage()
    c.save()
    return pdfium.PdfDocument(str(path))[0].render(scale=200 / 72, grayscale=True).to_numpy()


def test_a_smudged_header_takes_the_labels_its_other_prints_agree_on(tmp_path):
    labels = ["Never", "Sometimes", "Often"]
    page = _three_headed_grids(tmp_path / "form.pdf", labels)
    px = 200 / 25.4
    page[int(95 * px):int(101 * px), int(170 * px):int(185 * px)] = 255  # the second block's "Often" rubbed out
    cv2.imwrite(str(tmp_path / "scan.png"), page)
    result = draft_template(tmp_path / "scan.png")
    assert [[result.template.scales[i.scale].label(o.code) for o in i.options] for i in result.template.items] == \
        [labels] * 3
    assert any("taken as Never | Sometimes | Often" in d.what for d in result.doubts), result.doubts


def test_a_column_no_print_of_its_header_names_keeps_a_numbered_label(tmp_path):
    """Headers that vote column by column, none with a label over the last column: that
    column keeps its numbered label (and the draft says so), rather than an empty one."""
    cv2.imwrite(str(tmp_path / "scan.png"), _three_headed_grids(tmp_path / "form.pdf", ["Never", "Sometimes"]))
    result = draft_template(tmp_path / "scan.png")
    assert [[result.template.scales[i.scale].label(o.code) for o in i.options] for i in result.template.items] == \
        [["Never", "Sometimes", "Option 3"]] * 3
    assert any("could not read the header of every column" in d.what for d in result.doubts), result.doubts
