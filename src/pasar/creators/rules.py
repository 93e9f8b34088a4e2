"""The affiliate programme's rules that creator analytics apply: the commission rate assumed
per seller category and the Creator Level thresholds (``catalog/creators/affiliate.yml``).

Example::

    rules = affiliate_rules()
    rules.commission_rate("Health")                       # Decimal('0.175')
    rules.level_for(gmv=Decimal(30_000_000), active_days=12)   # 'L4'
"""

from __future__ import annotations

import functools
from decimal import Decimal
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pasar.kit.issues import Issues, IssuesError
from pasar.kit.yamlfile import parse_yaml, validate_model


class LevelRule(BaseModel):
    """A Creator Level and the previous month's minimums that earn it."""

    model_config = ConfigDict(extra="forbid")
    level: str = Field(pattern=r"^L[0-9]$")
    min_gmv: Decimal = Field(ge=0)
    min_active_days: int = Field(ge=0, le=31)


class AffiliateRules(BaseModel):
    """Commission rates by seller category and the level ladder (lowest first)."""

    model_config = ConfigDict(extra="forbid")
    commission_rates: dict[str, Decimal]
    levels: list[LevelRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _sane(self) -> AffiliateRules:
        if "default" not in self.commission_rates:
            raise ValueError("commission_rates needs a `default` rate")
        for category, rate in self.commission_rates.items():
            if not Decimal(0) <= rate <= Decimal("0.8"):
                raise ValueError(f"commission rate of {category} must be within 0–0.8 (80%)")
        first = self.levels[0]
        if first.min_gmv != 0 or first.min_active_days != 0:
            raise ValueError(f"the first level ({first.level}) must need nothing (0 and 0)")
        for low, high in zip(self.levels, self.levels[1:], strict=False):
            if high.min_gmv < low.min_gmv or high.min_active_days < low.min_active_days:
                raise ValueError(f"{high.level} needs less than {low.level}: levels must climb")
        return self

    def commission_rate(self, category: str | None) -> Decimal:
        """The rate for ``category`` (the default rate when it has none)."""
        rates = self.commission_rates
        return rates.get(category or "", rates["default"])

    def level_for(self, gmv: Decimal, active_days: int) -> str:
        """The highest level whose minimums ``gmv`` and ``active_days`` both meet."""
        held = self.levels[0].level
        for rule in self.levels:
            if gmv >= rule.min_gmv and active_days >= rule.min_active_days:
                held = rule.level
        return held


def shipped_rules_path() -> Path:
    """The affiliate rules file shipped with Pasar."""
    return Path(str(resources.files("pasar.catalog").joinpath("creators", "affiliate.yml")))


@functools.cache
def affiliate_rules(path: Path | None = None) -> AffiliateRules:
    """The rules of ``path`` (the shipped file by default); :class:`IssuesError` naming the file
    and line of every problem."""
    source = path or shipped_rules_path()
    issues = Issues()
    document = parse_yaml(str(source), source.read_text(encoding="utf-8"), issues)
    rules = None
    if document is not None:
        rules = validate_model(AffiliateRules, document, str(source), issues, 1, {})
    if issues or rules is None:
        raise IssuesError("affiliate rules", issues)
    return rules
