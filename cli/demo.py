"""`deskwatch demo`: everything once, offline, on bundled sample sites."""
from __future__ import annotations

import json

import click

from cli.context import AppContext, pass_app


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@pass_app
def demo(app: AppContext, as_json: bool) -> None:
    """Replay sample sites on 127.0.0.1, crawl, extract, store, alert and write the digest."""
    from monitor.demo import run_demo

    echo = (lambda _msg: None) if as_json else click.echo
    summary = run_demo(app.store, app.settings, echo=echo)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    c = summary.counts
    click.echo("")
    click.echo(f"database   {app.store.url}")
    for key in ("documents", "advisories", "stories", "incidents", "alerts", "digests"):
        click.echo(f"{key:<10} {c.get(key, 0)}")
    click.echo(f"new alerts {summary.alerts_new}")
    click.echo(f"digest     {summary.digest_html}")
    click.echo(f"           {summary.digest_md}")
