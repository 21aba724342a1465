"""The one path every vendor request takes, top to bottom (DESIGN principles 2 and 11), as Flask
hooks around the endpoint's handler:

    begin:  the request's Call -> a client past its failure limit -> authenticate -> how the
            connection stands -> requests in flight -> the rate limit -> a fault a test asked for
    the endpoint's handler (http/endpoints.py): parse -> the answer, from the response cache while
            the world's versions say it holds, else read, render and keep
    finish: what the fault does to the answer -> the limits' headers -> the journal entry
    end:    the request leaves the in-flight count and the store's pin
    render_error: every error, in the vendor's envelope

A vendor declares what it is (http/vendor.py); everything else lives here once. A vendor package
holds no state; what every worker must see (counters, fault rules, the journal) lives in the store.
"""

from __future__ import annotations

import hmac
import logging
import os
import random
import time

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.accounts import Account
from sandbox.control.connections import EMPTY
from sandbox.control.faults import Fault, parse_header
from sandbox.control.journal import Sent, request_body
from sandbox.http import connection, drift, errors
from sandbox.http.call import Call
from sandbox.http.context import json_response, sandbox
from sandbox.http.endpoints import blueprint
from sandbox.http.limits import Quota
from sandbox.http.vendor import Vendor

log = logging.getLogger("sandbox")


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

    sb = app.extensions["sandbox"]
    sb.vendor_of = vendor_of
    sb.credential_inputs = {v.name: credential_inputs(v, sb.fixtures) for v in vendors}
    # endpoints that answer whatever the connection's state (an integration's own status, say)
    sb.any_state = {f"{name}.{e.view().__name__}" for v in vendors for name in (v.name, f"{v.name}_root")
                    for e in v.endpoints if getattr(e, "any_state", False)}
    app.before_request(begin)
    app.after_request(finish)
    app.teardown_request(end)
    app.register_error_handler(Exception, render_error)


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


# The hooks read `request` and `g` once each: every access through Flask's proxies costs a lookup,
# and these run on every request.

NOT_A_VENDORS = frozenset({"openapi", "web.index", "web.login", "web.static"})  # whatever path they have


def begin() -> None:
    req, sb = request._get_current_object(), sandbox()
    vendor = sb.vendor_of(req.path) if req.endpoint not in NOT_A_VENDORS else None
    call = g.call = Call(sb, vendor, time.perf_counter())
    sb.store.pin()  # one look at whether the store changed, for the whole request
    if vendor is None or req.url_rule is None:
        return  # not a vendor's path, or no such route: the error handler answers
    # 1. A client address past the vendor's failure limit is refused before anything is read.
    if vendor.failure_limit is not None and sb.settings.failure_limit:
        vendor.failure_limit.refuse_past(sb.store, vendor.name, req.remote_addr)
    # 2. Who is asking: the vendor's own credentials, refused in its own words.
    account = call.account = authenticate(sb, vendor, req)
    credential = account.credential
    # 3. How the connection stands: a test may have put it out of order.
    state = sb.connections.state(credential)
    if state != "healthy" and state in vendor.states and req.url_rule.endpoint not in sb.any_state:
        effect = vendor.states[state]
        if effect != EMPTY:
            raise effect()
        call.empty = True
    # A credential with a sync cadence reads the world as of its last sync.
    call.horizon = sb.syncs.horizon(credential) if credential.sync_interval else None
    # 4. Requests in flight (Kombo's writes), counted per credential across every worker.
    if vendor.concurrency is not None and req.method in vendor.concurrency.methods:
        call.in_flight, call.flight_headers = vendor.concurrency.admit(sb.store, credential)
    # 5. The rate limit, counted per credential across every worker.
    rate = vendor.rate_limit
    if rate is not None:
        quota = rate.count(sb.store, account, sb.settings.rate_limit)
        if quota is not None:
            call.rate_headers = rate.headers(quota)
            if quota.exceeded:
                raise errors.RateLimited(rate.message, headers=rate.refused_headers(quota))
    # 6. A fault a test asked for: in this request's header, or by a rule that matches it.
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
        call.fault = fault
        apply_fault(fault, call, req.environ)
    # 7. The endpoint's handler runs next.


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


def apply_fault(fault: Fault, call: Call, environ) -> None:
    """What a fault does before the handler: wait, answer with its status, or drop the connection."""
    if fault.latency is not None:
        time.sleep(random.uniform(*fault.latency) / 1000)
    if fault.status is not None:
        error = errors.of_status(fault.status, f"Injected fault: this request was answered with {fault.status} "
                                               "by the sandbox.")
        if fault.status == 429:
            error.headers = refused_by_fault(call)
        elif fault.status == 503:
            error.headers = {"Retry-After": "1"}
        raise error
    if fault.action in ("reset", "empty"):
        connection.drop(environ, fault.action)
        call.dropped = True
        raise errors.ApiError("the connection was dropped")  # answered to no one


def refused_by_fault(call: Call) -> dict:
    """A 429 as the vendor's own limit would answer it, but due again in a second: its rate headers
    (where a limit counts, or the vendor always sends them) and its Retry-After, if it sends one."""
    rate = call.vendor.rate_limit
    if rate is None:
        return {"Retry-After": "1"}
    limit = rate.limit_of(call.account.credential, call.sb.settings.rate_limit) or rate.shown
    headers = rate.headers(Quota(limit, 0, 1, rate.seconds)) if limit else {}
    call.rate_headers = None  # these replace the ones counted for this request
    return {**headers, "Retry-After": "1"} if rate.retry_after else headers


_WORKER = [("X-Sandbox-Worker", "")]  # which worker answered; set per process, as workers fork


def worker_header() -> tuple[str, str]:
    if _WORKER[0][1] != str(os.getpid()):
        _WORKER[0] = ("X-Sandbox-Worker", str(os.getpid()))
    return _WORKER[0]


def finish(response: Response) -> Response:
    """8. What a fault does to the answer, the limits' headers, which worker answered, and the
    journal entry."""
    req, call = request._get_current_object(), g.get("call")
    if call is None:  # (Flask answered before `begin` ran)
        return response
    sb, vendor, account, fault = call.sb, call.vendor, call.account, call.fault
    if fault is not None:
        response = shape(fault, vendor, response, req.environ)
    headers = [worker_header(), *call.flight_headers.items()]  # added in one call: each costs more than a header
    if call.rate_headers:
        headers += call.rate_headers.items()
    response.headers.extend(headers)
    status = response.status_code
    if vendor is not None and vendor.failure_limit is not None and sb.settings.failure_limit \
            and status >= 400 and status != 429 and fault is None:  # an injected failure is no client's
        vendor.failure_limit.count(sb.store, vendor.name, req.remote_addr)
    if not req.path.startswith("/_sandbox/") and req.path != "/":  # (the dashboard's page is not traffic)
        rule = req.url_rule
        sb.journal.add(Sent(time.time(), vendor, account.credential.id if account else None,
                            account.world if account else None, req.environ, request_body(req),
                            rule.rule if rule is not None else None, None if call.dropped else status,
                            response.content_length, (time.perf_counter() - call.started) * 1000,
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
    """9. Whatever happened: the request's write leaves the count in flight (once), and the thread
    reads the store afresh from now on."""
    call = g.pop("call", None)
    if call is None:  # (Flask answered before `begin` ran)
        return
    try:
        if call.in_flight is not None:
            call.sb.store.tally(call.in_flight, -1)
            call.in_flight = None
    finally:
        call.sb.store.unpin()


_HTTP_MESSAGES = {404: "Not found.", 413: "Request body is too large.", 400: "Bad request."}


def render_error(exc: Exception) -> Response:
    """Every error in the vendor's envelope and status: never HTML, never a traceback."""
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
    call = g.get("call")
    vendor = call.vendor if call is not None and call.vendor is not None else sandbox().vendor_of(request.path)
    if vendor is None:
        return json_response({"error": exc.message}, exc.status, exc.headers)
    status = vendor.invalid_status if isinstance(exc, errors.BadRequest) and exc.invalid_query else exc.status
    return json_response(vendor.envelope(exc), status, exc.headers)
