"""Article pages to text beside the reactor: trafilatura runs in a pool of worker processes (started once
per crawling process, on the first big crawl), fed in chunks so handing pages over costs one pipe write
per chunk instead of one per page. Chunks adapt to the load: a page waits only while the workers are busy,
and the pages that gathered meanwhile go over together. A worker that dies breaks the pool: the pages it
held become extraction errors of their pages (the spider counts them as parse errors), and the next chunk
starts a fresh pool, so a crawl never hangs on a lost worker."""
from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.text import PageText, extract_page

log = logging.getLogger(__name__)

MAX_CHUNK_PAGES = 32  # pages per hand-over at most (bounds what a broken worker takes down with it)

_pool: ProcessPoolExecutor | None = None


class ExtractionFailed(RuntimeError):
    """A page's extraction raised in the worker (the message names the error) or the worker was lost."""


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """This process's pool of page-extraction workers, started on first use."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def discard_pool(broken: ProcessPoolExecutor) -> None:
    """Forget a broken pool (the next chunk starts a new one)."""
    global _pool
    if _pool is broken:
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def extract_pages(pages: Sequence[tuple[str, str]]) -> list[PageText | str]:
    """In a worker: each (html, url) to its PageText, or to the error that page raised (as text), so one bad
    page does not fail its chunk."""
    out: list[PageText | str] = []
    for page_html, url in pages:
        try:
            out.append(extract_page(page_html, url))
        except Exception as exc:  # noqa: BLE001 (reported per page by the spider)
            out.append(f"{type(exc).__name__}: {exc}")
    return out


class PageExtractor:
    """One crawl's door to the shared pool: `await extract(html, url)` gives the page's PageText or raises
    ExtractionFailed. One chunk per worker is out at a time; the pages that come meanwhile form the next."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.waiting: list[tuple[str, str, asyncio.Future[PageText]]] = []
        self.chunks_out = 0

    async def extract(self, page_html: str, url: str) -> PageText:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[PageText] = loop.create_future()
        self.waiting.append((page_html, url, done))
        if self.chunks_out < self.workers:
            self._hand_over(loop)
        return await done

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        while self.waiting and self.chunks_out < self.workers:
            chunk, self.waiting = self.waiting[:MAX_CHUNK_PAGES], self.waiting[MAX_CHUNK_PAGES:]
            pool = shared_pool(self.workers)
            try:
                future = pool.submit(extract_pages, [(page_html, url) for page_html, url, _ in chunk])
            except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down under us
                discard_pool(pool)
                self._fail(chunk, exc)
                continue
            self.chunks_out += 1
            future.add_done_callback(functools.partial(self._on_done, loop, chunk, pool))

    def _on_done(self, loop: asyncio.AbstractEventLoop, chunk: list[tuple[str, str, asyncio.Future[PageText]]],
                 pool: ProcessPoolExecutor, future: Future[list[PageText | str]]) -> None:
        """In the pool's thread: settle the chunk on the event loop."""
        loop.call_soon_threadsafe(self._settle, loop, chunk, future, pool)

    def _settle(self, loop: asyncio.AbstractEventLoop, chunk: list[tuple[str, str, asyncio.Future[PageText]]],
                future: Future[list[PageText | str]], pool: ProcessPoolExecutor) -> None:
        self.chunks_out -= 1
        error = future.exception()
        if error is not None:
            if isinstance(error, BrokenProcessPool):
                log.warning("a page-extraction worker was lost; %d pages fail and a new pool starts", len(chunk))
                discard_pool(pool)
            self._fail(chunk, error)
        else:
            for (_, _, done), result in zip(chunk, future.result(), strict=True):
                if done.done():
                    continue
                if isinstance(result, str):
                    done.set_exception(ExtractionFailed(result))
                else:
                    done.set_result(result)
        self._hand_over(loop)

    @staticmethod
    def _fail(chunk: list[tuple[str, str, asyncio.Future[PageText]]], error: BaseException) -> None:
        for _, _, done in chunk:
            if not done.done():
                done.set_exception(ExtractionFailed(f"{type(error).__name__}: {error}"))
