"""`scanner colours`: show the batch's paper-colour clusters; confirm or assign them once for all."""

from __future__ import annotations

import getpass
import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from scanner import thresholds
from scanner.cli_errors import run
from scanner.errors import UsageError


def colours_command(
    out: Annotated[Path, typer.Argument(help="The survey's folder (scan's --out).")] = Path("scan-results"),
    assign: Annotated[Optional[list[str]], typer.Option(
        "--assign", help="N=COLOUR: cluster N is that colour of the template (repeat for more).")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="Confirm every cluster matched and not flagged, "
                                                            "as shown.")] = False,
    reviewer: Annotated[Optional[str], typer.Option(help="Who decides (default: the login name).")] = None,
    template: Annotated[Optional[str], typer.Option(
        "--template", "-t", help="The template, if not the one the survey was scanned with.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the clusters as JSON.")] = False,
) -> None:
    """Show the batch's paper colours as clusters, matched to the template's colours.

    Every page's paper colour is measured; per light (scans, phone photos) sheets on one
    paper form a cluster, and clusters are matched one to one to the template's colours.
    A cluster that matches no colour, or two competing for one, is flagged and its sheets
    wait for review. `--assign 2=yellow` or `--confirm` settles clusters for the whole
    batch: every sheet of the cluster then takes the programme (`reviewed`), now and
    after any re-scan. Each decision is kept in the store with who made it and when.
    A survey of several forms printed on the same paper colours is one batch: its
    clusters hold the sheets of every form.
    """
    from scanner.calibrate import calibrate_survey, decide_clusters
    from scanner.outputs import write_outputs
    from scanner.review.queue import open_survey
    from scanner.survey import survey_forms

    forms = run(survey_forms, out, template)
    t = run(_colour_template, forms)
    pairs = run(_parse_assign, assign or [])
    with run(open_survey, out, forms) as store:
        if pairs or confirm:
            calibration = run(decide_clusters, store, t, pairs, confirm, reviewer or getpass.getuser())
        else:
            calibration = run(calibrate_survey, store, t)
        write_outputs(store, forms, out)
    rows = [_row(c, t) for c in calibration.clusters]
    if as_json:
        typer.echo(json.dumps({"clusters": rows, "loose_sheets": calibration.loose,
                               "gains": {k: [round(float(v), 3) for v in g] for k, g in calibration.gains.items()},
                               "casts": [_cast_row(c) for c in calibration.casts]},
                              indent=2))
        return
    _print(rows, calibration.loose, t)
    for cast in calibration.casts:
        r = _cast_row(cast)
        typer.echo(f"Scanner cast of {r['file']}: L* a* b* {' '.join(f'{v:+.1f}' for v in r['lab'])} (its "
                   f"{r['sheets']} settled sheets agree within {r['spread']:.1f}), taken off its unsettled "
                   "scanned pages")


def _colour_template(forms):
    """The template whose colours the survey's clusters are matched to (of several forms, shared by all)."""
    from scanner.calibrate import colour_template
    from scanner.forms import Forms

    shared = colour_template(forms)
    if shared is None:
        raise UsageError(f"the forms {Forms.of(forms).label} are printed on different paper colours: their sheets "
                         "are not calibrated as one batch, each keeps its own reading of its colour (review a "
                         "doubtful one with `scanner review`)")
    return shared


def _parse_assign(values: list[str]) -> dict[int, str]:
    pairs = {}
    for value in values:
        number, _, colour = value.partition("=")
        if not number.strip().isdigit() or not colour.strip():
            raise UsageError(f"--assign {value!r}: write it N=COLOUR, e.g. --assign 2=yellow")
        pairs[int(number)] = colour.strip()
    return pairs


def _row(cluster, template) -> dict:
    colour = template.colour(cluster.colour) if cluster.colour else None
    decision = cluster.decision
    return {"cluster": cluster.number, "light": cluster.light, "sheets": cluster.sheets, "pages": len(cluster.pages),
            "lab": [round(v, 1) for v in cluster.lab], "rgb": list(cluster.rgb),
            "colour": cluster.colour if not cluster.flag else None,
            "programme": colour.programme if colour and not cluster.flag else None,
            "distance": None if math.isnan(cluster.distance) else round(cluster.distance, 1),
            "flag": cluster.flag.value if cluster.flag else None,
            "rival": cluster.rival.number if cluster.rival else None,
            "decided_by": decision.reviewer if decision else None,
            "decided_at": decision.decided_at if decision else None}


def _cast_row(cast) -> dict:
    return {"file": Path(cast.file).name, "lab": [round(v, 1) for v in cast.lab], "sheets": cast.sheets,
            "spread": round(cast.spread, 1)}


def _swatch(rgb) -> str:
    r, g, b = rgb
    return f"[on rgb({r},{g},{b})]      [/]"


def _print(rows: list[dict], loose: int, template) -> None:
    console = Console()
    table = Table(title="Paper colours of the batch", title_justify="left")
    for name in ("#", "", "light", "sheets", "pages", "L* a* b*", "matched", "status"):
        table.add_column(name, justify="right" if name in ("#", "sheets", "pages") else "left")
    for r in rows:
        if r["flag"]:
            status = f"[bold red]flagged[/]: {r['flag']}" + (f" (cluster {r['rival']})" if r["rival"] else "")
        elif r["decided_by"]:
            status = f"confirmed by {r['decided_by']} at {r['decided_at']}"
        else:
            status = f"matched, {r['distance']} off" + (f"; another ream, as cluster {r['rival']}" if r["rival"] else "")
        matched = f"{r['colour']} = {r['programme']}" if r["colour"] else "-"
        table.add_row(str(r["cluster"]), _swatch(r["rgb"]), r["light"], str(r["sheets"]), str(r["pages"]),
                      " ".join(f"{v:.1f}" for v in r["lab"]), matched, status)
    console.print(table)
    console.print("Confirm the matches with --confirm; set a cluster with --assign N=COLOUR.")
    console.print("Template colours: " + "  ".join(f"{_swatch(c.rgb)} {c.name} = {c.programme}"
                                                    for c in template.colours))
    if loose:
        console.print(f"{loose} sheets (per light) are in no cluster of {thresholds.CALIBRATION_MIN_SHEETS} or more: each takes the "
                      "colour of the cluster it is clearly nearest to, or waits for review.")
