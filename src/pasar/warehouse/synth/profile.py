"""The synthetic marketplace profile: every parameter of the generator, read from YAML.

Shipped profiles live in ``pasar/catalog/synth/<name>.yml``; a path to any YAML file works too.
The ``expected`` section documents the realism ranges an analyst should see; the tests
measure the generated data against them.

Example:
    >>> p = load_profile("small")
    >>> p.sizes.sellers > 0
    True
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pasar.kit.errors import InputError

Channel = Literal["live", "video", "showcase", "shop"]
Archetype = Literal["reliable", "sloppy", "bad_actor"]
Requester = Literal["buyer", "seller", "creator"]
SupportChannel = Literal["chat", "email", "phone"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sizes(_Strict):
    sellers: int = Field(gt=0)
    creators: int = Field(gt=0)
    orders_per_day: float = Field(gt=0, description="mean orders on an ordinary day at the start")
    buyers_per_order: float = Field(gt=0, le=1, description="distinct buyers / orders")
    products_per_seller: float = Field(gt=0, description="mean listings per seller")


class Category(_Strict):
    key: str
    name: str
    share: float = Field(gt=0, description="share of sellers whose main category this is")
    price_median: float = Field(gt=0, description="median listing price in IDR")
    price_sigma: float = Field(gt=0, description="log-normal spread of prices")
    channel_mix: dict[Channel, float]
    ramadan_boost: float = Field(default=1.0, gt=0)
    keywords: tuple[str, ...] = Field(min_length=1, description="words used in product titles")


class ArchetypeParams(_Strict):
    share: float = Field(ge=0)
    dispatch_hours_median: float = Field(gt=0)
    dispatch_sigma: float = Field(gt=0)
    seller_cancel_rate: float = Field(ge=0, le=1)
    seller_fault_return_rate: float = Field(ge=0, le=1)
    listing_findings_per_product_year: float = Field(ge=0)
    serious_finding_share: float = Field(ge=0, le=1, description="counterfeit/prohibited/IP")
    chat_response_minutes_median: float = Field(gt=0)
    chat_unanswered_rate: float = Field(ge=0, le=1)
    rating_penalty: float = Field(ge=0, description="extra chance of a 1-2 star review")


class Sellers(_Strict):
    gmv_sigma: float = Field(gt=0, description="log-normal spread of seller size")
    archetypes: dict[Archetype, ArchetypeParams]
    linked_group_share: float = Field(ge=0, le=1, description="bad actors sharing an owner_ref")
    mall_share: float = Field(ge=0, le=1)
    new_during_period_share: float = Field(ge=0, le=1)


class Creators(_Strict):
    followers_min: int = Field(gt=0)
    followers_alpha: float = Field(gt=0, description="Pareto tail of follower counts")
    new_during_period_share: float = Field(ge=0, le=1)
    category_focus: float = Field(ge=0, le=1, description="share of sales in own category")
    idle_videos_per_creator_month: float = Field(ge=0)
    idle_lives_per_day_share: float = Field(ge=0, le=1)


class Channels(_Strict):
    affiliate_share: dict[Channel, float]
    live_hours_median: float = Field(gt=0)
    live_click_to_order: float = Field(gt=0, le=1)
    live_view_to_click: float = Field(gt=0, le=1)
    video_view_to_order: float = Field(gt=0, le=1)


class Provider(_Strict):
    name: str
    share: float = Field(gt=0)
    transit_days_median: float = Field(gt=0)
    transit_sigma: float = Field(gt=0)
    failure_rate: float = Field(ge=0, le=1)
    same_island_only: bool = False


class Logistics(_Strict):
    dispatch_sla_hours: float = Field(gt=0)
    outer_island_factor: float = Field(ge=1)
    estimate_buffer: float = Field(ge=1, description="promised days = median × buffer")
    providers: tuple[Provider, ...] = Field(min_length=1)


class Event(_Strict):
    name: str
    start: date
    end: date
    multiplier: float = Field(gt=0)
    ramadan: bool = False
    logistics_slowdown: float = Field(default=1.0, ge=1)


class Seasonality(_Strict):
    weekday: tuple[float, ...] = Field(min_length=7, max_length=7, description="Mon..Sun")
    payday_days: tuple[int, ...]
    payday_multiplier: float = Field(gt=0)
    yearly_growth: float = Field(gt=-1)
    hourly_wib: tuple[float, ...] = Field(min_length=24, max_length=24)
    events: tuple[Event, ...] = ()


class Buyers(_Strict):
    buyer_cancel_rate: float = Field(ge=0, le=1)
    unpaid_rate: float = Field(ge=0, le=1)
    buyer_return_rate: float = Field(ge=0, le=1)
    review_rate: float = Field(ge=0, le=1)
    rating_weights: tuple[float, ...] = Field(min_length=5, max_length=5, description="1..5 stars")
    late_rating_penalty: float = Field(ge=0)
    chats_per_order: float = Field(ge=0)


class Center(_Strict):
    name: str
    share: float = Field(gt=0)
    first_response_minutes_median: float = Field(gt=0)
    resolution_hours_median: float = Field(gt=0)


class Tickets(_Strict):
    per_1000_orders: float = Field(ge=0)
    requester_mix: dict[Requester, float]
    channel_mix: dict[SupportChannel, float]
    centers: tuple[Center, ...] = Field(min_length=1)
    reasons: dict[str, float]
    reopen_rate: float = Field(ge=0, le=1)
    csat_response_rate: float = Field(ge=0, le=1)


class Expected(_Strict):
    """Realism ranges the generated data must fall in (checked by the tests)."""

    top10_seller_gmv_share: tuple[float, float]
    late_dispatch_share: tuple[float, float]
    affiliate_order_share: tuple[float, float]
    late_delivery_share: tuple[float, float]
    seller_fault_cancel_share: tuple[float, float]
    mean_rating: tuple[float, float]
    java_order_share: tuple[float, float]


class Profile(_Strict):
    """All parameters of one synthetic marketplace."""

    name: str
    description: str
    seed: int
    start_date: date
    days: int = Field(gt=0)
    chunk_orders: int = Field(gt=1000, description="orders generated per chunk (bounds memory)")
    sizes: Sizes
    categories: tuple[Category, ...] = Field(min_length=1)
    sellers: Sellers
    creators: Creators
    channels: Channels
    logistics: Logistics
    seasonality: Seasonality
    buyers: Buyers
    tickets: Tickets
    expected: Expected

    @property
    def end_date(self) -> date:
        """The first day after the generated period (exclusive end)."""
        return self.start_date + timedelta(days=self.days)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        keys = [c.key for c in self.categories]
        if len(set(keys)) != len(keys):
            raise ValueError("category keys must be unique")
        if not any(a.share > 0 for a in self.sellers.archetypes.values()):
            raise ValueError("at least one seller archetype needs a share above 0")
        for category in self.categories:
            if sum(category.channel_mix.values()) <= 0:
                raise ValueError(f"category {category.key}: channel_mix sums to 0")
        return self

    def with_overrides(self, **changes: object) -> Profile:
        """A copy with top-level fields or ``sizes`` fields replaced (``orders_per_day=…``)."""
        size_fields = set(Sizes.model_fields)
        sizes = {k: v for k, v in changes.items() if k in size_fields and v is not None}
        top = {k: v for k, v in changes.items() if k not in size_fields and v is not None}
        data = self.model_dump()
        data["sizes"].update(sizes)
        data.update(top)
        return Profile.model_validate(data)


def shipped_profiles() -> list[str]:
    """Names of the profiles shipped with Pasar."""
    folder = resources.files("pasar.catalog") / "synth"
    return sorted(p.name.removesuffix(".yml") for p in folder.iterdir() if p.name.endswith(".yml"))


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(name_or_path)
    if path.suffix in {".yml", ".yaml"} or path.exists():
        if not path.exists():
            raise InputError("profile file not found", file=str(path))
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        if str(name_or_path) not in shipped_profiles():
            raise InputError(
                f"unknown profile {name_or_path!r}; shipped profiles: "
                + ", ".join(shipped_profiles())
            )
        resource = resources.files("pasar.catalog") / "synth" / f"{name_or_path}.yml"
        text, source = resource.read_text(encoding="utf-8"), f"catalog/synth/{name_or_path}.yml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=source) from exc
    if not isinstance(data, dict):
        raise InputError("a profile must be a YAML mapping", file=source)
    return data, source


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by name or any profile YAML by path; errors name the field.

    A profile may say ``extends: other`` to start from another profile's values.
    """
    data, source = _read_yaml(name_or_path)
    seen = {source}
    while "extends" in data:
        reference = Path(str(data.pop("extends")))
        if (
            reference.suffix in {".yml", ".yaml"}
            and not reference.is_absolute()
            and (Path(source).exists())
        ):
            reference = Path(source).parent / reference  # relative to the extending file
        base, base_source = _read_yaml(reference if reference.suffix else str(reference))
        if base_source in seen:
            raise InputError("profiles extend each other in a cycle", file=source)
        seen.add(base_source)
        data = _merge(base, data)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"{first['msg']} ({exc.error_count()} problem(s) in all)", file=source, column=where
        ) from exc
