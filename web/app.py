"""The analysts' web app: server-rendered pages and the JSON API over the same store and search().

`create_app` builds everything from arguments (no globals), so tests and `deskwatch serve` make
their own app; the store lives in `app.state.store` and is closed when the app shuts down."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from storage.advisories import MONITORED_COUNTRIES
from storage.repository import Store
from web.render import build_templates
from web.security import (
    CONTENT_SECURITY_POLICY,
    CSRF_COOKIE,
    LOOPBACK_HOSTS,
    SECURITY_HEADERS,
    AccessDenied,
    AuthConfig,
    SignInThrottle,
    client_address,
    request_role,
)

log = logging.getLogger(__name__)

# Reads and validates an alert rules file (ValueError with the line and reason on a bad one). The caller
# hands in the alert engine's parser, so web/ shows and edits rules without importing monitor/.
RulesLoader = Callable[[Path], Any]

STATIC_DIR = Path(__file__).resolve().parent / "static"
PUBLIC_PATHS = ("/login", "/static/", "/healthz", "/favicon.ico")
API_DESCRIPTION = (
    "Read-only JSON over deskwatch's store: search with facets, stories with their evidence, travel "
    "advisories, source health, alerts and digests. Authenticate with `Authorization: Bearer <token>` "
    "when the server was started with a token."
)


def create_app(
    store_url: str | None = None,
    *,
    token: str | None = None,
    admin_token: str | None = None,
    timezone: str = "Asia/Seoul",
    countries: Sequence[str] = MONITORED_COUNTRIES,
    rules_path: str | Path | None = None,
    rules_loader: RulesLoader | None = None,
    allowed_hosts: Sequence[str] | None = None,
    secret: bytes | None = None,
) -> FastAPI:
    """The FastAPI app over the store at `store_url`. With a token (analyst) or admin token every page
    and API call needs it; without one only loopback Host names are accepted (DNS-rebinding guard).
    `rules_loader` validates the rules file shown and edited at /rules (without it the page is read-only)."""
    auth = (AuthConfig(token=token, admin_token=admin_token, secret=secret) if secret
            else AuthConfig(token=token, admin_token=admin_token))
    store = Store(store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="deskwatch", version="1", description=API_DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.store, app.state.auth = store, auth
    app.state.sign_in_throttle = SignInThrottle()
    app.state.templates = build_templates(timezone)
    app.state.timezone = timezone
    app.state.countries = [c.upper() for c in countries]
    app.state.rules_path = Path(rules_path) if rules_path else None
    app.state.rules_loader = rules_loader
    _add_middleware(app, auth, allowed_hosts)
    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from web.views import api, pages_admin, pages_search, pages_status, pages_stories

    for module in (pages_search, pages_stories, pages_status, pages_admin):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(api.router, prefix="/api", tags=["api"])


def _add_middleware(app: FastAPI, auth: AuthConfig, allowed_hosts: Sequence[str] | None) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        throttled = _throttled_token(request, auth)
        role = None if throttled else request_role(request, auth)
        request.state.role = role
        if throttled:
            response = throttled
        elif role is None and not request.url.path.startswith(PUBLIC_PATHS):
            response = _unauthenticated(request)
        else:
            response = await call_next(request)
        _secure(request, response)
        return response

    hosts = list(allowed_hosts) if allowed_hosts is not None else (["*"] if auth.required else list(LOOPBACK_HOSTS))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)


def _throttled_token(request: Request, auth: AuthConfig) -> Response | None:
    """A bearer or X-API-Token from a client with too many wrong tokens is refused (429) unread; a wrong
    one is counted and logged. Cookies and the sign-in form are counted by the login view."""
    presented = request.headers.get("authorization", "")[:7].lower() == "bearer " or request.headers.get("x-api-token")
    if not auth.required or not presented:
        return None
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    client = client_address(request)
    wait = throttle.retry_after(client)
    if wait:
        return JSONResponse({"detail": f"too many wrong tokens: try again in {wait} s"}, status_code=429,
                            headers={"Retry-After": str(wait)})
    if request_role(request, auth) is None:
        throttle.failed(client, "API header")
    return None


def _secure(request: Request, response: Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.state.role is not None or not request.app.state.auth.required:
        response.headers.setdefault("Cache-Control", "no-store")
    new_csrf = getattr(request.state, "new_csrf_cookie", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE, new_csrf, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path == "/openapi.json" or path.endswith((".csv", ".geojson", ".jsonl"))


def _unauthenticated(request: Request) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"detail": "authentication required: send Authorization: Bearer <token>"},
            status_code=401, headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def error_response(request: Request, status: int, message: str, details: list[str] | None = None) -> Response:
    """A clear error: JSON for the API and exports, an HTML page for people."""
    if wants_json(request):
        body: dict[str, Any] = {"detail": message}
        if details:
            body["errors"] = details
        return JSONResponse(body, status_code=status)
    templates = request.app.state.templates
    context = {"status": status, "message": message, "details": details or []}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    from storage.search import SearchError

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(request: Request, exc: RequestValidationError) -> Response:
        details = [_describe_validation_error(e) for e in exc.errors()]
        return error_response(request, 422, "invalid request parameters", details)

    @app.exception_handler(SearchError)
    async def bad_search(request: Request, exc: SearchError) -> Response:
        return error_response(request, 400, f"search: {exc}")

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied) -> Response:
        return error_response(request, exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail))


def _describe_validation_error(error: dict[str, Any]) -> str:
    """'age_min: Input should be a valid integer (got "ten")' from one pydantic error entry."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
    got = error.get("input")
    suffix = f' (got "{got}")' if isinstance(got, str | int | float) and not isinstance(got, bool) else ""
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"
