"""Kombo's credentials and error envelope: `{"status": "error", "error": {code, title, message, log_url}}`.

Codes come from Kombo's OpenAPI enum. The statuses for a missing or unknown integration (404) and
for validation (400) are INFERRED: Kombo documents the codes, not the statuses, and asks clients
not to rely on statuses.
"""

from __future__ import annotations

import hashlib

from flask import Request, request

from sandbox.http import errors
from sandbox.accounts import Account
from sandbox.http.vendor import sandbox

INPUT_INVALID = "PLATFORM.INPUT_INVALID"
AUTHENTICATION_INVALID = "PLATFORM.AUTHENTICATION_INVALID"
INTEGRATION_NOT_FOUND = "PLATFORM.INTEGRATION_NOT_FOUND"
RATE_LIMIT_EXCEEDED = "PLATFORM.RATE_LIMIT_EXCEEDED"
UNKNOWN_ERROR = "PLATFORM.UNKNOWN_ERROR"

TITLES = {INPUT_INVALID: "Input invalid", AUTHENTICATION_INVALID: "Authentication invalid",
          INTEGRATION_NOT_FOUND: "Integration not found", RATE_LIMIT_EXCEEDED: "Rate limit exceeded",
          UNKNOWN_ERROR: "Unknown error"}
# Kombo's schema allows `code: null`, but its enum does not list null: every error here names a code.
BY_STATUS = {400: INPUT_INVALID, 401: AUTHENTICATION_INVALID, 403: INPUT_INVALID, 404: INPUT_INVALID,
             405: INPUT_INVALID, 413: INPUT_INVALID, 415: INPUT_INVALID, 429: RATE_LIMIT_EXCEEDED, 500: UNKNOWN_ERROR}


def envelope(error: errors.ApiError) -> dict:
    code = error.code or BY_STATUS.get(error.status, UNKNOWN_ERROR)
    message = error.message
    if error.fields:
        message = "Invalid request: " + "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                                                  for k, v in sorted(error.fields.items()))
    interaction = hashlib.sha256(f"{request.method} {request.full_path}".encode()).hexdigest()[:24]
    return {"status": "error", "error": {
        "code": code, "title": TITLES.get(code), "message": message,
        "log_url": f"https://app.kombo.dev/sandbox/logs?interactionId={interaction}"}}


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    scheme, _, key = (req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not accounts.known("kombo", "api_key", key.strip()):
        raise errors.Unauthorized("The provided API key is invalid or expired.")
    key = key.strip()
    if req.url_rule is not None and req.url_rule.endpoint.endswith("check_api_key"):
        credential = next(c for c in accounts.fixtures.credentials if c.vendor == "kombo" and c.values["api_key"] == key)
        return accounts.account(credential, key_only=True)
    integration = req.headers.get("X-Integration-Id")
    if not integration:
        raise errors.NotFound("The X-Integration-Id header is missing. Pass the ID of the integration you want to "
                              "interact with.", code=INTEGRATION_NOT_FOUND)
    credential = accounts.find("kombo", api_key=key, integration_id=integration)
    if credential is None:
        raise errors.NotFound(f"No integration with the ID \"{integration}\" was found for this API key.",
                              code=INTEGRATION_NOT_FOUND)
    return accounts.account(credential)
