"""Bad inputs: each is accounted for in pages.csv or named in a one-line error, and the
rest of the batch still goes through, with no traceback.

One library scan reads every bad input mixed in with a filled questionnaire (as a PDF
and as a TIFF); the CLI then runs each bad input beside the filled PDF on its own.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from reportlab.pdfgen.canvas import Canvas
from typer.testing import CliRunner

from scans import DPI, jpeg_pdf
from scanner import load
from scanner.cli import app
from scanner.errors import ExitCode, InputFileError
from scanner.load import enumerate_pages, load_page
from scanner.pipeline import scan
from scanner.review.crops import CropRenderer, page_ref
from scanner.store import Store, resolved
from scanner.render import page_raster
from scanner.results import Reason
from scanner.review import queue as q
from scanner.template import parse_template

runner = CliRunner()

# name: (status in pages.csv, words the reason must contain, rows in pages.csv)
BAD = {
    "truncated.pdf": ("error", "not a readable PDF", 1),
    "garbage.pdf": ("error", "neither a PDF nor an image", 1),
    "encrypted.pdf": ("error", "encrypted", 1),
    "empty.pdf": ("error", "empty (0 bytes)", 1),
    "no-pages.pdf": ("error", "without any page", 1),
    "truncated.png": ("error", "cannot be decoded", 1),
    "broken.tiff": ("error", "not a readable TIFF", 1),
    "notes.txt": ("error", "neither a PDF nor an image", 1),
    "random.bin": ("error", "neither a PDF nor an image", 1),
    "missing.pdf": ("error", "no such file", 1),
    "empty-folder": ("error", "holds no PDF or image", 1),
    "other-form.png": ("unrecognised", "a page of form 'another-form'", 1),
    "letter.png": ("unrecognised", "not a page of this form", 1),
    "blank.png": ("blank", "blank", 1),
}


def _text_page() -> np.ndarray:
    """A page of some other document: a newsletter with lines of words, no markers."""
    image = np.full((1754, 1240, 3), 255, np.uint8)
    words = "Dear parent thank you for taking part in our survey of local services".split()
    rng = np.random.default_rng(1)
    cv2.putText(image, "Children's Centre newsletter", (100, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 2)
    for line in range(40):
        x = 100
        while x < 1050:
            word = words[rng.integers(len(words))]
            cv2.putText(image, word, (x, 186 + 36 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 1)
            x += 14 * len(word) + 14
    return image


def _no_pages_pdf() -> bytes:
    pdf = pdfium.PdfDocument.new()
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return buffer.getvalue()


def _encrypted_pdf(path: Path) -> None:
    canvas = Canvas(str(path), encrypt="secret")
    canvas.drawString(100, 100, "a protected scan")
    canvas.showPage()
    canvas.save()


def _huge_scan(page: np.ndarray) -> np.ndarray:
    """10000 x 10000 greyscale pixels with the filled page 1 in the middle (about 850 dpi)."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    big = cv2.resize(grey, (7071, 10000), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((10000, 10000), 255, np.uint8)
    canvas[:, 1464:1464 + 7071] = big
    return canvas


@pytest.fixture(scope="module")
def bad(filled, template, tmp_path_factory) -> dict[str, Path]:
    """Every bad input of BAD, plus a PDF whose page 3 is corrupt and a 10000 x 10000 scan."""
    folder = tmp_path_factory.mktemp("bad")
    paths = {name: folder / name for name in BAD}
    good_pdf = filled.pdf.read_bytes()
    paths["truncated.pdf"].write_bytes(good_pdf[: len(good_pdf) // 2])
    rng = np.random.default_rng(7)
    paths["garbage.pdf"].write_bytes(rng.bytes(5000))
    _encrypted_pdf(paths["encrypted.pdf"])
    paths["empty.pdf"].write_bytes(b"")
    paths["no-pages.pdf"].write_bytes(_no_pages_pdf())
    png = cv2.imencode(".png", filled.pages[1])[1].tobytes()
    paths["truncated.png"].write_bytes(png[: len(png) // 2])
    paths["broken.tiff"].write_bytes(b"II*\x00" + bytes(100))  # a TIFF header and nothing else
    paths["notes.txt"].write_text("Batch 3: returned by the Lead Agency\n", encoding="utf-8")
    paths["random.bin"].write_bytes(rng.bytes(3000))
    paths["empty-folder"].mkdir()
    other = parse_template(template.model_dump() | {"form": "another-form"})
    cv2.imwrite(str(paths["other-form.png"]), page_raster(other, 1, DPI))
    cv2.imwrite(str(paths["letter.png"]), _text_page())
    cv2.imwrite(str(paths["blank.png"]), np.full((1754, 1240, 3), 255, np.uint8))

    # Pages 1-4 of the filled questionnaire again (JPEGs of another quality, so other pages
    # and another sheet), with the JPEG of page 3 overwritten by zeros.
    data = bytearray(jpeg_pdf(filled.pages[:4], quality=80))
    at = -1
    for _ in range(3):
        at = data.index(b"/DCTDecode", at + 1)
    start = data.index(b"stream\n", at) + len(b"stream\n")
    data[start:start + 4000] = bytes(4000)
    paths["bad-page-3.pdf"] = folder / "bad-page-3.pdf"
    paths["bad-page-3.pdf"].write_bytes(bytes(data))

    paths["huge.png"] = folder / "huge.png"
    cv2.imwrite(str(paths["huge.png"]), _huge_scan(filled.pages[0]), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return paths


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def answers_of(responses: pd.DataFrame, source: Path, items) -> dict[str, int]:
    row = responses[responses["source"] == str(source)]
    assert len(row) == 1, f"{source}: {len(row)} rows in responses.csv"
    return {item: int(row.iloc[0][item]) if row.iloc[0][item] else None for item in items}


@pytest.fixture(scope="module")
def batch(bad, filled, template, tmp_path_factory):
    """One library scan of every bad input, mixed in with the filled PDF and TIFF."""
    names = list(BAD)
    inputs = ([bad[n] for n in names[:6]] + [filled.pdf] + [bad[n] for n in names[6:]]
              + [bad["bad-page-3.pdf"], bad["huge.png"], filled.tiff])
    out = tmp_path_factory.mktemp("batch-out")
    summary = scan(inputs, template, out, jobs=1, ocr=False)
    return summary, read_csv(out / "pages.csv"), read_csv(out / "responses.csv")


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_has_its_row_with_the_reason(batch, bad, name):
    status, words, rows = BAD[name]
    _, pages, _ = batch
    mine = pages[pages["source"] == str(bad[name])]
    assert len(mine) == rows
    assert set(mine["status"]) == {status}
    assert all(words in reason for reason in mine["reason"]), list(mine["reason"])
    assert not any(mine["sheet_id"])


def test_filled_questionnaire_is_read_despite_the_bad_inputs(batch, filled):
    _, pages, responses = batch
    for source in (filled.pdf, filled.tiff):
        assert list(pages[pages["source"] == str(source)]["status"]) == ["used"] * 7
        assert answers_of(responses, source, filled.answers) == filled.answers


def test_every_page_appears_exactly_once(batch, bad, filled):
    summary, pages, _ = batch
    expected = {str(bad[n]): rows for n, (_, _, rows) in BAD.items()}
    expected |= {str(filled.pdf): 7, str(filled.tiff): 7, str(bad["bad-page-3.pdf"]): 4, str(bad["huge.png"]): 1}
    assert pages.groupby("source").size().to_dict() == expected
    assert not pages.duplicated(["source", "page"]).any()
    assert sum(summary.pages.values()) == len(pages)


def test_unreadable_file_has_one_row_without_a_page_number(batch, bad):
    _, pages, _ = batch
    row = pages[pages["source"] == str(bad["truncated.pdf"])].iloc[0]
    assert row["page"] == ""
    # Pages and form pages are whole numbers even when some rows have none (not "1.0").
    assert set(pages[pages["status"] == "used"]["form_page"]) == {str(p) for p in range(1, 8)}


def test_the_items_of_a_corrupt_page_send_the_reviewer_to_it(batch, bad, template):
    """Its questionnaire misses form page 3: its items name the page of its file that could
    not be read, not the unreadable files listed before it."""
    summary, _, responses = batch
    (sheet_id,) = responses[responses["source"] == str(bad["bad-page-3.pdf"])]["sheet_id"]
    where = f"{bad['bad-page-3.pdf']} page 3"
    flags = read_csv(summary.out_dir / "sheets.csv").set_index("sheet_id").loc[sheet_id, "flags"]
    assert f"; {where} could not be read or recognised: a missing page may be there" in flags
    items = read_csv(summary.out_dir / "items.csv")
    on_page3 = items[(items["sheet_id"] == sheet_id) & items["item"].isin([i.id for i in template.items_on(3)])]
    assert len(on_page3) and set(on_page3["reason"]) == {Reason.PAGE_UNREAD.value}
    with q.open_survey(summary.out_dir, template) as store:
        detail = q.item_detail(store, q.Fields(template), sheet_id, template.items_on(3)[0].id)
    assert detail["reason_text"] == f"{Reason.PAGE_UNREAD.value} ({where})"


def test_corrupt_page_is_an_error_and_the_other_pages_are_read(batch, bad, filled, template):
    summary, pages, responses = batch
    mine = pages[pages["source"] == str(bad["bad-page-3.pdf"])]
    assert list(mine["page"]) == ["1", "2", "3", "4"]
    assert list(mine["status"]) == ["used", "used", "error", "used"]
    assert "cannot be decoded" in mine.iloc[2]["reason"]
    others = {k: v for p in (1, 2, 4) for k, v in filled.answers_on(template, p).items()}
    assert answers_of(responses, bad["bad-page-3.pdf"], others) == others
    assert f"{bad['bad-page-3.pdf']} page 3: the image cannot be decoded (corrupt or truncated)" in summary.failed


def test_huge_image_is_read_at_reduced_size(batch, bad, filled, template):
    _, pages, responses = batch
    assert list(pages[pages["source"] == str(bad["huge.png"])]["status"]) == ["used"]
    page1 = filled.answers_on(template, 1)
    assert answers_of(responses, bad["huge.png"], page1) == page1


def test_summary_names_each_failed_file(batch, bad):
    summary, _, _ = batch
    assert not summary.ok
    errors = [n for n, (status, _, _) in BAD.items() if status == "error"]
    assert len(summary.failed) == len(errors) + 1  # and page 3 of bad-page-3.pdf
    for name in errors:
        assert sum(line.startswith((f"{bad[name]}: ", f"{bad[name]} page 1: ")) for line in summary.failed) == 1


def test_pdf_pages_are_single_jpegs_taken_as_they_are(filled):
    # The fixture is what a sheet feeder writes; `load` must take the JPEG without
    # rendering (it once failed on pypdfium2's ctypes buffer, which has no `tobytes`).
    pdf = pdfium.PdfDocument(str(filled.pdf))
    try:
        for page in pdf:
            images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
            assert len(images) == 1 and images[0].get_filters() == ["DCTDecode"]
    finally:
        pdf.close()
    tasks = list(enumerate_pages([filled.pdf]))
    assert [t.kind for t in tasks] == ["jpeg"] * 7
    assert all(t.data.startswith(b"\xff\xd8") for t in tasks)
    assert load_page(tasks[0]).grey.shape == filled.pages[0].shape[:2]



def test_a_pdf_page_is_a_scanned_jpeg_when_it_draws_one_jpeg_alone_even_in_a_form(tmp_path, monkeypatch):
    # The parent takes each page's JPEG with PDFium's own calls, not pypdfium2's objects:
    # what it finds must be what they find (one image, on the page or in a form it draws).
    from reportlab import rl_config

    monkeypatch.setattr(rl_config, "useA85", 0)  # the JPEG as it is, not in ASCII85 too
    jpeg, png = tmp_path / "scan.jpg", tmp_path / "scan.png"
    picture = np.random.default_rng(5).integers(0, 255, (120, 90, 3), np.uint8)
    cv2.imwrite(str(jpeg), picture)
    cv2.imwrite(str(png), picture)
    canvas = Canvas(str(tmp_path / "kinds.pdf"), pagesize=(200, 300))
    canvas.drawImage(str(jpeg), 0, 0, 200, 300)  # a scan, the whole page
    canvas.showPage()
    canvas.drawImage(str(jpeg), 0, 0, 200, 300)  # two scans on a page
    canvas.drawImage(str(jpeg), 100, 150, 200, 300)
    canvas.showPage()
    canvas.beginForm("scan")  # a scan inside a form
    canvas.drawImage(str(jpeg), 0, 0, 200, 300)
    canvas.endForm()
    canvas.doForm("scan")
    canvas.showPage()
    canvas.drawImage(str(png), 0, 0, 200, 300)  # not a JPEG
    canvas.showPage()
    canvas.save()
    tasks = list(enumerate_pages([tmp_path / "kinds.pdf"]))
    assert [t.kind for t in tasks] == ["jpeg", "pdf-page", "jpeg", "pdf-page"]
    pdf = pdfium.PdfDocument(str(tmp_path / "kinds.pdf"))
    try:
        for task in (tasks[0], tasks[2]):
            image, = pdf[task.page - 1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)
            assert task.data == bytes(image.get_data(decode_simple=False)) and task.data.startswith(b"\xff\xd8")
            assert task.content_hash == load._digest(task.data)
    finally:
        pdf.close()
    assert tasks[0].content_hash == tasks[2].content_hash  # one image, wherever it is drawn

# --- the CLI, one bad input at a time beside page 1 of the filled questionnaire ---------

CHEAP = [n for n in BAD if n != "letter.png"]  # the letter costs seconds of content matching


def run_scan(*args) -> object:
    return runner.invoke(app, ["scan", *map(str, args), "--no-ocr", "-j", "1"])


@pytest.mark.parametrize("name", CHEAP)
def test_cli_reports_the_bad_input_and_reads_the_rest(bad, filled, template, tmp_path, name):
    status = BAD[name][0]
    out = tmp_path / "out"
    result = run_scan(bad[name], filled.png, "--out", out)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    pages = read_csv(out / "pages.csv")
    assert list(pages["status"]) == [status, "used"]
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    if status == "error":
        assert result.exit_code == ExitCode.INPUTS_FAILED
        where = f"{bad[name]} page {pages['page'][0]}" if pages["page"][0] else str(bad[name])
        assert failed == [f"failed: {where}: {pages['reason'][0]}"]
    else:
        assert result.exit_code == ExitCode.OK
        assert failed == []
    page1 = filled.answers_on(template, 1)
    assert answers_of(read_csv(out / "responses.csv"), filled.png, page1) == page1


def test_cli_names_the_page_that_failed(bad, tmp_path):
    result = run_scan(bad["bad-page-3.pdf"], "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == ExitCode.INPUTS_FAILED
    assert result.stderr.splitlines() == [
        f"failed: {bad['bad-page-3.pdf']} page 3: the image cannot be decoded (corrupt or truncated)"]


def test_failure_line_is_not_wrapped_however_long_the_name(tmp_path):
    # The summary's console wrapped long lines at 80 columns, splitting a file's message.
    deep = tmp_path / ("a-rather-long-folder-name-for-a-batch-of-returns-" * 3)
    deep.mkdir()
    bad_file = deep / "Programme A [returns 2003] garbage.pdf"
    bad_file.write_bytes(b"not a pdf at all")
    result = run_scan(bad_file, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUTS_FAILED
    assert f"failed: {bad_file}: neither a PDF nor an image (PNG, JPEG, TIFF)" in result.stderr.splitlines()


def test_only_blank_and_unrecognised_pages_exit_0(bad, filled, tmp_path):
    result = run_scan(bad["blank.png"], bad["other-form.png"], filled.png, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.output
    result = run_scan(bad["blank.png"], bad["garbage.pdf"], filled.png, "--out", tmp_path / "out2")
    assert result.exit_code == ExitCode.INPUTS_FAILED


def test_folder_of_good_and_bad_files(bad, filled, tmp_path):
    folder = tmp_path / "returns"
    (folder / "monday").mkdir(parents=True)
    (folder / "monday" / "filled.pdf").write_bytes(filled.page1_pdf.read_bytes())
    (folder / "monday" / "broken.pdf").write_bytes(bad["truncated.pdf"].read_bytes())
    (folder / "blank.png").write_bytes(bad["blank.png"].read_bytes())
    (folder / "Thumbs.db").write_bytes(b"\x00" * 10)  # not a PDF or image by name: not an input
    out = tmp_path / "out"
    result = run_scan(folder, "--out", out)
    assert result.exit_code == ExitCode.INPUTS_FAILED
    pages = read_csv(out / "pages.csv")
    assert pages.groupby("source")["status"].apply(list).to_dict() == {
        str(folder / "blank.png"): ["blank"],
        str(folder / "monday" / "broken.pdf"): ["error"],
        str(folder / "monday" / "filled.pdf"): ["used"],
    }
    assert f"failed: {folder / 'monday' / 'broken.pdf'}: not a readable PDF" in result.stderr


def test_out_folder_inside_the_input_folder_is_not_scanned(filled, tmp_path):
    # Crops are JPEGs: scanning a folder that holds the out folder read them as pages.
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "filled.pdf").write_bytes(filled.page1_pdf.read_bytes())
    out = folder / "scan-results"
    (out / "crops" / "s1").mkdir(parents=True)
    cv2.imwrite(str(out / "crops" / "s1" / "q01_comment.jpg"), np.full((40, 200, 3), 255, np.uint8))
    result = run_scan(folder, "--out", out)
    assert result.exit_code == ExitCode.OK, result.output
    assert list(read_csv(out / "pages.csv")["source"]) == [str(folder / "filled.pdf")]


def test_rescan_of_a_repaired_file_drops_its_error_row(filled, tmp_path):
    path, out = tmp_path / "batch.pdf", tmp_path / "out"
    data = filled.page1_pdf.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert run_scan(path, "--out", out).exit_code == ExitCode.INPUTS_FAILED
    path.write_bytes(data)
    assert run_scan(path, "--out", out).exit_code == ExitCode.OK
    pages = read_csv(out / "pages.csv")
    assert list(pages["page"]) == ["1"]
    assert list(pages["status"]) == ["used"]


def test_unreadable_file_is_reported(filled, tmp_path, monkeypatch, template):
    # Permissions cannot be taken away from root, so make reading the file fail instead.
    real = load._sniff

    def sniff(path):
        if path.name == "locked.pdf":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(filled.page1_pdf.read_bytes())
    monkeypatch.setattr(load, "_sniff", sniff)
    summary = scan([locked, filled.png], template, tmp_path / "out", jobs=1, ocr=False)
    pages = read_csv(tmp_path / "out" / "pages.csv")
    assert list(pages["status"]) == ["error", "used"]
    assert "Permission denied" in pages["reason"][0]
    assert summary.failed == [f"{locked}: {pages['reason'][0]}"]


def test_pdf_without_pages_after_an_encrypted_one_is_not_called_encrypted(bad, tmp_path):
    # PDFium sets no error code when it refuses a PDF without pages, so the "password"
    # error of the encrypted file before it showed again. (A copy: a file named twice is read once.)
    again = tmp_path / "encrypted-again.pdf"
    again.write_bytes(Path(bad["encrypted.pdf"]).read_bytes())
    problems = list(enumerate_pages([bad["encrypted.pdf"], bad["no-pages.pdf"], again]))
    assert [p.reason.split(";")[0] for p in problems] == [
        "the PDF is encrypted", "not a readable PDF: corrupt, truncated, or without any page", "the PDF is encrypted"]


def test_poster_sized_pdf_page_is_drawn_within_the_pixel_cap(tmp_path, monkeypatch):
    # A 5 m square page was drawn at 200 dpi: 1.6 billion pixels, 26 s and 5 GB, then failed.
    path = tmp_path / "poster.pdf"
    canvas = Canvas(str(path), pagesize=(14400, 14400))
    canvas.setFont("Helvetica", 400)
    canvas.drawString(1000, 7000, "Family fun day")
    canvas.showPage()
    canvas.save()
    monkeypatch.setattr(load, "MAX_PIXELS", 2_000_000)
    (task,) = enumerate_pages([path])
    assert task.kind == "pdf-page"
    assert load_page(task).grey.size <= 2_000_000 * 1.01  # pdfium rounds the size up


def test_out_folder_that_is_a_file_is_a_usage_error(filled, tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("not a folder\n")
    result = run_scan(filled.png, "--out", out)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith(f"error: cannot keep the survey in {out}")
    assert "Traceback" not in result.output


def test_unexpected_error_is_one_line_and_exit_70(filled, tmp_path, monkeypatch):
    import scanner.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("the store exploded")

    monkeypatch.setattr(scanner.pipeline, "scan", broken)
    result = run_scan(filled.png, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stderr.splitlines() == [
        "internal error: RuntimeError: the store exploded; please report it (--verbose shows the traceback)"]
    verbose = run_scan(filled.png, "--out", tmp_path / "out", "--verbose")
    assert verbose.exit_code == ExitCode.INTERNAL
    assert "Traceback" in verbose.stderr and 'raise RuntimeError("the store exploded")' in verbose.stderr


def test_every_file_in_a_folder_has_a_row(filled, tmp_path):
    # Broken links, link loops and image types the loader skips vanished without a row.
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "filled.pdf").write_bytes(filled.page1_pdf.read_bytes())
    cv2.imwrite(str(folder / "scan.bmp"), filled.pages[0])
    (folder / "gone.pdf").symlink_to(tmp_path / "deleted.pdf")
    (folder / "loop-a.png").symlink_to(folder / "loop-b.png")
    (folder / "loop-b.png").symlink_to(folder / "loop-a.png")
    (folder / "again").symlink_to(folder)  # a link to its own folder: its files once, not forever
    (folder / ".DS_Store").write_bytes(bytes(8))  # hidden: not an input
    (folder / ".trash").mkdir()  # nor what a hidden folder holds
    cv2.imwrite(str(folder / ".trash" / "old.png"), filled.pages[0])
    out = tmp_path / "out"
    result = run_scan(folder, "--out", out)
    assert result.exit_code == ExitCode.INPUTS_FAILED
    pages = read_csv(out / "pages.csv")
    assert {source: (status, reason) for source, status, reason in zip(pages["source"], pages["status"],
                                                                       pages["reason"])} == {
        str(folder / "filled.pdf"): ("used", ""),
        str(folder / "gone.pdf"): ("error", f"a broken symbolic link: its target {tmp_path / 'deleted.pdf'} "
                                            "does not exist"),
        str(folder / "loop-a.png"): ("error", "a symbolic link loop: it leads back to itself"),
        str(folder / "loop-b.png"): ("error", "a symbolic link loop: it leads back to itself"),
        str(folder / "scan.bmp"): ("error", ".bmp is not a supported image type: save it as PNG, JPEG or TIFF"),
    }
    assert len(pages) == 5


def _png_bomb(path: Path, side: int) -> None:
    """A valid greyscale PNG of side x side white pixels: small on disk, huge decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # Runs of one byte, so run-length matching alone compresses them as well as level 9's
    # search, in less than half the time (400 MB of rows).
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    row = b"\x00" + b"\xff" * side  # filter byte, then the row
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def _tiff_claiming(path: Path, side: int) -> None:
    """A TIFF whose directory says side x side greyscale pixels, over one short strip."""
    tags = [(256, 4, side), (257, 4, side), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8 + 2 + 9 * 12 + 4),
            (277, 3, 1), (278, 4, side), (279, 4, 4096)]
    directory = struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", tag, kind, 1, value)
                                                        for tag, kind, value in tags) + struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + directory + bytes(4096))


@pytest.mark.parametrize("make", [_png_bomb, _tiff_claiming], ids=["png", "tiff"])
def test_image_too_large_to_decode_is_refused_from_its_header(tmp_path, make):
    # A 20000 x 20000 PNG of a few hundred KB took 2.5 GB and 17 s before MAX_PIXELS applied.
    bomb = tmp_path / "bomb"
    make(bomb, 20000)
    assert bomb.stat().st_size < 2_000_000
    (task,) = enumerate_pages([bomb])
    # CPU time, not wall: the claim is the work not done, which a loaded machine does not stretch.
    started = time.process_time()
    with pytest.raises(InputFileError, match=r"page 1: the image is 20000 x 20000 pixels, more than any scan"):
        load_page(task)
    assert time.process_time() - started < 1.0


def test_header_sizes_are_the_decoded_sizes(filled):
    # The header decides what is refused, so it must be read right: PNG, JPEG, TIFF frames.
    assert load._header_size(filled.png.read_bytes()) == filled.pages[0].shape[1::-1]
    jpeg = next(iter(enumerate_pages([filled.pdf])))
    assert load._header_size(jpeg.data) == cv2.imdecode(np.frombuffer(jpeg.data, np.uint8), 0).shape[::-1]
    _, frames = cv2.imreadmulti(str(filled.tiff))
    assert [load._tiff_frame_size(str(filled.tiff), k) for k in range(len(frames))] == \
        [f.shape[1::-1] for f in frames]


@pytest.mark.parametrize("height,width", [(1, 1), (1, 5000), (3, 3000)])
def test_tiny_image_reason_is_one_line_of_words(tmp_path, template, height, width):
    # A 1x1 image's reason was OpenCV's assertion, source path and newline included.
    path = tmp_path / "tiny.png"
    cv2.imwrite(str(path), np.full((height, width), 255, np.uint8))
    scan([path], template, tmp_path / "out", jobs=1, ocr=False)
    pages = read_csv(tmp_path / "out" / "pages.csv")
    assert list(pages["status"]) == ["error"]
    assert list(pages["reason"]) == [f"the image is only {width} x {height} pixels: too small to be a scanned page"]


def test_batch_without_a_page_of_the_form_exits_1(bad, tmp_path):
    # Scanned with the wrong template, a batch exited 0: every page merely "unrecognised".
    result = run_scan(bad["other-form.png"], bad["blank.png"], "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == ExitCode.INPUTS_FAILED
    assert result.stderr.splitlines() == [
        f"failed: no page of {bad['other-form.png']} is a page of form surestart-multiagency 1: wrong template?"]
    assert list(read_csv(tmp_path / "out" / "pages.csv")["status"]) == ["unrecognised", "blank"]


def test_out_folder_with_markup_in_its_name(filled, tmp_path):
    # Rich read "[/]" in the out folder's name as a closing tag and the summary crashed.
    out = tmp_path / "survey[" / "]2024"
    result = run_scan(filled.png, "--out", out)
    assert result.exit_code == ExitCode.OK, result.output
    assert f"results in {out}" in " ".join(result.stderr.split())


def test_progress_bar_shows_a_file_name_with_brackets(monkeypatch):
    # The bar read a file's name as rich markup: "[/]" in it ended the scan.
    import sys

    from scanner.console import progress_bar
    from scanner.pipeline import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar() as update:
        update(Progress(1, 2, "returns [/] 2003.pdf", 1))
    assert "returns [/] 2003.pdf p1" in terminal.getvalue()


def test_file_name_that_is_not_utf8_is_read_like_any_other(filled, commented, template, tmp_path):
    # A Latin-1 name (an old Windows share, a zip unpacked without -O) stopped the whole
    # batch with "internal error" and no CSV: the store could not hold its name. The other
    # file is another scan: a copy of the same one would be a repeat of it.
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "good.png").write_bytes(commented.read_bytes())
    latin1 = Path(os.fsdecode(bytes(folder) + b"/caf\xe9.pdf"))
    latin1.write_bytes(filled.page1_pdf.read_bytes())
    shown = str(folder / "caf\\xe9.pdf")
    out = tmp_path / "out"
    for _ in range(2):  # and again, re-running: the name finds its stored pages
        result = run_scan(folder, "--out", out)
        assert result.exit_code == ExitCode.OK, result.output
        pages = read_csv(out / "pages.csv")
        assert dict(zip(pages["source"], pages["status"])) == {str(folder / "good.png"): "used", shown: "used"}
        page1 = filled.answers_on(template, 1)
        assert answers_of(read_csv(out / "responses.csv"), Path(shown), page1) == page1
    with Store(out) as store:
        assert list(store.file_pages(resolved(str(latin1)))) == [1]
        sheet_id = store.db.execute("SELECT sheet_id FROM pages WHERE source = ?", (shown,)).fetchone()[0]
        ref = page_ref(store, sheet_id, 1)
    assert CropRenderer(template).page(ref).grey.size  # the review finds the page by its name


def test_what_is_not_a_regular_file_is_called_so(filled, tmp_path):
    # A named pipe and a link to /dev/zero were "the file is empty (0 bytes)"; a folder
    # named like a scan (x.pdf/) holding nothing had no row at all.
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "filled.pdf").write_bytes(filled.page1_pdf.read_bytes())
    os.mkfifo(folder / "pipe.pdf")
    (folder / "zero.pdf").symlink_to("/dev/zero")
    (folder / "folder.pdf").mkdir()
    (folder / "empty").mkdir()  # a plain empty folder is nothing to read, and nothing lost
    result = run_scan(folder, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUTS_FAILED
    pages = read_csv(tmp_path / "out" / "pages.csv")
    assert dict(zip(pages["source"], pages["reason"])) == {
        str(folder / "filled.pdf"): "",
        str(folder / "pipe.pdf"): "not a regular file: a named pipe",
        str(folder / "zero.pdf"): "not a regular file: a device",
        str(folder / "folder.pdf"): "a folder named like a scan, holding no PDF or image (PNG, JPEG, TIFF)",
    }


@pytest.mark.parametrize("left", [[".DS_Store"], ["Thumbs.db"], [".DS_Store", "desktop.ini", ".cache/x.pdf"]])
def test_a_folder_named_like_a_scan_holding_only_what_is_no_input_is_called_so(tmp_path, left):
    # A folder x.pdf/ that a file manager left its .DS_Store or Thumbs.db in had no row.
    folder = tmp_path / "returns"
    for name in left:
        (folder / "x.pdf" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "x.pdf" / name).write_bytes(b"\x00" * 10)
    problems = list(enumerate_pages([folder]))
    assert [(p.source, p.reason) for p in problems] == [
        (str(folder / "x.pdf"), "a folder named like a scan, holding no PDF or image (PNG, JPEG, TIFF)")]


def test_failure_line_of_an_odd_name_is_one_line(tmp_path):
    # A name holding a newline split its "failed:" line in two; a Latin-1 byte showed as \udce9.
    newline, latin1 = tmp_path / "bad\nname.pdf", Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.pdf"))
    for bad_file in (newline, latin1):
        bad_file.write_bytes(b"x")
    result = run_scan(newline, latin1, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUTS_FAILED
    assert [line for line in result.stderr.splitlines() if ".pdf" in line] == [
        f"failed: {tmp_path}/{name}.pdf: neither a PDF nor an image (PNG, JPEG, TIFF)"
        for name in ("bad\\nname", "caf\\xe9")]


def test_a_copy_of_a_scan_with_a_name_that_is_not_utf8_names_it_escaped(filled, tmp_path):
    # The copy's reason named the original by its raw name: the store could not hold the
    # reason and the whole batch ended with "internal error" (exit 70), no CSV.
    folder = tmp_path / "returns"
    folder.mkdir()
    Path(os.fsdecode(bytes(folder) + b"/caf\xe9.pdf")).write_bytes(filled.page1_pdf.read_bytes())
    (folder / "good.pdf").write_bytes(filled.page1_pdf.read_bytes())
    result = run_scan(folder, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.output
    pages = read_csv(tmp_path / "out" / "pages.csv")
    shown = str(folder / "caf\\xe9.pdf")
    assert dict(zip(pages["source"], pages["status"])) == {shown: "used", str(folder / "good.pdf"): "unrecognised"}
    assert f"the same page image as {shown} page 1" in pages.set_index("source").reason[str(folder / "good.pdf")]
