"""Reprocessing gives the same stories: a store processed twice, or processed by an older pipeline and
then reprocessed, ends with the stories a fresh store gets; analysts' corrections survive."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import nlp
from monitor import processing
from monitor.processing import process_pending
from storage.documents import get_document, upsert_document
from storage.repository import Store
from storage.stories import get_story
from storage.story_corrections import merge_stories

# Invented coverage: one kidnapping told three times (en, ko, en), a rescue elsewhere told twice, and a
# death in another province; published over three days.
CASES = [
    (1, "en", "A 31-year-old South Korean surnamed Jang was kidnapped in Kampot on September 2, police said."),
    (2, "en", "Cambodian police rescued four South Korean men held in a building in Poipet on September 3."),
    (2, "ko", "전남 여수시 출신 장모(31)씨가 지난 2일 캄보디아 캄폿에서 납치됐다고 경찰이 밝혔다."),
    (3, "ko", "캄보디아 경찰이 3일 포이펫의 한 건물에 감금돼 있던 한국인 남성 4명을 구출했다."),
    (3, "en", "Jang, 31, from Yeosu, was freed by Kampot police a day after relatives were asked for $20,000."),
    (4, "en", "The body of a Korean woman in her 50s was found at a hotel in Siem Reap on September 4."),
]


def _add_all(store: Store) -> list[int]:
    return [upsert_document(store, {
        "item_id": f"r/{n}", "source_key": f"outlet-{n % 3}", "url": f"https://r.example/{n}",
        "canonical_url": f"https://r.example/{n}", "title": body[:60], "body": body, "lang": lang,
        "published_at": datetime(2025, 9, day, 9, tzinfo=UTC),
    }).id for n, (day, lang, body) in enumerate(CASES)]


def grouping(store: Store, ids: list[int]) -> set[frozenset[int]]:
    """The stories as sets of document positions (story ids differ between stores)."""
    stories: dict[int, set[int]] = {}
    for pos, doc_id in enumerate(ids):
        story_id = get_document(store, doc_id)["story_id"]
        if story_id is not None:
            stories.setdefault(story_id, set()).add(pos)
    return {frozenset(v) for v in stories.values()}


def _one_big_incident(doc: dict[str, Any]) -> dict[str, Any]:
    """An 'older pipeline' that reads every report as the same incident (the same site, victim and day)."""
    return {"id": doc["id"], "relevant": True, "lang": doc.get("lang"), "incident_types": ["kidnapping"],
            "places": [], "victim_ages": [{"value": 40, "start": 5}], "ransoms": [],
            "identity": {"lead_chars": 200, "sites": [{"id": "kk-park", "lead": True}],
                         "people": [{"kind": "surname", "key": "kim", "given": "", "age": 40}],
                         "dates": [], "counts": [], "sums": [], "sex": []}}


@pytest.fixture
def fresh(tmp_path) -> tuple[set[frozenset[int]], dict[int, int]]:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        ids = _add_all(store)
        process_pending(store)
        return grouping(store, ids), {d: get_document(store, d)["story_id"] for d in ids}
    finally:
        store.close()


def _process_with_old_pipeline(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(nlp, "PIPELINE_VERSION", "old-pipeline")
        m.setattr(processing, "extract_document", _one_big_incident)
        process_pending(store)


def test_processing_twice_gives_the_same_stories_under_the_same_ids(store, fresh) -> None:  # type: ignore[no-untyped-def]
    want, _ = fresh
    ids = _add_all(store)
    process_pending(store)
    before = {d: get_document(store, d)["story_id"] for d in ids}
    assert grouping(store, ids) == want and len(want) == 3  # the kidnapping, the rescue, the death
    report = process_pending(store, reprocess=True, everything=True)
    assert report.rebuilt == sum(len(g) for g in want) and report.documents == len(ids)
    assert grouping(store, ids) == want
    assert {d: get_document(store, d)["story_id"] for d in ids} == before  # founders take their ids back


def test_reprocessing_after_a_pipeline_change_gives_a_fresh_stores_stories(store, fresh, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    want, _ = fresh
    ids = _add_all(store)
    _process_with_old_pipeline(store, monkeypatch)
    assert grouping(store, ids) == {frozenset(range(len(ids)))}  # the old pipeline merged everything
    report = process_pending(store, reprocess=True)  # only the documents of the older version
    assert report.rebuilt == len(ids)
    assert grouping(store, ids) == want
    for story_id in {get_document(store, d)["story_id"] for d in ids} - {None}:
        story = get_story(store, story_id)
        assert story["doc_count"] == len(story["documents"]) and story["links"]
        assert {link["document_id"] for link in story["links"]} == {d["id"] for d in story["documents"]}


def test_corrections_survive_a_rebuild(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = _add_all(store)
    process_pending(store)
    rescue, death = get_document(store, ids[1])["story_id"], get_document(store, ids[5])["story_id"]
    merged = merge_stories(store, rescue, death, actor="analyst kim", note="one raid")  # pins 1, 3 and 5
    _process_with_old_pipeline_again(store, monkeypatch)  # the unpinned kidnapping reports move about
    process_pending(store, reprocess=True)  # and are placed again by the current pipeline
    after = {d: get_document(store, d)["story_id"] for d in ids}
    assert after[ids[1]] == after[ids[3]] == after[ids[5]] == rescue  # the analyst's merge holds
    assert after[ids[0]] == after[ids[2]] not in (rescue, None)
    story = get_story(store, rescue)
    assert story["doc_count"] == 3 and sorted(story["pinned"]) == sorted([ids[1], ids[3], ids[5]])
    assert [c["id"] for c in story["corrections"]] == [merged.correction_id]


def _process_with_old_pipeline_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(nlp, "PIPELINE_VERSION", "old-pipeline")
        m.setattr(processing, "extract_document", _one_big_incident)
        process_pending(store, reprocess=True)
    assert grouping(store, [get_document(store, 1)["id"]]) != set()


def test_an_interrupted_rebuild_is_finished_by_the_next_run(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = _add_all(store)
    process_pending(store)
    want = grouping(store, ids)

    def broken(doc: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("killed")

    with monkeypatch.context() as m:
        m.setattr(processing, "extract_document", broken)
        report = process_pending(store, reprocess=True, everything=True)
    assert report.failed == len(ids) and grouping(store, ids) == set()  # taken apart, nothing placed yet
    process_pending(store)  # the next scheduled run places what the interrupted one left
    assert grouping(store, ids) == want
