"""Bindbee's candidates, applications, jobs, remote users and job interview stages, in-process: every
record of each generated world paged through and fetched by id, each body against Bindbee's own
per-resource OpenAPI file; an interview's expanded relations against those endpoints; filters against
the generated world; and bad input in FastAPI's shapes."""

from __future__ import annotations

import base64
import uuid

import pytest

from sandbox.vendors.bindbee.ids import bid
from tests.helpers import bindbee_headers, spec_errors, visible, world

API = "/bindbee/api/ats/v1"
WORLD_KEYS = ("acme", "globex", "initech", "umbrella")

# path -> (the world's attribute, the spec file, the item schema, the "not found" noun)
RESOURCES = {
    "candidates": ("candidates", "bindbee/bindbee-candidate-api-openapi.yml", "AtsCandidate", "Candidate"),
    "applications": ("applications", "bindbee/bindbee-application-api-openapi.yml", "AtsApplication", "Application"),
    "jobs": ("jobs", "bindbee/bindbee-job-api-openapi.yml", "AtsJob", "Job"),
    "remote-users": ("users", "bindbee/bindbee-remote-user-api-openapi.yml", "AtsRemoteUser", "Remote user"),
    "job-interview-stages": ("stages", "bindbee/bindbee-job-interview-stage-api-openapi.yml", "AtsJobInterviewStage",
                             "Job interview stage"),
}
INTERVIEW_SPEC = "bindbee/bindbee-scheduled-interview-api-openapi.yml"


def get(client, path: str, world_key: str = "acme", **params):
    return client.get(f"{API}/{path}", headers=bindbee_headers(world_key), query_string=params)


def spec_of(resource: str) -> tuple[str, str, str]:
    _, spec, item, _ = RESOURCES[resource]
    return spec, item, f"PaginatedResponse_{item}_"


def collect(client, resource: str, world_key: str = "acme", **params) -> list[dict]:
    """Every item of a listing, page by page through `cursor`, each page checked against the spec."""
    spec, _, page_schema = spec_of(resource)
    out, cursor = [], None
    while True:
        r = get(client, resource, world_key, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.data
        assert spec_errors(spec, page_schema, r.json) == []
        assert r.json["page_size"] == len(r.json["items"])
        out += r.json["items"]
        cursor = r.json["cursor"]
        if cursor is None:
            return out


def records(world_key: str, resource: str) -> list:
    """A kind's records of the generated world, in `created_at` order."""
    return sorted(getattr(world(world_key), RESOURCES[resource][0]).values(), key=lambda r: r.created_at)


@pytest.mark.parametrize("world_key", WORLD_KEYS)
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_paging_by_37_returns_every_record_once_in_created_order_and_each_get_by_id_returns_the_listed_item(
        client, resource, world_key):
    spec, item_schema, _ = spec_of(resource)
    expected = [bid(r.id) for r in records(world_key, resource)]
    items = collect(client, resource, world_key, page_size=37)
    assert [i["id"] for i in items] == expected
    assert len(set(expected)) == len(expected) > 0
    for item in items:
        one = get(client, f"{resource}/{item['id']}", world_key)
        assert one.status_code == 200, one.data
        assert one.json == item
        assert spec_errors(spec, item_schema, one.json) == []


def test_a_full_page_of_37_says_37_and_its_cursor_is_the_last_id(client):
    page = get(client, "candidates", page_size=37).json
    assert page["page_size"] == 37 and len(page["items"]) == 37
    assert base64.b64decode(page["cursor"]).decode() == page["items"][-1]["id"]


@pytest.mark.parametrize("world_key", WORLD_KEYS)
def test_an_interviews_expanded_relations_equal_what_their_own_endpoints_return(client, world_key):
    w = world(world_key)
    interviews = [i for i in visible(w) if i.organizer_id and i.stage_id and i.interviewer_ids][:5]
    assert interviews
    for i in interviews:
        r = get(client, f"scheduled-interviews/{bid(i.id)}", world_key,
                expand="application,job_interview_stage,organizer,interviewers")
        assert r.status_code == 200, r.data
        assert spec_errors(INTERVIEW_SPEC, "AtsScheduledInterview", r.json) == []
        assert r.json["application"] == get(client, f"applications/{bid(i.application_id)}", world_key).json
        assert r.json["job_interview_stage"] == get(client, f"job-interview-stages/{bid(i.stage_id)}", world_key).json
        assert r.json["organizer"] == get(client, f"remote-users/{bid(i.organizer_id)}", world_key).json
        assert r.json["interviewers"] == [get(client, f"remote-users/{bid(u)}", world_key).json
                                          for u in i.interviewer_ids]
        assert r.json["application"]["id"] == bid(i.application_id)


def test_applications_filtered_by_job_are_the_worlds_applications_of_those_jobs(client):
    apps = records("acme", "applications")
    one, other = apps[0].job_id, next(a.job_id for a in apps if a.job_id != apps[0].job_id)
    for jobs in ((one,), (one, other)):
        expected = [bid(a.id) for a in apps if a.job_id in jobs]
        assert expected
        got = collect(client, "applications", page_size=37, job=",".join(bid(j) for j in jobs))
        assert [a["id"] for a in got] == expected
        assert {a["job"] for a in got} == {bid(j) for j in jobs}


def test_applications_filtered_by_candidate_are_the_worlds_applications_of_those_candidates(client):
    apps = records("acme", "applications")
    one, other = apps[0].candidate_id, apps[-1].candidate_id
    for candidates in ((one,), (one, other)):
        expected = [bid(a.id) for a in apps if a.candidate_id in candidates]
        assert expected
        got = collect(client, "applications", candidate=",".join(bid(c) for c in candidates))
        assert [a["id"] for a in got] == expected


def test_job_interview_stages_filtered_by_job_are_that_jobs_stages(client):
    stages = records("acme", "job-interview-stages")
    for job in records("acme", "jobs"):
        expected = [bid(s.id) for s in stages if s.job_id == job.id]
        got = collect(client, "job-interview-stages", job=bid(job.id))
        assert [s["id"] for s in got] == expected
        assert all(s["job"] == bid(job.id) for s in got)


def test_remote_users_filtered_by_email_are_the_user_with_that_email(client):
    for user in records("acme", "remote-users")[:10]:
        got = collect(client, "remote-users", email=user.email)
        assert [u["id"] for u in got] == [bid(u.id) for u in records("acme", "remote-users") if u.email == user.email]
        assert got[0]["email"] == user.email
    assert get(client, "remote-users", email="nobody@nowhere.example").json == {"cursor": None, "page_size": 0,
                                                                                 "items": []}


def test_candidates_filtered_by_email_addresses_match_the_worlds_candidates(client):
    cands = records("acme", "candidates")
    a, b = cands[3], cands[60]
    assert collect(client, "candidates", email_addresses=a.email) == [get(client, f"candidates/{bid(a.id)}").json]
    # FastAPI reads a list query parameter from repeated keys; the sandbox also takes a comma list
    both = [bid(a.id), bid(b.id)]
    repeated = client.get(f"{API}/candidates", headers=bindbee_headers(),
                          query_string=[("email_addresses", a.email), ("email_addresses", b.email)])
    assert repeated.status_code == 200 and [c["id"] for c in repeated.json["items"]] == both
    assert [c["id"] for c in collect(client, "candidates", email_addresses=f"{a.email},{b.email}")] == both
    assert get(client, "candidates", email_addresses="nobody@nowhere.example").json == {
        "cursor": None, "page_size": 0, "items": []}


def test_remote_users_take_no_expand_and_one_sent_is_ignored(client):
    plain = get(client, "remote-users", page_size=5)
    asked = get(client, "remote-users", page_size=5, expand="nope")
    assert asked.status_code == 200 and asked.json == plain.json


def _expand_error(value: str, relations: str) -> dict:
    return {"detail": [{"type": "value_error", "loc": ["query", "expand"],
                        "msg": f"Value error, expand takes relations among {relations}, "
                               "each optionally with [field,...] of that relation", "input": value}]}


def _bad_ids(name: str, *values: str) -> dict:
    return {"detail": [{"type": "uuid_parsing", "loc": ["query", name],
                        "msg": "Input should be a valid UUID (version 7)", "input": v} for v in values]}


UNKNOWN = str(uuid.UUID(int=1, version=4))
UNKNOWN_V7 = bid(uuid.UUID(int=1, version=4).hex)  # shaped like a Bindbee id, of no record
CANDIDATE_CURSOR = base64.b64encode(bid(records("acme", "candidates")[0].id).encode()).decode()
BAD = [
    *[(f"{res} page_size 0", res, {"page_size": "0"}, 422, {"detail": [
        {"type": "greater_than_equal", "loc": ["query", "page_size"],
         "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}}]}) for res in RESOURCES],
    *[(f"{res} page_size 201", res, {"page_size": "201"}, 422, {"detail": [
        {"type": "less_than_equal", "loc": ["query", "page_size"], "msg": "Input should be less than or equal to 200",
         "input": "201", "ctx": {"le": 200}}]}) for res in RESOURCES],
    ("jobs page_size abc", "jobs", {"page_size": "abc"}, 422, {"detail": [
        {"type": "int_parsing", "loc": ["query", "page_size"],
         "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}]}),
    *[(f"{res} bad ids", res, {"ids": "42"}, 422, _bad_ids("ids", "42")) for res in RESOURCES],
    ("applications bad job ids", "applications", {"job": "42,abc"}, 422, _bad_ids("job", "42", "abc")),
    ("applications a version-4 candidate id", "applications", {"candidate": UNKNOWN}, 422,
     _bad_ids("candidate", UNKNOWN)),
    ("stages bad job id", "job-interview-stages", {"job": "nope"}, 422, _bad_ids("job", "nope")),
    ("candidates unknown expand", "candidates", {"expand": "job"}, 422,
     _expand_error("job", "applications, attachments")),
    ("applications unknown expand field", "applications", {"expand": "candidate[salary]"}, 422,
     _expand_error("candidate[salary]", "candidate, job, credited_to, current_stage, reject_reason")),
    ("jobs unknown expand", "jobs", {"expand": "nope"}, 422,
     _expand_error("nope", "hiring_managers, recruiters, departments, offices")),
    ("stages unknown expand", "job-interview-stages", {"expand": "candidate"}, 422, _expand_error("candidate", "job")),
    *[(f"{res} garbage cursor", res, {"cursor": "nope"}, 400, {"detail": "Invalid cursor"}) for res in RESOURCES],
    ("a candidates cursor on jobs", "jobs", {"cursor": CANDIDATE_CURSOR}, 400, {"detail": "Invalid cursor"}),
    *[(f"{res} bad path id", f"{res}/not-a-uuid", {}, 422, {"detail": [
        {"type": "uuid_parsing", "loc": ["path", "id"], "msg": "Input should be a valid UUID", "input": "not-a-uuid"}]})
      for res in RESOURCES],
    *[(f"{res} unknown id", f"{res}/{UNKNOWN}", {}, 404, {"detail": f"{RESOURCES[res][3]} not found"})
      for res in RESOURCES],
    *[(f"{res} unknown version-7 id", f"{res}/{UNKNOWN_V7}", {}, 404, {"detail": f"{RESOURCES[res][3]} not found"})
      for res in RESOURCES],
    ("a scheduled interview's id on applications", f"applications/{bid(visible(world('acme'))[0].id)}", {}, 404,
     {"detail": "Application not found"}),
]


@pytest.mark.parametrize("name,path,params,status,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_on_the_new_endpoints_gets_bindbees_exact_errors(client, name, path, params, status, expected):
    r = get(client, path, **params)
    assert r.status_code == status and r.content_type == "application/json", r.data
    assert r.json == expected
    spec, _, _ = spec_of(path.split("/")[0])
    assert spec_errors(spec, "HTTPValidationError" if status == 422 else "ErrorResponse", r.json) == []
