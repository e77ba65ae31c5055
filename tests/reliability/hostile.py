"""The attacker's own servers on 127.0.0.1: an SMTP catcher that records logins and mail, and an HTTP host
that records every request (any method) and can answer with a redirect."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from monitor.alerts.webhook_receiver import RecordingServer


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


class HttpHost(RecordingServer):
    """Records every request; `redirect_to` makes it answer 302 with that Location; `status` otherwise."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None, status: int = 200,
                 body: bytes = b"ok", content_type: str = "text/plain") -> None:
        super().__init__(host)
        self.redirect_to, self.status, self.body, self.content_type = redirect_to, status, body, content_type

    def reply(self) -> tuple[int, dict[str, str], bytes]:
        if self.redirect_to:
            return 302, {"Location": self.redirect_to}, b""
        return self.status, {"Content-Type": self.content_type}, self.body
