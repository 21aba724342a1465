"""Merge's ATS interview API (`/ats/v1/interviews`), mounted at `/merge/api`."""

from __future__ import annotations

from sandbox.http.vendor import Vendor
from sandbox.vendors.merge.errors import authenticate, envelope
from sandbox.vendors.merge.routes import bp

MOUNT = "/merge/api"


def describe(credential) -> dict:
    return {"headers": {"Authorization": f"Bearer {credential.values['api_key']}",
                        "X-Account-Token": credential.values["account_token"]},
            "query": {}}


def vendor() -> Vendor:
    return Vendor(name="merge", mount=MOUNT, blueprint=bp, authenticate=authenticate, envelope=envelope,
                  describe=describe)
