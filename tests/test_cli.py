"""`ats-sandbox` as a terminal and a CI script meet it: each command's output, exit status and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sandbox import __version__
from tests.helpers import PATIENCE, ROOT, Server, accounts, visible, world

CLI = str(Path(sys.executable).parent / "ats-sandbox")
TOKEN = "cli-admin-token"


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, **kwargs)


def test_version_prints_the_package_version():
    out = run("--version")
    assert (out.returncode, out.stdout, out.stderr) == (0, f"ats-sandbox {__version__}\n", "")


def test_help_names_every_command_with_an_example():
    out = run("--help")
    assert out.returncode == 0
    for command in ("serve", "accounts", "dump", "openapi", "reset", "clock", "simulate", "fault"):
        assert f"  ats-sandbox {command}" in out.stdout and f"    {command} " in out.stdout


def test_no_command_is_a_usage_error():
    out = run()
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines()[-1] == "ats-sandbox: error: the following arguments are required: COMMAND"


def test_accounts_prints_one_aligned_block_per_vendor_saying_what_it_serves_of_each_platform():
    lines = run("accounts").stdout.splitlines()
    assert lines[0].split() == ["WORLD", "PLATFORM", "INTERVIEWS", "STATE", "SEND"]
    assert [line for line in lines if line.isupper() and " " not in line] == ["MERGE", "KOMBO", "TRUTO", "BINDBEE"]
    assert lines[1:4] == ["", "MERGE", "acme       greenhouse       list, get   healthy        /merge/api -H "
                          "'Authorization: Bearer merge-sandbox-key' -H 'X-Account-Token: acme-greenhouse-account-token'"]
    rows = [line for line in lines[1:] if " /" in line]
    assert len(rows) == len(accounts())
    truto = [line for line in rows if "/truto?" in line]
    assert "/truto?integrated_account_id=62f44730-dd91-461e-bd6a-aedd9e0ad79d -H 'Authorization: Bearer " in truto[0]
    assert [line.split()[2] for line in truto if line.split()[3] == "healthy"][:3] == ["list", "refused", "list"]
    assert next(line for line in rows if line.startswith("vandelay   pinpoint") and "/truto?" in line).split()[2:4] == \
        ["list,", "get"]
    assert {line.index(" /") + 1 for line in rows} == {lines[0].index("SEND")}


def test_accounts_json_is_the_listing_the_control_plane_serves():
    listed = json.loads(run("accounts", "--json").stdout)
    assert [(a["id"], a["headers"], a["query"], a["state"]) for a in listed] == \
        [(a["id"], a["headers"], a["query"], a["state"]) for a in accounts()]


def closed_reader(*args: str) -> subprocess.CompletedProcess:
    """The command with its stdout a pipe nobody reads any more: every write meets a broken pipe."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([CLI, *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(write)


PRINTING = [["accounts"], ["accounts", "--json"], ["dump", "acme", "--vendor", "merge"], ["--version"], ["--help"],
            ["serve", "--help"], *(["openapi", v] for v in ("merge", "kombo", "truto", "bindbee"))]


@pytest.mark.parametrize("args", PRINTING)
def test_a_command_whose_reader_has_gone_exits_quietly(args):
    out = closed_reader(*args)
    assert (out.returncode, out.stderr) == (0, "")


@pytest.mark.parametrize("vendor", ["merge", "kombo", "truto", "bindbee"])
def test_openapi_into_head_or_a_file_writes_nothing_on_stderr(vendor, tmp_path):
    for _ in range(2):  # (its scratch sandbox's journal once flushed after its directory had gone, most times)
        piped = subprocess.run(f"{CLI} openapi {vendor} | head -3; exit ${{PIPESTATUS[0]}}", shell=True,
                               executable="/bin/bash", capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert (piped.returncode, len(piped.stdout.splitlines()), piped.stderr) == (0, 3, "")
        with open(tmp_path / "doc.json", "w") as file:
            written = subprocess.run([CLI, "openapi", vendor], stdout=file, stderr=subprocess.PIPE, text=True,
                                     timeout=120, cwd=ROOT)
        assert (written.returncode, written.stderr) == (0, "")
        assert json.loads((tmp_path / "doc.json").read_text())["openapi"] == "3.0.3"


@pytest.mark.parametrize("args, error", [
    (["serve", "--port", "99999"],
     "ats-sandbox serve: error: --port (SANDBOX_PORT) takes a port number from 0 to 65535 (0: any free port), not 99999"),
    (["serve", "--port", "-1"],
     "ats-sandbox serve: error: --port (SANDBOX_PORT) takes a port number from 0 to 65535 (0: any free port), not -1"),
    (["serve", "--port", "http"], "ats-sandbox serve: error: argument --port: invalid int value: 'http'"),
    (["serve", "--workers", "0"],
     "ats-sandbox serve: error: --workers (SANDBOX_WORKERS) takes a number of workers from 1 up, not 0"),
    (["fault", "--latency", "abc"],
     "ats-sandbox fault: error: argument --latency: takes milliseconds, N or LOW-HIGH (50, 100-250), not 'abc'"),
    (["fault", "--latency", "300-100"],
     "ats-sandbox fault: error: argument --latency: takes milliseconds, N or LOW-HIGH (50, 100-250), not '300-100'"),
    (["fault", "--times", "x"], "ats-sandbox fault: error: argument --times: invalid int value: 'x'"),
    (["serve", "--vendors", "workable"],
     "ats-sandbox serve: error: unknown vendor(s): workable; known: merge, kombo, truto, bindbee"),
    (["dump"], "ats-sandbox dump: error: the following arguments are required: world, --vendor"),
])
def test_a_wrong_flag_is_one_line_naming_it_and_status_2(args, error):
    out = run(*args)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", error + "\n")


def test_a_wrong_port_in_the_environment_is_refused_the_same_way():
    out = run("serve", env={**os.environ, "SANDBOX_PORT": "70000"})
    assert (out.returncode, out.stderr) == (2, "ats-sandbox serve: error: --port (SANDBOX_PORT) takes a port number "
                                               "from 0 to 65535 (0: any free port), not 70000\n")


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_serve_binds_ipv6_loopback_as_loopback(host, tmp_path):
    srv = Server(tmp_path / "data", command=[CLI, "serve", "--host", host], wait=False, workers=1)
    srv.url = f"http://[::1]:{srv.port}"
    try:
        srv._wait()
        assert requests.get(f"{srv.url}/_sandbox/health", timeout=PATIENCE).json()["status"] == "ok"
    finally:
        srv.stop()


@pytest.mark.parametrize("args", [["accounts"], ["accounts", "--json"], ["dump", "acme", "--vendor", "merge"]])
def test_output_piped_into_head_ends_cleanly(args):
    pipeline = subprocess.run(f"{CLI} {' '.join(args)} | head -1; exit ${{PIPESTATUS[0]}}", shell=True,
                              executable="/bin/bash", capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert pipeline.returncode == 0
    assert len(pipeline.stdout.splitlines()) == 1
    assert "Traceback" not in pipeline.stderr and "BrokenPipe" not in pipeline.stderr


def test_dump_prints_the_world_as_the_vendor_renders_it_one_object_a_line():
    out = run("dump", "acme", "--vendor", "kombo")
    assert out.returncode == 0
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == len(visible(world("acme")))
    assert records[0]["title"] and records[0]["id"] and set(records[0]) >= {"starting_at", "ending_at", "users"}
    # the same as a page of the vendor's own listing
    jobs = [json.loads(line) for line in run("dump", "globex", "--vendor", "merge", "--resource", "jobs").stdout.splitlines()]
    assert [j["name"] for j in jobs] == [j.title for j in sorted(world("globex").jobs.values(), key=lambda j: j.created_at)]


@pytest.mark.parametrize("args, error", [
    (["dump", "nowhere", "--vendor", "merge"], "ats-sandbox: no world 'nowhere'; the worlds are acme, globex, initech, umbrella, hooli, soylent, "
     "cyberdyne, wonka, bluth, vandelay, massive, dunder, piedpiper, tyrell, stark"),
    (["dump", "acme", "--vendor", "merge", "--resource", "offers"],
     "ats-sandbox: merge lists no offers; it lists applications, candidates, interviews, jobs, scorecards, stages, users"),
    (["openapi", "workable"], "ats-sandbox: unknown vendor 'workable'; known: merge, kombo, truto, bindbee"),
])
def test_a_bad_name_is_one_line_on_stderr_and_status_2(args, error):
    out = run(*args)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", error + "\n")


def test_openapi_prints_the_vendors_document():
    doc = json.loads(run("openapi", "truto").stdout)
    assert doc["openapi"] == "3.0.3" and doc["servers"] == [{"url": "/truto"}]
    assert "/unified/ats/interviews" in doc["paths"]


# ---- the control plane of a running server ----

@pytest.fixture(scope="module")
def running(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("cli") / "data", workers=1, admin_token=TOKEN)
    yield srv
    srv.stop()


def remote(running, *args: str) -> subprocess.CompletedProcess:
    return run(*args, "--url", running.url, "--admin-token", TOKEN)


def test_clock_shows_sets_and_advances_the_servers_clock(running):
    assert json.loads(remote(running, "clock", "--set", "2026-12-01T09:00:00Z", "--freeze").stdout) == \
        {"now": "2026-12-01T09:00:00Z", "frozen": True}
    assert json.loads(remote(running, "clock").stdout)["now"] == "2026-12-01T09:00:00Z"
    moved = json.loads(remote(running, "clock", "--advance", "PT2H", "--simulate").stdout)
    assert moved["now"] == "2026-12-01T11:00:00Z" and isinstance(moved["changes"], list)


def test_simulate_makes_changes_and_reset_undoes_them(running):
    out = remote(running, "simulate", "globex", "created=2", "cancelled=1")
    changes = json.loads(out.stdout)["changes"]
    assert out.returncode == 0 and sorted(c["change"] for c in changes) == ["cancelled", "created", "created"]
    assert json.loads(remote(running, "reset").stdout) == {"status": "reset"}
    assert requests.get(f"{running.url}/_sandbox/clock", headers=running.admin, timeout=PATIENCE).json()["frozen"] is False


def test_fault_adds_lists_and_clears_rules(running):
    added = json.loads(remote(running, "fault", "--vendor", "kombo", "--status", "503", "--times", "1").stdout)
    assert added["vendor"] == "kombo" and added["status"] == 503 and added["times"] == 1
    kombo = next(a for a in accounts() if a["vendor"] == "kombo")
    assert requests.get(f"{running.url}/kombo/v1/ats/jobs", headers=kombo["headers"], timeout=PATIENCE).status_code == 503
    assert [r["id"] for r in json.loads(remote(running, "fault", "--list").stdout)] == [added["id"]]
    assert json.loads(remote(running, "fault", "--clear").stdout) == {"status": "ok"}
    assert json.loads(remote(running, "fault", "--list").stdout) == []


@pytest.mark.parametrize("args, error", [
    (["fault", "--status", "999"], "ats-sandbox: the server answered 400: "),
    (["simulate", "nowhere", "created=1"], "ats-sandbox: the server answered 404: no world 'nowhere'"),
    (["simulate", "acme", "created"], "ats-sandbox: expected CHANGE=COUNT (created=2), not 'created'"),
    (["simulate", "acme", "world=1"], "ats-sandbox: the server answered 400: "),
])
def test_a_refused_control_call_is_one_line_on_stderr(running, args, error):
    out = remote(running, *args)
    assert out.returncode in (1, 2) and out.stdout == "" and out.stderr.startswith(error)
    assert len(out.stderr.splitlines()) == 1


def test_a_locked_server_refuses_the_cli_without_its_token(running):
    out = run("reset", "--url", running.url, env={"PATH": "/usr/bin:/bin"})
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr.startswith("ats-sandbox: the server answered 401: the control plane needs Authorization")


@pytest.mark.parametrize("args", [["clock"], ["fault", "--list"]])
def test_a_control_call_whose_reader_has_gone_exits_quietly(running, args):
    out = closed_reader(*args, "--url", running.url, "--admin-token", TOKEN)
    assert (out.returncode, out.stderr) == (0, "")


def test_a_server_that_is_not_there_is_one_line_on_stderr():
    out = run("reset", "--url", "http://127.0.0.1:9")
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr.startswith("ats-sandbox: ") and len(out.stderr.splitlines()) == 1
