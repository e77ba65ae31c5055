"""The shipped gazetteer file is what `python -m nlp.gazetteer build` produces from its sources."""
from __future__ import annotations

import json

from nlp.gazetteer import GAZETTEER_FILE, build_rows, load_gazetteer


def test_shipped_gazetteer_matches_its_sources() -> None:
    shipped = [json.loads(line) for line in GAZETTEER_FILE.read_text(encoding="utf-8").splitlines() if line]
    rebuilt = [json.loads(json.dumps(row, ensure_ascii=False, sort_keys=True)) for row in build_rows()]
    assert shipped == rebuilt, "run `python -m nlp.gazetteer build` after editing places_curated.jsonl"


def test_curated_aliases_resolve() -> None:
    gaz = load_gazetteer()
    assert gaz.lookup("ko", "시아누크빌")[0].name == "Sihanoukville"
    assert gaz.lookup("en", "Gyeongbuk")[0].admin1 == "Gyeongsangbuk-do"
    assert gaz.lookup("km", "ភ្នំពេញ")[0].geonameid == 1821306
    assert gaz.lookup("en", "Hun") == [] and gaz.lookup("en", "Kim") == []
