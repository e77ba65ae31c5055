"""How the digest shows one incident story and scraped text: facts, dates, evidence quotes, links to
deskwatch's own story page and to the outlets; Markdown and HTML made inert."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.export import http_link
from storage.incidents import incident_date

QUOTES_PER_STORY = 3
LINKS_PER_STORY = 6
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def story_url(base_url: str, story_id: int) -> str:
    """The absolute address of a story's page in deskwatch's web UI."""
    return f"{base_url.rstrip('/')}/stories/{story_id}"


def story_view(story: dict[str, Any], base_url: str, tz: ZoneInfo) -> dict[str, Any]:
    """A story as the digest shows it: facts, when it happened and when deskwatch first saw it, quotes
    (sentences around the extracted evidence), the story page and the outlets' reports."""
    docs = sorted(story["documents"], key=lambda d: d.get("published_at") or "", reverse=True)
    quotes: list[dict[str, str]] = []
    for doc in docs:
        for quote in evidence_quotes(doc):
            if len(quotes) < QUOTES_PER_STORY and quote not in [q["text"] for q in quotes]:
                quotes.append({"text": quote, "source": doc["source"], "url": doc["url"]})
    return {
        "id": story["id"], "title": story["title"] or (docs[0]["title"] if docs else f"story {story['id']}"),
        "incident_types": story["incident_types"], "countries": story["countries"],
        "victim_nationality": story["victim_nationality"], "max_ransom_usd": story["max_ransom_usd"],
        "doc_count": story["doc_count"], "incident_date": incident_date(story) or "unknown",
        "incident_date_stated": bool((story.get("facts") or {}).get("incident_date")),
        "first_seen_local": _local_date(story.get("created_at"), tz), "quotes": quotes,
        "url": story_url(base_url, story["id"]),
        "links": [{"title": d["title"] or d["url"], "url": d["url"], "source": d["source"], "lang": d["lang"]}
                  for d in docs[:LINKS_PER_STORY]],
    }


def _local_date(value: str | None, tz: ZoneInfo) -> str:
    if not value:
        return "unknown"
    return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d")


def evidence_quotes(doc: dict[str, Any], limit: int = 2) -> list[str]:
    """The sentences holding the extraction's evidence spans (ransoms, ages, then places), trimmed."""
    data = doc.get("extraction") or {}
    body = doc.get("body") or ""
    spans = [*data.get("ransoms", []), *data.get("victim_ages", []), *data.get("places", [])]
    quotes: list[str] = []
    for span in spans:
        sentence = _sentence_around(body, span)
        if sentence and sentence not in quotes:
            quotes.append(sentence)
        if len(quotes) >= limit:
            break
    return quotes


def _sentence_around(body: str, span: dict[str, Any]) -> str | None:
    start, end, text = span.get("start"), span.get("end"), span.get("text") or ""
    if not (isinstance(start, int) and isinstance(end, int) and body[start:end] == text):
        start = body.find(text) if text else -1  # spans may count from the title; find the text instead
        if start < 0:
            return None
        end = start + len(text)
    left = max((m.end() for m in SENTENCE_END.finditer(body, 0, start)), default=0)
    right_match = SENTENCE_END.search(body, end)
    sentence = body[left : right_match.start() if right_match else len(body)].strip()
    return sentence if len(sentence) <= 400 else sentence[:397] + "…"


def markdown_escape(value: Any) -> str:
    """Scraped text made inert in Markdown: markup characters backslashed, HTML characters as entities."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown_url(value: str) -> str:
    return str(value).replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def safe_href(url: Any) -> str:
    """An outlet link for the digest: storage.export.http_link's rule, with '#' where a link must stand."""
    return http_link(url) or "#"
