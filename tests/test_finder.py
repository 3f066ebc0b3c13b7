"""Pages found in a process of their own (`finder.PageFinder`): the same pages, in the
same order and with the same hashes and bytes, as found in the parent; none lost or
found twice when that process dies; the process stopped when the scan stops early."""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

import scanner.finder as finder_module
from scanner.finder import PageFinder
from scanner.load import InputProblem, PageFiles, PageTask, enumerate_pages, without_bytes
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


def test_jpegs_larger_than_the_memory_shared_come_through_the_pipe(inputs, monkeypatch):
    expected = list(enumerate_pages(inputs))
    sizes = sorted(len(page.data) for page in expected if isinstance(page, PageTask) and page.data)
    assert sizes[0] < sizes[-1]
    # Room for the smallest JPEG, never for the largest: answers of both kinds, in order.
    monkeypatch.setattr(finder_module, "SHARED_BYTES", sizes[-1] - 1)
    with PageFinder(inputs) as finder:
        assert list(finder) == expected


def test_for_a_pool_pages_come_without_their_bytes_which_its_workers_take_from_the_files(inputs):
    # Each page's JPEG went from the finder to the parent and from the parent to a worker:
    # two pipes and a pickle in the survey's one writer, for bytes the worker can take itself.
    expected = list(enumerate_pages(inputs * 6))  # 42 pages of one PDF: its kept copy is opened again
    with PageFinder(inputs * 6, with_bytes=False) as finder:
        found = list(finder)
    assert found == [without_bytes(page) for page in expected]
    tasks = [page for page in found if isinstance(page, PageTask)]
    assert {page.kind for page in tasks if page.data is None} >= {"jpeg", "pdf-page", "tiff-frame", "image"}
    assert not any(page.data for page in tasks)
    files = PageFiles()
    try:
        assert [files.complete(page) for page in tasks] == [page for page in expected if isinstance(page, PageTask)]
    finally:
        files.close()


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
