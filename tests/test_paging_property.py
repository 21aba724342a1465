"""A property of every list: for any filters and page size, the pages put together are the filtered
records, in `created_at` order, with none twice — also while another thread writes (what it adds comes
after every page read before it, as keyset paging promises)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.app import create_app
from sandbox.settings import Settings
from tests.helpers import NO_LIMIT, merge_headers, world
from tests.test_merge_api import author, new_model

BASE = "/merge/api/ats/v1/interviews"
EPOCH = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
JOBS = sorted(str(__import__("uuid").UUID(hex=j)) for j in world("acme").jobs)[:6]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("paging") / "data", rate_limit=NO_LIMIT))


def instants():
    return st.integers(-120, 30).map(lambda days: (EPOCH + timedelta(days=days)).isoformat().replace("+00:00", "Z"))


FILTERS = st.fixed_dictionaries({}, optional={
    "created_after": instants(), "created_before": instants(), "modified_after": instants(),
    "job_id": st.sampled_from(JOBS), "include_deleted_data": st.sampled_from(["true", "false"]),
    "status": st.sampled_from(["SCHEDULED", "COMPLETE"]),  # not a Merge filter: ignored, as Merge ignores it
})


def pages(client, query: dict, page_size: int) -> list[dict]:
    out, cursor = [], None
    while True:
        r = client.get(BASE, headers=merge_headers(), query_string={**query, "page_size": page_size,
                                                                     **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.json
        out += r.json["results"]
        cursor = r.json["next"]
        if cursor is None:
            return out


def created(record: dict) -> datetime:
    return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=FILTERS, page_size=st.integers(1, 100), writes=st.integers(0, 4))
def test_pages_are_the_filtered_records_in_order_once_while_another_thread_writes(app, query, page_size, writes):
    client = app.test_client()
    before = pages(client, query, 100)  # the filtered set, read whole while nothing writes

    def write():
        writer = app.test_client()
        for _ in range(writes):
            r = writer.post(BASE, headers=merge_headers(), json={"model": new_model(), "remote_user_id": author()})
            assert r.status_code == 201

    thread = threading.Thread(target=write)
    thread.start()
    got = pages(client, query, page_size)
    thread.join()
    ids = [r["id"] for r in got]
    assert len(ids) == len(set(ids))  # none twice
    assert [created(r) for r in got] == sorted(created(r) for r in got)  # in created order
    assert [r["id"] for r in got[:len(before)]] == [r["id"] for r in before]  # none missed
    for r in got[len(before):]:  # what was added meanwhile, after every record there before
        assert created(r) > created(before[-1]) if before else True
