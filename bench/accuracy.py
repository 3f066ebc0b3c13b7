"""Accuracy benchmark: fresh batches with every effect, scanned and compared with their truth.

    python bench/accuracy.py [--seeds 5] [--count 200] [--jobs 2] [--no-ocr] [--keep DIR]
                             [--seed S ...] [--synth KEY=VALUE ...]
    python bench/accuracy.py --score DIR/seed-S ...

Each of `--seeds` runs draws a fresh random seed (printed), generates `--count`
questionnaires with it, scans them and scores the scan (`scanner.evaluate`). The
figures are printed for every seed, then pooled over all of them, with the seeds and
the date to quote beside them: one draw is luck, several are a measurement. The pooled
figures end with a reliability table: how often items claimed at each confidence are
wrong, to quote as "items with confidence >= c are wrong at most x%". `--seed`
(repeatable) replays given seeds instead. `--synth` sets any generator option
(`SynthOptions` field, or `rates.FIELD`), e.g. `--synth photo_share=0.1`; `--synth
stock=all` adds the paper stocks and lights off the usual path (`scanner.synth.stock`:
not in `EVERY_EFFECT`, since two of them, one programme only and no white paper, change
what the batch is made of, not how it is scanned). `--score` scores seeds kept with
`--keep` again (each folder's `results` against its `batch/truth`, as they are now: seeds
run one a process, or read again with newer code) and pools them, generating and scanning
nothing. Every seed is also scored after a person's word on the clusters `scanner colours`
flags, simulated in a copy of its results (`scanner.evaluate.word_on_flagged`: each
flagged cluster given the colour most of its sheets truly are): the decisions, and the
colour scans' programme before and after them. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scanner.evaluate import (SCENARIOS, ClusterWord, Evaluation, Tally, evaluate, percent, upper_bound, word_lines,
                              word_on_flagged)
from scanner.pipeline import scan
from scanner.synth import ALL_HARD, SynthOptions, generate
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent

EVERY_EFFECT: dict[str, object] = {"effects": True, "hard": ALL_HARD, "flatbed_share": 0.15}
"""Generator options that switch effects on: the scanner effects, every hard case
(`scanner synth --hard`) and flatbed files (15% of the questionnaires, one a file, so
that the flatbed scenario is measured too). An effect added later as an option that is
off by default belongs here, so that the benchmark keeps measuring everything."""


def synth_options(settings: list[str], jobs: int) -> SynthOptions:
    """`EVERY_EFFECT`, then each KEY=VALUE (a `SynthOptions` field or `rates.FIELD`) on top."""
    options = dataclasses.replace(SynthOptions(jobs=jobs), **EVERY_EFFECT)
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep:
            raise SystemExit(f"--synth {setting!r}: give KEY=VALUE")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        owner, _, name = key.rpartition(".")
        target = options.rates if owner == "rates" else options
        if owner not in ("", "rates") or name not in {f.name for f in dataclasses.fields(target)}:
            raise SystemExit(f"--synth {setting!r}: {key} is not a generator option")
        if owner:
            options = dataclasses.replace(options, rates=dataclasses.replace(options.rates, **{name: value}))
        else:
            options = dataclasses.replace(options, **{name: value})
    return options


def changed_options(options: SynthOptions) -> dict[str, object]:
    """Generator options (and `rates.` fields) that differ from the defaults, `jobs` aside."""
    default = SynthOptions()
    changed = {f"rates.{f.name}": getattr(options.rates, f.name) for f in dataclasses.fields(options.rates)
               if getattr(options.rates, f.name) != getattr(default.rates, f.name)}
    changed |= {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
                if f.name not in ("jobs", "rates") and getattr(options, f.name) != getattr(default, f.name)}
    return changed


@dataclass(frozen=True)
class Scored:
    """One seed's figures: as scanned, and after the simulated person's word on its flagged clusters."""

    ev: Evaluation
    words: list[ClusterWord]
    after: Evaluation


def score(results: Path, truth: Path) -> Scored:
    """Score a seed's results, then a copy of them after the person's word; prints both.
    The results themselves are left as they are."""
    ev = evaluate(results, truth)
    with tempfile.TemporaryDirectory(prefix="scanner-word-") as work:
        copy = Path(work) / "results"
        shutil.copytree(results, copy)
        words = word_on_flagged(copy, truth)
        after = evaluate(copy, truth)
    for line in ev.lines() + word_lines(words, after):
        print(line)
    return Scored(ev, words, after)


def run_seed(seed: int, args, template, options: SynthOptions, work: Path) -> Scored:
    """Generate, scan and score one seed's batch; prints its timings and figures."""
    batch, out = work / f"seed-{seed}" / "batch", work / f"seed-{seed}" / "results"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    result = generate(template, batch, count=args.count, seed=seed, options=options)
    print(f"\n=== seed {seed}: generated {result.pages} pages in {time.perf_counter() - started:.1f} s")
    summary = scan([str(p) for p in result.files], template, out, jobs=args.jobs, ocr=not args.no_ocr)
    pages = sum(summary.pages.values())
    print(f"scanned {pages} pages in {summary.seconds:.1f} s ({pages / summary.seconds:.2f} pages/s)")
    scored = score(out, result.truth_dir)
    if args.keep is None:
        shutil.rmtree(work / f"seed-{seed}", ignore_errors=True)
    return scored


def summary_row(label: str, ev: Evaluation) -> str:
    """One line of the per-seed table."""
    total, colour, grey = ev.all_fields, ev.programme.get("colour"), ev.programme.get("greyscale")
    items = [ev.items, *(ev.items_by_scenario.get(name, Tally()) for name in SCENARIOS)]
    return (f"{label:<12} {total.silent:>6} {percent(upper_bound(total.silent, total.scored), 1):>9} "
            f"{percent(total.flagged, total.scored):>8} "
            + " ".join(f"{percent(t.flagged, t.scored):>9}" for t in items)
            + f" {ev.sheets.whole + ev.sheets.partial:>4}/{ev.sheets.truth:<4} "
            f"{ev.pages.accounted:>5}/{ev.pages.truth:<5} "
            f"{percent(colour.right, colour.scored) if colour else 'n/a':>8} "
            f"{grey.silent if grey else 'n/a':>10} {percent(ev.written_right, ev.comments.scored):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="fresh random seeds to run")
    parser.add_argument("--seed", type=int, action="append", default=[], help="replay this seed (repeatable)")
    parser.add_argument("--count", type=int, default=200, help="questionnaires per seed")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep the batches and results here")
    parser.add_argument("--synth", action="append", default=[], metavar="KEY=VALUE",
                        help="a generator option (SynthOptions field or rates.FIELD), repeatable")
    parser.add_argument("--score", type=Path, nargs="+", default=[], metavar="DIR",
                        help="score kept seeds' folders (--keep's seed-S) again and pool them; nothing is scanned")
    args = parser.parse_args()
    today = datetime.date.today().isoformat()
    if args.score:
        print(f"{today}: scored again: {', '.join(map(str, args.score))}")
        results = {}
        for folder in args.score:
            print(f"\n=== {folder}")
            results[folder.name.removeprefix("seed-")] = score(folder / "results", folder / "batch" / "truth")
        print_pooled(results, today)
        return
    draw = random.SystemRandom()
    seeds = args.seed or [draw.randrange(1, 10**9) for _ in range(args.seeds)]
    options = synth_options(args.synth, args.jobs)
    template = load_template(ROOT / "templates" / "surestart.yaml")
    work = args.keep or Path(tempfile.mkdtemp(prefix="scanner-accuracy-"))
    print(f"{today}: seeds {', '.join(map(str, seeds))}; {args.count} questionnaires each, jobs {args.jobs}, "
          f"OCR {'off' if args.no_ocr else 'on'}")
    print(f"generator options changed from the defaults: {changed_options(options) or 'none'}")
    print_pooled({str(seed): run_seed(seed, args, template, options, work) for seed in seeds}, today)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def print_pooled(seeds: dict[str, Scored], today: str) -> None:
    """The figures pooled over every seed, then the table of one line per seed, then the
    programme after the person's word."""
    results = {seed: s.ev for seed, s in seeds.items()}
    pooled = sum(results.values(), Evaluation())
    print(f"\n=== all {len(results)} seeds pooled ({today}; seeds {', '.join(results)})")
    for line in pooled.lines() + pooled.reliability_lines():
        print(line)
    print("\nper seed: silent errors (all fields) and their 95% upper bound, review rate (all fields), items to "
          "review (all, then per scenario), sheets found, pages accounted for, colour programme right, greyscale "
          "programme claimed wrong, written vs blank right")
    print(f"{'seed':<12} {'silent':>6} {'95% bound':>9} {'review':>8} {'items':>9} "
          + " ".join(f"{name:>9}" for name in SCENARIOS)
          + f" {'sheets':>9} {'pages':>11} {'colour':>8} {'grey wrong':>10} {'written':>8}")
    for seed, ev in results.items():
        print(summary_row(seed, ev))
    print(summary_row("pooled", pooled))
    print_word(seeds)


def print_word(seeds: dict[str, Scored]) -> None:
    """Per seed and pooled: the simulated person's decisions and the colour scans' programme
    before and after them (claimed right; wrong claimed, and of them reported reviewed)."""
    print("\ncolour scans' programme after a person's word on the flagged clusters (simulated: each given the "
          "colour most of its sheets truly are): clusters given a colour, their sheets, of them truly another "
          "colour; claimed right with no word, after it (of so many); wrong claimed after it, of them reported "
          "reviewed")
    print(f"{'seed':<12} {'clusters':>8} {'sheets':>6} {'other':>5} {'no word':>8} {'after':>8} {'of':>9} "
          f"{'wrong':>5} {'reviewed':>8}")
    rows = {seed: (s.words, s.ev, s.after) for seed, s in seeds.items()}
    rows["pooled"] = (sum((s.words for s in seeds.values()), []), sum((s.ev for s in seeds.values()), Evaluation()),
                      sum((s.after for s in seeds.values()), Evaluation()))
    for label, (words, ev, after) in rows.items():
        given = [w for w in words if w.colour]
        before, now = ev.programme.get("colour", Tally()), after.programme.get("colour", Tally())
        print(f"{label:<12} {len(given):>8} {sum(len(w.sheets) for w in given):>6} "
              f"{sum(len(w.against) for w in given):>5} {percent(before.right, before.scored):>8} "
              f"{percent(now.right, now.scored):>8} {f'{now.right}/{now.scored}':>9} {now.silent:>5} "
              f"{after.programme_reviewed.silent:>8}")


if __name__ == "__main__":
    main()
