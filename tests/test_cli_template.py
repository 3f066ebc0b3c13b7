"""`scanner template render` and `scanner template layout`, through Typer's CliRunner."""

from __future__ import annotations

import json
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.errors import ExitCode
from scanner.template import layout

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def page_count(path) -> int:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def test_render_writes_every_page(template_path, tmp_out):
    out = tmp_out / "blank.pdf"
    result = run("template", "render", template_path, "-o", out)
    assert result.exit_code == 0, result.output
    assert page_count(out) == 7
    assert result.stdout == ""
    assert f"wrote {out} (7 pages)" in result.stderr


def test_render_numbered_copies(template_path, tmp_out):
    out = tmp_out / "copies.pdf"
    result = run("template", "render", template_path, "--output", out, "--copies", 2, "--first-serial", 10)
    assert result.exit_code == 0, result.output
    assert page_count(out) == 14
    assert "(14 pages)" in result.stderr


CONTRACT_KEYS = {
    "top": {"form", "version", "pages", "colours", "items", "comments"},
    "page": {"page", "width_mm", "height_mm"},
    "colour": {"name", "programme", "rgb"},
    "item": {"id", "page", "scale", "multiple", "options"},
    "option": {"code", "label", "box_mm"},
    "comment": {"id", "page", "box_mm"},
}


def test_layout_json_has_exactly_the_contract_shape(template_path):
    result = run("template", "layout", template_path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stdout is nothing but the JSON
    assert set(data) == CONTRACT_KEYS["top"]
    assert isinstance(data["form"], str) and isinstance(data["version"], str)
    for page in data["pages"]:
        assert set(page) == CONTRACT_KEYS["page"]
        assert isinstance(page["page"], int) and isinstance(page["width_mm"], float)
    for colour in data["colours"]:
        assert set(colour) == CONTRACT_KEYS["colour"]
        assert len(colour["rgb"]) == 3 and all(isinstance(v, int) for v in colour["rgb"])
    for item in data["items"]:
        assert set(item) == CONTRACT_KEYS["item"]
        assert isinstance(item["multiple"], bool)
        for option in item["options"]:
            assert set(option) == CONTRACT_KEYS["option"]
            assert isinstance(option["code"], int) and isinstance(option["label"], str)
            assert len(option["box_mm"]) == 4 and all(isinstance(v, float) for v in option["box_mm"])
    for comment in data["comments"]:
        assert set(comment) == CONTRACT_KEYS["comment"]
        assert len(comment["box_mm"]) == 4


def test_layout_json_round_trips_with_the_template(template_path, template):
    data = json.loads(run("template", "layout", template_path, "--json").stdout)
    assert data == layout(template)
    assert (data["form"], data["version"]) == ("surestart-multiagency", "1")
    assert data["pages"] == [{"page": n, "width_mm": 210.0, "height_mm": 297.0} for n in range(1, 8)]
    assert [c["name"] for c in data["colours"]] == ["yellow", "pink", "blue", "green", "white"]
    assert data["colours"][0] == {"name": "yellow", "programme": "Programme A", "rgb": [255, 242, 160]}
    assert [i["id"] for i in data["items"]] == [i.id for i in template.items]
    for entry, item in zip(data["items"], template.items):
        assert (entry["page"], entry["scale"], entry["multiple"]) == (item.page, item.scale, item.multiple)
        scale = template.scales[item.scale]
        assert [(o["code"], o["label"], tuple(o["box_mm"])) for o in entry["options"]] == [
            (o.code, scale.label(o.code), o.box_mm) for o in item.options
        ]
    assert [(c["id"], c["page"], tuple(c["box_mm"])) for c in data["comments"]] == [
        (c.id, c.page, c.box_mm) for c in template.comments
    ]
    q01 = next(i for i in data["items"] if i["id"] == "q01")
    assert (q01["scale"], q01["options"][0]["code"], q01["options"][0]["label"]) == ("influence3", 1, "Hinders")


def test_layout_summary_without_json(template_path):
    result = run("template", "layout", template_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("page 1 (210.0 x 297.0 mm): 4 items role, q01, q02, q03;")
    assert len(lines) == 8
    assert lines[-1].startswith("colours: yellow = Programme A")


@pytest.fixture
def bad_template(tmp_path, template_data):
    template_data["items"][12]["scale"] = "agree7"
    template_data["comments"][3]["id"] = "q04"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(template_data), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["render", "layout"])
def test_bad_template_exits_3_with_one_line_per_problem(bad_template, command, tmp_out):
    result = run("template", command, bad_template, *(["-o", tmp_out / "x.pdf"] if command == "render" else []))
    assert result.exit_code == ExitCode.TEMPLATE == 3
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert sorted(result.stderr.splitlines()) == sorted([
        "error: invalid template",
        f"{bad_template}: comments[3].id: duplicate id 'q04' (also items[4])",
        f"{bad_template}: items[12].scale: unknown scale 'agree7'; known: ['agree5', 'influence3', 'role6']",
    ])
    assert not (tmp_out / "x.pdf").exists()


@pytest.mark.parametrize("command", ["render", "layout"])
def test_missing_template_exits_3(tmp_path, command):
    missing = tmp_path / "nope.yaml"
    result = run("template", command, missing)
    assert result.exit_code == 3
    assert result.stderr == f"error: {missing}: no such template file\n"


def test_invalid_yaml_exits_3_on_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("form: x\n  version: 1\n", encoding="utf-8")
    result = run("template", "layout", path, "--json")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {path}: not valid YAML: line 2")


def test_verbose_shows_the_traceback(tmp_path):
    result = run("--verbose", "template", "layout", tmp_path / "nope.yaml")
    assert result.exit_code == 3
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", [["template"], ["template", "render"], ["template", "layout"]])
def test_commands_have_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


@pytest.mark.skipif(shutil.which("scanner") is None, reason="the package is not installed")
def test_installed_command_prints_the_layout(template_path, template):
    result = subprocess.run(["scanner", "template", "layout", str(template_path), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == layout(template)
