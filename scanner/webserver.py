"""The browser pages' web server: the standard library's http.server, on 127.0.0.1 only.

Shared by `scanner review` and `scanner template edit`. Every request must carry the
session's random token, as the first part of its path or in the cookie a browser gets
for a one-time address, and a Host header naming this server (so that a page on another
site cannot reach it, even through DNS rebinding); a change must not come from another
site's page (Origin).
"""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
import re
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from scanner.errors import UsageError

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
LOGIN_PATH = "login"
LOGIN_TTL_S = 300.0
"""A one-time address is good this long: time for a browser to start, no longer."""
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'",
}


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class Redirect(Exception):
    """Answer with a redirect (and maybe a cookie) instead of a page."""

    def __init__(self, status: HTTPStatus, location: str, cookie: str | None = None):
        super().__init__(location)
        self.status = status
        self.location = location
        self.cookie = cookie


class LocalServer(ThreadingHTTPServer):
    """A server on the loopback interface whose every request needs the session's token.

    `url` holds the token, for programs and for `--no-browser`; a browser is better sent
    to `login_url()`, which is spent on first use and leaves a cookie.
    """

    daemon_threads = True
    request_queue_size = 1024
    """The listen backlog (the kernel caps it at net.core.somaxconn). http.server's 5
    reset a quarter of 100 connections opened at once: a team of reviewers' browsers,
    each loading ahead on several connections, open that many."""
    cookie_prefix = "scanner"

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0):
        self.token = secrets.token_urlsafe(24)
        try:
            super().__init__((host, port), handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port") from None
        port = self.server_address[1]
        self.allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}
        self.url = f"http://127.0.0.1:{port}/{self.token}/"
        self.cookie_name = f"{self.cookie_prefix}-{port}"  # cookies ignore ports: one name per server
        self._login_codes: dict[str, float] = {}
        self._login_lock = threading.Lock()

    def login_url(self) -> str:
        """A one-time address for a browser: its code is exchanged, once and within
        LOGIN_TTL_S, for the session's cookie, so that a browser's command line (which
        other users of the machine can read) never holds the token itself."""
        code = secrets.token_urlsafe(24)
        with self._login_lock:
            self._login_codes[code] = time.monotonic() + LOGIN_TTL_S
        return f"http://127.0.0.1:{self.server_address[1]}/{LOGIN_PATH}?{urlencode({'code': code})}"

    def redeem(self, code: str) -> bool:
        """Spend a one-time code; whether it was good."""
        with self._login_lock:
            expires = self._login_codes.pop(code, None)
            now = time.monotonic()
            self._login_codes = {c: t for c, t in self._login_codes.items() if t > now}
        return expires is not None and now < expires

    def session_cookie(self) -> str:
        """The Set-Cookie value: the token, out of reach of scripts and of other sites."""
        return f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict"

    def handle_error(self, request, client_address) -> None:
        """A connection the browser dropped is no error worth a traceback on the terminal."""
        log.debug("web server: request from %s failed", client_address, exc_info=True)


class LocalHandler(BaseHTTPRequestHandler):
    """The plumbing of a `LocalServer`'s requests: the token, the checks, JSON in and out.

    Subclasses give `_get` and `_post` (the path after the token, and the query), and
    may map their own exceptions to answers in `_answer_error`.
    """

    server: LocalServer
    protocol_version = "HTTP/1.1"
    timeout = 60.0
    """Seconds a connection may wait for its next request (or a slow read or write)
    before it is closed: a tab left open or a half-open socket would otherwise hold one of
    the server's threads for as long as it runs. A browser simply opens a new one."""
    disable_nagle_algorithm = True
    """Headers and body go out as separate writes: with Nagle's algorithm and the
    browser's delayed ACK, each keep-alive response would wait 40 ms."""
    static_package = ""
    static_files: tuple[str, ...] = ()
    """The page's own files, served from the package's static/ folder."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def _get(self, rest: str, params: dict[str, str]) -> None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: /{rest}")

    def _post(self, rest: str, params: dict[str, str]) -> None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such action: /{rest}")

    def _answer_error(self, exc: Exception) -> bool:
        """Answer an exception of the subclass's own; whether it did."""
        return False

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        if status >= 400:
            self.close_connection = True  # a refused request's body may be unread
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8")

    def _static(self, name: str) -> None:
        if name not in self.static_files:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: {name}")
        body = resources.files(self.static_package).joinpath("static", name).read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, body, f"{kind}; charset=utf-8", cache="no-cache")

    def _route(self) -> tuple[str, dict[str, str]]:
        """Check the Host header, the origin of a change, and the token (at the start of
        the path, or in the cookie); the path after the token, and the query."""
        host = self.headers.get("Host", "")
        if host not in self.server.allowed_hosts:
            raise HttpError(HTTPStatus.FORBIDDEN, f"refused: Host {host!r} is not this server")
        origin = self.headers.get("Origin")
        if self.command == "POST" and origin is not None and origin not in self.server.allowed_origins:
            raise HttpError(HTTPStatus.FORBIDDEN, f"refused: a change asked from another site ({origin!r})")
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path.lstrip("/")
        token, slash, rest = path.partition("/")
        if hmac.compare_digest(token.encode(), self.server.token.encode()):
            if not slash:  # the page's relative addresses need the slash after the token
                raise Redirect(HTTPStatus.MOVED_PERMANENTLY, self.server.url)
            return rest, params
        if path == LOGIN_PATH and self.command == "GET":
            self._login(params.get("code", ""))
        if not self._has_session_cookie():
            raise HttpError(HTTPStatus.FORBIDDEN, "refused: the address lacks this session's token")
        return path, params

    def _login(self, code: str) -> None:
        """Exchange a one-time code for the cookie, and go to the page (at "/", no token)."""
        if self.server.redeem(code):
            raise Redirect(HTTPStatus.SEE_OTHER, "/", self.server.session_cookie())
        if self._has_session_cookie():  # the code is spent, but by this browser
            raise Redirect(HTTPStatus.SEE_OTHER, "/")
        raise HttpError(HTTPStatus.FORBIDDEN, "refused: this one-time address is used or out of date; "
                                              "open the address the command printed")

    def _has_session_cookie(self) -> bool:
        for header in self.headers.get_all("Cookie") or []:
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                if name == self.server.cookie_name and hmac.compare_digest(value.encode(), self.server.token.encode()):
                    return True
        return False

    def _redirect(self, redirect: Redirect) -> None:
        self.send_response(redirect.status)
        self.send_header("Location", redirect.location)
        if redirect.cookie:
            self.send_header("Set-Cookie", redirect.cookie)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _handle(self, method: Callable[[str, dict[str, str]], None]) -> None:
        try:
            rest, params = self._route()
            method(rest, params)
        except Redirect as redirect:
            self._redirect(redirect)
        except HttpError as exc:
            self._json({"error": str(exc)}, exc.status)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - one bad request must not take the server down
            if not self._answer_error(exc):
                log.exception("web server: %s %s failed", self.command, self.path)
                self._json({"error": "internal error; see the server's log"}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._handle(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._handle(self._post)

    def _body(self) -> dict:
        if self.headers.get_content_type() != "application/json":
            raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)")
        length = self._content_length()
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
            # JSON can escape half a UTF-16 pair ("\ud800"), which no text in the store can hold.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
            raise HttpError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HttpError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return data

    def _content_length(self) -> int:
        """The body's length, as digits only: int() would take "-1" (read to the end of
        the stream, unbounded), "+5" or "1_0"."""
        values = self.headers.get_all("Content-Length") or []
        if "Transfer-Encoding" in self.headers:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not in chunks")
        if len(values) > 1 or (values and not re.fullmatch(r"[0-9]{1,12}", values[0])):
            raise HttpError(HTTPStatus.BAD_REQUEST, "Content-Length must be one whole number of bytes")
        length = int(values[0]) if values else 0
        if length > MAX_BODY:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
        return length
