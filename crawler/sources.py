"""The source registry (config/sources.toml): what to crawl, as data. Loading validates every entry and
names the file and line of a bad one, so a typo never silently drops a source."""
from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "config" / "sources.toml"
KINDS = ("news", "advisory")
FETCH_TYPES = ("rss", "atom", "wordpress", "sitemap", "json-api", "html", "advisory")
REQUIRED = ("key", "name", "kind", "country", "lang", "fetch", "url", "schedule")
CORE_FIELDS = (*REQUIRED, "enabled")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")
INTERVAL_RE = re.compile(r"^(\d+)\s*([smhd])$")
INTERVAL_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class RegistryError(ValueError):
    """A registry file or entry that cannot be used; the message names the file, line and reason."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class SourceEntry:
    """One registry entry; `options` holds everything beyond the core fields (selectors, slugs, notes)."""

    key: str
    name: str
    kind: str
    country: str
    lang: str
    fetch: str
    url: str
    schedule: str
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    line: int | None = field(default=None, compare=False)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    @property
    def allowed_domains(self) -> list[str]:
        """The domains this source's pages live on (Scrapy's allowed_domains, subdomains included): the
        registry's `allowed_domains`, else the registrable domain of its URL (feed.koreatimes.co.kr ->
        koreatimes.co.kr)."""
        return list(self.options.get("allowed_domains") or [registrable_domain(urlsplit(self.url).hostname or "")])

    def to_store_dict(self) -> dict[str, Any]:
        """The flat dict Store.sync_sources expects: core fields plus the options."""
        data = {f: getattr(self, f) for f in CORE_FIELDS}
        data.update(self.options)
        return data

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("line", None)
        return data


def registrable_domain(host: str) -> str:
    """The domain under the public suffix (the bundled list, never fetched); IPs and single labels as they are."""
    import tldextract

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return extract(host).top_domain_under_public_suffix or host.lower()


def validate_allowed_domains(value: Any) -> str | None:
    """None when `value` is a non-empty list of bare host names ("koreatimes.co.kr"); else the reason."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return "allowed_domains must be a non-empty list of domain names"
    bad = [v for v in value if not DOMAIN_RE.match(v)]
    if bad:
        return f"allowed_domains entry {bad[0]!r} must be a lowercase host name (no scheme, port, path or '*')"
    return None


def schedule_seconds(schedule: str) -> int | None:
    """Seconds of an interval schedule ("30m", "6h"); None for a cron expression."""
    match = INTERVAL_RE.match(schedule.strip())
    return int(match.group(1)) * INTERVAL_SECONDS[match.group(2)] if match else None


def validate_schedule(schedule: str) -> str | None:
    """None when `schedule` is an interval ("30m", "6h", "1d") or a 5-field cron; else the reason."""
    if not isinstance(schedule, str) or not schedule.strip():
        return "schedule must be a non-empty string"
    seconds = schedule_seconds(schedule)
    if seconds is not None:
        return None if seconds > 0 else f"schedule {schedule!r} must be longer than zero"
    if len(schedule.split()) != 5:
        return f"schedule {schedule!r} is neither an interval like '30m'/'6h' nor a 5-field cron expression"
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(schedule, timezone="UTC")
    except ValueError as exc:
        return f"schedule {schedule!r} is not a valid cron expression ({exc})"
    return None


def load_registry(path: str | Path | None = None) -> list[SourceEntry]:
    """Read and validate the registry; RegistryError on the first bad entry."""
    file = Path(path) if path else DEFAULT_REGISTRY
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(file, None, f"cannot read the registry ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise RegistryError(file, line, f"not valid TOML ({exc})") from exc
    tables = data.get("sources")
    if not isinstance(tables, list):
        raise RegistryError(file, None, "expected [[sources]] tables")
    lines = _entry_lines(text)
    entries: list[SourceEntry] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(tables):
        line = lines[index] if index < len(lines) else None
        entry = _entry(file, line, raw)
        if entry.key in seen:
            raise RegistryError(file, line, f"duplicate key {entry.key!r} (first defined at line {seen[entry.key]})")
        seen[entry.key] = line
        entries.append(entry)
    return entries


def registry_by_key(path: str | Path | None = None) -> dict[str, SourceEntry]:
    return {entry.key: entry for entry in load_registry(path)}


def _entry(file: Path, line: int | None, raw: dict[str, Any]) -> SourceEntry:
    missing = [f for f in REQUIRED if not raw.get(f)]
    if missing:
        label = f" {raw['key']!r}" if raw.get("key") else ""
        raise RegistryError(file, line, f"source{label} lacks {', '.join(missing)}")
    key = str(raw["key"])
    if not KEY_RE.match(key):
        raise RegistryError(file, line, f"key {key!r} must be lowercase letters, digits and '-'")
    if raw["kind"] not in KINDS:
        raise RegistryError(file, line, f"{key}: unknown kind {raw['kind']!r} (expected {' | '.join(KINDS)})")
    if raw["fetch"] not in FETCH_TYPES:
        raise RegistryError(file, line, f"{key}: unknown fetch {raw['fetch']!r} (expected {' | '.join(FETCH_TYPES)})")
    if not str(raw["url"]).startswith(("http://", "https://")):
        raise RegistryError(file, line, f"{key}: url {raw['url']!r} must be http(s)")
    reason = validate_schedule(raw["schedule"])
    if reason:
        raise RegistryError(file, line, f"{key}: {reason}")
    if "allowed_domains" in raw:
        reason = validate_allowed_domains(raw["allowed_domains"])
        if reason:
            raise RegistryError(file, line, f"{key}: {reason}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RegistryError(file, line, f"{key}: enabled must be true or false, not {enabled!r}")
    options = {k: v for k, v in raw.items() if k not in CORE_FIELDS}
    core = {f: str(raw[f]) for f in REQUIRED}
    core["country"], core["lang"] = core["country"].upper(), core["lang"].lower()
    return SourceEntry(**core, enabled=enabled, options=options, line=line)


def _entry_lines(text: str) -> list[int]:
    """Line number (1-based) of each [[sources]] header, in order."""
    return [n for n, ln in enumerate(text.splitlines(), start=1) if ln.strip().startswith("[[sources]]")]


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
