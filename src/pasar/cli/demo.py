"""``pasar demo``: the whole product on embedded defaults, from nothing to a summary."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import func, select

from pasar.auth.models import User
from pasar.auth.service import create_user
from pasar.cli.db import upgrade_store
from pasar.cli.ingest import print_report
from pasar.cli.output import console, summary_table
from pasar.cli.serve import serve
from pasar.cli.synth import default_synth_dir, run_generator
from pasar.config import Settings, get_settings
from pasar.creators.assignments import assign
from pasar.creators.demo import seed_demo as seed_creators
from pasar.creators.profiles import find_creators
from pasar.governance import appeals
from pasar.governance.ledger import balances
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.pipeline import latest_run_day, run_days
from pasar.governance.report import write_report
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.incentives.demo import seed_demo as seed_incentives
from pasar.kit.db import Database
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.export import show_value
from pasar.metrics.query import catalog_for, latest_day
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.policy.findings import findings_on
from pasar.policy.packs import load_library
from pasar.readiness.demo import seed_demo as seed_readiness
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.summary import summarise
from pasar.warehouse.synth.generator import profile_fingerprint, read_manifest
from pasar.warehouse.synth.profile import load_profile


def demo(
    profile: str = typer.Option("default", help="Synthetic marketplace profile."),
    fresh: bool = typer.Option(False, "--fresh", help="Regenerate even if data exists."),
    serve_console: bool = typer.Option(
        True, "--serve/--no-serve", help="End by serving the console (Ctrl+C stops)."
    ),
    port: int = typer.Option(8000, help="Port of the console."),
) -> None:
    """Generate the default marketplace, ingest it, migrate the store, build snapshots, run the
    policies and the governance pipeline, create demo users, and serve the console."""
    settings = get_settings()
    chosen = load_profile(profile)
    target = default_synth_dir()
    manifest = read_manifest(target)
    if fresh or manifest is None or manifest.get("fingerprint") != profile_fingerprint(chosen):
        run_generator(chosen, target)
    else:
        console.print(
            f"Marketplace '{chosen.name}' already generated in {target} — reusing it "
            "(--fresh regenerates)."
        )
    report = ingest(IngestRequest([target], source="generic"), settings)
    if report.status == "unchanged":
        console.print(f"Warehouse already holds this marketplace (batch {report.previous_batch}).")
    else:
        print_report(report)
    _before, after = upgrade_store()
    console.print(f"Operational store at revision {after} ({settings.database_url}).")
    warehouse = Warehouse(settings.warehouse_dir)
    console.print(summary_table(summarise(warehouse, settings.timezone), settings))
    day = _snapshots(settings, warehouse)
    _policies(settings, day)
    _governance(settings, day)
    _demo_appeals(settings, day)
    _demo_users(settings)
    _module_demos(settings, day)
    if serve_console:
        serve(host="127.0.0.1", port=port, workers=1)


DEMO_USERS = {  # username → role (passwords: "demo-<username>-2026")
    "admin": "admin",
    "analyst": "analyst",
    "reviewer": "governance_reviewer",
    "creator-manager": "creator_manager",
    "agent": "agent",
    "live-ops": "live_ops",
    "program-manager": "program_manager",
    "seller": "seller",
    "creator": "creator",
}
AGENT_CREATORS = 25  # the demo agent looks after the most followed creators


def _demo_users(settings: Settings) -> None:
    """One user per role: the seller is the shop with most points, the creator the most
    followed creator, and the agent looks after the most followed creators."""
    db = Database(settings.database_url)
    creators = [c["creator_id"] for c in find_creators(settings, None)[:AGENT_CREATORS]]
    try:
        with db.unit_of_work() as session:
            day = latest_run_day(session)
            points = balances(session, day) if day else {}
            shop = max(points, key=lambda s: points[s]) if points else None
            creator = creators[0] if creators else None
            for username, role in DEMO_USERS.items():
                if (role == "seller" and shop is None) or (role == "creator" and creator is None):
                    continue
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    user = create_user(
                        session,
                        username,
                        username.replace("-", " ").title(),
                        role,
                        f"demo-{username}-2026",
                        seller_id=shop if role == "seller" else None,
                        creator_id=creator if role == "creator" else None,
                        actor="demo",
                    )
                if role == "agent" and creators:
                    assign(session, user, creators, day or dt.date.today(), "demo")
    finally:
        db.dispose()
    console.print("Demo sign-ins (username / password):")
    for username, role in DEMO_USERS.items():
        console.print(f"  {username:<16} demo-{username}-2026   ({role})")


def _module_demos(settings: Settings, last: dt.date) -> None:
    """Demo content of creator collaboration (dated around today, so deadlines are live),
    LIVE incentives (paid for the last complete month of data) and launch readiness."""
    db = Database(settings.database_url)
    today = dt.date.today()
    try:
        with db.unit_of_work() as session:
            outreach = seed_creators(session, settings, today)
        console.print(f"Creator collaboration: {outreach} (/outreach, /samples, /creator-issues).")
        with db.unit_of_work() as session:
            done = seed_incentives(session, settings, last)
        console.print(
            f"LIVE incentives: {done.program}, {done.enrolled:,} shops enrolled "
            f"({done.holdout:,} held out); {done.period} paid {done.total:,.0f} to "
            f"{done.paid_merchants:,} (run {done.run_id}; /incentives)."
        )
        with db.unit_of_work() as session:
            program = seed_readiness(session, settings, today)
            console.print(f"Launch readiness: program {program.name!r} (/readiness).")
    finally:
        db.dispose()


DEMO_APPEALS = 6  # sellers who appealed their last violation the day after it


def _demo_appeals(settings: Settings, last: dt.date) -> None:
    """A few sellers appeal their latest violation, so reviewers have appeals to decide."""
    scheme = scheme_on(load_schemes(settings.governance_path), DEMO_SCHEME, last)
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            if session.scalar(select(func.count()).select_from(Appeal)):
                return
            points = balances(session, last)
            appealing = sorted(points, key=lambda s: (-points[s], s))[:DEMO_APPEALS]
            for seller in appealing:
                entry = session.scalars(
                    select(PointsEntry)
                    .where(PointsEntry.seller_id == seller, PointsEntry.kind == "issue")
                    .order_by(PointsEntry.effective_on.desc(), PointsEntry.id.desc())
                ).first()
                if entry is None:
                    continue
                evidence = {
                    "impacted order ids": f"orders of {seller} on {entry.effective_on}",
                    "courier handover proof or tracking": "handover manifest, courier portal",
                    "explanation": "the courier missed its pick-ups that week",
                }
                appeals.submit(
                    session,
                    scheme,
                    entry.id,
                    "logistics_provider",
                    evidence,
                    "Our parcels were ready on time; the courier did not collect them.",
                    entry.effective_on + dt.timedelta(days=1),
                    f"user:{seller}",
                )
    finally:
        db.dispose()
    console.print(f"{DEMO_APPEALS} demo appeals submitted (reviewers decide them at /appeals).")


DEMO_SCHEME = "tokopedia-id"
DEMO_DAYS = 30


def _governance(settings: Settings, last: dt.date) -> None:
    """The governance pipeline over the last days of the marketplace's history."""
    catalog = catalog_for(settings)
    library = load_library(catalog, settings.policy_path)
    days = [last - dt.timedelta(days=i) for i in range(DEMO_DAYS - 1, -1, -1)]
    db = Database(settings.database_url)
    try:
        reports = run_days(db, settings, catalog, library, DEMO_SCHEME, days)
        with db.unit_of_work() as session:
            points = balances(session, last)
            queued = session.scalar(
                select(func.count()).where(EnforcementAction.status == "pending_review")
            )
    finally:
        db.dispose()
    scheme = scheme_on(load_schemes(settings.governance_path), DEMO_SCHEME, last)
    levels: dict[int, int] = {}
    for value in points.values():
        level = scheme.level(value)
        levels[level] = levels.get(level, 0) + 1
    issued = sum(r.issued for r in reports)
    console.print(
        f"Governance {scheme.ref}, {days[0]} → {last}: {issued:,} new violations "
        f"({sum(r.points_issued for r in reports):,} points), "
        f"{sum(r.actions for r in reports):,} new actions, {sum(r.warnings for r in reports):,} "
        f"new warnings (a day already run adds nothing); {queued or 0:,} waiting for a person "
        "(`pasar governance queue`)."
    )
    path = settings.home / "reports" / f"governance-{last.isoformat()}.xlsx"
    db = Database(settings.database_url)
    try:
        write_report(db, settings, catalog, scheme, last, path)
    finally:
        db.dispose()
    console.print(f"Governance report written to {path}")
    console.print(
        "Sellers by level: "
        + ", ".join(f"{level or 'below 12'}: {count:,}" for level, count in sorted(levels.items()))
    )


def _policies(settings: Settings, day: dt.date) -> None:
    """What each shipped pack in force finds on the last day (nothing is recorded)."""
    catalog = catalog_for(settings)
    library = load_library(catalog, settings.policy_path)
    for name in library.names():
        pack = library.in_force(name, day)
        if pack is None:
            continue
        found = findings_on(library.policies(pack), day, settings, catalog, build=False)
        findings, subjects = found.num_rows, set(found["subject"].to_pylist())
        console.print(
            f"Policy pack {pack.ref} as of {day}: {findings:,} findings for {len(subjects):,} "
            f"subjects (`pasar policy dry-run {name}` lists them)."
        )


def _snapshots(settings: Settings, warehouse: Warehouse) -> dt.date:
    """Every entity's metric snapshot as of the last day with orders, and the marketplace's
    headline rates."""
    catalog = catalog_for(settings)
    con = engine.connect(warehouse)
    day = latest_day(con, settings.timezone)
    for entity in catalog.entities:
        built = build_snapshots(entity, [day], settings, catalog, con).files[0]
        state = "computed" if built.computed else "already current"
        console.print(f"Snapshot {entity} as of {day}: {built.rows:,} rows ({state}).")
    row = read_snapshot(settings, "marketplace", day).to_pylist()[0]
    for name in HEADLINE:
        shown = show_value(row[name], catalog.metric(name).display_format, settings.currency)
        console.print(f"  {name:<36} {shown}")
    return day


HEADLINE = (
    "orders_30d",
    "gmv_30d",
    "late_dispatch_rate_7d",
    "seller_fault_cancellation_rate_7d",
    "order_defect_rate_60d",
    "valid_live_sessions_30d",
    "first_response_hours_p90_7d",
)
