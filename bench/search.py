"""Search benchmark: build a synthetic corpus of N Korean and English documents with extractions, then
time a fixed mix of realistic queries (free text, 2-character Korean, phrases, OR, exclusion, filters,
facets, pages) through storage.search.search() and through the equivalent raw SQL statements (the same
FTS/trigram statements, compiled once, run on a bare DB-API cursor). Prints one JSON line.

    python bench/search.py --docs 100000 [--db URL] [--reuse] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from storage.bulk import bulk_insert_documents
from storage.models import Document
from storage.query_syntax import parse_query
from storage.repository import Store
from storage.search import CANDIDATE_CAP, DEFAULT_FACETS, TRIGRAM_EXPANSION, search
from storage.search_sql import (
    candidate_query,
    fts5_match,
    normalize_filters,
    title_match_query,
    trigram_prefix_query,
)

log = logging.getLogger("bench.search")

START = datetime(2023, 1, 1, tzinfo=UTC)
KO_DOMAIN = ["캄보디아", "납치", "감금", "몸값", "구출", "송환", "대학생", "경찰", "프놈펜", "시아누크빌",
             "보이스피싱", "취업", "사기", "대사관", "외교부", "범죄단지", "고문", "실종"]  # fmt: skip
EN_DOMAIN = ["Cambodia", "kidnapped", "kidnapping", "ransom", "rescue", "rescued", "student", "police", "Phnom",
             "Penh", "Sihanoukville", "scam", "compound", "embassy", "detained", "repatriated", "tortured"]  # fmt: skip
KO_ENDINGS = ["", "", "가", "는", "를", "에서", "됐다", "했다", "의", "에", "으로"]
PLACES = [("KH", "Kampot", "Bokor"), ("KH", "Preah Sihanouk", "Sihanoukville"), ("KH", "Phnom Penh", "Phnom Penh"),
          ("KR", "North Gyeongsang", "Yecheon"), ("TH", "Tak", "Mae Sot"), ("MM", "Kayin", "Myawaddy")]  # fmt: skip
TYPES = ["kidnapping", "detention", "rescue", "repatriation", "scam_recruitment", "arrest", "death", "torture"]


def pseudo_words(rng: random.Random, korean: bool, n: int) -> list[str]:
    """A filler vocabulary with a realistic spread of trigrams (random Hangul syllables / letters)."""
    if korean:
        return ["".join(chr(0xAC00 + rng.randrange(0, 11172, 28)) for _ in range(rng.randint(2, 3))) for _ in range(n)]
    letters = "etaoinshrdlcumwfgypbvk"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def corpus(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """N documents in publication order; about a third report an incident and carry an extraction."""
    rng = random.Random(seed)
    vocab = {True: pseudo_words(rng, True, 4000), False: pseudo_words(rng, False, 4000)}
    span = timedelta(days=1000) / max(n, 1)
    for i in range(n):
        korean = i % 2 == 0
        relevant = rng.random() < 0.33
        words = rng.choices(vocab[korean], k=rng.randint(50, 110))
        if relevant:
            domain = KO_DOMAIN if korean else EN_DOMAIN
            for _ in range(rng.randint(3, 8)):
                word = rng.choice(domain) + (rng.choice(KO_ENDINGS) if korean else "")
                words.insert(rng.randrange(len(words)), word)
            if not korean and rng.random() < 0.3:
                words[rng.randrange(len(words))] = "scam compound"
        title = " ".join(words[:8])
        yield {
            "item_id": f"bench/{i}", "source_key": f"{'ko' if korean else 'en'}-src-{i % 12}",
            "url": f"https://bench.invalid/{i}", "title": title, "body": " ".join(words), "lang": "ko" if korean else "en",
            "country": "KR", "published_at": START + span * i + timedelta(minutes=rng.randint(0, 90)),
            "extraction": _extraction(rng) if relevant else None, "extraction_version": "bench",
        }  # fmt: skip


def _extraction(rng: random.Random) -> dict[str, Any]:
    place = rng.choice(PLACES)
    ransom = [{"amount": a, "currency": "USD", "usd": a} for a in [rng.choice([5000, 20000, 38500, 100000])]
              if rng.random() < 0.3]  # fmt: skip
    return {
        "relevant": True, "incident_types": sorted(set(rng.sample(TYPES, rng.randint(1, 2)))),
        "victim_ages": [{"value": rng.randint(18, 45)}] if rng.random() < 0.5 else [], "ransoms": ransom,
        "places": [{"name": place[2], "country": place[0], "admin1": place[1]}], "victim_nationality": "KR",
    }  # fmt: skip


def query_mix(today: date) -> list[dict[str, Any]]:
    recent = (today - timedelta(days=120)).isoformat()
    return [
        {"query": "캄보디아"}, {"query": "Cambodia"}, {"query": "납치"}, {"query": "감금 몸값"},
        {"query": '"scam compound"'}, {"query": "kidnapping OR 납치"}, {"query": "Cambodia -rescue"},
        {"query": ""}, {"query": "", "filters": {"incident_type": ["kidnapping"], "country": ["KH"]}},
        {"query": "ransom", "filters": {"has_ransom": True, "date_from": recent}},
        {"query": "대학생", "filters": {"age_min": 20, "age_max": 25}},
        {"query": "embassy", "filters": {"lang": ["en"]}, "sort": "newest", "page": 2},
        {"query": "Sihanoukville OR 시아누크빌", "filters": {"admin1": ["Preah Sihanouk"]}, "sort": "oldest"},
    ]  # fmt: skip


def raw_statements(store: Store, spec: dict[str, Any]) -> list[str]:
    """The statements search() runs for this query, compiled once with literal values, so timing them
    on a bare cursor measures the API's own overhead (parsing, ORM, snippets, dicts)."""
    dialect = store.engine.dialect
    node = parse_query(spec.get("query", ""))
    filters = normalize_filters(spec.get("filters"))
    compiled = lambda stmt: str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    statements, match = [], None
    if node is not None and store.is_sqlite:
        def expand(term: str) -> list[str]:
            statements.append(compiled(trigram_prefix_query(term, TRIGRAM_EXPANSION)))
            with store.read() as s:
                return list(s.scalars(trigram_prefix_query(term, TRIGRAM_EXPANSION)))
        match = fts5_match(node, expand)
    q = candidate_query(dialect.name, node, filters, oldest_first=spec.get("sort") == "oldest", cap=CANDIDATE_CAP,
                        match=match)  # fmt: skip
    if node is None and not filters:  # search() counts the table when the candidate cap is reached
        statements.append("SELECT count(*) FROM documents")
    statements.append(compiled(q))
    if match is not None and spec.get("sort", "relevance") == "relevance":  # its title-match ranking
        title_sql = compiled(title_match_query(match).params(lo=-1, hi=-2))
        statements.append(title_sql.replace("-1", "{lo}", 1).replace("-2", "{hi}", 1))
    return statements


def run_raw(store: Store, statements: list[str], facets: tuple[str, ...]) -> None:
    raw = store.read_engine.raw_connection()
    try:
        cur = raw.cursor()
        rows: list[Any] = []
        for sql in statements:
            if "{lo}" in sql:  # the title-match query runs over the candidates' id range
                ids = [r[0] for r in rows] or [0]
                cur.execute(sql.replace("{lo}", str(min(ids))).replace("{hi}", str(max(ids))))
                cur.fetchall()
                continue
            cur.execute(sql)
            rows = cur.fetchall()
        ids = ",".join(str(r[0]) for r in rows) or "NULL"
        names = ",".join(f"'{f}'" for f in facets)
        cur.execute(f"SELECT facet, value, count(*) FROM document_facets WHERE document_id IN ({ids}) "
                    f"AND facet IN ({names}) GROUP BY facet, value")  # fmt: skip
        cur.fetchall()
        page = ",".join(str(r[0]) for r in rows[:20]) or "NULL"
        cur.execute(f"SELECT d.id, d.title, d.body, e.data FROM documents d LEFT JOIN extractions e "
                    f"ON e.document_id = d.id WHERE d.id IN ({page})")  # fmt: skip
        cur.fetchall()
        if not store.is_sqlite:
            raw.rollback()
    finally:
        raw.close()


def build(store: Store, n: int) -> float:
    started = time.perf_counter()
    bulk_insert_documents(store, corpus(n))
    with store.write() as s:
        s.execute(text("ANALYZE"))
    return time.perf_counter() - started


def db_megabytes(store: Store) -> float:
    if store.is_sqlite:
        path = store.engine.url.database or ""
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 1e6
    with store.read() as s:
        return (s.scalar(text("SELECT pg_database_size(current_database())")) or 0) / 1e6


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--db", help="database URL (default: a new SQLite file under /tmp)")
    ap.add_argument("--reuse", action="store_true", help="keep an existing corpus of the right size")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per query")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    url = args.db or f"sqlite:////tmp/deskwatch-bench-{args.docs}.sqlite"
    if not args.db and not args.reuse and os.path.exists(url[10:]):
        for suffix in ("", "-wal", "-shm"):
            Path(url[10:] + suffix).unlink(missing_ok=True)
    store = Store(url)
    with store.read() as s:
        existing = s.scalar(select(func.count()).select_from(Document)) or 0
    if existing and not (args.reuse and existing == args.docs):
        raise SystemExit(f"{url} already holds {existing} documents; use an empty database or --reuse")
    build_s = build(store, args.docs) if not existing else None
    specs = query_mix((START + timedelta(days=1000)).date())
    api_ms, raw_ms = [], []
    for spec in specs:
        statements = raw_statements(store, spec)
        kwargs = {k: v for k, v in spec.items()}
        search(store, **kwargs)  # warm the page cache for both paths alike
        run_raw(store, statements, DEFAULT_FACETS)
        for _ in range(args.runs):
            t = time.perf_counter()
            search(store, **kwargs)
            api_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            run_raw(store, statements, DEFAULT_FACETS)
            raw_ms.append((time.perf_counter() - t) * 1000)
    p95, raw_p95 = percentile(api_ms, 95), percentile(raw_ms, 95)
    print(json.dumps({
        "docs": args.docs, "p50_ms": round(statistics.median(api_ms), 2), "p95_ms": round(p95, 2),
        "raw_p95_ms": round(raw_p95, 2), "overhead_ratio": round(p95 / raw_p95, 3) if raw_p95 else None,
        "build_s": round(build_s, 1) if build_s is not None else None, "db_mb": round(db_megabytes(store), 1),
        "backend": store.engine.dialect.name, "queries": len(specs), "runs": args.runs,
    }))  # fmt: skip
    store.close()


if __name__ == "__main__":
    main()
