"""``pasar incentives``: LIVE merchant incentives — segments, program templates and programs,
enrolment, cost simulation and backtest, payouts (files, replays, clawbacks), the budget
optimiser and measurement."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from pasar.cli.governance import _store
from pasar.cli.output import console, option_date
from pasar.config import get_settings
from pasar.incentives import experiments, optimiser, payouts, service, simulation
from pasar.incentives.programs import CompiledProgram
from pasar.incentives.segmentation import month_before, movement, population
from pasar.kit.errors import ValidationError
from pasar.kit.money import format_money

app = typer.Typer(help="LIVE merchant incentives.", no_args_is_help=True)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence what the solver's C code prints on standard output (HiGHS debug lines)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def _context() -> Iterator[tuple[service.Context, Session]]:
    with _store() as session:
        yield service.Context.of(get_settings()), session


def _money(value: Any) -> str:
    return format_money(value, get_settings().currency, get_settings().locale)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _number(value: float | None, decimals: int = 0) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


def _program(ctx: service.Context, session: Session, name: str) -> CompiledProgram:
    """A stored program by key, a shipped template by name, or a YAML file by path."""
    if name.endswith((".yml", ".yaml")) or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise ValidationError(f"{name}: no such program file", field="program")
        return ctx.check(path.read_text(encoding="utf-8"), str(path))
    if name in ctx.templates.templates:
        return ctx.templates.template(name)
    return service.compiled_of(ctx, service.get_program(session, name))


# -- segments and programs ---------------------------------------------------------------------


@app.command("segments")
def segments_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: the last with data)."),
) -> None:
    """Shops by tier × LIVE lifecycle stage, their supply and conversion, and the movement
    between stages since a month before."""
    ctx = service.Context.of(get_settings())
    con = ctx.connect()
    day = option_date(as_of, "--as-of") or ctx.last_day(con)
    now = service.segments_on(ctx, day, con)
    table = Table(title=f"Merchant segments as of {day}", title_justify="left")
    for name in ("tier", "stage", "shops", "LIVE shops", "valid sessions", "per shop", "hours",
                 "LIVE GMV", "GPM", "click→order"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("tier", "stage") else "right")
    for row in population(now):
        table.add_row(
            row["tier"], row["stage"], f"{row['shops']:,}", f"{row['live_shops']:,}",
            f"{row['valid_sessions']:,}", _number(row["sessions_per_shop"], 1),
            _number(row["hours"], 1), _money(row["gmv"]), _money(row["gpm"] or 0),
            _share(row["click_to_order"]),
        )  # fmt: skip
    console.print(table)
    before = service.segments_on(ctx, month_before(day), con)
    moves = Table(title=f"Stage movement {month_before(day)} → {day}", title_justify="left")
    stages = ["onboarding", "retention", "growth", "scaling"]
    for name in ("from", *stages, "stayed"):
        moves.add_column(name, justify="left" if name == "from" else "right")
    for row in movement(before, now):
        moves.add_row(row["from"], *(f"{row[s]:,}" for s in stages), _share(row["stayed"]))
    console.print(moves)


@app.command("templates")
def templates_command() -> None:
    """The program templates shipped with Pasar."""
    ctx = service.Context.of(get_settings())
    table = Table(title="Program templates", title_justify="left")
    table.add_column("template", no_wrap=True)  # a key to type, never broken across lines
    for name in ("name", "target", "schedule", "reward", "period"):
        table.add_column(name)
    for key, c in sorted(ctx.templates.templates.items()):
        p = c.program
        table.add_row(key, p.name, p.target.metric, p.schedule.kind, p.reward.form, p.period.every)
    console.print(table)


@app.command("check")
def check_command(path: Path = typer.Argument(..., help="A program YAML file.")) -> None:
    """Check a program file: every problem with its line."""
    ctx = service.Context.of(get_settings())
    compiled = ctx.check(path.read_text(encoding="utf-8"), str(path))
    console.print(f"{escape(str(path))}: {compiled.program.ref} is valid.")


@app.command("programs")
def programs_command() -> None:
    """The stored programs."""
    with _context() as (_ctx, session):
        table = Table(title="Incentive programs", title_justify="left")
        for name in ("program", "name", "status", "template", "version"):
            table.add_column(name)
        for row in service.list_programs(session):
            table.add_row(row.key, row.name, row.status, row.template or "—", str(row.version))
    console.print(table)


@app.command("create")
def create_command(
    key: str = typer.Argument(..., help="The new program's name (lower-case words)."),
    template: str | None = typer.Option(None, "--template", help="Copy this template."),
    file: Path | None = typer.Option(None, "--file", help="Or read this YAML file."),
) -> None:
    """Store a new draft program from a template or a file."""
    with _context() as (ctx, session):
        if file is not None:
            row = service.create_program(session, ctx, file.read_text(encoding="utf-8"), "cli")
            if row.key != key:
                raise ValidationError(f"{file} names the program {row.key!r}, not {key!r}")
        elif template is not None:
            row = service.create_from_template(session, ctx, template, key, "cli")
        else:
            raise ValidationError("give --template NAME or --file PATH")
        console.print(f"Program {row.key} created (draft, version {row.version}).")


@app.command("show")
def show_command(key: str = typer.Argument(...)) -> None:
    """A stored program's YAML, status and version."""
    with _context() as (_ctx, session):
        row = service.get_program(session, key)
        console.print(f"# {row.key}: {row.status}, version {row.version}", highlight=False)
        typer.echo(row.source)


@app.command("edit")
def edit_command(
    key: str = typer.Argument(...),
    file: Path = typer.Option(..., "--file", help="The new YAML."),
    version: int = typer.Option(..., "--version", help="The version you edited."),
) -> None:
    """Save new YAML for a program (refused when someone saved since your version)."""
    with _context() as (ctx, session):
        row = service.update_program(
            session, ctx, key, file.read_text(encoding="utf-8"), version, "cli"
        )
        console.print(f"Program {row.key} saved (version {row.version}).")


@app.command("status")
def status_command(
    key: str = typer.Argument(...),
    status: str = typer.Argument(..., help="draft, active or closed."),
    version: int | None = typer.Option(None, "--version", help="Default: the current one."),
) -> None:
    """Activate, close or return a program to draft."""
    with _context() as (_ctx, session):
        row = service.get_program(session, key)
        row = service.set_status(session, key, status, version or row.version, "cli")
        console.print(f"Program {row.key} is {row.status}.")


@app.command("enrol")
def enrol_command(
    key: str = typer.Argument(...),
    on: str | None = typer.Option(None, "--on", help="Day (default: the last with data)."),
) -> None:
    """Enrol the shops eligible on a day: segment frozen, holdout drawn."""
    with _context() as (ctx, session):
        con = ctx.connect()
        day = option_date(on, "--on") or ctx.last_day(con)
        report = service.enrol(session, ctx, key, day, "cli", con)
    tiers = ", ".join(f"{t}: {n:,}" for t, n in sorted(report.by_tier.items()))
    console.print(
        f"{report.program} on {report.day}: {report.eligible:,} eligible of "
        f"{report.considered:,}; {report.enrolled:,} enrolled ({report.holdout:,} in the "
        f"holdout; {tiers or 'none'}), {report.already:,} already enrolled."
    )


# -- simulation, backtest, optimiser ----------------------------------------------------------


@app.command("simulate")
def simulate_command(
    program: str = typer.Argument(..., help="A stored program, a template or a YAML file."),
    uplift: float = typer.Option(0.10, help="Expected growth of activity under the program."),
    sd: float = typer.Option(0.05, help="Its spread between merchants."),
    draws: int = typer.Option(2000, help="Simulated periods."),
    periods: int = typer.Option(6, help="Past periods each merchant draws from."),
    seed: int = typer.Option(0),
) -> None:
    """The Monte-Carlo cost of a program for the shops a launch now would pay, and its
    sensitivity to the uplift."""
    with _context() as (ctx, session):
        compiled = _program(ctx, session, program)
    con = ctx.connect()
    who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
    past = simulation.history(ctx, con, compiled, who, periods)
    result = simulation.simulate(
        compiled.program, past, simulation.Response(uplift, sd), draws, seed
    )
    console.print(
        f"{compiled.program.ref}: {len(who.sellers):,} merchants, history "
        f"{past.windows[0].label} … {past.windows[-1].label}, {draws:,} draws, uplift "
        f"{uplift:.0%} ± {sd:.0%}"
    )
    summary = Table(show_header=False, title="Cost of one period", title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value", justify="right")
    rows = [
        ("expected cost", _money(result.expected)),
        ("P50 / P95", f"{_money(result.p50)} / {_money(result.p95)}"),
        ("budget", _money(result.budget) if result.budget else "—"),
        ("chance of exceeding it", _share(result.p_over_budget)),
        ("expected realised cost", _money(result.realised)),
        ("incremental valid sessions", _number(result.incremental_sessions, 1)),
        ("incremental LIVE GMV", _money(result.incremental_gmv)),
        ("cost per incremental session", _money(result.cost_per_session or 0)),
        ("cost per rupiah of incremental GMV", _number(result.cost_per_gmv, 3)),
        ("merchants paid", _share(result.paid_share)),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    curve = Table(title="Sensitivity to the uplift", title_justify="left")
    for name in ("uplift", "expected", "P95", "P(over budget)", "cost per session"):
        curve.add_column(name, justify="right")
    for row in simulation.sensitivity(compiled.program, past, sd=sd, draws=min(draws, 1000),
                                      seed=seed):  # fmt: skip
        curve.add_row(
            f"{row['uplift']:.0%}", _money(row["expected"]), _money(row["p95"]),
            _share(row["p_over_budget"]), _money(row["cost_per_session"] or 0),
        )  # fmt: skip
    console.print(curve)


@app.command("backtest")
def backtest_command(
    program: str = typer.Argument(..., help="A stored program, a template or a YAML file."),
    period: str | None = typer.Option(None, help="Default: the last complete period."),
) -> None:
    """What the program would have paid on a past period, exactly (nothing is stored)."""
    with _context() as (ctx, session):
        compiled = _program(ctx, session, program)
    con = ctx.connect()
    window = payouts.period_window(compiled, period) if period else None
    result = simulation.backtest(ctx, con, compiled, window)
    statuses: dict[str, int] = {}
    for status in result.status:
        statuses[status] = statuses.get(status, 0) + 1
    console.print(
        f"{compiled.program.ref} on {result.window.label}: {len(result.sellers):,} merchants, "
        f"{_money(result.total)} to {statuses.get('paid', 0):,} of them ("
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))
        + ")."
    )


@app.command("optimise")
def optimise_command(
    program: str = typer.Argument(..., help="A stored program, a template or a YAML file."),
    budget: float | None = typer.Option(None, help="Default: the program's budget."),
    levels: str = typer.Option("0.5,1,1.5", help="Offer levels (multiples of the rewards)."),
    min_share: list[str] = typer.Option([], "--min-share", help="tier=share, e.g. long_tail=0.3"),
    uplift: float = typer.Option(0.10),
    draws: int = typer.Option(300),
) -> None:
    """One offer level per merchant under a budget (knapsack with minimum tier shares),
    compared with the greedy rule and the LP bound."""
    with _context() as (ctx, session):
        compiled = _program(ctx, session, program)
    con = ctx.connect()
    who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
    past = simulation.history(ctx, con, compiled, who)
    steps = [float(v) for v in levels.split(",") if v.strip()]
    table = optimiser.offers(compiled.program, past, simulation.Response(uplift, 0.05), steps,
                             draws=draws)  # fmt: skip
    shares = {}
    for item in min_share:
        tier, _, share = item.partition("=")
        shares[tier.strip()] = float(share)
    chosen = budget or float(compiled.program.budget or 0) or float(table.cost[:, -1].sum() / 2)
    with _quiet():
        best = optimiser.solve(table.value, table.cost, chosen, who.tiers, shares)
        rule = optimiser.greedy(table.value, table.cost, chosen, who.tiers, shares)
        bound = optimiser.lp_bound(table.value, table.cost, chosen, who.tiers, shares)
    out = Table(title=f"Budget {_money(chosen)}, levels {steps}", title_justify="left")
    for name in ("method", "incremental GMV", "cost", "offered", "constraints hold", "seconds"):
        out.add_column(name, justify="left" if name == "method" else "right")
    for found in (best, rule):
        out.add_row(
            found.method, _money(found.value), _money(found.cost),
            f"{int((found.choice > 0).sum()):,}", "yes" if found.feasible else "no",
            f"{found.seconds:.2f}",
        )  # fmt: skip
    console.print(out)
    gap = (bound - best.value) / bound if bound else 0.0
    console.print(f"LP bound {_money(bound)}; the optimiser is within {gap:.3%} of it.")


# -- payouts ----------------------------------------------------------------------------------


def _period(ctx: service.Context, session: Session, key: str, period: str | None) -> str:
    if period:
        return period
    compiled = service.compiled_of(ctx, service.get_program(session, key))
    window = payouts.last_complete(compiled, ctx.last_day(ctx.connect()))
    if window is None:
        raise ValidationError("no period of the program is complete yet")
    return window.label


@app.command("pay")
def pay_command(
    key: str = typer.Argument(...),
    period: str | None = typer.Option(None, help="Default: the last complete period."),
) -> None:
    """Compute and store a period's payout (a period paid before is shown, not paid again)."""
    with _context() as (ctx, session):
        run = payouts.run_payout(session, ctx, key, _period(ctx, session, key, period), "cli")
        _print_run(run)


@app.command("clawback")
def clawback_command(
    key: str = typer.Argument(...),
    period: str = typer.Option(..., help="A paid period."),
) -> None:
    """Check a paid period with the returns known at the end of its clawback window."""
    with _context() as (ctx, session):
        _print_run(payouts.run_clawback(session, ctx, key, period, "cli"))


def _print_run(run: Any) -> None:
    console.print(
        f"Run {run.id} ({run.kind}) {run.period}: {run.merchants:,} merchants, "
        f"{run.paid_merchants:,} paid {_money(run.total)} (before caps {_money(run.gross)}; "
        f"realised cost {_money(run.realised_cost)}; clawed back {_money(run.clawback)}); "
        f"pay on {run.pay_on}; lines {run.lines_digest[:12]}."
    )


@app.command("lines")
def lines_command(
    run_id: int = typer.Argument(...),
    seller: str | None = typer.Option(None, help="One merchant."),
    lang: str = typer.Option("en", help="en or id."),
    limit: int = typer.Option(50),
) -> None:
    """A run's lines with each merchant's explanation."""
    with _context() as (_ctx, session):
        lines = payouts.lines_of(session, run_id, [seller] if seller else None)
        for line in lines[:limit]:
            text = line.explanation_id if lang == "id" else line.explanation_en
            console.print(
                f"{line.seller_id} [{line.tier}/{line.stage}] {line.status} "
                f"{_money(line.amount)}: {escape(text)}",
                highlight=False,
            )


@app.command("replay")
def replay_command(run_id: int = typer.Argument(...)) -> None:
    """Compute a stored run again and compare every line."""
    with _context() as (ctx, session):
        result = payouts.replay(session, ctx, run_id)
    verdict = "identical" if result.identical else f"{len(result.differences)} lines differ"
    note = " (the warehouse changed since)" if result.warehouse_changed else ""
    console.print(f"Run {run_id} replayed: {verdict}{note}; digest {result.replayed_digest[:12]}.")
    if not result.identical:
        raise typer.Exit(1)


@app.command("file")
def file_command(
    run_id: int = typer.Argument(...),
    format_: str = typer.Option("csv", "--format", help="csv or xlsx."),
    output: Path | None = typer.Option(None, "--output", help="Default: the file's own name."),
) -> None:
    """Write a run's payout file."""
    with _context() as (_ctx, session):
        body, _media, name = payouts.payout_file(session, run_id, format_)
    path = output or Path(name)
    path.write_bytes(body)
    console.print(f"Payout file written to {escape(str(path))}")


# -- measurement --------------------------------------------------------------------------------


@app.command("measure")
def measure_command(
    key: str = typer.Argument(...),
    period: str = typer.Option(..., help="A complete period."),
    save: bool = typer.Option(False, "--save", help="Keep the report as an experiment."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """The program's effect over a period: holdout comparison per tier and stage, or
    difference-in-differences without a holdout."""
    with _context() as (ctx, session):
        report = experiments.measure_program(session, ctx, key, period)
        if save:
            saved = experiments.save(session, ctx, report, "cli")
            console.print(f"Kept as experiment {saved.id}.")
    if as_json:
        typer.echo(json.dumps(experiments._json(report.body), indent=2, default=str))
        return
    console.print(f"{key} {report.window.label} against {report.before.label}: {report.design}")
    if report.design == "did":
        for metric, result in report.body["did"].items():
            console.print(
                f"  {metric}: {result['effect']:,.2f} "
                f"[{result['ci_low']:,.2f}, {result['ci_high']:,.2f}] p={result['p_value']:.3f}"
            )
        return
    srm = report.body["srm"]
    console.print(
        f"  arms {srm['counts']}, SRM p={srm['p_value']:.3f}"
        + (" — MISMATCH: check the assignment" if srm["mismatch"] else "")
    )
    table = Table()
    for name in ("segment", "metric", "n (c/t)", "effect", "95% CI", "relative", "P(win)"):
        table.add_column(name, justify="left" if name in ("segment", "metric") else "right")
    for row in report.body["results"]:
        result = row.get("cuped") or row["absolute"]
        relative = row.get("cuped_relative") or row["relative"]
        ci = f"[{_number(result['ci_low'], 2)}, {_number(result['ci_high'], 2)}]"
        table.add_row(
            row["segment"], row["metric"] + (" (CUPED)" if "cuped" in row else ""),
            f"{row['n_control']}/{row['n_treatment']}", _number(result["effect"], 2), ci,
            _share(relative["effect"]), _share(row["chance_to_win"]),
        )  # fmt: skip
    console.print(table)
