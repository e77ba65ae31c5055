"""Canonical URLs and stable ids (the dedup keys), and dates as outlets write them."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.dates import first_plausible, parse_date, plausible
from crawler.urls import canonical_url, item_id, strip_tracking


@pytest.mark.parametrize(("a", "b"), [
    ("https://en.yna.co.kr/view/AEN20241118007300320?section=news&input=rss",
     "http://en.yna.co.kr/view/AEN20241118007300320?input=rss&section=news"),
    ("https://www.koreatimes.co.kr/www/nation/2024/02/113_368.html?utm_source=fl",
     "https://koreatimes.co.kr/www/nation/2024/02/113_368.html"),
    ("https://www.khmertimeskh.com/501234567/some-slug/#comments", "https://khmertimeskh.com/501234567/some-slug"),
    ("https://news.example.com:443/a?b=2&a=1", "https://news.example.com/a?a=1&b=2"),
])
def test_equivalent_urls_fold_to_one_canonical_url(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


def test_meaningful_parameters_and_ports_are_kept() -> None:
    assert "news_id=N100" in canonical_url("https://news.sbs.co.kr/news/endPage.do?news_id=N100&plink=RSSREADER")
    assert "plink" not in canonical_url("https://news.sbs.co.kr/news/endPage.do?news_id=N100&plink=RSSREADER")
    assert canonical_url("http://127.0.0.1:8080/x/") == "https://127.0.0.1:8080/x"


def test_display_urls_lose_only_tracking() -> None:
    assert strip_tracking("http://www.yna.co.kr/view/AKR1?input=rss&section=news&page=2#top") == "http://www.yna.co.kr/view/AKR1?page=2"


def test_item_ids_use_native_ids_else_a_url_hash() -> None:
    assert item_id("yonhap-en", "https://en.yna.co.kr/view/AEN20251012000300315?input=rss") == "yonhap-en/AEN20251012000300315"
    assert item_id("yonhap", "https://www.yna.co.kr/view/AKR20251012031200053") == "yonhap/AKR20251012031200053"
    assert item_id("khmer-times", "https://www.khmertimeskh.com/501234567/slug/", id_pattern=r"^/(\d{6,})/") == "khmer-times/501234567"
    assert item_id("camboja", "https://cambojanews.com/a-slug/", guid="https://cambojanews.com/?p=41235") == "camboja/41235"
    hashed = item_id("donga", "https://www.donga.com/news/article/all/20251012/1?utm_source=x")
    assert hashed.startswith("donga/u") and hashed == item_id("donga", "http://donga.com/news/article/all/20251012/1")


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 07 Jul 2026 10:00:00 +09:00", datetime(2026, 7, 7, 1, tzinfo=UTC)),  # Korea Herald colon offset
    ("Fri, 16 Sep 2016 17:34:52 +0900 ", datetime(2016, 9, 16, 8, 34, 52, tzinfo=UTC)),  # Chosun trailing space
    ("Tue, 06 Feb 2024 13:05:05 GMT", datetime(2024, 2, 6, 13, 5, 5, tzinfo=UTC)),
    ("2016-09-16T17:34:52+09:00", datetime(2016, 9, 16, 8, 34, 52, tzinfo=UTC)),
    ("2025-10-12T07:40:00Z", datetime(2025, 10, 12, 7, 40, tzinfo=UTC)),
    ("입력 : 2016.09.17 18:59", datetime(2016, 9, 17, 9, 59, tzinfo=UTC)),  # unzoned: the source's zone (KST)
    ("2026.01.29 18:40", datetime(2026, 1, 29, 9, 40, tzinfo=UTC)),
    ("2025-08-01T10:00:00", datetime(2025, 8, 1, 1, tzinfo=UTC)),
    ("Tue, 15 Sep 2026", datetime(2026, 9, 14, 15, tzinfo=UTC)),
])
def test_dates_normalize_to_utc_from_the_source_zone(text: str, expected: datetime) -> None:
    assert parse_date(text, "Asia/Seoul") == expected


def test_not_a_date_and_implausible_dates() -> None:
    assert parse_date("yesterday-ish", "UTC") is None and parse_date("", "UTC") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    future = datetime(2026, 3, 1, tzinfo=UTC)
    ancient = datetime(1999, 1, 1, tzinfo=UTC)
    fine = datetime(2025, 12, 31, tzinfo=UTC)
    assert not plausible(future, now=now) and not plausible(ancient, founded=datetime(2014, 1, 1, tzinfo=UTC), now=now)
    chosen, rejected = first_plausible([None, future, ancient, fine], founded=datetime(2014, 1, 1, tzinfo=UTC), now=now)
    assert chosen == fine and rejected == [future, ancient]
