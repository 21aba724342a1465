"""Facts per ATS platform: how its ids look, its own status words and the shape of its raw
interview record. Vendor-neutral: which fields a vendor fills for a platform lives in that
vendor's package.

Sources: ../shared/platforms.md and platforms/README.md (copied facts, not imported). Where a
platform publishes no value for something the sandbox needs, the choice is marked INFERRED.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sandbox.world.model import Interview, World

@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    id_style: str  # "int" | "uuid" | "wid"
    api_base: str  # where the platform's own API lives
    status_words: dict[str, str] | None  # neutral status -> the platform's own word; None: no field
    records_cancellation: bool  # whether its records say an interview was cancelled
    list_path: str  # the platform's endpoint that lists interviews, as its docs write it
    interview_path: Callable[[World, Interview], str]  # where one interview is read from
    raw_interview: Callable[[World, Interview], dict]

    def status_word(self, status: str | None) -> str | None:
        if self.status_words is None or status is None:
            return None
        return self.status_words[status]

    def location_text(self, interview: Interview) -> str | None:
        """The free-text location the platform itself shows for an interview."""
        return _LOCATION_TEXT[self.key](interview)


# ---- helpers ---------------------------------------------------------------------------------


def ms(value: datetime | None) -> str | None:
    """`2014-03-26T22:15:00.000Z`: milliseconds and Z, as Greenhouse and Ashby write times."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def derived_id(style: str, *parts: str) -> str:
    """A stable id of the platform's style for a sub-record that has no id in the world."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    if style == "int":
        return str(10_000_000 + int(digest[:8], 16) % 90_000_000)
    if style == "wid":
        return digest[:32]
    return str(uuid.UUID(hex=digest[:32], version=4))


def _name(world: World, user_id: str) -> str:
    user = world.users[user_id]
    return f"{user.first_name} {user.last_name}"


def _video_label(url: str | None) -> str | None:
    if url is None:
        return None
    if "zoom" in url:
        return "Zoom"
    if "meet.google" in url:
        return "Google Meet"
    return "Microsoft Teams"


_LOCATION_TEXT: dict[str, Callable[[Interview], str | None]] = {
    # Greenhouse keeps the room in `location` and the meeting link in `video_conferencing_url`.
    "greenhouse": lambda i: i.location.text() if i.location else None,
    # Lever has one free-text field: "usually a conference room, but can also be a phone number";
    # video links end up there too.
    "lever": lambda i: i.location.text() if i.location else i.video_url,
    # Ashby's event `location` names the room or the meeting tool ("Google Meet").
    "ashby": lambda i: i.location.name or i.location.text() if i.location else _video_label(i.video_url),
    # Workday references a Location object; its descriptor is the site's city (INFERRED).
    "workday": lambda i: i.location.city if i.location else None,
}


# ---- raw records, one builder per platform ---------------------------------------------------


def _greenhouse(world: World, i: Interview) -> dict:
    app = world.applications[i.application_id]
    stage = world.stages.get(i.stage_id) if i.stage_id else None
    organizer = world.users.get(i.organizer_id) if i.organizer_id else None
    complete = i.status == "complete"
    return {
        "id": int(i.remote_id),
        "application_id": int(app.remote_id),
        "external_event_id": derived_id("wid", world.seed, i.id, "event")[:26],
        "start": {"date_time": ms(i.start_at)},
        "end": {"date_time": ms(i.end_at)},
        "location": _LOCATION_TEXT["greenhouse"](i),
        "video_conferencing_url": i.video_url,
        "status": GREENHOUSE_STATUS[i.status] if i.status else None,
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
        "interview": {"id": int(stage.remote_id), "name": stage.name} if stage else None,
        "organizer": None
        if organizer is None
        else {
            "id": int(organizer.remote_id),
            "first_name": organizer.first_name,
            "last_name": organizer.last_name,
            "name": f"{organizer.first_name} {organizer.last_name}",
            "employee_id": derived_id("int", world.seed, organizer.id, "employee")[:5],
        },
        "interviewers": [
            {
                "id": int(world.users[uid].remote_id),
                "employee_id": derived_id("int", world.seed, uid, "employee")[:5],
                "name": _name(world, uid),
                "email": world.users[uid].email,
                "response_status": "accepted",
                "scorecard_id": int(derived_id("int", world.seed, i.id, uid)) if complete else None,
            }
            for uid in i.interviewer_ids
        ],
    }


def _lever(world: World, i: Interview) -> dict:
    app = world.applications[i.application_id]
    candidate = world.candidates[app.candidate_id]
    job = world.jobs[app.job_id]
    stage = world.stages.get(i.stage_id) if i.stage_id else None
    duration = int((i.end_at - i.start_at).total_seconds() // 60) if i.start_at and i.end_at else None
    done = i.status in ("complete", "awaiting_feedback")
    return {
        "id": i.remote_id,
        "panel": derived_id("uuid", world.seed, i.id, "panel"),
        "subject": f"{stage.name if stage else 'Interview'} - {candidate.first_name} {candidate.last_name} - {job.title}",
        "note": f"SCHEDULE:\n{i.title}\n",
        "interviewers": [
            {"email": world.users[uid].email, "id": world.users[uid].remote_id, "name": _name(world, uid)}
            for uid in i.interviewer_ids
        ],
        "timezone": "America/Los_Angeles",
        "createdAt": epoch_ms(i.remote_created_at),
        "date": epoch_ms(i.start_at),
        "duration": duration,
        "location": _LOCATION_TEXT["lever"](i),
        "feedbackTemplate": derived_id("uuid", world.seed, job.id, "feedback-template"),
        "feedbackForms": [derived_id("uuid", world.seed, i.id, "feedback")] if i.status == "complete" else [],
        "feedbackReminder": "once" if done else "frequently",
        "user": world.users[i.organizer_id].remote_id if i.organizer_id else None,
        "stage": stage.remote_id if stage else None,
        "canceledAt": epoch_ms(i.remote_updated_at) if i.status == "cancelled" else None,
        "postings": [job.remote_id],
        "gcalEventUrl": None,
    }


def _ashby_user(world: World, user_id: str) -> dict:
    user = world.users[user_id]
    return {
        "id": user.remote_id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "globalRole": ASHBY_ROLES.get(user.access_role, "Limited Access"),
        "isEnabled": not user.disabled,
        "updatedAt": ms(user.remote_created_at),
    }


def _ashby(world: World, i: Interview) -> dict:
    """One Ashby interview *schedule* holding the one *event* that is the unified interview."""
    app = world.applications[i.application_id]
    stage = world.stages.get(i.stage_id) if i.stage_id else None
    schedule_id = derived_id("uuid", world.seed, i.id, "schedule")
    return {
        "id": schedule_id,
        "status": ASHBY_STATUS[i.status] if i.status else "Unknown",
        "applicationId": app.remote_id,
        "interviewStageId": stage.remote_id if stage else None,
        "scheduledBy": _ashby_user(world, i.organizer_id) if i.organizer_id else None,
        "createdAt": ms(i.remote_created_at),
        "updatedAt": ms(i.remote_updated_at),
        "interviewEvents": [
            {
                "id": i.remote_id,
                "interviewId": derived_id("uuid", world.seed, i.stage_id or "", "interview"),
                "interviewScheduleId": schedule_id,
                "interviewerUserIds": [world.users[uid].remote_id for uid in i.interviewer_ids],
                "interviewers": [
                    {**_ashby_user(world, uid), "trainingRole": None, "interviewerPool": None, "isFeedbackRequired": True}
                    for uid in i.interviewer_ids
                ],
                "createdAt": ms(i.remote_created_at),
                "updatedAt": ms(i.remote_updated_at),
                "startTime": ms(i.start_at),
                "endTime": ms(i.end_at),
                "feedbackLink": f"https://app.ashbyhq.com/interview-briefings/{derived_id('uuid', world.seed, i.id, 'briefing')}/feedback",
                "location": _LOCATION_TEXT["ashby"](i),
                "meetingLink": i.video_url,
                "interviewerCalendarEventId": None,
                "hasSubmittedFeedback": i.status == "complete",
                "notetakerTranscriptId": None,
                "extraData": {},
            }
        ],
    }


def _wd_ref(descriptor: str | None, *ids: tuple[str, str]) -> dict:
    refs = [{"@wd:type": kind, "#text": value} for kind, value in ids]
    out = {"ID": refs[0] if len(refs) == 1 else refs}
    if descriptor is not None:
        out = {"@wd:Descriptor": descriptor, **out}
    return out


def _wd_time(value: datetime | None) -> str | None:
    return None if value is None else ms(value)[:-1] + "+00:00"


def _workday(world: World, i: Interview) -> dict:
    app = world.applications[i.application_id]
    candidate = world.candidates[app.candidate_id]
    job = world.jobs[app.job_id]
    stage = world.stages.get(i.stage_id) if i.stage_id else None
    name = f"{candidate.first_name} {candidate.last_name}"
    requisition = f"R-{int(derived_id('int', world.seed, job.id)) % 100000:05d}"
    session = {
        "Interviewers_Reference": [
            _wd_ref(_name(world, uid), ("WID", world.users[uid].remote_id),
                    ("Employee_ID", derived_id("int", world.seed, uid, "employee")[:5]))
            for uid in i.interviewer_ids
        ],
        "Interview_Start_Time": _wd_time(i.start_at),
        "Interview_End_Time": _wd_time(i.end_at),
        "Interview_Type_Reference": _wd_ref(stage.name if stage else "Interview",
                                            ("WID", stage.remote_id if stage else derived_id("wid", i.id))),
        "Comment": i.title,
    }
    if i.location is not None:
        session["Interview_Location_Reference"] = _wd_ref(
            i.location.city, ("WID", derived_id("wid", world.seed, i.location.city or "")),
            ("Location_ID", f"{(i.location.city or 'Remote').replace(' ', '_')}_site"))
    return {
        "Interview_Event_Reference": _wd_ref(f"Interview: {name} - {requisition} {job.title}", ("WID", i.remote_id)),
        "Job_Application_Reference": _wd_ref(
            f"{name} - {requisition} {job.title}", ("WID", app.remote_id),
            ("Job_Application_ID", f"JOB_APPLICATION-{int(derived_id('int', world.seed, app.id)) % 10000}")),
        "Candidate_Interview_Criteria_Data": {
            "Candidate_Reference": _wd_ref(name, ("WID", candidate.remote_id),
                                           ("Candidate_ID", f"CAND-{int(derived_id('int', world.seed, candidate.id)) % 100000}")),
            "Job_Requisition_Reference": _wd_ref(f"{requisition} {job.title} (Open)", ("WID", job.remote_id),
                                                 ("Job_Requisition_ID", requisition)),
        },
        "Interview_Session_Data": {
            "Interview_Session_Reference": _wd_ref(None, ("WID", derived_id("wid", world.seed, i.id, "session"))),
            "Interview_Session_Details_Data": session,
        },
        "Overall_Comment": "",
        "Timezone_Reference": _wd_ref("GMT-08:00 Pacific Time (US & Canada)", ("Time_Zone_ID", "America/Los_Angeles")),
    }


# Greenhouse's Harvest status words; it has no word for a cancelled interview, which it keeps
# with status "cancelled" here (INFERRED).
GREENHOUSE_STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback",
                     "complete": "complete", "cancelled": "cancelled"}
ASHBY_STATUS = {"scheduled": "Scheduled", "awaiting_feedback": "WaitingOnFeedback",
                "complete": "Complete", "cancelled": "Cancelled"}
ASHBY_ROLES = {"SUPER_ADMIN": "Organization Admin", "ADMIN": "Elevated Access",
               "TEAM_MEMBER": "Limited Access", "INTERVIEWER": "Limited Access"}

PLATFORMS: dict[str, Platform] = {
    "greenhouse": Platform(
        key="greenhouse", api_base="https://harvest.greenhouse.io/v1", records_cancellation=True, name="Greenhouse", id_style="int", status_words=GREENHOUSE_STATUS,
        list_path="/scheduled_interviews",
        interview_path=lambda w, i: "/scheduled_interviews",
        raw_interview=_greenhouse,
    ),
    "lever": Platform(
        key="lever", api_base="https://api.lever.co/v1", records_cancellation=True, name="Lever", id_style="uuid", status_words=None,
        list_path="/opportunities/{opportunity}/interviews",
        interview_path=lambda w, i: f"/opportunities/{w.applications[i.application_id].remote_id}/interviews",
        raw_interview=_lever,
    ),
    "ashby": Platform(
        key="ashby", api_base="https://api.ashbyhq.com", records_cancellation=True, name="Ashby", id_style="uuid", status_words=ASHBY_STATUS,
        list_path="/interviewSchedule.list",
        interview_path=lambda w, i: "/interviewSchedule.list",
        raw_interview=_ashby,
    ),
    "workday": Platform(
        key="workday", api_base="https://wd2-impl-services1.workday.com/ccx/service/sandbox/Recruiting/v31.2", records_cancellation=False, name="Workday", id_style="wid", status_words=None,
        list_path="/Get_Interviews",
        interview_path=lambda w, i: "/Get_Interviews",
        raw_interview=_workday,
    ),
}


def platform(key: str) -> Platform:
    try:
        return PLATFORMS[key]
    except KeyError:
        raise ValueError(f"unknown platform {key!r}; known: {', '.join(sorted(PLATFORMS))}") from None
