"""Facts per ATS platform: how its ids look, its own status words, where its API lives and the
shape of its raw interview record. Vendor-neutral: which platforms a vendor serves, and which fields
it fills for each, live in that vendor's package.

Sources: ../shared/platforms.md and platforms/README.md (copied facts, not imported). Where a
platform publishes no value for something the sandbox needs, the choice is marked INFERRED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sandbox.world.model import Interview, World
from sandbox.world.platforms import records as r
from sandbox.world.platforms.common import derived_id, epoch_ms, ms

__all__ = ["PLATFORMS", "Platform", "derived_id", "epoch_ms", "ms", "platform"]


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    id_style: str  # "int" | "uuid" | "wid" (Workday) | "hex24" | "hex12" | "zoho" (common.derived_id)
    api_base: str  # where the platform's own API lives
    status_words: dict[str, str] | None  # neutral status -> the platform's own word; None: no field
    records_cancellation: bool  # whether its records say an interview was cancelled
    list_path: str  # the platform's endpoint that lists interviews, as its docs write it
    interview_path: Callable[[World, Interview], str]  # where one interview is read from
    raw_interview: Callable[[World, Interview], dict]
    location: Callable[[Interview], str | None]  # the free-text location the platform shows
    id_styles: dict[str, str] = field(default_factory=dict)  # a kind whose ids look otherwise -> its style

    def status_word(self, status: str | None) -> str | None:
        if self.status_words is None or status is None:
            return None
        return self.status_words[status]

    def location_text(self, interview: Interview) -> str | None:
        return self.location(interview)

    def id_style_of(self, kind: str) -> str:
        return self.id_styles.get(kind, self.id_style)


def _at(path: str) -> Callable[[World, Interview], str]:
    return lambda world, interview: path


PLATFORMS: dict[str, Platform] = {p.key: p for p in (
    Platform(key="greenhouse", name="Greenhouse", id_style="int", api_base="https://harvest.greenhouse.io/v1",
             status_words=r.GREENHOUSE_STATUS, records_cancellation=True, list_path="/scheduled_interviews",
             interview_path=_at("/scheduled_interviews"), raw_interview=r._greenhouse, location=r.location_text),
    Platform(key="lever", name="Lever", id_style="uuid", api_base="https://api.lever.co/v1",
             status_words=None, records_cancellation=True, list_path="/opportunities/{opportunity}/interviews",
             interview_path=lambda w, i: f"/opportunities/{w.applications[i.application_id].remote_id}/interviews",
             raw_interview=r._lever, location=r.room_or_link),
    Platform(key="ashby", name="Ashby", id_style="uuid", api_base="https://api.ashbyhq.com",
             status_words=r.ASHBY_STATUS, records_cancellation=True, list_path="/interviewSchedule.list",
             interview_path=_at("/interviewSchedule.list"), raw_interview=r._ashby, location=r.ashby_location),
    Platform(key="workday", name="Workday", id_style="wid",
             api_base="https://wd2-impl-services1.workday.com/ccx/service/sandbox/Recruiting/v31.2",
             status_words=None, records_cancellation=False, list_path="/Get_Interviews",
             interview_path=_at("/Get_Interviews"), raw_interview=r._workday, location=r.site_city),
    # Interviews, candidates and jobs are UUIDs; users are 24-hex ObjectIds.
    Platform(key="smartrecruiters", name="SmartRecruiters", id_style="uuid", id_styles={"user": "hex24"},
             api_base="https://api.smartrecruiters.com/interviews-api/v201904", status_words=None,
             records_cancellation=False,  # a cancellation arrives as a webhook, not on the record
             list_path="/interviews", interview_path=_at("/interviews"), raw_interview=r._smartrecruiters,
             location=r.room_or_link),
    Platform(key="successfactors", name="SAP SuccessFactors", id_style="int", api_base=r.SUCCESSFACTORS_API,
             status_words=r.SUCCESSFACTORS_STATUS, records_cancellation=True, list_path="/JobApplicationInterview",
             interview_path=_at("/JobApplicationInterview"), raw_interview=r._successfactors,
             location=r.no_location),
    # No public interview API: Oracle Recruiting Cloud's resource (INFERRED), int64 ids.
    Platform(key="taleo", name="Oracle Taleo", id_style="int",
             api_base="https://fa.oraclecloud.com/hcmRestApi/resources/11.13.18.05", status_words=None,
             records_cancellation=False, list_path="/recruitingCEInterviewScheduleDetails",
             interview_path=_at("/recruitingCEInterviewScheduleDetails"), raw_interview=r._taleo,
             location=r.room_or_link),
    Platform(key="recruitee", name="Recruitee", id_style="int", api_base="https://api.recruitee.com/c/{company_id}",
             status_words=None, records_cancellation=False, list_path="/interview/events",
             interview_path=_at("/interview/events"), raw_interview=r._recruitee, location=r.room_or_link),
    Platform(key="fountain", name="Fountain", id_style="uuid", api_base="https://api.fountain.com/v2",
             status_words=None, records_cancellation=False, list_path="/applicants/{applicant_id}/booked_slots",
             interview_path=lambda w, i: f"/applicants/{w.applications[i.application_id].remote_id}/booked_slots",
             raw_interview=r._fountain, location=lambda i: i.location.city if i.location else i.video_url),
    Platform(key="pinpoint", name="Pinpoint", id_style="int", api_base="https://{subdomain}.pinpointhq.com/api/v1",
             status_words=r.PINPOINT_STATUS, records_cancellation=True, list_path="/interviews",
             interview_path=_at("/interviews"), raw_interview=r._pinpoint, location=r.no_location),
    Platform(key="ceipal", name="Ceipal", id_style="int", api_base="https://api.ceipal.com/v1",  # INFERRED
             status_words=r.CEIPAL_STATUS, records_cancellation=True, list_path="/interviews",
             interview_path=_at("/interviews"), raw_interview=r._ceipal, location=r.room_or_link),
    # 18-digit record ids: the organisation's number, then a running one.
    Platform(key="zoho_recruit", name="Zoho Recruit", id_style="zoho", api_base="https://recruit.zoho.com/recruit/v2",
             status_words=r.ZOHO_STATUS, records_cancellation=True, list_path="/Interviews",
             interview_path=_at("/Interviews"), raw_interview=r._zoho, location=r.room_or_link),
    Platform(key="gem", name="Gem", id_style="uuid", api_base="https://api.gem.com/ats/v0",  # INFERRED
             status_words=None, records_cancellation=False, list_path="/interviews",
             interview_path=_at("/interviews"), raw_interview=r._gem, location=r.room_or_link),
    # Breezy's ids are 12 hex characters (INFERRED from its candidate and position ids).
    Platform(key="breezy_hr", name="Breezy HR", id_style="hex12", api_base="https://api.breezy.hr/v3",
             status_words=None, records_cancellation=False, list_path="/company/{company_id}/meetings",
             interview_path=_at("/company/{company_id}/meetings"), raw_interview=r._breezy, location=r.room_or_link),
    # Kombo's own demo integration, reachable only through Kombo.
    Platform(key="kombo_sandbox", name="Kombo Sandbox", id_style="int", api_base="https://sandbox.kombo.dev",
             status_words=None, records_cancellation=True, list_path="/interviews",
             interview_path=_at("/interviews"), raw_interview=r._kombo_sandbox, location=r.location_text),
)}


def platform(key: str) -> Platform:
    try:
        return PLATFORMS[key]
    except KeyError:
        raise ValueError(f"unknown platform {key!r}; known: {', '.join(sorted(PLATFORMS))}") from None
