"""Gold articles for `deskwatch evaluate`, read from either of two formats into one shape.

- the invented gold directory (tests/gold/*.jsonl): expected fields at the top level of each line;
- a real-article set (one JSONL file, the annotation spec): expected fields under "gold", places by
  surface text, ransoms by `value`, age ranges as decade labels ("20s"), and `alert` only in streams;
  where `alert` is absent it is derived as the spec defines it: a kidnapping or detention of a South
  Korean national.
Each document becomes {"id", "lang", "text", "title", "gold": {field: expected}} with only the fields
its file states, so a stream that labels only alerts is scored only on them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ALERT_TYPES = frozenset({"kidnapping", "detention"})
_LABEL_FIELDS = ("incident_types", "victim_nationality", "victim_count", "relevant", "alert")


class GoldFormatError(ValueError):
    """A gold file or line that cannot be read; the message names the file and line."""


def load_gold(path: Path | str) -> list[dict[str, Any]]:
    """Every gold document of a directory of *.jsonl files, or of one JSONL file."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    docs: list[dict[str, Any]] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise GoldFormatError(f"{file}: cannot read ({exc})") from exc
        docs.extend(_read_line(file, n, line) for n, line in enumerate(lines, 1) if line.strip())
    return docs


def _read_line(file: Path, n: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(f"{file}:{n}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise GoldFormatError(f"{file}:{n}: each line needs an object with a string 'text'")
    try:
        gold = _spec_gold(row["gold"]) if isinstance(row.get("gold"), dict) else _dir_gold(row)
    except (KeyError, TypeError, ValueError) as exc:
        raise GoldFormatError(f"{file}:{n}: unexpected gold shape ({exc!r})") from exc
    return {"id": str(row.get("id", f"{file.stem}:{n}")), "lang": row.get("lang"), "text": row["text"],
            "title": row.get("title"), "gold": gold}


def _dir_gold(row: dict[str, Any]) -> dict[str, Any]:
    gold: dict[str, Any] = {k: row[k] for k in _LABEL_FIELDS if k in row}
    if "places" in row:
        gold["places"] = [{"name": p["name"], "country": p["country"], "admin1": p.get("admin1")}
                          for p in row["places"]]
    if "victim_ages" in row:
        gold["victim_ages"] = [int(a) for a in row["victim_ages"]]
    if "victim_age_ranges" in row:
        gold["victim_age_ranges"] = [range_key(int(lo), int(hi), "span") for lo, hi in row["victim_age_ranges"]]
        gold["range_style"] = "span"
    if "ransoms" in row:
        gold["ransoms"] = [{"value": float(r["amount"]), "currency": r["currency"], "usd": r.get("usd")}
                           for r in row["ransoms"]]
    return gold


def _spec_gold(spec: dict[str, Any]) -> dict[str, Any]:
    gold: dict[str, Any] = {k: spec[k] for k in _LABEL_FIELDS if k in spec}
    if "places" in spec:
        gold["places"] = [{"name": p["name"], "country": p["country"], "admin1": None, "text": p.get("text")}
                          for p in spec["places"]]
    if "victim_ages" in spec:
        gold["victim_ages"] = [int(a) for a in spec["victim_ages"]]
    if "age_ranges" in spec:
        gold["victim_age_ranges"] = [str(r) for r in spec["age_ranges"]]
        gold["range_style"] = "decade"
    if "ransoms" in spec:
        gold["ransoms"] = [{"value": float(r["value"]), "currency": r["currency"], "usd": r.get("usd"),
                            "text": r.get("text")} for r in spec["ransoms"]]
    if "alert" not in gold and "incident_types" in spec and "victim_nationality" in spec:
        gold["alert"] = spec["victim_nationality"] == "KR" and bool(ALERT_TYPES & set(spec["incident_types"]))
    return gold


def range_key(low: int, high: int, style: str) -> str:
    """An age range as the gold writes it: '20-23' (span style) or '20s' / '30s-40s' (decade labels)."""
    if style == "span":
        return f"{low}-{high}"
    lo, hi = low // 10 * 10, high // 10 * 10
    name = {10: "teens"}
    first, last = name.get(lo, f"{lo}s"), name.get(hi, f"{hi}s")
    return first if lo == hi else f"{first}-{last}"


def context(text: str, start: int, end: int, words: int = 4) -> str:
    """A few words either side of text[start:end], the span itself in [brackets]."""
    before = " ".join(text[:start].split()[-words:])
    after = " ".join(text[end:].split()[:words])
    return f"{before} [{text[start:end]}] {after}".strip()


def find_span(text: str, needle: str | None) -> tuple[int, int] | None:
    """Where a gold surface form (or a bare number) first occurs in the text."""
    if not needle:
        return None
    if needle.isdigit():
        m = re.search(rf"(?<![\d.,]){needle}(?![\d.,]\d)", text)
        return m.span() if m else None
    pos = text.find(needle)
    return (pos, pos + len(needle)) if pos >= 0 else None
