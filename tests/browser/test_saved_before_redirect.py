"""A form's change must be in the store before the console answers with its redirect.

The request's unit of work (``pasar.api.access.session``, a dependency with ``yield``) was
once committed after the response had been sent, so a browser following the 303 at once read
the store before the form's change (about one time in ten: a sign-in bounced to ``/login``, a
decided appeal still "submitted"), and a commit failing then could not change the answer.

This test sees it without timing luck: it reads the store at the moment the answer to
``POST /language`` starts. The dependencies are declared ``Depends(..., scope="function")``
so the unit of work commits before the answer.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.types import Message, Receive, Scope, Send

from pasar.api.app import create_app
from pasar.auth.models import User
from pasar.auth.service import create_user
from tests.browser.conftest import PASSWORD, Console

pytestmark = pytest.mark.xdist_group("browser")


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found is not None
    return found[1]


def test_a_form_is_saved_before_its_redirect_is_sent(console: Console) -> None:
    with console.db.unit_of_work() as unit:
        create_user(unit, "lena", "Lena", "governance_reviewer", PASSWORD)
    app = create_app(console.settings)
    stored_when_answered: list[str | None] = []

    async def spy(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/language":
                with console.db.unit_of_work() as unit:
                    stored_when_answered.append(
                        unit.scalar(select(User.language).where(User.username == "lena"))
                    )
            await send(message)

        await app(scope, receive, sending)

    with TestClient(spy, follow_redirects=False) as client:
        token = _csrf(client.get("/login").text)
        form = {"username": "lena", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 303
        csrf = _csrf(client.get("/appeals").text)
        answer = client.post(
            "/language", data={"language": "id", "back": "/appeals", "csrf_token": csrf}
        )
        assert answer.status_code == 303
    with console.db.unit_of_work() as unit:
        saved = unit.scalar(select(User.language).where(User.username == "lena"))
    assert saved == "id"  # it is saved in the end …
    assert stored_when_answered == ["id"]  # … but was it before the browser was told?
