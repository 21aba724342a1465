"""Truto's query parameters. Truto nests parameters with brackets (`remote_query[foo]=bar`,
`created_at[gt]=…`) and sends arrays as `key[]=v` (Python SDK) or `key[0]=v` (TypeScript SDK);
`truto_exclude_fields` also comes comma-separated. All of these forms are read."""

from __future__ import annotations

import re
from datetime import datetime

from marshmallow import ValidationError, fields, validate

from sandbox.http.args import Flag, QueryArgs, Timestamp, Whole

FORMATS = ("unified", "raw", "normalized", "debug")
OPERATORS = ("gt", "gte", "lt", "lte", "eq")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000  # Truto publishes neither (INFERRED)
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def bracketed(args) -> dict:
    """`a[b]=1&c[]=2&c[1]=3&d=4` -> `{"a": {"b": "1"}, "c": ["2", "3"], "d": "4"}`."""
    out: dict = {}
    for key in args.keys():
        match = _KEY.match(key)
        if not match:
            continue
        name, rest = match.groups()
        path = re.findall(r"\[([^\[\]]*)\]", rest)
        for value in args.getlist(key):
            node, parts = out, [name, *path]
            for here, after in zip(parts, parts[1:] + [None]):
                if after is None:
                    if isinstance(node, list):
                        node.append(value)
                    else:
                        node[here] = value
                elif after == "" or after.isdigit():
                    node = node.setdefault(here, []) if isinstance(node, dict) else node
                else:
                    node = node.setdefault(here, {}) if isinstance(node, dict) else node
    return out


class Names(fields.Field):
    """A list of names: an array, or one comma-separated string."""

    openapi = {"type": "string", "description": "comma-separated, or repeated"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items):
            raise ValidationError("Must be a list of field names.")
        return tuple(n.strip() for v in items for n in v.split(",") if n.strip())


class Range(fields.Field):
    """`field=<time>` (equal), or `field[gt|gte|lt|lte|eq]=<time>`: the unified operators."""

    openapi = {"type": "string", "format": "date-time", "description": "or field[gt|gte|lt|lte|eq]=<time>"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[tuple[str, datetime], ...]:
        parts = value if isinstance(value, dict) else {"eq": value}
        out = []
        for op, raw in parts.items():
            if op not in OPERATORS:
                raise ValidationError(f"Unknown operator {op!r}; use one of {', '.join(OPERATORS)}.")
            out.append((op, Timestamp().deserialize(raw)))
        return tuple(out)


class Ids(fields.Field):
    openapi = {"type": "string", "description": "comma-separated"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        return tuple(v for v in value.split(",") if v)


class GetArgs(QueryArgs):
    def decode(self, args) -> dict:
        return bracketed(args)

    integrated_account_id = fields.String()
    truto_response_format = fields.String(load_default="unified", validate=validate.OneOf(FORMATS))
    truto_ignore_remote_data = Flag(load_default=False)
    truto_exclude_fields = Names(load_default=())
    remote_query = fields.Dict(load_default=dict)


class ListArgs(GetArgs):
    """What every Truto list takes; each resource adds its filters."""

    limit = Whole(minimum=1, maximum=MAX_LIMIT, load_default=DEFAULT_LIMIT)
    next_cursor = fields.String()
    truto_key_by = fields.String()
    truto_ignore_limit = Flag(load_default=False)
    created_at = Range()
    updated_at = Range()
