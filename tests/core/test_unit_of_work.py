"""The request's unit of work commits before the client hears of it.

A client told "201 Created" or redirected to the new page must find what it created; and a commit
that fails must fail the request, not vanish after a success was sent."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from facility.core.models import Organization


class ResponseStartProbe:
    """ASGI wrapper: when the response starts, count the organisations another connection sees."""

    def __init__(self, app: FastAPI, engine: Engine) -> None:
        self.app, self.engine, self.seen = app, engine, []  # type: ignore[var-annotated]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def probing_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["type"] == "http":
                with Session(self.engine) as other:
                    self.seen.append(other.exec(select(func.count()).select_from(Organization)).one())
            await send(message)

        await self.app(scope, receive, probing_send)


def test_a_created_row_is_committed_when_the_response_starts(app: FastAPI, engine: Engine) -> None:
    probe = ResponseStartProbe(app, engine)
    with TestClient(probe) as client:  # type: ignore[arg-type]
        body = {
            "email": "probe@example.kr",
            "password": "long-enough-pw",
            "full_name": "김확인",
            "org_name": "커밋확인모임",
            "org_kind": "education",
            "accept_terms": True,
            "accept_privacy": True,
        }
        assert client.post("/api/v1/signup", json=body).status_code == 202
    assert probe.seen == [1]
