"""Incident typing and victim evidence: what a sentence reports versus what it warns about, custody
on a criminal charge versus confinement by captors, tallies versus victims, and whose nationality."""
from __future__ import annotations

import pytest

from nlp import extract


@pytest.mark.parametrize("text,lang,present,absent", [
    # A warning or a generalisation reports no incident.
    ("Officials in Cambodia warned that online job offers can lead to confinement in scam compounds.",
     "en", [], ["detention"]),
    ("Recruiters often promise high pay; such offers are often a first step toward being held in a compound in Cambodia.",
     "en", [], ["detention"]),
    ("캄보디아에서 추방된 한국인 20명이 도착했다. 경찰은 이 가운데 감금 피해자가 있는지 확인하고 있다.",
     "ko", ["repatriation"], ["detention"]),
    # Custody on a criminal suspicion is an arrest, not a confinement.
    ("A South Korean tourist was detained in Bangkok on suspicion of smuggling methamphetamine, officials said.",
     "en", ["arrest"], ["detention"]),
    ("태국 방콕에서 한국인 관광객이 마약 밀반입 혐의로 구금됐다고 외교부가 밝혔다.", "ko", ["arrest"], ["detention"]),
    # …but captors holding someone stay a detention even when a charge is mentioned.
    ("A Korean man was held by a gang in a scam compound in Poipet, police said, and two men were charged with kidnapping.",
     "en", ["detention"], []),
    # "remains" the verb is not a body.
    ("One recruit remains unaccounted for in Cambodia after a scam compound raid, police said.", "en", [], ["death"]),
    ("The remains of a Korean worker were found near a compound in Kampot.", "en", ["death"], []),
    # A police bust of a ring is an arrest.
    ("Police in Busan busted a ring that sent Koreans to scam compounds in Cambodia.", "en", ["arrest"], []),
])
def test_incident_types_follow_what_the_sentence_reports(text: str, lang: str, present: list[str],
                                                         absent: list[str]) -> None:
    types = set(extract(text, lang=lang).incident_types)
    assert set(present) <= types and not set(absent) & types, types


@pytest.mark.parametrize("text,lang,nationality", [
    ("Police in Sihanoukville rescued a Chinese tourist held for ransom in a compound; her family in Jeju had paid.",
     "en", None),
    ("캄보디아 시아누크빌에서 중국인 관광객이 납치돼 감금됐다가 풀려났다.", "ko", None),
    ("A Cambodian farmer was abducted over a debt in Battambang and freed after his family paid.", "en", None),
    # Korean reporting names Korean victims "L씨(25)"; the accused named that way are not victims.
    ("캄보디아 프놈펜에서 연락이 끊긴 K씨(27)의 가족이 몸값 2만 달러를 요구받았다.", "ko", "KR"),
    ("캄보디아에서 감금 조직을 운영한 혐의로 기소된 P씨(45)에게 징역 5년이 선고됐다.", "ko", None),
    ("캄보디아 범죄단지에 갇혀 있던 20대가 탈출해 한국으로 돌아왔다.", "ko", "KR"),
])
def test_victim_nationality_evidence(text: str, lang: str, nationality: str | None) -> None:
    assert extract(text, lang=lang).victim_nationality == nationality


@pytest.mark.parametrize("text,count", [
    # A tally of reports is a statistic, not the victims of one incident.
    ("The consulate said it had logged 210 complaints from Koreans held in compounds in Cambodia this year.", None),
    # An official named with an age is not a lone victim.
    ("Korea's consul in Phnom Penh, 58, said Koreans detained in compounds would get faster help.", None),
    ("Three South Koreans held in a scam compound in Bavet were rescued on Monday.", 3),
])
def test_victim_count_is_of_one_incident(text: str, count: int | None) -> None:
    assert extract(text, lang="en").victim_count == count


def test_khmer_lone_korean_victim_is_counted() -> None:
    text = "ប៉ូលិសខេត្តកំពតបានជួយសង្គ្រោះបុរសជនជាតិកូរ៉េម្នាក់ ដែលត្រូវបានឃុំខ្លួននៅក្នុងមជ្ឈមណ្ឌលឆបោក។"
    ex = extract(text, lang="km")
    assert ex.victim_nationality == "KR" and ex.victim_count == 1
