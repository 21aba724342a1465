"""create_app(settings): the one place that wires the parts together."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Callable

import orjson
from flask import Flask

from sandbox import fixtures as fixtures_mod
from sandbox import openapi, web
from sandbox.accounts import Accounts
from sandbox.admin.routes import bp as admin
from sandbox.control.clock import KEY as CLOCK, Clock
from sandbox.control.connections import Connections
from sandbox.control.faults import Faults
from sandbox.control.journal import Journal
from sandbox.control.syncs import Syncs
from sandbox.control.webhooks import Webhooks
from sandbox.fixtures import FixtureError, Fixtures
from sandbox.http import body, connection, errors, pipeline
from sandbox.http.cache import BoundedCache
from sandbox.settings import Settings
from sandbox.vendors import credential_fields, registry
from sandbox.world.generate import generate
from sandbox.world.store import Store, open_store

MAX_BODY = 1024 * 1024  # a larger body gets the vendor's 413
MAX_TARGET = 8190  # a longer request target (path and query) gets the vendor's 414, a longer header its 431


@dataclass
class Sandbox:
    """Everything a request may need, hung on the app as `app.extensions["sandbox"]`."""

    settings: Settings
    fixtures: Fixtures
    store: Store
    accounts: Accounts
    clock: Clock
    connections: Connections
    syncs: Syncs
    record_cache: BoundedCache  # rendered records, per vendor variant
    response_cache: BoundedCache  # whole answers to reads; few, as a page is large
    faults: Faults
    journal: Journal
    webhooks: Webhooks
    vendor_of: Callable[[str], object] = lambda path: None  # the vendor a path belongs to (set by the pipeline)
    any_state: frozenset = frozenset()  # endpoints that answer whatever a connection's state (likewise)
    credential_inputs: dict | None = None  # per vendor, the headers and query parameters credentials come in (likewise)
    authenticated: dict = field(default_factory=dict)  # what authentication made of a request's credential inputs
    documents: dict = field(default_factory=dict)  # each vendor's OpenAPI document, made when first asked for

    def error_answer(self, path: str | None, status: int, message: str) -> bytes:
        """An error's body in the envelope of the vendor whose path it is (`{"detail": ...}` when
        none is known): for what the server answers before the app sees a request."""
        vendor = self.vendor_of(path) if path else None
        return orjson.dumps(vendor.envelope(errors.of_status(status, message)) if vendor else {"detail": message})

    def close(self) -> None:
        """What outlives a request written out before the store goes (a scratch sandbox's directory)."""
        self.journal.close()

    def install(self, reset: bool = False) -> bool:
        """Generate the worlds into the store unless it holds them already; `reset` undoes every
        write since, and puts the clock back."""
        f = self.fixtures
        # The last worlds of the fixtures, up to half the interviews (in the default ones: the
        # small worlds), may be built beside the others (SQLite: in a forked process), which keeps
        # the start about as quick as the four large worlds alone.
        specs, aside, half = list(f.worlds), [], sum(s.interviews for s in f.worlds) / 2
        while specs and specs[-1].interviews + sum(s.interviews for s in aside) <= half:
            aside.insert(0, specs.pop())
        generated = self.store.install(f.fingerprint(), lambda: (generate(spec, f.seed, f.epoch) for spec in specs),
                                       aside=[functools.partial(generate, spec, f.seed, f.epoch) for spec in aside])
        if reset and not generated:
            self.store.reset()
        # The clock starts again with the worlds (the store's reset dropped the connection states, syncs,
        # faults and receivers), or as `--now` says; a replica that joins a running sandbox keeps its clock.
        if generated or reset or self.clock.start is not None or self.store.state(CLOCK) is None:
            self.clock.reset()
        self.webhooks.install(self.fixtures.webhooks)
        self.record_cache.clear()
        self.response_cache.clear()
        for spec in specs:  # the large worlds, loaded once here so that forked workers share them (each
            self.store.snapshot(spec.key)  # worker reads a small one when first asked: a few milliseconds)
        return generated


def create_app(settings: Settings | None = None, vendors: dict | None = None) -> Flask:
    """The sandbox as a Flask app. `vendors` (name -> Vendor) replaces the shipped ones, which
    `settings.vendors` otherwise picks from."""
    settings = settings or Settings.from_env()
    if vendors is None:
        vendors = {name: v for name, v in registry().items() if name in settings.vendors}
    # every vendor's credentials are checked, served or not
    fixtures = fixtures_mod.load(settings.fixtures, {**credential_fields(), **credential_fields(vendors)}, settings.seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.store_url, settings.threads)
    clock = Clock(store, settings.now)
    connections, syncs = Connections(store, fixtures.credentials), Syncs(store, clock, fixtures.epoch)
    sb = Sandbox(settings=settings, fixtures=fixtures, store=store, accounts=Accounts(fixtures, vendors),
                 clock=clock, connections=connections, syncs=syncs,
                 record_cache=BoundedCache(maxsize=50_000), response_cache=BoundedCache(maxsize=512),
                 faults=Faults(store, fixtures.seed),
                 journal=Journal(store, settings.journal_size, (v for c in fixtures.credentials for v in c.values.values())),
                 webhooks=Webhooks(store, clock, syncs, connections, fixtures.credentials,
                                   {name: v.webhooks for name, v in vendors.items() if v.webhooks}, fixtures.seed,
                                   settings.webhook_retry_scale))
    _check_plans(fixtures, vendors)
    fixtures = sb.fixtures = _check_webhooks(fixtures, sb.webhooks)
    sb.install()

    app = SandboxFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False
    app.extensions["sandbox"] = sb
    app.register_blueprint(admin, url_prefix="/_sandbox")
    app.register_blueprint(web.bp)  # the dashboard at /
    pipeline.install(app, list(vendors.values()))
    app.add_url_rule("/<vendor>/openapi.json", endpoint="openapi", view_func=openapi.view(create_app))
    if fixtures.webhooks:  # an in-process sandbox starts with its first request (gunicorn's workers when forked)
        app.before_request(sb.webhooks.start)
    app.wsgi_app = _as_vendors_answer(app, sb)
    return app


def _check_plans(fixtures: Fixtures, vendors: dict) -> None:
    for c in fixtures.credentials:
        rate = getattr(vendors.get(c.vendor), "rate_limit", None)
        if c.plan is not None and (rate is None or c.plan not in rate.plans):
            known = ", ".join(rate.plans) if rate is not None and rate.plans else "none"
            raise FixtureError(f"credential {c.id}: {c.vendor} has no plan {c.plan!r} (its plans: {known})")


def _check_webhooks(fixtures: Fixtures, webhooks: Webhooks) -> Fixtures:
    """The fixtures with their receivers checked as the control plane checks one."""
    worlds, checked = {w.key for w in fixtures.worlds}, []
    for n, spec in enumerate(fixtures.webhooks, 1):
        try:
            checked.append(webhooks.check(spec, worlds, fixtures=True))
        except ValueError as exc:
            raise FixtureError(f"webhook receiver {n} in the fixtures: {exc}") from None
    return replace(fixtures, webhooks=tuple(checked))


NOT_IN_A_URL = re.compile(r"[^\x21-\x7e]")  # a control byte, a space, or anything beyond ASCII, sent raw


def _refused(environ) -> tuple[int, str, str] | None:
    """What no vendor's servers would let through: a request target too long or holding a byte a URL
    may not (gunicorn 27 refuses the latter itself; older releases pass it on), a header too long."""
    raw = environ.get("RAW_URI")
    if raw is not None and connection.served(environ) and NOT_IN_A_URL.search(raw):  # (the test client's is not raw)
        return 400, "Bad Request", "The request target holds a byte a URL may not."
    target = raw or f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    if len(target) > MAX_TARGET:
        return 414, "URI Too Long", f"The request target is longer than {MAX_TARGET} bytes."
    for key, value in environ.items():
        if key.startswith("HTTP_") and len(value) > MAX_TARGET:
            return 431, "Request Header Fields Too Large", f"A header is longer than {MAX_TARGET} bytes."
    return None


class SandboxFlask(Flask):
    def ensure_sync(self, func):
        """Every view and hook here is synchronous: skip Flask's per-call check for coroutines
        (three `inspect` calls a request)."""
        return func


def _as_vendors_answer(app: Flask, sb: Sandbox):
    """Vendors' paths answer with and without a trailing slash, and never redirect (a redirected
    POST turns into a GET in most clients). A request target or header too long for the servers in
    front of the vendors is refused in the vendor's envelope, and so is a body that does not arrive
    in time. A connection a fault dropped in-process, where there is no socket to drop, reaches the
    caller as the error a client would meet."""
    wsgi_app = app.wsgi_app

    def refuse(environ, start_response, status: int, reason: str, message: str):
        with app.request_context(environ):  # (some envelopes read the request)
            page = sb.error_answer(environ.get("PATH_INFO", ""), status, message)
        start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(page)))])
        return [page]

    def middleware(environ, start_response):
        path = environ.get("PATH_INFO", "")
        refused = _refused(environ)
        if refused is not None:
            return refuse(environ, start_response, *refused)
        if len(path) > 1 and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        if not body.read_whole(environ, sb.settings.body_timeout, MAX_BODY):
            return connection.Closing(refuse(environ, start_response, 408, "Request Timeout",
                                             "The request was not received in time."), environ)
        answer = wsgi_app(environ, start_response)
        if connection.DROPPED in environ:
            getattr(answer, "close", lambda: None)()
            connection.raise_dropped(environ)
        return answer

    return middleware
