"""Themes of the comments: the codebook, codings by two coders, agreement, suggestions, files.

Built on a copy of the scanned analysis survey (tests/analysis_survey.py), whose written
comments and programmes are known, coded here by hand-made rules.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scanner import refiqda, themes
from scanner.cli import app
from scanner.coding import comments_to_code, stem, suggest
from scanner.dataset import open_dataset
from scanner.errors import ExitCode
from scanner.store import Store
from scanner.themes import CodebookError, ThemeError, cohen_kappa

XSD = Path(__file__).parent / "data" / "refi-qda" / "Project.xsd"


@pytest.fixture
def out(survey, tmp_path) -> Path:
    """A fresh copy of the analysis survey's out folder, to code."""
    return Path(shutil.copytree(survey.out, tmp_path / "out"))


def _written(survey) -> list[tuple[int, str, str]]:
    """(sheet index, sheet id, comment id) of every typed comment, in batch order."""
    return [(k, t["sheet_id"], zone) for k, t in enumerate(survey.truth) for zone in t["comments"]]


def _type(store: Store, sheet_id: str, item: str, text: str) -> None:
    """A reviewer's transcription, straight into the decisions (as analysis_survey does)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    store.db.execute("INSERT INTO decisions (sheet_id, item, value, reviewer, decided_at) VALUES (?, ?, ?, ?, ?)",
                     (sheet_id, item, text, "test", now))


def _codebook(store: Store) -> None:
    themes.add_theme(store, "Funding", "Money, budgets and their rules", keywords=["budget", "money"])
    themes.add_theme(store, "Pooled budgets", parent="Funding", keywords=["pooled"])
    themes.add_theme(store, "Joint working", "Agencies working together", keywords=["joint", "together"])


def _code_by_rule(store: Store, survey) -> dict[tuple[str, str], set[str]]:
    """Ann codes every typed comment: Funding on even sheets, Joint working on comments of
    questions 1 to 9; returns what she gave each comment."""
    given = {}
    for k, sid, zone in _written(survey):
        chosen = set()
        if k % 2 == 0:
            chosen.add("Funding")
        if zone.startswith("q0"):
            chosen.add("Joint working")
        for theme in sorted(chosen):
            themes.code(store, sid, zone, theme, "ann")
        if not chosen:  # looked at, fits no theme: coded all the same
            themes.code(store, sid, zone, "Funding", "ann")
            themes.uncode(store, sid, zone, "Funding", "ann")
        given[(sid, zone)] = chosen
    return given


# --- agreement ------------------------------------------------------------------------------
def test_cohen_kappa_on_hand_computed_tables():
    # po = 8/10, each coder says yes to half: pe = 0.5, kappa = (0.8 - 0.5) / 0.5.
    assert cohen_kappa(4, 1, 1, 4) == pytest.approx(0.6)
    # po = 0.8; A says yes to 4 of 10, B to 2: pe = 0.4 * 0.2 + 0.6 * 0.8 = 0.56; (0.8 - 0.56) / 0.44.
    assert cohen_kappa(2, 2, 0, 6) == pytest.approx(6 / 11)
    assert cohen_kappa(3, 0, 0, 7) == 1.0
    assert cohen_kappa(0, 5, 5, 0) == -1.0
    assert cohen_kappa(0, 0, 0, 9) is None  # nobody ever used the theme: kappa is undefined
    assert cohen_kappa(0, 0, 0, 0) is None


def test_agreement_of_two_coders_gives_the_known_kappa_and_lists_disagreements(out, survey):
    comments = _written(survey)[:10]
    with Store(out) as store:
        _codebook(store)
        # Funding: both on 4, ann alone on 1, bob alone on 1, neither on 4 -> kappa 0.6.
        # Joint working: ann on 4, bob on 2 of them, neither on 6 -> kappa 6/11.
        for n, (_, sid, zone) in enumerate(comments):
            gave = {"ann": {"Funding"} if n < 5 else {"Joint working"} if n >= 6 else set(),
                    "bob": {"Funding"} if n < 4 or n == 5 else {"Joint working"} if n in (6, 7) else set()}
            for coder, chosen in gave.items():
                for theme in chosen:
                    themes.code(store, sid, zone, theme, coder)
                if not chosen:  # looked at and given no theme: still a comment they coded
                    themes.code(store, sid, zone, "Pooled budgets", coder)
                    themes.uncode(store, sid, zone, "Pooled budgets", coder)
        # A third coder's comments elsewhere do not enter the comparison.
        themes.code(store, *_written(survey)[11][1:], "Funding", "cy")
        result = themes.agreement(store, ("ann", "bob"))
    assert result.comments == 10
    by_theme = {t.theme: t for t in result.themes}
    assert set(by_theme) == {"Funding", "Joint working"}
    assert (by_theme["Funding"].both, by_theme["Funding"].only_a, by_theme["Funding"].only_b,
            by_theme["Funding"].neither) == (4, 1, 1, 4)
    assert by_theme["Funding"].kappa == pytest.approx(0.6)
    assert by_theme["Joint working"].kappa == pytest.approx(6 / 11)
    disagreements = {(d.sheet_id, d.item, d.theme, d.coded_by) for d in result.disagreements}
    assert disagreements == {
        (*comments[4][1:], "Funding", "ann"), (*comments[5][1:], "Funding", "bob"),
        (*comments[8][1:], "Joint working", "ann"), (*comments[9][1:], "Joint working", "ann")}


def test_agreement_command(out, survey):
    with Store(out) as store:
        _codebook(store)
        for _, sid, zone in _written(survey)[:4]:
            themes.code(store, sid, zone, "Funding", "ann")
        _, sid, zone = _written(survey)[0]
        themes.code(store, sid, zone, "Funding", "bob")
        _, sid, zone = _written(survey)[1]
        themes.code(store, sid, zone, "Joint working", "bob")
    runner = CliRunner()
    res = runner.invoke(app, ["themes", "agreement", str(out)])
    assert res.exit_code == 0, res.output
    assert "ann and bob: 2 comments coded by both" in res.stdout
    assert f"{sid} {zone}: 'Funding' given by ann, not by bob" in res.stdout
    res = runner.invoke(app, ["themes", "agreement", str(out), "--coders", "ann,zed"])
    assert res.exit_code == ExitCode.USAGE and "'zed' coded no comment" in res.output


# --- coding -------------------------------------------------------------------------------
def test_codings_are_kept_with_coder_and_time_and_undone_not_deleted(out, survey):
    (_, sid, zone), (_, sid2, zone2) = _written(survey)[:2]
    with Store(out) as store:
        _codebook(store)
        themes.code(store, sid, zone, "Funding", "ann")
        themes.code(store, sid, zone, "Joint working", "ann")
        themes.set_memo(store, sid, zone, "ann", "mentions the pooled budget")
        themes.uncode(store, sid, zone, "Funding", "ann")
        assert themes.comment_codings(store)[(sid, zone)].themes == ("Joint working",)
        undone = themes.undo(store, "ann")  # the uncode: Funding is back
        assert undone.action is themes.Action.UNCODE
        current = themes.comment_codings(store)[(sid, zone)]
        assert set(current.themes) == {"Funding", "Joint working"}
        assert current.memos == {"ann": "mentions the pooled budget"}
        # Bob codes the same comment later: his themes are in force, ann's are kept.
        themes.code(store, sid, zone, "Pooled budgets", "bob")
        current = themes.comment_codings(store)[(sid, zone)]
        assert current.coder == "bob" and current.themes == ("Pooled budgets",)
        assert set(current.by_coder["ann"]) == {"Funding", "Joint working"}
        with pytest.raises(ThemeError, match="only they can undo"):
            themes.undo(store, "ann", themes.history(store, sid, zone)[-1].id)
        steps = themes.history(store, sid, zone)
        assert [(s.action.value, s.theme, s.coder, s.undone) for s in steps] == [
            ("code", "Funding", "ann", False), ("code", "Joint working", "ann", False),
            ("memo", None, "ann", False), ("uncode", "Funding", "ann", True), ("code", "Pooled budgets", "bob", False)]
        assert all(s.coded_at.startswith("20") for s in steps)
        with pytest.raises(ThemeError, match="no theme 'Staffing'"):
            themes.code(store, sid2, zone2, "Staffing", "ann")
        with pytest.raises(ThemeError, match="no comment"):
            themes.code(store, sid2, "q99_comment", "Funding", "ann")
        with pytest.raises(ThemeError, match="coder's name"):
            themes.code(store, sid2, zone2, "Funding", "  ")


def test_codebook_edits_keep_codings_and_refuse_loops(out, survey):
    _, sid, zone = _written(survey)[0]
    with Store(out) as store:
        _codebook(store)
        themes.code(store, sid, zone, "Pooled budgets", "ann")
        themes.edit_theme(store, "Pooled budgets", new_name="Shared budgets", keywords=["shared", "Pooled"])
        assert themes.comment_codings(store)[(sid, zone)].themes == ("Shared budgets",)
        assert themes.find_theme(store, "Shared budgets").keywords == ("shared", "pooled")
        with pytest.raises(ThemeError, match="cannot be under"):
            themes.edit_theme(store, "Funding", parent="Shared budgets")
        with pytest.raises(ThemeError, match="already"):
            themes.add_theme(store, "Funding")
        with pytest.raises(ThemeError, match="semicolon"):
            themes.add_theme(store, "Money; time")


def test_comments_to_code_filters(out, survey):
    with Store(out) as store:
        _codebook(store)
        given = _code_by_rule(store, survey)
    ds = open_dataset(out, survey_template(survey))
    q1 = comments_to_code(ds, question="1")
    assert set(q1["comment"]) == {"q01_comment"}
    assert set(comments_to_code(ds, question="q01")["comment"]) == {"q01_comment"}
    funding = comments_to_code(ds, theme="Funding")
    assert {(r.sheet_id, r.comment) for r in funding.itertuples()} == {k for k, v in given.items() if "Funding" in v}
    uncoded = comments_to_code(ds, uncoded=True)
    assert set(uncoded["status"]) == {"review"}  # only the comment still waiting for its transcription
    assert len(comments_to_code(ds, uncoded=True, coder="bob")) == len(ds.comments)
    assert len(comments_to_code(ds, text="JOINT WORKING")) == len(given)
    programme = survey.truth[0]["programme"]
    assert set(comments_to_code(ds, programme=programme)["sheet_id"]) <= {
        t["sheet_id"] for t in survey.truth if t["programme"] == programme}


def survey_template(survey):
    from scanner.template import load_template

    return load_template(Path(__file__).resolve().parent.parent / "templates" / "surestart.yaml")


def test_suggestions_come_from_coded_comments_and_key_words_and_say_why(out, survey):
    (_, s1, z1), (_, s2, z2), (_, s3, z3), (_, s4, z4) = _written(survey)[:4]
    with Store(out) as store:
        _codebook(store)
        _type(store, s1, z1, "The pooled budget was cut twice this year.")
        _type(store, s2, z2, "Staff from health and social care now share one office.")
        _type(store, s3, z3, "Nobody knows who pays: the budgets are a maze.")
        _type(store, s4, z4, "Health visitors and social workers share an office.")
        themes.code(store, s1, z1, "Funding", "ann")
        themes.code(store, s2, z2, "Joint working", "ann")
    ds = open_dataset(out, survey_template(survey))
    about_money = suggest(ds, s3, z3)
    assert about_money[0].theme == "Funding"
    assert "budget" in about_money[0].words and "budget" in about_money[0].keywords
    assert "key words budget" in about_money[0].why
    about_office = suggest(ds, s4, z4)
    assert about_office[0].theme == "Joint working"
    assert {"office", "social", "health", "share"} & set(about_office[0].words)
    assert "1 coded comment" in about_office[0].why
    # Themes the comment has are not suggested again; nothing is applied by suggesting.
    assert "Funding" not in [s.theme for s in suggest(ds, s1, z1)]
    assert open_dataset(out, survey_template(survey)).comments.set_index(["sheet_id", "comment"]).loc[
        (s3, z3), "themes"] == ""
    assert stem("funding") == stem("funded") == stem("funds") == "fund"


# --- codebook files ---------------------------------------------------------------------------
def test_codebook_yaml_and_qdc_round_trip(out, tmp_path):
    runner = CliRunner()
    book = tmp_path / "codebook.yaml"
    book.write_text(yaml.safe_dump({"themes": [
        {"name": "Pooled budgets", "parent": "Funding", "keywords": ["pooled"]},  # a child before its parent
        {"name": "Funding", "description": "Money, budgets\nand their rules", "keywords": "budget, Money"},
        {"name": "Joint working"}]}), encoding="utf-8")
    res = runner.invoke(app, ["themes", "import", str(out), str(book)])
    assert res.exit_code == 0, res.output
    assert "3 themes added, 0 updated" in res.output
    with Store(out) as store:
        first = themes.codebook(store)
    assert [(t.name, t.parent, t.keywords) for t in first] == [
        ("Pooled budgets", "Funding", ("pooled",)), ("Funding", None, ("budget", "money")), ("Joint working", None, ())]
    for name in ("again.yaml", "again.qdc"):
        res = runner.invoke(app, ["themes", "export", str(out), str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        read = themes.read_codebook(tmp_path / name)
        assert sorted((t.name, t.description, t.parent, t.keywords, t.guid) for t in read) == sorted(
            (t.name, t.description, t.parent, t.keywords, t.guid) for t in first)
    # Importing the codebook back, renamed in the file, updates the theme matched by its guid.
    qdc = (tmp_path / "again.qdc").read_text(encoding="utf-8").replace('name="Joint working"', 'name="Partnership"')
    (tmp_path / "renamed.qdc").write_text(qdc, encoding="utf-8")
    res = runner.invoke(app, ["themes", "import", str(out), str(tmp_path / "renamed.qdc")])
    assert "0 themes added, 3 updated" in res.output
    res = runner.invoke(app, ["themes", "list", str(out)])
    assert res.exit_code == 0 and "Partnership: 0 comments" in res.stdout
    assert "Pooled budgets (under Funding)" in res.stdout


def test_a_bad_codebook_is_named_with_its_entry(out, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - name: Funding\n  - nmae: Staff\n", encoding="utf-8")
    res = runner.invoke(app, ["themes", "import", str(out), str(bad)])
    assert res.exit_code == ExitCode.USAGE
    assert f"{bad}: themes[1].nmae: unknown key" in res.output
    with pytest.raises(CodebookError, match="not a REFI-QDA codebook"):
        (tmp_path / "x.qdc").write_text("<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>", encoding="utf-8")
        themes.read_codebook(tmp_path / "x.qdc")
    with pytest.raises(CodebookError, match=r"\.yaml, \.yml or \.qdc"):
        themes.read_codebook(bad.rename(tmp_path / "bad.txt"))


# --- the REFI-QDA project ------------------------------------------------------------------------
def test_qdpx_is_valid_refi_qda_and_round_trips_the_codings(out, survey, tmp_path):
    etree = pytest.importorskip("lxml.etree")
    with Store(out) as store:
        _codebook(store)
        _code_by_rule(store, survey)
        _, sid, zone = _written(survey)[0]
        themes.code(store, sid, zone, "Pooled budgets", "bob")  # a second coder on one comment
        themes.set_memo(store, sid, zone, "bob", "budget rules, not money")
        themes.set_memo(store, sid, zone, "ann", "ask about the pooled budget")
        before = themes.comment_codings(store)
    res = CliRunner().invoke(app, ["export", str(out), "--format", "qdpx", "-o", str(tmp_path / "exp")])
    assert res.exit_code == 0, res.output
    qdpx = tmp_path / "exp" / "comments.qdpx"
    ds = open_dataset(out, survey_template(survey))
    with zipfile.ZipFile(qdpx) as z:
        project = etree.fromstring(z.read("project.qde"))
        names = z.namelist()
        schema = etree.XMLSchema(etree.parse(str(XSD)))
        assert schema.validate(project), schema.error_log
        # Every comment is a source, its text in sources/, with its respondent's attributes.
        ns = {"q": refiqda.PROJECT_NS}
        sources = project.findall("q:Sources/q:TextSource", ns)
        assert len(sources) == len(ds.comments) and len(names) == len(ds.comments) + 1
        first = next(s for s in sources if s.get("name") == f"{sid} {zone}")
        text = z.read("sources/" + first.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
        assert text == survey.truth[0]["comments"][zone]
        selection = first.find("q:PlainTextSelection", ns)
        assert (selection.get("startPosition"), selection.get("endPosition")) == ("0", str(len(text)))
    variables = {v.get("guid"): v.get("name") for v in project.iter(f"{{{refiqda.PROJECT_NS}}}Variable")}
    values = {variables[vv.find("q:VariableRef", ns).get("targetGUID")]: vv.findtext("q:TextValue", namespaces=ns)
              for vv in first.findall("q:VariableValue", ns)}
    row = ds.comments.set_index(["sheet_id", "comment"]).loc[(sid, zone)]
    assert values == {"programme": survey.truth[0]["programme"], "role": row["role"], "question": row["question"],
                      "sheet_id": sid, "comment": zone}

    # Into a survey with no themes: the same codebook, codings (coder and time) and memos.
    fresh = Path(shutil.copytree(survey.out, tmp_path / "fresh"))
    res = CliRunner().invoke(app, ["themes", "import", str(fresh), str(qdpx)])
    assert res.exit_code == 0, res.output
    with Store(fresh) as store:
        after = themes.comment_codings(store)
        assert [t.name for t in themes.codebook(store)] == ["Funding", "Pooled budgets", "Joint working"]

    def given(coded):
        return {(c.sheet_id, c.item, coder, theme, c.coded_at[(coder, theme)])
                for c in coded.values() for coder, ts in c.by_coder.items() for theme in ts}

    assert given(after) == given(before)
    assert after[(sid, zone)].memos == before[(sid, zone)].memos
    # Importing it again adds nothing.
    res = CliRunner().invoke(app, ["themes", "import", str(fresh), str(qdpx)])
    assert "0 themes added, 3 updated; 0 codings and 0 memos imported" in res.output


# --- analysis --------------------------------------------------------------------------------
def test_tabulate_themes_counts_comments_and_respondents(out, survey):
    with Store(out) as store:
        _codebook(store)
        given = _code_by_rule(store, survey)
    ds = open_dataset(out, survey_template(survey))
    from scanner.tabulate import ALL, theme_counts

    programme = {t["sheet_id"]: t["programme"] or "(programme unresolved)" for t in survey.truth}
    written = {(r.sheet_id, r.comment) for r in ds.comments.itertuples()}  # typed and still pending
    counts = theme_counts(ds, "programme")
    for group in counts.groups:
        def in_group(key):
            return group == ALL or programme[key[0]] == group
        writers = {k[0] for k in written if in_group(k)}
        assert counts.written[group] == sum(map(in_group, written))
        assert counts.writers[group] == len(writers)
        assert counts.uncoded[group] == sum(in_group(k) for k in written if k not in given)
        for theme in counts.themes:
            with_theme = [k for k, v in given.items() if theme in v and in_group(k)]
            assert counts.comments[(theme, group)] == len(with_theme)
            people = {k[0] for k in with_theme}
            assert counts.respondents[(theme, group)] == len(people)
            if writers:
                assert counts.percent(theme, group) == pytest.approx(100 * len(people) / len(writers))
    assert counts.comments[("Pooled budgets", ALL)] == 0
    by_question = theme_counts(ds, "question")
    question = {z: f"Q{q}" if q else z for z, q in zip(ds.comments["comment"], ds.comments["question"])}
    q_counts = Counter(question[z] for (_, z), v in given.items() if "Joint working" in v)
    assert q_counts
    for group, n in q_counts.items():
        assert by_question.comments[("Joint working", group)] == n

    runner = CliRunner()
    res = runner.invoke(app, ["tabulate", str(out), "--themes", "--by", "programme", "-f", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("theme,by,group,comments,comments_percent,respondents,respondents_percent")
    res = runner.invoke(app, ["tabulate", str(out), "--themes"], env={"COLUMNS": "100"})
    assert res.exit_code == 0 and "Respondents per theme" in res.stdout and "not yet coded" in res.stdout
    res = runner.invoke(app, ["tabulate", str(survey.out), "--themes"])
    assert res.exit_code == ExitCode.USAGE and "no themes yet" in res.output


def test_exports_carry_themes_as_labelled_multiple_response_variables(out, survey, tmp_path):
    import pandas as pd
    import pyreadstat

    with Store(out) as store:
        _codebook(store)
        given = _code_by_rule(store, survey)
        _, sid, zone = _written(survey)[0]
        themes.set_memo(store, sid, zone, "ann", "=> ask about this one")
    folder = tmp_path / "exp"
    res = CliRunner().invoke(app, ["export", str(out), "-f", "all", "-o", str(folder)])
    assert res.exit_code == 0, res.output
    pending = {(t["sheet_id"], z) for t in survey.truth for z in t["pending"]}
    expected = []  # q07_theme_joint_working per sheet, as SPSS holds it
    for t in survey.truth:
        key = (t["sheet_id"], "q07_comment")
        expected.append(-3 if key in pending else -1 if key not in given else int("Joint working" in given[key]))
    assert 1 in expected and -1 in expected
    sav, meta = pyreadstat.read_sav(folder / "data.sav", user_missing=True)
    assert sav["q07_theme_joint_working"].tolist() == expected
    assert meta.column_names_to_labels["q07_theme_joint_working"] == "Q7 comment theme: Joint working"
    assert meta.variable_value_labels["q07_theme_joint_working"][1] == "Given this theme"
    assert meta.missing_ranges["q07_theme_joint_working"] == [{"lo": -4.0, "hi": -1.0}]  # every missing code
    dta, meta = pyreadstat.read_dta(folder / "data.dta")
    assert meta.column_names_to_labels["q07_theme_joint_working"] == "Q7: comment theme: Joint working"
    assert [int(v) if v == v else None for v in dta["q07_theme_joint_working"]] == [
        e if e >= 0 else None for e in expected]
    parquet = pd.read_parquet(folder / "data.parquet")
    assert [None if pd.isna(v) else int(v) for v in parquet["q07_theme_joint_working"]] == [
        e if e >= 0 else None for e in expected]
    csv = pd.read_csv(folder / "data.csv")
    assert [None if pd.isna(v) else int(v) for v in csv["q07_theme_joint_working"]] == [
        e if e >= 0 else None for e in expected]
    mrsets = (folder / "data_mrsets.sps").read_text(encoding="utf-8")
    assert "/MDGROUP NAME=$q07_themes LABEL='Q7 comment: themes' CATEGORYLABELS=VARLABELS VALUE=1" in mrsets
    assert "VARIABLES=q07_theme_funding q07_theme_joint_working" in mrsets
    comments = pd.read_csv(folder / "comments.csv", dtype=str, keep_default_na=False).set_index(["sheet_id", "comment"])
    assert comments.loc[(sid, zone), "memo"] == "'=> ask about this one"  # a CSV cell a spreadsheet would run
    assert set(comments.loc[(sid, zone), "themes"].split("; ")) == given[(sid, zone)]
    assert pd.read_excel(folder / "comments.xlsx").set_index(["sheet_id", "comment"]).loc[
        (sid, zone), "memo"] == "=> ask about this one"


def test_report_shows_themes_by_programme_quotes_and_uncoded(out, survey):
    from scanner.report import build_report

    with Store(out) as store:
        _codebook(store)
        coded = _written(survey)
        q07 = [(sid, z) for _, sid, z in coded if z == "q07_comment"]
        assert len(q07) >= 2
        for sid, z in q07[1:]:  # the first is left for later
            themes.code(store, sid, z, "Joint working", "ann")
        chosen = q07[-1]
        themes.choose_quote(store, *chosen, "Joint working", "ann")
    ds = open_dataset(out, survey_template(survey))
    html = build_report(ds)
    section = html[html.index('<section id="q-7">'):]
    section = section[:section.index("</section>")]
    assert "comments with each theme, by the writer's programme" in section
    assert "<h5>Joint working" in section
    quotes = section[section.index("<h5>Joint working"):]
    first_quote = survey.truth[[t["sheet_id"] for t in survey.truth].index(chosen[0])]["comments"]["q07_comment"]
    assert quotes.index(first_quote) < quotes.index("</ul>")  # the chosen quote comes first
    uncoded = section[section.index("Not yet coded"):]
    first = survey.truth[[t["sheet_id"] for t in survey.truth].index(q07[0][0])]["comments"]["q07_comment"]
    assert first in uncoded and first not in quotes[:quotes.index("Not yet coded")]


def test_comment_card_is_what_the_coding_view_needs(out, survey):
    from scanner.coding import comment_card

    (_, sid, zone), (_, sid2, zone2) = _written(survey)[:2]
    with Store(out) as store:
        _codebook(store)
        themes.code(store, sid2, zone2, "Joint working", "ann")
        ds = open_dataset(out, survey_template(survey))
        themes.code(store, sid, zone, "Funding", "bob")  # after the dataset was built: the card still shows it
        themes.set_memo(store, sid, zone, "bob", "see also Q9")
        card = comment_card(ds, store, sid, zone, "bob")
        assert card["text"] == survey.truth[0]["comments"][zone]
        assert card["programme"] == survey.truth[0]["programme"]
        assert [(t["name"], t["mine"], t["in_force"]) for t in card["themes"]] == [
            ("Funding", True, True), ("Pooled budgets", False, False), ("Joint working", False, False)]
        assert card["memo"] == "see also Q9" and card["coded_by"] == ["bob"]
        assert card["suggestions"] and card["suggestions"][0]["theme"] == "Joint working"
        assert card["suggestions"][0]["why"].startswith("key words joint; words of 1 coded comment: ")
        with pytest.raises(ThemeError, match="no written comment"):
            comment_card(ds, store, sid, "q99_comment", "bob")


def test_codings_follow_their_page_when_a_rescan_reads_it_into_another_sheet(template, tmp_path):
    """As review decisions do (test_identity): questionnaire 2 first read as two sheets
    (a.pdf pages 1-3, b.pdf pages 4-7), then a.pdf holds all of it. A comment of the b.pdf
    sheet was coded meanwhile: its codings and memo move with its page, none is lost."""
    import functools

    from test_identity import _run_pages, split_over_two_files

    q1, q2, b = split_over_two_files(template)
    zone = template.comments_on(5)[0].id
    run = functools.partial(_run_pages, template, tmp_path)
    first = run(q1 + q2[:3] + b)
    with Store(tmp_path) as store:
        # These pages carry no measurements, so the store cannot tell the zone's page; a scan does.
        store.db.execute("UPDATE results SET form_page = 5 WHERE sheet_id = ? AND item = ?", (first[2], zone))
        _codebook(store)
        themes.code(store, first[2], zone, "Funding", "ann")
        themes.set_memo(store, first[2], zone, "ann", "came on a loose page")
    assert run(q1 + q2) == first[:2]
    with Store(tmp_path) as store:
        coded = themes.comment_codings(store)
    assert coded[(first[1], zone)].themes == ("Funding",)
    assert coded[(first[1], zone)].memos == {"ann": "came on a loose page"}
    assert not any(sid == first[2] for sid, _ in coded)
