"""What a vendor is, declared (DESIGN principle 8): its endpoints, how it authenticates, how its errors
look, its limits, its connection states, its webhooks and the platforms it serves. A vendor package
exports one `Vendor`; the pipeline (http/pipeline.py) does everything else, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import Request

from sandbox.accounts import Account
from sandbox.control.webhooks import Hooks
from sandbox.fixtures import Credential
from sandbox.http import drift, errors
from sandbox.http.endpoints import Coverage, Endpoint, Listing, Retrieve
from sandbox.http.limits import Concurrency, FailureLimit, RateLimit


@dataclass(frozen=True)
class Vendor:
    name: str
    mount: str  # e.g. "/merge/api"
    credential_fields: tuple[str, ...]  # what its credentials in the fixtures carry
    endpoints: tuple[Endpoint, ...]
    # the account a request's credentials name, or the vendor's refusal; it may read only the headers
    # and query parameters `describe` names, and the route (what it makes of them is kept)
    authenticate: Callable[[Request], Account]
    envelope: Callable[[errors.ApiError], dict]  # the vendor's error body
    describe: Callable[[Credential], dict]  # how a client sends a credential: headers, query
    rate_limit: RateLimit | None = None
    invalid_status: int = 400  # the status of a query string that fails validation (FastAPI: 422)
    # how a credential out of order answers, by connection state: the error it raises, or EMPTY
    # (lists empty, gets not found); a state not named here reads as healthy
    states: dict[str, Callable[[], errors.ApiError] | str] = field(default_factory=dict)
    concurrency: Concurrency | None = None
    failure_limit: FailureLimit | None = None
    drift: drift.Drift = drift.Drift()  # the fields a drifted answer changes
    webhooks: Hooks | None = None  # the events it sends, signed its way (control/webhooks.py)
    coverage: Coverage | None = None  # the platforms it serves each kind of record for; None: every one

    def coverage_points(self):
        """(method, path, declared query parameters) of each endpoint, for the coverage report."""
        for e in self.endpoints:
            args = getattr(e, "args", None)
            declared = [f.data_key or name for name, f in args.fields.items()] if args is not None else []
            for method in e.methods:
                yield method, e.path, declared

    def interview_operations(self, platform: str) -> list[str]:
        """What it serves of a platform's interviews: ["list", "get"], ["list"] or [] (refused)."""
        declared = {"list": Listing, "get": Retrieve}
        return [op for op, kind in declared.items()
                if any(isinstance(e, kind) and e.kind == "interview" for e in self.endpoints)
                and (self.coverage is None or self.coverage.serves("interview", op, platform))]
