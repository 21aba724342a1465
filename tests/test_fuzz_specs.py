"""Schemathesis against each vendor's own OpenAPI file (Merge, Kombo, Bindbee; Truto publishes none),
restricted to the operations the sandbox serves, with valid credentials put in every generated request:
no 5xx, and every documented answer valid against the spec as the test's spec readings (`_as_meant` in
helpers.py) read it. `make test` tries a few examples per operation; `make fuzz` many
(`SANDBOX_FUZZ_EXAMPLES`)."""

from __future__ import annotations

import glob
import json
import os
import re

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sandbox.vendors import registry
from tests.helpers import PATIENCE, NO_LIMIT, SPECS, Server, _as_meant, credential

EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "15"))
MOUNTS = {"merge": "/merge/api", "kombo": "/kombo/v1", "bindbee": "/bindbee"}


def _served_rules() -> dict[str, list[tuple[re.Pattern, set]]]:
    """Per vendor, the paths the sandbox serves (as patterns of spec paths) and their methods."""
    vendors = registry()
    return {v: [(re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", e.path) + "$"), set(e.methods))
                for e in vendors[v].endpoints] for v in MOUNTS}


RULES = _served_rules()


def served(vendor: str):
    def matches(ctx) -> bool:
        concrete = re.sub(r"\{[^}]+\}", "x", ctx.operation.path)
        return any(p.match(concrete) and ctx.operation.method.upper() in methods for p, methods in RULES[vendor])

    return matches


def _load(path) -> dict:
    text = open(path).read()
    doc = json.loads(text) if str(path).endswith(".json") else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return _as_meant(doc, doc["openapi"][:3])


def _bindbee() -> dict:
    """Bindbee's six files, as one."""
    merged = None
    for path in sorted(glob.glob(str(SPECS / "bindbee" / "*.yml"))):
        doc = _load(path)
        if merged is None:
            merged = doc
        else:
            merged["paths"].update(doc["paths"])
            merged.setdefault("components", {}).setdefault("schemas", {}).update(doc.get("components", {}).get("schemas", {}))
    return merged


def _schema(vendor: str, raw: dict):
    schema = schemathesis.openapi.from_dict(raw).include(served(vendor))
    # The coverage phase's boundary values run to tens of thousands of requests for Merge's create alone:
    # `make fuzz` has them, `make test` the examples and the random ones.
    schema.config.phases.coverage.enabled = os.environ.get("SANDBOX_FUZZ_COVERAGE") == "1"
    return schema


SCHEMAS = {"merge": _schema("merge", _load(SPECS / "merge" / "ats_v3.yml")),
           "kombo": _schema("kombo", _load(SPECS / "kombo" / "kombo-openapi.json")),
           "bindbee": _schema("bindbee", _bindbee())}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("fuzz") / "data", workers=2, rate_limit=NO_LIMIT)
    yield server
    server.stop()


def call(vendor: str, case, srv):
    sent = credential(vendor)
    case.headers = {**(case.headers or {}), **sent["headers"]}
    response = case.call(base_url=f"{srv.url}{MOUNTS[vendor]}", timeout=PATIENCE)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


@SCHEMAS["merge"].parametrize()
@FUZZ
def test_merges_spec(case, srv):
    call("merge", case, srv)


@SCHEMAS["kombo"].parametrize()
@FUZZ
def test_kombos_spec(case, srv):
    call("kombo", case, srv)


@SCHEMAS["bindbee"].parametrize()
@FUZZ
def test_bindbees_spec(case, srv):
    call("bindbee", case, srv)


def test_the_fuzzed_operations_are_the_ones_the_sandbox_serves():
    counts = {v: len(list(s.get_all_operations())) for v, s in SCHEMAS.items()}
    assert counts["merge"] >= 17 and counts["kombo"] >= 9 and counts["bindbee"] == 12, counts
