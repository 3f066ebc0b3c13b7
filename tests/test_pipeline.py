"""The whole scan on generated batches with ground truth: fixed and fresh random seeds,
re-runs that reuse the store, and a run killed half-way then completed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import scanner
from scanner.evaluate import evaluate
from scanner.pipeline import scan
from scanner.synth import SynthOptions, generate

FRESH_SEED = int.from_bytes(os.urandom(3), "big")


def _scan_and_check(template, tmp_path: Path, seed: int, count: int, jobs: int) -> Path:
    batch = generate(template, tmp_path / "batch", count=count, seed=seed, options=SynthOptions(per_file=3))
    out = tmp_path / "out"
    summary = scan([str(p) for p in batch.files], template, out, jobs=jobs, ocr=False)
    ev = evaluate(out, batch.truth_dir)
    report = f"seed {seed}:\n" + "\n".join(ev.lines())
    assert summary.ok, report
    assert ev.sheets.whole == ev.sheets.truth == count, report
    assert ev.pages.accounted == ev.pages.truth and ev.pages.status_right == ev.pages.truth, report
    assert ev.silent_errors == 0, report  # items, programmes and comments
    assert ev.written_right == ev.comments.scored, report
    return out


def test_fixed_seed_batch_is_read_with_no_silent_errors(template, tmp_path):
    _scan_and_check(template, tmp_path, seed=20261126, count=5, jobs=2)


def test_fresh_seed_batch_is_read_with_no_silent_errors(template, tmp_path):
    _scan_and_check(template, tmp_path, seed=FRESH_SEED, count=4, jobs=1)


def _csvs(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(out / name, dtype=str, keep_default_na=False)
            for name in ("responses.csv", "items.csv", "pages.csv")}


@pytest.fixture(scope="module")
def small_batch(template, tmp_path_factory):
    return generate(template, tmp_path_factory.mktemp("batch"), count=4, seed=77,
                    options=SynthOptions(per_file=4, duplex_blank_share=0.0, cover_letter_share=0.0))


@pytest.fixture(scope="module")
def small_scan(template, small_batch, tmp_path_factory):
    """The small batch scanned once, from nothing, for this module's tests: its summary
    and its out folder (never to be changed: copy it)."""
    out = tmp_path_factory.mktemp("small-scan") / "out"
    return scan([str(p) for p in small_batch.files], template, out, jobs=1, ocr=False), out


def test_rerun_reuses_every_page_and_changes_nothing(template, tmp_path, small_batch, small_scan):
    files = [str(p) for p in small_batch.files]
    first, scanned = small_scan
    shutil.copytree(scanned, tmp_path / "out")
    before = _csvs(tmp_path / "out")
    second = scan(files, template, tmp_path / "out", jobs=1, ocr=False)
    assert first.reused == 0 and second.reused == sum(second.pages.values())
    after = _csvs(tmp_path / "out")
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def _pages_stored(store: Path) -> int:
    try:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_scan_leaves_a_consistent_store_and_a_rerun_completes_it(template, tmp_path, small_batch, small_scan):
    files = [str(p) for p in small_batch.files]
    _, clean = small_scan
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "scanner.cli", "scan", *files, "--out", str(out), "--jobs", "1", "--no-ocr",
               "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _pages_stored(out / "survey.sqlite") < 6 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the scan finished before it could be killed: make the batch bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(out / "survey.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    total = sum(1 for _ in pd.read_csv(clean / "pages.csv").itertuples())
    assert 0 < stored < total
    summary = scan(files, template, out, jobs=1, ocr=False)
    assert summary.reused >= stored - 1
    for name, df in _csvs(clean).items():
        pd.testing.assert_frame_equal(df, _csvs(out)[name])


def test_a_stored_reading_is_the_json_asdict_gave_and_reads_back_the_same(commented, template):
    # The reading's JSON is spelt out field by field for speed: a field added to a
    # reading's dataclasses and not to the JSON would be lost from the store.
    import json
    from dataclasses import asdict

    from scanner.load import enumerate_pages
    from scanner.marks import page_marks
    from scanner.ocr import make_engine
    from scanner.reader import PageReader
    from scanner.store import _result_from_json, encode_reading

    result = PageReader(template, make_engine(True)).read(next(enumerate_pages([commented])))
    assert result.comments and any(c.crop for c in result.comments)
    expected = asdict(result)
    # What the worker tells of its page for its sheet's decision is not kept: worked out
    # again from the stored reading, it is what the worker told. Nor its sheet's decision
    # by a cluster's worker: stored with the sheet. Nor how its boxes travelled (`elided`).
    assert result.marks == page_marks(result.items)
    del expected["encoded"], expected["marks"], expected["decided"], expected["elided"], expected["paper"]["nearest"]
    for reading in expected["comments"]:
        reading["crop"] = None
    assert encode_reading(result) == json.dumps(expected)
    text = encode_reading(result)
    assert encode_reading(_result_from_json(text)) == text


def test_a_change_of_the_reading_code_reads_the_pages_again(filled, template_path, tmp_path):
    # Readings were reused while the template, the OCR and __version__ were the same: a
    # checkout whose reading code had changed within one version kept the old readings.
    code = tmp_path / "code"
    shutil.copytree(Path(scanner.__file__).parent, code / "scanner", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"

    def reused() -> int:
        # Run from elsewhere: `python -m` puts the working folder, this checkout, first.
        done = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(filled.png), "--out", str(out),
                               "--template", str(template_path), "--no-ocr", "-j", "1", "--json"],
                              capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(code)},
                              check=True)
        return json.loads(done.stdout)["reused_pages"]

    assert reused() == 0
    with open(code / "scanner" / "marks.py", "a") as f:
        f.write("\n# a change of the code that reads a page\n")
    assert reused() == 0
    with open(code / "scanner" / "outputs.py", "a") as f:
        f.write("\n# a change of code that reads no page\n")
    assert reused() == 1


def test_the_objects_alive_before_the_scan_are_set_aside_from_collections_while_it_runs_only(
        filled, template, tmp_path):
    # Two full collections over every object of the libraries cost the parent of a
    # 1,050-page cluster scan a thirteenth of its CPU; kept aside after the scan, the
    # garbage of whatever ran before it would never be collected.
    import gc

    frozen = []
    summary = scan([str(filled.png)], template, tmp_path / "out", ocr=False, jobs=1,
                   progress=lambda progress: frozen.append(gc.get_freeze_count()))
    assert summary.ok and frozen and min(frozen) > 0
    assert gc.get_freeze_count() == 0
    # Set aside by the caller (a server before it forks): so they stay.
    gc.freeze()
    try:
        theirs = gc.get_freeze_count()
        scan([str(filled.png)], template, tmp_path / "out", ocr=False, jobs=1)
        assert gc.get_freeze_count() == theirs
    finally:
        gc.unfreeze()
