"""The act step's jobs — crawl, process, alert, digest — as plain functions over a store and the settings.

The scheduler, `deskwatch demo` and the command-line commands all call these, so each step is written
once. Scrapy and spaCy load inside the job that needs them, so `deskwatch jobs` and `run` start light.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from monitor.config import Settings
from storage.repository import Store

if TYPE_CHECKING:
    from crawler.runner import CrawlReport
    from monitor.alerts.engine import DeliveryReport
    from monitor.alerts.rules import RuleSet
    from monitor.digest.build import DigestResult
    from monitor.processing import ProcessReport

log = logging.getLogger(__name__)


def crawl_overrides(settings: Settings) -> dict[str, Any]:
    """The Scrapy settings a crawl takes from deskwatch's settings."""
    overrides: dict[str, Any] = {
        "DESKWATCH_SOURCES_FILE": str(settings.sources_file),
        "DESKWATCH_CONTACT_URL": settings.user_agent_contact,
    }
    if settings.redis_url:
        overrides["DESKWATCH_REDIS_URL"] = settings.redis_url
    return overrides


def crawl(
    store: Store, settings: Settings, keys: list[str], *, url_overrides: dict[str, str] | None = None,
    on_closed: Callable[[str], None] | None = None,
) -> list[CrawlReport]:
    """Crawl `keys` in this process (one Twisted reactor per process: call once) and report each run;
    `on_closed(key)` as each source finishes."""
    from crawler.runner import run_crawls

    return run_crawls(keys, db_url=store.url, url_overrides=url_overrides, settings=crawl_overrides(settings),
                      on_closed=on_closed)


def process(
    store: Store, *, reprocess: bool = False, batch: int = 200, progress: Callable[[int], None] | None = None,
    everything: bool = False,
) -> ProcessReport:
    """Extract pending documents (nlp; with `everything`, all documents again) and merge them into stories."""
    from monitor.processing import process_pending

    return process_pending(store, reprocess=reprocess, batch=batch, progress=progress, everything=everything)


@dataclass
class AlertOutcome:
    """What one alert pass did: the new alert rows, then the delivery of everything due."""

    created: list[int]
    delivery: DeliveryReport


def alert(
    store: Store, settings: Settings, rules: RuleSet, changes: Sequence[Any] | None = None
) -> AlertOutcome:
    """Evaluate `rules` (over `changes`, or over every recent change when None), then deliver what is due."""
    created = enqueue(store, rules, changes)
    return AlertOutcome(created, deliver(store, settings, rules))


def enqueue(store: Store, rules: RuleSet, changes: Sequence[Any] | None = None) -> list[int]:
    """Decide which rules fire (over `changes`, or every recent change when None) and put the alerts in
    the alerts table (pending) without sending; returns the new alert ids."""
    from monitor.alerts.engine import evaluate

    return evaluate(store, rules, changes)


def deliver(store: Store, settings: Settings, rules: RuleSet | None = None) -> DeliveryReport:
    """Send due alerts: new ones, and retries whose backoff has run out."""
    from monitor.alerts.engine import deliver_pending

    return deliver_pending(store, settings, rules=rules)


def digest(store: Store, settings: Settings, day: date | None = None) -> DigestResult:
    """Build and archive the digest of `day` (default: the open one, whose window contains now)."""
    from monitor.digest.build import build_digest

    return build_digest(store, day, settings)


def send_digest(store: Store, settings: Settings, result: DigestResult) -> None:
    """Email a built digest (DeliveryError when the email channel fails)."""
    from monitor.digest.build import send_digest as send

    send(store, result, settings)
