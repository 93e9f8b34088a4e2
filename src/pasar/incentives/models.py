"""Tables of LIVE incentives: programs (their YAML, versioned), enrolments with the segment
frozen when the merchant joined, payout runs and their lines, and experiments (measurement
reports kept as they were computed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pasar.kit.db import Base, utcnow
from pasar.kit.versioning import Versioned

PROGRAM_STATUSES = ("draft", "active", "closed")
LINE_STATUSES = ("paid", "not_reached", "excluded", "holdout", "clawed_back", "kept")
Money = Numeric(18, 2)


class IncentiveProgram(Base, Versioned):
    """A program in use: its YAML source (checked by the program loader whenever it is saved
    or read) and its status. ``version`` counts saves (optimistic versioning)."""

    __tablename__ = "incentive_programs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    template: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    source: Mapped[str] = mapped_column(Text, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Enrolment(Base):
    """A merchant in a program from ``enrolled_on``: its segment and the snapshot values of
    its eligibility frozen then, and its arm (``treatment`` is paid, ``holdout`` is not)."""

    __tablename__ = "incentive_enrolments"
    __table_args__ = (
        Index("ix_incentive_enrolments_program", "program_id", "seller_id", unique=True),
        Index("ix_incentive_enrolments_seller", "seller_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("incentive_programs.id"), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    enrolled_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    category: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20), nullable=False)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    trailing_gmv: Mapped[float] = mapped_column(Float, nullable=False)
    arm: Mapped[str] = mapped_column(String(20), nullable=False)
    stratum: Mapped[str] = mapped_column(String(100), nullable=False)
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    program_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    enrolled_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class PayoutRun(Base):
    """One computation of a program's period: a payout (``kind='payout'``, returns known by
    the period's end) or its clawback check (returns known by the end of the clawback window).
    It keeps the program source it ran with, so it can be replayed exactly."""

    __tablename__ = "incentive_payout_runs"
    __table_args__ = (Index("ix_incentive_payout_runs_program", "program_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    program_id: Mapped[int] = mapped_column(ForeignKey("incentive_programs.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    period: Mapped[str] = mapped_column(String(40), nullable=False)
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    cutoff: Mapped[dt.date] = mapped_column(Date, nullable=False)
    pay_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    program_source: Mapped[str] = mapped_column(Text, nullable=False)
    program_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    warehouse_version: Mapped[int] = mapped_column(Integer, nullable=False)
    lines_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    merchants: Mapped[int] = mapped_column(Integer, nullable=False)
    paid_merchants: Mapped[int] = mapped_column(Integer, nullable=False)
    gross: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    realised_cost: Mapped[Decimal] = mapped_column(Money, nullable=False)
    clawback: Mapped[Decimal] = mapped_column(Money, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class PayoutLine(Base):
    """One merchant of a payout run: its measures, what it reached, the reward before and
    after caps, what is paid (or clawed back), why not when it is not, and the sentence it
    reads in English and Indonesian."""

    __tablename__ = "incentive_payout_lines"
    __table_args__ = (
        Index("ix_incentive_payout_lines_run", "run_id", "seller_id", unique=True),
        Index("ix_incentive_payout_lines_seller", "seller_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("incentive_payout_runs.id"), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    tier: Mapped[str] = mapped_column(String(20), nullable=False)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    arm: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    exclusion: Mapped[str | None] = mapped_column(String(200))
    target_value: Mapped[float] = mapped_column(Float, nullable=False)
    level: Mapped[str | None] = mapped_column(String(100))
    progress: Mapped[float | None] = mapped_column(Float)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    gross: Mapped[Decimal] = mapped_column(Money, nullable=False)
    capped: Mapped[Decimal] = mapped_column(Money, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    clawback: Mapped[Decimal] = mapped_column(Money, nullable=False)
    explanation_en: Mapped[str] = mapped_column(Text, nullable=False)
    explanation_id: Mapped[str] = mapped_column(Text, nullable=False)


class Experiment(Base):
    """A measurement of a program over a period, kept as computed: the design (holdout or
    difference-in-differences), the outcome metrics and the report."""

    __tablename__ = "incentive_experiments"
    __table_args__ = (Index("ix_incentive_experiments_program", "program_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("incentive_programs.id"), nullable=False)
    design: Mapped[str] = mapped_column(String(20), nullable=False)
    period: Mapped[str] = mapped_column(String(40), nullable=False)
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    pre_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    pre_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    srm_p_value: Mapped[float | None] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
