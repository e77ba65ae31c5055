"""The gold check: run nlp over the gold articles (tests/gold/*.jsonl, each with a boolean `alert`),
apply each incident rule's conditions, and score precision and recall against the labels."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.alerts.match import incident_matches, view_of_article
from monitor.alerts.rules import Rule
from nlp.evaluate import ALERT_TYPES, Confusion

log = logging.getLogger(__name__)

Extractor = Callable[[str, str | None], dict[str, Any]]


class GoldError(ValueError):
    """A gold file or line that cannot be used; says which file and line."""


@dataclass(frozen=True)
class GoldArticle:
    id: str
    lang: str | None
    text: str
    alert: bool
    source: str | None = None


@dataclass
class RuleScore(Confusion):
    rule: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "articles": self.tp + self.fp + self.fn + self.tn, "tp": self.tp, "fp": self.fp,
            "fn": self.fn, "tn": self.tn, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "false_positives": self.false_positives, "false_negatives": self.false_negatives,
        }


def read_gold(folder: str | Path) -> Iterator[GoldArticle]:
    """Every labelled article of every *.jsonl file in `folder` (or one file)."""
    folder = Path(folder)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else [folder]
    if not files or not files[0].exists():
        raise GoldError(f"{folder}: no gold *.jsonl files")
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield _gold_article(file, n, line)


def _gold_article(file: Path, n: int, line: str) -> GoldArticle:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldError(f"{file}:{n}: not JSON ({exc.msg})") from exc
    alert = _alert_label(row) if isinstance(row, dict) else None
    if alert is None or not isinstance(row.get("text"), str):
        raise GoldError(f"{file}:{n}: a gold line needs a string 'text' and a boolean 'alert' "
                        "(or an annotated 'gold' with incident_types and victim_nationality)")
    text = f"{row['title']}\n{row['text']}" if row.get("title") else row["text"]
    return GoldArticle(str(row.get("id", f"{file.stem}:{n}")), row.get("lang"), text, alert, row.get("source"))


def _alert_label(row: dict[str, Any]) -> bool | None:
    """The label: a top-level `alert`, or in the real-article format a `gold` object with its own
    `alert`, else derived from it as a kidnapping or detention whose victims are South Korean."""
    if isinstance(row.get("alert"), bool):
        return bool(row["alert"])
    gold = row.get("gold")
    if not isinstance(gold, dict):
        return None
    if isinstance(gold.get("alert"), bool):
        return bool(gold["alert"])
    types = gold.get("incident_types")
    if not isinstance(types, list) or "victim_nationality" not in gold:
        return None
    return bool(ALERT_TYPES & set(types)) and gold["victim_nationality"] == "KR"


def nlp_extractor(text: str, lang: str | None) -> dict[str, Any]:
    """nlp.extract as a dict (imported late: loading the pipelines takes seconds)."""
    import nlp

    return nlp.extract(text, lang=lang).to_dict()


def score_rules(rules: list[Rule], articles: list[GoldArticle], extractor: Extractor = nlp_extractor) -> list[RuleScore]:
    """Precision/recall of each incident rule's conditions on the gold articles."""
    incident_rules = [r for r in rules if r.subject == "incident" and r.enabled]
    scores = {r.name: RuleScore(r.name) for r in incident_rules}
    for article in articles:
        view = view_of_article(extractor(article.text, article.lang), article.text, article.lang, article.source)
        for rule in incident_rules:
            _tally(scores[rule.name], article, incident_matches(rule, view))
    return list(scores.values())


def _tally(score: RuleScore, article: GoldArticle, predicted: bool) -> None:
    if predicted and article.alert:
        score.tp += 1
    elif predicted:
        score.fp += 1
        score.false_positives.append(article.id)
    elif article.alert:
        score.fn += 1
        score.false_negatives.append(article.id)
    else:
        score.tn += 1


def first_incident_rule(rules: Iterable[Rule]) -> Rule | None:
    """The default alert rule: the first enabled incident rule of a rules file."""
    return next((r for r in rules if r.subject == "incident" and r.enabled), None)


def alert_predicate(rule: Rule) -> Callable[[dict[str, Any], str, str | None], bool]:
    """Does `rule` fire on one article's extraction? The same matching the engine applies to stories."""

    def fires(extraction: dict[str, Any], text: str, lang: str | None) -> bool:
        return incident_matches(rule, view_of_article(extraction, text, lang))

    return fires
