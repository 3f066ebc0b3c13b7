"""The template: a questionnaire's pages, scales, items, comment zones and paper colours.

A template is YAML validated with pydantic. All geometry is in millimetres from the
page's top-left corner, on the page as `scanner template render` prints it. Errors name
the file, the YAML path of the bad key (``items[12].options[3].box_mm``) and what is
wrong.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from scanner.errors import TemplateError

Box = tuple[float, float, float, float]
"""x, y, width, height in mm from the page's top-left corner."""

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]

Channel = Annotated[int, Field(ge=0, le=255)]
"""One of a colour's red, green, blue values."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_box(box: Box) -> Box:
    if box[2] <= 0 or box[3] <= 0:
        raise ValueError("width and height must be positive")
    return box


class ScaleOption(_Model):
    code: int
    label: str = Field(min_length=1)


class Scale(_Model):
    """Named answer scale: the codes in the order printed, each with its label."""

    options: list[ScaleOption] = Field(min_length=1)

    @field_validator("options")
    @classmethod
    def _unique_codes(cls, options: list[ScaleOption]) -> list[ScaleOption]:
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            raise ValueError(f"codes repeat: {codes}")
        return options

    def label(self, code: int) -> str:
        return next(o.label for o in self.options if o.code == code)


class Option(_Model):
    """One tick box of an item: the code it stands for and where it is printed."""

    code: int
    box_mm: Box

    _box = field_validator("box_mm")(_check_box)


class Question(_Model):
    """A numbered question: the stem that a group of items shares."""

    number: str = Field(min_length=1)
    stem: str = ""


class Item(_Model):
    """A fixed-choice item: one row of tick boxes that yields one code (or several)."""

    id: Name
    question: str | None = None
    text: str = Field(min_length=1)
    scale: str
    multiple: bool = False
    page: int = Field(ge=1)
    print_text: str | None = None
    """The text as printed, when it differs from `text` (say, numbered "a)  ...")."""
    text_mm: tuple[float, float, float] | None = None
    """Where the item text is printed: x, y of its first line's top, wrap width."""
    label_options: bool = False
    """Print each option's scale label beside its box (a list rather than a table row)."""
    options: list[Option] = Field(min_length=1)


class Comment(_Model):
    """A free-text zone read by OCR."""

    id: Name
    question: str | None = None
    prompt: str = ""
    page: int = Field(ge=1)
    box_mm: Box
    framed: bool = True
    """The zone is printed as a frame, whose corners help verify a page's alignment; false
    for a block of writing lines (a drafted form's ruled zone), which has no corners."""

    _box = field_validator("box_mm")(_check_box)


class Colour(_Model):
    """A paper colour and the programme it codes."""

    name: Name
    rgb: tuple[Channel, Channel, Channel]
    programme: str = Field(min_length=1)


TextStyle = Literal["title", "subtitle", "heading", "stem", "body", "small", "column", "prompt", "rule"]


class PrintedText(_Model):
    """Text printed on the form for the respondent; never read back.

    Style ``rule`` draws a thin horizontal line `width_mm` long instead of text.
    """

    text: str = ""
    at_mm: tuple[float, float]
    """x, y of the first line's top (for centred text, x is the centre)."""
    width_mm: float = Field(gt=0)
    style: TextStyle = "body"
    align: Literal["left", "center"] = "left"


class Page(_Model):
    number: int = Field(ge=1)
    texts: list[PrintedText] = []


class Registration(_Model):
    """How a scanned page is aligned and identified.

    Four ArUco markers sit in the page corners; their ids tell the page number and its
    orientation (``page * 4 + corner``, corners clockwise from top-left), and a QR code
    carries form id, version, page and, on numbered copies, the copy's serial.
    A form printed before scanning was thought of has neither (``markers: false``, as
    `scanner template draft` writes): its pages are registered and identified by their
    printed content, against the template's `reference_pages` (`scanner.register`).
    """

    markers: bool = True
    """The form carries the corner markers and QR code."""
    marker_dictionary: Literal["DICT_4X4_50", "DICT_4X4_100", "DICT_4X4_250"] = "DICT_4X4_250"
    marker_size_mm: float = Field(default=10.0, gt=3)
    marker_inset_mm: float = Field(default=8.0, ge=3)
    qr_size_mm: float = Field(default=16.0, gt=8)
    qr_at_mm: tuple[float, float] = (174.0, 4.5)


class Reading(_Model):
    """How marks are read; see `scanner.thresholds` for the numbers."""

    corrections: bool = True
    """A box inked out completely next to a ticked box cancels itself (SDAPS, queXF)."""


class Template(_Model):
    """A whole questionnaire."""

    form: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")]
    version: str = Field(min_length=1)
    title: str = ""
    page_size_mm: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] = (210.0, 297.0)
    registration: Registration = Registration()
    reading: Reading = Reading()
    scales: dict[Name, Scale] = Field(min_length=1)
    colours: list[Colour] = []
    pages: list[Page] = Field(min_length=1)
    questions: list[Question] = []
    items: list[Item] = []
    comments: list[Comment] = []
    reference_pages: list[str] = []
    """Images of the blank form's pages, one per page in order, as file paths relative to
    the template's file (a drafted template keeps the pages it was drafted from)."""
    _home: Path | None = PrivateAttr(default=None)
    """The folder of the template's file, which `reference_pages` are relative to (None
    for a template not read from a file, as the survey's own kept in its store)."""

    def __eq__(self, other: object) -> bool:
        # Where the template's file lies (`_home`) is no part of the form: the same
        # template read from two folders, or kept in a survey's store, is the same.
        if not isinstance(other, Template):
            return NotImplemented
        return self.__dict__ == other.__dict__

    @property
    def form_version(self) -> str:
        """The form and version as one label, "surestart-multiagency 1" (as the survey's store keeps it)."""
        return f"{self.form} {self.version}"

    @property
    def page_numbers(self) -> list[int]:
        return [p.number for p in self.pages]

    def items_on(self, page: int) -> list[Item]:
        return [i for i in self.items if i.page == page]

    def comments_on(self, page: int) -> list[Comment]:
        return [c for c in self.comments if c.page == page]

    def page(self, number: int) -> Page:
        return next(p for p in self.pages if p.number == number)

    def reference_page(self, number: int) -> Path | None:
        """The image of blank page `number` (`reference_pages`), or None when the template
        has none or was not read from a file beside it."""
        if not self.reference_pages or self._home is None:
            return None
        path = self._home / self.reference_pages[self.page_numbers.index(number)]
        return path if path.is_file() else None

    def question(self, number: str | None) -> Question | None:
        return next((q for q in self.questions if q.number == number), None)

    def colour(self, name: str) -> Colour | None:
        return next((c for c in self.colours if c.name == name), None)

    def field_ids(self) -> list[str]:
        """Item ids then comment ids, in form order: the dataset's columns."""
        return [i.id for i in self.items] + [c.id for c in self.comments]


def _yaml_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":  # pydantic's marker for a bad mapping key (not its value)
            out += " (the key)"
        elif not re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            out += f"[{str(part)!r}]"  # quoted, so that odd keys ("", "a b", "\n") stay readable
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _pydantic_problem(error: dict) -> tuple[str, str]:
    """One pydantic error as (yaml path, problem), showing the bad value when it is short."""
    path = _yaml_path(error["loc"])
    if error["type"] == "missing":
        return path, "required key is missing"
    if error["type"] == "extra_forbidden":
        return path, "unknown key (misspelt, or in the wrong place?)"
    what, value = error["msg"], error.get("input")
    if isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 40:
        what += f" (got {value!r})"
    return path, what


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _semantic_problems(t: Template) -> list[tuple[str, str]]:
    """Cross-field checks pydantic cannot do field by field: (yaml path, problem)."""
    problems: list[tuple[str, str]] = []
    numbers = [p.number for p in t.pages]
    for k, n in enumerate(numbers):
        if numbers.index(n) != k:
            problems.append((f"pages[{k}].number", f"page {n} appears twice"))
    seen: dict[str, str] = {}
    for kind, entries in (("items", t.items), ("comments", t.comments)):
        for k, entry in enumerate(entries):
            path = f"{kind}[{k}]"
            if entry.id in seen:
                problems.append((f"{path}.id", f"duplicate id {entry.id!r} (also {seen[entry.id]})"))
            seen.setdefault(entry.id, path)
            if entry.page not in numbers:
                problems.append((f"{path}.page", f"page {entry.page} is not in pages {numbers}"))
            if entry.question is not None and t.questions and t.question(entry.question) is None:
                problems.append((f"{path}.question", f"question {entry.question!r} is not in questions"))
    for k, item in enumerate(t.items):
        problems += _item_problems(t, k, item)
    for k, c in enumerate(t.comments):
        if not _on_page(t, c.box_mm):
            problems.append((f"comments[{k}].box_mm", f"box {list(c.box_mm)} is off the page"))
    problems += _overlap_problems(t)
    if t.reference_pages and len(t.reference_pages) != len(t.pages):
        problems.append(("reference_pages", f"{len(t.reference_pages)} images for {len(t.pages)} pages; "
                                            "give one image per page, in page order"))
    names = [c.name for c in t.colours]
    for k, c in enumerate(t.colours):
        if names.index(c.name) != k:
            problems.append((f"colours[{k}].name", f"colour {c.name!r} appears twice"))
    return problems


def _on_page(t: Template, box: Box) -> bool:
    w, h = t.page_size_mm
    return box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= w and box[1] + box[3] <= h


def _item_problems(t: Template, k: int, item: Item) -> list[tuple[str, str]]:
    path = f"items[{k}]"
    scale = t.scales.get(item.scale)
    if scale is None:
        return [(f"{path}.scale", f"unknown scale {item.scale!r}; known: {sorted(t.scales)}")]
    problems = []
    codes = [o.code for o in scale.options]
    used: set[int] = set()
    for j, opt in enumerate(item.options):
        if opt.code not in codes:
            problems.append((f"{path}.options[{j}].code", f"code {opt.code} is not in scale {item.scale!r} {codes}"))
        if opt.code in used:
            problems.append((f"{path}.options[{j}].code", f"code {opt.code} appears twice"))
        used.add(opt.code)
        if not _on_page(t, opt.box_mm):
            problems.append((f"{path}.options[{j}].box_mm", f"box {list(opt.box_mm)} is off the page"))
    return problems


def _overlap_problems(t: Template) -> list[tuple[str, str]]:
    zones: list[tuple[int, str, Box]] = []
    for k, item in enumerate(t.items):
        zones += [(item.page, f"items[{k}].options[{j}].box_mm", o.box_mm) for j, o in enumerate(item.options)]
    zones += [(c.page, f"comments[{k}].box_mm", c.box_mm) for k, c in enumerate(t.comments)]
    problems = []
    for (pa, a_path, a), (pb, b_path, b) in itertools.combinations(zones, 2):
        if pa == pb and _overlap(a, b):
            problems.append((b_path, f"box overlaps {a_path}"))
    return problems


def _fail(source: str, problems: list[tuple[str, str]]) -> TemplateError:
    lines = [f"{source}: {path}: {what}" for path, what in problems[:20]]
    if len(problems) > 20:
        lines.append(f"... and {len(problems) - 20} more problems")
    return TemplateError("invalid template\n" + "\n".join(lines))


def parse_template(data: object, source: str = "<template>") -> Template:
    """Validate already-parsed YAML data as a template.

    Raises:
        TemplateError: naming `source`, each bad key's YAML path and the problem.
    """
    template, problems = check_template(data)
    if template is None:
        raise _fail(source, problems)
    return template


def check_template(data: object) -> tuple[Template | None, list[tuple[str, str]]]:
    """Validate already-parsed YAML data as a template, without raising.

    Returns:
        The template (None when anything is wrong) and every problem as (YAML path of
        the bad key, what is wrong): problems of shape first, the checks across keys
        once the shape is right.
    """
    if not isinstance(data, dict):
        return None, [("(top level)", "a template is a mapping of keys such as form, pages, items")]
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        return None, [_pydantic_problem(e) for e in exc.errors()]
    problems = _semantic_problems(template)
    return (None if problems else template), problems


def load_template(path: str | Path) -> Template:
    """Read and validate a template YAML file.

    Raises:
        TemplateError: the file is missing, not YAML, or not a valid template.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: no such template file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read the template: {exc}") from None
    template = parse_template_yaml(text, str(path))
    template._home = path.resolve().parent
    return template


def parse_template_yaml(text: str, source: str = "<template>") -> Template:
    """Validate a template given as YAML text; `source` names it in errors.

    Raises:
        TemplateError: not YAML, or not a valid template.
    """
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C: 10x faster
    except yaml.YAMLError as exc:
        raise TemplateError(f"{source}: not valid YAML: {_yaml_error(exc)}") from None
    if data is None:
        raise TemplateError(f"{source}: the file is empty; a template is a mapping of keys such as form, pages, items")
    return parse_template(data, source)


def template_yaml(t: Template) -> str:
    """The template as YAML with every default spelt out, so that it reads back the same
    whatever the defaults of a later version of scanner."""
    data = t.model_dump(mode="json")
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Lists of plain values (a box, a colour) on one line, `[140.0, 66.0, 5.0, 5.0]`,
    as a person writes them: a template reads as the README's example does."""

    def represent_list(self, data: list) -> yaml.Node:
        flow = all(isinstance(v, (int, float, bool)) or v is None for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)


def _yaml_error(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line: where (1-based line and column) and what."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(exc).split())
    where = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        where += f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return where


def shipped_templates() -> Path:
    """The folder of the templates that come with scanner.

    An installed package carries them inside it (pyproject.toml maps the repository's
    `templates/` to `scanner/templates`); a source checkout, editable install included,
    has them in the repository's `templates/`.
    """
    package = Path(__file__).resolve().parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def template_files(folder: Path | None = None) -> list[Path]:
    """The template files in `folder` (default: the shipped ones), by name."""
    folder = folder or shipped_templates()
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def find_template(explicit: str | Path | None = None, folder: Path | None = None) -> Path:
    """The template file to use: the one named, else the only one in `folder`.

    Args:
        explicit: a template file, or the name of one in `folder` (`surestart`).
        folder: where templates are found by name (default: the shipped ones).

    Raises:
        TemplateError: a name that no template has, or none named and `folder` holds
            none or several.
    """
    folder = folder or shipped_templates()
    if explicit is not None:
        path = Path(explicit)
        if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) != 1:
            return path
        named = {p.stem: p for p in template_files(folder)}
        if path.name not in named:
            raise TemplateError(f"{explicit}: no such template file, nor a template of that name in {folder} "
                                f"(there: {', '.join(named) or 'none'}); see `scanner template list`")
        return named[path.name]
    found = template_files(folder)
    if len(found) == 1:
        return found[0]
    if not found:
        raise TemplateError(f"no template given and none found in {folder}; pass --template FILE")
    names = ", ".join(p.name for p in found)
    raise TemplateError(f"several templates in {folder} ({names}); choose one with --template FILE")


def layout(t: Template) -> dict:
    """The form's geometry in the shape fixed by the contract (`template layout --json`)."""
    w, h = t.page_size_mm
    return {
        "form": t.form,
        "version": t.version,
        "pages": [{"page": p.number, "width_mm": w, "height_mm": h} for p in t.pages],
        "colours": [{"name": c.name, "programme": c.programme, "rgb": list(c.rgb)} for c in t.colours],
        "items": [
            {
                "id": i.id,
                "page": i.page,
                "scale": i.scale,
                "multiple": i.multiple,
                "options": [
                    {"code": o.code, "label": t.scales[i.scale].label(o.code), "box_mm": list(o.box_mm)}
                    for o in i.options
                ],
            }
            for i in t.items
        ],
        "comments": [{"id": c.id, "page": c.page, "box_mm": list(c.box_mm)} for c in t.comments],
    }
