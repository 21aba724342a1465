"""Kombo's closed-beta interview writes: `POST` and `PATCH /ats/applications/{id}/interviews`."""

from __future__ import annotations

from dataclasses import replace


from sandbox.http import errors
from sandbox.http.args import json_object, load
from sandbox.http.call import current
from sandbox.http.context import json_response, sandbox
from sandbox.vendors.kombo import render
from sandbox.vendors.kombo.errors import ACTION_NOT_AVAILABLE
from sandbox.vendors.kombo.platforms import COVERAGE
from sandbox.vendors.kombo.schemas import InterviewUpdate, InterviewWrite
from sandbox.world.model import Location
from sandbox.world.platforms import platform
from sandbox.world.writes import first_interview, new_interview

_create, _update = InterviewWrite(), InterviewUpdate()
SUCCESS_EMPTY = {"status": "success", "data": {}}


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
    sb, account = sandbox(), current().account
    if not COVERAGE.serves("interview", "list", account.platform):  # no interviews here: nor their writes
        raise errors.Forbidden(f"Writing interviews is not available for {platform(account.platform).name}.",
                               code=ACTION_NOT_AVAILABLE)
    world = sb.store.snapshot(account.world)
    app = _application(world, application_id)
    fields = load(schema, json_object())
    return sb, account, world, app, fields, *_people(world, fields), *_place(fields)


def example(sb, credential, update: bool = False) -> tuple[dict, dict]:
    """A write the credential's world accepts, for the OpenAPI description: its first interview's
    application and people."""
    _, interview = first_interview(sb, credential.world)
    body = {"title": "Onsite", "start_time": "2026-12-01T10:00:00Z", "end_time": "2026-12-01T11:00:00Z",
            "interviewer_user_ids": [render.kid(u) for u in interview.interviewer_ids],
            "organizer_user_id": render.kid(interview.organizer_id),
            "location": {"type": "VIRTUAL", "address": "https://meet.example.com/onsite"}}
    if update:
        body["interview_id"] = render.kid(interview.id)
    return {"application_id": render.kid(interview.application_id)}, body


def create_interview(application_id: str):
    sb, account, world, app, fields, organizer, interviewers, where, video = _write(_create, application_id)
    sb.store.add(account.world, "interview", lambda created: new_interview(
        world, created, application_id=app.id, stage_id=app.stage_id, organizer_id=organizer,
        interviewer_ids=interviewers, start_at=fields["start_time"], end_at=fields["end_time"], status="scheduled",
        location=where, video_url=video, title=fields["title"]), sb.clock.now())
    return json_response(SUCCESS_EMPTY)


def update_interview(application_id: str):
    sb, account, world, app, fields, organizer, interviewers, where, video = _write(_update, application_id)
    interview_id = render.world_id(fields["interview_id"])
    row = sb.store.get(account.world, "interview", interview_id) if interview_id else None
    if row is None or row.record("interview").application_id != app.id:
        raise errors.NotFound(f"No interview with the ID \"{fields['interview_id']}\" was found for this application.")

    def change(current, modified):
        return replace(current, title=fields["title"], start_at=fields["start_time"], end_at=fields["end_time"],
                       organizer_id=organizer, interviewer_ids=interviewers, location=where, video_url=video,
                       remote_updated_at=modified.replace(microsecond=0))

    sb.store.update(account.world, "interview", interview_id, change, sb.clock.now())
    return json_response(SUCCESS_EMPTY)
