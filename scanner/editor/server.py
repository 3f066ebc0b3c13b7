"""`scanner template edit`'s web server: the page, the page images, and the editing API.

On 127.0.0.1 only, with the session's token, as the review server
(`scanner.webserver`). One template is open; edits are made one at a time (a lock),
so a script and a browser driving it at once see each other's edits in order.

API (every address after the token, JSON in and out):

- ``GET api/state``: the template's data, its problems (YAML path, what is wrong), its
  pages, whether there is an edit to undo and one unsaved.
- ``GET page/N.png``: page N's reference image.
- ``GET api/detect?page=N&x=MM&y=MM[&kind=box|zone]``: the printed shape there.
- ``POST api/edit`` with ``{"op": ..., ...}``: one edit (`scanner.editor.document.EDITS`,
  and ``undo``); answers the new state, or 400 saying why the edit cannot be made.
- ``POST api/save``: write the file when the template is valid; else its problems.
"""

from __future__ import annotations

import re
import threading
from http import HTTPStatus
from pathlib import Path

from scanner.editor.document import EditError, SaveConflict, TemplateDocument
from scanner.webserver import HttpError, LocalHandler, LocalServer

STATIC = ("index.html", "editor.js", "editor.css")


class EditorServer(LocalServer):
    """`scanner template edit`'s server; `serve_forever()` until `shutdown()`."""

    cookie_prefix = "scanner-edit"

    def __init__(self, template_path: str | Path, host: str = "127.0.0.1", port: int = 0):
        self.document = TemplateDocument(template_path)
        self.lock = threading.Lock()
        super().__init__(EditorHandler, host, port)


class EditorHandler(LocalHandler):
    server: EditorServer
    static_package = "scanner.editor"
    static_files = STATIC

    def _answer_error(self, exc: Exception) -> bool:
        if isinstance(exc, EditError):
            self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        elif isinstance(exc, SaveConflict):
            self._json({"error": str(exc)}, HTTPStatus.CONFLICT)
        else:
            return False
        return True

    def _get(self, rest: str, params: dict[str, str]) -> None:
        doc = self.server.document
        if rest in ("", "index.html"):
            return self._static("index.html")
        if rest.startswith("static/"):
            return self._static(rest.removeprefix("static/"))
        page = re.fullmatch(r"page/([0-9]{1,4})\.png", rest)
        if page:
            with self.server.lock:
                png = doc.page_png(int(page.group(1)))
            return self._send(HTTPStatus.OK, png, "image/png", cache="private, max-age=600")
        if rest == "api/state":
            with self.server.lock:
                return self._json(doc.state())
        if rest == "api/detect":
            kind = params.get("kind") or None
            if kind not in (None, "box", "zone"):
                raise HttpError(HTTPStatus.BAD_REQUEST, "kind is box or zone")
            with self.server.lock:
                return self._json(doc.detect(_number(params, "page", int), _number(params, "x", float),
                                             _number(params, "y", float), kind))
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: /{rest}")

    def _post(self, rest: str, params: dict[str, str]) -> None:
        doc = self.server.document
        if rest == "api/edit":
            edit = self._body()
            with self.server.lock:
                return self._json(doc.apply(edit))
        if rest == "api/save":
            self._body()  # a change comes as JSON, which another site's form cannot send
            with self.server.lock:
                result = doc.save()
                return self._json({**result, "state": doc.state()})
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such action: /{rest}")


def _number(params: dict[str, str], name: str, kind: type) -> int | float:
    try:
        return kind(params[name])
    except (KeyError, ValueError):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"give {name} as a number") from None
