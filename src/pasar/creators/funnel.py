"""The affiliate growth funnel, outsourced agents' throughput and quality, samples' returns and
campaigns' efficiency: the operational store's pitches and samples joined with the warehouse's
attributed orders.

* **Funnel** — pitches first contacted in the period, and how many of them reached each later
  step: replied, agreed (accepted), sampled, posted, selling. *Selling* means the creator has at
  least one order for the pitch's seller placed after the agreement (or the pitch was moved to
  ``selling``).
* **Agent** — per owner of pitches: contacts, replies, agreements, content posted, creators
  selling, the GMV their agreed creators generated for the pitched sellers after agreeing and
  up to the end of the period, rates between the steps, and overdue next actions.
* **Agency** — the agents' scorecards summed per agency (:mod:`pasar.creators.agencies`),
  rates recomputed from the sums; owners in no agency form one group.
* **Sample returns** — per delivered sample: whether content was posted, and its ROI: the
  refund-adjusted (net) GMV the creator generated for the seller in the 30 days after delivery,
  against the sample cost + shipping + the commission paid on that GMV. Summed per creator
  (:func:`samples_by_creator`) and per campaign (in :func:`campaign_efficiency`) with the
  sample-to-content rate and the ROI recomputed from the sums.
* **Campaign efficiency** — per campaign (a seller's pitches sharing a campaign name):
  incremental GMV (its creators' GMV for the seller in the period less the same-length period
  before) per rupiah of samples, commission and sample vouchers, and the returns of the
  samples its creators received.

Example::

    steps = funnel(session, con, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    agents = agent_scorecard(session, con, start, end)
    by_agency = agency_scorecard(agents, agency_of_agents(session))
    per_creator = samples_by_creator(sample_returns(session, con, start, end))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.creators.collaboration_models import Pitch, SampleRequest, SampleVoucher, VoucherCode
from pasar.creators.rules import AffiliateRules, affiliate_rules

FUNNEL_STEPS = ("contacted", "replied", "agreed", "sampled", "posted", "selling")
RETURN_DAYS = 30  # how long after delivery a sample's sales count towards its return
ZERO = Decimal(0)
NO_CAMPAIGN = "(no campaign)"
NO_AGENCY = "(no agency)"


@dataclass(frozen=True)
class Step:
    """One funnel step: how many reached it, as a share of the previous step and of the first."""

    step: str
    count: int
    from_previous: float | None
    from_first: float | None


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _in_period(moment: dt.datetime | None, start: dt.date, end: dt.date) -> bool:
    if moment is None:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return _utc(start) <= moment < _utc(end + dt.timedelta(days=1))


def _contacted(
    session: Session,
    start: dt.date,
    end: dt.date,
    seller_id: str | None = None,
    campaign: str | None = None,
    creators: frozenset[str] | None = None,
) -> list[Pitch]:
    query = select(Pitch).where(
        Pitch.contacted_at >= _utc(start), Pitch.contacted_at < _utc(end + dt.timedelta(days=1))
    )
    if seller_id is not None:
        query = query.where(Pitch.seller_id == seller_id)
    if campaign is not None:
        query = query.where(Pitch.campaign == campaign)
    pitches = list(session.scalars(query.order_by(Pitch.id)))
    if creators is not None:
        pitches = [p for p in pitches if p.creator_id in creators]
    return pitches


def _first_sales(
    con: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str, str]], before: dt.date
) -> dict[tuple[str, str], list[tuple[dt.datetime, Decimal, str]]]:
    """Every attributed order (time, GMV, status) of each (creator, seller) pair placed before
    the day after ``before``."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    con.execute("CREATE OR REPLACE TEMP TABLE _pairs (creator_id VARCHAR, seller_id VARCHAR)")
    con.executemany("INSERT INTO _pairs VALUES (?, ?)", wanted)
    rows = con.execute(
        """
        SELECT o.creator_id, o.seller_id, o.created_at, o.gmv, o.status
        FROM orders o JOIN _pairs p USING (creator_id, seller_id)
        WHERE o.created_at < ?
        ORDER BY o.created_at
        """,
        [_utc(before + dt.timedelta(days=1))],
    ).fetchall()
    con.execute("DROP TABLE _pairs")
    found: dict[tuple[str, str], list[tuple[dt.datetime, Decimal, str]]] = {}
    for creator, seller, moment, gmv, status in rows:
        found.setdefault((creator, seller), []).append((moment, Decimal(gmv), status))
    return found


def _after(
    orders: Sequence[tuple[dt.datetime, Decimal, str]], moment: dt.datetime | None
) -> list[tuple[dt.datetime, Decimal, str]]:
    if moment is None:
        return []
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return [o for o in orders if o[0] >= moment]


def _reached(pitch: Pitch, sales: list[tuple[dt.datetime, Decimal, str]]) -> dict[str, bool]:
    selling = pitch.selling_at is not None or bool(_after(sales, pitch.agreed_at))
    return {
        "contacted": True,
        "replied": pitch.replied_at is not None or pitch.agreed_at is not None,
        "agreed": pitch.agreed_at is not None,
        "sampled": pitch.sample_sent_at is not None,
        "posted": pitch.content_posted_at is not None,
        "selling": selling,
    }


def _steps(counts: dict[str, int]) -> list[Step]:
    first = counts[FUNNEL_STEPS[0]]
    steps, previous = [], None
    for name in FUNNEL_STEPS:
        count = counts[name]
        steps.append(
            Step(
                name,
                count,
                count / previous if previous else None,
                count / first if first else None,
            )
        )
        previous = count
    return steps


def funnel(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    seller_id: str | None = None,
    campaign: str | None = None,
    creators: frozenset[str] | None = None,
) -> list[Step]:
    """The funnel of the pitches first contacted from ``start`` to ``end`` (limited to a
    seller, a campaign, or the ``creators`` a user may see)."""
    pitches = _contacted(session, start, end, seller_id, campaign, creators)
    sales = _first_sales(con, ((p.creator_id, p.seller_id) for p in pitches), end)
    counts = dict.fromkeys(FUNNEL_STEPS, 0)
    for pitch in pitches:
        for step, done in _reached(
            pitch, sales.get((pitch.creator_id, pitch.seller_id), [])
        ).items():
            counts[step] += done
    return _steps(counts)


def agent_scorecard(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    owners: frozenset[str] | None = None,
    today: dt.date | None = None,
    agencies: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Per owner of pitches contacted in the period: throughput (contacts per week), the steps
    reached, rates between them, GMV generated and overdue next actions; most GMV first.
    ``agencies`` (owner → agency) fills each card's ``agency``."""
    pitches = _contacted(session, start, end)
    if owners is not None:
        pitches = [p for p in pitches if p.owner in owners]
    sales = _first_sales(con, ((p.creator_id, p.seller_id) for p in pitches), end)
    weeks = ((end - start).days + 1) / 7
    today = today or dt.date.today()
    cards: dict[str, dict[str, Any]] = {}
    for pitch in pitches:
        card = cards.setdefault(
            pitch.owner,
            {
                "owner": pitch.owner,
                "agency": (agencies or {}).get(pitch.owner),
                **dict.fromkeys(FUNNEL_STEPS, 0),
                "gmv": ZERO,
                "overdue": 0,
            },
        )
        pair_sales = sales.get((pitch.creator_id, pitch.seller_id), [])
        for step, done in _reached(pitch, pair_sales).items():
            card[step] += done
        card["gmv"] += sum((gmv for _, gmv, _ in _after(pair_sales, pitch.agreed_at)), ZERO)
        open_pitch = pitch.closed_at is None and pitch.stage not in ("declined", "ghosted")
        if open_pitch and pitch.next_action_on is not None and pitch.next_action_on < today:
            card["overdue"] += 1
    for card in cards.values():
        card["contacts_per_week"] = card["contacted"] / weeks
        _card_rates(card)
    return sorted(cards.values(), key=lambda c: (-c["gmv"], c["owner"]))


def _card_rates(card: dict[str, Any]) -> None:
    card["reply_rate"] = _rate(card["replied"], card["contacted"])
    card["agreement_rate"] = _rate(card["agreed"], card["contacted"])
    card["posting_rate"] = _rate(card["posted"], card["agreed"])
    card["gmv_per_agreement"] = card["gmv"] / card["agreed"] if card["agreed"] else None


def agency_scorecard(
    cards: Iterable[dict[str, Any]], agencies: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Agents' scorecards (of :func:`agent_scorecard`) summed per agency (``agencies``: owner
    → agency; owners in none are grouped as "(no agency)"): agents, contacts and contacts per
    week, the steps reached, GMV generated and overdue next actions, with the rates
    recomputed from the sums; most GMV first."""
    groups: dict[str, dict[str, Any]] = {}
    for card in cards:
        name = agencies.get(card["owner"], NO_AGENCY)
        group = groups.setdefault(
            name,
            {
                "agency": name,
                "agents": 0,
                **dict.fromkeys(FUNNEL_STEPS, 0),
                "contacts_per_week": 0.0,
                "gmv": ZERO,
                "overdue": 0,
            },
        )
        group["agents"] += 1
        for name_ in (*FUNNEL_STEPS, "contacts_per_week", "gmv", "overdue"):
            group[name_] += card[name_]
    for group in groups.values():
        _card_rates(group)
    return sorted(groups.values(), key=lambda g: (-g["gmv"], g["agency"]))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def sample_returns(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    creators: frozenset[str] | None = None,
    rules: AffiliateRules | None = None,
    seller_id: str | None = None,
) -> list[dict[str, Any]]:
    """Per sample delivered in the period (limited to the ``creators`` a user may see, and to
    one seller's): posted or not, net GMV in the 30 days after delivery, its cost (sample +
    shipping + commission on that GMV) and ROI, and the campaign of the pitch it was sent for
    (``None`` when it names no pitch)."""
    rules = rules or affiliate_rules()
    query = select(SampleRequest).where(
        SampleRequest.delivered_at >= _utc(start),
        SampleRequest.delivered_at < _utc(end + dt.timedelta(days=1)),
    )
    if seller_id is not None:
        query = query.where(SampleRequest.seller_id == seller_id)
    samples = [
        s
        for s in session.scalars(query.order_by(SampleRequest.id))
        if creators is None or s.creator_id in creators
    ]
    pitched = _pitch_campaigns(session, {s.pitch_id for s in samples if s.pitch_id is not None})
    horizon = end + dt.timedelta(days=RETURN_DAYS)
    sales = _first_sales(con, ((s.creator_id, s.seller_id) for s in samples), horizon)
    categories = _categories(con, {s.seller_id for s in samples})
    rows = []
    for sample in samples:
        delivered = sample.delivered_at
        assert delivered is not None
        if delivered.tzinfo is None:
            delivered = delivered.replace(tzinfo=dt.UTC)
        window = [
            o
            for o in sales.get((sample.creator_id, sample.seller_id), [])
            if delivered <= o[0] < delivered + dt.timedelta(days=RETURN_DAYS)
        ]
        net = sum((g for _, g, status in window if status not in ("cancelled", "returned")), ZERO)
        rate = rules.commission_rate(categories.get(sample.seller_id))
        commission = (net * rate).quantize(Decimal("0.01"))
        spent = (sample.sample_cost or ZERO) + (sample.shipping_cost or ZERO)
        cost = spent + commission
        rows.append(
            {
                "sample_id": sample.id,
                "creator_id": sample.creator_id,
                "seller_id": sample.seller_id,
                "product_id": sample.product_id,
                "pitch_id": sample.pitch_id,
                "campaign": pitched.get(sample.pitch_id) if sample.pitch_id is not None else None,
                "delivered_at": delivered,
                "posted": sample.content_posted_at is not None,
                "orders": len(window),
                "gmv": sum((g for _, g, _ in window), ZERO),
                "net_gmv": net,
                "sample_cost": spent,
                "commission": commission,
                "roi": float(net / cost) if cost else None,
            }
        )
    return rows


def _pitch_campaigns(session: Session, ids: set[int]) -> dict[int, str]:
    """The campaign of each pitch in ``ids`` ("(no campaign)" when it has none)."""
    if not ids:
        return {}
    rows = session.execute(select(Pitch.id, Pitch.campaign).where(Pitch.id.in_(sorted(ids))))
    return {pitch_id: campaign or NO_CAMPAIGN for pitch_id, campaign in rows}


def sample_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals of :func:`sample_returns`: samples delivered, content posted and the
    sample-to-content rate, samples selling, orders, GMV and net GMV in the 30 days after
    delivery, sample + shipping, commission, their sum (cost) and the ROI (net GMV ÷ cost)."""
    delivered = len(rows)
    posted = sum(1 for r in rows if r["posted"])
    net = sum((r["net_gmv"] for r in rows), ZERO)
    spent = sum((r["sample_cost"] for r in rows), ZERO)
    commission = sum((r["commission"] for r in rows), ZERO)
    cost = spent + commission
    return {
        "delivered": delivered,
        "posted": posted,
        "sample_to_content_rate": _rate(posted, delivered),
        "selling": sum(1 for r in rows if r["orders"]),
        "orders": sum(r["orders"] for r in rows),
        "gmv": sum((r["gmv"] for r in rows), ZERO),
        "net_gmv": net,
        "sample_cost": spent,
        "commission": commission,
        "cost": cost,
        "roi": float(net / cost) if cost else None,
    }


def samples_by_creator(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`sample_returns` summed per creator (:func:`sample_summary` of each creator's
    samples, with ``sellers`` the number of sellers they came from); most samples first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["creator_id"], []).append(row)
    result = [
        {
            "creator_id": creator,
            "sellers": len({r["seller_id"] for r in samples}),
            **sample_summary(samples),
        }
        for creator, samples in groups.items()
    ]
    result.sort(key=lambda r: (-r["delivered"], -r["net_gmv"], r["creator_id"]))
    return result


def creator_sample_returns(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    creators: frozenset[str] | None = None,
    seller_id: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """:func:`samples_by_creator` of the samples delivered in the period (of ``creators``, from
    ``seller_id`` when given), each with the creator's ``handle`` (``None`` when the warehouse
    does not know it), and the :func:`sample_summary` of all those samples."""
    returns = sample_returns(session, con, start, end, creators, seller_id=seller_id)
    rows = samples_by_creator(returns)
    handles = creator_handles(con, {r["creator_id"] for r in rows})
    for row in rows:
        row["handle"] = handles.get(row["creator_id"])
    return rows, sample_summary(returns)


def _categories(con: duckdb.DuckDBPyConnection, sellers: set[str]) -> dict[str, str]:
    return _looked_up(con, "sellers", "seller_id", "category", sellers)


def campaign_efficiency(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    rules: AffiliateRules | None = None,
    creators: frozenset[str] | None = None,
    seller_id: str | None = None,
    campaign: str | None = None,
) -> list[dict[str, Any]]:
    """Per (seller, campaign) with pitches contacted in the period: GMV of its agreed creators
    for the seller in the period, the same in the period of equal length before (baseline),
    incremental GMV, spend (samples + shipping + commission + sample vouchers redeemed) and
    incremental GMV per rupiah spent; and the returns of its samples delivered in the period
    (samples delivered, content posted, sample-to-content rate, net GMV in the 30 days after
    delivery, sample + shipping, commission on that GMV and the sample ROI — as
    :func:`sample_summary`).

    A sample belongs to the campaign of the pitch it was sent for, or, when it names no pitch,
    to each campaign of its seller whose agreed creators include its creator (as the sample
    spend does). Limited to the ``creators`` a user may see, a campaign has only those
    creators, and its vouchers are the codes issued to them."""
    rules = rules or affiliate_rules()
    days = (end - start).days + 1
    before_start = start - dt.timedelta(days=days)
    campaigns: dict[tuple[str, str], set[str]] = {}
    for pitch in _contacted(session, start, end, seller_id, None, creators):
        name = pitch.campaign or NO_CAMPAIGN
        if pitch.agreed_at is not None and (campaign is None or name == campaign):
            campaigns.setdefault((pitch.seller_id, name), set()).add(pitch.creator_id)
    pairs = {(c, seller) for (seller, _), members in campaigns.items() for c in members}
    sales = _first_sales(con, pairs, end)
    categories = _categories(con, {seller for seller, _ in campaigns})
    returns = sample_returns(session, con, start, end, creators, rules) if campaigns else []
    rows = []
    for (seller, name), members in sorted(campaigns.items()):
        period = baseline = net = ZERO
        for creator in members:
            for moment, gmv, status in sales.get((creator, seller), []):
                day = moment.date()
                if start <= day <= end:
                    period += gmv
                    if status not in ("cancelled", "returned"):
                        net += gmv
                elif before_start <= day < start:
                    baseline += gmv
        samples = _sample_spend(session, seller, members, start, end)
        vouchers = _voucher_spend(session, seller, start, end, creators)
        commission = (net * rules.commission_rate(categories.get(seller))).quantize(Decimal("0.01"))
        spend = samples + commission + vouchers
        incremental = period - baseline
        mine = [
            r
            for r in returns
            if r["seller_id"] == seller
            and (r["campaign"] == name if r["pitch_id"] is not None else r["creator_id"] in members)
        ]
        sampled = sample_summary(mine)
        rows.append(
            {
                "seller_id": seller,
                "campaign": name,
                "creators": len(members),
                "gmv": period,
                "baseline_gmv": baseline,
                "incremental_gmv": incremental,
                "samples": samples,
                "commission": commission,
                "vouchers": vouchers,
                "spend": spend,
                "incremental_per_rupiah": float(incremental / spend) if spend else None,
                "samples_delivered": sampled["delivered"],
                "content_posted": sampled["posted"],
                "sample_to_content_rate": sampled["sample_to_content_rate"],
                "sample_net_gmv": sampled["net_gmv"],
                "sample_cost": sampled["sample_cost"],
                "sample_commission": sampled["commission"],
                "sample_roi": sampled["roi"],
            }
        )
    return rows


def _sample_spend(
    session: Session, seller: str, creators: set[str], start: dt.date, end: dt.date
) -> Decimal:
    total = ZERO
    for sample in session.scalars(
        select(SampleRequest).where(
            SampleRequest.seller_id == seller,
            SampleRequest.creator_id.in_(sorted(creators)),
            SampleRequest.shipped_at.is_not(None),
        )
    ):
        if _in_period(sample.shipped_at, start, end):
            total += (sample.sample_cost or ZERO) + (sample.shipping_cost or ZERO)
    return total


def _voucher_spend(
    session: Session,
    seller: str,
    start: dt.date,
    end: dt.date,
    creators: frozenset[str] | None = None,
) -> Decimal:
    """Sample vouchers of ``seller`` redeemed in the period (only codes issued to
    ``creators`` when given)."""
    query = (
        select(VoucherCode.amount)
        .join(SampleVoucher, SampleVoucher.id == VoucherCode.voucher_id)
        .where(
            SampleVoucher.seller_id == seller,
            VoucherCode.redeemed_at >= _utc(start),
            VoucherCode.redeemed_at < _utc(end + dt.timedelta(days=1)),
        )
    )
    if creators is not None:
        query = query.where(VoucherCode.creator_id.in_(sorted(creators)))
    rows = session.execute(query)
    return sum((amount or ZERO for (amount,) in rows), ZERO)


def creator_handles(con: duckdb.DuckDBPyConnection, creators: set[str]) -> dict[str, str]:
    """The handle of each of ``creators`` the warehouse knows."""
    return _looked_up(con, "creators", "creator_id", "handle", creators)


def _looked_up(
    con: duckdb.DuckDBPyConnection, table: str, key: str, column: str, keys: set[str]
) -> dict[str, str]:
    """``column`` of each of ``keys`` found in the warehouse's ``table`` (by its ``key``)."""
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = con.execute(
        f"SELECT {key}, {column} FROM {table} WHERE {key} IN ({marks})", sorted(keys)
    ).fetchall()
    return {found: value for found, value in rows}
