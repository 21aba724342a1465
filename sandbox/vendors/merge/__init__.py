"""Merge's ATS API (`/ats/v1/...`), mounted at `/merge/api`."""

from __future__ import annotations

from dataclasses import replace

from sandbox.control.connections import EMPTY
from sandbox.http.drift import Drift
from sandbox.http.errors import RateLimited, Unauthorized
from sandbox.http.limits import FailureLimit, RateLimit
from sandbox.http.vendor import Vendor
from sandbox.vendors.merge.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.merge.endpoints import ENDPOINTS
from sandbox.vendors.merge.platforms import COVERAGE
from sandbox.vendors.merge.errors import envelope
from sandbox.vendors.merge.webhooks import HOOKS

# A linked account in its first sync has no data yet; one that needs relinking, or is idle, keeps
# serving what it synced; a deleted one's token is refused as an unknown one.
# Per linked account, a minute: 100, 400 or 600 by the plan (Launch, Professional, Enterprise; a
# credential's `plan` in the fixtures, Launch by default). Merge documents no rate headers; its 429
# is DRF's throttled answer with Retry-After (INFERRED). Its global limit, more than 20 failed
# requests from one address in a rolling 10 s, is a fixed 10 s window here, on with --failure-limit.
THROTTLED = "Request was throttled."
RATE_LIMIT = RateLimit(seconds=60, headers=lambda quota: {}, limit=100, message=THROTTLED,
                       plans={"launch": 100, "professional": 400, "enterprise": 600})

VENDOR = Vendor(name="merge", mount="/merge/api", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                states={"initial_sync": EMPTY, "deleted": lambda: Unauthorized("Invalid account token.")},
                rate_limit=RATE_LIMIT, failure_limit=FailureLimit(20, 10, lambda: RateLimited(THROTTLED)),
                drift=Drift(enum=("status", "overall_recommendation", "access_role"), missing=("location",),
                            null=("created_at",)),
                webhooks=replace(HOOKS, serves=lambda kind, platform: COVERAGE.serves(kind, "list", platform)),
                coverage=COVERAGE)
