"""kill -9 of the crawler (twice) and of the processor at random points under load, then restart: every replayed
article is stored exactly once, every document is extracted once and placed in one story, counted."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.invented_sites import (
    articles_for,
    lost_and_doubled,
    stored_articles,
    whole_body,
    write_registry,
    write_site,
)
from crawler.replay import ReplayServer
from storage.documents import upsert_document
from storage.models import Document, DocumentFacet, Extraction, Story, StoryLink
from storage.repository import Store, table_counts
from tests.reliability.sites import PROJECT_ROOT, crawl_command, run_crawl

pytestmark = pytest.mark.slow
SLOW_CRAWL = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill_when(proc: subprocess.Popen[bytes], reached: Callable[[], bool], timeout: float = 60) -> bool:
    """SIGKILL `proc` as soon as `reached()`; False when the process ended first (nothing left to kill)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if reached():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            return True
        assert time.monotonic() < deadline, "the process neither reached the kill point nor ended"
        time.sleep(0.02)
    return False


def document_count(store: Store) -> int:
    return table_counts(store)["documents"]


def test_crawler_killed_twice_then_restarted_loses_and_doubles_nothing(db_url: str, tmp_path: Path) -> None:
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    root = tmp_path / "sites"
    arts = write_site(root, "bulk", 24) + write_site(root, "bulk-en", 8, "en")
    store = Store(db_url)
    with ReplayServer(root=root) as replay:
        for art in arts:
            replay.add_fault(art.path, delay=0.1)
        registry = write_registry(tmp_path / "sources.toml", replay.base_url, {"bulk": "ko", "bulk-en": "en"})
        kills = []
        for _round in range(2):
            target = document_count(store) + rng.randint(2, 9)
            proc = subprocess.Popen(crawl_command(["bulk", "bulk-en"], db_url, registry, SLOW_CRAWL), cwd=PROJECT_ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            kills.append(kill_when(proc, lambda t=target: document_count(store) >= t))
        assert any(kills), f"seed {seed}: no crawl was killed mid-run"
        reports = run_crawl(["bulk", "bulk-en"], db_url, registry)
    assert {r["status"] for r in reports.values()} == {"ok"}, reports
    stored = stored_articles(db_url)
    lost, doubled = lost_and_doubled(arts, stored)
    assert (lost, doubled, len(stored)) == (set(), 0, len(arts)), f"seed {seed}"
    by_title = {d["title"]: d["body"] for d in stored}
    assert all(whole_body(a, by_title[a.title]) for a in arts), f"seed {seed}"
    store.close()


def _load_documents(store: Store, count_per_site: int) -> int:
    total = 0
    for site, lang in (("kill-ko", "ko"), ("kill-en", "en"), ("kill-ko2", "ko")):
        for art in articles_for(site, count_per_site, lang):
            url = f"https://invented.example{art.path}"
            upsert_document(store, {"item_id": art.item_id, "source_key": site, "url": url, "canonical_url": url,
                                   "title": art.title, "body": art.body, "lang": lang, "country": "KR",
                                   "published_at": art.published})
            total += 1
    return total


def _extracted(store: Store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Extraction)) or 0


def test_processor_killed_then_restarted_extracts_and_places_every_document_once(db_url: str) -> None:
    rng = random.Random()
    store = Store(db_url)
    total = _load_documents(store, 8)
    cmd = [sys.executable, "-m", "cli", "--db", db_url, "process"]
    target = rng.randint(1, total - 1)
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert kill_when(proc, lambda: _extracted(store) >= target, timeout=120), "the processor ended before the kill"
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    with store.read() as s:
        docs = s.scalars(select(Document)).all()
        assert len(docs) == total and all(d.extraction_version for d in docs)
        relevant = {d.id for d in docs if d.extraction and d.extraction.relevant}
        placed = {d.id for d in docs if d.story_id is not None}
        assert relevant and placed == relevant, f"relevant documents with no story: {sorted(relevant - placed)}"
        links = s.scalars(select(StoryLink.document_id)).all()
        assert sorted(links) == sorted(placed)  # one merge link per placed document, none doubled
        assert sum(s.scalars(select(Story.doc_count)).all()) == len(placed)
        facets = s.execute(select(DocumentFacet.document_id, DocumentFacet.facet, DocumentFacet.value)).all()
        assert len(facets) == len(set(facets))
    store.close()
