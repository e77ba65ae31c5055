"""Incident types and victim nationality by class, on invented sentences shaped like real reporting."""
from __future__ import annotations

import pytest

from nlp import extract


def types(text: str, lang: str) -> set[str]:
    return set(extract(text, lang).incident_types)


def nationality(text: str, lang: str) -> str | None:
    return extract(text, lang).victim_nationality


@pytest.mark.parametrize("text,lang,present,absent", [
    # a victim held against their will is a detention
    ("A South Korean engineer was held captive for three weeks in a compound in Kandal.", "en",
     {"detention"}, {"arrest"}),
    ("캄보디아 범죄단지에 한 달간 감금됐던 한국인 남성이 풀려났다.", "ko", {"detention"}, set()),
    ("A Korean worker escaped from a guarded compound in Poipet and walked to the border.", "en",
     {"detention"}, set()),
    # police detaining or arresting suspects is an arrest, not a detention
    ("Thai police detained two Korean suspects wanted for fraud, officers said.", "en", {"arrest"}, {"detention"}),
    ("경찰은 캄보디아 범죄단지 모집책 B씨를 체포해 구속했다고 밝혔다.", "ko", {"arrest"}, {"detention"}),
    # Koreans kidnapped anywhere are kidnappings
    ("Pirates hijacked a tanker off Ghana and took two South Korean crew members hostage.", "en",
     {"kidnapping"}, set()),
    ("서아프리카 해역에서 한국인 선원 3명이 해적에 피랍됐다고 외교부가 밝혔다.", "ko", {"kidnapping"}, set()),
    ("Gunmen seized four South Korean oil workers from a barge in the Niger Delta.", "en", set(), set()),
    # a release bought by the family is a ransom paid, not a rescue
    ("A Korean trader kidnapped in Phnom Penh was freed after his brother paid the gang 40,000 dollars.", "en",
     {"kidnapping"}, {"rescue"}),
    ("가족이 몸값 3천만 원을 송금한 뒤에야 납치된 한국인 남성이 풀려났다.", "ko", {"kidnapping"}, {"rescue"}),
    # hedged, planned, hoped-for and denied events are not reported events
    ("Officials warned that job seekers can be detained and beaten in such compounds in Cambodia.", "en",
     set(), {"detention", "torture"}),
    ("The ministry plans to repatriate the remaining Koreans held in Cambodia next month.", "en",
     set(), {"repatriation"}),
    ("The provincial governor denied that anyone had been detained or tortured at the casino in Cambodia.", "en",
     set(), {"detention", "torture"}),
])
def test_incident_type_classes(text: str, lang: str, present: set[str], absent: set[str]) -> None:
    found = types(text, lang)
    assert present <= found and not (absent & found), found


@pytest.mark.parametrize("text,lang", [
    # fiction: a film or drama's plot is not an incident
    (("The new film 'Stolen Days' stars Kim Hae-won as a diplomat kidnapped in Beirut. The movie opens in "
     "cinemas next week and the cast praised the director's screenplay about the hostage rescue."), "en"),
    ("영화 '귀환'은 해외에서 납치된 한국인 기자를 구출하는 이야기다. 주연 배우는 개봉을 앞두고 관객에게 인사했다.", "ko"),
])
def test_fiction_reports_no_incident(text: str, lang: str) -> None:
    assert types(text, lang) == set()


@pytest.mark.parametrize("text,lang,expected", [
    # stated outright
    ("Two South Korean students were abducted in Manila, the embassy said.", "en", "KR"),
    ("캄보디아에서 우리 국민 4명이 감금됐다가 구출됐다.", "ko", "KR"),
    ("캄보디아 프놈펜에서 납치된 H씨(31)는 사흘 만에 구출됐다.", "ko", "KR"),  # a Korean named the Korean-press way
    # victims of another nationality, whatever the article's language
    ("캄보디아 시아누크빌에서 중국인 5명이 납치·감금됐다가 현지 경찰에 구출됐다고 중국대사관이 밝혔다.", "ko", None),
    ("베트남 국적 노동자 12명이 캄보디아 카지노에 감금됐다가 탈출했다.", "ko", None),
    ("Indian nationals held in a scam compound in Cambodia were rescued, the Indian embassy said.", "en", None),
    ("북한이 미국 국적의 한국계 미국인 선교사를 억류하고 있다고 국무부가 밝혔다.", "ko", None),
    # Koreans named only as suspects do not make the victims Korean
    ("Police in Pattaya said two Korean suspects had kidnapped a Chinese tourist for ransom.", "en", None),
])
def test_victim_nationality_from_evidence(text: str, lang: str, expected: str | None) -> None:
    assert nationality(text, lang) == expected


def test_korean_victim_with_foreign_suspects_is_korean() -> None:
    text = "Two Chinese suspects were arrested after a South Korean businessman was kidnapped in Phnom Penh."
    assert nationality(text, "en") == "KR"


@pytest.mark.parametrize("text,lang,expected", [
    # the count of the main incident comes first; later, larger figures are running totals
    (("Twelve South Koreans held in a compound in Bavet were rescued on Monday. Police say more than 300 "
     "people have been rescued from such compounds this year."), "en", 12),
    ("Another 23 Thais who escaped from a casino in Poipet were handed to Thai officials.", "en", 23),
    ("라오스에서 감금됐던 우리 국민 6명이 구출됐다. 올해 들어 구출된 인원은 80명을 넘었다.", "ko", 6),
    # a lone victim named with an age
    ("A 27-year-old job seeker was held in a building in Sihanoukville for a month.", "en", 1),
    # a suspect's age is not a lone victim
    ("A 41-year-old suspect was arrested in Phnom Penh over a scam compound, police said.", "en", None),
])
def test_victim_count_of_the_main_incident(text: str, lang: str, expected: int | None) -> None:
    assert extract(text, lang).victim_count == expected


@pytest.mark.parametrize("text,lang,present,absent", [
    # a plan or modal in another clause does not govern the cue
    ("Police will search the compound in Kandal where five South Korean men were held for a month.", "en",
     {"detention"}, set()),
    ("캄보디아에서 감금됐던 한국인 2명이 구출됐고, 다음 주 귀국할 예정이다.", "ko", {"detention", "rescue"}, {"repatriation"}),
])
def test_hedges_stop_at_clause_boundaries(text: str, lang: str, present: set[str], absent: set[str]) -> None:
    found = types(text, lang)
    assert present <= found and not (absent & found), found


@pytest.mark.parametrize("text", [
    "Two North Korean defectors were detained in a compound in Laos, activists said.",
    "Three Nepalis were held in a compound in Myawaddy before the embassy intervened.",
])
def test_other_nationals_are_not_korean_victims(text: str) -> None:
    assert nationality(text, "en") is None
