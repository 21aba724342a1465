"""A read repeated while its world stands still is answered from its kept answer before routing
(`pipeline.replay`): the same status, headers and body as the whole path gives, its count against
the rate limit and its journal entry; anything that could shape the answer sends it the whole way."""

from __future__ import annotations

import shutil

import pytest

from sandbox.app import create_app
from sandbox.http import pipeline
from sandbox.settings import Settings
from sandbox.vendors.bindbee.ids import bid
from tests.helpers import bindbee_headers, credential, kombo_headers, merge_headers

PINNED = "0b4f6a435d0e4c1e9a573c0e8d1b2a01"  # the interview pinned in fixtures/sandbox.toml
MERGE_GET = f"/merge/api/ats/v1/interviews/{PINNED}"
BINDBEE_GET = f"/bindbee/api/ats/v1/scheduled-interviews/{bid(PINNED)}"
KOMBO_LIST = "/kombo/v1/ats/interviews?page_size=5"  # (its rendering reads the sandbox's date)


def counted_views(app) -> list[str]:
    """The endpoints whose views ran, in order: a replayed request runs none."""
    ran = []
    for name, view in list(app.view_functions.items()):
        def counted(*args, _name=name, _view=view, **kwargs):
            ran.append(_name)
            return _view(*args, **kwargs)
        app.view_functions[name] = counted
    return ran


def fresh_app(tmp_path, default_store, name: str, **settings):
    (tmp_path / name).mkdir()
    shutil.copy(default_store, tmp_path / name / default_store.name)
    return create_app(Settings(data_dir=tmp_path / name, **settings))


def answer(response) -> tuple:
    """Status, headers and body; but when the rate window ends, which moves with the clock."""
    return response.status_code, [(k, v) for k, v in response.headers.items() if not k.lower().endswith("reset")], \
        response.get_data()


READS = ((MERGE_GET, merge_headers()), (BINDBEE_GET, bindbee_headers()), (KOMBO_LIST, kombo_headers()),
         ("/merge/api/ats/v1/interviews?page_size=3", merge_headers()),
         ("/bindbee/api/ats/v1/scheduled-interviews?page_size=2", bindbee_headers()))


def test_a_repeated_read_is_replayed_as_the_whole_path_answers_it(app, client, tmp_path, default_store, monkeypatch):
    ran = counted_views(app)
    replayed = [answer(client.get(path, headers=headers)) for path, headers in READS for _ in range(3)]
    assert len(ran) == len(READS)  # once each: the second and third were replayed
    monkeypatch.setattr(pipeline, "replay", lambda *args: None)
    whole = fresh_app(tmp_path, default_store, "whole").test_client()
    assert replayed == [answer(whole.get(path, headers=headers)) for path, headers in READS for _ in range(3)]
    assert [status for status, _, _ in replayed] == [200] * len(replayed)


def test_a_replayed_read_counts_against_the_rate_limit_and_is_refused_past_it_counted_once(tmp_path, default_store):
    app = fresh_app(tmp_path, default_store, "limited", rate_limit=4)
    client, ran = app.test_client(), counted_views(app)
    answers = [client.get(BINDBEE_GET, headers=bindbee_headers()) for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0", "0", "0"]
    assert len(ran) == 1  # the first; the refusals are the pipeline's, before any view
    assert answers[4].json == answers[5].json == {"detail": "Rate limit exceeded"}


def test_every_replayed_read_is_in_the_journal_as_the_whole_path_would_put_it(app, client):
    for _ in range(3):
        assert client.get(MERGE_GET + "?expand=organizer", headers=merge_headers()).status_code == 200
    entries = client.get("/_sandbox/requests").json
    assert len(entries) == 3
    strip = lambda e: {k: v for k, v in e.items() if k not in ("id", "at", "ms")}  # noqa: E731
    assert strip(entries[0]) == strip(entries[1]) == strip(entries[2])
    assert {k: entries[0][k] for k in ("vendor", "method", "path", "endpoint", "query", "status", "fault", "body")} == {
        "vendor": "merge", "method": "GET", "path": MERGE_GET, "endpoint": "/ats/v1/interviews/<record_id>",
        "query": {"expand": "organizer"}, "status": 200, "fault": None, "body": None}


def _write(client):
    pinned = client.get(MERGE_GET, headers=merge_headers()).json
    organizer = pinned["organizer"]
    assert client.post("/merge/api/ats/v1/interviews", headers=merge_headers(), json={
        "model": {"application": pinned["application"], "job_interview_stage": pinned["job_interview_stage"],
                  "interviewers": [organizer], "start_at": "2026-12-01T17:00:00Z", "end_at": "2026-12-01T18:00:00Z"},
        "remote_user_id": client.get(f"/merge/api/ats/v1/users/{organizer}", headers=merge_headers()).json["remote_id"],
    }).status_code == 201


@pytest.mark.parametrize("change, path, headers, then, status", [
    ("a write to the world", "/merge/api/ats/v1/interviews?page_size=3", merge_headers(), _write, 200),
    ("the sandbox's date, for an endpoint that reads it", KOMBO_LIST, kombo_headers(),
     lambda c: c.post("/_sandbox/clock", json={"advance": "P2D"}), 200),
    ("a reset", MERGE_GET, merge_headers(), lambda c: c.post("/_sandbox/reset", json={}), 200),
    ("a fault rule", MERGE_GET, merge_headers(), lambda c: c.post("/_sandbox/faults", json={"vendor": "merge", "status": 503}),
     503),
    ("the connection's state", MERGE_GET, merge_headers(),
     lambda c: c.put(f"/_sandbox/credentials/{credential('merge')['id']}/state", json={"state": "deleted"}), 401),
])
def test_what_could_change_an_answer_sends_the_next_one_the_whole_way(app, client, change, path, headers, then, status):
    ran = counted_views(app)
    for _ in range(2):
        assert client.get(path, headers=headers).status_code == 200
    assert len(ran) == 1
    then(client)
    views = len(ran)
    assert client.get(path, headers=headers).status_code == status, change
    if status == 200:  # built again, from the world as it is now
        assert ran[views:] == ran[:1], change


@pytest.mark.parametrize("why, extra", [
    ("a fault asked for in its header", {"X-Sandbox-Fault": "500"}),
    ("a body", {"Content-Type": "application/json", "_body": b"{}"}),
])
def test_a_request_that_could_be_answered_otherwise_goes_the_whole_way(app, client, why, extra):
    ran = counted_views(app)
    client.get(MERGE_GET, headers=merge_headers())
    body = extra.pop("_body", None)
    response = client.get(MERGE_GET, headers={**merge_headers(), **extra}, data=body)
    assert len(ran) == (1 if why == "a fault asked for in its header" else 2), why
    if why == "a fault asked for in its header":
        assert response.status_code == 500
    else:
        assert response.status_code == 200


def test_other_credentials_and_query_strings_are_other_requests(app, client):
    ran = counted_views(app)
    client.get(MERGE_GET, headers=merge_headers())
    client.get(MERGE_GET + "?expand=organizer", headers=merge_headers())
    client.get(MERGE_GET, headers=merge_headers("globex"))
    wrong = client.get(MERGE_GET, headers={**merge_headers(), "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert len(ran) == 3  # (the refusal never reaches a view)


def test_a_store_failing_under_a_replay_is_answered_the_whole_way_in_the_vendors_envelope(app, client, monkeypatch):
    assert client.get(BINDBEE_GET, headers=bindbee_headers()).status_code == 200
    store = app.extensions["sandbox"].store

    def gone(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "count", gone)
    failed = client.get(BINDBEE_GET, headers=bindbee_headers())
    assert failed.status_code == 500 and failed.json == {"detail": "Internal server error."}
    monkeypatch.undo()
    entries = client.get("/_sandbox/requests").json
    assert [e["status"] for e in entries] == [500, 200]
