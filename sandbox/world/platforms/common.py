"""What the platforms' raw records share: time formats, ids derived for sub-records, names."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

from sandbox.world.model import World


def ms(value: datetime | None) -> str | None:
    """`2014-03-26T22:15:00.000Z`: milliseconds and Z, as Greenhouse and Ashby write times."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def offset_time(value: datetime | None) -> str | None:
    """`2026-11-03T17:00:00+00:00`: seconds and a numeric offset."""
    return None if value is None else value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def pacific(value: datetime) -> tuple[datetime, str]:
    """US Pacific time and its abbreviation (daylight time from the second Sunday of March to the
    first Sunday of November, at 10:00 UTC), without the tz database, which slim images lack."""
    def sunday(month: int, nth: int) -> datetime:
        first = datetime(value.year, month, 1, 10, tzinfo=timezone.utc)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))

    daylight = sunday(3, 2) <= value < sunday(11, 1)
    return value.astimezone(timezone(timedelta(hours=-7 if daylight else -8))), "PDT" if daylight else "PST"


def derived_id(style: str, *parts: str) -> str:
    """A stable id of the style for a record or sub-record the generator did not number (a write's,
    an interview's scorecard). A Zoho id's organisation number is derived too (INFERRED: not the
    world's)."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    if style == "int":
        return str(10_000_000 + int(digest[:8], 16) % 90_000_000)
    if style == "wid":
        return digest[:32]
    if style == "hex24":
        return digest[:24]
    if style == "hex12":
        return digest[:12]
    if style == "zoho":
        return f"{473_737 + int(digest[:5], 16) % 500_000}{int(digest[5:17], 16) % 10 ** 12:012d}"
    return str(uuid.UUID(hex=digest[:32], version=4))


def full_name(world: World, user_id: str) -> str:
    user = world.users[user_id]
    return f"{user.first_name} {user.last_name}"


def video_label(url: str | None) -> str | None:
    if url is None:
        return None
    if "zoom" in url:
        return "Zoom"
    if "meet.google" in url:
        return "Google Meet"
    return "Microsoft Teams"
