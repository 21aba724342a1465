"""Every vendor request takes one path (DESIGN principle 11): a read repeated, or read again after a
write, a fault rule, a connection's state, the clock or a rate limit has changed, runs the same steps
in the same order as any other request — authenticated, counted, checked for faults, answered from
the response cache only while the world's versions say the answer holds, and journaled once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox.app import create_app
from sandbox.settings import Settings
from sandbox.vendors.bindbee.ids import bid
from tests.helpers import bindbee_headers, credential, kombo_headers, merge_headers

PINNED = "0b4f6a435d0e4c1e9a573c0e8d1b2a01"  # the interview pinned in fixtures/sandbox.toml
MERGE_GET = f"/merge/api/ats/v1/interviews/{PINNED}"
BINDBEE_GET = f"/bindbee/api/ats/v1/scheduled-interviews/{bid(PINNED)}"
KOMBO_LIST = "/kombo/v1/ats/interviews?page_size=5"  # (its rendering reads the sandbox's date)
SANDBOX = Path(__file__).resolve().parent.parent / "sandbox"


def counted_views(app) -> list[str]:
    """The endpoints whose views ran, in order."""
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


def test_there_is_no_second_path():
    second = [str(p.relative_to(SANDBOX)) for p in SANDBOX.rglob("*.py") if "replay" in p.read_text().lower()]
    assert second == []


def test_a_repeated_read_runs_the_whole_path_each_time_and_answers_alike(app, client):
    ran = counted_views(app)
    cache = app.extensions["sandbox"].response_cache
    answers = [answer(client.get(path, headers=headers)) for path, headers in READS for _ in range(3)]
    assert len(ran) == 3 * len(READS)  # every request reached its view
    assert [status for status, _, _ in answers] == [200] * len(answers)
    for n in range(len(READS)):  # alike but for the rate limit spent on each
        same = [(status, [(k, v) for k, v in headers if not k.lower().endswith("remaining")], body)
                for status, headers, body in answers[3 * n:3 * n + 3]]
        assert same[0] == same[1] == same[2]
    assert len(cache) == len(READS)  # each body built once, and kept


def test_a_read_is_counted_once_against_the_rate_limit_and_refused_past_it(tmp_path, default_store):
    app = fresh_app(tmp_path, default_store, "limited", rate_limit=4)
    client, ran = app.test_client(), counted_views(app)
    answers = [client.get(BINDBEE_GET, headers=bindbee_headers()) for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0", "0", "0"]
    assert len(ran) == 4  # the refusals are the pipeline's, before any view
    assert answers[4].json == answers[5].json == {"detail": "Rate limit exceeded"}
    entries = client.get("/_sandbox/requests").json
    assert [e["status"] for e in entries] == [429, 429, 200, 200, 200, 200]  # each journaled once


def test_every_repeated_read_is_journaled_alike(app, client):
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
    ("a write to the world", "/merge/api/ats/v1/interviews?page_size=100&created_after=2026-11-30T00:00:00Z",
     merge_headers(), _write, 200),
    ("the sandbox's date, for an endpoint that reads it", KOMBO_LIST, kombo_headers(),
     lambda c: c.post("/_sandbox/clock", json={"advance": "P20D"}), 200),
    ("a reset", MERGE_GET, merge_headers(), lambda c: c.post("/_sandbox/reset", json={}), 200),
    ("a fault rule", MERGE_GET, merge_headers(), lambda c: c.post("/_sandbox/faults", json={"vendor": "merge", "status": 503}),
     503),
    ("the connection's state", MERGE_GET, merge_headers(),
     lambda c: c.put(f"/_sandbox/credentials/{credential('merge')['id']}/state", json={"state": "deleted"}), 401),
])
def test_a_read_after_a_change_is_answered_as_the_world_now_is(app, client, tmp_path, default_store, change, path,
                                                                headers, then, status):
    before = [client.get(path, headers=headers) for _ in range(2)]
    assert [b.status_code for b in before] == [200, 200] and before[0].data == before[1].data
    then(client)
    after = client.get(path, headers=headers)
    assert after.status_code == status, change
    if change == "a write to the world":  # (its times are the clock's, which moves on: compared by count)
        assert len(after.json["results"]) == len(before[0].json["results"]) + 1
        return
    # what a sandbox that never answered the read before gives, after the same change
    other = fresh_app(tmp_path, default_store, "other").test_client()
    then(other)
    assert answer(after)[0::2] == answer(other.get(path, headers=headers))[0::2], change


def test_other_credentials_and_query_strings_are_other_answers(app, client):
    one = client.get(MERGE_GET, headers=merge_headers())
    expanded = client.get(MERGE_GET + "?expand=organizer", headers=merge_headers())
    elsewhere = client.get(MERGE_GET, headers=merge_headers("globex"))
    wrong = client.get(MERGE_GET, headers={**merge_headers(), "Authorization": "Bearer nope"})
    assert (one.status_code, expanded.status_code, elsewhere.status_code, wrong.status_code) == (200, 200, 404, 401)
    assert isinstance(expanded.json["organizer"], dict) and isinstance(one.json["organizer"], str)


def test_a_store_failing_under_a_read_is_answered_in_the_vendors_envelope_and_journaled(app, client, monkeypatch):
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
