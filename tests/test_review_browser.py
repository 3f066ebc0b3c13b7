"""End to end in real headless Chromium: a reviewer works through the queue with the
keyboard, meets another reviewer's decision, undoes, goes back, runs a quality check;
then the store and the CSVs must say what was decided.

Uses Debian's /usr/bin/chromium through Playwright; never downloads a browser.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from chromium import PAGE_TIMEOUT_MS, launched, needs_chromium
from review_survey import (FAINT_ITEM, MULTIPLE_ITEM, WRITTEN_COMMENT, cached_survey, copy_survey, expected_codes,
                           running)

from scanner.store import Store

pytestmark = needs_chromium


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (a launch costs a second or two of CPU); each test's
    page has a browser context of its own (`new_page`), so no cookie or storage is shared."""
    with launched() as b:
        yield b


def signed_in(browser, server, name: str = "Ann"):
    """A new page of the review `server`, signed in as `name`, its first item shown; and a
    list that collects the page's script errors as they come."""
    page = browser.new_page(bypass_csp=True)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.login_url())
    page.fill("#name-input", name)
    page.press("#name-input", "Enter")
    page.wait_for_function("document.querySelector('#item').dataset.key")
    return page, errors


def shown(page) -> str:
    return page.eval_on_selector("#item", "e => e.dataset.key")


def press_and_wait(page, key: str) -> str:
    """Press a key and wait for another item (or the end of the list) to show."""
    before = shown(page)
    page.keyboard.press(key)
    page.wait_for_function("k => document.querySelector('#item').dataset.key !== k", arg=before)
    return shown(page)


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_a_reviewer_works_through_the_queue_with_the_keyboard(out, template, browser):
    with Store(out) as store:
        s1, s2 = [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]
    with running(out, template) as server:
        page = browser.new_page(bypass_csp=True)  # wait_for_function evaluates strings
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # As `scanner review` opens it: a one-time address, exchanged for a cookie; the
        # page's own address holds no token.
        page.goto(server.login_url())
        assert page.url == f"http://127.0.0.1:{server.server_address[1]}/"
        cookie = page.context.cookies()[0]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and page.evaluate("document.cookie") == ""

        # The name is asked once.
        page.fill("#name-input", "Ann")
        page.press("#name-input", "Enter")
        page.wait_for_function("document.querySelector('#item').dataset.key")
        assert shown(page) == f"{s1}/{MULTIPLE_ITEM}"
        assert page.inner_text("#progress").startswith("1 of 4")
        assert "more than one box marked" in page.inner_text("#item")
        page.wait_for_function("document.querySelector('#crop img') && document.querySelector('#crop img').complete"
                               " && document.querySelector('#crop img').naturalWidth > 0")

        # A code, then undo: the item comes back; m leaves it invalid.
        assert press_and_wait(page, "3") == f"{s1}/{FAINT_ITEM}"
        assert press_and_wait(page, "u") == f"{s1}/{MULTIPLE_ITEM}"
        assert "Undone" in page.inner_text("#message")
        assert press_and_wait(page, "m") == f"{s1}/{FAINT_ITEM}"

        # Bob decides the item on screen first: Ann is told, and his decision stands...
        bob = post_json(server.url + "api/decision", {"sheet_id": s1, "item": FAINT_ITEM, "value": "3",
                                                      "reviewer": "Bob", "seen": None})
        page.keyboard.press("Enter")
        page.wait_for_function("!document.querySelector('#message').hidden")
        assert "Bob" in page.inner_text("#message") and shown(page) == f"{s1}/{FAINT_ITEM}"
        assert "by Bob" in page.inner_text(".decided")
        # ...until she decides again, knowingly.
        assert press_and_wait(page, "1") == f"{s1}/{WRITTEN_COMMENT}"

        # The comment: transcribe in the box, Enter saves.
        assert page.evaluate("document.activeElement.id") == "text"
        page.keyboard.type("More joint training please")
        assert press_and_wait(page, "Enter") == f"{s2}/programme"

        # The programme: a swatch of the paper, a digit chooses.
        assert page.is_visible(".paper .swatch")
        assert press_and_wait(page, "2") == ""
        assert page.is_visible("#done")
        # Back to it and change it.
        assert press_and_wait(page, "Backspace") == f"{s2}/programme"
        assert "Programme B" in page.inner_text(".decided")
        assert press_and_wait(page, "3") == ""

        # A new visit (on the cookie) remembers the name and finds nothing left.
        page.reload()
        page.wait_for_selector("#done", state="visible")
        page.wait_for_function("document.querySelector('#done-text').textContent !== ''")  # the server's counts
        assert not page.is_visible("#name-dialog") and "Nothing left" in page.inner_text("#done")

        # The quality check: blind, three ok items, one answered wrong on purpose.
        codes = expected_codes(template)
        page.click("#mode-check")
        page.fill("#check-n", "3")
        page.click("#check-form button[value=go]")
        page.wait_for_function("document.querySelector('#item').dataset.key")
        for k in range(3):
            assert page.query_selector("#guess") is None and page.query_selector(".score") is None
            sheet, item = shown(page).split("/")
            right = "1" if item == "programme" else str(codes[item])
            wrong = "2" if right == "1" else "1"
            press_and_wait(page, wrong if k == 0 else right)
        page.wait_for_selector("#report")
        assert "3 ok values checked blind, 1 disagreed" in page.inner_text("#report")
        assert errors == []
        server.app.flush()

    with Store(out) as store:
        rows = store.db.execute("SELECT item, value, reviewer, outcome, undone FROM decisions ORDER BY id").fetchall()
    made = [tuple(r) for r in rows]
    assert made[:7] == [
        (MULTIPLE_ITEM, "3", "Ann", "value", 1),
        (MULTIPLE_ITEM, "", "Ann", "invalid", 0),
        (FAINT_ITEM, "3", "Bob", "value", 0),
        (FAINT_ITEM, "1", "Ann", "value", 0),
        (WRITTEN_COMMENT, "More joint training please", "Ann", "value", 0),
        ("programme", "Programme B", "Ann", "value", 0),
        ("programme", "Programme C", "Ann", "value", 0),
    ]
    assert [r[3] for r in made[7:]] == ["check"] * 3 and bob["reviewer"] == "Bob"

    items = pd.read_csv(out / "items.csv", dtype=str, keep_default_na=False).set_index(["sheet_id", "item"])
    for key in [(s1, MULTIPLE_ITEM), (s1, FAINT_ITEM), (s1, WRITTEN_COMMENT), (s2, "programme")]:
        assert items.loc[key, "status"] == "reviewed"
    assert items.loc[(s1, FAINT_ITEM), "value"] == "1"
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False).set_index("sheet_id")
    assert responses.loc[s1, MULTIPLE_ITEM] == "" and responses.loc[s1, FAINT_ITEM] == "1"
    assert responses.loc[s1, WRITTEN_COMMENT] == "More joint training please"
    assert responses.loc[s2, "programme"] == "Programme C"


def _as_ocr_left_it(out: Path, s1: str, s2: str) -> str:
    """Sheet 1's comment as Tesseract might have read it (two words unsure, one of them in
    no dictionary), and a comment on sheet 2 read with confidence; returns its zone."""
    other = "q02_comment"
    evidence = {"ink_mm2": 105.0, "ocr_confidence": 0.41, "unknown_words": ["jiont"],
                "word_confidences": [0.96, 0.41, 0.6, 0.97]}
    with Store(out) as store, store.transaction():
        store.db.execute("UPDATE results SET value = ?, reason = 'OCR_UNSURE', evidence = ? "
                         "WHERE sheet_id = ? AND item = ?",
                         ("More jiont trainng please", json.dumps(evidence), s1, WRITTEN_COMMENT))
        store.db.execute("UPDATE results SET value = 'The pooled budget helps', status = 'ok', reason = NULL, "
                         "confidence = 0.95 WHERE sheet_id = ? AND item = ?", (s2, other))
    return other


def test_comments_are_transcribed_and_coded_with_the_keyboard_only(out, template, browser):
    with Store(out) as store:
        s1, s2 = [r[0] for r in store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq")]
    other = _as_ocr_left_it(out, s1, s2)
    with running(out, template) as server:
        page, errors = signed_in(browser, server)

        # Transcribing: only the comment waits; the zone large, the OCR text in the box,
        # the unsure words marked.
        assert press_and_wait(page, "Shift+T") == f"{s1}/{WRITTEN_COMMENT}"
        page.wait_for_function("document.querySelector('#crop img') && document.querySelector('#crop img').complete"
                               " && document.querySelector('#crop img').naturalWidth > 600")
        assert "zone=1" in page.get_attribute("#crop img", "src")
        assert page.eval_on_selector_all("#ocr mark", "ms => ms.map(m => m.textContent)") == ["jiont", "trainng"]
        assert page.evaluate("document.activeElement.id") == "text"
        selected = "(() => { const t = document.activeElement; return t.value.slice(t.selectionStart, t.selectionEnd); })()"
        # Tab goes to the unsure words, Shift+Tab back; typing replaces the word selected;
        # the right arrow takes the completion from the form's own words.
        page.keyboard.press("Tab")
        assert page.evaluate(selected) == "jiont"
        page.keyboard.press("Tab")
        assert page.evaluate(selected) == "trainng"
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(selected) == "jiont"
        page.keyboard.type("joi")
        assert page.inner_text("#completion") == "joint"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
        page.keyboard.type("training")
        assert page.input_value("#text") == "More joint training please"
        assert press_and_wait(page, "Enter") == ""
        # The end's counts come from the server after the list is shown to be done.
        page.wait_for_function("document.querySelector('#done-text').textContent !== ''")
        assert "1 decided here" in page.inner_text("#done")

        # The codebook, made in the page.
        page.keyboard.press("Shift+K")
        page.wait_for_selector("#codebook", state="visible")
        for name, description, keywords in [("Training", "Courses and learning together", "training, course"),
                                            ("Funding", "Money and budgets", "budget, money")]:
            page.wait_for_function("document.activeElement.id === 't-name'")
            page.keyboard.type(name)
            page.keyboard.press("Tab")
            page.keyboard.type(description)
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            page.keyboard.type(keywords)
            page.keyboard.press("Enter")
            page.wait_for_function("n => document.querySelector('#themes').textContent.includes(n)", arg=name)
        page.keyboard.press("Escape")

        # Coding: a number gives a theme, `s` takes the suggestion, `m` writes a memo, `u` undoes.
        page.keyboard.press("Shift+C")
        page.wait_for_function("k => document.querySelector('#card').dataset.key === k",
                               arg=f"{s1}/{WRITTEN_COMMENT}")
        card = page.inner_text("#card")
        assert "More joint training please" in card and "Q1." in card
        assert "key words train" in page.inner_text("#suggestions")  # shown, not applied
        assert page.get_attribute("#card-themes li[data-theme=Training] button", "aria-pressed") == "false"
        page.keyboard.press("1")
        page.wait_for_selector("#card-themes li[data-theme=Training] button[aria-pressed=true]")
        page.keyboard.press("Enter")
        page.wait_for_function("k => document.querySelector('#card').dataset.key === k", arg=f"{s2}/{other}")
        assert "Funding" in page.inner_text("#suggestions") and "budget" in page.inner_text("#suggestions")
        assert "null" not in page.inner_text("#card")  # a comment without an image shows none
        page.keyboard.press("s")
        page.wait_for_selector("#card-themes li[data-theme=Funding] button[aria-pressed=true]")
        page.keyboard.press("1")
        page.wait_for_selector("#card-themes li[data-theme=Training] button[aria-pressed=true]")
        page.keyboard.press("u")
        page.wait_for_selector("#card-themes li[data-theme=Training] button[aria-pressed=false]")
        page.keyboard.press("m")
        page.keyboard.type("Says pooling works")
        typed_in = page.query_selector("#memo")
        page.keyboard.press("Enter")
        # The memo as the server gives it back: in a card drawn anew, not the box typed in.
        page.wait_for_function("typed => document.querySelector('#memo') !== typed"
                               " && document.querySelector('#card').textContent.includes('Themes in force: Ann')"
                               " && document.querySelector('#memo').value === 'Says pooling works'"
                               " && document.activeElement.id !== 'memo'", arg=typed_in)
        assert errors == []

    with Store(out) as store:
        decision = store.db.execute("SELECT value, reviewer FROM decisions WHERE item = ?", (WRITTEN_COMMENT,)).fetchone()
        steps = [tuple(r) for r in store.db.execute(
            "SELECT c.sheet_id, c.item, t.name, c.action, c.memo, c.coder, c.undone FROM codings c "
            "LEFT JOIN themes t ON t.id = c.theme ORDER BY c.id")]
        themes = [tuple(r) for r in store.db.execute("SELECT name, keywords FROM themes ORDER BY id")]
    assert tuple(decision) == ("More joint training please", "Ann")
    assert themes == [("Training", '["training", "course"]'), ("Funding", '["budget", "money"]')]
    assert steps == [
        (s1, WRITTEN_COMMENT, "Training", "code", "", "Ann", 0),
        (s2, other, "Funding", "code", "", "Ann", 0),
        (s2, other, "Training", "code", "", "Ann", 1),
        (s2, other, None, "memo", "Says pooling works", "Ann", 0),
    ]


def test_a_conflict_on_a_comment_keeps_what_the_second_reviewer_typed(out, template, browser):
    """Ann saves her transcription while Ben types his: Ben is told, his text stays in the
    box with hers shown beside it, and Enter then saves his, not hers, under his name."""
    with Store(out) as store:
        s1 = store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq").fetchone()[0]
    with running(out, template) as server:
        page, errors = signed_in(browser, server, "Ben")
        press_and_wait(page, "ArrowRight")
        assert press_and_wait(page, "ArrowRight") == f"{s1}/{WRITTEN_COMMENT}"
        post_json(server.url + "api/decision", {"sheet_id": s1, "item": WRITTEN_COMMENT, "value": "Ann's reading",
                                                "reviewer": "Ann", "seen": None})
        page.fill("#text", "")
        page.focus("#text")
        bens = ("More joint training please, and sooner " * 20).strip()
        page.keyboard.insert_text(bens)
        page.keyboard.press("Enter")
        page.wait_for_function("!document.querySelector('#message').hidden")
        assert "Ann" in page.inner_text("#message") and shown(page) == f"{s1}/{WRITTEN_COMMENT}"
        assert page.input_value("#text") == bens
        assert "Ann's reading" in page.inner_text("#item") and "by Ann" in page.inner_text(".decided")
        press_and_wait(page, "Enter")
        assert errors == []
    with Store(out) as store:
        rows = store.db.execute("SELECT value, reviewer FROM decisions WHERE item = ? AND undone = 0 ORDER BY id",
                                (WRITTEN_COMMENT,)).fetchall()
    assert [tuple(r) for r in rows] == [("Ann's reading", "Ann"), (bens, "Ben")]


def _reason_counts(page) -> list[str]:
    return page.eval_on_selector_all("#f-reason option", "os => os.slice(1).map(o => o.textContent)")


def test_undo_says_which_decision_stands_and_the_filter_counts_follow(out, template, browser):
    """Two decisions on one item, then undo: the earlier one stands, and the message says
    so (not "back in the queue"); a second undo puts it back. The filter lists count what
    still waits, after each decision."""
    with Store(out) as store:
        s1 = store.db.execute("SELECT sheet_id FROM sheets ORDER BY seq").fetchone()[0]
    with running(out, template) as server:
        page, errors = signed_in(browser, server, "Carol")
        before = _reason_counts(page)
        assert press_and_wait(page, "3") == f"{s1}/{FAINT_ITEM}"
        page.wait_for_function("b => [...document.querySelectorAll('#f-reason option')].slice(1)"
                               ".map(o => o.textContent).join('|') !== b.join('|')", arg=before)
        waiting = sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in _reason_counts(page))
        assert waiting == sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in before) - 1
        assert press_and_wait(page, "Backspace") == f"{s1}/{MULTIPLE_ITEM}"
        assert press_and_wait(page, "1") == f"{s1}/{FAINT_ITEM}"
        assert press_and_wait(page, "u") == f"{s1}/{MULTIPLE_ITEM}"
        message = page.inner_text("#message")
        assert "back in the queue" not in message and "3" in message and "stands" in message
        assert "u again takes it back too" in message  # the decision that stands is her last here
        assert "by Carol" in page.inner_text(".decided")
        page.keyboard.press("u")
        page.wait_for_function("document.querySelector('#message').textContent.includes('back in the queue')")
        assert page.query_selector(".decided") is None
        assert errors == []
