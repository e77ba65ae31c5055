"""Progress of long work on stderr: on a terminal a bar with count, rate and time left (tqdm); otherwise
(a log file, cron, CI) one plain line every few seconds, so the output stays readable."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

PLAIN_EVERY_S = 5.0


@contextmanager
def progress(total: int, label: str, unit: str, *, enabled: bool = True, stream: TextIO | None = None,
             tty: bool | None = None) -> Iterator[Callable[[int], None]]:
    """Yield `advance(n)`; reports `n` more of `total` `unit`s done under `label`."""
    out = stream or sys.stderr
    if not enabled or total <= 0:
        yield lambda _n: None
        return
    if out.isatty() if tty is None else tty:
        from tqdm import tqdm

        with tqdm(total=total, desc=label, unit=f" {unit}", file=out, dynamic_ncols=True) as bar:
            yield bar.update
        return
    plain = PlainProgress(total, label, unit, out)
    yield plain.advance
    plain.finish()


class PlainProgress:
    """'label: 400/1,200 documents, 35.1/s, about 23 s left' at most every PLAIN_EVERY_S seconds."""

    def __init__(self, total: int, label: str, unit: str, out: TextIO, clock: Callable[[], float] = time.monotonic):
        self.total, self.label, self.unit, self.out, self.clock = total, label, unit, out, clock
        self.done = self.shown = 0
        self.started = self.last = clock()

    def advance(self, n: int) -> None:
        self.done += n
        if self.clock() - self.last >= PLAIN_EVERY_S:
            self.write()

    def finish(self) -> None:
        if self.shown != self.done or not self.shown:
            self.write()

    def write(self) -> None:
        self.last, self.shown = self.clock(), self.done
        elapsed = max(self.last - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = f", about {_duration(left)} left" if left is not None and self.done < self.total else ""
        self.out.write(f"{self.label}: {self.done:,}/{self.total:,} {self.unit}, {rate:.1f}/s{eta}\n")
        self.out.flush()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
