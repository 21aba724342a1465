"""The pytest plugin (entry point `pytest11`): an `ats_sandbox` fixture, for the whole session.

In-process by default: the real app on an ephemeral loopback port, in a thread, with its own data
directory. With `--ats-sandbox-url URL` (or ATS_SANDBOX_URL) the same tests run against a server
started elsewhere, a CI service container say; ATS_SANDBOX_ADMIN_TOKEN (or the server's own
SANDBOX_ADMIN_TOKEN) unlocks its control plane.
The fixture is a `sandbox.client.Sandbox`: every helper is a control-plane call, so both ways behave alike.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace

import pytest

from sandbox.client import Sandbox


def pytest_addoption(parser):
    group = parser.getgroup("ats-sandbox")
    group.addoption("--ats-sandbox-url", default=os.environ.get("ATS_SANDBOX_URL") or None,
                    help="run against the sandbox at this URL instead of an in-process one (ATS_SANDBOX_URL)")
    group.addoption("--ats-sandbox-fixtures", default=os.environ.get("ATS_SANDBOX_FIXTURES") or None,
                    help="the fixtures directory of the in-process sandbox (default: the packaged fixtures)")


@pytest.fixture(scope="session")
def ats_sandbox(request, tmp_path_factory):
    """A running sandbox: `base_url(vendor)`, `credentials(vendor, world=...)`, `reset()`, `clock`,
    `simulate(world, ...)`, `fault(...)`, `requests()`, `webhooks`."""
    url = request.config.getoption("ats_sandbox_url")
    if url:
        # the server's own name for its token too, so one variable can serve both in a CI job
        token = os.environ.get("ATS_SANDBOX_ADMIN_TOKEN") or os.environ.get("SANDBOX_ADMIN_TOKEN") or None
        sandbox = Sandbox(url, admin_token=token)
        sandbox.wait_until_healthy(timeout=30)
        yield sandbox
        return
    server, settings = _serve_in_thread(tmp_path_factory.mktemp("ats-sandbox"),
                                        request.config.getoption("ats_sandbox_fixtures"))
    try:
        yield Sandbox(f"http://127.0.0.1:{server.server_port}", admin_token=settings.admin_token)
    finally:
        server.shutdown()
        server.server_close()


def _serve_in_thread(data_dir, fixtures):
    from werkzeug.serving import WSGIRequestHandler, make_server

    from sandbox.app import create_app
    from sandbox.settings import Settings

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args):  # the journal has every request; the test's log stays the user's
            pass

    # its own store in its own directory, whatever SANDBOX_STORE says; the rest from the environment
    settings = replace(Settings.from_env(host="127.0.0.1", port=0, data_dir=data_dir, fixtures=fixtures), store=None)
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, name="ats-sandbox", daemon=True).start()
    return server, settings
