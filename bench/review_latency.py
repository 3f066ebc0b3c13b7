"""Review latency: from a keystroke to the next item shown, on a 1,000-sheet survey.

    python bench/review_latency.py [--sheets 1000] [--keys 150] [--dpi 200] [--seed 3]

The survey is built by inserting rows into a store, not by scanning: 1,000 sheets of the
shipped template (73 results each) with a realistic share of doubts (about 3 a sheet),
their evidence, readings with page transforms, and a PDF of real JPEG pages (one per
form page that the walk reaches; the other sheets' pages are never loaded). Then:

- the server side, no browser, on the queue's first 40 items: the item's detail, its crop
  (the page loaded from the PDF when not in memory) and the decision POST, one after
  another as if nothing had been loaded ahead (the page does load ahead);
- in headless Chromium (Debian's /usr/bin/chromium): `--keys` keystrokes through the
  queue, each timed by the page itself from the key's event to the next item's crop
  decoded on screen (the performance measure "review:key-to-item");
- the costs around it: loading the queue, the status, writing the CSVs again (which the
  server leaves to a child process at low priority, so that it does not slow the walk).

Target: under 100 ms from keystroke to next item. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import cv2
import numpy as np
import pypdfium2 as pdfium

from scanner.load import PageTask, enumerate_pages
from scanner.outputs import write_outputs
from scanner.render import page_raster
from scanner.results import Reason
from scanner.review.server import ReviewServer
from scanner.store import Store
from scanner.template import Template, load_template

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ITEM_DOUBT = 0.05
"""Share of items in review: 2.5 a sheet, an assumed, rather pessimistic rate (a long
queue is the harder case for the queue queries)."""
COMMENT_DOUBT = 0.03
PROGRAMME_DOUBT = 0.03
SERVER_ITEMS = 40
"""Items decided over plain HTTP before the browser takes the rest of the queue."""
ITEM_REASONS = [Reason.MULTIPLE, Reason.FAINT, Reason.AMBIGUOUS, Reason.LOW_CONFIDENCE, Reason.CANCELLED_ONLY]


def _transform(dpi: float) -> list[list[float]]:
    s = dpi / 25.4
    return [[s, 0.0, -0.5], [0.0, s, -0.5], [0.0, 0.0, 1.0]]  # pixel centres at integers


def build_rows(template: Template, sheets: int, rng: random.Random) -> tuple[list, list, dict]:
    """Results rows of every sheet, and which (sheet, form page) holds a doubt, in order."""
    results, sheet_rows, doubts = [], [], {}
    for n in range(sheets):
        sid = f"{template.form}-{n + 1:06d}"
        rows = []
        unknown = rng.random() < PROGRAMME_DOUBT
        rows.append(("programme", None, "" if unknown else "Programme A", "review" if unknown else "ok",
                     0.01 if unknown else 0.97, "COLOUR" if unknown else None,
                     {"colour": None if unknown else "yellow", "rgb": [250, 225, 175]}))
        for item in template.items:
            scores = {str(o.code): round(rng.uniform(0, 0.01), 4) for o in item.options}
            code = rng.choice(item.options).code
            scores[str(code)] = round(rng.uniform(0.15, 0.35), 4)
            status, reason, value = "ok", None, str(code)
            if rng.random() < ITEM_DOUBT:
                reason = rng.choice(ITEM_REASONS)
                status = "multiple" if reason is Reason.MULTIPLE else "review"
                value = "" if reason is Reason.MULTIPLE else value
                other = rng.choice([o.code for o in item.options if o.code != code])
                scores[str(other)] = round(rng.uniform(0.02, 0.3), 4)
            rows.append((item.id, item.page, value, status, 0.4 if reason else 0.95, reason.name if reason else None,
                         {"scores": scores, "mark_threshold": 0.045}))
        for zone in template.comments:
            written = rng.random() < COMMENT_DOUBT
            rows.append((zone.id, zone.page, "", "review" if written else "blank", 0.0 if written else 1.0,
                         "NOT_READ" if written else None, {"ink_mm2": 40.0 if written else 0.0}))
        for k, (item, page, value, status, conf, reason, evidence) in enumerate(rows):
            results.append((sid, item, k, page, value, status, conf, reason, json.dumps(evidence), None))
            if status != "ok" and status != "blank":
                doubts.setdefault(sid, set()).add(page or 1)
        sheet_rows.append(sid)
    return results, sheet_rows, doubts


def draw_pages(template: Template, needed: list[tuple[str, int]], dpi: int, pdf: Path, rng: random.Random) -> None:
    """One JPEG page per (sheet, form page) the walk reaches, on yellow paper, ticked at random."""
    tint = np.array([175 / 255, 225 / 255, 250 / 255])  # BGR
    rasters = {p: (page_raster(template, p, dpi) * tint).astype(np.uint8) for p in {page for _, page in needed}}
    s = dpi / 25.4
    w, h = (v / 25.4 * 72 for v in template.page_size_mm)
    doc = pdfium.PdfDocument.new()
    for _, page in needed:
        img = rasters[page].copy()
        for item in template.items_on(page):
            x, y, bw, bh = rng.choice(item.options).box_mm
            cv2.line(img, (int((x + 1) * s), int((y + bh - 1) * s)), (int((x + bw - 1) * s), int((y + 1) * s)),
                     (40, 40, 40), 3)
        data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
        # The JPEG goes in as it is (DCTDecode), as a scanner writes it.
        new_page = doc.new_page(w, h)
        image = pdfium.PdfImage.new(doc)
        image.load_jpeg(io.BytesIO(data), inline=True)
        image.set_matrix(pdfium.PdfMatrix().scale(w, h))
        new_page.insert_obj(image)
        new_page.gen_content()
    doc.save(str(pdf))
    doc.close()


def build_survey(template: Template, out: Path, sheets: int, reach: int, dpi: int, seed: int) -> int:
    """Insert a whole survey's rows, with page images for the first `reach` doubts;
    return how many items wait for review."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    results, sheet_ids, doubts = build_rows(template, sheets, rng)
    # The pages the walk reaches: those holding the first `reach` doubts (and a margin for
    # the pages the browser loads ahead).
    per_sheet = Counter(r[0] for r in results if r[5] not in ("ok", "blank"))
    needed, count = [], 0
    for sid in sheet_ids:
        needed += [(sid, p) for p in sorted(doubts.get(sid, ()))]
        count += per_sheet[sid]
        if count > reach + 10:
            break
    where = {key: k + 1 for k, key in enumerate(needed)}
    pdf = out.parent / "batch.pdf"
    draw_pages(template, needed, dpi, pdf, rng)
    hashes = {key: task.content_hash for key, task in zip(needed, enumerate_pages([pdf])) if isinstance(task, PageTask)}
    now = "2024-01-01T00:00:00+00:00"
    with Store(out) as store:
        db = store.db
        db.execute("BEGIN")
        store.set_meta("form", f"{template.form} {template.version}")
        page_rows, reading_rows, sheets_rows = [], [], []
        seq = 0
        for n, sid in enumerate(sheet_ids):
            page_hashes = {}
            for p in template.page_numbers:
                seq += 1
                found = hashes.get((sid, p))
                content_hash = found or hashlib.sha1(f"{sid}:{p}".encode()).hexdigest()[:16]
                page_in_pdf = where[(sid, p)] if found else seq
                page_hashes[str(p)] = content_hash
                page_rows.append((str(pdf), page_in_pdf, "used", sid, "", p, content_hash, str(pdf), seq, now))
                reading_rows.append((content_hash, "bench", json.dumps({"transform": _transform(dpi)})))
            sheets_rows.append((sid, str(pdf), n * 7 + 1, n + 1, "yellow", "Programme A", json.dumps([250, 225, 175]),
                                "[]", json.dumps(page_hashes), n + 1, now))
        db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", page_rows)
        db.executemany("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", reading_rows)
        db.executemany("INSERT INTO sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", sheets_rows)
        db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", results)
        db.execute("COMMIT")
        return db.execute("SELECT COUNT(*) FROM results WHERE status IN ('review', 'multiple')").fetchone()[0]


def _ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    v = sorted(values)
    pct = lambda q: v[min(len(v) - 1, round(q * (len(v) - 1)))]  # noqa: E731
    return (f"median {statistics.median(v):6.1f} ms  p90 {pct(0.9):6.1f}  p99 {pct(0.99):6.1f}  "
            f"max {v[-1]:6.1f}  (n={len(v)})")


class Client:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.prefix = parts.path
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        self.conn.request(method, self.prefix + path, data, headers)
        r = self.conn.getresponse()
        return r.status, r.read()


def server_side(server: ReviewServer, n: int) -> None:
    """Decide the queue's first `n` items over HTTP, timing each step."""
    client = Client(server.url)
    t0 = time.perf_counter()
    _, body = client.request("GET", "api/queue")
    queue = json.loads(body)
    print(f"  load the queue ({len(queue)} items):        {1000 * (time.perf_counter() - t0):6.1f} ms")
    t0 = time.perf_counter()
    client.request("GET", "api/status")
    print(f"  status (counts by reason, question):   {1000 * (time.perf_counter() - t0):6.1f} ms")
    post, detail, crop, step = [], [], [], []
    for entry in queue[:n]:
        t0 = time.perf_counter()
        _, body = client.request("GET", "api/item?" + urlencode({"sheet": entry["sheet_id"], "item": entry["item"]}))
        d = json.loads(body)
        t1 = time.perf_counter()
        status, _ = client.request("GET", d["crop_url"])
        t2 = time.perf_counter()
        client.request("POST", "api/decision", {"sheet_id": d["sheet_id"], "item": d["item"], "value": d["guess"],
                                                "reviewer": "bench", "seen": None})
        t3 = time.perf_counter()
        detail.append(1000 * (t1 - t0))
        crop.append(1000 * (t2 - t1))
        post.append(1000 * (t3 - t2))
        step.append(1000 * (t3 - t0))
    print(f"  item detail:                           {_ms(detail)}")
    print(f"  crop drawn (page loaded if not cached):{_ms(crop)}")
    print(f"  decision saved (POST):                 {_ms(post)}")
    print(f"  all three, nothing loaded ahead:       {_ms(step)}")


def browser_side(server: ReviewServer, keys: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  (playwright is not installed: no browser figures)")
        return
    if not Path(CHROMIUM).exists():
        print(f"  ({CHROMIUM} is missing: no browser figures)")
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(bypass_csp=True)
        page.add_init_script("localStorage.setItem('scanner-review-name', 'bench')")
        t0 = time.perf_counter()
        page.goto(server.url)
        page.wait_for_function("document.querySelector('#crop img') && document.querySelector('#crop img').complete")
        in_page = page.evaluate("performance.now()")
        print(f"  page open to first item shown:         {1000 * (time.perf_counter() - t0):6.1f} ms "
              f"({in_page:.0f} ms of it after navigation started)")
        walls = []
        for _ in range(keys):
            before = page.eval_on_selector("#item", "e => e.dataset.key")
            kind = page.eval_on_selector("#item", "e => e.dataset.kind")
            if kind == "comment":
                page.keyboard.press("Escape")
            t = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function("k => document.querySelector('#item').dataset.key !== k", arg=before)
            walls.append(1000 * (time.perf_counter() - t))
            page.wait_for_timeout(150)  # a quick reviewer's pace: the next items load meanwhile
        measured = page.evaluate("performance.getEntriesByName('review:key-to-item').map(e => e.duration)")
        browser.close()
    print(f"  keystroke to next item (in the page):  {_ms(measured)}")
    print(f"  same, seen from Playwright:            {_ms(walls)}")
    under = sum(m < 100 for m in measured)
    print(f"  under 100 ms: {under} of {len(measured)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=150)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    template = load_template(ROOT / "templates" / "surestart.yaml")
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        waiting = build_survey(template, out, args.sheets, SERVER_ITEMS + args.keys, args.dpi, args.seed)
        print(f"survey: {args.sheets} sheets, {args.sheets * (1 + len(template.items) + len(template.comments))} "
              f"results, {waiting} waiting for review; built in {time.perf_counter() - t0:.1f} s "
              f"(pages at {args.dpi} dpi)")
        with Store(out) as store:
            t0 = time.perf_counter()
            write_outputs(store, template, out)
            print(f"write the CSVs again (after decisions):  {1000 * (time.perf_counter() - t0):6.0f} ms "
                  f"(done by a child process at low priority, after a quiet spell)")
        server = ReviewServer(out, template)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            print("server, no browser (first items of the queue):")
            server_side(server, SERVER_ITEMS)
            print(f"browser, the next {args.keys} items, a keystroke each (Enter: accept the guess):")
            browser_side(server, args.keys)
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
