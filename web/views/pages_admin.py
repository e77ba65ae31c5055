"""Signing in with a token, and the alert rules page: read-only for analysts, editable by admins.
An edit is validated by the alert engine's own parser before it replaces the file, so a bad rule
file is refused with its line and reason and the admin's text stays in the form."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from web.security import SESSION_COOKIE, SESSION_TTL_S, AccessDenied, check_csrf, client_address
from web.views.common import render, require_admin

log = logging.getLogger(__name__)

router = APIRouter()
MAX_RULES_BYTES = 256 * 1024


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/search"
    return target


@router.get("/login", name="login_form")
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """The sign-in form (only needed when the server runs with a token)."""
    return render(request, "login.html", {"next": _safe_next(next), "error": ""})


@router.post("/login", name="login")
async def login(request: Request) -> Response:
    """Exchange a token for a signed session cookie carrying its role."""
    fields = await check_csrf(request)
    auth, throttle = request.app.state.auth, request.app.state.sign_in_throttle
    target, client = _safe_next(fields.get("next")), client_address(request)
    wait = throttle.retry_after(client) if auth.required else 0
    if wait:
        context = {"next": target, "error": f"too many wrong tokens from this address: try again in {wait} seconds"}
        response = render(request, "login.html", context, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    role = auth.role_for_token(fields.get("token", "").strip()) if auth.required else None
    if role is None:
        if auth.required:
            throttle.failed(client, "sign-in form")
        message = "that token is not valid" if auth.required else "this server runs without tokens: no sign-in needed"
        context = {"next": target, "error": message}
        return render(request, "login.html", context, status=401 if auth.required else 400)
    throttle.succeeded(client)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, auth.make_session(role), max_age=SESSION_TTL_S, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
    log.info("web sign-in as %s from %s", role, request.client.host if request.client else "?")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    ended = request.app.state.auth.end_session(request.cookies.get(SESSION_COOKIE))
    log.info("web sign-out from %s (session %s)", client_address(request), "ended" if ended else "already gone")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _rules_path(request: Request) -> Path | None:
    return request.app.state.rules_path


def _rules_context(request: Request, text: str | None = None, error: str = "", saved: bool = False) -> dict[str, Any]:
    path = _rules_path(request)
    current = path.read_text(encoding="utf-8", errors="replace") if path and path.is_file() else ""  # the parser names a bad byte
    rules, parse_error = [], ""
    if path and path.is_file():
        try:
            rules = list(_load_rules(request, path))
        except ValueError as exc:
            parse_error = str(exc)
    return {
        "path": str(path) if path else "", "text": current if text is None else text, "rules": rules,
        "parse_error": parse_error, "error": error, "saved": saved,
    }


def _load_rules(request: Request, path: Path) -> Any:
    loader = request.app.state.rules_loader
    if loader is None:
        raise ValueError("this server was started without the alert rules parser")
    return loader(path)


@router.get("/rules", name="rules_page")
def rules_page(request: Request) -> Response:
    """The alert rules in force; admins get an editor."""
    return render(request, "rules.html", _rules_context(request, saved=request.query_params.get("saved") == "1"))


@router.post("/rules", name="save_rules")
async def save_rules(request: Request) -> Response:
    """Replace the rules file with the submitted text once the alert engine's parser accepts it."""
    fields = await check_csrf(request)
    require_admin(request)
    path = _rules_path(request)
    if path is None:
        raise AccessDenied(409, "this server was started without a rules file to edit")
    if request.app.state.rules_loader is None:
        raise AccessDenied(409, "this server was started without the alert rules parser")
    text = fields.get("rules", "").replace("\r\n", "\n")
    if len(text.encode("utf-8")) > MAX_RULES_BYTES:
        return render(request, "rules.html", _rules_context(request, text, "the rules file is over 256 KB"), 413)
    error = _write_if_valid(request, path, text)
    if error:
        return render(request, "rules.html", _rules_context(request, text, error), status=400)
    log.info("alert rules replaced from the web by an admin (%d bytes)", len(text))
    return RedirectResponse("/rules?saved=1", status_code=303)


def _write_if_valid(request: Request, path: Path, text: str) -> str:
    """Validate `text` as a rules file in a temporary sibling and move it into place; '' on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".rules-", suffix=".toml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            _load_rules(request, tmp)
        except ValueError as exc:
            return str(exc).replace(str(tmp), path.name)
        if path.exists():
            path.with_suffix(path.suffix + ".bak").write_bytes(path.read_bytes())
        os.replace(tmp, path)
        return ""
    finally:
        tmp.unlink(missing_ok=True)
