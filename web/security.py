"""Who may see and change what: API tokens, signed login sessions, roles, CSRF tokens, security headers.

Roles: `analyst` reads everything; `admin` may also edit the alert rules. With no token configured
(the default loopback bind) every local visitor is an analyst and nobody can edit rules."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import Request

log = logging.getLogger(__name__)

SESSION_COOKIE = "dw_session"
CSRF_COOKIE = "dw_csrf"
CSRF_FIELD = "csrf_token"
SESSION_TTL_S = 12 * 3600
MAX_SESSIONS = 10_000
SIGN_IN_FAILURES = 5  # wrong tokens one client may present...
SIGN_IN_WINDOW_S = 300  # ...within this many seconds before it must wait
MAX_TRACKED_CLIENTS = 10_000
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ANALYST, ADMIN = "analyst", "admin"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Stored digests are our own escaped HTML with inline styles (e-mail ready): no script at all.
DIGEST_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'; sandbox"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class AccessDenied(Exception):
    """A request without the credentials or role it needs; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback_name(host: str) -> bool:
    """Is the address `deskwatch serve` binds to one of the loopback names it accepts without a token?
    (A fixed list of names, unlike crawler.start_url.is_loopback_host, which resolves any IP literal.)"""
    return host.strip().lower() in LOOPBACK_HOSTS


@dataclass
class AuthConfig:
    """The web app's credentials: an analyst token, an optional admin token, and the key that signs
    session and CSRF cookies (random per process unless given, so sessions end with the server)."""

    token: str | None = None
    admin_token: str | None = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # Sessions live on the server: a cookie is honoured only while its id is here, so signing out (or a
    # restart) ends it even if someone kept a copy of the cookie.
    _sessions: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        for name in ("token", "admin_token"):
            value = getattr(self, name)
            if value is not None and len(value) < 12:
                raise ValueError(f"the {name.replace('_', ' ')} must be at least 12 characters long")
        if self.admin_token and self.token and hmac.compare_digest(self.admin_token, self.token):
            raise ValueError("the admin token must differ from the analyst token")

    @property
    def required(self) -> bool:
        """True when requests must prove who they are (a token is configured)."""
        return bool(self.token or self.admin_token)

    def role_for_token(self, presented: str) -> str | None:
        if self.admin_token and hmac.compare_digest(presented.encode(), self.admin_token.encode()):
            return ADMIN
        if self.token and hmac.compare_digest(presented.encode(), self.token.encode()):
            return ANALYST
        return None

    # ---- sessions ---------------------------------------------------------------------------
    def _sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()

    def make_session(self, role: str, now: float | None = None) -> str:
        now = now or time.time()
        expires = int(now + SESSION_TTL_S)
        session_id = secrets.token_hex(16)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions = {k: v for k, v in self._sessions.items() if v >= now}
                while len(self._sessions) >= MAX_SESSIONS:  # still full: the oldest sign-in gives way
                    self._sessions.pop(next(iter(self._sessions)))
            self._sessions[session_id] = expires
        body = f"{role}.{expires}.{session_id}"
        return f"{body}.{self._sign(body)}"

    def end_session(self, cookie: str | None) -> bool:
        """Sign out: the session's id is forgotten, so the cookie is worthless from now on."""
        if not cookie or cookie.count(".") != 3:
            return False
        with self._lock:
            return self._sessions.pop(cookie.split(".")[2], None) is not None

    def session_role(self, cookie: str | None, now: float | None = None) -> str | None:
        """The role a session cookie grants, or None when it is missing, forged or expired."""
        if not cookie or cookie.count(".") != 3:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        role, expires, session_id = body.split(".")
        if role not in (ANALYST, ADMIN) or not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        with self._lock:
            if session_id not in self._sessions:  # signed out, or made by an earlier run of the server
                return None
        return role

    # ---- CSRF -------------------------------------------------------------------------------
    def csrf_for(self, cookie_value: str) -> str:
        return self._sign(f"csrf.{cookie_value}")

    def csrf_valid(self, cookie_value: str | None, submitted: str | None) -> bool:
        if not cookie_value or not submitted:
            return False
        return hmac.compare_digest(self.csrf_for(cookie_value), submitted)


class SignInThrottle:
    """Counts wrong tokens per client address: after SIGN_IN_FAILURES within SIGN_IN_WINDOW_S the client
    waits until the oldest failure leaves the window. Every failure is logged with the client's address."""

    def __init__(self, limit: int = SIGN_IN_FAILURES, window_s: float = SIGN_IN_WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds this client must wait before presenting another token (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent(client, now)
            return int(recent[0] + self.window_s - now) + 1 if len(recent) >= self.limit else 0

    def failed(self, client: str, how: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if client not in self._failures and len(self._failures) >= MAX_TRACKED_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
            recent = self._recent(client, now)
            recent.append(now)
            self._failures[client] = recent
            count = len(recent)
        log.warning("web sign-in failed: wrong token via %s from %s (%d in %ds)", how, client, count, self.window_s)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self._failures.get(client, deque())
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        return recent


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def request_role(request: Request, auth: AuthConfig) -> str | None:
    """The caller's role from a bearer token, an X-API-Token header or a login session cookie."""
    if not auth.required:
        return ANALYST
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return auth.role_for_token(header[7:].strip())
    if request.headers.get("x-api-token"):
        return auth.role_for_token(request.headers["x-api-token"].strip())
    return auth.session_role(request.cookies.get(SESSION_COOKIE))


def csrf_cookie_value(request: Request) -> str:
    """This browser's CSRF cookie value, minting one (set on the response by the middleware) if absent."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf_cookie = value
    return value


def csrf_token(request: Request) -> str:
    """The hidden-field value every POST form of this browser must carry."""
    auth: AuthConfig = request.app.state.auth
    return auth.csrf_for(csrf_cookie_value(request))


def check_same_origin(request: Request) -> None:
    """Refuse a state-changing request whose Origin (or Referer) names another site."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        if origin == "null":
            raise AccessDenied(403, "cross-site form submission refused (Origin: null)")
        return
    expected = request.headers.get("host", "")
    if urlsplit(origin).netloc.lower() != expected.lower():
        raise AccessDenied(403, "cross-site form submission refused (Origin does not match Host)")


async def check_csrf(request: Request) -> dict[str, str]:
    """Validate a POSTed form's CSRF token and origin; returns the form fields as strings."""
    check_same_origin(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    auth: AuthConfig = request.app.state.auth
    if not auth.csrf_valid(request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
        raise AccessDenied(403, "the form's security token is missing or stale: reload the page and submit again")
    return fields
