"""Bindbee's ATS API (`/api/ats/v1/...`: scheduled interviews and the records they point at),
mounted at `/bindbee`."""

from __future__ import annotations

import time

from sandbox.control.connections import EMPTY
from sandbox.http.drift import Drift
from sandbox.http.errors import Unauthorized
from sandbox.http.limits import RateLimit
from sandbox.http.vendor import Vendor
from sandbox.vendors.bindbee.auth import CHALLENGE, CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.bindbee.endpoints import ENDPOINTS
from sandbox.vendors.bindbee.errors import envelope
from sandbox.vendors.bindbee.webhooks import HOOKS


def rate_headers(quota) -> dict:
    """Bindbee's headers (docs: basics/rate-limits): the reset is a unix time."""
    return {"X-RateLimit-Limit": str(quota.limit), "X-RateLimit-Remaining": str(max(quota.remaining, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + quota.reset)}


# Bindbee publishes no table of the platforms it serves interviews for, nor of the fields it fills
# for each: it serves every platform, every field (INFERRED).
# 200 requests a minute per connector token, across all endpoints (Bindbee's docs). A query string
# that fails validation answers 422, as FastAPI does.
VENDOR = Vendor(name="bindbee", mount="/bindbee", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                rate_limit=RateLimit(seconds=60, headers=rate_headers, limit=200), invalid_status=422,
                drift=Drift(enum=("status",), missing=("custom_fields",), null=("start_at",)),
                # a connector still in its first sync has nothing to list (INFERRED); a deleted one is unknown
                states={"initial_sync": EMPTY,
                        "deleted": lambda: Unauthorized("Invalid connector token", headers=CHALLENGE)},
                webhooks=HOOKS)
