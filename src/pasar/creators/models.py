"""Tables of creator operations: which creators an agent looks after, and the outsourced
agencies agents belong to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Date, ForeignKey, Index, String, and_, or_
from sqlalchemy.orm import Mapped, mapped_column

from pasar.kit.db import Base, utcnow


class CreatorAssignment(Base):
    """An agent (an outsourced outreach user) looks after a creator from ``starts_on`` until
    ``ends_on`` (open while ``None``); an agent sees only the creators assigned to them."""

    __tablename__ = "creator_assignments"
    __table_args__ = (
        Index("ix_creator_assignments_agent", "agent_id", "ends_on"),
        Index("ix_creator_assignments_creator", "creator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    creator_id: Mapped[str] = mapped_column(String(100), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    assigned_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)

    @classmethod
    def open_on(cls, day: dt.date) -> ColumnElement[bool]:
        """The SQL condition of an assignment open on ``day``: started, and not ended before."""
        return and_(cls.starts_on <= day, or_(cls.ends_on.is_(None), cls.ends_on >= day))


class Agency(Base):
    """An outsourced outreach agency: a firm whose agents pitch creators for the sellers
    (migration 0012). Names are unique regardless of case."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    contact: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class AgencyAgent(Base):
    """The agency an agent works for (at most one: the agent is the key) since ``joined_on``."""

    __tablename__ = "agency_agents"
    __table_args__ = (Index("ix_agency_agents_agency", "agency_id"),)

    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    joined_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    added_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
