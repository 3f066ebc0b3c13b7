"""`scanner review`: the queue in the terminal (--status), and the server as a command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from review_survey import cached_survey, copy_survey
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parent.parent


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
    assert data["waiting"] == 4 and {r["reason"] for r in data["by_reason"]} == {"MULTIPLE", "FAINT", "NOT_READ",
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
                            start_new_session=True)
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


def test_the_readme_explains_review():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Reviewing what the scan is unsure of" in text and "scanner review" in text
