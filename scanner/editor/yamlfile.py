"""Writing an edited template back to its file: the person's comments kept, nothing lost.

The YAML is written by `scanner.template.template_yaml` (the order and spelling every
template is written in), so an edited file reads the same as a drafted one. PyYAML
drops comments, and ruamel.yaml (which keeps them) is not a dependency; instead each
comment of the old file is tied to the key or list entry it stands on or before, by
its path (list entries by their `id`, `name` or `number` where they have one, so that
a comment follows its item when items are merged, split or reordered), and put back on
or before that path in the new text. A comment whose key is gone goes before the
nearest key above it that is still there. Comments inside a block scalar are text,
not comments, and stay in it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

NAMING_KEYS = ("id", "name", "number")
"""A list entry with one of these keys is found again by it, wherever it moved."""


@dataclass(frozen=True)
class _Comment:
    path: str
    text: str
    """The comment lines as written, without their indentation; or the trailing comment."""
    trailing: bool


def carry_comments(old_text: str, new_text: str) -> str:
    """`new_text` with the comments of `old_text` put back on or before the same keys."""
    old = _walk(old_text)
    new = _walk(new_text)
    if old is None or new is None:
        return new_text
    header, comments = _comments(old_text.splitlines(), old)
    lines = new_text.splitlines()
    line_of: dict[str, int] = {}
    for line, path in sorted(new.starts.items()):
        line_of.setdefault(path, line)  # a key's line, not its value's
    before: dict[int, list[str]] = {}
    after: list[str] = []
    commented = set(new.open)  # a comment there would cut a scalar that goes on below
    for comment in comments:
        line = _line_for(comment.path, line_of)
        if line is None:
            after += comment.text.splitlines()
        elif comment.trailing and line not in commented:
            lines[line] += "  " + comment.text
            commented.add(line)
        else:
            indent = len(lines[line]) - len(lines[line].lstrip())
            before.setdefault(line, []).extend(" " * indent + c for c in comment.text.splitlines())
    out = list(header)
    for k, line in enumerate(lines):
        out += before.get(k, [])
        out.append(line)
    return "\n".join(out + after) + "\n"


def _line_for(path: str, line_of: dict[str, int]) -> int | None:
    """The new line of `path`, or of its nearest ancestor still there."""
    while path:
        if path in line_of:
            return line_of[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


@dataclass
class _Layout:
    """Where a YAML text's keys and values are, by line (0-based)."""

    starts: dict[int, str] = field(default_factory=dict)
    """The path of the key or list entry that starts on each line (the outermost)."""
    ends: dict[int, int] = field(default_factory=dict)
    """The column where the last key or value ending on each line ends."""
    inside: set[int] = field(default_factory=set)
    """Lines within a scalar that spans lines (a block scalar's text): no comments there."""
    open: set[int] = field(default_factory=set)
    """Lines where a scalar begins that goes on below."""


def _walk(text: str) -> _Layout | None:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    layout = _Layout()

    def visit(node: yaml.Node, path: str) -> None:
        # A line names the key or list entry that starts on it; a collection starts
        # where its first entry does, and that entry is what a comment there is about.
        start, end = node.start_mark, node.end_mark
        layout.ends[end.line] = max(layout.ends.get(end.line, 0), end.column)
        if isinstance(node, yaml.ScalarNode) and end.line > start.line:
            layout.open.add(start.line)
            layout.inside.update(range(start.line + 1, end.line + (1 if end.column else 0)))
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                layout.starts.setdefault(key.start_mark.line, child)
                layout.ends[key.end_mark.line] = max(layout.ends.get(key.end_mark.line, 0), key.end_mark.column)
                visit(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for k, value in enumerate(node.value):
                child = f"{path}[{_entry_name(value, k)}]"
                layout.starts.setdefault(value.start_mark.line, child)
                visit(value, child)

    if root is not None:
        visit(root, "")
    return layout


def _entry_name(node: yaml.Node, index: int) -> str:
    if isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(v, yaml.ScalarNode)}
        for name in NAMING_KEYS:
            if name in keys:
                return f"{name}={keys[name].value}"
    return str(index)


def _comments(lines: list[str], layout: _Layout) -> tuple[list[str], list[_Comment]]:
    """The header (comments above the first key, kept at the top as written), and every
    other comment with the path it belongs to."""
    header: list[str] = []
    comments: list[_Comment] = []
    waiting: list[str] = []
    seen_node = False
    path = ""
    for k, line in enumerate(lines):
        if k in layout.inside:  # the text of a scalar, perhaps with a comment after its end
            hash_at = line.find("#", layout.ends.get(k, len(line)))
            if hash_at >= 0:
                comments.append(_Comment(path, line[hash_at:].rstrip(), trailing=True))
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            (waiting if seen_node else header).append(stripped)
            continue
        if not stripped:
            if not seen_node:
                header.append("")
            continue
        seen_node = True
        path = layout.starts.get(k, path)  # a line that starts nothing (a flow list's end) goes with the one before
        if waiting:
            comments.append(_Comment(path, "\n".join(waiting), trailing=False))
            waiting = []
        hash_at = line.find("#", layout.ends.get(k, 0))
        if hash_at >= 0:
            comments.append(_Comment(path, line[hash_at:].rstrip(), trailing=True))
    if waiting:
        comments.append(_Comment("", "\n".join(waiting), trailing=False))
    while header and not header[-1]:
        header.pop()
    return header, comments


def write_atomically(path: Path, text: str) -> Path | None:
    """Write `text` to `path` so that a crash leaves the old file or the new, never half
    of one; the old file is kept beside it first as ``<name>.bak``.

    Returns:
        The backup written, if there was a file before.
    """
    backup = None
    if path.exists():
        backup = path.with_name(path.name + ".bak")
        shutil.copy2(path, backup)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if backup is not None:
            shutil.copymode(backup, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return backup
