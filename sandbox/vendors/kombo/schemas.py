"""Kombo's request parameters and beta write bodies, as marshmallow schemas (kombo-openapi.json)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from sandbox.http.args import Flag, QueryArgs, Timestamp, Whole

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 250


class CommaList(fields.Field):
    openapi = {"type": "string", "description": "comma-separated"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        return tuple(v.strip() for v in str(value).split(",") if v.strip())


class ListArgs(QueryArgs):
    """What every Kombo list takes; each endpoint adds its filters."""

    cursor = fields.String()
    page_size = Whole(minimum=1, maximum=MAX_PAGE_SIZE, load_default=DEFAULT_PAGE_SIZE)
    updated_after = Timestamp()
    include_deleted = Flag(load_default=False)
    ignore_unsupported_filters = Flag(load_default=False)
    ids = CommaList()
    remote_ids = CommaList()


class Place(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("PHYSICAL", "VIRTUAL")))
    address = fields.String()


class InterviewWrite(Schema):
    """POST /ats/applications/{application_id}/interviews (closed beta)."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    start_time = Timestamp(required=True)
    end_time = Timestamp(required=True)
    interviewer_user_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    organizer_user_id = fields.String(required=True)
    location = fields.Nested(Place, required=True)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if "start_time" in data and "end_time" in data and data["end_time"] <= data["start_time"]:
            raise ValidationError("end_time must be after start_time.", "end_time")


class InterviewUpdate(InterviewWrite):
    """PATCH /ats/applications/{application_id}/interviews (closed beta): the same, plus which one."""

    interview_id = fields.String(required=True)
