"""Stories: documents that report one real-world incident, merged across outlets (MinHash near-duplicates)
and across outlets and languages on incident identity (storage/identity.py: a score made of named
evidence). A report is compared only with a bounded set of candidate stories (storage/story_candidates.py):
those sharing one of its identity keys, and those seen the same few days. Every merge is recorded in
story_links with the evidence the document joined on."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from storage.documents import document_dict
from storage.identity import Incident, compare, compare_with_story, incident_from_extraction
from storage.models import Document, DocumentBand, Extraction, Story, StoryKey, StoryLink
from storage.repository import Store, as_utc, utcnow
from storage.story_candidates import candidate_stories, read_incidents, story_members
from storage.story_facts import (
    NEAR_DUPLICATE_JACCARD,
    band_keys,
    document_facts,
    empty_facts,
    estimated_jaccard,
    facts_key,
    merge_facts,
    minhash_signature,
    signature_from_text,
    signature_to_text,
)
from storage.story_rebuild import PG_STORY_LOCK, StoryRebuild, former_story
from storage.story_recheck import contradicts, plan_split

if TYPE_CHECKING:
    from storage.story_corrections import CorrectionResult

log = logging.getLogger(__name__)

RECHECK_MEMBERS = 40  # a story re-read for an automatic split: its first report and its most recent ones
NEAR_DUPLICATE_CANDIDATES = 200  # documents sharing an LSH band looked at, at most: the newest


@dataclass
class StoryChange:
    story_id: int
    created: bool
    facts_changed: bool
    doc_ids: list[int] = field(default_factory=list)


@dataclass
class _Placement:
    story: Story
    created: bool
    reason: str
    score: float
    matched_document_id: int | None = None
    bridged: list[int] = field(default_factory=list)  # other stories this report shows to be the same incident
    core_conflict: bool = False  # the report contradicts the story's first report: re-read the story


def assign_stories(store: Store, doc_ids: list[int], *, rebuild: StoryRebuild | None = None) -> list[StoryChange]:
    """Put each relevant document into a story (a new one or the one it reports), one transaction per
    document; returns one change per touched story, in the order first touched. In a `rebuild` (a
    reprocess), a report that founds a story again takes back its former story's id when free."""
    changes: dict[int, StoryChange] = {}
    cache: dict[int, Incident] = {}  # identity facts of reports already read in this run
    for doc_id in doc_ids:
        with store.write() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_STORY_LOCK})
            result = _assign_one(s, doc_id, cache, rebuild)
        for story_id, created, facts_changed, placed in result:
            change = changes.setdefault(story_id, StoryChange(story_id, created=created, facts_changed=False))
            change.created = change.created or created
            change.facts_changed = change.facts_changed or facts_changed or created
            change.doc_ids.extend(d for d in placed if d not in change.doc_ids)
    return list(changes.values())


def _assign_one(
    s: Session, doc_id: int, cache: dict[int, Incident], rebuild: StoryRebuild | None = None
) -> list[tuple[int, bool, bool, list[int]]]:
    """Place one document; returns (story id, created, facts changed, documents placed) per story touched:
    its story, and the story it was split from when its evidence showed that story to hold two incidents."""
    doc = s.get(Document, doc_id)
    extraction = s.get(Extraction, doc_id)
    if doc is None or extraction is None or not story_worthy(extraction.relevant, extraction.data or {}):
        return []
    sig = _store_signature(s, doc)
    data = extraction.data or {}
    doc_facts = document_facts(data)
    seen = as_utc(doc.published_at) or as_utc(doc.fetched_at) or utcnow()
    incident = incident_from_extraction(doc.id, data, as_utc(doc.published_at), doc.lang)
    joined = doc.story_id is None
    if not joined:
        placement = _Placement(s.get(Story, doc.story_id), False, "", 0.0)  # type: ignore[arg-type]
    else:
        placement = (
            _near_duplicate(s, doc, sig)
            or _same_incident(s, incident, seen, cache)
            or _new_story(s, doc, seen, former_story(s, rebuild, doc.id))
        )
        doc.story_id = placement.story.id
        if placement.bridged:
            _absorb(s, placement.story, placement.bridged, doc.id)
        s.merge(StoryLink(
            document_id=doc.id, story_id=placement.story.id, matched_document_id=placement.matched_document_id,
            reason=placement.reason, score=placement.score, linked_at=utcnow(),
        ))
    add_story_keys(s, placement.story.id, incident.identity_keys())
    changed = _fold_into_story(s, placement.story, doc, doc_facts, seen, joined=joined)
    if placement.core_conflict and not placement.bridged:
        split = _recheck(s, placement.story, incident, cache, rebuild)
        if split is not None:
            return [(placement.story.id, False, True, []), (split.story_id, True, True, split.document_ids)]
    return [(placement.story.id, placement.created, changed, [doc.id])]


def _recheck(s: Session, story: Story, incident: Incident, cache: dict[int, Incident],
             rebuild: StoryRebuild | None = None) -> CorrectionResult | None:
    """The story `incident` just joined, re-read with its evidence (storage/story_recheck.py): when it
    shows two incidents, the newer one is split out, recorded as a correction by "system"."""
    from storage.story_corrections import split_automatically

    mine = (Document.story_id == story.id) & (Document.id != incident.doc_id)  # first report, most recent ones
    first = s.scalars(select(Document.id).where(mine).order_by(Document.id).limit(1)).all()
    last = s.scalars(select(Document.id).where(mine).order_by(Document.id.desc()).limit(RECHECK_MEMBERS - 1)).all()
    ids = list(dict.fromkeys([*first, *reversed(last)]))
    members = [m for m in read_incidents(s, ids, cache) if m is not None]
    pinned = frozenset(s.scalars(select(Document.id).where(Document.story_id == story.id,
                                                           Document.story_pinned.is_(True))))
    plan = plan_split(incident, members, pinned)
    if plan is None:
        return None
    former = former_story(s, rebuild, plan.move[0])  # a rebuild splits again: under the same id
    return split_automatically(s, story, plan.move, plan.reason, story_id=former[0] if former else None)


def story_worthy(relevant: bool, data: dict[str, Any]) -> bool:
    """A report gets a story when it passed the relevance gate, or when it tells of something that
    happened to people (an escape told without the usual keywords, a headline-only report)."""
    return bool(relevant or (data.get("identity") or {}).get("incident_cue"))


def add_story_keys(s: Session, story_id: int, keys: set[str]) -> None:
    known = set(s.scalars(select(StoryKey.key).where(StoryKey.story_id == story_id, StoryKey.key.in_(keys))))
    s.add_all(StoryKey(story_id=story_id, key=k[:120]) for k in sorted(keys - known))
    s.flush()


def _store_signature(s: Session, doc: Document) -> Any:
    sig = minhash_signature(f"{doc.title}\n{doc.body}")
    doc.signature = signature_to_text(sig) if sig is not None else None
    s.execute(delete(DocumentBand).where(DocumentBand.document_id == doc.id))
    if sig is not None:
        s.add_all(DocumentBand(document_id=doc.id, band=key) for key in band_keys(sig))
    s.flush()
    return sig


def _near_duplicate(s: Session, doc: Document, sig: Any) -> _Placement | None:
    """The story of the most similar already-placed document sharing an LSH band, if similar enough."""
    if sig is None:
        return None
    keys = band_keys(sig)
    sharing = (select(DocumentBand.document_id).where(DocumentBand.band.in_(keys), DocumentBand.document_id != doc.id)
               .distinct().order_by(DocumentBand.document_id.desc()).limit(NEAR_DUPLICATE_CANDIDATES))
    rows = s.execute(
        select(Document.id, Document.signature, Document.story_id)
        .where(Document.id.in_(sharing), Document.story_id.is_not(None))
    ).all()
    best: tuple[float, int, int] | None = None
    for other_id, other_sig_text, story_id in rows:
        other = signature_from_text(other_sig_text)
        if other is None:
            continue
        jaccard = estimated_jaccard(sig, other)
        if jaccard >= NEAR_DUPLICATE_JACCARD and (best is None or jaccard > best[0]):
            best = (jaccard, other_id, story_id)
    if best is None:
        return None
    jaccard, other_id, story_id = best
    return _Placement(s.get(Story, story_id), False, f"minhash {jaccard:.2f} with doc {other_id}",  # type: ignore[arg-type]
                      jaccard, other_id)


def _same_incident(s: Session, incident: Incident, seen: datetime, cache: dict[int, Incident]) -> _Placement | None:
    """The candidate story whose reports the document matches best on identity evidence, if enough;
    other stories it also joins become `bridged` when their first reports do not conflict."""
    candidates = candidate_stories(s, incident.identity_keys(), seen, exclude_doc=incident.doc_id)
    members = story_members(s, candidates, exclude_doc=incident.doc_id, cache=cache)
    joining = []
    for story_id in candidates:
        comparison, match = compare_with_story(incident, members.get(story_id, []))
        if comparison.joins and match is not None:
            joining.append((comparison.score, story_id, comparison, match))
    if not joining:
        return None
    # Ties go to the story founded first: its first report's id, not the story's id, which a rebuild
    # may have given back out of order.
    joining.sort(key=lambda j: (-j[0], members[j[1]][0].doc_id))
    _, story_id, comparison, match = joining[0]
    core = members[story_id][0]
    bridged = [j[1] for j in joining[1:] if not compare(core, members[j[1]][0]).conflicts]
    reason = f"{comparison.explain()} — best match: report {match.doc_id}"
    return _Placement(s.get(Story, story_id), False, reason, comparison.score, match.doc_id,  # type: ignore[arg-type]
                      bridged=_unpinned(s, bridged), core_conflict=contradicts(compare(incident, core)))


def _unpinned(s: Session, story_ids: list[int]) -> list[int]:
    """The stories no analyst has corrected (none of their reports is pinned)."""
    if not story_ids:
        return []
    pinned = set(s.scalars(select(Document.story_id).where(Document.story_id.in_(story_ids),
                                                             Document.story_pinned.is_(True))))
    return [sid for sid in story_ids if sid not in pinned]


def _absorb(s: Session, target: Story, others: list[int], via_doc: int) -> None:
    """Merge stories a new report showed to be `target`'s incident (a follow-up that ties two stories
    placed before it): their reports, links and keys move; the link reasons say through which report."""
    from storage.story_corrections import move_story_keys

    for other in others:
        gone = s.get(Story, other)
        if gone is not None:  # its facts join the target's: no re-reading of every report of a large story
            _fold_story(target, gone)
        s.execute(update(Document).where(Document.story_id == other).values(story_id=target.id))
        for link in s.scalars(select(StoryLink).where(StoryLink.story_id == other)).all():
            link.story_id = target.id
            link.reason = f"{link.reason} [its story {other} joined through report {via_doc}]"[:2000]
        move_story_keys(s, other, target.id)
        s.execute(delete(Story).where(Story.id == other))
        log.info("story %s joined story %s through report %s", other, target.id, via_doc)
    s.flush()


def _fold_story(target: Story, other: Story) -> None:
    """`other`'s facts, dates and count added to `target`'s (the two are merging)."""
    facts = merge_facts(target.facts or {}, {**empty_facts(), **(other.facts or {})})
    target.facts, target.facts_key = facts, facts_key(facts)
    target.incident_types = facts["types"]
    target.is_incident = bool(set(facts["types"]) - {"advisory"})
    target.countries = sorted({p["country"] for p in facts["places"] if p.get("country")})
    target.max_ransom_usd = max(facts["ransoms_usd"]) if facts["ransoms_usd"] else None
    target.victim_nationality = target.victim_nationality or other.victim_nationality
    for moment in (as_utc(other.first_seen), as_utc(other.last_seen)):
        if moment is not None:
            target.first_seen = min(as_utc(target.first_seen) or moment, moment)
            target.last_seen = max(as_utc(target.last_seen) or moment, moment)
    target.doc_count = (target.doc_count or 0) + (other.doc_count or 0)
    target.updated_at = utcnow()


def _new_story(s: Session, doc: Document, seen: datetime,
               former: tuple[int, datetime | None] | None = None) -> _Placement:
    """A story founded by `doc`; with `former` (a rebuild), under the id and creation time it had."""
    story = Story(
        title=doc.title or (doc.body or "").strip().split("\n")[0][:120], first_seen=seen, last_seen=seen,
        updated_at=utcnow(), created_at=(former[1] if former else None) or utcnow(), incident_types=[],
        is_incident=False, countries=[], doc_count=0, facts=empty_facts(), facts_key="",
    )
    if former:
        story.id = former[0]
    s.add(story)
    s.flush()
    return _Placement(story, True, "first report", 1.0)


def _fold_into_story(
    s: Session, story: Story, doc: Document, doc_facts: dict[str, Any], seen: datetime, *, joined: bool
) -> bool:
    """Add the document's facts and dates to the story; True when a new fact appeared."""
    facts = merge_facts(story.facts or {}, doc_facts)
    new_key = facts_key(facts)
    changed = new_key != story.facts_key
    story.facts, story.facts_key = facts, new_key
    story.incident_types = facts["types"]
    story.is_incident = bool(set(facts["types"]) - {"advisory"})
    story.countries = sorted({p["country"] for p in facts["places"] if p.get("country")})
    story.max_ransom_usd = max(facts["ransoms_usd"]) if facts["ransoms_usd"] else None
    extraction = doc.extraction
    story.victim_nationality = story.victim_nationality or (extraction.victim_nationality if extraction else None)
    story.first_seen = min(as_utc(story.first_seen) or seen, seen)
    story.last_seen = max(as_utc(story.last_seen) or seen, seen)
    story.doc_count = s.scalar(select(func.count()).select_from(Document).where(Document.story_id == story.id))
    if changed or joined:
        story.updated_at = utcnow()
    return changed


def story_dict(r: Story) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if (v := as_utc(v)) else None

    return {
        "id": r.id, "title": r.title, "first_seen": iso(r.first_seen), "last_seen": iso(r.last_seen),
        "updated_at": iso(r.updated_at), "created_at": iso(r.created_at), "incident_types": r.incident_types or [], "is_incident": r.is_incident,
        "countries": r.countries or [], "victim_nationality": r.victim_nationality,
        "max_ransom_usd": r.max_ransom_usd, "doc_count": r.doc_count, "facts": r.facts or empty_facts(),
        "facts_key": r.facts_key,
    }


def get_story(store: Store, story_id: int) -> dict[str, Any] | None:
    """One story with its documents (each with its extraction), why each joined, and a timeline."""
    with store.read() as s:
        story = s.get(Story, story_id)
        if story is None:
            return None
        docs = s.scalars(select(Document).where(Document.story_id == story_id)
                         .order_by(Document.published_at, Document.id)).all()
        links = s.scalars(select(StoryLink).where(StoryLink.story_id == story_id)).all()
        out = story_dict(story)
        out["documents"] = [document_dict(d, with_extraction=True) for d in docs]
        out["pinned"] = sorted(d.id for d in docs if d.story_pinned)
    by_doc = {link.document_id: link for link in links}
    out["links"] = [
        {"document_id": link.document_id, "matched_document_id": link.matched_document_id,
         "reason": link.reason, "score": link.score}
        for link in sorted(links, key=lambda x: (as_utc(x.linked_at), x.document_id))
    ]
    from storage.story_corrections import corrections_for

    out["corrections"] = corrections_for(store, story_id)
    out["timeline"] = [
        {"at": d["published_at"] or d["fetched_at"], "document_id": d["id"], "source": d["source"],
         "title": d["title"], "lang": d["lang"], "reason": by_doc[d["id"]].reason if d["id"] in by_doc else ""}
        for d in out["documents"]
    ]
    return out


def list_stories(
    store: Store, *, incidents_only: bool = False, since: datetime | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Stories most recently updated first; `since` keeps those updated at or after that time."""
    with store.read() as s:
        q = select(Story).order_by(Story.updated_at.desc(), Story.id.desc()).limit(limit)
        if incidents_only:
            q = q.where(Story.is_incident.is_(True))
        if since is not None:
            q = q.where(Story.updated_at >= since)
        return [story_dict(r) for r in s.scalars(q)]


def explain_pair(store: Store, doc_a: int, doc_b: int) -> str:
    """The identity evidence two documents have for and against their being one incident, in words."""
    with store.read() as s:
        rows = {i: (pub, lang, data) for i, pub, lang, data in s.execute(
            select(Document.id, Document.published_at, Document.lang, Extraction.data)
            .join(Extraction, Extraction.document_id == Document.id, isouter=True)
            .where(Document.id.in_([doc_a, doc_b])))}
    if doc_a not in rows or doc_b not in rows:
        return "no such document"
    a, b = (incident_from_extraction(i, rows[i][2] or {}, as_utc(rows[i][0]), rows[i][1]) for i in (doc_a, doc_b))
    return compare(a, b).explain()
