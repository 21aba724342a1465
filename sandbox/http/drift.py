"""Drift: an answer that moved away from the contract a client was built against, and is still
valid JSON — an enum value the client does not know, a field it has never seen, an optional field
left out, a null where a value always was (what broke merge-python-client #38 and #98).

A vendor names the fields of its records that drift (`Drift`); every record of the answer drifts."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

NEW_FIELD = "sandbox_drift"
UNKNOWN = "SANDBOX_UNKNOWN_VALUE"


@dataclass(frozen=True)
class Drift:
    enum: tuple[str, ...] = ("status",)  # enum fields: the first one a record has gets an unknown value
    missing: tuple[str, ...] = ()  # optional fields: the first one a record has is left out
    null: tuple[str, ...] = ()  # fields never null: the first one a record has is null


def apply(body: bytes, fields: Drift, ways: tuple[str, ...]) -> bytes:
    doc = orjson.loads(body)
    for record in _records(doc):
        if "enum" in ways:
            name = _first(record, fields.enum, lambda v: isinstance(v, str))
            if name:
                record[name] = UNKNOWN if record[name].isupper() else UNKNOWN.lower()
        if "missing" in ways:
            name = _first(record, fields.missing, lambda v: True)
            if name:
                del record[name]
        if "null" in ways:
            name = _first(record, fields.null, lambda v: v is not None)
            if name:
                record[name] = None
        if "field" in ways:
            record[NEW_FIELD] = {"added": "a field this client has not seen"}
    return orjson.dumps(doc)


def _first(record: dict, names: tuple[str, ...], ok) -> str | None:
    return next((n for n in names if n in record and ok(record[n])), None)


def _records(doc) -> list[dict]:
    """The records of an answer: the answer itself if it is one record, else the first list of
    objects found breadth first (a page's results, wherever the envelope keeps them)."""
    if isinstance(doc, dict) and "id" in doc:
        return [doc]
    queue = [doc]
    while queue:
        node = queue.pop(0)
        if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            return node
        if isinstance(node, dict):
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return []
