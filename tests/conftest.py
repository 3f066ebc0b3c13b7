"""Shared fixtures: the shipped Sure Start template and a scratch output folder."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings

from scanner.template import Template, load_template

# Every property test draws fresh examples on every run, here and in CI alike: Hypothesis's
# own "ci" profile (loaded when $CI is set) would derandomize them, replaying the same
# examples on every run, and its default database replays a past run's failures. Nothing in
# it is timed: a deadline (200 ms by default) or the too-slow health check fails a test on a
# loaded 2-core machine for the machine's reasons, not the code's. A failure prints its
# example and the blob that reproduces it.
settings.register_profile("suite", derandomize=False, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "templates" / "surestart.yaml"


@pytest.fixture(scope="session")
def template_path() -> Path:
    return TEMPLATE_PATH


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="session")
def shipped_data() -> dict:
    """The shipped template's YAML data, parsed once (0.23 s of CPU in PyYAML's pure-Python
    loader, 0.04 s in its C loader); never to be changed: see `template_data`."""
    return yaml.load(TEMPLATE_PATH.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture
def template_data(shipped_data) -> dict:
    """A fresh, mutable copy of the shipped template's YAML data."""
    return copy.deepcopy(shipped_data)


@pytest.fixture
def tmp_out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.fixture(scope="session")
def filled(template, tmp_path_factory):
    """One filled questionnaire as a scanned PDF, a multi-page TIFF and a PNG of page 1."""
    from scans import make_filled

    return make_filled(template, tmp_path_factory.mktemp("filled"))


@pytest.fixture(scope="session")
def commented(filled, template, tmp_path_factory) -> Path:
    """Page 1 of the filled questionnaire with words written in a comment zone, as a PNG."""
    import cv2

    from scans import write_words

    page = filled.pages[0].copy()
    write_words(page, template.comments_on(1)[1].box_mm, "The joint training helped us")
    path = tmp_path_factory.mktemp("commented") / "commented-p1.png"
    cv2.imwrite(str(path), page)
    return path


@pytest.fixture(scope="session")
def survey(template, tmp_path_factory):
    """A scanned survey with known answers, for the analysis tests (export, tabulate, report)."""
    from analysis_survey import build_survey

    return build_survey(template, tmp_path_factory.mktemp("analysis-survey"))


@pytest.fixture(scope="session")
def dataset(survey, template):
    from scanner.dataset import open_dataset

    return open_dataset(survey.out, template)
