"""Merge's credentials: `Authorization: Bearer <key>` and `X-Account-Token`. The 401 text for a
missing account token is Merge's own (merge-python-client issue 5); the others are Django REST
Framework's (INFERRED)."""

from __future__ import annotations

from flask import Request

from sandbox.accounts import Account, how_to_send
from sandbox.http import errors
from sandbox.http.context import sandbox

CREDENTIAL_FIELDS = ("api_key", "account_token")
describe = how_to_send("api_key", headers={"X-Account-Token": "account_token"})


def authenticate(request: Request) -> Account:
    accounts = sandbox().accounts
    header = request.headers.get("Authorization")
    if not header:
        raise errors.Unauthorized("Authentication credentials were not provided.")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or " " in key:
        raise errors.Unauthorized("Invalid token header. No credentials provided.")
    if not accounts.known("merge", "api_key", key):
        raise errors.Unauthorized("Invalid token.")
    token = request.headers.get("X-Account-Token")
    if not token:
        raise errors.Unauthorized("Account Token must be passed in as an X-Account-Token header.")
    credential = accounts.find("merge", api_key=key, account_token=token)
    if credential is None:
        raise errors.Unauthorized("Invalid account token.")
    return accounts.account(credential)
