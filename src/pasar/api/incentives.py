"""LIVE incentive endpoints: segments, program templates and programs (YAML checked by the
program loader), enrolment, cost simulation and backtest, payouts with their files, replays and
clawbacks, the budget optimiser, measurement, and a merchant's own programs.

Reading needs ``incentives:read``; designing, enrolling, simulating, paying and measuring
need ``incentives:manage``; a seller sees its own programs with ``incentives:own``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.config import Settings
from pasar.incentives import experiments, optimiser, payouts, portal, service, simulation
from pasar.incentives.models import Enrolment, IncentiveProgram, PayoutLine, PayoutRun
from pasar.incentives.segmentation import month_before, movement, population
from pasar.kit.errors import NotFoundError, ValidationError

router = APIRouter(tags=["incentives"], responses=errors(401, 403, 422))
Key = Annotated[str, Path(pattern=r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$", max_length=100)]
RunId = Annotated[int, Path(ge=1, le=MAX_ID)]
Source = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100_000)]
Label = Annotated[str, StringConstraints(pattern=r"^[0-9W.\-]{4,40}$")]
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
FILES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _ctx(request: Request) -> service.Context:
    settings: Settings = request.app.state.settings
    return service.context_for(settings)


def _day(value: dt.date | None, name: str) -> dt.date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(f"{name} must be between {FIRST_DAY} and {LAST_DAY}", field=name)
    return value


# -- bodies and answers -------------------------------------------------------------------------


class ProgramIn(BaseModel):
    """A new program: its YAML ``source``, or a ``template`` copied under the name ``key``."""

    source: Source | None = None
    template: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)] | None = None
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$",
                                          max_length=100)] | None = None  # fmt: skip


class ProgramEdit(BaseModel):
    source: Source
    version: int = Field(ge=1, le=MAX_ID)


class StatusIn(BaseModel):
    status: Literal["draft", "active", "closed"]
    version: int = Field(ge=1, le=MAX_ID)


class EnrolIn(BaseModel):
    day: dt.date | None = Field(None, description="Default: the warehouse's last day.")


class SimulateIn(BaseModel):
    uplift: float = Field(0.1, ge=-0.9, le=5)
    sd: float = Field(0.05, ge=0, le=5)
    draws: int = Field(1000, ge=10, le=5000)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    periods: int = Field(6, ge=1, le=24)


class PeriodIn(BaseModel):
    period: Label | None = Field(None, description="Default: the last complete period.")


class OptimiseIn(BaseModel):
    budget: float | None = Field(None, gt=0, le=1e15, description="Default: the program's.")
    levels: list[Annotated[float, Field(gt=0, le=10)]] = Field(
        default_factory=lambda: [0.5, 1.0, 1.5], min_length=1, max_length=6
    )
    min_share: dict[Literal["top", "mid", "long_tail"], Annotated[float, Field(ge=0, le=1)]] = (
        Field(default_factory=dict)
    )
    uplift: float = Field(0.1, ge=0, le=5)
    draws: int = Field(300, ge=10, le=2000)


class MeasureIn(BaseModel):
    period: Label
    save: bool = False


class ProgramOut(BaseModel):
    key: str
    name: str
    template: str | None
    status: str
    ref: str | None
    schedule: str | None
    enrolled: int
    version: int
    source: str | None = None
    problems: str | None = None


class TemplateOut(BaseModel):
    key: str
    name: str
    description: str
    schedule: str
    target: str
    reward: str
    source: str


class EnrolmentOut(BaseModel):
    seller_id: str
    enrolled_on: dt.date
    category: str | None
    tier: str
    stage: str
    arm: str
    trailing_gmv: float


class EnrolOut(BaseModel):
    program: str
    day: dt.date
    considered: int
    eligible: int
    already: int
    enrolled: int
    holdout: int
    by_tier: dict[str, int]


class RunOut(BaseModel):
    id: int
    program: str
    kind: str
    period: str
    period_start: dt.date
    period_end: dt.date
    cutoff: dt.date
    pay_on: dt.date
    merchants: int
    paid_merchants: int
    gross: Decimal
    total: Decimal
    realised_cost: Decimal
    clawback: Decimal
    lines_digest: str
    created_by: str


class LineOut(BaseModel):
    seller_id: str
    tier: str
    stage: str
    arm: str
    status: str
    exclusion: str | None
    target_value: float
    level: str | None
    progress: float | None
    measures: dict[str, float | None]
    gross: Decimal
    capped: Decimal
    amount: Decimal
    clawback: Decimal
    explanation_en: str
    explanation_id: str


class ReplayOut(BaseModel):
    run_id: int
    identical: bool
    stored_digest: str
    replayed_digest: str
    differences: int
    warehouse_changed: bool


class SegmentsOut(BaseModel):
    as_of: dt.date
    shops: int
    population: list[dict[str, Any]]
    stage_movement: list[dict[str, Any]]
    tier_movement: list[dict[str, Any]]


class SimulationOut(BaseModel):
    program: str
    merchants: int
    periods: list[str]
    summary: dict[str, Any]
    sensitivity: list[dict[str, Any]]


class BacktestOut(BaseModel):
    program: str
    period: str
    merchants: int
    paid_merchants: int
    total: float
    by_status: dict[str, int]


class OptimiseOut(BaseModel):
    program: str
    budget: float
    levels: list[float]
    optimiser: dict[str, Any]
    greedy: dict[str, Any]
    lp_bound: float


class MeasurementOut(BaseModel):
    program: str
    design: str
    period: str
    before: str
    report: dict[str, Any]
    experiment_id: int | None


class MyProgramOut(BaseModel):
    program: str
    name: str
    status: str
    enrolled_on: dt.date
    tier: str
    stage: str
    period: str | None
    progress: float | None
    level: str | None
    expected_reward: float | None
    explanation_en: str | None
    explanation_id: str | None
    payouts: list[dict[str, Any]]


def _program_out(
    ctx: service.Context, unit: Session, row: IncentiveProgram, source: bool = False
) -> ProgramOut:
    enrolled = unit.scalar(select(func.count()).where(Enrolment.program_id == row.id)) or 0
    try:
        compiled = service.compiled_of(ctx, row)
        ref, schedule, problems = compiled.program.ref, compiled.program.schedule.kind, None
    except ValidationError as exc:
        ref, schedule, problems = None, None, str(exc)
    return ProgramOut(
        key=row.key, name=row.name, template=row.template, status=row.status, ref=ref,
        schedule=schedule, enrolled=int(enrolled), version=row.version,
        source=row.source if source else None, problems=problems,
    )  # fmt: skip


def _run_out(unit: Session, run: PayoutRun) -> RunOut:
    program = unit.get(IncentiveProgram, run.program_id)
    assert program is not None
    return RunOut.model_validate({**run.__dict__, "program": program.key})


# -- segments and templates ---------------------------------------------------------------------


@router.get("/incentives/segments", response_model=SegmentsOut)
def incentive_segments(
    request: Request,
    as_of: dt.date | None = Query(None, description="Default: the warehouse's last day."),
    _caller: Principal = Depends(needs("incentives:read")),
) -> SegmentsOut:
    """Shops by tier × lifecycle stage with their LIVE supply and conversion over 30 days, and
    how many moved between stages and tiers since a month before."""
    ctx = _ctx(request)
    with ctx.connect() as con:
        day = _day(as_of, "as_of") or ctx.last_day(con)
        now = service.segments_on(ctx, day, con)
        before = service.segments_on(ctx, month_before(day), con)
        return SegmentsOut(
            as_of=day,
            shops=now.table.num_rows,
            population=population(now),
            stage_movement=movement(before, now, "stage"),
            tier_movement=movement(before, now, "tier"),
        )


@router.get("/incentives/templates", response_model=list[TemplateOut])
def incentive_templates(
    request: Request, _caller: Principal = Depends(needs("incentives:read"))
) -> list[TemplateOut]:
    """The program templates shipped with Pasar."""
    ctx = _ctx(request)
    return [
        TemplateOut(
            key=c.key,
            name=c.program.name,
            description=c.program.description,
            schedule=c.program.schedule.kind,
            target=c.program.target.metric,
            reward=c.program.reward.form,
            source=c.source,
        )
        for c in sorted(ctx.templates.templates.values(), key=lambda c: c.key)
    ]


# -- programs -------------------------------------------------------------------------------------


@router.get("/incentives/programs", response_model=list[ProgramOut])
def list_incentive_programs(
    request: Request,
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> list[ProgramOut]:
    """Every stored program with its status, version and enrolment count."""
    ctx = _ctx(request)
    return [_program_out(ctx, unit, row) for row in service.list_programs(unit)]


@router.post(
    "/incentives/programs", response_model=ProgramOut, status_code=201,
    responses=errors(400, 404, 409),
)  # fmt: skip
def create_incentive_program(
    body: ProgramIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """A new draft program from YAML, or a template copied under a new name."""
    ctx = _ctx(request)
    actor = f"user:{caller.username}"
    if body.source is not None:
        row = service.create_program(unit, ctx, body.source, actor)
    elif body.template and body.key:
        row = service.create_from_template(unit, ctx, body.template, body.key, actor)
    else:
        raise ValidationError("give source, or template and key", field="source")
    return _program_out(ctx, unit, row, source=True)


@router.get("/incentives/programs/{key}", response_model=ProgramOut, responses=errors(404))
def get_incentive_program(
    key: Key,
    request: Request,
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """One program with its YAML source."""
    return _program_out(_ctx(request), unit, service.get_program(unit, key), source=True)


@router.post(
    "/incentives/programs/{key}", response_model=ProgramOut, responses=errors(400, 404, 409)
)
def edit_incentive_program(
    key: Key,
    body: ProgramEdit,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """Save new YAML (checked; 409 when someone saved since ``version``)."""
    ctx = _ctx(request)
    row = service.update_program(
        unit, ctx, key, body.source, body.version, f"user:{caller.username}"
    )
    return _program_out(ctx, unit, row, source=True)


@router.post(
    "/incentives/programs/{key}/status", response_model=ProgramOut, responses=errors(400, 404, 409)
)
def set_incentive_program_status(
    key: Key,
    body: StatusIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """Activate (it enrols and pays), close, or return to draft."""
    row = service.set_status(unit, key, body.status, body.version, f"user:{caller.username}")
    return _program_out(_ctx(request), unit, row)


@router.post(
    "/incentives/programs/{key}/enrol", response_model=EnrolOut, responses=errors(400, 404)
)
def enrol_merchants(
    key: Key,
    body: EnrolIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> EnrolOut:
    """Enrol the shops eligible on a day (segment frozen, holdout drawn)."""
    ctx = _ctx(request)
    with ctx.connect() as con:
        day = _day(body.day, "day") or ctx.last_day(con)
        report = service.enrol(unit, ctx, key, day, f"user:{caller.username}", con)
        return EnrolOut.model_validate(report.__dict__)


@router.get(
    "/incentives/programs/{key}/enrolments", response_model=Page[EnrolmentOut],
    responses=errors(404),
)  # fmt: skip
def list_enrolments(
    key: Key,
    tier: Literal["top", "mid", "long_tail"] | None = Query(None),
    arm: Literal["treatment", "holdout"] | None = Query(None),
    page: PageRequest = Depends(page_request),
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[EnrolmentOut]:
    """The program's merchants with the segment frozen at enrolment."""
    row = service.get_program(unit, key)
    query = select(Enrolment).where(Enrolment.program_id == row.id)
    if tier is not None:
        query = query.where(Enrolment.tier == tier)
    if arm is not None:
        query = query.where(Enrolment.arm == arm)
    sortable = {"seller_id": Enrolment.seller_id, "trailing_gmv": Enrolment.trailing_gmv,
                "tier": Enrolment.tier, "stage": Enrolment.stage}  # fmt: skip
    rows, total = paginate(unit, query, page, sortable, [Enrolment.seller_id])
    items = [EnrolmentOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# -- simulation, backtest, optimiser ---------------------------------------------------------


@router.post(
    "/incentives/programs/{key}/simulate", response_model=SimulationOut, responses=errors(400, 404)
)
def simulate_incentive_program(
    key: Key,
    body: SimulateIn,
    request: Request,
    _caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SimulationOut:
    """The Monte-Carlo cost of the program for the shops a launch now would pay, and its
    sensitivity to the response assumption."""
    ctx = _ctx(request)
    compiled = service.compiled_of(ctx, service.get_program(unit, key))
    with ctx.connect() as con:
        who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
        past = simulation.history(ctx, con, compiled, who, body.periods)
        response = simulation.Response(body.uplift, body.sd)
        result = simulation.simulate(compiled.program, past, response, body.draws, body.seed,
                                     ctx.settings.currency)  # fmt: skip
        curve = simulation.sensitivity(compiled.program, past, sd=body.sd,
                                       draws=min(body.draws, 1000), seed=body.seed,
                                       currency=ctx.settings.currency)  # fmt: skip
        return SimulationOut(
            program=key, merchants=len(who.sellers), periods=[w.label for w in past.windows],
            summary=result.summary(), sensitivity=curve,
        )  # fmt: skip


@router.post(
    "/incentives/programs/{key}/backtest", response_model=BacktestOut, responses=errors(400, 404)
)
def backtest_incentive_program(
    key: Key,
    body: PeriodIn,
    request: Request,
    _caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> BacktestOut:
    """What the program would have paid on a past period (nothing is stored)."""
    ctx = _ctx(request)
    compiled = service.compiled_of(ctx, service.get_program(unit, key))
    with ctx.connect() as con:
        window = payouts.period_window(compiled, body.period) if body.period else None
        if window is not None and window.end > ctx.last_day(con):
            raise ValidationError(f"period {window.label} is not complete", field="period")
        result = simulation.backtest(ctx, con, compiled, window)
        statuses: dict[str, int] = {}
        for status in result.status:
            statuses[status] = statuses.get(status, 0) + 1
        return BacktestOut(
            program=key, period=result.window.label, merchants=len(result.sellers),
            paid_merchants=statuses.get("paid", 0), total=result.total, by_status=statuses,
        )  # fmt: skip


@router.post(
    "/incentives/programs/{key}/optimise", response_model=OptimiseOut, responses=errors(400, 404)
)
def optimise_incentive_budget(
    key: Key,
    body: OptimiseIn,
    request: Request,
    _caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> OptimiseOut:
    """One offer level per merchant under a budget (multiple-choice knapsack with minimum
    spend shares per tier), against the greedy rule and the LP bound."""
    ctx = _ctx(request)
    compiled = service.compiled_of(ctx, service.get_program(unit, key))
    with ctx.connect() as con:
        who = simulation.merchants_for(ctx, con, compiled, ctx.last_day(con))
        past = simulation.history(ctx, con, compiled, who)
        table = optimiser.offers(compiled.program, past, simulation.Response(body.uplift, 0.05),
                                 body.levels, draws=body.draws)  # fmt: skip
        budget = body.budget or float(compiled.program.budget or table.cost[:, -1].sum() / 2 or 1)
        shares = {str(k): v for k, v in body.min_share.items()}
        if sum(shares.values()) > 1:
            raise ValidationError("the minimum shares add up to more than 1", field="min_share")
        best = optimiser.solve(table.value, table.cost, budget, who.tiers, shares)
        rule = optimiser.greedy(table.value, table.cost, budget, who.tiers, shares)
        bound = optimiser.lp_bound(table.value, table.cost, budget, who.tiers, shares)
        return OptimiseOut(
            program=key, budget=budget, levels=table.levels, optimiser=best.summary(),
            greedy=rule.summary(), lp_bound=bound,
        )  # fmt: skip


# -- payouts ----------------------------------------------------------------------------------


@router.post(
    "/incentives/programs/{key}/payouts", response_model=RunOut, status_code=201,
    responses=errors(400, 404),
)  # fmt: skip
def run_incentive_payout(
    key: Key,
    body: PeriodIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> RunOut:
    """Compute and store a period's payout (the stored run when it was paid already)."""
    ctx = _ctx(request)
    with ctx.connect() as con:
        period = body.period or _last_period(unit, ctx, key, con)
        run = payouts.run_payout(unit, ctx, key, period, f"user:{caller.username}", con)
        return _run_out(unit, run)


def _last_period(unit: Session, ctx: service.Context, key: str, con: Any) -> str:
    compiled = service.compiled_of(ctx, service.get_program(unit, key))
    window = payouts.last_complete(compiled, ctx.last_day(con))
    if window is None:
        raise ValidationError("no period of the program is complete yet", field="period")
    return window.label


@router.post(
    "/incentives/programs/{key}/clawbacks", response_model=RunOut, status_code=201,
    responses=errors(400, 404),
)  # fmt: skip
def run_incentive_clawback(
    key: Key,
    body: MeasureIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> RunOut:
    """Check a paid period with the returns known at the end of its clawback window."""
    run = payouts.run_clawback(unit, _ctx(request), key, body.period, f"user:{caller.username}")
    return _run_out(unit, run)


@router.get(
    "/incentives/programs/{key}/payouts", response_model=list[RunOut], responses=errors(404)
)
def list_payout_runs(
    key: Key,
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> list[RunOut]:
    """The program's payout and clawback runs, newest period first."""
    row = service.get_program(unit, key)
    return [_run_out(unit, run) for run in payouts.runs_of(unit, row.id)]


@router.get("/incentives/payouts/{run_id}", response_model=RunOut, responses=errors(404))
def get_payout_run(
    run_id: RunId,
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> RunOut:
    """One payout run's totals."""
    return _run_out(unit, payouts.get_run(unit, run_id))


@router.get(
    "/incentives/payouts/{run_id}/lines", response_model=Page[LineOut], responses=errors(404)
)
def list_payout_lines(
    run_id: RunId,
    status: Literal["paid", "not_reached", "excluded", "holdout", "clawed_back", "kept"]
    | None = Query(None),
    seller_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    page: PageRequest = Depends(page_request),
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[LineOut]:
    """A run's lines: each merchant's measures, level, reward, caps and explanation."""
    payouts.get_run(unit, run_id)
    query = select(PayoutLine).where(PayoutLine.run_id == run_id)
    if status is not None:
        query = query.where(PayoutLine.status == status)
    if seller_id is not None:
        query = query.where(PayoutLine.seller_id == seller_id)
    sortable = {"seller_id": PayoutLine.seller_id, "amount": PayoutLine.amount,
                "target_value": PayoutLine.target_value}  # fmt: skip
    rows, total = paginate(unit, query, page, sortable, [PayoutLine.seller_id])
    items = [LineOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/incentives/payouts/{run_id}/file",
    response_class=Response,
    responses={
        **errors(404),
        200: {"content": {media: {} for media in FILES.values()}},
    },
)
def download_payout_file(
    run_id: RunId,
    format: Literal["csv", "xlsx"] = Query("csv"),
    _caller: Principal = Depends(needs("incentives:read")),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The payout file of a run (CSV or XLSX), one row per merchant."""
    body, media, name = payouts.payout_file(unit, run_id, format)
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.post(
    "/incentives/payouts/{run_id}/replay", response_model=ReplayOut, responses=errors(400, 404)
)
def replay_payout_run(
    run_id: RunId,
    request: Request,
    _caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> ReplayOut:
    """Compute a stored run again and compare every line (identical when nothing changed)."""
    result = payouts.replay(unit, _ctx(request), run_id)
    return ReplayOut(
        run_id=result.run_id, identical=result.identical, stored_digest=result.stored_digest,
        replayed_digest=result.replayed_digest, differences=len(result.differences),
        warehouse_changed=result.warehouse_changed,
    )  # fmt: skip


# -- measurement and the merchant's view -------------------------------------------------------


@router.post(
    "/incentives/programs/{key}/measure", response_model=MeasurementOut, responses=errors(400, 404)
)
def measure_incentive_program(
    key: Key,
    body: MeasureIn,
    request: Request,
    caller: Principal = Depends(needs("incentives:manage")),
    unit: Session = Depends(session, scope="function"),
) -> MeasurementOut:
    """The program's effect over a period (holdout comparison, or difference-in-differences),
    kept as an experiment when ``save``."""
    ctx = _ctx(request)
    report = experiments.measure_program(unit, ctx, key, body.period)
    saved = experiments.save(unit, ctx, report, f"user:{caller.username}") if body.save else None
    return MeasurementOut(
        program=key, design=report.design, period=report.window.label,
        before=report.before.label, report=experiments._json(report.body),
        experiment_id=saved.id if saved else None,
    )  # fmt: skip


@router.get("/incentives/mine", response_model=list[MyProgramOut], responses=errors(404))
def my_incentive_programs(
    request: Request,
    seller_id: str | None = Query(
        None, pattern=NO_NUL, max_length=100, description="Staff only: whose programs."
    ),
    caller: Principal = Depends(needs("incentives:own")),
    unit: Session = Depends(session, scope="function"),
) -> list[MyProgramOut]:
    """The programs a shop takes part in, its progress this period, the reward that would
    earn, and its payouts. A seller sees only its own shop."""
    if caller.sellers is not None:
        own = sorted(caller.sellers)
        if seller_id is not None and seller_id not in caller.sellers:
            raise NotFoundError(f"no shop {seller_id}")
        shop = seller_id or (own[0] if own else None)
    else:
        shop = seller_id
    if not shop:
        raise ValidationError("name the shop: seller_id", field="seller_id")
    items = portal.my_programs(unit, _ctx(request), shop)
    return [MyProgramOut.model_validate(_plain(item)) for item in items]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
