"""Make the word-processor test form: a questionnaire laid out as people do in Writer or Word.

A Likert grid in a table (☐ glyphs in the cells, an empty top-left cell), a second grid of
○ bubbles, yes/no items inline in the text, comment boxes of different heights
(one-cell tables under "Please comment"), and comment zones with no frame: writing lines
(a borderless table's row borders, or typed underscores) and the empty cell under a
"Please comment" cell. No markers, no QR code: the kind of form
`scanner template draft` is for.

    python tools/make_wordform.py tests/data/wordform.pdf

writes the PDF (python-docx, then LibreOffice headless: `soffice --convert-to pdf`) and
beside it `wordform.truth.json`, the true geometry for the tests and bench/legacy.py. The
boxes' places come from the PDF (pypdfium2's tight glyph boxes); which boxes make which
item, and the comment boxes' heights, come from the design below, and the script checks
that the PDF agrees with the design before writing anything.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

PT_MM = 25.4 / 72
FONT = "Liberation Sans"
GLYPH_FONT = "DejaVu Sans"
"""The font that draws ☐ and ○ (Liberation has neither)."""

AGREE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
USEFUL = ["Not at all", "A little", "Very"]

# The design: (kind, ...) in reading order. Grids: (question, stem, labels, glyph, rows).
PAGE1 = [
    ("title", "Parents' evening feedback"),
    ("text", "Thank you for coming to the parents' evening. Please tell us what you thought of it by "
             "ticking one box on each row. Your answers are anonymous."),
    ("grid", "1", "How much do you agree with the following?", AGREE, "☐",
     ["The evening was well organised", "Staff were easy to talk to",
      "I got the information I needed about my child's progress", "The venue was comfortable"]),
    ("comment", "Please comment", 22),
    ("inline", "2", "Did you meet your child's class teacher?", ["Yes", "No"]),
    ("inline", "3", "Would you come to the next parents' evening?", ["Yes", "No", "Not sure"]),
    ("inline", "4", "Did you bring your child with you?", ["Yes", "No"]),
]
PAGE2 = [
    ("grid", "5", "How useful were these parts of the evening?", USEFUL, "○",
     ["Talking to the class teacher", "The display of children's work", "The talk by the head teacher"]),
    ("comment", "Please comment", 40),
    ("text", "6. Is there anything else you would like to tell us?"),
    ("comment", "", 14),
    ("inline", "7", "Did the evening start on time?", ["Yes", "No"]),
    ("lines", "Please comment", 3),
    ("inline", "8", "Was the car park easy to find?", ["Yes", "No"]),
    ("underscores", "Please comment", 2),
    ("text", "9. What one thing should we change?"),
    ("cell", "Please comment", 18),
]
LINE_PITCH_MM = 8.0
"""Writing lines drawn as a table's row borders are this far apart."""
UNDERSCORES = 74
"""Underscores in a typed writing line: as many as fit in the text width at 11 pt."""


def _run(paragraph, text: str, *, bold: bool = False, size: float = 11, font: str = FONT):
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = font
    return run


def _grid(doc, labels: list[str], glyph: str, rows: list[str]) -> None:
    table = doc.add_table(rows=1 + len(rows), cols=1 + len(labels))
    table.style = "Table Grid"
    table.autofit = False
    widths = [Mm(70)] + [Mm(100 / len(labels))] * len(labels)
    for column, width in zip(table.columns, widths):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    for cell, label in zip(table.rows[0].cells[1:], labels):
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, label, size=9)
    for k, text in enumerate(rows):
        cells = table.rows[1 + k].cells
        _run(cells[0].paragraphs[0], f"{chr(ord('a') + k)}) {text}", size=10)
        for cell in cells[1:]:
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(p, glyph, size=14, font=GLYPH_FONT)


def _comment(doc, prompt: str, height_mm: float) -> None:
    if prompt:
        _run(doc.add_paragraph(), prompt, size=9)
    table = doc.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    row = table.rows[0]
    row.height = Mm(height_mm)
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    row.cells[0].width = Mm(170)
    doc.add_paragraph()


def _borders(cell, bottom: bool) -> None:
    """Only the cell's bottom border, or none."""
    borders = OxmlElement("w:tcBorders")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single" if side == "bottom" and bottom else "nil")
        if side == "bottom" and bottom:
            edge.set(qn("w:sz"), "4")
            edge.set(qn("w:color"), "000000")
        borders.append(edge)
    cell._tc.get_or_add_tcPr().append(borders)


def _lines(doc, prompt: str, count: int) -> None:
    """Writing lines as people draw them in a word processor: a borderless table whose
    rows have a bottom border only."""
    _run(doc.add_paragraph(), prompt, size=9)
    table = doc.add_table(rows=count, cols=1)
    for row in table.rows:
        row.height = Mm(LINE_PITCH_MM)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        row.cells[0].width = Mm(170)
        _borders(row.cells[0], bottom=True)
    doc.add_paragraph()


def _underscores(doc, prompt: str, count: int) -> None:
    """Writing lines typed as underscores, with room above each to write."""
    _run(doc.add_paragraph(), prompt, size=9)
    for _ in range(count):
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(10)
        _run(p, "_" * UNDERSCORES)


def _prompt_cell(doc, prompt: str, height_mm: float) -> None:
    """A two-row table: the prompt in the first cell, the second left empty to write in."""
    table = doc.add_table(rows=2, cols=1)
    table.style = "Table Grid"
    _run(table.rows[0].cells[0].paragraphs[0], prompt, size=9)
    table.rows[1].height = Mm(height_mm)
    table.rows[1].height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    for row in table.rows:
        row.cells[0].width = Mm(170)
    doc.add_paragraph()


def _page(doc, design: list) -> None:
    for entry in design:
        kind = entry[0]
        if kind == "title":
            _run(doc.add_paragraph(), entry[1], bold=True, size=16)
        elif kind == "text":
            _run(doc.add_paragraph(), entry[1])
        elif kind == "grid":
            _, number, stem, labels, glyph, rows = entry
            _run(doc.add_paragraph(), f"{number}. {stem}", bold=True)
            _grid(doc, labels, glyph, rows)
            doc.add_paragraph()
        elif kind == "comment":
            _comment(doc, entry[1], entry[2])
        elif kind == "lines":
            _lines(doc, entry[1], entry[2])
        elif kind == "underscores":
            _underscores(doc, entry[1], entry[2])
        elif kind == "cell":
            _prompt_cell(doc, entry[1], entry[2])
        elif kind == "inline":
            _, number, question, answers = entry
            p = doc.add_paragraph()
            _run(p, f"{number}. {question}    ")
            for answer in answers:
                _run(p, "☐", size=13, font=GLYPH_FONT)
                _run(p, f" {answer}     ")


def build_docx(path: Path) -> None:
    """Write the questionnaire as a .docx file."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    _page(doc, PAGE1)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _page(doc, PAGE2)
    doc.save(str(path))


def to_pdf(docx: Path, out: Path) -> None:
    """Convert with LibreOffice headless (Debian: libreoffice-writer-nogui)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("LibreOffice is not installed: sudo apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(docx.parent), str(docx)], check=True, capture_output=True, timeout=180)
    shutil.move(str(docx.with_suffix(".pdf")), out)


def _glyph_boxes(pdf: pdfium.PdfDocument) -> list[tuple[int, str, list[float]]]:
    """Every ☐ and ○ in the PDF: page, glyph and its tight box in mm from the top-left."""
    found = []
    for index in range(len(pdf)):
        page = pdf[index]
        height = page.get_height()
        text = page.get_textpage()
        for k in range(text.count_chars()):
            glyph = text.get_text_range(k, 1)
            if glyph in ("☐", "○"):
                left, bottom, right, top = text.get_charbox(k)
                box = [left * PT_MM, (height - top) * PT_MM, (right - left) * PT_MM, (top - bottom) * PT_MM]
                found.append((index + 1, glyph, [round(v, 2) for v in box]))
    return found


def _paths(page) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float, float]]]:
    """The page's vertical and horizontal rules, mm from the top-left: (x, top, length,
    thickness) and (x, y, length, thickness), y at the rule's centre line."""
    height = page.get_height() * PT_MM
    vertical, horizontal = [], []
    for obj in page.get_objects():
        if obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH:
            left, bottom, right, top = (v * PT_MM for v in obj.get_bounds())
            if right - left < 1 and top - bottom > 10:
                vertical.append((left + (right - left) / 2, height - top, top - bottom, right - left))
            elif top - bottom < 1 and right - left > 25:
                horizontal.append((left, height - (top + bottom) / 2, right - left, top - bottom))
    return vertical, horizontal


def _comment_boxes(pdf: pdfium.PdfDocument) -> list[tuple[int, list[float]]]:
    """The empty cells of the bordered tables, mm from the top-left, border centre lines:
    a table's outer side borders span it whole; a one-cell table is empty whole, and a
    table with the prompt in its first row is empty below its inner border."""
    zones = []
    for index in range(len(pdf)):
        sides, horizontal = _paths(pdf[index])
        for a in sides:
            within = [b for b in sides if abs(b[1] - a[1]) < 1 and abs(b[1] + b[2] - a[1] - a[2]) < 1]
            right = max(within)
            if a == min(within) and len(within) == 2 and abs(right[2] - a[2]) < 0.1:
                top, bottom = a[1] + a[3] / 2, a[1] + a[2] - a[3] / 2
                inner = [h[1] for h in horizontal if top + 1 < h[1] < bottom - 1 and abs(h[0] - a[0]) < 1]
                top = max(inner, default=top)
                zones.append((index + 1, [round(a[0], 2), round(top, 2), round(right[0] - a[0], 2),
                                          round(bottom - top, 2)]))
    return zones


def _writing_lines(pdf: pdfium.PdfDocument) -> list[tuple[int, list[float]]]:
    """The blocks of writing lines, each as the zone the draft should find: from one
    line's spacing above the first line down to the last. Lines are the horizontal rules
    with no vertical border at their ends, and the lines of underscores (their glyphs'
    tight boxes)."""
    zones = []
    for index in range(len(pdf)):
        page = pdf[index]
        sides, horizontal = _paths(page)
        lines = [(h[0], h[1], h[2]) for h in horizontal
                 if not any(abs(v[0] - x) < 1 and v[1] - 1 <= h[1] <= v[1] + v[2] + 1
                            for v in sides for x in (h[0], h[0] + h[2]))]
        text, height = page.get_textpage(), page.get_height()
        typed: dict[float, list[tuple[float, float, float, float]]] = {}
        for k in range(text.count_chars()):
            if text.get_text_range(k, 1) == "_":
                left, bottom, right, top = text.get_charbox(k)
                typed.setdefault(round(bottom), []).append((left, bottom, right, top))
        for boxes in typed.values():
            x0, x1 = min(b[0] for b in boxes) * PT_MM, max(b[2] for b in boxes) * PT_MM
            y = (height - statistics.fmean((b[1] + b[3]) / 2 for b in boxes)) * PT_MM
            lines.append((x0, y, x1 - x0))
        blocks: list[list[tuple[float, float, float]]] = []
        for line in sorted(lines, key=lambda line: line[1]):
            if blocks and line[1] - blocks[-1][-1][1] < 15 and abs(line[0] - blocks[-1][-1][0]) < 1:
                blocks[-1].append(line)
            else:
                blocks.append([line])
        for block in (b for b in blocks if len(b) > 1):
            pitch = (block[-1][1] - block[0][1]) / (len(block) - 1)
            zones.append((index + 1, [round(block[0][0], 2), round(block[0][1] - pitch, 2),
                                      round(block[0][2], 2), round(block[-1][1] - block[0][1] + pitch, 2)]))
    return zones


def truth(pdf_path: Path) -> dict:
    """The true geometry of the PDF, checked against the design."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        glyphs, zones, ruled = _glyph_boxes(pdf), _comment_boxes(pdf), _writing_lines(pdf)
    finally:
        pdf.close()
    items, position = [], 0
    for page, design in ((1, PAGE1), (2, PAGE2)):
        for entry in design:
            if entry[0] == "grid":
                _, number, _, labels, glyph, rows = entry
                for k, text in enumerate(rows):
                    items.append({"id": f"q{int(number):02d}{chr(ord('a') + k)}", "page": page, "text": text,
                                  "labels": labels, "glyph": glyph})
            elif entry[0] == "inline":
                _, number, question, answers = entry
                items.append({"id": f"q{int(number):02d}", "page": page, "text": question, "labels": answers,
                              "glyph": "☐"})
    for item in items:
        mine = glyphs[position:position + len(item["labels"])]
        position += len(item["labels"])
        if len(mine) != len(item["labels"]) or any(p != item["page"] or g != item["glyph"] for p, g, _ in mine):
            raise SystemExit(f"the PDF does not match the design at {item['id']}: {mine}")
        item["options"] = [{"code": code, "label": label, "box_mm": box}
                           for code, (label, (_, _, box)) in enumerate(zip(item.pop("labels"), mine), start=1)]
        item.pop("glyph")
    heights = [e[2] for design in (PAGE1, PAGE2) for e in design if e[0] in ("comment", "cell")]
    if position != len(glyphs) or [round(z[1][3]) for z in zones] != [round(h) for h in heights]:
        raise SystemExit(f"the PDF does not match the design: {len(glyphs)} glyphs, comment boxes {zones}")
    blocks = [e[2] for design in (PAGE1, PAGE2) for e in design if e[0] in ("lines", "underscores")]
    if len(ruled) != len(blocks):
        raise SystemExit(f"the PDF does not match the design: writing lines {ruled}, {blocks} blocks designed")
    comments = sorted(zones + ruled, key=lambda zone: (zone[0], zone[1][1]))
    return {"form": "wordform", "pages": 2, "items": items,
            "comments": [{"page": page, "box_mm": box} for page, box in comments]}


def main(out: str = "tests/data/wordform.pdf") -> None:
    """Write the form's PDF and its truth file beside it."""
    out_path = Path(out).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / "wordform.docx"
        build_docx(docx)
        to_pdf(docx, Path(tmp) / "out.pdf")
        geometry = truth(Path(tmp) / "out.pdf")
        shutil.move(str(Path(tmp) / "out.pdf"), out_path)
    truth_path = out_path.with_name(out_path.stem + ".truth.json")
    truth_path.write_text(json.dumps(geometry, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out_path} and {truth_path}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
