"""The rules page when the file on disk is unusable: the parser's one-line reason, never a 500."""
from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient


def test_a_rules_file_that_is_not_utf8_shows_its_reason(client: TestClient, rules_file: Path) -> None:
    rules_file.write_bytes('# 한국인 납치 경보\n[[rules]]\nname = "kr"\n'.encode("cp949"))
    page = client.get("/rules")
    assert page.status_code == 200 and "not UTF-8" in page.text and "rules.toml:1" in page.text
