"""Evidence highlighting: the extracted fields' spans wrapped in <mark> inside an escaped article text.

Only our own <mark> elements are markup; every text segment goes through markupsafe.escape, so a
hostile article stays inert. Spans whose offsets do not match the text are re-located by their quoted
text (extractors may count from a title-prefixed text) and listed as unlocated when absent."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

log = logging.getLogger(__name__)

MARK_TAG = re.compile(r"</?mark>")


@dataclass(frozen=True)
class Evidence:
    """One extracted field and where it was read: `kind` is place | age | ransom."""

    kind: str
    label: str
    text: str
    start: int
    end: int


def evidence_from_extraction(extraction: dict[str, Any] | None) -> list[Evidence]:
    """The spans of places, victim ages and ransoms of one extraction dict, with readable labels;
    entries of an unexpected shape are skipped (an old pipeline's output must not break the page)."""
    if not isinstance(extraction, dict):
        return []
    found: list[Evidence] = []
    for place in _entries(extraction, "places"):
        where = ", ".join(str(p) for p in (place.get("name"), place.get("admin1"), place.get("country")) if p)
        found.extend(_evidence("place", f"place: {where}", place))
    for age in _entries(extraction, "victim_ages"):
        found.extend(_evidence("age", f"victim age: {age.get('value')}", age))
    for ransom in _entries(extraction, "ransoms"):
        found.extend(_evidence("ransom", f"ransom: {ransom_label(ransom)}", ransom))
    return found


def _entries(extraction: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = extraction.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def ransom_label(ransom: dict[str, Any]) -> str:
    """'20,000 USD' or '80,000,000 KRW (≈ $58,000)': the stated amount, then dollars when converted."""
    amount, currency, usd = ransom.get("amount"), ransom.get("currency") or "", ransom.get("usd")
    parts = [f"{amount:,.0f} {currency}".strip() if isinstance(amount, int | float) else str(ransom.get("text", ""))]
    if isinstance(usd, int | float) and currency != "USD":
        parts.append(f"(≈ ${usd:,.0f})")
    return " ".join(parts)


def _evidence(kind: str, label: str, item: dict[str, Any]) -> list[Evidence]:
    start, end = item.get("start"), item.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return []
    return [Evidence(kind, label, str(item.get("text") or ""), start, end)]


def exact_offsets(text: str, ev: Evidence, shift: int = 0) -> tuple[int, int] | None:
    """`ev`'s own offsets (moved back by `shift`) when they hold its quoted text in `text`."""
    start, end = ev.start - shift, ev.end - shift
    if 0 <= start < end <= len(text) and (not ev.text or text[start:end] == ev.text):
        return start, end
    return None


def nearest_occurrence(text: str, ev: Evidence) -> tuple[int, int] | None:
    """The occurrence of `ev`'s quoted text nearest to its stated start, for offsets that drifted."""
    if not ev.text:
        return None
    hits = [m.start() for m in re.finditer(re.escape(ev.text), text)]
    if not hits:
        return None
    best = min(hits, key=lambda pos: abs(pos - ev.start))
    return best, best + len(ev.text)


def highlight(text: str, spans: list[tuple[int, int, Evidence]]) -> Markup:
    """Escaped `text` with each non-overlapping span wrapped in <mark class="ev ev-KIND" title=LABEL>."""
    out: list[str] = []
    cursor = 0
    for start, end, ev in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < cursor:
            continue  # overlaps a span already marked; the first and longest wins
        out.append(str(escape(text[cursor:start])))
        out.append(f'<mark class="ev ev-{escape(ev.kind)}" title="{escape(ev.label)}">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(str(escape(text[cursor:])))
    return Markup("".join(out))


@dataclass
class HighlightedDocument:
    title: Markup
    body: Markup
    evidence: list[Evidence]
    unlocated: list[Evidence]


def highlight_document(title: str, body: str, extraction: dict[str, Any] | None) -> HighlightedDocument:
    """Title and body with the extraction's evidence marked. Spans are body offsets, or offsets into
    "title + separator + body" (1 or 2 separator characters), or else found by their quoted text."""
    title, body = title or "", body or ""
    evidence = evidence_from_extraction(extraction)
    spans: dict[str, list[tuple[int, int, Evidence]]] = {"title": [], "body": []}
    unlocated: list[Evidence] = []
    for ev in evidence:
        field, where = _place_evidence(title, body, ev)
        if where is None:
            unlocated.append(ev)
        else:
            spans[field].append((*where, ev))
    return HighlightedDocument(
        highlight(title, spans["title"]), highlight(body, spans["body"]), evidence, unlocated
    )


def _place_evidence(title: str, body: str, ev: Evidence) -> tuple[str, tuple[int, int] | None]:
    if where := exact_offsets(body, ev):
        return "body", where
    if ev.text and (where := exact_offsets(title, ev)):
        return "title", where
    for shift in (len(title) + 1, len(title) + 2) if title else ():
        if where := exact_offsets(body, ev, shift):
            return "body", where
    if where := nearest_occurrence(body, ev):
        return "body", where
    return "title", nearest_occurrence(title, ev)


def safe_snippet(snippet_html: str | None) -> Markup:
    """search()'s snippet as markup, trusted only as escaped text plus <mark>: anything else is escaped."""
    snippet_html = snippet_html or ""
    if "<" in MARK_TAG.sub("", snippet_html) or ">" in MARK_TAG.sub("", snippet_html):
        log.warning("search snippet carried markup other than <mark>; escaping it whole")
        return Markup(str(escape(MARK_TAG.sub("", snippet_html))))
    return Markup(snippet_html)
