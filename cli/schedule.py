"""`deskwatch run` (the scheduler in the foreground) and `deskwatch jobs` (its plan and next run times)."""

from __future__ import annotations

import json

import click

import scheduler
from cli.context import AppContext, pass_app


@click.command("run")
@pass_app
def run(app: AppContext) -> None:
    """Run the scheduler in the foreground: crawls, processing, alerts and the digest (Ctrl-C stops)."""
    scheduler.run_forever(app.settings)


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_app
def jobs(app: AppContext, as_json: bool) -> None:
    """List the scheduler's jobs and their next run times."""
    for job in scheduler.planned_jobs_report(app.settings):
        if as_json:
            click.echo(json.dumps(job))
        else:
            when = (job["next_run_time"] or "-")[:19].replace("T", " ")
            state = "" if job["stored"] else "  (planned: no scheduler has stored it yet)"
            click.echo(f"{job['id']:<30} {when:<20} {job['trigger']}{state}")
