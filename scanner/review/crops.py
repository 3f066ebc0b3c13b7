"""Crops for review: an item's row as scanned, rendered on demand with its boxes outlined.

Nothing is rendered at scan time: the store knows, for each sheet, the content hash of
each form page, where that page came from (file and page number) and the transform
registration found for it. A crop reloads the page (a few recent pages stay in memory,
as a reviewer goes through a sheet's items in order), resamples the item's row from
template millimetres, and draws each tick box with the ink the scan measured in it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from copy import copy
from dataclasses import dataclass

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.errors import InputFileError, ScannerError
from scanner.geometry import PageTransform
from scanner.load import LoadedPage, load_page, page_task
from scanner.render import OPTION_LABEL_W, text_height_mm
from scanner.store import Store, stored_path
from scanner.template import Box, Template

log = logging.getLogger(__name__)

PX_PER_MM = 8.0
"""Crops are drawn at the resolution marks are measured at (203 dpi): a box is 40 px."""
MARGIN_MM = 2.5
"""Paper shown around the row: enough to see a mark that strays out of a box, little
enough not to show much of the next row."""
TOP_MARGIN_MM = 4.0
"""More above: each box's score is printed over it."""
THUMB_PX_PER_MM = 1.6
"""The page thumbnail shown when choosing a programme: enough to see the paper."""
PAGE_CACHE = 8
"""Pages kept decoded: a 300 dpi A4 scan is 9 MB of grey pixels."""

MARKED = (40, 40, 220)
FAINT = (0, 150, 255)
EMPTY = (150, 170, 130)
NEUTRAL = (200, 120, 40)
"""Outline colours (BGR): a mark, a faint mark, empty; NEUTRAL when checking blind."""


class CropUnavailable(ScannerError):
    """No crop can be drawn: the page is missing, moved, or changed since the scan."""


@dataclass(frozen=True)
class PageRef:
    """Where a sheet's form page came from, and how it lies in the image."""

    source: str
    path: str
    page: int
    content_hash: str
    transform: tuple


def page_ref(store: Store, sheet_id: str, form_page: int) -> PageRef:
    """Find a sheet's form page in the store.

    Raises:
        CropUnavailable: the sheet has no such page, or no reading of it is stored.
    """
    row = store.db.execute("SELECT page_hashes FROM sheets WHERE sheet_id = ?", (sheet_id,)).fetchone()
    content_hash = json.loads(row["page_hashes"]).get(str(form_page)) if row else None
    if not content_hash:
        raise CropUnavailable(f"sheet {sheet_id} has no form page {form_page} (missing from the batch)")
    page = store.db.execute("SELECT source, page, path FROM pages WHERE content_hash = ? AND path != '' "
                            "ORDER BY seq DESC LIMIT 1", (content_hash,)).fetchone()
    reading = store.db.execute("SELECT result FROM readings WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
    transform = json.loads(reading["result"]).get("transform") if reading else None
    if page is None or not transform:
        raise CropUnavailable(f"sheet {sheet_id} form page {form_page}: the store does not say where the page is")
    return PageRef(page["source"], stored_path(page["path"]), page["page"], content_hash, tuple(tuple(r) for r in transform))


def _union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def region(template: Template, item: str) -> tuple[int, Box] | None:
    """The form page and area (mm, margin included) that a reviewer sees for `item`.

    An item's row is its text and every box (with the labels printed beside them); a
    comment is its zone; the programme is None (its crop is the page thumbnail).
    """
    w, h = template.page_size_mm
    spec = next((i for i in template.items if i.id == item), None)
    if spec is not None:
        parts = [o.box_mm for o in spec.options]
        if spec.label_options:
            parts += [(o.box_mm[0], o.box_mm[1], o.box_mm[2] + 2.0 + OPTION_LABEL_W, o.box_mm[3])
                      for o in spec.options]
        if spec.text_mm is not None:
            x, y, width = spec.text_mm
            parts.append((x, y, width, max(text_height_mm(spec.print_text or spec.text, "body", width), 1.0)))
        page, box = spec.page, _union(parts)
    else:
        zone = next((c for c in template.comments if c.id == item), None)
        if zone is None:
            return None
        page, box = zone.page, zone.box_mm
    x0, y0 = max(0.0, box[0] - MARGIN_MM), max(0.0, box[1] - TOP_MARGIN_MM)
    x1, y1 = min(w, box[0] + box[2] + MARGIN_MM), min(h, box[1] + box[3] + MARGIN_MM)
    return page, (x0, y0, x1 - x0, y1 - y0)


def boxes_in_crop(template: Template, item: str) -> list[dict]:
    """Each option's box in the crop's pixels, so that the page can highlight a choice."""
    spec = next((i for i in template.items if i.id == item), None)
    found = region(template, item)
    if spec is None or found is None:
        return []
    _, (x0, y0, _, _) = found
    s = PX_PER_MM
    return [{"code": o.code, "x": round((o.box_mm[0] - x0) * s), "y": round((o.box_mm[1] - y0) * s),
             "w": round(o.box_mm[2] * s), "h": round(o.box_mm[3] * s)} for o in spec.options]


class CropRenderer:
    """Draws crops; holds the few most recently used pages. Safe to share between threads."""

    def __init__(self, template: Template, cache_size: int = PAGE_CACHE):
        self.template = template
        self.cache_size = cache_size
        self._pages: OrderedDict[str, LoadedPage] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()

    def of(self, template: Template) -> CropRenderer:
        """A renderer of `template`'s crops that shares this one's pages (a survey of
        several forms: each sheet's crops are its own form's)."""
        if template is self.template:
            return self
        other = copy(self)
        other.template = template
        return other

    def page(self, ref: PageRef) -> LoadedPage:
        """The page's pixels, from memory or reloaded from its file.

        Raises:
            CropUnavailable: the file is gone or holds another image than was scanned.
        """
        loaded = self._cached(ref)
        if loaded is not None:
            return loaded
        # One page loaded at a time: pdfium is not thread-safe, and when many requests
        # want the same page, the first loads it and the others find it in memory.
        with self._loading:
            loaded = self._cached(ref)
            if loaded is not None:
                return loaded
            try:
                task = page_task(ref.source, ref.path, ref.page)
                if task.content_hash != ref.content_hash:
                    raise CropUnavailable(f"{ref.source} page {ref.page} has changed since it was scanned: "
                                          f"scan it again")
                loaded = load_page(task)
            except InputFileError as exc:
                raise CropUnavailable(str(exc)) from None
            with self._lock:
                self._pages[ref.content_hash] = loaded
                while len(self._pages) > self.cache_size:
                    self._pages.popitem(last=False)
        return loaded

    def _cached(self, ref: PageRef) -> LoadedPage | None:
        with self._lock:
            loaded = self._pages.get(ref.content_hash)
            if loaded is not None:
                self._pages.move_to_end(ref.content_hash)
            return loaded

    def item_png(self, ref: PageRef, item: str, scores: dict[str, float] | None = None,
                 threshold: float | None = None) -> bytes:
        """PNG of the item's row (or comment zone), in grey as the marks were measured; each
        box outlined, with its score unless `scores` is None (a blind check)."""
        found = region(self.template, item)
        if found is None:
            raise CropUnavailable(f"{item!r} has no place on the form")
        _, box = found
        crop = PageTransform(ref.transform).crop(self.page(ref).grey, box, PX_PER_MM)
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
        for b in boxes_in_crop(self.template, item):
            score = scores.get(str(b["code"])) if scores is not None else None
            _outline(crop, b, score, threshold)
        return _png(crop)

    def zone_png(self, ref: PageRef, item: str) -> bytes:
        """PNG of a comment zone for transcribing: sharp, and in colour when scanned so.

        The colour image is kept at reduced size; its hue is laid under the full-size grey
        image's lightness, so pen colours show and strokes stay sharp.
        """
        found = region(self.template, item)
        if found is None:
            raise CropUnavailable(f"{item!r} has no place on the form")
        _, box = found
        loaded = self.page(ref)
        transform = PageTransform(ref.transform)
        grey = transform.crop(loaded.grey, box, PX_PER_MM)
        if loaded.colour is None:
            return _png(grey)
        colour = _colour_transform(transform, loaded.colour_scale).crop(loaded.colour, box, PX_PER_MM)
        lab = cv2.cvtColor(colour, cv2.COLOR_BGR2LAB)
        lab[..., 0] = grey
        return _png(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR))

    def page_png(self, ref: PageRef) -> bytes:
        """PNG of the whole page, small, in colour when scanned so: the paper, for the programme."""
        w, h = self.template.page_size_mm
        loaded = self.page(ref)
        transform = PageTransform(ref.transform)
        image = loaded.grey
        if loaded.colour is not None:
            transform, image = _colour_transform(transform, loaded.colour_scale), loaded.colour
        return _png(transform.crop(image, (0.0, 0.0, w, h), THUMB_PX_PER_MM))


def _colour_transform(transform: PageTransform, s: float) -> PageTransform:
    """The page transform for the colour image, which is the page at `s` times the size
    (pixel centres sit at integers in both)."""
    to_colour = np.array([[s, 0, (s - 1) / 2], [0, s, (s - 1) / 2], [0, 0, 1]])
    return PageTransform.from_array(to_colour @ transform.array)


def _outline(crop: np.ndarray, b: dict, score: float | None, threshold: float | None) -> None:
    pad = 3
    top_left = (b["x"] - pad, b["y"] - pad)
    bottom_right = (b["x"] + b["w"] + pad, b["y"] + b["h"] + pad)
    if score is None:
        cv2.rectangle(crop, top_left, bottom_right, NEUTRAL, 2)
        return
    mark = threshold if threshold is not None else T.MARK_MIN
    colour = MARKED if score >= mark else FAINT if score >= T.EMPTY_MAX else EMPTY
    cv2.rectangle(crop, top_left, bottom_right, colour, 2)
    # The score sits over the box's top-left corner on white, readable on any paper.
    label = f"{b['code']}: {score:.2f}"
    (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
    x, y = max(b["x"] - pad, 0), max(b["y"] - pad - 3, th + 2)
    cv2.rectangle(crop, (x, y - th - 2), (x + tw + 2, y + base - 1), (255, 255, 255), -1)
    cv2.putText(crop, label, (x + 1, y - 1), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise CropUnavailable("the crop could not be encoded")
    return data.tobytes()
