"""A client for a running sandbox's control plane (`/_sandbox/*`), for the pytest plugin and the CLI.

Every method is one HTTP call, so the same code steers an in-process server and a container in CI.
Only the standard library: a user's test suite gets no new dependency from it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ControlError(Exception):
    """The control plane refused a call: its status and its `error` message."""

    def __init__(self, status: int, body):
        self.status, self.body = status, body
        message = body.get("error") if isinstance(body, dict) else None
        super().__init__(f"{status}: {message or body}")


class Sandbox:
    """A running sandbox: where each vendor is served, the credentials it accepts, and its control plane."""

    def __init__(self, url: str, admin_token: str | None = None, timeout: float = 30):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout
        self.clock = Clock(self)
        self.webhooks = Webhooks(self)

    def call(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        """One control-plane call; its JSON answer, or ControlError."""
        url = f"{self.url}/_sandbox{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json"}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        data = None
        if body is not None or method in ("POST", "PUT"):
            data, headers["Content-Type"] = json.dumps(body or {}).encode(), "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = raw.decode(errors="replace")
            raise ControlError(exc.code, answer) from None

    # what is served, and to whom
    def health(self) -> dict:
        return self.call("GET", "/health")

    def wait_until_healthy(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except (OSError, ControlError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def accounts(self) -> list[dict]:
        return self.call("GET", "/accounts")

    def base_url(self, vendor: str) -> str:
        """Where `vendor` is served: the `base_url` its SDK takes."""
        mounts = {a["vendor"]: a["base_url"] for a in self.accounts()}
        if vendor not in mounts:
            raise KeyError(f"{vendor!r} is not served here; these are: {', '.join(sorted(mounts))}")
        return self.url + mounts[vendor]

    def credentials(self, vendor: str, world: str = "acme") -> dict:
        """The first credential of `vendor` into `world`: its `id`, the `headers` and `query` to send,
        its `base_url` (absolute) and `state`."""
        for a in self.accounts():
            if a["vendor"] == vendor and a["world"] == world:
                return {**a, "base_url": self.url + a["base_url"]}
        raise KeyError(f"no {vendor} credential into the world {world!r}; GET /_sandbox/accounts lists them")

    # steering it
    def reset(self) -> dict:
        """Back to the generated worlds and the fixtures' receivers, with no faults and an empty journal."""
        answer = self.call("POST", "/reset")
        self.call("DELETE", "/requests")
        return answer

    def simulate(self, world: str, **counts) -> dict:
        """Upstream changes in `world`: `simulate("acme", created=2, rescheduled=1)`; `from_` and `to`
        bound the window (ISO 8601)."""
        if "from_" in counts:
            counts["from"] = counts.pop("from_")
        return self.call("POST", f"/worlds/{_quoted(world)}/simulate", counts)

    def set_state(self, credential_id: str, state: str) -> dict:
        return self.call("PUT", f"/credentials/{_quoted(credential_id)}/state", {"state": state})

    def sync(self, credential_id: str) -> dict:
        return self.call("POST", f"/credentials/{_quoted(credential_id)}/sync")

    def fault(self, **rule) -> dict:
        """A fault rule (`vendor`, `path`, `status`, `latency`, `action`, `times`, ...); the rule as stored."""
        return self.call("POST", "/faults", rule)

    def faults(self) -> list[dict]:
        return self.call("GET", "/faults")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def requests(self, **filters) -> list[dict]:
        """The journal, newest first (`vendor`, `credential`, `status`, `since`, `limit` narrow it)."""
        return self.call("GET", "/requests", query=filters)

    def clear_requests(self) -> None:
        self.call("DELETE", "/requests")


def _quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class Clock:
    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def get(self) -> dict:
        """`now` (ISO 8601) and whether the clock is `frozen`."""
        return self.sandbox.call("GET", "/clock")

    def now(self) -> str:
        return self.get()["now"]

    def set(self, now: str, frozen: bool | None = None) -> dict:
        return self.sandbox.call("POST", "/clock", {"now": now, **({} if frozen is None else {"frozen": frozen})})

    def advance(self, duration: str, simulate: bool = False) -> dict:
        """Move on by an ISO 8601 duration (`PT2H`); with `simulate`, upstream changes happen meanwhile."""
        return self.sandbox.call("POST", "/clock", {"advance": duration, "simulate": simulate})

    def freeze(self, frozen: bool = True) -> dict:
        return self.sandbox.call("POST", "/clock", {"frozen": frozen})


class Webhooks:
    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def add(self, vendor: str, url: str, **options) -> dict:
        """A receiver at `url` (`credential` or `world`, `secret`, `events`, ...); its `id` and `secret`."""
        return self.sandbox.call("POST", "/webhooks", {"vendor": vendor, "url": url, **options})

    def receiver(self, vendor: str, host: str = "127.0.0.1", **options) -> "Receiver":
        """A receiver listening here, in this process, registered with the sandbox: what it gets is in
        `received`. The sandbox must reach `host` (a server on this machine does)."""
        receiver = Receiver(host)
        try:
            receiver.registration = self.add(vendor, receiver.url, **options)
        except BaseException:
            receiver.close()
            raise
        return receiver

    def fire(self, vendor: str, credential: str, event: str, data=None) -> dict:
        return self.sandbox.call("POST", "/webhooks/fire", {"vendor": vendor, "credential": credential, "event": event,
                                                            **({} if data is None else {"data": data})})

    def deliveries(self, **filters) -> list[dict]:
        """Every delivery and its attempts, oldest first, whether or not a receiver here got it."""
        return self.sandbox.call("GET", "/webhooks/deliveries", query=filters)

    def clear(self) -> None:
        self.sandbox.call("DELETE", "/webhooks")


class Receiver:
    """An HTTP endpoint that answers 200 to every POST and keeps what came: `received` holds
    `{"path", "headers", "body"}` per request (`body` parsed as JSON when it is)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.received: list[dict] = []
        self.registration: dict = {}
        arrived = threading.Condition()
        self._arrived = arrived
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                with arrived:
                    received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def secret(self) -> str | None:
        return self.registration.get("secret")

    def wait(self, count: int = 1, timeout: float = 10) -> list[dict]:
        """The first `count` requests received, once they have come (TimeoutError otherwise)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} webhook request(s) arrived in {timeout} s")
            return self.received[:count]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
