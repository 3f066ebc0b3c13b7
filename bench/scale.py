"""Scale benchmark: how many workers one parent can feed, and a cluster run.

    python bench/scale.py [--sizes 700,2800] [--sheets 20000] [--pages 2000] [--workers 1,2] [--seed 3]

On a cluster the parent is the only writer (store, crops, CSVs), so it sets the ceiling:
- the parent alone: the scan's own loop (`pipeline.scan`) fed readings made up front,
  with no page read, at each of `--sizes` pages: pages/s absorbed (store, crops, the
  sheets), the final `write_outputs` on its own, and peak memory, each size in its own
  process so that its memory is its own; and at the margin, the extra pages of the
  largest size over the smallest against the extra CPU they cost: what a long run
  absorbs once its one-off costs are paid (the projection's rate);
- one review decision's CSV write, incremental (the decided sheet rendered, every kept
  row streamed, pages.csv left alone), against the whole rewrite it replaces (every table
  from the whole store, as `write_outputs` did before), on the largest of `--sizes` and
  on that survey copied up to `--sheets` sheets;
- what else is done per page on a cluster: find the pages (`enumerate_pages`) and make
  each portable (`load.portable`), on the generated batch, here; and the parent all in on
  that batch, its pages found as a scan finds them (by the process of its own that
  `finder.PageFinder` forks) and their readings made up: CPU a page of the scan's own
  process and of the finder's (the made-up readings' own CPU left out), the pages
  without their JPEG's bytes as for a process pool, then with them as for a cluster;
- the parent all in on a Dask cluster: those pages, found as a scan finds them, read by
  2 workers (and a scheduler) in processes of their own that make their readings up:
  the scan's CPU a page, Dask's client and its thread included (`parent_on_dask`);
- handing those pages to a process pool whose workers read nothing: the scan's CPU a
  page for the pool's pipes, each page with its JPEG's bytes (as a cluster's client
  sends them) and without (as to a pool: its workers take them from the files);
- `--pages` generated pages through a LocalCluster of each of `--workers` workers (one
  thread each): pages/s, and the parent's CPU time a page (the local scheduler runs in
  the parent's process, so it counts there).
From these it prints how many workers one parent can feed and the projected wall time
of 1,000,000 pages on 50 workers. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from scanner.load import PageTask, enumerate_pages, portable
from scanner.ocr import make_engine
from scanner.reader import PageReader, PageResult
from scanner.store import encode_reading
from scanner.synth import Rates, SynthOptions, generate
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "surestart.yaml"
PER_FILE = 50
"""Questionnaires per made-up batch file, as a sheet feeder's PDF."""


def one_sheet(template, work: Path, seed: int) -> list[PageResult]:
    """The readings of one real questionnaire (OCR on, half its comment zones written)."""
    batch = generate(template, work / "one", count=1, seed=seed,
                     options=SynthOptions(dpis=(200,), greyscale_share=0.0, duplex_blank_share=0.0,
                                          cover_letter_share=0.0, numbered_share=1.0, rates=Rates(comment=0.5)))
    reader = PageReader(template, make_engine(True))
    return [reader.read(task) for task in enumerate_pages(batch.files)]


class Precomputed:
    """An executor that reads nothing: the i-th page submitted is the real sheet's page i
    mod its length, under its own content hash and serial, so that every page and sheet is
    new to the store.
    Each reading comes encoded for the store, as a worker sends it (`read_encoded`); the
    CPU time making it up is the workers' (`cpu`), not the parent's."""

    def __init__(self, sheet: list[PageResult], wants_bytes: bool = False):
        self.sheet = sheet
        self.window = 1
        self.wants_bytes = wants_bytes  # as a cluster's workers; a pool's take them from the files
        self.cpu = 0.0
        self.count = 0

    def submit(self, task: PageTask) -> PageResult:
        start = time.thread_time()
        i, self.count = self.count, self.count + 1
        base = self.sheet[i % len(self.sheet)]
        result = replace(base, source=task.source, page=task.page, content_hash=task.content_hash,
                         serial=i // len(self.sheet) + 1)
        result = replace(result, encoded=encode_reading(result))
        self.cpu += time.thread_time() - start
        return result

    def settle(self, pending) -> None:
        """Nothing is ever in flight."""

    def close(self) -> None:
        """Nothing to stop."""


def made_up_tasks(pages: int, per_sheet: int):
    per_file = PER_FILE * per_sheet
    for i in range(pages):
        yield PageTask(f"batch-{i // per_file:05d}.pdf", "", i % per_file + 1, "jpeg", f"{i:016x}")


def parent_alone(sheet_file: str, pages: int, out: str) -> dict:
    """The scan's loop with the readings made up: what the parent alone absorbs."""
    import pickle

    import scanner.pipeline as pipeline
    from scanner.outputs import write_outputs
    from scanner.store import Store

    sheet = pickle.loads(Path(sheet_file).read_bytes())
    template = load_template(TEMPLATE)
    # The pipeline as it is; only where pages come from and who reads them is replaced.
    pipeline.count_pages = lambda inputs, exclude=None: pages
    pipeline.PageFinder = lambda inputs, **_: contextlib.nullcontext(made_up_tasks(pages, len(sheet)))
    executor = Precomputed(sheet)
    pipeline.make_executor = lambda *args, **kwargs: executor
    pages_peak = []  # memory when the last page is stored, before the CSVs are written

    def at_last_page(progress) -> None:
        if progress.done == pages:
            pages_peak.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    start = time.perf_counter(), time.process_time()
    summary = pipeline.scan(["made-up"], template, out, ocr=True, progress=at_last_page)
    seconds, cpu = time.perf_counter() - start[0], time.process_time() - start[1] - executor.cpu
    with Store(Path(out)) as store:
        _render_all(store)
        start = time.process_time()
        write_outputs(store, template, out)
        outputs = time.process_time() - start
    return {"pages": sum(summary.pages.values()), "sheets": summary.sheets, "seconds": seconds, "cpu": cpu,
            "outputs_cpu": outputs, "pages_peak_mb": pages_peak[0],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def parent_finding(sheet_file: str, files: list[str], out: str, with_bytes: bool) -> dict:
    """The scan's loop on real files, their pages found as a scan finds them, the readings
    made up: the parent all in, and the finder's process (the made-up readings' own CPU left
    out); each page comes with its JPEG's bytes as to a cluster (`with_bytes`), or without
    as to a process pool."""
    import pickle

    import scanner.pipeline as pipeline

    sheet = pickle.loads(Path(sheet_file).read_bytes())
    template = load_template(TEMPLATE)
    executor = Precomputed(sheet, with_bytes)
    start = time.perf_counter(), time.process_time(), _children_cpu()
    summary = pipeline.scan(files, template, out, ocr=True, executor=executor)
    return {"pages": sum(summary.pages.values()), "seconds": time.perf_counter() - start[0],
            "cpu": time.process_time() - start[1] - executor.cpu, "finder_cpu": _children_cpu() - start[2]}


def _made_up_on_worker(tasks: list[PageTask]) -> list[PageResult]:
    """A Dask worker's made-up readings of a group of `tasks`, as `Precomputed` makes them:
    the real sheet's page for the page's place in its batch file (`batch-NNN.pdf`), under
    its own hash and serial; the group's whole questionnaires decided, as a worker decides them.
    Sent to Dask by reference, as `cluster._read_on_cluster` is: from this file imported as
    the module `scale` (the scheduler and workers have its folder on their path). Sent from
    the script run (`__main__`), Dask pickled each group twice, its JPEGs and all, the
    second time by cloudpickle, which a scan never pays. The sheet and the form are kept on
    the worker."""
    import os
    import pickle
    import re

    from distributed import get_worker

    from scanner.assemble import decide_whole_sheets
    from scanner.forms import Forms

    worker = get_worker()
    if not hasattr(worker, "bench_sheet"):
        worker.bench_sheet = pickle.loads(Path(os.environ["SCANNER_BENCH_SHEET"]).read_bytes())
        worker.bench_forms = Forms.of(load_template(TEMPLATE))
    sheet = worker.bench_sheet
    results = []
    for task in tasks:
        number = int(re.search(r"(\d+)\.pdf$", task.source).group(1))
        i = (number - 1) * PER_FILE * len(sheet) + task.page - 1
        result = replace(sheet[i % len(sheet)], source=task.source, page=task.page, content_hash=task.content_hash,
                         serial=i // len(sheet) + 1)
        results.append(replace(result, encoded=encode_reading(result)))
    return decide_whole_sheets(worker.bench_forms, results)


def parent_on_dask(sheet_file: str, files: list[str], out: str, workers: int = 2) -> dict:
    """The scan's loop on real files through Dask, its scheduler and `workers` workers in
    processes of their own (as on a real cluster), which make each reading up: the parent
    all in on a cluster, Dask's client (and its thread) included."""
    import importlib
    import os

    import scanner.cluster as cluster
    import scanner.pipeline as pipeline
    from distributed import Client

    template = load_template(TEMPLATE)
    scheduler_file = Path(out + "-scheduler.json")
    path = os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"SCANNER_BENCH_SHEET": sheet_file, "PYTHONPATH": path}
    module = [sys.executable, "-m"]
    spawned = [subprocess.Popen(module + ["distributed.cli.dask_scheduler", "--scheduler-file", str(scheduler_file),
                                          "--port", "0", "--dashboard-address", ":0"], env=env,
                                stderr=subprocess.DEVNULL)]
    try:
        address = None
        while address is None:
            time.sleep(0.2)
            with contextlib.suppress(OSError, ValueError):  # not written yet, or not whole
                address = json.loads(scheduler_file.read_text())["address"]
        spawned.append(subprocess.Popen(module + ["distributed.cli.dask_worker", address, "--nworkers", str(workers),
                                                  "--nthreads", "1", "--dashboard-address", ":0"], env=env,
                                        stderr=subprocess.DEVNULL))
        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)
        cluster._read_on_cluster = importlib.import_module("scale")._made_up_on_worker
        start = time.perf_counter(), time.process_time()
        summary = pipeline.scan(files, template, out, ocr=True, cluster=address)
        return {"pages": sum(summary.pages.values()), "seconds": time.perf_counter() - start[0],
                "cpu": time.process_time() - start[1],
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        for process in reversed(spawned):
            process.terminate()
            process.wait()


def _render_all(store) -> None:
    """Mark every sheet for rendering, as a new version of the renderer does: the scan's
    own write has rendered them already."""
    store.db.execute("INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets")


def _grow(store, sheets: int) -> None:
    """Copy the survey's sheets, results and all, under new ids and serials, up to `sheets`."""
    originals = [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]
    last = store.db.execute("SELECT MAX(seq) FROM sheets").fetchone()[0]
    have, copy = len(originals), 0
    with store.transaction():
        while have < sheets:
            copy += 1
            ids = json.dumps(originals[:sheets - have])
            # Columns named, so that a column the store gains is copied or fails here, not shifted.
            store.db.execute("INSERT INTO sheets (sheet_id, source, first_page, serial, colour, programme, "
                             "paper_rgb, flags, page_hashes, seq, scanned_at, form) "
                             "SELECT sheet_id || ?, source, first_page, serial + ?, colour, "
                             "programme, paper_rgb, flags, page_hashes, seq + ?, scanned_at, form FROM sheets "
                             "WHERE sheet_id IN (SELECT value FROM json_each(?))", (f"-{copy}", copy * 10**6,
                                                                                    copy * last, ids))
            store.db.execute("INSERT INTO results SELECT sheet_id || ?, item, ord, form_page, value, status, "
                             "confidence, reason, evidence, crop FROM results "
                             "WHERE sheet_id IN (SELECT value FROM json_each(?))", (f"-{copy}", ids))
            have += len(json.loads(ids))


def _timed(work) -> tuple[float, float]:
    """CPU and wall seconds of `work()`."""
    start = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - start[0], time.perf_counter() - start[1]


def whole_rewrite(store, template, out: Path) -> None:
    """The four CSVs from the whole store, as `write_outputs` wrote them on every decision before."""
    from scanner.outputs import final_items, items_table, pages_table, responses_table, sheets_table, write_csv_atomic

    final = final_items(store)
    for name, df in (("responses.csv", responses_table(store, template, final)),
                     ("items.csv", items_table(store, final)),
                     ("pages.csv", pages_table(store)),
                     ("sheets.csv", sheets_table(store, final))):
        write_csv_atomic(df, out / name)


def decision_write(out: str, sheets: int) -> dict:
    """One decision's CSV write, incremental and whole, on the survey in `out` grown to `sheets`."""
    from scanner.outputs import write_outputs
    from scanner.review import queue as q
    from scanner.store import Store

    template = load_template(TEMPLATE)
    fields = q.Fields(template)
    item = template.field_ids()[0]
    with Store(out) as store:
        _grow(store, sheets)
        _render_all(store)
        first = _timed(lambda: write_outputs(store, template, out))
        incremental_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        whole = _timed(lambda: whole_rewrite(store, template, Path(out)))
        sheet_id = store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq DESC").fetchone()[0]
        writes = []
        for code in fields.codes(item)[:3]:
            current = q.current_decision(store, sheet_id, item)
            q.record_decision(store, fields, sheet_id, item, str(code), "bench", current["id"] if current else None)
            writes.append(_timed(lambda: write_outputs(store, template, out, pages=False)))
        count = store.db.execute("SELECT COUNT(*) FROM sheets").fetchone()[0]
    size = sum((Path(out) / f"{kind}.csv").stat().st_size for kind in ("responses", "items", "sheets"))
    return {"sheets": count, "first": first, "whole": whole, "decision": sorted(writes)[len(writes) // 2],
            "mb": size / 1e6, "incremental_mb": incremental_mb,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def enumerate_rate(files: list[str]) -> float:
    """Pages a CPU second the parent finds and makes portable (its work before a worker)."""
    start = time.process_time()
    count = sum(1 for task in enumerate_pages(files) if isinstance(portable(task), PageTask))
    return count / (time.process_time() - start)


def _nothing(task: PageTask) -> None:
    """A pool worker's reading that reads nothing."""


def pool_feed(files: list[str]) -> dict:
    """CPU ms a page this process spends handing `files`' pages to a pool of two workers
    that read nothing (a window of 8 in flight, as a scan keeps): with the JPEG's bytes, and without."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from scanner.load import without_bytes

    found = [task for task in enumerate_pages(files) if isinstance(task, PageTask)]
    spent = {"with": [], "without": []}
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        for _ in range(2):
            for kind, tasks in (("with", found), ("without", [without_bytes(t) for t in found])):
                start = time.process_time()
                for k in range(0, len(tasks), 8):
                    for future in [pool.submit(_nothing, task) for task in tasks[k:k + 8]]:
                        future.result()
                spent[kind].append(1000 * (time.process_time() - start) / len(tasks))
    return {kind: min(ms) for kind, ms in spent.items()} | {
        "mb": sum(len(t.data or b"") for t in found) / len(found) / 1e6}


def on_cluster(files: list[str], out: str, workers: int) -> dict:
    from scanner.pipeline import scan

    template = load_template(TEMPLATE)
    parent, kids = time.process_time(), _children_cpu()
    summary = scan(files, template, out, ocr=True, cluster=f"local:{workers}")
    return {"pages": sum(summary.pages.values()), "seconds": summary.seconds,
            "parent_cpu": time.process_time() - parent, "workers_cpu": _children_cpu() - kids}


def _at_the_margin(runs: list[dict]) -> float | None:
    """Pages a CPU second that the parent absorbs once a run is under way: the extra pages
    of the largest run over those of the smallest, against the extra CPU they cost. None
    with one size only."""
    small, large = min(runs, key=lambda r: r["pages"]), max(runs, key=lambda r: r["pages"])
    if large["pages"] == small["pages"] or large["cpu"] <= small["cpu"]:
        return None
    return (large["pages"] - small["pages"]) / (large["cpu"] - small["cpu"])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _child(function: str, *args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", function, json.dumps(args)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="700,2800", help="pages fed to the parent alone, comma-separated")
    parser.add_argument("--sheets", type=int, default=20000, help="sheets the survey is copied up to for a "
                        "decision's write (0 skips it)")
    parser.add_argument("--pages", type=int, default=2000, help="generated pages through the cluster (0 skips it)")
    parser.add_argument("--workers", default="1,2", help="LocalCluster sizes, comma-separated (0 skips the "
                        "cluster runs: the parent's figures alone)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(globals()[args.child[0]](*json.loads(args.child[1]))))
        return
    import pickle

    template = load_template(TEMPLATE)
    work = Path(tempfile.mkdtemp(prefix="scanner-scale-"))
    sheet_file = work / "sheet.pickle"
    sheet_file.write_bytes(pickle.dumps(one_sheet(template, work, args.seed)))
    absorbed, runs = [], []
    for size in (int(s) for s in args.sizes.split(",")):
        r = _child("parent_alone", str(sheet_file), size, str(work / f"parent-{size}"))
        absorbed.append(r["pages"] / r["cpu"])
        runs.append(r)
        print(f"parent alone, {r['pages']} pages ({r['sheets']} sheets): {absorbed[-1]:5.0f} pages a CPU second "
              f"({r['pages'] / r['seconds']:.0f} pages/s wall), the CSVs written once more at the end, every sheet "
              f"rendered ({r['outputs_cpu']:.1f} CPU s of {r['cpu']:.1f}); peak memory {r['pages_peak_mb']:.0f} MB "
              f"storing the pages, {r['peak_mb']:.0f} MB once the CSVs are written")
    steady = _at_the_margin(runs)
    if steady is not None:
        print(f"parent alone at the margin: {steady:5.0f} pages a CPU second (the CPU the largest size's extra "
              "pages cost over the smallest's: what a run pays once, such as OpenCV's colour tables and keeping "
              "the template, left out)")
    for sheets in [0] + ([args.sheets] if args.sheets else []):
        r = _child("decision_write", str(work / f"parent-{size}"), sheets)
        print(f"one decision's CSV write, {r['sheets']} sheets ({r['mb']:.0f} MB of responses, items and sheets): "
              f"{r['decision'][0]:.2f} CPU s, {r['decision'][1]:.2f} s wall; the whole rewrite it replaces "
              f"{r['whole'][0]:.2f} CPU s, {r['whole'][1]:.2f} s wall (the first write, every sheet rendered: "
              f"{r['first'][0]:.2f} CPU s); peak memory {r['incremental_mb']:.0f} MB, "
              f"{r['peak_mb']:.0f} MB once the whole rewrite is done")
    if not args.pages:
        return
    count = max(1, round(args.pages / len(template.pages)))
    batch = generate(template, work / "batch", count=count, seed=args.seed,
                     options=SynthOptions(dpis=(200,), per_file=PER_FILE, greyscale_share=0.0,
                                          rates=Rates(comment=0.3)))
    files = [str(p) for p in batch.files]
    found = enumerate_rate(files)
    print(f"parent finds and makes portable {found:.0f} pages a CPU second ({batch.pages} generated pages)")
    for with_bytes in (False, True):
        r = _child("parent_finding", str(sheet_file), files, str(work / f"parent-finding-{with_bytes}"), with_bytes)
        finder = r["pages"] / r["finder_cpu"]
        print(f"parent all in on those files (pages found as a scan finds them, readings made up), "
              f"{'with their bytes, for a cluster' if with_bytes else 'without their bytes, for a pool'}: the "
              f"scan's process {r['pages'] / r['cpu']:.0f} pages a CPU second, the finder's {finder:.0f} (a "
              f"process of its own, on another core), {r['pages'] / r['seconds']:.0f} pages/s wall")
    dask = _child("parent_on_dask", str(sheet_file), files, str(work / "parent-dask"))
    print(f"parent all in through Dask (the scheduler and 2 workers apart, readings made up): the scan's process "
          f"{dask['pages'] / dask['cpu']:.0f} pages a CPU second, Dask's client included, "
          f"{dask['pages'] / dask['seconds']:.0f} pages/s wall; peak memory {dask['peak_mb']:.0f} MB")
    feed = _child("pool_feed", files)
    print(f"handing those pages to a process pool (its workers read nothing): {feed['with']:.2f} CPU ms a page "
          f"with each page's JPEG ({feed['mb']:.2f} MB), {feed['without']:.2f} without it, as a scan sends them")
    # Two processes, each on a core: the slower sets the pace. The projection is a cluster's:
    # the pages with their bytes, through Dask.
    parent = min(dask["pages"] / dask["cpu"], finder)
    print(f"one parent absorbs about {parent:.0f} pages/s on two cores, all in (finding, packing, storing, "
          "Dask's client)")
    if steady is not None:
        print(f"  in a long run, storing at the margin: about {min(steady, finder):.0f} pages/s (the projection "
              "below uses the figure all in)")
    sizes = [int(w) for w in args.workers.split(",") if w.strip() and int(w)]
    if not sizes:
        return
    per_worker = []
    for workers in sizes:
        r = _child("on_cluster", files, str(work / f"cluster-{workers}"), workers)
        rate = r["pages"] / r["seconds"]
        per_worker.append(r["pages"] / r["workers_cpu"])
        print(f"LocalCluster of {workers} worker(s): {rate:5.2f} pages/s wall; workers' CPU "
              f"{1000 * r['workers_cpu'] / r['pages']:.0f} ms a page; parent's CPU "
              f"{1000 * r['parent_cpu'] / r['pages']:.1f} ms a page (the local scheduler included)")
        print(f"  with the scheduler in the parent's process, that CPU bounds it at "
              f"{r['pages'] / r['parent_cpu']:.0f} pages/s: on a real cluster run `dask scheduler` apart")
    worker = min(per_worker)
    print(f"so one parent can feed about {parent / worker:.0f} workers of {worker:.1f} pages a CPU second each")
    wall = 1_000_000 / min(parent, 50 * worker)
    print(f"projected wall time for 1,000,000 pages on 50 workers: {wall / 3600:.1f} h "
          f"({'the workers' if 50 * worker < parent else 'the parent'} set the pace)")


if __name__ == "__main__":
    main()
