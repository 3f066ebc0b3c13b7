"""A template open for editing: the edits a person (or a script) makes, undo, and saving.

The template is held as the plain data of its YAML, not as a `Template`: in the middle
of an edit it may well be invalid (two items with one id, a box off its page), and the
editor must show that, not refuse it. Every state is checked by the same model and
checks as the CLI (`scanner.template.check_template`), and a save writes only a valid
template. Items and comments are named by index or by id; options by index.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
import yaml

from scanner.editor.shapes import PageShapes, ShapeKind
from scanner.editor.yamlfile import carry_comments, write_atomically
from scanner.errors import TemplateError
from scanner.template import Template, check_template, parse_template, parse_template_yaml, template_yaml

log = logging.getLogger(__name__)

HISTORY = 200
"""Edits that can be undone."""
RENDER_DPI = 150
"""Pages of a template without reference images are drawn from the template at this."""


class EditError(ValueError):
    """An edit that cannot be made as asked (no such item, a box of the wrong shape)."""


class SaveConflict(Exception):
    """The file changed on disk since the editor read it: saving would lose that change."""


class TemplateDocument:
    """One template file being edited.

    Args:
        path: the template's YAML file; its `reference_pages` are the page images shown.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        try:
            self._disk_text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TemplateError(f"{path}: no such template file") from None
        try:
            data = yaml.load(self._disk_text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict):
            parse_template_yaml(self._disk_text, str(path))  # raises, saying what is wrong
        self.data: dict[str, Any] = data
        self._history: list[dict[str, Any]] = []
        self._saved = copy.deepcopy(data)
        self._shapes: dict[int, PageShapes] = {}
        self._images: dict[int, np.ndarray] = {}

    # --- reading --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What the page shows: the template's data, every problem with its YAML path,
        the pages, and whether there is something to undo or to save."""
        _, problems = check_template(self.data)
        return {
            "file": self.path.name,
            "template": self.data,
            "problems": [{"path": p, "problem": what} for p, what in problems],
            "pages": self._pages(),
            "can_undo": bool(self._history),
            "unsaved": self.data != self._saved,
        }

    def _pages(self) -> list[dict[str, Any]]:
        w, h = _page_size(self.data)
        numbers = [p.get("number") for p in self.data.get("pages") or [] if isinstance(p, dict)]
        return [{"number": n, "width_mm": w, "height_mm": h, "image": f"page/{n}.png"}
                for n in numbers if isinstance(n, int)]

    def page_image(self, number: int) -> np.ndarray:
        """The page's reference image (greyscale), or the page drawn from the template."""
        if number not in self._images:
            self._images[number] = self._load_image(number)
        return self._images[number]

    def _load_image(self, number: int) -> np.ndarray:
        numbers = [p.get("number") for p in self.data.get("pages") or [] if isinstance(p, dict)]
        if number not in numbers:
            raise EditError(f"no page {number} in the template")
        references = self.data.get("reference_pages") or []
        index = numbers.index(number)
        if index < len(references):
            image = cv2.imread(str(self.path.parent / str(references[index])), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise EditError(f"cannot read the reference page {references[index]!r} (beside {self.path.name})")
            return image
        from scanner.render import page_raster

        template, _ = check_template(self._saved)
        if template is None:
            raise EditError("the template has no reference_pages, and is not valid enough to draw its pages")
        return cv2.cvtColor(page_raster(template, number, RENDER_DPI), cv2.COLOR_BGR2GRAY)

    def page_png(self, number: int) -> bytes:
        """The page's image as PNG, as the editor shows it."""
        ok, png = cv2.imencode(".png", self.page_image(number))
        assert ok
        return png.tobytes()

    def detect(self, page: int, x_mm: float, y_mm: float, kind: ShapeKind | None = None) -> dict | None:
        """The printed shape at (x, y) mm on a page: its kind and box, or None."""
        if page not in self._shapes:
            self._shapes[page] = PageShapes(self.page_image(page), _page_size(self.data)[0])
        shape = self._shapes[page].shape_at(x_mm, y_mm, kind)
        return None if shape is None else {"kind": shape.kind, "box_mm": list(shape.box_mm)}

    # --- editing --------------------------------------------------------------------
    def apply(self, edit: dict[str, Any]) -> dict[str, Any]:
        """Make one edit (see `EDITS` for the ones there are) and return the new state.

        Raises:
            EditError: the edit names something that is not there, or is malformed.
        """
        name = edit.get("op")
        if name == "undo":
            self.undo()
            return self.state()
        if name not in EDITS:
            raise EditError(f"unknown edit {name!r}; known: {sorted(EDITS) + ['undo']}")
        before = copy.deepcopy(self.data)
        try:
            EDITS[name](self, edit)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:  # data of the wrong shape
            self.data = before
            if isinstance(exc, EditError):
                raise
            raise EditError(f"{name}: {exc!r} in {edit}") from None
        if self.data != before:
            self._history = (self._history + [before])[-HISTORY:]
        return self.state()

    def undo(self) -> None:
        """Take back the last edit (nothing when there is none)."""
        if self._history:
            self.data = self._history.pop()

    def save(self) -> dict[str, Any]:
        """Write the template to its file if it is valid, the old file kept as ``.bak``.

        Returns:
            ``{"saved": True, "backup": ...}``, or ``{"saved": False, "problems": [...]}``.

        Raises:
            SaveConflict: the file changed on disk since it was read or saved here.
        """
        template, problems = check_template(self.data)
        if template is None:
            return {"saved": False, "problems": [{"path": p, "problem": what} for p, what in problems]}
        current = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        if current != self._disk_text:
            raise SaveConflict(f"{self.path.name} changed on disk since the editor read it; "
                               "nothing was saved (restart the editor to edit the new file)")
        text = carry_comments(current, template_yaml(template))
        parse_template_yaml(text, str(self.path))  # what is written must read back as this template
        backup = write_atomically(self.path, text)
        self._disk_text = text
        self._saved = copy.deepcopy(self.data)
        log.info("saved %s (previous file kept as %s)", self.path, backup)
        return {"saved": True, "file": str(self.path), "backup": str(backup) if backup else None}

    def template(self) -> Template:
        """The template as it stands. Raises TemplateError when it is not valid."""
        return parse_template(self.data, str(self.path))

    # --- the parts of the data that edits name -------------------------------------------
    def _list(self, key: str) -> list[dict[str, Any]]:
        value = self.data.setdefault(key, [])
        if not isinstance(value, list):
            raise EditError(f"{key} is not a list in this template")
        return value

    def _index(self, key: str, ref: Any) -> int:
        """An item's or comment's index, from its index or its id."""
        entries = self._list(key)
        if isinstance(ref, str):
            found = [k for k, e in enumerate(entries) if isinstance(e, dict) and e.get("id") == ref]
            if not found:
                raise EditError(f"no {key[:-1]} with id {ref!r}")
            return found[0]
        if not isinstance(ref, int) or isinstance(ref, bool) or not 0 <= ref < len(entries):
            raise EditError(f"no {key}[{ref!r}]")
        return ref

    def _target_box(self, edit: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The mapping that holds the box an edit names (an option, or a comment), and its page."""
        if "comment" in edit:
            comment = self._list("comments")[self._index("comments", edit["comment"])]
            return comment, comment.get("page")
        item = self._list("items")[self._index("items", edit.get("item"))]
        options = item.get("options") or []
        j = edit.get("option")
        if not isinstance(j, int) or not 0 <= j < len(options):
            raise EditError(f"item {item.get('id')!r} has no option [{j!r}]")
        return options[j], item.get("page")

    def _codes(self, scale: Any) -> list[int]:
        scales = self.data.get("scales") or {}
        options = (scales.get(scale) or {}).get("options") or [] if isinstance(scales, dict) else []
        return [o["code"] for o in options if isinstance(o, dict) and "code" in o]

    def _recode(self, item: dict[str, Any]) -> None:
        """Give the item's options its scale's codes in order, when the scale has enough
        and the codes it has are not already all codes of the scale, once each."""
        codes = self._codes(item.get("scale"))
        options = item.get("options") or []
        have = [o.get("code") for o in options]
        if len(options) <= len(codes) and not (set(have) <= set(codes) and len(set(have)) == len(have)):
            for option, code in zip(options, codes):
                option["code"] = code

    def _unique_id(self, base: str) -> str:
        taken = {e.get("id") for key in ("items", "comments") for e in self._list(key) if isinstance(e, dict)}
        for n in range(2, 10_000):
            name = f"{base}_{n}"
            if name not in taken:
                return name
        raise EditError(f"no free id like {base}_N")

    def _shape(self, edit: dict[str, Any], page: int, kind: ShapeKind) -> list[float]:
        x, y = _point(edit.get("at_mm"))
        found = self.detect(page, x, y, kind)
        if found is None:
            what = "tick box or bubble" if kind == "box" else "framed box"
            raise EditError(f"no printed {what} at ({x:.1f}, {y:.1f}) mm on page {page}")
        return found["box_mm"]


# --- the edits ------------------------------------------------------------------------
# Each takes the document and the edit's JSON; see README "Editing a template in the browser".

def _move(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Set a box (move or resize): {target, box_mm, snap}, or shift it: {target, by_mm:
    [dx, dy, dwidth, dheight]} (keys pressed faster than the answers come add up). With
    snap, the box takes the printed shape under its centre, when there is one."""
    holder, page = doc._target_box(edit)
    if "by_mm" in edit:
        box = _box([a + b for a, b in zip(_box(holder.get("box_mm")), _box(edit["by_mm"]))])
    else:
        box = _box(edit.get("box_mm"))
    found = _shape_under(doc, edit, page, box) if edit.get("snap") else None
    holder["box_mm"] = found["box_mm"] if found else box


def _snap(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Fit a box to the printed shape under its centre: {target}."""
    holder, page = doc._target_box(edit)
    box = _box(holder.get("box_mm"))
    found = _shape_under(doc, edit, page, box)
    if found is None:
        raise EditError(f"no printed shape under the box {box} on page {page}")
    holder["box_mm"] = found["box_mm"]


def _shape_under(doc: TemplateDocument, edit: dict[str, Any], page: int, box: list[float]) -> dict | None:
    kind: ShapeKind = "zone" if "comment" in edit else "box"
    return doc.detect(page, box[0] + box[2] / 2, box[1] + box[3] / 2, kind)


def _add_box(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Add the printed box at a point: {page, at_mm, item?}. To the item named (its next
    unused code), or else as a new item of one option."""
    if edit.get("item") is not None:
        item = doc._list("items")[doc._index("items", edit["item"])]
        box = doc._shape(edit, item.get("page"), "box")
        used = {o.get("code") for o in item.get("options") or []}
        free = [c for c in doc._codes(item.get("scale")) if c not in used]
        code = free[0] if free else max((c for c in used if isinstance(c, int)), default=0) + 1
        item.setdefault("options", []).append({"code": code, "box_mm": box})
        return
    page = edit.get("page")
    box = doc._shape(edit, page, "box")
    scales = doc.data.get("scales") or {}
    scale = edit.get("scale") or next(iter(scales), "")
    codes = doc._codes(scale)
    doc._list("items").append({"id": doc._unique_id("new"), "text": "New item", "scale": scale, "page": page,
                               "options": [{"code": codes[0] if codes else 1, "box_mm": box}]})


def _add_zone(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Add the printed frame at a point as a comment zone: {page, at_mm}."""
    page = edit.get("page")
    box = doc._shape(edit, page, "zone")
    doc._list("comments").append({"id": doc._unique_id("comment"), "page": page, "box_mm": box})


def _delete(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Delete an option ({item, option}), a whole item ({item}) or a comment ({comment})."""
    if "comment" in edit:
        del doc._list("comments")[doc._index("comments", edit["comment"])]
    elif edit.get("option") is not None:
        item = doc._list("items")[doc._index("items", edit.get("item"))]
        doc._target_box(edit)  # the option is there
        del item["options"][edit["option"]]
        if not item["options"]:
            doc._list("items").remove(item)
    else:
        del doc._list("items")[doc._index("items", edit.get("item"))]


def _merge(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Merge rows into one item: {items: [...]}. The first in form order keeps its id,
    text and scale and takes every option, in order, recoded to its scale's codes."""
    refs = edit.get("items")
    if not isinstance(refs, list) or len(refs) < 2:
        raise EditError("merge needs two items or more")
    indexes = sorted({doc._index("items", r) for r in refs})
    items = doc._list("items")
    first = items[indexes[0]]
    for k in indexes[1:]:
        first.setdefault("options", []).extend(items[k].get("options") or [])
    for option, code in zip(first["options"], range(1, len(first["options"]) + 1)):
        option["code"] = code  # distinct before recoding to the scale
    doc._recode(first)
    for k in reversed(indexes[1:]):
        del items[k]


def _split(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Split an item in two before option `at`: {item, at}. The second part is a new
    item after it, with the same text and scale, its codes the scale's from the first."""
    items = doc._list("items")
    k = doc._index("items", edit.get("item"))
    item = items[k]
    options = item.get("options") or []
    at = edit.get("at")
    if not isinstance(at, int) or not 0 < at < len(options):
        raise EditError(f"split item {item.get('id')!r} between 1 and {len(options) - 1} options")
    second = {**copy.deepcopy(item), "id": doc._unique_id(str(item.get("id") or "item")), "options": options[at:]}
    second.pop("text_mm", None)
    second.pop("print_text", None)
    item["options"] = options[:at]
    for option, code in zip(second["options"], doc._codes(second.get("scale")) or range(1, len(options) + 1)):
        option["code"] = code
    items.insert(k + 1, second)


ITEM_FIELDS = {"id": str, "text": str, "scale": str, "multiple": bool, "question": (str, type(None))}


def _set_item(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Set an item's id, text, scale, question or multiple: {item, id?, text?, ...}.
    A new scale recodes the options to its codes in order, when they were not its codes."""
    item = doc._list("items")[doc._index("items", edit.get("item"))]
    _set_fields(item, edit, ITEM_FIELDS)
    if "scale" in edit:
        doc._recode(item)


def _set_code(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Set one option's code: {item, option, code}."""
    option, _ = doc._target_box(edit)
    code = edit.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise EditError(f"a code is a whole number, not {code!r}")
    option["code"] = code


def _set_comment(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Set a comment zone's id or prompt: {comment, id?, prompt?}."""
    comment = doc._list("comments")[doc._index("comments", edit.get("comment"))]
    _set_fields(comment, edit, {"id": str, "prompt": str, "question": (str, type(None))})


def _set_scale(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Add or change a scale: {name, options: [{code, label}], rename?}. A renamed
    scale is renamed in every item that uses it."""
    name = edit.get("name")
    options = edit.get("options")
    if not isinstance(name, str) or not isinstance(options, list):
        raise EditError("a scale needs a name and a list of options [{code, label}]")
    scales = doc.data.setdefault("scales", {})
    new_name = edit.get("rename") or name
    if new_name != name and new_name in scales:
        raise EditError(f"there is a scale {new_name!r} already")
    entry = {"options": [{"code": o.get("code"), "label": o.get("label")} for o in options]}
    doc.data["scales"] = {(new_name if k == name else k): (entry if k == name else v) for k, v in scales.items()}
    if name not in scales:
        doc.data["scales"][new_name] = entry
    for item in doc._list("items"):
        if item.get("scale") == name:
            item["scale"] = new_name


def _delete_scale(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Delete a scale no item uses: {name}."""
    name = edit.get("name")
    users = [i.get("id") for i in doc._list("items") if i.get("scale") == name]
    if users:
        raise EditError(f"scale {name!r} is used by {', '.join(map(str, users[:5]))}")
    del doc.data["scales"][name]


def _set_colours(doc: TemplateDocument, edit: dict[str, Any]) -> None:
    """Set the paper colours: {colours: [{name, rgb, programme}]}."""
    colours = edit.get("colours")
    if not isinstance(colours, list):
        raise EditError("colours is a list of {name, rgb, programme}")
    doc.data["colours"] = [{"name": c.get("name"), "rgb": c.get("rgb"), "programme": c.get("programme")}
                           for c in colours]


EDITS: dict[str, Callable[[TemplateDocument, dict[str, Any]], None]] = {
    "move": _move, "snap": _snap, "add_box": _add_box, "add_zone": _add_zone, "delete": _delete,
    "merge": _merge, "split": _split, "set_item": _set_item, "set_code": _set_code,
    "set_comment": _set_comment, "set_scale": _set_scale, "delete_scale": _delete_scale,
    "set_colours": _set_colours,
}
"""The edits by name, as the API's `op` gives them."""


def _set_fields(entry: dict[str, Any], edit: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, kind in fields.items():
        if key not in edit:
            continue
        if not isinstance(edit[key], kind):
            raise EditError(f"{key} must be {getattr(kind, '__name__', 'text or null')}, not {edit[key]!r}")
        if edit[key] is None or (key == "multiple" and not edit[key]):
            entry.pop(key, None)
        else:
            entry[key] = edit[key]


def _box(value: Any) -> list[float]:
    if not (isinstance(value, list) and len(value) == 4
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise EditError(f"a box is [x, y, width, height] in mm, not {value!r}")
    return [round(float(v), 2) for v in value]


def _point(value: Any) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise EditError(f"a point is [x, y] in mm, not {value!r}")
    return float(value[0]), float(value[1])


def _page_size(data: dict[str, Any]) -> tuple[float, float]:
    size = data.get("page_size_mm")
    if isinstance(size, list) and len(size) == 2 and all(isinstance(v, (int, float)) for v in size):
        return float(size[0]), float(size[1])
    return 210.0, 297.0
