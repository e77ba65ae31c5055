"""The scheduler: the plan under frozen time, jobs persisted in the database across restarts, a hung
crawl killed and recorded, and `deskwatch run` stopping cleanly on SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

import scheduler
from crawler.replay import ReplayServer
from monitor.config import Settings
from storage.repository import Store
from storage.sources import list_sources, recent_runs

SOURCE = """
[[sources]]
key = "{key}"
name = "Test {key}"
kind = "news"
country = "KR"
lang = "en"
fetch = "rss"
url = "{url}"
schedule = "{schedule}"
enabled = {enabled}
"""

FROZEN = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 09:30 in Seoul


def _sources(tmp_path: Path, *entries: tuple[str, str, str, bool]) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text("".join(SOURCE.format(key=k, url=u, schedule=s, enabled=str(e).lower()) for k, u, s, e in entries),
                    encoding="utf-8")
    return path


def _settings(tmp_path: Path, sources: Path, **kw: object) -> Settings:
    return Settings(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", sources_file=sources, data_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_plan_under_frozen_time(tmp_path: Path) -> None:
    sources = _sources(tmp_path, ("news-a", "https://a.example.org/rss", "30m", True),
                       ("news-b", "https://b.example.org/rss", "0 */2 * * *", True),
                       ("news-off", "https://c.example.org/rss", "30m", False))
    with time_machine.travel(FROZEN, tick=False):
        jobs = {j["id"]: j for j in scheduler.planned_jobs_report(_settings(tmp_path, sources))}
    assert "crawl:news-off" not in jobs and not any(j["stored"] for j in jobs.values())
    assert jobs["crawl:news-a"]["next_run_time"] == "2026-11-20T10:00:00+09:00"  # now + 30 min, local
    assert jobs["crawl:news-b"]["next_run_time"] == "2026-11-20T10:00:00+09:00"  # next even hour, Seoul
    assert jobs["digest"]["next_run_time"] == "2026-11-21T08:00:00+09:00"  # 08:00 tomorrow, Seoul
    custom = _settings(tmp_path, sources, digest_time="18:30", timezone="Asia/Phnom_Penh")
    with time_machine.travel(FROZEN, tick=False):
        digest = next(j for j in scheduler.planned_jobs_report(custom) if j["id"] == "digest")
    assert digest["next_run_time"] == "2026-11-20T18:30:00+07:00"


def test_jobs_persist_in_the_database_across_restarts(tmp_path: Path) -> None:
    sources = _sources(tmp_path, ("news-a", "https://a.example.org/rss", "30m", True),
                       ("news-b", "https://b.example.org/rss", "6h", True))
    settings = _settings(tmp_path, sources)
    store = Store(settings.db_url)
    with time_machine.travel(FROZEN, tick=False):
        first = scheduler.build_scheduler(settings, store)
        first.start(paused=True)
        assert len(scheduler.sync_jobs(first, scheduler.plan_jobs(settings))["added"]) == 7
        first.shutdown(wait=False)
    stored = {j["id"]: j for j in scheduler.planned_jobs_report(settings)}
    assert stored["crawl:news-a"]["stored"] and stored["crawl:news-a"]["next_run_time"] == "2026-11-20T10:00:00+09:00"
    sources.write_text(SOURCE.format(key="news-a", url="https://a.example.org/rss", schedule="1h", enabled="true"),
                       encoding="utf-8")
    with time_machine.travel(FROZEN.replace(minute=40), tick=False):
        second = scheduler.build_scheduler(settings, store)
        second.start(paused=True)
        changes = scheduler.sync_jobs(second, scheduler.plan_jobs(settings))
        second.shutdown(wait=False)
    assert changes["replaced"] == ["crawl:news-a"] and changes["removed"] == ["crawl:news-b"]
    assert "digest" in changes["kept"]  # an unchanged job keeps its stored next run time
    store.close()


@pytest.mark.slow
def test_a_hung_crawl_is_killed_and_recorded(tmp_path: Path) -> None:
    with ReplayServer() as replay:
        replay.add_fault("/yonhap-en/RSS/news.xml", delay=60)
        sources = _sources(tmp_path, ("yonhap-en", replay.url_for("yonhap-en"), "30m", True))
        settings = _settings(tmp_path, sources, crawl_timeout_s=8)
        store = Store(settings.db_url)
        scheduler.configure(settings, store)
        started = time.monotonic()
        result = scheduler.crawl_source("yonhap-en")
    assert time.monotonic() - started < 30
    assert result["status"] == "failed" and "timeout" in result["error"]
    (run,) = recent_runs(store, "yonhap-en")
    assert run["status"] == "failed" and "killed after the 8s crawl timeout" in run["error_summary"]
    (source,) = list_sources(store)
    assert source["consecutive_failures"] == 1
    store.close()


@pytest.mark.slow
def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    sources = _sources(tmp_path, ("news-a", "https://a.example.org/rss", "1d", True))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {**os.environ, "DESKWATCH_SOURCES_FILE": str(sources), "DESKWATCH_DATA_DIR": str(tmp_path),
           "DESKWATCH_DB": db}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "-v", "run"], env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(j["stored"] for j in scheduler.planned_jobs_report(Settings(db_url=db, sources_file=sources))):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the scheduler never stored its jobs")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert "stopping the scheduler" in err


def test_new_crawl_jobs_start_soon_and_staggered(tmp_path: Path) -> None:
    sources = _sources(tmp_path, ("news-a", "https://a.example.org/rss", "6h", True),
                       ("news-b", "https://b.example.org/rss", "6h", True))
    settings = _settings(tmp_path, sources)
    store = Store(settings.db_url)
    with time_machine.travel(FROZEN, tick=False):
        sched = scheduler.build_scheduler(settings, store)
        sched.start(paused=True)
        scheduler.sync_jobs(sched, scheduler.plan_jobs(settings), first_crawl_stagger_s=5)
        runs = {job.id: job.next_run_time.astimezone(UTC) for job in sched.get_jobs()}
        sched.shutdown(wait=False)
    assert runs["crawl:news-a"] == FROZEN and (runs["crawl:news-b"] - FROZEN).total_seconds() == 5
    assert (runs["digest"] - FROZEN).total_seconds() > 3600  # fixed jobs keep their own schedule
    store.close()
