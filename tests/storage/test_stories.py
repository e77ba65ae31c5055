"""Stories: near-duplicates across outlets and one incident across languages merge, with reasons;
similar but different cases stay apart; facts_key changes only when a new fact appears."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.documents import get_document, save_extraction, upsert_document
from storage.stories import assign_stories, get_story, list_stories

YECHEON = {"name": "Yecheon", "country": "KR", "admin1": "North Gyeongsang", "geonameid": 1832257}
CAMBODIA = {"name": "Cambodia", "country": "KH", "admin1": None, "geonameid": 1831722}
KAMPOT = {"name": "Kampot", "country": "KH", "admin1": "Kampot", "geonameid": 1831112}
INCHEON = {"name": "Incheon", "country": "KR", "admin1": "Incheon", "geonameid": 1843564}

EN_BODY = (
    "A 22-year-old university student from Yecheon, North Gyeongsang Province, was abducted near Bokor "
    "after flying out for a promised call-centre job. Relatives were told to pay 50 million won ($38,500)."
)
KO_BODY = "경북 예천 출신 대학생 ㄱ씨(22)가 보코르 인근에서 납치됐다. 가족은 몸값으로 5천만원을 요구받았다고 밝혔다."
OTHER_BODY = (
    "A 31-year-old office worker from Incheon was confined at a compound in Kampot province and his "
    "captors asked his family for $20,000, according to the consular office."
)


def _doc(store, n: int, body: str, lang: str, day: int, source: str = "src", title: str = ""):  # type: ignore[no-untyped-def]
    return upsert_document(store, {
        "item_id": f"{source}/{n}", "source_key": source, "url": f"https://example.com/{source}/{n}",
        "canonical_url": f"https://example.com/{source}/{n}", "title": title or body[:30], "body": body, "lang": lang,
        "published_at": datetime(2025, 8, day, 9, tzinfo=UTC),
    }).id


def _extract(store, doc_id: int, *, ages=(), usd=(), places=(), types=("kidnapping",), relevant=True) -> None:  # type: ignore[no-untyped-def]
    save_extraction(store, doc_id, {
        "relevant": relevant, "incident_types": list(types), "victim_nationality": "KR",
        "victim_ages": [{"value": a} for a in ages],
        "ransoms": [{"amount": u, "currency": "USD", "usd": u} for u in usd],
        "places": [dict(p) for p in places],
    }, "test")


def test_korean_and_english_reports_of_one_case_merge_with_a_reason(store) -> None:  # type: ignore[no-untyped-def]
    en = _doc(store, 1, EN_BODY, "en", 1, source="yonhap-en")
    ko = _doc(store, 2, KO_BODY, "ko", 3, source="yonhap-ko")
    _extract(store, en, ages=[22], usd=[38500], places=[YECHEON, CAMBODIA])
    _extract(store, ko, ages=[22], usd=[36700], places=[YECHEON, CAMBODIA])
    changes = assign_stories(store, [en, ko])
    assert len(changes) == 1 and changes[0].created and changes[0].doc_ids == [en, ko]
    story = get_story(store, changes[0].story_id)
    assert story["doc_count"] == 2 and story["is_incident"]
    reason = next(link["reason"] for link in story["links"] if link["document_id"] == ko)
    assert "same age 22" in reason and "same place Yecheon" in reason and "same ransom" in reason
    assert "published within 2 days" in reason and reason.startswith("score ")
    assert story["facts"]["ransoms_usd"] == [38500]  # 36,700 is the same ransom, converted
    assert [t["document_id"] for t in story["timeline"]] == [en, ko]


def test_similar_cases_with_different_victims_stay_apart(store) -> None:  # type: ignore[no-untyped-def]
    a = _doc(store, 1, EN_BODY, "en", 1)
    b = _doc(store, 2, OTHER_BODY, "en", 2)
    c = _doc(store, 3, KO_BODY.replace("22", "24"), "ko", 2)
    _extract(store, a, ages=[22], usd=[38500], places=[YECHEON, CAMBODIA])
    _extract(store, b, ages=[31], usd=[20000], places=[INCHEON, KAMPOT, CAMBODIA])
    _extract(store, c, ages=[24], usd=[38500], places=[YECHEON, CAMBODIA])  # same place and ransom, other age
    changes = assign_stories(store, [a, b, c])
    assert len(changes) == 3 and all(ch.created for ch in changes)


def test_near_duplicate_from_another_outlet_joins_by_minhash(store) -> None:  # type: ignore[no-untyped-def]
    a = _doc(store, 1, EN_BODY, "en", 1, source="outlet-a")
    b = _doc(store, 2, EN_BODY.replace("Relatives were", "His relatives were"), "en", 1, source="outlet-b")
    _extract(store, a, places=[CAMBODIA])
    _extract(store, b, places=[CAMBODIA])
    changes = assign_stories(store, [a, b])
    assert len(changes) == 1
    link = next(x for x in get_story(store, changes[0].story_id)["links"] if x["document_id"] == b)
    assert link["reason"].startswith("minhash ") and link["reason"].endswith(f"with doc {a}")
    assert link["matched_document_id"] == a and link["score"] >= 0.5


def test_facts_key_changes_only_on_a_new_fact(store) -> None:  # type: ignore[no-untyped-def]
    first = _doc(store, 1, EN_BODY, "en", 1)
    same = _doc(store, 2, KO_BODY, "ko", 2)
    newer = _doc(store, 3, KO_BODY + " 그는 숨진 채 발견됐다.", "ko", 4, source="other")
    _extract(store, first, ages=[22], usd=[38500], places=[YECHEON])
    _extract(store, same, ages=[22], usd=[38500], places=[YECHEON])
    _extract(store, newer, ages=[22], usd=[38500], places=[YECHEON], types=("kidnapping", "death"))
    story_id = assign_stories(store, [first])[0].story_id
    key = get_story(store, story_id)["facts_key"]
    [again] = assign_stories(store, [same])
    assert again.story_id == story_id and not again.created and not again.facts_changed
    assert get_story(store, story_id)["facts_key"] == key
    [update] = assign_stories(store, [newer])
    assert update.story_id == story_id and update.facts_changed
    story = get_story(store, story_id)
    assert story["facts_key"] != key and story["facts"]["deaths"] == 1 and "death" in story["incident_types"]


def test_irrelevant_documents_stay_out_and_a_follow_up_weeks_later_joins(store) -> None:  # type: ignore[no-untyped-def]
    a = _doc(store, 1, EN_BODY, "en", 1)
    noise = _doc(store, 2, "Stock markets rose on Tuesday as exporters gained ground in Seoul trading.", "en", 1)
    late = _doc(store, 3, KO_BODY, "ko", 28)  # same victim, hometown and ransom four weeks later: a follow-up
    _extract(store, a, ages=[22], usd=[38500], places=[YECHEON])
    _extract(store, noise, relevant=False, types=())
    _extract(store, late, ages=[22], usd=[38500], places=[YECHEON])
    changes = assign_stories(store, [a, noise, late])
    assert [c.doc_ids for c in changes] == [[a, late]]
    assert get_document(store, noise)["story_id"] is None
    listed = list_stories(store, incidents_only=True, since=datetime.now(UTC) - timedelta(hours=1))
    assert {s["id"] for s in listed} == {c.story_id for c in changes}


def test_same_admin1_without_place_ids_still_merges(store) -> None:  # type: ignore[no-untyped-def]
    en = _doc(store, 1, EN_BODY, "en", 1)
    ko = _doc(store, 2, KO_BODY, "ko", 1)
    gyeongbuk = {"name": "경북", "country": "KR", "admin1": "North Gyeongsang", "geonameid": None}
    _extract(store, en, ages=[22], places=[YECHEON])
    _extract(store, ko, ages=[22], places=[gyeongbuk])
    changes = assign_stories(store, [en, ko])
    assert len(changes) == 1
    reason = next(x["reason"] for x in get_story(store, changes[0].story_id)["links"] if x["document_id"] == ko)
    assert "same age 22" in reason and "same province North Gyeongsang" in reason


PHNOM_PENH = {"name": "Phnom Penh", "country": "KH", "admin1": "Phnom Penh", "geonameid": 1821306}
BAVET = {"name": "Bavet", "country": "KH", "admin1": "Svay Rieng", "geonameid": 1831167}


def _extract_group(store, doc_id: int, count: int, places) -> None:  # type: ignore[no-untyped-def]
    save_extraction(store, doc_id, {
        "relevant": True, "incident_types": ["detention", "repatriation"], "victim_nationality": "KR",
        "victim_count": count, "victim_ages": [], "ransoms": [], "places": [dict(p) for p in places],
    }, "test")


def test_a_group_of_the_same_size_in_the_same_place_merges_across_languages(store) -> None:  # type: ignore[no-untyped-def]
    en = _doc(store, 1, "Sixty-four Koreans held in Phnom Penh will be flown home.", "en", 1, source="yonhap-en")
    ko = _doc(store, 2, "프놈펜에 구금된 한국인 64명이 전세기로 송환된다.", "ko", 1, source="yonhap-ko")
    _extract_group(store, en, 64, [PHNOM_PENH, CAMBODIA])
    _extract_group(store, ko, 64, [PHNOM_PENH, CAMBODIA])
    changes = assign_stories(store, [en, ko])
    assert len(changes) == 1
    story = get_story(store, changes[0].story_id)
    reason = next(link["reason"] for link in story["links"] if link["document_id"] == ko)
    assert "same number of people 64" in reason and "same place Phnom Penh" in reason


def test_groups_of_other_sizes_or_small_groups_stay_apart(store) -> None:  # type: ignore[no-untyped-def]
    a = _doc(store, 1, "Sixty-four Koreans held in Phnom Penh will be flown home.", "en", 1, source="a")
    b = _doc(store, 2, "Fifteen Koreans held in Phnom Penh were deported.", "en", 2, source="b")
    c = _doc(store, 3, "Two Koreans were freed in Phnom Penh.", "en", 2, source="c")
    d = _doc(store, 4, "Two Koreans were detained in Phnom Penh.", "en", 3, source="d")
    _extract_group(store, a, 64, [PHNOM_PENH])
    _extract_group(store, b, 15, [PHNOM_PENH])
    _extract_group(store, c, 2, [PHNOM_PENH])
    _extract_group(store, d, 2, [PHNOM_PENH])  # same place and a count of two: not specific enough
    changes = assign_stories(store, [a, b, c, d])
    assert len(changes) == 4 and all(ch.created for ch in changes)
