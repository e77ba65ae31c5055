"""What the crawler needs at run time is named directly in pyproject.toml, so any pip (an old one drops
the `lxml[html_clean]` extra on lxml 6) installs a crawler whose spiders load."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _declared() -> set[str]:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps}


def test_lxml_html_clean_and_tldextract_are_direct_dependencies() -> None:
    declared = _declared()
    assert "lxml-html-clean" in declared  # trafilatura -> justext -> lxml.html.clean
    assert "tldextract" in declared  # crawler.sources.registrable_domain imports it


def test_the_html_cleaner_trafilatura_needs_imports() -> None:
    import lxml_html_clean  # noqa: F401
    from lxml.html.clean import Cleaner

    assert Cleaner(javascript=True).clean_html("<p>a<script>x()</script></p>") == "<p>a</p>"
