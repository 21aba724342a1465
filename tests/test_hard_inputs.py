"""Hard inputs and slow clients, tried against a real server (gunicorn, 2 workers): every answer is a 4xx
(or the documented 2xx) in the vendor's own shape, never a 5xx, an HTML page or a traceback; a client
that stalls holds no thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import quote

import pytest
import requests

from tests.helpers import NO_LIMIT, Server, credential
from tests.test_merge_api import author, new_model

# Per vendor: a list path, a record's path, a time filter, its credentials, and a write it serves.
VENDORS = {
    "merge": {"list": "/merge/api/ats/v1/interviews", "get": "/merge/api/ats/v1/interviews/{}", "time": "created_after",
              "write": "/merge/api/ats/v1/interviews"},
    "kombo": {"list": "/kombo/v1/ats/interviews", "get": "/kombo/v1/integrations/{}", "time": "updated_after",
              "write": "/kombo/v1/ats/applications/{application}/interviews"},
    "truto": {"list": "/truto/unified/ats/interviews", "get": "/truto/unified/ats/interviews/{}",
              "time": "updated_at[gt]", "write": None},
    "bindbee": {"list": "/bindbee/api/ats/v1/scheduled-interviews", "get": "/bindbee/api/ats/v1/scheduled-interviews/{}",
                "time": "modified_after", "write": None},
}


def shaped(vendor: str, status: int, body) -> bool:
    """Whether `body` is an error in `vendor`'s envelope."""
    if vendor == "kombo":
        return body.get("status") == "error" and set(body["error"]) == {"code", "title", "message", "log_url"}
    if vendor == "truto":
        return body.get("statusCode") == status and isinstance(body.get("error"), str) and isinstance(body.get("message"), str)
    if vendor == "bindbee":
        return set(body) == {"detail"} and isinstance(body["detail"], (str, list))
    if set(body) == {"detail"}:  # merge: DRF's detail, field errors, or a rejected write
        return isinstance(body["detail"], str)
    if set(body) == {"warnings", "errors"}:
        return bool(body["errors"])
    return bool(body) and all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values())


def auth(vendor: str) -> tuple[dict, str]:
    c = credential(vendor)
    query = "&".join(f"{k}={v}" for k, v in c["query"].items())
    return dict(c["headers"]), query


def target(vendor: str, path: str, query: str = "") -> str:
    _, cred = auth(vendor)
    return f"{path}?{'&'.join(q for q in (cred, query) if q)}" if cred or query else path


DEEP = b"[" * 10_000 + b"]" * 10_000
HUGE_NUMBER = b'{"model": {"start_at": ' + b"9" * 5000 + b"}}"


def cases() -> list[tuple]:
    """(id, vendor, method, target, headers, body, status): a request as bytes on the wire would carry it."""
    out = []
    for v, p in VENDORS.items():
        headers, _ = auth(v)
        time_filter = p["time"]
        add = lambda name, method, tgt, status, hdrs=None, body=None: out.append(  # noqa: E731
            (f"{v}-{name}", v, method, tgt, headers if hdrs is None else hdrs, body, status))
        bad = 422 if v == "bindbee" else 400
        add("date-before-year-1-in-utc", "GET", target(v, p["list"], f"{quote(time_filter)}=0001-01-01T00:00:00%2B01:00"), bad)
        add("date-after-9999-in-utc", "GET", target(v, p["list"], f"{quote(time_filter)}=9999-12-31T23:59:59-01:00"), bad)
        add("date-garbage", "GET", target(v, p["list"], f"{quote(time_filter)}=yesterday"), bad)
        add("nul-in-query", "GET", target(v, p["list"], f"{quote(time_filter)}=%00"), bad)
        add("invalid-utf8-in-query", "GET", target(v, p["list"], f"{quote(time_filter)}=%FF%FE"), bad)
        add("page-size-repeated-last-wins", "GET", target(v, p["list"], "page_size=1&page_size=100000&limit=1&limit=100000"),
            {"merge": 400, "kombo": 400, "truto": 400, "bindbee": 422}[v])
        add("page-size-not-a-number", "GET", target(v, p["list"], "page_size=ten&limit=ten"), {"truto": 400}.get(v, bad))
        add("no-credentials", "GET", target(v, p["list"]), 401, hdrs={})
        add("garbage-bearer", "GET", target(v, p["list"]), 401, hdrs={**headers, "Authorization": "Bearer \u00e9\u00e9"})
        add("basic-not-bearer", "GET", target(v, p["list"]), 401, hdrs={**headers, "Authorization": "Basic dXNlcjpwYXNz"})
        add("delete-on-a-list", "DELETE", target(v, p["list"]), 405)
        add("put-on-a-record", "PUT", target(v, p["get"].format("x1")), 405)
        add("patch-on-a-list", "PATCH", target(v, p["list"]), 405)
        add("path-traversal", "GET", target(v, p["get"].format("..%2F..%2F..%2Fetc%2Fpasswd")), 404)
        not_an_id = 422 if v == "bindbee" else 404  # (FastAPI checks a path's UUID)
        add("unicode-id", "GET", target(v, p["get"].format(quote("候选人-ñ-🙂"))), not_an_id)
        add("nul-in-id", "GET", target(v, p["get"].format("%00")), not_an_id)
        add("long-query-string", "GET", target(v, p["list"], "x=" + "a" * 9000), 414)
        add("long-header", "GET", target(v, p["list"]), 431, hdrs={**headers, "X-Padding": "a" * 9000})
        add("unknown-path-under-the-mount", "GET", target(v, p["list"] + "/../../nothing/here"), 404)
        if p["write"]:
            write = p["write"].format(application="{application}")
            json_headers = {**headers, "Content-Type": "application/json"}
            add("bad-json", "POST", target(v, write), 400, json_headers, b'{"model": ')
            add("deep-json", "POST", target(v, write), 400, json_headers, DEEP)
            add("huge-number", "POST", target(v, write), 400, json_headers, HUGE_NUMBER)
            add("json-not-an-object", "POST", target(v, write), 400, json_headers, b"[1, 2]")
            add("text-plain", "POST", target(v, write), 415, {**headers, "Content-Type": "text/plain"}, b"{}")
            add("xml", "POST", target(v, write), 415, {**headers, "Content-Type": "application/xml"}, b"<a/>")
            add("nul-in-body", "POST", target(v, write), 400, json_headers, b'{"title": "\x00"}')
            add("invalid-utf8-in-body", "POST", target(v, write), 400, json_headers, b'{"title": "\xff\xfe"}')
            add("date-out-of-range-in-body", "POST", target(v, write), 400, json_headers,
                json.dumps({"model": {"start_at": "0001-01-01T00:00:00+01:00"}, "start_time": "0001-01-01T00:00:00+01:00",
                            "end_time": "9999-12-31T23:59:59-01:00", "title": "x"}).encode())
            add("body-over-1-mib", "POST", target(v, write), 413, json_headers, b'{"title": "' + b"a" * 1_100_000 + b'"}')
    return out


CASES = cases()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("hard") / "data", workers=2, rate_limit=NO_LIMIT, body_timeout=2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def application(srv) -> str:
    headers, _ = auth("kombo")
    return requests.get(f"{srv.url}/kombo/v1/ats/applications", headers=headers, timeout=10).json()["data"]["results"][0]["id"]


def send(srv, method: str, tgt: str, headers: dict, body: bytes | None) -> tuple[int, dict, bytes]:
    """One request as raw bytes on a socket (so nothing is cleaned up on the way): status, headers, body."""
    lines = [f"{method} {tgt} HTTP/1.1", f"Host: 127.0.0.1:{srv.port}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")
    return exchange(srv, raw)


def exchange(srv, raw: bytes, timeout: float = 10) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    return int(status_line.split()[1]), {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}, body


def test_the_table_holds_at_least_80_cases_over_the_four_vendors():
    assert len(CASES) >= 80 and {c[1] for c in CASES} == set(VENDORS)


@pytest.mark.parametrize("name, vendor, method, tgt, headers, body, status", CASES, ids=[c[0] for c in CASES])
def test_a_malformed_request_gets_the_vendors_own_error(srv, application, name, vendor, method, tgt, headers, body,
                                                        status):
    got, answer_headers, raw = send(srv, method, tgt.replace("{application}", application), headers, body)
    assert got == status, (got, raw[:300])
    assert answer_headers["content-type"] == "application/json", raw[:300]
    if 200 <= got < 300:
        return
    assert shaped(vendor, got, json.loads(raw)), raw[:300]
    assert b"Traceback" not in raw and b"<html" not in raw.lower()


RAW = [
    ("nul-in-request-line", "merge", b"GET /merge/api/ats/v1/int\x00erviews HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("control-byte-in-request-line", "bindbee",
     b"GET /bindbee/api/ats/v1/scheduled-\x07interviews HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("non-ascii-in-request-line", "kombo", "GET /kombo/v1/ats/intérviews HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()),
    ("non-ascii-in-request-line", "truto", "GET /truto/unified/ats/ïnterviews HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()),
    # for every vendor: a header over 64 KiB, and a control byte in its credential's header
    *(("header-over-64-kib", v, f"GET {p['list']} HTTP/1.1\r\nHost: x\r\nX-Big: ".encode() + b"a" * 70_000
       + b"\r\nConnection: close\r\n\r\n") for v, p in VENDORS.items()),
    *(("control-byte-in-authorization", v, f"GET {p['list']} HTTP/1.1\r\nHost: x\r\n".encode()
       + b"Authorization: Bearer a\x01b\r\nConnection: close\r\n\r\n") for v, p in VENDORS.items()),
]


@pytest.mark.parametrize("name, vendor, raw", RAW, ids=[f"{v}-{n}" for n, v, _ in RAW])
def test_what_gunicorn_refuses_before_the_app_is_json_in_the_vendors_envelope(srv, name, vendor, raw):
    status, headers, body = exchange(srv, raw)
    assert status == (431 if name == "header-over-64-kib" else 400)
    assert headers["content-type"] == "application/json" and shaped(vendor, status, json.loads(body)), body


def test_a_body_sent_chunked_is_held_to_the_same_limit(srv, application):
    headers, _ = auth("kombo")
    big = b'{"title": "' + b"a" * 1_500_000 + b'"}'
    r = requests.post(f"{srv.url}/kombo/v1/ats/applications/{application}/interviews", timeout=30,
                      data=(big[i:i + 65536] for i in range(0, len(big), 65536)),
                      headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["message"] == "Request body is too large."


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_merges_create_takes_the_forms_its_spec_lists(srv, content_type):
    headers, _ = auth("merge")
    fields = {"model": json.dumps(new_model()), "remote_user_id": author()}
    if content_type == "multipart/form-data":
        r = requests.post(f"{srv.url}/merge/api/ats/v1/interviews", headers=headers, timeout=10,
                          files={k: (None, v) for k, v in fields.items()})
    else:
        r = requests.post(f"{srv.url}/merge/api/ats/v1/interviews", headers=headers, data=fields, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json()["model"]["application"] == json.loads(fields["model"])["application"]
    bad = requests.post(f"{srv.url}/merge/api/ats/v1/interviews", headers=headers, timeout=10,
                        data={**fields, "model": "{not json"})
    assert bad.status_code == 400 and bad.json() == {"model": ["Value must be valid JSON."]}


def test_stalled_clients_hold_no_thread_and_get_408_in_time(srv):
    headers, _ = auth("kombo")
    head = (f"POST /kombo/v1/ats/applications/x/interviews HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: {headers['Authorization']}\r\nX-Integration-Id: {headers['X-Integration-Id']}\r\n"
            "Content-Length: 1000\r\n\r\n{\"title\": ").encode()
    stalled = []
    for _ in range(32):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(head)
        stalled.append(s)
    started = time.monotonic()
    try:
        merge_headers, _ = auth("merge")
        for _ in range(5):  # a normal client meanwhile
            t = time.monotonic()
            r = requests.get(f"{srv.url}/merge/api/ats/v1/interviews", headers=merge_headers, timeout=5)
            assert r.status_code == 200 and time.monotonic() - t < 1.0
        answers = []

        def read(s):
            data = b""
            try:
                while chunk := s.recv(65536):
                    data += chunk
            except OSError:
                pass
            answers.append((time.monotonic() - started, data))

        readers = [threading.Thread(target=read, args=(s,)) for s in stalled]
        for t in readers:
            t.start()
        for t in readers:
            t.join(10)
        assert len(answers) == 32
        for took, data in answers:
            assert took < 2 + 1.5, took  # the configured 2 s, and the worker's 1 s turn
            assert data.startswith(b"HTTP/1.1 408 Request Timeout") and b'"code":"PLATFORM.UNKNOWN_ERROR"' in data
    finally:
        for s in stalled:
            s.close()


def _answer(s: socket.socket) -> bytes:
    """One HTTP answer read off a kept-alive connection (its headers, then Content-Length bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_kept_alive_connection_answers_whole_requests_in_turn_and_one_stalling_in_its_headers_delays_no_other(srv):
    headers, _ = auth("merge")
    get = ("GET /merge/api/ats/v1/interviews?page_size=1 HTTP/1.1\r\nHost: x\r\n"
           + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        for _ in range(3):  # each request arrives whole: answered on the same connection
            s.sendall(get)
            assert _answer(s).startswith(b"HTTP/1.1 200 OK")
        s.sendall(get[:40])  # the next one stalls half-way through its headers (see README: slow clients)
        for _ in range(5):  # a normal client meanwhile
            t = time.monotonic()
            r = requests.get(f"{srv.url}/merge/api/ats/v1/interviews", headers=headers, timeout=5)
            assert r.status_code == 200 and time.monotonic() - t < 1.0
