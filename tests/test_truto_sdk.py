"""Truto's official SDK (truto-python-sdk, Python 3.12 and newer) against a real gunicorn server.
The suite builds a Python 3.12 environment for it in `.venv-truto` (once; kept between runs)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

import pytest

from tests.helpers import ROOT, TRUTO_ACCOUNTS, TRUTO_TOKEN, visible, world

SDK = "truto-python-sdk==0.1.6"
VENV = ROOT / ".venv-truto"


def python312() -> str:
    """A Python 3.12 interpreter: on PATH, or where pyenv keeps it."""
    candidates = [shutil.which("python3.12"), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12"))),
                  *sorted(glob.glob("/usr/bin/python3.1[2-9]")), *sorted(glob.glob("/usr/local/bin/python3.1[2-9]"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                          capture_output=True).returncode == 0:
            return candidate
    raise RuntimeError("no Python 3.12 or newer found; truto-python-sdk needs one")


@pytest.fixture(scope="session")
def truto_python() -> str:
    stamp = VENV / f".installed-{SDK}"
    if not stamp.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([python312(), "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", SDK], check=True)
        stamp.touch()
    return str(VENV / "bin" / "python")


def test_truto_sdk_lists_every_interview_page_by_page_and_gets_each(truto_python, server):
    out = subprocess.run([truto_python, str(ROOT / "tests" / "truto_sdk_client.py"), f"{server.url}/truto", TRUTO_TOKEN,
                          *TRUTO_ACCOUNTS.values()], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    for key, account in TRUTO_ACCOUNTS.items():
        live = visible(world(key))
        listed, got = seen[account]["listed"], seen[account]["got"]
        created = [i["id"] for i in listed[len(live):]]  # interviews other tests wrote through this server
        assert [i["id"] for i in listed[:len(live)]] == [i.remote_id for i in live]
        assert len({i["id"] for i in listed}) == len(listed)
        assert seen[account]["pages"] == -(-len(listed) // 50)
        assert got == listed  # get returns the object itself, the same as listed
        assert seen[account]["to_array"] == [i["id"] for i in listed]
        if key != "acme":
            assert created == []
