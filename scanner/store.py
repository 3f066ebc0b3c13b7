"""The survey's store: one SQLite file in the out folder, the source of every output.

It keeps what each page measured (so a re-run, or a run killed half-way and started
again, reads only pages it has not seen), every sheet's results with their evidence,
and people's review decisions, which a re-scan never overwrites: a decision whose page
image has changed since (or that was made while its page was missing, and the page
read since says otherwise) is kept and marked for a second look, and one on a sheet that
a re-scan replaced goes with its page image to the sheet that holds it now. The codebook
of themes and the codings of comments (`scanner.themes`) live here too, kept the way
decisions are.

Input pages are keyed by their file's resolved path and page number, so that two
spellings of one path are one input; `source` is the name as last given.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scanner.assemble import (ImagePlaces, KnownSheet, PageRow, Place, RescanCheck, Sheet, SheetRegister, holds,
                              ink_of)
from scanner.colour import PaperSample
from scanner.errors import shown
from scanner.reader import PageResult
from scanner.results import CommentReading, FieldResult, PageStatus, Reason, Status, measures_from_json

log = logging.getLogger(__name__)

STORE_NAME = "survey.sqlite"
SCHEMA_VERSION = 2
"""2: pages keyed by resolved path (1 keyed them by the name as given)."""

COMMIT_PAGES = 200
"""A scan commits its pages and sheets this many pages at a time at most (`ScanWrites`)..."""
COMMIT_SECONDS = 1.0
"""... and a second's work at most: what a run killed loses, and a re-run reads again."""

KEPT = "kept for its review decisions, which have no page to go to; the rest of it is to review"
REPLACED_FLAG = f"its pages were scanned again and are no longer read as this questionnaire; {KEPT}"


def pages_gone_flag(source: str, first_page: int) -> str:
    """The flag of a sheet kept for its decisions whose page images no input holds now."""
    return f"its pages are no longer in {source} (it began at page {first_page}); {KEPT}"


SET_ASIDE = "#replaced-"
"""Marks the key of pages set aside for a new file of their name (`Store.set_aside`)."""
MOVED = "moved:"
"""Begins the reason of a page read at another place now (`Store.account_moved_pages`)."""
REPEATED_IMAGE = "the same page image is read in the sheet named here (scanned twice); this copy is not used"
SURE = {Status.OK.value: "value", Status.BLANK.value: "blank"}
"""The readings that a decision made without its page may agree with and stay settled,
and the outcome (`scanner.review.queue.Outcome`) it must have to agree."""

PAGE_COLUMNS = "source, page, status, sheet_id, reason, form_page, content_hash, path, seq, scanned_at"
"""The pages table's columns that this code writes and keeps in pages_gone, named: a column
added to the table later takes its default, and breaks no statement."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    source TEXT NOT NULL, page INTEGER NOT NULL, status TEXT NOT NULL,
    sheet_id TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', form_page INTEGER,
    content_hash TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL,
    scanned_at TEXT NOT NULL,
    PRIMARY KEY (path, page)
);
CREATE TABLE IF NOT EXISTS readings (
    content_hash TEXT NOT NULL, reader_key TEXT NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (content_hash, reader_key)
);
CREATE TABLE IF NOT EXISTS sheets (
    sheet_id TEXT PRIMARY KEY, source TEXT NOT NULL, first_page INTEGER NOT NULL, serial INTEGER,
    colour TEXT NOT NULL DEFAULT '', programme TEXT NOT NULL DEFAULT '', paper_rgb TEXT,
    flags TEXT NOT NULL DEFAULT '[]', page_hashes TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    scanned_at TEXT NOT NULL, form TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS results (
    sheet_id TEXT NOT NULL, item TEXT NOT NULL, ord INTEGER NOT NULL, form_page INTEGER,
    value TEXT NOT NULL, status TEXT NOT NULL, confidence REAL NOT NULL, reason TEXT,
    evidence TEXT NOT NULL DEFAULT '{}', crop TEXT,
    PRIMARY KEY (sheet_id, item)
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sheet_id TEXT NOT NULL, item TEXT NOT NULL,
    value TEXT NOT NULL, reviewer TEXT NOT NULL, decided_at TEXT NOT NULL,
    value_before TEXT, status_before TEXT, page_hash TEXT NOT NULL DEFAULT '',
    stale INTEGER NOT NULL DEFAULT 0, undone INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '', undone_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS decisions_item ON decisions (sheet_id, item);
-- A new page or sheet goes after MAX(seq): without these every one reads the whole table.
CREATE INDEX IF NOT EXISTS pages_seq ON pages (seq);
CREATE INDEX IF NOT EXISTS sheets_seq ON sheets (seq);
CREATE TABLE IF NOT EXISTS colour_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, light TEXT NOT NULL, lab TEXT NOT NULL, colour TEXT NOT NULL,
    pages INTEGER NOT NULL, reviewer TEXT NOT NULL, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS themes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '', parent INTEGER REFERENCES themes (id),
    keywords TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sheet_id TEXT NOT NULL, item TEXT NOT NULL,
    theme INTEGER REFERENCES themes (id), action TEXT NOT NULL, memo TEXT NOT NULL DEFAULT '',
    coder TEXT NOT NULL, coded_at TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0,
    page_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS codings_comment ON codings (sheet_id, item);
-- Pages a file held and holds no more (it was scanned again under its name, shorter): out
-- of the survey, kept as they were, with the time they went.
CREATE TABLE IF NOT EXISTS pages_gone (
    source TEXT NOT NULL, page INTEGER NOT NULL, status TEXT NOT NULL, sheet_id TEXT NOT NULL,
    reason TEXT NOT NULL, form_page INTEGER, content_hash TEXT NOT NULL, path TEXT NOT NULL, seq INTEGER NOT NULL,
    scanned_at TEXT NOT NULL, gone_at TEXT NOT NULL
);
""" + """
-- Each sheet's rows of the CSVs as rendered (scanner.outputs), and the sheets to render
-- again: the triggers mark a sheet whenever what its rows show changes, whoever writes.
CREATE TABLE IF NOT EXISTS csv_rows (
    sheet_id TEXT PRIMARY KEY, responses TEXT NOT NULL, items TEXT NOT NULL, sheets TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS csv_dirty (sheet_id TEXT PRIMARY KEY) WITHOUT ROWID;
-- A sheet's problems name the other sheets of its serial: they change with it.
CREATE INDEX IF NOT EXISTS sheets_serial ON sheets (serial);
CREATE TRIGGER IF NOT EXISTS csv_results_insert AFTER INSERT ON results BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (NEW.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_results_delete AFTER DELETE ON results BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_results_update AFTER UPDATE ON results
WHEN (OLD.sheet_id, OLD.item, OLD.ord, OLD.form_page, OLD.value, OLD.status, OLD.confidence, OLD.reason, OLD.crop)
  IS NOT (NEW.sheet_id, NEW.item, NEW.ord, NEW.form_page, NEW.value, NEW.status, NEW.confidence, NEW.reason, NEW.crop)
BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id), (NEW.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_decisions_insert AFTER INSERT ON decisions BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (NEW.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_decisions_update AFTER UPDATE ON decisions BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id), (NEW.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_decisions_delete AFTER DELETE ON decisions BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id);
END;
-- INSERT OR REPLACE deletes the old row without a DELETE trigger: its serial's sheets are
-- marked before.
CREATE TRIGGER IF NOT EXISTS csv_sheets_replace BEFORE INSERT ON sheets BEGIN
    INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets
    WHERE serial = (SELECT serial FROM sheets WHERE sheet_id = NEW.sheet_id);
END;
CREATE TRIGGER IF NOT EXISTS csv_sheets_insert AFTER INSERT ON sheets BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (NEW.sheet_id);
    INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets WHERE serial = NEW.serial;
END;
CREATE TRIGGER IF NOT EXISTS csv_sheets_update AFTER UPDATE ON sheets
WHEN (OLD.sheet_id, OLD.source, OLD.first_page, OLD.serial, OLD.colour, OLD.flags, OLD.page_hashes, OLD.seq)
  IS NOT (NEW.sheet_id, NEW.source, NEW.first_page, NEW.serial, NEW.colour, NEW.flags, NEW.page_hashes, NEW.seq)
BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id), (NEW.sheet_id);
    INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets WHERE serial IN (OLD.serial, NEW.serial);
END;
CREATE TRIGGER IF NOT EXISTS csv_sheets_delete AFTER DELETE ON sheets BEGIN
    INSERT OR IGNORE INTO csv_dirty VALUES (OLD.sheet_id);
    INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets WHERE serial = OLD.serial;
END;
"""
ROW_KINDS = ("responses", "items", "sheets")
"""The CSVs whose rows the store keeps rendered, each sheet's apart (columns of csv_rows)."""


def resolved(source: str) -> str:
    """The key of an input file in the store: its absolute path, links resolved.

    `os.path.realpath`, not `Path.resolve`: a link loop is an input like any other (its
    row says so), and `resolve` raises on one.
    """
    return os.path.realpath(source)


def _key(path: str) -> str | bytes:
    """An input file's resolved path as the store keys it: as text, or, for a name that is
    not UTF-8 (a Latin-1 name from an old share or a zip), as its bytes: SQLite text
    cannot hold it, a blob holds it losslessly, and the file can be found again by it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def stored_path(value: str | bytes) -> str:
    """An input file's path as `_key` stored it, for opening the file again."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def encode_reading(result: PageResult) -> str:
    """The reading as the store keeps it: as `dataclasses.asdict` would give it (its own
    encoding aside), spelt out: asdict's deep copies cost more than the rest of storing a
    page. Workers encode what they read (`PageResult.encoded`): the parent need not."""
    if result.elided:  # its boxes are in the encoding its worker made before leaving them out
        return result.encoded
    data = dict(vars(result))
    data.pop("encoded", None)  # none in a reading pickled before it had one
    data.pop("marks", None)  # the worker's summary of its items, worked out again from them
    data.pop("decided", None)  # its sheet's, stored with the sheet
    data.pop("elided", None)  # how it travelled
    data["paper"] = {"rgb": result.paper.rgb}  # its nearest colour is the worker's to tell, not kept
    data["items"] = [{"item": m.item, "boxes": [vars(b) for b in m.boxes]} for m in result.items]
    data["comments"] = [dict(vars(c), crop=None) for c in result.comments]  # crops live in crops/
    return json.dumps(data)


def _result_from_json(text: str) -> PageResult:
    data = json.loads(text)
    data["status"] = PageStatus(data["status"])
    data["paper"] = PaperSample(tuple(data["paper"]["rgb"]) if data["paper"]["rgb"] else None)
    data["items"] = measures_from_json(data["items"])
    data["comments"] = [CommentReading(**c) for c in data["comments"]]
    data["transform"] = tuple(tuple(row) for row in data["transform"]) if data["transform"] else None
    return PageResult(**data)


def _page_values(row: PageRow) -> tuple:
    """A page's row of the pages table as it is now (its place in the survey aside)."""
    return (shown(row.source), row.page, row.status.value, row.sheet_id, row.reason, row.form_page, row.content_hash,
            _key(row.path), _now())


def _reading_values(result: PageResult | None, reader_key: str) -> tuple | None:
    """A page's row of the readings table; None for none to keep. Errors are not kept:
    the next run tries the page again."""
    if result is None or not result.content_hash or result.status is PageStatus.ERROR:
        return None
    return result.content_hash, reader_key, result.encoded or encode_reading(result)


def _sheet_values(sheet: Sheet, crops: dict[str, str]) -> tuple:
    """A sheet's rows as they are now, for `Store._write_sheet`: its row of the sheets
    table (its place in the survey and time aside, its form last), its pages' places, its results, and what its
    decisions are checked against."""
    page_hashes = {str(p): r.content_hash for p, r in sheet.pages.items()}
    colour = sheet.colour
    item_page = {m.item: page for page, r in sheet.pages.items() for m in (*r.items, *r.comments)}
    sheet_row = (sheet.sheet_id, shown(sheet.source), sheet.first_page, sheet.serial,
                 colour.colour or "" if colour else "", colour.programme or "" if colour else "",
                 json.dumps(colour.rgb) if colour and colour.rgb else None, json.dumps(sheet.flags),
                 json.dumps(page_hashes), sheet.form)
    places = [(sheet.sheet_id, _key(row.path), row.page) for row in sheet.rows]
    results = [(sheet.sheet_id, r.item, k, item_page.get(r.item), r.value, r.status.value, r.confidence,
                r.reason.name if r.reason else None, r.stored_evidence or json.dumps(r.evidence), crops.get(r.item))
               for k, r in enumerate(sheet.results)]
    return sheet_row, places, results, page_hashes


class Store:
    """The SQLite store of one survey (one out folder)."""

    def __init__(self, out_dir: str | Path):
        self.path = Path(out_dir) / STORE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._migrate()
        self._add_columns()

    def _migrate(self) -> None:
        """Bring a store written by an earlier version up to this schema."""
        if int(self.get_meta("schema_version") or SCHEMA_VERSION) >= SCHEMA_VERSION:
            return
        with self.transaction():  # one process migrates; the others then find it done
            if int(self.get_meta("schema_version") or SCHEMA_VERSION) < 2:
                # Version 1 keyed pages by the name as given; the path it kept was resolved
                # (empty for a file that could not be read: its name stands in, resolved now).
                self.db.execute("ALTER TABLE pages RENAME TO pages_v1")
                self.db.execute(SCHEMA.split(";")[1])  # the pages table (executescript would commit)
                rows = self.db.execute("SELECT * FROM pages_v1 ORDER BY seq").fetchall()
                self.db.executemany(
                    f"INSERT OR REPLACE INTO pages ({PAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r["source"], r["page"], r["status"], r["sheet_id"], r["reason"], r["form_page"],
                      r["content_hash"], r["path"] or resolved(r["source"]), r["seq"], r["scanned_at"]) for r in rows])
                self.db.execute("DROP TABLE pages_v1")
                self.set_meta("schema_version", str(SCHEMA_VERSION))

    def _add_columns(self) -> None:
        """Add the columns a store made before lacks: sheets name their form (a survey may
        hold several; none stands for the survey's only form), and a decision undone by
        a re-scan rather than a reviewer says why (none: a reviewer's undo)."""
        for table, column in (("sheets", "form"), ("decisions", "undone_reason")):
            if column not in {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it meanwhile
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: every statement in the block is committed, or none.

        The connection is in autocommit mode, where `with self.db:` begins nothing: each
        statement would commit alone, and a reader could see a sheet between the DELETE of
        its results and the INSERT of the new ones. IMMEDIATE takes the write lock at once,
        so that what the block reads before it writes cannot change under it (and a second
        writer waits here rather than failing half-way).
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # a failed COMMIT leaves it open too
                self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in the block sees the store as at the first one."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            self.db.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- the CSVs' rows, kept rendered -------------------------------------------------
    def render_again(self, key: str, headers: dict[str, str]) -> None:
        """Mark every sheet for rendering, unless the rows kept were rendered by `key` (the
        renderer and the template): an older store, or a new renderer, renders them all.
        `headers` are the files' header lines of `key`, kept with it."""
        with self.transaction():
            if self.get_meta("csv_rows_key") != key:
                self.db.execute("INSERT OR IGNORE INTO csv_dirty SELECT sheet_id FROM sheets")
                self.set_meta("csv_rows_key", key)
                self.set_meta("csv_headers", json.dumps(headers))

    def csv_headers(self) -> dict[str, str]:
        """The header line of each file whose rows are kept (`ROW_KINDS`)."""
        return json.loads(self.get_meta("csv_headers") or "{}")

    def sheets_to_render(self, limit: int) -> list[str]:
        """Up to `limit` sheets whose kept rows are out of date (or gone: sheets taken out)."""
        return [r[0] for r in self.db.execute("SELECT sheet_id FROM csv_dirty LIMIT ?", (limit,))]

    def keep_rendered(self, sheet_ids: list[str], rows: dict[str, dict[str, str]]) -> None:
        """Keep the rows rendered for `sheet_ids` (a sheet not in `rows` is no longer in the
        store) and unmark them: inside the transaction they were rendered in."""
        self.db.executemany("INSERT OR REPLACE INTO csv_rows VALUES (?, ?, ?, ?)",
                            [(sheet_id, *(texts[kind] for kind in ROW_KINDS)) for sheet_id, texts in rows.items()])
        gone = json.dumps([sheet_id for sheet_id in sheet_ids if sheet_id not in rows])
        self.db.execute("DELETE FROM csv_rows WHERE sheet_id IN (SELECT value FROM json_each(?))", (gone,))
        self.db.execute("DELETE FROM csv_dirty WHERE sheet_id IN (SELECT value FROM json_each(?))",
                        (json.dumps(sheet_ids),))

    def rendered(self, kind: str) -> Iterator[str]:
        """Every sheet's kept rows of one file (`ROW_KINDS`), in the survey's order.

        Raises:
            RuntimeError: a sheet has no rows kept (it was never marked for rendering).
        """
        if kind not in ROW_KINDS:
            raise ValueError(kind)
        for row in self.db.execute(f"SELECT s.sheet_id, c.{kind} FROM sheets s "
                                   "LEFT JOIN csv_rows c ON c.sheet_id = s.sheet_id ORDER BY s.seq"):
            if row[1] is None:
                raise RuntimeError(f"sheet {row[0]} has no CSV rows kept")
            yield row[1]

    # --- batch colour calibration -----------------------------------------------------
    def sheet_papers(self) -> Iterator[tuple[str, str, PaperSample, tuple | None]]:
        """(sheet_id, content hash, paper, transform) of every page of every sheet read from the inputs."""
        # Not of a sheet kept only for its decisions (`_keep_for_decisions`: first page 0): no page is its own.
        hashes = {(r["sheet_id"], h) for r in self.db.execute("SELECT sheet_id, page_hashes FROM sheets "
                                                              "WHERE first_page != 0")
                  for h in json.loads(r["page_hashes"]).values()}
        readings = {}
        # SQLite takes the two fields out of each reading's JSON: parsing it whole in
        # Python cost a scan's end more than the rest of the calibration. A reading with
        # a NaN in it (which Python writes and SQLite's JSON refuses) comes whole.
        for content_hash, rgb, transform, whole in self.db.execute(
                "SELECT content_hash, CASE WHEN valid THEN json_extract(result, '$.paper.rgb') END, "
                "CASE WHEN valid THEN json_extract(result, '$.transform') END, CASE WHEN valid THEN NULL "
                "ELSE result END FROM (SELECT content_hash, result, json_valid(result) AS valid FROM readings)"):
            if content_hash not in readings:
                if whole is not None:
                    data = json.loads(whole)
                    rgb, transform = data["paper"]["rgb"], data["transform"]
                else:
                    rgb, transform = (json.loads(text) if text is not None else None for text in (rgb, transform))
                readings[content_hash] = (PaperSample(tuple(rgb) if rgb else None), transform)
        for sheet_id, content_hash in sorted(hashes):
            if content_hash in readings:
                yield sheet_id, content_hash, *readings[content_hash]

    def page_files(self) -> dict[str, str]:
        """The file (its path) each page image was scanned from; of an image in two files, the first."""
        files: dict[str, str] = {}
        for content_hash, path in self.db.execute(
                "SELECT content_hash, path FROM pages WHERE content_hash != '' ORDER BY path, page"):
            files.setdefault(content_hash, stored_path(path))
        return files

    def colour_decisions(self) -> list[sqlite3.Row]:
        """People's decisions on the batch's colour clusters, oldest first."""
        return self.db.execute("SELECT * FROM colour_decisions ORDER BY id").fetchall()

    def add_colour_decisions(self, decisions: list[tuple[str, tuple, str, int]], reviewer: str) -> None:
        """Record (light, Lab centre, colour, pages) decisions on clusters, by `reviewer`, now."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO colour_decisions (light, lab, colour, pages, reviewer, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(light, json.dumps([round(v, 2) for v in lab]), colour, pages, reviewer, _now())
                 for light, lab, colour, pages in decisions])

    def programme_results(self) -> dict[str, FieldResult]:
        """Every sheet's stored programme result (the machine's, before review decisions)."""
        return {r["sheet_id"]: FieldResult("programme", r["value"], Status(r["status"]), r["confidence"],
                                           Reason[r["reason"]] if r["reason"] else None, json.loads(r["evidence"]))
                for r in self.db.execute("SELECT * FROM results WHERE item = 'programme'")}

    def update_programmes(self, results: dict[str, FieldResult], colours: dict[str, str]) -> None:
        """Replace sheets' programme results (and colour), all in one transaction."""
        with self.transaction():
            self.db.executemany(
                "UPDATE results SET value = ?, status = ?, confidence = ?, reason = ?, evidence = ? "
                "WHERE sheet_id = ? AND item = 'programme'",
                [(r.value, r.status.value, r.confidence, r.reason.name if r.reason else None,
                  json.dumps(r.evidence), sheet_id) for sheet_id, r in results.items()])
            self.db.executemany("UPDATE sheets SET colour = ?, programme = ? WHERE sheet_id = ?",
                                [(colours.get(sheet_id, ""), r.value, sheet_id) for sheet_id, r in results.items()])

    # --- pages ------------------------------------------------------------------------
    def cached_reading(self, content_hash: str, reader_key: str) -> PageResult | None:
        row = self.db.execute("SELECT result FROM readings WHERE content_hash = ? AND reader_key = ?",
                              (content_hash, reader_key)).fetchone()
        return _result_from_json(row["result"]) if row else None

    def save_page(self, row: PageRow, result: PageResult | None, reader_key: str) -> None:
        """Record what became of one input page (at `row.path`), and its reading for later re-runs.

        A used page keeps the sheet it had until its sheet of this run is saved: a run
        killed in between leaves the page with its last known sheet, not with none.
        """
        with self.transaction():
            self._write_page(_page_values(row), _reading_values(result, reader_key))

    def _write_page(self, page: tuple, reading: tuple | None) -> None:
        """`save_page` inside the caller's transaction, from `_page_values` and `_reading_values`."""
        # A page new to the survey goes last; one stored before keeps its place (the
        # update leaves seq alone).
        self.db.execute(
            f"INSERT INTO pages ({PAGE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pages), ?) "
            "ON CONFLICT (path, page) DO UPDATE SET "
            "source = excluded.source, status = excluded.status, reason = excluded.reason, "
            "form_page = excluded.form_page, content_hash = excluded.content_hash, "
            "scanned_at = excluded.scanned_at, sheet_id = CASE WHEN excluded.sheet_id = '' "
            "AND excluded.status = 'used' THEN pages.sheet_id ELSE excluded.sheet_id END", page)
        if page[1]:
            # The file was unreadable as a whole in an earlier run; now its pages speak for it.
            self.db.execute("DELETE FROM pages WHERE path = ? AND page = 0", (page[7],))
        if reading is not None:
            self.db.execute("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", reading)

    def file_pages(self, path: str) -> dict[int, str]:
        """The content hash of each page stored of the input file at `path` (resolved), by number."""
        return {row["page"]: row["content_hash"]
                for row in self.db.execute("SELECT page, content_hash FROM pages WHERE path = ?", (_key(path),))}

    def _stored_rows(self, path: str) -> list[sqlite3.Row]:
        """The rows of the pages table stored of the file at `path`, as they are (`PAGE_COLUMNS`)."""
        return self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages WHERE path = ?", (_key(path),)).fetchall()

    def _drop_pages(self, path: str, last: int, gone: list[sqlite3.Row]) -> None:
        """Take out of the survey the pages stored of the file at `path` after its page
        `last`, the file, read whole again, holding no more, and keep in `pages_gone` the
        rows `gone` (`_stored_rows` of the pages it no longer holds, before it was read).
        The sheets they were in are then built of what the file holds, or go
        (`retire_superseded`)."""
        self.db.executemany(f"INSERT INTO pages_gone ({PAGE_COLUMNS}, gone_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(*row, _now()) for row in gone])
        self.db.execute("DELETE FROM pages WHERE path = ? AND page > ?", (_key(path), last))

    def set_aside(self, path: str) -> str:
        """Keep the pages stored of the file at `path` under a key no file has (the path,
        `#replaced-` and the place of its first page in the survey), for a new file of that
        name to be read as new pages: neither file's rows overwrite the other's, and each
        questionnaire keeps its pages. Their `source` stays the name they were read under.
        The key they are under now, as `file_figures` takes it."""
        with self.transaction():
            first = self.db.execute("SELECT MIN(seq) FROM pages WHERE path = ?", (_key(path),)).fetchone()[0]
            if first is None:
                return path
            self.db.execute("UPDATE pages SET path = ? WHERE path = ?", (_key(f"{path}{SET_ASIDE}{first}"), _key(path)))
        return f"{path}{SET_ASIDE}{first}"

    def file_figures(self, paths: Iterable[str]) -> tuple[Counter, int]:
        """The pages stored of the input files at `paths` (resolved, or as `set_aside` left
        them) by status, and how many questionnaires they hold: pages.csv's rows of them."""
        rows = [row for key in {_key(path) for path in paths}
                for row in self.db.execute("SELECT status, sheet_id FROM pages WHERE path = ?", (key,))]
        return Counter(row["status"] for row in rows), len({row["sheet_id"] for row in rows} - {""})

    def _seq(self, table: str, where: str, args: tuple) -> int:
        """Keep a row's place in the survey when it is written again; new rows go last."""
        row = self.db.execute(f"SELECT seq FROM {table} WHERE {where}", args).fetchone()
        if row:
            return row["seq"]
        return self.db.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}").fetchone()[0]

    # --- sheets -----------------------------------------------------------------------
    def save_sheet(self, sheet: Sheet, crops: dict[str, str]) -> None:
        """Replace the machine's results for a sheet; people's decisions stay as they are."""
        with self.transaction():
            self._write_sheet(*_sheet_values(sheet, crops))

    def _write_sheet(self, sheet: tuple, places: list[tuple], results: list[tuple], page_hashes: dict) -> None:
        """`save_sheet` inside the caller's transaction, from `_sheet_values`."""
        sheet_id = sheet[0]
        seq = self._seq("sheets", "sheet_id = ?", (sheet_id,))
        self.db.execute("INSERT OR REPLACE INTO sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*sheet[:-1], seq, _now(), sheet[-1]))
        self.db.executemany("UPDATE pages SET sheet_id = ? WHERE path = ? AND page = ?", places)
        self.db.execute("DELETE FROM results WHERE sheet_id = ?", (sheet_id,))
        self.db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", results)
        self._mark_stale_decisions(sheet_id, page_hashes)

    def _mark_stale_decisions(self, sheet_id: str, page_hashes: dict) -> None:
        """Send back for a second look the sheet's decisions made on another page image than
        their item's now, and those made while the item's page was missing (no image) that
        the page now read disagrees with: such a decision settled that there was no page,
        not what the page says."""
        rows = self.db.execute(
            "SELECT d.id, d.page_hash, d.value, d.outcome, r.form_page, r.value AS read, r.status FROM decisions d "
            "JOIN results r ON r.sheet_id = d.sheet_id AND r.item = d.item "
            "WHERE d.sheet_id = ? AND d.undone = 0 AND d.stale = 0", (sheet_id,)).fetchall()
        for row in rows:
            current = page_hashes.get(str(row["form_page"]), "")
            agrees = SURE.get(row["status"]) == row["outcome"] and row["read"] == row["value"]
            if current and (current != row["page_hash"] if row["page_hash"] else not agrees):
                self.db.execute("UPDATE decisions SET stale = 1 WHERE id = ?", (row["id"],))

    def sheet_register(self) -> SheetRegister:
        """The survey's sheets as stored now: what the sheets of a new run are told by.

        Take it before the run saves any page, while each input page still names its sheet.
        """
        places: dict[str, set[tuple[str, int]]] = {}
        used = []
        for row in self.db.execute("SELECT sheet_id, source, path, page, status, content_hash FROM pages "
                                   "WHERE sheet_id != ''"):
            places.setdefault(row["sheet_id"], set()).add((stored_path(row["path"]), row["page"]))
            if row["status"] == PageStatus.USED.value:
                used.append((row["content_hash"], Place(row["source"], stored_path(row["path"]), row["page"])))
        return SheetRegister(
            (KnownSheet(r["sheet_id"], r["serial"], frozenset(json.loads(r["page_hashes"]).values()),
                        frozenset(places.get(r["sheet_id"], ())), r["form"])
             for r in self.db.execute("SELECT sheet_id, serial, page_hashes, form FROM sheets")),
            ImagePlaces(used), RescanCheck(self._unnumbered_answers(), self._ink))

    def _unnumbered_answers(self) -> Iterator[tuple[str, tuple]]:
        """Each unnumbered sheet's `assemble.answers_of`, in the order they were stored."""
        rows = self.db.execute("SELECT r.sheet_id, r.item, r.value FROM results r "
                               "JOIN sheets s ON s.sheet_id = r.sheet_id WHERE s.serial IS NULL "
                               "AND r.evidence LIKE '%\"scores\"%' ORDER BY s.seq, r.sheet_id")
        for sheet_id, group in itertools.groupby(rows, key=lambda r: r["sheet_id"]):
            yield sheet_id, tuple(sorted((r["item"], r["value"]) for r in group))

    def _ink(self, sheet_id: str) -> dict:
        """A stored sheet's `assemble.ink_of`."""
        rows = self.db.execute("SELECT item, evidence FROM results WHERE sheet_id = ?", (sheet_id,))
        return ink_of(FieldResult(r["item"], "", Status.OK, 0.0, None, json.loads(r["evidence"])) for r in rows)

    def retire_superseded(self, register: SheetRegister) -> dict[str, str]:
        """Take out the known sheets that this run's sheets replace; those kept instead this
        run, for their decisions (each now all to review: the run's doing), with their file.

        A known sheet that no sheet of this run claimed is replaced when each of its page
        images is now in a sheet of this run, or when none of its input pages is its any
        more (they were read into other sheets). Its review decisions move, with their
        history, to the sheet now holding the page image each was made on (one made on no
        page, the programme's or an item's whose page was missing, to the sheet holding its
        first page, where it never overrides that sheet's own decision on the item), and
        its input pages still on record are accounted as repeats of those images. A
        decision with nowhere to go keeps its sheet, flagged, so that no decision drops out
        of sight. A sheet kept so by an earlier run is looked at again each run: it goes
        once no decision keeps it (undone, or gone to a sheet now holding its page).
        """
        holder = {page.content_hash: sheet_id for sheet_id, sheet in register.claimed.items()
                  for page in sheet.pages.values()}
        self._follow_pages(register.claimed, holder)
        named = {row[0] for row in self.db.execute("SELECT DISTINCT sheet_id FROM pages")}
        kept_before = {row[0] for row in self.db.execute("SELECT sheet_id FROM sheets WHERE first_page = 0")}
        kept = []
        for known in register.known.values():
            if known.sheet_id in register.claimed:
                continue
            if ((known.images and known.images <= holder.keys()) or (known.places and known.sheet_id not in named)
                    or known.sheet_id in kept_before):
                if not self._hand_over(known.sheet_id, holder) and known.sheet_id not in kept_before:
                    kept.append(known.sheet_id)
        return dict(self.db.execute("SELECT sheet_id, source FROM sheets WHERE sheet_id IN "
                                    "(SELECT value FROM json_each(?))", (json.dumps(kept),)).fetchall())

    def _follow_pages(self, claimed: dict[str, Sheet], holder: dict[str, str]) -> None:
        """Move the decisions (and codings) of this run's sheets (`claimed`) made on a page
        image that the sheet holds no more and another sheet of this run does (`holder`:
        by image, its sheet): a file put in order, whose questionnaires keep their ids by
        most of their pages, while a page moved to another. Made on the very image their
        item is on now, they are not stale."""
        held = {sheet_id: {p.content_hash for p in sheet.pages.values()} for sheet_id, sheet in claimed.items()}
        with self.transaction():
            for table in ("decisions", "codings"):
                rows = self.db.execute(f"SELECT id, sheet_id, page_hash FROM {table} WHERE page_hash != '' "
                                       "AND sheet_id IN (SELECT value FROM json_each(?))",
                                       (json.dumps(sorted(claimed)),)).fetchall()
                moved = [(holder[d["page_hash"]], d["id"]) for d in rows
                         if d["page_hash"] not in held[d["sheet_id"]] and d["page_hash"] in holder]
                fresh = ", stale = 0" if table == "decisions" else ""
                self.db.executemany(f"UPDATE {table} SET sheet_id = ?{fresh} WHERE id = ?", moved)

    def _decided(self, sheet_ids: set[str]) -> dict[tuple[str, str], int]:
        """The id of each decision in force on `sheet_ids`, by (sheet, item)."""
        return {(r[0], r[1]): r[2] for r in self.db.execute(
            "SELECT sheet_id, item, MAX(id) FROM decisions WHERE undone = 0 "
            "AND sheet_id IN (SELECT value FROM json_each(?)) GROUP BY sheet_id, item",
            (json.dumps(sorted(sheet_ids)),))}

    def account_moved_pages(self, rows: list[PageRow]) -> None:
        """Account as moved the input pages stored that this run did not read and whose
        image it read at another place (a file renamed, a page moved to another file), so
        that a page is counted at one place only: a used page whose image this run used
        there, and any other (a blank back, a page of no questionnaire) whose place no
        longer holds its image, which this run read there (at the same page number when
        it can: an image that many pages share, a blank page's, may also be one that a
        file not read this run still holds). Pages set aside for a new file of their name
        (`set_aside`) stay as they are: a watched inbox's station may write the same
        scan under that name again, read as new pages."""
        used = {row.content_hash: row for row in rows if row.status is PageStatus.USED}
        read = {(row.path, row.page) for row in rows}
        places: dict[str, list[PageRow]] = {}
        for row in rows:
            places.setdefault(row.content_hash, []).append(row)
        moved = []
        for r in self.db.execute("SELECT source, path, page, status, reason, content_hash FROM pages "
                                 "WHERE content_hash != ''").fetchall():
            path, image = stored_path(r["path"]), r["content_hash"]
            if (path, r["page"]) in read or SET_ASIDE in path or r["reason"].startswith(MOVED):
                continue
            if r["status"] == PageStatus.USED.value:
                now = used.get(image)
            else:
                there = places.get(image, [])
                now = next((p for p in there if p.page == r["page"]), there[0] if there else None)
                if now is not None and holds(Place(r["source"], path, r["page"]), image):
                    now = None
            if now is not None:
                moved.append((PageStatus.UNRECOGNISED.value, f"{MOVED} this page image is read at {shown(now.source)} "
                              f"page {now.page} now", r["path"], r["page"]))
        with self.transaction():
            self.db.executemany("UPDATE pages SET status = ?, sheet_id = '', reason = ? WHERE path = ? AND page = ?",
                                moved)

    def _hand_over(self, sheet_id: str, holder: dict[str, str]) -> bool:
        """Move a replaced sheet's decisions to the sheets holding their page images, and
        take it out; or, when a decision has nowhere to go, flag it and keep it."""
        sheet = self.db.execute("SELECT page_hashes, flags FROM sheets WHERE sheet_id = ?", (sheet_id,)).fetchone()
        page_hashes = json.loads(sheet["page_hashes"])
        first = holder.get(page_hashes[min(page_hashes, key=int)]) if page_hashes else None
        # Codings of comments (scanner.themes) go the same way as decisions.
        targets, moves = [], {}
        for table in ("decisions", "codings"):
            rows = self.db.execute(f"SELECT id, item, page_hash, undone FROM {table} WHERE sheet_id = ?",
                                   (sheet_id,)).fetchall()
            found = [(holder.get(d["page_hash"]) if d["page_hash"] else first, d) for d in rows]
            # Undone decisions are history: they go along where they can, and never hold a sheet back.
            moves[table] = [(target, d) for target, d in found if target is not None]
            targets += found
        with self.transaction():
            if any(target is None and not d["undone"] for target, d in targets):
                self._keep_for_decisions(sheet_id)
                return False
            pageless = [(target, d) for target, d in moves["decisions"] if not d["page_hash"]]
            decided = self._decided({target for target, _ in pageless})
            for table, moved in moves.items():
                self.db.executemany(f"UPDATE {table} SET sheet_id = ? WHERE id = ?",
                                    [(target, d["id"]) for target, d in moved])
            # A decision made without its item's page never overrides the receiver's own
            # decision on the item (kept, undone, as history, saying so: no reviewer undid
            # it), nor what its page reads.
            self.db.executemany("UPDATE decisions SET undone = 1, undone_reason = ? WHERE id = ?",
                                [(f"superseded on hand-over by decision {decided[target, d['item']]}", d["id"])
                                 for target, d in pageless if (target, d["item"]) in decided and not d["undone"]])
            for target in {target for target, _ in pageless}:
                hashes = self.db.execute("SELECT page_hashes FROM sheets WHERE sheet_id = ?", (target,)).fetchone()
                self._mark_stale_decisions(target, json.loads(hashes["page_hashes"]) if hashes else {})
            for row in self.db.execute("SELECT path, page, content_hash FROM pages WHERE sheet_id = ?",
                                       (sheet_id,)).fetchall():
                self.db.execute("UPDATE pages SET status = ?, sheet_id = ?, reason = ? WHERE path = ? AND page = ?",
                                (PageStatus.UNRECOGNISED.value, holder.get(row["content_hash"], ""),
                                 REPEATED_IMAGE, row["path"], row["page"]))
            self.db.execute("DELETE FROM results WHERE sheet_id = ?", (sheet_id,))
            self.db.execute("DELETE FROM sheets WHERE sheet_id = ?", (sheet_id,))
        return True

    def _keep_for_decisions(self, sheet_id: str) -> None:
        """Keep a replaced sheet for its decisions that have nowhere to go, saying why. No
        input page is its own now: it names none (first page 0: the page it began at may
        be another respondent's now), and what its pages read is no claim any more (each
        result to review, `Reason.PAGE_GONE`, the value read kept for the reviewer). Its
        decisions stand. Inside the caller's transaction."""
        sheet = self.db.execute("SELECT source, first_page, flags, page_hashes FROM sheets WHERE sheet_id = ?",
                                (sheet_id,)).fetchone()
        if not sheet["first_page"]:
            return  # kept so by an earlier run
        images = json.dumps(sorted(json.loads(sheet["page_hashes"]).values()))
        # Its images read elsewhere (in other sheets) were scanned again; none read: taken out of the files.
        read = self.db.execute("SELECT 1 FROM pages WHERE content_hash IN (SELECT value FROM json_each(?)) LIMIT 1",
                               (images,)).fetchone()
        flag = REPLACED_FLAG if read else pages_gone_flag(sheet["source"], sheet["first_page"])
        # Its colour and programme were read off pages no longer its: no claim either.
        self.db.execute("UPDATE sheets SET first_page = 0, colour = '', programme = '', flags = ? WHERE sheet_id = ?",
                        (json.dumps(json.loads(sheet["flags"]) + [flag]), sheet_id))
        results = self.db.execute("SELECT item, status, evidence FROM results WHERE sheet_id = ?",
                                  (sheet_id,)).fetchall()
        self.db.executemany(
            "UPDATE results SET status = ?, confidence = 0, reason = ?, evidence = ? WHERE sheet_id = ? AND item = ?",
            [(Status.REVIEW.value, Reason.PAGE_GONE.name,
              json.dumps({"read_as": r["status"]} | json.loads(r["evidence"])), sheet_id, r["item"]) for r in results])


@dataclass(frozen=True)
class ReplacedFile:
    """A file read before that holds none of the page images of its questionnaires now (a
    new batch saved under its name, or the same paper scanned again): what it held is
    replaced by what it holds now, its old pages kept in `pages_gone`."""

    source: str
    """Its name as given in this run."""
    sheets: int
    """The questionnaires read from it before."""
    pages: int
    """The pages it held that went to `pages_gone`."""


class ScanWrites:
    """A scan's pages and sheets, written to the store a chunk at a time.

    A transaction per page cost the parent more than anything else it does to store
    it. Each write is taken as it comes (its values as they are then) and the chunk is
    committed, writes in their order, in one transaction once it holds COMMIT_PAGES
    pages or its first write is COMMIT_SECONDS old, and on `flush`, which the scan calls
    whenever it waits for its workers: a busy parent commits in chunks, an idle one at
    once. After each commit the store is the one that committing write by write would
    have left, so a run killed between two commits is completed by a re-run as any
    other: it reads the pages of the lost chunk again. The write lock is held while a
    chunk is written, never while the scan waits for its workers.
    """

    def __init__(self, store: Store, reader_key: str):
        self.store = store
        self.reader_key = reader_key
        self._writes: list[tuple[Callable, tuple]] = []
        self._pages = 0
        self._since = 0.0
        self._last: dict[str, int] = {}
        """Each file's last page read (its path's): what it holds now."""
        self._unfinished: set[str] = set()
        """The files that gave a problem: their last page read need not be their last."""
        self._before: dict[str, list[sqlite3.Row]] = {}
        """Each file's rows as stored before this scan wrote any: the pages it held."""
        self._images: dict[str, set[str]] = {}
        """The page images each file holds now."""
        self._sources: dict[str, str] = {}
        """Each file's name as given in this run."""

    def page(self, row: PageRow, result: PageResult | None) -> None:
        """`Store.save_page`, committed with its chunk."""
        self._pages += 1
        if row.path not in self._before:
            self._before[row.path] = self.store._stored_rows(row.path)
            self._sources[row.path] = row.source
        if row.path and row.page:
            self._last[row.path] = max(row.page, self._last.get(row.path, 0))
            self._images.setdefault(row.path, set()).add(row.content_hash)
        if row.status is PageStatus.ERROR:
            self._unfinished.add(row.path)
        self._add(self.store._write_page, (_page_values(row), _reading_values(result, self.reader_key)))

    def sheet(self, sheet: Sheet, crops: dict[str, str]) -> None:
        """`Store.save_sheet`, committed with its chunk."""
        self._add(self.store._write_sheet, _sheet_values(sheet, crops))

    def _add(self, write: Callable, args: tuple) -> None:
        if not self._writes:
            self._since = time.monotonic()
        self._writes.append((write, args))
        if self._pages >= COMMIT_PAGES or time.monotonic() - self._since >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit the writes taken so far."""
        if not self._writes:
            return
        with self.store.transaction():
            for write, args in self._writes:
                write(*args)
        self._writes, self._pages = [], 0

    def finish(self) -> list[ReplacedFile]:
        """Commit the writes taken so far, the scan's last, and take out of the survey the
        pages that the files read hold no more: the page images no longer in them (taken
        out, or scanned again), and the places after their last page (read whole again,
        shorter). A file whose reading met a problem (moved or replaced when reopened, a
        share dropped) may hold more than was read: its other pages stay. The files whose
        questionnaires were all so replaced, for the scan to say so."""
        self.flush()
        read = set().union(*self._images.values())
        replaced = []
        with self.store.transaction():
            for path, last in self._last.items():
                if path not in self._unfinished:
                    gone = [row for row in self._before[path] if self._gone(row, path, last)]
                    self.store._drop_pages(path, last, gone)
                    replaced += self._replaced(path, gone, read)
        return replaced

    def _replaced(self, path: str, gone: list[tuple], read: set[str]) -> list[ReplacedFile]:
        """The file at `path` as replaced, when questionnaires were read from it before and
        this run reads none of their page images, in it or elsewhere (a file moved away,
        read at its new place, loses nothing); else nothing. Its `gone` rows are those
        it lost (`_gone`)."""
        used = [row for row in self._before[path] if row[2] == PageStatus.USED.value and row[3]]
        if not used or any(row[6] in read for row in used):
            return []
        return [ReplacedFile(self._sources[path], len({row[3] for row in used}), len(gone))]

    def _gone(self, row: sqlite3.Row, path: str, last: int) -> bool:
        """Whether the stored row `row` (`Store._stored_rows`) is a page the file at `path`
        no longer holds: its image is not in it now; a page that had none (it could not be
        read), when its place is past the file's end."""
        image = row["content_hash"]
        return image not in self._images[path] if image else row["page"] > last

    def flush_after_failure(self) -> None:
        """Commit what was taken before the scan failed, so that a re-run need not read it
        again; a failure to write it (the disk that failed the scan) is logged, not raised
        over the scan's own."""
        try:
            self.flush()
        except (OSError, sqlite3.Error) as exc:
            log.warning("the last %d pages read could not be stored (%s): a re-run reads them again",
                        self._pages, exc)
