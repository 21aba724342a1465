"""World records in Bindbee's ATS shapes (AtsScheduledInterview, AtsCandidate, AtsApplication, AtsJob,
AtsRemoteUser, AtsJobInterviewStage).

A renderer takes the world, the record and a `View`: the relations to expand (each with the fields
of it to keep, or all), and whether to add `raw_data` and `custom_fields`. An expanded relation is
the related record as its own endpoint renders it. The sandbox models no raw platform record but
the interview's, so the others' `raw_data` is null (INFERRED).
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.vendors.bindbee.ids import bid
from sandbox.world.model import Application, Candidate, Interview, Job, Stage, User, World, iso_z
from sandbox.world.platforms import platform

STATUS = {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK", "complete": "COMPLETE"}


class View(NamedTuple):
    expand: tuple = ()  # (relation, fields or None) pairs
    raw: bool = False
    custom: bool = False


def _base(record, view: View, custom_fields: dict | None = None, raw_data: dict | None = None) -> dict:
    out = {"id": bid(record.id), "remote_id": record.remote_id, "modified_at": iso_z(record.modified_at),
           "custom_fields": custom_fields if view.custom else None}
    if view.raw:
        out["raw_data"] = raw_data
    return out


def _ref(world: World, view: View, relation: str, kind: str, record_id: str | None):
    """A relation: the related record's id, or the record itself when expanded (with the chosen fields)."""
    if record_id is None:
        return None
    chosen = dict(view.expand)
    if relation not in chosen:
        return bid(record_id)
    full = RENDERERS[kind](world, world.record(kind, record_id))
    keep = chosen[relation]
    return full if keep is None else {k: v for k, v in full.items() if k == "id" or k in keep}


def user(world: World, u: User, view: View = View()) -> dict:
    return {**_base(u, view), "first_name": u.first_name, "last_name": u.last_name, "email": u.email,
            "disabled": u.disabled, "remote_created_at": iso_z(u.remote_created_at), "access_role": u.access_role}


def stage(world: World, s: Stage, view: View = View()) -> dict:
    return {**_base(s, view), "name": s.name, "job": _ref(world, view, "job", "job", s.job_id), "stage_order": s.order}


def job(world: World, j: Job, view: View = View()) -> dict:
    """Departments, offices and hiring teams are not records of the sandbox's worlds: empty lists."""
    return {**_base(j, view), "name": j.title, "description": None, "code": None, "status": j.status.upper(),
            "job_posting_urls": [], "remote_created_at": iso_z(j.remote_created_at),
            "remote_updated_at": iso_z(j.modified_at), "confidential": False, "departments": [], "offices": [],
            "hiring_managers": [], "recruiters": []}


def application(world: World, a: Application, view: View = View()) -> dict:
    return {**_base(a, view), "candidate": _ref(world, view, "candidate", "candidate", a.candidate_id),
            "job": _ref(world, view, "job", "job", a.job_id), "applied_at": iso_z(a.applied_at),
            "rejected_at": iso_z(a.rejected_at), "source": a.source,
            "credited_to": _ref(world, view, "credited_to", "user", a.credited_to),
            "current_stage": _ref(world, view, "current_stage", "stage", a.stage_id), "reject_reason": a.rejection_reason}


def candidate(world: World, c: Candidate, view: View = View()) -> dict:
    applications = world.related("application", "candidate_id", c.id)
    return {**_base(c, view), "first_name": c.first_name, "last_name": c.last_name, "company": c.company,
            "title": c.title, "last_interaction_at": iso_z(max((a.modified_at for a in applications),
                                                              default=c.modified_at)),
            "is_private": False, "can_email": True, "locations": [], "phone_numbers": [c.phone],
            "email_addresses": [c.email], "tags": [], "urls": [],
            "applications": [_ref(world, view, "applications", "application", a.id) for a in applications],
            "attachments": [], "remote_created_at": iso_z(c.remote_created_at), "remote_updated_at": iso_z(c.modified_at),
            "avatar": None}


def interview(world: World, i: Interview, view: View = View()) -> dict:
    plat = platform(world.platform)
    status = STATUS.get(i.status) or plat.status_word(i.status) or i.status
    return {
        **_base(i, view, {"title": i.title, "video_conferencing_url": i.video_url}, plat.raw_interview(world, i)
                if view.raw else None),
        "application": _ref(world, view, "application", "application", i.application_id),
        "job_interview_stage": _ref(world, view, "job_interview_stage", "stage", i.stage_id),
        "organizer": _ref(world, view, "organizer", "user", i.organizer_id),
        "interviewers": [_ref(world, view, "interviewers", "user", u) for u in i.interviewer_ids],
        "location": plat.location_text(i),
        "start_at": iso_z(i.start_at),
        "end_at": iso_z(i.end_at),
        "remote_created_at": iso_z(i.remote_created_at),
        "remote_updated_at": iso_z(i.remote_updated_at),
        "status": status,
    }


RENDERERS = {"user": user, "stage": stage, "job": job, "application": application, "candidate": candidate,
             "interview": interview}
