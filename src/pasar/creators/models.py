"""Tables of creator operations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String
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
