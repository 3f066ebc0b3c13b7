"""Draft a template from a form that was not made by scanner: its PDF, or a scan of a blank.

`scanner template draft BLANK -o form.yaml` for the many teams whose questionnaire was
made in a word processor and printed long before anyone thought of scanning it. What is
printed is found first, page by page (`scanner.draft.content.PageContent`: tick boxes,
words, framed zones, in mm from the page's top-left): from a PDF's own vector content and
text (`scanner.draft.pdf`), or from the pixels of a scan (`scanner.draft.image`, with
Tesseract for the text; a phone photo's sheet is found and flattened first,
`scanner.draft.sheet`). Then one layout step (`scanner.draft.layout`) turns those into
a template, and `scanner.draft.output` writes it with the preview a person checks it
against; `scanner.draft.score` measures a draft against a form's true geometry.

The drafted template says ``registration: {markers: false}``: its pages are found on a
scan by their print, matched against the reference pages kept beside it
(`scanner.register`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from scanner.draft.content import BOX_MIN_MM, Doubt, DraftResult, PageContent, PrintedBox, Word, union
from scanner.draft.layout import draft_layout, form_name
from scanner.draft.output import summary_lines, write_draft, write_preview
from scanner.draft.image import scanned_pages
from scanner.draft.pdf import has_vector_content, pdf_pages
from scanner.draft.score import DraftScore, draft_correspondence, score_draft, truth_template
from scanner.errors import InputFileError, UsageError
from scanner.template import Colour

__all__ = ["Doubt", "DraftResult", "DraftScore", "PageContent", "PrintedBox", "Word", "colour_samples_option",
           "draft_correspondence", "draft_template", "paper_colour", "score_draft", "summary_lines", "truth_template",
           "write_draft", "write_preview"]


def paper_colour(path: str | Path) -> tuple[int, int, int]:
    """The paper colour of a copy (blank or filled): the median of its light pixels,
    on the first page.

    Raises:
        InputFileError: the file cannot be read, or is a greyscale scan.
    """
    from scanner.load import InputProblem, enumerate_pages, load_page

    for task in enumerate_pages([path]):
        if isinstance(task, InputProblem):
            raise InputFileError(task.source, task.reason, task.page)
        page = load_page(task)
        if page.colour is None:
            raise InputFileError(str(path), "is scanned in greyscale: its paper colour cannot be told", 1)
        pixels = page.colour.reshape(-1, 3).astype(float)
        light = pixels[pixels.sum(axis=1) >= np.percentile(pixels.sum(axis=1), 50)]
        b, g, r = np.median(light, axis=0)
        return (int(round(r)), int(round(g)), int(round(b)))
    raise InputFileError(str(path), "has no pages")


def colour_samples_option(entries: list[str]) -> dict[str, str]:
    """``NAME=FILE`` entries (``--colour-samples yellow=scan1.pdf``) as a mapping.

    Raises:
        UsageError: an entry is not NAME=FILE, or NAME is not a valid colour name.
    """
    samples = {}
    for entry in entries:
        name, _, path = entry.partition("=")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or not path:
            raise UsageError(f"--colour-samples {entry!r}: give NAME=FILE, such as yellow=scan1.pdf "
                             "(the name: letters, digits and _)")
        samples[name] = path
    return samples


def draft_template(blank: str | Path, form: str | None = None, colour_samples: dict[str, str | Path] | None = None,
                   ocr_language: str = "eng") -> DraftResult:
    """Draft a template from a blank form: its PDF, or a scan or photo of a blank copy.

    Args:
        blank: a PDF with the form's own text and drawing, or a scan (PDF or images).
        form: the template's form name (default: from the file name).
        colour_samples: paper colour name to a copy printed on that paper.
        ocr_language: Tesseract's language for the text of a scan.

    Raises:
        InputFileError: the blank cannot be read or has no pages.
        MissingDependencyError: a scan needs Tesseract, and it is not installed.
        TemplateError: what was found does not make a valid template (a bug: please report).
    """
    path = Path(blank)
    if not path.exists():
        raise InputFileError(str(blank), "no such file")
    vector = pdf_pages(path) if has_vector_content(path) else []
    pages = vector if any(p.boxes or p.frames for p in vector) else scanned_pages(path, ocr_language)
    if not pages:
        raise InputFileError(str(blank), "has no pages")
    colours = [Colour(name=name, rgb=paper_colour(sample), programme=name)
               for name, sample in (colour_samples or {}).items()]
    result = draft_layout(pages, form or form_name(path), colours)
    small = sum(len(p.small_glyphs) for p in vector)
    if not result.template.items and not result.template.comments:
        hint = (f"; {small} box characters (☐) were seen, but smaller than {BOX_MIN_MM} mm across, a tick "
                "box's least size: set them in larger type (12 pt or more)") if small else ""
        raise UsageError(f"{blank}: no tick boxes nor comment zones found on {len(pages)} page(s){hint}")
    doubts = result.doubts + tuple(
        Doubt(p.number, f"{len(p.small_glyphs)} box character(s) smaller than {BOX_MIN_MM} mm across: left out",
              union(p.small_glyphs)) for p in pages if p.small_glyphs)
    return DraftResult(result.template, result.pages, doubts, result.loose_boxes, str(blank))


