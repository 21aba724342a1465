"""Merge's official SDK (mergepythonclient) against a real gunicorn server. Every body the SDK
receives is also checked against ats_v3.yml."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import requests
from merge import Merge
from merge.core.api_error import ApiError
from merge.resources.ats import Application, JobInterviewStage, RemoteUser, ScheduledInterviewRequest

from sandbox.vendors.merge.render import ts
from tests.helpers import MERGE_KEY, NO_LIMIT, PATIENCE, TOKENS, Server, spec_errors, visible, wait_for, world
from tests.postgres import BACKENDS, store_settings

WORLDS = tuple(TOKENS)
SPEC = "merge/ats_v3.yml"
CREATED: dict[str, list[str]] = {k: [] for k in WORLDS}  # ids this module wrote, per world
SPEC_FAILURES: list[str] = []


def mid(hex_id: str) -> str:
    return str(uuid.UUID(hex=hex_id))


def _check_against_spec(response: httpx.Response) -> None:
    response.read()
    if response.status_code >= 400:
        return
    path = response.request.url.path
    if path.endswith("/meta/post"):
        schema = "MetaResponse"
    elif response.request.method == "POST":
        schema = "ScheduledInterviewResponse"
    elif path.endswith("/interviews"):
        schema = "PaginatedScheduledInterviewList"
    else:
        schema = "ScheduledInterview"
    SPEC_FAILURES.extend(f"{path}: {e}" for e in spec_errors(SPEC, schema, response.json()))


@pytest.fixture(scope="module", params=BACKENDS)
def merge_server(request, tmp_path_factory):
    """A server on each store: the SDK's tests pass on SQLite and on PostgreSQL."""
    srv = Server(tmp_path_factory.mktemp("merge-sdk") / "data", workers=2, rate_limit=NO_LIMIT,
                 **store_settings(request, "merge_sdk"))
    for written in CREATED.values():  # (what the other backend's server was sent)
        written.clear()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sdk(merge_server):
    clients = {}

    def make(world_key: str):
        if world_key not in clients:
            http = httpx.Client(timeout=PATIENCE, event_hooks={"response": [_check_against_spec]})
            clients[world_key] = Merge(api_key=MERGE_KEY, account_token=TOKENS[world_key],
                                       base_url=f"{merge_server.url}/merge/api", httpx_client=http)
        return clients[world_key].ats.interviews

    yield make
    assert SPEC_FAILURES == []


def every(interviews, **params) -> list:
    out, cursor = [], None
    while True:
        page = interviews.list(cursor=cursor, **params)
        out += page.results
        cursor = page.next
        if cursor is None:
            return out


@pytest.mark.parametrize("world_key", WORLDS)
def test_sdk_pages_through_every_interview_and_retrieves_each(sdk, world_key):
    interviews = sdk(world_key)
    got = every(interviews)
    expected = [mid(i.id) for i in visible(world(world_key))] + CREATED[world_key]
    assert len(got) == len(expected) and len({i.id for i in got}) == len(got)
    assert [i.id for i in got] == expected
    for item in got:
        again = interviews.retrieve(id=item.id)
        assert again == item


def test_sdk_filters_match_the_world(sdk):
    interviews, w = sdk("acme"), world("acme")
    live = visible(w)
    app_id = next(i.application_id for i in live if sum(j.application_id == i.application_id for j in live) > 1)
    job_id = w.applications[app_id].job_id
    pivot = live[len(live) // 2]
    cases = [
        (dict(application_id=mid(app_id)), lambda i: i.application_id == app_id),
        (dict(job_id=mid(job_id)), lambda i: w.applications[i.application_id].job_id == job_id),
        (dict(job_interview_stage_id=mid(pivot.stage_id)), lambda i: i.stage_id == pivot.stage_id),
        (dict(organizer_id=mid(pivot.organizer_id)), lambda i: i.organizer_id == pivot.organizer_id),
        (dict(remote_id=pivot.remote_id), lambda i: i.remote_id == pivot.remote_id),
        (dict(created_after=pivot.created_at), lambda i: i.created_at > pivot.created_at),
        (dict(created_before=pivot.created_at), lambda i: i.created_at < pivot.created_at),
        (dict(modified_after=pivot.modified_at), lambda i: i.modified_at > pivot.modified_at),
        (dict(modified_before=pivot.modified_at - timedelta(days=1)),
         lambda i: i.modified_at < pivot.modified_at - timedelta(days=1)),
    ]
    for params, keep in cases:
        expected = [mid(i.id) for i in live if keep(i)]
        assert expected, params
        assert [r.id for r in every(interviews, page_size=100, **params)] == expected, params
    with_deleted = every(interviews, page_size=100, include_deleted_data=True, include_shell_data=True)
    assert {r.id for r in with_deleted} >= {mid(i.id) for i in w.interviews.values()}
    remote = interviews.list(page_size=1, include_remote_data=True).results[0]
    assert remote.remote_data[0].path == "/scheduled_interviews"
    assert remote.remote_data[0].data["id"] == int(live[0].remote_id)
    origins = every(sdk("initech"), page_size=100, show_enum_origins="status")
    assert {r.status for r in origins} == {"Scheduled", "WaitingOnFeedback", "Complete", "Cancelled"}


def test_sdk_expands_each_relation(sdk):
    interviews, w = sdk("acme"), world("acme")
    first = visible(w)[0]
    page = interviews.list(page_size=1, expand=["application", "interviewers", "job_interview_stage", "organizer"])
    r = page.results[0]
    assert isinstance(r.application, Application) and r.application.id == mid(first.application_id)
    assert r.application.candidate == mid(w.applications[first.application_id].candidate_id)
    assert isinstance(r.job_interview_stage, JobInterviewStage)
    assert r.job_interview_stage.name == w.stages[first.stage_id].name
    assert isinstance(r.organizer, RemoteUser) and r.organizer.email == w.users[first.organizer_id].email
    assert [u.email for u in r.interviewers] == [w.users[u].email for u in first.interviewer_ids]
    single = interviews.list(page_size=1, expand="organizer").results[0]
    assert isinstance(single.organizer, RemoteUser) and isinstance(single.interviewers[0], str)
    got = interviews.retrieve(id=mid(first.id), expand="job_interview_stage")
    assert isinstance(got.job_interview_stage, JobInterviewStage)


def test_sdk_creates_and_reads_back(sdk):
    interviews, w = sdk("acme"), world("acme")
    app = next(a for a in w.applications.values() if a.rejected_at is None)
    stage = next(s for s in w.stages.values() if s.job_id == app.job_id and s.name == "Recruiter Screen")
    panel = [u for u in w.users.values() if not u.disabled][:2]
    meta = interviews.meta_post_retrieve()
    assert "application" in meta.request_schema["properties"]["model"]["required"]
    res = interviews.create(
        model=ScheduledInterviewRequest(
            application=mid(app.id), job_interview_stage=mid(stage.id), interviewers=[mid(u.id) for u in panel],
            location="Turing Conference Room", start_at="2026-12-01T17:00:00Z", end_at="2026-12-01T17:45:00Z"),
        remote_user_id=panel[0].remote_id, is_debug_mode=True)
    CREATED["acme"].append(res.model.id)
    assert res.errors == [] and res.warnings == [] and len(res.logs) == 1
    assert res.model.organizer == mid(panel[0].id) and res.model.status == "SCHEDULED"
    assert ts(res.model.start_at) == "2026-12-01T17:00:00Z"
    assert interviews.retrieve(id=res.model.id) == res.model
    assert interviews.list(remote_id=res.model.remote_id).results == [res.model]
    assert every(interviews, page_size=100)[-1] == res.model


def test_sdk_sees_merges_errors(sdk, merge_server):
    with pytest.raises(ApiError) as err:
        sdk("acme").retrieve(id=str(uuid.UUID(int=3)))
    assert err.value.status_code == 404 and err.value.body == {"detail": "Not found."}
    bad = Merge(api_key="wrong", account_token=TOKENS["acme"], base_url=f"{merge_server.url}/merge/api")
    with pytest.raises(ApiError) as err:
        bad.ats.interviews.list()
    assert err.value.status_code == 401 and err.value.body == {"detail": "Invalid token."}
    with pytest.raises(ApiError) as err:
        sdk("acme").list(page_size=101)
    assert err.value.status_code == 400


def test_a_429_with_retry_after_1_is_retried_by_the_sdk_on_its_own_and_succeeds(merge_server):
    rule = {"vendor": "merge", "path": "/ats/v1/interviews", "status": 429, "times": 1}
    assert requests.post(f"{merge_server.url}/_sandbox/faults", json=rule, timeout=PATIENCE).status_code == 201
    plain = Merge(api_key=MERGE_KEY, account_token=TOKENS["acme"], base_url=f"{merge_server.url}/merge/api")
    since, started = datetime.now(timezone.utc).isoformat(), time.monotonic()
    assert len(plain.ats.interviews.list(page_size=3).results) == 3
    assert time.monotonic() - started >= 1  # it waited as Retry-After said
    sent = wait_for(lambda: requests.get(f"{merge_server.url}/_sandbox/requests", params={"since": since},
                                         timeout=PATIENCE).json(), lambda s: len(s) >= 2, "both requests journaled")
    assert [(e["status"], e["fault"]) for e in reversed(sent)] == [(429, "429"), (200, None)]


def test_merges_sdk_takes_a_drifted_answer(merge_server):
    rule = {"vendor": "merge", "action": "drift", "times": 1}
    assert requests.post(f"{merge_server.url}/_sandbox/faults", json=rule, timeout=PATIENCE).status_code == 201
    plain = Merge(api_key=MERGE_KEY, account_token=TOKENS["acme"], base_url=f"{merge_server.url}/merge/api")
    first = plain.ats.interviews.list(page_size=2).results[0]
    assert first.status == "SANDBOX_UNKNOWN_VALUE" and first.created_at is None and first.location is None
    assert first.sandbox_drift == {"added": "a field this client has not seen"}  # kept as an extra field
