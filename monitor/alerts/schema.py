"""The rules file's one schema: every key a rules file may hold, with its type and range, checked when the
file loads. A value that parses but would break delivery later (a nan or inf threshold, a throttle of
10^23 days, a negative timeout) is refused here, with the field named; the caller adds file and line."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

SUBJECTS = ("incident", "advisory_change", "source_failure")
INCIDENT_TYPES = (
    "kidnapping", "detention", "torture", "death", "rescue", "repatriation", "scam_recruitment", "arrest", "advisory",
)
LANGS = ("ko", "en", "km")
DURATION_RE = re.compile(r"^\s*(\d{1,9}(?:\.\d{1,6})?)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TEXT = 2000
MAX_ITEMS = 1000


class SchemaError(ValueError):
    """A value the schema refuses: `field` is its dotted name (when.min_ransom_usd, throttle.per)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Spec:
    """kind: text | flag | integer | number | strings | duration; low/high bound numbers and durations (s)."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    normalize: str | None = None  # "upper" | "casefold"
    hint: str = ""


def _text(**kw: Any) -> Spec:
    return Spec("text", **kw)


def _strings(**kw: Any) -> Spec:
    return Spec("strings", **kw)


COUNTRY = r"[A-Za-z]{2}"
SECRET_ENV = r"DESKWATCH_WEBHOOK_SECRET(_[A-Z0-9][A-Z0-9_]{0,60})?"  # only variables meant as webhook secrets
RULE_FIELDS: dict[str, Spec] = {
    "name": _text(pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}", hint="letters, digits, '_', '-' or '.' (up to 120)"),
    "subject": _text(choices=SUBJECTS),
    "description": _text(),
    "enabled": Spec("flag"),
    "on": _strings(choices=("new", "update")),
    "channels": _strings(),
}
THROTTLE_FIELDS: dict[str, Spec] = {
    "max": Spec("integer", low=1, high=100_000, hint="alerts per period"),
    "per": Spec("duration", low=1, high=366 * 86400, hint="a duration like '30m', '6h' or '2d', at most 366d"),
}
CONDITIONS: dict[str, dict[str, Spec]] = {
    "incident": {
        "incident_types": _strings(choices=INCIDENT_TYPES), "countries": _strings(pattern=COUNTRY, normalize="upper",
        hint="ISO 3166 two-letter codes such as 'KR', 'KH'"), "admin1": _strings(), "places": _strings(),
        "victim_nationality": _text(pattern=COUNTRY, normalize="upper", hint="an ISO 3166 two-letter code such as 'KR'"),
        "min_ransom_usd": Spec("number", low=0, high=1e12), "keywords": _strings(normalize="casefold"),
        "exclude_keywords": _strings(normalize="casefold"), "languages": _strings(choices=LANGS), "sources": _strings(),
        "relevant": Spec("flag"), "victim_details": Spec("flag"),
        "nationality_inferred_from": _strings(choices=("places", "language")),
    },
    "advisory_change": {
        "countries": _strings(pattern=COUNTRY, normalize="upper", hint="ISO 3166 two-letter codes such as 'KR', 'KH'"),
        "issuers": _strings(), "min_level": Spec("integer", low=1, high=4, hint="a normalized advisory level"),
        "direction": _text(choices=("up", "down", "any")),
    },
    "source_failure": {"min_failures": Spec("integer", low=1, high=10_000), "sources": _strings()},
}
CHANNEL_FIELDS: dict[str, dict[str, Spec]] = {
    "console": {"stream": _text(choices=("stdout", "stderr"))},
    "jsonl": {"path": _text()},
    "email": {"to": _strings(pattern=r"[^@\s]+@[^@\s]+", hint="a list of addresses"), "from": _text(),
              "subject_prefix": _text()},
    "webhook": {"url": _text(), "sign": Spec("flag"), "secret_env": _text(pattern=SECRET_ENV,
                hint="DESKWATCH_WEBHOOK_SECRET or DESKWATCH_WEBHOOK_SECRET_<NAME> (upper case)"),
                "timeout_s": Spec("number", low=0.001, high=120, hint="seconds, above 0")},
}


def check(field: str, value: Any, spec: Spec) -> Any:
    """The value, normalized, when it fits `spec`; SchemaError naming `field` otherwise."""
    checker = {"text": _check_text, "flag": _check_flag, "integer": _check_number, "number": _check_number,
               "strings": _check_strings, "duration": _check_duration}[spec.kind]
    return checker(field, value, spec)


def _check_flag(field: str, value: Any, spec: Spec) -> bool:
    if not isinstance(value, bool):
        raise SchemaError(field, f"must be true or false, not {_show(value)}")
    return value


def _check_number(field: str, value: Any, spec: Spec) -> int | float:
    integer = spec.kind == "integer"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise SchemaError(field, f"must be {'an integer' if integer else 'a number'}, not {_show(value)}")
    if not math.isfinite(value) or not (spec.low or 0) <= value <= (spec.high if spec.high is not None else math.inf):
        where = f"from {spec.low:g} to {spec.high:g}" if spec.high is not None else f"at least {spec.low:g}"
        noun = "an integer" if integer else "a finite number"
        raise SchemaError(field, f"must be {noun} {where}{_hint(spec)}, not {_show(value)}")
    return value


def _check_text(field: str, value: Any, spec: Spec) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\0" in value:
        raise SchemaError(field, f"must be a text{_hint(spec)}, not {_show(value)}")
    return _one_text(field, value, spec)


def _one_text(field: str, value: str, spec: Spec) -> str:
    if spec.choices and value not in spec.choices:
        raise SchemaError(field, f"has an unknown value {_show(value)} (expected one of {', '.join(spec.choices)})")
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        raise SchemaError(field, f"must be {spec.hint or 'of the form ' + spec.pattern}, not {_show(value)}")
    if spec.normalize == "upper":
        return value.upper()
    return value.casefold() if spec.normalize == "casefold" else value


def _check_strings(field: str, value: Any, spec: Spec) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        raise SchemaError(field, f"must be a non-empty list of texts, not {_show(value)}")
    if not all(isinstance(v, str) and v.strip() and len(v) <= MAX_TEXT for v in value):
        raise SchemaError(field, "must be a non-empty list of non-empty texts")
    return [_one_text(field, v.strip(), spec) for v in value]


def _check_duration(field: str, value: Any, spec: Spec) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise SchemaError(field, str(exc)) from exc
    if not (spec.low or 0) <= seconds <= (spec.high or math.inf):
        raise SchemaError(field, f"must be {spec.hint or 'a shorter duration'}, not {_show(value)}")
    return seconds


def parse_duration(value: Any) -> float:
    """ "30s", "10m", "6h", "2d" -> seconds."""
    match = DURATION_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{_show(value)} is not a duration like '30m', '6h' or '2d'")
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


def _hint(spec: Spec) -> str:
    return f" ({spec.hint})" if spec.hint else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
