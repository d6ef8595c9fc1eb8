"""The FastAPI application: the read API, ``/healthz`` and the dashboard, on a read-only engine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.api import freshness, routes, scenario, schemas, score
from monitor.api.auth import TOKEN_ENV, BearerAuth
from monitor.api.cache import ResponseCache
from monitor.api.errors import install_error_handlers
from monitor.api.exposure import check_token
from monitor.api.guards import HostGuard, SecurityHeaders, allowed_hosts
from monitor.api.head import HeadAsGet
from monitor.api.responses import json_response
from monitor.api.sessions import SessionStore
from monitor.queries.signals import require_signal
from monitor.runtime import Runtime
from monitor.store.database import create_db_engine

# ``health_check(private)``: ``private`` when the caller may see host names and process ids.
HealthCheck = Callable[[bool], tuple[bool, dict[str, Any]]]


def web_dir() -> Path:
    """The dashboard's static files (HTML, JS, CSS and the vendored chart library)."""
    return Path(str(resources.files("monitor").joinpath("web")))


def create_app(
    runtime: Runtime,
    *,
    health_check: HealthCheck | None = None,
    routers: Sequence[APIRouter] = (),
    api_token: str | None = None,
) -> FastAPI:
    """The read API and dashboard over ``runtime``'s database, opened read-only (but for the
    dashboard's sign-in sessions, with a token).

    ``health_check`` adds the caller's own checks to ``/healthz``; ``routers`` are mounted as
    they are (the daemon's ``/metrics``). ``api_token`` (default: ``$FIREALARM_API_TOKEN``) makes
    every path but ``/healthz`` require ``Authorization: Bearer <token>``; one shorter than
    ``MIN_TOKEN_LENGTH`` is a :class:`ConfigError`. Requests for a host this server is not known
    by get 400 (:mod:`monitor.api.guards`); every response carries the security headers.
    """
    token = api_token if api_token is not None else os.environ.get(TOKEN_ENV)
    check_token(token)
    engine = create_db_engine(runtime.config.database.url, read_only=True)

    # Signing in and out writes its session (the one thing the API writes): its own engine.
    session_engine = create_db_engine(runtime.config.database.url) if token else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.engine.dispose()
        if session_engine is not None:
            session_engine.dispose()

    app = FastAPI(
        title="firealarm",
        summary="Read API over firealarm's prices, signals, alerts and deliveries.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI: no CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.config = runtime.config
    app.state.response_cache = ResponseCache()
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(freshness.router)
    app.include_router(scenario.router)
    app.include_router(score.router)
    for router in routers:
        app.include_router(router)
    _add_health(app, health_check)
    _add_dashboard(app)
    if token and session_engine is not None:
        app.add_middleware(BearerAuth, token=token, sessions=SessionStore(session_engine, token))
    app.add_middleware(HostGuard, hosts=allowed_hosts(runtime.config))
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so on every response
    return app


def _add_health(app: FastAPI, health_check: HealthCheck | None) -> None:
    @app.get(
        "/healthz",
        response_model=schemas.Health,
        responses={503: {"model": schemas.Health, "description": "Not healthy"}},
        tags=["health"],
    )
    def healthz(request: Request) -> Response:
        """200 when the database answers and the caller's checks pass, else 503. No auth.

        Host names and process ids only to a caller signed in with the token (without a token
        set nobody is: ``firealarm status`` shows them).
        """
        database = _database_state(request.app.state.engine)
        private = getattr(request.state, "signed_in", False)
        ok, checks = health_check(private) if health_check else (True, {})
        healthy = ok and database == "ok"
        body = {"status": "ok" if healthy else "failing", "database": database, "checks": checks}
        return json_response(body, status=200 if healthy else 503)


def _database_state(engine: Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _add_dashboard(app: FastAPI) -> None:
    root = web_dir()
    app.mount("/static", StaticFiles(directory=root), name="static")

    @app.get("/", include_in_schema=False)
    def dashboard(_request: Request) -> FileResponse:
        return FileResponse(root / "index.html", media_type="text/html")

    @app.get("/signals/{signal_id}", include_in_schema=False)
    def signal_page(request: Request, signal_id: str) -> RedirectResponse:
        """Where alerts link (``{external_url}/signals/<id>``): the dashboard at its card."""
        require_signal(request.app.state.config, signal_id)
        return RedirectResponse(f"/#card-{quote(signal_id)}", status_code=303)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="firealarm API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
            swagger_ui_parameters={"validatorUrl": None},  # else it calls validator.swagger.io
        )
