"""Settings: defaults, then `deskwatch.toml` (or $DESKWATCH_CONFIG), then DESKWATCH_* variables.
Secrets (SMTP password, webhook secrets, the data.go.kr key) are read from the environment only."""
from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(os.environ.get("DESKWATCH_CONFIG_DIR", PROJECT_ROOT / "config"))


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says where and why."""


@dataclass
class Settings:
    db_url: str | None = None  # None: the embedded SQLite default (storage.db.default_db_url)
    timezone: str = "Asia/Seoul"
    digest_time: str = "08:00"
    sources_file: Path = CONFIG_DIR / "sources.toml"
    rules_file: Path = CONFIG_DIR / "rules.toml"
    data_dir: Path | None = None  # where alert JSONL and digests are written; None: user data dir
    countries: list[str] = field(default_factory=lambda: ["KH", "TH", "LA", "MM", "VN", "PH"])
    redis_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_from: str = "deskwatch@localhost"
    smtp_to: list[str] = field(default_factory=list)
    smtp_starttls: bool = False  # STARTTLS before login (always on port 587); the rules file cannot change it
    # Webhook hosts on internal addresses (loopback, private, link-local) the operator allows by name;
    # every other webhook host must resolve to public addresses only. Never read from the rules file.
    webhook_allowed_hosts: list[str] = field(default_factory=list)
    web_require_token: bool = False  # `deskwatch serve` refuses to start without a token, even on loopback
    user_agent_contact: str = "https://github.com/deskwatch/deskwatch"
    crawl_timeout_s: int = 900

    @property
    def smtp_password(self) -> str | None:
        return os.environ.get("DESKWATCH_SMTP_PASSWORD")

    @property
    def kr_mofa_key(self) -> str | None:
        return os.environ.get("DESKWATCH_KR_MOFA_KEY")


SECRET_KEYS = {"smtp_password", "kr_mofa_key", "webhook_secret"}


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    file = Path(path or env.get("DESKWATCH_CONFIG") or "deskwatch.toml")
    if file.exists():
        values.update(_read_toml(file))
    known = {f.name: f for f in fields(Settings)}
    for key, raw in env.items():
        if key.startswith("DESKWATCH_") and key[10:].lower() in known:
            values[key[10:].lower()] = raw
    if env.get("DESKWATCH_DB"):
        values["db_url"] = env["DESKWATCH_DB"]
    return _build(values, known)


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    secrets = SECRET_KEYS & set(data)
    if secrets:
        raise ConfigError(f"{file}: {', '.join(sorted(secrets))} must come from the environment, not a file")
    return data


def _build(values: dict[str, Any], known: dict[str, Any]) -> Settings:
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        default = getattr(Settings(), key)
        out[key] = _coerce(key, value, default)
    return Settings(**out)


def _coerce(key: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, Path) or key in {"data_dir", "sources_file", "rules_file"}:
            return Path(value)
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}
        if isinstance(default, int):
            return int(value)
        if isinstance(default, list):
            return value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key}: {value!r} is not valid ({exc})") from exc
    return value


def data_dir(settings: Settings) -> Path:
    from platformdirs import user_data_dir

    folder = settings.data_dir or Path(user_data_dir("deskwatch", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
