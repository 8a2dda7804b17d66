"""A tiny OpenAI-compatible server for tests: it records every request body and answers as told.

`RecordingServer()` listens on 127.0.0.1 (a free port) in a thread. `mode` picks the answer to
POST /v1/chat/completions: "ok" streams `reply` (a list of pieces) as server-sent events; an int
answers that HTTP status with an OpenAI-style error; "cut" sends one piece and closes the connection
without ending the reply; "slow" waits `delay_s` before answering; "hang" sends one piece, then
nothing for `delay_s`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RecordingServer:
    """See the module docstring; use as a context manager."""

    def __init__(self, reply: list[str] | None = None) -> None:
        self.bodies: list[bytes] = []
        self.mode: str | int = "ok"
        self.reply = reply or ["Hello", "!"]
        self.delay_s = 5.0
        self.closed = threading.Event()  # set when a "hang" answer saw its client go away
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="recording-server", daemon=True)

    @property
    def base_url(self) -> str:
        """The API root to configure, http://127.0.0.1:<port>/v1."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def requests(self) -> list[dict[str, Any]]:
        """The recorded bodies, parsed."""
        return [json.loads(b) for b in self.bodies]

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    data = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "recorder",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _handler(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"object": "list", "data": [{"id": "recorder", "object": "model"}]}).encode()
            self._send(200, body, "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            server.bodies.append(body)
            mode = server.mode
            if isinstance(mode, int):
                error = {"error": {"message": f"status {mode} for the test", "type": "test", "code": mode}}
                self._send(mode, json.dumps(error).encode(), "application/json")
                return
            if mode == "slow":
                time.sleep(server.delay_s)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            if mode == "cut":
                self.wfile.write(_chunk(server.reply[0]))
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "hang":
                self._hang()
                return
            for piece in server.reply:
                self.wfile.write(_chunk(piece))
            self.wfile.write(_chunk(None, "stop") + b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _hang(self) -> None:
            try:
                self.wfile.write(_chunk(server.reply[0]))
                self.wfile.flush()
                deadline = time.monotonic() + server.delay_s
                while time.monotonic() < deadline:  # a keep-alive comment each 50 ms finds a closed socket
                    time.sleep(0.05)
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
            except OSError:
                server.closed.set()
            self.close_connection = True

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
