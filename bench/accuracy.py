"""Accuracy benchmark: generate a fresh batch with every effect, scan it, compare with truth.

    python bench/accuracy.py [--count 200] [--seed N] [--jobs 2] [--no-ocr] [--keep DIR]

The seed is random unless given (and printed), so every run measures scans nobody has
tuned to. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from scanner.evaluate import evaluate
from scanner.pipeline import scan
from scanner.synth import SynthOptions, generate
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep the batch and results here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**9)
    template = load_template(ROOT / "templates" / "surestart.yaml")
    work = args.keep or Path(tempfile.mkdtemp(prefix="scanner-accuracy-"))
    batch, out = work / "batch", work / "results"
    shutil.rmtree(out, ignore_errors=True)
    print(f"seed {seed}, {args.count} questionnaires, jobs {args.jobs}, OCR {'off' if args.no_ocr else 'on'}")
    started = time.perf_counter()
    result = generate(template, batch, count=args.count, seed=seed, options=SynthOptions(jobs=args.jobs))
    generated = time.perf_counter()
    print(f"generated {result.pages} pages in {generated - started:.1f} s")
    summary = scan([str(p) for p in result.files], template, out, jobs=args.jobs, ocr=not args.no_ocr)
    pages = sum(summary.pages.values())
    print(f"scanned {pages} pages in {summary.seconds:.1f} s ({pages / summary.seconds:.2f} pages/s)")
    for line in evaluate(out, result.truth_dir).lines():
        print(line)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
