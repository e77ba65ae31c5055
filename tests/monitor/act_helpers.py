"""Builders for the act tests: invented documents, extractions and stories written straight through
the models, so rule, outbox and digest tests control every fact they assert on."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models import Document, Extraction, Story
from storage.repository import Store

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
KIDNAP_BODY = (
    "Police in Sihanoukville said a 24-year-old South Korean man was held in a compound and his family "
    "was asked to pay a ransom of $20,000 for his release."
)


def extraction(
    types: list[str], nationality: str | None = "KR", *, ransom_usd: float | None = None, age: int | None = None,
    place: str | None = "Sihanoukville", body: str = KIDNAP_BODY, relevant: bool = True,
) -> dict[str, Any]:
    """An nlp Extraction dict whose spans point into `body`."""
    data: dict[str, Any] = {
        "lang": "en", "places": [], "victim_ages": [], "ransoms": [], "incident_types": types,
        "victim_nationality": nationality, "victim_count": 1, "relevant": relevant,
    }
    if place and place in body:
        start = body.index(place)
        data["places"].append({"text": place, "name": place, "country": "KH", "admin1": "Preah Sihanouk",
                               "geonameid": 1831142, "lat": 10.6, "lon": 103.5, "start": start,
                               "end": start + len(place)})
    if ransom_usd is not None and "$20,000" in body:
        start = body.index("$20,000")
        data["ransoms"].append({"text": "$20,000", "amount": ransom_usd, "currency": "USD", "usd": ransom_usd,
                                "start": start, "end": start + 7})
    if age is not None and "24-year-old" in body:
        start = body.index("24-year-old")
        data["victim_ages"].append({"value": age, "text": "24-year-old", "start": start, "end": start + 11})
    return data


def add_story(
    store: Store, *, title: str, data: dict[str, Any], docs: int = 1, when: datetime = T0, source: str = "khmer-times",
    lang: str = "en", body: str = KIDNAP_BODY, created: datetime | None = None,
) -> int:
    """A story of `docs` documents sharing one extraction, published `when` and made by deskwatch
    `created` (default: `when`); facts_key derives from the facts."""
    with store.write() as s:
        story = Story(title=title, first_seen=when, last_seen=when, updated_at=created or when, created_at=created or when)
        s.add(story)
        s.flush()
        for i in range(docs):
            url = f"https://example.org/{source}/{story.id}-{i}"
            doc = Document(
                item_id=f"{source}/{story.id}-{i}", source_key=source, url=url, canonical_url=url,
                url_hash=hashlib.sha1(url.encode()).hexdigest(), title=f"{title} ({i})", body=body, lang=lang,
                published_at=when - timedelta(hours=i), fetched_at=when, updated_at=when,
                content_hash=hashlib.sha256(f"{url}{body}".encode()).hexdigest(), story_id=story.id,
            )
            s.add(doc)
            s.flush()
            s.add(Extraction(document_id=doc.id, pipeline_version="test", relevant=data.get("relevant", True),
                             incident_types=data["incident_types"], victim_nationality=data["victim_nationality"],
                             data=data, extracted_at=when))
        _set_facts(story, data, docs, created or when)
        return story.id


def _set_facts(story: Story, data: dict[str, Any], docs: int, when: datetime) -> None:
    usd = [r["usd"] for r in data["ransoms"]]
    story.incident_types = list(data["incident_types"])
    story.is_incident = bool(data["incident_types"])
    story.countries = sorted({p["country"] for p in data["places"]})
    story.victim_nationality = data["victim_nationality"]
    story.max_ransom_usd = max(usd) if usd else None
    story.doc_count = docs
    story.facts = {"types": sorted(data["incident_types"]), "ransoms_usd": sorted(usd),
                   "ages": sorted(a["value"] for a in data["victim_ages"])}
    story.facts_key = hashlib.sha1(repr(sorted(story.facts.items())).encode()).hexdigest()[:16]
    story.updated_at = when


def add_fact(store: Store, story_id: int, *, ransom_usd: float, when: datetime) -> None:
    """The story gains a ransom figure: its facts_key changes, as the real story merger does."""
    with store.write() as s:
        story = s.get(Story, story_id)
        assert story is not None
        data = extraction(list(story.incident_types), story.victim_nationality, ransom_usd=ransom_usd, age=24)
        _set_facts(story, data, story.doc_count, when)
