"""The CI service container, without a Docker engine: the Dockerfile says what the issue asks of it, and
its command, run from a wheel installed in a fresh virtual environment outside the source tree, serves
the default fixtures."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests
import yaml

from tests.helpers import PATIENCE, ROOT, accounts, free_port, wait_for

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()]


def last(name: str) -> str:
    return [args for instruction, args in instructions() if instruction == name][-1]


def env() -> dict[str, str]:
    out = {}
    for args in (a for i, a in instructions() if i == "ENV"):
        out.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    return out


def command() -> list[str]:
    return json.loads(last("ENTRYPOINT")) + json.loads(last("CMD"))


def healthcheck() -> list[str]:
    return json.loads(re.search(r"CMD (\[.*\])$", last("HEALTHCHECK")).group(1))


def test_the_image_is_a_slim_python_with_the_package_installed_not_editable():
    assert re.fullmatch(r"python:3\.1[1-9]-slim", last("FROM"))
    installs = [a for i, a in instructions() if i == "RUN" and "pip install" in a]
    assert len(installs) == 1 and " -e " not in installs[0] and "--editable" not in installs[0]
    # with the PostgreSQL driver: the compose recipe runs replicas on PostgreSQL
    assert re.search(r"pip install .* '\.\[postgresql\]'( |$)", installs[0])


def test_it_runs_as_a_user_that_is_not_root():
    order = [i for i, _ in instructions()]
    assert last("USER") not in ("root", "0")
    assert order.index("USER") > max(n for n, (i, a) in enumerate(instructions()) if i == "RUN")


def test_it_serves_on_every_address_at_8080_with_the_data_directory_a_volume():
    assert command() == ["ats-sandbox", "serve"]
    assert env()["SANDBOX_HOST"] == "0.0.0.0" and env()["SANDBOX_PORT"] == "8080"
    assert last("EXPOSE") == "8080"
    assert json.loads(last("VOLUME")) == [env()["SANDBOX_DATA_DIR"]] == ["/data"]
    # the control plane is locked unless the recipe says otherwise
    assert "SANDBOX_INSECURE_ADMIN" not in env() and "SANDBOX_ADMIN_TOKEN" not in env()


def test_its_healthcheck_asks_health_and_starts_checking_at_once():
    check = last("HEALTHCHECK")
    assert "--start-interval=1s" in check and "/_sandbox/health" in check
    assert re.search(r"--timeout=2s", check)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment outside the source tree, holding the wheel built from it."""
    where = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(where / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = (where / "dist").glob("ats_sandbox-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    subprocess.run([str(where / "venv" / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True)
    return where


def test_the_wheel_holds_every_package_and_the_default_fixtures(installed):
    (wheel,) = (installed / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sandbox").rglob("*.py")}
    assert source <= names
    assert {"sandbox/default_fixtures/sandbox.toml", "sandbox/world/pools.json"} <= names


def _run_image_command(installed: Path, cwd: Path, **extra) -> subprocess.Popen:
    """The image's command with the image's environment, as its user would run it: from the venv, in a
    directory that is not the source tree."""
    bin_dir = installed / "venv" / "bin"
    environ = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd), **env(), "SANDBOX_DATA_DIR": str(cwd / "data"), **extra}
    return subprocess.Popen(command(), cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_command_refuses_an_open_control_plane_beyond_loopback_without_a_token(installed, tmp_path):
    proc = _run_image_command(installed, tmp_path)
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 2 and out == ""
    assert err.startswith("ats-sandbox: refusing to serve /_sandbox on 0.0.0.0 without an admin token")


def test_the_command_from_an_installed_wheel_becomes_healthy_on_the_default_fixtures(installed, tmp_path):
    port = free_port()
    # (tests bind to loopback only; the image binds to every address)
    proc = _run_image_command(installed, tmp_path, SANDBOX_HOST="127.0.0.1", SANDBOX_PORT=str(port),
                              SANDBOX_ADMIN_TOKEN="ci-token")
    url = f"http://127.0.0.1:{port}"

    def health():
        try:
            return requests.get(f"{url}/_sandbox/health", timeout=PATIENCE)
        except requests.ConnectionError:
            assert proc.poll() is None, proc.communicate()[1]
            return None

    try:  # (how soon: `make bench`'s cold-start row, not a bound here)
        health = wait_for(health, lambda r: r is not None, "the server to answer", every=0.02)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "version": "0.1.0", "worlds": len({a["world"] for a in accounts()}),
                                 "vendors": ["bindbee", "kombo", "merge", "truto"]}
        listing = requests.get(f"{url}/_sandbox/accounts", headers={"Authorization": "Bearer ci-token"}, timeout=PATIENCE)
        assert listing.status_code == 200
        assert [(a["id"], a["headers"], a["query"]) for a in listing.json()] == \
            [(a["id"], a["headers"], a["query"]) for a in accounts()]
        assert requests.get(f"{url}/_sandbox/accounts", timeout=PATIENCE).status_code == 401
        merge = next(a for a in accounts() if a["vendor"] == "merge")
        page = requests.get(f"{url}/merge/api/ats/v1/interviews", headers=merge["headers"], timeout=PATIENCE)
        assert page.status_code == 200 and len(page.json()["results"]) == 30
        assert not (tmp_path / "fixtures").exists() and os.listdir(tmp_path / "data")
        assert _healthcheck(installed, port).returncode == 0
    finally:
        proc.terminate()
        proc.communicate(timeout=PATIENCE)
    assert _healthcheck(installed, port).returncode != 0


def _healthcheck(installed: Path, port: int) -> subprocess.CompletedProcess:
    """The image's HEALTHCHECK command, by the installed environment's python."""
    check = healthcheck()
    return subprocess.run([str(installed / "venv" / "bin" / check[0]), *check[1:]], capture_output=True, timeout=PATIENCE,
                          env={"PATH": "/usr/bin:/bin", **env(), "SANDBOX_PORT": str(port)})


def test_the_readme_runs_two_replicas_on_one_postgresql_behind_nginx():
    section = (ROOT / "README.md").read_text().split("## Replicas on PostgreSQL", 1)[1].split("\n## ", 1)[0]
    compose = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))["services"]
    nginx = re.search(r"```nginx\n(.*?)```", section, re.S).group(1)
    replicas = {name: s for name, s in compose.items() if s.get("build") == "."}
    assert set(replicas) == {"sandbox-1", "sandbox-2"}
    stores = {s["environment"]["SANDBOX_STORE"] for s in replicas.values()}
    tokens = {s["environment"]["SANDBOX_ADMIN_TOKEN"] for s in replicas.values()}
    assert len(stores) == 1 and len(tokens) == 1  # one database, and one token for the control plane and dashboard
    (store,) = stores
    pg = compose["postgres"]["environment"]
    assert store == f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_USER']}"
    assert all(s["depends_on"] == {"postgres": {"condition": "service_healthy"}} for s in replicas.values())
    assert re.findall(r"server (\S+);", nginx) == ["sandbox-1:8080", "sandbox-2:8080"]  # the image's port
    assert compose["nginx"]["ports"] == ["8080:80"] and "listen 80;" in nginx
    assert set(compose["nginx"]["depends_on"]) == set(replicas)
