"""Article pages to text: trafilatura for body/title/author/date, a JSON-state fallback for script-rendered
pages (Next.js), structured-metadata dates, and quality checks that flag cookie walls, paywall teasers and
fragments instead of passing them off as articles."""
from __future__ import annotations

import html as html_lib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml import html as lxml_html

log = logging.getLogger(__name__)

ENCODING_CANDIDATES = ("utf-8", "cp949")  # EUC-KR pages decode as CP949 (its superset)
META_DATE_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate']/@content",
    "//meta[@name='publish-date']/@content",
    "//meta[@property='og:published_time']/@content",
    "//meta[@name='date']/@content",
    "//time[@itemprop='datePublished']/@datetime",
)
JSON_DATE_KEYS = re.compile(r"^(datePublished|publishedAt|published_at|firstPublished\w*|deployDt|regDt|regist\w*|pubDate)$", re.IGNORECASE)
JSON_TITLE_KEYS = ("headline", "title", "metaTitle")
JSON_AUTHOR_KEYS = ("writerDisplay", "author", "byline", "writerName")
COOKIE_WALL_RE = re.compile(
    r"(we use cookies|this (web)?site uses cookies|accept (all )?cookies|cookie (policy|settings)|쿠키를 사용|쿠키 정책)", re.IGNORECASE
)
PAYWALL_RE = re.compile(
    r"(subscribe to (continue|read)|subscribers only|already a subscriber|to continue reading|sign in to read|"
    r"유료 ?회원|구독자 전용|로그인 후 (이용|열람)|프리미엄 기사)", re.IGNORECASE
)
TAG_RE = re.compile(r"<[^>]+>")
INPUT_STAMP_RE = re.compile(r"(?:입력|등록|Posted|Published)\s*[:：]?\s*((?:19|20)\d{2}[.\-/]\d{1,2}[.\-/]\d{1,2}\.?\s+\d{1,2}:\d{2}(?::\d{2})?)")


@dataclass
class PageText:
    """What one article page yielded; `dates` are raw strings in order of trust (structured first)."""

    title: str = ""
    body: str = ""
    author: str | None = None
    dates: list[str] = field(default_factory=list)
    via: str = "trafilatura"  # trafilatura | json-state | none


def best_encoding(body: bytes, declared: list[str | None]) -> str | None:
    """The first of the declared encodings (HTTP header, meta) that decodes `body` strictly, else UTF-8
    or CP949 when one does; None when nothing decodes cleanly (keep the declared one, with replacement)."""
    for name in [*declared, *ENCODING_CANDIDATES]:
        if not name:
            continue
        try:
            body.decode(_normalize_encoding(name))
        except (UnicodeDecodeError, LookupError):
            continue
        return _normalize_encoding(name)
    return None


def _normalize_encoding(name: str) -> str:
    lowered = name.strip().lower().replace("_", "-")
    if lowered in {"euc-kr", "euckr", "ks-c-5601-1987", "ksc5601", "x-windows-949", "windows-949", "ms949"}:
        return "cp949"
    if lowered in {"utf8", "utf-8"}:
        return "utf-8"
    return lowered


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed descriptions, WordPress content), paragraphs kept."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return " ".join(html_lib.unescape(html_lib.unescape(fragment)).split())
    try:
        root = lxml_html.fromstring(f"<div>{fragment}</div>")
    except (ValueError, lxml_html.etree.ParserError):
        return " ".join(TAG_RE.sub(" ", html_lib.unescape(fragment)).split())
    for bad in root.xpath("//script|//style|//figure//figcaption"):
        bad.drop_tree()
    blocks = [" ".join(el.text_content().split()) for el in root.xpath("//p|//h2|//h3|//li|//blockquote")]
    text = "\n".join(b for b in blocks if b)
    return text or " ".join(root.text_content().split())


def extract_page(page_html: str, url: str) -> PageText:
    """Body, title, author and candidate dates of one article page."""
    result = PageText(dates=structured_dates(page_html))
    stamp = INPUT_STAMP_RE.search(page_html)
    if stamp:  # Korean pages: "입력 : 2016.09.17 18:59" is the only dated text, with the time htmldate drops
        result.dates.append(stamp.group(1))
    dated = bool(result.dates)  # htmldate's extensive search is only worth it when nothing else dates the page
    doc = _trafilatura(page_html, url, fast=True, extensive_dates=not dated)
    if doc is None or len(doc.get("text") or "") < 200:  # hard page: let trafilatura's fallbacks try
        doc = _trafilatura(page_html, url, fast=False, extensive_dates=not dated) or doc
    if doc is not None:
        data = doc
        result.body = (data.get("text") or "").strip()
        result.title = (data.get("title") or "").strip()
        result.author = data.get("author") or None
        if data.get("date"):
            result.dates.append(str(data["date"]))
    if len(result.body) < 200:
        state = json_state_article(page_html)
        if state and len(state.body) > len(result.body):
            state.dates = result.dates + state.dates
            state.title = state.title or result.title
            return state
    if not result.body:
        result.via = "none"
    return result


def _trafilatura(page_html: str, url: str, *, fast: bool, extensive_dates: bool = True) -> dict[str, Any] | None:
    """trafilatura's text and metadata as a dict; `fast` skips its fallback extractors (readability, jusText)."""
    doc = trafilatura.bare_extraction(
        page_html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        favor_precision=True, deduplicate=False, fast=fast,
        date_extraction_params={"extensive_search": extensive_dates, "original_date": True},
    )
    if doc is None:
        return None
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)


def structured_dates(page_html: str) -> list[str]:
    """Publication dates from meta tags and JSON-LD, most trusted first."""
    try:
        root = lxml_html.fromstring(page_html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    found = [v.strip() for xp in META_DATE_XPATHS for v in root.xpath(xp) if v.strip()]
    for script in root.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        found += [v for k, v in _walk_pairs(data) if k == "datePublished" and isinstance(v, str)]
    return found


def json_state_article(page_html: str) -> PageText | None:
    """The article inside a script-embedded JSON state (Next.js/React Query): the object holding the
    longest HTML body, with its title, author and date keys. None when no such blob exists."""
    best: tuple[int, dict[str, Any]] | None = None
    for blob in _script_json_blobs(page_html):
        for obj in _walk_objects(blob):
            for value in obj.values():
                if not (isinstance(value, str) and "<p" in value and len(value) > 400):
                    continue
                if best is None or len(value) > best[0]:
                    best = (len(value), obj)
    if best is None:
        return None
    obj = best[1]
    body_html = max((v for v in obj.values() if isinstance(v, str) and "<p" in v), key=len)
    title = next((str(obj[k]) for k in JSON_TITLE_KEYS if isinstance(obj.get(k), str) and obj[k]), "")
    author = next((str(obj[k]) for k in JSON_AUTHOR_KEYS if isinstance(obj.get(k), str) and obj[k]), None)
    dates = [str(v) for k, v in obj.items() if JSON_DATE_KEYS.match(k) and isinstance(v, str) and v]
    return PageText(title=title, body=html_to_text(body_html), author=author, dates=dates, via="json-state")


def _script_json_blobs(page_html: str) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page_html, re.DOTALL | re.IGNORECASE):
        script = match.group(1).strip()
        if len(script) < 500:
            continue
        starts = [0] if script[:1] in "{[" else [m.end() for m in re.finditer(r"(?:push\(|=\s*)(?=\{)", script)]
        for start in starts[:5]:
            try:
                blob, _ = decoder.raw_decode(script, start)
            except ValueError:
                continue
            yield blob


def _walk_objects(data: Any) -> Iterator[dict[str, Any]]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _walk_pairs(data: Any) -> Iterator[tuple[str, Any]]:
    for obj in _walk_objects(data):
        yield from obj.items()


def quality_flags(body: str, feed_summary: str = "", *, min_chars: int = 300) -> list[str]:
    """Why `body` is not a whole article: cookie_wall, paywall, fragment (short, and no longer than what
    the feed itself already said); [] for a real article."""
    flags: list[str] = []
    text = body.strip()
    head = text[:600]
    if COOKIE_WALL_RE.search(head) and len(text) < 1500:
        flags.append("cookie_wall")
    if PAYWALL_RE.search(text[-600:] if len(text) > 600 else text) and len(text) < 2500:
        flags.append("paywall")
    summary = feed_summary.strip()
    if not text:
        flags.append("empty")
    elif len(text) < min_chars and (not summary or len(text) <= len(summary) * 1.2):
        flags.append("fragment")
    elif summary and len(summary) > 200 and len(text) < len(summary) * 0.8:
        flags.append("fragment")  # the page gave less than the feed's own description
    return flags
