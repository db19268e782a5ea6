"""Security headers on every kind of response, no inline script anywhere, and /docs served from the console itself."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from infra.settings import Settings
from review_console.app import SWAGGER_UI_VERSION, create_app
from workflows.usecases import Services

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
EXPECTED = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


def directives(resp: httpx.Response) -> dict[str, str]:
    policy = resp.headers["content-security-policy"]
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in policy.split(";") if d.strip()}


def check_headers(resp: httpx.Response, where: str) -> None:
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, f"{where}: {name}={resp.headers.get(name)}"
    csp = directives(resp)
    assert csp["script-src"] == "'self'", f"{where}: scripts only from the console, never inline: {csp}"
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "'unsafe-inline'" not in csp["style-src"] and "'unsafe-eval'" not in str(csp), where


async def test_headers_on_pages_json_static_files_and_errors(connect: ClientFactory) -> None:
    anonymous, reviewer = await connect(), await connect("hr.reviewer")
    responses = {
        "login page": await anonymous.get("/login"),
        "signed-in page": await reviewer.get("/reviews"),
        "JSON": await anonymous.get("/api/health"),
        "JSON 401": await anonymous.get("/api/me"),
        "page 404": await reviewer.get("/goals/g-000000000000"),
        "redirect": await anonymous.get("/goals"),
        "static file": await anonymous.get("/static/htmx.min.js"),
        "static 404": await anonymous.get("/static/nothing.js"),
        "docs": await anonymous.get("/docs"),
        "openapi": await anonymous.get("/openapi.json"),
    }
    assert responses["static file"].status_code == 200 and responses["JSON"].status_code == 200
    for where, resp in responses.items():
        check_headers(resp, where)
        assert "strict-transport-security" not in resp.headers, f"{where}: no HSTS over plain http"


@pytest.mark.parametrize("base_url, hsts", [("https://talent.example.com", True), ("http://talent.example.com", False)])
async def test_hsts_when_the_base_url_is_https(pool: asyncpg.Pool[Any], tmp_path: Path, base_url: str,
                                               hsts: bool) -> None:
    app = create_app(Services(pool=pool, client=None, settings=Settings(data_dir=tmp_path, console_base_url=base_url)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as http:
        for path in ("/login", "/api/health", "/static/htmx.min.js"):
            resp = await http.get(path)
            check_headers(resp, path)
            assert (resp.headers.get("strict-transport-security") == "max-age=31536000") == hsts, path


class References(HTMLParser):
    """Every URL a page makes the browser load (scripts, style sheets, images, frames) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "data", "action", "poster"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._in_script = not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


async def test_docs_loads_only_the_consoles_own_files(connect: ClientFactory) -> None:
    http = await connect()
    page = await http.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    refs = References()
    refs.feed(page.text)
    assert refs.urls, "the page loads Swagger UI"
    assert refs.inline_scripts == 0 and not refs.handlers
    for url in refs.urls:
        assert url.startswith("/") and not url.startswith("//"), f"/docs references {url}: not a local path"
        assert (await http.get(url)).status_code == 200, url
    assert not re.search(r"https?://|//[a-z]", page.text), "no absolute URL at all in the page"
    init = await http.get("/static/swagger-init.js")
    assert "validatorUrl: null" in init.text and not re.search(r"https?://", init.text)
    bundle = await http.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert f'PACKAGE_VERSION:"{SWAGGER_UI_VERSION}"' in bundle.text, "the vendored files are the pinned version"
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert (await http.get("/redoc")).status_code in (303, 404), "no page that loads ReDoc from a CDN"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    folder = resources.files("review_console") / "templates"
    checked = 0
    for template in folder.iterdir():
        if not template.name.endswith(".html"):
            continue
        text = template.read_text()
        refs = References()
        refs.feed(text)
        assert refs.inline_scripts == 0, f"{template.name}: inline <script> (move it to a file under static/)"
        assert not refs.handlers, f"{template.name}: event handler attributes {refs.handlers} (use a static script)"
        assert "<style" not in text, f"{template.name}: <style> element (move it to a .css file under static/)"
        assert "javascript:" not in text and "hx-on" not in text, template.name
        for url in refs.urls:
            assert url.startswith(("/", "{{", "#", "?")), f"{template.name} references {url}: not a local path"
        checked += 1
    assert checked >= 15
