"""The HTML report: its content against the truth of a scanned batch, and how it renders
in headless Chromium with the network cut off."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.errors import ExitCode, UsageError
from scanner.report import chart_svg, match_distributed, parse_distributed
from scanner.tabulate import frequencies

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def report(survey, tmp_path_factory) -> Path:
    """The report as the command writes it by default (OUT/report.html), with counts
    handed out for A and B, from a copy of the out folder: comment images are found
    relative to the folder, wherever it is."""
    copy = tmp_path_factory.mktemp("report") / "copied-out"
    shutil.copytree(survey.out, copy)
    res = CliRunner().invoke(app, ["report", str(copy), "--distributed", "A=4,pink=2"])
    assert res.exit_code == 0, res.output
    return copy / "report.html"


def _returned(survey) -> Counter:
    return Counter(t["programme"] for t in survey.truth)


def test_report_content(survey, dataset, report):
    html = report.read_text(encoding="utf-8")
    returned = _returned(survey)
    assert "<title>Multi-agency working in Sure Start</title>" in html
    # Responses and response rates: A and B handed out 4 and 2.
    a, b = returned["Programme A"], returned["Programme B"]
    assert re.search(rf"Programme A</td><td class=\"text\">yellow</td><td>{a}</td><td>[0-9.]+%</td>"
                     rf"<td>4</td><td>{100 * a / 4:.1f}%</td>", html)
    assert re.search(rf"Programme B</td><td class=\"text\">pink</td><td>{b}</td><td>[0-9.]+%</td>"
                     rf"<td>2</td><td>{100 * b / 2:.1f}%</td>", html)
    assert "(programme unresolved)" in html
    # Every question with its stem, every item with its text, table and chart.
    for q in dataset.template.questions:
        assert f"<h2>Question {q.number}</h2>" in html
        if q.stem:
            assert q.stem.replace("'", "&#x27;") in html
    for item in dataset.template.items:
        assert f'id="item-{item.id}"' in html
        assert item.text.replace("'", "&#x27;") in html
    assert html.count("<svg ") == len(dataset.template.items)
    # Comments under their question: typed ones as text, untyped ones as the inlined image.
    for t in survey.truth:
        for text in t["comments"].values():
            assert text in html
    pending = sum(len(t["pending"]) for t in survey.truth)
    assert html.count('src="data:image/jpeg;base64,') == pending
    # Data quality, with the blank back page and why it was not used.
    assert "<h2>Data quality</h2>" in html
    assert re.search(r"batch\.pdf</td><td class=\"text\">57</td><td class=\"text\">blank</td>", html)
    # Self-contained: nothing to fetch.
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html


def test_frequency_table_in_report_matches_the_truth(survey, dataset, report):
    html = report.read_text(encoding="utf-8")
    block = html[html.index('id="item-q01"'):html.index('id="item-q02"')]
    table = frequencies(dataset, "q01", by="programme")
    codes = Counter(int(t["codes"]["q01"]) for t in survey.truth)
    valid = sum(n for c, n in codes.items() if c > 0)
    assert table.valid() == valid
    for code, label in dataset.variable("q01").values:
        pct = f"{100 * codes[code] / valid:.1f}%"
        assert re.search(rf"<td class=\"text\">{label}</td>(<td>[^<]*</td>)*<td>{codes[code]} \({pct}\)</td></tr>",
                         block), label


def test_chart_is_an_svg_with_one_bar_group_per_programme(dataset):
    svg = chart_svg(frequencies(dataset, "q07a", by="programme"), {"Programme A": "#c9a227"})
    assert svg.startswith('<svg role="img" aria-label="Chart: Concern about conflicts')
    assert "Programme A (n=" in svg and "Strongly agree" in svg


def test_distributed_is_checked():
    assert parse_distributed("A=40, B=40") == {"A": 40, "B": 40}
    with pytest.raises(UsageError, match="NAME=COUNT"):
        parse_distributed("A:40")


def test_distributed_names_must_match_a_programme(dataset, survey, tmp_path):
    assert match_distributed(dataset, {"A": 3, "green": 2, "programme c": 1}) == {
        "Programme A": 3, "Programme D": 2, "Programme C": 1}
    with pytest.raises(UsageError, match="names no programme"):
        match_distributed(dataset, {"Z": 3})
    res = CliRunner().invoke(app, ["report", str(survey.out), "-o", str(tmp_path / "r.html"), "--distributed", "Z=3"])
    assert res.exit_code == ExitCode.USAGE and "names no programme" in res.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")
def test_report_renders_offline_in_chromium(dataset, report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    fetched: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def block(route):
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    fetched.append(url)
                    route.abort()

            page.route("**/*", block)
            page.goto(report.as_uri())
            assert page.title() == "Multi-agency working in Sure Start"
            headings = page.locator("h2").all_inner_texts()
            assert headings[0] == "Responses" and headings[-1] == "Data quality"
            assert "Question 7" in headings and "About the respondents" in headings
            charts = page.locator(".chart svg")
            assert charts.count() == len(dataset.template.items)
            box = charts.nth(0).bounding_box()
            assert box is not None and box["width"] > 250 and box["height"] > 100
            images = page.locator("ul.comments img")
            assert images.count() >= 1
            assert page.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
            page.click("nav.toc >> text=Q7")
            assert page.locator("#q-7 h2").is_visible()
            assert "Concern about conflicts" in page.locator("#q-7").inner_text()
            page.screenshot(path=str(tmp_path / "report.png"))
        finally:
            browser.close()
    assert fetched == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_needs_a_survey(tmp_path):
    res = CliRunner().invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == ExitCode.USAGE and "no scan results" in res.output

