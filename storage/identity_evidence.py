"""Evidence for and against two reports being one incident: named pieces with weights, and how where a fact
stands in a report (its lead or its body) weighs it. Pure."""
from __future__ import annotations

from dataclasses import dataclass, field

JOIN_SCORE = 3.25


@dataclass
class Evidence:
    name: str  # what is shared or conflicting, in words ("same site tuek-thla")
    weight: float


@dataclass
class Comparison:
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: list[Evidence] = field(default_factory=list)
    leads_apart: bool = False  # the two leads are about different places, sites or people

    @property
    def score(self) -> float:
        return round(sum(e.weight for e in self.evidence) - sum(c.weight for c in self.conflicts), 3)

    @property
    def joins(self) -> bool:
        return self.score >= JOIN_SCORE

    def explain(self) -> str:
        parts = [f"{e.name} (+{e.weight:g})" for e in self.evidence]
        parts += [f"{c.name} (-{c.weight:g})" for c in self.conflicts]
        return f"score {self.score:g}: " + ("; ".join(parts) if parts else "nothing shared")


def lead_factor(x: bool, y: bool, apart: bool = False) -> float:
    """A fact in the lead (title, first lines) of both reports counts fully; in one lead 0.75; a fact
    both mention only in passing (background, another case recalled) 0.4. When the two leads are
    about different subjects, a fact in one lead only is the other report's background: 0.4."""
    return 1.0 if (x and y) else 0.75 if (x or y) and not apart else 0.4
