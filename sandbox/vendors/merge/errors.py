"""Merge's credentials and error bodies.

Merge is a Django REST Framework service: errors are `{"detail": "..."}`, field validation is
`{"field": ["message"]}`, and a rejected write is `{"warnings": [...], "errors": [...]}`. The
401 text for a missing account token is Merge's own (merge-python-client issue 5); the other
texts are DRF's defaults (INFERRED: Merge publishes no error bodies).
"""

from __future__ import annotations

from flask import Request

from sandbox.http import errors
from sandbox.accounts import Account
from sandbox.http.vendor import sandbox


class WriteRejected(errors.BadRequest):
    """A POST Merge refuses: 400 with its validation problems."""

    def __init__(self, problems: list[dict], warnings: list[dict] | None = None):
        super().__init__(problems[0]["detail"])
        self.problems = problems
        self.warnings = warnings or []


def problem(title: str, detail: str, problem_type: str, pointer: str | None = None) -> dict:
    out = {"source": {"pointer": pointer}} if pointer is not None else {}
    return {**out, "title": title, "detail": detail, "problem_type": problem_type}


def envelope(error: errors.ApiError) -> dict:
    if isinstance(error, WriteRejected):
        return {"warnings": error.warnings, "errors": error.problems}
    if error.fields:
        return error.fields
    return {"detail": error.message}


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
