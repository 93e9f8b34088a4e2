"""Launch readiness: programs and their schedule (critical path, what a change would delay),
the RAID log, gates over live metrics and marking a program ready, SOP and training documents
with versions and acknowledgements, service metrics from tickets, handovers and the weekly
status report. Reading needs ``readiness:read``; every change ``readiness:manage``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.metrics.query import latest_day
from pasar.readiness import agents as agent_service
from pasar.readiness import documents as document_service
from pasar.readiness import gates as gate_service
from pasar.readiness import handover as handover_service
from pasar.readiness import repository as repo
from pasar.readiness import risks as risk_service
from pasar.readiness import service
from pasar.readiness import service_metrics as metrics
from pasar.readiness.models import PROGRAM_STATUSES, Agent, Document, Handover, Program, Risk, Task
from pasar.readiness.report import build_report, report_html, report_xlsx
from pasar.warehouse.store import Warehouse

router = APIRouter(prefix="/readiness", tags=["readiness"], responses=errors(400, 401, 403, 422))
READ, MANAGE = "readiness:read", "readiness:manage"
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Name = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=10_000)]
Reason = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=2000)]
Center = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
Centers = Annotated[list[Center], Field(max_length=50)]
Level = Annotated[int, Field(ge=1, le=5)]
Version = Annotated[int, Field(ge=1, le=MAX_ID)]
Ids = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=100)]


def _in_range(day: dt.date | None) -> dt.date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


Bounded = AfterValidator(_in_range)
AsOf = Annotated[dt.date | None, Query(description="Day (default: last day of data)."), Bounded]
StatusDate = Annotated[dt.date | None, Query(description="Status date (default: today)."), Bounded]
Since = Annotated[dt.date | None, Query(description="History from this day."), Bounded]
WeekEnd = Annotated[
    dt.date | None, Query(description="Last day of the week (default: today)."), Bounded
]

NOT_FOUND, CONFLICT = errors(404), errors(404, 409)


def _actor(caller: Principal) -> str:
    return f"user:{caller.username}"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def gate_context(request: Request) -> gate_service.Context:
    """The metric catalog and policy library gates are checked with, loaded once per app."""
    found = getattr(request.app.state, "readiness_context", None)
    if found is None:
        found = gate_service.Context.of(_settings(request))
        request.app.state.readiness_context = found
    return found


def data_day(request: Request) -> dt.date:
    """The last day with data in the warehouse (what metrics and gates default to)."""
    settings = _settings(request)
    return latest_day(Warehouse(settings.warehouse_dir).connect(), settings.timezone)


# -- programs and schedule ----------------------------------------------------------------------


class ProgramIn(BaseModel):
    name: Name
    owner: Name
    starts_on: Day
    launch_on: Day
    centers: Centers = []
    description: Text = ""


class ProgramOut(BaseModel):
    id: int
    name: str
    description: str
    owner: str
    starts_on: dt.date
    launch_on: dt.date
    centers: list[str]
    status: str
    ready_on: dt.date | None
    ready_by: str | None
    override_reason: str | None
    version: int


class ProgramChange(BaseModel):
    version: Version
    owner: Name | None = None
    launch_on: Day | None = None
    centers: Centers | None = None
    description: Text | None = None
    status: Literal["planning", "launched", "cancelled"] | None = None


def _program(program: Program) -> ProgramOut:
    return ProgramOut.model_validate(program, from_attributes=True)


@router.get("/programs", response_model=Page[ProgramOut])
def list_programs(
    status: str | None = Query(
        None, pattern=NO_NUL, max_length=20, description=", ".join(PROGRAM_STATUSES)
    ),
    page: PageRequest = Depends(page_request),
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> Page[ProgramOut]:
    """Programs, the next launch first."""
    query = select(Program)
    if status is not None:
        query = query.where(Program.status == status)
    sortable = {"name": Program.name, "launch_on": Program.launch_on, "status": Program.status}
    rows, total = paginate(unit, query, page, sortable, [Program.launch_on, Program.id])
    return Page(
        items=[_program(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/programs", response_model=ProgramOut, status_code=201, responses=errors(409))
def create_program(
    body: ProgramIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """A new program in planning; ``centers`` are its pilot centers (what gates check)."""
    program = service.create_program(
        unit,
        body.name,
        body.owner,
        body.starts_on,
        body.launch_on,
        body.centers,
        description=body.description,
        actor=_actor(caller),
    )
    return _program(program)


@router.get("/programs/{program_id}", response_model=ProgramOut, responses=NOT_FOUND)
def get_program(
    program_id: Id,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    return _program(repo.get(unit, Program, program_id))


@router.patch("/programs/{program_id}", response_model=ProgramOut, responses=CONFLICT)
def update_program(
    program_id: Id,
    body: ProgramChange,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ProgramOut:
    """Change the owner, launch date, pilot centers or status (ready: ``POST …/ready``)."""
    program = service.update_program(
        unit,
        program_id,
        actor=_actor(caller),
        seen_version=body.version,
        owner=body.owner,
        launch_on=body.launch_on,
        centers=body.centers,
        description=body.description,
        status=body.status,
    )
    return _program(program)


class TaskIn(BaseModel):
    name: Name
    owner: Name
    team: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    start_on: Day
    due_on: Day
    milestone: bool = False
    effort_days: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] | None = None
    predecessors: Ids = []


class TaskOut(BaseModel):
    id: int
    program_id: int
    name: str
    owner: str
    team: str
    start_on: dt.date
    due_on: dt.date
    baseline_due_on: dt.date
    milestone: bool
    status: str
    effort_days: float | None
    done_on: dt.date | None
    version: int


class PlannedTask(TaskOut):
    forecast_start: dt.date
    forecast_finish: dt.date
    late_finish: dt.date
    slack_days: int
    critical: bool
    late_days: int
    slip_days: int
    predecessors: list[int]


class ScheduleOut(BaseModel):
    program: ProgramOut
    status_date: dt.date
    forecast_finish: dt.date | None
    days_to_spare: int | None
    critical_path: list[int]
    tasks: list[PlannedTask]


def _task(task: Task) -> TaskOut:
    return TaskOut.model_validate(task, from_attributes=True)


@router.get("/programs/{program_id}/schedule", response_model=ScheduleOut, responses=NOT_FOUND)
def get_schedule(
    program_id: Id,
    today: StatusDate = None,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> ScheduleOut:
    """Every task with its forecast (earliest dates the dependencies and the status date
    allow), slack, whether it is critical, and how late it is."""
    day = today or dt.date.today()
    plan = service.program_plan(unit, program_id, day)
    tasks = [
        PlannedTask(
            **_task(p.task).model_dump(),
            forecast_start=p.start,
            forecast_finish=p.finish,
            late_finish=p.late_finish,
            slack_days=p.slack,
            critical=p.critical,
            late_days=p.late_days,
            slip_days=p.slip_days,
            predecessors=p.predecessors,
        )
        for p in plan.tasks
    ]
    return ScheduleOut(
        program=_program(plan.program),
        status_date=day,
        forecast_finish=plan.finish,
        days_to_spare=plan.days_to_spare,
        critical_path=[t.id for t in plan.critical_path],
        tasks=tasks,
    )


@router.post(
    "/programs/{program_id}/tasks", response_model=TaskOut, status_code=201, responses=CONFLICT
)
def add_task(
    program_id: Id,
    body: TaskIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> TaskOut:
    """A new task after ``predecessors``; a dependency that would close a cycle is refused
    (422) naming the cycle."""
    task = service.add_task(
        unit,
        program_id,
        body.name,
        body.owner,
        body.team,
        body.start_on,
        body.due_on,
        milestone=body.milestone,
        effort_days=body.effort_days,
        predecessors=body.predecessors,
        actor=_actor(caller),
    )
    return _task(task)


class TaskChange(BaseModel):
    start_on: Day | None = None
    due_on: Day | None = None
    milestone: bool | None = None
    today: Day | None = None


class TaskUpdate(TaskChange):
    version: Version
    name: Name | None = None
    owner: Name | None = None
    team: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)] | None = (
        None
    )
    effort_days: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] | None = None
    status: Literal["todo", "in_progress", "blocked", "done"] | None = None
    shift_downstream: bool = False


class MovedOut(BaseModel):
    task_id: int
    name: str
    start_before: dt.date
    start_after: dt.date
    finish_before: dt.date
    finish_after: dt.date
    days: int
    late_days_after: int


class ImpactOut(BaseModel):
    task: TaskOut
    changes: dict[str, list[Any]]
    moved: list[MovedOut]
    finish_before: dt.date | None
    finish_after: dt.date | None
    delay_days: int
    launch_on: dt.date
    misses_launch: bool


def _impact(impact: service.Impact) -> ImpactOut:
    return ImpactOut(
        task=_task(impact.task),
        changes={k: [str(a), str(b)] for k, (a, b) in impact.changes.items()},
        moved=[
            MovedOut(
                task_id=m.task.id,
                name=m.task.name,
                start_before=m.start_before,
                start_after=m.start_after,
                finish_before=m.finish_before,
                finish_after=m.finish_after,
                days=m.days,
                late_days_after=m.late_after,
            )
            for m in impact.moved
        ],
        finish_before=impact.finish_before,
        finish_after=impact.finish_after,
        delay_days=impact.delay,
        launch_on=impact.launch_on,
        misses_launch=impact.misses_launch,
    )


@router.post("/tasks/{task_id}/preview", response_model=ImpactOut, responses=NOT_FOUND)
def preview_task(
    task_id: Id,
    body: TaskChange,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> ImpactOut:
    """What moving a task's dates would delay downstream (nothing is saved)."""
    impact = service.preview_task_change(
        unit,
        task_id,
        start_on=body.start_on,
        due_on=body.due_on,
        milestone=body.milestone,
        today=body.today or dt.date.today(),
    )
    return _impact(impact)


@router.patch("/tasks/{task_id}", response_model=ImpactOut, responses=CONFLICT)
def update_task(
    task_id: Id,
    body: TaskUpdate,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ImpactOut:
    """Save a change to a task and answer what it delayed; ``shift_downstream`` moves the
    pushed tasks' planned dates too. 409 when someone changed the task first."""
    impact = service.update_task(
        unit,
        task_id,
        actor=_actor(caller),
        seen_version=body.version,
        name=body.name,
        owner=body.owner,
        team=body.team,
        start_on=body.start_on,
        due_on=body.due_on,
        milestone=body.milestone,
        effort_days=body.effort_days,
        status=body.status,
        today=body.today or dt.date.today(),
        shift_downstream=body.shift_downstream,
    )
    return _impact(impact)


class DependencyIn(BaseModel):
    predecessor_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    successor_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class DependencyOut(BaseModel):
    id: int
    program_id: int
    predecessor_id: int
    successor_id: int


@router.post("/dependencies", response_model=DependencyOut, status_code=201, responses=CONFLICT)
def add_dependency(
    body: DependencyIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> DependencyOut:
    """The successor waits for the predecessor; a cycle is refused (422) and named."""
    made = service.add_dependency(
        unit, body.predecessor_id, body.successor_id, actor=_actor(caller)
    )
    return DependencyOut.model_validate(made, from_attributes=True)


@router.delete(
    "/tasks/{task_id}/predecessors/{predecessor_id}", status_code=204, responses=NOT_FOUND
)
def remove_dependency(
    task_id: Id,
    predecessor_id: Id,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    service.remove_dependency(unit, predecessor_id, task_id, actor=_actor(caller))
    return Response(status_code=204)


# -- risks --------------------------------------------------------------------------------------


class RiskIn(BaseModel):
    title: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=300)]
    kind: Literal["risk", "assumption", "issue", "dependency"] = "risk"
    probability: Level
    impact: Level
    owner: Name
    description: Text = ""
    mitigation: Text = ""
    due_on: Day | None = None
    task_ids: Ids = []


class RiskChange(BaseModel):
    version: Version
    probability: Level | None = None
    impact: Level | None = None
    owner: Name | None = None
    mitigation: Text | None = None
    due_on: Day | None = None
    status: Literal["open", "mitigating", "accepted", "closed"] | None = None
    task_ids: Ids | None = None
    reason: Reason | None = None


class RiskOut(BaseModel):
    id: int
    program_id: int
    kind: str
    title: str
    description: str
    probability: int
    impact: int
    score: int
    owner: str
    mitigation: str
    due_on: dt.date | None
    status: str
    task_ids: list[int]
    overdue: bool
    version: int


class RaidOut(BaseModel):
    items: list[RiskOut]
    heat_map: list[list[int]] = Field(
        description="Open entries: rows impact 5…1, columns probability 1…5."
    )
    overdue: list[int]


def _risk(risk: Risk, today: dt.date) -> RiskOut:
    late = risk_service.is_open(risk) and risk.due_on is not None and risk.due_on < today
    return RiskOut(
        **{k: getattr(risk, k) for k in RiskOut.model_fields if k != "overdue"}, overdue=late
    )


@router.get("/programs/{program_id}/risks", response_model=RaidOut, responses=NOT_FOUND)
def list_risks(
    program_id: Id,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> RaidOut:
    """The program's RAID log, its heat map of open entries and the overdue mitigations."""
    program = repo.get(unit, Program, program_id)
    risks = list(repo.risks_of(unit, program.id))
    today = dt.date.today()
    return RaidOut(
        items=[_risk(r, today) for r in sorted(risks, key=lambda r: (-r.score, r.id))],
        heat_map=[[len(c.risks) for c in row] for row in risk_service.heat_map(risks)],
        overdue=[r.id for r in risk_service.overdue(risks, today)],
    )


@router.post(
    "/programs/{program_id}/risks", response_model=RiskOut, status_code=201, responses=NOT_FOUND
)
def add_risk(
    program_id: Id,
    body: RiskIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> RiskOut:
    risk = risk_service.add_risk(
        unit,
        program_id,
        body.title,
        probability=body.probability,
        impact=body.impact,
        owner=body.owner,
        kind=body.kind,
        description=body.description,
        mitigation=body.mitigation,
        due_on=body.due_on,
        task_ids=body.task_ids,
        actor=_actor(caller),
    )
    return _risk(risk, dt.date.today())


@router.patch("/risks/{risk_id}", response_model=RiskOut, responses=CONFLICT)
def update_risk(
    risk_id: Id,
    body: RiskChange,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> RiskOut:
    risk = risk_service.update_risk(
        unit,
        risk_id,
        actor=_actor(caller),
        seen_version=body.version,
        probability=body.probability,
        impact=body.impact,
        owner=body.owner,
        mitigation=body.mitigation,
        due_on=body.due_on,
        status=body.status,
        task_ids=body.task_ids,
        reason=body.reason,
    )
    return _risk(risk, dt.date.today())


# -- gates --------------------------------------------------------------------------------------


class GateIn(BaseModel):
    name: Name
    preset: Literal["csat", "first-response", "backlog", "sop-ack"] | None = Field(
        None, description="A common gate; else give policy_id or condition."
    )
    policy_id: (
        Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)] | None
    ) = None
    condition: (
        Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=4000)] | None
    ) = None
    centers: Centers = []
    description: Text = ""


class CheckOut(BaseModel):
    center: str
    result: str
    values: dict[str, Any]
    as_of: dt.date


class GateOut(BaseModel):
    id: int
    program_id: int
    name: str
    policy_id: str | None
    condition: str | None
    description: str
    centers: list[str]
    passed: bool | None
    as_of: dt.date | None
    latest: list[CheckOut]
    history: dict[str, bool]
    version: int


def _gate(status: gate_service.GateStatus) -> GateOut:
    gate = status.gate
    return GateOut(
        id=gate.id,
        program_id=gate.program_id,
        name=gate.name,
        policy_id=gate.policy_id,
        condition=gate.condition,
        description=gate.description,
        centers=gate.centers,
        passed=status.passed,
        as_of=status.as_of,
        latest=[
            CheckOut(center=c.center, result=c.result, values=c.values, as_of=c.as_of)
            for c in status.latest
        ],
        history={d.isoformat(): ok for d, ok in status.history.items()},
        version=gate.version,
    )


@router.get("/programs/{program_id}/gates", response_model=list[GateOut], responses=NOT_FOUND)
def list_gates(
    program_id: Id,
    since: Since = None,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> list[GateOut]:
    """Each gate with its latest check (values per center) and pass/fail by day."""
    repo.get(unit, Program, program_id)
    return [_gate(s) for s in gate_service.gate_status(unit, program_id, since)]


@router.post(
    "/programs/{program_id}/gates", response_model=GateOut, status_code=201, responses=CONFLICT
)
def add_gate(
    program_id: Id,
    body: GateIn,
    request: Request,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> GateOut:
    """A gate: a preset, a policy of the library (``policy_id``) or a ``condition`` over the
    center snapshot's columns and ``sop_ack_rate``."""
    spec = dict(gate_service.PRESETS[body.preset]) if body.preset else {}
    if body.preset and (body.policy_id or body.condition):
        raise ValidationError(
            "give a preset, a policy_id or a condition, not several", field="preset"
        )
    gate = gate_service.add_gate(
        unit,
        program_id,
        body.name,
        context=gate_context(request),
        policy_id=spec.get("policy_id", body.policy_id),
        condition=spec.get("condition", body.condition),
        centers=body.centers,
        description=body.description or spec.get("description", ""),
        actor=_actor(caller),
    )
    return _gate(gate_service.GateStatus(gate, [], {}))


class CheckIn(BaseModel):
    as_of: Day | None = Field(
        None, description="Day of the metrics (default: the last day of data)."
    )


class GateResultOut(BaseModel):
    gate_id: int
    name: str
    as_of: dt.date
    condition: str
    policy_version: int | None
    passed: bool
    centers: list[CheckOut]


def _result(result: gate_service.GateResult) -> GateResultOut:
    return GateResultOut(
        gate_id=result.gate.id,
        name=result.gate.name,
        as_of=result.as_of,
        condition=result.condition,
        policy_version=result.policy_version,
        passed=result.passed,
        centers=[
            CheckOut(center=c.center, result=c.result, values=c.values, as_of=result.as_of)
            for c in result.centers
        ],
    )


@router.post(
    "/programs/{program_id}/gates/check", response_model=list[GateResultOut], responses=NOT_FOUND
)
def check_gates(
    program_id: Id,
    body: CheckIn,
    request: Request,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> list[GateResultOut]:
    """Check every gate over the metrics as of a day (stored as that day's checks)."""
    repo.get(unit, Program, program_id)
    day = body.as_of or data_day(request)
    results = gate_service.check_gates(
        unit,
        _settings(request),
        program_id,
        day,
        actor=_actor(caller),
        context=gate_context(request),
    )
    return [_result(r) for r in results]


class ReadyIn(BaseModel):
    version: Version
    as_of: Day | None = Field(
        None, description="Day of the metrics (default: the last day of data)."
    )
    override_reason: Reason | None = Field(
        None, description="Why it is ready although a gate fails."
    )


class ReadyOut(BaseModel):
    program: ProgramOut
    overridden: bool
    gates: list[GateResultOut]


@router.post("/programs/{program_id}/ready", response_model=ReadyOut, responses=CONFLICT)
def mark_program_ready(
    program_id: Id,
    body: ReadyIn,
    request: Request,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ReadyOut:
    """Check the gates and mark the program ready; 409 listing the failing gates unless an
    ``override_reason`` is given (the override is audited)."""
    repo.get(unit, Program, program_id)
    program, results = gate_service.mark_ready(
        unit,
        _settings(request),
        program_id,
        body.as_of or data_day(request),
        actor=_actor(caller),
        override_reason=body.override_reason,
        seen_version=body.version,
        context=gate_context(request),
    )
    return ReadyOut(
        program=_program(program),
        overridden=program.override_reason is not None,
        gates=[_result(r) for r in results],
    )


# -- documents and agents -----------------------------------------------------------------------

Body = Annotated[
    str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=document_service.MAX_BODY)
]


class DocumentIn(BaseModel):
    title: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=300)]
    owner: Name
    body: Body
    kind: Literal["sop", "training"] = "sop"
    centers: Centers = []
    program_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    review_every_days: Annotated[int, Field(ge=7, le=3660)] = 180
    published_on: Day | None = None


class DocumentOut(BaseModel):
    id: int
    title: str
    kind: str
    owner: str
    program_id: int | None
    centers: list[str]
    review_every_days: int
    next_review_on: dt.date
    current_version: int
    version: int


class VersionOut(BaseModel):
    number: int
    note: str
    published_on: dt.date
    created_by: str


class CenterAckOut(BaseModel):
    center: str
    required: int
    acknowledged: int
    rate: float | None


class AgentOut(BaseModel):
    id: int
    ref: str
    name: str
    center: str
    role: str
    active: bool


class DocumentDetail(DocumentOut):
    body: str
    versions: list[VersionOut]
    centers_acknowledged: list[CenterAckOut]
    pending: list[AgentOut]


class Hit(BaseModel):
    document: DocumentOut
    matches: int
    snippet: str


def _document(document: Document) -> DocumentOut:
    return DocumentOut.model_validate(document, from_attributes=True)


def _agent(agent: Agent) -> AgentOut:
    return AgentOut.model_validate(agent, from_attributes=True)


@router.get("/documents", response_model=list[Hit])
def list_documents(
    q: str | None = Query(None, pattern=NO_NUL, max_length=200, description="Words to search for."),
    program_id: int | None = Query(None, ge=1, le=MAX_ID),
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> list[Hit]:
    """Documents (``q``: those whose title or current text holds every word, best first)."""
    if q:
        hits = document_service.search(unit, q)
        return [
            Hit(document=_document(h.document), matches=h.matches, snippet=h.snippet)
            for h in hits
            if program_id is None or h.document.program_id == program_id
        ]
    return [
        Hit(document=_document(d), matches=0, snippet="") for d in repo.documents(unit, program_id)
    ]


@router.post("/documents", response_model=DocumentOut, status_code=201, responses=CONFLICT)
def create_document(
    body: DocumentIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> DocumentOut:
    """A new document with its version 1; agents of ``centers`` must acknowledge it."""
    document = document_service.create_document(
        unit,
        body.title,
        body.owner,
        body.body,
        centers=body.centers,
        on=body.published_on or dt.date.today(),
        actor=_actor(caller),
        kind=body.kind,
        program_id=body.program_id,
        review_every_days=body.review_every_days,
    )
    return _document(document)


@router.get("/documents/{document_id}", response_model=DocumentDetail, responses=NOT_FOUND)
def get_document(
    document_id: Id,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> DocumentDetail:
    """A document's current text, its versions, acknowledgement by center, and exactly who
    has not acknowledged the current version."""
    document = repo.get(unit, Document, document_id)
    current = repo.version_of(unit, document.id, document.current_version)
    return DocumentDetail(
        **_document(document).model_dump(),
        body=current.body,
        versions=[
            VersionOut.model_validate(v, from_attributes=True)
            for v in repo.versions_of(unit, document.id)
        ],
        centers_acknowledged=[
            CenterAckOut(
                center=c.center, required=c.required, acknowledged=c.acknowledged, rate=c.rate
            )
            for c in document_service.by_center(unit, document)
        ],
        pending=[_agent(a) for a in document_service.pending(unit, document)],
    )


class PublishIn(BaseModel):
    version: Version = Field(description="The document's version as you read it.")
    body: Body
    note: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=2000)] = ""
    published_on: Day | None = None


@router.post(
    "/documents/{document_id}/versions",
    response_model=VersionOut,
    status_code=201,
    responses=CONFLICT,
)
def publish_document_version(
    document_id: Id,
    body: PublishIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> VersionOut:
    """Publish the next version: every required agent must acknowledge it anew."""
    made = document_service.publish_version(
        unit,
        document_id,
        body.body,
        note=body.note,
        on=body.published_on or dt.date.today(),
        actor=_actor(caller),
        seen_version=body.version,
    )
    return VersionOut.model_validate(made, from_attributes=True)


class DiffLineOut(BaseModel):
    kind: str
    text: str
    old: int | None
    new: int | None


@router.get("/documents/{document_id}/diff", response_model=list[DiffLineOut], responses=NOT_FOUND)
def diff_document(
    document_id: Id,
    old: int = Query(..., ge=1, le=MAX_ID),
    new: int = Query(..., ge=1, le=MAX_ID),
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> list[DiffLineOut]:
    """The lines changed between two versions (``hunk`` headers, ``add``, ``remove``,
    ``same`` context)."""
    lines = document_service.diff(unit, document_id, old, new)
    return [DiffLineOut(kind=x.kind, text=x.text, old=x.old, new=x.new) for x in lines]


class AckIn(BaseModel):
    agent_ref: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    version: Version | None = Field(None, description="Must be the current version (default).")


class AckOut(BaseModel):
    document_id: int
    version: int
    agent_ref: str
    acknowledged_at: dt.datetime
    new: bool


@router.post("/documents/{document_id}/acknowledgements", response_model=AckOut, responses=CONFLICT)
def acknowledge_document(
    document_id: Id,
    body: AckIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> AckOut:
    """An agent acknowledges the current version (an older version is refused, 409)."""
    made, new = document_service.acknowledge(
        unit, document_id, body.agent_ref, version=body.version, actor=_actor(caller)
    )
    return AckOut(
        document_id=made.document_id,
        version=made.version,
        agent_ref=body.agent_ref,
        acknowledged_at=made.acknowledged_at,
        new=new,
    )


class AgentIn(BaseModel):
    ref: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    name: Name
    center: Center
    role: Literal["agent", "lead"] = "agent"


@router.get("/agents", response_model=list[AgentOut])
def list_agents(
    center: str | None = Query(None, pattern=NO_NUL, max_length=100),
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> list[AgentOut]:
    """Active agents (of one center)."""
    return [_agent(a) for a in repo.agents(unit, [center] if center else None)]


@router.post("/agents", response_model=AgentOut, status_code=201, responses=errors(409))
def add_agent(
    body: AgentIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> AgentOut:
    agent = agent_service.add_agent(
        unit, body.ref, body.name, body.center, role=body.role, actor=_actor(caller)
    )
    return _agent(agent)


# -- service metrics ----------------------------------------------------------------------------


class MetricsOut(BaseModel):
    as_of: dt.date
    by: str
    rows: list[dict[str, Any]]


@router.get("/metrics", response_model=MetricsOut)
def service_metrics(
    request: Request,
    by: Literal["center", "channel", "reason"] = Query("center"),
    as_of: AsOf = None,
    _caller: Principal = Depends(needs(READ)),
) -> MetricsOut:
    """Service metrics from tickets per center, channel or contact reason (``key``)."""
    day = as_of or data_day(request)
    return MetricsOut(as_of=day, by=by, rows=metrics.service_metrics(_settings(request), day, by))


class ReasonOut(BaseModel):
    reason: str
    contacts: int
    previous: int
    change: int
    change_rate: float | None
    share: float
    cumulative: float


@router.get("/metrics/reasons", response_model=list[ReasonOut])
def contact_reasons(
    request: Request,
    as_of: AsOf = None,
    center: list[str] | None = Query(None, max_length=50, description="Only these centers."),
    _caller: Principal = Depends(needs(READ)),
) -> list[ReasonOut]:
    """The Pareto of contact reasons over 7 days with the change from the 7 days before."""
    if center and any("\x00" in c or len(c) > 100 for c in center):
        raise ValidationError("center: at most 100 characters, no NUL", field="center")
    rows = metrics.contact_reasons(_settings(request), as_of or data_day(request), center)
    return [
        ReasonOut(
            reason=r.reason,
            contacts=r.contacts,
            previous=r.previous,
            change=r.change,
            change_rate=r.change_rate,
            share=r.share,
            cumulative=r.cumulative,
        )
        for r in rows
    ]


class AlertOut(BaseModel):
    key: str
    metric: str
    threshold: str
    value: float | None
    previous: float | None
    state: str


@router.get("/metrics/alerts", response_model=list[AlertOut])
def metric_alerts(
    request: Request,
    by: Literal["center", "channel", "reason"] = Query("center"),
    as_of: AsOf = None,
    _caller: Principal = Depends(needs(READ)),
) -> list[AlertOut]:
    """Metrics outside their threshold: newly ``crossed`` this week, ``still`` outside, or
    ``recovered``."""
    found = metrics.alerts(_settings(request), as_of or data_day(request), by)
    return [
        AlertOut(
            key=a.key,
            metric=a.threshold.metric,
            threshold=a.threshold.describe(),
            value=a.value,
            previous=a.previous,
            state=a.state,
        )
        for a in found
    ]


# -- handovers ----------------------------------------------------------------------------------


class ItemIn(BaseModel):
    text: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=500)]
    gate_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    document_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class HandoverIn(BaseModel):
    center: Center
    items: Annotated[list[ItemIn], Field(max_length=100)] = []


class ItemOut(BaseModel):
    id: int
    position: int
    text: str
    gate_id: int | None
    document_id: int | None
    done: bool
    done_by: str | None
    done_on: dt.date | None
    blocker: str | None
    version: int


class HandoverOut(BaseModel):
    id: int
    program_id: int
    center: str
    status: str
    signed_by: str | None
    signed_on: dt.date | None
    override_reason: str | None
    items: list[ItemOut]
    version: int


def _handover(unit: Session, handover: Handover) -> HandoverOut:
    lines = handover_service.checklist(unit, handover)
    signer = unit.get(Agent, handover.signed_by_agent_id) if handover.signed_by_agent_id else None
    return HandoverOut(
        id=handover.id,
        program_id=handover.program_id,
        center=handover.center,
        status=handover.status,
        signed_by=signer.ref if signer else None,
        signed_on=handover.signed_on,
        override_reason=handover.override_reason,
        items=[
            ItemOut(
                **{k: getattr(line.item, k) for k in ItemOut.model_fields if k != "blocker"},
                blocker=line.blocker,
            )
            for line in lines
        ],
        version=handover.version,
    )


@router.get(
    "/programs/{program_id}/handovers", response_model=list[HandoverOut], responses=NOT_FOUND
)
def list_handovers(
    program_id: Id,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> list[HandoverOut]:
    """The program's handovers, each line with what still blocks it."""
    repo.get(unit, Program, program_id)
    return [_handover(unit, h) for h in repo.handovers_of(unit, program_id)]


@router.post(
    "/programs/{program_id}/handovers",
    response_model=HandoverOut,
    status_code=201,
    responses=CONFLICT,
)
def open_handover(
    program_id: Id,
    body: HandoverIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> HandoverOut:
    """A handover of the program to a receiving center, with its checklist."""
    handover = handover_service.open_handover(
        unit,
        program_id,
        body.center,
        items=[(i.text, i.gate_id, i.document_id) for i in body.items],
        actor=_actor(caller),
    )
    return _handover(unit, handover)


@router.post(
    "/handovers/{handover_id}/items", response_model=ItemOut, status_code=201, responses=CONFLICT
)
def add_handover_item(
    handover_id: Id,
    body: ItemIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ItemOut:
    item = handover_service.add_item(
        unit,
        handover_id,
        body.text,
        gate_id=body.gate_id,
        document_id=body.document_id,
        actor=_actor(caller),
    )
    return ItemOut(
        **{k: getattr(item, k) for k in ItemOut.model_fields if k != "blocker"}, blocker=None
    )


class TickIn(BaseModel):
    done: bool
    version: Version


@router.patch("/handover-items/{item_id}", response_model=ItemOut, responses=CONFLICT)
def tick_handover_item(
    item_id: Id,
    body: TickIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> ItemOut:
    item = handover_service.tick(
        unit,
        item_id,
        done=body.done,
        on=dt.date.today(),
        actor=_actor(caller),
        seen_version=body.version,
    )
    return ItemOut(
        **{k: getattr(item, k) for k in ItemOut.model_fields if k != "blocker"}, blocker=None
    )


class SignOffIn(BaseModel):
    lead_ref: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    version: Version
    override_reason: Reason | None = None


@router.post("/handovers/{handover_id}/sign-off", response_model=HandoverOut, responses=CONFLICT)
def sign_off_handover(
    handover_id: Id,
    body: SignOffIn,
    caller: Principal = Depends(needs(MANAGE)),
    unit: Session = Depends(session, scope="function"),
) -> HandoverOut:
    """The receiving center's lead signs off; 409 listing what blocks it unless an
    ``override_reason`` is given (audited)."""
    handover = handover_service.sign_off(
        unit,
        handover_id,
        body.lead_ref,
        on=dt.date.today(),
        actor=_actor(caller),
        override_reason=body.override_reason,
        seen_version=body.version,
    )
    return _handover(unit, handover)


# -- report -------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/programs/{program_id}/report",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {"content": {XLSX: {}, "text/html": {}}, "description": "The report."},
    },
)
def status_report(
    program_id: Id,
    request: Request,
    format: Literal["xlsx", "html"] = Query("html"),
    as_of: WeekEnd = None,
    _caller: Principal = Depends(needs(READ)),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The weekly status report of a program as an XLSX workbook or an HTML page."""
    report = build_report(unit, _settings(request), program_id, as_of or dt.date.today())
    if format == "xlsx":
        name = f"{report.file_stem}.xlsx"
        return Response(
            report_xlsx(report),
            media_type=XLSX,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return Response(report_html(report), media_type="text/html; charset=utf-8")
