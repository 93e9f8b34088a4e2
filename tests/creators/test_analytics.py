"""Creator analytics against an independent pandas computation on a generated marketplace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pasar.creators.analytics import creator_levels, creator_performance, pivot, totals
from pasar.creators.rules import AffiliateRules, affiliate_rules
from tests.marketplace import Marketplace

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


@dataclass
class World:
    frames: dict[str, pd.DataFrame]
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def world(marketplace: Marketplace) -> World:
    frames = {
        name: pd.read_parquet(marketplace.synth / f"{name}.parquet")
        for name in ("orders", "sellers", "creators", "videos", "live_sessions")
    }
    return World(frames, marketplace.con)


def _in(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    day = frame[column].dt.tz_convert("UTC").dt.date
    return frame[(day >= start) & (day <= end)]


def _expected(world: World, rules: AffiliateRules) -> pd.DataFrame:
    """Per creator, computed row by row in pandas from the generated Parquet files."""
    f = world.frames
    orders = _in(f["orders"][f["orders"].creator_id.notna()], "created_at", START, END)
    orders = orders.merge(f["sellers"][["seller_id", "category"]], on="seller_id", how="left")
    orders["gmv"] = orders.gmv.map(Decimal)
    orders["rate"] = orders.category.map(rules.commission_rate)
    kept = ~orders.status.isin(["cancelled", "returned"])
    orders["commission"] = [
        g * r if k else Decimal(0) for g, r, k in zip(orders.gmv, orders.rate, kept, strict=True)
    ]
    per = orders.groupby("creator_id").agg(
        orders=("order_id", "size"),
        gmv=("gmv", "sum"),
        commission=("commission", "sum"),
    )
    per["gmv_live"] = orders[orders.channel == "live"].groupby("creator_id").gmv.sum()
    per["net_gmv"] = orders[kept].groupby("creator_id").gmv.sum()
    videos = _in(f["videos"][f["videos"].creator_id.notna()], "posted_at", START, END)
    lives = f["live_sessions"]
    lives = _in(
        lives[(lives.host_type == "creator") & lives.creator_id.notna()], "started_at", START, END
    )
    views = (
        videos.groupby("creator_id")
        .views.sum()
        .add(lives.groupby("creator_id").views.sum(), fill_value=0)
    )
    out = f["creators"].set_index("creator_id")[[]].join(per).join(views.rename("views"))
    out["videos"] = videos.groupby("creator_id").size()
    out["lives"] = lives.groupby("creator_id").size()
    days = pd.concat(
        [
            orders[["creator_id"]].assign(day=orders.created_at.dt.date),
            videos[["creator_id"]].assign(day=videos.posted_at.dt.date),
            lives[["creator_id"]].assign(day=lives.started_at.dt.date),
        ]
    )
    out["active_days"] = days.drop_duplicates().groupby("creator_id").size()
    return out


def test_every_creator_row_matches_pandas(world: World) -> None:
    rules = affiliate_rules()
    rows = {r["creator_id"]: r for r in creator_performance(world.con, START, END)}
    expected = _expected(world, rules)
    assert set(rows) == set(expected.index)
    selling = 0
    for creator, want in expected.iterrows():
        got = rows[str(creator)]
        assert got["orders"] == (0 if pd.isna(want.orders) else want.orders)
        assert got["gmv"] == (Decimal(0) if pd.isna(want.gmv) else want.gmv)
        assert got["gmv_live"] == (Decimal(0) if pd.isna(want.gmv_live) else want.gmv_live)
        assert got["net_gmv"] == (Decimal(0) if pd.isna(want.net_gmv) else want.net_gmv)
        want_commission = Decimal(0) if pd.isna(want.commission) else want.commission
        assert abs(got["commission"] - want_commission) <= Decimal("0.01")
        assert got["views"] == (0 if pd.isna(want.views) else want.views)
        assert got["videos"] == (0 if pd.isna(want.videos) else want.videos)
        assert got["lives"] == (0 if pd.isna(want.lives) else want.lives)
        assert got["active_days"] == (0 if pd.isna(want.active_days) else want.active_days)
        selling += bool(got["orders"])
        if got["views"]:
            content_gmv = got["gmv_live"] + got["gmv_video"]
            assert got["gpm"] == (content_gmv * 1000 / got["views"]).quantize(Decimal("0.01"))
    assert selling > 100  # the generated month has real activity to compare


def test_levels_come_from_the_previous_month(world: World) -> None:
    rules = affiliate_rules()
    levels = creator_levels(world.con, START, rules)
    f = world.frames
    september = _in(
        f["orders"][f["orders"].creator_id.notna()],
        "created_at",
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 30),
    )
    gmv = september.groupby("creator_id").gmv.apply(lambda s: sum(map(Decimal, s)))
    top = str(gmv.idxmax())
    assert levels[top] != "L0"
    assert len(set(levels.values())) >= 3  # a spread of levels, not one for everybody
    rows = {r["creator_id"]: r for r in creator_performance(world.con, START, END)}
    assert rows[top]["level"] == levels[top]


def test_confined_to_visible_creators(world: World) -> None:
    some = frozenset(list(world.frames["creators"].creator_id)[:3])
    rows = creator_performance(world.con, START, END, some)
    assert {r["creator_id"] for r in rows} == some
    assert creator_performance(world.con, START, END, frozenset()) == []


def test_pivot_sums_and_recomputes_ratios(world: World) -> None:
    rows = creator_performance(world.con, START, END)
    by_category = pivot(rows, "primary_category")
    assert sum(g["creators"] for g in by_category) == len(rows)
    assert sum(g["gmv"] for g in by_category) == sum(r["gmv"] for r in rows)
    for group in by_category:
        if group["views"]:
            content = group["gmv_live"] + group["gmv_video"]
            assert group["gpm"] == (content * 1000 / group["views"]).quantize(Decimal("0.01"))
    total = totals(by_category)
    assert total["orders"] == sum(r["orders"] for r in rows)
    with pytest.raises(ValueError, match="cannot group by"):
        pivot(rows, "colour")


def test_levels_climb_and_bad_rules_are_named(tmp_path: Path) -> None:
    rules = affiliate_rules()
    assert rules.level_for(Decimal(0), 0) == "L0"
    assert rules.level_for(Decimal(30_000_000), 12) == "L4"
    assert rules.level_for(Decimal(30_000_000), 2) == "L1"  # days hold it back
    bad = tmp_path / "affiliate.yml"
    bad.write_text(
        "commission_rates: {default: 0.1, Health: 0.9}\n"
        "levels:\n  - {level: L0, min_gmv: 0, min_active_days: 0}\n"
        "  - {level: L1, min_gmv: 5, min_active_days: 1, bonus: 2}\n"
    )
    with pytest.raises(Exception, match=r"affiliate.yml:\d+") as raised:
        affiliate_rules(bad)
    assert "bonus" in str(raised.value)
