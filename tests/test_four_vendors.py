"""One world, four faces: the same interviews read through Merge, Kombo, Truto and Bindbee carry
the same facts, each in its vendor's shape and id style."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from sandbox.vendors.bindbee.ids import world_id as from_bindbee
from sandbox.vendors.kombo.render import world_id as from_kombo
from tests.helpers import (TRUTO_ACCOUNTS, TRUTO_TOKEN, bindbee_headers, kombo_headers, merge_headers, visible,
                           world)


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("world_key", ["acme", "globex", "initech", "umbrella"])
def test_the_same_interviews_through_four_vendors(client, world_key):
    w = world(world_key)
    merge = client.get("/merge/api/ats/v1/interviews", headers=merge_headers(world_key),
                       query_string={"page_size": 50}).json["results"]
    kombo = client.get("/kombo/v1/ats/interviews", headers=kombo_headers(world_key),
                       query_string={"page_size": 50}).json["data"]["results"]
    truto = client.get("/truto/unified/ats/interviews", headers={"Authorization": f"Bearer {TRUTO_TOKEN}"},
                       query_string={"integrated_account_id": TRUTO_ACCOUNTS[world_key], "limit": 50})
    if w.platform in ("lever", "workday"):  # Truto lists no interviews for these (its docs): the world stands in
        assert truto.status_code == 404
        truto = [{"id": i.remote_id, "start_at": m["start_at"], "end_at": m["end_at"],
                  "interviewers": [{"id": w.users[u].remote_id} for u in i.interviewer_ids],
                  "application": {"id": w.applications[i.application_id].remote_id}}
                 for i, m in zip(visible(w), merge)]
    else:
        truto = truto.json["result"]
    bindbee = client.get("/bindbee/api/ats/v1/scheduled-interviews", headers=bindbee_headers(world_key),
                         query_string={"page_size": 50}).json["items"]
    assert len(merge) == len(kombo) == len(truto) == len(bindbee) == 50
    users_by_remote = {u.remote_id: u.id for u in w.users.values()}
    for i, m, k, t, b in zip(visible(w)[:50], merge, kombo, truto, bindbee):
        # one record: four ids that all lead back to it
        assert uuid.UUID(m["id"]).hex == from_kombo(k["id"]) == from_bindbee(b["id"]) == i.id
        assert m["remote_id"] == k["remote_id"] == t["id"] == b["remote_id"] == i.remote_id
        # the same times
        assert instant(m["start_at"]) == instant(k["starting_at"]) == instant(t["start_at"]) \
            == instant(b["start_at"]) == i.start_at
        assert instant(m["end_at"]) == instant(k["ending_at"]) == instant(t["end_at"]) == instant(b["end_at"]) == i.end_at
        # the same people
        assert [uuid.UUID(u).hex for u in m["interviewers"]] == [from_kombo(u["id"]) for u in k["users"]] \
            == [users_by_remote[u["id"]] for u in t["interviewers"]] == [from_bindbee(u) for u in b["interviewers"]] \
            == list(i.interviewer_ids)
        # the same application
        app = w.applications[i.application_id]
        assert uuid.UUID(m["application"]).hex == from_kombo(k["application_id"]) == from_bindbee(b["application"]) \
            == app.id and t["application"] == {"id": app.remote_id}
        # the same place, where each vendor shows one
        if i.location is not None:
            assert k["location"]["raw"] == i.location.text()
        assert b["location"] == t.get("location", b["location"])
        if m["location"] is not None:
            assert m["location"] == b["location"]
