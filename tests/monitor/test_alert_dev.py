"""The default alert rule on the real-article dev set (../shared/eval-dev, kept outside the repository),
printed beside a plain keyword rule ("an incident word and Korea"), the way keyword-alert services work.

The dev texts are read in place and never copied here; the test skips when they are absent.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.alerts.gold import GoldArticle, RuleScore, read_gold, score_rules
from monitor.alerts.rules import load_rules
from monitor.config import CONFIG_DIR

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "eval-dev"
FILES = ("alert-stream.jsonl", "articles.jsonl")
# Pinned floors: raise them as nlp improves, never lower them silently.
RULE_PRECISION_FLOOR = 0.97
RULE_RECALL_FLOOR = 0.97

# The baseline: any incident word and any word for Korea, in any of the three languages.
INCIDENT_WORDS = ("kidnap", "abduct", "hostage", "ransom", "detain", "held captive", "납치", "피랍", "감금",
                  "억류", "인질", "몸값", "ចាប់ជំរិត", "ឃុំខ្លួន")
KOREA_WORDS = ("korea", "한국", "우리 국민", "កូរ៉េ")


def keyword_rule(article: GoldArticle) -> bool:
    text = article.text.casefold()
    return any(w in text for w in INCIDENT_WORDS) and any(w in text for w in KOREA_WORDS)


def _score_keyword(articles: list[GoldArticle]) -> RuleScore:
    score = RuleScore("keyword: incident word + Korea")
    for article in articles:
        hit = keyword_rule(article)
        score.tp += hit and article.alert
        score.fp += hit and not article.alert
        score.fn += article.alert and not hit
        score.tn += not hit and not article.alert
    return score


@pytest.fixture(scope="module")
def dev_articles() -> list[GoldArticle]:
    missing = [name for name in FILES if not (DEV / name).is_file()]
    if missing:
        pytest.skip(f"real-article dev set not found at {DEV} ({', '.join(missing)}): alert check skipped")
    return [a for name in FILES for a in read_gold(DEV / name)]


def test_default_rule_beats_keywords_on_real_articles(dev_articles: list[GoldArticle], capsys) -> None:  # type: ignore[no-untyped-def]
    rules = [r for r in load_rules(CONFIG_DIR / "rules.toml") if r.name == "korean-kidnapping"]
    (rule,) = score_rules(rules, dev_articles)
    keyword = _score_keyword(dev_articles)
    with capsys.disabled():
        print(f"\nalert rule on {len(dev_articles)} real dev texts (alert = kidnapping or detention of a South Korean)")
        for s in (rule, keyword):
            print(f"  {s.rule:<32} P {s.precision:.3f}  R {s.recall:.3f}  (tp {s.tp}, fp {s.fp}, fn {s.fn}, tn {s.tn})")
        if rule.false_positives or rule.false_negatives:
            print(f"  rule misses: fp {rule.false_positives}  fn {rule.false_negatives}")
    assert rule.precision >= RULE_PRECISION_FLOOR and rule.recall >= RULE_RECALL_FLOOR, rule.to_dict()
    assert rule.precision > keyword.precision and rule.recall >= keyword.recall
