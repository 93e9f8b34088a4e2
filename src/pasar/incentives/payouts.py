"""The payout engine: a program's period computed for its enrolled merchants — progress,
attainment, reward, caps, integrity exclusions — with a sentence per merchant; stored as a run
with its lines, exported as a payout file, replayed to prove it, and checked again for
clawbacks once the returns of the clawback window are known.

A payout is a pure function of (program text, period, cut-off day, enrolments, warehouse
version): :func:`compute` does the arithmetic on arrays, :func:`gather` reads what it needs,
:func:`run_payout` stores the result (audited; running a period twice returns the first run),
:func:`replay` computes a stored run again and compares every line.

Who is paid, in order of what excludes first:

1. ``holdout`` — merchants drawn into the holdout are never paid (they measure the program);
2. ``excluded`` — no longer eligible at the period's end (the eligibility condition over the
   merchant snapshot of that day); disqualified in an earlier period under ``one_strike``; or a
   refund rate at or above ``integrity.refund.max_rate`` with at least ``min_orders`` orders;
3. ``not_reached`` — a qualifying minimum missed, or nothing earned on the schedule;
4. ``paid`` — the reward after the merchant, tier and pool caps, rounded down.

A clawback run recomputes the period with returns known by the end of the clawback window
(the program text of the payout): a merchant keeps at most what it was paid and returns the
difference.

Example::

    run = run_payout(session, ctx, "oct-attainment", "2026-10", "user:mira")
    run.total, [line.explanation_en for line in lines_of(session, run.id)][:1]
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit
from pasar.incentives.activity import Rules, Span, aligned, measure
from pasar.incentives.models import Enrolment, IncentiveProgram, PayoutLine, PayoutRun
from pasar.incentives.programs import CompiledProgram
from pasar.incentives.rewards import NO_MINOR_UNITS, by_tier, capped, qualifies, to_money
from pasar.incentives.service import (
    Context,
    compiled_of,
    digest,
    eligibility_on,
    enrolments_of,
    get_program,
)
from pasar.incentives.spec import INCREMENTAL, MEASURES, Program, Schedule, Window
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.kit.money import format_money

SHOWN = ("valid_sessions", "valid_hours", "live_days", "longest_streak", "live_gmv", "live_orders")
FORMS = {
    "ads_credit": ("ads credit", "kredit iklan"),
    "voucher": ("vouchers", "voucher"),
    "traffic": ("traffic", "trafik"),
    "commission_rebate": ("commission rebate", "rabat komisi"),
    "cash": ("cash", "tunai"),
}


@dataclass
class Period:
    """One computed period of a program (not stored): arrays over its merchants."""

    program: Program
    window: Window
    cutoff: dt.date
    kind: str
    currency: str
    sellers: list[str]
    tiers: np.ndarray
    stages: np.ndarray
    arms: np.ndarray
    measures: dict[str, np.ndarray]
    value: np.ndarray
    status: list[str]
    exclusion: list[str | None]
    level: list[str | None]
    progress: np.ndarray
    gross: np.ndarray
    capped: np.ndarray
    amount: np.ndarray
    clawback: np.ndarray
    explanation_en: list[str] = field(default_factory=list)
    explanation_id: list[str] = field(default_factory=list)

    @property
    def pay_on(self) -> dt.date:
        lag = self.program.settlement.lag_days
        return self.window.end + dt.timedelta(days=lag)

    @property
    def total(self) -> float:
        return float(self.amount.sum())

    def lines(self) -> list[dict[str, Any]]:
        """One dict per merchant, in seller order: what a payout line stores."""
        shown = [m for m in (*SHOWN, *self.program.measures_used(), "refund_rate", "own_orders")
                 if m in self.measures]  # fmt: skip
        shown = list(dict.fromkeys(shown))
        measures = {m: [_float(v) for v in self.measures[m].tolist()] for m in shown}
        money = {
            name: _decimals(getattr(self, name), self.currency)
            for name in ("gross", "capped", "amount", "clawback")
        }
        values = [_float(v) for v in self.value.tolist()]
        progress = [_float(v) for v in self.progress.tolist()]
        rows = []
        for i, seller in enumerate(self.sellers):
            rows.append(
                {
                    "seller_id": seller,
                    "tier": str(self.tiers[i]),
                    "stage": str(self.stages[i]),
                    "arm": str(self.arms[i]),
                    "status": self.status[i],
                    "exclusion": self.exclusion[i],
                    "target_value": values[i],
                    "level": self.level[i],
                    "progress": progress[i],
                    "measures": {m: measures[m][i] for m in shown},
                    "gross": money["gross"][i],
                    "capped": money["capped"][i],
                    "amount": money["amount"][i],
                    "clawback": money["clawback"][i],
                    "explanation_en": self.explanation_en[i],
                    "explanation_id": self.explanation_id[i],
                }
            )
        return rows


def _decimals(values: np.ndarray, currency: str) -> list[Decimal]:
    """Each amount as the :class:`Decimal` stored (each distinct amount converted once)."""
    distinct, index = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    table = np.array([to_money(v, currency) for v in distinct.tolist()], dtype=object)
    found: list[Decimal] = table[index.reshape(-1)].tolist()
    return found


def _float(value: float) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, 6)


# -- the arithmetic ------------------------------------------------------------------------


def compute(
    program: Program,
    window: Window,
    cutoff: dt.date,
    sellers: Sequence[str],
    tiers: Sequence[str],
    stages: Sequence[str],
    arms: Sequence[str],
    measures: dict[str, np.ndarray],
    eligible: np.ndarray,
    struck: np.ndarray,
    currency: str = "IDR",
    kind: str = "payout",
    paid_before: np.ndarray | None = None,
    explain: bool = True,
) -> Period:
    """A period's payout from its merchants' ``measures`` (aligned arrays; the incremental
    measures already net of their baseline), ``eligible`` (the eligibility at the period's
    end) and ``struck`` (disqualified earlier under one strike). Pure: no I/O."""
    n = len(sellers)
    tier = np.asarray(tiers, dtype=object)
    arm = np.asarray(arms, dtype=object)
    value = np.asarray(measures[program.target.metric], dtype=np.float64)
    integrity = program.integrity
    holdout = arm == "holdout"
    not_eligible = ~np.asarray(eligible, dtype=bool) & ~holdout
    one_strike = np.asarray(struck, dtype=bool) & integrity.one_strike & ~holdout & ~not_eligible
    refund = np.zeros(n, dtype=bool)
    if integrity.refund is not None:
        rate = np.nan_to_num(measures["refund_rate"], nan=0.0)
        orders = measures["own_orders"]
        refund = (rate >= integrity.refund.max_rate - 1e-12) & (
            orders >= integrity.refund.min_orders
        )
        refund &= ~holdout & ~not_eligible & ~one_strike
    excluded = holdout | not_eligible | one_strike | refund
    qualified = qualifies(program.target.qualify, measures, (n,))
    payable = ~excluded & qualified
    schedules = {str(tier): schedule for tier, schedule in program.schedules.items()}
    gross, level = by_tier(schedules, program.schedule, tier, value, payable)
    own, amount = capped(program.caps, gross, tier, currency)
    clawback = np.zeros(n)
    if paid_before is not None:
        kept = np.minimum(amount, paid_before)
        clawback = np.maximum(paid_before - kept, 0.0)
        amount = kept
    reason = np.full(n, None, dtype=object)
    for mask, why in ((refund, "refund rate"), (one_strike, "one strike"),
                      (not_eligible, "not eligible"), (holdout, "holdout")):  # fmt: skip
        reason[mask] = why  # the last written (first listed in the docstring) wins
    state = np.where(amount > 0, "paid", "not_reached").astype(object)
    state = np.where(reason != None, "excluded", state)  # noqa: E711 (element-wise)
    state = np.where(holdout, "holdout", state)
    if paid_before is not None:
        state = np.where(paid_before > 0, np.where(clawback > 0, "clawed_back", "kept"), state)
    status: list[str] = state.tolist()
    exclusion: list[str | None] = reason.tolist()
    names = _level_names(program, tier, level)
    period = Period(
        program, window, cutoff, kind, currency, list(sellers), tier,
        np.asarray(stages, dtype=object), arm, measures, value, status, exclusion, names,
        _progress(program, tier, value), gross, own, amount, clawback,
    )  # fmt: skip
    if explain:
        period.explanation_en = _explanations(period, "en")
        period.explanation_id = _explanations(period, "id")
    return period


def _level_names(program: Program, tiers: np.ndarray, level: np.ndarray) -> list[str | None]:
    names = np.full(len(level), None, dtype=object)
    for tier in set(tiers.tolist()):
        schedule = program.schedule_of(str(tier))
        mask = (tiers == tier) & (level >= 0)
        if not mask.any():
            continue
        if schedule.kind == "rank_table":
            names[mask] = [f"Rank {int(r)}" for r in level[mask]]
        elif schedule.kind in ("per_unit", "pct"):
            names[mask] = "Paid"
        else:
            labels = np.array([name for _, name in schedule.levels()], dtype=object)
            names[mask] = labels[level[mask]]
    result: list[str | None] = names.tolist()
    return result


def _progress(program: Program, tiers: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The value over the next threshold not reached (the top one when all are): 1 or more
    means the level is reached; NaN when the schedule has no threshold."""
    progress = np.full(len(value), np.nan)
    for tier in set(tiers.tolist()) | {None}:
        schedule = program.schedule_of(str(tier)) if tier is not None else program.schedule
        mask = tiers == tier if tier is not None else np.zeros(len(value), dtype=bool)
        goals = _goals(schedule)
        if not goals or not mask.any():
            continue
        targets = np.array(goals)
        index = np.minimum(
            np.searchsorted(targets, value[mask] + 1e-9, side="right"), len(targets) - 1
        )
        progress[mask] = value[mask] / targets[index]
    return progress


def _goals(schedule: Schedule) -> list[float]:
    if schedule.kind == "rank_table":
        return [schedule.min_value] if schedule.min_value else []
    if schedule.kind == "per_unit" and schedule.max_units:
        return [schedule.max_units]
    return [threshold for threshold, _ in schedule.levels() if threshold > 0]


# -- explanations -----------------------------------------------------------------------------

_WORDS = {
    "en": {
        "valid_sessions": "{} valid sessions",
        "valid_hours": "{} h LIVE",
        "live_days": "{} LIVE days",
        "longest_streak": "longest streak {} days",
        "live_gmv": "LIVE GMV {}",
        "live_orders": "{} LIVE orders",
        "live_views": "{} LIVE views",
        "product_clicks": "{} product clicks",
        "incremental_gmv": "LIVE GMV {} on the baseline period",
        "incremental_sessions": "{} valid sessions on the baseline period",
        "refund": "refund rate {} of {} LIVE orders",
        "holdout": "Holdout",
        "holdout_text": "kept in the holdout group to measure the program: not paid this period",
        "not eligible": "no longer meets the program's eligibility at the end of the period",
        "one strike": "disqualified in an earlier period (one strike)",
        "refund rate": "the refund rate is at or above {} (with {} or more orders)",
        "not_paid": "Not paid",
        "not_reached": "Not reached",
        "needs": "{} needs {} ({} more)",
        "qualify": "needs at least {} to qualify",
        "nothing": "nothing earned on the schedule",
        "reward": "reward {} as {}, paid on {}",
        "so_far": "{} as {} if the period ended now",
        "capped": " (capped from {})",
        "clawed": "{} clawed back with the returns known by {}: keeps {}",
        "kept": "keeps {}: returns known by {} change nothing",
        "rank_needs": "ranked among those with at least {}",
    },
    "id": {
        "valid_sessions": "{} sesi valid",
        "valid_hours": "{} jam LIVE",
        "live_days": "{} hari LIVE",
        "longest_streak": "rentetan terpanjang {} hari",
        "live_gmv": "GMV LIVE {}",
        "live_orders": "{} pesanan LIVE",
        "live_views": "{} tayangan LIVE",
        "product_clicks": "{} klik produk",
        "incremental_gmv": "GMV LIVE {} dibanding periode dasar",
        "incremental_sessions": "{} sesi valid dibanding periode dasar",
        "refund": "tingkat pengembalian {} dari {} pesanan LIVE",
        "holdout": "Kelompok kontrol",
        "holdout_text": "masuk kelompok kontrol untuk mengukur program: tidak dibayar periode ini",
        "not eligible": "tidak lagi memenuhi syarat program di akhir periode",
        "one strike": "didiskualifikasi pada periode sebelumnya (satu pelanggaran)",
        "refund rate": "tingkat pengembalian mencapai {} atau lebih (dengan {} pesanan atau lebih)",
        "not_paid": "Tidak dibayar",
        "not_reached": "Belum tercapai",
        "needs": "{} memerlukan {} ({} lagi)",
        "qualify": "memerlukan minimal {} agar memenuhi syarat",
        "nothing": "belum ada hadiah menurut skema",
        "reward": "hadiah {} sebagai {}, dibayar pada {}",
        "so_far": "{} sebagai {} jika periode berakhir sekarang",
        "capped": " (dibatasi dari {})",
        "clawed": "{} ditarik kembali dengan pengembalian per {}: tetap {}",
        "kept": "tetap {}: pengembalian per {} tidak mengubah apa pun",
        "rank_needs": "diperingkat di antara yang mencapai minimal {}",
    },
}


_INDONESIAN_DIGITS = str.maketrans({",": ".", ".": ","})


def _number(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.translate(_INDONESIAN_DIGITS) if lang == "id" else text


@functools.lru_cache(maxsize=16)
def _symbol(currency: str) -> str:
    return format_money(0, currency, "id")[:-1]  # "Rp" as format_money writes Rp1.234


def _texts(values: np.ndarray, write: Callable[[float], str]) -> list[str]:
    """``write`` of each value, each distinct value written once."""
    distinct, index = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    table = np.array([write(v) for v in distinct.tolist()], dtype=object)
    found: list[str] = table[index.reshape(-1)].tolist()
    return found


def _money_texts(values: np.ndarray, currency: str, lang: str) -> list[str]:
    return _texts(values, lambda v: _money(v, currency, lang))


def _money(value: float, currency: str, lang: str) -> str:
    """What :func:`pasar.kit.money.format_money` writes, for a float (rounded half up)."""
    if currency not in NO_MINOR_UNITS:
        return format_money(Decimal(repr(float(value))), currency, lang)
    whole = math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)
    if lang == "id":
        return f"{_symbol(currency)}{_number(whole, lang)}"
    return f"{currency} {whole:,}"


def show_measure(name: str, value: float, lang: str, currency: str = "IDR") -> str:
    """A measure's value as a merchant reads it (``41.5 h LIVE``, ``GMV LIVE Rp1.234.000``)."""
    return _measure_texts(name, np.array([value], dtype=float), lang, currency)[0]


def _measure_texts(name: str, values: np.ndarray, lang: str, currency: str) -> list[str]:
    """The phrase of each value (each distinct value formatted once)."""
    unit = MEASURES[name][0] if name in MEASURES else "count"
    signed = name.startswith("incremental")
    template = _WORDS[lang].get(name, name + " {}")
    distinct, index = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    phrases = []
    for value in distinct.tolist():
        if unit == "money":
            text = _money(value, currency, lang)
        else:
            text = _number(value, lang, 1 if unit == "hours" else 0)
        if signed and value >= 0:
            text = "+" + text
        phrase = template.format(text)
        if lang == "en" and text in ("1", "+1"):
            phrase = _singular(phrase)
        phrases.append(phrase)
    table = np.array(phrases, dtype=object)
    found: list[str] = table[index.reshape(-1)].tolist()
    return found


def _singular(phrase: str) -> str:
    for plural, one in (("sessions", "session"), ("days", "day"), ("orders", "order"),
                        ("views", "view"), ("clicks", "click")):  # fmt: skip
        phrase = phrase.replace(plural, one)
    return phrase


def _explanations(period: Period, lang: str) -> list[str]:
    """Every merchant's sentence: the level (or why not paid), the facts, the outcome."""
    words, program, currency = _WORDS[lang], period.program, period.currency
    names = list(dict.fromkeys(["valid_sessions", "valid_hours", program.target.metric,
                                *program.target.qualify]))  # fmt: skip
    columns = [_measure_texts(n, period.measures[n], lang, currency) for n in names]
    facts = [", ".join(parts) for parts in zip(*columns, strict=True)]
    orders, rate = period.measures.get("own_orders"), period.measures.get("refund_rate")
    if orders is not None and rate is not None:
        rows = np.flatnonzero(orders > 0)
        percents = _texts(
            np.round(np.nan_to_num(rate[rows]) * 100, 1), lambda v: _number(v, lang, 1)
        )
        counts = _texts(orders[rows], lambda v: _number(v, lang))
        for i, percent, count in zip(rows.tolist(), percents, counts, strict=True):
            refund = words["refund"].format(percent + "%", count)
            if lang == "en" and count == "1":
                refund = refund.replace("orders", "order")
            facts[i] = f"{facts[i]}, {refund}"
    amounts = _money_texts(period.amount, currency, lang)
    shortfalls = _shortfalls(period, lang)
    form = FORMS[program.reward.form][0 if lang == "en" else 1]
    pay_on = period.pay_on
    texts: list[str] = []
    for i, status in enumerate(period.status):
        level = period.level[i]
        if status == "paid":
            head = level or words["not_reached"]
            text = (
                words["so_far"].format(amounts[i], form)
                if period.kind == "progress"
                else words["reward"].format(amounts[i], form, pay_on)
            )
            if period.amount[i] < period.gross[i] - 0.5:
                text += words["capped"].format(_money(period.gross[i], currency, lang))
        elif status == "not_reached":
            head, text = words["not_reached"], shortfalls[i]
        elif status == "holdout":
            head, text = words["holdout"], words["holdout_text"]
        elif status == "excluded":
            head, text = words["not_paid"], _excluded(program, str(period.exclusion[i]), lang)
        else:
            head = level or words["not_reached"]
            if status == "clawed_back":
                back = _money(period.clawback[i], currency, lang)
                text = words["clawed"].format(back, period.cutoff, amounts[i])
            else:
                paid = _money(period.amount[i] + period.clawback[i], currency, lang)
                text = words["kept"].format(paid, period.cutoff)
        texts.append(f"{head}: {facts[i]}. {text[0].upper()}{text[1:]}.")
    return texts


def _excluded(program: Program, reason: str, lang: str) -> str:
    text = _WORDS[lang][reason]
    if reason == "refund rate" and program.integrity.refund is not None:
        limit = _number(program.integrity.refund.max_rate * 100, lang, 0) + "%"
        text = text.format(limit, program.integrity.refund.min_orders)
    return text


def _shortfalls(period: Period, lang: str) -> dict[int, str]:
    """What each merchant that earned nothing misses: the first qualifying minimum it did not
    reach, or the first level of its schedule (and how far it is), by row."""
    words, program, currency = _WORDS[lang], period.program, period.currency
    rows = np.flatnonzero(np.asarray(period.status, dtype=object) == "not_reached")
    found: dict[int, str] = {}
    open_rows = rows
    for name, least in program.target.qualify.items():
        short = open_rows[period.measures[name][open_rows] < least - 1e-9]
        text = words["qualify"].format(show_measure(name, least, lang, currency))
        found.update(dict.fromkeys(short.tolist(), text))
        open_rows = open_rows[~np.isin(open_rows, short)]
    metric = program.target.metric
    for tier in set(period.tiers[open_rows].tolist()):
        mine = open_rows[period.tiers[open_rows] == tier]
        schedule = program.schedule_of(str(tier))
        levels = schedule.levels()
        if schedule.kind == "rank_table":
            text = (
                words["rank_needs"].format(show_measure(metric, schedule.min_value, lang, currency))
                if schedule.min_value is not None
                else words["nothing"]
            )
            found.update(dict.fromkeys(mine.tolist(), text))
            continue
        if not levels:
            found.update(dict.fromkeys(mine.tolist(), words["nothing"]))
            continue
        threshold, level = levels[0]
        wanted = show_measure(metric, threshold, lang, currency)
        for i in mine.tolist():
            value = float(period.value[i])
            if value < threshold:
                missing = threshold - value
                gap = _number(missing, lang, 0 if float(missing).is_integer() else 1)
                found[i] = words["needs"].format(level, wanted, gap)
            else:
                found[i] = words["nothing"]
    return found


# -- reading what a period needs ------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """The merchants of a period: enrolled by its end (and, for a replay, before the run)."""

    sellers: list[str]
    tiers: list[str]
    stages: list[str]
    arms: list[str]


def roster(
    session: Session, program_id: int, window: Window, created_before: dt.datetime | None = None
) -> Roster:
    rows = [
        e
        for e in enrolments_of(session, program_id)
        if e.enrolled_on <= window.end
        and (created_before is None or e.created_at <= created_before)
    ]
    return Roster(
        [e.seller_id for e in rows], [e.tier for e in rows], [e.stage for e in rows],
        [e.arm for e in rows],
    )  # fmt: skip


def gather_measures(
    ctx: Context,
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledProgram,
    window: Window,
    cutoff: dt.date,
    sellers: Sequence[str],
) -> dict[str, np.ndarray]:
    """The merchants' measures of ``window`` under the program's integrity rules (returns
    known by ``cutoff``), with the incremental measures against the baseline period."""
    program = compiled.program
    spans = [Span("period", window.start, window.end, cutoff)]
    baseline = None
    if program.target.baseline is not None:
        baseline = program.period.shifted(window, program.target.baseline.periods_before)
        spans.append(Span("baseline", baseline.start, baseline.end, cutoff))
    table = measure(con, spans, Rules.of(compiled), ctx.settings.timezone, list(sellers))
    found = aligned(table, "period", sellers)
    if baseline is not None:
        before = aligned(table, "baseline", sellers)
        for name, base in INCREMENTAL.items():
            found[name] = found[base] - before[base]
            found[f"baseline_{base}"] = before[base]
    return found


def gather(
    session: Session,
    ctx: Context,
    con: duckdb.DuckDBPyConnection,
    row: IncentiveProgram,
    compiled: CompiledProgram,
    window: Window,
    cutoff: dt.date,
    kind: str = "payout",
    created_before: dt.datetime | None = None,
    paid_before: dict[str, float] | None = None,
) -> Period:
    """Read a period's merchants, measures, eligibility and earlier strikes; compute it."""
    who = roster(session, row.id, window, created_before)
    measures = gather_measures(ctx, con, compiled, window, cutoff, who.sellers)
    eligible_now = eligibility_on(ctx, con, compiled, window.end)
    eligible = np.array([eligible_now.eligible.get(s, False) for s in who.sellers], dtype=bool)
    struck_set = _struck(session, row.id, window, created_before)
    struck = np.array([s in struck_set for s in who.sellers], dtype=bool)
    before = None
    if paid_before is not None:
        before = np.array([paid_before.get(s, 0.0) for s in who.sellers])
    return compute(
        compiled.program, window, cutoff, who.sellers, who.tiers, who.stages, who.arms,
        measures, eligible, struck, ctx.settings.currency, kind, before,
    )  # fmt: skip


def _struck(
    session: Session, program_id: int, window: Window, created_before: dt.datetime | None
) -> set[str]:
    """Merchants disqualified for their refund rate in an earlier period of the program (by
    its payout or clawback run)."""
    query = (
        select(PayoutLine.seller_id)
        .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
        .where(
            PayoutRun.program_id == program_id,
            PayoutRun.period_end < window.start,
            PayoutLine.exclusion.in_(["refund rate", "one strike"]),
        )
    )
    if created_before is not None:
        query = query.where(PayoutRun.created_at < created_before)
    return set(session.scalars(query))


# -- runs -------------------------------------------------------------------------------------


def period_window(compiled: CompiledProgram, label: str) -> Window:
    program = compiled.program
    try:
        window = program.period.parse(label)
    except ValueError as exc:
        raise ValidationError(str(exc), field="period") from exc
    if not program.period.covers(window):
        raise ValidationError(
            f"{label} is not a period of {program.ref} (it starts on {program.period.start}"
            + (f" and ends on {program.period.end})" if program.period.end else ")"),
            field="period",
        )
    return window


def last_complete(compiled: CompiledProgram, last_day: dt.date) -> Window | None:
    """The program's last period that ended by ``last_day``."""
    windows = compiled.program.period.windows(last_day)
    return windows[-1] if windows else None


def run_payout(
    session: Session,
    ctx: Context,
    key: str,
    period: str,
    actor: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> PayoutRun:
    """Compute and store the payout of ``period`` (its returns known by the period's end);
    the stored run when the period was paid already."""
    row = get_program(session, key)
    existing = _existing(session, row.id, "payout", period)
    if existing is not None:
        return existing
    if row.status != "active":
        raise ValidationError(f"program {key} is {row.status}: activate it to pay", field="status")
    compiled = compiled_of(ctx, row)
    window = period_window(compiled, period)
    con = con or ctx.connect()
    last = ctx.last_day(con)
    if window.end > last:
        raise ValidationError(
            f"period {window.label} ends on {window.end} but the warehouse holds data up to "
            f"{last}: pay a complete period",
            field="period",
        )
    result = gather(session, ctx, con, row, compiled, window, window.end)
    return _store(session, ctx, row, compiled.source, result, actor, "payout")


def run_clawback(
    session: Session,
    ctx: Context,
    key: str,
    period: str,
    actor: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> PayoutRun:
    """Check a paid period again with the returns known at the end of its clawback window;
    the stored check when it was done already."""
    row = get_program(session, key)
    existing = _existing(session, row.id, "clawback", period)
    if existing is not None:
        return existing
    paid = _existing(session, row.id, "payout", period)
    if paid is None:
        raise NotFoundError(f"period {period} of {key} was not paid: nothing to claw back")
    compiled = ctx.check(paid.program_source, f"payout {paid.id}")
    window = Window(paid.period_start, paid.period_end, paid.period)
    cutoff = window.end + dt.timedelta(days=compiled.program.clawback.window_days)
    con = con or ctx.connect()
    last = ctx.last_day(con)
    if cutoff > last:
        raise ValidationError(
            f"the clawback window of {period} closes on {cutoff}; the warehouse holds data up "
            f"to {last}",
            field="period",
        )
    before = {line.seller_id: float(line.amount) for line in lines_of(session, paid.id)}
    result = gather(
        session, ctx, con, row, compiled, window, cutoff, "clawback", paid.created_at, before
    )
    return _store(session, ctx, row, compiled.source, result, actor, "clawback")


def _existing(session: Session, program_id: int, kind: str, period: str) -> PayoutRun | None:
    return session.scalar(
        select(PayoutRun).where(PayoutRun.dedupe_key == f"{program_id}:{kind}:{period}")
    )


def lines_digest(lines: Sequence[dict[str, Any]]) -> str:
    """A fingerprint of every line's merchant, status, amounts and measures."""
    canonical = [
        {k: str(v) if isinstance(v, Decimal) else v for k, v in line.items()} for line in lines
    ]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


def _store(
    session: Session,
    ctx: Context,
    row: IncentiveProgram,
    source: str,
    result: Period,
    actor: str,
    kind: str,
) -> PayoutRun:
    lines = result.lines()

    def money(name: str) -> Decimal:
        return sum((line[name] for line in lines), Decimal(0))

    total = money("amount")
    share = Decimal(repr(result.program.reward.realised_share))
    run = PayoutRun(
        dedupe_key=f"{row.id}:{kind}:{result.window.label}",
        program_id=row.id,
        kind=kind,
        period=result.window.label,
        period_start=result.window.start,
        period_end=result.window.end,
        cutoff=result.cutoff,
        pay_on=result.pay_on,
        program_source=source,
        program_digest=digest(source),
        warehouse_version=ctx.warehouse.manifest().version,
        lines_digest=lines_digest(lines),
        merchants=len(lines),
        paid_merchants=sum(1 for line in lines if line["amount"] > 0),
        gross=money("gross"),
        total=total,
        realised_cost=(total * share).quantize(Decimal("0.01")),
        clawback=money("clawback"),
        created_by=actor,
    )
    session.add(run)
    session.flush()
    session.add_all(PayoutLine(run_id=run.id, **line) for line in lines)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"incentive.{kind}_run",
        entity_type="incentive_payout_run",
        entity_id=str(run.id),
        context={
            "program": row.key,
            "ref": result.program.ref,
            "period": run.period,
            "cutoff": run.cutoff,
            "merchants": run.merchants,
            "paid": run.paid_merchants,
            "total": run.total,
            "clawback": run.clawback,
            "lines_digest": run.lines_digest,
        },
    )
    return run


def get_run(session: Session, run_id: int) -> PayoutRun:
    run = session.get(PayoutRun, run_id)
    if run is None:
        raise NotFoundError(f"no payout run {run_id}")
    return run


def runs_of(session: Session, program_id: int) -> list[PayoutRun]:
    return list(
        session.scalars(
            select(PayoutRun)
            .where(PayoutRun.program_id == program_id)
            .order_by(PayoutRun.period_start.desc(), PayoutRun.id.desc())
        )
    )


def lines_of(
    session: Session, run_id: int, sellers: Sequence[str] | None = None
) -> list[PayoutLine]:
    query = select(PayoutLine).where(PayoutLine.run_id == run_id)
    if sellers is not None:
        query = query.where(PayoutLine.seller_id.in_(list(sellers)))
    return list(session.scalars(query.order_by(PayoutLine.seller_id)))


@dataclass(frozen=True)
class Replay:
    """A stored run computed again: whether every line is identical, and those that differ."""

    run_id: int
    identical: bool
    stored_digest: str
    replayed_digest: str
    differences: list[dict[str, Any]]
    warehouse_changed: bool


def replay(
    session: Session, ctx: Context, run_id: int, con: duckdb.DuckDBPyConnection | None = None
) -> Replay:
    """Compute run ``run_id`` again from what it stored (its program text, period, cut-off
    and the enrolments made before it) and compare line by line."""
    run = get_run(session, run_id)
    row = session.get(IncentiveProgram, run.program_id)
    assert row is not None
    compiled = ctx.check(run.program_source, f"payout {run.id}")
    window = Window(run.period_start, run.period_end, run.period)
    paid_before = None
    if run.kind == "clawback":
        paid = _existing(session, row.id, "payout", run.period)
        assert paid is not None
        paid_before = {line.seller_id: float(line.amount) for line in lines_of(session, paid.id)}
    con = con or ctx.connect()
    result = gather(
        session, ctx, con, row, compiled, window, run.cutoff, run.kind, run.created_at, paid_before
    )
    fresh = result.lines()
    stored = {line.seller_id: _stored_line(line) for line in lines_of(session, run.id)}
    differences = []
    for line in fresh:
        before = stored.pop(line["seller_id"], None)
        if before != line:
            differences.append({"seller_id": line["seller_id"], "stored": before, "replayed": line})
    differences += [
        {"seller_id": s, "stored": line, "replayed": None} for s, line in stored.items()
    ]
    replayed = lines_digest(fresh)
    return Replay(
        run.id,
        replayed == run.lines_digest and not differences,
        run.lines_digest,
        replayed,
        differences,
        ctx.warehouse.manifest().version != run.warehouse_version,
    )


LINE_FIELDS = (
    "seller_id", "tier", "stage", "arm", "status", "exclusion", "target_value", "level",
    "progress", "measures", "gross", "capped", "amount", "clawback", "explanation_en",
    "explanation_id",
)  # fmt: skip


def _stored_line(line: PayoutLine) -> dict[str, Any]:
    return {name: getattr(line, name) for name in LINE_FIELDS}


# -- the payout file --------------------------------------------------------------------------

FILE_COLUMNS = (
    ("seller_id", "seller_id"), ("tier", "tier"), ("stage", "stage"), ("arm", "arm"),
    ("status", "status"), ("exclusion", "exclusion"), ("level", "level"),
    ("target_value", "target_value"), ("progress", "progress"), ("gross", "reward_before_caps"),
    ("capped", "after_merchant_cap"), ("amount", "amount"), ("clawback", "clawback"),
    ("explanation_en", "explanation_en"), ("explanation_id", "explanation_id"),
)  # fmt: skip


def payout_file(session: Session, run_id: int, form: str) -> tuple[bytes, str, str]:
    """A run's lines as a CSV or XLSX file: (bytes, media type, file name)."""
    run = get_run(session, run_id)
    row = session.get(IncentiveProgram, run.program_id)
    assert row is not None
    lines = lines_of(session, run_id)
    headers = ["program", "period", "kind", "pay_on", "form"] + [name for _, name in FILE_COLUMNS]
    form_of = reward_form(run.program_source)
    rows = [
        [row.key, run.period, run.kind, run.pay_on.isoformat(), form_of]
        + [_cell(getattr(line, attribute)) for attribute, _ in FILE_COLUMNS]
        for line in lines
    ]
    name = f"payout-{row.key}-{run.period}-{run.kind}"
    if form == "csv":
        sink = io.StringIO()
        writer = csv.writer(sink)
        writer.writerow(headers)
        for values in rows:
            writer.writerow(["" if v is None else _defuse(v) for v in values])
        return (
            ("\ufeff" + sink.getvalue()).encode("utf-8"),
            "text/csv; charset=utf-8",
            f"{name}.csv",
        )
    if form == "xlsx":
        from openpyxl import Workbook  # type: ignore[import-untyped]

        book = Workbook()
        sheet = book.active
        sheet.title = "payout"
        sheet.append(headers)
        for values in rows:
            sheet.append([_defuse(v) if isinstance(v, str) else v for v in values])
        sheet.freeze_panes = "A2"
        sink_bytes = io.BytesIO()
        book.save(sink_bytes)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return sink_bytes.getvalue(), media, f"{name}.xlsx"
    raise ValidationError(
        f"cannot write a payout file as {form!r}: use csv or xlsx", field="format"
    )


def reward_form(source: str) -> str:
    """The reward form a program's text names (for the payout file's rows)."""
    document = yaml.safe_load(source)
    reward = document.get("reward") if isinstance(document, dict) else None
    return str(reward.get("form", "")) if isinstance(reward, dict) else ""


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


__all__ = [
    "Enrolment",
    "Period",
    "Replay",
    "compute",
    "gather",
    "last_complete",
    "lines_of",
    "payout_file",
    "replay",
    "run_clawback",
    "run_payout",
]
