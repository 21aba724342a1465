"""Truto's unified ATS API (`/unified/ats/...`: interviews and the records they point at), mounted
at `/truto`."""

from __future__ import annotations

from dataclasses import replace

from flask import request

from sandbox.control.connections import EMPTY
from sandbox.http.drift import Drift
from sandbox.http.errors import NotFound, Unauthorized
from sandbox.http.limits import RateLimit
from sandbox.http.vendor import Vendor
from sandbox.vendors.truto.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.truto.endpoints import ENDPOINTS
from sandbox.vendors.truto.platforms import COVERAGE
from sandbox.vendors.truto.errors import envelope
from sandbox.vendors.truto.webhooks import HOOKS


def rate_headers(quota) -> dict:
    """Truto's normalised headers; `;w=` names the window, as Truto writes it when it is known."""
    return {"ratelimit-limit": f"{quota.limit};w={quota.window}", "ratelimit-remaining": str(max(quota.remaining, 0)),
            "ratelimit-reset": str(quota.reset)}


# Truto passes the upstream platform's limits through, with these headers, only where the platform
# gives them: none count unless configured (a credential's `rate_limit` per 10 s, or --rate-limit),
# and then the headers come too. (Truto's skills docs also name tiers of its own, 500 / 10 s per
# token and 50 per account, which a public guide contradicts ("Truto adds nothing"): not applied.)
# Truto answers a 429 with Retry-After: 10.
# Connection states (INFERRED: Truto documents the account statuses, not what reads answer): an
# account still `connecting` has nothing to list; one that `needs_reauth` is refused with 401; a
# deleted one is unknown.
STATES = {
    "initial_sync": EMPTY,
    "relink_needed": lambda: Unauthorized("The integrated account needs re-authentication (needs_reauth)."),
    "deleted": lambda: NotFound(f"Integrated account {request.args.get('integrated_account_id')} not found."),
}
VENDOR = Vendor(name="truto", mount="/truto", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                rate_limit=RateLimit(seconds=10, headers=rate_headers, shown=110,  # the docs' example: 110;w=10
                                     refused_headers=lambda quota: {"Retry-After": "10"}),
                states=STATES, drift=Drift(enum=("status",), missing=("location",), null=("start_at",)),
                webhooks=replace(HOOKS, serves=lambda kind, platform: COVERAGE.serves(kind, "list", platform)),
                coverage=COVERAGE)
