"""Render a template as a printable PDF: text, tick boxes, comment boxes, fiducials, QR.

The template is the single source of truth for geometry: every box is drawn exactly
where the template puts it, and the corner markers and QR code where `Registration`
says. Text styles live here because the template builder wraps text with them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from scanner.template import Comment, Item, Template

BOX_LINE_MM = 0.3
"""Printed width of a tick box's border; `marks` excludes it when measuring ink."""

WRITING_LINE_MM = 8.0
"""Spacing of the writing lines drawn for a comment zone with no frame (`framed: false`):
the zone's height is divided into lines about this far apart, the last on its bottom
edge (a word processor's ruled lines, 1.5-spaced 11 pt text, lie 7-9 mm apart)."""

OPTION_LABEL_W = 88.0
"""Width of an option's label printed beside its box (`Item.label_options`)."""

QR_QUIET_MODULES = 2
"""Light modules around the QR code inside its printed square (the page around it is
light too, so two suffice)."""

INK = Color(0.12, 0.12, 0.12)
GREY = Color(0.45, 0.45, 0.45)
RULE = Color(0.75, 0.75, 0.75)


@dataclass(frozen=True)
class TextStyle:
    font: str
    size_pt: float
    leading_mm: float
    colour: Color = INK


STYLES: dict[str, TextStyle] = {
    "title": TextStyle("Helvetica-Bold", 17, 7.5),
    "subtitle": TextStyle("Helvetica", 11, 5.0),
    "heading": TextStyle("Helvetica-Bold", 11.5, 5.5),
    "stem": TextStyle("Helvetica-Bold", 9.5, 4.2),
    "body": TextStyle("Helvetica", 9.5, 4.2),
    "small": TextStyle("Helvetica", 8, 3.5, GREY),
    "column": TextStyle("Helvetica", 7.5, 3.1),
    "prompt": TextStyle("Helvetica-Oblique", 8, 3.5, GREY),
}


def wrap(text: str, style: str, width_mm: float) -> list[str]:
    """Split `text` into the lines it prints as in `style` within `width_mm`."""
    s = STYLES[style]
    return simpleSplit(text, s.font, s.size_pt, width_mm * mm)


def text_height_mm(text: str, style: str, width_mm: float) -> float:
    return len(wrap(text, style, width_mm)) * STYLES[style].leading_mm


def qr_payload(template: Template, page: int, serial: int | None = None) -> str:
    """What the page's QR code says; `identify` parses it back."""
    base = f"scanner:{template.form}:{template.version}:{page}"
    return base if serial is None else f"{base}:{serial:06d}"


def marker_ids(page: int) -> list[int]:
    """ArUco ids of a page's corner markers, clockwise from top-left."""
    return [page * 4 + corner for corner in range(4)]


def marker_boxes(template: Template) -> list[tuple[float, float, float]]:
    """x, y of the top-left corner and side of each corner marker, clockwise from top-left."""
    reg = template.registration
    w, h = template.page_size_mm
    s, d = reg.marker_size_mm, reg.marker_inset_mm
    return [(d, d, s), (w - d - s, d, s), (w - d - s, h - d - s, s), (d, h - d - s, s)]


def marker_bits(template: Template, marker_id: int) -> np.ndarray:
    """The marker's cells, border included, as a boolean array (True = black)."""
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, template.registration.marker_dictionary))
    cells = dictionary.markerSize + 2
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, cells)
    return image < 128


class _PageCanvas:
    """Draws in template millimetres (origin top-left) on a reportlab canvas."""

    def __init__(self, canvas: Canvas, height_mm: float):
        self.c = canvas
        self.h = height_mm

    def rect(self, x: float, y: float, w: float, h: float, *, fill: bool = False, line_mm: float = BOX_LINE_MM) -> None:
        self.c.setLineWidth(line_mm * mm)
        self.c.rect(x * mm, (self.h - y - h) * mm, w * mm, h * mm, stroke=0 if fill else 1, fill=1 if fill else 0)

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: Color, width_mm: float) -> None:
        self.c.setStrokeColor(colour)
        self.c.setLineWidth(width_mm * mm)
        self.c.line(x0 * mm, (self.h - y0) * mm, x1 * mm, (self.h - y1) * mm)
        self.c.setStrokeColor(INK)

    def text(self, text: str, x: float, y: float, width: float, style: str, align: str = "left") -> None:
        s = STYLES[style]
        self.c.setFont(s.font, s.size_pt)
        self.c.setFillColor(s.colour)
        ascent = s.size_pt * 0.3528 * 0.78  # pt to mm, cap height: `y` is the top of the text
        for k, line in enumerate(wrap(text, style, width)):
            baseline = (self.h - y - ascent - k * s.leading_mm) * mm
            if align == "center":
                self.c.drawCentredString(x * mm, baseline, line)
            else:
                self.c.drawString(x * mm, baseline, line)
        self.c.setFillColor(INK)


def _fill_cells(pc: _PageCanvas, x: float, y: float, cell: float, bits: np.ndarray) -> None:
    """Fill the True cells of `bits` as squares of side `cell` mm from (x, y), as one path:
    filled together, adjacent cells show no seams however the page is rasterised."""
    path = pc.c.beginPath()
    for r, c in zip(*np.nonzero(bits)):
        path.rect((x + c * cell) * mm, (pc.h - y - (r + 1) * cell) * mm, cell * mm, cell * mm)
    pc.c.setFillColor(Color(0, 0, 0))
    pc.c.drawPath(path, stroke=0, fill=1)
    pc.c.setFillColor(INK)


def _draw_markers(pc: _PageCanvas, template: Template, page: int) -> None:
    for (x, y, side), marker_id in zip(marker_boxes(template), marker_ids(page)):
        bits = marker_bits(template, marker_id)
        _fill_cells(pc, x, y, side / bits.shape[0], bits)


def qr_modules(payload: str) -> np.ndarray:
    """The QR code's modules (True = dark), quiet zone not included."""
    code = _qr_code(payload)
    code.make()
    n = code.getModuleCount()
    return np.array([[code.isDark(r, c) for c in range(n)] for r in range(n)], dtype=bool)


def qr_width_modules(payload: str) -> int:
    """How many modules wide the QR code of `payload` is (`qr_modules`), without drawing
    it: a hundredth of the time."""
    return 4 * _qr_code(payload).calculate_version() + 17


def _qr_code(payload: str) -> qrencoder.QRCode:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    return code


def _draw_qr(pc: _PageCanvas, template: Template, page: int, serial: int | None) -> None:
    reg = template.registration
    modules = qr_modules(qr_payload(template, page, serial))
    cell = reg.qr_size_mm / (modules.shape[0] + 2 * QR_QUIET_MODULES)
    x, y = reg.qr_at_mm
    _fill_cells(pc, x + QR_QUIET_MODULES * cell, y + QR_QUIET_MODULES * cell, cell, modules)


def _draw_item(pc: _PageCanvas, template: Template, item: Item) -> None:
    if item.text_mm is not None:
        x, y, width = item.text_mm
        pc.text(item.print_text or item.text, x, y, width, "body")
    scale = template.scales[item.scale]
    pc.c.setStrokeColor(INK)
    for option in item.options:
        pc.rect(*option.box_mm)
        if item.label_options:
            x, y, w, h = option.box_mm
            pc.text(scale.label(option.code), x + w + 2.0, y + (h - 3.0) / 2, OPTION_LABEL_W, "body")


def _draw_comment(pc: _PageCanvas, comment: Comment) -> None:
    x, y, w, h = comment.box_mm
    if comment.prompt:
        pc.text(comment.prompt, x, y - 4.0, w, "prompt")
    if comment.framed:
        pc.rect(x, y, w, h)
        return
    # A block of writing lines (a drafted zone with no frame) runs from one line's spacing
    # above its first line down to its last; the template keeps the zone, not its lines.
    lines = max(1, round(h / WRITING_LINE_MM))
    for k in range(1, lines + 1):
        pc.line(x, y + h * k / lines, x + w, y + h * k / lines, INK, BOX_LINE_MM)


def render_page(canvas: Canvas, template: Template, page: int, serial: int | None = None, plain: bool = False) -> None:
    """Draw one page of the form on `canvas` and finish the page.

    `plain` leaves out the corner markers and the QR code, as a form made in a word
    processor would be (so is a template whose registration says there are no markers).
    """
    w, h = template.page_size_mm
    pc = _PageCanvas(canvas, h)
    for t in template.page(page).texts:
        if t.style == "rule":
            pc.line(t.at_mm[0], t.at_mm[1], t.at_mm[0] + t.width_mm, t.at_mm[1], RULE, 0.2)
        else:
            pc.text(t.text, t.at_mm[0], t.at_mm[1], t.width_mm, t.style, t.align)
    for item in template.items_on(page):
        _draw_item(pc, template, item)
    for comment in template.comments_on(page):
        _draw_comment(pc, comment)
    if template.registration.markers and not plain:
        _draw_markers(pc, template, page)
        _draw_qr(pc, template, page, serial)
    canvas.showPage()


def render_pdf(template: Template, out: str | Path, copies: int = 0, first_serial: int = 1,
               plain: bool = False) -> Path:
    """Write the blank form to `out`: every page once, or `copies` numbered copies.

    Numbered copies carry a serial in each page's QR code, so that pages group into
    questionnaires by serial even when the scan order is mixed up. `plain` prints no
    markers and no QR code (see `render_page`).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    w, h = template.page_size_mm
    canvas = Canvas(str(out), pagesize=(w * mm, h * mm), pageCompression=1)
    canvas.setTitle(template.title or template.form)
    canvas.setCreator("scanner")
    serials = [None] if copies <= 0 else range(first_serial, first_serial + copies)
    for serial in serials:
        for page in template.page_numbers:
            render_page(canvas, template, page, serial, plain)
    canvas.save()
    return out


def page_raster(template: Template, page: int, dpi: float, serial: int | None = None) -> np.ndarray:
    """One blank page drawn at `dpi`, as BGR pixels (white paper)."""
    return page_rasters(template, page, (dpi,), serial)[0]


def page_rasters(template: Template, page: int, dpis: tuple[float, ...], serial: int | None = None,
                 plain: bool = False) -> list[np.ndarray]:
    """One blank page drawn once and rasterised at each of `dpis`, as BGR pixels (`plain`:
    without markers and QR code, see `render_page`)."""
    import io

    import pypdfium2 as pdfium

    w, h = template.page_size_mm
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(w * mm, h * mm))
    render_page(canvas, template, page, serial, plain)
    canvas.save()
    pdf = pdfium.PdfDocument(buffer.getvalue())
    try:
        return [np.ascontiguousarray(pdf[0].render(scale=dpi / 72).to_numpy()[:, :, :3]) for dpi in dpis]
    finally:
        pdf.close()
