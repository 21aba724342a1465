"""The sandbox clock: one for the whole server, kept in the store; set, moved on, frozen; every
timestamp a write makes comes from it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from sandbox.app import create_app
from sandbox.control.clock import duration
from sandbox.settings import Settings
from sandbox.world.model import utc
from tests.helpers import PATIENCE, merge_headers, wait_for, world

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def frozen(tmp_path):
    return create_app(Settings(data_dir=tmp_path / "data", now=utc(NOW))).test_client()


def test_a_frozen_clock_reads_its_instant_and_moves_only_when_told(frozen):
    assert frozen.get("/_sandbox/clock").json == {"now": NOW, "frozen": True}
    assert frozen.post("/_sandbox/clock", json={"advance": "PT2H30M"}).json == {"now": "2026-11-20T14:30:00Z",
                                                                               "frozen": True}
    assert frozen.post("/_sandbox/clock", json={"now": "2027-01-01T00:00:00+01:00"}).json == {
        "now": "2026-12-31T23:00:00Z", "frozen": True}
    assert frozen.get("/_sandbox/clock").json["now"] == "2026-12-31T23:00:00Z"


def test_a_running_clock_keeps_its_offset_from_real_time(tmp_path):
    client = create_app(Settings(data_dir=tmp_path / "data")).test_client()
    assert client.get("/_sandbox/clock").json["frozen"] is False
    client.post("/_sandbox/clock", json={"advance": "P10D"})
    now = utc(client.get("/_sandbox/clock").json["now"])
    assert abs(now - datetime.now(timezone.utc) - timedelta(days=10)) < timedelta(seconds=5)
    frozen_at = utc(client.post("/_sandbox/clock", json={"frozen": True}).json["now"])
    time.sleep(0.05)
    assert utc(client.get("/_sandbox/clock").json["now"]) == frozen_at
    client.post("/_sandbox/clock", json={"frozen": False})
    assert utc(client.get("/_sandbox/clock").json["now"]) >= frozen_at


def test_writes_take_their_time_from_the_sandbox_clock(frozen):
    frozen.post("/_sandbox/clock", json={"now": "2030-05-05T05:05:05Z"})
    w = world("acme")
    app = next(a for a in w.applications.values() if w.jobs[a.job_id].title == "Staff Robotics Engineer")
    stage = next(s for s in w.stages.values() if s.job_id == app.job_id)
    user = next(u for u in w.users.values() if u.email.startswith("ada."))
    r = frozen.post("/merge/api/ats/v1/interviews", headers=merge_headers(), json={
        "model": {"application": app.id, "job_interview_stage": stage.id, "interviewers": [user.id],
                  "start_at": "2030-06-01T10:00:00Z", "end_at": "2030-06-01T11:00:00Z"},
        "remote_user_id": user.remote_id})
    assert r.status_code == 201 and r.json["model"]["created_at"] == "2030-05-05T05:05:05Z"


@pytest.mark.parametrize("body", [
    [], {}, {"nope": 1}, {"now": "yesterday"}, {"now": 5}, {"advance": "2 hours"}, {"advance": "P1M"},
    {"advance": "P"}, {"advance": "PT"}, {"now": NOW, "advance": "PT1H"}, {"frozen": "yes"},
])
def test_a_bad_clock_request_is_refused_with_a_reason(frozen, body):
    r = frozen.post("/_sandbox/clock", json=body)
    assert r.status_code == 400 and "expected" in r.json["error"]
    assert frozen.get("/_sandbox/clock").json == {"now": NOW, "frozen": True}


@pytest.mark.parametrize("text, expected", [
    ("PT2H", timedelta(hours=2)), ("P1DT30M", timedelta(days=1, minutes=30)), ("P2W", timedelta(weeks=2)),
    ("PT0.5S", timedelta(milliseconds=500)), ("pt90m", timedelta(minutes=90)),
])
def test_durations_read_as_iso_8601(text, expected):
    assert duration(text) == expected


def test_a_clock_set_through_one_worker_is_read_through_the_other_at_once(server):
    requests.post(f"{server.url}/_sandbox/clock", json={"now": "2031-01-01T00:00:00Z", "frozen": True})
    try:
        seen = {}

        def ask():  # new connections reach both workers
            r = requests.get(f"{server.url}/_sandbox/clock", timeout=PATIENCE)
            seen[r.headers["X-Sandbox-Worker"]] = r.json()
            return seen

        wait_for(ask, lambda s: len(s) == 2, "answers from both workers")
        assert all(v == {"now": "2031-01-01T00:00:00Z", "frozen": True} for v in seen.values())
    finally:  # back to real time, for the other tests of this server
        requests.post(f"{server.url}/_sandbox/clock", json={"frozen": False,
                                                            "now": datetime.now(timezone.utc).isoformat()})
