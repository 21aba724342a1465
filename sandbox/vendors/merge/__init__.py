"""Merge's ATS API (`/ats/v1/...`), mounted at `/merge/api`."""

from __future__ import annotations

from sandbox.control.connections import EMPTY
from sandbox.http.errors import Unauthorized
from sandbox.http.pipeline import Vendor
from sandbox.vendors.merge.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.merge.endpoints import ENDPOINTS
from sandbox.vendors.merge.errors import envelope

# A linked account in its first sync has no data yet; one that needs relinking, or is idle, keeps
# serving what it synced; a deleted one's token is refused as an unknown one.
VENDOR = Vendor(name="merge", mount="/merge/api", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe,
                states={"initial_sync": EMPTY, "deleted": lambda: Unauthorized("Invalid account token.")})
