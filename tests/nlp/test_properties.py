"""Property tests: parsers never crash and every span slices the text to its reported `text`."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import extract
from nlp.components.ages import find_ages
from nlp.components.ransoms import find_money, korean_number

PIECES = st.sampled_from([
    "캄보디아에서 ", "납치 ", "몸값 ", "5천만원", "1억 원", "3만 달러", "A씨(22)", "20대 ", "22살 ", "(", ")", "\n",
    "kidnapped in Phnom Penh ", "$15,000 ", "50 million won ($38,500) ", "aged 22 ", "a 22-year-old ", "in his 20s ",
    "Kim, 23, ", "20,000 USDT ", "ransom ", "Korean ", "Sihanoukville", "ចាប់ជំរិត ", "អាយុ ២២ ឆ្នាំ ", "២០,០០០ ដុល្លារ ",
    "ភ្នំពេញ ", "  ", "\t", "1,2,3", "..", "$", "억", "만", "-year-old",
])
TEXTS = st.one_of(st.lists(PIECES, max_size=25).map("".join), st.text(max_size=200))


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.sampled_from(["en", "ko", "km"]))
def test_parsers_never_crash(text: str, lang: str) -> None:
    for hit in find_ages(text, lang):
        assert 0 <= hit.start < hit.end <= len(text)
    for money in find_money(text, lang):
        assert money.amount >= 0 and 0 <= money.start < money.end <= len(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789,.억만천백조 ", max_size=20))
def test_korean_number_never_crashes(raw: str) -> None:
    value = korean_number(raw)
    assert value is None or value >= 0


@settings(max_examples=120, deadline=None)
@given(TEXTS, st.sampled_from([None, "en", "ko", "km"]))
def test_spans_slice_text(text: str, lang: str | None) -> None:
    ex = extract(text, lang, title="Korean kidnapped in Cambodia").to_dict()
    for key in ("places", "victim_ages", "victim_age_ranges", "ransoms"):
        for item in ex[key]:
            assert text[item["start"]:item["end"]] == item["text"]
