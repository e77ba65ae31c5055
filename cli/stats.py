"""Commands over the whole store."""
from __future__ import annotations

import json

import click

from cli.context import AppContext, pass_app
from storage.repository import table_counts


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Counts of documents, advisories, stories, incidents, alerts and digests."""
    counts = table_counts(app.store)
    if as_json:
        click.echo(json.dumps(counts))
        return
    for key, value in counts.items():
        click.echo(f"{key:<18} {value}")
