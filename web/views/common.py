"""What every view needs: the store and settings from app state, template rendering, the role check."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from starlette.responses import Response

from storage.repository import Store
from web.security import ADMIN, AccessDenied

MAX_ID = 2**31 - 1  # row ids are 32-bit on PostgreSQL; larger numbers cannot name a row
StoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="A story id")]
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID, description="A document id")]


def store_of(request: Request) -> Store:
    return request.app.state.store


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    """An HTML page from `template`; the role and current path are always in the context."""
    context = {"role": request.state.role, "auth_required": request.app.state.auth.required, **context}
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)


def require_admin(request: Request) -> None:
    """Refuse a change that only an admin may make (analysts read rules, admins edit them)."""
    if request.state.role != ADMIN:
        raise AccessDenied(403, "only an admin may change alert rules; sign in with the admin token")
