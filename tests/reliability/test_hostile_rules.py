"""Rules files that parse but would break delivery later, or write outside the data directory: refused at
load by the one schema with file, line and field; the scheduler's rule book keeps the last good rules and
`deskwatch alerts test` says so in one line."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.alerts.channels import ChannelSpec, JsonlChannel
from monitor.alerts.engine import deliver_pending, evaluate
from monitor.alerts.rules import RuleBook, RuleError, load_rules, parse_rules
from monitor.config import Settings
from storage.alerts import list_alerts
from storage.repository import Store
from tests.monitor.act_helpers import T0, add_story, extraction

GOOD = '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n[rules.when]\nincident_types = ["kidnapping"]\n'
KOREAN = ('# 한국인 납치 경보 규칙\n[[rules]]\nname = "kr"\ndescription = "캄보디아 한국인 감금"\nsubject = "incident"\n'
          'channels = ["console"]\n')
BAD_VALUES = [
    ('throttle = { max = 5, per = "100000000000000000000000d" }', "throttle.per", 5),
    ('throttle = { max = 100000000000000000000, per = "1h" }', "throttle.max", 5),
    ("[rules.when]\nmin_ransom_usd = nan", "when.min_ransom_usd", 6),
    ("[rules.when]\nmin_ransom_usd = inf", "when.min_ransom_usd", 6),
    ("[rules.when]\nmin_ransom_usd = -inf", "when.min_ransom_usd", 6),
    ("[rules.when]\nmin_ransom_usd = 1e400", "when.min_ransom_usd", 6),
    ('description = "x"\non = ["new", 3]', "on", 6),
]


@pytest.mark.parametrize(("extra", "field", "line"), BAD_VALUES)
def test_values_that_would_break_delivery_are_refused_at_load(extra: str, field: str, line: int) -> None:
    text = '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n' + extra + "\n"
    with pytest.raises(RuleError) as info:
        parse_rules(text, "rules.toml")
    assert (info.value.line, info.value.field) == (line, field), str(info.value)
    assert str(info.value).startswith(f"rules.toml:{line}:") and field in str(info.value)


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "inf", "1e9", "true"])
def test_webhook_timeout_must_be_a_positive_number_of_seconds(timeout: str) -> None:
    text = f'[channels.h]\ntype = "webhook"\nurl = "https://93.184.216.34/x"\ntimeout_s = {timeout}\n'
    with pytest.raises(RuleError) as info:
        parse_rules(text, "rules.toml")
    assert info.value.line == 4 and info.value.field == "channels.h.timeout_s", str(info.value)


def test_a_rules_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_bytes(KOREAN.encode("cp949"))
    with pytest.raises(RuleError) as info:
        load_rules(path)
    assert info.value.line == 1 and "not UTF-8" in str(info.value) and str(path) in str(info.value)


def test_the_rule_book_keeps_the_last_good_rules_through_every_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    book = RuleBook(path)
    assert [r.name for r in book.current()] == ["kr"]
    head = '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["console"]\n'
    bad_files = [KOREAN.encode("cp949"), b"\xff\xfe\x00[", *[(head + e + "\n").encode() for e, _, _ in BAD_VALUES]]
    for n, data in enumerate(bad_files, start=2):
        path.write_bytes(data)
        os.utime(path, ns=(1, n * 1_000_000_000_000_000_000))
        assert [r.name for r in book.current()] == ["kr"], data
        assert book.last_error is not None and book.last_error.line >= 1


def test_alerts_test_prints_one_line_for_a_bad_rules_file(tmp_path: Path) -> None:
    from cli.main import cli

    path = tmp_path / "rules.toml"
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    for data in (KOREAN.encode("cp949"), (GOOD + "min_ransom_usd = nan\n").encode()):
        path.write_bytes(data)
        result = CliRunner().invoke(cli, ["--db", db, "alerts", "test", str(path)])
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.exception
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "rules rejected" in lines[0] and f"{path}:" in lines[0], result.output
        assert "Traceback" not in result.output


# ---- 7. the jsonl channel writes inside the data directory only ------------------------------------
@pytest.mark.parametrize("target", ["../../../tmp/owned.jsonl", "/tmp/owned.jsonl", "out/../../owned.jsonl",
                                    "..\\\\owned.jsonl", ""])
def test_jsonl_path_outside_the_data_directory_is_refused(target: str) -> None:
    text = f'[channels.c]\ntype = "jsonl"\npath = "{target}"\n'
    with pytest.raises(RuleError) as info:
        parse_rules(text, "rules.toml")
    assert info.value.line == 3 and info.value.field == "channels.c.path", str(info.value)


def test_jsonl_through_a_symlink_out_of_the_data_directory_is_a_failed_delivery(tmp_path: Path) -> None:
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (data / "escape").symlink_to(outside, target_is_directory=True)
    rules = parse_rules('[channels.c]\ntype = "jsonl"\npath = "escape/alerts.jsonl"\n' + GOOD.replace('"console"', '"c"'))
    store = Store(f"sqlite:///{tmp_path / 'jsonl.sqlite'}")
    add_story(store, title="Korean held", data=extraction(["kidnapping"]))
    evaluate(store, rules, now=T0)
    report = deliver_pending(store, Settings(data_dir=data), rules=rules, now=T0)
    (alert,) = list_alerts(store)
    store.close()
    assert report.sent == 0 and "outside the data directory" in alert["last_error"]
    assert list(outside.iterdir()) == []
    inside = JsonlChannel(ChannelSpec("c", "jsonl", {"path": "sub/alerts.jsonl"}), Settings(data_dir=data))
    assert inside.path == (data / "sub" / "alerts.jsonl").resolve()
