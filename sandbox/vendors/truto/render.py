"""World records in Truto's unified ATS shapes (truto.one/docs/api-reference/unified-ats-api). Truto's
ids are the platform's remote ids, and references are `{"id": ...}` objects.

Unified leaves out the interview fields Truto does not map for the platform (platforms.py);
normalized keeps every field, null where unmapped (INFERRED: Truto does not document the difference). The other resources carry
every documented field the worlds hold; the sandbox models no raw platform record for them, so
their `remote_data` is left out (INFERRED).
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.vendors.truto.platforms import MAPS
from sandbox.world.model import Application, Candidate, Interview, Job, Stage, User, World
from sandbox.world.platforms import ms, platform

STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback", "complete": "completed",
          "cancelled": "cancelled"}
class View(NamedTuple):
    format: str = "unified"
    remote_data: bool = True


def ref(record) -> dict:
    return {"id": record.remote_id}


def interview(world: World, i: Interview, view: View = View()) -> dict:
    plat = platform(world.platform)
    app = world.applications[i.application_id]
    values = {
        "id": i.remote_id,
        "application": ref(app),
        "candidate": ref(world.candidates[app.candidate_id]),
        "job_interview_stage": ref(world.stages[i.stage_id]) if i.stage_id else None,
        "organizer": ref(world.users[i.organizer_id]) if i.organizer_id else None,
        "interviewers": [ref(world.users[u]) for u in i.interviewer_ids],
        "location": plat.location_text(i),
        "start_at": ms(i.start_at),
        "end_at": ms(i.end_at),
        "status": STATUS.get(i.status),
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
        "remote_data": plat.raw_interview(world, i),
    }
    # a platform Truto lists no interviews for (its webhooks, `ats-sandbox dump`): every field
    mapped = MAPS.get(plat.key, values.keys())
    out = {}
    for key, value in values.items():
        if key == "remote_data" and not view.remote_data:
            continue
        if key in mapped:
            out[key] = value
        elif view.format == "normalized":
            out[key] = [] if key == "interviewers" else None
    return out


def _emails(email: str) -> list[dict]:
    return [{"email": email, "type": "work", "is_primary": True}]


def user(world: World, u: User, view: View = View()) -> dict:
    return {"id": u.remote_id, "first_name": u.first_name, "last_name": u.last_name,
            "name": f"{u.first_name} {u.last_name}", "emails": _emails(u.email), "disabled": u.disabled,
            "access_role": u.access_role.lower(), "created_at": ms(u.remote_created_at), "updated_at": ms(u.modified_at)}


def stage(world: World, s: Stage, view: View = View()) -> dict:
    return {"id": s.remote_id, "name": s.name, "status": "active", "job": ref(world.jobs[s.job_id]),
            "position": s.order, "created_at": ms(s.created_at), "updated_at": ms(s.modified_at)}


def job(world: World, j: Job, view: View = View()) -> dict:
    office = j.office
    return {"id": j.remote_id, "name": j.title, "description": None, "code": None, "requisition_id": None,
            "status": j.status, "locations": [office.text()] if office else [], "job_posting_urls": [],
            "confidential": False, "departments": [{"id": j.department.lower().replace(" ", "-"), "name": j.department}],
            "teams": [], "offices": [{"id": (office.city or "remote").lower().replace(" ", "-"), "name": office.city}]
            if office else [], "hiring_managers": [], "recruiters": [], "created_at": ms(j.remote_created_at),
            "updated_at": ms(j.modified_at)}


def application(world: World, a: Application, view: View = View()) -> dict:
    s = world.stages.get(a.stage_id)
    credited = world.users.get(a.credited_to) if a.credited_to else None
    return {"id": a.remote_id, "candidate": ref(world.candidates[a.candidate_id]), "job": ref(world.jobs[a.job_id]),
            "applied_at": ms(a.applied_at), "rejected_at": ms(a.rejected_at),
            "source": {"id": a.source.lower().replace(" ", "-"), "name": a.source},
            "credited_to": None if credited is None else {
                "id": credited.remote_id, "first_name": credited.first_name, "last_name": credited.last_name,
                "emails": _emails(credited.email)},
            "current_stage": None if s is None else {"id": s.remote_id, "name": s.name, "job": ref(world.jobs[s.job_id]),
                                                     "created_at": ms(s.created_at), "updated_at": ms(s.modified_at)},
            "reject_reason": a.rejection_reason, "attachments": [], "created_at": ms(a.applied_at),
            "updated_at": ms(a.modified_at)}


def candidate(world: World, c: Candidate, view: View = View()) -> dict:
    applications = world.related("application", "candidate_id", c.id)
    return {"id": c.remote_id, "first_name": c.first_name, "last_name": c.last_name,
            "name": f"{c.first_name} {c.last_name}", "company": c.company, "title": c.title,
            "last_interaction_at": ms(max((a.modified_at for a in applications), default=c.modified_at)),
            "is_private": "false", "can_email": True, "locations": [],
            "phones": [{"number": c.phone, "extension": None, "type": "mobile"}],
            "emails": [{"email": c.email, "type": "personal"}], "urls": [], "tags": [],
            "applications": [application(world, a) for a in applications], "attachments": [],
            "created_at": ms(c.remote_created_at), "updated_at": ms(c.modified_at)}
