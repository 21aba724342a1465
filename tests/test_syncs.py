"""Sync cadences: through a credential with a `sync_interval`, an upstream change is invisible until
the clock passes its next sync or a sync is forced; the vendors' sync endpoints say where it stands."""

from __future__ import annotations

import pytest

from sandbox.app import create_app
from sandbox.settings import DEFAULT_FIXTURES, Settings
from sandbox.world.model import utc
from sandbox.vendors.kombo.render import world_id
from sandbox.vendors import load_fixtures
from tests.helpers import credential, spec_errors

T0 = "2026-11-20T12:00:00Z"  # a sync instant: hourly syncs fall on the hour from the fixtures' epoch (09:00)
CADENCED = """
[[credentials]]
vendor = "merge"
world = "acme"
api_key = "merge-sandbox-key"
account_token = "acme-hourly-account-token"
sync_interval = "PT1H"

[[credentials]]
vendor = "kombo"
world = "acme"
api_key = "kombo-sandbox-key"
integration_id = "greenhouse:Hourly5tQ2wE8rY4uI6oP3aS"
sync_interval = 3600

[[credentials]]
vendor = "bindbee"
world = "acme"
api_key = "bindbee-sandbox-key"
connector_token = "acme-hourly-connector"
sync_interval = "PT1H"
"""
MERGE = {"Authorization": "Bearer merge-sandbox-key", "X-Account-Token": "acme-hourly-account-token"}
KOMBO = {"Authorization": "Bearer kombo-sandbox-key", "X-Integration-Id": "greenhouse:Hourly5tQ2wE8rY4uI6oP3aS"}
BINDBEE = {"Authorization": "Bearer bindbee-sandbox-key", "x-connector-token": "acme-hourly-connector"}


@pytest.fixture
def client(tmp_path):
    (tmp_path / "fx").mkdir()
    (tmp_path / "fx" / "sandbox.toml").write_text((DEFAULT_FIXTURES / "sandbox.toml").read_text() + CADENCED)
    return create_app(Settings(fixtures=tmp_path / "fx", data_dir=tmp_path / "data", now=utc(T0))).test_client()


def changed_since(client, headers, since=T0) -> set[str]:
    merge = client.get(f"/merge/api/ats/v1/interviews?modified_after={since}&include_deleted_data=true&page_size=100",
                       headers=headers)
    return {i["id"].replace("-", "") for i in merge.json["results"]}


def kombo_changed(client, since=T0) -> set[str]:
    return {world_id(i["id"]) for i in client.get(f"/kombo/v1/ats/interviews?updated_after={since}&include_deleted=true",
                                                  headers=KOMBO).json["data"]["results"]}


def simulate(client, advance: str) -> set[str]:
    start = client.get("/_sandbox/clock").json["now"]
    client.post("/_sandbox/clock", json={"advance": advance})
    r = client.post("/_sandbox/worlds/acme/simulate", json={"created": 2, "rescheduled": 2, "cancelled": 1,
                                                             "from": start})
    assert r.status_code == 200
    return {c["id"] for c in r.json["changes"] if c["kind"] == "interview"}


def test_a_change_waits_for_the_next_sync_then_shows(client):
    ids = simulate(client, "PT10M")
    now_seen = changed_since(client, credential("merge")["headers"])  # no cadence: seen at once
    assert now_seen == ids and len(ids) >= 2
    assert changed_since(client, MERGE) == set() and kombo_changed(client) == set()
    assert client.get(f"/bindbee/api/ats/v1/scheduled-interviews?modified_after={T0}", headers=BINDBEE).json["items"] == []
    client.post("/_sandbox/clock", json={"advance": "PT49M"})  # 12:59: still before the next sync
    assert changed_since(client, MERGE) == set()
    client.post("/_sandbox/clock", json={"advance": "PT1M"})  # 13:00: the hourly sync
    assert changed_since(client, MERGE) == now_seen and kombo_changed(client) == now_seen
    assert len(client.get(f"/bindbee/api/ats/v1/scheduled-interviews?modified_after={T0}",
                          headers=BINDBEE).json["items"]) >= 2


def test_a_record_changed_since_the_last_sync_shows_as_it_was(client):
    before = client.get("/merge/api/ats/v1/interviews?page_size=100&include_deleted_data=true", headers=MERGE).data
    simulate(client, "PT20M")
    assert client.get("/merge/api/ats/v1/interviews?page_size=100&include_deleted_data=true", headers=MERGE).data == before


def test_a_forced_sync_shows_the_changes_at_once_through_that_credential_alone(client):
    simulate(client, "PT15M")
    seen = changed_since(client, credential("merge")["headers"])
    r = client.post("/merge/api/ats/v1/sync-status/resync", headers=MERGE)
    assert r.status_code == 200 and spec_errors("merge/ats_v3.yml", "#/paths/~1ats~1v1~1sync-status~1resync/post/"
                                                "responses/200/content/application~1json/schema", r.json) == []
    assert changed_since(client, MERGE) == seen and kombo_changed(client) == set()
    forced = client.post("/kombo/v1/force-sync", headers=KOMBO, json={"type": "DELTA"})
    assert forced.status_code == 200 and forced.json["data"]["already_queued"] is False
    assert spec_errors("kombo/kombo-openapi.json", "PostForceSyncPositiveResponse", forced.json) == []
    assert client.post("/kombo/v1/force-sync", headers=KOMBO).json["data"]["already_queued"] is True  # same instant
    assert kombo_changed(client) == seen
    assert client.post("/kombo/v1/force-sync", headers=KOMBO, json={"type": "HALF"}).status_code == 400


def test_the_control_plane_forces_a_sync_and_fixes_the_next_ones_outcome(client):
    cid = "merge:acme-hourly-account-token"
    simulate(client, "PT5M")
    r = client.post(f"/_sandbox/credentials/{cid}/next-sync", json={"outcome": "failed"})
    assert r.status_code == 200 and r.json["outcome"] == "succeeded" and r.json["next_outcome"] == "failed"
    status = client.get("/merge/api/ats/v1/sync-status", headers=MERGE).json
    assert {s["last_sync_result"] for s in status["results"]} == {"DONE"}
    client.post("/_sandbox/clock", json={"advance": "PT1S"})
    synced = client.post(f"/_sandbox/credentials/{cid}/sync", json={}).json
    assert synced["outcome"] == "failed" and synced["last_sync"] == "2026-11-20T12:05:01Z"
    status = client.get("/merge/api/ats/v1/sync-status", headers=MERGE).json
    assert spec_errors("merge/ats_v3.yml", "PaginatedSyncStatusList", status) == []
    assert {(s["last_sync_result"], s["status"], s["next_sync_start"]) for s in status["results"]} == {
        ("FAILED", "FAILED", "2026-11-20T13:00:00Z")}
    assert len(status["results"]) == 7 and status["results"][0]["model_id"] == "ats.ScheduledInterview"
    client.post("/_sandbox/clock", json={"advance": "PT1H"})  # past the 13:00 sync: the fixed outcome was one sync's
    assert {s["last_sync_result"] for s in client.get("/merge/api/ats/v1/sync-status", headers=MERGE).json["results"]} \
        == {"DONE"}
    assert client.post(f"/_sandbox/credentials/{cid}/next-sync", json={"outcome": "meh"}).status_code == 400
    assert client.post("/_sandbox/credentials/merge:nobody/sync", json={}).status_code == 404


def test_a_credential_that_sees_changes_at_once_keeps_its_forced_syncs_fixed_outcome_while_the_clock_runs(tmp_path):
    client = create_app(Settings(data_dir=tmp_path / "data")).test_client()  # the real clock, running
    cid, headers = credential("merge")["id"], credential("merge")["headers"]

    def results() -> set[str]:
        return {s["last_sync_result"] for s in client.get("/merge/api/ats/v1/sync-status", headers=headers).json["results"]}

    client.post(f"/_sandbox/credentials/{cid}/next-sync", json={"outcome": "partially_failed"})
    assert results() == {"DONE"}
    client.post(f"/_sandbox/credentials/{cid}/sync", json={})
    assert results() == {"PARTIALLY_SYNCED"} and results() == {"PARTIALLY_SYNCED"}
    client.post(f"/_sandbox/credentials/{cid}/sync", json={})  # the sync after that one succeeds again
    assert results() == {"DONE"}


@pytest.mark.parametrize("state, merge_status, kombo_status, setup", [
    ("healthy", "COMPLETE", "ACTIVE", "COMPLETED"), ("initial_sync", "INCOMPLETE", "ACTIVE", "FINAL_SYNC_PENDING"),
    ("relink_needed", "RELINK_NEEDED", "INVALID", "COMPLETED"), ("paused", "IDLE", "INACTIVE", "COMPLETED"),
])
def test_account_details_and_the_integration_follow_the_connections_state(client, state, merge_status, kombo_status,
                                                                          setup):
    for cid in ("merge:acme-hourly-account-token", "kombo:greenhouse:Hourly5tQ2wE8rY4uI6oP3aS"):
        assert client.put(f"/_sandbox/credentials/{cid}/state", json={"state": state}).status_code == 200
    details = client.get("/merge/api/ats/v1/account-details", headers=MERGE)
    assert details.status_code == 200 and details.json["status"] == merge_status
    assert spec_errors("merge/ats_v3.yml", "AccountDetails", details.json) == []
    r = client.get("/kombo/v1/integrations/greenhouse:Hourly5tQ2wE8rY4uI6oP3aS", headers=KOMBO)
    assert r.status_code == 200 and (r.json["data"]["status"], r.json["data"]["setup_status"]) == (kombo_status, setup)
    assert spec_errors("kombo/kombo-openapi.json", "GetIntegrationsIntegrationIdPositiveResponse", r.json) == []
    sync = client.get("/merge/api/ats/v1/sync-status", headers=MERGE).json["results"][0]
    assert sync["is_initial_sync"] is (state == "initial_sync")
    other = client.get("/kombo/v1/integrations/greenhouse:someone-else", headers=KOMBO)
    assert (other.status_code, other.json["error"]["code"]) == (404, "PLATFORM.INTEGRATION_NOT_FOUND")


def test_a_bad_sync_interval_in_the_fixtures_is_refused(tmp_path):
    from sandbox import fixtures

    (tmp_path / "sandbox.toml").write_text((DEFAULT_FIXTURES / "sandbox.toml").read_text() + CADENCED.replace(
        'sync_interval = "PT1H"', 'sync_interval = "hourly"', 1))
    with pytest.raises(fixtures.FixtureError, match="sync_interval"):
        load_fixtures(tmp_path)
