"""Reads answered again: the requests the whole pipeline answered with a kept answer, remembered
so that the same request can be answered again before Flask routes it (`pipeline.replay`).

Clients send the same few reads over and over (an SDK paging, a test suite polling). A request is
the same when its path, query string and credentials are; its answer still holds while the world's
versions are those it was read at, and the sandbox's date too where the endpoint reads it.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.accounts import Account

COUNTED = "sandbox.counted"  # the quota of a request counted by `replay` and sent the whole way
MAX_KEPT = 4096


class Kept(NamedTuple):
    """What a read was answered with, and what it was read from."""

    vendor: object  # sandbox.http.pipeline.Vendor
    account: Account
    rule: str  # the route, for the journal
    world: str
    stamp: object  # the world's versions it was read at
    date: object  # the sandbox's date it was read on, for an endpoint that reads it; else None
    answer: tuple  # its key in the response cache


def request_key(sb, vendor, environ) -> tuple:
    """A request as far as its answer can tell: path, query string and the credentials it sends."""
    headers, _ = sb.credential_inputs[vendor.name]
    return (vendor.name, environ.get("PATH_INFO"), environ.get("QUERY_STRING"), *(environ.get(h) for h in headers))


def remember(sb, ctx, req, world: str, stamp, date, answer: tuple) -> None:
    """A read the whole pipeline answered with a kept answer, unless something but the request and
    the world shaped it: a fault, a connection that reads empty or as of a past sync."""
    if req.method != "GET" or getattr(ctx, "fault", None) is not None or ctx.horizon is not None \
            or getattr(ctx, "empty", False):
        return
    kept = sb.replays
    if len(kept) >= MAX_KEPT:
        kept.clear()
    kept[request_key(sb, ctx.vendor, req.environ)] = Kept(ctx.vendor, ctx.account, req.url_rule.rule, world, stamp,
                                                         date, answer)
