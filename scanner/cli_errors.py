"""What every command module shares: logging setup and the one place where the library's
errors become a message and an exit code.

Every command module calls the library through `run`, so that they all fail alike, and
none has to import another command module to do so: the command modules (`scanner.cli`,
`scanner.analysis_cli`, `scanner.review.cli`, `scanner.themes_cli`, ...) import this
module and the library, never each other; `scanner.cli` assembles them into the app.
Kept light: `scanner --help` imports it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TypeVar

import typer

from scanner.errors import ExitCode, ScannerError

T = TypeVar("T")


def setup_logging(verbose: bool, quiet: bool = False) -> None:
    """Logs to stderr: debug with --verbose, warnings only with --quiet, else info (scanner's
    own: other libraries' warnings only, unless --verbose)."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    # On the handler, not the loggers: Dask sets its loggers to INFO when it is imported,
    # after this, and then told each scheduler, nanny and worker starting and closing
    # (some 34 lines for `--cluster local:2`), --quiet or not.
    handler.setLevel(level)
    if not verbose:
        handler.addFilter(_ours_or_warning)
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _ours_or_warning(record: logging.LogRecord) -> bool:
    """Scanner's own info, and anyone's warnings."""
    return record.levelno >= logging.WARNING or record.name.split(".")[0] == "scanner"


def is_verbose() -> bool:
    """Whether --verbose was given: it sets the root logger to DEBUG, so no flag is kept."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def run(fn: Callable[..., T], *args, **kwargs) -> T:
    """Call the library; turn its errors into a one-line message and the exit code."""
    try:
        return fn(*args, **kwargs)
    except ScannerError as exc:
        if is_verbose():
            logging.exception("failed")
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: one line and exit 70, not a traceback and exit 1
        if is_verbose():
            logging.exception("internal error")
        typer.echo(f"internal error: {type(exc).__name__}: {exc}; please report it "
                   f"(--verbose shows the traceback)", err=True)
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
