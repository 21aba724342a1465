"""Truto's official SDK (truto-python-sdk, Python 3.12 and newer) against a real gunicorn server.
The suite builds a Python 3.12 environment for it in `.venv-truto` (once; kept between runs: the
`truto_python` fixture in conftest.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import NO_LIMIT, ROOT, TRUTO_ACCOUNTS, TRUTO_TOKEN, Server, visible, world

# Truto resource -> the world's records it lists
RELATED = {"candidates": "candidates", "applications": "applications", "jobs": "jobs", "users": "users",
           "job_interview_stages": "stages"}


@pytest.fixture(scope="module")
def truto_server(tmp_path_factory):
    """A server of its own: the SDK reads thousands of records by id, faster than the 500 per 10 s
    Truto's limit allows, so the limit is raised."""
    srv = Server(tmp_path_factory.mktemp("truto-sdk") / "data", workers=2, rate_limit=NO_LIMIT)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def seen(truto_python, truto_server) -> dict:
    """What the SDK read of every resource of every integrated account."""
    out = subprocess.run([truto_python, str(ROOT / "tests" / "truto_sdk_client.py"), f"{truto_server.url}/truto", TRUTO_TOKEN,
                          ",".join(["interviews", *RELATED]), *TRUTO_ACCOUNTS.values()],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_truto_sdk_lists_every_interview_page_by_page_where_truto_lists_them(seen):
    """Truto documents its interview list for Greenhouse and Ashby among these platforms, and its
    get for neither: the SDK pages through the lists and is refused the rest with a 404."""
    for key, account in TRUTO_ACCOUNTS.items():
        read = seen[account]["interviews"]
        if world(key).platform not in ("greenhouse", "ashby"):
            assert read == {"list_error": 404}, key
            continue
        live, listed = visible(world(key)), read["listed"]
        created = [i["id"] for i in listed[len(live):]]  # interviews other tests wrote through this server
        assert [i["id"] for i in listed[:len(live)]] == [i.remote_id for i in live]
        assert len({i["id"] for i in listed}) == len(listed)
        assert read["pages"] == -(-len(listed) // 50)
        assert read["get_error"] == 404 and "got" not in read
        assert read["to_array"] == [i["id"] for i in listed]
        if key != "acme":
            assert created == []


@pytest.mark.parametrize("resource", RELATED)
def test_truto_sdk_lists_every_related_record_page_by_page_and_gets_each(seen, resource):
    for key, account in TRUTO_ACCOUNTS.items():
        records = sorted(getattr(world(key), RELATED[resource]).values(), key=lambda r: r.created_at)
        read = seen[account][resource]
        assert [r["id"] for r in read["listed"]] == [r.remote_id for r in records]
        assert read["pages"] == max(1, -(-len(records) // 50))
        assert read["got"] == read["listed"] and read["to_array"] == [r.remote_id for r in records]


def test_truto_interview_references_name_records_the_related_endpoints_list(seen):
    for account in TRUTO_ACCOUNTS.values():
        ids = {resource: {r["id"] for r in seen[account][resource]["listed"]} for resource in RELATED}
        for interview in seen[account]["interviews"].get("listed", []):  # (where Truto lists them)
            assert interview["application"]["id"] in ids["applications"]
            assert interview["candidate"]["id"] in ids["candidates"]
            for person in interview.get("interviewers", []):
                assert person["id"] in ids["users"]
            if interview.get("job_interview_stage"):
                assert interview["job_interview_stage"]["id"] in ids["job_interview_stages"]
