"""scanner: turn stacks of scanned paper questionnaires into a clean, analysable dataset.

The library API; the `scanner` and `scan` commands are thin wrappers around it:

- `scan(files, template=None, out="scan-results", ...)` reads a batch into a survey's
  folder and returns the `ScanSummary`;
- `open_survey(out)` gives the `Survey`: `responses(labels=True)`, `items()`, `pages()`,
  `sheets()`, `comments()`, `codebook()` as pandas frames, and `queue()`, the review
  queue's state;
- `load_template(name_or_file)` a `Template`.

They are imported on first use, so that `import scanner` (and `scanner --help`) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scanner.api import ReviewQueue, Survey, load_template, open_survey, scan
    from scanner.pipeline import ScanSummary
    from scanner.template import Template

_LAZY = {
    "scan": "scanner.api",
    "open_survey": "scanner.api",
    "load_template": "scanner.api",
    "Survey": "scanner.api",
    "ReviewQueue": "scanner.api",
    "ScanSummary": "scanner.pipeline",
    "Template": "scanner.template",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'scanner' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
