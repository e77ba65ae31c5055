"""The batched step after a crawl: run nlp over new or changed documents, store what it found,
and merge the documents into stories. Also brings old documents up to a new pipeline version."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nlp
from storage.documents import documents_to_extract, save_extraction, unplaced_relevant_documents
from storage.repository import Store
from storage.stories import StoryChange, assign_stories
from storage.story_rebuild import awaiting_extraction, detach_for_rebuild

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    documents: int = 0
    relevant: int = 0
    failed: int = 0
    stories_created: int = 0
    stories_updated: int = 0
    rebuilt: int = 0  # reports a reprocess took out of their stories to place again
    changes: list[StoryChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "relevant": self.relevant, "failed": self.failed,
            "stories_created": self.stories_created, "stories_updated": self.stories_updated,
            "rebuilt": self.rebuilt,
        }


def extract_document(doc: dict[str, Any]) -> dict[str, Any]:
    """nlp's Extraction for one stored document, as the contract dict."""
    result = nlp.extract(doc.get("body") or "", lang=doc.get("lang") or None, title=doc.get("title") or None)
    data = result.to_dict()
    data["id"] = doc["id"]
    return data


def process_pending(
    store: Store,
    *,
    reprocess: bool = False,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
    everything: bool = False,
) -> ProcessReport:
    """Extract every document that has no extraction at the current pipeline version (with `everything`:
    every document, whatever its version), in batches, then assign the batch to stories. A document that
    fails extraction is logged and skipped (it stays pending, so a fixed pipeline picks it up), never lost.
    A reprocess rebuilds the stories of the documents it re-extracts (storage.story_rebuild): they are
    placed again in document order, as a fresh run places them; reports analysts placed stay put."""
    report = ProcessReport()
    _place_left_over(store, report)
    rebuild = detach_for_rebuild(store, nlp.PIPELINE_VERSION, everything=everything) if reprocess else None
    report.rebuilt = rebuild.detached if rebuild else 0
    cursor = 0
    while docs := documents_to_extract(
        store, nlp.PIPELINE_VERSION, reprocess=reprocess, limit=batch, after_id=cursor, everything=everything
    ):
        cursor = docs[-1]["id"]
        done = _extract_batch(store, docs, report)
        if done:
            _record_changes(report, assign_stories(store, done, rebuild=rebuild))
        if progress:
            progress(len(docs))
    return report


def _place_left_over(store: Store, report: ProcessReport) -> None:
    """Assign stories to relevant documents an interrupted run extracted but never placed (kill -9 between
    the two steps), so their stories and alerts are not lost."""
    cursor = 0
    while doc_ids := unplaced_relevant_documents(store, after_id=cursor):
        cursor = doc_ids[-1]
        due = awaiting_extraction(store, doc_ids)  # an interrupted rebuild's: extracted, then placed in order
        if left := [d for d in doc_ids if d not in due]:
            log.info("placing %d extracted documents an interrupted run left without a story", len(left))
            _record_changes(report, assign_stories(store, left))


def _extract_batch(store: Store, docs: list[dict[str, Any]], report: ProcessReport) -> list[int]:
    done: list[int] = []
    for doc in docs:
        try:
            data = extract_document(doc)
        except Exception:
            log.exception("extraction failed for document %s (%s)", doc["id"], doc.get("url"))
            report.failed += 1
            continue
        save_extraction(store, doc["id"], data, nlp.PIPELINE_VERSION)
        report.documents += 1
        report.relevant += bool(data.get("relevant"))
        done.append(doc["id"])
    return done


def _record_changes(report: ProcessReport, changes: list[StoryChange]) -> None:
    for change in changes:
        report.changes.append(change)
        if change.created:
            report.stories_created += 1
        elif change.facts_changed:
            report.stories_updated += 1
