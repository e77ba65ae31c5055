"""A PostgreSQL restart during ingest: on a throwaway cluster of our own (never the shared server), the
writer reconnects and retries, and every document arrives exactly once."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.invented_sites import articles_for, lost_and_doubled, stored_articles
from storage.documents import upsert_document
from storage.repository import Store

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as the postgres user (initdb refuses root). Output goes to a file, never a pipe:
    a postmaster started by pg_ctl inherits it and would hold a pipe open forever."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run([*prefix, *argv], stdout=out, stderr=out, stdin=subprocess.DEVNULL, text=True, check=False, timeout=60)
        out.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read(), out.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_cluster() -> Iterator[tuple[str, Path, Path]]:
    """(database URL, pg_ctl, cluster folder with data/ and log) of a PostgreSQL cluster started for this test and removed after."""
    bin_dir = _pg_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL binaries (or no runuser to leave root) to start a throwaway cluster")
    folder = Path(tempfile.mkdtemp(prefix="deskwatch-pg-"))
    data, port = folder / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    init = _as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr[-500:]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = bin_dir / "pg_ctl"
    started = _as_postgres(str(pg_ctl), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    assert started.returncode == 0, started.stderr
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", pg_ctl, folder
    finally:
        _as_postgres(str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_writer_survives_a_postgres_restart_mid_batch(own_cluster: tuple[str, Path, Path],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    url, pg_ctl, folder = own_cluster
    store = Store(url)
    arts = articles_for("pgr", 150, "en")
    written: list[int] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        for art in arts:
            doc = {"item_id": art.item_id, "source_key": "pgr", "url": f"https://invented.example{art.path}",
                   "canonical_url": f"https://invented.example{art.path}", "title": art.title, "body": art.body,
                   "lang": "en", "published_at": art.published}
            try:
                written.append(upsert_document(store, doc).id)
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
                return
            time.sleep(0.01)

    writer = threading.Thread(target=ingest)
    writer.start()
    while len(written) < 30 and writer.is_alive():
        time.sleep(0.01)
    restart = _as_postgres(str(pg_ctl), "-D", str(folder / "data"), "-l", str(folder / "log"), "-m", "fast", "-w",
                           "restart")
    assert restart.returncode == 0, restart.stderr
    writer.join(timeout=120)
    assert not errors, f"the writer gave up: {errors[0]!r}"
    assert 30 <= len(written) and len(set(written)) == len(arts)
    assert any("connection lost" in r.getMessage() for r in caplog.records), "the restart missed the batch"
    lost, doubled = lost_and_doubled(arts, stored_articles(url))
    assert (lost, doubled) == (set(), 0)
    store.close()
