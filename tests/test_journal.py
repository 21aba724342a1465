"""The request journal and coverage under a two-worker gunicorn server: entries from both workers,
newest first, kept to their cap, every secret redacted, filters, and the endpoints and parameters a
known sequence of requests used."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
import requests

from sandbox.vendors.kombo.render import kid
from tests.helpers import NO_LIMIT, PATIENCE, Server, accounts, credential, merge_headers, wait_for, world
from tests.test_kombo_api import write_body

PINNED = "0b4f6a43-5d0e-4c1e-9a57-3c0e8d1b2a01"  # the interview pinned in fixtures/sandbox.toml


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("journal") / "data", workers=2, rate_limit=NO_LIMIT)
    yield server
    server.stop()


def journal(srv, expect: int | None = None, **filters) -> list[dict]:
    """The journal; with `expect`, read again until it holds that many (another worker's entries
    follow its answers within milliseconds)."""
    return wait_for(lambda: requests.get(f"{srv.url}/_sandbox/requests", params=filters, timeout=PATIENCE).json(),
                    lambda entries: expect is None or len(entries) >= expect, f"{expect} journal entries")


def clear(srv) -> None:
    journal(srv)  # (a read waits for what the other worker still holds from the test before)
    assert requests.delete(f"{srv.url}/_sandbox/requests", timeout=PATIENCE).status_code == 200


def test_the_journal_holds_requests_from_both_workers_newest_first(srv):
    clear(srv)
    answers: list[requests.Response] = []
    while len(answers) < 20 or len({a.headers["X-Sandbox-Worker"] for a in answers}) < 2:  # until both answered
        answers.append(requests.get(f"{srv.url}/merge/api/ats/v1/interviews", params={"page_size": len(answers) + 1},
                                    headers=merge_headers(), timeout=PATIENCE))
        assert len(answers) < 100, "one worker took every connection"
    entries = journal(srv, expect=len(answers))
    assert len(entries) == len(answers)
    assert {e["worker"] for e in entries} == {int(a.headers["X-Sandbox-Worker"]) for a in answers}
    assert len({e["worker"] for e in entries}) == 2
    assert [e["query"]["page_size"] for e in entries] == [str(n) for n in range(len(answers), 0, -1)]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    newest, key, token = entries[0], credential("merge")["headers"]["Authorization"][7:], \
        credential("merge")["headers"]["X-Account-Token"]
    assert {k: newest[k] for k in ("vendor", "credential", "world", "method", "path", "endpoint", "query", "body",
                                   "status", "response_bytes", "fault")} == {
        "vendor": "merge", "credential": f"merge:****{token[-4:]}", "world": "acme", "method": "GET",
        "path": "/merge/api/ats/v1/interviews", "endpoint": "/ats/v1/interviews", "query": {"page_size": str(len(answers))},
        "body": None, "status": 200, "response_bytes": len(answers[-1].content), "fault": None}
    assert newest["headers"]["Authorization"] == f"Bearer ****{key[-4:]}"
    assert newest["headers"]["X-Account-Token"] == f"****{token[-4:]}"
    assert newest["ms"] > 0 and datetime.fromisoformat(newest["at"]) <= datetime.now(timezone.utc)


def test_the_journal_stays_at_its_cap_under_load(tmp_path):
    server = Server(tmp_path / "data", workers=2, journal_size=50, rate_limit=NO_LIMIT)
    try:
        def hammer():
            with requests.Session() as s:
                for _ in range(40):
                    assert s.get(f"{server.url}/merge/api/ats/v1/users", headers=merge_headers(),
                                 timeout=PATIENCE).status_code == 200

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        entries = wait_for(lambda: journal(server), lambda e: e and max(x["id"] for x in e) == 320,
                           "the last entries from the other worker")
        assert len(entries) == 50  # the newest 50 of 320
    finally:
        server.stop()


def test_the_journal_never_holds_a_key_or_token_in_clear(srv):
    clear(srv)
    secrets = set()
    for a in accounts():
        secrets |= {v.split(" ", 1)[-1] for v in a["headers"].values()} | set(a["query"].values())
        base = a["base_url"]
        path = {"merge": "/ats/v1/users", "kombo": "/ats/users", "truto": "/unified/ats/users",
                "bindbee": "/api/ats/v1/remote-users"}[a["vendor"]]
        requests.get(srv.url + base + path, headers=a["headers"], params={**a["query"], "api_token": "leaked-token-1234"},
                     timeout=PATIENCE)
    kombo = credential("kombo")
    application = next(x for x in world("acme").applications.values() if x.rejected_at is None)
    requests.post(f"{srv.url}/kombo/v1/ats/applications/{kid(application.id)}/interviews", headers=kombo["headers"],
                  json={**write_body(), "note": f"key {kombo['headers']['X-Integration-Id']}", "secret": "hunter22"},
                  timeout=PATIENCE)
    requests.get(f"{srv.url}/merge/api/ats/v1/users", headers={"Authorization": "Bearer wrong-but-secret-key",
                                                                "X-Account-Token": "not-a-real-token-5678"}, timeout=PATIENCE)
    secrets |= {"leaked-token-1234", "hunter22", "wrong-but-secret-key", "not-a-real-token-5678"}
    entries = journal(srv, expect=len(accounts()) + 2)
    assert len(entries) == len(accounts()) + 2
    text = requests.get(f"{srv.url}/_sandbox/requests", timeout=PATIENCE).text
    stored = b"".join(p.read_bytes() for p in srv.data_dir.glob("*.requests.sqlite3*"))
    assert stored and [s for s in secrets if s in text or s.encode() in stored] == []
    assert entries[1]["body"]["note"] == f"key ****{kombo['headers']['X-Integration-Id'][-4:]}"
    assert entries[1]["body"]["secret"] == "****"


# (where, name): a secret under each of these names, sent to a vendor, is journaled by its last four
# characters (a cookie not at all), in the journal's answer and in its store file. (A header named with
# `_` never reaches the app: gunicorn drops it.)
SECRET_NAMES = [("header", n) for n in ("Cookie", "X-Auth", "X-Signature", "X-Session-Id", "X-Api-Key",
                                        "Access-Token", "X-Passwd")] + \
               [("query", n) for n in ("auth", "sig", "signature", "pwd", "pass", "session", "jwt", "code", "credential",
                                       "apiKey", "access-token", "client_secret", "passwd", "X_Auth")] + \
               [("json", n) for n in ("auth", "pwd", "credentials.pass", "apiKey", "client_secret", "passwd")]


def test_the_journal_hides_every_secret_by_its_name_and_a_cookie_whole(srv):
    clear(srv)
    sent = {}
    for n, (where, name) in enumerate(SECRET_NAMES):
        value = sent[(where, name)] = f"leaked-{where}-{n:02d}-Q{n:02d}Z"
        headers, params, body = merge_headers(), {}, None
        if where == "header":
            headers[name] = value
        elif where == "query":
            params[name] = value
        else:
            outer, _, inner = name.partition(".")
            body = {outer: {inner: value}} if inner else {outer: value}
        requests.request("POST" if body else "GET", f"{srv.url}/merge/api/ats/v1/users", headers=headers, params=params,
                         json=body, timeout=PATIENCE)
    entries = journal(srv, expect=len(SECRET_NAMES))[::-1]
    text = requests.get(f"{srv.url}/_sandbox/requests", timeout=PATIENCE).text
    stored = b"".join(p.read_bytes() for p in srv.data_dir.glob("*.requests.sqlite3*"))
    assert stored and [k for k, v in sent.items() if v in text or v.encode() in stored] == []
    kept = []
    for entry, ((where, name), value) in zip(entries, sent.items()):
        if where == "header":
            kept.append(entry["headers"]["-".join(p.capitalize() for p in name.split("-"))])
        elif where == "query":
            kept.append(entry["query"][name])
        else:
            outer, _, inner = name.partition(".")
            kept.append(entry["body"][outer])
    assert kept == ["****" if name in ("Cookie", "credentials.pass") else "****" + value[-4:]
                    for (where, name), value in sent.items()]


def test_names_that_only_look_like_secrets_are_journaled_as_sent(srv):
    clear(srv)
    plain = {"author": "ada", "job_code": "ENG-1", "compass": "north", "passenger": "bo", "page_size": "2"}
    requests.get(f"{srv.url}/merge/api/ats/v1/users", headers=merge_headers(), params=plain, timeout=PATIENCE)
    assert journal(srv, expect=1)[0]["query"] == plain


def test_the_journal_filters_by_vendor_credential_status_and_time(srv):
    clear(srv)
    requests.get(f"{srv.url}/merge/api/ats/v1/users", headers=merge_headers(), timeout=PATIENCE)
    since = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    globex = credential("merge", "globex")
    requests.get(f"{srv.url}/merge/api/ats/v1/users/nobody", headers=globex["headers"], timeout=PATIENCE)
    requests.get(f"{srv.url}/kombo/v1/ats/users", headers=credential("kombo")["headers"], timeout=PATIENCE)
    journal(srv, expect=3)
    assert [e["path"] for e in journal(srv, vendor="kombo")] == ["/kombo/v1/ats/users"]
    assert [e["path"] for e in journal(srv, credential=globex["id"])] == ["/merge/api/ats/v1/users/nobody"]
    assert [e["status"] for e in journal(srv, status=404)] == [404]
    assert len(journal(srv, since=since)) == 2
    assert len(journal(srv, limit=1)) == 1
    bad = requests.get(f"{srv.url}/_sandbox/requests", params={"since": "yesterday"}, timeout=PATIENCE)
    assert bad.status_code == 400 and "filters: vendor, credential, status, since (ISO 8601), limit" in bad.json()["error"]


def test_coverage_lists_the_endpoints_and_parameters_a_known_sequence_used(srv):
    clear(srv)
    h = merge_headers()
    requests.get(f"{srv.url}/merge/api/ats/v1/interviews", params={"page_size": 5}, headers=h, timeout=PATIENCE)
    requests.get(f"{srv.url}/merge/api/ats/v1/interviews", params={"page_size": 5, "cursor": "bad"}, headers=h,
                 timeout=PATIENCE)
    requests.get(f"{srv.url}/merge/api/ats/v1/interviews/{PINNED}", params={"expand": "organizer"}, headers=h,
                 timeout=PATIENCE)
    journal(srv, expect=3)  # both workers' entries are in
    report = requests.get(f"{srv.url}/_sandbox/coverage", timeout=PATIENCE).json()
    assert set(report) == {"merge", "kombo", "truto", "bindbee"}
    merge = {(e["method"], e["path"]): e for e in report["merge"]["endpoints"]}
    listing, single = merge[("GET", "/ats/v1/interviews")], merge[("GET", "/ats/v1/interviews/<record_id>")]
    assert (listing["requests"], listing["statuses"]) == (2, {"200": 1, "404": 1})  # DRF: a bad cursor is not found
    assert {k: v for k, v in listing["parameters"].items() if v} == {"page_size": 2, "cursor": 1}
    assert listing["parameters"]["created_after"] == 0  # declared, not used
    assert (single["requests"], single["statuses"], {k: v for k, v in single["parameters"].items() if v}) == \
        (1, {"200": 1}, {"expand": 1})
    assert merge[("POST", "/ats/v1/interviews")]["requests"] == 0
    assert report["merge"]["exercised"] == 2 and report["kombo"]["exercised"] == 0


def test_a_body_nested_past_what_is_kept_is_journaled_by_its_size_and_the_journal_goes_on(srv):
    clear(srv)
    deep = "[" * 600 + "]" * 600
    r = requests.post(f"{srv.url}/kombo/v1/ats/applications/x/interviews", data=deep,
                      headers={**credential("kombo")["headers"], "Content-Type": "application/json"}, timeout=PATIENCE)
    assert r.status_code in (400, 404)
    requests.get(f"{srv.url}/merge/api/ats/v1/users", headers=merge_headers(), timeout=PATIENCE)
    entries = journal(srv, expect=2)
    assert [e["body"] for e in entries] == [None, {"bytes": 1200}]
    bad = requests.get(f"{srv.url}/_sandbox/requests", params={"since": "0001-01-01T00:00:00+05:00"}, timeout=PATIENCE)
    assert bad.status_code == 400
