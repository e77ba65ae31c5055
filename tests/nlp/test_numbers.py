"""Money parsing and the ransom decision on invented sentences, one class of real-text error per case."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.components.ransoms import find_ransoms
from nlp.numbers import english_number, find_money, khmer_number, korean_number


@pytest.mark.parametrize("raw,expected", [
    ("3천500만", 35_000_000), ("2천800만", 28_000_000), ("1억2천만", 120_000_000), ("4천5백만", 45_000_000),
    ("1억1200만", 112_000_000), ("2만7000", 27_000), ("5억7,521만", 575_210_000), ("3억 5천만", 350_000_000),
    ("1.5억", 150_000_000), ("7천", 7_000), ("수천만", None), ("만", None),
])
def test_korean_compound_numerals(raw: str, expected: int | None) -> None:
    assert korean_number(raw) == expected


@pytest.mark.parametrize("raw,expected", [("1លាន 5សែន", 1_500_000), ("50ម៉ឺន", 500_000), ("3ពាន់", 3_000),
                                          ("2ពាន់លាន", 2_000_000_000), ("ម៉ឺន", None)])
def test_khmer_units(raw: str, expected: int | None) -> None:
    assert khmer_number(raw) == expected


@pytest.mark.parametrize("text,lang,expected", [
    ("그는 4천5백만 원을 마련했다", "ko", [(45_000_000, "KRW", None)]),
    ("수천만 원을 잃었다", "ko", []),
    ("3만 테더 코인(약 4200만 원)을 보내라", "ko", [(30_000, "USDT", None)]),
    ("200만밧(약 8천만원)을 내라", "ko", [(2_000_000, "THB", None)]),
    ("5천만원(약 3만6천 달러)", "ko", [(50_000_000, "KRW", 36_000)]),
    ("they asked for 40m won on Monday", "en", [(40_000_000, "KRW", None)]),
    ("a sum of $2.5m was mentioned", "en", [(2_500_000, "USD", None)]),
    ("send 15,000 Tether coins (about 21 million won) now", "en", [(15_000, "USDT", None)]),
    ("2 million pesos (US$40,000)", "en", [(2_000_000, "PHP", 40_000)]),
    ("a demand for VND300 million (US$12,000)", "en", [(300_000_000, "VND", 12_000)]),
    ("40 million won (£21,000)", "en", [(40_000_000, "KRW", None)]),
    ("30 million won, or about $21,500, for him", "en", [(30_000_000, "KRW", 21_500)]),
    ("ប្រាក់ ៣ម៉ឺនដុល្លារ", "km", [(30_000, "USD", None)]),
    ("ប្រាក់ ២លាន ៥សែនរៀល", "km", [(2_500_000, "KHR", None)]),
])
def test_amount_forms(text: str, lang: str, expected: list[tuple[int, str, int | None]]) -> None:
    assert [(h.amount, h.currency, h.usd) for h in find_money(text, lang)] == expected


@pytest.mark.parametrize("text,lang,expected", [
    # ransoms by whatever name
    ("The gang called her parents and asked for 15,000 USDT before the line went dead.", "en", [15_000]),
    ("To go home, the workers must pay the company up to US$8,000, officials said.", "en", [8_000]),
    ("His relatives were told to pay 50,000 baht per head to have him released.", "en", [50_000]),
    ("그는 가족에게 \"4천만 원을 보내주면 나갈 수 있다\"고 말했다.", "ko", [40_000_000]),
    ("가족이 조직에 2천500만 원어치의 코인을 보낸 뒤에야 그는 풀려났다.", "ko", [25_000_000]),
    ("\"지금 갇혀 있다. 1만 테더(약 1400만 원)를 보내달라\"고 했다.", "ko", [10_000]),
    ("1인당 300만원씩 보상금을 내라는 협박과 함께 숙소에 갇혔다.", "ko", [3_000_000]),
    ("200만밧(약 8천만원)을 가져오지 않으면 해치겠다고 협박했다.", "ko", [2_000_000]),
    ("ក្រុមជនល្មើសទារប្រាក់លោះ ៣ម៉ឺនដុល្លារ", "km", [30_000]),
    # the same ransom broken down per head is not a second one
    ("Kidnappers demanded a ransom of 30 million won ($22,000), or 5 million won for each hostage.", "en",
     [30_000_000]),
    # not ransoms: wages and job offers, travel costs, loans, fines, bail, losses, proceeds, seized sums
    ("Ads promised recruits they could earn 9 million won ($6,500) a month after the kidnapping wave.", "en", []),
    ("Brokers recruited them in return for 20,000 baht each, and they were later held captive.", "en", []),
    ("His captors let him go; his mother had borrowed VND50 million ($2,000) for his flight.", "en", []),
    ("A hostage-taker was fined 20 million won and held on $50,000 bail.", "en", []),
    ("Victims of the compound lost more than 12 billion won to the gang, police said.", "en", []),
    ("Police seized $300,000 in cash from the captors' compound.", "en", []),
    ("감금된 조직원들은 1인당 30만 원 수준의 대가를 받고 피해자들을 감시했다.", "ko", []),
    ("납치 조직은 피해자 120명에게서 35억 원을 가로챈 혐의를 받는다.", "ko", []),
    ("감금 피해가 잇따르자 정부는 예산 20억 원을 편성했다.", "ko", []),
    ("ជនសង្ស័យត្រូវពិន័យជាប្រាក់ ៥លានរៀល", "km", []),
])
def test_ransom_is_what_is_paid_for_release(text: str, lang: str, expected: list[int]) -> None:
    assert [h.amount for h in find_ransoms(text, lang)] == expected


def test_malformed_thousands_group_lost_a_digit() -> None:
    assert english_number("250,00", None) == 250_000 and english_number("1.2", "m") == 1_200_000


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789,. 억만천백십조ពាន់លានម៉ឺនសែន원$mk", max_size=60))
def test_number_readers_never_crash(raw: str) -> None:
    for value in (korean_number(raw), khmer_number(raw)):
        assert value is None or value >= 0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["en", "ko", "km"]))
def test_money_and_ransoms_never_crash(text: str, lang: str) -> None:
    for hit in find_ransoms(text, lang):
        assert 0 <= hit.start < hit.end <= len(text) and hit.amount > 0


@pytest.mark.parametrize("text", ["1" * 5000 + " won", "1만" * 3000 + "x", "1,1" * 3000, "$" + "9," * 4000,
                                  "១លាន" * 2000 + "x"])
def test_long_digit_runs_finish(text: str) -> None:
    find_money(text, "ko")
    find_money(text, "km")
    find_ransoms(text, "en")
