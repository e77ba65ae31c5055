"""Who a report is about: the people its lead names with an age (its subjects), and the people it names
only further down while its lead is about someone else (recalled: a past case told as background, not
identity evidence for this report's incident). Pure: people facts in, evidence and conflicts out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Person = tuple[str, str, str, int | None]  # (kind: surname | initial | name, surname key / initial, given, age)
SAME_PERSON_AGES = 2  # 31 in October, 32 in January, counted the Korean way: still one person


@dataclass(frozen=True)
class People:
    """The people of one report: every one named, those named in its lead, and its subjects."""

    named: tuple[Person, ...] = ()
    lead: frozenset[Person] = frozenset()
    victim_ages: frozenset[int] = frozenset()  # the ages nlp reads as victims' (not suspects', officials')

    def is_victim(self, p: Person) -> bool:
        return p[3] is not None and p[3] in self.victim_ages

    @property
    def subjects(self) -> frozenset[Person]:
        """The people the lead names with an age (or a given name): whom the report is mainly about."""
        return frozenset(p for p in self.lead if p[3] is not None and p[0] != "name")

    @property
    def recalled(self) -> frozenset[Person]:
        """People named only outside a lead that is about somebody else (a victim named further down in a
        report whose lead names the suspect is this report's victim, not a recalled one)."""
        subjects = self.subjects
        if not subjects:
            return frozenset()
        return frozenset(p for p in self.named if p not in self.lead and p[0] != "name" and not self.is_victim(p)
                         and not any(_same_key(p, s) for s in subjects))

    @property
    def counted(self) -> tuple[Person, ...]:
        """The people that count as identity evidence: all but the recalled ones."""
        recalled = self.recalled
        return tuple(p for p in self.named if p not in recalled)


def people_from(found: list[dict[str, Any]], victim_ages: frozenset[int] = frozenset()) -> People:
    """From nlp's people hits ({"kind", "key", "given", "age", "lead"}) and victim ages."""
    named: dict[Person, bool] = {}
    for p in found:
        person: Person = (p["kind"], p["key"], p.get("given") or "", p.get("age"))
        named[person] = named.get(person, False) or bool(p.get("lead"))
    return People(tuple(sorted(named, key=str)), frozenset(p for p, lead in named.items() if lead), victim_ages)


def _same_key(p: Person, q: Person) -> bool:
    return p[1] == q[1] and (p[3] is None or q[3] is None or abs(p[3] - q[3]) <= SAME_PERSON_AGES)


def could_be_one(p: Person, q: Person) -> bool:
    """Two aged mentions that may be one person: close ages and the same surname, or an initial on
    either side (one outlet's A씨 is another's 김모씨)."""
    if p[3] is None or q[3] is None or abs(p[3] - q[3]) > SAME_PERSON_AGES:
        return False
    return p[1] == q[1] or "initial" in (p[0], q[0])


def label(people: frozenset[Person] | tuple[Person, ...]) -> str:
    return "/".join(sorted(f"{p[1].upper() if p[0] == 'initial' else p[1]}"
                           + (f" ({p[3]})" if p[3] is not None else "") for p in people))


def lead_conflict(a: People, b: People) -> tuple[str, float] | None:
    """Leads about different people: both leads name victims (or both others: suspects, officials) with
    ages, and none of one's can be one of the other's (different surnames, initials or ages). A suspect
    in one lead and the victim in the other are one case told from two sides."""
    for victims in (True, False):
        sa = frozenset(p for p in a.subjects if a.is_victim(p) == victims)
        sb = frozenset(p for p in b.subjects if b.is_victim(p) == victims)
        if sa and sb and not any(could_be_one(p, q) for p in a.subjects for q in b.subjects):
            return f"leads about different people {label(sa)} vs {label(sb)}", 2.0
    return None


def recall_conflict(a: People, b: People) -> tuple[str, float] | None:
    """One report names the other's people only as background to a lead about someone else: two
    occurrences (a ring's launderers arrested at home; its leaders, recalled, arrested abroad)."""
    for x, y in ((a, b), (b, a)):
        recalled = x.recalled
        theirs = y.subjects or frozenset(p for p in y.named if p[0] == "surname")
        if not recalled or not theirs or any(_same_key(p, q) for p in x.subjects for q in y.named):
            continue
        if all(any(_same_key(q, r) for r in recalled) for q in theirs):
            return f"{label(recalled)} only recalled beside a lead about {label(x.subjects)}", 1.0
    return None
