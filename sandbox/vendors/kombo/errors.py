"""Kombo's error envelope: `{"status": "error", "error": {code, title, message, log_url}}`.

Codes come from Kombo's OpenAPI enum. The statuses for a missing or unknown integration (404) and
for validation (400) are INFERRED: Kombo documents the codes, not the statuses, and asks clients
not to rely on statuses.
"""

from __future__ import annotations

import hashlib

from flask import request

from sandbox.http import errors

INPUT_INVALID = "PLATFORM.INPUT_INVALID"
AUTHENTICATION_INVALID = "PLATFORM.AUTHENTICATION_INVALID"
INTEGRATION_NOT_FOUND = "PLATFORM.INTEGRATION_NOT_FOUND"
RATE_LIMIT_EXCEEDED = "PLATFORM.RATE_LIMIT_EXCEEDED"
CONCURRENCY_LIMIT_EXCEEDED = "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
UNKNOWN_ERROR = "PLATFORM.UNKNOWN_ERROR"
SETUP_SYNC_PENDING = "INTEGRATION.SETUP_SYNC_PENDING"
INTEGRATION_AUTHENTICATION_INVALID = "INTEGRATION.AUTHENTICATION_INVALID"
INTEGRATION_INACTIVE = "INTEGRATION.INACTIVE"
MODEL_NOT_AVAILABLE = "INTEGRATION.MODEL_NOT_AVAILABLE"
ACTION_NOT_AVAILABLE = "INTEGRATION.ACTION_NOT_AVAILABLE"

TITLES = {INPUT_INVALID: "Input invalid", AUTHENTICATION_INVALID: "Authentication invalid",
          INTEGRATION_NOT_FOUND: "Integration not found", RATE_LIMIT_EXCEEDED: "Rate limit exceeded",
          CONCURRENCY_LIMIT_EXCEEDED: "Concurrency limit exceeded",
          UNKNOWN_ERROR: "Unknown error", SETUP_SYNC_PENDING: "Setup sync pending",
          INTEGRATION_AUTHENTICATION_INVALID: "Authentication invalid", INTEGRATION_INACTIVE: "Integration inactive",
          MODEL_NOT_AVAILABLE: "This data model isn't supported for the selected integration.",
          ACTION_NOT_AVAILABLE: "Action not available"}
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
