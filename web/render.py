"""Templates and the small display helpers they use: dates in the desk's time zone, country and
language names, advisory level classes, URLs that keep the current search."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import pycountry
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from storage.export import http_link
from web.evidence import ransom_label, safe_snippet
from web.security import csrf_token
from web.story_display import place_label, tidy_reason, unique_by, unique_places

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
COUNTRY_NAMES = {"KR": "South Korea", "KP": "North Korea", "LA": "Laos", "VN": "Vietnam", "MM": "Myanmar"}
LANGUAGE_NAMES = {"ko": "한국어 Korean", "en": "English", "km": "ខ្មែរ Khmer", "ja": "日本語 Japanese",
                  "zh": "中文 Chinese", "th": "ไทย Thai", "vi": "Tiếng Việt"}
LEVEL_NAMES = {1: "normal precautions", 2: "increased caution", 3: "reconsider travel", 4: "do not travel"}
ISSUER_NAMES = {"us_state": "United States", "uk_fcdo": "United Kingdom", "ca_gac": "Canada",
                "au_smartraveller": "Australia", "kr_mofa": "South Korea", "jp_mofa": "Japan"}
INCIDENT_LABELS = {"scam_recruitment": "scam recruitment"}


def country_name(code: str | None) -> str:
    if not code:
        return ""
    code = code.upper()
    if code in COUNTRY_NAMES:
        return COUNTRY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or getattr(country, "name", code)) if country else code


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


def issuer_name(code: str) -> str:
    """'us-state' or 'us_state' -> 'United States' (the government that issues the advice)."""
    return ISSUER_NAMES.get(code.replace("-", "_"), code)


def humanize(value: str | None) -> str:
    """Machine slugs shown to people ('avoid_all_but_essential_travel_to_parts') read as words."""
    return (value or "").replace("_", " ")


def incident_label(value: str) -> str:
    return INCIDENT_LABELS.get(value, value)


def level_class(level: int | None) -> str:
    return f"lvl lvl-{level}" if level in LEVEL_NAMES else "lvl lvl-none"


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def make_time_formatter(timezone: str) -> Any:
    """A Jinja filter: ISO timestamp → 'YYYY-MM-DD HH:MM' in the desk's zone (`fmt="date"` for the day)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; showing UTC", timezone)
        zone = ZoneInfo("UTC")

    def fmt_time(value: str | datetime | None, fmt: str = "minute") -> str:
        moment = parse_time(value)
        if moment is None:
            return "—" if value in (None, "") else str(value)
        local = moment.astimezone(zone)
        return local.strftime("%Y-%m-%d") if fmt == "date" else local.strftime("%Y-%m-%d %H:%M")

    return fmt_time


def host_of(url: str | None) -> str:
    return urlsplit(url or "").netloc


def url_with(request: Request, path: str, items: list[tuple[str, str]] | None = None) -> str:
    return f"{path}?{urlencode(items)}" if items else path


def advisory_words(row: dict[str, Any]) -> str:
    """The issuer's own words for its level (여행유의, レベル3：…, Avoid non-essential travel), as the CLI
    shows them; the native code only where the issuer has no words for it."""
    return row.get("label") or humanize(row.get("level_native"))


def advisory_since(row: dict[str, Any], fmt_time: Any) -> str:
    """'issued <date>' for the issuer's own date, 'first seen <date>' for the day deskwatch first
    collected advice that carried none: the two are different facts."""
    if row.get("issued_at"):
        return f"issued {fmt_time(row['issued_at'], 'date')}"
    return f"first seen {fmt_time(row.get('fetched_at'), 'date')}"


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def build_templates(timezone: str) -> Jinja2Templates:
    """The Jinja2 environment: autoescape on for every template, helpers as filters/globals."""
    loader = jinja2.FileSystemLoader(str(TEMPLATE_DIR))
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    templates = Jinja2Templates(env=env)
    env.filters.update(
        time=make_time_formatter(timezone), country=country_name, language=language_name, issuer=issuer_name,
        incident=incident_label, level_class=level_class, humanize=humanize, host=host_of, safe_href=http_link, money=money,
        ransom=ransom_label, snippet=safe_snippet, place=place_label, unique_places=unique_places,
        unique_by=unique_by, merge_reason=tidy_reason, advisory_words=advisory_words,
    )
    env.filters["advisory_since"] = lambda row: advisory_since(row, env.filters["time"])
    env.globals.update(csrf_token=csrf_token, url_with=url_with, LEVEL_NAMES=LEVEL_NAMES, timezone=timezone)
    return templates
