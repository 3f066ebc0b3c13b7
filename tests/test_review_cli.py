"""`scanner review`: the queue in the terminal (--status), and the server as a command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from review_survey import cached_survey, copy_survey
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _ctrl_c_heard() -> None:
    """Ctrl+C reaches the command as it does from a terminal: a suite started in the
    background by a shell (`make test &`) ignores it, and so would every child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


def test_status_prints_the_queue_by_reason_and_question(out):
    result = CliRunner().invoke(app, ["review", str(out), "--status"])
    assert result.exit_code == 0, result.output
    assert "4 items wait for review; 0 decided so far." in result.stdout
    assert "MULTIPLE: more than one box marked" in result.stdout
    assert "By question" in result.stdout and "1: 2" in result.stdout


def test_status_as_json(out):
    result = CliRunner().invoke(app, ["review", str(out), "--status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["waiting"] == 4 and {r["reason"] for r in data["by_reason"]} == {"MULTIPLE", "ERASED", "NOT_READ",
                                                                                  "COLOUR"}


def test_json_without_status_is_a_usage_error(out):
    result = CliRunner().invoke(app, ["review", str(out), "--json"])
    assert result.exit_code == 2 and "--status" in result.stderr


def test_a_folder_without_a_survey_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["review", str(tmp_path), "--status"])
    assert result.exit_code == 2 and "run `scan" in result.stderr
    assert not (tmp_path / "survey.sqlite").exists()


def test_the_command_serves_until_ctrl_c_and_the_csvs_keep_every_decision(out):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from scanner.cli import main; main()", "review", str(out), "--no-browser"]
    # Its own process group, so that Ctrl+C can be sent to it as a terminal does: to the group.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                            start_new_session=True, preexec_fn=_ctrl_c_heard)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/queue", timeout=10) as r:
            first = json.load(r)[0]
        body = {"sheet_id": first["sheet_id"], "item": first["item"], "value": "", "reviewer": "Ann", "seen": None}
        request = urllib.request.Request(url + "api/decision", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 200
        time.sleep(1.0)  # the CSV writer has started, or is starting
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        errors = proc.stderr.read()
        assert "stopped" in errors and "Traceback" not in errors
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    items = pd.read_csv(out / "items.csv", dtype=str).set_index(["sheet_id", "item"])
    assert items.loc[(first["sheet_id"], first["item"]), "status"] == "reviewed"


def test_the_browser_is_opened_on_a_one_time_address_not_the_token(out, tmp_path):
    # A "browser" that only notes its command line: what any user of the machine can read.
    seen = tmp_path / "argv.txt"
    browser = tmp_path / "browser"
    browser.write_text(f"#!{sys.executable}\nimport sys\nopen({str(seen)!r}, 'w').write(sys.argv[1])\n")
    browser.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BROWSER": str(browser)}
    command = [sys.executable, "-c", "from scanner.cli import main; main()", "review", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT,
                            start_new_session=True, preexec_fn=_ctrl_c_heard)
    try:
        token_url = proc.stdout.readline().strip()
        deadline = time.monotonic() + 20
        while not seen.exists() or not seen.read_text():
            assert time.monotonic() < deadline, "the browser was not started"
            time.sleep(0.05)
        opened = seen.read_text()
        token = token_url.rstrip("/").rsplit("/", 1)[1]
        assert "/login?code=" in opened and token not in opened
        base = opened.split("/login")[0]
        browser_session = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser_session.open(opened, timeout=10) as r:  # redirected to the page, the cookie kept
            assert r.geturl() == base + "/" and b"review.js" in r.read()
        with browser_session.open(base + "/api/status", timeout=10) as r:
            assert json.load(r)["waiting"] == 4
        with pytest.raises(urllib.error.HTTPError) as refused:  # spent: another user is too late
            urllib.request.urlopen(opened, timeout=10)
        assert refused.value.code == 403
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)


def test_the_readme_explains_review():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Reviewing what the scan is unsure of" in text and "scanner review" in text
