"""`deskwatch`: the one command-line entry point; each part's commands live in monitor/commands/."""
from __future__ import annotations

import importlib
import logging
import sys

import click

from monitor.config import ConfigError
from monitor.context import AppContext

# (module, attribute) of every subcommand, in --help order.
COMMANDS: list[tuple[str, str]] = [
    ("monitor.commands.demo_cmds", "demo"),
    ("monitor.commands.crawl_cmds", "crawl"),
    ("monitor.commands.crawl_cmds", "sources"),
    ("monitor.commands.processing_cmds", "process"),
    ("monitor.commands.nlp_cmds", "extract"),
    ("monitor.commands.nlp_cmds", "evaluate"),
    ("monitor.commands.storage_cmds", "search"),
    ("monitor.commands.storage_cmds", "export"),
    ("monitor.commands.storage_cmds", "stories"),
    ("monitor.commands.storage_cmds", "db"),
    ("monitor.commands.core_cmds", "stats"),
    ("monitor.commands.advisory_cmds", "advisories"),
    ("monitor.commands.alert_cmds", "alerts"),
    ("monitor.commands.alert_cmds", "digest"),
    ("monitor.commands.alert_cmds", "run"),
    ("monitor.commands.alert_cmds", "jobs"),
    ("monitor.commands.web_cmds", "serve"),
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


def _register() -> None:
    for module_name, attr in COMMANDS:
        cli.add_command(getattr(importlib.import_module(module_name), attr))


_register()


def main() -> None:
    try:
        cli(prog_name="deskwatch")
    except ConfigError as exc:
        click.echo(f"deskwatch: configuration error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
