"""Load: find every page of every input and turn one page into pixels.

The parent process only enumerates pages (`enumerate_pages`), which is cheap: for a PDF
page that is one scanned JPEG it takes the JPEG's bytes straight out of the file (about
a millisecond, against hundreds to render the page). Workers decode (`load_page`).
Every input yields pages or a `InputProblem`, so that nothing is dropped silently.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import errno
import functools
import hashlib
import io
import logging
import mmap
import os
import re
import stat
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scanner.errors import InputFileError, one_line

log = logging.getLogger(__name__)

UNSUPPORTED_IMAGE_SUFFIXES = {".bmp", ".gif", ".webp", ".jp2", ".heic", ".heif", ".avif", ".pnm", ".pbm", ".pgm",
                              ".ppm", ".svg"}
"""Image types a scanner or phone may save that are not read: named in the file's reason."""

SCAN_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
"""The names of the files read. An empty folder found with such a name is reported (an
unzip or a copy that made a folder where the scan was meant to be); other empty folders
are passed over."""

NOT_INPUTS = {"thumbs.db", "desktop.ini"}
"""Files Windows leaves in every folder of pictures: never a page, not worth a row."""

MAX_PIXELS = 60_000_000
"""Above this (an A4 page at about 800 dpi) images are decoded at reduced size: a
scanner never needs it, and it keeps a pathological input from exhausting memory."""

MAX_DECODE_PIXELS = 2 * MAX_PIXELS
"""Above this an image is refused from its header, before decoding: a PNG of 20000 x
20000 white pixels is a small file but takes gigabytes and seconds to decode, and no
scan of a page is that large (A4 at 1,000 dpi is 97 million pixels; reading needs 300)."""

MIN_SIDE_PIXELS = 100
"""Below this many pixels a side an image is no scanned page (A4 at 150 dpi is 1240 x
1754): refused with a reason rather than failing deep in the reader."""

GREYSCALE_SPREAD = 0.25
"""Mean difference between colour channels below which a colour image is greyscale."""

COLOUR_REDUCTION = 4
"""Paper colour needs no detail: JPEG decodes straight to a quarter size for it, which
costs a tenth of a full decode."""

PDF_REOPEN_PAGES = 32
"""The PDF is reopened after this many pages, so that a 1,000-page batch is streamed."""

OPEN_PDFS = 4
"""PDFs a worker keeps open to take pages from (`PageFiles`): a batch's files are read
one after another, each worker taking every few pages of the one being read."""

IMAGE_KEYS_FILES = 16
"""Files whose images' keys (`_image_keys`) are kept, each read once while it stays as it
is: a review or a moved page's check asks for one page at a time, and reading a 300 MB
file's bytes for each of its pages would cost minutes."""

RENDER_DPI = 200
"""Resolution for PDF pages that are not a single scanned image (drawn or mixed pages)."""

PAGE_FIT = 0.01
"""How far (a share of the page's side) an image's edge may lie from the visible page's
edge and still be the page: a scanner writing the page's size rounds it to a point;
beyond this the page shows margins round the image, or hides part of it (a CropBox
cutting a booklet's spread in two)."""

PageKind = Literal["jpeg", "pdf-page", "image", "tiff-frame"]


@dataclass(frozen=True)
class PageTask:
    """One input page, as the parent found it: enough for a worker to load it."""

    source: str
    """The input file's name as given on the command line (or found in a given folder)."""
    path: str
    page: int
    """1-based page number within the file."""
    kind: PageKind
    content_hash: str
    """Hash of this page's own content (its encoded image, TIFF frame or PDF page
    objects), never of the whole file: the same scan gives the same hash in any file,
    at any place, and pages added to or taken from the file leave it alone."""
    data: bytes | None = None
    """The embedded JPEG's bytes, when the page is one scanned JPEG (None when they were
    left in the file for a worker that opens it: `without_bytes`, `PageFiles`). For a
    worker that cannot read `path` (`portable`): an image file's bytes, a TIFF file's
    bytes, or the PDF page alone as a one-page PDF."""


@dataclass(frozen=True)
class InputProblem:
    """A file (page None) or a page that cannot be read, with the reason for people."""

    source: str
    page: int | None
    reason: str


@dataclass(frozen=True)
class LoadedPage:
    grey: np.ndarray
    """The page at full resolution, one channel: what marks, comments and markers need."""
    colour: np.ndarray | None
    """The page in colour (BGR) at reduced size, for the paper colour; None for a
    greyscale scan."""
    colour_scale: float
    """The colour image's size relative to `grey` (about 1/COLOUR_REDUCTION)."""

    @property
    def greyscale(self) -> bool:
        return self.colour is None


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def _sniff(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def expand_inputs(paths: Iterable[str | Path], exclude: Path | None = None) -> Iterator[tuple[str, Path]]:
    """Each input file as (name as given, path); folders give their files in name order.

    Every file found in a folder is an input, so that each is read or reported: one of
    an unsupported type, a broken symbolic link or a link loop too. Not inputs: hidden
    files and folders (a name starting with a dot), `NOT_INPUTS`, and files under
    `exclude` (the out folder, whose crops are JPEGs). A folder holding no file comes
    back itself, so that it is reported rather than dropped silently. A file reached
    again (a link to a file already listed, a name given twice) is listed once, under
    its first name: `same_files` names the others.
    """
    for source, path, first in _listed(paths, exclude):
        if first is None:
            yield source, path


def same_files(paths: Iterable[str | Path], exclude: Path | None = None) -> list[tuple[str, str]]:
    """(name, first name) of each input file that `expand_inputs` lists once, under the
    first name it was reached by: read twice, its pages would be two respondents."""
    return [(source, first) for source, _, first in _listed(paths, exclude) if first is not None]


def _listed(paths: Iterable[str | Path], exclude: Path | None) -> Iterator[tuple[str, Path, str | None]]:
    """Each input (name as given, path, and the name it was first reached by when it is
    a file reached before; else None)."""
    skip = os.path.realpath(exclude) if exclude is not None else None
    first: dict[tuple[int, int], str] = {}
    for source, path in _given(paths, skip):
        file = _file_identity(path)
        yield source, path, first.get(file) if file is not None else None
        if file is not None:
            first.setdefault(file, source)


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The file a path leads to, whatever the name: a symbolic or a hard link to a file
    is that file. None for what is not a file."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None


def _given(paths: Iterable[str | Path], skip: str | None) -> Iterator[tuple[str, Path]]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            children = sorted(_folder_files(path, skip))
            for child in children:
                yield str(child), child
            if not children:
                yield str(given), path
        else:
            yield str(given), path


def _folder_files(folder: Path, skip: str | None) -> Iterator[Path]:
    """Every file under `folder`, following links to folders but never round a loop."""
    seen: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen or (skip is not None and Path(real).is_relative_to(skip)):
            dirs.clear()  # a link back to a folder already listed, or the out folder
            continue
        seen.add(real)
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        inputs = [name for name in files if not name.startswith(".") and name.lower() not in NOT_INPUTS]
        # Judged empty on what is left: a file manager's .DS_Store or Thumbs.db is no input.
        if not inputs and not dirs and Path(root).suffix.lower() in SCAN_SUFFIXES and root != str(folder):
            yield Path(root)
        for name in inputs:
            yield Path(root, name)


def count_pages(paths: Iterable[str | Path], exclude: Path | None = None) -> int:
    """How many pages the inputs hold, for the progress bar (unreadable files count one)."""
    total = 0
    for _, path in expand_inputs(paths, exclude):
        try:
            kind = _sniff(path) if path.is_file() and path.stat().st_size else None
            if kind == "pdf":
                with contextlib.closing(pdfium.PdfDocument(str(path))) as pdf:
                    total += max(1, len(pdf))
            else:
                total += max(1, cv2.imcount(str(path))) if kind == "tiff" else 1
        except (OSError, pdfium.PdfiumError, cv2.error):
            total += 1
    return total


def enumerate_pages(paths: Iterable[str | Path], exclude: Path | None = None) -> Iterator[PageTask | InputProblem]:
    """Every page of every input, in order, or the problem that stops a file being read."""
    for source, path in expand_inputs(paths, exclude):
        try:
            yield from _file_pages(source, path)
        except InputFileError as exc:
            yield InputProblem(source, exc.page, exc.reason)
        except (OSError, cv2.error) as exc:
            yield InputProblem(source, None, f"cannot be read: {one_line(exc)}")


def _file_pages(source: str, path: Path) -> Iterator[PageTask]:
    if path.is_symlink() and not path.exists():
        raise InputFileError(source, _broken_link(path))
    if not path.exists():
        raise InputFileError(source, "no such file or folder")
    if path.is_dir():
        raise InputFileError(source, _empty_folder(path))
    if not path.is_file():
        raise InputFileError(source, _not_regular(path))
    if path.stat().st_size == 0:
        raise InputFileError(source, "the file is empty (0 bytes)")
    kind = _sniff(path)
    if kind == "pdf":
        yield from _pdf_pages(source, path)
    elif kind == "tiff":
        count = cv2.imcount(str(path))
        if count < 1:
            raise InputFileError(source, "not a readable TIFF image")
        digests = tiff_frame_digests(path)
        for k in range(count):
            yield PageTask(source, str(path), k + 1, "tiff-frame", _frame_hash(digests, k, path))
    elif kind in ("png", "jpeg"):
        yield PageTask(source, str(path), 1, "image", _digest(path.read_bytes()))
    elif path.suffix.lower() in UNSUPPORTED_IMAGE_SUFFIXES:
        raise InputFileError(source, f"{path.suffix.lower()} is not a supported image type: "
                                     "save it as PNG, JPEG or TIFF")
    else:
        raise InputFileError(source, "neither a PDF nor an image (PNG, JPEG, TIFF)")

TIFF_IMAGE_TAGS = (256, 257, 258, 259, 262, 266, 274, 277, 278, 284, 317, 320, 322, 323, 338, 339, 347, 530, 532)
"""The tags that say how a frame's pixels are coded (size, bits, compression, colour,
orientation, tiling, JPEG tables): hashed with the frame's data. Offsets are left out,
so the frame keeps its hash wherever it sits in the file."""

TIFF_DATA_TAGS = ((273, 279), (324, 325))
"""(offsets, byte counts) of a frame's strips, and of its tiles."""

_TIFF_TYPES = {1: "B", 2: "B", 3: "H", 4: "I", 5: "II", 6: "b", 7: "B", 8: "h", 9: "i", 10: "ii", 11: "f",
               12: "d", 13: "I", 16: "Q", 17: "q", 18: "Q"}


def tiff_frame_digests(path: Path, only: int | None = None) -> list[str]:
    """The hash of every frame of a TIFF file (or of frame `only`, 0-based, alone),
    from its coded data: nothing is decoded, and a frame's hash needs only its own bytes.

    An empty list when the file's directories cannot be followed.
    """
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            frames = list(_tiff_directories(data))
            if only is not None:
                return [_tiff_frame_digest(data, frames[only])]
            return [_tiff_frame_digest(data, tags) for tags in frames]
        except (struct.error, ValueError, IndexError, KeyError) as exc:
            log.debug("%s: TIFF directories not followed (%s)", path, exc)
            return []


def _tiff_directories(data: mmap.mmap) -> Iterator[dict[int, tuple]]:
    """Each frame's tags, from the file's chain of image file directories."""
    order = {b"II": "<", b"MM": ">"}[bytes(data[:2])]
    big = struct.unpack(order + "H", data[2:4])[0] == 43  # BigTIFF: 8-byte offsets
    offset_format, count_format, entry_size = ("Q", "Q", 20) if big else ("I", "H", 12)
    inline = 8 if big else 4
    next_ifd = struct.unpack_from(order + offset_format, data, 8 if big else 4)[0]
    seen = set()
    while next_ifd and next_ifd not in seen:
        seen.add(next_ifd)
        n = struct.unpack_from(order + count_format, data, next_ifd)[0]
        start = next_ifd + struct.calcsize(count_format)
        tags = {}
        for k in range(n):
            at = start + k * entry_size
            tag, kind = struct.unpack_from(order + "HH", data, at)
            count = struct.unpack_from(order + offset_format, data, at + 4)[0]
            fmt = _TIFF_TYPES.get(kind)
            if fmt is None or tag not in TIFF_IMAGE_TAGS + tuple(t for pair in TIFF_DATA_TAGS for t in pair):
                continue
            where = at + 4 + struct.calcsize(offset_format)
            if struct.calcsize(order + fmt) * count > inline:
                where = struct.unpack_from(order + offset_format, data, where)[0]
            tags[tag] = struct.unpack_from(order + fmt * count, data, where)
        yield tags
        next_ifd = struct.unpack_from(order + offset_format, data, start + n * entry_size)[0]


def _tiff_frame_digest(data: mmap.mmap, tags: dict[int, tuple]) -> str:
    digest = hashlib.sha1(repr(sorted((t, v) for t, v in tags.items() if t in TIFF_IMAGE_TAGS)).encode())
    for offsets_tag, counts_tag in TIFF_DATA_TAGS:
        for offset, length in zip(tags.get(offsets_tag, ()), tags.get(counts_tag, ())):
            if offset + length > len(data):
                raise ValueError("a strip runs past the end of the file")
            digest.update(data[offset:offset + length])
    return digest.hexdigest()[:16]


def _frame_hash(digests: list[str], index: int, path: Path) -> str:
    return digests[index] if index < len(digests) else _file_page_hash(path, index)


def _file_page_hash(path: Path, index: int) -> str:
    """Stands in for a page's own hash when its content cannot be followed (a TIFF whose
    directories are odd, a PDF page PDFium cannot list): the file's hash and the page's
    number, so the page is still known again while the file stays the same."""
    with path.open("rb") as f:
        return f"{hashlib.file_digest(f, 'sha1').hexdigest()[:16]}:{index + 1}"


def _empty_folder(path: Path) -> str:
    if path.suffix.lower() in SCAN_SUFFIXES:
        return "a folder named like a scan, holding no PDF or image (PNG, JPEG, TIFF)"
    return "the folder holds no PDF or image (PNG, JPEG, TIFF)"


def _not_regular(path: Path) -> str:
    """What a path that is neither a file nor a folder is (reading a pipe would wait for ever)."""
    mode = path.stat().st_mode
    what = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "of an unknown kind")
    return f"not a regular file: {what}"


def _broken_link(path: Path) -> str:
    """Why a symbolic link leads nowhere: a loop, or a target that does not exist."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop: it leads back to itself"
    return f"a broken symbolic link: its target {os.readlink(path)} does not exist"


def _open_pdf(source: str, path: Path | bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path if isinstance(path, bytes) else str(path))
    except pdfium.PdfiumError as exc:
        # PDFium also refuses a PDF without pages but sets no error code for it, so the
        # code left over from an earlier failure shows: trust "password" only with proof.
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD and _mentions_encrypt(path):
            raise InputFileError(source, "the PDF is encrypted; save an unprotected copy and scan that") from None
        log.debug("%s: %s", source, exc)
        raise InputFileError(source, "not a readable PDF: corrupt, truncated, or without any page") from None


def _mentions_encrypt(path: Path | bytes) -> bool:
    """Whether the file has an /Encrypt entry (every encrypted PDF's trailer has one)."""
    if isinstance(path, bytes):
        return b"/Encrypt" in path
    if path.stat().st_size == 0:
        return False  # mmap refuses an empty file
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b"/Encrypt") >= 0


def _pdf_pages(source: str, path: Path) -> Iterator[PageTask]:
    pdf = _open_pdf(source, path)
    count = len(pdf)
    if count == 0:
        pdf.close()
        raise InputFileError(source, "the PDF has no pages")
    image_keys = _image_keys(path)
    try:
        for index in range(count):
            if index and index % PDF_REOPEN_PAGES == 0:
                # PDFium keeps every image it has read until the document is closed.
                pdf.close()
                pdf = _open_pdf(source, path)
            yield _pdf_page_task(source, path, pdf, index, image_keys)
    finally:
        pdf.close()


def _pdf_page_task(source: str, path: Path, pdf: pdfium.PdfDocument, index: int,
                   image_keys: ImageKeys) -> PageTask:
    """The page's JPEG when it alone is the page (`_lone_jpeg`); else a task to render it.

    `image_keys`: the file's (`_image_keys`)."""
    data = _lone_jpeg(pdf, index, image_keys)
    if data is not None:
        return PageTask(source, str(path), index + 1, "jpeg", _digest(data), data)
    page = None
    try:
        page = pdf[index]
        return PageTask(source, str(path), index + 1, "pdf-page", _pdf_page_digest(page))
    except pdfium.PdfiumError as exc:
        log.debug("%s page %d: cannot take the page's objects (%s); rendering", source, index + 1, exc)
    finally:
        # Closed now, not when the document is: a 1,000-page PDF is streamed, not held.
        if page is not None:
            page.close()
    return PageTask(source, str(path), index + 1, "pdf-page", _file_page_hash(path, index))


_IMAGE_KEY = re.compile(rb"/(?:(Decode|SMask|Mask)(?![A-Za-z])\s*(\[[^\]]*\]|\d+\s+\d+\s+R)|Encrypt(?![A-Za-z]))")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\d)(\s+\d+\s+R)?")

ADOBE_CMYK_DECODE = b"Decode 1 0 1 0 1 0 1 0"
"""The /Decode array of a CMYK JPEG stored inverted, as Adobe's programs (and Pillow)
store them; libjpeg inverts such a JPEG itself, from its Adobe marker."""


@dataclass(frozen=True)
class ImageKeys:
    """A PDF's /Decode arrays, /SMask and /Mask entries (`_image_keys`), each as
    "Decode 1 0 1 0 1 0", its numbers one space apart, told to the image they belong to
    by its data's length."""

    by_length: dict[int, frozenset[bytes]]
    """The keys of the images whose data has this many bytes."""
    every: frozenset[bytes]
    """Keys whose image cannot be told: they count for every image of the file."""

    def of(self, data: bytes) -> frozenset[bytes]:
        """The keys that may be those of the image whose coded data is `data`: another
        image of the same length only makes this one rendered, which is safe."""
        return self.every | self.by_length.get(len(data), frozenset())


def _image_keys(path: Path) -> ImageKeys:
    """The file's `ImageKeys`, read once while the file stays as it is (a review's crops
    and a moved page's checks ask for one page at a time)."""
    info = path.stat()
    return _file_image_keys(str(path), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=IMAGE_KEYS_FILES)
def _file_image_keys(path: str, size: int, mtime_ns: int) -> ImageKeys:
    """Every /Decode array, /SMask and /Mask of an image written in the PDF (an array or
    a reference), with the length of its image's data when its dictionary tells it.

    Each changes what the page shows of a JPEG: a /Decode array inverts or remaps it, a
    mask lets the paper show through. PDFium cannot say whether an image has one; but an
    image's dictionary is never compressed (a stream cannot be in an object stream), so
    the file's bytes show them all, in one pass. An encrypted file's keys count for every
    image: AES makes a stream's data shorter than its /Length once decrypted.
    """
    if size == 0:
        return ImageKeys({}, frozenset())  # emptied since it was opened; mmap refuses an empty file
    by_length: dict[int, set[bytes]] = {}
    every: set[bytes] = set()
    encrypted = False
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for m in _IMAGE_KEY.finditer(data):
            if m.group(1) is None:
                encrypted = True
                continue
            key = m.group(1) + b" " + b" ".join(m.group(2).strip(b"[]").split())
            length = _stream_length(data, m.start())
            if length is None:
                every.add(key)
            else:
                by_length.setdefault(length, set()).add(key)
    if encrypted:
        every.update(*by_length.values())
        by_length.clear()
    return ImageKeys({n: frozenset(keys) for n, keys in by_length.items()}, frozenset(every))


def _stream_length(data: mmap.mmap, at: int) -> int | None:
    """The length of the data of the stream whose dictionary holds the byte `at`, when the
    dictionary gives it as a number and the stream ends there; 0 when the dictionary is no
    stream's, so no image's (an ExtGState's soft mask: PDFium tells that one itself), and
    no image has 0 bytes; None when it cannot be told (a /Length in another object, a
    dictionary in a stream's data, a damaged file that PDFium reads its own way)."""
    start = data.rfind(b"obj", 0, at)
    if start < 0 or data[start - 3:start] == b"end" or data.find(b"stream", start, at) >= 0:
        return None
    keyword = data.find(b"stream", at)
    if 0 <= data.find(b"endobj", at, keyword if keyword >= 0 else len(data)):
        return 0
    if keyword < 0 or data[keyword - 3:keyword] == b"end" or not data[start:keyword].rstrip().endswith(b">>"):
        return None
    lengths = list(_LENGTH.finditer(data, start, keyword))
    if len(lengths) != 1 or lengths[0].group(2) is not None:
        return None
    length = int(lengths[0].group(1))
    body = keyword + 6 + (2 if data[keyword + 6:keyword + 8] == b"\r\n" else 1)
    return length if data[body + length:body + length + 32].lstrip().startswith(b"endstream") else None


def _lone_jpeg(pdf: pdfium.PdfDocument, index: int, image_keys: ImageKeys) -> bytes | None:
    """The coded data of the page's image when that JPEG, as it is, is what the page
    shows: the page draws nothing else and shows no annotation; the image fills the
    visible page, upright or turned by quarter turns (the reader turns pages itself),
    never mirrored or cut; no mask makes it see-through and no /Decode remaps it. Else
    None: the page is rendered.

    PDFium's own calls: pypdfium2's objects for a page and its contents (each with its
    finalizer) cost the parent about as much as PDFium loading the page."""
    page = pdfium_c.FPDF_LoadPage(pdf, index)
    if not page:
        return None
    try:
        drawn = _drawing_objects(page, limit=2)
        if drawn is None or len(drawn) != 1 or _shows_annotations(page):
            return None
        (image, kind, matrix), = drawn
        if kind != pdfium_c.FPDF_PAGEOBJ_IMAGE or not _only_filter(image, b"DCTDecode"):
            return None
        if pdfium_c.FPDFPageObj_HasTransparency(image):
            return None  # drawn see-through (a soft mask in the graphics state, say)
        if not _fills_page(page, matrix):
            return None
        size = pdfium_c.FPDFImageObj_GetImageDataRaw(image, None, 0)
        data = ctypes.create_string_buffer(size)
        if pdfium_c.FPDFImageObj_GetImageDataRaw(image, data, size) != size:
            return None
        return data.raw if _decoded_as_shown(data.raw, image_keys.of(data.raw)) else None
    finally:
        pdfium_c.FPDF_ClosePage(page)


Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

_INVISIBLE_TEXT = (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP)


def _drawing_objects(page, limit: int | None = None) -> list[tuple[object, int, Matrix]] | None:
    """(object, type, matrix to the page) of each object the page paints with, looking
    into the forms it draws; a scanner's invisible OCR text and a path that is only a
    clip paint nothing. None when PDFium cannot say, or a form holds a form. At most
    `limit` objects, when given: more is as good as all."""
    found: list[tuple[object, int, Matrix]] = []

    def walk(parent, count, get, outer: Matrix | None) -> bool:
        n = count(parent)
        if n < 0:
            return False
        for k in range(n):
            obj = get(parent, k)
            if not obj:
                return False
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            matrix = _object_matrix(obj, outer)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                if outer is not None or not walk(obj, pdfium_c.FPDFFormObj_CountObjects,
                                                 pdfium_c.FPDFFormObj_GetObject, matrix):
                    return False
            elif _paints(obj, kind):
                found.append((obj, kind, matrix))
            if limit is not None and len(found) >= limit:
                return True
        return True

    return found if walk(page, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, None) else None


def _object_matrix(obj, outer: Matrix | None) -> Matrix:
    """The object's matrix to the page: its own, then its form's (`outer`)."""
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        m.a, m.b, m.c, m.d, m.e, m.f = _IDENTITY
    a, b, c, d, e, f = outer or _IDENTITY
    return (m.a * a + m.b * c, m.a * b + m.b * d, m.c * a + m.d * c, m.c * b + m.d * d,
            m.e * a + m.f * c + e, m.e * b + m.f * d + f)


def _paints(obj, kind: int) -> bool:
    if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
        fill, stroke = ctypes.c_int(), pdfium_c.FPDF_BOOL()
        return not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke) or bool(fill.value or stroke.value)
    if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
        return pdfium_c.FPDFTextObj_GetTextRenderMode(obj) not in _INVISIBLE_TEXT
    return True


_UNSEEN_ANNOTATIONS = (pdfium_c.FPDF_ANNOT_LINK, pdfium_c.FPDF_ANNOT_POPUP)


def _shows_annotations(page) -> bool:
    """Whether the page shows an annotation (`_shown_annotations`)."""
    return any(True for _ in _shown_annotations(page))


def _shown_annotations(page) -> Iterator[tuple[int, tuple[float, ...]]]:
    """(subtype, rectangle) of each annotation drawn on the page: a comment, a stamp,
    an ink mark, a form field filled in (a link is not drawn, nor a closed pop-up note,
    nor a hidden one); (-1, ()) for one PDFium cannot open."""
    for k in range(max(0, pdfium_c.FPDFPage_GetAnnotCount(page))):
        annot = pdfium_c.FPDFPage_GetAnnot(page, k)
        if not annot:
            yield -1, ()
            continue
        try:
            hidden = pdfium_c.FPDFAnnot_GetFlags(annot) & (pdfium_c.FPDF_ANNOT_FLAG_HIDDEN
                                                           | pdfium_c.FPDF_ANNOT_FLAG_NOVIEW)
            subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
            if not hidden and subtype not in _UNSEEN_ANNOTATIONS:
                rect = pdfium_c.FS_RECTF()
                pdfium_c.FPDFAnnot_GetRect(annot, rect)
                yield subtype, tuple(round(v, 2) for v in (rect.left, rect.bottom, rect.right, rect.top))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)


def _fills_page(page, matrix: Matrix) -> bool:
    """Whether an image drawn with `matrix` fills the page's visible box (its CropBox
    within its MediaBox), turned by quarter turns at most, not mirrored: then the image
    is the page, pixel for pixel."""
    a, b, c, d, e, f = matrix
    upright, turned = abs(b) + abs(c), abs(a) + abs(d)
    if a * d - b * c <= 0 or min(upright, turned) > PAGE_FIT * max(upright, turned):
        return False  # mirrored, or drawn at an angle
    box = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDF_GetPageBoundingBox(page, box):
        return False
    xs, ys = (e, e + a, e + c, e + a + c), (f, f + b, f + d, f + b + d)
    width, height = box.right - box.left, box.top - box.bottom
    return (abs(min(xs) - box.left) <= PAGE_FIT * width and abs(max(xs) - box.right) <= PAGE_FIT * width
            and abs(min(ys) - box.bottom) <= PAGE_FIT * height and abs(max(ys) - box.top) <= PAGE_FIT * height)


def _decoded_as_shown(jpeg: bytes, image_keys: frozenset[bytes]) -> bool:
    """Whether libjpeg decodes the JPEG to what the PDF shows (`image_keys`: the image's,
    `ImageKeys.of`): with no /Decode array nor mask, or, for an inverted CMYK JPEG with
    Adobe's marker, with Adobe's array alone (libjpeg undoes the inversion that the array
    undoes for a viewer)."""
    if _jpeg_components(jpeg) != 4:
        return not image_keys
    return image_keys == {ADOBE_CMYK_DECODE} and re.search(rb"\xff\xee..Adobe", jpeg[:65536], re.DOTALL) is not None


def _only_filter(image, name: bytes) -> bool:
    """Whether the image object's data is coded with the filter `name` alone."""
    if pdfium_c.FPDFImageObj_GetImageFilterCount(image) != 1:
        return False
    length = pdfium_c.FPDFImageObj_GetImageFilter(image, 0, None, 0)
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFImageObj_GetImageFilter(image, 0, buffer, length)
    return buffer.raw[:length - 1] == name


def _pdf_page_digest(page: pdfium.PdfPage) -> str:
    """A hash of what the page draws, from its objects (nothing is rendered): the coded
    data of its images; the points of its paths; its text; and where and in which
    colour each is drawn. The same page gives the same hash in any file."""
    digest = hashlib.sha1(repr([round(v, 2) for v in page.get_size()]).encode())
    # Where the page lies on its sheet (each half of a booklet's spread) and the
    # annotations it shows: hashed only when there is something to say, so that every
    # other page keeps the hash it had.
    box = pdfium_c.FS_RECTF()
    if pdfium_c.FPDF_GetPageBoundingBox(page.raw, box) and (round(box.left, 2), round(box.bottom, 2)) != (0, 0):
        digest.update(repr((round(box.left, 2), round(box.bottom, 2))).encode())
    for annotation in _shown_annotations(page.raw):
        digest.update(repr(annotation).encode())
    textpage = page.get_textpage()
    try:
        for obj in page.get_objects():
            digest.update(repr((obj.type, [round(v, 3) for v in obj.get_matrix().get()],
                                [round(v, 2) for v in obj.get_bounds()], _object_colours(obj))).encode())
            if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                digest.update(repr(obj.get_filters()).encode())
                digest.update(bytes(obj.get_data(decode_simple=False)))
            elif obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                digest.update(_path_points(obj))
            elif obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                digest.update(_object_text(obj, textpage))
    finally:
        textpage.close()
    return digest.hexdigest()[:16]


def _object_colours(obj: pdfium.PdfObject) -> tuple:
    colours = []
    for get in (pdfium_c.FPDFPageObj_GetFillColor, pdfium_c.FPDFPageObj_GetStrokeColor):
        rgba = [ctypes.c_uint() for _ in range(4)]
        colours.append(tuple(v.value for v in rgba) if get(obj, *rgba) else None)
    return tuple(colours)


def _path_points(obj: pdfium.PdfObject) -> bytes:
    x, y = ctypes.c_float(), ctypes.c_float()
    points = array.array("f")
    for k in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        points.extend((pdfium_c.FPDFPathSegment_GetType(segment), x.value, y.value,
                       pdfium_c.FPDFPathSegment_GetClose(segment)))
    return points.tobytes()


def _object_text(obj: pdfium.PdfObject, textpage: pdfium.PdfTextPage) -> bytes:
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage, None, 0)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFTextObj_GetText(obj, textpage, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw


def _check_size(size: tuple[int, int] | None, task: PageTask) -> None:
    """Refuse an image too large to decode, from the width and height in its header."""
    if size is not None and size[0] * size[1] > MAX_DECODE_PIXELS:
        raise InputFileError(task.source, f"the image is {size[0]} x {size[1]} pixels, more than any scan of a "
                                          f"page ({MAX_DECODE_PIXELS // 1_000_000} million at most): scan at "
                                          "600 dpi or less", task.page)


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG from its header, without decoding it."""
    if data.startswith(b"\x89PNG") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    frame = _jpeg_frame(data)
    return frame[:2] if frame is not None else None


def _jpeg_components(data: bytes) -> int | None:
    """How many colour components a JPEG has (1 grey, 3 colour, 4 CMYK), from its header."""
    frame = _jpeg_frame(data)
    return frame[2] if frame is not None else None


def _jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """Width, height and number of components of a JPEG, from its start of frame."""
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 10 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            at += 2
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height, data[at + 9]
        else:
            at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    return None


def _tiff_frame_size(file: str | bytes, index: int) -> tuple[int, int] | None:
    """Width and height of frame `index` (0-based) of a TIFF, or BigTIFF, from its directory;
    `file` is its path, or its bytes."""
    try:
        with io.BytesIO(file) if isinstance(file, bytes) else open(file, "rb") as f:
            return _tiff_directory_size(f, index)
    except struct.error:
        return None  # a damaged directory: the decoder says what is wrong


def _tiff_directory_size(f: io.BufferedIOBase, index: int) -> tuple[int, int] | None:
    head = f.read(16)
    order = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"\x2b\x00", b"\x00\x2b")
    # Offsets, entry counts and entries: 4, 2 and 12 bytes in a TIFF, 8, 8 and 20 in a BigTIFF.
    offset_fmt, count_fmt, entry = (order + "Q", order + "Q", 20) if big else (order + "I", order + "H", 12)
    offset = struct.unpack(offset_fmt, head[8:16] if big else head[4:8])[0]
    for _ in range(index):
        f.seek(offset)
        count = struct.unpack(count_fmt, f.read(struct.calcsize(count_fmt)))[0]
        f.seek(offset + struct.calcsize(count_fmt) + count * entry)
        offset = struct.unpack(offset_fmt, f.read(struct.calcsize(offset_fmt)))[0]
    f.seek(offset)
    count = struct.unpack(count_fmt, f.read(struct.calcsize(count_fmt)))[0]
    entries = f.read(count * entry)
    size = {}
    for at in range(0, len(entries) - entry + 1, entry):
        tag, kind = struct.unpack(order + "HH", entries[at:at + 4])
        value = entries[at + (12 if big else 8):]  # after the tag, type and count
        fmt = {3: "H", 4: "I", 16: "Q"}.get(kind)
        if tag in (256, 257) and fmt:
            size[tag] = struct.unpack(order + fmt, value[:struct.calcsize(fmt)])[0]
    return (size[256], size[257]) if len(size) == 2 else None


def _decode(data: bytes, task: PageTask) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputFileError(task.source, "the image cannot be decoded (corrupt or truncated)", task.page)
    return _shrink_huge(image)


def _shrink_huge(image: np.ndarray) -> np.ndarray:
    pixels = image.shape[0] * image.shape[1]
    if pixels <= MAX_PIXELS:
        return image
    factor = (MAX_PIXELS / pixels) ** 0.5
    log.info("image of %dx%d pixels reduced by %.2f", image.shape[1], image.shape[0], factor)
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def _from_pixels(raw: np.ndarray) -> LoadedPage:
    image, greyscale = _normalise(raw)
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if greyscale:
        return LoadedPage(grey, None, 1.0)
    f = 1 / COLOUR_REDUCTION
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return LoadedPage(grey, small, small.shape[1] / grey.shape[1])


def _from_jpeg(data: bytes, task: PageTask) -> LoadedPage:
    """Decode the luminance at full size and the colour at a quarter: both cheaper than
    one full colour decode, and all the reader needs."""
    buf = np.frombuffer(data, np.uint8)
    grey = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise InputFileError(task.source, "the image cannot be decoded (corrupt or truncated)", task.page)
    if grey.size > MAX_PIXELS:
        return _from_pixels(_decode(data, task))
    small = cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_4)
    _, greyscale = _normalise(small)
    return LoadedPage(grey, None if greyscale else small, small.shape[1] / grey.shape[1])


def _normalise(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """8-bit BGR or grey; a colour image whose channels agree counts as greyscale."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        image = _on_white(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return image, True
    small = image[:: max(1, image.shape[0] // 200), :: max(1, image.shape[1] // 200)].astype(np.int16)
    spread = np.abs(small[:, :, 0] - small[:, :, 1]).mean() + np.abs(small[:, :, 1] - small[:, :, 2]).mean()
    # A greyscale scan saved as colour has channels equal to the last bit (JPEG's chroma
    # of grey is exactly neutral); white paper scanned in colour still differs by noise.
    return image, bool(spread < GREYSCALE_SPREAD)


def _on_white(bgra: np.ndarray) -> np.ndarray:
    """An image with transparency laid on white paper, as every viewer shows it: a
    background remover leaves the paper transparent, often black under it."""
    alpha = bgra[:, :, 3:].astype(np.float32) / 255
    return (bgra[:, :, :3] * alpha + 255 * (1 - alpha) + 0.5).astype(np.uint8)


def _render_pdf_page(task: PageTask) -> np.ndarray:
    """The page as a viewer shows it, its annotations and form fields drawn too."""
    pdf = _open_pdf(task.source, task.data if task.data is not None else Path(task.path))
    try:
        pdf.init_forms()  # before the page is loaded, or its form fields are not drawn
        page = pdf[0 if task.data is not None else task.page - 1]  # data: the page alone
        width_pt, height_pt = page.get_size()
        # A poster-sized page is drawn at less than its resolution rather than exhaust memory.
        scale = min(_render_scale(page), (MAX_PIXELS / max(1.0, width_pt * height_pt)) ** 0.5)
        return np.ascontiguousarray(page.render(scale=scale, may_draw_forms=True).to_numpy()[:, :, :3])  # BGR
    finally:
        pdf.close()


def _render_scale(page: pdfium.PdfPage) -> float:
    """Pixels a point to draw the page with: its largest image's own resolution (a scan
    with something drawn on it loses none of its detail), RENDER_DPI at least."""
    largest, density = 0.0, 0.0
    for obj, kind, (a, b, c, d, _, _) in _drawing_objects(page.raw) or []:
        width, height = ctypes.c_uint(), ctypes.c_uint()
        area = abs(a * d - b * c)  # in square points
        if (kind == pdfium_c.FPDF_PAGEOBJ_IMAGE and area > largest
                and pdfium_c.FPDFImageObj_GetImagePixelSize(obj, width, height)):
            largest, density = area, (width.value * height.value / area) ** 0.5
    return max(RENDER_DPI / 72, density)


def load_page(task: PageTask) -> LoadedPage:
    """Decode one page to pixels.

    Raises:
        InputFileError: the page cannot be decoded, or is too large or too small to be a
            scanned page; names the file and page.
    """
    try:
        loaded = _load(task)
    except (OSError, pdfium.PdfiumError, cv2.error) as exc:
        raise InputFileError(task.source, f"cannot be read: {one_line(exc)}", task.page) from None
    except MemoryError:
        raise InputFileError(task.source, "the image is too large to load", task.page) from None
    height, width = loaded.grey.shape
    if min(width, height) < MIN_SIDE_PIXELS:
        raise InputFileError(task.source, f"the image is only {width} x {height} pixels: too small to be "
                                          "a scanned page", task.page)
    return loaded


def _load(task: PageTask) -> LoadedPage:
    if task.kind == "jpeg":
        assert task.data is not None
        _check_size(_header_size(task.data), task)
        return _from_jpeg(task.data, task)
    if task.kind == "image":
        data = task.data if task.data is not None else Path(task.path).read_bytes()
        _check_size(_header_size(data), task)
        if data.startswith(b"\xff\xd8"):
            return _from_jpeg(data, task)
        return _from_pixels(_decode(data, task))
    if task.kind == "tiff-frame":
        _check_size(_tiff_frame_size(task.path if task.data is None else task.data, task.page - 1), task)
        ok, frames = _tiff_frame(task)
        if not ok or not frames:
            raise InputFileError(task.source, "this TIFF page cannot be decoded", task.page)
        return _from_pixels(_shrink_huge(frames[0]))
    return _from_pixels(_render_pdf_page(task))


def _tiff_frame(task: PageTask) -> tuple[bool, list[np.ndarray]]:
    if task.data is None:
        return cv2.imreadmulti(task.path, start=task.page - 1, count=1, flags=cv2.IMREAD_UNCHANGED)
    return cv2.imdecodemulti(np.frombuffer(task.data, np.uint8), cv2.IMREAD_UNCHANGED,
                             range=(task.page - 1, task.page))


def portable(task: PageTask) -> PageTask:
    """`task` with the bytes a worker needs to read it without the file (on another machine).

    A scanned JPEG carries them already; an image brings its file; a PDF page to render
    comes alone as a one-page PDF (cut, not rendered: the worker renders). A TIFF frame
    brings the whole file, which costs its size for each of its frames: for a cluster,
    PDFs of scanned JPEGs are the input that travels best.
    """
    if task.data is not None:
        return task
    try:
        if task.kind == "pdf-page":
            return replace(task, data=_pdf_page_alone(task))
        return replace(task, data=Path(task.path).read_bytes())
    except (OSError, pdfium.PdfiumError, InputFileError) as exc:
        log.debug("%s page %d: not made portable (%s); the worker will say why", task.source, task.page, exc)
        return task


def _pdf_page_alone(task: PageTask) -> bytes:
    source = _open_pdf(task.source, Path(task.path))
    alone = pdfium.PdfDocument.new()
    try:
        alone.import_pages(source, [task.page - 1])
        buffer = io.BytesIO()
        alone.save(buffer)
        return buffer.getvalue()
    finally:
        alone.close()
        source.close()


def without_bytes(page: PageTask | InputProblem) -> PageTask | InputProblem:
    """`page` without its JPEG's bytes, for a worker that takes them from the file itself
    (`PageFiles`): the bytes of every page, sent, cost the survey's one writer more than
    the worker taking them."""
    if isinstance(page, PageTask) and page.data is not None and page.kind == "jpeg":
        return replace(page, data=None)
    return page


class PageFiles:
    """The PDFs a worker takes pages' JPEGs from itself, kept open from page to page
    (`PDF_REOPEN_PAGES` pages each, `OPEN_PDFS` files at most): one per worker process,
    its PDFium objects made and dropped there, and one in a cluster's parent, which takes
    a lost group's JPEGs from their files again."""

    def __init__(self) -> None:
        # path: (document, pages taken)
        self._open: dict[str, tuple[pdfium.PdfDocument, int]] = {}

    def complete(self, task: PageTask) -> PageTask:
        """`task` with its JPEG's bytes, taken from its file when it came without them,
        and checked against the hash of the page found.

        Raises:
            InputFileError: the page cannot be taken from the file, or is no longer the
                page found (the file was changed while the scan ran).
        """
        if task.kind != "jpeg" or task.data is not None:
            return task
        for _ in range(2):
            found = self._take(task)
            if found.content_hash == task.content_hash and found.data is not None:
                return replace(task, data=found.data)
            self.close()  # what was kept open may be the file as it was: look at it again as it is
        raise InputFileError(task.source, "the page changed in the file while the scan ran (another image than "
                                          "the one found there): scan the file again", task.page)

    def _take(self, task: PageTask) -> PageTask:
        try:
            path = Path(task.path)
            return _pdf_page_task(task.source, path, self._pdf(task), task.page - 1, _image_keys(path))
        except (OSError, pdfium.PdfiumError, IndexError) as exc:  # IndexError: the file has fewer pages now
            self.close()
            raise InputFileError(task.source, f"cannot be read: {one_line(exc)}", task.page) from None

    def _pdf(self, task: PageTask) -> pdfium.PdfDocument:
        """The task's file, open."""
        pdf, taken = self._open.pop(task.path, (None, 0))
        if pdf is not None and taken >= PDF_REOPEN_PAGES:
            pdf.close()  # PDFium keeps every image it has read until the document is closed
            pdf = None
        if pdf is None:
            pdf, taken = _open_pdf(task.source, Path(task.path)), 0
        self._open[task.path] = (pdf, taken + 1)  # the most recent last
        while len(self._open) > OPEN_PDFS:
            oldest = next(iter(self._open))
            self._open.pop(oldest)[0].close()
        return pdf

    def close(self) -> None:
        """Close every file kept open."""
        for pdf, _ in self._open.values():
            pdf.close()
        self._open.clear()


def page_task(source: str, path: str | Path, page: int) -> PageTask:
    """Rebuild the task for page `page` of one file, as `enumerate_pages` made it.

    For the review's crops: the store keeps each page's file and number, not its bytes.

    Raises:
        InputFileError: the file is gone, unreadable, or has no such page.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(source, "no such file (moved or deleted since the scan?)", page)
    kind = _sniff(path)
    if kind == "pdf":
        pdf = _open_pdf(source, path)
        try:
            if not 1 <= page <= len(pdf):
                raise InputFileError(source, f"the PDF has no page {page}", page)
            return _pdf_page_task(source, path, pdf, page - 1, _image_keys(path))
        finally:
            pdf.close()
    if kind == "tiff" and 1 <= page <= cv2.imcount(str(path)):
        digest = tiff_frame_digests(path, only=page - 1)
        return PageTask(source, str(path), page, "tiff-frame", digest[0] if digest else _file_page_hash(path, page - 1))
    if kind in ("png", "jpeg") and page == 1:
        return PageTask(source, str(path), 1, "image", _digest(path.read_bytes()))
    raise InputFileError(source, f"the file has no page {page} (or is no longer a PDF or image)", page)
