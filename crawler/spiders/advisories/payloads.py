"""Reading the advisory issuers' payloads: JSON and XML (a broken one is an AdvisoryPayloadError or a
recovered tree, never a crash), their HTML fragments as one line of text, their naive local times, and
what a parser returns (items plus a line per skipped entry)."""
from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from crawler.items import AdvisoryItem

log = logging.getLogger(__name__)

# Where each issuer's naive local times live (a date or time with no zone is read in this zone).
ISSUER_ZONES: dict[str, str] = {
    "us-state": "America/New_York",
    "uk-fcdo": "Europe/London",
    "ca-gac": "America/Toronto",
    "au-smartraveller": "Australia/Sydney",
    "kr-mofa": "Asia/Seoul",
    "jp-mofa": "Asia/Tokyo",
}


class AdvisoryPayloadError(ValueError):
    """A payload that cannot be read at all (not JSON/XML, an error envelope, a maintenance page)."""


def html_to_one_line(fragment: str | None) -> str:
    """One line of plain text from an issuer's HTML fragment: tags dropped, entities (even double-escaped)
    decoded, all whitespace folded (crawler.text.html_to_text keeps paragraphs, for articles)."""
    if not fragment:
        return ""
    text = re.sub(
        r"<\s*/?\s*(br|p|li|ul|ol|h\d|div|section|tr|td|th|table)\b[^>]*>", " ", fragment, flags=re.IGNORECASE
    )
    text = re.sub(r"<[^>]*>", "", text)
    for _ in range(2):  # '&amp;nbsp;' is '&nbsp;' escaped twice
        text = html.unescape(text)
    text = text.replace("&**", "").replace("\u00a0", " ")
    return " ".join(text.split())


def local_to_utc(value: datetime | date, issuer: str) -> datetime:
    """An issuer's naive local date or time as aware UTC (a bare date means 00:00 local)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(ISSUER_ZONES[issuer]))
    return value.astimezone(UTC)


@dataclass
class ParsedAdvisories:
    """What a parser read from one payload: the items, and a line per entry it had to skip."""

    items: list[AdvisoryItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        log.warning("advisory entry skipped: %s", reason)
        self.problems.append(reason)


def in_scope(country: str, scope: Collection[str] | None) -> bool:
    """True when no scope is set or the country is in it."""
    return scope is None or country in scope


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_XML_RECOVER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)


def read_xml_payload(body: bytes, what: str) -> tuple[etree._Element, str | None]:
    """Parse an XML payload; a broken one is recovered where lxml can (the second value then says so)."""
    if not body or not body.strip():
        raise AdvisoryPayloadError(f"{what}: empty payload")
    try:
        return etree.fromstring(body, _XML_PARSER), None
    except etree.XMLSyntaxError as exc:
        try:
            root = etree.fromstring(body, _XML_RECOVER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise AdvisoryPayloadError(f"{what}: not XML ({exc})") from exc
        return root, f"{what}: malformed XML, read what could be recovered ({exc})"


def read_json_payload(body: bytes, what: str) -> Any:
    """Parse a JSON payload (UTF-8, with or without BOM) or say clearly why it is not one."""
    if not body or not body.strip():
        raise AdvisoryPayloadError(f"{what}: empty payload")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = body.lstrip()[:40]
        raise AdvisoryPayloadError(f"{what}: not JSON ({exc}); starts with {start!r}") from exc
