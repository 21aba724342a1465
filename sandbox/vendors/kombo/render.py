"""World records in Kombo's shape, and Kombo's ids.

A Kombo id is 24 base58 characters (like `26vafvWSRmbhNcxJYqjCzuJg`). Here it encodes the world's
128-bit id and a 12-bit check, so that it maps back to the record and a made-up id is known as one.
"""

from __future__ import annotations

import functools
import zlib

from sandbox.world.model import Interview, Location, World
from sandbox.world.platforms import Platform, ms

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def kid(record_id: str | None) -> str | None:
    """A world id (32 hex) as a Kombo id."""
    if record_id is None:
        return None
    n = (int(record_id, 16) << 12) | (zlib.crc32(record_id.encode()) & 0xFFF)
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(ALPHABET[r])
    return "".join(reversed(out)).rjust(24, "1")


@functools.lru_cache(maxsize=65536)
def world_id(kombo_id: str) -> str | None:
    """The world id a Kombo id stands for, or None if it is not one of ours."""
    if len(kombo_id) != 24 or any(c not in _INDEX for c in kombo_id):
        return None
    n = 0
    for c in kombo_id:
        n = n * 58 + _INDEX[c]
    record_id = "%032x" % (n >> 12)
    if len(record_id) != 32 or (zlib.crc32(record_id.encode()) & 0xFFF) != n & 0xFFF:
        return None
    return record_id


def location(loc: Location | None) -> dict | None:
    if loc is None:
        return None
    return {"city": loc.city, "country": loc.country, "raw": loc.text() or None, "state": loc.state,
            "street_1": loc.street_1, "street_2": loc.street_2, "zip_code": loc.zip_code}


def interview(world: World, platform: Platform, i: Interview) -> dict:
    app = world.applications[i.application_id]
    candidate = world.candidates[app.candidate_id]
    job = world.jobs[app.job_id]
    canceled = (i.status == "cancelled") if platform.records_cancellation and i.status else None
    return {
        "id": kid(i.id),
        "remote_id": i.remote_id,
        "title": i.title,
        "starting_at": ms(i.start_at),
        "ending_at": ms(i.end_at),
        "location": location(i.location),
        "video_conferencing_url": i.video_url,
        "application_id": kid(app.id),
        "stage_id": kid(i.stage_id),
        "canceled": canceled,
        "remote_created_at": ms(i.remote_created_at),
        "remote_updated_at": ms(i.remote_updated_at),
        "remote_data": {platform.interview_path(world, i): platform.raw_interview(world, i)},
        "changed_at": ms(i.modified_at),
        "remote_deleted_at": ms(i.deleted_at),
        "users": [{"id": kid(u.id), "remote_id": u.remote_id, "first_name": u.first_name, "last_name": u.last_name,
                   "email": u.email} for u in (world.users[uid] for uid in i.interviewer_ids)],
        "application": {
            "id": kid(app.id),
            "remote_id": app.remote_id,
            "outcome": "DECLINED" if app.rejected_at else "PENDING",
            "rejection_reason_name": app.rejection_reason,
            "candidate": {"id": kid(candidate.id), "remote_id": candidate.remote_id,
                          "first_name": candidate.first_name, "last_name": candidate.last_name,
                          "email_addresses": [{"email_address": candidate.email, "type": "PRIVATE"}]},
            "job": {"id": kid(job.id), "remote_id": job.remote_id, "name": job.title},
        },
    }
