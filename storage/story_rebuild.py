"""Reprocessing rebuilds stories: the reports a reprocess re-extracts are taken out of their stories
(unless an analyst pinned them) and placed again, in document order, as a fresh run places them, so a
store processed twice, or reprocessed after a pipeline change, ends with the stories a fresh store gets.
Analysts' corrections stay: pinned reports never move, and the stories they hold keep their ids."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from storage.documents import to_extract
from storage.identity import incident_from_extraction
from storage.models import Document, Extraction, Story, StoryKey, StoryLink
from storage.repository import Store, as_utc

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list
PG_STORY_LOCK = 0x73746F72  # the story assigner's lock (storage.stories): one writer of stories at a time


@dataclass
class StoryRebuild:
    """What a rebuild took apart: for each detached report, the story it was in and when that story was
    made. A report that founds a story again gets its former story's id (and creation time) back when
    that id is free, so alerts, links and bookmarks keep naming the same incident."""

    former: dict[int, tuple[int, datetime | None]] = field(default_factory=dict)
    stories_removed: int = 0
    stories_kept: int = 0

    @property
    def detached(self) -> int:
        return len(self.former)


def detach_for_rebuild(store: Store, version: str, *, everything: bool) -> StoryRebuild:
    """Take every unpinned report a reprocess will re-extract out of its story and mark it due for
    extraction (a run cut short leaves the rest to the next `process`). Stories left empty are removed;
    stories that keep reports (pinned ones, or reports not re-extracted) get their facts and identity
    keys recomputed from what they hold. One transaction."""
    rebuild = StoryRebuild()
    with store.write() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_STORY_LOCK})
        rows = s.execute(
            select(Document.id, Document.story_id, Story.created_at)
            .join(Story, Story.id == Document.story_id)
            .where(to_extract(version, reprocess=True, everything=everything), Document.story_pinned.is_(False))
            .order_by(Document.id)
        ).all()
        if not rows:
            return rebuild
        rebuild.former = {doc_id: (story_id, as_utc(created)) for doc_id, story_id, created in rows}
        doc_ids = list(rebuild.former)
        for i in range(0, len(doc_ids), CHUNK):
            chunk = doc_ids[i : i + CHUNK]
            # No extraction version: the document is due for extraction, so a run cut short here or
            # later leaves it to the next `process`, which extracts and places it in document order.
            s.execute(update(Document).where(Document.id.in_(chunk)).values(story_id=None, extraction_version=None))
            s.execute(delete(StoryLink).where(StoryLink.document_id.in_(chunk)))
        touched = sorted({story_id for story_id, _ in rebuild.former.values()})
        for i in range(0, len(touched), CHUNK):
            _settle(s, touched[i : i + CHUNK], rebuild)
    log.info("rebuilding stories: %d reports detached, %d stories removed, %d kept (pinned or not re-extracted)",
             rebuild.detached, rebuild.stories_removed, rebuild.stories_kept)
    return rebuild


def _settle(s: Session, story_ids: list[int], rebuild: StoryRebuild) -> None:
    """Remove the stories left empty; recompute facts and keys of those that still hold reports."""
    from storage.story_corrections import refresh_story

    kept = {sid for sid in s.scalars(select(Document.story_id).where(Document.story_id.in_(story_ids)).distinct())
            if sid is not None}
    gone = [sid for sid in story_ids if sid not in kept]
    if gone:
        s.execute(delete(StoryKey).where(StoryKey.story_id.in_(gone)))
        s.execute(delete(StoryLink).where(StoryLink.story_id.in_(gone)))
        s.execute(delete(Story).where(Story.id.in_(gone)))
    for sid in sorted(kept):
        story = s.get(Story, sid)
        if story is not None:
            refresh_story(s, story)
            rekey_story(s, sid)
    s.flush()
    rebuild.stories_removed += len(gone)
    rebuild.stories_kept += len(kept)


def rekey_story(s: Session, story_id: int) -> None:
    """A story's identity keys, recomputed from the reports it holds now."""
    from storage.stories import add_story_keys

    s.execute(delete(StoryKey).where(StoryKey.story_id == story_id))
    rows = s.execute(select(Document.id, Document.published_at, Document.lang, Extraction.data)
                     .join(Extraction, Extraction.document_id == Document.id)
                     .where(Document.story_id == story_id)).all()
    keys: set[str] = set()
    for doc_id, published, lang, data in rows:
        keys |= incident_from_extraction(doc_id, data or {}, as_utc(published), lang).identity_keys()
    add_story_keys(s, story_id, keys)


def awaiting_extraction(store: Store, doc_ids: list[int]) -> set[int]:
    """Those of `doc_ids` a rebuild took apart and that wait for extraction (no extraction version)."""
    with store.read() as s:
        return set(s.scalars(select(Document.id).where(Document.id.in_(doc_ids),
                                                        Document.extraction_version.is_(None))))


def former_story(s: Session, rebuild: StoryRebuild | None, doc_id: int) -> tuple[int, datetime | None] | None:
    """The id (and creation time) a report founding a story again may take back: its former story's,
    when no story holds that id now."""
    if rebuild is None or doc_id not in rebuild.former:
        return None
    story_id, created = rebuild.former[doc_id]
    return None if s.get(Story, story_id) is not None else (story_id, created)
