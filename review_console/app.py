"""The review console: FastAPI app serving the HTML console and the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from review_console.api.routes import router as api_router
from review_console.deps import LoginRequired
from review_console.pages.rendering import error_page
from review_console.pages.routes import router as pages_router
from workflows.usecases import ServiceError, Services


def create_app(services: Services) -> FastAPI:
    """The console app over already-connected services (the caller owns their lifetime)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services
        yield

    app = FastAPI(title="talentops review console", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    app.add_middleware(SessionMiddleware, secret_key=services.settings.secret(), session_cookie="talentops_session",
                       same_site="lax", https_only=False, max_age=12 * 3600)
    static = resources.files("review_console") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="static/.*")

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        return error_page(request, exc.status, exc.message)

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
