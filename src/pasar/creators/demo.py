"""Demo data for creator collaboration: a realistic pipeline, samples in every state, a sample
voucher and issues on the desk, for the creators the demo agent looks after.

Everything goes through the services (eligibility, caps, deadlines, audit), with the clock
moved back to when each step happened, so that on ``today`` the console shows live deadlines,
overdue content, expired requests and breached SLA clocks. Products come from the warehouse,
matched to each creator's category. Running it again adds nothing.

Example (after the demo users exist)::

    with db.unit_of_work() as session:
        seed_demo(session, settings, dt.date.today())
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.auth.models import User
from pasar.config import Settings
from pasar.creators import issues, pitches, samples, vouchers
from pasar.creators.agencies import create_agency, find_agency, join_agency
from pasar.creators.assignments import assigned_to
from pasar.creators.collaboration_models import Pitch, SampleRequest
from pasar.creators.days import ZONE
from pasar.creators.eligibility import SamplePolicies, policies_for, standing_of
from pasar.creators.profiles import find_creators
from pasar.kit.clock import frozen_at
from pasar.kit.errors import PasarError
from pasar.warehouse.store import MANIFEST, Warehouse

ACTOR = "demo"
T = TypeVar("T")
# (stage, days ago it was added, next action in days from today or None, channel)
PIPELINE = (
    ("shortlisted", 1, 2, None),
    ("shortlisted", 2, -1, None),
    ("contacted", 6, -2, "tiktok_im"),
    ("contacted", 4, 1, "whatsapp"),
    ("contacted", 9, -4, "tc_invite"),
    ("replied", 8, 0, "whatsapp"),
    ("replied", 12, -1, "tiktok_im"),
    ("agreed", 15, 3, "whatsapp"),
    ("ghosted", 20, None, "tiktok_im"),
    ("declined", 18, None, "email"),
)
# samples: (what happens to it, days ago it was requested, kind)
SAMPLES = (
    ("requested", 2, "free"),
    ("expired", 9, "free"),
    ("rejected", 6, "free"),
    ("withdrawn", 5, "free"),
    ("approved", 4, "free"),
    ("shipped", 6, "free"),
    ("delivered", 10, "free"),
    ("extended", 19, "free"),
    ("overdue", 24, "free"),
    ("posted", 30, "free"),
    ("posted_late", 40, "free"),
    ("cancelled", 12, "free"),
    ("refundable", 20, "refundable"),
    ("refund_earned", 35, "refundable"),
)


@dataclass
class DemoReport:
    """What the demo added."""

    pitches: Counter[str] = field(default_factory=Counter)
    samples: Counter[str] = field(default_factory=Counter)
    vouchers: int = 0
    redemptions: int = 0
    issues: Counter[str] = field(default_factory=Counter)
    skipped: str = ""

    def __str__(self) -> str:
        if self.skipped:
            return self.skipped
        return (
            f"{sum(self.pitches.values())} pitches, {sum(self.samples.values())} samples "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.samples.items()))}), "
            f"{self.vouchers} voucher ({self.redemptions} codes redeemed), "
            f"{sum(self.issues.values())} issues"
        )


DEMO_AGENCY = "Mitra Kreator Nusantara"  # the outsourced agency the demo agent works for


def seed_demo(session: Session, settings: Settings, today: dt.date) -> DemoReport:
    """Pitches, samples, a voucher and issues for the demo agent's creators, dated so that
    ``today`` (pass the real today) shows every state. Nothing is added when pitches exist."""
    report = DemoReport()
    if session.scalar(select(func.count()).select_from(Pitch)):
        report.skipped = "creator collaboration demo data already present"
        return report
    agent = _user(session, "agent", "agent")
    manager = _user(session, "creator-manager", "creator_manager")
    creators = sorted(assigned_to(session, agent.id, today)) if agent else []
    products = _products(settings)
    if agent is None or not creators or not products:
        report.skipped = "no demo agent with creators, or no products in the warehouse"
        return report
    owners = [agent.username, manager.username if manager else agent.username]
    if find_agency(session, DEMO_AGENCY) is None:
        create_agency(session, DEMO_AGENCY, "system:demo", contact="ops@mitra-kreator.example")
    join_agency(session, DEMO_AGENCY, [agent], today, "system:demo")
    noon = dt.datetime.combine(today, dt.time(12), ZONE).astimezone(dt.UTC)

    def at(days_ago: float) -> dt.datetime:
        return noon - dt.timedelta(days=days_ago)

    categories = {c["creator_id"]: c["primary_category"] for c in find_creators(settings, None)}
    picks = _Picker(products)
    made: list[Pitch] = []
    for i, creator in enumerate(creators[: len(PIPELINE) + 6]):
        stage, ago, due, channel = PIPELINE[i % len(PIPELINE)]
        product = picks.for_category(categories.get(creator))
        with frozen_at(at(ago)):
            pitch = pitches.add_pitch(
                session,
                seller_id=product[1],
                creator_id=creator,
                owner=owners[i % 2],
                actor=ACTOR,
                product_id=product[0],
                campaign="12.12 Harbolnas",
                channel=channel,
                notes="Matched on category and price band",
                next_action=_next_action(stage),
                next_action_on=today + dt.timedelta(days=due) if due is not None else None,
            )
        if stage != "shortlisted":
            with frozen_at(at(ago - 1)):
                reason = "Rate too low for the audience" if stage == "declined" else None
                if stage in ("declined", "ghosted"):
                    pitches.advance(session, pitch.id, "contacted", ACTOR)
                pitches.advance(session, pitch.id, stage, ACTOR, reason=reason)
        made.append(pitch)
        report.pitches[pitch.stage] += 1
    policies = policies_for(settings)
    sampled: list[SampleRequest] = []
    for i, (state, ago, kind) in enumerate(SAMPLES):
        creator = creators[i % len(creators)]
        product = picks.for_category(categories.get(creator))
        sample = _sample(session, settings, policies, creator, product, state, kind, at, ago, today)
        if sample is not None:
            sampled.append(sample)
            report.samples[state] += 1
    with frozen_at(noon):
        samples.sweep(session, ACTOR)  # the expired request and the overdue content
    _voucher(session, sampled, at, report)
    _issues(session, sampled, made, at, noon, report)
    return report


class _Picker:
    """Products in turn, preferring a creator's category (each product used once)."""

    def __init__(self, products: list[tuple[str, str, str, Decimal]]) -> None:
        self.products, self.used = products, set()  # type: ignore[var-annotated]

    def for_category(self, category: str | None) -> tuple[str, str, str, Decimal]:
        fresh = [p for p in self.products if p[0] not in self.used]
        same = [p for p in fresh if p[2] == category] or fresh or self.products
        chosen = same[0]
        self.used.add(chosen[0])
        return chosen


def _sample(
    session: Session,
    settings: Settings,
    policies: SamplePolicies,
    creator: str,
    product: tuple[str, str, str, Decimal],
    state: str,
    kind: str,
    at: Callable[[float], dt.datetime],
    ago: float,
    today: dt.date,
) -> SampleRequest | None:
    """One sample taken through the steps of ``state`` at their own moments (eligibility is
    judged on the creator's latest snapshot: the demo's history predates the snapshots)."""
    moment = at(ago)
    standing = standing_of(session, settings, creator, today, moment)
    verdict = policies.evaluate(standing, moment.astimezone(ZONE).date())
    if kind == "free" and not verdict.eligible:
        kind = "refundable"  # what a seller offers a creator below its thresholds
    cost = (product[3] * Decimal("0.6")).quantize(Decimal(1))
    try:
        with frozen_at(moment):
            sample = samples.request_sample(
                session,
                creator_id=creator,
                seller_id=product[1],
                product_id=product[0],
                actor=ACTOR,
                standing=standing,
                policies=policies,
                kind=kind,
                refund_goal_orders={"refund_earned": 2, "refundable": 3}.get(state)
                if kind == "refundable"
                else None,
                sample_cost=cost,
            )
    except PasarError:
        return None  # over the creator's monthly cap: the demo has enough without it
    sid = sample.id

    def step(days_after: float, run: Callable[[], T]) -> T:
        with frozen_at(moment + dt.timedelta(days=days_after)):
            return run()

    if state == "rejected":
        step(
            2,
            lambda: samples.decide(
                session,
                sid,
                "reject",
                ACTOR,
                reject_code="not_match",
                reason="Audience skews outside our market",
            ),
        )
    if state == "withdrawn":
        step(1, lambda: samples.withdraw(session, sid, ACTOR))
    if state in ("requested", "expired", "rejected", "withdrawn"):
        return sample
    step(1, lambda: samples.decide(session, sid, "approve", ACTOR))
    if state == "approved":
        return sample
    step(
        2,
        lambda: samples.ship(
            session, sid, ACTOR, tracking_number=f"JNE{sid:08d}", shipping_cost=Decimal(12_000)
        ),
    )
    if state == "shipped":
        return sample
    step(4, lambda: samples.deliver(session, sid, ACTOR))
    if state == "cancelled":
        step(5, lambda: samples.cancel(session, sid, ACTOR, "Wrong shade sent; seller refunds"))
    elif state == "extended":
        step(12, lambda: samples.extend(session, sid, ACTOR, "Waiting for the payday LIVE slot"))
    elif state in ("posted", "posted_late"):
        days = 10 if state == "posted" else 22
        step(
            days,
            lambda: samples.post_content(
                session, sid, ACTOR, f"https://www.tiktok.com/@{creator.lower()}/video/{sid}"
            ),
        )
    elif state == "refund_earned":
        step(
            9,
            lambda: samples.post_content(
                session,
                sid,
                ACTOR,
                f"https://www.tiktok.com/@{creator.lower()}/live/{sid}",
                content_format="live",
            ),
        )
        step(20, lambda: samples.record_goal_orders(session, sid, 2, ACTOR))
    elif state == "refundable":
        step(8, lambda: samples.record_goal_orders(session, sid, 1, ACTOR))
    return sample


def _voucher(
    session: Session,
    sampled: list[SampleRequest],
    at: Callable[[float], dt.datetime],
    report: DemoReport,
) -> None:
    """One seller's sample voucher: codes for the creators it sent samples to, two redeemed."""
    mine = [s for s in sampled if s.kind == "free" and s.status in ("delivered", "posted")]
    if not mine:
        return
    seller = mine[0].seller_id
    with frozen_at(at(30)):
        voucher = vouchers.create_voucher(
            session,
            seller_id=seller,
            name="Harbolnas 12.12 seeding",
            face_value=Decimal(75_000),
            budget=Decimal(1_500_000),
            actor=ACTOR,
            codes=10,
            creators=sorted({s.creator_id for s in mine})[:5],
        )
    report.vouchers = 1
    codes = vouchers.codes_of(session, voucher.id)
    # one code paid for the first sample of this seller; one unissued code used on an order
    issued = next(c for c in codes if c.creator_id == mine[0].creator_id)
    spare = next(c for c in codes if c.creator_id is None)
    with frozen_at(at(29)):
        vouchers.redeem(session, issued.code, ACTOR, sample_id=mine[0].id)
    with frozen_at(at(28)):
        vouchers.redeem(session, spare.code, ACTOR, amount=Decimal(60_000), order_ref="O-DEMO-1")
    report.redemptions = 2


def _issues(
    session: Session,
    sampled: list[SampleRequest],
    made: list[Pitch],
    at: Callable[[float], dt.datetime],
    noon: dt.datetime,
    report: DemoReport,
) -> None:
    """A desk with a breached urgent issue, a responded one, a resolved one, a reopened one
    and a fresh one raised by a seller."""
    by_state = {s.status: s for s in sampled}
    shipped = by_state.get("shipped") or sampled[0]
    posted = by_state.get("posted") or sampled[-1]
    overdue = by_state.get("delivered") or sampled[0]
    plans = (
        (
            shipped,
            "sample_not_received",
            "urgent",
            "creator",
            1.5,
            "Parcel stuck at the hub",
            "Tracking has not moved for three days since the Cikarang hub.",
        ),
        (
            posted,
            "wrong_commission",
            "high",
            "creator",
            3,
            "Commission 5% instead of 12%",
            "The affiliate order shows 5% although the target collaboration says 12%.",
        ),
        (
            posted,
            "content_rejected",
            "normal",
            "agent",
            8,
            "Video flagged as unoriginal",
            "The video was taken down for reused footage; the creator filmed it herself.",
        ),
        (
            overdue,
            "defective_sample",
            "normal",
            "creator",
            6,
            "Cracked bottle",
            "The serum bottle arrived cracked; the creator asks for a replacement.",
        ),
        (
            None,
            "missing_content",
            "low",
            "seller",
            0.2,
            "Two samples without content",
            "The shop sent two samples last month and has seen no video yet.",
        ),
    )
    for sample, kind, priority, raised_by, ago, title, description in plans:
        with frozen_at(at(ago)):
            issue = issues.open_issue(
                session,
                kind=kind,
                title=title,
                description=description,
                raised_by_kind=raised_by,
                actor=ACTOR,
                priority=priority,
                sample_id=sample.id if sample is not None else None,
                seller_id=made[0].seller_id if sample is None else None,
            )
        iid = issue.id
        if kind == "wrong_commission":
            with frozen_at(at(ago) + dt.timedelta(hours=2)):
                issues.respond(session, iid, ACTOR, "Raised with the seller's finance team.")
        if kind in ("content_rejected", "defective_sample"):
            with frozen_at(at(ago) + dt.timedelta(hours=5)):
                issues.respond(session, iid, ACTOR, "Appeal filed with the platform.")
            with frozen_at(at(ago) + dt.timedelta(days=2)):
                issues.resolve(session, iid, ACTOR, "Appeal accepted; the video is back up.")
        if kind == "defective_sample":
            with frozen_at(at(1)):
                issues.reopen(session, iid, ACTOR, "The replacement also arrived cracked.")
        report.issues[kind] += 1
    with frozen_at(noon):
        issues.escalate_breaches(session, ACTOR)


def _user(session: Session, username: str, role: str) -> User | None:
    """The demo user ``username``, else the first user with ``role``."""
    user = session.scalar(select(User).where(User.username == username, User.role == role))
    return user or session.scalar(select(User).where(User.role == role).order_by(User.id))


def _products(settings: Settings) -> list[tuple[str, str, str, Decimal]]:
    """Active products with a seller, category and price, cheapest-first per category."""
    warehouse = Warehouse(settings.warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        return []
    con = warehouse.connect()
    try:
        rows = con.execute(
            "SELECT product_id, seller_id, category, price FROM products "
            "WHERE status = 'active' AND seller_id IS NOT NULL AND price IS NOT NULL "
            "AND NOT coalesce(_stub, false) ORDER BY category, price, product_id LIMIT 5000"
        ).fetchall()
    finally:
        con.close()
    return [(str(p), str(s), str(c), Decimal(str(price))) for p, s, c, price in rows]


def _next_action(stage: str) -> str | None:
    return {
        "shortlisted": "Send the brief on TikTok IM",
        "contacted": "Follow up (second message)",
        "replied": "Agree the commission and the sample",
        "agreed": "Send the sample request link",
    }.get(stage)
