"""Where alerts go: console, a JSONL file, email over SMTP, and a signed webhook (Slack-compatible body).
Channel definitions are data (ChannelSpec, validated when rules load); secrets come only from the environment."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import smtplib
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import urlsplit

from monitor.alerts.messages import alert_email, alert_text, slack_body
from monitor.config import Settings, data_dir

log = logging.getLogger(__name__)

DEFAULT_SECRET_ENV = "DESKWATCH_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Deskwatch-Signature"
TIMESTAMP_HEADER = "X-Deskwatch-Timestamp"
# Allowed options per channel type, with their types.
CHANNEL_OPTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "console": {"stream": str},
    "jsonl": {"path": str},
    "email": {"to": list, "from": str, "host": str, "port": int, "user": str, "starttls": bool,
              "subject_prefix": str},  # fmt: skip
    "webhook": {"url": str, "secret_env": str, "sign": bool, "timeout_s": (int, float)},
}
SECRET_WORDS = ("password", "secret", "token")


class ChannelSpecError(ValueError):
    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class DeliveryError(RuntimeError):
    """A send that did not go through; the outbox records it and retries."""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, alert: dict[str, Any]) -> None: ...


def builtin_channel_specs() -> dict[str, ChannelSpec]:
    """Channels every rules file may name without defining them."""
    return {
        "console": ChannelSpec("console", "console"),
        "jsonl": ChannelSpec("jsonl", "jsonl", {"path": "alerts.jsonl"}),
        "email": ChannelSpec("email", "email"),
    }


def parse_channel_spec(name: str, options: dict[str, Any]) -> ChannelSpec:
    """Validate one [channels.NAME] table."""
    kind = options.get("type")
    if kind not in CHANNEL_OPTIONS:
        raise ChannelSpecError(f"channel {name!r}: 'type' must be one of {', '.join(CHANNEL_OPTIONS)}", "type")
    allowed = CHANNEL_OPTIONS[kind]
    rest = {k: v for k, v in options.items() if k != "type"}
    for key, value in rest.items():
        if key.endswith("_env"):
            pass
        elif any(word in key.lower() for word in SECRET_WORDS):
            raise ChannelSpecError(f"channel {name!r}: {key!r} is a secret: set it in an environment variable", key)
        if key not in allowed:
            raise ChannelSpecError(f"channel {name!r}: unknown option {key!r} for type {kind!r}", key)
        if isinstance(value, bool) and allowed[key] is not bool or not isinstance(value, allowed[key]):
            raise ChannelSpecError(f"channel {name!r}: option {key!r} has the wrong type", key)
    if kind == "webhook":
        if "url" not in rest:
            raise ChannelSpecError(f"channel {name!r}: a webhook needs 'url'", "type")
        try:
            check_webhook_url(rest["url"])
        except ValueError as exc:
            raise ChannelSpecError(f"channel {name!r}: {exc}", "url") from exc
    if kind == "email" and "to" in rest and not all(isinstance(a, str) and "@" in a for a in rest["to"]):
        raise ChannelSpecError(f"channel {name!r}: 'to' must be a list of addresses", "to")
    return ChannelSpec(name, kind, rest)


def check_webhook_url(url: str) -> None:
    """HTTPS everywhere; plain HTTP only to this machine (loopback)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return
    raise ValueError(f"webhook URL {url!r} must use https (plain http only on loopback)")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_channel(spec: ChannelSpec, settings: Settings) -> Channel:
    """A ready channel for a spec, with settings (SMTP host, data dir) filled in."""
    builders = {"console": ConsoleChannel, "jsonl": JsonlChannel, "email": EmailChannel, "webhook": WebhookChannel}
    return builders[spec.type](spec, settings)  # type: ignore[abstract]


class ConsoleChannel:
    """One readable paragraph per alert on stdout (or stderr)."""

    def __init__(self, spec: ChannelSpec, settings: Settings, stream: TextIO | None = None) -> None:
        self.name = spec.name
        self._stream = stream
        self._stream_name = spec.options.get("stream", "stdout")

    def send(self, alert: dict[str, Any]) -> None:
        stream = self._stream or (sys.stderr if self._stream_name == "stderr" else sys.stdout)
        stream.write(alert_text(alert) + "\n\n")
        stream.flush()


class JsonlChannel:
    """Appends one JSON object per alert to a file in the data directory (or an absolute path)."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        path = Path(spec.options.get("path", "alerts.jsonl"))
        self.path = path if path.is_absolute() else data_dir(settings) / path

    def send(self, alert: dict[str, Any]) -> None:
        line = json.dumps(jsonl_record(alert), ensure_ascii=False, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise DeliveryError(f"cannot append to {self.path}: {exc}") from exc


def jsonl_record(alert: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert_id": alert["id"], "rule": alert["rule"], "subject_type": alert["subject_type"],
        "subject_id": alert["subject_id"], "created_at": alert["created_at"], **alert.get("payload", {}),
    }  # fmt: skip


class EmailChannel:
    """Sends a text + HTML email through SMTP (smtplib); the password comes from DESKWATCH_SMTP_PASSWORD."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        opts = spec.options
        self.host = opts.get("host", settings.smtp_host)
        self.port = int(opts.get("port", settings.smtp_port))
        self.user = opts.get("user", settings.smtp_user)
        self.password = settings.smtp_password
        self.sender = opts.get("from", settings.smtp_from)
        self.to = list(opts.get("to", settings.smtp_to))
        self.starttls = bool(opts.get("starttls", self.port == 587))
        self.subject_prefix = opts.get("subject_prefix", "[deskwatch]")

    def send(self, alert: dict[str, Any]) -> None:
        subject, text, html = alert_email(alert)
        self.send_message(f"{self.subject_prefix} {subject}".strip(), text, html)

    def send_message(
        self, subject: str, text: str, html: str | None = None, inline_images: dict[str, bytes] | None = None
    ) -> None:
        """Send one message to every recipient; raises DeliveryError with the SMTP reason. Each inline image
        (Content-ID → PNG bytes) is embedded beside the HTML, which shows it as <img src="cid:ID">."""
        if not self.host:
            raise DeliveryError("email channel: no SMTP host (set smtp_host in deskwatch.toml or DESKWATCH_SMTP_HOST)")
        if not self.to:
            raise DeliveryError("email channel: no recipients (smtp_to or the channel's 'to')")
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, self.sender, ", ".join(self.to)
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
            html_part = msg.get_payload()[-1]
            for cid, png in (inline_images or {}).items():
                html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc


class WebhookChannel:
    """POSTs a Slack-compatible JSON body, signed with HMAC-SHA256 over "<timestamp>.<body>"."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        self.url = spec.options["url"]
        check_webhook_url(self.url)
        self.secret_env = spec.options.get("secret_env", DEFAULT_SECRET_ENV)
        self.sign = bool(spec.options.get("sign", True))
        self.timeout_s = float(spec.options.get("timeout_s", 15))

    def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps(slack_body(alert), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Deskwatch-Alert-Id": str(alert["id"])}
        if self.sign:
            secret = os.environ.get(self.secret_env)
            if not secret:
                raise DeliveryError(f"webhook {self.name}: ${self.secret_env} is not set (or set sign = false)")
            headers.update(signature_headers(secret, body))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook {self.name}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"webhook {self.name}: {getattr(exc, 'reason', exc)}") from exc


def signature_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a receiver checks: recompute HMAC-SHA256(secret, f"{ts}.{body}") and compare."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode("utf-8"), ts.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str) -> bool:
    """What a receiver does with the two headers (used by tests and the benchmark's receiver)."""
    expected = signature_headers(secret, body, int(timestamp))[SIGNATURE_HEADER]
    return hmac.compare_digest(expected, signature)
