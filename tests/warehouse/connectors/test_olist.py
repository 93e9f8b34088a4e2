"""The real Olist files through the Olist connector, checked against independent pandas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pasar.config import Settings
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import BatchReport, IngestRequest, ingest
from pasar.warehouse.store import Warehouse

OLIST = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "olist"
SUBSET = OLIST / "orders_2017_10k"

pytestmark = pytest.mark.skipif(not OLIST.exists(), reason=f"{OLIST} not present")


@dataclass
class Ingested:
    settings: Settings
    report: BatchReport
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    settings = Settings(home=tmp_path_factory.mktemp("olist"))
    report = ingest(IngestRequest([OLIST], source="olist"), settings)
    con = Warehouse(settings.warehouse_dir).connect()
    yield Ingested(settings, report, con)
    con.close()


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    """One row per (order, seller) as the connector's documented rule says, built with pandas."""
    orders = pd.read_csv(SUBSET / "orders.csv", dtype=str)
    orders["row"] = orders.index + 2  # the header is row 1
    items = pd.read_csv(SUBSET / "order_items.csv", dtype=str)
    items["price"] = items["price"].map(Decimal)
    parts = (
        items.groupby(["order_id", "seller_id"])
        .agg(gmv=("price", "sum"), ship_by=("shipping_limit_date", "min"))
        .reset_index()
        .sort_values(["order_id", "seller_id"])
    )
    sellers_per_order = parts.groupby("order_id")["seller_id"].transform("count")
    rank = parts.groupby("order_id").cumcount() + 1
    parts["part_id"] = parts["order_id"].where(
        sellers_per_order == 1, parts["order_id"] + "-" + rank.astype(str)
    )
    merged = orders.merge(parts, on="order_id", how="left")
    for column in (
        "order_purchase_timestamp",
        "order_delivered_carrier_date",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
        "ship_by",
    ):
        merged[column] = pd.to_datetime(merged[column])
    return merged


def _defective(expected: pd.DataFrame) -> pd.Series:
    """Rows the contract must refuse: no items (so no seller), or delivered before dispatch."""
    no_items = expected["seller_id"].isna()
    backwards = expected["order_delivered_customer_date"] < expected["order_delivered_carrier_date"]
    return no_items | backwards


def test_row_counts_match_the_files(olist: Ingested, expected: pd.DataFrame) -> None:
    counts = dict(
        olist.con.execute(
            "SELECT 'sellers', count(*) FROM sellers UNION ALL SELECT 'products', count(*) "
            "FROM products UNION ALL SELECT 'orders', count(*) FROM orders "
            "UNION ALL SELECT 'order_items', count(*) FROM order_items"
        ).fetchall()
    )
    items = pd.read_csv(SUBSET / "order_items.csv", dtype=str)
    bad_orders = set(expected.loc[_defective(expected), "order_id"])
    assert counts["sellers"] == len(pd.read_csv(OLIST / "olist_sellers_dataset.csv")) == 3095
    assert counts["products"] == len(pd.read_csv(OLIST / "olist_products_dataset.csv")) == 32951
    assert counts["orders"] == int((~_defective(expected)).sum())
    assert counts["order_items"] == int((~items["order_id"].isin(bad_orders)).sum())
    stubs = olist.con.execute(
        "SELECT count(*) FROM (SELECT _stub FROM sellers UNION ALL SELECT _stub FROM products) "
        "WHERE _stub"
    ).fetchall()[0][0]
    assert stubs == 0  # every reference of the real data resolves


def test_every_reject_is_a_real_defect_of_the_data(olist: Ingested, expected: pd.DataFrame) -> None:
    rejects = pd.read_parquet(olist.report.rejects_files[0])
    orders = rejects[rejects["table"] == "orders"]
    no_items = set(expected.loc[expected["seller_id"].isna(), "row"])
    backwards = expected["order_delivered_customer_date"] < expected["order_delivered_carrier_date"]
    assert set(orders.loc[orders["check"] == "required", "row"]) == no_items
    time_order = orders[orders["check"] == "time order"]
    assert set(time_order["row"]) == set(expected.loc[backwards, "row"])
    assert set(time_order["column"]) == {"order_delivered_customer_date"}
    assert set(orders["check"]) == {"required", "time order"}
    items = rejects[rejects["table"] == "order_items"]
    assert set(items["check"]) == {"reference"}  # lines of the refused orders, nothing else
    assert set(rejects["table"]) == {"orders", "order_items"}
    assert len(no_items) == 111
    assert expected.loc[backwards, "order_id"].nunique() == 5


def test_multi_seller_orders_are_split_one_per_seller(
    olist: Ingested, expected: pd.DataFrame
) -> None:
    split = expected[expected["part_id"] != expected["order_id"]].dropna(subset=["seller_id"])
    split = split[~_defective(split)]
    assert len(split) > 100
    found = {
        (order_id, seller_id, gmv)
        for order_id, seller_id, gmv in olist.con.execute(
            "SELECT order_id, seller_id, gmv FROM orders WHERE order_id LIKE '%-%'"
        ).fetchall()
    }
    wanted = set(zip(split["part_id"], split["seller_id"], split["gmv"], strict=True))
    assert found == wanted


def test_late_dispatch_and_late_delivery_match_pandas_to_the_row(
    olist: Ingested, expected: pd.DataFrame
) -> None:
    kept = expected[~_defective(expected)]
    shipped = kept.dropna(subset=["order_delivered_carrier_date"])
    late_dispatch = set(
        shipped.loc[shipped["order_delivered_carrier_date"] > shipped["ship_by"], "part_id"]
    )
    delivered = kept.dropna(subset=["order_delivered_customer_date"])
    late_delivery = set(
        delivered.loc[
            delivered["order_delivered_customer_date"] > delivered["order_estimated_delivery_date"],
            "part_id",
        ]
    )
    warehouse_dispatch = {
        r[0]
        for r in olist.con.execute(
            "SELECT order_id FROM orders WHERE shipped_at > ship_by_at"
        ).fetchall()
    }
    warehouse_delivery = {
        r[0]
        for r in olist.con.execute(
            "SELECT order_id FROM orders WHERE delivered_at > estimated_delivery_at"
        ).fetchall()
    }
    assert warehouse_dispatch == late_dispatch
    assert warehouse_delivery == late_delivery
    shares = olist.con.execute(
        "SELECT avg((shipped_at > ship_by_at)::INT) FILTER (WHERE shipped_at IS NOT NULL), "
        "avg((delivered_at > estimated_delivery_at)::INT) FILTER (WHERE delivered_at IS NOT NULL) "
        "FROM orders"
    ).fetchall()[0]
    assert shares[0] == pytest.approx(len(late_dispatch) / len(shipped))
    assert shares[1] == pytest.approx(len(late_delivery) / len(delivered))
    assert 0.05 < shares[1] < 0.10  # Olist's published late-delivery rate is about 8%


def test_times_are_read_as_sao_paulo_local_time(olist: Ingested) -> None:
    created = olist.con.execute(
        "SELECT created_at FROM orders WHERE order_id = 'e481f51cbdc54678b7cc49136f2d6af7'"
    ).fetchall()[0][0]
    # 2017-10-02 10:56:33 in São Paulo (UTC-3, no daylight saving on that date)
    assert created.isoformat() == "2017-10-02T13:56:33+00:00"


def test_sellers_are_enriched_from_closed_deals(olist: Ingested) -> None:
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv", dtype=str)
    with_join_date = olist.con.execute(
        "SELECT count(*) FROM sellers WHERE joined_at IS NOT NULL"
    ).fetchall()[0][0]
    sellers = pd.read_csv(OLIST / "olist_sellers_dataset.csv", dtype=str)
    assert with_join_date == deals["seller_id"].isin(sellers["seller_id"]).sum() == 380


def test_reingesting_the_same_files_changes_nothing(olist: Ingested) -> None:
    before = Warehouse(olist.settings.warehouse_dir).manifest()
    again = ingest(IngestRequest([OLIST], source="olist"), olist.settings)
    assert again.status == "unchanged"
    forced = ingest(IngestRequest([OLIST], source="olist", force=True), olist.settings)
    assert all(c.inserted == c.updated == 0 for c in forced.tables.values())
    assert forced.tables["orders"].unchanged == olist.report.tables["orders"].inserted
    after = Warehouse(olist.settings.warehouse_dir).manifest()
    for table, entry in before.tables.items():
        assert after.entry(table).rows == entry.rows


def test_a_table_can_be_picked_from_a_directory(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    report = ingest(
        IngestRequest([OLIST], source="olist", options=ConnectorOptions(table="sellers")), settings
    )
    assert set(report.tables) == {"sellers"}
    assert report.tables["sellers"].inserted == 3095
