"""Kombo's unified ATS interviews (`/ats/interviews`, the beta writes, `/check-api-key`), mounted at
`/kombo/v1`."""

from __future__ import annotations

from sandbox.http.vendor import RateLimit, Vendor
from sandbox.vendors.kombo.errors import authenticate, envelope
from sandbox.vendors.kombo.routes import bp

MOUNT = "/kombo/v1"


def describe(credential) -> dict:
    return {"headers": {"Authorization": f"Bearer {credential.values['api_key']}",
                        "X-Integration-Id": credential.values["integration_id"]},
            "query": {}}


def rate_headers(quota) -> dict:
    """Kombo's documented headers (docs.kombo.dev, "fetching data"), lowercase as it sends them."""
    return {"ratelimit-limit": str(quota.limit), "ratelimit-remaining": str(max(quota.remaining, 0)),
            "ratelimit-reset": str(quota.reset)}


def vendor() -> Vendor:
    # Kombo publishes no number; 300 a minute is the value its docs show in the headers' example,
    # so that is the default (INFERRED). A credential's `rate_limit` in the fixtures overrides it.
    return Vendor(name="kombo", mount=MOUNT, blueprint=bp, authenticate=authenticate, envelope=envelope,
                  describe=describe, rate_limit=RateLimit(limit=300, seconds=60, headers=rate_headers))
