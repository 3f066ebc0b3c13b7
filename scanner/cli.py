"""The `scanner` and `scan` commands: parse options, call the library, map errors to exit codes.

This module holds the scan, template and synth commands and assembles the app from the
other command modules (`scanner.analysis_cli`, `scanner.review.cli`, `scanner.themes_cli`);
they share `scanner.cli_errors` and import the library, never each other or this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from scanner.analysis_cli import export_command, report_command, tabulate_command
from scanner.cli_errors import is_verbose, run, setup_logging
from scanner.colours_cli import colours_command
from scanner.editor.cli import edit_command
from scanner.errors import ExitCode
from scanner.review.cli import review_command
from scanner.template import find_template, layout, load_template, template_files
from scanner.themes_cli import themes_app

app = typer.Typer(
    help="Turn scanned paper questionnaires into a clean, analysable dataset.\n\n"
    "Typical run: `scanner template render T -o blank.pdf`, print and hand out, scan the "
    "returns, `scan ./batch/*.pdf`, then `scanner review` what it was unsure of.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
template_app = typer.Typer(help="Print a form, show its geometry, list the shipped templates, draft one "
                                "from a form you already have, edit it in the browser, or check it against a few "
                                "filled scans.",
                           no_args_is_help=True)
app.add_typer(template_app, name="template")

TemplateArg = Annotated[str, typer.Argument(help="The template: a YAML file, or a shipped template's name "
                                                 "(`scanner template list`).", show_default=False)]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs and tracebacks.")] = False) -> None:
    setup_logging(verbose)


@template_app.command("render")
def template_render(
    template: TemplateArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="The PDF to write.")] = Path("blank.pdf"),
    copies: Annotated[int, typer.Option(help="Print N numbered copies; each page's QR code carries the copy's serial.")] = 0,
    first_serial: Annotated[int, typer.Option(help="Serial of the first numbered copy.")] = 1,
    plain: Annotated[bool, typer.Option("--plain", help="No corner markers and no QR code, as a form made in a "
                                                         "word processor (scan finds its pages by their print).")] = False,
) -> None:
    """Write the blank printable form, every page (or N numbered copies)."""
    from scanner.render import render_pdf

    t = run(load_template, run(find_template, template))
    path = run(render_pdf, t, output, copies=copies, first_serial=first_serial, plain=plain)
    typer.echo(f"wrote {path} ({len(t.pages) * max(copies, 1)} pages)", err=True)


@template_app.command("layout")
def template_layout(
    template: TemplateArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the geometry as JSON (the contract's shape).")] = False,
) -> None:
    """Show the form's geometry: pages, colours, items with their boxes in mm, comment zones."""
    data = layout(run(load_template, run(find_template, template)))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for page in data["pages"]:
        items = [i["id"] for i in data["items"] if i["page"] == page["page"]]
        comments = [c["id"] for c in data["comments"] if c["page"] == page["page"]]
        typer.echo(f"page {page['page']} ({page['width_mm']} x {page['height_mm']} mm): "
                   f"{len(items)} items {', '.join(items)}; {len(comments)} comment zones")
    typer.echo("colours: " + ", ".join(f"{c['name']} = {c['programme']}" for c in data["colours"]))


@template_app.command("draft")
def template_draft(
    blank: Annotated[Path, typer.Argument(help="The blank form: its PDF (from a word processor) or a scan or "
                                               "photo of a blank copy, all pages.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The template to write.")] = Path("form.yaml"),
    form: Annotated[Optional[str], typer.Option(help="The form's name (default: from the file name).")] = None,
    colour_samples: Annotated[Optional[list[str]], typer.Option(
        "--colour-samples", help="NAME=FILE: a copy on that paper (blank or filled); repeat for each colour.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the template if it exists.")] = False,
) -> None:
    """Draft a template from a form you already have (no markers, no QR code).

    Finds tick boxes, bubbles and comment zones, groups boxes into items and reads the
    column headers as scales. Writes the template, its reference pages and
    `NAME.preview.pdf` showing every box with its item id and code; prints a summary and
    what to check. `scan` reads forms printed without markers with it, by their print.
    """
    from scanner.draft import colour_samples_option, draft_template, summary_lines, write_draft

    samples = run(colour_samples_option, colour_samples or [])
    result = run(draft_template, blank, form=form, colour_samples=samples)
    written = run(write_draft, result, output, replace=force)
    typer.echo("\n".join(summary_lines(result)))
    typer.echo(f"wrote {written[0]}, {written[1]} and {len(written) - 2} reference pages", err=True)


@template_app.command("check")
def template_check(
    template: TemplateArg,
    scans: Annotated[list[Path], typer.Argument(help="A few filled-in scans (PDFs, images or folders).",
                                                show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The folder for the overlays and index.html.")]
    = Path("template-check"),
    pages: Annotated[Optional[int], typer.Option(
        help="Check the first N pages (default: three questionnaires' worth).", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON on stdout.")] = False,
) -> None:
    """Check a template against a few real filled scans before scanning a whole batch.

    Aligns each page as `scan` does, draws the template over it (`page-NNN.png` and
    `index.html` in the output folder) and reports boxes and comment zones that do not
    land on a printed frame, items empty on every sample, and each page's alignment
    residual. Exit code 0 when the template fits; 3 when boxes do not land or items
    are empty on every sample (3 or more); 1 when a page could not be aligned.
    """
    from scanner.check import check_template, summary_lines

    t = run(load_template, run(find_template, template))
    report = run(check_template, t, [str(s) for s in scans], output, pages=pages)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else "\n".join(summary_lines(report)))
    typer.echo(f"wrote {len(report.files)} files to {output}/ (open index.html)", err=True)
    if report.misplaced or report.suspect_items:
        raise typer.Exit(int(ExitCode.TEMPLATE))
    if not report.ok:
        raise typer.Exit(int(ExitCode.INPUTS_FAILED))


@template_app.command("list")
def template_list() -> None:
    """List the templates that come with scanner: name, form and version, file.

    A name stands for its file wherever a template is asked for (`--template surestart`).
    """
    for path in template_files():
        t = run(load_template, path)
        typer.echo(f"{path.stem}\t{t.form_version}\t{path}")


@app.command()
def synth(
    template: Annotated[Optional[str], typer.Argument(help="The template: a file or a shipped template's name "
                                                          "(default: the only one shipped).")] = None,
    count: Annotated[int, typer.Option("--count", "-n", help="How many questionnaires to fill in.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same batch.")] = 1,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the batch PDFs and truth/.")] = Path("synth"),
    per_file: Annotated[int, typer.Option(help="Questionnaires per batch PDF, as a sheet feeder would.")] = 10,
    greyscale_share: Annotated[float, typer.Option(help="Share of batch files scanned in greyscale.")] = 0.15,
    dpi: Annotated[Optional[list[int]], typer.Option(help="Scan resolutions to draw from (repeat).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Processes drawing files in parallel; the output is "
                                                            "the same for any number.")] = 1,
    hard: Annotated[bool, typer.Option("--hard", help="Add every hard case (erased ticks, dust, creases, "
                                                      "phone-photo shadows...): see --effects.")] = False,
    effects: Annotated[Optional[str], typer.Option(
        help="Hard cases to add, comma-separated: erased, neighbour, dust, show_through, paper, fit_to_page, "
             "photocopy, crease, staple, motion_blur, shadow, marker_cut (or all).")] = None,
    stock: Annotated[Optional[str], typer.Option(
        help="Paper stocks and lights off the usual path, comma-separated: pale_pink, cream, no_white, between, "
             "cast, auto_white, one_programme, warm_photo (or all).")] = None,
) -> None:
    """Generate realistic scanned batches of filled-in questionnaires, with ground truth.

    Writes batch PDFs the way a sheet feeder does (one JPEG per page) and beside them
    `truth/`: the expected responses.csv and pages.csv, and marks.csv with how each
    mark was made.
    """
    from scanner.synth import SynthOptions, generate, parse_hard, parse_stock

    t = run(load_template, run(find_template, template))
    try:
        chosen = parse_hard("all" if hard else effects or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--effects") from None
    try:
        stocks = tuple(s.value for s in parse_stock(stock or ""))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--stock") from None
    options = SynthOptions(per_file=per_file, greyscale_share=greyscale_share, dpis=tuple(dpi or (150, 200, 300)),
                           jobs=max(1, jobs), hard=chosen, stock=stocks)
    result = run(generate, t, output, count=count, seed=seed, options=options)
    typer.echo(f"wrote {result.questionnaires} questionnaires on {result.pages} pages in "
               f"{len(result.files)} files to {output}", err=True)


def _quiet_opencv(verbose: bool) -> None:
    """OpenCV logs its decoders' complaints about a bad file to stderr; the scan names
    each bad file in one line of its own, so the complaints show only with --verbose."""
    import cv2

    levels = cv2.utils.logging
    levels.setLogLevel(levels.LOG_LEVEL_WARNING if verbose else levels.LOG_LEVEL_SILENT)


@app.command("scan")
def scan_command(
    ctx: typer.Context,
    files: Annotated[Optional[list[str]], typer.Argument(
        help="PDFs, images (PNG, JPEG, multi-page TIFF) or folders of them. Pages without a serial group "
             "into questionnaires only within one file: keep a questionnaire's pages in one file.",
        show_default=False,
        metavar="FILES")] = None,
    template: Annotated[Optional[list[str]], typer.Option(
        "--template", "-t", help="The template: a file or a shipped template's name (default: the survey's own "
                                 "when --out holds one, else the only one shipped). Repeat it, or name a folder "
                                 "of templates, to read several forms in one run: each page goes to its form.")]
    = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The survey's folder: store, CSVs, crops.")] = Path("scan-results"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")] = 0,
    cluster: Annotated[Optional[str], typer.Option(
        help="Read pages on a Dask cluster: its scheduler's address (tcp://host:8786), or local:N for N "
             "local workers; needs scanner[cluster]. --jobs is then unused.")] = None,
    watch: Annotated[Optional[Path], typer.Option(
        help="Keep running: scan each file scanner stations drop into this folder (or its subfolders) once "
             "it is complete (a FILE.done marker, or unchanged and closed); Ctrl+C stops. Needs "
             "scanner[cluster].")] = None,
    poll: Annotated[float, typer.Option(help="With --watch: look every N seconds instead of waiting for "
                                             "events, for network shares that send none.")] = 0,
    programme: Annotated[Optional[str], typer.Option(help="The programme of this batch, for scans whose paper "
                                                          "colour cannot be told (greyscale).")] = None,
    no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Find written comments but do not transcribe them.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs and tracebacks.")] = False,
) -> None:
    """Read scanned questionnaires into `responses.csv`, `items.csv` and `pages.csv`.

    Every page is accounted for in pages.csv (used, blank, unrecognised, error). Items the
    scan is unsure of are marked `review` in items.csv with the reason: settle them with
    `scanner review`. Scanning into the same --out again adds new pages, reuses pages
    already read and never overwrites a review decision.

    Exit codes: 0 all read; 1 some files or pages could not be read; 2 bad usage;
    3 bad template; 4 a missing program (tesseract); 6 the out folder cannot be written
    (disk full, read-only); 7 the --cluster cannot be reached or was lost (scan again to
    complete the batch). A colour calibration that failed exits 1 too: the CSVs are
    written, each colour questionnaire's programme left to review.
    """
    from scanner import scan
    from scanner.console import print_failures, print_summary, progress_bar
    from scanner.survey import scan_template

    _need_files_or_watch(ctx, files, watch)
    setup_logging(verbose or is_verbose(), quiet)
    _quiet_opencv(is_verbose())
    t = run(scan_template, out, template)  # before the progress bar, which a bad template never starts
    if watch is not None:
        _watch(watch, t, out, jobs, cluster, poll, not no_ocr, programme, quiet)
        return
    with progress_bar(enabled=not quiet) as on_progress:
        summary = run(scan, files or [], t, out, jobs=jobs or None, ocr=not no_ocr, programme=programme,
                      progress=on_progress, cluster=cluster)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
    if not (quiet or as_json):
        print_summary(summary)
    else:
        print_failures(summary)  # what failed is an error, not part of the summary
    if not summary.ok:
        raise typer.Exit(int(ExitCode.INPUTS_FAILED))


def _need_files_or_watch(ctx: typer.Context, files: list[str] | None, watch: Path | None) -> None:
    """FILES, or --watch: one of them, failing as the command's own usage errors do."""
    if not files and watch is None:
        ctx.fail("Missing argument 'FILES'.")
    if files and watch is not None:
        ctx.fail("give FILES or --watch INBOX, not both")


def _watch(inbox: Path, t, out: Path, jobs: int, cluster: str | None, poll: float, ocr: bool,
           programme: str | None, quiet: bool) -> None:
    """`scan --watch`: a line per batch read, with the queue, until Ctrl+C."""
    from scanner.console import print_failures
    from scanner.watch import watch

    def on_batch(p) -> None:
        if not quiet:
            pages = ", ".join(f"{n} {status}" for status, n in sorted(p.batch.pages.items()))
            typer.echo(f"{p.files} files read ({pages} in the last batch); {p.waiting} waiting", err=True)

    typer.echo(f"watching {inbox} into {out}: Ctrl+C stops", err=True)
    summary = run(watch, inbox, t, out, jobs=jobs or None, ocr=ocr, programme=programme, cluster=cluster,
                   poll=poll or None, progress=on_batch)
    typer.echo(f"stopped: {summary.files} files, {summary.sheets} questionnaires read", err=True)
    print_failures(summary)
    if not summary.ok:
        raise typer.Exit(int(ExitCode.INPUTS_FAILED))


template_app.command("edit")(edit_command)
app.command("review")(review_command)
app.command("colours")(colours_command)
app.command("export")(export_command)
app.command("tabulate")(tabulate_command)
app.command("report")(report_command)
app.add_typer(themes_app, name="themes")


def main() -> None:
    """Entry point of the `scanner` command."""
    app()


def scan_main() -> None:
    """Entry point of the `scan` command: the same as `scanner scan`."""
    # The command itself rather than the group, so that usage and errors say `scan`.
    typer.main.get_command(app).commands["scan"](prog_name="scan")


if __name__ == "__main__":
    main()
