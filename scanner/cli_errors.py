"""The one place where the library's errors become a message and an exit code.

Every command module calls the library through `run`, so that they all fail alike, and
none has to import another command module to do so.
"""

from __future__ import annotations

import logging

import typer

from scanner.errors import ExitCode, ScannerError


def _verbose() -> bool:
    # `--verbose` sets the root logger to DEBUG (scanner.cli._setup_logging).
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def run(fn, *args, **kwargs):
    """Call the library; turn its errors into a one-line message and the exit code."""
    try:
        return fn(*args, **kwargs)
    except ScannerError as exc:
        if _verbose():
            logging.exception("failed")
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: one line and exit 70, not a traceback and exit 1
        if _verbose():
            logging.exception("internal error")
        typer.echo(f"internal error: {type(exc).__name__}: {exc}; please report it "
                   f"(--verbose shows the traceback)", err=True)
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
