"""CLI commands, run directly on the click command objects."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.nlp import evaluate, extract


def test_extract_file_prints_json(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("캄보디아에서 납치된 대학생 박모(22)씨의 가족에게 몸값 5천만원을 요구했다.", encoding="utf-8")
    result = CliRunner().invoke(extract, [str(f)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lang"] == "ko" and data["victim_ages"][0]["value"] == 22
    assert data["ransoms"][0]["amount"] == 50_000_000


def test_extract_stdin_with_forced_lang() -> None:
    result = CliRunner().invoke(extract, ["--lang", "en", "-"], input="Sihanoukville news")
    assert result.exit_code == 0
    assert json.loads(result.output)["lang"] == "en"


def test_extract_jsonl_keeps_ids_and_reports_bad_lines() -> None:
    lines = "\n".join([
        json.dumps({"id": "a1", "text": "A Korean was kidnapped in Phnom Penh."}),
        "{not json",
        json.dumps({"id": "a3", "text": 5}),
        json.dumps({"id": "a4", "text": "ប៉ូលិសខេត្តកំពត", "lang": "km"}),
    ])
    result = CliRunner().invoke(extract, ["--jsonl", "-"], input=lines)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a1", None, "a3", "a4"]
    assert "error" in out[1] and "error" in out[2] and "error" not in out[3]
    assert out[0]["places"][0]["name"] == "Phnom Penh"


def test_extract_jsonl_all_good_exits_zero() -> None:
    result = CliRunner().invoke(extract, ["--jsonl", "-"], input=json.dumps({"id": 1, "text": "Seoul"}) + "\n")
    assert result.exit_code == 0


def _mini_gold(tmp_path: Path, floor: float) -> Path:
    doc = {"id": "t1", "lang": "en", "title": "t", "text": "A Korean man was kidnapped in Phnom Penh.",
           "places": [{"name": "Phnom Penh", "country": "KH", "admin1": "Phnom Penh"}], "victim_ages": [],
           "victim_age_ranges": [], "ransoms": [], "incident_types": ["kidnapping"],
           "victim_nationality": "KR", "victim_count": 1, "relevant": True, "alert": True}
    (tmp_path / "en.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    (tmp_path / "floors.toml").write_text(f"[floors]\nplaces = {floor}\n", encoding="utf-8")
    return tmp_path


def test_evaluate_json_passes_floor(tmp_path: Path) -> None:
    result = CliRunner().invoke(evaluate, [str(_mini_gold(tmp_path, 0.9)), "--json", "--no-misses"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["fields"]["places"]["f1"] == 1.0 and "misses" not in data


def test_evaluate_fails_below_floor_and_lists_misses(tmp_path: Path) -> None:
    gold = _mini_gold(tmp_path, 0.9)
    doc = json.loads((gold / "en.jsonl").read_text())
    doc["places"][0]["name"] = "Bangkok"
    (gold / "en.jsonl").write_text(json.dumps(doc) + "\n")
    result = CliRunner().invoke(evaluate, [str(gold)])
    assert result.exit_code == 1
    assert "BELOW FLOOR" in result.output and "t1" in result.output


def test_help_texts() -> None:
    for command in (extract, evaluate):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and len(result.output) > 100
