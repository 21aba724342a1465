"""What a request handler reaches for: the running sandbox, and a JSON response."""

from __future__ import annotations

import orjson
from flask import Response, current_app


def sandbox():
    """The running sandbox (store, accounts, clock, caches) of the current app."""
    return current_app.extensions["sandbox"]


def json_response(body: bytes | dict | list, status: int = 200, headers: dict | None = None) -> Response:
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
    return Response(body, status=status, headers=headers, content_type="application/json")
