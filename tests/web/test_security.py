"""Access: tokens and login sessions, analyst vs admin on the rules page, CSRF on every POST form,
loopback Host names without a token, and `deskwatch serve` refusing an open bind without a token."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from web_seed import ADMIN_TOKEN, ANALYST_TOKEN, RULES_TEXT

from cli.main import cli


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client: TestClient, token: str) -> None:
    response = client.post("/login", data={"csrf_token": _csrf(client), "token": token, "next": "/rules"})
    assert response.status_code == 303 and response.headers["location"] == "/rules"


def test_pages_redirect_to_login_and_api_needs_a_bearer(token_client: TestClient) -> None:
    page = token_client.get("/search?q=x")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert token_client.get("/api/stats").status_code == 401
    assert token_client.get("/openapi.json").status_code == 401
    assert token_client.get("/api/stats", headers={"Authorization": "Bearer wrong-token-000"}).status_code == 401
    ok = token_client.get("/api/stats", headers={"Authorization": f"Bearer {ANALYST_TOKEN}"})
    assert ok.status_code == 200 and ok.json()["documents"] == 5
    assert token_client.get("/static/style.css").status_code == 200


def test_login_gives_a_session_and_logout_ends_it(token_client: TestClient) -> None:
    _login(token_client, ANALYST_TOKEN)
    assert token_client.get("/search").status_code == 200
    token_client.post("/logout", data={"csrf_token": _csrf(token_client, "/search")})
    assert token_client.get("/search").status_code == 303


def test_wrong_token_is_refused_without_a_session(token_client: TestClient) -> None:
    response = token_client.post("/login", data={"csrf_token": _csrf(token_client), "token": "nope-nope-nope"})
    assert response.status_code == 401 and "not valid" in response.text
    assert "dw_session" not in response.cookies


def test_login_never_redirects_off_site(token_client: TestClient) -> None:
    response = token_client.post(
        "/login", data={"csrf_token": _csrf(token_client), "token": ANALYST_TOKEN, "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/search"


def test_post_without_csrf_token_or_from_another_site_is_refused(token_client: TestClient) -> None:
    assert token_client.post("/login", data={"token": ANALYST_TOKEN}).status_code == 403
    token = _csrf(token_client)
    cross = token_client.post("/login", data={"csrf_token": token, "token": ANALYST_TOKEN},
                              headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "cross-site" in cross.text
    token_client.cookies.clear()  # a token minted for another browser's cookie is stale here
    assert token_client.post("/login", data={"csrf_token": token, "token": ANALYST_TOKEN}).status_code == 403


def test_analyst_reads_rules_but_cannot_change_them(token_client: TestClient, rules_file: Path) -> None:
    _login(token_client, ANALYST_TOKEN)
    page = token_client.get("/rules")
    assert "korean-kidnapping" in page.text and "<textarea" not in page.text
    response = token_client.post("/rules", data={"csrf_token": _csrf(token_client, "/rules"), "rules": ""})
    assert response.status_code == 403
    assert rules_file.read_text(encoding="utf-8") == RULES_TEXT


def test_admin_saves_valid_rules_and_keeps_a_backup(token_client: TestClient, rules_file: Path) -> None:
    _login(token_client, ADMIN_TOKEN)
    assert "<textarea" in token_client.get("/rules").text
    new_text = RULES_TEXT.replace("korean-kidnapping", "kr-detentions")
    response = token_client.post("/rules", data={"csrf_token": _csrf(token_client, "/rules"), "rules": new_text})
    assert response.status_code == 303 and response.headers["location"] == "/rules?saved=1"
    assert rules_file.read_text(encoding="utf-8") == new_text
    assert rules_file.with_suffix(".toml.bak").read_text(encoding="utf-8") == RULES_TEXT
    assert "kr-detentions" in token_client.get("/rules?saved=1").text


def test_admin_invalid_rules_are_refused_with_line_and_text_kept(token_client: TestClient, rules_file: Path) -> None:
    _login(token_client, ADMIN_TOKEN)
    bad = RULES_TEXT.replace('subject = "incident"', 'subject = "weather"')
    response = token_client.post("/rules", data={"csrf_token": _csrf(token_client, "/rules"), "rules": bad})
    assert response.status_code == 400
    assert "rules.toml:" in response.text and "weather" in response.text
    assert "subject = &#34;weather&#34;" in response.text  # the admin's text is still in the editor
    assert rules_file.read_text(encoding="utf-8") == RULES_TEXT
    assert not list(rules_file.parent.glob(".rules-*"))


def test_without_token_only_loopback_host_names_are_served(client: TestClient) -> None:
    assert client.get("/search", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/search", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/search", headers={"Host": "rebind.evil.example"}).status_code == 400


def test_serve_refuses_an_open_bind_without_a_token(monkeypatch) -> None:
    monkeypatch.delenv("DESKWATCH_API_TOKEN", raising=False)
    monkeypatch.delenv("DESKWATCH_ADMIN_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "refusing to bind 0.0.0.0 without an API token" in result.output


def test_serve_with_a_token_builds_a_locked_app_on_the_configured_store(monkeypatch, tmp_path: Path) -> None:
    import uvicorn

    started: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.update(app=app, **kwargs))
    monkeypatch.setenv("DESK_TOKEN", ANALYST_TOKEN)
    db = f"sqlite:///{tmp_path / 'served.sqlite'}"
    result = CliRunner().invoke(cli, ["--db", db, "serve", "--host", "0.0.0.0", "--port", "8088", "--token-env",
                                      "DESK_TOKEN"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("0.0.0.0", 8088)
    app = started["app"]
    assert app.state.auth.required and app.state.auth.role_for_token(ANALYST_TOKEN) == "analyst"
    assert app.state.store.url == db
    app.state.store.close()


def test_serve_rejects_a_short_token(monkeypatch) -> None:
    monkeypatch.setenv("DESKWATCH_API_TOKEN", "short")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output


def test_health_check_needs_no_token_and_reveals_nothing(token_client: TestClient) -> None:
    response = token_client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
