"""Travel advisories: one row per change of an issuer's advice for a country or region (so the table is
the history), the advice in force, and advisory search: filtered by issuer, country, level, region,
change date and direction of change, with free text over region/label/summary, facet counts and pages.
Every value is checked here first, so a user's mistake is a SearchError with a reason, never an SQL error."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Advisory
from storage.query_syntax import CONTROL_CHARS_RE, MAX_QUERY_CHARS, MAX_TERMS, SearchError
from storage.repository import Store, UpsertResult, content_hash, iso_utc, retry_on_conflict, utcnow

__all__ = ["ADVISORY_FACETS", "DIRECTIONS", "MONITORED_COUNTRIES", "AdvisorySearchResult", "list_advisories", "search_advisories"]

ADVISORY_FILTERS = ("issuer", "country", "level_min", "level_max", "region", "changed_since", "direction")
ADVISORY_FACETS = ("issuer", "level", "country")
DIRECTIONS = ("up", "down", "any")  # up: level above previous_level (more severe); any: no constraint
MIN_LEVEL, MAX_LEVEL = 1, 4
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000  # keeps the OFFSET far inside a 64-bit integer
MAX_LIST_VALUES = 100  # values in one list filter (issuer, country)
MAX_VALUE_CHARS = 300  # an issuer key or a region name (the region column's width)
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
# The countries deskwatch watches unless settings say otherwise: Cambodia and the neighbours where
# Koreans are held. The one definition: settings, the advisory spiders' scope and the web's default read it.
MONITORED_COUNTRIES = ("KH", "TH", "LA", "MM", "VN", "PH")


@dataclass
class AdvisorySearchResult:
    total: int
    page: int
    per_page: int
    advisories: list[dict[str, Any]]  # advisory_dict rows
    facets: dict[str, list[tuple[Any, int]]]  # issuer, level, country over every match, not just this page
    query: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    current_only: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "current_only": self.current_only,
            "filters": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.filters.items()},
            "total": self.total, "page": self.page, "per_page": self.per_page, "advisories": self.advisories,
            "facets": {name: [[value, n] for value, n in values] for name, values in self.facets.items()},
        }


def search_advisories(
    store: Store,
    *,
    query: str = "",
    filters: dict[str, Any] | None = None,
    current_only: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> AdvisorySearchResult:
    """One page of advisories matching `query` and `filters`, the total and facet counts. With `current_only`
    the newest row per (issuer, country, region) is matched, else every stored change (oldest first)."""
    _check_page(page, per_page)
    terms, flt = query_terms(query), normalize_advisory_filters(filters)
    q = advisory_query(flt, terms, current_only=current_only)
    with store.read() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.scalars(q.limit(per_page).offset((page - 1) * per_page))
        advisories = [advisory_dict(r) for r in rows]
        facets = _facets(s, q)
    return AdvisorySearchResult(total, page, per_page, advisories, facets, query, flt, current_only)


def list_advisories(
    store: Store, *, query: str = "", filters: dict[str, Any] | None = None, current_only: bool = True
) -> list[dict[str, Any]]:
    """Every matching advisory, unpaged and without facets (the CLI's table, the API's list)."""
    q = advisory_query(normalize_advisory_filters(filters), query_terms(query), current_only=current_only)
    with store.read() as s:
        return [advisory_dict(r) for r in s.scalars(q)]


def advisory_query(flt: dict[str, Any], terms: list[str], *, current_only: bool) -> Select[tuple[Advisory]]:
    """The ordered SELECT of matching rows: current ones by country, issuer, region; history oldest first.
    Filters apply after picking the newest row per key, so a level filter never brings back stale advice."""
    if current_only:
        q = current_advisory_rows().order_by(Advisory.country, Advisory.issuer, Advisory.region, Advisory.id)
    else:
        q = select(Advisory).order_by(Advisory.id)
    return q.where(*_conditions(flt), *_text_conditions(terms))


def _conditions(flt: dict[str, Any]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if "issuer" in flt:
        where.append(Advisory.issuer.in_(flt["issuer"]))
    if "country" in flt:
        where.append(Advisory.country.in_(flt["country"]))
    if "level_min" in flt:
        where.append(Advisory.level >= flt["level_min"])
    if "level_max" in flt:
        where.append(Advisory.level <= flt["level_max"])
    if "region" in flt:
        where.append(func.lower(Advisory.region) == func.lower(flt["region"]))
    if "changed_since" in flt:
        where.append(Advisory.fetched_at >= flt["changed_since"])
    if flt.get("direction") == "up":  # NULL on either side compares as unknown: first rows never match
        where.append(Advisory.level > Advisory.previous_level)
    elif flt.get("direction") == "down":
        where.append(Advisory.level < Advisory.previous_level)
    return where


def _text_conditions(terms: list[str]) -> list[ColumnElement[bool]]:
    """Each term must occur (any case, LIKE wildcards escaped) in the region, the label or the summary."""
    columns = (Advisory.region, Advisory.label, Advisory.summary)
    return [or_(*(c.icontains(term, autoescape=True) for c in columns)) for term in terms]


def _facets(s: Session, q: Select[tuple[Advisory]]) -> dict[str, list[tuple[Any, int]]]:
    matched = q.order_by(None).subquery()
    out: dict[str, list[tuple[Any, int]]] = {}
    for name in ADVISORY_FACETS:
        column = matched.c[name]
        counted = s.execute(select(column, func.count()).where(column.is_not(None)).group_by(column)).all()
        out[name] = sorted(((value, n) for value, n in counted), key=lambda x: (-x[1], x[0]))
    return out


# ---- validation: user input in, clean values out ------------------------------------------------------
def query_terms(query: str) -> list[str]:
    """The free text as case-insensitive substrings: every whitespace-separated term must match."""
    if not isinstance(query, str):
        raise SearchError(f"the query must be text (got {type(query).__name__})")
    if "\x00" in query:
        raise SearchError("the query contains a NUL character; remove it")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"the query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    terms = list(dict.fromkeys(CONTROL_CHARS_RE.sub(" ", query).split()))
    if len(terms) > MAX_TERMS:
        raise SearchError(f"too many search terms ({len(terms)}; at most {MAX_TERMS})")
    return terms


def normalize_advisory_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """Checked, normalized filters; a None (or empty list) value means "no filter", region "" does not."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise SearchError("filters must be a mapping of filter name to value")
    unknown = sorted(set(filters) - set(ADVISORY_FILTERS))
    if unknown:
        known = ", ".join(ADVISORY_FILTERS)
        raise SearchError(f"unknown advisory filter(s) {', '.join(unknown)}; known: {known}")
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        normalized = _NORMALIZERS[key](key, value)
        if normalized is not None:
            out[key] = normalized
    if out.get("level_min", MIN_LEVEL) > out.get("level_max", MAX_LEVEL):
        raise SearchError(f"level_min ({out['level_min']}) is above level_max ({out['level_max']})")
    return out


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SearchError(f"{key} must be text (got {type(value).__name__})")
    if "\x00" in value:
        raise SearchError(f"{key} contains a NUL character; remove it")
    if CONTROL_CHARS_RE.search(value):
        raise SearchError(f"{key} contains a control character; remove it")
    if len(value) > MAX_VALUE_CHARS:
        raise SearchError(f"{key} is too long ({len(value)} characters; at most {MAX_VALUE_CHARS})")
    return value.strip()


def _text_list(key: str, value: Any) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, Iterable) or isinstance(values, (bytes, dict)):
        raise SearchError(f"{key} must be text or a list of text (got {type(value).__name__})")
    cleaned = [v for v in (_text(key, v) for v in values) if v]
    if len(cleaned) > MAX_LIST_VALUES:
        raise SearchError(f"too many {key} values ({len(cleaned)}; at most {MAX_LIST_VALUES})")
    return list(dict.fromkeys(cleaned))


def _issuers(key: str, value: Any) -> list[str] | None:
    return [v.lower() for v in _text_list(key, value)] or None


def _countries(key: str, value: Any) -> list[str] | None:
    codes = _text_list(key, value)
    for code in codes:
        if not COUNTRY_RE.match(code):
            raise SearchError(f"country {code!r} is not an ISO 3166-1 alpha-2 code (e.g. KH)")
    return [c.upper() for c in codes] or None


def _level(key: str, value: Any) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        number = int(value.strip())
    if number is None or not MIN_LEVEL <= number <= MAX_LEVEL:
        raise SearchError(f"{key} must be a level from {MIN_LEVEL} to {MAX_LEVEL} (got {value!r})")
    return number


def _region(key: str, value: Any) -> str:
    return _text(key, value)  # "" is a real filter: the whole-country rows only


def _changed_since(key: str, value: Any) -> datetime:
    """A date (midnight UTC) or an ISO date-time; naive times are taken as UTC, like every stored time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        text = _text(key, value)
        try:
            moment = datetime.combine(date.fromisoformat(text), time.min)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise SearchError(f"{key} must be an ISO date like 2026-10-01 (got {value!r})") from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise SearchError(f"{key} is out of range (got {value!r})") from None


def _direction(key: str, value: Any) -> str | None:
    direction = _text(key, value).lower()
    if direction not in DIRECTIONS:
        raise SearchError(f"{key} must be one of {', '.join(DIRECTIONS)} (got {value!r})")
    return None if direction == "any" else direction


_NORMALIZERS: dict[str, Callable[[str, Any], Any]] = {
    "issuer": _issuers, "country": _countries, "level_min": _level, "level_max": _level, "region": _region,
    "changed_since": _changed_since, "direction": _direction,
}


def _check_page(page: int, per_page: int) -> None:
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        raise SearchError(f"page must be a whole number from 1 to {MAX_PAGE} (got {page!r})")
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(f"per_page must be from 1 to {MAX_PER_PAGE} (got {per_page!r})")


# ---- the advisories table: one row per change, so the table is the history ----------------------
ADVISORY_COMPARED = ("level_native", "level", "label", "summary")

def current_advisory_rows() -> Select[tuple[Advisory]]:
    """SELECT of the newest advisory row per (issuer, country, region): the advice in force."""
    latest = (
        select(func.max(Advisory.id).label("id"))
        .group_by(Advisory.issuer, Advisory.country, Advisory.region)
        .subquery()
    )
    return select(Advisory).join(latest, Advisory.id == latest.c.id)


def upsert_advisory(store: Store, adv: dict[str, Any]) -> UpsertResult:
    """Add a row only when the issuer's advice for (country, region) changed: the table is the history."""
    return retry_on_conflict(lambda: _upsert_advisory_once(store, adv))


def _upsert_advisory_once(store: Store, adv: dict[str, Any]) -> UpsertResult:
    region = adv.get("region") or ""
    chash = content_hash(*(str(adv.get(f) or "") for f in ADVISORY_COMPARED))
    with store.write() as s:
        last = s.scalar(
            select(Advisory)
            .where(Advisory.issuer == adv["issuer"], Advisory.country == adv["country"], Advisory.region == region)
            .order_by(Advisory.id.desc())
            .limit(1)
        )
        if last is not None and last.content_hash == chash:
            return UpsertResult(last.id, created=False, changed=False)
        row = Advisory(
            issuer=adv["issuer"], country=adv["country"], region=region,
            level_native=adv.get("level_native") or "", level=adv.get("level"), label=adv.get("label") or "",
            summary=adv.get("summary") or "", url=adv.get("url") or "", issued_at=adv.get("issued_at"),
            fetched_at=utcnow(), content_hash=chash, previous_level=last.level if last else None,
        )
        s.add(row)
        s.flush()
        return UpsertResult(row.id, created=last is None, changed=True)


def current_advisories(store: Store, country: str | None = None, issuer: str | None = None) -> list[dict[str, Any]]:
    """The newest row per (issuer, country, region)."""
    with store.read() as s:
        q = current_advisory_rows()
        if country:
            q = q.where(Advisory.country == country.upper())
        if issuer:
            q = q.where(Advisory.issuer == issuer)
        q = q.order_by(Advisory.country, Advisory.issuer, Advisory.region)
        return [advisory_dict(r) for r in s.scalars(q)]


def advisory_history(
    store: Store, country: str | None = None, issuer: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    with store.read() as s:
        q = select(Advisory).order_by(Advisory.id)
        if country:
            q = q.where(Advisory.country == country.upper())
        if issuer:
            q = q.where(Advisory.issuer == issuer)
        if since:
            q = q.where(Advisory.fetched_at >= since)
        return [advisory_dict(r) for r in s.scalars(q)]


def advisory_dict(r: Advisory) -> dict[str, Any]:
    return {
        "id": r.id, "issuer": r.issuer, "country": r.country, "region": r.region, "level": r.level,
        "level_native": r.level_native, "label": r.label, "summary": r.summary, "url": r.url,
        "issued_at": iso_utc(r.issued_at), "fetched_at": iso_utc(r.fetched_at), "previous_level": r.previous_level,
    }
