"""The `scan` and `scanner` commands: help, exit codes, re-runs, and the installed script.

Exit codes (scanner.errors.ExitCode): 0 every input read (blank and unrecognised pages
are accounted for, not failures); 1 some file or page could not be read; 2 bad usage;
3 bad template; 4 a missing program (tesseract), with the command that installs it;
6 the out folder cannot be written (disk full, read-only).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import typer
from review_survey import DPI, PEACH, YELLOW, draw_sheet, write_pdf
from typer.testing import CliRunner

from scanner.cli import app
from scanner.errors import ExitCode, OutputError
from scanner.pipeline import scan
from scanner.render import page_raster
from scanner.review import queue as q

runner = CliRunner()
BIN = Path(sys.executable).parent
SCAN = BIN / "scan"
installed = pytest.mark.skipif(not SCAN.exists(), reason="the package is not installed in this Python")


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _commands(command, path=()):
    for name, sub in getattr(command, "commands", {}).items():
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


COMMANDS = [((), typer.main.get_command(app))] + list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) or "scanner" for p, _ in COMMANDS])
def test_every_command_has_help(path, command):
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\n Usage:") or "Usage:" in result.stdout
    first_line = command.help.split("\n")[0].replace("`", "").replace("*", "").strip()
    assert first_line and first_line[:30] in " ".join(result.stdout.split())


def test_scan_help_gives_the_exit_codes():
    text = " ".join(run("scan", "--help").stdout.split())
    assert "Exit codes: 0 all read; 1 some files or pages could not be read; 2 bad usage;" in text


def test_scan_without_files_is_a_usage_error():
    result = run("scan")
    assert result.exit_code == ExitCode.USAGE
    assert "Missing argument 'FILES'" in result.stderr


def test_missing_template_file_exits_3(filled, tmp_path):
    result = run("scan", filled.png, "--template", tmp_path / "nope.yaml", "--out", tmp_path / "out", "--no-ocr")
    assert result.exit_code == ExitCode.TEMPLATE
    assert result.stderr.splitlines() == [f"error: {tmp_path / 'nope.yaml'}: no such template file"]
    assert not (tmp_path / "out").exists()


def test_invalid_template_exits_3(filled, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("form: x\nversion: '1'\nscales: {}\npages: []\n", encoding="utf-8")
    result = run("scan", filled.png, "--template", bad, "--out", tmp_path / "out", "--no-ocr")
    assert result.exit_code == ExitCode.TEMPLATE
    assert result.stderr.startswith("error: invalid template")
    assert f"{bad}: pages: List should have at least 1 item" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_programme_exits_2_with_the_choices(filled, tmp_path):
    result = run("scan", filled.png, "--programme", "Programme Z", "--out", tmp_path / "out", "--no-ocr")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("error: --programme 'Programme Z' is not a programme of form surestart-multiagency")
    assert "choose one of: Agency-wide (Lead Agency / Accountable Body), Programme A, Programme B" in result.stderr


def test_programme_is_matched_without_case(filled, tmp_path):
    out = tmp_path / "out"
    result = run("scan", filled.png, "--programme", "programme b", "--out", out, "--no-ocr", "-j", "1")
    assert result.exit_code == ExitCode.OK, result.output
    assert list(read_csv(out / "responses.csv")["programme"]) == ["Programme B"]


def test_rescan_into_the_same_folder_is_identical_and_reuses_readings(filled, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((1754, 1240), 255, np.uint8))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n")
    out = tmp_path / "out"
    args = ["scan", filled.pdf, blank, tmp_path / "broken.pdf", "--out", out, "--no-ocr", "-j", "1", "--json"]
    first = run(*args)
    assert first.exit_code == ExitCode.INPUTS_FAILED
    csvs = {name: (out / name).read_bytes() for name in ("responses.csv", "items.csv", "pages.csv")}
    second = run(*args)
    assert second.exit_code == ExitCode.INPUTS_FAILED
    assert {name: (out / name).read_bytes() for name in csvs} == csvs
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert before["reused_pages"] == 0
    assert after["reused_pages"] == 8  # 7 pages and the blank; the broken file is tried again
    assert after["failed"] == before["failed"] == [f"{tmp_path / 'broken.pdf'}: not a readable PDF: "
                                                   "corrupt, truncated, or without any page"]
    assert len(read_csv(out / "responses.csv")) == 1


def test_a_file_named_twice_is_read_once_and_the_summary_says_it_was_named_twice(filled, tmp_path):
    # It said "X is the same file as X: read once", which does not say what happened.
    out = tmp_path / "out"
    result = run("scan", filled.png, filled.png, "--out", out, "--no-ocr", "-j", "1")
    assert result.exit_code == ExitCode.OK, result.output
    assert f"{filled.png} is named twice: read once" in result.stderr
    assert "is the same file as" not in result.stderr
    assert len(read_csv(out / "pages.csv")) == 1


def test_a_batch_saved_under_an_old_file_name_is_told_in_the_summary_and_the_json(template, tmp_path):
    # A station wrote every batch as scan.pdf: day 2's batch replaced day 1's
    # questionnaires in every output, exit 0, and nothing said so.
    rasters = {p: page_raster(template, p, DPI) for p in template.page_numbers}
    day1, day2 = (draw_sheet(template, rasters, colour, doubts=False) for colour in (YELLOW, PEACH))
    batch, out = write_pdf(tmp_path / "scan.pdf", day1, template.page_size_mm), tmp_path / "out"
    args = ("scan", batch, "--out", out, "--no-ocr", "-j", "1")
    assert "replaced" not in run(*args).stderr
    write_pdf(batch, day2, template.page_size_mm)
    console = run(*args)
    assert console.exit_code == ExitCode.OK, console.output
    told = " ".join(console.stderr.split())
    assert f"replaced: {batch} holds none of the pages of the 1 questionnaire read from it before" in told
    write_pdf(batch, day1, template.page_size_mm)
    again = run(*args, "--json")
    assert again.exit_code == ExitCode.OK, again.output
    (line,) = json.loads(again.stdout)["replaced_files"]
    assert line.startswith(f"{batch} holds none") and "pages_gone" in line
    assert json.loads(run(*args, "--json").stdout)["replaced_files"] == []  # the same file again: nothing


def _review_all(out: Path, template) -> int:
    """Decide every item waiting for review, as a reviewer would; how many were decided."""
    fields = q.Fields(template)
    with q.open_survey(out, template) as store:
        entries = q.waiting(store, fields)
        for e in entries:
            value = {"item": lambda: str(fields.codes(e.item)[0]), "comment": lambda: "More joint training please",
                     "programme": lambda: fields.programmes[0]}[e.kind]()
            q.record_decision(store, fields, e.sheet_id, e.item, value, "Ada", e.decision_id)
    return len(entries)


def _queue_of(out: Path, template) -> dict[str, int]:
    """What `scanner review --status` counts waiting, by reason."""
    return {r["reason"]: r["count"] for r in q.queue_status(out, template)["by_reason"]}


def test_the_summary_of_a_scan_again_counts_what_waits_for_review_now(template, tmp_path):
    # Every flagged item decided, a scan again into the same folder still said "to review
    # (N): scanner review OUT" with the scan's own flags, and programmes before review;
    # after a page was scanned again, it never named the decisions that came back.
    rasters = {p: page_raster(template, p, DPI) for p in template.page_numbers}
    jpegs = draw_sheet(template, rasters, YELLOW, doubts=True) + draw_sheet(template, rasters, PEACH, doubts=False)
    batch, out = write_pdf(tmp_path / "batch.pdf", jpegs, template.page_size_mm), tmp_path / "out"
    args = ("scan", batch, "--out", out, "--no-ocr", "-j", "1")

    def summary() -> dict:
        result = run(*args, "--json")
        assert result.exit_code == ExitCode.OK, result.output
        told = json.loads(result.stdout)
        responses = read_csv(out / "responses.csv")
        assert told["programmes"] == dict(responses["programme"].replace("", "(unknown)").value_counts())
        assert told["flagged"] == _queue_of(out, template)  # this run's questionnaires are the survey's
        return told

    first = summary()
    assert first["flagged"] and first["reviewed"] == 0
    decided = _review_all(out, template)
    assert decided == sum(first["flagged"].values())
    again = summary()
    assert again["flagged"] == {} and again["reviewed"] == decided
    console = run(*args)
    assert "to review" not in console.stderr and f"{decided} items settled in review" in console.stderr
    # Page 1 scanned again (another JPEG of the same paper): its decisions come back, named so.
    page1 = cv2.imdecode(np.frombuffer(jpegs[0], np.uint8), cv2.IMREAD_COLOR)
    write_pdf(batch, [cv2.imencode(".jpg", page1, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()] + jpegs[1:],
              template.page_size_mm)
    items = read_csv(out / "items.csv")
    on_page1 = items[(items.sheet_id == items.sheet_id.iloc[0]) & (items.page == "1.0")
                     & (items.status == "reviewed")]
    stale = summary()
    assert stale["flagged"].get("STALE") == len(on_page1) > 0
    assert stale["reviewed"] == decided - len(on_page1)
    console = run(*args)
    assert f"to review ({sum(stale['flagged'].values())}): scanner review" in " ".join(console.stderr.split())
    assert "the page was scanned again since this was reviewed" in " ".join(console.stderr.split())


def test_scan_takes_verbose_as_its_own_option(filled, tmp_path):
    # `scan --verbose` (the README's spelling) was refused: --verbose belonged to `scanner`.
    result = run("scan", "-v", filled.png, "--programme", "nope", "--out", tmp_path / "out", "--no-ocr")
    assert result.exit_code == ExitCode.USAGE
    assert "Traceback" in result.stderr


def test_default_out_folder_is_scan_results(filled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("scan", filled.png, "--no-ocr", "-j", "1", "--quiet")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.output == ""
    assert (tmp_path / "scan-results" / "responses.csv").exists()


# --- an out folder that cannot be written ----------------------------------------------

@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    """A small tmpfs mounted at `path` (needs root); the test is skipped where mounting is refused."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


@contextlib.contextmanager
def read_only(path: Path):
    """`path` as a read-only folder: by permissions, or for root (whom they do not stop) a read-only mount."""
    if os.geteuid() != 0:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    with tmpfs(path, "ro,size=64k"):
        yield path


@pytest.mark.parametrize("folder", ["crops", "."])
def test_read_only_out_folder_is_its_own_error(commented, tmp_path, folder):
    # Writing a comment's crop into a read-only crops/ was "internal error ... please report it", exit 70.
    out = tmp_path / "out"
    with read_only(out / folder):
        result = run("scan", commented, "--out", out, "--no-ocr", "-j", "1", "--quiet")
    assert result.exit_code == ExitCode.OUTPUT, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot write the survey in {out}: ")
    assert line.endswith("; make space or choose another --out folder, then scan again (pages already stored "
                         "are kept)")


def test_full_disk_is_its_own_error(filled, template, tmp_path):
    # A full disk was "internal error ... please report it", exit 70.
    with tmpfs(tmp_path / "disk", "size=1m") as disk:
        def fill_the_disk(progress):
            if progress.done == 1:
                with contextlib.suppress(OSError), (disk / "filler").open("wb") as f:
                    while True:
                        f.write(bytes(65536))

        with pytest.raises(OutputError) as error:
            scan([filled.pdf], template, disk / "out", jobs=1, ocr=False, progress=fill_the_disk)
    assert error.value.exit_code == ExitCode.OUTPUT
    assert str(error.value).startswith(f"cannot write the survey in {disk / 'out'}: ")
    assert "database or disk is full" in str(error.value) or "No space left on device" in str(error.value)


# --- the installed console script ------------------------------------------------------

@installed
def test_missing_tesseract_exits_4_with_the_install_command(filled, tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    # Neither the command nor a model for the in-process engine.
    env = {k: v for k, v in os.environ.items() if k != "PATH"} | {"PATH": str(empty_bin),
                                                                   "TESSDATA_PREFIX": str(empty_bin)}
    result = subprocess.run([str(SCAN), str(filled.png), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == ExitCode.MISSING_DEPENDENCY, result.stderr
    assert "Traceback" not in result.stderr
    assert "tesseract is not installed" in result.stderr
    assert "sudo apt-get install tesseract-ocr" in result.stderr
    assert not (tmp_path / "out").exists()  # it stopped before any work


@installed
def test_installed_scan_reads_a_batch(filled, tmp_path):
    blank = tmp_path / "back.png"
    cv2.imwrite(str(blank), np.full((1754, 1240, 3), 255, np.uint8))
    broken = tmp_path / "broken.tiff"
    broken.write_bytes(b"II*\x00" + bytes(100))
    out = tmp_path / "out"
    result = subprocess.run([str(SCAN), str(filled.pdf), str(blank), str(broken), "--out", str(out), "--no-ocr",
                             "-j", "2", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == ExitCode.INPUTS_FAILED, result.stderr
    # stderr: the one line naming the bad file, no traceback and no decoder chatter from OpenCV.
    assert result.stderr.splitlines() == [f"failed: {broken}: not a readable TIFF image"]
    summary = json.loads(result.stdout)  # stdout carries only the JSON
    assert summary["sheets"] == 1 and summary["pages"] == {"used": 7, "blank": 1, "error": 1}
    row = read_csv(out / "responses.csv").iloc[0]
    assert row["source"] == str(filled.pdf) and row["first_page"] == "1"
    assert {item: int(row[item]) for item in filled.answers} == filled.answers
    assert list(read_csv(out / "pages.csv")["status"]) == ["used"] * 7 + ["blank", "error"]


@installed
def test_installed_scan_is_scanner_scan():
    result = subprocess.run([str(SCAN), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Usage: scan [OPTIONS] [FILES]..." in result.stdout  # not "scan scan"; FILES or --watch
    assert "Read scanned questionnaires" in result.stdout
