"""Bindbee's ids: UUIDv7-like. A Bindbee id is the world's (version-4) id with its version nibble
written as 7, so it maps back exactly."""

from __future__ import annotations

import uuid


def bid(record_id: str | None) -> str | None:
    """A world id (32 hex, version 4) as a Bindbee id."""
    if record_id is None:
        return None
    return str(uuid.UUID(hex=record_id[:12] + "7" + record_id[13:]))


def world_id(bindbee_id: str) -> str | None:
    """The world id a Bindbee id stands for, or None if it is not a version-7 UUID."""
    try:
        value = uuid.UUID(bindbee_id)
    except ValueError:
        return None
    return value.hex[:12] + "4" + value.hex[13:] if value.version == 7 else None
