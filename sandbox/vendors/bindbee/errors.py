"""Bindbee's credentials and errors. Bindbee is a FastAPI service: errors are `{"detail": "…"}`,
validation is 422 with FastAPI's list of `{type, loc, msg, input, ctx}`. The texts of its 401, 403
and 404 are not published; these are FastAPI's defaults where it has one (INFERRED)."""

from __future__ import annotations

from http import HTTPStatus

from flask import Request

from sandbox.http import errors
from sandbox.accounts import Account
from sandbox.http.vendor import sandbox

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def envelope(error: errors.ApiError) -> dict:
    if isinstance(error, errors.Unprocessable):
        return {"detail": error.details}
    if error.routing:  # Starlette's own texts: "Not Found", "Method Not Allowed"
        return {"detail": HTTPStatus(error.status).phrase}
    return {"detail": error.message}


def missing(where: str, name: str) -> dict:
    return {"type": "missing", "loc": [where, name], "msg": "Field required", "input": None}


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    scheme, _, key = (req.headers.get("Authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise errors.Unauthorized("Not authenticated", headers=CHALLENGE)
    if not accounts.known("bindbee", "api_key", key):
        raise errors.Unauthorized("Invalid API key", headers=CHALLENGE)
    token = req.headers.get("x-connector-token")
    if not token:
        raise errors.Unprocessable([missing("header", "x-connector-token")])
    credential = accounts.find("bindbee", api_key=key, connector_token=token)
    if credential is None:
        raise errors.Unauthorized("Invalid connector token", headers=CHALLENGE)
    if credential.category != "ats":
        raise errors.Forbidden(f"This connector token belongs to a {credential.category} connector and cannot "
                               "access ATS endpoints.")
    return accounts.account(credential)
