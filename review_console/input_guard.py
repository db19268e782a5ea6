"""Hostile input stops at the door: request bodies over a size limit, and control characters anywhere a string can
come in (path, query string, form fields, JSON strings and keys, HTTP Basic credentials), are refused before any
route reads them.

Postgres cannot store NUL in text, so a NUL that reached a query was a 500; a lone UTF-16 surrogate (``"\\ud800"``
in JSON) cannot even be encoded for it. Other C0 control characters (tab, CR and LF aside) have no place in
anything a person types. The guard answers such requests with 422 and a sentence naming the field, and a body over
the limit with 413 as soon as its ``Content-Length`` says so, or as soon as the bytes streamed in pass the limit
(chunked bodies), without reading the rest. ``/api`` paths get ``{"detail": "…"}`` like every other refusal of the
JSON API; pages get a short HTML page.

Pure ASGI (no ``BaseHTTPMiddleware``): the body is read once, up to the limit, and replayed to the app.
"""

from __future__ import annotations

import base64
import html
import json
import re
from email.message import Message as MimeHeader
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.settings import Settings

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""1 MiB: far above any form or JSON body the console takes (a goal is at most 5,000 characters)."""

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
"""C0 control characters but tab, LF and CR; and lone surrogates, which are not Unicode text."""
_DIGITS = re.compile("[0-9]+")


def _problem(value: str, where: str) -> str | None:
    """A sentence about the first forbidden character of ``value``, or None when it has none."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"{where} contains U+{ord(char):04X}, a lone surrogate that is not valid Unicode text; remove it"
    return f"{where} contains the control character U+{ord(char):04X}, which is not allowed; remove it"


def _json_problem(document: Any) -> str | None:
    """The first forbidden character in a parsed JSON document's strings and keys, with the field it is in."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = _problem(value, f"the field '{path}'" if path else "the body")
            if problem:
                return problem
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                key_problem = _problem(key, f"a field name in '{path}'" if path else "a field name")
                if key_problem:
                    return key_problem
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


def _pairs_problem(pairs: list[tuple[str, str]], kind: str) -> str | None:
    for name, value in pairs:
        problem = _problem(name, f"the name of a {kind}") or _problem(value, f"the {kind} '{name}'")
        if problem:
            return problem
    return None


def _basic_problem(headers: Headers) -> str | None:
    """A forbidden character in HTTP Basic credentials (they reach the users table as the login)."""
    header = headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        credentials = base64.b64decode(header[6:]).decode()
    except ValueError:
        return None  # not credentials at all: the app answers 401
    return _problem(credentials, "the HTTP Basic credentials")


def _media_type(headers: Headers) -> str:
    header = MimeHeader()
    header["content-type"] = headers.get("content-type", "")
    return header.get_content_type() if headers.get("content-type") else ""


def _is_json(media_type: str) -> bool:
    # FastAPI reads a body as JSON when it says so (application/json, application/*+json)
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then whatever the server sends next (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _TooLarge(Exception):
    """The body passed the limit."""


class InputGuard:
    """ASGI middleware refusing oversized bodies (413) and control characters in any input (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _problem(scope["path"], "the path") or _pairs_problem(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True), "query parameter")
        if problem:
            await self._refuse(scope, receive, send, 422, problem)
            return
        headers = Headers(scope=scope)
        problem = _basic_problem(headers)
        if problem:
            await self._refuse(scope, receive, send, 422, problem)
            return
        declared = headers.get("content-length")
        if declared is not None:
            if not _DIGITS.fullmatch(declared.strip()):
                await self._refuse(scope, receive, send, 400, "the Content-Length header is not a number of bytes")
                return
            if int(declared) > self.max_body_bytes:
                await self._refuse(scope, receive, send, 413, self._too_large())
                return
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        if body is None:  # the client went away before it finished sending
            return
        replay = _replay(body, receive)
        if body:
            problem = await self._body_problem(scope, headers, body)
            if problem:
                await self._refuse(scope, replay, send, 422, problem)
                return
        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return (f"the request body is larger than the {self.max_body_bytes:,} bytes this console accepts; "
                "send less")

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, counted as it streams in; raises ``_TooLarge`` as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _body_problem(self, scope: Scope, headers: Headers, body: bytes) -> str | None:
        media_type = _media_type(headers)
        if _is_json(media_type):
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                return None  # not JSON: the route refuses it with FastAPI's own 422
            return _json_problem(document)
        if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            request = Request(scope, _replay(body, _never))
            try:
                form = await request.form()
            except (HTTPException, MultiPartException, ValueError):
                return None  # not a form: the route refuses it
            try:
                return _pairs_problem(_form_text(form), "form field")
            finally:
                await form.close()
        return None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response: Response
        path: str = scope["path"]
        if path == "/api" or path.startswith("/api/"):
            response = JSONResponse({"detail": message}, status_code=status)
        else:
            response = HTMLResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1>"
                                    f"<p>{html.escape(message)}</p><p><a href=\"/\">Back</a></p>",
                                    status_code=status)
        await response(scope, receive, send)


async def _never() -> Message:
    return {"type": "http.disconnect"}


def _form_text(form: FormData) -> list[tuple[str, str]]:
    """The form's text fields (and the names of its files)."""
    return [(name, value if isinstance(value, str) else (value.filename or "")) for name, value in form.multi_items()]


def install(app: Starlette, settings: Settings) -> None:
    """Put the guard in front of the app's routes, with the body limit of ``settings``.

    Middleware added later wraps it (``add_middleware`` puts each new one outside the others): add the guard before
    middleware whose headers its refusals should carry (security headers), after any that reads request bodies."""
    app.add_middleware(InputGuard, max_body_bytes=settings.max_request_body_bytes)
