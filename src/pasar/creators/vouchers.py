"""Sample vouchers: a seller's budget for discounted samples, spent through single-use codes.

A voucher has a face value per code and a budget. Codes are random, unique and optionally
issued to a creator; each is redeemed once, for at most the face value. The voucher's
``spent`` never exceeds its budget, even when codes are redeemed at the same moment: a
redemption locks the voucher row (``SELECT … FOR UPDATE`` on PostgreSQL) and the voucher's
optimistic version makes a concurrent writer that read an older row fail with a
:class:`ConflictError` (on SQLite, where there is no row lock).

Example::

    voucher = create_voucher(session, seller_id="S1", name="December seeding",
                             face_value=Decimal(50_000), budget=Decimal(1_000_000),
                             actor="user:mira", codes=25)
    redeem(session, voucher_codes[0].code, "user:mira", sample_id=12)
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pasar.audit.service import audit, snapshot
from pasar.creators.collaboration_models import SampleRequest, SampleVoucher, VoucherCode
from pasar.creators.days import today
from pasar.creators.people import Visible, may_see, not_found, subject_id
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed
CODE_LENGTH = 10
PREFIX = "SV"
MAX_CODES = 5000
MAX_AMOUNT = Decimal(10_000_000_000)


def create_voucher(
    session: Session,
    *,
    seller_id: str,
    name: str,
    face_value: Decimal,
    budget: Decimal,
    actor: str,
    valid_until: dt.date | None = None,
    codes: int = 0,
    creators: Sequence[str] = (),
) -> SampleVoucher:
    """A voucher with ``codes`` unissued codes plus one code issued to each of ``creators``."""
    face = _amount(face_value, "face_value", positive=True)
    total = _amount(budget, "budget", positive=True)
    if face > total:
        raise ValidationError(
            f"face_value: {face:,} is more than the budget {total:,}", field="face_value"
        )
    if valid_until is not None and valid_until < today():
        raise ValidationError("valid_until: in the past", field="valid_until")
    voucher = SampleVoucher(
        seller_id=subject_id(seller_id, "seller_id"),
        name=written(name, "name", limit=200),
        face_value=face,
        budget=total,
        spent=Decimal(0),
        redemptions=0,
        valid_until=valid_until,
        status="active",
        created_by=actor,
    )
    session.add(voucher)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="voucher.created",
        entity_type="voucher",
        entity_id=str(voucher.id),
        after=snapshot(voucher),
    )
    if codes:
        issue_codes(session, voucher.id, codes, actor)
    for creator in creators:
        issue_codes(session, voucher.id, 1, actor, creator_id=creator)
    return voucher


def issue_codes(
    session: Session,
    voucher_id: int,
    count: int,
    actor: str,
    *,
    creator_id: str | None = None,
    visible: Visible = None,
) -> list[VoucherCode]:
    """``count`` new unique codes of an active voucher (issued to ``creator_id`` if given)."""
    voucher = get_voucher(session, voucher_id)
    if voucher.status != "active":
        raise ValidationError(f"voucher {voucher_id} is {voucher.status}", field="voucher_id")
    if not 1 <= count <= MAX_CODES:
        raise ValidationError(f"count: between 1 and {MAX_CODES:,}", field="count")
    if creator_id is not None:
        creator_id = subject_id(creator_id, "creator_id")
        if not may_see(visible, creator_id):
            raise not_found("creator", creator_id)
    fresh = _fresh_codes(session, count)
    rows = [VoucherCode(voucher_id=voucher.id, code=code, creator_id=creator_id) for code in fresh]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="voucher.codes_issued",
        entity_type="voucher",
        entity_id=str(voucher.id),
        context={"count": count, "creator_id": creator_id},
    )
    return rows


def redeem(
    session: Session,
    code: str,
    actor: str,
    *,
    amount: Decimal | None = None,
    sample_id: int | None = None,
    order_ref: str | None = None,
    visible: Visible = None,
) -> VoucherCode:
    """Redeem a code once, for ``amount`` (the face value by default), within the budget."""
    wanted = (code or "").strip().upper()
    row = session.scalar(select(VoucherCode).where(VoucherCode.code == wanted))
    if row is None or (row.creator_id is not None and not may_see(visible, row.creator_id)):
        raise not_found("voucher code", wanted or "(empty)")
    if visible is not None and row.creator_id is None:
        raise not_found("voucher code", wanted)
    # the lock serialises redemptions of one voucher; the version catches what it cannot
    voucher = session.get(
        SampleVoucher, row.voucher_id, with_for_update=True, populate_existing=True
    )
    assert voucher is not None
    session.refresh(row)
    if row.redeemed_at is not None:
        raise ConflictError(f"code {wanted} was already redeemed", field="code")
    if voucher.status != "active":
        raise ValidationError(f"voucher {voucher.id} is {voucher.status}", field="code")
    if voucher.valid_until is not None and today() > voucher.valid_until:
        raise ValidationError(
            f"voucher {voucher.id} was valid until {voucher.valid_until}", field="code"
        )
    value = voucher.face_value if amount is None else _amount(amount, "amount", positive=True)
    if value > voucher.face_value:
        raise ValidationError(
            f"amount: {value:,} is more than the code's face value {voucher.face_value:,}",
            field="amount",
        )
    left = voucher.budget - voucher.spent
    if value > left:
        raise ValidationError(
            f"voucher {voucher.id} has {left:,} of its {voucher.budget:,} budget left, less than "
            f"{value:,}; the budget is never exceeded",
            field="amount",
        )
    sample = _sample(session, sample_id, row, voucher, visible)
    before = snapshot(voucher)
    voucher.spent += value
    voucher.redemptions += 1
    row.redeemed_at, row.redeemed_by, row.amount = now(), actor, value
    row.sample_id = sample.id if sample else None
    row.order_ref = written(order_ref, "order_ref", limit=100) if order_ref else None
    voucher_id = voucher.id  # the row cannot be read once a failed flush expired it
    try:
        session.flush()
    except StaleDataError as exc:  # another redemption of this voucher committed first
        raise ConflictError(
            f"voucher {voucher_id} was redeemed by someone else at the same moment; retry",
            field="code",
        ) from exc
    audit.record(
        session,
        actor=actor,
        action="voucher.redeemed",
        entity_type="voucher",
        entity_id=str(voucher.id),
        before=before,
        after=snapshot(voucher),
        context={"code": row.code, "amount": value, "sample_id": row.sample_id},
    )
    return row


def close_voucher(
    session: Session, voucher_id: int, actor: str, version: int | None = None
) -> SampleVoucher:
    """Stop a voucher: its unredeemed codes no longer redeem."""
    voucher = get_voucher(session, voucher_id)
    if version is not None:
        expect_version(voucher, version)
    if voucher.status == "closed":
        return voucher
    before = snapshot(voucher)
    voucher.status = "closed"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="voucher.closed",
        entity_type="voucher",
        entity_id=str(voucher.id),
        before=before,
        after=snapshot(voucher),
    )
    return voucher


def get_voucher(session: Session, voucher_id: int) -> SampleVoucher:
    voucher = session.get(SampleVoucher, voucher_id)
    if voucher is None:
        raise not_found("voucher", voucher_id)
    return voucher


def voucher_query(visible: Visible = None, seller_id: str | None = None) -> Select[SampleVoucher]:
    """Vouchers the caller may see: every one, or (confined callers) those with a code issued
    to one of their creators."""
    query = select(SampleVoucher)
    if seller_id:
        query = query.where(SampleVoucher.seller_id == seller_id)
    if visible is not None:
        mine = select(VoucherCode.voucher_id).where(VoucherCode.creator_id.in_(sorted(visible)))
        query = query.where(SampleVoucher.id.in_(mine))
    return query


def codes_of(session: Session, voucher_id: int, visible: Visible = None) -> list[VoucherCode]:
    """A voucher's codes (a confined caller sees only those issued to its creators)."""
    query = select(VoucherCode).where(VoucherCode.voucher_id == voucher_id)
    if visible is not None:
        query = query.where(VoucherCode.creator_id.in_(sorted(visible)))
    return list(session.scalars(query.order_by(VoucherCode.id)))


def _amount(value: Decimal | int, field: str, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(value)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValidationError(f"{field}: not an amount", field=field) from exc
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValidationError(f"{field}: a whole number of rupiah", field=field)
    if amount < (1 if positive else 0) or amount > MAX_AMOUNT:
        raise ValidationError(f"{field}: between 1 and {MAX_AMOUNT:,} rupiah", field=field)
    return amount


def _fresh_codes(session: Session, count: int) -> list[str]:
    """``count`` random codes not yet used by any voucher (the unique constraint backs it)."""
    found: set[str] = set()
    while len(found) < count:
        batch = {_code() for _ in range(count - len(found))} - found
        taken = set(session.scalars(select(VoucherCode.code).where(VoucherCode.code.in_(batch))))
        found |= batch - taken
    return sorted(found)


def _code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{PREFIX}-{body[:5]}-{body[5:]}"


def _sample(
    session: Session,
    sample_id: int | None,
    code: VoucherCode,
    voucher: SampleVoucher,
    visible: Visible,
) -> SampleRequest | None:
    if sample_id is None:
        return None
    sample = session.get(SampleRequest, sample_id)
    if sample is None or not may_see(visible, sample.creator_id):
        raise not_found("sample", sample_id)
    if sample.seller_id != voucher.seller_id:
        raise ValidationError(
            f"sample_id: sample {sample_id} is of seller {sample.seller_id}, the voucher of "
            f"{voucher.seller_id}",
            field="sample_id",
        )
    if code.creator_id is not None and sample.creator_id != code.creator_id:
        raise ValidationError(
            f"sample_id: code {code.code} was issued to {code.creator_id}, the sample is "
            f"{sample.creator_id}'s",
            field="sample_id",
        )
    return sample
