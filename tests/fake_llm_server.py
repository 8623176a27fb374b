"""A small local stand-in for an OpenAI-compatible LLM server, for tests (issue 13, part 5).

``FakeLLM()`` starts a ``ThreadingHTTPServer`` on 127.0.0.1, port 0 (a free one), in a thread;
``url`` is the base URL to configure (``http://127.0.0.1:<port>/v1``). It answers
``POST /v1/chat/completions`` in the OpenAI response shape and records every request (path,
headers, the JSON body) in ``requests``. What it answers is ``mode``:

- ``"valid"``: ``{"codes": [...]}`` from ``rule(passage) -> list of (code, confidence, rationale)``
  (default rule: no code), as the message content;
- ``"fenced"``: the same JSON inside a ```json fence, with a sentence before it;
- ``"garbage"``: prose, no JSON; ``"unknown"``: a code name not in any codebook;
- ``"500"``: HTTP 500; ``"slow"``: the valid answer after ``delay`` seconds; ``"huge"``: a 300 KB body;
- ``"redirect"``: HTTP 307 to another port; ``"drip"``: a valid answer sent one byte every
  ``delay`` seconds (each read is quick, the whole is slow).

The passage is the user message (Tandem sends nothing else there). Use it as a context manager.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Rule = Callable[[str], list]


def _completion(content: str, model: str) -> bytes:
    return json.dumps({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }, ensure_ascii=False).encode("utf-8")


class FakeLLM:
    """The fake server; see the module docstring."""

    def __init__(self, mode: str = "valid", rule: Rule | None = None, delay: float = 3.0):
        self.mode, self.rule, self.delay = mode, rule or (lambda passage: []), delay
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                if self.path != "/v1/chat/completions" or not isinstance(body, dict):
                    return self._send(404, b'{"error": "not found"}')
                status, payload = fake.answer(body)
                if fake.mode == "drip":
                    return self._drip(payload)
                self._send(status, payload)

            def _drip(self, payload: bytes):
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    for i in range(len(payload)):
                        self.wfile.write(payload[i:i + 1])
                        self.wfile.flush()
                        time.sleep(fake.delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, payload: bytes, headers: dict | None = None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def send_response(self, code, message=None):
                super().send_response(code, message)
                if code == 307:
                    self.send_header("Location", "http://127.0.0.1:9/v1/chat/completions")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def passage(self, body: dict) -> str:
        """The user message of a request body."""
        return next(m["content"] for m in body["messages"] if m["role"] == "user")

    def answer(self, body: dict) -> tuple[int, bytes]:
        """(HTTP status, body) for one request, by ``mode``."""
        model = body.get("model", "")
        mode = self.mode
        if mode == "500":
            return 500, b'{"error": {"message": "model crashed"}}'
        if mode == "redirect":
            return 307, b""
        if mode == "huge":
            return 200, _completion("x" * 300_000, model)
        if mode == "garbage":
            return 200, _completion("I think this passage is about bureaucracy.", model)
        if mode == "unknown":
            return 200, _completion(json.dumps({"codes": [{"code": "Not a code at all", "confidence": 0.9,
                                                          "rationale": "Made up."}]}), model)
        if mode == "slow":
            time.sleep(self.delay)
        codes = [{"code": c, "confidence": p, "rationale": r} for c, p, r in self.rule(self.passage(body))]
        content = json.dumps({"codes": codes}, ensure_ascii=False)
        if mode == "fenced":
            content = f"Here is my answer:\n```json\n{content}\n```"
        return 200, _completion(content, model)

    def __enter__(self) -> "FakeLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
