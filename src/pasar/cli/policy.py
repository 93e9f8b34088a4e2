"""``pasar policy``: check packs, explain a decision, dry-run a pack, backtest a change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.output import check_format, console, last_day, option_date, write_table
from pasar.config import Settings, get_settings
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.metrics import export
from pasar.metrics.catalog import Catalog
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import build_snapshots
from pasar.policy.backtest import Backtest, backtest
from pasar.policy.explain import Explanation, explain_subject
from pasar.policy.findings import findings_on
from pasar.policy.packs import PolicyLibrary, load_library, select

app = typer.Typer(
    help="Policy packs: validate, explain, dry-run and backtest.", no_args_is_help=True
)

_POLICIES = typer.Option(
    None, "--policies", help="Extra policy pack directory (repeatable); after PASAR_POLICY_PATH."
)
_FORMAT = typer.Option("table", "--format", help="table, csv, xlsx or json.")
_OUTPUT = typer.Option(None, "--output", "-o", help="File for csv/xlsx/json.")
_LANG = typer.Option(None, "--lang", help="Language of explanations: en or id (default: locale).")
FORMATS = {"percent": "percent", "money": "money"}


def _library(
    settings: Settings, catalog: Catalog, extra: list[Path] | None, refs: list[str]
) -> PolicyLibrary:
    dirs = [Path(p) for p in settings.policy_path.split(":") if p.strip()] + list(extra or [])
    drafts = [Path(r) for r in refs if r.endswith((".yml", ".yaml")) or "/" in r]
    return load_library(catalog, dirs, drafts)


def _language(lang: str | None, settings: Settings) -> str:
    chosen = lang or settings.locale
    if chosen not in ("en", "id"):
        raise ValidationError(f"--lang {chosen!r}: use en or id", field="lang")
    return chosen


def _as_of(text: str | None, settings: Settings) -> dt.date:
    return option_date(text, "--as-of") or last_day(settings)


@app.command()
def validate(
    files: list[Path] | None = typer.Argument(None, help="Draft pack files to check as well."),
    policies: list[Path] | None = _POLICIES,
) -> None:
    """Check every pack (and the drafts given) against the metric catalog; list every problem
    with its file and line (exit 2)."""
    settings = get_settings()
    library = _library(settings, catalog_for(settings), policies, [str(f) for f in files or []])
    count = sum(len(p.policies) for p in [*library.packs, *library.drafts])
    console.print(
        f"Policies OK: {len(library.packs)} pack versions, {len(library.drafts)} drafts, "
        f"{count} policies"
    )


@app.command("list")
def list_packs(
    pack: str | None = typer.Argument(None, help="Show the policies of this pack (NAME@VERSION)."),
    policies: list[Path] | None = _POLICIES,
) -> None:
    """Every pack version with its dates, or the policies of one pack."""
    settings = get_settings()
    library = _library(settings, catalog_for(settings), policies, [pack] if pack else [])
    if pack is None:
        table = Table(title="Policy packs", title_justify="left")
        for name in ("pack", "region", "entity", "in force", "policies", "description"):
            table.add_column(name, overflow="fold")
        for found in sorted(library.packs, key=lambda p: (p.pack, p.version)):
            until = found.effective_to.isoformat() if found.effective_to else "…"
            table.add_row(
                found.ref,
                found.region,
                found.entity,
                f"{found.effective_from} → {until}",
                str(len(found.policies)),
                escape(found.description),
            )
        console.print(table)
        return
    selection = select(library, pack)
    chosen = selection.fixed or selection.on(dt.date.today()) or library.versions(pack)[-1]
    table = Table(title=f"{chosen.ref}: {escape(chosen.description)}", title_justify="left")
    for name in ("policy", "when", "outcome", "cooldown", "severity", "category"):
        table.add_column(name, overflow="fold")
    for compiled in library.policies(chosen):
        policy = compiled.policy
        table.add_row(
            f"{policy.id} v{policy.version}",
            escape(policy.when),
            _outcome_text(policy.outcome.model_dump(exclude_none=True)),
            policy.cooldown or "—",
            policy.severity,
            policy.category,
        )
    console.print(table)


def _outcome_text(outcome: dict[str, object]) -> str:
    """An outcome as one phrase: ``2–4 points``, ``order_cap for 7 days (0.9)`` …"""
    kind = outcome["kind"]
    if kind == "points":
        top = outcome.get("points_max")
        return f"{outcome['points']}–{top} points" if top else f"{outcome['points']} points"
    if kind == "action":
        days = f" for {outcome['days']} days" if outcome.get("days") else " until lifted"
        value = f" ({outcome['value']})" if outcome.get("value") is not None else ""
        return f"{outcome['action']}{days}{value}"
    if kind == "reward":
        return f"reward {outcome['amount']} as {outcome.get('form') or 'reward'}"
    return {"eligibility": "eligible", "gate": "gate passes"}[str(kind)]


@app.command()
def explain(
    policy: str = typer.Argument(..., help="Policy id."),
    subject: str = typer.Argument(..., help="Subject key (e.g. a seller id)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (default: last day with orders)."),
    pack: str | None = typer.Option(None, "--pack", help="Pack or draft holding the policy."),
    lang: str | None = _LANG,
    policies: list[Path] | None = _POLICIES,
) -> None:
    """Why a policy does or does not fire for one subject on one day: every condition with the
    values it read."""
    settings = get_settings()
    catalog = catalog_for(settings)
    library = _library(settings, catalog, policies, [pack] if pack else [])
    day = _as_of(as_of, settings)
    if pack is not None:
        chosen = select(library, pack).policies_on(day)
        found = next((c for c in chosen if c.policy.id == policy), None)
        if found is None:
            raise NotFoundError(f"policy {policy!r} is not in {pack} on {day}")
    else:
        found = library.find_policy(policy, day)
    build_snapshots(found.entity, [day], settings, catalog)
    result = explain_subject(found, subject, day, settings, catalog)
    _print_explanation(result, _language(lang, settings))


def _print_explanation(result: Explanation, language: str) -> None:
    compiled = result.policy
    policy = compiled.policy
    verdict = "[bold red]fires[/]" if result.fires else "[bold green]does not fire[/]"
    console.print(
        f"[bold]{policy.id}[/] v{policy.version} ({compiled.pack.ref}) for "
        f"{compiled.entity} {escape(result.subject)} as of {result.as_of}: {verdict}"
    )
    console.print(f"when: {escape(policy.when)}")
    table = Table(show_header=True, title_justify="left")
    table.add_column("condition", overflow="fold")
    table.add_column("result")
    for text, value in result.conditions:
        shown = {True: "[red]TRUE[/]", False: "[green]FALSE[/]", None: "NULL"}[value]
        table.add_row(escape(text), shown)
    console.print(table)
    values = Table(title="Values used", title_justify="left")
    values.add_column("column")
    values.add_column("value", justify="right")
    for name, value in result.values.items():
        values.add_row(
            name, "NULL (below minimum volume or no data)" if value is None else str(value)
        )
    console.print(values)
    if result.fires:
        console.print(f"Explanation: {escape(result.explanations[language])}")
        console.print(f"Outcome: {_outcome_text(policy.outcome.model_dump(exclude_none=True))}")
    elif any(value is None for _, value in result.conditions):
        console.print(
            "A condition is NULL (a metric without enough volume): the policy does not fire."
        )


@app.command("dry-run")
def dry_run(
    pack: str = typer.Argument(..., help="NAME (version in force), NAME@VERSION or a draft file."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (default: last day with orders)."),
    lang: str | None = _LANG,
    format_: str = _FORMAT,
    output: Path | None = _OUTPUT,
    limit: int = typer.Option(50, help="Rows shown in the table."),
    policies: list[Path] | None = _POLICIES,
) -> None:
    """Every finding a pack would make on one day, without recording anything."""
    check_format(format_)
    settings = get_settings()
    catalog = catalog_for(settings)
    library = _library(settings, catalog, policies, [pack])
    selection = select(library, pack)
    day = _as_of(as_of, settings)
    applied = selection.on(day)
    if applied is None:
        raise NotFoundError(f"no version of {pack} is in force on {day}")
    findings = findings_on(selection.policies_on(day), day, settings, catalog)
    language = _language(lang, settings)
    title = f"{applied.ref} as of {day}: {findings.num_rows:,} findings"
    if format_ != "table":
        write_table(findings, format_, output, sheets={"findings": findings})
        return
    _print_findings(findings, title, language, limit)


def _print_findings(findings: pa.Table, title: str, language: str, limit: int) -> None:
    subjects = len(set(findings["subject"].to_pylist()))
    table = Table(title=f"{title} ({subjects:,} subjects)", title_justify="left")
    for name in ("subject", "policy", "outcome", "explanation"):
        table.add_column(name, overflow="fold")
    for row in findings.slice(0, limit).to_pylist():
        outcome = {
            "points": f"{row['points']} points",
            "action": f"{row['action']} {row['action_days'] or ''}d".strip(),
            "reward": f"{row['reward_form'] or 'reward'} {row['reward']:,.0f}"
            if row["reward"] is not None
            else "reward",
        }.get(row["kind"], row["kind"])
        table.add_row(
            row["subject"],
            f"{row['policy_id']} v{row['policy_version']}",
            outcome,
            escape(row[f"explanation_{language}"]),
        )
    console.print(table)
    if findings.num_rows > limit:
        console.print(f"… {findings.num_rows - limit:,} more (use --format csv or xlsx for all)")


@app.command("backtest")
def backtest_command(
    pack: str = typer.Argument(..., help="NAME (version in force), NAME@VERSION or a draft file."),
    start: str = typer.Option(..., "--from", help="First day replayed."),
    end: str = typer.Option(..., "--to", help="Last day replayed."),
    against: str | None = typer.Option(
        None, "--against", help="Another pack or draft to compare with, subject by subject."
    ),
    format_: str = _FORMAT,
    output: Path | None = _OUTPUT,
    chart: Path | None = typer.Option(None, help="Draw subjects hit per day (.svg or .png)."),
    detail: str = typer.Option(
        "days", help="What csv/json write: days, subjects or findings (xlsx writes all three)."
    ),
    policies: list[Path] | None = _POLICIES,
) -> None:
    """Replay a pack day by day over past data: subjects hit, points, actions, rewards and
    their cost, and the difference against another pack."""
    check_format(format_)
    if detail not in ("days", "subjects", "findings"):
        raise ValidationError(f"--detail {detail!r}: use days, subjects or findings")
    first, last = option_date(start, "--from"), option_date(end, "--to")
    assert first is not None and last is not None
    settings = get_settings()
    catalog = catalog_for(settings)
    library = _library(settings, catalog, policies, [pack, *([against] if against else [])])
    result = backtest(
        select(library, pack),
        first,
        last,
        settings,
        catalog,
        against=select(library, against) if against else None,
    )
    if chart is not None:
        _chart(result, chart)
        console.print(f"Chart written to {escape(str(chart))}")
    sheets = {
        "days": result.days,
        "subjects": result.subjects,
        "findings": result.main.findings,
    }
    if result.other is not None:
        sheets["other findings"] = result.other.findings
    if format_ != "table":
        money = {"reward_cost": "money", "other_reward_cost": "money"}
        write_table(sheets[detail], format_, output, money, sheets)
        return
    _print_backtest(result, settings.currency)


def _chart(result: Backtest, path: Path) -> None:
    columns = {"period": result.days["day"], result.main.label: result.days["subjects_hit"]}
    if result.other is not None:
        columns[f"{result.other.label} "] = result.days["other_subjects_hit"]
    table = pa.table(columns)
    metrics = [c for c in table.column_names if c != "period"]
    title = f"Subjects hit per day, {result.start} → {result.end}"
    export.chart(table, metrics, path, title)


def _print_backtest(result: Backtest, currency: str) -> None:
    other = result.other
    title = f"Backtest {result.main.label} {result.start} → {result.end}"
    if other is not None:
        title += f" against {other.label}"
    days = Table(title=title, title_justify="left")
    sides = [("", "A")] + ([("other_", "B")] if other else [])
    days.add_column("day")
    for _, label in sides:
        for name in ("hit", "points", "actions", "cost"):
            days.add_column(f"{name} {label}" if other else name, justify="right")
    for row in result.days.to_pylist():
        cells = [str(row["day"])]
        for prefix, _ in sides:
            cells += [
                f"{row[prefix + 'subjects_hit']:,}",
                f"{int(row[prefix + 'points']):,}",
                f"{row[prefix + 'actions']:,}",
                export.show_value(row[prefix + "reward_cost"], "money", currency),
            ]
        days.add_row(*cells)
    totals = ["total"]
    for prefix, _ in sides:
        column = result.days.column
        totals += [
            f"{len(set(_subjects(result, prefix))):,} subj.",
            f"{int(sum(v or 0 for v in column(prefix + 'points').to_pylist())):,}",
            f"{sum(column(prefix + 'actions').to_pylist()):,}",
            export.show_value(
                sum(float(v or 0) for v in column(prefix + "reward_cost").to_pylist()),
                "money",
                currency,
            ),
        ]
    days.add_row(*totals, style="bold")
    console.print(days)
    legend = f"hit: subjects with a finding that day; A = {escape(result.main.label)}"
    console.print(legend + (f", B = {escape(other.label)}" if other else ""))
    if other is None:
        return
    changes: dict[str, int] = {}
    for change in result.subjects["change"].to_pylist():
        changes[change] = changes.get(change, 0) + 1
    console.print(
        "Subjects: "
        + ", ".join(f"{count:,} {change}" for change, count in sorted(changes.items()))
        + " ('only in pack' = only A, 'only in other' = only B)"
    )
    diff = Table(title="Largest differences", title_justify="left")
    for name in ("subject", "change", "points A", "points B", "policies A", "policies B"):
        diff.add_column(name, overflow="fold")
    for row in result.subjects.slice(0, 15).to_pylist():
        if row["change"] == "same":
            break
        diff.add_row(
            row["subject"],
            row["change"],
            str(int(row["points"] or 0)),
            str(int(row["other_points"] or 0)),
            row["policies"] or "—",
            row["other_policies"] or "—",
        )
    console.print(diff)


def _subjects(result: Backtest, prefix: str) -> list[str]:
    replay = result.other if prefix else result.main
    assert replay is not None
    entities = replay.findings["entity"].to_pylist()
    return [
        f"{e}:{s}" for e, s in zip(entities, replay.findings["subject"].to_pylist(), strict=True)
    ]
