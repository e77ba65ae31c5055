"""`ingest`: documents from elsewhere go in once by URL; a bad line is named by its number."""
from __future__ import annotations

import json

from monitor.ingest import document_from_line, ingest_lines
from storage.documents import get_document
from storage.repository import table_counts


def _line(**kw) -> str:  # type: ignore[no-untyped-def]
    return json.dumps({"url": "https://news.example/a/1", "outlet": "Example News", "lang": "en",
                       "date": "2025-10-18", "title": "Korean freed", "text": "Two Koreans were freed.", **kw})


def test_good_lines_go_in_once_by_url(store) -> None:  # type: ignore[no-untyped-def]
    lines = [_line(), _line(url="https://news.example/a/2#top", title="Another")]
    first = ingest_lines(store, lines)
    assert (first.added, first.updated, first.unchanged, first.errors) == (2, 0, 0, [])
    again = ingest_lines(store, [_line(), _line(url="https://NEWS.example/a/2", title="Another")])
    assert (again.added, again.unchanged) == (0, 2)
    doc = get_document(store, first.doc_ids["https://news.example/a/1"])
    assert doc["source"] == "Example News" and doc["published_at"].startswith("2025-10-18")
    changed = ingest_lines(store, [_line(text="Two Koreans were freed on Friday.")])
    assert changed.updated == 1 and table_counts(store)["documents"] == 2


def test_bad_lines_are_reported_by_number_and_the_rest_goes_in(store) -> None:  # type: ignore[no-untyped-def]
    lines = [_line(), "{not json", _line(url="ftp://x"), "", json.dumps([1]), _line(url="https://b.example/2",
             date="18/10/2025"), _line(url="https://b.example/3", title="", text=""),
             _line(url="https://b.example/4", lang="fr"), _line(url="https://b.example/5")]
    report = ingest_lines(store, lines)
    assert report.added == 2
    numbers = [n for n, _ in report.errors]
    assert numbers == [2, 3, 5, 6, 7, 8]
    messages = dict(report.errors)
    assert "not JSON" in messages[2] and "http(s) URL" in messages[3] and "YYYY-MM-DD" in messages[6]
    assert "neither 'title' nor 'text'" in messages[7] and "unsupported language" in messages[8]


def test_language_is_detected_when_not_given() -> None:
    doc = document_from_line(json.dumps({"url": "https://k.example/1", "text": "캄보디아에서 한국인 구출"}))
    assert doc["lang"] == "ko" and doc["source_key"] == "ingest" and doc["published_at"] is None
