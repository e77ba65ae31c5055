"""The search request as the pages and the API receive it: validated query parameters that turn into
storage.search's (query, filters, sort, page) arguments. Blank form fields mean "no filter"."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storage.search_sql import FILTER_NAMES, LIST_FILTERS

log = logging.getLogger(__name__)

# since/until: the CLI's names for date_from/date_to, accepted here too and folded into them.
SCALAR_FILTERS = (*(name for name in FILTER_NAMES if name not in LIST_FILTERS), "since", "until")
MAX_PAGE = 10_000
# Dates outside this window are typos; the far end also keeps 'date_to + 1 day' arithmetic in range.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


class SearchQuery(BaseModel):
    """Query-string parameters of /search, /search.csv, /search.geojson and /api/search."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    q: str = Field("", max_length=500, description='Words (AND), "quoted phrases", OR, -exclusion.')
    sort: Literal["relevance", "newest", "oldest"] = "relevance"
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(20, ge=1, le=100)
    date_from: date | None = Field(None, ge=EARLIEST, le=LATEST, description="Published on or after (YYYY-MM-DD).")
    date_to: date | None = Field(None, ge=EARLIEST, le=LATEST, description="Published on or before (YYYY-MM-DD).")
    since: date | None = Field(None, ge=EARLIEST, le=LATEST, description="Same as date_from (the CLI's --since).")
    until: date | None = Field(None, ge=EARLIEST, le=LATEST, description="Same as date_to (the CLI's --until).")
    source: list[str] = Field(default_factory=list, description="Source keys.")
    lang: list[str] = Field(default_factory=list, description="Language codes (ko, en, km).")
    country: list[str] = Field(default_factory=list, description="ISO country codes of places mentioned.")
    admin1: list[str] = Field(default_factory=list, description="Provinces / first-level regions.")
    place: list[str] = Field(default_factory=list, description="Place names.")
    incident_type: list[str] = Field(default_factory=list, description="kidnapping, detention, ...")
    has_ransom: bool | None = None
    ransom_usd_min: float | None = Field(None, ge=0)
    ransom_usd_max: float | None = Field(None, ge=0)
    age_min: int | None = Field(None, ge=0, le=130, description="Youngest victim age.")
    age_max: int | None = Field(None, ge=0, le=130, description="Oldest victim age.")
    relevant: bool | None = None
    story_id: int | None = Field(None, ge=1, le=2**31 - 1)
    incidents_only: bool | None = None

    @field_validator(*SCALAR_FILTERS, mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """An empty form field or "any" choice means the filter is off."""
        if isinstance(value, str) and value.strip().lower() in ("", "any"):
            return None
        return value

    @field_validator(*LIST_FILTERS, mode="before")
    @classmethod
    def _drop_blank_values(cls, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        cleaned = [v.strip() for v in values if isinstance(v, str) and v.strip()]
        if any(len(v) > 200 for v in cleaned):
            raise ValueError("a filter value is longer than 200 characters")
        if len(cleaned) > 50:
            raise ValueError("at most 50 values per filter")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _ranges_in_order(self) -> SearchQuery:
        # since/until are the CLI's names for date_from/date_to: checked like them, then folded in
        self.date_from, self.date_to = self.date_from or self.since, self.date_to or self.until
        self.since = self.until = None
        pairs = (("date_from", "date_to"), ("ransom_usd_min", "ransom_usd_max"), ("age_min", "age_max"))
        for low, high in pairs:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is after {high} ({hi})")
        return self

    def filters(self) -> dict[str, Any]:
        """The filters dict of storage.search.search, with only the filters that are set."""
        out: dict[str, Any] = {k: getattr(self, k) for k in LIST_FILTERS if getattr(self, k)}
        for key in SCALAR_FILTERS:
            value = None if key in ("since", "until") else getattr(self, key)
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, date) else value
        return out

    def query_items(self, **changes: Any) -> list[tuple[str, str]]:
        """This query as URL (key, value) pairs, with `changes` applied; drops defaults for short URLs."""
        data = self.model_dump()
        data.update(changes)
        items: list[tuple[str, str]] = []
        for key, value in data.items():
            default = SearchQuery.model_fields[key].get_default(call_default_factory=True)
            if value is None or value == default:
                continue
            for one in value if isinstance(value, list) else [value]:
                items.append((key, _as_param(one)))
        return items


def _as_param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
