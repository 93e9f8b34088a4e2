"""The points ledger against an independent replay of the scheme's rules (hypothesis).

Random schemes (expiry, terminal level, quarterly reset, repeat window, a ladder of one to
three steps) and random point findings for a few sellers over 120 days run through
``apply_day`` day by day; the balances, issues and ladder actions read back from the database
must equal a replay written here from the rules alone:

- an issue on day d takes ``points``, or ``points_max`` when the same policy hit the same
  seller within the repeat window before d (d - window <= earlier < d);
- it expires on d + expiry_days (first thing that day) unless the seller's end-of-day balance
  reached the terminal level on an earlier day;
- on a quarter's first day (quarterly schemes) every open issue is cleared, and a cleared
  issue never expires later;
- a step starts its action on the day the balance crosses it upwards (queued for a person
  when the step says so or the seller's GMV is at the threshold), a warning goes out when the
  balance enters the margin below a step, open-ended actions (in force or still queued) end
  the day before the balance falls back below their step.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pasar.governance.ledger import balance, balance_as_of, moves_of, peak_by
from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.scheme import Scheme
from pasar.kit.db import Base, Database
from tests.governance._helpers import make_scheme, points, run_day

SELLERS = ("S1", "S2", "S3")
POLICIES = ("late", "cancel")
DAYS = 120
Hit = tuple[str, str, int, int | None]  # seller, policy, points, points_max
ActionKey = tuple[str, str, str, int | None, dt.date]  # seller, action, source, at, starts_on
ActionState = tuple[dt.date | None, str]  # ends_on, status


@dataclass
class Case:
    scheme: Scheme
    start: dt.date
    hits: dict[dt.date, list[Hit]]
    gmv: dict[str, float]

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(DAYS)]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    ats = sorted(draw(st.lists(st.integers(1, 25), min_size=1, max_size=3, unique=True)))
    ladder = [
        {
            "at": at,
            "action": f"step_{at}",
            "days": draw(st.none() | st.integers(1, 10)),
            "human_review": draw(st.booleans()),
        }
        for at in ats
    ]
    scheme = make_scheme(
        expiry_days=draw(st.integers(1, 30)),
        terminal_points=draw(st.none() | st.integers(5, 30)),
        reset=draw(st.sampled_from(["none", "quarterly"])),
        repeat_window_days=draw(st.integers(0, 10)),
        warning_margin=draw(st.integers(0, 5)),
        human_review_gmv_30d=draw(st.none() | st.just(1_000.0)),
        ladder=ladder,
    )
    start = dt.date(2025, 12, 1) + dt.timedelta(days=draw(st.integers(0, 150)))
    events = draw(
        st.lists(
            st.tuples(
                st.integers(0, DAYS - 1),
                st.sampled_from(SELLERS),
                st.sampled_from(POLICIES),
                st.integers(1, 5),
                st.none() | st.integers(0, 5),
            ),
            min_size=10,
            max_size=60,
        )
    )
    hits: dict[dt.date, list[Hit]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    for offset, seller, policy, pts, extra in events:
        if (offset, seller, policy) in seen:  # the evaluation yields one finding per pair
            continue
        seen.add((offset, seller, policy))
        day = start + dt.timedelta(days=offset)
        hits[day].append((seller, policy, pts, None if extra is None else pts + extra))
    gmv = {s: draw(st.sampled_from([0.0, 999.0, 1_000.0, 5_000.0])) for s in SELLERS}
    return Case(scheme, start, dict(hits), gmv)


@dataclass
class Issue:
    seller: str
    policy: str
    day: dt.date
    points: int
    expires: dt.date
    open: bool = True


@dataclass
class Replay:
    balances: dict[str, dict[dt.date, int]] = field(default_factory=lambda: defaultdict(dict))
    issues: list[Issue] = field(default_factory=list)
    actions: dict[ActionKey, ActionState] = field(default_factory=dict)


def replay(case: Case) -> Replay:
    """The rules of the module docstring, day by day, without the database."""
    scheme = case.scheme
    out = Replay()
    held: dict[str, int] = dict.fromkeys(SELLERS, 0)
    peak: dict[str, int] = dict.fromkeys(SELLERS, 0)  # highest end-of-day balance so far
    hit_days: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for day in case.days:
        old = dict(held)
        for issue in out.issues:  # 1. expiries (the terminal level: before today)
            if issue.open and issue.expires == day:
                if scheme.terminal_points is not None and peak[issue.seller] >= (
                    scheme.terminal_points
                ):
                    event("an issue kept by the terminal level")
                    continue
                event("an issue expired")
                issue.open = False
                held[issue.seller] -= issue.points
        quarter_start = day.day == 1 and day.month in (1, 4, 7, 10)
        if scheme.reset == "quarterly" and quarter_start:  # 2. reset
            for issue in out.issues:
                if issue.open:
                    event("an issue cleared by a reset")
                    issue.open = False
                    held[issue.seller] -= issue.points
        for seller, policy, pts, pts_max in case.hits.get(day, []):  # 3. issues
            window = scheme.repeat_window_days
            earlier = hit_days[(seller, policy)]
            repeat = any(day - dt.timedelta(days=window) <= h < day for h in earlier)
            amount = pts_max if repeat and pts_max is not None else pts
            if repeat:
                event("a repeat offence" + (" with a range" if pts_max is not None else ""))
            earlier.append(day)
            out.issues.append(
                Issue(seller, policy, day, amount, day + dt.timedelta(days=scheme.expiry_days))
            )
            held[seller] += amount
        for seller in SELLERS:  # 4. the ladder
            _ladder(case, day, seller, old[seller], held[seller], out.actions)
            out.balances[seller][day] = held[seller]
            peak[seller] = max(peak[seller], held[seller])
    return out


def _ladder(
    case: Case,
    day: dt.date,
    seller: str,
    old: int,
    new: int,
    actions: dict[ActionKey, ActionState],
) -> None:
    scheme = case.scheme
    threshold = scheme.human_review_gmv_30d
    rich = threshold is not None and case.gmv[seller] >= threshold
    for step in scheme.ladder:
        if old < step.at <= new:
            ends = day + dt.timedelta(days=step.days - 1) if step.days else None
            status = "pending_review" if step.human_review or rich else "active"
            actions[(seller, step.action, "ladder", step.at, day)] = (ends, status)
            event(f"a ladder action {status}")
        elif new < step.at <= old and step.days is None:
            for key, (ends, status) in actions.items():
                same = key[0] == seller and key[1] == step.action and key[2] == "ladder"
                if same and status in ("active", "pending_review") and ends is None:
                    actions[key] = (day - dt.timedelta(days=1), "ended")
                    event("an open-ended action ended")
        near = step.at - scheme.warning_margin
        if scheme.warning_margin and old < near <= new < step.at:
            actions[(seller, "warning", "warning", step.at, day)] = (day, "active")
            event("a warning")


def _database() -> Database:
    db = Database("sqlite://")
    Base.metadata.create_all(db.engine)
    return db


def _case(start: dt.date, hits: dict[int, list[Hit]], **scheme: Any) -> Case:
    days = {start + dt.timedelta(days=offset): rows for offset, rows in hits.items()}
    return Case(make_scheme(**scheme), start, days, dict.fromkeys(SELLERS, 0.0))


# the terminal level: S1 reaches it before its first expiry (nothing expires); S2 would be at
# 9 on its expiry day had its first points stayed, but expiries come first (4 leave, 5 stay);
# S3 never reaches it
TERMINAL = _case(
    dt.date(2026, 1, 10),
    {
        0: [("S1", "late", 5, None), ("S2", "late", 4, None), ("S3", "late", 2, None)],
        1: [("S1", "cancel", 3, None)],
        5: [("S2", "cancel", 5, None)],
        6: [("S3", "cancel", 5, None)],
    },
    expiry_days=5,
    terminal_points=8,
    ladder=[{"at": 6, "action": "step_6"}],
)
# a quarterly reset: points expiring on 1 April expire (no reset), the others are reset and
# never expire later; points of 1 April itself stay; a repeat across the reset takes the max
RESET = _case(
    dt.date(2026, 3, 20),
    {
        0: [("S1", "late", 2, None)],
        5: [("S1", "cancel", 3, None), ("S2", "late", 4, 5)],
        12: [("S2", "late", 1, 3), ("S3", "late", 5, None)],
    },
    expiry_days=12,
    reset="quarterly",
    repeat_window_days=10,
    terminal_points=6,
    ladder=[{"at": 4, "action": "step_4"}],
)


@example(case=TERMINAL)
@example(case=RESET)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_the_ledger_equals_an_independent_replay_of_the_rules(case: Case) -> None:
    expected = replay(case)
    db = _database()
    try:
        for day in case.days:
            rows: list[dict[str, Any]] = [
                points(day, seller, policy, pts, pts_max)
                for seller, policy, pts, pts_max in case.hits.get(day, [])
            ]
            run_day(db, case.scheme, day, rows, case.gmv)
        with db.unit_of_work() as session:
            for seller in SELLERS:
                moves = moves_of(session, seller)
                running_peak = 0
                for day in case.days:
                    want = expected.balances[seller][day]
                    running_peak = max(running_peak, want)
                    got = balance(session, seller, day)
                    assert got == want, (seller, day, got, want)
                    assert got >= 0
                    assert balance_as_of(moves, day) == want
                    assert peak_by(moves, day) == running_peak
            issued = sorted(
                (e.seller_id, e.effective_on, e.policy_id or "", e.points)
                for e in session.scalars(select(PointsEntry).where(PointsEntry.kind == "issue"))
            )
            acts = {
                (a.seller_id, a.action, a.source, a.step_at, a.starts_on): (a.ends_on, a.status)
                for a in session.scalars(select(EnforcementAction))
            }
    finally:
        db.dispose()
    assert issued == sorted((i.seller, i.day, i.policy, i.points) for i in expected.issues)
    assert acts == expected.actions
