"""`deskwatch process`: the batched nlp step over stored documents."""
from __future__ import annotations

import json

import click

from cli.context import AppContext, pass_app
from monitor import jobs


@click.command("process")
@click.option("--reprocess", is_flag=True, help="Also redo documents extracted by an older pipeline version.")
@click.option("--batch", default=200, show_default=True, help="Documents per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_app
def process(app: AppContext, reprocess: bool, batch: int, as_json: bool) -> None:
    """Extract places, ages, ransoms and incident types from new documents and merge them into stories."""
    with click.progressbar(length=0, label="extracting", hidden=as_json) as bar:
        report = jobs.process(app.store, reprocess=reprocess, batch=batch, progress=bar.update)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    d = report.to_dict()
    click.echo(
        f"processed {d['documents']} documents ({d['relevant']} relevant, {d['failed']} failed); "
        f"stories: {d['stories_created']} new, {d['stories_updated']} updated"
    )
