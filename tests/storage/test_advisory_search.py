"""Advisory search on SQLite and PostgreSQL: filters on issuer, country, level, region, change date and
direction, free text, facets and pages; bad values are SearchErrors; `deskwatch advisories` uses it."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner

import storage.advisories
from cli.main import cli
from storage.advisories import (
    advisory_history,
    current_advisories,
    list_advisories,
    search_advisories,
    upsert_advisory,
)
from storage.query_syntax import SearchError
from storage.repository import Store

T1, T2, T3 = (datetime(2026, 9, d, 12, tzinfo=UTC) for d in (1, 10, 20))


def _advisory(issuer: str, country: str, level: int | None, label: str, **extra: Any) -> dict[str, Any]:
    return {"issuer": issuer, "country": country, "level": level, "level_native": f"L{level}", "label": label,
            "summary": extra.pop("summary", f"{country}: {label}"), **extra}


SEED = [  # (recorded at, advisory): each row is written at its time, so fetched_at is known
    (T1, _advisory("us-state", "KH", 2, "Exercise Increased Caution")),
    (T1, _advisory("us-state", "TH", 3, "Reconsider Travel")),
    (T1, _advisory("kr-mofa", "KH", 3, "출국권고")),
    (T1, _advisory("uk-fcdo", "KH", 1, "See advice", summary="Scams: 100% of cases_online")),
    (T1, _advisory("jp-mofa", "TH", None, "lifted")),
    (T2, _advisory("us-state", "KH", 3, "Reconsider Travel")),  # raised 2 → 3
    (T2, _advisory("kr-mofa", "KH", 4, "여행금지", region="Bokor Mountain")),
    (T2, _advisory("kr-mofa", "KH", 3, "출국권고", summary="new wording")),  # changed, level unchanged
    (T3, _advisory("us-state", "TH", 2, "Exercise Increased Caution")),  # lowered 3 → 2
]


@pytest.fixture
def seeded(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    for moment, adv in SEED:
        monkeypatch.setattr(storage.advisories, "utcnow", lambda moment=moment: moment)
        assert upsert_advisory(store, adv).changed
    monkeypatch.undo()
    return store


def keys(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, int | None]]:
    return [(a["issuer"], a["country"], a["region"], a["level"]) for a in rows]


def found(store: Store, query: str = "", current_only: bool = True, **filters: Any) -> set[tuple[Any, ...]]:
    return set(keys(search_advisories(store, query=query, filters=filters, current_only=current_only).advisories))


def test_unfiltered_is_the_current_advice_and_the_history(seeded: Store) -> None:
    result = search_advisories(seeded)
    assert result.total == 6 and result.advisories == current_advisories(seeded)
    history = search_advisories(seeded, current_only=False)
    assert history.total == 9 and history.advisories == advisory_history(seeded)
    assert set(history.advisories[0]) == set(advisory_history(seeded)[0])  # advisory_dict rows


def test_level_filters_match_the_current_row_never_a_stale_one(seeded: Store) -> None:
    assert found(seeded, level_min=3) == {("kr-mofa", "KH", "", 3), ("us-state", "KH", "", 3),
                                          ("kr-mofa", "KH", "Bokor Mountain", 4)}
    # us-state KH was level 2 before: only the current level counts, so it is not a level-2 match
    assert found(seeded, level_min=2, level_max=2) == {("us-state", "TH", "", 2)}
    assert found(seeded, level_max="1") == {("uk-fcdo", "KH", "", 1)}
    assert ("us-state", "KH", "", 2) in found(seeded, current_only=False, level_max=2)


def test_issuer_country_and_region(seeded: Store) -> None:
    assert found(seeded, issuer=["us-state", "UK-FCDO"], country=["kh"]) == {
        ("us-state", "KH", "", 3), ("uk-fcdo", "KH", "", 1)}
    assert found(seeded, issuer="kr-mofa", region="") == {("kr-mofa", "KH", "", 3)}  # whole country only
    assert found(seeded, region="bokor MOUNTAIN") == {("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert len(found(seeded, region=None, issuer=[], country=None)) == 6  # None / empty: no filter


def test_direction_and_changed_since(seeded: Store) -> None:
    assert found(seeded, direction="up") == {("us-state", "KH", "", 3)}
    assert found(seeded, direction="DOWN") == {("us-state", "TH", "", 2)}
    assert len(found(seeded, direction="any")) == 6
    assert found(seeded, current_only=False, direction="down") == {("us-state", "TH", "", 2)}
    assert found(seeded, changed_since="2026-09-10") == {
        ("us-state", "KH", "", 3), ("us-state", "TH", "", 2), ("kr-mofa", "KH", "", 3),
        ("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert found(seeded, changed_since=date(2026, 9, 20)) == {("us-state", "TH", "", 2)}
    # on or after, in UTC: 21:00 in Seoul is the very moment the TH change was recorded
    assert found(seeded, changed_since="2026-09-20T21:00:00+09:00") == {("us-state", "TH", "", 2)}
    assert found(seeded, changed_since="2026-09-20T12:00:01+00:00") == set()
    assert found(seeded, changed_since="2026-09-10", direction="up", country="KH") == {("us-state", "KH", "", 3)}


def test_free_text_is_a_case_insensitive_substring_of_region_label_or_summary(seeded: Store) -> None:
    assert found(seeded, "reconsider") == {("us-state", "KH", "", 3)}  # TH's Reconsider row is history
    assert found(seeded, "reconsider", current_only=False) == {("us-state", "TH", "", 3),
                                                              ("us-state", "KH", "", 3)}
    assert found(seeded, "bokor") == {("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert found(seeded, "여행금지") == {("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert found(seeded, "th: CAUTION") == {("us-state", "TH", "", 2)}  # every word must match
    # LIKE wildcards are literal text: '%' and '_' match only themselves
    assert found(seeded, "100%") == {("uk-fcdo", "KH", "", 1)}
    assert found(seeded, "cases_online") == {("uk-fcdo", "KH", "", 1)}
    assert found(seeded, "s%s") == set() and found(seeded, "cases_o_line") == set()
    assert found(seeded, "' OR 1=1 --") == set()


def test_facets_count_every_match_and_pages_split_it(seeded: Store) -> None:
    first = search_advisories(seeded, per_page=4)
    second = search_advisories(seeded, per_page=4, page=2)
    assert (first.total, second.total, len(first.advisories), len(second.advisories)) == (6, 6, 4, 2)
    assert not {a["id"] for a in first.advisories} & {a["id"] for a in second.advisories}
    assert first.advisories + second.advisories == search_advisories(seeded).advisories
    assert first.facets == {
        "issuer": [("kr-mofa", 2), ("us-state", 2), ("jp-mofa", 1), ("uk-fcdo", 1)],
        "level": [(3, 2), (1, 1), (2, 1), (4, 1)],  # the lifted advisory has no level
        "country": [("KH", 4), ("TH", 2)],
    }
    narrowed = search_advisories(seeded, filters={"country": "TH"})
    assert narrowed.facets["issuer"] == [("jp-mofa", 1), ("us-state", 1)]
    assert search_advisories(seeded, page=9).advisories == []
    assert json.loads(json.dumps(narrowed.to_dict()))["facets"]["country"] == [["TH", 2]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": {"level_min": 7}}, "level_min must be a level from 1 to 4"),
        ({"filters": {"level_max": 0}}, "level_max must be a level from 1 to 4"),
        ({"filters": {"level_max": "two"}}, "level_max must be a level"),
        ({"filters": {"level_min": True}}, "level_min must be a level"),
        ({"filters": {"level_min": 4, "level_max": 2}}, "level_min (4) is above level_max (2)"),
        ({"filters": {"direction": "sideways"}}, "direction must be one of up, down, any"),
        ({"filters": {"changed_since": "yesterday"}}, "changed_since must be an ISO date"),
        ({"filters": {"changed_since": "2026-13-01"}}, "changed_since must be an ISO date"),
        ({"filters": {"country": ["KHM"]}}, "not an ISO 3166-1 alpha-2 code"),
        ({"filters": {"issuer": "us-state\x00"}}, "issuer contains a NUL character"),
        ({"filters": {"region": "Bokor\x00"}}, "region contains a NUL character"),
        ({"filters": {"levels": 3}}, "unknown advisory filter(s) levels"),
        ({"query": "bokor\x00"}, "the query contains a NUL character"),
        ({"query": "x" * 501}, "the query is too long"),
        ({"page": 0}, "page must be a whole number"),
        ({"per_page": 0}, "per_page must be from 1"),
    ],
)
def test_bad_values_are_search_errors_with_a_reason(seeded: Store, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SearchError) as err:
        search_advisories(seeded, **kwargs)
    assert message in str(err.value)


def test_list_advisories_is_every_match_unpaged(seeded: Store) -> None:
    assert list_advisories(seeded, filters={"country": ["KH"]}) == current_advisories(seeded, country="KH")
    assert list_advisories(seeded, current_only=False) == advisory_history(seeded)


# ---- deskwatch advisories ------------------------------------------------------------------------------
def run(store: Store, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", store.url, "advisories", *args])


def test_cli_filters_keep_the_json_rows(seeded: Store) -> None:
    plain = run(seeded, "--json")
    assert plain.exit_code == 0 and json.loads(plain.output) == current_advisories(seeded)
    raised = json.loads(run(seeded, "--min-level", "3", "--direction", "up", "--json").output)
    assert keys(raised) == [("us-state", "KH", "", 3)]
    assert set(raised[0]) == set(current_advisories(seeded)[0])
    two = json.loads(run(seeded, "--country", "th", "--country", "KH", "--issuer", "us-state", "--json").output)
    assert keys(two) == [("us-state", "KH", "", 3), ("us-state", "TH", "", 2)]
    history = json.loads(run(seeded, "--history", "--changed-since", "2026-09-10", "--max-level", "2",
                             "--json").output)
    assert keys(history) == [("us-state", "TH", "", 2)]
    table = run(seeded, "--direction", "down")
    assert table.exit_code == 0 and "us-state" in table.output and "TH" in table.output
    assert "KH" not in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-level", "7"], "level_min must be a level from 1 to 4"),
        (["--min-level", "4", "--max-level", "1"], "is above level_max"),
        (["--changed-since", "last week"], "changed_since must be an ISO date"),
        (["--direction", "sideways"], "sideways"),
        (["--country", "KHM"], "ISO 3166-1 alpha-2"),
    ],
)
def test_cli_bad_values_exit_2_with_a_message(seeded: Store, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["--db", seeded.url, "advisories", *args])
    assert result.exit_code == 2 and message in result.stderr
    assert result.stdout == ""


def test_cli_says_when_filters_match_nothing(seeded: Store) -> None:
    result = run(seeded, "--country", "KH", "--direction", "down")
    assert result.exit_code == 0 and "no advisories match these filters" in result.stderr
