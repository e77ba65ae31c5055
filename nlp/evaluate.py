"""Score `extract` against gold articles: per-field P/R/F1, overall and per language, and the misses.

Matching rules: places by (name, country), plus admin1 when the gold gives one; ages by value; ranges
as the gold writes them (evalgold.range_key); ransoms by (currency, value), and the dollars must agree
within 1% with the figure the text states (gold usd null: no stated figure, a converted one is fine);
incident types per type; nationality/count/relevant/alert as labels (a wrong value is a FP and a FN).
The alert flag comes from a predicate the caller passes (the alert rule engine), else from a proxy;
`alert_keyword` scores the plain keyword rule "incident word + Korea" beside it.
"""
from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp import evalgold
from nlp.evalgold import ALERT_TYPES, context, find_span, range_key
from nlp.pipeline import extract

logger = logging.getLogger(__name__)

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "tests" / "gold"
FIELDS = ("places", "victim_ages", "victim_age_ranges", "ransoms", "incident_types",
          "victim_nationality", "victim_count", "relevant", "alert")
BASELINE_FIELDS = ("alert_keyword",)
AlertPredicate = Callable[[dict[str, Any], str, "str | None"], bool]
# The peers' keyword alert, for comparison only: an incident word and a Korea word in the same text.
KEYWORD_INCIDENT = re.compile(r"kidnap|abduct|hostage|captiv|detain|detention|confine|held against|"
                              r"납치|피랍|감금|억류|인질|ចាប់ជំរិត|ឃុំខ្លួន|ចាប់ខ្លួន", re.IGNORECASE)
KEYWORD_KOREA = re.compile(r"korea|한국|កូរ៉េ", re.IGNORECASE)

__all__ = ["ALERT_TYPES", "DEFAULT_GOLD", "FIELDS", "Confusion", "Evaluation", "FieldScore", "evaluate",
           "evaluate_docs", "load_floors", "load_gold"]


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

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class FieldScore(Confusion):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Evaluation:
    """Scores over all documents and per language, and each article's misses."""

    overall: dict[str, FieldScore] = field(default_factory=dict)
    by_lang: dict[str, dict[str, FieldScore]] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)
    docs: int = 0

    def to_dict(self, misses: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"docs": self.docs, "fields": report(self.overall),
                               "by_lang": {lang: report(s) for lang, s in sorted(self.by_lang.items())}}
        if misses:
            out["misses"] = [a for a in self.articles if a["misses"]]
        return out


def load_gold(path: Path | str = DEFAULT_GOLD) -> list[dict[str, Any]]:
    """Gold documents from a directory of *.jsonl (the invented set) or one real-article JSONL file."""
    return evalgold.load_gold(path)


def load_floors(path: Path | str) -> dict[str, float]:
    with Path(path).open("rb") as fh:
        return {k: float(v) for k, v in tomllib.load(fh)["floors"].items()}


def predicted_alert(pred: dict[str, Any], text: str = "", lang: str | None = None) -> bool:
    """The alert proxy when no rule is given: a relevant kidnapping/detention report with Korean victims."""
    return bool(pred["relevant"] and pred["victim_nationality"] == "KR"
                and ALERT_TYPES & set(pred["incident_types"]))


def keyword_alert(text: str) -> bool:
    """The plain keyword rule the issue compares against: an incident word and 'Korea' anywhere."""
    return bool(KEYWORD_INCIDENT.search(text) and KEYWORD_KOREA.search(text))


def _gold_items(name: str, gold: dict[str, Any]) -> dict[Any, Any]:
    """Expected keys of one field → a surface form to find in the text (or None)."""
    if name == "places":
        return {(p["name"], p["country"]): p.get("text") or p["name"] for p in gold["places"]}
    if name == "victim_ages":
        return {a: str(a) for a in gold["victim_ages"]}
    if name == "victim_age_ranges":
        return {r: None for r in gold["victim_age_ranges"]}
    if name == "ransoms":
        return {(r["currency"], round(r["value"])): r.get("text") for r in gold["ransoms"]}
    if name == "incident_types":
        return {t: None for t in gold["incident_types"]}
    value = gold[name]
    return {} if value in (None, False) else {value: None}


def _pred_items(name: str, pred: dict[str, Any], style: str) -> dict[Any, Any]:
    """Predicted keys of one field → their (start, end) in the text (or None)."""
    if name == "places":
        return {(p["name"], p["country"]): (p["start"], p["end"]) for p in reversed(pred["places"])}
    if name == "victim_ages":
        return {a["value"]: (a["start"], a["end"]) for a in reversed(pred["victim_ages"])}
    if name == "victim_age_ranges":
        return {range_key(r["low"], r["high"], style): (r["start"], r["end"])
                for r in reversed(pred["victim_age_ranges"])}
    if name == "ransoms":
        return {(r["currency"], round(float(r["amount"]))): (r["start"], r["end"]) for r in reversed(pred["ransoms"])}
    if name == "incident_types":
        return {t: None for t in pred["incident_types"]}
    value = pred[name]
    return {} if value in (None, False) else {value: None}


def _agrees(name: str, key: Any, gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    """Beyond the key: admin1 for places, the stated dollars for ransoms."""
    if name == "places":
        g = next(p for p in gold["places"] if (p["name"], p["country"]) == key)
        return g.get("admin1") is None or any(p["admin1"] == g["admin1"] for p in pred["places"]
                                              if (p["name"], p["country"]) == key)
    if name == "ransoms":
        g = next(r for r in gold["ransoms"] if (r["currency"], round(r["value"])) == key)
        preds = [r for r in pred["ransoms"] if (r["currency"], round(float(r["amount"]))) == key]
        if g["usd"] is None:
            return any(r["usd"] is None or r["usd_converted"] for r in preds)
        return any(r["usd"] is not None and abs(r["usd"] - g["usd"]) <= 0.01 * g["usd"] for r in preds)
    return True


def _miss(name: str, kind: str, key: Any, where: Any, text: str) -> dict[str, Any]:
    value = "/".join(map(str, key)) if isinstance(key, tuple) else str(key)
    span = where if isinstance(where, tuple) else find_span(text, where)
    out: dict[str, Any] = {"field": name, "kind": kind, "value": value}
    if span:
        out.update(span=text[span[0]:span[1]], context=context(text, *span))
    return out


def score_doc(doc: dict[str, Any], pred: dict[str, Any], tallies: list[dict[str, FieldScore]]) -> list[dict[str, Any]]:
    """Add one document's counts to every tally in `tallies`; return what it missed or invented."""
    gold, text, misses = doc["gold"], doc["text"], []
    for name in (*FIELDS, *BASELINE_FIELDS):
        gold_name = "alert" if name in BASELINE_FIELDS else name
        if gold_name not in gold:
            continue
        g = _gold_items(gold_name, gold)
        p = _pred_items(name, pred, gold.get("range_style", "span"))
        good = {k for k in g.keys() & p.keys() if _agrees(name, k, gold, pred)}
        found = [_miss(name, "missing", k, g[k], text) for k in g if k not in good]
        found += [_miss(name, "invented", k, p[k], text) for k in p if k not in good]
        for scores in tallies:
            s = scores.setdefault(name, FieldScore())
            s.tp, s.fp, s.fn = s.tp + len(good), s.fp + len(p.keys() - good), s.fn + len(g.keys() - good)
            if found:
                s.misses.append({"id": doc["id"], "missing": sorted(str(k) for k in g.keys() - good),
                                 "spurious": sorted(str(k) for k in p.keys() - good)})
        if name != "alert_keyword":
            misses.extend(found)
    return misses


def predict(doc: dict[str, Any], alert: AlertPredicate | None = None) -> dict[str, Any]:
    """The extraction of one gold document, plus the alert flags scored beside it."""
    pred = extract(doc["text"], doc.get("lang"), title=doc.get("title")).to_dict()
    full = f"{doc['title']}\n{doc['text']}" if doc.get("title") else doc["text"]
    pred["alert"] = (alert or predicted_alert)(pred, full, doc.get("lang"))
    pred["alert_keyword"] = keyword_alert(full)
    return pred


def evaluate_docs(docs: Iterable[dict[str, Any]], alert: AlertPredicate | None = None) -> Evaluation:
    """Run the pipeline on every gold document and score it, overall and per language."""
    result = Evaluation()
    for doc in docs:
        pred = predict(doc, alert)
        lang = pred["lang"] if doc.get("lang") is None else doc["lang"]
        tallies = [result.overall, result.by_lang.setdefault(lang, {})]
        misses = score_doc(doc, pred, tallies)
        result.articles.append({"id": doc["id"], "lang": lang, "misses": misses})
        result.docs += 1
    order = {name: i for i, name in enumerate((*FIELDS, *BASELINE_FIELDS))}
    result.overall = dict(sorted(result.overall.items(), key=lambda kv: order[kv[0]]))
    for lang, scores in result.by_lang.items():
        result.by_lang[lang] = dict(sorted(scores.items(), key=lambda kv: order[kv[0]]))
    return result


def evaluate(docs: Iterable[dict[str, Any]], alert: AlertPredicate | None = None) -> dict[str, FieldScore]:
    """Overall scores per field (see evaluate_docs for the per-language view and the misses)."""
    return evaluate_docs(docs, alert).overall


def below_floors(scores: dict[str, FieldScore], floors: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Fields whose F1 is under the pinned floor: name → (f1, floor)."""
    return {name: (scores[name].f1, floor) for name, floor in floors.items()
            if name in scores and scores[name].f1 + 1e-9 < floor}


def report(scores: dict[str, FieldScore]) -> dict[str, dict[str, Any]]:
    return {name: s.row() for name, s in scores.items()}
