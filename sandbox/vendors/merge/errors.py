"""Merge's error bodies.

Merge is a Django REST Framework service: errors are `{"detail": "..."}`, field validation is
`{"field": ["message"]}`, and a rejected write is `{"warnings": [...], "errors": [...]}`. The
texts are DRF's defaults (INFERRED: Merge publishes no error bodies).
"""

from __future__ import annotations

from sandbox.http import errors


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
