"""search(): syntax, SQL building, and behaviour on both backends (Korean 2-character terms included)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import search as search_module
from storage.documents import save_extraction, upsert_document
from storage.query_syntax import All, AnyOf, SearchError, Term, match_forms, parse_query
from storage.repository import table_counts
from storage.search import make_snippet, search
from storage.search_sql import candidate_query, fts5_match, normalize_filters

DOCS = [
    # (n, lang, day, title, body, extraction)
    (1, "ko", 1, "캄보디아서 대학생 납치", "경북 예천 출신 대학생이 캄보디아 보코르산 인근에서 감금됐다. 몸값 요구.",
     {"types": ["kidnapping"], "ages": [22], "usd": [38500], "places": [("KH", "Kampot", "Bokor")]}),
    (2, "en", 2, "Student kidnapped in Cambodia", "A 22-year-old student was kidnapped near Bokor and held for ransom.",
     {"types": ["kidnapping"], "ages": [22], "usd": [38500], "places": [("KH", "Kampot", "Bokor")]}),
    (3, "en", 3, "Workers rescued from compound", ("Police rescued 40 South Koreans from a scam compound in "
     "Sihanoukville; no ransom was paid."), {"types": ["rescue"], "ages": [], "usd": [],
                                                 "places": [("KH", "Preah Sihanouk", "Sihanoukville")]}),
    (4, "ko", 4, "보이스피싱 조직 검거", "경찰이 캄보디아 거점 보이스피싱 조직원을 체포했다.",
     {"types": ["arrest"], "ages": [35], "usd": [], "places": [("KH", "Phnom Penh", "Phnom Penh")]}),
    (5, "en", 5, "Exports rose", "Semiconductor exports rose 5% in September, the trade ministry said.", None),
]


def _load(store) -> dict[int, int]:  # type: ignore[no-untyped-def]
    ids = {}
    for n, lang, day, title, body, ex in DOCS:
        ids[n] = upsert_document(store, {
            "item_id": f"t/{n}", "source_key": f"src-{lang}", "url": f"https://e.com/{n}", "canonical_url": f"https://e.com/{n}",
            "title": title, "body": body, "lang": lang, "published_at": datetime(2025, 9, day, tzinfo=UTC),
        }).id
        if ex is not None:
            save_extraction(store, ids[n], {
                "relevant": True, "incident_types": ex["types"], "victim_ages": [{"value": a} for a in ex["ages"]],
                "ransoms": [{"amount": u, "currency": "USD", "usd": u} for u in ex["usd"]],
                "places": [{"name": p, "country": c, "admin1": a} for c, a, p in ex["places"]],
            }, "t")
    return ids


def _ids(result) -> set[int]:  # type: ignore[no-untyped-def]
    return {h.document["id"] for h in result.hits}


# ---- syntax --------------------------------------------------------------------------------------
def test_parse_builds_the_tree() -> None:
    assert parse_query("  ") is None
    assert parse_query('납치 "North Gyeongsang" -rescue') == All(
        (Term("납치"), Term("North Gyeongsang", phrase=True)), (Term("rescue"),))
    assert parse_query("(kidnap OR 납치) Cambodia,") == All(
        (AnyOf((Term("kidnap"), Term("납치"))), Term("Cambodia")))
    assert parse_query("call-centre") == Term("call-centre")


@pytest.mark.parametrize("query, message", [
    ('"unclosed', "unclosed quote"), ('""', "empty quotes"), ("(a1 b2", "never closed"),
    ("a1 b2)", "without a matching"), ("OR", "both sides"), ("kidnap OR", "both sides"),
    ("- kidnap", "followed directly"), ("-kidnap", "cannot only exclude"), ("()", "empty parentheses"),
    ("a", "too short"), ("x" * 600, "too long"), ("AND kidnap", "both sides"),
])
def test_bad_syntax_is_a_clear_search_error(query: str, message: str) -> None:
    with pytest.raises(SearchError, match=message):
        parse_query(query)


def test_fts5_match_quotes_every_term_and_expands_two_character_terms() -> None:
    node = parse_query('납치 "north korea" OR x\'y DROP -(rescue OR 구출)')
    expand = {"납치": ["납치돼", "납치 "], "구출": []}.__getitem__
    assert fts5_match(node, expand) == (
        '((("납치돼" OR "납치 ") AND "north korea") OR (("x\'y" AND "DROP") NOT (("rescue" OR "rescuing") OR "구출")))'
    )  # an English word also matches its inflections (rescue, rescuing)
    assert fts5_match(Term('a"b NEAR(c'), expand) == '"a""b NEAR(c"'


def test_filters_are_validated_and_typed() -> None:
    f = normalize_filters({"date_from": "2025-09-01", "country": "KH", "has_ransom": "yes", "age_max": 30, "lang": []})
    assert f == {"date_from": datetime(2025, 9, 1).date(), "country": ["KH"], "has_ransom": True, "age_max": 30}
    for bad in ({"date_from": "yesterday"}, {"age_min": "old"}, {"nope": 1}, {"age_min": 40, "age_max": 20},
                {"relevant": "maybe"}):
        with pytest.raises(SearchError):
            normalize_filters(bad)


def test_candidate_query_compiles_for_both_dialects() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    node = parse_query("납치 Cambodia")
    lite = str(candidate_query("sqlite", node, {"country": ["KH"]}, oldest_first=False, cap=50, match="m")
               .compile(dialect=sqlite.dialect()))
    assert "documents_fts MATCH" in lite and "ORDER BY documents_fts.rowid DESC" in lite and "document_facets" in lite
    pg = str(candidate_query("postgresql", parse_query("납치 Cambodia call-centre"), {}, oldest_first=True, cap=50,
                             id_range=(0, 9)).compile(dialect=postgresql.dialect()))
    assert "ILIKE" in pg and "AS TSQUERY" in pg and "ORDER BY documents.id ASC" in pg and "documents.id <=" in pg


def test_snippet_is_escaped_and_marks_terms() -> None:
    snippet = make_snippet("<b>Held</b> in Bokor & released; bokor again", [Term("bokor")])
    assert snippet == "&lt;b&gt;Held&lt;/b&gt; in <mark>Bokor</mark> &amp; released; <mark>bokor</mark> again"


# ---- behaviour on both backends ---------------------------------------------------------------------
def test_korean_two_character_terms_match(store) -> None:  # type: ignore[no-untyped-def]
    ids = _load(store)
    assert _ids(search(store, "납치")) == {ids[1]}  # ends the title: no character after it
    assert _ids(search(store, "감금")) == {ids[1]}
    assert _ids(search(store, "캄보디아 체포")) == {ids[4]}
    assert search(store, "납치").hits[0].snippet_html == "캄보디아서 대학생 <mark>납치</mark>"  # only in the title
    assert "<mark>감금</mark>됐다" in search(store, "감금").hits[0].snippet_html


def test_english_phrases_or_and_exclusion(store) -> None:  # type: ignore[no-untyped-def]
    ids = _load(store)
    assert _ids(search(store, '"held for ransom"')) == {ids[2]}
    assert _ids(search(store, "ransom -rescued")) == {ids[2]}
    assert _ids(search(store, "sihanoukville OR 보이스피싱")) == {ids[3], ids[4]}
    assert _ids(search(store, "kidnap")) == {ids[2]}  # substring: kidnapped
    result = search(store, "kidnapped")
    assert "<mark>kidnapped</mark>" in result.hits[0].snippet_html
    assert "body" not in result.hits[0].document and result.hits[0].extraction["incident_types"] == ["kidnapping"]


def test_filters_facets_sort_and_pages(store) -> None:  # type: ignore[no-untyped-def]
    ids = _load(store)
    everything = search(store, per_page=2)
    assert everything.total == 5 and everything.total_exact and len(everything.hits) == 2
    assert [h.document["id"] for h in everything.hits] == [ids[5], ids[4]]  # newest first
    assert [h.document["id"] for h in search(store, per_page=2, page=3).hits] == [ids[1]]
    assert [h.document["id"] for h in search(store, sort="oldest", per_page=1).hits] == [ids[1]]
    assert dict(everything.facets["incident_type"]) == {"kidnapping": 2, "rescue": 1, "arrest": 1}
    assert dict(everything.facets["lang"]) == {"en": 3, "ko": 2}
    assert dict(everything.facets["has_ransom"]) == {"true": 2, "false": 2}
    assert _ids(search(store, filters={"has_ransom": True, "lang": ["ko"]})) == {ids[1]}
    assert _ids(search(store, filters={"admin1": "Kampot", "age_min": 20, "age_max": 25})) == {ids[1], ids[2]}
    assert _ids(search(store, filters={"ransom_usd_min": 30000, "date_from": "2025-09-02"})) == {ids[2]}
    assert _ids(search(store, filters={"incident_type": ["rescue", "arrest"], "date_to": "2025-09-03"})) == {ids[3]}
    assert _ids(search(store, "캄보디아", filters={"relevant": False})) == set()
    facets = search(store, "Cambodia OR 캄보디아", facets=["country", "place"]).facets
    assert list(facets) == ["country", "place"] and dict(facets["country"]) == {"KH": 3}


def test_bad_input_is_search_error_never_sql_error(store) -> None:  # type: ignore[no-untyped-def]
    _load(store)
    for kwargs in ({"query": '"open'}, {"sort": "best"}, {"page": 0}, {"per_page": 1000},
                   {"facets": ["colour"]}, {"filters": {"age_min": "x"}}, {"query": "x --"}):
        with pytest.raises(SearchError):
            search(store, **kwargs)
    # Injection attempts are only text to look for.
    assert search(store, "'; DROP TABLE documents; /*").total == 0
    assert search(store, 'NEAR(ab cd) "xy" OR title:foo*').total == 0
    assert table_counts(store)["documents"] == 5


def test_candidate_cap_bounds_the_work_and_reports_it(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ids = _load(store)
    monkeypatch.setattr(search_module, "CANDIDATE_CAP", 2)
    capped = search(store, "캄보디아 OR Cambodia")
    assert not capped.total_exact and capped.total == 2
    assert _ids(capped) == {ids[4], ids[2]}  # the newest two of the three matches
    assert search(store).total == 5 and search(store).total_exact  # the plain count stays exact


WINDOW_QUERIES = [
    {"query": "캄보디아"}, {"query": "Cambodia", "sort": "oldest"}, {"query": "납치 OR kidnapped"},
    {"query": "Bokor", "sort": "newest"}, {"query": "ransom -rescued"}, {"query": "police", "sort": "oldest"},
    {"query": "경찰", "filters": {"country": ["KH"]}}, {"query": "student", "filters": {"date_from": "2025-09-02"}},
]


@pytest.mark.parametrize("first_window, sparse_rest", [(1, 0), (1, 10_000), (2, 1)])
def test_id_windows_give_the_same_results_however_they_are_cut(  # type: ignore[no-untyped-def]
    store, monkeypatch: pytest.MonkeyPatch, first_window: int, sparse_rest: int
) -> None:
    """PostgreSQL walks id windows (keyed on the bound it starts from) and may fetch the rest unkeyed:
    one-id windows, an immediate unkeyed rest and two-id windows must all find what one window finds."""
    _load(store)
    whole = [search(store, **spec).to_dict() for spec in WINDOW_QUERIES]
    monkeypatch.setattr(search_module, "PG_FIRST_WINDOW", first_window)
    monkeypatch.setattr(search_module, "PG_SPARSE_REST", sparse_rest)
    monkeypatch.setattr(search_module, "CANDIDATE_CAP", 2)
    capped = [search(store, **spec).to_dict() for spec in WINDOW_QUERIES]
    monkeypatch.setattr(search_module, "CANDIDATE_CAP", 1000)
    cut = [search(store, **spec).to_dict() for spec in WINDOW_QUERIES]
    for a, b in zip(whole, cut, strict=True):
        a.pop("took_ms"), b.pop("took_ms")
        assert a == b
    assert [len(c["hits"]) for c in capped] == [min(2, len(w["hits"])) for w in whole]
    assert [[h["document"]["id"] for h in c["hits"]] for c in capped] == [
        sorted((h["document"]["id"] for h in w["hits"]), reverse=w["sort"] != "oldest")[:2]
        if w["sort"] != "relevance" else [h["document"]["id"] for h in c["hits"]] for w, c in zip(whole, capped)]


def test_walk_id_windows_keys_narrow_windows_and_fetches_a_sparse_rest_at_once() -> None:
    from storage.search_sql import walk_id_windows

    calls: list[tuple[int, int, bool]] = []

    def run(lo: int, hi: int, keyed: bool, cap: int) -> list[int]:
        calls.append((lo, hi, keyed))
        return [i for i in range(hi, lo, -1) if i % 100 == 0][:cap]  # one match every 100 ids

    assert walk_id_windows(run, 1, 10_000, 10, oldest_first=False, cap=5, sparse_rest=1_000) == [
        10_000, 9_900, 9_800, 9_700, 9_600]
    # 1 match in 10 ids: ~2,000 expected in the rest, so one more keyed window sized for the 4 missing
    # (4 × 10 / 2 × 1.5 = 30 ids); then 1 match in 40 ids: ~500 expected, the rest in one unkeyed statement.
    assert calls == [(9_990, 10_000, True), (9_960, 9_990, True), (0, 9_960, False)]
    calls.clear()
    assert walk_id_windows(run, 1, 10_000, 10, oldest_first=False, cap=5, sparse_rest=10) == [
        10_000, 9_900, 9_800, 9_700, 9_600]
    assert calls[0] == (9_990, 10_000, True) and all(keyed for _, _, keyed in calls)  # dense enough: windows
    calls.clear()

    def run_oldest(lo: int, hi: int, keyed: bool, cap: int) -> list[int]:
        calls.append((lo, hi, keyed))
        return [i for i in range(lo + 1, hi + 1) if i % 100 == 0][:cap]

    assert walk_id_windows(run_oldest, 1, 10_000, 10, oldest_first=True, cap=2, sparse_rest=10_000) == [100, 200]
    assert calls == [(0, 10, True), (10, 10_000, False)]


def test_window_bounds_key_only_the_walks_start() -> None:
    from sqlalchemy.dialects import postgresql

    def sql(oldest_first: bool, keyed: bool) -> str:
        q = candidate_query("postgresql", parse_query("Cambodia"), {}, oldest_first=oldest_first, cap=5,
                            id_range=(10, 20), keyed=keyed)
        return str(q.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    assert "documents.id > 10" in sql(False, True) and "documents.id + 0 <= 20" in sql(False, True)
    assert "documents.id <= 20" in sql(True, True) and "documents.id + 0 > 10" in sql(True, True)
    assert "documents.id + 0 > 10" in sql(False, False) and "documents.id + 0 <= 20" in sql(False, False)


def test_relevance_puts_title_matches_before_newer_body_matches(store) -> None:  # type: ignore[no-untyped-def]
    ids = _load(store)
    assert [h.document["id"] for h in search(store, "캄보디아").hits] == [ids[1], ids[4]]
    assert [h.document["id"] for h in search(store, "캄보디아", sort="newest").hits] == [ids[4], ids[1]]
    relevance = search(store, "캄보디아").hits
    assert relevance[0].score > relevance[1].score


def test_khmer_substrings_match(store) -> None:  # type: ignore[no-untyped-def]
    doc_id = upsert_document(store, {
        "item_id": "km/1", "source_key": "km-src", "url": "https://e.com/km/1", "canonical_url": "https://e.com/km/1",
        "title": "ប៉ូលិសជួយសង្គ្រោះជនជាតិកូរ៉េ", "body": "ជនជាតិកូរ៉េម្នាក់ត្រូវបានឃុំខ្លួននៅខេត្តព្រះសីហនុ។", "lang": "km",
        "published_at": datetime(2025, 9, 1, tzinfo=UTC),
    }).id
    assert _ids(search(store, "កូរ៉េ")) == {doc_id}  # "Korea", inside an unspaced run of Khmer
    assert _ids(search(store, "ព្រះសីហនុ", filters={"lang": "km"})) == {doc_id}
    assert _ids(search(store, "កម្ពុជា")) == set()


# ---- English inflections (stemmed query side; documents are indexed as written) -------------------
@pytest.mark.parametrize("typed, forms", [
    ("kidnapped", ("kidnap",)), ("kidnapping", ("kidnap",)), ("Detained", ("detain",)),
    ("studies", ("studi", "study")), ("police", ("police", "policing")), ("rescued", ("rescu",)),
    ("\"scam compounds\"", ("scam compound",)), ("Cambodia", ("Cambodia",)), ("납치", ("납치",)),
    ("died", ("died",)),  # a stem under 4 letters ('die') would match inside 'soldier'
])
def test_english_terms_match_forms_of_their_stem(typed: str, forms: tuple[str, ...]) -> None:
    node = parse_query(typed)
    assert isinstance(node, Term) and match_forms(node) == forms
    assert any(f.lower() in node.text.lower() for f in forms)  # still matches all the word as typed did


INFLECTED = [
    ("Families fear kidnap", "Relatives said a kidnap gang called twice."),
    ("Kidnapping ring broken", "Police ended a kidnapping ring that held workers."),
    ("Two kidnapped", "Two men were kidnapped on Tuesday while policing was thin."),
    ("Study finds rise", "A new study tracks the policy on detention."),
    ("납치 조직 검거", "캄보디아에서 납치됐다."),
]


def _load_inflected(store) -> list[int]:  # type: ignore[no-untyped-def]
    return [upsert_document(store, {
        "item_id": f"inf/{n}", "source_key": "src-en", "url": f"https://e.com/inf/{n}", "canonical_url": f"https://e.com/inf/{n}",
        "title": title, "body": body, "lang": "ko" if n == 4 else "en", "published_at": datetime(2025, 9, n + 1, tzinfo=UTC),
    }).id for n, (title, body) in enumerate(INFLECTED)]


def test_english_words_find_their_inflected_forms(store) -> None:  # type: ignore[no-untyped-def]
    ids = _load_inflected(store)
    kidnap = {ids[0], ids[1], ids[2]}
    for typed in ("kidnap", "kidnapped", "kidnapping", "KIDNAPPED"):
        assert _ids(search(store, typed)) == kidnap, typed
    assert _ids(search(store, "kidnapped -ring")) == {ids[0], ids[2]}
    assert _ids(search(store, '"were kidnapping"')) == {ids[2]}  # a phrase's last word is inflected too
    assert _ids(search(store, '"men kidnapping"')) == set()  # ...its other words stay as typed
    assert _ids(search(store, "studies")) == {ids[3]}
    assert _ids(search(store, "police")) == {ids[1], ids[2]}  # policing, not 'policy'
    assert _ids(search(store, "납치")) == {ids[4]} and _ids(search(store, "납치됐다")) == {ids[4]}
    snippet = search(store, "kidnapped", filters={"date_to": "2025-09-02"}).hits[0].snippet_html
    assert snippet == "Police ended a <mark>kidnapping</mark> ring that held workers."  # the whole word marked
