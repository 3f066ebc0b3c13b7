"""`scanner themes`: the codebook of the comments' themes, in and out, and agreement between coders.

Options in, library out (`scanner.themes`); registered on the `scanner` app in `scanner.cli`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from scanner.cli_errors import run

themes_app = typer.Typer(help="The codebook of the comments' themes: import, export, list, and agreement "
                              "between two coders.", no_args_is_help=True)

OutArg = Annotated[Path, typer.Argument(help="The scan's out folder (holding survey.sqlite).", show_default=False)]
FileArg = Annotated[Path, typer.Argument(help="The file: .yaml or .qdc (REFI-QDA codebook); import also takes "
                                              "a .qdpx project with its codings.", show_default=False)]


@themes_app.command("import")
def import_command(out: OutArg, file: FileArg) -> None:
    """Add a codebook's themes to the survey (a theme already there, by guid or name, is updated).

    A REFI-QDA project (.qdpx) brings its codings and memos too, each under its coder's
    name; what a coder already has is not added twice.
    """
    from scanner.themes import import_file, open_store

    with run(open_store, out) as store:
        summary = run(import_file, store, file)
    line = f"{summary.added} themes added, {summary.updated} updated"
    if file.suffix.lower() == ".qdpx":
        line += f"; {summary.codings} codings and {summary.memos} memos imported"
        if summary.skipped:
            line += f"; {summary.skipped} left out: their comments are not in this survey"
    typer.echo(line, err=True)


@themes_app.command("export")
def export_command(out: OutArg, file: Annotated[Path, typer.Argument(
        help="The file to write: .yaml, or .qdc for a REFI-QDA codebook.", show_default=False)]) -> None:
    """Write the survey's codebook as YAML or as a REFI-QDA codebook (.qdc)."""
    from scanner.themes import codebook, open_store, write_codebook

    with run(open_store, out) as store:
        path = run(write_codebook, store, file)
        n = len(codebook(store))
    typer.echo(f"wrote {n} themes to {path}", err=True)


@themes_app.command("list")
def list_command(out: OutArg, as_json: Annotated[bool, typer.Option("--json", help="As JSON on stdout.")] = False
                 ) -> None:
    """The codebook: each theme with its parent, key words and how many comments have it."""
    from scanner.themes import codebook, comment_codings, open_store

    with run(open_store, out) as store:
        themes = codebook(store)
        coded = comment_codings(store).values()
    counts = {t.name: sum(t.name in c.themes for c in coded) for t in themes}
    if as_json:
        typer.echo(json.dumps([{"name": t.name, "description": t.description, "parent": t.parent,
                                "keywords": list(t.keywords), "comments": counts[t.name]} for t in themes], indent=2))
        return
    if not themes:
        typer.echo("no themes yet: `scanner themes import OUT codebook.yaml`", err=True)
    for t in themes:
        under = f" (under {t.parent})" if t.parent else ""
        words = f"  key words: {', '.join(t.keywords)}" if t.keywords else ""
        typer.echo(f"{t.name}{under}: {counts[t.name]} comments{words}")
        if t.description:
            typer.echo(f"    {t.description}")


@themes_app.command("agreement")
def agreement_command(
    out: OutArg,
    coders: Annotated[Optional[str], typer.Option(
        "--coders", help="The two coders, A,B (default: the two who coded most comments).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON on stdout.")] = False,
) -> None:
    """Cohen's kappa per theme between two coders, over the comments both coded, and the
    disagreements to settle (code the comment again: the last coder's themes stand)."""
    from scanner.themes import agreement, open_store

    pair = None
    if coders is not None:
        names = [c.strip() for c in coders.split(",") if c.strip()]
        if len(names) != 2:
            raise typer.BadParameter(f"two names, A,B; not {coders!r}", param_hint="--coders")
        pair = (names[0], names[1])
    with run(open_store, out) as store:
        result = run(agreement, store, pair)
    if as_json:
        typer.echo(json.dumps({
            "coders": [result.coder_a, result.coder_b], "comments": result.comments,
            "themes": [{"theme": t.theme, "kappa": t.kappa, "agreement": t.observed, "both": t.both,
                        "only_" + result.coder_a: t.only_a, "only_" + result.coder_b: t.only_b, "neither": t.neither}
                       for t in result.themes],
            "disagreements": [{"sheet_id": d.sheet_id, "comment": d.item, "theme": d.theme, "coded_by": d.coded_by}
                              for d in result.disagreements]}, indent=2))
        return
    typer.echo(f"{result.coder_a} and {result.coder_b}: {result.comments} comments coded by both")
    typer.echo(f"{'theme':30} {'kappa':>6} {'agree':>6} {'both':>5} {'only ' + result.coder_a:>12} "
               f"{'only ' + result.coder_b:>12} {'neither':>7}")
    for t in result.themes:
        kappa = f"{t.kappa:.2f}" if t.kappa is not None else "—"
        typer.echo(f"{t.theme[:30]:30} {kappa:>6} {t.observed:6.0%} {t.both:5} {t.only_a:12} {t.only_b:12} "
                   f"{t.neither:7}")
    if result.disagreements:
        typer.echo(f"\n{len(result.disagreements)} disagreements to settle:")
        for d in result.disagreements:
            typer.echo(f"  {d.sheet_id} {d.item}: {d.theme!r} given by {d.coded_by}, not by {d.not_by}")
