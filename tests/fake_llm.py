"""A real HTTP server on 127.0.0.1 that speaks just enough of the OpenAI chat-completions,
Anthropic messages and Ollama tags APIs for provider tests, scripted per test.

    with FakeLLM() as server:
        server.script(Reply(chunks=["Hel", "lo"], usage=(12, 3)))
        ... OpenAI base_url = server.url + "/v1", Anthropic base_url = server.url

Each request to a chat endpoint takes the next scripted `Reply` (the last one repeats).
Every request is recorded (method, path, headers, JSON body); when the client goes away
in the middle of a stream the time is recorded in `disconnected_at`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    chunks: list[str] = field(default_factory=lambda: ["Hello", " from", " the fake."])
    thinking: list[str] = field(default_factory=list)
    usage: tuple[int, int] | None = (11, 7)  # (input, output); None: the server reports none
    delay: float = 0.0  # seconds before each chunk
    status: int = 200
    error: dict | None = None  # JSON error body for a non-200 status
    headers: dict[str, str] = field(default_factory=dict)
    malformed: bool = False  # send garbage in the middle of the stream
    hang: float = 0.0  # seconds to wait before answering at all
    empty: bool = False  # a 200 stream that ends without any content
    cut: bool = False  # close the connection after the chunks, without ending the stream
    drop: bool = False  # chunked transfer, the connection closed mid-body (a server that died mid-reply)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


class FakeLLM:
    def __init__(self, models: tuple[str, ...] = ("fake-small", "fake-large", "fake-coder")):
        self.models = list(models)
        self.replies: list[Reply] = [Reply()]
        self.requests: list[Request] = []
        self.disconnected_at: float | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.replies = list(replies)

    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def _next_reply(self) -> Reply:
        with self.lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _record(self) -> dict | None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append(Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                return body

            def _json(self, status: int, payload, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._record()
                if self.path.rstrip("/") == "/v1/models":
                    self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "fake", "type": "model",
                         "display_name": m, "created_at": "2026-01-01T00:00:00Z"} for m in fake.models
                    ], "has_more": False, "first_id": None, "last_id": None})
                elif self.path.rstrip("/") == "/api/tags":
                    self._json(200, {"models": [{"name": m, "model": m} for m in fake.models]})
                else:
                    self._json(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                body = self._record() or {}
                reply = fake._next_reply()
                if reply.hang:
                    time.sleep(reply.hang)
                if reply.status != 200:
                    self._json(reply.status, reply.error or {"error": {"message": "failed"}}, reply.headers)
                    return
                anthropic = self.path.rstrip("/").endswith("/v1/messages")
                events = anthropic_events(body, reply) if anthropic else openai_events(body, reply)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                if reply.drop:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for delay, event in events:
                        if delay:
                            time.sleep(delay)
                        data = event.encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if reply.drop else data)
                        self.wfile.flush()
                    if reply.drop:  # no terminating zero-length chunk: the body is incomplete
                        self.connection.shutdown(socket.SHUT_RDWR)
                except (BrokenPipeError, ConnectionResetError):
                    fake.disconnected_at = time.monotonic()

        return Handler


def _sse(data, event: str | None = None) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {text}\n\n"


def openai_events(body: dict, reply: Reply):
    model = body.get("model", "fake")

    def chunk(delta: dict, finish=None) -> str:
        return _sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    yield 0, chunk({"role": "assistant", "content": ""})
    for piece in reply.thinking:
        yield reply.delay, chunk({"reasoning_content": piece})
    if not reply.empty:
        for index, piece in enumerate(reply.chunks):
            yield reply.delay, chunk({"content": piece})
            if reply.malformed and index == 0:
                yield 0, "data: {this is not json\n\n"
    if reply.cut or reply.drop:
        return
    yield 0, chunk({}, "stop")
    if reply.usage is not None:
        yield 0, _sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                       "choices": [], "usage": {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                                                "total_tokens": sum(reply.usage)}})
    yield 0, _sse("[DONE]")


def anthropic_events(body: dict, reply: Reply):
    model = body.get("model", "fake")
    usage_in, usage_out = reply.usage or (0, 0)
    yield 0, _sse({"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": usage_in, "output_tokens": 1}}},
        "message_start")
    index = 0
    if reply.thinking:
        yield 0, _sse({"type": "content_block_start", "index": index,
                       "content_block": {"type": "thinking", "thinking": "", "signature": ""}}, "content_block_start")
        for piece in reply.thinking:
            yield reply.delay, _sse({"type": "content_block_delta", "index": index,
                                     "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
        yield 0, _sse({"type": "content_block_delta", "index": index,
                       "delta": {"type": "signature_delta", "signature": "sig"}}, "content_block_delta")
        yield 0, _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    if not reply.empty:
        yield 0, _sse({"type": "content_block_start", "index": index,
                       "content_block": {"type": "text", "text": ""}}, "content_block_start")
        for number, piece in enumerate(reply.chunks):
            yield reply.delay, _sse({"type": "content_block_delta", "index": index,
                                     "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
            if reply.malformed and number == 0:
                yield 0, "event: content_block_delta\ndata: {this is not json\n\n"
        if reply.cut or reply.drop:
            return
        yield 0, _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
    yield 0, _sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                   "usage": {"output_tokens": usage_out}}, "message_delta")
    yield 0, _sse({"type": "message_stop"}, "message_stop")
