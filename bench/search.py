"""Search benchmark: build a realistic synthetic corpus of N Korean and English news documents
(bench/corpus.py: 300–900 words, Zipf vocabulary) with extractions, then time a fixed mix of query kinds
(very common and common terms, ANDs, common+rare, 2-character Korean, phrases, OR, exclusion, filters,
facets, deep pages) through storage.search.search() and through the equivalent raw SQL statements (the
same FTS/trigram statements, compiled once, run on a bare DB-API cursor). Prints one JSON line.

    python bench/search.py --docs 100000 [--db URL] [--reuse] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.corpus import SPAN_DAYS, START, Corpus, Progress
from storage.bulk import bulk_insert_documents
from storage.models import Document
from storage.query_syntax import parse_query
from storage.repository import Store
from storage.search import (
    CANDIDATE_CAP,
    DEFAULT_FACETS,
    PG_FIRST_WINDOW,
    PG_SPARSE_REST,
    PG_WINDOW_SETTINGS,
    TRIGRAM_EXPANSION,
    search,
)
from storage.search_sql import (
    candidate_query,
    first_id_published_since,
    fts5_match,
    normalize_filters,
    title_match_query,
    trigram_prefix_query,
    walk_id_windows,
)

log = logging.getLogger("bench.search")

UNKEYED = "/*unkeyed*/"  # separates a window statement's keyed and unkeyed variants
RAW_SAMPLE = 100_000  # documents in the raw FTS5 insert that the bulk load is compared with


def query_mix(today: date) -> list[dict[str, Any]]:
    """(kind, search kwargs): what analysts type, from the very common term to a filter-only query."""
    recent = (today - timedelta(days=120)).isoformat()
    window = {"date_from": (today - timedelta(days=400)).isoformat(), "date_to": (today - timedelta(days=100)).isoformat()}
    return [
        {"kind": "very_common", "query": "경찰"}, {"kind": "very_common", "query": "police"},
        {"kind": "common", "query": "캄보디아"}, {"kind": "common", "query": "Cambodia"},
        {"kind": "common_and", "query": "Cambodia police"}, {"kind": "common_and", "query": "캄보디아 경찰"},
        {"kind": "common_rare", "query": "Cambodia Bokor"}, {"kind": "common_rare", "query": "캄보디아 보코르"},
        {"kind": "korean_2char", "query": "납치"}, {"kind": "korean_2char", "query": "감금 몸값"},
        {"kind": "phrase", "query": '"scam compound"'}, {"kind": "phrase", "query": '"Phnom Penh"'},
        {"kind": "stemmed", "query": "kidnapped"},
        {"kind": "or_not", "query": "kidnapping OR 납치"}, {"kind": "or_not", "query": "Cambodia -rescued"},
        {"kind": "browse", "query": ""},
        {"kind": "filter_only", "query": "", "filters": {"incident_type": ["kidnapping"], "country": ["KH"], **window}},
        {"kind": "filter_only", "query": "", "filters": {"incident_type": ["kidnapping"], "country": ["KH"]}},
        {"kind": "filtered", "query": "ransom", "filters": {"has_ransom": True, "date_from": recent}},
        {"kind": "filtered", "query": "대학생", "filters": {"age_min": 20, "age_max": 25}},
        {"kind": "filtered", "query": "embassy", "filters": {"lang": ["en"]}, "sort": "newest", "page": 2},
        {"kind": "filtered", "query": "Sihanoukville OR 시아누크빌", "filters": {"admin1": ["Preah Sihanouk"]},
         "sort": "oldest"},
        {"kind": "page_50", "query": "캄보디아", "page": 50}, {"kind": "page_50", "query": "police", "page": 50},
    ]


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
    windows = node is not None and not store.is_sqlite  # PostgreSQL text queries walk id windows
    variants = []
    for keyed in (True, False) if windows else (True,):  # PostgreSQL: the keyed window and the unkeyed rest
        q = candidate_query(dialect.name, node, filters, oldest_first=spec.get("sort") == "oldest", cap=CANDIDATE_CAP,
                            match=match, id_range=(-1111111111, -2222222222) if windows else None, keyed=keyed)
        variants.append(compiled(q).replace("-1111111111", "{wlo}").replace("-2222222222", "{whi}"))
    if node is None and not filters:  # search() counts the table when the candidate cap is reached
        statements.append("SELECT count(*) FROM documents")
    if windows and "date_from" in filters:  # the walk starts at the first id published since date_from
        statements.append("/*first*/" + compiled(first_id_published_since(filters["date_from"])))
    statements.append(UNKEYED.join(variants) + ("/*oldest*/" if spec.get("sort") == "oldest" else ""))
    if match is not None and spec.get("sort", "relevance") == "relevance":  # its title-match ranking
        title_sql = compiled(title_match_query(match).params(lo=-1, hi=-2))
        statements.append(title_sql.replace("-1", "{lo}", 1).replace("-2", "{hi}", 1))
    return statements


def run_raw(store: Store, statements: list[str], facets: tuple[str, ...]) -> None:
    raw = store.read_engine.raw_connection()
    try:
        cur = raw.cursor()
        rows: Sequence[Any] = []
        first_id = 0
        for sql in statements:
            if "{lo}" in sql:  # the title-match query runs over the candidates' id range
                window = [r[0] for r in rows] or [0]
                cur.execute(sql.replace("{lo}", str(min(window))).replace("{hi}", str(max(window))))
                cur.fetchall()
                continue
            if sql.startswith("/*first*/"):
                cur.execute(sql)
                first_id = (cur.fetchone() or (0,))[0]
                continue
            if "{wlo}" in sql:
                rows = _run_windows(cur, sql, first_id)
                continue
            cur.execute(sql)
            rows = cur.fetchall()
        ids = ",".join(str(r[0]) for r in rows) or "NULL"
        names = ",".join(f"'{f}'" for f in facets)
        cur.execute(f"SELECT facet, value, count(*) FROM document_facets WHERE document_id IN ({ids}) "
                    f"AND facet IN ({names}) GROUP BY facet, value")
        cur.fetchall()
        page = ",".join(str(r[0]) for r in rows[:20]) or "NULL"
        cur.execute(f"SELECT d.id, d.title, d.body, e.data FROM documents d LEFT JOIN extractions e "
                    f"ON e.document_id = d.id WHERE d.id IN ({page})")
        cur.fetchall()
        if not store.is_sqlite:
            raw.rollback()
    finally:
        raw.close()


class _TimedCorpus:
    """Iterates the corpus for the bulk loader, timing generation apart from storing and showing progress."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus, self.gen_s, self.done = corpus, 0.0, 0
        self.progress = Progress(corpus.n, "building corpus")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        it = iter(self.corpus)
        while True:
            t = time.perf_counter()
            item = next(it, None)
            self.gen_s += time.perf_counter() - t
            if item is None:
                return
            self.done += 1
            yield item

    def update(self, loaded: int) -> None:
        self.progress.update(self.done)


def _run_windows(cur: Any, sql: str, first_id: int) -> list[Any]:
    """The candidate statement over id windows, as search() runs it on PostgreSQL."""
    oldest = sql.endswith("/*oldest*/")
    keyed_sql, unkeyed_sql = sql.removesuffix("/*oldest*/").split(UNKEYED)
    cur.execute("SELECT min(id), max(id) FROM documents")
    first, last = cur.fetchone()
    if last is None:
        return []
    first = max(first, first_id)
    cur.execute("SELECT " + ", ".join(f"set_config('{n}', '{v}', true)" for n, v in PG_WINDOW_SETTINGS))

    def run(lo: int, hi: int, keyed: bool, cap: int) -> list[Any]:
        statement = keyed_sql if keyed else unkeyed_sql
        cur.execute(statement.replace("{wlo}", str(lo)).replace("{whi}", str(hi)).replace(
            f"LIMIT {CANDIDATE_CAP}", f"LIMIT {cap}"))
        return list(cur.fetchall())

    rows = walk_id_windows(run, first, last, PG_FIRST_WINDOW, oldest_first=oldest, cap=CANDIDATE_CAP,
                           sparse_rest=PG_SPARSE_REST)
    cur.execute("; ".join(f"RESET {n}" for n, _ in PG_WINDOW_SETTINGS))
    return rows


def build(store: Store, corpus: Corpus) -> dict[str, Any]:
    """Bulk-load the corpus; store time excludes generating it. On SQLite the first RAW_SAMPLE documents
    are one bulk load of their own (index and trigger rebuilds included), timed as `sample_build_s`, the
    figure compared with a raw FTS5 insert of the same rows; the rest is a second load."""
    timed = _TimedCorpus(corpus)
    documents = iter(timed)
    started = time.perf_counter()
    sample = min(RAW_SAMPLE, corpus.n)
    sample_s: float | None = None
    if store.is_sqlite and corpus.n > sample:
        bulk_insert_documents(store, islice(documents, sample), batch=10_000, progress=timed.update)
        sample_s = time.perf_counter() - started - timed.gen_s
    bulk_insert_documents(store, documents, batch=10_000, progress=timed.update)
    total = time.perf_counter() - started - timed.gen_s
    if sample_s is None and corpus.n <= sample:
        sample_s = total  # the whole build is the sample
    with store.write() as s:
        s.execute(text("ANALYZE"))
    built = {"build_s": round(time.perf_counter() - started - timed.gen_s, 1), "generate_s": round(timed.gen_s, 1),
             "mean_words": round(corpus.mean_words, 1), "vocabulary": corpus.vocabulary,
             "raw_text_mb": round(corpus.raw_bytes / 1e6, 1)}
    if sample_s is not None:
        built["sample_build_s"] = round(sample_s, 1)
    return built


def raw_fts_build(n: int, batch: int = 10_000) -> float:
    """Seconds to insert the same first n documents' title and body into a bare FTS5 trigram table
    (its own content, no triggers, no other tables), the floor a bulk load is compared with."""
    with tempfile.TemporaryDirectory() as folder:
        con = sqlite3.connect(Path(folder) / "raw.sqlite", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE VIRTUAL TABLE raw_fts USING fts5(title, body, tokenize='trigram')")
        spent = 0.0
        for chunk in _chunks(((d["title"], d["body"]) for d in Corpus(n)), batch):
            t = time.perf_counter()
            con.execute("BEGIN")
            con.executemany("INSERT INTO raw_fts(title, body) VALUES (?, ?)", chunk)
            con.execute("COMMIT")
            spent += time.perf_counter() - t
        con.close()
    return spent


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _meta_path(url: str) -> Path:
    return Path(tempfile.gettempdir()) / ("deskwatch-bench-" + "".join(c if c.isalnum() else "_" for c in url)[-80:]
                                          + ".json")


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
    ap.add_argument("--no-raw-build", action="store_true", help="skip the raw FTS5 insert of the sample")
    ap.add_argument("--scratch-db", action="store_true",
                    help="with a PostgreSQL --db: create a scratch database beside it, run there, drop it after")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.scratch_db:
        if not args.db or args.reuse:
            raise SystemExit("--scratch-db needs a PostgreSQL --db and cannot be combined with --reuse")
        with scratch_database(args.db, args.docs) as url:
            run(args, url)
        return
    run(args, args.db or f"sqlite:////tmp/deskwatch-bench-{args.docs}.sqlite")


@contextmanager
def scratch_database(server_url: str, docs: int) -> Iterator[str]:
    """A new PostgreSQL database on the server of `server_url` (created through it), dropped afterwards."""
    base = make_url(server_url)
    name = f"deskwatch_bench_{docs}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        _meta_path(base.set(database=name).render_as_string(hide_password=False)).unlink(missing_ok=True)


def run(args: argparse.Namespace, url: str) -> None:
    if not args.db and not args.reuse and os.path.exists(url[10:]):
        for suffix in ("", "-wal", "-shm"):
            Path(url[10:] + suffix).unlink(missing_ok=True)
    store = Store(url)
    with store.read() as s:
        existing = s.scalar(select(func.count()).select_from(Document)) or 0
    if existing and not (args.reuse and existing == args.docs):
        raise SystemExit(f"{url} already holds {existing} documents; use an empty database or --reuse")
    if existing:
        built = json.loads(_meta_path(url).read_text()) if _meta_path(url).exists() else {}
    else:
        built = build(store, Corpus(args.docs))
        _meta_path(url).write_text(json.dumps(built))
    if store.is_sqlite and not args.no_raw_build and "raw_build_s" not in built:
        sample = min(RAW_SAMPLE, args.docs)
        built.update(raw_sample_docs=sample, raw_build_s=round(raw_fts_build(sample), 1))
        if "sample_build_s" in built:
            built["build_ratio"] = round(built["sample_build_s"] / max(built["raw_build_s"], 1e-9), 3)
        _meta_path(url).write_text(json.dumps(built))
    specs = query_mix((START + timedelta(days=SPAN_DAYS)).date())
    api_ms, raw_ms = time_queries(store, specs, args.runs)
    flat_api = [ms for values in api_ms.values() for ms in values]
    flat_raw = [ms for values in raw_ms.values() for ms in values]
    p95, raw_p95 = percentile(flat_api, 95), percentile(flat_raw, 95)
    db_mb = db_megabytes(store)
    print(json.dumps({
        "docs": args.docs, "backend": store.engine.dialect.name, "p50_ms": round(statistics.median(flat_api), 2),
        "p95_ms": round(p95, 2), "raw_p95_ms": round(raw_p95, 2),
        "overhead_ratio": round(p95 / raw_p95, 3) if raw_p95 else None,
        "p95_by_kind": {k: round(percentile(v, 95), 1) for k, v in api_ms.items()},
        "raw_p95_by_kind": {k: round(percentile(v, 95), 1) for k, v in raw_ms.items()},
        **built, "db_mb": round(db_mb, 1),
        "db_to_text": round(db_mb / built["raw_text_mb"], 2) if built.get("raw_text_mb") else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "queries": len(specs), "runs": args.runs,
    }, ensure_ascii=False))
    store.close()


def time_queries(store: Store, specs: list[dict[str, Any]], runs: int) -> tuple[dict[str, list[float]], ...]:
    """Milliseconds per query kind for search() and for its raw statements, interleaved run by run."""
    api_ms: dict[str, list[float]] = {}
    raw_ms: dict[str, list[float]] = {}
    for spec in specs:
        kwargs = {k: v for k, v in spec.items() if k != "kind"}
        statements = raw_statements(store, kwargs)
        search(store, **kwargs)  # warm the page cache for both paths alike
        run_raw(store, statements, DEFAULT_FACETS)
        for _ in range(runs):
            t = time.perf_counter()
            search(store, **kwargs)
            api_ms.setdefault(spec["kind"], []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            run_raw(store, statements, DEFAULT_FACETS)
            raw_ms.setdefault(spec["kind"], []).append((time.perf_counter() - t) * 1000)
    return api_ms, raw_ms


if __name__ == "__main__":
    main()
