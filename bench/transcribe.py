"""Transcription benchmark: keystrokes to transcribe the comments OCR left for review.

    python bench/transcribe.py [--sheets 30] [--seed 7] [--comments 100] [--work DIR]

A synthetic batch (`scanner.synth`, handwritten and printed comments with their true
text) is scanned with OCR on; the review page's transcription view is opened in headless
Chromium (Debian's /usr/bin/chromium) and a scripted typist transcribes the first
`--comments` comments waiting for review, typing only what must change:

- the OCR text is right: Enter (the box starts with it);
- the words that are wrong are all among those marked unsure, as many words as the truth:
  Tab to each (Tab goes from one unsure word to the next, selected), type the word,
  taking a completion (right arrow) as soon as the one offered is the rest of the word;
- the words are right up to one marked unsure: Tab to it, Shift+Ctrl+End, type the rest;
- else: Ctrl+A and type the comment.

Typing takes a completion whenever the one offered (the rest of the word, or after a
space the next word) is what comes next, before a space or a punctuation mark (which the
page puts before the space the completion added).

Every key pressed counts one, a chord (Shift+letter, Ctrl+A) one as well. The figures
are compared with typing every comment from nothing (its characters and Enter). Time per
comment is read from the decision log (`decided_at` of consecutive decisions): the page's
own time per comment at machine speed, not a person's. Target: at most 30% of the
keystrokes of typing from nothing. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd
from playwright.sync_api import sync_playwright

from scanner.pipeline import scan
from scanner.review.server import ReviewServer
from scanner.store import Store
from scanner.synth import SynthOptions, generate
from scanner.template import load_template

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "surestart.yaml"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PUNCTUATION = ".,;:!?"
SELECTION = "(() => { const t = document.querySelector('#text'); return [t.selectionStart, t.selectionEnd]; })()"


def survey(work: Path, sheets: int, seed: int, template) -> Path:
    """The scanned batch in `work` (made once: generating and OCR take minutes)."""
    out = work / "out"
    if not (out / "survey.sqlite").exists():
        generate(template, work, sheets, seed, SynthOptions(dpis=(200,)))
        scan(sorted(work.glob("*.pdf")), template, out, jobs=2, ocr=True)
    return out


def truths(work: Path, out: Path) -> dict[tuple[str, str], str]:
    """The true text of each comment, by the store's (sheet id, zone)."""
    truth = pd.read_csv(work / "truth" / "responses.csv", dtype=str, keep_default_na=False)
    by_page = {(r["source"], int(r["first_page"])): r for _, r in truth.iterrows()}
    with Store(out) as store:
        sheets = store.db.execute("SELECT sheet_id, source, first_page FROM sheets").fetchall()
    found = {}
    for sheet_id, source, first_page in sheets:
        row = by_page.get((Path(source).name, int(first_page)))
        if row is not None:
            found.update({(sheet_id, c): row[c] for c in truth.columns if c.endswith("_comment") or c == "role_detail"})
    return found


class Typist:
    """Presses keys in the transcription view and counts them."""

    def __init__(self, page):
        self.page = page
        self.keys = 0

    def press(self, key: str) -> None:
        """A named key or chord: "Enter", "Tab", "Control+a"."""
        self.keys += 1
        self.page.keyboard.press(key)

    def char(self, c: str) -> None:
        """One character, as its key (with Shift when it needs it)."""
        self.keys += 1
        self.page.keyboard.type(c)

    def completion(self) -> str:
        return self.page.evaluate("state.completion")

    def type_word(self, word: str) -> None:
        """Type `word` over the word selected, taking the completion once it is the rest
        of the word (a space follows already, so none is added)."""
        k = 0
        while k < len(word):
            rest = word[k:]
            offered = self.completion()
            if offered and rest.startswith(offered) and all(c in PUNCTUATION for c in rest[len(offered):]):
                self.press("ArrowRight")
                for c in rest[len(offered):]:
                    self.char(c)
                return
            self.char(rest[0])
            k += 1

    def type_text(self, text: str) -> None:
        """Type `text` from the caret, word by word, taking completions that fit (a
        completion brings its space after, so it fits when a space follows in `text`)."""
        k = 0
        while k < len(text):
            offered = self.completion()
            ahead = text[k:]
            after = ahead[len(offered):len(offered) + 2] if offered and ahead.startswith(offered) else None
            if after is not None and after[:1] in (" ", ""):
                self.press("ArrowRight")
                k += len(offered) + 1
                continue
            if after is not None and after[:1] in PUNCTUATION and after[1:] in (" ", ""):
                self.press("ArrowRight")  # the page puts the punctuation before the space it added
                self.char(after[0])
                k += len(offered) + 2
                continue
            self.char(ahead[0])
            k += 1

    def fix_unsure(self, truth: str, unsure: set[str]) -> bool:
        """Tab to each wrong word and retype it, when that can make the text right."""
        value = self.page.input_value("#text")
        have, want = value.split(), truth.split()
        if len(have) != len(want) or " ".join(have) != value:
            return False
        wrong = [k for k, (h, w) in enumerate(zip(have, want)) if h != w]
        if not all(have[k] in unsure for k in wrong):
            return False
        for k in wrong:
            current = self.page.input_value("#text")
            start = sum(len(w) + 1 for w in current.split()[:k])
            for _ in range(len(have) + 1):
                self.press("Tab")
                if self.page.evaluate(SELECTION)[0] == start:
                    break
            else:
                return False
            self.type_word(want[k])
        return self.page.input_value("#text").rstrip() == truth  # the page saves it without the space after

    def retype_from_unsure(self, truth: str, unsure: set[str]) -> bool:
        """Keep the words that are right up to the first wrong one, when that one is
        marked unsure: Tab to it, select to the end (Shift+Ctrl+End), type the rest."""
        value = self.page.input_value("#text")
        have, want = value.split(), truth.split()
        right = next((k for k, (h, w) in enumerate(zip(have, want)) if h != w), min(len(have), len(want)))
        kept = " ".join(want[:right]) + " "
        if right == 0 or right >= len(have) or have[right] not in unsure or not value.startswith(kept):
            return False
        for _ in range(len(have) + 1):
            self.press("Tab")
            if self.page.evaluate(SELECTION)[0] == len(kept):
                break
        else:
            return False
        self.press("Shift+Control+End")
        self.type_text(truth[len(kept):])
        return True

    def transcribe(self, truth: str, guess: str, unsure: set[str]) -> str:
        """Make the box hold `truth` and save it; how it was done."""
        if self.page.input_value("#text") == truth:
            how = "same as OCR"
        elif self.fix_unsure(truth, unsure):
            how = "unsure words"
        elif self.retype_from_unsure(truth, unsure):
            how = "kept the start"
        else:
            self.press("Control+a")
            self.type_text(truth)
            how = "typed"
        self.press("Enter")
        return how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--comments", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("/tmp/scanner-bench-transcribe"))
    args = parser.parse_args()
    template = load_template(TEMPLATE)
    scanned = survey(args.work, args.sheets, args.seed, template)
    truth = truths(args.work, scanned)
    run = Path(tempfile.mkdtemp(prefix="transcribe-"))
    out = Path(shutil.copytree(scanned, run / "out"))  # each run starts from the scan, no decisions

    server = ReviewServer(out, template)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(bypass_csp=True)  # wait_for_function evaluates strings
            page.goto(server.login_url())
            page.fill("#name-input", "Typist")
            page.press("#name-input", "Enter")
            page.wait_for_function("document.querySelector('#item').dataset.key")
            page.keyboard.press("Shift+T")
            page.wait_for_function("state.mode === 'transcribe' && document.querySelector('#item').dataset.key")
            typist = Typist(page)
            while len(rows) < args.comments:
                key = page.eval_on_selector("#item", "e => e.dataset.key")
                if not key:
                    break
                sheet_id, item = key.split("/")
                text = truth.get((sheet_id, item))
                if text is None:  # a comment on a page the truth does not know: leave it
                    page.keyboard.press("Escape")
                    page.keyboard.press("ArrowRight")
                    page.wait_for_function("k => document.querySelector('#item').dataset.key !== k", arg=key)
                    continue
                guess = page.evaluate("state.current.guess || ''")
                unsure = set(page.eval_on_selector_all("#ocr mark", "ms => ms.map(m => m.textContent)"))
                before = typist.keys
                how = typist.transcribe(text, guess, unsure)
                page.wait_for_function("k => document.querySelector('#item').dataset.key !== k", arg=key)
                rows.append({"key": key, "chars": len(text), "keys": typist.keys - before, "how": how})
            browser.close()
        server.app.flush()
    finally:
        server.shutdown()
        server.server_close()
    report(rows, out, truth)
    shutil.rmtree(run)


def report(rows: list[dict], out: Path, truth: dict) -> None:
    with Store(out) as store:
        log = store.db.execute("SELECT sheet_id, item, value, decided_at FROM decisions WHERE reviewer = 'Typist' "
                               "ORDER BY id").fetchall()
    wrong = sum(value != truth.get((s, i)) for s, i, value, _ in log)
    times = [datetime.fromisoformat(b[3]) - datetime.fromisoformat(a[3]) for a, b in zip(log, log[1:])]
    seconds = [t.total_seconds() for t in times]
    frame = pd.DataFrame(rows)
    keys, chars = int(frame["keys"].sum()), int(frame["chars"].sum())
    scratch = chars + len(frame)  # every character, and Enter
    print(f"comments transcribed: {len(frame)} ({wrong} saved text differs from the truth)")
    print(frame.groupby("how").agg(comments=("keys", "size"), keys=("keys", "sum"), chars=("chars", "sum"))
          .to_string())
    print(f"keystrokes: {keys} for {chars} characters: {keys / len(frame):.1f} per comment, "
          f"{keys / chars:.3f} per character")
    print(f"typing from nothing: {scratch} ({scratch / len(frame):.1f} per comment)")
    print(f"keystrokes against typing from nothing: {100 * keys / scratch:.1f}% (target: at most 30%)")
    for s, i, value, _ in log:
        if value != truth.get((s, i)):
            print(f"  {s}/{i}: saved {value!r}, true {truth.get((s, i))!r}")
    if seconds:
        print(f"time per comment from the decision log: median {statistics.median(seconds):.2f} s, "
              f"mean {statistics.mean(seconds):.2f} s (scripted typist, machine speed)")


if __name__ == "__main__":
    main()
