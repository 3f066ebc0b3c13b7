"""Pages found in a process of their own (`finder.PageFinder`): the same pages, in the
same order and with the same hashes and bytes, as found in the parent; none lost or
found twice when that process dies; the process stopped when the scan stops early."""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

from scanner.finder import PageFinder
from scanner.load import InputProblem, enumerate_pages
from scanner.render import render_pdf


@pytest.fixture(scope="module")
def inputs(filled, template, tmp_path_factory) -> list[str]:
    """Every kind of input: scanned JPEGs in a PDF, TIFF frames, a PNG, drawn PDF pages
    (hashed from their objects: the page a thread once hashed differently), a file that
    is no page, the PDF again."""
    folder = tmp_path_factory.mktemp("finder")
    blank = render_pdf(template, folder / "blank.pdf")
    (folder / "notes.txt").write_text("not a scan")
    return [str(filled.pdf), str(filled.tiff), str(filled.png), str(blank), str(folder / "notes.txt"),
            str(filled.pdf)]


def test_the_finder_finds_what_the_parent_finds_in_the_same_order(inputs):
    expected = list(enumerate_pages(inputs))
    assert any(isinstance(p, InputProblem) for p in expected) and any(p.kind == "pdf-page" for p in expected
                                                                      if not isinstance(p, InputProblem))
    for _ in range(3):
        with PageFinder(inputs) as finder:
            assert finder.pid is not None and finder.pid != os.getpid()
            assert list(finder) == expected


@pytest.mark.parametrize("seed", [3, random.randrange(2**32)])
def test_a_finder_killed_mid_run_loses_no_page_and_finds_none_twice(inputs, seed, caplog):
    expected = list(enumerate_pages(inputs))
    kill_at = random.Random(seed).randrange(1, len(expected))
    found = []
    with PageFinder(inputs) as finder:
        for page in finder:
            found.append(page)
            if len(found) == kill_at:
                os.kill(finder.pid, signal.SIGKILL)
    assert found == expected, f"seed {seed}, killed after {kill_at} pages"
    assert "the rest are found here" in caplog.text


def test_a_finder_left_early_is_stopped(inputs):
    finder = PageFinder(inputs * 5)
    pages = iter(finder)
    next(pages)
    finder.close()
    with pytest.raises(ProcessLookupError):
        os.kill(finder.pid, 0)  # gone, and reaped


def test_a_finder_that_fails_says_so_with_its_traceback(tmp_path):
    class Unlisted(os.PathLike):  # a path whose listing raises in the finder: a bug there
        def __fspath__(self):
            raise ValueError("no path here")

    with PageFinder([Unlisted()]) as finder, pytest.raises(RuntimeError, match="ValueError: no path here"):
        list(finder)
