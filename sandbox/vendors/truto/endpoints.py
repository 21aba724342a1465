"""Truto's unified ATS endpoints, declared: list and get of interviews, candidates, applications,
jobs, users and job interview stages. Filters take the platform's remote ids, as Truto's ids are."""

from __future__ import annotations

from typing import Callable, Mapping
from urllib.parse import urlencode

import orjson

from sandbox.http import errors
from sandbox.http.cursors import ScopedCursor
from sandbox.http.endpoints import Listing, PageOut, Retrieve
from sandbox.vendors.truto import render
from sandbox.vendors.truto.schemas import GetArgs, Ids, ListArgs, Range
from sandbox.world.kinds import KINDS
from sandbox.world.platforms import platform
from sandbox.world.store import Filter, Query

CURSOR = ScopedCursor(backward=True, urlsafe=True)


def _page(items: bytes, out: PageOut) -> bytes:
    return b'{"result":[%s],%s' % (items, orjson.dumps({"next_cursor": out.next, "prev_cursor": out.previous,
                                                        "result_count": out.count})[1:])


def _view(args: Mapping) -> render.View:
    return render.View(args["truto_response_format"], not args["truto_ignore_remote_data"])


def _invalid_cursor() -> errors.ApiError:
    return errors.BadRequest("Invalid next_cursor: pass the next_cursor or prev_cursor of an earlier page as it was.")


def _query(kind: str, ids: dict[str, tuple[str, str]], ranges: dict[str, str]):
    """Truto's filters: `ids` maps a parameter to (the kind whose remote ids it takes, the field it
    compares); `ranges` maps a time parameter to the field it compares."""
    def query(args: Mapping, world) -> Query:
        where = []
        for name, (target, field) in ids.items():
            if name in args:
                wanted = set(args[name])
                records = getattr(world, KINDS[target].attr).values()
                where.append(Filter(field, "in", tuple(r.id for r in records if r.remote_id in wanted)))
        where += [Filter(column, op, when) for name, column in ranges.items() for op, when in args.get(name, ())]
        return Query(kind, tuple(where))

    return query


# ---- Truto's other shapes: raw, debug, key_by, exclude_fields --------------------------------


def _debug(world, path: str, args: Mapping, raws, **listing) -> dict:
    plat = platform(world.platform)
    query = {"per_page": args.get("limit", 1)} if listing else {}
    query.update(args["remote_query"])
    return {"requestUrl": f"{plat.api_base}{path}" + (f"?{urlencode(query, doseq=True)}" if query else ""),
            "requestOptions": {"method": "GET", "headers": {"Accept": "application/json"},
                               "query": args["remote_query"]},
            "data": raws, "responseHeaders": {"content-type": "application/json"}, **listing}


class Shapes:
    """How one resource answers the formats other than plain unified records. `raw(world, record)`
    is the platform's own record; `path(world)` the platform endpoint it comes from."""

    def __init__(self, renderer, raw: Callable, path: Callable):
        self.renderer, self.raw, self.path = renderer, raw, path

    def _objects(self, args: Mapping, world, records) -> list:
        if args["truto_response_format"] == "raw":
            return [self.raw(world, r) for r in records]
        objects = [self.renderer(world, r, _view(args)) for r in records]
        drop = set(args["truto_exclude_fields"])
        return [{k: v for k, v in o.items() if k not in drop} for o in objects] if drop else objects

    def listing(self, args: Mapping):
        if args["truto_response_format"] in ("unified", "normalized") and not args["truto_exclude_fields"] \
                and "truto_key_by" not in args:
            return None  # the plain answer, assembled from rendered records

        def body(args, world, records, out: PageOut) -> bytes:
            objects = self._objects(args, world, records)
            result: list | dict = objects
            if "truto_key_by" in args:
                key = args["truto_key_by"]
                if any(key not in o for o in objects):
                    raise errors.BadRequest(f"truto_key_by: {key} is not a field of every result.")
                result = {str(o[key]["id"] if isinstance(o[key], dict) else o[key]): o for o in objects}
            answer = {"result": result, "next_cursor": out.next, "prev_cursor": out.previous, "result_count": out.count}
            if args["truto_response_format"] == "debug":
                answer["debug"] = _debug(world, self.path(world), args, [self.raw(world, r) for r in records],
                                         nextCursor=out.next, isLooping=False, isEmptyResult=not objects,
                                         resultCount=len(objects))
            return orjson.dumps(answer)

        return body

    def one(self, args: Mapping):
        if args["truto_response_format"] in ("unified", "normalized") and not args["truto_exclude_fields"]:
            return None

        def body(args, world, record) -> bytes:
            [obj] = self._objects(args, world, [record])
            if args["truto_response_format"] == "debug":
                return orjson.dumps({"result": obj, "debug": _debug(world, self.path(world), args, self.raw(world, record))})
            return orjson.dumps(obj)

        return body


def resource(name: str, kind: str, renderer, *, ids: dict[str, tuple[str, str]] | None = None,
             ranges: dict[str, str] | None = None, raw: Callable | None = None,
             path: Callable | None = None, embeds: tuple[str, ...] = ()) -> tuple[Listing, Retrieve]:
    """A Truto unified resource's list and get. Without a raw record of the platform's, `raw`
    answers the unified record (INFERRED)."""
    ids, ranges = ids or {}, {"created_at": "created", "updated_at": "modified", **(ranges or {})}
    shapes = Shapes(renderer, raw or (lambda world, r: renderer(world, r, render.View())),
                    path or (lambda world: f"/{name}"))
    extra = {n: Ids() for n in ids} | {n: Range() for n in ranges if n not in ("created_at", "updated_at")}
    noun = name.rstrip("s").replace("_", " ").capitalize()
    return (
        Listing(f"/unified/ats/{name}", kind, ListArgs.from_dict(extra)(), query=_query(kind, ids, ranges),
                render=renderer, cursor=CURSOR, envelope=_page, invalid_cursor=_invalid_cursor,
                page_size=lambda a: None if a["truto_ignore_limit"] else a["limit"], cursor_arg="next_cursor",
                variant=_view, embeds=embeds, reshape=shapes.listing),
        Retrieve(f"/unified/ats/{name}/<record_id>", kind, GetArgs(), render=renderer, by="remote_id",
                 not_found=lambda record_id: errors.NotFound(f"{noun} {record_id} not found."),
                 include_deleted=False, include_shell=False, variant=_view, embeds=embeds, reshape=shapes.one),
    )


ENDPOINTS = (
    *resource("interviews", "interview", render.interview,
              ids={"application_id": ("application", "application_id"), "candidate_id": ("candidate", "candidate_id"),
                   "job_interview_stage_id": ("stage", "stage_id")},
              ranges={"created_at": "remote_created_at", "updated_at": "remote_updated_at",
                      "updated": "remote_updated_at", "start_at": "start_at", "end_at": "end_at"},
              raw=lambda world, i: platform(world.platform).raw_interview(world, i),
              path=lambda world: platform(world.platform).list_path,
              embeds=("application", "candidate", "job", "user", "stage")),
    *resource("candidates", "candidate", render.candidate, ids={"job_id": ("job", "job_id")},
              ranges={"created_at": "remote_created_at"}, embeds=("application", "job", "user", "stage")),
    *resource("applications", "application", render.application,
              ids={"job_id": ("job", "job_id"), "candidate_id": ("candidate", "candidate_id")},
              ranges={"created_at": "applied_at"}, embeds=("candidate", "job", "user", "stage")),
    *resource("jobs", "job", render.job, ranges={"created_at": "remote_created_at"}),
    *resource("users", "user", render.user, ranges={"created_at": "remote_created_at"}),
    *resource("job_interview_stages", "stage", render.stage, ids={"job_id": ("job", "job_id")}, embeds=("job",)),
)
