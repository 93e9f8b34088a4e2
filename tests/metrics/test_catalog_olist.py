"""Governance rates on real data: the Olist 2017 subset, snapshot against pandas on the CSVs.

The expected values are computed from the original Olist files with pandas, following the
connector's documented rules (one order per seller, ``ship_by_at`` = the seller's earliest
``shipping_limit_date``, ``shipped_at`` = carrier date, ``delivered_at`` = customer date; orders
without items or delivered before dispatch are refused) and the metric definitions of
governance.yml. Olist times are São Paulo wall times; windows are UTC instants from the local
midnights of the compiler's zone, whatever that zone is.

The subset has no review file, so no order has a rating: ``negative_review_rate_90d`` is 0 where
at least 10 orders were delivered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from pasar.config import Settings
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.engines import duckdb as engine
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse

OLIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "olist"
SUBSET = OLIST / "orders_2017_10k"
METRICS = ["late_dispatch_rate_7d", "late_delivery_rate_30d", "negative_review_rate_90d"]
AS_OF = (dt.date(2017, 11, 30), dt.date(2017, 12, 31))
ZONES = ("America/Sao_Paulo", "Asia/Jakarta")

pytestmark = pytest.mark.skipif(not OLIST.exists(), reason=f"{OLIST} not present")


@dataclass
class Olist:
    con: duckdb.DuckDBPyConnection
    catalog: Catalog
    orders: pd.DataFrame  # one row per (order, seller), as pandas reads the rules
    sellers: list[str]


def _utc(text: pd.Series) -> pd.Series:
    """São Paulo wall times as UTC instants; a wall time skipped or repeated by a daylight
    saving change is read at standard time (UTC-3), as the ingest reads it."""
    local = pd.to_datetime(text).dt.tz_localize(
        "America/Sao_Paulo", ambiguous=False, nonexistent=pd.Timedelta(hours=1)
    )
    return local.dt.tz_convert("UTC")


def expected_orders() -> pd.DataFrame:
    orders = pd.read_csv(SUBSET / "orders.csv", dtype=str)
    items = pd.read_csv(SUBSET / "order_items.csv", dtype=str)
    items["shipping_limit_date"] = _utc(items["shipping_limit_date"])
    parts = (
        items.groupby(["order_id", "seller_id"])["shipping_limit_date"]
        .min()
        .rename("ship_by_at")
        .reset_index()
    )
    merged = orders.merge(parts, on="order_id", how="inner")  # no items: no seller, refused
    times = {
        "created_at": "order_purchase_timestamp",
        "paid_at": "order_approved_at",
        "shipped_at": "order_delivered_carrier_date",
        "delivered_at": "order_delivered_customer_date",
        "estimated_delivery_at": "order_estimated_delivery_date",
    }
    for name, column in times.items():
        merged[name] = _utc(merged[column])
    refused = pd.Series(False, index=merged.index)
    for first, then in (
        ("created_at", "paid_at"),
        ("created_at", "shipped_at"),
        ("shipped_at", "delivered_at"),
        ("created_at", "delivered_at"),
    ):
        refused |= merged[then] < merged[first]
    return merged[~refused]


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Olist]:
    settings = Settings(home=tmp_path_factory.mktemp("olist-metrics"))
    report = ingest(IngestRequest([OLIST], source="olist"), settings)
    assert report.status == "committed"
    con = Warehouse(settings.warehouse_dir).connect()
    sellers = pd.read_csv(OLIST / "olist_sellers_dataset.csv", dtype=str)["seller_id"]
    yield Olist(con, load_catalog(), expected_orders(), sorted(sellers))
    con.close()


def _midnight(day: dt.date, zone: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))).tz_convert(
        "UTC"
    )


def _in_window(times: pd.Series, as_of: dt.date, days: int, zone: str) -> pd.Series:
    start = _midnight(as_of - dt.timedelta(days=days - 1), zone)
    end = _midnight(as_of + dt.timedelta(days=1), zone)
    return (times >= start) & (times < end)


def _rate(late: pd.Series, rows: pd.Series, keys: pd.Series, index: list[str]) -> list[Any]:
    """Per key: late / rows as a float, NULL below 10 rows."""
    num = late[rows].groupby(keys[rows]).sum().reindex(index, fill_value=0)
    den = rows[rows].groupby(keys[rows]).size().reindex(index, fill_value=0)
    return [float(n) / d if d >= 10 else None for n, d in zip(num, den, strict=True)]


def expected(
    o: pd.DataFrame, keys: pd.Series, index: list[str], as_of: dt.date, zone: str
) -> dict[str, list[Any]]:
    """The three rates per key as the definitions say, from the pandas orders."""
    due = _in_window(o["ship_by_at"], as_of, 7, zone)  # nothing is cancelled in Olist's terms
    late_dispatch = o["shipped_at"].isna() | (o["shipped_at"] > o["ship_by_at"])
    delivered_30 = _in_window(o["delivered_at"], as_of, 30, zone)
    late_delivery = o["delivered_at"] > o["estimated_delivery_at"]
    delivered_90 = _in_window(o["delivered_at"], as_of, 90, zone)
    no_review = pd.Series(False, index=o.index)  # the subset has no reviews
    return {
        "late_dispatch_rate_7d": _rate(late_dispatch, due, keys, index),
        "late_delivery_rate_30d": _rate(late_delivery, delivered_30, keys, index),
        "negative_review_rate_90d": _rate(no_review, delivered_90, keys, index),
    }


def _same(want: Any, got: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(got, want, rel_tol=1e-9)


def _differences(want: dict[str, list[Any]], got: dict[str, list[Any]], keys: list[str]) -> str:
    lines = []
    for metric in METRICS:
        for key, w, g in zip(keys, want[metric], got[metric], strict=True):
            if not _same(w, g):
                lines.append(f"{metric} {key}: pandas {w!r}, snapshot {g!r}")
    return "\n".join(lines[:20])


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_seller_rates_match_pandas(olist: Olist, as_of: dt.date, zone: str) -> None:
    select = Compiler(olist.catalog, "duckdb", zone).snapshot("seller", as_of, METRICS)
    got = engine.run(olist.con, select).to_pydict()
    assert got["seller_id"] == olist.sellers
    o = olist.orders
    want = expected(o, o["seller_id"], olist.sellers, as_of, zone)
    assert not _differences(want, got, olist.sellers), _differences(want, got, olist.sellers)
    judged = {m: sum(v is not None for v in want[m]) for m in METRICS}
    assert all(n > 0 for n in judged.values()), judged  # some sellers reach 10 orders


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_marketplace_rates_match_pandas(olist: Olist, as_of: dt.date, zone: str) -> None:
    select = Compiler(olist.catalog, "duckdb", zone).snapshot("marketplace", as_of, METRICS)
    got = engine.run(olist.con, select).to_pydict()
    o = olist.orders
    want = expected(o, pd.Series("all", index=o.index), ["all"], as_of, zone)
    assert not _differences(want, got, ["all"]), _differences(want, got, ["all"])
    assert want["late_dispatch_rate_7d"][0] > 0
    assert 0.02 < want["late_delivery_rate_30d"][0] < 0.5
    assert want["negative_review_rate_90d"] == [0.0]
