"""Build the per-language spaCy pipelines and turn a Doc into the contract's `Extraction`."""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.components.ages
import nlp.components.ransoms
import nlp.tokenizers  # noqa: F401  (registers tokenizers)
from nlp.components import identity, incidents, places
from nlp.context import doc_text, load_toml
from nlp.lang import normalize_lang

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "1.6.2"
COMPONENTS = ("deskwatch_places_v1", "deskwatch_incidents_v1", "deskwatch_ages_v1", "deskwatch_ransoms_v2")
_TOKENIZERS = {"ko": "deskwatch.ko_tokenizer.v1", "km": "deskwatch.km_tokenizer.v1"}
_SPACY_LANG = {"en": "en", "ko": "ko", "km": "xx"}
MODEL_ENV = "DESKWATCH_NLP_MODEL"  # e.g. "en_core_web_sm"; optional extra signal, never required


@dataclass
class Extraction:
    """What nlp/ found in one text; see DESIGN.md, "Extraction contract"."""

    lang: str
    places: list[dict[str, Any]] = field(default_factory=list)
    victim_ages: list[dict[str, Any]] = field(default_factory=list)
    victim_age_ranges: list[dict[str, Any]] = field(default_factory=list)
    ransoms: list[dict[str, Any]] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)
    victim_nationality: str | None = None
    victim_count: int | None = None
    relevant: bool = False
    identity: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    pipeline_version: str = PIPELINE_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["id"] is None:
            del data["id"]
        return data


def _base_language(lang: str, model: str | None) -> Language:
    """A blank Language with our tokenizer; an installed statistical model for English if asked."""
    if model and lang == "en":
        if spacy.util.is_package(model):
            logger.info("using statistical model %s as the base pipeline", model)
            return spacy.load(model, exclude=["lemmatizer"])
        logger.warning("%s=%s is not installed; continuing without it", MODEL_ENV, model)
    if lang in _TOKENIZERS:
        return spacy.blank(_SPACY_LANG[lang], config={"nlp": {"tokenizer": {"@tokenizers": _TOKENIZERS[lang]}}})
    return spacy.blank(_SPACY_LANG[lang])


def build_nlp(lang: str, model: str | None = None) -> Language:
    """A fresh pipeline for `lang` ('en', 'ko', 'km') with the deskwatch components."""
    nlp = _base_language(lang, model)
    for factory in COMPONENTS:
        nlp.add_pipe(factory, name=factory.split("_")[1], config={"lang": lang})
    return nlp


@cache
def get_nlp(lang: str) -> Language:
    """The cached pipeline for `lang`, built on first use."""
    return build_nlp(lang, os.environ.get(MODEL_ENV) or None)


def extract(text: str, lang: str | None = None, *, title: str | None = None) -> Extraction:
    """Extract places, victim ages, ransoms and incident facts from `text`.

    The relevance gate runs first on the raw string; general news only gets the cheap
    place look-up and never reaches the tokenizer. Spans are offsets into `text` (not title).
    """
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    code = normalize_lang(lang, text)
    relevant = incidents.is_relevant(text, code, title)
    # Identity facts serve story assignment only, which takes relevant reports and those with an incident
    # cue (storage.stories): general news skips the look-ups, the bulk of extraction's cost on a crawl.
    if relevant or identity.has_incident_cue(f"{title or ''}\n{text}", code):
        found = identity.find_identity(text, code, title)
    else:
        found = identity.no_identity(code)
    if not relevant:
        hits = places.find_places(text, code)
        return Extraction(lang=code, places=[_place_dict(text, h.start, h.end, h.place) for h in hits],
                          identity=found)
    nlp = get_nlp(code)
    doc = nlp.make_doc(text)
    doc.user_data["title"] = title
    doc.user_data["deskwatch_text"] = text
    doc.user_data["relevant"] = relevant
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    extraction = doc_to_extraction(doc, code)
    extraction.identity = found
    return extraction


def doc_to_extraction(doc: Doc, lang: str) -> Extraction:
    text = doc_text(doc)
    return Extraction(
        lang=lang,
        places=[_place_dict(text, *s._.place) for s in doc.spans.get("places", [])],
        victim_ages=[{"value": s._.age.value, **_span(text, s._.age)} for s in doc.spans.get("victim_ages", [])],
        victim_age_ranges=[{"low": s._.age.low, "high": s._.age.high, **_span(text, s._.age)}
                           for s in doc.spans.get("victim_age_ranges", [])],
        ransoms=[_ransom_dict(text, s._.ransom) for s in doc.spans.get("ransoms", [])],
        incident_types=list(doc._.incident_types or []),
        victim_nationality=doc._.victim_nationality,
        victim_count=doc._.victim_count,
        relevant=bool(doc._.relevant),
    )


def _span(text: str, hit: Any) -> dict[str, Any]:
    return {"text": text[hit.start:hit.end], "start": hit.start, "end": hit.end}


def _place_dict(text: str, start: int, end: int, place: Any) -> dict[str, Any]:
    return {"text": text[start:end], **place.as_dict(), "start": start, "end": end}


def _ransom_dict(text: str, hit: Any) -> dict[str, Any]:
    usd, converted = hit.usd, False
    if usd is None and hit.currency == "USD":
        usd = hit.amount
    elif usd is None and hit.currency == "USDT":  # pegged 1:1 and keeps its code; a conversion all the same
        usd, converted = hit.amount, True
    elif usd is None:
        usd, converted = to_usd(hit.amount, hit.currency), True
    amount = int(hit.amount) if float(hit.amount).is_integer() else hit.amount
    return {"text": text[hit.start:hit.end], "amount": amount, "currency": hit.currency,
            "usd": None if usd is None else round(usd, 2), "usd_converted": converted,
            "start": hit.start, "end": hit.end}


def to_usd(amount: float, currency: str) -> float | None:
    """Convert with the shipped, dated table in data/rates.toml; None for an unknown currency."""
    rate = load_toml("rates.toml")["per_usd"].get(currency)
    return None if not rate else amount / rate
