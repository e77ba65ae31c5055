"""Rule files: the default rules load, a bad file is rejected with its line and reason, a running
RuleBook keeps the last good rules, and conditions match as documented."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.alerts.match import advisory_matches, incident_matches, view_of_article
from monitor.alerts.rules import RuleBook, RuleError, load_rules, parse_duration, parse_rules
from monitor.config import CONFIG_DIR
from tests.monitor.act_helpers import KIDNAP_BODY, extraction

GOOD = """
[channels.hook]
type = "webhook"
url = "https://hooks.example.org/x"

[[rules]]
name = "kr"
subject = "incident"
channels = ["console", "hook"]
[rules.when]
incident_types = ["kidnapping"]
victim_nationality = "kr"
"""


def test_default_rules_file_is_valid() -> None:
    rules = load_rules(CONFIG_DIR / "rules.toml")
    names = {r.name for r in rules}
    assert "korean-kidnapping" in names
    kidnapping = next(r for r in rules if r.name == "korean-kidnapping")
    assert {"kidnapping", "detention"} <= set(kidnapping.when["incident_types"])
    assert kidnapping.when["victim_nationality"] == "KR"


def test_good_rules_parse_and_normalize() -> None:
    rules = parse_rules(GOOD)
    (rule,) = rules.rules
    assert rule.channels == ("console", "hook") and rule.when["victim_nationality"] == "KR"
    assert rules.channels["hook"].type == "webhook"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"\n', 4, "TOML syntax"),
        ('[[rules]]\nname = "a\nsubject = "incident"\n', 2, "TOML syntax"),
        ('[[rules]]\nname = "a"\nsubject = "weather"\nchannels = ["console"]\n', 3, "'subject' has an unknown value 'weather'"),
        ('[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["pager"]\n', 4, "unknown channel 'pager'"),
        (('\n[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\n'
         'incident_types = ["kidnap"]\n'), 7, "'when.incident_types' has an unknown value 'kidnap'"),
        (('[[rules]]\nname = "a"\nsubject = "advisory_change"\nchannels = ["console"]\n[rules.when]\n'
         'min_ransom_usd = 5\n'), 6, "does not apply to subject 'advisory_change'"),
        (('[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"]\n'
         '[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"]\n'), 5, "used twice"),
        ('[channels.h]\ntype = "webhook"\nurl = "http://hooks.example.org/x"\n', 3, "must use https"),
        ('[channels.h]\ntype = "webhook"\nurl = "https://x.org"\npassword = "p"\n', 4, "environment variable"),
        ('[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"]\nthrottle = { max = 0, per = "1h" }\n',
         5, "'throttle.max' must be an integer from 1 to 100000"),
        ('[[rules]]\nname = "a"\nsubject = "incident"\nchannels = ["console"]\nexec = "rm -rf /"\n', 5, "unknown key"),
    ],
)
def test_bad_rules_name_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules(text, "rules.toml")
    assert info.value.line == line, str(info.value)
    assert reason in str(info.value)
    assert str(info.value).startswith(f"rules.toml:{line}:")


def test_loopback_webhook_only_when_the_operator_allows_it() -> None:
    text = '[channels.h]\ntype = "webhook"\nurl = "http://127.0.0.1:8123/hook"\n'
    with pytest.raises(RuleError, match="webhook_allowed_hosts"):
        parse_rules(text)
    rules = parse_rules(text, allowed_hosts=["127.0.0.1"])
    assert rules.channels["h"].options["url"].startswith("http://127.0.0.1")


def test_rulebook_keeps_last_good_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    book = RuleBook(path)
    assert [r.name for r in book.current()] == ["kr"]
    path.write_text(GOOD.replace('subject = "incident"', 'subject = "nope"'), encoding="utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    assert [r.name for r in book.current()] == ["kr"]
    assert book.last_error is not None and "subject" in str(book.last_error)
    path.write_text(GOOD.replace('name = "kr"', 'name = "kr2"'), encoding="utf-8")
    os.utime(path, ns=(1, 3_000_000_000_000_000_000))
    assert [r.name for r in book.current()] == ["kr2"] and book.last_error is None


def test_rulebook_without_good_rules_raises(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[rules]]\nname = 1\n", encoding="utf-8")
    with pytest.raises(RuleError):
        RuleBook(path).current()


def test_durations() -> None:
    assert parse_duration("30m") == 1800 and parse_duration("6h") == 21600 and parse_duration("2d") == 172800
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_incident_conditions() -> None:
    rules = parse_rules(
        '[[rules]]\nname = "big"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\n'
        'incident_types = ["kidnapping"]\nvictim_nationality = "KR"\nmin_ransom_usd = 10000\n'
        'places = ["sihanoukville"]\nlanguages = ["en"]\nkeywords = ["ransom"]\nexclude_keywords = ["drill"]\n'
    ).rules[0]
    hit = view_of_article(extraction(["kidnapping"], ransom_usd=20000.0), KIDNAP_BODY, "en")
    assert incident_matches(rules, hit)
    assert not incident_matches(rules, view_of_article(extraction(["kidnapping"], ransom_usd=5000.0), KIDNAP_BODY, "en"))
    assert not incident_matches(rules, view_of_article(extraction(["kidnapping"], None, ransom_usd=2e4), KIDNAP_BODY, "en"))
    assert not incident_matches(rules, view_of_article(extraction(["rescue"], ransom_usd=2e4), KIDNAP_BODY, "en"))
    assert not incident_matches(rules, view_of_article(extraction(["kidnapping"], ransom_usd=2e4), KIDNAP_BODY, "ko"))
    drill = KIDNAP_BODY + " It was a drill."
    assert not incident_matches(rules, view_of_article(extraction(["kidnapping"], ransom_usd=2e4, body=drill), drill, "en"))


def test_advisory_conditions() -> None:
    rule = parse_rules(
        '[[rules]]\nname = "up"\nsubject = "advisory_change"\nchannels = ["console"]\n[rules.when]\n'
        'countries = ["KH"]\nmin_level = 3\ndirection = "up"\n'
    ).rules[0]
    change = {"issuer": "us_state", "country": "KH", "level": 3, "previous_level": 2}
    assert advisory_matches(rule, change)
    assert not advisory_matches(rule, {**change, "level": 2, "previous_level": 3})  # down
    assert not advisory_matches(rule, {**change, "level": 2, "previous_level": 1})  # below min level
    assert not advisory_matches(rule, {**change, "country": "TH"})


def test_nationality_inferred_only_when_unstated_and_opted_in() -> None:
    rule = parse_rules(
        '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\n'
        'victim_nationality = "KR"\nnationality_inferred_from = ["places", "language"]\n'
    ).rules[0]
    strict = parse_rules('[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n'
                         '[rules.when]\nvictim_nationality = "KR"\n').rules[0]
    body = "A teacher from Pohang was abducted in Sihanoukville."
    unstated = extraction(["kidnapping"], None, body=body)
    unstated["places"].append({"text": "Pohang", "name": "Pohang", "country": "KR", "start": 17, "end": 23})
    assert incident_matches(rule, view_of_article(unstated, body, "en"))  # a Korean hometown
    assert not incident_matches(strict, view_of_article(unstated, body, "en"))
    assert incident_matches(rule, view_of_article(extraction(["kidnapping"], None), KIDNAP_BODY, "ko"))  # language
    assert not incident_matches(rule, view_of_article(extraction(["kidnapping"], "CN"), KIDNAP_BODY, "ko"))  # stated
    with pytest.raises(RuleError, match="nationality_inferred_from"):
        parse_rules('[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\n'
                    'nationality_inferred_from = ["vibes"]\n')


def test_default_rule_takes_nationality_from_nlp_only() -> None:
    """The default rule does not infer KR from a Korean place or a Korean-language article: nlp already
    weighs that evidence and refuses it when the victims are stated to be of another nationality."""
    rule = next(r for r in load_rules(CONFIG_DIR / "rules.toml") if r.name == "korean-kidnapping")
    assert "nationality_inferred_from" not in rule.when
    body = "중국인 관광객이 제주에서 납치됐다가 몸값 30만 위안을 건넨 뒤 풀려났다."
    chinese_victim = extraction(["kidnapping"], None, body=body)
    chinese_victim["places"].append({"text": "제주", "name": "Jeju", "country": "KR", "start": 8, "end": 10})
    assert not incident_matches(rule, view_of_article(chinese_victim, body, "ko"))
