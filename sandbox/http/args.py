"""Query-string parsing with marshmallow, the one way every vendor parses.

A vendor's query schema is a `QueryArgs`: it says how the raw query string becomes a dict
(`decode`; Truto's bracket syntax overrides it) and validates it. `parse(schema)` raises
`BadRequest` with `{field: [message, ...]}`, which each vendor renders in its own envelope.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar

import orjson
from flask import current_app, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields

from sandbox.http.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from sandbox.world.model import utc

_SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")


class Timestamp(fields.Field):
    """An ISO 8601 instant: `Z`, `±HH:MM` or none (taken as UTC), with or without fractions.

    A `+` sent unencoded in a query string arrives as a space; that is read as the `+` it was."""

    openapi = {"type": "string", "format": "date-time"}

    default_error_messages = {"invalid": "Enter a valid date/time."}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return utc(_SPACED_OFFSET.sub(r"+\1", value.strip()))
        except ValueError:
            raise self.make_error("invalid") from None


class Uuid(fields.Field):
    """A UUID in any of its spellings, kept as the store's 32-hex id."""

    openapi = {"type": "string", "format": "uuid"}

    default_error_messages = {"invalid": "Enter a valid UUID."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        try:
            return uuid.UUID(str(value)).hex
        except ValueError:
            raise self.make_error("invalid") from None


class Choices(fields.Field):
    """A comma-separated list, each item one of `choices`; kept as a frozenset."""

    openapi = {"type": "string"}

    default_error_messages = {"invalid_choice": "Select a valid choice. {value} is not one of the available choices."}

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value, attr, data, **kwargs) -> frozenset[str]:
        items = [v for v in str(value).split(",") if v != ""]
        for item in items:
            if item not in self.choices:
                raise self.make_error("invalid_choice", value=item)
        return frozenset(items)


class Flag(fields.Boolean):
    default_error_messages = {"invalid": "Must be a valid boolean."}


class Whole(fields.Integer):
    default_error_messages = {"invalid": "A valid integer is required."}

    def __init__(self, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(strict=False, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"Ensure this value is greater than or equal to {self.minimum}.")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"Ensure this value is less than or equal to {self.maximum}.")
        return number


class QueryArgs(Schema):
    """A query string's schema. Names in `repeated` may repeat and are joined with commas; any other
    name that repeats counts by its last value, as Django and FastAPI read it. Unknown names are
    ignored, as both frameworks do."""

    repeated: ClassVar[tuple[str, ...]] = ()

    class Meta:
        unknown = EXCLUDE

    def decode(self, args) -> dict:
        data = {}
        for key in args.keys():
            values = args.getlist(key)
            data[key] = ",".join(values) if key in self.repeated else values[-1]
        return data


_parsed: dict[tuple, MappingProxyType] = {}


def parse(schema: QueryArgs) -> MappingProxyType:
    """The request's query string, validated by `schema`. Clients send the same few query strings
    over and over, so each valid one is parsed once per process and its (read-only) result kept."""
    key = (id(schema), request.query_string)
    hit = _parsed.get(key)
    if hit is not None:
        return hit
    try:
        result = MappingProxyType(schema.load(schema.decode(request.args)))
    except ValidationError as exc:
        error = BadRequest("Invalid query parameters.", fields=exc.normalized_messages())
        error.invalid_query = True
        raise error from None
    if len(_parsed) >= 4096:
        _parsed.clear()
    _parsed[key] = result
    return result


def body_bytes() -> bytes:
    """The request's body (kept for the journal). One sent chunked is held to the same limit as one
    with a Content-Length: past it, 413 (werkzeug would cut it there and go on)."""
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        data = request.environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge("Request body is too large.")
        request._cached_data = data  # what `get_data` answers from now on
        return data
    return request.get_data(cache=True)


def json_object() -> dict:
    """The request's JSON body, which must be an object (Django REST Framework's messages)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}" in request.')
    try:
        body = orjson.loads(body_bytes())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"JSON parse error - {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"Invalid data. Expected a dictionary, but got {type(body).__name__}.")
    return body


def load(schema: Schema, data: dict) -> dict:
    """Validate a body with `schema`; bad input raises `BadRequest` with `{field: [message, ...]}`."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise BadRequest("Invalid request body.", fields=exc.normalized_messages()) from None
