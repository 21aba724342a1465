"""World records in Merge's shapes (ats_v3.yml): ScheduledInterview, Application, Candidate,
RemoteUser, Job, JobInterviewStage, Scorecard, AccountDetails.

A renderer takes the world, the record and a `View` (what the query asked to expand and show).
An expanded reference is the referenced record as its own endpoint renders it by default.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sandbox.world.model import Application, Candidate, Interview, Job, Scorecard, Stage, User, World, iso_z
from sandbox.vendors.merge.platforms import FILLS
from sandbox.world.platforms import Platform, platform

FIELD_MAPPINGS = {"organization_defined_targets": {}, "linked_account_defined_targets": {}}
STATUS = {"scheduled": "SCHEDULED", "awaiting_feedback": "AWAITING_FEEDBACK", "complete": "COMPLETE"}
RECOMMENDATION = {"definitely_no": "DEFINITELY_NO", "no": "NO", "yes": "YES", "strong_yes": "STRONG_YES",
                  "no_decision": "NO_DECISION"}

ts = iso_z  # DRF's rendering of a time


class View(NamedTuple):
    expand: frozenset = frozenset()
    remote_data: bool = False
    origins: frozenset = frozenset()  # enum fields shown as the platform's own word


DEFAULT = View()


def mid(record_id: str | None) -> str | None:
    """A world id (32 hex) as Merge's UUID."""
    return None if record_id is None else str(uuid.UUID(hex=record_id))


def _common(record) -> dict:
    return {"id": mid(record.id), "remote_id": record.remote_id, "created_at": ts(record.created_at),
            "modified_at": ts(record.modified_at)}


def _tail(record) -> dict:
    return {"remote_was_deleted": getattr(record, "deleted_at", None) is not None, "field_mappings": FIELD_MAPPINGS,
            "remote_data": None}


def user(world: World, u: User, view: View = DEFAULT) -> dict:
    return {**_common(u), "first_name": u.first_name, "last_name": u.last_name, "email": u.email,
            "disabled": u.disabled, "remote_created_at": ts(u.remote_created_at), "access_role": u.access_role,
            **_tail(u)}


def stage(world: World, s: Stage, view: View = DEFAULT) -> dict:
    job_ref = job(world, world.jobs[s.job_id]) if "job" in view.expand else mid(s.job_id)
    return {**_common(s), "name": s.name, "job": job_ref, "stage_order": s.order, **_tail(s)}


def job(world: World, j: Job, view: View = DEFAULT) -> dict:
    """Departments, offices and hiring teams are not records of the sandbox's worlds: empty lists."""
    status = j.status.upper()
    return {**_common(j), "name": j.title, "description": None, "code": None,
            "status": j.status if "status" in view.origins else status, "type": "POSTING",
            "job_postings": [], "job_posting_urls": [], "remote_created_at": ts(j.remote_created_at),
            "remote_updated_at": ts(j.modified_at), "confidential": False, "departments": [], "offices": [],
            "hiring_managers": [], "recruiters": [], **_tail(j)}


def _contact(c: Candidate) -> dict:
    """An email address's or phone number's own timestamps (ats_v3.yml `EmailAddress`, `PhoneNumber`): the candidate's."""
    return {"created_at": ts(c.created_at), "modified_at": ts(c.modified_at), "remote_was_deleted": False}


def candidate(world: World, c: Candidate, view: View = DEFAULT) -> dict:
    applications = world.related("application", "candidate_id", c.id)
    return {**_common(c), "first_name": c.first_name, "last_name": c.last_name, "company": c.company,
            "title": c.title, "remote_created_at": ts(c.remote_created_at), "remote_updated_at": ts(c.modified_at),
            "last_interaction_at": ts(max((a.modified_at for a in applications), default=c.modified_at)),
            "is_private": False, "can_email": True, "locations": [],
            "phone_numbers": [{**_contact(c), "value": c.phone, "phone_number_type": "MOBILE"}],
            "email_addresses": [{**_contact(c), "value": c.email, "email_address_type": "PERSONAL"}],
            "urls": [], "tags": [],
            "applications": [application(world, a) if "applications" in view.expand else mid(a.id)
                             for a in applications],
            "attachments": [], **_tail(c)}


def application(world: World, a: Application, view: View = DEFAULT) -> dict:
    x = view.expand
    return {**_common(a),
            "candidate": candidate(world, world.candidates[a.candidate_id]) if "candidate" in x else mid(a.candidate_id),
            "job": job(world, world.jobs[a.job_id]) if "job" in x else mid(a.job_id),
            "applied_at": ts(a.applied_at), "rejected_at": ts(a.rejected_at), "offers": [], "source": a.source,
            "credited_to": user(world, world.users[a.credited_to]) if "credited_to" in x and a.credited_to
            else mid(a.credited_to),
            "screening_question_answers": [],
            "current_stage": stage(world, world.stages[a.stage_id]) if "current_stage" in x else mid(a.stage_id),
            "reject_reason": None, **_tail(a)}


def status(plat: Platform, i: Interview, origins: bool) -> str | None:
    """Merge's enum, or the platform's own word where there is no clear mapping (a cancelled
    interview) or where `show_enum_origins=status` asks for it."""
    word = plat.status_word(i.status)
    if origins or i.status not in STATUS:
        return word
    return STATUS[i.status]


def interview(world: World, i: Interview, view: View = DEFAULT) -> dict:
    plat = platform(world.platform)
    fills = FILLS.get(plat.key, frozenset()) if not i.shell else frozenset()
    x = view.expand

    def filled(name: str, value):
        return value if name in fills else None

    def person(user_id: str | None, relation: str):
        if user_id is None:
            return None
        return user(world, world.users[user_id]) if relation in x else mid(user_id)

    app = None
    if not i.shell:
        app = application(world, world.applications[i.application_id]) if "application" in x else mid(i.application_id)
    job_stage = None
    if "job_interview_stage" in fills and i.stage_id:
        job_stage = stage(world, world.stages[i.stage_id]) if "job_interview_stage" in x else mid(i.stage_id)
    return {
        **_common(i),
        "application": app,
        "job_interview_stage": job_stage,
        "organizer": filled("organizer", person(i.organizer_id, "organizer")),
        "interviewers": [person(u, "interviewers") for u in i.interviewer_ids] if "interviewers" in fills else [],
        "location": filled("location", plat.location_text(i)),
        "start_at": filled("start_at", ts(i.start_at)),
        "end_at": filled("end_at", ts(i.end_at)),
        "remote_created_at": filled("remote_created_at", ts(i.remote_created_at)),
        "remote_updated_at": filled("remote_updated_at", ts(i.remote_updated_at)),
        "status": filled("status", status(plat, i, "status" in view.origins)),
        "remote_was_deleted": i.deleted,
        "field_mappings": FIELD_MAPPINGS,
        "remote_data": [{"path": plat.interview_path(world, i), "data": plat.raw_interview(world, i)}]
        if view.remote_data and "remote_data" in FILLS.get(plat.key, ()) else None,
    }


def scorecard(world: World, s: Scorecard, view: View = DEFAULT) -> dict:
    x = view.expand
    recommendation = s.overall_recommendation
    if recommendation is not None and "overall_recommendation" not in view.origins:
        recommendation = RECOMMENDATION[recommendation]
    return {**_common(s),
            "application": application(world, world.applications[s.application_id]) if "application" in x
            else mid(s.application_id),
            "interview": interview(world, world.record("interview", s.interview_id)) if "interview" in x
            else mid(s.interview_id),
            "interviewer": user(world, world.users[s.interviewer_id]) if "interviewer" in x else mid(s.interviewer_id),
            "remote_created_at": ts(s.remote_created_at), "submitted_at": ts(s.submitted_at),
            "overall_recommendation": recommendation, **_tail(s)}


# a connection's state -> the linked account's status (AccountDetails; "IDLE" for a paused account)
ACCOUNT_STATUS = {"healthy": "COMPLETE", "initial_sync": "INCOMPLETE", "relink_needed": "RELINK_NEEDED",
                  "paused": "IDLE", "deleted": "COMPLETE"}
SYNC_RESULT = {"succeeded": "DONE", "partially_failed": "PARTIALLY_SYNCED", "failed": "FAILED",
               "authentication_failed": "FAILED"}
MODELS = ("ScheduledInterview", "Application", "Candidate", "RemoteUser", "Job", "JobInterviewStage", "Scorecard")


def sync_status(state: str, sync: dict) -> list[dict]:
    """SyncStatus of each model the sandbox serves: all sync together here, and a sync ends as it starts
    (INFERRED: the first is still running in an initial sync)."""
    result = SYNC_RESULT[sync["outcome"]]
    status = {"initial_sync": "SYNCING", "paused": "PAUSED"}.get(state, result)
    finished = None if state == "initial_sync" else ts(sync["last_sync"])
    return [{"model_name": m, "model_id": f"ats.{m}", "last_sync_start": ts(sync["last_sync"]),
             "next_sync_start": ts(sync["next_sync"]), "last_sync_result": result, "last_sync_finished": finished,
             "status": status,
             "is_initial_sync": state == "initial_sync", "selective_sync_configurations_usage": "IN_LAST_SYNC"}
            for m in MODELS]


def account_details(world: World, account_token: str, category: str, state: str = "healthy") -> dict:
    """AccountDetails of a linked account (INFERRED values: Merge's dashboard fills these)."""
    plat = platform(world.platform)
    origin = uuid.uuid5(uuid.NAMESPACE_URL, f"ats-sandbox/{world.key}/{account_token}")
    return {"id": str(origin), "integration": plat.name, "integration_slug": plat.key, "category": category,
            "end_user_origin_id": world.key, "end_user_organization_name": world.company,
            "end_user_email_address": f"it@{world.key}.example", "status": ACCOUNT_STATUS[state], "webhook_listener_url":
            f"https://api.merge.dev/api/integrations/webhook-listener/{origin.hex}", "is_duplicate": False,
            "account_type": "PRODUCTION", "completed_at": None}
