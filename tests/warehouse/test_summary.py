"""``summarise``: the one-screen summary of a market, checked against independent DuckDB counts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pasar.kit.errors import InputError
from pasar.warehouse.summary import MarketplaceSummary, summarise
from pasar.warehouse.synth.generator import SynthResult
from tests.warehouse.synth.conftest import open_market, small_market  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def market_con(small_market: SynthResult) -> Iterator[duckdb.DuckDBPyConnection]:  # noqa: F811
    con = open_market(small_market.out)
    yield con
    con.close()


@pytest.fixture(scope="module")
def summary(small_market: SynthResult) -> MarketplaceSummary:  # noqa: F811
    return summarise(small_market.out)


def one_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_counts_equal_independent_sql(
    summary: MarketplaceSummary, market_con: duckdb.DuckDBPyConnection
) -> None:
    orders, gmv, first, last, affiliate = one_row(
        market_con,
        "SELECT count(*), sum(gmv), min(wib(created_at))::DATE, max(wib(created_at))::DATE, "
        "count(creator_id) / count(*) FROM orders",
    )
    sellers, creators, lives = one_row(
        market_con,
        "SELECT (SELECT count(*) FROM sellers), (SELECT count(*) FROM creators), "
        "(SELECT count(*) FROM live_sessions)",
    )
    assert summary.orders == orders
    assert summary.gmv == gmv
    assert isinstance(summary.gmv, Decimal)
    assert (summary.sellers, summary.creators, summary.live_sessions) == (sellers, creators, lives)
    assert (summary.first_day, summary.last_day) == (first, last)
    assert summary.affiliate_share == pytest.approx(affiliate)
    assert summary.orders > 50_000


def test_top_categories_are_sorted_shares_of_line_gmv(
    summary: MarketplaceSummary, market_con: duckdb.DuckDBPyConnection
) -> None:
    expected = market_con.execute(
        """
        SELECT p.category, sum(i.quantity * i.unit_price) AS gmv,
               sum(i.quantity * i.unit_price) / sum(sum(i.quantity * i.unit_price)) OVER ()
        FROM order_items i JOIN products p ON p.product_id = i.product_id
        GROUP BY 1 ORDER BY 2 DESC LIMIT 5
        """
    ).fetchall()
    top = summary.top_categories
    assert len(top) == 5
    gmvs = [gmv for _, gmv, _ in top]
    assert gmvs == sorted(gmvs, reverse=True)
    assert 0 < sum(share for _, _, share in top) <= 1
    assert [(c, g) for c, g, _ in top] == [(c, g) for c, g, _ in expected]
    assert [s for _, _, s in top] == pytest.approx([float(s) for _, _, s in expected])


def test_top_limits_the_categories(small_market: SynthResult) -> None:  # noqa: F811
    assert len(summarise(small_market.out, top=2).top_categories) == 2


def test_missing_orders_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="orders") as caught:
        summarise(tmp_path)
    assert caught.value.file == str(tmp_path / "orders.parquet")
    assert "orders.parquet" in str(caught.value)


def test_missing_other_table_is_named(
    tmp_path: Path,
    small_market: SynthResult,  # noqa: F811
) -> None:
    shutil.copy(small_market.out / "orders.parquet", tmp_path / "orders.parquet")
    with pytest.raises(InputError) as caught:
        summarise(tmp_path)
    assert "sellers.parquet" in str(caught.value)
