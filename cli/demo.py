"""`deskwatch demo`: everything once, offline, on bundled sample sites, in a store of its own."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from cli.context import AppContext, pass_app
from monitor.config import Settings, data_dir

DEMO_FOLDER = "demo"
DEMO_DB = "deskwatch-demo.sqlite"


def demo_settings(settings: Settings) -> Settings:
    """The demo's own store and output folder inside the data directory: the sample sites' invented
    articles never land in the store that live crawls fill."""
    folder = data_dir(settings) / DEMO_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(update={"db_url": f"sqlite:///{folder / DEMO_DB}", "data_dir": folder})


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
@pass_app
def demo(app: AppContext, ctx: click.Context, as_json: bool) -> None:
    """Replay sample sites on 127.0.0.1, crawl, extract, store, alert and write the digest, in the
    demo's own store (not the default one) unless --db names one."""
    from monitor.demo import run_demo
    from storage.repository import Store

    chosen = ctx.parent is not None and ctx.parent.get_parameter_source("db_url") == ParameterSource.COMMANDLINE
    settings = app.settings if chosen else demo_settings(app.settings)
    store = app.store if chosen else Store(settings.db_url)
    try:
        summary = run_demo(store, settings, echo=(lambda _msg: None) if as_json else click.echo)
    finally:
        if not chosen:
            store.close()
    if as_json:
        click.echo(json.dumps({**summary.to_dict(), "database": store.display_url}, ensure_ascii=False))
        return
    c = summary.counts
    click.echo("")
    click.echo(f"database   {store.display_url}")
    for key in ("documents", "advisories", "stories", "incidents", "alerts", "digests"):
        click.echo(f"{key:<10} {c.get(key, 0)}")
    click.echo(f"new alerts {summary.alerts_new}")
    _next_steps(store.display_url, Path(summary.digest_html), chosen)


def _next_steps(db_url: str, digest_html: Path, chosen: bool) -> None:
    prog = _program()
    click.echo("")
    if not chosen:
        click.echo("The demo keeps its sample data in this store of its own; your default store is untouched.")
    click.echo("Next, open the web UI on the demo data:")
    click.echo(f"  {prog} --db {db_url} serve")
    click.echo("  then browse http://127.0.0.1:8000/ (search, stories, advisories, digests)")
    click.echo(f"The digest files (HTML, Markdown, chart) are in {digest_html.parent}/:")
    click.echo(f"  {digest_html.name}, {digest_html.with_suffix('.md').name}, {digest_html.with_suffix('.png').name}")


def _program() -> str:
    """How the user reached deskwatch (.venv/bin/deskwatch from `make demo`), to repeat in the hints."""
    argv0 = Path(sys.argv[0])
    if argv0.name != "deskwatch":
        return "deskwatch"
    relative = os.path.relpath(argv0)
    return relative if not relative.startswith("..") else str(argv0)
