"""How well `scanner template draft` reads forms it did not make, with no manual edits,
and how well `scan` then reads them filled in, with the draft as it is and as a person
corrected it in the editor.

    python bench/legacy.py [--dpi 200] [--tilt 1.0] [--seeds 2] [--seed S ...] [--no-draft]
                           [--read-seeds 2] [--read-seed S ...] [--count 9] [--per-file 4]
                           [--photos-only] [--marked] [--draft-from pdf|scan|photo]
                           [--form surestart|word] [--keep DIR]

Two forms: the shipped questionnaire rendered with `--plain` (no markers, no QR code), and
the word-processor form in tests/data (python-docx and LibreOffice, tools/make_wordform.py)
with its true geometry beside it. Each is drafted from its PDF, from a 200-dpi image of
every page, from the same image turned by `--tilt` degrees, and from rough colour scans
turned as much (yellow paper, blur, noise, JPEG at quality 70) at `--dpi` and at 150 dpi,
the rough scans once per seed (seed 1, then `--seeds` fresh ones, or the `--seed`s given:
the noise differs), and from a phone photo of every page per seed, as the generator takes
them (`scanner.synth.batch.photograph`: perspective, the table around the sheet, uneven
warm light, noise, blur, JPEG; yellow paper, `--dpi`); `--photos-only` drafts from the
photos alone. Per draft: boxes found,
missed and extra against the true geometry (a box is found when its centre is within
1.5 mm; worst edge error shown), items grouped right (same boxes, same code order) and
with their labels read right, comment zones found (edges within 2 mm) and extra, the
draft's doubts and its time, then the totals per form over every draft. Figures are
printed, never asserted (the tests do that). Target: at least 99 % of boxes and 95 % of
comment zones found, no extra boxes.

Then reading (`--read-seeds` fresh seeds, or `--read-seed S` repeated; 0 skips it): the
generator fills `--count` copies of each form, `--per-file` to a batch file (the plain questionnaire as `render` prints
it, the word-processor form as its own PDF prints: `SynthOptions.printed`; flatbed,
feeder, greyscale and phone scans, pages upside down, cover letters, blank backs: every
scanner effect, no hard case), and `scan` reads them with the template drafted from the
form's PDF (`--draft-from scan`: from a rough 150-dpi colour scan of it turned by 1°;
`photo`: from a phone photo of it),
first as drafted, then as a scripted person corrected it through the editor's HTTP API
(`scanner.editor.person.Person`: adds the boxes and zones the draft missed by clicking on them, deletes extra
ones, merges an item drafted in parts, gives each item its true scale, codes and id and
each zone its id, adds the paper colours; the edits are listed by kind). `scanner.evaluate`
scores each scan against the truth, the drafted fields named as the truth's by their
boxes. Per form and template, per seed and pooled: silent errors, review rate (items and
all fields), pages accounted for and given their right status, time per page; per
scenario; the fields to review by reason. `--marked` also reads the questionnaire printed
with markers, with the shipped template. `--form` reads one form only; `--keep DIR` works
in DIR and keeps it (templates, batches with their truth, scan outputs) to look into.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from scanner.draft import draft_correspondence, draft_template, score_draft, truth_template, write_draft
from scanner.editor import person
from scanner.errors import InputFileError
from scanner.evaluate import Evaluation, evaluate, percent
from scanner.pipeline import scan
from scanner.render import render_pdf
from scanner.synth import SynthOptions, generate
from scanner.synth.batch import photograph
from scanner.template import Registration, Template, layout, load_template

ROOT = Path(__file__).resolve().parent.parent


YELLOW = np.array([160, 242, 255])
"""Yellow paper, BGR."""
DRAFT_FROM = {"pdf": "the PDF", "scan": "a rough 150-dpi scan", "photo": "a phone photo (200 dpi)"}
"""What `--draft-from` drafts the reading template from."""


def page_images(pdf_path: Path, out: Path, dpi: int, tilt: float, rough: bool = False, seed: int = 1) -> Path:
    """Every page of the PDF as a TIFF at `dpi`, turned by `tilt` degrees; `rough` makes
    it a poor colour scan: yellow paper, blur, noise (drawn from `seed`), JPEG at quality 70."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    rng = np.random.default_rng(seed)
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


def page_photos(pdf_path: Path, out: Path, dpi: int, seed: int) -> Path:
    """Every page of the PDF on yellow paper as a phone photo (`photograph`), drawn from
    `seed`, in one TIFF."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    rng = np.random.default_rng(seed)
    try:
        photos = [photograph(page.render(scale=dpi / 72, grayscale=True).to_numpy(), dpi, rng, YELLOW[::-1])[0]
                  for page in pdf]
    finally:
        pdf.close()
    cv2.imwritemulti(str(out), photos)
    return out


def forms(work: Path) -> list[tuple[str, Path, dict]]:
    """(name, PDF, true geometry) of the two forms."""
    surestart = load_template(ROOT / "templates" / "surestart.yaml")
    plain = render_pdf(surestart, work / "surestart-plain.pdf", plain=True)
    wordform = ROOT / "tests" / "data" / "wordform.pdf"
    truth = json.loads(wordform.with_name("wordform.truth.json").read_text(encoding="utf-8"))
    return [("surestart --plain", plain, layout(surestart)), ("word processor", wordform, truth)]


def inputs(pdf: Path, work: Path, dpi: int, tilt: float, seeds: list[int],
           photos_only: bool = False) -> list[tuple[str, Path]]:
    """(what, file) of every input drafted from one form's PDF."""
    made = [] if photos_only else [
        ("PDF", pdf),
        (f"{dpi} dpi", page_images(pdf, work / f"{pdf.stem}.tif", dpi, 0.0)),
        (f"{dpi} dpi {tilt:+g}°", page_images(pdf, work / f"{pdf.stem}-t.tif", dpi, tilt))]
    for seed in seeds:
        for scan_dpi in () if photos_only else (dpi, 150):
            made.append((f"{scan_dpi} rough {tilt:+g}° s{seed}",
                         page_images(pdf, work / f"{pdf.stem}-r{scan_dpi}-{seed}.tif", scan_dpi, tilt, True, seed)))
        made.append((f"{dpi} photo s{seed}", page_photos(pdf, work / f"{pdf.stem}-p{dpi}-{seed}.tif", dpi, seed)))
    return made


def drafting(args: argparse.Namespace, work: Path) -> None:
    """Each form drafted from each kind of input, scored against its true geometry."""
    seeds = args.seed or [1] + [random.randrange(1_000_000_000) for _ in range(args.seeds)]
    print(f"{datetime.date.today()}, rough-scan and photo seeds {', '.join(map(str, seeds))}")
    header = (f"{'form':18} {'input':24} {'boxes':>6} {'found':>6} {'missed':>6} {'extra':>6} {'worst mm':>8} "
              f"{'items ok':>9} {'labels ok':>9} {'zones':>9} {'extra z':>7} {'doubts':>6} {'s':>5}")
    print(header)
    for name, pdf, truth in forms(work):
        scores, refused = [], 0
        for kind, path in inputs(pdf, work, args.dpi, args.tilt, seeds, args.photos_only):
            started = time.monotonic()
            try:
                result = draft_template(path)
            except InputFileError as problem:  # a photo whose sheet is not wholly in the picture
                refused += 1
                print(f"{name:18} {kind:24} refused: {problem}")
                continue
            seconds = time.monotonic() - started
            s = score_draft(result.template, truth)
            scores.append(s)
            print(f"{name:18} {kind:24} {s.boxes:6} {s.found:6} {s.missed:6} {s.extra:6} {s.worst_mm:8.2f} "
                  f"{s.items_right:4}/{s.items:<4} {s.labels_right:4}/{s.items:<4} "
                  f"{s.zones_found:4}/{s.zones:<4} {s.extra_zones:7} {len(result.doubts):6} {seconds:5.1f}")
            sys.stdout.flush()
        total = {f: sum(getattr(s, f) for s in scores) for f in ("boxes", "found", "extra", "items", "items_right",
                                                                 "zones", "zones_found", "extra_zones")}
        print(f"{name:18} {'all ' + str(len(scores)) + ' drafts':24} boxes {total['found']}/{total['boxes']} "
              f"found ({total['extra']} extra), items {total['items_right']}/{total['items']} grouped right, "
              f"zones {total['zones_found']}/{total['zones']} found ({total['extra_zones']} extra); {refused} refused")


def edited_by_a_person(drafted: Path, truth: Template, folder: Path) -> tuple[Path, Counter]:
    """A copy of the drafted template (in `folder`) corrected by `person.Person` through the
    editor's server; the edits made, by kind."""
    edited, edits, answer = person.edited_by_a_person(drafted, truth, folder)
    if not answer["saved"]:
        raise SystemExit(f"the person's edits do not make a valid template: {answer['problems']}")
    return edited, edits


def reading_forms(work: Path) -> list[tuple[str, Template, Path | None, Path]]:
    """(name, true template, its own PDF when `render` did not make it, blank PDF to draft
    from) of the two forms; the word-processor form is printed on the shipped form's papers."""
    shipped = load_template(ROOT / "templates" / "surestart.yaml")
    plain = shipped.model_copy(update={"registration": Registration(markers=False)})
    wordform = ROOT / "tests" / "data" / "wordform.pdf"
    truth = json.loads(wordform.with_name("wordform.truth.json").read_text(encoding="utf-8"))
    return [("surestart --plain", plain, None, render_pdf(plain, work / "read" / "blank.pdf")),
            ("word processor", truth_template(truth, tuple(shipped.colours)), wordform, wordform)]


def reading(seeds: list[int], count: int, per_file: int, jobs: int, work: Path, marked: bool,
            draft_from: str = "pdf", only: str | None = None) -> None:
    """Each form filled by the generator and read with the template drafted from its PDF,
    as drafted and as a person corrected it in the editor (and, with `marked`, the
    shipped form printed with markers and read with the shipped template)."""
    today = datetime.date.today().isoformat()
    print(f"\nreading, {today}: seeds {', '.join(map(str, seeds))}; {count} questionnaires each, {per_file} a file, "
          f"jobs {jobs}; "
          f"drafted from {DRAFT_FROM[draft_from]}")
    for name, truth, printed, blank in reading_forms(work):
        if only and not name.startswith(only):
            continue
        folder = work / "read" / name.split()[0]
        if draft_from == "scan":
            blank = page_images(blank, work / "read" / f"{blank.stem}-scan.tif", 150, 1.0, rough=True)
        elif draft_from == "photo":
            blank = page_photos(blank, work / "read" / f"{blank.stem}-photo.tif", 200, seeds[0])
        write_draft(draft_template(blank, form=truth.form), folder / "drafted" / "form.yaml")
        drafted = folder / "drafted" / "form.yaml"
        edited, edits = edited_by_a_person(drafted, truth, folder / "edited")
        print(f"\n{name}: the person's edits: {', '.join(f'{n} {op}' for op, n in sorted(edits.items()))}")
        runs = [("drafted", load_template(drafted)), ("edited", load_template(edited))]
        if marked and printed is None:
            runs.append(("marked, shipped", load_template(ROOT / "templates" / "surestart.yaml")))
        results = {label: [] for label, _ in runs}
        for seed in seeds:
            for label, template in runs:
                form = template if label.startswith("marked") else truth
                options = SynthOptions(per_file=per_file, jobs=jobs, printed=None if printed is None else str(printed))
                batch = folder / f"batch-{seed}-{form.registration.markers}"
                if not batch.exists():
                    generate(form, batch, count=count, seed=seed, options=options)
                out = folder / f"out-{seed}-{label.split(',')[0]}"
                summary = scan(sorted(batch.glob("*.pdf")), template, out, jobs=jobs)
                fields = None if label.startswith("marked") else draft_correspondence(template, layout(truth))
                ev = evaluate(out, batch / "truth", as_truth=fields)
                with open(out / "items.csv", newline="", encoding="utf-8") as f:
                    reasons = Counter(r["reason"] for r in csv.DictReader(f) if r["status"] == "review")
                results[label].append((str(seed), ev, sum(summary.pages.values()), summary.seconds, reasons))
        for label, rows in results.items():
            _print_reading(f"{name}, {label}", rows)


def _print_reading(title: str, rows: list[tuple[str, Evaluation, int, float, Counter]]) -> None:
    pooled = sum((ev for _, ev, *_ in rows), Evaluation())
    pages, seconds = sum(r[2] for r in rows), sum(r[3] for r in rows)
    reasons = sum((r[4] for r in rows), Counter())
    print(f"\n{title}:")
    print(f"{'seed':<10} {'silent':>6} {'items':>6} {'review':>7} {'items':>7} {'pages ok':>11} {'s/page':>6}")
    for seed, ev, n, took in [*(r[:4] for r in rows), ("pooled", pooled, pages, seconds)]:
        total = ev.all_fields
        print(f"{seed:<10} {total.silent:>6} {ev.items.silent:>6} {percent(total.flagged, total.scored):>7} "
              f"{percent(ev.items.flagged, ev.items.scored):>7} {ev.pages.status_right:>5}/{ev.pages.truth:<5} "
              f"{took / max(n, 1):6.2f}")
    print("pooled, by scenario (fields scored, silent, review rate; pages right/truth):")
    for scenario, t in sorted(pooled.by_scenario.items()):
        pc = pooled.pages_by_scenario.get(scenario)
        print(f"  {scenario:<10} {t.scored:>6} {t.silent:>4} {percent(t.flagged, t.scored):>7}   "
              f"{pc.status_right if pc else 0}/{pc.truth if pc else 0}")
    print("fields to review, by reason:")
    print("\n".join(f"  {n:>5}  {reason}" for reason, n in reasons.most_common()))
    print(f"  silent: {pooled.examples[:10]}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--tilt", type=float, default=1.0)
    parser.add_argument("--seeds", type=int, default=2, help="Fresh seeds for the rough scans, after seed 1.")
    parser.add_argument("--seed", type=int, action="append", help="Replay these seeds instead.")
    parser.add_argument("--no-draft", action="store_true", help="skip the drafting figures")
    parser.add_argument("--read-seeds", type=int, default=2, help="fresh seeds to fill and read (0: none)")
    parser.add_argument("--read-seed", type=int, action="append", default=[], help="replay this seed (repeatable)")
    parser.add_argument("--count", type=int, default=9, help="questionnaires per reading seed")
    parser.add_argument("--per-file", type=int, default=4,
                        help="questionnaires per batch file (a file of one is a flatbed scan, of more a feeder's)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--marked", action="store_true", help="read the same seeds printed with markers too")
    parser.add_argument("--photos-only", action="store_true", help="draft from the phone photos alone")
    parser.add_argument("--draft-from", choices=tuple(DRAFT_FROM), default="pdf",
                        help="draft the reading template from the form's PDF, a rough scan or a phone photo of it")
    parser.add_argument("--form", choices=("surestart", "word"), help="read only this form")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (templates, batches, outputs)")
    args = parser.parse_args()
    draw = random.SystemRandom()
    seeds = args.read_seed or [draw.randrange(1, 10**9) for _ in range(args.read_seeds)]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.no_draft:
            drafting(args, work)
        if seeds:
            reading(seeds, args.count, args.per_file, args.jobs, work, args.marked, args.draft_from, args.form)


if __name__ == "__main__":
    main()
