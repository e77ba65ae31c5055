"""RSS 2.0 / Atom feeds, parsed tolerantly: recovering XML parser, lying or odd encoding declarations
(Yonhap's `encoding='utf8'`, EUC-KR feeds), misspelt channel tags, items with no date (the page decides)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawler.spiders.base import FeedEntry, SourceSpider
from crawler.text import best_encoding, html_to_text

XML_DECLARATION_RE = re.compile(rb"^\s*<\?xml[^>]*\?>", re.DOTALL)
DECLARED_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.-]+)["']""", re.DOTALL)
DATE_TAGS = ("pubDate", "published", "date", "issued", "created")
UPDATED_TAGS = ("updated", "modified")
SUMMARY_TAGS = ("description", "summary", "abstract")
CONTENT_TAGS = ("encoded", "content")
AUTHOR_TAGS = ("creator", "author")


class FeedParseError(ValueError):
    """A payload that is not a feed at all, even to a forgiving parser."""


def parse_feed(body: bytes, header_encoding: str | None = None) -> list[dict[str, Any]]:
    """Items of an RSS/Atom document as dicts of raw strings, in document order."""
    root = _parse_xml(body, header_encoding)
    if root is None or _local(root.tag) not in {"rss", "feed", "RDF", "channel"}:
        raise FeedParseError(f"not an RSS/Atom document (root {getattr(root, 'tag', None)!r})")
    items = [el for el in root.iter() if isinstance(el.tag, str) and _local(el.tag) in {"item", "entry"}]
    return [_item_fields(el) for el in items]


def _parse_xml(body: bytes, header_encoding: str | None) -> Any:
    declared = DECLARED_ENCODING_RE.match(body)
    encoding = best_encoding(body, [header_encoding, declared.group(1).decode() if declared else None])
    text = body.decode(encoding or "utf-8", errors="replace")
    utf8 = XML_DECLARATION_RE.sub(b"", text.encode("utf-8"), count=1)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, encoding="utf-8")
    try:
        return etree.fromstring(utf8, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedParseError(f"unreadable XML ({exc})") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _item_fields(item: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for child in item:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name == "link":
            href = child.get("href")
            if href and child.get("rel", "alternate") == "alternate":
                fields.setdefault("link", href.strip())
            elif (child.text or "").strip():
                fields.setdefault("link", child.text.strip())
            continue
        if name == "author" and len(child):
            fields.setdefault("author", " ".join(child.itertext()).strip())
            continue
        text = (child.text or "").strip() if not len(child) else "".join(child.itertext()).strip()
        if text:
            fields.setdefault(name, text)
    return fields


def feed_entry(fields: dict[str, Any]) -> FeedEntry | None:
    """A FeedEntry from one item's raw fields; None without a link."""
    link = fields.get("link") or (fields.get("guid") if str(fields.get("guid", "")).startswith("http") else None)
    if not link:
        return None
    pick = lambda names: next((fields[n] for n in names if fields.get(n)), None)
    summary = html_to_text(_unescape_twice(pick(SUMMARY_TAGS) or ""))
    content = html_to_text(pick(CONTENT_TAGS) or "")
    author = pick(AUTHOR_TAGS)
    return FeedEntry(
        url=link.strip(), title=html_to_text(fields.get("title", "")), summary=summary,
        content=content if len(content) > len(summary) else "", published=pick(DATE_TAGS),
        updated=pick(UPDATED_TAGS), guid=fields.get("guid") or fields.get("id"),
        author=clean_author(author),
    )


def clean_author(raw: str | None) -> str | None:
    """"양지혜 기자(     )" → "양지혜 기자"; "webmaster@koreatimes.co.kr(KoreaTimes)" → "KoreaTimes"."""
    if not raw:
        return None
    text = re.sub(r"\(\s*\)", "", raw).strip()
    match = re.fullmatch(r"\S+@\S+?\s*\(([^)]+)\)", text)
    if match:
        text = match.group(1).strip()
    elif "@" in text and " " not in text:
        return None  # a bare address names no one
    return text or None


def _unescape_twice(text: str) -> str:
    """Yonhap descriptions arrive double-escaped (`&amp;amp;`): undo the extra layer."""
    return text.replace("&amp;", "&") if "&amp;" in text else text


class FeedSpider(SourceSpider):
    """Any RSS/Atom source: read the feed (conditionally), then fetch the articles not yet stored."""

    name = "feed"

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        header = (response.headers.get("Content-Type") or b"").decode("latin-1")
        charset = re.search(r"charset=([\w.-]+)", header)
        try:
            items = parse_feed(response.body, charset.group(1) if charset else None)
        except FeedParseError as exc:
            self.start_failed = True
            self.record_error("parse", f"{response.url}: {exc}")
            return
        entries = [e for e in (feed_entry(f) for f in items) if e is not None]
        self.crawler.stats.set_value("deskwatch/listed", len(entries))
        if not entries:
            self.record_error("parse", f"{response.url}: feed has no items with links")
        yield from self.follow_entries([self.resolve(response, e) for e in entries])
        self.commit_validators(response)

    @staticmethod
    def resolve(response: Response, entry: FeedEntry) -> FeedEntry:
        try:
            entry.url = response.urljoin(entry.url)
        except ValueError:  # "http://[broken": left as it is, follow_entries skips and counts it
            pass
        return entry
