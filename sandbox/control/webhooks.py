"""Webhooks: each vendor's events on the changes its world goes through, signed as that vendor signs
them, delivered at least once from an outbox in the store.

- **Receivers** live in the store (a control document): registered through `/_sandbox/webhooks` or
  the fixtures. Each names a vendor and whose events it hears: one credential, a world's credentials,
  or every credential of the vendor.
- **Events** are made from the store's changes log under the store's write lock, with marks that say
  how far each receiver has been served per credential, so each change becomes its deliveries once,
  whichever worker notices it, and a crash loses none. A change is sent when the credential's vendor
  would see it: a write through any vendor at once, an upstream change after the credential's next
  sync (control/syncs.py). A sync, and a change of the connection's state, are events too. When
  the clock jumps over several syncs, the latest one is the one reported (INFERRED: a vendor that
  was down for them would not report each).
- **Delivery**: a thread in each worker makes the events and delivers what is due. A delivery is held
  by one worker while it is attempted; a failure is retried on the vendor's schedule, then the
  delivery is marked failed (Truto also deactivates the receiver).

What a vendor sends (events, envelope, signature, retries) is its package's `webhooks.py`: a `Hooks`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import logging
import os
import random
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, NamedTuple

import orjson

from sandbox import __version__
from sandbox.world.model import World, from_micros, iso_z
from sandbox.world.store import Filter, Query

log = logging.getLogger("sandbox")
KEY = "webhooks"  # the receivers
MARKS = "webhook-marks"  # how far each receiver has been served, per credential
QUIET = ("initial_sync", "paused", "deleted")  # states in which a connection syncs nothing
TICK = 0.1  # how often each worker looks for events to make and deliveries due (seconds)
SENDERS = 4  # receivers a worker delivers to at once
BATCH = 16  # deliveries a worker takes at a time
EXCERPT = 512  # of a receiver's answer, what an attempt keeps
FLAGS = ("bad_signature", "duplicate", "shuffle")  # receiver options for testing a handler's defences


# ---- what a vendor declares ----------------------------------------------------------------


class Touched(NamedTuple):
    """A record a change touched, as the credential sees it now (None once it is gone from its view)."""

    kind: str
    id: str
    action: str  # added, changed, removed
    record: object | None
    seq: int


class Sync(NamedTuple):
    id: str  # 32 hex digits, derived
    at: datetime
    next: datetime
    outcome: str  # control/syncs.py OUTCOMES


@dataclass
class Scene:
    """What a vendor's event builders see."""

    receiver: dict
    credential: object  # fixtures.Credential
    world: World
    now: datetime
    state: str  # the connection's state
    seed: str
    made: int = 0  # ids handed out so far

    def new_id(self) -> str:
        """A new event id: 32 hex digits derived from the seed, the receiver and a running number."""
        self.made += 1
        return digest(self.seed, "event", self.receiver["id"], self.credential.id, self.receiver.get("made", 0), self.made)

    def receiver_id(self) -> str:
        """The receiver's id as the vendor shows it (a UUID's 32 hex digits), derived."""
        return digest(self.seed, "receiver", self.receiver["id"])


Event = tuple[str, dict]  # (name, body)


@dataclass(frozen=True)
class Hooks:
    header: str  # the signature's header
    sign: Callable[[bytes, bytes, dict], str]  # (secret, body, receiver) -> the header's value
    events: tuple[str, ...]  # every event name a receiver may ask for
    changed: Callable[[Scene, list[Touched]], list[Event]]
    synced: Callable[[Scene, Sync], list[Event]]
    state_changed: Callable[[Scene, str, str], list[Event]]  # (scene, before, after)
    retries: tuple[float, ...]  # seconds to wait before each retry
    retry_on: Callable[[int | None], bool] = lambda status: True  # an answer's status (None: none came)
    timeout: float = 10.0
    deactivates: bool = False  # a delivery that fails for good deactivates its receiver
    data: str = "data"  # the body's key that `fire` replaces with the data it is given
    secret: Callable[[str], str] = lambda hexdigits: hexdigits  # a generated secret, from 32 hex digits
    options: dict[str, tuple] = field(default_factory=dict)  # receiver options of the vendor's own: allowed values


def digest(*parts) -> str:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def hmac_sha256(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()


def b64url(raw: bytes, padding: bool) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if padding else text.rstrip("=")


# ---- receivers -------------------------------------------------------------------------------


def receiver(body, hooks: dict[str, Hooks], credentials: dict, worlds: set[str], *, fixtures: bool = False) -> dict:
    """A receiver from what a client (or the fixtures) asked for, checked; ValueError says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object: {vendor, url, credential or world (optional), secret, events}")
    vendor = body.get("vendor")
    if vendor not in hooks:
        raise ValueError(f"vendor: one of {', '.join(sorted(hooks))}")
    own = hooks[vendor].options
    allowed = {"vendor", "credential", "world", "url", "secret", "events", *FLAGS, *own}
    unknown = set(body) - allowed
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; a {vendor} receiver takes {', '.join(sorted(allowed))}")
    credential, world = body.get("credential"), body.get("world")
    if credential is not None and world is not None:
        raise ValueError("name a credential or a world, not both")
    if credential is not None and (credential not in credentials or credentials[credential].vendor != vendor):
        raise ValueError(f"credential: no {vendor} credential {credential!r}; GET /_sandbox/accounts lists their ids")
    if world is not None and world not in worlds:
        raise ValueError(f"world: one of {', '.join(sorted(worlds))}")
    url = body.get("url")
    try:
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        parts and parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("url: an http:// or https:// URL")
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ValueError("secret: a non-empty string (leave it out to have one made)")
    if fixtures and secret is None:
        raise ValueError("a receiver in the fixtures names its secret")
    events = body.get("events")
    if events is not None:
        if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
            raise ValueError("events: a non-empty list of event names (leave it out for every event)")
        wrong = [e for e in events if e not in hooks[vendor].events]
        if wrong:
            raise ValueError(f"events: {vendor} sends no {', '.join(wrong)}; its events: {', '.join(hooks[vendor].events)}")
    options = {}
    for flag in FLAGS:
        if not isinstance(body.get(flag, False), bool):
            raise ValueError(f"{flag}: true or false")
        options[flag] = body.get(flag, False)
    for name, values in own.items():
        value = body.get(name, values[0])
        if value not in values:
            raise ValueError(f"{name}: one of {', '.join(map(str, values))}")
        options[name] = value
    return {"vendor": vendor, "credential": credential, "world": world, "url": url, "secret": secret,
            "events": events, **options}


class Webhooks:
    def __init__(self, store, clock, syncs, connections, credentials, hooks: dict[str, Hooks], seed: str,
                 retry_scale: float = 1.0):
        self.store, self.clock, self.syncs, self.connections = store, clock, syncs, connections
        self.credentials = {c.id: c for c in credentials}
        self.hooks, self.seed, self.retry_scale = hooks, seed, retry_scale
        self._pid = None
        self._lock = threading.Lock()

    def check(self, body, worlds: set[str], *, fixtures: bool = False) -> dict:
        return receiver(body, self.hooks, self.credentials, worlds, fixtures=fixtures)

    def receivers(self) -> list[dict]:
        return (self.store.state(KEY) or {}).get("receivers", [])

    def listed(self) -> list[dict]:
        """The receivers as the control plane shows them: never their secrets."""
        return [{k: v for k, v in r.items() if k not in ("secret", "since")} for r in self.receivers()]

    def add(self, checked: dict) -> dict:
        """A receiver; the answer holds its secret when one was made for it (shown this once)."""
        r = self._register(checked)
        self.emit()  # its marks: from now on, it hears every change of state and every sync
        self.start()
        shown = {k: v for k, v in r.items() if k not in ("secret", "since")}
        return {**shown, "secret": r["secret"]} if checked["secret"] is None else shown

    def _register(self, checked: dict) -> dict:
        made = {}

        def change(doc):
            doc = dict(doc or {"next": 1, "receivers": []})
            number = doc["next"]
            secret = checked["secret"] or self.hooks[checked["vendor"]].secret(digest(self.seed, "secret", number))
            made["receiver"] = {"id": number, **checked, "secret": secret, "active": True,
                                "created_at": iso_z(self.clock.now()), "since": self.store.last_change()}
            return {"next": number + 1, "receivers": [*doc["receivers"], made["receiver"]]}

        self.store.update_state(KEY, change)
        return made["receiver"]

    def install(self, specs: tuple[dict, ...]) -> None:
        """The fixtures' receivers, unless the store holds receivers already (a restart keeps its own)."""
        if specs and self.store.state(KEY) is None:
            for spec in specs:
                self._register(spec)

    def remove(self, number: int) -> bool:
        return self._edit(lambda r: None if r["id"] == number else r)

    def clear(self) -> None:
        self._edit(lambda r: None)

    def _deactivate(self, number: int) -> None:
        self._edit(lambda r: {**r, "active": False} if r["id"] == number else r)

    def _edit(self, each: Callable[[dict], dict | None]) -> bool:
        found = {}

        def change(doc):
            doc = dict(doc or {"next": 1, "receivers": []})
            kept = []
            for r in doc["receivers"]:
                out = each(r)
                if out is not r:
                    found["any"] = True
                if out is not None:
                    kept.append(out)
            return {**doc, "receivers": kept}

        self.store.update_state(KEY, change)
        return bool(found)

    def _heard(self, r: dict) -> list:
        """The credentials a receiver hears about."""
        return [c for c in self.credentials.values() if c.vendor == r["vendor"]
                and (r["credential"] is None or c.id == r["credential"]) and (r["world"] is None or c.world == r["world"])]

    def deliveries(self, **filters) -> list[dict]:
        out = []
        for d in self.store.deliveries(**filters):
            attempts = d["attempts"]
            out.append({"id": d["id"], "receiver": d["receiver"], "vendor": d["vendor"], "event": d["event"],
                        "status": d["status"], "url": d["url"], "created_at": _wall(d["created"]),
                        "next_attempt_at": _wall(d["due"]) if d["status"] == "pending" else None,
                        "headers": d["headers"], "body": d["body"].decode(), "attempts": attempts})
        return out

    # ---- events ----

    def emit(self) -> int:
        """Events for what changed since each receiver was last served; how many deliveries were queued."""
        live = [r for r in self.receivers() if r["active"]]
        if not live and not self.store.state(MARKS):
            return 0
        return self.store.emit(MARKS, lambda marks, changes: self._make(live, marks or {}, changes))

    def _make(self, receivers: list[dict], marks: dict, changes) -> tuple[dict, list[dict]] | None:
        last, now, wall = changes.last(), self.clock.now(), time.time()
        served, todo = {}, []
        for r in receivers:
            for c in self._heard(r):
                key = f"{r['id']}/{c.id}"
                state, latest = self.connections.state(c), self.syncs.latest(c)
                if key not in marks:  # a new receiver hears the changes made since it was registered
                    todo.append((r, c, key, {"seq": r["since"], "waiting": [], "sync": latest, "state": state,
                                             "made": 0}, state, latest))
                else:
                    todo.append((r, c, key, marks[key], state, latest))
        behind = [m for *_, m, _, _ in todo if m["seq"] < last or m["waiting"]]
        log = changes.after(min(m["seq"] for m in behind), {s for m in behind for s in m["waiting"]}) if behind else []
        deliveries = []
        for r, c, key, mark, state, latest in todo:
            waiting = set(mark["waiting"])
            mine = [ch for ch in log if ch.world == c.world and (ch.seq > mark["seq"] or ch.seq in waiting)]
            horizon = self.syncs.horizon(c)
            seen = [ch for ch in mine if ch.upstream_us is None or horizon is None or ch.upstream_us <= horizon]
            still = sorted(ch.seq for ch in mine if ch not in seen)
            events: list[Event] = []
            scene = None
            if seen or latest != mark["sync"] or state != mark["state"]:
                scene = Scene({**r, "made": mark["made"]}, c, self.store.snapshot(c.world), now, state, self.seed)
                hooks = self.hooks[r["vendor"]]
                if seen and state not in QUIET:
                    events += hooks.changed(scene, self._touched(c, seen, horizon))
                if latest is not None and latest != mark["sync"] and state not in QUIET:
                    status = self.syncs.status(c)
                    events += hooks.synced(scene, Sync(digest(self.seed, "sync", c.id, latest), from_micros(latest),
                                                       status["next_sync"], status["outcome"]))
                if state != mark["state"]:
                    events += hooks.state_changed(scene, mark["state"], state)
            asked = [(name, body) for name, body in events if r["events"] is None or name in r["events"]]
            deliveries += self._deliveries(r, f"{key}/{mark['made']}", asked, wall)
            served[key] = {"seq": last, "waiting": still, "sync": latest, "state": state,
                           "made": mark["made"] + (scene.made if scene else 0) + len(events)}
        if not deliveries and served == marks:
            return None
        return served, deliveries

    def _touched(self, credential, seen: list, horizon: int | None) -> list[Touched]:
        """Each change with its record as the credential sees it now."""
        out = []
        for ch in seen:
            rows = self.store.page(credential.world, Query(ch.kind, (Filter("id", "in", (ch.id,)),), True, True),
                                   limit=1, as_of=horizon)
            out.append(Touched(ch.kind, ch.id, ch.action, rows[0].record(ch.kind) if rows else None, ch.seq))
        return out

    def _deliveries(self, r: dict, key: str, events: list[Event], wall: float) -> list[dict]:
        hooks, out = self.hooks[r["vendor"]], []
        secret = (r["secret"] + ("-not-the-secret" if r["bad_signature"] else "")).encode()
        for n, (name, body) in enumerate(events):
            raw = orjson.dumps(body)
            headers = {"Content-Type": "application/json", "User-Agent": f"ats-sandbox/{__version__} ({r['vendor']} webhooks)",
                       hooks.header: hooks.sign(secret, raw, r)}
            copies = ("", "/again") if r["duplicate"] else ("",)
            for copy in copies:
                due = wall + (random.Random(f"{key}/{n}{copy}").random() if r["shuffle"] else 0.0)
                out.append({"key": f"{key}/{n}{copy}", "receiver": r["id"], "vendor": r["vendor"], "event": name,
                            "url": r["url"], "body": raw, "headers": headers, "due": due, "created": wall})
        return out

    def fire(self, vendor: str, credential_id: str, event: str, data=None) -> list[int]:
        """One event now, with a realistic body (`data` in place of its data, when given), to every
        active receiver that hears it. Raises LookupError when none does, ValueError for an event
        the vendor does not send."""
        hooks = self.hooks[vendor]
        if event not in hooks.events:
            raise ValueError(f"{vendor} sends no {event!r}; its events: {', '.join(hooks.events)}")
        c = self.credentials[credential_id]
        targets = [r for r in self.receivers() if r["active"] and r["vendor"] == vendor and c in self._heard(r)
                   and (r["events"] is None or event in r["events"])]
        if not targets:
            raise LookupError(f"no active {vendor} receiver hears {event} for {credential_id}; "
                              "POST /_sandbox/webhooks registers one")
        deliveries, wall, now = [], time.time(), self.clock.now()
        number = int(wall * 1e6)
        for r in targets:
            scene = Scene({**r, "made": f"fire-{number}"}, c, self.store.snapshot(c.world), now,
                          self.connections.state(c), self.seed)
            body = self._example(hooks, scene, event)
            if data is not None:
                body = {**body, hooks.data: data}
            deliveries += self._deliveries(r, f"{r['id']}/{c.id}/fire-{number}", [(event, body)], wall)
        return self.store.enqueue(deliveries)

    def _example(self, hooks: Hooks, scene: Scene, event: str) -> dict:
        """A body for `event` from the builders, fed the world's newest records, a sync now, and each
        change of state."""
        touched = []
        for kind in ("interview", "application", "candidate", "job", "user", "stage", "scorecard"):
            rows = self.store.page(scene.world.key, Query(kind), before=2 ** 62, limit=1, data=True)
            for action in ("added", "changed", "removed"):
                if rows:
                    touched.append(Touched(kind, rows[0].id, action, rows[0].record(kind), 0))
        now = scene.now
        made = [*hooks.changed(scene, touched)]
        made += [e for outcome in ("succeeded", "failed") for e in
                 hooks.synced(scene, Sync(digest(self.seed, "fired-sync", scene.receiver["made"]), now, now, outcome))]
        states = ("healthy", "initial_sync", "relink_needed", "paused", "deleted")
        made += [e for before in states for after in states if before != after
                 for e in hooks.state_changed(scene, before, after)]
        return next(body for name, body in made if name == event)

    # ---- delivery ----

    def start(self) -> None:
        """This process's deliverer (once per process: a forked worker starts its own)."""
        if self._pid == os.getpid() or not self.hooks:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook")
                threading.Thread(target=self._run, name="webhooks", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self.emit()
                self.deliver()
            except Exception:  # noqa: BLE001 - the deliverer outlives a bad turn; the next one tries again
                log.exception("webhooks: a turn failed")
            time.sleep(TICK)

    def deliver(self) -> int:
        """Attempt the deliveries due: each receiver's in order, receivers side by side. How many."""
        batch = self.store.claim(time.time(), max(h.timeout for h in self.hooks.values()) + 5, BATCH)
        queues: dict[int, list[dict]] = {}
        for d in batch:
            queues.setdefault(d["receiver"], []).append(d)
        for _ in self._senders.map(self._attempt_in_order, queues.values()):
            pass
        return len(batch)

    def _attempt_in_order(self, queue: list[dict]) -> None:
        for n, d in enumerate(queue):
            if not self._attempt(d):  # a failure: what came after it waits for the next turn
                for later in queue[n + 1:]:
                    self.store.attempted(later["id"], None, "pending", None)
                return

    def _attempt(self, d: dict) -> bool:
        """One attempt; whether it was delivered."""
        hooks = self.hooks[d["vendor"]]
        n = len(d["attempts"]) + 1
        if not any(r["id"] == d["receiver"] and r["active"] for r in self.receivers()):
            gone = {"n": n, "at": _wall(time.time()), "status_code": None, "latency_ms": 0, "response": None,
                    "error": "the receiver was removed or deactivated"}
            self.store.attempted(d["id"], gone, "failed", None)
            return False
        started, at = time.monotonic(), time.time()
        status, answer, error = post(d["url"], d["body"], d["headers"], hooks.timeout)
        attempt = {"n": n, "at": _wall(at), "status_code": status,
                   "latency_ms": round((time.monotonic() - started) * 1000, 1), "response": answer, "error": error}
        if status is not None and 200 <= status < 300:
            self.store.attempted(d["id"], attempt, "delivered", None)
            return True
        if n <= len(hooks.retries) and hooks.retry_on(status):
            self.store.attempted(d["id"], attempt, "pending", time.time() + hooks.retries[n - 1] * self.retry_scale)
        else:
            self.store.attempted(d["id"], attempt, "failed", None)
            if hooks.deactivates:
                self._deactivate(d["receiver"])
        return False


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str | None, str | None]:
    """POST once, with no proxy and no redirect followed: (status, the answer's start, error)."""
    parts = urllib.parse.urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        answer = conn.getresponse()
        return answer.status, answer.read(EXCERPT).decode("utf-8", "replace"), None
    except (OSError, http.client.HTTPException) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def _wall(seconds: float) -> str:
    return iso_z(datetime.fromtimestamp(seconds, timezone.utc))
