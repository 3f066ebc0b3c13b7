"""Debian's Chromium for the browser tests, through Playwright; never a downloaded browser.

Importing this skips the importing test module when Playwright is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

PAGE_TIMEOUT_MS = 30_000
"""How long a page waits for a selector or a condition (Playwright's own default): a loaded
2-core machine needs the slack, a server rendering crops there among other work most."""

sync_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@contextmanager
def launched() -> Iterator:
    """A headless Chromium, closed afterwards."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
