"""The FastAPI application: the console pages, ``/api/v1`` routes, OpenAPI at ``/api/docs``,
and one error shape for everything the API refuses: ``{"error": {"code", "message", "field"}}``.

Example::

    app = create_app(get_settings())     # uvicorn serves it: `pasar serve`
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from pasar import __version__, console
from pasar.api import (
    audit,
    creator_analytics,
    creator_issues,
    creators,
    evidence,
    governance,
    incentives,
    matching,
    pitches,
    planning,
    plans,
    readiness,
    samples,
)
from pasar.api.cached import add_caches
from pasar.api.pages import ErrorBody, ErrorDetail, errors
from pasar.config import Settings
from pasar.console.shell import SignInRequiredError, error_page, refuse_nul_characters
from pasar.kit.db import Database
from pasar.kit.errors import PasarError

PREFIX = "/api/v1"
STATIC = Path(console.__file__).parent / "static"
ROUTERS = [
    governance.router,
    evidence.router,
    plans.router,
    creators.router,
    creator_analytics.router,
    matching.router,
    pitches.router,
    samples.router,
    creator_issues.router,
    planning.router,
    readiness.router,
    incentives.router,
    audit.router,
]


class Health(BaseModel):
    status: str
    version: str


def api_routes() -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (what access tests walk)."""
    return [
        (PREFIX + route.path, route)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


LOG = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds a client is asked to wait when the database does not answer


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(status_code=status, content=body.model_dump())


def create_app(settings: Settings, scheme: str = "tokopedia-id") -> FastAPI:
    """The API over the operational store of ``settings`` (migrated beforehand)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # as many threads as pooled connections and open units of work (api.access.session);
        # fewer threads than anyio's default 40 also contend less for the GIL under load
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        yield
        _app.state.db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Pasar API",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.scheme = scheme
    app.state.db = Database(settings.database_url, pool_size=settings.api_threads)
    app.state.admission = asyncio.Semaphore(settings.api_threads)
    add_caches(app.state, settings.database_url, settings.api_cache)

    # first in the route table, which is matched in order: the probe (and the API benchmark's
    # floor) does not pay for matching every other route
    @app.get("/api/health", tags=["health"], response_model=Health)
    async def health() -> Health:
        """Liveness for load balancers: the server answers (no sign-in, no database)."""
        return Health(status="ok", version=__version__)

    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    for _path, route in api_routes():  # a body that is not JSON (or not the form) answers 400
        if route.body_field is not None:
            route.responses.setdefault(400, errors(400)[400])
    for page_router in console.ROUTERS:
        app.include_router(page_router, dependencies=[Depends(refuse_nul_characters)])
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.exception_handler(SignInRequiredError)
    async def _sign_in(_request: Request, _exc: SignInRequiredError) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PasarError)
    async def _pasar_error(request: Request, exc: PasarError) -> Response:
        if not request.url.path.startswith("/api/"):
            return error_page(request, exc.status_code, str(exc))
        return _error(exc.status_code, exc.code, str(exc), exc.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = list(first.get("loc", ()))
        if loc[:1] in (["body"], ["query"]):  # where it was, not a field (a field may be "body")
            loc = loc[1:]
        where = ".".join(str(p) for p in loc)
        if not request.url.path.startswith("/api/"):
            return error_page(request, 422, f"{where}: {first.get('msg', 'invalid')}")
        return _error(422, "invalid", f"{where}: {first.get('msg', 'invalid')}", where or None)

    @app.exception_handler(OperationalError)
    async def _store_down(request: Request, exc: OperationalError) -> Response:
        # the operational store is not answering (restarting, unreachable, locked): the unit
        # of work was rolled back, and the pool checks its connections before the next one
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        LOG.warning("the store did not answer %s %s: %s", request.method, request.url.path, reason)
        message = "the database is not answering; try again in a moment"
        if not request.url.path.startswith("/api/"):
            answer = error_page(request, 503, message)
        else:
            answer = _error(503, "unavailable", message)
        answer.headers["Retry-After"] = str(RETRY_AFTER)
        return answer

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}
        return _error(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))

    return app
