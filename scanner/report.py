"""The survey report: one self-contained HTML file that opens offline in any browser.

Responses by programme (with response rates when told how many were handed out), then
question by question: the stem, each item's frequency table and chart by programme, and
the comments written under it (once coded: its themes by programme, a few quotes of
each and the comments not yet coded); last, the data's quality: what the scan flagged, what was
reviewed, what is still unresolved and which pages were not used, and why.

Charts are drawn with matplotlib straight to SVG and inlined; comment images still
waiting for transcription are inlined as JPEG data; nothing is fetched from anywhere.
"""

from __future__ import annotations

import base64
import colorsys
import html
import io
import logging
import re
import string
import textwrap
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import pandas as pd

from scanner import __version__
from scanner.dataset import PROGRAMME, Dataset, Missing, Variable
from scanner.errors import UsageError
from scanner.outputs import RESOLVED
from scanner.results import Status
from scanner.tabulate import ALL, Frequencies, display_rows, frequencies, group_labels

log = logging.getLogger(__name__)

MAX_IMAGES = 400
"""Comment images inlined at most: beyond this the report says where the crops are."""
UNUSED_PAGES_SHOWN = 200
QUOTES_PER_THEME = 3
"""Comments quoted under each theme: the coder's choice first, else the first coded."""
UNKNOWN_PROGRAMME = "(programme unknown)"
CHART_SIZE_IN = (6.2, 2.9)
NEUTRAL = "#8c959f"
UNKNOWN_GROUP = "#e6e9ed"
"""Bars of sheets whose programme is unresolved: pale and hatched, unlike any paper."""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


# --- options -----------------------------------------------------------------------------
def parse_distributed(text: str | None) -> dict[str, int]:
    """`A=40,B=40` as {"A": 40, "B": 40}.

    Raises:
        UsageError: not a comma-separated list of NAME=COUNT.
    """
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, count = part.rpartition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise UsageError(f"--distributed: {part!r} is not NAME=COUNT (say A=40,B=40)")
        out[name.strip()] = int(count)
    return out


def match_distributed(ds: Dataset, raw: dict[str, int]) -> dict[str, int]:
    """Handed-out counts keyed by programme: each key a programme's name, its paper colour,
    or the last word of its name (`A` for "Programme A").

    Raises:
        UsageError: a key names no programme, or several.
    """
    programmes = [label for _, label in ds.variable(PROGRAMME).values]
    colour_of = {c.name.lower(): c.programme for c in ds.template.colours}
    out: dict[str, int] = {}
    for key, count in raw.items():
        k = key.lower()
        hits = [p for p in programmes if p.lower() == k]
        hits = hits or ([colour_of[k]] if k in colour_of else [])
        hits = hits or [p for p in programmes if p.lower().split()[-1] == k]
        hits = list(dict.fromkeys(hits))
        if len(hits) != 1:
            what = "names no programme" if not hits else f"is ambiguous ({', '.join(hits)})"
            raise UsageError(f"--distributed {key}={count}: {key!r} {what}; programmes are "
                             f"{', '.join(programmes)}")
        out[hits[0]] = out.get(hits[0], 0) + count
    return out


# --- colours and charts --------------------------------------------------------------------
def paper_colours(ds: Dataset) -> dict[str, str]:
    """Each programme's paper colour as #rrggbb."""
    return {c.programme: "#%02x%02x%02x" % tuple(c.rgb) for c in ds.template.colours}


def bar_colours(ds: Dataset) -> dict[str, str]:
    """A bar colour per programme: its paper colour made strong enough to see (pale
    papers as printed would vanish on white; white paper becomes grey)."""
    out = {}
    for c in ds.template.colours:
        h, light, s = colorsys.rgb_to_hls(*(v / 255 for v in c.rgb))
        if s < 0.15 or light > 0.97 and s < 0.5:
            r, g, b = colorsys.hls_to_rgb(0, 0.55, 0)
        else:
            r, g, b = colorsys.hls_to_rgb(h, 0.45, max(0.55, min(s, 0.8)))
        out[c.programme] = "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))
    return out


def chart_svg(table: Frequencies, colours: dict[str, str]) -> str:
    """`table` as SVG: a bar per group for each option, the % of the group's valid answers.

    Bars run across, options top to bottom in scale order, so that long option labels
    stay readable; each group (programme) keeps its colour through the whole report.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    groups = [g for g in table.groups if g != ALL] or [ALL]
    groups = [g for g in groups if table.valid(g)] or groups
    options = table.variable.values
    labels = ["\n".join(textwrap.wrap(label, 22)) for _, label in options]
    bar_in, gap_in, margin_in = 0.13, 0.12, 0.45
    rows_in = [max(len(groups) * bar_in, 0.14 * (label.count("\n") + 1)) + gap_in for label in labels]
    width, height = CHART_SIZE_IN[0], sum(rows_in) + margin_in
    style = {"svg.fonttype": "none", "svg.hashsalt": f"scanner-{table.variable.name}",
             "font.family": "sans-serif", "font.size": 8}
    with rc_context(style):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        centres, y = [], 0.0
        for row in rows_in:  # in inches from the top, so rows of long labels get more room
            centres.append(y + row / 2)
            y += row
        for k, g in enumerate(groups):
            ys = [c + (k - (len(groups) - 1) / 2) * bar_in for c in centres]
            xs = [table.percent(code, g) or 0.0 for code, _ in options]
            name = "\n".join(textwrap.wrap(f"{g} (n={table.valid(g)})", 20))
            known = g in colours or g == ALL
            ax.barh(ys, xs, bar_in * 0.9, label=name, color=colours.get(g, NEUTRAL if g == ALL else UNKNOWN_GROUP),
                    edgecolor="#3d444d", linewidth=0.3, hatch=None if known else "////")
        ax.set_yticks(centres, labels)
        ax.set_ylim(y, 0)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 100)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel("% of valid answers")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, names = ax.get_legend_handles_labels()
        ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  frameon=False, fontsize=7.5)
        # Fixed margins rather than tight_layout, which lays every chart out twice: the
        # option labels take the left, the legend the right.
        fig.subplots_adjust(left=1.45 / width, right=1 - 1.6 / width, top=1 - 0.08 / height,
                            bottom=0.37 / height)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    label = esc(f"Chart: {table.variable.text or table.variable.label}, % of valid answers by group")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


# --- HTML pieces ------------------------------------------------------------------------
def _table(head: list[str], rows: Iterable[tuple[list[str], str]], caption: str = "",
           text_columns: int = 1) -> str:
    """An HTML table; `rows` hold already-escaped cells and a row class."""
    ths = "".join(f'<th class="text">{h}</th>' if k < text_columns else f"<th>{h}</th>" for k, h in enumerate(head))
    body = []
    for cells, cls in rows:
        tds = "".join(f'<td class="text">{c}</td>' if k < text_columns else f"<td>{c}</td>"
                      for k, c in enumerate(cells))
        body.append(f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>")
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def frequency_table_html(table: Frequencies) -> str:
    rows = [([esc(answer)] + [esc(c) for c in cells], kind if kind != "valid" else "")
            for answer, cells, kind in display_rows(table)]
    return _table(["Answer"] + [esc(g) for g in table.groups], rows,
                  caption="n (% of valid answers); blank, several-marked and unresolved answers apart")


def _swatch(colour: str | None) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>' if colour else ""


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def responses_section(ds: Dataset, distributed: dict[str, int]) -> str:
    """How many came back from each programme, and the response rate when known."""
    programme = ds.variable(PROGRAMME)
    groups = group_labels(ds, programme)
    returned = groups.value_counts()
    papers = paper_colours(ds)
    colour_name = {c.programme: c.name for c in ds.template.colours}
    names = [label for _, label in programme.values] + sorted(set(groups) - set(programme.value_labels.values()))
    total = len(ds.data)
    head = ["Programme", "Paper", "Returned", "% of returned"]
    if distributed:
        head += ["Handed out", "Response rate"]
    rows = []
    for name in names:
        n = int(returned.get(name, 0))
        cells = [_swatch(papers.get(name)) + esc(name), esc(colour_name.get(name, "")), str(n), _percent(n, total)]
        if distributed:
            d = distributed.get(name)
            cells += [str(d) if d is not None else "—", _percent(n, d) if d else "—"]
        rows.append((cells, "missing" if name not in papers and name.startswith("(") else ""))
    totals = ["All programmes", "", str(total), _percent(total, total)]
    if distributed:
        handed = sum(distributed.values())
        back = sum(int(returned.get(p, 0)) for p in distributed)
        totals += [str(handed), _percent(back, handed)]
    rows.append((totals, "total"))
    note = ""
    if distributed:
        note = ('<p class="note">Response rate: questionnaires returned ÷ handed out, for the programmes '
                "whose count was given; the total rate counts only those programmes.</p>")
    pages = int((ds.pages["status"] == "used").sum()) if len(ds.pages) else 0
    comments_written = len(ds.comments)
    cards = (f'<div class="cards"><div class="card"><b>{total}</b>questionnaires</div>'
             f'<div class="card"><b>{pages}</b>pages read</div>'
             f'<div class="card"><b>{comments_written}</b>written comments</div></div>')
    return (f'<section id="responses"><h2>Responses</h2>{cards}'
            f"{_table(head, rows, text_columns=2)}{note}</section>")


class _Images:
    """Comment images still to inline: the report stays a size a browser opens at once."""

    def __init__(self, out_dir: Path | None, limit: int):
        self.out_dir = out_dir
        self.left = limit

    def tag(self, crop: str) -> str:
        """An <img> of the crop, or its name once the limit is reached or it is missing."""
        path = self.out_dir / crop if self.out_dir is not None and crop else None
        if path is not None and path.is_file() and self.left > 0:
            self.left -= 1
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return f'<img alt="handwritten comment, not yet transcribed" src="data:image/jpeg;base64,{data}">'
        return f'<span class="muted">image: {esc(crop)}</span>' if crop else ""


def _comment_html(row: pd.Series, images: _Images) -> str:
    who = " · ".join(esc(x) for x in (row["programme"], row["role"], f"sheet {row['sheet_id']}") if x)
    resolved = row["status"] in RESOLVED
    text = f'<span class="text">{esc(row["text"])}</span>' if row["text"] else ""
    if not resolved:
        image = images.tag(row["crop"])
        state = f'<span class="flag">not yet reviewed: {esc(row["reason"] or row["status"])}</span>'
        return f'<li class="pending">{text}{image}<span class="who">{state} · {who}</span></li>'
    return f'<li>{text}<span class="who">{who}</span></li>'


def comments_html(ds: Dataset, zone_ids: list[str], images: _Images) -> str:
    rows = ds.comments[ds.comments["comment"].isin(zone_ids)]
    parts = []
    for zone_id in zone_ids:
        zone_rows = rows[rows["comment"] == zone_id]
        zone = next(z for z in ds.template.comments if z.id == zone_id)
        heading = f"Comments ({len(zone_rows)})"
        if zone.prompt and not zone.prompt.lower().startswith("please comment"):
            heading = f"{esc(zone.prompt)} ({len(zone_rows)})"
        if zone_rows.empty:
            parts.append(f'<h4>{heading}</h4><p class="muted">No comments written.</p>')
            continue
        if (zone_rows["coder"] != "").any():
            parts.append(f"<h4>{heading}</h4>{themes_html(ds, zone_rows, images)}")
            continue
        items = "".join(_comment_html(r, images) for _, r in zone_rows.iterrows())
        parts.append(f'<h4>{heading}</h4><ul class="comments">{items}</ul>')
    return "".join(parts)


def _quotes(ds: Dataset, zone_rows: pd.DataFrame, theme: str) -> pd.DataFrame:
    """Up to QUOTES_PER_THEME comments of the zone with `theme`: those chosen as quotes
    first, then the first coded."""
    codings = ds.codings
    given = codings[codings["in_force"] & (codings["theme"] == theme)
                    & codings["item"].isin(set(zone_rows["comment"]))]
    given = given[given["sheet_id"].isin(set(zone_rows["sheet_id"]))]
    given = given.sort_values(["quote", "coded_at"], ascending=[False, True], kind="stable")
    by_sheet = zone_rows.set_index("sheet_id")
    return by_sheet.loc[list(dict.fromkeys(given["sheet_id"]))[:QUOTES_PER_THEME]].reset_index()


def themes_html(ds: Dataset, zone_rows: pd.DataFrame, images: _Images) -> str:
    """One comment zone's themes: a table of comments per theme by programme, a few quotes
    of each theme, and the comments not yet coded."""
    programmes = [label for _, label in ds.variable(PROGRAMME).values]
    groups = zone_rows["programme"].map(lambda p: p or UNKNOWN_PROGRAMME)
    order = [p for p in programmes if p in set(groups)] + sorted(set(groups) - set(programmes))
    has = {t.name: zone_rows["themes"].map(lambda s, t=t.name: t in s.split("; ")) for t in ds.themes}
    used = [t for t in has if has[t].any()]
    coded = zone_rows[zone_rows["coder"] != ""]
    table_rows = [([esc(t)] + [str(int((has[t] & (groups == g)).sum())) for g in order] + [str(int(has[t].sum()))], "")
                  for t in used]
    table_rows.append((["Comments coded"] + [str(int(((zone_rows["coder"] != "") & (groups == g)).sum()))
                                              for g in order] + [str(len(coded))], "total"))
    parts = [_table(["Theme"] + [esc(g) for g in order] + [ALL], table_rows,
                    caption="comments with each theme, by the writer's programme")]
    for theme in used:
        quotes = "".join(_comment_html(r, images) for _, r in _quotes(ds, zone_rows, theme).iterrows())
        parts.append(f'<h5>{esc(theme)} <span class="muted">({int(has[theme].sum())})</span></h5>'
                     f'<ul class="comments">{quotes}</ul>')
    uncoded = zone_rows[zone_rows["coder"] == ""]
    if len(uncoded):
        items = "".join(_comment_html(r, images) for _, r in uncoded.iterrows())
        parts.append(f'<h5>Not yet coded <span class="muted">({len(uncoded)})</span></h5>'
                     f'<ul class="comments">{items}</ul>')
    return "".join(parts)


def item_html(ds: Dataset, v: Variable, by: str | None, colours: dict[str, str]) -> str:
    table = frequencies(ds, v.name, by)
    head = f"{esc(v.text or v.label)} <span class=\"muted\">({esc(v.name)})</span>"
    return (f'<div class="item-block" id="item-{esc(v.name)}"><h3>{head}</h3><div class="item">'
            f'<div class="freq">{frequency_table_html(table)}</div>'
            f'<div class="chart">{chart_svg(table, colours)}</div></div></div>')


def _question_order(ds: Dataset) -> list[str]:
    order = [q.number for q in ds.template.questions]
    for entry in list(ds.template.items) + list(ds.template.comments):
        if entry.question is not None and entry.question not in order:
            order.append(entry.question)
    return order


def question_sections(ds: Dataset, by: str | None, images: _Images) -> list[tuple[str, str, str]]:
    """(anchor, short title, HTML) for "About the respondents" and then each question."""
    colours = bar_colours(ds)
    coded = [v for v in ds.coded if v.item != PROGRAMME]
    sections = []
    about_items = [v for v in coded if v.question is None]
    about_zones = [z.id for z in ds.template.comments if z.question is None]
    if about_items or about_zones:
        body = "".join(item_html(ds, v, by, colours) for v in about_items)
        body += comments_html(ds, about_zones, images)
        sections.append(("about", "Respondents", f'<section id="about"><h2>About the respondents</h2>{body}</section>'))
    for number in _question_order(ds):
        items = [v for v in coded if v.question == number]
        zones = [z.id for z in ds.template.comments if z.question == number]
        if not items and not zones:
            continue
        q = ds.template.question(number)
        stem = f'<p class="stem">{esc(q.stem)}</p>' if q and q.stem else ""
        if len(items) == 1 and not stem:
            stem = f'<p class="stem">{esc(items[0].text)}</p>'
        body = "".join(item_html(ds, v, by, colours) for v in items)
        body += comments_html(ds, zones, images)
        anchor = "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", number)
        sections.append((anchor, f"Q{number}", f'<section id="{anchor}"><h2>Question {esc(number)}</h2>'
                                               f"{stem}{body}</section>"))
    return sections


def quality_section(ds: Dataset) -> str:
    """Flagged, reviewed and unresolved answers; questionnaires with a problem; pages not used and why."""
    cells = ds.cells
    queue = {Status.REVIEW.value, Status.MULTIPLE.value}
    flagged = int(cells["machine_status"].isin(queue).sum())
    reviewed = int((cells["status"] == Status.REVIEWED.value).sum())
    pending = cells[cells["status"].isin(queue)]
    auto = int((cells["status"] == Status.OK.value).sum())
    cards = "".join(f'<div class="card"><b>{n}</b>{esc(what)}</div>' for n, what in (
        (len(cells), "answers and comments"), (auto, "read with confidence"), (flagged, "flagged by the scan"),
        (reviewed, "settled by review"), (len(pending), "still unresolved")))
    parts = [f'<section id="quality"><h2>Data quality</h2><div class="cards">{cards}</div>']
    if len(pending):
        reasons = pending.assign(why=pending["reason"].where(pending["reason"] != "", pending["status"]))
        by_reason = reasons["why"].value_counts()
        parts.append("<h3>Still unresolved, by reason</h3>")
        parts.append(_table(["Reason", "Answers"], [([esc(r), str(n)], "") for r, n in by_reason.items()]))
        kinds = ds.unresolved()
        parts.append("<h3>Still unresolved, by kind</h3>")
        parts.append(_table(["Kind", "Answers"], [([esc(what), str(kinds[key])], "") for key, what in (
            ("items", "ticked answers"), ("comments", "written comments"), (PROGRAMME, "programme (paper colour)"))]))
        by_item = pending["item"].value_counts().head(20)
        texts = {v.item: v.text or v.label for v in ds.variables if v.item}
        parts.append("<h3>Still unresolved, by item</h3>")
        parts.append(_table(["Item", "Text", "Answers"],
                            [([esc(i), esc(textwrap.shorten(texts.get(i, ""), 70, placeholder="…")), str(n)], "")
                             for i, n in by_item.items()],
                            caption="the 20 items with most" if pending["item"].nunique() > 20 else "",
                            text_columns=2))
        parts.append('<p class="note">Unresolved answers count as missing in the tables above '
                     f"(code {int(Missing.UNRESOLVED)} in the exports); settle them with "
                     "<code>scanner review</code> and make the report again.</p>")
    else:
        parts.append('<p class="note">Nothing waits for review.</p>')
    parts.append(_sheet_problems_html(ds.sheets))
    pages = ds.pages
    if len(pages):
        counts = pages["status"].value_counts()
        parts.append("<h3>Pages</h3>")
        parts.append(_table(["Status", "Pages"], [([esc(s), str(n)], "") for s, n in counts.items()]
                            + [(["All pages", str(len(pages))], "total")]))
        unused = pages[pages["status"] != "used"]
        if len(unused):
            rows = [([esc(Path(r.source).name), "" if pd.isna(r.page) else str(r.page), esc(r.status),
                      esc(r.reason)], "")
                    for r in unused.head(UNUSED_PAGES_SHOWN).itertuples(index=False)]
            caption = f"the first {UNUSED_PAGES_SHOWN} of {len(unused)}" if len(unused) > UNUSED_PAGES_SHOWN else ""
            parts.append("<h3>Pages not used, and why</h3>")
            parts.append(_table(["File", "Page", "Status", "Reason"], rows, caption=caption, text_columns=4))
    parts.append("</section>")
    return "".join(parts)


def _sheet_problems_html(sheets: pd.DataFrame) -> str:
    """Questionnaires with a problem of their own: a page missing or repeated, a shared serial."""
    flagged = sheets[sheets["flags"] != ""] if len(sheets) else sheets
    if not len(flagged):
        return ""
    rows = [([esc(r.sheet_id), esc(Path(r.source).name), esc(r.flags), str(r.first_page)], "")
            for r in flagged.itertuples(index=False)]
    return ("<h3>Questionnaires with a problem</h3>"
            + _table(["Sheet", "File", "Problem", "First page"], rows, text_columns=3))


def build_report(ds: Dataset, distributed: dict[str, int] | None = None, out_dir: str | Path | None = None,
                 *, max_images: int = MAX_IMAGES) -> str:
    """The whole report as one HTML document.

    Args:
        ds: the survey.
        distributed: questionnaires handed out per programme (keys as `match_distributed`
            takes them), for response rates.
        out_dir: the scan's out folder, to inline images of comments not yet transcribed.
        max_images: at most this many comment images are inlined.

    Raises:
        UsageError: a `distributed` key names no programme.
    """
    distributed = match_distributed(ds, distributed or {})
    out_dir = Path(out_dir) if out_dir is not None else None
    by = PROGRAMME if ds.template.colours else None
    images = _Images(out_dir, max_images)
    questions = question_sections(ds, by, images)
    sections = [("responses", "Responses", responses_section(ds, distributed))] + questions
    sections.append(("quality", "Data quality", quality_section(ds)))
    if images.left <= 0:
        log.info("more than %d comment images: the rest are named, not shown", max_images)
    toc = "".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title, _ in sections)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t = ds.template
    files = ds.data["source"].nunique()
    subtitle = (f"<p>Form {esc(t.form)}, version {esc(t.version)} · {len(ds.data)} questionnaires "
                f"from {files} scanned file{'s' if files != 1 else ''} · made {now} by scanner {esc(__version__)}</p>")
    unresolved = sum(ds.unresolved().values())
    if unresolved:
        subtitle += (f'<p class="flag">{unresolved} answers still wait for review: they count as missing '
                     f'here (<a href="#quality">data quality</a>).</p>')
    page = string.Template(resources.files("scanner").joinpath("templates_html/report.html").read_text("utf-8"))
    return page.substitute(title=esc(ds.title), subtitle=subtitle, toc=toc, version=esc(__version__),
                           body="\n".join(body for _, _, body in sections))


def write_report(ds: Dataset, path: str | Path, distributed: dict[str, int] | None = None,
                 out_dir: str | Path | None = None) -> Path:
    """Write `build_report(...)` to `path` (through a temporary file) and return the path."""
    path = Path(path)
    text = build_report(ds, distributed, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
