"""The raw interview record of each platform, as its own API returns it, built from the world's
neutral records; and the free-text location each platform shows.

Shapes come from ../shared/platforms/README.md and its example records (copied facts, not imported):
Greenhouse, Lever, SmartRecruiters and Fountain from published examples; Ashby, Workday and
SuccessFactors assembled from their schemas (INFERRED values); Oracle Taleo, Recruitee, Pinpoint,
Ceipal, Zoho Recruit, Gem, Breezy HR and Kombo Sandbox publish no interview record the research
found, so their shapes are INFERRED from the fields the vendors map and the platforms' conventions.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.world.model import Interview, World
from sandbox.world.platforms.common import (derived_id, epoch_ms, full_name as _name, ms, offset_time, pacific,
                                            video_label as _video_label)

# Greenhouse's Harvest status words; it has no word for a cancelled interview, which it keeps
# with status "cancelled" here (INFERRED).
GREENHOUSE_STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback",
                     "complete": "complete", "cancelled": "cancelled"}
ASHBY_STATUS = {"scheduled": "Scheduled", "awaiting_feedback": "WaitingOnFeedback",
                "complete": "Complete", "cancelled": "Cancelled"}
ASHBY_ROLES = {"SUPER_ADMIN": "Organization Admin", "ADMIN": "Elevated Access",
               "TEAM_MEMBER": "Limited Access", "INTERVIEWER": "Limited Access"}



# ---- the location a platform shows -----------------------------------------------------------


def location_text(i: Interview) -> str | None:
    """The room and address as one line; a video link is kept elsewhere (Greenhouse's
    `video_conferencing_url`)."""
    return i.location.text() if i.location else None


def room_or_link(i: Interview) -> str | None:
    """One free-text field for either (Lever: "usually a conference room, but can also be a phone
    number"; video links end up there too)."""
    return i.location.text() if i.location else i.video_url


def ashby_location(i: Interview) -> str | None:
    """Ashby's event `location` names the room, or the meeting tool ("Google Meet")."""
    return i.location.name or i.location.text() if i.location else _video_label(i.video_url)


def site_city(i: Interview) -> str | None:
    """Workday references a Location object; its descriptor is the site's city (INFERRED)."""
    return i.location.city if i.location else None


def no_location(i: Interview) -> None:
    """A platform whose interview record has no location (SuccessFactors; Pinpoint as Kombo maps it)."""
    return None


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
        "location": location_text(i),
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
        "location": room_or_link(i),
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
                "location": ashby_location(i),
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




def _people(world: World, i: Interview):
    """The interview's application, candidate, job and stage (None for a stage it has not)."""
    app = world.applications[i.application_id]
    return (app, world.candidates[app.candidate_id], world.jobs[app.job_id],
            world.stages.get(i.stage_id) if i.stage_id else None)


def _minutes(i: Interview) -> int | None:
    return int((i.end_at - i.start_at).total_seconds() // 60) if i.start_at and i.end_at else None


def _smartrecruiters(world: World, i: Interview) -> dict:
    """Interview API v201904: one timeslot holds the interviewers, who are ids with a reply."""
    app, candidate, job, stage = _people(world, i)
    reply = "declined" if i.status == "cancelled" else "accepted"
    return {
        "id": i.remote_id,
        "candidate": {"id": candidate.remote_id, "status": reply},
        "jobId": job.remote_id,
        "location": room_or_link(i),
        "organizerId": world.users[i.organizer_id].remote_id if i.organizer_id else None,
        "timezone": "America/Los_Angeles",
        "timeslots": [] if i.start_at is None else [{
            "id": derived_id("uuid", world.seed, i.id, "timeslot"),
            "interviewType": "ONSITE" if i.location else "VIDEO",  # analytics' words; casing INFERRED
            "title": stage.name if stage else i.title,
            "place": i.location.name if i.location else i.video_url,
            "startsOn": ms(i.start_at),
            "endsOn": ms(i.end_at),
            "interviewers": [{"id": world.users[uid].remote_id, "status": reply} for uid in i.interviewer_ids],
        }],
        "createdOn": ms(i.remote_created_at),
        "refUrl": f"https://api.smartrecruiters.com/interviews-api/v201904/interviews/{i.remote_id}",
    }


SUCCESSFACTORS_API = "https://api4.successfactors.com:443/odata/v2"


def _odata_date(value: datetime | None) -> str | None:
    return None if value is None else f"/Date({epoch_ms(value)}+0000)/"


def _successfactors(world: World, i: Interview) -> dict:
    """OData v2 `JobApplicationInterview`: Int64 keys written as strings, navigation deferred. The
    platform keeps one row per interviewer; the unified interview is the first interviewer's row."""
    app, candidate, job, stage = _people(world, i)
    uri = f"{SUCCESSFACTORS_API}/JobApplicationInterview({i.remote_id}L)"
    return {
        "__metadata": {"uri": uri, "type": "SFOData.JobApplicationInterview"},
        "applicationInterviewId": i.remote_id,
        "applicationId": app.remote_id,
        "candSlotMapId": "0",
        "recruitEventStaffId": "0",
        "source": "INTERNAL",
        "templateType": "JOB_REQ",
        "status": SUCCESSFACTORS_STATUS.get(i.status),
        "startDate": _odata_date(i.start_at),
        "endDate": _odata_date(i.end_at),
        "isTimeSet": 0 if i.start_at is None else 1,
        "notes": None,
        **{nav: {"__deferred": {"uri": f"{uri}/{nav}"}}
           for nav in ("interviewer", "interviewOverallAssessment", "jobApplication", "jobRequisition")},
    }


def _taleo(world: World, i: Interview) -> dict:
    """No public interview read API: the shape of Oracle Recruiting Cloud's interview schedule
    resource, its successor (INFERRED)."""
    app, candidate, job, stage = _people(world, i)
    return {
        "ScheduleInterviewId": int(i.remote_id),
        "SubmissionId": int(app.remote_id),
        "CandidateNumber": candidate.remote_id,
        "RequisitionNumber": job.remote_id,
        "InterviewStep": stage.name if stage else None,
        "InterviewStartDate": offset_time(i.start_at),
        "InterviewEndDate": offset_time(i.end_at),
        "Location": room_or_link(i),
        "OrganizerEmail": world.users[i.organizer_id].email if i.organizer_id else None,
        "Participants": [{"PersonNumber": world.users[uid].remote_id, "DisplayName": _name(world, uid)}
                         for uid in i.interviewer_ids],
        "CreationDate": offset_time(i.remote_created_at),
        "LastUpdateDate": offset_time(i.remote_updated_at),
    }


def _recruitee(world: World, i: Interview) -> dict:
    """`interview_event`: the fields its list names (candidate, offer, stage, start, duration,
    location, attendees); the names beyond those are INFERRED."""
    app, candidate, job, stage = _people(world, i)
    return {
        "id": int(i.remote_id),
        "candidate_id": int(candidate.remote_id),
        "offer_id": int(job.remote_id),
        "stage_id": int(stage.remote_id) if stage else None,
        "starts_at": ms(i.start_at),
        "duration": _minutes(i),
        "location": room_or_link(i),
        "admin_id": int(world.users[i.organizer_id].remote_id) if i.organizer_id else None,
        "attendees": [{"admin_id": int(world.users[uid].remote_id), "name": _name(world, uid),
                       "email": world.users[uid].email} for uid in i.interviewer_ids],
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
    }


def _fountain_time(value: datetime | None) -> str | None:
    """`Wed, Jun 03 @11:27am PDT`: Fountain writes times for people, in the account's zone."""
    if value is None:
        return None
    local, zone = pacific(value)
    return f"{local:%a, %b %d} @{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'} {zone}"


def _fountain(world: World, i: Interview) -> dict:
    """A booked slot: no interviewers, no stage; the recruiter by name; `showed_up` a string."""
    return {
        "id": i.remote_id,
        "start_time": _fountain_time(i.start_at),
        "end_time": _fountain_time(i.end_at),
        "location": i.location.city if i.location else i.video_url,
        "recruiter": world.users[i.organizer_id].first_name if i.organizer_id else None,
        "instructions": "Please call us when you get here" if i.location else "Join with the link at the time above",
        "showed_up": "true" if i.status == "complete" else "false",
    }


def _pinpoint(world: World, i: Interview) -> dict:
    """A JSON:API resource (Pinpoint's API convention); its attribute names are INFERRED from what
    Kombo's Pinpoint connector maps (title, start, end, application)."""
    app, candidate, job, stage = _people(world, i)
    return {
        "id": i.remote_id,
        "type": "interviews",
        "attributes": {"title": i.title, "starts_at": ms(i.start_at), "ends_at": ms(i.end_at),
                       "status": PINPOINT_STATUS.get(i.status), "created_at": ms(i.remote_created_at),
                       "updated_at": ms(i.remote_updated_at)},
        "relationships": {
            "application": {"data": {"id": app.remote_id, "type": "applications"}},
            "stage": {"data": {"id": stage.remote_id, "type": "stages"} if stage else None},
        },
    }


def _ceipal(world: World, i: Interview) -> dict:
    """INFERRED throughout: the fields Truto maps for Ceipal (application, candidate, stage,
    organizer, interviewers, location, times of the record) under Ceipal's own words."""
    app, candidate, job, stage = _people(world, i)
    return {
        "id": i.remote_id,
        "submission_id": app.remote_id,
        "applicant_id": candidate.remote_id,
        "job_code": job.remote_id,
        "interview_round_id": stage.remote_id if stage else None,
        "interview_round": stage.name if stage else None,
        "scheduled_by": world.users[i.organizer_id].remote_id if i.organizer_id else None,
        "interviewers": [{"id": world.users[uid].remote_id, "name": _name(world, uid)} for uid in i.interviewer_ids],
        "interview_location": room_or_link(i),
        "interview_status": CEIPAL_STATUS.get(i.status),
        "created_at": offset_time(i.remote_created_at),
        "modified_at": offset_time(i.remote_updated_at),
    }


def _zoho_ref(record_id: str, name: str) -> dict:
    return {"id": record_id, "name": name}


def _zoho(world: World, i: Interview) -> dict:
    """A record of the `Interviews` module; field names INFERRED from Zoho's API-name convention."""
    app, candidate, job, stage = _people(world, i)
    organizer = world.users.get(i.organizer_id) if i.organizer_id else None
    return {
        "id": i.remote_id,
        "Interview_Name": stage.name if stage else i.title,
        "Candidate_Name": _zoho_ref(candidate.remote_id, f"{candidate.first_name} {candidate.last_name}"),
        "Job_Opening_Name": _zoho_ref(job.remote_id, job.title),
        "Interviewer": [_zoho_ref(world.users[uid].remote_id, _name(world, uid)) for uid in i.interviewer_ids],
        "Interview_Owner": None if organizer is None else {**_zoho_ref(organizer.remote_id, _name(world, organizer.id)),
                                                           "email": organizer.email},
        "Start_DateTime": offset_time(i.start_at),
        "End_DateTime": offset_time(i.end_at),
        "Venue": room_or_link(i),
        "Interview_Status": ZOHO_STATUS.get(i.status),
        "Created_Time": offset_time(i.remote_created_at),
        "Modified_Time": offset_time(i.remote_updated_at),
    }


def _gem(world: World, i: Interview) -> dict:
    """INFERRED throughout: nothing of Gem's interview record was found."""
    app, candidate, job, stage = _people(world, i)
    return {
        "id": i.remote_id,
        "application_id": app.remote_id,
        "candidate_id": candidate.remote_id,
        "stage_id": stage.remote_id if stage else None,
        "title": i.title,
        "start_time": ms(i.start_at),
        "end_time": ms(i.end_at),
        "location": room_or_link(i),
        "organizer_id": world.users[i.organizer_id].remote_id if i.organizer_id else None,
        "interviewer_ids": [world.users[uid].remote_id for uid in i.interviewer_ids],
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
    }


def _breezy(world: World, i: Interview) -> dict:
    """INFERRED throughout: Breezy HR publishes no interview endpoint; this is a calendar meeting on
    a candidate, with Breezy's `_id` and date field names."""
    app, candidate, job, stage = _people(world, i)
    return {
        "_id": i.remote_id,
        "candidate_id": candidate.remote_id,
        "position_id": job.remote_id,
        "stage": {"id": stage.remote_id, "name": stage.name} if stage else None,
        "name": i.title,
        "start": ms(i.start_at),
        "end": ms(i.end_at),
        "location": room_or_link(i),
        "attendees": [{"_id": world.users[uid].remote_id, "name": _name(world, uid),
                       "email_address": world.users[uid].email} for uid in i.interviewer_ids],
        "creation_date": ms(i.remote_created_at),
        "updated_date": ms(i.remote_updated_at),
    }


def _kombo_sandbox(world: World, i: Interview) -> dict:
    """Kombo's demo integration makes its own data; a flat record (INFERRED)."""
    app, candidate, job, stage = _people(world, i)
    return {
        "id": i.remote_id,
        "title": i.title,
        "application_id": app.remote_id,
        "stage_id": stage.remote_id if stage else None,
        "start": ms(i.start_at),
        "end": ms(i.end_at),
        "location": location_text(i),
        "meeting_url": i.video_url,
        "interviewer_ids": [world.users[uid].remote_id for uid in i.interviewer_ids],
        "cancelled": i.status == "cancelled" if i.status else None,
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
    }


# Status words of the platforms whose records have a status field. SuccessFactors' are free text
# whose values were not found; Pinpoint's, Ceipal's and Zoho's were not found: all INFERRED.
SUCCESSFACTORS_STATUS = {"scheduled": "SCHEDULED", "awaiting_feedback": "PENDING_FEEDBACK",
                         "complete": "COMPLETED", "cancelled": "CANCELLED"}
PINPOINT_STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback", "complete": "completed",
                   "cancelled": "cancelled"}
CEIPAL_STATUS = {"scheduled": "Scheduled", "awaiting_feedback": "Feedback Pending", "complete": "Completed",
                 "cancelled": "Cancelled"}
ZOHO_STATUS = {"scheduled": "Scheduled", "awaiting_feedback": "Awaiting-Feedback", "complete": "Completed",
               "cancelled": "Cancelled"}
