"""Bad settings and unusable stores: one line on stderr naming the setting and what it accepts, a
non-zero exit, never a traceback; and nothing created where the user did not ask for it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import ConfigError, Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "XDG_DATA_HOME": str(tmp_path / "xdg"),
                "DESKWATCH_DATA_DIR": str(tmp_path / "out"), **(env or {})}
    full_env.pop("DESKWATCH_DB", None) if "DESKWATCH_DB" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=tmp_path, env=full_env, capture_output=True,
                          text=True, timeout=180, check=False)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CASES = [
    (["--db", "notaurl", "stats"], {}, "--db = 'notaurl': not a database URL; use sqlite:///PATH or postgresql://"),
    (["--db", "mysql://desk:secret@db.example/desk", "stats"], {}, "mysql is not supported; use sqlite:///PATH"),
    (["--db", "sqlite:////nonexistent-deskwatch/dir/x.sqlite", "stats"], {}, "does not exist (deskwatch makes the file"),
    (["stats"], {"DESKWATCH_DIGEST_TIME": "25:99"}, "DESKWATCH_DIGEST_TIME = '25:99': not a time of day; use HH:MM"),
    (["stats"], {"DESKWATCH_TIMEZONE": "Mars/Olympus"}, "DESKWATCH_TIMEZONE = 'Mars/Olympus': not a time zone"),
    (["stats"], {"DESKWATCH_SMTP_PORT": "99999"}, "DESKWATCH_SMTP_PORT = '99999'"),
]


@pytest.mark.parametrize(("args", "env", "expected"), CASES, ids=[" ".join(a) + str(e) for a, e, _ in CASES])
def test_a_bad_setting_is_one_line_and_a_non_zero_exit(tmp_path: Path, args: list[str], env: dict[str, str],
                                                       expected: str) -> None:
    proc = _run(tmp_path, *args, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "secret" not in proc.stderr  # a password in a URL stays out of the message
    assert not Path("/nonexistent-deskwatch").exists()


def test_a_database_server_that_is_down_is_one_line(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--db", f"postgresql://postgres:pw@127.0.0.1:{_closed_port()}/test", "stats")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("deskwatch: cannot open the database postgresql+psycopg://postgres:***@127.0.0.1:")
    assert "Connection refused" in lines[0] or "connection" in lines[0].lower()


def test_search_on_an_empty_store_says_so(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}", "search", "kidnap")
    assert proc.returncode == 0 and "0 results" in proc.stdout
    assert "is empty: nothing has been collected into it yet" in proc.stderr


def test_settings_are_checked_when_loaded_by_one_schema(tmp_path: Path) -> None:
    config = tmp_path / "deskwatch.toml"
    config.write_text('timezone = "Asia/Phnom_Penh"\ncountries = ["kh", "th"]\nsmtp_to = "a@x.org, b@x.org"\n')
    settings = load_settings(config, env={"DESKWATCH_DIGEST_TIME": "07:30", "DESKWATCH_DB": "postgresql://u@h/d"})
    assert (settings.timezone, settings.digest_time, settings.countries) == ("Asia/Phnom_Penh", "07:30", ["KH", "TH"])
    assert settings.smtp_to == ["a@x.org", "b@x.org"] and settings.db_url == "postgresql+psycopg://u@h/d"
    config.write_text("digest_hour = 8\n")
    with pytest.raises(ConfigError, match=r"unknown setting digest_hour in .*deskwatch.toml; known settings: "):
        load_settings(config, env={})
    with pytest.raises(ConfigError, match=r"no such settings file"):
        load_settings(tmp_path / "missing.toml", env={})
    with pytest.raises(ValueError, match="not a time of day"):
        Settings(digest_time="8 am")
    assert Settings().sources_file.is_file() and Settings().rules_file.is_file()  # shipped with the package


def test_digests_and_alert_files_stay_beside_the_sqlite_store_chosen(tmp_path: Path) -> None:
    from monitor.config import data_dir

    store = tmp_path / "elsewhere" / "desk.sqlite"
    store.parent.mkdir()
    assert data_dir(Settings(db_url=f"sqlite:///{store}")) == store.parent
    assert data_dir(Settings(db_url=f"sqlite:///{store}", data_dir=tmp_path / "files")) == tmp_path / "files"
    pg = data_dir(Settings(db_url="postgresql+psycopg://desk@127.0.0.1/test"))
    assert pg != store.parent and pg.name == "deskwatch"
