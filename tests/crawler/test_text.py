"""Article pages to text, against the real captured pages (read in place) and invented walls."""
from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.dates import parse_date
from crawler.text import best_encoding, extract_page, html_to_text, quality_flags


def _page(captures: Path, name: str) -> HtmlResponse:
    return HtmlResponse(url="https://example.com/a", body=(captures / "feeds" / name).read_bytes())


def _first_date(dates: list[str]):  # type: ignore[no-untyped-def]
    return next(d for d in (parse_date(x, "Asia/Seoul") for x in dates) if d)


@pytest.mark.parametrize(("name", "text_start", "date_iso"), [
    ("article-chosun-1.html", "입력 : 2016.09.17 18:59", "2016-09-17T09:59:00+00:00"),  # EUC-KR bytes
    ("article-khan-1.html", "[국감]소비자 80%", "2016-09-26T00:57:01+00:00"),  # EUC-KR, date as text only
    ("article-hani-1.html", "광역시도 가운데", "2016-09-17T05:26:51+00:00"),
    ("article-yonhap-en-1.html", "SEOUL, Aug. 20 (Yonhap)", "2019-08-20T00:31:01+00:00"),
    ("article-mk-1.html", "가난에 공장에서", "2025-06-03T17:37:08+00:00"),
])
def test_real_pages_body_and_date(captures: Path, name: str, text_start: str, date_iso: str) -> None:
    page = extract_page(_page(captures, name).text, "https://example.com/a")
    assert page.body.startswith(text_start) and len(page.body) > 1000
    assert _first_date(page.dates).isoformat() == date_iso


def test_next_js_page_body_and_date_from_the_json_state(captures: Path) -> None:
    page = extract_page(_page(captures, "article-hankookilbo-1.html").text, "https://example.com/a")
    assert page.via == "json-state" and len(page.body) > 1500
    assert "장동혁" in page.title and page.author == "신현주 기자"
    assert _first_date(page.dates).isoformat() == "2026-01-29T09:40:00+00:00"


def test_dong_a_utf8_page_with_euc_kr_scripts_decodes_as_utf8(captures: Path) -> None:
    response = _page(captures, "article-donga-1.html")
    assert response.encoding == "utf-8"
    assert "씨름" in extract_page(response.text, response.url).body


def test_card_news_fragment_is_flagged(captures: Path) -> None:
    page = extract_page(_page(captures, "article-chosun-2.html").text, "https://example.com/a")
    assert "fragment" in quality_flags(page.body, "", min_chars=300)


def test_walls_and_fragments() -> None:
    assert "cookie_wall" in quality_flags("We use cookies to improve your experience. Accept all cookies to continue.")
    teaser = "The minister said the plan would change. " * 5 + "Subscribe to continue reading this article."
    assert "paywall" in quality_flags(teaser)
    feed_summary = "A long feed description. " * 20
    assert quality_flags("Short page text.", feed_summary) == ["fragment"]
    assert quality_flags("A real paragraph of reporting. " * 30, "Summary.") == []


def test_best_encoding_distrusts_a_lying_label() -> None:
    korean = "캄보디아에서 한국인 납치".encode("cp949")
    assert best_encoding(korean, ["utf-8"]) == "cp949"
    assert best_encoding("납치".encode(), ["euc-kr"]) == "utf-8"
    assert best_encoding(b"\xff\xfe\xfa", []) is None


def test_html_to_text_handles_double_escaping_and_paragraphs() -> None:
    assert html_to_text("Kim &amp;amp; Lee") == "Kim & Lee"
    assert html_to_text("<p>One.</p><p>Two.</p>") == "One.\nTwo."
