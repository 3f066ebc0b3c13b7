"""A small scanned survey with known answers, for the export, tabulate and report tests.

Questionnaires are drawn from the blank form (`render.page_raster`), ticked with a pen-like
cross in chosen boxes (some items left blank, some with two boxes ticked), written on in
some comment zones, tinted to their programme's paper (one scanned in greyscale, so its
programme is unresolved) and bound into one PDF with a blank page at the end, as a
duplex scanner leaves it. The batch is scanned without OCR; then a "reviewer" types most
written comments and settles one double tick, straight into the store's decisions table.
`Survey.truth` holds what the dataset must say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

from scanner.dataset import Missing
from scanner.outputs import write_outputs
from scanner.pipeline import scan
from scanner.render import page_raster
from scanner.store import Store
from scanner.template import Template

DPI = 150
SHEETS = 8
GREYSCALE_SHEET = 6
"""This sheet is scanned in greyscale: its paper colour, hence programme, is unresolved."""


@dataclass
class Survey:
    out: Path
    pdf: Path
    truth: list[dict] = field(default_factory=list)
    """Per sheet in batch order: programme (label or None), codes {item: code or Missing},
    comments {zone: typed text}, pending [zones written but not typed]."""
    sheet_ids: list[str] = field(default_factory=list)


def _tick(img: np.ndarray, box: tuple, px: float) -> None:
    x, y, w, h = box
    a = (round((x + 0.9) * px), round((y + 0.9) * px))
    b = (round((x + w - 0.9) * px), round((y + h - 0.9) * px))
    cv2.line(img, a, b, (25, 25, 30), 2, cv2.LINE_AA)
    cv2.line(img, (a[0], b[1]), (b[0], a[1]), (25, 25, 30), 2, cv2.LINE_AA)


def _write(img: np.ndarray, box: tuple, px: float) -> None:
    x, y, w, h = box
    cv2.putText(img, "a comment written by hand", (round((x + 4) * px), round((y + h * 0.65) * px)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.9, (30, 30, 40), 2, cv2.LINE_AA)


def _plan(template: Template, rng: random.Random) -> list[dict]:
    plans = []
    for k in range(SHEETS):
        colour = template.colours[k % len(template.colours)]
        ticks: dict[str, list[int]] = {}
        for item in template.items:
            codes = [o.code for o in item.options]
            roll = rng.random()
            if item.id == "role" and k in (1, 3):
                ticks[item.id] = [] if k == 1 else rng.sample(codes, 2)
            elif roll < 0.07:
                ticks[item.id] = []
            elif roll < 0.12:
                ticks[item.id] = sorted(rng.sample(codes, 2))
            else:
                ticks[item.id] = [rng.choice(codes)]
        written = [z.id for z in template.comments if rng.random() < 0.3]
        if k == 0 and "q07_comment" not in written:
            written.append("q07_comment")
        plans.append({"colour": colour, "grey": k == GREYSCALE_SHEET, "ticks": ticks, "written": written})
    return plans


def build_survey(template: Template, root: Path, seed: int = 11) -> Survey:
    """Draw, scan and partly review a batch; return where it is and the truth."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    px = DPI / 25.4
    plans = _plan(template, rng)
    blank = {p: page_raster(template, p, DPI) for p in template.page_numbers}
    jpegs: list[Path] = []
    for k, plan in enumerate(plans):
        # White paper is scanned a shade off white, as a colour scanner sees it: a scan
        # whose channels agree exactly is taken for a greyscale scan.
        rgb = tuple(min(v, 253 - 3 * k) for k, v in enumerate(plan["colour"].rgb))
        tint = np.array(rgb[::-1], np.float32) / 255.0  # BGR
        for p in template.page_numbers:
            img = blank[p].copy()
            for item in template.items_on(p):
                boxes = {o.code: o.box_mm for o in item.options}
                for code in plan["ticks"][item.id]:
                    _tick(img, boxes[code], px)
            for zone in template.comments_on(p):
                if zone.id in plan["written"]:
                    _write(img, zone.box_mm, px)
            img = (img.astype(np.float32) * tint).astype(np.uint8)
            if plan["grey"]:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            path = root / f"sheet{k:02d}-p{p}.jpg"
            cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 88])
            jpegs.append(path)
    back = root / "blank-back.jpg"
    cv2.imwrite(str(back), np.full_like(blank[1], 250), [cv2.IMWRITE_JPEG_QUALITY, 88])
    jpegs.append(back)
    pdf = root / "batch.pdf"
    _bind(jpegs, pdf, template.page_size_mm)
    out = root / "out"
    scan([pdf], template, out, jobs=2, ocr=False)

    survey = Survey(out, pdf)
    with Store(out) as store:
        rows = store.db.execute("SELECT sheet_id, first_page FROM sheets ORDER BY seq").fetchall()
        by_first = {r["first_page"]: r["sheet_id"] for r in rows}
        pages = len(template.page_numbers)
        survey.sheet_ids = [by_first[1 + k * pages] for k in range(SHEETS)]
        settled_multiple = False
        for k, plan in enumerate(plans):
            sid = survey.sheet_ids[k]
            codes = {}
            for item in template.items:
                ticked = plan["ticks"][item.id]
                if len(ticked) == 1:
                    codes[item.id] = ticked[0]
                elif not ticked:
                    codes[item.id] = Missing.BLANK
                elif not settled_multiple and item.id != "role":
                    # The reviewer looks at the paper and settles this double tick.
                    _decide(store, sid, item.id, str(ticked[1]))
                    codes[item.id] = ticked[1]
                    settled_multiple = True
                else:
                    codes[item.id] = Missing.MULTIPLE
            comments, pending = {}, []
            for n, zone in enumerate(plan["written"]):
                if k == 0 and n == 0:
                    pending.append(zone)  # left for later: stays unresolved
                    continue
                text = f"Comment {k}-{zone}: joint working helps"
                _decide(store, sid, zone, text)
                comments[zone] = text
            survey.truth.append({"sheet_id": sid, "programme": None if plan["grey"] else plan["colour"].programme,
                                 "codes": codes, "comments": comments, "pending": pending})
        write_outputs(store, template, out)
    return survey


def _decide(store: Store, sheet_id: str, item: str, value: str) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at) VALUES (?, ?, ?, ?, ?)",
                     (sheet_id, item, value, "test", now))


def _bind(jpegs: list[Path], pdf: Path, size_mm: tuple[float, float]) -> None:
    """One PDF page per JPEG, the JPEG embedded as it is (as a sheet feeder's PDF holds it)."""
    from reportlab import rl_config
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    w, h = size_mm[0] * mm, size_mm[1] * mm
    # ReportLab's pure-Python ASCII85 encoding of image data takes seconds per batch;
    # binary streams are as valid and instant.
    was, rl_config.useA85 = rl_config.useA85, 0
    try:
        canvas = Canvas(str(pdf), pagesize=(w, h))
        for path in jpegs:
            canvas.drawImage(str(path), 0, 0, w, h)
            canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = was
