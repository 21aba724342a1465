"""Replicas: two servers on different ports (two gunicorn workers each) sharing one PostgreSQL database
behave as one sandbox: writes, the clock, faults, connection states, rate limits, webhooks and the
journal are the same whichever of them a request reaches."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
import requests

from tests.helpers import PATIENCE, NO_LIMIT, Receiver, Server, credential, merge_headers, wait_for
from tests.test_merge_api import author, new_model
from tests.test_webhooks import register, settled

pytestmark = pytest.mark.server
INTERVIEWS = "/merge/api/ats/v1/interviews"


def pair(postgres, tmp_path_factory, name: str, **settings) -> tuple[Server, Server]:
    """Two servers on a new database, started at the same moment (both find it empty)."""
    url = postgres.database(name)
    a, b = (Server(tmp_path_factory.mktemp(f"{name}-{n}") / "data", workers=2, store=url, wait=False, **settings)
            for n in "ab")
    try:
        a._wait(), b._wait()
    except BaseException:
        a._stop(), b._stop()
        raise
    a.database = url
    return a, b


@pytest.fixture(scope="module")
def replicas(postgres, tmp_path_factory):
    a, b = pair(postgres, tmp_path_factory, "replicas", rate_limit=NO_LIMIT)
    yield a, b
    a.stop()
    b.stop()


def get(srv: Server, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{srv.url}{path}", headers=merge_headers(), timeout=PATIENCE, **kwargs)


def admin(srv: Server, method: str, path: str, body=None) -> requests.Response:
    return requests.request(method, f"{srv.url}/_sandbox{path}", json=body, timeout=PATIENCE)


def test_replicas_that_start_together_install_the_worlds_once_and_serve_the_same_bytes(replicas):
    a, b = replicas
    with psycopg.connect(a.database) as db:  # the second waited on the advisory lock, then found them installed
        assert db.execute("SELECT DISTINCT generation FROM worlds").fetchall() == [(1,)]
    assert admin(a, "GET", "/health").json() == admin(b, "GET", "/health").json()
    assert get(a, f"{INTERVIEWS}?page_size=100").content == get(b, f"{INTERVIEWS}?page_size=100").content


def test_a_write_through_one_replica_is_read_at_once_through_the_other(replicas):
    a, b = replicas
    created = requests.post(f"{a.url}{INTERVIEWS}", headers=merge_headers(), timeout=PATIENCE,
                            json={"model": new_model(location="Replica Room"), "remote_user_id": author()})
    assert created.status_code == 201, created.text
    model = created.json()["model"]
    read = get(b, f"{INTERVIEWS}/{model['id']}")
    assert read.status_code == 200 and read.json() == model
    just_before = (datetime.fromisoformat(model["created_at"]) - timedelta(seconds=1)).isoformat()
    listed = get(b, INTERVIEWS, params={"created_after": just_before}).json()["results"]
    assert [i["id"] for i in listed] == [model["id"]]


def test_a_reset_through_one_replica_undoes_writes_made_through_the_other(replicas):
    a, b = replicas
    created = requests.post(f"{a.url}{INTERVIEWS}", headers=merge_headers(), timeout=PATIENCE,
                            json={"model": new_model(), "remote_user_id": author()})
    assert created.status_code == 201, created.text
    before = get(a, f"{INTERVIEWS}/{created.json()['model']['id']}")
    assert before.status_code == 200
    assert admin(b, "POST", "/reset", {}).status_code == 200
    gone = get(a, f"{INTERVIEWS}/{created.json()['model']['id']}")
    assert (gone.status_code, gone.json()) == (404, {"detail": "Not found."})


def test_a_clock_set_through_one_replica_is_the_clock_of_both(replicas):
    a, b = replicas
    assert admin(a, "POST", "/clock", {"now": "2031-02-03T04:05:06Z", "frozen": True}).status_code == 200
    try:
        assert admin(b, "GET", "/clock").json() == {"now": "2031-02-03T04:05:06Z", "frozen": True}
        assert admin(b, "POST", "/clock", {"advance": "PT1H"}).status_code == 200
        assert admin(a, "GET", "/clock").json() == {"now": "2031-02-03T05:05:06Z", "frozen": True}
    finally:
        admin(a, "POST", "/clock", {"now": datetime.now(timezone.utc).isoformat(), "frozen": False})


def test_a_fault_rule_added_through_one_replica_answers_through_the_other(replicas):
    a, b = replicas
    rule = admin(a, "POST", "/faults", {"vendor": "merge", "path": INTERVIEWS, "status": 503, "times": 2})
    assert rule.status_code == 201, rule.text
    try:
        assert [get(b, INTERVIEWS).status_code, get(a, INTERVIEWS).status_code, get(b, INTERVIEWS).status_code] == \
            [503, 503, 200]  # two times in all, whichever replica answers
    finally:
        admin(b, "DELETE", "/faults")


def test_a_connection_state_set_through_one_replica_applies_on_both(replicas):
    a, b = replicas
    merge = credential("merge")["id"]
    assert admin(a, "PUT", f"/credentials/{merge}/state", {"state": "deleted"}).status_code == 200
    try:
        refused = get(b, INTERVIEWS)
        assert (refused.status_code, refused.json()) == (401, {"detail": "Invalid account token."})
        assert {x["id"]: x["state"] for x in admin(b, "GET", "/accounts").json()}[merge] == "deleted"
    finally:
        admin(b, "PUT", f"/credentials/{merge}/state", {"state": "healthy"})
    assert get(a, INTERVIEWS).status_code == 200


def test_the_journal_of_either_replica_shows_both_replicas_requests(replicas):
    a, b = replicas
    get(a, f"{INTERVIEWS}?page_size=3")
    get(b, f"{INTERVIEWS}?page_size=4")
    for srv in (a, b):
        journal = admin(srv, "GET", "/requests?vendor=merge").json()
        assert sorted(e["query"].get("page_size") for e in journal[:2]) == ["3", "4"]  # the newest two


def test_each_webhook_is_delivered_once_whichever_replica_made_the_change(replicas):
    a, b = replicas
    receiver = Receiver()
    try:
        register(a, receiver, "merge")
        for srv in (a, b, a, b, a, b):
            r = requests.post(f"{srv.url}{INTERVIEWS}", headers=merge_headers(), timeout=PATIENCE,
                              json={"model": new_model(), "remote_user_id": author()})
            assert r.status_code == 201, r.text
        receiver.wait(6)
        time.sleep(1)  # four workers run senders: time for any of them to send one again
        assert len(receiver.got) == 6 and len({b["data"]["id"] for b in receiver.bodies()}) == 6
        assert [d["status"] for d in settled(b, 6)] == ["delivered"] * 6
    finally:
        receiver.close()
        admin(a, "DELETE", "/webhooks")


def test_a_rate_limit_is_counted_across_both_replicas(postgres, tmp_path_factory):
    a, b = pair(postgres, tmp_path_factory, "limited", rate_limit=6, expect_429=True)
    try:
        if 60 - time.time() % 60 < 5:  # Merge counts per minute: start in a window with time to spare
            time.sleep(60 - time.time() % 60 + 0.1)
        statuses = [get(srv, INTERVIEWS).status_code for srv in (a, b, a, b, a, b, a, b)]
        assert statuses == [200] * 6 + [429, 429]
    finally:
        a.stop()
        b.stop()


def test_requests_are_answered_at_once_after_postgresql_restarts_under_the_server(tmp_path):
    from tests.postgres import Postgres

    cluster = Postgres()  # a cluster of its own: this one is restarted

    def at_once(n: int) -> list[int]:  # enough at once that every worker's pool holds several connections
        with ThreadPoolExecutor(n) as pool:
            return sorted(pool.map(lambda _: get(srv, INTERVIEWS).status_code, range(n)))

    def in_flight_remaining() -> set[str]:  # a Kombo write counts itself in flight (a tally across processes)
        kombo = credential("kombo")
        return {requests.post(f"{srv.url}/kombo/v1/ats/applications/26vafvWSRmbhNcxJYqjCzuJg/interviews",
                              headers=kombo["headers"], json={}, timeout=PATIENCE).headers["Concurrency-Remaining"]
                for _ in range(6)}

    try:
        srv = Server(tmp_path / "data", workers=2, threads=8, store=cluster.database("restarted"), rate_limit=NO_LIMIT)
        try:
            assert at_once(16) == [200] * 16 and in_flight_remaining() == {"29"}
            cluster.restart()  # every connection dropped
            assert at_once(16) == [200] * 16
            assert in_flight_remaining() == {"29"}  # each process holds its life lock again: its tallies count
            created = requests.post(f"{srv.url}{INTERVIEWS}", headers=merge_headers(), timeout=PATIENCE,
                                    json={"model": new_model(), "remote_user_id": author()})
            assert created.status_code == 201, created.text
            assert get(srv, f"{INTERVIEWS}/{created.json()['model']['id']}").status_code == 200
        finally:
            srv.stop()
    finally:
        cluster.stop()


def test_a_store_whose_connections_the_database_dropped_takes_new_ones_and_its_life_lock_again(postgres):
    from sandbox.world.store import open_store

    url = postgres.database("dropped")
    store = open_store(url)
    try:
        store.pin()
        store.unpin()  # the pool holds a connection, idle
        assert store.tally("in-flight", 1) == 1
        with psycopg.connect(url, autocommit=True) as admin:  # as a failover does: every session dropped
            others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            admin.execute(f"SELECT pg_terminate_backend(pid) {others}")
            wait_for(lambda: admin.execute(f"SELECT count(*) {others}").fetchone()[0], lambda n: n == 0,
                     "the sessions to end", every=0.02)
        store.pin()  # the idle connection was dropped: it takes another
        try:
            # the dropped life lock's count stops counting; the process takes a new one, and its count counts
            assert store.tally("in-flight", 1) == 1
        finally:
            store.unpin()
    finally:
        store.close()
