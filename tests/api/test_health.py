"""``/api/health``: a load balancer's liveness probe answers without a token or a database."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from pasar import __version__
from pasar.api.app import create_app
from pasar.config import Settings


def test_health_answers_without_sign_in_or_database(tmp_path: Path) -> None:
    # a store that does not exist: the probe must not touch it
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
    assert not (tmp_path / "missing" / "x.db").exists()


def test_a_database_that_does_not_answer_is_503_and_said_in_words(tmp_path: Path) -> None:
    # a closed port: every connection attempt is refused at once
    down = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    with TestClient(create_app(Settings(home=tmp_path, database_url=down))) as client:
        api = client.get("/api/v1/sellers/S1", headers={"Authorization": "Bearer pasar_x"})
        client.cookies.set("pasar_session", "a-cookie")
        page = client.get("/sellers/S1")
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.json()["error"]["code"] == "unavailable"
    assert "database is not answering" in api.json()["error"]["message"]
    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "Try again in a moment" in page.text and "Traceback" not in page.text
