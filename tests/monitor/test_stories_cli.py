"""The stories commands through the command line, on invented data: `ingest FILE` and `ingest -`,
`stories merge` and `stories split` (with --into), `evaluate --stories`, and `process --reprocess --all`
giving the stories a fresh store gets. Output and the store are both checked; a mistake is one line on
stderr, never a traceback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from storage.documents import get_document
from storage.repository import Store
from storage.stories import get_story

# Invented articles: one kidnapping told in English and Korean, one rescue told in English and Korean.
ARTICLES = [
    {"url": "https://wire.example/1", "outlet": "Example Wire", "lang": "en", "date": "2025-09-04",
     "title": "Korean kidnapped in Kampot",
     "text": "A 31-year-old South Korean surnamed Jang was kidnapped in Kampot on September 2, police said.",
     "event": "kampot-jang"},
    {"url": "https://wire.example/2", "outlet": "Example Wire", "lang": "en", "date": "2025-09-04",
     "title": "Four Koreans rescued in Poipet",
     "text": "Cambodian police rescued four South Korean men held in a building in Poipet on September 3.",
     "event": "poipet-four"},
    {"url": "https://daily.example/3", "outlet": "가상일보", "lang": "ko", "date": "2025-09-04",
     "title": "캄폿서 30대 한국인 납치",
     "text": "전남 여수시 출신 장모(31)씨가 지난 2일 캄보디아 캄폿에서 납치됐다고 경찰이 밝혔다.",
     "event": "kampot-jang"},
    {"url": "https://daily.example/4", "outlet": "가상일보", "lang": "ko", "date": "2025-09-05",
     "title": "포이펫서 한국인 4명 구출",
     "text": "캄보디아 경찰이 3일 포이펫의 한 건물에 감금돼 있던 한국인 남성 4명을 구출했다.",
     "event": "poipet-four"},
]


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _run(url: str, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--db", url, *args], input=stdin)
    assert "Traceback" not in result.output and "Traceback" not in (result.stderr or "")
    return result


def _story_of(url: str, n: int) -> int | None:
    store = Store(url)
    try:
        doc = get_document(store, n)
        return doc["story_id"] if doc else None
    finally:
        store.close()


@pytest.fixture
def processed(sqlite_url: str, tmp_path: Path) -> str:
    path = tmp_path / "articles.jsonl"
    path.write_text(_jsonl(ARTICLES), encoding="utf-8")
    assert _run(sqlite_url, "ingest", str(path)).exit_code == 0
    done = _run(sqlite_url, "process", "--json")
    assert done.exit_code == 0, done.output
    return sqlite_url


def test_ingest_a_file_then_again_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(_jsonl(ARTICLES), encoding="utf-8")
    first = _run(sqlite_url, "ingest", str(path))
    assert first.exit_code == 0 and "ingested 4 new, 0 updated, 0 unchanged; 0 bad line(s)" in first.output
    again = _run(sqlite_url, "ingest", "--json", str(path))
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"added": 0, "updated": 0, "unchanged": 4, "errors": []}
    assert get_document(Store(sqlite_url), 4)["source"] == "가상일보"


def test_ingest_from_stdin_reports_bad_lines_by_number_and_keeps_the_rest(sqlite_url: str) -> None:
    lines = _jsonl(ARTICLES[:1]) + "{not json\n" + _jsonl([{**ARTICLES[1], "url": "ftp://x"}]) + _jsonl(ARTICLES[1:2])
    result = _run(sqlite_url, "ingest", "-", stdin=lines)
    assert result.exit_code == 1
    assert "ingested 2 new" in result.stdout and "2 bad line(s)" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3"] and "http(s) URL" in errors[1]
    again = _run(sqlite_url, "ingest", "-", stdin=_jsonl(ARTICLES[:2]))  # the same URLs: nothing new
    assert again.exit_code == 0 and "ingested 0 new, 0 updated, 2 unchanged" in again.stdout


def test_ingest_of_a_missing_file_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    result = _run(sqlite_url, "ingest", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2  # click's usage error: its one "Error:" line names the file
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "missing.jsonl': No such file or directory" in error
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00bad")
    bad = _run(sqlite_url, "ingest", str(binary))
    assert bad.exit_code == 2 and bad.stderr.strip().count("\n") == 0 and "not UTF-8" in bad.stderr


def test_stories_merge_through_the_cli(processed: str) -> None:
    kampot, poipet = _story_of(processed, 1), _story_of(processed, 2)
    assert kampot == _story_of(processed, 3) and poipet == _story_of(processed, 4) and kampot != poipet
    merged = _run(processed, "stories", "merge", str(kampot), str(poipet), "--by", "analyst kim", "--note", "one raid")
    assert merged.exit_code == 0 and f"story {poipet} merged into story {kampot}: 2 report(s) moved" in merged.output
    assert {_story_of(processed, n) for n in (1, 2, 3, 4)} == {kampot}
    shown = _run(processed, "stories", str(kampot))
    assert "corrected: merge" in shown.output and "analyst kim" in shown.output and "one raid" in shown.output
    again = _run(processed, "stories", "merge", str(kampot), str(poipet))
    assert again.exit_code == 2 and again.stderr.strip() == f"deskwatch stories merge: no story {poipet}"
    itself = _run(processed, "stories", "merge", str(kampot), str(kampot))
    assert itself.exit_code == 2 and "cannot be merged with itself" in itself.stderr


def test_stories_split_and_split_into_through_the_cli(processed: str) -> None:
    kampot, poipet = _story_of(processed, 1), _story_of(processed, 2)
    out = _run(processed, "stories", "split", str(kampot), "3", "--by", "analyst lee")
    assert out.exit_code == 0 and f"report(s) 3 moved from story {kampot} to story" in out.output
    new_story = _story_of(processed, 3)
    assert new_story not in (kampot, poipet, None)
    into = _run(processed, "stories", "split", str(poipet), "4", "--into", str(new_story))
    assert into.exit_code == 0 and f"to story {new_story}" in into.output
    assert _story_of(processed, 4) == new_story and _story_of(processed, 2) == poipet
    store = Store(processed)
    try:
        story = get_story(store, new_story)
        assert story is not None and sorted(story["pinned"]) == [3, 4]
        assert [c["action"] for c in story["corrections"]] == ["split", "split"]
        assert story["corrections"][0]["actor"] == "analyst lee" and story["corrections"][1]["actor"]
    finally:
        store.close()
    missing = _run(processed, "stories", "split", str(kampot), "4")
    assert missing.exit_code == 2 and missing.stderr.strip() == f"deskwatch stories split: report(s) 4 are not in story {kampot}"
    none = _run(processed, "stories", "split", str(kampot))
    assert none.exit_code == 2 and "Missing argument" in none.stderr


def test_reprocess_all_through_the_cli_keeps_the_stories(processed: str) -> None:
    before = {n: _story_of(processed, n) for n in (1, 2, 3, 4)}
    result = _run(processed, "process", "--reprocess", "--all", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["documents"] == 4 and report["rebuilt"] == 4
    assert {n: _story_of(processed, n) for n in (1, 2, 3, 4)} == before


def test_evaluate_stories_on_invented_data(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "marked.jsonl"
    path.write_text(_jsonl(ARTICLES), encoding="utf-8")
    result = _run(sqlite_url, "evaluate", "--stories", str(path), "--misses")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "4 articles, 2 events" and lines[2].startswith("all       1.000  1.000  1.000  2/0/0")
    assert any(line.startswith("ko-en") for line in lines) and "stories mixing two or more events: 0" in lines
    scores = json.loads(_run(sqlite_url, "evaluate", "--stories", str(path), "--json").stdout)
    assert scores["pairs"]["f1"] == 1.0 and scores["mixed_stories"] == []


def test_evaluate_stories_on_a_bad_file_is_one_line(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "unmarked.jsonl"
    path.write_text(_jsonl([{k: v for k, v in a.items() if k != "event"} for a in ARTICLES]), encoding="utf-8")
    result = _run(sqlite_url, "evaluate", "--stories", str(path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and ":1: no 'event' field" in result.stderr
