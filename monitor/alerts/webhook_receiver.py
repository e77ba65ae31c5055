"""A webhook receiver on 127.0.0.1 that records what the alert channels post: the local end of a
delivery for the soak benchmark and the alert tests (nothing leaves the machine). `RecordingServer`
is the one loopback HTTP server they and the hostile-host tests stand on."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class RecordingServer:
    """A real HTTP server on `host` (loopback) that records every request (any method) and answers
    with `reply`; subclasses choose the answer."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                        "body": self.rfile.read(length) if length else b""})
                status, headers, body = server.reply()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply(self) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b"ok"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(RecordingServer):
    """Records POSTs; `statuses` scripts the replies (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        super().__init__()
        self.statuses = list(statuses or [])

    def reply(self) -> tuple[int, dict[str, str], bytes]:
        return (self.statuses.pop(0) if self.statuses else 200), {}, b"ok"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"
