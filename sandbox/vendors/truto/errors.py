"""Truto's error body `{"statusCode", "error", "message"}` (docs: overview/errors).

Truto's own messages for a bad token or an unknown account are not published; those here are
INFERRED. A missing required parameter adds `truto_error_insight`, as Truto's unified errors do.
"""

from __future__ import annotations

from http import HTTPStatus

from sandbox.http import errors

MISSING = "missing_required_query_parameters"


class MissingParameters(errors.BadRequest):
    """Required query parameters not sent: Truto names them in `truto_error_insight`."""

    def __init__(self, *names: str):
        super().__init__(f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} required.", code=MISSING)
        self.names = list(names)


def envelope(error: errors.ApiError) -> dict:
    message = error.message
    if error.fields:
        message = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in sorted(error.fields.items()))
    body = {"statusCode": error.status, "error": HTTPStatus(error.status).phrase, "message": message}
    if isinstance(error, MissingParameters):
        body["truto_error_insight"] = {MISSING: {
            "description": "These query parameters are required by the unified API and were not sent.",
            "value": error.names}}
    return body
