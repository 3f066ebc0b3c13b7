"""The scan generator: deterministic, complete truth, scanner-like PDFs, every effect present."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from scanner.synth import (BoxMark, Desk, Effect, Ink, ItemAnswer, PageScan, Shape, Status, SynthOptions,
                           fill_page, generate)
from scanner.synth.respondents import COMMENT_EFFECTS, ITEM_EFFECTS
from scanner.template import load_template

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "surestart.yaml"
CONTRACT_PAGES = ["source", "page", "status", "sheet_id", "reason"]
DISTORTION = ["dpi", "greyscale", "rotation_deg", "shift_x_mm", "shift_y_mm", "scale", "upside_down", "photo",
              "jpeg_quality"]
MARKS = ["sheet_id", "item", "value", "expected_status", "effect"]

# Small and low-resolution so that the suite stays fast; every file-level feature
# appears in a batch of two files (the shares are quotas, rounded at random).
SMALL = SynthOptions(per_file=2, dpis=(100,), greyscale_share=0.5, duplex_blank_share=0.5,
                     cover_letter_share=0.5, numbered_share=0.5)


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def desk(template):
    with Desk(template) as desk:
        yield desk


@pytest.fixture(scope="module")
def batches(template, tmp_path_factory):
    """Two runs with the same seed and one with another."""
    root = tmp_path_factory.mktemp("synth")
    return {name: generate(template, root / name, 4, seed, SMALL) for name, seed in (("a", 5), ("b", 5), ("c", 6))}


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _images(pdf_path: Path) -> list[tuple[bytes, object, tuple[float, float]]]:
    """Each page's single image object: raw stream bytes, the object, the page size in pt."""
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        out = []
        for page in pdf:
            objects = list(page.get_objects())
            assert len(objects) == 1 and isinstance(objects[0], pdfium.PdfImage), "a page is one image"
            out.append((bytes(objects[0].get_data(decode_simple=False)), objects[0].get_filters(), page.get_size()))
        return out
    finally:
        pdf.close()


def _digest(result) -> dict[str, str]:
    files = sorted(result.truth_dir.glob("*.csv")) + result.files
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_same_seed_gives_identical_truth_and_images(batches):
    a, b = batches["a"], batches["b"]
    assert _digest(a) == _digest(b)
    for fa, fb in zip(a.files, b.files):
        assert [i[0] for i in _images(fa)] == [i[0] for i in _images(fb)]


def test_another_seed_gives_another_batch(batches):
    a, c = batches["a"], batches["c"]
    assert (a.truth_dir / "responses.csv").read_bytes() != (c.truth_dir / "responses.csv").read_bytes()
    assert _images(a.files[0])[0][0] != _images(c.files[0])[0][0]


def test_truth_has_the_contract_columns(batches, template):
    truth = batches["a"].truth_dir
    responses = _read(truth / "responses.csv")
    head = ["sheet_id", "source", "first_page", "programme", "colour", *template.field_ids()]
    assert list(responses[0])[: len(head)] == head
    assert len(responses) == 4
    pages = _read(truth / "pages.csv")
    assert set(CONTRACT_PAGES + ["form_page"] + DISTORTION) <= set(pages[0])
    marks = _read(truth / "marks.csv")
    assert list(marks[0])[: len(MARKS)] == MARKS
    assert len(marks) == 4 * (1 + len(template.items) + len(template.comments))
    manifest = json.loads((truth / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["counts"]["questionnaires"] == 4
    assert manifest["template"] == {"form": template.form, "version": template.version}


def test_every_page_is_accounted_for(batches, template):
    result = batches["a"]
    pages = _read(result.truth_dir / "pages.csv")
    seen = {(r["source"], int(r["page"])) for r in pages}
    expected = {(f.name, k + 1) for f in result.files for k in range(len(_images(f)))}
    assert seen == expected and len(pages) == len(expected) == result.pages
    assert {r["status"] for r in pages} == {"used", "blank", "unrecognised"}
    used = [r for r in pages if r["status"] == "used"]
    assert len(used) == 4 * len(template.pages)
    by_page = {(r["source"], r["page"]): r for r in pages}
    for row in _read(result.truth_dir / "responses.csv"):
        first = by_page[(row["source"], row["first_page"])]
        assert first["sheet_id"] == row["sheet_id"] and first["form_page"] == "1"


def test_pages_are_jpegs_of_the_recorded_size(batches):
    result = batches["a"]
    rows = {(r["source"], int(r["page"])): r for r in _read(result.truth_dir / "pages.csv")}
    greys = set()
    for path in result.files:
        for number, (data, filters, (w_pt, h_pt)) in enumerate(_images(path), start=1):
            row = rows[(path.name, number)]
            assert filters == ["DCTDecode"] and data[:2] == b"\xff\xd8"
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            assert image.shape[:2] == (int(row["height_px"]), int(row["width_px"]))
            dpi = int(row["dpi"])
            assert w_pt == pytest.approx(image.shape[1] * 72 / dpi, abs=0.01)
            assert h_pt == pytest.approx(image.shape[0] * 72 / dpi, abs=0.01)
            if row["greyscale"] == "1":
                assert image.ndim == 2, "greyscale files hold single-channel JPEGs"
                greys.add(path.name)
            else:
                assert image.ndim == 3 and image.shape[2] == 3
    assert greys, "the small batch has a greyscale file"


def test_a_batch_of_forty_holds_every_effect(template, tmp_path):
    options = SynthOptions(per_file=10, dpis=(72,), photo_share=0.05, upside_down_share=0.05,
                           duplex_blank_share=0.25, cover_letter_share=0.25, greyscale_share=0.25,
                           numbered_share=0.0)
    result = generate(template, tmp_path, 40, 3, options)
    marks = _read(result.truth_dir / "marks.csv")
    effects = {m["effect"] for m in marks}
    assert {e.value for e in ITEM_EFFECTS + COMMENT_EFFECTS} <= effects
    assert {"colour", "greyscale"} <= effects
    assert {m["expected_status"] for m in marks} == {"ok", "blank", "multiple", "review"}
    pages = _read(result.truth_dir / "pages.csv")
    assert any(p["photo"] == "1" for p in pages) and any(p["upside_down"] == "1" for p in pages)
    assert {p["status"] for p in pages} == {"used", "blank", "unrecognised"}
    responses = _read(result.truth_dir / "responses.csv")
    assert {r["programme"] for r in responses} >= {"Programme A", "Programme B", "Programme C", "Programme D"}
    for m in marks:
        if m["effect"] in ("double", "blank"):
            assert m["value"] == ""
        if m["effect"] == "correction":
            assert m["value"] and m["cancelled"] and m["value"] not in m["cancelled"].split()


def test_truth_of_a_sheet_agrees_across_files(batches, template):
    truth = batches["a"].truth_dir
    marks = {(m["sheet_id"], m["item"]): m for m in _read(truth / "marks.csv")}
    for row in _read(truth / "responses.csv"):
        for item in template.items:
            assert row[item.id] == marks[(row["sheet_id"], item.id)]["value"]
        assert row["programme"] == marks[(row["sheet_id"], "programme")]["value"]
        white = template.colour("white")
        if row["colour"] == "white":
            assert row["programme"] == white.programme and row["role"] in ("4", "5", "")


def _box_ink(image: np.ndarray, h_mm: np.ndarray, box) -> float:
    """Mean darkness inside a box's middle (its printed border left out)."""
    x, y, w, h = box
    centre = cv2.perspectiveTransform(np.array([[[x + w / 2, y + h / 2]]], np.float64), h_mm)[0, 0]
    half = 0.3 * w * np.hypot(*h_mm[0, :2]) / h_mm[2, 2]
    cx, cy = int(round(centre[0])), int(round(centre[1]))
    r = max(1, int(half))
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return float(255 - grey[cy - r: cy + r + 1, cx - r: cx + r + 1].mean())


def test_fill_page_puts_each_mark_in_its_box_through_the_distortion(template, desk):
    page = 3
    items = template.items_on(page)
    answers = {items[0].id: 2, items[1].id: 4,
               items[2].id: ItemAnswer(items[2].id, page, 5, Status.OK, Effect.CORRECTION, Ink.BLUE,
                                       (BoxMark(1, Shape.INKED_OUT), BoxMark(5, Shape.CROSS)))}
    scan = PageScan(rotation_deg=2.0, shift_mm=(4.0, -3.0), scale=1.01, upside_down=True)
    image = fill_page(template, page, answers, dpi=100, colour="blue", scan=scan, desk=desk,
                      rng=np.random.default_rng(1))
    h_mm = scan.homography(template.page_size_mm, 100)
    for item in items[:3]:
        ink = {o.code: _box_ink(image, h_mm, o.box_mm) for o in item.options}
        marked = {items[0].id: {2}, items[1].id: {4}, items[2].id: {1, 5}}[item.id]
        assert min(ink[c] for c in marked) > max(v for c, v in ink.items() if c not in marked) + 25, (item.id, ink)


def test_fill_page_without_scan_is_exact_and_clean(template, desk):
    a = fill_page(template, 1, {"role": 1}, {"role_detail": "More joint training would help"}, dpi=72,
                  desk=desk, rng=np.random.default_rng(2))
    b = fill_page(template, 1, {"role": 1}, {"role_detail": "More joint training would help"}, dpi=72,
                  desk=desk, rng=np.random.default_rng(2))
    grey = fill_page(template, 1, {}, dpi=72, desk=desk, greyscale=True)
    assert np.array_equal(a, b)
    assert grey.ndim == 2 and grey.shape == a.shape[:2]
    zone = template.comments_on(1)[0].box_mm
    assert _box_ink(a, PageScan().homography(template.page_size_mm, 72), (zone[0], zone[1], 60, zone[3])) > 3
