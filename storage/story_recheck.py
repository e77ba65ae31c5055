"""When a new report shows that a story grew wrongly: pure logic (identity facts in, a split plan out).

A story can take a report that fits it loosely (a victim "in his 30s" in the same town, the same day) and
later meet a report that tells the two apart: a named victim of another age, another ransom. The new
report joined through one member yet contradicts the story's first report (its core). The story is then
re-read as two groups grown from two seeds, the core and the new report: each other member, in document
order, goes with the group it matches best; a member joins the new group only when it matches it well
enough to join a story (JOIN_SCORE) and better than the core's group. When the new group holds an earlier
member besides the new report, the story held two incidents, and that group is split out. Reports an
analyst pinned never move: a split that would move one is not made."""
from __future__ import annotations

from dataclasses import dataclass

from storage.identity import JOIN_SCORE, Comparison, Incident, compare

CONTRADICTION = 2.0  # conflict weight that tells two reports apart: differing exact ages, ransoms, leads


@dataclass(frozen=True)
class SplitPlan:
    move: list[int]  # document ids that leave the story, in order (the new report among them)
    reason: str  # in words, with the evidence: shown on the story page as a correction by "system"


def contradicts(c: Comparison) -> bool:
    """Two reports told apart: their conflicts weigh at least CONTRADICTION (differing exact ages, ransoms,
    leads about different places) and what they share, less the conflicts, is not enough to join."""
    return sum(x.weight for x in c.conflicts) >= CONTRADICTION and not c.joins


def plan_split(newcomer: Incident, members: list[Incident], pinned: frozenset[int] = frozenset()) -> SplitPlan | None:
    """Whether `newcomer`, just joined to a story whose reports are `members` (document order, core first,
    the newcomer not among them), shows the story to hold two incidents; if so, the reports to move out."""
    if len(members) < 2:
        return None
    core = members[0]
    against_core = compare(newcomer, core)
    if not contradicts(against_core):
        return None
    core_side, new_side = [core], [newcomer]
    for member in members[1:]:
        to_core = max(compare(member, x).score for x in core_side)
        to_new = [compare(member, x) for x in new_side]
        best_new = max(c.score for c in to_new)
        if best_new >= JOIN_SCORE and best_new > to_core and not any(contradicts(c) for c in to_new):
            new_side.append(member)
        else:
            core_side.append(member)
    earlier = new_side[1:]
    if not earlier or any(m.doc_id in pinned for m in new_side):
        return None
    move = sorted(m.doc_id for m in new_side)
    reason = (f"report {newcomer.doc_id} contradicts the story's first report {core.doc_id} "
              f"({'; '.join(c.name for c in against_core.conflicts)}) and matches report(s) "
              f"{', '.join(str(m.doc_id) for m in earlier)}: two incidents, split automatically")
    return SplitPlan(move=move, reason=reason)
