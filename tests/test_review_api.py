"""The review server's HTTP API: every endpoint, and every request it must refuse."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pandas as pd
import pytest
from review_survey import (CSV_WAIT_S, FAINT_ITEM, MULTIPLE_ITEM, WRITTEN_COMMENT, cached_survey, copy_survey,
                           running)

from scanner import webserver
from scanner.review.server import CROP_WORKERS
from scanner.store import Store


@pytest.fixture
def out(template, tmp_path_factory, tmp_path):
    return copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()), tmp_path / "out")


@pytest.fixture
def server(out, template):
    """A server of its own, for tests that decide."""
    with running(out, template) as s:
        yield s


@pytest.fixture(scope="module")
def shared(template, tmp_path_factory):
    """One server for the tests that only read or are refused."""
    base = tmp_path_factory.getbasetemp()
    out = copy_survey(cached_survey(template, base), tmp_path_factory.mktemp("shared") / "out")
    with running(out, template) as s:
        yield s


class Response:
    def __init__(self, raw: http.client.HTTPResponse):
        self.status = raw.status
        self.headers = raw.headers
        self.body = raw.read()

    def json(self):
        return json.loads(self.body)


def call(server, method: str, path: str, body=None, *, token: str | None = None, host: str | None = None,
         content_type: str = "application/json", raw_body: bytes | None = None, length: int | str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 10) -> Response:
    """One request, the path sent exactly as given (no normalisation of `..`)."""
    port = server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        full = f"/{server.token if token is None else token}/{path}" if token != "" else f"/{path}"
        conn.putrequest(method, full, skip_host=True, skip_accept_encoding=True)
        if host != "":
            conn.putheader("Host", host or f"127.0.0.1:{port}")
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        if method == "POST":
            conn.putheader("Content-Type", content_type)
            conn.putheader("Content-Length", str(len(data) if length is None else length))
        conn.endheaders(data or None)
        return Response(conn.getresponse())
    finally:
        conn.close()


def get(server, path, **kw):
    return call(server, "GET", path, **kw)


def post(server, path, body=None, **kw):
    return call(server, "POST", path, body, **kw)


def sheets(server):
    return [e["sheet_id"] for e in get(server, "api/queue").json()]


# --- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["", "api/info", "api/queue", "static/review.js", "files/items.csv"])
def test_requests_without_the_token_are_refused(shared, path):
    r = get(shared, path, token="")
    assert r.status == 403 and "token" in r.json()["error"]


@pytest.mark.parametrize("wrong", ["x", "notthetoken", "TOKEN_PREFIX"])
def test_requests_with_another_token_are_refused(shared, wrong):
    token = shared.token[:-1] if wrong == "TOKEN_PREFIX" else wrong
    assert get(shared, "api/info", token=token).status == 403
    assert post(shared, "api/decision", {}, token=token).status == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "127.0.0.1:1", ""])
def test_requests_for_another_host_are_refused(shared, host):
    # A page on another site reaching 127.0.0.1 through DNS rebinding sends its own Host.
    port = shared.server_address[1]
    r = get(shared, "api/info", host=host.format(port=port))
    assert r.status == 403 and "Host" in r.json()["error"]


def test_localhost_is_this_server_too(shared):
    assert get(shared, "api/info", host=f"localhost:{shared.server_address[1]}").status == 200


@pytest.mark.parametrize("path", [
    "files/../batch.pdf", "files/../../../../../etc/passwd", "files/%2e%2e/batch.pdf",
    "files/..%2f..%2fetc%2fpasswd", "files//etc/passwd", "files/%2Fetc%2Fpasswd", "files/crops/../../batch.pdf",
])
def test_files_outside_the_out_folder_are_refused(shared, path):
    r = get(shared, path)
    assert r.status == 403 and "outside" in r.json()["error"]


def test_a_link_out_of_the_out_folder_is_refused(server, out):
    os.symlink(out.parent.parent, out / "escape")
    assert get(server, "files/escape/out/items.csv").status == 403


@pytest.mark.parametrize("path", ["files/survey.sqlite", "files/survey.sqlite-wal", "files/survey.sqlite-shm",
                                  "files/./survey.sqlite", "files/crops/../survey.sqlite", "files/crops",
                                  "files/%73urvey.sqlite", "files/", "files/."])
def test_the_store_is_never_served(shared, path):
    # A plain read of the store in the server's process drops SQLite's locks there (see
    # test_review_kill.py for what that cost); the page needs only the CSVs and crops.
    assert get(shared, path).status == 404


def test_a_link_to_the_store_among_the_crops_is_not_served(server, out):
    os.symlink(out / "survey.sqlite", out / "crops" / "store.jpg")
    assert get(server, "files/crops/store.jpg").status == 404


def test_files_of_the_out_folder_are_served(server, out):
    r = get(server, "files/items.csv")
    assert r.status == 200 and r.body.startswith(b"sheet_id,item,value,status")
    crop = next(Path(out, "crops").rglob("*.jpg")).relative_to(out).as_posix()
    r = get(server, f"files/{crop}")
    assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
    assert get(server, "files/nothing.csv").status == 404


def test_static_files_and_nothing_else(shared):
    r = get(shared, "")
    assert r.status == 200 and b"static/review.js" in r.body and r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert get(shared, "static/review.js").headers["Content-Type"].split(";")[0] in ("text/javascript",
                                                                                     "application/javascript")
    assert get(shared, "static/review.css").status == 200
    assert get(shared, "static/shared.py").status == 404
    assert get(shared, "static/../shared.py").status == 404
    assert get(shared, "api/nothing").status == 404
    assert post(shared, "api/nothing", {}).status == 404


def test_the_token_alone_redirects_to_the_page(shared):
    port = shared.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/{shared.token}")
    r = conn.getresponse()
    assert r.status == 301 and r.headers["Location"] == shared.url
    conn.close()


def _login_path(server) -> str:
    url = urlsplit(server.login_url())
    assert server.token not in url.geturl()
    return f"{url.path.lstrip('/')}?{url.query}"


def test_a_one_time_address_leaves_a_cookie_and_is_spent(shared):
    path = _login_path(shared)
    r = get(shared, path, token="")
    assert r.status == 303 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    pair = cookie.split(";")[0]
    assert get(shared, "", token="", headers={"Cookie": pair}).status == 200
    assert get(shared, "api/info", token="", headers={"Cookie": f"other=1; {pair}"}).status == 200
    assert get(shared, path, token="").status == 403  # spent
    assert get(shared, path, token="", headers={"Cookie": pair}).status == 303  # spent, but by this browser


@pytest.mark.parametrize("cookie", ["{name}=", "{name}={token}x", "{name}x={token}", "scanner-review-1={token}",
                                    "{token}"])
def test_requests_with_another_cookie_are_refused(shared, cookie):
    value = cookie.format(name=shared.cookie_name, token=shared.token)
    assert get(shared, "api/info", token="", headers={"Cookie": value}).status == 403


def test_a_one_time_address_is_good_for_a_few_minutes_only(shared, monkeypatch):
    monkeypatch.setattr(webserver, "LOGIN_TTL_S", -1.0)
    assert get(shared, _login_path(shared), token="").status == 403
    assert get(shared, "login?code=", token="").status == 403


def test_a_connection_left_idle_is_closed(server, monkeypatch):
    """A browser that opens a connection and never sends on it (a tab left open, a
    half-open socket) must not hold one of the server's threads for ever."""
    assert 0 < webserver.LocalHandler.timeout <= 300
    monkeypatch.setattr(webserver.LocalHandler, "timeout", 0.5)
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as idle:
        started = time.monotonic()
        assert idle.recv(1) == b""  # the server hung up
    assert time.monotonic() - started < 5


# --- reading the queue --------------------------------------------------------------------------
def test_info_names_the_form_programmes_and_reasons(shared):
    info = get(shared, "api/info").json()
    assert info["form"] == "surestart-multiagency"
    assert [p["programme"] for p in info["programmes"]][:2] == ["Programme A", "Programme B"]
    assert "FAINT" in info["reasons"] and "STALE" in info["reasons"]
    assert info["status"]["waiting"] == 4


def test_queue_and_its_filters(shared):
    assert [e["item"] for e in get(shared, "api/queue").json()] == [MULTIPLE_ITEM, FAINT_ITEM, WRITTEN_COMMENT,
                                                                   "programme"]
    assert [e["item"] for e in get(shared, "api/queue?reason=ERASED").json()] == [FAINT_ITEM]
    assert [e["item"] for e in get(shared, "api/queue?question=1").json()] == [MULTIPLE_ITEM, WRITTEN_COMMENT]
    assert [e["item"] for e in get(shared, "api/queue?programme=%28unknown%29").json()] == ["programme"]


def test_status_counts(shared):
    s = get(shared, "api/status").json()
    assert s["waiting"] == 4 and s["by_question"]["1"] == 2 and s["check"]["checked"] == 0


def test_item_detail_with_its_crop_and_boxes(shared):
    sheet = sheets(shared)[0]
    d = get(shared, f"api/item?sheet={sheet}&item={FAINT_ITEM}").json()
    assert d["guess"] == "1" and d["reason"] == "ERASED" and len(d["boxes"]) == 3 and d["decision"] is None
    assert d["crop_url"].startswith("api/crop?")
    r = get(shared, d["crop_url"])
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    image = cv2.imdecode(np.frombuffer(r.body, np.uint8), cv2.IMREAD_COLOR)
    assert [image.shape[1], image.shape[0]] == d["crop_px"]
    blind = get(shared, f"api/item?sheet={sheet}&item={FAINT_ITEM}&blind=1").json()
    assert "guess" not in blind and "blind=1" in blind["crop_url"]
    assert get(shared, blind["crop_url"]).status == 200
    comment = get(shared, f"api/item?sheet={sheet}&item={WRITTEN_COMMENT}").json()
    assert comment["crop_url"].startswith("files/crops/") and get(shared, comment["crop_url"]).status == 200


def test_programme_detail_and_page_thumbnail(shared):
    sheet = sheets(shared)[-1]
    d = get(shared, f"api/item?sheet={sheet}&item=programme").json()
    assert d["kind"] == "programme" and len(d["paper_rgb"]) == 3 and d["options"][0]["rgb"]
    r = get(shared, d["crop_url"])
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("query", ["sheet=nosuch&item=q02", "sheet={sheet}&item=q99", "sheet={sheet}&item="])
def test_unknown_items_are_not_found(shared, query):
    q = query.format(sheet=sheets(shared)[0])
    assert get(shared, f"api/item?{q}").status == 404
    assert get(shared, f"api/crop?{q}").status == 404


# --- deciding -------------------------------------------------------------------------------------
def decision(sheet, item=FAINT_ITEM, value="1", reviewer="Ann", seen=None, **extra):
    return {"sheet_id": sheet, "item": item, "value": value, "reviewer": reviewer, "seen": seen, **extra}


def test_a_decision_is_saved_and_leaves_the_queue(server):
    sheet = sheets(server)[0]
    r = post(server, "api/decision", decision(sheet))
    assert r.status == 200
    saved = r.json()
    assert saved["value"] == "1" and saved["reviewer"] == "Ann" and saved["outcome"] == "value"
    assert FAINT_ITEM not in [e["item"] for e in get(server, "api/queue").json()]
    assert get(server, f"api/item?sheet={sheet}&item={FAINT_ITEM}").json()["decision"]["id"] == saved["id"]


def test_a_second_reviewer_gets_409_and_the_first_decision_stands(server):
    sheet = sheets(server)[0]
    first = post(server, "api/decision", decision(sheet, value="1", reviewer="Ann")).json()
    r = post(server, "api/decision", decision(sheet, value="3", reviewer="Bob", seen=None))
    assert r.status == 409
    assert r.json()["current"]["id"] == first["id"] and "Ann" in r.json()["error"]
    assert get(server, f"api/item?sheet={sheet}&item={FAINT_ITEM}").json()["decision"]["value"] == "1"
    # Against the decision he was shown, Bob's change is taken.
    r = post(server, "api/decision", decision(sheet, value="3", reviewer="Bob", seen=first["id"]))
    assert r.status == 200 and r.json()["value"] == "3"
    assert post(server, "api/decision", decision(sheet, value="2", reviewer="Cy", seen=first["id"])).status == 409


def test_undo(server):
    sheet = sheets(server)[0]
    made = post(server, "api/decision", decision(sheet)).json()
    assert post(server, "api/undo", {"id": made["id"], "reviewer": "Bob"}).status == 409
    r = post(server, "api/undo", {"id": made["id"], "reviewer": "Ann"})
    assert r.status == 200 and r.json()["decision"] is None
    assert FAINT_ITEM in [e["item"] for e in get(server, "api/queue").json()]
    assert post(server, "api/undo", {"id": made["id"], "reviewer": "Ann"}).status == 409
    assert post(server, "api/undo", {"id": 9999, "reviewer": "Ann"}).status == 404
    assert post(server, "api/undo", {"reviewer": "Ann"}).status == 400
    # After an undo the item is decided against "no decision" again.
    assert post(server, "api/decision", decision(sheet, seen=made["id"])).status == 409
    assert post(server, "api/decision", decision(sheet, seen=None)).status == 200


@pytest.mark.parametrize(("body", "status"), [
    ({"value": "7"}, 400), ({"value": "x"}, 400), ({"reviewer": ""}, 400), ({"outcome": "maybe"}, 400),
    ({"seen": "3"}, 400), ({"item": "q99"}, 404), ({"sheet_id": "nosuch"}, 404),
    ({"item": "programme", "value": "Programme Z"}, 400),
])
def test_bad_decisions_are_refused(server, body, status):
    sheet = sheets(server)[0]
    r = post(server, "api/decision", {**decision(sheet), **body})
    assert r.status == status and r.json()["error"]
    assert get(server, "api/status").json()["decided"] == 0


def test_bodies_that_are_not_json_objects_are_refused(shared):
    assert post(shared, "api/decision", raw_body=b"value=1").status == 400
    assert post(shared, "api/decision", raw_body=b"[1, 2]").status == 400
    assert post(shared, "api/decision", {"value": "1"}, content_type="text/plain").status == 415
    assert post(shared, "api/decision", raw_body=b"{}", length=1_000_001).status == 413  # refused unread


@pytest.mark.parametrize("length", ["-1", "abc", "+2", "1_0", "0x2", "2, 2"])
def test_a_content_length_that_is_not_a_plain_number_is_refused(shared, length):
    # -1 used to read the stream to its end, past the 1 MB limit; abc was a 500.
    r = post(shared, "api/decision", raw_body=b"{}", length=length)
    assert r.status == 400 and "Content-Length" in r.json()["error"]


@pytest.mark.parametrize("field", ["sheet_id", "reviewer", "value"])
def test_half_a_utf16_pair_is_refused(server, field):
    body = json.dumps({**decision(sheets(server)[0]), field: "?"}).replace('"?"', '"\\ud800"').encode()
    assert post(server, "api/decision", raw_body=body).status == 400
    assert post(server, "api/undo", raw_body=b'{"id": 1, "reviewer": "\\udfff"}').status == 400


def test_json_nested_too_deep_is_refused(shared):
    deep = b"[" * 100_000 + b"]" * 100_000
    assert post(shared, "api/decision", raw_body=deep).status == 400
    assert post(shared, "api/undo", raw_body=b'{"id": ' + deep + b"}").status == 400


@pytest.mark.parametrize("bad", [10**30, 2**63, 0, -1, True, 1.5, "1"])
def test_decision_ids_that_sqlite_cannot_hold_are_refused(server, bad):
    assert post(server, "api/undo", {"id": bad, "reviewer": "Ann"}).status == 400
    assert post(server, "api/decision", decision(sheets(server)[0], seen=bad)).status == 400
    assert get(server, "api/status").json()["decided"] == 0


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}"])
def test_changes_asked_from_another_site_are_refused(server, origin):
    sheet = sheets(server)[0]
    port = server.server_address[1]
    r = post(server, "api/decision", decision(sheet), headers={"Origin": origin.format(port=port)})
    assert r.status == 403 and "another site" in r.json()["error"]
    assert post(server, "api/undo", {"id": 1, "reviewer": "Ann"}, headers={"Origin": "null"}).status == 403
    assert get(server, "api/status").json()["decided"] == 0
    for own in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        mine = post(server, "api/decision", decision(sheet, reviewer="Ann", seen=None), headers={"Origin": own})
        assert mine.status in (200, 409)


def test_the_decisions_of_a_team_at_once_all_get_an_answer(server, out):
    """100 reviewers' requests arrive at once: none is reset (the listen backlog was 5)."""
    with Store(out) as store:
        keys = [tuple(r) for r in store.db.execute("SELECT sheet_id, item FROM results WHERE item != 'programme' "
                                                   "AND item NOT LIKE '%comment' LIMIT 100")]
    assert len(keys) == 100
    start = threading.Barrier(100)

    def decide(key) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        start.wait()
        try:
            conn.request("POST", f"/{server.token}/api/decision", json.dumps(decision(key[0], key[1], "1")),
                         {"Content-Type": "application/json"})
            return conn.getresponse().status
        except OSError as exc:
            return type(exc).__name__
        finally:
            conn.close()

    with ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(decide, keys))
    assert answers == [200] * 100


def test_crops_asked_at_once_are_drawn_a_few_at_a_time(shared, monkeypatch):
    app = shared.app
    drawing, most = [], []
    real = type(app.crops).item_png

    def counted(renderer, *args, **kwargs):
        # The real drawing, counted: how many are under way at once.
        drawing.append(1)
        most.append(len(drawing))
        try:
            return real(renderer, *args, **kwargs)
        finally:
            drawing.pop()

    monkeypatch.setattr(type(app.crops), "item_png", counted)
    sheet = sheets(shared)[0]
    # Four times as many as may be drawn at once: enough to crowd the slots. The last is
    # answered after the others are drawn, so its wait grows with the machine's load.
    items = [i.id for i in app.template.items][:4 * CROP_WORKERS]
    with ThreadPoolExecutor(len(items)) as pool:
        statuses = list(pool.map(lambda item: get(shared, f"api/crop?sheet={sheet}&item={item}", timeout=300).status,
                                 items))
    assert statuses == [200] * len(items)
    assert max(most) <= CROP_WORKERS


def test_decisions_reach_the_csvs_soon(server, out):
    queue = get(server, "api/queue").json()
    first, second = queue[0]["sheet_id"], queue[-1]["sheet_id"]
    assert post(server, "api/decision", decision(first, MULTIPLE_ITEM, "", outcome="invalid")).status == 200
    assert post(server, "api/decision", decision(second, "programme", "Programme C")).status == 200
    deadline = time.monotonic() + CSV_WAIT_S
    while time.monotonic() < deadline:  # the CSVs are written a moment after the last decision
        items = pd.read_csv(out / "items.csv", dtype=str).set_index(["sheet_id", "item"])
        if items.loc[(second, "programme"), "status"] == "reviewed":
            break
        time.sleep(0.1)
    assert items.loc[(first, MULTIPLE_ITEM), "status"] == "reviewed"
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False).set_index("sheet_id")
    assert responses.loc[second, "programme"] == "Programme C"


def test_quality_check_sample_and_report(server):
    sample = get(server, "api/check/sample?n=5&seed=2").json()
    assert len(sample) == 5 and all(e["kind"] != "comment" for e in sample)
    assert get(server, "api/check/sample?n=5&seed=2").json() == sample
    for k, entry in enumerate(sample):
        d = get(server, f"api/item?sheet={entry['sheet_id']}&item={entry['item']}").json()
        value = d["guess"] if k else ""
        assert post(server, "api/decision", decision(entry["sheet_id"], entry["item"], value,
                                                     outcome="check")).status == 200
    report = get(server, "api/check/report").json()
    assert report["checked"] == 5 and report["disagreed"] == 1 and 0 < report["low"] < 0.2 < report["high"] < 1
    assert get(server, "api/check/sample?n=x").status == 400


def test_a_csv_writer_that_died_is_replaced(server, out):
    queue = get(server, "api/queue").json()
    first, second = queue[0], queue[1]
    assert post(server, "api/decision", decision(first["sheet_id"], first["item"], "")).status == 200
    server.app.flush()
    server.app.csvs._child._proc.kill()  # as if killed from outside
    assert post(server, "api/decision", decision(second["sheet_id"], second["item"], "1")).status == 200
    server.app.flush()
    items = pd.read_csv(out / "items.csv", dtype=str).set_index(["sheet_id", "item"])
    assert items.loc[(second["sheet_id"], second["item"]), "status"] == "reviewed"


# --- transcribing and coding comments ------------------------------------------------------
def _transcribe(server, text="More joint training please") -> str:
    sheet = sheets(server)[0]
    body = {"sheet_id": sheet, "item": WRITTEN_COMMENT, "value": text, "reviewer": "Ann", "seen": None}
    assert post(server, "api/decision", body).status == 200
    return sheet


def test_a_comment_for_transcribing_has_its_zone_in_colour_and_its_unsure_words(shared):
    sheet = sheets(shared)[0]
    d = get(shared, f"api/item?sheet={sheet}&item={WRITTEN_COMMENT}").json()
    assert d["unsure"] == [] and d["guess"] == ""  # scanned with OCR off: nothing read, nothing marked
    r = get(shared, d["zone_url"])
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    zone = cv2.imdecode(np.frombuffer(r.body, np.uint8), cv2.IMREAD_COLOR).astype(int)
    assert zone.shape[1] > 600  # 8 px/mm: large enough to read
    # The sheet is on yellow paper: the zone shows it (blue well below red and green).
    b, g, r_ = np.median(zone[..., 0]), np.median(zone[..., 1]), np.median(zone[..., 2])
    assert r_ - b > 40 and g - b > 30
    plain = get(shared, d["crop_url"].replace("&zone=1", ""))
    assert plain.status == 200


def test_unsure_words_are_those_read_unsure_or_in_no_dictionary():
    from scanner.review.comments import unsure_words

    evidence = {"word_confidences": [0.96, 0.41, 0.9, 0.97], "unknown_words": ["plese"]}
    assert unsure_words("More jiont training plese.", evidence) == [1, 3]
    # Scanned before word confidences were kept: the unknown words only.
    assert unsure_words("More jiont training plese.", {"unknown_words": ["plese"]}) == [3]


def test_the_vocabulary_is_the_forms_words_and_every_transcription(server):
    before = get(server, "api/vocabulary").json()
    assert "training" in before["words"] and "Whitsun" not in before["words"]
    _transcribe(server, "Whitsun training days help, joint visits help more")
    after = get(server, "api/vocabulary").json()
    assert "Whitsun" in after["words"]
    assert ["days", "help"] in after["pairs"] and ["visits", "help"] in after["pairs"]
    # The next word after one or two words, and the first word of a comment.
    assert ["training days", "help"] in after["pairs"] and ["", "whitsun"] in after["pairs"]


def test_the_codebook_is_made_and_changed_through_the_api(server):
    assert get(server, "api/themes").json() == []
    r = post(server, "api/theme", {"name": "Funding", "description": "Money", "keywords": ["budget", "Money"]})
    assert r.status == 200 and r.json() == {"name": "Funding", "description": "Money", "parent": None,
                                            "keywords": ["budget", "money"]}
    assert post(server, "api/theme", {"name": "Pooled budgets", "parent": "Funding"}).status == 200
    r = post(server, "api/theme", {"old_name": "Funding", "name": "Money", "description": "Budgets",
                                   "keywords": ["budget"]})
    assert r.status == 200
    assert [(t["name"], t["parent"]) for t in get(server, "api/themes").json()] == [
        ("Money", None), ("Pooled budgets", "Money")]


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": "A; B"}, {"name": 3}, {"name": "X", "keywords": "budget"}, {"name": "X", "keywords": [1]},
    {"name": "X", "parent": "Nobody"}, {"name": "Money"}, {"old_name": "Nobody", "name": "X"},
    {"old_name": "Money", "name": "Money", "parent": "Money"},
])
def test_bad_themes_are_refused(server, body):
    assert post(server, "api/theme", {"name": "Money"}).status == 200
    r = post(server, "api/theme", body)
    assert r.status == 400 and r.json()["error"]
    assert [t["name"] for t in get(server, "api/themes").json()] == ["Money"]


def test_a_comment_is_coded_with_coder_and_time_and_undone(server):
    sheet = _transcribe(server, "The pooled budget needs more joint training")
    for name, keywords in (("Funding", ["budget"]), ("Training", ["training"])):
        assert post(server, "api/theme", {"name": name, "keywords": keywords}).status == 200
    listed = get(server, "api/comments").json()
    assert [(e["sheet_id"], e["comment"], e["question"]) for e in listed] == [(sheet, WRITTEN_COMMENT, "1")]
    assert get(server, "api/comments?text=JOINT").json() == listed
    assert get(server, "api/comments?text=nosuchword").json() == []
    assert get(server, "api/comments?uncoded=1&coder=Ann").json() == listed

    card = get(server, f"api/comment?sheet={sheet}&item={WRITTEN_COMMENT}&coder=Ann").json()
    assert card["text"] == "The pooled budget needs more joint training" and card["question"] == "1"
    assert card["crop_url"].startswith("files/crops/") and get(server, card["crop_url"]).status == 200
    assert {s["theme"] for s in card["suggestions"]} == {"Funding", "Training"}  # suggested...
    assert not any(t["mine"] or t["in_force"] for t in card["themes"])  # ...not applied

    step = {"sheet_id": sheet, "item": WRITTEN_COMMENT, "coder": "Ann"}
    coded = post(server, "api/coding", {**step, "action": "code", "theme": "Funding"}).json()
    assert coded["theme"] == "Funding" and coded["coder"] == "Ann" and coded["coded_at"] and not coded["undone"]
    post(server, "api/coding", {**step, "action": "code", "theme": "Training"})
    post(server, "api/coding", {**step, "action": "memo", "memo": "Wants both"})
    card = get(server, f"api/comment?sheet={sheet}&item={WRITTEN_COMMENT}&coder=Ann").json()
    assert [t["name"] for t in card["themes"] if t["mine"]] == ["Funding", "Training"] and card["memo"] == "Wants both"
    assert card["suggestions"] == [] and card["coder_in_force"] == "Ann"
    assert get(server, "api/comments?uncoded=1&coder=Ann").json() == []

    # Undo: the last step, then a named one; another coder cannot undo Ann's.
    assert post(server, "api/coding/undo", {"coder": "Ann"}).json()["action"] == "memo"
    assert post(server, "api/coding/undo", {"coder": "Bob", "id": coded["id"]}).status == 400
    assert post(server, "api/coding/undo", {"coder": "Ann", "id": coded["id"]}).json()["theme"] == "Funding"
    card = get(server, f"api/comment?sheet={sheet}&item={WRITTEN_COMMENT}&coder=Ann").json()
    assert [t["name"] for t in card["themes"] if t["mine"]] == ["Training"] and card["memo"] == ""
    post(server, "api/coding", {**step, "action": "uncode", "theme": "Training"})
    assert get(server, "api/comments?theme=Training").json() == []


@pytest.fixture(scope="module")
def transcribed(template, tmp_path_factory):
    """A server of their own for the refused codings, with a comment transcribed and a
    theme to code it with: a refused coding changes nothing, so they can share it (a
    server that saved a decision pays for writing the CSVs when it stops)."""
    out = copy_survey(cached_survey(template, tmp_path_factory.getbasetemp()),
                      tmp_path_factory.mktemp("transcribed") / "out")
    with running(out, template) as server:
        sheet = _transcribe(server)
        post(server, "api/theme", {"name": "Funding"})
        yield server, sheet


@pytest.mark.parametrize(("body", "status"), [
    ({"action": "paint"}, 400), ({"theme": "Nobody"}, 400), ({"coder": ""}, 400), ({"coder": None}, 400),
    ({"item": "q02_comment"}, 400), ({"sheet_id": "nosuch"}, 400), ({"theme": ["Funding"]}, 400),
])
def test_bad_codings_are_refused(transcribed, body, status):
    server, sheet = transcribed
    good = {"sheet_id": sheet, "item": WRITTEN_COMMENT, "coder": "Ann", "action": "code", "theme": "Funding"}
    r = post(server, "api/coding", {**good, **body})
    assert r.status == status and r.json()["error"]
    assert post(server, "api/coding/undo", {"coder": "Ann"}).status == 400  # nothing was saved


@pytest.mark.parametrize("bad", [True, 0, -1, 1.5, "1", 2**63])
def test_coding_ids_that_sqlite_cannot_hold_are_refused(shared, bad):
    assert post(shared, "api/coding/undo", {"coder": "Ann", "id": bad}).status == 400


def test_an_unknown_comment_has_no_card(shared):
    r = get(shared, f"api/comment?sheet={sheets(shared)[0]}&item=q02_comment&coder=Ann")
    assert r.status == 400 and "no written comment" in r.json()["error"]


@pytest.mark.parametrize("path", ["api/coding", "api/coding/undo", "api/theme"])
def test_coding_changes_from_another_site_or_without_the_token_are_refused(server, path):
    body = {"name": "Funding", "coder": "Ann", "action": "memo", "memo": "x", "sheet_id": "s", "item": "i"}
    r = post(server, path, body, headers={"Origin": "http://evil.example"})
    assert r.status == 403 and "another site" in r.json()["error"]
    assert post(server, path, body, token="").status == 403
    assert post(server, path, raw_body=b"[1]").status == 400
    assert post(server, path, body, content_type="text/plain").status == 415
    assert get(server, "api/themes").json() == []
    with Store(server.app.out_dir) as store:
        assert store.db.execute("SELECT count(*) FROM codings").fetchone()[0] == 0
