"""``pasar creators target`` and ``pasar creators allocate``: a seller's creator GMV target
(forecast, 80% range, its components, the chance of a typed target) and whom to fund with a
budget (the optimiser's plan beside the greedy ranking's)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.output import console
from pasar.config import get_settings
from pasar.creators.allocation import (
    Allocation,
    Constraints,
    Plan,
    allocate,
    parse_caps,
    read_candidates,
)
from pasar.creators.target_service import propose_target
from pasar.creators.targets import Component, TargetForecast
from pasar.kit.errors import InputError, ValidationError
from pasar.kit.money import format_money


def _money(amount: float | Decimal) -> str:
    settings = get_settings()
    return format_money(Decimal(str(round(float(amount)))), settings.currency, settings.locale)


def component_text(component: Component) -> str:
    """A component's value as it reads (money, orders, percent …)."""
    value = component.value
    if component.unit == "money":
        return _money(value)
    if component.unit == "percent":
        return f"{value:.1%}"
    if component.unit == "orders":
        return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:,.2f}"
    return f"{value:,.1f}"


def _forecast_table(forecast: TargetForecast) -> Table:
    last = forecast.end - dt.timedelta(days=1)
    title = f"Creator GMV target · {', '.join(forecast.subject)} · {forecast.start} to {last}"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("Forecast (expected)", _money(forecast.point))
    table.add_row("80% range", f"{_money(forecast.low)} – {_money(forecast.high)}")
    table.add_row("Proposed target (50% chance)", _money(forecast.proposed))
    table.add_row("Stretch target (25% chance)", _money(forecast.stretch))
    table.add_row("Data up to", str(forecast.cutoff - dt.timedelta(days=1)))
    return table


def _components_table(title: str, rows: tuple[Component, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("component", style="bold")
    table.add_column("value", justify="right")
    table.add_column("how")
    for row in rows:
        table.add_row(escape(row.name), component_text(row), escape(row.detail))
    return table


def target_command(
    seller: list[str] = typer.Option(
        ..., "--seller", help="Seller id; repeat for a campaign over several shops."
    ),
    period: str | None = typer.Option(
        None, "--period", help="A month (2026-12) or days (2026-12-01..2026-12-15)."
    ),
    target: float | None = typer.Option(None, "--target", help="A target to assess, in IDR."),
    contacts: int | None = typer.Option(
        None,
        "--contacts",
        help="Creators contacted in the last 84 days (default: counted in the seller's "
        "pitching pipeline).",
    ),
    agreements: int | None = typer.Option(
        None,
        "--agreements",
        help="Creators who agreed in the last 84 days (default: counted in the pipeline).",
    ),
) -> None:
    """Forecast a seller's creator GMV for a period with an 80% range, show how it was made,
    and how likely a target is."""
    report = propose_target(
        get_settings(), seller, period, target, contacts=contacts, agreements=agreements
    )
    forecast = report.forecast
    console.print(_forecast_table(forecast))
    console.print(_components_table("How the forecast is made", forecast.components))
    if forecast.effects:
        console.print(
            _components_table("Calendar effects in the period (GMV each adds)", forecast.effects)
        )
    for note in forecast.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if report.assessment is not None:
        assessment = report.assessment
        console.print(
            f"Target {_money(assessment.target)}: [bold]{assessment.verdict}[/] — "
            f"{assessment.probability:.0%} chance of reaching it."
        )
        if assessment.funnel:
            table = Table(title="The funnel the target needs", title_justify="left")
            recent = f"last {forecast.funnel.days} days" if forecast.funnel else "recently"
            for column in ("stage", recent, "period at that pace", "target needs"):
                table.add_column(column, justify="left" if column == "stage" else "right")
            for step in assessment.funnel:
                money = step.stage == "Creator GMV"
                table.add_row(
                    step.stage,
                    *(
                        "—" if v is None else _money(v) if money else f"{v:,.0f}"
                        for v in (step.recent, step.at_recent_pace, step.needed)
                    ),
                )
            console.print(table)


def _amount(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise ValidationError(f"{option} {text!r} is not a number", field=option) from None
    if not value.is_finite():
        raise ValidationError(f"{option} {text!r} is not a number", field=option)
    return value


@contextmanager
def _solver_quiet() -> Iterator[None]:
    """Keep the debugging line HiGHS (scipy's MILP solver) writes on the process's standard
    output out of the command's output (a command is single-threaded: nothing else is lost)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _plan_table(plan: Plan) -> Table:
    table = Table(title=f"Funded by the {plan.method}", title_justify="left")
    for column in ("creator", "category", "new", "cost", "predicted return", "return / cost"):
        table.add_column(
            column, justify="right" if column not in ("creator", "category") else "left"
        )
    for c in sorted(plan.chosen, key=lambda c: (-c.ratio, c.creator_id)):
        table.add_row(
            escape(c.creator_id),
            escape(c.category),
            "yes" if c.is_new else "",
            _money(c.cost),
            _money(c.predicted_return),
            f"{c.ratio:.2f}",
        )
    return table


def _summary(result: Allocation) -> Table:
    table = Table(title="Optimiser vs greedy ranking", title_justify="left")
    table.add_column("", style="bold")
    table.add_column("optimiser", justify="right")
    table.add_column("greedy", justify="right")
    greedy = result.greedy
    rows = [
        ("Predicted return", result.optimiser.value, greedy.value),
        ("Spent", result.optimiser.spend, greedy.spend),
        ("To new creators", result.optimiser.new_spend, greedy.new_spend),
    ]
    for label, ours, theirs in rows:
        table.add_row(label, _money(ours), _money(theirs) if greedy.feasible else "—")
    table.add_row(
        "Creators funded (new)",
        f"{len(result.optimiser.chosen)} ({result.optimiser.new_count})",
        f"{len(greedy.chosen)} ({greedy.new_count})" if greedy.feasible else "—",
    )
    return table


def allocate_command(
    candidates: Path = typer.Argument(
        ...,
        help="CSV with creator_id, category, is_new, cost, predicted_return.",
        exists=False,
    ),
    budget: str = typer.Option(..., "--budget", help="The money to spend, in IDR."),
    category_cap: list[str] = typer.Option(
        [], "--category-cap", help="category=amount: the most for one category (repeatable)."
    ),
    new_share: float = typer.Option(
        0.0, "--new-share", help="Least share of the budget for new creators (0.2 = 20%)."
    ),
    new_count: int = typer.Option(0, "--new-count", help="Least number of new creators."),
) -> None:
    """Choose whom to fund under the budget, category caps and new-creator minimum (exact
    optimiser), and compare with ranking by return per rupiah."""
    if not candidates.is_file():
        raise InputError("file not found", file=str(candidates))
    try:
        text = candidates.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(candidates)) from exc
    people = read_candidates(text, candidates.name)
    share = _amount(str(new_share), "--new-share")
    rules = Constraints(_amount(budget, "--budget"), parse_caps(category_cap), share, new_count)
    with _solver_quiet():
        result = allocate(people, rules)
    console.print(_plan_table(result.optimiser))
    console.print(_summary(result))
    if result.greedy.feasible:
        gain = result.gain or Decimal(0)
        console.print(
            f"The optimiser returns {_money(gain)} more than the greedy ranking"
            + (f" (+{gain / result.greedy.value:.1%})." if result.greedy.value else ".")
        )
    else:
        console.print(f"[yellow]greedy:[/] {escape(result.greedy.reason)}")
