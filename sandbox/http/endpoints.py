"""Endpoints as declarations (DESIGN principle 8), and the one handler that runs them.

A vendor declares a `Listing` or a `Retrieve` per endpoint: its path, the kind of record, its
marshmallow query schema, how parsed arguments become a vendor-neutral `Query`, its cursor codec,
its envelope and its render function. Everything else happens here, once:

    parse the query -> decode the cursor -> read a keyset page -> render each record once
        -> assemble the envelope -> keep the answer while the world stands still

The rule for kept answers is enforced here: an answer depends only on the request's path and
query string, the credential's world and that world's versions, and what the credential reads
them as (the sandbox's date for a clocked endpoint, a connection that answers empty, a past sync). A
`Route` is a hand-written view for what is truly vendor-specific (writes, metadata).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, NamedTuple

import orjson
from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from sandbox.http import errors
from sandbox.http.args import QueryArgs, parse
from sandbox.http.call import Call, current
from sandbox.http.context import json_response
from sandbox.http.cursors import Cursor, InvalidCursor
from sandbox.http.paging import keyset_page
from sandbox.world.model import World
from sandbox.world.platforms import Platform, platform
from sandbox.world.store import Filter, Query, Row

Render = Callable[[World, object, tuple], dict]  # (world, record, variant) -> the vendor's dict


class PageOut(NamedTuple):
    """What an envelope needs besides the records: the cursors, encoded, and how many there are."""

    next: str | None
    previous: str | None
    count: int


def no_variant(args: Mapping) -> tuple:
    return ()


@dataclass(frozen=True)
class Coverage:
    """Which platforms a vendor serves a kind of record for, by operation: `("interview", "list")`
    -> the platforms' keys. A kind and operation not named is served for every platform; for a
    platform not named, the endpoint answers `refused(kind, operation, platform)`. `required`
    names the query parameters an operation needs for a platform; without them it answers
    `missing(names)`."""

    served: Mapping[tuple[str, str], frozenset[str]]
    refused: Callable[[str, str, Platform], errors.ApiError]
    required: Mapping[tuple[str, str], Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    missing: Callable[[list[str]], errors.ApiError] = lambda names: errors.BadRequest(f"{names[0]} is required.")

    def serves(self, kind: str, operation: str, platform_key: str) -> bool:
        served = self.served.get((kind, operation))
        return served is None or platform_key in served


def refuse_unserved(ctx: Call, kind: str, operation: str) -> None:
    """A vendor that does not offer this kind of record for the world's platform, or not without a
    parameter it needs there, answers its refusal."""
    coverage = ctx.vendor.coverage
    if coverage is None:
        return
    key = ctx.account.platform
    if not coverage.serves(kind, operation, key):
        raise coverage.refused(kind, operation, platform(key))
    missing = [name for name in coverage.required.get((kind, operation), {}).get(key, ()) if not request.args.get(name)]
    if missing:
        raise coverage.missing(missing)


@dataclass(frozen=True)
class Listing:
    path: str
    kind: str
    args: QueryArgs
    query: Callable[[Mapping, World], Query]  # parsed arguments -> what to read
    render: Render
    cursor: Cursor
    envelope: Callable[[bytes, PageOut], bytes]  # the page body around the comma-joined records
    invalid_cursor: Callable[[], errors.ApiError]
    page_size: Callable[[Mapping], int | None] = lambda args: args["page_size"]  # None: every record
    cursor_arg: str = "cursor"
    variant: Callable[[Mapping], tuple] = no_variant  # what else, besides the record, the rendering depends on
    embeds: tuple[str, ...] = ()  # the kinds the rendering reads besides its own
    clocked: bool = False  # the rendering also reads the sandbox's date (the variant's last item)
    # For a shape other than the rendered records (Truto's raw and debug formats): a function of
    # the arguments that returns, when they ask for one, `body(args, world, records, out) -> bytes`.
    reshape: Callable[[Mapping], Callable | None] = lambda args: None

    methods = ("GET",)

    def view(self):
        scope_of = _scope(self)

        def list_records():
            ctx = current()
            refuse_unserved(ctx, self.kind, "list")
            args = parse(self.args)
            sb, world_key = ctx.sb, ctx.account.world
            scope = scope_of(ctx.vendor, world_key)
            position, reverse = None, False
            token = args.get(self.cursor_arg)
            if token:
                try:
                    position, reverse = self.cursor.decode(token, scope, lambda rid: _position(sb, world_key, self.kind, rid))
                except InvalidCursor:
                    raise self.invalid_cursor() from None

            def build(world: World) -> bytes:
                query = Query(self.kind, NOTHING) if empty else self.query(args, world)
                shaped = self.reshape(args)
                # as of a past sync, a record is read whole: the store's current copy is not that one
                page = keyset_page(lambda **kw: sb.store.page(world_key, query, as_of=horizon,
                                                              data=shaped is not None or horizon is not None, **kw),
                                   self.page_size(args), position, reverse)
                out = PageOut(self.cursor.next(page, scope), self.cursor.previous(page, scope), len(page.rows))
                if shaped is not None:
                    return shaped(args, world, [row.record(self.kind) for row in page.rows], out)
                return self.envelope(rendered(ctx, world, self, page.rows, variant), out)

            variant, empty, horizon = _variant(self, ctx.sb, args), ctx.empty, ctx.horizon
            return json_response(kept(ctx, world_key, build, (variant, empty, horizon)))

        return list_records

    def every_record(self, sb, world_key: str, query: Mapping | None = None) -> Iterator[dict]:
        """Every record this listing serves for `query` (default: none), rendered, in its order (`ats-sandbox dump`)."""
        args = self.args.load(self.args.decode(MultiDict(query or {})))
        render = renderer(self, sb, world_key, args)
        for row in sb.store.page(world_key, self.query(args, sb.store.snapshot(world_key)), limit=None):
            yield render(row.record(self.kind))


@dataclass(frozen=True)
class Retrieve:
    path: str  # ends in <record_id>
    kind: str
    args: QueryArgs
    render: Render
    not_found: Callable[[str], errors.ApiError]
    locate: Callable[[str], str | None] = lambda value: value  # the path's id -> the stored value; None: 404
    by: str = "id"  # or "remote_id"
    include_deleted: bool = True  # whether a record deleted in the remote system is found
    include_shell: bool = True
    variant: Callable[[Mapping], tuple] = no_variant
    embeds: tuple[str, ...] = ()
    clocked: bool = False
    reshape: Callable[[Mapping], Callable | None] = lambda args: None  # body(args, world, record) -> bytes
    methods = ("GET",)

    def view(self):
        def retrieve_record(record_id: str):
            ctx = current()
            refuse_unserved(ctx, self.kind, "get")
            args = parse(self.args)
            value = self.locate(record_id)
            sb, world_key = ctx.sb, ctx.account.world

            def build(world: World) -> bytes:
                shaped = self.reshape(args)
                rows = [] if value is None or empty else sb.store.page(world_key, Query(
                    self.kind, (Filter(self.by, "in", (value,)),), self.include_deleted, self.include_shell),
                    limit=1, data=shaped is not None or horizon is not None, as_of=horizon)
                if not rows:
                    raise self.not_found(record_id)
                if shaped is not None:
                    return shaped(args, world, rows[0].record(self.kind))
                return rendered(ctx, world, self, rows, variant)

            variant, empty, horizon = _variant(self, ctx.sb, args), ctx.empty, ctx.horizon
            return json_response(kept(ctx, world_key, build, (variant, empty, horizon)))

        return retrieve_record

    def every_record(self, sb, world_key: str, query: Mapping | None = None) -> Iterator[dict]:
        """Every record this endpoint finds, rendered for `query` (default: none)."""
        render = renderer(self, sb, world_key, self.args.load(self.args.decode(MultiDict(query or {}))))
        for row in sb.store.page(world_key, Query(self.kind, (), self.include_deleted, self.include_shell), limit=None):
            yield render(row.record(self.kind))


@dataclass(frozen=True)
class Route:
    """A hand-written view, for what no declaration covers."""

    path: str
    view_function: Callable
    methods: tuple[str, ...] = ("GET",)
    any_state: bool = False  # answers whatever the connection's state (its own status, say)
    # for its OpenAPI description (sandbox/openapi.py): the query and body schemas the view reads, and
    # `example(sandbox, credential) -> (path values, JSON body)`, a request it answers with success
    args: QueryArgs | None = None
    body: object = None  # a marshmallow Schema
    example: Callable | None = None

    def view(self):
        return self.view_function


Endpoint = Listing | Retrieve | Route


def blueprint(name: str, endpoints: tuple[Endpoint, ...]) -> Blueprint:
    bp = Blueprint(name, __name__)
    for e in endpoints:
        view = e.view()
        endpoint = view.__name__ if isinstance(e, Route) else f"{e.kind}_{type(e).__name__.lower()}"
        bp.add_url_rule(e.path, endpoint=endpoint, view_func=view, methods=list(e.methods))
    return bp


def renderer(endpoint: Listing | Retrieve, sb, world_key: str, args: Mapping | None = None) -> Callable[[object], dict]:
    """record -> the endpoint's rendering of it in `world_key` for parsed `args` (default: none sent),
    outside a request."""
    args = endpoint.args.load({}) if args is None else args
    world, variant = sb.store.snapshot(world_key), _variant(endpoint, sb, args)
    return lambda record: endpoint.render(world, record, variant)


def _scope(endpoint: Listing) -> Callable:
    return lambda vendor, world_key: f"{vendor.name}/{world_key}/{endpoint.kind}"


def _position(sb, world_key: str, kind: str, record_id: str) -> int | None:
    row = sb.store.get(world_key, kind, record_id, data=False)
    return row.created_us if row else None


def rendered(ctx: Call, world: World, endpoint: Listing | Retrieve, rows, variant: tuple) -> bytes:
    """Records in one vendor variant, comma-joined: each rendered once per version and then kept
    (DESIGN principle 5). The key holds the record's version and the versions of the kinds its
    rendering reads, so a write to a kind it does not read leaves it be."""
    sb = ctx.sb
    get, store, kind, render = sb.record_cache.get, sb.store, endpoint.kind, endpoint.render
    head = (ctx.vendor.name, render, variant, world.key, world.versions[kind][0], world.version(*endpoint.embeds))

    def miss(row: Row) -> bytes:
        full = row if row.data is not None else store.get(world.key, kind, row.id)
        return orjson.dumps(render(world, full.record(kind), variant))

    return b",".join(get((*head, row.id, row.version), lambda row=row: miss(row)) for row in rows)


NOTHING = (Filter("id", "in", ()),)


def _variant(endpoint: Listing | Retrieve, sb, args: Mapping) -> tuple:
    """The query's variant, and the sandbox's date for a clocked endpoint."""
    variant = endpoint.variant(args)
    return (*variant, sb.clock.now().date()) if endpoint.clocked else variant


def kept(ctx: Call, world_key: str, build: Callable[[World], bytes], depends: tuple = ()) -> bytes:
    """A read's answer for this path and query string, built once while the world stands still: the
    key is the request itself plus the world's versions (and `depends`: the variant, which the query
    string decides but for a clocked endpoint's date, its last item; whether the connection answers
    empty; the sync it reads as of), so a kept answer is never stale. `build(world)` gets the world
    it was keyed on. Only successful bodies are kept."""
    req = request._get_current_object()
    world = ctx.sb.store.snapshot(world_key)
    key = (req.path, req.query_string, world_key, world.stamp, depends)
    return ctx.sb.response_cache.get(key, lambda: build(world))
