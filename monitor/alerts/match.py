"""Does a subject meet a rule's conditions? One view of an incident (a stored story, or a single
article's extraction for the gold check) so the store and the gold evaluation apply the same logic."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.alerts.rules import Rule

# The country whose nationals an article in this language is, by default, about.
LANGUAGE_COUNTRY = {"ko": "KR", "km": "KH"}


@dataclass
class IncidentView:
    """What incident conditions look at, gathered from one or many documents."""

    incident_types: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    admin1: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    nationalities: set[str] = field(default_factory=set)
    max_ransom_usd: float | None = None
    text: str = ""
    langs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    relevant: bool = False
    victim_details: bool = False  # a victim count, an age (range) or a ransom: a case, not a policy story
    unstated_nationality: bool = False  # some document found victims without a stated nationality
    place_countries: set[str] = field(default_factory=set)  # countries of every place mentioned

    def add_extraction(self, data: dict[str, Any] | None) -> None:
        """Fold one nlp Extraction dict into the view."""
        if not data:
            return
        self.incident_types.update(data.get("incident_types") or [])
        if data.get("victim_nationality"):
            self.nationalities.add(str(data["victim_nationality"]).upper())
        else:
            self.unstated_nationality = True
        for place in data.get("places") or []:
            if place.get("country"):
                self.countries.add(str(place["country"]).upper())
                self.place_countries.add(str(place["country"]).upper())
            if place.get("admin1"):
                self.admin1.add(str(place["admin1"]).casefold())
            for key in ("name", "text"):
                if place.get(key):
                    self.places.add(str(place[key]).casefold())
        usd = [r["usd"] for r in data.get("ransoms") or [] if r.get("usd") is not None]
        if usd:
            self.max_ransom_usd = max([*usd, *([self.max_ransom_usd] if self.max_ransom_usd else [])])
        self.relevant = self.relevant or bool(data.get("relevant"))
        self.victim_details = self.victim_details or bool(
            data.get("victim_count") or data.get("victim_ages") or data.get("victim_age_ranges") or data.get("ransoms")
        )


def view_of_story(story: dict[str, Any]) -> IncidentView:
    """The view of a stored story: its own columns plus every document's text and extraction."""
    view = IncidentView(
        incident_types=set(story.get("incident_types") or []),
        countries={c.upper() for c in story.get("countries") or []},
        max_ransom_usd=story.get("max_ransom_usd"),
    )
    if story.get("victim_nationality"):
        view.nationalities.add(story["victim_nationality"].upper())
    texts = []
    for doc in story.get("documents", []):
        view.add_extraction(doc.get("extraction"))
        texts.append(f"{doc.get('title') or ''}\n{doc.get('body') or ''}")
        if doc.get("lang"):
            view.langs.add(doc["lang"])
        if doc.get("source"):
            view.sources.add(doc["source"])
    view.text = "\n".join(texts).casefold()
    return view


def view_of_article(extraction: dict[str, Any], text: str, lang: str | None, source: str | None = None) -> IncidentView:
    """The view of one article (the gold check)."""
    view = IncidentView(text=text.casefold(), langs={lang} if lang else set(), sources={source} if source else set())
    view.add_extraction(extraction)
    return view


def _any(wanted: Iterable[str], have: set[str], fold: bool = False) -> bool:
    wanted_set = {w.casefold() for w in wanted} if fold else set(wanted)
    return bool(wanted_set & have)


def incident_matches(rule: Rule, view: IncidentView) -> bool:
    """True when the view meets every condition of an incident rule (conditions are ANDed; lists are ORs)."""
    w = rule.when
    checks = [
        "incident_types" not in w or _any(w["incident_types"], view.incident_types),
        "countries" not in w or _any(w["countries"], view.countries),
        "admin1" not in w or _any(w["admin1"], view.admin1, fold=True),
        "places" not in w or _any(w["places"], view.places, fold=True),
        "victim_nationality" not in w or nationality_matches(w, view),
        "min_ransom_usd" not in w or (view.max_ransom_usd or 0) >= w["min_ransom_usd"],
        "keywords" not in w or any(k in view.text for k in w["keywords"]),
        "exclude_keywords" not in w or not any(k in view.text for k in w["exclude_keywords"]),
        "languages" not in w or _any(w["languages"], view.langs),
        "sources" not in w or _any(w["sources"], view.sources),
        "relevant" not in w or view.relevant == w["relevant"],
        "victim_details" not in w or view.victim_details == w["victim_details"],
    ]
    return all(checks)


def nationality_matches(when: dict[str, Any], view: IncidentView) -> bool:
    """Stated nationality, or (opted in) inferred where nlp found none: from a place in that country
    (a hometown, the airport of return) or from an article in that country's language."""
    wanted = when["victim_nationality"]
    if wanted in view.nationalities:
        return True
    if not view.unstated_nationality or view.nationalities:
        return False
    sources = when.get("nationality_inferred_from", [])
    by_place = "places" in sources and wanted in view.place_countries
    by_language = "language" in sources and any(LANGUAGE_COUNTRY.get(lang) == wanted for lang in view.langs)
    return by_place or by_language


def advisory_matches(rule: Rule, change: dict[str, Any]) -> bool:
    """An advisory level change against countries, issuers, min_level and direction."""
    w = rule.when
    level, previous = change.get("level"), change.get("previous_level")
    if level is None or previous is None or level == previous:
        return False
    direction = "up" if level > previous else "down"
    return all([
        "countries" not in w or change.get("country", "").upper() in w["countries"],
        "issuers" not in w or change.get("issuer") in w["issuers"],
        "min_level" not in w or max(level, previous) >= w["min_level"],
        w.get("direction", "any") in ("any", direction),
    ])


def source_failure_matches(rule: Rule, source: dict[str, Any]) -> bool:
    w = rule.when
    return (source.get("consecutive_failures") or 0) >= w.get("min_failures", 3) and (
        "sources" not in w or source.get("key") in w["sources"]
    )
