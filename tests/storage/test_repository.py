from __future__ import annotations

from datetime import UTC, datetime

from storage.advisories import advisory_history, current_advisories, upsert_advisory
from storage.documents import (
    documents_to_extract,
    get_document,
    save_extraction,
    upsert_document,
    upsert_documents,
)
from storage.repository import table_counts
from storage.sources import finish_run, list_sources, recent_runs, start_run, sync_sources


def _doc(**over):  # type: ignore[no-untyped-def]
    base = {
        "item_id": "yonhap-en/AEN20251012000300315", "source_key": "yonhap-en", "url": "https://en.yna.co.kr/view/x?utm=1",
        "canonical_url": "https://en.yna.co.kr/view/AEN20251012000300315", "title": "Student held in Cambodia",
        "body": "A 22-year-old student was held.", "lang": "en", "published_at": datetime(2025, 10, 12, 3, tzinfo=UTC),
    }
    base.update(over)
    return base


def test_upsert_document_is_idempotent_and_detects_change(store) -> None:  # type: ignore[no-untyped-def]
    first = upsert_document(store, _doc())
    again = upsert_document(store, _doc())
    changed = upsert_document(store, _doc(body="A 22-year-old student was held for ransom."))
    assert first.created and first.changed
    assert not again.created and not again.changed and again.id == first.id
    assert changed.changed and not changed.created and changed.id == first.id
    assert table_counts(store)["documents"] == 1
    assert get_document(store, first.id)["published_at"] == "2025-10-12T03:00:00+00:00"


def test_changed_document_is_queued_for_extraction_again(store) -> None:  # type: ignore[no-untyped-def]
    doc_id = upsert_document(store, _doc()).id
    save_extraction(store, doc_id, {"relevant": True, "incident_types": ["kidnapping"], "ransoms": []}, "1.0")
    assert documents_to_extract(store, "1.0") == []
    assert [d["id"] for d in documents_to_extract(store, "2.0", reprocess=True)] == [doc_id]
    upsert_document(store, _doc(body="changed"))
    assert [d["id"] for d in documents_to_extract(store, "1.0")] == [doc_id]


def _art(n: int, **over):  # type: ignore[no-untyped-def]
    return _doc(**{"item_id": f"s/{n}", "canonical_url": f"https://e.test/a/{n}", "url": f"https://e.test/a/{n}",
                   "title": f"Title {n}", "body": f"Body {n}.", **over})


def test_a_batch_upserts_as_if_one_by_one(store) -> None:  # type: ignore[no-untyped-def]
    """New, repeated, changed-twice and URL-matched articles in one batch: the same results, rows and
    versions as upserting them one after another (both backends: the batch is a few set statements)."""
    stored = upsert_document(store, _art(0))
    save_extraction(store, stored.id, {"relevant": False, "incident_types": [], "ransoms": []}, "1.0")
    batch = [
        _art(1), _art(2), _art(1),  # new, new, the first again (unchanged)
        _art(2, body="Body 2, corrected."), _art(2, body="Body 2, corrected twice."),  # changed twice in the batch
        _art(0, item_id="other-feed/0"),  # another id for a stored URL with the same text: unchanged
        _art(0, body="Body 0, updated."),  # the stored row changed: queued for extraction again
    ]
    results = upsert_documents(store, batch)
    flags = [(r.created, r.changed) for r in results]
    assert flags == [(True, True), (True, True), (False, False), (False, True), (False, True), (False, False),
                     (False, True)]
    ids = [r.id for r in results]
    assert ids[0] == ids[2] and ids[1] == ids[3] == ids[4] and ids[5] == ids[6] == stored.id and ids[0] < ids[1]
    assert table_counts(store)["documents"] == 3
    assert get_document(store, ids[1])["body"] == "Body 2, corrected twice."
    assert get_document(store, stored.id)["body"] == "Body 0, updated."
    assert get_document(store, stored.id)["item_id"] == "s/0"
    assert [d["id"] for d in documents_to_extract(store, "1.0")] == sorted(set(ids))
    again = upsert_documents(store, [_art(2, body="Body 2, corrected twice."), _art(3), _art(0, body="Body 0, updated.")])
    assert [(r.created, r.changed) for r in again] == [(False, False), (True, True), (False, False)]
    assert upsert_documents(store, []) == []


def test_advisory_rows_only_on_change(store) -> None:  # type: ignore[no-untyped-def]
    adv = {"issuer": "us-state", "country": "KH", "level": 2, "level_native": "Level 2: Exercise Increased Caution"}
    assert upsert_advisory(store, adv).created
    assert not upsert_advisory(store, adv).changed
    up = upsert_advisory(store, {**adv, "level": 3, "level_native": "Level 3: Reconsider Travel"})
    assert up.changed and not up.created
    current = current_advisories(store, country="kh")
    assert [(a["level"], a["previous_level"]) for a in current] == [(3, 2)]
    assert len(advisory_history(store, country="KH")) == 2


def test_run_health_counts_consecutive_failures(store) -> None:  # type: ignore[no-untyped-def]
    sync_sources(store, [{"key": "s", "name": "S", "kind": "news", "country": "KR", "lang": "ko", "fetch": "rss",
                             "url": "https://example.com/rss", "schedule": "30m", "enabled": True}])
    for status in ("failed", "failed"):
        run = start_run(store, "s")
        finish_run(store, run, pages=1, items=0, new_items=0, errors=1, status=status, error_summary="HTTP 503")
    src = list_sources(store)[0]
    assert src["consecutive_failures"] == 2 and src["last_error"] == "HTTP 503"
    run = start_run(store, "s")
    finish_run(store, run, pages=3, items=2, new_items=2, errors=0, status="ok")
    assert list_sources(store)[0]["consecutive_failures"] == 0


def test_a_run_left_running_by_a_killed_crawler_is_closed_as_failed_at_the_next_start(store) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    sync_sources(store, [{"key": "s", "name": "S", "kind": "news", "country": "KR", "lang": "ko", "fetch": "rss",
                             "url": "https://example.com/rss", "schedule": "30m", "enabled": True}])
    killed = start_run(store, "s")  # never finished: the process died
    fresh = start_run(store, "s")  # a second crawler now, e.g. another node: not stale yet, left alone
    assert {r["id"]: r["status"] for r in recent_runs(store, "s")} == {killed: "running", fresh: "running"}
    finish_run(store, fresh, pages=1, items=1, new_items=1, errors=0, status="ok")
    later = start_run(store, "s", stale_after=timedelta(0))
    runs = {r["id"]: r for r in recent_runs(store, "s")}
    assert runs[killed]["status"] == "failed" and "interrupted" in runs[killed]["error_summary"]
    assert runs[fresh]["status"] == "ok" and runs[later]["status"] == "running"
    assert list_sources(store)[0]["consecutive_failures"] == 1
