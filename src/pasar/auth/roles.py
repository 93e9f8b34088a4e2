"""Roles and what each may do. A scope names one kind of access (``governance:read``,
``governance:decide`` …); a role is a set of scopes, and a seller or creator is also confined
to its own shop or profile (the API and console filter every row by it).

Example:
    >>> allows("analyst", "policies:backtest"), allows("seller", "governance:decide")
    (True, False)
"""

from __future__ import annotations

SCOPES = {
    "metrics:read": "read metrics, snapshots and reports",
    "policies:read": "read policy packs",
    "policies:backtest": "dry-run and backtest packs and drafts",
    "governance:read": "read sellers' standing, violations, actions, appeals and plans",
    "governance:decide": "decide appeals, plans of action and the review queue",
    "governance:appeal": "submit appeals and plans of action for one's own shop",
    "creators:read": "read creator analytics and pipelines",
    "creators:manage": "manage pitches, samples and creator issues",
    "creators:request": "request samples and raise creator issues (a creator: for itself)",
    "creators:assign": "assign creators to outsourced agents and manage their agencies",
    "incentives:read": "read LIVE incentive programs",
    "incentives:manage": "design programs, simulate costs, run payouts",
    "incentives:own": "see one's own shop's LIVE programs, progress and rewards",
    "readiness:read": "read launch readiness programs",
    "readiness:manage": "manage readiness programs, gates and documents",
    "audit:read": "read the audit log",
    "users:manage": "create and disable users and tokens",
}

_READ_ALL = {s for s in SCOPES if s.endswith(":read")}

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "analyst": frozenset(_READ_ALL | {"policies:backtest"}),
    "governance_reviewer": frozenset(
        {
            "metrics:read",
            "policies:read",
            "policies:backtest",
            "governance:read",
            "governance:decide",
            "audit:read",
        }
    ),
    "creator_manager": frozenset(
        {"metrics:read", "creators:read", "creators:manage", "creators:request", "creators:assign"}
    ),
    "agent": frozenset(  # only creators assigned to them
        {"creators:read", "creators:manage", "creators:request"}
    ),
    "live_ops": frozenset({"metrics:read", "incentives:read", "incentives:manage"}),
    "program_manager": frozenset(
        {"metrics:read", "readiness:read", "readiness:manage", "policies:read"}
    ),
    "seller": frozenset({"governance:read", "governance:appeal", "incentives:own"}),  # own shop
    # only their own profile, samples, pitches and issues
    "creator": frozenset({"creators:read", "creators:request"}),
}

# roles whose every row is confined to one subject (and the field naming it on the user)
CONFINED = {"seller": "seller_id", "creator": "creator_id"}


def allows(role: str, scope: str) -> bool:
    """Whether ``role`` has ``scope``."""
    return scope in ROLES.get(role, frozenset())
