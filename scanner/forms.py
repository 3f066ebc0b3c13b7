"""Forms: the templates a survey is read with, one or several in one run.

A survey may hold several questionnaires (a staff and a parent version of one survey):
each page goes to the form it is a page of (`reader.FormsReader`), each questionnaire is
assembled from pages of one form, and the outputs name the form of each questionnaire.
Two forms may use the same item id for different questions: responses.csv then writes
`FORM.ITEM` for each of them, so that their answers never share a column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from scanner.errors import UsageError
from scanner.template import Item, Template

FORM_SEPARATOR = "."
"""Between a form's name and an item id in a column shared by two forms' ids: `staff.q01`."""


@dataclass(frozen=True)
class Forms:
    """The templates of one survey, in the order given; each form's name is its own."""

    templates: tuple[Template, ...]

    @classmethod
    def of(cls, templates: Template | Forms | Sequence[Template]) -> Forms:
        """The forms of one template, or of several.

        Raises:
            UsageError: none given, or two templates of the same form.
        """
        if isinstance(templates, Forms):
            return templates
        if isinstance(templates, Template):
            return cls((templates,))
        templates = tuple(templates)
        if not templates:
            raise UsageError("no template given")
        names = [t.form for t in templates]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise UsageError(f"two templates of form {', '.join(twice)}: a run reads each form with one "
                             "template (give each version of a form its own form name)")
        return cls(templates)

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates)

    def __len__(self) -> int:
        return len(self.templates)

    @property
    def several(self) -> bool:
        """Whether the survey holds more than one form (its outputs then name each sheet's form)."""
        return len(self.templates) > 1

    @property
    def names(self) -> list[str]:
        return [t.form for t in self.templates]

    @property
    def label(self) -> str:
        """Every form and version, "staff 1 + parent 1" (as the survey's store keeps it)."""
        return " + ".join(t.form_version for t in self.templates)

    def get(self, form: str) -> Template:
        """The template of `form`; an empty name is the only form's (a reading stored before
        readings named their form).

        Raises:
            KeyError: no such form here.
        """
        if not form and len(self.templates) == 1:
            return self.templates[0]
        for t in self.templates:
            if t.form == form:
                return t
        raise KeyError(form)

    def columns(self) -> dict[tuple[str, str], str]:
        """The responses.csv column of each (form, item or comment id), in form order.

        An id that several forms use for the same question (same text, scale and codes)
        is one column; one they use for different questions is `FORM.ID` in each.
        """
        meanings: dict[str, set[str]] = {}
        for t in self.templates:
            for field_id in t.field_ids():
                meanings.setdefault(field_id, set()).add(_meaning(t, field_id))
        return {(t.form, field_id): (f"{t.form}{FORM_SEPARATOR}{field_id}" if len(meanings[field_id]) > 1
                                     else field_id)
                for t in self.templates for field_id in t.field_ids()}

    def colliding(self) -> bool:
        """Whether two forms use one id for different questions (see `columns`)."""
        return any(column != field_id for (_, field_id), column in self.columns().items())


def _meaning(t: Template, field_id: str) -> str:
    """What an item or comment asks and how its answer is coded, without where it is printed."""
    item = next((i for i in t.items if i.id == field_id), None)
    if item is None:
        zone = next(c for c in t.comments if c.id == field_id)
        return json.dumps({"comment": zone.prompt})
    return json.dumps({"text": item.text, "multiple": item.multiple, "codes": _codes(t, item)})


def _codes(t: Template, item: Item) -> list:
    labels = {option.code: option.label for option in t.scales[item.scale].options}
    return [[o.code, labels.get(o.code, "")] for o in item.options]
