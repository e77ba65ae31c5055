"""Channels against real local servers: an aiosmtpd SMTP server and an HTTP webhook receiver."""
from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.alerts.channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ChannelSpec,
    DeliveryError,
    EmailChannel,
    JsonlChannel,
    WebhookChannel,
    parse_channel_spec,
    verify_signature,
)
from monitor.alerts.engine import DeliveryPolicy, deliver_pending, evaluate
from monitor.alerts.rules import parse_rules
from monitor.alerts.webhook_receiver import WebhookReceiver
from monitor.config import Settings
from storage.alerts import list_alerts
from tests.monitor.act_helpers import T0, add_story, extraction

ALERT: dict[str, Any] = {
    "id": 7, "rule": "kr", "subject_type": "story", "subject_id": "3", "created_at": "2026-11-20T03:00:00+00:00",
    "payload": {"kind": "new", "title": "Korean <held> & beaten", "incident_types": ["kidnapping"],
                "countries": ["KH"], "max_ransom_usd": 20000.0, "victim_nationality": "KR",
                "links": [{"title": "Report", "url": "https://example.org/a?x=1&y=<2>"}]},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def test_email_reaches_a_real_smtp_server(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_to=["desk@example.org"])
    EmailChannel(ChannelSpec("email", "email"), settings).send(ALERT)
    (msg,) = inbox.messages
    assert msg["To"] == "desk@example.org" and "New incident: Korean <held> & beaten" in msg["Subject"]
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "Korean &lt;held&gt; &amp; beaten" in html and "<held>" not in html
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;"' in html


def test_email_to_a_closed_port_is_a_delivery_error() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_to=["desk@example.org"])
    with pytest.raises(DeliveryError, match="SMTP 127.0.0.1"):
        EmailChannel(ChannelSpec("email", "email"), settings).send(ALERT)


def test_email_without_host_says_what_to_set() -> None:
    with pytest.raises(DeliveryError, match="smtp_host"):
        EmailChannel(ChannelSpec("email", "email"), Settings(smtp_to=["a@b.org"])).send(ALERT)


LOCAL = Settings(webhook_allowed_hosts=["127.0.0.1"])  # the operator allows the loopback receiver by name


def test_webhook_posts_signed_slack_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET_DESK", "s3cret")
    with WebhookReceiver() as receiver:
        spec = parse_channel_spec("hook", {"type": "webhook", "url": receiver.url,
                                           "secret_env": "DESKWATCH_WEBHOOK_SECRET_DESK"}, ["127.0.0.1"])
        WebhookChannel(spec, LOCAL).send(ALERT)
    (request,) = receiver.requests
    body, headers = request["body"], request["headers"]
    assert verify_signature("s3cret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
    assert not verify_signature("other", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
    assert headers["X-Deskwatch-Alert-Id"] == "7"
    payload = json.loads(body)
    assert payload["text"] == "New incident: Korean &lt;held&gt; &amp; beaten"  # Slack's escaping
    assert payload["blocks"][0]["type"] == "section" and payload["deskwatch"]["payload"]["max_ransom_usd"] == 20000.0


def test_webhook_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKWATCH_WEBHOOK_SECRET", raising=False)
    with WebhookReceiver(statuses=[500]) as receiver:
        channel = WebhookChannel(ChannelSpec("hook", "webhook", {"url": receiver.url}), LOCAL)
        with pytest.raises(DeliveryError, match="DESKWATCH_WEBHOOK_SECRET is not set"):
            channel.send(ALERT)
        monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET", "x")
        with pytest.raises(DeliveryError, match="HTTP 500"):
            channel.send(ALERT)
    with pytest.raises(ValueError, match="https"):
        WebhookChannel(ChannelSpec("hook", "webhook", {"url": "http://hooks.example.org/x"}), Settings())


def test_jsonl_channel_appends_one_line_per_alert(tmp_path: Path) -> None:
    channel = JsonlChannel(ChannelSpec("jsonl", "jsonl", {"path": "out/alerts.jsonl"}), Settings(data_dir=tmp_path))
    channel.send(ALERT)
    channel.send({**ALERT, "id": 8})
    lines = [json.loads(x) for x in (tmp_path / "out" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["alert_id"] for x in lines] == [7, 8] and lines[0]["title"] == "Korean <held> & beaten"


def test_outbox_retries_a_failing_webhook_until_it_answers(store: Any, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET", "k")
    with WebhookReceiver(statuses=[503, 502]) as receiver:
        rules = parse_rules(f'[channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\n[[rules]]\nname = "kr"\n'
                            'subject = "incident"\nchannels = ["hook"]\n[rules.when]\nvictim_nationality = "KR"\n',
                            allowed_hosts=["127.0.0.1"])
        add_story(store, title="Korean held", data=extraction(["kidnapping"]))
        evaluate(store, rules, now=T0)
        settings = Settings(data_dir=tmp_path, webhook_allowed_hosts=["127.0.0.1"])
        policy = DeliveryPolicy(base_delay_s=1)
        clock = T0
        for _ in range(3):
            deliver_pending(store, settings, rules=rules, policy=policy, now=clock)
            clock += timedelta(seconds=10)
    (row,) = list_alerts(store)
    assert row["status"] == "sent" and row["attempts"] == 3
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Deskwatch-Alert-Id"] for r in receiver.requests}) == 1
