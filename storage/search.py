"""One search API for the CLI, the web UI and digests: free text (Korean, English, Khmer) with
filters, facet counts, highlighted snippets, sorting and pagination, on SQLite FTS5 or PostgreSQL.

Ranking is recency-first within a bounded candidate set: at most CANDIDATE_CAP matching documents,
newest first, are ranked, paginated and counted for facets, so a common term costs the same at one
million documents as at ten thousand. `total_exact` says whether `total` hit that cap."""
from __future__ import annotations

import html
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.documents import document_dict
from storage.models import Document, Extraction
from storage.query_syntax import Node, SearchError, Term, match_forms, parse_query, positive_terms
from storage.repository import Store
from storage.search_sql import (
    DOCUMENT_FACETS,
    FACET_TABLE_FACETS,
    KNOWN_FACETS,
    candidate_query,
    facet_count_query,
    first_id_published_since,
    fts5_match,
    normalize_filters,
    title_match_query,
    trigram_prefix_query,
    walk_id_windows,
)

__all__ = ["DEFAULT_FACETS", "Hit", "SearchError", "SearchResult", "search"]

log = logging.getLogger(__name__)

DEFAULT_FACETS = ("incident_type", "country", "admin1", "place", "source", "lang", "has_ransom")
SORTS = ("relevance", "newest", "oldest")
CANDIDATE_CAP = 1000
MAX_PER_PAGE = 100
FACET_VALUES = 30  # values listed per facet
PG_FIRST_WINDOW = 4 * CANDIDATE_CAP  # newest ids a PostgreSQL text query looks at first
PG_SPARSE_REST = 2 * CANDIDATE_CAP  # expected matches below which the rest of the ids is one unkeyed statement
# For the windowed candidate statements only: the planner prices the tsvector match as cheap and would
# walk the primary key decompressing each row's tsvector; these make it use the (search_tsv, id) GIN index,
# which answers a window's matches without reading any tsvector. No parallel workers for millisecond work.
PG_WINDOW_SETTINGS = (("enable_indexscan", "off"), ("enable_seqscan", "off"), ("enable_hashjoin", "off"), ("enable_mergejoin", "off"),
                      ("max_parallel_workers_per_gather", "0"))
TRIGRAM_EXPANSION = 400  # trigrams OR-ed for one 2-character term
SNIPPET_CHARS = 240


@dataclass
class Hit:
    document: dict[str, Any]  # document_dict fields, body omitted
    snippet_html: str  # HTML-escaped text; only <mark>…</mark> added
    score: float
    extraction: dict[str, Any] | None


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    took_ms: float
    total_exact: bool = True
    sort: str = "relevance"
    query: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    # publication times of every candidate (not only this page), for a per-day view; not in to_dict()
    published: list[Any] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "filters": {k: _jsonable(v) for k, v in self.filters.items()}, "sort": self.sort,
            "total": self.total, "total_exact": self.total_exact, "page": self.page, "per_page": self.per_page,
            "facets_exact": self.total_exact,  # facet counts cover the candidates: all matches, or the newest cap
            "took_ms": round(self.took_ms, 2),
            "hits": [
                {"document": h.document, "snippet_html": h.snippet_html, "score": h.score, "extraction": h.extraction}
                for h in self.hits
            ],
            "facets": {name: [[value, count] for value, count in values] for name, values in self.facets.items()},
        }


def search(
    store: Store,
    query: str = "",
    filters: dict[str, Any] | None = None,
    facets: Sequence[str] = DEFAULT_FACETS,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
) -> SearchResult:
    """Documents matching `query` and `filters`: one page of hits, the total and facet counts.
    Raises SearchError (a ValueError) for bad syntax or a bad filter value; never an SQL error."""
    started = time.perf_counter()
    node, flt = _validate(query, filters, facets, sort, page, per_page)
    if node is None and sort == "relevance":
        sort = "newest"
    with store.read() as s:
        dialect = s.get_bind().dialect.name
        match = fts5_match(node, lambda t: _expand_trigrams(s, t)) if node is not None and dialect == "sqlite" else None
        rows = _candidates(s, dialect, node, flt, sort == "oldest", match)
        total, exact = _total(s, rows, node, flt)
        if match is not None and sort == "relevance" and rows:
            rows = _score_title_matches(s, rows, match)
        ordered = _rank(rows, sort)
        page_rows = ordered[(page - 1) * per_page : page * per_page]
        hits = _hydrate(s, page_rows, positive_terms(node))
        facet_counts = _facets(s, rows, facets)
    took = (time.perf_counter() - started) * 1000
    published = [r.published_at for r in rows]
    return SearchResult(total, page, per_page, hits, facet_counts, took, exact, sort, query, flt, published)


def _validate(
    query: str, filters: dict[str, Any] | None, facets: Sequence[str], sort: str, page: int, per_page: int
) -> tuple[Node | None, dict[str, Any]]:
    if sort not in SORTS:
        raise SearchError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not isinstance(page, int) or page < 1:
        raise SearchError(f"page must be a whole number from 1 (got {page!r})")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(f"per_page must be from 1 to {MAX_PER_PAGE} (got {per_page!r})")
    unknown = set(facets) - KNOWN_FACETS
    if unknown:
        raise SearchError(f"unknown facet(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_FACETS))}")
    return parse_query(query or ""), normalize_filters(filters)


def _candidates(
    s: Session, dialect: str, node: Node | None, flt: dict[str, Any], oldest_first: bool, match: str | None
) -> list[Any]:
    """At most CANDIDATE_CAP matches, newest first. PostgreSQL text queries walk id windows (walk_id_windows)."""
    if dialect == "sqlite" or node is None:
        q = candidate_query(dialect, node, flt, oldest_first=oldest_first, cap=CANDIDATE_CAP, match=match)
        return list(s.execute(q).all())
    first_id, last_id = s.execute(select(func.min(Document.id), func.max(Document.id))).one()
    rows: list[Any] = []
    if last_id is None:
        return rows
    if "date_from" in flt:  # no match is older than the first document published since date_from
        first_id = max(first_id, s.scalar(first_id_published_since(flt["date_from"])) or 0)
    s.execute(text("SELECT " + ", ".join(f"set_config('{n}', '{v}', true)" for n, v in PG_WINDOW_SETTINGS)))

    def run(lo: int, hi: int, keyed: bool, cap: int) -> list[Any]:
        q = candidate_query(dialect, node, flt, oldest_first=oldest_first, cap=cap, id_range=(lo, hi), keyed=keyed)
        return list(s.execute(q))

    rows = walk_id_windows(run, first_id, last_id, PG_FIRST_WINDOW, oldest_first=oldest_first, cap=CANDIDATE_CAP,
                           sparse_rest=PG_SPARSE_REST)
    s.execute(text("; ".join(f"RESET {n}" for n, _ in PG_WINDOW_SETTINGS)))
    return rows


def _expand_trigrams(s: Session, term: str) -> list[str]:
    return list(s.scalars(trigram_prefix_query(term, TRIGRAM_EXPANSION)))


def _total(s: Session, rows: Sequence[Any], node: Node | None, flt: dict[str, Any]) -> tuple[int, bool]:
    """Exact below the cap; the unfiltered, empty query counts the table; otherwise 'at least cap'."""
    if len(rows) < CANDIDATE_CAP:
        return len(rows), True
    if node is None and not flt:
        return s.scalar(select(func.count()).select_from(Document)) or 0, True
    return len(rows), False


class _Candidate(NamedTuple):
    id: int
    published_at: Any
    source_key: str
    lang: str
    score: float


def _score_title_matches(s: Session, rows: Sequence[Any], match: str) -> list[_Candidate]:
    """SQLite relevance: 1.0 when the title itself matches the query, else 0.5 (a body match)."""
    ids = [r[0] for r in rows]
    in_title = set(s.scalars(title_match_query(match), {"lo": min(ids), "hi": max(ids)}))
    return [_Candidate(i, p, src, lang, 1.0 if i in in_title else 0.5) for i, p, src, lang, _ in rows]


def _rank(rows: Sequence[Any], sort: str) -> list[Any]:
    """Order candidates; published_at comes raw from the driver (a datetime, or SQLite's sortable text)."""
    undated = [r for r in rows if r.published_at is None]
    dated = [r for r in rows if r.published_at is not None]
    if sort == "relevance":
        dated.sort(key=lambda r: (r.published_at, r.id), reverse=True)
        return sorted(dated + sorted(undated, key=lambda r: -r.id), key=lambda r: -(r.score or 0.0))
    if sort == "oldest":
        return sorted(dated, key=lambda r: (r.published_at, r.id)) + sorted(undated, key=lambda r: r.id)
    return sorted(dated, key=lambda r: (r.published_at, r.id), reverse=True) + sorted(undated, key=lambda r: -r.id)


def _hydrate(s: Session, page_rows: Sequence[Any], terms: list[Term]) -> list[Hit]:
    ids = [r.id for r in page_rows]
    if not ids:
        return []
    q = select(Document, Extraction.data).outerjoin(Extraction, Extraction.document_id == Document.id)
    loaded = {doc.id: (doc, data) for doc, data in s.execute(q.where(Document.id.in_(ids)))}
    hits = []
    for row in page_rows:
        doc, extraction = loaded[row.id]
        data = document_dict(doc)
        body = data.pop("body")
        snippet = make_snippet(_snippet_source(terms, body, data["summary"], data["title"]), terms)
        hits.append(Hit(data, snippet, round(float(row.score or 0.0), 4), extraction))
    return hits


def _snippet_source(terms: list[Term], *texts: str | None) -> str:
    """The first of body, summary, title that contains a search term (else the first non-empty one)."""
    pattern = _terms_pattern(terms)
    present = [t for t in texts if t]
    for candidate in present:
        if pattern is not None and pattern.search(candidate):
            return candidate
    return present[0] if present else ""


def _facets(s: Session, rows: Sequence[Any], facets: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for name in DOCUMENT_FACETS:
        if name in facets:
            counts = Counter(getattr(r, "source_key" if name == "source" else name) for r in rows)
            out[name] = _top(counts)
    wanted = [f for f in FACET_TABLE_FACETS if f in facets]
    if wanted and rows:
        per_facet: dict[str, Counter[str]] = {f: Counter() for f in wanted}
        ids = [r.id for r in rows]
        dialect = s.get_bind().dialect.name
        bound = json.dumps(ids) if dialect == "sqlite" else ids
        for facet, value, n in s.execute(facet_count_query(dialect, wanted), {"ids": bound}):
            per_facet[facet][value] = n
        out.update({f: _top(c) for f, c in per_facet.items()})
    else:
        out.update({f: [] for f in wanted})
    return {f: out[f] for f in facets}


def _top(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(((v, n) for v, n in counts.items() if v), key=lambda x: (-x[1], x[0]))[:FACET_VALUES]


def make_snippet(text: str, terms: Sequence[Term], width: int = SNIPPET_CHARS) -> str:
    """A window of `text` around the first matched term, HTML-escaped, every term occurrence in <mark>."""
    text = " ".join((text or "").split())
    pattern = _terms_pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.start() > width // 3:
        start = text.rfind(" ", 0, first.start() - width // 3) + 1
    window = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    if pattern is None:
        return prefix + html.escape(window) + suffix
    pieces, last = [], 0
    for m in pattern.finditer(window):
        pieces.append(html.escape(window[last : m.start()]))
        pieces.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    pieces.append(html.escape(window[last:]))
    return prefix + "".join(pieces) + suffix


def _terms_pattern(terms: Sequence[Term]) -> re.Pattern[str] | None:
    """Every term as typed, or, where it matches inflections, its cut form and the rest of that word."""
    forms = {(form, (form,) != (t.text,)) for t in terms for form in match_forms(t)}
    if not forms:
        return None
    ordered = sorted(forms, key=lambda f: len(f[0]), reverse=True)
    return re.compile(
        "|".join(r"\s+".join(map(re.escape, text.split())) + (r"\w*" if cut else "") for text, cut in ordered),
        re.IGNORECASE,
    )


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
