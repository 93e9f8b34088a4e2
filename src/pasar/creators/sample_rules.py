"""The rules of free and refundable samples (../shared/reference/creators.md §1.4, §1.5).

Lifecycle (mirroring the platform's sample applications)::

    requested ──approve──▶ approved ──ship──▶ shipped ──deliver──▶ delivered ──post──▶ posted
        │ reject / expire / withdraw     │ cancel         │ cancel            │ cancel

* The seller decides within :data:`DECISION_DAYS` (7) days of the request; an undecided
  request expires (``expired``) and can no longer be approved.
* Content is due :data:`CONTENT_DAYS` (14) days after delivery; the creator may get exactly one
  extension of :data:`EXTENSION_DAYS` (7) days, asked for before the deadline passes.
  Delivered samples past their deadline are *overdue* and flagged to their point of contact.
  Content posted late still completes the sample but does not count as fulfilled.
* Refundable samples: the creator buys the sample and is refunded once the seller's goal of
  1–3 orders (default 1) is reached within :data:`REFUND_GOAL_DAYS` (90) days of delivery —
  also its content deadline, without extension; they do not count against the monthly cap.
* Monthly caps by Creator Level: the platform's free-sample caps are 5, 20 and 50 requests a
  month for creators under $5K, $5K–$150K and over $150K of monthly GMV (US; no Indonesian table
  was published). Pasar applies them to the Creator Levels of creator analytics
  (``catalog/creators/affiliate.yml``: previous month's GMV and active days): 5 for L0–L4,
  20 for L5–L7 (from Rp 75 jt ≈ $5K), 50 for L8.

Example:
    >>> monthly_cap(0), monthly_cap(5), monthly_cap(8)
    (5, 20, 50)
"""

from __future__ import annotations

import datetime as dt

from pasar.kit.errors import ValidationError

KINDS = ("free", "refundable")
OPEN = ("requested", "approved", "shipped", "delivered")
CLOSED = ("posted", "rejected", "expired", "withdrawn", "cancelled")
STATUSES = OPEN + CLOSED
REJECT_CODES = ("not_match", "offline", "out_of_stock", "other")
FORMATS = ("video", "live")

DECISION_DAYS = 7
CONTENT_DAYS = 14
EXTENSION_DAYS = 7
REFUND_GOAL_DAYS = 90
REFUND_GOAL_DEFAULT = 1
REFUND_GOAL_RANGE = (1, 3)
FULFILMENT_DAYS = 90

# free-sample requests a month by Creator Level: 5 below L5 (< $5K), 20 for L5–L7, 50 at L8
MONTHLY_CAPS: tuple[int, ...] = (5, 5, 5, 5, 5, 20, 20, 20, 50)

_MOVES = {
    "requested": ("approved", "rejected", "expired", "withdrawn"),
    "approved": ("shipped", "delivered", "cancelled"),
    "shipped": ("delivered", "cancelled"),
    "delivered": ("posted", "cancelled"),
}


def monthly_cap(level: int) -> int:
    """Free-sample requests a creator of ``level`` may make in a calendar month."""
    if not 0 <= level < len(MONTHLY_CAPS):
        raise ValidationError(f"level {level} is not between 0 and 8", field="level")
    return MONTHLY_CAPS[level]


def check_move(status: str, to: str) -> None:
    """Refuse a change of status the lifecycle does not allow."""
    allowed = _MOVES.get(status, ())
    if to not in allowed:
        where = ", ".join(allowed) if allowed else "nothing (it is closed)"
        raise ValidationError(
            f"a sample that is {status} cannot become {to}; it can become {where}",
            field="status",
        )


def decision_due(requested_at: dt.datetime) -> dt.datetime:
    return requested_at + dt.timedelta(days=DECISION_DAYS)


def content_due(delivered_at: dt.datetime) -> dt.datetime:
    return delivered_at + dt.timedelta(days=CONTENT_DAYS)


def goal_due(delivered_at: dt.datetime) -> dt.datetime:
    return delivered_at + dt.timedelta(days=REFUND_GOAL_DAYS)


def content_overdue(status: str, due: dt.datetime | None, moment: dt.datetime) -> bool:
    """Whether a sample owes content whose deadline has passed."""
    return status == "delivered" and due is not None and moment > due
