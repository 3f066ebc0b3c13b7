"""A drafted template scored against the form's true geometry (the tests and
bench/legacy.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scanner.draft.content import bottom, cx, cy, norm, right
from scanner.template import Box, Colour, Template, layout, parse_template


@dataclass(frozen=True)
class DraftScore:
    """A drafted template against the form's true geometry (`template layout --json` shape)."""

    boxes: int
    found: int
    extra: int
    worst_mm: float
    """The largest distance of a found box's edge from the true one."""
    items: int
    items_right: int
    """True items drafted as one item, with the same boxes in the same code order."""
    labels_right: int
    """Of those, items whose option labels read as printed (case and spacing aside)."""
    zones: int
    zones_found: int
    extra_zones: int

    @property
    def missed(self) -> int:
        return self.boxes - self.found


def _matches(truth: list[tuple[int, Box]], drafted: list[tuple[int, Box]], near: float) -> dict[int, int]:
    """True index to drafted index, one to one, nearest centres first (at most `near` mm apart)."""
    pairs = sorted((math.dist((cx(t), cy(t)), (cx(d), cy(d))), i, j)
                   for i, (tp, t) in enumerate(truth) for j, (dp, d) in enumerate(drafted)
                   if tp == dp and abs(cx(t) - cx(d)) < near and abs(cy(t) - cy(d)) < near)
    matched: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in matched and j not in matched.values():
            matched[i] = j
    return matched


def score_draft(template: Template, truth: dict) -> DraftScore:
    """Compare a drafted template with the true geometry: boxes found, missed and extra,
    items grouped right, comment zones found (their edges within 2 mm)."""
    drafted = layout(template)
    true_boxes = [(i["page"], tuple(o["box_mm"])) for i in truth["items"] for o in i["options"]]
    our_boxes = [(i["page"], tuple(o["box_mm"])) for i in drafted["items"] for o in i["options"]]
    matched = _matches(true_boxes, our_boxes, 1.5)
    worst = max((abs(a - b) for i, j in matched.items() for a, b in
                 zip(_edges(true_boxes[i][1]), _edges(our_boxes[j][1]))), default=0.0)
    owner = [(k, n) for k, i in enumerate(drafted["items"]) for n, _ in enumerate(i["options"])]
    right = labels = start = 0
    for item in truth["items"]:
        ours = [owner[matched[k]] if k in matched else None for k in range(start, start + len(item["options"]))]
        start += len(item["options"])
        if None in ours or len({k for k, _ in ours}) != 1:
            continue
        mine = drafted["items"][ours[0][0]]
        if [n for _, n in ours] == list(range(len(mine["options"]))):
            right += 1
            labels += [norm(o["label"]) for o in item["options"]] == [norm(o["label"]) for o in mine["options"]]
    true_zones = [(c["page"], tuple(c["box_mm"])) for c in truth["comments"]]
    our_zones = [(c["page"], tuple(c["box_mm"])) for c in drafted["comments"]]
    zones = {i: j for i, j in _matches(true_zones, our_zones, 2.0).items()
             if all(abs(a - b) < 2.0 for a, b in zip(_edges(true_zones[i][1]), _edges(our_zones[j][1])))}
    return DraftScore(len(true_boxes), len(matched), len(our_boxes) - len(matched), round(worst, 2),
                      len(truth["items"]), right, labels, len(true_zones), len(zones), len(our_zones) - len(zones))


def draft_correspondence(template: Template, truth: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """What each field of a drafted template is on the true form: drafted item id to the
    true item's id and each drafted code to the true code (their boxes within 1.5 mm), and
    drafted comment id to the true one (no codes); a field with no true counterpart is left
    out. With it, a scan read with the draft is scored against the form's truth
    (`scanner.evaluate.evaluate`'s `as_truth`)."""
    drafted = layout(template)
    true_boxes = [(i["page"], tuple(o["box_mm"])) for i in truth["items"] for o in i["options"]]
    true_of = [(i["id"], o["code"]) for i in truth["items"] for o in i["options"]]
    ours = [(i["page"], tuple(o["box_mm"])) for i in drafted["items"] for o in i["options"]]
    our_of = [(i["id"], o["code"]) for i in drafted["items"] for o in i["options"]]
    fields: dict[str, tuple[str, dict[str, str]]] = {}
    for i, j in _matches(true_boxes, ours, 1.5).items():
        (true_id, true_code), (our_id, our_code) = true_of[i], our_of[j]
        if fields.setdefault(our_id, (true_id, {}))[0] == true_id:
            fields[our_id][1][str(our_code)] = str(true_code)
    true_zones = [(c["page"], tuple(c["box_mm"])) for c in truth["comments"]]
    our_zones = [(c["page"], tuple(c["box_mm"])) for c in drafted["comments"]]
    for i, j in _matches(true_zones, our_zones, 2.0).items():
        if "id" in truth["comments"][i]:  # a geometry alone (tests/data's) names no zone
            fields[drafted["comments"][j]["id"]] = (truth["comments"][i]["id"], {})
    return fields


def truth_template(truth: dict, colours: tuple[Colour, ...] = ()) -> Template:
    """A form's true geometry (`template layout --json`'s shape, as tests/data's
    `wordform.truth.json`) as a template: what the generator fills in on a form that
    `render` did not make (`SynthOptions.printed`). Each set of option labels makes one
    scale; comment zones with no id are named `zone1_comment`, ... in order; A4 pages."""
    names: dict[tuple[tuple[int, str], ...], str] = {}
    items = []
    for item in truth["items"]:
        labels = tuple((o["code"], o["label"]) for o in item["options"])
        scale = names.setdefault(labels, f"scale{len(names) + 1}")
        items.append({"id": item["id"], "text": item.get("text") or item["id"], "scale": scale, "page": item["page"],
                      "multiple": item.get("multiple", False),
                      "options": [{"code": o["code"], "box_mm": o["box_mm"]} for o in item["options"]]})
    pages = truth["pages"] if isinstance(truth["pages"], int) else len(truth["pages"])
    return parse_template({
        "form": truth["form"], "version": str(truth.get("version", "1")),
        "registration": {"markers": False},
        "scales": {name: {"options": [{"code": code, "label": label} for code, label in labels]}
                   for labels, name in names.items()},
        "colours": [c.model_dump() for c in colours],
        "pages": [{"number": n} for n in range(1, pages + 1)],
        "items": items,
        "comments": [{"id": c.get("id") or f"zone{k}_comment", "page": c["page"], "box_mm": c["box_mm"]}
                     for k, c in enumerate(truth["comments"], start=1)],
    }, f"{truth['form']} (true geometry)")


def _edges(b: Box) -> tuple[float, float, float, float]:
    return (b[0], b[1], right(b), bottom(b))


