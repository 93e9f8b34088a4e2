"""Sample vouchers: unique codes, redemption tracking, and a budget that is never exceeded —
in any order of redemptions (a property) and under concurrent redemptions on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pasar import migrations
from pasar.creators import vouchers
from pasar.creators.collaboration_models import SampleVoucher, VoucherCode
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from tests.creators.collab_fixtures import T0, store

__all__ = ["store"]


def _voucher(db: Database, face: int, budget: int, codes: int = 0, **kw: object) -> int:
    with frozen_at(T0), db.unit_of_work() as session:
        return vouchers.create_voucher(
            session,
            seller_id="S1",
            name="December seeding",
            face_value=Decimal(face),
            budget=Decimal(budget),
            actor="user:cm",
            codes=codes,
            **kw,  # type: ignore[arg-type]
        ).id


def _codes(db: Database, voucher_id: int) -> list[str]:
    with db.unit_of_work() as session:
        return [c.code for c in vouchers.codes_of(session, voucher_id)]


def test_codes_redeem_once_within_the_budget(store: Database) -> None:
    vid = _voucher(store, 30_000, 100_000, codes=5, creators=["C1"])
    codes = _codes(store, vid)
    assert len(codes) == len(set(codes)) == 6
    assert all(c.startswith("SV-") and len(c) == 14 for c in codes)
    with frozen_at(T0), store.unit_of_work() as session:
        for code in codes[:3]:
            vouchers.redeem(session, code.lower(), "user:cm", order_ref="O-1")
        with pytest.raises(ConflictError, match="already redeemed"):
            vouchers.redeem(session, codes[0], "user:cm")
        with pytest.raises(ValidationError, match="10,000 of its 100,000 budget left"):
            vouchers.redeem(session, codes[3], "user:cm")
        with pytest.raises(ValidationError, match="face value"):
            vouchers.redeem(session, codes[3], "user:cm", amount=Decimal(40_000))
        vouchers.redeem(session, codes[3], "user:cm", amount=Decimal(10_000))
        with pytest.raises(ValidationError, match="0 of its 100,000 budget left"):
            vouchers.redeem(session, codes[4], "user:cm", amount=Decimal(1))
        with pytest.raises(NotFoundError):
            vouchers.redeem(session, "SV-NOPE", "user:cm")
    with store.unit_of_work() as session:
        voucher = session.get(SampleVoucher, vid)
        assert voucher is not None
        assert (voucher.spent, voucher.redemptions) == (Decimal(100_000), 4)
        redeemed = session.scalars(
            select(VoucherCode).where(VoucherCode.redeemed_at.is_not(None))
        ).all()
        assert sum(c.amount for c in redeemed if c.amount) == voucher.spent
        assert {c.order_ref for c in redeemed} == {"O-1", None}


def test_confined_callers_redeem_only_their_creators_codes(store: Database) -> None:
    vid = _voucher(store, 10_000, 50_000, codes=1, creators=["C1", "C2"])
    with store.unit_of_work() as session:
        rows = vouchers.codes_of(session, vid)
        mine = [c.code for c in rows if c.creator_id == "C1"]
        open_code = next(c.code for c in rows if c.creator_id is None)
        assert [c.creator_id for c in vouchers.codes_of(session, vid, frozenset({"C2"}))] == ["C2"]
        assert session.scalars(vouchers.voucher_query(frozenset({"C9"}))).all() == []
    with frozen_at(T0), store.unit_of_work() as session:
        for code in (mine[0], open_code):
            with pytest.raises(NotFoundError):
                vouchers.redeem(session, code, "user:budi", visible=frozenset({"C2", "C3"}))
        vouchers.redeem(session, mine[0], "user:mira", visible=frozenset({"C1", "C2"}))


def test_closed_and_expired_vouchers_refuse(store: Database) -> None:
    vid = _voucher(store, 10_000, 50_000, codes=2, valid_until=dt.date(2026, 11, 10))
    first, second = _codes(store, vid)
    with (
        frozen_at(T0 + dt.timedelta(days=9)),
        store.unit_of_work() as session,
        pytest.raises(ValidationError, match="valid until 2026-11-10"),
    ):
        vouchers.redeem(session, first, "t")
    with frozen_at(T0), store.unit_of_work() as session:
        vouchers.close_voucher(session, vid, "user:cm", version=1)
        with pytest.raises(ValidationError, match="closed"):
            vouchers.redeem(session, second, "t")
    with frozen_at(T0), store.unit_of_work() as session:
        with pytest.raises(ValidationError, match="more than the budget"):
            vouchers.create_voucher(
                session,
                seller_id="S1",
                name="x",
                face_value=Decimal(9),
                budget=Decimal(5),
                actor="t",
            )
        with pytest.raises(ValidationError, match="whole number"):
            vouchers.create_voucher(
                session,
                seller_id="S1",
                name="x",
                face_value=Decimal("1.5"),
                budget=Decimal(5),
                actor="t",
            )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    budget=st.integers(1, 200_000),
    face=st.integers(1, 60_000),
    amounts=st.lists(st.one_of(st.none(), st.integers(1, 70_000)), min_size=1, max_size=12),
)
def test_no_sequence_of_redemptions_exceeds_the_budget(
    store: Database, budget: int, face: int, amounts: list[int | None]
) -> None:
    face = min(face, budget)
    vid = _voucher(store, face, budget, codes=len(amounts))
    codes = _codes(store, vid)
    remaining = budget  # the model: a redemption fits its code and what is left
    for code, amount in zip(codes, amounts, strict=True):
        value = face if amount is None else amount
        fits = value <= face and value <= remaining
        try:
            with frozen_at(T0), store.unit_of_work() as session:
                given_amount = None if amount is None else Decimal(amount)
                row = vouchers.redeem(session, code, "t", amount=given_amount)
            assert fits and row.amount == value
            remaining -= value
        except ValidationError:
            assert not fits
    with store.unit_of_work() as session:
        voucher = session.get(SampleVoucher, vid)
        assert voucher is not None
        assert voucher.spent == budget - remaining <= voucher.budget


@pytest.fixture
def both(database_url: str) -> Iterator[Database]:
    migrations.upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


def test_concurrent_redemptions_never_exceed_the_budget(both: Database) -> None:
    """Twelve codes worth 30,000 each against a budget of 100,000, all redeemed at once by
    twelve workers that retry when they lose a race: three are redeemed, no more."""
    vid = _voucher(both, 30_000, 100_000, codes=12)
    codes = _codes(both, vid)
    start = threading.Barrier(len(codes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(code: str) -> None:
        start.wait()
        for _ in range(50):
            try:
                with frozen_at(T0), both.unit_of_work() as session:
                    vouchers.redeem(session, code, "t")
                outcome = "redeemed"
            except ConflictError:
                continue  # lost a race: retry
            except ValidationError:
                outcome = "refused"
            break
        else:
            outcome = "gave up"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["redeemed"] * 3 + ["refused"] * 9
    with both.unit_of_work() as session:
        voucher = session.get(SampleVoucher, vid)
        assert voucher is not None
        redeemed = session.scalars(
            select(VoucherCode).where(
                VoucherCode.voucher_id == vid, VoucherCode.redeemed_at.is_not(None)
            )
        ).all()
        assert voucher.spent == Decimal(90_000) == sum(c.amount for c in redeemed if c.amount)
        assert voucher.redemptions == len(redeemed) == 3
