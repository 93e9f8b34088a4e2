"""What a metric catalog is made of: entities, datasets and metrics, as read from YAML.

The shapes follow dbt's semantic layer, cut down: a dataset is one warehouse table (plus joined
columns) with a time column, the entities it can be grouped by and its dimensions; a metric is
``simple`` (an aggregation over a dataset), ``ratio`` (two metrics), ``derived`` (a formula over
metrics) or ``cumulative`` (an aggregation over all history, or month/quarter/year to date).

Example:
    >>> Window.parse("30d").days
    30
    >>> Metric(name="orders_7d", entity="seller", type="simple", dataset="orders",
    ...        agg="count", window="7d", description="Orders placed in the last 7 days.").entities
    ('seller',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENTITY_NAMES = ("seller", "creator", "merchant", "product", "center", "marketplace")
MetricType = Literal["simple", "ratio", "derived", "cumulative"]
Aggregation = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median", "percentile"]
Grain = Literal["day", "week", "month", "quarter", "year"]
UNITS = ("count", "money", "ratio", "hours", "minutes", "days", "rating", "number")
FORMATS = ("integer", "number", "percent", "money", "duration")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WINDOW = re.compile(r"^(\d+)d$")
MAX_WINDOW_DAYS = 3660
AS_OF_TIME = "as_of_time"  # pseudo-column of filters: the end instant of the as-of day


@dataclass(frozen=True)
class Origin:
    """Where a definition was written: the file and the line of its first key."""

    file: str
    line: int
    fields: tuple[tuple[str, int], ...] = ()

    def line_of(self, field: str) -> int:
        """The line of ``field``'s key, or of the definition when it is not written."""
        return dict(self.fields).get(field, self.line)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Window:
    """A trailing window of whole local days ending on (and including) the as-of date."""

    days: int

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"7d"`` → ``Window(7)``; anything else is a ``ValueError`` naming what works."""
        match = _WINDOW.match(text.strip())
        if not match or not 1 <= int(match.group(1)) <= MAX_WINDOW_DAYS:
            raise ValueError(
                f"window {text!r} is not a number of days like 7d, 30d or 90d "
                f"(1d to {MAX_WINDOW_DAYS}d)"
            )
        return cls(int(match.group(1)))

    def __str__(self) -> str:
        return f"{self.days}d"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: Origin | None = Field(default=None, exclude=True)

    @field_validator("name", check_fields=False)
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"name {value!r} must be lower_snake_case (a-z, 0-9, _)")
        return value


class Entity(_Spec):
    """Who a snapshot is about: one row per key (a seller, a creator …)."""

    name: str
    key: str | None = None  # the snapshot's key column; None for the one-row marketplace
    table: str | None = None  # the table listing every subject, when there is one
    description: str = ""


class Dimension(_Spec):
    """A column of a dataset to group or filter by."""

    name: str
    expr: str | None = None  # defaults to the column of the same name
    description: str = ""

    @property
    def sql(self) -> str:
        return self.expr or self.name


class Join(_Spec):
    """Columns brought into a dataset from another table.

    Either a lookup (plain columns of a table whose key is ``key``) or an aggregate per ``key``
    (every column an aggregation, e.g. ``worst_rating: min(rating)``): a join never multiplies
    the dataset's rows.
    """

    table: str
    key: list[str]
    columns: dict[str, str]

    @field_validator("key", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Dataset(_Spec):
    """One warehouse table seen as rows to aggregate."""

    name: str
    table: str
    time: str
    entities: dict[str, str | None]
    dimensions: list[Dimension] = []
    joins: list[Join] = []
    description: str = ""

    @field_validator("dimensions", mode="before")
    @classmethod
    def _names_alone(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


class MinVolume(_Spec):
    """The value is NULL unless ``metric`` (same window) is at least ``at_least``."""

    metric: str | None = None  # None: the ratio's denominator, or the simple metric's rows
    at_least: float


class Metric(_Spec):
    """One number about an entity, defined once for every engine, query and snapshot."""

    name: str
    entity: str | list[str]
    type: MetricType
    description: str
    dataset: str | None = None
    agg: Aggregation | None = None
    expr: str | None = None
    percentile: float | None = None
    filter: str | None = None
    time: str | None = None
    window: str | None = None
    grain_to_date: Grain | None = None
    numerator: str | None = None
    denominator: str | None = None
    min_volume: MinVolume | None = None
    unit: str = "number"
    format: str | None = None
    owner: str = ""

    @field_validator("min_volume", mode="before")
    @classmethod
    def _bare_number(cls, value: object) -> object:
        return {"at_least": value} if isinstance(value, int | float) else value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            Window.parse(value)
        return value

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if value not in UNITS:
            raise ValueError(f"unit {value!r} is not one of: {', '.join(UNITS)}")
        return value

    @field_validator("format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"format {value!r} is not one of: {', '.join(FORMATS)}")
        return value

    @model_validator(mode="after")
    def _fields_of_its_type(self) -> Metric:
        needed = {
            "simple": ("dataset", "agg"),
            "cumulative": ("dataset", "agg"),
            "ratio": ("numerator", "denominator"),
            "derived": ("expr",),
        }[self.type]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} metric needs {' and '.join(missing)}")
        foreign = {
            "simple": ("numerator", "denominator", "grain_to_date"),
            "cumulative": ("numerator", "denominator", "window"),
            "ratio": ("dataset", "agg", "expr", "filter", "time", "percentile", "grain_to_date"),
            "derived": ("dataset", "agg", "filter", "time", "percentile", "grain_to_date"),
        }[self.type]
        present = [f for f in foreign if getattr(self, f) is not None]
        if present:
            raise ValueError(f"a {self.type} metric has no {', '.join(present)}")
        if self.agg == "percentile" and not (self.percentile and 0 < self.percentile < 1):
            raise ValueError("agg percentile needs percentile: a number between 0 and 1")
        if self.agg != "percentile" and self.percentile is not None:
            raise ValueError("percentile is only for agg: percentile")
        if self.agg not in (None, "count") and self.expr is None:
            raise ValueError(f"agg {self.agg} needs expr: the value to aggregate")
        return self

    @property
    def entities(self) -> tuple[str, ...]:
        return (self.entity,) if isinstance(self.entity, str) else tuple(self.entity)

    @property
    def window_days(self) -> Window | None:
        return Window.parse(self.window) if self.window else None

    @property
    def display_format(self) -> str:
        """How values are shown: the ``format`` given, else the unit's usual one."""
        if self.format:
            return self.format
        return {"count": "integer", "money": "money", "ratio": "percent"}.get(self.unit, "number")


class CatalogFile(_Spec):
    """One YAML file: any of entities, datasets and metrics."""

    entities: list[Entity] = []
    datasets: list[Dataset] = []
    metrics: list[Metric] = []
