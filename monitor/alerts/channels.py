"""Where alerts go: console, a JSONL file, email over SMTP, and a signed webhook (Slack-compatible body).
Channel definitions are data (ChannelSpec, validated when rules load); secrets come only from the environment."""
from __future__ import annotations

import json
import logging
import os
import re
import smtplib
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import PurePath
from typing import Any, Protocol, TextIO, cast

from monitor.alerts.messages import alert_email, alert_text, slack_body
from monitor.alerts.schema import CHANNEL_FIELDS, SECRET_ENV, SchemaError, check
from monitor.alerts.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookAddressError,
    WebhookResponseError,
    check_webhook_url,
    post_webhook,
    signature_headers,
    verify_signature,
)
from monitor.config import Settings, data_dir

log = logging.getLogger(__name__)

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "signature_headers", "verify_signature"]

DEFAULT_SECRET_ENV = "DESKWATCH_WEBHOOK_SECRET"
# secret_env may only name a variable meant as a webhook secret: DESKWATCH_WEBHOOK_SECRET or ..._<NAME>.
SECRET_ENV_RE = re.compile(SECRET_ENV)
# Options per channel type: monitor.alerts.schema.CHANNEL_FIELDS. Email servers, ports, users and TLS are
# settings only: a rules file chooses recipients, never where the SMTP password goes.
SERVER_OPTIONS = {"host", "port", "user", "username", "starttls", "tls", "ssl", "server", "smtp_host", "smtp_port"}
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


def parse_channel_spec(name: str, options: dict[str, Any], allowed_hosts: Collection[str] = ()) -> ChannelSpec:
    """Validate one [channels.NAME] table (`allowed_hosts`: the settings' webhook_allowed_hosts)."""
    kind = options.get("type")
    if kind not in CHANNEL_FIELDS:
        raise ChannelSpecError(f"channel {name!r}: 'type' must be one of {', '.join(CHANNEL_FIELDS)}", "type")
    rest = {k: v for k, v in options.items() if k != "type"}
    for key, value in rest.items():
        rest[key] = _check_option(name, kind, key, value)
    if kind == "webhook":
        _check_webhook_options(name, rest, allowed_hosts)
    if kind == "jsonl" and "path" in rest:
        check_jsonl_path(name, rest["path"])
    return ChannelSpec(name, kind, rest)


def _check_option(name: str, kind: str, key: str, value: Any) -> Any:
    if kind == "email" and key.lower() in SERVER_OPTIONS:
        raise ChannelSpecError(f"channel {name!r}: {key!r} cannot be set in a rules file: the SMTP server, port, "
                               "user and TLS come from the settings (deskwatch.toml or DESKWATCH_SMTP_*)", key)
    if not key.endswith("_env") and any(word in key.lower() for word in SECRET_WORDS):
        raise ChannelSpecError(f"channel {name!r}: {key!r} is a secret: set it in an environment variable", key)
    if key not in CHANNEL_FIELDS[kind]:
        raise ChannelSpecError(f"channel {name!r}: unknown option {key!r} for type {kind!r}", key)
    try:
        return check(key, value, CHANNEL_FIELDS[kind][key])
    except SchemaError as exc:
        raise ChannelSpecError(f"channel {name!r}: '{key}' {exc.reason}", key) from exc


def _check_webhook_options(name: str, rest: dict[str, Any], allowed_hosts: Collection[str]) -> None:
    if "url" not in rest:
        raise ChannelSpecError(f"channel {name!r}: a webhook needs 'url'", "type")
    try:
        check_webhook_url(rest["url"], allowed_hosts)
    except WebhookAddressError as exc:
        raise ChannelSpecError(f"channel {name!r}: {exc}", "url") from exc


def check_jsonl_path(name: str, path: str) -> None:
    """A relative path inside the data directory: no absolute path, drive or '..'."""
    pure = PurePath(path.replace("\\", "/"))
    if not path.strip() or pure.is_absolute() or pure.drive or ".." in pure.parts or "\0" in path:
        raise ChannelSpecError(f"channel {name!r}: 'path' must be a file name inside the data directory "
                               f"(no absolute path or '..'), not {path!r}", "path")


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
    """Appends one JSON object per alert to a file inside the data directory (never outside it)."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        relative = spec.options.get("path", "alerts.jsonl")
        check_jsonl_path(spec.name, relative)
        root = data_dir(settings).resolve()
        self.path = (root / relative).resolve()
        if not self.path.is_relative_to(root):  # a symlink inside the data directory pointing out of it
            raise ChannelSpecError(f"channel {spec.name!r}: {relative!r} leads outside the data directory", "path")

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
    }


class EmailChannel:
    """Sends a text + HTML email through SMTP (smtplib). Server, port, user and STARTTLS come from the
    settings only, so DESKWATCH_SMTP_PASSWORD only ever goes to the server it was configured for."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        opts = spec.options
        self.host = settings.smtp_host
        self.port = int(settings.smtp_port)
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.sender = opts.get("from", settings.smtp_from)
        self.to = list(opts.get("to", settings.smtp_to))
        self.starttls = bool(settings.smtp_starttls or self.port == 587)
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
            # multipart/alternative now: the payload is its parts, the HTML one last
            html_part = cast(list[EmailMessage], msg.get_payload())[-1]
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
    """POSTs a Slack-compatible JSON body, signed with HMAC-SHA256 over "<timestamp>.<body>", to a public
    address (or a host allowed in settings), following no redirect."""

    def __init__(self, spec: ChannelSpec, settings: Settings) -> None:
        self.name = spec.name
        self.url = spec.options["url"]
        self.allowed_hosts = tuple(settings.webhook_allowed_hosts)
        check_webhook_url(self.url, self.allowed_hosts, resolve=False)
        self.secret_env = spec.options.get("secret_env", DEFAULT_SECRET_ENV)
        if not SECRET_ENV_RE.fullmatch(self.secret_env):
            raise ChannelSpecError(f"channel {self.name!r}: secret_env {self.secret_env!r} is not a webhook secret")
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
        try:
            post_webhook(self.url, body, headers, timeout_s=self.timeout_s, allowed_hosts=self.allowed_hosts)
        except (WebhookAddressError, WebhookResponseError) as exc:
            raise DeliveryError(f"webhook {self.name}: {exc}") from exc
        except (OSError, ValueError) as exc:  # refused, reset, timed out, unresolvable, TLS, bad status line
            raise DeliveryError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from exc
