"""Speed benchmark: pages/s of `scan` beside the floor of only decoding, and where time goes.

    python bench/speed.py [--count 20] [--big-pages 1000] [--seed 7] [--comments 0.3]

On one 300-dpi colour batch (one JPEG a page, `--comments` of comment zones written), in
one run:
- the floor: take each page's JPEG out of the PDF and decode exactly the pixels the
  reader needs (full-size grey, and colour at a quarter size through libjpeg's DCT
  scaling), nothing else; best of 3, with 1 and 2 processes;
- `scan` with OCR off and on, with 1 and 2 jobs, each in its own process so that its
  peak memory is its own, as a share of the floor's rate, as a share of the floor's CPU
  time a page (what a machine shared with other work can still compare), and as the gain
  of 2 jobs;
- CPU time per page of each stage of `scan --jobs 1` with OCR on, under cProfile (which
  inflates Python-heavy stages a little);
- the same scan on one PDF of `--big-pages` pages, to show memory stays flat.
Figures are printed, never asserted. On a shared machine compare the CPU ratios rather
than pages/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from scanner.load import PageTask, enumerate_pages
from scanner.synth import Rates, SynthOptions, generate
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "surestart.yaml"

SCAN_CHILD = """
import json, resource, sys, time
from scanner.pipeline import scan
from scanner.template import load_template
files, out, jobs, ocr = json.loads(sys.argv[1])
t = load_template(sys.argv[2])
def cpu():
    usage = map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(r.ru_utime + r.ru_stime for r in usage)
before = cpu()
s = scan(files, t, out, jobs=jobs, ocr=ocr)
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"pages": sum(s.pages.values()), "seconds": s.seconds, "cpu": cpu() - before,
                  "parent_mb": own.ru_maxrss / 1024, "worker_mb": kids.ru_maxrss / 1024}))
"""

PROFILE_CHILD = """
import cProfile, json, pstats, sys, time
from scanner.pipeline import scan
from scanner.template import load_template
files, out = json.loads(sys.argv[1])
t = load_template(sys.argv[2])
profile = cProfile.Profile(time.process_time)
s = profile.runcall(scan, files, t, out, jobs=1, ocr=True)
def key(function):
    path, _, name = function
    return path.rsplit("/", 1)[-1] + ":" + name
cumulative = {}
for function, (_, _, _, cum, callers) in pstats.Stats(profile).stats.items():
    cumulative[key(function)] = cumulative.get(key(function), 0.0) + cum
    for caller, (_, _, _, by_caller) in callers.items():
        pair = key(caller) + ">" + key(function)
        cumulative[pair] = cumulative.get(pair, 0.0) + by_caller
print(json.dumps({"pages": sum(s.pages.values()), "cumulative": cumulative}))
"""

STAGES = {
    "worker start": ["reader.py:__init__", "comments.py:_printed_mask>comments.py:_blank_pages",
                     "comments.py:_printed_mask>comments.py:_mask_page"],
    "find pages": ["load.py:enumerate_pages", "load.py:count_pages"],
    "load": ["load.py:load_page"],
    "register": ["register.py:markers", "reader.py:locate>register.py:content", "reader.py:_tell_apart>register.py:content",
                 "register.py:verify", "reader.py:locate>reader.py:<lambda>"],
    "identify": ["identify.py:read", "reader.py:_print_disagrees", "reader.py:_tell_apart>register.py:content_agreement",
                 "reader.py:_best>register.py:content_agreement", "reader.py:_features"],
    "colour": ["colour.py:measure_paper"],
    "marks": ["marks.py:measure_page"],
    "comments": ["comments.py:read_page"],
    "OCR": ["ocr.py:read"],
    "assemble": ["assemble.py:add", "assemble.py:finish"],
    "store/write": ["pipeline.py:_write_crops", "store.py:page", "pipeline.py:_save_sheet",
                    "pipeline.py:scan>store.py:flush", "outputs.py:write_outputs"],
}
"""Which functions' cumulative time makes each stage; `a>b`: b's time when called by a.
Worker start (the reader's caches, the word list, the blank form drawn and masked for the
comment zones on a page's first read) is paid once a worker, and taken out of comments, as
OCR is. A blank back is told inside the marker search when it shows no marker
(`reader.py:<lambda>` when asked after it); identify is the QR code and, when it is unread,
the print's check."""


def _decode(task: PageTask) -> int:
    """What the reader decodes of a scanned JPEG page, and nothing more."""
    buf = np.frombuffer(task.data, np.uint8)
    grey = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    colour = cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_4)
    return grey.shape[0] + colour.shape[0]


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    usage = map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(r.ru_utime + r.ru_stime for r in usage)


def _load() -> str:
    """The machine's load: pages/s, and the gain of 2 jobs, mean something only when it is low."""
    return f"load average {os.getloadavg()[0]:.1f}"


def floor(files: list[str], jobs: int) -> tuple[int, float, float]:
    """Pages, seconds and CPU seconds to only extract and decode every page image."""
    started, cpu = time.perf_counter(), _cpu()
    tasks = (t for t in enumerate_pages(files) if isinstance(t, PageTask))
    if jobs == 1:
        n = sum(1 for t in tasks if _decode(t))
    else:
        with ProcessPoolExecutor(jobs) as pool:
            n = sum(1 for _ in pool.map(_decode, tasks, chunksize=4))
    return n, time.perf_counter() - started, _cpu() - cpu


def best_floor(files: list[str], jobs: int, runs: int = 3) -> tuple[float, float]:
    """The floor's best rate in pages/s and least CPU ms per page over `runs` runs."""
    runs_ = [floor(files, jobs) for _ in range(runs)]
    return max(n / seconds for n, seconds, _ in runs_), min(1000 * cpu / n for n, _, cpu in runs_)


def _child(code: str, args: list) -> dict:
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args), str(TEMPLATE)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def stage_times(cumulative: dict[str, float], pages: int) -> dict[str, float]:
    """CPU milliseconds per page of each stage, and of the rest."""
    ms = {stage: 1000 * sum(cumulative.get(f, 0.0) for f in names) / pages for stage, names in STAGES.items()}
    ms["comments"] -= ms["OCR"] + 1000 * sum(cumulative.get(f, 0.0) for f in STAGES["worker start"][1:]) / pages
    ms["other"] = 1000 * cumulative.get("pipeline.py:scan", 0.0) / pages - sum(ms.values())
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="questionnaires in the main batch")
    parser.add_argument("--big-pages", type=int, default=1000, help="pages in the streaming test (0 skips it)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--comments", type=float, default=0.3, help="share of comment zones written")
    args = parser.parse_args()
    template = load_template(TEMPLATE)
    work = Path(tempfile.mkdtemp(prefix="scanner-speed-"))
    plain = SynthOptions(dpis=(300,), greyscale_share=0.0, duplex_blank_share=0.0, cover_letter_share=0.0,
                         rates=Rates(comment=args.comments))
    batch = generate(template, work / "batch", count=args.count, seed=args.seed, options=plain)
    files = [str(p) for p in batch.files]
    print(f"{batch.pages} pages at 300 dpi, {os.cpu_count()} cores, {args.comments:.0%} of comment zones written")
    floors = {jobs: best_floor(files, jobs) for jobs in (1, 2)}
    for jobs, (rate, cpu_ms) in floors.items():
        print(f"floor (extract + decode grey and quarter colour), {jobs} job(s): {rate:7.2f} pages/s, "
              f"{cpu_ms:5.1f} CPU ms/page; {_load()}")
    for ocr in (False, True):
        rates = {}
        for jobs in (1, 2):
            r = _child(SCAN_CHILD, [files, str(work / f"out-{ocr}-{jobs}"), jobs, ocr])
            rates[jobs], cpu_ms = r["pages"] / r["seconds"], 1000 * r["cpu"] / r["pages"]
            print(f"scan, OCR {'on ' if ocr else 'off'}, {jobs} job(s): {rates[jobs]:7.2f} pages/s "
                  f"({rates[jobs] / floors[jobs][0]:.2f} of the floor), {cpu_ms:5.1f} CPU ms/page "
                  f"({floors[jobs][1] / cpu_ms:.2f} of the floor's), peak memory parent {r['parent_mb']:.0f} MB, "
                  f"largest worker {r['worker_mb']:.0f} MB; {_load()}")
        print(f"  2 jobs read {rates[2] / rates[1]:.2f}x as fast as 1")
    r = _child(PROFILE_CHILD, [files, str(work / "out-profile")])
    ms = stage_times(r["cumulative"], r["pages"])
    print(f"CPU ms per page by stage, OCR on, 1 job, under cProfile ({sum(ms.values()):.1f} in all):")
    for stage, value in ms.items():
        print(f"  {stage:<12} {value:6.1f}")
    if args.big_pages:
        per_file = max(1, round(args.big_pages / len(template.pages)))
        big = generate(template, work / "big", count=per_file, seed=args.seed + 1,
                       options=SynthOptions(dpis=(300,), per_file=per_file, greyscale_share=0.0,
                                            duplex_blank_share=0.0, cover_letter_share=0.0))
        r = _child(SCAN_CHILD, [[str(p) for p in big.files], str(work / "out-big"), 2, False])
        print(f"one {r['pages']}-page PDF, OCR off, 2 jobs: {r['pages'] / r['seconds']:7.2f} pages/s, "
              f"peak memory parent {r['parent_mb']:.0f} MB, largest worker {r['worker_mb']:.0f} MB")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
