"""Settings come from PASAR_* variables with embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pasar.config import Settings


def test_defaults_are_indonesian_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOME", "DATABASE_URL", "TIMEZONE", "CURRENCY", "LOCALE"):
        monkeypatch.delenv(f"PASAR_{name}", raising=False)
    settings = Settings()
    assert settings.home == Path(".pasar")
    assert settings.timezone == "Asia/Jakarta" and settings.currency == "IDR"
    assert settings.locale == "en"
    assert settings.database_url == f"sqlite:///{Path('.pasar/pasar.db').resolve()}"
    assert settings.warehouse_dir == Path(".pasar/warehouse")


def test_environment_overrides_every_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PASAR_HOME", str(tmp_path))
    monkeypatch.setenv("PASAR_TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("PASAR_CURRENCY", "myr")
    monkeypatch.setenv("PASAR_LOCALE", "id")
    monkeypatch.setenv("PASAR_DATABASE_URL", "postgresql+psycopg://u@db/pasar")
    settings = Settings()
    assert settings.home == tmp_path
    assert (settings.timezone, settings.currency, settings.locale) == ("Asia/Makassar", "MYR", "id")
    assert settings.database_url == "postgresql+psycopg://u@db/pasar"
    assert settings.zone.key == "Asia/Makassar"


def test_sqlite_store_follows_pasar_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PASAR_HOME", str(tmp_path))
    monkeypatch.delenv("PASAR_DATABASE_URL", raising=False)
    assert Settings().database_url == f"sqlite:///{tmp_path / 'pasar.db'}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PASAR_TIMEZONE", "Asia/Atlantis", "Asia/Atlantis"),
        ("PASAR_CURRENCY", "RUPIAH", "3-letter"),
        ("PASAR_LOCALE", "fr", "locale"),
    ],
)
def test_bad_settings_are_refused_with_the_field(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()
