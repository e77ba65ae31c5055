"""Analysts' hand corrections of stories: merge two stories, split reports out into a new story (or move
them into another). Each is recorded with who and when; the reports it places are pinned, so neither
reprocessing nor a rebuild moves them again."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.identity import incident_from_extraction
from storage.models import Document, Extraction, Story, StoryCorrection, StoryKey, StoryLink
from storage.repository import Store, as_utc, utcnow
from storage.story_facts import document_facts, empty_facts, facts_key, merge_facts

log = logging.getLogger(__name__)

MAX_ACTOR = 120
SYSTEM_ACTOR = "system"  # who makes automatic splits (storage/story_recheck.py)


class CorrectionError(ValueError):
    """A correction that cannot be applied (unknown story, report not in the story, ...)."""


@dataclass(frozen=True)
class CorrectionResult:
    story_id: int  # the story the reports are in now
    other_story_id: int | None  # merged away (merge) / left behind (split)
    document_ids: list[int]
    correction_id: int


def merge_stories(store: Store, keep: int, other: int, *, actor: str, note: str = "") -> CorrectionResult:
    """Move every report of story `other` into story `keep`, pin them there, and delete `other`."""
    if keep == other:
        raise CorrectionError("a story cannot be merged with itself")
    with store.write() as s:
        target, gone = _story(s, keep), _story(s, other)
        doc_ids = list(s.scalars(select(Document.id).where(Document.story_id == gone.id).order_by(Document.id)))
        _move(s, doc_ids, target, f"merged by hand from story {other} by {_actor(actor)}")
        move_story_keys(s, gone.id, target.id)
        s.execute(delete(Story).where(Story.id == gone.id))
        pinned = list(s.scalars(select(Document.id).where(Document.story_id == target.id)))
        s.execute(update(Document).where(Document.id.in_(pinned)).values(story_pinned=True))
        correction = _record(s, "merge", target.id, gone.id, doc_ids, actor, note)
        refresh_story(s, target)
        return CorrectionResult(target.id, gone.id, doc_ids, correction)


def split_story(
    store: Store, story_id: int, doc_ids: list[int], *, actor: str, note: str = "", into: int | None = None
) -> CorrectionResult:
    """Take reports out of a story into a new story (or into story `into`); all stay pinned where put."""
    if not doc_ids:
        raise CorrectionError("name at least one report to split out")
    with store.write() as s:
        source = _story(s, story_id)
        members = set(s.scalars(select(Document.id).where(Document.story_id == story_id)))
        missing = sorted(set(doc_ids) - members)
        if missing:
            raise CorrectionError(f"report(s) {', '.join(map(str, missing))} are not in story {story_id}")
        if into is None and set(doc_ids) == members:
            raise CorrectionError("splitting out every report would leave an empty story")
        target = _story(s, into) if into is not None else _new_story_for(s, min(doc_ids))
        _move(s, sorted(doc_ids), target, f"split by hand from story {story_id} by {_actor(actor)}")
        _add_keys_of(s, target.id, sorted(doc_ids))
        s.execute(update(Document).where(Document.story_id.in_([source.id, target.id])).values(story_pinned=True))
        correction = _record(s, "split", story_id, target.id, sorted(doc_ids), actor, note)
        for story in (source, target):
            refresh_story(s, story)
        if not members - set(doc_ids):
            s.execute(delete(Story).where(Story.id == source.id))
        return CorrectionResult(target.id, story_id, sorted(doc_ids), correction)


def split_automatically(s: Session, story: Story, doc_ids: list[int], reason: str, *,
                        story_id: int | None = None) -> CorrectionResult:
    """Move reports a newer report showed to be another incident out of `story` into a new story,
    recorded like a correction by "system" with the evidence as its note. Nothing is pinned: a rebuild
    replays the same evidence in the same order and splits again."""
    from storage.story_rebuild import rekey_story

    target = _new_story_for(s, min(doc_ids), story_id)
    for doc_id in doc_ids:
        s.execute(update(Document).where(Document.id == doc_id).values(story_id=target.id))
        link = s.get(StoryLink, doc_id)
        if link is not None:
            link.story_id = target.id
            link.reason = f"{link.reason} [split out of story {story.id} automatically]"[:2000]
    s.flush()
    correction = _same_split_recorded(s, story.id, target.id, doc_ids) or _record(
        s, "split", story.id, target.id, doc_ids, SYSTEM_ACTOR, reason)
    for st in (story, target):
        refresh_story(s, st)
        rekey_story(s, st.id)
    return CorrectionResult(target.id, story.id, doc_ids, correction)


def _same_split_recorded(s: Session, story_id: int, target_id: int, doc_ids: list[int]) -> int | None:
    """The record of this very split when a rebuild replays it (one record, not one per reprocess)."""
    rows = s.scalars(select(StoryCorrection).where(
        StoryCorrection.story_id == story_id, StoryCorrection.other_story_id == target_id,
        StoryCorrection.action == "split", StoryCorrection.actor == SYSTEM_ACTOR)).all()
    return next((r.id for r in rows if list(r.document_ids or []) == list(doc_ids)), None)


def corrections_for(store: Store, story_id: int) -> list[dict[str, Any]]:
    """The corrections that touched a story, oldest first."""
    with store.read() as s:
        rows = s.scalars(
            select(StoryCorrection)
            .where((StoryCorrection.story_id == story_id) | (StoryCorrection.other_story_id == story_id))
            .order_by(StoryCorrection.created_at, StoryCorrection.id)
        ).all()
        return [correction_dict(r) for r in rows]


def correction_dict(r: StoryCorrection) -> dict[str, Any]:
    at = as_utc(r.created_at)
    return {"id": r.id, "action": r.action, "story_id": r.story_id, "other_story_id": r.other_story_id,
            "document_ids": list(r.document_ids or []), "actor": r.actor, "note": r.note,
            "created_at": at.isoformat() if at else None}


def refresh_story(s: Session, story: Story) -> None:
    """Recompute a story's facts, dates and counts from the reports it holds now."""
    rows = s.execute(
        select(Document.published_at, Document.fetched_at, Extraction.data, Extraction.victim_nationality)
        .join(Extraction, Extraction.document_id == Document.id, isouter=True)
        .where(Document.story_id == story.id).order_by(Document.id)
    ).all()
    facts = empty_facts()
    seen: list[datetime] = []
    for published, fetched, data, nationality in rows:
        facts = merge_facts(facts, document_facts(data or {}))
        if moment := as_utc(published) or as_utc(fetched):
            seen.append(moment)
        story.victim_nationality = story.victim_nationality or nationality
    story.facts, story.facts_key = facts, facts_key(facts)
    story.incident_types = facts["types"]
    story.is_incident = bool(set(facts["types"]) - {"advisory"})
    story.countries = sorted({p["country"] for p in facts["places"] if p.get("country")})
    story.max_ransom_usd = max(facts["ransoms_usd"]) if facts["ransoms_usd"] else None
    if seen:
        story.first_seen, story.last_seen = min(seen), max(seen)
    story.doc_count = len(rows)
    story.updated_at = utcnow()


def _story(s: Session, story_id: int | None) -> Story:
    story = s.get(Story, story_id) if story_id is not None else None
    if story is None:
        raise CorrectionError(f"no story {story_id}")
    return story


def _new_story_for(s: Session, doc_id: int, story_id: int | None = None) -> Story:
    doc = s.get(Document, doc_id)
    seen = (as_utc(doc.published_at) or as_utc(doc.fetched_at)) if doc else None
    now = utcnow()
    story = Story(title=(doc.title if doc else "") or "", first_seen=seen or now, last_seen=seen or now,
                  updated_at=now, created_at=now, incident_types=[], is_incident=False, countries=[],
                  doc_count=0, facts=empty_facts(), facts_key="")
    if story_id is not None:
        story.id = story_id
    s.add(story)
    s.flush()
    return story


def _move(s: Session, doc_ids: list[int], target: Story, reason: str) -> None:
    now = utcnow()
    for doc_id in doc_ids:
        s.execute(update(Document).where(Document.id == doc_id).values(story_id=target.id, story_pinned=True))
        s.merge(StoryLink(document_id=doc_id, story_id=target.id, matched_document_id=None, reason=reason,
                          score=0.0, linked_at=now))
    s.flush()


def _add_keys_of(s: Session, story_id: int, doc_ids: list[int]) -> None:
    from storage.stories import add_story_keys

    rows = s.execute(select(Document.id, Document.published_at, Document.lang, Extraction.data)
                     .join(Extraction, Extraction.document_id == Document.id).where(Document.id.in_(doc_ids))).all()
    keys: set[str] = set()
    for doc_id, published, lang, data in rows:
        keys |= incident_from_extraction(doc_id, data or {}, as_utc(published), lang).identity_keys()
    add_story_keys(s, story_id, keys)


def move_story_keys(s: Session, from_id: int, to_id: int) -> None:
    have = set(s.scalars(select(StoryKey.key).where(StoryKey.story_id == to_id)))
    for key in s.scalars(select(StoryKey.key).where(StoryKey.story_id == from_id)).all():
        if key not in have:
            s.add(StoryKey(story_id=to_id, key=key))
    s.execute(delete(StoryKey).where(StoryKey.story_id == from_id))
    s.flush()


def _record(s: Session, action: str, story_id: int, other: int | None, doc_ids: list[int], actor: str,
            note: str) -> int:
    row = StoryCorrection(action=action, story_id=story_id, other_story_id=other, document_ids=doc_ids,
                          actor=_actor(actor), note=(note or "")[:2000], created_at=utcnow())
    s.add(row)
    s.flush()
    log.info("story correction %s: %s %s (%s) by %s", row.id, action, story_id, other, row.actor)
    return row.id


def _actor(actor: str) -> str:
    cleaned = " ".join((actor or "").split())[:MAX_ACTOR]
    return cleaned or "unknown"


def correction_count(store: Store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(StoryCorrection)) or 0
