"""`deskwatch ingest`, `deskwatch stories` (list, show, merge, split) and the stories part of
`deskwatch evaluate --stories`: thin wrappers over monitor.ingest, storage's stories and monitor.story_eval."""
from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from cli.context import AppContext, fail, pass_app


@click.command("ingest")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_app
def ingest(app: AppContext, source: IO[str], as_json: bool) -> None:
    """Add documents from elsewhere: FILE (or - for stdin) holds one JSON object a line with url, outlet,
    lang, date, title and text. Idempotent by URL; a bad line is reported with its number, the rest goes in.
    Run `deskwatch process` after to extract them and place them in stories."""
    from monitor.ingest import ingest_lines

    try:
        report = ingest_lines(app.store, source)
    except UnicodeDecodeError as exc:
        fail("ingest", f"the input is not UTF-8 text ({exc.reason})")
        return
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        for number, message in report.errors:
            click.echo(f"line {number}: {message}", err=True)
        click.echo(f"ingested {report.added} new, {report.updated} updated, {report.unchanged} unchanged; "
                   f"{len(report.errors)} bad line(s)")
    if report.errors:
        sys.exit(1)


class _StoriesGroup(click.Group):
    """`deskwatch stories 12` still shows story 12: a number where a subcommand goes means `show`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].isdigit():
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("stories", cls=_StoriesGroup, invoke_without_command=True)
@click.option("--incidents", "incidents_only", is_flag=True, help="Only stories with incident types.")
@click.option("--since", type=click.DateTime(), help="Updated at or after this time (UTC).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stories(ctx: click.Context, incidents_only: bool, since: datetime | None, limit: int, as_json: bool) -> None:
    """List stories (reports of one event merged across outlets and languages), or show one with why
    each report joined it (`deskwatch stories ID`); merge and split them by hand."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.stories import list_stories

    app = ctx.ensure_object(AppContext)
    since_utc = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    rows = list_stories(app.store, incidents_only=incidents_only, since=since_utc, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for st in rows:
        ransom = f" ${st['max_ransom_usd']:,.0f}" if st["max_ransom_usd"] else ""
        click.echo(f"{st['id']:>6}  {(st['first_seen'] or '')[:10]}  {st['doc_count']:>3} docs  "
                   f"{'/'.join(st['incident_types']) or '-':<24}{ransom}  {st['title']}")


@stories.command("show")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show(app: AppContext, story_id: int, as_json: bool) -> None:
    """Show one story: its facts, its reports with why each joined, and the corrections made by hand."""
    from storage.stories import get_story

    story = get_story(app.store, story_id)
    if story is None:
        fail("stories", f"no story {story_id}")
        return
    if as_json:
        click.echo(json.dumps(story, ensure_ascii=False))
        return
    print_story(story)


def print_story(story: dict[str, Any]) -> None:
    click.echo(click.style(story["title"], bold=True) + f"  [story {story['id']}]")
    facts = story["facts"]
    click.echo(f"types {', '.join(facts['types']) or '-'}; ages {facts['ages'] or '-'}; "
               f"ransoms {facts['ransoms_usd'] or '-'} USD; deaths {facts['deaths']}")
    click.echo("places " + (", ".join(p.get("name") or "?" for p in facts["places"]) or "-"))
    pinned = set(story.get("pinned") or [])
    for event in story["timeline"]:
        pin = " (placed by hand)" if event["document_id"] in pinned else ""
        click.echo(f"  {(event['at'] or '')[:16]}  {event['source']:<16} {event['lang']}  {event['title']}{pin}")
        click.echo(f"      joined: {event['reason']}")
    for c in story.get("corrections") or []:
        click.echo(f"  corrected: {c['action']} {c['story_id']}/{c['other_story_id']} reports "
                   f"{c['document_ids']} by {c['actor']} at {(c['created_at'] or '')[:16]}"
                   + (f" — {c['note']}" if c["note"] else ""))


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@stories.command("merge")
@click.argument("keep", type=int)
@click.argument("other", type=int)
@click.option("--by", "actor", help="Who makes the correction (default: the login name).")
@click.option("--note", default="", help="Why, in a few words; shown on the story.")
@pass_app
def merge(app: AppContext, keep: int, other: int, actor: str | None, note: str) -> None:
    """Merge story OTHER into story KEEP: its reports move and stay there, whatever reprocessing finds."""
    from storage.story_corrections import CorrectionError, merge_stories

    try:
        result = merge_stories(app.store, keep, other, actor=_actor(actor), note=note)
    except CorrectionError as exc:
        fail("stories merge", str(exc))
        return
    click.echo(f"story {other} merged into story {keep}: {len(result.document_ids)} report(s) moved "
               f"(correction {result.correction_id})")


@stories.command("split")
@click.argument("story_id", type=int)
@click.argument("doc_ids", type=int, nargs=-1, required=True)
@click.option("--into", type=int, help="Move the reports into this story instead of a new one.")
@click.option("--by", "actor", help="Who makes the correction (default: the login name).")
@click.option("--note", default="", help="Why, in a few words; shown on the story.")
@pass_app
def split(app: AppContext, story_id: int, doc_ids: tuple[int, ...], into: int | None, actor: str | None,
          note: str) -> None:
    """Take reports DOC_IDS out of story STORY_ID into a new story (or --into another); they stay apart."""
    from storage.story_corrections import CorrectionError, split_story

    try:
        result = split_story(app.store, story_id, list(doc_ids), actor=_actor(actor), note=note, into=into)
    except CorrectionError as exc:
        fail("stories split", str(exc))
        return
    click.echo(f"report(s) {', '.join(map(str, result.document_ids))} moved from story {story_id} "
               f"to story {result.story_id} (correction {result.correction_id})")


def run_story_evaluation(path: Path, *, as_json: bool, with_misses: bool) -> None:
    """`deskwatch evaluate --stories FILE`: print the scores (and misses); exit 2 on a bad file."""
    from monitor.story_eval import StoryEvalError, evaluate_stories, format_report

    try:
        ev = evaluate_stories(path, with_misses=with_misses)
    except StoryEvalError as exc:
        fail("evaluate", str(exc))
        return
    if as_json:
        out: dict[str, Any] = ev.scores.to_dict()
        out["mixed_stories"] = ev.scores.mixed_stories
        if with_misses:
            out["misses"] = ev.misses
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(format_report(ev)))
