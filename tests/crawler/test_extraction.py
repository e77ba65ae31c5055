"""The page-extraction pool (crawler/extraction.py): pages go over in chunks and come back in order, a page
that fails fails alone, and a lost worker turns into extraction errors, never a hang."""
from __future__ import annotations

import asyncio
import os
import signal

import pytest

from crawler import extraction
from crawler.extraction import ExtractionFailed, PageExtractor

PAGE = ("<html><head><title>{n}</title></head><body><article><h1>Headline {n}</h1>"
        "<p>{text}</p></article></body></html>")


def _page(n: int) -> str:
    return PAGE.format(n=n, text=f"Report number {n} from the province, police said on Tuesday. " * 12)


@pytest.fixture(autouse=True)
def fresh_pool():  # type: ignore[no-untyped-def]
    extraction._pool = None
    yield
    if extraction._pool is not None:
        extraction._pool.shutdown(wait=True, cancel_futures=True)
        extraction._pool = None


def test_pages_come_back_to_their_own_callers_and_a_bad_page_fails_alone() -> None:
    async def crawl() -> list[object]:
        extractor = PageExtractor(workers=1)
        calls = [extractor.extract(_page(n), f"https://e.test/{n}") for n in range(12)]
        calls.insert(5, extractor.extract(None, "https://e.test/bad"))  # type: ignore[arg-type]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(asyncio.wait_for(crawl(), 120))
    failed = results.pop(5)
    assert isinstance(failed, ExtractionFailed) and "Error" in str(failed)
    assert [f"Report number {n} " in r.body for n, r in enumerate(results)] == [True] * 12  # type: ignore[union-attr]


def test_a_lost_worker_fails_its_pages_and_the_next_pages_get_a_new_pool() -> None:
    async def crawl() -> tuple[object, object]:
        extractor = PageExtractor(workers=1)
        await extractor.extract(_page(0), "https://e.test/0")  # the pool is up
        pool = extraction._pool
        assert pool is not None
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        lost = await asyncio.gather(*(extractor.extract(_page(n), f"https://e.test/{n}") for n in (1, 2)),
                                    return_exceptions=True)
        again = await extractor.extract(_page(3), "https://e.test/3")
        return lost, again

    lost, again = asyncio.run(asyncio.wait_for(crawl(), 120))
    assert isinstance(lost[0], ExtractionFailed) and "BrokenProcessPool" in str(lost[0])  # type: ignore[index]
    # A page handed over after the loss goes to the new pool.
    assert isinstance(lost[1], ExtractionFailed) or "Report number 2 " in lost[1].body  # type: ignore[index]
    assert "Report number 3 " in again.body  # type: ignore[attr-defined]
