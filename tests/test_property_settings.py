"""Every property test of the suite draws fresh examples on every run, in CI as here, and
fails for its code's reasons only, never for a loaded machine's (see conftest.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck

HERE = Path(__file__)
PROPERTY_MODULES = sorted(p.stem for p in HERE.parent.glob("test_*.py")
                          if p != HERE and "hypothesis import" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PROPERTY_MODULES)
def test_property_tests_draw_fresh_examples_and_time_nothing(name):
    module = importlib.import_module(name)
    tests = [f for f in vars(module).values() if hasattr(f, "hypothesis")]
    assert tests, name
    for test in tests:
        # Hypothesis keeps a test's settings here; it has no public name for them.
        s = test._hypothesis_internal_use_settings
        assert (s.derandomize, s.database, s.deadline) == (False, None, None), (test.__name__, s)
        assert HealthCheck.too_slow in s.suppress_health_check, (test.__name__, s)
