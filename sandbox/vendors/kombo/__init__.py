"""Kombo's unified ATS interviews (`/ats/interviews`, the beta writes, `/check-api-key`), mounted at
`/kombo/v1`."""

from __future__ import annotations

from sandbox.http.pipeline import RateLimit, Vendor
from sandbox.vendors.kombo.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.kombo.endpoints import ENDPOINTS
from sandbox.vendors.kombo.errors import envelope


def rate_headers(quota) -> dict:
    """Kombo's documented headers (docs.kombo.dev, "fetching data"), lowercase as it sends them."""
    return {"ratelimit-limit": str(quota.limit), "ratelimit-remaining": str(max(quota.remaining, 0)),
            "ratelimit-reset": str(quota.reset)}


# Kombo publishes no number; 300 a minute is the value its docs show in the headers' example, so
# that is the default (INFERRED). A credential's `rate_limit` in the fixtures overrides it.
VENDOR = Vendor(name="kombo", mount="/kombo/v1", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                rate_limit=RateLimit(limit=300, seconds=60, headers=rate_headers))
