"""Kombo's unified ATS API (`/ats/...`: interviews and the records they point at, the beta writes,
integrations and syncs, `/check-api-key`), mounted at `/kombo/v1`."""

from __future__ import annotations

from dataclasses import replace

from sandbox.http.drift import Drift
from sandbox.http.errors import Conflict, Forbidden, NotFound, RateLimited
from sandbox.http.limits import Concurrency, RateLimit
from sandbox.http.vendor import Vendor
from sandbox.vendors.kombo.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.kombo.endpoints import ENDPOINTS
from sandbox.vendors.kombo.platforms import COVERAGE
from sandbox.vendors.kombo.errors import (CONCURRENCY_LIMIT_EXCEEDED, INTEGRATION_AUTHENTICATION_INVALID, INTEGRATION_INACTIVE,
                                          INTEGRATION_NOT_FOUND, SETUP_SYNC_PENDING, envelope)
from sandbox.vendors.kombo.webhooks import HOOKS

# Connection states: reads during the first sync answer 409 SETUP_SYNC_PENDING (Kombo's docs, since
# 2026-05-19). An integration whose credentials broke (INVALID) or that is INACTIVE refuses reads
# with its code; the 403 is INFERRED (Kombo asks clients to read codes, not statuses).
STATES = {
    "initial_sync": lambda: Conflict("The integration's first sync has not finished yet. Try again once it has.",
                                            code=SETUP_SYNC_PENDING),
    "relink_needed": lambda: Forbidden("The integration's credentials are no longer valid. Ask the customer "
                                              "to reconnect it.", code=INTEGRATION_AUTHENTICATION_INVALID),
    "paused": lambda: Forbidden("The integration is inactive.", code=INTEGRATION_INACTIVE),
    "deleted": lambda: NotFound("No integration with this ID was found for this API key.",
                                       code=INTEGRATION_NOT_FOUND),
}


def rate_headers(quota) -> dict:
    """Kombo's documented headers (docs.kombo.dev, "fetching data"), lowercase as it sends them."""
    return {"ratelimit-limit": str(quota.limit), "ratelimit-remaining": str(max(quota.remaining, 0)),
            "ratelimit-reset": str(quota.reset)}


# Kombo publishes no request rate: none counts unless configured (a credential's `rate_limit`, or
# --rate-limit), and meanwhile its headers show the 300 a minute of its docs' example, unspent
# (INFERRED). Its 429 carries no Retry-After. Writes and actions: at most 30 in flight per
# integration (Kombo's docs); reads are not counted.
RATE_LIMIT = RateLimit(seconds=60, headers=rate_headers, shown=300, always=True, retry_after=False, refused_headers=lambda quota: {})
CONCURRENCY = Concurrency(
    limit=30, methods=frozenset({"POST", "PUT", "PATCH", "DELETE"}),
    refused=lambda: RateLimited("Too many write or action requests are running for this integration at once. "
                                "Wait for one to finish.", code=CONCURRENCY_LIMIT_EXCEEDED),
    headers=lambda remaining: {"Concurrency-Remaining": str(remaining)})

VENDOR = Vendor(name="kombo", mount="/kombo/v1", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                rate_limit=RATE_LIMIT, concurrency=CONCURRENCY, states=STATES,
                drift=Drift(enum=("status", "outcome"), missing=("video_conferencing_url",), null=("canceled",)),
                webhooks=replace(HOOKS, serves=lambda kind, platform: COVERAGE.serves(kind, "list", platform)),
                coverage=COVERAGE)
