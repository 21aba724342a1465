"""Typed API errors. A vendor turns each into its own envelope; nothing answers with HTML."""

from __future__ import annotations

import functools


class ApiError(Exception):
    status = 500

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}
        self.code = code  # a vendor's own error code, where the status alone does not say it
        self.routing = False  # raised by routing (no such path, method) rather than by a vendor
        self.invalid_query = False  # the query string failed its schema (`fields` says how)


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class Unprocessable(ApiError):
    """422: `details` lists each problem, as FastAPI's validation errors do."""

    status = 422

    def __init__(self, details: list[dict] | str, **kwargs):
        if isinstance(details, str):
            details = [{"type": "value_error", "loc": [], "msg": details, "input": None}]
        super().__init__(details[0]["msg"], **kwargs)
        self.details = details


class RateLimited(ApiError):
    status = 429


class InternalError(ApiError):
    status = 500


BY_STATUS = {cls.status: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                                         PayloadTooLarge, UnsupportedMediaType, Unprocessable, RateLimited,
                                         InternalError)}


def of_status(status: int, message: str) -> ApiError:
    """An error of any status (a fault a test asked for), typed where a type exists."""
    return _error_class(status)(message)


@functools.lru_cache(maxsize=None)
def _error_class(status: int) -> type[ApiError]:
    return BY_STATUS.get(status) or type(f"Status{status}", (ApiError,), {"status": status})
