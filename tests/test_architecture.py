"""The import rules of docs/ARCHITECTURE.md, held against the code: each package imports only the
project packages below it. Imports inside functions and under TYPE_CHECKING count too."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = {"cli", "crawler", "monitor", "nlp", "storage", "web", "scheduler", "bench", "tests"}

# package -> the other project packages it may import (docs/ARCHITECTURE.md, "Allowed imports")
ALLOWED: dict[str, set[str]] = {
    "nlp": set(),
    "storage": set(),
    "crawler": {"storage"},
    "web": {"storage"},
    "monitor": {"crawler", "nlp", "storage"},
    "scheduler": {"monitor", "crawler", "storage"},
    "cli": {"crawler", "monitor", "nlp", "storage", "web", "scheduler"},
}


def _files(package: str) -> list[Path]:
    if package == "scheduler":
        return [PROJECT_ROOT / "scheduler.py"]
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import in `tree`, plus import_module("x")/__import__("x") calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def violations(package: str, files: list[Path], root: Path = PROJECT_ROOT) -> list[str]:
    """One line per forbidden import: the file (relative to `root`), the line, the module."""
    allowed = ALLOWED[package] | {package}
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in imported_modules(tree):
            top = module.split(".")[0]
            if top in PROJECT_PACKAGES and top not in allowed:
                found.append(f"{path.relative_to(root)}:{line}: imports {module} ({package}/ may not import {top})")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    found = violations(package, _files(package))
    assert not found, "import rules of docs/ARCHITECTURE.md broken:\n" + "\n".join(found)


# The crawler reaches storage through one door (docs/ARCHITECTURE.md); invented_sites.py is test and
# benchmark tooling that counts what a crawl stored.
CRAWLER_STORAGE_DOORS = {"crawler/crawl_store.py", "crawler/invented_sites.py"}


def test_the_crawler_reaches_storage_through_one_door() -> None:
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {module} (only crawler/crawl_store.py may)"
        for path in _files("crawler")
        if str(path.relative_to(PROJECT_ROOT)) not in CRAWLER_STORAGE_DOORS
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module.split(".")[0] == "storage"
    ]
    assert not found, "the crawler's door to storage is crawler/crawl_store.py:\n" + "\n".join(found)


def test_the_rules_are_the_documented_ones() -> None:
    """Every package with rules here has a row in docs/ARCHITECTURE.md's table, and the reverse."""
    doc = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = doc.split("## Allowed imports", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    documented = {}
    for name_cell, allowed_cell in rows:
        name = name_cell.strip().strip("`").removesuffix("/").removesuffix(".py")
        cells = {c.strip().strip("`").removesuffix("/").removesuffix(".py") for c in allowed_cell.split(",")}
        documented[name] = cells - {"nothing", ""}
    documented["cli"] = ALLOWED["cli"] if documented.get("cli") == {"everything"} else documented.get("cli", set())
    assert documented == ALLOWED


def test_a_planted_violation_is_named(tmp_path: Path) -> None:
    planted = tmp_path / "web" / "views" / "planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("def f():\n    from monitor.alerts.rules import load_rules\n", encoding="utf-8")
    found = violations("web", [planted], root=tmp_path)
    assert found == ["web/views/planted.py:2: imports monitor.alerts.rules (web/ may not import monitor)"]


MAX_LINES = 400  # STYLE.md: files under ~400 lines; migrations and data files are exempt
CODE_DIRS = ("cli", "crawler", "monitor", "nlp", "storage", "web", "bench")


def test_no_code_file_is_over_400_lines() -> None:
    too_long = []
    for folder in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or "replay_sites" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(PROJECT_ROOT)}: {lines} lines")
    scheduler = len((PROJECT_ROOT / "scheduler.py").read_text(encoding="utf-8").splitlines())
    if scheduler > MAX_LINES:
        too_long.append(f"scheduler.py: {scheduler} lines")
    assert not too_long, "split these by what each part is: " + "; ".join(too_long)
