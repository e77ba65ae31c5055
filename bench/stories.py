"""Story assignment benchmark: a store already holding N documents in stories (generated extractions of
incident reports spread over two years: places, ages, counts, surnames, sites, dates), then the time to
place PROBE new reports into stories. Run it at several sizes to see whether the cost stays flat.
Prints one JSON line per size: {"bench", "documents", "probe", "docs_per_s", "max_candidates",
"comparisons_per_doc"} (report-to-report comparisons per placed report: work, whatever the machine's load).
Works on any checkout whose storage has assign_stories (before/after comparisons: run with the other
checkout first on PYTHONPATH)."""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage.documents import get_document, save_extraction, upsert_document

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # a checkout named first on PYTHONPATH wins (before/after runs)
    sys.path.append(str(ROOT))

PLACES = [{"name": f"District {i}", "country": "KH", "admin1": f"Province {i % 12}", "geonameid": 900000 + i,
           "start": 30} for i in range(80)] + [
    {"name": "Phnom Penh", "country": "KH", "admin1": "Phnom Penh", "geonameid": 1821306, "start": 10},
    {"name": "Sihanoukville", "country": "KH", "admin1": "Preah Sihanouk", "geonameid": 1821935, "start": 10}]
SURNAMES = ["kim", "lee", "park", "choi", "jeong", "kang", "cho", "yoon", "jang", "lim"]
TYPES = ["kidnapping", "detention", "rescue", "death", "arrest", "repatriation"]
START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def extraction(rng: random.Random, case: int) -> tuple[dict[str, Any], datetime]:
    """A report of case `case`: the same case always gives the same core facts, reports vary a little."""
    crng = random.Random(case)
    day = START + timedelta(days=crng.randint(0, 700))
    published = day + timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 12))
    age = crng.randint(19, 60)
    data = {
        "relevant": True, "lang": "ko", "incident_types": crng.sample(TYPES, 2), "victim_nationality": "KR",
        "victim_count": crng.choice([1, 1, 2, 3, crng.randint(4, 60)]),
        "places": [crng.choice(PLACES), PLACES[-2]], "victim_ages": [{"value": age, "start": 40}],
        "victim_age_ranges": [], "ransoms": [],
        "identity": {"lead_chars": 220, "incident_cue": True, "sex": [], "sums": [], "counts": [],
                     "people": [{"kind": "surname", "key": crng.choice(SURNAMES), "given": "", "age": age}],
                     "sites": [{"id": "kind:hotel", "lead": True}],
                     "dates": [{"year": day.year, "month": day.month, "day": day.day, "weekday": None,
                                "month_offset": 0, "lead": True}]},
    }
    return data, published


def fill(store: Any, documents: int, rng: random.Random) -> None:
    """N documents in about N/3 cases, written in bulk as the store would hold them after placing each
    (story rows with facts, links, and identity keys where the checkout has them)."""
    from sqlalchemy import insert

    from storage import models
    from storage.story_facts import document_facts, facts_key, merge_facts

    try:
        from storage.identity import incident_from_extraction
    except ImportError:
        incident_from_extraction = None  # type: ignore[assignment]
    cases: dict[int, list[tuple[int, dict[str, Any], datetime]]] = {}
    for n in range(documents):
        case = rng.randint(0, max(1, documents // 3))
        data, published = extraction(rng, case)
        cases.setdefault(case, []).append((n + 1, data, published))
    docs: list[dict[str, Any]] = []
    exts: list[dict[str, Any]] = []
    stories: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    keys: set[tuple[int, str]] = set()
    now = datetime.now(UTC)
    for story_id, (_, reports) in enumerate(sorted(cases.items()), start=1):
        facts: dict[str, Any] = {}
        for doc_id, data, published in reports:
            docs.append({"id": doc_id, "item_id": f"bench/{doc_id}", "source_key": "bench",
                         "url": f"https://bench.example/{doc_id}", "canonical_url": f"https://bench.example/{doc_id}",
                         "url_hash": f"{doc_id:040d}", "title": f"case report {doc_id}", "body": f"report {doc_id}",
                         "summary": "", "lang": "ko", "country": "", "published_at": published, "fetched_at": now,
                         "updated_at": now, "content_hash": str(doc_id), "quality_flags": [], "story_id": story_id,
                         "extraction_version": "bench"})
            exts.append({"document_id": doc_id, "pipeline_version": "bench", "relevant": True,
                         "incident_types": data["incident_types"], "data": data, "extracted_at": now})
            links.append({"document_id": doc_id, "story_id": story_id, "reason": "bench", "score": 1.0,
                          "linked_at": now})
            facts = merge_facts(facts, document_facts(data))
            if incident_from_extraction is not None:
                keys.update((story_id, k) for k in incident_from_extraction(doc_id, data, published).identity_keys())
        stories.append({"id": story_id, "title": "case", "first_seen": min(r[2] for r in reports),
                        "last_seen": max(r[2] for r in reports), "updated_at": now, "created_at": now,
                        "incident_types": facts["types"], "is_incident": True, "countries": ["KH"],
                        "doc_count": len(reports), "facts": facts, "facts_key": facts_key(facts)})
    with store.write() as s:
        for model, rows in ((models.Story, stories), (models.Document, docs), (models.Extraction, exts),
                            (models.StoryLink, links)):
            for i in range(0, len(rows), 5000):
                s.execute(insert(model), rows[i : i + 5000])
        if hasattr(models, "StoryKey"):
            rows = [{"story_id": sid, "key": key} for sid, key in sorted(keys)]
            for i in range(0, len(rows), 5000):
                s.execute(insert(models.StoryKey), rows[i : i + 5000])


def probe(store: Any, count: int, offset: int, rng: random.Random) -> tuple[float, int, float]:
    from storage.stories import assign_stories

    ids = []
    for n in range(count):
        data, published = extraction(rng, rng.randint(0, 10**6))
        doc = upsert_document(store, {
            "item_id": f"probe/{offset + n}", "source_key": "bench", "url": f"https://probe.example/{offset + n}",
            "canonical_url": f"https://probe.example/{offset + n}", "title": "probe", "body": f"probe {n}",
            "lang": "ko", "published_at": published})
        save_extraction(store, doc.id, data, "bench")
        ids.append(doc.id)
    counted = _count_comparisons()
    started = time.perf_counter()
    assign_stories(store, ids)
    elapsed = time.perf_counter() - started
    comparisons = counted()
    return count / elapsed, _max_candidates(store, ids), comparisons / count


def _count_comparisons() -> Any:
    """Count calls of storage.identity.compare (pairwise report comparisons: work that does not depend
    on how busy the machine is); returns a function that stops counting and gives the count."""
    try:
        from storage import identity
    except ImportError:
        return lambda: -1
    original, calls = identity.compare, [0]

    def counting(a: Any, b: Any) -> Any:
        calls[0] += 1
        return original(a, b)

    identity.compare = counting  # compare_with_story looks it up in its module
    modules = [m for m in sys.modules.values() if getattr(m, "compare", None) is original and m is not identity]
    for module in modules:
        module.compare = counting  # type: ignore[attr-defined]

    def stop() -> int:
        identity.compare = original
        for module in modules:
            module.compare = original  # type: ignore[attr-defined]
        return calls[0]

    return stop


def _max_candidates(store: Any, ids: list[int]) -> int:
    try:
        from storage.identity import incident_from_extraction
    except ImportError:
        return -1  # a checkout without bounded candidates
    try:
        from storage.story_candidates import candidate_stories
    except ImportError:  # an older checkout: candidates were found in storage.stories
        from storage.stories import candidate_stories  # type: ignore[attr-defined,no-redef]
    worst = 0
    with store.read() as s:
        for doc_id in ids[:50]:
            doc = get_document(store, doc_id)
            assert doc is not None, doc_id
            published = datetime.fromisoformat(doc["published_at"])
            inc = incident_from_extraction(doc_id, doc["extraction"], published)
            worst = max(worst, len(candidate_stories(s, inc.identity_keys(), published, exclude_doc=doc_id)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="Store sizes (documents), comma-separated.")
    parser.add_argument("--probe", type=int, default=300, help="New reports placed and timed at each size.")
    parser.add_argument("--label", default="", help="A label for the output line (e.g. before / after).")
    args = parser.parse_args()
    from storage.repository import Store

    for size in (int(x) for x in args.sizes.split(",")):
        rng = random.Random(size)
        with tempfile.TemporaryDirectory(prefix="deskwatch-bench-stories-") as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
            fill(store, size, rng)
            rate, candidates, comparisons = probe(store, args.probe, size, rng)
            store.close()
        print(json.dumps({"bench": "stories", "label": args.label, "documents": size, "probe": args.probe,
                          "docs_per_s": round(rate, 1), "max_candidates": candidates,
                          "comparisons_per_doc": round(comparisons, 1)}), flush=True)


if __name__ == "__main__":
    main()
