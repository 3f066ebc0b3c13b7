"""The review web server, on 127.0.0.1 only, with the session's token (`scanner.webserver`).

Of the out folder only the CSVs and comment crops are served. The store is used from one
thread (sqlite connections belong to the thread that opened them, and one writer keeps
decisions in order); crops are drawn in the request threads, a few at a time; the CSVs
are written again by a child process a moment after the last decision.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, unquote, urlencode

from scanner.forms import Forms
from scanner.outputs import write_outputs
from scanner.results import Reason
from scanner.review import comments as c
from scanner.review import queue as q
from scanner.review.csvs import CsvChild, CsvChildError
from scanner.review.crops import PX_PER_MM, CropRenderer, CropUnavailable, boxes_in_crop, page_ref, region
from scanner.store import Store
from scanner.template import Template
from scanner.themes import ThemeError, codebook
from scanner.webserver import HttpError, LocalHandler, LocalServer

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.5
"""The CSVs are written this long after the last decision..."""
MAX_DELAY_S = 5.0
"""...or at the latest this long after the first unwritten one, when decisions keep coming.
Both grow with what a write costs (50 ms on a small survey, 5 s of CPU on 1,000 sheets):
a quiet spell as long as the last write, and at most a quarter of the time spent writing."""
CROP_WORKERS = max(2, os.cpu_count() or 1)
"""Crops drawn at once; other crop requests wait their turn. A crop is CPU work (numpy
and OpenCV, which release the interpreter lock): more at once than cores only makes
each slower and holds more pages in memory."""
STATIC = ("index.html", "review.js", "review.css")
SERVED_FILES = ("responses.csv", "items.csv", "pages.csv")
CROPS_DIR = "crops"
"""The out folder's files that `files/` serves: the CSVs and comment crops (JPEGs under
crops/), nothing else. Never the store: a plain read of survey.sqlite (or its -wal or
-shm) in this process would drop the POSIX locks SQLite holds on it here, and the next
process to close the store (the CSV writer) would then delete the live WAL, and with it
decisions already answered 200."""


class CsvWriter:
    """Writes the CSVs again a moment after the last decision (in a child process: see
    `scanner.review.csvs`)."""

    def __init__(self, out_dir: Path, template: Template | Forms):
        self._out_dir = out_dir
        self._forms = Forms.of(template)
        self._child = CsvChild(out_dir, "[" + ",".join(t.model_dump_json() for t in self._forms) + "]")
        self._write_lock = threading.Lock()
        self._changed = threading.Condition()
        self._dirty_since: float | None = None
        self._last_change = 0.0
        self._cost = 0.0
        self._failed = False
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="review-csv", daemon=True)
        self._thread.start()

    def changed(self) -> None:
        """The store changed: write the CSVs again shortly."""
        with self._changed:
            now = time.monotonic()
            self._last_change = now
            if self._dirty_since is None:
                self._dirty_since = now
            self._changed.notify()

    def _loop(self) -> None:
        with self._changed:
            while not self._stopping:
                if self._dirty_since is None:
                    self._changed.wait()
                    continue
                due = min(self._last_change + max(DEBOUNCE_S, self._cost),
                          self._dirty_since + max(MAX_DELAY_S, 4 * self._cost))
                if time.monotonic() < due:
                    self._changed.wait(due - time.monotonic())
                    continue
                self._dirty_since = None
                self._changed.release()
                try:
                    self.write()
                    self._failed = False
                except Exception:  # noqa: BLE001 - a failed write must not stop later ones
                    log.exception("could not write the CSVs; they are written again after the next decision")
                    self._failed = True  # and at the latest when the server stops
                finally:
                    self._changed.acquire()

    def write(self) -> None:
        """Write responses.csv, items.csv and pages.csv from the store, decisions applied."""
        with self._write_lock:
            self._cost = self._child.write()

    def _write_here(self) -> None:
        """The same, in this process: the last resort when the child cannot."""
        with self._write_lock, Store(self._out_dir) as store:
            write_outputs(store, self._forms, self._out_dir, pages=False)

    def flush(self) -> None:
        """Return once every change so far is in the CSVs."""
        with self._changed:
            pending = self._dirty_since is not None or self._failed
            self._dirty_since = None
        if not pending:
            with self._write_lock:  # a write under way
                return
        try:
            self.write()
        except CsvChildError as exc:
            log.warning("the CSV writer failed (%s); writing the CSVs here", exc)
            self._write_here()
        self._failed = False

    def close(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        self._thread.join()
        try:
            self.flush()
        finally:
            self._child.close()


class ReviewApp:
    """What the handlers call: the store on its own thread, crops, and the CSV writer.

    A survey of several forms is reviewed as one queue; each sheet's items are shown,
    cropped and checked as its own form has them.
    """

    def __init__(self, out_dir: str | Path, template: Template | Forms):
        self.out_dir = Path(out_dir).resolve()
        self.forms = Forms.of(template)
        self.template = self.forms.templates[0]
        """The first form's (the only one's, of a survey of one): `template_of` a sheet's."""
        self.fields = q.SurveyFields(self.forms)
        self.crops = CropRenderer(self.template)
        self.crop_slots = threading.BoundedSemaphore(CROP_WORKERS)
        self._local = threading.local()
        self.comments = c.CommentViews(self.forms)
        self._db = ThreadPoolExecutor(1, thread_name_prefix="review-store")
        try:
            self._db.submit(self._open).result()
        except BaseException:
            self._db.shutdown()
            raise
        self.csvs = CsvWriter(self.out_dir, self.forms)

    def _open(self) -> None:
        self._local.store = q.open_survey(self.out_dir, self.forms)

    def store_call(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """Run `fn(store, *args, **kwargs)` on the store's thread and return its result."""
        return self._db.submit(lambda: fn(self._local.store, *args, **kwargs)).result()

    def template_of(self, sheet_id: str) -> Template:
        """The template of the sheet's form.

        Raises:
            UnknownItem: no such sheet, or of no form of the survey.
        """
        return self.fields.of(self.store_call(q.sheet_form, sheet_id)).template

    def changed(self) -> None:
        """A decision was saved or undone: write the CSVs again shortly."""
        self.comments.changed()
        self.csvs.changed()

    def flush(self) -> None:
        """Write the CSVs now if a decision has not reached them yet."""
        self.csvs.flush()

    def close(self) -> None:
        try:
            self.csvs.close()
        finally:
            self._db.submit(lambda: self._local.store.close()).result()
            self._db.shutdown()


class ReviewServer(LocalServer):
    """`scanner review`'s server; `serve_forever()` until `shutdown()`."""

    cookie_prefix = "scanner-review"

    def __init__(self, out_dir: str | Path, template: Template | Forms, host: str = "127.0.0.1", port: int = 0):
        self.app = ReviewApp(out_dir, template)
        try:
            super().__init__(ReviewHandler, host, port)
        except BaseException:
            self.app.close()
            raise

    def server_close(self) -> None:
        super().server_close()
        self.app.close()


def _filters(params: dict[str, str]) -> q.Filters:
    return q.Filters(params.get("reason") or None, params.get("question") or None, params.get("programme") or None,
                     params.get("form") or None)


class ReviewHandler(LocalHandler):
    server: ReviewServer
    static_package = "scanner.review"
    static_files = STATIC

    def _answer_error(self, exc: Exception) -> bool:
        if isinstance(exc, q.DecisionConflict):
            self._json({"error": str(exc), "current": exc.current}, HTTPStatus.CONFLICT)
        elif isinstance(exc, (q.UnknownItem, CropUnavailable)):
            self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
        elif isinstance(exc, (q.InvalidDecision, ThemeError, c.BadRequest)):
            self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        else:
            return False
        return True

    # --- GET --------------------------------------------------------------------------
    def _get(self, rest: str, params: dict[str, str]) -> None:
        app = self.server.app
        if rest in ("", "index.html"):
            return self._static("index.html")
        if rest.startswith("static/"):
            return self._static(rest.removeprefix("static/"))
        if rest.startswith("files/"):
            return self._file(rest.removeprefix("files/"))
        routes = {
            "api/info": lambda: self._json(self._info()),
            "api/queue": lambda: self._json(
                [asdict(e) for e in app.store_call(q.waiting, app.fields, _filters(params))]),
            "api/status": lambda: self._json(app.store_call(q.status, app.fields)),
            "api/item": lambda: self._json(self._item(params)),
            "api/crop": lambda: self._crop(params),
            "api/check/sample": lambda: self._json([asdict(e) for e in app.store_call(
                q.check_sample, app.fields, _int(params.get("n"), 20), _int(params.get("seed"), None),
                _filters(params))]),
            "api/check/report": lambda: self._json(asdict(app.store_call(q.check_report))),
            "api/vocabulary": lambda: self._json(app.store_call(app.comments.vocabulary)),
            "api/themes": lambda: self._json([c.theme_dict(t) for t in app.store_call(codebook)]),
            "api/comments": lambda: self._json(app.store_call(app.comments.listing, params)),
            "api/comment": lambda: self._json(self._comment(params)),
        }
        if rest not in routes:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: /{rest}")
        routes[rest]()

    def _file(self, rel: str) -> None:
        """A file the page shows or links to (a comment's crop, the CSVs), by where it
        really is (links followed); nothing else of the out folder, nothing outside it."""
        out = self.server.app.out_dir
        try:
            path = (out / unquote(rel)).resolve()
        except (OSError, ValueError):  # a NUL byte, a loop of links
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such file: {rel}") from None
        if not path.is_relative_to(out):
            raise HttpError(HTTPStatus.FORBIDDEN, "refused: outside the survey's folder")
        name = path.relative_to(out)
        served = name.as_posix() in SERVED_FILES or (name.parts[:1] == (CROPS_DIR,) and path.suffix == ".jpg")
        if not served or not path.is_file():
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such file: {rel}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, path.read_bytes(), kind, cache="private, max-age=60")

    def _info(self) -> dict:
        """The survey: of several forms, their names as `form` and each form's own under `forms`."""
        forms = self.server.app.forms
        t = forms.templates[0]
        several = forms.several
        colours = list({(c.name, c.programme): c for f in forms for c in f.colours}.values())
        return {
            "form": forms.label if several else t.form, "version": "" if several else t.version,
            "title": "" if several else t.title,
            "forms": [{"form": f.form, "version": f.version, "title": f.title,
                       "questions": {x.number: x.stem for x in f.questions}} for f in forms],
            "out_dir": str(self.server.app.out_dir),
            "programmes": [{"code": k + 1, "colour": c.name, "programme": c.programme, "rgb": list(c.rgb)}
                           for k, c in enumerate(colours)],
            "reasons": {**{r.name: r.value for r in Reason}, q.STALE: q.reason_text(q.STALE)},
            "questions": {} if several else {x.number: x.stem for x in t.questions},
            "status": self.server.app.store_call(q.status, self.server.app.fields),
        }

    def _item(self, params: dict[str, str]) -> dict:
        app = self.server.app
        sheet, item, blind = params.get("sheet", ""), params.get("item", ""), params.get("blind") == "1"
        detail = app.store_call(q.item_detail, app.fields, sheet, item, blind=blind)
        t = app.template_of(sheet)
        found = region(t, item)
        page = found[0] if found else None
        hashes = app.store_call(_page_hashes, sheet)
        version = hashes.get(str(page), "") if page else ",".join(sorted(hashes.values()))
        query = {"sheet": sheet, "item": item, "v": version}
        if blind:
            query["blind"] = "1"
        detail["crop_url"] = None if (page and not version) else "api/crop?" + urlencode(query)
        if detail["kind"] == q.Kind.COMMENT.value:
            # The transcription view's image: the zone as scanned, large and in colour.
            detail["zone_url"] = detail["crop_url"] and detail["crop_url"] + "&zone=1"
            if not blind:
                detail["unsure"] = c.unsure_words(detail["guess"] or "", detail["evidence"])
        if detail["kind"] == q.Kind.COMMENT.value and detail["crop"] and (app.out_dir / detail["crop"]).is_file():
            detail["crop_url"] = "files/" + quote(detail["crop"]) + "?" + urlencode({"v": version})
        detail["boxes"] = boxes_in_crop(t, item)
        detail["crop_px"] = [round(found[1][2] * PX_PER_MM), round(found[1][3] * PX_PER_MM)] if found else None
        return detail

    def _comment(self, params: dict[str, str]) -> dict:
        """A comment's card for the coding view, with the address of its image."""
        app = self.server.app
        sheet, item = params.get("sheet", ""), params.get("item", "")
        card = app.store_call(app.comments.card, sheet, item, params.get("coder", ""))
        version = app.store_call(_page_hashes, sheet).get(str(region(app.template_of(sheet), item)[0]), "")
        card["crop_url"] = ("files/" + quote(card["crop"]) + "?" + urlencode({"v": version})
                            if card["crop"] and (app.out_dir / card["crop"]).is_file() else None)
        return card

    def _crop(self, params: dict[str, str]) -> None:
        app = self.server.app
        sheet, item, blind = params.get("sheet", ""), params.get("item", ""), params.get("blind") == "1"
        t = app.template_of(sheet)
        crops = app.crops.of(t)
        found = region(t, item)
        if item == q.PROGRAMME:
            ref = app.store_call(_first_page_ref, sheet)
            with app.crop_slots:
                png = crops.page_png(ref)
        elif found is None:
            raise q.UnknownItem(f"{item!r} is not an item of form {t.form}")
        else:
            ref, evidence = app.store_call(_item_page_ref, sheet, item, found[0])
            scores = None if blind else evidence.get("scores", {})
            zone = params.get("zone") == "1" and any(zone.id == item for zone in t.comments)
            with app.crop_slots:
                png = (crops.zone_png(ref, item) if zone
                       else crops.item_png(ref, item, scores, evidence.get("mark_threshold")))
        # The address carries the page's content hash, so a cached crop is never out of date.
        self._send(HTTPStatus.OK, png, "image/png", cache="private, max-age=3600")

    # --- POST -------------------------------------------------------------------------
    def _post(self, rest: str, params: dict[str, str]) -> None:
        app = self.server.app
        if rest == "api/decision":
            data = self._body()
            outcome = data.get("outcome")
            try:
                outcome = q.Outcome(outcome) if outcome else None
            except ValueError:
                raise HttpError(HTTPStatus.BAD_REQUEST, f"unknown outcome {outcome!r}") from None
            seen = data.get("seen")
            if seen is not None and not _is_id(seen):
                raise HttpError(HTTPStatus.BAD_REQUEST, "seen must be a decision id or null")
            decision = app.store_call(q.record_decision, app.fields, str(data.get("sheet_id", "")),
                                      str(data.get("item", "")), str(data.get("value") or ""),
                                      str(data.get("reviewer") or ""), seen, outcome)
            app.changed()
            return self._json(decision)
        if rest == "api/undo":
            data = self._body()
            if not _is_id(data.get("id")):
                raise HttpError(HTTPStatus.BAD_REQUEST, "name the decision to undo by its id")
            result = app.store_call(q.undo_decision, data["id"], str(data.get("reviewer") or ""))
            app.changed()
            return self._json(result)
        if rest == "api/coding":
            return self._json(app.store_call(app.comments.apply_coding, self._body()))
        if rest == "api/coding/undo":
            return self._json(app.store_call(c.undo_coding, self._body()))
        if rest == "api/theme":
            return self._json(app.store_call(c.save_theme, self._body()))
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such action: /{rest}")


def _is_id(value: Any) -> bool:
    """A decision id as JSON can carry one: a whole number SQLite can hold (not `true`)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _int(text: str | None, default: int | None) -> int | None:
    if text in (None, ""):
        return default
    try:
        return int(text)
    except ValueError:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{text!r} is not a whole number") from None


def _page_hashes(store: Store, sheet_id: str) -> dict[str, str]:
    row = store.db.execute("SELECT page_hashes FROM sheets WHERE sheet_id = ?", (sheet_id,)).fetchone()
    return json.loads(row["page_hashes"]) if row else {}


def _item_page_ref(store: Store, sheet_id: str, item: str, form_page: int):
    row = store.db.execute("SELECT evidence FROM results WHERE sheet_id = ? AND item = ?", (sheet_id, item)).fetchone()
    if row is None:
        raise q.UnknownItem(f"no item {item!r} on sheet {sheet_id!r} in this survey")
    return page_ref(store, sheet_id, form_page), json.loads(row["evidence"] or "{}")


def _first_page_ref(store: Store, sheet_id: str):
    hashes = _page_hashes(store, sheet_id)
    if not hashes:
        raise q.UnknownItem(f"no sheet {sheet_id!r} in this survey")
    return page_ref(store, sheet_id, min(int(p) for p in hashes))
