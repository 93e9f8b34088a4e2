"""ORM models of users and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pasar.kit.db import Base, utcnow
from pasar.kit.versioning import Versioned


class User(Base, Versioned):
    """A person who signs in: staff with a role, or a seller or creator confined to their own
    shop or profile (``seller_id`` / ``creator_id``; ``linked_shops`` a seller may also see)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    seller_id: Mapped[str | None] = mapped_column(String(100))
    creator_id: Mapped[str | None] = mapped_column(String(100))
    linked_shops: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    disabled: Mapped[bool] = mapped_column(nullable=False, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class ApiToken(Base):
    """A token an integration presents; only its SHA-256 is stored, and its scopes are at
    most its user's."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)  # shown to tell tokens apart
    scopes: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()


class BrowserSession(Base):
    """A signed-in browser: the cookie holds a random token whose SHA-256 is stored here, with
    the CSRF token its forms must carry. It ends at ``expires_at`` or when idle too long."""

    __tablename__ = "browser_sessions"
    __table_args__ = (Index("ix_browser_sessions_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False)
