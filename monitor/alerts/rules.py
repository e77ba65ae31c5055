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
from monitor.alerts.schema import (
    CONDITIONS,
    INCIDENT_TYPES,
    LANGS,
    RULE_FIELDS,
    SUBJECTS,
    THROTTLE_FIELDS,
    SchemaError,
    check,
    parse_duration,
)

log = logging.getLogger(__name__)

RULE_KEYS = {"name", "subject", "description", "enabled", "on", "channels", "when", "throttle"}
__all__ = ["INCIDENT_TYPES", "LANGS", "SUBJECTS", "parse_duration"]


class RuleError(ValueError):
    """A rule file that cannot be used; `line` is 1-based (0 when unknown), `field` the key at fault."""

    def __init__(self, path: str, line: int, reason: str, field: str = "") -> None:
        self.path, self.line, self.reason, self.field = path, line, reason, field
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


def load_rules(path: str | Path, allowed_hosts: Collection[str] = ()) -> RuleSet:
    """Read and validate a rules file; RuleError names the line and the reason. `allowed_hosts`: the
    settings' webhook_allowed_hosts (internal webhook hosts the operator allows by name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(str(path), 0, f"cannot read the rules file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RuleError(str(path), line, f"the rules file is not UTF-8 (byte 0x{raw[exc.start]:02x}): save it as "
                                         "UTF-8", "encoding") from exc
    try:
        return parse_rules(text.removeprefix("\ufeff"), str(path), allowed_hosts)
    except (RecursionError, OverflowError, TypeError, ValueError) as exc:
        if isinstance(exc, RuleError):
            raise
        raise RuleError(str(path), 0, f"unusable rules file ({type(exc).__name__}: {exc})") from exc


def parse_rules(text: str, path: str = "<rules>", allowed_hosts: Collection[str] = ()) -> RuleSet:
    """Validate rules TOML text; every rule and channel must be fully understood (no code runs)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc), text)
        raise RuleError(path, line, f"TOML syntax: {getattr(exc, 'msg', exc)}", "syntax") from exc
    locator = _Locator(text)
    unknown = set(data) - {"rules", "channels"}
    if unknown:
        key = min(unknown)
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
            where = locator.key_in(line, exc.key) if exc.key else line
            raise RuleError(path, where, str(exc), f"channels.{name}.{exc.key or 'type'}") from exc
    return channels


def _parse_rule(raw: Any, index: int, channels: dict[str, ChannelSpec], path: str, loc: _Locator) -> Rule:
    line = loc.array_table("rules", index)
    label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{index + 1}"
    try:
        if not isinstance(raw, dict):
            raise _KeyError("", "must be a table")
        return _build_rule(raw, channels, line)
    except _KeyError as exc:
        parts = exc.key.split(".") if exc.key else []
        where = loc.key_in(line, parts[-1]) if parts else line
        where = loc.key_in(line, parts[0]) if where == line and len(parts) > 1 else where
        raise RuleError(path, where, f"rule {label}: {exc.reason}", exc.key) from exc


def _build_rule(raw: dict[str, Any], channels: dict[str, ChannelSpec], line: int) -> Rule:
    for key in sorted(set(raw) - RULE_KEYS):
        raise _KeyError(key, f"unknown key {key!r} (expected one of {', '.join(sorted(RULE_KEYS))})")
    fields = {key: _checked(key, raw.get(key, default), RULE_FIELDS[key]) for key, default in
              (("name", None), ("subject", None), ("channels", None), ("enabled", True), ("on", ["new", "update"]))}
    for ch in fields["channels"]:
        if ch not in channels:
            raise _KeyError("channels", f"unknown channel {ch!r} (defined: {', '.join(sorted(channels))})")
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise _KeyError("when", "'when' must be a table of conditions")
    description = _checked("description", raw.get("description", ""), RULE_FIELDS["description"])
    return Rule(
        name=fields["name"], subject=fields["subject"], channels=tuple(fields["channels"]),
        when=_validate_conditions(fields["subject"], when), on=frozenset(fields["on"]),
        throttle=_parse_throttle(raw.get("throttle")), description=description, enabled=fields["enabled"], line=line,
    )


class _KeyError(Exception):
    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason


def _checked(field: str, value: Any, spec: Any) -> Any:
    """The schema's check, as a _KeyError naming the field for the line lookup."""
    try:
        return check(field, value, spec)
    except SchemaError as exc:
        raise _KeyError(field, f"'{exc.field}' {exc.reason}") from exc


def _validate_conditions(subject: str, when: dict[str, Any]) -> dict[str, Any]:
    allowed = CONDITIONS[subject]
    out: dict[str, Any] = {}
    for key, value in when.items():
        if key not in allowed:
            raise _KeyError(f"when.{key}", f"condition {key!r} does not apply to subject {subject!r} "
                                           f"(allowed: {', '.join(sorted(allowed))})")
        out[key] = _checked(f"when.{key}", value, allowed[key])
    return out


def _parse_throttle(value: Any) -> Throttle | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"max", "per"}:
        raise _KeyError("throttle", "'throttle' must be a table with 'max' (alerts) and 'per' (e.g. '1h')")
    return Throttle(_checked("throttle.max", value["max"], THROTTLE_FIELDS["max"]),
                    _checked("throttle.per", value["per"], THROTTLE_FIELDS["per"]))


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
