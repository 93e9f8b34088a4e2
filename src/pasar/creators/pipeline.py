"""The pitching pipeline's stages and the moves between them.

A pitch moves forward through :data:`STAGES` (skipping stages is allowed: a creator may reply
and agree in one message) and never back; it closes as ``declined`` from any open stage, or as
``ghosted`` once the creator was contacted and went silent. Closed pitches stay closed — pitch
the creator again with a new pitch.

Example:
    >>> next_stage("contacted"), moves("sample_sent")
    ('replied', ('content_posted', 'selling', 'declined', 'ghosted'))
    >>> "contacted" in moves("agreed"), moves("declined")
    (False, ())
"""

from __future__ import annotations

from pasar.kit.errors import ValidationError

STAGES = (
    "shortlisted",
    "contacted",
    "replied",
    "agreed",
    "sample_sent",
    "content_posted",
    "selling",
)
CLOSED = ("declined", "ghosted")
ALL_STAGES = STAGES + CLOSED
# outreach channels (TikTok IM and target-collaboration invites share the platform quota)
CHANNELS = ("tiktok_im", "tc_invite", "whatsapp", "email", "phone")
# the column stamped when a pitch reaches a stage
STAMPS = {
    "contacted": "contacted_at",
    "replied": "replied_at",
    "agreed": "agreed_at",
    "sample_sent": "sample_sent_at",
    "content_posted": "content_posted_at",
    "selling": "selling_at",
}
# a pitch that reached one of these has been in touch with the creator
CONTACTED = STAGES[1:]
# the creator answered: from then on the creator is "connected" to the seller
CONNECTED = STAGES[2:]


def is_open(stage: str) -> bool:
    return stage in STAGES


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` (None at ``selling`` or once closed)."""
    if stage not in STAGES or stage == STAGES[-1]:
        return None
    return STAGES[STAGES.index(stage) + 1]


def moves(stage: str) -> tuple[str, ...]:
    """Where a pitch at ``stage`` may go."""
    if stage not in STAGES:
        return ()
    later = STAGES[STAGES.index(stage) + 1 :]
    closing = ("declined", "ghosted") if stage in CONTACTED else ("declined",)
    return later + closing


def check_move(stage: str, to: str) -> None:
    """Refuse a move the pipeline does not allow, naming the ones it does."""
    if to not in ALL_STAGES:
        raise ValidationError(
            f"unknown stage {to!r}; the stages are {', '.join(ALL_STAGES)}", field="stage"
        )
    allowed = moves(stage)
    if to not in allowed:
        where = ", ".join(allowed) if allowed else "nowhere (it is closed)"
        raise ValidationError(
            f"a pitch at {stage} cannot move to {to}; it can move to {where}", field="stage"
        )
