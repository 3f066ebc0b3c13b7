"""Known-answer scans for the scan tests: a filled questionnaire as a sheet feeder's PDF,
as a multi-page TIFF and as PNG pages, and the PDF writer they need.

The PDF is written by hand so that each page is exactly one embedded JPEG (filter
DCTDecode), the way scanners write them and the way `load` takes them without rendering.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from scanner.render import page_raster
from scanner.template import Template

DPI = 150
A4_PT = (595.28, 841.89)


def px(mm: float, dpi: float = DPI) -> int:
    return int(round(mm * dpi / 25.4))


def tick(image: np.ndarray, box_mm: tuple[float, float, float, float], dpi: float = DPI) -> None:
    """A pen tick (two strokes, about 0.5 mm wide) inside the box."""
    x, y, w, h = box_mm
    a = (px(x + 0.2 * w, dpi), px(y + 0.55 * h, dpi))
    b = (px(x + 0.45 * w, dpi), px(y + 0.85 * h, dpi))
    c = (px(x + 0.85 * w, dpi), px(y + 0.15 * h, dpi))
    thickness = max(2, px(0.5, dpi))
    cv2.line(image, a, b, (40, 40, 40), thickness)
    cv2.line(image, b, c, (40, 40, 40), thickness)


def write_words(image: np.ndarray, box_mm: tuple[float, float, float, float], text: str,
                dpi: float = DPI) -> None:
    """Words written in a comment zone, in a pen's weight."""
    x, y, _, h = box_mm
    cv2.putText(image, text, (px(x + 3, dpi), px(y + 0.65 * h, dpi)), cv2.FONT_HERSHEY_SIMPLEX, dpi / 200,
                (20, 20, 20), max(2, px(0.4, dpi)), cv2.LINE_AA)


def fill_in(template: Template, dpi: float = DPI) -> tuple[list[np.ndarray], dict[str, int]]:
    """Every page of the form drawn at `dpi`, the first three items of each ticked.

    Returns the pages (BGR) and the code ticked for each of those items.
    """
    pages, answers = [], {}
    for number in template.page_numbers:
        image = page_raster(template, number, dpi)
        for k, item in enumerate(template.items_on(number)[:3]):
            option = item.options[(k + number) % len(item.options)]
            tick(image, option.box_mm, dpi)
            answers[item.id] = option.code
        pages.append(image)
    return pages, answers


def pdf_pages(path: Path, dpi: int) -> list[np.ndarray]:
    """Every page of the PDF at `path` rendered at `dpi` (black-on-white forms: the channel
    order does not matter)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [np.ascontiguousarray(page.render(scale=dpi / 72).to_numpy()[:, :, :3]) for page in pdf]
    finally:
        pdf.close()


def filled_wordform(pdf: Path, truth: dict, copy: int, dpi: float) -> tuple[list[np.ndarray], dict[str, str]]:
    """The pages of the word-processor form (tests/data) with copy number `copy`'s ticks:
    item k's option (k + copy) modulo its count; and the code ticked for each item."""
    pages = pdf_pages(pdf, dpi)
    answers = {}
    for k, item in enumerate(truth["items"]):
        option = item["options"][(k + copy) % len(item["options"])]
        tick(pages[item["page"] - 1], option["box_mm"], dpi)
        answers[item["id"]] = str(option["code"])
    return pages, answers


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buffer.tobytes()


def jpeg_pdf(images: list[np.ndarray], page_pt: tuple[float, float] = A4_PT, quality: int = 85) -> bytes:
    """A PDF whose every page is one full-page JPEG image (filter DCTDecode)."""
    w_pt, h_pt = page_pt
    n = len(images)
    kids = " ".join(f"{3 + 3 * k} 0 R" for k in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()]
    for k, image in enumerate(images):
        data = jpeg(image, quality)
        h_px, w_px = image.shape[:2]
        space = "/DeviceGray" if image.ndim == 2 else "/DeviceRGB"
        content = f"q {w_pt} 0 0 {h_pt} 0 0 cm /Im0 Do Q".encode()
        objects += [
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt} {h_pt}] "
            f"/Resources << /XObject << /Im0 {5 + 3 * k} 0 R >> >> /Contents {4 + 3 * k} 0 R >>".encode(),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            f"<< /Type /XObject /Subtype /Image /Width {w_px} /Height {h_px} /ColorSpace {space} "
            f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(data)} >>\nstream\n".encode()
            + data + b"\nendstream",
        ]
    return pdf_of(objects)


def pdf_of(objects: list[bytes], root: int = 1, version: bytes = b"1.4") -> bytes:
    """A PDF file of `objects` (numbered from 1, in order), its catalog object `root`."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref))
    return out.getvalue()


@dataclass(frozen=True)
class Filled:
    """One filled questionnaire in every input format, and what was ticked on it."""

    pdf: Path
    """All pages, one JPEG each, as a sheet feeder writes them."""
    tiff: Path
    """All pages as one greyscale multi-page TIFF."""
    png: Path
    """Page 1 alone."""
    page1_pdf: Path
    """Page 1 alone, as a one-page scanned PDF."""
    pages: list[np.ndarray]
    answers: dict[str, int]

    def answers_on(self, template: Template, page: int) -> dict[str, int]:
        return {i.id: self.answers[i.id] for i in template.items_on(page) if i.id in self.answers}


def make_filled(template: Template, folder: Path) -> Filled:
    pages, answers = fill_in(template)
    folder.mkdir(parents=True, exist_ok=True)
    pdf, tiff, png = folder / "filled.pdf", folder / "filled.tiff", folder / "filled-p1.png"
    page1_pdf = folder / "filled-p1.pdf"
    pdf.write_bytes(jpeg_pdf(pages))
    page1_pdf.write_bytes(jpeg_pdf(pages[:1], quality=90))
    assert cv2.imwritemulti(str(tiff), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in pages])
    assert cv2.imwrite(str(png), pages[0])
    return Filled(pdf, tiff, png, page1_pdf, pages, answers)
