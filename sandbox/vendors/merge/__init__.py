"""Merge's ATS API (`/ats/v1/...`), mounted at `/merge/api`."""

from __future__ import annotations

from sandbox.http.pipeline import Vendor
from sandbox.vendors.merge.auth import CREDENTIAL_FIELDS, authenticate, describe
from sandbox.vendors.merge.endpoints import ENDPOINTS
from sandbox.vendors.merge.errors import envelope

VENDOR = Vendor(name="merge", mount="/merge/api", credential_fields=CREDENTIAL_FIELDS, endpoints=ENDPOINTS,
                authenticate=authenticate, envelope=envelope, describe=describe)
