"""Merge's interview API, in-process: filters, expands, paging, writes and bad input, each checked
against the generated world (not against the endpoint itself) and against ats_v3.yml."""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from datetime import timedelta

import orjson
import pytest

from sandbox.vendors.merge.render import FILLS, ts
from tests.helpers import merge_headers, spec_errors, tiny_app, visible, world

BASE = "/merge/api/ats/v1/interviews"
SPEC = "merge/ats_v3.yml"


def mid(hex_id: str) -> str:
    return str(uuid.UUID(hex=hex_id))


def get(client, path=BASE, world_key="acme", **params):
    return client.get(path, headers=merge_headers(world_key), query_string=params)


def collect(client, world_key="acme", **params) -> list[dict]:
    """Every result of a list, page by page with `cursor=next`."""
    out, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = get(client, world_key=world_key, **query)
        assert r.status_code == 200, r.data
        assert spec_errors(SPEC, "PaginatedScheduledInterviewList", r.json) == []
        out += r.json["results"]
        cursor = r.json["next"]
        if cursor is None:
            return out


def ids(results) -> list[str]:
    return [r["id"] for r in results]


# ---- listing and filters -----------------------------------------------------------------------


def test_list_pages_through_the_whole_world_in_created_order(client):
    w = world("acme")
    results = collect(client, page_size=100)
    assert ids(results) == [mid(i.id) for i in visible(w)]


def test_default_page_is_30_and_first_previous_is_null(client):
    r = get(client)
    assert r.status_code == 200 and r.content_type == "application/json"
    assert len(r.json["results"]) == 30 and r.json["previous"] is None
    second = get(client, cursor=r.json["next"]).json
    back = get(client, cursor=second["previous"]).json
    assert back["results"] == r.json["results"] and back["previous"] is None


def test_cursor_is_drf_shaped():
    from sandbox.http.cursors import DrfCursor

    r_next = base64.b64decode(DrfCursor.encode(1_780_000_000_000_000)).decode()
    assert r_next.startswith("p=2026-") and "%3A" in r_next


@pytest.mark.parametrize("world_key", ["acme", "globex", "initech", "umbrella"])
def test_every_field_is_the_worlds(client, world_key):
    w = world(world_key)
    by_id = {mid(i.id): i for i in visible(w)}
    fills = {"acme": 10, "globex": 8, "initech": 7, "umbrella": 4}[world_key]
    assert len(FILLS[w.platform]) == fills
    for r in collect(client, world_key, page_size=100):
        i = by_id[r["id"]]
        assert r["remote_id"] == i.remote_id and r["application"] == mid(i.application_id)
        assert r["created_at"] == ts(i.created_at) and r["modified_at"] == ts(i.modified_at)
        assert r["start_at"] == ts(i.start_at) and r["end_at"] == ts(i.end_at)
        assert r["interviewers"] == [mid(u) for u in i.interviewer_ids]
        assert r["remote_was_deleted"] is False and r["remote_data"] is None
        if world_key == "umbrella":  # Workday: Merge fills times and interviewers only
            assert r["job_interview_stage"] is None and r["organizer"] is None and r["status"] is None
            assert r["location"] is None and r["remote_created_at"] is None
        if world_key == "acme":
            assert r["organizer"] == mid(i.organizer_id)
            assert r["status"] == {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK",
                                   "complete": "COMPLETE", "cancelled": "cancelled"}[i.status]
            assert r["location"] == (i.location.text() if i.location else None)
        if world_key == "globex":  # Lever: no status; video links stand in the location
            assert r["status"] is None and r["location"] == (i.location.text() if i.location else i.video_url)


def test_filters_return_what_the_world_says(client):
    w = world("acme")
    live = visible(w)
    apps = Counter(i.application_id for i in live)
    app_id = next(a for a, n in apps.items() if n >= 2)
    job_id = w.applications[app_id].job_id
    stage_id = live[5].stage_id
    organizer_id = live[7].organizer_id
    cases = [
        ({"application_id": mid(app_id)}, lambda i: i.application_id == app_id),
        ({"job_id": mid(job_id)}, lambda i: w.applications[i.application_id].job_id == job_id),
        ({"job_interview_stage_id": mid(stage_id)}, lambda i: i.stage_id == stage_id),
        ({"organizer_id": mid(organizer_id)}, lambda i: i.organizer_id == organizer_id),
        ({"remote_id": live[3].remote_id}, lambda i: i.remote_id == live[3].remote_id),
        ({"created_after": ts(live[50].created_at)}, lambda i: i.created_at > live[50].created_at),
        ({"created_before": ts(live[50].created_at)}, lambda i: i.created_at < live[50].created_at),
        ({"modified_after": ts(live[80].modified_at)}, lambda i: i.modified_at > live[80].modified_at),
        ({"modified_before": ts(live[80].modified_at)}, lambda i: i.modified_at < live[80].modified_at),
        ({"created_after": ts(live[10].created_at), "job_id": mid(job_id)},
         lambda i: i.created_at > live[10].created_at and w.applications[i.application_id].job_id == job_id),
    ]
    for params, keep in cases:
        expected = [mid(i.id) for i in live if keep(i)]
        assert expected, params
        assert ids(collect(client, page_size=37, **params)) == expected, params


def test_timestamps_accept_offsets_and_naive_times(client):
    live = visible(world("acme"))
    moment = live[40].created_at.replace(microsecond=0)
    expected = [mid(i.id) for i in live if i.created_at > moment]
    for spelled in (moment.isoformat(), moment.isoformat().replace("+00:00", "Z"), moment.strftime("%Y-%m-%dT%H:%M:%S"),
                    (moment - timedelta(hours=5)).replace(tzinfo=None).isoformat() + "-05:00"):
        assert ids(collect(client, page_size=100, created_after=spelled)) == expected, spelled


def test_deleted_and_shell_records_come_only_when_asked(client):
    w = world("acme")
    every = sorted(w.interviews.values(), key=lambda i: i.created_at)
    deleted = ids(collect(client, page_size=100, include_deleted_data="true"))
    assert deleted == [mid(i.id) for i in every if not i.shell]
    both = collect(client, page_size=100, include_deleted_data="true", include_shell_data="true")
    assert ids(both) == [mid(i.id) for i in every]
    shell = next(r for r in both if r["id"] == mid(next(i for i in every if i.shell).id))
    assert shell["start_at"] is None and shell["interviewers"] == [] and shell["application"] is None
    assert all(r["remote_was_deleted"] == w.interviews[uuid.UUID(r["id"]).hex].deleted for r in both)


def test_expand_each_relation(client):
    w = world("acme")
    first = visible(w)[0]
    for expand in ("application", "interviewers", "job_interview_stage", "organizer",
                   "application,interviewers,job_interview_stage,organizer"):
        r = get(client, page_size=1, expand=expand).json["results"][0]
        assert spec_errors(SPEC, "ScheduledInterview", r) == []
        parts = expand.split(",")
        if "application" in parts:
            app = w.applications[first.application_id]
            assert r["application"]["id"] == mid(app.id) and r["application"]["job"] == mid(app.job_id)
            assert r["application"]["candidate"] == mid(app.candidate_id)
        else:
            assert r["application"] == mid(first.application_id)
        if "interviewers" in parts:
            assert [u["email"] for u in r["interviewers"]] == [w.users[u].email for u in first.interviewer_ids]
        if "job_interview_stage" in parts:
            assert r["job_interview_stage"]["name"] == w.stages[first.stage_id].name
            assert r["job_interview_stage"]["job"] == mid(w.applications[first.application_id].job_id)
        if "organizer" in parts:
            assert r["organizer"]["first_name"] == w.users[first.organizer_id].first_name
        else:
            assert r["organizer"] == mid(first.organizer_id)
    repeated = client.get(f"{BASE}?page_size=1&expand=organizer&expand=interviewers", headers=merge_headers())
    assert isinstance(repeated.json["results"][0]["organizer"], dict)
    assert isinstance(repeated.json["results"][0]["interviewers"][0], dict)


def test_remote_data_is_the_platforms_raw_record(client):
    expected = {"acme": ("/scheduled_interviews", "id"), "globex": ("/opportunities/", "id"),
                "initech": ("/interviewSchedule.list", "interviewEvents"), "umbrella": ("/Get_Interviews", None)}
    for key, (path, id_key) in expected.items():
        i = visible(world(key))[0]
        r = get(client, world_key=key, page_size=1, include_remote_data="true").json["results"][0]
        [remote] = r["remote_data"]
        assert remote["path"].startswith(path)
        if key == "acme":
            assert remote["data"]["id"] == int(i.remote_id) and remote["data"]["status"] in ("complete", "cancelled",
                                                                                              "awaiting_feedback", "scheduled")
        elif key == "globex":
            assert remote["data"]["id"] == i.remote_id and remote["data"]["date"] == int(i.start_at.timestamp() * 1000)
        elif key == "initech":
            assert remote["data"]["interviewEvents"][0]["id"] == i.remote_id
        else:
            assert remote["data"]["Interview_Event_Reference"]["ID"]["#text"] == i.remote_id


def test_show_enum_origins_gives_the_platforms_word(client):
    live = visible(world("initech"))  # Ashby: Merge fills status
    words = {"scheduled": "Scheduled", "awaiting_feedback": "WaitingOnFeedback", "complete": "Complete",
             "cancelled": "Cancelled"}
    for param in ("show_enum_origins", "remote_fields"):
        results = collect(client, "initech", page_size=100, **{param: "status"})
        assert [r["status"] for r in results] == [words[i.status] for i in live]


def test_retrieve_and_trailing_slash(client):
    i = visible(world("acme"))[12]
    for path in (f"{BASE}/{mid(i.id)}", f"{BASE}/{mid(i.id)}/", f"{BASE}/{i.id}"):
        r = get(client, path)
        assert r.status_code == 200 and r.json["id"] == mid(i.id)
        assert spec_errors(SPEC, "ScheduledInterview", r.json) == []
    assert get(client, BASE + "/").status_code == 200
    posted = client.post(BASE + "/", headers=merge_headers(), json={"model": new_model(), "remote_user_id": author()})
    assert posted.status_code == 201  # never a redirect, which would turn the POST into a GET
    assert get(client, f"{BASE}/{mid(i.id)}", expand="organizer").json["organizer"]["id"] == mid(i.organizer_id)


def test_a_token_sees_only_its_world(client):
    i = visible(world("acme"))[0]
    assert get(client, f"{BASE}/{mid(i.id)}", world_key="globex").status_code == 404
    assert mid(i.id) not in ids(collect(client, "globex", page_size=100))


def test_paging_while_records_are_added_misses_nothing(client):
    w = world("acme")
    seen, cursor, created = [], None, []
    while True:
        r = get(client, page_size=50, **({"cursor": cursor} if cursor else {})).json
        seen += ids(r["results"])
        created.append(create(client).json["model"]["id"])
        cursor = r["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen == [mid(i.id) for i in visible(w)] + created[:-1][: len(seen) - len(visible(w))]
    assert set(created[:-1]) <= set(seen)


def test_custom_fixtures_replace_the_default_set(tmp_path):
    client = tiny_app(tmp_path, '[[credentials]]\nvendor = "merge"\nworld = "tiny"\napi_key = "k"\naccount_token = "t"\n')
    r = client.get(BASE, headers={"Authorization": "Bearer k", "X-Account-Token": "t"}, query_string={"page_size": 100})
    assert r.status_code == 200 and 8 <= len(r.json["results"]) <= 12
    assert client.get(BASE, headers=merge_headers()).status_code == 401  # the default credentials are gone


# ---- writes ------------------------------------------------------------------------------------


def new_model(world_key="acme", **overrides) -> dict:
    w = world(world_key)
    app = next(a for a in w.applications.values() if a.rejected_at is None)
    stage = next(s for s in w.stages.values() if s.job_id == app.job_id and s.name == "Recruiter Screen")
    panel = [u for u in w.users.values() if not u.disabled][:2]
    model = {"application": mid(app.id), "job_interview_stage": mid(stage.id), "organizer": mid(panel[0].id),
             "interviewers": [mid(u.id) for u in panel], "location": "Ada Conference Room",
             "start_at": "2026-11-20T17:00:00Z", "end_at": "2026-11-20T18:00:00Z", "status": "SCHEDULED"}
    return {**model, **overrides}


def author(world_key="acme") -> str:
    return next(u for u in world(world_key).users.values() if not u.disabled).remote_id


def create(client, body=None, world_key="acme", query=""):
    body = body if body is not None else {"model": new_model(world_key), "remote_user_id": author(world_key)}
    return client.post(f"{BASE}{query}", headers=merge_headers(world_key), json=body)


def test_create_then_read_back(client):
    r = create(client, {"model": new_model(age=33), "remote_user_id": author(), "extra": 1}, query="?is_debug_mode=true")
    assert r.status_code == 201, r.data
    body = r.json
    assert spec_errors(SPEC, "ScheduledInterviewResponse", body) == []
    assert body["errors"] == [] and len(body["logs"]) == 1
    assert {w["problem_type"] for w in body["warnings"]} == {"UNRECOGNIZED_FIELD"}
    assert sorted(w["source"]["pointer"] for w in body["warnings"]) == ["/extra", "/model/age"]
    model = body["model"]
    sent = new_model()
    for key in ("application", "job_interview_stage", "organizer", "interviewers", "location", "start_at", "end_at",
                "status"):
        assert model[key] == sent[key], key
    assert get(client, f"{BASE}/{model['id']}").json == model
    assert collect(client, page_size=100)[-1] == model
    assert get(client, remote_id=model["remote_id"]).json["results"] == [model]
    again = create(client)
    assert again.json["model"]["id"] != model["id"] and again.json["model"]["created_at"] > model["created_at"]


def test_meta_post_describes_the_write(client):
    r = get(client, f"{BASE}/meta/post")
    assert r.status_code == 200
    assert spec_errors(SPEC, "MetaResponse", r.json) == []
    model = r.json["request_schema"]["properties"]["model"]
    assert model["required"] == ["application", "job_interview_stage", "interviewers", "start_at", "end_at"]
    assert set(model["properties"]) == {"application", "job_interview_stage", "organizer", "interviewers", "location",
                                        "start_at", "end_at", "status"}
    assert get(client, f"{BASE}/meta/post", world_key="globex").status_code == 404  # Merge writes Greenhouse only


# ---- bad input: each a 4xx in Merge's shape ----------------------------------------------------

H = merge_headers()
NOT_DRF = base64.b64encode(b"x=1").decode()
BAD_INPUTS = [
    ("no auth", "GET", BASE, {}, None, 401, {"detail": "Authentication credentials were not provided."}),
    ("basic auth", "GET", BASE, {"Authorization": "Basic Zm9vOmJhcg==", "X-Account-Token": H["X-Account-Token"]}, None,
     401, {"detail": "Invalid token header. No credentials provided."}),
    ("garbage key", "GET", BASE, {**H, "Authorization": "Bearer nope"}, None, 401, {"detail": "Invalid token."}),
    ("no account token", "GET", BASE, {"Authorization": H["Authorization"]}, None, 401,
     {"detail": "Account Token must be passed in as an X-Account-Token header."}),
    ("garbage account token", "GET", BASE, {**H, "X-Account-Token": "nope"}, None, 401,
     {"detail": "Invalid account token."}),
    ("page_size 0", "GET", BASE + "?page_size=0", H, None, 400,
     {"page_size": ["Ensure this value is greater than or equal to 1."]}),
    ("page_size -1", "GET", BASE + "?page_size=-1", H, None, 400,
     {"page_size": ["Ensure this value is greater than or equal to 1."]}),
    ("page_size abc", "GET", BASE + "?page_size=abc", H, None, 400, {"page_size": ["A valid integer is required."]}),
    ("page_size 101", "GET", BASE + "?page_size=101", H, None, 400,
     {"page_size": ["Ensure this value is less than or equal to 100."]}),
    ("bad date", "GET", BASE + "?created_after=yesterday", H, None, 400, {"created_after": ["Enter a valid date/time."]}),
    ("impossible date", "GET", BASE + "?modified_before=2024-13-45T00:00:00Z", H, None, 400,
     {"modified_before": ["Enter a valid date/time."]}),
    ("unknown expand", "GET", BASE + "?expand=candidate", H, None, 400,
     {"expand": ["Select a valid choice. candidate is not one of the available choices."]}),
    ("one bad expand of two", "GET", BASE + "?expand=application,foo", H, None, 400,
     {"expand": ["Select a valid choice. foo is not one of the available choices."]}),
    ("bad boolean", "GET", BASE + "?include_remote_data=maybe", H, None, 400,
     {"include_remote_data": ["Must be a valid boolean."]}),
    ("bad enum origin", "GET", BASE + "?show_enum_origins=location", H, None, 400,
     {"show_enum_origins": ["Select a valid choice. location is not one of the available choices."]}),
    ("bad filter uuid", "GET", BASE + "?application_id=42", H, None, 400, {"application_id": ["Enter a valid UUID."]}),
    ("garbage cursor", "GET", BASE + "?cursor=garbage!", H, None, 404, {"detail": "Invalid cursor"}),
    ("foreign cursor", "GET", BASE + f"?cursor={NOT_DRF}", H, None, 404, {"detail": "Invalid cursor"}),
    ("bad uuid", "GET", BASE + "/not-a-uuid", H, None, 404, {"detail": "Not found."}),
    ("unknown id", "GET", BASE + "/" + str(uuid.UUID(int=1)), H, None, 404, {"detail": "Not found."}),
    ("unknown path", "GET", "/merge/api/ats/v1/interviewz", H, None, 404, {"detail": "Not found."}),
    ("wrong method", "DELETE", BASE, H, None, 405, {"detail": 'Method "DELETE" not allowed.'}),
    ("non-JSON body", "POST", BASE, {**H, "Content-Type": "application/json"}, b"{not json", 400, None),
    ("JSON array body", "POST", BASE, {**H, "Content-Type": "application/json"}, b"[]", 400,
     {"detail": "Invalid data. Expected a dictionary, but got list."}),
    ("text body", "POST", BASE, {**H, "Content-Type": "text/plain"}, b"model=1", 415,
     {"detail": 'Unsupported media type "text/plain" in request.'}),
    ("form body whose model is no object", "POST", BASE, {**H, "Content-Type": "application/x-www-form-urlencoded"},
     b"model=1&remote_user_id=4000022", 400,
     {"warnings": [], "errors": [{"source": {"pointer": "/model"}, "title": "Incorrect Field Type",
                                  "detail": "model must be an object.", "problem_type": "INCORRECT_FIELD_TYPE"}]}),
    ("missing remote_user_id", "POST", BASE, {**H, "Content-Type": "application/json"}, b'{"model": {}}', 400,
     {"warnings": [], "errors": [
         {"source": {"pointer": f"/model/{k}"}, "title": "Missing Required Field",
          "detail": f"{k} is a required field on model.", "problem_type": "MISSING_REQUIRED_FIELD"}
         for k in ("application", "job_interview_stage", "interviewers", "start_at", "end_at")] + [
         {"source": {"pointer": "/remote_user_id"}, "title": "Missing Required Field",
          "detail": "remote_user_id is a required field.", "problem_type": "MISSING_REQUIRED_FIELD"}]}),
    ("wrong types in model", "POST", BASE, {**H, "Content-Type": "application/json"},
     b'{"model": {"application": 12, "job_interview_stage": ["x"], "interviewers": "me", "start_at": true,'
     b' "end_at": "soon", "location": 5}, "remote_user_id": "4000022"}', 400,
     {"warnings": [], "errors": [
         {"source": {"pointer": f"/model/{k}"}, "title": "Incorrect Field Type", "detail": f"{k}: {m}",
          "problem_type": "INCORRECT_FIELD_TYPE"}
         for k, m in (("application", "Enter a valid UUID."), ("job_interview_stage", "Enter a valid UUID."),
                      ("interviewers", "Not a valid list."), ("location", "Not a valid string."),
                      ("start_at", "Enter a valid date/time."), ("end_at", "Enter a valid date/time."))]}),
    ("body over 1 MB", "POST", BASE, {**H, "Content-Type": "application/json"},
     b'{"model": {"location": "' + b"x" * (1024 * 1024) + b'"}}', 413, {"detail": "Request body is too large."}),
]


@pytest.mark.parametrize("name,method,path,headers,body,status,expected", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_merges_error(client, name, method, path, headers, body, status, expected):
    r = client.open(path, method=method, headers=headers, data=body)
    assert r.status_code == status, r.data
    assert r.content_type == "application/json"
    if expected is not None and "errors" in expected:
        assert r.json["warnings"] == expected["warnings"]
        assert sorted(r.json["errors"], key=str) == sorted(expected["errors"], key=str)
    elif expected is not None:
        assert r.json == expected
    else:
        assert r.json["detail"].startswith("JSON parse error - ")


def test_write_rejections(client):
    w = world("acme")
    other_job_stage = next(s for s in w.stages.values()
                           if s.job_id != w.applications[uuid.UUID(new_model()["application"]).hex].job_id)
    cases = [
        ({"model": new_model()}, [("/remote_user_id", "MISSING_REQUIRED_FIELD")]),
        ({"remote_user_id": author()}, [("/model", "MISSING_REQUIRED_FIELD")]),
        ({"model": new_model(start_at=5, interviewers="x", status="DONE"), "remote_user_id": author()},
         [("/model/interviewers", "INCORRECT_FIELD_TYPE"), ("/model/start_at", "INCORRECT_FIELD_TYPE"),
          ("/model/status", "INCORRECT_FIELD_TYPE")]),
        ({"model": {"location": "x"}, "remote_user_id": author()},
         [(f"/model/{k}", "MISSING_REQUIRED_FIELD") for k in
          ("application", "end_at", "interviewers", "job_interview_stage", "start_at")]),
        ({"model": new_model(application=str(uuid.UUID(int=7))), "remote_user_id": author()},
         [("/model/application", "INVALID_FIELD_CHOICE")]),
        ({"model": new_model(job_interview_stage=mid(other_job_stage.id)), "remote_user_id": author()},
         [("/model/job_interview_stage", "INVALID_FIELD_CHOICE")]),
        ({"model": new_model(interviewers=[str(uuid.UUID(int=9))]), "remote_user_id": author()},
         [("/model/interviewers", "INVALID_FIELD_CHOICE")]),
        ({"model": new_model(end_at="2026-11-20T16:00:00Z"), "remote_user_id": author()},
         [("/model/end_at", "INVALID_FIELD_CHOICE")]),
        ({"model": new_model(), "remote_user_id": "no-such-user"}, [("/remote_user_id", "INVALID_FIELD_CHOICE")]),
        ({"model": new_model(), "remote_user_id": 12}, [("/remote_user_id", "INCORRECT_FIELD_TYPE")]),
    ]
    before = len(collect(client, page_size=100))
    for body, expected in cases:
        r = create(client, body)
        assert r.status_code == 400, (body, r.data)
        assert set(r.json) == {"warnings", "errors"}
        assert sorted((e["source"]["pointer"], e["problem_type"]) for e in r.json["errors"]) == sorted(expected), body
        for e in r.json["errors"]:
            assert spec_errors(SPEC, "ErrorValidationProblem", e) == []
    assert len(collect(client, page_size=100)) == before  # nothing was written


def test_create_on_a_platform_merge_cannot_write_fails(client):
    r = create(client, {"model": new_model("globex"), "remote_user_id": author("globex")}, world_key="globex")
    assert r.status_code == 400
    assert r.json["errors"][0] == {"title": "Unsupported Operation", "problem_type": "ERROR",
                                   "detail": "Lever does not support creating ScheduledInterview records through Merge."}


def test_errors_never_leak_html_or_tracebacks(app, client, monkeypatch):
    from sandbox.http import endpoints
    monkeypatch.setattr(endpoints, "keyset_page", lambda *a, **k: 1 / 0)
    r = get(client)
    assert r.status_code == 500 and r.json == {"detail": "Internal server error."}
    assert b"Traceback" not in r.data and orjson.loads(r.data)
