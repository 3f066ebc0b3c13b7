"""The survey folder's template: kept in its store, so that every command works on the folder alone.

`scan` keeps the template it reads with in the store's `meta` table, as YAML with every
default spelt out. A later `review`, `export`, `tabulate`, `report` or `scan` into the
same folder reads the survey with that template, from any directory and on any machine,
whether or not the template's file is still where it was. A survey scanned before
templates were kept (only its form and version in `meta`) is read with the template
named, or the shipped one of its form. A survey scanned with several templates in one run
(a staff and a parent version) keeps each of them, and its form is every form and
version ("staff 1 + parent 1").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from scanner.errors import TemplateError, UsageError
from scanner.forms import Forms
from scanner.store import STORE_NAME, Store
from scanner.template import (Template, find_template, load_template, parse_template_yaml, template_files,
                              template_yaml)

FORM_KEY = "form"
"""`meta` key: the survey's form and version, "surestart-multiagency 1"."""
TEMPLATE_KEY = "template"
"""`meta` key: the YAML of the template the survey was scanned with."""
TEMPLATES_KEY = "templates"
"""`meta` key: a survey of several forms: the YAML of each template, as a JSON list."""


def stored_template(store: Store) -> Template | None:
    """The template kept in the survey's store, or None (a survey scanned before they were kept)."""
    text = store.get_meta(TEMPLATE_KEY)
    return None if text is None else parse_template_yaml(text, f"{store.path} (the survey's template)")


def stored_forms(store: Store) -> Forms | None:
    """The templates kept in the store of a survey of several forms, or None (a survey of one)."""
    text = store.get_meta(TEMPLATES_KEY)
    if text is None:
        return None
    return Forms.of([parse_template_yaml(yaml_text, f"{store.path} (the survey's templates)")
                     for yaml_text in json.loads(text)])


def keep_template(store: Store, template: Template | Forms) -> None:
    """Check that the survey in `store` is read with `template` (or these templates), and
    keep it there.

    Raises:
        UsageError: the survey is of another form or version, or was scanned with another
            template of the same form and version (results would mix two layouts); of
            several forms: with another set of templates, naming what differs.
    """
    forms = Forms.of(template)
    if forms.several:
        _keep_templates(store, forms)
        return
    template = forms.templates[0]
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


def _keep_templates(store: Store, forms: Forms) -> None:
    folder = store.path.parent
    form = store.get_meta(FORM_KEY)
    stored = stored_forms(store)
    if form is not None and stored is None:
        raise UsageError(f"{folder} holds a survey of form {form}, not of forms {forms.label}: scan into "
                         "another --out folder, or into this one with its own template")
    if stored is not None:
        differences = _differences(stored, forms)
        if differences:
            raise UsageError(f"{folder} was scanned with the templates of {stored.label}; this run's differ "
                             f"({differences}): scan without --template to use the survey's own, or into "
                             "another --out folder")
    else:
        store.set_meta(TEMPLATES_KEY, json.dumps([template_yaml(t) for t in forms]))
    store.set_meta(FORM_KEY, forms.label)


def _differences(stored: Forms, given: Forms) -> str:
    """What differs between the survey's templates and those of a run, in a few words; empty for none."""
    kept = {t.form_version: t for t in stored}
    now = {t.form_version: t for t in given}
    parts = [f"{what}: {', '.join(names)}" for what, names in (
        ("not in the survey", [name for name in now if name not in kept]),
        ("missing", [name for name in kept if name not in now]),
        ("another template of", [name for name in now if name in kept and now[name] != kept[name]]))
        if names]
    return "; ".join(parts)


TemplatesLike = Template | Forms | str | Path | Sequence[Template | str | Path] | None
"""A template, its file, a shipped template's name or a folder of templates; several of
them; or None for the default."""


def scan_template(out_dir: str | Path, explicit: TemplatesLike = None) -> Template | Forms:
    """The template to scan into `out_dir` with: the one given (a template, a file, a
    shipped template's name, or a folder of template files), or the several given, else
    the survey's own (its several of a survey of several forms), else the only shipped
    template.

    Whether the one named fits the survey is checked by `scanner.pipeline.scan`.

    Raises:
        TemplateError: the template named is missing or invalid, or none is named and
            there is no survey's own nor a single shipped template.
        UsageError: two templates given are of one form.
    """
    if isinstance(explicit, (Template, Forms)):
        return explicit
    if isinstance(explicit, (list, tuple)):
        named = [name if isinstance(name, Template) else load_template(path)
                 for name in explicit for path in ([None] if isinstance(name, Template) else _template_paths(name))]
        return named[0] if len(named) == 1 else Forms.of(named)
    if explicit is None and (Path(out_dir) / STORE_NAME).is_file():
        with Store(out_dir) as store:
            stored = stored_forms(store) or stored_template(store)
        if stored is not None:
            return stored
    if explicit is not None and Path(explicit).is_dir():
        return scan_template(out_dir, [explicit])
    return load_template(find_template(explicit))


def _template_paths(name: str | Path) -> list[Path]:
    """The template file named, or every template file in a folder named."""
    if not Path(name).is_dir():
        return [find_template(name)]
    found = template_files(Path(name))
    if not found:
        raise TemplateError(f"{name}: a folder with no template file (*.yaml) in it")
    return found


def survey_template(out_dir: str | Path, explicit: Template | str | Path | None = None,
                    form: str | None = None) -> Template:
    """The template of the survey in `out_dir`: its own, kept in the store, or the one
    given (a template, a file, or a shipped template's name) when it is of the same form
    and version. Of a survey of several forms: that of `form`, which must be named.

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
        kept, stored, several = store.get_meta(FORM_KEY), stored_template(store), stored_forms(store)
    if several is not None:
        return _form_of(several, form, out_dir)
    if form is not None and stored is not None and form != stored.form:
        raise UsageError(f"{out_dir} holds a survey of form {stored.form}, not {form}")
    if explicit is not None:
        template = explicit if isinstance(explicit, Template) else load_template(find_template(explicit))
        if kept is not None and kept != template.form_version:
            given = "the template given" if isinstance(explicit, Template) else explicit
            raise TemplateError(f"{out_dir} holds a survey of form {kept}, but {given} is form "
                                f"{template.form_version}: pass the template it was scanned with, or none")
        return template
    if stored is not None:
        return stored
    if kept is None:  # nothing scanned yet: any template reads it
        return load_template(find_template())
    return _shipped_template_of(kept, out_dir)


def survey_forms(out_dir: str | Path, explicit: Template | str | Path | None = None) -> Template | Forms:
    """The templates of the survey in `out_dir`, for what reads all its forms at once
    (review, colours): its several of a survey of several forms, else `survey_template`.

    Raises:
        UsageError: `out_dir` holds no scan results; a template is named for a survey of
            several forms (it is read with its own).
        TemplateError: as `survey_template`.
    """
    out_dir = Path(out_dir)
    if (out_dir / STORE_NAME).is_file():
        with Store(out_dir) as store:
            several = stored_forms(store)
        if several is not None:
            if explicit is not None:
                raise UsageError(f"{out_dir} holds a survey of several forms ({several.label}): it is read with "
                                 "the templates it was scanned with; leave out --template")
            return several
    return survey_template(out_dir, explicit)


def _form_of(forms: Forms, form: str | None, out_dir: Path) -> Template:
    """The template of `form` among the survey's several."""
    if form is None:
        raise UsageError(f"{out_dir} holds a survey of several forms ({forms.label}): export, tabulate and "
                         f"report read one at a time, with --form NAME (one of: {', '.join(forms.names)})")
    try:
        return forms.get(form)
    except KeyError:
        raise UsageError(f"{out_dir} holds no form {form!r}: its forms are {', '.join(forms.names)}") from None


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
