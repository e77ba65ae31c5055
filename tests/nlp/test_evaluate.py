"""The evaluator on invented real-article-format lines: reading the spec's shape, scoring rules, misses."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.nlp import evaluate as evaluate_cmd
from nlp.evalgold import GoldFormatError, load_gold, range_key
from nlp.evaluate import evaluate_docs, keyword_alert

KIDNAP = ("A 24-year-old South Korean man was kidnapped in Kampot, and his captors demanded "
          "30 million won ($21,000) from his family for his release.")
POLICY = "Seoul and Phnom Penh agreed on Tuesday to share more police data on online scams."


def _spec_line(idx: str, text: str, **gold: object) -> str:
    base = {"places": [], "victim_ages": [], "age_ranges": [], "ransoms": [], "incident_types": [],
            "victim_nationality": None, "victim_count": None}
    return json.dumps({"id": idx, "url": "https://example.org", "outlet": "Example", "date": None,
                       "lang": "en", "text": text, "gold": {**base, **gold}})


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_spec_lines_derive_alert_and_decade_ranges(tmp_path: Path) -> None:
    path = _write(tmp_path, _spec_line("a", KIDNAP, incident_types=["kidnapping"], victim_nationality="KR",
                                       age_ranges=["20s"]),
                  json.dumps({"id": "s", "lang": "en", "text": POLICY, "gold": {"alert": False}}))
    first, stream = load_gold(path)
    assert first["gold"]["alert"] is True and first["gold"]["victim_age_ranges"] == ["20s"]
    assert stream["gold"] == {"alert": False}  # a stream line is scored on its alert only
    assert range_key(20, 23, "decade") == "20s" and range_key(30, 49, "decade") == "30s-40s"


def test_scores_ransom_with_stated_usd_and_reports_misses_in_context(tmp_path: Path) -> None:
    ransom = {"text": "30 million won ($21,000)", "value": 30000000, "currency": "KRW", "usd": 21000}
    path = _write(tmp_path, _spec_line("a", KIDNAP, victim_ages=[24, 31], ransoms=[ransom],
                                       places=[{"text": "Kampot", "name": "Kampot", "country": "KH"}],
                                       incident_types=["kidnapping"], victim_nationality="KR", victim_count=1))
    ev = evaluate_docs(load_gold(path), alert=lambda pred, text, lang: True)
    assert ev.overall["ransoms"].tp == 1 and ev.overall["places"].tp == 1
    ages = ev.overall["victim_ages"]
    assert (ages.tp, ages.fn) == (1, 1)
    (miss,) = [m for m in ev.articles[0]["misses"] if m["field"] == "victim_ages"]
    assert miss["kind"] == "missing" and miss["value"] == "31" and "context" not in miss
    assert ev.by_lang["en"]["alert"].tp == 1 and ev.overall["alert_keyword"].tp == 1


def test_wrong_stated_usd_is_a_miss(tmp_path: Path) -> None:
    ransom = {"text": "30 million won", "value": 30000000, "currency": "KRW", "usd": 99000}
    path = _write(tmp_path, _spec_line("a", KIDNAP, ransoms=[ransom]))
    ev = evaluate_docs(load_gold(path))
    kinds = {m["kind"] for m in ev.articles[0]["misses"] if m["field"] == "ransoms"}
    assert kinds == {"missing", "invented"}
    invented = next(m for m in ev.articles[0]["misses"] if m["kind"] == "invented" and m["field"] == "ransoms")
    assert "[30 million won]" in invented["context"]


def test_keyword_rule_needs_both_words() -> None:
    assert keyword_alert("Two Koreans were abducted") and not keyword_alert("Two tourists were abducted")
    assert keyword_alert("캄보디아에서 한국인 감금") and not keyword_alert("캄보디아에서 감금")


def test_bad_gold_line_is_one_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "{broken")
    try:
        load_gold(path)
    except GoldFormatError as exc:
        assert "dev.jsonl:1" in str(exc)
    else:
        raise AssertionError("expected GoldFormatError")
    result = CliRunner().invoke(evaluate_cmd, [str(path)])
    assert result.exit_code == 1 and "dev.jsonl:1" in result.output and "Traceback" not in result.output


def test_cli_scores_spec_file_per_language_as_json(tmp_path: Path) -> None:
    path = _write(tmp_path, _spec_line("a", KIDNAP, incident_types=["kidnapping"], victim_nationality="KR"),
                  _spec_line("b", POLICY))
    result = CliRunner().invoke(evaluate_cmd, [str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["docs"] == 2 and data["alert_rule"] == "korean-kidnapping"
    assert set(data["by_lang"]) == {"en"} and "alert_keyword" in data["fields"]
    text = CliRunner().invoke(evaluate_cmd, [str(path)])
    assert "F1 en" in text.output and "alert_keyword" in text.output
