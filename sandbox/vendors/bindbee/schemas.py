"""Bindbee's query parameters, as marshmallow schemas that fail the way FastAPI and pydantic do:
each problem is `{type, msg, ctx?, input?}`, which `errors.envelope` turns into FastAPI's 422 list."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields

from sandbox.http.args import QueryArgs
from sandbox.vendors.bindbee.ids import world_id
from sandbox.world.model import utc

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
TRUE, FALSE = {"true", "1", "yes", "on", "t", "y"}, {"false", "0", "no", "off", "f", "n"}
_EXPAND = re.compile(r"([a-z_]+)(?:\[([a-z_,]*)\])?(?:,|$)")


def problem(kind: str, msg: str, **extra) -> ValidationError:
    return ValidationError([{"type": kind, "msg": msg, **extra}])


class Bool(fields.Field):
    openapi = {"type": "boolean"}

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if str(value).lower() not in TRUE | FALSE:
            raise problem("bool_parsing", "Input should be a valid boolean, unable to interpret input")
        return str(value).lower() in TRUE


class PageSize(fields.Field):
    openapi = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not re.fullmatch(r"\s*[+-]?\d+\s*", str(value)):
            raise problem("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
        size = int(value)
        if size < 1:
            raise problem("greater_than_equal", "Input should be greater than or equal to 1", ctx={"ge": 1})
        if size > MAX_PAGE_SIZE:
            raise problem("less_than_equal", f"Input should be less than or equal to {MAX_PAGE_SIZE}",
                          ctx={"le": MAX_PAGE_SIZE})
        return size


class When(fields.Field):
    openapi = {"type": "string", "format": "date-time"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return utc(str(value).replace(" ", "+"))
        except ValueError:
            raise problem("datetime_from_date_parsing",
                          "Input should be a valid datetime or date, invalid character in year") from None


class Ids(fields.Field):
    """A comma list of Bindbee ids (version-7 UUIDs), kept as world ids."""

    openapi = {"type": "string", "description": "comma-separated"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        out, bad = [], []
        for part in (p.strip() for p in str(value).split(",") if p.strip()):
            wid = world_id(part)
            if wid is None:
                bad.append({"type": "uuid_parsing", "msg": "Input should be a valid UUID (version 7)", "input": part})
            else:
                out.append(wid)
        if bad:
            raise ValidationError(bad)
        return tuple(out)


class Words(fields.Field):
    """A comma list of strings."""

    openapi = {"type": "string", "description": "comma-separated"}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        return tuple(p.strip() for p in str(value).split(",") if p.strip())


class Expand(fields.Field):
    """`organizer[first_name,email],application`: relations, each optionally with the fields of it to
    keep (INFERRED from Bindbee's "specify required fields in []")."""

    openapi = {"type": "string", "description": "relation[field,...],..."}

    def __init__(self, relations: dict[str, tuple[str, ...]], **kwargs):
        super().__init__(load_default=(), **kwargs)
        self.relations = relations

    def _deserialize(self, value, attr, data, **kwargs) -> tuple:
        raw, out, at = str(value), [], 0
        for match in _EXPAND.finditer(raw):
            if match.start() != at:
                break
            relation, chosen = match.group(1), match.group(2)
            keep = tuple(f for f in chosen.split(",") if f) if chosen is not None else None
            if relation not in self.relations or any(f not in self.relations[relation] for f in keep or ()):
                break
            out.append((relation, keep))
            at = match.end()
        if at != len(raw):
            raise problem("value_error", f"Value error, expand takes relations among {', '.join(self.relations)}, "
                          "each optionally with [field,...] of that relation")
        return tuple(out)


class RetrieveArgs(QueryArgs):
    include_raw_data = Bool(load_default=False)
    include_custom_fields = Bool(load_default=False)


class ListArgs(RetrieveArgs):
    page_size = PageSize(load_default=DEFAULT_PAGE_SIZE)
    cursor = fields.String()
    modified_after = When()
    ids = Ids()
