"""Settings: defaults, then `deskwatch.toml` (or $DESKWATCH_CONFIG), then DESKWATCH_* variables, then
command-line overrides, checked once by one schema when loaded. A bad value is one ConfigError line that
names the setting and what it accepts. Secrets (SMTP password, webhook secrets, the data.go.kr key) are
read from the environment only."""
from __future__ import annotations

import logging
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from storage.advisories import MONITORED_COUNTRIES

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_config_dir() -> Path:
    """The default sources and rules ship inside the package `config`, so an installed wheel finds them."""
    try:
        return Path(str(resources.files("config")))
    except ModuleNotFoundError:  # an install made before the config became a package: the source tree's
        return PROJECT_ROOT / "config"


CONFIG_DIR = Path(os.environ.get("DESKWATCH_CONFIG_DIR") or _default_config_dir())
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DB_SCHEMES = "sqlite:///PATH or postgresql://USER@HOST/DATABASE"


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says where and why."""


def _comma_list(value: Any) -> Any:
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting with its default and its check (the one schema; nothing else validates settings)."""

    model_config = SettingsConfigDict(env_prefix="DESKWATCH_", extra="forbid", validate_assignment=True)

    db_url: str | None = None  # None: the embedded SQLite default (storage.db.default_db_url)
    timezone: str = "Asia/Seoul"
    digest_time: str = "08:00"
    sources_file: Path = CONFIG_DIR / "sources.toml"
    rules_file: Path = CONFIG_DIR / "rules.toml"
    data_dir: Path | None = None  # where alert JSONL and digests are written; None: user data dir
    countries: CommaList = Field(default_factory=lambda: list(MONITORED_COUNTRIES))
    redis_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_from: str = "deskwatch@localhost"
    smtp_to: CommaList = Field(default_factory=list)
    smtp_starttls: bool = False  # STARTTLS before login (always on port 587); the rules file cannot change it
    # Webhook hosts on internal addresses (loopback, private, link-local) the operator allows by name;
    # every other webhook host must resolve to public addresses only. Never read from the rules file.
    webhook_allowed_hosts: CommaList = Field(default_factory=list)
    web_require_token: bool = False  # `deskwatch serve` refuses to start without a token, even on loopback
    base_url: str = "http://127.0.0.1:8000"  # where the web UI is reached: the digest links its story pages
    user_agent_contact: str = "https://github.com/deskwatch/deskwatch"
    crawl_timeout_s: int = Field(900, gt=0)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_others: Any, **_kw: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values come from load_settings (file, then environment, then overrides) or the caller only."""
        return (init_settings,)

    @property
    def smtp_password(self) -> str | None:
        return os.environ.get("DESKWATCH_SMTP_PASSWORD")

    _lists = field_validator("countries", "smtp_to", "webhook_allowed_hosts", mode="before")(_comma_list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone; use an IANA name such as Asia/Seoul or Asia/Phnom_Penh") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.match(value.strip()):
            raise ValueError("not a time of day; use HH:MM from 00:00 to 23:59")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("not a web address; use http(s)://HOST[:PORT], where the web UI is reached")
        return value

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        if any(not re.fullmatch(r"[A-Za-z]{2}", c) for c in value):
            raise ValueError("use ISO 3166 alpha-2 codes separated by commas, e.g. KH,TH")
        return [c.upper() for c in value]

    @field_validator("db_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return check_db_url(value) if value else None


def check_db_url(url: str) -> str:
    """A database URL deskwatch can open: SQLite (its folder must exist; the file is made) or PostgreSQL
    (through psycopg, the driver deskwatch installs). Raises ValueError with what is accepted."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL; use {DB_SCHEMES}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    if backend != "sqlite":
        raise ValueError(f"{backend} is not supported; use {DB_SCHEMES}")
    path = parsed.database
    if path and path != ":memory:" and not path.startswith("file:"):
        folder = Path(path).expanduser().resolve().parent
        if not folder.is_dir():
            raise ValueError(f"folder {folder} does not exist (deskwatch makes the file, not its folder)")
    return url


SECRET_KEYS = {"smtp_password", "kr_mofa_key", "webhook_secret"}


def load_settings(
    path: str | Path | None = None, env: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Settings from the file, then DESKWATCH_* variables (DESKWATCH_DB for db_url), then `overrides`
    (the command line's), all checked by Settings. Raises ConfigError: one line, setting and reason."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    named = path or env.get("DESKWATCH_CONFIG")
    file = Path(named or "deskwatch.toml")
    origin = {}
    if named and not file.exists():
        raise ConfigError(f"{file}: no such settings file")
    if file.exists():
        values.update(_read_toml(file))
        origin = {key: f"{key} in {file}" for key in values}
    for key, raw in env.items():
        if key.startswith("DESKWATCH_") and key[10:].lower() in Settings.model_fields:
            values[key[10:].lower()] = raw
            origin[key[10:].lower()] = key
    if env.get("DESKWATCH_DB"):
        values["db_url"], origin["db_url"] = env["DESKWATCH_DB"], "DESKWATCH_DB"
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key], origin[key] = value, "--db" if key == "db_url" else key
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, values, origin)) from None


def _one_line(exc: ValidationError, values: dict[str, Any], origin: dict[str, str]) -> str:
    """The first problem as 'setting (where) = value: reason'."""
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else "settings"
    if error["type"] == "extra_forbidden":
        known = ", ".join(sorted(Settings.model_fields))
        return f"unknown setting {origin.get(key, key)!s}; known settings: {known}"
    reason = str(error["msg"]).removeprefix("Value error, ")
    shown = values.get(key, "")
    if key in {"db_url", "redis_url"}:
        shown = re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", str(shown))  # a password stays out of the message
    return f"{origin.get(key, key)} = {str(shown)!r}: {reason}"


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: {exc}") from None
    secrets = SECRET_KEYS & set(data)
    if secrets:
        raise ConfigError(f"{file}: {', '.join(sorted(secrets))} must come from the environment, not a file")
    return data


def data_dir(settings: Settings) -> Path:
    """Where alert JSONL files and digests go: `data_dir` when set; else beside an SQLite store chosen
    with --db / DESKWATCH_DB (a store's digests stay with it); else the user's data directory."""
    from platformdirs import user_data_dir

    folder = settings.data_dir or _sqlite_folder(settings.db_url) or Path(user_data_dir("deskwatch", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sqlite_folder(db_url: str | None) -> Path | None:
    """The folder of an SQLite database file (None for other backends and in-memory databases)."""
    if not db_url:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().resolve().parent
