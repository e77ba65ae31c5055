"""Sign-in against a token-guessing client and a kept cookie: wrong tokens are throttled per client and
logged (never the token itself), signing out ends the session on the server, and a token can require
sign-in on loopback too."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from web_seed import ADMIN_TOKEN, ANALYST_TOKEN

from cli.main import cli
from web.app import create_app

SIGN_IN_FAILURES = 5  # the documented default: 5 wrong tokens per client within 5 minutes


def _csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client: TestClient, token: str) -> int:
    return client.post("/login", data={"csrf_token": _csrf(client), "token": token, "next": "/search"}).status_code


def test_signing_out_ends_the_session_on_the_server(token_client: TestClient) -> None:
    assert _sign_in(token_client, ANALYST_TOKEN) == 303
    kept = token_client.cookies.get("dw_session")
    assert token_client.get("/search").status_code == 200
    token_client.post("/logout", data={"csrf_token": _csrf(token_client, "/search")})
    token_client.cookies.set("dw_session", kept)  # the attacker's copy of the cookie
    assert token_client.get("/search").status_code == 303
    assert token_client.get("/api/stats").status_code == 401


def test_wrong_tokens_are_throttled_per_client_and_logged(seeded_db, rules_file: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = create_app(seeded_db[0], token=ANALYST_TOKEN, admin_token=ADMIN_TOKEN, rules_path=rules_file)
    base = "http://desk.example.org"
    with TestClient(app, base_url=base, follow_redirects=False, client=("203.0.113.7", 4000)) as guesser, \
            TestClient(app, base_url=base, follow_redirects=False, client=("198.51.100.2", 4000)) as colleague:
        for n in range(SIGN_IN_FAILURES):
            assert _sign_in(guesser, f"guess-number-{n:04d}") == 401
        blocked = guesser.post("/login", data={"csrf_token": _csrf(guesser), "token": ANALYST_TOKEN})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0 and "try again" in blocked.text
        assert "dw_session" not in blocked.cookies
        api = guesser.get("/api/stats", headers={"Authorization": f"Bearer {ANALYST_TOKEN}"})
        assert api.status_code == 429  # the API's bearer tokens share the count
        assert _sign_in(colleague, ANALYST_TOKEN) == 303  # another client is not locked out
    failures = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert len(failures) == SIGN_IN_FAILURES and all("203.0.113.7" in m for m in failures)
    assert not any("guess-number" in r.getMessage() for r in caplog.records)


def test_the_throttle_window_slides() -> None:
    from web.security import SignInThrottle

    throttle = SignInThrottle(limit=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert throttle.retry_after("a", now=t) == 0
        throttle.failed("a", "API header", now=t)
    assert throttle.retry_after("a", now=3.0) == 58 and throttle.retry_after("b", now=3.0) == 0
    assert throttle.retry_after("a", now=61.0) == 0  # the first failure left the window


def test_a_token_requires_sign_in_on_loopback_too(seeded_db, rules_file: Path) -> None:
    app = create_app(seeded_db[0], token=ANALYST_TOKEN, rules_path=rules_file)
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as local:
        assert local.get("/search").status_code == 303 and local.get("/api/stats").status_code == 401


def test_serve_with_web_require_token_refuses_loopback_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.append(app))
    monkeypatch.delenv("DESKWATCH_API_TOKEN", raising=False)
    monkeypatch.delenv("DESKWATCH_ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("DESKWATCH_WEB_REQUIRE_TOKEN", "true")
    result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "0"])
    assert result.exit_code == 2 and started == []
    assert "web_require_token" in result.output and "DESKWATCH_API_TOKEN" in result.output
