"""The CSVs written again while people review, by a child process of the review server.

A write renders the sheets decided since the last one and copies every other sheet's
kept rows (`scanner.outputs`): on a large survey still a second or more of work, which in
a thread of the server would hold the interpreter lock and stall the next items of a
reviewer going on meanwhile. So
the server keeps one child (`python -m scanner.review.csvs OUT`, at low priority) and
asks it for a write a moment after the last decision. A plain child process rather than
multiprocessing, which would run the caller's main script again in the child.

The protocol, one line each: the survey's templates as a JSON list first; then each line
asks for one write, answered by "ok" or "error: ..." once the CSVs are in place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import scanner

NICE = 19
"""The child yields the CPU to the server and the browser (without being starved, as it
would be under SCHED_IDLE while a scan keeps every core busy)."""


class CsvChildError(RuntimeError):
    """The child could not write the CSVs, or died."""


class CsvChild:
    """The parent's end: started at the first write, kept for the next ones."""

    def __init__(self, out_dir: Path, templates_json: str):
        self.out_dir = out_dir
        self.templates_json = templates_json
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        source = str(Path(scanner.__file__).resolve().parent.parent)  # the child imports this very package
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        # Its own session: Ctrl+C in the terminal stops the server, which then asks the
        # child for a last write; the child ends when its stdin closes.
        proc = subprocess.Popen([sys.executable, "-m", "scanner.review.csvs", str(self.out_dir)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env,
                                start_new_session=True)
        proc.stdin.write(self.templates_json + "\n")
        return proc

    def write(self) -> float:
        """Have the CSVs written; return how long it took, in seconds.

        Raises:
            CsvChildError: the write failed, or the child died (the next write starts another).
        """
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            started = time.monotonic()
            try:
                self._proc.stdin.write("write\n")
                self._proc.stdin.flush()
                reply = self._proc.stdout.readline().strip()
            except (BrokenPipeError, OSError):
                reply = ""
            if reply != "ok":
                if not reply:
                    self._proc = None
                raise CsvChildError(reply or "the CSV writer stopped")
            return time.monotonic() - started

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None


def _child(out_dir: str) -> None:
    from pydantic import TypeAdapter

    from scanner.forms import Forms
    from scanner.outputs import write_outputs
    from scanner.store import Store
    from scanner.template import Template

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(NICE)
    forms = Forms.of(TypeAdapter(list[Template]).validate_json(sys.stdin.readline()))
    for _ in sys.stdin:
        try:
            with Store(out_dir) as store:
                write_outputs(store, forms, out_dir, pages=False)  # no decision changes pages.csv
            reply = "ok"
        except Exception as exc:  # noqa: BLE001 - told to the parent, which logs it
            reply = "error: " + " ".join(f"{type(exc).__name__}: {exc}".split())
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _child(sys.argv[1])
