"""Load reads what a PDF page shows, as a viewer draws it, and takes the page's JPEG
straight out of the file only when the JPEG alone is the page.

Each PDF is written here by hand, as scanners, editors and booklet tools write theirs;
what the page shows is PDFium's own rendering of it, the same as every viewer's.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from PIL import Image

from scanner.load import enumerate_pages, expand_inputs, load_page, page_task, same_files
from scans import pdf_of

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
          crop: str = "", rotate: int = 0, annots: tuple[str, ...] = (), resources: str = "",
          smask: np.ndarray | None = None, length_apart: bool = False) -> dict:
    return dict(image=(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} "
                       f"/BitsPerComponent 8 /Filter /DCTDecode {decode} /Length {len(data)} >>", data),
                content=f"q {matrix} cm /Im0 Do Q\n{extra}", media=media, crop=crop, rotate=rotate,
                annots=annots, resources=resources, smask=smask, length_apart=length_apart)


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
        if page["smask"] is not None:  # the image's transparency, a grey image of its size
            height, width = page["smask"].shape
            mask = add(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
                       f"/BitsPerComponent 8 /Length {page['smask'].size} >>\nstream\n".encode()
                       + page["smask"].tobytes() + b"\nendstream")
            head = head[:-2] + f"/SMask {mask} 0 R >>"
        if page["length_apart"]:  # the image's /Length in an object of its own, as Ghostscript writes it
            head = head.replace(f"/Length {len(data)}", f"/Length {add(str(len(data)).encode())} 0 R")
        image = add(head.encode() + b"\nstream\n" + data + b"\nendstream")
        content = page["content"].encode()
        contents = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        annots = [add(a.encode()) for a in page["annots"]]
        extra = (f"/CropBox [{page['crop']}] " if page["crop"] else "") + \
                (f"/Rotate {page['rotate']} " if page["rotate"] else "") + \
                ("/Annots [" + " ".join(f"{a} 0 R" for a in annots) + "] " if annots else "")
        kids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {page['media'][0]} "
                        f"{page['media'][1]}] {extra}/Resources << {page['resources']} "
                        f"/XObject << /Im0 {image} 0 R >> >> /Contents {contents} 0 R >>".encode()))
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] " \
                            f"/Count {len(kids)} >>".encode()
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    path.write_bytes(pdf_of(objects, catalog, b"1.5"))


def _shown(path, page: int, shape: tuple[int, int]) -> np.ndarray:
    """What a viewer shows of the page, in grey, at `shape` (height, width)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        pdf.init_forms()
        drawn = pdf[page - 1]
        width_pt = drawn.get_width()
        bitmap = drawn.render(scale=shape[1] / width_pt, may_draw_forms=True).to_numpy()[:, :, :3]
    finally:
        pdf.close()
    grey = cv2.cvtColor(np.ascontiguousarray(bitmap), cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, shape[::-1], interpolation=cv2.INTER_AREA)


def _unlike(read: np.ndarray, shown: np.ndarray) -> float:
    """The share of pixels whose grey differs by more than a third of the scale: JPEG and
    resampling move edges by a pixel, a missed square or an inverted page moves thousands."""
    return float((np.abs(read.astype(int) - shown.astype(int)) > 85).mean())


def _read_as_shown(path) -> list:
    tasks = list(enumerate_pages([path]))
    for task in tasks:
        grey = load_page(task).grey
        assert _unlike(grey, _shown(path, task.page, grey.shape)) < 0.005, (task.page, task.kind)
    return tasks


# The scan's black square whited out and a cross drawn beside it, as a PDF editor saves them.
WHITE_OUT = "q 1 1 1 rg 40 560 200 220 re f Q\n"
CROSS = "q 0 0 0.6 RG 16 w 300 300 m 500 500 l S 300 500 m 500 300 l S Q\n"


def test_a_scan_alone_is_taken_as_it_is_and_read_as_shown(tmp_path):
    picture = _picture()
    path = tmp_path / "scan.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0])])
    (task,) = _read_as_shown(path)
    assert task.kind == "jpeg"


@pytest.mark.parametrize("drawn", [WHITE_OUT + CROSS, WHITE_OUT, CROSS])
def test_what_an_editor_drew_over_the_scan_is_read(tmp_path, drawn):
    picture = _picture()
    path = tmp_path / "edited.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], extra=drawn)])
    (task,) = _read_as_shown(path)
    assert task.kind == "pdf-page"


def test_comments_made_on_the_scan_are_read(tmp_path):
    # Acrobat's comment tools: a white box over the square, an ink cross beside it.
    picture = _picture()
    annots = ("<< /Type /Annot /Subtype /Square /Rect [40 560 240 780] /C [1 1 1] /IC [1 1 1] /F 4 "
              "/BS << /W 0 >> >>",
              "<< /Type /Annot /Subtype /Ink /Rect [290 290 510 510] /C [0 0 0.6] /F 4 /BS << /W 16 >> "
              "/InkList [[300 300 500 500] [300 500 500 300]] >>")
    path = tmp_path / "commented.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], annots=annots)])
    (task,) = _read_as_shown(path)
    assert task.kind == "pdf-page"


def test_a_link_on_the_scan_draws_nothing_and_leaves_it_taken_as_it_is(tmp_path):
    picture = _picture()
    link = ("<< /Type /Annot /Subtype /Link /Rect [40 560 240 780] /Border [0 0 0] "
            "/A << /S /URI /URI (https://example.org) >> >>",)
    path = tmp_path / "linked.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], annots=link)])
    (task,) = _read_as_shown(path)
    assert task.kind == "jpeg"


def test_invisible_text_over_the_scan_leaves_it_taken_as_it_is(tmp_path):
    # A "searchable PDF" from a scanner: its OCR text lies invisibly over the scan, in a
    # graphics state that says "no soft mask".
    picture = _picture()
    text = "/GS0 gs BT /F1 24 Tf 3 Tr 100 400 Td (Sure Start) Tj ET\n"
    path = tmp_path / "searchable.pdf"
    resources = ("/Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> "
                 "/ExtGState << /GS0 << /Type /ExtGState /SMask /None /ca 1 >> >>")
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], extra=text, resources=resources)])
    (task,) = _read_as_shown(path)
    assert task.kind == "jpeg"


def test_each_half_of_a_booklet_spread_is_read_as_its_page_shows_it(tmp_path):
    # One A3 scan of two facing pages at 240 dpi, each PDF page showing its half through /CropBox.
    left = _picture(1984, 2806)
    right = left[::-1, ::-1].copy()
    spread = np.hstack([left, right])
    a3 = (2 * A4[0], A4[1])
    halves = [_page(_jpeg(spread), spread.shape[1], spread.shape[0], matrix=f"{a3[0]} 0 0 {a3[1]} 0 0",
                    media=a3, crop=crop) for crop in (f"0 0 {A4[0]} {A4[1]}", f"{A4[0]} 0 {a3[0]} {a3[1]}")]
    path = tmp_path / "booklet.pdf"
    _write_pdf(path, halves)
    first, second = _read_as_shown(path)
    assert first.content_hash != second.content_hash  # two pages, not one page twice
    # Drawn at the scan's own resolution, above RENDER_DPI: each half as many pixels as the scan gave it.
    assert abs(load_page(first).grey.shape[1] - left.shape[1]) <= 2


def test_a_scan_stored_negative_and_shown_positive_by_decode_is_read_positive(tmp_path):
    picture = _picture()
    path = tmp_path / "negative.pdf"
    _write_pdf(path, [_page(_jpeg(255 - picture), picture.shape[1], picture.shape[0], decode="/Decode [1 0 1 0 1 0]")])
    _read_as_shown(path)


def test_a_scan_stored_mirrored_and_mirrored_back_by_its_matrix_is_read_as_shown(tmp_path):
    picture = _picture()
    path = tmp_path / "mirrored.pdf"
    _write_pdf(path, [_page(_jpeg(picture[:, ::-1].copy()), picture.shape[1], picture.shape[0],
                            matrix=f"-{A4[0]} 0 0 {A4[1]} {A4[0]} 0")])
    _read_as_shown(path)


def test_a_scan_with_a_soft_mask_is_read_as_shown_on_white(tmp_path):
    # The left half made transparent: the black square there is not shown.
    picture = _picture()
    mask = np.full(picture.shape[:2], 255, np.uint8)
    mask[:, :picture.shape[1] // 2] = 0
    path = tmp_path / "masked.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], smask=mask)])
    _read_as_shown(path)


@pytest.mark.parametrize("length_apart", [False, True])
def test_a_page_added_with_a_soft_mask_leaves_the_other_scans_alone(tmp_path, length_apart):
    # A cover page with a transparent logo appended to a batch already scanned: the scans'
    # pages are the same images, so the same pages.
    scans = [_picture(), _picture()[::-1].copy()]
    pages = [_page(_jpeg(p), p.shape[1], p.shape[0]) for p in scans]
    logo = _picture(640, 480)
    mask = np.full(logo.shape[:2], 255, np.uint8)
    mask[:, :logo.shape[1] // 2] = 0
    _write_pdf(tmp_path / "batch.pdf", pages)
    _write_pdf(tmp_path / "with-cover.pdf", pages + [_page(_jpeg(logo), logo.shape[1], logo.shape[0], smask=mask,
                                                           length_apart=length_apart)])
    alone = list(enumerate_pages([tmp_path / "batch.pdf"]))
    *kept, cover = _read_as_shown(tmp_path / "with-cover.pdf")
    assert cover.kind == "pdf-page"
    if not length_apart:  # a length given apart cannot be told from the bytes: the file is rendered
        assert [(t.kind, t.content_hash) for t in kept] == [(t.kind, t.content_hash) for t in alone]
        assert {t.kind for t in alone} == {"jpeg"}


def test_a_soft_mask_set_by_the_graphics_state_is_read_as_shown(tmp_path):
    # The mask hangs on the page's ExtGState, not on the image: the left half of the page
    # (black in the mask's luminosity group) hides the scan, so the paper shows there.
    picture = _picture()
    data = _jpeg(picture)
    group = b"0 0 0 rg 0 0 297 842 re f 1 1 1 rg 297 0 298 842 re f"
    objects = [b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>",
               b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
               b"/Filter /DCTDecode /Length %d >>\nstream\n" % (picture.shape[1], picture.shape[0], len(data))
               + data + b"\nendstream",
               b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Group << /S /Transparency /CS /DeviceGray >> "
               b"/Length %d >>\nstream\n" % len(group) + group + b"\nendstream",
               b"<< /Type /Mask /S /Luminosity /G 3 0 R >>"]
    content = f"q /GS0 gs {A4[0]} 0 0 {A4[1]} 0 0 cm /Im0 Do Q".encode()
    objects += [b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
                f"<< /Type /Page /Parent 1 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] /Resources << /XObject << /Im0 2 0 R "
                f">> /ExtGState << /GS0 << /Type /ExtGState /SMask 4 0 R >> >> >> /Contents 5 0 R >>".encode(),
                b"<< /Type /Catalog /Pages 1 0 R >>"]
    path = tmp_path / "masked-by-state.pdf"
    path.write_bytes(pdf_of(objects, 7))
    (task,) = _read_as_shown(path)
    assert task.kind == "pdf-page"


_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _aes_pdf(objects: dict[int, tuple[bytes, bytes | None]], root: int) -> bytes:
    """A PDF encrypted with AES-128 and no password to open it (PDF 1.6's standard
    security, revision 4), as a scanner's "protect" option writes it: each object is
    (dictionary, stream data or None), numbered as given."""
    def rc4_rounds(key: bytes, data: bytes) -> bytes:
        for i in range(20):
            data = Cipher(ARC4(bytes(b ^ i for b in key)), None).encryptor().update(data)
        return data

    def md5_51(data: bytes) -> bytes:
        digest = hashlib.md5(data).digest()
        for _ in range(50):
            digest = hashlib.md5(digest).digest()
        return digest

    file_id, permissions = bytes(range(16)), -4
    owner = rc4_rounds(md5_51(_PASSWORD_PAD), _PASSWORD_PAD)
    key = md5_51(_PASSWORD_PAD + owner + struct.pack("<i", permissions) + file_id)
    user = rc4_rounds(key, hashlib.md5(_PASSWORD_PAD + file_id).digest()) + bytes(16)
    bodies = []
    for number in range(1, max(objects) + 1):
        head, data = objects[number]
        if data is not None:
            pad = 16 - len(data) % 16
            encryptor = Cipher(algorithms.AES(hashlib.md5(key + struct.pack("<i", number)[:3] + b"\0\0sAlT").digest()),
                               modes.CBC(bytes(16))).encryptor()
            data = bytes(16) + encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
            head = head[:-2] + b"/Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        bodies.append(head)
    bodies.append(b"<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> "
                  b"/StmF /StdCF /StrF /StdCF /P %d /O <%s> /U <%s> >>" % (permissions, owner.hex().encode(),
                                                                          user.hex().encode()))
    trailer = b"/Encrypt %d 0 R /ID [<%s> <%s>]" % (len(bodies), file_id.hex().encode(), file_id.hex().encode())
    return pdf_of(bodies, root, b"1.6").replace(b"/Root", trailer + b" /Root")


def test_an_encrypted_file_with_a_masked_scan_is_read_as_shown(tmp_path):
    # Decrypted, AES's data is shorter than the stream's /Length: the masked scan cannot be
    # told from the others by its length, so every scan of the file is rendered.
    picture = _picture()
    mask = np.full(picture.shape[:2], 255, np.uint8)
    mask[:, :picture.shape[1] // 2] = 0
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /BitsPerComponent 8 /Filter /DCTDecode "
             b"/ColorSpace /DeviceRGB %%s>>" % (picture.shape[1], picture.shape[0]))
    content = f"q {A4[0]} 0 0 {A4[1]} 0 0 cm /Im0 Do Q".encode()
    page = f"<< /Type /Page /Parent 1 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] /Contents 6 0 R " \
           "/Resources << /XObject << /Im0 %d 0 R >> >> >>"
    objects = {1: (b"<< /Type /Pages /Kids [7 0 R 8 0 R] /Count 2 >>", None),
               2: (b"<< /Type /Catalog /Pages 1 0 R >>", None),
               3: (image % b"", _jpeg(picture[::-1].copy())),
               4: (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8 >>" % mask.shape[::-1], mask.tobytes()),
               5: (image % b"/SMask 4 0 R ", _jpeg(picture)), 6: (b"<< >>", content),
               7: ((page % 3).encode(), None), 8: ((page % 5).encode(), None)}
    path = tmp_path / "protected.pdf"
    path.write_bytes(_aes_pdf(objects, 2))
    assert [t.kind for t in _read_as_shown(path)] == ["pdf-page", "pdf-page"]


def test_a_file_written_again_with_a_mask_is_looked_at_again(tmp_path):
    # A review asks for one page at a time; the file's masks are kept while it stays as it is.
    picture = _picture()
    mask = np.full(picture.shape[:2], 255, np.uint8)
    mask[:, :picture.shape[1] // 2] = 0
    path = tmp_path / "scan.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0])])
    assert page_task("scan.pdf", path, 1).kind == "jpeg"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0], smask=mask)])
    assert page_task("scan.pdf", path, 1).kind == "pdf-page"


def test_a_scan_smaller_than_its_page_is_read_with_its_margins(tmp_path):
    picture = _picture()
    path = tmp_path / "inset.pdf"
    _write_pdf(path, [_page(_jpeg(picture), picture.shape[1], picture.shape[0],
                            matrix=f"{A4[0] / 2} 0 0 {A4[1] / 2} {A4[0] / 4} {A4[1] / 4}")])
    _read_as_shown(path)


def test_a_quarter_turned_scan_is_still_taken_as_it_is(tmp_path):
    # Stored sideways and turned upright by /Rotate or by its matrix: the reader turns pages itself.
    picture = np.rot90(_picture()).copy()
    data, width, height = _jpeg(picture), picture.shape[1], picture.shape[0]
    path = tmp_path / "turned.pdf"
    _write_pdf(path, [_page(data, width, height, matrix=f"{A4[1]} 0 0 {A4[0]} 0 0", media=A4[::-1], rotate=90),
                      _page(data, width, height, matrix=f"0 -{A4[1]} {A4[0]} 0 0 {A4[1]}")])
    assert [t.kind for t in enumerate_pages([path])] == ["jpeg", "jpeg"]


@pytest.mark.parametrize("inverted, decode, fast", [(False, "/Decode [1 0 1 0 1 0 1 0]", True),
                                                    (True, "", False)])
def test_a_cmyk_scan_is_read_as_shown(tmp_path, inverted, decode, fast):
    # Pillow writes CMYK JPEGs inverted, as Adobe's do, which a PDF shows with /Decode
    # [1 0 ...]; the same values stored the other way round are shown without it.
    picture = _picture()
    buffer = io.BytesIO()
    cmyk = Image.fromarray(picture).convert("CMYK")
    if inverted:
        cmyk = Image.fromarray(255 - np.asarray(cmyk), "CMYK")
    cmyk.save(buffer, "JPEG", quality=92)
    path = tmp_path / "cmyk.pdf"
    _write_pdf(path, [_page(buffer.getvalue(), picture.shape[1], picture.shape[0], space="/DeviceCMYK",
                            decode=decode)])
    (task,) = _read_as_shown(path)
    assert (task.kind == "jpeg") == fast


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
