"""Margins of the stroke-sharpness thresholds on kept batches: what moving them would read.

    python bench/sharpness_margins.py RESULTS TRUTH [RESULTS TRUTH ...]

RESULTS is a scan's out folder (its survey.sqlite keeps each page's measured boxes), TRUTH
the batch's truth folder. Prints, from the stored readings:
- SHARPNESS_MAX_PERSPECTIVE: the perspective term (`PageTransform.perspective`) of the
  highest scans and the lowest phone photos: a scan above the threshold loses the shape
  rule (its light ticks go to review), a photo under it would be read by it;
- INTACT_PAGE_SHARPNESS_MIN: the page's stroke sharpness (`marks.page_sharpness_levels`)
  where the intact-stroke rule (`marks.intact_stroke_confidence`, the page's own floor
  left out) passes a right tick, and where it would pass a rubbed-out tick's ghost. Every
  row's strongest box is looked at, whatever else decides it, so the ghosts listed are
  the ones the floor must keep out.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import defaultdict
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

from scanner import thresholds as T
from scanner.geometry import PageTransform
from scanner.marks import intact_sharpness_bars, intact_stroke_confidence, page_marks, page_peak_levels, page_sharpness_levels
from scanner.store import _result_from_json

SHOWN = 8
"""Values listed at each end of a distribution."""


def readings(results: Path, truth: Path):
    """(truth page row, its stored reading) of every page read as a form page."""
    pages = pd.read_csv(truth / "pages.csv", dtype=str, keep_default_na=False)
    by_page = {(r["source"], int(r["page"])): r for r in pages.to_dict("records")}
    with sqlite3.connect(results / "survey.sqlite") as db:
        for (text,) in db.execute("SELECT result FROM readings"):
            reading = _result_from_json(text)
            page = by_page.get((Path(reading.source).name, reading.page))
            if page is not None and page["sheet_id"] and reading.transform is not None:
                yield page, reading


def box_truth(mark: dict | None, code: int) -> str:
    """'ghost' when a tick was rubbed out of the box, 'tick' when it is marked (the answer, or
    one of a double's), else 'other' (dust, a neighbour's stroke)."""
    if mark is None:
        return "other"
    if str(code) in mark["erased"].split():
        return "ghost"
    return "tick" if str(code) in mark["inked"].split() else "other"


def intact_candidates(results: Path, truth: Path) -> list[tuple[str, float, float, str, float]]:
    """(truth kind, page stroke sharpness, box over page sharpness, where, page floor) of each row's
    strongest box that the intact-stroke rule passes with the page's floor left out
    (photos' boxes have no sharpness: the rule passes none of them)."""
    marks = pd.read_csv(truth / "marks.csv", dtype=str, keep_default_na=False)
    mark_of = {(r["sheet_id"], r["item"]): r for r in marks.to_dict("records")}
    sheets = defaultdict(dict)
    for page, reading in readings(results, truth):
        sheets[page["sheet_id"]][int(page["form_page"])] = (page, reading.items)
    found = []
    with mock.patch.object(T, "INTACT_PAGE_SHARPNESS_MIN", (0.0,) * len(T.INTACT_PX_PER_MM)):
        for sheet, pages in sheets.items():
            told = {number: page_marks(items) for number, (_, items) in pages.items()}
            peaks, sharpness = page_peak_levels(told), page_sharpness_levels(told)
            for number, (page, items) in pages.items():
                for m in items:
                    top = max(m.boxes, key=lambda b: b.score)
                    level = sharpness.get(number)
                    px_per_mm = float(page["dpi"]) / 25.4
                    if intact_stroke_confidence(top, peaks.get(number), level, px_per_mm) >= T.OK_CONFIDENCE:
                        kind = box_truth(mark_of.get((sheet, m.item)), top.code)
                        where = f"{results.parent.name} {sheet} {m.item} box {top.code}, {page['dpi']} dpi"
                        found.append((kind, level, top.sharpness / level, where, intact_sharpness_bars(px_per_mm)[0]))
    return found


def ends(values: list[float], fmt: str = "{:.3g}") -> str:
    """The lowest and highest SHOWN of `values`, and how many there are."""
    v = sorted(values)
    if len(v) <= 2 * SHOWN:
        return f"n={len(v)}: " + " ".join(fmt.format(x) for x in v)
    return (f"n={len(v)}: " + " ".join(fmt.format(x) for x in v[:SHOWN]) + " ... "
            + " ".join(fmt.format(x) for x in v[-SHOWN:]))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    pairs = [(Path(r), Path(t)) for r, t in zip(argv[::2], argv[1::2])]
    terms, astray = defaultdict(list), []
    limit = T.SHARPNESS_MAX_PERSPECTIVE
    for results, truth in pairs:
        for page, reading in readings(results, truth):
            kind = "photo" if page["photo"] == "1" else "scan"
            term = PageTransform.from_array(np.array(reading.transform)).perspective()
            terms[kind].append(term)
            if (term > limit) == (kind == "scan"):
                astray.append(f"    {kind} {term:.3g}: {results.parent.name} {page['source']} page {page['page']}, "
                              f"{page['dpi']} dpi, blur {page['blur_px']} px, {page['hard'] or 'no hard effect'}")
    print(f"SHARPNESS_MAX_PERSPECTIVE = {limit:g}")
    print(f"  scans  {ends(terms['scan'])}")
    print(f"  photos {ends(terms['photo'])}")
    print(f"  scans above it {sum(t > limit for t in terms['scan'])}, photos at or under it "
          f"{sum(t <= limit for t in terms['photo'])}")
    print("\n".join(astray))
    found = [c for results, truth in pairs for c in intact_candidates(results, truth)]
    print(f"INTACT_PAGE_SHARPNESS_MIN = {T.INTACT_PAGE_SHARPNESS_MIN} at {T.INTACT_PX_PER_MM} px/mm "
          "(scans only; the rule, its page floor left out)")
    for kind in ("tick", "ghost", "other"):
        levels = [(level, floor) for k, level, _, _, floor in found if k == kind]
        print(f"  page sharpness where it passes a {kind:<5} {ends([level for level, _ in levels])}")
        print(f"    of them under their resolution's floor {sum(level < floor for level, floor in levels)}")
    for kind, level, relative, where, _ in sorted(found, key=lambda c: c[1]):
        if kind != "tick":
            print(f"  {kind}: page {level:.3f}, box {relative:.3f} of it: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
