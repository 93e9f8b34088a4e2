"""Property tests of the API against its own OpenAPI schema, on SQLite and PostgreSQL.

Schemathesis generates requests for every ``/api/v1`` operation (valid and invalid ones: its
coverage phase, then 10 random examples — ``PASAR_SCHEMA_EXAMPLES=100`` for a deeper run) and
sends them to the app in process, signed in as an
admin (every scope) and then as seller S1 (confined to its shop). Every answer must be no 5xx,
a documented status and content type, and a body matching the documented schema, errors
included. The store is seeded once per backend like ``test_access``: a violation, a waiting
appeal and an action waiting for review for each of sellers S1 and S2.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from pasar import migrations
from pasar.api.app import PREFIX, create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.governance import appeals
from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from tests.api.test_access import DAY, EVIDENCE, PASSWORD, _findings
from tests.conftest import BACKENDS, empty_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Seeded:
    app: FastAPI
    tokens: dict[str, str]  # "admin" (every scope) and "seller" (S1 only)


@pytest.fixture(scope="module", params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for the module on each backend, like conftest's ``database_url`` (which
    is per test: seeding once per module keeps the many generated calls cheap)."""
    with empty_database(request.param, tmp_path_factory.mktemp("schema")) as url:
        yield url


@pytest.fixture(scope="module")
def seeded(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Violations, appeals and pending actions of sellers S1 and S2, an admin and a seller."""
    migrations.upgrade(store_url)
    database = Database(store_url)
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    tokens: dict[str, str] = {}
    with database.unit_of_work() as session:
        for seller in ("S1", "S2"):
            apply_day(session, scheme, DAY, _findings(seller), {}, DayReport(DAY, "", ""))
        admin = create_user(session, "admin", "Admin", "admin", PASSWORD)
        tokens["admin"] = issue_token(session, admin, "test", sorted(ROLES["admin"]))[1]
        seller = create_user(session, "seller", "Seller", "seller", PASSWORD, seller_id="S1")
        tokens["seller"] = issue_token(session, seller, "test", sorted(ROLES["seller"]))[1]
    with database.unit_of_work() as session:
        for entry in session.scalars(select(PointsEntry)):
            appeals.submit(
                session, scheme, entry.id, "logistics_provider", EVIDENCE, "why", DAY, "t"
            )
            action = EnforcementAction(
                dedupe_key=f"test:{entry.seller_id}", seller_id=entry.seller_id,
                action="permanent_suspension", source="ladder", step_at=48, scheme=scheme.ref,
                starts_on=DAY, status="pending_review",
            )  # fmt: skip
            session.add(action)
    database.dispose()
    app = create_app(Settings(home=tmp_path_factory.mktemp("home"), database_url=store_url))
    yield Seeded(app, tokens)
    app.state.db.dispose()


@pytest.fixture(scope="module", params=["admin", "seller"])
def token(request: pytest.FixtureRequest, seeded: Seeded) -> str:
    return seeded.tokens[request.param]


# The OpenAPI document does not depend on the store, so it is read at collection from an app
# that never opens its database; every generated call goes to the seeded app (``app=``).
# (``schemathesis.pytest.from_fixture`` would load it from a fixture, but schemathesis 4.32
# sets ``request.node._nodeid``, which pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_asgi(
    "/api/openapi.json", create_app(Settings(database_url="sqlite://"))
)

# Random ids and words rarely name a seeded row or a valid decision, so the hooks below offer
# seeded values too: the fuzzer then also reaches standings, decisions and new appeals.
IDS = st.integers(1, 3)  # rows 1 and 2 of each table are seeded; 3 may be added by the run
KNOWN = {
    "seller_id": st.sampled_from(["S1", "S2"]),
    "violation_id": IDS,
    "appeal_id": IDS,
    "action_id": IDS,
}
NEW_APPEAL = {
    "violation_id": IDS,
    "reason": st.just("logistics_provider"),
    "evidence": st.just(EVIDENCE),
    "statement": st.just("the courier did not come"),
}
DECISIONS = {"appeals": ["accept", "reject"], "actions": ["approve", "reject"]}


def _or(values: Any, overrides: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``values`` as generated, or with ``overrides`` drawn in."""
    if not isinstance(values, dict) or not overrides:
        return st.just(values)
    drawn = {name: st.just(value) for name, value in values.items()} | overrides
    return st.one_of(st.just(values), st.fixed_dictionaries(drawn))


def _known(values: Any) -> dict[str, st.SearchStrategy[Any]]:
    return {name: KNOWN[name] for name in values or {} if name in KNOWN}


@schema.hook
def flatmap_path_parameters(_context: schemathesis.HookContext, path_parameters: Any) -> Any:
    return _or(path_parameters, _known(path_parameters))


@schema.hook
def flatmap_query(_context: schemathesis.HookContext, query: Any) -> Any:
    return _or(query, _known(query))


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    path = context.operation.path if context.operation else ""
    if path == f"{PREFIX}/appeals":
        return _or(body, NEW_APPEAL)
    kind = path.split("/")[3] if path.endswith("/decision") else ""  # /api/v1/<kind>/{id}/decision
    if kind in DECISIONS:
        decision = {"decision": st.sampled_from(DECISIONS[kind]), "reason": st.just("checked")}
        return _or(body, {**decision, "version": st.none()})
    return st.just(body)


EXAMPLES = int(os.environ.get("PASAR_SCHEMA_EXAMPLES", "10"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@schema.parametrize()
def test_api_conforms_to_its_schema(case: schemathesis.Case, seeded: Seeded, token: str) -> None:
    case.call_and_validate(
        app=seeded.app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )
