"""Creator endpoints: find creators and read one creator's profile and metrics; which
creators outsourced agents look after, and the agencies those agents work for.

A creator sees only its own profile and an agent only the creators assigned to them; any
other creator answers 404, exactly as one that does not exist, and lists are filtered.
Assignments and agencies need ``creators:assign`` (creator managers): an agent cannot assign
creators to itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import (
    NO_NUL,
    Page,
    PageRequest,
    errors,
    page_of,
    page_request,
    page_window,
    sort_order,
)
from pasar.creators import agencies as agency_service
from pasar.creators.assignments import (
    agent_named,
    assign,
    assignment_rows,
    creator_ids,
    unassign,
)
from pasar.creators.profiles import creator_profile, find_creators, unknown_creators
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["creators"], responses=errors(401, 403, 422))
CreatorId = Annotated[str, Path(pattern=NO_NUL, max_length=100)]
SORTABLE = ("creator_id", "handle", "followers", "primary_category", "province")
Username = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
SubjectId = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
MAX_ASSIGN = 500  # creators per request


class Creator(BaseModel):
    creator_id: str
    handle: str
    followers: int
    primary_category: str | None
    province: str | None


class CreatorDetail(Creator):
    as_of: dt.date | None
    metrics: dict[str, float | int | None]


@router.get("/creators", response_model=Page[Creator])
def list_creators(
    request: Request,
    q: str = Query("", pattern=NO_NUL, max_length=100, description="Part of the id or handle."),
    category: str = Query("", pattern=NO_NUL, max_length=100, description="Primary category."),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """Creators the caller may see, most followed first (``sort`` by any field)."""
    rows = find_creators(request.app.state.settings, caller.creators, q, category)
    order = sort_order(page.sort, SORTABLE)
    if order is not None:
        name, descending = order
        rows.sort(key=lambda r: (r[name] is None, r[name]), reverse=descending)
    return page_window(rows, page)


@router.get("/creators/{creator_id}", response_model=CreatorDetail, responses=errors(404))
def get_creator(
    creator_id: CreatorId,
    request: Request,
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """One creator's profile and the metrics of the latest creator snapshot."""
    if not caller.may_see_creator(creator_id):
        raise NotFoundError(f"no creator {creator_id}")
    profile = creator_profile(request.app.state.settings, creator_id)
    return {**profile.__dict__, "metrics": {k: _plain(v) for k, v in profile.metrics.items()}}


def _plain(value: Any) -> float | int | None:
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


# -- assignments --------------------------------------------------------------------------


class Assignment(BaseModel):
    id: int
    agent: str
    agency: str | None
    creator_id: str
    starts_on: dt.date
    ends_on: dt.date | None
    assigned_by: str


class AssignIn(BaseModel):
    agent: Username = Field(description="The agent's login name.")
    creators: list[SubjectId] = Field(min_length=1, max_length=MAX_ASSIGN)
    starts_on: dt.date | None = Field(None, description="First day (default: today).")


class Assigned(BaseModel):
    agent: str
    assigned: list[str] = Field(description="Creators newly assigned (others were already).")
    starts_on: dt.date


class Unassigned(BaseModel):
    agent: str
    ended: int = Field(description="Assignments ended (their last day is yesterday).")


ASSIGNMENT_SORTABLE = ("agent", "agency", "creator_id", "starts_on", "assigned_by")


@router.get("/assignments", response_model=Page[Assignment], responses=errors(404))
def list_assignments(
    agent: str | None = Query(None, pattern=NO_NUL, max_length=100),
    agency: str | None = Query(None, pattern=NO_NUL, max_length=100),
    creator_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    as_of: dt.date | None = Query(None, description="Day (default: today)."),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """The assignments open on a day (of an agent, an agency's agents or a creator), by agent
    and creator (``sort`` by any field). Days are the server's, as for what agents see."""
    if agency is not None:
        agency_service.agency_named(unit, agency)  # 404 for an agency that does not exist
    rows = assignment_rows(
        unit, as_of or dt.date.today(), agent=agent, agency=agency, creator_id=creator_id
    )
    return page_of(rows, page, ASSIGNMENT_SORTABLE)


@router.post("/assignments", response_model=Assigned, status_code=201, responses=errors(404))
def assign_creators(
    body: AssignIn,
    request: Request,
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Let an agent look after creators from a day on (creators it already looks after are
    kept); 404 for an agent or a creator that does not exist."""
    agent = agent_named(unit, body.agent)
    wanted = creator_ids(body.creators)
    missing = unknown_creators(request.app.state.settings, wanted)
    if missing:
        raise NotFoundError(f"no creator {', '.join(missing[:5])}", field="creators")
    first = body.starts_on or dt.date.today()
    made = assign(unit, agent, wanted, first, f"user:{caller.username}")
    return {"agent": agent.username, "assigned": [a.creator_id for a in made], "starts_on": first}


@router.delete("/assignments", response_model=Unassigned, responses=errors(404))
def unassign_creators(
    agent: str = Query(..., pattern=NO_NUL, min_length=1, max_length=100),
    creator_id: list[str] = Query(
        ..., min_length=1, max_length=MAX_ASSIGN, description="Repeat for each creator."
    ),
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """End an agent's assignments of creators: from today it no longer sees them."""
    user = agent_named(unit, agent)
    ended = unassign(unit, user, creator_ids(creator_id, "creator_id"), dt.date.today(),
                     f"user:{caller.username}")  # fmt: skip
    return {"agent": user.username, "ended": ended}


# -- agencies -----------------------------------------------------------------------------


class AgencyOut(BaseModel):
    id: int
    name: str
    contact: str | None
    agents: list[str]
    creators: int = Field(description="Creators its agents look after today.")


class AgencyIn(BaseModel):
    name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    contact: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=200)] | None = None
    agents: list[Username] = Field(default_factory=list, max_length=MAX_ASSIGN)


class MembersIn(BaseModel):
    agency: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    agents: list[Username] = Field(min_length=1, max_length=MAX_ASSIGN)


class Members(BaseModel):
    agency: str | None
    changed: int = Field(description="Agents whose agency changed (others were already in).")


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> list[dict[str, Any]]:
    """Every outsourced agency with its agents and the creators they look after today."""
    return agency_service.agencies(unit, dt.date.today())


@router.post("/agencies", response_model=AgencyOut, status_code=201, responses=errors(404, 409))
def create_agency(
    body: AgencyIn,
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """A new agency (409 when the name is taken, in any case), with its first agents."""
    actor = f"user:{caller.username}"
    members = [agent_named(unit, name, "agents") for name in dict.fromkeys(body.agents)]
    agency = agency_service.create_agency(unit, body.name, actor, body.contact)
    if members:
        agency_service.join_agency(unit, agency.name, members, dt.date.today(), actor)
    return next(a for a in agency_service.agencies(unit, dt.date.today()) if a["id"] == agency.id)


@router.post("/agencies/members", response_model=Members, responses=errors(404))
def join_agency(
    body: MembersIn,
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Agents start working for an agency (leaving the one they were in)."""
    members = [agent_named(unit, name, "agents") for name in dict.fromkeys(body.agents)]
    agency = agency_service.agency_named(unit, body.agency)
    changed = agency_service.join_agency(
        unit, agency.name, members, dt.date.today(), f"user:{caller.username}"
    )
    return {"agency": agency.name, "changed": changed}


@router.delete("/agencies/members", response_model=Members, responses=errors(404))
def leave_agency(
    agent: str = Query(..., pattern=NO_NUL, min_length=1, max_length=100),
    caller: Principal = Depends(needs("creators:assign")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """An agent no longer works for its agency (``changed`` is 0 when it was in none)."""
    user = agent_named(unit, agent)
    before = agency_service.agency_of_agents(unit).get(user.username)
    left = agency_service.leave_agency(unit, user, f"user:{caller.username}")
    return {"agency": before, "changed": int(left)}
