"""Truto's unified interviews, in-process: envelope, response formats, Truto's own parameters,
filters with the unified operators, and bad input in Truto's error shape."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from sandbox.world.platforms import ms
from tests.helpers import TRUTO_ACCOUNTS, TRUTO_TOKEN, credential, tiny_app, visible, world

BASE = "/truto/unified/ats/interviews"
# Pinpoint: one of the two platforms Truto documents its interview get for (test_platforms.py has them all)
ACCOUNTS = {**TRUTO_ACCOUNTS, "vandelay": credential("truto", "vandelay")["query"]["integrated_account_id"]}
# The fields Truto maps, for the platforms of these worlds that it lists interviews for (its list for
# Greenhouse and Ashby has no per-field table: the fields Merge fills, INFERRED)
FIELDS = {"id", "application", "candidate", "job_interview_stage", "organizer", "interviewers", "location",
          "start_at", "end_at", "status", "created_at", "updated_at", "remote_data"}
MAPPED = {"acme": FIELDS,
          "initech": {"id", "application", "candidate", "job_interview_stage", "interviewers", "start_at", "end_at",
                      "status", "created_at", "remote_data"}}
H = {"Authorization": f"Bearer {TRUTO_TOKEN}"}


def get(client, world_key="acme", path=BASE, query="", **params):
    """`query` is sent as written (bracketed names); `params` are encoded."""
    encoded = urlencode({"integrated_account_id": ACCOUNTS[world_key], **params})
    return client.get(f"{path}?{encoded}" + (f"&{query}" if query else ""), headers=H)


def collect(client, world_key="acme", **params) -> list[dict]:
    out, cursor = [], None
    while True:
        r = get(client, world_key, **params, **({"next_cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.data
        body = r.json
        assert set(body) == {"result", "next_cursor", "prev_cursor", "result_count"}
        assert body["result_count"] == len(body["result"])
        out += body["result"]
        cursor = body["next_cursor"]
        if cursor is None:
            return out


@pytest.mark.parametrize("world_key", ["acme", "initech"])
def test_unified_objects_carry_what_the_platform_maps(client, world_key):
    w = world(world_key)
    results = collect(client, world_key, limit=60)
    assert [r["id"] for r in results] == [i.remote_id for i in visible(w)]
    for r, i in zip(results, visible(w)):
        app = w.applications[i.application_id]
        assert r["application"] == {"id": app.remote_id}
        assert r["candidate"] == {"id": w.candidates[app.candidate_id].remote_id}
        assert r["interviewers"] == [{"id": w.users[u].remote_id} for u in i.interviewer_ids]
        assert r["start_at"] == ms(i.start_at) and r["end_at"] == ms(i.end_at)
        assert set(r) == MAPPED[world_key]  # unmapped fields are left out
        assert r["status"] == {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback",
                               "complete": "completed", "cancelled": "cancelled"}[i.status]


@pytest.mark.parametrize("world_key", ["globex", "umbrella"])
def test_lever_and_workday_interviews_are_not_listed_as_truto_documents(client, world_key):
    name = {"globex": "Lever", "umbrella": "Workday"}[world_key]
    for fmt in ("unified", "raw", "debug"):
        r = get(client, world_key, truto_response_format=fmt)
        assert (r.status_code, r.json) == (404, {"statusCode": 404, "error": "Not Found", "message":
                                                 f"The list method of the unified interviews resource is not "
                                                 f"supported for the {name} integration."})


def test_prev_cursor_walks_back(client):
    first = get(client, limit=20).json
    second = get(client, limit=20, next_cursor=first["next_cursor"]).json
    assert first["prev_cursor"] is None and second["prev_cursor"] is not None
    back = get(client, limit=20, next_cursor=second["prev_cursor"]).json
    assert back["result"] == first["result"]


def test_response_formats(client):
    w = world("acme")
    first = visible(w)[0]
    raw = get(client, limit=2, truto_response_format="raw").json
    assert raw["result"][0]["id"] == int(first.remote_id) and "start" in raw["result"][0]  # Greenhouse's record
    normalized = get(client, "initech", limit=1, truto_response_format="normalized").json["result"][0]
    assert set(normalized) == FIELDS and normalized["location"] is None and normalized["organizer"] is None
    debug = get(client, query="remote_query[department]=eng&remote_query[per_page]=5", limit=2,
                truto_response_format="debug").json
    assert debug["result"] == get(client, limit=2).json["result"]
    assert debug["debug"]["requestUrl"].startswith("https://harvest.greenhouse.io/v1/scheduled_interviews?")
    assert "department=eng" in debug["debug"]["requestUrl"]
    assert debug["debug"]["requestOptions"]["query"] == {"department": "eng", "per_page": "5"}
    assert debug["debug"]["resultCount"] == 2 and debug["debug"]["isEmptyResult"] is False
    assert debug["debug"]["data"][0]["id"] == int(first.remote_id)
    pinpoint = visible(world("vandelay"))[0]
    one = get(client, "vandelay", path=f"{BASE}/{pinpoint.remote_id}", truto_response_format="debug").json
    assert set(one) == {"result", "debug"} and one["result"]["id"] == pinpoint.remote_id
    raw = get(client, "vandelay", path=f"{BASE}/{pinpoint.remote_id}", truto_response_format="raw").json
    assert (raw["id"], raw["type"]) == (pinpoint.remote_id, "interviews")  # Pinpoint's JSON:API resource
    refused = get(client, path=f"{BASE}/{first.remote_id}", truto_response_format="raw")  # Greenhouse: no get
    assert refused.status_code == 404 and refused.json["statusCode"] == 404


def test_truto_parameters(client):
    live = visible(world("acme"))
    keyed = get(client, limit=3, truto_key_by="id").json["result"]
    assert list(keyed) == [i.remote_id for i in live[:3]] and keyed[live[0].remote_id]["id"] == live[0].remote_id
    everything = get(client, limit=5, truto_ignore_limit="true").json
    assert len(everything["result"]) == len(live) and everything["next_cursor"] is None
    assert "remote_data" not in get(client, limit=1, truto_ignore_remote_data="true").json["result"][0]
    for query in ("truto_exclude_fields[]=remote_data&truto_exclude_fields[]=location",
                  "truto_exclude_fields[0]=remote_data&truto_exclude_fields[1]=location",
                  "truto_exclude_fields=remote_data,location",
                  "truto_exclude_fields%5B%5D=remote_data&truto_exclude_fields%5B%5D=location"):
        item = get(client, query=query, limit=1).json["result"][0]
        assert "remote_data" not in item and "location" not in item and "start_at" in item, query
    pinpoint = visible(world("vandelay"))[4]
    got = get(client, "vandelay", path=f"{BASE}/{pinpoint.remote_id}", query="truto_exclude_fields[]=application").json
    assert got["id"] == pinpoint.remote_id and "application" not in got and "start_at" in got


def test_filters_with_unified_operators(client):
    w = world("acme")
    live = visible(w)
    app = w.applications[live[10].application_id]
    candidate = w.candidates[app.candidate_id]
    stage = w.stages[live[20].stage_id]
    pivot = live[len(live) // 2]
    cases = [
        ({"application_id": app.remote_id}, lambda i: i.application_id == app.id),
        ({"candidate_id": candidate.remote_id}, lambda i: w.applications[i.application_id].candidate_id == candidate.id),
        ({"job_interview_stage_id": stage.remote_id}, lambda i: i.stage_id == stage.id),
        ({"created_at[gt]": ms(pivot.remote_created_at)}, lambda i: i.remote_created_at > pivot.remote_created_at),
        ({"created_at[lte]": ms(pivot.remote_created_at)}, lambda i: i.remote_created_at <= pivot.remote_created_at),
        ({"updated[gte]": ms(pivot.remote_updated_at)}, lambda i: i.remote_updated_at >= pivot.remote_updated_at),
        ({"updated_at[lt]": ms(pivot.remote_updated_at)}, lambda i: i.remote_updated_at < pivot.remote_updated_at),
        ({"start_at[gte]": ms(pivot.start_at), "end_at[lt]": ms(pivot.end_at + (pivot.end_at - pivot.start_at) * 50)},
         lambda i: i.start_at >= pivot.start_at and i.end_at < pivot.end_at + (pivot.end_at - pivot.start_at) * 50),
        ({"start_at": ms(pivot.start_at)}, lambda i: i.start_at == pivot.start_at),
        ({"application_id": f"{app.remote_id},{w.applications[live[0].application_id].remote_id}"},
         lambda i: i.application_id in (app.id, live[0].application_id)),
    ]
    for params, keep in cases:
        expected = [i.remote_id for i in live if keep(i)]
        assert expected, params
        assert [r["id"] for r in collect(client, limit=40, **params)] == expected, params


def test_no_rate_headers_without_an_upstream_limit_and_an_injected_429_with_them(client):
    r = get(client, limit=1)
    assert "ratelimit-limit" not in r.headers  # Truto passes a platform's limits on only where it gives them
    client.post("/_sandbox/faults", json={"vendor": "truto", "status": 429, "times": 1})
    refused = get(client, limit=1)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.json == {"statusCode": 429, "error": "Too Many Requests",
                            "message": "Injected fault: this request was answered with 429 by the sandbox."}
    assert {k: refused.headers[k] for k in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")} == \
        {"ratelimit-limit": "110;w=10", "ratelimit-remaining": "0", "ratelimit-reset": "1"}


def test_a_credentials_limit_refuses_with_truto_retry_after(tmp_path):
    client = tiny_app(tmp_path, '[[credentials]]\nvendor = "truto"\nworld = "tiny"\napi_token = "t"\n'
                                'integrated_account_id = "11111111-2222-4333-8444-555555555555"\nrate_limit = 2\n',
                      platform="greenhouse", interviews=5)
    answers = [client.get(BASE, headers={"Authorization": "Bearer t"},
                          query_string={"integrated_account_id": "11111111-2222-4333-8444-555555555555"})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "10" and answers[2].headers["ratelimit-limit"] == "2;w=10"
    assert answers[2].json["error"] == "Too Many Requests"


ACME = TRUTO_ACCOUNTS["acme"]
BAD_INPUTS = [
    ("no token", BASE + f"?integrated_account_id={ACME}", {}, 401, "Unauthorized"),
    ("wrong token", BASE + f"?integrated_account_id={ACME}", {"Authorization": "Bearer nope"}, 401, "Unauthorized"),
    ("basic auth", BASE + f"?integrated_account_id={ACME}", {"Authorization": "Basic dDo="}, 401, "Unauthorized"),
    ("no integrated account", BASE, H, 400, "Bad Request"),
    ("unknown integrated account", BASE + "?integrated_account_id=00000000-0000-4000-8000-000000000000", H, 404,
     "Not Found"),
    ("limit 0", BASE + f"?integrated_account_id={ACME}&limit=0", H, 400, "Bad Request"),
    ("limit abc", BASE + f"?integrated_account_id={ACME}&limit=abc", H, 400, "Bad Request"),
    ("limit too large", BASE + f"?integrated_account_id={ACME}&limit=5000", H, 400, "Bad Request"),
    ("garbage cursor", BASE + f"?integrated_account_id={ACME}&next_cursor=nope!", H, 400, "Bad Request"),
    ("unknown format", BASE + f"?integrated_account_id={ACME}&truto_response_format=xml", H, 400, "Bad Request"),
    ("bad boolean", BASE + f"?integrated_account_id={ACME}&truto_ignore_limit=perhaps", H, 400, "Bad Request"),
    ("bad date", BASE + f"?integrated_account_id={ACME}&created_at[gt]=yesterday", H, 400, "Bad Request"),
    ("unknown operator", BASE + f"?integrated_account_id={ACME}&start_at[near]=2026-01-01", H, 400, "Bad Request"),
    ("key by a missing field", BASE + f"?integrated_account_id={ACME}&truto_key_by=nothing", H, 400, "Bad Request"),
    ("unknown id", BASE + f"/999999999?integrated_account_id={ACME}", H, 404, "Not Found"),
    ("unknown path", f"/truto/unified/ats/nothing?integrated_account_id={ACME}", H, 404, "Not Found"),
    ("wrong method", BASE + f"?integrated_account_id={ACME}", H, 405, "Method Not Allowed"),
]


@pytest.mark.parametrize("name,path,headers,status,phrase", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_trutos_error(client, name, path, headers, status, phrase):
    r = client.open(path, method="DELETE" if name == "wrong method" else "GET", headers=headers)
    assert r.status_code == status and r.content_type == "application/json"
    assert r.json["statusCode"] == status and r.json["error"] == phrase and r.json["message"]
    extra = set(r.json) - {"statusCode", "error", "message"}
    if name == "no integrated account":
        assert r.json["truto_error_insight"]["missing_required_query_parameters"]["value"] == ["integrated_account_id"]
    else:
        assert extra == set()
