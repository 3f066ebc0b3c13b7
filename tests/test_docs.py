"""Every command is documented: it has --help text and the README shows it in use."""

from __future__ import annotations

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
