"""Rate and concurrency limits under a two-worker gunicorn server: each vendor's documented limits
by default, with exact counts across both workers; the undocumented ones only when configured;
Kombo's limit on writes in flight; Merge's failed-request limit, when asked for."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import requests

from sandbox.settings import DEFAULT_FIXTURES
from sandbox.vendors.kombo.render import kid
from tests.helpers import PATIENCE, Server, credential, wait_for, world
from tests.test_kombo_api import write_body

EXTRA = """
[[credentials]]
vendor = "merge"
world = "acme"
api_key = "merge-sandbox-key"
account_token = "acme-professional-account-token"
plan = "professional"

[[credentials]]
vendor = "kombo"
world = "acme"
api_key = "kombo-sandbox-key"
integration_id = "greenhouse:limited-to-five"
rate_limit = 5

[[credentials]]
vendor = "truto"
world = "acme"
api_token = "truto-sandbox-token"
integrated_account_id = "3f1c4b0e-0000-4000-8000-00000000000a"
rate_limit = 3
"""
PRO = {"Authorization": "Bearer merge-sandbox-key", "X-Account-Token": "acme-professional-account-token"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    shutil.copytree(DEFAULT_FIXTURES, root / "fixtures")
    with (root / "fixtures" / "sandbox.toml").open("a") as f:
        f.write(EXTRA)
    server = Server(root / "data", workers=2, fixtures=root / "fixtures", expect_429=True)
    yield server
    server.stop()


def fresh_window(seconds: int, needed: float) -> None:
    """Wait, if need be, so that the next `needed` seconds fall in one rate window."""
    into = time.time() % seconds
    if into > seconds - needed:
        time.sleep(seconds - into + 0.05)


def get(srv, path: str, headers: dict, params: dict | None = None) -> requests.Response:
    return requests.get(srv.url + path, headers=headers, params=params, timeout=PATIENCE)  # a new connection each time


def statuses(srv, n: int, path: str, headers: dict, params: dict | None = None) -> list[int]:
    return [get(srv, path, headers, params).status_code for _ in range(n)]


@pytest.mark.parametrize("plan, headers, limit", [("launch", None, 100), ("professional", PRO, 400)])
def test_merge_refuses_past_its_plans_limit_a_minute_counted_across_both_workers(srv, plan, headers, limit):
    headers = headers or credential("merge")["headers"]
    fresh_window(60, 25)
    answers = [get(srv, "/merge/api/ats/v1/users", headers) for _ in range(limit)]
    assert [a.status_code for a in answers] == [200] * limit
    assert len({a.headers["X-Sandbox-Worker"] for a in answers}) == 2
    refused = get(srv, "/merge/api/ats/v1/users", headers)
    assert (refused.status_code, refused.json()) == (429, {"detail": "Request was throttled."})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_bindbee_refuses_its_201st_request_a_minute(srv):
    headers = credential("bindbee")["headers"]
    fresh_window(60, 25)
    remaining = [int(get(srv, "/bindbee/api/ats/v1/remote-users", headers).headers["X-RateLimit-Remaining"])
                 for _ in range(200)]
    assert remaining == list(range(199, -1, -1))
    refused = get(srv, "/bindbee/api/ats/v1/remote-users", headers)
    assert (refused.status_code, refused.json()) == (429, {"detail": "Rate limit exceeded"})
    assert refused.headers["X-RateLimit-Remaining"] == "0" and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_kombo_counts_no_rate_unless_one_is_configured(srv):
    headers = credential("kombo")["headers"]
    answers = [get(srv, "/kombo/v1/ats/users", headers) for _ in range(150)]
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["ratelimit-remaining"] for a in answers} == {"300"}  # shown, unspent
    limited = {**headers, "X-Integration-Id": "greenhouse:limited-to-five"}
    fresh_window(60, 10)
    assert statuses(srv, 6, "/kombo/v1/ats/users", limited) == [200] * 5 + [429]
    refused = get(srv, "/kombo/v1/ats/users", limited)
    assert refused.json()["error"]["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert refused.headers["ratelimit-remaining"] == "0" and "Retry-After" not in refused.headers


def test_truto_passes_on_no_upstream_limit_unless_one_is_configured(srv):
    c = credential("truto")
    answer = get(srv, "/truto/unified/ats/users", c["headers"], c["query"])
    assert answer.status_code == 200 and "ratelimit-limit" not in answer.headers
    limited = {"integrated_account_id": "3f1c4b0e-0000-4000-8000-00000000000a"}
    fresh_window(10, 4)
    answers = [get(srv, "/truto/unified/ats/users", c["headers"], limited) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-limit"] == "3;w=10" and answers[3].headers["Retry-After"] == "10"


def test_kombos_31st_write_in_flight_is_refused_while_reads_pass(tmp_path):
    server = Server(tmp_path / "data", workers=2, threads=34, expect_429=True)
    try:
        headers = credential("kombo")["headers"]
        rule = {"vendor": "kombo", "method": "POST", "latency": 2500}  # each write stays in flight a while
        assert requests.post(f"{server.url}/_sandbox/faults", json=rule, timeout=PATIENCE).status_code == 201
        application = next(a for a in world("acme").applications.values() if a.rejected_at is None)
        path = f"{server.url}/kombo/v1/ats/applications/{kid(application.id)}/interviews"
        writes: list[requests.Response] = []

        def write():
            writes.append(requests.post(path, headers=headers, json=write_body(), timeout=PATIENCE))

        threads = [threading.Thread(target=write) for _ in range(31)]
        for t in threads:
            t.start()
        wait_for(lambda: [w.status_code for w in writes], lambda got: 429 in got, "the 31st write refused")  # 30 held
        reads = [get(server, "/kombo/v1/ats/users", headers).status_code for _ in range(3)]
        for t in threads:
            t.join()
        assert reads == [200, 200, 200]
        refused = [w for w in writes if w.status_code == 429]
        assert sorted(w.status_code for w in writes) == [200] * 30 + [429]
        assert refused[0].json()["error"]["code"] == "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
        assert refused[0].headers["Concurrency-Remaining"] == "0"
        assert sorted(int(w.headers["Concurrency-Remaining"]) for w in writes if w.status_code == 200) == list(range(30))
        after = requests.post(path, headers=headers, json=write_body(), timeout=PATIENCE)
        assert after.status_code == 200 and after.headers["Concurrency-Remaining"] == "29"  # all were let go
    finally:
        server.stop()


def test_merges_failed_request_limit_is_off_by_default_and_refuses_the_22nd_when_on(srv, tmp_path):
    headers = credential("merge", "globex")["headers"]
    fresh_window(10, 6)
    assert statuses(srv, 25, "/merge/api/ats/v1/users/nobody", headers) == [404] * 25
    assert get(srv, "/merge/api/ats/v1/users", headers).status_code == 200
    strict = Server(tmp_path / "data", workers=2, failure_limit=1, expect_429=True)
    try:
        fresh_window(10, 6)
        assert statuses(strict, 21, "/merge/api/ats/v1/users/nobody", headers) == [404] * 21
        refused = get(strict, "/merge/api/ats/v1/users", headers)
        assert (refused.status_code, refused.json()) == (429, {"detail": "Request was throttled."})
    finally:
        strict.stop()
