"""A Korean missing abroad is a report the pipeline reads (SPEC: missing people are victims), even when
no kidnapping is confirmed: the relevance gate lets it through, its age and nationality are kept, and it
carries no incident type of its own (so the kidnapping alert does not fire on it)."""
from __future__ import annotations

import pytest

import nlp

MISSING = [
    (("A search is under way for a 37-year-old South Korean teacher who went missing in Vientiane after "
     "checking out of his hotel. His family lost contact with him on Monday."), "en", 37),
    (("라오스 비엔티안을 여행하던 30대 회사원 박모(36)씨가 열흘째 연락이 두절돼 가족이 애를 태우고 있다. "
     "외교부는 현지 공관을 통해 박씨의 소재를 파악하고 있다고 밝혔다."), "ko", 36),
]


@pytest.mark.parametrize("text,lang,age", MISSING)
def test_a_korean_missing_abroad_is_read_with_the_age_and_no_incident_type(text: str, lang: str, age: int) -> None:
    result = nlp.extract(text, lang=lang).to_dict()
    assert result["relevant"] is True
    assert [a["value"] for a in result["victim_ages"]] == [age]
    assert result["victim_nationality"] == "KR"
    assert not {"kidnapping", "detention"} & set(result["incident_types"])


def test_missing_words_alone_do_not_make_a_domestic_story_relevant() -> None:
    text = "The city's budget office said two files went missing during the move to the new building."
    assert nlp.extract(text, lang="en").to_dict()["relevant"] is False
