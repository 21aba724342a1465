"""Rules the suite keeps about itself: a test waits for a condition with the one generous bound
(`helpers.PATIENCE`), never with a deadline or an HTTP timeout of its own, so a loaded machine makes
it slower, not red. (The hard-input and server tests bound time on purpose: what they assert is a
server's own deadline.)"""

from __future__ import annotations

import ast
from pathlib import Path

from playwright.sync_api import expect

from tests.helpers import PATIENCE

TESTS = Path(__file__).parent
ON_PURPOSE = {"test_hard_inputs.py", "test_server.py"}
WAITERS = {"helpers.py", "postgres.py"}  # where `wait_for` and the servers' start-up waits live


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            yield node


def test_no_test_sets_a_deadline_of_its_own():
    found = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in WAITERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Call) \
                    and ast.unparse(node.left.func) == "time.monotonic":
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_no_request_waits_less_than_the_suites_patience():
    short = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in ON_PURPOSE | WAITERS:
            continue
        for call in _calls(path):
            for keyword in call.keywords:
                if keyword.arg == "timeout" and isinstance(keyword.value, ast.Constant) and keyword.value.value < PATIENCE:
                    short.append(f"{path.name}:{call.lineno} {ast.unparse(call)[:80]}")
    assert short == []


def test_the_browser_tests_wait_as_long_as_the_work_they_started():
    import tests.test_dashboard  # noqa: F401 - it sets the bound for every `expect` when imported

    assert expect._timeout == PATIENCE * 1000
