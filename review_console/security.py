"""What keeps the browser side safe: the session cookie, where requests may come from, and security headers.

- The session cookie is HttpOnly, SameSite=Lax, and Secure when the console is served over https.
- A state-changing request (anything but GET, HEAD, OPTIONS) whose ``Origin`` (or, without one, ``Referer``) is not
  the console's own origin, or that the browser marks ``Sec-Fetch-Site: cross-site``/``same-site``, is refused.
  The console's origin is that of ``console_base_url`` when set, else the one the request was addressed to.
- HTML forms also carry the session's CSRF token (``deps.csrf_guard`` checks it).
- Every response gets a Content-Security-Policy without inline script, frame blocking, nosniff, a same-origin
  Referrer-Policy and, when the base URL is https, HSTS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.settings import Settings

SESSION_COOKIE = "talentops_session"
"""Name of the session cookie (its value is the session token)."""
CSRF_HEADER = "X-CSRF-Token"
"""Header carrying the session's CSRF token (htmx requests, scripts); login responses carry it too."""
CSRF_FIELD = "csrf_token"
"""Form field carrying the session's CSRF token (every POST form of the console)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing, so need no CSRF check."""

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'"])
"""Scripts and style sheets from the console only (no inline script); ``style="…"`` attributes are allowed."""
HSTS = "max-age=31536000"
"""Strict-Transport-Security when the base URL is https (a year; subdomains are not the console's to decide)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased, default port dropped; None when it is no http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def own_origin(request: Request, settings: Settings) -> str | None:
    """The console's origin: ``console_base_url``'s, else the one this request was addressed to (its Host)."""
    if settings.console_base_url:
        return _origin_of(settings.console_base_url)
    host = request.headers.get("host")
    return _origin_of(f"{request.url.scheme}://{host}") if host else None


def is_same_origin(request: Request, settings: Settings) -> bool:
    """False when the browser says the request comes from another origin (Origin, Referer, Sec-Fetch-Site).

    A request without any of them (a script, curl) passes: browsers send Origin with every cross-origin POST.
    """
    own = own_origin(request, settings)
    origin = request.headers.get("origin")
    if origin is not None:
        return own is not None and _origin_of(origin) == own  # "null" (sandboxed frames, privacy) is no origin
    referer = request.headers.get("referer")
    if referer:
        return own is not None and _origin_of(referer) == own
    return request.headers.get("sec-fetch-site", "same-origin").lower() in ("same-origin", "none")


def https_served(request: Request, settings: Settings) -> bool:
    """Whether the console is served over https (its base URL says so, or this request came over https)."""
    base = settings.console_base_url
    return (base is not None and base.strip().lower().startswith("https://")) or request.url.scheme == "https"


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Whether the session cookie is marked Secure: the ``cookie_secure`` setting, else whether https serves it."""
    return settings.cookie_secure if settings.cookie_secure is not None else https_served(request, settings)


def set_session_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    """Give the browser its session token (kept no longer than the session's absolute timeout)."""
    response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.session_absolute_timeout_seconds), path="/",
                        httponly=True, samesite="lax", secure=cookie_secure(request, settings))


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    """Make the browser forget its session token."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=cookie_secure(request, settings))


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (behind a proxy: run uvicorn with its proxy headers on)."""
    return request.client.host if request.client else None


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response (pages, JSON, static files, errors)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        base = settings.console_base_url
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if base is not None and base.strip().lower().startswith("https://"):
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
