"""Every command is documented: it has --help text and the README shows it in use."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import typer

from scanner.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix: str = "scanner") -> list[tuple[str, object]]:
    """Every leaf command under `group`, by its full name (Typer ships its own click, so
    groups are told by having subcommands)."""
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        out += _commands(command, path) if hasattr(command, "commands") else [(path, command)]
    return out


def test_every_command_has_help_and_is_in_the_readme():
    commands = _commands(typer.main.get_command(app))
    assert {"scanner scan", "scanner template render", "scanner template layout", "scanner review"} <= dict(commands).keys()
    for path, command in commands:
        assert (command.help or "").strip(), f"{path} has no --help text"
        # `scan` is also its own command, and the README uses that spelling.
        spelled = "scan " if path == "scanner scan" else path + " "
        assert spelled in README, f"{path} is not shown in README.md"


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    section = README.split("\n## Use from Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```pycon\n(.*?)```", section, re.S)
    assert blocks, "README.md: the 'Use from Python' section has no ```pycon example"
    line = README[:README.index(blocks[0])].count("\n")
    monkeypatch.chdir(tmp_path)  # the example writes its batch and results where it runs
    example = doctest.DocTestParser().get_doctest(blocks[0], {}, "README.md: Use from Python", "README.md", line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(example, out=report.append)
    assert runner.tries > 5
    assert not runner.failures, "".join(report)


def test_the_demo_scans_the_samples_without_a_failure(tmp_path):
    """`make demo`'s scan, as the Makefile spells it: `scan samples/` failed (exit 1) once
    every file of a folder counted, the truth's CSVs among them."""
    import glob
    import shlex
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    line = next(ln.strip() for ln in (root / "Makefile").read_text().splitlines() if "/scan " in ln)
    words = shlex.split(line.replace("$(BIN)", str(Path(sys.executable).parent)).replace("$(DEMO_OUT)",
                                                                                        str(tmp_path / "out")))
    words = [hit for w in words for hit in (sorted(glob.glob(str(root / w))) if "*" in w else [w])]
    result = subprocess.run(words + ["--no-ocr", "--quiet"], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
