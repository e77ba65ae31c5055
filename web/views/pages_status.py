"""Pages about the desk's inputs and outputs: advisories, source health, alerts log, digests, API index."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as FastapiPath
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from storage.advisories import advisory_history, current_advisories
from storage.alerts import alert_counts, list_alerts
from storage.digests import chart_png_of, get_digest, list_digests
from storage.repository import table_counts
from storage.sources import list_sources, recent_runs
from web.advisory_board import build_board, last_changes, level_chart
from web.security import DIGEST_CONTENT_SECURITY_POLICY
from web.views.common import render, store_of

log = logging.getLogger(__name__)

router = APIRouter()

CountryCode = Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z]{0,3}$")]
SourceKey = Annotated[str | None, Query(max_length=80)]


@router.get("/advisories", name="advisories_page")
def advisories_page(request: Request, country: CountryCode = None) -> Response:
    """Current level per issuer for the monitored countries (and their regions), with the last change;
    the level history of one country (`country`, default the first monitored one)."""
    store = store_of(request)
    monitored: list[str] = request.app.state.countries
    current = current_advisories(store)
    known = sorted({row["country"] for row in current} | set(monitored))
    selected = (country or (monitored[0] if monitored else "")).upper()
    board_history = [row for c in monitored for row in advisory_history(store, country=c)]
    issuers, rows = build_board(current, board_history, monitored)
    history = advisory_history(store, country=selected) if selected else []
    context = {
        "issuers": issuers, "rows": rows, "countries": known, "selected": selected,
        "history": list(reversed(history)), "changes": last_changes(history),
        "chart": level_chart(history, datetime.now(UTC)),
        "selected_current": [row for row in current if row["country"] == selected],
    }
    return render(request, "advisories.html", context)


@router.get("/sources", name="sources_page")
def sources_page(request: Request, source: SourceKey = None) -> Response:
    """Source health: last success and failure, consecutive failures, the recent crawl runs."""
    store = store_of(request)
    sources = list_sources(store)
    failing = [s for s in sources if s["consecutive_failures"]]
    runs = recent_runs(store, source_key=source or None, limit=100)
    context = {"sources": sources, "failing": failing, "runs": runs, "selected": source or ""}
    return render(request, "sources.html", context)


@router.get("/alerts", name="alerts_page")
def alerts_page(
    request: Request,
    status: Annotated[str | None, Query(pattern=r"^(|pending|sent|failed)$")] = None,
    rule: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """The alerts log: which rule fired for what subject on which channel, and whether it went out."""
    store = store_of(request)
    alerts = list_alerts(store, status=status or None, rule=rule or None, limit=limit)
    context = {"alerts": alerts, "counts": alert_counts(store), "status": status or "", "rule": rule or ""}
    return render(request, "alerts.html", context)


DayPath = Annotated[date, FastapiPath(description="YYYY-MM-DD")]


@router.get("/digests", name="digests_page")
def digests_page(request: Request, limit: Annotated[int, Query(ge=1, le=366)] = 60) -> Response:
    """The digest archive, newest day first."""
    return render(request, "digests.html", {"digests": list_digests(store_of(request), limit=limit)})


def _digest_or_404(request: Request, day: date) -> dict[str, Any]:
    digest = get_digest(store_of(request), day)
    if digest is None:
        raise HTTPException(404, f"no digest for {day.isoformat()}")
    return digest


@router.get("/digests/{day}", name="digest_page")
def digest_page(request: Request, day: DayPath) -> Response:
    """One digest: its counts, and its own HTML in a sandboxed frame."""
    digest = _digest_or_404(request, day)
    digests = list_digests(store_of(request), limit=366)
    days = [d["day"] for d in digests]
    index = days.index(digest["day"]) if digest["day"] in days else -1
    newer = days[index - 1] if index > 0 else None
    older = days[index + 1] if 0 <= index < len(days) - 1 else None
    return render(request, "digest.html", {"digest": digest, "newer": newer, "older": older})


@router.get("/digests/{day}/html", name="digest_html")
def digest_html(request: Request, day: DayPath) -> Response:
    """The stored digest HTML as generated (our own escaped e-mail HTML), served sandboxed with no script."""
    digest = _digest_or_404(request, day)
    headers = {"Content-Security-Policy": DIGEST_CONTENT_SECURITY_POLICY, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(digest["html"], headers=headers)


@router.get("/digests/{day}/chart.png", name="digest_chart")
def digest_chart(request: Request, day: DayPath) -> Response:
    """The digest's chart as a PNG image (what the Markdown digest links)."""
    png = chart_png_of(_digest_or_404(request, day)["html"] or "")
    if png is None:
        raise HTTPException(404, f"the digest of {day.isoformat()} has no chart")
    return Response(png, media_type="image/png")


@router.get("/digests/{day}/md", name="digest_markdown")
def digest_markdown(request: Request, day: DayPath) -> Response:
    """The stored digest as Markdown text."""
    digest = _digest_or_404(request, day)
    return PlainTextResponse(digest["markdown"], media_type="text/markdown; charset=utf-8")


@router.get("/api", name="api_page")
def api_page(request: Request) -> Response:
    """A readable index of the JSON API, from the app's own OpenAPI schema."""
    schema = request.app.openapi()
    endpoints = [
        {"path": path, "method": method.upper(), "summary": op.get("summary", ""),
         "params": [p["name"] for p in op.get("parameters", [])]}
        for path, ops in schema.get("paths", {}).items() for method, op in ops.items()
    ]
    return render(request, "api.html", {"endpoints": endpoints})


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> Response:
    """Liveness for monitors (no sign-in needed, so it says nothing but whether the store answers)."""
    try:
        table_counts(store_of(request))
    except Exception:  # any database failure means "not healthy"; logged for the operator
        log.exception("health check: the store did not answer")
        return JSONResponse({"status": "store unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
