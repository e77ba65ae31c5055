"""The attacker's own servers on 127.0.0.1: an SMTP catcher that records logins and mail, and an HTTP host
that records every request (any method) and can answer with a redirect."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpCatcher:
    port: int = 0
    logins: list[bytes] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


@contextmanager
def smtp_catcher() -> Iterator[SmtpCatcher]:
    """An SMTP server that accepts AUTH (recording the password) and every message."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    catcher = SmtpCatcher(port=free_port())

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        catcher.logins.append(data.password)
        return AuthResult(success=True)

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            catcher.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Inbox(), hostname="127.0.0.1", port=catcher.port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()


class HttpHost:
    """Records every request; `redirect_to` makes it answer 302 with that Location; `status` otherwise."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None, status: int = 200,
                 body: bytes = b"ok", content_type: str = "text/plain") -> None:
        self.requests: list[dict[str, Any]] = []
        host_server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                host_server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                             "body": self.rfile.read(length) if length else b""})
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
