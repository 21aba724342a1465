"""Kombo's official SDK (`kombo`) against a real gunicorn server, with its default parameters.
Every body it receives is checked against Kombo's OpenAPI. Also: the same interview read through
Merge and Kombo, and a write through Kombo read back through Merge's SDK."""

from __future__ import annotations

import uuid

import httpx
import pytest
import requests
from kombo import Kombo, errors
from kombo.utils import BackoffStrategy, RetryConfig
from merge import Merge

from sandbox.vendors.kombo.render import kid
from sandbox.vendors.merge.render import ts
from sandbox.world.platforms import ms
from tests.helpers import (PATIENCE, INTEGRATIONS, KOMBO_KEY, MERGE_KEY, NO_LIMIT, TOKENS, Server, kombo_headers, spec_errors,
                           visible, world)
from tests.postgres import BACKENDS, store_settings

SPEC = "kombo/kombo-openapi.json"
ERROR = "#/components/responses/ErrorResponse{}/content/application~1json/schema"
# what each path the SDK calls answers, by its spec: (success, error)
SCHEMAS = {"/integrations/": ("GetIntegrationsIntegrationIdPositiveResponse", ERROR.format("General")),
           "/force-sync": ("PostForceSyncPositiveResponse", ERROR.format("General")),
           "/ats/": ("GetAtsInterviewsPositiveResponse", ERROR.format("ATS"))}
CREATED: dict[str, list[str]] = {k: [] for k in INTEGRATIONS}
SPEC_FAILURES: list[str] = []


def _check_against_spec(response: httpx.Response) -> None:
    response.read()
    success, error = next(v for k, v in SCHEMAS.items() if k in response.request.url.path)
    schema = success if response.status_code == 200 else error
    SPEC_FAILURES.extend(f"{response.request.url}: {e}" for e in spec_errors(SPEC, schema, response.json()))


@pytest.fixture(scope="module", params=BACKENDS)
def kombo_server(request, tmp_path_factory):
    """A server on each store: the SDK's tests pass on SQLite and on PostgreSQL."""
    srv = Server(tmp_path_factory.mktemp("kombo-sdk") / "data", workers=2, rate_limit=NO_LIMIT,
                 **store_settings(request, "kombo_sdk"))
    for written in CREATED.values():  # (what the other backend's server was sent)
        written.clear()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kombo(kombo_server):
    def make(world_key: str = "acme", **kwargs) -> Kombo:
        http = httpx.Client(event_hooks={"response": [_check_against_spec]})
        return Kombo(api_key=kwargs.pop("api_key", KOMBO_KEY), integration_id=kwargs.pop("integration_id",
                     INTEGRATIONS[world_key]), server_url=f"{kombo_server.url}/kombo/v1", client=http, **kwargs)

    yield make
    assert SPEC_FAILURES == []


def every(res) -> list:
    out = []
    while res is not None:
        out += res.result.data.results
        res = res.next()
    return out


@pytest.mark.parametrize("world_key", list(INTEGRATIONS))
def test_sdk_pages_through_every_interview(kombo, world_key):
    got = every(kombo(world_key).ats.get_interviews())
    expected = [kid(i.id) for i in visible(world(world_key))] + CREATED[world_key]
    assert len(got) == len(expected) and len({i.id for i in got}) == len(got)
    assert [i.id for i in got] == expected


def test_sdk_filters_as_the_sdk_sends_them(kombo):
    w = world("acme")
    live = visible(w)
    api = kombo("acme").ats
    picks = [live[2], live[50], live[99]]
    job_ids = sorted({w.applications[i.application_id].job_id for i in live})[:2]
    pivot = sorted(i.modified_at for i in live)[len(live) // 3]

    def ids_of(**params):
        return [i.id for i in every(api.get_interviews(**params))]

    assert ids_of(ids=[kid(i.id) for i in picks]) == [kid(i.id) for i in picks]
    assert ids_of(remote_ids=[picks[1].remote_id]) == [kid(picks[1].id)]
    assert ids_of(job_ids=[kid(j) for j in job_ids]) == [
        kid(i.id) for i in live if w.applications[i.application_id].job_id in job_ids]
    updated = [kid(i.id) for i in live if max(i.modified_at, w.applications[i.application_id].modified_at) > pivot]
    assert ids_of(updated_after=pivot) == updated
    assert ids_of(updated_after=pivot.replace(tzinfo=None)) == updated  # naive: sent without a zone, read as UTC
    assert ids_of(ids=[kid(i.id) for i in picks], remote_ids=[picks[0].remote_id]) == [kid(picks[0].id)]
    deleted = sorted((i for i in w.interviews.values() if not i.shell), key=lambda i: i.created_at)
    assert ids_of(include_deleted=True, page_size=250) == [kid(i.id) for i in deleted]
    assert ids_of(ignore_unsupported_filters=True, page_size=7, job_ids=[kid(job_ids[0])]) == [
        kid(i.id) for i in live if w.applications[i.application_id].job_id == job_ids[0]]
    first = api.get_interviews(page_size=1).result.data.results[0]
    assert first.starting_at == live[0].start_at and first.users[0].email == w.users[live[0].interviewer_ids[0]].email


@pytest.mark.parametrize("kwargs,call,code", [
    ({"api_key": "wrong"}, {}, "PLATFORM.AUTHENTICATION_INVALID"),
    ({"integration_id": "greenhouse:unknown"}, {}, "PLATFORM.INTEGRATION_NOT_FOUND"),
    ({"integration_id": None}, {}, "PLATFORM.INTEGRATION_NOT_FOUND"),
    ({}, {"page_size": 0}, "PLATFORM.INPUT_INVALID"),
    ({}, {"page_size": 1000}, "PLATFORM.INPUT_INVALID"),
    ({}, {"cursor": "not-a-cursor"}, "PLATFORM.INPUT_INVALID"),
])
def test_errors_reach_the_sdk_as_kombo_ats_error(kombo, monkeypatch, kwargs, call, code):
    monkeypatch.delenv("INTEGRATION_ID", raising=False)
    with pytest.raises(errors.KomboAtsError) as err:
        kombo(**kwargs).ats.get_interviews(**call)
    assert err.value.data.error.code == code and err.value.data.status == "error"


def test_the_sdk_reads_an_integration_by_the_id_in_its_path_with_the_api_key_alone(kombo, kombo_server, monkeypatch):
    monkeypatch.delenv("INTEGRATION_ID", raising=False)
    keyed = kombo(integration_id=None)  # no X-Integration-Id: the SDK sends the path's id only
    for world_key, integration_id in INTEGRATIONS.items():
        details = keyed.general.get_integration_details(integration_id=integration_id)
        assert (details.data.id, details.data.status, details.data.setup_status) == (integration_id, "ACTIVE", "COMPLETED")
    with pytest.raises(errors.KomboGeneralError) as err:
        keyed.general.get_integration_details(integration_id="greenhouse:someone-else")
    assert (err.value.status_code, err.value.data.error.code) == (404, "PLATFORM.INTEGRATION_NOT_FOUND")
    assert err.value.data.error.message == 'No integration with the ID "greenhouse:someone-else" was found for this API key.'
    journal = requests.get(f"{kombo_server.url}/_sandbox/requests", params={"vendor": "kombo", "limit": 50}).json()
    reads = [e["world"] for e in journal if e["endpoint"] == "/integrations/<integration_id>" and e["status"] == 200]
    assert reads[:len(INTEGRATIONS)] == list(INTEGRATIONS)[::-1]  # each filed under its path's integration


def test_a_sync_the_sdk_triggers_without_a_type_is_full_as_kombos_spec_defaults_it(kombo, kombo_server):
    sdk = kombo()
    assert sdk.general.trigger_sync().data.type == "FULL"  # the SDK's own default
    bare = requests.post(f"{kombo_server.url}/kombo/v1/force-sync", headers=kombo_headers("acme"), json={}, timeout=PATIENCE)
    assert (bare.status_code, bare.json()["data"]["type"]) == (200, "FULL")
    empty = requests.post(f"{kombo_server.url}/kombo/v1/force-sync", headers=kombo_headers("acme"), timeout=PATIENCE)
    assert (empty.status_code, empty.json()["data"]["type"]) == (200, "FULL")
    assert sdk.general.trigger_sync(type_="DELTA").data.type == "DELTA"


def test_a_429_is_retried_and_then_succeeds(kombo, kombo_server):
    requests.delete(f"{kombo_server.url}/_sandbox/faults", timeout=PATIENCE)
    fault = requests.post(f"{kombo_server.url}/_sandbox/faults", json={"vendor": "kombo", "status": 429, "times": 1})
    assert fault.status_code == 201
    with pytest.raises(errors.KomboAtsError) as err:  # no retry config: the 429 reaches the caller
        kombo().ats.get_interviews(page_size=1)
    assert err.value.data.error.code == "PLATFORM.RATE_LIMIT_EXCEEDED" and err.value.status_code == 429
    requests.post(f"{kombo_server.url}/_sandbox/faults", json={"vendor": "kombo", "status": 429, "times": 1})
    retrying = kombo(retry_config=RetryConfig("backoff", BackoffStrategy(50, 1000, 1.5, 10_000), False))
    res = retrying.ats.get_interviews(page_size=1)
    assert len(res.result.data.results) == 1
    assert [(r["matched"], r["hits"]) for r in requests.get(f"{kombo_server.url}/_sandbox/faults").json()] == \
        [(1, 1), (1, 1)]  # each rule answered once, and the retry went through


def test_the_same_interview_through_merge_and_kombo(kombo, kombo_server):
    for world_key in INTEGRATIONS:
        merge = Merge(api_key=MERGE_KEY, account_token=TOKENS[world_key], base_url=f"{kombo_server.url}/merge/api")
        merged = merge.ats.interviews.list(page_size=100).results
        kombos = kombo(world_key).ats.get_interviews(page_size=100).result.data.results
        w = world(world_key)
        assert len(merged) == len(kombos) == 100
        for m, k in zip(merged, kombos):
            assert k.id == kid(uuid.UUID(m.id).hex)
            i = w.interviews[uuid.UUID(m.id).hex]
            assert k.starting_at == i.start_at == m.start_at and k.ending_at == i.end_at == m.end_at
            assert k.application_id == kid(uuid.UUID(m.application).hex)
            assert [u.id for u in k.users] == [kid(uuid.UUID(u).hex) for u in m.interviewers]
            if m.location is not None:  # Merge fills location for Greenhouse and Lever only
                assert m.location in (k.location.raw if k.location else None, k.video_conferencing_url)


def test_a_write_through_kombo_is_read_back_through_merge(kombo, kombo_server):
    w = world("acme")
    app = next(a for a in w.applications.values() if a.rejected_at is None)
    people = [u for u in w.users.values() if not u.disabled][:2]
    body = {"title": "Pairing session", "start_time": "2026-12-08T16:00:00Z", "end_time": "2026-12-08T17:00:00Z",
            "interviewer_user_ids": [kid(people[1].id)], "organizer_user_id": kid(people[0].id),
            "location": {"type": "VIRTUAL", "address": "https://zoom.us/j/5550001234"}}
    r = requests.post(f"{kombo_server.url}/kombo/v1/ats/applications/{kid(app.id)}/interviews", json=body,
                      headers=kombo_headers())
    assert r.status_code == 200 and r.json() == {"status": "success", "data": {}}
    created = every(kombo().ats.get_interviews())[-1]
    CREATED["acme"].append(created.id)
    assert created.title == "Pairing session" and created.video_conferencing_url == "https://zoom.us/j/5550001234"
    merge = Merge(api_key=MERGE_KEY, account_token=TOKENS["acme"], base_url=f"{kombo_server.url}/merge/api")
    seen = merge.ats.interviews.list(application_id=str(uuid.UUID(hex=app.id)), page_size=100).results[-1]
    assert kid(uuid.UUID(seen.id).hex) == created.id
    assert ts(seen.start_at) == "2026-12-08T16:00:00Z" and ts(seen.end_at) == "2026-12-08T17:00:00Z"
    assert seen.organizer == str(uuid.UUID(hex=people[0].id)) and seen.interviewers == [str(uuid.UUID(hex=people[1].id))]
    assert seen.status == "SCHEDULED" and seen.location is None
    assert ms(created.starting_at) == "2026-12-08T16:00:00.000Z" and ms(created.ending_at) == "2026-12-08T17:00:00.000Z"


def test_kombos_sdk_takes_drift_but_for_a_missing_required_field_which_it_rejects_by_name(kombo_server):
    plain = Kombo(api_key=KOMBO_KEY, integration_id=INTEGRATIONS["acme"], server_url=f"{kombo_server.url}/kombo/v1")
    for way in ("enum", "field", "null"):  # an unknown value, a new field, a null where a value always was
        requests.post(f"{kombo_server.url}/_sandbox/faults", json={"vendor": "kombo", "action": "drift",
                                                                    "drift": [way], "times": 1})
        results = plain.ats.get_interviews(page_size=2).result.data.results
        assert len(results) == 2 and (way != "null" or results[0].canceled is None)
    requests.post(f"{kombo_server.url}/_sandbox/faults", json={"vendor": "kombo", "action": "drift",
                                                                "drift": ["missing"], "times": 1})
    with pytest.raises(errors.ResponseValidationError) as err:  # required, though nullable, in Kombo's SDK
        plain.ats.get_interviews(page_size=2)
    problems = err.value.cause.errors()
    assert [(p["loc"], p["type"]) for p in problems] == [
        (("body", "data", "results", n, "video_conferencing_url"), "missing") for n in (0, 1)]
