"""Incident identity alone: facts in, a score with named evidence and conflicts out (no database)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage.identity import JOIN_SCORE, compare, compare_with_story, incident_from_extraction, place_weight
from storage.identity_dates import resolve_one

SANGJU = {"name": "Sangju", "country": "KR", "admin1": "North Gyeongsang", "geonameid": 1835895, "start": 10}
PHNOM_PENH = {"name": "Phnom Penh", "country": "KH", "admin1": "Phnom Penh", "geonameid": 1821306, "start": 5}
CAMBODIA = {"name": "Cambodia", "country": "KH", "admin1": None, "geonameid": None, "start": 0}
GYEONGGI = {"name": "Gyeonggi", "country": "KR", "admin1": "Gyeonggi", "geonameid": None}


def _inc(doc_id: int, day: int | None = 13, **data):  # type: ignore[no-untyped-def]
    published = datetime(2025, 10, day, 9, tzinfo=UTC) if day else None
    return incident_from_extraction(doc_id, data, published, data.pop("lang", "ko") if "lang" in data else "ko")


def _names(comparison) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.name for e in comparison.evidence]


def test_a_country_says_nothing_a_capital_little_and_a_hometown_a_lot() -> None:
    assert place_weight(CAMBODIA) == 0.0
    assert place_weight(PHNOM_PENH) < place_weight(GYEONGGI) < place_weight(SANGJU)
    a = _inc(1, places=[CAMBODIA, PHNOM_PENH], incident_types=["kidnapping"])
    b = _inc(2, places=[CAMBODIA, PHNOM_PENH], incident_types=["kidnapping"])
    assert not compare(a, b).joins  # the same capital and kind on the same day is not one case
    c = _inc(3, places=[SANGJU], victim_age_ranges=[{"low": 30, "high": 39}], incident_types=["kidnapping"])
    d = _inc(4, places=[SANGJU], victim_ages=[{"value": 33}], incident_types=["kidnapping"],
             ransoms=[{"usd": 14440.0}])
    comparison = compare(c, d)
    assert "same place Sangju" in _names(comparison) and comparison.conflicts == []  # 30대 vs 33: no conflict


def test_a_ransom_in_won_and_in_dollars_at_another_days_rate_is_one_ransom() -> None:
    a = _inc(1, ransoms=[{"usd": 14440.0}], places=[SANGJU])  # 2천만원 at 1,385
    b = _inc(2, ransoms=[{"usd": 11800.0}], places=[SANGJU])  # the text's own dollar figure, 22% apart
    comparison = compare(a, b)
    assert any(n.startswith("same ransom") for n in _names(comparison)) and comparison.joins
    far = compare(a, _inc(3, ransoms=[{"usd": 50000.0}], places=[SANGJU]))
    assert far.conflicts and far.conflicts[0].name.startswith("ransoms")


def test_named_initials_with_ages_and_romanized_names_meet() -> None:
    ko = _inc(1, identity={"people": [{"kind": "surname", "key": "kang", "given": "", "age": 32},
                                      {"kind": "surname", "key": "ahn", "given": "", "age": 30}]})
    en = _inc(2, day=None, lang="en", identity={"people": [{"kind": "surname", "key": "kang", "given": "", "age": 31},
                                                           {"kind": "surname", "key": "ahn", "given": "", "age": 29}]})
    comparison = compare(ko, en)
    assert {"same person kang (32)", "same person ahn (30)"} <= set(_names(comparison)) and comparison.joins


def test_exact_ages_that_differ_are_a_conflict_that_outweighs_a_shared_place() -> None:
    a = _inc(1, places=[SANGJU], victim_ages=[{"value": 22}], incident_types=["kidnapping"])
    b = _inc(2, places=[SANGJU], victim_ages=[{"value": 41}], incident_types=["kidnapping"])
    comparison = compare(a, b)
    assert comparison.conflicts[0].name == "ages 22 vs 41" and not comparison.joins


def test_incident_dates_resolve_against_the_publication_date() -> None:
    pub = date(2025, 10, 13)
    assert resolve_one({"month": 8}, pub) == ("month", (2025, 8))  # 지난 8월
    assert resolve_one({"month": 11}, pub) == ("month", (2024, 11))  # a November before October's report
    assert resolve_one({"day": 17}, pub) == ("day", date(2025, 9, 17))  # "17일" read on the 13th: last month
    assert resolve_one({"day": 8}, pub) == ("day", date(2025, 10, 8))
    assert resolve_one({"day": 15, "month_offset": -1}, pub) == ("day", date(2025, 9, 15))  # 지난달 15일
    assert resolve_one({"month": 7, "day": 17}, pub) == ("day", date(2025, 7, 17))  # on July 17
    assert resolve_one({"weekday": 3}, pub) == ("day", date(2025, 10, 9))  # last Thursday
    assert resolve_one({"day": 8}, None) is None and resolve_one({"year": 2024, "month": 3}, None) == ("month", (2024, 3))


def test_an_old_incident_recalled_weeks_later_meets_on_its_date() -> None:
    a = _inc(1, day=13, identity={"dates": [{"month": 4, "lead": True}]}, places=[PHNOM_PENH])
    b = _inc(2, day=20, identity={"dates": [{"month": 4, "lead": True}]}, places=[PHNOM_PENH])
    assert "same earlier month 2025-04" in _names(compare(a, b))


def test_two_reports_whose_leads_name_different_sites_conflict() -> None:
    hotel = _inc(1, identity={"sites": [{"id": "queenco", "lead": True}, {"id": "tuek-thla", "lead": False}]})
    pagoda = _inc(2, identity={"sites": [{"id": "tuek-thla", "lead": True}, {"id": "queenco", "lead": False}]})
    comparison = compare(hotel, pagoda)
    assert comparison.conflicts and comparison.conflicts[0].name.startswith("leads about queenco vs tuek-thla")


def test_a_story_is_met_by_its_best_report_but_refused_on_conflict_with_its_first() -> None:
    first = _inc(1, places=[SANGJU], victim_ages=[{"value": 22}], ransoms=[{"usd": 14440.0}])
    later = _inc(2, places=[SANGJU, PHNOM_PENH], ransoms=[{"usd": 14440.0}])
    newcomer = _inc(3, places=[SANGJU, PHNOM_PENH], victim_ages=[{"value": 45}], ransoms=[{"usd": 14440.0}])
    comparison, match = compare_with_story(newcomer, [first, later])
    assert match is later and any("story's first report" in c.name for c in comparison.conflicts)
    assert comparison.score < compare(newcomer, later).score


def test_explanations_name_every_piece_of_evidence_with_its_weight() -> None:
    a = _inc(1, places=[SANGJU], victim_ages=[{"value": 33}])
    b = _inc(2, places=[SANGJU], victim_ages=[{"value": 33}])
    text = compare(a, b).explain()
    assert text.startswith("score ") and "same place Sangju (+2)" in text and "same age 33 (+2)" in text
    assert JOIN_SCORE == pytest.approx(3.25)


def _person(kind: str, key: str, age: int | None, lead: bool) -> dict[str, object]:
    return {"kind": kind, "key": key, "given": "", "age": age, "lead": lead}


ULSAN = {"name": "Ulsan", "country": "KR", "admin1": "Ulsan", "geonameid": 1833747, "start": 20}


def test_people_recalled_beside_a_lead_about_someone_else_are_no_evidence() -> None:
    # a ring's launderers arrested at home (lead: a 26-year-old B); its leaders, recalled at the end
    launderers = _inc(1, day=None, lang="en", places=[ULSAN],
                      identity={"people": [_person("initial", "b", 26, True), _person("surname", "choi", 41, False),
                                           _person("surname", "yoon", 38, False)]})
    leaders = _inc(2, places=[ULSAN],
                   identity={"people": [_person("surname", "choi", 41, False), _person("surname", "yoon", 38, False)]})
    comparison = compare(launderers, leaders)
    assert not any(n.startswith("same person") for n in _names(comparison))
    assert any("only recalled beside a lead about B (26)" in c.name for c in comparison.conflicts)
    assert not comparison.joins
    # the same leaders named in the lead of a report about them are evidence
    about_them = _inc(3, places=[ULSAN], identity={"people": [_person("surname", "choi", 41, True),
                                                               _person("surname", "yoon", 38, True)]})
    assert compare(leaders, about_them).joins


def test_leads_about_different_people_conflict_but_one_outlets_initial_is_anothers_surname() -> None:
    a = _inc(1, places=[SANGJU], identity={"people": [_person("surname", "park", 24, True)]})
    b = _inc(2, places=[SANGJU], identity={"people": [_person("surname", "seo", 47, True)]})
    comparison = compare(a, b)
    assert comparison.conflicts[0].name == "leads about different people park (24) vs seo (47)"
    assert not comparison.joins
    c = _inc(3, places=[SANGJU], identity={"people": [_person("initial", "a", 25, True)]})  # A씨(25), months later
    assert not compare(a, c).conflicts


def test_a_sum_weighs_by_where_it_stands() -> None:
    lead = {"krw": 9.5e9, "lead": True}
    body = {"krw": 9.5e9, "lead": False}
    both = compare(_inc(1, identity={"sums": [lead]}), _inc(2, identity={"sums": [lead]}))
    one = compare(_inc(1, identity={"sums": [lead]}), _inc(2, identity={"sums": [body]}))
    weights = [[e.weight for e in c.evidence if e.name.startswith("same sum")] for c in (both, one)]
    assert weights == [[2.0], [1.5]]


def test_incidents_dated_months_apart_conflict_unless_one_recalls_the_others_month() -> None:
    sen_sok = {"name": "Sen Sok", "country": "KH", "admin1": "Phnom Penh", "geonameid": None, "start": 30}
    september = _inc(1, day=30, places=[sen_sok], identity={"dates": [{"month": 9, "day": 15, "lead": True}]})
    march = incident_from_extraction(2, {"places": [sen_sok], "identity": {
        "dates": [{"month": 3, "day": 3, "lead": True}]}}, datetime(2026, 3, 7, tzinfo=UTC), "en")
    comparison = compare(september, march)
    assert comparison.conflicts[0].name == "happened months apart 2025-09-15 vs 2026-03-03" and not comparison.joins
    follow_up = incident_from_extraction(3, {"places": [sen_sok], "identity": {
        "dates": [{"month": 3, "day": 3, "lead": True}, {"year": 2025, "month": 9, "lead": False}]}},
        datetime(2026, 3, 7, tzinfo=UTC), "en")  # the trial in March recalls the September raid
    assert not compare(september, follow_up).conflicts


def test_what_one_lead_shares_with_the_body_of_a_report_about_another_case_weighs_little() -> None:
    # a hotel death whose report mentions, at its end, bodies kept at a pagoda; and the pagoda's report
    death = _inc(1, places=[SANGJU], identity={"sites": [{"id": "queenco", "lead": True},
                                                         {"id": "tuek-thla", "lead": False}],
                                               "counts": [{"value": 4, "lead": False}]})
    pagoda = _inc(2, places=[PHNOM_PENH], identity={"sites": [{"id": "tuek-thla", "lead": True}],
                                                    "counts": [{"value": 4, "lead": True}]})
    comparison = compare(death, pagoda)
    assert comparison.leads_apart and not comparison.joins
    assert [e.weight for e in comparison.evidence if e.name == "same site tuek-thla"] == [1.4]  # 3.5 x 0.4


def test_an_undated_reports_bare_day_is_the_day_of_that_number_the_other_names() -> None:
    # "지난 21일" in an undated wire copy; a follow-up a month later says "지난달 21일"
    undated = _inc(1, day=None, identity={"dates": [{"day": 21, "lead": True}]})
    follow_up = incident_from_extraction(2, {"identity": {"dates": [{"day": 21, "month_offset": -1, "lead": True}]}},
                                         datetime(2025, 7, 22, tzinfo=UTC), "ko")
    comparison = compare(undated, follow_up)
    assert "same day 2025-06-21 (undated report read as of then)" in _names(comparison)
    too_old = incident_from_extraction(3, {"identity": {"dates": [{"year": 2025, "month": 2, "day": 21, "lead": True}]}},
                                       datetime(2025, 7, 22, tzinfo=UTC), "ko")
    assert not any(n.startswith("same day") for n in _names(compare(undated, too_old)))


def test_a_region_or_river_across_borders_weighs_like_a_capital() -> None:
    assert place_weight({"name": "Southeast Asia", "country": None, "admin1": None}) == 0.3
    assert place_weight({"name": "Mekong River", "country": None, "admin1": None}) == 0.3


def test_a_follow_up_months_later_is_not_apart_on_the_day_its_news_was_announced() -> None:
    # police described the ring "on Monday" (the day before publication); the leaders' repatriation in
    # January is dated the day of its report: announcements, not the occurrence
    october = _inc(1, day=21, places=[ULSAN], identity={"dates": [{"weekday": 0, "lead": True}]})
    january = incident_from_extraction(2, {"places": [ULSAN], "identity": {"dates": [{"day": 22, "lead": True}]}},
                                       datetime(2026, 1, 22, tzinfo=UTC), "ko")
    assert not any(c.name.startswith("happened months apart") for c in compare(october, january).conflicts)


def test_a_hometown_and_a_site_abroad_are_one_subject_two_hometowns_are_two() -> None:
    namyangju = {"name": "Namyangju", "country": "KR", "admin1": "Gyeonggi-do", "geonameid": 1897122, "start": 5}
    hometown = _inc(1, places=[namyangju])
    site = _inc(2, identity={"sites": [{"id": "kk-park", "lead": True}]})
    assert not compare(hometown, site).conflicts
    other_town = _inc(3, places=[SANGJU])
    assert compare(hometown, other_town).conflicts[0].name == "leads about Namyangju vs Sangju"
    other_site = _inc(4, identity={"sites": [{"id": "tuek-thla", "lead": True}]})
    assert compare(site, other_site).conflicts[0].name == "leads about kk-park vs tuek-thla"


def test_a_suspects_arrest_whose_lead_names_the_suspect_still_meets_the_victims_case() -> None:
    # the kidnapping: its lead names the victim Park (24); the arrest weeks later: its lead names the
    # suspect A (40), the victim further down (nlp reads 24 as a victim's age, 40 as not)
    kidnapping = _inc(1, places=[SANGJU], victim_ages=[{"value": 24}],
                      identity={"people": [_person("surname", "park", 24, True)]})
    arrest = _inc(2, places=[SANGJU], victim_ages=[{"value": 24}],
                  identity={"people": [_person("initial", "a", 40, True), _person("surname", "park", 24, False)]})
    comparison = compare(kidnapping, arrest)
    assert comparison.conflicts == [] and "same person park (24)" in _names(comparison) and comparison.joins


def test_a_revised_count_is_half_an_exact_one_and_small_counts_are_not_revised() -> None:
    first = _inc(1, identity={"counts": [{"value": 20, "lead": True}]})
    later = _inc(2, identity={"counts": [{"value": 19, "lead": True}]})
    assert [(e.name, e.weight) for e in compare(first, later).evidence
            if "number" in e.name] == [("about the same number of people 20/19", 0.5)]
    three, four = _inc(3, identity={"counts": [{"value": 3, "lead": True}]}), _inc(4, identity={"counts": [
        {"value": 4, "lead": True}]})
    assert not any("number" in e.name for e in compare(three, four).evidence)
