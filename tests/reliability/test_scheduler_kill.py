"""kill -9 of the scheduler (`deskwatch run`) in the middle of crawling, processing or alerting, then a
restart: every replayed article is stored once and placed, every alert decision is delivered to a webhook
receiver on loopback, counted by alert id; only an alert caught in flight by the kill may arrive twice,
and the receiver can tell (X-Deskwatch-Alert-Id)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from crawler.invented_sites import lost_and_doubled, stored_articles, write_registry, write_site
from crawler.replay import ReplayServer
from monitor.alerts.engine import decide, deliver_pending, evaluate
from monitor.alerts.rules import load_rules
from monitor.alerts.webhook_receiver import WebhookReceiver
from monitor.config import Settings
from storage.alerts import list_alerts
from storage.repository import Store
from tests.reliability.sites import PROJECT_ROOT

pytestmark = pytest.mark.slow
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


def _start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "cli", "run"], cwd=PROJECT_ROOT, env=env,
                                stdout=out, stderr=out, start_new_session=True)


def _orphans(marker: str) -> list[psutil.Process]:
    """Crawler children a killed scheduler left running (they run in their own sessions)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def _done(store: Store, expected: int) -> bool:
    docs = stored_articles(store.url)
    return len(docs) >= expected and all(d["extracted"] for d in docs) and not any(
        a["status"] == "pending" and a["attempts"] == 0 and not a["next_attempt_at"] for a in list_alerts(store))


def test_scheduler_killed_mid_work_then_restarted(tmp_path: Path, sqlite_url: str) -> None:
    rng = random.Random()
    kill_after = round(rng.uniform(4.0, 14.0), 2)
    root = tmp_path / "sites"
    arts = write_site(root, "sched-ko", 5) + write_site(root, "sched-en", 5, "en")
    store = Store(sqlite_url)
    with ReplayServer(root=root) as replay, WebhookReceiver() as receiver:
        sources = write_registry(tmp_path / "sources.toml", replay.base_url, {"sched-ko": "ko", "sched-en": "en"})
        sources.write_text(sources.read_text(encoding="utf-8").replace('"30m"', '"10s"'), encoding="utf-8")
        rules_path = tmp_path / "rules.toml"
        rules_path.write_text(RULES.format(url=receiver.url), encoding="utf-8")
        env = {**os.environ, "DESKWATCH_DB": sqlite_url, "DESKWATCH_SOURCES_FILE": str(sources),
               "DESKWATCH_RULES_FILE": str(rules_path), "DESKWATCH_DATA_DIR": str(tmp_path),
               "DESKWATCH_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
               "DESKWATCH_CRAWL_TIMEOUT_S": "60"}
        first = _start_scheduler(env, tmp_path / "scheduler.log")
        time.sleep(kill_after)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        in_flight = {a["id"] for a in list_alerts(store) if a["status"] == "pending" and a["next_attempt_at"]}
        second = _start_scheduler(env, tmp_path / "scheduler.log")
        try:
            deadline = time.monotonic() + 120
            while not _done(store, len(arts)):
                assert second.poll() is None, (tmp_path / "scheduler.log").read_text()[-3000:]
                assert time.monotonic() < deadline, f"not done after the restart (killed at {kill_after}s)"
                time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
            for orphan in _orphans(str(sources)):
                orphan.kill()
        # What the scheduler's own timers would do later: the 10-minute sweep re-decides what a kill
        # skipped, and a lease held by the dead process runs out after 5 minutes.
        rules = load_rules(rules_path, ["127.0.0.1"])
        evaluate(store, rules)
        settings = Settings(db_url=sqlite_url, data_dir=tmp_path, webhook_allowed_hosts=["127.0.0.1"])
        deliver_pending(store, settings, rules=rules, now=datetime.now(UTC) + timedelta(minutes=6))
    lost, doubled = lost_and_doubled(arts, stored_articles(sqlite_url))
    assert (lost, doubled) == (set(), 0), f"killed at {kill_after}s"
    alerts = list_alerts(store, limit=1000)
    assert alerts and {a["status"] for a in alerts} == {"sent"}, f"killed at {kill_after}s"
    decided = {("kr-held", d.subject_id, d.version) for d in decide(store, rules)}
    enqueued = {(a["rule"], a["subject_id"], a["subject_version"]) for a in alerts}
    assert decided <= enqueued, f"decisions never enqueued (killed at {kill_after}s): {decided - enqueued}"
    deliveries = Counter(int(r["headers"]["X-Deskwatch-Alert-Id"]) for r in receiver.requests)
    assert set(deliveries) == {a["id"] for a in alerts}, f"killed at {kill_after}s"
    twice = {alert_id for alert_id, n in deliveries.items() if n > 1}
    assert twice <= in_flight, f"alerts sent twice that were not in flight at the kill: {twice - in_flight}"
    store.close()
