"""Invented reports, advisories, runs and alerts for the web tests, written through the store's own API.
Extraction dicts are made by hand in the nlp contract's shape, with spans computed from the texts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.advisories import upsert_advisory
from storage.alerts import AlertRow, enqueue_alerts
from storage.documents import get_document, save_extraction, upsert_document
from storage.repository import Store
from storage.sources import finish_run, start_run, sync_sources
from storage.stories import assign_stories

ANALYST_TOKEN = "analyst-token-for-tests"
ADMIN_TOKEN = "admin-token-for-tests"
RULES_TEXT = """[[rules]]
name = "korean-kidnapping"
subject = "incident"
channels = ["jsonl"]

[rules.when]
incident_types = ["kidnapping", "detention"]
"""


HOSTILE_TITLE = "<script>alert('title')</script> Kampot raid frees Koreans"
HOSTILE_BODY = 'Police in Kampot freed three Korean nationals. <img src=x onerror="alert(1)"> They are 31 years old.'
T0 = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)

KO_TITLE = "캄보디아서 20대 한국인 대학생 감금…몸값 2만 달러 요구"
KO_BODY = (
    "캄보디아 시아누크빌의 한 범죄단지에서 한국인 대학생 A(24)씨가 감금됐다고 외교부가 12일 밝혔다. "
    "납치 조직은 가족에게 몸값 2만 달러를 요구한 것으로 알려졌다. 현지 경찰이 구출 작전을 검토하고 있다."
)
EN_TITLE = "South Korean student, 24, held in Sihanoukville scam compound"
EN_BODY = (
    "A 24-year-old South Korean university student has been detained in a scam compound in Sihanoukville, "
    "Cambodia, the foreign ministry said Sunday. His captors demanded a ransom of $20,000 from his family."
)
KM_TITLE = "ប៉ូលិសខេត្តព្រះសីហនុជួយសង្គ្រោះពលរដ្ឋកូរ៉េ"
KM_BODY = "ប៉ូលិសខេត្តព្រះសីហនុបានជួយសង្គ្រោះពលរដ្ឋកូរ៉េខាងត្បូងម្នាក់ អាយុ 24 ឆ្នាំ ពីមជ្ឈមណ្ឌលបោកប្រាស់។"
OTHER_TITLE = "부산 불꽃축제 오늘 개막"
OTHER_BODY = "부산 광안리에서 불꽃축제가 열린다. 주최 측은 관람객 백만 명을 예상했다."

SIHANOUKVILLE = {"name": "Sihanoukville", "country": "KH", "admin1": "Preah Sihanouk", "geonameid": 1831142,
                 "lat": 10.6093, "lon": 103.5296}
KAMPOT = {"name": "Kampot", "country": "KH", "admin1": "Kampot", "geonameid": 1831112, "lat": 10.6104, "lon": 104.1815}


def span(text: str, needle: str, **extra: Any) -> dict[str, Any]:
    start = text.index(needle)
    return {"text": needle, "start": start, "end": start + len(needle), **extra}


def extraction(
    text: str, lang: str, *, places: list[tuple[str, dict[str, Any]]] = (), ages: list[tuple[str, int]] = (),
    ransoms: list[tuple[str, float]] = (), types: list[str] = (), relevant: bool = True,
) -> dict[str, Any]:
    return {
        "lang": lang,
        "places": [span(text, needle, **place) for needle, place in places],
        "victim_ages": [span(text, needle, value=value) for needle, value in ages],
        "ransoms": [span(text, needle, amount=usd, currency="USD", usd=usd) for needle, usd in ransoms],
        "incident_types": list(types), "victim_nationality": "KR" if relevant else None,
        "victim_count": 1 if relevant else None, "relevant": relevant,
    }


@dataclass
class Seeded:
    doc_ids: dict[str, int] = field(default_factory=dict)
    story_ids: dict[str, int | None] = field(default_factory=dict)


HOSTILE_URL = "javascript:alert(document.cookie)"


def _document(key: str, source: str, lang: str, title: str, body: str, published: datetime) -> dict[str, Any]:
    url = HOSTILE_URL if key == "hostile" else f"https://news.example.org/{source}/{key}"
    return {
        "item_id": f"{source}/{key}", "source_key": source, "url": url, "canonical_url": url, "title": title,
        "body": body, "summary": "", "lang": lang, "country": "KR" if lang == "ko" else "KH",
        "published_at": published,
    }


def seed_reports(store: Store) -> Seeded:
    """Five reports: one incident told in Korean, English and Khmer, a hostile-HTML one, an unrelated one."""
    sync_sources(store, [
        {"key": "yna-ko", "name": "연합뉴스", "kind": "news", "country": "KR", "lang": "ko", "fetch": "rss",
         "url": "https://www.yna.co.kr/rss/news.xml", "schedule": "30m", "enabled": True},
        {"key": "herald-en", "name": "The Korea Herald", "kind": "news", "country": "KR", "lang": "en",
         "fetch": "rss", "url": "https://www.koreaherald.com/rss", "schedule": "30m", "enabled": True},
        {"key": "kh-km", "name": "Khmer Daily", "kind": "news", "country": "KH", "lang": "km", "fetch": "html",
         "url": "https://km.example.org/", "schedule": "1h", "enabled": True},
    ])
    specs = [
        ("ko", "yna-ko", "ko", KO_TITLE, KO_BODY, T0, extraction(
            KO_BODY, "ko", places=[("시아누크빌", SIHANOUKVILLE)], ages=[("24", 24)], ransoms=[("2만 달러", 20000.0)],
            types=["kidnapping", "detention"])),
        ("en", "herald-en", "en", EN_TITLE, EN_BODY, T0 + timedelta(hours=5), extraction(
            EN_BODY, "en", places=[("Sihanoukville", SIHANOUKVILLE)], ages=[("24", 24)],
            ransoms=[("$20,000", 20000.0)], types=["detention", "scam_recruitment"])),
        ("km", "kh-km", "km", KM_TITLE, KM_BODY, T0 + timedelta(hours=9), extraction(
            KM_BODY, "km", places=[("ព្រះសីហនុ", SIHANOUKVILLE)], ages=[("24", 24)], types=["rescue"])),
        ("hostile", "herald-en", "en", HOSTILE_TITLE, HOSTILE_BODY, T0 - timedelta(days=30), extraction(
            HOSTILE_BODY, "en", places=[("Kampot", KAMPOT)], ages=[("31", 31)], types=["rescue"])),
        ("other", "yna-ko", "ko", OTHER_TITLE, OTHER_BODY, T0 - timedelta(days=2), extraction(
            OTHER_BODY, "ko", relevant=False)),
    ]
    seeded = Seeded()
    for key, source, lang, title, body, published, data in specs:
        doc_id = upsert_document(store, _document(key, source, lang, title, body, published)).id
        save_extraction(store, doc_id, {**data, "id": doc_id}, "test-1")
        seeded.doc_ids[key] = doc_id
    assign_stories(store, list(seeded.doc_ids.values()))
    for key, doc_id in seeded.doc_ids.items():
        seeded.story_ids[key] = (get_document(store, doc_id) or {}).get("story_id")
    return seeded


def seed_status(store: Store) -> None:
    """Advisory history for Cambodia (US 2→3, Korea level 3 with a region), a failing source, alerts."""
    for level, label in ((2, "Exercise Increased Caution"), (3, "Reconsider Travel")):
        upsert_advisory(store, {
            "issuer": "us-state", "country": "KH", "level": level, "level_native": f"Level {level}: {label}",
            "label": label, "summary": f"Cambodia - Level {level}: {label}", "url": "https://travel.state.gov/kh",
            "issued_at": T0 - timedelta(days=60 if level == 2 else 3),
        })
    upsert_advisory(store, {"issuer": "kr-mofa", "country": "KH", "level": 3, "level_native": "3단계 출국권고",
                           "label": "출국권고", "url": "https://www.0404.go.kr/kh", "issued_at": T0})
    upsert_advisory(store, {"issuer": "kr-mofa", "country": "KH", "region": "Bokor Mountain", "level": 4,
                           "level_native": "4단계 여행금지", "label": "여행금지", "issued_at": T0})
    run = start_run(store, "kh-km")
    finish_run(store, run, pages=0, items=0, new_items=0, errors=1, status="failed",
                     error_summary="HTTP 503 <b>Service Unavailable</b>")
    ok = start_run(store, "yna-ko")
    finish_run(store, ok, pages=3, items=20, new_items=4, errors=0, status="ok")
    enqueue_alerts(store, [
        AlertRow("kr-incidents", "story", "1", "v1", "log", {"title": "캄보디아 감금 <i>story</i>"}),
        AlertRow("source-down", "source", "kh-km", "1", "log", {"title": "kh-km failing"}),
    ])
