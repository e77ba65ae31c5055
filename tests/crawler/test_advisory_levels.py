"""The normalization table and the country/time helpers every advisory parser leans on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.advisory_levels import ISSUER_LEVELS, ISSUERS, level_from_text, normalize_advisory_level
from crawler.countries import (
    country_from_alpha3,
    country_from_jp_code,
    country_from_name,
    is_country_code,
    split_country_names,
)
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    html_to_one_line,
    local_to_utc,
    read_json_payload,
    read_xml_payload,
)


def test_every_issuer_has_a_table_with_levels_in_range() -> None:
    assert set(ISSUER_LEVELS) == set(ISSUERS)
    for issuer, table in ISSUER_LEVELS.items():
        assert {v for v in table.values() if v is not None} <= {1, 2, 3, 4}, issuer
        assert 4 in table.values(), f"{issuer} cannot express 'do not travel'"


@pytest.mark.parametrize(
    ("issuer", "native", "level"),
    [
        ("us-state", "4", 4), ("us-state", "Exercise  Increased Caution", 2), ("us-state", "Reconsider Travel", 3),
        ("ca-gac", "0", 1), ("ca-gac", "3", 4), ("ca-gac", "Avoid non-essential travel", 3),
        ("au-smartraveller", "Do not travel", 4), ("au-smartraveller", "No travel advice", None),
        ("au-smartraveller", "Exercise a high degree of caution", 2),
        ("uk-fcdo", "avoid_all_travel_to_whole_country", 4), ("uk-fcdo", "none", 1),
        ("uk-fcdo", "avoid_all_but_essential_travel_to_parts", 2),
        ("kr-mofa", "1", 2), ("kr-mofa", "여행자제", 3), ("kr-mofa", "3", 4), ("kr-mofa", "여행금지", 4),
        ("jp-mofa", "0", 1), ("jp-mofa", "2", 3), ("jp-mofa", "4", 4),
        ("us-state", "Level 9", None), ("us-state", None, None),
    ],
)
def test_normalize_advisory_level(issuer: str, native: str | None, level: int | None) -> None:
    assert normalize_advisory_level(issuer, native) == level


def test_unknown_issuer_is_an_error_not_a_silent_none() -> None:
    with pytest.raises(KeyError, match="unknown advisory issuer"):
        normalize_advisory_level("xx-nowhere", "1")


def test_level_from_text_prefers_the_strongest_phrase() -> None:
    assert level_from_text("ca-gac", "Border area - Avoid all travel") == (4, "avoid all travel")
    assert level_from_text("uk-fcdo", "FCDO advises against all but essential travel to X")[0] == 3
    assert (
        level_from_text("uk-fcdo", "advises against all travel to A and all but essential travel to B")[0]
        == 4
    )
    assert level_from_text("ca-gac", "nothing about levels here") == (None, "")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Cambodia", "KH"), ("South Korea (Republic of Korea)", "KR"), ("Macau SAR", "MO"), ("Macau", "MO"),
        ("Burma (Myanmar)", "MM"), ("Laos", "LA"), ("Vietnam", "VN"), ("the Philippines", "PH"),
        ("cote-d-ivoire", "CI"), ("Côte d'Ivoire", "CI"), ("St Lucia", "LC"), ("The Bahamas", "BS"),
        ("north-macedonia", "MK"), ("Türkiye", "TR"), ("Niger", "NE"), ("Nigeria", "NG"), ("Kosovo", "XK"),
        ("No travel advice", None), ("Worldwide Caution", None), ("", None), ("Korea", None),
    ],
)
def test_country_from_name(name: str, code: str | None) -> None:
    assert country_from_name(name) == code


def test_other_country_references() -> None:
    assert country_from_alpha3("khm") == "KH" and country_from_alpha3("mac") == "MO"
    assert country_from_alpha3("zzz") is None and country_from_alpha3("kh") is None
    assert country_from_jp_code("0855") == "KH" and country_from_jp_code("855") == "KH"
    assert country_from_jp_code("1000") == "US" and country_from_jp_code("9999", "タイ") == "TH"
    assert country_from_jp_code(None, "どこか") is None
    assert split_country_names("Mainland China, Hong Kong & Macau") == [
        "Mainland China",
        "Hong Kong",
        "Macau",
    ]
    assert is_country_code("KH") and is_country_code("XK")
    assert not any(is_country_code(c) for c in ("kh", "ZZ", "KHM", "", None, "PT-20"))


def test_html_to_text_decodes_double_escapes_and_keeps_words_whole() -> None:
    assert html_to_one_line("Exercise<p>in <b>Cambodia&nbsp;</b>&amp;amp; a<b>rbitrary</b></p><br/>x") == (
        "Exercise in Cambodia & arbitrary x"
    )
    assert html_to_one_line("see &amp;**Safety&amp;** and &#039;x&#039;") == "see Safety and 'x'"
    assert html_to_one_line(None) == ""


def test_local_to_utc_follows_each_issuers_zone_and_daylight_saving() -> None:
    assert local_to_utc(date(2026, 9, 15), "us-state") == datetime(2026, 9, 15, 4, tzinfo=UTC)  # EDT
    assert local_to_utc(date(2026, 1, 15), "us-state") == datetime(2026, 1, 15, 5, tzinfo=UTC)  # EST
    assert local_to_utc(datetime(2026, 1, 16, 16, 0), "au-smartraveller") == datetime(
        2026, 1, 16, 5, tzinfo=UTC
    )
    assert local_to_utc(datetime(2026, 7, 16, 16, 0), "au-smartraveller") == datetime(
        2026, 7, 16, 6, tzinfo=UTC
    )
    assert local_to_utc(datetime(2026, 9, 30, 9, 0), "jp-mofa") == datetime(2026, 9, 30, 0, tzinfo=UTC)


def test_payload_readers_name_the_problem() -> None:
    with pytest.raises(AdvisoryPayloadError, match="not JSON"):
        read_json_payload(b"<html>maintenance</html>", "x")
    with pytest.raises(AdvisoryPayloadError, match="empty"):
        read_json_payload(b"  ", "x")
    assert read_json_payload("\ufeff[1]".encode(), "x") == [1]
    root, problem = read_xml_payload(b"<rss><channel><item><title>a</title></item><item><title>b", "x")
    assert problem and "malformed" in problem and root.find(".//item") is not None
    with pytest.raises(AdvisoryPayloadError, match="not XML"):
        read_xml_payload(b"\x00\x01 not xml at all", "x")


@given(st.sampled_from(ISSUERS), st.one_of(st.none(), st.text(max_size=60), st.integers(-5, 10)))
def test_normalized_levels_stay_in_range(issuer: str, native: object) -> None:
    assert normalize_advisory_level(issuer, native) in {None, 1, 2, 3, 4}  # type: ignore[arg-type]
    assert level_from_text(issuer, str(native))[0] in {None, 1, 2, 3, 4}


@given(st.text(max_size=80))
def test_country_resolution_yields_valid_codes_or_none(name: str) -> None:
    code = country_from_name(name)
    assert code is None or is_country_code(code)
