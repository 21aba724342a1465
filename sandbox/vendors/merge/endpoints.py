"""Merge's ATS endpoints, declared: every common model the worlds hold, list and retrieve, plus the
interview write, its metadata and the linked account's details."""

from __future__ import annotations

import uuid
from typing import Mapping

import orjson
from marshmallow import fields, validate

from sandbox.http import errors
from sandbox.http.args import Uuid
from sandbox.http.call import current
from sandbox.http.context import json_response, sandbox
from sandbox.http.cursors import DrfCursor
from sandbox.http.endpoints import Listing, PageOut, Retrieve, Route
from sandbox.http.filters import By, parameters
from sandbox.http.filters import where as matching
from sandbox.vendors.merge import receivers, render, writes
from sandbox.vendors.merge.schemas import CommaList, CreateArgs, InterviewRequest, ListArgs, RetrieveArgs, args
from sandbox.world.store import Filter, Query, compare

CURSOR = DrfCursor()


def _page(items: bytes, out: PageOut) -> bytes:
    return b'{"next":%s,"previous":%s,"results":[%s]}' % (orjson.dumps(out.next), orjson.dumps(out.previous), items)


def _view(a: Mapping) -> render.View:
    origins = a.get("show_enum_origins", frozenset()) | a.get("remote_fields", frozenset())
    return render.View(a.get("expand", frozenset()), a["include_remote_data"], origins)


def _query(kind: str, filters: dict[str, By]):
    def query(a: Mapping, world) -> Query:
        where = [compare("created", "gt", a.get("created_after")), compare("created", "lt", a.get("created_before")),
                 compare("modified", "gt", a.get("modified_after")), compare("modified", "lt", a.get("modified_before")),
                 Filter("remote_id", "in", (a["remote_id"],)) if "remote_id" in a else None]
        where += matching(a, filters)
        return Query.of(kind, *where, include_deleted=a["include_deleted_data"], include_shell=a["include_shell_data"])

    return query


def _not_found(record_id: str) -> errors.ApiError:
    return errors.NotFound("Not found.")


def _hex(value: str) -> str | None:
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return None


def model(path: str, kind: str, renderer, *, expands: tuple[str, ...] = (), enums: tuple[str, ...] = (),
          filters: dict[str, By] | None = None, embeds: tuple[str, ...] = ()) -> tuple[Listing, Retrieve]:
    """A Merge common model's list and retrieve endpoints."""
    filters = filters or {}
    return (
        Listing(path, kind, args(ListArgs, expands, enums, parameters(filters)),
                query=_query(kind, filters), render=renderer, cursor=CURSOR, envelope=_page,
                invalid_cursor=lambda: errors.NotFound("Invalid cursor"), variant=_view, embeds=embeds),
        Retrieve(f"{path}/<record_id>", kind, args(RetrieveArgs, expands, enums), render=renderer,
                 not_found=_not_found, locate=_hex, variant=_view, embeds=embeds),
    )


def account_details():
    sb, credential = sandbox(), current().account.credential
    world = sb.store.snapshot(current().account.world)
    return json_response(render.account_details(world, credential.values["account_token"], credential.category,
                                                sb.connections.state(credential)))


def sync_status():
    sb, credential = sandbox(), current().account.credential
    results = render.sync_status(sb.connections.state(credential), sb.syncs.status(credential))
    return json_response({"next": None, "previous": None, "results": results})


def resync():
    """A sync now (Merge: "consumes a sync credit"); answers each model's status."""
    sb, credential = sandbox(), current().account.credential
    sb.syncs.force(credential)
    return json_response(render.sync_status(sb.connections.state(credential), sb.syncs.status(credential)))


ALL = ("application", "user", "stage", "candidate", "job")
ENDPOINTS = (
    Route("/ats/v1/interviews", writes.create_interview, methods=("POST",), args=CreateArgs(), body=InterviewRequest(),
          example=writes.example),
    Route("/ats/v1/interviews/meta/post", writes.meta_post),
    *model("/ats/v1/interviews", "interview", render.interview,
           expands=("application", "interviewers", "job_interview_stage", "organizer"), enums=("status",),
           filters={"application_id": By(Uuid(), "application_id"), "job_id": By(Uuid(), "job_id"),
                    "job_interview_stage_id": By(Uuid(), "stage_id"), "organizer_id": By(Uuid(), "organizer_id")},
           embeds=ALL),
    *model("/ats/v1/applications", "application", render.application,
           expands=("candidate", "credited_to", "current_stage", "job", "offers", "reject_reason",
                    "screening_question_answers", "screening_question_answers.question"),
           filters={"candidate_id": By(Uuid(), "candidate_id"), "credited_to_id": By(Uuid(), "credited_to"),
                    "current_stage_id": By(Uuid(), "stage_id"), "job_id": By(Uuid(), "job_id"),
                    "reject_reason_id": By(Uuid(), None), "source": By(fields.String(), "source")},
           embeds=ALL),
    *model("/ats/v1/candidates", "candidate", render.candidate, expands=("applications", "attachments"),
           filters={"email_addresses": By(CommaList(), "email"), "first_name": By(fields.String(), "first_name"),
                    "last_name": By(fields.String(), "last_name"), "tags": By(CommaList(), None)},
           embeds=("application",)),
    *model("/ats/v1/users", "user", render.user, enums=("access_role",),
           filters={"email": By(fields.String(), "email")}),
    *model("/ats/v1/jobs", "job", render.job,
           expands=("departments", "hiring_managers", "job_postings", "offices", "recruiters"), enums=("status",),
           filters={"code": By(fields.String(), None), "offices": By(CommaList(), None),
                    "status": By(fields.String(validate=validate.OneOf(("ARCHIVED", "CLOSED", "DRAFT", "OPEN",
                                                                         "PENDING"))), "status", str.lower)}),
    *model("/ats/v1/job-interview-stages", "stage", render.stage, expands=("job",),
           filters={"job_id": By(Uuid(), "job_id")}, embeds=("job",)),
    *model("/ats/v1/scorecards", "scorecard", render.scorecard, expands=("application", "interview", "interviewer"),
           enums=("overall_recommendation",),
           filters={"application_id": By(Uuid(), "application_id"), "interview_id": By(Uuid(), "interview_id"),
                    "interviewer_id": By(Uuid(), "interviewer_id")},
           embeds=(*ALL, "interview")),
    Route("/ats/v1/account-details", account_details),
    Route("/ats/v1/sync-status", sync_status),
    Route("/ats/v1/sync-status/resync", resync, methods=("POST",)),
    Route("/ats/v1/webhook-receivers", receivers.list_receivers),
    Route("/ats/v1/webhook-receivers", receivers.create_receiver, methods=("POST",),
          body=receivers.WebhookReceiverRequest(), example=lambda sb, credential: ({}, receivers.EXAMPLE)),
)
