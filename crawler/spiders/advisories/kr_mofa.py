"""Korea MOFA travel alarms (여행경보) from data.go.kr TravelAlarmService2: one row per country region,
in a wrapped (`response.header/body.items.item`) or flat (`data[]`) envelope, as JSON or XML."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from crawler.advisory_levels import native_label, normalize_advisory_level
from crawler.countries import country_from_name, is_country_code
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    ParsedAdvisories,
    html_to_one_line,
    in_scope,
    local_to_utc,
    read_json_payload,
    read_xml_payload,
)

log = logging.getLogger(__name__)

ISSUER = "kr-mofa"
COUNTRY_PAGE = "https://www.0404.go.kr/dev/country_view.mofa?idx={idx}"
PORTAL = "https://www.0404.go.kr/"
WHOLE_COUNTRY = {"전체", ""}
KEY_ENV = "DESKWATCH_KR_MOFA_KEY"
DATA_GO_KR = "apis.data.go.kr"
SERVICE_KEY_RE = re.compile(r"((?i:servicekey)=)[^&\s'\"]+")
ERROR_MEANINGS = {
    "-1": "system error at data.go.kr",
    "-2": "bad request parameters",
    "-3": "no data",
    "-4": "service key not registered (use the 'Decoding' key; check DESKWATCH_KR_MOFA_KEY)",
    "-9": "service expired",
    "-10": "daily traffic limit exceeded",
    "-401": "service key not authorized",
    "30": "service key not registered",
    "22": "request limit exceeded",
}


class KrMofaApiError(AdvisoryPayloadError):
    """data.go.kr answered with an error code instead of data."""


def parse_kr_alarms(
    body: bytes, requested_country: str | None = None, scope: Collection[str] | None = None
) -> ParsedAdvisories:
    """One TravelAlarmService2 answer → a row per (country, region). A country that was asked for and
    has no alarm gets a level-1 row, so a lifted alarm is a change like any other."""
    rows = alarm_rows(body)
    parsed = ParsedAdvisories()
    best: dict[tuple[str, str], AdvisoryItem] = {}
    for row in rows:
        try:
            item = advisory_from_row(row)
        except (ValueError, TypeError, AttributeError) as exc:
            parsed.skip(f"kr-mofa row {str(row)[:80]!r}: {exc}")
            continue
        key = (item.country, item.region)
        if in_scope(item.country, scope) and (key not in best or (item.level or 0) > (best[key].level or 0)):
            best[key] = item
    countries = {country for country, _region in best} | ({requested_country} if requested_country else set())
    for country in sorted(countries):
        if (country, "") not in best and in_scope(country, scope):
            partial = any(c == country for c, _ in best)
            best[(country, "")] = _no_whole_country_alarm(country, partial)
    parsed.items.extend(best[key] for key in sorted(best))
    return parsed


def alarm_rows(body: bytes) -> list[dict[str, Any]]:
    """The item rows of either envelope; an error code becomes KrMofaApiError with its meaning."""
    envelope = _load(body)
    if not isinstance(envelope, dict):
        raise AdvisoryPayloadError("kr-mofa: the answer is not an object")
    header_error = _gateway_error(envelope)
    if header_error:
        raise KrMofaApiError(header_error)
    if "response" in envelope:
        response = envelope.get("response") or {}
        header, payload = response.get("header") or {}, response.get("body") or {}
        _check_result(header.get("resultCode"), header.get("resultMsg"))
        items = payload.get("items") if isinstance(payload, dict) else None
        rows = items.get("item") if isinstance(items, dict) else items
    elif "data" in envelope or "resultCode" in envelope:
        _check_result(envelope.get("resultCode"), envelope.get("resultMsg"))
        rows = envelope.get("data")
    else:
        raise AdvisoryPayloadError(f"kr-mofa: unknown envelope with keys {sorted(envelope)[:8]}")
    if rows in (None, "", []):
        return []
    if isinstance(rows, dict):  # a single result comes as an object, not a list
        rows = [rows]
    if not isinstance(rows, list):
        raise AdvisoryPayloadError(f"kr-mofa: items are a {type(rows).__name__}, not a list")
    return [r for r in rows if isinstance(r, dict)]


def advisory_from_row(row: dict[str, Any]) -> AdvisoryItem:
    """One region row: alarm_lvl 1–4, region_ty 전체/일부, remark naming the region."""
    code = str(row.get("country_iso_alp2") or "").strip().upper()
    if not is_country_code(code):
        code = country_from_name(str(row.get("country_eng_nm") or "")) or ""
    if not code:
        raise ValueError(f"no ISO country ({row.get('country_iso_alp2')!r}, {row.get('country_eng_nm')!r})")
    step = str(row.get("alarm_lvl") if row.get("alarm_lvl") is not None else "").strip()
    level = normalize_advisory_level(ISSUER, step)
    if level is None or step == "0":
        raise ValueError(f"alarm_lvl {row.get('alarm_lvl')!r} is not 1–4")
    remark = html_to_one_line(str(row.get("remark") or ""))
    whole = str(row.get("region_ty") or "").strip() in WHOLE_COUNTRY
    idx = str(row.get("org_country_idx") or "").strip()
    return AdvisoryItem(
        issuer=ISSUER, country=code, level=level, level_native=step, label=native_label(ISSUER, step),
        region="" if whole else (remark or "일부 지역")[:300], summary=remark,
        url=COUNTRY_PAGE.format(idx=idx) if idx.isdigit() else PORTAL, issued_at=_written(row.get("written_dt")),
    )


def _no_whole_country_alarm(country: str, partial: bool) -> AdvisoryItem:
    summary = "일부 지역에만 여행경보" if partial else "여행경보 없음"
    return AdvisoryItem(
        issuer=ISSUER, country=country, level=1, level_native="0", label=native_label(ISSUER, "0"),
        region="", summary=summary, url=PORTAL, issued_at=None,
    )


def _load(body: bytes) -> Any:
    if body.lstrip()[:1] == b"<":
        root, problem = read_xml_payload(body, "kr-mofa")
        if problem:
            raise AdvisoryPayloadError(problem)
        return {root.tag: _xml_to_obj(root)}
    return read_json_payload(body, "kr-mofa")


def _xml_to_obj(element: Any) -> Any:
    """XML → nested dicts; repeated tags become lists, leaves their text."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return (element.text or "").strip()
    result: dict[str, Any] = {}
    for child in children:
        value = _xml_to_obj(child)
        if child.tag in result:
            existing = result[child.tag]
            result[child.tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[child.tag] = value
    return result


def _gateway_error(envelope: dict[str, Any]) -> str | None:
    """data.go.kr's gateway answers key problems as OpenAPI_ServiceResponse/cmmMsgHeader (XML)."""
    gateway = envelope.get("OpenAPI_ServiceResponse")
    if not isinstance(gateway, dict):
        return None
    header = gateway.get("cmmMsgHeader") or {}
    code = str(header.get("returnReasonCode") or "").strip()
    reason = header.get("returnAuthMsg") or header.get("errMsg") or "gateway error"
    return f"kr-mofa: data.go.kr error {code}: {reason} ({ERROR_MEANINGS.get(code, 'see data.go.kr')})"


def _check_result(code: Any, message: Any) -> None:
    text = str(code if code is not None else "").strip()
    if text in {"0", "00"}:
        return
    meaning = ERROR_MEANINGS.get(text, "unknown result code")
    raise KrMofaApiError(f"kr-mofa: resultCode {text or 'missing'} ({message or ''}): {meaning}")


def _written(value: Any) -> datetime | None:
    """`written_dt` is often null; when present it is a Seoul date or date-time."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return local_to_utc(datetime.fromisoformat(value.strip().replace(".", "-")), ISSUER)
    except ValueError:
        return None


class ServiceKeyRedactor(logging.Filter):
    """Blanks `serviceKey=…` in every log line, so the data.go.kr key never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "serviceKey=" in message or "servicekey=" in message.lower():
            record.msg, record.args = SERVICE_KEY_RE.sub(r"\1***", message), None
        return True


def install_key_redactor() -> None:
    """Attach the redactor to the root handlers (Scrapy's and the CLI's) once."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ServiceKeyRedactor) for f in handler.filters):
            handler.addFilter(ServiceKeyRedactor())


class KrMofaSpider(AdvisorySpider):
    """`deskwatch crawl kr-mofa`: one TravelAlarmService2 query per in-scope country. The service key comes
    only from DESKWATCH_KR_MOFA_KEY; without it nothing is sent to data.go.kr (a clear warning says why)."""

    name = source_key = ISSUER
    issuer = ISSUER

    def first_requests(self) -> Iterator[scrapy.Request]:
        install_key_redactor()
        key = os.environ.get(KEY_ENV, "").strip()
        if not key and urlsplit(self.start_url).hostname == DATA_GO_KR:
            self.crawler.stats.set_value("deskwatch/not_configured", 1)
            self.logger.warning("kr-mofa is not configured: set %s to a data.go.kr service key (the "
                                "'Decoding' key of TravelAlarmService2); nothing fetched", KEY_ENV)
            return
        for country in sorted(self.scope) if self.scope is not None else [None]:
            query = {"serviceKey": key, "returnType": "JSON", "pageNo": "1", "numOfRows": "500"}
            if country:
                query["cond[country_iso_alp2::EQ]"] = country
            if not key:  # a replay or test server: no key to send
                query.pop("serviceKey")
            url = f"{self.start_url}?{urlencode(query)}"
            yield self.listing_request(
                url, self.parse_alarms, conditional=False, cb_kwargs={"country": country}
            )

    def parse_alarms(self, response: Response, country: str | None) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_kr_alarms(body, country, self.scope))
        if parsed is not None:
            yield from self.with_retired_regions(parsed.items)

    def record_error(self, kind: str, message: str) -> None:
        super().record_error(kind, SERVICE_KEY_RE.sub(r"\1***", message))
