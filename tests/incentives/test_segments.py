"""Segments and activity on the generated marketplace, each checked against an independent
computation: the 30-day LIVE measures equal the catalog's merchant snapshot; tiers are
recomputed with pandas from the snapshot's trailing GMV; stages follow their rules; movement
and population add up; streaks and refunds from the raw rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd  # type: ignore[import-untyped]
import pytest

from pasar.incentives.activity import Rules, Span, measure
from pasar.incentives.programs import session_columns
from pasar.incentives.segmentation import (
    load_rules,
    month_before,
    movement,
    population,
    segment,
)
from pasar.metrics.snapshots import read_snapshot
from pasar.policy.predicate import parse_when
from tests.incentives.conftest import LAST_DAY, World

SNAPSHOT_NAMES = (
    "valid_live_sessions_30d", "live_hours_30d", "live_gmv_30d", "live_views_30d",
    "live_days_30d", "live_gpm_30d",
)  # fmt: skip


@pytest.fixture(scope="module")
def segments(world: World):  # type: ignore[no-untyped-def]
    return segment(world.con, world.settings, world.ctx.catalog, LAST_DAY)


def test_the_30_day_measures_are_the_catalogs_merchant_metrics(world: World, segments) -> None:  # type: ignore[no-untyped-def]
    snapshot = {
        r["seller_id"]: r for r in read_snapshot(world.settings, "merchant", LAST_DAY).to_pylist()
    }
    checked = 0
    for row in segments.table.to_pylist():
        expected = snapshot[row["seller_id"]]
        for name in SNAPSHOT_NAMES:
            want = expected[name]
            if want is None:
                assert row[name] is None or name != "live_gpm_30d", name
                continue
            assert row[name] == pytest.approx(float(want), rel=1e-9, abs=1e-9), name
            checked += 1
    assert checked > 1000


def test_tiers_are_the_gmv_pareto_within_each_category(world: World, segments) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules()
    snap = read_snapshot(world.settings, "merchant", LAST_DAY).to_pandas()[["seller_id", "gmv_90d"]]
    shops = pd.read_parquet(world.synth / "sellers.parquet")[["seller_id", "category"]]
    frame = shops.merge(snap, on="seller_id", how="left").fillna({"gmv_90d": 0})
    frame["gmv"] = frame["gmv_90d"].astype(float)
    expected: dict[str, str] = {}
    for _, group in frame.groupby("category"):
        ordered = group.sort_values(["gmv", "seller_id"], ascending=[False, True])
        total, before = ordered["gmv"].sum(), 0.0
        cap = max(1, -(-len(ordered) * rules.tiers.top.max_count_share // 1))
        for rank, row in enumerate(ordered.itertuples(), start=1):
            if row.gmv <= 0:
                tier = "long_tail"
            elif before < rules.tiers.top.cumulative_share * total and rank <= cap:
                tier = "top"
            elif before < rules.tiers.mid.cumulative_share * total:
                tier = "mid"
            else:
                tier = "long_tail"
            expected[row.seller_id] = tier
            before += row.gmv
    found = {r["seller_id"]: r["tier"] for r in segments.table.to_pylist()}
    assert found == expected
    tops = [s for s, t in found.items() if t == "top"]
    assert 0 < len(tops) <= 0.05 * len(found) + frame["category"].nunique()


def test_stages_follow_their_rules(segments) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules().stages
    rows = segments.table.to_pylist()
    for row in rows:
        if row["stage"] == "onboarding":
            young = (LAST_DAY - row["joined_on"]).days <= rules.onboarding.shop_age_days
            assert young or row["sessions_ever"] < rules.onboarding.min_sessions_ever
        elif row["stage"] == "retention":
            lapsed = row["last_live_day"] is None or (LAST_DAY - row["last_live_day"]).days > 14
            before = row["live_gmv_before_30d"]
            dropped = row["valid_live_sessions_before_30d"] >= 4 and before > 0
            assert lapsed or (dropped and row["live_gmv_30d"] < 0.5 * before), row["seller_id"]
        else:
            assert row["sessions_ever"] >= rules.onboarding.min_sessions_ever
            assert (LAST_DAY - row["last_live_day"]).days <= rules.retention.recency_days
            before = row["live_gmv_before_30d"]
            dropped = row["valid_live_sessions_before_30d"] >= 4 and before > 0
            assert not (dropped and row["live_gmv_30d"] < 0.5 * before), row["seller_id"]
    for tier in ("top", "mid", "long_tail"):
        active = [r for r in rows if r["tier"] == tier and r["stage"] in ("growth", "scaling")]
        if not active:
            continue
        hours = pd.Series([r["live_hours_30d"] for r in active]).median()
        gpm = pd.Series([r["live_gpm_30d"] for r in active]).median()
        for r in active:
            scaling = (
                r["live_hours_30d"] >= hours
                and r["live_gpm_30d"] is not None
                and r["live_gpm_30d"] >= gpm
            )
            assert (r["stage"] == "scaling") == scaling, r["seller_id"]
    assert {r["stage"] for r in rows} == {"onboarding", "retention", "growth", "scaling"}


def test_movement_and_population_add_up(world: World, segments) -> None:  # type: ignore[no-untyped-def]
    before = segment(world.con, world.settings, world.ctx.catalog, month_before(LAST_DAY))
    assert month_before(dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
    moves = movement(before, segments)
    assert sum(m["total"] for m in moves) == segments.table.num_rows
    earlier = {r["seller_id"]: r["stage"] for r in before.table.to_pylist()}
    stayed = sum(1 for r in segments.table.to_pylist() if earlier.get(r["seller_id"]) == r["stage"])
    assert sum(m[m["from"]] for m in moves if m["from"] != "new") == stayed
    rows = population(segments)
    assert sum(r["shops"] for r in rows) == segments.table.num_rows
    table = segments.table.to_pandas()
    assert sum(r["valid_sessions"] for r in rows) == table["valid_live_sessions_30d"].sum()
    top = table[table["tier"] == "top"]
    gpm = top["live_gmv_30d"].sum() * 1000 / top["live_views_30d"].sum()
    shown = [r for r in rows if r["tier"] == "top"]
    pooled = (
        sum(r["gmv"] for r in shown)
        * 1000
        / sum(r["gmv"] * 1000 / r["gpm"] for r in shown if r["gpm"])
    )
    assert pooled == pytest.approx(gpm)


def test_streaks_exclusions_and_returns_from_the_raw_rows(world: World) -> None:
    idle = parse_when("orders = 0 AND product_clicks <= 5", session_columns())
    first, last = dt.date(2026, 9, 1), dt.date(2026, 9, 30)
    spans = [Span("sep", first, last, dt.date(2026, 10, 31))]
    table = measure(world.con, spans, Rules(60, 1, {"idle": idle}), "Asia/Jakarta").to_pandas()
    raw = pd.read_parquet(world.synth / "live_sessions.parquet")
    raw = raw[raw["host_type"] == "seller"]
    raw["day"] = raw["started_at"].dt.tz_convert("Asia/Jakarta").dt.date
    raw = raw[(raw["day"] >= first) & (raw["day"] <= last)]
    long_enough = ((raw["ended_at"] - raw["started_at"]).dt.total_seconds() >= 3600) & (
        raw["products_pinned"] >= 1
    )
    is_idle = (raw["orders"] == 0) & (raw["product_clicks"] <= 5)
    valid = raw[long_enough & ~is_idle]

    def longest(days: pd.Series) -> int:
        ordered = sorted(set(days))
        best = run = 1
        for a, b in itertools.pairwise(ordered):
            run = run + 1 if (b - a).days == 1 else 1
            best = max(best, run)
        return best

    streaks = valid.groupby("seller_id")["day"].apply(longest)
    excluded = raw[long_enough & is_idle].groupby("seller_id").size()
    orders = pd.read_parquet(world.synth / "orders.parquet")
    own = orders[(orders["channel"] == "live") & orders["creator_id"].isna()]
    created = own["created_at"].dt.tz_convert("Asia/Jakarta").dt.date
    own = own[(created >= first) & (created <= last)]
    returned = own["returned_at"].notna() & (
        own["returned_at"].dt.tz_convert("Asia/Jakarta").dt.date <= dt.date(2026, 10, 31)
    )
    refunds = returned.groupby(own["seller_id"]).mean()
    assert excluded.sum() > 0 and (refunds > 0).any()
    for row in table.itertuples():
        assert row.longest_streak == streaks.get(row.seller_id, 0), row.seller_id
        assert row.excluded_idle == excluded.get(row.seller_id, 0)
        if row.seller_id in refunds.index:
            assert row.refund_rate == pytest.approx(refunds[row.seller_id])
