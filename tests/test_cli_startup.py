"""`deskwatch --help` and the light commands start without the heavy libraries: spaCy, Scrapy,
datasketch and FastAPI load only inside the commands that use them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("spacy", "kiwipiepy", "scrapy", "twisted", "datasketch", "fastapi", "uvicorn", "matplotlib")


def _modules_loaded(tmp_path: Path, *args: str) -> set[str]:
    """Run `python -X importtime -m cli ARGS` and return the top-level packages it imported."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DESKWATCH_DATA_DIR": str(tmp_path)}
    env.pop("DESKWATCH_DB", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            loaded.add(name.split(".")[0])
    assert loaded, "no -X importtime output was read"
    return loaded


@pytest.mark.parametrize("args", [("--help",), ("stats",), ("sources",), ("jobs",)], ids=" ".join)
def test_light_commands_do_not_import_heavy_libraries(tmp_path: Path, args: tuple[str, ...]) -> None:
    loaded = _modules_loaded(tmp_path, *args)
    assert "click" in loaded
    heavy = sorted(loaded.intersection(HEAVY))
    assert not heavy, f"`deskwatch {' '.join(args)}` imported {heavy}"
