"""Kombo's interview API, in-process: envelope, filters, writes, limits and bad input, checked
against the generated world and Kombo's OpenAPI (kombo-openapi.json)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from sandbox.vendors.kombo.render import kid, world_id
from sandbox.world.platforms import ms
from tests.helpers import KOMBO_KEY, kombo_headers, merge_headers, spec_errors, tiny_app, visible, world

BASE = "/kombo/v1/ats/interviews"
SPEC = "kombo/kombo-openapi.json"
ERROR = "#/components/responses/ErrorResponseATS/content/application~1json/schema"


def get(client, world_key="acme", headers=None, **params):
    return client.get(BASE, headers=headers or kombo_headers(world_key), query_string=params)


def collect(client, world_key="acme", **params) -> list[dict]:
    out, cursor = [], None
    while True:
        r = get(client, world_key, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.data
        assert spec_errors(SPEC, "GetAtsInterviewsPositiveResponse", r.json) == []
        out += r.json["data"]["results"]
        cursor = r.json["data"]["next"]
        if cursor is None:
            return out


def test_ids_round_trip_and_reject_made_up_ones():
    for key in ("acme", "umbrella"):
        for i in list(world(key).interviews.values())[:50]:
            k = kid(i.id)
            assert len(k) == 24 and world_id(k) == i.id
    assert world_id("26vafvWSRmbhNcxJYqjCzuJg") is None  # Kombo's doc example is not one of ours
    assert world_id("short") is None and world_id("0" * 24) is None


@pytest.mark.parametrize("world_key", ["acme", "globex", "initech", "umbrella"])
def test_every_interview_in_kombos_shape(client, world_key):
    w = world(world_key)
    results = collect(client, world_key)
    assert [r["id"] for r in results] == [kid(i.id) for i in visible(w)]
    for r, i in zip(results, visible(w)):
        app = w.applications[i.application_id]
        assert r["remote_id"] == i.remote_id and r["title"] == i.title
        assert r["starting_at"] == ms(i.start_at) and r["starting_at"].endswith("Z") and len(r["starting_at"]) == 24
        assert r["ending_at"] == ms(i.end_at) and r["changed_at"] == ms(i.modified_at)
        assert r["video_conferencing_url"] == i.video_url
        assert r["application_id"] == kid(app.id) and r["stage_id"] == kid(i.stage_id)
        assert r["canceled"] == (None if world_key == "umbrella" else i.status == "cancelled")
        assert [u["email"] for u in r["users"]] == [w.users[u].email for u in i.interviewer_ids]
        assert r["application"]["candidate"]["email_addresses"] == [
            {"email_address": w.candidates[app.candidate_id].email, "type": "PRIVATE"}]
        assert r["application"]["job"]["name"] == w.jobs[app.job_id].title
        assert r["application"]["outcome"] == ("DECLINED" if app.rejected_at else "PENDING")
        assert r["remote_deleted_at"] is None and len(r["remote_data"]) == 1
        if i.location:
            assert r["location"] == {"city": i.location.city, "country": i.location.country,
                                     "raw": i.location.text(), "state": i.location.state,
                                     "street_1": i.location.street_1, "street_2": i.location.street_2,
                                     "zip_code": i.location.zip_code}
        else:
            assert r["location"] is None


def test_page_size_default_and_rate_limit_headers_with_no_limit_counting(client):
    r = get(client)
    assert len(r.json["data"]["results"]) == 100
    assert r.headers["ratelimit-limit"] == "300"
    assert r.headers["ratelimit-remaining"] == "300"  # Kombo publishes no rate: nothing counts by default
    assert 0 < int(r.headers["ratelimit-reset"]) <= 60
    assert get(client).headers["ratelimit-remaining"] == "300"


def test_filters_return_what_the_world_says(client):
    w = world("acme")
    live = visible(w)
    every = sorted((i for i in w.interviews.values() if not i.shell), key=lambda i: i.created_at)
    picks = live[3], live[40], live[77]
    jobs = sorted({w.applications[i.application_id].job_id for i in live})[:2]
    pivot = sorted(i.modified_at for i in live)[len(live) // 2]
    cases = [
        ({"ids": ",".join(kid(i.id) for i in picks)}, live, lambda i: i in picks),
        ({"remote_ids": ",".join(i.remote_id for i in picks[:2])}, live, lambda i: i in picks[:2]),
        ({"job_ids": ",".join(kid(j) for j in jobs)}, live, lambda i: w.applications[i.application_id].job_id in jobs),
        ({"updated_after": ms(pivot)}, live,
         lambda i: max(i.modified_at, w.applications[i.application_id].modified_at) > pivot),
        ({"ids": ",".join(kid(i.id) for i in picks), "remote_ids": picks[0].remote_id}, live, lambda i: i is picks[0]),
        ({"include_deleted": "true"}, every, lambda i: True),
        ({"ids": "26vafvWSRmbhNcxJYqjCzuJg"}, live, lambda i: False),
        ({"ignore_unsupported_filters": "true", "job_ids": kid(jobs[0])}, live,
         lambda i: w.applications[i.application_id].job_id == jobs[0]),
    ]
    for params, pool, keep in cases:
        expected = [kid(i.id) for i in pool if keep(i)]
        assert [r["id"] for r in collect(client, page_size=50, **params)] == expected, params
    deleted = [r for r in collect(client, include_deleted="true") if r["remote_deleted_at"]]
    assert [r["id"] for r in deleted] == [kid(i.id) for i in every if i.deleted]


def test_updated_after_takes_z_offsets_naive_and_dates(client):
    live = visible(world("acme"))
    moment = sorted(i.modified_at for i in live)[60].replace(microsecond=0)
    expected = {r["id"] for r in collect(client, updated_after=moment.isoformat())}
    for spelled in (moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    moment.strftime("%Y-%m-%dT%H:%M:%S"), (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")):
        assert {r["id"] for r in collect(client, updated_after=spelled)} == expected, spelled
    day = moment.date().isoformat()
    assert len(collect(client, updated_after=day)) >= len(expected)


def test_cursor_carries_no_filters_and_is_bound_to_the_integration(client):
    first = get(client, page_size=10).json["data"]
    again = get(client, page_size=10, cursor=first["next"]).json["data"]["results"]
    assert len(again) == 10 and again[0]["id"] != first["results"][0]["id"]
    foreign = get(client, "globex", page_size=10, cursor=first["next"])
    assert foreign.status_code == 400 and foreign.json["error"]["code"] == "PLATFORM.INPUT_INVALID"


def test_check_api_key(client):
    r = client.get("/kombo/v1/check-api-key", headers={"Authorization": f"Bearer {KOMBO_KEY}"})
    assert r.status_code == 200 and spec_errors(SPEC, "GetCheckApiKeyPositiveResponse", r.json) == []
    bad = client.get("/kombo/v1/check-api-key", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "PLATFORM.AUTHENTICATION_INVALID"


# ---- the beta writes, read back through Kombo and Merge ---------------------------------------


def write_body(world_key="acme", **overrides) -> dict:
    w = world(world_key)
    people = [u for u in w.users.values() if not u.disabled][:3]
    body = {"title": "Systems design with the platform team", "start_time": "2026-12-03T17:00:00.000Z",
            "end_time": "2026-12-03T18:30:00.000Z", "interviewer_user_ids": [kid(u.id) for u in people[1:]],
            "organizer_user_id": kid(people[0].id), "location": {"type": "PHYSICAL", "address": "Hopper Room, 2 Embarcadero Center"}}
    return {**body, **overrides}


def an_application(world_key="acme"):
    return next(a for a in world(world_key).applications.values() if a.rejected_at is None)


def test_create_and_update_are_seen_by_kombo_and_merge(client):
    app = an_application()
    path = f"/kombo/v1/ats/applications/{kid(app.id)}/interviews"
    r = client.post(path, headers=kombo_headers(), json=write_body())
    assert r.status_code == 200 and r.json == {"status": "success", "data": {}}
    assert spec_errors(SPEC, "PostAtsApplicationsApplicationIdInterviewsPositiveResponse", r.json) == []
    created = collect(client)[-1]
    assert created["title"] == "Systems design with the platform team" and created["application_id"] == kid(app.id)
    assert created["starting_at"] == "2026-12-03T17:00:00.000Z" and created["stage_id"] == kid(app.stage_id)
    assert created["location"]["raw"] == "Hopper Room, 2 Embarcadero Center" and created["canceled"] is False
    merge = client.get(f"/merge/api/ats/v1/interviews/{world_id(created['id'])}", headers=merge_headers()).json
    assert merge["start_at"] == "2026-12-03T17:00:00Z" and merge["end_at"] == "2026-12-03T18:30:00Z"
    assert merge["location"] == "Hopper Room, 2 Embarcadero Center" and merge["status"] == "SCHEDULED"
    assert [kid(u.replace("-", "")) for u in merge["interviewers"]] == write_body()["interviewer_user_ids"]

    update = write_body(interview_id=created["id"], title="Moved to video", start_time="2026-12-04T17:00:00Z",
                        end_time="2026-12-04T18:00:00Z", location={"type": "VIRTUAL", "address": "https://meet.google.com/abc-defg-hij"})
    r = client.patch(path, headers=kombo_headers(), json=update)
    assert r.status_code == 200 and r.json == {"status": "success", "data": {}}
    assert spec_errors(SPEC, "PatchAtsApplicationsApplicationIdInterviewsPositiveResponse", r.json) == []
    changed = get(client, ids=created["id"]).json["data"]["results"][0]
    assert changed["title"] == "Moved to video" and changed["location"] is None
    assert changed["video_conferencing_url"] == "https://meet.google.com/abc-defg-hij"
    assert changed["changed_at"] > created["changed_at"]
    assert [r["id"] for r in collect(client, updated_after=created["changed_at"])] == [created["id"]]
    merge = client.get(f"/merge/api/ats/v1/interviews/{world_id(created['id'])}", headers=merge_headers()).json
    assert merge["start_at"] == "2026-12-04T17:00:00Z" and merge["location"] is None
    assert merge["modified_at"] > merge["created_at"]


# ---- bad input: each in Kombo's error envelope --------------------------------------------------

H = kombo_headers()


def _bad_write_path():
    return f"/kombo/v1/ats/applications/{kid(an_application().id)}/interviews"


BAD_INPUTS = [
    ("no auth", "GET", BASE, {"X-Integration-Id": H["X-Integration-Id"]}, None, 401, "PLATFORM.AUTHENTICATION_INVALID"),
    ("wrong key", "GET", BASE, {**H, "Authorization": "Bearer nope"}, None, 401, "PLATFORM.AUTHENTICATION_INVALID"),
    ("basic auth", "GET", BASE, {**H, "Authorization": "Basic a2V5Og=="}, None, 401, "PLATFORM.AUTHENTICATION_INVALID"),
    ("no integration", "GET", BASE, {"Authorization": H["Authorization"]}, None, 404, "PLATFORM.INTEGRATION_NOT_FOUND"),
    ("unknown integration", "GET", BASE, {**H, "X-Integration-Id": "greenhouse:nope"}, None, 404,
     "PLATFORM.INTEGRATION_NOT_FOUND"),
    ("page_size 0", "GET", BASE + "?page_size=0", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("page_size 251", "GET", BASE + "?page_size=251", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("page_size abc", "GET", BASE + "?page_size=abc", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("bad updated_after", "GET", BASE + "?updated_after=last-week", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("bad include_deleted", "GET", BASE + "?include_deleted=maybe", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("bad ignore_unsupported_filters", "GET", BASE + "?ignore_unsupported_filters=2", H, None, 400,
     "PLATFORM.INPUT_INVALID"),
    ("garbage cursor", "GET", BASE + "?cursor=%%%", H, None, 400, "PLATFORM.INPUT_INVALID"),
    ("merge's cursor", "GET", BASE + "?cursor=" + base64.b64encode(b"p=2026-01-01").decode(), H, None, 400,
     "PLATFORM.INPUT_INVALID"),
    ("unknown path", "GET", "/kombo/v1/ats/interviewz", H, None, 404, "PLATFORM.INPUT_INVALID"),
    ("wrong method", "DELETE", BASE, H, None, 405, "PLATFORM.INPUT_INVALID"),
    ("write to an unknown application", "POST", "/kombo/v1/ats/applications/26vafvWSRmbhNcxJYqjCzuJg/interviews", H,
     write_body(), 404, "PLATFORM.INPUT_INVALID"),
    ("write without a title", "POST", None, H, {k: v for k, v in write_body().items() if k != "title"}, 400,
     "PLATFORM.INPUT_INVALID"),
    ("write with a bad time", "POST", None, H, write_body(start_time="soon"), 400, "PLATFORM.INPUT_INVALID"),
    ("write ending before it starts", "POST", None, H, write_body(end_time="2026-12-03T16:00:00Z"), 400,
     "PLATFORM.INPUT_INVALID"),
    ("write with an unknown interviewer", "POST", None, H, write_body(interviewer_user_ids=["26vafvWSRmbhNcxJYqjCzuJg"]),
     400, "PLATFORM.INPUT_INVALID"),
    ("write with a bad location type", "POST", None, H, write_body(location={"type": "MOON"}), 400,
     "PLATFORM.INPUT_INVALID"),
    ("write that is not JSON", "POST", None, {**H, "Content-Type": "application/json"}, b"{oops", 400,
     "PLATFORM.INPUT_INVALID"),
    ("update of an unknown interview", "PATCH", None, H, write_body(interview_id="26vafvWSRmbhNcxJYqjCzuJg"), 404, "PLATFORM.INPUT_INVALID"),
    ("update without interview_id", "PATCH", None, H, write_body(), 400, "PLATFORM.INPUT_INVALID"),
]


@pytest.mark.parametrize("name,method,path,headers,body,status,code", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_kombos_envelope(client, name, method, path, headers, body, status, code):
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
    r = client.open(path or _bad_write_path(), method=method, headers=headers, **kwargs)
    assert r.status_code == status, r.data
    assert r.content_type == "application/json"
    assert spec_errors(SPEC, ERROR, r.json) == []
    assert r.json["status"] == "error" and r.json["error"]["code"] == code
    assert set(r.json["error"]) == {"code", "title", "message", "log_url"} and r.json["error"]["message"]


def test_a_credentials_rate_limit_refuses_with_429(tmp_path):
    client = tiny_app(tmp_path, '[[credentials]]\nvendor = "kombo"\nworld = "tiny"\napi_key = "k"\n'
                                'integration_id = "ashby:x"\nrate_limit = 3\n', platform="ashby", interviews=5)
    headers = {"Authorization": "Bearer k", "X-Integration-Id": "ashby:x"}
    answers = [client.get(BASE, headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.json["error"]["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert refused.headers["ratelimit-limit"] == "3" and int(refused.headers["ratelimit-reset"]) > 0
    assert "Retry-After" not in refused.headers  # Kombo's 429 says when through ratelimit-reset only


def test_injected_faults_answer_in_kombos_shape_then_stop(client):
    r = client.post("/_sandbox/faults", json={"vendor": "kombo", "status": 429, "times": 2})
    assert r.status_code == 201
    answers = [get(client) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json["error"]["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert {k: answers[0].headers.get(k) for k in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
                                                    "Retry-After")} == \
        {"ratelimit-limit": "300", "ratelimit-remaining": "0", "ratelimit-reset": "1", "Retry-After": None}
    assert client.get("/merge/api/ats/v1/interviews", headers=merge_headers()).status_code == 200
    assert client.post("/_sandbox/faults", json={"vendor": "nobody", "status": 429}).status_code == 400
