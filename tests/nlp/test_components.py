"""Parametrised (text, expected) cases per component, negatives included."""
from __future__ import annotations

import pytest

from nlp import extract
from nlp.components.ages import find_ages
from nlp.components.places import find_places
from nlp.components.ransoms import find_money, find_ransoms, korean_number

KIDNAP_EN = "A South Korean was kidnapped in Cambodia. "
KIDNAP_KO = "캄보디아에서 한국인이 납치됐다. "


@pytest.mark.parametrize("text,lang,expected", [
    ("He flew to Phnom Penh and then Sihanoukville.", "en", [("Phnom Penh", "KH", "Phnom Penh"),
                                                             ("Sihanoukville", "KH", "Preah Sihanouk")]),
    ("His parents live in Yecheon County, North Gyeongsang Province.", "en",
     [("Yecheon", "KR", "Gyeongsangbuk-do"), ("Gyeongsangbuk-do", "KR", "Gyeongsangbuk-do")]),
    ("Gyeongbuk police said.", "en", [("Gyeongsangbuk-do", "KR", "Gyeongsangbuk-do")]),
    ("A Korean man met Korean officials.", "en", []),
    ("Prime Minister Hun Manet met Lee Jae-myung.", "en", []),
    ("told the Korea Herald on Monday", "en", []),
    ("Police in Georgia detained two men in Tbilisi.", "en", [("Georgia", "GE", None), ("Tbilisi", "GE", None)]),
    ("U.S. agents raided a plant in Georgia.", "en", [("Georgia", "US", "Georgia")]),
    ("casinos in O'Smach and Poipet", "en", [("O'Smach", "KH", "Oddar Meanchey"), ("Poipet", "KH", "Banteay Meanchey")]),
    ("캄보디아에서 프놈펜으로", "ko", [("Cambodia", "KH", None), ("Phnom Penh", "KH", "Phnom Penh")]),
    ("경북 예천군 출신", "ko", [("Gyeongsangbuk-do", "KR", "Gyeongsangbuk-do"), ("Yecheon", "KR", "Gyeongsangbuk-do")]),
    ("시하누크빌의 보코산 일대", "ko", [("Sihanoukville", "KH", "Preah Sihanouk"), ("Bokor Mountain", "KH", "Kampot")]),
    ("한국인 3명과 한국대사관, 경북대", "ko", []),
    ("주캄보디아 대사관", "ko", [("Cambodia", "KH", None)]),
    ("미국 조지아주 공장", "ko", [("United States", "US", None), ("Georgia", "US", "Georgia")]),
    ("ខេត្តព្រះសីហនុ និងរាជធានីភ្នំពេញ", "km", [("Sihanoukville", "KH", "Preah Sihanouk"), ("Phnom Penh", "KH", "Phnom Penh")]),
    ("ពលរដ្ឋកូរ៉េខាងត្បូង", "km", []),
])
def test_places(text: str, lang: str, expected: list[tuple[str, str, str | None]]) -> None:
    hits = find_places(text, lang)
    assert [(h.place.name, h.place.country, h.place.admin1) for h in hits] == expected
    for h in hits:
        assert text[h.start:h.end]


@pytest.mark.parametrize("text,lang,values,ranges", [
    (KIDNAP_EN + "The 22-year-old student was held.", "en", [22], []),
    (KIDNAP_EN + "The victim, Kim, 23, was beaten.", "en", [23], []),
    (KIDNAP_EN + "A 45-year-old suspect was arrested.", "en", [], []),
    (KIDNAP_EN + "The provincial police chief, 57, said so.", "en", [], []),
    (KIDNAP_EN + "The man, in his 20s, escaped.", "en", [], [(20, 29)]),
    (KIDNAP_EN + "A woman in her late 30s was held.", "en", [], [(35, 39)]),
    (KIDNAP_EN + "Eight Koreans, aged 19 to 41, were freed.", "en", [], [(19, 41)]),
    (KIDNAP_KO + "대학생 박모(22)씨가 감금됐다.", "ko", [22], []),
    (KIDNAP_KO + "26살 아들이 갇혀 있다.", "ko", [26], []),
    (KIDNAP_KO + "경찰은 모집책 B씨(29)를 구속했다.", "ko", [], []),
    (KIDNAP_KO + "20대 남성이 구출됐다.", "ko", [], [(20, 29)]),
    (KIDNAP_KO + "20대 초반 여성이 구출됐다.", "ko", [], [(20, 23)]),
    ("និស្សិតជនជាតិកូរ៉េម្នាក់ អាយុ ២២ ឆ្នាំ ត្រូវបានចាប់ជំរិត", "km", [22], []),
])
def test_ages(text: str, lang: str, values: list[int], ranges: list[tuple[int, int]]) -> None:
    hits = find_ages(text, lang)
    assert [h.value for h in hits if h.value is not None] == values
    assert [(h.low, h.high) for h in hits if h.value is None] == ranges


@pytest.mark.parametrize("raw,expected", [
    ("5천만", 50_000_000), ("5000만", 50_000_000), ("1억", 100_000_000), ("1억5000만", 150_000_000),
    ("2만5천", 25_000), ("3만", 30_000), ("6,500", 6_500), ("800만", 8_000_000),
])
def test_korean_numbers(raw: str, expected: int) -> None:
    assert korean_number(raw) == expected


@pytest.mark.parametrize("text,lang,expected", [
    ("Captors demanded 50 million won ($38,500) for his release.", "en", [(50_000_000, "KRW", 38_500)]),
    ("They asked his family to send 50 million won, about $38,500, for his release.", "en",
     [(50_000_000, "KRW", 38_500)]),
    ("They demanded 30 million won, or roughly US$21,000, for their release.", "en", [(30_000_000, "KRW", 21_000)]),
    ("Captors demanded 10 million won, and later $5,000 more, for his release.", "en",
     [(10_000_000, "KRW", None), (5_000, "USD", None)]),
    ("The family paid US$20,000 to free him.", "en", [(20_000, "USD", None)]),
    ("They demanded $15,000 in cryptocurrency as ransom.", "en", [(15_000, "USD", None)]),
    ("The captors asked for 20,000 USDT for their release.", "en", [(20_000, "USDT", None)]),
    ("Kidnappers demanded 8 million riels.", "en", [(8_000_000, "KHR", None)]),
    ("He was fined 30 million won.", "en", []),
    ("Bail was set at $50,000.", "en", []),
    ("The ring defrauded victims of 4.2 billion won.", "en", []),
    ("He was promised a monthly salary of $5,000.", "en", []),
    ("납치범들은 몸값 5천만원을 요구했다.", "ko", [(50_000_000, "KRW", None)]),
    ("몸값으로 1억 원을 요구했다.", "ko", [(100_000_000, "KRW", None)]),
    ("몸값 3만 달러를 보내라는 연락", "ko", [(30_000, "USD", None)]),
    ("풀어주는 대가로 5000만 원을 요구", "ko", [(50_000_000, "KRW", None)]),
    ("징역 7년과 벌금 3천만원을 선고했다.", "ko", []),
    ("예산 12억원이 편성됐다.", "ko", []),
    ("ទារប្រាក់លោះចំនួន ២០,០០០ ដុល្លារ", "km", [(20_000, "USD", None)]),
    ("ពិន័យជាប្រាក់ ១០ លានរៀល", "km", []),
])
def test_ransoms(text: str, lang: str, expected: list[tuple[int, str, int | None]]) -> None:
    hits = find_ransoms(text, lang)
    assert [(h.amount, h.currency, h.usd) for h in hits] == expected


def test_money_parses_stated_usd_in_korean() -> None:
    [hit] = find_money("몸값 2천만 원(약 1만4천 달러)을 요구", "ko")
    assert (hit.amount, hit.currency, hit.usd) == (20_000_000, "KRW", 14_000)


def test_converted_usd_is_marked() -> None:
    ex = extract(KIDNAP_EN + "The kidnappers demanded 30 million won for his release.").to_dict()
    [r] = ex["ransoms"]
    assert r["currency"] == "KRW" and r["usd_converted"] is True and 20_000 < r["usd"] < 23_000


def test_general_news_is_not_relevant_and_skips_the_rest() -> None:
    ex = extract("Hyundai opened a showroom in Phnom Penh; the 45-year-old manager said sales rose.")
    assert ex.relevant is False and ex.victim_ages == [] and ex.incident_types == []
    assert [p["name"] for p in ex.places] == ["Phnom Penh"]


def test_domestic_kidnapping_is_not_relevant() -> None:
    assert extract("A girl was abducted in Suwon and found safe; no ransom was demanded.").relevant is False


def test_incident_types_and_nationality() -> None:
    ex = extract("Three South Koreans held in a scam compound in Sihanoukville were rescued and repatriated.")
    assert {"detention", "rescue", "repatriation"} <= set(ex.incident_types)
    assert ex.victim_nationality == "KR" and ex.victim_count == 3


def test_title_counts_for_typing_but_spans_refer_to_text() -> None:
    text = "Police in Cambodia said the man was found on Friday."
    ex = extract(text, title="Korean kidnapped in Cambodia, rescued")
    assert ex.relevant and "kidnapping" in ex.incident_types
    for p in ex.places:
        assert text[p["start"]:p["end"]] == p["text"]


def test_forced_language_and_unknown_language() -> None:
    assert extract("캄보디아", lang="ko").lang == "ko"
    with pytest.raises(ValueError):
        extract("text", lang="fr")
