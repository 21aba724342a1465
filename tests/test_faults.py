"""Faults a test asks for, under a two-worker gunicorn server: rules matched and counted by every
worker, each action in each vendor's own shape, the schedules, and the per-request header."""

from __future__ import annotations

import http.client
import time

import pytest
import requests

from tests.helpers import PATIENCE, NO_LIMIT, Server, credential

INJECTED = "Injected fault: this request was answered with {} by the sandbox."
PATHS = {"merge": "/merge/api/ats/v1/interviews", "kombo": "/kombo/v1/ats/interviews",
         "truto": "/truto/unified/ats/interviews", "bindbee": "/bindbee/api/ats/v1/scheduled-interviews"}
PAGE = {"merge": {"page_size": 2}, "kombo": {"page_size": 2}, "truto": {"limit": 2}, "bindbee": {"page_size": 2}}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("faults") / "data", workers=2, rate_limit=NO_LIMIT)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_rules(srv):
    requests.delete(f"{srv.url}/_sandbox/faults", timeout=PATIENCE)
    yield


def call(srv, vendor: str, headers: dict | None = None, **params) -> requests.Response:
    c = credential(vendor)
    return requests.get(srv.url + PATHS[vendor], headers={**c["headers"], **(headers or {})},
                        params={**c["query"], **PAGE[vendor], **params}, timeout=PATIENCE)


def add(srv, **rule) -> dict:
    r = requests.post(f"{srv.url}/_sandbox/faults", json=rule, timeout=PATIENCE)
    assert r.status_code == 201, r.text
    return r.json()


def rules(srv) -> list[dict]:
    return requests.get(f"{srv.url}/_sandbox/faults", timeout=PATIENCE).json()


def envelope(vendor: str, status: int, body: dict) -> dict:
    """The part of each vendor's error body a fault decides (Kombo's log_url is per request)."""
    message = INJECTED.format(status)
    if vendor == "kombo":
        code = "PLATFORM.RATE_LIMIT_EXCEEDED" if status == 429 else body["error"]["code"]
        return {"status": "error", "error": {"code": code, "title": body["error"]["title"], "message": message,
                                             "log_url": body["error"]["log_url"]}}
    if vendor == "truto":
        return {"statusCode": status, "error": body["error"], "message": message}
    return {"detail": message}


@pytest.mark.parametrize("vendor", list(PATHS))
@pytest.mark.parametrize("status", [400, 404, 418, 429, 500, 502, 503, 504])
def test_a_status_fault_answers_in_the_vendors_envelope_once_then_the_endpoint_answers(srv, vendor, status):
    rule = add(srv, vendor=vendor, path=PATHS[vendor], status=status, times=1)
    faulted = call(srv, vendor)
    assert faulted.status_code == status
    assert faulted.json() == envelope(vendor, status, faulted.json())
    assert faulted.headers["X-Sandbox-Fault"] == str(status)
    assert call(srv, vendor).status_code == 200
    assert [(r["id"], r["matched"], r["hits"]) for r in rules(srv)] == [(rule["id"], 1, 1)]


RATE_HEADERS = {  # what an injected 429 carries, by vendor: its own rate headers, due again in a second
    "merge": {"Retry-After": "1"},
    "kombo": {"ratelimit-limit": "1000000", "ratelimit-remaining": "0", "ratelimit-reset": "1"},
    "truto": {"ratelimit-limit": "1000000;w=10", "ratelimit-remaining": "0", "ratelimit-reset": "1", "Retry-After": "1"},
    "bindbee": {"X-RateLimit-Limit": "1000000", "X-RateLimit-Remaining": "0", "Retry-After": "1"},
}


@pytest.mark.parametrize("vendor", list(PATHS))
def test_an_injected_429_carries_the_vendors_rate_headers(srv, vendor):
    add(srv, vendor=vendor, status=429, times=1)
    r = call(srv, vendor)
    assert r.status_code == 429
    for name, value in RATE_HEADERS[vendor].items():
        assert r.headers[name] == value, name
    if vendor == "kombo":
        assert "Retry-After" not in r.headers  # Kombo's 429 says when only through ratelimit-reset


def test_a_rule_matches_by_vendor_credential_world_method_and_path_glob(srv):
    globex = credential("merge", "globex")
    add(srv, vendor="merge", credential=globex["id"], method="GET", path="/ats/v1/interview*", status=503)
    assert call(srv, "merge").status_code == 200  # another credential
    assert call(srv, "kombo").status_code == 200  # another vendor
    r = requests.get(srv.url + PATHS["merge"], headers=globex["headers"], timeout=PATIENCE)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    r = requests.get(srv.url + "/merge/api/ats/v1/users", headers=globex["headers"], timeout=PATIENCE)
    assert r.status_code == 200  # the glob does not match
    requests.delete(f"{srv.url}/_sandbox/faults", timeout=PATIENCE)
    add(srv, world="initech", status=502)
    assert call(srv, "merge").status_code == 200
    assert requests.get(srv.url + PATHS["bindbee"], headers=credential("bindbee", "initech")["headers"],
                        timeout=PATIENCE).status_code == 502


def test_a_fixed_latency_and_a_range(srv):
    add(srv, vendor="merge", latency=400, times=1)
    started = time.monotonic()
    r = call(srv, "merge")
    assert r.status_code == 200 and time.monotonic() - started >= 0.4
    assert r.headers["X-Sandbox-Fault"] == "latency=400"
    add(srv, vendor="kombo", latency=[200, 300], status=503, times=1)
    started = time.monotonic()
    r = call(srv, "kombo")
    assert r.status_code == 503 and time.monotonic() - started >= 0.2
    assert r.headers["X-Sandbox-Fault"] == "503;latency=200-300"


def raw_get(srv, vendor: str, headers: dict | None = None) -> http.client.HTTPResponse:
    c = credential(vendor)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=PATIENCE)
    query = "&".join(f"{k}={v}" for k, v in c["query"].items())
    conn.request("GET", f"{PATHS[vendor]}?{query}", headers={**c["headers"], **(headers or {})})
    return conn.getresponse()


def test_a_reset_drops_the_connection_before_any_answer(srv):
    add(srv, vendor="truto", action="reset", times=1)
    with pytest.raises(ConnectionResetError):
        raw_get(srv, "truto")
    assert call(srv, "truto").status_code == 200
    assert rules(srv)[0]["hits"] == 1


def test_an_empty_reply_closes_the_connection_without_a_byte(srv):
    add(srv, vendor="bindbee", action="empty", times=1)
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(srv, "bindbee")
    assert call(srv, "bindbee").status_code == 200


def test_a_truncated_body_stops_halfway_and_closes(srv):
    add(srv, vendor="merge", action="truncate", times=1)
    response = raw_get(srv, "merge")
    assert response.status == 200 and response.getheader("X-Sandbox-Fault") == "truncate"
    length = int(response.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as err:
        response.read()
    assert len(err.value.partial) == length // 2


DRIFTED = {  # per vendor: (the records in the answer, whether they have an enum, the missing field, the field made null)
    "merge": (lambda body: body["results"], True, "location", "created_at"),
    "kombo": (lambda body: body["data"]["results"], False, "video_conferencing_url", "canceled"),
    "truto": (lambda body: body["result"], True, "location", "start_at"),
    "bindbee": (lambda body: body["items"], True, "custom_fields", "start_at"),
}


@pytest.mark.parametrize("vendor", list(PATHS))
def test_a_drifted_answer_is_valid_json_with_an_unknown_enum_a_new_field_a_missing_one_and_a_null(srv, vendor):
    add(srv, vendor=vendor, action="drift", times=1)
    drifted = call(srv, vendor)
    plain = call(srv, vendor)
    records, enum, missing, null = DRIFTED[vendor]
    assert drifted.status_code == 200 and drifted.headers["X-Sandbox-Fault"] == "drift"
    assert len(records(drifted.json())) == 2
    for before, after in zip(records(plain.json()), records(drifted.json())):
        assert after["sandbox_drift"] == {"added": "a field this client has not seen"}
        assert missing in before and missing not in after
        assert before[null] is not None and after[null] is None
        if enum:  # in the case the vendor writes it (Merge passes a platform's own lowercase values through)
            assert after["status"] == ("SANDBOX_UNKNOWN_VALUE" if before["status"].isupper() else "sandbox_unknown_value")
        untouched = set(before) - {missing, null, "status"}
        assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}


def test_one_way_of_drift_can_be_asked_for(srv):
    add(srv, vendor="merge", action="drift", drift=["field"], times=1)
    drifted, plain = call(srv, "merge"), call(srv, "merge")
    assert drifted.headers["X-Sandbox-Fault"] == "drift=field"
    assert [{**r, "sandbox_drift": None} for r in drifted.json()["results"]] == \
        [{**r, "sandbox_drift": None} for r in plain.json()["results"]]


def faulted(srv, n: int, vendor: str = "merge") -> list[int]:
    """Which of the next `n` requests (1-based), on fresh connections spread over both workers, faulted."""
    return [i for i in range(1, n + 1) if call(srv, vendor).status_code == 503]


def test_every_nth_match_and_times(srv):
    add(srv, vendor="merge", status=503, every=3)
    assert faulted(srv, 9) == [3, 6, 9]
    requests.delete(f"{srv.url}/_sandbox/faults", timeout=PATIENCE)
    add(srv, vendor="merge", status=503, every=2, times=2)
    assert faulted(srv, 8) == [2, 4]
    assert [(r["matched"], r["hits"]) for r in rules(srv)] == [(4, 2)]  # spent after its second hit


def test_a_seeded_probability_gives_the_same_sequence_every_time(srv):
    add(srv, vendor="merge", status=503, probability=0.5, seed="a-seed")
    first = faulted(srv, 20)
    requests.delete(f"{srv.url}/_sandbox/faults", timeout=PATIENCE)
    add(srv, vendor="merge", status=503, probability=0.5, seed="a-seed")
    assert faulted(srv, 20) == first and 3 <= len(first) <= 17
    requests.delete(f"{srv.url}/_sandbox/faults", timeout=PATIENCE)
    add(srv, vendor="merge", status=503, probability=0.5, seed="another")
    assert faulted(srv, 20) != first


def test_the_rules_are_shared_by_both_workers(srv):
    add(srv, vendor="merge", status=503, times=1000)
    answers: list[requests.Response] = []
    while len(answers) < 10 or len({a.headers["X-Sandbox-Worker"] for a in answers}) < 2:  # until both answered
        answers.append(call(srv, "merge"))
        assert len(answers) < 200, "one worker took every connection"
    assert {a.status_code for a in answers} == {503} and rules(srv)[0]["hits"] == len(answers)


@pytest.mark.parametrize("value, status, label", [
    ("503", 503, "503"), ("latency=50", 200, "latency=50"), ("drift", 200, "drift"),
    ("drift=null,enum", 200, "drift=enum,null"), ("latency=10;429", 429, "429;latency=10"),
])
def test_a_request_asks_for_its_own_fault_with_a_header(srv, value, status, label):
    r = call(srv, "merge", {"X-Sandbox-Fault": value})
    assert r.status_code == status and r.headers["X-Sandbox-Fault"] == label
    assert call(srv, "merge").status_code == 200 and rules(srv) == []


def test_a_header_asks_for_a_reset(srv):
    with pytest.raises(ConnectionResetError):
        raw_get(srv, "kombo", {"X-Sandbox-Fault": "reset"})


@pytest.mark.parametrize("value", ["nonsense", "700", "latency=slow", "503;drift", "drift=sideways", ""])
def test_a_bad_fault_header_is_refused_in_the_vendors_shape(srv, value):
    r = call(srv, "bindbee", {"X-Sandbox-Fault": value})
    if value == "":
        assert r.status_code == 200  # an empty header asks for nothing
        return
    assert r.status_code == 400 and r.json()["detail"].startswith("X-Sandbox-Fault: ")


@pytest.mark.parametrize("rule, error", [
    ({}, "a fault needs a status, a latency or an action"),
    ({"status": 302}, "status is a 4xx, 500, 502, 503 or 504"),
    ({"status": 503, "action": "reset"}, "a fault has a status or an action, not both (a latency goes with either)"),
    ({"latency": [300, 100]}, "latency is milliseconds (0 to 60000) or a [low, high] range of them"),
    ({"action": "explode"}, "action is one of reset, empty, truncate, drift"),
    ({"status": 503, "vendor": "nobody"}, "vendor is one of bindbee, kombo, merge, truto"),
    ({"status": 503, "credential": "merge:nobody"}, "no credential 'merge:nobody'; GET /_sandbox/accounts lists their ids"),
    ({"status": 503, "times": 0}, "times is a positive whole number"),
    ({"status": 503, "probability": 2}, "probability is a number from 0 to 1"),
    ({"status": 503, "count": 1}, "unknown field(s) count"),
    ({"status": 503, "vendor": ["merge"]}, "vendor is a string"),
    ({"action": "drift", "drift": [["enum"]]}, "drift (with action drift) is a list of enum, field, missing, null"),
])
def test_a_bad_rule_is_refused_with_what_is_wrong(srv, rule, error):
    r = requests.post(f"{srv.url}/_sandbox/faults", json=rule, timeout=PATIENCE)
    assert (r.status_code, r.json()) == (400, {"error": error})


def test_clearing_faults_leaves_the_rate_counters_and_reset_clears_them(tmp_path):
    server = Server(tmp_path / "data", workers=2)  # Bindbee's documented 200 a minute
    try:
        def remaining() -> int:
            return int(call(server, "bindbee").headers["X-RateLimit-Remaining"])

        assert [remaining() for _ in range(3)] == [199, 198, 197]
        assert requests.delete(f"{server.url}/_sandbox/faults", timeout=PATIENCE).status_code == 200
        assert remaining() == 196
        assert requests.post(f"{server.url}/_sandbox/reset", json={}, timeout=PATIENCE).status_code == 200
        assert remaining() == 199
    finally:
        server.stop()


def test_in_process_a_dropped_connection_reaches_the_caller_and_a_write_leaves_the_count_in_flight(client):
    from sandbox.vendors.kombo.render import kid
    from tests.helpers import world
    from tests.test_kombo_api import write_body

    kombo = credential("kombo")
    application = next(a for a in world("acme").applications.values() if a.rejected_at is None)
    path = f"/kombo/v1/ats/applications/{kid(application.id)}/interviews"
    for how, error in (("reset", ConnectionResetError), ("empty", ConnectionAbortedError)):
        with pytest.raises(error):
            client.post(path, headers={**kombo["headers"], "X-Sandbox-Fault": how}, json=write_body())
    store = client.application.extensions["sandbox"].store
    assert store.tally(f"in-flight:{kombo['id']}", 0) == 0
    answered = client.post(path, headers=kombo["headers"], json=write_body())
    assert answered.status_code == 200 and answered.headers["Concurrency-Remaining"] == "29"
    sent = client.get("/_sandbox/requests").json
    assert [(e["status"], e["fault"]) for e in sent] == [(200, None), (None, "empty"), (None, "reset")]
