"""create_app(settings): the one place that wires the parts together."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field, replace
from typing import Callable

import orjson
from flask import Flask

from sandbox import fixtures as fixtures_mod
from sandbox.accounts import Accounts
from sandbox.control.clock import KEY as CLOCK, Clock
from sandbox.control.connections import Connections
from sandbox.control.faults import Faults
from sandbox.control.journal import Journal
from sandbox.control.syncs import Syncs
from sandbox.control.webhooks import Webhooks
from sandbox.fixtures import FixtureError, Fixtures
from sandbox.http import connection, errors, pipeline
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
    replays: dict = field(default_factory=dict)  # reads answered with a kept answer, by request (http/replay.py)

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
        self.replays.clear()
        for spec in specs:  # the large worlds, loaded once here so that forked workers share them (each
            self.store.snapshot(spec.key)  # worker reads a small one when first asked: a few milliseconds)
        return generated


def create_app(settings: Settings | None = None, vendors: dict | None = None) -> Flask:
    """The sandbox as a Flask app. `vendors` (name -> Vendor) replaces the shipped ones, which
    `settings.vendors` otherwise picks from."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if vendors is None:
        vendors = {name: v for name, v in registry().items() if name in settings.vendors}
    # every vendor's credentials are checked, served or not
    fixtures = fixtures_mod.load(settings.fixtures, settings.seed, {**credential_fields(), **credential_fields(vendors)})
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
    from sandbox import web
    from sandbox.admin.routes import bp as admin

    app.register_blueprint(admin, url_prefix="/_sandbox")
    app.register_blueprint(web.bp)  # the dashboard at /
    pipeline.install(app, list(vendors.values()))
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


def _too_long(environ) -> tuple[int, str, str] | None:
    target = environ.get("RAW_URI") or f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
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
    front of the vendors is refused in the vendor's envelope. A connection a fault dropped in-process,
    where there is no socket to drop, reaches the caller as the error a client would meet."""
    wsgi_app = app.wsgi_app

    def middleware(environ, start_response):
        path = environ.get("PATH_INFO", "")
        refused = _too_long(environ)
        if refused is not None:
            status, reason, message = refused
            with app.request_context(environ):  # (some envelopes read the request)
                body = sb.error_answer(path, status, message)
            start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if len(path) > 1 and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        answer = pipeline.replay(sb, environ, start_response)
        if answer is not None:
            return answer
        answer = wsgi_app(environ, start_response)
        if connection.DROPPED in environ:
            getattr(answer, "close", lambda: None)()
            connection.raise_dropped(environ)
        return answer

    return middleware
