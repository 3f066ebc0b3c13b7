"""The library API behind `import scanner`: scan a batch, open a survey as pandas frames.

`scanner.scan` and `scanner.open_survey` are this module's, re-exported lazily by
`scanner/__init__.py`. They are thin: the work is done by `scanner.pipeline`,
`scanner.dataset`, `scanner.export` and `scanner.review.queue`; the CLI calls them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scanner.dataset import Dataset, open_dataset
from scanner.export import codebook_frame, labelled_data, plain_data
from scanner import pipeline
from scanner.pipeline import Progress, ScanSummary
from scanner.survey import scan_template, survey_template
from scanner.template import Template, find_template
from scanner.template import load_template as load_template_file

TemplateLike = Template | str | Path | None
"""A template, its YAML file, a shipped template's name, or None for the default."""


def load_template(template: str | Path | None = None) -> Template:
    """A template from its YAML file or a shipped template's name (`"surestart"`);
    None gives the only shipped one.

    Raises:
        TemplateError: no such file or name, or the file is not a valid template.
    """
    return load_template_file(find_template(template))


def scan(files: str | Path | Iterable[str | Path], template: TemplateLike = None,
         out: str | Path = "scan-results", *, jobs: int | None = None, ocr: bool = True,
         programme: str | None = None, progress: Callable[[Progress], None] | None = None,
         cluster: str | None = None) -> ScanSummary:
    """Read scanned questionnaires into the survey in `out`, as `scan FILES` does.

    Args:
        files: PDFs, images (PNG, JPEG, multi-page TIFF) or folders of them; one or a list.
        template: the template; None for the survey's own when `out` holds one, else
            the only shipped template.
        out: the survey's folder: store, CSVs, crops. Scanning into it again adds new
            pages, reuses pages already read and never overwrites a review decision.
        jobs: worker processes (None: all cores; 1 reads in this process).
        ocr: transcribe written comments with Tesseract; False still finds them.
        programme: the programme of this batch, for scans whose paper colour cannot be
            told (greyscale).
        progress: called after each page with pages done and the total.
        cluster: read the pages on a Dask cluster instead of `jobs` processes: its
            scheduler's address (`tcp://host:8786`), or `local:N` for N local workers.

    Returns:
        What the scan did; `summary.ok` is False when some file or page could not be
        read (`summary.failed` says which; pages.csv has a row for each).

    Raises:
        ScannerError: the template, inputs or out folder are unusable; its `exit_code`
            is what `scan` would return.
    """
    inputs = [files] if isinstance(files, (str, Path)) else list(files)
    # Through the module, so that the CLI's tests can break the pipeline (`monkeypatch`).
    return pipeline.scan(inputs, scan_template(out, template), out, jobs=jobs, ocr=ocr, programme=programme,
                         progress=progress, cluster=cluster)


@dataclass(frozen=True)
class ReviewQueue:
    """The review queue as it stands: what waits for a person, and what was decided."""

    waiting: pd.DataFrame
    """One row per item waiting, in survey order: sheet_id, item, kind (item, comment,
    programme), reason, question, programme."""
    decided: int
    """Items settled by a review decision so far."""
    by_reason: dict[str, int]
    """Items waiting, by reason (`Reason` names, and `stale` for a second look)."""
    status: dict
    """Everything `scanner review --status --json` prints: counts by reason, question
    and programme, the quality check, questionnaires with a problem."""


@dataclass(frozen=True)
class Survey:
    """A scanned survey's folder, read with its template.

    Each method reads the folder as it is when called, review decisions applied, so a
    notebook open during review sees every decision; `dataset()` gives one snapshot
    with everything, for several questions asked of the same data.
    """

    out: Path
    template: Template

    def dataset(self) -> Dataset:
        """The labelled dataset (what `export`, `tabulate` and `report` read)."""
        return open_dataset(self.out, self.template)

    def responses(self, labels: bool = False) -> pd.DataFrame:
        """One row per questionnaire: sheet_id, source, first_page, programme, colour,
        each item, each comment's text.

        Args:
            labels: False gives codes (nullable integers; a missing answer is NA, its
                reason is in `items()`); True gives each answer's label as an ordered
                categorical in the order printed on the form (programmes in the
                template's colour order) and each option of a several-answers item as
                a boolean.
        """
        ds = self.dataset()
        return labelled_data(ds, ordered=True) if labels else plain_data(ds)

    def items(self) -> pd.DataFrame:
        """One row per (questionnaire, item or comment), review decisions applied: value,
        status, the machine's status and reason, confidence, crop, where it was read."""
        return self.dataset().cells

    def pages(self) -> pd.DataFrame:
        """One row per input page: source, page, status (used, blank, unrecognised, error), reason."""
        return self.dataset().pages

    def sheets(self) -> pd.DataFrame:
        """One row per questionnaire: its serial, pages and problems (sheets.csv)."""
        return self.dataset().sheets

    def comments(self) -> pd.DataFrame:
        """One row per written comment, in question order (comments.csv of `export`)."""
        return self.dataset().comments

    def codebook(self) -> pd.DataFrame:
        """One row per variable: label, codes and labels, missing codes, counts (codebook.csv)."""
        return codebook_frame(self.dataset())

    def queue(self) -> ReviewQueue:
        """The review queue's state, read from the survey's store now."""
        from scanner.review.queue import Fields, open_survey as open_store, status, waiting

        fields = Fields(self.template)
        with open_store(self.out, self.template) as store:
            report = status(store, fields)
            entries = waiting(store, fields)
        columns = ["sheet_id", "item", "kind", "reason", "question", "programme"]
        frame = pd.DataFrame([[getattr(e, c) for c in columns] for e in entries], columns=columns)
        return ReviewQueue(frame, report["decided"], {r["reason"]: r["count"] for r in report["by_reason"]},
                           report)


def open_survey(out: str | Path = "scan-results", template: TemplateLike = None, form: str | None = None) -> Survey:
    """The survey scanned into `out`, read with the template it was scanned with.

    Args:
        out: the scan's out folder (holding survey.sqlite).
        template: None for the survey's own template (kept in its folder); a template,
            file or shipped name of the same form and version overrides it.
        form: of a survey scanned with several forms, the one to read (its
            questionnaires only); required there.

    Raises:
        UsageError: `out` holds no scan results; a survey of several forms and no `form`.
        TemplateError: the template given is of another form.
    """
    return Survey(Path(out), survey_template(out, template, form))
