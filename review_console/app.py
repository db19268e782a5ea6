"""The review console: FastAPI app serving the HTML console and the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from infra import db
from review_console.api.routes import router as api_router
from review_console.deps import LoginRequired, csrf_guard
from review_console.input_guard import install as install_input_guard
from review_console.pages.rendering import error_page
from review_console.pages.routes import router as pages_router
from review_console.security import SecurityHeaders
from workflows.usecases import ServiceError, Services
from workflows.usecases.errors import Unavailable

SWAGGER_UI_VERSION = "5.36.0"
"""The swagger-ui-dist release vendored in ``static/swagger-ui/`` (``/docs`` loads nothing from elsewhere)."""

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>talentops review console API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""
"""``/docs``: Swagger UI from the console's own static files, started by a script file (no inline script)."""


def create_app(services: Services) -> FastAPI:
    """The console app over already-connected services (the caller owns their lifetime)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services
        yield

    app = FastAPI(title="talentops review console", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, dependencies=[Depends(csrf_guard)])
    app.state.services = services
    static = resources.files("review_console") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    FastAPIInstrumentor.instrument_app(app, excluded_urls="static/.*")
    install_input_guard(app, services.settings)  # inside the headers: its refusals carry them too
    app.add_middleware(SecurityHeaders, settings=services.settings)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError, status: int | None = None) -> Response:
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=status or exc.status, headers=headers)
        page = error_page(request, status or exc.status, exc.message)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Postgres or Temporal restarting under a running console surfaces as many exception types (a closed
        # connection, a missing socket, an unavailable RPC): ask whether they answer now rather than guess
        if isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE:
            away: str | None = "Temporal"
        else:
            gone = isinstance(exc, db.DATABASE_AWAY) or not await db.answers(services.pool)
            away = "the database" if gone else None
        if away is None:
            return await service_error(request, ServiceError(
                "something went wrong on our side; it was logged, and nothing you sent was half-applied"), status=500)
        return await service_error(request, Unavailable(f"{away} is not answering right now (it may be restarting): "
                                                        "try again in a few seconds"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    return app


__all__: list[Any] = ["create_app"]
