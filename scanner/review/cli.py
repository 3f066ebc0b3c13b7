"""`scanner review`: serve the review queue in the browser, or print it (`--status`)."""

from __future__ import annotations

import contextlib
import json
import signal
import textwrap
import threading
import webbrowser
from pathlib import Path
from typing import Annotated, Optional

import typer

from scanner.cli_errors import run
from scanner.errors import UsageError


def review_command(
    out: Annotated[Path, typer.Argument(help="The survey's folder (scan's --out).")] = Path("scan-results"),
    template: Annotated[Optional[str], typer.Option(
        "--template", "-t", help="The template, a file or a shipped template's name, if not the one the survey was "
                                 "scanned with (it must be of the same form and version).")] = None,
    status: Annotated[bool, typer.Option("--status", help="Print what waits for review, by reason and by question, "
                                                          "and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --status: print it as JSON.")] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser",
                                             help="Do not open a browser; only print the address.")] = False,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = 0,
) -> None:
    """Review what the scan is unsure of, in the browser, keeping every decision.

    Starts a server on 127.0.0.1 whose address holds a random token, and opens the page
    in the browser (through a one-time address, which leaves a cookie). The page shows
    the queue one item at a time: the item's row as scanned with each box's measured
    ink, the scan's guess and why it was flagged. Keys: 1-9 a code, 0 or space
    blank, m invalid, Enter accept the guess, Backspace or left arrow back, u undo.
    Every decision is saved at once and the CSVs are written again; when two people
    review at once, the first decision on an item stands. Ctrl+C stops the server (as do
    kill and closing its terminal), writing the CSVs first.
    """
    from scanner.review.queue import queue_status
    from scanner.review.server import ReviewServer
    from scanner.survey import survey_forms

    if as_json and not status:
        run(_fail, "--json goes with --status (the page itself is the review)")
    forms = run(survey_forms, out, template)
    if status:
        report = run(queue_status, out, forms)
        typer.echo(json.dumps(report, indent=2) if as_json else format_status(report))
        return
    server = run(ReviewServer, out, forms, port=port)
    typer.echo(server.url)
    typer.echo(f"Reviewing {out}: open the address above; Ctrl+C stops the server.", err=True)
    if not no_browser:
        # Not the token: a browser's command line is there for any user of the machine to read.
        threading.Thread(target=webbrowser.open, args=(server.login_url(),), daemon=True).start()
    for stop in (signal.SIGTERM, signal.SIGHUP):  # a closed terminal, kill, logout: stop as Ctrl+C does
        signal.signal(stop, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        # Stopping already: another signal (kill sent twice, a logout's SIGHUP then SIGTERM)
        # would break off the last CSV write.
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, signal.SIG_IGN)
        server.server_close()
    with contextlib.suppress(OSError):  # its terminal closed (SIGHUP): nobody to tell
        typer.echo("stopped; every decision is saved and the CSVs are up to date", err=True)


def _interrupt(signum: int, frame: object) -> None:
    """Stop the server the way Ctrl+C does, writing the CSVs of the last decisions first."""
    raise KeyboardInterrupt


def _fail(message: str) -> None:
    raise UsageError(message)


def format_status(report: dict) -> str:
    """The queue for the terminal: totals, then counts by reason and by question."""
    lines = [f"{report['waiting']} items wait for review; {report['decided']} decided so far."]
    if report["by_reason"]:
        lines += ["", "By reason:"]
        width = max(len(str(r["count"])) for r in report["by_reason"])
        lines += [f"  {r['count']:>{width}}  {r['reason']}: {r['text']}" for r in report["by_reason"]]
    if len(report["by_form"]) > 1:
        lines += ["", "By form:"]
        lines += [f"  {n:>5}  {form}" for form, n in report["by_form"].items()]
    if report["by_question"]:
        lines += ["", "By question (number: items waiting; of several forms, each named by its form):"]
        counts = "   ".join(f"{q}: {n}" for q, n in report["by_question"].items())
        lines += textwrap.wrap(counts, 88, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
    if report["by_programme"]:
        lines += ["", "By programme:"]
        lines += [f"  {n:>5}  {p}" for p, n in report["by_programme"].items()]
    if report["sheets"]:
        lines += ["", f"Questionnaires with a problem ({len(report['sheets'])}):"]
        lines += [f"  {s['sheet_id']} ({s['source']} page {s['first_page']}): {problem}"
                  for s in report["sheets"] for problem in s["problems"]]
    check = report["check"]
    if check["checked"]:
        lines += ["", f"Quality check: {check['checked']} ok values checked, {check['disagreed']} disagreed; "
                      f"estimated error rate {check['rate']:.1%} "
                      f"(95% interval {check['low']:.1%} to {check['high']:.1%})."]
    return "\n".join(lines)
