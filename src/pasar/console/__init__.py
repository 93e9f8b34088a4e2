"""The web console: server-rendered pages over the same services as the API."""

from pasar.console import (
    audit,
    creators,
    explorer,
    governance,
    incentives,
    matching,
    outreach,
    planning,
    policies,
    portal,
    readiness,
    signin,
)

ROUTERS = [
    signin.router,
    governance.router,
    portal.router,
    planning.router,  # before creators: /creators/targets is not a creator id
    matching.router,  # before creators: /creators/match is not a creator id
    creators.router,
    outreach.router,
    policies.router,
    explorer.router,
    readiness.router,
    incentives.router,
    audit.router,
]
