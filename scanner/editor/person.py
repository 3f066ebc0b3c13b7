"""A scripted person who corrects a drafted template through the editor's HTTP API, as
the browser does, knowing the form's true geometry: `bench/legacy.py` measures reading
with the template it leaves, and tests/test_legacy_person.py checks it against the truth."""

from __future__ import annotations

import json
import math
import shutil
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from scanner.editor.server import EditorServer
from scanner.template import Template

BOX_REACH_MM = 1.5
"""A drafted box is the true one when their centres are this close (as `score_draft`
counts a box found)."""
ZONE_REACH_MM = 2.0
"""A drafted comment zone is the true one when their centres are this close."""

Placed = tuple[int, list[float]]
"""A box on a page: (page, box_mm)."""


def _post(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def _state(url: str) -> dict:
    with urllib.request.urlopen(url + "api/state", timeout=60) as answer:
        return json.load(answer)


def _centre(box: list[float]) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def nearest(page: int, box: list[float], boxes: list[Placed], reach: float) -> int | None:
    """The index of the box of `boxes` on `page` whose centre is nearest `box`'s, within
    `reach` mm across and down; None when there is none."""
    x, y = _centre(box)
    close = [(math.dist((x, y), _centre(b)), k) for k, (p, b) in enumerate(boxes)
             if p == page and abs(_centre(b)[0] - x) < reach and abs(_centre(b)[1] - y) < reach]
    return min(close)[1] if close else None


class Person:
    """A person correcting a drafted template through the editor's HTTP API (`url`, the
    editor server's, token included), who knows the form (`truth`, its true geometry):
    adds the boxes and zones the draft missed by clicking on them, deletes extra ones,
    merges an item drafted in parts, gives every item its true scale, codes and id and
    every zone its id, and adds the paper colours. Counts the edits by kind in `edits`
    (an edit the editor refuses counted with its reason: nothing changed)."""

    def __init__(self, url: str, truth: Template):
        self.url, self.truth, self.edits = url, truth, Counter()

    def edit(self, op: str, **body: Any) -> dict:
        """Make one edit; the editor's state after it."""
        try:
            answer = _post(self.url, "api/edit", {"op": op, **body})
        except urllib.error.HTTPError as refused:  # the editor says why: nothing changed
            self.edits[f"{op} refused ({json.load(refused)['error'][:60]})"] += 1
            return _state(self.url)
        self.edits[op] += 1
        return answer

    def correct(self) -> dict:
        """Make every correction, then save; the save's answer."""
        self._boxes()
        self._items()
        self._zones()
        colours = [c.model_dump(mode="json") for c in self.truth.colours]
        if colours != _state(self.url)["template"].get("colours", []):
            self.edit("set_colours", colours=colours)
        return _post(self.url, "api/save", {})

    def _drafted_boxes(self) -> tuple[list[dict], list[Placed], list[tuple[int, int]]]:
        """The template's items, every box, and each box's (item, option) indexes."""
        items = _state(self.url)["template"].get("items", [])
        boxes = [(i["page"], o["box_mm"]) for i in items for o in i["options"]]
        owners = [(k, j) for k, i in enumerate(items) for j, _ in enumerate(i["options"])]
        return items, boxes, owners

    def _boxes(self) -> None:
        """Add each true box the draft misses (to the item holding most of its row's
        boxes), delete each drafted box that is no true one, merge items drafted in parts."""
        items, boxes, owners = self._drafted_boxes()
        for item in self.truth.items:
            for option in item.options:
                if nearest(item.page, list(option.box_mm), boxes, BOX_REACH_MM) is None:
                    holders = [owners[k][0] for o in item.options
                               if (k := nearest(item.page, list(o.box_mm), boxes, BOX_REACH_MM)) is not None]
                    target = {"item": items[max(set(holders), key=holders.count)]["id"]} if holders else {}
                    self.edit("add_box", page=item.page, at_mm=list(_centre(list(option.box_mm))), **target)
                    items, boxes, owners = self._drafted_boxes()
        true_boxes = [(i.page, list(o.box_mm)) for i in self.truth.items for o in i.options]
        for k in reversed(range(len(boxes))):
            if nearest(boxes[k][0], boxes[k][1], true_boxes, BOX_REACH_MM) is None:
                self.edit("delete", item=items[owners[k][0]]["id"], option=owners[k][1])
        items, boxes, owners = self._drafted_boxes()
        for item in self.truth.items:
            parts = {items[owners[k][0]]["id"] for o in item.options
                     if (k := nearest(item.page, list(o.box_mm), boxes, BOX_REACH_MM)) is not None}
            if len(parts) > 1:
                self.edit("merge", items=sorted(parts))
                items, boxes, owners = self._drafted_boxes()

    def _items(self) -> None:
        """Give each item its true scale, codes, `multiple` and id."""
        items, boxes, owners = self._drafted_boxes()
        state = _state(self.url)["template"]
        renames = []
        for item in self.truth.items:
            k = next((k for o in item.options
                      if (k := nearest(item.page, list(o.box_mm), boxes, BOX_REACH_MM)) is not None), None)
            if k is None:
                continue  # none of its boxes is in the template: the editor found none to add
            mine = items[owners[k][0]]
            wanted = [o.model_dump() for o in self.truth.scales[item.scale].options]
            if state["scales"].get(item.scale, {}).get("options") != wanted:
                state = self.edit("set_scale", name=item.scale, options=wanted)["template"]
            if mine["scale"] != item.scale:
                self.edit("set_item", item=mine["id"], scale=item.scale)
            for option in item.options:
                j = nearest(item.page, list(option.box_mm), boxes, BOX_REACH_MM)
                if j is None:
                    continue
                held, n = owners[j]
                if _state(self.url)["template"]["items"][held]["options"][n]["code"] != option.code:
                    self.edit("set_code", item=mine["id"], option=n, code=option.code)
            if bool(mine.get("multiple")) != item.multiple:
                self.edit("set_item", item=mine["id"], multiple=item.multiple)
            if mine["id"] != item.id:
                renames.append((mine["id"], item.id))
        self._rename("set_item", "item", renames)

    def _zones(self) -> None:
        """Add each true zone the draft misses, delete extra ones, give each its true id."""
        zones = [(c["page"], c["box_mm"]) for c in _state(self.url)["template"].get("comments", [])]
        for comment in self.truth.comments:
            if nearest(comment.page, list(comment.box_mm), zones, ZONE_REACH_MM) is None:
                self.edit("add_zone", page=comment.page, at_mm=list(_centre(list(comment.box_mm))))
                zones = [(c["page"], c["box_mm"]) for c in _state(self.url)["template"].get("comments", [])]
        true_zones = [(c.page, list(c.box_mm)) for c in self.truth.comments]
        ids = [c["id"] for c in _state(self.url)["template"].get("comments", [])]
        for k in reversed(range(len(zones))):
            if nearest(zones[k][0], zones[k][1], true_zones, ZONE_REACH_MM) is None:
                self.edit("delete", comment=ids[k])
                del zones[k], ids[k]
        renames = [(ids[k], c.id) for c in self.truth.comments
                   if (k := nearest(c.page, list(c.box_mm), zones, ZONE_REACH_MM)) is not None and ids[k] != c.id]
        self._rename("set_comment", "comment", renames)

    def _rename(self, op: str, key: str, renames: list[tuple[str, str]]) -> None:
        """Rename in two steps, through ids of their own: a drafted id may be another's true one."""
        for k, (old, _) in enumerate(renames):
            self.edit(op, **{key: old, "id": f"renamed{k}"})
        for k, (_, new) in enumerate(renames):
            self.edit(op, **{key: f"renamed{k}", "id": new})


def edited_by_a_person(drafted: Path, truth: Template, folder: Path) -> tuple[Path, Counter, dict]:
    """A copy of the drafted template (with its reference pages, in `folder`) corrected by
    `Person` through a real editor server; the copy, the edits made by kind, and the
    save's answer (``saved`` false, with the ``problems``, when the edits left the
    template invalid)."""
    shutil.copytree(drafted.parent, folder)
    server = EditorServer(folder / drafted.name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        person = Person(server.url, truth)
        answer = person.correct()
    finally:
        server.shutdown()
        server.server_close()
    return folder / drafted.name, person.edits, answer
