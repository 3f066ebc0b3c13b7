"""What the commands show people on the terminal: the progress bar and summaries.

Everything here goes to stderr, so that stdout carries only data (`--json`, pipes).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from scanner.errors import on_one_line
from scanner.pipeline import Progress as PageProgress
from scanner.pipeline import ScanSummary
from scanner.review.queue import reason_text

stderr = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[PageProgress], None] | None]:
    """A progress callback drawing pages done and pages/s; None when stderr is no terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
               TextColumn("{task.fields[where]}", markup=False))  # a file's name is not markup
    with Progress(*columns, console=stderr, transient=False) as bar:
        task = bar.add_task("scan", total=None, rate="", where="")

        def update(p: PageProgress) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{p.done / elapsed:.1f} pages/s" if elapsed > 0 else ""
            bar.update(task, completed=p.done, total=p.total, rate=rate, where=f"{p.source} p{p.page}")

        yield update


def print_summary(summary: ScanSummary) -> None:
    """The closing report: sheets, pages, programmes, what needs review, what failed."""
    rate = sum(summary.pages.values()) / summary.seconds if summary.seconds else 0.0
    stderr.print(f"[bold]{summary.sheets}[/] questionnaires from {sum(summary.pages.values())} pages "
                 f"in {summary.seconds:.1f} s ({rate:.1f} pages/s); results in {escape(str(summary.out_dir))}")
    pages = Table(title="pages", show_header=False, box=None)
    for status, n in sorted(summary.pages.items()):
        pages.add_row(status, str(n))
    programmes = Table(title="programmes", show_header=False, box=None)
    for name, n in sorted(summary.programmes.items()):
        programmes.add_row(name, str(n))
    stderr.print(pages, programmes)
    if summary.flagged:
        flagged = Table(title=Text(f"to review ({sum(summary.flagged.values())}): scanner review "
                                   f"{summary.out_dir}"), show_header=False, box=None)
        for name, n in summary.flagged.most_common():
            flagged.add_row(str(n), reason_text(name))
        stderr.print(flagged)
    if summary.reviewed:
        stderr.print(f"{summary.reviewed} items settled in review (decisions kept)")
    for line in summary.same_files:
        stderr.print(Text(line), soft_wrap=True)
    for line in summary.replaced_files:
        stderr.print(Text.assemble(("replaced:", "yellow"), " ", line), soft_wrap=True)
    if summary.sheet_problems:
        problems = Table(title=f"questionnaires with a problem ({len(summary.sheet_problems)}): see sheets.csv",
                         show_header=False, box=None)
        for line in summary.sheet_problems:
            problems.add_row(Text(line))  # a file name may hold [brackets], not markup
        stderr.print(problems)
    print_failures(summary)


def print_failures(summary: ScanSummary) -> None:
    """One line per file or page that could not be read, never wrapped (for grep)."""
    for line in summary.failed:
        stderr.print(Text.assemble(("failed:", "red"), " ", on_one_line(line)), soft_wrap=True)
