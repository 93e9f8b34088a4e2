"""Every snapshot metric of the shipped catalog, checked against pandas on the raw files.

The expected values are computed from the generated Parquet files (``marketplace.synth``), not
from the warehouse, by pandas code written from each metric's definition in
``src/pasar/catalog/metrics/*.yml``: one function per metric in ``METRICS``. A snapshot as of
local day D (Asia/Jakarta) counts a windowed metric over the rows whose time column falls in
the UTC instants [local midnight of D-N+1, local midnight of D+1); a cumulative metric over
every row before local midnight of D+1.

Counts and money must be equal, other numbers equal to a relative 1e-9, NULL where NULL. A
metric added to the catalog without a function here fails
``test_every_snapshot_metric_is_checked``.

Money is summed in whole cents (the raw Decimal columns times 100) so that sums stay exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pasar.metrics.catalog import load_catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.engines import duckdb as engine
from tests.metrics.conftest import Marketplace

ZONE = ZoneInfo("Asia/Jakarta")
DATES = (dt.date(2026, 6, 30), dt.date(2026, 10, 1))
CATALOG = load_catalog()
CASES = [(e, m.name) for e in CATALOG.entities for m in CATALOG.snapshot_metrics(e)]
MONEY = {"orders": ["gmv"], "order_items": ["unit_price"], "live_sessions": ["gmv"]}

# dataset → entity → key column, as datasets.yml says (None: the whole marketplace)
KEYS: dict[str, dict[str, str | None]] = {
    "orders": {"seller": "seller_id", "merchant": "seller_id", "creator": "creator_id"},
    "order_lines": {"product": "product_id", "seller": "seller_id"},
    "reviews": {"seller": "seller_id", "product": "product_id"},
    "chats": {"seller": "seller_id"},
    "listing_checks": {"seller": "seller_id", "product": "product_id"},
    "videos": {"creator": "creator_id", "seller": "seller_id", "product": "product_id"},
    "live_sessions": {"merchant": "seller_id", "seller": "seller_id", "creator": "creator_id"},
    "tickets": {"center": "center"},
    "creator_profiles": {"creator": "creator_id"},
}
for _keys in KEYS.values():
    _keys["marketplace"] = None
# entity → the table listing its subjects and their key (entities.yml)
SUBJECTS = {
    "seller": ("sellers", "seller_id"),
    "merchant": ("sellers", "seller_id"),
    "creator": ("creators", "creator_id"),
    "product": ("products", "product_id"),
}


def midnight(day: dt.date) -> pd.Timestamp:
    """The UTC instant local ``day`` begins."""
    return pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=ZONE)).tz_convert("UTC")


def _read(folder: Path, table: str) -> pd.DataFrame:
    frame = pq.read_table(folder / f"{table}.parquet").to_pandas()
    for column in MONEY.get(table, []):  # money as whole cents: sums stay exact
        frame[column] = frame[column].map(lambda d: int(d.scaleb(2))).astype("int64")
    return frame


def load_raw(folder: Path) -> dict[str, pd.DataFrame]:
    """The datasets of the catalog, built with pandas from the raw files."""
    tables = {
        t: _read(folder, t)
        for t in (
            "orders",
            "order_items",
            "reviews",
            "chats",
            "listing_checks",
            "videos",
            "live_sessions",
            "tickets",
            "creators",
            "sellers",
            "products",
        )
    }
    worst = tables["reviews"].groupby("order_id")["rating"].min().rename("worst_rating")
    orders = tables["orders"].merge(worst, left_on="order_id", right_index=True, how="left")
    order_cols = ["order_id", "created_at", "seller_id", "cancelled_at", "status", "channel"]
    lines = tables["order_items"].merge(tables["orders"][order_cols], on="order_id", how="left")
    return {
        **tables,
        "orders": orders,
        "order_lines": lines,
        "creator_profiles": tables["creators"],
    }


@dataclass
class Snap:
    """One entity as of one date: rows in windows, aggregates aligned on the subjects."""

    raw: dict[str, pd.DataFrame]
    entity: str
    as_of: dt.date

    def __post_init__(self) -> None:
        self.end = midnight(self.as_of + dt.timedelta(days=1))
        if self.entity in SUBJECTS:  # every row of the entity's table
            table, key = SUBJECTS[self.entity]
            subjects = sorted(self.raw[table][key].dropna().unique())
        elif self.entity == "center":  # no table: every center seen up to the as-of date
            tickets = self.raw["tickets"]
            subjects = sorted(tickets.loc[tickets["created_at"] < self.end, "center"].unique())
        else:
            subjects = ["all"]
        self.subjects = pd.Index(subjects, name="key")

    def rows(self, dataset: str, time: str, days: int | None = None) -> pd.DataFrame:
        """The dataset's rows timed in the last ``days`` local days (``None``: all history),
        with the entity's key as ``_key`` (rows without a key left out)."""
        frame = self.raw[dataset]
        keep = frame[time] < self.end
        if days is not None:
            keep &= frame[time] >= midnight(self.as_of - dt.timedelta(days=days - 1))
        frame = frame[keep.fillna(False)]
        column = KEYS[dataset][self.entity]
        frame = frame.assign(_key="all" if column is None else frame[column])
        return frame[frame["_key"].notna()]

    def count(self, rows: pd.DataFrame) -> pd.Series:
        return rows.groupby("_key").size().reindex(self.subjects, fill_value=0).astype("int64")

    def sum(self, rows: pd.DataFrame, values: pd.Series) -> pd.Series:
        summed = values.groupby(rows["_key"]).sum()
        return summed.reindex(self.subjects, fill_value=0)

    def agg(self, rows: pd.DataFrame, values: pd.Series, how: Callable[[pd.Series], Any]) -> Any:
        """A NULL-when-empty aggregate per subject (min, max, avg, percentiles …)."""
        return values.groupby(rows["_key"]).agg(how).reindex(self.subjects)

    def at_least(self, value: pd.Series, volume: pd.Series, threshold: float) -> pd.Series:
        """``value`` where ``volume`` reaches ``threshold``, else NULL."""
        return value.astype(object).where(volume >= threshold, None)


def money(cents: pd.Series) -> pd.Series:
    return cents.map(lambda c: Decimal(int(c)).scaleb(-2))


def ratio(num: pd.Series, den: pd.Series, min_volume: float = 0) -> pd.Series:
    """num / den as a float, NULL when den is 0 or below ``min_volume``."""
    out = num.astype("float64") / den.astype("float64")
    return out.astype(object).where((den != 0) & (den >= min_volume), None)


def hours(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 3600


def minutes(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 60


def percentile(q: float) -> Callable[[pd.Series], float]:
    return lambda v: float(np.quantile(v.to_numpy(dtype="float64"), q))


# -- orders --------------------------------------------------------------------------------------


def _orders(s: Snap, days: int, time: str = "created_at") -> pd.DataFrame:
    return s.rows("orders", time, days)


def _seller_fault_cancelled(o: pd.DataFrame) -> pd.Series:
    by_system_after_payment = (o["cancel_initiator"] == "system") & o["paid_at"].notna()
    return o["cancelled_at"].notna() & (
        (o["cancel_initiator"] == "seller") | by_system_after_payment
    )


def _dispatch_due(o: pd.DataFrame) -> pd.Series:
    cancelled_first = (
        o["shipped_at"].isna() & o["cancelled_at"].notna() & (o["cancelled_at"] <= o["ship_by_at"])
    )
    return o["ship_by_at"].notna() & ~cancelled_first


def _late_dispatched(o: pd.DataFrame) -> pd.Series:
    late = o["shipped_at"].isna() | (o["shipped_at"] > o["ship_by_at"])
    return _dispatch_due(o) & late


def _defective(o: pd.DataFrame) -> pd.Series:
    return (o["worst_rating"] <= 2) | (o["return_fault"] == "seller") | _seller_fault_cancelled(o)


def orders_n(days: int) -> Callable[[Snap], pd.Series]:
    return lambda s: s.count(_orders(s, days))


def gmv_n(days: int) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        o = _orders(s, days)
        return money(s.sum(o, o["gmv"]))

    return compute


def late_dispatch_rate_7d(s: Snap) -> pd.Series:
    o = _orders(s, 7, "ship_by_at")
    due = s.count(o[_dispatch_due(o)])
    return ratio(s.count(o[_late_dispatched(o)]), due, 10)


def seller_fault_cancellation_rate_7d(s: Snap) -> pd.Series:
    o = _orders(s, 7)
    return ratio(s.count(o[_seller_fault_cancelled(o)]), s.count(o), 10)


def _delivered_rate(
    days: int, bad: Callable[[pd.DataFrame], pd.Series]
) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        o = _orders(s, days, "delivered_at")
        return ratio(s.count(o[bad(o)]), s.count(o), 10)

    return compute


def order_defect_rate_60d(s: Snap) -> pd.Series:
    o = _orders(s, 60)
    return ratio(s.count(o[_defective(o)]), s.count(o), 10)


# -- creators ------------------------------------------------------------------------------------


def _creator_orders(s: Snap, channels: tuple[str, ...]) -> pd.DataFrame:
    o = _orders(s, 30)
    return o[o["creator_id"].notna() & o["channel"].isin(channels)]


def creator_gmv(channel: str) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        o = _creator_orders(s, (channel,))
        return money(s.sum(o, o["gmv"]))

    return compute


def creator_content_orders_30d(s: Snap) -> pd.Series:
    return s.count(_creator_orders(s, ("live", "video")))


def videos_posted_30d(s: Snap) -> pd.Series:
    return s.count(s.rows("videos", "posted_at", 30))


def video_views_30d(s: Snap) -> pd.Series:
    v = s.rows("videos", "posted_at", 30)
    return s.sum(v, v["views"]).astype("int64")


def creator_video_views_30d(s: Snap) -> pd.Series:
    v = s.rows("videos", "posted_at", 30)
    v = v[v["creator_id"].notna()]
    return s.sum(v, v["views"]).astype("int64")


def _creator_lives(s: Snap) -> pd.DataFrame:
    live = s.rows("live_sessions", "started_at", 30)
    return live[live["host_type"] == "creator"]


def creator_live_sessions_30d(s: Snap) -> pd.Series:
    return s.count(_creator_lives(s))


def creator_live_views_30d(s: Snap) -> pd.Series:
    live = _creator_lives(s)
    return s.sum(live, live["views"]).astype("int64")


def _creator_views(s: Snap) -> pd.Series:
    return creator_video_views_30d(s).astype("float64") + creator_live_views_30d(s).astype(
        "float64"
    )


def creator_gpm_30d(s: Snap) -> pd.Series:
    gmv = (
        creator_gmv("live")(s).astype("float64") + creator_gmv("video")(s).astype("float64")
    ) * 1000
    views = _creator_views(s)
    gpm = (gmv / views).astype(object).where(views != 0, None)
    return s.at_least(gpm, creator_content_orders_30d(s), 1)


def creator_conversion_30d(s: Snap) -> pd.Series:
    return ratio(creator_content_orders_30d(s), _creator_views(s))


def followers(s: Snap) -> pd.Series:
    c = s.rows("creator_profiles", "joined_at")
    return s.agg(c, c["followers"], "max").astype("Int64")


# -- chats and listings --------------------------------------------------------------------------


def _chats(s: Snap) -> pd.DataFrame:
    return s.rows("chats", "buyer_message_at", 30)


def chat_response_rate_12h_30d(s: Snap) -> pd.Series:
    c = _chats(s)
    answered = c["first_response_at"].notna()
    answered &= hours(c["buyer_message_at"], c["first_response_at"]) <= 12
    return ratio(s.count(c[answered]), s.count(c), 5)


def chat_first_response_minutes_p50_30d(s: Snap) -> pd.Series:
    c = _chats(s)
    c = c[c["first_response_at"].notna()]
    waits = minutes(c["buyer_message_at"], c["first_response_at"])
    return s.at_least(s.agg(c, waits, percentile(0.5)), s.count(c), 5)


def listing_findings(violation: str | None) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        checks = s.rows("listing_checks", "checked_at", 90)
        if violation is not None:
            checks = checks[checks["violation_type"] == violation]
        return s.count(checks)

    return compute


# -- merchant LIVE -------------------------------------------------------------------------------


def _own_lives(s: Snap, days: int) -> pd.DataFrame:
    live = s.rows("live_sessions", "started_at", days)
    return live[live["host_type"] == "seller"]


def _valid_lives(s: Snap, days: int) -> pd.DataFrame:
    live = _own_lives(s, days)
    long_enough = minutes(live["started_at"], live["ended_at"]) >= 60
    return live[long_enough & (live["products_pinned"] >= 1)]


def valid_live_sessions(days: int) -> Callable[[Snap], pd.Series]:
    return lambda s: s.count(_valid_lives(s, days))


def live_hours_30d(s: Snap) -> pd.Series:
    live = _own_lives(s, 30)
    return s.sum(live, hours(live["started_at"], live["ended_at"])).astype("float64")


def live_gmv_30d(s: Snap) -> pd.Series:
    live = _own_lives(s, 30)
    return money(s.sum(live, live["gmv"]))


def live_views_30d(s: Snap) -> pd.Series:
    live = _own_lives(s, 30)
    return s.sum(live, live["views"]).astype("int64")


def live_gpm_30d(s: Snap) -> pd.Series:
    live = _own_lives(s, 30)
    gmv = s.sum(live, live["gmv"]).astype("float64") / 100 * 1000
    views = s.sum(live, live["views"]).astype("float64")
    return (gmv / views).astype(object).where(views != 0, None)


def live_click_to_order_rate_30d(s: Snap) -> pd.Series:
    live = _own_lives(s, 30)
    clicks = s.sum(live, live["product_clicks"])
    return ratio(s.sum(live, live["orders"]), clicks, 20)


def live_days_30d(s: Snap) -> pd.Series:
    live = _valid_lives(s, 30)
    local_days = live["started_at"].dt.tz_convert(ZONE).dt.date
    return local_days.groupby(live["_key"]).nunique().reindex(s.subjects, fill_value=0)


# -- marketplace and products --------------------------------------------------------------------


def distinct_in_orders(column: str) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        o = _orders(s, 30)
        return o[column].groupby(o["_key"]).nunique().reindex(s.subjects, fill_value=0)

    return compute


def _sold_lines(s: Snap) -> pd.DataFrame:
    lines = s.rows("order_lines", "created_at", 30)
    return lines[lines["cancelled_at"].isna()]


def units_sold_30d(s: Snap) -> pd.Series:
    lines = _sold_lines(s)
    return s.sum(lines, lines["quantity"]).astype("int64")


def product_gmv_30d(s: Snap) -> pd.Series:
    lines = _sold_lines(s)
    return money(s.sum(lines, lines["quantity"] * lines["unit_price"]))


def product_reviews_90d(s: Snap) -> pd.Series:
    return s.count(s.rows("reviews", "created_at", 90))


def product_rating_90d(s: Snap) -> pd.Series:
    r = s.rows("reviews", "created_at", 90)
    mean = s.agg(r, r["rating"].astype("float64"), "mean")
    return s.at_least(mean, s.count(r), 3)


# -- service -------------------------------------------------------------------------------------


def tickets_n(days: int) -> Callable[[Snap], pd.Series]:
    return lambda s: s.count(s.rows("tickets", "created_at", days))


def ticket_hours(until: str, q: float) -> Callable[[Snap], pd.Series]:
    def compute(s: Snap) -> pd.Series:
        t = s.rows("tickets", "created_at", 7)
        t = t[t[until].notna()]
        values = s.agg(t, hours(t["created_at"], t[until]), percentile(q))
        return s.at_least(values, s.count(t), 10)

    return compute


def csat_mean_30d(s: Snap) -> pd.Series:
    t = s.rows("tickets", "created_at", 30)
    t = t[t["csat"].notna()]
    return s.at_least(s.agg(t, t["csat"].astype("float64"), "mean"), s.count(t), 10)


def backlog(s: Snap) -> pd.Series:
    t = s.rows("tickets", "created_at")
    return s.count(t[t["resolved_at"].isna() | (t["resolved_at"] >= s.end)])


def reopen_rate_30d(s: Snap) -> pd.Series:
    t = s.rows("tickets", "created_at", 30)
    resolved = t[t["resolved_at"].notna()]
    return ratio(s.count(resolved[resolved["reopened"]]), s.count(resolved), 10)


def contacts_per_1000_orders_30d(s: Snap) -> pd.Series:
    contacts = tickets_n(30)(s).astype("float64") * 1000
    orders = orders_n(30)(s).astype("float64")
    return (contacts / orders).astype(object).where(orders != 0, None)


METRICS: dict[str, Callable[[Snap], pd.Series]] = {
    # governance
    "late_dispatch_rate_7d": late_dispatch_rate_7d,
    "seller_fault_cancellation_rate_7d": seller_fault_cancellation_rate_7d,
    "seller_fault_return_rate_30d": _delivered_rate(30, lambda o: o["return_fault"] == "seller"),
    "negative_review_rate_90d": _delivered_rate(90, lambda o: o["worst_rating"] <= 2),
    "order_defect_rate_60d": order_defect_rate_60d,
    "late_delivery_rate_30d": _delivered_rate(
        30, lambda o: o["delivered_at"] > o["estimated_delivery_at"]
    ),
    "chat_response_rate_12h_30d": chat_response_rate_12h_30d,
    "chat_first_response_minutes_p50_30d": chat_first_response_minutes_p50_30d,
    "listing_findings_90d": listing_findings(None),
    "listing_findings_prohibited_90d": listing_findings("prohibited"),
    "listing_findings_counterfeit_90d": listing_findings("counterfeit"),
    "listing_findings_ip_90d": listing_findings("ip"),
    "listing_findings_misleading_90d": listing_findings("misleading"),
    "listing_findings_wrong_category_90d": listing_findings("wrong_category"),
    "orders_7d": orders_n(7),
    "gmv_7d": gmv_n(7),
    "orders_30d": orders_n(30),
    "gmv_30d": gmv_n(30),
    "orders_90d": orders_n(90),
    "gmv_90d": gmv_n(90),
    # creators
    "creator_gmv_live_30d": creator_gmv("live"),
    "creator_gmv_video_30d": creator_gmv("video"),
    "creator_gmv_showcase_30d": creator_gmv("showcase"),
    "creator_content_orders_30d": creator_content_orders_30d,
    "videos_posted_30d": videos_posted_30d,
    "video_views_30d": video_views_30d,
    "creator_video_views_30d": creator_video_views_30d,
    "creator_live_sessions_30d": creator_live_sessions_30d,
    "creator_live_views_30d": creator_live_views_30d,
    "creator_gpm_30d": creator_gpm_30d,
    "creator_conversion_30d": creator_conversion_30d,
    "followers": followers,
    # merchant LIVE
    "valid_live_sessions_7d": valid_live_sessions(7),
    "valid_live_sessions_30d": valid_live_sessions(30),
    "live_hours_30d": live_hours_30d,
    "live_gmv_30d": live_gmv_30d,
    "live_views_30d": live_views_30d,
    "live_gpm_30d": live_gpm_30d,
    "live_click_to_order_rate_30d": live_click_to_order_rate_30d,
    "live_days_30d": live_days_30d,
    # marketplace and products
    "active_sellers_30d": distinct_in_orders("seller_id"),
    "active_creators_30d": distinct_in_orders("creator_id"),
    "units_sold_30d": units_sold_30d,
    "product_gmv_30d": product_gmv_30d,
    "product_reviews_90d": product_reviews_90d,
    "product_rating_90d": product_rating_90d,
    # service
    "tickets_7d": tickets_n(7),
    "tickets_30d": tickets_n(30),
    "first_response_hours_p50_7d": ticket_hours("first_response_at", 0.5),
    "first_response_hours_p90_7d": ticket_hours("first_response_at", 0.9),
    "resolution_hours_p50_7d": ticket_hours("resolved_at", 0.5),
    "resolution_hours_p90_7d": ticket_hours("resolved_at", 0.9),
    "csat_mean_30d": csat_mean_30d,
    "backlog": backlog,
    "reopen_rate_30d": reopen_rate_30d,
    "contacts_per_1000_orders_30d": contacts_per_1000_orders_30d,
}


# -- comparison ----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """numpy / pandas scalars as Python values, every kind of missing as ``None``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) else float(value)
    return value


def same(expected: Any, actual: Any) -> bool:
    """Counts and money exactly (money may come as a float to the cent), other numbers to a
    relative 1e-9, NULL only where NULL."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, Decimal):
        if isinstance(actual, float):
            return abs(actual - float(expected)) < 0.005
        return isinstance(actual, Decimal | int) and actual == expected
    if isinstance(expected, int):
        return isinstance(actual, int | Decimal) and actual == expected
    return isinstance(actual, float) and math.isclose(actual, expected, rel_tol=1e-9)


@dataclass
class Compared:
    keys: list[Any]
    actual: dict[str, list[Any]]
    expected: dict[str, list[Any]]


@pytest.fixture(scope="module")
def raw(marketplace: Marketplace) -> dict[str, pd.DataFrame]:
    return load_raw(marketplace.synth)


@pytest.fixture(scope="module")
def compared(
    marketplace: Marketplace, raw: dict[str, pd.DataFrame]
) -> Callable[[str, dt.date], Compared]:
    """The snapshot and the pandas values of every metric of an entity as of a date."""
    compiler = Compiler(marketplace.catalog, "duckdb", "Asia/Jakarta")
    cache: dict[tuple[str, dt.date], Compared] = {}

    def get(entity: str, as_of: dt.date) -> Compared:
        if (entity, as_of) not in cache:
            table = engine.run(marketplace.con, compiler.snapshot(entity, as_of)).to_pydict()
            snap = Snap(raw, entity, as_of)
            expected = {
                m.name: [plain(v) for v in METRICS[m.name](snap).tolist()]
                for m in marketplace.catalog.snapshot_metrics(entity)
                if m.name in METRICS
            }
            key = marketplace.catalog.entity(entity).key or "marketplace"
            assert list(snap.subjects) == table[key], f"{entity} subjects as of {as_of}"
            assert set(table["as_of"]) == {as_of}
            cache[entity, as_of] = Compared(table[key], table, expected)
        return cache[entity, as_of]

    return get


def test_every_snapshot_metric_is_checked() -> None:
    snapshot = {name for _, name in CASES}
    assert not snapshot - set(METRICS), "snapshot metrics without a pandas check"
    assert not set(METRICS) - snapshot, "pandas checks of metrics no snapshot has"


@pytest.mark.parametrize("as_of", DATES, ids=str)
@pytest.mark.parametrize("entity", list(CATALOG.entities))
def test_snapshot_has_one_row_per_subject(
    compared: Callable[[str, dt.date], Compared], entity: str, as_of: dt.date
) -> None:
    result = compared(entity, as_of)
    assert len(result.keys) == len(set(result.keys)) > 0
    names = [m.name for m in CATALOG.snapshot_metrics(entity)]
    assert list(result.actual) == [CATALOG.entity(entity).key or "marketplace", "as_of", *names]


@pytest.mark.parametrize("as_of", DATES, ids=str)
@pytest.mark.parametrize(("entity", "metric"), CASES, ids=[f"{e}-{m}" for e, m in CASES])
def test_metric_matches_pandas(
    compared: Callable[[str, dt.date], Compared], entity: str, metric: str, as_of: dt.date
) -> None:
    assert metric in METRICS, f"{metric} has no pandas check in METRICS"
    result = compared(entity, as_of)
    actual, expected = result.actual[metric], result.expected[metric]
    wrong = [
        (key, e, a)
        for key, e, a in zip(result.keys, expected, actual, strict=True)
        if not same(e, a)
    ]
    shown = "\n".join(f"  {k}: pandas {e!r}, snapshot {a!r}" for k, e, a in wrong[:8])
    assert not wrong, f"{metric} of {entity} as of {as_of}: {len(wrong)} rows differ\n{shown}"


def test_every_metric_is_exercised(compared: Callable[[str, dt.date], Compared]) -> None:
    """Each metric has a non-zero, non-NULL value somewhere: the checks compare real numbers."""
    seen: set[str] = set()
    for entity in CATALOG.entities:
        for as_of in DATES:
            for name, values in compared(entity, as_of).expected.items():
                if any(v not in (None, 0) for v in values):
                    seen.add(name)
    assert seen == set(METRICS)
