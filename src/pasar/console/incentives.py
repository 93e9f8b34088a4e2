"""Console pages of LIVE incentives: the merchant population by tier × stage with supply,
conversion and movement; programs with their YAML editor (checked by the program loader);
the cost simulation with its sensitivity chart; payout runs with explanations and files; the
budget optimiser against the greedy rule; measurement reports; and a merchant's own programs.

Reading needs ``incentives:read``; editing, enrolling, simulating, paying, optimising and
measuring need ``incentives:manage``; a seller sees only its own programs (``incentives:own``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.config import Settings
from pasar.console.charts import bar_chart, line_chart
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.incentives import experiments, optimiser, payouts, portal, service, simulation
from pasar.incentives.models import Enrolment, IncentiveProgram
from pasar.incentives.segmentation import month_before, movement, population
from pasar.incentives.spec import STAGES, TIERS
from pasar.kit.errors import PasarError, ValidationError
from pasar.kit.issues import IssuesError

router = APIRouter(include_in_schema=False)
MAX_DRAWS = 3000

INDONESIAN.update(
    {
        "Incentives": "Insentif",
        "LIVE incentives": "Insentif LIVE",
        "My programs": "Program saya",
        "Merchant population": "Populasi merchant",
        "Tier": "Tingkat",
        "Stage": "Tahap",
        "Shops": "Toko",
        "Shops on LIVE": "Toko yang LIVE",
        "Valid sessions": "Sesi valid",
        "Sessions per shop": "Sesi per toko",
        "Hours": "Jam",
        "LIVE GMV": "GMV LIVE",
        "GPM": "GPM",
        "Click to order": "Klik ke pesanan",
        "Stage movement": "Perpindahan tahap",
        "Tier movement": "Perpindahan tingkat",
        "Stayed": "Tetap",
        "Programs": "Program",
        "Program": "Program",
        "Program templates": "Templat program",
        "Template": "Templat",
        "Target": "Target",
        "Schedule": "Skema",
        "Reward": "Hadiah",
        "Enrolled": "Terdaftar",
        "Create from a template": "Buat dari templat",
        "New program name": "Nama program baru",
        "Create": "Buat",
        "Program (YAML)": "Program (YAML)",
        "Save": "Simpan",
        "The program was not saved": "Program tidak disimpan",
        "Activate": "Aktifkan",
        "Close": "Tutup",
        "Back to draft": "Kembali ke draf",
        "Enrol eligible shops": "Daftarkan toko yang memenuhi syarat",
        "Enrol": "Daftarkan",
        "Pay a period": "Bayar satu periode",
        "Pay": "Bayar",
        "Claw back": "Tarik kembali",
        "Payout runs": "Pembayaran",
        "Period": "Periode",
        "Kind": "Jenis",
        "Merchants": "Merchant",
        "Paid": "Dibayar",
        "Total": "Total",
        "Clawback": "Penarikan",
        "Pay on": "Dibayar pada",
        "Enrolments": "Pendaftaran",
        "Arm": "Kelompok",
        "Cost simulation": "Simulasi biaya",
        "Simulate": "Simulasikan",
        "Uplift": "Kenaikan",
        "Spread": "Sebaran",
        "Draws": "Jumlah simulasi",
        "Expected cost": "Biaya harapan",
        "Budget": "Anggaran",
        "Chance of exceeding the budget": "Peluang melebihi anggaran",
        "Realised cost": "Biaya terealisasi",
        "Cost per incremental session": "Biaya per sesi tambahan",
        "Cost per rupiah of incremental GMV": "Biaya per rupiah GMV tambahan",
        "Sensitivity to the uplift": "Sensitivitas terhadap kenaikan",
        "Backtest": "Uji mundur",
        "Payout lines": "Rincian pembayaran",
        "Explanation": "Penjelasan",
        "Status": "Status",
        "Level": "Level",
        "Progress": "Kemajuan",
        "Amount": "Jumlah",
        "Before caps": "Sebelum batas",
        "Replay": "Ulangi",
        "Payout file": "Berkas pembayaran",
        "Budget optimiser": "Pengoptimal anggaran",
        "Optimise": "Optimalkan",
        "Method": "Metode",
        "Incremental GMV": "GMV tambahan",
        "Cost": "Biaya",
        "Offered": "Ditawari",
        "Constraints hold": "Batasan terpenuhi",
        "Seconds": "Detik",
        "Measurement": "Pengukuran",
        "Measure": "Ukur",
        "Keep this report": "Simpan laporan ini",
        "Segment": "Segmen",
        "Metric": "Metrik",
        "Effect": "Efek",
        "Low": "Batas bawah",
        "High": "Batas atas",
        "Relative": "Relatif",
        "Chance to win": "Peluang menang",
        "Experiments": "Eksperimen",
        "Design": "Desain",
        "Expected reward": "Hadiah harapan",
        "Payouts": "Pembayaran",
        "You are not in any program yet.": "Anda belum mengikuti program apa pun.",
        "No programs yet.": "Belum ada program.",
        "Nobody enrolled yet.": "Belum ada yang terdaftar.",
        "Not paid yet.": "Belum ada pembayaran.",
        "Day": "Hari",
        "as of": "per",
        "CUPED rows show means adjusted by the same measure of the period before; ratios are of "
        "sums (delta method); intervals are 95%.": (
            "Baris CUPED menampilkan rata-rata yang disesuaikan dengan ukuran yang sama pada "
            "periode sebelumnya; rasio dari jumlah (metode delta); interval 95%."
        ),
    }
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _ctx(request: Request) -> service.Context:
    return service.context_for(_settings(request))


def _day(text: str, con: duckdb.DuckDBPyConnection, ctx: service.Context) -> dt.date:
    if not text:
        return ctx.last_day(con)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError(f"{text!r} is not a date like 2026-10-31", field="day") from exc
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise ValidationError("the day must be between 2000 and 2100", field="day")
    return day


def _deny(view: Page, scope: str) -> Response | None:
    if not view.can(scope):
        return view.error(403, "Not allowed", "Your role cannot do this with LIVE incentives.")
    return None


# -- the population and the programs ------------------------------------------------------------


@router.get("/incentives")
def incentives_page(
    request: Request,
    as_of: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Merchants by tier × stage with LIVE supply and conversion, their movement since a
    month before, the stored programs and the shipped templates."""
    if view.user.role == "seller" and view.can("incentives:own"):
        return RedirectResponse("/incentives/mine", status_code=303)
    if (denied := _deny(view, "incentives:read")) is not None:
        return denied
    ctx = _ctx(request)
    with ctx.connect() as con:
        try:
            day = _day(as_of, con, ctx)
        except ValidationError as exc:
            return view.error(422, "Not done", str(exc))
        now = service.segments_on(ctx, day, con)
        before = service.segments_on(ctx, month_before(day), con)
    counted = dict(
        unit.execute(
            select(Enrolment.program_id, func.count()).group_by(Enrolment.program_id)
        ).all()
    )
    programs = [
        {
            "key": row.key,
            "name": row.name,
            "status": row.status,
            "template": row.template or "",
            "enrolled": counted.get(row.id, 0),
        }
        for row in service.list_programs(unit)
    ]
    templates = [
        {
            "key": c.key,
            "name": c.program.name,
            "target": c.program.target.metric,
            "schedule": c.program.schedule.kind,
            "reward": c.program.reward.form,
            "description": c.program.description,
        }
        for c in sorted(ctx.templates.templates.values(), key=lambda c: c.key)
    ]
    rows = population(now)
    chart = bar_chart(
        [f"{r['tier']} · {r['stage']}" for r in rows],
        [r["valid_sessions"] for r in rows],
        view.t("Valid sessions") + " (30 d)",
    )
    return view.render(
        "incentives_home.html",
        view.t("LIVE incentives"),
        day=day,
        shops=now.table.num_rows,
        chart=chart,
        population=Table(
            "population",
            "Merchant population",
            [
                Column("tier", "Tier"),
                Column("stage", "Stage"),
                Column("shops", "Shops", "int"),
                Column("live_shops", "Shops on LIVE", "int"),
                Column("valid_sessions", "Valid sessions", "int"),
                Column("sessions_per_shop", "Sessions per shop", "number"),
                Column("hours", "Hours", "number"),
                Column("gmv", "LIVE GMV", "money"),
                Column("gpm", "GPM", "money"),
                Column("click_to_order", "Click to order", "percent"),
            ],
            rows,
            note=f"{view.t('as of')} {day}: 30 days of LIVE; GPM and click to order of the sums.",
        ),
        stages=_movement_table("stages", "Stage movement", movement(before, now), STAGES),
        tiers=_movement_table("tiers", "Tier movement", movement(before, now, "tier"), TIERS),
        programs=Table(
            "programs",
            "Programs",
            [
                Column("key", "Program", href="/incentives/programs/{key}"),
                Column("name", "Name"),
                Column("status", "Status", "badge"),
                Column("template", "Template"),
                Column("enrolled", "Enrolled", "int"),
            ],
            programs,
            empty="No programs yet.",
        ),
        templates=Table(
            "templates",
            "Program templates",
            [
                Column("key", "Template"),
                Column("name", "Name"),
                Column("target", "Target"),
                Column("schedule", "Schedule"),
                Column("reward", "Reward"),
                Column("description", "Description"),
            ],
            templates,
        ),
        template_keys=[t["key"] for t in templates],
        can_manage=view.can("incentives:manage"),
        before=month_before(day),
    )


def _movement_table(name: str, title: str, rows: list[dict[str, Any]], names: Any) -> Table:
    columns = [Column("from", "From")]
    columns += [Column(n, n, "int") for n in names]
    columns += [Column("total", "Total", "int"), Column("stayed", "Stayed", "percent")]
    return Table(name, title, columns, rows)


@router.post("/incentives/programs")
def create_program_form(
    request: Request,
    template: str = Form(""),
    key: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Copy a template into a new draft program."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    try:
        row = service.create_from_template(
            unit, _ctx(request), template, key.strip(), f"user:{view.user.username}"
        )
    except PasarError as exc:
        unit.rollback()
        return view.error(exc.status_code, "Not done", str(exc))
    return RedirectResponse(f"/incentives/programs/{row.key}", status_code=303)


def _program_row(view: Page, unit: Session, key: str) -> IncentiveProgram | Response:
    try:
        return service.get_program(unit, key)
    except PasarError as exc:
        return view.error(404, "Not found", str(exc))


@router.get("/incentives/programs/{key}")
def program_page(
    key: str,
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A program: status, YAML editor, enrolment by tier and arm, payout runs, experiments."""
    if (denied := _deny(view, "incentives:read")) is not None:
        return denied
    row = _program_row(view, unit, key)
    if isinstance(row, Response):
        return row
    return _render_program(view, request, unit, row, row.source, [])


def _render_program(
    view: Page,
    request: Request,
    unit: Session,
    row: IncentiveProgram,
    source: str,
    problems: list[str],
    status: int = 200,
    saved: bool = False,
) -> Response:
    ctx = _ctx(request)
    try:
        compiled = service.compiled_of(ctx, row)
        program = compiled.program
    except IssuesError as exc:
        compiled, program = None, None
        problems = problems or [str(i) for i in exc.issues]
    enrolments = service.enrolments_of(unit, row.id)
    groups: dict[tuple[str, str], int] = {}
    for e in enrolments:
        groups[(e.tier, e.arm)] = groups.get((e.tier, e.arm), 0) + 1
    by_tier = [
        {
            "tier": t,
            "treatment": groups.get((t, "treatment"), 0),
            "holdout": groups.get((t, "holdout"), 0),
        }
        for t in TIERS
        if groups.get((t, "treatment")) or groups.get((t, "holdout"))
    ]
    runs = [
        {
            "id": r.id,
            "kind": r.kind,
            "period": r.period,
            "merchants": r.merchants,
            "paid": r.paid_merchants,
            "total": r.total,
            "clawback": r.clawback,
            "pay_on": r.pay_on,
        }
        for r in payouts.runs_of(unit, row.id)
    ]
    tested = [
        {
            "id": e.id,
            "design": e.design,
            "period": e.period,
            "srm": e.srm_p_value,
            "created_by": e.created_by,
        }
        for e in experiments.experiments_of(unit, row.id)
    ]
    with ctx.connect() as con:
        last = ctx.last_day(con)
    complete = payouts.last_complete(compiled, last) if compiled else None
    periods = [w.label for w in (program.period.windows(last) if program else [])][-12:]
    return view.render(
        "incentives_program.html",
        row.name,
        status,
        row=row,
        program=program,
        source=source,
        problems=problems,
        saved=saved,
        last_day=last,
        periods=list(reversed(periods)),
        suggested=complete.label if complete else "",
        can_manage=view.can("incentives:manage"),
        enrolled=Table(
            "enrolled",
            "Enrolments",
            [
                Column("tier", "Tier"),
                Column("treatment", "treatment", "int"),
                Column("holdout", "holdout", "int"),
            ],
            by_tier,
            empty="Nobody enrolled yet.",
        ),
        runs=Table(
            "runs",
            "Payout runs",
            [
                Column("id", "Run", "int", href="/incentives/runs/{id}"),
                Column("kind", "Kind"),
                Column("period", "Period", href="/incentives/runs/{id}"),
                Column("merchants", "Merchants", "int"),
                Column("paid", "Paid", "int"),
                Column("total", "Total", "money"),
                Column("clawback", "Clawback", "money"),
                Column("pay_on", "Pay on", "date"),
            ],
            runs,
            empty="Not paid yet.",
        ),
        experiments=Table(
            "experiments",
            "Experiments",
            [
                Column("id", "Experiment", "int"),
                Column("design", "Design"),
                Column(
                    "period",
                    "Period",
                    href=f"/incentives/programs/{row.key}/measure?period={{period}}",
                ),
                Column("srm", "SRM p-value", "number"),
                Column("created_by", "By"),
            ],
            tested,
            empty="Nothing measured yet.",
        ),
    )


@router.post("/incentives/programs/{key}")
def save_program_form(
    key: str,
    request: Request,
    source: str = Form(""),
    version: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Save the edited YAML: checked by the program loader, refused with every problem and
    its line; a conflict when someone saved since."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    row = _program_row(view, unit, key)
    if isinstance(row, Response):
        return row
    text = source.replace("\r\n", "\n")
    try:
        seen = int(version)
    except ValueError:
        return view.error(422, "Not done", "The form lost its version: reload the page.")
    try:
        service.update_program(unit, _ctx(request), key, text, seen, f"user:{view.user.username}")
    except IssuesError as exc:
        unit.rollback()
        problems = [f"line {i.line}: {i.message}" if i.line else i.message for i in exc.issues]
        return _render_program(view, request, unit, _reload(unit, key), text, problems, 422)
    except PasarError as exc:
        unit.rollback()
        return _render_program(
            view, request, unit, _reload(unit, key), text, [str(exc)], exc.status_code
        )
    return RedirectResponse(f"/incentives/programs/{key}?saved=1", status_code=303)


def _reload(unit: Session, key: str) -> IncentiveProgram:
    return service.get_program(unit, key)


@router.post("/incentives/programs/{key}/status")
def status_form(
    key: str,
    status: str = Form(""),
    version: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Activate, close or return a program to draft."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    try:
        service.set_status(unit, key, status, int(version or 0), f"user:{view.user.username}")
    except (PasarError, ValueError) as exc:
        unit.rollback()
        code = exc.status_code if isinstance(exc, PasarError) else 422
        return view.error(code, "Not done", str(exc))
    return RedirectResponse(f"/incentives/programs/{key}", status_code=303)


@router.post("/incentives/programs/{key}/enrol")
def enrol_form(
    key: str,
    request: Request,
    day: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Enrol the shops eligible on a day."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    ctx = _ctx(request)
    try:
        with ctx.connect() as con:
            service.enrol(unit, ctx, key, _day(day, con, ctx), f"user:{view.user.username}", con)
    except PasarError as exc:
        unit.rollback()
        return view.error(exc.status_code, "Not done", str(exc))
    return RedirectResponse(f"/incentives/programs/{key}#enrolled", status_code=303)


@router.post("/incentives/programs/{key}/pay")
def pay_form(
    key: str,
    request: Request,
    period: str = Form(""),
    kind: str = Form("payout"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Pay a period (or check it for clawbacks), then show the run."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    ctx = _ctx(request)
    actor = f"user:{view.user.username}"
    try:
        if kind == "clawback":
            run = payouts.run_clawback(unit, ctx, key, period.strip(), actor)
        else:
            run = payouts.run_payout(unit, ctx, key, period.strip(), actor)
    except PasarError as exc:
        unit.rollback()
        return view.error(exc.status_code, "Not done", str(exc))
    return RedirectResponse(f"/incentives/runs/{run.id}", status_code=303)


# -- simulation ---------------------------------------------------------------------------------


@router.get("/incentives/programs/{key}/simulate")
def simulate_page(
    key: str,
    request: Request,
    uplift: str = "0.1",
    sd: str = "0.05",
    draws: str = "1000",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The cost distribution of the program, its sensitivity chart, and its backtest on the
    last complete period."""
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    row = _program_row(view, unit, key)
    if isinstance(row, Response):
        return row
    try:
        chosen = simulation.Response(_number(uplift, -0.9, 5), _number(sd, 0, 5))
        count = int(_number(draws, 10, MAX_DRAWS))
    except ValidationError as exc:
        return view.error(422, "Not done", str(exc))
    ctx = _ctx(request)
    try:
        compiled = service.compiled_of(ctx, row)
        with ctx.connect() as con:
            who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
            past = simulation.history(ctx, con, compiled, who)
            replayed = simulation.backtest(ctx, con, compiled)
        result = simulation.simulate(
            compiled.program, past, chosen, count, 0, ctx.settings.currency
        )
        curve = simulation.sensitivity(compiled.program, past, sd=chosen.sd, draws=min(count, 1000))
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    chart = line_chart(
        {
            view.t("Expected cost"): [(r["uplift"] * 100, r["expected"] / 1e6) for r in curve],
            "P95": [(r["uplift"] * 100, r["p95"] / 1e6) for r in curve],
        },
        view.t("Sensitivity to the uplift") + " (x: %, y: Rp juta / million)",
    )
    histogram = _histogram(result.costs, view.t("Cost per simulated period"))
    summary = [
        ("Expected cost", result.expected, "money"),
        ("P50", result.p50, "money"),
        ("P95", result.p95, "money"),
        ("Budget", result.budget, "money"),
        ("Chance of exceeding the budget", result.p_over_budget, "percent"),
        ("Realised cost", result.realised, "money"),
        ("Cost per incremental session", result.cost_per_session, "money"),
        ("Cost per rupiah of incremental GMV", result.cost_per_gmv, "number"),
    ]
    statuses: dict[str, int] = {}
    for status in replayed.status:
        statuses[status] = statuses.get(status, 0) + 1
    return view.render(
        "incentives_simulation.html",
        view.t("Cost simulation"),
        row=row,
        program=compiled.program,
        merchants=len(who.sellers),
        windows=past.windows,
        form={"uplift": uplift, "sd": sd, "draws": draws},
        summary=summary,
        chart=chart,
        histogram=histogram,
        sensitivity=Table(
            "sensitivity",
            "Sensitivity to the uplift",
            [
                Column("uplift", "Uplift", "percent"),
                Column("expected", "Expected cost", "money"),
                Column("p95", "P95", "money"),
                Column("p_over_budget", "Chance of exceeding the budget", "percent"),
                Column("cost_per_session", "Cost per incremental session", "money"),
                Column("cost_per_gmv", "Cost per rupiah of incremental GMV", "number"),
            ],
            curve,
        ),
        backtest=replayed,
        backtest_statuses=statuses,
    )


def _number(text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise ValidationError(f"{text!r} is not a number") from exc
    if not low <= value <= high:
        raise ValidationError(f"{value:g} is outside {low:g} … {high:g}")
    return value


def _histogram(costs: Any, title: str) -> Any:
    if not len(costs):
        return ""
    counts, edges = np.histogram(costs, bins=min(12, max(1, len(set(costs.tolist())))))
    labels = [f"{edges[i] / 1e6:,.1f}–{edges[i + 1] / 1e6:,.1f} jt" for i in range(len(counts))]
    return bar_chart(labels, [float(c) for c in counts], title)


# -- payout runs --------------------------------------------------------------------------------


@router.get("/incentives/runs/{run_id}")
def run_page(
    run_id: int,
    request: Request,
    status: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A payout or clawback run: totals, every merchant's line with its explanation, the
    payout file, and a replay."""
    if (denied := _deny(view, "incentives:read")) is not None:
        return denied
    try:
        run = payouts.get_run(unit, run_id)
    except PasarError as exc:
        return view.error(404, "Not found", str(exc))
    program = unit.get(IncentiveProgram, run.program_id)
    assert program is not None
    lines = payouts.lines_of(unit, run_id)
    explanation = "explanation_id" if view.lang == "id" else "explanation_en"
    rows = [
        {
            "seller_id": line.seller_id,
            "tier": line.tier,
            "stage": line.stage,
            "status": line.status,
            "level": line.level or "",
            "target_value": line.target_value,
            "progress": line.progress,
            "gross": line.gross,
            "amount": line.amount,
            "clawback": line.clawback,
            "explanation": getattr(line, explanation),
        }
        for line in lines
        if not status or line.status == status
    ]
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.status] = counts.get(line.status, 0) + 1
    return view.render(
        "incentives_run.html",
        f"{program.key} {run.period}",
        run=run,
        program=program,
        counts=counts,
        chosen=status,
        can_manage=view.can("incentives:manage"),
        replayed=request.query_params.get("replayed", ""),
        lines=Table(
            "lines",
            "Payout lines",
            [
                Column("seller_id", "Seller"),
                Column("tier", "Tier"),
                Column("stage", "Stage"),
                Column("status", "Status", "badge"),
                Column("level", "Level"),
                Column("target_value", "Target", "number"),
                Column("progress", "Progress", "percent"),
                Column("gross", "Before caps", "money"),
                Column("amount", "Amount", "money"),
                Column("clawback", "Clawback", "money"),
                Column("explanation", "Explanation"),
            ],
            rows,
        ),
    )


@router.get("/incentives/runs/{run_id}/file")
def run_file(
    run_id: int,
    format: str = "csv",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The run's payout file (CSV or XLSX)."""
    if (denied := _deny(view, "incentives:read")) is not None:
        return denied
    try:
        body, media, name = payouts.payout_file(unit, run_id, format)
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.post("/incentives/runs/{run_id}/replay")
def replay_form(
    run_id: int,
    request: Request,
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Compute the run again and say whether every line is identical."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    try:
        result = payouts.replay(unit, _ctx(request), run_id)
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    verdict = "identical" if result.identical else f"{len(result.differences)}-differ"
    return RedirectResponse(f"/incentives/runs/{run_id}?replayed={verdict}", status_code=303)


# -- optimiser -----------------------------------------------------------------------------------


@router.get("/incentives/programs/{key}/optimise")
def optimise_page(
    key: str,
    request: Request,
    budget: str = "",
    levels: str = "0.5,1,1.5",
    long_tail: str = "0",
    mid: str = "0",
    top: str = "0",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """One offer level per merchant under a budget with minimum spend shares per tier: the
    optimiser (MILP) against the greedy rule and the LP bound."""
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    row = _program_row(view, unit, key)
    if isinstance(row, Response):
        return row
    ctx = _ctx(request)
    try:
        steps = [_number(v, 0.01, 10) for v in levels.split(",") if v.strip()][:6]
        if not steps:
            raise ValidationError("give at least one offer level")
        shares = {
            t: _number(v or "0", 0, 1)
            for t, v in (("top", top), ("mid", mid), ("long_tail", long_tail))
        }
        if sum(shares.values()) > 1:
            raise ValidationError("the minimum shares add up to more than 100%")
        compiled = service.compiled_of(ctx, row)
        with ctx.connect() as con:
            who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
            past = simulation.history(ctx, con, compiled, who)
        table = optimiser.offers(
            compiled.program, past, simulation.Response(0.1, 0.05), steps, draws=300
        )
        money = _number(budget, 1, 1e15) if budget else float(compiled.program.budget or 0)
        money = money or float(table.cost[:, -1].sum() / 2) or 1.0
        wanted = {t: s for t, s in shares.items() if s > 0}
        best = optimiser.solve(table.value, table.cost, money, who.tiers, wanted)
        rule = optimiser.greedy(table.value, table.cost, money, who.tiers, wanted)
        bound = optimiser.lp_bound(table.value, table.cost, money, who.tiers, wanted)
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    rows: list[dict[str, Any]] = [
        {
            "method": found.method,
            "value": found.value,
            "cost": found.cost,
            "offered": int((found.choice > 0).sum()),
            "feasible": view.t("yes" if found.feasible else "no"),
            "seconds": found.seconds,
            **{f"spend_{t}": found.spend_by_group.get(t, 0.0) for t in TIERS},
        }
        for found in (best, rule)
    ]
    chart = bar_chart(
        [f"{r['method']} · {t}" for r in rows for t in TIERS],
        [float(r[f"spend_{t}"]) for r in rows for t in TIERS],
        view.t("Cost") + " / " + view.t("Tier"),
    )
    return view.render(
        "incentives_optimiser.html",
        view.t("Budget optimiser"),
        row=row,
        form={"budget": budget, "levels": levels, "top": top, "mid": mid, "long_tail": long_tail},
        budget=money,
        bound=bound,
        gap=(bound - best.value) / bound if bound else 0.0,
        merchants=len(who.sellers),
        chart=chart,
        comparison=Table(
            "comparison",
            "Budget optimiser",
            [
                Column("method", "Method"),
                Column("value", "Incremental GMV", "money"),
                Column("cost", "Cost", "money"),
                Column("offered", "Offered", "int"),
                Column("feasible", "Constraints hold"),
                Column("seconds", "Seconds", "number"),
                *(Column(f"spend_{t}", f"{t}", "money") for t in TIERS),
            ],
            rows,
        ),
    )


# -- measurement ----------------------------------------------------------------------------------


@router.get("/incentives/programs/{key}/measure")
def measure_page(
    key: str,
    request: Request,
    period: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The program's effect over a period with 95% intervals per tier and stage."""
    if (denied := _deny(view, "incentives:read")) is not None:
        return denied
    row = _program_row(view, unit, key)
    if isinstance(row, Response):
        return row
    ctx = _ctx(request)
    try:
        report = experiments.measure_program(unit, ctx, key, period.strip())
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    rows: list[dict[str, Any]] = []
    chart = ""
    if report.design == "holdout":
        for item in report.body["results"]:
            result = item.get("cuped") or item["absolute"]
            relative = item.get("cuped_relative") or item["relative"]
            rows.append(
                {
                    "segment": item["segment"],
                    "metric": item["metric"] + (" (CUPED)" if "cuped" in item else ""),
                    "n": f"{item['n_control']}/{item['n_treatment']}",
                    "control": result["control_mean"],
                    "treatment": result["treatment_mean"],
                    "effect": result["effect"],
                    "low": result["ci_low"],
                    "high": result["ci_high"],
                    "p_value": result["p_value"],
                    "relative": relative["effect"],
                    "chance": item["chance_to_win"],
                    "note": result.get("error") or "",
                }
            )
        gmv = [r for r in report.body["results"] if r["metric"] == "live_gmv"]
        chart = bar_chart(
            [r["segment"] for r in gmv],
            [(r.get("cuped_relative") or r["relative"])["effect"] * 100 for r in gmv],
            view.t("Relative") + " LIVE GMV (%)",
        )
    else:
        for metric, result in report.body["did"].items():
            rows.append(
                {
                    "segment": "all",
                    "metric": metric + " (DiD)",
                    "n": f"{result['n_control']}/{result['n_treated']}",
                    "control": result["means"]["control_during"],
                    "treatment": result["means"]["treated_during"],
                    "effect": result["effect"],
                    "low": result["ci_low"],
                    "high": result["ci_high"],
                    "p_value": result["p_value"],
                    "relative": None,
                    "chance": None,
                    "note": "",
                }
            )
    return view.render(
        "incentives_measurement.html",
        view.t("Measurement"),
        row=row,
        report=report,
        chart=chart,
        can_manage=view.can("incentives:manage"),
        results=Table(
            "results",
            "Measurement",
            [
                Column("segment", "Segment"),
                Column("metric", "Metric"),
                Column("n", "n (control/treatment)"),
                Column("control", "Control", "number"),
                Column("treatment", "Treatment", "number"),
                Column("effect", "Effect", "number"),
                Column("low", "Low", "number"),
                Column("high", "High", "number"),
                Column("p_value", "p-value", "number"),
                Column("relative", "Relative", "percent"),
                Column("chance", "Chance to win", "percent"),
                Column("note", "Note"),
            ],
            rows,
            per_page=200,
            note="CUPED rows show means adjusted by the same measure of the period before; "
            "ratios are of sums (delta method); intervals are 95%.",
        ),
    )


@router.post("/incentives/programs/{key}/measure")
def save_measurement_form(
    key: str,
    request: Request,
    period: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Keep the measurement of a period as an experiment (audited)."""
    view.check_csrf(unit, csrf_token)
    if (denied := _deny(view, "incentives:manage")) is not None:
        return denied
    ctx = _ctx(request)
    try:
        report = experiments.measure_program(unit, ctx, key, period.strip())
        experiments.save(unit, ctx, report, f"user:{view.user.username}")
    except PasarError as exc:
        unit.rollback()
        return view.error(exc.status_code, "Not done", str(exc))
    return RedirectResponse(f"/incentives/programs/{key}#experiments", status_code=303)


# -- the merchant's view --------------------------------------------------------------------------


@router.get("/incentives/mine")
def mine_page(
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A seller's programs, progress this period, expected reward and past payouts."""
    if (denied := _deny(view, "incentives:own")) is not None:
        return denied
    shop = view.user.seller_id
    if not shop or view.caller.sellers is None:
        return view.error(404, "Not found", "This page shows a shop's own programs.")
    try:
        items = portal.my_programs(unit, _ctx(request), str(shop))
    except PasarError as exc:
        return view.error(exc.status_code, "Not done", str(exc))
    explanation = "explanation_id" if view.lang == "id" else "explanation_en"
    paid = [
        {
            "program": item["name"],
            "period": p["period"],
            "kind": p["kind"],
            "status": p["status"],
            "amount": p["amount"],
            "clawback": p["clawback"],
            "pay_on": p["pay_on"],
            "explanation": p[explanation],
        }
        for item in items
        for p in item["payouts"]
    ]
    return view.render(
        "incentives_mine.html",
        view.t("My programs"),
        items=items,
        explanation=explanation,
        payouts=Table(
            "payouts",
            "Payouts",
            [
                Column("program", "Program"),
                Column("period", "Period"),
                Column("kind", "Kind"),
                Column("status", "Status", "badge"),
                Column("amount", "Amount", "money"),
                Column("clawback", "Clawback", "money"),
                Column("pay_on", "Pay on", "date"),
                Column("explanation", "Explanation"),
            ],
            paid,
            empty="Not paid yet.",
        ),
    )
