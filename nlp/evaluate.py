"""Score `extract` against the gold set in tests/gold/*.jsonl: per-field P/R/F1 and the misses.

Matching rules (see tests/gold/README.md): places by (name, country) plus admin1 when gold
gives one; ages by value; ranges by (low, high); ransoms by (currency, amount) with a stated
USD figure that must agree within 1% (or, if gold has none, a converted one); incident types
per type; nationality/count/relevant/alert as labels (a wrong value is a FP and a FN).
"""
from __future__ import annotations

import json
import logging
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.pipeline import extract

logger = logging.getLogger(__name__)

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "tests" / "gold"
FIELDS = ("places", "victim_ages", "victim_age_ranges", "ransoms", "incident_types",
          "victim_nationality", "victim_count", "relevant", "alert")
ALERT_TYPES = {"kidnapping", "detention"}


class Confusion:
    """Precision and recall from true/false positive and false negative counts (1.0 when nothing was
    predicted, or nothing expected); shared by the field scores here and the alert rules' gold check."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class FieldScore(Confusion):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_gold(gold_dir: Path | str = DEFAULT_GOLD) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(Path(gold_dir).glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            docs.extend(json.loads(line) for line in fh if line.strip())
    return docs


def load_floors(path: Path | str) -> dict[str, float]:
    with Path(path).open("rb") as fh:
        return {k: float(v) for k, v in tomllib.load(fh)["floors"].items()}


def predicted_alert(pred: dict[str, Any]) -> bool:
    """The alert proxy: a relevant report of kidnapping/detention with Korean victims."""
    return bool(pred["relevant"] and pred["victim_nationality"] == "KR"
                and ALERT_TYPES & set(pred["incident_types"]))


def _keys(field_name: str, data: dict[str, Any], gold: bool) -> set[Any]:
    if field_name == "places":
        return {(p["name"], p["country"]) for p in data["places"]}
    if field_name == "victim_ages":
        return {a if gold else a["value"] for a in data["victim_ages"]}
    if field_name == "victim_age_ranges":
        return {tuple(r) if gold else (r["low"], r["high"]) for r in data["victim_age_ranges"]}
    if field_name == "ransoms":
        return {(r["currency"], round(float(r["amount"]))) for r in data["ransoms"]}
    if field_name == "incident_types":
        return set(data["incident_types"])
    value = data[field_name]
    return set() if value in (None, False) else {value}


def _ok_place(gold: dict[str, Any], pred: dict[str, Any], key: tuple[str, str]) -> bool:
    g = next(p for p in gold["places"] if (p["name"], p["country"]) == key)
    return g["admin1"] is None or any(p["admin1"] == g["admin1"] for p in pred["places"]
                                      if (p["name"], p["country"]) == key)


def _ok_ransom(gold: dict[str, Any], pred: dict[str, Any], key: tuple[str, int]) -> bool:
    g = next(r for r in gold["ransoms"] if (r["currency"], round(float(r["amount"]))) == key)
    preds = [r for r in pred["ransoms"] if (r["currency"], round(float(r["amount"]))) == key]
    if g["usd"] is None:
        return any(r["usd_converted"] for r in preds)
    return any(r["usd"] is not None and abs(r["usd"] - g["usd"]) <= 0.01 * g["usd"] for r in preds)


def score_doc(gold: dict[str, Any], pred: dict[str, Any], scores: dict[str, FieldScore]) -> None:
    for name in FIELDS:
        g, p = _keys(name, gold, True), _keys(name, pred, False)
        good = g & p
        if name == "places":
            good = {k for k in good if _ok_place(gold, pred, k)}
        elif name == "ransoms":
            good = {k for k in good if _ok_ransom(gold, pred, k)}
        s = scores[name]
        s.tp += len(good)
        s.fp += len(p - good)
        s.fn += len(g - good)
        if p - good or g - good:
            s.misses.append({"id": gold["id"], "missing": sorted(map(str, g - good)),
                             "spurious": sorted(map(str, p - good))})


def evaluate(docs: Iterable[dict[str, Any]]) -> dict[str, FieldScore]:
    scores: dict[str, FieldScore] = defaultdict(FieldScore)
    for gold in docs:
        pred = extract(gold["text"], gold.get("lang"), title=gold.get("title")).to_dict()
        pred["alert"] = predicted_alert(pred)
        score_doc(gold, pred, scores)
    return {name: scores[name] for name in FIELDS}


def below_floors(scores: dict[str, FieldScore], floors: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Fields whose F1 is under the pinned floor: name → (f1, floor)."""
    return {name: (scores[name].f1, floor) for name, floor in floors.items()
            if name in scores and scores[name].f1 + 1e-9 < floor}


def report(scores: dict[str, FieldScore]) -> dict[str, dict[str, Any]]:
    return {name: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                   "tp": s.tp, "fp": s.fp, "fn": s.fn} for name, s in scores.items()}
