"""Security boundaries: no fetching on a user's say-so (CLI start URLs, the web API), rule files are data
and never run code, and secrets set in the environment never reach a log, a stored error or output."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.start_url import StartUrlError, check_start_url
from storage.sources import list_sources, recent_runs
from tests.reliability.sites import PROJECT_ROOT

SMTP_PASSWORD = "smtp-pw-Zq81xKc"
WEBHOOK_SECRET = "hook-secret-Pw73mMv"
KR_MOFA_KEY = "mofa-key-Lr55nBq%2Bz"


class Canary:
    """A loopback HTTP server that only counts requests: any hit means something fetched a user's URL."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/canary"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


# ---- no SSRF -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/admin", "https://evil.example/feed.xml",
    "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "http://en.yna.co.kr.evil.example/RSS/news.xml",
])
def test_foreign_start_urls_are_refused(url: str) -> None:
    with pytest.raises(StartUrlError):
        check_start_url(url, "https://en.yna.co.kr/RSS/news.xml")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8123/yonhap-en/RSS/news.xml", "http://localhost/x", "http://[::1]:9/x",
    "https://en.yna.co.kr/RSS/other.xml", "https://www.yna.co.kr/rss/news.xml".replace("www.yna", "en.yna"),
])
def test_loopback_and_registry_hosts_are_allowed(url: str) -> None:
    assert check_start_url(url, "https://en.yna.co.kr/RSS/news.xml") == url
    assert check_start_url("https://elsewhere.example/", "https://en.yna.co.kr/", any_host=True)


@pytest.mark.parametrize("argv", [
    ["-m", "cli", "--db", "{db}", "crawl", "yonhap-en", "--url", "http://169.254.169.254/latest/"],
    ["-m", "crawler.runner", "yonhap-en", "--db", "{db}", "--url", "http://169.254.169.254/latest/"],
])
def test_cli_refuses_a_foreign_start_url_before_crawling(argv: list[str], sqlite_url: str) -> None:
    from storage.repository import Store
    proc = subprocess.run([sys.executable, *(a.format(db=sqlite_url) for a in argv)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 2 and "--any-host" in proc.stderr, proc.stderr[-1500:]
    store = Store(sqlite_url)
    try:
        assert recent_runs(store) == []  # refused before anything ran
    finally:
        store.close()


def _web_paths(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every page and API route, path parameters filled in."""
    from fastapi.routing import APIRoute

    found = {(m, path) for path, ops in app.openapi()["paths"].items() for m in ops}
    stack = list(app.routes)
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            found |= {(m.lower(), route.path) for m in route.methods}
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)
    return {(m.upper(), re.sub(r"\{[^}]+\}", "1", p)) for m, p in found if m in {"get", "post"}}


def test_no_web_endpoint_fetches_a_url_it_is_given(tmp_path: Path, canary: Canary) -> None:
    from fastapi.testclient import TestClient

    from monitor.alerts.rules import load_rules
    from web.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'web.sqlite'}", rules_path=tmp_path / "rules.toml", rules_loader=load_rules)
    bait = dict.fromkeys(("q", "url", "next", "source", "country", "feed", "link", "href", "callback", "since"),
                         canary.url)
    paths = _web_paths(app)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        for method, path in sorted(paths):
            client.request(method, path, params=bait, data=bait if method == "POST" else None)
    assert len(paths) > 20 and canary.hits == []
    web_source = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "web").rglob("*.py"))
    for client_import in ("urllib.request", "import httpx", "import requests", "http.client", "crawler.runner",
                          "run_crawls", "subprocess"):
        assert client_import not in web_source, client_import


# ---- rule files are data -----------------------------------------------------------------------------
def test_rule_files_never_execute_code(tmp_path: Path) -> None:
    from monitor.alerts.engine import evaluate
    from monitor.alerts.rules import RuleError, load_rules
    from storage.repository import Store
    from tests.monitor.act_helpers import add_story, extraction

    marker = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {marker}')"
    attempts = [
        f'[[rules]]\nname = "x"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\nkeywords = ["{payload}"]\n',
        f'[[rules]]\nname = "{payload}"\nsubject = "incident"\nchannels = ["console"]\n',
        f'[[rules]]\nname = "x"\nsubject = "{payload}"\nchannels = ["console"]\n',
        (f'[channels.c]\ntype = "jsonl"\npath = "{marker}"\n[[rules]]\nname = "x"\nsubject = "incident"\n'
         f'channels = ["c"]\n[rules.when]\nincident_types = ["{payload}"]\n'),
        f'!!python/object/apply:os.system ["touch {marker}"]\n',
    ]
    store = Store(f"sqlite:///{tmp_path / 'rules.sqlite'}")
    add_story(store, title="Korean held", data=extraction(["kidnapping"]))
    for n, text in enumerate(attempts):
        path = tmp_path / f"rules{n}.toml"
        path.write_text(text, encoding="utf-8")
        try:
            rules = load_rules(path)
        except RuleError as exc:
            assert exc.line is None or exc.line >= 1
            continue
        evaluate(store, rules)
    store.close()
    assert not marker.exists()
    alerts_source = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "monitor" / "alerts").rglob("*.py"))
    for dangerous in (r"(?<![\w.])eval\(", r"(?<![\w.])exec\(", r"(?<![\w.])compile\(", r"\bpickle\b",
                      r"yaml\.(unsafe_)?load", r"\bimportlib\b", r"__import__"):
        assert not re.search(dangerous, alerts_source), dangerous


# ---- secrets ----------------------------------------------------------------------------------------
def _secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKWATCH_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("DESKWATCH_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("DESKWATCH_KR_MOFA_KEY", KR_MOFA_KEY)


def _assert_no_secret(where: str, text: str) -> None:
    for secret in (SMTP_PASSWORD, WEBHOOK_SECRET, KR_MOFA_KEY, KR_MOFA_KEY.replace("%2B", "+")):
        assert secret not in text, f"{where} shows a secret"


def test_secrets_used_in_a_run_never_reach_logs_or_stored_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.alerts.webhook_receiver import WebhookReceiver
    from tests.monitor.act_helpers import add_story, extraction

    _secrets_env(monkeypatch)
    caplog.set_level(logging.DEBUG)
    db_url = f"sqlite:///{tmp_path / 'secrets.sqlite'}"
    logins: list[bytes] = []
    with WebhookReceiver(statuses=[500]) as receiver, _smtp_with_auth(logins) as smtp_port:
        rules = tmp_path / "rules.toml"
        rules.write_text(
            f'[channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\n\n'
            '[channels.mail]\ntype = "email"\nto = ["a@b.example"]\n\n'
            '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["hook", "mail"]\n'
            '[rules.when]\nincident_types = ["kidnapping"]\n', encoding="utf-8")
        from storage.repository import Store

        store = Store(db_url)
        add_story(store, title="Korean held", data=extraction(["kidnapping"]), when=datetime.now(UTC))
        store.close()
        env = {**os.environ, "DESKWATCH_DATA_DIR": str(tmp_path), "DESKWATCH_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
               "DESKWATCH_SMTP_HOST": "127.0.0.1", "DESKWATCH_SMTP_PORT": str(smtp_port), "DESKWATCH_SMTP_USER": "desk"}
        cli = [sys.executable, "-m", "cli", "-vv", "--db", db_url]
        outputs = [subprocess.run([*cli, "alerts", "--rules", str(rules), "--json"], cwd=PROJECT_ROOT, env=env,
                                  capture_output=True, text=True, check=False, timeout=120)]
        assert receiver.requests and "X-Deskwatch-Signature" in receiver.requests[0]["headers"]  # the secrets were used
        assert logins == [SMTP_PASSWORD.encode()]
    outputs.append(_kr_mofa_crawl(tmp_path, db_url, env))
    for proc in outputs:
        _assert_no_secret("command output", proc.stdout + proc.stderr)
    _assert_no_secret("captured logs", caplog.text)
    stored = _database_text(db_url)
    _assert_no_secret("the database", stored)
    assert "serviceKey=***" in stored and "HTTP 500" in stored  # the errors that carried the secrets were stored


@contextmanager
def _smtp_with_auth(logins: list[bytes]) -> Iterator[int]:
    """A local SMTP server that requires AUTH LOGIN/PLAIN and records the passwords it was given."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append(data.password)
        return AuthResult(success=True)

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _kr_mofa_crawl(tmp_path: Path, db_url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Crawl kr-mofa (the key goes into its query string) on the replay, with robots.txt refusing it so the
    request URL ends up in the run's stored error."""
    from crawler.replay import ReplayServer

    with ReplayServer() as replay:
        replay.robots_txt = "User-agent: *\nDisallow: /kr-mofa/\n"
        proc = subprocess.run([sys.executable, "-m", "crawler.runner", "kr-mofa", "--db", db_url, "--url",
                               replay.url_for("kr-mofa"), "--set", "LOG_LEVEL=DEBUG", "--set", "DOWNLOAD_DELAY=0",
                               "--set", "AUTOTHROTTLE_ENABLED=0"], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, check=False, timeout=120)
    assert '"kr-mofa"' in proc.stdout or "kr-mofa" in proc.stdout, proc.stderr[-2000:]
    return proc


def _database_text(db_url: str) -> str:
    from storage.alerts import list_alerts
    from storage.repository import Store

    store = Store(db_url)
    try:
        return repr(recent_runs(store)) + repr(list_sources(store)) + repr(list_alerts(store))
    finally:
        store.close()
