"""Pure pieces of the web app: session and CSRF signing, the advisories board and its chart."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from web.advisory_board import build_board, last_changes, level_chart
from web.security import ADMIN, ANALYST, AuthConfig


def test_sessions_are_signed_and_expire() -> None:
    auth = AuthConfig(token="analyst-token-123", admin_token="admin-token-4567")
    cookie = auth.make_session(ADMIN, now=1000.0)
    assert auth.session_role(cookie, now=1001.0) == ADMIN
    assert auth.session_role(cookie, now=1000.0 + 13 * 3600) is None  # expired
    forged = cookie.replace("admin", "analyst", 1)
    assert auth.session_role(forged, now=1001.0) is None
    assert AuthConfig(token="analyst-token-123").session_role(cookie, now=1001.0) is None  # other server key


def test_tokens_map_to_roles() -> None:
    auth = AuthConfig(token="analyst-token-123", admin_token="admin-token-4567")
    assert auth.role_for_token("analyst-token-123") == ANALYST
    assert auth.role_for_token("admin-token-4567") == ADMIN
    assert auth.role_for_token("analyst-token-12") is None


@pytest.mark.parametrize("kwargs", [{"token": "short"}, {"token": "same-token-123", "admin_token": "same-token-123"}])
def test_weak_token_configurations_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        AuthConfig(**kwargs)


def test_csrf_token_is_bound_to_the_cookie() -> None:
    auth = AuthConfig()
    token = auth.csrf_for("cookie-a")
    assert auth.csrf_valid("cookie-a", token)
    assert not auth.csrf_valid("cookie-b", token)
    assert not auth.csrf_valid(None, token) and not auth.csrf_valid("cookie-a", "")


def _adv(id_: int, issuer: str, level: int, previous: int | None, region: str = "", day: int = 1) -> dict:
    return {"id": id_, "issuer": issuer, "country": "KH", "region": region, "level": level,
            "previous_level": previous, "level_native": f"L{level}", "issued_at": f"2026-0{day}-01T00:00:00+00:00",
            "fetched_at": f"2026-0{day}-02T00:00:00+00:00"}


def test_board_rows_cells_and_last_change() -> None:
    history = [_adv(1, "us-state", 2, None, day=1), _adv(2, "us-state", 2, 2, day=2), _adv(3, "us-state", 3, 2, day=3),
               _adv(4, "us-state", 3, 3, day=4), _adv(5, "kr-mofa", 4, None, "Bokor", day=2)]
    current = [history[3], history[4]]
    issuers, rows = build_board(current, history, ["KH", "TH"])
    assert issuers == ["kr-mofa", "us-state"]
    assert [(r.country, r.region) for r in rows] == [("KH", ""), ("KH", "Bokor"), ("TH", "")]
    assert rows[0].cells["us-state"]["last_change"]["id"] == 3  # the 2→3 change, not the later text-only row
    assert last_changes(history)[("kr-mofa", "KH", "Bokor")]["id"] == 5
    assert rows[2].cells == {}


def test_level_chart_steps_per_issuer() -> None:
    history = [_adv(1, "us-state", 2, None, day=1), _adv(2, "us-state", 3, 2, day=3)]
    chart = level_chart(history, datetime(2026, 5, 1, tzinfo=UTC))
    assert chart is not None and [s.issuer for s in chart.series] == ["us-state"]
    points = chart.series[0].points.split()
    assert len(points) == 4  # start, step across, up to level 3, held until now
    assert points[1].split(",")[1] == points[0].split(",")[1]
    assert level_chart([], datetime(2026, 5, 1, tzinfo=UTC)) is None
