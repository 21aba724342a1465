"""Bindbee's credentials: `Authorization: Bearer <key>` and `x-connector-token`; an HRIS
connector's token is refused on ATS paths."""

from __future__ import annotations

from flask import Request

from sandbox.accounts import Account, how_to_send
from sandbox.http import errors
from sandbox.http.context import sandbox
from sandbox.vendors.bindbee.errors import missing

CREDENTIAL_FIELDS = ("api_key", "connector_token")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


_headers = how_to_send("api_key", headers={"x-connector-token": "connector_token"})


def describe(credential) -> dict:
    return {**_headers(credential), "category": credential.category}


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
