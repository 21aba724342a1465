"""Kombo's unified ATS API (`/ats/...`: interviews and the records they point at, the beta writes,
integrations and syncs, `/check-api-key`), mounted at `/kombo/v1`."""

from __future__ import annotations

from sandbox.http.errors import Conflict, Forbidden, NotFound
from sandbox.http.pipeline import RateLimit, Vendor
from sandbox.vendors.kombo.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.kombo.endpoints import ENDPOINTS
from sandbox.vendors.kombo.errors import (INTEGRATION_AUTHENTICATION_INVALID, INTEGRATION_INACTIVE,
                                          INTEGRATION_NOT_FOUND, SETUP_SYNC_PENDING, envelope)

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


# Kombo publishes no number; 300 a minute is the value its docs show in the headers' example, so
# that is the default (INFERRED). A credential's `rate_limit` in the fixtures overrides it.
VENDOR = Vendor(name="kombo", mount="/kombo/v1", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                rate_limit=RateLimit(limit=300, seconds=60, headers=rate_headers), states=STATES)
