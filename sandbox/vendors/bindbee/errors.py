"""Bindbee's errors. Bindbee is a FastAPI service: errors are `{"detail": "…"}`, validation is 422
with FastAPI's list of `{type, loc, msg, input, ctx}`. The texts of its 401, 403 and 404 are not
published; these are FastAPI's defaults where it has one (INFERRED)."""

from __future__ import annotations

from http import HTTPStatus

from flask import request

from sandbox.http import errors


def envelope(error: errors.ApiError) -> dict:
    if isinstance(error, errors.Unprocessable):
        return {"detail": error.details}
    if error.invalid_query:  # the query string's problems, as FastAPI lists them (answered 422)
        return {"detail": [_problem(name, p) for name, problems in error.fields.items() for p in problems]}
    if error.routing:  # Starlette's own texts: "Not Found", "Method Not Allowed"
        return {"detail": HTTPStatus(error.status).phrase}
    return {"detail": error.message}


def missing(where: str, name: str) -> dict:
    return {"type": "missing", "loc": [where, name], "msg": "Field required", "input": None}


def _problem(name: str, p) -> dict:
    """One problem of a query parameter: a Bindbee field's own (`schemas.problem`), or marshmallow's
    text for one that is not."""
    raw = request.args.getlist(name)[-1] if name in request.args else None
    if not isinstance(p, dict):
        p = {"type": "value_error", "msg": f"Value error, {p}"}
    out = {"type": p["type"], "loc": ["query", name], "msg": p["msg"], "input": p.get("input", raw)}
    return {**out, "ctx": p["ctx"]} if "ctx" in p else out
