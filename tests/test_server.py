"""The server as users run it: gunicorn workers sharing one store, restarts and crashes, the
commands in the Makefile and the Dockerfile, the README's examples."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from sandbox.vendors import load_fixtures
from tests.helpers import (
    DEFAULT_FIXTURES,
    INTEGRATIONS,
    KOMBO_KEY,
    PATIENCE,
    ROOT,
    TOKENS,
    Server,
    merge_headers,
    wait_for,
    world,
)

BASE = "/merge/api/ats/v1/interviews"


def new_body(nth: int = 0) -> dict:
    w = world("acme")
    app = sorted(w.applications.values(), key=lambda a: a.id)[nth % len(w.applications)]
    stage = next(s for s in w.stages.values() if s.job_id == app.job_id and s.order == 1)
    user = sorted((u for u in w.users.values() if not u.disabled), key=lambda u: u.id)[0]
    return {"model": {"application": str(app.id), "job_interview_stage": stage.id, "interviewers": [user.id],
                      "start_at": "2026-12-02T17:00:00Z", "end_at": "2026-12-02T18:00:00Z"},
            "remote_user_id": user.remote_id}


def all_pages(url: str, world_key: str, **params) -> list[bytes]:
    pages, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = requests.get(url + BASE, headers=merge_headers(world_key), params=query, timeout=10)
        assert r.status_code == 200
        pages.append(r.content)
        cursor = r.json()["next"]
        if cursor is None:
            return pages


def test_a_write_through_one_worker_is_read_at_once_through_the_other(server):
    crossed = 0
    for n in range(200):
        post = requests.post(server.url + BASE, headers=merge_headers(), json=new_body(n), timeout=10,
                             stream=False)  # a new connection per request: the workers take turns
        assert post.status_code == 201, post.text
        created = post.json()["model"]
        got = requests.get(f"{server.url}{BASE}/{created['id']}", headers=merge_headers(), timeout=10)
        assert got.status_code == 200 and got.json() == created
        listed = requests.get(server.url + BASE, headers=merge_headers(), params={"remote_id": created["remote_id"]},
                              timeout=10)
        assert listed.json()["results"] == [created]
        crossed += post.headers["X-Sandbox-Worker"] != got.headers["X-Sandbox-Worker"]
        if crossed >= 5 and n >= 20:
            break
    assert crossed >= 5, "both workers never served"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = Server(tmp_path / "a", workers=1)
    b = Server(tmp_path / "b", workers=1)
    c = Server(tmp_path / "c", workers=1, seed="another-seed")
    try:
        for key in TOKENS:
            for params in ({"page_size": 100}, {"page_size": 7, "expand": "application,interviewers,organizer",
                                                "include_remote_data": "true", "include_deleted_data": "true"}):
                pages_a = all_pages(a.url, key, **params)
                assert pages_a == all_pages(b.url, key, **params)
                assert pages_a != all_pages(c.url, key, **params)
    finally:
        for s in (a, b, c):
            s.stop()


def test_acknowledged_writes_survive_a_crash_and_restarts_keep_the_bytes(tmp_path):
    data = tmp_path / "data"
    first = Server(data, workers=2)
    before = all_pages(first.url, "acme", page_size=100)
    post = requests.post(first.url + BASE, headers=merge_headers(), json=new_body(), timeout=10)
    assert post.status_code == 201
    os.killpg(first.proc.pid, signal.SIGKILL)  # a crash: no clean shutdown
    first.proc.wait()
    second = Server(data, workers=2)
    try:
        created = post.json()["model"]
        got = requests.get(f"{second.url}{BASE}/{created['id']}", headers=merge_headers(), timeout=10)
        assert got.status_code == 200 and got.json() == created
        after = all_pages(second.url, "acme", page_size=100)
        assert after[:-1] == before[:-1]  # the restart changed no byte; the write sits at the end
        assert json.loads(after[-1])["results"] == json.loads(before[-1])["results"] + [created]
        reset = requests.post(second.url + "/_sandbox/reset", json={}, timeout=30)
        assert reset.status_code == 200
        assert all_pages(second.url, "acme", page_size=100) == before
    finally:
        second.stop()


def test_make_run_serves_the_default_fixtures(tmp_path):
    assert re.search(r"^run:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M).group(1) == "$(BIN)/ats-sandbox serve"
    server = Server(tmp_path / "data", command=["make", "--no-print-directory", "-s", "run"])
    try:
        health = requests.get(server.url + "/_sandbox/health", timeout=5)
        assert health.status_code == 200 and health.json()["worlds"] == len(load_fixtures(DEFAULT_FIXTURES).worlds)
        workers = {requests.get(server.url + "/_sandbox/health", timeout=5).headers["X-Sandbox-Worker"]
                   for _ in range(60)}
        assert len(workers) == 2  # two workers by default
    finally:
        server.stop()


def test_accounts_lists_every_credential_and_each_works(server):
    out = subprocess.run([str(Path(sys.executable).parent / "ats-sandbox"), "accounts", "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    accounts = json.loads(out)
    worlds = [(w.key, w.platform) for w in load_fixtures(DEFAULT_FIXTURES).worlds]
    out_of_order = [("merge", "initial_sync"), ("merge", "relink_needed"), ("kombo", "initial_sync"),
                    ("kombo", "relink_needed"), ("truto", "relink_needed"), ("bindbee", "initial_sync")]
    assert [(a["vendor"], a["world"], a["platform"], a["state"]) for a in accounts] == (
        [(v, *w, "healthy") for v in ("merge", "kombo", "truto", "bindbee") for w in worlds
         if v == "kombo" or w[1] != "kombo_sandbox"]  # Kombo's own sandbox, through Kombo alone
        + [("bindbee", "acme", "greenhouse", "healthy")] + [(v, "acme", "greenhouse", s) for v, s in out_of_order])
    # what each answers a list with: healthy 200, or the vendor's refusal of a platform whose
    # interviews it does not serve (test_platforms.py); an HRIS connector 403; out of order, as its vendor
    refused = {("kombo", "initial_sync"): 409, ("kombo", "relink_needed"): 403, ("truto", "relink_needed"): 401}
    unserved = {"merge": 404, "kombo": 403, "truto": 404}
    paths = {"merge": "/ats/v1/interviews", "kombo": "/ats/interviews", "truto": "/unified/ats/interviews",
             "bindbee": "/api/ats/v1/scheduled-interviews"}
    for a in accounts:
        assert a["base_url"] == {"merge": "/merge/api", "kombo": "/kombo/v1", "truto": "/truto",
                                 "bindbee": "/bindbee"}[a["vendor"]]
        r = requests.get(server.url + a["base_url"] + paths[a["vendor"]], headers=a["headers"], params=a["query"],
                         timeout=5)
        expected = unserved[a["vendor"]] if a["interviews"] == [] else refused.get((a["vendor"], a["state"]), 200)
        if (a["vendor"], a["platform"]) == ("truto", "fountain"):
            expected = 400  # Truto's Fountain list wants a candidate_id (test_platforms.py)
        assert r.status_code == (403 if a.get("category") == "hris" else expected), a
    kombo = next(a for a in accounts if a["vendor"] == "kombo")
    assert kombo["headers"] == {"Authorization": f"Bearer {KOMBO_KEY}", "X-Integration-Id": INTEGRATIONS["acme"]}
    assert requests.get(server.url + "/_sandbox/accounts", timeout=5).json() == accounts


def readme_examples() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ curl` line in the README's console blocks."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = [line[2:], []]
                out.append(current)
            elif current is not None:
                current[1].append(line)
    return [(cmd, "\n".join(lines)) for cmd, lines in out]


def test_every_readme_example_answers_as_the_readme_says(tmp_path):
    examples = readme_examples()
    assert len(examples) >= 6
    server = Server(tmp_path / "data", workers=1)
    try:
        for command, expected in examples:
            assert command.startswith("curl ")
            run = command.replace("http://127.0.0.1:8080", server.url)
            got = subprocess.run(["bash", "-c", run], capture_output=True, text=True, timeout=20).stdout
            assert got.rstrip("\n") == expected.rstrip("\n"), command  # a shell prompt starts on a new line
    finally:
        server.stop()


def test_rate_limits_count_across_workers(tmp_path):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "sandbox.toml").write_text(
        '[[worlds]]\nkey = "tiny"\ncompany = "Tiny Co"\nplatform = "lever"\ninterviews = 5\n'
        '[[credentials]]\nvendor = "bindbee"\nworld = "tiny"\napi_key = "k"\nconnector_token = "c"\nrate_limit = 30\n')
    server = Server(tmp_path / "data", workers=2, fixtures=fixtures, expect_429=True)

    def ask(_):
        return requests.get(server.url + "/bindbee/api/ats/v1/scheduled-interviews", timeout=10,
                            headers={"Authorization": "Bearer k", "x-connector-token": "c"})

    try:
        if time.time() % 60 > 50:  # Bindbee counts per minute: start in a window that will not end meanwhile
            time.sleep(61 - time.time() % 60)
        answers = []
        with ThreadPoolExecutor(8) as pool:  # concurrent connections, until both workers have answered
            while len(answers) < 60 or len({a.headers["X-Sandbox-Worker"] for a in answers}) < 2:
                answers += pool.map(ask, range(8))
                assert len(answers) < 800, "one worker took every connection"
        served = sum(a.status_code == 200 for a in answers)
        # One limit for the credential, not one per worker (that would serve up to 60). Two workers
        # that count at the same instant may both see the other's request, so a last one can be refused.
        assert 27 <= served <= 30 and served + sum(a.status_code == 429 for a in answers) == len(answers)
    finally:
        server.stop()


def test_the_server_is_gunicorns_own_worker_with_only_its_error_page_overridden():
    """No module subclasses a gunicorn class beyond its documented interfaces, or assigns to anything
    gunicorn owns."""
    import ast

    overridden, patched = {}, []
    for path in sorted((ROOT / "sandbox").rglob("*.py")):
        tree = ast.parse(path.read_text())
        gunicorn_names = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                          and (n.module or "").startswith("gunicorn") for a in n.names}
        gunicorn_names |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                           for a in n.names if a.name.startswith("gunicorn")}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(ast.unparse(b).split(".")[0] in gunicorn_names for b in node.bases):
                overridden[f"{path.name}:{node.name}"] = sorted(
                    f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)))
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                for target in getattr(node, "targets", [getattr(node, "target", None)]):
                    if isinstance(target, ast.Attribute) and ast.unparse(target).split(".")[0] in gunicorn_names:
                        patched.append(f"{path.name}:{node.lineno}")
    # gunicorn's documented custom application (load_config, load), and the error-page hook
    assert overridden == {"cli.py:Server": ["load", "load_config"], "server.py:Worker": ["handle_error"]}
    assert patched == []


def test_a_killed_worker_is_replaced_and_the_server_answers_on(tmp_path):
    srv = Server(tmp_path / "data", workers=2, rate_limit=1_000_000)
    try:
        first = requests.get(f"{srv.url}{BASE}?page_size=1", headers=merge_headers(), timeout=PATIENCE)
        os.kill(int(first.headers["X-Sandbox-Worker"]), signal.SIGKILL)
        wait_for(lambda: subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True, text=True).stdout.split(),
                 lambda pids: len(pids) == 2 and first.headers["X-Sandbox-Worker"] not in pids,
                 "gunicorn to start the killed worker's successor", every=0.1)
        again = [requests.get(f"{srv.url}{BASE}?page_size=1", headers=merge_headers(), timeout=PATIENCE)
                 for _ in range(4)]
        assert [a.status_code for a in again] == [200] * 4 and {a.content for a in again} == {first.content}
    finally:
        srv.stop()
