"""A decision answered 200 is in the store for good: whatever was asked of the server
before, and even when the server is killed outright (kill -9) right after."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from review_survey import CSV_WAIT_S, cached_survey, copy_survey

from scanner.store import Store

ROOT = Path(__file__).resolve().parent.parent
STORE_PATHS = ["files/survey.sqlite", "files/survey.sqlite-wal", "files/survey.sqlite-shm"]
"""Asked between decisions: reading the store's files in the server process used to drop
SQLite's locks there, so that the CSV writer deleted the live WAL."""


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


def _fetch(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _csvs_written(out: Path, since: int) -> None:
    """Wait for the server's CSV writer to write items.csv again (a moment after a decision)."""
    deadline = time.monotonic() + CSV_WAIT_S
    while (out / "items.csv").stat().st_mtime_ns == since:
        assert time.monotonic() < deadline, "the CSVs were not written again after a decision"
        time.sleep(0.05)


def _decide(url: str, entry: dict, code: str, confirmed: dict) -> None:
    """Decide an item (over the last decision on it, if any); note the answer."""
    key = (entry["sheet_id"], entry["item"])
    value = "" if entry["item"] == "programme" else code
    status, body = _fetch(url + "api/decision", {"sheet_id": key[0], "item": key[1], "value": value,
                                                 "reviewer": "Ann", "seen": confirmed.get(key, (None,))[0]})
    assert status == 200, body
    confirmed[key] = (json.loads(body)["id"], value)


@contextlib.contextmanager
def _server(out: Path, stderr: int = subprocess.DEVNULL) -> Iterator[subprocess.Popen]:
    """`scanner review` on `out` in a process of its own, killed at the end if still running."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from scanner.cli import main; main()", "review", str(out), "--no-browser"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_no_request_loses_a_confirmed_decision_even_when_the_server_is_killed(out):
    confirmed = {}
    with _server(out) as proc:
        url = proc.stdout.readline().strip()
        queue = json.loads(_fetch(url + "api/queue")[1])
        for k, path in enumerate([*STORE_PATHS, None]):
            before = (out / "items.csv").stat().st_mtime_ns
            _decide(url, queue[k % len(queue)], str(1 + k % 2), confirmed)
            if path is not None:
                _fetch(url + path)  # refused now; what matters is what it does to the decisions
            _csvs_written(out, before)
        items = pd.read_csv(out / "items.csv", dtype=str, keep_default_na=False).set_index(["sheet_id", "item"])
        for key, (_, value) in confirmed.items():
            assert (items.loc[key, "status"], items.loc[key, "value"]) == ("reviewed", value), key
        _decide(url, queue[0], "3", confirmed)  # answered, and killed before the CSVs are written
        os.killpg(proc.pid, signal.SIGKILL)  # no goodbye: what is not in the store now is lost
        proc.wait(timeout=30)
    with Store(out) as store:
        saved = {(r["sheet_id"], r["item"]): (r["id"], r["value"]) for r in store.db.execute(
            "SELECT * FROM decisions WHERE id IN (SELECT MAX(id) FROM decisions GROUP BY sheet_id, item)")}
    assert saved == confirmed


def _stopped_after_a_decision(out: Path, stop: Callable[[subprocess.Popen], None]) -> str:
    """Start the server, decide an item, `stop` the server and wait for it to end; check
    that it ended well and that items.csv shows the decision. Its stderr ('' if closed)."""
    confirmed = {}
    with _server(out, stderr=subprocess.PIPE) as proc:
        url = proc.stdout.readline().strip()
        entry = json.loads(_fetch(url + "api/queue")[1])[0]
        _decide(url, entry, "2", confirmed)
        stop(proc)
        proc.wait(timeout=60)
        stderr = "" if proc.stderr.closed else proc.stderr.read()
    assert proc.returncode == 0, stderr
    items = pd.read_csv(out / "items.csv", dtype=str, keep_default_na=False).set_index(["sheet_id", "item"])
    key = (entry["sheet_id"], entry["item"])
    assert (items.loc[key, "status"], items.loc[key, "value"]) == ("reviewed", confirmed[key][1])
    return stderr


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["term", "hup", "int"])
def test_server_stopped_by_a_signal_writes_the_csvs_first(out, stop):
    # SIGHUP (its terminal closed) or SIGTERM (kill, logout) within the CSV-write delay
    # left items.csv showing the old value of a decision the store held; only Ctrl+C flushed.
    # Sent at once: the CSVs wait a moment for more decisions.
    assert "the CSVs are up to date" in _stopped_after_a_decision(out, lambda proc: proc.send_signal(stop))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["term", "hup"])
def test_signals_while_the_csvs_are_written_do_not_interrupt_them(out, stop):
    # The handlers stayed in place while the server closed: a second signal (kill sent
    # twice, a logout's SIGHUP then SIGTERM) raised in the middle of the last CSV write.
    def again_and_again(proc: subprocess.Popen) -> None:
        while proc.poll() is None:  # one after another, until it has stopped
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(stop)
            time.sleep(0.002)

    _stopped_after_a_decision(out, again_and_again)


def test_server_whose_terminal_closed_still_writes_the_csvs(out):
    # After SIGHUP its stderr may be gone: the goodbye line raised an I/O error.
    def hang_up(proc: subprocess.Popen) -> None:
        proc.stderr.close()  # the terminal it wrote to is gone
        proc.send_signal(signal.SIGHUP)

    _stopped_after_a_decision(out, hang_up)
