"""The real-article dev set (read in place, never copied here): every field's F1 and the default alert
rule's precision/recall must stay at or above tests/gold/dev_floors.toml, which only rises."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.gold import alert_predicate, first_incident_rule
from monitor.alerts.rules import load_rules
from nlp.evaluate import Evaluation, FieldScore, evaluate_docs, load_gold

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "eval-dev"
FLOORS = ROOT / "tests" / "gold" / "dev_floors.toml"
RULES = ROOT / "config" / "rules.toml"


def _dev_file(name: str) -> Path:
    path = DEV / name
    if not path.exists():
        pytest.skip(f"real-article dev set not present: {path} (it is kept outside the repository)")
    return path


def _floors() -> dict[str, Any]:
    with FLOORS.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def runs() -> dict[str, Evaluation]:
    rule = first_incident_rule(load_rules(RULES))
    assert rule is not None
    predicate = alert_predicate(rule)
    return {name: evaluate_docs(load_gold(_dev_file(f"{name}.jsonl")), predicate)
            for name in ("articles", "alert-stream")}


def _table(ev: Evaluation) -> str:
    lines = []
    for name, s in ev.overall.items():
        per_lang = " ".join(f"{lang} {scores[name].f1:.3f}" for lang, scores in sorted(ev.by_lang.items())
                            if name in scores)
        lines.append(f"{name:18} P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}  ({per_lang})")
    return "\n".join(lines)


def _combined(runs: dict[str, Evaluation], name: str) -> FieldScore:
    total = FieldScore()
    for ev in runs.values():
        s = ev.overall[name]
        total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
    return total


def test_dev_articles_fields_at_or_above_floors(runs: dict[str, Evaluation]) -> None:
    scores = runs["articles"].overall
    print("\nreal dev articles\n" + _table(runs["articles"]))
    below = {name: f"{scores[name].f1:.3f} < {floor}" for name, floor in _floors()["articles"].items()
             if scores[name].f1 + 1e-9 < floor}
    assert not below, f"below the pinned dev floors: {below}\n{_table(runs['articles'])}"


def test_dev_alert_rule_at_or_above_floors_beside_keyword_rule(runs: dict[str, Evaluation]) -> None:
    rule, keyword = _combined(runs, "alert"), _combined(runs, "alert_keyword")
    summary = (f"default rule  P {rule.precision:.3f} R {rule.recall:.3f} ({rule.tp}/{rule.fp}/{rule.fn})\n"
               f"keyword rule  P {keyword.precision:.3f} R {keyword.recall:.3f} "
               f"({keyword.tp}/{keyword.fp}/{keyword.fn})")
    print("\nreal dev alerts (articles + stream)\n" + summary)
    floors = _floors()["alerts"]
    assert rule.precision + 1e-9 >= floors["precision"], summary
    assert rule.recall + 1e-9 >= floors["recall"], summary


def test_dev_floors_cover_every_scored_field(runs: dict[str, Evaluation]) -> None:
    scored = set(runs["articles"].overall) - {"alert", "alert_keyword"}
    assert scored <= set(_floors()["articles"]), scored - set(_floors()["articles"])
