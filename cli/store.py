"""`deskwatch search`, `export` and `db`: the store's commands (stories live in cli/stories.py)."""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import click
from alembic.util import CommandError

from cli.context import AppContext, fail, pass_app
from storage.db import make_engine, resolve_db_url
from storage.export import FORMATS, incidents, write_incidents
from storage.migrate import MigrationError, current_revision, head_revision, upgrade_to_head
from storage.repository import table_counts
from storage.search import SORTS, SearchError, SearchResult
from storage.search import search as run_search
from storage.search_sql import FILTER_NAMES

_MARK = re.compile(r"</?mark>")


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The search filters as options, shared by `search` and `export`."""
    options = [
        click.option("--since", "date_from", metavar="YYYY-MM-DD", help="Published on or after this day."),
        click.option("--until", "date_to", metavar="YYYY-MM-DD", help="Published on or before this day."),
        click.option("--source", multiple=True, help="Source key (repeatable)."),
        click.option("--lang", multiple=True, help="Language: ko, en, km (repeatable)."),
        click.option("--country", multiple=True, help="Country of a place named in the report, e.g. KH."),
        click.option("--admin1", multiple=True, help="Province/state of a place, e.g. 'Preah Sihanouk'."),
        click.option("--place", multiple=True, help="Place name as the gazetteer spells it."),
        click.option("--incident-type", "incident_type", multiple=True, help="kidnapping, detention, rescue, …"),
        click.option("--has-ransom/--no-ransom", "has_ransom", default=None, help="Only reports with (without) a ransom."),
        click.option("--ransom-min", "ransom_usd_min", type=float, help="Ransom at least this many USD."),
        click.option("--ransom-max", "ransom_usd_max", type=float, help="Ransom at most this many USD."),
        click.option("--age-min", type=int, help="A victim at least this old."),
        click.option("--age-max", type=int, help="A victim at most this old."),
        click.option("--story", "story_id", type=int, help="Reports of one story."),
        click.option("--incidents-only", is_flag=True, default=None, help="Only reports that belong to an incident."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pop_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The search filters among a command's keyword arguments, in storage's filter order."""
    return {k: v for k in FILTER_NAMES if (v := kwargs.pop(k, None)) not in (None, (), [])}


@click.command("search")
@click.argument("query", nargs=-1)
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@pass_app
def search(app: AppContext, query: tuple[str, ...], sort: str, page: int, per_page: int, as_json: bool,
               **kwargs: Any) -> None:
    """Search stored reports: words (all must match), "quoted phrases", OR, -exclusion, (groups).
    Korean, English and Khmer; filters narrow the result; facet counts come with it."""
    filters = pop_filters(kwargs)
    try:
        result = run_search(app.store, " ".join(query), filters, sort=sort, page=page, per_page=per_page)
    except SearchError as exc:
        fail("search", str(exc))
        return
    if result.total == 0 and table_counts(app.store)["documents"] == 0:
        click.echo(f"deskwatch search: the store {app.store.display_url} is empty: nothing has been collected "
                   "into it yet (`deskwatch crawl`, or `deskwatch demo` for sample data in a store of its own)",
                   err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_result(result)


def print_result(result: SearchResult) -> None:
    total = f"{result.total}" if result.total_exact else f"{result.total}+"
    first = (result.page - 1) * result.per_page + 1
    click.echo(f"{total} results ({result.took_ms:.0f} ms); showing {first}–{first + len(result.hits) - 1}")
    for hit in result.hits:
        d = hit.document
        day = (d["published_at"] or "")[:10]
        click.echo("")
        click.echo(click.style(f"{d['title'] or '(no title)'}", bold=True) + f"  [{d['id']}]")
        click.echo(f"  {day}  {d['source']}  {d['lang']}" + (f"  story {d['story_id']}" if d["story_id"] else ""))
        snippet = html.unescape(_MARK.sub(lambda m: "]" if m.group(0) == "</mark>" else "[", hit.snippet_html))
        click.echo(f"  {snippet}")
        click.echo(f"  {d['url']}")
    shown = {name: values for name, values in result.facets.items() if values}
    if shown:
        click.echo("")
    for name, values in shown.items():
        click.echo(f"{name:<14} " + ", ".join(f"{v} ({n})" for v, n in values[:8]))


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--q", "query", default="", help="Search query: export incidents with a matching report.")
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@pass_app
def export(app: AppContext, fmt: str, query: str, output: str | None, **kwargs: Any) -> None:
    """Export incidents (stories with incident types) as CSV, JSONL or GeoJSON points."""
    try:
        records = incidents(app.store, query, pop_filters(kwargs))
    except SearchError as exc:
        fail("export", str(exc))
        return
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            count = write_incidents(records, fmt, fh)
        click.echo(f"wrote {count} incidents to {output}", err=True)
    else:
        count = write_incidents(records, fmt, click.get_text_stream("stdout"))  # type: ignore[operator]
    if fmt == "geojson" and count < len(records):
        click.echo(f"{len(records) - count} incidents have no coordinates and are not in the GeoJSON", err=True)


@click.group("db")
def db() -> None:
    """The database schema: migrate it, or show its revision."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Migrate the database to the newest schema (Store does this on open too)."""
    engine = make_engine(app.settings.db_url)
    try:
        before = current_revision(engine)
        after = upgrade_to_head(engine, revision)
    except (MigrationError, CommandError) as exc:
        fail("db upgrade", str(exc))
        return
    finally:
        engine.dispose()
    click.echo(f"{resolve_db_url(app.settings.db_url)}: {before or 'empty'} -> {after}")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Print the database's revision and the newest one this deskwatch knows."""
    engine = make_engine(app.settings.db_url)
    try:
        click.echo(f"current {current_revision(engine) or 'none'}; head {head_revision()}")
    finally:
        engine.dispose()
