"""A small generated marketplace whose tickets the readiness tests read, with the raw tickets
loaded by pandas for independent checks.

Makassar is made an excellent center (answers in minutes, resolves in half an hour), so the
shipped gates can pass for it while the other centers fail them — which center passes is
still decided by the pandas computation in each test, never assumed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd  # type: ignore[import-untyped]
import pyarrow.parquet as pq
import pytest
from argon2 import PasswordHasher

from pasar import migrations
from pasar.auth import service as auth_service
from pasar.config import Settings
from pasar.kit.db import Database
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import Profile, load_profile
from tests.conftest import BACKENDS, empty_database

ZONE = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 10, 8)  # the day the tests check (the data ends 2026-10-09)


@dataclass
class Market:
    settings: Settings
    tickets: pd.DataFrame
    orders: pd.DataFrame


def profile() -> Profile:
    data = load_profile("small").model_dump()
    data.update(name="readiness-test", days=70, start_date=dt.date(2026, 8, 1))
    centers = data["tickets"]["centers"]
    for center in centers:
        if center["name"] == "Makassar":
            center.update(share=0.3, first_response_minutes_median=2, resolution_hours_median=0.5)
    return Profile.model_validate(data)


@pytest.fixture(scope="session")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    root = tmp_path_factory.mktemp("readiness-market")
    generate(profile(), root / "synth")
    settings = Settings(home=root / "home")
    assert ingest(IngestRequest([root / "synth"], source="generic"), settings).status == "committed"
    tickets = pq.read_table(root / "synth" / "tickets.parquet").to_pandas()
    orders = pq.read_table(root / "synth" / "orders.parquet", columns=["created_at"]).to_pandas()
    yield Market(settings, tickets, orders)


def midnight(day: dt.date) -> pd.Timestamp:
    """The UTC instant local ``day`` begins."""
    return pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=ZONE)).tz_convert("UTC")


def window(
    frame: pd.DataFrame, day: dt.date, days: int | None, column: str = "created_at"
) -> pd.DataFrame:
    """The rows timed in the ``days`` local days up to ``day`` (all history when None)."""
    keep = frame[column] < midnight(day + dt.timedelta(days=1))
    if days is not None:
        keep &= frame[column] >= midnight(day - dt.timedelta(days=days - 1))
    return frame[keep]


def hours(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 3600


def center_metrics(tickets: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The service metrics the gates read, per center, computed with pandas from the raw
    tickets: CSAT over 30 days and first-response p90 over 7 days (None below 10 contacts),
    contacts in 7 days and the backlog at the end of the day."""
    end = midnight(day + dt.timedelta(days=1))
    week = window(tickets, day, 7)
    month = window(tickets, day, 30)
    rows = {}
    for center in sorted(tickets["center"].unique()):
        rated = month[(month["center"] == center) & month["csat"].notna()]["csat"].astype(float)
        answered = week[(week["center"] == center) & week["first_response_at"].notna()]
        waits = hours(answered["created_at"], answered["first_response_at"])
        opened = window(tickets, day, None)
        mine = opened[opened["center"] == center]
        rows[center] = {
            "csat_mean_30d": rated.mean() if len(rated) >= 10 else None,
            "first_response_hours_p90_7d": waits.quantile(0.9) if len(waits) >= 10 else None,
            "tickets_7d": int((week["center"] == center).sum()),
            "backlog": int((mine["resolved_at"].isna() | (mine["resolved_at"] >= end)).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@pytest.fixture(scope="session", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One migrated store per backend for every readiness test (each test names its own
    programs, documents and agents, so they do not meet)."""
    with empty_database(request.param, tmp_path_factory.mktemp("readiness-store")) as url:
        migrations.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest for these tests' users (hashing is slow by design)."""
    monkeypatch.setattr(
        auth_service, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
