"""A target's funnel counts the seller's own pitching pipeline, on SQLite and PostgreSQL: the
pitches contacted and agreed on the local days of the window the forecast is built from (84
days before the data ends), typed numbers overriding them — in a scenario whose counts are
known, with pitches on both sides of each edge of the window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pasar.config import Settings
from pasar.creators.collaboration_models import Pitch
from pasar.creators.target_service import TargetReport, propose_target
from pasar.kit.db import Database
from tests.creators.planning.conftest import Market

WIB = ZoneInfo("Asia/Jakarta")
DRAWS = 200  # the counts are what is tested here, not the range


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a local (WIB) day, in UTC as the store keeps it."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB).astimezone(dt.UTC)


@pytest.fixture(scope="module")
def known(market: Market) -> tuple[str, str, dt.date]:
    """Two sellers with creator orders since long before the window, and the day after the
    data ends (local) — read from the generated Parquet files."""
    orders = pd.read_parquet(market.synth / "orders.parquet")
    local = orders.created_at.dt.tz_convert(WIB).dt.date
    cutoff = local.max() + dt.timedelta(days=1)
    creator = orders[orders.creator_id.notna()]
    first = local[creator.index].groupby(creator.seller_id).min()
    old = first[first < cutoff - dt.timedelta(days=200)].index
    busiest = creator[creator.seller_id.isin(old)].groupby("seller_id").size()
    top = busiest.sort_values(ascending=False).index
    return str(top[0]), str(top[1]), cutoff


def _report(settings: Settings, seller: str, **kw: object) -> TargetReport:
    return propose_target(settings, [seller], None, 1.0, draws=DRAWS, **kw)  # type: ignore[arg-type]


def test_contacts_and_agreements_come_from_the_pipeline(
    database: Database, market: Market, known: tuple[str, str, dt.date]
) -> None:
    seller, quiet, cutoff = known
    first = cutoff - dt.timedelta(days=84)  # the window: first … cutoff (exclusive), local days
    inside = [first + dt.timedelta(days=d) for d in (3, 20, 41, 60, 83)]
    pitches = [
        # contacted on the window's first local day (still the day before in UTC): counted
        dict(contacted_at=_local(first, 0, 30)),
        # contacted the evening before the window: not a contact; agreed inside: an agreement
        dict(contacted_at=_local(first - dt.timedelta(days=1), 23, 30),
             agreed_at=_local(first + dt.timedelta(days=5), 10)),
        # five contacts inside, three of them agreed inside (one on the last local evening)
        dict(contacted_at=_local(inside[0], 9), agreed_at=_local(inside[0], 15)),
        dict(contacted_at=_local(inside[1], 9), agreed_at=_local(inside[2], 9)),
        dict(contacted_at=_local(inside[2], 9)),
        dict(contacted_at=_local(inside[3], 9)),
        dict(contacted_at=_local(inside[3], 11), agreed_at=_local(inside[4], 23, 50)),
        # contacted just after the data ends: outside; agreed after it: outside
        dict(contacted_at=_local(cutoff, 0, 10)),
        dict(contacted_at=_local(inside[4], 8), agreed_at=_local(cutoff, 1)),
        # shortlisted only: never contacted
        dict(),
    ]  # fmt: skip
    with database.unit_of_work() as session:
        for n, stamps in enumerate(pitches):
            session.add(Pitch(seller_id=seller, creator_id=f"CP{n}", stage="contacted",
                              owner="mira", created_by="t", **stamps))  # fmt: skip
        session.add(Pitch(seller_id="S-other", creator_id="CP0", stage="agreed", owner="mira",
                          created_by="t", contacted_at=_local(inside[1], 9),
                          agreed_at=_local(inside[1], 10)))  # fmt: skip
    # contacts: the first-day one, the five inside, the one agreed after the data ended;
    # agreements: the one contacted the evening before, and the three agreed inside
    contacts, agreements = 1 + 5 + 1, 1 + 3
    settings = Settings(home=market.home, database_url=database.url)

    with database.unit_of_work() as session:
        given = _report(settings, seller, session=session)
    found = _report(settings, seller)  # reading the store of the settings by itself
    for report in (given, found):
        funnel = report.forecast.funnel
        assert funnel is not None
        assert (funnel.start, funnel.end) == (first, cutoff)
        assert (funnel.contacts, funnel.agreements) == (contacts, agreements)
        assert funnel.source == "warehouse + pitching pipeline"
        assert report.assessment is not None
        steps = {s.stage: s for s in report.assessment.funnel}
        assert steps["Contacts"].recent == contacts and steps["Agreements"].recent == agreements
        assert any(
            f"{contacts} creator(s) contacted and {agreements} agreement(s)" in note
            for note in report.forecast.notes
        ), report.forecast.notes

    typed = _report(settings, seller, contacts=100)  # a typed number overrides its count only
    funnel = typed.forecast.funnel
    assert funnel is not None and (funnel.contacts, funnel.agreements) == (100, agreements)
    assert funnel.source == "warehouse + pitching pipeline + typed"
    assert any("4 agreement(s)" in n and "contacted" not in n for n in typed.forecast.notes)
    both = _report(settings, seller, contacts=300, agreements=30)
    assert both.forecast.funnel is not None
    assert (both.forecast.funnel.contacts, both.forecast.funnel.agreements) == (300, 30)
    assert not any("pitching pipeline" in n for n in both.forecast.notes)

    silent = _report(settings, quiet)  # a seller that pitched nobody: no pipeline numbers
    assert silent.forecast.funnel is not None
    assert (silent.forecast.funnel.contacts, silent.forecast.funnel.agreements) == (None, None)
    assert silent.assessment is not None
    assert [s.stage for s in silent.assessment.funnel][:2] == ["Contacts", "Creators active"]


def test_a_store_never_created_has_no_pipeline(
    market: Market, known: tuple[str, str, dt.date], tmp_path: Path
) -> None:
    seller, _, _ = known
    settings = Settings(home=market.home, database_url=f"sqlite:///{tmp_path}/none/store.db")
    report = _report(settings, seller)
    assert report.forecast.funnel is not None and report.forecast.funnel.contacts is None
    assert not (tmp_path / "none").exists()  # reading never creates a store
