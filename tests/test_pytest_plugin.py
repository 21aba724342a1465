"""The pytest plugin as a user's project meets it: a test file of theirs run through pytester, against
the in-process sandbox and against a server started on its own (`--ats-sandbox-url`)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import NO_LIMIT, ROOT, Server

pytest_plugins = ["pytester"]

# What a user writes: Merge's SDK lists interviews, a simulated change upstream shows through it, and
# the journal holds what the SDK sent.
USER_TESTS = '''
import uuid

from merge import Merge


def merge_client(ats_sandbox, world="acme"):
    creds = ats_sandbox.credentials("merge", world=world)
    return Merge(base_url=ats_sandbox.base_url("merge"), api_key=creds["headers"]["Authorization"].split()[1],
                 account_token=creds["headers"]["X-Account-Token"])


def test_lists_simulates_and_reads_the_journal(ats_sandbox):
    ats_sandbox.reset()
    interviews = merge_client(ats_sandbox).ats.interviews
    page = interviews.list(page_size=5)
    assert len(page.results) == 5 and page.next

    changes = ats_sandbox.simulate("acme", created=1)["changes"]
    assert [c["change"] for c in changes] == ["created"]
    created = interviews.retrieve(id=str(uuid.UUID(hex=changes[0]["id"])))
    assert created.id == str(uuid.UUID(hex=changes[0]["id"]))

    journal = ats_sandbox.requests(vendor="merge")
    assert [(e["method"], e["path"], e["status"]) for e in journal] == [
        ("GET", "/merge/api/ats/v1/interviews/" + created.id, 200),
        ("GET", "/merge/api/ats/v1/interviews", 200),
    ]
    assert journal[1]["query"] == {"page_size": "5"}


def test_the_clock_faults_and_webhooks_are_steered_from_the_fixture(ats_sandbox):
    ats_sandbox.reset()
    ats_sandbox.clock.set("2026-12-01T09:00:00Z", frozen=True)
    assert ats_sandbox.clock.now() == "2026-12-01T09:00:00Z"
    assert ats_sandbox.clock.advance("PT2H")["now"] == "2026-12-01T11:00:00Z"

    # one 503: the SDK retries it, as it would Merge's own
    ats_sandbox.fault(vendor="merge", path="/ats/v1/interviews", status=503, times=1)
    assert len(merge_client(ats_sandbox).ats.interviews.list(page_size=1).results) == 1
    assert [e["status"] for e in ats_sandbox.requests(vendor="merge")] == [200, 503]

    creds = ats_sandbox.credentials("merge")
    receiver = ats_sandbox.webhooks.receiver("merge", credential=creds["id"])
    ats_sandbox.webhooks.fire("merge", creds["id"], "ScheduledInterview.added")
    (hook,) = receiver.wait(1)
    assert hook["body"]["hook"]["event"] == "ScheduledInterview.added"
    assert "X-Merge-Webhook-Signature" in hook["headers"]
    assert [d["event"] for d in ats_sandbox.webhooks.deliveries()] == ["ScheduledInterview.added"]
    ats_sandbox.reset()
'''

# the server a run steered is the one it was pointed at
WHERE = """
def test_the_sandbox_is_the_external_server(ats_sandbox):
    assert ats_sandbox.url == %r
    assert ats_sandbox.base_url("kombo") == ats_sandbox.url + "/kombo/v1"
"""


def test_a_users_tests_pass_against_the_in_process_sandbox(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("plugin") / "data", workers=2, rate_limit=NO_LIMIT)
    yield srv
    srv.stop()


def test_the_same_tests_pass_against_a_server_started_on_its_own(pytester, external):
    pytester.makepyfile(test_user=USER_TESTS, test_where=WHERE % external.url)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ats-sandbox-url={external.url}")
    result.assert_outcomes(passed=3)


def test_the_url_can_come_from_the_environment(pytester, external, monkeypatch):
    pytester.makepyfile(test_where=WHERE % external.url)
    monkeypatch.setenv("ATS_SANDBOX_URL", external.url)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.fixture(scope="module")
def locked_external(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("plugin-locked") / "data", workers=1, rate_limit=NO_LIMIT,
                 admin_token="external-token")
    yield srv
    srv.stop()


@pytest.mark.parametrize("variable", ["ATS_SANDBOX_ADMIN_TOKEN", "SANDBOX_ADMIN_TOKEN"])
def test_a_locked_server_is_unlocked_by_the_plugins_or_the_servers_token_variable(pytester, locked_external,
                                                                                   monkeypatch, variable):
    monkeypatch.delenv("ATS_SANDBOX_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("SANDBOX_ADMIN_TOKEN", raising=False)
    monkeypatch.setenv(variable, "external-token")
    pytester.makepyfile(test_locked="""
def test_locked(ats_sandbox):
    assert ats_sandbox.admin_token == "external-token"
    assert ats_sandbox.accounts()[0]["vendor"] == "merge"
""")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ats-sandbox-url={locked_external.url}") \
        .assert_outcomes(passed=1)


def test_the_fixtures_option_picks_the_in_process_sandboxs_fixtures(pytester):
    fx = pytester.mkdir("fx")
    (fx / "sandbox.toml").write_text('[sandbox]\nseed = 7\nepoch = "2026-11-01T09:00:00Z"\n\n'
                                     '[[worlds]]\nkey = "solo"\ncompany = "Solo Ltd"\nplatform = "lever"\nseed = 1\n'
                                     'interviews = 3\n\n[[credentials]]\nvendor = "kombo"\nworld = "solo"\n'
                                     'api_key = "solo-key"\nintegration_id = "solo-integration"\n')
    pytester.makepyfile(test_fx='''
def test_one_world(ats_sandbox):
    assert ats_sandbox.health()["worlds"] == 1
    creds = ats_sandbox.credentials("kombo", world="solo")
    assert creds["headers"] == {"Authorization": "Bearer solo-key", "X-Integration-Id": "solo-integration"}
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ats-sandbox-fixtures={fx}").assert_outcomes(passed=1)


def test_the_readmes_example_passes_as_written(pytester):
    section = (ROOT / "README.md").read_text().split("## In pytest\n", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.S)
    pytester.makepyfile(test_readme=example)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_in_process_sandbox_keeps_its_own_store_and_unlocks_the_token_it_was_given(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("SANDBOX_ADMIN_TOKEN", "plugin-token")
    monkeypatch.setenv("SANDBOX_STORE", f"sqlite:///{tmp_path}/shared.sqlite3")
    pytester.makepyfile(test_locked="""
def test_locked(ats_sandbox):
    assert ats_sandbox.admin_token == "plugin-token"
    assert ats_sandbox.accounts()[0]["vendor"] == "merge"
    assert ats_sandbox.clock.now()
""")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert not (tmp_path / "shared.sqlite3").exists()
