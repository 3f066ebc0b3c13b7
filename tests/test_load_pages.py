"""Load reads what a PDF page shows, as a viewer draws it, and takes the page's JPEG
straight out of the file only when the JPEG alone is the page.

Each PDF is written here by hand, as scanners, editors and booklet tools write theirs;
what the page shows is PDFium's own rendering of it, the same as every viewer's.
"""

from __future__ import annotations

import io
import os

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from scanner.load import enumerate_pages, expand_inputs, load_page, same_files

A4 = (595.28, 841.89)


def _picture(width: int = 620, height: int = 877) -> np.ndarray:
    """A page with nothing symmetric about it: a black square near the top left, a grey
    bar near the bottom right, on white paper (RGB)."""
    page = np.full((height, width, 3), 255, np.uint8)
    page[60:260, 60:260] = 0
    page[height - 160:height - 100, width - 360:width - 60] = (90, 140, 200)
    return page


def _jpeg(rgb: np.ndarray, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).convert(mode).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _page(data: bytes, width: int, height: int, space: str = "/DeviceRGB", decode: str = "",
          matrix: str = f"{A4[0]} 0 0 {A4[1]} 0 0", media: tuple[float, float] = A4, extra: str = "",
          crop: str = "", rotate: int = 0, annots: tuple[str, ...] = (), resources: str = "") -> dict:
    return dict(image=(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} "
                       f"/BitsPerComponent 8 /Filter /DCTDecode {decode} /Length {len(data)} >>", data),
                content=f"q {matrix} cm /Im0 Do Q\n{extra}", media=media, crop=crop, rotate=rotate,
                annots=annots, resources=resources)


def _write_pdf(path, pages: list[dict]) -> None:
    """A PDF written by hand, object by object, as `scans.jpeg_pdf` writes a feeder's."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    pages_id = add(b"")
    kids = []
    for page in pages:
        head, data = page["image"]
        image = add(head.encode() + b"\nstream\n" + data + b"\nendstream")
        content = page["content"].encode()
        contents = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        annots = [add(a.encode()) for a in page["annots"]]
        extra = (f"/CropBox [{page['crop']}] " if page["crop"] else "") + \
                (f"/Rotate {page['rotate']} " if page["rotate"] else "") + \
                ("/Annots [" + " ".join(f"{a} 0 R" for a in annots) + "] " if annots else "")
        kids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {page['media'][0]} "
                        f"{page['media'][1]}] {extra}/Resources << {page['resources']} /XObject << /Im0 {image} 0 R >> >> "
                        f"/Contents {contents} 0 R >>".encode()))
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] " \
                            f"/Count {len(kids)} >>".encode()
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    path.write_bytes(out.getvalue())


def test_a_transparent_png_is_read_on_white_paper(tmp_path):
    # Background removers save the paper transparent, often black under alpha 0.
    picture = cv2.cvtColor(_picture(), cv2.COLOR_RGB2BGR)
    ink = picture.min(axis=2) < 250
    bgra = np.zeros((*picture.shape[:2], 4), np.uint8)
    bgra[ink, :3], bgra[ink, 3] = picture[ink], 255
    bgra[:40, :, 3] = 128  # a half-transparent black band: mid grey on white
    cv2.imwrite(str(tmp_path / "cut-out.png"), bgra)
    (task,) = enumerate_pages([tmp_path / "cut-out.png"])
    grey = load_page(task).grey
    expected = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    expected[:40] = 127
    assert np.abs(grey.astype(int) - expected).max() <= 2


def test_a_hard_link_to_a_file_listed_is_the_same_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    picture = _picture()
    _write_pdf(folder / "a.pdf", [_page(_jpeg(picture), picture.shape[1], picture.shape[0])])
    os.link(folder / "a.pdf", folder / "b.pdf")
    assert [name for name, _ in expand_inputs([folder])] == [str(folder / "a.pdf")]
    assert same_files([folder]) == [(str(folder / "b.pdf"), str(folder / "a.pdf"))]


def test_a_copy_is_not_the_same_file(tmp_path):
    picture = _picture()
    _write_pdf(tmp_path / "a.pdf", [_page(_jpeg(picture), picture.shape[1], picture.shape[0])])
    (tmp_path / "b.pdf").write_bytes((tmp_path / "a.pdf").read_bytes())
    assert len(list(expand_inputs([tmp_path]))) == 2 and same_files([tmp_path]) == []
