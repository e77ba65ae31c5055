"""Processing: stored documents → extractions → stories, batched, resumable, reprocessable."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import nlp
from monitor import processing
from monitor.processing import process_pending
from storage.documents import count_documents_to_extract, get_document, save_extraction, upsert_document
from storage.repository import table_counts

EN_CASE = (
    "A 22-year-old university student from Yecheon, North Gyeongsang Province, was kidnapped in "
    "Cambodia after travelling there for a job offer. His family received a call demanding "
    "50 million won ($38,500) for his release, police said."
)
KO_CASE = (
    "경북 예천 출신 대학생 A씨(22)가 캄보디아에서 납치됐다. 가족은 몸값으로 5천만원을 요구하는 전화를 받았다고 "
    "경찰이 밝혔다."
)


def _add(store, n: int, body: str, lang: str):  # type: ignore[no-untyped-def]
    return upsert_document(store, {
        "item_id": f"test/{n}", "source_key": "test", "url": f"https://example.com/{n}",
        "canonical_url": f"https://example.com/{n}", "title": body[:40], "body": body, "lang": lang,
        "published_at": datetime(2025, 8, 1, tzinfo=UTC),
    }).id


def test_process_extracts_and_builds_stories(store) -> None:  # type: ignore[no-untyped-def]
    ids = [_add(store, 1, EN_CASE, "en"), _add(store, 2, KO_CASE, "ko"), _add(store, 3, "Stock markets rose.", "en")]
    report = process_pending(store)
    assert report.documents == 3 and report.failed == 0
    assert report.relevant >= 2
    doc = get_document(store, ids[0])
    assert doc["extraction_version"] == nlp.PIPELINE_VERSION
    assert [a["value"] for a in doc["extraction"]["victim_ages"]] == [22]
    assert doc["extraction"]["ransoms"][0]["usd"] == 38500
    assert table_counts(store)["incidents"] >= 1
    assert process_pending(store).documents == 0  # nothing left to do


def test_one_failing_document_does_not_stop_the_batch(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    bad = _add(store, 1, "boom " + EN_CASE, "en")
    good = _add(store, 2, EN_CASE, "en")
    real = processing.extract_document

    def flaky(doc):  # type: ignore[no-untyped-def]
        if doc["body"].startswith("boom"):
            raise RuntimeError("pipeline bug")
        return real(doc)

    monkeypatch.setattr(processing, "extract_document", flaky)
    report = process_pending(store, batch=1)
    assert (report.documents, report.failed) == (1, 1)
    assert get_document(store, good)["extraction_version"] == nlp.PIPELINE_VERSION
    assert get_document(store, bad)["extraction_version"] is None  # kept pending, not lost
    monkeypatch.setattr(processing, "extract_document", real)
    assert process_pending(store).documents == 1


def test_reprocess_brings_old_versions_up_to_date(store) -> None:  # type: ignore[no-untyped-def]
    doc_id = _add(store, 1, EN_CASE, "en")
    save_extraction(store, doc_id, {"relevant": False}, "0.0-old")
    assert process_pending(store).documents == 0
    assert process_pending(store, reprocess=True).documents == 1
    assert get_document(store, doc_id)["extraction_version"] == nlp.PIPELINE_VERSION


def test_reprocess_all_re_extracts_every_document_and_counts_them_first(store) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        _add(store, n, EN_CASE if n else "Stock markets rose.", "en")
    assert count_documents_to_extract(store, nlp.PIPELINE_VERSION) == 3
    assert process_pending(store).documents == 3
    version = nlp.PIPELINE_VERSION
    assert count_documents_to_extract(store, version, reprocess=True) == 0  # all current: nothing outdated
    assert process_pending(store, reprocess=True).documents == 0
    assert count_documents_to_extract(store, version, reprocess=True, everything=True) == 3
    seen: list[int] = []
    report = process_pending(store, reprocess=True, everything=True, batch=2, progress=seen.append)
    assert report.documents == 3 and seen == [2, 1]
