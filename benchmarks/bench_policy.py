"""Policy engine benchmark: a pack of 30 policies over a 200k-seller snapshot, against the same
policies evaluated row by row with a Python rules engine.

The seller snapshot (200k sellers, 20k with ``--quick``) is generated with a fixed seed: the
real seller snapshot columns, rates as k/n with about 10% NULL (below minimum volume), counts
as integers and money as float64. The pack (``PACK_POLICIES``) mixes points, actions, rewards
with amount expressions, eligibilities and gates, with AND/OR/NOT, BETWEEN, IN, IS NULL and
coalesce, and explanations with ``{col:.1%}``, ``{col:,d}`` and ``{col:money}`` fields; each
policy fires for roughly 1–10% of sellers. Every measured run is a fresh subprocess.

* Pasar: read the pack (``load_library``) and ``evaluate`` it over the snapshot Parquet file —
  one SQL statement, every finding with its reward and both explanations.
* Baseline: `rule-engine <https://pypi.org/project/rule-engine/>`_, each policy's ``when`` (and
  reward amount) translated from its checked SQL tree into a rule-engine expression
  (``translate_when``, keeping SQL's rule that a comparison with NULL does not fire); the rows
  read as dicts, every rule matched against every seller, and for each hit the same finding
  built in Python: reward amount and the explanation in English and Indonesian (``str.format``
  with the same format specs).

Both must give the same findings (policy, seller), rewards to 1e-9 and identical explanations:
the benchmark checks it before printing.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import string
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import rule_engine  # type: ignore[import-untyped]
import yaml
from sqlglot import exp

from benchmarks.common import Measured, Result, log, run_isolated
from pasar.metrics.catalog import load_catalog
from pasar.policy.evaluate import evaluate
from pasar.policy.packs import load_library, snapshot_columns

NAME = "policy"
FULL = 200_000  # sellers
QUICK = 20_000
RATIO_TARGET = 50.0  # rule engine ÷ Pasar, at least
SECONDS_TARGET = 1.0  # Pasar, for the whole pack, under
AS_OF = dt.date(2026, 10, 31)
SEED = 20261031
PACK = "bench-seller-health"
KEY = "seller_id"
MISSING = "—"  # how an explanation shows a NULL value (as Pasar's templates do)

# --- the snapshot ------------------------------------------------------------------------------


def make_snapshot(sellers: int, path: Path) -> None:
    """A seller snapshot with the catalog's columns and plausible values, written to ``path``."""
    rng = np.random.default_rng(SEED)
    n = sellers

    def rate(a: float, b: float, least: int = 10) -> pa.Array:
        """k/n with n the volume behind the rate; about 10% NULL (below minimum volume)."""
        volume = least + rng.poisson(np.exp(rng.normal(3.0, 1.0, n))).astype(np.int64)
        hits = rng.binomial(volume, rng.beta(a, b, n))
        return pa.array(hits / volume, pa.float64(), mask=rng.random(n) < 0.10)

    orders_30d = np.floor(np.exp(rng.normal(3.0, 1.4, n))).astype(np.int64)
    orders_30d[rng.random(n) < 0.06] = 0  # sellers without orders this month
    orders_7d = rng.binomial(orders_30d, 7 / 30)
    orders_90d = orders_30d + rng.poisson(2 * orders_30d + 0.5 * (orders_30d == 0))
    basket = np.exp(rng.normal(11.5, 0.7, n))  # average order value, IDR (~100k)

    def money(orders: np.ndarray) -> np.ndarray:
        return np.round(orders * basket * rng.lognormal(0.0, 0.15, n), 2)

    videos = np.where(rng.random(n) < 0.3, rng.poisson(4, n), 0).astype(np.int64)
    views = np.floor(videos * np.exp(rng.normal(6.0, 1.5, n))).astype(np.int64)
    findings = {
        "prohibited": rng.poisson(0.03, n),
        "counterfeit": rng.poisson(0.02, n),
        "ip": rng.poisson(0.05, n),
        "misleading": rng.poisson(0.2, n),
        "wrong_category": rng.poisson(0.5, n),
    }
    response = np.round(np.exp(rng.normal(3.0, 1.2, n)), 1)
    columns: dict[str, pa.Array] = {
        "seller_id": pa.array([f"S{i:06d}" for i in range(1, n + 1)], pa.string()),
        "as_of": pa.array(np.full(n, AS_OF), pa.date32()),
        "videos_posted_30d": pa.array(videos, pa.int64()),
        "video_views_30d": pa.array(views, pa.int64()),
        "late_dispatch_rate_7d": rate(1.5, 20),
        "seller_fault_cancellation_rate_7d": rate(1.0, 40),
        "seller_fault_return_rate_30d": rate(1.0, 60),
        "negative_review_rate_90d": rate(1.5, 25),
        "order_defect_rate_60d": rate(1.5, 20),
        "late_delivery_rate_30d": rate(2.0, 15),
        "chat_response_rate_12h_30d": rate(12.0, 1.5, least=5),
        "chat_first_response_minutes_p50_30d": pa.array(
            response, pa.float64(), mask=rng.random(n) < 0.10
        ),
        "listing_findings_90d": pa.array(sum(findings.values()), pa.int64()),
        **{
            f"listing_findings_{kind}_90d": pa.array(count, pa.int64())
            for kind, count in findings.items()
        },
        "orders_7d": pa.array(orders_7d, pa.int64()),
        "gmv_7d": pa.array(money(orders_7d), pa.float64()),
        "orders_30d": pa.array(orders_30d, pa.int64()),
        "gmv_30d": pa.array(money(orders_30d), pa.float64()),
        "orders_90d": pa.array(orders_90d, pa.int64()),
        "gmv_90d": pa.array(money(orders_90d), pa.float64()),
        "units_sold_30d": pa.array(orders_30d + rng.poisson(0.6 * orders_30d), pa.int64()),
    }
    expected = snapshot_columns(load_catalog([]), "seller")
    if list(columns) != expected:
        raise AssertionError(f"snapshot columns {list(columns)} are not the catalog's {expected}")
    pq.write_table(pa.table(columns), path, compression="zstd")


# --- the pack ----------------------------------------------------------------------------------


def _policy(
    pid: str, when: str, outcome: dict[str, Any], en: str, id_: str, **extra: Any
) -> dict[str, Any]:
    policy = {"id": pid, "version": 1, "when": when, "outcome": outcome, **extra}
    return {**policy, "explain": {"en": en, "id": id_}}


RATE = "{late_dispatch_rate_7d:.1%}"
SFCR = "{seller_fault_cancellation_rate_7d:.1%}"

PACK_POLICIES: list[dict[str, Any]] = [
    _policy(
        "late-dispatch-points",
        "late_dispatch_rate_7d >= 0.20",
        {"kind": "points", "points": 2, "points_max": 4},
        f"Late dispatch rate {RATE} over 7 days is at or above 20%.",
        f"Tingkat keterlambatan pengiriman {RATE} dalam 7 hari mencapai 20% atau lebih.",
        cooldown="7d",
        category="fulfilment",
    ),
    _policy(
        "late-dispatch-cap",
        "late_dispatch_rate_7d >= 0.15 AND orders_7d >= 10",
        {"kind": "action", "action": "order_cap", "days": 7, "value": 0.9},
        f"Late dispatch rate {RATE} on {{orders_7d:,d}} orders: orders capped at 90%.",
        f"Keterlambatan {RATE} dari {{orders_7d:,d}} pesanan: pesanan dibatasi 90%.",
        cooldown="7d",
        severity="low",
        category="fulfilment",
    ),
    _policy(
        "cancellation-points",
        "seller_fault_cancellation_rate_7d >= 0.08",
        {"kind": "points", "points": 2},
        f"Seller-fault cancellation rate {SFCR} is at or above 8%.",
        f"Tingkat pembatalan karena penjual {SFCR} mencapai 8% atau lebih.",
        cooldown="7d",
        category="fulfilment",
    ),
    _policy(
        "cancellation-cap",
        "seller_fault_cancellation_rate_7d BETWEEN 0.06 AND 0.10",
        {"kind": "action", "action": "order_cap", "days": 7, "value": 0.75},
        f"Seller-fault cancellation rate {SFCR} (6–10%): sales capped at 75%.",
        f"Tingkat pembatalan {SFCR} (6–10%): penjualan dibatasi 75%.",
        severity="low",
        category="fulfilment",
    ),
    _policy(
        "return-points",
        "seller_fault_return_rate_30d >= 0.06",
        {"kind": "points", "points": 1},
        "Seller-fault return rate {seller_fault_return_rate_30d:.2%} over 30 days.",
        "Tingkat retur karena penjual {seller_fault_return_rate_30d:.2%} dalam 30 hari.",
        cooldown="30d",
        category="quality",
    ),
    _policy(
        "negative-reviews",
        "negative_review_rate_90d >= 0.15",
        {"kind": "points", "points": 1},
        "Negative reviews {negative_review_rate_90d:.1%} of {orders_90d:,d} orders in 90 days.",
        "Ulasan negatif {negative_review_rate_90d:.1%} dari {orders_90d:,d} pesanan 90 hari.",
        category="quality",
    ),
    _policy(
        "defect-rate",
        "order_defect_rate_60d >= 0.15 AND orders_90d >= 50",
        {"kind": "points", "points": 3, "points_max": 5},
        "Order defect rate {order_defect_rate_60d:.1%} over 60 days.",
        "Tingkat cacat pesanan {order_defect_rate_60d:.1%} dalam 60 hari.",
        cooldown="14d",
        severity="high",
        category="quality",
    ),
    _policy(
        "late-delivery-warning",
        "late_delivery_rate_30d >= 0.25",
        {"kind": "action", "action": "warning", "days": 14},
        "Late delivery rate {late_delivery_rate_30d:.1%} over 30 days.",
        "Tingkat keterlambatan sampai {late_delivery_rate_30d:.1%} dalam 30 hari.",
        severity="low",
        category="fulfilment",
    ),
    _policy(
        "chat-response-points",
        "chat_response_rate_12h_30d < 0.70",
        {"kind": "points", "points": 1},
        "Only {chat_response_rate_12h_30d:.0%} of chats answered within 12 hours.",
        "Hanya {chat_response_rate_12h_30d:.0%} chat dibalas dalam 12 jam.",
        category="service",
    ),
    _policy(
        "chat-slow-badge",
        "chat_first_response_minutes_p50_30d > 180",
        {"kind": "action", "action": "chat_badge_removed", "days": 30},
        "Median first response {chat_first_response_minutes_p50_30d:,.1f} minutes.",
        "Median respons pertama {chat_first_response_minutes_p50_30d:,.1f} menit.",
        category="service",
    ),
    _policy(
        "chat-unmeasured-busy",
        "chat_response_rate_12h_30d IS NULL AND orders_30d >= 40",
        {"kind": "action", "action": "chat_review", "days": 30},
        "No chat response rate for a seller with {orders_30d:,d} orders in 30 days.",
        "Tidak ada tingkat respons chat untuk penjual dengan {orders_30d:,d} pesanan.",
        severity="info",
        category="service",
    ),
    _policy(
        "prohibited-listing",
        "listing_findings_prohibited_90d >= 1",
        {"kind": "action", "action": "listing_review", "days": 30},
        "{listing_findings_prohibited_90d:,d} prohibited listing(s) found in 90 days.",
        "{listing_findings_prohibited_90d:,d} produk terlarang ditemukan dalam 90 hari.",
        severity="high",
        category="listings",
    ),
    _policy(
        "counterfeit-or-ip",
        "listing_findings_counterfeit_90d >= 1 OR listing_findings_ip_90d >= 2",
        {"kind": "action", "action": "selling_blocked", "days": 14},
        "Counterfeit {listing_findings_counterfeit_90d:,d}, IP {listing_findings_ip_90d:,d}.",
        "Barang palsu {listing_findings_counterfeit_90d:,d}, HKI {listing_findings_ip_90d:,d}.",
        severity="critical",
        category="listings",
    ),
    _policy(
        "misleading-listings",
        "listing_findings_misleading_90d >= 2",
        {"kind": "points", "points": 1},
        "{listing_findings_misleading_90d:,d} misleading listings in 90 days.",
        "{listing_findings_misleading_90d:,d} produk menyesatkan dalam 90 hari.",
        category="listings",
    ),
    _policy(
        "wrong-category",
        "listing_findings_wrong_category_90d >= 3",
        {"kind": "points", "points": 1},
        "{listing_findings_wrong_category_90d} listings in the wrong category.",
        "{listing_findings_wrong_category_90d} produk di kategori yang salah.",
        severity="low",
        category="listings",
    ),
    _policy(
        "listing-audit",
        "listing_findings_90d >= 3 AND listing_findings_90d - "
        "listing_findings_wrong_category_90d >= 1",
        {"kind": "action", "action": "listing_audit", "days": 30},
        "{listing_findings_90d:,d} listing findings in 90 days.",
        "{listing_findings_90d:,d} temuan produk dalam 90 hari.",
        category="listings",
    ),
    _policy(
        "top-seller-voucher",
        "gmv_30d >= 40000000 AND coalesce(order_defect_rate_60d, 0) < 0.10",
        {"kind": "reward", "amount": "least(gmv_30d * 0.01, 250000)", "form": "voucher"},
        "GMV {gmv_30d:money} in 30 days with few defects: a voucher.",
        "GMV {gmv_30d:money} dalam 30 hari dengan sedikit cacat: voucher.",
        severity="info",
        category="rewards",
    ),
    _policy(
        "video-creator-bonus",
        "videos_posted_30d >= 7 AND video_views_30d >= 3000",
        {"kind": "reward", "amount": "videos_posted_30d * 5000", "form": "ad_credit"},
        "{videos_posted_30d:,d} videos with {video_views_30d:,} views in 30 days.",
        "{videos_posted_30d:,d} video dengan {video_views_30d:,} tayangan dalam 30 hari.",
        severity="info",
        category="rewards",
    ),
    _policy(
        "growth-bonus",
        "gmv_7d * 4 >= gmv_30d * 1.6 AND orders_30d >= 30",
        {"kind": "reward", "amount": "greatest(gmv_7d * 0.005, 10000)", "form": "cash"},
        "GMV {gmv_7d:money} this week against {gmv_30d:money} in 30 days.",
        "GMV {gmv_7d:money} minggu ini dibanding {gmv_30d:money} dalam 30 hari.",
        severity="info",
        category="rewards",
    ),
    _policy(
        "free-shipping-eligible",
        "orders_30d >= 150 AND coalesce(late_dispatch_rate_7d, 0) < 0.08 "
        "AND coalesce(seller_fault_cancellation_rate_7d, 0) < 0.05",
        {"kind": "eligibility"},
        f"Eligible for free shipping: {{orders_30d:,d}} orders, late dispatch {RATE}.",
        f"Memenuhi syarat gratis ongkir: {{orders_30d:,d}} pesanan, keterlambatan {RATE}.",
        severity="info",
        category="programmes",
    ),
    _policy(
        "star-seller-gate",
        "orders_90d >= 300 AND order_defect_rate_60d < 0.06 AND chat_response_rate_12h_30d >= 0.85",
        {"kind": "gate"},
        "Star seller: {orders_90d:,d} orders, defects {order_defect_rate_60d:.1%}.",
        "Star seller: {orders_90d:,d} pesanan, cacat {order_defect_rate_60d:.1%}.",
        severity="info",
        category="programmes",
    ),
    _policy(
        "dormant-seller",
        "orders_30d = 0 AND orders_90d > 0",
        {"kind": "action", "action": "reactivation_nudge", "days": 30},
        "No orders in 30 days after {orders_90d:,d} in 90 days.",
        "Tidak ada pesanan dalam 30 hari setelah {orders_90d:,d} dalam 90 hari.",
        severity="info",
        category="growth",
    ),
    _policy(
        "high-volume-risk",
        "orders_7d >= 40 AND (late_dispatch_rate_7d >= 0.10 "
        "OR seller_fault_cancellation_rate_7d >= 0.05)",
        {"kind": "action", "action": "order_cap", "days": 7, "value": 0.8},
        f"{{orders_7d:,d}} orders this week with late dispatch {RATE}, cancellations {SFCR}.",
        f"{{orders_7d:,d}} pesanan minggu ini, keterlambatan {RATE}, pembatalan {SFCR}.",
        cooldown="7d",
        category="fulfilment",
    ),
    _policy(
        "metrics-unmeasured",
        "late_dispatch_rate_7d IS NULL AND late_delivery_rate_30d IS NULL",
        {"kind": "action", "action": "metrics_review"},
        f"Late dispatch {RATE} and late delivery {{late_delivery_rate_30d:.1%}} not measured.",
        f"Keterlambatan {RATE} dan {{late_delivery_rate_30d:.1%}} tidak terukur.",
        severity="info",
        category="data",
    ),
    _policy(
        "bulk-orders",
        "units_sold_30d >= orders_30d * 2 AND orders_30d >= 5",
        {"kind": "action", "action": "bulk_order_check", "days": 7},
        "{units_sold_30d:,d} units over {orders_30d:,d} orders in 30 days.",
        "{units_sold_30d:,d} unit dari {orders_30d:,d} pesanan dalam 30 hari.",
        severity="low",
        category="risk",
    ),
    _policy(
        "high-basket",
        "orders_30d >= 10 AND gmv_30d / orders_30d >= 300000",
        {"kind": "action", "action": "fraud_review", "days": 14},
        "GMV {gmv_30d:money} over {orders_30d:,d} orders in 30 days.",
        "GMV {gmv_30d:money} dari {orders_30d:,d} pesanan dalam 30 hari.",
        severity="low",
        category="risk",
    ),
    _policy(
        "returns-and-reviews",
        "seller_fault_return_rate_30d >= 0.02 AND negative_review_rate_90d >= 0.08",
        {"kind": "points", "points": 2},
        "Returns {seller_fault_return_rate_30d:.1%}, negative reviews "
        "{negative_review_rate_90d:.1%}.",
        "Retur {seller_fault_return_rate_30d:.1%}, ulasan negatif {negative_review_rate_90d:.1%}.",
        category="quality",
    ),
    _policy(
        "chat-not-answered",
        "NOT (chat_response_rate_12h_30d >= 0.80) AND orders_30d >= 20",
        {"kind": "action", "action": "chat_reminder", "days": 7},
        "{chat_response_rate_12h_30d:.1%} of chats answered, {orders_30d} orders.",
        "{chat_response_rate_12h_30d:.1%} chat dibalas, {orders_30d} pesanan.",
        severity="low",
        category="service",
    ),
    _policy(
        "listing-mixed-findings",
        "listing_findings_misleading_90d IN (1, 2) AND listing_findings_wrong_category_90d "
        "IN (2, 3)",
        {"kind": "points", "points": 1},
        "Misleading {listing_findings_misleading_90d:,d}, wrong category "
        "{listing_findings_wrong_category_90d:,d}.",
        "Menyesatkan {listing_findings_misleading_90d:,d}, salah kategori "
        "{listing_findings_wrong_category_90d:,d}.",
        severity="low",
        category="listings",
    ),
    _policy(
        "video-low-views",
        "videos_posted_30d <> 0 AND video_views_30d < 150 AND late_delivery_rate_30d IS NOT NULL",
        {"kind": "action", "action": "video_coaching", "days": 30},
        "{videos_posted_30d:,d} videos drew only {video_views_30d:,d} views.",
        "{videos_posted_30d:,d} video hanya ditonton {video_views_30d:,d} kali.",
        severity="info",
        category="growth",
    ),
]


def write_pack(directory: Path) -> None:
    document = {
        "pack": PACK,
        "version": 1,
        "region": "ID",
        "entity": "seller",
        "effective_from": dt.date(2026, 1, 1),
        "description": "Benchmark pack: 30 seller policies of every kind.",
        "policies": PACK_POLICIES,
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    (directory / f"{PACK}-1.yml").write_text(text, encoding="utf-8")


# --- Pasar -------------------------------------------------------------------------------------


def pasar(pack_dir: str, snapshot: str) -> tuple[pa.Table, float]:
    """The pack read from its file and evaluated over the snapshot: the findings and the
    seconds spent in ``evaluate`` alone (the measured figure includes reading the pack)."""
    library = load_library(load_catalog([]), [Path(pack_dir)])
    policies = library.policies(library.version(PACK, 1))
    start = time.perf_counter()
    findings = evaluate(duckdb.connect(), policies, snapshot, AS_OF, KEY)
    return findings, time.perf_counter() - start


# --- the rules-engine baseline -----------------------------------------------------------------

_COMPARISONS: dict[type[exp.Expr], tuple[str, str]] = {  # SQL node → (operator, negated)
    exp.EQ: ("==", "!="),
    exp.NEQ: ("!=", "=="),
    exp.GT: (">", "<="),
    exp.GTE: (">=", "<"),
    exp.LT: ("<", ">="),
    exp.LTE: ("<=", ">"),
}
_ARITHMETIC: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}


def _all(conditions: list[str]) -> str:
    if not conditions:
        return "true"
    return "(" + " and ".join(conditions) + ")" if len(conditions) > 1 else conditions[0]


def _any(conditions: list[str]) -> str:
    return "(" + " or ".join(conditions) + ")" if len(conditions) > 1 else conditions[0]


def _value(node: exp.Expr) -> tuple[str, list[str]]:
    """A rule-engine expression for a SQL value, and the conditions under which it is not NULL
    (all must hold; empty: never NULL)."""
    if isinstance(node, exp.Paren):
        return _value(node.this)
    if isinstance(node, exp.Column):
        return node.name, [f"{node.name} != null"]
    if isinstance(node, exp.Literal) and not node.is_string:
        return str(node.this), []
    if isinstance(node, exp.Neg):
        text, defined = _value(node.this)
        return f"-({text})", defined
    if type(node) in _ARITHMETIC:
        left, left_defined = _value(node.this)
        right, right_defined = _value(node.expression)
        # DuckDB's x / 0 is ±inf, rule-engine's an error: a division is taken as defined only
        # for a non-zero divisor, so a policy that divides by zero would show up as different.
        guard = [f"{right} != 0"] if isinstance(node, exp.Div) else []
        return f"({left} {_ARITHMETIC[type(node)]} {right})", left_defined + right_defined + guard
    if isinstance(node, exp.Coalesce):
        args = [_value(a) for a in [node.this, *node.expressions]]
        text, defined = args[-1]
        for arg_text, arg_defined in reversed(args[:-1]):
            if not arg_defined:  # never NULL: the rest is never reached
                text, defined = arg_text, []
                continue
            text = f"({_all(arg_defined)} ? {arg_text} : {text})"
            defined = [_any([_all(arg_defined), _all(defined)])] if defined else []
        return text, defined
    if isinstance(node, exp.Least | exp.Greatest):
        # DuckDB's least/greatest skip NULLs (NULL only when all are)
        args = [_value(a) for a in [node.this, *node.expressions]]
        function = "$min" if isinstance(node, exp.Least) else "$max"
        if not any(defined for _, defined in args):
            return f"{function}([{', '.join(text for text, _ in args)}])", []
        items = ", ".join(f"({_all(d)} ? {t} : null)" if d else t for t, d in args)
        defined = [] if any(not d for _, d in args) else [_any([_all(d) for _, d in args])]
        return f"{function}([v for v in [{items}] if v != null])", defined
    raise NotImplementedError(f"no rule-engine translation for {node.sql()}")


def translate_when(node: exp.Expr, negated: bool = False) -> str:
    """A rule-engine expression that is true exactly where the SQL condition is TRUE (not
    FALSE, not NULL): NOT is pushed down to the comparisons (De Morgan), and a comparison
    holds only when its operands are not NULL."""
    if isinstance(node, exp.Paren):
        return translate_when(node.this, negated)
    if isinstance(node, exp.Not):
        return translate_when(node.this, not negated)
    if isinstance(node, exp.And | exp.Or):
        word = "and" if isinstance(node, exp.And) != negated else "or"
        left = translate_when(node.this, negated)
        right = translate_when(node.expression, negated)
        return f"({left} {word} {right})"
    if isinstance(node, exp.Boolean):
        return "true" if bool(node.this) != negated else "false"
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        _, defined = _value(node.this)
        if not defined:
            return "true" if negated else "false"
        return f"({_all(defined)})" if negated else f"not ({_all(defined)})"
    if type(node) in _COMPARISONS:
        left, left_defined = _value(node.this)
        right, right_defined = _value(node.expression)
        operator = _COMPARISONS[type(node)][negated]
        return f"({_all([*left_defined, *right_defined, f'{left} {operator} {right}'])})"
    if isinstance(node, exp.Between):
        value, defined = _value(node.this)
        low, low_defined = _value(node.args["low"])
        high, high_defined = _value(node.args["high"])
        if low_defined or high_defined:
            raise NotImplementedError(f"BETWEEN with NULL-able bounds: {node.sql()}")
        inside = f"{value} >= {low} and {value} <= {high}"
        outside = f"({value} < {low} or {value} > {high})"
        return f"({_all([*defined, outside if negated else inside])})"
    if isinstance(node, exp.In):
        value, defined = _value(node.this)
        items = [_value(item) for item in node.expressions]
        if any(item_defined for _, item_defined in items):
            raise NotImplementedError(f"IN with NULL-able items: {node.sql()}")
        test = f"{value} {'not in' if negated else 'in'} [{', '.join(t for t, _ in items)}]"
        return f"({_all([*defined, test])})"
    raise NotImplementedError(f"no rule-engine translation for {node.sql()}")


@dataclass(frozen=True)
class RuleSpec:
    """One policy as the rules-engine baseline needs it: plain text, nothing of Pasar."""

    policy_id: str
    when: str  # rule-engine expression
    amount: str | None  # rule-engine expression
    explain: dict[str, str]  # language → template (str.format syntax)


def rule_specs(pack_dir: str) -> list[RuleSpec]:
    """The pack's policies translated for rule-engine (from the trees Pasar checked)."""
    library = load_library(load_catalog([]), [Path(pack_dir)])
    specs = []
    for compiled in library.policies(library.version(PACK, 1)):
        amount = _value(compiled.amount)[0] if compiled.amount is not None else None
        explain = {"en": compiled.policy.explain.en, "id": compiled.policy.explain.id}
        specs.append(RuleSpec(compiled.policy.id, translate_when(compiled.when), amount, explain))
    return specs


Finding = tuple[str, str, float | None, str, str]  # policy, subject, reward, en, id
_SWAP = str.maketrans(",.", ".,")  # Indonesian separators


def _shown(value: Any, spec: str, language: str) -> str:
    if value is None:
        return MISSING
    if spec == "money":
        number = f"{float(value):,.0f}"  # IDR has no minor units
        return f"IDR {number}" if language == "en" else "Rp" + number.translate(_SWAP)
    if not spec:
        return str(value)
    text = format(value, spec)
    return text.translate(_SWAP) if language == "id" else text


def rules_engine(specs: list[RuleSpec], snapshot: str) -> list[Finding]:
    """Every rule matched against every seller (rows as dicts), and for each hit the finding:
    the reward amount and the explanation in both languages."""
    context = rule_engine.Context()
    compiled = []
    for spec in specs:
        templates = {
            language: [
                (literal, field, format_spec or "")
                for literal, field, format_spec, _ in string.Formatter().parse(text)
            ]
            for language, text in spec.explain.items()
        }
        amount = rule_engine.Rule(spec.amount, context=context) if spec.amount else None
        when = rule_engine.Rule(spec.when, context=context)
        compiled.append((spec.policy_id, when, amount, templates["en"], templates["id"]))
    findings: list[Finding] = []
    for row in pq.read_table(snapshot).to_pylist():
        for policy_id, when, amount, english, indonesian in compiled:
            if not when.matches(row):
                continue
            reward = float(amount.evaluate(row)) if amount is not None else None
            texts = [
                "".join(
                    literal + (_shown(row[field], spec, language) if field is not None else "")
                    for literal, field, spec in template
                )
                for language, template in (("en", english), ("id", indonesian))
            ]
            findings.append((policy_id, row[KEY], reward, texts[0], texts[1]))
    return findings


# --- comparing and reporting -------------------------------------------------------------------


def _check_same(pasar_findings: pa.Table, baseline: list[Finding]) -> None:
    """The same (policy, seller) findings, rewards to 1e-9, identical explanations."""
    columns = ["policy_id", "subject", "reward", "explanation_en", "explanation_id"]
    mine = {
        (f[0], f[1]): f
        for f in zip(*pasar_findings.select(columns).to_pydict().values(), strict=True)
    }
    theirs = {(f[0], f[1]): f for f in baseline}
    if len(mine) != pasar_findings.num_rows or len(theirs) != len(baseline):
        raise AssertionError("a (policy, seller) pair found twice")
    if mine.keys() != theirs.keys():
        only_pasar = sorted(mine.keys() - theirs.keys())
        only_rules = sorted(theirs.keys() - mine.keys())
        raise AssertionError(
            f"findings differ: {len(only_pasar)} only in Pasar (e.g. {only_pasar[:3]}), "
            f"{len(only_rules)} only in rule-engine (e.g. {only_rules[:3]})"
        )
    for key, (_, _, reward, en, id_) in mine.items():
        _, _, other, other_en, other_id = theirs[key]
        if (reward is None) != (other is None) or (
            reward is not None
            and other is not None
            and not math.isclose(reward, other, rel_tol=1e-9, abs_tol=1e-9)
        ):
            raise AssertionError(f"reward of {key}: Pasar {reward}, rule-engine {other}")
        if (en, id_) != (other_en, other_id):
            raise AssertionError(
                f"explanation of {key}: Pasar {en!r} / {id_!r}, rule-engine {other_en!r} / "
                f"{other_id!r}"
            )


def _fired(findings: pa.Table, sellers: int) -> str:
    counts = findings.group_by("policy_id").aggregate([("subject", "count")])
    shares = sorted(c / sellers for c in counts["subject_count"].to_pylist())
    return f"{len(shares)} policies fired, each for {shares[0]:.1%}–{shares[-1]:.1%} of sellers"


def run(quick: bool = False) -> list[Result]:
    sellers = QUICK if quick else FULL
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-policy-"))
    try:
        snapshot = scratch / "snapshot.parquet"
        pack_dir = scratch / "packs"
        pack_dir.mkdir()
        log(
            f"policy: generating a {sellers:,}-seller snapshot and a "
            f"{len(PACK_POLICIES)}-policy pack"
        )
        make_snapshot(sellers, snapshot)
        write_pack(pack_dir)
        specs = rule_specs(str(pack_dir))
        log("policy: Pasar, reading the pack and evaluating it")
        mine: Measured[tuple[pa.Table, float]] = run_isolated(pasar, str(pack_dir), str(snapshot))
        findings, evaluation = mine.value
        log(
            f"  {mine.seconds:.3f} s ({evaluation:.3f} s in evaluate), peak "
            f"{mine.peak_rss_mib:,.0f} MiB, {findings.num_rows:,} findings"
        )
        log(f"policy: rule-engine, {len(specs)} rules × {sellers:,} sellers, row by row")
        theirs: Measured[list[Finding]] = run_isolated(rules_engine, specs, str(snapshot))
        log(f"  {theirs.seconds:.2f} s, peak {theirs.peak_rss_mib:,.0f} MiB")
        _check_same(findings, theirs.value)
        fired = _fired(findings, sellers)
        log(f"  same {findings.num_rows:,} findings from both (checked); {fired}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    ratio = theirs.seconds / mine.seconds
    size = f"{sellers / 1e3:g}k sellers"
    print(
        f"policy: Pasar {mine.seconds:.3f} s (evaluate {evaluation:.3f} s), rule-engine "
        f"{theirs.seconds:.2f} s = {ratio:.0f}×; {findings.num_rows:,} findings"
    )
    return [
        Result(
            name=NAME,
            measured=f"pack of {len(specs)} policies over {size} ({findings.num_rows:,} findings)",
            value=mine.seconds,
            unit="s",
            baseline=theirs.seconds,
            ratio=ratio,
            better="higher (rule engine ÷ Pasar)",
            target=f"≥ {RATIO_TARGET:g}× and < {SECONDS_TARGET:g} s",
            note=(
                "Policy baseline: rule-engine (PyPI), every rule matched per seller row, findings "
                "with reward and explanations built in Python; Pasar's figure includes reading "
                f"the pack ({evaluation:.3f} s in evaluate). Same findings, rewards and "
                "explanations from both (checked)."
            ),
            ok=ratio >= RATIO_TARGET and mine.seconds < SECONDS_TARGET,
        )
    ]
