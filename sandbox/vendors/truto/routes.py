"""Truto's unified interview endpoints: list and get."""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import urlencode

import orjson
from flask import Blueprint, g, request
from marshmallow import ValidationError

from sandbox.http import errors
from sandbox.http.args import once
from sandbox.http.pagination import keyset_page
from sandbox.http.vendor import json_response, kept, rendered, sandbox
from sandbox.vendors.truto import render
from sandbox.vendors.truto.schemas import GetArgs, ListArgs, bracketed
from sandbox.world.platforms import platform
from sandbox.world.store import InterviewQuery

bp = Blueprint("truto", __name__)
_list_args, _get_args = ListArgs(), GetArgs()
# Truto's filter -> the world's field it compares
RANGES = {"created_at": "remote_created_at", "updated_at": "remote_updated_at", "updated": "remote_updated_at",
          "start_at": "start_at", "end_at": "end_at"}


def _parse(schema):
    def load() -> dict:
        try:
            return schema.load(bracketed(request.args))
        except ValidationError as exc:
            raise errors.BadRequest("Invalid query parameters.", fields=exc.normalized_messages()) from None

    return once(schema, load)


def _scope(world_key: str) -> str:
    return hashlib.sha256(f"truto/{world_key}".encode()).hexdigest()[:10]


def encode_cursor(position: int, world_key: str, reverse: bool = False) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(
        {"before" if reverse else "after": position, "scope": _scope(world_key)})).decode()


def decode_cursor(cursor: str, world_key: str) -> tuple[int, bool]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if data.get("scope") == _scope(world_key):
            reverse = "before" in data
            position = data["before" if reverse else "after"]
            if isinstance(position, int):
                return position, reverse
    except (ValueError, TypeError, AttributeError, binascii.Error, orjson.JSONDecodeError):
        pass
    raise errors.BadRequest("Invalid next_cursor: pass the next_cursor or prev_cursor of an earlier page as it was.")


def _by_remote(records: dict, remote_ids) -> tuple[str, ...] | None:
    if remote_ids is None:
        return None
    wanted = set(remote_ids)
    return tuple(r.id for r in records.values() if r.remote_id in wanted)


def _shape(args: dict, objects: list[dict]) -> list[dict]:
    drop = set(args["truto_exclude_fields"])
    if drop:
        objects = [{k: v for k, v in o.items() if k not in drop} for o in objects]
    return objects


def _debug(world, plat, args, raws, **listing) -> dict:
    query = {"per_page": args.get("limit", 1)} if listing else {}
    query.update(args["remote_query"])
    return {"requestUrl": f"{plat.api_base}{plat.list_path}" + (f"?{urlencode(query, doseq=True)}" if query else ""),
            "requestOptions": {"method": "GET", "headers": {"Accept": "application/json"},
                               "query": args["remote_query"]},
            "data": raws, "responseHeaders": {"content-type": "application/json"}, **listing}


@bp.get("/unified/ats/interviews")
def list_interviews():
    args = _parse(_list_args)
    sb, account = sandbox(), g.account
    position, reverse = decode_cursor(args["next_cursor"], account.world) if "next_cursor" in args else (None, False)
    return json_response(kept(account.world, lambda world: _list(sb, account, world, args, position, reverse)))


def _list(sb, account, world, args, position, reverse) -> bytes:
    plat = platform(world.platform)
    query = InterviewQuery(
        application_ids=_by_remote(world.applications, args.get("application_id")),
        candidate_ids=_by_remote(world.candidates, args.get("candidate_id")),
        stage_ids=_by_remote(world.stages, args.get("job_interview_stage_id")),
        ranges=tuple((RANGES[name], op, when) for name in RANGES for op, when in args.get(name, ())))
    fmt = args["truto_response_format"]
    plain = fmt in ("unified", "normalized") and not args["truto_exclude_fields"] and "truto_key_by" not in args
    fetch = lambda **kw: sb.store.interviews(account.world, query, data=not plain, **kw)  # noqa: E731
    if args["truto_ignore_limit"]:
        rows, nxt, prev = fetch(limit=-1), None, None
    else:
        got = keyset_page(fetch, args["limit"], position, reverse)
        rows, nxt, prev = got.rows, got.next, got.previous
    cursors = {"next_cursor": encode_cursor(nxt, account.world) if nxt is not None else None,
               "prev_cursor": encode_cursor(prev, account.world, reverse=True) if prev is not None else None,
               "result_count": len(rows)}
    if plain:  # the common case: assembled from rendered bytes
        variant = (fmt, not args["truto_ignore_remote_data"])
        items = rendered("truto", world, rows, variant, lambda i: render.interview(
            world, plat, i, normalized=fmt == "normalized", remote_data=variant[1]))
        return b'{"result":[%s],%s' % (items, orjson.dumps(cursors)[1:])
    interviews = [row.interview() for row in rows]
    if fmt == "raw":
        objects = [plat.raw_interview(world, i) for i in interviews]
    else:
        objects = _shape(args, [render.interview(world, plat, i, normalized=fmt == "normalized",
                                                 remote_data=not args["truto_ignore_remote_data"]) for i in interviews])
    result: list | dict = objects
    if "truto_key_by" in args:
        key = args["truto_key_by"]
        if any(key not in o for o in objects):
            raise errors.BadRequest(f"truto_key_by: {key} is not a field of every result.")
        result = {str(o[key]["id"] if isinstance(o[key], dict) else o[key]): o for o in objects}
    body = {"result": result, **cursors}
    if fmt == "debug":
        body["debug"] = _debug(world, plat, args, [plat.raw_interview(world, i) for i in interviews],
                               nextCursor=cursors["next_cursor"], isLooping=False, isEmptyResult=not objects,
                               resultCount=len(objects))
    return orjson.dumps(body)


@bp.get("/unified/ats/interviews/<interview_id>")
def get_interview(interview_id: str):
    args = _parse(_get_args)
    sb, account = sandbox(), g.account

    def build(world) -> bytes:
        plat = platform(world.platform)
        rows = sb.store.interviews(account.world, InterviewQuery(remote_ids=(interview_id,)), limit=1)
        if not rows:
            raise errors.NotFound(f"Interview {interview_id} not found.")
        i = rows[0].interview()
        fmt = args["truto_response_format"]
        if fmt == "raw":
            return orjson.dumps(plat.raw_interview(world, i))
        [obj] = _shape(args, [render.interview(world, plat, i, normalized=fmt == "normalized",
                                               remote_data=not args["truto_ignore_remote_data"])])
        if fmt == "debug":
            return orjson.dumps({"result": obj, "debug": _debug(world, plat, args, plat.raw_interview(world, i))})
        return orjson.dumps(obj)

    return json_response(kept(account.world, build))
