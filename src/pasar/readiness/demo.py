"""Demo content of launch readiness: one realistic program — live chat for sellers, piloted by
the Makassar center (Sulawesi) — with its schedule (one task slipped), RAID log (one
mitigation overdue), gates over the live metrics (checked weekly when the warehouse has
tickets), an SOP in two versions with partial acknowledgements, and a handover in progress.

Example::

    with db.unit_of_work() as session:
        program = seed_demo(session, settings, day)   # nothing new when it already exists
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.metrics.query import latest_day
from pasar.readiness import agents as agent_service
from pasar.readiness import documents, gates, handover, risks, service
from pasar.readiness import repository as repo
from pasar.readiness.models import Agent, Program
from pasar.warehouse.store import Warehouse

NAME = "Live chat for sellers in Sulawesi pilot"
ACTOR = "demo"
CENTER = "Makassar"
AGENTS = [  # Makassar's live chat team; the first is the team lead
    ("MKS-001", "Andi Pratama", "lead"),
    ("MKS-002", "Nurul Hidayah", "agent"),
    ("MKS-003", "Rahmat Syam", "agent"),
    ("MKS-004", "Sitti Aminah", "agent"),
    ("MKS-005", "Fadli Rasyid", "agent"),
    ("MKS-006", "Wahyuni Kadir", "agent"),
    ("MKS-007", "Irwan Mappa", "agent"),
    ("MKS-008", "Dian Lestari", "agent"),
]
SOP_V1 = """# Live chat for sellers — standard operating procedure

## Scope
Sellers in Sulawesi reach the Makassar center by live chat from Seller Center.

## Service levels
- First response within 1 hour, 08:00–22:00 WITA.
- Resolve in the chat when possible; otherwise open a ticket and tell the seller when to
  expect an answer.

## Opening the chat
1. Greet the seller by shop name.
2. Confirm the shop id and the order or listing in question.

## Refunds
Refund questions are transferred to the buyer-support queue.

## Closing
Summarise what was agreed and ask for a rating.
"""
SOP_V2 = """# Live chat for sellers — standard operating procedure

## Scope
Sellers in Sulawesi reach the Makassar center by live chat from Seller Center.

## Service levels
- First response within 1 hour, 08:00–22:00 WITA.
- Resolve in the chat when possible; otherwise open a ticket and tell the seller when to
  expect an answer.

## Opening the chat
1. Greet the seller by shop name.
2. Confirm the shop id and the order or listing in question.

## Refunds and returns
Agents resolve seller-side refund questions in the chat: check the return reason and fault,
explain the deduction, and open a dispute when the seller disagrees (within 2 days).

## Escalation
Penalty appeals and account access go to Jakarta L2 with the chat transcript; tell the seller
the case number and that L2 answers within 24 hours.

## Closing
Summarise what was agreed and ask for a rating.
"""
TRAINING = """# Live chat training: tone and macros

- Write in clear Bahasa Indonesia; switch to English only when the seller does.
- Use the macros in the chat tool for greetings and closings; personalise the middle.
- Never promise a refund amount before the return is checked.
"""


def seed_demo(session: Session, settings: Settings, today: dt.date) -> Program:
    """Create the demo program around ``today`` (its go-live is in four days; the gates are
    checked on the warehouse's last day up to ``today``); returns the existing program when
    it was already created."""
    found = session.scalar(select(Program).where(Program.name == NAME))
    if found is not None:
        return found
    start = today - dt.timedelta(days=27)

    def day(offset: int) -> dt.date:
        return start + dt.timedelta(days=offset)

    program = service.create_program(
        session,
        NAME,
        "Dewi Kartika",
        start,
        day(43),
        [CENTER],
        actor=ACTOR,
        description="Sellers in Sulawesi get live chat in Seller Center, answered by the "
        "Makassar center; after the pilot, other regions follow.",
    )

    def task(
        name: str,
        team: str,
        owner: str,
        first: int,
        last: int,
        after: list[int],
        *,
        effort: float | None = None,
        milestone: bool = False,
    ) -> int:
        made = service.add_task(
            session,
            program.id,
            name,
            owner,
            team,
            day(first),
            day(last),
            milestone=milestone,
            effort_days=effort,
            predecessors=after,
            actor=ACTOR,
        )
        return made.id

    scope = task("Scope and success criteria", "Program office", "Dewi Kartika", 0, 4, [], effort=3)
    vendor = task(
        "Chat vendor contract signed", "Procurement", "Rudi Hartono", 5, 14, [scope], effort=4
    )
    sop = task(
        "Write the live chat SOP", "Service design", "Dewi Kartika", 5, 11, [scope], effort=5
    )
    routing = task(
        "Configure chat routing for the seller queue",
        "Platform",
        "Bima Saputra",
        15,
        26,
        [vendor],
        effort=12,
    )
    recruit = task(
        "Recruit Makassar chat agents", "Workforce", "Sari Wulandari", 5, 18, [scope], effort=10
    )
    sop_v2 = task(
        "SOP v2: refunds and escalation", "Service design", "Dewi Kartika", 12, 15, [sop], effort=2
    )
    train = task(
        "Train Makassar agents", "Training", "Lina Marlina", 29, 33, [recruit, sop_v2], effort=8
    )
    dry_run = task(
        "Dry run with 50 sellers",
        "Service operations",
        "Andi Pratama",
        34,
        41,
        [routing, train],
        effort=6,
    )
    review = task(
        "Go-live readiness review",
        "Program office",
        "Dewi Kartika",
        42,
        42,
        [dry_run],
        effort=1,
    )
    task("Pilot go-live", "Program office", "Dewi Kartika", 43, 43, [review], milestone=True)
    # hiring takes ten days more than planned: the change is saved, its baseline kept
    service.update_task(session, recruit, actor=ACTOR, due_on=day(28), status="in_progress")
    for done, finished in ((scope, 4), (vendor, 15), (sop, 11), (sop_v2, 15)):
        service.update_task(session, done, actor=ACTOR, status="done", on=day(finished))
    service.update_task(session, routing, actor=ACTOR, status="in_progress")

    for title, kind, p, i, owner, mitigation, due, linked in [
        (
            "Makassar hiring lags the plan",
            "risk",
            3,
            4,
            "Sari Wulandari",
            "Borrow two chat agents from Surabaya for the first month",
            day(24),
            [recruit],
        ),
        (
            "Chat vendor uptime below 99.5%",
            "risk",
            2,
            5,
            "Rudi Hartono",
            "Penalty clause in the contract; fallback to the ticket form",
            day(40),
            [vendor],
        ),
        (
            "Sellers keep calling the phone line",
            "assumption",
            3,
            2,
            "Dewi Kartika",
            "Banner in Seller Center and a message to the 500 most active shops",
            day(44),
            [],
        ),
        (
            "Routing cannot tag sellers by island yet",
            "issue",
            4,
            3,
            "Bima Saputra",
            "Route by province until the island tag ships",
            day(30),
            [routing],
        ),
        (
            "Seller app 4.12 must ship the chat entry point",
            "dependency",
            2,
            4,
            "Bima Saputra",
            "Agree the release date with the app team; web chat as a fallback",
            day(38),
            [dry_run],
        ),
    ]:
        risks.add_risk(
            session,
            program.id,
            title,
            kind=kind,
            probability=p,
            impact=i,
            owner=owner,
            mitigation=mitigation,
            due_on=due,
            task_ids=linked,
            actor=ACTOR,
        )

    for ref, name, role in AGENTS:
        if session.scalar(select(Agent.id).where(Agent.ref == ref)) is None:
            agent_service.add_agent(session, ref, name, CENTER, role=role, actor=ACTOR)
    manual = documents.create_document(
        session,
        "Live chat SOP for seller support",
        "Dewi Kartika",
        SOP_V1,
        centers=[CENTER],
        on=day(11),
        actor=ACTOR,
        program_id=program.id,
        review_every_days=90,
    )
    for ref, _name, _role in AGENTS:
        documents.acknowledge(session, manual.id, ref, actor=ACTOR)
    documents.publish_version(
        session,
        manual.id,
        SOP_V2,
        note="Refunds resolved in chat; escalation to Jakarta L2",
        on=day(15),
        actor=ACTOR,
    )
    for ref, _name, _role in AGENTS[:5]:  # three agents still have to read version 2
        documents.acknowledge(session, manual.id, ref, actor=ACTOR)
    training = documents.create_document(
        session,
        "Live chat training: tone and macros",
        "Lina Marlina",
        TRAINING,
        centers=[CENTER],
        on=day(25),
        actor=ACTOR,
        kind="training",
        program_id=program.id,
        review_every_days=180,
    )
    for ref, _name, _role in AGENTS[:6]:
        documents.acknowledge(session, training.id, ref, actor=ACTOR)

    context = gates.Context.of(settings)
    made = {}
    for name, preset in [
        ("CSAT at least 4.5", "csat"),
        ("First response p90 within 1 h", "first-response"),
        ("Backlog within 2 days of volume", "backlog"),
        ("SOPs acknowledged by 95%", "sop-ack"),
    ]:
        spec = gates.PRESETS[preset]
        made[preset] = gates.add_gate(
            session,
            program.id,
            name,
            context=context,
            policy_id=spec.get("policy_id"),
            condition=spec.get("condition"),
            description=spec["description"],
            on=today,
            actor=ACTOR,
        )
    warehouse = Warehouse(settings.warehouse_dir)
    if warehouse.manifest().entry("tickets").segments:
        # as of the warehouse's last day (the demo marketplace may end before today)
        last = min(today, latest_day(warehouse.connect(), settings.timezone))
        for weeks_ago in (3, 2, 1, 0):  # a history to look at
            gates.check_gates(
                session,
                settings,
                program.id,
                last - dt.timedelta(weeks=weeks_ago),
                actor=ACTOR,
                context=context,
            )

    handover.open_handover(
        session,
        program.id,
        CENTER,
        actor=ACTOR,
        items=[
            "Weekend on-call rota agreed",
            "Escalation path to Jakarta L2 tested",
            ("CSAT gate passes for Makassar", made["csat"].id, None),
            ("Live chat SOP acknowledged by every agent", None, manual.id),
        ],
    )
    opened = repo.handovers_of(session, program.id)[0]
    first = repo.items_of(session, opened.id)[0]
    handover.tick(session, first.id, done=True, on=today, actor="user:andi")
    return program
