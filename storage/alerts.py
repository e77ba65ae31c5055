"""SQL for alerting: the subjects rules look at (incident stories, advisory level changes, failing
sources) and the alerts table (enqueue, claim, mark sent or failed, list, requeue)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.advisories import advisory_dict
from storage.models import Advisory, Alert, Document, Source, Story
from storage.repository import Store, as_utc, iso_utc, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertRow:
    """One decision to enqueue: `on` limits it to first alerts ("new") and/or re-alerts ("update");
    `throttle` is (max alerts, per seconds) for this rule and channel."""

    rule: str
    subject_type: str
    subject_id: str
    subject_version: str
    channel: str
    payload: dict[str, Any]
    on: frozenset[str] = frozenset({"new", "update"})
    throttle: tuple[int, float] | None = None


# ---- subjects ---------------------------------------------------------------------------
def incident_story_ids_since(store: Store, since: datetime) -> list[int]:
    """Ids of incident stories changed at or after `since`, oldest change first."""
    with store.read() as s:
        q = (
            select(Story.id)
            .where(Story.is_incident.is_(True), Story.updated_at >= as_utc(since))
            .order_by(Story.updated_at, Story.id)
        )
        return list(s.scalars(q))


def story_subjects(store: Store, story_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Each story with its documents (text and extraction), the material rules match against."""
    if not story_ids:
        return []
    with store.read() as s:
        stories = s.scalars(select(Story).where(Story.id.in_(list(story_ids))).order_by(Story.id)).all()
        docs = s.scalars(
            select(Document).where(Document.story_id.in_(list(story_ids))).order_by(Document.id)
        ).all()
        by_story: dict[int, list[dict[str, Any]]] = {}
        for doc in docs:
            by_story.setdefault(doc.story_id or 0, []).append(_subject_document(doc))
        return [_story_subject(story, by_story.get(story.id, [])) for story in stories]


def _subject_document(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id, "title": doc.title, "body": doc.body, "url": doc.url, "source": doc.source_key,
        "lang": doc.lang, "published_at": iso_utc(doc.published_at),
        "extraction": doc.extraction.data if doc.extraction else None,
    }


def _story_subject(story: Story, docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": story.id, "title": story.title, "first_seen": iso_utc(story.first_seen),
        "last_seen": iso_utc(story.last_seen), "updated_at": iso_utc(story.updated_at),
        "created_at": iso_utc(story.created_at),
        "incident_types": list(story.incident_types or []), "is_incident": story.is_incident,
        "countries": list(story.countries or []), "victim_nationality": story.victim_nationality,
        "max_ransom_usd": story.max_ransom_usd, "doc_count": story.doc_count, "facts": story.facts or {},
        "facts_key": story.facts_key or "", "documents": docs,
    }


def advisory_level_changes(store: Store, since: datetime) -> list[dict[str, Any]]:
    """Advisory rows fetched at or after `since` whose normalized level differs from the previous row's."""
    with store.read() as s:
        q = (
            select(Advisory)
            .where(
                Advisory.fetched_at >= as_utc(since),
                Advisory.previous_level.is_not(None),
                Advisory.level.is_not(None),
                Advisory.level != Advisory.previous_level,
            )
            .order_by(Advisory.id)
        )
        return [advisory_dict(r) for r in s.scalars(q)]


def failing_sources(store: Store, min_failures: int) -> list[dict[str, Any]]:
    """Sources that failed at least `min_failures` runs in a row, with what identifies the streak."""
    with store.read() as s:
        q = select(Source).where(Source.consecutive_failures >= min_failures).order_by(Source.key)
        return [
            {
                "key": r.key, "name": r.name, "url": r.url, "consecutive_failures": r.consecutive_failures,
                "last_error": r.last_error, "last_error_at": iso_utc(r.last_error_at),
                "last_success_at": iso_utc(r.last_success_at),
            }
            for r in s.scalars(q)
        ]


# ---- enqueue, claim, deliver ------------------------------------------------------------------
def enqueue_alerts(store: Store, rows: Sequence[AlertRow], now: datetime | None = None) -> list[int]:
    """Insert pending alerts in ONE transaction, skipping (rule, subject, version, channel) already there.
    A row for a subject that alerted before under another version is an "update"; over a rule's
    throttle, a row is delayed (next_attempt_at later), never dropped. Returns the new alert ids."""
    now = as_utc(now) or utcnow()
    created: list[int] = []
    sent_in_window: dict[tuple[str, str], int] = {}
    with store.write() as s:
        for row in rows:
            if _exists(s, row):
                continue
            kind = "update" if _alerted_before(s, row) else "new"
            if kind not in row.on:
                continue
            alert = Alert(
                rule=row.rule, subject_type=row.subject_type, subject_id=row.subject_id,
                subject_version=row.subject_version, channel=row.channel, created_at=now, status="pending",
                attempts=0, payload={**row.payload, "kind": kind},
                next_attempt_at=_throttled_until(s, row, now, sent_in_window),
            )
            try:
                with s.begin_nested():
                    s.add(alert)
                    s.flush()
            except IntegrityError:  # another process enqueued the same decision first
                continue
            created.append(alert.id)
    return created


def _exists(s: Session, row: AlertRow) -> bool:
    q = select(Alert.id).where(
        Alert.rule == row.rule, Alert.subject_type == row.subject_type, Alert.subject_id == row.subject_id,
        Alert.subject_version == row.subject_version, Alert.channel == row.channel,
    )
    return s.scalar(q.limit(1)) is not None


def _alerted_before(s: Session, row: AlertRow) -> bool:
    q = select(Alert.id).where(
        Alert.rule == row.rule, Alert.subject_type == row.subject_type, Alert.subject_id == row.subject_id,
        Alert.channel == row.channel,
    )
    return s.scalar(q.limit(1)) is not None


def _throttled_until(
    s: Session, row: AlertRow, now: datetime, counts: dict[tuple[str, str], int]
) -> datetime | None:
    """None when the rule is within its budget for this channel; else when the row may go out."""
    if row.throttle is None:
        return None
    limit, per_s = row.throttle
    key = (row.rule, row.channel)
    if key not in counts:
        window_start = now - timedelta(seconds=per_s)
        counts[key] = s.scalar(
            select(func.count()).select_from(Alert)
            .where(Alert.rule == row.rule, Alert.channel == row.channel, Alert.created_at >= window_start)
        ) or 0
    used = counts[key]
    counts[key] = used + 1
    if used < limit:
        return None
    return now + timedelta(seconds=per_s * (1 + (used - limit) // limit))


def claim_due_alerts(
    store: Store, *, now: datetime | None = None, lease_s: float = 300, limit: int = 100
) -> list[dict[str, Any]]:
    """Pending alerts that are due, leased for `lease_s` so a concurrent deliverer skips them;
    a lease that runs out (the deliverer died) makes the alert due again."""
    now = as_utc(now) or utcnow()
    with store.write() as s:
        q = (
            select(Alert)
            .where(Alert.status == "pending", (Alert.next_attempt_at.is_(None)) | (Alert.next_attempt_at <= now))
            .order_by(Alert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(s.scalars(q))
        for row in rows:
            row.next_attempt_at = now + timedelta(seconds=lease_s)
        return [alert_dict(r) for r in rows]


def mark_alert_sent(store: Store, alert_id: int, now: datetime | None = None) -> None:
    now = as_utc(now) or utcnow()
    with store.write() as s:
        s.execute(
            update(Alert).where(Alert.id == alert_id).values(
                status="sent", delivered_at=now, attempts=Alert.attempts + 1, next_attempt_at=None, last_error=None
            )
        )


def mark_alert_attempt_failed(
    store: Store, alert_id: int, error: str, *, retry_at: datetime | None
) -> None:
    """Record a failed attempt: retried at `retry_at`, or status "failed" (kept, re-queueable) when None."""
    values: dict[str, Any] = {"attempts": Alert.attempts + 1, "last_error": error[:2000]}
    values.update({"next_attempt_at": as_utc(retry_at)} if retry_at else {"status": "failed", "next_attempt_at": None})
    with store.write() as s:
        s.execute(update(Alert).where(Alert.id == alert_id).values(**values))


def requeue_failed_alerts(store: Store) -> int:
    """Give alerts that ran out of attempts another round; returns how many."""
    with store.write() as s:
        result = s.execute(
            update(Alert).where(Alert.status == "failed").values(status="pending", attempts=0, next_attempt_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)  # an UPDATE's CursorResult


def list_alerts(
    store: Store, *, status: str | None = None, rule: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The alert log, newest first."""
    with store.read() as s:
        q = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if status:
            q = q.where(Alert.status == status)
        if rule:
            q = q.where(Alert.rule == rule)
        return [alert_dict(r) for r in s.scalars(q)]


def latest_alert_payloads(store: Store, rule: str, subject_type: str, subject_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """subject id -> the payload of the rule's newest alert about it (what the desk was last told)."""
    if not subject_ids:
        return {}
    with store.read() as s:
        q = (
            select(Alert.subject_id, Alert.payload)
            .where(Alert.rule == rule, Alert.subject_type == subject_type, Alert.subject_id.in_(list(subject_ids)))
            .order_by(Alert.id)
        )
        return {subject_id: payload or {} for subject_id, payload in s.execute(q)}


def alert_counts(store: Store) -> dict[str, int]:
    """Alerts by status."""
    with store.read() as s:
        return {status: n for status, n in s.execute(select(Alert.status, func.count()).group_by(Alert.status))}


def alert_dict(r: Alert) -> dict[str, Any]:
    return {
        "id": r.id, "rule": r.rule, "subject_type": r.subject_type, "subject_id": r.subject_id,
        "subject_version": r.subject_version, "channel": r.channel, "created_at": iso_utc(r.created_at),
        "status": r.status, "attempts": r.attempts, "next_attempt_at": iso_utc(r.next_attempt_at),
        "last_error": r.last_error, "delivered_at": iso_utc(r.delivered_at), "payload": r.payload or {},
    }
