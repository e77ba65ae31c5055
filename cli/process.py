"""`deskwatch process`: the batched nlp step over stored documents."""
from __future__ import annotations

import json

import click

from cli.context import AppContext, pass_app
from cli.progress import progress
from monitor import jobs
from storage.documents import count_documents_to_extract


@click.command("process")
@click.option("--reprocess", is_flag=True, help="Also redo documents extracted by an older pipeline version.")
@click.option("--all", "everything", is_flag=True, help="With --reprocess: re-extract every document.")
@click.option("--batch", default=200, show_default=True, help="Documents per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_app
def process(app: AppContext, reprocess: bool, everything: bool, batch: int, as_json: bool) -> None:
    """Extract places, ages, ransoms and incident types from new documents and merge them into stories."""
    import nlp

    if everything and not reprocess:
        raise click.UsageError("--all goes with --reprocess (re-extract every document)")
    total = count_documents_to_extract(app.store, nlp.PIPELINE_VERSION, reprocess=reprocess, everything=everything)
    with progress(total, "extracting", "documents", enabled=not as_json) as advance:
        report = jobs.process(app.store, reprocess=reprocess, batch=batch, progress=advance, everything=everything)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    d = report.to_dict()
    click.echo(
        f"processed {d['documents']} documents ({d['relevant']} relevant, {d['failed']} failed); "
        f"stories: {d['stories_created']} new, {d['stories_updated']} updated"
    )
