"""Bindbee's scheduled-interview endpoints: list and get.

Query parameters are checked the way FastAPI and pydantic check them, so that bad input gets the
same 422 list: each problem with its `type`, `loc`, `msg`, `input` and, where pydantic gives one,
`ctx`."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

import orjson
from flask import Blueprint, g, request

from sandbox.http import errors
from sandbox.http.pagination import keyset_page
from sandbox.http.vendor import json_response, kept, rendered, sandbox
from sandbox.vendors.bindbee import render
from sandbox.world.model import utc
from sandbox.world.platforms import platform
from sandbox.world.store import InterviewQuery

bp = Blueprint("bindbee", __name__)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
TRUE, FALSE = {"true", "1", "yes", "on", "t", "y"}, {"false", "0", "no", "off", "f", "n"}
_EXPAND = re.compile(r"([a-z_]+)(?:\[([a-z_,]*)\])?(?:,|$)")
_RELATION_FIELDS = {"application": ("remote_id", "modified_at", "custom_fields", "candidate", "job", "applied_at",
                                    "rejected_at", "source", "credited_to", "current_stage", "reject_reason"),
                    "job_interview_stage": ("remote_id", "modified_at", "custom_fields", "name", "job", "stage_order"),
                    "organizer": ("remote_id", "modified_at", "custom_fields", "first_name", "last_name", "email",
                                  "disabled", "remote_created_at", "access_role")}
_RELATION_FIELDS["interviewers"] = _RELATION_FIELDS["organizer"]


class Query:
    """Collects every problem with the query string before answering, as FastAPI does."""

    def __init__(self, args):
        self.args, self.problems = args, []

    def flag(self, name: str) -> bool:
        raw = self.args.get(name)
        if raw is None:
            return False
        if raw.lower() in TRUE | FALSE:
            return raw.lower() in TRUE
        self.problems.append({"type": "bool_parsing", "loc": ["query", name],
                              "msg": "Input should be a valid boolean, unable to interpret input", "input": raw})
        return False

    def page_size(self) -> int:
        raw = self.args.get("page_size")
        if raw is None:
            return DEFAULT_PAGE_SIZE
        if not re.fullmatch(r"\s*[+-]?\d+\s*", raw):
            self.problems.append({"type": "int_parsing", "loc": ["query", "page_size"],
                                  "msg": "Input should be a valid integer, unable to parse string as an integer",
                                  "input": raw})
            return DEFAULT_PAGE_SIZE
        size = int(raw)
        for bad, kind, word, bound in ((size < 1, "greater_than_equal", "greater", 1),
                                       (size > MAX_PAGE_SIZE, "less_than_equal", "less", MAX_PAGE_SIZE)):
            if bad:
                self.problems.append({"type": kind, "loc": ["query", "page_size"],
                                      "msg": f"Input should be {word} than or equal to {bound}", "input": raw,
                                      "ctx": {"ge" if word == "greater" else "le": bound}})
        return size

    def ids(self, name: str) -> tuple[str, ...] | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        out = []
        for part in (p.strip() for p in raw.split(",") if p.strip()):
            wid = render.world_id(part)
            if wid is None:
                self.problems.append({"type": "uuid_parsing", "loc": ["query", name],
                                      "msg": "Input should be a valid UUID (version 7)", "input": part})
            else:
                out.append(wid)
        return tuple(out)

    def timestamp(self, name: str):
        raw = self.args.get(name)
        if raw is None:
            return None
        try:
            return utc(raw.replace(" ", "+"))
        except ValueError:
            self.problems.append({"type": "datetime_from_date_parsing", "loc": ["query", name],
                                  "msg": "Input should be a valid datetime or date, invalid character in year",
                                  "input": raw})
            return None

    def expand(self) -> tuple:
        raw = self.args.get("expand")
        if not raw:
            return ()
        out, at = [], 0
        for match in _EXPAND.finditer(raw):
            if match.start() != at:
                break
            relation, chosen = match.group(1), match.group(2)
            fields = tuple(f for f in chosen.split(",") if f) if chosen is not None else None
            unknown = [f for f in fields or () if f not in _RELATION_FIELDS.get(relation, ())]
            if relation not in render.RELATIONS or unknown:
                break
            out.append((relation, fields))
            at = match.end()
        if at != len(raw):
            self.problems.append({"type": "value_error", "loc": ["query", "expand"],
                                  "msg": f"Value error, expand takes relations among {', '.join(render.RELATIONS)}, "
                                         "each optionally with [field,...] of that relation", "input": raw})
        return tuple(out)

    def done(self) -> None:
        if self.problems:
            raise errors.Unprocessable(self.problems)


def _rendered(world, rows, variant):
    expand, raw, custom = variant
    plat = platform(world.platform)
    return rendered("bindbee", world, rows, variant,
                    lambda i: render.interview(world, plat, i, expand=expand, raw=raw, custom=custom))


@bp.get("/api/ats/v1/scheduled-interviews")
def list_interviews():
    q = Query(request.args)
    query = InterviewQuery(ids=q.ids("ids"), application_ids=q.ids("application"), organizer_ids=q.ids("organizer"),
                           stage_ids=q.ids("job_interview_stage"), modified_after=q.timestamp("modified_after"))
    size, variant = q.page_size(), (q.expand(), q.flag("include_raw_data"), q.flag("include_custom_fields"))
    cursor = request.args.get("cursor")
    q.done()
    sb, account = sandbox(), g.account
    position = None
    if cursor:
        position = _position(sb, account.world, cursor)

    def build(world) -> bytes:
        rows = keyset_page(lambda **kw: sb.store.interviews(account.world, query, data=False, **kw), size, position)
        items = _rendered(world, rows.rows, variant)
        nxt = None
        if rows.next is not None:  # Bindbee's cursor: base64 of the last item's id
            nxt = base64.b64encode(render.bid(rows.rows[-1].id).encode()).decode()
        return b'{"cursor":%s,"page_size":%d,"items":[%s]}' % (orjson.dumps(nxt), len(rows.rows), items)

    return json_response(kept(account.world, build))


def _position(sb, world_key: str, cursor: str) -> int:
    try:
        wid = render.world_id(base64.b64decode(cursor, validate=True).decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        wid = None
    row = sb.store.interview(world_key, wid) if wid else None
    if row is None:
        raise errors.BadRequest("Invalid cursor")
    return row.created_us


@bp.get("/api/ats/v1/scheduled-interviews/<interview_id>")
def get_interview(interview_id: str):
    q = Query(request.args)
    variant = (q.expand(), q.flag("include_raw_data"), q.flag("include_custom_fields"))
    wid = render.world_id(interview_id)
    if wid is None:
        try:
            uuid.UUID(interview_id)
            wid = ""  # a UUID, but not one of ours: 404 below
        except ValueError:
            q.problems.append({"type": "uuid_parsing", "loc": ["path", "id"], "msg": "Input should be a valid UUID",
                               "input": interview_id})
    q.done()
    sb, account = sandbox(), g.account

    def build(world) -> bytes:
        row = sb.store.interview(account.world, wid) if wid else None
        if row is None or _hidden(row):
            raise errors.NotFound("Scheduled interview not found")
        return _rendered(world, [row], variant)

    return json_response(kept(account.world, build))


def _hidden(row) -> bool:
    """Bindbee lists neither interviews deleted in the remote system nor shell records."""
    i = row.interview()
    return i.deleted or i.shell


