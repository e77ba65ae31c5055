"""Two crawler processes split one crawl through Redis (scrapy-redis queue + dupefilter): every page is
fetched once, both processes do work, every article is stored once, and both processes finish."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from crawler.replay import ReplayServer
from storage.repository import Store, table_counts
from tests.conftest import REDIS_URL, redis_available
from tests.crawler.conftest import FAST_SETTINGS, PROJECT_ROOT

pytestmark = [pytest.mark.redis, pytest.mark.slow]




def test_two_processes_share_one_crawl_without_fetching_a_page_twice(replay: ReplayServer, sqlite_url: str) -> None:
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    crawl_id = f"test-{uuid.uuid4().hex[:8]}"
    for page in (replay.root / "yonhap-en" / "view").glob("*.html"):  # slow pages, so the work can be split
        replay.add_fault(f"/yonhap-en/view/{page.stem}?section=news&input=rss", delay=1.5)
    settings = {**FAST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DESKWATCH_REDIS_IDLE_CLOSE_S": "1"}
    cmd = [sys.executable, "-m", "crawler.runner", "yonhap-en", "--db", sqlite_url, "--url", replay.url_for("yonhap-en"),
           "--json", *[arg for k, v in settings.items() for arg in ("--set", f"{k}={v}")]]
    env = {**os.environ, "DESKWATCH_REDIS_URL": REDIS_URL, "DESKWATCH_CRAWL_ID": crawl_id}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    article_hits = {path: n for path, n in replay.hits.items() if path.startswith("/yonhap-en/view/")}
    assert len(article_hits) == 6 and set(article_hits.values()) == {1}
    assert replay.hits["/yonhap-en/RSS/news.xml"] == 1
    assert sum(r["items"] for r in reports) == 6 and all(r["items"] > 0 for r in reports), reports
    store = Store(sqlite_url)
    try:
        assert table_counts(store)["documents"] == 6
    finally:
        store.close()
    client = redis.Redis.from_url(REDIS_URL)
    keys = client.keys(f"deskwatch:{crawl_id}:*")
    assert keys and all(0 < client.ttl(k) <= 6 * 3600 for k in keys)  # left to expire, not to pile up
    client.delete(*keys)
