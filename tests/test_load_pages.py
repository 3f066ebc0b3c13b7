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
