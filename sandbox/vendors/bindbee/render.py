"""World records in Bindbee's shapes, and Bindbee's ids.

Bindbee's ids are UUIDv7-like. Here a Bindbee id is the world's (version-4) id with its version
nibble written as 7, so it maps back exactly."""

from __future__ import annotations

import uuid

from sandbox.world.model import Interview, World, iso_z
from sandbox.world.platforms import Platform

STATUS = {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK", "complete": "COMPLETE"}
RELATIONS = ("application", "job_interview_stage", "organizer", "interviewers")


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


def user(world: World, user_id: str) -> dict:
    u = world.users[user_id]
    return {"id": bid(u.id), "remote_id": u.remote_id, "modified_at": iso_z(u.modified_at), "custom_fields": None,
            "first_name": u.first_name, "last_name": u.last_name, "email": u.email, "disabled": u.disabled,
            "remote_created_at": iso_z(u.remote_created_at), "access_role": u.access_role}


def application(world: World, app_id: str) -> dict:
    a = world.applications[app_id]
    return {"id": bid(a.id), "remote_id": a.remote_id, "modified_at": iso_z(a.modified_at), "custom_fields": None,
            "candidate": bid(a.candidate_id), "job": bid(a.job_id), "applied_at": iso_z(a.applied_at),
            "rejected_at": iso_z(a.rejected_at), "source": a.source, "credited_to": bid(a.credited_to),
            "current_stage": bid(a.stage_id), "reject_reason": a.rejection_reason}


def stage(world: World, stage_id: str) -> dict:
    s = world.stages[stage_id]
    return {"id": bid(s.id), "remote_id": s.remote_id, "modified_at": iso_z(s.modified_at), "custom_fields": None,
            "name": s.name, "job": bid(s.job_id), "stage_order": s.order}


EXPANDED = {"application": application, "job_interview_stage": stage, "organizer": user, "interviewers": user}


def interview(world: World, platform: Platform, i: Interview, *, expand: tuple = (), raw: bool = False,
              custom: bool = False) -> dict:
    """`expand` holds (relation, fields or None) pairs; with fields, an expanded object keeps `id`
    and those fields only (INFERRED from Bindbee's "specify required fields in []")."""
    chosen = dict(expand)

    def ref(relation: str, record_id: str | None):
        if record_id is None:
            return None
        if relation not in chosen:
            return bid(record_id)
        full = EXPANDED[relation](world, record_id)
        keep = chosen[relation]
        return full if keep is None else {k: v for k, v in full.items() if k == "id" or k in keep}

    status = STATUS.get(i.status) or platform.status_word(i.status) or i.status
    out = {
        "id": bid(i.id),
        "remote_id": i.remote_id,
        "modified_at": iso_z(i.modified_at),
        "custom_fields": {"title": i.title, "video_conferencing_url": i.video_url} if custom else None,
        "application": ref("application", i.application_id),
        "job_interview_stage": ref("job_interview_stage", i.stage_id),
        "organizer": ref("organizer", i.organizer_id),
        "interviewers": [ref("interviewers", u) for u in i.interviewer_ids],
        "location": platform.location_text(i),
        "start_at": iso_z(i.start_at),
        "end_at": iso_z(i.end_at),
        "remote_created_at": iso_z(i.remote_created_at),
        "remote_updated_at": iso_z(i.remote_updated_at),
        "status": status,
    }
    if raw:
        out["raw_data"] = platform.raw_interview(world, i)
    return out
