"""Evaluating packs over small hand-built snapshots, and what the library refuses to load.

Every finding is checked exactly: which subjects fire for which policy, the outcome columns,
the values used (as JSON) and the explanations in English and Indonesian. No warehouse: the
snapshots are Arrow tables (or a Parquet file) written here.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from pasar.kit.errors import NotFoundError, ValidationError
from pasar.kit.issues import IssuesError
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.policy.evaluate import FINDINGS_SCHEMA, HISTORY_SCHEMA, evaluate
from pasar.policy.packs import CompiledPolicy, PolicyLibrary, load_library

AS_OF = dt.date(2026, 3, 10)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([])


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``path`` containing ``needle``."""
    found = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return found[occurrence - 1]


SELLER_PACK = """
pack: seller-test
version: 1
region: ID
entity: seller
effective_from: 2026-01-01
policies:
  - id: late-dispatch
    version: 3
    when: late_dispatch_rate_7d >= 0.10 AND orders_7d >= 10
    outcome: {kind: points, points: 2, points_max: 4}
    cooldown: 7d
    severity: medium
    category: fulfilment
    explain:
      en: "Late dispatch rate {late_dispatch_rate_7d:.1%} over {orders_7d:,d} orders."
      id: "Tingkat keterlambatan {late_dispatch_rate_7d:.1%} dari {orders_7d:,d} pesanan."
  - id: cancel-cap
    version: 1
    when: seller_fault_cancellation_rate_7d >= 0.30
    outcome: {kind: action, action: order_cap, days: 7, value: 0.75}
    severity: high
    explain:
      en: "Cancellations {seller_fault_cancellation_rate_7d:.2f}: orders capped."
      id: "Pembatalan {seller_fault_cancellation_rate_7d:.2f}: pesanan dibatasi."
  - id: gmv-reward
    version: 1
    when: gmv_30d >= 1000000
    outcome: {kind: reward, amount: "least(gmv_30d * 0.02, 500000)", form: ads_credit}
    severity: info
    category: reward
    explain:
      en: "GMV {gmv_30d:money} in 30 days."
      id: "GMV {gmv_30d:money} dalam 30 hari."
  - id: busy
    version: 1
    when: NOT (orders_30d < 100)
    outcome: {kind: eligibility}
    severity: low
    explain:
      en: "{orders_30d:,d} orders, {gmv_30d:,.0f} GMV."
      id: "{orders_30d:,d} pesanan, GMV {gmv_30d:,.0f}."
"""


def seller_snapshot() -> pa.Table:
    """Five sellers; s4 has every metric NULL (below its minimum volume)."""
    return pa.table(
        {
            "seller_id": ["s1", "s2", "s3", "s4", "s5"],
            "as_of": pa.array([AS_OF] * 5, pa.date32()),
            "late_dispatch_rate_7d": pa.array([0.125, 0.0995, 0.5, None, 0.1], pa.float64()),
            "seller_fault_cancellation_rate_7d": pa.array(
                [0.0, 0.3, 0.29, None, 0.75], pa.float64()
            ),
            "orders_7d": pa.array([40, 200, 1234, None, 9], pa.int64()),
            "orders_30d": pa.array([160, 99, 5000, None, 100], pa.int64()),
            "gmv_30d": pa.array([1_234_567.0, 999_999.0, 30_000_000.0, None, 2_500_000.5]),
        }
    )


@pytest.fixture
def library(tmp_path: Path, catalog: Catalog) -> PolicyLibrary:
    write(tmp_path, "seller-test.yml", SELLER_PACK)
    return load_library(catalog, [tmp_path])


@pytest.fixture
def policies(library: PolicyLibrary) -> list[CompiledPolicy]:
    return library.policies(library.version("seller-test", 1))


def run(
    policies: list[CompiledPolicy],
    snapshot: pa.Table | str | None = None,
    history: pa.Table | None = None,
    con: Any = None,
) -> list[dict[str, Any]]:
    """The findings as rows, ordered by policy and subject."""
    table = evaluate(
        con if con is not None else duckdb.connect(),
        policies,
        seller_snapshot() if snapshot is None else snapshot,
        AS_OF,
        "seller_id",
        history=history,
    )
    assert table.schema == FINDINGS_SCHEMA
    return sorted(table.to_pylist(), key=lambda r: (r["policy_id"], r["subject"]))


def fired(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["policy_id"], r["subject"]) for r in rows]


# -- which subjects fire -----------------------------------------------------------------------


def test_the_shipped_packs_load_alongside(library: PolicyLibrary) -> None:
    assert library.names() == [
        "account-health",
        "live-starter",
        "seller-test",
        "service-readiness",
        "tiktok-sea",
        "tokopedia-id",
    ]
    assert [c.policy.id for c in library.policies(library.version("seller-test", 1))] == [
        "late-dispatch",
        "cancel-cap",
        "gmv-reward",
        "busy",
    ]


def test_which_subjects_fire_for_which_policy(policies: list[CompiledPolicy]) -> None:
    assert fired(run(policies)) == [
        ("busy", "s1"),
        ("busy", "s3"),
        ("busy", "s5"),
        ("cancel-cap", "s2"),
        ("cancel-cap", "s5"),
        ("gmv-reward", "s1"),
        ("gmv-reward", "s3"),
        ("gmv-reward", "s5"),
        ("late-dispatch", "s1"),
        ("late-dispatch", "s3"),
    ]


def test_null_metrics_never_fire(policies: list[CompiledPolicy]) -> None:
    rows = run(policies)
    assert "s4" not in {r["subject"] for r in rows}
    # NOT (orders_30d < 100) is NULL, not TRUE, when orders_30d is NULL
    assert ("busy", "s4") not in fired(rows)


def test_outcome_columns(policies: list[CompiledPolicy]) -> None:
    rows = {(r["policy_id"], r["subject"]): r for r in run(policies)}
    late = rows["late-dispatch", "s1"]
    assert late == {
        "as_of": AS_OF,
        "pack": "seller-test",
        "pack_version": 1,
        "policy_id": "late-dispatch",
        "policy_version": 3,
        "entity": "seller",
        "subject": "s1",
        "kind": "points",
        "severity": "medium",
        "category": "fulfilment",
        "points": 2,
        "points_max": 4,
        "action": None,
        "action_days": None,
        "action_value": None,
        "reward": None,
        "reward_form": None,
        "explanation_en": "Late dispatch rate 12.5% over 40 orders.",
        "explanation_id": "Tingkat keterlambatan 12,5% dari 40 pesanan.",
        "values": '{"late_dispatch_rate_7d":0.125,"orders_7d":40}',
    }
    cap = rows["cancel-cap", "s5"]
    assert (cap["kind"], cap["action"], cap["action_days"], cap["action_value"]) == (
        "action",
        "order_cap",
        7,
        0.75,
    )
    assert (cap["points"], cap["points_max"], cap["reward"]) == (None, None, None)
    assert (cap["severity"], cap["category"]) == ("high", "general")
    busy = rows["busy", "s1"]
    assert (busy["kind"], busy["points"], busy["action"], busy["reward"]) == (
        "eligibility",
        None,
        None,
        None,
    )


def test_reward_amount_is_computed_per_subject(policies: list[CompiledPolicy]) -> None:
    rows = [r for r in run(policies) if r["policy_id"] == "gmv-reward"]
    gmv = {r["seller_id"]: r["gmv_30d"] for r in seller_snapshot().to_pylist()}
    assert [r["subject"] for r in rows] == ["s1", "s3", "s5"]
    for row in rows:
        assert row["reward"] == min(gmv[row["subject"]] * 0.02, 500_000)
        assert (row["kind"], row["reward_form"]) == ("reward", "ads_credit")
    assert [r["reward"] for r in rows] == [24_691.34, 500_000.0, 50_000.01]


def test_values_hold_the_columns_used_in_first_use_order(policies: list[CompiledPolicy]) -> None:
    rows = {(r["policy_id"], r["subject"]): r for r in run(policies)}
    assert json.loads(rows["cancel-cap", "s2"]["values"]) == {
        "seller_fault_cancellation_rate_7d": 0.3
    }
    reward = json.loads(rows["gmv-reward", "s5"]["values"])
    assert reward == {"gmv_30d": 2_500_000.5}
    busy = json.loads(rows["busy", "s3"]["values"])
    assert list(busy) == ["orders_30d", "gmv_30d"]  # the when's columns, then the explanation's
    assert busy == {"orders_30d": 5000, "gmv_30d": 30_000_000.0}


def test_explanations_in_both_languages(policies: list[CompiledPolicy]) -> None:
    rows = {
        (r["policy_id"], r["subject"]): (r["explanation_en"], r["explanation_id"])
        for r in run(policies)
    }
    assert rows["late-dispatch", "s3"] == (
        "Late dispatch rate 50.0% over 1,234 orders.",
        "Tingkat keterlambatan 50,0% dari 1.234 pesanan.",
    )
    assert rows["cancel-cap", "s2"] == (
        "Cancellations 0.30: orders capped.",
        "Pembatalan 0,30: pesanan dibatasi.",
    )
    assert rows["gmv-reward", "s1"] == (
        "GMV IDR 1,234,567 in 30 days.",
        "GMV Rp1.234.567 dalam 30 hari.",
    )
    assert rows["gmv-reward", "s5"] == (
        "GMV IDR 2,500,000 in 30 days.",  # Rupiah has no minor units; .5 rounds to even
        "GMV Rp2.500.000 dalam 30 hari.",
    )
    assert rows["busy", "s5"] == ("100 orders, 2,500,000 GMV.", "100 pesanan, GMV 2.500.000.")


def test_a_missing_value_in_an_explanation_reads_as_a_dash(
    policies: list[CompiledPolicy],
) -> None:
    snapshot = seller_snapshot().set_column(
        6, "gmv_30d", pa.array([None, None, None, None, None], pa.float64())
    )
    rows = {(r["policy_id"], r["subject"]): r for r in run(policies, snapshot)}
    assert rows["busy", "s1"]["explanation_en"] == "160 orders, — GMV."
    assert rows["busy", "s1"]["explanation_id"] == "160 pesanan, GMV —."
    assert json.loads(rows["busy", "s1"]["values"]) == {"orders_30d": 160, "gmv_30d": None}
    assert "gmv-reward" not in {r["policy_id"] for r in rows.values()}


def test_a_parquet_snapshot_gives_the_same_findings(
    tmp_path: Path, policies: list[CompiledPolicy]
) -> None:
    path = tmp_path / "it's a snapshot.parquet"  # a quote in the path stays inside the literal
    pq.write_table(seller_snapshot(), path)
    assert run(policies, str(path)) == run(policies)


def test_the_shipped_tokopedia_pack(library: PolicyLibrary) -> None:
    pack = library.version("tokopedia-id", 2)
    snapshot = pa.table(
        {
            "seller_id": ["a", "b"],
            "late_dispatch_rate_7d": pa.array([0.125, 0.05], pa.float64()),
            "seller_fault_cancellation_rate_7d": pa.array([None, 0.8], pa.float64()),
            "orders_7d": pa.array([80, 1500], pa.int64()),
        }
    )
    rows = run(library.policies(pack), snapshot)
    assert fired(rows) == [
        ("cancellation-block", "b"),
        ("cancellation-points", "b"),
        ("late-dispatch-cap-90", "a"),
        ("late-dispatch-points", "a"),
    ]
    points = rows[3]
    assert (points["pack"], points["pack_version"], points["policy_version"]) == (
        "tokopedia-id",
        2,
        2,
    )
    assert points["explanation_en"] == (
        "Late dispatch rate 12.5% over the last 7 days is at or above 10%."
    )
    assert points["explanation_id"] == (
        "Tingkat keterlambatan pengiriman 12,5% dalam 7 hari terakhir mencapai 10% atau lebih."
    )
    assert rows[1]["explanation_en"] == (
        "Seller-fault cancellation rate 80.0% over 7 days (1,500 orders) is at or above 10%."
    )
    assert rows[1]["explanation_id"] == (
        "Tingkat pembatalan karena penjual 80,0% dalam 7 hari (1.500 pesanan) mencapai 10% "
        "atau lebih."
    )
    assert (rows[0]["action"], rows[0]["action_days"], rows[0]["action_value"]) == (
        "selling_blocked",
        7,
        None,
    )


# -- cooldown ----------------------------------------------------------------------------------


def history(*rows: tuple[str, str, dt.date]) -> pa.Table:
    return pa.table(
        {
            "policy_id": [r[0] for r in rows],
            "subject": [r[1] for r in rows],
            "as_of": pa.array([r[2] for r in rows], pa.date32()),
        },
        schema=HISTORY_SCHEMA,
    )


@pytest.mark.parametrize(
    ("days_before", "suppressed"),
    [(1, True), (3, True), (6, True), (7, False), (10, False), (0, False), (-2, False)],
)
def test_cooldown(policies: list[CompiledPolicy], days_before: int, suppressed: bool) -> None:
    earlier = AS_OF - dt.timedelta(days=days_before)
    rows = run(policies, history=history(("late-dispatch", "s1", earlier)))
    assert (("late-dispatch", "s1") not in fired(rows)) is suppressed
    assert ("late-dispatch", "s3") in fired(rows)  # another subject is not affected


def test_cooldown_is_per_policy_and_only_for_policies_with_one(
    policies: list[CompiledPolicy],
) -> None:
    three_days = AS_OF - dt.timedelta(days=3)
    past = history(
        ("cancel-cap", "s2", three_days),  # cancel-cap has no cooldown
        ("late-dispatch", "s3", three_days),
        ("other-policy", "s1", three_days),
    )
    assert fired(run(policies, history=past)) == [
        ("busy", "s1"),
        ("busy", "s3"),
        ("busy", "s5"),
        ("cancel-cap", "s2"),
        ("cancel-cap", "s5"),
        ("gmv-reward", "s1"),
        ("gmv-reward", "s3"),
        ("gmv-reward", "s5"),
        ("late-dispatch", "s1"),
    ]


# -- one statement, and types checked first ----------------------------------------------------


class SpyConnection:
    """Forwards to a real connection and records every SQL text run."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.statements: list[str] = []

    def sql(self, text: str, params: dict[str, object] | None = None) -> duckdb.DuckDBPyRelation:
        self.statements.append(text)
        return self.con.sql(text, params=params)

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)


def test_a_whole_pack_is_one_statement(policies: list[CompiledPolicy]) -> None:
    spy = SpyConnection()
    rows = run(policies, con=spy)
    assert len(rows) == 10
    probe, findings = spy.statements
    assert probe.endswith("LIMIT 1")
    assert len(sqlglot.parse(findings, read="duckdb")) == 1
    for compiled in policies:
        assert f"'{compiled.policy.id}' AS policy_id" in findings
    assert findings.count("UNION ALL") == len(policies) - 1
    assert findings.count("read_parquet") == 0
    assert findings.count("__policy_snapshot") == 1  # read once, as a materialised CTE
    assert "AS MATERIALIZED" in findings


def test_nothing_is_left_registered(policies: list[CompiledPolicy]) -> None:
    con = duckdb.connect()
    run(policies, con=con)
    for name in ("__policy_snapshot", "__policy_history"):
        with pytest.raises(duckdb.CatalogException):
            con.sql(f"SELECT * FROM {name}")


def pack_with(tmp_path: Path, catalog: Catalog, *policies: str) -> list[CompiledPolicy]:
    body = "".join(textwrap.indent(textwrap.dedent(p).strip("\n"), "  ") + "\n" for p in policies)
    text = (
        "pack: typed\nversion: 1\nregion: ID\nentity: seller\neffective_from: 2026-01-01\n"
        "policies:\n" + body
    )
    (tmp_path / "typed.yml").write_text(text, encoding="utf-8")
    library = load_library(catalog, [tmp_path])
    return library.policies(library.version("typed", 1))


def policy(id: str, when: str, outcome: str = "{kind: gate}") -> str:
    return f"""
    - id: {id}
      version: 1
      when: {json.dumps(when)}
      outcome: {outcome}
      explain: {{en: "x", id: "x"}}
    """


@pytest.mark.parametrize(
    ("when", "outcome", "expected"),
    [
        (
            "seller_id > 1",
            "{kind: gate}",
            "policy odd: cannot be evaluated on the seller snapshot: Binder Error: Cannot compare",
        ),
        (
            "as_of > 1",
            "{kind: gate}",
            "policy odd: cannot be evaluated on the seller snapshot: Binder Error",
        ),
        ("orders_7d > 1", '{kind: reward, amount: "seller_id"}', "policy odd: amount is VARCHAR"),
        (
            "orders_7d > 1",
            '{kind: reward, amount: "CAST(orders_7d AS VARCHAR)"}',
            "policy odd: amount is VARCHAR, not a number",
        ),
        ("lower(seller_id) = upper(seller_id)", "{kind: gate}", None),
    ],
    ids=["string-vs-number", "date-vs-number", "string-amount", "cast-amount", "fine"],
)
def test_a_type_invalid_policy_is_named(
    tmp_path: Path, catalog: Catalog, when: str, outcome: str, expected: str | None
) -> None:
    compiled = pack_with(
        tmp_path, catalog, policy("fine", "orders_7d > 1"), policy("odd", when, outcome)
    )
    spy = SpyConnection()
    if expected is None:
        assert fired(run(compiled, con=spy)) == [
            ("fine", "s1"),
            ("fine", "s2"),
            ("fine", "s3"),
            ("fine", "s5"),
        ]
        return
    with pytest.raises(ValidationError) as info:
        run(compiled, con=spy)
    assert str(info.value).startswith(expected)
    # nothing producing findings ran: only the probes
    assert all(s.endswith("LIMIT 1") for s in spy.statements)


def test_a_string_compared_with_a_number_is_named(tmp_path: Path, catalog: Catalog) -> None:
    compiled = pack_with(tmp_path, catalog, policy("odd", "orders_7d > 'abc'"))
    with pytest.raises(ValidationError, match="policy odd: "):
        run(compiled)


def test_policies_of_two_entities_are_refused(library: PolicyLibrary) -> None:
    seller = library.policies(library.version("seller-test", 1))[:1]
    center = library.policies(library.version("service-readiness", 1))[:1]
    with pytest.raises(ValidationError, match="evaluate one entity at a time, got center, seller"):
        run(seller + center)


def test_no_policies_no_findings() -> None:
    table = evaluate(duckdb.connect(), [], seller_snapshot(), AS_OF, "seller_id")
    assert table.schema == FINDINGS_SCHEMA
    assert table.num_rows == 0


def test_a_condition_without_columns(tmp_path: Path, catalog: Catalog) -> None:
    compiled = pack_with(tmp_path, catalog, policy("always", "TRUE"))
    rows = run(compiled)
    assert fired(rows) == [("always", s) for s in ("s1", "s2", "s3", "s4", "s5")]
    assert {r["values"] for r in rows} == {"{}"}


# -- what the library refuses to load ----------------------------------------------------------


def problems(catalog: Catalog, directory: Path) -> list[str]:
    """Every issue of the library in ``directory``, each checked to name its file and line."""
    with pytest.raises(IssuesError) as info:
        load_library(catalog, [directory])
    lines = str(info.value).splitlines()
    assert lines[0] == (
        f"policy packs have problems: {len(info.value.issues)} problem"
        f"{'s' if len(info.value.issues) != 1 else ''}"
    )
    for issue in info.value.issues:
        assert issue.line > 0, issue
        assert issue.file.startswith(str(directory))
    return lines[1:]


def test_duplicate_policy_ids(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        "dup.yml",
        """
        pack: dup
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: same
            version: 1
            when: orders_7d > 1
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
          - id: same
            version: 2
            when: orders_7d > 2
            outcome: {kind: gate}
            explain: {en: "y", id: "y"}
        """,
    )
    assert problems(catalog, tmp_path) == [
        f"{path}:{line_of(path, 'id: same', 2)}: policy same appears twice in the pack"
    ]


def test_overlapping_versions_of_a_pack(tmp_path: Path, catalog: Catalog) -> None:
    header = """
        pack: overlap
        version: {version}
        region: ID
        entity: seller
        effective_from: {start}
        policies:
          - id: p
            version: 1
            when: orders_7d > 1
            outcome: {{kind: gate}}
            explain: {{en: "x", id: "x"}}
        """
    write(tmp_path, "overlap-1.yml", header.format(version=1, start="2026-01-01"))
    later = write(tmp_path, "overlap-2.yml", header.format(version=2, start="2026-06-01"))
    assert problems(catalog, tmp_path) == [
        f"{later}:{line_of(later, 'effective_from')}: pack overlap@2 starts on 2026-06-01 while "
        "overlap@1 is still in force (set its effective_to before 2026-06-01)"
    ]


def test_versions_that_follow_each_other_load(tmp_path: Path, catalog: Catalog) -> None:
    body = """
        pack: chain
        version: {version}
        region: ID
        entity: seller
        effective_from: {start}{end}
        policies:
          - id: p
            version: 1
            when: orders_7d > 1
            outcome: {{kind: gate}}
            explain: {{en: "x", id: "x"}}
        """
    write(
        tmp_path,
        "c1.yml",
        body.format(version=1, start="2026-01-01", end="\n        effective_to: 2026-05-31"),
    )
    write(tmp_path, "c2.yml", body.format(version=2, start="2026-06-01", end=""))
    library = load_library(catalog, [tmp_path])
    assert [p.version for p in library.versions("chain")] == [1, 2]
    in_force = library.in_force("chain", dt.date(2026, 5, 31))
    assert in_force is not None and in_force.version == 1
    in_force = library.in_force("chain", dt.date(2026, 6, 1))
    assert in_force is not None and in_force.version == 2
    with pytest.raises(NotFoundError, match="pack chain has no version 3; it has 1, 2"):
        library.version("chain", 3)


def test_the_same_version_in_two_files(tmp_path: Path, catalog: Catalog) -> None:
    body = """
        pack: twice
        version: 1
        region: ID
        entity: seller
        effective_from: {start}
        effective_to: {end}
        policies:
          - id: p
            version: 1
            when: orders_7d > 1
            outcome: {{kind: gate}}
            explain: {{en: "x", id: "x"}}
        """
    first = write(tmp_path, "a.yml", body.format(start="2026-01-01", end="2026-01-31"))
    second = write(tmp_path, "b.yml", body.format(start="2026-02-01", end="2026-02-28"))
    assert problems(catalog, tmp_path) == [
        f"{second}:{line_of(second, 'version: 1')}: pack twice@1 is also defined in {first}"
    ]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (
            "{kind: points, points: 2, action: order_cap}",
            "outcome: a points outcome does not take action",
        ),
        ("{kind: points}", "outcome: a points outcome needs points"),
        ("{kind: points, points: 4, points_max: 2}", "outcome: points_max 2 is below points 4"),
        ("{kind: action, action: Order-Cap}", "must be a lower-case name like order_cap"),
        ("{kind: reward, form: ads_credit}", "outcome: a reward outcome needs amount"),
        ("{kind: gate, amount: 5}", "outcome: a gate outcome does not take amount"),
        ("{kind: fine, points: 2}", "outcome.kind: Input should be"),
        (
            '{kind: reward, amount: "orders_7d > 1"}',
            "policy bad: amount must be a number, not orders_7d > 1",
        ),
        (
            "{kind: reward, amount: \"read_csv('x')\"}",
            "policy bad: amount may not use function read_csv()",
        ),
    ],
    ids=[
        "points-with-action",
        "points-without-points",
        "points-max-below",
        "action-name",
        "reward-without-amount",
        "gate-with-amount",
        "unknown-kind",
        "condition-amount",
        "hostile-amount",
    ],
)
def test_bad_outcomes(tmp_path: Path, catalog: Catalog, outcome: str, expected: str) -> None:
    path = write(
        tmp_path,
        "outcome.yml",
        f"""
        pack: outcomes
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: good
            version: 1
            when: orders_7d > 1
            outcome: {{kind: gate}}
            explain: {{en: "x", id: "x"}}
          - id: bad
            version: 1
            when: orders_7d > 1
            outcome: {outcome}
            explain: {{en: "x", id: "x"}}
        """,
    )
    [problem] = problems(catalog, tmp_path)
    assert problem.startswith(f"{path}:{line_of(path, 'outcome:', 2)}: policy bad: ")
    assert expected in problem


def test_unknown_entity(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        "entity.yml",
        """
        pack: entities
        version: 1
        region: ID
        entity: sellr
        effective_from: 2026-01-01
        policies:
          - id: by-pack
            version: 1
            when: orders_7d > 1
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
          - id: by-policy
            version: 1
            entity: centre
            when: orders_7d > 1
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
        """,
    )
    assert problems(catalog, tmp_path) == [
        f"{path}:{line_of(path, 'entity: sellr')}: policy by-pack: unknown entity 'sellr' "
        "(did you mean seller?)",
        f"{path}:{line_of(path, 'entity: centre')}: policy by-policy: unknown entity 'centre' "
        "(did you mean center?)",
    ]


def test_a_column_of_another_entity(tmp_path: Path, catalog: Catalog) -> None:
    """The policy's own entity decides its columns: a center metric is unknown to sellers."""
    path = write(
        tmp_path,
        "columns.yml",
        """
        pack: columns
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: wrong-entity
            version: 1
            when: csat_mean_30d >= 4.5
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
        """,
    )
    assert problems(catalog, tmp_path) == [
        f"{path}:{line_of(path, 'when:')}: policy wrong-entity: when: unknown column "
        "'csat_mean_30d'"
    ]


def test_unknown_column_in_an_explanation(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        "explain.yml",
        """
        pack: explained
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: typo
            version: 1
            when: orders_7d > 1
            outcome: {kind: gate}
            explain:
              en: "{ordrs_7d:,d} orders"
              id: "{orders_7d:,d} pesanan, {gmv_30d:$}"
        """,
    )
    explain = line_of(path, "explain:")
    assert problems(catalog, tmp_path) == [
        f"{path}:{explain}: policy typo: explain.en: unknown column {{ordrs_7d}} "
        "(did you mean orders_7d?)",
        f"{path}:{explain}: policy typo: explain.id: format {{gmv_30d:$}} is not one of "
        "d, ,d, .2f, ,.0f, .1%, money",
    ]


def test_every_problem_of_every_file_at_once(tmp_path: Path, catalog: Catalog) -> None:
    first = write(
        tmp_path,
        "one.yml",
        """
        pack: one
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: a
            version: 1
            when: orders_7d > 1; DROP TABLE x
            outcome: {kind: gate}
            explain: {en: "{nope}", id: "x"}
          - id: b
            version: 1
            when: late_dispatch_rat_7d > 0.1
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
        """,
    )
    second = write(
        tmp_path,
        "two.yml",
        """
        pack: two
        version: 1
        region: ID
        entity: seller
        effective_from: 2026-01-01
        policies:
          - id: c
            version: 1
            when: orders_7d
            outcome: {kind: gate}
            explain: {en: "x", id: "x"}
        """,
    )
    assert problems(catalog, tmp_path) == [
        f"{first}:{line_of(first, 'when:')}: policy a: when must be one expression, "
        "found 2 statements",
        f"{first}:{line_of(first, 'explain:')}: policy a: explain.en: unknown column {{nope}}",
        f"{first}:{line_of(first, 'when:', 2)}: policy b: when: unknown column "
        "'late_dispatch_rat_7d' (did you mean late_dispatch_rate_7d?)",
        f"{second}:{line_of(second, 'when:')}: policy c: when must be a condition such as "
        "`orders_7d >= 10`, not a value (orders_7d)",
    ]


def test_the_statement_is_built_once_and_each_day_is_a_parameter(
    policies: list[CompiledPolicy], tmp_path: Path
) -> None:
    path = tmp_path / "snapshot.parquet"
    pq.write_table(seller_snapshot(), path)
    spy = SpyConnection()
    days = [AS_OF, AS_OF + dt.timedelta(days=1)]
    tables = [evaluate(spy, policies, str(path), day, "seller_id") for day in days]
    findings = [text for text in spy.statements if not text.endswith("LIMIT 1")]
    assert len(findings) == 2 and findings[0] == findings[1]  # one text, two days
    assert str(path) not in findings[0] and "$as_of" in findings[0]
    for day, table in zip(days, tables, strict=True):
        assert set(table["as_of"].to_pylist()) == {day}
    first, second = (sorted(fired_rows(t)) for t in tables)
    assert first == second == sorted(fired(run(policies)))


def fired_rows(table: pa.Table) -> list[tuple[str, str]]:
    return [(r["policy_id"], r["subject"]) for r in table.to_pylist()]
