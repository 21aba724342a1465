"""The one path every vendor request takes, top to bottom (DESIGN principle 2):

    a client past its failure limit -> authenticate -> how the connection stands -> requests in flight -> the rate limit
        -> a fault a test asked for -> the endpoint's handler
        -> what the fault does to the answer -> headers and the journal -> errors, in the vendor's envelope

A read the path has answered with a kept answer is answered again, before routing, while that
answer holds and nothing else would shape it (`replay`): the rate limit, headers and journal as above.

A vendor declares what it is (`Vendor`): its endpoints, how it authenticates, how its errors look,
its limits. Everything else lives here once. A vendor package holds no state; what every worker
must see (counters, fault rules, the journal) lives in the store.
"""

from __future__ import annotations

import hmac
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import orjson
from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.accounts import Account
from sandbox.control.connections import EMPTY
from sandbox.control.faults import Fault, parse_header
from sandbox.control.journal import request_body
from sandbox.control.webhooks import Hooks
from sandbox.fixtures import Credential
from sandbox.http import connection, drift, errors, replay as replays
from sandbox.http.context import json_response, sandbox
from sandbox.http.endpoints import Coverage, Endpoint, blueprint

log = logging.getLogger("sandbox")


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again
    window: int  # its length in seconds

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


@dataclass(frozen=True)
class RateLimit:
    """Requests per `seconds` per credential. The number is the credential's `rate_limit` in the
    fixtures, else `--rate-limit`, else the documented one (`limit`, or by the credential's `plan`);
    a vendor that publishes none (`limit` None) counts only when one is configured. `headers` tell a
    client where it stands: while nothing counts, an injected 429's show `shown` (the vendor's docs'
    example), and a vendor that always sends them (`always`) shows it, unspent, on every answer."""

    seconds: int
    headers: Callable[[Quota], dict]
    limit: int | None = None
    plans: dict[str, int] = field(default_factory=dict)
    refused_headers: Callable[[Quota], dict] = lambda quota: {"Retry-After": str(quota.reset)}
    retry_after: bool = True  # whether its 429 says when to retry (an injected one says: in a second)
    message: str = "Rate limit exceeded"
    shown: int | None = None
    always: bool = False

    def limit_of(self, credential: Credential, configured: int | None) -> int | None:
        return credential.rate_limit or configured or self.plans.get(credential.plan) or self.limit


@dataclass(frozen=True)
class Concurrency:
    """At most `limit` requests of `methods` in flight per credential, across every worker."""

    limit: int
    methods: frozenset[str]
    refused: Callable[[], errors.ApiError]
    headers: Callable[[int], dict]  # (requests the credential may still start) -> headers


@dataclass(frozen=True)
class FailureLimit:
    """More than `failures` failed answers (4xx/5xx but 429) to one client address in `seconds`, and
    it is refused for the rest of the window (on with `--failure-limit`)."""

    failures: int
    seconds: int
    refused: Callable[[], errors.ApiError]


@dataclass(frozen=True)
class Vendor:
    name: str
    mount: str  # e.g. "/merge/api"
    credential_fields: tuple[str, ...]  # what its credentials in the fixtures carry
    endpoints: tuple[Endpoint, ...]
    # the account a request's credentials name, or the vendor's refusal; it may read only the headers
    # and query parameters `describe` names, and the route (what it makes of them is kept)
    authenticate: Callable[[Request], Account]
    envelope: Callable[[errors.ApiError], dict]  # the vendor's error body
    describe: Callable[[Credential], dict]  # how a client sends a credential: headers, query
    rate_limit: RateLimit | None = None
    invalid_status: int = 400  # the status of a query string that fails validation (FastAPI: 422)
    # how a credential out of order answers, by connection state: the error it raises, or EMPTY
    # (lists empty, gets not found); a state not named here reads as healthy
    states: dict[str, Callable[[], errors.ApiError] | str] = field(default_factory=dict)
    concurrency: Concurrency | None = None
    failure_limit: FailureLimit | None = None
    drift: drift.Drift = drift.Drift()  # the fields a drifted answer changes
    webhooks: Hooks | None = None  # the events it sends, signed its way (control/webhooks.py)
    coverage: Coverage | None = None  # the platforms it serves each kind of record for; None: every one

    def coverage_points(self):
        """(method, path, declared query parameters) of each endpoint, for the coverage report."""
        for e in self.endpoints:
            args = getattr(e, "args", None)
            declared = [f.data_key or name for name, f in args.fields.items()] if args is not None else []
            for method in e.methods:
                yield method, e.path, declared


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
    app.extensions["sandbox"].credential_inputs = {v.name: credential_inputs(v, app.extensions["sandbox"].fixtures)
                                                   for v in vendors}
    # endpoints that answer whatever the connection's state (an integration's own status, say)
    app.extensions["sandbox"].any_state = {f"{name}.{e.view().__name__}" for v in vendors
                                           for name in (v.name, f"{v.name}_root")
                                           for e in v.endpoints if getattr(e, "any_state", False)}
    # each vendor's OpenAPI document, open to all like the vendors' own
    app.add_url_rule("/<vendor>/openapi.json", endpoint="openapi", view_func=openapi_document)
    app.before_request(begin)
    app.after_request(finish)
    app.teardown_request(end)
    app.register_error_handler(Exception, render_error)


_DOCUMENTING = threading.Lock()


def openapi_document(vendor: str):
    from sandbox import openapi

    sb = sandbox()
    served = sb.accounts.vendors.get(vendor)
    if served is None:
        raise errors.NotFound(f"No vendor {vendor!r} is served here; these are: {', '.join(sorted(sb.accounts.vendors))}.")
    with _DOCUMENTING:  # sampled once per process (a scratch sandbox: a few seconds), not once per request
        if vendor not in sb.documents:
            sb.documents[vendor] = orjson.dumps(openapi.document(served))
    return json_response(sb.documents[vendor])


def credential_inputs(vendor: Vendor, fixtures) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where a request carries the vendor's credentials: the WSGI keys of its headers, and its query
    parameters (as the vendor describes how to send them)."""
    headers, query = {"HTTP_AUTHORIZATION"}, set()
    for c in fixtures.credentials:
        if c.vendor == vendor.name:
            sent = vendor.describe(c)
            headers |= {"HTTP_" + h.upper().replace("-", "_") for h in sent["headers"]}
            query |= set(sent["query"])
    return tuple(sorted(headers)), tuple(sorted(query))


def replay(sb, environ, start_response):
    """0. The same read again (http/replay.py), answered from its kept answer while it holds, as a
    WSGI answer; None sends the request the whole way. Whatever else could shape the answer does
    that: a fault rule or header, a connection not healthy or reading a past sync, the failure
    limit, reads counted in flight, a body, the rate limit reached (counted here, refused there).
    What every request costs, this one pays too: its count, its headers, its journal entry."""
    if environ["REQUEST_METHOD"] != "GET" or not sb.replays:
        return None
    vendor = sb.vendor_of(environ.get("PATH_INFO", ""))
    kept = sb.replays.get(replays.request_key(sb, vendor, environ)) if vendor is not None else None
    if kept is None or environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ \
            or "HTTP_X_SANDBOX_FAULT" in environ:
        return None
    started, store, account = time.perf_counter(), sb.store, kept.account
    try:
        store.pin()  # one look at whether the store changed, as `begin` takes
        credential = account.credential
        if sb.faults.rules() or credential.sync_interval or sb.connections.state(credential) != "healthy" \
                or (vendor.failure_limit is not None and sb.settings.failure_limit) \
                or (vendor.concurrency is not None and "GET" in vendor.concurrency.methods) \
                or store.snapshot(kept.world).stamp != kept.stamp \
                or (kept.date is not None and sb.clock.now().date() != kept.date):
            return None
        body = sb.response_cache.peek(kept.answer)
        if body is None:
            return None
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), worker_header()]
        rate = vendor.rate_limit
        quota = count_request(sb, rate, account) if rate is not None else None
        if quota is not None:
            if quota.exceeded:
                environ[replays.COUNTED] = quota
                return None
            headers += rate.headers(quota).items()
        sb.journal.add((time.time(), vendor, credential.id, kept.world, environ, None, kept.rule, 200, len(body),
                        (time.perf_counter() - started) * 1000, None, os.getpid()))
    except Exception:  # noqa: BLE001 - a store that fails (before the count): the whole way answers, in the vendor's envelope
        return None
    finally:
        store.unpin()
    start_response("200 OK", headers)
    return [body]


# The hooks read `request` and `g` once each: every access through Flask's proxies costs a lookup,
# and these run on every request.

NOT_A_VENDORS = frozenset({"openapi", "web.index", "web.login", "web.static"})  # whatever path they have


def begin() -> None:
    req, ctx, sb = request._get_current_object(), g._get_current_object(), sandbox()
    ctx.started, ctx.sb = time.perf_counter(), sb
    sb.store.pin()  # one look at whether the store changed, for the whole request
    vendor = ctx.vendor = sb.vendor_of(req.path) if req.endpoint not in NOT_A_VENDORS else None
    if vendor is None or req.url_rule is None:
        return  # not a vendor's path, or no such route: the error handler answers
    # 0. A client address past the vendor's failure limit is refused before anything is read.
    if vendor.failure_limit is not None and sb.settings.failure_limit:
        refuse_failing_client(sb, vendor, req)
    # 1. Who is asking: the vendor's own credentials, refused in its own words; and how the
    #    connection stands (a test may have put it out of order).
    account = ctx.account = authenticate(sb, vendor, req)
    credential = account.credential
    state = sb.connections.state(credential)
    if state != "healthy" and state in vendor.states and req.url_rule.endpoint not in sb.any_state:
        effect = vendor.states[state]
        if effect != EMPTY:
            raise effect()
        ctx.empty = True
    # A credential with a sync cadence reads the world as of its last sync.
    ctx.horizon = sb.syncs.horizon(credential) if credential.sync_interval else None
    # 2. Requests in flight (Kombo's writes), counted per credential across every worker.
    if vendor.concurrency is not None and req.method in vendor.concurrency.methods:
        admit(sb, vendor.concurrency, credential, ctx)
    # 3. The rate limit, counted per credential across every worker (once: `replay` may have counted it).
    rate = vendor.rate_limit
    if rate is not None:
        quota = req.environ.pop(replays.COUNTED, None) or count_request(sb, rate, account)
        if quota is not None:
            ctx.rate_headers = rate.headers(quota)
            if quota.exceeded:
                raise errors.RateLimited(rate.message, headers=rate.refused_headers(quota))
    # 4. A fault a test asked for: in this request's header, or by a rule that matches it.
    header = req.environ.get("HTTP_X_SANDBOX_FAULT")
    if header and sb.settings.admin_token and not hmac.compare_digest(
            req.environ.get("HTTP_X_SANDBOX_TOKEN", "").encode(), sb.settings.admin_token.encode()):
        raise errors.Forbidden("X-Sandbox-Fault: with an admin token set, send it too, as X-Sandbox-Token.")
    try:
        fault = parse_header(header) if header else sb.faults.due(
            vendor.name, vendor.mount, credential.id, account.world, req.method, req.path)
    except ValueError as exc:
        raise errors.BadRequest(f"X-Sandbox-Fault: {exc}") from None
    if fault is not None:
        ctx.fault = fault
        apply_fault(fault, vendor, ctx, req.environ)


def authenticate(sb, vendor: Vendor, req: Request) -> Account:
    """The vendor's own authentication, kept for the inputs a credential is sent in (and the route,
    as some routes need less): clients send the same few over and over, and accounts never change."""
    headers, query = sb.credential_inputs[vendor.name]
    environ = req.environ
    key = (vendor.name, req.url_rule.rule, *(environ.get(h) for h in headers),
           *((req.args.get(q) for q in query) if query else ()))
    seen = sb.authenticated
    account = seen.get(key)
    if account is None:
        account = vendor.authenticate(req)  # a refusal raises, and is not kept
        if len(seen) >= 4096:
            seen.clear()
        seen[key] = account
    return account


def refuse_failing_client(sb, vendor: Vendor, req: Request) -> None:
    limit = vendor.failure_limit
    if sb.store.count(f"failures:{vendor.name}:{req.remote_addr}", window_end(limit.seconds), 0) > limit.failures:
        raise limit.refused()


def window_end(seconds: int, now: float | None = None) -> int:
    """The end (unix seconds) of the fixed window of `seconds` that holds `now`."""
    return (int(time.time() if now is None else now) // seconds + 1) * seconds


def admit(sb, concurrency: Concurrency, credential: Credential, ctx) -> None:
    key = f"in-flight:{credential.id}"
    running = sb.store.tally(key, 1)
    if running > concurrency.limit:
        sb.store.tally(key, -1)
        error = concurrency.refused()
        error.headers = {**error.headers, **concurrency.headers(0)}
        raise error
    ctx.in_flight, ctx.flight_headers = key, concurrency.headers(concurrency.limit - running)


def count_request(sb, rate: RateLimit, account: Account) -> Quota | None:
    """This request counted against its credential's limit: where it stands after (a vendor that
    always shows its limit, with nothing counting: its documented one, unspent), or None."""
    now = time.time()
    limit = rate.limit_of(account.credential, sb.settings.rate_limit)
    if limit is None:  # nothing counts: the vendor publishes no number and none was configured
        return Quota(rate.shown, rate.shown, rate.seconds - int(now) % rate.seconds, rate.seconds) if rate.always else None
    end = window_end(rate.seconds, now)
    used = sb.store.count(account.key, end)
    return Quota(limit, limit - used, end - int(now), rate.seconds)


def apply_fault(fault: Fault, vendor: Vendor, ctx, environ) -> None:
    """What a fault does before the handler: wait, answer with its status, or drop the connection."""
    if fault.latency is not None:
        time.sleep(random.uniform(*fault.latency) / 1000)
    if fault.status is not None:
        error = errors.of_status(fault.status, f"Injected fault: this request was answered with {fault.status} "
                                               "by the sandbox.")
        if fault.status == 429:
            error.headers = refused_by_fault(vendor, ctx)
        elif fault.status == 503:
            error.headers = {"Retry-After": "1"}
        raise error
    if fault.action in ("reset", "empty"):
        connection.drop(environ, fault.action)
        ctx.dropped = True
        raise errors.ApiError("the connection was dropped")  # answered to no one


def refused_by_fault(vendor: Vendor, ctx) -> dict:
    """A 429 as the vendor's own limit would answer it, but due again in a second: its rate headers
    (where a limit counts, or the vendor always sends them) and its Retry-After, if it sends one."""
    rate = vendor.rate_limit
    if rate is None:
        return {"Retry-After": "1"}
    limit = rate.limit_of(ctx.account.credential, ctx.sb.settings.rate_limit) or rate.shown
    headers = rate.headers(Quota(limit, 0, 1, rate.seconds)) if limit else {}
    ctx.rate_headers = None  # these replace the ones counted for this request
    return {**headers, "Retry-After": "1"} if rate.retry_after else headers


_WORKER = [("X-Sandbox-Worker", "")]  # which worker answered; set per process, as workers fork


def worker_header() -> tuple[str, str]:
    if _WORKER[0][1] != str(os.getpid()):
        _WORKER[0] = ("X-Sandbox-Worker", str(os.getpid()))
    return _WORKER[0]


def finish(response: Response) -> Response:
    """5. What a fault does to the answer, the limits' headers, the journal entry, and which
    worker answered."""
    req, ctx = request._get_current_object(), g._get_current_object()
    sb = getattr(ctx, "sb", None) or sandbox()
    vendor, account = getattr(ctx, "vendor", None), getattr(ctx, "account", None)
    fault = getattr(ctx, "fault", None)
    if fault is not None:
        response = shape(fault, vendor, response, req.environ)
    headers = [worker_header()]  # added in one call: each call costs more than a header
    if getattr(ctx, "in_flight", None) is not None:
        headers += ctx.flight_headers.items()
    rate_headers = getattr(ctx, "rate_headers", None)
    if rate_headers:
        headers += rate_headers.items()
    response.headers.extend(headers)
    status = response.status_code
    if vendor is not None and vendor.failure_limit is not None and sb.settings.failure_limit \
            and status >= 400 and status != 429 and fault is None:  # an injected failure is no client's
        sb.store.count(f"failures:{vendor.name}:{req.remote_addr}", window_end(vendor.failure_limit.seconds))
    if not req.path.startswith("/_sandbox/") and req.path != "/":  # (the dashboard's page is not traffic)
        rule = req.url_rule
        sb.journal.add((time.time(), vendor, account.credential.id if account else None,
                        account.world if account else None, req.environ,
                        request_body(req), rule.rule if rule is not None else None,
                        None if getattr(ctx, "dropped", False) else status, response.content_length,
                        (time.perf_counter() - ctx.started) * 1000 if hasattr(ctx, "started") else None,
                        fault.label if fault is not None else None, os.getpid()))
    return response


def shape(fault: Fault, vendor: Vendor, response: Response, environ) -> Response:
    """A drifted answer (a successful JSON one), or one cut short; either names its fault."""
    response.headers["X-Sandbox-Fault"] = fault.label
    if fault.action == "drift" and response.status_code < 300 and response.mimetype == "application/json":
        response.set_data(drift.apply(response.get_data(), vendor.drift, fault.drift))
    elif fault.action == "truncate":
        body = response.get_data()
        response.response = connection.truncated(environ, body)
        response.headers["Content-Length"] = str(len(body))
    return response


def end(exc: BaseException | None) -> None:
    """Whatever happened: the request's write leaves the count in flight (once), and the thread
    reads the store afresh from now on."""
    sb, ctx = sandbox(), g._get_current_object()
    key = ctx.pop("in_flight", None)
    try:
        if key is not None:
            sb.store.tally(key, -1)
    finally:
        sb.store.unpin()


_HTTP_MESSAGES = {404: "Not found.", 413: "Request body is too large.", 400: "Bad request."}


def render_error(exc: Exception) -> Response:
    """6. Every error in the vendor's envelope and status: never HTML, never a traceback."""
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
