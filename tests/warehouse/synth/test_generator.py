"""The synthetic marketplace, checked from its Parquet output with DuckDB.

Every number is recomputed in SQL from the files the generator wrote: the contract (schemas,
keys, nulls, enums, bounds, references, time order), the cross-table facts an analyst relies on
(order GMV = its lines, LIVE sessions = their orders, ...), the realism ranges of the profile's
``expected`` section, determinism, chunking and atomic output.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.synth import generator
from pasar.warehouse.synth.generator import MANIFEST, SynthResult, generate
from pasar.warehouse.synth.geography import PROVINCES
from pasar.warehouse.synth.profile import Expected, Profile, load_profile
from tests.warehouse.synth.conftest import open_market

JAVA = ("DKI Jakarta", "Jawa Barat", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Banten")
WIB = ZoneInfo("Asia/Jakarta")
# Deadlines and promises may lie after the period end; every other timestamp is an event.
NOT_EVENTS = {("orders", "ship_by_at"), ("orders", "estimated_delivery_at")}
SELLER_DEADLINE = "Seller did not ship before the deadline"

REFERENCES = [(t.name, c.name) for t in CONTRACT.values() for c in t.columns if c.references]
TIME_ORDERS = [(t.name, left, right) for t in CONTRACT.values() for left, right in t.time_order]

# Cross-table facts: each query counts the rows that break the fact named by its key.
CROSS_CHECKS: dict[str, str] = {
    "order line for a product of another seller": """
        SELECT count(*) FROM order_items i JOIN orders o USING (order_id)
        LEFT JOIN products p ON p.product_id = i.product_id
        WHERE p.seller_id IS DISTINCT FROM o.seller_id""",
    "order without lines or gmv != sum(quantity * unit_price)": """
        SELECT count(*) FROM orders o
        LEFT JOIN (
            SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY 1
        ) i USING (order_id)
        WHERE i.total IS NULL OR i.total <> o.gmv""",
    "order lines not numbered 1..n": """
        SELECT count(*) FROM (
            SELECT order_id FROM order_items GROUP BY 1
            HAVING min(line_no) <> 1 OR max(line_no) <> count(*)
        )""",
    "live order whose content_id is not a LIVE session": """
        SELECT count(*) FROM orders o
        WHERE o.channel = 'live' AND (o.content_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM live_sessions l WHERE l.live_id = o.content_id))""",
    "video order whose content_id is not a video": """
        SELECT count(*) FROM orders o
        WHERE o.channel = 'video' AND (o.content_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM videos v WHERE v.video_id = o.content_id))""",
    "showcase/shop order with a content_id": """
        SELECT count(*) FROM orders
        WHERE channel IN ('showcase', 'shop') AND content_id IS NOT NULL""",
    "LIVE session orders/gmv differ from its orders": """
        SELECT count(*) FROM live_sessions l
        LEFT JOIN (
            SELECT content_id, count(*) AS n, sum(gmv) AS gmv FROM orders
            WHERE channel = 'live' GROUP BY 1
        ) o ON o.content_id = l.live_id
        WHERE l.orders <> coalesce(o.n, 0) OR l.gmv <> coalesce(o.gmv, 0)""",
    "LIVE funnel out of order (views >= unique >= peak, views >= clicks >= orders)": """
        SELECT count(*) FROM live_sessions
        WHERE views < unique_viewers OR unique_viewers < peak_viewers
           OR views < product_clicks OR product_clicks < orders""",
    "LIVE host columns disagree with host_type": """
        SELECT count(*) FROM live_sessions
        WHERE (host_type = 'seller' AND (seller_id IS NULL OR creator_id IS NOT NULL))
           OR (host_type = 'creator' AND (creator_id IS NULL OR seller_id IS NOT NULL))""",
    "LIVE order not sold by the session's host": """
        SELECT count(*) FROM orders o JOIN live_sessions l ON l.live_id = o.content_id
        WHERE o.channel = 'live' AND CASE l.host_type
            WHEN 'seller' THEN l.seller_id <> o.seller_id OR o.creator_id IS NOT NULL
            ELSE l.creator_id IS DISTINCT FROM o.creator_id END""",
    "LIVE order created outside its session": """
        SELECT count(*) FROM orders o JOIN live_sessions l ON l.live_id = o.content_id
        WHERE o.channel = 'live' AND (o.created_at < l.started_at OR o.created_at > l.ended_at)""",
    "LIVE session before its host joined": """
        SELECT count(*) FROM live_sessions l
        LEFT JOIN sellers s ON s.seller_id = l.seller_id
        LEFT JOIN creators c ON c.creator_id = l.creator_id
        WHERE l.started_at < coalesce(c.joined_at, s.joined_at)""",
    "video order not about its video (product, seller, creator, posted before)": """
        SELECT count(*) FROM orders o
        JOIN videos v ON v.video_id = o.content_id
        JOIN order_items i ON i.order_id = o.order_id AND i.line_no = 1
        WHERE o.channel = 'video' AND (v.product_id <> i.product_id
            OR v.seller_id <> o.seller_id OR v.creator_id IS DISTINCT FROM o.creator_id
            OR v.posted_at > o.created_at)""",
    "video of another seller's product or posted before the listing": """
        SELECT count(*) FROM videos v JOIN products p ON p.product_id = v.product_id
        WHERE v.seller_id <> p.seller_id OR v.posted_at < p.listed_at""",
    "creator video posted before the creator joined": """
        SELECT count(*) FROM videos v JOIN creators c ON c.creator_id = v.creator_id
        WHERE v.posted_at < c.joined_at""",
    "review seller/product differ from the order's seller/first line": """
        SELECT count(*) FROM reviews r
        JOIN orders o ON o.order_id = r.order_id
        JOIN order_items i ON i.order_id = r.order_id AND i.line_no = 1
        WHERE r.seller_id <> o.seller_id OR r.product_id <> i.product_id""",
    "review of an undelivered order or before delivery": """
        SELECT count(*) FROM reviews r JOIN orders o ON o.order_id = r.order_id
        WHERE o.delivered_at IS NULL OR r.created_at < o.delivered_at""",
    "creator-attributed order before the creator joined": """
        SELECT count(*) FROM orders o JOIN creators c ON c.creator_id = o.creator_id
        WHERE c.joined_at >= o.created_at""",
    "order line for a product listed after the order": """
        SELECT count(*) FROM order_items i
        JOIN orders o ON o.order_id = i.order_id
        JOIN products p ON p.product_id = i.product_id
        WHERE p.listed_at >= o.created_at""",
    "order before the seller joined": """
        SELECT count(*) FROM orders o JOIN sellers s ON s.seller_id = o.seller_id
        WHERE s.joined_at >= o.created_at""",
    "listing check of another seller or before the listing": """
        SELECT count(*) FROM listing_checks c JOIN products p ON p.product_id = c.product_id
        WHERE c.seller_id <> p.seller_id OR c.checked_at < p.listed_at""",
    "banned product without a critical finding, or the reverse": """
        SELECT count(*) FROM products p
        LEFT JOIN (
            SELECT DISTINCT product_id FROM listing_checks WHERE severity = 'critical'
        ) c ON c.product_id = p.product_id
        WHERE (p.status = 'banned') <> (c.product_id IS NOT NULL)""",
    "LIVE session pins fewer products than it sold": """
        SELECT count(*) FROM live_sessions l
        JOIN (
            SELECT o.content_id, count(DISTINCT i.product_id) AS sold FROM orders o
            JOIN order_items i ON i.order_id = o.order_id AND i.line_no = 1
            WHERE o.channel = 'live' GROUP BY 1
        ) s ON s.content_id = l.live_id
        WHERE l.products_pinned < s.sold""",
    "video with fewer views than orders, or more likes/comments/shares than views": """
        SELECT count(*) FROM videos v
        LEFT JOIN (
            SELECT content_id, count(*) AS n FROM orders WHERE channel = 'video' GROUP BY 1
        ) o ON o.content_id = v.video_id
        WHERE v.views < coalesce(o.n, 0)
           OR greatest(v.likes, v.comments, v.shares) > v.views""",
    "buyer ordering from more than one province": """
        SELECT count(*) FROM (
            SELECT buyer_id FROM orders GROUP BY 1 HAVING count(DISTINCT province) > 1
        )""",
    "cancel reason with several initiators, return reason with several faults": """
        SELECT (SELECT count(*) FROM (
                    SELECT cancel_reason FROM orders WHERE cancel_reason IS NOT NULL
                    GROUP BY 1 HAVING count(DISTINCT cancel_initiator) > 1))
             + (SELECT count(*) FROM (
                    SELECT return_reason FROM orders WHERE return_reason IS NOT NULL
                    GROUP BY 1 HAVING count(DISTINCT return_fault) > 1))""",
    "ticket resolved before its first response, or csat/reopened while unresolved": """
        SELECT count(*) FROM tickets
        WHERE resolved_at < first_response_at
           OR (resolved_at IS NOT NULL AND first_response_at IS NULL)
           OR (resolved_at IS NULL AND (csat IS NOT NULL OR reopened))""",
    "ticket from an unknown requester": """
        SELECT count(*) FROM tickets t
        WHERE (t.requester_type = 'seller'
                AND t.requester_id NOT IN (SELECT seller_id FROM sellers))
           OR (t.requester_type = 'creator'
                AND t.requester_id NOT IN (SELECT creator_id FROM creators))
           OR (t.requester_type = 'buyer'
                AND t.requester_id NOT IN (SELECT buyer_id FROM orders))""",
}

# Order lifecycle: conditions on orders that must never hold.
STATUS_RULES: dict[str, str] = {
    "status 'cancelled' iff cancelled_at": "(status = 'cancelled') <> (cancelled_at IS NOT NULL)",
    "status 'returned' iff returned_at and not cancelled": (
        "(status = 'returned') <> (returned_at IS NOT NULL AND cancelled_at IS NULL)"
    ),
    "cancelled yet shipped or delivered": (
        "status = 'cancelled' AND (shipped_at IS NOT NULL OR delivered_at IS NOT NULL)"
    ),
    "delivered without delivered_at": "status = 'delivered' AND delivered_at IS NULL",
    "delivered without or before shipping": (
        "delivered_at IS NOT NULL AND (shipped_at IS NULL OR delivered_at < shipped_at)"
    ),
    "in_transit not shipped or already delivered": (
        "status = 'in_transit' AND (shipped_at IS NULL OR delivered_at IS NOT NULL)"
    ),
    "awaiting_shipment unpaid or shipped": (
        "status = 'awaiting_shipment' AND (paid_at IS NULL OR shipped_at IS NOT NULL)"
    ),
    "awaiting_payment but paid": "status = 'awaiting_payment' AND paid_at IS NOT NULL",
    "shipped without payment": "shipped_at IS NOT NULL AND paid_at IS NULL",
    "cancel initiator/reason iff cancelled_at": (
        "(cancelled_at IS NULL) <> (cancel_initiator IS NULL)"
        " OR (cancelled_at IS NULL) <> (cancel_reason IS NULL)"
    ),
    "return reason/fault iff returned_at": (
        "(returned_at IS NULL) <> (return_reason IS NULL)"
        " OR (returned_at IS NULL) <> (return_fault IS NULL)"
    ),
    "provider/estimate iff shipped_at": (
        "(shipped_at IS NULL) <> (logistics_provider IS NULL)"
        " OR (shipped_at IS NULL) <> (estimated_delivery_at IS NULL)"
    ),
    "ship_by_at iff paid_at": "(paid_at IS NULL) <> (ship_by_at IS NULL)",
    "estimated delivery before shipping": "estimated_delivery_at < shipped_at",
}


def sql_list(values: Iterable[str]) -> str:
    """``'a', 'b'`` for an SQL ``IN (...)``."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value of a one-row, one-column query."""
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


def count_each(
    con: duckdb.DuckDBPyConnection, table: str, conditions: dict[str, str]
) -> dict[str, int]:
    """For each named condition, how many rows of ``table`` satisfy it (one scan)."""
    if not conditions:
        return {}
    select = ", ".join(f"count(*) FILTER (WHERE {c})" for c in conditions.values())
    row = con.execute(f"SELECT {select} FROM {table}").fetchone()
    assert row is not None
    return dict(zip(conditions, (int(n) for n in row), strict=True))


def broken(violations: dict[str, int]) -> dict[str, int]:
    """Only the checks that found offending rows (``{}`` when everything holds)."""
    return {name: count for name, count in violations.items() if count}


def period_end(profile: Profile) -> str:
    """SQL literal of the exclusive period end: ``end_date`` 00:00 WIB, in UTC."""
    end = datetime.combine(profile.end_date, time(), tzinfo=WIB).astimezone(UTC)
    return f"TIMESTAMPTZ '{end:%Y-%m-%d %H:%M:%S}+00'"


def period_start(profile: Profile) -> str:
    start = datetime.combine(profile.start_date, time(), tzinfo=WIB).astimezone(UTC)
    return f"TIMESTAMPTZ '{start:%Y-%m-%d %H:%M:%S}+00'"


def key_violations(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    key = CONTRACT[table].key
    duplicated = scalar(
        con,
        f"SELECT count(*) FROM (SELECT {', '.join(key)} FROM {table} "
        "GROUP BY ALL HAVING count(*) > 1)",
    )
    nulls = count_each(con, table, {f"{table}.{k} null": f"{k} IS NULL" for k in key})
    return {f"{table} duplicated keys": int(duplicated), **nulls}


def column_violations(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    """Required columns without nulls, enum columns within their values, bounds held."""
    conditions: dict[str, str] = {}
    for column in CONTRACT[table].columns:
        name = f"{table}.{column.name}"
        if column.required:
            conditions[f"{name} null"] = f"{column.name} IS NULL"
        if column.enum is not None:
            conditions[f"{name} outside enum"] = f"{column.name} NOT IN ({sql_list(column.enum)})"
        if column.minimum is not None:
            conditions[f"{name} < {column.minimum}"] = f"{column.name} < {column.minimum}"
        if column.maximum is not None:
            conditions[f"{name} > {column.maximum}"] = f"{column.name} > {column.maximum}"
    return count_each(con, table, conditions)


def reference_violations(con: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    """Orphans of ``table.column`` (and nulls when the column is required)."""
    spec = CONTRACT[table].column(column)
    assert spec.references is not None
    ref_table, ref_column = spec.references.split(".")
    orphans = scalar(
        con,
        f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {ref_table} r WHERE r.{ref_column} = t.{column})",
    )
    nulls = scalar(con, f"SELECT count(*) FROM {table} WHERE {column} IS NULL")
    return {
        f"{table}.{column} orphans of {spec.references}": int(orphans),
        f"{table}.{column} null": int(nulls) if spec.required else 0,
    }


def time_order_violations(
    con: duckdb.DuckDBPyConnection, table: str, left: str, right: str
) -> dict[str, int]:
    return count_each(con, table, {f"{table}: {left} > {right}": f"{left} > {right}"})


def period_violations(con: duckdb.DuckDBPyConnection, profile: Profile) -> dict[str, int]:
    """Events at or after the (exclusive) period end, and orders before its start."""
    end = period_end(profile)
    violations: dict[str, int] = {}
    for table in CONTRACT.values():
        conditions = {
            f"{table.name}.{c.name} >= period end": f"{c.name} >= {end}"
            for c in table.columns
            if c.type == "timestamp" and (table.name, c.name) not in NOT_EVENTS
        }
        violations.update(count_each(con, table.name, conditions))
    start = period_start(profile)
    violations["orders.created_at before start"] = int(
        scalar(con, f"SELECT count(*) FROM orders WHERE created_at < {start}")
    )
    return violations


def integrity_violations(con: duckdb.DuckDBPyConnection, profile: Profile) -> dict[str, int]:
    """Every structural check of this module on one market."""
    violations: dict[str, int] = {}
    for table in CONTRACT:
        violations.update(key_violations(con, table))
        violations.update(column_violations(con, table))
    for table, column in REFERENCES:
        violations.update(reference_violations(con, table, column))
    for table, left, right in TIME_ORDERS:
        violations.update(time_order_violations(con, table, left, right))
    for name, sql in CROSS_CHECKS.items():
        violations[name] = int(scalar(con, sql))
    violations.update(count_each(con, "orders", STATUS_RULES))
    violations.update(period_violations(con, profile))
    return violations


def daily_orders(con: duckdb.DuckDBPyConnection) -> dict[date, int]:
    """Orders per WIB calendar day."""
    rows = con.execute(
        "SELECT wib(created_at)::DATE AS day, count(*) FROM orders GROUP BY 1"
    ).fetchall()
    return {day: int(n) for day, n in rows}


def read_tables(folder: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(folder / f"{name}.parquet") for name in CONTRACT}


def folder_digest(folder: Path) -> dict[str, str]:
    """File name -> SHA-256 of its bytes, for every file in ``folder``."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("small")


@pytest.fixture(scope="module")
def short_profile() -> Profile:
    """The small profile over 60 days: quick to generate several times."""
    return load_profile("small").with_overrides(days=60)


# --- 1. Files, schemas, row counts -------------------------------------------------------------


@pytest.mark.parametrize("table", list(CONTRACT))
def test_parquet_schema_is_the_contract_schema(small_market: SynthResult, table: str) -> None:
    schema = pq.read_schema(small_market.out / f"{table}.parquet")
    expected = CONTRACT[table].arrow_schema()
    assert schema.names == expected.names
    assert schema.types == expected.types
    assert schema.equals(expected)  # nullability too


def test_row_counts_match_result_and_manifest(
    small_market: SynthResult, con: duckdb.DuckDBPyConnection, profile: Profile
) -> None:
    files = sorted(p.name for p in small_market.out.iterdir())
    assert files == sorted([f"{name}.parquet" for name in CONTRACT] + [MANIFEST])
    counted = {name: int(scalar(con, f"SELECT count(*) FROM {name}")) for name in CONTRACT}
    in_footer = {
        name: pq.ParquetFile(small_market.out / f"{name}.parquet").metadata.num_rows
        for name in CONTRACT
    }
    manifest = json.loads((small_market.out / MANIFEST).read_text())
    assert counted == in_footer == small_market.rows == manifest["rows"]
    assert min(counted.values()) > 0
    assert manifest["profile"] == "small"
    assert manifest["seed"] == profile.seed
    assert manifest["fingerprint"] == small_market.fingerprint
    assert manifest["start_date"] == profile.start_date.isoformat()
    assert manifest["end_date"] == profile.end_date.isoformat()
    assert counted["sellers"] == profile.sizes.sellers
    assert counted["creators"] == profile.sizes.creators
    # seasonality and growth lift the baseline: between 1x and 2x orders_per_day x days
    baseline = profile.sizes.orders_per_day * profile.days
    assert baseline <= counted["orders"] <= 2 * baseline


# --- 2. Keys, nulls, enums, bounds -------------------------------------------------------------


@pytest.mark.parametrize("table", list(CONTRACT))
def test_keys_are_unique_and_not_null(con: duckdb.DuckDBPyConnection, table: str) -> None:
    assert broken(key_violations(con, table)) == {}


@pytest.mark.parametrize("table", list(CONTRACT))
def test_columns_obey_nulls_enums_and_bounds(con: duckdb.DuckDBPyConnection, table: str) -> None:
    assert broken(column_violations(con, table)) == {}


@pytest.mark.parametrize("table", [t for t in CONTRACT if any(c.enum for c in CONTRACT[t].columns)])
def test_enum_columns_use_more_than_one_value(con: duckdb.DuckDBPyConnection, table: str) -> None:
    for column in CONTRACT[table].columns:
        if column.enum is not None:
            used = scalar(con, f"SELECT count(DISTINCT {column.name}) FROM {table}")
            assert used >= 2, f"{table}.{column.name} only has {used} distinct value(s)"


# --- 3. Referential integrity and cross-table facts ---------------------------------------------


@pytest.mark.parametrize(("table", "column"), REFERENCES)
def test_references_have_no_orphans(
    con: duckdb.DuckDBPyConnection, table: str, column: str
) -> None:
    assert broken(reference_violations(con, table, column)) == {}
    assert scalar(con, f"SELECT count({column}) FROM {table}") > 0


@pytest.mark.parametrize("check", list(CROSS_CHECKS))
def test_cross_table_fact(con: duckdb.DuckDBPyConnection, check: str) -> None:
    assert scalar(con, CROSS_CHECKS[check]) == 0


def test_cross_checks_are_not_vacuous(con: duckdb.DuckDBPyConnection) -> None:
    """The joins above match real rows: every channel sells, LIVE and video orders join."""
    by_channel = dict(con.execute("SELECT channel, count(*) FROM orders GROUP BY 1").fetchall())
    assert set(by_channel) == {"live", "video", "showcase", "shop"}
    live_joined = scalar(
        con, "SELECT count(*) FROM orders o JOIN live_sessions l ON l.live_id = o.content_id"
    )
    video_joined = scalar(
        con, "SELECT count(*) FROM orders o JOIN videos v ON v.video_id = o.content_id"
    )
    assert live_joined == by_channel["live"]
    assert video_joined == by_channel["video"]
    assert scalar(con, "SELECT sum(orders) FROM live_sessions") == by_channel["live"]
    idle = scalar(con, "SELECT count(*) FROM live_sessions WHERE orders = 0")
    assert 0 < idle < scalar(con, "SELECT count(*) FROM live_sessions")
    assert scalar(con, "SELECT count(*) FROM products WHERE status = 'banned'") > 0


# --- 4. Time order, lifecycle, period ----------------------------------------------------------


@pytest.mark.parametrize(("table", "left", "right"), TIME_ORDERS)
def test_time_order(con: duckdb.DuckDBPyConnection, table: str, left: str, right: str) -> None:
    assert broken(time_order_violations(con, table, left, right)) == {}
    both = scalar(
        con, f"SELECT count(*) FROM {table} WHERE {left} IS NOT NULL AND {right} IS NOT NULL"
    )
    assert both > 0


def test_order_status_agrees_with_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    assert broken(count_each(con, "orders", STATUS_RULES)) == {}
    statuses = dict(con.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
    assert {"delivered", "cancelled", "returned", "in_transit"} <= set(statuses)


def test_period_end_is_midnight_wib(profile: Profile) -> None:
    day_before = profile.end_date - timedelta(days=1)
    assert period_end(profile) == f"TIMESTAMPTZ '{day_before.isoformat()} 17:00:00+00'"


def test_no_event_after_period_end(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    assert broken(period_violations(con, profile)) == {}
    # the last WIB day of the period has orders: the cut-off is not far too early
    assert max(daily_orders(con)) == profile.end_date - timedelta(days=1)


def test_tickets_come_from_requesters_who_had_joined(con: duckdb.DuckDBPyConnection) -> None:
    early = con.execute(
        """
        SELECT count(*) FILTER (WHERE t.requester_type = 'creator' AND t.created_at < c.joined_at),
               count(*) FILTER (WHERE t.requester_type = 'seller' AND t.created_at < s.joined_at)
        FROM tickets t
        LEFT JOIN creators c ON c.creator_id = t.requester_id
        LEFT JOIN sellers s ON s.seller_id = t.requester_id
        """
    ).fetchone()
    assert early == (0, 0), f"tickets before the requester joined (creator, seller): {early}"


# --- 5. Realism ---------------------------------------------------------------------------------

EXPECTED_SQL: dict[str, str] = {
    "top10_seller_gmv_share": """
        WITH per_seller AS (
            SELECT s.seller_id, coalesce(sum(o.gmv), 0) AS gmv
            FROM sellers s LEFT JOIN orders o ON o.seller_id = s.seller_id GROUP BY 1
        ), ranked AS (
            SELECT gmv, row_number() OVER (ORDER BY gmv DESC) AS rank, count(*) OVER () AS n
            FROM per_seller
        )
        SELECT sum(gmv) FILTER (WHERE rank <= ceil(n / 10)) / sum(gmv) FROM ranked""",
    "late_dispatch_share": """
        SELECT avg((shipped_at > ship_by_at)::INT) FROM orders WHERE shipped_at IS NOT NULL""",
    "affiliate_order_share": "SELECT avg((creator_id IS NOT NULL)::INT) FROM orders",
    "late_delivery_share": """
        SELECT avg((delivered_at > estimated_delivery_at)::INT) FROM orders
        WHERE delivered_at IS NOT NULL""",
    "seller_fault_cancel_share": f"""
        SELECT avg((coalesce(cancel_initiator = 'seller', false)
                    OR coalesce(cancel_reason = '{SELLER_DEADLINE}', false))::INT)
        FROM orders""",
    "mean_rating": "SELECT avg(rating) FROM reviews",
    "java_order_share": f"SELECT avg((province IN ({sql_list(JAVA)}))::INT) FROM orders",
}


def test_every_expected_range_is_measured() -> None:
    assert set(EXPECTED_SQL) == set(Expected.model_fields)


@pytest.mark.parametrize("metric", list(EXPECTED_SQL))
def test_expected_range(con: duckdb.DuckDBPyConnection, profile: Profile, metric: str) -> None:
    low, high = getattr(profile.expected, metric)
    value = float(scalar(con, EXPECTED_SQL[metric]))
    assert low <= value <= high, f"{metric} = {value:.4f}, expected [{low}, {high}]"


def test_orders_come_from_all_38_provinces(con: duckdb.DuckDBPyConnection) -> None:
    provinces = {p for (p,) in con.execute("SELECT DISTINCT province FROM orders").fetchall()}
    assert len(provinces) == 38
    assert provinces == {p.name for p in PROVINCES}


def test_11_11_is_at_least_twice_a_median_day(
    con: duckdb.DuckDBPyConnection, profile: Profile
) -> None:
    event = next(e for e in profile.seasonality.events if e.name == "11.11")
    daily = daily_orders(con)
    median = statistics.median(daily.values())
    assert daily[event.start] >= 2 * median, f"11.11: {daily[event.start]}, median {median}"


def test_ramadan_lifts_muslim_fashion(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    ramadan = next(e for e in profile.seasonality.events if e.ramadan)
    category = next(c.name for c in profile.categories if c.key == "muslim_fashion")
    row = con.execute(
        f"""
        SELECT
            sum(i.quantity * i.unit_price) FILTER (WHERE p.category = ? AND ramadan)
                / sum(i.quantity * i.unit_price) FILTER (WHERE ramadan),
            sum(i.quantity * i.unit_price) FILTER (WHERE p.category = ? AND NOT ramadan)
                / sum(i.quantity * i.unit_price) FILTER (WHERE NOT ramadan)
        FROM (
            SELECT order_id, wib(created_at)::DATE BETWEEN DATE '{ramadan.start}'
                AND DATE '{ramadan.end}' AS ramadan
            FROM orders
        ) o
        JOIN order_items i ON i.order_id = o.order_id
        JOIN products p ON p.product_id = i.product_id
        """,
        [category, category],
    ).fetchone()
    assert row is not None
    during, rest = float(row[0]), float(row[1])
    assert during > 1.2 * rest, f"{category} share of GMV: Ramadan {during:.3f}, rest {rest:.3f}"


def test_payday_days_sell_more(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    payday = set(profile.seasonality.payday_days)
    daily = daily_orders(con)
    on_payday = [n for day, n in daily.items() if day.day in payday]
    other = [n for day, n in daily.items() if day.day not in payday]
    assert statistics.mean(on_payday) > statistics.mean(other)


def test_orders_peak_in_the_evening(con: duckdb.DuckDBPyConnection) -> None:
    evening, night = con.execute(
        """
        SELECT count(*) FILTER (WHERE hour(wib(created_at)) BETWEEN 19 AND 22),
               count(*) FILTER (WHERE hour(wib(created_at)) BETWEEN 2 AND 5)
        FROM orders
        """
    ).fetchone() or (0, 0)
    assert evening > 5 * night > 0


def test_linked_sellers_share_an_owner(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    groups = [
        int(n)
        for (n,) in con.execute(
            "SELECT count(*) FROM sellers GROUP BY owner_ref HAVING count(*) >= 2"
        ).fetchall()
    ]
    assert groups, "no sellers share an owner_ref"
    assert all(2 <= n <= 4 for n in groups)
    assert sum(groups) <= round(profile.sellers.linked_group_share * profile.sizes.sellers)


def test_linked_sellers_behave_worse(con: duckdb.DuckDBPyConnection) -> None:
    """Linked accounts are mostly bad actors: more seller-fault cancels and late dispatch."""
    rows = con.execute(
        f"""
        WITH linked AS (SELECT owner_ref FROM sellers GROUP BY 1 HAVING count(*) >= 2)
        SELECT s.owner_ref IN (SELECT owner_ref FROM linked) AS is_linked,
               avg((coalesce(o.cancel_initiator = 'seller', false)
                    OR coalesce(o.cancel_reason = '{SELLER_DEADLINE}', false))::INT),
               avg((o.shipped_at > o.ship_by_at)::INT)
        FROM orders o JOIN sellers s ON s.seller_id = o.seller_id
        GROUP BY 1
        """
    ).fetchall()
    shares = {is_linked: (cancel, late) for is_linked, cancel, late in rows}
    assert set(shares) == {True, False}
    assert shares[True][0] > 2 * shares[False][0], shares
    assert shares[True][1] > 2 * shares[False][1], shares


def test_some_sellers_dispatch_late_far_more_often(con: duckdb.DuckDBPyConnection) -> None:
    overall, sloppy = con.execute(
        """
        WITH per_seller AS (
            SELECT seller_id, avg((shipped_at > ship_by_at)::INT) AS late, count(*) AS n
            FROM orders WHERE shipped_at IS NOT NULL GROUP BY 1
        )
        SELECT (SELECT avg((shipped_at > ship_by_at)::INT) FROM orders
                WHERE shipped_at IS NOT NULL),
               count(*) FILTER (WHERE n >= 30 AND late >= 0.15)
        FROM per_seller
        """
    ).fetchone() or (0, 0)
    assert overall < 0.15
    assert sloppy >= 5, "sloppy sellers should stand out with >= 15% late dispatch"


def test_a_host_never_streams_two_lives_at_once(con: duckdb.DuckDBPyConnection) -> None:
    overlapping = scalar(
        con,
        """
        SELECT count(*) FROM live_sessions a JOIN live_sessions b
          ON a.live_id < b.live_id AND a.host_type = b.host_type
         AND coalesce(a.seller_id, a.creator_id) = coalesce(b.seller_id, b.creator_id)
         AND a.started_at < b.ended_at AND b.started_at < a.ended_at
        """,
    )
    assert overlapping == 0


def test_late_deliveries_get_lower_ratings(con: duckdb.DuckDBPyConnection) -> None:
    late, on_time = con.execute(
        """
        SELECT avg(r.rating) FILTER (WHERE o.delivered_at > o.estimated_delivery_at),
               avg(r.rating) FILTER (WHERE o.delivered_at <= o.estimated_delivery_at)
        FROM reviews r JOIN orders o ON o.order_id = r.order_id
        """
    ).fetchone() or (None, None)
    assert late is not None and on_time is not None
    assert late < on_time - 0.3, f"late {late:.2f} vs on time {on_time:.2f}"


def test_every_logistics_provider_is_used(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    used = {
        p
        for (p,) in con.execute(
            "SELECT DISTINCT logistics_provider FROM orders WHERE logistics_provider IS NOT NULL"
        ).fetchall()
    }
    assert used == {p.name for p in profile.logistics.providers}


def test_same_island_providers_stay_on_the_island(
    con: duckdb.DuckDBPyConnection, profile: Profile
) -> None:
    islands = ", ".join(f"({sql_list([p.name])}, {sql_list([p.island_group])})" for p in PROVINCES)
    local = [p.name for p in profile.logistics.providers if p.same_island_only]
    assert local == ["GoSend"]
    crossing, total = con.execute(
        f"""
        WITH island(province, island_group) AS (VALUES {islands})
        SELECT count(*) FILTER (WHERE bi.island_group IS DISTINCT FROM si.island_group),
               count(*)
        FROM orders o
        JOIN sellers s ON s.seller_id = o.seller_id
        LEFT JOIN island bi ON bi.province = o.province
        LEFT JOIN island si ON si.province = s.province
        WHERE o.logistics_provider IN ({sql_list(local)})
        """
    ).fetchone() or (None, 0)
    assert total > 0
    assert crossing == 0


# --- 6. Determinism and chunking ----------------------------------------------------------------


def test_same_seed_gives_identical_output(tmp_path: Path, short_profile: Profile) -> None:
    first = generate(short_profile, tmp_path / "a")
    second = generate(short_profile, tmp_path / "b")
    assert first.rows == second.rows
    assert first.fingerprint == second.fingerprint
    tables_a, tables_b = read_tables(first.out), read_tables(second.out)
    for name in CONTRACT:
        assert tables_a[name].num_rows > 0, name
        assert tables_a[name].equals(tables_b[name]), name
    assert folder_digest(first.out) == folder_digest(second.out)


def test_other_seed_gives_other_orders(tmp_path: Path, short_profile: Profile) -> None:
    first = generate(short_profile, tmp_path / "a")
    other = generate(short_profile.with_overrides(seed=short_profile.seed + 1), tmp_path / "b")
    assert first.fingerprint != other.fingerprint
    gmv_a = pq.read_table(first.out / "orders.parquet").column("gmv").to_pylist()
    gmv_b = pq.read_table(other.out / "orders.parquet").column("gmv").to_pylist()
    assert sum(gmv_a) != sum(gmv_b)
    assert gmv_a[:100] != gmv_b[:100]


def test_chunked_generation_stays_valid(tmp_path: Path, short_profile: Profile) -> None:
    chunked = short_profile.with_overrides(chunk_orders=2000)
    result = generate(chunked, tmp_path / "chunked")
    assert pq.ParquetFile(result.out / "orders.parquet").num_row_groups >= 5
    con = open_market(result.out)
    try:
        violations = integrity_violations(con, chunked)
        counted = {name: int(scalar(con, f"SELECT count(*) FROM {name}")) for name in CONTRACT}
    finally:
        con.close()
    assert len(violations) > 100
    assert broken(violations) == {}
    assert counted == result.rows


def test_unchunked_short_market_is_valid(tmp_path: Path, short_profile: Profile) -> None:
    result = generate(short_profile, tmp_path / "market")
    con = open_market(result.out)
    try:
        assert broken(integrity_violations(con, short_profile)) == {}
    finally:
        con.close()


# --- 7. Atomic output ---------------------------------------------------------------------------


def _fail_on_second_chunk(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make ``_write_chunk`` raise on its 2nd call; returns the numbers of the calls made."""
    original = generator._write_chunk
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(calls) + 1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(generator, "_write_chunk", failing)
    return calls


def test_failed_generation_keeps_previous_output(
    tmp_path: Path, short_profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "market"
    generate(short_profile, out)
    before = folder_digest(out)
    calls = _fail_on_second_chunk(monkeypatch)
    other = short_profile.with_overrides(seed=short_profile.seed + 1, chunk_orders=2000)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(other, out)
    assert calls == [1, 2]
    assert folder_digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["market"]


def test_failed_first_generation_leaves_nothing(
    tmp_path: Path, short_profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fail_on_second_chunk(monkeypatch)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(short_profile.with_overrides(chunk_orders=2000), tmp_path / "market")
    assert calls == [1, 2]
    assert list(tmp_path.iterdir()) == []
