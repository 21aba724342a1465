"""Merge's interview write (`POST /ats/v1/interviews`) and its metadata: Merge validates the
model against the platform's requirements and answers 201 with the model, warnings and errors."""

from __future__ import annotations

import uuid

import orjson
from flask import request
from marshmallow import ValidationError

from sandbox.http import errors
from sandbox.http.args import json_object, parse
from sandbox.http.call import current
from sandbox.http.context import json_response, sandbox
from sandbox.vendors.merge import render
from sandbox.vendors.merge.errors import WriteRejected, problem
from sandbox.vendors.merge.schemas import WRITABLE, CreateArgs, InterviewWrite, request_schema
from sandbox.world.model import Location
from sandbox.world.platforms import derived_id, platform
from sandbox.world.writes import first_interview, new_interview

_create_args, _write = CreateArgs(), InterviewWrite()
STATUS_IN = {"SCHEDULED": "scheduled", "AWAITING_FEEDBACK": "awaiting_feedback", "COMPLETE": "complete"}
WRITE_PLATFORMS = ("greenhouse",)  # Merge lists POST /interviews model fields for Greenhouse alone


def example(sb, credential) -> tuple[dict, dict]:
    """A write the credential's world accepts, for the OpenAPI description: its first interview's people
    and stage, anew."""
    world, interview = first_interview(sb, credential.world)
    model = {"application": str(uuid.UUID(hex=interview.application_id)),
             "job_interview_stage": str(uuid.UUID(hex=interview.stage_id)),
             "interviewers": [str(uuid.UUID(hex=u)) for u in interview.interviewer_ids],
             "start_at": "2026-12-01T10:00:00Z", "end_at": "2026-12-01T11:00:00Z"}
    return {}, {"model": model, "remote_user_id": world.users[interview.organizer_id].remote_id}


def meta_post():
    account = current().account
    if account.platform not in WRITE_PLATFORMS:
        raise errors.NotFound("Not found.")
    return json_response({
        "request_schema": request_schema(),
        "remote_field_classes": {},
        "status": {"linked_account_status": "COMPLETE", "can_make_request": True},
        "has_conditional_params": False,
        "has_required_linked_account_params": False,
    })


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _request_body() -> dict:
    """The write's body: JSON, or a form (the spec lists both) whose `model` is a JSON-encoded field,
    as Django REST Framework reads one (a repeated field counts by its last value)."""
    if request.mimetype not in FORMS:
        return json_object()
    body = {key: request.form.getlist(key)[-1] for key in request.form}
    if "model" in body:
        try:
            body["model"] = orjson.loads(body["model"])
        except orjson.JSONDecodeError:
            raise errors.BadRequest("Invalid form.", fields={"model": ["Value must be valid JSON."]}) from None
    return body


def create_interview():
    args = parse(_create_args)
    body = _request_body()
    sb, account = sandbox(), current().account
    world = sb.store.snapshot(account.world)
    plat = platform(world.platform)

    warnings = [problem("Unrecognized Field", f"An unrecognized field, {k}, was passed in with request data.",
                        "UNRECOGNIZED_FIELD", f"/{k}") for k in body if k not in ("model", "remote_user_id")]
    model, remote_user_id = body.get("model"), body.get("remote_user_id")
    problems, fields = [], {}
    if account.platform not in WRITE_PLATFORMS:
        problems.append(problem("Unsupported Operation",
                                f"{plat.name} does not support creating ScheduledInterview records through Merge.",
                                "ERROR"))
    if isinstance(model, dict):
        warnings += [problem("Unrecognized Field", f"An unrecognized field, {k}, was passed in with request data.",
                             "UNRECOGNIZED_FIELD", f"/model/{k}") for k in model if k not in WRITABLE]
        try:
            fields = _write.load(model)
        except ValidationError as exc:
            problems += _problems(exc)
    elif model is None:
        problems.append(problem("Missing Required Field", "model is a required field.", "MISSING_REQUIRED_FIELD",
                                "/model"))
    else:
        problems.append(problem("Incorrect Field Type", "model must be an object.", "INCORRECT_FIELD_TYPE", "/model"))
    if remote_user_id is None:
        problems.append(problem("Missing Required Field", "remote_user_id is a required field.",
                                "MISSING_REQUIRED_FIELD", "/remote_user_id"))
    elif not isinstance(remote_user_id, str):
        problems.append(problem("Incorrect Field Type", "remote_user_id must be a string.", "INCORRECT_FIELD_TYPE",
                                "/remote_user_id"))
    if problems:
        raise WriteRejected(problems, warnings)
    problems = _check_references(world, fields, remote_user_id)
    if problems:
        raise WriteRejected(problems, warnings)

    author = _author(world, remote_user_id)
    location = fields.get("location")
    interview = sb.store.add(account.world, "interview", lambda created: new_interview(
        world, created, application_id=fields["application"], stage_id=fields["job_interview_stage"],
        organizer_id=fields.get("organizer") or author.id, interviewer_ids=tuple(fields["interviewers"]),
        start_at=fields["start_at"], end_at=fields["end_at"],
        status=STATUS_IN.get(fields.get("status") or "SCHEDULED"),
        location=Location(name=location) if location else None, video_url=None), sb.clock.now())
    out = {"model": render.interview(world, interview), "warnings": warnings, "errors": []}
    if args["is_debug_mode"]:
        log_id = derived_id("uuid", world.seed, "log", interview.id)
        out["logs"] = [{"log_id": log_id, "dashboard_view": f"https://app.merge.dev/logs/{log_id}",
                        "log_summary": {"url": "https://harvest.greenhouse.io/v2/scheduled_interviews",
                                        "method": "POST", "status_code": 201}}]
    return json_response(out, 201)


def _problems(exc: ValidationError) -> list[dict]:
    out = []
    for name, messages in exc.normalized_messages().items():
        texts = _flatten(messages)
        if any("Missing data" in m for m in texts):
            out.append(problem("Missing Required Field", f"{name} is a required field on model.",
                               "MISSING_REQUIRED_FIELD", f"/model/{name}"))
        else:
            out.append(problem("Incorrect Field Type", f"{name}: {' '.join(texts)}", "INCORRECT_FIELD_TYPE",
                               f"/model/{name}"))
    return out


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    if isinstance(messages, list):
        return [m for v in messages for m in _flatten(v)]
    return [str(messages)]


def _check_references(world, fields: dict, remote_user_id: str) -> list[dict]:
    """Every id must name a record of this linked account, and the stage must be of the job applied to."""
    def bad(name: str, detail: str) -> dict:
        return problem("Invalid Field", detail, "INVALID_FIELD_CHOICE", f"/model/{name}")

    out = []
    author = _author(world, remote_user_id)
    if author is None or author.disabled:
        out.append(problem("Invalid Field", f"No active user with remote id {remote_user_id} exists in this linked "
                           "account.", "INVALID_FIELD_CHOICE", "/remote_user_id"))
    app = world.applications.get(fields["application"])
    if app is None:
        out.append(bad("application", f"No Application with id {render.mid(fields['application'])} exists."))
    stage = world.stages.get(fields["job_interview_stage"])
    if stage is None:
        out.append(bad("job_interview_stage",
                       f"No JobInterviewStage with id {render.mid(fields['job_interview_stage'])} exists."))
    elif app is not None and stage.job_id != app.job_id:
        out.append(bad("job_interview_stage", "The stage does not belong to the application's job."))
    for name, ids in (("organizer", [fields.get("organizer")]), ("interviewers", fields["interviewers"])):
        for user_id in ids:
            if user_id is not None and user_id not in world.users:
                out.append(bad(name, f"No RemoteUser with id {render.mid(user_id)} exists."))
    if fields["end_at"] <= fields["start_at"]:
        out.append(bad("end_at", "end_at must be after start_at."))
    return out


def _author(world, remote_user_id: str):
    return next((u for u in world.users.values() if u.remote_id == remote_user_id), None)

