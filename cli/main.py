"""`deskwatch`: the one command-line entry point; each command group lives in its own module of cli/."""
from __future__ import annotations

import logging
import sys

import click

from cli import advisories, alerts, crawl, demo, nlp, process, schedule, serve, stats, store, stories
from cli.context import AppContext
from monitor.config import ConfigError
from storage.repository import StoreUnavailable

# Every subcommand (click lists them alphabetically in --help).
COMMANDS: list[click.Command] = [
    demo.demo, crawl.crawl, crawl.sources, process.process, nlp.extract, nlp.evaluate,
    store.search, store.export, stories.stories, stories.ingest, store.db, stats.stats, advisories.advisories,
    alerts.alerts, alerts.digest, schedule.run, schedule.jobs, serve.serve,
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="DESKWATCH_DB", help="Database URL (default: SQLite in the user data dir).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="A deskwatch.toml settings file.")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_path: str | None, verbose: int) -> None:
    """deskwatch: collect, understand, keep and act on reports of Koreans held abroad."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app = ctx.ensure_object(AppContext)
    app.db_url, app.config_path = db_url, config_path
    ctx.call_on_close(app.close)


for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    try:
        cli(prog_name="deskwatch")
    except ConfigError as exc:
        click.echo(f"deskwatch: configuration error: {exc}", err=True)
        sys.exit(2)
    except StoreUnavailable as exc:
        click.echo(f"deskwatch: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
