"""Webhooks: each vendor's events on writes, simulations, syncs and state changes, signed the vendor's way
(checked here by verifiers written from the documented constructions), retried on the vendor's schedule,
delivered once under two workers and after a crash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import time

import kombo.models as kombo_models
import pytest
import requests

from sandbox.vendors import registry
from tests.helpers import (PATIENCE, NO_LIMIT, ROOT, Receiver, Server, credential, fixtures_dir, free_port, merge_headers,
                           spec_errors, wait_for, world)
from tests.test_merge_api import author, new_model

VENDORS = ("merge", "kombo", "truto", "bindbee")
MERGE_SPEC, KOMBO_SPEC = "merge/ats_v3.yml", "kombo/kombo-openapi.json"


# ---- verifiers, written from each vendor's documented construction (not the sandbox's code) ----


def _mac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def verified(vendor: str, secret: str, body: bytes, headers: dict, encoding: str = "hex") -> bool:
    mac = _mac(secret, body)
    if vendor in ("merge", "kombo"):  # base64url, `=` padding stripped
        header = "x-merge-webhook-signature" if vendor == "merge" else "x-kombo-signature"
        return hmac.compare_digest(headers[header], base64.urlsafe_b64encode(mac).decode().rstrip("="))
    if vendor == "truto":  # format=sha256,v=<hex> (or base64, a receiver's choice)
        written = mac.hex() if encoding == "hex" else base64.b64encode(mac).decode()
        return hmac.compare_digest(headers["x-truto-signature"], f"format=sha256,v={written}")
    return hmac.compare_digest(headers["x-bindbee-webhook-signature"], base64.urlsafe_b64encode(mac).decode())


def kombo_schema(event: str) -> str:
    return f"#/webhooks/{event}/post/requestBody/content/application~1json/schema"


# ---- helpers ----


def register(srv: Server, receiver: Receiver | str, vendor: str, **fields) -> dict:
    url = receiver if isinstance(receiver, str) else receiver.url
    body = {"vendor": vendor, "url": url, "credential": credential(vendor)["id"], **fields}
    r = requests.post(f"{srv.url}/_sandbox/webhooks", json=body, timeout=PATIENCE)
    assert r.status_code == 201, r.text
    return r.json()


def events(receiver: Receiver) -> list[str]:
    names = []
    for body in receiver.bodies():
        names.append(body.get("hook", {}).get("event") or body.get("type") or body.get("event")
                     or body.get("webhook", {}).get("event"))
    return names


def merge_write(srv: Server) -> None:
    r = requests.post(f"{srv.url}/merge/api/ats/v1/interviews", headers=merge_headers(),
                      json={"model": new_model(), "remote_user_id": author()}, timeout=PATIENCE)
    assert r.status_code == 201, r.text


def deliveries(srv: Server, **query) -> list[dict]:
    r = requests.get(f"{srv.url}/_sandbox/webhooks/deliveries", params=query, timeout=PATIENCE)
    assert r.status_code == 200, r.text
    return r.json()


def settled(srv: Server, count: int, **query) -> list[dict]:
    """The deliveries once `count` of them are delivered or failed."""
    return wait_for(lambda: deliveries(srv, **query), lambda found: sum(d["status"] != "pending" for d in found) >= count,
                    f"{count} deliveries settled")


@pytest.fixture
def srv(tmp_path):
    server = Server(tmp_path / "data", workers=2, rate_limit=NO_LIMIT)
    yield server
    server.stop()


# ---- 1. each vendor's events, in its envelope, signed its way ---------------------------------


MERGE_MODELS = ("ScheduledInterview", "Application", "Candidate", "RemoteUser", "Job", "JobInterviewStage", "Scorecard")
EXPECTED = {
    "merge": ["ScheduledInterview.added", "ScheduledInterview.added", "LinkedAccount.sync_completed",
              *(f"{m}.synced" for m in MERGE_MODELS), "Issue.created"],
    "kombo": ["data-changed", "data-changed", "sync-finished", "integration-state-changed"],
    "truto": ["record:created", "record:created", "sync_job_run:completed", "integrated_account:authentication_error"],
    "bindbee": ["connector_data_modified", "connector_data_modified", "connector_sync_started", "connector_synced",
                "connector_sync_error"],
}


def test_each_vendor_sends_its_events_for_a_write_a_simulation_a_sync_and_a_state_change(srv):
    receivers = {v: Receiver() for v in VENDORS}
    secrets = {v: register(srv, receivers[v], v)["secret"] for v in VENDORS}

    def step(counts: dict):
        for v, n in counts.items():
            receivers[v].wait(n)

    merge_write(srv)  # a write through Merge is a change every vendor's credential on the world sees
    step({"merge": 1, "kombo": 1, "truto": 1, "bindbee": 1})
    r = requests.post(f"{srv.url}/_sandbox/worlds/acme/simulate", json={"created": 1}, timeout=PATIENCE)
    assert r.status_code == 200
    step({"merge": 2, "kombo": 2, "truto": 2, "bindbee": 2})
    for v in VENDORS:
        assert requests.post(f"{srv.url}/_sandbox/credentials/{credential(v)['id']}/sync", json={},
                             timeout=PATIENCE).status_code == 200
    step({"merge": 10, "kombo": 3, "truto": 3, "bindbee": 4})
    for v in VENDORS:
        assert requests.put(f"{srv.url}/_sandbox/credentials/{credential(v)['id']}/state",
                            json={"state": "relink_needed"}, timeout=PATIENCE).status_code == 200
    step({v: len(EXPECTED[v]) for v in VENDORS})
    time.sleep(0.3)  # nothing more comes

    for v in VENDORS:
        assert events(receivers[v]) == EXPECTED[v], v
        for _, headers, body in receivers[v].got:
            assert verified(v, secrets[v], body, headers), (v, headers)
            assert headers["content-type"] == "application/json"

    merge = receivers["merge"].bodies()
    for body in merge:
        assert set(body) == {"hook", "linked_account", "data"}
        assert body["hook"]["target"] == receivers["merge"].url
        assert body["linked_account"]["end_user_origin_id"] == "acme"
    for body in merge[:2]:
        assert spec_errors(MERGE_SPEC, "ScheduledInterview", body["data"]) == []
    assert [s["model_name"] for s in merge[2]["data"]["sync_status"]] == list(MERGE_MODELS)
    for body in merge[3:10]:
        assert spec_errors(MERGE_SPEC, "SyncStatus", body["data"]) == []
    assert spec_errors(MERGE_SPEC, "Issue", merge[10]["data"]) == [] and merge[10]["data"]["status"] == "ONGOING"

    models = {"data-changed": kombo_models.DataChangedWebhookPayload,
              "sync-finished": kombo_models.SyncFinishedWebhookPayload,
              "integration-state-changed": kombo_models.IntegrationStateChangedWebhookPayload}
    for body in receivers["kombo"].bodies():
        assert spec_errors(KOMBO_SPEC, kombo_schema(body["type"]), body) == [], body
        models[body["type"]].model_validate(body)  # the Kombo SDK's own model of the payload
    kombo = receivers["kombo"].bodies()
    assert kombo[0]["data"]["changed_models"] == [{"name": "ats_interviews"}]
    assert kombo[2]["data"]["sync_state"] == "SUCCEEDED" and kombo[3]["data"]["state"] == "INVALID"

    truto = receivers["truto"].bodies()
    for body in truto:
        assert set(body) == {"id", "event", "payload", "environment_id", "webhook_id", "created_at"}
    assert truto[0]["payload"]["resource"] == "ats/interviews" and truto[0]["payload"]["method"] == "create"
    assert truto[0]["payload"]["integrated_account_id"] == credential("truto")["query"]["integrated_account_id"]
    assert len({b["id"] for b in truto}) == len(truto)

    bindbee = receivers["bindbee"].bodies()
    for body in bindbee:
        assert {"webhook", "connector", "data", "sync"} <= set(body) <= {"webhook", "connector", "data", "sync", "error"}
        assert body["connector"]["origin_id"] == "acme"
    assert list(bindbee[0]["data"]) == ["ScheduledInterview"] and len(bindbee[0]["data"]["ScheduledInterview"]) == 1
    assert bindbee[4]["error"]["code"] == "AUTHENTICATION_FAILED"
    for r in receivers.values():
        r.close()


def test_a_sync_whose_outcome_was_fixed_reports_it_the_vendors_way(srv):
    receivers = {v: Receiver() for v in ("kombo", "truto", "bindbee")}
    for v, r in receivers.items():
        register(srv, r, v)
        cid = credential(v)["id"]
        assert requests.post(f"{srv.url}/_sandbox/credentials/{cid}/next-sync", json={"outcome": "failed"},
                             timeout=PATIENCE).status_code == 200
        assert requests.post(f"{srv.url}/_sandbox/credentials/{cid}/sync", json={}, timeout=PATIENCE).status_code == 200
    kombo = receivers["kombo"].wait(1) and receivers["kombo"].bodies()[0]
    assert kombo["type"] == "sync-finished" and kombo["data"]["sync_state"] == "FAILED"
    assert spec_errors(KOMBO_SPEC, kombo_schema("sync-finished"), kombo) == []
    receivers["truto"].wait(1)
    assert events(receivers["truto"]) == ["sync_job_run:failed"]
    receivers["bindbee"].wait(2)
    assert events(receivers["bindbee"]) == ["connector_sync_started", "connector_sync_error"]
    assert receivers["bindbee"].bodies()[1]["error"]["code"] == "SYNC_FAILED"
    for r in receivers.values():
        r.close()


def test_an_upstream_change_is_sent_after_the_credentials_next_sync_not_before(tmp_path):
    """A credential that syncs hourly hears of a simulated change at its next sync, with the sync."""
    fixtures = fixtures_dir(
        tmp_path, '[sandbox]\nseed = 5\nepoch = "2026-11-01T09:00:00Z"\n[[worlds]]\nkey = "tiny"\ncompany = "Tiny Co"\n'
        'platform = "greenhouse"\ninterviews = 20\n[[credentials]]\nvendor = "kombo"\nworld = "tiny"\n'
        'api_key = "k"\nintegration_id = "greenhouse:Tiny1"\nsync_interval = "PT1H"\n')
    srv = Server(tmp_path / "data", workers=2, fixtures=fixtures, now="2026-11-20T10:30:00Z")
    receiver = Receiver()
    try:
        r = requests.post(f"{srv.url}/_sandbox/webhooks", json={"vendor": "kombo", "url": receiver.url, "world": "tiny"},
                          timeout=PATIENCE)
        assert r.status_code == 201
        changes = requests.post(f"{srv.url}/_sandbox/worlds/tiny/simulate",
                                json={"created": 1, "from": "2026-11-20T10:00:00Z"}, timeout=PATIENCE).json()["changes"]
        assert len(changes) == 1
        time.sleep(0.6)
        assert receiver.got == []  # the change is upstream: the credential has not synced since
        requests.post(f"{srv.url}/_sandbox/clock", json={"advance": "PT30M"}, timeout=PATIENCE)  # past 11:00, its next sync
        receiver.wait(2)
        assert events(receiver) == ["data-changed", "sync-finished"]
        assert receiver.bodies()[1]["data"]["sync_started_at"] == "2026-11-20T11:00:00.000Z"
    finally:
        receiver.close()
        srv.stop()


# ---- 2. retries on each vendor's schedule -------------------------------------------------------


def gaps(receiver: Receiver) -> list[float]:
    times = [t for t, _, _ in receiver.got]
    return [round(b - a, 2) for a, b in zip(times, times[1:])]


def test_merge_retries_a_5xx_after_1_then_2_seconds_and_the_delivery_then_succeeds(srv):
    receiver = Receiver(failures=2)
    register(srv, receiver, "merge")
    merge_write(srv)
    receiver.wait(3)
    first, second = gaps(receiver)
    assert 0.95 <= first <= 1.75 and 1.95 <= second <= 2.75, gaps(receiver)
    [delivery] = settled(srv, 1)
    assert delivery["status"] == "delivered" and [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert delivery["attempts"][0]["response"] == '{"received":false}' and delivery["attempts"][0]["latency_ms"] > 0
    receiver.close()


def test_merge_drops_a_delivery_a_receiver_answers_with_a_4xx(srv):
    receiver = Receiver(failures=None, fail=400)
    register(srv, receiver, "merge")
    merge_write(srv)
    [delivery] = settled(srv, 1)
    time.sleep(1.3)
    assert delivery["status"] == "failed" and len(receiver.got) == 1
    receiver.close()


@pytest.mark.parametrize("vendor, waits", [("merge", [1, 2]), ("kombo", [1, 2, 4]), ("truto", [2.5, 5, 10]),
                                           ("bindbee", [5, 10, 15, 30])])
def test_a_receiver_that_always_fails_gets_the_vendors_retries_then_the_delivery_is_marked_failed(tmp_path, vendor,
                                                                                                   waits):
    scale = 0.1  # the vendor's schedule, ten times faster
    srv = Server(tmp_path / "data", workers=2, rate_limit=NO_LIMIT, webhook_retry_scale=scale)
    receiver = Receiver(failures=None, fail=503)
    try:
        hook = register(srv, receiver, vendor)
        requests.post(f"{srv.url}/_sandbox/worlds/acme/simulate", json={"created": 1}, timeout=PATIENCE)
        receiver.wait(len(waits) + 1)
        [delivery] = settled(srv, 1)
        assert delivery["status"] == "failed" and len(delivery["attempts"]) == len(waits) + 1
        for gap, wait in zip(gaps(receiver), waits):
            assert wait * scale - 0.02 <= gap <= wait * scale + 0.75, (gaps(receiver), waits)
        listed = {r["id"]: r for r in requests.get(f"{srv.url}/_sandbox/webhooks", timeout=PATIENCE).json()}
        assert listed[hook["id"]]["active"] is (vendor != "truto")  # Truto deactivates the webhook
    finally:
        receiver.close()
        srv.stop()


# ---- 3. once under two workers, twice when asked, and after a crash -----------------------------


def test_under_two_workers_each_event_is_delivered_once_or_twice_when_asked(srv):
    once, twice = Receiver(), Receiver()
    register(srv, once, "merge")
    register(srv, twice, "truto", duplicate=True)
    for _ in range(12):
        merge_write(srv)
    once.wait(12)
    twice.wait(24)
    time.sleep(0.5)
    assert len(once.got) == 12 and len({b["data"]["id"] for b in once.bodies()}) == 12
    ids = [b["id"] for b in twice.bodies()]
    assert len(ids) == 24 and all(ids.count(i) == 2 for i in ids)
    signatures = [h["x-truto-signature"] for _, h, _ in twice.got]
    assert all(signatures.count(s) == 2 for s in signatures)  # a copy is the same bytes, signed the same
    once.close()
    twice.close()


def test_deliveries_pending_when_the_server_is_killed_are_made_after_a_restart(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks"
    data = tmp_path / "data"
    srv = Server(data, workers=2, rate_limit=NO_LIMIT)
    register(srv, url, "truto")  # nothing listens there yet: each attempt fails, and is retried (for 17.5 s)
    for _ in range(3):
        merge_write(srv)
    wait_for(lambda: deliveries(srv), lambda found: len(found) >= 3 and all(d["attempts"] for d in found),
             "3 deliveries attempted")
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    receiver = Receiver(port=port)
    restarted = Server(data, workers=2, rate_limit=NO_LIMIT)
    try:
        receiver.wait(3)  # (a delivery held when the server died is taken again after its lease)
        time.sleep(0.3)
        assert events(receiver) == ["record:created"] * 3
        assert len({b["payload"]["record"]["id"] for b in receiver.bodies()}) == 3
        assert {d["status"] for d in settled(restarted, 3)} == {"delivered"}
    finally:
        receiver.close()
        restarted.stop()


def test_receiver_options_break_the_signature_and_shuffle_the_order(srv):
    bad, shuffled, base64_truto = Receiver(), Receiver(), Receiver()
    secret = register(srv, bad, "merge", bad_signature=True)["secret"]
    register(srv, shuffled, "truto", shuffle=True)
    truto_secret = register(srv, base64_truto, "truto", signature_encoding="base64")["secret"]
    requests.post(f"{srv.url}/_sandbox/worlds/acme/simulate", json={"created": 10}, timeout=PATIENCE)  # made at once
    bad.wait(10)
    shuffled.wait(10)
    base64_truto.wait(10)
    assert not any(verified("merge", secret, body, headers) for _, headers, body in bad.got)
    assert all(verified("truto", truto_secret, body, headers, "base64") for _, headers, body in base64_truto.got)
    queued = [json.loads(d["body"])["id"] for d in deliveries(srv, receiver=2)]
    arrived = [b["id"] for b in shuffled.bodies()]
    assert sorted(arrived) == sorted(queued) and arrived != queued
    for r in (bad, shuffled, base64_truto):
        r.close()


# ---- the control plane ------------------------------------------------------------------------


BAD_RECEIVERS = [
    ({}, "vendor: one of"),
    ({"vendor": "workable", "url": "http://x"}, "vendor: one of"),
    ({"vendor": "merge"}, "url: an http"),
    ({"vendor": "merge", "url": "ftp://x/y"}, "url: an http"),
    ({"vendor": "merge", "url": "http://x:99999/y"}, "url: an http"),
    ({"vendor": "merge", "url": "http://x", "credential": "kombo:x"}, "credential: no merge credential"),
    ({"vendor": "merge", "url": "http://x", "world": "nowhere"}, "world: one of"),
    ({"vendor": "merge", "url": "http://x", "world": "acme", "credential": "merge:acme-greenhouse-account-token"},
     "not both"),
    ({"vendor": "merge", "url": "http://x", "events": ["data-changed"]}, "merge sends no data-changed"),
    ({"vendor": "merge", "url": "http://x", "events": []}, "events: a non-empty list"),
    ({"vendor": "merge", "url": "http://x", "secret": ""}, "secret: a non-empty string"),
    ({"vendor": "merge", "url": "http://x", "duplicate": "yes"}, "duplicate: true or false"),
    ({"vendor": "merge", "url": "http://x", "signature_encoding": "hex"}, "unknown field(s) signature_encoding"),
    ({"vendor": "truto", "url": "http://x", "signature_encoding": "base32"}, "signature_encoding: one of hex, base64"),
    ([], "expected a JSON object"),
]


@pytest.mark.parametrize("body, message", BAD_RECEIVERS)
def test_a_bad_receiver_is_refused_with_what_is_wrong(client, body, message):
    r = client.post("/_sandbox/webhooks", json=body)
    assert r.status_code == 400 and message in r.json["error"], r.json


def test_receivers_are_listed_without_their_secrets_and_removed(client):
    made = client.post("/_sandbox/webhooks", json={"vendor": "truto", "url": "http://127.0.0.1:9/h"}).json
    given = client.post("/_sandbox/webhooks", json={"vendor": "merge", "url": "http://127.0.0.1:9/h", "secret": "s3"}).json
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", made["secret"])  # Truto's: a UUID
    assert "secret" not in given  # a secret the client chose is not sent back
    listed = client.get("/_sandbox/webhooks").json
    assert [r["id"] for r in listed] == [made["id"], given["id"]] and all("secret" not in r for r in listed)
    assert listed[0] == {k: v for k, v in made.items() if k != "secret"}
    assert client.delete(f"/_sandbox/webhooks/{made['id']}").status_code == 200
    assert client.delete(f"/_sandbox/webhooks/{made['id']}").status_code == 404
    assert client.delete("/_sandbox/webhooks").status_code == 200 and client.get("/_sandbox/webhooks").json == []


def test_a_removed_receivers_pending_deliveries_are_marked_failed_and_not_sent(srv):
    receiver = Receiver(failures=None, fail=502)
    hook = register(srv, receiver, "truto")  # its next attempt would be 2.5 s later
    merge_write(srv)
    receiver.wait(1)
    assert requests.delete(f"{srv.url}/_sandbox/webhooks/{hook['id']}", timeout=PATIENCE).status_code == 200
    [delivery] = settled(srv, 1)
    assert delivery["status"] == "failed" and len(receiver.got) == 1
    assert delivery["attempts"][-1]["error"].startswith("the receiver was removed")
    receiver.close()


def test_a_receiver_hears_only_the_events_it_asked_for(srv):
    receiver = Receiver()
    register(srv, receiver, "merge", events=["LinkedAccount.sync_completed"])
    merge_write(srv)
    requests.post(f"{srv.url}/_sandbox/credentials/{credential('merge')['id']}/sync", json={}, timeout=PATIENCE)
    receiver.wait(1)
    time.sleep(0.4)
    assert events(receiver) == ["LinkedAccount.sync_completed"]
    receiver.close()


@pytest.mark.parametrize("vendor, event", [("merge", "Candidate.changed"), ("kombo", "sync-finished"),
                                           ("truto", "integrated_account:active"), ("bindbee", "connector_synced")])
def test_fire_sends_one_event_now_with_a_realistic_body(srv, vendor, event):
    receiver = Receiver()
    secret = register(srv, receiver, vendor)["secret"]
    r = requests.post(f"{srv.url}/_sandbox/webhooks/fire",
                      json={"vendor": vendor, "credential": credential(vendor)["id"], "event": event}, timeout=PATIENCE)
    assert r.status_code == 202 and len(r.json()["deliveries"]) == 1
    receiver.wait(1)
    assert events(receiver) == [event]
    _, headers, body = receiver.got[0]
    assert verified(vendor, secret, body, headers)
    if vendor == "merge":
        assert spec_errors(MERGE_SPEC, "Candidate", json.loads(body)["data"]) == []
    if vendor == "kombo":
        assert spec_errors(KOMBO_SPEC, kombo_schema(event), json.loads(body)) == []
    given = requests.post(f"{srv.url}/_sandbox/webhooks/fire", json={
        "vendor": vendor, "credential": credential(vendor)["id"], "event": event, "data": {"given": True}}, timeout=PATIENCE)
    assert given.status_code == 202
    receiver.wait(2)
    sent = receiver.bodies()[1]
    assert sent["payload" if vendor == "truto" else "data"] == {"given": True}
    receiver.close()


@pytest.mark.parametrize("body, status, message", [
    ({"vendor": "merge", "credential": "merge:acme-greenhouse-account-token"}, 400, "expected"),
    ({"vendor": "merge", "credential": "nobody", "event": "Candidate.added"}, 404, "no merge credential"),
    ({"vendor": "merge", "credential": "merge:acme-greenhouse-account-token", "event": "data-changed"}, 400,
     "merge sends no 'data-changed'"),
    ({"vendor": "merge", "credential": "merge:acme-greenhouse-account-token", "event": "Candidate.added"}, 409,
     "no active merge receiver"),
])
def test_fire_refuses_what_it_cannot_send(client, body, status, message):
    r = client.post("/_sandbox/webhooks/fire", json=body)
    assert r.status_code == status and message in r.json["error"], r.json


def test_deliveries_filter_by_receiver_event_and_status_and_refuse_a_bad_filter(client):
    assert client.get("/_sandbox/webhooks/deliveries?status=lost").status_code == 400
    assert client.get("/_sandbox/webhooks/deliveries?receiver=one").status_code == 400
    assert client.get("/_sandbox/webhooks/deliveries?status=failed&event=x&receiver=3").json == []


def test_receivers_in_the_fixtures_are_there_at_start_and_again_after_a_reset(tmp_path):
    receiver = Receiver()
    text = (ROOT / "fixtures" / "sandbox.toml").read_text()
    fixtures = fixtures_dir(
        tmp_path, f'{text}\n[[webhooks]]\nvendor = "bindbee"\nworld = "acme"\nurl = "{receiver.url}"\nsecret = "fixture-secret"\n'
        'events = ["connector_data_modified"]\n')
    srv = Server(tmp_path / "data", workers=2, rate_limit=NO_LIMIT, fixtures=fixtures)
    try:
        [listed] = requests.get(f"{srv.url}/_sandbox/webhooks", timeout=PATIENCE).json()
        assert listed["vendor"] == "bindbee" and listed["world"] == "acme" and listed["events"] == ["connector_data_modified"]
        merge_write(srv)
        receiver.wait(1)
        assert verified("bindbee", "fixture-secret", receiver.got[0][2], receiver.got[0][1])
        requests.post(f"{srv.url}/_sandbox/reset", json={}, timeout=PATIENCE)
        assert [r["id"] for r in requests.get(f"{srv.url}/_sandbox/webhooks", timeout=PATIENCE).json()] == [1]
        merge_write(srv)
        receiver.wait(2)
    finally:
        receiver.close()
        srv.stop()


def test_a_fixtures_receiver_without_a_secret_is_refused_at_start(tmp_path):
    from sandbox.app import create_app
    from sandbox.fixtures import FixtureError
    from sandbox.settings import Settings

    text = (ROOT / "fixtures" / "sandbox.toml").read_text()
    fixtures = fixtures_dir(tmp_path, f'{text}\n[[webhooks]]\nvendor = "merge"\nurl = "http://127.0.0.1:9/h"\n')
    with pytest.raises(FixtureError, match="webhook receiver 1 in the fixtures: a receiver in the fixtures names its secret"):
        create_app(Settings(fixtures=fixtures, data_dir=tmp_path / "data"))


# ---- Merge's own webhook-receivers endpoint -----------------------------------------------------


def test_merge_webhook_receivers_are_created_and_listed_per_linked_account(client):
    base = "/merge/api/ats/v1/webhook-receivers"
    assert client.get(base, headers=merge_headers()).json == []
    r = client.post(base, headers=merge_headers(), json={"event": "candidate.created", "is_active": True, "key": "k1"})
    assert r.status_code == 201 and r.json == {"event": "candidate.created", "is_active": True, "key": "k1"}
    assert spec_errors(MERGE_SPEC, "WebhookReceiver", r.json) == []
    client.post(base, headers=merge_headers(), json={"event": "candidate.created", "is_active": False})
    assert client.get(base, headers=merge_headers()).json == [{"event": "candidate.created", "is_active": False}]
    assert client.get(base, headers=merge_headers("globex")).json == []
    bad = client.post(base, headers=merge_headers(), json={"event": "", "is_active": "maybe"})
    assert bad.status_code == 400 and set(bad.json) == {"event", "is_active"}


# ---- 4. the README's test vectors ---------------------------------------------------------------


def readme_vectors() -> list[tuple[str, str, str, str]]:
    """(vendor, secret, body, header value) from the README's table of test vectors."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Test vectors", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \| `([^`]+)` \| `([^`]+)` \|$", section, re.MULTILINE)
    return [(vendor.lower(), secret, body, value) for vendor, secret, body, value in rows]


def readme_verifiers() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Test vectors", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^# (\w+)\n(def verify.*?)(?=^# \w+\n|^```)", section, re.MULTILINE | re.DOTALL))


def test_the_readmes_test_vectors_are_what_each_vendor_signs():
    vectors = readme_vectors()
    assert [v for v, *_ in vectors] == list(VENDORS)
    hooks = {name: v.webhooks for name, v in registry().items()}
    for vendor, secret, body, value in vectors:
        header = hooks[vendor].header
        assert hooks[vendor].sign(secret.encode(), body.encode(), {}) == value, vendor
        assert verified(vendor, secret, body.encode(), {header.lower(): value}), vendor


def test_the_readmes_verification_snippets_accept_the_vectors_and_refuse_a_changed_body():
    snippets = readme_verifiers()
    assert sorted(snippets) == sorted(VENDORS)
    for vendor, secret, body, value in readme_vectors():
        code = snippets[vendor]
        assert len(code.strip().splitlines()) <= 5, code
        scope: dict = {}
        exec(code, scope)  # noqa: S102 - the README's own snippet
        assert scope["verify"](secret.encode(), body.encode(), value) is True, vendor
        assert scope["verify"](secret.encode(), body.encode() + b" ", value) is False, vendor


def test_no_event_goes_to_a_world_or_credential_the_receiver_does_not_hear(srv):
    receiver = Receiver()
    register(srv, receiver, "merge")  # acme's linked account
    r = requests.post(f"{srv.url}/merge/api/ats/v1/interviews", headers=merge_headers("globex"),
                      json={"model": new_model("globex"), "remote_user_id": author("globex")}, timeout=PATIENCE)
    assert r.status_code in (201, 400)
    requests.post(f"{srv.url}/_sandbox/worlds/globex/simulate", json={"created": 2}, timeout=PATIENCE)
    time.sleep(0.6)
    assert receiver.got == [] and world("globex") is not None
    receiver.close()


def test_a_vendor_announces_no_interview_of_a_platform_whose_interviews_it_does_not_serve(srv):
    """Truto lists no Lever interviews (its docs): an interview made upstream in a Lever world is
    announced to a Greenhouse account's receiver for the same change there, not to the Lever one's."""
    served, refused = Receiver(), Receiver()
    register(srv, served, "truto", credential=credential("truto", "acme")["id"])
    register(srv, refused, "truto", credential=credential("truto", "globex")["id"])
    for key in ("acme", "globex"):
        assert requests.post(f"{srv.url}/_sandbox/worlds/{key}/simulate", json={"created": 2}, timeout=PATIENCE).status_code == 200
    settled(srv, 2)
    time.sleep(0.6)
    assert [(b["event"], b["payload"]["resource"]) for b in served.bodies()] == [("record:created", "ats/interviews")] * 2
    assert refused.bodies() == []
    served.close()
    refused.close()
