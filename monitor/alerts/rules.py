"""Alert rules as data (config/rules.toml): parsing and validation with the offending line, and a
RuleBook that reloads a changed file but keeps the last good rules when the new file is bad."""
from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.alerts.channels import ChannelSpec, ChannelSpecError, builtin_channel_specs, parse_channel_spec

log = logging.getLogger(__name__)

SUBJECTS = ("incident", "advisory_change", "source_failure")
INCIDENT_TYPES = (
    "kidnapping", "detention", "torture", "death", "rescue", "repatriation", "scam_recruitment", "arrest", "advisory",
)  # fmt: skip
LANGS = ("ko", "en", "km")
# Which condition keys each subject understands, and the type each must have.
CONDITION_TYPES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "incident": {
        "incident_types": list, "countries": list, "admin1": list, "places": list, "victim_nationality": str,
        "min_ransom_usd": (int, float), "keywords": list, "exclude_keywords": list, "languages": list,
        "sources": list, "relevant": bool, "victim_details": bool, "nationality_inferred_from": list,
    },
    "advisory_change": {"countries": list, "issuers": list, "min_level": int, "direction": str},
    "source_failure": {"min_failures": int, "sources": list},
}
RULE_KEYS = {"name", "subject", "description", "enabled", "on", "channels", "when", "throttle"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RuleError(ValueError):
    """A rule file that cannot be used; `line` is 1-based (0 when unknown)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


@dataclass(frozen=True)
class Throttle:
    max_alerts: int
    per_s: float


@dataclass(frozen=True)
class Rule:
    """One rule: which subjects (conditions in `when`) go to which channels, how often."""

    name: str
    subject: str
    channels: tuple[str, ...]
    when: dict[str, Any] = field(default_factory=dict)
    on: frozenset[str] = frozenset({"new", "update"})
    throttle: Throttle | None = None
    description: str = ""
    enabled: bool = True
    line: int = 0


@dataclass(frozen=True)
class RuleSet:
    rules: list[Rule]
    channels: dict[str, ChannelSpec]
    path: str = ""

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def parse_duration(value: Any) -> float:
    """"30s", "10m", "6h", "2d" -> seconds."""
    match = DURATION_RE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration like '30m', '6h' or '2d'")
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


def load_rules(path: str | Path, allowed_hosts: Collection[str] = ()) -> RuleSet:
    """Read and validate a rules file; RuleError names the line and the reason. `allowed_hosts`: the
    settings' webhook_allowed_hosts (internal webhook hosts the operator allows by name)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(str(path), 0, f"cannot read the rules file ({exc.strerror or exc})") from exc
    return parse_rules(text, str(path), allowed_hosts)


def parse_rules(text: str, path: str = "<rules>", allowed_hosts: Collection[str] = ()) -> RuleSet:
    """Validate rules TOML text; every rule and channel must be fully understood (no code runs)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc), text)
        raise RuleError(path, line, f"TOML syntax: {getattr(exc, 'msg', exc)}") from exc
    locator = _Locator(text)
    unknown = set(data) - {"rules", "channels"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(path, locator.top_level(key), f"unknown top-level key {key!r} (expected 'rules', 'channels')")
    channels = _parse_channels(data.get("channels", {}), path, locator, allowed_hosts)
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise RuleError(path, locator.top_level("rules"), "'rules' must be an array of tables: [[rules]]")
    rules = [_parse_rule(raw, i, channels, path, locator) for i, raw in enumerate(raw_rules)]
    names = [r.name for r in rules]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise RuleError(path, rules[i].line, f"rule name {name!r} is used twice")
    return RuleSet(rules, channels, path)


def _parse_channels(raw: Any, path: str, locator: _Locator, allowed_hosts: Collection[str]) -> dict[str, ChannelSpec]:
    channels = builtin_channel_specs()
    if not isinstance(raw, dict):
        raise RuleError(path, locator.top_level("channels"), "'channels' must be a table of [channels.NAME]")
    for name, options in raw.items():
        line = locator.table(f"channels.{name}")
        if not isinstance(options, dict):
            raise RuleError(path, line, f"channel {name!r} must be a table")
        try:
            channels[name] = parse_channel_spec(name, options, allowed_hosts)
        except ChannelSpecError as exc:
            raise RuleError(path, locator.key_in(line, exc.key) if exc.key else line, str(exc)) from exc
    return channels


def _parse_rule(raw: Any, index: int, channels: dict[str, ChannelSpec], path: str, loc: _Locator) -> Rule:
    line = loc.array_table("rules", index)
    label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{index + 1}"
    try:
        if not isinstance(raw, dict):
            raise _KeyError("", "must be a table")
        return _build_rule(raw, channels, line)
    except _KeyError as exc:
        where = loc.key_in(line, exc.key) if exc.key else line
        raise RuleError(path, where, f"rule {label}: {exc.reason}") from exc


def _build_rule(raw: dict[str, Any], channels: dict[str, ChannelSpec], line: int) -> Rule:
    for key in sorted(set(raw) - RULE_KEYS):
        raise _KeyError(key, f"unknown key {key!r} (expected one of {', '.join(sorted(RULE_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _KeyError("name", "'name' must be letters, digits, '_', '-' or '.' (up to 120)")
    subject = raw.get("subject")
    if subject not in SUBJECTS:
        raise _KeyError("subject", f"'subject' must be one of {', '.join(SUBJECTS)}, not {subject!r}")
    rule_channels = raw.get("channels")
    if not isinstance(rule_channels, list) or not rule_channels or not all(isinstance(c, str) for c in rule_channels):
        raise _KeyError("channels", "'channels' must be a non-empty list of channel names")
    for ch in rule_channels:
        if ch not in channels:
            raise _KeyError("channels", f"unknown channel {ch!r} (defined: {', '.join(sorted(channels))})")
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise _KeyError("when", "'when' must be a table of conditions")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _KeyError("enabled", "'enabled' must be true or false")
    return Rule(
        name=name, subject=subject, channels=tuple(rule_channels), when=_validate_conditions(subject, when),
        on=_parse_on(raw.get("on", ["new", "update"])), throttle=_parse_throttle(raw.get("throttle")),
        description=str(raw.get("description", "")), enabled=enabled, line=line,
    )  # fmt: skip


class _KeyError(Exception):
    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason


def _validate_conditions(subject: str, when: dict[str, Any]) -> dict[str, Any]:
    allowed = CONDITION_TYPES[subject]
    out: dict[str, Any] = {}
    for key, value in when.items():
        if key not in allowed:
            raise _KeyError(key, f"condition {key!r} does not apply to subject {subject!r} "
                                 f"(allowed: {', '.join(sorted(allowed))})")  # fmt: skip
        expected = allowed[key]
        if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            raise _KeyError(key, f"condition {key!r} has the wrong type ({type(value).__name__})")
        if expected is list:
            if not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise _KeyError(key, f"condition {key!r} must be a non-empty list of strings")
            value = [v.strip() for v in value]
        out[key] = _check_value(key, value)
    return out


def _check_value(key: str, value: Any) -> Any:
    if key == "incident_types":
        bad = [v for v in value if v not in INCIDENT_TYPES]
        if bad:
            raise _KeyError(key, f"unknown incident type {bad[0]!r} (expected: {', '.join(INCIDENT_TYPES)})")
    if key == "languages":
        bad = [v for v in value if v not in LANGS]
        if bad:
            raise _KeyError(key, f"unknown language {bad[0]!r} (expected: {', '.join(LANGS)})")
    if key in {"countries", "victim_nationality"}:
        codes = value if isinstance(value, list) else [value]
        if not all(re.fullmatch(r"[A-Za-z]{2}", c) for c in codes):
            raise _KeyError(key, f"{key!r} takes ISO 3166 two-letter codes such as 'KR', 'KH'")
        return [c.upper() for c in value] if isinstance(value, list) else value.upper()
    if key == "nationality_inferred_from" and not set(value) <= {"places", "language"}:
        raise _KeyError(key, "'nationality_inferred_from' takes 'places' and/or 'language'")
    if key == "min_level" and not 1 <= value <= 4:
        raise _KeyError(key, "'min_level' is a normalized advisory level from 1 to 4")
    if key == "direction" and value not in {"up", "down", "any"}:
        raise _KeyError(key, "'direction' must be 'up', 'down' or 'any'")
    if key == "min_failures" and value < 1:
        raise _KeyError(key, "'min_failures' must be at least 1")
    if key == "min_ransom_usd" and value < 0:
        raise _KeyError(key, "'min_ransom_usd' cannot be negative")
    if key in {"keywords", "exclude_keywords"}:
        return [v.casefold() for v in value]
    return value


def _parse_on(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value or not set(value) <= {"new", "update"}:
        raise _KeyError("on", "'on' must be a list of 'new' and/or 'update'")
    return frozenset(value)


def _parse_throttle(value: Any) -> Throttle | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"max", "per"}:
        raise _KeyError("throttle", "'throttle' must be a table with 'max' (alerts) and 'per' (e.g. '1h')")
    if not isinstance(value["max"], int) or isinstance(value["max"], bool) or value["max"] < 1:
        raise _KeyError("throttle", "'throttle.max' must be a positive integer")
    try:
        return Throttle(value["max"], parse_duration(value["per"]))
    except ValueError as exc:
        raise _KeyError("throttle", f"'throttle.per': {exc}") from exc


def active_rules(rules: RuleSet | list[Rule]) -> list[Rule]:
    """The enabled rules."""
    return [r for r in rules if r.enabled]


def _line_from_message(message: str, text: str) -> int:
    """tomllib (3.11) puts the position in the message: "(at line 4, column 2)" or "(at end of document)"."""
    match = re.search(r"line (\d+)", message)
    if match:
        return int(match.group(1))
    return len(text.splitlines()) if "end of document" in message else 0


class _Locator:
    """Finds the line of a table or key in the TOML text, for error messages (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _find(self, pattern: str, start: int = 0) -> int:
        regex = re.compile(pattern)
        for i in range(start, len(self.lines)):
            if regex.search(self.lines[i]):
                return i + 1
        return 0

    def top_level(self, key: str) -> int:
        return self._find(rf"^\s*(\[\[?\s*{re.escape(key)}\b|{re.escape(key)}\s*=)")

    def table(self, dotted: str) -> int:
        parts = r"\s*\.\s*".join(rf"(\"?){re.escape(p)}\1" for p in dotted.split("."))
        return self._find(rf"^\s*\[\s*{parts}\s*\]")

    def array_table(self, name: str, index: int) -> int:
        seen = -1
        for i, line in enumerate(self.lines):
            if re.match(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]", line):
                seen += 1
                if seen == index:
                    return i + 1
        return 0

    def key_in(self, start_line: int, key: str) -> int:
        """The line of `key = ...` (or `[...key]`) in the block that starts at `start_line`."""
        if not start_line:
            return 0
        for i in range(start_line, len(self.lines)):
            line = self.lines[i]
            if re.match(r"^\s*\[\[", line):
                break
            if re.match(rf"^\s*(\"?){re.escape(key)}\1\s*=", line) or re.match(rf"^\s*\[[^\]]*\b{re.escape(key)}\s*\]", line):
                return i + 1
        return start_line


class RuleBook:
    """The rules of a file, reloaded when it changes; a bad new file is logged and the last good rules stay."""

    def __init__(self, path: str | Path, allowed_hosts: Collection[str] = ()) -> None:
        self.path = Path(path)
        self.allowed_hosts = tuple(allowed_hosts)
        self._mtime: float | None = None
        self._rules: RuleSet | None = None
        self.last_error: RuleError | None = None

    def current(self) -> RuleSet:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            mtime = None
        if self._rules is not None and mtime == self._mtime:
            return self._rules
        try:
            rules = load_rules(self.path, self.allowed_hosts)
        except RuleError as exc:
            self.last_error = exc
            if self._rules is None:
                raise
            log.error("rules file rejected, keeping the last good rules: %s", exc)
            self._mtime = mtime
            return self._rules
        self._rules, self._mtime, self.last_error = rules, mtime, None
        log.info("loaded %d alert rules from %s", len(rules), self.path)
        return rules
