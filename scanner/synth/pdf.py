"""Write a batch PDF the way a sheet-feeder scanner does: one JPEG per page, nothing else.

Written by hand rather than with reportlab, which wraps image data in ASCII85: here
each page's image stream is the JPEG byte for byte (`/Filter /DCTDecode`), so a reader
can take it out unchanged (pypdfium2 `PdfImage.get_data(decode_simple=False)`), and the
file carries no dates, so the same pages give the same bytes. Pages are streamed to
disk as they come.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

PT_PER_INCH = 72.0


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


class JpegPdfWriter:
    """A PDF of full-page JPEG images, one per page, each page exactly its image's size."""

    def __init__(self, path: str | Path, producer: str = "scanner synth"):
        self.path = Path(path)
        self._file = self.path.open("wb")
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 4  # 1 catalog, 2 page tree, 3 document info: written last
        self._producer = producer
        self._file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._file.tell()
        self._file.write(f"{number} 0 obj\n".encode() + body)
        if stream is not None:
            self._file.write(b"\nstream\n" + stream + b"\nendstream")
        self._file.write(b"\nendobj\n")

    def _reserve(self) -> int:
        self._next += 1
        return self._next - 1

    def add_page(self, jpeg: bytes, width_px: int, height_px: int, dpi: float, grey: bool) -> None:
        """Append a page showing `jpeg` (width x height pixels, scanned at `dpi`)."""
        w, h = _num(width_px * PT_PER_INCH / dpi), _num(height_px * PT_PER_INCH / dpi)
        image, content, page = self._reserve(), self._reserve(), self._reserve()
        space = "/DeviceGray" if grey else "/DeviceRGB"
        self._object(image, (f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} "
                             f"/ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode "
                             f"/Length {len(jpeg)} >>").encode(), jpeg)
        draw = f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode()
        self._object(content, f"<< /Length {len(draw)} >>".encode(), draw)
        self._object(page, (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] "
                            f"/Resources << /XObject << /Im0 {image} 0 R >> >> /Contents {content} 0 R >>").encode())
        self._pages.append(page)

    def close(self) -> None:
        if self._file.closed:
            return
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode())
        self._object(3, f"<< /Producer ({self._producer}) >>".encode())
        xref = self._file.tell()
        size = self._next
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        lines += [f"{self._offsets[n]:010d} 00000 n \n" for n in range(1, size)]
        lines.append(f"trailer\n<< /Size {size} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n")
        self._file.write("".join(lines).encode())
        self._file.close()

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def __enter__(self) -> JpegPdfWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
