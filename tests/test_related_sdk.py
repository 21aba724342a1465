"""The records an interview points at, through Merge's and Kombo's official SDKs against a real
gunicorn server: every resource of every default world listed page by page (no duplicates, the
world's records in created order), each retrieved by id where the vendor has a get, every body
checked against the vendor's OpenAPI, and an interview's references equal to what they retrieve."""

from __future__ import annotations

import uuid

import httpx
import pytest
from kombo import Kombo
from merge import Merge

from sandbox.vendors.kombo.render import kid
from tests.helpers import PATIENCE, INTEGRATIONS, KOMBO_KEY, MERGE_KEY, NO_LIMIT, TOKENS, WORLDS, Server, spec_errors, world

MERGE_SPEC, KOMBO_SPEC = "merge/ats_v3.yml", "kombo/kombo-openapi.json"
# Merge SDK resource -> (the world's records, the spec's page schema, its record schema)
MERGE = {
    "applications": ("applications", "PaginatedApplicationList", "Application"),
    "candidates": ("candidates", "PaginatedCandidateList", "Candidate"),
    "users": ("users", "PaginatedRemoteUserList", "RemoteUser"),
    "jobs": ("jobs", "PaginatedJobList", "Job"),
    "job_interview_stages": ("stages", "PaginatedJobInterviewStageList", "JobInterviewStage"),
    "scorecards": ("scorecards", "PaginatedScorecardList", "Scorecard"),
}
MERGE_SCHEMAS = {path: schemas for path, schemas in (
    ("/ats/v1/" + name.replace("_", "-"), (page, one)) for name, (_, page, one) in MERGE.items())}
MERGE_SCHEMAS["/ats/v1/interviews"] = ("PaginatedScheduledInterviewList", "ScheduledInterview")
# Kombo SDK method -> (the world's records, the spec's page schema)
KOMBO = {
    "get_applications": ("applications", "GetAtsApplicationsPositiveResponse"),
    "get_candidates": ("candidates", "GetAtsCandidatesPositiveResponse"),
    "get_users": ("users", "GetAtsUsersPositiveResponse"),
    "get_jobs": ("jobs", "GetAtsJobsPositiveResponse"),
    "get_application_stages": ("stages", "GetAtsApplicationStagesPositiveResponse"),
}
KOMBO_SCHEMAS = {"/ats/" + m[4:].replace("_", "-"): s for m, (_, s) in KOMBO.items()}
KOMBO_SCHEMAS["/ats/interviews"] = "GetAtsInterviewsPositiveResponse"
SPEC_FAILURES: list[str] = []
CHECKED: list[str] = []


def _merge_spec(response: httpx.Response) -> None:
    response.read()
    path = response.request.url.path.removeprefix("/merge/api")
    if path == "/ats/v1/account-details":
        schema = "AccountDetails"
    else:
        base, _, tail = path.rpartition("/")
        page, one = MERGE_SCHEMAS[path] if path in MERGE_SCHEMAS else MERGE_SCHEMAS[base]
        schema = page if path in MERGE_SCHEMAS else one
    CHECKED.append(path)
    SPEC_FAILURES.extend(f"{path}: {e}" for e in spec_errors(MERGE_SPEC, schema, response.json()))


def _kombo_spec(response: httpx.Response) -> None:
    response.read()
    path = response.request.url.path.removeprefix("/kombo/v1")
    CHECKED.append(path)
    SPEC_FAILURES.extend(f"{path}: {e}" for e in spec_errors(KOMBO_SPEC, KOMBO_SCHEMAS[path], response.json()))


@pytest.fixture(scope="module")
def related_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("related-sdk") / "data", workers=2, rate_limit=NO_LIMIT)
    yield srv
    srv.stop()
    assert SPEC_FAILURES == []


@pytest.fixture(scope="module")
def merge(related_server):
    def make(world_key: str) -> Merge:
        http = httpx.Client(timeout=PATIENCE, event_hooks={"response": [_merge_spec]})
        return Merge(api_key=MERGE_KEY, account_token=TOKENS[world_key], base_url=f"{related_server.url}/merge/api",
                     httpx_client=http)
    return make


@pytest.fixture(scope="module")
def kombo(related_server):
    def make(world_key: str) -> Kombo:
        http = httpx.Client(timeout=PATIENCE, event_hooks={"response": [_kombo_spec]})
        return Kombo(api_key=KOMBO_KEY, integration_id=INTEGRATIONS[world_key],
                     server_url=f"{related_server.url}/kombo/v1", client=http)
    return make


def in_order(records) -> list:
    return sorted(records.values(), key=lambda r: r.created_at)


def dump(value):
    """A value of an SDK model as plain data (each endpoint's models are classes of their own)."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    return value.model_dump() if hasattr(value, "model_dump") else value


def mid(hex_id: str) -> str:
    return str(uuid.UUID(hex=hex_id))


@pytest.mark.parametrize("world_key", WORLDS)
@pytest.mark.parametrize("resource", MERGE)
def test_merge_sdk_pages_every_record_of_a_resource_and_retrieves_each(merge, resource, world_key):
    api = getattr(merge(world_key).ats, resource)
    got, cursor, pages = [], None, 0
    while True:
        page = api.list(cursor=cursor, page_size=37)
        got += page.results
        pages += 1
        cursor = page.next
        if cursor is None:
            break
    expected = [mid(r.id) for r in in_order(getattr(world(world_key), MERGE[resource][0]))]
    assert [r.id for r in got] == expected and len(set(expected)) == len(expected)
    assert pages == max(1, -(-len(expected) // 37))
    for record in got:
        assert api.retrieve(record.id) == record


@pytest.mark.parametrize("world_key", WORLDS)
def test_merge_interview_references_retrieve_as_their_expanded_form(merge, world_key):
    ats = merge(world_key).ats
    page = ats.interviews.list(page_size=40, expand=["application", "organizer", "job_interview_stage", "interviewers"])
    for interview in page.results:
        assert ats.applications.retrieve(interview.application.id) == interview.application
        if interview.organizer is not None:
            assert ats.users.retrieve(interview.organizer.id) == interview.organizer
        if interview.job_interview_stage is not None:
            assert ats.job_interview_stages.retrieve(interview.job_interview_stage.id) == interview.job_interview_stage
        for person in interview.interviewers:
            assert ats.users.retrieve(person.id) == person


def test_merge_scorecards_expand_to_their_interview_and_interviewer(merge):
    ats = merge("acme").ats
    for card in ats.scorecards.list(page_size=20, expand=["interview", "interviewer", "application"]).results:
        assert ats.interviews.retrieve(card.interview.id) == card.interview
        assert ats.users.retrieve(card.interviewer.id) == card.interviewer
        assert ats.applications.retrieve(card.application.id) == card.application
        assert card.interviewer.id in [i for i in card.interview.interviewers]
        assert card.interview.status == "COMPLETE"


@pytest.mark.parametrize("world_key", WORLDS)
def test_merge_account_details_name_the_linked_accounts_platform(merge, world_key):
    details = merge(world_key).ats.account_details.retrieve()
    w = world(world_key)
    assert (details.integration_slug, details.end_user_organization_name, details.status, details.category) == \
           (w.platform, w.company, "COMPLETE", "ats")


@pytest.mark.parametrize("world_key", WORLDS)
@pytest.mark.parametrize("method", KOMBO)
def test_kombo_sdk_pages_every_record_of_a_resource(kombo, method, world_key):
    res, got = getattr(kombo(world_key).ats, method)(page_size=37), []
    while res is not None:
        got += res.result.data.results
        res = res.next()
    expected = [kid(r.id) for r in in_order(getattr(world(world_key), KOMBO[method][0]))]
    assert [r.id for r in got] == expected and len(set(expected)) == len(expected)


@pytest.mark.parametrize("world_key", WORLDS)
def test_kombo_interview_references_resolve_through_the_new_endpoints(kombo, world_key):
    ats = kombo(world_key).ats
    interviews = ats.get_interviews(page_size=30).result.data.results
    for i in interviews:
        [app] = ats.get_applications(ids=[i.application_id]).result.data.results
        nested = i.application
        assert (app.id, app.remote_id, app.outcome, app.rejection_reason_name) == \
               (nested.id, nested.remote_id, nested.outcome, nested.rejection_reason_name)
        for field in ("id", "remote_id", "first_name", "last_name", "email_addresses"):
            assert dump(getattr(app.candidate, field)) == dump(getattr(nested.candidate, field))
        assert app.job.model_dump() == nested.job.model_dump()
        assert i.id in [x.id for x in app.interviews]
        users = ats.get_users(ids=[u.id for u in i.users]).result.data.results
        assert {(u.id, u.email) for u in users} == {(u.id, u.email) for u in i.users}
        if i.stage_id:
            [stage] = ats.get_application_stages(ids=[i.stage_id]).result.data.results
            assert stage.id == i.stage_id


def test_every_new_endpoint_was_checked_against_its_spec():
    assert {p for p in CHECKED if not p.startswith("/ats/v1/interviews")} >= {
        "/ats/v1/applications", "/ats/v1/candidates", "/ats/v1/users", "/ats/v1/jobs", "/ats/v1/job-interview-stages",
        "/ats/v1/scorecards", "/ats/v1/account-details", "/ats/applications", "/ats/candidates", "/ats/users",
        "/ats/jobs", "/ats/application-stages"}
