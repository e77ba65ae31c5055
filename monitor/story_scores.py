"""How well stories match the incidents a person marked: pairwise precision/recall/F1 (overall and per
language pair) and B-cubed. Pure: article -> story and article -> event mappings in, numbers out."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from nlp.evaluate import Confusion

LANG_PAIRS = ("ko-ko", "en-en", "ko-en")


@dataclass
class PairScore(Confusion):
    """Same-incident pairs: a pair in one story is predicted, a pair sharing an event is expected."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def to_dict(self) -> dict[str, Any]:
        return self.row()


@dataclass
class StoryScores:
    articles: int
    events: int
    pairs: PairScore
    by_lang_pair: dict[str, PairScore]
    bcubed: dict[str, float]
    mixed_stories: list[list[str]]  # the events of each story that mixes two or more incidents
    wrong_pairs: list[tuple[str, str]] = field(default_factory=list)
    missed_pairs: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "events": self.events, "pairs": self.pairs.to_dict(),
                "by_lang_pair": {k: v.to_dict() for k, v in self.by_lang_pair.items()},
                "bcubed": self.bcubed, "stories_mixing_events": len(self.mixed_stories)}


def lang_pair(a: str, b: str) -> str:
    """'ko-en' whatever the order; ko before en before km."""
    order = {"ko": 0, "en": 1, "km": 2}
    x, y = sorted((a, b), key=lambda lang: (order.get(lang, 9), lang))
    return f"{x}-{y}"


def score_stories(story_of: dict[str, Any], event_of: dict[str, str | None], lang_of: dict[str, str]) -> StoryScores:
    """`story_of` maps each article to its story (None: in no story, i.e. alone); `event_of` to the
    incident a person marked (None: no specific incident)."""
    ids = sorted(event_of)
    cluster = {a: (story_of.get(a) if story_of.get(a) is not None else f"alone:{a}") for a in ids}
    pairs, by_lang = PairScore(), {k: PairScore() for k in LANG_PAIRS}
    wrong, missed = [], []
    for a, b in combinations(ids, 2):
        same_story = cluster[a] == cluster[b]
        same_event = event_of[a] is not None and event_of[a] == event_of[b]
        if not (same_story or same_event):
            continue
        lp = by_lang.setdefault(lang_pair(lang_of.get(a, "?"), lang_of.get(b, "?")), PairScore())
        for score in (pairs, lp):
            score.tp += same_story and same_event
            score.fp += same_story and not same_event
            score.fn += same_event and not same_story
        if same_story and not same_event:
            wrong.append((a, b))
        elif same_event and not same_story:
            missed.append((a, b))
    return StoryScores(
        articles=len(ids), events=len({e for e in event_of.values() if e}), pairs=pairs, by_lang_pair=by_lang,
        bcubed=bcubed(cluster, event_of), mixed_stories=_mixed(cluster, event_of),
        wrong_pairs=wrong, missed_pairs=missed,
    )


def bcubed(cluster: dict[str, Any], event_of: dict[str, str | None]) -> dict[str, float]:
    """B-cubed precision, recall and F1 averaged over the articles that have an event; an article with
    no event counts as an incident of its own."""
    gold = {a: (e if e is not None else f"none:{a}") for a, e in event_of.items()}
    members: dict[Any, list[str]] = defaultdict(list)
    for a, c in cluster.items():
        members[c].append(a)
    gold_size = Counter(gold.values())
    scored = [a for a in gold if event_of[a] is not None]
    if not scored:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    p = r = 0.0
    for a in scored:
        same = sum(1 for b in members[cluster[a]] if gold[b] == gold[a])
        p += same / len(members[cluster[a]])
        r += same / gold_size[gold[a]]
    p, r = p / len(scored), r / len(scored)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def _mixed(cluster: dict[str, Any], event_of: dict[str, str | None]) -> list[list[str]]:
    events: dict[Any, set[str]] = defaultdict(set)
    for a, c in cluster.items():
        if event_of[a] is not None:
            events[c].add(event_of[a])  # type: ignore[arg-type]
    return [sorted(e) for e in events.values() if len(e) > 1]
