"""Review server under load: a team of reviewers on one server, on 127.0.0.1 only.

    python bench/review_load.py [--sheets 1000] [--items 300] [--dpi 150] [--seed 5]

The survey is built as in `review_latency.py` (rows inserted into a store, a PDF of real
JPEG pages for the items the walk reaches). `scanner review --no-browser` serves it in a
process of its own, as it runs for real (its CSV writer child included). Then 1, 10 and
50 reviewers at once, each on its own keep-alive connection and with its own share of
the queue, go through items with no pause between them (far faster than people: a
worst case): the item's detail, its crop, the decision. Then a burst: 150 connections
opened at once, each asking for a crop.

Printed per level: items decided, requests, errors (anything but 200, or a connection
reset or timed out: there must be none), requests per second, and latency (median, p99,
and p99 of crops alone). Bounded: `--items` decisions in all (shared between levels) and
at most TIME_LIMIT_S a level; figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from review_latency import build_survey

from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "surestart.yaml"
LEVELS = (1, 10, 50)
"""Reviewers at once."""
SHARE = (0.1, 0.3, 0.6)
"""Each level's share of --items."""
BURST = 150
TIME_LIMIT_S = 90.0
TIMEOUT_S = 30.0


@dataclass
class Tally:
    """What one level measured; reviewers' threads add to it under its lock."""

    times: list[float] = field(default_factory=list)
    crop_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    decided: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ms: float, crop: bool, error: str | None) -> None:
        with self.lock:
            self.times.append(ms)
            if crop:
                self.crop_times.append(ms)
            if error:
                self.errors.append(error)


class Reviewer:
    """One reviewer's keep-alive connection, as a browser tab keeps one."""

    def __init__(self, url: str, tally: Tally):
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1", "the bench talks to this machine only"
        self.prefix = parts.path
        self.conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=TIMEOUT_S)
        self.tally = tally

    def request(self, method: str, path: str, body: dict | None = None, crop: bool = False) -> bytes | None:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        t0 = time.perf_counter()
        try:
            self.conn.request(method, self.prefix + path, data, headers)
            r = self.conn.getresponse()
            payload = r.read()
            error = None if r.status == 200 else f"{method} {path.split('?')[0]}: {r.status}"
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()  # http.client reconnects on the next request
            payload, error = None, f"{method} {path.split('?')[0]}: {type(exc).__name__}"
        self.tally.add(1000 * (time.perf_counter() - t0), crop, error)
        return payload if error is None else None

    def decide(self, entry: dict) -> None:
        """What the page does for one item: its detail, its crop, then the decision."""
        body = self.request("GET", "api/item?" + urlencode({"sheet": entry["sheet_id"], "item": entry["item"]}))
        if body is None:
            return
        detail = json.loads(body)
        if detail["crop_url"]:
            self.request("GET", detail["crop_url"], crop=True)
        saved = self.request("POST", "api/decision", {"sheet_id": entry["sheet_id"], "item": entry["item"],
                                                      "value": detail.get("guess") or "", "reviewer": "bench",
                                                      "seen": None})
        if saved is not None:
            with self.tally.lock:
                self.tally.decided += 1


def run_level(url: str, entries: list[dict], reviewers: int) -> tuple[Tally, float]:
    """`reviewers` at once, each deciding its share of `entries`; the tally and the wall time."""
    tally = Tally()
    deadline = time.monotonic() + TIME_LIMIT_S
    start = threading.Barrier(reviewers)

    def work(k: int) -> None:
        reviewer = Reviewer(url, tally)
        start.wait()
        for entry in entries[k::reviewers]:
            if time.monotonic() > deadline:
                break
            reviewer.decide(entry)
        reviewer.conn.close()

    return tally, _timed([threading.Thread(target=work, args=(k,)) for k in range(reviewers)])


def run_burst(url: str, entries: list[dict]) -> tuple[Tally, float]:
    """BURST crops asked at once, each on a connection of its own."""
    tally = Tally()
    start = threading.Barrier(BURST)

    def ask(entry: dict) -> None:
        reviewer = Reviewer(url, tally)
        start.wait()
        reviewer.request("GET", "api/crop?" + urlencode({"sheet": entry["sheet_id"], "item": entry["item"]}),
                         crop=True)
        reviewer.conn.close()

    return tally, _timed([threading.Thread(target=ask, args=(entries[k % len(entries)],)) for k in range(BURST)])


def _timed(threads: list[threading.Thread]) -> float:
    """Seconds from starting `threads` to the last one ending."""
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, round(q * (len(v) - 1)))] if v else float("nan")


def report(label: str, tally: Tally, seconds: float) -> None:
    n = len(tally.times)
    print(f"  {label:<22} {tally.decided:>5} {n:>6} {len(tally.errors):>6} {n / seconds:>8.1f} "
          f"{statistics.median(tally.times) if n else float('nan'):>8.1f} {_pct(tally.times, 0.99):>8.1f} "
          f"{_pct(tally.crop_times, 0.99):>9.1f}")
    for error in sorted(set(tally.errors))[:5]:
        print(f"      error: {error} (x{tally.errors.count(error)})")


def start_server(out: Path) -> tuple[subprocess.Popen, str]:
    """`scanner review --no-browser` in a process of its own; its token address."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from scanner.cli import main; main()", "review", str(out),
               "--template", str(TEMPLATE), "--no-browser"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"the review server did not start (it printed {url!r})")
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--items", type=int, default=300, help="decisions in all, shared between the levels")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    template = load_template(TEMPLATE)
    with tempfile.TemporaryDirectory(prefix="review-load-") as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        waiting = build_survey(template, out, args.sheets, args.items, args.dpi, args.seed)
        print(f"survey: {args.sheets} sheets, {waiting} items waiting for review; built in "
              f"{time.perf_counter() - t0:.1f} s (pages at {args.dpi} dpi); {os.cpu_count()} CPUs")
        proc, url = start_server(out)
        try:
            queue = json.loads(Reviewer(url, Tally()).request("GET", "api/queue"))
            print(f"  {'reviewers at once':<22} {'items':>5} {'reqs':>6} {'errors':>6} {'req/s':>8} "
                  f"{'median':>8} {'p99 ms':>8} {'crop p99':>9}")
            taken = 0
            for reviewers, share in zip(LEVELS, SHARE):
                count = max(reviewers, round(args.items * share))
                tally, seconds = run_level(url, queue[taken:taken + count], reviewers)
                taken += count
                report(f"{reviewers}", tally, seconds)
            tally, seconds = run_burst(url, queue[:taken])
            report(f"burst: {BURST} crops at once", tally, seconds)
        finally:
            proc.send_signal(signal.SIGINT)  # as Ctrl+C: the last CSV write, then out
            proc.wait(timeout=120)


if __name__ == "__main__":
    main()
