"""A drafted form to edit: the word-processor form in tests/data, drafted once a session
and copied for each test, and the ways the tests break it on purpose."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import yaml
from scans import jpeg_pdf, tick

from scanner.draft import draft_template, write_draft
from scanner.template import Template

DATA = Path(__file__).resolve().parent / "data"
WORDFORM = DATA / "wordform.pdf"


def drafted(base: Path) -> Path:
    """The wordform drafted into `base`/draft (once; later calls reuse it)."""
    folder = base / "wordform-draft"
    if not (folder / "form.yaml").exists():
        write_draft(draft_template(WORDFORM, form="wordform"), folder / "form.yaml")
    return folder / "form.yaml"


def copy_draft(base: Path, to: Path) -> Path:
    """A fresh copy of the drafted template, its reference pages and preview."""
    source = drafted(base)
    shutil.copytree(source.parent, to)
    return to / source.name


def load_data(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def option(data: dict, item_id: str, code: int) -> dict:
    item = next(i for i in data["items"] if i["id"] == item_id)
    return next(o for o in item["options"] if o["code"] == code)


def filled_batch(truth: Template, folder: Path, seed: int, ticked: dict[str, int] | None = None,
                 dpi: int = 150) -> tuple[Path, dict[str, int]]:
    """The word form as printed from its own PDF (no markers, no QR code), one box ticked
    on every item of `truth` (`ticked` where it says, else at random), as a sheet
    feeder's PDF."""
    rng = random.Random(seed)
    pages, answers = [], {}
    document = pdfium.PdfDocument(WORDFORM)
    for number in truth.page_numbers:
        image = document[number - 1].render(scale=dpi / 72, grayscale=True).to_numpy()
        image = (image if image.ndim == 2 else image[..., 0]).copy()
        for item in truth.items_on(number):
            code = (ticked or {}).get(item.id) or rng.choice(item.options).code
            tick(image, next(o.box_mm for o in item.options if o.code == code), dpi)
            answers[item.id] = code
        pages.append(image)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "filled.pdf"
    pdf.write_bytes(jpeg_pdf(pages))
    return pdf, answers
