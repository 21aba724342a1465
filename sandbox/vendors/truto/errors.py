"""Truto's credentials and error body `{"statusCode", "error", "message"}` (docs: overview/errors).

Truto's own messages for a bad token or an unknown account are not published; those here are
INFERRED. A missing required parameter adds `truto_error_insight`, as Truto's unified errors do.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Request

from sandbox.http import errors
from sandbox.accounts import Account
from sandbox.http.vendor import sandbox

MISSING_ACCOUNT = "missing_required_query_parameters"


def envelope(error: errors.ApiError) -> dict:
    message = error.message
    if error.fields:
        message = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in sorted(error.fields.items()))
    body = {"statusCode": error.status, "error": HTTPStatus(error.status).phrase, "message": message}
    if error.code == MISSING_ACCOUNT:
        body["truto_error_insight"] = {MISSING_ACCOUNT: {
            "description": "These query parameters are required by the unified API and were not sent.",
            "value": ["integrated_account_id"]}}
    return body


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not accounts.known("truto", "api_token", token):
        raise errors.Unauthorized("Invalid or missing API token.")
    account_id = req.args.get("integrated_account_id")
    if not account_id:
        raise errors.BadRequest("integrated_account_id is required.", code=MISSING_ACCOUNT)
    credential = accounts.find("truto", api_token=token, integrated_account_id=account_id)
    if credential is None:
        raise errors.NotFound(f"Integrated account {account_id} not found.")
    return accounts.account(credential)
