"""Which questionnaire is which across re-runs: page hashes, input paths, sheet ids,
repeated serials, and review decisions that must survive all of them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from scans import DPI, jpeg_pdf, tick

from scanner.assemble import Assembler
from scanner.dataset import open_dataset
from scanner.load import enumerate_pages, page_task
from scanner.outputs import STALE_REASON
from scanner.pipeline import scan
from scanner.reader import PageResult
from scanner.render import page_raster, render_pdf
from scanner.report import quality_section
from scanner.results import PageStatus
from scanner.review import queue as q
from scanner.store import Store

REVIEWER = "Ada"


def questionnaire(template, variant: int, serial: int | None = None) -> list[np.ndarray]:
    """Every page of one filled questionnaire; `variant` chooses which boxes are ticked."""
    pages = []
    for number in template.page_numbers:
        image = page_raster(template, number, DPI, serial)
        for k, item in enumerate(template.items_on(number)[:3]):
            tick(image, item.options[(k + number + variant) % len(item.options)].box_mm)
        pages.append(image)
    return pages


@pytest.fixture(scope="module")
def drawn(template):
    """Q1 and Q4 unnumbered, Q2 and Q3 two different questionnaires both numbered 6."""
    return {"q1": questionnaire(template, 0), "q4": questionnaire(template, 1),
            "q2": questionnaire(template, 0, serial=6), "q3": questionnaire(template, 2, serial=6)}


def write_tiff(path: Path, pages: list[np.ndarray]) -> Path:
    assert cv2.imwritemulti(str(path), [cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in pages])
    return path


def write_pdf(path: Path, pages: list[np.ndarray]) -> Path:
    path.write_bytes(jpeg_pdf(pages))
    return path


def csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def decide(out: Path, template, sheet_id: str, item: str, value: str) -> None:
    """A decision recorded as the review server records it."""
    fields = q.Fields(template)
    with q.open_survey(out, template) as store:
        current = q.current_decision(store, sheet_id, item)
        q.record_decision(store, fields, sheet_id, item, value, REVIEWER, current["id"] if current else None)


def final(out: Path, sheet_id: str, item: str) -> tuple[str, str]:
    items = csv(out, "items.csv")
    row = items[(items.sheet_id == sheet_id) & (items.item == item)]
    assert len(row) == 1, f"{sheet_id} {item}: {len(row)} rows"
    return row.value.iloc[0], row.status.iloc[0]


# --- page hashes ------------------------------------------------------------------------
def test_a_tiff_frame_keeps_its_hash_when_frames_are_appended_or_reordered(tmp_path):
    frames = [np.full((120, 80), 40 * k, np.uint8) for k in range(3)]
    cv2.imwritemulti(str(tmp_path / "two.tiff"), frames[:2])
    cv2.imwritemulti(str(tmp_path / "three.tiff"), frames)
    cv2.imwritemulti(str(tmp_path / "swapped.tiff"), [frames[1], frames[0]])
    two, three, swapped = ([t.content_hash for t in enumerate_pages([tmp_path / name])]
                           for name in ("two.tiff", "three.tiff", "swapped.tiff"))
    assert three[:2] == two and swapped == two[::-1] and len(set(three)) == 3
    assert page_task("x", tmp_path / "three.tiff", 2).content_hash == two[1]


def test_a_rendered_pdf_page_is_known_by_its_own_content(template, tmp_path):
    """Drawn pages (not one scanned JPEG) are rendered by workers; their hash comes from the
    page's objects, so page 2 of a longer file is the same page, and another serial is not."""
    one = render_pdf(template, tmp_path / "one.pdf", copies=1, first_serial=6)
    two = render_pdf(template, tmp_path / "two.pdf", copies=2, first_serial=6)
    one_hashes = [t.content_hash for t in enumerate_pages([one])]
    two_tasks = list(enumerate_pages([two]))
    assert {t.kind for t in two_tasks} == {"pdf-page"}
    n = len(template.page_numbers)
    assert [t.content_hash for t in two_tasks[:n]] == one_hashes
    assert not set(one_hashes) & {t.content_hash for t in two_tasks[n:]}  # serial 7: other pages
    assert page_task("x", two, 2).content_hash == one_hashes[1]
