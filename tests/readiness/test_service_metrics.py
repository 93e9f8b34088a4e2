"""Service metrics per center, channel and contact reason, the Pareto of contact reasons and
the threshold alerts, each checked against pandas over the raw generated tickets."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pytest

from pasar.kit.errors import ValidationError
from pasar.readiness import service_metrics as sm
from tests.readiness.conftest import DAY, Market, hours, midnight, window


def approx(value: Any) -> Any:
    return (
        None
        if value is None or (isinstance(value, float) and math.isnan(value))
        else pytest.approx(value)
    )


def by_pandas(market: Market, column: str, day: dt.date) -> dict[str, dict[str, Any]]:
    t = market.tickets
    end = midnight(day + dt.timedelta(days=1))
    week, month, upto = window(t, day, 7), window(t, day, 30), window(t, day, None)
    orders = len(window(market.orders, day, 30))
    found = {}
    for key in sorted(upto[column].unique()):
        w, m, u = week[week[column] == key], month[month[column] == key], upto[upto[column] == key]
        answered = w[w["first_response_at"].notna()]
        resolved = w[w["resolved_at"].notna()]
        rated = m[m["csat"].notna()]
        closed = m[m["resolved_at"].notna()]
        open_ = u[u["resolved_at"].isna() | (u["resolved_at"] >= end)]
        ages = (end - open_["created_at"]).dt.total_seconds() / 3600
        first = hours(answered["created_at"], answered["first_response_at"])
        solve = hours(resolved["created_at"], resolved["resolved_at"])
        found[key] = {  # plain Python numbers (numpy's bools are not True or False)
            "tickets_7d": len(w),
            "tickets_30d": len(m),
            "first_response_hours_p90_7d": first.quantile(0.9) if len(first) >= 10 else None,
            "resolution_hours_p50_7d": solve.median() if len(solve) >= 10 else None,
            "csat_mean_30d": rated["csat"].mean() if len(rated) >= 10 else None,
            "reopen_rate_30d": closed["reopened"].mean() if len(closed) >= 10 else None,
            "backlog": len(open_),
            "backlog_age_max_hours": ages.max() if len(open_) else None,
            "backlog_age_p50_hours": ages.median() if len(open_) else None,
            "backlog_over_2d": int((ages > 48).sum()),
            "contacts_per_1000_orders_30d": len(m) * 1000 / orders,
        }
        found[key] = {k: None if v is None else float(v) for k, v in found[key].items()}
    return found


@pytest.mark.parametrize(
    "by,column", [("center", "center"), ("channel", "channel"), ("reason", "category")]
)
def test_service_metrics_agree_with_pandas(market: Market, by: str, column: str) -> None:
    rows = sm.service_metrics(market.settings, DAY, by)
    expected = by_pandas(market, column, DAY)
    got = {r["key"]: r for r in rows}
    assert {k for k, v in expected.items() if v["tickets_30d"]} <= set(got) <= set(expected)
    assert [r["tickets_7d"] for r in rows] == sorted((r["tickets_7d"] for r in rows), reverse=True)
    checked = 0
    for key, row in got.items():
        for name, value in expected[key].items():
            assert row[name] == approx(value), (key, name)
            checked += 1
        week = row["tickets_7d"]
        assert row["backlog_days"] == (approx(row["backlog"] / (week / 7)) if week else None)
    assert checked >= 3 * 11


def test_the_pareto_of_contact_reasons(market: Market) -> None:
    reasons = sm.contact_reasons(market.settings, DAY)
    now = window(market.tickets, DAY, 7)["category"].value_counts()
    before = window(market.tickets, DAY - dt.timedelta(days=7), 7)["category"].value_counts()
    assert [r.contacts for r in reasons] == sorted((r.contacts for r in reasons), reverse=True)
    assert {r.reason: r.contacts for r in reasons if r.contacts} == now.to_dict()
    assert {r.reason: r.previous for r in reasons if r.previous} == before.to_dict()
    total = now.sum()
    running = 0
    for r in reasons:
        running += r.contacts
        assert r.share == pytest.approx(r.contacts / total)
        assert r.cumulative == pytest.approx(running / total)
        assert r.change == r.contacts - r.previous
        assert r.change_rate == (pytest.approx(r.change / r.previous) if r.previous else None)
    assert reasons[-1].cumulative == pytest.approx(1.0)
    mine = sm.contact_reasons(market.settings, DAY, ["Makassar"])
    week = window(market.tickets, DAY, 7)
    assert sum(r.contacts for r in mine) == int((week["center"] == "Makassar").sum())


def test_alerts_when_a_metric_crosses_its_threshold(market: Market) -> None:
    week_before = DAY - dt.timedelta(days=7)
    now = by_pandas(market, "center", DAY)
    then = by_pandas(market, "center", week_before)
    limit = sm.Threshold(
        "csat_mean_30d", ">=", float(pd.Series([v["csat_mean_30d"] for v in now.values()]).median())
    )
    found = {(a.key, a.state) for a in sm.alerts(market.settings, DAY, "center", [limit])}
    expected = set()
    for center, row in now.items():
        inside, was = (
            limit.ok(row["csat_mean_30d"]),
            limit.ok(then.get(center, {}).get("csat_mean_30d")),
        )
        if inside is False:
            expected.add((center, "still" if was is False else "crossed"))
        elif inside is True and was is False:
            expected.add((center, "recovered"))
    assert found == expected and found
    everything = sm.alerts(market.settings, DAY, "center", [sm.parse_threshold("backlog<=0")])
    assert {a.key for a in everything} == {c for c, r in now.items() if r["backlog"] > 0}
    for text, words in [
        ("csat>=4", "unknown metric 'csat'"),
        ("backlog<=lots", "'lots' is not a number"),
        ("backlog = 1", "write metric<=number"),
    ]:
        with pytest.raises(ValidationError, match=words):
            sm.parse_threshold(text)
    with pytest.raises(ValidationError, match="by 'province'"):
        sm.service_metrics(market.settings, DAY, "province")


def test_weekly_trend_of_pilot_centers(market: Market) -> None:
    rows = sm.weekly_trend(
        market.settings, DAY, ["Makassar"], ("tickets_7d", "csat_mean_30d"), weeks=3
    )
    assert {r["center"] for r in rows} == {"Makassar"}
    assert [r["period"] for r in rows] == sorted(r["period"] for r in rows) and len(rows) == 4
    last = rows[-1]
    week = window(market.tickets, DAY, 7)
    assert last["tickets_7d"] == int((week["center"] == "Makassar").sum())
