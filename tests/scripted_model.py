"""A scripted OpenAI-compatible model server for tests.

The server speaks real HTTP on 127.0.0.1, so the real ``openai`` client and pydantic-ai talk to it exactly as they
would to vLLM, Ollama or llama.cpp. A test queues the replies the "model" gives, runs the code under test, then looks
at what the client sent::

    with ScriptedModelServer() as server:
        server.script(ToolCall({"title": "Data engineer"}), Text("not JSON"))
        model = OpenAIChatModel("qwen", provider=OpenAIProvider(base_url=server.base_url, api_key="test"))
        ...
        assert server.requests[0].body["tool_choice"] == "required"

It serves ``POST /v1/chat/completions`` and ``POST /v1/responses`` (both streamed and not) and ``GET /v1/models``.
Every model request pops the next scripted reply; when none is left, ``default`` answers. The server runs its own
event loop in a background thread, so it works from plain tests and from tests running in an asyncio loop alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeAlias

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

Json: TypeAlias = dict[str, Any]
"""A JSON object, as parsed from or sent over the wire."""


# --- replies ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """An assistant message with one tool call.

    Attributes:
        arguments: The call's arguments; a dict is sent as JSON, a str verbatim (to test malformed JSON).
        name: The tool called. ``None`` picks the tool the request forces with ``tool_choice``, else its first tool.
    """

    arguments: Json | str
    name: str | None = None


@dataclass(frozen=True)
class Text:
    """A plain assistant message: prose, or JSON as text for native and prompted output modes.

    Attributes:
        content: The message text.
    """

    content: str


@dataclass(frozen=True)
class Status:
    """An HTTP error with an OpenAI-shaped body ``{"error": {"message", "type", "param", "code"}}``.

    Attributes:
        code: The HTTP status code.
        message: The error message.
        error_type: The body's ``type``; ``None`` derives it from ``code`` (``server_error`` for 5xx, else
            ``invalid_request_error``).
        error_code: The body's ``code``; ``None`` derives it from ``code`` as OpenAI does (404 is
            ``model_not_found``, 401 ``invalid_api_key``, 429 ``rate_limit_exceeded``, others none).
    """

    code: int
    message: str = "scripted error"
    error_type: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class Delay:
    """Wait, without blocking other requests, then answer with another reply (for client timeouts).

    Attributes:
        seconds: How long to wait before answering.
        then: The reply given after the wait.
    """

    seconds: float
    then: Reply


@dataclass(frozen=True)
class Dynamic:
    """A reply computed from the request body, e.g. to answer with ids read from the prompt.

    Attributes:
        build: Called with the parsed request body; returns the reply to give. An exception it raises becomes a
            500 whose message names it.
    """

    build: Callable[[Json], Reply]


@dataclass(frozen=True)
class SlowStream:
    """Answer a streamed request in ``chunks`` pieces, pausing ``chunk_delay`` seconds before each.

    A request that doesn't stream gets ``reply`` after the whole stream's worth of delay.

    Attributes:
        reply: The reply to stream.
        chunk_delay: Seconds to wait before each content chunk.
        chunks: How many pieces the text or tool call arguments are split into.
    """

    reply: Reply
    chunk_delay: float
    chunks: int = 10


Reply: TypeAlias = ToolCall | Text | Status | Delay | Dynamic | SlowStream
"""Anything a scripted model can answer with."""

NO_REPLY_LEFT = Status(500, "no scripted reply left")
"""The default reply once the script is used up."""

_DEFAULT_CHUNKS = 3
"""How many pieces a streamed reply is split into unless ``SlowStream`` says otherwise."""

_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}


@dataclass(frozen=True)
class RecordedRequest:
    """A model request the server received.

    Attributes:
        path: The URL path, e.g. ``/v1/chat/completions``.
        body: The parsed JSON body.
        headers: The request headers, with lowercase names.
    """

    path: str
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


# --- the server -------------------------------------------------------------------------------------------------


class _ScriptError(Exception):
    """The script can't answer this request (e.g. a tool call for a request without tools)."""


@dataclass(frozen=True)
class _Pacing:
    """How a reply is streamed: in ``chunks`` pieces, ``delay`` seconds before each."""

    chunks: int = _DEFAULT_CHUNKS
    delay: float = 0.0


class ScriptedModelServer:
    """An OpenAI-compatible HTTP server that answers with scripted replies.

    Use it as a context manager (or call ``start`` and ``stop``). Replies queued with ``script`` are given in order,
    one per model request; ``requests`` records what the clients sent.

    Attributes:
        served_model: The model name the responses carry; ``None`` echoes the requested name, as llama.cpp does.
        default: The reply given when the script is used up.
    """

    def __init__(self, *, served_model: str | None = None, default: Reply = NO_REPLY_LEFT) -> None:
        """Prepare a server; nothing listens until ``start``.

        Args:
            served_model: The model name the responses carry; ``None`` echoes the requested name.
            default: The reply given when the script is used up.
        """
        self.served_model = served_model
        self.default = default
        self._initial = (served_model, default)
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._sock: socket.socket | None = None
        self._port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    # -- the test's side

    @property
    def port(self) -> int:
        """The port the server listens on (after ``stop``, the port it listened on: nothing answers there)."""
        if not self._port:
            raise RuntimeError("the scripted model server has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """The model requests received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """How many scripted replies are still queued."""
        with self._lock:
            return len(self._script)

    def script(self, *replies: Reply) -> None:
        """Queue replies; each model request takes the next one.

        Args:
            replies: The replies, in the order they are given.
        """
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget the queued replies and the recorded requests; restore ``served_model`` and ``default``.

        A server shared by several tests (a module- or session-scoped fixture) is reset between them.
        """
        with self._lock:
            self._script.clear()
            self._requests.clear()
            self.served_model, self.default = self._initial

    def start(self) -> None:
        """Start serving in a background thread with its own event loop; return once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the scripted model server is already running")
        # Binding here rather than picking a free port for uvicorn leaves no window for another process to take it.
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._port = self._sock.getsockname()[1]
        config = uvicorn.Config(self._app(), lifespan="off", log_level="warning", access_log=False,
                                http="h11", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), name="scripted-model",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the scripted model server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving: cut pending delays short, close connections and wait for the thread to end."""
        if self._server is not None:
            if self._loop is not None and self._stopping is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    self._loop.call_soon_threadsafe(self._stopping.set)
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._sock = self._server = self._thread = self._loop = self._stopping = None

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop the server."""
        self.stop()

    # -- the server thread's side

    async def _serve(self) -> None:
        """Run uvicorn in this thread's event loop."""
        assert self._server is not None and self._sock is not None
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self._server.serve(sockets=[self._sock])

    def _app(self) -> Starlette:
        """The ASGI app."""
        routes = [
            Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
            Route("/v1/responses", self._responses, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        return Starlette(routes=routes)

    async def _pause(self, seconds: float) -> None:
        """Sleep for ``seconds``, or less if the server is stopping."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _take(self, request: Request) -> tuple[Json, ToolCall | Text | Status, _Pacing]:
        """Record the request, pop its reply, and resolve the reply down to what to send and how to pace it."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return {}, Status(400, "the request body is not a JSON object"), _Pacing()
        with self._lock:
            self._requests.append(RecordedRequest(request.url.path, body, dict(request.headers)))
            reply = self._script.popleft() if self._script else self.default
        pacing = _Pacing()
        while True:
            match reply:
                case Dynamic(build=build):
                    try:
                        reply = build(body)
                    except Exception as exc:
                        reply = Status(500, f"the Dynamic reply raised {exc!r}")
                case Delay(seconds=seconds, then=then):
                    await self._pause(seconds)
                    reply = then
                case SlowStream(reply=inner, chunk_delay=delay, chunks=chunks):
                    pacing = _Pacing(chunks=max(1, chunks), delay=delay)
                    reply = inner
                case ToolCall() | Text() | Status():
                    return body, reply, pacing

    def _model_name(self, body: Json) -> str:
        """The model name to answer with."""
        return self.served_model or str(body.get("model") or "scripted")

    async def _chat_completions(self, request: Request) -> Response:
        """``POST /v1/chat/completions``."""
        body, reply, pacing = await self._take(request)
        try:
            if isinstance(reply, Status):
                return _error(reply)
            message = _chat_message(reply, body)
            if body.get("stream"):
                return _sse(self._chat_chunks(body, message, pacing))
            await self._pause(pacing.delay * pacing.chunks)
            finish = "tool_calls" if "tool_calls" in message else "stop"
            return JSONResponse({
                "id": _new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
                "model": self._model_name(body),
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": _chat_usage(body, reply),
            })
        except _ScriptError as exc:
            return _error(Status(500, str(exc)))

    async def _chat_chunks(self, body: Json, message: Json, pacing: _Pacing) -> AsyncIterator[Json]:
        """The chunks of a streamed chat completion."""
        head = {"id": _new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": self._model_name(body)}

        def chunk(delta: Json, finish: str | None = None) -> Json:
            return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

        if "tool_calls" in message:
            call = message["tool_calls"][0]
            function = call["function"]
            yield chunk({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": call["id"], "type": "function",
                 "function": {"name": function["name"], "arguments": ""}}]})
            for piece in _split(function["arguments"], pacing.chunks):
                await self._pause(pacing.delay)
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk({}, "tool_calls")
            completion = function["arguments"]
        else:
            yield chunk({"role": "assistant", "content": ""})
            for piece in _split(message["content"], pacing.chunks):
                await self._pause(pacing.delay)
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            completion = message["content"]
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {**head, "choices": [], "usage": _chat_usage(body, Text(completion))}

    async def _responses(self, request: Request) -> Response:
        """``POST /v1/responses``."""
        body, reply, pacing = await self._take(request)
        try:
            if isinstance(reply, Status):
                return _error(reply)
            item = _responses_item(reply, body)
            if body.get("stream"):
                return _sse(self._responses_events(body, item, pacing), named_events=True)
            await self._pause(pacing.delay * pacing.chunks)
            return JSONResponse(self._response_object(body, [item], _responses_usage(body, reply)))
        except _ScriptError as exc:
            return _error(Status(500, str(exc)))

    def _response_object(self, body: Json, output: list[Json], usage: Json | None, *,
                         response_id: str | None = None) -> Json:
        """A Responses API ``response`` object; ``in_progress`` while ``usage`` is ``None``."""
        return {
            "id": response_id or _new_id("resp_"), "object": "response", "created_at": int(time.time()),
            "status": "completed" if usage is not None else "in_progress", "model": self._model_name(body),
            "output": output, "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools", []),
            "error": None, "incomplete_details": None, "instructions": body.get("instructions"), "metadata": {},
            "temperature": body.get("temperature"), "top_p": body.get("top_p"),
            "max_output_tokens": body.get("max_output_tokens"), "usage": usage,
        }

    async def _responses_events(self, body: Json, item: Json, pacing: _Pacing) -> AsyncIterator[Json]:
        """The events of a streamed Responses API response."""
        response_id = _new_id("resp_")
        sequence = iter(range(1_000_000))

        def event(kind: str, **fields: Any) -> Json:
            return {"type": kind, "sequence_number": next(sequence), **fields}

        yield event("response.created", response=self._response_object(body, [], None, response_id=response_id))
        where = {"item_id": item["id"], "output_index": 0}
        if item["type"] == "function_call":
            yield event("response.output_item.added", output_index=0,
                        item={**item, "arguments": "", "status": "in_progress"})
            for piece in _split(item["arguments"], pacing.chunks):
                await self._pause(pacing.delay)
                yield event("response.function_call_arguments.delta", delta=piece, **where)
            yield event("response.function_call_arguments.done", arguments=item["arguments"], name=item["name"],
                        **where)
            completion = item["arguments"]
        else:
            part = item["content"][0]
            text = part["text"]
            yield event("response.output_item.added", output_index=0,
                        item={**item, "content": [], "status": "in_progress"})
            yield event("response.content_part.added", content_index=0, part={**part, "text": ""}, **where)
            for piece in _split(text, pacing.chunks):
                await self._pause(pacing.delay)
                yield event("response.output_text.delta", content_index=0, delta=piece, logprobs=[], **where)
            yield event("response.output_text.done", content_index=0, text=text, logprobs=[], **where)
            yield event("response.content_part.done", content_index=0, part=part, **where)
            completion = text
        yield event("response.output_item.done", output_index=0, item=item)
        usage = _responses_usage(body, Text(completion))
        yield event("response.completed",
                    response=self._response_object(body, [item], usage, response_id=response_id))

    async def _models(self, request: Request) -> Response:
        """``GET /v1/models``."""
        model = {"id": self.served_model or "scripted", "object": "model", "created": 0, "owned_by": "scripted"}
        return JSONResponse({"object": "list", "data": [model]})

    async def _unknown(self, request: Request) -> Response:
        """Any other path: a 404 as OpenAI sends it."""
        message = f"Invalid URL ({request.method} {request.url.path})"
        return _error(Status(404, message, error_type="invalid_request_error", error_code="unknown_url"))


# --- wire formats -----------------------------------------------------------------------------------------------


def _new_id(prefix: str) -> str:
    """A fresh id starting with ``prefix``, e.g. ``call_1a2b…``."""
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _error(status: Status) -> JSONResponse:
    """The OpenAI-shaped error response for ``status``."""
    error_type = status.error_type or ("server_error" if status.code >= 500 else "invalid_request_error")
    error_code = status.error_code or _ERROR_CODES.get(status.code)
    error = {"message": status.message, "type": error_type, "param": None, "code": error_code}
    return JSONResponse({"error": error}, status_code=status.code)


def _sse(payloads: AsyncIterator[Json], *, named_events: bool = False) -> StreamingResponse:
    """A server-sent event stream of JSON payloads; chat streams end with ``[DONE]``, Responses streams name events."""

    async def lines() -> AsyncIterator[str]:
        async for payload in payloads:
            name = f"event: {payload['type']}\n" if named_events else ""
            yield f"{name}data: {json.dumps(payload)}\n\n"
        if not named_events:
            yield "data: [DONE]\n\n"

    return StreamingResponse(lines(), media_type="text/event-stream")


def _split(text: str, pieces: int) -> list[str]:
    """``text`` cut into at most ``pieces`` consecutive, non-empty parts (one empty part for empty text)."""
    if not text:
        return [""]
    size = -(-len(text) // pieces)
    return [text[start:start + size] for start in range(0, len(text), size)]


def _tokens(text: str) -> int:
    """A plausible token count: about four characters a token."""
    return max(1, len(text) // 4)


def _arguments(call: ToolCall) -> str:
    """The call's arguments as sent on the wire."""
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _tool_name(call: ToolCall, body: Json) -> str:
    """The tool ``call`` calls: its own name, the one ``tool_choice`` forces, or the request's first tool.

    Chat Completions nests names as ``{"function": {"name": ...}}``; the Responses API puts them at the top level.
    """
    if call.name:
        return call.name
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        forced = choice.get("name") or (choice.get("function") or {}).get("name")
        if forced:
            return str(forced)
    for tool in body.get("tools") or []:
        name = tool.get("name") or (tool.get("function") or {}).get("name")
        if name:
            return str(name)
    raise _ScriptError("the scripted ToolCall has no name and the request offers no function tool")


def _chat_message(reply: ToolCall | Text, body: Json) -> Json:
    """The assistant message of a chat completion."""
    if isinstance(reply, Text):
        return {"role": "assistant", "content": reply.content, "refusal": None}
    call = {"id": _new_id("call_"), "type": "function",
            "function": {"name": _tool_name(reply, body), "arguments": _arguments(reply)}}
    return {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}


def _responses_item(reply: ToolCall | Text, body: Json) -> Json:
    """The output item of a Responses API response."""
    if isinstance(reply, Text):
        text = {"type": "output_text", "text": reply.content, "annotations": [], "logprobs": []}
        return {"type": "message", "id": _new_id("msg_"), "role": "assistant", "status": "completed",
                "content": [text]}
    return {"type": "function_call", "id": _new_id("fc_"), "call_id": _new_id("call_"),
            "name": _tool_name(reply, body), "arguments": _arguments(reply), "status": "completed"}


def _completion_text(reply: ToolCall | Text) -> str:
    """What the model "generated", for counting tokens."""
    return reply.content if isinstance(reply, Text) else _arguments(reply)


def _chat_usage(body: Json, reply: ToolCall | Text) -> Json:
    """Chat Completions ``usage``."""
    prompt = _tokens(json.dumps(body.get("messages", [])))
    completion = _tokens(_completion_text(reply))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _responses_usage(body: Json, reply: ToolCall | Text) -> Json:
    """Responses API ``usage``."""
    prompt = _tokens(json.dumps([body.get("instructions"), body.get("input")]))
    completion = _tokens(_completion_text(reply))
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion}
