"""The survey folder's template: kept in its store, so that every command works on the folder alone.

`scan` keeps the template it reads with in the store's `meta` table, as YAML with every
default spelt out. A later `review`, `export`, `tabulate`, `report` or `scan` into the
same folder reads the survey with that template, from any directory and on any machine,
whether or not the template's file is still where it was. A survey scanned before
templates were kept (only its form and version in `meta`) is read with the template
named, or the shipped one of its form.
"""

from __future__ import annotations

from pathlib import Path

from scanner.errors import TemplateError, UsageError
from scanner.store import STORE_NAME, Store
from scanner.template import (Template, find_template, load_template, parse_template_yaml, template_files,
                              template_yaml)

FORM_KEY = "form"
"""`meta` key: the survey's form and version, "surestart-multiagency 1"."""
TEMPLATE_KEY = "template"
"""`meta` key: the YAML of the template the survey was scanned with."""


def stored_template(store: Store) -> Template | None:
    """The template kept in the survey's store, or None (a survey scanned before they were kept)."""
    text = store.get_meta(TEMPLATE_KEY)
    return None if text is None else parse_template_yaml(text, f"{store.path} (the survey's template)")


def keep_template(store: Store, template: Template) -> None:
    """Check that the survey in `store` is read with `template`, and keep it there.

    Raises:
        UsageError: the survey is of another form or version, or was scanned with another
            template of the same form and version (results would mix two layouts).
    """
    folder = store.path.parent
    form = store.get_meta(FORM_KEY)
    if form is not None and form != template.form_version:
        raise UsageError(f"{folder} holds a survey of form {form}, not {template.form_version}: scan into "
                         f"another --out folder, or into this one with its own template")
    stored = stored_template(store)
    if stored is not None and stored != template:
        raise UsageError(f"{folder} was scanned with another template of form {template.form_version}: scan "
                         f"without --template to use the survey's own, or give the changed form a new version "
                         f"and scan it into another --out folder")
    if stored is None:
        store.set_meta(TEMPLATE_KEY, template_yaml(template))
    store.set_meta(FORM_KEY, template.form_version)


def scan_template(out_dir: str | Path, explicit: Template | str | Path | None = None) -> Template:
    """The template to scan into `out_dir` with: the one given (a template, a file, or a
    shipped template's name), else the survey's own, else the only shipped template.

    Whether the one named fits the survey is checked by `scanner.pipeline.scan`.

    Raises:
        TemplateError: the template named is missing or invalid, or none is named and
            there is no survey's own nor a single shipped template.
    """
    if isinstance(explicit, Template):
        return explicit
    if explicit is None and (Path(out_dir) / STORE_NAME).is_file():
        with Store(out_dir) as store:
            stored = stored_template(store)
        if stored is not None:
            return stored
    return load_template(find_template(explicit))


def survey_template(out_dir: str | Path, explicit: Template | str | Path | None = None) -> Template:
    """The template of the survey in `out_dir`: its own, kept in the store, or the one
    given (a template, a file, or a shipped template's name) when it is of the same form
    and version.

    Raises:
        UsageError: `out_dir` holds no scan results.
        TemplateError: the template named is of another form, or the survey was scanned
            before templates were kept and none is named nor shipped for its form.
    """
    out_dir = Path(out_dir)
    if not (out_dir / STORE_NAME).is_file():
        raise UsageError(f"{out_dir} holds no scan results ({STORE_NAME} is missing): "
                         f"run `scan FILES --out {out_dir}` first, or name the out folder")
    with Store(out_dir) as store:
        form, stored = store.get_meta(FORM_KEY), stored_template(store)
    if explicit is not None:
        template = explicit if isinstance(explicit, Template) else load_template(find_template(explicit))
        if form is not None and form != template.form_version:
            given = "the template given" if isinstance(explicit, Template) else explicit
            raise TemplateError(f"{out_dir} holds a survey of form {form}, but {given} is form "
                                f"{template.form_version}: pass the template it was scanned with, or none")
        return template
    if stored is not None:
        return stored
    if form is None:  # nothing scanned yet: any template reads it
        return load_template(find_template())
    return _shipped_template_of(form, out_dir)


def _shipped_template_of(form: str, out_dir: Path) -> Template:
    for path in template_files():
        try:
            candidate = load_template(path)
        except TemplateError:
            continue
        if candidate.form_version == form:
            return candidate
    raise TemplateError(f"{out_dir} holds a survey of form {form}, scanned before scanner kept the template in "
                        f"the survey's folder, and no shipped template is that form: pass the one it was scanned "
                        f"with, --template FILE (scanning into the folder again with it keeps it there)")
