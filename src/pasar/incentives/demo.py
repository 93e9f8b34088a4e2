"""The demo's LIVE incentives: one shipped template made into an active program, the shops
eligible the day before the last complete month enrolled (segments frozen, holdout drawn),
and that month paid. Running it again changes nothing.

Example (what ``pasar demo`` calls after the governance pipeline)::

    with db.unit_of_work() as session:
        done = seed_demo(session, settings, last_day)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.incentives.models import IncentiveProgram
from pasar.incentives.payouts import last_complete, run_payout
from pasar.incentives.service import (
    Context,
    compiled_of,
    create_from_template,
    enrol,
    enrolments_of,
    set_status,
)

DEMO_TEMPLATE = "tiered-attainment"
DEMO_PROGRAM = "demo-live-attainment"
ACTOR = "demo"


@dataclass(frozen=True)
class DemoIncentives:
    """What the demo set up."""

    program: str
    period: str | None
    enrolled: int
    holdout: int
    run_id: int | None
    paid_merchants: int
    total: float


def seed_demo(session: Session, settings: Settings, today: dt.date) -> DemoIncentives:
    """Make the demo program (from :data:`DEMO_TEMPLATE`), enrol the shops eligible before
    the last month complete by ``today`` (the warehouse's last day), and pay that month."""
    ctx = Context.of(settings)
    row = session.scalar(select(IncentiveProgram).where(IncentiveProgram.key == DEMO_PROGRAM))
    if row is None:
        row = create_from_template(session, ctx, DEMO_TEMPLATE, DEMO_PROGRAM, ACTOR)
    if row.status == "draft":
        row = set_status(session, DEMO_PROGRAM, "active", row.version, ACTOR)
    con = ctx.connect()
    window = last_complete(compiled_of(ctx, row), today)
    if window is None:
        return DemoIncentives(DEMO_PROGRAM, None, 0, 0, None, 0, 0.0)
    enrol(session, ctx, DEMO_PROGRAM, window.start - dt.timedelta(days=1), ACTOR, con)
    run = run_payout(session, ctx, DEMO_PROGRAM, window.label, ACTOR, con)
    arms = [e.arm for e in enrolments_of(session, row.id)]
    return DemoIncentives(
        DEMO_PROGRAM,
        window.label,
        len(arms),
        arms.count("holdout"),
        run.id,
        run.paid_merchants,
        float(run.total),
    )
