"""A vendor request as the pipeline carries it from step to step: one typed object, made by the
first step and read by the others and by the endpoint's handler (`current()`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import g

from sandbox.accounts import Account
from sandbox.control.faults import Fault


@dataclass
class Call:
    sb: object  # the running sandbox (app.Sandbox)
    vendor: object | None  # the vendor whose path it is (http.vendor.Vendor); None: not a vendor's path
    started: float  # time.perf_counter() when it came in
    account: Account | None = None  # who is asking, once authenticated
    horizon: datetime | None = None  # a credential with a sync cadence reads the world as of its last sync
    empty: bool = False  # a connection state that answers lists empty and gets not found
    fault: Fault | None = None  # the fault a test asked for, once it matched
    rate_headers: dict | None = None  # where the credential stands against its rate limit
    in_flight: str | None = None  # the in-flight count it holds (Kombo's writes), taken off at its end
    flight_headers: dict = field(default_factory=dict)
    dropped: bool = False  # a fault dropped its connection: answered to no one


def current() -> Call:
    """The request's Call (`begin` makes it before anything else runs)."""
    return g.call
