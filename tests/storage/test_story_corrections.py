"""Hand corrections: merge two stories, split reports out; recorded with who and when, shown on the
story, counted by the digest query, and never undone by reprocessing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.processing import process_pending
from storage.digests import incident_stories_between
from storage.documents import get_document, save_extraction, upsert_document
from storage.stories import get_story
from storage.story_corrections import CorrectionError, corrections_for, merge_stories, split_story

CASES = [
    ("en", "A 31-year-old South Korean surnamed Jang was kidnapped in Kampot on September 2, police said."),
    ("ko", "전남 여수시 출신 장모(31)씨가 지난 2일 캄보디아 캄폿에서 납치됐다고 경찰이 밝혔다."),
    ("en", "Cambodian police rescued four South Korean men held in a building in Poipet on September 3."),
]


def _add(store, n: int, lang: str, body: str):  # type: ignore[no-untyped-def]
    return upsert_document(store, {
        "item_id": f"c/{n}", "source_key": "c", "url": f"https://c.example/{n}", "canonical_url": f"https://c.example/{n}",
        "title": body[:50], "body": body, "lang": lang, "published_at": datetime(2025, 9, 4, 9, tzinfo=UTC),
    }).id


@pytest.fixture
def placed(store):  # type: ignore[no-untyped-def]
    ids = [_add(store, n, lang, body) for n, (lang, body) in enumerate(CASES)]
    process_pending(store)
    return store, ids, [get_document(store, i)["story_id"] for i in ids]


def test_merge_moves_every_report_records_who_and_survives_reprocessing(placed) -> None:  # type: ignore[no-untyped-def]
    store, ids, stories = placed
    assert stories[0] == stories[1] and stories[2] != stories[0]  # the kidnapping and the rescue are apart
    result = merge_stories(store, stories[0], stories[2], actor="analyst kim", note="same compound")
    assert result.story_id == stories[0] and result.document_ids == [ids[2]]
    story = get_story(store, stories[0])
    assert story["doc_count"] == 3 and sorted(story["pinned"]) == sorted(ids)
    [correction] = story["corrections"]
    assert correction["action"] == "merge" and correction["actor"] == "analyst kim" and correction["created_at"]
    assert get_story(store, stories[2]) is None
    link = next(x for x in story["links"] if x["document_id"] == ids[2])
    assert link["reason"] == f"merged by hand from story {stories[2]} by analyst kim"
    process_pending(store, reprocess=True)  # same pipeline version: nothing moves
    save_extraction(store, ids[2], {"relevant": True, "incident_types": ["rescue"]}, "older")
    process_pending(store, reprocess=True)
    assert {get_document(store, i)["story_id"] for i in ids} == {stories[0]}


def test_split_moves_a_report_out_and_it_stays_out(placed) -> None:  # type: ignore[no-untyped-def]
    store, ids, stories = placed
    result = split_story(store, stories[0], [ids[1]], actor="analyst lee")
    assert result.story_id not in stories and get_document(store, ids[1])["story_id"] == result.story_id
    assert get_story(store, stories[0])["doc_count"] == 1 and get_story(store, result.story_id)["doc_count"] == 1
    assert [c["action"] for c in corrections_for(store, result.story_id)] == ["split"]
    save_extraction(store, ids[1], {"relevant": True, "incident_types": ["kidnapping"]}, "older")
    process_pending(store, reprocess=True)
    assert get_document(store, ids[1])["story_id"] == result.story_id


def test_the_digest_counts_incidents_after_a_merge(placed) -> None:  # type: ignore[no-untyped-def]
    store, _, stories = placed
    now = datetime.now(UTC)
    before = sum(len(v) for v in incident_stories_between(store, now - timedelta(hours=1), now + timedelta(hours=1)).values())
    merge_stories(store, stories[0], stories[2], actor="analyst")
    after = sum(len(v) for v in incident_stories_between(store, now - timedelta(hours=1), now + timedelta(hours=1)).values())
    assert after == before - 1


def test_bad_corrections_are_clear_errors(placed) -> None:  # type: ignore[no-untyped-def]
    store, ids, stories = placed
    with pytest.raises(CorrectionError, match="itself"):
        merge_stories(store, stories[0], stories[0], actor="a")
    with pytest.raises(CorrectionError, match="no story 9999"):
        merge_stories(store, stories[0], 9999, actor="a")
    with pytest.raises(CorrectionError, match=f"not in story {stories[0]}"):
        split_story(store, stories[0], [ids[2]], actor="a")
    with pytest.raises(CorrectionError, match="empty story"):
        split_story(store, stories[2], [ids[2]], actor="a")
