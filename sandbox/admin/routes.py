"""The control plane, `/_sandbox/*`: what a test or a person uses to look at and steer the sandbox.
With an admin token set, every route but `health` needs it; a write takes only a JSON body, so that
a cross-site form cannot change anything. The dashboard's cookie (sandbox/web) stands for the token:
it is SameSite=Strict, and writes still need a JSON body."""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import Blueprint, request

from sandbox import __version__
from sandbox.control.clock import duration
from sandbox.control.connections import STATES
from sandbox.control.faults import rule
from sandbox.control.syncs import OUTCOMES
from sandbox.http.endpoints import Listing, Retrieve, renderer
from sandbox.world.model import iso_z, utc
from sandbox.world.kinds import KINDS
from sandbox.world.simulate import Simulation, paced_counts, plan_counts
from sandbox.world.store import Filter, Query
from sandbox.http.context import json_response, sandbox

bp = Blueprint("admin", __name__)


@bp.before_request
def guard():
    if request.endpoint == "admin.health":
        return None
    token = sandbox().settings.admin_token
    if token and not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()) \
            and not dashboard_signed_in(token):
        return json_response({"error": "the control plane needs Authorization: Bearer <SANDBOX_ADMIN_TOKEN>"}, 401,
                             {"WWW-Authenticate": 'Bearer realm="ats-sandbox"'})
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype != "application/json":
        return json_response({"error": "a control-plane write takes a JSON body (Content-Type: application/json; "
                                       "an empty object will do)"}, 415)
    return None


DASHBOARD_COOKIE = "ats_sandbox_dashboard"
SESSION_SECONDS = 4 * 3600  # a dashboard session lasts this long past its last use


def dashboard_session(token: str, now: float | None = None) -> str:
    """A dashboard session, as its cookie holds it: when it ends (wall-clock seconds, not the sandbox
    clock, which a test moves and a reset puts back) and an HMAC of that under the token, which every
    worker and replica can check and which does not reveal the token."""
    ends = int(time.time() if now is None else now) + SESSION_SECONDS
    return f"{ends}.{_session_mac(token, ends)}"


def _session_mac(token: str, ends: int) -> str:
    return hmac.new(token.encode(), f"ats-sandbox dashboard session until {ends}".encode(), hashlib.sha256).hexdigest()


def dashboard_signed_in(token: str | None) -> bool:
    """No token set, or the request carries a dashboard session that has not ended."""
    if not token:
        return True
    ends, _, mac = request.cookies.get(DASHBOARD_COOKIE, "").partition(".")
    return ends.isdigit() and int(ends) > time.time() and hmac.compare_digest(mac.encode(), _session_mac(
        token, int(ends)).encode())


def set_session(response, token: str) -> None:
    response.set_cookie(DASHBOARD_COOKIE, dashboard_session(token), max_age=SESSION_SECONDS, httponly=True,
                        samesite="Strict", path="/")


def renew_session(response):
    """A session in use lasts another SESSION_SECONDS from now."""
    token = sandbox().settings.admin_token
    if token and DASHBOARD_COOKIE in request.cookies and dashboard_signed_in(token):
        set_session(response, token)
    return response


bp.after_request(renew_session)


@bp.get("/health")
def health():
    sb = sandbox()
    return json_response({"status": "ok", "version": __version__, "worlds": len(sb.fixtures.worlds),
                          "vendors": sorted(sb.accounts.vendors)})


def worlds_summary(sb) -> list[dict]:
    """Each world: its company and platform, how many records of each kind it shows (neither deleted nor
    shells), and each credential into it with its connection state and sync cadence."""
    listing = {a["id"]: a for a in sb.accounts.listing(state=sb.connections.state)}
    out = []
    for spec in sb.fixtures.worlds:
        counts = {KINDS[kind].attr: len(sb.store.page(spec.key, Query(kind), limit=None, data=False)) for kind in KINDS}
        credentials = [{**listing[c.id], "sync_every": c.sync_interval.total_seconds() or None}
                       for c in sb.fixtures.credentials if c.world == spec.key and c.id in listing]
        out.append({"key": spec.key, "company": spec.company, "platform": spec.platform, "counts": counts,
                    "credentials": credentials})
    return out


def renderings(sb, world: str, resource: str, remote_id: str) -> dict | None:
    """One record, by its remote id, as each served vendor renders it (None: no such record)."""
    kind = next((k for k, spec in KINDS.items() if spec.attr == resource), None)
    if kind is None or sb.store.snapshot(world) is None:
        return None
    rows = sb.store.page(world, Query(kind, (Filter("remote_id", "in", (remote_id,)),), True, True), limit=1)
    if not rows:
        return None
    record, out = rows[0].record(kind), {}
    for name, vendor in sb.accounts.vendors.items():
        endpoint = next((e for e in vendor.endpoints if isinstance(e, Retrieve) and e.kind == kind), None) or \
            next((e for e in vendor.endpoints if isinstance(e, Listing) and e.kind == kind), None)
        if endpoint is not None:
            out[name] = renderer(endpoint, sb, world)(record)
    return out


@bp.get("/worlds")
def worlds():
    return json_response(worlds_summary(sandbox()))


@bp.get("/worlds/<world>/<resource>")
def record_renderings(world: str, resource: str):
    """`?remote_id=…`: that record as each vendor renders it, side by side."""
    sb = sandbox()
    found = renderings(sb, world, resource, request.args.get("remote_id", ""))
    if found is None:
        return json_response({"error": f"no {resource} with remote_id {request.args.get('remote_id')!r} in world "
                                       f"{world!r}"}, 404)
    return json_response(found)


@bp.get("/accounts")
def accounts():
    sb = sandbox()
    return json_response(sb.accounts.listing(state=sb.connections.state))


@bp.put("/credentials/<credential_id>/state")
def set_state(credential_id: str):
    """`{"state": "healthy" | "initial_sync" | "relink_needed" | "paused" | "deleted"}`: how the
    credential's connection stands, seen by every worker at once."""
    sb, body = sandbox(), request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"state"} or body["state"] not in STATES:
        return json_response({"error": f"expected {{\"state\": one of {', '.join(STATES)}}}"}, 400)
    try:
        sb.connections.set(credential_id, body["state"])
    except KeyError:
        return json_response({"error": f"no credential {credential_id!r}; GET /_sandbox/accounts lists their ids"}, 404)
    return json_response({"id": credential_id, "state": body["state"]})


@bp.post("/reset")
def reset():
    """Back to the generated worlds: every write since start is dropped."""
    sandbox().install(reset=True)
    return json_response({"status": "reset"})


@bp.get("/clock")
def clock():
    return json_response(sandbox().clock.describe())


@bp.post("/clock")
def move_clock():
    """`{"now": ISO}` sets the clock, `{"advance": "PT2H"}` moves it on, `{"frozen": true|false}` stops
    or starts it; one of them, or `now` or `advance` together with `frozen`. With `"simulate": true`,
    advancing also makes what would plausibly happen upstream in that time, in every world, at the
    world's own pace (`activity` in the fixtures); the answer lists those changes."""
    sb, body = sandbox(), request.get_json(silent=True)
    clock = sb.clock
    usage = ('expected {"now": ISO 8601} or {"advance": ISO 8601 duration, "simulate": true|false}, optionally '
             'with "frozen": true|false')
    if not isinstance(body, dict) or not {"now", "advance", "frozen"} & set(body) or {"now", "advance"} <= set(body) \
            or set(body) - {"now", "advance", "frozen", "simulate"} or not isinstance(body.get("frozen", False), bool) \
            or not isinstance(body.get("simulate", False), bool) or (body.get("simulate") and "advance" not in body):
        return json_response({"error": usage}, 400)
    try:
        when = utc(body["now"]) if "now" in body else None
        step = duration(body["advance"]) if "advance" in body else None
    except (ValueError, TypeError, AttributeError) as exc:
        return json_response({"error": f"{exc}; {usage}"}, 400)
    if "frozen" in body:
        clock.freeze(body["frozen"])
    if when is not None:
        clock.set(when)
    changes = []
    if step is not None:
        start, end = clock.advance(step)
        if body.get("simulate") and end > start:
            for spec in sb.fixtures.worlds:
                counts = paced_counts(spec.activity, end - start)
                changes += [{"world": spec.key, **c.json(), "at": iso_z(c.at)} for c in Simulation(
                    sb.store, sb.store.snapshot(spec.key), start, end, counts).run()]
    return json_response({**clock.describe(), **({"changes": changes} if body.get("simulate") else {})})


@bp.post("/credentials/<credential_id>/sync")
def force_sync(credential_id: str):
    """A sync of this credential now: what changed upstream becomes visible through its vendor."""
    sb = sandbox()
    credential = sb.accounts.by_id(credential_id)
    if credential is None:
        return json_response({"error": f"no credential {credential_id!r}; GET /_sandbox/accounts lists their ids"}, 404)
    sb.syncs.force(credential)
    return json_response({"id": credential_id, **_sync(sb, credential)})


@bp.post("/credentials/<credential_id>/next-sync")
def fix_next_sync(credential_id: str):
    """`{"outcome": "succeeded" | "partially_failed" | "failed" | "authentication_failed"}`: how the
    credential's next sync ends, as its vendor's sync status will report it."""
    sb, body = sandbox(), request.get_json(silent=True)
    credential = sb.accounts.by_id(credential_id)
    if credential is None:
        return json_response({"error": f"no credential {credential_id!r}; GET /_sandbox/accounts lists their ids"}, 404)
    if not isinstance(body, dict) or set(body) != {"outcome"} or body["outcome"] not in OUTCOMES:
        return json_response({"error": f"expected {{\"outcome\": one of {', '.join(OUTCOMES)}}}"}, 400)
    sb.syncs.fix_next(credential, body["outcome"])
    return json_response({"id": credential_id, "next_outcome": body["outcome"], **_sync(sb, credential)})


def _sync(sb, credential) -> dict:
    status = sb.syncs.status(credential)
    return {"last_sync": iso_z(status["last_sync"]), "next_sync": iso_z(status["next_sync"]),
            "outcome": status["outcome"]}


@bp.post("/worlds/<world>/simulate")
def simulate(world: str):
    """Upstream changes in a window of time (default: from the world's last upstream change, or the
    fixtures' epoch, to the clock's now): `{"created": 2, "rescheduled": 1, ...}` for interviews, or
    counts per kind (`{"interviews": {...}, "applications": {...}, "candidates": {...}}`)."""
    sb, body = sandbox(), request.get_json(silent=True)
    snapshot = sb.store.snapshot(world)
    if snapshot is None:
        return json_response({"error": f"no world {world!r}; the worlds are {', '.join(sb.store.worlds())}"}, 404)
    try:
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object of counts")
        counts = plan_counts(body)
        start = utc(body["from"]) if "from" in body else sb.store.last_upstream_change(world) or sb.fixtures.epoch
        end = utc(body["to"]) if "to" in body else sb.clock.now()
        if end <= start:
            raise ValueError(f"the window is empty: from {iso_z(start)} to {iso_z(end)}")
    except (ValueError, TypeError, AttributeError) as exc:
        return json_response({"error": str(exc)}, 400)
    changes = Simulation(sb.store, snapshot, start, end, counts).run()
    return json_response({"world": world, "from": iso_z(start), "to": iso_z(end),
                          "changes": [{**c.json(), "at": iso_z(c.at)} for c in changes]})


@bp.get("/faults")
def faults():
    return json_response(sandbox().faults.listed())


@bp.post("/faults")
def add_fault():
    """A rule (see control/faults.py): what it matches (`vendor`, `credential`, `world`, `method`,
    `path` glob), what it does (`status`, `latency`, `action`: reset | empty | truncate | drift), and
    when (`times`, `every`, `probability` with an optional `seed`)."""
    sb = sandbox()
    try:
        new = rule(request.get_json(silent=True), set(sb.accounts.vendors), {c.id for c in sb.fixtures.credentials},
                   {w.key for w in sb.fixtures.worlds})
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    return json_response(sb.faults.add(new), 201)


@bp.delete("/faults")
def clear_faults():
    """Every fault rule gone; the rate-limit counters are left as they are."""
    sandbox().faults.clear()
    return json_response({"status": "ok"})


@bp.delete("/faults/<int:rule_id>")
def remove_fault(rule_id: int):
    if not sandbox().faults.remove(rule_id):
        return json_response({"error": f"no fault rule {rule_id}"}, 404)
    return json_response({"status": "ok"})


@bp.get("/requests")
def requests_made():
    """The journal, newest first: `vendor`, `credential` (an id from /_sandbox/accounts), `status`,
    `since` (ISO 8601) and `limit` narrow it."""
    args, filters = request.args, {}
    try:
        for name in ("vendor", "credential"):
            if args.get(name):
                filters[name] = args[name]
        if args.get("status"):
            filters["status"] = int(args["status"])
        if args.get("since"):
            filters["since"] = utc(args["since"]).timestamp()
        if args.get("limit"):
            filters["limit"] = int(args["limit"])
            if filters["limit"] < 1:
                raise ValueError("limit is a positive number")
    except (ValueError, TypeError, OverflowError) as exc:
        return json_response({"error": f"{exc}; filters: vendor, credential, status, since (ISO 8601), limit"}, 400)
    return json_response(sandbox().journal.entries(**filters))


@bp.delete("/requests")
def clear_requests():
    """An empty journal, and coverage counted afresh."""
    sandbox().journal.clear()
    return json_response({"status": "ok"})


@bp.get("/coverage")
def coverage():
    sb = sandbox()
    return json_response(sb.journal.coverage(sb.accounts.vendors.values()))


@bp.get("/webhooks")
def webhooks():
    return json_response(sandbox().webhooks.listed())


@bp.post("/webhooks")
def add_webhook():
    """A receiver (see control/webhooks.py): `vendor`, `url`, whose events (`credential` or `world`; neither:
    every credential of the vendor), `secret` (made and shown once when left out), `events` (default all),
    and for testing a handler's defences `bad_signature`, `duplicate`, `shuffle`."""
    sb = sandbox()
    try:
        checked = sb.webhooks.check(request.get_json(silent=True), {w.key for w in sb.fixtures.worlds})
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    return json_response(sb.webhooks.add(checked), 201)


@bp.delete("/webhooks")
def clear_webhooks():
    sandbox().webhooks.clear()
    return json_response({"status": "ok"})


@bp.delete("/webhooks/<int:receiver_id>")
def remove_webhook(receiver_id: int):
    if not sandbox().webhooks.remove(receiver_id):
        return json_response({"error": f"no webhook receiver {receiver_id}"}, 404)
    return json_response({"status": "ok"})


@bp.get("/webhooks/deliveries")
def deliveries():
    """Every delivery with its attempts, oldest first: `receiver`, `event`, `status` (pending, delivered,
    failed) narrow it."""
    args, filters = request.args, {}
    try:
        if args.get("receiver"):
            filters["receiver"] = int(args["receiver"])
        for name in ("event", "status"):
            if args.get(name):
                filters[name] = args[name]
        if filters.get("status") not in (None, "pending", "delivered", "failed"):
            raise ValueError("status is pending, delivered or failed")
    except ValueError as exc:
        return json_response({"error": f"{exc}; filters: receiver (an id), event, status"}, 400)
    return json_response(sandbox().webhooks.deliveries(**filters))


@bp.post("/webhooks/fire")
def fire_webhook():
    """`{"vendor", "credential", "event", "data"?}`: one event now, with a realistic body (`data` in place of
    its data), to every receiver that hears it (Plaid's fire_webhook)."""
    sb, body = sandbox(), request.get_json(silent=True)
    if not isinstance(body, dict) or not {"vendor", "credential", "event"} <= set(body) \
            or set(body) - {"vendor", "credential", "event", "data"}:
        return json_response({"error": 'expected {"vendor", "credential", "event", "data" (optional)}'}, 400)
    vendor, credential = body["vendor"], sb.accounts.by_id(str(body["credential"]))
    if vendor not in sb.webhooks.hooks:
        return json_response({"error": f"vendor: one of {', '.join(sorted(sb.webhooks.hooks))}"}, 400)
    if credential is None or credential.vendor != vendor:
        return json_response({"error": f"no {vendor} credential {body['credential']!r}; GET /_sandbox/accounts "
                                       "lists their ids"}, 404)
    try:
        queued = sb.webhooks.fire(vendor, credential.id, str(body["event"]), body.get("data"))
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    except LookupError as exc:
        return json_response({"error": str(exc.args[0])}, 409)
    return json_response({"deliveries": queued}, 202)
