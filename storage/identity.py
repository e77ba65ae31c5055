"""Incident identity: is this report about the same occurrence as that one? Pure logic, no SQL.

A report is reduced to an `Incident` (when: the days and months it names, resolved against its
publication date; who: counts, ages, surnames/initials/names; where: places weighted by how specific
they are and named sites; how much: ransoms in USD). Two incidents compare to a score made of NAMED
pieces of evidence and conflicts; a story is joined when the best-matching of its reports scores at
least JOIN_SCORE with no conflict with the story's founding report. See docs/STORIES.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from storage.identity_dates import resolve_dates
from storage.identity_evidence import JOIN_SCORE, Comparison, Evidence, lead_factor
from storage.identity_people import People, lead_conflict, people_from, recall_conflict
from storage.identity_when import compare_when

__all__ = ["JOIN_SCORE", "Comparison", "Evidence", "Incident", "compare", "compare_with_story", "incident_from_extraction",
           "place_weight"]

NEAR_AGE = 1  # 31 and 32: the same person a birthday later (or counted the Korean way)
RANSOM_TOLERANCE = 0.25  # a won figure converted at another day's rate, or rounded ("2억 원"), is the same
GENERIC_PLACES = frozenset({  # capitals and hubs named in most coverage: weak evidence
    "Seoul", "Phnom Penh", "Bangkok", "Manila", "Hanoi", "Ho Chi Minh City", "Vientiane", "Yangon", "Naypyidaw",
    "Kuala Lumpur", "Jakarta", "Beijing", "Tokyo", "Golden Triangle", "Incheon",
})
HUB_PLACES = frozenset({  # towns of the scam compounds and Korea's big cities (police desks, airports)
    "Sihanoukville", "Poipet", "Bavet", "Pattaya", "Myawaddy", "Mae Sot", "Busan", "Ulsan", "Daegu", "Gwangju",
    "Daejeon",
})
HOME_COUNTRIES = frozenset({"KR", "KH"})  # named in nearly every report: no evidence
WEAK_SITE_KINDS = frozenset({"kind:embassy", "kind:compound", "kind:airport", "kind:border"})
PEOPLE_TYPES = frozenset({"kidnapping", "detention", "torture", "death", "rescue", "repatriation", "arrest"})


@dataclass(frozen=True)
class Incident:
    """The identity facts of one report (or a story's founding report)."""

    doc_id: int
    lang: str = ""
    published: date | None = None
    types: frozenset[str] = frozenset()
    places: dict[str, tuple[str, float, bool]] = field(default_factory=dict)  # key -> (name, weight, in lead)
    place_countries: dict[str, str] = field(default_factory=dict)  # key of `places` -> its country
    provinces: frozenset[str] = frozenset()  # country/admin1 of the specific places named
    lead_provinces: frozenset[str] = frozenset()  # country/admin1 of those named in the lead
    sites: dict[str, bool] = field(default_factory=dict)  # site id / kind:x -> in lead
    ages: frozenset[int] = frozenset()
    age_ranges: frozenset[tuple[int, int]] = frozenset()
    ransoms: tuple[float, ...] = ()
    counts: dict[int, bool] = field(default_factory=dict)  # number of people -> in lead
    people: tuple[tuple[str, str, str, int | None], ...] = ()  # (kind, surname key / initial, given, age)
    days: dict[date, bool] = field(default_factory=dict)  # resolved day -> in lead
    months: dict[tuple[int, int], bool] = field(default_factory=dict)  # (year, month) -> in lead
    undated: tuple[dict[str, Any], ...] = ()  # date mentions of an undated report, resolved per comparison
    sex: frozenset[str] = frozenset()  # female / male, as the lead tells
    lead_countries: frozenset[str] = frozenset()  # countries named in the lead
    sums_krw: tuple[float, ...] = ()  # sums of money named (damages, scam takings), in won
    lead_people: frozenset[tuple[str, str, str, int | None]] = frozenset()  # those of `people` named in the lead
    victim_ages: frozenset[int] = frozenset()  # every victim age nlp read, recalled people's too
    lead_sums: frozenset[float] = frozenset()  # those of `sums_krw` named in the lead

    @cached_property
    def persons(self) -> People:
        return People(self.people, self.lead_people, self.victim_ages)

    @cached_property
    def main_subject(self) -> frozenset[str]:
        """The specific places and named sites of the lead: what the report is mainly about."""
        return frozenset(name for names in self.subject_places.values() for name in names)

    @cached_property
    def subject_places(self) -> dict[str, frozenset[str]]:
        """The lead's specific places at home (Korea: hometowns, police agencies) and abroad (towns and named
        sites): a hometown and a site abroad tell of one case together; two hometowns, or two places
        abroad, of two cases."""
        out: dict[str, set[str]] = {}
        for key, (name, w, lead) in self.places.items():
            if lead and w >= 1.0:
                out.setdefault("home" if self.place_countries.get(key) == "KR" else "abroad", set()).add(name)
        sites = {s for s, lead in self.sites.items() if lead and not s.startswith("kind:")}
        if sites:
            out.setdefault("abroad", set()).update(sites)
        return {k: frozenset(v) for k, v in out.items()}

    def identity_keys(self) -> set[str]:
        """Lookup keys for finding candidate stories without scanning the store."""
        out = {f"site:{s}" for s in self.sites if not s.startswith("kind:")}
        out |= {f"place:{k}" for k, (_, w, _) in self.places.items() if w >= 1.0}
        out |= {f"person:{key}:{age}" for kind, key, _, age in self.people if kind == "surname" and age}
        out |= {f"name:{key}:{given}" for kind, key, given, _ in self.people if kind == "name" and given}
        out |= {f"count:{n}" for n in self.counts if n >= 3}
        out |= {f"day:{d.isoformat()}" for d in self.days}
        out |= {f"ransom:{round(r, -3):.0f}" for r in self.ransoms}
        out |= {f"country:{c}" for c in self.lead_countries - HOME_COUNTRIES}
        out |= {f"age:{x}" for x in self.ages} | {f"ages:{lo}-{hi}" for lo, hi in self.age_ranges}
        out |= {f"surname:{key}" for kind, key, _, _ in self.people if kind != "initial"}
        return out


def incident_from_extraction(doc_id: int, extraction: dict[str, Any], published: datetime | None,
                             lang: str = "") -> Incident:
    """Reduce nlp's extraction dict of one report (and its publication time) to its identity facts."""
    ident = extraction.get("identity") or {}
    lead = int(ident.get("lead_chars") or 400)
    pub = published.date() if published else None
    mentions = ident.get("dates") or []
    days, months = resolve_dates(mentions, pub)
    victim_ages = frozenset(int(a["value"]) for a in extraction.get("victim_ages") or [] if a.get("value") is not None)
    persons = people_from(ident.get("people") or [], victim_ages)
    recalled_ages = {p[3] for p in persons.recalled} - {p[3] for p in persons.subjects}
    sums = [x for x in ident.get("sums") or [] if x.get("krw")]
    return Incident(
        doc_id=doc_id, lang=lang or extraction.get("lang") or "", published=pub,
        types=frozenset(extraction.get("incident_types") or []),
        places=_places(extraction.get("places") or [], lead),
        place_countries={_place_key(p): p.get("country") or "" for p in extraction.get("places") or []},
        provinces=_provinces(extraction.get("places") or [], None),
        lead_provinces=_provinces(extraction.get("places") or [], lead),
        sites={s["id"]: bool(s.get("lead")) for s in ident.get("sites") or []},
        ages=frozenset(int(a["value"]) for a in extraction.get("victim_ages") or []
                       if a.get("value") is not None and int(a["value"]) not in recalled_ages),
        age_ranges=frozenset((int(r["low"]), int(r["high"])) for r in extraction.get("victim_age_ranges") or []
                             if r.get("low") is not None and r.get("high") is not None),
        ransoms=tuple(sorted({round(float(r["usd"]), 2) for r in extraction.get("ransoms") or [] if r.get("usd")})),
        counts=_counts(ident.get("counts") or [], extraction.get("victim_count")),
        people=persons.named, lead_people=persons.lead, victim_ages=victim_ages,
        days=days, months=months, undated=tuple(mentions) if pub is None else (),
        sex=frozenset(ident.get("sex") or []),
        sums_krw=tuple(sorted({float(x["krw"]) for x in sums})),
        lead_sums=frozenset(float(x["krw"]) for x in sums if x.get("lead")),
        lead_countries=frozenset(p["country"] for p in extraction.get("places") or []
                                 if p.get("country") and p.get("start") is not None and int(p["start"]) < lead),
    )


def _places(places: list[dict[str, Any]], lead: int) -> dict[str, tuple[str, float, bool]]:
    out: dict[str, tuple[str, float, bool]] = {}
    for p in places:
        name = p.get("name") or ""
        weight = place_weight(p)
        if not name or weight <= 0:
            continue
        key = _place_key(p)
        in_lead = p.get("start") is None or int(p["start"]) < lead or out.get(key, ("", 0, False))[2]
        out[key] = (name, weight, in_lead)
    return out


def _place_key(p: dict[str, Any]) -> str:
    return f"g{p['geonameid']}" if p.get("geonameid") else f"{p.get('country') or ''}/{p.get('name') or ''}".lower()


def _provinces(places: list[dict[str, Any]], lead: int | None) -> frozenset[str]:
    """country/admin1 of the specific places (of those in the lead when `lead` is given)."""
    return frozenset(f"{p.get('country')}/{p['admin1']}" for p in places
                     if p.get("admin1") and p.get("name") != p.get("admin1") and place_weight(p) >= 1.0
                     and (lead is None or p.get("start") is None or int(p["start"]) < lead))


def place_weight(place: dict[str, Any]) -> float:
    """How much sharing this place says: a country nothing, a capital little, a province or a hub of
    scam compounds some, a district, town, hometown or mountain a lot."""
    name = place.get("name") or ""
    if place.get("kind") == "country" or (not place.get("admin1") and _is_country(name)):
        return 0.0
    if name in GENERIC_PLACES or not place.get("country"):  # no country: a region or river across borders
        return 0.3
    if place.get("kind") in ("admin1", "province") or (name == place.get("admin1") and not place.get("geonameid")):
        return 0.6  # a province (a city of the same name has a gazetteer id: Kampot, Busan)
    if name in HUB_PLACES:
        return 1.0
    return 2.0


def _is_country(name: str) -> bool:
    from storage.identity_dates import country_names

    return name in country_names()


def _counts(counts: list[dict[str, Any]], victim_count: int | None) -> dict[int, bool]:
    out: dict[int, bool] = {}
    for c in counts:
        out[int(c["value"])] = out.get(int(c["value"]), False) or bool(c.get("lead"))
    if victim_count and victim_count >= 2:
        out.setdefault(int(victim_count), True)
    return out


def compare(a: Incident, b: Incident) -> Comparison:
    """Everything two reports share or contradict, each a named piece of evidence with its weight."""
    c = Comparison()
    _compare_leads(a, b, c)
    _compare_where(a, b, c)
    _compare_who(a, b, c)
    compare_when(a, b, c)
    _compare_how_much(a, b, c)
    shared = sorted((a.types & b.types) & PEOPLE_TYPES)
    if shared:
        c.evidence.append(Evidence("both " + "/".join(shared), 0.5 if "death" in shared else 0.3))
    return c


def _compare_leads(a: Incident, b: Incident, c: Comparison) -> None:
    """Leads about different specific places or sites, or different people: two subjects. Each report may
    mention the other's case in passing; what one lead shares only with the other's body then weighs little."""
    comparable = set(a.subject_places) & set(b.subject_places)  # both at home, or both abroad
    if comparable and not (a.main_subject & b.main_subject) and not (
            a.lead_provinces & b.lead_provinces):  # a town and its province ("Yecheon", "경북"): one subject
        c.conflicts.append(Evidence(f"leads about {'/'.join(sorted(a.main_subject))} vs "
                                    f"{'/'.join(sorted(b.main_subject))}", 2.0))
    people = lead_conflict(a.persons, b.persons)
    if people:
        c.conflicts.append(Evidence(*people))
    c.leads_apart = bool(c.conflicts)


def _compare_where(a: Incident, b: Incident, c: Comparison) -> None:
    shared = sorted(set(a.places) & set(b.places), key=lambda k: -a.places[k][1])
    total = 0.0
    for key in shared:
        name, weight, lead_a = a.places[key]
        w = weight * lead_factor(lead_a, b.places[key][2], c.leads_apart)
        if total + w > 4.0:
            break
        total += w
        c.evidence.append(Evidence(f"same place {name}", round(w, 2)))
    if not shared:
        provinces = sorted(a.provinces & b.provinces)
        if provinces:
            c.evidence.append(Evidence(f"same province {provinces[0].split('/', 1)[1]}", 0.6))
    kinds = 0.0
    for site in sorted(set(a.sites) & set(b.sites)):
        factor = lead_factor(a.sites[site], b.sites[site], c.leads_apart)
        if not site.startswith("kind:"):
            c.evidence.append(Evidence(f"same site {site}", round(3.5 * factor, 2)))
        elif site not in WEAK_SITE_KINDS and kinds < 1.0:
            kinds += 0.5
            c.evidence.append(Evidence(f"both at a {site[5:]}", round(0.5 * factor, 2)))
    countries = sorted((a.lead_countries & b.lead_countries) - HOME_COUNTRIES)
    if countries:
        c.evidence.append(Evidence("both leads in " + "/".join(countries), 0.75))


def _compare_who(a: Incident, b: Incident, c: Comparison) -> None:
    _compare_ages(a, b, c)
    counted = 0.0
    for n in sorted(set(a.counts) & set(b.counts), reverse=True):
        if n < 3 or counted >= 3.0:
            continue
        base = 0.75 if n < 5 else 1.0 if (n % 10 == 0 and n <= 100) else 1.5 if n < 20 else 2.5
        w = round(base * lead_factor(a.counts[n], b.counts[n], c.leads_apart), 2)
        counted += w
        c.evidence.append(Evidence(f"same number of people {n}", w))
    if not counted:
        _compare_revised_counts(a, b, c)
    _compare_people(a, b, c)
    if len(a.sex) == 1 and a.sex == b.sex:
        c.evidence.append(Evidence(f"both {next(iter(a.sex))}", 1.0 if "female" in a.sex else 0.3))
    elif len(a.sex) == 1 and len(b.sex) == 1:
        c.conflicts.append(Evidence(f"{next(iter(a.sex))} vs {next(iter(b.sex))}", 1.5))


def _compare_revised_counts(a: Incident, b: Incident, c: Comparison) -> None:
    """Counts a report revised (20 arrested, then 19 questioned; 63 then 64 repatriated): large numbers a
    few apart, in a lead, weigh half an exact match."""
    near = [(n, m) for n in a.counts for m in b.counts if min(n, m) >= 10 and n != m
            and abs(n - m) <= max(1, round(0.05 * max(n, m))) and (a.counts[n] or b.counts[m])]
    if near:
        n, m = max(near)
        w = round(0.5 * lead_factor(a.counts[n], b.counts[m], c.leads_apart), 2)
        c.evidence.append(Evidence(f"about the same number of people {n}/{m}", w))


def _compare_ages(a: Incident, b: Incident, c: Comparison) -> None:
    exact = sorted(x for x in a.ages if any(abs(x - y) <= NEAR_AGE for y in b.ages))
    if exact:
        c.evidence.append(Evidence("same age " + "/".join(map(str, exact)), min(2.0 * len(exact), 3.0)))
    narrow = sorted(r for r in a.age_ranges & b.age_ranges if r[1] - r[0] <= 3)
    if narrow and not exact:
        c.evidence.append(Evidence(f"same age range {narrow[0][0]}-{narrow[0][1]}", 1.5))
    elif (a.age_ranges & b.age_ranges) and not exact:
        shared = sorted(a.age_ranges & b.age_ranges)[:2]
        label = " and ".join(f"{low}-{high}" for low, high in shared)
        c.evidence.append(Evidence(f"same age range {label}", 0.75 * len(shared)))
    all_a = [(x, x) for x in a.ages] + list(a.age_ranges)
    all_b = [(x, x) for x in b.ages] + list(b.age_ranges)
    if all_a and all_b and len(all_a) <= 2 and len(all_b) <= 2 and not any(
        lo1 - NEAR_AGE <= hi2 and lo2 - NEAR_AGE <= hi1 for lo1, hi1 in all_a for lo2, hi2 in all_b
    ):
        exact_only = len(a.ages) == len(b.ages) == 1 and not (a.age_ranges or b.age_ranges)
        c.conflicts.append(Evidence(f"ages {_ages_text(all_a)} vs {_ages_text(all_b)}", 3.0 if exact_only else 2.0))


def _ages_text(spans: list[tuple[int, int]]) -> str:
    return "/".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in sorted(spans))


def _compare_people(a: Incident, b: Incident, c: Comparison) -> None:
    recalled = recall_conflict(a.persons, b.persons)
    if recalled:
        c.conflicts.append(Evidence(*recalled))
    people_a, people_b = a.persons.counted, b.persons.counted  # people recalled from another case say nothing
    surnames = {k for kind, k, _, _ in people_a if kind != "initial"} & {k for kind, k, _, _ in people_b if kind != "initial"}
    surname_weight = 1.5 if len(surnames) >= 2 else 0.75  # two people of the same surnames: a pair, not a name
    seen: set[str] = set()
    total = 0.0
    for kind, key, given, age in people_a:
        for kind2, key2, given2, age2 in people_b:
            if key != key2 or total >= 4.5:
                continue
            aged = age is not None and age2 is not None and abs(age - age2) <= NEAR_AGE
            if kind == kind2 == "name" and given and given == given2:
                label, w = f"same person {key} {given}", 2.0
            elif kind != "initial" and kind2 != "initial" and aged:
                label, w = f"same person {key} ({age})", 3.0
            elif kind == kind2 == "initial" and aged:
                label, w = f"same person {key.upper()} ({age})", 1.5
            elif kind == kind2 == "surname":
                label, w = f"same surname {key}", surname_weight
            else:
                continue
            if label not in seen:
                seen.add(label)
                total += w
                c.evidence.append(Evidence(label, w))


def _compare_how_much(a: Incident, b: Incident, c: Comparison) -> None:
    sums = sorted(((x, y) for x in a.sums_krw for y in b.sums_krw if abs(x - y) <= RANSOM_TOLERANCE * max(x, y)),
                  key=lambda xy: (-lead_factor(xy[0] in a.lead_sums, xy[1] in b.lead_sums, c.leads_apart), -xy[0]))
    if sums:
        x, y = sums[0]
        weight = 2.5 if x >= 1e10 else 2.0 if x >= 1e9 else 1.0  # the larger, the rarer
        amount = f"{x / 1e9:.1f} billion" if x >= 1e9 else f"{x / 1e6:.0f} million"
        factor = lead_factor(x in a.lead_sums, y in b.lead_sums, c.leads_apart)  # a sum in the lead is what the report is about
        c.evidence.append(Evidence(f"same sum ~{amount} won", round(weight * factor, 2)))
    if not (a.ransoms and b.ransoms):
        return
    same = [(x, y) for x in a.ransoms for y in b.ransoms if abs(x - y) <= RANSOM_TOLERANCE * max(x, y)]
    if same:
        c.evidence.append(Evidence(f"same ransom ~{same[0][0]:.0f} USD", 3.0))
    else:
        c.conflicts.append(Evidence(f"ransoms {list(a.ransoms)} vs {list(b.ransoms)} USD", 2.0))


def compare_with_story(report: Incident, members: list[Incident]) -> tuple[Comparison, Incident | None]:
    """The report against a story: its best match among the story's reports (so a follow-up meets the
    report it follows), refused when it conflicts with the founding report (the story's core), so that
    facts the story gathered over time never attract an unrelated round-up by themselves."""
    if not members:
        return Comparison(), None
    scored = [(compare(report, m), m) for m in members]
    best, match = max(scored, key=lambda cm: (cm[0].score, -cm[1].doc_id))
    core = scored[0][0]
    if core.conflicts and match is not members[0]:
        best = Comparison(best.evidence, best.conflicts + [Evidence("conflicts with the story's first report: "
                                                                    + core.conflicts[0].name, 2.0)])
    return best, match
