"""The registry: the real file loads, and a bad entry is refused with its file, line and reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import RegistryError, load_registry, schedule_seconds, validate_schedule

ENTRY = """
[[sources]]
key = "{key}"
name = "Example"
kind = "news"
country = "KR"
lang = "ko"
fetch = "{fetch}"
url = "https://example.com/rss"
schedule = "{schedule}"
"""


def _write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text("# registry\n" + "".join(entries), encoding="utf-8")
    return path


def test_real_registry_has_the_issue_sources_with_valid_fields() -> None:
    entries = {e.key: e for e in load_registry()}
    expected = {
        "yonhap-en", "korea-herald", "korea-times", "yonhap", "yonhap-international", "yonhap-society", "hani",
        "donga", "chosun", "sbs-society", "newsis", "newsis-sitemap", "khmer-times", "khmer-times-api",
        "camboja", "camboja-km", "phnompenh-post", "freshnews-en", "dap-news", "koh-santepheap",
        "kampuchea-thmey", "rfa-khmer",
    }
    assert expected <= set(entries)
    assert entries["khmer-times-api"].fetch == "wordpress" and entries["khmer-times-api"].option("category_slug")
    assert entries["newsis-sitemap"].fetch == "sitemap"
    for entry in entries.values():
        assert entry.url.startswith("https://"), entry.key
        if not entry.enabled:
            assert entry.option("note"), f"{entry.key} is disabled without a note saying why"
    assert {e.lang for e in entries.values() if e.country == "KH"} >= {"en", "km"}


def test_unknown_fetch_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, ENTRY.format(key="a-one", fetch="rss", schedule="30m"),
                  ENTRY.format(key="a-two", fetch="gopher", schedule="30m"))
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert err.value.line == 13 and "unknown fetch 'gopher'" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("schedule", ["every day", "0 */2 * *", "61 * * * *", "0m", ""])
def test_bad_schedule_is_refused(tmp_path: Path, schedule: str) -> None:
    path = _write(tmp_path, ENTRY.format(key="a-one", fetch="rss", schedule=schedule))
    with pytest.raises(RegistryError, match="schedule|lacks"):
        load_registry(path)


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, ENTRY.format(key="dup", fetch="rss", schedule="1h"),
                  ENTRY.format(key="dup", fetch="rss", schedule="1h"))
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert err.value.line == 13 and "duplicate key 'dup'" in err.value.reason and "line 3" in err.value.reason


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = _write(tmp_path, ENTRY.format(key="a-one", fetch="rss", schedule="1h"), "\nkey = = 'x'\n")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert err.value.line is not None and "not valid TOML" in err.value.reason


def test_missing_field_and_options_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, ENTRY.format(key="a-one", fetch="html", schedule="0 */2 * * *")
                  + 'link_selector = "a::attr(href)"\nenabled = false\n')
    (entry,) = load_registry(path)
    assert entry.option("link_selector") == "a::attr(href)" and entry.enabled is False
    assert entry.to_store_dict()["link_selector"] == "a::attr(href)"
    broken = _write(tmp_path, ENTRY.format(key="a-one", fetch="rss", schedule="1h").replace('name = "Example"\n', ""))
    with pytest.raises(RegistryError, match="lacks name"):
        load_registry(broken)


def test_schedules() -> None:
    assert schedule_seconds("30m") == 1800 and schedule_seconds("6h") == 21600 and schedule_seconds("0 * * * *") is None
    assert validate_schedule("0 */2 * * *") is None and validate_schedule("2d") is None
