"""Tables of creator collaboration: pitches and outreach quotas, sample requests, sample
vouchers with their codes, and the creator issue desk (migration 0008).

Every table people edit is optimistically versioned; usernames (``owner``, ``point_of_contact``)
name users of the operational store and are checked when they are written. Times are UTC;
days (``next_action_on``, quota weeks) are days in Asia/Jakarta.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from pasar.kit.db import Base, utcnow
from pasar.kit.versioning import Versioned

CLOSED_STAGES = ("declined", "ghosted")
_OPEN_PITCH = text("stage NOT IN ('declined', 'ghosted')")


class Rupiah(TypeDecorator[Decimal]):
    """Whole rupiah as a ``Decimal`` in Python, a BIGINT in the database (IDR has no minor
    units, so amounts stay exact on every backend)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        amount = Decimal(value)
        if amount != amount.to_integral_value():
            raise ValueError(f"{amount} is not a whole number of rupiah")
        return int(amount)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class Pitch(Base, Versioned):
    """One creator pitched for one seller (and optionally a product or campaign) by its owner,
    from ``shortlisted`` to ``selling``, or closed as ``declined``/``ghosted``.

    At most one open pitch per seller and creator (the partial unique index): two agents never
    pitch the same creator for the same seller.
    """

    __tablename__ = "creator_pitches"
    __table_args__ = (
        Index(
            "uq_creator_pitches_open",
            "seller_id",
            "creator_id",
            unique=True,
            sqlite_where=_OPEN_PITCH,
            postgresql_where=_OPEN_PITCH,
        ),
        Index("ix_creator_pitches_owner", "owner", "next_action_on"),
        Index("ix_creator_pitches_creator", "creator_id"),
        Index("ix_creator_pitches_seller_week", "seller_id", "quota_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    creator_id: Mapped[str] = mapped_column(String(100), nullable=False)
    product_id: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    next_action: Mapped[str | None] = mapped_column(String(300))
    next_action_on: Mapped[dt.date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    quota_week: Mapped[dt.date | None] = mapped_column(Date)  # Sunday of the counted outreach
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    contacted_at: Mapped[dt.datetime | None] = mapped_column()
    replied_at: Mapped[dt.datetime | None] = mapped_column()
    agreed_at: Mapped[dt.datetime | None] = mapped_column()
    sample_sent_at: Mapped[dt.datetime | None] = mapped_column()
    content_posted_at: Mapped[dt.datetime | None] = mapped_column()
    selling_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class OutreachQuota(Base, Versioned):
    """A seller's weekly outreach quota when it is not the default."""

    __tablename__ = "creator_outreach_quotas"

    seller_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    weekly_limit: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class SampleRequest(Base, Versioned):
    """A creator's request for a sample of a seller's product, through the seller's decision,
    shipping and delivery to the content it owes (see :mod:`pasar.creators.sample_rules`)."""

    __tablename__ = "creator_samples"
    __table_args__ = (
        Index("ix_creator_samples_creator", "creator_id", "requested_at"),
        Index("ix_creator_samples_status", "status"),
        Index("ix_creator_samples_seller", "seller_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    creator_id: Mapped[str] = mapped_column(String(100), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    product_id: Mapped[str] = mapped_column(String(100), nullable=False)
    pitch_id: Mapped[int | None] = mapped_column(ForeignKey("creator_pitches.id"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # free, refundable
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    point_of_contact: Mapped[str | None] = mapped_column(String(100))
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    decision_due_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)  # creator level when requested
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    reject_code: Mapped[str | None] = mapped_column(String(20))
    shipped_at: Mapped[dt.datetime | None] = mapped_column()
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    content_due_at: Mapped[dt.datetime | None] = mapped_column()
    extended_at: Mapped[dt.datetime | None] = mapped_column()
    extension_reason: Mapped[str | None] = mapped_column(Text)
    content_posted_at: Mapped[dt.datetime | None] = mapped_column()
    content_url: Mapped[str | None] = mapped_column(String(500))
    content_format: Mapped[str | None] = mapped_column(String(10))  # video, live
    posted_late: Mapped[bool | None] = mapped_column()
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    sample_cost: Mapped[Decimal | None] = mapped_column(Rupiah())
    shipping_cost: Mapped[Decimal | None] = mapped_column(Rupiah())
    refund_goal_orders: Mapped[int | None] = mapped_column(Integer)
    goal_orders: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    goal_due_at: Mapped[dt.datetime | None] = mapped_column()
    refund_status: Mapped[str | None] = mapped_column(String(10))  # pending, earned, missed
    refund_settled_at: Mapped[dt.datetime | None] = mapped_column()


class SampleVoucher(Base, Versioned):
    """A seller's budget of sample vouchers: codes worth up to ``face_value`` each, redeemed
    until ``spent`` reaches ``budget`` (never beyond, even under concurrent redemptions)."""

    __tablename__ = "creator_sample_vouchers"
    __table_args__ = (Index("ix_creator_sample_vouchers_seller", "seller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    face_value: Mapped[Decimal] = mapped_column(Rupiah(), nullable=False)
    budget: Mapped[Decimal] = mapped_column(Rupiah(), nullable=False)
    spent: Mapped[Decimal] = mapped_column(Rupiah(), nullable=False, default=Decimal(0))
    redemptions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # active, closed
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class VoucherCode(Base):
    """One single-use code of a voucher, optionally issued to a creator; redeemed once."""

    __tablename__ = "creator_voucher_codes"
    __table_args__ = (
        UniqueConstraint("code", name="uq_creator_voucher_codes_code"),
        Index("ix_creator_voucher_codes_voucher", "voucher_id"),
        Index("ix_creator_voucher_codes_creator", "creator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(
        ForeignKey("creator_sample_vouchers.id"), nullable=False
    )
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    creator_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column()
    redeemed_by: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(Rupiah())
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("creator_samples.id"))
    order_ref: Mapped[str | None] = mapped_column(String(100))


class CreatorIssue(Base, Versioned):
    """A problem raised by a seller, a creator or an agent, owned by a point of contact and
    timed by the SLA clocks of its priority (see :mod:`pasar.creators.issues`)."""

    __tablename__ = "creator_issues"
    __table_args__ = (
        Index("ix_creator_issues_status", "status", "priority"),
        Index("ix_creator_issues_creator", "creator_id"),
        Index("ix_creator_issues_contact", "point_of_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    creator_id: Mapped[str | None] = mapped_column(String(100))
    seller_id: Mapped[str | None] = mapped_column(String(100))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("creator_samples.id"))
    pitch_id: Mapped[int | None] = mapped_column(ForeignKey("creator_pitches.id"))
    raised_by_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    raised_by: Mapped[str] = mapped_column(String(200), nullable=False)
    point_of_contact: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # open, responded, resolved
    opened_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    first_response_due_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    first_response_at: Mapped[dt.datetime | None] = mapped_column()
    resolution_due_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reopened_at: Mapped[dt.datetime | None] = mapped_column()
    escalation_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column()


class CreatorIssueNote(Base):
    """What happened on an issue, in order: responses, notes, resolutions, reopenings and
    escalations (append-only)."""

    __tablename__ = "creator_issue_notes"
    __table_args__ = (Index("ix_creator_issue_notes_issue", "issue_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("creator_issues.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
