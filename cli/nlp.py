"""`deskwatch extract` and `deskwatch evaluate`: nlp/ on its own, from the command line."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import IO, Any

import click

from cli.context import AppContext, pass_app

logger = logging.getLogger(__name__)

FLOORS_FILE = "floors.toml"


def _extract_line(line: str, default_lang: str | None) -> dict[str, Any]:
    import nlp

    item_id: Any = None
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise TypeError("each line must be a JSON object")
        item_id = item.get("id")
        text = item.get("text")
        if not isinstance(text, str):
            raise TypeError("missing or non-string 'text'")
        result = nlp.extract(text, item.get("lang") or default_lang, title=item.get("title")).to_dict()
        return {"id": item_id, **result}
    except (ValueError, TypeError) as exc:
        return {"id": item_id, "error": str(exc)}


def _run_jsonl(stream: IO[str], lang: str | None) -> int:
    errors = 0
    for line in stream:
        if not line.strip():
            continue
        out = _extract_line(line, lang)
        errors += "error" in out
        click.echo(json.dumps(out, ensure_ascii=False))
    return errors


@click.command("extract")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--lang", type=click.Choice(["en", "ko", "km"]), default=None,
              help="Force the language instead of detecting it.")
@click.option("--title", default=None, help="Headline, used for incident typing and relevance.")
@click.option("--jsonl", is_flag=True, help='Read lines {"id","text","lang"?}; write one result line each.')
def extract(source: IO[str], lang: str | None, title: str | None, jsonl: bool) -> None:
    """Extract places, victim ages, ransoms and incident facts from FILE (or - for stdin) as JSON."""
    import nlp

    if jsonl:
        errors = _run_jsonl(source, lang)
        if errors:
            click.echo(f"{errors} line(s) failed", err=True)
            sys.exit(1)
        return
    result = nlp.extract(source.read(), lang, title=title)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


def _print_table(ev: Any, floors: dict[str, float]) -> None:
    langs = sorted(ev.by_lang)
    click.echo(f"{'field':18} {'P':>6} {'R':>6} {'F1':>6} {'floor':>6} {'tp/fp/fn':>10}  "
               + " ".join(f"{'F1 ' + lang:>7}" for lang in langs))
    for name, score in ev.overall.items():
        floor = floors.get(name)
        mark = "" if floor is None or score.f1 + 1e-9 >= floor else "  BELOW FLOOR"
        floor_s = f"{floor:.2f}" if floor is not None else "-"
        per_lang = " ".join(f"{ev.by_lang[lang][name].f1:7.3f}" if name in ev.by_lang[lang] else f"{'-':>7}"
                            for lang in langs)
        counts = f"{score.tp}/{score.fp}/{score.fn}"
        click.echo(f"{name:18} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} {floor_s:>6} {counts:>10}  "
                   f"{per_lang}{mark}")


def _print_misses(ev: Any) -> None:
    for article in ev.articles:
        if not article["misses"]:
            continue
        click.echo(f"{article['id']} [{article['lang']}]")
        for miss in article["misses"]:
            where = f"  «{miss['context']}»" if miss.get("context") else ""
            click.echo(f"  {miss['field']:18} {miss['kind']:8} {miss['value']}{where}")


def _alert_rule(rules_path: Path):  # type: ignore[no-untyped-def]
    """The default alert rule's predicate, and its name, from a rules file."""
    from monitor.alerts.gold import alert_predicate, first_incident_rule
    from monitor.alerts.rules import RuleError, load_rules

    try:
        rule = first_incident_rule(load_rules(rules_path))
    except RuleError as exc:
        raise click.ClickException(f"rules rejected: {exc}") from exc
    if rule is None:
        raise click.ClickException(f"{rules_path}: no enabled incident rule to score the alert flag with")
    return alert_predicate(rule), rule.name


def _gold_docs(paths: tuple[Path, ...], lang: str | None) -> list[dict[str, Any]]:
    from nlp import evaluate as ev
    from nlp.evalgold import GoldFormatError

    try:
        docs = [d for path in paths or (ev.DEFAULT_GOLD,) for d in ev.load_gold(path)]
    except GoldFormatError as exc:
        raise click.ClickException(str(exc)) from exc
    docs = [d for d in docs if lang is None or d.get("lang") == lang]
    if not docs:
        raise click.ClickException(f"no gold documents found in {', '.join(map(str, paths or (ev.DEFAULT_GOLD,)))}")
    return docs


def _floors(paths: tuple[Path, ...], floors_path: Path | None) -> dict[str, float]:
    from nlp import evaluate as ev

    if floors_path is None and len(paths) <= 1:
        folder = paths[0] if paths else ev.DEFAULT_GOLD
        floors_path = folder / FLOORS_FILE if folder.is_dir() else None
    if floors_path is None or not floors_path.exists():
        return {}
    try:
        return ev.load_floors(floors_path)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"{floors_path}: cannot read floors ({exc!r})") from exc


@click.command("evaluate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print scores (and misses) as JSON.")
@click.option("--misses/--no-misses", default=True, help="List per article what was missed or invented, in context.")
@click.option("--lang", type=click.Choice(["en", "ko", "km"]), default=None, help="Only gold items in LANG.")
@click.option("--floors", "floors_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pinned F1 floors (default: floors.toml inside a gold directory).")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file whose first incident rule decides the alert flag (default: settings' rules_file).")
@click.option("--stories", "stories_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Score stories instead: FILE.jsonl of articles marked with the incident they report (event).")
@pass_app
def evaluate(app: AppContext, paths: tuple[Path, ...], as_json: bool, misses: bool, lang: str | None,
             floors_path: Path | None, rules_path: Path | None, stories_file: Path | None) -> None:
    """Score nlp against gold: a directory of *.jsonl (default tests/gold) or real-article JSONL files.

    Prints P/R/F1 per field overall and F1 per language; the alert flag by the default alert rule,
    beside the plain keyword rule (alert_keyword). Exits 1 if a field is below its pinned floor.
    With --stories FILE, score the stories deskwatch makes of FILE's articles instead (pairwise, B-cubed).
    """
    if stories_file is not None:
        from cli.stories import run_story_evaluation

        explicit = click.get_current_context().get_parameter_source("misses") == click.core.ParameterSource.COMMANDLINE
        run_story_evaluation(stories_file, as_json=as_json, with_misses=misses and explicit)
        return
    from nlp import evaluate as ev

    docs = _gold_docs(paths, lang)
    floors = _floors(paths, floors_path)
    predicate, rule_name = _alert_rule(rules_path or app.settings.rules_file)
    result = ev.evaluate_docs(docs, predicate)
    failed = ev.below_floors(result.overall, floors) if lang is None else {}
    if as_json:
        out = {**result.to_dict(misses), "alert_rule": rule_name, "floors": floors,
               "below_floor": {k: {"f1": round(v[0], 4), "floor": v[1]} for k, v in failed.items()}}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        sources = ", ".join(map(str, paths)) or str(ev.DEFAULT_GOLD)
        click.echo(f"{len(docs)} gold documents from {sources}; alert = rule {rule_name!r}, "
                   "alert_keyword = incident word + Korea")
        _print_table(result, floors)
        if misses:
            _print_misses(result)
    if failed:
        click.echo("below floor: " + ", ".join(f"{k} {v[0]:.3f} < {v[1]:.2f}" for k, v in failed.items()), err=True)
        sys.exit(1)
