"""Optimistic versioning: a ``version`` column bumped on every update.

SQLAlchemy checks the version in the UPDATE's WHERE clause, so a concurrent writer that
loaded an older row fails at flush; :meth:`Database.unit_of_work` turns that into a
``ConflictError``. :func:`expect_version` covers the web case, where the user edited the
version they saw in a form some time ago.

Example:
    class Appeal(Versioned, Base): ...
    expect_version(appeal, form.version)   # raises ConflictError when someone saved since
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from pasar.kit.errors import ConflictError


class Versioned:
    """Mixin adding an optimistic ``version`` column to a mapped class."""

    version: Mapped[int] = mapped_column(nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def expect_version(record: Versioned, seen_version: int) -> None:
    """Raise ``ConflictError`` unless ``record`` is still at the version the caller saw."""
    if record.version != seen_version:
        raise ConflictError(
            f"{type(record).__name__} was changed by someone else (you edited version "
            f"{seen_version}, it is now version {record.version}); reload and retry",
            field="version",
        )
