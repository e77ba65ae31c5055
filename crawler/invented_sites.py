"""Invented news sites written into a replay root (crawler.replay serves them on 127.0.0.1): one folder
per source with an RSS 2.0 feed (Yonhap-like: guid, pubDate with +0900, CDATA titles) and article pages
with og/article metadata and paragraphs, plus a registry for them and the checks that count what reached
the store. Every site has its own paths, so a fault on one source touches no other. The reliability tests
and the soak benchmark both stand on it."""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ID_PATTERN = r"/news/(\d+)$"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

KO_PARAGRAPHS = (
    "캄보디아 시아누크빌의 한 단지에서 한국인 청년이 감금돼 있다가 현지 경찰에 구출됐다고 외교부가 밝혔다.",
    "가족들은 고수익 일자리를 소개받고 출국했던 그가 연락이 끊긴 뒤 몸값을 요구하는 메시지를 받았다고 말했다.",
    "현지 공관은 비슷한 피해 신고가 이어지고 있다며 해외 취업 광고에 각별히 주의해 달라고 당부했다.",
    "경찰은 단지 운영자로 의심되는 외국인 여러 명을 조사하고 있으며 추가 피해자가 있는지 확인하고 있다.",
)
EN_PARAGRAPHS = (
    "A South Korean man held at a compound near the coast was freed by local police, the foreign ministry said.",
    ("His relatives told reporters that after he left for a well-paid job he stopped answering and they were asked "
     "to pay for his release."),
    "The embassy said similar reports keep arriving and urged readers to be careful with job offers abroad.",
    "Investigators are questioning several people believed to run the compound and looking for other victims.",
)


@dataclass(frozen=True)
class Article:
    site: str
    number: int
    title: str
    body: str
    published: datetime

    @property
    def path(self) -> str:
        return f"/{self.site}/news/{self.number}"

    @property
    def item_id(self) -> str:
        return f"{self.site}/{self.number}"


def articles_for(site: str, count: int, lang: str = "ko") -> list[Article]:
    """`count` invented articles with distinct titles and bodies (so no two are near-duplicates by accident)."""
    paragraphs = KO_PARAGRAPHS if lang == "ko" else EN_PARAGRAPHS
    out = []
    for n in range(1, count + 1):
        head = f"[{site} {n}호] " if lang == "ko" else f"[{site} no. {n}] "
        age, ransom = 19 + n % 17, n
        detail = (f"피해자 A씨({age})의 가족은 몸값으로 {ransom}만 달러를 요구받았다고 밝혔다." if lang == "ko" else
                  f"The family of the {age}-year-old victim was asked for a ransom of ${ransom},000.")
        body = "\n".join(f"{head}{p} ({n}-{i})" for i, p in enumerate([detail, *paragraphs, *paragraphs]))
        title = f"{site} 단독 보도 {n}: 한국인 구출" if lang == "ko" else f"{site} report {n}: Korean freed"
        out.append(Article(site, n, title, body, T0 + timedelta(minutes=7 * n)))
    return out


def write_site(root: Path, site: str, count: int, lang: str = "ko", *, encoding: str = "utf-8") -> list[Article]:
    """One site folder: site.toml, rss.xml and news/<n>.html; returns its articles."""
    folder = root / site
    (folder / "news").mkdir(parents=True, exist_ok=True)
    arts = articles_for(site, count, lang)
    (folder / "site.toml").write_text('start = "/rss.xml"\n', encoding="utf-8")
    (folder / "rss.xml").write_bytes(feed_xml(site, arts, encoding).encode(encoding))
    for a in arts:
        (folder / "news" / f"{a.number}.html").write_bytes(article_html(a, lang, encoding).encode(encoding))
    return arts


def feed_xml(site: str, arts: list[Article], encoding: str = "utf-8") -> str:
    items = "".join(
        f"<item><title><![CDATA[{a.title}]]></title><link>{{base}}{a.path}</link>"
        f"<guid isPermaLink=\"false\">{a.item_id}</guid><description>{html.escape(a.body[:80])}</description>"
        f"<pubDate>{a.published.astimezone(_seoul()).strftime('%a, %d %b %Y %H:%M:%S +0900')}</pubDate></item>"
        for a in arts
    )
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{site}</title>'
            f"<link>{{base}}/{site}/</link><description>invented test feed</description>{items}</channel></rss>\n")


def article_html(a: Article, lang: str, encoding: str = "utf-8") -> str:
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in a.body.splitlines())
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="{encoding}">'
            f"<title>{html.escape(a.title)}</title>"
            f'<meta property="og:title" content="{html.escape(a.title)}">'
            f'<meta property="article:published_time" content="{a.published.isoformat()}">'
            f'<link rel="canonical" href="{{base}}{a.path}"></head>'
            f'<body><header><a href="{{base}}/{a.site}/">home</a></header><article><h1>{html.escape(a.title)}</h1>'
            f"{paras}</article><footer>invented for tests</footer></body></html>\n")


def _seoul() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Seoul")


def write_registry(path: Path, base_url: str, sites: dict[str, str], **options: Any) -> Path:
    """A registry whose entries (key = site, lang from `sites`) point at the replay's sites."""
    lines = []
    for site, lang in sites.items():
        lines.append(
            f'[[sources]]\nkey = "{site}"\nname = "Invented {site}"\nkind = "news"\ncountry = "KR"\n'
            f'lang = "{lang}"\nfetch = "rss"\nurl = "{base_url}/{site}/rss.xml"\nschedule = "30m"\nenabled = true\n'
            f"id_pattern = '{ID_PATTERN}'\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items())
        )
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def stored_articles(db_url: str) -> list[dict[str, Any]]:
    """Every stored document as {item_id, title, body, story_id, extracted}."""
    from storage.bulk import document_summaries
    from storage.repository import Store

    store = Store(db_url, create=False)
    try:
        return document_summaries(store)
    finally:
        store.close()


def lost_and_doubled(expected: list[Article], stored: list[dict[str, Any]]) -> tuple[set[str], int]:
    """(item ids of replayed articles not stored, stored rows beyond one per replayed article). An article is
    known by its invented title, so a copy under another id or URL still counts as doubled."""
    titles = [d["title"] for d in stored]
    lost = {a.item_id for a in expected if a.title not in titles}
    return lost, len(titles) - len(set(titles))


def whole_body(article: Article, stored_body: str) -> bool:
    """True when every paragraph of the article reached the store (no truncated or mis-decoded text)."""
    return all(p in stored_body for p in article.body.splitlines())
