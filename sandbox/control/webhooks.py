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
- **Delivery**: in each worker, one thread makes the events and another delivers what is due. A
  delivery is held by one worker while it is attempted, and a receiver gets one at a time; a failure
  is retried on the vendor's schedule, then the delivery is marked failed (Truto also deactivates
  the receiver). A connection in its first sync, paused or deleted syncs nothing: its changes wait.

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

log_ = logging.getLogger("sandbox")  # (`log` here is the changes log)
KEY = "webhooks"  # the receivers
MARKS = "webhook-marks"  # how far each receiver has been served, per credential
QUIET = ("initial_sync", "paused", "deleted")  # states in which a connection syncs nothing
TICK = 0.1  # how often each worker looks for events to make and deliveries due (seconds)
SENDERS = 4  # receivers a worker delivers to at once
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
        """A new event id: 32 hex digits derived from the receiver and a running number."""
        self.made += 1
        return digest(self.receiver["uid"], "event", self.credential.id, self.receiver["made"], self.made)

    def receiver_id(self) -> str:
        """The receiver's id as the vendor shows it (a UUID's 32 hex digits)."""
        return self.receiver["uid"]


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
    # whether the vendor lists a kind of record for a platform at all (its coverage): it announces no other
    serves: Callable[[str, str], bool] = lambda kind, platform: True
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

    # ---- receivers ----

    def check(self, body, worlds: set[str], *, fixtures: bool = False) -> dict:
        return receiver(body, self.hooks, self.credentials, worlds, fixtures=fixtures)

    def receivers(self) -> list[dict]:
        return (self.store.state(KEY) or {}).get("receivers", [])

    def listed(self) -> list[dict]:
        """The receivers as the control plane shows them: never their secrets."""
        return [_shown(r) for r in self.receivers()]

    def add(self, checked: dict) -> dict:
        """A receiver; the answer holds its secret when one was made for it (shown this once)."""
        [r] = self._register([checked])
        self.start()
        return {**_shown(r), "secret": r["secret"]} if checked["secret"] is None else _shown(r)

    def install(self, specs: tuple[dict, ...]) -> None:
        """The fixtures' receivers, unless the store holds receivers already (a restart keeps its own)."""
        if specs:
            self._register(list(specs), only_if_none=True)

    def _register(self, specs: list[dict], only_if_none: bool = False) -> list[dict]:
        """New receivers. Each starts from the newest change, and from each credential's latest sync and
        state, as they are when it is registered: it hears what happens after."""
        since, wall = self.store.last_change(), time.time_ns()
        start = {c.id: {"sync": self.syncs.latest(c), "state": self.connections.state(c)}
                 for c in self.credentials.values() if any(c.vendor == s["vendor"] for s in specs)}
        made: list[dict] = []

        def change(doc):
            if doc is not None and only_if_none:
                return doc
            doc = dict(doc or {"next": 1, "receivers": []})
            made.clear()
            for number, spec in enumerate(specs, doc["next"]):
                made.append({"id": number, **spec, "active": True, "created_at": iso_z(self.clock.now()),
                             "secret": spec["secret"] or self.hooks[spec["vendor"]].secret(digest(self.seed, "secret", number)),
                             # unique per registration, a reset or not: event ids and delivery keys derive from it
                             "uid": digest(self.seed, "receiver", number, wall), "since": since,
                             "start": {cid: v for cid, v in start.items() if self.credentials[cid].vendor == spec["vendor"]}})
            return {"next": doc["next"] + len(specs), "receivers": [*doc["receivers"], *made]}

        self.store.update_state(KEY, change)
        return made

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

    def deliveries(self, **filters) -> list[dict]:
        out = []
        for d in self.store.deliveries(**filters):
            out.append({"id": d["id"], "receiver": d["receiver"], "vendor": d["vendor"], "event": d["event"],
                        "status": d["status"], "url": d["url"], "created_at": _wall(d["created"]),
                        "next_attempt_at": _wall(d["due"]) if d["status"] == "pending" else None,
                        "headers": d["headers"], "body": d["body"].decode(), "attempts": d["attempts"]})
        return out

    # ---- events ----

    def _pairs(self):
        """(receiver, credential, the key of its marks) for each active receiver of a served vendor and
        each credential it hears about."""
        for r in self.receivers():
            if r["active"] and r["vendor"] in self.hooks:
                for c in self.credentials.values():
                    if c.vendor == r["vendor"] and r["credential"] in (None, c.id) and r["world"] in (None, c.world):
                        yield r, c, f"{r['uid']}/{c.id}"

    def emit(self) -> int:
        """Events for what happened since each receiver was last served; how many deliveries were queued."""
        return self.store.emit(MARKS, self._due, self._make)

    def _start(self, r: dict, c) -> dict:
        begun = r["start"].get(c.id, {"sync": None, "state": c.state})
        return {"seq": r["since"], "waiting": [], "made": 0, **begun}

    def _due(self, marks, changes) -> bool:
        """Whether anything is to be sent or marked (cheap: no record is read, nothing rendered)."""
        marks, last, keys = marks or {}, None, set()
        for r, c, key in self._pairs():
            keys.add(key)
            mark = marks.get(key) or self._start(r, c)
            last = changes.last() if last is None else last
            state = self.connections.state(c)
            if key not in marks or last > mark["seq"] or state != mark["state"] or self.syncs.latest(c) != mark["sync"]:
                return True
            if mark["waiting"] and state not in QUIET and any(self._seen(c, up) for _, up in mark["waiting"]):
                return True
        return keys != set(marks)

    def _seen(self, credential, upstream_us: int | None, horizon: object = "ask") -> bool:
        """Whether the credential's vendor sees a change by now: a write at once, an upstream change after
        the credential's next sync."""
        horizon = self.syncs.horizon(credential) if horizon == "ask" else horizon
        return upstream_us is None or horizon is None or upstream_us <= horizon

    def _make(self, marks, changes) -> tuple[dict, list[dict]]:
        marks, last, now, wall = marks or {}, changes.last(), self.clock.now(), time.time()
        pairs = [(r, c, key, marks.get(key) or self._start(r, c)) for r, c, key in self._pairs()]
        behind = [m for *_, m in pairs if m["seq"] < last or m["waiting"]]
        log = changes.after(min(m["seq"] for m in behind), {s for m in behind for s, _ in m["waiting"]}) if behind else []
        served, deliveries = {}, []
        for r, c, key, mark in pairs:
            try:
                events, served[key] = self._events(r, c, mark, log, last, now)
            except Exception:  # noqa: BLE001 - one receiver's bad event must not stop everyone's: it is skipped
                log_.exception("webhooks: no events for receiver %s and %s", r["id"], c.id)
                events, served[key] = [], {**mark, "seq": last, "waiting": [], "sync": self.syncs.latest(c),
                                           "state": self.connections.state(c)}
            wanted = [(name, body) for name, body in events if r["events"] is None or name in r["events"]]
            deliveries += self._deliveries(r, f"{key}/{mark['made']}", wanted, wall)
        return served, deliveries

    def _events(self, r: dict, c, mark: dict, log: list, last: int, now: datetime) -> tuple[list[Event], dict]:
        """One receiver's events about one credential since its marks, and its marks after."""
        state, latest, horizon = self.connections.state(c), self.syncs.latest(c), self.syncs.horizon(c)
        waiting = {seq for seq, _ in mark["waiting"]}
        mine = [ch for ch in log if ch.world == c.world and (ch.seq > mark["seq"] or ch.seq in waiting)]
        # A connection in its first sync, paused or deleted syncs nothing: its changes wait for it.
        seen = [ch for ch in mine if state not in QUIET and self._seen(c, ch.upstream_us, horizon)]
        later = [[ch.seq, ch.upstream_us] for ch in mine if ch not in seen]
        events: list[Event] = []
        scene = Scene({**r, "made": mark["made"]}, c, self.store.snapshot(c.world), now, state, self.seed)
        hooks = self.hooks[r["vendor"]]
        touched = [t for t in self._touched(c, seen, horizon) if hooks.serves(t.kind, scene.world.platform)]
        if touched:
            events += hooks.changed(scene, touched)
        if latest is not None and latest != mark["sync"] and state not in QUIET:
            status = self.syncs.status(c)
            events += hooks.synced(scene, Sync(digest(self.seed, "sync", c.id, latest), from_micros(latest),
                                               status["next_sync"], status["outcome"]))
        if state != mark["state"]:
            events += hooks.state_changed(scene, mark["state"], state)
        return events, {"seq": last, "waiting": later, "sync": latest, "state": state,
                        "made": mark["made"] + scene.made + len(events)}

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
            for copy in ("", "/again") if r["duplicate"] else ("",):
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
        targets = [r for r, heard, _ in self._pairs() if heard is c and (r["events"] is None or event in r["events"])]
        if not targets:
            raise LookupError(f"no active {vendor} receiver hears {event} for {credential_id}; "
                              "POST /_sandbox/webhooks registers one")
        deliveries, wall, now = [], time.time(), self.clock.now()
        fired = f"fire-{time.time_ns()}"
        for r in targets:
            scene = Scene({**r, "made": fired}, c, self.store.snapshot(c.world), now, self.connections.state(c), self.seed)
            body = self._example(hooks, scene, event)
            if data is not None:
                body = {**body, hooks.data: data}
            deliveries += self._deliveries(r, f"{r['uid']}/{c.id}/{fired}", [(event, body)], wall)
        return self.store.enqueue(deliveries)

    def _example(self, hooks: Hooks, scene: Scene, event: str) -> dict:
        """A body for `event` from the builders, fed the world's newest records, a sync now, and each
        change of state."""
        touched = []
        for kind in ("interview", "application", "candidate", "job", "user", "stage", "scorecard"):
            rows = self.store.page(scene.world.key, Query(kind), before=2 ** 62, limit=1)
            touched += [Touched(kind, rows[0].id, action, rows[0].record(kind), 0)
                        for action in ("added", "changed", "removed") if rows]
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
        """This process's emitter and deliverer (once per process: a forked worker starts its own)."""
        if self._pid == os.getpid() or not self.hooks:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._holder = f"{os.getpid()}-{time.time_ns()}"
                self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook")
                threading.Thread(target=self._every_tick, args=(self.emit,), name="webhook-events", daemon=True).start()
                threading.Thread(target=self._every_tick, args=(self.deliver,), name="webhook-deliveries",
                                 daemon=True).start()

    def _every_tick(self, turn: Callable[[], int]) -> None:
        while True:
            try:
                done = turn()
            except Exception:  # noqa: BLE001 - the thread outlives a bad turn; the next one tries again
                log_.exception("webhooks: a turn failed")
                done = 0
            if not done:  # (while there is work, the next turn comes at once)
                time.sleep(TICK)

    def deliver(self) -> int:
        """Attempt what is due, a delivery per receiver at a time, receivers side by side; how many."""
        batch = self.store.claim(time.time(), max(h.timeout for h in self.hooks.values()) + 5, SENDERS, self._holder)
        for _ in self._senders.map(self._attempt, batch):
            pass
        return len(batch)

    def _attempt(self, d: dict) -> None:
        hooks, n = self.hooks.get(d["vendor"]), len(d["attempts"]) + 1
        if hooks is None or not any(r["id"] == d["receiver"] and r["active"] for r in self.receivers()):
            gone = {"n": n, "at": _wall(time.time()), "status_code": None, "latency_ms": 0, "response": None,
                    "error": "the receiver was removed or deactivated, or its vendor is not served"}
            self.store.attempted(d["id"], self._holder, gone, "failed", None)
            return
        started, at = time.monotonic(), time.time()
        status, answer, error = post(d["url"], d["body"], d["headers"], hooks.timeout)
        attempt = {"n": n, "at": _wall(at), "status_code": status,
                   "latency_ms": round((time.monotonic() - started) * 1000, 1), "response": answer, "error": error}
        if status is not None and 200 <= status < 300:
            self.store.attempted(d["id"], self._holder, attempt, "delivered", None)
        elif n <= len(hooks.retries) and hooks.retry_on(status):
            self.store.attempted(d["id"], self._holder, attempt, "pending",
                                 time.time() + hooks.retries[n - 1] * self.retry_scale)
        else:
            self.store.attempted(d["id"], self._holder, attempt, "failed", None)
            if hooks.deactivates:
                self._deactivate(d["receiver"])


def _shown(r: dict) -> dict:
    return {k: v for k, v in r.items() if k not in ("secret", "uid", "since", "start")}


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str | None, str | None]:
    """POST once, with no proxy and no redirect followed: (status, the answer's start, error)."""
    parts = urllib.parse.urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = kind(parts.hostname, parts.port, timeout=timeout)
    except ValueError as exc:  # (a receiver's URL is checked when it is registered; this is for the odd one)
        return None, None, f"{type(exc).__name__}: {exc}"
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
