"""Pipeline construction, tokenizers, serialization and the optional statistical model branch."""
from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

import nlp
from nlp.lang import detect_language
from nlp.pipeline import build_nlp, get_nlp


@pytest.mark.parametrize("text,expected", [
    ("Police in Phnom Penh said on Monday", "en"),
    ("캄보디아에서 납치된 대학생 A씨(22)", "ko"),
    ("ប៉ូលិសខេត្តព្រះសីហនុ បានជួយសង្គ្រោះ", "km"),
    ("", "en"),
    ("KK Park 미얀마 범죄단지에서 탈출", "ko"),
])
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_public_api() -> None:
    assert isinstance(nlp.PIPELINE_VERSION, str) and nlp.PIPELINE_VERSION.count(".") == 2
    assert set(nlp.extract("Seoul").to_dict()) >= {"lang", "places", "victim_ages", "victim_age_ranges", "ransoms",
                                                    "incident_types", "victim_nationality", "victim_count", "relevant"}


def test_pipelines_are_cached(nlp_en: Language) -> None:
    assert get_nlp("en") is nlp_en
    assert nlp_en.pipe_names == ["places", "incidents", "ages", "ransoms"]


def test_korean_tokenizer_splits_particles_and_keeps_offsets(nlp_ko: Language) -> None:
    text = "캄보디아에서  납치됐다고\n했다."
    doc = nlp_ko.make_doc(text)
    assert doc.text == text
    assert [t.text for t in doc][:2] == ["캄보디아", "에서"]
    for token in doc:
        assert text[token.idx:token.idx + len(token.text)] == token.text


def test_khmer_tokenizer_keeps_offsets(nlp_km: Language) -> None:
    text = "ប៉ូលិសខេត្តព្រះសីហនុ បានជួយសង្គ្រោះ ៣ នាក់"
    doc = nlp_km.make_doc(text)
    assert doc.text == text and len(doc) > 4


def test_doc_spans_from_full_pipeline(nlp_ko: Language) -> None:
    doc = nlp_ko("캄보디아 시아누크빌에서 감금된 한국인 A씨(25)의 가족이 몸값 1억 원을 요구받았다.")
    assert doc._.relevant and [s.text for s in doc.spans["victim_ages"]] == ["25"]
    assert doc.spans["ransoms"][0]._.ransom.amount == 100_000_000
    assert {s._.place[2].name for s in doc.spans["places"]} == {"Cambodia", "Sihanoukville"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_to_disk_round_trip(tmp_path: Path, lang: str) -> None:
    text = "캄보디아에서 한국인이 납치됐다. 몸값 3만 달러" if lang == "ko" else "A Korean was kidnapped in Kampot; $5,000 ransom."
    original = build_nlp(lang)
    original.to_disk(tmp_path / lang)
    loaded = spacy.load(tmp_path / lang)
    assert loaded.pipe_names == original.pipe_names
    a, b = original(text), loaded(text)
    assert [t.text for t in a] == [t.text for t in b]
    assert [s.text for s in a.spans["ransoms"]] == [s.text for s in b.spans["ransoms"]]


def test_optional_model_absent_falls_back_to_blank(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = build_nlp("en", model="en_deskwatch_not_installed")
    assert pipeline.pipe_names == ["places", "incidents", "ages", "ransoms"]
    assert "not installed" in caplog.text


def test_optional_model_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(spacy.util, "is_package", lambda name: True)
    monkeypatch.setattr(spacy, "load", lambda name, **kw: calls.append(name) or spacy.blank("en"))
    pipeline = build_nlp("en", model="en_core_web_sm")
    assert calls == ["en_core_web_sm"] and "places" in pipeline.pipe_names


def test_identity_facts_are_looked_up_only_where_a_story_could_use_them() -> None:
    """General news (no relevance, no incident cue) joins no story: its identity stays empty, cheaply."""
    import nlp

    news = nlp.extract("Rice exports from Battambang rose 12% on 17 October, the ministry said.", lang="en")
    assert news.identity is not None and news.identity["incident_cue"] is False
    assert news.identity["dates"] == [] and news.identity["people"] == []
    report = nlp.extract("A 24-year-old Korean, surnamed Kim, was kidnapped in Kampot on October 17.", lang="en")
    assert report.identity is not None and report.identity["dates"] and report.identity["incident_cue"]
