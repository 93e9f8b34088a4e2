"""``pasar creators samples`` and ``pasar creators vouchers``: sample requests through their
deadlines, and sample-voucher budgets with their codes.

Eligibility is judged on the latest creator snapshot (``pasar metrics snapshot creator``) and
the store's sample history; ``samples overdue`` first records what time decided (expired
requests, overdue content, missed refund goals), then lists overdue content per point of
contact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.governance import _store
from pasar.cli.output import console
from pasar.config import get_settings
from pasar.console.formats import local_time, show
from pasar.creators import samples, vouchers
from pasar.creators.collaboration_models import SampleRequest, SampleVoucher
from pasar.creators.days import ZONE, today
from pasar.creators.eligibility import policies_for, standing_of
from pasar.kit.clock import now
from pasar.kit.errors import ValidationError

app = typer.Typer(
    help="Sample requests: eligibility, caps, decisions, deadlines.", no_args_is_help=True
)
vouchers_app = typer.Typer(
    help="Sample vouchers: budgets, codes, redemptions.", no_args_is_help=True
)
_ACTOR = typer.Option("cli", "--as", help="Who acts (a username), for the audit log.")
_MONEY = re.compile(r"^(?:Rp\s?)?[0-9][0-9._,]*$", re.IGNORECASE)


def _actor(name: str) -> str:
    return name if name == "cli" else f"user:{name}"


def rupiah(text: str | None, option: str) -> Decimal | None:
    """``85000``, ``85.000`` or ``Rp 85.000`` as whole rupiah; a clear error otherwise."""
    if text is None:
        return None
    if not _MONEY.match(text.strip()):
        raise ValidationError(
            f"{option} {text!r} is not an amount like 85000 or Rp 85.000", field=option
        )
    digits = re.sub(r"[^0-9]", "", text)
    try:
        return Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the pattern allows digits only
        raise ValidationError(f"{option} {text!r} is not an amount", field=option) from exc


def _moment(text: str | None, option: str) -> dt.datetime | None:
    """``YYYY-MM-DD`` (00:00) or ``YYYY-MM-DDTHH:MM`` in Jakarta time."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"{option} {text!r} is not a time like 2026-11-05T14:30", field=option
        ) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=ZONE)).astimezone(dt.UTC)


@app.command("request")
def request_command(
    creator: str = typer.Argument(..., help="Creator id."),
    seller: str = typer.Argument(..., help="Seller id."),
    product: str = typer.Argument(..., help="Product id."),
    kind: str = typer.Option("free", "--kind", help="free or refundable."),
    goal: int | None = typer.Option(None, "--goal", help="Refundable: orders to earn it (1-3)."),
    quantity: int = typer.Option(1, "--quantity", help="Units."),
    pitch: int | None = typer.Option(None, "--pitch", help="The pitch it belongs to."),
    contact: str | None = typer.Option(None, "--contact", help="Point of contact (username)."),
    cost: str | None = typer.Option(None, "--cost", help="What the sample costs (Rp)."),
    actor: str = _ACTOR,
) -> None:
    """Request a sample; a free one must pass the eligibility pack and the monthly cap."""
    settings = get_settings()
    with _store() as session:
        standing = standing_of(session, settings, creator, today(), now())
        sample = samples.request_sample(
            session,
            creator_id=creator,
            seller_id=seller,
            product_id=product,
            actor=_actor(actor),
            standing=standing,
            policies=policies_for(settings),
            kind=kind,
            quantity=quantity,
            pitch_id=pitch,
            point_of_contact=contact,
            refund_goal_orders=goal,
            sample_cost=rupiah(cost, "--cost"),
            currency=settings.currency,
        )
        console.print(
            f"Sample #{sample.id} requested ({sample.kind}, level L{sample.level}); the seller "
            f"decides by {local_time(sample.decision_due_at)}."
        )
        for check in (sample.eligibility or {}).get("checks", []):
            mark = "[green]✓[/]" if check["passed"] else "[red]✗[/]"
            console.print(f"  {mark} {escape(check['en'])}")


@app.command("eligibility")
def eligibility_command(creator: str = typer.Argument(..., help="Creator id.")) -> None:
    """Whether a creator may request a free sample today, why, and its monthly cap."""
    settings = get_settings()
    day = today()
    with _store() as session:
        standing = standing_of(session, settings, creator, day, now())
        verdict = policies_for(settings).evaluate(standing, day, settings.currency)
        cap = samples.cap_status(session, creator, standing.level, day)
    state = "[green]eligible[/]" if verdict.eligible else "[red]not eligible[/]"
    basis = f"snapshot of {standing.as_of}" if standing.as_of else "no creator snapshot"
    console.print(f"{escape(creator)} is {state} on {day} ({verdict.pack}, {basis}).")
    for check in verdict.checks:
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        console.print(f"  {mark} {escape(check.explanation['en'])}")
    console.print(
        f"Level L{standing.level}: {cap.used} of {cap.cap} free-sample requests used in "
        f"{cap.month:%B %Y}."
    )


@app.command("decide")
def decide_command(
    sample_id: int = typer.Argument(..., help="Sample id."),
    decision: str = typer.Argument(..., help="approve or reject."),
    reason: str | None = typer.Option(None, "--reason", help="Why."),
    code: str | None = typer.Option(None, "--code", help="not_match, offline, out_of_stock …"),
    actor: str = _ACTOR,
) -> None:
    """The seller's decision (within 7 days of the request)."""
    with _store() as session:
        sample = samples.decide(
            session, sample_id, decision, _actor(actor), reason=reason, reject_code=code
        )
        console.print(f"Sample #{sample.id}: {sample.status}.")


@app.command("ship")
def ship_command(
    sample_id: int = typer.Argument(..., help="Sample id."),
    tracking: str | None = typer.Option(None, "--tracking", help="Tracking number."),
    shipping_cost: str | None = typer.Option(None, "--shipping-cost", help="Shipping (Rp)."),
    actor: str = _ACTOR,
) -> None:
    """The seller shipped an approved sample."""
    with _store() as session:
        sample = samples.ship(
            session,
            sample_id,
            _actor(actor),
            tracking_number=tracking,
            shipping_cost=rupiah(shipping_cost, "--shipping-cost"),
        )
        console.print(f"Sample #{sample.id}: shipped.")


@app.command("deliver")
def deliver_command(
    sample_id: int = typer.Argument(..., help="Sample id."),
    at: str | None = typer.Option(None, "--at", help="When it arrived (Jakarta; default now)."),
    actor: str = _ACTOR,
) -> None:
    """The creator received the sample: content is due 14 days later."""
    with _store() as session:
        sample = samples.deliver(
            session, sample_id, _actor(actor), delivered_at=_moment(at, "--at")
        )
        assert sample.content_due_at is not None
        console.print(
            f"Sample #{sample.id}: delivered; content due {local_time(sample.content_due_at)}."
        )


@app.command("post")
def post_command(
    sample_id: int = typer.Argument(..., help="Sample id."),
    url: str = typer.Argument(..., help="Link to the video or LIVE."),
    content_format: str = typer.Option("video", "--format", help="video or live."),
    at: str | None = typer.Option(None, "--at", help="When it was posted (Jakarta)."),
    actor: str = _ACTOR,
) -> None:
    """The creator posted the content it owes."""
    with _store() as session:
        sample = samples.post_content(
            session,
            sample_id,
            _actor(actor),
            url,
            content_format=content_format,
            posted_at=_moment(at, "--at"),
        )
        late = " (late)" if sample.posted_late else ""
        console.print(f"Sample #{sample.id}: content posted{late}.")


@app.command("extend")
def extend_command(
    sample_id: int = typer.Argument(..., help="Sample id."),
    reason: str = typer.Option(..., "--reason", help="Why the creator needs more time."),
    actor: str = _ACTOR,
) -> None:
    """The one 7-day extension of the content deadline."""
    with _store() as session:
        sample = samples.extend(session, sample_id, _actor(actor), reason)
        assert sample.content_due_at is not None
        console.print(f"Sample #{sample.id}: content now due {local_time(sample.content_due_at)}.")


@app.command("sweep")
def sweep_command(actor: str = _ACTOR) -> None:
    """Record what time decided: expired requests, overdue content, missed refund goals."""
    with _store() as session:
        report = samples.sweep(session, _actor(actor))
        console.print(
            f"{len(report.expired)} request(s) expired, {len(report.flagged)} sample(s) newly "
            f"overdue, {len(report.missed)} refund goal(s) missed."
        )


@app.command("overdue")
def overdue_command(actor: str = _ACTOR) -> None:
    """Delivered samples past their content deadline, per point of contact (after a sweep)."""
    with _store() as session:
        samples.sweep(session, _actor(actor))
        found = samples.overdue(session)
        if not found:
            console.print("No sample content is overdue.")
        for contact, rows in found.items():
            _print(rows, f"{contact or 'no point of contact'}: {len(rows)} overdue")


@app.command("list")
def list_command(
    creator: str | None = typer.Option(None, "--creator", help="Only this creator's."),
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's."),
    status: str | None = typer.Option(None, "--status", help="requested, delivered …"),
) -> None:
    """Samples with their next deadline, newest request first."""
    with _store() as session:
        query = samples.sample_query(creator_id=creator, seller_id=seller, status=status)
        rows = session.scalars(query.order_by(SampleRequest.requested_at.desc()))
        _print(list(rows), "Samples")


def _print(rows: Sequence[SampleRequest], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in (
        "id",
        "creator",
        "seller",
        "product",
        "kind",
        "status",
        "waits for",
        "due",
        "contact",
    ):
        table.add_column(name, justify="right" if name == "id" else "left")
    for sample in rows:
        shown = samples.deadline(sample)
        due = local_time(shown["due"]) if shown["due"] else ""
        if shown["overdue"]:
            due = f"[red]{due} (overdue)[/]"
        elif shown["extended"]:
            due += " (extended)"
        table.add_row(
            str(sample.id),
            escape(sample.creator_id),
            escape(sample.seller_id),
            escape(sample.product_id),
            sample.kind,
            shown["status"],
            shown["what"],
            due,
            escape(sample.point_of_contact or ""),
        )
    console.print(table)
    if not rows:
        console.print("No samples.")


# --- vouchers -------------------------------------------------------------------------------


@vouchers_app.command("create")
def create_voucher_command(
    seller: str = typer.Argument(..., help="Seller id."),
    name: str = typer.Argument(..., help="What the voucher is for."),
    face_value: str = typer.Option(..., "--face-value", help="Each code's value (Rp)."),
    budget: str = typer.Option(..., "--budget", help="The most all codes may spend (Rp)."),
    codes: int = typer.Option(0, "--codes", help="Unissued codes to make."),
    creators: list[str] = typer.Option([], "--creator", help="Issue a code to this creator."),
    valid_until: str | None = typer.Option(None, "--valid-until", help="Last day (YYYY-MM-DD)."),
    actor: str = _ACTOR,
) -> None:
    """A voucher budget with codes; prints the codes."""
    until = dt.date.fromisoformat(valid_until) if valid_until else None
    with _store() as session:
        voucher = vouchers.create_voucher(
            session,
            seller_id=seller,
            name=name,
            face_value=rupiah(face_value, "--face-value") or Decimal(0),
            budget=rupiah(budget, "--budget") or Decimal(0),
            actor=_actor(actor),
            valid_until=until,
            codes=codes,
            creators=creators,
        )
        console.print(
            f"Voucher #{voucher.id} for {escape(seller)}: {show(voucher.face_value, 'money')} "
            f"a code, budget {show(voucher.budget, 'money')}."
        )
        for code in vouchers.codes_of(session, voucher.id):
            typer.echo(f"{code.code}\t{code.creator_id or ''}")


@vouchers_app.command("redeem")
def redeem_command(
    code: str = typer.Argument(..., help="The code."),
    amount: str | None = typer.Option(None, "--amount", help="Less than the face value (Rp)."),
    sample: int | None = typer.Option(None, "--sample", help="The sample it paid for."),
    order: str | None = typer.Option(None, "--order", help="The order it was used on."),
    actor: str = _ACTOR,
) -> None:
    """Redeem a code once, within the voucher's budget."""
    with _store() as session:
        row = vouchers.redeem(
            session,
            code,
            _actor(actor),
            amount=rupiah(amount, "--amount"),
            sample_id=sample,
            order_ref=order,
        )
        voucher = vouchers.get_voucher(session, row.voucher_id)
        console.print(
            f"{escape(row.code)} redeemed for {show(row.amount, 'money')}; voucher "
            f"#{voucher.id} has {show(voucher.budget - voucher.spent, 'money')} left."
        )


@vouchers_app.command("list")
def list_vouchers_command(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's."),
    codes: int | None = typer.Option(None, "--codes", help="Show this voucher's codes."),
) -> None:
    """Vouchers with their budget and spending (or one voucher's codes)."""
    with _store() as session:
        if codes is not None:
            table = Table(title=f"Codes of voucher #{codes}", title_justify="left")
            for name in ("code", "creator", "redeemed", "amount", "sample", "order"):
                table.add_column(name)
            for row in vouchers.codes_of(session, vouchers.get_voucher(session, codes).id):
                table.add_row(
                    row.code,
                    escape(row.creator_id or ""),
                    local_time(row.redeemed_at) if row.redeemed_at else "",
                    show(row.amount, "money") if row.amount else "",
                    str(row.sample_id or ""),
                    escape(row.order_ref or ""),
                )
            console.print(table)
            return
        query = vouchers.voucher_query(None, seller).order_by(SampleVoucher.id)
        table = Table(title="Sample vouchers", title_justify="left")
        for name in (
            "id",
            "seller",
            "name",
            "face value",
            "budget",
            "spent",
            "left",
            "redeemed",
            "status",
        ):
            table.add_column(
                name, justify="left" if name in ("seller", "name", "status") else "right"
            )
        for v in session.scalars(query):
            table.add_row(
                str(v.id),
                escape(v.seller_id),
                escape(v.name),
                show(v.face_value, "money"),
                show(v.budget, "money"),
                show(v.spent, "money"),
                show(v.budget - v.spent, "money"),
                str(v.redemptions),
                v.status,
            )
        console.print(table)
