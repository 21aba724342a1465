"""Bindbee's ATS scheduled interviews (`/api/ats/v1/scheduled-interviews`), mounted at `/bindbee`."""

from __future__ import annotations

import time

from sandbox.http.vendor import RateLimit, Vendor
from sandbox.vendors.bindbee.errors import authenticate, envelope
from sandbox.vendors.bindbee.routes import bp

MOUNT = "/bindbee"


def describe(credential) -> dict:
    return {"headers": {"Authorization": f"Bearer {credential.values['api_key']}",
                        "x-connector-token": credential.values["connector_token"]},
            "query": {}, "category": credential.category}


def rate_headers(quota) -> dict:
    """Bindbee's headers (docs: basics/rate-limits): the reset is a unix time."""
    return {"X-RateLimit-Limit": str(quota.limit), "X-RateLimit-Remaining": str(max(quota.remaining, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + quota.reset)}


def vendor() -> Vendor:
    # 200 requests a minute per connector token, across all endpoints (Bindbee's docs).
    return Vendor(name="bindbee", mount=MOUNT, blueprint=bp, authenticate=authenticate, envelope=envelope,
                  describe=describe, rate_limit=RateLimit(limit=200, seconds=60, headers=rate_headers))
