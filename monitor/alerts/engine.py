"""Deciding and delivering: evaluate() turns rule matches into pending alert rows (one transaction),
deliver_pending() sends due rows with retries and exponential backoff. A crash between the two loses
nothing: pending rows are delivered by the next run."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.alerts.channels import Channel, ChannelSpec, DeliveryError, build_channel, builtin_channel_specs
from monitor.alerts.match import advisory_matches, incident_matches, source_failure_matches, view_of_story
from monitor.alerts.rules import Rule, RuleSet, active_rules, load_rules
from monitor.config import Settings
from storage.alerts import (
    AlertRow,
    advisory_level_changes,
    claim_due_alerts,
    enqueue_alerts,
    failing_sources,
    incident_story_ids_since,
    latest_alert_payloads,
    mark_alert_attempt_failed,
    mark_alert_sent,
    story_subjects,
)
from storage.repository import Store, as_utc, utcnow

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK = timedelta(days=3)


@dataclass(frozen=True)
class Decision:
    """A rule matched a subject (at a version): what would be enqueued, once per channel."""

    rule: Rule
    subject_type: str  # story | advisory | source
    subject_id: str
    version: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class DeliveryPolicy:
    base_delay_s: float = 30.0
    max_delay_s: float = 3600.0
    max_attempts: int = 12
    lease_s: float = 300.0
    batch: int = 100

    def retry_delay(self, attempts_before: int) -> float:
        return min(self.base_delay_s * (2**attempts_before), self.max_delay_s)


@dataclass
class DeliveryReport:
    attempted: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"attempted": self.attempted, "sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "errors": self.errors[:20]}


def decide(
    store: Store, rules: RuleSet | Sequence[Rule], changes: Sequence[Any] | None = None, *,
    now: datetime | None = None, lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[Decision]:
    """Every (rule, subject) match, read-only. `changes` (StoryChange list from processing) limits the
    stories looked at; without it, incident stories changed within `lookback` are."""
    now = as_utc(now) or utcnow()
    since = now - lookback
    rules = active_rules(rules if isinstance(rules, RuleSet) else list(rules))
    decisions: list[Decision] = []
    incident_rules = [r for r in rules if r.subject == "incident"]
    if incident_rules:
        ids = sorted({c.story_id for c in changes}) if changes is not None else incident_story_ids_since(store, since)
        decisions += _story_decisions(store, incident_rules, ids)
    advisory_rules = [r for r in rules if r.subject == "advisory_change"]
    if advisory_rules:
        for change in advisory_level_changes(store, since):
            decisions += [_advisory_decision(r, change) for r in advisory_rules if advisory_matches(r, change)]
    for rule in (r for r in rules if r.subject == "source_failure"):
        for source in failing_sources(store, rule.when.get("min_failures", 3)):
            if source_failure_matches(rule, source):
                decisions.append(_source_decision(rule, source))
    return decisions


def evaluate(
    store: Store, rules: RuleSet | Sequence[Rule], changes: Sequence[Any] | None = None, *,
    now: datetime | None = None, lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[int]:
    """Decide and enqueue pending alert rows; returns the ids of new alert rows (one per rule, subject
    version and channel: a story alerts once however many outlets report it)."""
    decisions = decide(store, rules, changes, now=now, lookback=lookback)
    rows = [
        AlertRow(
            rule=d.rule.name, subject_type=d.subject_type, subject_id=d.subject_id, subject_version=d.version,
            channel=channel, payload=d.payload, on=d.rule.on if d.subject_type == "story" else frozenset({"new"}),
            throttle=(d.rule.throttle.max_alerts, d.rule.throttle.per_s) if d.rule.throttle else None,
        )
        for d in decisions
        for channel in d.rule.channels
    ]
    created = enqueue_alerts(store, rows, now=now)
    if created:
        log.info("enqueued %d alerts from %d decisions", len(created), len(decisions))
    return created


def _story_decisions(store: Store, rules: list[Rule], story_ids: Sequence[int]) -> list[Decision]:
    out = []
    stories = [s for s in story_subjects(store, story_ids) if s["is_incident"]]
    for rule in rules:
        matched = [s for s in stories if incident_matches(rule, view_of_story(s))]
        told = latest_alert_payloads(store, rule.name, "story", [str(s["id"]) for s in matched])
        for story in matched:
            payload = story_payload(story)
            previous = told.get(str(story["id"]))
            if previous is not None:
                payload["new_facts"] = new_facts(previous.get("facts") or {}, payload["facts"])
            out.append(Decision(rule, "story", str(story["id"]), story["facts_key"], payload))
    return out


def new_facts(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a story's facts gained since the desk was last told, one "key: values" line per fact."""
    lines = []
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, list):
            added = [v for v in value if v not in (old or [])]
            if added:
                lines.append(f"{key}: {', '.join(map(str, added))}")
        elif value != old and value not in (None, "", 0):
            lines.append(f"{key}: {value}")
    return lines


def story_payload(story: dict[str, Any]) -> dict[str, Any]:
    """A snapshot of the story at decision time, so delivery needs nothing else from the store."""
    docs = sorted(story["documents"], key=lambda d: d.get("published_at") or "", reverse=True)
    places, ages = [], set()
    for doc in story["documents"]:
        data = doc.get("extraction") or {}
        places += [p.get("name") or p.get("text") for p in data.get("places", []) if p.get("name") or p.get("text")]
        ages |= {a["value"] for a in data.get("victim_ages", []) if a.get("value") is not None}
    return {
        "title": story["title"] or (docs[0]["title"] if docs else f"story {story['id']}"),
        "story_id": story["id"], "incident_types": story["incident_types"], "countries": story["countries"],
        "places": list(dict.fromkeys(places))[:10], "ages": sorted(ages), "victim_nationality": story["victim_nationality"],
        "max_ransom_usd": story["max_ransom_usd"], "doc_count": story["doc_count"], "first_seen": story["first_seen"],
        "facts": story["facts"],
        "links": [{"title": d["title"], "url": d["url"], "source": d["source"], "lang": d["lang"]} for d in docs[:5]],
    }


def _advisory_decision(rule: Rule, change: dict[str, Any]) -> Decision:
    arrow = "raised" if change["level"] > change["previous_level"] else "lowered"
    payload = {
        "title": f"{change['issuer']} {arrow} {change['country']}{' / ' + change['region'] if change['region'] else ''}"
                 f" to level {change['level']}",
        "issuer": change["issuer"], "country": change["country"], "region": change["region"],
        "level": change["level"], "previous_level": change["previous_level"],
        "level_change": f"{change['previous_level']} → {change['level']} ({change.get('label') or change.get('level_native')})",
        "links": [{"title": change.get("label") or change["issuer"], "url": change["url"]}] if change.get("url") else [],
    }
    return Decision(rule, "advisory", str(change["id"]), "", payload)


def _source_decision(rule: Rule, source: dict[str, Any]) -> Decision:
    payload = {
        "title": f"{source['name'] or source['key']} failed {source['consecutive_failures']} runs in a row",
        "source": source["key"], "consecutive_failures": source["consecutive_failures"],
        "last_error": (source.get("last_error") or "")[:300], "links": [{"title": source["key"], "url": source["url"]}],
    }
    # One alert per failure streak: the streak is named by the last success before it.
    return Decision(rule, "source", source["key"], f"after:{source.get('last_success_at') or 'never'}", payload)


def channel_specs_for(settings: Settings, rules: RuleSet | None = None) -> dict[str, ChannelSpec]:
    """Channel definitions: the given rules', else the rules file's, else the built-ins."""
    if rules is not None:
        return rules.channels
    if settings.rules_file and settings.rules_file.exists():
        return load_rules(settings.rules_file, settings.webhook_allowed_hosts).channels
    return builtin_channel_specs()


def deliver_pending(
    store: Store, settings: Settings, *, rules: RuleSet | None = None, policy: DeliveryPolicy | None = None,
    now: datetime | None = None, channels: dict[str, Channel] | None = None,
) -> DeliveryReport:
    """Send every due pending alert; a failure is recorded and retried later with exponential backoff,
    and after policy.max_attempts the alert is kept as "failed" (see `deskwatch alerts retry`)."""
    policy = policy or DeliveryPolicy()
    specs = channel_specs_for(settings, rules)
    ready: dict[str, Channel] = dict(channels or {})
    report = DeliveryReport()
    seen: set[int] = set()
    while batch := [a for a in claim_due_alerts(store, now=now, lease_s=policy.lease_s, limit=policy.batch)
                    if a["id"] not in seen]:
        for alert in batch:
            seen.add(alert["id"])
            _deliver_one(store, settings, alert, specs, ready, policy, report, now)
    return report


def _deliver_one(
    store: Store, settings: Settings, alert: dict[str, Any], specs: dict[str, ChannelSpec],
    ready: dict[str, Channel], policy: DeliveryPolicy, report: DeliveryReport, now: datetime | None,
) -> None:
    report.attempted += 1
    try:
        if alert["channel"] not in ready:
            if alert["channel"] not in specs:
                raise DeliveryError(f"channel {alert['channel']!r} is not defined in the rules file")
            ready[alert["channel"]] = build_channel(specs[alert["channel"]], settings)
        ready[alert["channel"]].send(alert)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row, never lost
        error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        give_up = alert["attempts"] + 1 >= policy.max_attempts
        retry_at = None if give_up else (as_utc(now) or utcnow()) + timedelta(seconds=policy.retry_delay(alert["attempts"]))
        mark_alert_attempt_failed(store, alert["id"], error, retry_at=retry_at)
        report.failed += give_up
        report.retrying += not give_up
        report.errors.append(f"alert {alert['id']} via {alert['channel']}: {error}")
        log.warning("alert %s via %s failed (attempt %d): %s", alert["id"], alert["channel"], alert["attempts"] + 1, error)
        return
    mark_alert_sent(store, alert["id"], now=now)
    report.sent += 1
