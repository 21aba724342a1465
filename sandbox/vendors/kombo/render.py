"""World records in Kombo's shapes (kombo-openapi.json), and Kombo's ids.

A Kombo id is 24 base58 characters (like `26vafvWSRmbhNcxJYqjCzuJg`). Here it encodes the world's
128-bit id and a 12-bit check, so that it maps back to the record and a made-up id is known as one.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from datetime import timedelta

from sandbox.vendors.kombo.platforms import COVERAGE, UNFILLED
from sandbox.world.model import Application, Candidate, Interview, Job, Location, Stage, User, World
from sandbox.world.platforms import ms, platform

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


def _canceled(world: World, i: Interview) -> bool | None:
    return (i.status == "cancelled") if platform(world.platform).records_cancellation and i.status else None


def _outcome(a: Application) -> str:
    return "DECLINED" if a.rejected_at else "PENDING"


def _job_ref(j: Job) -> dict:
    return {"id": kid(j.id), "remote_id": j.remote_id, "name": j.title}


def _stage_ref(s: Stage) -> dict:
    """A stage as Kombo nests it. `status` and `custom_fields` are in the current SDK's models,
    not yet in the spec copy the tests hold; both accept them."""
    return {"id": kid(s.id), "remote_id": s.remote_id, "name": s.name, "index": s.order, "status": "ACTIVE",
            "custom_fields": {}}


def _emails(c: Candidate) -> list[dict]:
    return [{"email_address": c.email, "type": "PRIVATE"}]


def _phones(c: Candidate) -> list[dict]:
    return [{"phone_number": c.phone, "type": "MOBILE"}]


def interview(world: World, i: Interview, variant: tuple = ()) -> dict:
    plat = platform(world.platform)
    out = _interview(world, i, plat)
    for name in UNFILLED.get(plat.key, ()):
        out[name] = [] if name == "users" else None
    return out


def _interview(world: World, i: Interview, plat) -> dict:
    app = world.applications[i.application_id]
    candidate = world.candidates[app.candidate_id]
    job = world.jobs[app.job_id]
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
        "canceled": _canceled(world, i),
        "remote_created_at": ms(i.remote_created_at),
        "remote_updated_at": ms(i.remote_updated_at),
        "remote_data": {plat.interview_path(world, i): plat.raw_interview(world, i)},
        "changed_at": ms(max(i.modified_at, app.modified_at)),  # the record or a nested one changed
        "remote_deleted_at": ms(i.deleted_at),
        "users": [{"id": kid(u.id), "remote_id": u.remote_id, "first_name": u.first_name, "last_name": u.last_name,
                   "email": u.email} for u in (world.users[uid] for uid in i.interviewer_ids)],
        "application": {
            "id": kid(app.id),
            "remote_id": app.remote_id,
            "outcome": _outcome(app),
            "rejection_reason_name": app.rejection_reason,
            "candidate": {"id": kid(candidate.id), "remote_id": candidate.remote_id,
                          "first_name": candidate.first_name, "last_name": candidate.last_name,
                          "email_addresses": _emails(candidate)},
            "job": _job_ref(job),
        },
    }


def application(world: World, a: Application, variant: tuple = ()) -> dict:
    candidate = world.candidates[a.candidate_id]
    stage = world.stages.get(a.stage_id)
    return {
        "id": kid(a.id), "remote_id": a.remote_id, "outcome": _outcome(a), "rejection_reason_name": a.rejection_reason,
        "rejected_at": ms(a.rejected_at), "current_stage_id": kid(a.stage_id), "job_id": kid(a.job_id),
        "candidate_id": kid(a.candidate_id), "screening_question_answers": [], "custom_fields": {},
        "integration_fields": [], "remote_url": None, "changed_at": ms(a.modified_at),
        "remote_deleted_at": ms(a.deleted_at),
        "remote_created_at": ms(a.applied_at), "remote_updated_at": ms(a.modified_at), "remote_data": None,
        "candidate": {"id": kid(candidate.id), "remote_id": candidate.remote_id, "first_name": candidate.first_name,
                      "last_name": candidate.last_name, "email_addresses": _emails(candidate),
                      "phone_numbers": _phones(candidate), "social_media": [],
                      "source": a.source, "remote_url": None, "tags": []},
        "current_stage": _stage_ref(stage) if stage else None,
        "job": _job_ref(world.jobs[a.job_id]),
        "interviews": [{"id": kid(i.id), "remote_id": i.remote_id, "title": i.title, "starting_at": ms(i.start_at),
                        "ending_at": ms(i.end_at), "location": location(i.location), "canceled": _canceled(world, i)}
                       for i in world.related("interview", "application_id", a.id)],
        "offers": [],
    }


def candidate(world: World, c: Candidate, variant: tuple = ()) -> dict:
    applications = world.related("application", "candidate_id", c.id)
    return {
        "id": kid(c.id), "remote_id": c.remote_id, "first_name": c.first_name, "last_name": c.last_name,
        "company": c.company, "title": c.title, "confidential": False,
        "source": applications[0].source if applications else None,
        "phone_numbers": _phones(c), "email_addresses": _emails(c),
        "social_media": [], "location": None, "custom_fields": {}, "integration_fields": [], "remote_url": None,
        "remote_created_at": ms(c.remote_created_at), "remote_updated_at": ms(c.modified_at), "remote_data": None,
        "changed_at": ms(c.modified_at), "remote_deleted_at": ms(c.deleted_at),
        "applications": [{"id": kid(a.id), "remote_id": a.remote_id, "outcome": _outcome(a),
                          "rejection_reason_name": a.rejection_reason, "rejected_at": ms(a.rejected_at),
                          "remote_url": None, "changed_at": ms(a.modified_at), "remote_created_at": ms(a.applied_at),
                          "remote_updated_at": ms(a.modified_at),
                          "current_stage": _stage_ref(world.stages[a.stage_id]) if a.stage_id in world.stages else None,
                          "job": _job_ref(world.jobs[a.job_id])} for a in applications],
        "tags": [],
    }


def job(world: World, j: Job, variant: tuple = ()) -> dict:
    """Fields the worlds do not model (salaries, postings, hiring teams) are null or empty."""
    office = j.office
    return {
        "id": kid(j.id), "remote_id": j.remote_id, "name": j.title, "job_code": None, "description": None,
        "confidential": False, "weekly_hours": None, "employment_type": "FULL_TIME", "status": j.status.upper(),
        "visibility": "PUBLIC", "category": None, "department": j.department, "post_url": None,
        "experience_level": None, "remote_work_status": None, "salary_amount": None, "salary_amount_from": None,
        "salary_amount_to": None, "salary_currency": None, "salary_period": None, "location": location(office),
        "custom_fields": {}, "integration_fields": [], "remote_url": None, "opened_at": ms(j.remote_created_at),
        "closed_at": None, "remote_created_at": ms(j.remote_created_at), "remote_updated_at": ms(j.modified_at),
        "contact_id": None, "remote_data": None, "changed_at": ms(j.modified_at), "remote_deleted_at": None,
        "stages": [{**_stage_ref(s), "remote_data": None} for s in world.related("stage", "job_id", j.id)],
        "screening_questions": [], "job_postings": [], "hiring_team": [],
    }


ROLES = {"SUPER_ADMIN": "ADMIN", "ADMIN": "ADMIN", "TEAM_MEMBER": "RECRUITER", "LIMITED_TEAM_MEMBER": "RECRUITER",
         "INTERVIEWER": "INTERVIEWER"}


def user(world: World, u: User, variant: tuple = ()) -> dict:
    return {"id": kid(u.id), "remote_id": u.remote_id, "first_name": u.first_name, "last_name": u.last_name,
            "email": u.email, "status": "INACTIVE" if u.disabled else "ACTIVE", "remote_data": None,
            "changed_at": ms(u.modified_at), "remote_deleted_at": None,
            "system_roles": [{"remote_id": None, "remote_label": u.access_role, "scope": "SYSTEM",
                              "unified_type": ROLES.get(u.access_role)}]}


def application_stage(world: World, s: Stage, variant: tuple = ()) -> dict:
    return {"id": kid(s.id), "remote_id": s.remote_id, "name": s.name, "status": "ACTIVE", "custom_fields": {},
            "remote_data": None, "changed_at": ms(s.modified_at), "remote_deleted_at": None}


KEPT_AFTER_DELETION = ("id", "remote_id", "changed_at", "remote_deleted_at")
NULLED_AFTER = timedelta(days=14)


def nulled_after_deletion(render):
    """Kombo keeps a deleted record's fields for 14 days, then nulls them (its deletion policy).
    The renderer's variant ends with the sandbox's date; Kombo's clean-up is taken to run daily
    (INFERRED), so a record's fields go at the first date 14 days after its deletion."""
    def rendered(world: World, record, variant: tuple) -> dict:
        out = render(world, record, variant)
        deleted = getattr(record, "deleted_at", None)
        if deleted is None or variant[-1] < (deleted + NULLED_AFTER).date():
            return out
        return {k: v if k in KEPT_AFTER_DELETION else [] if isinstance(v, list) else None for k, v in out.items()}

    return rendered


INTEGRATION_STATUS = {"healthy": "ACTIVE", "initial_sync": "ACTIVE", "relink_needed": "INVALID", "paused": "INACTIVE",
                      "deleted": "INACTIVE"}
READ_MODELS = ("ats_interviews", "ats_applications", "ats_candidates", "ats_jobs", "ats_users", "ats_application_stages")


def _serves(model: str, platform_key: str) -> bool:
    return model != "ats_interviews" or COVERAGE.serves("interview", "list", platform_key)


def integration(world: World, credential, state: str, created) -> dict:
    """An integration as `GET /integrations/{integration_id}` shows it."""
    plat = platform(world.platform)
    tool = credential.values["integration_id"].split(":", 1)[0]
    return {
        "id": credential.values["integration_id"],
        "tool": {"id": tool, "label": plat.name, "internal_label": None,
                 "logo_url": f"https://storage.googleapis.com/kombo-assets/integrations/{tool}/logo.svg",
                 "icon_url": f"https://storage.googleapis.com/kombo-assets/integrations/{tool}/icon.svg"},
        "category": "ATS", "status": INTEGRATION_STATUS[state],
        "setup_status": "FINAL_SYNC_PENDING" if state == "initial_sync" else "COMPLETED",
        "end_user": {"organization_name": world.company, "creator_email": None, "origin_id": world.key},
        "scope_config": {"id": kid(hashlib.sha256(f"scope/{world.key}".encode()).hexdigest()[:32]), "name": None},
        "data_expired_at": None, "created_at": ms(created), "beta": False,
        "read_models": [{"id": m, "label": m.split("_", 1)[1].replace("_", " ").title(),
                         "is_available": _serves(m, plat.key),
                         "coverage_status": "SUPPORTED" if _serves(m, plat.key) else "UNSUPPORTED",
                         "scope_config_setting": "ENABLED",
                         "opted_out_by_customer": False, "fields": []} for m in READ_MODELS],
        "write_actions": [],
    }
