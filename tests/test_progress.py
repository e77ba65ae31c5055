"""Progress on long work: a plain line every few seconds when not on a terminal, with count, rate and
time left; a tqdm bar on a terminal; nothing when switched off (JSON output)."""
from __future__ import annotations

import io

from cli.progress import PLAIN_EVERY_S, PlainProgress, progress


def test_plain_lines_every_few_seconds_with_count_rate_and_time_left() -> None:
    now = [0.0]
    out = io.StringIO()
    plain = PlainProgress(1000, "extracting", "documents", out, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 1.0
        plain.advance(50)  # 50 documents a second
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 // int(PLAIN_EVERY_S)  # one line per PLAIN_EVERY_S seconds, not one per batch
    assert lines[-1] == "extracting: 500/1,000 documents, 50.0/s, about 10 s left"
    plain.finish()
    assert out.getvalue().splitlines()[-1].startswith("extracting: 500/1,000 documents")


def test_a_terminal_gets_a_bar_and_json_output_gets_nothing() -> None:
    out = io.StringIO()
    with progress(4, "crawling", "sources", stream=out, tty=True) as advance:
        for _ in range(4):
            advance(1)
    assert "crawling" in out.getvalue() and "4/4" in out.getvalue() and "sources/s" in out.getvalue()
    quiet = io.StringIO()
    with progress(4, "crawling", "sources", stream=quiet, enabled=False) as advance:
        advance(4)
    assert quiet.getvalue() == ""
    plain = io.StringIO()
    with progress(3, "extracting", "documents", stream=plain, tty=False) as advance:
        advance(3)
    assert plain.getvalue().strip() == "extracting: 3/3 documents, " + plain.getvalue().split(", ")[1].strip()
