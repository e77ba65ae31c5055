"""Soak: the real scheduler (`deskwatch run`, crawls in child processes, processing, alerts to a webhook on
loopback) against invented sites on the replay server for N minutes, while new articles appear and faults
are injected (5xx bursts, slow pages, resets, truncated bodies, a wrong charset). Then the faults stop, the
scheduler drains, and everything is counted. Prints one JSON line:

    python bench/soak.py --minutes 3 [--db URL]
    {"minutes", "documents", "duplicates", "lost", "alerts", "alert_duplicates", "errors_recorded",
     "rss_mb_start", "rss_mb_end"}

duplicates/lost compare the articles the replay published with the stored ones (by invented title);
alert_duplicates counts webhook deliveries of an alert id already delivered; rss_mb_* is the scheduler's
resident memory once warm (nlp loaded, first batch processed) and at the end."""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from crawler.invented_sites import Article, lost_and_doubled, stored_articles, write_registry, write_site
from crawler.replay import ReplayServer
from monitor.alerts.webhook_receiver import WebhookReceiver
from storage.alerts import list_alerts
from storage.repository import Store
from storage.sources import recent_runs

log = logging.getLogger("bench.soak")

SITES = {"soak-ko": "ko", "soak-en": "en", "soak-ko2": "ko"}
SCHEDULE = "20s"
TICK_S = 10.0
DRAIN_S = 150.0
RULES = """
[channels.hook]
type = "webhook"
url = "{url}"
sign = false

[[rules]]
name = "kr-held"
subject = "incident"
channels = ["hook"]

[rules.when]
incident_types = ["kidnapping", "detention"]
victim_nationality = "KR"
"""


class Publisher:
    """The invented sites: how many articles each has published, and the faults currently injected."""

    def __init__(self, root: Path, replay: ReplayServer, rng: random.Random) -> None:
        self.root, self.replay, self.rng = root, replay, rng
        self.counts = dict.fromkeys(SITES, 3)
        self.articles: dict[str, list[Article]] = {s: write_site(root, s, 3, lang) for s, lang in SITES.items()}

    def publish(self) -> None:
        site = self.rng.choice(list(SITES))
        self.counts[site] += self.rng.randint(1, 2)
        self.articles[site] = write_site(self.root, site, self.counts[site], SITES[site])

    def inject_fault(self) -> str:
        """One random fault on a random site's feed or newest article; returns its name."""
        site = self.rng.choice(list(SITES))
        article = self.articles[site][-1].path
        kind = self.rng.choice(["5xx", "slow", "reset", "truncate", "charset", "feed-5xx"])
        faults: dict[str, dict[str, Any]] = {
            "5xx": {"statuses": [503, 502, 500]}, "slow": {"delay": 2.5}, "reset": {"reset": True},
            "truncate": {"truncate": 200}, "charset": {"charset": "iso-8859-1"},
            "feed-5xx": {"statuses": [500] * 6},
        }
        options = faults[kind]
        self.replay.add_fault(f"/{site}/rss.xml" if kind == "feed-5xx" else article, **options)
        return kind

    def clear_faults(self) -> None:
        with self.replay._lock:
            self.replay.faults.clear()

    def published(self) -> list[Article]:
        return [a for arts in self.articles.values() for a in arts]


def start_scheduler(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "cli", "run"], env=env, stdout=out, stderr=out,
                                cwd=Path(__file__).resolve().parent.parent)


def rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def drained(store: Store, published: list[Article]) -> bool:
    """Every published article stored and extracted, and no alert waiting for a first attempt."""
    docs = stored_articles(store.url)
    lost, _ = lost_and_doubled(published, docs)
    waiting = [a for a in list_alerts(store, limit=10000) if a["status"] == "pending" and not a["attempts"]]
    return not lost and all(d["extracted"] for d in docs) and not waiting


def soak(minutes: float, db_url: str | None, seed: int, keep: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="deskwatch-soak-"))
    db_url = db_url or f"sqlite:///{work / 'soak.sqlite'}"
    store = Store(db_url)
    with ReplayServer(root=work / "sites") as replay, WebhookReceiver() as receiver:
        publisher = Publisher(work / "sites", replay, rng)
        env = _environment(work, db_url, replay, receiver)
        scheduler = start_scheduler(env, work / "scheduler.log")
        try:
            rss_start, faults = _run_phase(store, scheduler, publisher, minutes)
            publisher.clear_faults()
            _drain(store, scheduler, publisher)
            rss_end = rss_mb(scheduler.pid)
        finally:
            _stop(scheduler)
        result = _count(store, publisher.published(), receiver)
    store.close()
    log.info("faults injected: %s", dict(faults))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return {"minutes": minutes, **result, "rss_mb_start": rss_start, "rss_mb_end": rss_end}


def _environment(work: Path, db_url: str, replay: ReplayServer, receiver: WebhookReceiver) -> dict[str, str]:
    sources = write_registry(work / "sources.toml", replay.base_url, SITES)
    sources.write_text(sources.read_text(encoding="utf-8").replace('"30m"', f'"{SCHEDULE}"'), encoding="utf-8")
    rules = work / "rules.toml"
    rules.write_text(RULES.format(url=receiver.url), encoding="utf-8")
    return {**os.environ, "DESKWATCH_DB": db_url, "DESKWATCH_SOURCES_FILE": str(sources),
            "DESKWATCH_RULES_FILE": str(rules), "DESKWATCH_DATA_DIR": str(work), "DESKWATCH_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "DESKWATCH_CRAWL_TIMEOUT_S": "120"}


def _run_phase(store: Store, scheduler: subprocess.Popen[bytes], publisher: Publisher,
               minutes: float) -> tuple[float | None, Counter[str]]:
    """Publish and inject faults every TICK_S; the memory baseline is taken once the first batch is processed."""
    deadline = time.monotonic() + minutes * 60
    rss_start: float | None = None
    faults: Counter[str] = Counter()
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"the scheduler exited with {scheduler.returncode}")
        publisher.publish()
        faults[publisher.inject_fault()] += 1
        if rss_start is None and any(d["extracted"] for d in stored_articles(store.url)):
            rss_start = rss_mb(scheduler.pid)
        time.sleep(min(TICK_S, max(deadline - time.monotonic(), 0)))
    return rss_start, faults


def _drain(store: Store, scheduler: subprocess.Popen[bytes], publisher: Publisher) -> None:
    deadline = time.monotonic() + DRAIN_S
    while not drained(store, publisher.published()):
        if time.monotonic() > deadline or scheduler.poll() is not None:
            log.warning("not drained after %.0f s", DRAIN_S)
            return
        time.sleep(1.0)


def _stop(scheduler: subprocess.Popen[bytes]) -> None:
    if scheduler.poll() is None:
        scheduler.send_signal(signal.SIGTERM)
        try:
            scheduler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            scheduler.kill()
            scheduler.wait()


def _count(store: Store, published: list[Article], receiver: WebhookReceiver) -> dict[str, int]:
    docs = stored_articles(store.url)
    lost, doubled = lost_and_doubled(published, docs)
    deliveries = Counter(r["headers"].get("X-Deskwatch-Alert-Id") for r in receiver.requests)
    runs = recent_runs(store, limit=100000)
    return {
        "documents": len(docs), "duplicates": doubled, "lost": len(lost), "alerts": len(list_alerts(store, limit=100000)),
        "alert_duplicates": sum(n - 1 for n in deliveries.values() if n > 1),
        "errors_recorded": sum(r["errors"] or 0 for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (sites, database, scheduler log)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    print(json.dumps(soak(args.minutes, args.db, args.seed, args.keep)))


if __name__ == "__main__":
    main()
