"""Property tests on the parsers that tests elsewhere do not cover yet: dates as outlets write them, feeds
(any bytes in, items or FeedParseError out), money and ages read back exactly, and the search query
parser (any input gives results or a SearchError: never a crash, never injected SQL). The advisory
payload parsers already have theirs next to each spider (tests/crawler/test_<issuer>.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from html import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.dates import first_plausible, parse_date
from crawler.spiders.feed import FeedParseError, feed_entry, parse_feed
from nlp.components.ages import find_ages
from nlp.components.ransoms import find_money
from storage.documents import upsert_document
from storage.query_syntax import SearchError
from storage.repository import table_counts
from storage.search import search

SEOUL = ZoneInfo("Asia/Seoul")
MOMENTS = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# Plain-text titles. Left out on purpose: "<" (a feed title may carry markup, which is removed) and "&"
# (titles are unescaped twice, for feeds that double-escape them, so a literal "&amp" reads as "&").
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<&"), max_size=80)


# ---- dates -------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_any_text_is_a_utc_date_or_none(raw: str) -> None:
    value = parse_date(raw, SEOUL)
    assert value is None or value.utcoffset() == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(MOMENTS, OFFSETS)
def test_written_dates_read_back_as_the_same_instant(moment: datetime, offset: timezone) -> None:
    aware = moment.replace(tzinfo=offset)
    colon = aware.strftime("%z")[:3] + ":" + aware.strftime("%z")[3:]
    for written in (aware.strftime("%a, %d %b %Y %H:%M:%S %z"), aware.isoformat(),
                    aware.strftime("%a, %d %b %Y %H:%M:%S ") + colon):
        assert parse_date(written, "UTC") == aware.astimezone(UTC), written


@settings(max_examples=200, deadline=None)
@given(MOMENTS)
def test_korean_stamps_take_the_sources_zone(moment: datetime) -> None:
    stamp = f"입력 : {moment:%Y.%m.%d %H:%M}"
    assert parse_date(stamp, SEOUL) == moment.replace(second=0, tzinfo=SEOUL).astimezone(UTC)


@given(st.lists(st.one_of(st.none(), MOMENTS.map(lambda d: d.replace(tzinfo=UTC))), max_size=6))
def test_first_plausible_is_never_in_the_future(candidates: list[datetime | None]) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    chosen, rejected = first_plausible(candidates, now=now)
    assert chosen is None or chosen <= now + timedelta(hours=6)
    assert all(r not in (None, chosen) for r in rejected)


# ---- feeds -------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from([None, "utf-8", "euc-kr", "latin-1", "bogus-charset"]))
def test_any_bytes_give_items_or_a_feed_parse_error(body: bytes, charset: str | None) -> None:
    try:
        items = parse_feed(body, charset)
    except FeedParseError:
        return
    for fields in items:
        feed_entry(fields)  # never raises either


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(XML_TEXT, st.integers(1, 10**9)), min_size=1, max_size=8),
       st.sampled_from(["utf-8", "euc-kr"]), st.booleans())
def test_generated_feeds_keep_every_item_and_link(items: list[tuple[str, int]], encoding: str, atom: bool) -> None:
    codec = "cp949" if encoding == "euc-kr" else encoding  # what Korean sites labelled EUC-KR really send
    titles = [t.encode(codec, "replace").decode(codec).replace("?", "q") for t, _ in items]
    links = [f"https://news.invented.example/article/{n}" for _, n in items]
    if atom:
        entries = "".join(f'<entry><title>{escape(t)}</title><link rel="alternate" href="{u}"/></entry>'
                          for t, u in zip(titles, links, strict=True))
        doc = f'<?xml version="1.0" encoding="{encoding}"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    else:
        entries = "".join(f"<item><title>{escape(t)}</title><link>{u}</link></item>" for t, u in zip(titles, links, strict=True))
        doc = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>{entries}</channel></rss>'
    parsed = [feed_entry(f) for f in parse_feed(doc.encode(codec), None)]
    assert [e.url for e in parsed if e] == links
    assert [e.title for e in parsed if e] == [" ".join(t.split()) for t in titles]


# ---- money and ages ----------------------------------------------------------------------------------
@given(st.integers(1, 9_999_999))
def test_dollar_amounts_read_back_exactly(n: int) -> None:
    for text, lang in ((f"a ransom of ${n:,} was paid", "en"), (f"몸값 {n:,}달러를 보냈다", "ko")):
        hits = find_money(text, lang)
        assert [(h.amount, h.currency) for h in hits] == [(float(n), "USD")], text
        assert all(0 <= h.start < h.end <= len(text) for h in hits)


@given(st.integers(1, 99))
def test_ages_read_back_exactly(age: int) -> None:
    for text, lang in ((f"a {age}-year-old man was held", "en"), (f"Kim, {age}, was held", "en"),
                       (f"A씨({age})는 감금됐다", "ko")):
        assert [h.value for h in find_ages(text, lang)] == [age], text


# ---- search input ------------------------------------------------------------------------------------
QUERY_PIECES = st.sampled_from([
    "납치", "감금", "몸값", "kidnap", "Sihanoukville", '"', "'", "-", "OR", "AND", "NOT", "(", ")", "*", ":", "^",
    "NEAR", "\\", ";", "--", "/*", "%", "_", "'; DROP TABLE documents; --", "\" OR 1=1 --", "\x00", " ", "  ",
])
QUERIES = st.one_of(st.lists(QUERY_PIECES, max_size=10).map(" ".join), st.lists(QUERY_PIECES, max_size=10).map("".join),
                    st.text(max_size=40))


@pytest.fixture
def seeded_store(store):  # type: ignore[no-untyped-def]
    for n, (title, body) in enumerate([("한국인 납치 사건", "캄보디아에서 한국인이 납치돼 몸값을 요구받았다."),
                                       ("Korean kidnapped", "A Korean man was kidnapped in Sihanoukville.")]):
        url = f"https://invented.example/search/{n}"
        upsert_document(store, {"item_id": f"s/{n}", "source_key": "s", "url": url, "canonical_url": url,
                               "title": title, "body": body, "lang": "ko" if n == 0 else "en"})
    return store


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES, st.sampled_from(["relevance", "newest", "oldest"]))
@example(query="납치\x00", sort="relevance")
@example(query="'; DROP TABLE documents; --", sort="newest")
def test_any_query_gives_results_or_a_search_error(seeded_store, query: str, sort: str) -> None:  # type: ignore[no-untyped-def]
    try:
        result = search(seeded_store, query, sort=sort, per_page=5)
    except SearchError as exc:
        assert str(exc)  # a message the user can act on
    else:
        assert result.total >= 0 and len(result.hits) <= 5
        for hit in result.hits:
            assert "<" not in hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert table_counts(seeded_store)["documents"] == 2  # nothing was dropped or changed by the input


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["date_from", "age_min", "ransom_usd_max", "story_id", "has_ransom", "incident_type", "nope"]),
       st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.lists(st.text(max_size=5))))
@example(key="incident_type", value=["\x00"])
@example(key="age_min", value=2**63)
@example(key="ransom_usd_max", value=float("inf"))
def test_bad_filter_values_are_search_errors(seeded_store, key: str, value: object) -> None:  # type: ignore[no-untyped-def]
    try:
        search(seeded_store, "", filters={key: value})
    except SearchError:
        pass
    assert table_counts(seeded_store)["documents"] == 2
