"""Console pages of creators: find creators (an agent sees those assigned to them, a creator
only itself), a creator's profile with its metrics, analytics, the funnel with agents' and
agencies' scorecards, sample returns and campaigns, and — for creator managers — agents and
agencies: who looks after which creators (assign, end), which agency each agent works for.
Every form carries the CSRF token; every change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.auth.models import User
from pasar.console.charts import bar_chart
from pasar.console.governance import UNIT_KINDS, MetricTable
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.creators import agencies as agency_service
from pasar.creators.analytics import DIMENSIONS, creator_performance, last_order_day, pivot, totals
from pasar.creators.assignments import (
    agent_named,
    assign,
    assignment_rows,
    creator_ids,
    unassign,
)
from pasar.creators.funnel import (
    agency_scorecard,
    agent_scorecard,
    campaign_efficiency,
    funnel,
    sample_returns,
    sample_summary,
    samples_by_creator,
)
from pasar.creators.profiles import creator_profile, find_creators, unknown_creators
from pasar.kit.errors import NotFoundError, PasarError, ValidationError
from pasar.metrics.query import catalog_for
from pasar.warehouse.store import MANIFEST, Warehouse

router = APIRouter(include_in_schema=False)

INDONESIAN.update(
    {
        "Governance": "Tata kelola",
        "Platform": "Platform",
        "Analytics": "Analitik",
        "Matching": "Pencocokan",
        "Targets": "Target",
        "Creator analytics": "Analitik kreator",
        "Funnel and agents": "Corong dan agen",
        "Group by": "Kelompokkan menurut",
        "Creator level": "Level kreator",
        "Follower tier": "Tingkat pengikut",
        "Province": "Provinsi",
        "Selling": "Berjualan",
        "GMV": "GMV",
        "LIVE GMV": "GMV LIVE",
        "Video GMV": "GMV video",
        "Showcase GMV": "GMV etalase",
        "Net GMV": "GMV bersih",
        "Commission": "Komisi",
        "Commission ÷ net GMV": "Komisi ÷ GMV bersih",
        "Content posted": "Konten diunggah",
        "Views": "Tayangan",
        "Conversion": "Konversi",
        "selling": "berjualan",
        "of net GMV": "dari GMV bersih",
        "GMV per 1,000 views of LIVE and video": "GMV per 1.000 tayangan LIVE dan video",
        "Affiliate growth funnel": "Corong pertumbuhan afiliasi",
        "Step": "Tahap",
        "Pitches": "Tawaran",
        "Of the step before": "Dari tahap sebelumnya",
        "Of contacted": "Dari yang dihubungi",
        "Contacted": "Dihubungi",
        "Replied": "Membalas",
        "Agreed": "Setuju",
        "Sample sent": "Sampel dikirim",
        "Agents: throughput and quality": "Agen: throughput dan kualitas",
        "Owner": "Pemilik",
        "Contacts": "Kontak",
        "Contacts per week": "Kontak per minggu",
        "Reply rate": "Tingkat balasan",
        "Agreement rate": "Tingkat persetujuan",
        "Posted of agreed": "Diunggah dari yang setuju",
        "GMV generated": "GMV yang dihasilkan",
        "GMV per agreement": "GMV per persetujuan",
        "Overdue next actions": "Tindak lanjut terlambat",
        "Samples delivered: content and return": "Sampel terkirim: konten dan imbal hasil",
        "Samples delivered": "Sampel terkirim",
        "Sample-to-content rate": "Rasio sampel ke konten",
        "Sample ROI": "ROI sampel",
        "Orders in 30 days": "Pesanan dalam 30 hari",
        "Sample + shipping": "Sampel + ongkir",
        "ROI (net GMV ÷ cost)": "ROI (GMV bersih ÷ biaya)",
        "Campaign efficiency": "Efisiensi kampanye",
        "Campaign": "Kampanye",
        "Agreed creators": "Kreator setuju",
        "GMV the period before": "GMV periode sebelumnya",
        "Incremental GMV": "GMV inkremental",
        "Samples + commission + vouchers": "Sampel + komisi + voucher",
        "Incremental GMV per rupiah": "GMV inkremental per rupiah",
        "Show": "Tampilkan",
        "yes": "ya",
        "no": "tidak",
        "Agent": "Agen",
        "Agency": "Agensi",
        "Agencies": "Agensi",
        "Agents": "Agen",
        "Agents and agencies": "Agen dan agensi",
        "Agencies: throughput and quality": "Agensi: throughput dan kualitas",
        "Sample returns by creator": "Imbal hasil sampel per kreator",
        "Sellers": "Penjual",
        "Sample ROI (net GMV ÷ cost)": "ROI sampel (GMV bersih ÷ biaya)",
        "Samples delivered in the period": "Sampel diterima dalam periode",
        "Assignments": "Penugasan",
        "Assign creators": "Tugaskan kreator",
        "Creators (ids)": "Kreator (id)",
        "From": "Mulai",
        "Since": "Sejak",
        "Assigned by": "Ditugaskan oleh",
        "End": "Akhiri",
        "Create an agency": "Buat agensi",
        "Contact": "Kontak",
        "Name": "Nama",
        "Move an agent to an agency": "Pindahkan agen ke agensi",
        "none (leave its agency)": "tidak ada (keluar dari agensi)",
        "Creators assigned": "Kreator ditugaskan",
        "Display name": "Nama tampilan",
        "Manage agents and agencies": "Kelola agen dan agensi",
        "No agency yet.": "Belum ada agensi.",
        "No agent yet.": "Belum ada agen.",
        "No creator is assigned.": "Tidak ada kreator yang ditugaskan.",
        "net GMV in the 30 days after delivery ÷ (sample + shipping + commission), summed over "
        "the samples delivered in the period (per creator, per campaign).": "GMV bersih dalam "
        "30 hari setelah diterima ÷ (sampel + ongkir + komisi), dijumlahkan atas sampel yang "
        "diterima dalam periode (per kreator, per kampanye).",
    }
)


@router.get("/creators")
def creators_page(
    request: Request, q: str = "", category: str = "", view: Page = Depends(page, scope="function")
) -> Response:
    """Creators the user may see, searchable by id or handle and filtered by category."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see creators.")
    if view.user.role == "creator" and view.user.creator_id:
        return RedirectResponse(f"/creators/{view.user.creator_id}", status_code=303)
    settings = request.app.state.settings
    visible = view.caller.creators
    everyone = find_creators(settings, visible)
    rows = find_creators(settings, visible, q, category) if q or category else everyone
    table = Table(
        "creators",
        "Creators",
        [
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("handle", "Handle"),
            Column("followers", "Followers", "int"),
            Column("primary_category", "Category"),
            Column("province", "Province"),
        ],
        rows,
        empty="No creators match."
        if visible is None or visible
        else "No creator is assigned to you yet.",
    )
    categories = sorted({r["primary_category"] for r in everyone if r["primary_category"]})
    return view.render(
        "creators.html",
        "Creators",
        creators=table,
        categories=categories,
        filters={"q": q, "category": category},
    )


PIVOT_COLUMNS = [
    Column("creators", "Creators", "int"),
    Column("selling", "Selling", "int"),
    Column("orders", "Orders", "int"),
    Column("gmv", "GMV", "money"),
    Column("gmv_live", "LIVE GMV", "money"),
    Column("gmv_video", "Video GMV", "money"),
    Column("gmv_showcase", "Showcase GMV", "money"),
    Column("net_gmv", "Net GMV", "money"),
    Column("commission", "Commission", "money"),
    Column("commission_ratio", "Commission ÷ net GMV", "percent"),
    Column("content", "Content posted", "int"),
    Column("views", "Views", "int"),
    Column("gpm", "GPM", "money"),
    Column("conversion", "Conversion", "percent"),
]
GROUP_LABELS = {
    "creator": "Creator",
    "primary_category": "Category",
    "province": "Province",
    "level": "Creator level",
    "follower_tier": "Follower tier",
}


@router.get("/creators/analytics")
def analytics_page(
    request: Request,
    start: str = "",
    end: str = "",
    by: str = "level",
    view: Page = Depends(page, scope="function"),
) -> Response:
    """Creator analytics for a period, grouped by a dimension (pivot), with downloads."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see creators.")
    if by not in DIMENSIONS:
        return view.error(422, "Unknown grouping", f"Group by one of {', '.join(DIMENSIONS)}.")
    warehouse = Warehouse(request.app.state.settings.warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        return view.render(
            "creators_analytics.html",
            "Creator analytics",
            result=None,
            form={"start": start, "end": end, "by": by},
            groups=GROUP_LABELS,
            problem="The warehouse is empty: ingest or generate data first.",
        )
    con = warehouse.connect()
    try:
        last = last_order_day(con) or dt.date.today()
        try:
            first_day = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=29)
            last_day = dt.date.fromisoformat(end) if end else last
            rows = creator_performance(con, first_day, last_day, view.caller.creators)
        except ValueError as exc:
            return view.error(422, "Invalid period", str(exc))
    finally:
        con.close()
    groups = pivot(rows, by)
    first_column = (
        [Column("creator", "Creator", href="/creators/{creator}"), Column("handle", "Handle")]
        if by == "creator"
        else [Column(by, GROUP_LABELS[by])]
    )
    table = Table(
        "creator_analytics",
        f"Creators by {view.t(GROUP_LABELS[by]).lower()}",
        [*first_column, *PIVOT_COLUMNS],
        groups,
        empty="No creator to show for this period.",
        note=f"{first_day} – {last_day}",
    )
    total = totals(groups)
    top = groups[:15]
    chart = (
        bar_chart([str(g[by]) for g in top], [float(g["gmv"]) for g in top], view.t("GMV"))
        if top
        else None
    )
    return view.render(
        "creators_analytics.html",
        "Creator analytics",
        result=table,
        total=total,
        chart=chart,
        form={"start": first_day.isoformat(), "end": last_day.isoformat(), "by": by},
        groups=GROUP_LABELS,
        problem=None,
    )


STEP_LABELS = {
    "contacted": "Contacted",
    "replied": "Replied",
    "agreed": "Agreed",
    "sampled": "Sample sent",
    "posted": "Content posted",
    "selling": "Selling",
}
# an agent's scorecard and an agency's (its agents' summed), after who they are
SCORECARD_COLUMNS = [
    Column("contacted", "Contacts", "int"),
    Column("contacts_per_week", "Contacts per week", "number"),
    Column("reply_rate", "Reply rate", "percent"),
    Column("agreement_rate", "Agreement rate", "percent"),
    Column("posted", "Content posted", "int"),
    Column("posting_rate", "Posted of agreed", "percent"),
    Column("selling", "Selling", "int"),
    Column("gmv", "GMV generated", "money"),
    Column("gmv_per_agreement", "GMV per agreement", "money"),
    Column("overdue", "Overdue next actions", "int"),
]


@router.get("/creators/funnel")
def funnel_page(
    request: Request,
    start: str = "",
    end: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The affiliate growth funnel, agents' scorecards, sample returns and campaign efficiency
    for a period (an agent sees its own creators and its own scorecard)."""
    if not view.can("creators:read") or view.user.role == "creator":
        return view.error(403, "Not allowed", "Your role cannot see outreach results.")
    warehouse = Warehouse(request.app.state.settings.warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        return view.error(409, "No data", "The warehouse is empty: ingest or generate data first.")
    con = warehouse.connect()
    try:
        last = last_order_day(con) or dt.date.today()
        try:
            first_day = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=29)
            last_day = dt.date.fromisoformat(end) if end else last
        except ValueError as exc:
            return view.error(422, "Invalid period", str(exc))
        if last_day < first_day:
            return view.error(422, "Invalid period", "The period ends before it starts.")
        visible = view.caller.creators
        owners = frozenset([view.user.username]) if view.user.role == "agent" else None
        agencies = agency_service.agency_of_agents(unit)
        steps = funnel(unit, con, first_day, last_day, creators=visible)
        agents = agent_scorecard(
            unit, con, first_day, last_day, owners, today=dt.date.today(), agencies=agencies
        )
        samples = sample_returns(unit, con, first_day, last_day, creators=visible)
        campaigns = campaign_efficiency(unit, con, first_day, last_day) if visible is None else []
    finally:
        con.close()
    period = f"{first_day} – {last_day}"
    steps_table = Table(
        "funnel",
        "Affiliate growth funnel",
        [
            Column("label", "Step"),
            Column("count", "Pitches", "int"),
            Column("from_previous", "Of the step before", "percent"),
            Column("from_first", "Of contacted", "percent"),
        ],
        [{**s.__dict__, "label": view.t(STEP_LABELS[s.step])} for s in steps],
        empty="No pitch was contacted in this period.",
        note=period,
    )
    agents_table = Table(
        "agents",
        "Agents: throughput and quality",
        [Column("owner", "Owner"), Column("agency", "Agency"), *SCORECARD_COLUMNS],
        agents,
        empty="No agent contacted a creator in this period.",
        note=period,
    )
    agencies_table = Table(
        "agencies",
        "Agencies: throughput and quality",
        [Column("agency", "Agency"), Column("agents", "Agents", "int"), *SCORECARD_COLUMNS],
        agency_scorecard(agents, agencies),
        empty="No agent contacted a creator in this period.",
        note=period,
    )
    by_creator = Table(
        "sample_creators",
        "Sample returns by creator",
        [
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("sellers", "Sellers", "int"),
            Column("delivered", "Samples delivered", "int"),
            Column("posted", "Content posted", "int"),
            Column("sample_to_content_rate", "Sample-to-content rate", "percent"),
            Column("orders", "Orders in 30 days", "int"),
            Column("net_gmv", "Net GMV", "money"),
            Column("sample_cost", "Sample + shipping", "money"),
            Column("commission", "Commission", "money"),
            Column("roi", "Sample ROI (net GMV ÷ cost)", "number"),
        ],
        samples_by_creator(samples),
        empty="No sample was delivered in this period.",
        note=period,
    )
    samples_table = Table(
        "samples",
        "Samples delivered: content and return",
        [
            Column("sample_id", "Sample", "int"),
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("seller_id", "Seller"),
            Column("posted", "Content posted"),
            Column("orders", "Orders in 30 days", "int"),
            Column("net_gmv", "Net GMV", "money"),
            Column("sample_cost", "Sample + shipping", "money"),
            Column("commission", "Commission", "money"),
            Column("roi", "ROI (net GMV ÷ cost)", "number"),
        ],
        [{**r, "posted": view.t("yes" if r["posted"] else "no")} for r in samples],
        empty="No sample was delivered in this period.",
        note=period,
    )
    campaigns_table = Table(
        "campaigns",
        "Campaign efficiency",
        [
            Column("seller_id", "Seller"),
            Column("campaign", "Campaign"),
            Column("creators", "Agreed creators", "int"),
            Column("gmv", "GMV", "money"),
            Column("baseline_gmv", "GMV the period before", "money"),
            Column("incremental_gmv", "Incremental GMV", "money"),
            Column("spend", "Samples + commission + vouchers", "money"),
            Column("incremental_per_rupiah", "Incremental GMV per rupiah", "number"),
            Column("samples_delivered", "Samples delivered", "int"),
            Column("sample_to_content_rate", "Sample-to-content rate", "percent"),
            Column("sample_roi", "Sample ROI", "number"),
        ],
        campaigns,
        empty="No campaign with an agreed creator in this period.",
        note=period,
    )
    chart = bar_chart(
        [view.t(STEP_LABELS[s.step]) for s in steps],
        [s.count for s in steps],
        view.t("Affiliate growth funnel"),
    )
    return view.render(
        "creators_funnel.html",
        "Funnel and agents",
        steps=steps_table,
        agents=agents_table,
        agencies=agencies_table if view.user.role != "agent" else None,
        sample_creators=by_creator,
        samples=samples_table,
        can_assign=view.can("creators:assign"),
        sample_totals=sample_summary(samples),
        campaigns=campaigns_table if visible is None else None,
        chart=chart,
        form={"start": first_day.isoformat(), "end": last_day.isoformat()},
    )


# -- agents and agencies (creator managers) -----------------------------------------------


@router.get("/creators/agents")
def agents_page(
    agent: str = "",
    agency: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Agents and agencies: which creators each agent looks after today (assign, end), which
    agency each agent works for, and the agencies."""
    if not view.can("creators:assign"):
        return view.error(403, "Not allowed", "Your role cannot manage agents' assignments.")
    return _agents(view, unit, {"agent": agent, "agency": agency})


def _agents(
    view: Page, unit: Session, filters: dict[str, str], status: int = 200, error: str = ""
) -> Response:
    day = dt.date.today()
    agencies = agency_service.agencies(unit, day)
    agents = agency_service.agents(unit, day)
    rows = assignment_rows(
        unit, day, agent=filters["agent"] or None, agency=filters["agency"] or None
    )
    agencies_table = Table(
        "agency_list",
        "Agencies",
        [
            Column("name", "Agency"),
            Column("contact", "Contact"),
            Column("members", "Agents"),
            Column("creators", "Creators assigned", "int"),
        ],
        [{**a, "members": ", ".join(a["agents"])} for a in agencies],
        empty="No agency yet.",
    )
    agents_table = Table(
        "agent_list",
        "Agents",
        [
            Column("username", "Agent"),
            Column("display_name", "Display name"),
            Column("agency", "Agency"),
            Column("creators", "Creators assigned", "int"),
        ],
        agents,
        empty="No agent yet.",
    )
    assignments = Table(
        "assignments",
        "Assignments",
        [
            Column("agent", "Agent"),
            Column("agency", "Agency"),
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("starts_on", "Since", "date"),
            Column("assigned_by", "Assigned by"),
        ],
        rows,
        empty="No creator is assigned.",
        note=str(day),
    )
    return view.render(
        "creators_agents.html",
        "Agents and agencies",
        status,
        agencies=agencies_table,
        agents=agents_table,
        assignments=assignments,
        agent_names=[a["username"] for a in agents if not a["disabled"]],
        agency_names=[a["name"] for a in agencies],
        filters=filters,
        error=error,
        day=day,
    )


def _change(view: Page, unit: Session, csrf_token: str, run: Callable[[str], object]) -> Response:
    """Check the form's CSRF token and the scope, make the change as the signed-in user, then
    go back to the agents page; a refused change is shown there with the reason."""
    view.check_csrf(unit, csrf_token)
    if not view.can("creators:assign"):
        return view.error(403, "Not allowed", "Your role cannot manage agents' assignments.")
    try:
        run(f"user:{view.user.username}")
    except PasarError as exc:
        unit.rollback()
        status = exc.status_code if exc.status_code in (404, 409) else 422
        return _agents(view, unit, {"agent": "", "agency": ""}, status, str(exc))
    return RedirectResponse("/creators/agents", status_code=303)


def _agent_change(
    view: Page, unit: Session, csrf_token: str, agent: str, run: Callable[[User, str], object]
) -> Response:
    """:func:`_change` made to the agent named ``agent``: ``run`` gets its user and the actor."""
    return _change(view, unit, csrf_token, lambda actor: run(agent_named(unit, agent), actor))


def _day(text: str, field: str) -> dt.date:
    if not text.strip():
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        shown = text.strip()[:40]
        raise ValidationError(
            f"{field}: {shown!r} is not a date like 2026-12-01", field=field
        ) from None


@router.post("/creators/agents/assign")
def assign_form(
    request: Request,
    agent: str = Form(""),
    creators: str = Form(""),
    starts_on: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Let an agent look after creators (ids separated by spaces, commas or lines)."""

    def run(user: User, actor: str) -> object:
        wanted = creator_ids(creators.replace(",", " ").split())
        missing = unknown_creators(request.app.state.settings, wanted)
        if missing:
            raise NotFoundError(f"no creator {', '.join(missing[:5])}", field="creators")
        return assign(unit, user, wanted, _day(starts_on, "starts_on"), actor)

    return _agent_change(view, unit, csrf_token, agent, run)


@router.post("/creators/agents/unassign")
def unassign_form(
    agent: str = Form(""),
    creator_id: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """End an agent's assignment of a creator (from today it no longer sees it)."""

    def run(user: User, actor: str) -> object:
        wanted = creator_ids([creator_id], "creator_id")
        ended = unassign(unit, user, wanted, dt.date.today(), actor)
        if not ended:
            raise NotFoundError(f"{user.username} does not look after {wanted[0]}")
        return ended

    return _agent_change(view, unit, csrf_token, agent, run)


@router.post("/creators/agents/agencies")
def create_agency_form(
    name: str = Form(""),
    contact: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A new agency."""
    return _change(
        view,
        unit,
        csrf_token,
        lambda actor: agency_service.create_agency(unit, name, actor, contact or None),
    )


@router.post("/creators/agents/membership")
def membership_form(
    agent: str = Form(""),
    agency: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Move an agent to an agency (none: it leaves its agency)."""

    def run(user: User, actor: str) -> object:
        if not agency.strip():
            return agency_service.leave_agency(unit, user, actor)
        return agency_service.join_agency(unit, agency, [user], dt.date.today(), actor)

    return _agent_change(view, unit, csrf_token, agent, run)


@router.get("/creators/{creator_id}")
def creator_page(
    creator_id: str, request: Request, view: Page = Depends(page, scope="function")
) -> Response:
    """One creator: who they are and their metrics from the latest snapshot."""
    missing = view.error(404, "Not found", f"There is no creator {creator_id} to show.")
    if not view.can("creators:read") or not view.caller.may_see_creator(creator_id):
        return missing
    settings = request.app.state.settings
    try:
        profile = creator_profile(settings, creator_id)
    except NotFoundError:
        return missing
    catalog = catalog_for(settings)
    rows: list[dict[str, Any]] = [
        {
            "metric": name,
            "value": value,
            "definition": catalog.metrics[name].description,
            "kind": UNIT_KINDS.get(catalog.metrics[name].unit, "number"),
        }
        for name, value in profile.metrics.items()
        if name in catalog.metrics
    ]
    metrics = MetricTable(
        "metrics",
        "Creator metrics",
        [
            Column("metric", "Metric"),
            Column("value", "Value", "number"),
            Column("definition", "Definition"),
        ],
        rows,
        empty="No metric snapshot yet.",
        note=f"{view.t('as of')} {profile.as_of}" if profile.as_of else "",
    )
    return view.render("creator.html", profile.handle, profile=profile, metrics=metrics)
