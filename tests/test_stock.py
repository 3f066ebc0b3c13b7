"""Paper stocks and lights off the generator's usual path (`synth --stock`): every
questionnaire's programme is read right or sent to review with a reason, never a wrong
`ok`. Small generated batches of form page 1 (one page a questionnaire), scanned for real."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.pipeline import scan
from scanner.synth import ALL_STOCK, SynthOptions, generate, parse_stock
from scanner.synth.stock import StockRates

SHEETS = 20
"""Questionnaires a batch: four files of five, a few reams of each colour."""
STOCK = SynthOptions(per_file=5, dpis=(100,), greyscale_share=0.0, duplex_blank_share=0.0, cover_letter_share=0.0)


@pytest.fixture(scope="module")
def page_one(template):
    return template.model_copy(update={"pages": template.pages[:1], "items": template.items_on(1),
                                       "comments": template.comments_on(1)})


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def scanned_programmes(template, root: Path, stock: tuple[str, ...], seed: int, rates: StockRates = StockRates()
                       ) -> list[tuple[dict, dict]]:
    """Generate and scan a batch with the stock cases: each questionnaire's truth (with its
    page's `stock` cases) and its programme row of items.csv."""
    result = generate(template, root / "batch", SHEETS, seed, replace(STOCK, stock=stock, stock_rates=rates))
    scan([str(p) for p in result.files], template, root / "out", jobs=1, ocr=False)
    truth = {(r["source"], r["first_page"]): r for r in _read(result.truth_dir / "responses.csv")}
    cases = {r["sheet_id"]: r["stock"] for r in _read(result.truth_dir / "pages.csv") if r["status"] == "used"}
    rows = []
    for row in _read(root / "out" / "items.csv"):
        if row["item"] == "programme":
            sheet = truth[(Path(row["source"]).name, row["first_page"])]
            rows.append((sheet | {"stock": cases[sheet["sheet_id"]]}, row))
    assert len(rows) == SHEETS
    return rows


def assert_never_wrong(rows: list[tuple[dict, dict]]) -> int:
    """No programme `ok` and wrong; each one not `ok` is to review with a reason. Returns how many are right."""
    wrong = [(t["sheet_id"], t["colour"], t["stock"], r["value"]) for t, r in rows
             if r["status"] == "ok" and r["value"] != t["programme"]]
    assert not wrong
    unresolved = [r for _, r in rows if r["status"] != "ok"]
    assert all(r["status"] == "review" and r["reason"] and r["value"] == "" for r in unresolved)
    return len(rows) - len(unresolved)


# Each case on every file it can touch, at a fixed seed.
EVERY_FILE = StockRates(odd_ream=1.0, cast=1.0, auto_white=1.0, warm_photo=1.0)


@pytest.mark.parametrize(("stock", "seed"), [
    (("cream", "no_white", "between"), 12), (("cast", "auto_white"), 11), (("warm_photo", "pale_pink"), 17),
], ids=lambda v: "+".join(v) if isinstance(v, tuple) else str(v))
def test_a_paper_stock_off_the_usual_path_is_read_right_or_sent_to_review(page_one, tmp_path, stock, seed):
    # Seed 17: blue photographed under a warm lamp 35% short of blue was read white, ok.
    rows = scanned_programmes(page_one, tmp_path, stock, seed, EVERY_FILE)
    assert all(any(case in t["stock"].split() for t, _ in rows) for case in stock if case != "no_white")
    assert not any(t["colour"] == "white" for t, _ in rows) or "no_white" not in stock
    assert_never_wrong(rows)


def test_every_paper_stock_at_once_at_seed_131215_is_never_wrong(page_one, tmp_path):
    # A batch of one programme on blue paper, no white, every file under a cast and
    # photographed under a warm lamp: two photographed clusters taken for pink and white
    # fitted a cool light that made the first plainly pink, and its five sheets were read
    # pink, ok (a CI run drew this seed).
    rows = scanned_programmes(page_one, tmp_path, ALL_STOCK, 131215)
    assert_never_wrong(rows)


@pytest.mark.parametrize("seed", [398835813, random.randrange(2**31)])
def test_every_paper_stock_at_once_is_never_wrong(page_one, tmp_path, seed):
    # One programme, no white, and reams, casts and white balance that move the one paper
    # anywhere: the batch has nothing to order its clusters' hues by. Seed 398835813: a
    # ream of green halfway to yellow, matched to yellow, no yellow cluster competing for
    # it, was read yellow, ok (10 of 20 sheets); fresh seeds read white-balanced pages
    # white, ok (8 of 20 seeds before).
    rows = scanned_programmes(page_one, tmp_path, ALL_STOCK, seed)
    assert_never_wrong(rows)


def test_the_stock_cases_are_named_and_drawn_as_asked(page_one, tmp_path):
    assert parse_stock("all") == ALL_STOCK
    with pytest.raises(ValueError, match="unknown stock 'mauve'"):
        parse_stock("pale_pink,mauve")
    result = generate(page_one, tmp_path, 12, 3, replace(STOCK, stock=("one_programme", "no_white", "cast"),
                                                          stock_rates=EVERY_FILE))
    sheets = _read(result.truth_dir / "responses.csv")
    assert len({s["colour"] for s in sheets}) == 1 and sheets[0]["colour"] != "white"
    pages = [r for r in _read(result.truth_dir / "pages.csv") if r["status"] == "used"]
    assert all(r["stock"].split() == ["no_white", "cast", "one_programme"] for r in pages)
