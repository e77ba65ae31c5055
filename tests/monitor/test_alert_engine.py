"""Deciding and the outbox, on SQLite and PostgreSQL: once per (rule, story) however many reports,
again as an update when facts change, retries with backoff, throttling delays but never drops."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.channels import DeliveryError
from monitor.alerts.engine import DeliveryPolicy, decide, deliver_pending, evaluate
from monitor.alerts.rules import parse_rules
from monitor.config import Settings
from storage.advisories import upsert_advisory
from storage.alerts import list_alerts, requeue_failed_alerts
from storage.repository import Store
from storage.sources import finish_run, start_run, sync_sources
from tests.monitor.act_helpers import T0, add_fact, add_story, extraction

RULES = """
[[rules]]
name = "kr"
subject = "incident"
channels = ["console", "jsonl"]
[rules.when]
incident_types = ["kidnapping", "detention"]
victim_nationality = "KR"

[[rules]]
name = "adv"
subject = "advisory_change"
channels = ["jsonl"]
[rules.when]
countries = ["KH"]

[[rules]]
name = "down"
subject = "source_failure"
channels = ["jsonl"]
[rules.when]
min_failures = 2
"""
NOW = T0 + timedelta(hours=1)


@dataclass
class Change:
    story_id: int


class Recorder:
    """A channel that records what it was given, failing the first `fail` sends."""

    def __init__(self, name: str, fail: int = 0) -> None:
        self.name, self.fail, self.sent = name, fail, []  # type: ignore[var-annotated]

    def send(self, alert: dict[str, Any]) -> None:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("receiver down")
        self.sent.append(alert)


def test_story_alerts_once_however_many_reports(store: Store, tmp_path: Path) -> None:
    rules = parse_rules(RULES)
    sid = add_story(store, title="Korean held for ransom", data=extraction(["kidnapping"]), docs=10)
    created = evaluate(store, rules, now=NOW)
    assert len(created) == 2  # one per channel
    assert evaluate(store, rules, now=NOW) == []
    rows = list_alerts(store)
    assert {r["channel"] for r in rows} == {"console", "jsonl"}
    assert all(r["subject_id"] == str(sid) and r["payload"]["kind"] == "new" for r in rows)
    assert rows[0]["payload"]["doc_count"] == 10 and len(rows[0]["payload"]["links"]) == 5


def test_new_fact_alerts_again_as_update(store: Store) -> None:
    rules = parse_rules(RULES)
    sid = add_story(store, title="Korean detained", data=extraction(["detention"]))
    evaluate(store, rules, now=NOW)
    add_fact(store, sid, ransom_usd=20000.0, when=NOW)
    created = evaluate(store, rules, changes=[Change(sid)], now=NOW + timedelta(minutes=5))
    assert len(created) == 2
    update = [r for r in list_alerts(store) if r["id"] in created]
    assert {r["payload"]["kind"] for r in update} == {"update"}
    assert update[0]["payload"]["max_ransom_usd"] == 20000.0
    assert "ransoms_usd: 20000.0" in update[0]["payload"]["new_facts"]


def test_non_matching_stories_do_not_alert(store: Store) -> None:
    rules = parse_rules(RULES)
    add_story(store, title="Thai national kidnapped", data=extraction(["kidnapping"], nationality="TH"))
    add_story(store, title="Koreans rescued", data=extraction(["rescue"]))
    add_story(store, title="Old Korean kidnapping", data=extraction(["kidnapping"]), when=T0 - timedelta(days=30))
    assert decide(store, rules, now=NOW) == []


def test_changes_limit_the_stories_looked_at(store: Store) -> None:
    rules = parse_rules(RULES)
    first = add_story(store, title="A", data=extraction(["kidnapping"]))
    second = add_story(store, title="B", data=extraction(["kidnapping"]))
    decisions = decide(store, rules, changes=[Change(second)], now=NOW)
    assert [d.subject_id for d in decisions] == [str(second)]
    assert str(first) not in {d.subject_id for d in decisions}


def test_delivery_writes_jsonl_and_marks_sent(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = parse_rules(RULES)
    add_story(store, title="Korean <b>held</b>", data=extraction(["kidnapping"], ransom_usd=20000.0))
    evaluate(store, rules, now=NOW)
    report = deliver_pending(store, Settings(data_dir=tmp_path), rules=rules, now=NOW)
    assert (report.attempted, report.sent, report.retrying) == (2, 2, 0)
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    assert record["rule"] == "kr" and record["kind"] == "new" and record["title"] == "Korean <b>held</b>"
    assert "New incident: Korean <b>held</b>" in capsys.readouterr().out
    assert {r["status"] for r in list_alerts(store)} == {"sent"}
    assert deliver_pending(store, Settings(data_dir=tmp_path), rules=rules, now=NOW).attempted == 0


def test_failures_retry_with_backoff_then_fail_and_requeue(store: Store, tmp_path: Path) -> None:
    rules = parse_rules(RULES.replace('channels = ["console", "jsonl"]', 'channels = ["console"]'))
    add_story(store, title="K", data=extraction(["kidnapping"]))
    (alert_id,) = evaluate(store, rules, now=NOW)
    flaky = Recorder("console", fail=3)
    policy = DeliveryPolicy(base_delay_s=10, max_delay_s=3600, max_attempts=3)
    settings = Settings(data_dir=tmp_path)
    clock = NOW
    for delay in (10, 20):  # attempts 1 and 2 fail; each waits twice as long as the last
        report = deliver_pending(store, settings, rules=rules, policy=policy, now=clock, channels={"console": flaky})
        assert report.retrying == 1
        (row,) = list_alerts(store)
        assert row["status"] == "pending" and row["last_error"] == "receiver down"
        assert row["next_attempt_at"] == (clock + timedelta(seconds=delay)).isoformat()
        assert deliver_pending(store, settings, rules=rules, policy=policy, now=clock + timedelta(seconds=delay - 1),
                               channels={"console": flaky}).attempted == 0
        clock += timedelta(seconds=delay)
    report = deliver_pending(store, settings, rules=rules, policy=policy, now=clock, channels={"console": flaky})
    assert report.failed == 1
    (row,) = list_alerts(store)
    assert (row["id"], row["status"], row["attempts"]) == (alert_id, "failed", 3)  # kept, not dropped
    assert requeue_failed_alerts(store) == 1
    report = deliver_pending(store, settings, rules=rules, policy=policy, now=clock, channels={"console": flaky})
    assert report.sent == 1 and flaky.sent[0]["id"] == alert_id


def test_throttle_delays_excess_alerts(store: Store, tmp_path: Path) -> None:
    rules = parse_rules(RULES.replace('channels = ["console", "jsonl"]',
                                      'channels = ["console"]\nthrottle = { max = 2, per = "1h" }'))
    for i in range(3):
        add_story(store, title=f"K{i}", data=extraction(["kidnapping"]))
    assert len(evaluate(store, rules, now=NOW)) == 3
    recorder = Recorder("console")
    settings = Settings(data_dir=tmp_path)
    assert deliver_pending(store, settings, rules=rules, now=NOW, channels={"console": recorder}).sent == 2
    later = NOW + timedelta(hours=1)
    assert deliver_pending(store, settings, rules=rules, now=later, channels={"console": recorder}).sent == 1
    assert len({a["subject_id"] for a in recorder.sent}) == 3


def test_advisory_change_and_source_failure(store: Store) -> None:
    rules = parse_rules(RULES)
    base = {"issuer": "us_state", "country": "KH", "region": "", "label": "Reconsider Travel", "url": "https://x.org"}
    upsert_advisory(store, {**base, "level": 2, "level_native": "Level 2"})
    upsert_advisory(store, {**base, "level": 3, "level_native": "Level 3"})
    sync_sources(store, [{"key": "khmer-times", "name": "Khmer Times", "kind": "news", "country": "KH", "lang": "en",
                         "fetch": "rss", "url": "https://x.org/feed", "schedule": "30m", "enabled": True}])
    for _ in range(2):
        run = start_run(store, "khmer-times")
        finish_run(store, run, pages=0, items=0, new_items=0, errors=1, status="failed", error_summary="HTTP 503")
    created = evaluate(store, rules)
    rows = {r["rule"]: r for r in list_alerts(store) if r["id"] in created}
    assert set(rows) == {"adv", "down"}
    assert "to level 3" in rows["adv"]["payload"]["title"]
    assert rows["down"]["payload"]["consecutive_failures"] == 2
    run = start_run(store, "khmer-times")
    finish_run(store, run, pages=0, items=0, new_items=0, errors=1, status="failed", error_summary="HTTP 503")
    assert evaluate(store, rules) == []  # the same failure streak alerts once
