"""Speed benchmark: pages/s and peak memory of `scan`, beside the floor of only decoding.

    python bench/speed.py [--count 20] [--big-pages 1000] [--seed 7]

On one 300-dpi batch, in one run: the floor (take each page's JPEG out of the PDF and
decode it, nothing else) with 1 and 2 processes, then `scan` with OCR off and on, with 1
and 2 jobs, each in its own process so that its peak memory is its own. Then the same
scan on one PDF of `--big-pages` pages, to show memory stays flat as a batch grows.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from scanner.load import PageTask, enumerate_pages
from scanner.synth import SynthOptions, generate
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent

SCAN_CHILD = """
import json, resource, sys, time
from scanner.pipeline import scan
from scanner.template import load_template
files, out, jobs, ocr = json.loads(sys.argv[1])
t = load_template(sys.argv[2])
s = scan(files, t, out, jobs=jobs, ocr=ocr)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"pages": sum(s.pages.values()), "seconds": s.seconds, "parent_mb": own / 1024,
                  "worker_mb": kids / 1024}))
"""


def _decode(task: PageTask) -> int:
    image = cv2.imdecode(np.frombuffer(task.data, np.uint8), cv2.IMREAD_UNCHANGED)
    return image.shape[0]


def floor(files: list[str], jobs: int) -> tuple[int, float]:
    """Pages and seconds to only extract and decode every page image."""
    started = time.perf_counter()
    tasks = (t for t in enumerate_pages(files) if isinstance(t, PageTask))
    if jobs == 1:
        n = sum(1 for t in tasks if _decode(t))
    else:
        with ProcessPoolExecutor(jobs) as pool:
            n = sum(1 for _ in pool.map(_decode, tasks, chunksize=4))
    return n, time.perf_counter() - started


def scan_in_child(files: list[str], out: Path, jobs: int, ocr: bool) -> dict:
    template = str(ROOT / "templates" / "surestart.yaml")
    done = subprocess.run([sys.executable, "-c", SCAN_CHILD, json.dumps([files, str(out), jobs, ocr]), template],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="questionnaires in the main batch")
    parser.add_argument("--big-pages", type=int, default=1000, help="pages in the streaming test (0 skips it)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    template = load_template(ROOT / "templates" / "surestart.yaml")
    work = Path(tempfile.mkdtemp(prefix="scanner-speed-"))
    plain = SynthOptions(dpis=(300,), greyscale_share=0.0, duplex_blank_share=0.0, cover_letter_share=0.0)
    batch = generate(template, work / "batch", count=args.count, seed=args.seed, options=plain)
    files = [str(p) for p in batch.files]
    print(f"{batch.pages} pages at 300 dpi, {os.cpu_count()} cores")
    for jobs in (1, 2):
        n, seconds = floor(files, jobs)
        print(f"floor (extract + decode only), {jobs} job(s): {n / seconds:7.2f} pages/s")
    for ocr in (False, True):
        for jobs in (1, 2):
            r = scan_in_child(files, work / f"out-{ocr}-{jobs}", jobs, ocr)
            print(f"scan, OCR {'on ' if ocr else 'off'}, {jobs} job(s): {r['pages'] / r['seconds']:7.2f} pages/s, "
                  f"peak memory parent {r['parent_mb']:.0f} MB, largest worker {r['worker_mb']:.0f} MB")
    if args.big_pages:
        per_file = max(1, round(args.big_pages / len(template.pages)))
        big = generate(template, work / "big", count=per_file, seed=args.seed + 1,
                       options=SynthOptions(dpis=(300,), per_file=per_file, greyscale_share=0.0,
                                            duplex_blank_share=0.0, cover_letter_share=0.0))
        r = scan_in_child([str(p) for p in big.files], work / "out-big", 2, False)
        print(f"one {r['pages']}-page PDF, OCR off, 2 jobs: {r['pages'] / r['seconds']:7.2f} pages/s, "
              f"peak memory parent {r['parent_mb']:.0f} MB, largest worker {r['worker_mb']:.0f} MB")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
