"""What a policy pack file holds: packs of policies, each a predicate and an outcome.

A pack is one YAML file — one version of a named pack, in force between two dates::

    pack: seller-health
    version: 2
    region: ID
    entity: seller
    effective_from: 2026-01-01
    policies:
      - id: late-dispatch
        version: 1
        when: late_dispatch_rate_7d >= 0.10
        outcome: {kind: points, points: 2}
        cooldown: 7d
        severity: medium
        category: fulfilment
        explain:
          en: "Late dispatch rate {late_dispatch_rate_7d:.1%} ≥ 10% over 7 days"
          id: "Tingkat keterlambatan kirim {late_dispatch_rate_7d:.1%} ≥ 10% dalam 7 hari"

The shapes are checked here; what the text inside means (columns, functions, templates) is
checked against the metric catalog by :mod:`pasar.policy.packs`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pasar.metrics.spec import Origin, Window

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
OutcomeKind = Literal["points", "action", "reward", "eligibility", "gate"]
Severity = Literal["info", "low", "medium", "high", "critical"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outcome(_Spec):
    """What a policy does to a subject it fires on.

    * ``points``: ``points`` (and ``points_max`` for a range; repeat offences take the top).
    * ``action``: ``action`` for ``days`` (none: until lifted), optional ``value`` (e.g. a cap).
    * ``reward``: ``amount``, a number or an expression over snapshot columns; ``form``.
    * ``eligibility`` / ``gate``: the subject is eligible / the gate passes.
    """

    kind: OutcomeKind
    points: int | None = Field(default=None, ge=0, le=1000)
    points_max: int | None = Field(default=None, ge=0, le=1000)
    action: str | None = None
    days: int | None = Field(default=None, ge=1, le=3660)
    value: float | None = None
    amount: str | None = None
    form: str | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_text(cls, value: object) -> object:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return str(value) if number else value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Outcome:
        wanted = {
            "points": {"points", "points_max"},
            "action": {"action", "days", "value"},
            "reward": {"amount", "form"},
            "eligibility": set(),
            "gate": set(),
        }[self.kind]
        given = {
            name
            for name in ("points", "points_max", "action", "days", "value", "amount", "form")
            if getattr(self, name) is not None
        }
        if stray := sorted(given - wanted):
            raise ValueError(f"a {self.kind} outcome does not take {', '.join(stray)}")
        required = {"points": "points", "action": "action", "reward": "amount"}.get(self.kind)
        if required and getattr(self, required) is None:
            raise ValueError(f"a {self.kind} outcome needs {required}")
        top, least = self.points_max, self.points
        if top is not None and least is not None and top < least:
            raise ValueError(f"points_max {self.points_max} is below points {self.points}")
        if self.action is not None and not SLUG.match(self.action):
            raise ValueError(f"action {self.action!r} must be a lower-case name like order_cap")
        return self


class Explanation(_Spec):
    """The sentence a subject reads, in English and Indonesian; ``{column:format}`` fields."""

    en: str = Field(min_length=1, max_length=1000)
    id: str = Field(min_length=1, max_length=1000)


class Policy(_Spec):
    """One rule: when ``when`` holds for a subject of ``entity``, ``outcome`` happens."""

    id: str
    version: int = Field(ge=1)
    when: str
    outcome: Outcome
    explain: Explanation
    advice: Explanation | None = None  # what the subject can do about it (no fields)
    entity: str | None = None  # the pack's entity when not given
    description: str = ""
    cooldown: str | None = None
    severity: Severity = "medium"
    category: str = "general"
    region: str | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    origin: Origin | None = Field(default=None, exclude=True)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"id {value!r} must be lower-case words joined by - or _")
        return value

    @field_validator("cooldown")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            Window.parse(value)
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Policy:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    @property
    def cooldown_days(self) -> int:
        """Days during which the policy does not fire again for the same subject (0: none)."""
        return Window.parse(self.cooldown).days if self.cooldown else 0

    def in_force(self, day: dt.date) -> bool:
        """Whether the policy's own dates (if any) include ``day``."""
        starts = self.effective_from is None or self.effective_from <= day
        return starts and (self.effective_to is None or day <= self.effective_to)


class Pack(_Spec):
    """One version of a named pack of policies, in force from ``effective_from`` through
    ``effective_to`` (open-ended when not given)."""

    pack: str
    version: int = Field(ge=1)
    region: str
    entity: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    description: str = ""
    policies: list[Policy] = Field(min_length=1)
    origin: Origin | None = Field(default=None, exclude=True)

    @field_validator("pack")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"pack {value!r} must be lower-case words joined by - or _")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Pack:
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    @property
    def ref(self) -> str:
        """``name@version``, how commands name it."""
        return f"{self.pack}@{self.version}"

    def in_force(self, day: dt.date) -> bool:
        """Whether ``day`` falls within the pack's effective dates."""
        ends = self.effective_to is None or day <= self.effective_to
        return self.effective_from <= day and ends

    def policies_on(self, day: dt.date) -> list[Policy]:
        """The policies of the pack in force on ``day`` (their own dates, if any)."""
        return [p for p in self.policies if p.in_force(day)]

    def entity_of(self, policy: Policy) -> str:
        return policy.entity or self.entity
