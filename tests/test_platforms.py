"""Every ATS platform through every vendor: which platforms each vendor serves interviews for and
what it answers for the others, which fields it fills for each, and each platform's raw record.

The tables below are copies of the vendors' documentation (../shared/platforms.md and the seeds it
cites), kept apart from the ones the code reads: a change to either shows here.
"""

from __future__ import annotations

import json
import re
import subprocess

import httpx
import pytest
from kombo import Kombo, errors as kombo_errors
from merge import Merge
from merge.core.api_error import ApiError

from tests.helpers import (PATIENCE, BINDBEE_KEY, KOMBO_KEY, MERGE_KEY, NO_LIMIT, ROOT, SPECS, TRUTO_TOKEN, Server, accounts,
                           spec_errors, visible, world)

# ---- the documentation's tables -----------------------------------------------------------------

PLATFORMS = ("greenhouse", "lever", "ashby", "workday", "smartrecruiters", "successfactors", "taleo", "recruitee",
             "fountain", "pinpoint", "ceipal", "zoho_recruit", "gem", "breezy_hr", "kombo_sandbox")
NAMES = {"greenhouse": "Greenhouse", "lever": "Lever", "ashby": "Ashby", "workday": "Workday",
         "smartrecruiters": "SmartRecruiters", "successfactors": "SAP SuccessFactors", "taleo": "Oracle Taleo",
         "recruitee": "Recruitee", "fountain": "Fountain", "pinpoint": "Pinpoint", "ceipal": "Ceipal",
         "zoho_recruit": "Zoho Recruit", "gem": "Gem", "breezy_hr": "Breezy HR", "kombo_sandbox": "Kombo Sandbox"}

# Merge's field support per platform (platforms.md, from Merge's docs), as the page's table.
MERGE_TABLE = """
| platform | start_at | end_at | interviewers | job_interview_stage | location | organizer | status | remote_created_at | remote_updated_at | remote_data |
| Ashby | ✓ | ✓ | ✓ | ✓ |   |   | ✓ | ✓ |   | ✓ |
| Fountain | ✓ | ✓ | ✓ | ✓ | ✓ |   | ✓ |   |   | ✓ |
| Greenhouse | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
| Lever | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |   | ✓ |   | ✓ |
| Oracle Taleo | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |   | ✓ | ✓ | ✓ |
| Recruitee | ✓ | ✓ | ✓ | ✓ |   | ✓ |   | ✓ | ✓ | ✓ |
| SAP SuccessFactors | ✓ | ✓ | ✓ | ✓ |   |   | ✓ |   |   | ✓ |
| SmartRecruiters | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |   | ✓ |   |   |
| Workday | ✓ | ✓ | ✓ |   |   |   |   |   |   | ✓ |
"""


def _merge_fills() -> dict[str, set[str]]:
    head, *rows = [[c.strip() for c in line.strip("|").split("|")] for line in MERGE_TABLE.strip().splitlines()]
    by_name = {v: k for k, v in NAMES.items()}
    return {by_name[row[0]]: {f for f, mark in zip(head[1:], row[1:]) if mark == "✓"} for row in rows}


MERGE_FILLS = _merge_fills()
MERGE_SERVES = set(MERGE_FILLS)
KOMBO_SERVES = {"workday", "successfactors", "smartrecruiters", "lever", "recruitee", "greenhouse", "ashby",
                "pinpoint", "zoho_recruit", "gem", "breezy_hr", "kombo_sandbox"}
TRUTO_LISTS = {"ashby", "ceipal", "fountain", "greenhouse", "pinpoint"}
TRUTO_GETS = {"ceipal", "pinpoint"}
# Truto's get page, "Supported in" per field; `id` and `remote_data` carry no such list.
TRUTO_SUPPORTED_IN = {"application": {"ceipal", "pinpoint"}, "candidate": {"ceipal"},
                      "job_interview_stage": {"ceipal", "pinpoint"}, "organizer": {"ceipal"},
                      "interviewers": {"ceipal"}, "location": {"ceipal"}, "start_at": {"pinpoint"},
                      "end_at": {"pinpoint"}, "status": {"pinpoint"}, "created_at": {"ceipal", "pinpoint"},
                      "updated_at": {"ceipal", "pinpoint"}}
TRUTO_NAME = {"remote_created_at": "created_at", "remote_updated_at": "updated_at"}  # Merge's name -> Truto's
# Kombo's Pinpoint connector: interviews with title, start, end and application.
KOMBO_PINPOINT_FILLS = {"title", "starting_at", "ending_at", "application_id"}
KOMBO_WRITE = {"title": "A write", "start_time": "2026-12-01T17:00:00Z", "end_time": "2026-12-01T18:00:00Z",
               "interviewer_user_ids": [], "location": {"type": "VIRTUAL", "address": "https://zoom.us/j/1"}}
KOMBO_OPTIONAL = ("location", "video_conferencing_url", "stage_id", "canceled", "users")
# Platforms whose interview records do not say an interview was cancelled (platforms/README.md):
# Kombo's `canceled` is then null ("if we have no information").
NO_CANCELLATION = {"workday", "smartrecruiters", "recruitee", "gem", "breezy_hr"}
# Platforms whose interview records hold no location (SuccessFactors' entity; Pinpoint's as Kombo maps it).
NO_LOCATION = {"successfactors", "pinpoint"}

# ---- the raw records: each platform's example record's keys, and its id style ----------------

EXAMPLES = {"greenhouse": "greenhouse.json", "lever": "lever.json", "ashby": "ashby.inferred.json",
            "workday": "workday.inferred.json", "smartrecruiters": "smartrecruiters.json",
            "successfactors": "successfactors.inferred.json", "fountain": "fountain.json"}
# Where no example was found, the INFERRED shapes the sandbox chose (platforms/README.md, §7-14).
INFERRED_KEYS = {
    "taleo": {"ScheduleInterviewId", "SubmissionId", "CandidateNumber", "RequisitionNumber", "InterviewStep",
              "InterviewStartDate", "InterviewEndDate", "Location", "OrganizerEmail", "Participants", "CreationDate",
              "LastUpdateDate"},
    "recruitee": {"id", "candidate_id", "offer_id", "stage_id", "starts_at", "duration", "location", "admin_id",
                  "attendees", "created_at", "updated_at"},
    "pinpoint": {"id", "type", "attributes", "relationships"},
    "ceipal": {"id", "submission_id", "applicant_id", "job_code", "interview_round_id", "interview_round",
               "scheduled_by", "interviewers", "interview_location", "interview_status", "created_at", "modified_at"},
    "zoho_recruit": {"id", "Interview_Name", "Candidate_Name", "Job_Opening_Name", "Interviewer", "Interview_Owner",
                     "Start_DateTime", "End_DateTime", "Venue", "Interview_Status", "Created_Time", "Modified_Time"},
    "gem": {"id", "application_id", "candidate_id", "stage_id", "title", "start_time", "end_time", "location",
            "organizer_id", "interviewer_ids", "created_at", "updated_at"},
    "breezy_hr": {"_id", "candidate_id", "position_id", "stage", "name", "start", "end", "location", "attendees",
                  "creation_date", "updated_date"},
    "kombo_sandbox": {"id", "title", "application_id", "stage_id", "start", "end", "location", "meeting_url",
                      "interviewer_ids", "cancelled", "created_at", "updated_at"},
}
EXTRA_KEYS = {"lever": {"gcalEventUrl"}}  # in Lever's current answers, not in its example
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
STYLE = {"int": r"\d{5,}", "uuid": UUID, "wid": r"[0-9a-f]{32}", "hex24": r"[0-9a-f]{24}", "hex12": r"[0-9a-f]{12}",
         "zoho": r"\d{18}"}
ID_STYLE = {"greenhouse": "int", "lever": "uuid", "ashby": "uuid", "workday": "wid", "smartrecruiters": "uuid",
            "successfactors": "int", "taleo": "int", "recruitee": "int", "fountain": "uuid", "pinpoint": "int",
            "ceipal": "int", "zoho_recruit": "zoho", "gem": "uuid", "breezy_hr": "hex12", "kombo_sandbox": "int"}
RAW_ID = {"ashby": lambda r: r["interviewEvents"][0]["id"], "workday": lambda r: r["Interview_Event_Reference"]["ID"]["#text"],
          "successfactors": lambda r: r["applicationInterviewId"], "taleo": lambda r: r["ScheduleInterviewId"],
          "breezy_hr": lambda r: r["_id"]}


def by_platform(vendor: str) -> dict[str, dict]:
    """The vendor's healthy credential for each platform (the first listed: the ATS one)."""
    out: dict[str, dict] = {}
    for a in accounts():
        if a["vendor"] == vendor and a["state"] == "healthy":
            out.setdefault(a["platform"], a)
    return out


# ---- a server, and the SDKs' views of it ----------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("platforms") / "data", workers=2, rate_limit=NO_LIMIT)
    yield srv
    srv.stop()


def _spec_checked(spec: str, schema_of, failures: list) -> httpx.Client:
    def check(response: httpx.Response) -> None:
        response.read()
        schema = schema_of(response)
        if schema:
            failures.extend(f"{response.request.url}: {e}" for e in spec_errors(spec, schema, response.json()))
    return httpx.Client(timeout=PATIENCE, event_hooks={"response": [check]})


def test_the_default_fixtures_have_a_world_on_every_platform_and_a_credential_for_every_pair():
    listed = accounts()
    assert {a["platform"] for a in listed} == set(PLATFORMS)
    for vendor, connectable in (("merge", set(PLATFORMS) - {"kombo_sandbox"}), ("kombo", set(PLATFORMS)),
                                ("truto", set(PLATFORMS) - {"kombo_sandbox"}),
                                ("bindbee", set(PLATFORMS) - {"kombo_sandbox"})):
        assert set(by_platform(vendor)) == connectable, vendor


def test_merge_sdk_lists_and_retrieves_interviews_where_merge_serves_them_and_gets_404_elsewhere(server):
    failures: list[str] = []
    schema_of = lambda r: None if r.status_code >= 400 else (  # noqa: E731
        "PaginatedScheduledInterviewList" if r.request.url.path.endswith("/interviews") else "ScheduledInterview")
    for plat, account in by_platform("merge").items():
        client = Merge(api_key=MERGE_KEY, account_token=account["headers"]["X-Account-Token"],
                       base_url=f"{server.url}/merge/api", httpx_client=_spec_checked("merge/ats_v3.yml", schema_of,
                                                                                      failures)).ats.interviews
        if plat in MERGE_SERVES:
            page = client.list(page_size=5, include_remote_data=True)
            assert len(page.results) == 5 and page.next is not None, plat
            assert client.retrieve(id=page.results[0].id, include_remote_data=True) == page.results[0]
        else:
            for call in (lambda: client.list(page_size=5), lambda: client.retrieve(id="0b4f6a43-5d0e-4c1e-9a57-3c0e8d1b2a01")):
                with pytest.raises(ApiError) as err:
                    call()
                assert (err.value.status_code, err.value.body) == (404, {"detail": "Not found."}), plat
    assert failures == []


def test_kombo_sdk_lists_interviews_where_kombo_serves_them_and_gets_model_not_available_elsewhere(server):
    failures: list[str] = []
    schema_of = lambda r: "GetAtsInterviewsPositiveResponse" if r.status_code == 200 else (  # noqa: E731
        "#/components/responses/ErrorResponseATS/content/application~1json/schema")
    first_application = "26vafvWSRmbhNcxJYqjCzuJg"  # (refused before the application is looked up)
    for plat, account in by_platform("kombo").items():
        kombo = Kombo(api_key=KOMBO_KEY, integration_id=account["headers"]["X-Integration-Id"],
                      server_url=f"{server.url}/kombo/v1",
                      client=_spec_checked("kombo/kombo-openapi.json", schema_of, failures))
        if plat in KOMBO_SERVES:
            first = kombo.ats.get_interviews(page_size=5)
            assert len(first.result.data.results) == 5 and first.result.data.next, plat
            assert len(first.next().result.data.results) == 5
        else:
            with pytest.raises(kombo_errors.KomboAtsError) as err:
                kombo.ats.get_interviews(page_size=5)
            assert err.value.status_code == 403
            assert err.value.data.error.code == "INTEGRATION.MODEL_NOT_AVAILABLE"
            assert err.value.data.error.title == "This data model isn't supported for the selected integration."
            assert err.value.data.error.message == (f'The "interviews" model is not yet available for {NAMES[plat]}. '
                                                    "Please reach out to Kombo if you need this functionality.")
            write = httpx.post(f"{server.url}/kombo/v1/ats/applications/{first_application}/interviews",
                               headers=account["headers"], json=KOMBO_WRITE)
            assert (write.status_code, write.json()["error"]["code"]) == (403, "INTEGRATION.ACTION_NOT_AVAILABLE")
        integration = httpx.get(f"{server.url}/kombo/v1/integrations/{account['headers']['X-Integration-Id']}",
                                headers=account["headers"]).json()["data"]
        interviews = next(m for m in integration["read_models"] if m["id"] == "ats_interviews")
        assert (interviews["is_available"], interviews["coverage_status"]) == (
            (True, "SUPPORTED") if plat in KOMBO_SERVES else (False, "UNSUPPORTED"))
    assert failures == []


def test_truto_sdk_lists_and_gets_interviews_as_truto_documents_and_gets_404_elsewhere(server, truto_python):
    served = by_platform("truto")
    # Truto's Fountain list wants `candidate_id` (its docs; Fountain lists booked slots per applicant)
    fountain = world(served["fountain"]["world"])
    candidate = next(fountain.candidates[fountain.applications[i.application_id].candidate_id].remote_id
                     for i in visible(fountain))
    extra = {"fountain": f"?candidate_id={candidate}"}
    out = subprocess.run([truto_python, str(ROOT / "tests" / "truto_sdk_client.py"), f"{server.url}/truto", TRUTO_TOKEN,
                          "interviews", *(a["query"]["integrated_account_id"] + extra.get(plat, "")
                                          for plat, a in served.items())],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    for plat, account in served.items():
        read = seen[account["query"]["integrated_account_id"]]["interviews"]
        if plat not in TRUTO_LISTS:
            assert read == {"list_error": 404}, plat
            continue
        assert read["listed"] and len({i["id"] for i in read["listed"]}) == len(read["listed"]), plat
        assert read["to_array"] == [i["id"] for i in read["listed"]]
        if plat in TRUTO_GETS:
            assert read["got"] == read["listed"], plat
        else:
            assert read["get_error"] == 404, plat
    r = httpx.get(f"{server.url}/truto/unified/ats/interviews", params=served["fountain"]["query"],
                  headers={"Authorization": f"Bearer {TRUTO_TOKEN}"})
    assert (r.status_code, r.json()) == (400, {
        "statusCode": 400, "error": "Bad Request", "message": "candidate_id is required.",
        "truto_error_insight": {"missing_required_query_parameters": {
            "description": "These query parameters are required by the unified API and were not sent.",
            "value": ["candidate_id"]}}})
    # the refusal's body, in Truto's shape
    lever = served["lever"]["query"]["integrated_account_id"]
    r = httpx.get(f"{server.url}/truto/unified/ats/interviews", params={"integrated_account_id": lever},
                  headers={"Authorization": f"Bearer {TRUTO_TOKEN}"})
    assert (r.status_code, r.json()) == (404, {"statusCode": 404, "error": "Not Found", "message":
                                               "The list method of the unified interviews resource is not supported "
                                               "for the Lever integration."})


def test_bindbee_lists_and_gets_interviews_of_every_platform_it_connects(server):
    for plat, account in by_platform("bindbee").items():
        headers = {**account["headers"], "Authorization": f"Bearer {BINDBEE_KEY}"}
        page = httpx.get(f"{server.url}/bindbee/api/ats/v1/scheduled-interviews", params={"page_size": 5},
                         headers=headers)
        assert page.status_code == 200, plat
        spec = "bindbee/bindbee-scheduled-interview-api-openapi.yml"
        assert spec_errors(spec, "PaginatedResponse_AtsScheduledInterview_", page.json()) == []
        first = page.json()["items"][0]
        one = httpx.get(f"{server.url}/bindbee/api/ats/v1/scheduled-interviews/{first['id']}", headers=headers)
        assert (one.status_code, one.json()) == (200, first)
        assert spec_errors(spec, "AtsScheduledInterview", one.json()) == []


# ---- field coverage, every interview of every served pair (in-process) -----------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from sandbox.app import create_app
    from sandbox.settings import Settings
    from tests.helpers import DEFAULT_FIXTURES

    app = create_app(Settings(fixtures=DEFAULT_FIXTURES, data_dir=tmp_path_factory.mktemp("fields"), rate_limit=NO_LIMIT))
    return app.test_client()


def every(client, path: str, account: dict, items, cursor_arg: str, next_of, **params) -> list[dict]:
    out, cursor = [], None
    while True:
        query = {**account["query"], **params, **({cursor_arg: cursor} if cursor else {})}
        r = client.get(path, headers=account["headers"], query_string=query)
        assert r.status_code == 200, r.json
        out += items(r.json)
        cursor = next_of(r.json)
        if not cursor:
            return out


def _filled(value) -> bool:
    return value not in (None, [])


def test_merge_fills_exactly_the_fields_its_table_gives_each_platform(client):
    for plat, account in by_platform("merge").items():
        if plat not in MERGE_SERVES:
            continue
        got = every(client, "/merge/api/ats/v1/interviews", account, lambda b: b["results"], "cursor",
                    lambda b: b["next"], page_size=100, include_remote_data="true")
        for field in MERGE_FILLS["greenhouse"]:  # every field of the table
            filled = [i for i in got if _filled(i[field])]
            if field not in MERGE_FILLS[plat]:
                assert filled == [], (plat, field)
            elif field == "location":
                assert filled, (plat, field)  # (a video interview has none)
            else:
                assert len(filled) >= 0.8 * len(got), (plat, field)  # all but shells, and a cancelled one's status


def test_truto_maps_the_fields_its_docs_support_and_leaves_the_others_out(client):
    for plat, account in by_platform("truto").items():
        if plat not in TRUTO_LISTS:
            continue
        params = {"limit": 100}
        if plat == "fountain":
            w = world(account["world"])
            params["candidate_id"] = ",".join(c.remote_id for c in w.candidates.values())
        got = every(client, "/truto/unified/ats/interviews", account, lambda b: b["result"], "next_cursor",
                    lambda b: b["next_cursor"], **params)
        if plat in TRUTO_GETS:
            expected = {"id", "remote_data"} | {f for f, where in TRUTO_SUPPORTED_IN.items() if plat in where}
        else:  # no per-field table for its list: the fields Merge fills, and the references (INFERRED)
            expected = {"id", "remote_data", "application", "candidate"} | {
                TRUTO_NAME.get(f, f) for f in MERGE_FILLS[plat] if f != "remote_data"}
        for i in got:
            assert set(i) == expected, (plat, set(i) ^ expected)
        normalized = client.get("/truto/unified/ats/interviews", headers=account["headers"],
                                query_string={**account["query"], **params, "truto_response_format": "normalized"}).json
        assert set(normalized["result"][0]) == {"id", "remote_data", *TRUTO_SUPPORTED_IN}
        assert all(normalized["result"][0][f] in (None, []) for f in TRUTO_SUPPORTED_IN if f not in expected)


def test_kombo_leaves_empty_what_a_platform_does_not_give(client):
    for plat, account in by_platform("kombo").items():
        if plat not in KOMBO_SERVES:
            continue
        got = every(client, "/kombo/v1/ats/interviews", account, lambda b: b["data"]["results"], "cursor",
                    lambda b: b["data"]["next"], page_size=100)
        for field in KOMBO_OPTIONAL:
            filled = [i for i in got if _filled(i[field])]
            if plat == "pinpoint" or (field == "canceled" and plat in NO_CANCELLATION) or \
                    (field == "location" and plat in NO_LOCATION):
                assert filled == [] and all(i[field] in (None, []) for i in got), (plat, field)
            elif field != "canceled":
                assert filled, (plat, field)
            else:
                assert {i["canceled"] for i in got} >= {True, False}, plat
        assert all(i["title"] and i["application_id"] for i in got), plat
        assert sum(bool(i["starting_at"]) for i in got) >= len(got) - 2, plat


def test_bindbee_fills_every_field_a_platform_has_for_every_platform(client):
    for plat, account in by_platform("bindbee").items():
        got = every(client, "/bindbee/api/ats/v1/scheduled-interviews", account, lambda b: b["items"], "cursor",
                    lambda b: b["cursor"], page_size=100)
        for field in ("start_at", "end_at", "interviewers", "job_interview_stage", "organizer", "status",
                      "remote_created_at", "remote_updated_at", "location"):
            filled = [i for i in got if _filled(i[field])]
            if field == "location" and plat in NO_LOCATION:
                assert filled == [], plat
            else:
                assert filled, (plat, field)


# ---- raw records ---------------------------------------------------------------------------


def _raw_records(client) -> dict[str, tuple[list[dict], list[str]]]:
    """Per platform: a page of raw interview records, and the unified remote ids beside them
    (Bindbee's `raw_data`; Kombo's `remote_data` for Kombo Sandbox)."""
    out = {}
    for plat, account in by_platform("bindbee").items():
        r = client.get("/bindbee/api/ats/v1/scheduled-interviews", headers=account["headers"],
                       query_string={"include_raw_data": "true", "page_size": 20})
        out[plat] = ([i["raw_data"] for i in r.json["items"]], [i["remote_id"] for i in r.json["items"]])
    account = by_platform("kombo")["kombo_sandbox"]
    r = client.get("/kombo/v1/ats/interviews", headers=account["headers"], query_string={"page_size": 20})
    items = r.json["data"]["results"]
    out["kombo_sandbox"] = ([next(iter(i["remote_data"].values())) for i in items], [i["remote_id"] for i in items])
    return out


def test_raw_records_carry_each_platforms_example_keys_and_its_id_style(client):
    raw = _raw_records(client)
    assert set(raw) == set(PLATFORMS)
    for plat, (records, remote_ids) in raw.items():
        if plat in EXAMPLES:
            expected = set(json.loads((SPECS / "platforms" / EXAMPLES[plat]).read_text())) | EXTRA_KEYS.get(plat, set())
        else:
            expected = INFERRED_KEYS[plat]
        style = STYLE[ID_STYLE[plat]]
        for record, remote_id in zip(records, remote_ids):
            assert set(record) == expected, (plat, set(record) ^ expected)
            raw_id = str(RAW_ID.get(plat, lambda r: r["id"])(record))
            assert re.fullmatch(style, raw_id) and raw_id == remote_id, (plat, raw_id, remote_id)


def test_the_readme_and_the_code_say_why_merge_leaves_smartrecruiters_remote_data_null():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert ("for a SmartRecruiters account `remote_data` is `null` even with `include_remote_data=true`, because "
            "Merge's field-support page lists `remote_data` among SmartRecruiters' Application fields but not among "
            "its ScheduledInterview fields") in readme
    source = (ROOT / "sandbox/vendors/merge/platforms.py").read_text()
    assert "not among its ScheduledInterview fields (platforms.md, seed 001)" in " ".join(
        line.strip().lstrip("# ") for line in source.splitlines())
    assert "remote_data" not in MERGE_FILLS["smartrecruiters"]


def test_smartrecruiters_users_are_object_ids_and_zoho_ids_share_the_organisations_prefix(client):
    records, _ = _raw_records(client)["smartrecruiters"]
    organizers = [r["organizerId"] for r in records if r["organizerId"]]
    interviewers = [p["id"] for r in records for t in r["timeslots"] for p in t["interviewers"]]
    assert organizers and interviewers
    assert all(re.fullmatch(r"[0-9a-f]{24}", user) for user in organizers + interviewers)
    zoho, _ = _raw_records(client)["zoho_recruit"]
    prefixes = {r["id"][:6] for r in zoho} | {r["Candidate_Name"]["id"][:6] for r in zoho}
    assert len(prefixes) == 1


def test_merge_remote_data_is_the_platforms_raw_record(client):
    raw = _raw_records(client)
    for plat, account in by_platform("merge").items():
        if plat not in MERGE_SERVES:
            continue
        r = client.get("/merge/api/ats/v1/interviews", headers=account["headers"],
                       query_string={"include_remote_data": "true", "page_size": 20})
        remote = [i["remote_data"] for i in r.json["results"]]
        if "remote_data" in MERGE_FILLS[plat]:
            assert [entry[0]["data"] for entry in remote] == raw[plat][0], plat
        else:
            assert remote == [None] * 20, plat
