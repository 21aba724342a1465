"""The request journal: every vendor request any worker answered, newest first, kept to a cap in the
store, with what the client sent — secrets redacted — and coverage counts (Steady's session
report): which endpoints and query parameters the traffic used, by status.

A request only queues what it has (a few references); a thread of each worker turns the queue into
entries, redacts them and writes what gathered in 50 ms in one transaction, so the answer never
waits on the journal. A read of the journal writes this worker's queue, then waits for the other
workers' writers to have had their turn: it holds every request answered before it.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import os
import re
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import NamedTuple
from urllib.parse import parse_qsl

import orjson
from werkzeug.wrappers import Request

log = logging.getLogger("sandbox")
# A header, query parameter or JSON field holds a secret when a word of its name (split at `-`, `_`, `.`
# and camelCase, case folded) is one of WORDS or contains one of STEMS, or the whole name is in WHOLE
# (OAuth's `code`, but not a `job_code`). Cookies are hidden whole: one holds a dashboard's session.
SECRET_STEMS = ("key", "token", "secret", "authorization", "password", "passwd", "credential", "signature", "session",
                "cookie", "jwt")
SECRET_WORDS = frozenset({"auth", "pwd", "pass", "sig"})
SECRET_WHOLE = frozenset({"code"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
MAX_BODY = 64 * 1024  # a larger request body is journaled by its size only
MAX_DEPTH = 32  # a request body nested deeper is journaled by its size
BATCH_SECONDS = 0.05  # what a worker gathers before it writes: a transaction costs as much as dozens of entries
SETTLE_SECONDS = 4 * BATCH_SECONDS  # what a read waits for the other workers' batches


def hide(value: str) -> str:
    """A secret as the journal keeps it: its last four characters (and a scheme such as Bearer)."""
    scheme, space, rest = value.partition(" ")
    if space and scheme.lower() in ("bearer", "basic", "token"):
        return f"{scheme} {hide(rest)}"
    return "****" + value[-4:] if len(value) > 8 else "****"


@functools.lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    if name.lower() in SECRET_WHOLE:
        return True
    return any(w in SECRET_WORDS or any(stem in w for stem in SECRET_STEMS) for w in map(str.lower, _WORD.findall(name)))


def request_body(req) -> bytes | int | None:
    """What the journal keeps of a request's body: its bytes, or its size when it is large (read in
    the request, while the stream is there)."""
    if not req.environ.get("CONTENT_LENGTH"):
        return None
    size = req.content_length
    if not size:
        return None
    if size > MAX_BODY:
        return size
    try:
        return req.get_data(cache=True)
    except Exception:  # noqa: BLE001 - a body the client did not finish sending: the journal goes without
        return None


class Sent(NamedTuple):
    """What a request leaves for the journal on its way out: a few references, read off its path later."""

    at: float  # unix time
    vendor: object | None  # http.vendor.Vendor
    credential: str | None  # its id
    world: str | None
    environ: dict
    body: bytes | int | None  # what `request_body` kept
    rule: str | None  # the route it matched
    status: int | None  # None: a fault dropped its connection
    size: int | None  # the answer's bytes
    ms: float | None
    fault: str | None  # the fault's label
    worker: int  # the process that answered


def credential_key(credential_id: str) -> str:
    """What the store files a credential's entries under: never the id, which holds a token."""
    return hashlib.blake2b(credential_id.encode(), digest_size=8).hexdigest()


class Journal:
    def __init__(self, store, cap: int, secrets):
        self.store, self.cap = store, cap
        self._secrets = frozenset(s for s in secrets if s)
        long = sorted((s for s in self._secrets if len(s) >= 6), key=len, reverse=True)
        self._in_text = re.compile("|".join(map(re.escape, long))) if long else None
        self._queue: deque = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # held while a batch is written
        self._pid = None
        self._shapes: dict[tuple, dict] = {}
        self._closed = False

    # ---- the request's side: queue and go ----

    def add(self, item: Sent) -> None:
        self._queue.append(item)
        if self._pid != os.getpid():  # the first request of a (forked) worker starts its writer
            self._start()
        if not self._wake.is_set():
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._wake = threading.Event()  # (before the pid: an `add` that sees the pid sets this one)
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="journal", daemon=True).start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            time.sleep(BATCH_SECONDS)  # under load, one transaction for many entries
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the writer outlives a batch it could not write
                log.exception("the request journal lost a batch")

    def flush(self) -> None:
        """Write what this worker has queued."""
        with self._lock:
            if self._closed:
                return
            batch = []
            while self._queue:
                item = self._queue.popleft()
                try:
                    batch.append(self._entry(item))
                except Exception:  # noqa: BLE001 - one odd request does not cost the others their entries
                    log.exception("the request journal left out a request it could not read")
            if batch:
                self.store.log_requests(batch, self.cap)

    def close(self) -> None:
        """Write what is queued, and nothing after: for a sandbox whose store goes away (a scratch one)."""
        self.flush()
        with self._lock:
            self._closed = True
        self._wake.set()
        atexit.unregister(self.flush)

    # ---- reads ----

    def settle(self) -> None:
        """This worker's queue written, and time for every other worker's writer to write its own."""
        self.flush()
        time.sleep(SETTLE_SECONDS)

    def entries(self, **filters) -> list[dict]:
        self.settle()
        if filters.get("credential") is not None:
            filters["credential_key"] = credential_key(filters.pop("credential"))
        return [{**e, "at": _iso(e["at"])} for e in self.store.requests(cap=self.cap, **filters)]

    def clear(self) -> None:
        self.flush()
        self.store.clear_requests()

    def coverage(self, vendors) -> dict:
        """Per vendor, each declared endpoint with its requests by status and its query parameters
        by use (declared ones at 0 when unused), and any other path the traffic hit."""
        self.settle()
        endpoint_rows, parameter_rows = self.store.request_coverage()
        statuses: dict[tuple, dict] = {}
        for vendor, method, endpoint, status, n in endpoint_rows:
            statuses.setdefault((vendor, method, endpoint), {})[str(status)] = n
        parameters: dict[tuple, dict] = {}
        for vendor, method, endpoint, parameter, n in parameter_rows:
            parameters.setdefault((vendor, method, endpoint), {})[parameter] = n
        report = {}
        for vendor in vendors:
            rows = []
            for method, path, declared in vendor.coverage_points():
                key = (vendor.name, method, path)
                seen = statuses.pop(key, {})
                rows.append({"method": method, "path": path, "requests": sum(seen.values()), "statuses": seen,
                             "parameters": {**{p: 0 for p in declared}, **parameters.get(key, {})}})
            report[vendor.name] = {"exercised": sum(1 for r in rows if r["requests"]), "endpoints": rows}
        return report

    # ---- the writer's side ----

    def _entry(self, sent: Sent) -> dict:
        at, vendor, credential, world, environ, raw, rule, status, size, ms, fault, worker = sent
        req = Request(environ, shallow=True)  # (read here, off the request's path)
        sent = tuple(item for item in environ.items() if item[0].startswith("HTTP_"))
        shape = (vendor.name if vendor else None, credential, world, req.method, req.path, rule,
                 environ.get("QUERY_STRING", ""), environ.get("CONTENT_TYPE"), sent)
        static = self._shapes.get(shape)
        if static is None:  # a load test sends one shape of request over and over: redacted once
            if len(self._shapes) > 4096:
                self._shapes.clear()
            static = self._shapes[shape] = self._static(vendor, credential, world, req.method, req.path, rule, *shape[6:])
        body = {"bytes": raw} if isinstance(raw, int) else None
        if isinstance(raw, bytes) and raw:
            try:
                body = self._scrub(orjson.loads(raw), MAX_DEPTH)
            except (orjson.JSONDecodeError, RecursionError):  # not JSON, or nested past what is kept
                body = {"bytes": len(raw)}
        entry = {"at": at, "worker": worker, **static["entry"], "body": body, "status": status, "response_bytes": size,
                 "ms": round(ms, 2) if ms is not None else None, "fault": fault}
        return {**static["columns"], "at": at, "status": status, "entry": entry}

    def _static(self, vendor, credential, world, method, path, rule, query_string, content_type, sent) -> dict:
        """What an entry holds that depends only on what the client sent, redacted."""
        mount = vendor.mount if vendor is not None else ""
        endpoint = rule[len(mount):] if rule is not None and rule.startswith(mount) and vendor else rule
        query = parse_qsl(query_string, keep_blank_values=True)
        headers = {_header_name(k): v for k, v in sent}
        if content_type:
            headers["Content-Type"] = content_type
        name = vendor.name if vendor else None
        return {"entry": {"vendor": name, "credential": self._hide_id(credential), "world": world, "method": method,
                          "path": self._text(path), "endpoint": endpoint,
                          "query": {k: self._named(k, v) for k, v in query},
                          "headers": {k: self._named(k, v) for k, v in headers.items()}},
                "columns": {"vendor": name, "credential_key": credential_key(credential) if credential else None,
                            "method": method, "endpoint": endpoint, "parameters": sorted({k for k, _ in query})}}

    def _hide_id(self, credential_id: str | None) -> str | None:
        if credential_id is None:
            return None
        vendor, _, account = credential_id.partition(":")
        return f"{vendor}:{hide(account)}"

    def _named(self, name: str, value: str) -> str:
        if name.lower() == "cookie":
            return "****"
        return hide(value) if secret_name(name) else self._text(value)

    def _text(self, value: str) -> str:
        if value in self._secrets:
            return hide(value)
        return self._in_text.sub(lambda m: hide(m.group()), value) if self._in_text else value

    def _scrub(self, node, depth: int):
        """A JSON body with secrets hidden: any value under a secret's name, any credential's value
        anywhere. Deeper than `depth` it is not kept (RecursionError)."""
        if depth < 0:
            raise RecursionError("too deep to journal")
        if isinstance(node, dict):
            return {k: ("****" if not isinstance(v, str) else hide(v)) if secret_name(k) else self._scrub(v, depth - 1)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [self._scrub(v, depth - 1) for v in node]
        return self._text(node) if isinstance(node, str) else node


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header_name(environ_key: str) -> str:
    return "-".join(part.capitalize() for part in environ_key[5:].split("_"))
