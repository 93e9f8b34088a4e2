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
