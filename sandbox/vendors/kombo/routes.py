"""Kombo's interview endpoints: the list, the closed-beta writes, and the API-key check."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import replace

import orjson
from flask import Blueprint, g, request

from sandbox.http import errors
from sandbox.http.args import json_object, load, parse
from sandbox.http.pagination import keyset_page
from sandbox.http.vendor import json_response, kept, rendered, sandbox
from sandbox.vendors.kombo import render
from sandbox.vendors.kombo.schemas import InterviewUpdate, InterviewWrite, ListArgs
from sandbox.world.model import Location
from sandbox.world.platforms import platform
from sandbox.world.store import InterviewQuery
from sandbox.world.writes import new_interview

bp = Blueprint("kombo", __name__)
_list_args, _create, _update = ListArgs(), InterviewWrite(), InterviewUpdate()
SUCCESS_EMPTY = {"status": "success", "data": {}}


def _scope(world_key: str) -> str:
    return hashlib.sha256(world_key.encode()).hexdigest()[:10]


def encode_cursor(position: int, world_key: str) -> str:
    """Opaque to clients: base64 of JSON, bound to the integration's world."""
    return base64.b64encode(orjson.dumps({"after": position, "scope": _scope(world_key)})).decode()


def decode_cursor(cursor: str, world_key: str) -> int:
    try:
        data = orjson.loads(base64.b64decode(cursor, validate=True))
        if data["scope"] == _scope(world_key) and isinstance(data["after"], int):
            return data["after"]
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        pass
    raise errors.BadRequest("The cursor is invalid. Pass the `next` value of a previous page of this integration.")


def _world_ids(kombo_ids: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Kombo ids as world ids; one that is not ours matches nothing, as an unknown id would."""
    if kombo_ids is None:
        return None
    return tuple(i for i in (render.world_id(k) for k in kombo_ids) if i is not None)


@bp.get("/ats/interviews")
def list_interviews():
    args = parse(_list_args, request.args)
    sb, account = sandbox(), g.account
    position = decode_cursor(args["cursor"], account.world) if "cursor" in args else None
    # Every filter Kombo offers here is one each of the sandbox's platforms supports, so
    # `ignore_unsupported_filters` is accepted and changes nothing.
    query = InterviewQuery(ids=_world_ids(args.get("ids")), remote_ids=args.get("remote_ids"),
                           job_ids=_world_ids(args.get("job_ids")), updated_after=args.get("updated_after"),
                           include_deleted=args["include_deleted"])

    def build(world) -> bytes:
        plat = platform(world.platform)
        rows = keyset_page(lambda **kw: sb.store.interviews(account.world, query, data=False, **kw),
                           args["page_size"], position)
        results = rendered("kombo", world, rows.rows, (), lambda i: render.interview(world, plat, i))
        nxt = orjson.dumps(encode_cursor(rows.next, account.world) if rows.next is not None else None)
        return b'{"status":"success","data":{"next":%s,"results":[%s]}}' % (nxt, results)

    return json_response(kept(account.world, build))


@bp.get("/check-api-key")
def check_api_key():
    environment = render.kid(hashlib.sha256(g.account.credential.values["api_key"].encode()).hexdigest()[:32])
    return json_response({"status": "success", "data": {"environment_id": environment, "customer_id": environment}})


def _people(world, fields: dict) -> tuple[str, tuple[str, ...]]:
    """The organizer's and interviewers' world ids; a Kombo user id not of this integration is refused."""
    def user(kombo_id: str, name: str) -> str:
        uid = render.world_id(kombo_id)
        if uid is None or uid not in world.users:
            raise errors.BadRequest(f"{name}: no user with the ID \"{kombo_id}\" exists in this integration.")
        return uid

    return (user(fields["organizer_user_id"], "organizer_user_id"),
            tuple(user(k, "interviewer_user_ids") for k in fields["interviewer_user_ids"]))


def _place(fields: dict) -> tuple[Location | None, str | None]:
    place = fields["location"]
    address = place.get("address") or None
    if place["type"] == "VIRTUAL":
        return None, address
    return (Location(name=address) if address else None), None


def _application(world, application_id: str):
    app_id = render.world_id(application_id)
    if app_id is None or app_id not in world.applications:
        raise errors.NotFound(f"No application with the ID \"{application_id}\" was found in this integration.")
    return world.applications[app_id]


def _write(schema, application_id: str):
    """What both beta writes read: the world, the application, the body, its people and place."""
    sb, account = sandbox(), g.account
    world = sb.store.world(account.world)
    app = _application(world, application_id)
    fields = load(schema, json_object())
    return sb, account, world, app, fields, *_people(world, fields), *_place(fields)


@bp.post("/ats/applications/<application_id>/interviews")
def create_interview(application_id: str):
    sb, account, world, app, fields, organizer, interviewers, where, video = _write(_create, application_id)
    sb.store.add_interview(account.world, lambda created: new_interview(
        world, created, application_id=app.id, stage_id=app.stage_id, organizer_id=organizer,
        interviewer_ids=interviewers, start_at=fields["start_time"], end_at=fields["end_time"], status="scheduled",
        location=where, video_url=video, title=fields["title"]), sb.clock.now())
    return json_response(SUCCESS_EMPTY)


@bp.patch("/ats/applications/<application_id>/interviews")
def update_interview(application_id: str):
    sb, account, world, app, fields, organizer, interviewers, where, video = _write(_update, application_id)
    interview_id = render.world_id(fields["interview_id"])
    row = sb.store.interview(account.world, interview_id) if interview_id else None
    if row is None or row.interview().application_id != app.id:
        raise errors.NotFound(f"No interview with the ID \"{fields['interview_id']}\" was found for this application.")

    def change(current, modified):
        return replace(current, title=fields["title"], start_at=fields["start_time"], end_at=fields["end_time"],
                       organizer_id=organizer, interviewer_ids=interviewers, location=where, video_url=video,
                       remote_updated_at=modified.replace(microsecond=0))

    sb.store.update_interview(account.world, interview_id, change, sb.clock.now())
    return json_response(SUCCESS_EMPTY)


