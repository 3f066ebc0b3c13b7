"""Exit codes and the exceptions that carry them.

Every error the library raises for a person to read is a `ScannerError`: its message
says what is wrong and what to do, and its `exit_code` is what the CLI returns.
"""

from __future__ import annotations

import os
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the `scanner` and `scan` commands."""

    OK = 0
    INPUTS_FAILED = 1  # the batch ran, but some files or pages could not be read
    USAGE = 2  # bad options or arguments (Typer/Click also use 2)
    TEMPLATE = 3  # the template is missing or invalid
    MISSING_DEPENDENCY = 4  # an external program (tesseract, ...) is not installed
    UNRESOLVED = 5  # export --require-reviewed found items still in review
    OUTPUT = 6  # the survey's folder cannot be written (disk full, read-only)
    CLUSTER = 7  # the Dask cluster cannot be reached, or was lost during the scan
    INTERNAL = 70  # a bug: please report it


class ScannerError(Exception):
    """Base of all errors meant for people; carries the exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(ScannerError):
    """The command was called with arguments that cannot work."""

    exit_code = ExitCode.USAGE


class TemplateError(ScannerError):
    """A template file is missing, unreadable or invalid."""

    exit_code = ExitCode.TEMPLATE


class InputFileError(ScannerError):
    """An input file cannot be read (corrupt, encrypted, empty, not a form)."""

    exit_code = ExitCode.INPUTS_FAILED

    def __init__(self, path: str, reason: str, page: int | None = None):
        self.path = path
        self.reason = reason
        self.page = page
        where = f"{path} page {page}" if page is not None else path
        super().__init__(f"{where}: {reason}")


class MissingDependencyError(ScannerError):
    """An external program the job needs is not installed."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class OutputError(ScannerError):
    """The survey's folder cannot be written: the disk is full, or it is read-only."""

    exit_code = ExitCode.OUTPUT


class ClusterError(ScannerError):
    """The Dask cluster named by --cluster cannot be reached, or its scheduler was lost."""

    exit_code = ExitCode.CLUSTER


class UnresolvedItemsError(ScannerError):
    """Items still wait for review where the caller required none."""

    exit_code = ExitCode.UNRESOLVED


def one_line(exc: BaseException) -> str:
    """An exception as one line of words, for a page's reason or a message.

    OpenCV's errors carry its source file and a newline; an OSError's text repeats the
    file name that the line already gives.
    """
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    err, func = getattr(exc, "err", None), getattr(exc, "func", None)  # cv2.error's parts
    text = f"{err} in {func}" if err and func else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def shown(name: str) -> str:
    """A file's name as people read it: a byte that is not UTF-8 (a Latin-1 name) as `\\xe9`."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


_CONTROLS = {c: f"\\x{c:02x}" for c in range(32)} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def on_one_line(text: str) -> str:
    """A message naming a file as one line of the terminal, for grep: a newline or other
    control character in the name as `\\n` or `\\x1b`, a byte that is not UTF-8 as `\\xe9`."""
    return shown(text).translate(_CONTROLS)
