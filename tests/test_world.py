"""The generated world: references hold, the spread is realistic, the seed decides everything."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from sandbox import fixtures
from sandbox.vendors import load_fixtures
from sandbox.settings import DEFAULT_FIXTURES
from sandbox.world.generate import WorldSpec, generate
from sandbox.world.model import utc
from tests.helpers import world

KEYS = tuple(w.key for w in load_fixtures(DEFAULT_FIXTURES).worlds)  # one on each platform
EPOCH = utc("2026-11-01T09:00:00Z")


def test_default_fixtures_have_a_world_on_every_platform_four_large_and_the_others_smaller():
    f = load_fixtures(DEFAULT_FIXTURES)
    assert [w.platform for w in f.worlds] == [
        "greenhouse", "lever", "ashby", "workday", "smartrecruiters", "successfactors", "taleo", "recruitee",
        "fountain", "pinpoint", "ceipal", "zoho_recruit", "gem", "breezy_hr", "kombo_sandbox"]
    for spec in f.worlds:
        low, high = (200, 300) if spec.platform in ("greenhouse", "lever", "ashby", "workday") else (60, 120)
        assert low <= spec.interviews <= high and low <= len(world(spec.key).interviews) <= high + 1, spec.key


@pytest.mark.parametrize("key", KEYS)
def test_references_hold(key):
    w = world(key)
    for i in w.interviews.values():
        app = w.applications[i.application_id]
        assert app.candidate_id in w.candidates and app.job_id in w.jobs
        if not i.shell:
            assert w.stages[i.stage_id].job_id == app.job_id  # the stage belongs to the application's job
            assert i.organizer_id in w.users
            assert i.interviewer_ids and all(u in w.users for u in i.interviewer_ids)
            assert i.start_at < i.end_at
        assert i.remote_created_at <= i.remote_updated_at
        assert i.created_at <= i.modified_at
    assert len({i.created_at for i in w.interviews.values()}) == len(w.interviews)  # keyset order is total
    assert len({i.remote_id for i in w.interviews.values()}) == len(w.interviews)


@pytest.mark.parametrize("key", KEYS)
def test_realistic_spread(key):
    w = world(key)
    live = [i for i in w.interviews.values() if not i.shell]
    statuses = Counter(i.status for i in live)
    assert set(statuses) == {"scheduled", "awaiting_feedback", "complete", "cancelled"}
    assert any(i.start_at > EPOCH for i in live) and any(i.start_at < EPOCH for i in live)
    assert any(i.location is not None for i in live) and any(i.video_url for i in live)
    assert any(i.deleted for i in w.interviews.values())
    assert any(i.shell for i in w.interviews.values())
    assert all(i.start_at > EPOCH for i in live if i.status == "scheduled")
    assert all(i.end_at < EPOCH for i in live if i.status in ("complete", "awaiting_feedback"))


def test_same_seed_same_world_other_seed_other_world():
    spec = WorldSpec("w", "Acme Robotics", "greenhouse", 1, 50)
    assert generate(spec, "7", EPOCH) == generate(spec, "7", EPOCH)
    assert generate(spec, "7", EPOCH).interviews != generate(spec, "8", EPOCH).interviews


def test_pinned_records_are_merged_with_their_ids():
    w = world("acme")
    ada = next(u for u in w.users.values() if u.email == "ada.lovelace@acme-robotics.example")
    pinned = w.interviews["0b4f6a435d0e4c1e9a573c0e8d1b2a01"]
    app = w.applications[pinned.application_id]
    assert w.candidates[app.candidate_id].email == "grace.hopper@example.com"
    assert w.jobs[app.job_id].title == "Staff Robotics Engineer"
    assert w.stages[pinned.stage_id].name == "Onsite Interview"
    assert pinned.organizer_id == ada.id and pinned.interviewer_ids == (ada.id,)
    assert pinned.remote_id == "90000001" and pinned.status == "scheduled"
    assert pinned.start_at == utc("2026-11-03T17:00:00Z") and pinned.location.city == "San Francisco"


def test_bad_fixtures_are_reported(tmp_path):
    (tmp_path / "sandbox.toml").write_text('[[worlds]]\nkey = "x"\ncompany = "X"\nplatform = "bamboo"\ninterviews = 1\n')
    with pytest.raises(fixtures.FixtureError, match="unknown platform 'bamboo'"):
        load_fixtures(tmp_path)
    with pytest.raises(fixtures.FixtureError, match="no such file"):
        load_fixtures(tmp_path / "missing")


@pytest.mark.parametrize("vendor, fields, plan, error", [
    ("merge", 'api_key = "k"\naccount_token = "t"\n', '"platinum"',
     "credential merge:t: merge has no plan 'platinum' (its plans: launch, professional, enterprise)"),
    ("kombo", 'api_key = "k"\nintegration_id = "ashby:x"\n', '"launch"',
     "credential kombo:ashby:x: kombo has no plan 'launch' (its plans: none)"),
    ("merge", 'api_key = "k"\naccount_token = "t"\n', "3", "a credential's plan is a name"),
])
def test_a_plan_the_vendor_does_not_have_is_refused_at_start(tmp_path, vendor, fields, plan, error):
    from sandbox.app import create_app
    from sandbox.settings import Settings

    (tmp_path / "sandbox.toml").write_text('[[worlds]]\nkey = "x"\ncompany = "X"\nplatform = "lever"\ninterviews = 1\n'
                                           f'[[credentials]]\nvendor = "{vendor}"\nworld = "x"\n{fields}plan = {plan}\n')
    with pytest.raises(fixtures.FixtureError, match=error.replace("(", r"\(").replace(")", r"\)")):
        create_app(Settings(fixtures=tmp_path, data_dir=tmp_path / "data"))


def test_the_shipped_name_pools_are_the_pinned_fakers_own():
    from importlib.metadata import version

    from sandbox.world.generate import POOLS, faker_pools, pools

    shipped = json.loads(POOLS.read_text())
    assert shipped["faker"] == version("faker")  # pyproject pins the release the file was made with
    assert {k: tuple(v) for k, v in shipped["pools"].items()} == faker_pools() == pools()


@pytest.mark.parametrize("count, visible_at_least", [(0, 0), (1, 1), (2, 1), (3, 1), (4, 1), (12, 8)])
def test_a_tiny_world_generates_and_keeps_an_interview_whole(count, visible_at_least):
    w = generate(WorldSpec("w", "Acme Robotics", "greenhouse", 1, count), "s", EPOCH)
    assert len(w.interviews) == count
    assert sum(1 for i in w.interviews.values() if not i.deleted and not i.shell) >= visible_at_least
