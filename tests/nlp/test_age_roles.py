"""Whose age is it: invented sentences of the shapes real reports use, victims and everyone else."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.components.ages import find_ages

KIDNAP_EN = "A South Korean was kidnapped in Cambodia. "
KIDNAP_KO = "캄보디아에서 한국인이 납치됐다. "


@pytest.mark.parametrize("text,lang,values", [
    # victims: the mention's noun, the verb it is the object of, or its clause's predicate says so
    (KIDNAP_EN + "A search is underway for a 38-year-old Korean engineer who has been missing since May.", "en", [38]),
    (KIDNAP_EN + "The hostages and the 41-year-old driver were forced into a van.", "en", [41]),
    (KIDNAP_EN + "Nguyen Van An, 27, one of the escapees, said he had been beaten.", "en", [27]),
    (KIDNAP_EN + "Of those he lured abroad, a 21-year-old remains unaccounted for.", "en", [21]),
    (KIDNAP_EN + "Four Koreans, one of them aged 18, are believed to be held near the border.", "en", [18]),
    (KIDNAP_KO + "일당은 경남 출신 회사원 최모(31)씨를 감금한 뒤 폭행했다.", "ko", [31]),
    (KIDNAP_KO + "범죄단지에 갇혀 있던 이모(24)씨는 지난주 탈출했다.", "ko", [24]),
    (KIDNAP_KO + "조직원들은 빚을 핑계로 52세 상인을 납치한 혐의를 받는다.", "ko", [52]),
    # not victims: suspects, recruiters, relatives, officials, bystanders
    (KIDNAP_EN + "The fourth defendant, Li Wei Ming, 44, was arrested at a relative's flat.", "en", []),
    (KIDNAP_EN + "Police detained a 36-year-old man on suspicion of recruiting the victims.", "en", []),
    (KIDNAP_EN + "His 58-year-old mother said she had not slept for days.", "en", []),
    (KIDNAP_EN + "The singer, 31, entered a police station in Seoul for questioning.", "en", []),
    (KIDNAP_EN + "A 45-year-old Korean man went on trial on charges of running the compound.", "en", []),
    (KIDNAP_EN + "The court sentenced C, 31, and D, 30, to five years in prison.", "en", []),
    (KIDNAP_EN + "The ring's masterminds, a couple identified as Seo (36) and Ha (33), remain at large.", "en", []),
    (KIDNAP_KO + "경찰은 피해자들을 현지로 보낸 알선책 정모(33)씨를 구속했다.", "ko", []),
    (KIDNAP_KO + "범행을 주도한 혐의로 기소된 박모(45)씨는 혐의를 부인했다.", "ko", []),
    (KIDNAP_EN + "The plant was built on what was, in this case, 3, 400 hectares of farmland.", "en", []),
    (KIDNAP_KO + "공범인 G씨(29)와 H씨(34)는 집행유예를 선고받았다.", "ko", []),
])
def test_age_belongs_to_a_victim(text: str, lang: str, values: list[int]) -> None:
    assert [h.value for h in find_ages(text, lang) if h.value is not None] == values


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["en", "ko", "km"]))
def test_age_parser_never_crashes(text: str, lang: str) -> None:
    for hit in find_ages(text, lang):
        assert 0 <= hit.start < hit.end <= len(text)


@pytest.mark.parametrize("text", ["Kim, 22, " * 2000, "A씨(22)와 " * 2000, "a 22-year-old " * 2000])
def test_long_inputs_finish(text: str) -> None:
    find_ages(text, "en")
    find_ages(text, "ko")
