"""Frequency tables against the truth of a scanned batch (analysis_survey)."""

from __future__ import annotations

import io
from collections import Counter

import pandas as pd
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.dataset import Missing
from scanner.errors import ExitCode, UsageError
from scanner.tabulate import ALL, frequencies, render, select, tabulate


def _truth_counts(survey, item, programme=False):
    """Counter of codes (Missing codes for missing) per programme label, and overall."""
    counts: dict[str, Counter] = {ALL: Counter()}
    for t in survey.truth:
        code = int(t["codes"][item])
        counts[ALL][code] += 1
        group = t["programme"] or "(programme unresolved)"
        counts.setdefault(group, Counter())[code] += 1
    return counts


@pytest.mark.parametrize("item", ["role", "q01", "q07a", "q20c"])
def test_overall_counts_and_percentages_match_the_truth(survey, dataset, item):
    table = frequencies(dataset, item)
    truth = _truth_counts(survey, item)[ALL]
    valid = sum(n for code, n in truth.items() if code > 0)
    assert table.groups == (ALL,)
    assert table.valid() == valid
    assert table.total() == len(survey.truth)
    for code, _ in dataset.variable(item).values:
        assert table.n(code) == truth[code]
        assert table.percent(code) == pytest.approx(100 * truth[code] / valid)
    for m in Missing:
        assert table.n(int(m)) == truth[int(m)]


def test_by_programme_splits_the_same_counts(survey, dataset):
    table = frequencies(dataset, "q07a", by="programme")
    truth = _truth_counts(survey, "q07a", programme=True)
    programmes = [label for _, label in dataset.variable("programme").values]
    present = [p for p in programmes if p in truth] + ["(programme unresolved)"]
    assert list(table.groups) == present + [ALL]
    for group in present:
        for code, n in truth[group].items():
            assert table.n(code, group) == n, (group, code)
    assert sum(table.total(g) for g in present) == table.total(ALL)


def test_by_role_and_bad_names(dataset):
    table = frequencies(dataset, "q01", by="role")
    assert "(role blank)" in table.groups and "(role several marked)" in table.groups
    with pytest.raises(UsageError, match="not a coded item"):
        frequencies(dataset, "q01", by="nonsense")
    with pytest.raises(UsageError, match="matches no coded item"):
        select(dataset, "q99")


def test_select_by_id_question_or_prefix(dataset):
    assert [v.name for v in select(dataset, "q07")] == ["q07a", "q07b", "q07c", "q07d"]
    assert [v.name for v in select(dataset, "1")] == ["q01"]
    assert [v.name for v in select(dataset, "Q1,q07b,role")] == ["q01", "q07b", "role"]
    assert len(select(dataset)) == 50  # role and the 49 table items; programme is the grouping


def test_csv_is_long_and_complete(survey, dataset):
    text = render(tabulate(dataset, "q07a,q07b", by="programme"), "csv")
    df = pd.read_csv(io.StringIO(text))
    assert set(df["variable"]) == {"q07a", "q07b"}
    row = df[(df["variable"] == "q07a") & (df["group"] == ALL) & (df["kind"] == "total")]
    assert int(row["n"].iloc[0]) == len(survey.truth)
    valid = df[(df["variable"] == "q07a") & (df["group"] == ALL) & (df["kind"] == "valid")]
    assert valid["percent"].sum() == pytest.approx(100, abs=0.2)
    assert list(valid["answer"]) == ["Strongly disagree", "Disagree", "Not sure", "Agree", "Strongly agree"]


def test_markdown_has_stem_and_table(dataset):
    md = render(tabulate(dataset, "q07a", by="programme"), "markdown")
    assert md.startswith("### q07a — Q7: Concern about conflicts")
    assert "*Q7. In practice, budgets and financial arrangements" in md
    assert "| Answer | Programme A |" in md
    assert "| **All questionnaires** |" in md


def test_cli_tabulate(survey, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["tabulate", str(survey.out), "--items", "q01,q02", "--by", "programme"],
                        env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    assert "q01 — Q1: LA structures and boundaries" in res.stdout
    assert "Programme A" in res.stdout and "Valid answers" in res.stdout
    assert "…" not in res.stdout  # numbers are never cut short
    res = runner.invoke(app, ["tabulate", str(survey.out), "--items", "q01", "-f", "csv"])
    assert res.exit_code == 0 and res.stdout.startswith("variable,label,by,group,kind,code,answer,n,percent")
    res = runner.invoke(app, ["tabulate", str(survey.out), "--items", "7", "-f", "markdown",
                              "-o", str(tmp_path / "t.md")])
    assert res.exit_code == 0 and (tmp_path / "t.md").read_text().count("### q07") == 4
    res = runner.invoke(app, ["tabulate", str(survey.out), "--by", "colour"])
    assert res.exit_code == ExitCode.USAGE and "not a coded item" in res.output
