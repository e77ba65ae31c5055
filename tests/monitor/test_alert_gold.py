"""The default kidnapping rule on the gold articles: precision >= 0.9 and recall >= 0.95, first with the
gold's own labels as the extraction (the rule's logic), then end to end with nlp.extract (the CLI)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.alerts.gold import GoldError, read_gold, score_rules
from monitor.alerts.rules import load_rules
from monitor.config import CONFIG_DIR

GOLD = Path(__file__).resolve().parents[1] / "gold"
NLP_PRECISION_FLOOR = 0.98
NLP_RECALL_FLOOR = 0.96


def _labels_by_text() -> dict[str, dict[str, Any]]:
    rows = {}
    for file in GOLD.glob("*.jsonl"):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[f"{row['title']}\n{row['text']}" if row.get("title") else row["text"]] = row
    return rows


def test_default_rule_logic_on_the_gold_labels() -> None:
    """The gold's annotated facts stand in for nlp: what the rule itself gets right or wrong."""
    labels = _labels_by_text()

    def annotated(text: str, lang: str | None) -> dict[str, Any]:
        row = labels[text]
        return {"incident_types": row["incident_types"], "victim_nationality": row["victim_nationality"],
                "victim_count": row["victim_count"], "relevant": row["relevant"], "places": [],
                "victim_ages": [{"value": a} for a in row["victim_ages"]],
                "ransoms": [{"usd": None} for _ in row["ransoms"]]}

    rules = load_rules(CONFIG_DIR / "rules.toml")
    (score,) = score_rules(list(rules), list(read_gold(GOLD)), extractor=annotated)
    assert score.rule == "korean-kidnapping" and score.tp + score.fp + score.fn + score.tn == len(labels)
    assert score.precision >= 0.9 and score.recall >= 0.95, score.to_dict()


def test_default_rule_with_nlp_through_the_cli(tmp_path: Path) -> None:
    pytest.importorskip("nlp.pipeline", reason="the nlp pipeline has not landed")
    from cli.main import cli

    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "alerts", "test",
                                      str(CONFIG_DIR / "rules.toml"), "--gold", str(GOLD), "--json",
                                      "--min-precision", "0.9", "--min-recall", "0.95"])
    report = json.loads(next(line for line in result.output.splitlines() if line.startswith('{"gold"')))
    (score,) = report["rules"]
    # Reached end to end since nlp 1.4.0 (0.989 / 0.967 then, alert = a kidnapping or detention of a
    # South Korean national, the real-article definition): pinned here so a
    # regression fails; raise them as nlp improves, never lower them silently.
    assert score["precision"] >= NLP_PRECISION_FLOOR and score["recall"] >= NLP_RECALL_FLOOR, score
    assert result.exit_code == (0 if score["precision"] >= 0.9 and score["recall"] >= 0.95 else 1)


def test_bad_gold_lines_are_named(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "a", "alert": true}\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(GoldError, match=r"x.jsonl:2: .*boolean 'alert'"):
        list(read_gold(tmp_path))
