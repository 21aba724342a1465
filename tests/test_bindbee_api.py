"""Bindbee's scheduled interviews, in-process: every body against Bindbee's OpenAPI, filters,
expand with field selection, paging, and bad input in FastAPI's shapes."""

from __future__ import annotations

import base64
import uuid

import pytest

from sandbox.vendors.bindbee.ids import bid, world_id
from sandbox.world.model import iso_z
from tests.helpers import BINDBEE_KEY, CONNECTORS, HRIS_CONNECTOR, bindbee_headers, spec_errors, tiny_app, visible, world

BASE = "/bindbee/api/ats/v1/scheduled-interviews"
SPEC = "bindbee/bindbee-scheduled-interview-api-openapi.yml"


def get(client, world_key="acme", path=BASE, headers=None, **params):
    return client.get(path, headers=headers or bindbee_headers(world_key), query_string=params)


def collect(client, world_key="acme", **params) -> list[dict]:
    out, cursor = [], None
    while True:
        r = get(client, world_key, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.data
        assert spec_errors(SPEC, "PaginatedResponse_AtsScheduledInterview_", r.json) == []
        assert r.json["page_size"] == len(r.json["items"])
        out += r.json["items"]
        cursor = r.json["cursor"]
        if cursor is None:
            return out


def test_ids_are_version_7_and_map_back():
    for i in list(world("globex").interviews.values())[:50]:
        b = bid(i.id)
        assert uuid.UUID(b).version == 7 and world_id(b) == i.id
    assert world_id(str(uuid.UUID(int=5, version=4))) is None and world_id("nope") is None


@pytest.mark.parametrize("world_key", ["acme", "globex", "initech", "umbrella"])
def test_every_interview_in_bindbees_shape(client, world_key):
    w = world(world_key)
    items = collect(client, world_key)
    assert [r["id"] for r in items] == [bid(i.id) for i in visible(w)]
    for r, i in zip(items, visible(w)):
        assert r["remote_id"] == i.remote_id and r["modified_at"] == iso_z(i.modified_at)
        assert r["application"] == bid(i.application_id) and r["job_interview_stage"] == bid(i.stage_id)
        assert r["organizer"] == bid(i.organizer_id) and r["interviewers"] == [bid(u) for u in i.interviewer_ids]
        assert r["start_at"] == iso_z(i.start_at) and r["end_at"] == iso_z(i.end_at)
        assert r["custom_fields"] is None and "raw_data" not in r
        if i.status != "cancelled":
            assert r["status"] == {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK",
                                   "complete": "COMPLETE"}[i.status]


def test_page_size_default_and_cursor(client):
    first = get(client).json
    assert first["page_size"] == 50 and len(first["items"]) == 50
    assert base64.b64decode(first["cursor"]).decode() == first["items"][-1]["id"]  # Bindbee's cursor: the last id
    assert len(get(client, page_size=200).json["items"]) == 200


def test_filters_return_what_the_world_says(client):
    w = world("acme")
    live = visible(w)
    a, b = live[4], live[90]
    pivot = sorted(i.modified_at for i in live)[100]
    cases = [
        ({"ids": f"{bid(a.id)},{bid(b.id)}"}, lambda i: i in (a, b)),
        ({"application": bid(a.application_id)}, lambda i: i.application_id == a.application_id),
        ({"application": f"{bid(a.application_id)},{bid(b.application_id)}"},
         lambda i: i.application_id in (a.application_id, b.application_id)),
        ({"organizer": bid(a.organizer_id)}, lambda i: i.organizer_id == a.organizer_id),
        ({"job_interview_stage": f"{bid(a.stage_id)},{bid(b.stage_id)}"}, lambda i: i.stage_id in (a.stage_id, b.stage_id)),
        ({"modified_after": iso_z(pivot)}, lambda i: i.modified_at > pivot),
        ({"modified_after": pivot.strftime("%Y-%m-%dT%H:%M:%S.%f")}, lambda i: i.modified_at > pivot),
        ({"organizer": bid(a.organizer_id), "modified_after": iso_z(pivot)},
         lambda i: i.organizer_id == a.organizer_id and i.modified_at > pivot),
    ]
    for params, keep in cases:
        expected = [bid(i.id) for i in live if keep(i)]
        assert expected, params
        assert [r["id"] for r in collect(client, page_size=30, **params)] == expected, params


def test_raw_data_custom_fields_and_expand(client):
    w = world("acme")
    first = visible(w)[0]
    item = get(client, page_size=1, include_raw_data="true", include_custom_fields="true").json["items"][0]
    assert item["raw_data"]["id"] == int(first.remote_id) and item["custom_fields"]["title"] == first.title
    item = get(client, page_size=1, expand="organizer[first_name,email],application,interviewers").json["items"][0]
    assert spec_errors(SPEC, "AtsScheduledInterview", item) == []
    organizer = w.users[first.organizer_id]
    assert item["organizer"] == {"id": bid(organizer.id), "first_name": organizer.first_name, "email": organizer.email}
    assert item["application"]["candidate"] == bid(w.applications[first.application_id].candidate_id)
    assert [u["email"] for u in item["interviewers"]] == [w.users[u].email for u in first.interviewer_ids]
    assert item["job_interview_stage"] == bid(first.stage_id)
    one = get(client, path=f"{BASE}/{bid(first.id)}", expand="job_interview_stage[name]").json
    assert one["job_interview_stage"] == {"id": bid(first.stage_id), "name": w.stages[first.stage_id].name}
    assert spec_errors(SPEC, "AtsScheduledInterview", one) == []


def test_rate_limit_headers_and_429(client):
    r = get(client, page_size=1)
    assert r.headers["X-RateLimit-Limit"] == "200" and r.headers["X-RateLimit-Remaining"] == "199"
    assert int(r.headers["X-RateLimit-Reset"]) > 1_700_000_000  # a unix time
    client.post("/_sandbox/faults", json={"vendor": "bindbee", "status": 429, "times": 1})
    refused = get(client, page_size=1)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.json == {"detail": "Injected fault: this request was answered with 429 by the sandbox."}
    assert spec_errors(SPEC, "ErrorResponse", refused.json) == []


def test_a_connectors_limit_refuses_with_retry_after(tmp_path):
    client = tiny_app(tmp_path, '[[credentials]]\nvendor = "bindbee"\nworld = "tiny"\napi_key = "k"\n'
                                'connector_token = "c"\nrate_limit = 1\n', interviews=5)
    answers = [client.get(BASE, headers={"Authorization": "Bearer k", "x-connector-token": "c"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert answers[1].json == {"detail": "Rate limit exceeded"} and answers[1].headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(answers[1].headers["Retry-After"]) <= 60


H = bindbee_headers()
VALIDATION = "HTTPValidationError"
BAD_INPUTS = [
    ("no auth", BASE, {"x-connector-token": CONNECTORS["acme"]}, 401, {"detail": "Not authenticated"}, "ErrorResponse"),
    ("wrong key", BASE, {**H, "Authorization": "Bearer nope"}, 401, {"detail": "Invalid API key"}, "ErrorResponse"),
    ("no connector token", BASE, {"Authorization": f"Bearer {BINDBEE_KEY}"}, 422, {"detail": [
        {"type": "missing", "loc": ["header", "x-connector-token"], "msg": "Field required", "input": None}]}, VALIDATION),
    ("unknown connector token", BASE, {**H, "x-connector-token": "nope"}, 401, {"detail": "Invalid connector token"},
     "ErrorResponse"),
    ("an HRIS connector", BASE, {**H, "x-connector-token": HRIS_CONNECTOR}, 403, {
        "detail": "This connector token belongs to a hris connector and cannot access ATS endpoints."}, "ErrorResponse"),
    ("page_size 201", BASE + "?page_size=201", H, 422, {"detail": [
        {"type": "less_than_equal", "loc": ["query", "page_size"], "msg": "Input should be less than or equal to 200",
         "input": "201", "ctx": {"le": 200}}]}, VALIDATION),
    ("page_size 0", BASE + "?page_size=0", H, 422, {"detail": [
        {"type": "greater_than_equal", "loc": ["query", "page_size"],
         "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}}]}, VALIDATION),
    ("page_size abc", BASE + "?page_size=abc", H, 422, {"detail": [
        {"type": "int_parsing", "loc": ["query", "page_size"],
         "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}]}, VALIDATION),
    ("bad boolean", BASE + "?include_raw_data=maybe", H, 422, {"detail": [
        {"type": "bool_parsing", "loc": ["query", "include_raw_data"],
         "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}]}, VALIDATION),
    ("bad ids", BASE + "?ids=42", H, 422, {"detail": [
        {"type": "uuid_parsing", "loc": ["query", "ids"], "msg": "Input should be a valid UUID (version 7)",
         "input": "42"}]}, VALIDATION),
    ("bad modified_after", BASE + "?modified_after=soon", H, 422, None, VALIDATION),
    ("unknown expand", BASE + "?expand=candidate", H, 422, None, VALIDATION),
    ("unknown expand field", BASE + "?expand=organizer[salary]", H, 422, None, VALIDATION),
    ("garbage cursor", BASE + "?cursor=nope", H, 400, {"detail": "Invalid cursor"}, "ErrorResponse"),
    ("bad path id", BASE + "/not-a-uuid", H, 422, {"detail": [
        {"type": "uuid_parsing", "loc": ["path", "id"], "msg": "Input should be a valid UUID", "input": "not-a-uuid"}]},
     VALIDATION),
    ("unknown id", BASE + "/" + str(uuid.UUID(int=1, version=4)), H, 404, {"detail": "Scheduled interview not found"},
     "ErrorResponse"),
    ("unknown path", "/bindbee/api/ats/v1/nothing", H, 404, {"detail": "Not Found"}, "ErrorResponse"),
    ("wrong method", BASE, H, 405, {"detail": "Method Not Allowed"}, "ErrorResponse"),
]


@pytest.mark.parametrize("name,path,headers,status,expected,schema", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_bindbees_errors(client, name, path, headers, status, expected, schema):
    r = client.open(path, method="DELETE" if name == "wrong method" else "GET", headers=headers)
    assert r.status_code == status and r.content_type == "application/json", r.data
    assert spec_errors(SPEC, schema, r.json) == []
    if expected is not None:
        assert r.json == expected
    if status == 401:
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_a_deleted_interview_is_not_found(client):
    gone = next(i for i in world("acme").interviews.values() if i.deleted)
    assert get(client, path=f"{BASE}/{bid(gone.id)}").status_code == 404
