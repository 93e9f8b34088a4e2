"""The web console: server-rendered pages over the same services as the API."""

from pasar.console import audit, creators, explorer, governance, policies, portal, signin

ROUTERS = [
    signin.router,
    governance.router,
    portal.router,
    creators.router,
    policies.router,
    explorer.router,
    audit.router,
]
