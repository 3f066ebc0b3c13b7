"""The analysis commands, `export`, `tabulate` and `report`: options in, library out.

Registered on the `scanner` app by `scanner.cli`; errors are mapped to exit codes by
`scanner.cli_errors.run`, so these functions only parse, call and show.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from scanner.cli_errors import run
from scanner.export_formats import EXPORT_FORMATS

OutArg = Annotated[Path, typer.Argument(help="The scan's out folder (holding survey.sqlite).")]
TemplateOpt = Annotated[Optional[str], typer.Option(
    "--template", "-t", help="The template, a file or a shipped template's name, if not the one the survey was "
                             "scanned with (it must be of the same form and version).")]

FormOpt = Annotated[Optional[str], typer.Option(
    "--form", help="Of a survey scanned with several forms: the form to read (its questionnaires only).")]

ExportFormat = Enum("ExportFormat", {name: name for name in [*EXPORT_FORMATS, "all"]}, type=str)
TableFormat = Enum("TableFormat", {"text": "text", "csv": "csv", "markdown": "markdown"}, type=str)


def _dataset(out: Path, template: str | None, form: str | None):
    from scanner import open_survey

    return run(run(open_survey, out, template, form).dataset)


def export_command(
    out: OutArg = Path("scan-results"),
    formats: Annotated[Optional[list[ExportFormat]], typer.Option(
        "--format", "-f", help="File format; repeat for several, or `all`. Default: csv.")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Folder for the files (default: OUT/export, or OUT/export/FORM with --form).")] = None,
    template: TemplateOpt = None,
    form: FormOpt = None,
    require_reviewed: Annotated[bool, typer.Option(
        "--require-reviewed",
        help="Fail (exit code 5) instead of warning when answers still wait for review.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON on stdout.")] = False,
) -> None:
    """Write the dataset with its labels for SPSS (sav), Stata (dta), Excel, CSV or Parquet.

    Every export also writes codebook.csv and codebook.json (each variable's label, codes,
    missing codes and counts) and comments.csv and comments.xlsx (one row per written
    comment, for reading question by question, with its themes and memo once coded).
    Coded comments add one 0/1 variable per comment zone and theme (q07_theme_funding);
    `qdpx` writes the comments, codebook and codings as a REFI-QDA project.

    Missing answers keep why they are missing: SPSS user-missing codes -1 blank,
    -2 several boxes marked, -3 unresolved (still waiting for review), -4 settled by review
    as unknown (a programme); Stata .a, .b, .c, .d;
    empty cells in CSV, Excel and Parquet. Answers still waiting for review are counted
    in a warning; with --require-reviewed the export fails instead (exit code 5).
    """
    from scanner.export import export

    ds = _dataset(out, template, form)
    chosen = [f.value for f in formats or []] or ["csv"]
    names = list(EXPORT_FORMATS) if "all" in chosen else chosen
    folder = output if output is not None else out / "export" / (form or "")
    result = run(export, ds, folder, names, require_reviewed=require_reviewed)
    if as_json:
        typer.echo(json.dumps({"files": [str(p) for p in result.files], "unresolved": result.unresolved,
                               "sheets": len(ds.data)}, indent=2))
    typer.echo(f"wrote {len(result.files)} files for {len(ds.data)} questionnaires to {folder}: "
               + ", ".join(p.name for p in result.files), err=True)


def tabulate_command(
    out: OutArg = Path("scan-results"),
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Split by `programme`, `role` or any other one-answer item (with --themes, also "
                     "`question`).")] = None,
    items: Annotated[Optional[str], typer.Option(
        "--items",
        help="Items to show, comma-separated: ids (q07a), question numbers (7 or q07). Default: all.")] = None,
    themes: Annotated[bool, typer.Option(
        "--themes", help="Count the comments' themes instead: comments and respondents per theme, n and % of "
                         "those who wrote a comment.")] = False,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="text (a table in the terminal), csv or markdown.")]
    = TableFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
    = None,
    template: TemplateOpt = None,
    form: FormOpt = None,
) -> None:
    """Frequency tables per item: n and % of valid answers, missing counted apart.

    Overall, or by programme or role (`--by`), like the study's Tables 1 to 49. Blank,
    several-marked and unresolved answers are shown as their own rows and never enter
    the percentages. CSV is long (one row per item, group and answer), for scripts.
    With --themes: per theme of the codebook, how many comments and respondents have it,
    overall or by programme, role or question, and how many comments are not yet coded.
    """
    from rich.console import Console

    from scanner.tabulate import render, render_themes, tabulate, text_width, theme_counts, themes_text_width

    ds = _dataset(out, template, form)
    if themes:
        counts = run(theme_counts, ds, by)
        rendered, width, what = run(render_themes, counts, fmt.value), themes_text_width(counts), "theme tables"
    else:
        tables = run(tabulate, ds, items, by)
        rendered, width, what = run(render, tables, fmt.value), text_width(tables), f"{len(tables)} tables"
    if fmt.value != "text":
        if output is not None:
            output.write_text(rendered, encoding="utf-8")
            typer.echo(f"wrote {what} to {output}", err=True)
        else:
            sys.stdout.write(rendered)
        return
    # Wider than the terminal rather than cut numbers: a long line wraps, a cut one lies.
    width = max(width, 80)
    if output is not None:
        with output.open("w", encoding="utf-8") as f:
            Console(file=f, width=width, no_color=True).print(*rendered)
        typer.echo(f"wrote {what} to {output}", err=True)
    else:
        console = Console()
        console.width = max(console.width, width)
        console.print(*rendered)


def report_command(
    out: OutArg = Path("scan-results"),
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="The HTML file to write (default: OUT/report.html, or OUT/report-FORM.html "
                                    "with --form).")] = None,
    distributed: Annotated[Optional[str], typer.Option(
        "--distributed", help="Questionnaires handed out per programme, for response rates: A=40,B=40 "
                              "(a programme's name, paper colour or last word).")] = None,
    template: TemplateOpt = None,
    form: FormOpt = None,
) -> None:
    """Write the survey report: one HTML file that opens offline in any browser.

    Responses by programme (and response rates with --distributed), then question by
    question: the stem, each item's frequency table and chart by programme, and the
    comments written under it; last, data quality: what the scan flagged, what was
    reviewed, what is still unresolved, and pages not used and why.
    """
    from scanner.report import parse_distributed, write_report

    counts = run(parse_distributed, distributed)
    ds = _dataset(out, template, form)
    default = out / (f"report-{form}.html" if form else "report.html")
    path = run(write_report, ds, output if output is not None else default, counts, out)
    typer.echo(f"wrote {path} ({len(ds.data)} questionnaires)", err=True)
