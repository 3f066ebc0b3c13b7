"""Grouping pages into questionnaires: sequences, serials, missing and repeated pages."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from scanner.colour import PaperSample
from scanner.assemble import SPLIT_HINT, Assembler, decide_items, decide_whole_sheets
from scanner.forms import Forms
from scanner.load import enumerate_pages
from scanner.ocr import make_engine
from scanner.reader import PageReader, PageResult
from scanner.results import FieldResult, PageStatus, Reason, SheetDecision, Status


def page(source: str, n: int, form_page: int | None, serial: int | None = None,
         status: PageStatus = PageStatus.USED) -> PageResult:
    return PageResult(source, n, status, content_hash=f"{source}:{n}", form_page=form_page, serial=serial)


def run(template, pages: list[PageResult]):
    assembler = Assembler(template)
    sheets = [s for p in pages for s in assembler.add(p)]
    sheets += list(assembler.finish())
    return sheets, assembler.rows


def sequence(source: str, form_pages: list[int | None], start: int = 1, serial=None) -> list[PageResult]:
    out = []
    for k, fp in enumerate(form_pages):
        status = PageStatus.BLANK if fp is None else PageStatus.USED
        out.append(page(source, start + k, fp, serial(fp) if callable(serial) else serial, status))
    return out


def test_questionnaires_back_to_back_with_blank_backs(template):
    pages = sequence("a.pdf", [1, None, 2, None, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7])
    sheets, rows = run(template, pages)
    assert [(s.first_page, len(s.pages), s.flags) for s in sheets] == [(1, 7, []), (10, 7, [])]
    assert [r.status for r in rows].count(PageStatus.BLANK) == 2
    assert all(r.sheet_id for r in rows if r.status is PageStatus.USED)


def test_missing_page_flags_its_sheet_and_shifts_nothing(template):
    pages = sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7, 1, 2, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7])
    sheets, _ = run(template, pages)
    assert [len(s.pages) for s in sheets] == [7, 6, 7]
    assert sheets[1].flags == ["missing form page 3"] and not sheets[2].flags
    missing = {r.item: r for r in sheets[1].results}
    q08 = [i.id for i in template.items_on(3)]
    assert all(missing[i].status is Status.REVIEW and missing[i].reason is Reason.PAGE_MISSING for i in q08)


def test_items_of_a_missing_page_name_the_page_that_could_not_be_read_or_was_taken_for_a_copy(template):
    """A page that is in the batch but could not be read (`error`), or was taken for a
    second copy of another form page (a booklet's spread read twice), is where the
    reviewer should look: the items it should hold say so, naming it, not "not found"."""
    unread = sequence("a.pdf", [1, 2]) + [page("a.pdf", 3, None, status=PageStatus.ERROR)]
    unread += sequence("a.pdf", [4, 5, 6, 7], start=4) + sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7], start=8)
    copied = sequence("b.pdf", [1, 2, 2, 4, 5, 6, 7])
    # One image a page: the first two could not be read, the first file not at all.
    images = [page("p0.pdf", 0, None, status=PageStatus.ERROR), page("p1.jpg", 1, None, status=PageStatus.ERROR)]
    images += [page(f"p{n}.jpg", 1, n, serial=5) for n in range(2, 8)]
    sheets, _ = run(template, unread + copied + sequence("c.pdf", [1, 2, 4, 5, 6, 7]) + images)
    assert [len(s.pages) for s in sheets] == [6, 7, 6, 6, 6]
    on_page = {p: [i.id for i in template.items_on(p)] + [c.id for c in template.comments_on(p)] for p in (1, 3)}
    for sheet, page_, reason, where in zip([sheets[0], *sheets[2:]], (3, 3, 3, 1),
                                           (Reason.PAGE_UNREAD, Reason.PAGE_TAKEN_AS_COPY, Reason.PAGE_MISSING,
                                            Reason.PAGE_UNREAD),
                                           ("a.pdf page 3", "b.pdf page 3", None, "p0.pdf, p1.jpg page 1")):
        results = {r.item: r for r in sheet.results}
        assert {(results[i].status, results[i].reason) for i in on_page[page_]} == {(Status.REVIEW, reason)}
        assert {results[i].evidence.get("look_at") for i in on_page[page_]} == {where}
    assert not any(r.reason in (Reason.PAGE_UNREAD, Reason.PAGE_TAKEN_AS_COPY) for r in sheets[1].results)
    assert sheets[0].flags == ["missing form page 3", "a.pdf page 3 could not be read or recognised: "
                               "a missing page may be there"]
    assert sheets[2].flags == ["form page 2 appears twice", "missing form page 3"]


def test_a_page_fed_again_is_named_only_for_a_missing_page_whose_place_it_is_in(template):
    # Page 2 fed twice and page 7 lost: page 7's items said "it may be that page" of the
    # second copy of page 2, a paper fed again (review22b 7). A copy standing where the
    # missing page would be (between pages 5 and 3 of a stack fed last page first) may be it.
    sheets, _ = run(template, sequence("a.pdf", [1, 2, 2, 3, 4, 5, 6]) + sequence("b.pdf", [7, 6, 5, 5, 3, 2, 1]))
    assert [sorted(s.pages) for s in sheets] == [[1, 2, 3, 4, 5, 6], [1, 2, 3, 5, 6, 7]]

    def on(sheet, number):
        results = {r.item: r for r in sheet.results}
        fields = [*template.items_on(number), *template.comments_on(number)]
        return {(results[f.id].reason, results[f.id].evidence.get("look_at")) for f in fields}

    assert on(sheets[0], 7) == {(Reason.PAGE_MISSING, None)}
    assert on(sheets[1], 4) == {(Reason.PAGE_TAKEN_AS_COPY, "b.pdf page 4")}


def test_repeated_page_is_accounted_for_and_flagged(template):
    pages = sequence("a.pdf", [1, 2, 3, 3, 4, 5, 6, 7])
    sheets, rows = run(template, pages)
    assert len(sheets) == 1 and sheets[0].flags == ["form page 3 appears twice"]
    assert rows[3].status is PageStatus.UNRECOGNISED and "second copy" in rows[3].reason


def test_numbered_copy_keeps_a_page_whose_qr_was_unreadable(template):
    pages = sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7])
    serials = [1, 1, None, 1, 1, 1, 1, None, 2, 2, 2, 2, 2, 2]
    pages = [page(p.source, p.page, p.form_page, s) for p, s in zip(pages, serials)]
    sheets, rows = run(template, pages)
    assert [(s.serial, len(s.pages)) for s in sheets] == [(1, 7), (2, 7)]
    assert sheets[0].sheet_id == f"{template.form}-000001" and not sheets[0].flags


def test_numbered_copy_split_over_two_files_is_joined(template):
    pages = sequence("a.pdf", [1, 2, 3, 4], serial=5) + sequence("b.pdf", [1, 2, 3, 4, 5, 6, 7], serial=6)
    pages += sequence("c.pdf", [5, 6, 7], serial=5)
    sheets, rows = run(template, pages)
    by_serial = {s.serial: s for s in sheets}
    assert set(by_serial) == {5, 6} and len(by_serial[5].pages) == 7 and not by_serial[5].flags
    assert {r.sheet_id for r in rows if r.source in ("a.pdf", "c.pdf")} == {by_serial[5].sheet_id}


def test_sheet_ids_are_stable_and_follow_the_first_page(template):
    pages = sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7])
    first, _ = run(template, pages)
    again, _ = run(template, pages)
    assert first[0].sheet_id == again[0].sheet_id and first[0].sheet_id.startswith("s")


def test_a_workers_decision_of_a_whole_questionnaire_is_the_one_the_parent_makes(template, filled):
    reader = PageReader(template, make_engine(False))
    pages = [reader.read(task) for task in enumerate_pages([str(filled.pdf)])]
    told = decide_whole_sheets(Forms.of(template), pages)
    assert [p.decided is not None for p in told] == [False] * 6 + [True]
    assert told[-1].decided.items == decide_items(template, {p.form_page: p for p in pages})
    with_decision, _ = run(template, told)
    without, _ = run(template, pages)
    assert with_decision[0].results == without[0].results and len(without[0].results) > 40


def test_a_workers_decision_is_taken_only_for_a_sheet_of_the_same_pages(template):
    pages = sequence("a.pdf", [1, None, 2, 3, 4, 5, 6, 7])
    told = decide_whole_sheets(Forms.of(template), pages)
    assert told[-1].decided is not None and told[-1].decided.pages[0] == (1, "a.pdf:1")
    # A decision the parent would not make, to see which sheets take it.
    marked = FieldResult(template.items[0].id, "9", Status.OK, 1.0)
    decided = replace(told[-1].decided, items={marked.item: marked})
    sheets, _ = run(template, told[:-1] + [replace(told[-1], decided=decided)])
    assert marked in sheets[0].results
    # Page 3 read again in its place: the sheet is not the one decided on.
    other = [replace(p, content_hash="rescanned") if p.form_page == 3 else p for p in told[:-1]]
    sheets, _ = run(template, other + [replace(told[-1], decided=decided)])
    assert marked not in sheets[0].results


def test_only_a_whole_questionnaire_in_its_order_is_decided_by_its_worker(template):
    def decided(pages: list[PageResult]) -> list[bool]:
        return [p.decided is not None for p in decide_whole_sheets(Forms.of(template), pages)]

    assert not any(decided(sequence("a.pdf", [4, 5, 6, 7, 1, 2, 3])))  # parts of two
    assert not any(decided(sequence("a.pdf", [1, 2, 3, 3, 4, 5, 6, 7])))  # a page fed twice
    assert not any(decided(sequence("a.pdf", [1, 2, 3]) + sequence("b.pdf", [4, 5, 6, 7], start=4)))
    assert not any(decided(sequence("a.pdf", [1, 2, 3], serial=1) + sequence("a.pdf", [4, 5, 6, 7], 4, serial=2)))
    assert decided(sequence("a.pdf", [1, 2, 1, 2, 3, 4, 5, 6, 7])) == [False] * 8 + [True]


def test_a_worker_leaves_out_the_boxes_of_a_questionnaire_it_decided_and_the_parent_can_decide_it_again(
        template, filled):
    # Unpickled by Dask, the boxes of every page cost the cluster's parent more than the rest
    # of its page: a page of a questionnaire its worker decided comes without them, yet
    # nothing is lost (they travel in its encoding) should the parent decide it after all.
    from scanner.store import encode_reading

    reader = PageReader(template, make_engine(False))
    pages = [reader.read(task) for task in enumerate_pages([str(filled.pdf)])]
    encoded = [replace(p, encoded=encode_reading(p)) for p in pages]
    told = decide_whole_sheets(Forms.of(template), encoded)
    assert all(p.elided and p.marks is None and not any(m.boxes for m in p.items) for p in told)
    assert [[m.item for m in p.items] for p in told] == [[m.item for m in p.items] for p in pages]
    assert [encode_reading(p) for p in told] == [p.encoded for p in encoded]  # the store keeps them whole
    undecided, _ = run(template, told[:-1] + [replace(told[-1], decided=None)])
    whole, _ = run(template, pages)
    assert undecided[0].results == whole[0].results and len(whole[0].results) > 40
    # A page without its encoding keeps its boxes: they would go nowhere else.
    assert not any(p.elided for p in decide_whole_sheets(Forms.of(template), pages))


def test_a_workers_result_made_again_with_other_evidence_is_stored_with_that_evidence(template, filled):
    # A worker's result keeps the JSON of its evidence for the store (the parent need not
    # spell it out again); one made from it with other evidence (`dataclasses.replace`, as
    # `calibrate.sheet_programme` makes a programme's) was stored with the old JSON.
    from scanner.store import _sheet_values

    reader = PageReader(template, make_engine(False))
    told = decide_whole_sheets(Forms.of(template), [reader.read(task) for task in enumerate_pages([str(filled.pdf)])])
    (sheet,), _ = run(template, told)
    taken = [r for r in sheet.results if r.stored_evidence is not None]
    assert len(taken) > 40  # the worker's, taken as they came
    assert [row[8] for row in _sheet_values(sheet, {})[2] if row[1] in {r.item for r in taken}] == \
        [r.stored_evidence for r in taken]
    sheet.results = [replace(r, evidence=r.evidence | {"given": f"other {k}"}) for k, r in enumerate(sheet.results)]
    assert [json.loads(row[8]) for row in _sheet_values(sheet, {})[2]] == [r.evidence for r in sheet.results]


def test_a_field_whose_frame_ink_covers_keeps_several_marks_and_is_never_claimed(template):
    """Ink over a box's frame (a heavy cross hiding its sides) leaves where the box lies
    unchecked on an aligned page: what was read is not claimed (`ok` and `blank` go to
    review), but two boxes read as marked stay `multiple`, the frame's doubt as the reason,
    and the review page offers "several boxes marked" rather than losing what the marks
    said. On a page whose frames are off (not aligned) the boxes may be misplaced: there
    even two marks are only a guess to review."""
    on_page_3 = [i.id for i in template.items_on(3)]
    read = {on_page_3[0]: FieldResult(on_page_3[0], "", Status.MULTIPLE, 0.9, Reason.MULTIPLE),
            on_page_3[1]: FieldResult(on_page_3[1], "2", Status.OK, 1.0),
            on_page_3[2]: FieldResult(on_page_3[2], "", Status.BLANK, 0.95)}

    def results(**page_3) -> dict[str, FieldResult]:
        pages = [replace(p, **page_3) if p.form_page == 3 else p for p in sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7])]
        told = decide_whole_sheets(Forms.of(template), pages)
        (sheet,), _ = run(template, told[:-1] + [replace(told[-1], decided=replace(told[-1].decided, items=read))])
        return {r.item: r for r in sheet.results if r.item in read}

    inked = results(inked_over=tuple(read))
    several = inked[on_page_3[0]]
    assert (several.status, several.value, several.reason) == (Status.MULTIPLE, "", Reason.FRAME_INKED)
    assert several.evidence["read_as"] == "multiple"
    for item in on_page_3[1:3]:
        assert (inked[item].status, inked[item].reason) == (Status.REVIEW, Reason.FRAME_INKED), inked[item]
    for off in (results(unlocated=tuple(read)), results(aligned=False)):
        assert {(r.status, r.reason) for r in off.values()} == {(Status.REVIEW, Reason.NOT_ALIGNED)}, off


@pytest.mark.parametrize("seed", [1, 2, random.randrange(10**6)])
def test_an_unnumbered_questionnaire_split_over_files_says_to_keep_it_in_one_file(template, seed):
    # One image a page (scan_0001.jpg, ...) or a stack split over two feeder files: each
    # piece was a questionnaire "missing form pages ..." with nothing saying why.
    cut = random.Random(seed).randrange(2, 8)
    pages = sequence("a.pdf", [1, 2, 3, 4, 5, 6, 7][:cut - 1]) + sequence("b.pdf", list(range(cut, 8)))
    pages += [p for k in range(1, 8) for p in sequence(f"scan_{k:04d}.jpg", [k])]
    sheets, _ = run(template, pages)
    assert len(sheets) == 9, seed
    assert all(len(s.flags) == 1 and s.flags[0].startswith("missing form page") and s.flags[0].endswith(
        f"({SPLIT_HINT})") for s in sheets), (seed, [s.flags for s in sheets])


def test_a_page_missing_inside_its_file_gives_no_hint_of_files(template):
    pages = sequence("a.pdf", [1, 2, 4, 5, 6, 7]) + sequence("b.pdf", [1, 2, 3, 4, 5, 6]) + sequence(
        "b.pdf", [1, 2, 3, 4, 5, 6, 7], start=7)
    sheets, _ = run(template, pages)
    assert [s.flags for s in sheets] == [["missing form page 3"], ["missing form page 7"], []]
    numbered = sequence("c.pdf", [1, 2, 3], serial=5)
    assert [s.flags for s in run(template, numbered)[0]] == [["missing form pages 4, 5, 6, 7"]]


@pytest.mark.parametrize("seed", [2101, random.randrange(2**31)])
def test_no_questionnaire_holds_pages_of_a_numbered_copy_and_of_an_unnumbered_one(template, seed):
    """Stacks of numbered copies' and unnumbered questionnaires' pages, cut and shuffled
    (some QR codes unreadable): a page whose code says "no serial" never joins a numbered
    copy, nor a numbered page a questionnaire of such pages."""
    rng = random.Random(seed)
    numbers = template.page_numbers
    runs = []
    for k in range(6):
        serial = rng.choice([None, 3, 4])
        cut = rng.randrange(1, len(numbers))
        runs += [[(k, serial, fp) for fp in numbers[:cut]], [(k, serial, fp) for fp in numbers[cut:]]]
    rng.shuffle(runs)
    pages = []
    for n, (_, serial, fp) in enumerate(p for run in runs for p in run):
        readable = rng.random() > 0.2
        pages.append(replace(page("a.pdf", n + 1, fp, serial if readable else None), qr_read=readable))
    sheets, _ = run(template, pages)
    for sheet in sheets:
        said = {p.serial for p in sheet.pages.values() if p.qr_read}
        assert len(said) <= 1, (seed, sheet.sheet_id, said)


@pytest.mark.parametrize("backs", [False, True])
def test_a_stack_fed_last_page_first_groups_each_questionnaire_whole(template, backs):
    # A feeder stack fed upside down (A7..A1 B7..B1): B1 joined A7..A2 as one clean sheet.
    fed = [7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1]
    pages = sequence("a.pdf", [p for fp in fed for p in ([fp, None] if backs else [fp])])
    sheets, rows = run(template, pages)
    assert [(sorted(s.pages), s.flags) for s in sheets] == [(template.page_numbers, [])] * 2
    used = [r for r in rows if r.status is PageStatus.USED]
    assert [r.sheet_id for r in used] == [sheets[0].sheet_id] * 7 + [sheets[1].sheet_id] * 7


def test_a_stack_fed_last_page_first_keeps_a_missing_page_to_its_own_questionnaire(template):
    sheets, _ = run(template, sequence("a.pdf", [7, 6, 5, 4, 3, 2, 1, 7, 6, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2]))
    assert [s.flags for s in sheets] == [[], ["missing form page 5"], ["missing form page 1"]]
    assert [len(s.pages) for s in sheets] == [7, 6, 6]


@pytest.mark.parametrize("lost", ["missing", "unreadable"])
def test_a_stack_fed_last_page_first_whose_last_page_is_lost_mixes_no_respondents(template, lost):
    # B's page 7 lost in a jam (or unreadable): B6..B1 began with no last page, and each
    # later respondent's page 1 took the next one's pages 7..2, clean (review22b).
    fed = sequence("a.pdf", [7, 6, 5, 4, 3, 2, 1])
    if lost == "unreadable":
        fed.append(page("a.pdf", 8, None, status=PageStatus.ERROR))
    fed += sequence("a.pdf", [6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1], start=len(fed) + 1)
    sheets, _ = run(template, fed)
    assert [sorted(s.pages) for s in sheets] == [template.page_numbers, [1, 2, 3, 4, 5, 6],
                                                template.page_numbers, template.page_numbers]
    assert [s.flags for s in sheets][2:] == [[], []] and "missing form page 7" in sheets[1].flags[0]


def test_a_last_page_alone_is_no_stack_fed_last_page_first(template):
    # Its other pages lost: the next questionnaire's first page begins that one.
    sheets, _ = run(template, sequence("a.pdf", [7, 1, 2, 3, 4, 5, 6, 7]))
    assert [sorted(s.pages) for s in sheets] == [[7], template.page_numbers] and not sheets[1].flags


@pytest.fixture(scope="module")
def read_filled(template, filled) -> list[PageResult]:
    """The filled questionnaire's pages, read."""
    reader = PageReader(template, make_engine(False))
    return [reader.read(task) for task in enumerate_pages([str(filled.pdf)])]


def _read_image(template, image, path) -> PageResult:
    import cv2

    assert cv2.imwrite(str(path), image)
    (task,) = enumerate_pages([str(path)])
    return PageReader(template, make_engine(False)).read(task)


def test_a_second_copy_of_a_page_with_other_ticks_begins_the_next_questionnaire(template, filled, read_filled,
                                                                                 tmp_path):
    # A double feed lost A's page 7 and B's page 1: B's pages 2-7 were "second copies" of
    # A's, thrown away, and B's page 7 completed A with B's answers `ok`.
    from scans import tick
    from scanner.render import page_raster

    other = page_raster(template, 2, 150)
    for k, item in enumerate(template.items_on(2)[:3]):
        tick(other, item.options[(k + 3) % len(item.options)].box_mm)
    b2 = replace(_read_image(template, other, tmp_path / "b2.png"), source="a.pdf", page=7)
    a = [replace(p, source="a.pdf") for p in read_filled[:6]]
    b = [b2] + [replace(p, source="a.pdf", page=8 + k, content_hash=f"b{k}") for k, p in enumerate(read_filled[2:])]
    sheets, rows = run(template, a + b)
    assert [sorted(s.pages) for s in sheets] == [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7]]
    assert all(r.status is PageStatus.USED for r in rows)
    assert "came again with other ticks" in sheets[0].flags[0] and "another respondent's" in sheets[1].flags[0]
    # Each respondent's answers stay theirs: A's page 2 came four pages before B's.
    assert not any(r.reason is Reason.RESPONDENTS_MIXED for s in sheets for r in s.results)


def test_two_questionnaires_interleaved_page_by_page_send_their_mixed_sheets_to_review(template, read_filled,
                                                                                        tmp_path):
    # A1 B1 A2 B2 ...: each page k of B differs from A's, so each sheet between two of
    # them holds B's page k and A's page k+1, taken in turn: no answer there is anyone's.
    # B1 A2 too: B's page 2 came right after A's, as no paper fed twice would.
    from scans import tick
    from scanner.render import page_raster

    b = []
    for number in template.page_numbers:
        image = page_raster(template, number, 150)
        for k, item in enumerate(template.items_on(number)[:3]):
            tick(image, item.options[(k + number + 1) % len(item.options)].box_mm)
        b.append(_read_image(template, image, tmp_path / f"b{number}.png"))
    pages = [replace(p, source="a.pdf", page=n + 1) for n, p in enumerate(x for pair in zip(read_filled, b)
                                                                          for x in pair)]
    sheets, _ = run(template, pages)
    by_pages = {tuple(sorted(s.pages)): s for s in sheets}
    for k in range(1, 7):
        mixed = {r.item: r for r in by_pages[k, k + 1].results}
        fields = [f.id for p in (k, k + 1) for f in [*template.items_on(p), *template.comments_on(p)]]
        assert all(mixed[f].status is Status.REVIEW and mixed[f].reason is Reason.RESPONDENTS_MIXED
                   for f in fields), k


def test_a_page_fed_twice_stays_a_repeat(template, filled, read_filled, tmp_path):
    again = replace(_read_image(template, filled.pages[1], tmp_path / "again.png"), source="a.pdf", page=3)
    pages = [replace(p, source="a.pdf", page=k + 1 + (k > 1)) for k, p in enumerate(read_filled)]
    sheets, rows = run(template, pages[:2] + [again] + pages[2:])
    assert len(sheets) == 1 and sheets[0].flags == ["form page 2 appears twice"]
    assert rows[2].status is PageStatus.UNRECOGNISED


@pytest.mark.parametrize("jam_first", [True, False])
def test_a_page_jammed_and_fed_again_is_one_respondents(template, filled, read_filled, tmp_path, jam_first):
    # The feeder stopped part-way through page 2 and the page was fed again: the cut copy,
    # not aligned, scored its unseen boxes empty, "other ticks", and one paper became two
    # questionnaires, 91 fields to review (review22b).
    raster = filled.pages[1]
    jam = _read_image(template, raster[: int(raster.shape[0] * 0.4)].copy(), tmp_path / "jam.png")
    assert jam.form_page == 2 and not jam.aligned
    # The jam comes first, as a jam does: the copy fed again is the one to read (its items
    # went to review as not aligned, the good copy thrown away as "a second copy").
    fed = read_filled[:1] + ([jam, read_filled[1]] if jam_first else [read_filled[1], jam]) + read_filled[2:]
    sheets, rows = run(template, [replace(p, source="a.pdf", page=k + 1) for k, p in enumerate(fed)])
    assert len(sheets) == 1 and sorted(sheets[0].pages) == template.page_numbers
    assert sheets[0].flags == ["form page 2 appears twice"]
    assert not any(r.reason in (Reason.RESPONDENTS_MIXED, Reason.NOT_ALIGNED) for r in sheets[0].results)
    good, cut = (rows[2], rows[1]) if jam_first else (rows[1], rows[2])
    assert good.status is PageStatus.USED and sheets[0].pages[2].aligned
    assert cut.status is PageStatus.UNRECOGNISED and "second copy" in cut.reason
    assert cut.sheet_id == good.sheet_id == sheets[0].sheet_id


def test_pages_on_another_paper_colour_put_their_items_to_review(template, read_filled):
    # Pages 1-4 of one respondent on green, 5-7 of another on blue: one clean sheet.
    def on(name):
        if name is None or isinstance(name, tuple):
            return PaperSample(name)
        return PaperSample(tuple(float(c) for c in template.colour(name).rgb))

    def sheet(colours):
        pages = [replace(p, paper=on(c)) for p, c in zip(read_filled, colours)]
        (one,), _ = run(template, pages)
        return one, {r.item: r for r in one.results}

    merged, results = sheet(["green"] * 4 + ["blue"] * 3)
    off = {f.id for p in (5, 6, 7) for f in [*template.items_on(p), *template.comments_on(p)]}
    assert off and all(results[i].status is Status.REVIEW and results[i].reason is Reason.PAPER_DIFFERS for i in off)
    assert not any(r.reason is Reason.PAPER_DIFFERS for i, r in results.items() if i not in off)
    assert any("5, 6, 7 on blue paper, the rest on green" in f for f in merged.flags)
    # Greyscale says nothing; nor does blue paper read white in a dim scan (fresh22, seed 32876783).
    washed_out = (184.0, 183.0, 188.0)
    for colours in (["green"] * 7, ["green"] * 6 + [None], ["blue"] * 4 + [washed_out] * 3):
        alike, results = sheet(colours)
        assert not alike.flags and not any(r.reason is Reason.PAPER_DIFFERS for r in results.values())
