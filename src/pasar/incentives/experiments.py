"""A program's measurement over one of its periods, from the warehouse and its enrolments.

With a holdout: treatment merchants against holdout merchants on each outcome — LIVE GMV and
valid sessions (Welch, and CUPED with the same measure of the period before), valid hours,
GPM and click-to-order (ratios by the delta method) — overall, per segment tier and per stage
(frozen at enrolment), each with its absolute and relative effect, 95% intervals, the
Bayesian chance to win and the always-valid (sequential) interval; and the sample-ratio check
of the arms against the holdout share.

Without a holdout: difference-in-differences of the enrolled merchants against the shops not
enrolled (of the program's tiers and stages), the period against the one before.

Example::

    report = measure_program(session, ctx, "oct-attainment", "2026-10")
    saved = save(session, ctx, report, "user:mira")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit
from pasar.incentives.measurement import (
    SRM_ALPHA,
    CupedStats,
    MeanStats,
    RatioStats,
    bayesian,
    cuped,
    did,
    sequential,
    srm_p_value,
    welch,
)
from pasar.incentives.models import Experiment
from pasar.incentives.payouts import gather_measures, roster
from pasar.incentives.service import Context, compiled_of, get_program, segments_on
from pasar.incentives.spec import STAGES, TIERS, Window
from pasar.kit.errors import ValidationError

MEAN_METRICS = ("live_gmv", "valid_sessions", "valid_hours")
CUPED_METRICS = ("live_gmv", "valid_sessions")
RATIO_METRICS = {
    "gpm": ("live_gmv", "live_views", 1000.0),
    "click_to_order": ("live_orders", "product_clicks", 1.0),
}
MIN_ARM = 2  # fewer merchants than this in an arm: no estimate for the segment


@dataclass(frozen=True)
class Report:
    """A measurement as computed (what :class:`Experiment` stores)."""

    program: str
    design: str
    window: Window
    before: Window
    body: dict[str, Any]


def measure_program(
    session: Session,
    ctx: Context,
    key: str,
    period: str,
    con: duckdb.DuckDBPyConnection | None = None,
    alpha: float = 0.05,
) -> Report:
    """Measure program ``key`` over ``period`` (a complete period of the warehouse)."""
    row = get_program(session, key)
    compiled = compiled_of(ctx, row)
    program = compiled.program
    try:
        window = program.period.parse(period)
    except ValueError as exc:
        raise ValidationError(str(exc), field="period") from exc
    before = program.period.shifted(window, 1)
    con = con or ctx.connect()
    if window.end > ctx.last_day(con):
        raise ValidationError(f"period {period} is not complete in the warehouse", field="period")
    who = roster(session, row.id, window)
    if not who.sellers:
        raise ValidationError(f"nobody is enrolled in {key} by {window.end}", field="period")
    if program.holdout is not None and "holdout" in who.arms:
        now = gather_measures(ctx, con, compiled, window, window.end, who.sellers)
        then = gather_measures(ctx, con, compiled, before, before.end, who.sellers)
        arms = np.asarray(who.arms)
        body = _holdout_report(
            now, then, arms, np.asarray(who.tiers), np.asarray(who.stages), program.holdout.share,
            alpha,
        )  # fmt: skip
        design = "holdout"
    else:
        shops = segments_on(ctx, window.start - dt.timedelta(days=1), con)
        enrolled = set(who.sellers)
        treated_arms = dict(zip(who.sellers, who.arms, strict=True))
        others = [
            r["seller_id"]
            for r in shops.table.to_pylist()
            if r["seller_id"] not in enrolled
            and (not program.eligibility.tiers or r["tier"] in program.eligibility.tiers)
            and (not program.eligibility.stages or r["stage"] in program.eligibility.stages)
        ]
        sellers = [s for s in who.sellers if treated_arms[s] == "treatment"] + others
        treated = np.array([s in enrolled for s in sellers], dtype=bool)
        now = gather_measures(ctx, con, compiled, window, window.end, sellers)
        then = gather_measures(ctx, con, compiled, before, before.end, sellers)
        body = {
            "did": {
                metric: did(then[metric], now[metric], treated, alpha).as_dict()
                for metric in MEAN_METRICS
            },
            "treated": int(treated.sum()),
            "control": int((~treated).sum()),
        }
        design = "did"
    return Report(key, design, window, before, body)


def _holdout_report(
    now: dict[str, np.ndarray],
    then: dict[str, np.ndarray],
    arms: np.ndarray,
    tiers: np.ndarray,
    stages: np.ndarray,
    share: float,
    alpha: float,
) -> dict[str, Any]:
    counts = [int((arms == "treatment").sum()), int((arms == "holdout").sum())]
    p_value = srm_p_value(counts, [1 - share, share])
    segments: list[tuple[str, np.ndarray]] = [("all", np.ones(len(arms), dtype=bool))]
    segments += [(f"tier:{t}", tiers == t) for t in TIERS if (tiers == t).any()]
    segments += [(f"stage:{s}", stages == s) for s in STAGES if (stages == s).any()]
    results = []
    for label, mask in segments:
        control, treatment = mask & (arms == "holdout"), mask & (arms == "treatment")
        if control.sum() < MIN_ARM or treatment.sum() < MIN_ARM:
            continue
        for metric in MEAN_METRICS:
            a, b = MeanStats.of(now[metric][control]), MeanStats.of(now[metric][treatment])
            row = _comparison(label, metric, "mean", a, b, alpha)
            if metric in CUPED_METRICS:
                ca = CupedStats.of(now[metric][control], then[metric][control])
                cb = CupedStats.of(now[metric][treatment], then[metric][treatment])
                row["cuped"] = cuped(ca, cb, False, alpha).as_dict()
                row["cuped_relative"] = cuped(ca, cb, True, alpha).as_dict()
            results.append(row)
        for metric, (top, bottom, scale) in RATIO_METRICS.items():
            ra = RatioStats.of(now[top][control] * scale, now[bottom][control])
            rb = RatioStats.of(now[top][treatment] * scale, now[bottom][treatment])
            results.append(_comparison(label, metric, "ratio", ra, rb, alpha))
    return {
        "srm": {
            "counts": {"treatment": counts[0], "holdout": counts[1]},
            "expected_share": share,
            "p_value": p_value,
            "mismatch": p_value < SRM_ALPHA,
        },
        "results": results,
    }


def _comparison(label: str, metric: str, kind: str, a: Any, b: Any, alpha: float) -> dict[str, Any]:
    absolute = welch(a, b, False, alpha)
    relative = welch(a, b, True, alpha)
    posterior = bayesian(relative, alpha)
    return {
        "segment": label,
        "metric": metric,
        "kind": kind,
        "n_control": a.n,
        "n_treatment": b.n,
        "control_mean": a.mean,
        "treatment_mean": b.mean,
        "absolute": absolute.as_dict(),
        "relative": relative.as_dict(),
        "chance_to_win": posterior.chance_to_win if posterior.error is None else None,
        "sequential": sequential(a, b, False, alpha).as_dict(),
    }


def save(session: Session, ctx: Context, report: Report, actor: str) -> Experiment:
    """Keep a measurement (audited)."""
    row = get_program(session, report.program)
    srm = report.body.get("srm", {}).get("p_value")
    experiment = Experiment(
        program_id=row.id,
        design=report.design,
        period=report.window.label,
        period_start=report.window.start,
        period_end=report.window.end,
        pre_start=report.before.start,
        pre_end=report.before.end,
        srm_p_value=srm,
        report=_json(report.body),
        created_by=actor,
    )
    session.add(experiment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incentive.measured",
        entity_type="incentive_experiment",
        entity_id=str(experiment.id),
        context={"program": report.program, "period": report.window.label, "design": report.design},
    )
    return experiment


def experiments_of(session: Session, program_id: int) -> list[Experiment]:
    return list(
        session.scalars(
            select(Experiment)
            .where(Experiment.program_id == program_id)
            .order_by(Experiment.period_start.desc(), Experiment.id.desc())
        )
    )


def _json(value: Any) -> Any:
    convert: Callable[[Any], Any] = _json
    if isinstance(value, dict):
        return {str(k): convert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [convert(v) for v in value]
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if np.isfinite(number) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value
