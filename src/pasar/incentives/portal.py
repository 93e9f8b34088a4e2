"""What a merchant sees of its incentives: the programs it takes part in, its progress in the
current period (measured up to the warehouse's last day), the reward that progress would earn
if the period ended now, and its past payouts with their explanations.

Merchants drawn into a holdout do not see the program (they are not told they are measured).

Example::

    for item in my_programs(session, ctx, "S000123"):
        item["program"], item["progress"], item["expected_reward"]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.incentives.models import Enrolment, IncentiveProgram, PayoutLine, PayoutRun
from pasar.incentives.payouts import compute, gather_measures, roster
from pasar.incentives.service import Context, compiled_of
from pasar.incentives.spec import Window
from pasar.kit.errors import PasarError


def my_programs(
    session: Session,
    ctx: Context,
    seller_id: str,
    con: duckdb.DuckDBPyConnection | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The seller's active or closed programs (treatment arm), each with its current period
    progress and expected reward, and its payouts, newest first."""
    rows = session.execute(
        select(Enrolment, IncentiveProgram)
        .join(IncentiveProgram, IncentiveProgram.id == Enrolment.program_id)
        .where(Enrolment.seller_id == seller_id, Enrolment.arm == "treatment")
        .where(IncentiveProgram.status != "draft")
        .order_by(IncentiveProgram.key)
    ).all()
    found = []
    for enrolment, program_row in rows:
        item: dict[str, Any] = {
            "program": program_row.key,
            "name": program_row.name,
            "status": program_row.status,
            "enrolled_on": enrolment.enrolled_on,
            "tier": enrolment.tier,
            "stage": enrolment.stage,
            "period": None,
            "progress": None,
            "level": None,
            "expected_reward": None,
            "explanation_en": None,
            "explanation_id": None,
            "payouts": _payouts(session, program_row.id, seller_id),
        }
        try:
            item.update(_current(session, ctx, program_row, seller_id, con, today))
        except PasarError as exc:
            item["explanation_en"] = item["explanation_id"] = str(exc)
        found.append(item)
    return found


def _payouts(session: Session, program_id: int, seller_id: str) -> list[dict[str, Any]]:
    lines = session.execute(
        select(PayoutLine, PayoutRun)
        .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
        .where(PayoutRun.program_id == program_id, PayoutLine.seller_id == seller_id)
        .order_by(PayoutRun.period_start.desc(), PayoutRun.id.desc())
    ).all()
    return [
        {
            "run_id": run.id,
            "period": run.period,
            "kind": run.kind,
            "pay_on": run.pay_on,
            "status": line.status,
            "level": line.level,
            "amount": line.amount,
            "clawback": line.clawback,
            "explanation_en": line.explanation_en,
            "explanation_id": line.explanation_id,
        }
        for line, run in lines
    ]


def _current(
    session: Session,
    ctx: Context,
    row: IncentiveProgram,
    seller_id: str,
    con: duckdb.DuckDBPyConnection | None,
    today: dt.date | None,
) -> dict[str, Any]:
    compiled = compiled_of(ctx, row)
    program = compiled.program
    con = con or ctx.connect()
    last = today or ctx.last_day(con)
    window = program.period.window(last)
    if not program.period.covers(window) or row.status != "active":
        return {}
    so_far = Window(window.start, min(window.end, last), window.label)
    who = roster(session, row.id, window)
    if seller_id not in who.sellers:
        return {}
    measures = gather_measures(ctx, con, compiled, so_far, so_far.end, who.sellers)
    everyone = len(who.sellers)
    period = compute(
        program, so_far, so_far.end, who.sellers, who.tiers, who.stages, who.arms, measures,
        np.ones(everyone, dtype=bool), np.zeros(everyone, dtype=bool), ctx.settings.currency,
        "progress",
    )  # fmt: skip
    i = who.sellers.index(seller_id)
    progress = period.progress[i]
    return {
        "period": f"{window.label} ({window.start} → {window.end}, data to {so_far.end})",
        "progress": None if progress != progress else float(progress),
        "level": period.level[i],
        "expected_reward": float(period.amount[i]),
        "explanation_en": period.explanation_en[i],
        "explanation_id": period.explanation_id[i],
    }
