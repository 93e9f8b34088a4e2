"""Governance schemes: how findings become points, when points expire, and the ladder of
actions — all numbers in configuration with effective dates, never in code.

A scheme file (``pasar/catalog/governance/*.yml``, or ``PASAR_GOVERNANCE_PATH``)::

    scheme: tiktok-sea
    version: 1
    region: SEA
    effective_from: 2025-06-17
    pack: tokopedia-id          # the policy pack whose findings are violations
    expiry_days: 90             # points leave the balance this many days after issue …
    terminal_points: 48         # … unless the balance has reached this level
    repeat_window_days: 90      # a repeat offence within it takes the top of a point range
    warning_margin: 5           # a warning this many points before each step
    reset: none                 # or quarterly (Shopee-style: balance to zero each quarter)
    human_review_gmv_30d: 5000000000   # any action on a seller above it needs a person
    ladder:
      - {at: 12, action: campaign_limited, days: 7}
      - {at: 24, action: campaign_and_affiliate_removed, days: 28}
      - {at: 36, action: shop_deactivated, days: 28}
      - {at: 48, action: permanent_suspension, human_review: true}
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pasar.kit.errors import NotFoundError
from pasar.kit.issues import Issues, IssuesError, did_you_mean
from pasar.kit.yamlfile import parse_yaml, validate_model
from pasar.metrics.loader import path_list
from pasar.metrics.spec import Origin
from pasar.policy.spec import SLUG


class Step(BaseModel):
    """One rung of the ladder: at ``at`` points, ``action`` for ``days`` (none: until
    lifted by a person). In a score scheme a step is written ``score_at`` (the score at or
    below which it applies) and ``at`` is derived: ``score_start − score_at`` deducted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: int = Field(default=0, ge=0, le=100_000)
    score_at: int | None = Field(default=None, ge=0)
    action: str
    days: int | None = Field(default=None, ge=1, le=3660)
    human_review: bool = False
    label: dict[Literal["en", "id"], str] = {}  # what the seller reads, per language

    def describe(self, language: str) -> str:
        """The action as a seller reads it, with its duration."""
        text = str(self.label.get(language, self.action.replace("_", " ")))  # type: ignore[call-overload]
        if self.days is None:
            return text
        return f"{text} ({self.days} {'hari' if language == 'id' else 'days'})"

    @model_validator(mode="after")
    def _named(self) -> Step:
        if not SLUG.match(self.action):
            raise ValueError(f"action {self.action!r} must be a lower-case name")
        return self


class AppealReason(BaseModel):
    """A reason a seller may appeal for, and the evidence it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: dict[Literal["en", "id"], str] = {}
    evidence: list[str] = Field(min_length=1)


class AppealRules(BaseModel):
    """How many appeals a violation allows and when (``../shared/reference/governance.md``
    §1.6: two, the first within 30 days, the second within 15 days of a rejection)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_per_violation: int = Field(default=2, ge=1, le=5)
    first_within_days: int = Field(default=30, ge=1)
    next_within_days: int = Field(default=15, ge=1)
    decision_sla_days: int = Field(default=2, ge=1)
    reasons: dict[str, AppealReason] = Field(min_length=1)


class Scheme(BaseModel):
    """One version of a governance scheme, in force from ``effective_from``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: str
    version: int = Field(ge=1)
    region: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    pack: str
    description: str = ""
    expiry_days: int = Field(ge=1, le=3660)
    terminal_points: int | None = Field(default=None, ge=1)
    repeat_window_days: int = Field(default=90, ge=0, le=3660)
    warning_margin: int = Field(default=5, ge=0)
    reset: Literal["none", "quarterly"] = "none"
    model: Literal["points", "score"] = "points"
    score_start: int | None = Field(default=None, ge=1, le=100_000)
    human_review_gmv_30d: float | None = Field(default=None, ge=0)
    ladder: list[Step] = Field(min_length=1)
    appeals: AppealRules | None = None
    poa_required_for: list[str] = []  # actions lifted early only with an accepted plan
    origin: Origin | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _ladder_rises(self) -> Scheme:
        if self.model == "score":
            if self.score_start is None:
                raise ValueError("a score scheme needs score_start (e.g. 1000)")
            if any(s.score_at is None or s.score_at >= self.score_start for s in self.ladder):
                raise ValueError("each step of a score scheme needs score_at below score_start")
            ladder = [
                s.model_copy(update={"at": self.score_start - (s.score_at or 0)})
                for s in self.ladder
            ]
            object.__setattr__(self, "ladder", ladder)
        elif any(s.at < 1 or s.score_at is not None for s in self.ladder):
            raise ValueError("each step of a points scheme needs `at` (points, 1 or more)")
        steps = [s.at for s in self.ladder]
        if steps != sorted(steps):
            raise ValueError("ladder steps must be in rising order of `at`")
        actions = [(s.at, s.action) for s in self.ladder]
        if len(set(actions)) != len(actions):
            raise ValueError("a ladder step lists the same action twice")
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    @property
    def ref(self) -> str:
        return f"{self.scheme}@{self.version}"

    def in_force(self, day: dt.date) -> bool:
        ends = self.effective_to is None or day <= self.effective_to
        return self.effective_from <= day and ends

    def level(self, balance: int) -> int:
        """The highest step reached with ``balance`` points (0: none)."""
        return max((s.at for s in self.ladder if balance >= s.at), default=0)

    def next_step(self, balance: int) -> Step | None:
        """The first step above ``balance``, if any."""
        return next((s for s in self.ladder if s.at > balance), None)

    def standing(self, balance: int, language: str = "en") -> str:
        """How a balance reads: ``36 points``, or ``score 850 of 1000`` (a deduction)."""
        if self.model == "score" and self.score_start is not None:
            word = "skor" if language == "id" else "score"
            return f"{word} {max(0, self.score_start - balance)} / {self.score_start}"
        return f"{balance} {'poin' if language == 'id' else 'points'}"

    def threshold(self, step: Step, language: str = "en") -> str:
        """Where a step applies, as users read it (points reached or score fallen to)."""
        if self.model == "score" and step.score_at is not None:
            return f"{'skor' if language == 'id' else 'score'} {step.score_at}"
        return f"{step.at} {'poin' if language == 'id' else 'points'}"

    def expires(self, issued: dt.date) -> dt.date:
        """The day points issued on ``issued`` leave the balance (if not terminal by then)."""
        return issued + dt.timedelta(days=self.expiry_days)


def shipped_scheme_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("pasar.catalog").joinpath("governance")))


LOOK_EVERY = 1.0  # seconds between two looks at the scheme files of a running server
_looked: dict[str, tuple[float, tuple[tuple[str, int, int], ...]]] = {}


def current_schemes(extra: str = "") -> list[Scheme]:
    """:func:`load_schemes`, parsed again only when a scheme file was added, removed or
    changed (a server calls it on every request; the files are looked at once a second)."""
    moment = time.monotonic()
    looked = _looked.get(extra)
    if looked is None or moment - looked[0] >= LOOK_EVERY:
        looked = _looked[extra] = (moment, _signature(extra))
    return list(_parsed(extra, looked[1]))


def _signature(extra: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        for directory in [shipped_scheme_dir(), *path_list(extra)]
        if directory.is_dir()
        for path in sorted(directory.rglob("*"))
        if path.suffix in (".yml", ".yaml")
    )


@functools.lru_cache(maxsize=8)
def _parsed(extra: str, _signature: tuple[tuple[str, int, int], ...]) -> tuple[Scheme, ...]:
    return tuple(load_schemes(extra))


def load_schemes(extra: str = "") -> list[Scheme]:
    """Every scheme file (shipped, then ``extra`` directories); :class:`IssuesError` listing
    every problem with file and line."""
    issues = Issues()
    schemes: list[Scheme] = []
    for directory in [shipped_scheme_dir(), *path_list(extra)]:
        if not directory.is_dir():
            issues.add(str(directory), 0, "governance directory does not exist")
            continue
        for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml")):
            document = parse_yaml(str(path), path.read_text(encoding="utf-8"), issues)
            if document is None:
                continue
            fields = tuple((str(k), line) for k, line in getattr(document, "lines", {}).items())
            origin = Origin(str(path), getattr(document, "line", 1), fields)
            scheme = validate_model(
                Scheme,
                document,
                str(path),
                issues,
                1,
                {"origin": origin},
                label=lambda item: f"scheme {item.get('scheme', '?')}",
            )
            if scheme is not None:
                schemes.append(scheme)
    if issues:
        raise IssuesError("governance schemes have problems", issues)
    return schemes


def scheme_on(schemes: list[Scheme], name: str, day: dt.date) -> Scheme:
    """The version of scheme ``name`` in force on ``day``."""
    named = [s for s in schemes if s.scheme == name]
    if not named:
        hint = did_you_mean(name, {s.scheme for s in schemes})
        raise NotFoundError(f"no governance scheme {name!r}{hint}")
    for scheme in named:
        if scheme.in_force(day):
            return scheme
    raise NotFoundError(f"no version of governance scheme {name} is in force on {day}")
