"""Metric snapshot benchmark: the full seller snapshot, against hand-written DuckDB and pandas,
and day N+1 built incrementally against a full rebuild.

The marketplace is the default profile scaled to 20M orders and 200k sellers over 365 days
(1M orders and 20k sellers with ``--quick``), generated and ingested once into a warehouse
cached under ``benchmarks/results/``. Every measured run is a fresh subprocess.

* Pasar, full: ``build_snapshots("seller", [N], full=True)`` — the compiled catalog SQL over the
  rows, all 23 seller metrics, written as a snapshot file.
* Baseline 1: one hand-written DuckDB query computing the same 23 columns (``HAND_SQL``).
* Baseline 2: pandas, reading the same Parquet columns and grouping by seller.
* Incremental: the snapshot of day N+1 after day N's (daily partials of N in place) against
  the full rebuild of N+1.

All three full computations must give the same numbers (counts and money exactly, rates to
1e-9): the benchmark checks it before printing.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.bench_synth import DAYS, PROFILE, orders_per_day_for
from benchmarks.common import Measured, Result, log, run_isolated
from pasar.config import Settings
from pasar.kit.sqltext import literal
from pasar.metrics.query import catalog_for, latest_day
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import BatchRecord, TableCounts, Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

NAME = "snapshot"
FULL = (20_000_000, 200_000)  # orders, sellers
QUICK = (1_000_000, 20_000)
HAND_TARGET = 1.5  # Pasar ÷ hand-written DuckDB, at most
PANDAS_EXPECTED = 4.0  # pandas ÷ Pasar, expected above
INCREMENTAL_TARGET = 0.2  # day N+1 incremental ÷ full rebuild, at most
ZONE = "Asia/Jakarta"
CACHE_DIR = Path(__file__).resolve().parent / "results"
VERSION = 2  # bump when the way the marketplace is built changes


def cached_home(orders: int, sellers: int) -> Path:
    return CACHE_DIR / f"snapshot-{orders}-{sellers}-v{VERSION}"


def build_home(orders: int, sellers: int, out: str) -> int:
    """Generate the marketplace and ingest it into a warehouse under ``out``."""
    home = Path(out)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-snapshot-gen-"))
    try:
        profile = load_profile(PROFILE).with_overrides(
            orders_per_day=orders_per_day_for(orders),
            days=DAYS,
            sellers=sellers,
            creators=sellers // 2,
            products_per_seller=4,
        )
        generated = generate(profile, scratch / "synth")
        load_trusted(scratch / "synth", Warehouse(Settings(home=home).warehouse_dir))
        return int(generated.rows["orders"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def load_trusted(synth: Path, warehouse: Warehouse) -> None:
    """Store the generated tables as they are, streamed by DuckDB.

    The generator writes contract-conforming tables, and ingestion (which holds a whole file in
    memory while validating it) is measured by its own benchmark; at 20M orders it would need
    more memory than this machine has, so the benchmark loads the warehouse directly.
    """
    now = dt.datetime.now(dt.UTC)
    counts: dict[str, TableCounts] = {}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    with warehouse.writer() as writer:
        for table in CONTRACT:
            source = (synth / f"{table}.parquet").as_posix()
            select = (
                f"SELECT *, 'bench' AS _batch_id, {literal(source)} AS _source_file, "
                "CAST(NULL AS BIGINT) AS _source_row, false AS _stub "
                f"FROM read_parquet({literal(source)})"
            )
            segment = writer.write_segment(con, table, select, f"bench-{table}")
            writer.replace_segments(table, set(), [segment] if segment else [])
            counts[table] = TableCounts(inserted=segment.rows if segment else 0)
        writer.commit(
            BatchRecord(
                batch_id="bench",
                source="generated (trusted load)",
                started_at=now,
                finished_at=dt.datetime.now(dt.UTC),
                files=[],
                tables=counts,
                rejected_rows=0,
            )
        )


def ensure_home(orders: int, sellers: int) -> Path:
    home = cached_home(orders, sellers)
    if (home / "warehouse" / "manifest.json").is_file():
        log(f"snapshot: using cached warehouse {home.name}")
        return home
    partial = home.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    log(f"snapshot: generating and loading {orders:,} orders, {sellers:,} sellers (cached)")
    built = run_isolated(build_home, orders, sellers, str(partial))
    log(f"  {built.value:,} orders in {built.seconds:.0f} s, peak {built.peak_rss_mib:,.0f} MiB")
    partial.replace(home)
    return home


# --- the three full computations ---------------------------------------------------------------


def _settings(home: str) -> Settings:
    return Settings(home=Path(home), timezone=ZONE)


def as_of_days(home: str) -> tuple[dt.date, dt.date]:
    """Day N (the day before the last with orders) and day N+1."""
    con = Warehouse(_settings(home).warehouse_dir).connect()
    last = latest_day(con, ZONE)
    return last - dt.timedelta(days=1), last


def _scratch(home: str, snapshots: str) -> Settings:
    """Settings over the cached warehouse whose snapshots go to a scratch folder."""
    scratch = Path(snapshots)
    scratch.mkdir(parents=True, exist_ok=True)
    link = scratch / "warehouse"
    if not link.exists():
        link.symlink_to(_settings(home).warehouse_dir.resolve())
    return _settings(snapshots)


def pasar_full(home: str, snapshots: str, day: dt.date) -> pa.Table:
    """The seller snapshot computed from the rows (no daily partials)."""
    settings = _scratch(home, snapshots)
    build_snapshots("seller", [day], settings, catalog_for(settings), force=True, full=True)
    return read_snapshot(settings, "seller", day)


def pasar_daily(home: str, snapshots: str, day: dt.date) -> int:
    """The seller snapshot from daily partials (computing the missing days); returns how many
    days of partials were computed."""
    settings = _scratch(home, snapshots)
    return build_snapshots("seller", [day], settings, catalog_for(settings)).daily_days_computed


def _bounds(day: dt.date) -> dict[str, str]:
    """UTC instants at which local windows ending with ``day`` begin (and end)."""
    zone = dt.timezone(dt.timedelta(hours=7))  # WIB has no daylight saving
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)

    def text(moment: dt.datetime) -> str:
        return f"TIMESTAMPTZ '{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}+00'"

    found = {f"s{n}": text(end - dt.timedelta(days=n)) for n in (7, 30, 60, 90)}
    found["e"] = text(end)
    return found


SELLER_FAULT_CANCEL = (
    "cancelled_at IS NOT NULL AND (cancel_initiator = 'seller' "
    "OR (cancel_initiator = 'system' AND paid_at IS NOT NULL))"
)

HAND_SQL = """
WITH worst AS (SELECT order_id, min(rating) AS worst FROM reviews GROUP BY order_id),
created AS (
  SELECT o.seller_id,
    count(*) FILTER (WHERE created_at >= {s7}) AS orders_7d,
    sum(gmv) FILTER (WHERE created_at >= {s7}) AS gmv_7d,
    count(*) FILTER (WHERE created_at >= {s30}) AS orders_30d,
    sum(gmv) FILTER (WHERE created_at >= {s30}) AS gmv_30d,
    count(*) AS orders_90d,
    sum(gmv) AS gmv_90d,
    count(*) FILTER (WHERE created_at >= {s7} AND {sfc}) AS sfc_7d,
    count(*) FILTER (WHERE created_at >= {s60}) AS placed_60d,
    count(*) FILTER (WHERE created_at >= {s60}
                     AND (w.worst <= 2 OR return_fault = 'seller' OR ({sfc}))) AS defects_60d
  FROM orders o LEFT JOIN worst w USING (order_id)
  WHERE created_at >= {s90} AND created_at < {e} AND o.seller_id IS NOT NULL
  GROUP BY o.seller_id),
due AS (
  SELECT seller_id,
    count(*) FILTER (WHERE NOT (shipped_at IS NULL AND cancelled_at IS NOT NULL
                                AND cancelled_at <= ship_by_at)) AS due_7d,
    count(*) FILTER (WHERE NOT (shipped_at IS NULL AND cancelled_at IS NOT NULL
                                AND cancelled_at <= ship_by_at)
                     AND (shipped_at IS NULL OR shipped_at > ship_by_at)) AS late_7d
  FROM orders WHERE ship_by_at >= {s7} AND ship_by_at < {e} AND seller_id IS NOT NULL
  GROUP BY seller_id),
delivered AS (
  SELECT o.seller_id,
    count(*) FILTER (WHERE delivered_at >= {s30}) AS delivered_30d,
    count(*) FILTER (WHERE delivered_at >= {s30} AND return_fault = 'seller') AS returned_30d,
    count(*) FILTER (WHERE delivered_at >= {s30}
                     AND delivered_at > estimated_delivery_at) AS late_delivered_30d,
    count(*) AS delivered_90d,
    count(*) FILTER (WHERE w.worst <= 2) AS negative_90d
  FROM orders o LEFT JOIN worst w USING (order_id)
  WHERE delivered_at >= {s90} AND delivered_at < {e} AND o.seller_id IS NOT NULL
  GROUP BY o.seller_id),
chat AS (
  SELECT seller_id, count(*) AS chats_30d,
    count(*) FILTER (WHERE first_response_at IS NOT NULL AND
      (epoch_us(first_response_at) - epoch_us(buyer_message_at)) / 3.6e9 <= 12) AS answered_30d,
    count(*) FILTER (WHERE first_response_at IS NOT NULL) AS responded_30d,
    quantile_cont((epoch_us(first_response_at) - epoch_us(buyer_message_at)) / 6e7, 0.5)
      FILTER (WHERE first_response_at IS NOT NULL) AS response_p50
  FROM chats WHERE buyer_message_at >= {s30} AND buyer_message_at < {e}
    AND seller_id IS NOT NULL
  GROUP BY seller_id),
findings AS (
  SELECT seller_id, count(*) AS all_90d,
    count(*) FILTER (WHERE violation_type = 'prohibited') AS prohibited_90d,
    count(*) FILTER (WHERE violation_type = 'counterfeit') AS counterfeit_90d,
    count(*) FILTER (WHERE violation_type = 'ip') AS ip_90d,
    count(*) FILTER (WHERE violation_type = 'misleading') AS misleading_90d,
    count(*) FILTER (WHERE violation_type = 'wrong_category') AS wrong_category_90d
  FROM listing_checks WHERE checked_at >= {s90} AND checked_at < {e}
    AND seller_id IS NOT NULL
  GROUP BY seller_id),
video AS (
  SELECT seller_id, count(*) AS videos_30d, sum(views) AS views_30d
  FROM videos WHERE posted_at >= {s30} AND posted_at < {e} AND seller_id IS NOT NULL
  GROUP BY seller_id),
units AS (
  SELECT o.seller_id, sum(i.quantity) FILTER (WHERE o.cancelled_at IS NULL) AS units_30d
  FROM order_items i JOIN orders o USING (order_id)
  WHERE o.created_at >= {s30} AND o.created_at < {e} AND o.seller_id IS NOT NULL
  GROUP BY o.seller_id)
SELECT s.seller_id,
  coalesce(videos_30d, 0) AS videos_posted_30d,
  coalesce(views_30d, 0) AS video_views_30d,
  CASE WHEN coalesce(due_7d, 0) >= 10 THEN late_7d / due_7d END AS late_dispatch_rate_7d,
  CASE WHEN coalesce(orders_7d, 0) >= 10 THEN sfc_7d / orders_7d END
    AS seller_fault_cancellation_rate_7d,
  CASE WHEN coalesce(delivered_30d, 0) >= 10 THEN returned_30d / delivered_30d END
    AS seller_fault_return_rate_30d,
  CASE WHEN coalesce(delivered_90d, 0) >= 10 THEN negative_90d / delivered_90d END
    AS negative_review_rate_90d,
  CASE WHEN coalesce(placed_60d, 0) >= 10 THEN defects_60d / placed_60d END
    AS order_defect_rate_60d,
  CASE WHEN coalesce(delivered_30d, 0) >= 10 THEN late_delivered_30d / delivered_30d END
    AS late_delivery_rate_30d,
  CASE WHEN coalesce(chats_30d, 0) >= 5 THEN answered_30d / chats_30d END
    AS chat_response_rate_12h_30d,
  CASE WHEN coalesce(responded_30d, 0) >= 5 THEN response_p50 END
    AS chat_first_response_minutes_p50_30d,
  coalesce(all_90d, 0) AS listing_findings_90d,
  coalesce(prohibited_90d, 0) AS listing_findings_prohibited_90d,
  coalesce(counterfeit_90d, 0) AS listing_findings_counterfeit_90d,
  coalesce(ip_90d, 0) AS listing_findings_ip_90d,
  coalesce(misleading_90d, 0) AS listing_findings_misleading_90d,
  coalesce(wrong_category_90d, 0) AS listing_findings_wrong_category_90d,
  coalesce(orders_7d, 0) AS orders_7d, coalesce(gmv_7d, 0) AS gmv_7d,
  coalesce(orders_30d, 0) AS orders_30d, coalesce(gmv_30d, 0) AS gmv_30d,
  coalesce(orders_90d, 0) AS orders_90d, coalesce(gmv_90d, 0) AS gmv_90d,
  coalesce(units_30d, 0) AS units_sold_30d
FROM (SELECT DISTINCT seller_id FROM sellers WHERE seller_id IS NOT NULL) s
LEFT JOIN created USING (seller_id) LEFT JOIN due USING (seller_id)
LEFT JOIN delivered USING (seller_id) LEFT JOIN chat USING (seller_id)
LEFT JOIN findings USING (seller_id) LEFT JOIN video USING (seller_id)
LEFT JOIN units USING (seller_id)
ORDER BY s.seller_id
"""


def hand_written(home: str, day: dt.date) -> pa.Table:
    """One hand-written DuckDB query computing the seller snapshot's 23 columns."""
    con = Warehouse(_settings(home).warehouse_dir).connect()
    sql = HAND_SQL.format(sfc=SELLER_FAULT_CANCEL, **_bounds(day))
    return con.sql(sql).to_arrow_table()


def _frame(home: str, table: str, columns: list[str]) -> pd.DataFrame:
    warehouse = Warehouse(_settings(home).warehouse_dir)
    files = [
        (warehouse.root / s.file).as_posix() for s in warehouse.manifest().entry(table).segments
    ]
    arrow = pq.read_table(files, columns=columns)
    for name in columns:  # money as whole cents (exact int64), times as UTC timestamps
        if pa.types.is_decimal(arrow.schema.field(name).type):
            cents = pc.cast(pc.multiply(arrow[name], pa.scalar(Decimal(100))), pa.int64())
            arrow = arrow.set_column(arrow.schema.get_field_index(name), name, cents)
    return arrow.to_pandas()


def pandas_groupby(home: str, day: dt.date) -> pd.DataFrame:
    """The seller snapshot with pandas: boolean columns per condition, one groupby per table."""
    zone = dt.timezone(dt.timedelta(hours=7))
    end = pd.Timestamp(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone))
    start = {n: end - pd.Timedelta(days=n) for n in (7, 30, 60, 90)}
    sellers = pd.Index(
        sorted(_frame(home, "sellers", ["seller_id"])["seller_id"].dropna().unique()),
        name="seller_id",
    )
    o = _frame(
        home,
        "orders",
        [
            "order_id",
            "seller_id",
            "created_at",
            "paid_at",
            "ship_by_at",
            "shipped_at",
            "delivered_at",
            "estimated_delivery_at",
            "cancelled_at",
            "cancel_initiator",
            "return_fault",
            "gmv",
        ],
    )
    reviews = _frame(home, "reviews", ["order_id", "rating"])
    worst = reviews.groupby("order_id")["rating"].min().rename("worst")
    o = o.join(worst, on="order_id")
    sfc = o["cancelled_at"].notna() & (
        (o["cancel_initiator"] == "seller")
        | ((o["cancel_initiator"] == "system") & o["paid_at"].notna())
    )
    out = pd.DataFrame(index=sellers)

    created = o[(o["created_at"] >= start[90]) & (o["created_at"] < end)]
    c = created.assign(
        in7=created["created_at"] >= start[7],
        in30=created["created_at"] >= start[30],
        in60=created["created_at"] >= start[60],
    )
    c = c.assign(
        gmv7=c["gmv"].where(c["in7"], 0),
        gmv30=c["gmv"].where(c["in30"], 0),
        sfc7=c["in7"] & sfc.loc[c.index],
        defect60=c["in60"]
        & ((c["worst"] <= 2) | (c["return_fault"] == "seller") | sfc.loc[c.index]),
    )
    g = c.groupby("seller_id").agg(
        orders_7d=("in7", "sum"),
        gmv_7d=("gmv7", "sum"),
        orders_30d=("in30", "sum"),
        gmv_30d=("gmv30", "sum"),
        orders_90d=("order_id", "size"),
        gmv_90d=("gmv", "sum"),
        sfc_7d=("sfc7", "sum"),
        placed_60d=("in60", "sum"),
        defects_60d=("defect60", "sum"),
    )
    out = out.join(g)

    due = o[(o["ship_by_at"] >= start[7]) & (o["ship_by_at"] < end)]
    counted = ~(
        due["shipped_at"].isna()
        & due["cancelled_at"].notna()
        & (due["cancelled_at"] <= due["ship_by_at"])
    )
    late = counted & (due["shipped_at"].isna() | (due["shipped_at"] > due["ship_by_at"]))
    out = out.join(
        due.assign(due=counted, late=late)
        .groupby("seller_id")
        .agg(due_7d=("due", "sum"), late_7d=("late", "sum"))
    )

    d = o[(o["delivered_at"] >= start[90]) & (o["delivered_at"] < end)]
    in30 = d["delivered_at"] >= start[30]
    out = out.join(
        d.assign(
            d30=in30,
            ret30=in30 & (d["return_fault"] == "seller"),
            late30=in30 & (d["delivered_at"] > d["estimated_delivery_at"]),
            neg=d["worst"] <= 2,
        )
        .groupby("seller_id")
        .agg(
            delivered_30d=("d30", "sum"),
            returned_30d=("ret30", "sum"),
            late_delivered_30d=("late30", "sum"),
            delivered_90d=("order_id", "size"),
            negative_90d=("neg", "sum"),
        )
    )

    chats = _frame(home, "chats", ["seller_id", "buyer_message_at", "first_response_at"])
    chats = chats[(chats["buyer_message_at"] >= start[30]) & (chats["buyer_message_at"] < end)]
    elapsed = (chats["first_response_at"] - chats["buyer_message_at"]).dt.total_seconds()
    chats = chats.assign(
        answered=chats["first_response_at"].notna() & (elapsed / 3600 <= 12),
        responded=chats["first_response_at"].notna(),
        minutes=elapsed / 60,
    )
    out = out.join(
        chats.groupby("seller_id").agg(
            chats_30d=("seller_id", "size"),
            answered_30d=("answered", "sum"),
            responded_30d=("responded", "sum"),
            response_p50=("minutes", "median"),
        )
    )

    checks = _frame(home, "listing_checks", ["seller_id", "checked_at", "violation_type"])
    checks = checks[(checks["checked_at"] >= start[90]) & (checks["checked_at"] < end)]
    kinds = pd.crosstab(checks["seller_id"], checks["violation_type"])
    kinds["all"] = kinds.sum(axis=1)
    out = out.join(kinds.add_prefix("findings_"))

    videos = _frame(home, "videos", ["seller_id", "posted_at", "views"])
    videos = videos[(videos["posted_at"] >= start[30]) & (videos["posted_at"] < end)]
    out = out.join(
        videos.groupby("seller_id").agg(videos_30d=("views", "size"), views_30d=("views", "sum"))
    )

    items = _frame(home, "order_items", ["order_id", "quantity"])
    lines = items.merge(o[["order_id", "seller_id", "created_at", "cancelled_at"]], on="order_id")
    lines = lines[(lines["created_at"] >= start[30]) & (lines["created_at"] < end)]
    lines = lines[lines["cancelled_at"].isna()]
    out = out.join(lines.groupby("seller_id")["quantity"].sum().rename("units_30d"))

    def rate(num: str, den: str, least: int) -> pd.Series:
        n, m = out[num].fillna(0), out[den].fillna(0)
        return (n / m.where(m > 0)).where(m >= least)

    zero = out.fillna(0)
    return pd.DataFrame(
        {
            "videos_posted_30d": zero["videos_30d"],
            "video_views_30d": zero["views_30d"],
            "late_dispatch_rate_7d": rate("late_7d", "due_7d", 10),
            "seller_fault_cancellation_rate_7d": rate("sfc_7d", "orders_7d", 10),
            "seller_fault_return_rate_30d": rate("returned_30d", "delivered_30d", 10),
            "negative_review_rate_90d": rate("negative_90d", "delivered_90d", 10),
            "order_defect_rate_60d": rate("defects_60d", "placed_60d", 10),
            "late_delivery_rate_30d": rate("late_delivered_30d", "delivered_30d", 10),
            "chat_response_rate_12h_30d": rate("answered_30d", "chats_30d", 5),
            "chat_first_response_minutes_p50_30d": out["response_p50"].where(
                zero["responded_30d"] >= 5
            ),
            "listing_findings_90d": zero.get("findings_all", 0),
            **{
                f"listing_findings_{kind}_90d": zero.get(f"findings_{kind}", 0)
                for kind in ("prohibited", "counterfeit", "ip", "misleading", "wrong_category")
            },
            "orders_7d": zero["orders_7d"],
            "gmv_7d": zero["gmv_7d"] / 100,
            "orders_30d": zero["orders_30d"],
            "gmv_30d": zero["gmv_30d"] / 100,
            "orders_90d": zero["orders_90d"],
            "gmv_90d": zero["gmv_90d"] / 100,
            "units_sold_30d": zero["units_30d"],
        },
        index=sellers,
    ).reset_index()


# --- comparing and reporting ---------------------------------------------------------------


def _check_same(name: str, pasar: pa.Table, other: dict[str, list[Any]]) -> None:
    """Every column of ``other`` equals Pasar's: the same sellers, numbers to 1e-9, NULL/NaN
    alike."""
    if pasar["seller_id"].to_pylist() != list(other["seller_id"]):
        raise AssertionError(f"{name}: not the same sellers as Pasar's snapshot")
    for column, values in other.items():
        if column == "seller_id":
            continue
        mine = pasar[column].to_pylist()
        if len(mine) != len(values):
            raise AssertionError(f"{name}: {column} has {len(values)} rows, Pasar {len(mine)}")
        for key, a, b in zip(pasar["seller_id"].to_pylist(), mine, values, strict=True):
            a_null = a is None or (isinstance(a, float) and math.isnan(a))
            b_null = b is None or (isinstance(b, float) and math.isnan(b))
            if a_null != b_null or (
                not a_null and not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
            ):
                raise AssertionError(f"{name}: {column} of {key}: Pasar {a}, {name} {b}")


def _size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def run(quick: bool = False) -> list[Result]:
    orders, sellers = QUICK if quick else FULL
    home = ensure_home(orders, sellers)
    n, n1 = as_of_days(str(home))
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-snapshot-"))
    try:
        log(f"snapshot: Pasar full seller snapshot as of {n}")
        full: Measured[pa.Table] = run_isolated(pasar_full, str(home), str(scratch / "a"), n)
        rows = full.value.num_rows
        log(f"  {full.seconds:.2f} s, peak {full.peak_rss_mib:,.0f} MiB, {rows:,} sellers")
        log("snapshot: hand-written DuckDB query")
        hand: Measured[pa.Table] = run_isolated(hand_written, str(home), n)
        log(f"  {hand.seconds:.2f} s, peak {hand.peak_rss_mib:,.0f} MiB")
        log("snapshot: pandas groupby")
        panda: Measured[pd.DataFrame] = run_isolated(pandas_groupby, str(home), n)
        log(f"  {panda.seconds:.2f} s, peak {panda.peak_rss_mib:,.0f} MiB")
        _check_same("hand-written SQL", full.value, hand.value.to_pydict())
        frame = panda.value.replace({np.nan: None})
        _check_same("pandas", full.value, {c: frame[c].tolist() for c in frame.columns})
        log("snapshot: day N built (daily partials stored), then day N+1 incrementally")
        prepared = run_isolated(pasar_daily, str(home), str(scratch / "b"), n)
        incremental = run_isolated(pasar_daily, str(home), str(scratch / "b"), n1)
        rebuild = run_isolated(pasar_full, str(home), str(scratch / "c"), n1)
        log(
            f"  day N: {prepared.seconds:.2f} s ({prepared.value} partial days); day N+1: "
            f"{incremental.seconds:.2f} s ({incremental.value} partial days) vs full rebuild "
            f"{rebuild.seconds:.2f} s"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    size = f"{_size(orders)} orders, {_size(sellers)} sellers"
    hand_ratio = full.seconds / hand.seconds
    pandas_ratio = panda.seconds / full.seconds
    incremental_ratio = incremental.seconds / rebuild.seconds
    print(
        f"snapshot: Pasar {full.seconds:.2f} s, hand-written DuckDB {hand.seconds:.2f} s "
        f"({hand_ratio:.2f}×), pandas {panda.seconds:.2f} s ({pandas_ratio:.1f}× slower); "
        f"day N+1 incremental {incremental.seconds:.2f} s vs rebuild {rebuild.seconds:.2f} s "
        f"= {incremental_ratio:.2f}"
    )
    same = "All three give the same 23 columns for every seller (checked)."
    return [
        Result(
            name=NAME,
            measured=f"full seller snapshot (23 metrics), {size}",
            value=full.seconds,
            unit="s",
            baseline=hand.seconds,
            ratio=hand_ratio,
            better="lower (Pasar ÷ hand-written DuckDB)",
            target=f"≤ {HAND_TARGET:g}×",
            note=f"Baseline: one hand-written DuckDB query for the same columns. {same}",
            ok=hand_ratio <= HAND_TARGET,
        ),
        Result(
            name=NAME,
            measured=f"full seller snapshot vs pandas groupby, {size}",
            value=full.seconds,
            unit="s",
            baseline=panda.seconds,
            ratio=pandas_ratio,
            better="higher (pandas ÷ Pasar)",
            target=f"> {PANDAS_EXPECTED:g}× (expected)",
            note=(
                f"pandas peak RSS {panda.peak_rss_mib:,.0f} MiB, "
                f"Pasar {full.peak_rss_mib:,.0f} MiB."
            ),
            ok=pandas_ratio > PANDAS_EXPECTED,
        ),
        Result(
            name=NAME,
            measured=f"day N+1 after day N (daily partials) vs full rebuild, {size}",
            value=incremental.seconds,
            unit="s",
            baseline=rebuild.seconds,
            ratio=incremental_ratio,
            better="lower (incremental ÷ rebuild)",
            target=f"≤ {INCREMENTAL_TARGET:g}",
            note=(
                f"Day N+1 computed {incremental.value} day(s) of partials (one per dataset and "
                f"time column); day N computed {prepared.value}."
            ),
            ok=incremental_ratio <= INCREMENTAL_TARGET,
        ),
    ]
