"""``pasar synth``: generate a synthetic marketplace as Parquet fact tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from pasar.cli.output import console, progress_bar
from pasar.config import get_settings
from pasar.warehouse.synth.generator import SynthResult, generate
from pasar.warehouse.synth.profile import Profile, load_profile


def default_synth_dir() -> Path:
    """Where generated data lands unless ``--out`` says otherwise."""
    return get_settings().home / "landing" / "synth"


def run_generator(profile: Profile, out: Path) -> SynthResult:
    """Generate with a progress bar over the days of the period."""
    with progress_bar(f"Generating '{profile.name}' (seed {profile.seed})", profile.days) as bar:
        task = bar.task_ids[0]
        result = generate(profile, out, lambda done, _total: bar.update(task, completed=done))
    return result


def synth(
    profile: str = typer.Option("default", help="Shipped profile name or path to a YAML profile."),
    seed: int | None = typer.Option(None, help="Random seed (default: the profile's)."),
    out: Path | None = typer.Option(None, help="Output folder (default PASAR_HOME/landing/synth)."),
    days: int | None = typer.Option(None, min=1, help="Override the number of days."),
    start: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Override the first day (YYYY-MM-DD)."
    ),
    orders_per_day: float | None = typer.Option(None, min=1, help="Override base orders/day."),
    sellers: int | None = typer.Option(None, min=1, help="Override the number of sellers."),
    creators: int | None = typer.Option(None, min=1, help="Override the number of creators."),
) -> None:
    """Generate every fact table of a realistic Indonesian marketplace (deterministic per seed)."""
    chosen = load_profile(profile).with_overrides(
        seed=seed,
        days=days,
        start_date=start.date() if start else None,
        orders_per_day=orders_per_day,
        sellers=sellers,
        creators=creators,
    )
    target = out or default_synth_dir()
    result = run_generator(chosen, target)
    console.print(
        f"Wrote {result.rows['orders']:,} orders, {result.rows['order_items']:,} order lines and "
        f"{len(result.rows) - 2} other tables to [bold]{result.out}[/]"
    )
