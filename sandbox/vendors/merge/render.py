"""World records in Merge's shapes (ScheduledInterview, RemoteUser, JobInterviewStage, Application)."""

from __future__ import annotations

import uuid
from sandbox.world.model import Application, Interview, Stage, User, World, iso_z
from sandbox.world.platforms import Platform

FIELD_MAPPINGS = {"organization_defined_targets": {}, "linked_account_defined_targets": {}}
STATUS = {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK", "complete": "COMPLETE"}
ACCESS_ROLES = frozenset({"SUPER_ADMIN", "ADMIN", "TEAM_MEMBER", "LIMITED_TEAM_MEMBER", "INTERVIEWER"})


ts = iso_z  # DRF's rendering of a time


def mid(record_id: str | None) -> str | None:
    """A world id (32 hex) as Merge's UUID."""
    return None if record_id is None else str(uuid.UUID(hex=record_id))


def user(u: User) -> dict:
    return {
        "id": mid(u.id), "remote_id": u.remote_id, "created_at": ts(u.created_at), "modified_at": ts(u.modified_at),
        "first_name": u.first_name, "last_name": u.last_name, "email": u.email, "disabled": u.disabled,
        "remote_created_at": ts(u.remote_created_at), "access_role": u.access_role,
        "remote_was_deleted": False, "field_mappings": FIELD_MAPPINGS, "remote_data": None,
    }


def stage(s: Stage) -> dict:
    return {
        "id": mid(s.id), "remote_id": s.remote_id, "created_at": ts(s.created_at), "modified_at": ts(s.modified_at),
        "name": s.name, "job": mid(s.job_id), "stage_order": s.order,
        "remote_was_deleted": False, "field_mappings": FIELD_MAPPINGS, "remote_data": None,
    }


def application(a: Application) -> dict:
    return {
        "id": mid(a.id), "remote_id": a.remote_id, "created_at": ts(a.created_at), "modified_at": ts(a.modified_at),
        "candidate": mid(a.candidate_id), "job": mid(a.job_id), "applied_at": ts(a.applied_at),
        "rejected_at": ts(a.rejected_at), "offers": [], "source": a.source, "credited_to": mid(a.credited_to),
        "screening_question_answers": [], "current_stage": mid(a.stage_id), "reject_reason": None,
        "remote_was_deleted": False, "field_mappings": FIELD_MAPPINGS, "remote_data": None,
    }


def status(platform: Platform, i: Interview, origins: bool) -> str | None:
    """Merge's enum, or the platform's own word where there is no clear mapping (a cancelled
    interview) or where `show_enum_origins=status` asks for it."""
    word = platform.status_word(i.status)
    if origins or i.status not in STATUS:
        return word
    return STATUS[i.status]


def interview(world: World, platform: Platform, i: Interview, *, expand: frozenset = frozenset(),
              remote_data: bool = False, origins: bool = False) -> dict:
    fills = platform.fills["merge"] if not i.shell else frozenset()

    def filled(name: str, value):
        return value if name in fills else None

    def person(user_id: str | None):
        if user_id is None:
            return None
        return user(world.users[user_id]) if "organizer" in expand else mid(user_id)

    interviewers = []
    if "interviewers" in fills:
        interviewers = [user(world.users[u]) if "interviewers" in expand else mid(u) for u in i.interviewer_ids]
    app = None
    if not i.shell:
        app = application(world.applications[i.application_id]) if "application" in expand else mid(i.application_id)
    job_stage = None
    if "job_interview_stage" in fills and i.stage_id:
        job_stage = stage(world.stages[i.stage_id]) if "job_interview_stage" in expand else mid(i.stage_id)
    return {
        "id": mid(i.id),
        "remote_id": i.remote_id,
        "created_at": ts(i.created_at),
        "modified_at": ts(i.modified_at),
        "application": app,
        "job_interview_stage": job_stage,
        "organizer": filled("organizer", person(i.organizer_id)),
        "interviewers": interviewers,
        "location": filled("location", platform.location_text(i)),
        "start_at": filled("start_at", ts(i.start_at)),
        "end_at": filled("end_at", ts(i.end_at)),
        "remote_created_at": filled("remote_created_at", ts(i.remote_created_at)),
        "remote_updated_at": filled("remote_updated_at", ts(i.remote_updated_at)),
        "status": filled("status", status(platform, i, origins)),
        "remote_was_deleted": i.deleted,
        "field_mappings": FIELD_MAPPINGS,
        "remote_data": [{"path": platform.interview_path(world, i), "data": platform.raw_interview(world, i)}]
        if remote_data and "remote_data" in platform.fills["merge"] else None,
    }
