"""Schemathesis walks every operation of the OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlmodel import Session

from facility.core.models import Role
from facility.demo.load import load_demo_campus
from tests.factories import make_user, token_headers

EXAMPLES_PER_OPERATION = 12


def test_no_server_errors(app: FastAPI, session: Session) -> None:
    load_demo_campus(session)
    session.commit()
    with TestClient(app) as client:
        headers = token_headers(client, make_user(session, role=Role.manager))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        checked += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        call()
    assert checked >= 8
    assert failures == []
