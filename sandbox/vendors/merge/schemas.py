"""Merge's request parameters and write body, as marshmallow schemas (ats_v3.yml).

Every common model endpoint takes the same paging, time and data flags; each adds its `expand`
choices, its enum fields (`remote_fields`, `show_enum_origins`) and its filters.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from sandbox.http.args import Choices, Flag, QueryArgs, Timestamp, Uuid, Whole

STATUSES = ("SCHEDULED", "AWAITING_FEEDBACK", "COMPLETE")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 30, 100


class RetrieveArgs(QueryArgs):
    repeated = ("expand", "remote_fields", "show_enum_origins")

    include_remote_data = Flag(load_default=False)
    include_shell_data = Flag(load_default=False)


class ListArgs(RetrieveArgs):
    created_after = Timestamp()
    created_before = Timestamp()
    modified_after = Timestamp()
    modified_before = Timestamp()
    cursor = fields.String()
    include_deleted_data = Flag(load_default=False)
    page_size = Whole(minimum=1, maximum=MAX_PAGE_SIZE, load_default=DEFAULT_PAGE_SIZE)
    remote_id = fields.String()


class CommaList(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        return tuple(v.strip() for v in super()._deserialize(value, attr, data, **kwargs).split(",") if v.strip())


def args(base: type[QueryArgs], expands: tuple[str, ...] = (), enums: tuple[str, ...] = (),
         filters: dict[str, fields.Field] | None = None) -> QueryArgs:
    """One endpoint's query schema: `base`, plus its expand choices, enum fields and filters."""
    extra = {"expand": Choices(expands, load_default=frozenset())} if expands else {}
    if enums:
        extra["remote_fields"] = Choices(enums, load_default=frozenset())
        extra["show_enum_origins"] = Choices(enums, load_default=frozenset())
    return base.from_dict({**extra, **(filters or {})})()


class CreateArgs(QueryArgs):
    is_debug_mode = Flag(load_default=False)
    run_async = Flag(load_default=False)


# What a write must carry for the platforms Merge writes interviews to (Greenhouse): the fields
# Greenhouse's POST /v2/scheduled_interviews needs (INFERRED from Harvest's required fields).
REQUIRED = ("application", "job_interview_stage", "interviewers", "start_at", "end_at")


class InterviewWrite(Schema):
    """`model` of `ScheduledInterviewEndpointRequest`. Unknown keys are reported as warnings by the
    write, so they are excluded here."""

    class Meta:
        unknown = EXCLUDE

    application = Uuid(required=True)
    job_interview_stage = Uuid(required=True)
    organizer = Uuid(allow_none=True)
    interviewers = fields.List(Uuid(), required=True, validate=validate.Length(min=1))
    location = fields.String(allow_none=True, validate=validate.Length(max=2000))
    start_at = Timestamp(required=True)
    end_at = Timestamp(required=True)
    status = fields.String(allow_none=True, validate=validate.OneOf(STATUSES))
    integration_params = fields.Dict(allow_none=True)
    linked_account_params = fields.Dict(allow_none=True)


WRITABLE = tuple(InterviewWrite().fields)


class InterviewRequest(Schema):
    """`ScheduledInterviewEndpointRequest`, as the OpenAPI description shows it (the view reads the body
    field by field, to report each problem as Merge does)."""

    model = fields.Nested(InterviewWrite, required=True)
    remote_user_id = fields.String(required=True)


def request_schema() -> dict:
    """The JSON-Schema-like description `GET /interviews/meta/post` returns."""
    uuid_ref = {"type": "string", "format": "uuid"}
    properties = {
        "application": {**uuid_ref, "title": "Application", "description": "The application being interviewed."},
        "job_interview_stage": {**uuid_ref, "title": "Job Interview Stage", "description": "The stage of the interview."},
        "organizer": {**uuid_ref, "title": "Organizer", "description": "The user organizing the interview."},
        "interviewers": {"type": "array", "items": uuid_ref, "title": "Interviewers",
                         "description": "Array of `RemoteUser` IDs."},
        "location": {"type": "string", "title": "Location", "description": "The interview's location."},
        "start_at": {"type": "string", "format": "date-time", "title": "Start At",
                     "description": "When the interview was started."},
        "end_at": {"type": "string", "format": "date-time", "title": "End At",
                   "description": "When the interview was ended."},
        "status": {"type": "string", "enum": list(STATUSES), "title": "Status",
                   "description": "The interview's status."},
    }
    return {"type": "object", "properties": {"model": {"type": "object", "required": list(REQUIRED),
                                                       "properties": properties}}}
