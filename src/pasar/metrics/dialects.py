"""Portable SQL pieces whose meaning differs between engines, written out per dialect.

SQLGlot translates syntax well but not the meaning of date functions (DuckDB's ``isodow`` and
Spark's ``dayofweek`` number days differently; ``date_diff`` argument order and quantiles differ).
So each helper here builds the engine's own functions as an AST, checked by parity tests.
Timestamps are instants stored in UTC; helpers work in the marketplace's local time.

Example:
    >>> d = dialect_for("spark", "Asia/Jakarta")
    >>> d.day_of_week(exp.column("created_at")).sql("spark")
    "(DAYOFWEEK(FROM_UTC_TIMESTAMP(created_at, 'Asia/Jakarta')) + 5) % 7 + 1"
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from pasar.kit.clock import fixed_offset

DialectName = Literal["duckdb", "spark"]
DIALECTS: tuple[DialectName, ...] = ("duckdb", "spark")


def _fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _num(value: float) -> exp.Expr:
    return exp.Literal.number(value)


@dataclass(frozen=True)
class Dialect(ABC):
    """How one engine writes the portable helpers, for one marketplace time zone."""

    name: DialectName
    zone: str

    # -- time ------------------------------------------------------------------------------

    @abstractmethod
    def local_timestamp(self, ts: exp.Expr) -> exp.Expr:
        """The wall-clock time of the instant ``ts`` in the marketplace zone (no zone)."""

    @abstractmethod
    def local_date(self, ts: exp.Expr) -> exp.Expr:
        """The marketplace-local calendar date of the instant ``ts``."""

    @abstractmethod
    def day_of_week(self, ts: exp.Expr) -> exp.Expr:
        """ISO day of week of the local date: 1 = Monday … 7 = Sunday."""

    def hour_of_day(self, ts: exp.Expr) -> exp.Expr:
        """Local hour 0–23."""
        return exp.Extract(this=exp.var("HOUR"), expression=self.local_timestamp(ts))

    @abstractmethod
    def days_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        """Local calendar days from ``start`` to ``end`` (negative when ``end`` is earlier)."""

    @abstractmethod
    def micros(self, ts: exp.Expr) -> exp.Expr:
        """Microseconds since the Unix epoch of the instant ``ts``."""

    def seconds_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        """Exact elapsed seconds from ``start`` to ``end`` as a DOUBLE."""
        diff = exp.Paren(this=exp.Sub(this=self.micros(end), expression=self.micros(start)))
        return exp.Div(this=exp.cast(diff, "DOUBLE"), expression=_num(1_000_000))

    def timestamp(self, moment: dt.datetime) -> exp.Expr:
        """A literal instant (``moment`` is timezone-aware)."""
        text = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        return exp.cast(exp.Literal.string(text + "+00:00"), "TIMESTAMPTZ")

    def date(self, day: dt.date) -> exp.Expr:
        return exp.cast(exp.Literal.string(day.isoformat()), "DATE")

    # -- aggregation ------------------------------------------------------------------------

    @abstractmethod
    def percentile(self, value: exp.Expr, fraction: float) -> exp.Expr:
        """The continuous (linearly interpolated) percentile of ``value``."""

    def count_distinct(self, value: exp.Expr) -> exp.Expr:
        return exp.Count(this=exp.Distinct(expressions=[value]))

    def double(self, value: exp.Expr) -> exp.Expr:
        return exp.cast(value, "DOUBLE")


class DuckDBDialect(Dialect):
    def local_timestamp(self, ts: exp.Expr) -> exp.Expr:
        offset = fixed_offset(self.zone)
        if offset is not None:  # a subtraction is several times faster than a zone lookup
            shifted = exp.Add(this=self.micros(ts), expression=_num(_micros(offset)))
            return _fn("make_timestamp", shifted)
        return _fn("timezone", exp.Literal.string(self.zone), ts)

    def local_date(self, ts: exp.Expr) -> exp.Expr:
        return exp.cast(self.local_timestamp(ts), "DATE")

    def day_of_week(self, ts: exp.Expr) -> exp.Expr:
        return _fn("isodow", self.local_timestamp(ts))

    def days_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        return _fn(
            "date_diff", exp.Literal.string("day"), self.local_date(start), self.local_date(end)
        )

    def micros(self, ts: exp.Expr) -> exp.Expr:
        return _fn("epoch_us", ts)

    def percentile(self, value: exp.Expr, fraction: float) -> exp.Expr:
        return _fn("quantile_cont", value, _num(fraction))


class SparkDialect(Dialect):
    def local_timestamp(self, ts: exp.Expr) -> exp.Expr:
        return _fn("from_utc_timestamp", ts, exp.Literal.string(self.zone))

    def local_date(self, ts: exp.Expr) -> exp.Expr:
        return _fn("to_date", self.local_timestamp(ts))

    def day_of_week(self, ts: exp.Expr) -> exp.Expr:
        # Spark's dayofweek is 1 = Sunday … 7 = Saturday
        sunday_first = _fn("dayofweek", self.local_timestamp(ts))
        shifted = exp.Mod(
            this=exp.Paren(this=exp.Add(this=sunday_first, expression=_num(5))), expression=_num(7)
        )
        return exp.Add(this=shifted, expression=_num(1))

    def days_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        return _fn("datediff", self.local_date(end), self.local_date(start))

    def micros(self, ts: exp.Expr) -> exp.Expr:
        return _fn("unix_micros", ts)

    def timestamp(self, moment: dt.datetime) -> exp.Expr:
        text = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        return exp.cast(exp.Literal.string(text + "Z"), "TIMESTAMP")

    def percentile(self, value: exp.Expr, fraction: float) -> exp.Expr:
        return _fn("percentile", value, _num(fraction))


def _micros(offset: dt.timedelta) -> int:
    return int(offset.total_seconds()) * 1_000_000


def dialect_for(name: str, zone: str) -> Dialect:
    """The helpers of engine ``name`` (``duckdb`` or ``spark``) for marketplace zone ``zone``."""
    if name == "duckdb":
        return DuckDBDialect("duckdb", zone)
    if name == "spark":
        return SparkDialect("spark", zone)
    raise ValueError(f"unknown dialect {name!r}: use duckdb or spark")
