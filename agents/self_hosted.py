"""Talking to self-hosted OpenAI-compatible servers (llama.cpp, vLLM, Ollama) as they actually behave.

Two quirks, found with llama-cpp-python's server and a small model, are smoothed over at the HTTP layer so the
agents and their checks see ordinary answers:

* an assistant message that only calls tools goes out with ``content: ""`` instead of ``null`` (llama-cpp-python
  rejects ``null`` with HTTP 500, so every retry after a tool call failed);
* tool-call arguments with raw control characters inside strings (a newline in a description: invalid JSON,
  but unambiguous) come back re-encoded as strict JSON; anything else invalid is left for the output retry.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

_DROPPED_HEADERS = ("content-length", "content-encoding", "transfer-encoding")


def self_hosted_http_client() -> httpx2.AsyncClient:
    """An HTTP client for the OpenAI SDK that irons out the quirks above (timeouts come per request)."""
    return httpx2.AsyncClient(transport=SelfHostedTransport(httpx2.AsyncHTTPTransport()),
                              timeout=httpx2.Timeout(600, connect=5))


class SelfHostedTransport(httpx2.AsyncBaseTransport):
    """Wraps a transport; rewrites chat-completion requests and (non-streamed) responses as described above."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        chat = request.method == "POST" and request.url.path.endswith("/chat/completions")
        if chat:
            request = _with_string_content(request)
        response = await self._inner.handle_async_request(request)
        if not chat or response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
            return response
        body = await response.aread()
        fixed = _strict_tool_arguments(body)
        if fixed is None:
            return httpx2.Response(response.status_code, headers=response.headers, content=body, request=request,
                                   extensions=response.extensions)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED_HEADERS]
        return httpx2.Response(response.status_code, headers=headers, content=fixed, request=request,
                               extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _with_string_content(request: httpx2.Request) -> httpx2.Request:
    try:
        body = json.loads(request.content)
    except ValueError:
        return request
    messages = body.get("messages") if isinstance(body, dict) else None
    nulls = [m for m in messages or [] if isinstance(m, dict) and m.get("role") == "assistant"
             and m.get("content") is None]
    if not nulls:
        return request
    for message in nulls:
        message["content"] = ""
    headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
    return httpx2.Request(request.method, request.url, headers=headers, json=body, extensions=request.extensions)


def _strict_tool_arguments(content: bytes) -> bytes | None:
    """The response with lenient-JSON tool arguments re-encoded strictly; None when nothing needed it."""
    try:
        body: Any = json.loads(content)
    except ValueError:
        return None
    changed = False
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        for call in (choice.get("message") or {}).get("tool_calls") or []:
            function = call.get("function") or {}
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                continue
            try:
                json.loads(arguments)
            except ValueError:
                try:
                    function["arguments"] = json.dumps(json.loads(arguments, strict=False))
                    changed = True
                except ValueError:
                    pass  # really broken: the agent's output retry tells the model
    return json.dumps(body).encode() if changed else None
