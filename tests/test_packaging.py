"""Packaging: every folder of files inside the packages is declared (code and data alike), so building
prints no "Package would be ignored" warnings and an installed wheel carries its templates, data, replay
sites and default config."""
from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from importlib import resources
from pathlib import Path

from setuptools import find_namespace_packages

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_folder_of_files_is_a_declared_package_or_data_of_one() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]
    found = set(find_namespace_packages(str(PROJECT_ROOT), include=setuptools["packages"]["find"]["include"]))
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    roots = {p.split("*")[0] for p in setuptools["packages"]["find"]["include"]}
    for name in tracked.stdout.splitlines():
        path = Path(name)
        if path.parts[0] not in roots or path.suffix == ".py":
            continue
        folder = ".".join(path.parent.parts)
        if folder.replace(".", "").replace("_", "").isalnum():  # an importable name: must be a package
            assert folder in found, f"{name}: its folder {folder} is not declared"
        owner = next(p for p in sorted(found, key=len, reverse=True) if folder == p or folder.startswith(p + "."))
        rel = str(path.relative_to(*owner.split(".")))
        patterns = setuptools["package-data"].get(owner, []) + setuptools["package-data"].get(owner.split(".")[0], [])
        top_rel = str(path.relative_to(owner.split(".")[0]))
        globs = patterns + [p.replace("**/", "") for p in patterns]  # setuptools' ** matches no folder too
        assert any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(top_rel, p) for p in globs), f"{name} is not package data"


def test_the_default_config_ships_as_package_data() -> None:
    files = resources.files("config")
    assert (files / "sources.toml").is_file() and (files / "rules.toml").is_file()
