"""``pasar policy`` end to end on a small warehouse whose late dispatch rates are known.

Every order is due for dispatch on 2026-10-06 (WIB): s1 ships 3 of 10 late (30%), s2 1 of 10
(10%), s3 all 5 late but below the 10-order minimum volume (NULL). The shipped pack
``tokopedia-id`` (version 2 from 2025-11-10) gives LDR ≥ 10% two points and caps orders by
band, with a 7-day cooldown.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pasar.catalog import __file__ as catalog_init
from tests.cli.test_metrics_cli import run

HEADER = "order_id,seller_id,buyer_id,created_at,ship_by_at,shipped_at,status,gmv,province\n"
LATE = {"s1": (10, 3), "s2": (10, 1), "s3": (5, 5)}  # seller: (orders due, shipped late)
SHIPPED_PACK = Path(catalog_init).parent / "policies" / "tokopedia-id-2.yml"


def _orders() -> str:
    rows = []
    for seller, (count, late) in LATE.items():
        for i in range(count):
            shipped = "2026-10-07 09:00:00" if i < late else "2026-10-06 09:00:00"
            rows.append(
                f"{seller}-{i},{seller},b{i},2026-10-05 10:00:00,2026-10-06 10:00:00,"
                f"{shipped},delivered,100000,Bali\n"
            )
    return HEADER + "".join(rows)


@pytest.fixture
def warehouse(pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(_orders())
    code, _, err = run(capsys, "ingest", str(path))
    assert code == 0, err
    return pasar_home


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """Version 3 of the pack as a draft: LDR points only from 20%."""
    text = SHIPPED_PACK.read_text()
    text = text.replace("version: 2\n", "version: 3\n", 1)
    text = text.replace(
        "when: late_dispatch_rate_7d >= 0.10\n", "when: late_dispatch_rate_7d >= 0.20\n"
    )
    path = tmp_path / "drafts" / "ldr-20.yml"
    path.parent.mkdir()
    path.write_text(text)
    return path


def _json(out: str) -> list[dict[str, object]]:
    start = out.index("[")
    rows: list[dict[str, object]] = json.loads(out[start:])
    return rows


def test_validate_counts_the_shipped_packs(
    pasar_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "policy", "validate")
    assert code == 0, err
    assert "Policies OK: 6 pack versions, 0 drafts, 33 policies" in out


def test_validate_reports_every_problem_of_a_draft_with_its_line(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "pack: mine\nversion: 1\nregion: ID\nentity: seller\neffective_from: 2026-01-01\n"
        "policies:\n"
        "  - id: a\n    version: 1\n"
        "    when: late_dispatch_rat_7d >= 0.1\n"
        "    outcome: {kind: points, points: 2}\n"
        "    explain: {en: 'x {orders_7d:,d}', id: 'y {order_7d}'}\n"
        "  - id: b\n    version: 1\n"
        "    when: orders_7d > 1; DROP TABLE orders\n"
        "    outcome: {kind: points, action: order_cap}\n"
        "    explain: {en: x, id: y}\n"
    )
    code, _, err = run(capsys, "policy", "validate", str(bad))
    assert code == 2
    assert f"{bad}:9: policy a: when: unknown column 'late_dispatch_rat_7d'" in err
    assert "did you mean late_dispatch_rate_7d?" in err
    assert f"{bad}:11: policy a: explain.id: unknown column {{order_7d}}" in err
    assert f"{bad}:15: policy b: outcome: a points outcome does not take action" in err


def test_dry_run_finds_each_seller_over_its_threshold(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "policy", "dry-run", "tokopedia-id", "--as-of", "2026-10-10", "--format", "json"
    )
    assert code == 0, err
    found = {(r["subject"], r["policy_id"]) for r in _json(out)}
    assert found == {
        ("s1", "late-dispatch-points"),
        ("s1", "late-dispatch-cap-70"),
        ("s2", "late-dispatch-points"),
        ("s2", "late-dispatch-cap-90"),
    }
    rows = {(r["subject"], r["policy_id"]): r for r in _json(out)}
    points = rows[("s1", "late-dispatch-points")]
    assert points["points"] == 2 and points["pack_version"] == 2 and points["kind"] == "points"
    assert json.loads(str(points["values"])) == {"late_dispatch_rate_7d": 0.3}
    assert points["explanation_en"] == (
        "Late dispatch rate 30.0% over the last 7 days is at or above 10%."
    )
    assert points["explanation_id"] == (
        "Tingkat keterlambatan pengiriman 30,0% dalam 7 hari terakhir mencapai 10% atau lebih."
    )
    cap = rows[("s2", "late-dispatch-cap-90")]
    assert (cap["action"], cap["action_days"], cap["action_value"]) == ("order_cap", 7, 0.9)


def test_dry_run_table_in_indonesian(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "policy", "dry-run", "tokopedia-id", "--as-of", "2026-10-10", "--lang", "id"
    )
    assert code == 0, err
    assert "tokopedia-id@2 as of 2026-10-10: 4 findings (2 subjects)" in " ".join(out.split())
    assert "30,0%" in out and "10,0%" in out


def test_explain_shows_why_a_policy_fires(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "policy", "explain", "late-dispatch-cap-90", "s2", "--as-of", "2026-10-10"
    )
    assert code == 0, err
    assert "fires" in out and "does not fire" not in out
    assert "late_dispatch_rate_7d >= 0.10" in out and "late_dispatch_rate_7d < 0.30" in out
    assert out.count("TRUE") == 2
    assert "order_cap for 7 days (0.9)" in out


def test_explain_a_metric_below_minimum_volume_does_not_fire(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "policy", "explain", "late-dispatch-points", "s3", "--as-of", "2026-10-10"
    )
    assert code == 0, err
    assert "does not fire" in out and "NULL" in out


def test_explain_an_unknown_subject_or_policy_is_a_clear_error(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "policy", "explain", "late-dispatch-points", "s9", "--as-of", "2026-10-10"
    )
    assert code == 2 and "seller 's9' is not in the seller snapshot as of 2026-10-10" in err
    code, _, err = run(
        capsys, "policy", "explain", "late-dispatch-pionts", "s1", "--as-of", "2026-10-10"
    )
    assert code == 2 and "did you mean late-dispatch-points?" in err


def _dry_run_days(
    capsys: pytest.CaptureFixture[str], days: list[str]
) -> list[tuple[str, str, str]]:
    found = []
    for day in days:
        code, out, err = run(
            capsys, "policy", "dry-run", "tokopedia-id", "--as-of", day, "--format", "json"
        )
        assert code == 0, err
        found += [(day, str(r["subject"]), str(r["policy_id"])) for r in _json(out)]
    return found


def test_backtest_replays_each_day_with_cooldowns(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = [f"2026-10-{d:02d}" for d in range(5, 16)]
    # independent: each day's findings without memory, then the 7-day cooldown applied here
    last: dict[tuple[str, str], str] = {}
    expected = []
    daily = _dry_run_days(capsys, days)
    # the orders due on 10-06 are in every 7-day window from 10-06 to 10-12
    assert {d for d, _, _ in daily} == {f"2026-10-{d:02d}" for d in range(6, 13)}
    for day, subject, policy in daily:
        before = last.get((subject, policy))
        if before is None or (_day(day) - _day(before)) >= 7:
            expected.append((day, subject, policy))
            last[(subject, policy)] = day
    code, out, err = run(
        capsys, "policy", "backtest", "tokopedia-id", "--from", days[0], "--to", days[-1],
        "--format", "json", "--detail", "findings",
    )  # fmt: skip
    assert code == 0, err
    replayed = [(str(r["as_of"]), str(r["subject"]), str(r["policy_id"])) for r in _json(out)]
    assert sorted(replayed) == sorted(expected)
    assert {d for d, _, _ in expected} == {"2026-10-06"}  # then held back by the cooldown


def _day(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


def test_backtest_against_a_draft_shows_who_changes(
    warehouse: Path, draft: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "policy", "backtest", "tokopedia-id", "--from", "2026-10-06", "--to",
        "2026-10-06", "--against", str(draft), "--format", "json", "--detail", "subjects",
    )  # fmt: skip
    assert code == 0, err
    subjects = {r["subject"]: r for r in _json(out)}
    assert subjects["s1"]["change"] == "same"
    assert subjects["s2"]["change"] == "different"
    assert (subjects["s2"]["points"], subjects["s2"]["other_points"]) == (2, 0)
    assert subjects["s2"]["points_delta"] == 2


def test_backtest_table_xlsx_and_chart(
    warehouse: Path, draft: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["policy", "backtest", "tokopedia-id", "--from", "2026-10-05", "--to", "2026-10-07"]
    code, out, err = run(capsys, *args, "--against", str(draft))
    assert code == 0, err
    flat = " ".join(out.split())  # the console wraps long lines
    assert "A = tokopedia-id, B = tokopedia-id@3 (draft ldr-20.yml)" in flat
    assert "1 different, 1 same" in flat
    book_path = tmp_path / "bt.xlsx"
    chart = tmp_path / "bt.svg"
    code, _, err = run(
        capsys, *args, "--against", str(draft), "--format", "xlsx", "-o", str(book_path),
        "--chart", str(chart),
    )  # fmt: skip
    assert code == 0, err
    book = load_workbook(book_path)
    assert book.sheetnames == ["days", "subjects", "findings", "other findings"]
    days = list(book["days"].iter_rows(values_only=True))
    assert days[0][:3] == ("day", "pack", "subjects_hit")
    assert [row[2] for row in days[1:]] == [0, 2, 0]  # the 7-day cooldown holds day 3 back
    assert chart.read_text().lstrip().startswith("<?xml")


def test_backtest_rejects_bad_ranges(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "policy", "backtest", "tokopedia-id", "--from", "2026-10-07", "--to", "2026-10-05"
    )
    assert code == 2 and "--to 2026-10-05 is before --from 2026-10-07" in err
    code, _, err = run(
        capsys, "policy", "backtest", "tokopedia-idd", "--from", "2026-10-05", "--to", "2026-10-07"
    )
    assert code == 2 and "no policy pack 'tokopedia-idd' (did you mean tokopedia-id?)" in err
