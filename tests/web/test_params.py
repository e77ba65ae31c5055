"""The search request: blank form fields are no filter; bad values are errors with the field named."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from web.params import SearchQuery


def test_blank_form_fields_mean_no_filter() -> None:
    query = SearchQuery.model_validate({"q": " 납치 ", "age_min": "", "has_ransom": "", "country": ["", "KH"]})
    assert query.q == "납치"
    assert query.filters() == {"country": ["KH"]}


def test_filters_carry_typed_values() -> None:
    query = SearchQuery.model_validate({
        "date_from": "2025-10-01", "has_ransom": "true", "age_min": "20", "age_max": "30",
        "ransom_usd_min": "1000", "incident_type": ["kidnapping", "detention", "kidnapping"],
    })
    assert query.filters() == {
        "date_from": "2025-10-01", "has_ransom": True, "age_min": 20, "age_max": 30,
        "ransom_usd_min": 1000.0, "incident_type": ["kidnapping", "detention"],
    }


@pytest.mark.parametrize(("params", "field"), [
    ({"age_min": "ten"}, "age_min"),
    ({"date_from": "2025-13-40"}, "date_from"),
    ({"page": "0"}, "page"),
    ({"per_page": "5000"}, "per_page"),
    ({"sort": "random"}, "sort"),
    ({"ransom_usd_min": "-5"}, "ransom_usd_min"),
])
def test_bad_values_name_their_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        SearchQuery.model_validate(params)
    assert info.value.errors()[0]["loc"][0] == field


def test_reversed_range_is_an_error() -> None:
    with pytest.raises(ValidationError, match="age_min"):
        SearchQuery.model_validate({"age_min": "40", "age_max": "20"})


def test_query_items_round_trip_without_defaults() -> None:
    query = SearchQuery.model_validate({"q": "scam", "country": ["KH", "TH"], "page": "3", "has_ransom": "false"})
    items = query.query_items(page=1)
    assert ("page", "1") not in items and ("q", "scam") in items
    assert ("country", "KH") in items and ("country", "TH") in items and ("has_ransom", "false") in items
    assert SearchQuery.model_validate({"q": "scam", "country": ["KH", "TH"], "has_ransom": "false"}).query_items() == items
