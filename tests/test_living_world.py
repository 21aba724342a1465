"""A living world: simulated upstream changes, seen by each vendor's incremental sync the vendor's
way, deterministic for a seed and a sequence of calls, and undone by reset."""

from __future__ import annotations

import json
import subprocess
import uuid

import httpx
import pytest
import requests
from kombo import Kombo
from merge import Merge

from sandbox.app import create_app
from sandbox.settings import Settings
from sandbox.vendors.bindbee.ids import bid
from sandbox.vendors.kombo.render import kid
from sandbox.world.model import utc
from tests.helpers import (INTEGRATIONS, KOMBO_KEY, MERGE_KEY, NO_LIMIT, PATIENCE, TOKENS, TRUTO_ACCOUNTS, TRUTO_TOKEN,
                           Server, bindbee_headers, kombo_headers, merge_headers, wait_for)

T0, T1 = "2026-11-20T12:00:00Z", "2026-11-21T12:00:00Z"
EVERY_CHANGE = {"interviews": {"created": 3, "rescheduled": 3, "completed": 3, "cancelled": 2, "deleted": 2},
                "applications": {"created": 2, "changed": 3, "deleted": 1},
                "candidates": {"created": 2, "changed": 2, "deleted": 1}}


def mid(hex_id: str) -> str:
    return str(uuid.UUID(hex=hex_id))


@pytest.fixture(scope="module")
def living(tmp_path_factory):
    """A server whose clock stands at T0, then a day of every kind of change in acme."""
    srv = Server(tmp_path_factory.mktemp("living") / "data", workers=2, now=T0, rate_limit=NO_LIMIT)
    r = requests.post(f"{srv.url}/_sandbox/clock", json={"advance": "P1D"})
    assert r.json() == {"now": T1, "frozen": True}
    r = requests.post(f"{srv.url}/_sandbox/worlds/acme/simulate", json={**EVERY_CHANGE, "from": T0})
    assert r.status_code == 200, r.text
    srv.changes = r.json()["changes"]
    yield srv
    srv.stop()


def changed(srv, kind: str, *changes: str) -> set[str]:
    return {c["id"] for c in srv.changes if c["kind"] == kind and (not changes or c["change"] in changes)}


def test_a_simulation_makes_every_kind_of_change_in_its_window(living):
    counts = {}
    for c in living.changes:
        counts[(c["kind"], c["change"])] = counts.get((c["kind"], c["change"]), 0) + 1
        assert T0 < c["at"] <= T1
    for kind, asked in EVERY_CHANGE.items():
        for name, n in asked.items():  # a change with no plausible record to act on is left out
            got = counts.get((kind.rstrip("s"), name), 0)
            assert (got == n) if name in ("created", "deleted") else (got <= n), (kind, name, got)
    assert sum(counts.get(("interview", c), 0) for c in ("rescheduled", "completed", "cancelled")) >= 4
    assert counts[("scorecard", "created")] >= 3  # each completed interview's interviewers give feedback
    assert [c["at"] for c in living.changes] == sorted(c["at"] for c in living.changes)


def test_merge_sdk_incremental_sync_returns_exactly_the_changed_records_deletions_flagged(living):
    client = Merge(api_key=MERGE_KEY, account_token=TOKENS["acme"], base_url=f"{living.url}/merge/api")
    for resource, kind in (("interviews", "interview"), ("applications", "application"), ("candidates", "candidate")):
        api, got, cursor = getattr(client.ats, resource), [], None
        while True:
            page = api.list(modified_after=utc(T0), include_deleted_data=True, cursor=cursor, page_size=100)
            got += page.results
            if not (cursor := page.next):
                break
        assert {r.id for r in got} == {mid(i) for i in changed(living, kind)}, resource
        assert {r.id for r in got if r.remote_was_deleted} == {mid(i) for i in changed(living, kind, "deleted")}
        live = api.list(modified_after=utc(T0), page_size=100).results
        assert {r.id for r in live} == {mid(i) for i in changed(living, kind) - changed(living, kind, "deleted")}
    interviews = {i.id: i for i in client.ats.interviews.list(modified_after=utc(T0), include_deleted_data=True,
                                                               page_size=100).results}
    last = {c["id"]: c["change"] for c in living.changes if c["kind"] == "interview"}  # each one's latest change
    status = {"completed": "COMPLETE", "cancelled": "cancelled", "created": "SCHEDULED", "rescheduled": "SCHEDULED"}
    for i, change in last.items():
        if change != "deleted":
            assert interviews[mid(i)].status == status[change], (i, change)


def test_kombo_sdk_incremental_sync_returns_what_changed_with_its_applications(living):
    kombo = Kombo(api_key=KOMBO_KEY, integration_id=INTEGRATIONS["acme"], server_url=f"{living.url}/kombo/v1",
                  client=httpx.Client(timeout=PATIENCE))
    got, res = [], kombo.ats.get_interviews(updated_after=utc(T0), include_deleted=True)
    while res is not None:
        got += res.result.data.results
        res = res.next()
    # Kombo's interviews change with their application: an interview of a changed application is in too
    apps, by_app, cursor = changed(living, "application"), set(), None
    while True:
        page = requests.get(f"{living.url}/merge/api/ats/v1/interviews", headers=merge_headers(), params={
            "page_size": 100, "include_deleted_data": "true", **({"cursor": cursor} if cursor else {})}).json()
        by_app |= {i["id"].replace("-", "") for i in page["results"] if i["application"] and
                   i["application"].replace("-", "") in apps}
        if not (cursor := page["next"]):
            break
    assert {i.id for i in got} == {kid(i) for i in changed(living, "interview") | by_app}
    flagged = {i.id for i in got if i.remote_deleted_at is not None}
    just_deleted = {kid(i) for i in changed(living, "interview", "deleted")}
    assert flagged >= just_deleted and flagged - just_deleted <= {kid(i) for i in by_app}  # deleted before, re-sent with their application
    apps_got = kombo.ats.get_applications(updated_after=utc(T0), include_deleted=True).result.data.results
    assert {a.id for a in apps_got} == {kid(a) for a in apps}


def test_truto_sdk_incremental_sync_sees_updates_and_not_deletions(living, truto_python):
    script = ("import asyncio, json, sys\nfrom truto_python_sdk import TrutoApi\n"
              "api = TrutoApi(token=sys.argv[2], base_url=sys.argv[1])\n"
              "q = {'integrated_account_id': sys.argv[3], 'updated_at[gt]': sys.argv[4]}\n"
              "print(json.dumps(asyncio.run(api.unified_api.list('ats', 'interviews', q).to_array())))\n")
    out = subprocess.run([truto_python, "-c", script, f"{living.url}/truto", TRUTO_TOKEN, TRUTO_ACCOUNTS["acme"], T0],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = {i["id"] for i in json.loads(out.stdout)}
    ids = {c["id"] for c in living.changes}
    remote = {i["id"].replace("-", ""): i["remote_id"] for i in requests.get(
        f"{living.url}/merge/api/ats/v1/interviews", params={"modified_after": T0, "include_deleted_data": "true"},
        headers=merge_headers()).json()["results"]}
    assert ids  # Truto's ids are the platform's: the changed interviews but the deleted, which Truto no longer lists
    assert got == {remote[i] for i in changed(living, "interview") - changed(living, "interview", "deleted")}


def test_bindbee_incremental_sync_over_http_sees_updates_and_not_deletions(living):
    r = requests.get(f"{living.url}/bindbee/api/ats/v1/scheduled-interviews", params={"modified_after": T0},
                     headers=bindbee_headers())
    assert r.status_code == 200
    assert {i["id"] for i in r.json()["items"]} == {
        bid(i) for i in changed(living, "interview") - changed(living, "interview", "deleted")}


# ---- determinism and reset (in-process) --------------------------------------------------------


def run(tmp_path, seed: str | None = None) -> tuple[list, bytes]:
    client = create_app(Settings(data_dir=tmp_path, now=utc(T0), seed=seed)).test_client()
    client.post("/_sandbox/clock", json={"advance": "P1D"})
    changes = client.post("/_sandbox/worlds/acme/simulate", json={**EVERY_CHANGE, "from": T0}).json["changes"]
    more = client.post("/_sandbox/worlds/acme/simulate", json={"created": 2, "completed": 1, "from": T0}).json["changes"]
    page = client.get(f"/merge/api/ats/v1/interviews?modified_after={T0}&include_deleted_data=true",
                      headers=merge_headers()).data
    return changes + more, page


def test_the_same_seed_and_calls_give_the_same_bytes_another_seed_other_changes(tmp_path):
    first, again, other = run(tmp_path / "a"), run(tmp_path / "b"), run(tmp_path / "c", seed="7")
    assert first == again and first[0]
    assert other[0] != first[0]


def test_reset_after_writes_simulations_and_clock_moves_gives_the_pages_of_a_fresh_start(tmp_path):
    fresh = create_app(Settings(data_dir=tmp_path / "fresh", now=utc(T0))).test_client()
    paths = ["/merge/api/ats/v1/interviews?page_size=100", "/merge/api/ats/v1/applications?page_size=100",
             "/merge/api/ats/v1/candidates?page_size=100&include_deleted_data=true"]
    before = [fresh.get(p, headers=merge_headers()).data for p in paths]
    client = create_app(Settings(data_dir=tmp_path / "used", now=utc(T0))).test_client()
    client.post("/_sandbox/clock", json={"advance": "P3D"})
    client.post("/_sandbox/worlds/acme/simulate", json={**EVERY_CHANGE, "from": T0})
    assert [client.get(p, headers=merge_headers()).data for p in paths] != before
    assert client.post("/_sandbox/reset", json={}).status_code == 200
    assert [client.get(p, headers=merge_headers()).data for p in paths] == before
    assert client.get("/_sandbox/clock").json == {"now": T0, "frozen": True}


@pytest.mark.parametrize("body, error", [
    ({}, "the window is empty"), ({"created": -1}, "whole number"), ({"created": "2"}, "whole number"),
    ({"exploded": 1}, "unknown field"), ({"interviews": {"melted": 1}}, "interviews: counts of"),
    ({"created": 1, "from": "soon"}, "Invalid isoformat"), ({"created": 2000}, "at most 1000"),
    ({"created": 1, "from": T1, "to": T0}, "the window is empty"),
])
def test_a_bad_simulation_request_is_refused_with_a_reason(tmp_path, body, error):
    client = create_app(Settings(data_dir=tmp_path, now=utc("2026-11-01T09:00:00Z"))).test_client()
    r = client.post("/_sandbox/worlds/acme/simulate", json=body)
    assert r.status_code == 400 and error in r.json["error"]
    assert client.post("/_sandbox/worlds/nowhere/simulate", json={"created": 1}).status_code == 404


def test_advancing_the_clock_with_simulation_lets_time_run_at_each_worlds_pace(tmp_path):
    client = create_app(Settings(data_dir=tmp_path, now=utc(T0))).test_client()
    r = client.post("/_sandbox/clock", json={"advance": "PT12H", "simulate": True})
    assert r.status_code == 200 and r.json["now"] == "2026-11-21T00:00:00Z"
    changes = r.json["changes"]
    by_world = {w: [c for c in changes if c["world"] == w] for w in ("acme", "globex", "initech", "umbrella")}
    assert all(len(v) >= 12 for v in by_world.values())  # 24 a day by default, and a scorecard per completion's interviewer
    assert all(T0 < c["at"] <= "2026-11-21T00:00:00Z" for c in changes)
    listed = client.get(f"/merge/api/ats/v1/interviews?modified_after={T0}&include_deleted_data=true&page_size=100",
                        headers=merge_headers()).json["results"]
    assert {i["id"].replace("-", "") for i in listed} == {c["id"] for c in by_world["acme"] if c["kind"] == "interview"}
    assert client.post("/_sandbox/clock", json={"now": T0, "simulate": True}).status_code == 400


def test_paced_counts_keep_the_days_total():
    from datetime import timedelta

    from sandbox.world.simulate import paced_counts

    counts = paced_counts(24, timedelta(hours=12))
    assert sum(n for kind in counts.values() for n in kind.values()) == 12
    assert counts["interviews"]["created"] > counts["interviews"].get("deleted", 0)
    assert paced_counts(0, timedelta(days=3)) == {}


def test_a_simulation_run_through_one_worker_is_seen_through_the_other_at_once(living):
    expected = {mid(i) for i in changed(living, "interview") - changed(living, "interview", "deleted")}
    seen = {}

    def ask():  # new connections reach both workers
        r = requests.get(f"{living.url}/merge/api/ats/v1/interviews", params={"modified_after": T0, "page_size": 100},
                         headers=merge_headers(), timeout=PATIENCE)
        seen[r.headers["X-Sandbox-Worker"]] = {i["id"] for i in r.json()["results"]}
        return seen

    wait_for(ask, lambda s: len(s) == 2, "answers from both workers")
    assert all(ids == expected for ids in seen.values())


def test_kombo_nulls_a_deleted_records_fields_fourteen_sandbox_days_later(tmp_path):
    client = create_app(Settings(data_dir=tmp_path, now=utc(T0))).test_client()
    client.post("/_sandbox/clock", json={"advance": "PT1H"})
    [deleted] = [c for c in client.post("/_sandbox/worlds/acme/simulate", json={"deleted": 1, "from": T0}).json["changes"]]
    page = f"/kombo/v1/ats/interviews?updated_after={T0}&include_deleted=true"

    def record():
        [one] = client.get(page, headers=kombo_headers()).json["data"]["results"]
        return one

    assert record()["remote_deleted_at"] and record()["title"] and record()["users"]
    client.post("/_sandbox/clock", json={"advance": "P13D"})
    assert record()["title"]
    client.post("/_sandbox/clock", json={"advance": "P1D"})  # the first date 14 days after the deletion
    one = record()
    assert one["id"] == kid(deleted["id"]) and one["remote_deleted_at"] and one["changed_at"]
    assert (one["title"], one["starting_at"], one["users"], one["application"]) == (None, None, [], None)
    assert client.get(f"/kombo/v1/ats/interviews?updated_after={T0}", headers=kombo_headers()).json["data"]["results"] == []
