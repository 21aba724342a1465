"""What the tests share: the default credentials, the world as generated, servers, spec checks."""

from __future__ import annotations

import ctypes
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml
from openapi_schema_validator import (OAS30ReadValidator, OAS31Validator, OAS32Validator, oas30_format_checker,
                                      oas31_format_checker, oas32_format_checker)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from sandbox.settings import DEFAULT_FIXTURES
from sandbox.world.generate import generate

ROOT = Path(__file__).resolve().parent.parent
# The one bound on whatever a test waits for (a server up, a webhook in, a page showing a result): generous,
# as a loaded machine is slow, not broken. A test waits for the condition, never for a fixed time.
PATIENCE = 120.0


def wait_for(read, done=bool, what: str = "the condition", timeout: float = PATIENCE, every: float = 0.05):
    """`read()` again until `done` holds for what it returns, and that; after `timeout` seconds the test
    fails, saying what it waited for and what it saw last."""
    deadline = time.monotonic() + timeout
    while True:
        seen = read()
        if done(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; last seen: {seen!r:.2000}")
        time.sleep(every)
SPECS = Path(__file__).resolve().parent / "specs"
# A server for a module that reads whole worlds many times a minute asks for no rate limit (Merge's
# documented 100 a minute would refuse it, as Merge would); test_limits.py checks the documented ones.
NO_LIMIT = 1_000_000


@functools.lru_cache(maxsize=None)
def accounts() -> tuple[dict, ...]:
    """The default fixtures' credentials, as `ats-sandbox accounts --json` lists them: the tests
    read credentials from here, never from literals of their own."""
    from sandbox.accounts import Accounts
    from sandbox.vendors import load_fixtures, registry

    return tuple(Accounts(load_fixtures(DEFAULT_FIXTURES), registry()).listing())


def credential(vendor: str, world_key: str = "acme", category: str = "ats") -> dict:
    """The listed credential of a vendor for a world: `headers` and `query` to send."""
    return next(a for a in accounts() if a["vendor"] == vendor and a["world"] == world_key
                and a.get("category", "ats") == category)


def _bearer(vendor: str) -> str:
    return credential(vendor)["headers"]["Authorization"].split(" ", 1)[1]


# The four large worlds the suites page through, on the platforms every vendor started with; the
# smaller worlds, one per other platform, are checked vendor by vendor in test_platforms.py.
WORLDS = ("acme", "globex", "initech", "umbrella")
MERGE_KEY = _bearer("merge")
KOMBO_KEY = _bearer("kombo")
TRUTO_TOKEN = _bearer("truto")
BINDBEE_KEY = _bearer("bindbee")
TOKENS = {w: credential("merge", w)["headers"]["X-Account-Token"] for w in WORLDS}
INTEGRATIONS = {w: credential("kombo", w)["headers"]["X-Integration-Id"] for w in WORLDS}
TRUTO_ACCOUNTS = {w: credential("truto", w)["query"]["integrated_account_id"] for w in WORLDS}
CONNECTORS = {w: credential("bindbee", w)["headers"]["x-connector-token"] for w in WORLDS}
HRIS_CONNECTOR = credential("bindbee", "acme", "hris")["headers"]["x-connector-token"]


def merge_headers(world: str = "acme") -> dict:
    return dict(credential("merge", world)["headers"])


def kombo_headers(world: str = "acme") -> dict:
    return dict(credential("kombo", world)["headers"])


def bindbee_headers(world: str = "acme") -> dict:
    return dict(credential("bindbee", world)["headers"])


@functools.lru_cache(maxsize=None)
def world(key: str, seed: str | None = None):
    """The world as the generator builds it from the default fixtures: the truth the API is checked
    against, computed without the server."""
    from sandbox.vendors import load_fixtures

    f = load_fixtures(DEFAULT_FIXTURES, seed)
    spec = next(w for w in f.worlds if w.key == key)
    return generate(spec, f.seed, f.epoch)


def visible(w) -> list:
    """A world's interviews a default list returns: not deleted, not shells, in `created_at` order."""
    return sorted((i for i in w.interviews.values() if not i.deleted and not i.shell), key=lambda i: i.created_at)


# ---- OpenAPI ---------------------------------------------------------------------------------


def _as_meant(node, version: str = "3.0"):
    """Readings the specs intend but a strict validator does not take:
    - Merge writes "an enum value or any other string" as oneOf[enum, string], which an enum value
      matches twice and so fails; it means anyOf;
    - OpenAPI 3.0's `nullable: true` beside oneOf/anyOf (no `type`) is ignored by the validator; it
      means null is one more choice;
    - Bindbee's status says "the original value passed through will be returned" beside an enum
      of three values: any string is allowed;
    - an enum on a nullable value (Kombo's error code, Bindbee's status) allows null too;
    - a 3.1 spec (Kombo's) that still writes 3.0's `nullable: true` beside a `type` means null too."""
    if isinstance(node, dict):
        out = {k: _as_meant(v, version) for k, v in node.items()}
        if version != "3.0" and out.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        branches = out.get("oneOf")
        if branches and any(b == {"type": "string"} for b in branches):
            out["anyOf"] = out.pop("oneOf")
        for key in ("oneOf", "anyOf"):
            if key in out and out.get("nullable"):
                out[key] = [*out[key], {"enum": [None]}]
        if "enum" in out:
            if "passed through" in str(out.get("description", "")):
                del out["enum"]
            elif {"type": "null"} in out.get("anyOf", ()) or "null" in (out.get("type") or ()):
                out["enum"] = [*out["enum"], None] if None not in out["enum"] else out["enum"]
        return out
    if isinstance(node, list):
        return [_as_meant(v, version) for v in node]
    return node


VALIDATORS = {"3.0": (OAS30ReadValidator, oas30_format_checker), "3.1": (OAS31Validator, oas31_format_checker),
              "3.2": (OAS32Validator, oas32_format_checker)}


@functools.lru_cache(maxsize=None)
def _spec(name: str) -> tuple[Registry, str]:
    text = (SPECS / name).read_text()
    doc = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = doc["openapi"][:3]
    resource = Resource(contents=_as_meant(doc, version),
                        specification=DRAFT4 if version == "3.0" else DRAFT202012)
    return Registry().with_resource(f"urn:{name}", resource), version


def spec_errors(spec: str, schema: str, body) -> list[str]:
    """Every way `body` breaks a schema of `tests/specs/<spec>`: `schema` is a name under
    `#/components/schemas/`, or a JSON pointer starting with `#/`."""
    registry, version = _spec(spec)
    pointer = schema if schema.startswith("#/") else f"#/components/schemas/{schema}"
    cls, formats = VALIDATORS[version]
    validator = cls({"$ref": f"urn:{spec}{pointer}"}, registry=registry, format_checker=formats)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def fixtures_dir(tmp_path: Path, text: str) -> Path:
    """A fixtures directory of its own holding `text` as its sandbox.toml."""
    directory = tmp_path / "fx"
    directory.mkdir()
    (directory / "sandbox.toml").write_text(text)
    return directory


def tiny_app(tmp_path, credentials: str, platform: str = "lever", interviews: int = 12):
    """An in-process sandbox on a one-world fixtures file of its own, with these credentials."""
    from sandbox.app import create_app
    from sandbox.settings import Settings

    fixtures = fixtures_dir(tmp_path, f'[sandbox]\nseed = 5\n[[worlds]]\nkey = "tiny"\ncompany = "Tiny Co"\n'
                                      f'platform = "{platform}"\ninterviews = {interviews}\n{credentials}')
    return create_app(Settings(fixtures=fixtures, data_dir=tmp_path / "data")).test_client()


# ---- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():  # the server stops by itself when the test run ends, however it ends
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """A real server process on 127.0.0.1, started with `command` (default `ats-sandbox serve`).
    Stopping it checks that its journal holds no 429 the test did not ask for: a refusal by a rate
    limit fails the test unless `expect_429` (a fault's 429 is always asked for)."""

    def __init__(self, data_dir: Path, *, command: list[str] | None = None, env: dict | None = None,
                 expect_429: bool = False, wait: bool = True, **settings):
        self.expect_429, self.admin = expect_429, {"Authorization": f"Bearer {settings['admin_token']}"} \
            if settings.get("admin_token") else {}
        self.port, self.data_dir = free_port(), Path(data_dir)
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "SANDBOX_HOST": "127.0.0.1", "SANDBOX_PORT": str(self.port),
                   "SANDBOX_DATA_DIR": str(data_dir)}
        environ.update({f"SANDBOX_{k.upper()}": str(v) for k, v in settings.items()})
        environ.update(env or {})
        self.command = command or [str(Path(sys.executable).parent / "ats-sandbox"), "serve"]
        self.started = time.monotonic()
        self.log = open(Path(data_dir).parent / f"server-{self.port}.log", "wb") if Path(data_dir).parent.exists() else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.command, env=environ, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent, start_new_session=True)
        if wait:  # (else the caller calls `_wait()`, having started others meanwhile)
            self.ready_after = self._wait()

    def _wait(self, timeout: float = PATIENCE) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if requests.get(f"{self.url}/_sandbox/health", timeout=1).status_code == 200:
                    return time.monotonic() - self.started
            except requests.ConnectionError:
                time.sleep(0.05)
        self._stop()
        raise RuntimeError("server did not become healthy")

    def unasked_429s(self) -> list[dict]:
        entries = requests.get(f"{self.url}/_sandbox/requests", params={"status": 429}, headers=self.admin,
                               timeout=PATIENCE).json()
        return [e for e in entries if e["fault"] is None]

    def stop(self) -> None:
        unasked = self.unasked_429s() if self.proc.poll() is None and not self.expect_429 else []
        self._stop()
        assert not unasked, f"rate limits refused requests no test asked them to: {unasked[:3]}"

    def _stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---- webhook receivers -----------------------------------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1: it keeps what it is sent (`got`: arrival time, headers, raw
    body), answers `fail` for the first `failures` requests (every request when `failures` is None)
    and 200 after. `port` picks the port (to start listening late on a port handed out before)."""

    def __init__(self, failures: int = 0, fail: int = 500, port: int = 0):
        import http.server
        import threading

        self.got, self.failures, self.fail = [], failures, fail
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append((time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body))
                failing = receiver.failures is None or len(receiver.got) <= receiver.failures
                self.send_response(receiver.fail if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received":false}' if failing else b'{"received":true}')

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.got]

    def wait(self, count: int) -> list:
        """Until it has been sent `count` requests."""
        wait_for(lambda: len(self.got), lambda n: n >= count, f"{count} webhooks", every=0.02)
        return self.got

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
