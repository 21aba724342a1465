"""Kombo's ATS endpoints, declared: the lists of every model the worlds hold (Kombo has no get by
id: `ids=` is the way), the closed-beta interview writes, and the API-key check."""

from __future__ import annotations

import hashlib
from typing import Mapping

import orjson
from flask import request
from marshmallow import fields, validate

from sandbox.http import errors
from sandbox.http.args import Timestamp
from sandbox.http.args import json_object
from sandbox.http.call import current
from sandbox.http.context import json_response, sandbox
from sandbox.http.cursors import ScopedCursor
from sandbox.http.endpoints import Listing, PageOut, Route
from sandbox.http.filters import By, parameters, where
from sandbox.vendors.kombo import render, writes
from sandbox.vendors.kombo.errors import INTEGRATION_NOT_FOUND
from sandbox.vendors.kombo.schemas import CommaList, InterviewUpdate, InterviewWrite, ListArgs
from sandbox.world.store import Query, compare

CURSOR = ScopedCursor()
JOB_STATUSES = ("OPEN", "CLOSED", "DRAFT", "ARCHIVED")


def world_ids(kombo_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Kombo ids as world ids; one that is not ours matches nothing, as an unknown id would."""
    return tuple(i for i in (render.world_id(k) for k in kombo_ids) if i is not None)


def _page(items: bytes, out: PageOut) -> bytes:
    return b'{"status":"success","data":{"next":%s,"results":[%s]}}' % (orjson.dumps(out.next), items)


def _invalid_cursor() -> errors.ApiError:
    return errors.BadRequest("The cursor is invalid. Pass the `next` value of a previous page of this integration.")


def listing(path: str, kind: str, renderer, filters: dict[str, By] | None = None, updated: str = "modified",
            embeds: tuple[str, ...] = (), deletable: bool = False) -> Listing:
    """A Kombo list. Every filter Kombo offers here is one the sandbox's platforms support, so
    `ignore_unsupported_filters` is accepted and changes nothing. `updated` is what `updated_after`
    compares: the record's own change, or (interviews) the record's or its parent's."""
    filters = {"ids": By(CommaList(), "id", world_ids), "remote_ids": By(CommaList(), "remote_id"), **(filters or {})}

    def query(a: Mapping, world) -> Query:
        return Query.of(kind, compare(updated, "gt", a.get("updated_after")), *where(a, filters),
                        include_deleted=a["include_deleted"])

    if deletable:  # a deleted record's fields are nulled some days later: the rendering reads the date
        renderer = render.nulled_after_deletion(renderer)
    return Listing(path, kind, ListArgs.from_dict(parameters(filters))(), query=query, render=renderer,
                   cursor=CURSOR, envelope=_page, invalid_cursor=_invalid_cursor, embeds=embeds, clocked=deletable)


def check_api_key():
    environment = render.kid(hashlib.sha256(current().account.credential.values["api_key"].encode()).hexdigest()[:32])
    return json_response({"status": "success", "data": {"environment_id": environment, "customer_id": environment}})


def integration(integration_id: str):
    """The integration the path names, if the API key has it: its state and setup status follow the
    connection's. (Authenticated by the key alone: the request's account is the path's integration.)"""
    sb = sandbox()
    credential = sb.accounts.find("kombo", api_key=current().account.credential.values["api_key"], integration_id=integration_id)
    if credential is None:
        raise errors.NotFound(f"No integration with the ID \"{integration_id}\" was found for this API key.",
                              code=INTEGRATION_NOT_FOUND)
    current().account = sb.accounts.account(credential)  # what the journal files the request under
    world = sb.store.snapshot(credential.world)
    return json_response({"status": "success", "data": render.integration(
        world, credential, sb.connections.state(credential), sb.fixtures.epoch)})


def force_sync():
    """`{"type": "FULL" | "DELTA"}` (default FULL, as Kombo's spec says): a sync now; `already_queued`
    when one was forced at this very instant of the sandbox clock (INFERRED: syncs here take no time)."""
    sb, credential = sandbox(), current().account.credential
    body = json_object() if request.content_length else {}
    kind = body.get("type", "FULL")
    if kind not in ("FULL", "DELTA"):
        raise errors.BadRequest("type: must be one of FULL, DELTA.")
    queued = sb.syncs.force(credential)
    sync_id = render.kid(hashlib.sha256(f"{credential.id}/{sb.clock.now().isoformat()}".encode()).hexdigest()[:32])
    return json_response({"status": "success", "data": {"already_queued": queued, "sync_id": sync_id, "type": kind}})


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


ENDPOINTS = (
    listing("/ats/interviews", "interview", render.interview, {"job_ids": By(CommaList(), "job_id", world_ids)},
            updated="updated", embeds=("application", "candidate", "job", "user", "stage"), deletable=True),
    listing("/ats/applications", "application", render.application, {
        "outcome": By(fields.String(validate=validate.OneOf(("PENDING", "HIRED", "DECLINED"))), "rejected",
                      lambda o: {"PENDING": 0, "DECLINED": 1}.get(o, -1)),
        "outcomes": By(CommaList(), "rejected", lambda os: tuple({"PENDING": 0, "DECLINED": 1}.get(o, -1) for o in os)),
        "job_ids": By(CommaList(), "job_id", world_ids),
        "job_remote_ids": By(CommaList(), "job_remote_id"),
        "current_stage_ids": By(CommaList(), "stage_id", world_ids),
        "remote_created_after": By(Timestamp(), "applied_at", op="gt")},
        embeds=("candidate", "job", "stage", "interview"), deletable=True),
    listing("/ats/candidates", "candidate", render.candidate, {
        "email": By(fields.String(), "email"), "job_ids": By(CommaList(), "job_id", world_ids),
        "first_name": By(fields.String(), "first_name"), "last_name": By(fields.String(), "last_name")},
        embeds=("application", "job", "stage"), deletable=True),
    listing("/ats/jobs", "job", render.job, {
        "job_codes": By(CommaList(), None), "post_url": By(fields.String(), None),
        "status": By(fields.String(validate=validate.OneOf(JOB_STATUSES)), "status", str.lower),
        "statuses": By(CommaList(), "status", _lower),
        "employment_types": By(CommaList(), None, holds=("FULL_TIME",)),
        "visibilities": By(CommaList(), None, holds=("PUBLIC",)),
        "remote_created_after": By(Timestamp(), "remote_created_at", op="gt"),
        "name_contains": By(fields.String(), "title", op="contains")},
        embeds=("stage",)),
    listing("/ats/users", "user", render.user, {"emails": By(CommaList(), "email")}),
    listing("/ats/application-stages", "stage", render.application_stage),
    Route("/ats/applications/<application_id>/interviews", writes.create_interview, methods=("POST",),
          body=InterviewWrite(), example=writes.example),
    Route("/ats/applications/<application_id>/interviews", writes.update_interview, methods=("PATCH",),
          body=InterviewUpdate(), example=lambda sb, credential: writes.example(sb, credential, update=True)),
    Route("/check-api-key", check_api_key, any_state=True),  # the key's, not an integration's
    Route("/integrations/<integration_id>", integration, any_state=True,
          example=lambda sb, credential: ({"integration_id": credential.values["integration_id"]}, None)),
    Route("/force-sync", force_sync, methods=("POST",), any_state=True),
)
