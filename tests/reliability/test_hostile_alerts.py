"""A rules file (editable by the web admin) and a webhook's owner try to turn deskwatch against the operator:
the SMTP password sent to their server, another secret used as a webhook key, internal addresses called,
a redirect followed with the signature, a replayed signature. Each is refused; the attacker's servers on
127.0.0.1 receive nothing."""
from __future__ import annotations

import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.channels import (
    ChannelSpec,
    DeliveryError,
    EmailChannel,
    WebhookChannel,
    signature_headers,
    verify_signature,
)
from monitor.alerts.engine import deliver_pending, evaluate
from monitor.alerts.rules import RuleError, parse_rules
from monitor.alerts.webhook_receiver import WebhookReceiver
from monitor.config import Settings
from storage.alerts import list_alerts
from storage.repository import Store
from tests.monitor.act_helpers import T0, add_story, extraction
from tests.reliability.hostile import HttpHost, smtp_catcher

PASSWORD = "smtp-pass-Kq81-never-elsewhere"
RULE = '\n[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["{channel}"]\n'
ALERT: dict[str, Any] = {"id": 3, "rule": "kr", "subject_type": "story", "subject_id": "1",
                         "created_at": "2026-11-20T03:00:00+00:00", "payload": {"kind": "new", "title": "Held"}}


# ---- 1. the SMTP password goes only to the configured server ---------------------------------------
@pytest.mark.parametrize("option", ['host = "127.0.0.1"', "port = {port}", 'user = "thief"', "starttls = false"])
def test_a_rules_file_cannot_choose_the_smtp_server_port_user_or_tls(option: str) -> None:
    text = '[channels.email]\ntype = "email"\nto = ["x@evil.example"]\n' + option.format(port=2525) + "\n"
    with pytest.raises(RuleError) as info:
        parse_rules(text + RULE.format(channel="email"), "rules.toml")
    assert info.value.line == 4 and "come from the settings" in str(info.value)


def test_the_smtp_password_reaches_only_the_configured_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DESKWATCH_SMTP_PASSWORD", PASSWORD)
    with smtp_catcher() as legit, smtp_catcher() as attacker:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=legit.port, smtp_user="desk", data_dir=tmp_path)
        # Even a spec that skipped validation cannot move the server: only recipients come from rules.
        spec = ChannelSpec("email", "email", {"host": "127.0.0.1", "port": attacker.port, "user": "thief",
                                              "starttls": False, "to": ["desk@example.org"]})
        EmailChannel(spec, settings).send(ALERT)
    assert attacker.logins == [] and attacker.messages == []
    assert legit.logins == [PASSWORD.encode()] and legit.messages[0]["To"] == "desk@example.org"


def test_digest_send_ignores_a_hostile_rules_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from monitor.digest.build import build_digest, send_digest

    monkeypatch.setenv("DESKWATCH_SMTP_PASSWORD", PASSWORD)
    store = Store(f"sqlite:///{tmp_path / 'digest.sqlite'}")
    add_story(store, title="Korean held", data=extraction(["kidnapping"]))
    with smtp_catcher() as legit, smtp_catcher() as attacker:
        rules = tmp_path / "rules.toml"
        rules.write_text(f'[channels.email]\ntype = "email"\nhost = "127.0.0.1"\nport = {attacker.port}\n'
                         'user = "thief"\nstarttls = false\nto = ["x@evil.example"]\n', encoding="utf-8")
        settings = Settings(smtp_host="127.0.0.1", smtp_port=legit.port, smtp_user="desk", smtp_to=["desk@example.org"],
                            rules_file=rules, data_dir=tmp_path)
        send_digest(store, build_digest(store, T0.date() + timedelta(days=1), settings), settings)
    store.close()
    assert attacker.logins == [] and attacker.messages == []
    assert legit.logins == [PASSWORD.encode()] and legit.messages[0]["To"] == "desk@example.org"


# ---- 2. secret_env names webhook secrets only -------------------------------------------------------
@pytest.mark.parametrize("name", ["DESKWATCH_SMTP_PASSWORD", "DESKWATCH_API_TOKEN", "HOME", "deskwatch_webhook_secret",
                                  "DESKWATCH_WEBHOOK_SECRETX"])
def test_secret_env_may_only_name_a_webhook_secret(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKWATCH_SMTP_PASSWORD", PASSWORD)
    with WebhookReceiver() as receiver:
        text = f'[channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\nsecret_env = "{name}"\n'
        with pytest.raises(RuleError) as info:
            parse_rules(text, "rules.toml", allowed_hosts=["127.0.0.1"])
        assert info.value.line == 4 and "DESKWATCH_WEBHOOK_SECRET_<NAME>" in str(info.value)
        spec = ChannelSpec("hook", "webhook", {"url": receiver.url, "secret_env": name})
        with pytest.raises(ValueError, match="not a webhook secret"):
            WebhookChannel(spec, Settings(webhook_allowed_hosts=["127.0.0.1"])).send(ALERT)
    assert receiver.requests == []  # no signature keyed by another secret ever left


def test_a_prefixed_webhook_secret_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET_OPS", "ops-secret")
    with WebhookReceiver() as receiver:
        text = f'[channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\nsecret_env = "DESKWATCH_WEBHOOK_SECRET_OPS"\n'
        spec = parse_rules(text, allowed_hosts=["127.0.0.1"]).channels["hook"]
        WebhookChannel(spec, Settings(webhook_allowed_hosts=["127.0.0.1"])).send(ALERT)
    (request,) = receiver.requests
    headers = request["headers"]
    assert verify_signature("ops-secret", request["body"], headers["X-Deskwatch-Timestamp"],
                            headers["X-Deskwatch-Signature"])


# ---- 3. webhooks reach public addresses only, and follow no redirect ---------------------------------
@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.5/hook", "https://192.168.1.1/hook",
    "https://localhost/hook", "https://[::1]/hook", "https://224.0.0.251/hook", "https://240.0.0.1/hook",
    "https://0.0.0.0/hook", "https://[::ffff:127.0.0.1]/hook", "https://100.64.0.1/hook", "https://[fd00::1]/hook",
    "http://localhost:8080/hook",
])
def test_webhooks_to_internal_addresses_are_refused_at_load(url: str) -> None:
    text = f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\n'
    with pytest.raises(RuleError) as info:
        parse_rules(text + RULE.format(channel="hook"), "rules.toml")
    assert info.value.line == 3 and "webhook_allowed_hosts" in str(info.value)


def test_internal_hosts_are_allowed_by_name_in_settings_only() -> None:
    text = '[channels.hook]\ntype = "webhook"\nurl = "http://localhost:8080/hook"\n'
    assert parse_rules(text, allowed_hosts=["localhost"]).channels["hook"].options["url"].startswith("http://localhost")
    with pytest.raises(RuleError, match="unknown top-level key"):
        parse_rules('webhook_allowed_hosts = ["localhost"]\n' + text)


def test_a_host_that_resolves_to_loopback_at_delivery_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: public when the rules load, 127.0.0.1 when the alert goes out."""
    real = socket.getaddrinfo
    answers = {"hooks.partner.example": "93.184.216.34"}

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return real(answers[host], *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET", "k")
    with WebhookReceiver() as receiver:
        port = receiver.server.server_address[1]
        text = f'[channels.hook]\ntype = "webhook"\nurl = "https://hooks.partner.example:{port}/hook"\n'
        spec = parse_rules(text).channels["hook"]  # public now: accepted
        answers["hooks.partner.example"] = "127.0.0.1"
        with pytest.raises(DeliveryError, match="non-public address"):
            WebhookChannel(spec, Settings()).send(ALERT)
    assert receiver.requests == []


def test_a_redirecting_webhook_is_a_recorded_failure_and_not_followed(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET", "k")
    store = Store(f"sqlite:///{tmp_path / 'hook.sqlite'}")
    with HttpHost(host="127.0.0.1") as elsewhere:
        target = f"http://localhost:{elsewhere.port}/steal"
        with HttpHost(redirect_to=target) as hook:
            url = f"http://127.0.0.1:{hook.port}/hook"
            rules = parse_rules(f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\n' + RULE.format(channel="hook"),
                                allowed_hosts=["127.0.0.1"])
            add_story(store, title="Korean held", data=extraction(["kidnapping"]))
            evaluate(store, rules, now=T0)
            settings = Settings(data_dir=tmp_path, webhook_allowed_hosts=["127.0.0.1"])
            report = deliver_pending(store, settings, rules=rules, now=T0)
    (alert,) = list_alerts(store)
    store.close()
    assert len(hook.requests) == 1 and elsewhere.requests == []
    assert report.sent == 0 and alert["status"] != "sent"
    assert "302 redirect" in alert["last_error"] and "not followed" in alert["last_error"]


# ---- 8. signatures: canonical integer timestamps within a window ----------------------------------
def test_verify_signature_refuses_replays_and_malformed_timestamps() -> None:
    body, now = b'{"text": "x"}', time.time()
    fresh = signature_headers("k", body, int(now))
    assert verify_signature("k", body, fresh["X-Deskwatch-Timestamp"], fresh["X-Deskwatch-Signature"])
    old = signature_headers("k", body, 1_000_000_000)  # 2001
    assert not verify_signature("k", body, old["X-Deskwatch-Timestamp"], old["X-Deskwatch-Signature"])
    assert not verify_signature("k", body, *_pair(signature_headers("k", body, int(now) - 301)))
    assert verify_signature("k", body, *_pair(signature_headers("k", body, int(now) - 299)))
    assert verify_signature("k", body, *_pair(old), now=1_000_000_100)  # its own moment, within the window
    assert verify_signature("k", body, *_pair(old), window_s=10**10)
    for stamp in (" 01000000000", "01000000000", "1e3", "+1000000000", "1000000000.0", "١٠٠٠٠٠٠٠٠٠", "", "-5",
                  "9" * 40, "1000000000\n"):
        signed_as_is = "sha256=" + "0" * 64
        assert verify_signature("k", body, stamp, signed_as_is) is False
        assert verify_signature("k", body, stamp, old["X-Deskwatch-Signature"], window_s=10**12) is False
    assert verify_signature("k", body, fresh["X-Deskwatch-Timestamp"], "sha256=zz") is False
    assert verify_signature("k", body, None, None) is False  # type: ignore[arg-type]


def _pair(headers: dict[str, str]) -> tuple[str, str]:
    return headers["X-Deskwatch-Timestamp"], headers["X-Deskwatch-Signature"]
