"""SQL for search, built apart from running it so each statement is unit-testable: the FTS5 MATCH
text (SQLite), trigram/tsvector conditions (PostgreSQL), filters, the bounded candidate query and
facet counts."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any as AnyType

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnClause, KeyedColumnElement

from storage.models import Document, DocumentFacet, Extraction, Story
from storage.query_syntax import AnyOf, Node, SearchError, Term, match_forms

LIST_FILTERS = ("source", "lang", "country", "admin1", "place", "incident_type")
FACET_TABLE_FILTERS = {"country", "admin1", "place", "incident_type"}
FACET_TABLE_FACETS = ("incident_type", "country", "admin1", "place", "has_ransom")
DOCUMENT_FACETS = ("source", "lang")
KNOWN_FACETS = set(FACET_TABLE_FACETS) | set(DOCUMENT_FACETS)
FLOAT_FILTERS = ("ransom_usd_min", "ransom_usd_max")
INT_FILTERS = ("age_min", "age_max", "story_id")
BOOL_FILTERS = ("has_ransom", "relevant", "incidents_only")
DATE_FILTERS = ("date_from", "date_to")
# Every search filter, in the order a request's filters are echoed back (CLI options, web form, API).
FILTER_NAMES = (
    "date_from", "date_to", "source", "lang", "country", "admin1", "place", "incident_type", "has_ransom",
    "ransom_usd_min", "ransom_usd_max", "age_min", "age_max", "relevant", "story_id", "incidents_only",
)
KNOWN_FILTERS = set(FILTER_NAMES)

FTS = table("documents_fts", column("rowid"))
# the pg_trgm index's expression
PG_TEXT: ColumnClause[AnyType] = literal_column("(documents.title || ' ' || documents.body)")
PG_TSV: ColumnClause[AnyType] = literal_column("documents.search_tsv")
# the text search configuration, as SQL, not a parameter
PG_SIMPLE: ColumnClause[AnyType] = literal_column("'simple'::regconfig")


# ---- query tree -> FTS5 MATCH (SQLite) ----------------------------------------------------------
def fts5_match(node: Node, expand: Callable[[str], list[str]]) -> str:
    """FTS5 MATCH text for the tree. Terms are always quoted strings, so nothing the user typed is FTS5
    syntax; English words match their inflections (query_syntax.match_forms). A 2-character term (below
    the trigram minimum) becomes an OR of the indexed trigrams that start with it, which `expand` supplies."""
    if isinstance(node, Term):
        if len(node.text) >= 3:
            forms = match_forms(node)
            return _fts5_string(forms[0]) if len(forms) == 1 else "(" + " OR ".join(map(_fts5_string, forms)) + ")"
        grams = expand(node.text.lower())
        return "(" + " OR ".join(_fts5_string(g) for g in grams) + ")" if grams else _fts5_string(node.text)
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts5_match(item, expand) for item in node.items) + ")"
    out = "(" + " AND ".join(fts5_match(item, expand) for item in node.items) + ")"
    for item in node.excluded:
        out = f"({out} NOT {fts5_match(item, expand)})"
    return out


def _fts5_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def trigram_prefix_query(prefix: str, limit: int) -> Select[AnyType]:
    """Indexed trigrams that start with a 2-character term, most widespread first (fts5vocab)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    vocab = table("documents_fts_vocab", column("term"), column("doc"))
    return (
        select(vocab.c.term)
        .where(vocab.c.term >= bindparam("lo", prefix), vocab.c.term < bindparam("hi", upper))
        .order_by(vocab.c.doc.desc())
        .limit(limit)
    )


# ---- query tree -> PostgreSQL conditions --------------------------------------------------------
# A term of Latin letters, digits and Hangul (words of a phrase separated by spaces) is answered by the
# 'simple' tsvector's GIN index alone, as word prefixes: exact, so no row's text is read to recheck it.
# Anything else (Khmer, Thai, inner punctuation) is a substring through the pg_trgm index and a recheck.
_PG_WORDS_RE = re.compile(r"[A-Za-z0-9\uac00-\ud7a3]+(?: [A-Za-z0-9\uac00-\ud7a3]+)*")


def pg_condition(node: Node, *, title_only: bool = False) -> ColumnElement[bool]:
    """The tree as a WHERE condition: word terms (and 2-character terms) through the 'simple' tsvector as
    word prefixes (a 2-character Latin term as a whole word), other terms as substrings through pg_trgm.
    English words match their inflections. `title_only`: every term as a substring of the title (the
    relevance signal, evaluated on candidates only)."""
    if isinstance(node, Term):
        forms = match_forms(node)
        if title_only:
            return or_(*(Document.title.ilike(_like_param(f), escape="\\") for f in forms))
        if len(node.text) < 3:
            return _tsv_matches(_tsquery_lexeme(node.text), parsed=_PG_WORDS_RE.fullmatch(node.text) is not None)
        if all(_PG_WORDS_RE.fullmatch(f) for f in forms):
            return _tsv_matches(" | ".join(_tsquery_phrase(f) for f in forms), parsed=True)
        return or_(*(PG_TEXT.ilike(_like_param(f), escape="\\") for f in forms))
    if isinstance(node, AnyOf):
        return or_(*(pg_condition(item, title_only=title_only) for item in node.items))
    return and_(*(pg_condition(item, title_only=title_only) for item in node.items),
                *(not_(pg_condition(x, title_only=title_only)) for x in node.excluded))


def _tsv_matches(tsquery: str, *, parsed: bool) -> ColumnElement[bool]:
    """`parsed`: the lexemes are already what the 'simple' configuration makes (lower-case letters, digits,
    Hangul), so the value is bound as a tsquery: the planner then sees it and uses the column's statistics
    (to_tsquery() of a parameter is opaque to it, and it walks the whole id range for a rare term)."""
    if parsed:
        return PG_TSV.op("@@")(cast(bindparam(None, tsquery, unique=True), TSQUERY))
    return PG_TSV.op("@@")(func.to_tsquery(PG_SIMPLE, bindparam(None, tsquery, unique=True)))


def _tsquery_phrase(form: str) -> str:
    """'held for ransom' -> 'held' <-> 'for' <-> 'ransom':* (the last word a prefix, as a substring would)."""
    words = form.lower().split()
    return " <-> ".join(_tsquery_lexeme(w, prefix=i == len(words) - 1) for i, w in enumerate(words))


def _like_param(form: str) -> AnyType:
    return bindparam(None, f"%{_like_escape(form)}%", unique=True)


def _tsquery_lexeme(word: str, *, prefix: bool | None = None) -> str:
    quoted = "'" + word.lower().replace("\\", "\\\\").replace("'", "''") + "'"
    if prefix is None:
        prefix = not word.isascii()  # Korean words carry particles and endings: match them as prefixes
    return quoted + (":*" if prefix else "")


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---- filters ------------------------------------------------------------------------------------
def normalize_filters(filters: dict[str, AnyType] | None) -> dict[str, AnyType]:
    """Validated, typed filters with empty values dropped; SearchError names the bad key or value."""
    out: dict[str, AnyType] = {}
    for key, value in (filters or {}).items():
        if key not in KNOWN_FILTERS:
            raise SearchError(f"unknown filter {key!r}; known filters: {', '.join(sorted(KNOWN_FILTERS))}")
        if value is None or value == "" or value == [] or value == ():
            continue
        out[key] = _coerce_filter(key, value)
    for low, high in (("date_from", "date_to"), ("ransom_usd_min", "ransom_usd_max"), ("age_min", "age_max")):
        if low in out and high in out and out[low] > out[high]:
            raise SearchError(f"{low} ({out[low]}) is after {high} ({out[high]})")
    return out


INT_FILTER_RANGE = (-(2**31), 2**31 - 1)  # the columns are 32-bit integers on PostgreSQL


def _coerce_filter(key: str, value: AnyType) -> AnyType:
    try:
        if key in LIST_FILTERS:
            values = [value] if isinstance(value, str) else list(value)
            if any("\x00" in str(v) for v in values):
                raise ValueError("contains a NUL character")
            return sorted({str(v).strip() for v in values if str(v).strip()})
        if "\x00" in str(value):
            raise ValueError("contains a NUL character")
        if key in DATE_FILTERS:
            return value if isinstance(value, date) and not isinstance(value, datetime) else (
                value.date() if isinstance(value, datetime) else date.fromisoformat(str(value).strip()))
        if key in FLOAT_FILTERS:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("not a finite number")
            return number
        if key in INT_FILTERS:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("not a whole number")
            whole = int(value)
            if not INT_FILTER_RANGE[0] <= whole <= INT_FILTER_RANGE[1]:
                raise ValueError("out of range")
            return whole
        if isinstance(value, bool):
            return value
        text_value = str(value).strip().lower()
        if text_value not in {"true", "false", "1", "0", "yes", "no"}:
            raise ValueError("expected true or false")
        return text_value in {"true", "1", "yes"}
    except (TypeError, ValueError) as exc:
        raise SearchError(f"filter {key}: {value!r} is not valid ({exc})") from None


def filter_conditions(f: dict[str, AnyType]) -> list[ColumnElement[bool]]:
    """WHERE conditions on documents for normalized filters."""
    conds: list[ColumnElement[bool]] = []
    if "date_from" in f:
        conds.append(Document.published_at >= datetime.combine(f["date_from"], time(), UTC))
    if "date_to" in f:
        conds.append(Document.published_at < datetime.combine(f["date_to"] + timedelta(days=1), time(), UTC))
    if "source" in f:
        conds.append(Document.source_key.in_(f["source"]))
    if "lang" in f:
        conds.append(Document.lang.in_(f["lang"]))
    for key in sorted(FACET_TABLE_FILTERS & set(f)):
        conds.append(_has_facet(key, f[key]))
    if "has_ransom" in f:
        conds.append(_has_facet("has_ransom", ["true" if f["has_ransom"] else "false"]))
    extraction_conds = _extraction_conditions(f)
    if extraction_conds:
        conds.append(exists().where(Extraction.document_id == Document.id, *extraction_conds))
    if "story_id" in f:
        conds.append(Document.story_id == f["story_id"])
    if f.get("incidents_only"):
        conds.append(Document.story_id.in_(select(Story.id).where(Story.is_incident.is_(True))))
    return conds


def _has_facet(facet: str, values: list[str]) -> ColumnElement[bool]:
    return exists().where(
        DocumentFacet.document_id == Document.id, DocumentFacet.facet == facet, DocumentFacet.value.in_(values)
    )


def _extraction_conditions(f: dict[str, AnyType]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if "ransom_usd_min" in f:
        conds.append(Extraction.max_ransom_usd >= f["ransom_usd_min"])
    if "ransom_usd_max" in f:
        conds.append(Extraction.max_ransom_usd <= f["ransom_usd_max"])
    if "age_min" in f:  # the document's victim ages [min_age, max_age] overlap the asked range
        conds.append(Extraction.max_age >= f["age_min"])
    if "age_max" in f:
        conds.append(Extraction.min_age <= f["age_max"])
    if "relevant" in f:
        conds.append(Extraction.relevant.is_(true()) if f["relevant"] else Extraction.relevant.is_(false()))
    return conds


# ---- statements -----------------------------------------------------------------------------------
def candidate_query(
    dialect: str, node: Node | None, filters: dict[str, AnyType], *, oldest_first: bool, cap: int,
    match: str | None = None, id_range: tuple[int, int] | None = None, keyed: bool = True,
) -> Select[AnyType]:
    """At most `cap` matching documents, newest ids first (oldest first on request): the bounded
    candidate set that ranking, pagination and facets work on. Columns: id, published_at, source_key,
    lang, score (higher is better). `id_range` (lo, hi] bounds the ids looked at (see walk_id_windows); `keyed`
    says whether the bound a walk starts from goes into the index scan (see _id_bounds)."""
    # published_at without result processing: ordering needs no datetime objects (SQLite's text sorts).
    cols = (Document.id, type_coerce(Document.published_at, String).label("published_at"), Document.source_key,
            Document.lang)
    driver = _facet_driver(filters) if node is None else None
    order: KeyedColumnElement[AnyType] | InstrumentedAttribute[int]
    if driver is not None:  # walk one facet value's index in id order: no scan of unrelated documents
        key, value = driver
        facet = DocumentFacet.__table__.alias("driver")
        q = (
            select(*cols, literal(0.0).label("score"))
            .select_from(facet.join(Document, Document.id == facet.c.document_id))
            .where(facet.c.facet == key, facet.c.value == value)
        )
        order = facet.c.document_id
        filters = {k: v for k, v in filters.items() if k != key}
    elif node is None:
        q = select(*cols, literal(0.0).label("score")).select_from(Document)
        order = Document.id
    elif dialect == "sqlite":
        q = (  # no bm25(): its document frequencies cost a scan of every match; see title_match_query
            select(*cols, literal(0.0).label("score"))
            .select_from(FTS.join(Document, Document.id == FTS.c.rowid))
            .where(text("documents_fts MATCH :match").bindparams(match=match))
        )
        order = FTS.c.rowid
    else:  # relevance as on SQLite: 1.0 when the title matches, else 0.5 (no ts_rank: it reads every tsvector)
        rank = case((pg_condition(node, title_only=True), 1.0), else_=0.5)
        q = select(*cols, rank.label("score")).select_from(Document).where(pg_condition(node))
        order = Document.id
    if id_range is not None:
        q = q.where(*_id_bounds(order, id_range, oldest_first=oldest_first, keyed=keyed))
    q = q.where(*filter_conditions(filters))
    if "date_from" in filters and id_range is None:  # a window walk starts at first_id_published_since itself
        q = q.where(order >= first_id_published_since(filters["date_from"]).scalar_subquery())
    return q.order_by(order.asc() if oldest_first else order.desc()).limit(cap)


WINDOW_MARGIN = 1.5  # a window after the first is sized for this many times the matches still missing


def _id_bounds(order: AnyType, id_range: tuple[int, int], *, oldest_first: bool, keyed: bool) -> list[ColumnElement[bool]]:
    """(lo, hi] as conditions. On PostgreSQL's (search_tsv, id) GIN index (btree_gin) every id is an entry
    of its own and each comparison a separate partial-match key: `id <= hi` reads the entries of every id
    up to hi (a million at 1M documents, ~50 ms), `id > lo` only those above lo. So only the bound the
    walk starts from (lo newest first, hi oldest first) is an index key, and only when `keyed`; the other
    is `id + 0`, a filter on the few rows the index returns. Unkeyed, the index answers the text alone
    (cheap for a sparse match set) and both bounds filter its rows."""
    lo, hi = id_range
    plain = order + 0
    if not keyed:
        return [plain > lo, plain <= hi]
    return [order <= hi, plain > lo] if oldest_first else [order > lo, plain <= hi]


def walk_id_windows(
    run: Callable[[int, int, bool, int], Sequence[AnyType]], first_id: int, last_id: int, width: int, *,
    oldest_first: bool, cap: int, sparse_rest: int,
) -> list[AnyType]:
    """Up to `cap` rows from `run(lo, hi, keyed, limit)` over (lo, hi] id windows that cover [first_id,
    last_id] from the newest end (the oldest on request). PostgreSQL's GIN indexes return matches
    unordered, so a common term's newest matches are found in a narrow window instead of fetching and
    sorting every match. The first window is `width` ids; each next one is sized from the match density
    seen so far to hold what is still missing (WINDOW_MARGIN times over, at least twice the last width),
    so a walk takes two or three statements. When that density says the rest of the id range holds at
    most `sparse_rest` matches, the rest is one unkeyed statement: the index answers the text alone
    instead of reading a wide window's id entries (a rare term costs two statements)."""
    rows: list[AnyType] = []
    covered = 0
    if oldest_first:
        lo, hi = first_id - 1, min(first_id - 1 + width, last_id)
    else:
        lo, hi = max(last_id - width, first_id - 1), last_id
    while True:
        rows.extend(run(lo, hi, True, cap - len(rows)))
        covered += hi - lo
        rest = (hi, last_id) if oldest_first else (first_id - 1, lo)
        if len(rows) >= cap or rest[1] <= rest[0]:
            break
        found = len(rows) + 1  # +1: a window without matches still bounds the density
        if found * (rest[1] - rest[0]) <= sparse_rest * covered:
            rows.extend(run(rest[0], rest[1], False, cap - len(rows)))
            break
        width = max(2 * (hi - lo), math.ceil((cap - len(rows)) * covered / found * WINDOW_MARGIN))
        lo, hi = (hi, min(hi + width, last_id)) if oldest_first else (max(lo - width, first_id - 1), lo)
    return rows[:cap]


def first_id_published_since(day: date) -> Select[tuple[int]]:
    """The smallest id published on or after `day`: an exact lower bound on matching ids, so a
    newest-first walk stops at the date boundary instead of scanning every older match. An index-only
    scan of the date range: SQLite's published_at index holds the rowid, PostgreSQL's
    ix_documents_search_published_id is (published_at, id) (migration 0008)."""
    since = datetime.combine(day, time(), UTC)
    # min(id + 0), not min(id): otherwise SQLite walks ids upward until a date matches, where the
    # published_at index reads only the date range.
    return select(func.coalesce(func.min(Document.id + 0), 0)).where(Document.published_at >= since)


def _facet_driver(filters: dict[str, AnyType]) -> tuple[str, str] | None:
    """A facet filter with a single value, which can drive a filter-only query through its index."""
    for key in sorted(FACET_TABLE_FILTERS & set(filters)):
        if len(filters[key]) == 1:
            return key, filters[key][0]
    return None


def title_match_query(match: str) -> Select[AnyType]:
    """Ids in [lo, hi] whose title alone matches (SQLite): the relevance signal within candidates.
    Reads the same doclists as the candidate query, column-filtered, instead of bm25's full scans."""
    return (
        select(FTS.c.rowid)
        .where(text("documents_fts MATCH :title_match").bindparams(title_match="{title} : (" + match + ")"))
        .where(FTS.c.rowid >= bindparam("lo", type_=Integer), FTS.c.rowid <= bindparam("hi", type_=Integer))
    )


def facet_count_query(dialect: str, facets: Sequence[str]) -> Select[AnyType]:
    """Counts per (facet, value) over the candidate ids, bound as ONE parameter `ids` (a JSON array on
    SQLite, an int[] on PostgreSQL) instead of thousands of placeholders."""
    in_candidates: ColumnElement[bool]
    if dialect == "sqlite":
        ids: Select[tuple[AnyType]] = select(literal_column("value")).select_from(
            func.json_each(bindparam("ids"))
        )
        in_candidates = DocumentFacet.document_id.in_(ids)
    else:
        in_candidates = DocumentFacet.document_id == func.any(bindparam("ids", type_=ARRAY(Integer)))
    return (
        select(DocumentFacet.facet, DocumentFacet.value, func.count().label("n"))
        .where(in_candidates, DocumentFacet.facet.in_(facets))
        .group_by(DocumentFacet.facet, DocumentFacet.value)
    )
