"""The draft written out: the template, its reference pages, the preview a person checks
it against, and the summary printed for people."""

from __future__ import annotations

import io
from pathlib import Path

import cv2

from scanner.draft.content import DraftResult, bottom
from scanner.errors import UsageError
from scanner.template import Box, template_yaml


def write_draft(result: DraftResult, out: str | Path, replace: bool = False) -> list[Path]:
    """Write the template, its reference pages (``<name>.pages/page-N.png``) and the
    preview (``<name>.preview.pdf``) that shows every box with its item id and code.

    Args:
        replace: write over an existing template (someone may have corrected it by hand).

    Returns:
        The files written.

    Raises:
        UsageError: `out` exists and `replace` is not given.
    """
    out = Path(out)
    if out.exists() and not replace:
        raise UsageError(f"{out} exists (perhaps corrected by hand): choose another -o, or --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.with_name(out.stem + ".pages")
    folder.mkdir(exist_ok=True)
    images = []
    for page in result.pages:
        image_path = folder / f"page-{page.number}.png"
        cv2.imwrite(str(image_path), page.image)
        images.append(image_path)
    template = result.template.model_copy(update={"reference_pages": [f"{folder.name}/{p.name}" for p in images]})
    header = (f"# Drafted by `scanner template draft` from {Path(result.source).name}: check it against "
              f"{out.stem}.preview.pdf.\n# Scans are matched against its blank pages in {folder.name}/: keep them "
              "beside it.\n")
    out.write_text(header + template_yaml(template), encoding="utf-8")
    preview = out.with_name(out.stem + ".preview.pdf")
    write_preview(result, preview)
    return [out, preview, *images]


def write_preview(result: DraftResult, out: Path) -> Path:
    """Each page of the blank with every box drawn over it, labelled item:code, comment
    zones outlined with their id, and what the draft is unsure of in orange."""
    from reportlab.lib.colors import Color
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    t = result.template
    w, h = t.page_size_mm
    canvas = Canvas(str(out), pagesize=(w * mm, h * mm))
    red, blue, orange = Color(0.85, 0.1, 0.1), Color(0.1, 0.3, 0.85), Color(0.95, 0.5, 0.0)

    def rect(box: Box, colour, label: str) -> None:
        canvas.setStrokeColor(colour)
        canvas.setFillColor(colour)
        canvas.setLineWidth(0.6)
        canvas.rect(box[0] * mm, (h - bottom(box)) * mm, box[2] * mm, box[3] * mm, stroke=1, fill=0)
        canvas.setFont("Helvetica", 5)
        canvas.drawString(box[0] * mm, (h - box[1] + 0.6) * mm, label)

    for page in result.pages:
        _, png = cv2.imencode(".png", page.image)
        canvas.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, w * mm, h * mm)
        for item in t.items_on(page.number):
            for option in item.options:
                rect(option.box_mm, red, f"{item.id}:{option.code}")
        for comment in t.comments_on(page.number):
            rect(comment.box_mm, blue, comment.id)
        for number, b in result.loose_boxes:
            if number == page.number:
                rect(b.box, orange, "?")
        for doubt in result.doubts:
            if doubt.page == page.number and doubt.box_mm is not None:
                rect(doubt.box_mm, orange, "? " + doubt.what[:60])
        canvas.showPage()
    canvas.save()
    return out


def summary_lines(result: DraftResult) -> list[str]:
    """What was found and what to check, for people."""
    t = result.template
    lines = [f"{len(t.pages)} pages, {len(t.items)} items, {len(t.comments)} comment zones"]
    for name, scale in t.scales.items():
        count = sum(1 for i in t.items if i.scale == name)
        if count:
            lines.append(f"  scale {name} ({' | '.join(o.label for o in scale.options)}): {count} items")
    for page in t.pages:
        lines.append(f"  page {page.number}: {len(t.items_on(page.number))} items "
                     f"({', '.join(i.id for i in t.items_on(page.number))}), "
                     f"{len(t.comments_on(page.number))} comment zones")
    if not result.doubts:
        lines.append("nothing the draft is unsure of; still check the preview")
    else:
        lines.append(f"{len(result.doubts)} things to check:")
        lines += [f"  page {d.page}" + (f" at ({d.box_mm[0]:.0f}, {d.box_mm[1]:.0f}) mm" if d.box_mm else "")
                  + f": {d.what}" for d in result.doubts]
    return lines


