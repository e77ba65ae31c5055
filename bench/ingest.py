"""Ingest benchmark: serve N generated article pages and their feed on 127.0.0.1 (the replay server, in its
own process), then in one run measure raw Scrapy fetching of those pages (feed + pages, nothing done with
them) and the full ingest (the real feed spider: fetch, trafilatura, dedup, store into a fresh SQLite).
Both crawls use the same settings (politeness delays off on loopback). Prints one JSON line:
{"pages", "raw_pages_per_s", "ingest_pages_per_s", "ratio", "peak_rss_mb"}. With --profile, the crawling process
(the reactor thread) is profiled with cProfile during the ingest crawls only and a summary goes to stderr."""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ["police", "embassy", "Cambodia", "compound", "family", "ransom", "student", "province", "officials", "market", "exports", "government", "ministry", "week", "percent", "city", "council", "river", "school", "hospital", "court", "minister", "election", "farmers", "prices", "rain", "company", "workers", "union", "bridge", "airport", "tourists", "festival", "budget", "report", "border", "officers"]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."


def generate_site(root: Path, pages: int, seed: int = 7) -> None:
    """An outlet with one RSS feed listing `pages` articles, each a ~3 KB page with metadata and chrome."""
    rng = random.Random(seed)
    site = root / "bench-news"
    (site / "article").mkdir(parents=True)
    (site / "site.toml").write_text('start = "/rss.xml"\n', encoding="utf-8")
    items = []
    for n in range(pages):
        title = _sentence(rng)[:80]
        body = "".join(f"<p>{' '.join(_sentence(rng) for _ in range(3))}</p>\n" for _ in range(6))
        stamp = f"2025-10-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+09:00"
        (site / "article" / f"{n}.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta property="og:title" content="{escape(title)}"><meta property="article:published_time" '
            f'content="{stamp}"></head><body><header><nav><a href="/">Home</a> <a href="/world">World</a></nav>'
            f"</header><main><article><h1>{escape(title)}</h1><p class=\"byline\">By Reporter {n}</p>{body}"
            f"</article><aside><h2>Most read</h2><ul><li>Other story</li></ul></aside></main>"
            f"<footer>Copyright Bench News</footer></body></html>", encoding="utf-8")
        items.append(f"<item><title>{escape(title)}</title><link>{{base}}/bench-news/article/{n}</link>"
                     f"<description>{escape(_sentence(rng))}</description><pubDate>Sun, 12 Oct 2025 10:00:00 +0900"
                     f"</pubDate></item>")
    (site / "rss.xml").write_text(f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                                  f"<title>Bench News</title>{''.join(items)}</channel></rss>", encoding="utf-8")


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    code = ("import sys, time\nfrom crawler.replay import ReplayServer\n"
            f"s = ReplayServer(root={str(root)!r}).start()\nprint(s.url_for('bench-news'), flush=True)\ntime.sleep(1e9)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


class RawFetchSpider(scrapy.Spider):
    """The baseline: fetch the feed and every page it lists, and do nothing with them."""

    name = "raw-fetch"
    # Not a ClassVar: scrapy.Spider declares it as an attribute of the instance (read from the class).
    custom_settings: dict[str, Any] | None = {"ITEM_PIPELINES": {}}  # noqa: RUF012

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        # The project's offsite middleware fetches nothing for a spider that names no domains.
        self.allowed_domains = [urlsplit(start_url).hostname or ""]

    async def start(self):  # type: ignore[no-untyped-def]
        yield scrapy.Request(self.start_url, callback=self.parse_feed)

    def parse_feed(self, response):  # type: ignore[no-untyped-def]
        from crawler.spiders.feed import feed_entry, parse_feed

        for fields in parse_feed(response.body):
            entry = feed_entry(fields)
            if entry:
                yield scrapy.Request(response.urljoin(entry.url), callback=self.parse_page)

    def parse_page(self, response):  # type: ignore[no-untyped-def]
        return None


def alternate_crawls(root: Path, start_url: str, pages: int, repeat: int,
                     profiler: cProfile.Profile | None = None) -> tuple[dict[str, float], dict[str, int]]:
    """raw, ingest, raw, ingest…: the best time of each (a shared machine is noisy); every ingest starts from
    an empty database, so it really fetches, extracts and stores every page."""
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.reactor import install_reactor
    from twisted.internet import defer

    from crawler.crawl_store import CrawlStore
    from crawler.runner import crawl_settings
    from crawler.sources import SourceEntry
    from crawler.spiders.feed import FeedSpider

    settings = crawl_settings(None, {
        "LOG_LEVEL": "ERROR", "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DESKWATCH_MAX_ARTICLES_PER_RUN": pages + 10,
    })
    install_reactor(settings["TWISTED_REACTOR"])
    from twisted.internet import reactor

    entry = SourceEntry(key="bench-news", name="Bench News", kind="news", country="KR", lang="en", fetch="rss",
                        url=start_url, schedule="1h")
    runner = CrawlerRunner(settings)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}

    @defer.inlineCallbacks
    def rounds():  # type: ignore[no-untyped-def]
        for n in range(repeat):
            door = CrawlStore.open(f"sqlite:///{root / f'bench-{n}.sqlite'}")
            door.record_sources([entry])
            for label, spidercls, kwargs in (("raw", RawFetchSpider, {"start_url": start_url}),
                                             ("ingest", FeedSpider, {"source": entry, "crawl_store": door})):
                crawler = runner.create_crawler(spidercls)
                profiling = profiler is not None and label == "ingest"
                if profiling:
                    profiler.enable()
                began = time.perf_counter()
                yield runner.crawl(crawler, **kwargs)
                if profiling:
                    profiler.disable()
                timings[label] = min(timings.get(label, float("inf")), time.perf_counter() - began)
                stats = crawler.stats.get_stats()
                counts[label] = int(stats.get("response_received_count", 0)) - 2  # minus robots.txt and the feed
                counts[f"{label}_items"] = int(stats.get("deskwatch/items", 0))
            door.close()
        reactor.stop()

    reactor.callWhenRunning(rounds)
    reactor.run()  # type: ignore[misc]  # twisted's interfaces omit self: they need the mypy-zope plugin
    return timings, counts


def run(pages: int, repeat: int = 2, profiler: cProfile.Profile | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_site(root / "sites", pages)
        server, start_url = start_server(root / "sites")
        try:
            timings, counts = alternate_crawls(root, start_url, pages, repeat, profiler)
        finally:
            server.terminate()
            server.wait()
    if counts["raw"] != pages or counts["ingest"] != pages or counts["ingest_items"] != pages:
        raise SystemExit(f"bench: expected {pages} pages and items, got {counts}")
    raw, ingest = pages / timings["raw"], pages / timings["ingest"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + _workers_rss_mb()
    return {"pages": pages, "raw_pages_per_s": round(raw, 1), "ingest_pages_per_s": round(ingest, 1),
            "ratio": round(ingest / raw, 3), "peak_rss_mb": round(peak, 1)}


def _workers_rss_mb() -> float:
    """Resident memory of this process's remaining children (the page-extraction workers)."""
    import psutil

    return sum(child.memory_info().rss for child in psutil.Process().children(recursive=True)) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=4, help="alternating rounds; the best of each is kept")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the ingest crawls (reactor thread); the top functions go to stderr")
    parser.add_argument("--profile-top", type=int, default=45, help="how many functions the summary lists")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    print(json.dumps(run(args.pages, args.repeat, profiler)), flush=True)
    if profiler is not None:
        print(profile_summary(profiler, args.profile_top), file=sys.stderr)


def profile_summary(profiler: cProfile.Profile, top: int) -> str:
    """The `top` functions by cumulative time, then by own time (the ingest crawls of every round)."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


if __name__ == "__main__":
    main()
