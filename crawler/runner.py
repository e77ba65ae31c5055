"""Run crawls in THIS process (one Twisted reactor per process, so call run_crawls once), or from the
command line: `python -m crawler.runner KEY [KEY…] --db URL [--url URL] [--json]` (what the scheduler spawns)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.crawl_store import CrawlStore
from crawler.settings import redis_settings
from crawler.sources import SourceEntry, registry_by_key

log = logging.getLogger(__name__)

SPIDER_FOR_FETCH = {"rss": "feed", "atom": "feed", "wordpress": "wordpress", "sitemap": "sitemap",
                    "json-api": "jsonapi", "html": "html"}


class UnknownSourceError(ValueError):
    """A key that is not in the registry."""


@dataclass
class CrawlReport:
    source: str
    run_id: int | None
    status: str  # ok | partial | failed
    pages: int = 0
    items: int = 0
    new_items: int = 0
    errors: int = 0
    error_summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def crawl_settings(db_url: str | None, overrides: dict[str, Any] | None = None) -> Settings:
    """deskwatch's Scrapy settings plus this run's: database, contact, Redis (when DESKWATCH_REDIS_URL is set)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("DESKWATCH_DB_URL", db_url, priority="cmdline")
    settings.set("SPIDER_LOADER_WARN_ONLY", True, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # the caller owns logging
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    contact = settings.get("DESKWATCH_CONTACT_URL")
    if "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", f"deskwatch/0.1 (+{contact}; news monitoring, obeys robots.txt)", priority="cmdline")
    redis_url = settings.get("DESKWATCH_REDIS_URL")
    if redis_url:
        crawl_id = settings.get("DESKWATCH_CRAWL_ID") or uuid.uuid4().hex[:12]
        settings.set("DESKWATCH_CRAWL_ID", crawl_id, priority="cmdline")
        for key, value in redis_settings(redis_url, crawl_id).items():
            settings.set(key, value, priority="cmdline")
        # scrapy-redis 0.9 still passes `spider=` to the stats collector; harmless, and not ours to fix.
        warnings.filterwarnings("ignore", message=".*'spider' argument to StatsCollector", module="scrapy_redis")
        # Pull from the shared queue only what this process downloads now, leaving the rest to peers.
        settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="cmdline")
    return settings


def spider_name_for(entry: SourceEntry) -> str:
    """Strategy spiders by fetch type; an advisory issuer's own spider is named like its registry key."""
    if entry.fetch == "advisory":
        return str(entry.option("spider", entry.key))
    return str(entry.option("spider", SPIDER_FOR_FETCH[entry.fetch]))


def run_crawls(keys: list[str], *, db_url: str | None, url_overrides: dict[str, str] | None = None,
               settings: dict[str, Any] | None = None,
               on_closed: Callable[[str], None] | None = None) -> list[CrawlReport]:
    """Crawl the given sources concurrently in this process and report each run's health; `on_closed(key)`
    is called as each source's crawl ends (for progress)."""
    scrapy_settings = crawl_settings(db_url, settings)
    registry = registry_by_key(scrapy_settings.get("DESKWATCH_SOURCES_FILE"))
    unknown = [k for k in keys if k not in registry]
    if unknown:
        raise UnknownSourceError(f"unknown source(s): {', '.join(unknown)} (see `deskwatch sources`)")
    door = CrawlStore.open(db_url)
    door.record_sources(registry[k] for k in keys)
    loader = SpiderLoader.from_settings(scrapy_settings)
    logging.disable(logging.INFO)  # Scrapy's start-up banners are below the caller's interest
    try:
        process = CrawlerProcess(scrapy_settings)
    finally:
        logging.disable(logging.NOTSET)
    _quiet_scrapy_loggers(scrapy_settings.get("LOG_LEVEL"))  # after Scrapy's dictConfig set them to DEBUG
    started: list[tuple[str, Crawler | None, str | None]] = []
    receivers: list[Callable[..., None]] = []
    try:
        for key in keys:
            entry = registry[key]
            try:
                crawler = process.create_crawler(loader.load(spider_name_for(entry)))
            except KeyError as exc:
                started.append((key, None, f"no spider for {key}: {exc}"))
                continue
            if on_closed is not None:
                closed = _closed_callback(on_closed, key)
                receivers.append(closed)  # the signal holds receivers weakly
                crawler.signals.connect(closed, signal=signals.spider_closed)
            process.crawl(crawler, source=entry, url=(url_overrides or {}).get(key), crawl_store=door)
            started.append((key, crawler, None))
        if any(crawler for _, crawler, _ in started):
            process.start()
        return [_report(door, key, crawler, problem) for key, crawler, problem in started]
    finally:
        door.close()


def _closed_callback(on_closed: Callable[[str], None], key: str) -> Callable[..., None]:
    def closed(*_args: Any, **_kwargs: Any) -> None:
        on_closed(key)

    return closed


def _quiet_scrapy_loggers(level: str) -> None:
    """Without Scrapy's root handler, apply LOG_LEVEL to Scrapy's loggers, never chattier than the caller's
    root logger (`deskwatch crawl` without -v shows warnings only); libraries' chatter stays quiet."""
    wanted = logging.getLevelName(str(level or "INFO").upper())
    floor = logging.root.level
    if floor >= logging.WARNING:  # not verbose: a failed fetch is in the run's summary, not a traceback
        floor = logging.CRITICAL
    logging.getLogger("scrapy").setLevel(max(wanted if isinstance(wanted, int) else logging.INFO, floor))
    for name in ("twisted", "protego", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(max(logging.WARNING, floor))


def _report(door: CrawlStore, key: str, crawler: Crawler | None, problem: str | None) -> CrawlReport:
    spider = crawler.spider if crawler is not None else None
    health = getattr(spider, "run_health", None)
    run_id = getattr(spider, "run_id", None)
    if health is None:  # the spider never opened or never closed cleanly: record a failed run
        reason = problem or "the spider did not start (see the log)"
        run_id = run_id or door.start_run(key)
        health = {"pages": 0, "items": 0, "new_items": 0, "errors": 1, "status": "failed", "error_summary": reason}
        door.finish_run(run_id, health)
    return CrawlReport(source=key, run_id=run_id, **health)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.runner", description="Crawl registry sources.")
    parser.add_argument("keys", nargs="+", help="registry keys")
    parser.add_argument("--db", dest="db_url", default=os.environ.get("DESKWATCH_DB"), help="database URL")
    parser.add_argument("--url", help="another start URL (only with one key)")
    parser.add_argument("--sources", help="registry file (default config/sources.toml)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    parser.add_argument("--json", action="store_true", help="print one JSON line per run")
    parser.add_argument("--any-host", action="store_true", help="allow a --url beyond loopback and the registry host")
    args = parser.parse_args(argv)
    if args.url and len(args.keys) != 1:
        parser.error("--url needs exactly one source key")
    if args.url:
        _check_start_url(parser, args)
    overrides: dict[str, Any] = dict(item.split("=", 1) for item in args.set)
    if args.sources:
        overrides["DESKWATCH_SOURCES_FILE"] = args.sources
    try:
        reports = run_crawls(args.keys, db_url=args.db_url, settings=overrides,
                             url_overrides={args.keys[0]: args.url} if args.url else None)
    except (UnknownSourceError, ValueError) as exc:
        print(f"crawler.runner: {exc}", file=sys.stderr)
        return 2
    for report in reports:
        print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else _line(report))
    return 1 if any(r.status == "failed" for r in reports) else 0


def _check_start_url(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Loopback or the source's registry host only, unless --any-host (no fetching on a user's say-so)."""
    from crawler.start_url import StartUrlError, check_start_url

    entry = registry_by_key(args.sources).get(args.keys[0])
    try:
        check_start_url(args.url, entry.url if entry else "", any_host=args.any_host)
    except StartUrlError as exc:
        parser.error(str(exc))


def _line(r: CrawlReport) -> str:
    return f"{r.source:<20} {r.status:<8} pages={r.pages} items={r.items} new={r.new_items} errors={r.errors}"


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(main())
