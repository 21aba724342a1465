"""The one path every vendor request takes:

    resolve credentials -> count against the rate limit -> apply faults
        -> parse and validate -> query the store -> render (or reuse) -> journal

A vendor supplies a blueprint, how it authenticates, and how its errors look; everything else
lives here once. A vendor package holds no state: it reads and writes through `sandbox()`.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import orjson
from flask import Blueprint, Flask, Request, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from sandbox.accounts import Account
from sandbox.fixtures import Credential
from sandbox.http import errors
from sandbox.http.limits import Quota

log = logging.getLogger("sandbox")


@dataclass(frozen=True)
class RateLimit:
    """A vendor's rate limit: `limit` requests per `seconds` per credential (a credential's
    `rate_limit` in the fixtures overrides `limit`), the headers that tell a client where it
    stands, and those a 429 adds."""

    limit: int
    seconds: int
    headers: Callable[[Quota], dict]
    refused_headers: Callable[[Quota], dict] = lambda quota: {"Retry-After": str(quota.reset)}


@dataclass(frozen=True)
class Vendor:
    name: str
    mount: str  # e.g. "/merge/api"
    blueprint: Blueprint
    authenticate: Callable[[Request], Account]
    envelope: Callable[[errors.ApiError], dict]  # the vendor's error body for an error
    describe: Callable[[Credential], dict]  # how a client sends this credential: headers, query
    rate_limit: RateLimit | None = None


def sandbox():
    """The running sandbox (store, accounts, clock, caches) of the current app."""
    return current_app.extensions["sandbox"]


def rendered(vendor: str, world, rows, variant: tuple, render: Callable) -> bytes:
    """Stored interviews in one vendor variant, comma-joined: each rendered once per version and
    then kept (DESIGN principle 5). `render(interview)` returns the vendor's dict. Rows read
    without their data are completed from the store when a copy is missing."""
    sb = sandbox()
    get, store = sb.cache.get, sb.store
    head = (vendor, world.key, world.version)

    def miss(row) -> bytes:
        full = row if row.data is not None else store.interview(world.key, row.id)
        return orjson.dumps(render(full.interview()))

    return b",".join(get((*head, row.id, row.version, variant), lambda row=row: miss(row)) for row in rows)


def kept(world_key: str, build: Callable) -> bytes:
    """A read's answer for this path and query string, built once while the world stands still.

    The key is the request itself plus the world's versions: any interview written in the world
    moves `changes`, so a kept answer is never stale. `build(world)` gets the world it was keyed
    on. Only successful bodies are kept; an error raised by `build` is not."""
    sb = sandbox()
    world, changes = sb.store.snapshot(world_key)
    key = (request.path, request.query_string, world_key, world.version, changes)
    return sb.answers.get(key, lambda: build(world))


def json_response(body: bytes | dict | list, status: int = 200, headers: dict | None = None) -> Response:
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
    return Response(body, status=status, headers=headers, content_type="application/json")


class Journal:
    """The last `maxlen` requests this process answered (WireMock's request journal, capped)."""

    def __init__(self, maxlen: int = 1000):
        self.entries: deque[dict] = deque(maxlen=maxlen)

    def record(self, entry: dict) -> None:
        self.entries.append(entry)


_HTTP_MESSAGES = {404: "Not found.", 413: "Request body is too large.", 400: "Bad request."}


def install(app: Flask, vendors: list[Vendor]) -> None:
    by_blueprint: dict[str, Vendor] = {}
    for vendor in vendors:
        app.register_blueprint(vendor.blueprint, url_prefix=vendor.mount)
        by_blueprint[vendor.blueprint.name] = vendor
    if len(vendors) == 1:  # a sandbox for one vendor also answers at the root
        only = vendors[0]
        app.register_blueprint(only.blueprint, url_prefix="", name=f"{only.name}_root")
        by_blueprint[f"{only.name}_root"] = only

    def vendor_of(req: Request) -> Vendor | None:
        if req.blueprint in by_blueprint:
            return by_blueprint[req.blueprint]
        for vendor in vendors:
            if req.path == vendor.mount or req.path.startswith(vendor.mount + "/"):
                return vendor
        if len(vendors) == 1 and not req.path.startswith("/_sandbox"):
            return vendors[0]
        return None

    sb = app.extensions["sandbox"]
    worker = [("X-Sandbox-Worker", "")]  # which worker answered; set per process, as workers fork

    # The hooks read `request` and `g` once each: every access through Flask's proxies costs a
    # lookup, and these run on every request.
    @app.before_request
    def start():
        req, ctx = request._get_current_object(), g._get_current_object()
        ctx.started = time.perf_counter()
        vendor = ctx.vendor = vendor_of(req)
        if vendor is None or req.url_rule is None:
            return
        account = ctx.account = vendor.authenticate(req)
        if vendor.rate_limit is not None:
            c = account.credential
            limit = c.rate_limit or sb.settings.rate_limit or vendor.rate_limit.limit
            quota = ctx.quota = sb.limits.hit(account.key, limit, vendor.rate_limit.seconds, time.time())
            if quota.exceeded:
                raise errors.RateLimited("Rate limit exceeded", headers=vendor.rate_limit.refused_headers(quota))
        status = sb.limits.take_fault(vendor.name, account.world)
        if status is not None:
            cls = errors.BY_STATUS.get(status, errors.InternalError)
            raise cls(f"Injected fault: this request was answered with {status} by the sandbox.",
                      headers={"Retry-After": "1"} if status == 429 else None)

    @app.after_request
    def record(response: Response) -> Response:
        req, ctx = request._get_current_object(), g._get_current_object()
        vendor, account = getattr(ctx, "vendor", None), getattr(ctx, "account", None)
        started = getattr(ctx, "started", None)
        sb.journal.record({
            "at": time.time(), "vendor": vendor.name if vendor else None, "world": account.world if account else None,
            "method": req.method, "path": req.full_path.rstrip("?"), "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        })
        quota = getattr(ctx, "quota", None)
        if quota is not None:
            response.headers.extend(vendor.rate_limit.headers(quota).items())
        if worker[0][1] != str(os.getpid()):
            worker[0] = ("X-Sandbox-Worker", str(os.getpid()))
        response.headers.extend(worker)
        return response

    @app.errorhandler(Exception)
    def render_error(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            cls = errors.BY_STATUS.get(exc.code or 500, errors.InternalError)
            message = _HTTP_MESSAGES.get(exc.code, exc.description or exc.name)
            if exc.code == 405:
                message = f'Method "{request.method}" not allowed.'
            exc = cls(message)
            exc.routing = True
        elif not isinstance(exc, errors.ApiError):
            log.exception("unhandled error on %s %s", request.method, request.path)
            exc = errors.InternalError("Internal server error.")
        vendor = getattr(g, "vendor", None) or vendor_of(request)
        body = vendor.envelope(exc) if vendor else {"error": exc.message}
        return json_response(body, exc.status, exc.headers)
