"""`deskwatch demo`: the whole flow once, offline — replay the bundled sample sites on 127.0.0.1,
crawl them with the live registry's spiders, extract, store, alert, and write the day's digest."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crawler.crawl_store import CrawlStore
from crawler.replay import ReplayServer
from crawler.sources import load_registry
from monitor import jobs
from monitor.alerts.rules import load_rules
from monitor.config import Settings
from storage.repository import Store, table_counts

log = logging.getLogger(__name__)


@dataclass
class DemoSummary:
    crawls: list[dict[str, Any]] = field(default_factory=list)
    processed: dict[str, Any] = field(default_factory=dict)
    alerts_new: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    digest_html: str = ""
    digest_md: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts, "alerts_new": self.alerts_new, "crawls": self.crawls, "processed": self.processed,
            "digest": {"html": self.digest_html, "markdown": self.digest_md},
        }


def run_demo(store: Store, settings: Settings, echo: Callable[[str], None] = print) -> DemoSummary:
    summary = DemoSummary()
    registry = {entry.key: entry for entry in load_registry(settings.sources_file)}
    CrawlStore(store).record_sources(registry.values())
    with ReplayServer() as replay:
        keys = sorted(p.name for p in replay.root.iterdir() if p.is_dir() and p.name in registry)
        echo(f"replaying {len(keys)} sample sites on {replay.base_url}: {', '.join(keys)}")
        reports = jobs.crawl(store, settings, keys, url_overrides={k: replay.url_for(k) for k in keys})
    summary.crawls = [dataclasses.asdict(r) for r in reports]
    for r in reports:
        echo(f"  crawl {r.source:<20} {r.status:<8} pages={r.pages} items={r.items} new={r.new_items} errors={r.errors}")
    processed = jobs.process(store)
    summary.processed = processed.to_dict()
    echo(f"processed {processed.documents} documents; {processed.stories_created} new stories")
    summary.alerts_new = len(jobs.alert(store, settings, load_rules(settings.rules_file, settings.webhook_allowed_hosts), processed.changes).created)
    digest = jobs.digest(store, settings)
    summary.digest_html, summary.digest_md = str(digest.html_path), str(digest.md_path)
    summary.counts = table_counts(store)
    return summary
