"""Add documents a user holds from elsewhere (a colleague's link, an archive, another system's export):
one JSON object a line with url, outlet, lang, date, title and text. Idempotent by URL; a bad line is
reported with its line number and the rest goes in."""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nlp.lang import normalize_lang
from storage.documents import upsert_document
from storage.repository import Store

log = logging.getLogger(__name__)

INGEST_SOURCE = "ingest"  # source key of documents that name no outlet
MAX_SOURCE_KEY = 80
_SPACE = re.compile(r"\s+")


class IngestLineError(ValueError):
    """One input line that cannot become a document; the message says why in one line."""


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    doc_ids: dict[str, int] = field(default_factory=dict)  # the line's "id" (or its URL) -> document id

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "errors": [{"line": n, "error": msg} for n, msg in self.errors]}


def canonical(url: str) -> str:
    """The URL without its fragment, scheme and host lower-cased: the identity of an ingested document."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def parse_date(value: Any) -> datetime | None:
    """'2025-10-18', an ISO datetime or null; a date is taken as noon UTC (the day survives time zones)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise IngestLineError(f"'date' must be a string like 2025-10-18, not {type(value).__name__}")
    try:
        if len(value.strip()) == 10:
            d = date.fromisoformat(value.strip())
            return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise IngestLineError(f"'date' {value[:40]!r} is not YYYY-MM-DD or an ISO datetime") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text_field(item: dict[str, Any], *names: str) -> str:
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise IngestLineError(f"'{name}' must be a string")
        return value.strip()
    return ""


def source_key(outlet: str) -> str:
    """The outlet as the document's source key (its name as given, spaces squeezed)."""
    key = _SPACE.sub(" ", outlet).strip()
    return key[:MAX_SOURCE_KEY] if key else INGEST_SOURCE


def document_from_line(line: str) -> dict[str, Any]:
    """One JSON line -> the store's document dict; IngestLineError says what is wrong with it."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise IngestLineError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(item, dict):
        raise IngestLineError("each line must be a JSON object")
    url = _text_field(item, "url")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise IngestLineError("'url' must be an http(s) URL" if url else "missing 'url'")
    title, body = _text_field(item, "title"), _text_field(item, "text", "body")
    if not (title or body):
        raise IngestLineError("neither 'title' nor 'text' has any text")
    lang = _text_field(item, "lang") or None
    try:
        lang = normalize_lang(lang, f"{title}\n{body}")
    except ValueError as exc:
        raise IngestLineError(str(exc)) from None
    canon = canonical(url)
    return {
        "item_id": f"{INGEST_SOURCE}/{hashlib.sha1(canon.encode()).hexdigest()[:20]}",
        "source_key": source_key(_text_field(item, "outlet", "source")), "url": url, "canonical_url": canon,
        "title": title, "body": body, "summary": "", "lang": lang, "country": "",
        "author": _text_field(item, "author") or None, "published_at": parse_date(item.get("date")),
        "quality_flags": [], "_ref": str(item.get("id") or url),
    }


def ingest_lines(store: Store, lines: Iterable[str]) -> IngestReport:
    """Upsert every good line; collect (line number, reason) for the bad ones."""
    report = IngestReport()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = document_from_line(line)
        except IngestLineError as exc:
            report.errors.append((number, str(exc)))
            continue
        ref = doc.pop("_ref")
        result = upsert_document(store, doc)
        report.doc_ids[ref] = result.id
        if result.created:
            report.added += 1
        elif result.changed:
            report.updated += 1
        else:
            report.unchanged += 1
    log.info("ingested %d new, %d updated, %d unchanged, %d bad lines",
             report.added, report.updated, report.unchanged, len(report.errors))
    return report
