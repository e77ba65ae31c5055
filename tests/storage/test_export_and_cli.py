"""Export of incidents (CSV, JSONL, GeoJSON) and the store's CLI commands: search, export, stories, db."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from click.testing import CliRunner

from cli.main import cli
from storage.documents import save_extraction, upsert_document
from storage.export import incidents, write_incidents
from storage.stories import assign_stories

BOKOR = {"name": "Bokor", "country": "KH", "admin1": "Kampot", "geonameid": 1831173, "lat": 10.63, "lon": 104.05}
YECHEON = {"name": "Yecheon", "country": "KR", "admin1": "North Gyeongsang", "geonameid": 1832257,
           "lat": 36.65, "lon": 128.45}


def _seed(store) -> list[int]:  # type: ignore[no-untyped-def]
    cases = [
        ("ko", 1, "=캄보디아서 대학생 납치", "보코르산 인근에서 감금. 몸값 요구.", [22], [38500], [YECHEON, BOKOR], ["kidnapping"]),
        ("en", 9, "Workers rescued", "Police rescued workers from a compound.", [], [], [], ["rescue"]),
        ("en", 9, "Exports rose", "Exports rose in September.", [], [], [], []),
    ]
    ids = []
    for n, (lang, day, title, body, ages, usd, places, types) in enumerate(cases):
        doc_id = upsert_document(store, {
            "item_id": f"x/{n}", "source_key": f"src-{lang}", "url": f"https://e.com/{n}", "canonical_url": f"https://e.com/{n}",
            "title": title, "body": body, "lang": lang, "published_at": datetime(2025, 9, day, tzinfo=UTC)}).id
        save_extraction(store, doc_id, {
            "relevant": bool(types), "incident_types": types, "victim_ages": [{"value": a} for a in ages],
            "ransoms": [{"amount": u, "currency": "USD", "usd": u} for u in usd], "places": places,
        }, "t")
        ids.append(doc_id)
    assign_stories(store, ids)
    return ids


def test_export_formats_and_filters(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    everything = incidents(store)
    assert [r["title"] for r in everything] == ["Workers rescued", "=캄보디아서 대학생 납치"]  # newest first
    kidnap = incidents(store, "납치", {"has_ransom": True})
    assert len(kidnap) == 1 and kidnap[0]["location"] == "Bokor" and kidnap[0]["lat"] == 10.63  # abroad, not Yecheon
    assert incidents(store, "", {"date_from": "2025-09-05"})[0]["title"] == "Workers rescued"
    out = io.StringIO()
    assert write_incidents(everything, "csv", out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[1]["title"] == "'=캄보디아서 대학생 납치"  # never a spreadsheet formula
    assert rows[1]["victim_ages"] == "22" and rows[1]["ransoms_usd"] == "38500.0"
    out = io.StringIO()
    assert write_incidents(everything, "geojson", out) == 1  # the rescue has no coordinates
    feature = json.loads(out.getvalue())["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [104.05, 10.63]}
    out = io.StringIO()
    write_incidents(everything, "jsonl", out)
    assert [json.loads(line)["incident_types"] for line in out.getvalue().splitlines()] == [["rescue"], ["kidnapping"]]


def test_cli_search_json_table_and_syntax_error(sqlite_url: str) -> None:
    from storage.repository import Store

    store = Store(sqlite_url)
    _seed(store)
    store.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "rescued", "--lang", "en", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1 and data["hits"][0]["snippet_html"].startswith("Police <mark>rescued</mark>")
    table = runner.invoke(cli, ["--db", sqlite_url, "search", "납치"])
    assert table.exit_code == 0 and "[납치]" in table.output and "1 results" in table.output
    bad = runner.invoke(cli, ["--db", sqlite_url, "search", '"unclosed'])
    assert bad.exit_code == 2 and "unclosed quote" in bad.output
    bad_filter = runner.invoke(cli, ["--db", sqlite_url, "search", "x1", "--since", "last week"])
    assert bad_filter.exit_code == 2 and "date_from" in bad_filter.output


def test_cli_export_stories_and_db(sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    fresh = runner.invoke(cli, ["--db", sqlite_url, "db", "upgrade"])
    assert fresh.exit_code == 0 and "empty -> 0009" in fresh.output
    assert "current 0009; head 0009" in runner.invoke(cli, ["--db", sqlite_url, "db", "current"]).output
    from storage.repository import Store

    store = Store(sqlite_url)
    _seed(store)
    store.close()
    target = tmp_path / "incidents.geojson"
    result = runner.invoke(cli, ["--db", sqlite_url, "export", "--format", "geojson", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text())["features"]) == 1
    listed = json.loads(runner.invoke(cli, ["--db", sqlite_url, "stories", "--incidents", "--json"]).output)
    assert len(listed) == 2
    shown = runner.invoke(cli, ["--db", sqlite_url, "stories", str(listed[-1]["id"])])
    assert shown.exit_code == 0 and "joined: first report" in shown.output
    assert runner.invoke(cli, ["--db", sqlite_url, "stories", "999"]).exit_code == 2
