"""Place recall and precision by class, on invented sentences shaped like real reporting:
districts and provinces, spelling variants, places inside names of bodies, metonymy, regions;
and what stays out (demonyms, media/company/university names, people's names, currencies)."""
from __future__ import annotations

import pytest

from nlp.components.places import find_places
from nlp.gazetteer import fold_hangul


def names(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(h.place.name, h.place.country) for h in find_places(text, lang)]


@pytest.mark.parametrize("text,lang,expected", [
    # districts, provinces, border crossings beyond the big cities
    ("Police found the two men in a flat in Chbar Ampov district on Friday.", "en", [("Chbar Ampov", "KH")]),
    ("They crossed at Moc Bai into Tay Ninh province.", "en", [("Moc Bai", "VN"), ("Tay Ninh", "VN")]),
    ("The van drove north to Chiang Rai and then to Tonpheung.", "en", [("Chiang Rai", "TH"), ("Tonpheung", "LA")]),
    ("Officials in Uttar Pradesh said the workers were flown to New Delhi.", "en",
     [("Uttar Pradesh", "IN"), ("New Delhi", "IN")]),
    ("He lived in the northern city of Angeles, near Clark Freeport Zone.", "en", [("Angeles City", "PH"), ("Clark", "PH")]),
    # GeoNames-style canonical names for Korean provinces and Preah Sihanouk
    ("A student from South Chungcheong Province left for Cambodia.", "en",
     [("Chungcheongnam-do", "KR"), ("Cambodia", "KH")]),
    ("Five men were held in Preah Sihanouk province.", "en", [("Sihanoukville", "KH")]),
    # places inside names of government bodies count
    ("The North Gyeongsang Provincial Police Agency opened a case.", "en", [("Gyeongsangbuk-do", "KR")]),
    ("경기남부경찰청은 9일 수사에 착수했다.", "ko", [("Gyeonggi-do", "KR")]),
    ("주라오스 대사관이 신원을 확인했다.", "ko", [("Laos", "LA")]),
    # metonymy
    ("Seoul has pressed Phnom Penh for a joint investigation.", "en", [("Seoul", "KR"), ("Phnom Penh", "KH")]),
    # named regions and rivers, country-less when they span countries
    ("Scam hubs have spread across Southeast Asia along the Mekong River.", "en",
     [("Southeast Asia", None), ("Mekong River", None)]),
    ("They were taken to the Golden Triangle SEZ in Bokeo.", "en",
     [("Golden Triangle Special Economic Zone", "LA"), ("Bokeo", "LA")]),
    ("동남아 각국과 메콩강 유역의 골든트라이앵글 지역", "ko",
     [("Southeast Asia", None), ("Mekong River", None), ("Golden Triangle", None)]),
    ("골든트라이앵글 경제특구 안의 업체", "ko", [("Golden Triangle Special Economic Zone", "LA")]),
])
def test_places_found(text: str, lang: str, expected: list[tuple[str, str | None]]) -> None:
    assert names(text, lang) == expected


@pytest.mark.parametrize("text,expected", [
    # province suffixes (주, 성, 시, 도) and particles after a name
    ("태국 촌부리주에서 구조됐다", [("Thailand", "TH"), ("Chon Buri", "TH")]),
    ("베트남 빈즈엉성의 공장", [("Vietnam", "VN"), ("Binh Duong", "VN")]),
    ("캄보디아 푸르사트주와 오다르민체이주", [("Cambodia", "KH"), ("Pursat", "KH"), ("Oddar Meanchey", "KH")]),
    # Korean renderings of Khmer names vary in tense consonants and vowels
    ("보꼬산 인근 차량에서", [("Bokor Mountain", "KH")]),
    ("포이뻿시의 카지노", [("Poipet", "KH")]),
    ("꼬꽁주 해안", [("Koh Kong", "KH")]),
    ("쁘레아비히어주와 뿌삿주", [("Preah Vihear", "KH"), ("Pursat", "KH")]),
])
def test_korean_place_forms(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert names(text, "ko") == expected


@pytest.mark.parametrize("text,expected", [
    ("ពួកគេបានរត់គេចទៅ ថៃ វិញ។", [("Thailand", "TH")]),
    ("អាជ្ញាធរខេត្តស្រះកែវ (ថៃ) បានទទួល", [("Sa Kaeo", "TH"), ("Thailand", "TH")]),
    ("ត្រូវចាត់ការតាមច្បាប់ស្រុកខ្មែរ", [("Cambodia", "KH")]),
    ("ជនជាតិថៃ ៥ នាក់", []),  # a nationality, not the country
    ("ខណ្ឌច្បារអំពៅ រាជធានីភ្នំពេញ", [("Chbar Ampov", "KH"), ("Phnom Penh", "KH")]),
])
def test_khmer_places(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert names(text, "km") == expected


@pytest.mark.parametrize("text,lang", [
    ("He told Chiang Mai News that the men had left.", "en"),  # a media outlet
    ("She studied at Seoul National University.", "en"),  # a university
    ("The gang demanded U.S. $50,000 for each of them.", "en"),  # a currency, not the country
    ("Those held were Dai Lin, 35; Hue Wu Tong, 46; and Chu Qi Long.", "en"),  # people's names
    ("A Cambodian national and two Korean men were arrested.", "en"),  # demonyms
    ("그는 중국 업체에 취업했다.", "ko"),  # a Chinese company: the country as an adjective
    ("한국인 2명과 캄보디아인 1명", "ko"),  # demonyms
])
def test_not_places(text: str, lang: str) -> None:
    assert names(text, lang) == []


def test_hangul_key_keeps_length_and_merges_spellings() -> None:
    assert fold_hangul("포이뻿시 abc") == fold_hangul("포이펫시 abc")
    assert len(fold_hangul("보꼬산에서")) == len("보꼬산에서")
    assert fold_hangul("서울") == "서울"
