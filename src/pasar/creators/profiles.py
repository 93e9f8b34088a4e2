"""Creator profiles: who a creator is (from the warehouse's ``creators`` table) and how they
perform (their row of the latest creator metric snapshot).

Example::

    found = find_creators(settings, visible=None, search="mom", category="Mother & Baby")
    profile = creator_profile(settings, "C000001")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc

from pasar.config import Settings
from pasar.kit.errors import NotFoundError
from pasar.metrics.snapshots import read_snapshot, snapshot_path
from pasar.warehouse.store import MANIFEST, Warehouse

PROFILE_COLUMNS = ("creator_id", "handle", "followers", "primary_category", "province")


@dataclass
class CreatorProfile:
    """A creator's identity and metrics (``as_of`` of the snapshot, None without one)."""

    creator_id: str
    handle: str
    followers: int
    primary_category: str | None
    province: str | None
    as_of: dt.date | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


def find_creators(
    settings: Settings, visible: frozenset[str] | None, search: str = "", category: str = ""
) -> list[dict[str, Any]]:
    """Creators whose id or handle contains ``search`` (and in ``category``), limited to
    ``visible`` when given, sorted by followers (most first)."""
    warehouse = Warehouse(settings.warehouse_dir)
    if visible is not None and not visible:
        return []
    if not (warehouse.root / MANIFEST).exists():
        return []
    con = warehouse.connect()
    try:
        where, params = ["NOT coalesce(_stub, false)"], []
        if search:
            where.append("(lower(creator_id) LIKE ? OR lower(handle) LIKE ?)")
            params += [f"%{search.lower()}%"] * 2
        if category:
            where.append("primary_category = ?")
            params.append(category)
        if visible is not None:
            where.append(f"creator_id IN ({', '.join('?' for _ in visible)})")
            params += sorted(visible)
        rows = con.execute(
            f"SELECT {', '.join(PROFILE_COLUMNS)} FROM creators WHERE {' AND '.join(where)} "
            "ORDER BY followers DESC, creator_id",
            params,
        ).fetchall()
    finally:
        con.close()
    return [dict(zip(PROFILE_COLUMNS, row, strict=True)) for row in rows]


def unknown_creators(settings: Settings, creator_ids: Sequence[str]) -> list[str]:
    """Those of ``creator_ids`` the warehouse does not know (none while the warehouse is
    empty: there is nothing to check them against yet)."""
    if not creator_ids or not (Warehouse(settings.warehouse_dir).root / MANIFEST).exists():
        return []
    known = {row["creator_id"] for row in find_creators(settings, frozenset(creator_ids))}
    return [c for c in creator_ids if c not in known]


def creator_profile(
    settings: Settings, creator_id: str, day: dt.date | None = None
) -> CreatorProfile:
    """One creator's profile with the metrics of the latest snapshot on or before ``day``."""
    found = find_creators(settings, frozenset([creator_id]))
    if not found:
        raise NotFoundError(f"no creator {creator_id}")
    profile = CreatorProfile(**found[0])
    as_of = _latest_snapshot(settings, day)
    if as_of is not None:
        snapshot = read_snapshot(settings, "creator", as_of)
        rows = snapshot.filter(pc.equal(snapshot["creator_id"], creator_id)).to_pylist()
        if rows:
            profile.as_of = as_of
            profile.metrics = {k: v for k, v in rows[0].items() if k not in ("creator_id", "as_of")}
    return profile


def _latest_snapshot(settings: Settings, day: dt.date | None) -> dt.date | None:
    root = settings.snapshots_dir / "creator"
    if not root.exists():
        return None
    days = sorted(
        dt.date.fromisoformat(p.name.removeprefix("as_of="))
        for p in root.glob("as_of=*")
        if snapshot_path(
            settings.snapshots_dir, "creator", dt.date.fromisoformat(p.name[6:])
        ).exists()
    )
    if day is not None:
        days = [d for d in days if d <= day]
    return days[-1] if days else None
