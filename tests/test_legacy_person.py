"""The scripted person of bench/legacy.py (`scanner.editor.person`), driving a real editor
server over HTTP: a drafted word form, left as a careless first pass leaves it, comes
back with the form's true geometry, ids, scales and colours."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml
from editor_form import DATA, copy_draft, load_data

from scanner.draft import truth_template
from scanner.editor.person import edited_by_a_person
from scanner.template import Template, load_template

ROOT = Path(__file__).resolve().parent.parent
BOX_MM = 0.5
"""A box the person left (drafted or added by a click) is the printed one within this."""
ZONE_MM = 2.0


def true_form() -> Template:
    """The word form's true geometry as a template, on the shipped form's paper colours."""
    truth = json.loads((DATA / "wordform.truth.json").read_text(encoding="utf-8"))
    return truth_template(truth, tuple(load_template(ROOT / "templates" / "surestart.yaml").colours))


def first_pass(data: dict) -> dict:
    """The draft with a box missed (q01c's third), an extra box (beside q02's), an item
    drafted in two parts (q05b), two items' ids swapped (q03, q04) and a zone renamed to
    another's true id."""
    broken = copy.deepcopy(data)
    items = {i["id"]: i for i in broken["items"]}
    del items["q01c"]["options"][2]
    x, y, w, h = items["q02"]["options"][1]["box_mm"]
    items["q02"]["options"].append({"code": 3, "box_mm": [x + 30.0, y, w, h]})
    q05b = items["q05b"]
    part = {**copy.deepcopy(q05b), "id": "q05b_2", "options": q05b["options"][2:]}
    q05b["options"] = q05b["options"][:2]
    broken["items"].insert(broken["items"].index(q05b) + 1, part)
    items["q03"]["id"], items["q04"]["id"] = "q04", "q03"
    broken["comments"][0]["id"] = "zone2_comment"
    return broken


def test_the_person_corrects_a_broken_draft_to_the_forms_true_geometry(tmp_path, tmp_path_factory):
    form = copy_draft(tmp_path_factory.getbasetemp(), tmp_path / "draft")
    form.write_text(yaml.safe_dump(first_pass(load_data(form)), sort_keys=False), encoding="utf-8")
    truth = true_form()

    edited, edits, answer = edited_by_a_person(form, truth, tmp_path / "edited")

    assert answer["saved"], answer
    assert not [op for op in edits if "refused" in op], edits
    assert (edits["add_box"], edits["delete"], edits["merge"]) == (1, 1, 1), edits
    assert edits["set_scale"] >= 1 and edits["set_colours"] == 1, edits
    template = load_template(edited)  # the saved YAML validates
    # The drafted scales no item uses any more are left: harmless, and the person's to tidy.
    assert {name: template.scales.get(name) for name in truth.scales} == truth.scales
    assert template.colours == truth.colours
    got = {i.id: i for i in template.items}
    assert list(got) == [i.id for i in truth.items]
    for item in truth.items:
        mine = got[item.id]
        assert (mine.page, mine.scale, mine.multiple) == (item.page, item.scale, item.multiple), item.id
        boxes = {o.code: o.box_mm for o in mine.options}  # a box added by a click comes last
        assert sorted(boxes) == sorted(o.code for o in item.options), item.id
        for t in item.options:
            assert max(abs(a - b) for a, b in zip(boxes[t.code], t.box_mm)) < BOX_MM, (item.id, boxes, t)
    assert [c.id for c in template.comments] == [c.id for c in truth.comments]
    for c, t in zip(template.comments, truth.comments):
        assert c.page == t.page and max(abs(a - b) for a, b in zip(c.box_mm, t.box_mm)) < ZONE_MM, (c, t)
