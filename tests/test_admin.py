"""The control plane is locked: with an admin token every route but health needs it; the server
will not serve it beyond loopback without one; a write takes only a JSON body."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox.admin.routes import DASHBOARD_COOKIE, SESSION_SECONDS, dashboard_session
from sandbox.app import create_app
from sandbox.settings import Settings
from tests.helpers import PATIENCE, ROOT, Server, credential, free_port, merge_headers

TOKEN = "an-admin-token-for-tests"
MERGE_ID = credential("merge")["id"]
ROUTES = [  # every control-plane route but health, with a body that would be accepted
    ("GET", "/_sandbox/accounts", None), ("GET", "/_sandbox/clock", None),
    ("POST", "/_sandbox/clock", {"advance": "PT1M"}), ("POST", "/_sandbox/reset", {}),
    ("PUT", f"/_sandbox/credentials/{MERGE_ID}/state", {"state": "healthy"}),
    ("POST", f"/_sandbox/credentials/{MERGE_ID}/sync", {}),
    ("POST", f"/_sandbox/credentials/{MERGE_ID}/next-sync", {"outcome": "failed"}),
    ("POST", "/_sandbox/worlds/acme/simulate", {"created": 1}),
    ("GET", "/_sandbox/faults", None), ("POST", "/_sandbox/faults", {"vendor": "merge", "status": 503, "times": 1}),
    ("DELETE", "/_sandbox/faults/1", None), ("DELETE", "/_sandbox/faults", None),
    ("GET", "/_sandbox/requests", None), ("DELETE", "/_sandbox/requests", None), ("GET", "/_sandbox/coverage", None),
]


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("locked") / "data", workers=2, admin_token=TOKEN)
    yield server
    server.stop()


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_every_admin_route_but_health_needs_the_token(locked, method, path, body):
    for auth in (None, "Bearer wrong", f"Basic {TOKEN}"):
        r = requests.request(method, locked.url + path, json=body, headers={"Authorization": auth} if auth else {},
                             timeout=PATIENCE)
        assert (r.status_code, r.json()) == (401, {"error": "the control plane needs Authorization: Bearer "
                                                            "<SANDBOX_ADMIN_TOKEN>"})
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="ats-sandbox"'
    r = requests.request(method, locked.url + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=PATIENCE)
    assert r.status_code in (200, 201), r.text


def test_health_answers_without_the_token_and_vendors_without_it_too(locked):
    assert requests.get(f"{locked.url}/_sandbox/health", timeout=PATIENCE).status_code == 200
    merge = credential("merge")
    assert requests.get(f"{locked.url}/merge/api/ats/v1/users", headers=merge["headers"], timeout=PATIENCE).status_code == 200


def test_beyond_loopback_without_a_token_the_server_refuses_to_start_and_says_why(tmp_path):
    command = [str(Path(sys.executable).parent / "ats-sandbox"), "serve", "--host", "0.0.0.0", "--port", str(free_port())]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    refused = subprocess.run(command, env={**environ, "SANDBOX_DATA_DIR": str(tmp_path / "data")}, cwd=ROOT,
                             capture_output=True, text=True, timeout=PATIENCE)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == ("ats-sandbox: refusing to serve /_sandbox on 0.0.0.0 without an admin token: set "
                              "SANDBOX_ADMIN_TOKEN, or pass --insecure-admin to let anyone who reaches it read every "
                              "credential and reset the data\n")


@pytest.mark.parametrize("args, env", [(("--insecure-admin",), {}), ((), {"SANDBOX_ADMIN_TOKEN": TOKEN}),
                                       ((), {"SANDBOX_INSECURE_ADMIN": "1"})])
def test_beyond_loopback_it_serves_with_a_token_or_when_told_it_may_be_insecure(tmp_path, monkeypatch, args, env):
    """Up to the point of listening (a test binds only to loopback): gunicorn is asked to run."""
    from gunicorn.app.base import BaseApplication

    from sandbox import cli

    binds = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: binds.append(self.cfg.bind))
    for name in [k for k in os.environ if k.startswith("SANDBOX_")]:
        monkeypatch.delenv(name)
    for name, value in {"SANDBOX_DATA_DIR": str(tmp_path / "data"), **env}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8089", *args]) == 0
    assert binds == [["0.0.0.0:8089"]]


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", "{}"), ("application/x-www-form-urlencoded", "a=1"), ("multipart/form-data; boundary=x", "--x--"),
    (None, ""),
])
def test_an_admin_write_without_a_json_body_is_refused_and_changes_nothing(locked, content_type, body):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    requests.put(f"{locked.url}/_sandbox/credentials/{MERGE_ID}/state", json={"state": "paused"}, headers=auth,
                 timeout=PATIENCE)
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    r = requests.post(f"{locked.url}/_sandbox/reset", data=body, headers=headers, timeout=PATIENCE)
    assert (r.status_code, r.json()) == (415, {"error": "a control-plane write takes a JSON body (Content-Type: "
                                                        "application/json; an empty object will do)"})
    states = {a["id"]: a["state"] for a in requests.get(f"{locked.url}/_sandbox/accounts", headers=auth, timeout=PATIENCE).json()}
    assert states[MERGE_ID] == "paused"  # the reset did not happen
    assert requests.post(f"{locked.url}/_sandbox/reset", json={}, headers=auth, timeout=PATIENCE).status_code == 200


def test_with_an_admin_token_a_request_asks_for_a_fault_only_with_the_token(locked):
    merge = credential("merge")
    url = f"{locked.url}/merge/api/ats/v1/users"
    refused = requests.get(url, headers={**merge["headers"], "X-Sandbox-Fault": "503"}, timeout=PATIENCE)
    assert (refused.status_code, refused.json()) == (
        403, {"detail": "X-Sandbox-Fault: with an admin token set, send it too, as X-Sandbox-Token."})
    faulted = requests.get(url, headers={**merge["headers"], "X-Sandbox-Fault": "503", "X-Sandbox-Token": TOKEN},
                           timeout=PATIENCE)
    assert faulted.status_code == 503


def test_worlds_summarise_each_companys_records_and_credentials(client):
    from tests.helpers import visible, world

    worlds = client.get("/_sandbox/worlds").json
    assert [(w["key"], w["platform"]) for w in worlds] == [
        ("acme", "greenhouse"), ("globex", "lever"), ("initech", "ashby"), ("umbrella", "workday"),
        ("hooli", "smartrecruiters"), ("soylent", "successfactors"), ("cyberdyne", "taleo"), ("wonka", "recruitee"),
        ("bluth", "fountain"), ("vandelay", "pinpoint"), ("massive", "ceipal"), ("dunder", "zoho_recruit"),
        ("piedpiper", "gem"), ("tyrell", "breezy_hr"), ("stark", "kombo_sandbox")]
    assert worlds[1]["counts"]["interviews"] == len(visible(world("globex")))
    assert worlds[1]["counts"]["jobs"] == len(world("globex").jobs)
    assert [(c["vendor"], c["state"], c["sync_every"]) for c in worlds[1]["credentials"]] == [
        ("merge", "healthy", None), ("kombo", "healthy", None), ("truto", "healthy", None), ("bindbee", "healthy", None)]


def test_one_record_is_shown_as_each_vendor_renders_it(client):
    merge = client.get("/merge/api/ats/v1/interviews?page_size=1", headers=credential("merge")["headers"]).json
    remote_id = merge["results"][0]["remote_id"]
    shown = client.get(f"/_sandbox/worlds/acme/interviews?remote_id={remote_id}").json
    assert list(shown) == ["merge", "kombo", "truto", "bindbee"]
    assert shown["merge"] == merge["results"][0]
    assert shown["kombo"]["remote_id"] == shown["bindbee"]["remote_id"] == remote_id


@pytest.mark.parametrize("path", [
    "/_sandbox/worlds/nowhere/interviews?remote_id=1", "/_sandbox/worlds/acme/offers?remote_id=1",
    "/_sandbox/worlds/acme/interviews?remote_id=no-such", "/_sandbox/worlds/acme/interviews",
])
def test_a_record_that_is_not_there_is_a_404_with_its_reason(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json["error"].startswith("no ")


# ---- the dashboard's session --------------------------------------------------------------------

@pytest.fixture
def locked_client(tmp_path, default_store):
    (tmp_path / "data").mkdir()
    shutil.copy(default_store, tmp_path / "data" / default_store.name)
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=TOKEN))
    app.extensions["sandbox"].install(reset=True)
    return app.test_client()


def _session_cookie(response) -> tuple[str, str]:
    (header,) = response.headers.getlist("Set-Cookie")
    value, *attributes = header.split("; ")
    return value.partition("=")[2], "; ".join(attributes)


def test_signing_in_to_the_dashboard_opens_a_session_that_ends_hours_after_its_last_use(locked_client, monkeypatch):
    signed = locked_client.post("/_sandbox/ui/login", data={"token": TOKEN})
    cookie, attributes = _session_cookie(signed)
    assert signed.status_code == 303 and TOKEN not in cookie
    assert attributes == f"Expires={attributes.split('; ')[0][8:]}; Max-Age={SESSION_SECONDS}; HttpOnly; Path=/; " \
                         "SameSite=Strict"
    assert 3 * 3600 <= SESSION_SECONDS <= 12 * 3600
    used = locked_client.get("/_sandbox/accounts")  # the test client sends the cookie back
    assert used.status_code == 200
    renewed, _ = _session_cookie(used)
    assert int(renewed.split(".")[0]) >= int(cookie.split(".")[0])
    # a session past its end is refused, and so is one whose end was moved
    later = time.time() + SESSION_SECONDS + 1
    monkeypatch.setattr("sandbox.admin.routes.time.time", lambda: later)
    refused = locked_client.get("/_sandbox/accounts")
    assert (refused.status_code, refused.headers.getlist("Set-Cookie")) == (401, [])
    monkeypatch.undo()
    ends, _, mac = renewed.partition(".")
    locked_client.set_cookie(DASHBOARD_COOKIE, f"{int(ends) + 3600}.{mac}")
    assert locked_client.get("/_sandbox/accounts").status_code == 401


def test_a_session_that_ended_stays_ended_after_a_reset_and_the_old_permanent_proof_opens_nothing(locked_client):
    for cookie in (dashboard_session(TOKEN, now=time.time() - SESSION_SECONDS - 1),
                   hmac.new(TOKEN.encode(), b"ats-sandbox dashboard", hashlib.sha256).hexdigest(),  # before sessions
                   dashboard_session("another-token")):
        locked_client.set_cookie(DASHBOARD_COOKIE, cookie)
        assert locked_client.get("/_sandbox/accounts").status_code == 401
        assert locked_client.post("/_sandbox/reset", json={}).status_code == 401
        assert locked_client.post("/_sandbox/reset", json={}, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert locked_client.get("/_sandbox/accounts").status_code == 401


def test_the_dashboards_cookie_sent_with_a_vendor_request_is_never_journaled(locked_client, tmp_path):
    locked_client.post("/_sandbox/ui/login", data={"token": TOKEN})
    cookie = locked_client.get_cookie(DASHBOARD_COOKIE).value
    assert locked_client.get("/merge/api/ats/v1/users", headers=merge_headers()).status_code == 200
    entries = locked_client.get("/_sandbox/requests", headers={"Authorization": f"Bearer {TOKEN}"})
    assert entries.json[0]["headers"]["Cookie"] == "****"
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.requests.sqlite3*"))
    assert stored and cookie.encode() not in stored and cookie[-12:].encode() not in stored
    assert cookie not in entries.text and cookie.split(".")[1][-8:] not in entries.text
