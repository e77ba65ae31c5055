"""The identity facts nlp finds in text: date mentions, people, sites, counts, sums, incident cues."""
from __future__ import annotations

import pytest

import nlp
from nlp.components.identity import find_counts, find_dates, find_identity, find_people, find_sites, find_sums
from nlp.components.identity_names import given_skeleton, ko_given_skeleton


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("그는 지난 8월 출국했다", "ko", [(None, 8, None, 0)]),
    ("경찰은 17일 그를 구조했다", "ko", [(None, None, 17, 0)]),
    ("지난달 15일 급습했다", "ko", [(None, None, 15, -1)]),
    ("2024년 3월 5일 체포됐다", "ko", [(2024, 3, 5, 0)]),
    ("He was taken on July 17 near the border", "en", [(None, 7, 17, 0)]),
    ("She left in August for a job", "en", [(None, 8, None, 0)]),
    ("Published: 21 Oct. 2025", "en", [(2025, 10, 21, 0)]),
    ("ប៉ូលិសបានជួយសង្គ្រោះនៅថ្ងៃទី១៧ ខែតុលា ឆ្នាំ២០២៥", "km", [(2025, 10, 17, 0)]),
    ("គាត់ត្រូវបានចាប់ខ្លួនកាលពីថ្ងៃទី៣ ខែសីហា", "km", [(None, 8, 3, 0)]),
    ("កាលពីខែកក្កដា", "km", [(None, 7, None, 0)]),
])
def test_date_mentions(text: str, lang: str, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    found = [(d["year"], d["month"], d["day"], d["month_offset"]) for d in find_dates(text, lang)]
    assert found == expected


def test_durations_are_not_dates() -> None:
    assert find_dates("그는 30일간 감금됐고 두 달 만에 풀려났다", "ko") == []


def test_last_weekday_is_kept_for_resolution() -> None:
    [d] = find_dates("police said last Thursday", "en")
    assert d["weekday"] == 3


def test_people_surnames_initials_and_names_in_both_scripts() -> None:
    ko = find_people("총책 최모(35)씨와 B씨(27), 그리고 윤모 씨가 검거됐다. 한동훈 경정이 밝혔다.", "ko")
    got = {(p["kind"], p["key"], p["age"]) for p in ko}
    assert {("surname", "choi", 35), ("initial", "b", 27), ("surname", "yoon", None)} <= got
    later = find_people("경찰은 C(26)씨 등 17명을 검거했다", "ko")  # the initial before the age: C(26)씨
    assert [(p["kind"], p["key"], p["age"]) for p in later] == [("initial", "c", 26)]
    assert any(p["kind"] == "name" and p["key"] == "han" for p in ko)
    en = find_people("The leader, Choi (34), and a 27-year-old identified only as B were held.", "en")
    assert {("surname", "choi", 34), ("initial", "b", 27)} <= {(p["kind"], p["key"], p["age"]) for p in en}


def test_given_names_meet_across_scripts() -> None:
    assert ko_given_skeleton("동훈") == given_skeleton("Dong-hoon")
    assert ko_given_skeleton("서연") == given_skeleton("Seo-yeon")


def test_named_sites_and_kinds_of_site() -> None:
    assert {s["id"] for s in find_sites("Workers fled KK Park to a hotel", "en")} == {"kk-park", "kind:hotel"}
    assert "kk-park" in {s["id"] for s in find_sites("미얀마 KK파크 단지", "ko")}


def test_counted_people_in_words_and_digits() -> None:
    assert [c["value"] for c in find_counts("Eleven South Koreans and 2,150 foreigners were detained", "en")] == [11, 2150]
    assert [c["value"] for c in find_counts("한국인 27명과 시신 3구", "ko")] == [27, 3]
    assert [c["value"] for c in find_counts("한국인 ១២ នាក់", "km")] == [12]


def test_large_sums_in_won_from_either_language() -> None:
    [ko] = find_sums("피해액은 85억원에 이른다", "ko")
    [en] = find_sums("losses of 8.5 billion won", "en")
    assert ko["krw"] == en["krw"] == 8.5e9


def test_the_title_is_read_and_marked() -> None:
    found = find_identity("", "ko", title="[속보] 강모(41)씨 바벳서 납치…한국인 3명 감금")
    assert found["incident_cue"] and found["people"][0]["in_title"] and found["people"][0]["lead"]
    assert [c["value"] for c in found["counts"]] == [3]


def test_every_extraction_carries_identity_even_below_the_relevance_gate() -> None:
    # Below the gate with no incident cue a report can join no story (storage.stories): the identity is
    # there, empty, and its look-ups are skipped; with a cue or past the gate the sites are read.
    result = nlp.extract("Tourists enjoyed the KK Park riverside on July 4.", "en")
    assert result.identity is not None and not result.identity["incident_cue"] and result.identity["sites"] == []
    held = nlp.extract("Two South Koreans were held captive at KK Park on July 4.", "en")
    assert "kk-park" in {s["id"] for s in held.identity["sites"]} and held.identity["incident_cue"]


@pytest.mark.parametrize(("text", "lang"), [
    ("경찰은 정확한 사망 경위를 조사하고 있다", "ko"),  # 'exact circumstances of death': no Mr Jeong, inspector
    ("현지 경찰은 석방된 경위를 살펴볼 계획이다", "ko"),
    ("근무시간 전이라는 이유로 대사관에 들어가지 못했다", "ko"),
    ("공동조사팀은 사기 범죄 전담팀 단장과 면담했다", "ko"),
    ("police raided a pool villa in the Bang Lamung area", "en"),  # a place, not Mr Bang
])
def test_common_words_and_places_are_no_people(text: str, lang: str) -> None:
    assert [p for p in find_people(text, lang) if p["kind"] == "name"] == []


def test_names_with_their_roles_stay_people() -> None:
    found = find_people("김병주 더불어민주당 최고위원과 오영훈 수사과장이 밝혔다", "ko")
    assert {(p["key"], p["given"]) for p in found if p["kind"] == "name"} == {("kim", "pnkc"), ("oh", "nkhn")}
