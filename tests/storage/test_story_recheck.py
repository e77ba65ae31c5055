"""Automatic split: a story that took a loosely fitting report is split when a newer report tells the
two incidents apart; recorded as a correction by "system"; pinned reports never move."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.documents import get_document, save_extraction, upsert_document
from storage.identity import incident_from_extraction
from storage.stories import assign_stories, get_story
from storage.story_corrections import merge_stories
from storage.story_recheck import plan_split

TOWN = {"name": "Chbar Ampov", "country": "KH", "admin1": "Phnom Penh", "geonameid": 990001, "start": 5}


def _facts(*, age: int | None = None, age_range: tuple[int, int] | None = None, surname: str = "",
           site: str = "", day: int = 2) -> dict[str, Any]:
    people = [{"kind": "surname", "key": surname, "given": "", "age": age}] if surname else []
    return {"relevant": True, "incident_types": ["kidnapping"], "victim_nationality": "KR", "lang": "en",
            "places": [dict(TOWN)], "ransoms": [],
            "victim_ages": [{"value": age, "start": 20}] if age else [],
            "victim_age_ranges": [{"low": age_range[0], "high": age_range[1]}] if age_range else [],
            "identity": {"lead_chars": 300, "people": people, "sites": [{"id": site, "lead": True}] if site else [],
                         "dates": [{"year": 2025, "month": 9, "day": day, "weekday": None, "month_offset": 0,
                                    "lead": True}],
                         "counts": [], "sums": [], "sex": [], "incident_cue": True}}


KIM = _facts(age=31, surname="kim")  # Kim, 31, kidnapped in the town on September 2
SOMEONE = _facts(age_range=(30, 39), site="tuek-thla")  # "a Korean in his 30s", at the pagoda, same day
PARK = _facts(age=36, surname="park", site="tuek-thla")  # Park, 36, at the pagoda: the 30s man is Park


def _place(store, n: int, facts: dict[str, Any], published_day: int) -> int:  # type: ignore[no-untyped-def]
    doc_id = upsert_document(store, {
        "item_id": f"s/{n}", "source_key": f"outlet{n}", "url": f"https://s.example/{n}",
        "canonical_url": f"https://s.example/{n}", "title": f"report {n}", "body": f"report {n}", "lang": "en",
        "published_at": datetime(2025, 9, published_day, 9, tzinfo=UTC)}).id
    save_extraction(store, doc_id, facts, "test")
    assign_stories(store, [doc_id])
    return doc_id


def _story(store, doc_id: int) -> int:  # type: ignore[no-untyped-def]
    return get_document(store, doc_id)["story_id"]


def test_a_newer_report_that_tells_two_incidents_apart_splits_the_story(store) -> None:  # type: ignore[no-untyped-def]
    kim, someone = _place(store, 1, KIM, 4), _place(store, 2, SOMEONE, 4)
    assert _story(store, kim) == _story(store, someone)  # the loose fit joined: same town, same day
    park = _place(store, 3, PARK, 5)
    assert _story(store, someone) == _story(store, park) != _story(store, kim)
    story = get_story(store, _story(store, park))
    [split] = story["corrections"]
    assert split["action"] == "split" and split["actor"] == "system" and split["created_at"]
    assert split["story_id"] == _story(store, kim) and split["document_ids"] == [someone, park]
    assert "contradicts the story's first report" in split["note"] and "ages 36 vs 31" in split["note"]
    assert story["pinned"] == [] and story["doc_count"] == 2
    assert get_story(store, _story(store, kim))["doc_count"] == 1
    assert get_story(store, _story(store, kim))["corrections"] == [split]  # shown on both stories


def test_pinned_reports_never_move(store) -> None:  # type: ignore[no-untyped-def]
    kim, someone = _place(store, 1, KIM, 4), _place(store, 2, SOMEONE, 4)
    other = _place(store, 9, _facts(age=60, surname="lee", day=20), 22)
    merge_stories(store, _story(store, kim), _story(store, other), actor="analyst")  # pins kim, someone, other
    park = _place(store, 3, PARK, 5)
    assert _story(store, someone) == _story(store, kim) == _story(store, park)  # it joined, nothing moved
    assert [c["actor"] for c in get_story(store, _story(store, kim))["corrections"]] == ["analyst"]


def test_a_report_that_only_contradicts_the_first_one_splits_nothing() -> None:
    published = datetime(2025, 9, 4, tzinfo=UTC)
    kim = incident_from_extraction(1, KIM, published)
    kim_again = incident_from_extraction(2, _facts(age=31, surname="kim", site="tuek-thla"), published)
    park = incident_from_extraction(3, PARK, published)
    someone = incident_from_extraction(4, SOMEONE, published)
    assert plan_split(park, [kim, kim_again]) is None  # nobody earlier sides with Park
    plan = plan_split(park, [kim, someone])
    assert plan is not None and plan.move == [3, 4]
    assert plan_split(park, [kim, someone], pinned=frozenset({4})) is None


def test_a_rebuild_splits_again_under_the_same_story_ids(store) -> None:  # type: ignore[no-untyped-def]
    from storage.story_rebuild import detach_for_rebuild

    ids = [_place(store, 1, KIM, 4), _place(store, 2, SOMEONE, 4), _place(store, 3, PARK, 5)]
    before = {d: _story(store, d) for d in ids}
    rebuild = detach_for_rebuild(store, "test", everything=True)
    assert rebuild.detached == 3 and {_story(store, d) for d in ids} == {None}
    assign_stories(store, ids, rebuild=rebuild)
    assert {d: _story(store, d) for d in ids} == before
    splits = get_story(store, before[ids[2]])["corrections"]
    assert [c["actor"] for c in splits] == ["system"]  # the replayed split is the one recorded already
