"""Linked accounts: shops of the same owner (``owner_ref`` in the sellers table).

A permanent suspension, once a reviewer approves it, extends to the owner's other shops
through the human review queue; a shop of an owner with a suspended shop is flagged for
review by the next pipeline day (ingestion only stores data; governance reads it after).

Example::

    owners = owners_of(con)                  # seller → owner_ref
    linked_shops(owners, "S000062")          # the other shops of that owner
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.models import EnforcementAction
from pasar.governance.scheme import Scheme
from pasar.warehouse.store import MANIFEST, Warehouse

SUSPENSION = "permanent_suspension"


def owners_of(
    con: duckdb.DuckDBPyConnection, linked_to: Collection[str] | None = None
) -> dict[str, str]:
    """Sellers with an owner, from the warehouse's sellers table: every one, or only the
    shops sharing an owner with one of ``linked_to``."""
    query = (
        "SELECT seller_id, owner_ref FROM sellers "
        "WHERE owner_ref IS NOT NULL AND trim(owner_ref) <> ''"
    )
    parameters: list[object] = []
    if linked_to is not None:
        if not linked_to:
            return {}
        query += (
            " AND owner_ref IN (SELECT owner_ref FROM sellers WHERE list_contains(?, seller_id))"
        )
        parameters.append(sorted(linked_to))
    rows = con.execute(query, parameters).fetchall()
    return {str(seller): str(owner) for seller, owner in rows}


Owners = dict[str, str] | Callable[[set[str]], dict[str, str]]


def warehouse_owners(warehouse: Warehouse) -> Callable[[set[str]], dict[str, str]]:
    """Owners read from ``warehouse`` when first needed, only for the shops linked to the
    sellers asked about (an empty warehouse has none)."""

    def read(sellers: set[str]) -> dict[str, str]:
        if not (warehouse.root / MANIFEST).exists():
            return {}
        return owners_of(warehouse.connect(), sellers)

    return read


def resolve_owners(owners: Owners, sellers: set[str]) -> dict[str, str]:
    """``owners`` as a mapping for the shops linked to ``sellers``."""
    return owners(sellers) if callable(owners) else owners


def linked_shops(owners: dict[str, str], seller_id: str) -> list[str]:
    """The other shops of ``seller_id``'s owner, sorted."""
    owner = owners.get(seller_id)
    if owner is None:
        return []
    return sorted(s for s, o in owners.items() if o == owner and s != seller_id)


def queue_linked(
    session: Session,
    scheme: Scheme,
    suspended: EnforcementAction,
    owners: Owners,
    on: dt.date,
    actor: str,
) -> list[EnforcementAction]:
    """Queue a permanent suspension of each shop linked to ``suspended``'s seller."""
    known = resolve_owners(owners, {suspended.seller_id})
    return _queue(session, scheme, suspended, known, on, actor)


def flag_banned_owners(
    session: Session,
    scheme: Scheme,
    owners: Owners,
    on: dt.date,
    actor: str,
) -> list[EnforcementAction]:
    """Queue every shop whose owner has a suspended shop and that is not yet in review.
    ``owners``: seller → owner, or a function giving it for the shops linked to some sellers
    (read only when a shop is suspended)."""
    suspended = session.scalars(
        select(EnforcementAction).where(
            EnforcementAction.action == SUSPENSION, EnforcementAction.status == "active"
        )
    ).all()
    if not suspended:
        return []
    if callable(owners):
        owners = owners({a.seller_id for a in suspended})
    return [
        flag for action in suspended for flag in _queue(session, scheme, action, owners, on, actor)
    ]


def _queue(
    session: Session,
    scheme: Scheme,
    suspended: EnforcementAction,
    owners: dict[str, str],
    on: dt.date,
    actor: str,
) -> list[EnforcementAction]:
    """A queued suspension for each shop sharing ``suspended``'s owner, once per shop."""
    queued = []
    for shop in linked_shops(owners, suspended.seller_id):
        action = EnforcementAction(
            dedupe_key=f"linked:{scheme.scheme}:{shop}:{suspended.id}",
            seller_id=shop,
            action=SUSPENSION,
            source="linked",
            step_at=suspended.step_at,
            scheme=scheme.ref,
            starts_on=on,
            status="pending_review",
            review_reason=(
                f"same owner ({owners[shop]}) as {suspended.seller_id}, permanently suspended"
            ),
            explanation_en=(
                f"Your shop shares its owner with {suspended.seller_id}, which was permanently "
                "suspended; a reviewer decides whether the suspension extends to this shop."
            ),
            explanation_id=(
                f"Toko Anda memiliki pemilik yang sama dengan {suspended.seller_id} yang "
                "ditangguhkan permanen; peninjau memutuskan apakah penangguhan berlaku juga."
            ),
        )
        if _add(session, action, actor):
            queued.append(action)
    return queued


def _add(session: Session, action: EnforcementAction, actor: str) -> bool:
    exists = select(EnforcementAction.id).where(EnforcementAction.dedupe_key == action.dedupe_key)
    if session.scalar(exists) is not None:
        return False
    session.add(action)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="action.queued",
        entity_type="enforcement_action",
        entity_id=str(action.id),
        reason=action.review_reason,
        after=snapshot(action),
        context={"scheme": action.scheme, "linked": True},
    )
    return True
