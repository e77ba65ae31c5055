"""`deskwatch crawl` and `deskwatch sources`: run spiders now, and list the registry with its health."""
from __future__ import annotations

import json
import logging
from typing import Any

import click

from cli.context import AppContext, pass_app
from cli.progress import progress
from crawler.crawl_store import CrawlStore
from crawler.sources import RegistryError, load_registry
from monitor import jobs
from storage.sources import list_sources

log = logging.getLogger(__name__)


def _registry(app: AppContext) -> list[Any]:
    try:
        return load_registry(app.settings.sources_file)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("crawl")
@click.argument("keys", nargs=-1)
@click.option("--url", help="Crawl this start URL instead of the registry's (one KEY only).")
@click.option("--all", "crawl_all", is_flag=True, help="Crawl every enabled source.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per run.")
@click.option("--any-host", is_flag=True, help="Allow a --url on a host other than loopback or the source's own.")
@pass_app
def crawl(app: AppContext, keys: tuple[str, ...], url: str | None, crawl_all: bool, as_json: bool,
          any_host: bool) -> None:
    """Crawl sources by registry KEY now (in this process) and record each run's health."""
    from crawler.runner import UnknownSourceError

    registry = _registry(app)
    chosen = [e.key for e in registry if e.enabled] if crawl_all else list(keys)
    if not chosen:
        raise click.UsageError("name at least one source KEY, or --all")
    if url and len(chosen) != 1:
        raise click.UsageError("--url needs exactly one source KEY")
    if url:
        _check_start_url(url, registry, chosen[0], any_host)
    try:
        with progress(len(chosen), "crawling", "sources", enabled=len(chosen) > 1 and not as_json) as advance:
            reports = jobs.crawl(app.store, app.settings, chosen, url_overrides={chosen[0]: url} if url else None,
                                 on_closed=lambda _key: advance(1))
    except UnknownSourceError as exc:
        raise click.ClickException(str(exc)) from exc
    for r in reports:
        if as_json:
            click.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{r.source:<22} {r.status:<8} pages={r.pages} items={r.items} new={r.new_items} errors={r.errors}")
            if r.error_summary:
                click.echo(f"  {r.error_summary[:500]}")
    if any(r.status == "failed" for r in reports):
        raise SystemExit(1)


def _check_start_url(url: str, registry: list[Any], key: str, any_host: bool) -> None:
    """No fetching of arbitrary hosts on a user's say-so: loopback or the source's registry host only."""
    from crawler.start_url import StartUrlError, check_start_url

    entry = next((e for e in registry if e.key == key), None)
    try:
        check_start_url(url, entry.url if entry else "", any_host=any_host)
    except StartUrlError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def sources(app: AppContext, as_json: bool) -> None:
    """List every registry source with its last success and failure."""
    registry = _registry(app)
    store = app.store
    CrawlStore(store).record_sources(registry)
    health = {row["key"]: row for row in list_sources(store)}
    rows = [_source_row(e, health.get(e.key, {})) for e in registry]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = "on " if r["enabled"] else "off"
        last = r["last_success_at"] or "never"
        fail = f" last failure {r['last_error_at']}" if r["last_error_at"] else ""
        click.echo(f"{state} {r['key']:<22} {r['kind']:<8} {r['country']} {r['lang']} {r['fetch']:<9} "
                   f"{r['schedule']:<8} ok {last}{fail}")


def _source_row(entry: Any, health: dict[str, Any]) -> dict[str, Any]:
    row = {f: getattr(entry, f) for f in ("key", "name", "kind", "country", "lang", "fetch", "url", "schedule", "enabled")}
    for field in ("last_run_at", "last_success_at", "last_error_at", "last_error", "consecutive_failures"):
        row[field] = health.get(field)
    if entry.option("note"):
        row["note"] = entry.option("note")
    return row
