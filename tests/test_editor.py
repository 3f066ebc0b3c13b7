"""The template editor without a browser: the shapes it snaps to, its edits, its saves
(comments kept, atomic, a backup, never over a file changed meanwhile) and its HTTP API."""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from editor_form import copy_draft, load_data, option
from typer.testing import CliRunner

from scanner.cli import app
from scanner.editor.document import EditError, SaveConflict, TemplateDocument
from scanner.editor.server import EditorServer
from scanner.editor.yamlfile import carry_comments
from scanner.errors import ExitCode
from scanner.template import load_template, parse_template, template_yaml


@pytest.fixture
def form(tmp_path, tmp_path_factory) -> Path:
    return copy_draft(tmp_path_factory.getbasetemp(), tmp_path / "form")


def test_the_shape_under_each_drafted_box_is_that_box(form):
    doc = TemplateDocument(form)
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    for item in doc.data["items"]:
        for o in item["options"]:
            x, y, w, h = o["box_mm"]
            # Anywhere inside, or a little outside (a box dropped off its print).
            px, py = x + rng.uniform(-1, w + 1), y + rng.uniform(-1, h + 1)
            found = doc.detect(item["page"], px, py, "box")
            assert found is not None and max(abs(a - b) for a, b in zip(found["box_mm"], o["box_mm"])) < 0.45, \
                (item["id"], o, found, (px, py), seed)
    for c in doc.data["comments"]:
        x, y, w, h = c["box_mm"]
        found = doc.detect(c["page"], x + w / 2, y + h / 2)
        if c["framed"]:
            assert found["kind"] == "zone" and max(abs(a - b) for a, b in zip(found["box_mm"], c["box_mm"])) < 0.2
    assert sum(c["framed"] for c in doc.data["comments"]) >= 3  # the form's writing lines have no frame to find
    assert doc.detect(1, 5.0, 150.0) is None  # the margin: open paper
    assert doc.detect(1, 60.0, 28.0, "box") is None  # the title's letters are no boxes


def test_merge_then_split_gives_the_items_back_and_undo_each_step(form):
    doc = TemplateDocument(form)
    before = json.loads(json.dumps(doc.data))
    # Two rows merged: one item of ten boxes, codes 1 to 10 (more than its scale has).
    state = doc.apply({"op": "merge", "items": ["q01a", "q01b"]})
    q01a = next(i for i in doc.data["items"] if i["id"] == "q01a")
    assert [o["code"] for o in q01a["options"]] == list(range(1, 11))
    assert "q01b" not in [i["id"] for i in doc.data["items"]]
    assert any(p["path"].startswith("items[0].options[5].code") for p in state["problems"])
    doc.apply({"op": "split", "item": "q01a", "at": 5})
    ids = [i["id"] for i in doc.data["items"]]
    assert ids[:2] == ["q01a", "q01a_2"] and doc.state()["problems"] == []
    assert [o["box_mm"] for o in doc.data["items"][1]["options"]] == \
        [o["box_mm"] for o in before["items"][1]["options"]]
    doc.apply({"op": "set_item", "item": 1, "id": "q01b", "text": before["items"][1]["text"]})
    doc.apply({"op": "undo"})
    doc.apply({"op": "undo"})
    doc.apply({"op": "undo"})
    assert doc.data == before and not doc.state()["can_undo"]


def test_scales_colours_and_codes_are_edited_everywhere_they_are_used(form):
    doc = TemplateDocument(form)
    doc.apply({"op": "set_scale", "name": "strongly5", "rename": "agree5",
               "options": doc.data["scales"]["strongly5"]["options"]})
    assert {i["scale"] for i in doc.data["items"][:4]} == {"agree5"} and "strongly5" not in doc.data["scales"]
    doc.apply({"op": "set_scale", "name": "zero5", "options": [{"code": c, "label": f"L{c}"} for c in range(5)]})
    doc.apply({"op": "set_item", "item": "q01a", "scale": "zero5"})
    assert [o["code"] for o in doc.data["items"][0]["options"]] == [0, 1, 2, 3, 4]
    with pytest.raises(EditError, match="used by"):
        doc.apply({"op": "delete_scale", "name": "agree5"})
    doc.apply({"op": "set_colours", "colours": [{"name": "yellow", "rgb": [255, 240, 150], "programme": "North"}]})
    doc.apply({"op": "set_code", "item": "q02", "option": 1, "code": 1})
    problems = doc.state()["problems"]
    assert [p["path"] for p in problems] == ["items[4].options[1].code"] and "twice" in problems[0]["problem"]
    doc.apply({"op": "undo"})
    assert doc.save()["saved"]
    saved = load_template(form)
    assert saved.colours[0].programme == "North" and saved.items[0].scale == "zero5"


def test_edits_that_name_nothing_are_refused_and_change_nothing(form, tmp_path):
    doc = TemplateDocument(form)
    before = json.loads(json.dumps(doc.data))
    for edit in ({"op": "move", "item": "nope", "option": 0, "box_mm": [1, 1, 4, 4]},
                 {"op": "move", "item": 0, "option": 9, "box_mm": [1, 1, 4, 4]},
                 {"op": "move", "item": 0, "option": 0, "box_mm": [1, 1, "4", 4]},
                 {"op": "split", "item": 0, "at": 0},
                 {"op": "merge", "items": [0]},
                 {"op": "add_box", "page": 1, "at_mm": [5, 150]},
                 {"op": "add_zone", "page": 1, "at_mm": [98, 63.9]},
                 {"op": "set_item", "item": 0, "multiple": "yes"},
                 {"op": "launch"}):
        with pytest.raises(EditError):
            doc.apply(edit)
    assert doc.data == before and not doc.state()["can_undo"]
    odd = tmp_path / "odd.yaml"
    odd.write_text("form: f\nitems: [oops]\n", encoding="utf-8")
    with pytest.raises(EditError):
        TemplateDocument(odd).apply({"op": "move", "item": 0, "option": 0, "box_mm": [1, 1, 4, 4]})


def test_a_save_is_refused_while_invalid_and_then_keeps_comments_and_a_backup(form):
    text = form.read_text(encoding="utf-8")
    text = text.replace("- id: q03\n", "# Ann: the three-way question\n- id: q03  # checked\n")
    text = text.replace("- id: q05b\n", "# to drop\n- id: q05b  # gone soon\n")
    form.write_text(text, encoding="utf-8")
    q03_x = option(load_data(form), "q03", 1)["box_mm"][0]
    doc = TemplateDocument(form)
    doc.apply({"op": "set_item", "item": "q02", "id": "q01a"})
    result = doc.save()
    assert not result["saved"] and result["problems"][0]["path"] == "items[4].id"
    assert form.read_text(encoding="utf-8") == text
    doc.apply({"op": "undo"})
    doc.apply({"op": "delete", "item": "q05b"})
    doc.apply({"op": "move", "item": "q03", "option": 0, "by_mm": [0.3, 0, 0, 0]})
    assert doc.save()["saved"]
    saved = form.read_text(encoding="utf-8")
    assert saved.startswith("# Drafted by `scanner template draft`")
    assert "# Ann: the three-way question\n- id: q03  # checked\n" in saved
    assert "# to drop" in saved and "q05b" not in saved  # a comment whose entry went stays, above what was before it
    assert form.with_name("form.yaml.bak").read_text(encoding="utf-8") == text
    assert option(load_data(form), "q03", 1)["box_mm"][0] == pytest.approx(q03_x + 0.3)
    assert not list(form.parent.glob(".form.yaml.*.tmp"))
    # Changed by hand meanwhile: the editor does not write over it.
    form.write_text(saved + "# by hand\n", encoding="utf-8")
    doc.apply({"op": "undo"})
    with pytest.raises(SaveConflict):
        doc.save()
    assert form.read_text(encoding="utf-8").endswith("# by hand\n")


def test_comments_follow_their_entries_when_entries_move():
    old = ("# head\nform: f  # the id\nitems:\n# first\n- id: a\n  text: 'x # not a comment'  # note\n"
           "- id: b\n  text: y\nlabel: |\n  # inside a block scalar\n  z\n# tail\n")
    new = ("form: f\nitems:\n- id: b\n  text: y\n- id: a\n  text: 'x # not a comment'\n"
           "label: |\n  # inside a block scalar\n  z\n")
    assert carry_comments(old, new) == (
        "# head\nform: f  # the id\nitems:\n- id: b\n  text: y\n# first\n- id: a\n"
        "  text: 'x # not a comment'  # note\nlabel: |\n  # inside a block scalar\n  z\n# tail\n")


def _request(server: EditorServer, path: str, body: dict | None = None, headers: dict | None = None,
             token: bool = True) -> tuple[int, dict | bytes]:
    url = (server.url if token else server.url.rsplit("/", 2)[0] + "/") + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if r.headers.get_content_type() == "application/json" else raw
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_api_drives_the_editor_and_refuses_what_a_review_server_refuses(form):
    server = EditorServer(form)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, state = _request(server, "api/state")
        assert status == 200 and state["problems"] == [] and [p["number"] for p in state["pages"]] == [1, 2]
        status, png = _request(server, "page/1.png")
        assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
        box = option(state["template"], "q02", 2)["box_mm"]
        status, found = _request(server, f"api/detect?page=1&x={box[0] + 1}&y={box[1] + 1}&kind=box")
        assert status == 200 and found["kind"] == "box"
        status, state = _request(server, "api/edit", {"op": "move", "item": "q02", "option": 1, "snap": True,
                                                      "box_mm": [box[0] + 1.2, box[1] - 0.9, box[2], box[3]]})
        assert status == 200 and option(state["template"], "q02", 2)["box_mm"] == found["box_mm"]
        assert _request(server, "api/edit", {"op": "split", "item": "q02", "at": 5})[0] == 400
        assert _request(server, "api/save", {})[1]["saved"]
        assert _request(server, "api/state", token=False)[0] == 403
        assert _request(server, "api/state", headers={"Host": "evil.example:80"})[0] == 403
        assert _request(server, "api/edit", {"op": "undo"}, headers={"Origin": "http://evil.example"})[0] == 403
        assert _request(server, "api/save", {}, headers={"Content-Type": "text/plain"})[0] == 415
        assert _request(server, "static/../document.py")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
    assert yaml.safe_load(form.read_text(encoding="utf-8"))["items"][4]["options"][1]["box_mm"] == found["box_mm"]


def test_the_edit_command_names_a_missing_or_broken_file():
    runner = CliRunner()
    result = runner.invoke(app, ["template", "edit", "no-such-form.yaml", "--no-browser"])
    assert result.exit_code == ExitCode.TEMPLATE and "no such template file" in result.output


_ITEMS = [{"id": f"q{k}", "text": text, "scale": "yes2", "page": 1,
           "options": [{"code": c, "box_mm": [100 + 20 * c, 20 + 10 * k, 5, 5]} for c in (1, 2)]}
          for k, text in enumerate(["Short", "A # in it: and a colon", "A long statement " * 8, "'Quoted' text"])]
_TEXT = template_yaml(parse_template({"form": "f", "version": "1", "pages": [{"number": 1}], "items": _ITEMS,
                                      "scales": {"yes2": {"options": [{"code": 1, "label": "Yes"},
                                                                      {"code": 2, "label": "No"}]}}}))


def _data(text: str):
    return yaml.load(text, Loader=yaml.CSafeLoader)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.booleans(), st.integers(0, 6)), max_size=8),
       st.permutations(range(len(_ITEMS))), st.integers(0, len(_ITEMS)))
def test_comments_are_all_kept_and_never_change_what_the_yaml_says(places, order, dropped):
    lines = _TEXT.splitlines()
    notes = []
    for n, (where, trailing, indent) in enumerate(places):
        k = where % len(lines)
        note = f"# note {n}"
        if trailing:
            lines[k] += "  " + note
        else:
            lines.insert(k, " " * indent + note)
        notes.append(note)
    old = "\n".join(lines) + "\n"
    assume(_data(old) == _data(_TEXT))  # the comments went where YAML has comments
    items = [_ITEMS[k] for k in order if k != dropped]
    new = template_yaml(parse_template({**_data(_TEXT), "items": items}))
    carried = carry_comments(old, new)
    assert _data(carried) == _data(new)
    for note in notes:
        assert carried.count(note + "\n") + carried.count(note + "  ") >= 1 or carried.endswith(note), note


def test_a_template_without_reference_pages_is_shown_and_snapped_on_its_own_drawing(template_path, tmp_path):
    form = tmp_path / "surestart.yaml"
    form.write_text(template_path.read_text(encoding="utf-8"), encoding="utf-8")
    doc = TemplateDocument(form)
    assert doc.page_png(2)[:8] == b"\x89PNG\r\n\x1a\n"
    for item in [i for i in doc.data["items"] if i["page"] == 2]:
        for o in item["options"]:
            x, y, w, h = o["box_mm"]
            found = doc.detect(2, x + w / 2, y + h / 2, "box")
            assert found is not None and max(abs(a - b) for a, b in zip(found["box_mm"], o["box_mm"])) < 0.3, \
                (item["id"], o, found)
