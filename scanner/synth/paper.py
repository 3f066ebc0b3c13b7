"""Paper and scanner: the blank form's raster, how a sheet lies on the glass, and what
the scanner makes of it (tone, noise, paper colour, light, blur, JPEG).

A page goes through four steps. `lay_paper` warps the blank form's greyscale raster
once (rotation, shift, scale, upside down and, for phone photos, perspective in one
`warpPerspective`). `Scanner.develop` applies the scanner's tone curve and sensor noise
to that greyscale page and makes the colour channels. The ink goes on next
(`ink.stamp`, through the same transform). `Scanner.finish` multiplies in the paper's
colour with the uneven light and the scanner's colour cast, paints the backing around
the sheet, blurs where the page is out of focus and encodes the JPEG.

Cheap on purpose: tone is a lookup table, noise one plane per file read at a random
offset for each page, the light a low-resolution gain field scaled up, and full-page
buffers are reused.
"""

from __future__ import annotations

import ctypes
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from reportlab.graphics.barcode import qrencoder

from scanner.geometry import mm_to_pixels
from scanner.render import marker_bits, marker_boxes, marker_ids, qr_payload, render_pdf
from scanner.synth.rates import Rates
from scanner.template import Template

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
NOISE_PAD = 64
"""The noise plane is this much larger than a page, so that each page reads it at its own offset."""
QR_BORDER_MODULES = 2
"""Quiet zone inside the QR square, as `render` prints it (`barBorder=2`)."""
CODE_MARGIN_MM = 0.4
"""Paper round a marker or QR code that is repainted with it (the form leaves it blank)."""


def page_size_px(size_mm: tuple[float, float], dpi: int) -> tuple[int, int]:
    """Width and height in pixels of a page rasterised at `dpi`, exactly as pdfium does."""
    return tuple(int(math.ceil(v / MM_PER_INCH * PT_PER_INCH * (dpi / PT_PER_INCH))) for v in size_mm)


def mm_to_raster(dpi: int) -> np.ndarray:
    """Page mm to the clean raster's pixel coordinates (the top-left pixel's centre is 0, 0)."""
    return mm_to_pixels(dpi / MM_PER_INCH)


@dataclass(frozen=True)
class PageScan:
    """How one sheet lay on the scanner: the distortion that registration must undo.

    The page is scaled by `scale`, turned by `rotation_deg` (clockwise as seen in the
    image) and by a further 180 degrees when `upside_down`, all about the image centre,
    then moved by `shift_mm`. A phone photo then shrinks the page to `shrink` of the
    image and moves its corners by `corners_mm` (top-left, top-right, bottom-right,
    bottom-left; x, y each). `homography` gives the resulting map from page mm to
    image pixels.
    """

    rotation_deg: float = 0.0
    shift_mm: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    upside_down: bool = False
    photo: bool = False
    shrink: float = 1.0
    corners_mm: tuple[float, ...] = (0.0,) * 8
    blur_px: float = 0.0
    illumination: float = 0.0
    """How uneven the light is: the darkest part of the page is this much darker."""

    def raster_to_image(self, size_px: tuple[int, int], dpi: int) -> np.ndarray:
        """Clean raster pixels to scanned image pixels (both the same size)."""
        w, h = size_px
        k = dpi / MM_PER_INCH
        cx, cy = (w - 1) / 2, (h - 1) / 2
        t = math.radians(self.rotation_deg + (180.0 if self.upside_down else 0.0))
        c, s = math.cos(t) * self.scale, math.sin(t) * self.scale
        similarity = np.array([[c, -s, cx + self.shift_mm[0] * k - c * cx + s * cy],
                               [s, c, cy + self.shift_mm[1] * k - s * cx - c * cy],
                               [0, 0, 1]])
        if not self.photo:
            return similarity
        src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
        centre = np.array([cx, cy], np.float32)
        moves = np.array(self.corners_mm, np.float32).reshape(4, 2) * k
        dst = (centre + (src - centre) * self.shrink + moves).astype(np.float32)
        return cv2.getPerspectiveTransform(src, dst) @ similarity

    def homography(self, size_mm: tuple[float, float], dpi: int) -> np.ndarray:
        """Page mm to scanned image pixels (the top-left pixel's centre is 0, 0)."""
        return self.raster_to_image(page_size_px(size_mm, dpi), dpi) @ mm_to_raster(dpi)


def _clipped_normal(rng: np.random.Generator, sd: float, limit: float, misfeed: bool) -> float:
    if misfeed:
        return float(rng.uniform(-limit, limit))
    return float(np.clip(rng.normal(0, sd), -limit, limit))


def draw_page_scan(rng: np.random.Generator, rates: Rates, dpi: int, *, photo: bool = False,
                   upside_down: bool = False, effects: bool = True) -> PageScan:
    """A sheet's position on the glass: small skews and shifts, rarely a large one."""
    if not effects:
        return PageScan()
    blur = float(rng.uniform(0.3, 0.9) * dpi / 200) if rng.random() < rates.blur else 0.0
    bad = bool(rng.random() < rates.misfeed)
    scan = PageScan(
        rotation_deg=round(_clipped_normal(rng, rates.rotation_sd_deg, rates.rotation_max_deg, bad), 3),
        shift_mm=(round(_clipped_normal(rng, rates.shift_sd_mm, rates.shift_max_mm, bad), 3),
                  round(_clipped_normal(rng, rates.shift_sd_mm, rates.shift_max_mm, bad), 3)),
        scale=round(1 + _clipped_normal(rng, rates.scale_sd, rates.scale_max, bad), 4),
        upside_down=upside_down,
        blur_px=round(blur, 3),
        illumination=round(float(rng.uniform(*rates.illumination)), 4),
    )
    if not photo:
        return scan
    corners = tuple(round(float(v), 3) for v in rng.uniform(-rates.photo_corner_mm, rates.photo_corner_mm, 8))
    return PageScan(scan.rotation_deg, scan.shift_mm, scan.scale, upside_down, True,
                    round(float(rng.uniform(*rates.photo_shrink)), 4), corners,
                    round(float(rng.uniform(0.5, 1.2) * dpi / 200), 3),
                    round(float(rng.uniform(*rates.photo_illumination)), 4))


@dataclass(frozen=True)
class ScannerLook:
    """One scanner run (one batch file): resolution, colour mode and its quirks."""

    dpi: int
    greyscale: bool
    jpeg_quality: int
    cast: tuple[float, float, float]
    """Gain per channel (B, G, R), at most 1: the scanner's colour cast."""
    black: int
    """Black level: scanners never give 0 for ink."""
    white: int
    """White level: nor 255 for white paper (and sensor noise needs the headroom)."""
    gamma: float
    backing: tuple[int, int, int]
    """Colour of the feeder's backing, seen where the skewed page leaves the glass bare."""
    noise_sd: float
    photo_light: tuple[float, float, float] = (0.9, 0.97, 1.0)
    """Gain per channel (B, G, R) of the light a phone photo is taken under: indoor light is warm."""


def draw_scanner(rng: np.random.Generator, rates: Rates, dpi: int, greyscale: bool,
                 effects: bool = True) -> ScannerLook:
    """A scanner's settings and quirks for one file (a perfect scanner without `effects`)."""
    if not effects:
        return ScannerLook(dpi, greyscale, 92, (1.0, 1.0, 1.0), 0, 255, 1.0, (255, 255, 255), 0.0)
    cast = tuple(float((250 + v) / 255) for v in rng.integers(-rates.scanner_cast, rates.scanner_cast + 1, 3))
    grey = int(rng.integers(175, 236))
    return ScannerLook(
        dpi=dpi, greyscale=greyscale, jpeg_quality=int(rng.integers(rates.jpeg_quality[0], rates.jpeg_quality[1] + 1)),
        cast=cast, black=int(rng.integers(12, 36)), white=int(rng.integers(246, 253)),
        gamma=float(rng.uniform(0.9, 1.15)),
        backing=(grey, grey, grey), noise_sd=float(rng.uniform(*rates.noise_sd)))


def tone_lut(look: ScannerLook) -> np.ndarray:
    """The scanner's tone curve, black and white levels."""
    v = (np.arange(256, dtype=np.float64) / 255) ** look.gamma
    return np.clip(np.round(look.black + v * (look.white - look.black)), 0, 255).astype(np.uint8)


def luminance(bgr) -> float:
    """Grey level of a colour as a greyscale scan sees it (ITU-R BT.601, as OpenCV)."""
    b, g, r = bgr
    return 0.114 * b + 0.587 * g + 0.299 * r


def paper_quad(raster_to_image: np.ndarray, size_px: tuple[int, int]) -> np.ndarray:
    """The sheet's outline in the image: the raster's corners through the scan transform."""
    w, h = size_px
    corners = np.array([[[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]]], np.float64)
    return cv2.perspectiveTransform(corners, raster_to_image)[0]


def _surround(image: np.ndarray, quad: np.ndarray, colour) -> None:
    """Paint what lies outside the sheet (backing or table), with a faint shadow at the edge."""
    h, w = image.shape[:2]
    full = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    if np.all(np.abs(quad - full) < 0.25):
        return
    outer = np.array([[-1, -1], [w, -1], [w, h], [-1, h]], np.float64)
    scale = 1 << 4
    polys = [np.round(p * scale).astype(np.int32) for p in (outer, quad)]
    colour = tuple(int(round(c)) for c in colour)
    cv2.fillPoly(image, polys, colour, cv2.LINE_AA, 4)
    cv2.polylines(image, [polys[1]], True, tuple(int(c * 0.7) for c in colour), 1, cv2.LINE_AA, 4)


def lay_paper(raster: np.ndarray, scan: PageScan, dpi: int,
              printed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The sheet on the glass: the page raster warped to where the sheet lies (greyscale,
    white paper; `Scanner.develop` comes next). Returns it and the clean-raster-to-image
    transform, which the ink goes through as well. `printed` maps the form's raster to
    the sheet's when the print is not where it belongs (fit to page, a photocopy)."""
    h, w = raster.shape[:2]
    m = scan.raster_to_image((w, h), dpi)
    if printed is not None:
        m = m @ printed
    if np.allclose(m, np.eye(3)):
        return raster.copy(), m
    warped = cv2.warpPerspective(raster, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=255)
    return warped, m


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A smooth random field in 0..1 on a coarse grid: broad patches of light and shade."""
    coarse = rng.random((3, 4))
    field = cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    field -= field.min()
    return field / max(field.max(), 1e-9)


def _light(rng: np.random.Generator, scan: PageScan) -> np.ndarray:
    """Uneven light on a coarse 16 x 12 grid, 1 at its brightest."""
    gh, gw = 16, 12
    y, x = np.mgrid[0:gh, 0:gw]
    u, v = x / (gw - 1) - 0.5, y / (gh - 1) - 0.5
    angle = rng.uniform(0, 2 * math.pi)
    gradient = (u * math.cos(angle) + v * math.sin(angle)) + 0.5
    shade = 0.5 * _smooth_field(rng, (gh, gw)) + 0.5 * gradient
    if scan.photo:
        shade = 0.5 * shade + 0.5 * np.clip((u**2 + v**2) * 2, 0, 1)  # vignetting
    return 1 - scan.illumination * shade


class Scanner:
    """One batch file's scanner: finishes pages and encodes them as its JPEGs.

    Holds the file's sensor-noise plane, made once and read at a random offset for
    each page, and reuses its full-page buffers: at 300 dpi, allocating fresh 26 MB
    arrays for every step costs more than the steps themselves.
    """

    def __init__(self, look: ScannerLook, rng: np.random.Generator):
        self.look = look
        self._rng = rng
        self._noise: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._buffers: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        key = (name, tuple(shape))
        if key not in self._buffers:
            self._buffers[key] = np.empty(shape, np.uint8)
        return self._buffers[key]

    def _planes(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Positive and negative halves of Gaussian noise, padded for random offsets."""
        key = tuple(shape)
        if key not in self._noise:
            h, w = shape[:2]
            n = self._rng.standard_normal((h + NOISE_PAD, w + NOISE_PAD), dtype=np.float32)
            n *= self.look.noise_sd
            pos = cv2.convertScaleAbs(np.maximum(n, 0))  # rounds and saturates to uint8
            neg = cv2.convertScaleAbs(np.minimum(n, 0))
            if len(shape) == 3:
                pos, neg = cv2.merge([pos, pos, pos]), cv2.merge([neg, neg, neg])
            self._noise[key] = (pos, neg)
        return self._noise[key]

    def _add_noise(self, image: np.ndarray, rng: np.random.Generator, times: int) -> None:
        if self.look.noise_sd <= 0:
            return
        pos, neg = self._planes(image.shape)
        h, w = image.shape[:2]
        for _ in range(times):
            dy, dx = (int(v) for v in rng.integers(0, NOISE_PAD, 2))
            cv2.add(image, pos[dy:dy + h, dx:dx + w], dst=image)
            dy, dx = (int(v) for v in rng.integers(0, NOISE_PAD, 2))
            cv2.subtract(image, neg[dy:dy + h, dx:dx + w], dst=image)

    def _gain(self, light: np.ndarray, paper_bgr, photo: bool, shape: tuple[int, ...]) -> np.ndarray:
        """Light x colour cast x paper colour, per channel, scaled up from the coarse grid."""
        cast = np.array(self.look.cast) * (np.array(self.look.photo_light) if photo else 1.0)
        gain = light[:, :, None] * cast * np.array(paper_bgr, np.float64)
        if self.look.greyscale:
            gain = gain @ np.array([0.114, 0.587, 0.299])
        # Smooth on an eighth-size grid first: straight from the coarse grid, linear
        # interpolation leaves faint tiles on blank paper.
        h, w = shape[:2]
        mid = cv2.resize(gain, (max(2, w // 8), max(2, h // 8)), interpolation=cv2.INTER_CUBIC)
        mid = np.clip(np.round(mid), 0, 255).astype(np.uint8)
        out = self._buffer("gain", shape)
        cv2.resize(mid, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        return out

    def develop(self, grey: np.ndarray, scan: PageScan, rng: np.random.Generator, effects: bool = True) -> np.ndarray:
        """The sensor's reading of the white sheet: tone curve, noise, colour channels.

        Works on the greyscale page, before the ink and the paper's colour, where it is
        three times cheaper; noise under the ink is what dark ink shows anyway (little).
        `grey` is changed in place. Returns BGR, or grey for a greyscale scanner.
        """
        cv2.LUT(grey, tone_lut(self.look), dst=grey)
        if effects:
            self._add_noise(grey, rng, 2 if scan.photo else 1)
        return grey if self.look.greyscale else cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)

    def finish(self, image: np.ndarray, scan: PageScan, rng: np.random.Generator, paper_bgr, quad: np.ndarray,
               surround=None, effects: bool = True, camera=None) -> bytes:
        """Paper colour and light, the surround, blur and JPEG: the scanner's bytes.

        Args:
            image: the developed page, ink included (`develop`, `ink.stamp`); left as
                it is (a duplex back shows it through).
            paper_bgr: the paper's colour.
            quad: the sheet's outline in the image (`paper_quad`).
            surround: what shows around the sheet (the table under a phone photo);
                the scanner's backing when None.
            camera: a function that changes the lit image in place before the blur
                and JPEG (a phone photo's shadow and motion blur: `hard.camera`).
        """
        if self.look.greyscale and image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        out = self._buffer("page", image.shape)
        light = _light(rng, scan) if effects else np.ones((2, 2))
        if effects or tuple(paper_bgr) != (255, 255, 255):
            cv2.multiply(image, self._gain(light, paper_bgr, scan.photo, image.shape), dst=out, scale=1 / 255)
        else:
            np.copyto(out, image)
        colour = np.array(surround or self.look.backing, np.float64) * np.array(self.look.cast) * light.mean()
        _surround(out, quad, [luminance(colour)] if self.look.greyscale else colour)
        if camera is not None:
            camera(out)
        if effects and scan.blur_px > 0:
            cv2.GaussianBlur(out, (0, 0), scan.blur_px, dst=out)
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, self.look.jpeg_quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode a JPEG")
        return data.tobytes()


def blank_back(front: np.ndarray, quad_front: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """The empty back of a sheet, greyscale on white like `lay_paper`'s pages: the front
    faintly showing through, mirrored (the sheet turned over on the same spot). Returns
    the image and the sheet's outline."""
    h, w = front.shape[:2]
    if strength > 0:
        grey = cv2.flip(front if front.ndim == 2 else cv2.cvtColor(front, cv2.COLOR_BGR2GRAY), 1)
        small = cv2.resize(grey, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), 1.5)
        # Relative to the front's paper, so that its white shows nothing through.
        paper = float(np.percentile(small, 90))
        through = np.clip(255 - strength * (paper - small.astype(np.float32)) * 255 / max(paper, 1), 0, 255)
        image = cv2.resize(through.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        image = np.full((h, w), 255, np.uint8)
    mirrored = quad_front.copy()
    mirrored[:, 0] = (w - 1) - mirrored[:, 0]
    return image, mirrored[[1, 0, 3, 2]]


@dataclass(frozen=True)
class _Code:
    """A printed code (corner marker or QR) as a grid of cells: where, and which are dark.

    `grid` includes the quiet zone: its first dark cell starts `quiet` cells in.
    """

    grid: np.ndarray
    x_mm: float
    y_mm: float
    cell_mm: float
    quiet: int = 0

    @property
    def side_mm(self) -> float:
        return (self.grid.shape[0] + 2 * self.quiet) * self.cell_mm

    def coverage(self, dpi: int, margin_mm: float) -> tuple[np.ndarray, int, int]:
        """Ink coverage (0 to 1) on the page raster's grid, 4 x 4 supersampled, over the
        code's square plus `margin_mm` of paper; and the raster pixel of its corner."""
        k = dpi / MM_PER_INCH
        x0, y0 = (int(math.floor((v - margin_mm) * k)) for v in (self.x_mm, self.y_mm))
        x1, y1 = (int(math.ceil((v + self.side_mm + margin_mm) * k)) for v in (self.x_mm, self.y_mm))
        sub = (np.arange(4) + 0.5) / 4
        n = self.grid.shape[0]

        def cells(start: int, stop: int, origin: float) -> tuple[np.ndarray, np.ndarray]:
            mm = ((np.arange(start, stop)[:, None] + sub[None, :]) / k).ravel()
            u = np.floor((mm - origin) / self.cell_mm).astype(int) - self.quiet
            return np.clip(u, 0, n - 1), (u >= 0) & (u < n)

        u, u_ok = cells(x0, x1, self.x_mm)
        v, v_ok = cells(y0, y1, self.y_mm)
        dark = self.grid[v][:, u] & v_ok[:, None] & u_ok[None, :]
        return dark.reshape(y1 - y0, 4, x1 - x0, 4).mean(axis=(1, 3), dtype=np.float32), x0, y0


class BlankPages:
    """The blank form as `render` prints it, drawn for the scanner.

    Two ways: `place` has pdfium draw the page straight through the scan's (affine)
    transform, which is three times cheaper than warping a raster at 300 dpi; `page`
    rasterises it upright once per (page, dpi) for the perspective of phone photos.
    pdfium anti-aliases each of a code's cells on its own, which leaves light seams
    between them once they are turned, so `place` paints the corner markers and the QR
    code over with solid cells (from `render`'s own geometry). Numbered copies differ
    only in the QR code: their serial's code is painted the same way.

    `printed`: the form's own PDF, for a form `render` did not make (a word processor's),
    one page per template page; the template must then give its true geometry.
    """

    def __init__(self, template: Template, printed: str | Path | None = None):
        self.template = template
        if printed is None:
            with tempfile.TemporaryDirectory(prefix="scanner-synth-") as tmp:
                data = render_pdf(template, Path(tmp) / "blank.pdf").read_bytes()
        else:
            data = Path(printed).read_bytes()
        self._pdf = pdfium.PdfDocument(data)
        if len(self._pdf) != len(template.page_numbers):
            pages = len(self._pdf)
            self._pdf.close()
            raise ValueError(f"{printed} has {pages} pages, the template {len(template.page_numbers)}")
        self._rasters: dict[tuple[int, int], np.ndarray] = {}
        self._markers: dict[int, list[_Code]] = {}
        self._qr: dict[int, _Code] = {}
        self._coverage: dict[tuple[int, int, int], tuple[np.ndarray, int, int]] = {}

    def close(self) -> None:
        self._pdf.close()

    def __enter__(self) -> BlankPages:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def size_px(self, dpi: int) -> tuple[int, int]:
        return page_size_px(self.template.page_size_mm, dpi)

    def page(self, number: int, dpi: int, serial: int | None = None) -> np.ndarray:
        """The blank page `number` upright at `dpi` (read-only unless `serial` is given)."""
        key = (number, dpi)
        if key not in self._rasters:
            index = self.template.page_numbers.index(number)
            bitmap = self._pdf[index].render(scale=dpi / PT_PER_INCH, grayscale=True)
            raster = np.array(bitmap.to_numpy(), copy=True).reshape(bitmap.height, bitmap.width)
            raster.flags.writeable = False
            self._rasters[key] = raster
        if serial is None:
            return self._rasters[key]
        raster = self._rasters[key].copy()
        cover, x0, y0 = self.qr(number, serial).coverage(dpi, 0.2)
        raster[y0:y0 + cover.shape[0], x0:x0 + cover.shape[1]] = np.round(255 * (1 - cover)).astype(np.uint8)
        return raster

    def place(self, number: int, dpi: int, raster_to_image: np.ndarray, serial: int | None = None) -> np.ndarray:
        """The blank page `number` drawn where the sheet lies: through `raster_to_image`
        (an affine map of the upright raster's pixels to the image's, as
        `PageScan.raster_to_image` gives for any scan but a photo's)."""
        w, h = self.size_px(dpi)
        out = np.empty((h, w), np.uint8)
        bitmap = pdfium.PdfBitmap.new_native(w, h, pdfium_c.FPDFBitmap_Gray,
                                             buffer=(ctypes.c_ubyte * out.size).from_buffer(out), stride=w)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, w, h)
        # pdfium's matrix maps the page at 72 dpi, y down, in continuous pixel coordinates,
        # whose pixel centres sit at +0.5: from there to the image's cv2 coordinates.
        s = dpi / PT_PER_INCH
        half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
        a = half @ raster_to_image @ np.linalg.inv(half) @ np.diag([s, s, 1.0])
        page = self._pdf[self.template.page_numbers.index(number)]
        matrix = pdfium_c.FS_MATRIX(a[0, 0], a[1, 0], a[0, 1], a[1, 1], a[0, 2], a[1, 2])
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap.raw, page.raw, matrix, pdfium_c.FS_RECTF(0, 0, w, h), 0)
        bitmap.close()
        if not self.template.registration.markers:  # a form printed plain, as a word processor would
            return out
        for k, code in enumerate(self.markers(number)):
            _paint_code(out, self._covered(code, (number, dpi, k), dpi), raster_to_image)
        qr = self.qr(number, serial)
        _paint_code(out, qr.coverage(dpi, CODE_MARGIN_MM) if serial is not None
                    else self._covered(qr, (number, dpi, -1), dpi), raster_to_image)
        return out

    def _covered(self, code: _Code, key: tuple[int, int, int], dpi: int) -> tuple[np.ndarray, int, int]:
        if key not in self._coverage:
            self._coverage[key] = code.coverage(dpi, CODE_MARGIN_MM)
        return self._coverage[key]

    def markers(self, number: int) -> list[_Code]:
        """The page's corner markers, clockwise from top-left, as `render` prints them."""
        if number not in self._markers:
            codes = []
            for (x, y, side), marker_id in zip(marker_boxes(self.template), marker_ids(number)):
                bits = marker_bits(self.template, marker_id)
                codes.append(_Code(bits, x, y, side / bits.shape[0]))
            self._markers[number] = codes
        return self._markers[number]

    def qr(self, number: int, serial: int | None) -> _Code:
        """The page's QR code: as printed (reportlab's best mask) or a numbered copy's."""
        if serial is None and number in self._qr:
            return self._qr[number]
        reg = self.template.registration
        modules = _qr_modules(qr_payload(self.template, number, serial), None if serial is None else serial % 8)
        code = _Code(modules, reg.qr_at_mm[0], reg.qr_at_mm[1],
                     reg.qr_size_mm / (modules.shape[0] + 2 * QR_BORDER_MODULES), QR_BORDER_MODULES)
        if serial is None:
            self._qr[number] = code
        return code


def _qr_modules(payload: str, mask: int | None) -> np.ndarray:
    """The QR symbol for `payload` with reportlab's encoder at level M, as `render` prints.

    With `mask` given, the mask pattern is not searched for (eight encodings, slow in
    pure Python): any mask decodes the same, so a numbered copy's code may differ from
    its print in the mask alone.
    """
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    if mask is None:
        code.make()
    else:
        code.version = code.calculate_version()
        code.makeImpl(False, mask)
    return np.array(code.modules, dtype=bool)


def _paint_code(image: np.ndarray, coverage: tuple[np.ndarray, int, int], raster_to_image: np.ndarray) -> None:
    """Paint a code with solid cells over what pdfium drew, through the scan transform."""
    cover, x0, y0 = coverage
    h, w = cover.shape
    m = raster_to_image @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
    corners = cv2.transform(np.array([[[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]]]), m[:2])[0]
    ih, iw = image.shape
    bx0, by0 = (max(0, int(math.floor(v)) - 1) for v in corners.min(axis=0))
    bx1, by1 = min(iw, int(math.ceil(corners[:, 0].max())) + 2), min(ih, int(math.ceil(corners[:, 1].max())) + 2)
    if bx1 <= bx0 or by1 <= by0:
        return
    local = (np.array([[1, 0, -bx0], [0, 1, -by0], [0, 0, 1]], np.float64) @ m)[:2]
    size = (bx1 - bx0, by1 - by0)
    dark = cv2.warpAffine(cover, local, size, flags=cv2.INTER_LINEAR, borderValue=0)
    # The code's square (and a little paper round it) is repainted: white, then its cells.
    footprint = cv2.warpAffine(np.ones_like(cover), local, size, flags=cv2.INTER_LINEAR, borderValue=0)
    roi = image[by0:by1, bx0:bx1]
    painted = roi * (1 - footprint) + footprint * 255 * (1 - dark)
    roi[...] = np.clip(painted + 0.5, 0, 255).astype(np.uint8)
