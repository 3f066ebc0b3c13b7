"""The CLI's shape: command modules import the library and `scanner.cli_errors`, never
each other, and the library never imports the CLI (checked on the source, with ast)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import scanner

PACKAGE = Path(scanner.__file__).resolve().parent
ASSEMBLER = "scanner.cli"
"""The one module that imports command modules: it assembles the app."""
SHARED = "scanner.cli_errors"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (function bodies too), by full name;
    `from a import b` counts as both `a` and `a.b`, since b may be a module."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    """Every module of the package and what it imports, parsed once for the tests below."""
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _cli_modules(imports: dict[str, set[str]]) -> set[str]:
    """Modules that are part of the CLI: those that import Typer."""
    return {name for name, found in imports.items() if {"typer", "click"} & {i.split(".")[0] for i in found}}


def test_command_modules_import_only_the_shared_helpers_and_the_library(imports):
    cli = _cli_modules(imports)
    assert {ASSEMBLER, SHARED, "scanner.analysis_cli", "scanner.review.cli"} <= cli
    for name in sorted(cli - {ASSEMBLER}):
        others = imports[name] & (cli - {SHARED, name})
        assert not others, f"{name} imports the command module(s) {sorted(others)}: import scanner.cli_errors " \
                           f"and the library instead (scanner.cli assembles the app)"
    assert not imports[SHARED] & (cli - {SHARED}), f"{SHARED} must not import a command module"


def test_the_library_never_imports_the_cli(imports):
    cli = _cli_modules(imports)
    for name in sorted(set(imports) - cli):
        assert not imports[name] & cli, f"{name} (library) imports the CLI"


def test_import_scanner_loads_neither_pandas_nor_the_pipeline():
    code = "import sys, scanner; print(sorted({'pandas', 'cv2', 'scanner.pipeline'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("argv", [["scanner", "--help"], ["scan", "--help"], ["scanner", "export", "--help"],
                                  ["scanner", "themes", "--help"]])
def test_help_loads_neither_pandas_nor_opencv(argv):
    # `--help` is what people type first; pandas and OpenCV take seconds to load on a busy machine.
    entry = "scan_main" if argv[0] == "scan" else "main"
    code = (f"import sys; sys.argv = {argv!r}\nfrom scanner.cli import {entry}\n"
            f"try:\n    {entry}()\nexcept SystemExit:\n    pass\n"
            "print(sorted({'pandas', 'cv2', 'scanner.pipeline'} & set(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_export_formats_named_for_the_help_are_the_writers():
    from scanner.export import WRITERS
    from scanner.export_formats import EXPORT_FORMATS

    assert tuple(WRITERS) == EXPORT_FORMATS
