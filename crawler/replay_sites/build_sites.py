"""Render articles.toml (invented articles) into the bundled sample sites, in each outlet's real formats:
Yonhap EN RSS + pages (og/article:published_time/JSON-LD), Yonhap KO RSS (CDATA titles, double-escaped
descriptions, tracking parameters, an undated item) + pages, Khmer Times WordPress RSS2 + pages + the WP
REST API (paging headers, 400 past the last page), CamboJA WordPress RSS2 + pages.
Run `python crawler/replay_sites/build_sites.py` after editing articles.toml; the output is committed."""
from __future__ import annotations

import html
import json
import shutil
import tomllib
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITES = ("yonhap-en", "yonhap", "khmer-times", "khmer-times-api", "camboja")
KT_CATEGORY_ID = 7
KT_PER_PAGE = 3


def load() -> list[dict]:
    return tomllib.loads((HERE / "articles.toml").read_text(encoding="utf-8"))["articles"]


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.strip().splitlines() if p.strip()]


def rfc822(iso: str, utc: bool = False) -> str:
    dt = datetime.fromisoformat(iso)
    return format_datetime(dt.astimezone(UTC) if utc else dt)


def article_page(a: dict, *, lang: str, site_name: str, canonical: str, dated: bool = True) -> str:
    e = html.escape
    a = {**a, "published": a.get("page_published") or a["published"]}
    paras = "\n".join(f"      <p>{e(p)}</p>" for p in paragraphs(a["body"]))
    meta_date = f'  <meta property="article:published_time" content="{a["published"]}">\n' if dated and a["published"] else ""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
          "author": {"@type": "Person", "name": a["author"]}, "publisher": {"@type": "Organization", "name": site_name}}
    if dated and a["published"]:
        ld["datePublished"] = a["published"]
    stamp = f'<p class="update-time">입력 {a["published"][:10].replace("-", ".")} {a["published"][11:16]}</p>' if lang == "ko" and a["published"] else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <title>{e(a["title"])} | {e(site_name)}</title>
  <meta property="og:title" content="{e(a["title"])}">
  <meta property="og:type" content="article">
  <meta property="og:url" content="{canonical}">
  <meta property="og:description" content="{e(a["summary"])}">
  <meta name="author" content="{e(a["author"])}">
{meta_date}  <link rel="canonical" href="{canonical}">
  <script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head>
<body>
  <header class="gnb"><a href="{{base}}/{a["site"]}/">{e(site_name)}</a>
    <nav><a href="#">World</a> <a href="#">National</a> <a href="#">Business</a> <a href="#">Sports</a></nav>
  </header>
  <main>
    <article class="story-news">
      <h1 class="tit">{e(a["title"])}</h1>
      <p class="byline">{e(a["author"])}</p>
      {stamp}
      <div class="article-body">
{paras}
      </div>
    </article>
    <aside class="related"><h2>Most viewed</h2><ul><li><a href="#">Weather: clear skies expected</a></li></ul></aside>
  </main>
  <footer>Copyright {e(site_name)}. All rights reserved.</footer>
</body>
</html>
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_yonhap_en(items: list[dict]) -> None:
    root = HERE / "yonhap-en"
    write(root / "site.toml", 'start = "/RSS/news.xml"\n')
    entries = []
    for a in items:
        link = f"{{base}}/yonhap-en/view/{a['id']}"
        write(root / "view" / f"{a['id']}.html", article_page(a, lang="en", site_name="Yonhap News Agency", canonical=link))
        entries.append(f"""<item>
<title>{html.escape(a["title"])}</title>
<link>{link}?section=news&amp;input=rss</link>
<description>{html.escape(a["summary"])}</description>
<pubDate>{rfc822(a["published"])}</pubDate>
</item>""")
    write(root / "RSS" / "news.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Yonhap News Agency</title>
<link>{{base}}/yonhap-en/</link>
<description>Latest news from Yonhap News Agency</description>
<language>en</language>
<lastBuildDate>Sat, 18 Oct 2025 10:00:00 +0900</lastBuildDate>
{chr(10).join(entries)}
</channel>
</rss>
""")


def build_yonhap(items: list[dict]) -> None:
    root = HERE / "yonhap"
    write(root / "site.toml", 'start = "/rss/news.xml"\n')
    entries = []
    for a in items:
        link = f"{{base}}/yonhap/view/{a['id']}"
        write(root / "view" / f"{a['id']}.html", article_page(a, lang="ko", site_name="연합뉴스", canonical=link))
        double_escaped = html.escape(html.escape(a["summary"]))
        date = f"<pubDate>{rfc822(a['published'])}</pubDate>\n" if a["published"] else ""
        entries.append(f"""<item>
<title><![CDATA[{a["title"]}]]></title>
<link>{link}?input=rss&amp;section=news</link>
<description>{double_escaped}</description>
{date}<media:content url="{{base}}/yonhap/photo/{a['id']}.jpg" medium="image"/>
</item>""")
    write(root / "rss" / "news.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title><![CDATA[연합뉴스 최신기사]]></title>
<link>{{base}}/yonhap/</link>
<description><![CDATA[연합뉴스 전체 최신기사]]></description>
<language>ko</language>
<lastBuildDate>Sat, 18 Oct 2025 10:30:00 +0900</lastBuildDate>
{chr(10).join(entries)}
</channel>
</rss>
""")


def wordpress_item(a: dict, site: str, link: str) -> str:
    content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs(a["body"]))
    return f"""<item>
<title>{html.escape(a["title"])}</title>
<link>{link}</link>
<dc:creator><![CDATA[{a["author"]}]]></dc:creator>
<pubDate>{rfc822(a["published"], utc=True)}</pubDate>
<category><![CDATA[National]]></category>
<guid isPermaLink="false">{{base}}/{site}/?p={a["id"]}</guid>
<description><![CDATA[<p>{html.escape(a["summary"])}</p>]]></description>
<content:encoded><![CDATA[{content}]]></content:encoded>
</item>"""


def wordpress_feed(title: str, site: str, items: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:atom="http://www.w3.org/2005/Atom"
\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
\t<title>{title}</title>
\t<atom:link href="{{base}}/{site}/feed/" rel="self" type="application/rss+xml" />
\t<link>{{base}}/{site}</link>
\t<description>News</description>
\t<lastBuildDate>Wed, 15 Oct 2025 09:00:00 +0000</lastBuildDate>
\t<language>en-US</language>
\t<sy:updatePeriod>hourly</sy:updatePeriod>
\t<generator>https://wordpress.org/?v=6.8.3</generator>
{chr(10).join(items)}
</channel>
</rss>
"""


def build_wordpress_site(site: str, title: str, items: list[dict], path_for) -> None:  # type: ignore[no-untyped-def]
    root = HERE / site
    write(root / "site.toml", 'start = "/feed/"\n')
    entries = []
    for a in items:
        path = path_for(a)
        link = f"{{base}}/{site}{path}"
        write(root / path.strip("/") / "index.html", article_page(a, lang="en", site_name=title, canonical=link))
        entries.append(wordpress_item(a, site, link))
    write(root / "feed" / "index.xml", wordpress_feed(title, site, entries))


def build_khmer_times_api(items: list[dict]) -> None:
    """The WP REST API of Khmer Times, with the same post ids as its feed (so items dedupe across the two)."""
    root = HERE / "khmer-times-api"
    posts = sorted(items, key=lambda a: a["published"], reverse=True)
    pages = [posts[i : i + KT_PER_PAGE] for i in range(0, len(posts), KT_PER_PAGE)]
    routes = ['[routes."/wp-json/wp/v2/categories?slug=national"]\nfile = "categories-national.json"\n']
    for n, chunk in enumerate(pages, start=1):
        data = [wp_post(a) for a in chunk]
        write(root / f"posts-{n}.json", json.dumps(data, ensure_ascii=False, indent=1))
        routes.append(
            f'[routes."/wp-json/wp/v2/posts?categories={KT_CATEGORY_ID}&page={n}"]\nfile = "posts-{n}.json"\n'
            f'headers = {{ "X-WP-Total" = "{len(posts)}", "X-WP-TotalPages" = "{len(pages)}" }}\n'
        )
    routes.append(
        f'[routes."/wp-json/wp/v2/posts?categories={KT_CATEGORY_ID}&page={len(pages) + 1}"]\nstatus = 400\n'
        'body = \'{"code":"rest_post_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}}\'\n'
    )
    write(root / "categories-national.json", json.dumps(
        [{"id": KT_CATEGORY_ID, "count": 48211, "name": "National", "slug": "national", "taxonomy": "category"}]))
    write(root / "site.toml", 'start = "/wp-json/wp/v2/posts"\n\n' + "\n".join(routes))


def wp_post(a: dict) -> dict:
    dt = datetime.fromisoformat(a["published"])
    local, gmt = dt.replace(tzinfo=None).isoformat(), dt.astimezone(UTC).replace(tzinfo=None).isoformat()
    link = f"{{base}}/khmer-times/{a['id']}/{a['slug']}/"
    content = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs(a["body"]))
    return {
        "id": int(a["id"]), "date": local, "date_gmt": gmt, "modified": local, "modified_gmt": gmt,
        "slug": a["slug"], "status": "publish", "type": "post", "link": link,
        "title": {"rendered": html.escape(a["title"])}, "content": {"rendered": content, "protected": False},
        "excerpt": {"rendered": f"<p>{html.escape(a['summary'])}</p>\n", "protected": False},
        "author": 12, "categories": [KT_CATEGORY_ID], "tags": [],
        "_links": {"self": [{"href": f"{{base}}/khmer-times-api/wp-json/wp/v2/posts/{a['id']}"}],
                   "wp:featuredmedia": [{"embeddable": True, "href": "{base}/khmer-times-api/wp-json/wp/v2/media/1"}]},
    }


def main() -> None:
    articles = load()
    for site in SITES:
        shutil.rmtree(HERE / site, ignore_errors=True)
    by_site = {s: [a for a in articles if a["site"] == s] for s in ("yonhap-en", "yonhap", "khmer-times", "camboja")}
    build_yonhap_en(by_site["yonhap-en"])
    build_yonhap(by_site["yonhap"])
    build_wordpress_site("khmer-times", "Khmer Times", by_site["khmer-times"], lambda a: f"/{a['id']}/{a['slug']}/")
    build_khmer_times_api(by_site["khmer-times"])
    build_wordpress_site("camboja", "CamboJA News", by_site["camboja"], lambda a: f"/{a['slug']}/")
    write(HERE / "robots.txt", "User-agent: *\nDisallow: /admin/\n")


if __name__ == "__main__":
    main()
