"""The template loader: clear errors for bad templates, and the shipped Sure Start form."""

from __future__ import annotations

import copy
import importlib.util
import pickle
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import ExitCode, TemplateError
from scanner.render import marker_boxes
from scanner.template import Template, layout, load_template, parse_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DATA = yaml.safe_load((ROOT / "templates" / "surestart.yaml").read_text(encoding="utf-8"))
"""The shipped template as parsed YAML; deep-copy it before changing it."""
SOURCE = "bad.yaml"


def problems(data: object) -> list[str]:
    """The problem lines of the TemplateError that `data` raises (each 'file: path: what')."""
    with pytest.raises(TemplateError) as info:
        parse_template(data, SOURCE)
    message = str(info.value)
    assert info.value.exit_code == ExitCode.TEMPLATE
    assert "Traceback" not in message
    head, *lines = message.splitlines()
    assert head == "invalid template"
    assert lines and all(line.startswith(f"{SOURCE}: ") for line in lines), message
    return lines


def only_problem(data: object) -> str:
    lines = problems(data)
    assert len(lines) == 1, "\n".join(lines)
    return lines[0]


def mutated(change) -> dict:
    data = copy.deepcopy(TEMPLATE_DATA)
    change(data)
    return data


def _set(path: str, value):
    """A change that sets the value at a dotted path such as ``items.12.options.3.box_mm``."""

    def change(data):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            data = data[p]
        data[last] = value

    return change


def _delete(path: str):
    def change(data):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            data = data[p]
        del data[last]

    return change


# (change, YAML path named in the message, words the message must contain)
BAD = {
    "unknown scale": (_set("items.12.scale", "agree7"), "items[12].scale", ["unknown scale 'agree7'", "agree5"]),
    "duplicate item id": (_set("items.2.id", "q01"), "items[2].id", ["duplicate id 'q01'", "items[1]"]),
    "item id repeated by a comment": (
        _set("comments.3.id", "q04"), "comments[3].id", ["duplicate id 'q04'", "items[4]"]),
    "box off the page": (
        _set("items.12.options.3.box_mm", [207.0, 50.0, 5.0, 5.0]), "items[12].options[3].box_mm", ["off the page"]),
    "box above the page": (
        _set("comments.1.box_mm", [20.0, -2.0, 170.0, 15.0]), "comments[1].box_mm", ["off the page"]),
    "overlapping tick boxes": (
        _set("items.12.options.3.box_mm", [133.0, 50.6, 5.0, 5.0]), "items[12].options[3].box_mm",
        ["overlaps items[12].options[1].box_mm"]),
    "tick box inside a comment box": (
        _set("items.1.options.0.box_mm", [100.0, 170.0, 5.0, 5.0]), "comments[1].box_mm",
        ["overlaps items[1].options[0].box_mm"]),
    "code not in the scale": (
        _set("items.12.options.3.code", 9), "items[12].options[3].code", ["code 9 is not in scale 'agree5'"]),
    "code twice in one item": (
        _set("items.12.options.3.code", 1), "items[12].options[3].code", ["code 1 appears twice"]),
    "colour without a programme": (_delete("colours.1.programme"), "colours[1].programme", ["required key is missing"]),
    "colour twice": (_set("colours.1.name", "yellow"), "colours[1].name", ["'yellow' appears twice"]),
    "rgb out of range": (_set("colours.0.rgb", [255, 242, 300]), "colours[0].rgb[2]", ["255", "300"]),
    "string for a number": (_set("items.7.page", "two"), "items[7].page", ["valid integer", "'two'"]),
    "string for a box": (
        _set("items.7.options.0.box_mm", "115.5, 178.2, 5, 5"), "items[7].options[0].box_mm", ["valid tuple"]),
    "list for a mapping": (_set("scales", [{"options": []}]), "scales", ["valid dictionary"]),
    "list for the registration": (_set("registration", [10, 8]), "registration", ["valid dictionary"]),
    "number for a list": (_set("items", 3), "items", ["valid list"]),
    "missing form": (_delete("form"), "form", ["required key is missing"]),
    "missing item text": (_delete("items.3.text"), "items[3].text", ["required key is missing"]),
    "missing box": (_delete("comments.5.box_mm"), "comments[5].box_mm", ["required key is missing"]),
    "unknown item key": (_set("items.3.colour", "red"), "items[3].colour", ["unknown key"]),
    "unknown top-level key": (_set("titel", "x"), "titel", ["unknown key"]),
    "misspelt registration key": (
        _set("registration", {"marker_size": 10}), "registration.marker_size", ["unknown key"]),
    "item on a page that does not exist": (_set("items.10.page", 9), "items[10].page", ["page 9 is not in pages"]),
    "comment on a page that does not exist": (
        _set("comments.2.page", 8), "comments[2].page", ["page 8 is not in pages"]),
    "page twice": (lambda d: d["pages"].append(d["pages"][6]), "pages[7].number", ["page 7 appears twice"]),
    "unknown question": (_set("items.6.question", "66"), "items[6].question", ["question '66' is not in questions"]),
    "unknown text style": (_set("pages.0.texts.1.style", "huge"), "pages[0].texts[1].style", ["'title'"]),
    "zero-width box": (
        _set("comments.4.box_mm", [20.0, 100.0, 0.0, 15.0]), "comments[4].box_mm", ["width and height must be positive"]),
    "bad scale name": (
        _set("scales.agree 5", {"options": [{"code": 1, "label": "x"}]}), "scales['agree 5'] (the key)", ["pattern"]),
    "scale codes repeat": (_set("scales.agree5.options.1.code", 1), "scales.agree5.options", ["codes repeat"]),
    "zero page size": (_set("page_size_mm", [0, 297]), "page_size_mm[0]", ["greater than 0"]),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_template_gives_one_clear_message(case):
    change, path, words = BAD[case]
    line = only_problem(mutated(change))
    assert line.startswith(f"{SOURCE}: {path}: "), line
    for word in words:
        assert word in line, line


@pytest.mark.parametrize("data", [[1, 2], "form: x", 42, None], ids=["list", "string", "number", "null"])
def test_top_level_must_be_a_mapping(data):
    assert only_problem(data) == f"{SOURCE}: (top level): a template is a mapping of keys such as form, pages, items"


def test_odd_key_stays_on_one_line():
    """Regression: a key holding a line break split its problem over two lines."""
    data = mutated(_set("items.3.a\rb", 1))
    assert only_problem(data) == f"{SOURCE}: items[3]['a\\rb']: unknown key (misspelt, or in the wrong place?)"


def test_rgb_out_of_range_is_one_problem():
    """Regression: pydantic also reported the tuple as too short once it dropped the bad value."""
    assert only_problem(mutated(_set("colours.0.rgb", [255, 242, 300]))).endswith("(got 300)")


def test_zero_page_size_is_one_problem():
    """Regression: a zero page size was accepted, then every box was reported off the page."""
    assert "page_size_mm[0]" in only_problem(mutated(_set("page_size_mm", [0, 297])))


def test_every_problem_is_reported_on_its_own_line():
    def change(data):
        data["items"][12]["scale"] = "agree7"
        data["comments"][3]["id"] = "q04"
        data["items"][10]["page"] = 9

    lines = problems(mutated(change))
    assert sorted(line.split(": ")[1] for line in lines) == ["comments[3].id", "items[10].page", "items[12].scale"]


def test_problems_are_capped_at_twenty_lines():
    # Every option box of every item at the same spot: hundreds of overlaps.
    def change(data):
        for item in data["items"]:
            for option in item["options"]:
                option["box_mm"] = [100.0, 100.0, 5.0, 5.0]

    with pytest.raises(TemplateError) as info:
        parse_template(mutated(change), SOURCE)
    lines = str(info.value).splitlines()
    assert len(lines) == 22
    assert re.fullmatch(r"\.\.\. and \d+ more problems", lines[-1])


# Files: the message names the file and fits on one line.


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "form.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(TemplateError) as info:
        load_template(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_invalid_yaml_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "form: x\npages: [1, 2\nitems: a: b\n")
    message = load_error(path)
    assert message.startswith(f"{path}: not valid YAML: line 3, column 6: ")
    assert "\n" not in message


def test_bad_indentation_is_invalid_yaml(tmp_path):
    message = load_error(write(tmp_path, "form: x\n  version: 1\n"))
    assert "not valid YAML: line 2" in message and "\n" not in message


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert load_error(path) == f"{path}: no such template file"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank lines", "comment"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, text)
    assert load_error(path).startswith(f"{path}: the file is empty")


def test_directory_instead_of_file(tmp_path):
    assert "cannot read the template" in load_error(tmp_path)


def test_not_utf8(tmp_path):
    path = tmp_path / "form.yaml"
    path.write_bytes(b"form: \xff\xfe\n")
    assert "cannot read the template" in load_error(path)


def test_yaml_file_errors_name_the_file(tmp_path, template_data):
    template_data["items"][12]["options"][3]["box_mm"] = [207.0, 50.0, 5.0, 5.0]
    path = write(tmp_path, yaml.safe_dump(template_data))
    assert f"{path}: items[12].options[3].box_mm: box [207.0, 50.0, 5.0, 5.0] is off the page" in load_error(path)


def test_minimal_template(tmp_path):
    path = write(tmp_path, """
form: tiny
version: "2"
scales:
  yesno: {options: [{code: 1, label: "Yes"}, {code: 0, label: "No"}]}
pages: [{number: 1}]
items:
  - {id: q1, text: "Happy?", scale: yesno, page: 1,
     options: [{code: 1, box_mm: [150, 50, 5, 5]}, {code: 0, box_mm: [170, 50, 5, 5]}]}
""")
    t = load_template(path)
    assert t.page_size_mm == (210.0, 297.0) and t.reading.corrections
    assert layout(t)["items"][0]["options"][1] == {"code": 0, "label": "No", "box_mm": [170.0, 50.0, 5.0, 5.0]}


# Property tests: whatever is wrong, the loader says so with a TemplateError.


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _paths(value, (*prefix, k))


PATHS = list(_paths(TEMPLATE_DATA))[1:]
SHALLOW_PATHS = [p for p in PATHS if len(p) <= 3]  # keys and entries rather than single coordinates

scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["1", "agree5", "q01", "yellow", "body", "", "-1", "1e999"])
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=10,
)


def _parent(data, path):
    """The container holding `path`'s last key, or None when the path no longer exists."""
    for key in path[:-1]:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(data, dict) and path[-1] in data:
        return data
    if isinstance(data, list) and isinstance(path[-1], int) and path[-1] < len(data):
        return data
    return None


mutation = st.tuples(
    st.sampled_from(SHALLOW_PATHS) | st.sampled_from(PATHS),
    st.sampled_from(["delete", "replace", "duplicate", "nest"]),
    json_ish,
    st.text(max_size=8),
)


def _apply(data: dict, path: tuple, op: str, value, new_key: str) -> None:
    parent = _parent(data, path)
    if parent is None:  # an earlier mutation removed or replaced it
        return
    key = path[-1]
    if op == "delete":
        del parent[key]
    elif op == "replace":
        parent[key] = value
    elif op == "nest":
        parent[key] = [parent[key]] if isinstance(value, list) else {new_key: parent[key]}
    elif isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    else:
        parent[new_key] = copy.deepcopy(parent[key])


@settings(max_examples=150, deadline=None)
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_template_is_accepted_or_rejected_with_template_error(changes):
    data = pickle.loads(pickle.dumps(TEMPLATE_DATA))  # a deep copy, several times faster
    for change in changes:
        _apply(data, *change)
    try:
        template = parse_template(data, SOURCE)
    except TemplateError as exc:
        head, *lines = str(exc).splitlines()
        assert head == "invalid template" and 1 <= len(lines) <= 21
        if re.fullmatch(r"\.\.\. and \d+ more problems", lines[-1]):
            lines.pop()
        assert all(line.startswith(f"{SOURCE}: ") for line in lines)
    else:
        assert isinstance(template, Template)
        layout(template)  # an accepted template always has a layout


@settings(max_examples=100, deadline=None)
@given(json_ish)
def test_any_yaml_value_is_accepted_or_rejected_with_template_error(data):
    with pytest.raises(TemplateError):
        parse_template(data, SOURCE)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_file_text_is_rejected_with_template_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("t") / "form.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError):
        load_template(path)


def _zones(t: Template):
    for item in t.items:
        for option in item.options:
            yield item.page, option.box_mm
    for comment in t.comments:
        yield comment.page, comment.box_mm


ORIGINAL = parse_template(TEMPLATE_DATA)


def _with_box(k: int, j: int, box: list[float]) -> dict:
    """The shipped data with one option box replaced, copying only what changes."""
    data = dict(TEMPLATE_DATA, items=list(TEMPLATE_DATA["items"]))
    item = data["items"][k] = dict(data["items"][k], options=list(data["items"][k]["options"]))
    item["options"][j] = dict(item["options"][j], box_mm=box)
    return data


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(ORIGINAL.items) - 1), st.data(),
    st.floats(-10, 215), st.floats(-10, 300), st.floats(0.5, 30), st.floats(0.5, 30),
)
def test_moved_box_is_rejected_exactly_when_off_page_or_overlapping(k, data, x, y, w, h):
    j = data.draw(st.integers(0, len(ORIGINAL.items[k].options) - 1))
    page, old = ORIGINAL.items[k].page, ORIGINAL.items[k].options[j].box_mm
    others = [b for (p, b) in _zones(ORIGINAL) if p == page and b != old]
    off = x < 0 or y < 0 or x + w > 210 or y + h > 297
    overlaps = any(x < b[0] + b[2] and b[0] < x + w and y < b[1] + b[3] and b[1] < y + h for b in others)
    if off or overlaps:
        lines = problems(_with_box(k, j, [x, y, w, h]))
        assert all(f"items[{k}].options[{j}].box_mm" in line for line in lines), lines
        assert any("off the page" in line for line in lines) == off
        assert any("overlaps" in line for line in lines) == overlaps
    else:
        moved = parse_template(_with_box(k, j, [x, y, w, h]))
        assert moved.items[k].options[j].box_mm == (x, y, w, h)


# The shipped template implements the Sure Start questionnaire (../shared/questionnaire.md).

ITEM_IDS = (
    ["role", "q01", "q02", "q03", "q04", "q05", "q06", "q07a", "q07b", "q07c", "q07d"]
    + [f"q{n:02d}{letter}" for n in range(8, 21) for letter in "abc"]
)
COMMENT_IDS = ["role_detail"] + [f"q{n:02d}_comment" for n in range(1, 22)]
SCALES = {
    "influence3": {1: "Hinders", 2: "No particular influence", 3: "Facilitates"},
    "agree5": {1: "Strongly disagree", 2: "Disagree", 3: "Not sure", 4: "Agree", 5: "Strongly agree"},
    "role6": {
        1: "Sure Start programme team member",
        2: "Partnership board member (professional)",
        3: "Partnership board member (parent or community)",
        4: "Lead Agency (City Council)",
        5: "Accountable Body (Primary Care Trust)",
        6: "Other",
    },
}
PROGRAMMES = {
    "yellow": "Programme A",
    "pink": "Programme B",
    "blue": "Programme C",
    "green": "Programme D",
    "white": "Agency-wide (Lead Agency / Accountable Body)",
}


def test_shipped_item_and_comment_ids(template):
    assert len(ITEM_IDS) == 50 and len(COMMENT_IDS) == 22
    assert [i.id for i in template.items] == ITEM_IDS
    assert [c.id for c in template.comments] == COMMENT_IDS
    assert template.field_ids() == ITEM_IDS + COMMENT_IDS


def test_shipped_scales(template):
    assert {name: {o.code: o.label for o in s.options} for name, s in template.scales.items()} == SCALES
    for item in template.items:
        expected = "role6" if item.id == "role" else "influence3" if item.id <= "q05" else "agree5"
        assert item.scale == expected, item.id
        assert [o.code for o in item.options] == list(SCALES[expected]), item.id
        assert not item.multiple


def test_shipped_colours(template):
    assert {c.name: c.programme for c in template.colours} == PROGRAMMES
    assert template.colour("white").rgb == (255, 255, 255)
    assert len({c.rgb for c in template.colours}) == 5


def test_shipped_form_identity(template):
    assert (template.form, template.version) == ("surestart-multiagency", "1")
    assert template.page_numbers == list(range(1, 8))
    assert template.reading.corrections


QUESTIONNAIRE = ROOT.parent / "shared" / "questionnaire.md"


@pytest.mark.skipif(not QUESTIONNAIRE.exists(), reason="the questionnaire spec lives outside the repository")
def test_shipped_texts_match_the_questionnaire(template):
    spec = QUESTIONNAIRE.read_text(encoding="utf-8")
    texts = dict(re.findall(r"^- `(q\d\d[a-d]?)` (.+?) \[\d+\]$", spec, re.M))
    texts["role"] = re.search(r"^- `role` \(role6\): (.+)$", spec, re.M).group(1)
    assert {i.id: i.text for i in template.items} == texts
    stems = dict(re.findall(r'^Q(\d+) "(.+)"', spec, re.M))
    for number, stem in stems.items():
        assert template.question(number).stem == stem
    assert "|" not in "".join(PROGRAMMES.values())
    for colour, programme in PROGRAMMES.items():
        assert f"| {colour} | {programme} |" in spec


def test_shipped_yaml_is_what_the_builder_writes(template):
    spec = importlib.util.spec_from_file_location("build_surestart", ROOT / "tools" / "build_surestart.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert parse_template(builder.build()) == template, "run: python tools/build_surestart.py > templates/surestart.yaml"


def test_shipped_boxes_keep_clear_of_markers_and_qr(template):
    reg = template.registration
    keep_out = [(x - 2, y - 2, s + 4, s + 4) for x, y, s in marker_boxes(template)]
    keep_out.append((reg.qr_at_mm[0] - 2, reg.qr_at_mm[1] - 2, reg.qr_size_mm + 4, reg.qr_size_mm + 4))
    for page, box in _zones(template):
        for zone in keep_out:
            assert not (box[0] < zone[0] + zone[2] and zone[0] < box[0] + box[2]
                        and box[1] < zone[1] + zone[3] and zone[1] < box[1] + box[3]), (page, box, zone)


# The README's "Writing a template" section shows a template and errors that are real.


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Writing a template")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_readme_example_template_is_valid_and_renders(tmp_out):
    from scanner.render import render_pdf

    block = re.search(r"```yaml\n(.*?)```", _readme_section(), re.S).group(1)
    template = parse_template(yaml.safe_load(block), "README.md")
    assert [i.id for i in template.items] == ["team", "q1"]
    assert render_pdf(template, tmp_out / "staff.pdf").stat().st_size > 0


def test_readme_example_errors_are_what_the_loader_says():
    section = _readme_section()
    data = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    broken = copy.deepcopy(data)
    broken["items"][1]["scale"] = "agree5"
    broken["items"][0]["options"][1]["box_mm"] = [208, 46, 5, 5]
    broken["comments"][0]["box_mm"] = [20, 62, 170, 15]
    for line in problems(broken)[:3]:
        assert line.replace(SOURCE, "staff.yaml") in section
    broken = copy.deepcopy(data)
    broken["items"][1]["page"] = "one"
    broken["items"][1]["colour"] = "x"
    del broken["colours"][1]["programme"]
    for line in problems(broken):
        assert line.replace(SOURCE, "staff.yaml") in section
