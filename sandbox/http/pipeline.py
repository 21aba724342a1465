"""The one path every vendor request takes, top to bottom (DESIGN principle 2):

    authenticate -> count against the rate limit -> apply an injected fault
        -> the endpoint's handler -> journal and headers -> errors, in the vendor's envelope

A vendor declares what it is (`Vendor`): its endpoints, how it authenticates, how its errors look,
its rate limit. Everything else lives here once. A vendor package holds no state.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.accounts import Account
from sandbox.control.connections import EMPTY
from sandbox.fixtures import Credential
from sandbox.http import errors
from sandbox.http.context import json_response, sandbox
from sandbox.http.endpoints import Endpoint, blueprint
from sandbox.http.limits import Quota

log = logging.getLogger("sandbox")


@dataclass(frozen=True)
class RateLimit:
    """`limit` requests per `seconds` per credential (a credential's `rate_limit` in the fixtures
    overrides `limit`), the headers that tell a client where it stands, and those a 429 adds."""

    limit: int
    seconds: int
    headers: Callable[[Quota], dict]
    refused_headers: Callable[[Quota], dict] = lambda quota: {"Retry-After": str(quota.reset)}


@dataclass(frozen=True)
class Vendor:
    name: str
    mount: str  # e.g. "/merge/api"
    credential_fields: tuple[str, ...]  # what its credentials in the fixtures carry
    endpoints: tuple[Endpoint, ...]
    authenticate: Callable[[Request], Account]
    envelope: Callable[[errors.ApiError], dict]  # the vendor's error body
    describe: Callable[[Credential], dict]  # how a client sends a credential: headers, query
    rate_limit: RateLimit | None = None
    invalid_status: int = 400  # the status of a query string that fails validation (FastAPI: 422)
    # how a credential out of order answers, by connection state: the error it raises, or EMPTY
    # (lists empty, gets not found); a state not named here reads as healthy
    states: dict[str, Callable[[], errors.ApiError] | str] = field(default_factory=dict)


class Journal:
    """The last `maxlen` requests this process answered (WireMock's request journal, capped)."""

    def __init__(self, maxlen: int = 1000):
        self.entries: deque[dict] = deque(maxlen=maxlen)

    def record(self, entry: dict) -> None:
        self.entries.append(entry)


def install(app: Flask, vendors: list[Vendor]) -> None:
    """Mount each vendor's endpoints under its prefix (and at the root when it is the only one)."""
    mounts = [(f"{v.mount}/", v) for v in vendors]
    for vendor in vendors:
        app.register_blueprint(blueprint(vendor.name, vendor.endpoints), url_prefix=vendor.mount)
    only = vendors[0] if len(vendors) == 1 else None
    if only is not None:
        app.register_blueprint(blueprint(f"{only.name}_root", only.endpoints), url_prefix="")

    def vendor_of(path: str) -> Vendor | None:
        for prefix, vendor in mounts:
            if path.startswith(prefix) or path == prefix[:-1]:
                return vendor
        return only if only is not None and not path.startswith("/_sandbox") else None

    app.extensions["sandbox"].vendor_of = vendor_of
    # endpoints that answer whatever the connection's state (an integration's own status, say)
    app.extensions["sandbox"].any_state = {f"{name}.{e.view().__name__}" for v in vendors
                                           for name in (v.name, f"{v.name}_root")
                                           for e in v.endpoints if getattr(e, "any_state", False)}
    app.before_request(begin)
    app.after_request(finish)
    app.register_error_handler(Exception, render_error)


# The hooks read `request` and `g` once each: every access through Flask's proxies costs a lookup,
# and these run on every request.

def begin() -> None:
    req, ctx, sb = request._get_current_object(), g._get_current_object(), sandbox()
    ctx.started, ctx.sb = time.perf_counter(), sb  # handlers take the sandbox from here: one lookup
    vendor = ctx.vendor = sb.vendor_of(req.path)
    if vendor is None or req.url_rule is None:
        return  # not a vendor's path, or no such route: the error handler answers
    # 1. Who is asking: the vendor's own credentials, refused in its own words; and how the
    #    connection stands (a test may have put it out of order).
    account = ctx.account = vendor.authenticate(req)
    state = sb.connections.state(account.credential)
    if state != "healthy" and state in vendor.states and req.url_rule.endpoint not in sb.any_state:
        effect = vendor.states[state]
        if effect != EMPTY:
            raise effect()
        ctx.empty = True
    # A credential with a sync cadence reads the world as of its last sync.
    ctx.horizon = sb.syncs.horizon(account.credential) if account.credential.sync_interval else None
    # 2. The rate limit, counted per credential across every worker.
    if vendor.rate_limit is not None:
        ctx.quota = count_request(sb, vendor, account)
        if ctx.quota.exceeded:
            raise errors.RateLimited("Rate limit exceeded", headers=vendor.rate_limit.refused_headers(ctx.quota))
    # 3. A fault a test asked for answers instead of the endpoint.
    apply_fault(sb, vendor, account)


def count_request(sb, vendor: Vendor, account: Account) -> Quota:
    limit = account.credential.rate_limit or sb.settings.rate_limit or vendor.rate_limit.limit
    return sb.limits.hit(account.key, limit, vendor.rate_limit.seconds, time.time())


def apply_fault(sb, vendor: Vendor, account: Account) -> None:
    status = sb.limits.take_fault(vendor.name, account.world)
    if status is not None:
        cls = errors.BY_STATUS.get(status, errors.InternalError)
        raise cls(f"Injected fault: this request was answered with {status} by the sandbox.",
                  headers={"Retry-After": "1"} if status == 429 else None)


_WORKER = [("X-Sandbox-Worker", "")]  # which worker answered; set per process, as workers fork


def finish(response: Response) -> Response:
    """4. The journal entry, the rate-limit headers, and which worker answered."""
    req, ctx = request._get_current_object(), g._get_current_object()
    sb = getattr(ctx, "sb", None) or sandbox()
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
    if _WORKER[0][1] != str(os.getpid()):
        _WORKER[0] = ("X-Sandbox-Worker", str(os.getpid()))
    response.headers.extend(_WORKER)
    return response


_HTTP_MESSAGES = {404: "Not found.", 413: "Request body is too large.", 400: "Bad request."}


def render_error(exc: Exception) -> Response:
    """5. Every error in the vendor's envelope and status: never HTML, never a traceback."""
    if isinstance(exc, HTTPException):  # routing: no such path or method, a body too large
        cls = errors.BY_STATUS.get(exc.code or 500, errors.InternalError)
        message = _HTTP_MESSAGES.get(exc.code, exc.description or exc.name)
        if exc.code == 405:
            message = f'Method "{request.method}" not allowed.'
        exc = cls(message)
        exc.routing = True
    elif not isinstance(exc, errors.ApiError):
        log.exception("unhandled error on %s %s", request.method, request.path)
        exc = errors.InternalError("Internal server error.")
    vendor = getattr(g, "vendor", None) or sandbox().vendor_of(request.path)
    if vendor is None:
        return json_response({"error": exc.message}, exc.status, exc.headers)
    status = vendor.invalid_status if isinstance(exc, errors.BadRequest) and exc.invalid_query else exc.status
    return json_response(vendor.envelope(exc), status, exc.headers)
