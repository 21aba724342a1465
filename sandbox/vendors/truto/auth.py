"""Truto's credentials: `Authorization: Bearer <token>` and the `integrated_account_id` query
parameter. Truto's messages for a bad token or an unknown account are not published (INFERRED)."""

from __future__ import annotations

from flask import Request

from sandbox.accounts import Account, how_to_send
from sandbox.http import errors
from sandbox.http.context import sandbox
from sandbox.vendors.truto.errors import MissingParameters

CREDENTIAL_FIELDS = ("api_token", "integrated_account_id")
describe = how_to_send("api_token", query={"integrated_account_id": "integrated_account_id"})


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not accounts.known("truto", "api_token", token):
        raise errors.Unauthorized("Invalid or missing API token.")
    account_id = req.args.get("integrated_account_id")
    if not account_id:
        raise MissingParameters("integrated_account_id")
    credential = accounts.find("truto", api_token=token, integrated_account_id=account_id)
    if credential is None:
        raise errors.NotFound(f"Integrated account {account_id} not found.")
    return accounts.account(credential)
