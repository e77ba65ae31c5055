"""Evidence highlighting: spans become <mark>, every text segment is escaped, drifting offsets are found."""
from __future__ import annotations

import re
from html import unescape

from hypothesis import given
from hypothesis import strategies as st

from web.evidence import highlight_document, safe_snippet

BODY = "시아누크빌의 범죄단지에서 A(24)씨가 감금됐다. 몸값 2만 달러를 요구했다. <b>태그</b>"


def _span(text: str, needle: str, **extra: object) -> dict[str, object]:
    start = text.index(needle)
    return {"text": needle, "start": start, "end": start + len(needle), **extra}


def _extraction(text: str) -> dict[str, object]:
    return {
        "places": [_span(text, "시아누크빌", name="Sihanoukville", country="KH", admin1="Preah Sihanouk")],
        "victim_ages": [_span(text, "24", value=24)],
        "ransoms": [_span(text, "2만 달러", amount=20000, currency="USD", usd=20000.0)],
    }


def test_spans_are_marked_and_text_escaped() -> None:
    marked = highlight_document("제목", BODY, _extraction(BODY))
    html = str(marked.body)
    assert '<mark class="ev ev-place" title="place: Sihanoukville, Preah Sihanouk, KH">시아누크빌</mark>' in html
    assert '<mark class="ev ev-age" title="victim age: 24">24</mark>' in html
    assert '<mark class="ev ev-ransom" title="ransom: 20,000 USD">2만 달러</mark>' in html
    assert "&lt;b&gt;태그&lt;/b&gt;" in html and "<b>" not in html
    assert marked.unlocated == []


def test_offsets_counted_from_title_prefixed_text_are_relocated() -> None:
    title = "캄보디아 감금 사건"
    combined = f"{title}\n\n{BODY}"
    marked = highlight_document(title, BODY, _extraction(combined))
    assert str(marked.body).count("<mark") == 3
    assert "<mark" not in str(marked.title)


def test_span_in_title_is_marked_in_title() -> None:
    title = "프놈펜서 30대 납치"
    extraction = {"places": [_span(title, "프놈펜", name="Phnom Penh", country="KH")]}
    marked = highlight_document(title, "본문에는 지명이 없다.", extraction)
    assert str(marked.title).startswith('<mark class="ev ev-place"')


def test_evidence_absent_from_text_is_reported_not_invented() -> None:
    extraction = {"victim_ages": [{"value": 31, "text": "31세", "start": 500, "end": 503}]}
    marked = highlight_document("t", BODY, extraction)
    assert "<mark" not in str(marked.body)
    assert [e.label for e in marked.unlocated] == ["victim age: 31"]


def test_overlapping_spans_do_not_nest() -> None:
    text = "Sihanoukville province"
    extraction = {"places": [
        {"text": "Sihanoukville province", "start": 0, "end": 22, "name": "Preah Sihanouk"},
        {"text": "Sihanoukville", "start": 0, "end": 13, "name": "Sihanoukville"},
    ]}
    html = str(highlight_document("", text, extraction).body)
    assert html.count("<mark") == 1 and "Preah Sihanouk" in html


def test_hostile_label_is_escaped_in_attribute() -> None:
    text = 'x "><script>alert(1)</script>'
    extraction = {"places": [{"text": "x", "start": 0, "end": 1, "name": '"><script>alert(2)</script>'}]}
    html = str(highlight_document("", text, extraction).body)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_snippet_keeps_only_marks() -> None:
    assert str(safe_snippet("a &lt;b&gt; <mark>납치</mark> c")) == "a &lt;b&gt; <mark>납치</mark> c"
    hostile = safe_snippet('<mark>x</mark><img src=x onerror="alert(1)">')
    assert "<img" not in str(hostile) and "&lt;img" in str(hostile)


@given(
    text=st.text(alphabet=st.sampled_from(list("ab <>&\"'납치ក\n")), max_size=60),
    spans=st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=6),
)
def test_marking_never_changes_or_unescapes_the_text(text: str, spans: list[tuple[int, int]]) -> None:
    """Whatever the spans, the page shows exactly the article text: marks added, nothing else."""
    extraction = {"victim_ages": [{"value": 1, "text": text[a:b], "start": a, "end": b} for a, b in spans]}
    html = str(highlight_document("", text, extraction).body)
    assert "<" not in re.sub(r'<mark class="ev ev-age" title="victim age: 1">|</mark>', "", html)
    assert unescape(re.sub(r"<[^>]+>", "", html)) == text


def test_malformed_extraction_entries_are_skipped() -> None:
    extraction = {"places": ["Phnom Penh", None, {"text": "a", "start": "x", "end": 2}], "ransoms": "lots"}
    assert highlight_document("t", "body", extraction).evidence == []
    assert highlight_document("t", "body", ["not", "a", "dict"]).evidence == []  # type: ignore[arg-type]
