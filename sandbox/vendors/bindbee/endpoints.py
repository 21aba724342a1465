"""Bindbee's ATS endpoints, declared: list and get of scheduled interviews, candidates,
applications, jobs, remote users and job interview stages."""

from __future__ import annotations

import uuid
from typing import Mapping

import orjson
from marshmallow import fields

from sandbox.http import errors
from sandbox.http.cursors import LastIdCursor
from sandbox.http.endpoints import Listing, PageOut, Retrieve
from sandbox.http.filters import By, parameters, where
from sandbox.vendors.bindbee import render
from sandbox.vendors.bindbee.ids import bid, world_id
from sandbox.vendors.bindbee.schemas import Expand, Ids, ListArgs, RetrieveArgs, Words
from sandbox.world.store import Query, compare

CURSOR = LastIdCursor(bid, world_id)
USER_FIELDS = ("remote_id", "modified_at", "custom_fields", "first_name", "last_name", "email", "disabled",
               "remote_created_at", "access_role")
STAGE_FIELDS = ("remote_id", "modified_at", "custom_fields", "name", "job", "stage_order")
APPLICATION_FIELDS = ("remote_id", "modified_at", "custom_fields", "candidate", "job", "applied_at", "rejected_at",
                      "source", "credited_to", "current_stage", "reject_reason")
CANDIDATE_FIELDS = ("remote_id", "modified_at", "custom_fields", "first_name", "last_name", "company", "title",
                    "email_addresses", "phone_numbers")
JOB_FIELDS = ("remote_id", "modified_at", "custom_fields", "name", "code", "status")


def _page(items: bytes, out: PageOut) -> bytes:
    return b'{"cursor":%s,"page_size":%d,"items":[%s]}' % (orjson.dumps(out.next), out.count, items)


def _view(args: Mapping) -> render.View:
    return render.View(args.get("expand", ()), args["include_raw_data"], args["include_custom_fields"])


def _locate(value: str) -> str | None:
    """The world id of a Bindbee id; a UUID not of version 7 is none of ours (404), anything else
    is refused as FastAPI refuses a path parameter that is not a UUID."""
    wid = world_id(value)
    if wid is None:
        try:
            uuid.UUID(value)
        except ValueError:
            raise errors.Unprocessable([{"type": "uuid_parsing", "loc": ["path", "id"],
                                         "msg": "Input should be a valid UUID", "input": value}]) from None
    return wid


def resource(path: str, kind: str, renderer, noun: str, *, filters: dict[str, By] | None = None,
             relations: dict[str, tuple[str, ...]] | None = None, embeds: tuple[str, ...] = (),
             repeated: tuple[str, ...] = ()):
    """A Bindbee resource's list and get. Neither shows a record deleted in the remote system, nor
    a shell record (Bindbee lists neither). `repeated` names the parameters Bindbee's spec types as
    arrays: FastAPI reads those from repeated keys (`?x=a&x=b`), so every value counts, not the last."""
    filters = {"ids": By(Ids(), "id"), **(filters or {})}
    expand = {"expand": Expand(relations)} if relations else {}
    list_args = ListArgs.from_dict({**expand, **parameters(filters)})  # a class of its own, per resource
    list_args.repeated = repeated

    def query(a: Mapping, world) -> Query:
        return Query.of(kind, compare("modified", "gt", a.get("modified_after")), *where(a, filters))

    return (
        Listing(path, kind, list_args(), query=query, render=renderer,
                cursor=CURSOR, envelope=_page, invalid_cursor=lambda: errors.BadRequest("Invalid cursor"),
                variant=_view, embeds=embeds),
        Retrieve(f"{path}/<record_id>", kind, RetrieveArgs.from_dict(expand)(), render=renderer,
                 not_found=lambda record_id: errors.NotFound(f"{noun} not found"), locate=_locate,
                 include_deleted=False, include_shell=False, variant=_view, embeds=embeds),
    )


ALL = ("application", "user", "stage", "candidate", "job")
ENDPOINTS = (
    *resource("/api/ats/v1/scheduled-interviews", "interview", render.interview, "Scheduled interview",
              filters={"application": By(Ids(), "application_id"), "organizer": By(Ids(), "organizer_id"),
                       "job_interview_stage": By(Ids(), "stage_id")},
              relations={"application": APPLICATION_FIELDS, "job_interview_stage": STAGE_FIELDS,
                         "organizer": USER_FIELDS, "interviewers": USER_FIELDS}, embeds=ALL),
    *resource("/api/ats/v1/candidates", "candidate", render.candidate, "Candidate",
              filters={"remote_id": By(fields.String(), "remote_id"), "company": By(Words(), None),
                       "first_name": By(fields.String(), "first_name"), "last_name": By(fields.String(), "last_name"),
                       "tag": By(fields.String(), None), "email_addresses": By(Words(), "email")},
              relations={"applications": APPLICATION_FIELDS, "attachments": ()}, embeds=ALL,
              repeated=("email_addresses",)),
    *resource("/api/ats/v1/applications", "application", render.application, "Application",
              filters={"remote_id": By(fields.String(), "remote_id"), "current_stage": By(Ids(), "stage_id"),
                       "credited_to": By(Ids(), "credited_to"), "source": By(fields.String(), "source"),
                       "job": By(Ids(), "job_id"), "candidate": By(Ids(), "candidate_id"),
                       "reject_reason": By(Ids(), None)},
              relations={"candidate": CANDIDATE_FIELDS, "job": JOB_FIELDS, "credited_to": USER_FIELDS,
                         "current_stage": STAGE_FIELDS, "reject_reason": ()}, embeds=ALL),
    *resource("/api/ats/v1/jobs", "job", render.job, "Job",
              filters={"remote_id": By(fields.String(), "remote_id"), "code": By(fields.String(), None),
                       "status": By(fields.String(), "status", str.lower), "offices": By(Ids(), None)},
              relations={"hiring_managers": USER_FIELDS, "recruiters": USER_FIELDS, "departments": (), "offices": ()}),
    # The remote-user endpoints take no `expand` in Bindbee's spec; one its docs show is ignored.
    *resource("/api/ats/v1/remote-users", "user", render.user, "Remote user",
              filters={"email": By(fields.String(), "email")}),
    *resource("/api/ats/v1/job-interview-stages", "stage", render.stage, "Job interview stage",
              filters={"remote_id": By(fields.String(), "remote_id"), "job": By(Ids(), "job_id")},
              relations={"job": JOB_FIELDS}, embeds=("job",)),
)
