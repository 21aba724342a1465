"""Connection states: a credential put out of order (by the fixtures or by a test) answers as its
vendor answers such a connection, and every worker sees a change at once."""

from __future__ import annotations


import httpx
import pytest
import requests
from kombo import Kombo
from kombo import errors as kombo_errors
from merge import Merge
from merge.core.api_error import ApiError as MergeApiError

from sandbox.vendors.bindbee.ids import bid
from tests.helpers import (INTEGRATIONS, KOMBO_KEY, MERGE_KEY, PATIENCE, TOKENS, accounts, bindbee_headers, credential,
                           kombo_headers, merge_headers, wait_for, world)

PINNED = "0b4f6a43-5d0e-4c1e-9a57-3c0e8d1b2a01"
# vendor -> (a list path, a get path, what a credential sends beyond its headers)
PATHS = {
    "merge": ("/merge/api/ats/v1/interviews", f"/merge/api/ats/v1/interviews/{PINNED}"),
    "kombo": ("/kombo/v1/ats/interviews", "/kombo/v1/ats/applications"),
    # (Truto gets no Greenhouse interview by id, as its docs say: one of the world's users instead)
    "truto": ("/truto/unified/ats/interviews", "/truto/unified/ats/users/{user}"),
    "bindbee": ("/bindbee/api/ats/v1/scheduled-interviews",
                f"/bindbee/api/ats/v1/scheduled-interviews/{bid(PINNED.replace('-', ''))}"),
}
MERGE_EMPTY = {"next": None, "previous": None, "results": []}
# (vendor, state) -> (list status, list body or its error's distinguishing part, get status)
EXPECTED = {
    ("merge", "initial_sync"): (200, MERGE_EMPTY, 404),
    ("merge", "relink_needed"): (200, None, 200),
    ("merge", "paused"): (200, None, 200),
    ("merge", "deleted"): (401, {"detail": "Invalid account token."}, 401),
    ("kombo", "initial_sync"): (409, "INTEGRATION.SETUP_SYNC_PENDING", 409),
    ("kombo", "relink_needed"): (403, "INTEGRATION.AUTHENTICATION_INVALID", 403),
    ("kombo", "paused"): (403, "INTEGRATION.INACTIVE", 403),
    ("kombo", "deleted"): (404, "PLATFORM.INTEGRATION_NOT_FOUND", 404),
    ("truto", "initial_sync"): (200, {"result": [], "next_cursor": None, "prev_cursor": None, "result_count": 0}, 404),
    ("truto", "relink_needed"): (401, {"statusCode": 401, "error": "Unauthorized", "message":
                                       "The integrated account needs re-authentication (needs_reauth)."}, 401),
    ("truto", "paused"): (200, None, 200),
    ("truto", "deleted"): (404, None, 404),
    ("bindbee", "initial_sync"): (200, {"cursor": None, "page_size": 0, "items": []}, 404),
    ("bindbee", "relink_needed"): (200, None, 200),
    ("bindbee", "paused"): (200, None, 200),
    ("bindbee", "deleted"): (401, {"detail": "Invalid connector token"}, 401),
}


def send(client, vendor: str, path: str):
    c = credential(vendor)
    return client.get(path, headers=c["headers"], query_string=c["query"])


@pytest.mark.parametrize("vendor, state", list(EXPECTED))
def test_each_state_answers_as_the_vendor_answers_such_a_connection(client, vendor, state):
    list_path, get_path = PATHS[vendor]
    get_path = get_path.format(user=min(u.remote_id for u in world("acme").users.values()))
    healthy = send(client, vendor, list_path)
    assert client.put(f"/_sandbox/credentials/{credential(vendor)['id']}/state", json={"state": state}).status_code == 200
    listed, got = send(client, vendor, list_path), send(client, vendor, get_path)
    status, body, get_status = EXPECTED[(vendor, state)]
    assert (listed.status_code, got.status_code) == (status, get_status)
    if body is None and status == 200:
        assert listed.data == healthy.data  # the data stays readable
    elif isinstance(body, str):
        assert listed.json["error"]["code"] == body and got.json["error"]["code"] == body
    elif body is not None:
        assert listed.json == body
    client.put(f"/_sandbox/credentials/{credential(vendor)['id']}/state", json={"state": "healthy"})
    assert send(client, vendor, list_path).data == healthy.data


def test_the_default_fixtures_carry_credentials_that_start_out_of_order(client):
    listed = {a["id"]: a for a in client.get("/_sandbox/accounts").json}
    starting = {(a["vendor"], a["state"]) for a in listed.values() if a["state"] != "healthy"}
    assert starting == {("merge", "initial_sync"), ("merge", "relink_needed"), ("kombo", "initial_sync"),
                        ("kombo", "relink_needed"), ("truto", "relink_needed"), ("bindbee", "initial_sync")}
    magic = next(a for a in listed.values() if a["vendor"] == "kombo" and a["state"] == "initial_sync")
    r = client.get("/kombo/v1/ats/interviews", headers=magic["headers"])
    assert (r.status_code, r.json["error"]["code"]) == (409, "INTEGRATION.SETUP_SYNC_PENDING")
    client.put(f"/_sandbox/credentials/{credential('merge')['id']}/state", json={"state": "paused"})
    assert client.post("/_sandbox/reset", json={}).status_code == 200  # reset returns every state to the fixtures'
    assert {a["id"]: a["state"] for a in client.get("/_sandbox/accounts").json} == \
           {k: a["state"] for k, a in listed.items()}


@pytest.mark.parametrize("body, status", [({"state": "asleep"}, 400), ({}, 400), ({"state": "paused", "x": 1}, 400)])
def test_a_bad_state_request_is_refused(client, body, status):
    r = client.put(f"/_sandbox/credentials/{credential('merge')['id']}/state", json=body)
    assert r.status_code == status and "expected" in r.json["error"]
    assert client.put("/_sandbox/credentials/merge:nobody/state", json={"state": "paused"}).status_code == 404


def test_merge_and_kombo_sdks_meet_each_state_as_their_own_errors(server):
    merge_id, kombo_id = credential("merge")["id"], credential("kombo")["id"]
    merge = Merge(api_key=MERGE_KEY, account_token=TOKENS["acme"], base_url=f"{server.url}/merge/api")
    kombo = Kombo(api_key=KOMBO_KEY, integration_id=INTEGRATIONS["acme"], server_url=f"{server.url}/kombo/v1",
                  client=httpx.Client(timeout=PATIENCE))
    try:
        requests.put(f"{server.url}/_sandbox/credentials/{merge_id}/state", json={"state": "initial_sync"})
        assert merge.ats.interviews.list().results == []
        requests.put(f"{server.url}/_sandbox/credentials/{merge_id}/state", json={"state": "deleted"})
        with pytest.raises(MergeApiError) as refused:
            merge.ats.interviews.list()
        assert refused.value.status_code == 401
        for state, code in (("initial_sync", "INTEGRATION.SETUP_SYNC_PENDING"),
                            ("relink_needed", "INTEGRATION.AUTHENTICATION_INVALID")):
            requests.put(f"{server.url}/_sandbox/credentials/{kombo_id}/state", json={"state": state})
            with pytest.raises(kombo_errors.KomboAtsError) as failed:
                kombo.ats.get_interviews()
            assert failed.value.data.error.code == code
    finally:
        for cid in (merge_id, kombo_id):
            requests.put(f"{server.url}/_sandbox/credentials/{cid}/state", json={"state": "healthy"})


def test_a_state_set_through_one_worker_holds_on_the_other_at_once(server):
    bindbee_id = credential("bindbee")["id"]
    requests.put(f"{server.url}/_sandbox/credentials/{bindbee_id}/state", json={"state": "deleted"})
    try:
        seen = {}

        def ask():
            r = requests.get(f"{server.url}/bindbee/api/ats/v1/scheduled-interviews", headers=bindbee_headers(),
                             timeout=PATIENCE)
            seen[r.headers["X-Sandbox-Worker"]] = r.status_code
            return seen

        wait_for(ask, lambda s: len(s) == 2, "answers from both workers")
        assert set(seen.values()) == {401}
    finally:
        requests.put(f"{server.url}/_sandbox/credentials/{bindbee_id}/state", json={"state": "healthy"})


def test_every_listed_credential_has_an_id_and_a_state():
    assert all(a["id"].startswith(a["vendor"] + ":") and a["state"] for a in accounts())
    assert len({a["id"] for a in accounts()}) == len(accounts())
    assert merge_headers() and kombo_headers()


def test_kombos_api_key_check_answers_whatever_an_integrations_state(client):
    client.put(f"/_sandbox/credentials/{credential('kombo')['id']}/state", json={"state": "relink_needed"})
    r = client.get("/kombo/v1/check-api-key", headers={"Authorization": kombo_headers()["Authorization"]})
    assert r.status_code == 200 and r.json["status"] == "success"
