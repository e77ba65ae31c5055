"""Act commands: `alerts` (evaluate + deliver, test, list, retry) and `digest`."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from cli.context import AppContext, pass_app
from monitor import jobs

log = logging.getLogger(__name__)


def _load_rules_or_exit(path: Path, settings: Any):  # type: ignore[no-untyped-def]
    from monitor.alerts.rules import RuleError, load_rules

    try:
        return load_rules(path, settings.webhook_allowed_hosts)
    except RuleError as exc:
        raise click.ClickException(f"rules rejected: {exc}") from exc


@click.group("alerts", invoke_without_command=True)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file (default: settings' rules_file).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def alerts(ctx: click.Context, rules_path: str | None, as_json: bool) -> None:
    """Evaluate alert rules against the store and deliver pending alerts (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext) or ctx.ensure_object(AppContext)
    rules = _load_rules_or_exit(Path(rules_path) if rules_path else app.settings.rules_file, app.settings)
    outcome = jobs.alert(app.store, app.settings, rules)
    created, report = outcome.created, outcome.delivery
    if as_json:
        click.echo(json.dumps({"enqueued": len(created), **report.to_dict()}))
        return
    click.echo(f"enqueued {len(created)} alerts; sent {report.sent}, retrying {report.retrying}, failed {report.failed}",
               err=True)
    for error in report.errors[:10]:
        click.echo(f"  {error}", err=True)


@alerts.command("test")
@click.argument("rules_path", type=click.Path(dir_okay=False))
@click.option("--gold", "gold_dir", type=click.Path(exists=True), help="Score incident rules on gold articles.")
@click.option("--min-precision", type=float, help="Exit 1 when a rule's precision is below this.")
@click.option("--min-recall", type=float, help="Exit 1 when a rule's recall is below this.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def alerts_test(
    app: AppContext, rules_path: str, gold_dir: str | None, min_precision: float | None, min_recall: float | None,
    as_json: bool,
) -> None:
    """Validate RULES and dry-run them: against the gold set (--gold) or the store (nothing is sent)."""
    rules = _load_rules_or_exit(Path(rules_path), app.settings)
    if gold_dir:
        _gold_report(rules, gold_dir, min_precision, min_recall, as_json)
        return
    from monitor.alerts.engine import decide

    decisions = decide(app.store, rules)
    rows = [{"rule": d.rule.name, "subject_type": d.subject_type, "subject_id": d.subject_id,
             "version": d.version, "title": d.payload.get("title"), "channels": list(d.rule.channels)}
            for d in decisions]
    if as_json:
        click.echo(json.dumps({"rules": len(rules), "matches": rows}, ensure_ascii=False))
        return
    click.echo(f"{len(rules)} rules valid; {len(rows)} matches in the store (dry run, nothing sent)")
    for row in rows:
        click.echo(f"  {row['rule']:<24} {row['subject_type']}:{row['subject_id']:<8} {row['title']}")


def _gold_report(rules: Any, gold_dir: str, min_precision: float | None, min_recall: float | None, as_json: bool) -> None:
    from monitor.alerts.gold import GoldError, read_gold, score_rules

    try:
        articles = list(read_gold(gold_dir))
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    scores = score_rules(list(rules), articles)
    if as_json:
        click.echo(json.dumps({"gold": gold_dir, "rules": [s.to_dict() for s in scores]}, ensure_ascii=False))
    else:
        click.echo(f"{len(articles)} gold articles")
        for s in scores:
            click.echo(f"  {s.rule:<24} precision {s.precision:.3f}  recall {s.recall:.3f}  "
                       f"(tp {s.tp}, fp {s.fp}, fn {s.fn}, tn {s.tn})")
            for label, ids in (("false positives", s.false_positives), ("false negatives", s.false_negatives)):
                if ids:
                    click.echo(f"    {label}: {', '.join(ids[:15])}")
    below = [s.rule for s in scores if (min_precision is not None and s.precision < min_precision)
             or (min_recall is not None and s.recall < min_recall)]
    if below:
        click.echo(f"below the floor: {', '.join(below)}", err=True)
        sys.exit(1)


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only alerts with this status.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_app
def alerts_list(app: AppContext, status: str | None, limit: int, as_json: bool) -> None:
    """The alert log and outbox: what was decided, where it went, and what is still pending or failed."""
    from storage.alerts import list_alerts

    rows = list_alerts(app.store, status=status, limit=limit)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        title = row["payload"].get("title", "")
        click.echo(f"#{row['id']:<5} {row['created_at'][:16]} {row['status']:<7} {row['attempts']}x "
                   f"{row['rule']:<22} {row['channel']:<10} {row['payload'].get('kind', '')}: {title}")
        if row["last_error"] and row["status"] != "sent":
            click.echo(f"       last error: {row['last_error']}")


@alerts.command("retry")
@pass_app
def alerts_retry(app: AppContext) -> None:
    """Put alerts that ran out of delivery attempts back in the outbox."""
    from storage.alerts import requeue_failed_alerts

    click.echo(f"requeued {requeue_failed_alerts(app.store)} failed alerts")


@click.command("digest")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The digest's day (default: the open digest, whose window contains now).")
@click.option("--send", is_flag=True, help="Also send it through the email channel.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def digest(app: AppContext, day: Any, send: bool, as_json: bool) -> None:
    """Build the daily digest (HTML + Markdown, archived in the store), optionally emailing it."""
    from monitor.alerts.channels import DeliveryError

    result = jobs.digest(app.store, app.settings, day.date() if day else None)
    sent = False
    if send:
        try:
            jobs.send_digest(app.store, app.settings, result)
            sent = True
        except DeliveryError as exc:
            raise click.ClickException(f"digest built ({result.html_path}) but not sent: {exc}") from exc
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "sent": sent}, ensure_ascii=False))
        return
    click.echo(f"digest {result.day}: {result.counts}")
    click.echo(f"  {result.html_path}\n  {result.md_path}")
