"""The survey folder is self-contained: it keeps the template it was scanned with, so that
every later command works on the folder alone, from any directory, with the template's
file gone; and the shipped template is reachable by name from an installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.errors import ExitCode
from scanner.store import Store
from scanner.survey import TEMPLATE_KEY, stored_template
from scanner.template import load_template, parse_template, template_yaml
from scans import make_filled

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def staff_form(template_data: dict) -> dict:
    """A one-page form of its own (not shipped): page 1 of the Sure Start form, renamed."""
    return dict(template_data, form="staff-form", title="Staff form",
                pages=[p for p in template_data["pages"] if p["number"] == 1],
                items=[i for i in template_data["items"] if i["page"] == 1],
                comments=[c for c in template_data["comments"] if c["page"] == 1])


@pytest.fixture(scope="module")
def staff(tmp_path_factory):
    """A survey scanned with `--template forms/staff.yaml`, whose file is then deleted.

    Returns the out folder, the scanned page and the template.
    """
    root = tmp_path_factory.mktemp("staff")
    data = staff_form(yaml.safe_load((ROOT / "templates" / "surestart.yaml").read_text(encoding="utf-8")))
    template = parse_template(data)
    (root / "forms").mkdir()
    (root / "forms" / "staff.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    page = make_filled(template, root / "scans").png
    done = run("scan", page, "--template", root / "forms" / "staff.yaml", "--out", root / "out",
               "--no-ocr", "--jobs", "1", "--quiet")
    assert done.exit_code == 0, done.output
    shutil.rmtree(root / "forms")
    return root / "out", page, template


def test_every_command_works_on_the_folder_alone(staff, tmp_path, monkeypatch):
    """The bug: `review` and `export` looked for the template in templates/ beside the
    package and failed, though the scan was made with --template."""
    scanned, page, template = staff
    out = shutil.copytree(scanned, tmp_path / "survey")
    monkeypatch.chdir(tmp_path)  # no templates/ here, and the template's file is gone
    done = run("export", out, "--json")
    assert done.exit_code == 0, done.output
    codebook = json.loads((out / "export" / "codebook.json").read_text(encoding="utf-8"))
    assert codebook["form"] == "staff-form"
    done = run("review", out, "--status", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["waiting"] >= 0
    done = run("tabulate", out, "--format", "csv")
    assert done.exit_code == 0, done.output
    assert {row.split(",")[0] for row in done.stdout.splitlines()[1:]} >= {i.id for i in template.items}
    done = run("report", out)
    assert done.exit_code == 0, done.output
    assert "Staff form" in (out / "report.html").read_text(encoding="utf-8")
    # Scanning into the folder again takes the survey's own template too.
    done = run("scan", page, "--out", out, "--no-ocr", "--jobs", "1", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["reused_pages"] == 1


def test_the_store_keeps_the_template_with_every_default(staff, template):
    out, _, scanned_with = staff
    with Store(out) as store:
        assert stored_template(store) == scanned_with
        assert store.get_meta("form") == "staff-form 1"
        assert "marker_dictionary: DICT_4X4_250" in store.get_meta(TEMPLATE_KEY)  # a default, spelt out
    assert parse_template(yaml.safe_load(template_yaml(template))) == template


def test_a_template_named_must_be_the_surveys(staff, tmp_path, template_data):
    scanned, page, template = staff
    out = shutil.copytree(scanned, tmp_path / "survey")
    same = tmp_path / "same.yaml"
    same.write_text(yaml.safe_dump(staff_form(template_data)), encoding="utf-8")
    assert run("export", out, "--template", same, "-o", tmp_path / "x").exit_code == 0
    result = run("export", out, "--template", "surestart", "-o", tmp_path / "y")
    assert result.exit_code == ExitCode.TEMPLATE
    assert "holds a survey of form staff-form 1, but surestart is form surestart-multiagency 1" in result.stderr
    result = run("review", out, "--status", "--template", "surestart")
    assert result.exit_code == ExitCode.TEMPLATE and "staff-form 1" in result.stderr
    result = run("scan", page, "--template", "surestart", "--out", out, "--no-ocr", "--jobs", "1")
    assert result.exit_code == ExitCode.USAGE and "holds a survey of form staff-form 1" in result.stderr
    # Same form and version, yet another template: scanning with it would mix two.
    edited = staff_form(template_data)
    edited["items"][0] = dict(edited["items"][0], text="Edited since")
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(edited), encoding="utf-8")
    result = run("scan", page, "--template", changed, "--out", out, "--no-ocr", "--jobs", "1")
    assert result.exit_code == ExitCode.USAGE
    assert "was scanned with another template of form staff-form 1" in result.stderr


def test_shipped_templates_by_name(filled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no templates/ here
    result = run("template", "list")
    assert result.exit_code == 0, result.output
    name, form, path = result.stdout.splitlines()[0].split("\t")
    assert (name, form) == ("surestart", "surestart-multiagency 1") and load_template(path).form == form.split()[0]
    result = run("template", "layout", "surestart", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["form"] == "surestart-multiagency"
    result = run("scan", filled.png, "--template", "surestart", "--out", "out", "--no-ocr", "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    result = run("template", "layout", "surestrat")
    assert result.exit_code == ExitCode.TEMPLATE
    assert "no such template file, nor a template of that name" in result.stderr and "surestart" in result.stderr


def _forget_template(out: Path) -> None:
    """Make `out` a survey scanned before the store kept its template."""
    with Store(out) as store:
        store.db.execute("DELETE FROM meta WHERE key = ?", (TEMPLATE_KEY,))


def test_a_survey_scanned_before_templates_were_kept(staff, survey, tmp_path, template_data):
    # Of the shipped form: the shipped template reads it.
    old = shutil.copytree(survey.out, tmp_path / "old-surestart")
    _forget_template(old)
    assert run("export", old, "-o", tmp_path / "x").exit_code == 0
    # Of a form not shipped: a clear error, until its template is named.
    scanned, page, _ = staff
    out = shutil.copytree(scanned, tmp_path / "old-staff")
    _forget_template(out)
    result = run("export", out, "-o", tmp_path / "y")
    assert result.exit_code == ExitCode.TEMPLATE
    assert "scanned before scanner kept the template" in result.stderr and "--template FILE" in result.stderr
    form = tmp_path / "staff.yaml"
    form.write_text(yaml.safe_dump(staff_form(template_data)), encoding="utf-8")
    assert run("export", out, "--template", form, "-o", tmp_path / "z").exit_code == 0
    # Scanning into it again with its template keeps the template there.
    assert run("scan", page, "--template", form, "--out", out, "--no-ocr", "--jobs", "1", "--quiet").exit_code == 0
    form.unlink()
    assert run("export", out, "-o", tmp_path / "w").exit_code == 0


def test_the_installed_package_carries_the_template(staff, tmp_path):
    """What a wheel holds is what setuptools' build_py puts in the build folder: build it
    from a copy of the sources and run the commands from it, away from the repository."""
    source = tmp_path / "source"
    for part in ("scanner", "templates"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    build = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
                            "egg_info", "--egg-base", str(tmp_path), "build_py", "--build-lib", str(tmp_path / "lib")],
                           cwd=source, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    lib = tmp_path / "lib"
    assert (lib / "scanner" / "templates" / "surestart.yaml").read_bytes() == \
        (ROOT / "templates" / "surestart.yaml").read_bytes()
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "scanner").rglob("*.py")}
    assert modules <= {p.relative_to(lib).as_posix() for p in lib.rglob("*.py")}, "a package is not shipped"

    def installed(*args):
        env = dict(os.environ, PYTHONPATH=str(lib))
        return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *map(str, args)],
                              cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    done = installed("template", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\t")[2].strip() == str(lib / "scanner" / "templates" / "surestart.yaml")
    scanned, _, _ = staff
    out = shutil.copytree(scanned, tmp_path / "survey")
    done = installed("review", out, "--status")
    assert done.returncode == 0, done.stderr
    assert "wait for review" in done.stdout
