"""Evaluation gate: F1 per field on tests/gold must stay at or above tests/gold/floors.toml.

Floors only go up. Lowering one means editing floors.toml in its own commit that says why;
test_floors_never_below_contract also refuses anything under the contract's 0.95 minimum.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.evaluate import DEFAULT_GOLD, FIELDS, below_floors, evaluate, load_floors, load_gold

FLOORS = Path(DEFAULT_GOLD) / "floors.toml"
CONTRACT_MINIMUM = {"places": 0.95, "victim_ages": 0.95, "ransoms": 0.95}
MIN_DOCS = {"en": 80, "ko": 60, "km": 20}


@pytest.fixture(scope="module")
def scores():  # type: ignore[no-untyped-def]
    return evaluate(load_gold())


def test_gold_set_size_and_shape() -> None:
    docs = load_gold()
    for lang, n in MIN_DOCS.items():
        assert sum(d["lang"] == lang for d in docs) >= n, lang
    assert len({d["id"] for d in docs}) == len(docs)
    for d in docs:
        assert {"id", "lang", "title", "text"} <= d.keys() and {"relevant", "alert"} <= d["gold"].keys()


def test_floors_cover_every_field_and_meet_the_contract() -> None:
    floors = load_floors(FLOORS)
    assert set(floors) == set(FIELDS)
    for name, minimum in CONTRACT_MINIMUM.items():
        assert floors[name] >= minimum, f"{name} floor may not go under {minimum}"


def test_no_field_below_its_floor(scores) -> None:  # type: ignore[no-untyped-def]
    failed = below_floors(scores, load_floors(FLOORS))
    detail = {k: f"{f1:.3f} < {floor}" for k, (f1, floor) in failed.items()}
    assert not failed, f"regression below pinned floors: {detail}"
