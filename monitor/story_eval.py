"""`deskwatch evaluate --stories`: ingest articles marked with the incident they report (`event`) into a
throwaway store, process them as deskwatch would, and score the stories it made against the marks."""
from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.ingest import IngestLineError, document_from_line, ingest_lines
from monitor.processing import process_pending
from monitor.story_scores import StoryScores, score_stories
from storage.repository import Store
from storage.stories import explain_pair

log = logging.getLogger(__name__)


class StoryEvalError(ValueError):
    """The marked file cannot be scored (missing, empty, no `event` field, bad lines)."""


@dataclass
class StoryEvaluation:
    scores: StoryScores
    misses: list[dict[str, Any]] = field(default_factory=list)
    story_of: dict[str, int | None] = field(default_factory=dict)  # article id -> story id (None: no story)


@dataclass
class _Marked:
    event_of: dict[str, str | None] = field(default_factory=dict)
    lang_of: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def read_marked(path: Path) -> _Marked:
    """The file's lines with each article's id, event and language; a bad line stops with its number."""
    marked = _Marked()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoryEvalError(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = document_from_line(line)
            item = json.loads(line)
            if "event" not in item:
                raise IngestLineError("no 'event' field (null for an article reporting no specific incident)")
        except IngestLineError as exc:
            raise StoryEvalError(f"{path}:{number}: {exc}") from None
        ref = doc["_ref"]
        if ref in marked.event_of:
            raise StoryEvalError(f"{path}:{number}: id {ref!r} appears twice")
        marked.event_of[ref] = item["event"] or None
        marked.lang_of[ref] = doc["lang"]
        marked.lines.append(line)
    if not marked.lines:
        raise StoryEvalError(f"{path} has no articles")
    return marked


def evaluate_stories(path: Path, *, with_misses: bool = False) -> StoryEvaluation:
    """Score deskwatch's stories on a marked file, on a fresh SQLite store that is thrown away after."""
    marked = read_marked(path)
    with tempfile.TemporaryDirectory(prefix="deskwatch-stories-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'eval.sqlite'}")
        try:
            doc_ids = ingest_lines(store, marked.lines).doc_ids
            process_pending(store)
            story_of = {ref: (store.get_document(doc_id) or {}).get("story_id") for ref, doc_id in doc_ids.items()}
            scores = score_stories(story_of, marked.event_of, marked.lang_of)
            misses = _misses(store, scores, doc_ids, marked) if with_misses else []
        finally:
            store.close()
    return StoryEvaluation(scores, misses, story_of)


def _misses(store: Store, scores: StoryScores, doc_ids: dict[str, int], marked: _Marked) -> list[dict[str, Any]]:
    out = []
    for kind, pairs in (("wrong merge", scores.wrong_pairs), ("missed merge", scores.missed_pairs)):
        for a, b in pairs:
            out.append({"kind": kind, "a": a, "b": b, "event_a": marked.event_of[a], "event_b": marked.event_of[b],
                        "evidence": explain_pair(store, doc_ids[a], doc_ids[b])})
    return out


def format_report(ev: StoryEvaluation) -> list[str]:
    """The printed table: overall and per language pair, B-cubed, stories mixing incidents, misses."""
    s = ev.scores
    lines = [f"{s.articles} articles, {s.events} events",
             f"{'pairs':8} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn"]
    for name, score in [("all", s.pairs), *s.by_lang_pair.items()]:
        lines.append(f"{name:8} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f}  "
                     f"{score.tp}/{score.fp}/{score.fn}")
    b = s.bcubed
    lines.append(f"B-cubed  {b['precision']:6.3f} {b['recall']:6.3f} {b['f1']:6.3f}")
    lines.append(f"stories mixing two or more events: {len(s.mixed_stories)}")
    for events in s.mixed_stories:
        lines.append("  mixes " + ", ".join(events))
    for miss in ev.misses:
        lines.append(f"{miss['kind']}: {miss['a']} ({miss['event_a']}) ~ {miss['b']} ({miss['event_b']})")
        lines.append(f"    {miss['evidence']}")
    return lines
