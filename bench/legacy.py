"""How well `scanner template draft` reads forms it did not make, with no manual edits.

    python bench/legacy.py [--dpi 200] [--tilt 1.0]

Two forms: the shipped questionnaire rendered with `--plain` (no markers, no QR code), and
the word-processor form in tests/data (python-docx and LibreOffice, tools/make_wordform.py)
with its true geometry beside it. Each is drafted from its PDF, from a 200-dpi image of
every page, from the same image turned by `--tilt` degrees, and from rough colour scans
turned as much (yellow paper, blur, noise, JPEG at quality 70) at `--dpi` and at 150 dpi. Per draft: boxes found,
missed and extra against the true geometry (a box is found when its centre is within
1.5 mm; worst edge error shown), items grouped right (same boxes, same code order) and
with their labels read right, comment zones found (edges within 2 mm) and extra, the
draft's doubts and its time. Figures are printed, never asserted (the tests do that).
Target: at least 99 % of boxes and 95 % of comment zones found, no extra boxes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from scanner.draft import draft_template, score_draft
from scanner.render import render_pdf
from scanner.template import layout, load_template

ROOT = Path(__file__).resolve().parent.parent


YELLOW = np.array([160, 242, 255])
"""Yellow paper, BGR."""


def page_images(pdf_path: Path, out: Path, dpi: int, tilt: float, rough: bool = False) -> Path:
    """Every page of the PDF as a TIFF at `dpi`, turned by `tilt` degrees; `rough` makes
    it a poor colour scan: yellow paper, blur, noise, JPEG at quality 70."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    rng = np.random.default_rng(1)
    pages = []
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72).to_numpy()[:, :, :3].astype(float)
            paper = YELLOW if rough else np.array([255, 255, 255])
            image = image / 255 * paper
            matrix = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), tilt, 1.0)
            image = cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), borderValue=paper.tolist())
            if rough:
                image = cv2.GaussianBlur(image, (0, 0), 0.9) + rng.normal(0, 7, image.shape)
                _, jpeg = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])
                image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
            pages.append(np.clip(image, 0, 255).astype(np.uint8))
    finally:
        pdf.close()
    cv2.imwritemulti(str(out), pages)
    return out


def forms(work: Path) -> list[tuple[str, Path, dict]]:
    """(name, PDF, true geometry) of the two forms."""
    surestart = load_template(ROOT / "templates" / "surestart.yaml")
    plain = render_pdf(surestart, work / "surestart-plain.pdf", plain=True)
    wordform = ROOT / "tests" / "data" / "wordform.pdf"
    truth = json.loads(wordform.with_name("wordform.truth.json").read_text(encoding="utf-8"))
    return [("surestart --plain", plain, layout(surestart)), ("word processor", wordform, truth)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--tilt", type=float, default=1.0)
    args = parser.parse_args()
    header = (f"{'form':18} {'input':14} {'boxes':>6} {'found':>6} {'missed':>6} {'extra':>6} {'worst mm':>8} "
              f"{'items ok':>9} {'labels ok':>9} {'zones':>9} {'extra z':>7} {'doubts':>6} {'s':>5}")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, pdf, truth in forms(work):
            inputs = [("PDF", pdf),
                      (f"{args.dpi} dpi", page_images(pdf, work / f"{pdf.stem}.tif", args.dpi, 0.0)),
                      (f"{args.dpi} dpi {args.tilt:+g}°", page_images(pdf, work / f"{pdf.stem}-t.tif", args.dpi,
                                                                        args.tilt)),
                      (f"{args.dpi} rough {args.tilt:+g}°", page_images(pdf, work / f"{pdf.stem}-r.tif", args.dpi,
                                                                         args.tilt, rough=True)),
                      (f"150 rough {args.tilt:+g}°", page_images(pdf, work / f"{pdf.stem}-r150.tif", 150,
                                                                  args.tilt, rough=True))]
            for kind, path in inputs:
                started = time.monotonic()
                result = draft_template(path)
                seconds = time.monotonic() - started
                s = score_draft(result.template, truth)
                print(f"{name:18} {kind:14} {s.boxes:6} {s.found:6} {s.missed:6} {s.extra:6} {s.worst_mm:8.2f} "
                      f"{s.items_right:4}/{s.items:<4} {s.labels_right:4}/{s.items:<4} "
                      f"{s.zones_found:4}/{s.zones:<4} {s.extra_zones:7} {len(result.doubts):6} {seconds:5.1f}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
