"""Finding the stories a report is compared with, without scanning the store: a bounded candidate set
(by identity keys and by time) and, for each candidate, its first report and its most recent ones.
Every query is an index range scan with a limit, so the cost of placing a report does not grow with
the store (bench/stories.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from storage.identity import Incident, incident_from_extraction
from storage.models import Document, Extraction, Story, StoryKey
from storage.repository import as_utc

SAME_DAYS = timedelta(days=2)  # stories seen this close to a report are candidates even without a shared key
PER_KEY = 40  # the most recent stories per identity key that are looked at
KEYED_CANDIDATES = 16  # stories sharing keys compared, at most: most keys shared first, then the newest
NEAR_CANDIDATES = 8  # stories seen within SAME_DAYS compared, at most: the closest in time first
MEMBERS_COMPARED = 6  # a story's first report and its most recent ones
KEYS_PER_QUERY = 50  # identity keys looked up in one statement (SQLite allows 500 terms in a compound select)
SMALL_STORY = 12  # stories up to this size have their member ids read in one query; larger ones one by one


def candidate_stories(s: Session, keys: set[str], seen: datetime, *, exclude_doc: int | None = None) -> list[int]:
    """A bounded set of stories worth comparing, never the whole store: the newest PER_KEY stories of each
    identity key, ranked by keys shared (then the newest), KEYED_CANDIDATES at most; then the stories seen
    within SAME_DAYS and not ranked already, the closest in time first, NEAR_CANDIDATES at most. Every
    query is an index range scan with a limit (story_keys (key, story_id), stories.last_seen), so the
    cost does not grow with the store."""
    shared: dict[int, int] = {}
    ordered = sorted({key[:120] for key in keys})
    for i in range(0, len(ordered), KEYS_PER_QUERY):  # one statement of limited range scans, not one per key
        per_key = [select(StoryKey.story_id).where(StoryKey.key == key).order_by(StoryKey.story_id.desc())
                   .limit(PER_KEY).subquery() for key in ordered[i : i + KEYS_PER_QUERY]]
        for story_id in s.scalars(union_all(*(select(sq.c.story_id) for sq in per_key))):
            shared[story_id] = shared.get(story_id, 0) + 1
    ranked = sorted(shared, key=lambda sid: (-shared[sid], -sid))[:KEYED_CANDIDATES]
    after = s.execute(select(Story.id, Story.last_seen).where(Story.last_seen.between(seen, seen + SAME_DAYS))
                      .order_by(Story.last_seen).limit(NEAR_CANDIDATES + 1)).all()
    before = s.execute(select(Story.id, Story.last_seen).where(Story.last_seen.between(seen - SAME_DAYS, seen))
                       .order_by(Story.last_seen.desc()).limit(NEAR_CANDIDATES + 1)).all()
    near = sorted({sid: abs((as_utc(at) or seen) - seen) for sid, at in [*after, *before]}.items(),
                  key=lambda item: (item[1], -item[0]))
    own = s.scalar(select(Document.story_id).where(Document.id == exclude_doc)) if exclude_doc else None
    keyed = [sid for sid in ranked if sid != own]
    nearby = [sid for sid, _ in near if sid != own and sid not in keyed][:NEAR_CANDIDATES]
    return [*keyed, *nearby]


def story_members(
    s: Session, story_ids: list[int], *, exclude_doc: int | None = None, cache: dict[int, Incident] | None = None
) -> dict[int, list[Incident]]:
    """For each story, the identity facts of its first report and of its most recent ones (first one
    first). Two queries whatever the number of stories; `cache` keeps facts already read in this run."""
    if not story_ids:
        return {}
    cache = {} if cache is None else cache
    chosen = _member_ids(s, story_ids, exclude_doc or -1)
    read_incidents(s, sorted({d for docs in chosen.values() for d in docs}), cache)
    return {sid: [cache[d] for d in docs if d in cache] for sid, docs in chosen.items()}


def read_incidents(s: Session, doc_ids: list[int], cache: dict[int, Incident]) -> list[Incident | None]:
    """The identity facts of `doc_ids` (None for a document without extraction), read once per run."""
    missing = sorted(set(doc_ids) - set(cache))
    for i in range(0, len(missing), 500):
        rows = s.execute(select(Document.id, Document.published_at, Document.lang, Extraction.data)
                         .join(Extraction, Extraction.document_id == Document.id)
                         .where(Document.id.in_(missing[i : i + 500])))
        for doc_id, pub, lang, data in rows:
            cache[doc_id] = incident_from_extraction(doc_id, data or {}, as_utc(pub), lang)
    return [cache.get(d) for d in doc_ids]


def _member_ids(s: Session, story_ids: list[int], exclude_doc: int) -> dict[int, list[int]]:
    """For each story, its first report's id and its MEMBERS_COMPARED - 1 most recent ones: small stories
    in one query, each large one in two limited index scans (documents (story_id, id)), so a story of
    thousands of reports costs what a small one does."""
    sizes: dict[int, int] = {sid: n for sid, n in s.execute(select(Story.id, Story.doc_count).where(Story.id.in_(story_ids)))}
    small = [sid for sid in story_ids if (sizes.get(sid) or 0) <= SMALL_STORY]
    ids: dict[int, list[int]] = {}
    if small:
        for story_id, doc_id in s.execute(select(Document.story_id, Document.id).where(
                Document.story_id.in_(small), Document.id != exclude_doc).order_by(Document.id)):
            ids.setdefault(story_id, []).append(doc_id)
    for sid in story_ids:
        if sid in sizes and sid not in small:
            mine = (Document.story_id == sid) & (Document.id != exclude_doc)
            first = s.scalars(select(Document.id).where(mine).order_by(Document.id).limit(1)).all()
            last = s.scalars(select(Document.id).where(mine).order_by(Document.id.desc())
                             .limit(MEMBERS_COMPARED - 1)).all()
            ids[sid] = [*first, *reversed(last)]
    return {sid: list(dict.fromkeys(d[:1] + d[-(MEMBERS_COMPARED - 1):])) for sid, d in ids.items()}
