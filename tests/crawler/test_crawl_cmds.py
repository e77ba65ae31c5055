"""`deskwatch sources --json` (registry merged with health) and `deskwatch crawl KEY --url URL`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from cli.main import cli
from crawler.replay import ReplayServer
from crawler.sources import load_registry
from tests.crawler.conftest import PROJECT_ROOT

SOURCE_KEYS = {"key", "name", "kind", "country", "lang", "fetch", "url", "schedule", "enabled"}


def _deskwatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKWATCH_CONTACT_URL": "https://example.org/contact"}
    return subprocess.run([sys.executable, "-m", "cli", *args], check=False, capture_output=True, text=True,
                          timeout=120, cwd=PROJECT_ROOT, env=env)


def test_crawl_one_source_against_another_url_then_sources_shows_its_health(replay: ReplayServer, sqlite_url: str) -> None:
    proc = _deskwatch("--db", sqlite_url, "crawl", "camboja", "--url", replay.url_for("camboja"), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (report,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert report["source"] == "camboja" and report["status"] == "ok" and report["new_items"] == 3

    result = CliRunner().invoke(cli, ["--db", sqlite_url, "sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in json.loads(result.output)}
    assert set(rows) == {e.key for e in load_registry()}
    assert all(SOURCE_KEYS <= set(row) for row in rows.values())
    assert rows["camboja"]["last_success_at"] and rows["camboja"]["last_error_at"] is None
    assert rows["yonhap-en"]["last_success_at"] is None
    assert rows["cambodianess"]["enabled"] is False and rows["cambodianess"]["note"]


def test_crawl_refuses_unknown_keys_and_bad_flag_combinations(sqlite_url: str) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["--db", sqlite_url, "crawl", "no-such-source"])
    assert unknown.exit_code != 0 and "unknown source" in unknown.output
    both = runner.invoke(cli, ["--db", sqlite_url, "crawl", "yonhap", "hani", "--url", "http://127.0.0.1:1/"])
    assert both.exit_code != 0 and "exactly one" in both.output
    assert runner.invoke(cli, ["--db", sqlite_url, "crawl"]).exit_code != 0


def test_a_failed_crawl_prints_its_summary_without_tracebacks_unless_verbose(sqlite_url: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/rss.xml"  # closed once the block ends
    quiet = _deskwatch("--db", sqlite_url, "crawl", "yonhap", "--url", dead)
    assert quiet.returncode == 1 and "yonhap" in quiet.stdout and "failed" in quiet.stdout
    assert "refused" in quiet.stdout.lower()  # the summary says why
    assert "Traceback" not in quiet.stderr and len(quiet.stderr.strip().splitlines()) <= 2, quiet.stderr
    verbose = _deskwatch("-v", "--db", sqlite_url, "crawl", "yonhap", "--url", dead)
    assert verbose.returncode == 1 and "scrapy" in verbose.stderr  # -v shows Scrapy's own log


def test_a_crawl_of_several_sources_reports_each_as_it_ends(replay: ReplayServer, sqlite_url: str) -> None:
    """What the progress of `deskwatch crawl --all` counts: one call per source as its crawl closes."""
    script = (
        "import json, sys\n"
        "from monitor import jobs\nfrom monitor.config import Settings\nfrom storage.repository import Store\n"
        "urls = json.loads(sys.argv[2])\nclosed = []\n"
        "reports = jobs.crawl(Store(sys.argv[1]), Settings(), sorted(urls), url_overrides=urls,"
        " on_closed=closed.append)\n"
        "print(json.dumps({'closed': closed, 'reports': [r.source for r in reports]}))\n"
    )
    urls = {key: replay.url_for(key) for key in ("camboja", "yonhap-en")}
    proc = subprocess.run([sys.executable, "-c", script, sqlite_url, json.dumps(urls)], capture_output=True,
                          text=True, timeout=180, cwd=PROJECT_ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(out["closed"]) == ["camboja", "yonhap-en"] == out["reports"]
